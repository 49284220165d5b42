/**
 * The pid file of the embedded nats-server, and cleanup of a server left behind by a gateway that
 * was killed (`kill -9` cannot take its child down with it). Two servers on one JetStream store
 * would corrupt it, so a leftover is stopped before a new one starts.
 *
 * Safety: a pid is only ever signalled when /proc shows a nats-server whose command line names
 * *this* data dir's config file, so a recycled pid (any other process, or another cairn's
 * nats-server) is never touched. And a server whose parent is still the gateway that started it
 * (a second gateway on the same data dir) is refused, not killed.
 *
 * File format: line 1 the server pid, line 2 the pid of the supervising process. (Not usable with
 * `nats-server --signal stop=<file>`, which wants a bare pid without even a newline.)
 */
import { readdir, readFile, readlink, rm } from "node:fs/promises";
import { basename } from "node:path";
import { CairnError } from "../../schemas/index.ts";
import { readTextIfExists, writeFileAtomic } from "./nats.files.ts";

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Records the running server's pid and the supervisor's. */
export async function writePidFile(file: string, serverPid: number, supervisorPid = process.pid): Promise<void> {
  await writeFileAtomic(file, `${serverPid}\n${supervisorPid}\n`, 0o600);
}

/** The pids recorded in a pid file; undefined fields when missing or malformed. */
export async function readPidFile(file: string): Promise<{ server?: number; supervisor?: number }> {
  const [a, b] = ((await readTextIfExists(file)) ?? "").split("\n").map((l) => Number(l.trim()));
  const ok = (n: number | undefined) => (n !== undefined && Number.isInteger(n) && n > 0 ? n : undefined);
  return { server: ok(a), supervisor: ok(b) };
}

/** Removes the pid file, but only if it still names `pid` (a newer server may have replaced it). */
export async function removePidFile(file: string, pid: number): Promise<void> {
  if ((await readPidFile(file)).server === pid) await rm(file, { force: true });
}

/** Parent pid of a live process, from /proc/<pid>/stat (field 4). */
async function parentPid(pid: number): Promise<number | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    return Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]);
  } catch {
    return undefined;
  }
}

/** argv of a live (non-zombie) process, or undefined when there is none or /proc is unavailable. */
async function liveArgv(pid: number): Promise<string[] | undefined> {
  try {
    const stat = await readFile(`/proc/${pid}/stat`, "utf8");
    // Field 3, after the parenthesised command name (which may itself contain spaces or ")").
    const state = stat.slice(stat.lastIndexOf(")") + 2, stat.lastIndexOf(")") + 3);
    if (state === "Z" || state === "X") return undefined;
    const raw = await readFile(`/proc/${pid}/cmdline`, "utf8");
    return raw.split("\0").filter((s) => s !== "");
  } catch {
    return undefined;
  }
}

const isNatsServerName = (p: string | undefined): boolean => p !== undefined && basename(p).startsWith("nats-server");

/** True when `pid` is a running nats-server started with `configFile`. */
export async function isOurNatsServer(pid: number, configFile: string): Promise<boolean> {
  const argv = await liveArgv(pid);
  if (!argv?.includes(configFile)) return false;
  if (isNatsServerName(argv[0])) return true;
  const exe = await readlink(`/proc/${pid}/exe`).catch(() => undefined);
  return isNatsServerName(exe?.replace(/ \(deleted\)$/, ""));
}

/**
 * Pids of nats-servers running on `configFile`: the one in the pid file, plus any found by scanning
 * /proc (covers a gateway killed between spawning the server and writing the pid file).
 */
export async function findStaleServers(pidFile: string, configFile: string): Promise<number[]> {
  const candidates = new Set<number>();
  const recorded = (await readPidFile(pidFile)).server;
  if (recorded !== undefined) candidates.add(recorded);
  for (const name of await readdir("/proc").catch(() => [] as string[])) {
    if (/^\d+$/.test(name)) candidates.add(Number(name));
  }
  candidates.delete(process.pid);
  const ours: number[] = [];
  for (const pid of candidates) if (await isOurNatsServer(pid, configFile)) ours.push(pid);
  return ours;
}

async function waitGone(pid: number, configFile: string, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (!(await isOurNatsServer(pid, configFile))) return true;
    await sleep(50);
  }
  return !(await isOurNatsServer(pid, configFile));
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === "ESRCH") return; // already gone
    throw new CairnError("unavailable", `cannot stop leftover nats-server (pid ${pid}): ${code}`, { pid });
  }
}

/**
 * Stops every leftover nats-server of this data dir: SIGTERM (nats-server flushes JetStream and
 * exits), SIGKILL after `graceMs`. Removes the pid file. Returns the pids it stopped.
 */
export async function stopStaleServers(
  pidFile: string,
  configFile: string,
  log: (line: string) => void,
  graceMs = 3_000,
): Promise<number[]> {
  const pids = await findStaleServers(pidFile, configFile);
  const { supervisor } = await readPidFile(pidFile);
  for (const pid of pids) {
    // An orphan is re-parented (to init or a subreaper) when its gateway dies, so a server still
    // parented by the recorded supervisor means that gateway is alive and using this data dir.
    if (supervisor !== undefined && supervisor !== process.pid && (await parentPid(pid)) === supervisor) {
      throw new CairnError(
        "unavailable",
        `this data dir's nats-server (pid ${pid}) belongs to a running cairn process (pid ${supervisor}); stop it first or use another data dir`,
        { pid, supervisor },
      );
    }
  }
  for (const pid of pids) {
    log(`stopping leftover nats-server (pid ${pid}) from a previous run`);
    signal(pid, "SIGTERM");
    if (await waitGone(pid, configFile, graceMs)) continue;
    log(`leftover nats-server (pid ${pid}) ignored SIGTERM for ${graceMs} ms; sending SIGKILL`);
    signal(pid, "SIGKILL");
    if (!(await waitGone(pid, configFile, 2_000))) {
      throw new CairnError("unavailable", `leftover nats-server (pid ${pid}) does not die`, { pid });
    }
  }
  await rm(pidFile, { force: true });
  return pids;
}
