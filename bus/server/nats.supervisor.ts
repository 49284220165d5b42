/**
 * The embedded nats-server: one child process per gateway, JetStream store and operator identity
 * under `<dataDir>/nats/`, supervised (restarted with backoff if it dies) and stopped with the
 * gateway.
 *
 * Lifetime: `stop()` (and a normal exit of this process) takes the child down. A `kill -9` of the
 * gateway cannot, so the child keeps running; the next start finds it through the pid file (or
 * /proc) and stops it before starting a fresh one on the same store.
 */
import { readFile } from "node:fs/promises";
import { resolve } from "node:path";
import { CairnError } from "../../schemas/index.ts";
import { ensureNatsAuth, type NatsAuth } from "./nats.auth.ts";
import { checkNatsServerVersion, findNatsServerBinary } from "./nats.binary.ts";
import { writeServerConfig } from "./nats.config.ts";
import { ensurePrivateDir } from "./nats.files.ts";
import { ensureNatsTls, isLoopbackHost, type NatsTls } from "./nats.tls.ts";
import { removePidFile, stopStaleServers, writePidFile } from "./nats.pidfile.ts";
import { describeExit, spawnServer, type ServerProcess } from "./nats.process.ts";
import { DEFAULT_RESTART_BACKOFF, RestartBackoff, type RestartBackoffOptions } from "./restart.backoff.ts";
import { canListen, clientUrl, findStablePort, waitForNatsReady } from "./nats.ready.ts";

export interface EmbeddedNatsOptions {
  /** cairn's data dir; the server's files go to `<dataDir>/nats/`. */
  readonly dataDir: string;
  /** Listen address. Default 127.0.0.1: the bus is not reachable from elsewhere unless asked. */
  readonly host?: string;
  /** Default: the previous start's port while it is free (nodes keep dialing it), else a free one; kept across supervised restarts. */
  readonly port?: number;
  /** Receives the server's log lines and the supervisor's own notes (restarts, cleanup). */
  readonly log?: (line: string) => void;
  /** How long to wait for the first start to be usable. Default 30 s (JetStream recovery). */
  readonly readyTimeoutMs?: number;
  /** Require TLS of every client. Default: on unless `host` is loopback (see nats.tls.ts). */
  readonly tls?: boolean;
  /** Extra names for a certificate made now (the `advertise_url` host); loopback and the hostname are always in. */
  readonly tlsHosts?: readonly string[];
  /**
   * Run the server in its own process group (default true), so terminal signals reach only the
   * gateway and it can shut down in order. Tests pass false: see `spawnServer`.
   */
  readonly ownProcessGroup?: boolean;
  /** Restart delays and the healthy period that resets them (see restart.backoff.ts). */
  readonly restartBackoff?: RestartBackoffOptions;
  /** Clock for the healthy-period check; tests inject one. Default `Date.now`. */
  readonly now?: () => number;
}

export interface EmbeddedNats {
  readonly url: string;
  /** nats-server version, e.g. `2.9.10`. */
  readonly version: string;
  /** pid of the current child (changes when the supervisor restarts it). */
  readonly pid: number;
  /** How many times the supervisor has restarted the child. */
  readonly restarts: number;
  readonly creds: { readonly gateway: string; readonly cli: string; readonly system: string };
  readonly auth: NatsAuth;
  /** The certificate clients must pin, or null when the server speaks plain NATS (loopback). */
  readonly tls: NatsTls | null;
  /** Stops supervising, SIGTERMs the server (SIGKILL after 5 s), waits, removes the pid file. */
  stop(): Promise<void>;
}

// Data dirs supervised by this process: a second supervisor on the same store would fight the
// first one (each restarting "its" server), so it is refused outright.
const supervised = new Set<string>();

/**
 * Starts (or restarts after a crash of a previous gateway) the embedded nats-server and resolves
 * once it accepts the gateway creds and JetStream answers. Throws `CairnError("unavailable")` when
 * nats-server is missing or older than 2.9.10, or does not become ready (with its log tail).
 */
export async function startEmbeddedNats(opts: EmbeddedNatsOptions): Promise<EmbeddedNats> {
  const log = opts.log ?? (() => undefined);
  const note = (line: string) => log(`[cairn nats] ${line}`);
  const natsDir = resolve(opts.dataDir, "nats");
  if (supervised.has(natsDir)) {
    throw new CairnError("unavailable", `an embedded nats-server is already supervised for ${natsDir}`);
  }
  supervised.add(natsDir);
  try {
    return await start(opts, natsDir, log, note);
  } catch (e) {
    supervised.delete(natsDir);
    throw e;
  }
}

async function start(
  opts: EmbeddedNatsOptions,
  natsDir: string,
  log: (line: string) => void,
  note: (line: string) => void,
): Promise<EmbeddedNats> {
  const bin = findNatsServerBinary();
  const version = await checkNatsServerVersion(bin);
  const auth = await ensureNatsAuth(natsDir);
  const { paths } = auth;
  const leftovers = await stopStaleServers(paths.pidFile, paths.configFile, note);

  const host = opts.host ?? "127.0.0.1";
  // Paired nodes were told this port on approval and keep dialing it: a restarted gateway must
  // come back on the same one (the previous config names it) while it is free.
  // A leftover just stopped may still hold it for a moment: it counts as gone once its command
  // line is, and the kernel closes its sockets after that.
  const port = opts.port ?? (await previousPort(paths.configFile, host, leftovers.length > 0 ? 2_000 : 0)) ?? (await findStablePort(host));
  const tls =
    (opts.tls ?? !isLoopbackHost(host)) ? await ensureNatsTls(natsDir, { hosts: [host, ...(opts.tlsHosts ?? [])], log: note }) : null;
  await writeServerConfig({ auth, host, port, tls });
  // Create them ourselves so they are 0700 (nats-server would make them 0750).
  await ensurePrivateDir(paths.resolverDir);
  await ensurePrivateDir(paths.storeDir);
  const url = clientUrl(host, port);

  const now = opts.now ?? Date.now;
  let child: ServerProcess = spawnServer(bin, paths.configFile, log, opts.ownProcessGroup ?? true);
  let childStartedAt = now();
  let restarts = 0;
  let stopping = false;
  const backoff = new RestartBackoff(opts.restartBackoff ?? DEFAULT_RESTART_BACKOFF);
  let restartTimer: NodeJS.Timeout | undefined;
  let stopped: Promise<void> | undefined;

  // Arms the restart for the current child; the pid file already names it.
  // Never gives up: a bus that stays down is worse than a log line every 5 s.
  const superviseCurrent = (): void => {
    const current = child;
    const startedAt = childStartedAt;
    void current.exited.then((exit) => {
      if (stopping) return;
      const delay = backoff.delayAfter(startedAt, now());
      note(`nats-server (pid ${current.pid}) died unexpectedly (${describeExit(exit)}); restarting in ${delay} ms`);
      restartTimer = setTimeout(async () => {
        restartTimer = undefined;
        if (stopping) return;
        restarts += 1;
        child = spawnServer(bin, paths.configFile, log, opts.ownProcessGroup ?? true);
        childStartedAt = now();
        if (child.pid !== undefined) {
          await writePidFile(paths.pidFile, child.pid).catch((e) => note(`cannot write pid file: ${e}`));
          // stop() may have run while we wrote: do not leave a pid file of a dead server behind.
          if (stopping) return void (await removePidFile(paths.pidFile, child.pid));
        }
        note(`nats-server restarted (pid ${child.pid}, restart #${restarts}) on ${url}`);
        superviseCurrent();
      }, delay);
    });
  };

  const stop = (): Promise<void> =>
    (stopped ??= (async () => {
      stopping = true;
      if (restartTimer) clearTimeout(restartTimer);
      const pid = child.pid;
      await child.terminate(5_000);
      if (pid !== undefined) await removePidFile(paths.pidFile, pid);
      supervised.delete(natsDir);
    })());

  const first = child;
  try {
    if (first.pid !== undefined) await writePidFile(paths.pidFile, first.pid);
    await waitForNatsReady({
      url,
      credsFile: auth.creds.gateway,
      ...(tls ? { caPem: tls.certPem } : {}),
      timeoutMs: opts.readyTimeoutMs ?? 30_000,
      abandon: () => (first.hasExited() ? "nats-server exited during start-up" : undefined),
    });
  } catch (e) {
    stopping = true;
    const exit = await first.terminate(2_000);
    if (first.pid !== undefined) await removePidFile(paths.pidFile, first.pid);
    const tail = first.tail().slice(-15).join("\n");
    throw new CairnError(
      "unavailable",
      `embedded nats-server on ${url} did not start (${(e as Error).message}; ${describeExit(exit)}). ` +
        `Config: ${paths.configFile}. Last server output:\n${tail || "(none)"}`,
      { url, configFile: paths.configFile, tail: first.tail() },
    );
  }
  superviseCurrent();
  note(`nats-server ${version} ready on ${url}${tls ? " (TLS)" : ""} (pid ${first.pid}, store ${paths.storeDir})`);

  return {
    url,
    version,
    get pid() {
      return child.pid ?? 0;
    },
    get restarts() {
      return restarts;
    },
    creds: auth.creds,
    auth,
    tls,
    stop,
  };
}

/** The port of the last config written for this store, if `host` can bind it now; else undefined. */
async function previousPort(configFile: string, host: string, waitMs: number): Promise<number | undefined> {
  const text = await readFile(configFile, "utf8").catch(() => "");
  const port = Number(/^listen:\s*"[^"]*:(\d+)"/m.exec(text)?.[1]);
  if (!(port > 0 && port < 65536)) return undefined;
  const deadline = Date.now() + waitMs;
  for (;;) {
    if (await canListen(port, host)) return port;
    if (Date.now() >= deadline) return undefined;
    await new Promise((r) => setTimeout(r, 50));
  }
}
