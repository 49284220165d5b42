import { closeSync, openSync, readFileSync, rmSync, writeSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { CairnError } from "../../schemas/index.ts";

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
};

/** True when `pid` is a live cairn process (not merely some process that reused the pid). */
export const isCairnProcess = (pid: number): boolean => {
  if (!Number.isInteger(pid) || pid <= 0 || !alive(pid)) return false;
  try {
    return /cairn|cli\/bin\.mjs|cli\/main\.ts/.test(readFileSync(`/proc/${pid}/cmdline`, "utf8"));
  } catch {
    return true; // no /proc (macOS): trust liveness
  }
};

/**
 * One gateway per data dir. The lock file holds the owner's pid; a lock left by a killed gateway
 * (pid gone, or reused by something else) is taken over.
 */
export function acquireGatewayLock(file: string): () => void {
  // The data dir: created private (an existing one is tightened by securePrivateDirs).
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, "wx", 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => {
        try {
          if (readFileSync(file, "utf8").trim() === String(process.pid)) rmSync(file, { force: true });
        } catch {
          // already gone
        }
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const pid = Number(readFileSync(file, "utf8").trim());
      if (pid !== process.pid && isCairnProcess(pid)) {
        throw new CairnError(
          "conflict",
          `another cairn gateway (pid ${pid}) is already running on ${dirname(file)}; stop it first, or set CAIRN_DATA_DIR to use another data dir`,
        );
      }
      rmSync(file, { force: true });
    }
  }
  throw new CairnError("conflict", `could not take the gateway lock ${file}`);
}
