/** Shared helpers of the bus/server tests: process probes, polling, per-test cleanup. */
import { afterEach } from "vitest";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { NatsConnection } from "@nats-io/transport-node";
import { startEmbeddedNats, type EmbeddedNats } from "../../../bus/server/index.ts";

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** True while `pid` runs (a zombie awaiting its reaper counts as dead). */
export const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return !/\) [ZX] /.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return false;
  }
};

export const waitFor = async (what: string, cond: () => boolean | Promise<boolean>, ms = 15_000): Promise<void> => {
  const deadline = Date.now() + ms;
  while (!(await cond())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
};

const cleanups: Array<() => Promise<void> | void> = [];
/** Registers an undo step, run (last first) after the current test. */
export const cleanup = (fn: () => Promise<void> | void): void => void cleanups.push(fn);
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

export const tempDataDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), "cairn-sup-"));
  cleanup(() => rmSync(d, { recursive: true, force: true }));
  return d;
};

/** startEmbeddedNats, stopped after the test. */
export const started = async (dataDir: string): Promise<EmbeddedNats> => {
  const n = await startEmbeddedNats({ dataDir });
  cleanup(() => n.stop());
  return n;
};

/** Closes `nc` after the test. */
export const closing = (nc: NatsConnection): NatsConnection => {
  cleanup(() => nc.close().catch(() => undefined));
  return nc;
};
