/**
 * Section 2: `node cli/bin.mjs gateway` from spawn to its "ready" line and to `GET /health`
 * answering `{"status":"ok"}`, on a fresh data dir (first start: creates the NATS operator,
 * accounts and creds) and again on the same data dir (warm start).
 *
 * The HTTP port is chosen up front so `/health` can be polled from the moment of the spawn. The
 * gateway's own "ready in N ms" (measured from `runGateway`, after every module is loaded) is kept
 * too: spawn→ready minus N is Node + tsx + module loading.
 *
 * All runs use a snapshot of the source tree in a temp dir (node_modules symlinked), so edits
 * made meanwhile in the working tree neither change nor rebuild what is measured. The first run
 * on the snapshot is the "first-ever" one: no `dist/` bundle yet (cli/bin.mjs builds it when it is
 * missing or stale) and an empty `$TMPDIR`, so nothing cached by a TypeScript loader either.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { BIN } from "../../tests/fixtures/gateway.ts";
import { freePort } from "../../tests/fixtures/nats.ts";
import { sleep, wallClockMs, type Cleanup } from "./util.ts";

export interface StartRun {
  label: "first-ever" | "fresh" | "warm";
  /** spawn → stdout "ready" line. */
  readyMs: number;
  /** spawn → first `/health` 200 {"status":"ok"}. */
  healthMs: number;
  /** The gateway's own "ready in N ms" (from runGateway, i.e. after module loading). */
  internalMs: number;
  /** SIGTERM → exit. */
  stopMs: number;
}

const baseEnv = (): NodeJS.ProcessEnv => {
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (/^(CAIRN_|OPENAI_|ANTHROPIC_|NODE_OPTIONS$)/.test(k)) delete env[k];
  return env;
};

/** One GET /health; resolves true only on 200 with status ok. */
const healthOk = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const req = request({ host: "127.0.0.1", port, path: "/health", agent: false, timeout: 2000 }, (res) => {
      let body = "";
      res.on("data", (c) => (body += c));
      res.on("end", () => {
        try {
          resolve(res.statusCode === 200 && JSON.parse(body).status === "ok");
        } catch {
          resolve(false);
        }
      });
    });
    req.on("error", () => resolve(false));
    req.on("timeout", () => req.destroy());
    req.end();
  });

const stopChild = (child: ChildProcess): Promise<void> =>
  new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) return resolve();
    child.once("exit", () => resolve());
    child.kill("SIGTERM");
  });

/** A nats-server left behind (only if the gateway was killed) is named by the pid file. */
const killLeftoverNats = (dataDir: string): void => {
  try {
    const pid = Number(readFileSync(join(dataDir, "nats", "nats-server.pid"), "utf8").split("\n")[0]);
    if (pid > 0) process.kill(pid, "SIGKILL");
  } catch {
    // none left
  }
};

const ROOT = join(dirname(BIN), "..");
/** Not part of what a user runs, or rebuilt from the sources: left out of the snapshot. */
const SKIP = new Set(["node_modules", ".git", "dist", "tests", "bench", "coverage", ".cairn", "ui", "tmp"]);

/** Copies the runnable tree (sources, package.json, built UI) to `dir`; node_modules is a symlink. */
export function snapshotTree(dir: string): string {
  for (const name of readdirSync(ROOT)) {
    if (SKIP.has(name) || name.endsWith(".log")) continue;
    cpSync(join(ROOT, name), join(dir, name), { recursive: true });
  }
  try {
    cpSync(join(ROOT, "ui", "dist"), join(dir, "ui", "dist"), { recursive: true });
  } catch {
    mkdirSync(join(dir, "ui", "dist"), { recursive: true }); // UI not built: the edge serves a hint
  }
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"), "dir");
  return join(dir, "cli", "bin.mjs");
}

export async function startOnce(o: {
  label: StartRun["label"];
  bin: string;
  dataDir: string;
  tmpDir?: string;
  cleanup: Cleanup;
  extraArgs?: string[];
  extraEnv?: NodeJS.ProcessEnv;
  onReady?: (child: ChildProcess) => Promise<void>;
}): Promise<StartRun> {
  const configDir = mkdtempSync(join(tmpdir(), "cairn-bench-config-"));
  const removeConfig = o.cleanup.add("config dir", () => rmSync(configDir, { recursive: true, force: true }));
  const port = await freePort();
  const env: NodeJS.ProcessEnv = {
    ...baseEnv(),
    CAIRN_DATA_DIR: o.dataDir,
    CAIRN_CONFIG_DIR: configDir,
    CAIRN_PORT: String(port),
    CAIRN_MODEL: "openai/test-model",
    OPENAI_API_KEY: "sk-test-key",
    OPENAI_BASE_URL: "http://127.0.0.1:9/v1",
    ...(o.tmpDir ? { TMPDIR: o.tmpDir } : {}),
    ...o.extraEnv,
  };
  const t0 = wallClockMs();
  const child = spawn(process.execPath, [...(o.extraArgs ?? []), o.bin, "gateway"], { env, stdio: ["ignore", "pipe", "pipe"] });
  const stop = o.cleanup.add("gateway (startup)", async () => {
    await stopChild(child);
    killLeftoverNats(o.dataDir);
  });
  let out = "";
  let exited = false;
  child.once("exit", () => (exited = true));
  child.stderr!.on("data", (d) => (out += d));
  try {
    const ready = new Promise<{ at: number; internalMs: number }>((resolve, reject) => {
      child.stdout!.on("data", (d) => {
        const at = wallClockMs();
        out += d;
        const m = /ready in (\d+) ms/.exec(out);
        if (m) resolve({ at, internalMs: Number(m[1]) });
      });
      child.once("exit", (code) => reject(new Error(`gateway exited (${code}) before ready:\n${out}`)));
    });
    ready.catch(() => undefined);
    let healthAt = 0;
    const deadline = t0 + 30_000;
    while (healthAt === 0) {
      if (exited) await ready; // throws with the output
      if (wallClockMs() > deadline) throw new Error(`gateway not healthy within 30 s:\n${out}`);
      if (await healthOk(port)) healthAt = wallClockMs();
      else await sleep(5);
    }
    const r = await ready;
    await o.onReady?.(child);
    const s0 = wallClockMs();
    await stop();
    const stopMs = wallClockMs() - s0;
    return { label: o.label, readyMs: r.at - t0, healthMs: healthAt - t0, internalMs: r.internalMs, stopMs };
  } finally {
    await stop();
    await removeConfig();
  }
}

export interface StartupResult {
  firstEver: StartRun | null;
  fresh: StartRun[];
  warm: StartRun[];
}

export async function runStartup(o: {
  runs: number;
  firstEver: boolean;
  cleanup: Cleanup;
  log: (s: string) => void;
}): Promise<StartupResult> {
  const { cleanup } = o;
  const dirs: string[] = [];
  const newDir = (prefix: string) => {
    const d = mkdtempSync(join(tmpdir(), prefix));
    dirs.push(d);
    return d;
  };
  const removeDirs = cleanup.add("startup dirs", () => {
    for (const d of dirs) rmSync(d, { recursive: true, force: true });
  });
  try {
    const bin = snapshotTree(newDir("cairn-bench-tree-"));
    const tmpDir = newDir("cairn-bench-tmp-");
    const firstRun = await startOnce({ label: "first-ever", bin, dataDir: newDir("cairn-bench-data-"), tmpDir, cleanup });
    const firstEver = o.firstEver ? firstRun : null;
    o.log(`  start: first-ever (no bundle, empty $TMPDIR) ${Math.round(firstRun.readyMs)} ms`);
    const fresh: StartRun[] = [];
    const warm: StartRun[] = [];
    const warmDir = newDir("cairn-bench-data-");
    // Prime the warm data dir (its first start is a fresh start, not counted as warm).
    fresh.push(await startOnce({ label: "fresh", bin, dataDir: warmDir, tmpDir, cleanup }));
    for (let i = 1; i < o.runs; i++)
      fresh.push(await startOnce({ label: "fresh", bin, dataDir: newDir("cairn-bench-data-"), tmpDir, cleanup }));
    o.log(`  start: ${fresh.length} fresh runs done`);
    for (let i = 0; i < o.runs; i++) warm.push(await startOnce({ label: "warm", bin, dataDir: warmDir, tmpDir, cleanup }));
    o.log(`  start: ${warm.length} warm runs done`);
    return { firstEver, fresh, warm };
  } finally {
    await removeDirs();
  }
}
