/**
 * Port choice and the readiness probe of the embedded server. "Ready" means what the gateway needs
 * next: a creds-authenticated connection *and* a JetStream answer for the application account (in
 * operator mode JetStream per account only works once the account JWT is resolved with limits).
 */
import { createServer } from "node:net";
import { readFile } from "node:fs/promises";
import { connect } from "@nats-io/transport-node";
import { credsAuthenticator } from "./creds.authenticator.ts";
import { jetstreamManager } from "@nats-io/jetstream";
import { retry } from "../retry.ts";

/** A port that was free on `host` a moment ago (the OS picks it; a race with others is possible). */
export const findFreePort = (host = "127.0.0.1"): Promise<number> =>
  new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, host, () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });

/** Whether `host:port` can be listened on now. */
export const canListen = (port: number, host = "127.0.0.1"): Promise<boolean> =>
  new Promise((done) => {
    const s = createServer();
    s.once("error", () => done(false));
    s.listen(port, host, () => s.close(() => done(true)));
  });

/** The kernel's range for ports it hands out by itself (outgoing connections, listeners on port 0). */
const ephemeralRange = async (): Promise<[number, number]> => {
  const text = await readFile("/proc/sys/net/ipv4/ip_local_port_range", "utf8").catch(() => "");
  const [low, high] = text.trim().split(/\s+/).map(Number);
  return low > 0 && high >= low ? [low, high] : [32768, 60999];
};

/** Where stable ports are chosen: above the registered ports most services use, below the ephemeral range. */
const STABLE_FROM = 20_000;

/**
 * A free port that should stay free across a restart: chosen below the kernel's ephemeral range,
 * so no outgoing connection and no port-0 listener is ever given it. A port from `findFreePort`
 * lies inside that range: after a crash anything on the machine could get it before the restart
 * binds it again, and paired nodes dial the embedded server's port (seen in CI: a restarted
 * gateway could not have its port back). Falls back to `findFreePort` when no room is left.
 */
export async function findStablePort(host = "127.0.0.1"): Promise<number> {
  const [low] = await ephemeralRange();
  const span = low - STABLE_FROM;
  for (let i = 0; span > 100 && i < 50; i++) {
    const port = STABLE_FROM + Math.floor(Math.random() * span);
    if (await canListen(port, host)) return port;
  }
  return findFreePort(host);
}

/** The URL local clients use for a server listening on `host:port` (wildcard binds → loopback). */
export function clientUrl(host: string, port: number): string {
  const h = host === "0.0.0.0" || host === "" ? "127.0.0.1" : host === "::" ? "::1" : host;
  return h.includes(":") ? `nats://[${h}]:${port}` : `nats://${h}:${port}`;
}

export interface ReadyProbe {
  readonly url: string;
  readonly credsFile: string;
  readonly timeoutMs: number;
  /** The server's certificate (PEM) when it requires TLS. */
  readonly caPem?: string;
  /** Stops waiting early (e.g. the server process exited): return a reason to give up. */
  readonly abandon: () => string | undefined;
}

/** The probe gave up because `abandon()` said so: not retried. */
class Abandoned extends Error {}

/**
 * Polls until the server accepts the creds and JetStream answers `account info`. Resolves with
 * nothing, or rejects with the last failure's message (the caller adds server log context).
 */
export async function waitForNatsReady(p: ReadyProbe): Promise<void> {
  const creds = await readFile(p.credsFile);
  const deadline = Date.now() + p.timeoutMs;
  let last = "no attempt made";
  const probe = async (): Promise<void> => {
    const reason = p.abandon();
    if (reason) throw new Abandoned(reason);
    try {
      const nc = await connect({
        servers: p.url,
        authenticator: credsAuthenticator(creds),
        reconnect: false,
        timeout: Math.max(250, Math.min(2_000, deadline - Date.now())),
        name: "cairn-ready-probe",
        ...(p.caPem ? { tls: { ca: p.caPem } } : {}),
      });
      try {
        const jsm = await jetstreamManager(nc, { timeout: 2_000 });
        await jsm.getAccountInfo();
      } finally {
        await nc.close().catch(() => undefined);
      }
    } catch (e) {
      last = e instanceof Error ? e.message : String(e);
      throw e;
    }
  };
  try {
    // nats-server is usually ready ~10 ms after spawn: poll fast first, then back off to 100 ms.
    await retry(probe, {
      attempts: Number.POSITIVE_INFINITY,
      baseMs: 10,
      maxMs: 100,
      maxElapsedMs: p.timeoutMs,
      retryable: (e) => !(e instanceof Abandoned),
    });
  } catch (e) {
    if (e instanceof Abandoned) throw new Error(e.message);
    throw new Error(p.abandon() ?? `not ready after ${p.timeoutMs} ms (last error: ${last})`);
  }
}
