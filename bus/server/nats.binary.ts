/**
 * Finding the nats-server binary and gating on its version. The floor is 2.9.10 (Debian 12's): the
 * whole bus is written against what 2.9 does, and older servers lack pieces of the JWT/JetStream
 * behaviour cairn relies on.
 */
import { execFile } from "node:child_process";
import { accessSync, constants, statSync } from "node:fs";
import { delimiter, join } from "node:path";
import { CairnError } from "../../schemas/index.ts";

export const NATS_SERVER_FLOOR = "2.9.10";
const FLOOR = NATS_SERVER_FLOOR.split(".").map(Number) as [number, number, number];
const INSTALL_HINT = "install it with `sudo apt-get install nats-server` or set CAIRN_NATS_SERVER_BIN";

const isExecutableFile = (p: string): boolean => {
  try {
    accessSync(p, constants.X_OK);
    return statSync(p).isFile();
  } catch {
    return false;
  }
};

/**
 * The nats-server to run: `CAIRN_NATS_SERVER_BIN`, else `nats-server` on PATH, else
 * /usr/sbin/nats-server (Debian installs it there, which is not on a normal user's PATH).
 * Throws `CairnError("unavailable")` naming the fix when there is none.
 */
export function findNatsServerBinary(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env.CAIRN_NATS_SERVER_BIN;
  if (explicit) {
    if (isExecutableFile(explicit)) return explicit;
    throw new CairnError("unavailable", `CAIRN_NATS_SERVER_BIN=${explicit} is not an executable file; ${INSTALL_HINT}`);
  }
  const candidates = (env.PATH ?? "")
    .split(delimiter)
    .filter((d) => d !== "")
    .map((d) => join(d, "nats-server"));
  candidates.push("/usr/sbin/nats-server", "/usr/local/sbin/nats-server");
  const found = candidates.find(isExecutableFile);
  if (found) return found;
  throw new CairnError("unavailable", `nats-server not found (looked in PATH and /usr/sbin); ${INSTALL_HINT}`);
}

/** `[major, minor, patch]` from `nats-server: v2.9.10` (or a bare `2.9.10`); undefined if none. */
export function parseNatsVersion(text: string): [number, number, number] | undefined {
  const m = /v?(\d+)\.(\d+)\.(\d+)/.exec(text);
  return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : undefined;
}

/** Negative, zero or positive as `a` is older than, equal to or newer than `b`. */
export function compareVersions(a: readonly number[], b: readonly number[]): number {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] - b[i];
  return 0;
}

/**
 * Runs `<bin> --version` and returns the version (`2.9.10`). Throws `CairnError("unavailable")`
 * if it cannot run, prints no version, or is older than `NATS_SERVER_FLOOR`.
 */
export async function checkNatsServerVersion(bin: string): Promise<string> {
  const out = await new Promise<string>((resolve, reject) => {
    execFile(bin, ["--version"], { timeout: 10_000 }, (err, stdout, stderr) => {
      if (err) reject(new CairnError("unavailable", `could not run ${bin} --version: ${err.message}; ${INSTALL_HINT}`));
      else resolve(`${stdout}${stderr}`);
    });
  });
  const v = parseNatsVersion(out);
  if (!v) throw new CairnError("unavailable", `${bin} --version printed no version (${JSON.stringify(out.trim())})`);
  const version = v.join(".");
  if (compareVersions(v, FLOOR) < 0) {
    throw new CairnError(
      "unavailable",
      `nats-server ${version} at ${bin} is too old: cairn needs ${NATS_SERVER_FLOOR} or newer; ${INSTALL_HINT}`,
      { version, floor: NATS_SERVER_FLOOR, bin },
    );
  }
  return version;
}
