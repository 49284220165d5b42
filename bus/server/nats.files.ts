/**
 * File helpers for secrets and server state under `<dataDir>/nats/`, and the layout of that folder.
 * Every secret (seeds, creds) is written 0600 and every folder holding one is 0700: the creds of the
 * gateway are full access to the event log.
 */
import { randomUUID } from "node:crypto";
import { chmod, link, mkdir, readFile, rename, rm, writeFile } from "node:fs/promises";
import { join } from "node:path";

/** Where everything of the embedded server lives, relative to its `natsDir` (`<dataDir>/nats`). */
export interface NatsPaths {
  readonly natsDir: string;
  /** Operator, account and signing-key seeds (`*.nk`). */
  readonly keysDir: string;
  /** Operator and account JWTs as first issued (the resolver dir holds later updates). */
  readonly jwtDir: string;
  /** `.creds` files for the local users (gateway, cli, system). */
  readonly credsDir: string;
  /** The full resolver's account JWT store (written by nats-server). */
  readonly resolverDir: string;
  /** JetStream `store_dir` (nats-server keeps its data in a `jetstream/` folder inside it). */
  readonly storeDir: string;
  readonly configFile: string;
  readonly pidFile: string;
}

/** The file layout under `natsDir`; pure, creates nothing. */
export const natsPaths = (natsDir: string): NatsPaths => ({
  natsDir,
  keysDir: join(natsDir, "keys"),
  jwtDir: join(natsDir, "jwt"),
  credsDir: join(natsDir, "creds"),
  resolverDir: join(natsDir, "resolver"),
  storeDir: join(natsDir, "store"),
  configFile: join(natsDir, "nats-server.conf"),
  pidFile: join(natsDir, "nats-server.pid"),
});

/** mkdir -p, then force 0700: `mkdir`'s mode is masked by the umask and ignored for existing dirs. */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
}

/**
 * Writes a file atomically (temp file + rename) with the given mode, so a crash mid-write never
 * leaves a truncated seed or creds file that a later start would trust.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o600): Promise<void> {
  const tmp = `${path}.${process.pid}.${randomUUID()}.tmp`;
  try {
    await writeFile(tmp, data, { mode, flag: "wx" });
    await chmod(tmp, mode);
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/**
 * Creates `path` with `data` only if it does not exist yet; returns false when another writer got
 * there first. Used for seeds: two processes racing on a fresh data dir must not end up trusting
 * two different operators. (link(2) fails on an existing target, rename(2) would replace it.)
 */
export async function createFileExclusive(path: string, data: string | Uint8Array, mode = 0o600): Promise<boolean> {
  const tmp = `${path}.${process.pid}.${randomUUID()}.tmp`;
  try {
    await writeFile(tmp, data, { mode, flag: "wx" });
    await chmod(tmp, mode);
    await link(tmp, path);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") return false;
    throw e;
  } finally {
    await rm(tmp, { force: true });
  }
}

/** The file's text, or undefined when it does not exist (other errors propagate). */
export async function readTextIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, "utf8");
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw e;
  }
}
