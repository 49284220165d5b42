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
