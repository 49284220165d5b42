/**
 * The node agent: joins the bus with the node's creds (NATS does the Ed25519 nonce signing on every
 * connection), says hello, sends heartbeats, telemetry and its context, and answers the gateway's
 * requests. Reconnection is its own loop rather than nats.js's fixed wait: exponential backoff
 * 1 s → 30 s with ±25% jitter, 5 s per connect attempt, forever; an authentication refusal (the
 * node was revoked) is logged as such and retried only every minute, so a service never spins.
 */
import { readFileSync } from "node:fs";
import { homedir, hostname } from "node:os";
import {
  AuthorizationError,
  connect,
  credsAuthenticator,
  UserAuthenticationExpiredError,
  type NatsConnection,
  type NodeConnectionOptions,
} from "@nats-io/transport-node";
import { subjects } from "../../bus/index.ts";
import { pinnedTls } from "../../bus/server/index.ts";
import type { NodeContext, NodeHello, NodeTelemetry } from "../../schemas/index.ts";
import { VERSION } from "../version.ts";
import { createExecHandler } from "./agent.exec.ts";
import { AUTH_FAILURE_DELAY_MS, backoffDelay, jittered } from "./backoff.ts";
import { watchNodeContext } from "./context.watch.ts";
import type { NodeLogger } from "./node.log.ts";
import { writeAgentStatus } from "./status.file.ts";
import { createTelemetrySampler } from "./telemetry.ts";

export interface NodeAgentOptions {
  readonly nodeId: string;
  readonly name: string;
  readonly workingDir: string;
  readonly maxTimeoutSeconds: number;
  readonly natsUrl: string;
  readonly credsFile: string;
  /** The pinned NATS certificate (PEM), read before every connect (`node.json` may gain one); none: plain NATS. */
  readonly natsCaPem?: () => string | undefined;
  /**
   * Called when the server demands TLS and no certificate is pinned yet (the gateway turned TLS on
   * after this node paired): fetches it over the pairing channel. Not called once one is pinned.
   */
  readonly refreshTls?: () => Promise<void>;
  readonly outputDir: string;
  readonly log: NodeLogger;
  /** Where `cairn node status` reads connected/disconnected; omitted in tests that do not care. */
  readonly statusFile?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly now?: () => number;
  readonly random?: () => number;
  readonly heartbeatMs?: number;
  readonly telemetryMs?: number;
  readonly connectTimeoutMs?: number;
  readonly doneRetryDelayMs?: number;
  /** Telemetry source (tests pass a cheap one). */
  readonly telemetry?: () => Promise<NodeTelemetry>;
  /** Debounce of the context watcher (ms). */
  readonly contextDebounceMs?: number;
}

export interface NodeAgent {
  readonly connected: () => boolean;
  /** Resolves once connected (the first time, or again after a drop). */
  readonly whenConnected: () => Promise<void>;
  /** Kills running commands, closes the connection; resolves when everything stopped. */
  readonly stop: () => Promise<void>;
  /** Resolves when the agent stopped (after `stop()`). */
  readonly done: Promise<void>;
}

const isAuthError = (e: unknown): boolean =>
  e instanceof AuthorizationError ||
  e instanceof UserAuthenticationExpiredError ||
  /authori[sz]ation|authentication/i.test((e as Error)?.message ?? "");

/** A server that requires TLS, met without a pinned certificate: nats.js fails the handshake. */
const isTlsError = (e: unknown): boolean => /certificate|tls|ssl|self.signed/i.test((e as Error)?.message ?? "");

export function startNodeAgent(opts: NodeAgentOptions): NodeAgent {
  const now = opts.now ?? Date.now;
  const random = opts.random ?? Math.random;
  const env = opts.env ?? process.env;
  const log = opts.log;
  const stopCtl = new AbortController();
  let nc: NatsConnection | undefined;
  let waiters: Array<() => void> = [];

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      if (stopCtl.signal.aborted) return resolve();
      const t = setTimeout(done, ms);
      function done() {
        clearTimeout(t);
        stopCtl.signal.removeEventListener("abort", done);
        resolve();
      }
      stopCtl.signal.addEventListener("abort", done, { once: true });
    });

  const status = (connected: boolean, lastError: string | null): void => {
    if (opts.statusFile)
      writeAgentStatus(opts.statusFile, { pid: process.pid, connected, since: now(), natsUrl: opts.natsUrl, lastError, updatedAt: now() });
  };

  const sampler = createTelemetrySampler({ env, now });
  const telemetry = opts.telemetry ?? (() => sampler.sample());
  void telemetry().catch(() => undefined); // warm up: runtimes are probed once, off the hello's path

  const exec = createExecHandler({
    nodeId: opts.nodeId,
    workingDir: opts.workingDir,
    maxTimeoutSeconds: opts.maxTimeoutSeconds,
    outputDir: opts.outputDir,
    hostEnv: env,
    home: homedir(),
    log,
    connection: () => nc,
    now,
    sleep,
    ...(opts.doneRetryDelayMs !== undefined ? { doneRetryDelayMs: opts.doneRetryDelayMs } : {}),
  });

  const publish = (subject: string, value: unknown): void => {
    try {
      nc?.publish(subject, JSON.stringify(value));
    } catch (e) {
      log.warn("publish failed", { subject, error: (e as Error).message });
    }
  };

  const context = watchNodeContext({
    workingDir: opts.workingDir,
    debounceMs: opts.contextDebounceMs ?? 300,
    now,
    onChange: (c: NodeContext) => {
      log.info("context changed", { agentsMd: c.agentsMd !== null, skills: c.skills.map((s) => s.name) });
      publish(subjects.nodeOut(opts.nodeId, "context"), c);
    },
    onProblem: (p) => log.warn("skill left out", { file: p.file, problem: p.problem }),
  });

  const hello = async (): Promise<NodeHello> => ({
    nodeId: opts.nodeId,
    name: opts.name,
    version: VERSION,
    hostname: hostname(),
    platform: `${process.platform}-${process.arch}`,
    workingDir: opts.workingDir,
    maxTimeoutSeconds: opts.maxTimeoutSeconds,
    telemetry: await telemetry(),
  });

  /** One connection's life: subscribe, hello, timers; resolves when it closes. */
  const session = async (conn: NatsConnection): Promise<void> => {
    const timers: NodeJS.Timeout[] = [];
    void (async () => {
      for await (const s of conn.status()) {
        // Permission violations and server errors arrive here, not as exceptions of publish().
        if (s.type === "error") log.warn("server error", { error: s.error.message });
      }
    })().catch(() => undefined);
    conn.subscribe(subjects.nodeInAll(opts.nodeId), {
      callback: (err, msg) => (err ? log.warn("subscription error", { error: err.message }) : exec.handle(msg)),
    });
    await conn.flush();
    publish(subjects.nodeOut(opts.nodeId, "hello"), await hello());
    publish(subjects.nodeOut(opts.nodeId, "context"), context.current());
    timers.push(setInterval(() => publish(subjects.nodeOut(opts.nodeId, "heartbeat"), { at: now() }), opts.heartbeatMs ?? 5_000));
    timers.push(
      setInterval(() => {
        void telemetry()
          .then((t) => publish(subjects.nodeOut(opts.nodeId, "telemetry"), t))
          .catch((e) => log.warn("telemetry failed", { error: (e as Error).message }));
      }, opts.telemetryMs ?? 30_000),
    );
    for (const w of waiters) w();
    waiters = [];
    const err = await conn.closed();
    for (const t of timers) clearInterval(t);
    if (err && !stopCtl.signal.aborted) throw err;
  };

  const loop = async (): Promise<void> => {
    let attempt = 0;
    while (!stopCtl.signal.aborted) {
      log.info("connecting", { url: opts.natsUrl, attempt: attempt + 1 });
      let conn: NatsConnection;
      const caPem = opts.natsCaPem?.();
      try {
        conn = await connect({
          servers: opts.natsUrl.split(",").map((s) => s.trim()),
          name: `cairn-node-${opts.nodeId}`,
          // Re-read every time: `cairn node add` may have re-issued the creds after a re-pairing.
          authenticator: credsAuthenticator(() => readFileSync(opts.credsFile)),
          inboxPrefix: subjects.nodeInbox(opts.nodeId),
          reconnect: false,
          timeout: opts.connectTimeoutMs ?? 5_000,
          noAsyncTraces: true,
          // A pinned certificate also makes nats.js refuse a server that offers no TLS (no downgrade).
          ...(caPem ? { tls: pinnedTls(caPem) as unknown as NodeConnectionOptions["tls"] } : {}),
        });
      } catch (e) {
        const message = (e as Error).message;
        status(false, message);
        if (!caPem && opts.refreshTls && isTlsError(e)) {
          log.warn("the gateway's NATS now requires TLS; asking the gateway for its certificate", { error: message });
          const pinned = await opts.refreshTls().then(
            () => true,
            (err) => {
              log.error("could not get the NATS certificate; run 'cairn node add' again", { error: (err as Error).message });
              return false;
            },
          );
          // With the certificate in hand the next attempt can succeed: make it now, not after the backoff.
          if (pinned) continue;
        }
        const auth = isAuthError(e);
        const delay = auth ? jittered(AUTH_FAILURE_DELAY_MS, random) : backoffDelay(attempt++, random);
        if (auth)
          log.error("the gateway refused this node's credentials (revoked? re-pair with 'cairn node add')", {
            error: message,
            retryInMs: delay,
          });
        else log.warn("cannot reach the gateway's NATS", { error: message, retryInMs: delay });
        await sleep(delay);
        continue;
      }
      if (stopCtl.signal.aborted) {
        await conn.close().catch(() => undefined);
        break;
      }
      nc = conn;
      attempt = 0;
      status(true, null);
      log.info("connected", { server: conn.getServer() });
      let lastError: string | null = null;
      try {
        await session(conn);
      } catch (e) {
        lastError = (e as Error).message;
      }
      nc = undefined;
      if (stopCtl.signal.aborted) break;
      status(false, lastError);
      const delay =
        lastError && isAuthError({ message: lastError }) ? jittered(AUTH_FAILURE_DELAY_MS, random) : backoffDelay(attempt++, random);
      log.warn("disconnected", { error: lastError ?? "connection closed", retryInMs: delay });
      await sleep(delay);
    }
  };

  const done = loop().finally(() => context.close());
  return {
    connected: () => nc !== undefined && !nc.isClosed(),
    whenConnected: () => (nc && !nc.isClosed() ? Promise.resolve() : new Promise<void>((r) => waiters.push(r))),
    async stop() {
      if (stopCtl.signal.aborted) return done;
      log.info("stopping");
      stopCtl.abort();
      await exec.stopAll();
      await nc?.close().catch(() => undefined);
      await done;
      status(false, null);
    },
    done,
  };
}
