import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { randomUUID } from "node:crypto";
import { createSandbox, type Sandbox, type SandboxOptions } from "../../../actors/sandbox/index.ts";

export const makeWorkspace = (): string => fs.mkdtempSync(path.join(os.tmpdir(), "cairn-sbx-"));

export const sandboxIn = (workspace: string, opts: Partial<SandboxOptions> & Pick<SandboxOptions, "backend">): Sandbox =>
  createSandbox({ workspace, outputDir: path.join(workspace, ".cairn", "outputs"), killGraceMs: 300, ...opts });

/**
 * Docker sandboxes on one test engine's socket, each remembered so `disposeAll` removes their
 * containers. `socketPath` is undefined where no engine runs (the suite is skipped then).
 */
export const dockerSandboxes = (socketPath: string | undefined) => {
  const made: Sandbox[] = [];
  return {
    in: (workspace: string, extra: Partial<SandboxOptions> = {}): Sandbox => {
      const s = sandboxIn(workspace, { backend: "docker", socketPath, ...extra });
      made.push(s);
      return s;
    },
    disposeAll: async (): Promise<void> => {
      for (const s of made) await s.dispose().catch(() => {});
    },
  };
};

/** Host pids whose command line contains `marker` (found through /proc, so also namespaced ones). */
export const hostPidsWith = (marker: string): number[] =>
  fs
    .readdirSync("/proc")
    .filter((d) => /^\d+$/.test(d))
    .filter((d) => {
      try {
        return fs.readFileSync(`/proc/${d}/cmdline`, "utf8").replace(/\0/g, " ").includes(marker);
      } catch {
        return false;
      }
    })
    .map(Number);

/** A `sleep` duration nobody else uses, to find the process on the host afterwards. */
export const uniqueSleep = (base: number): string => `${base}.${Math.floor(Math.random() * 1e6)}`;

export const token = (): string => randomUUID().slice(0, 8);

export const waitUntil = async (ok: () => boolean, ms: number): Promise<boolean> => {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (ok()) return true;
    await new Promise((r) => setTimeout(r, 25));
  }
  return ok();
};
