/**
 * Connecting to NATS with a `.creds` file: the one way every cairn process (gateway, CLI, node)
 * joins the bus, embedded or external.
 */
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { AuthorizationError, connect, type NatsConnection, type NodeConnectionOptions } from "@nats-io/transport-node";
import { credsAuthenticator } from "./creds.authenticator.ts";
import { CairnError } from "../../schemas/index.ts";

export interface ConnectNatsOptions {
  /** `nats://host:port` (or several, comma separated). */
  readonly url: string;
  readonly credsFile: string;
  /** Shown in the server's connection list and logs, e.g. `cairn-gateway`. */
  readonly name: string;
  /** Handshake timeout of the first connect (ms). Default 5 s. */
  readonly timeoutMs?: number;
  /**
   * The server's certificate when it requires TLS (the embedded server off loopback): a PEM file
   * written by the gateway (`caFile`) or the PEM itself (`ca`). Pinned: only that certificate verifies.
   */
  readonly tls?: { readonly caFile: string } | { readonly ca: string };
}

/**
 * Connects with user creds and never gives up reconnecting: a restarted embedded server (or a
 * rolling cluster) comes back on the same address, and a process of cairn must survive that
 * without anyone calling connect again. The first connect, though, fails fast: a
 * `CairnError("unauthorized")` for rejected creds, `"unavailable"` when nothing answers.
 */
export async function connectNats(opts: ConnectNatsOptions): Promise<NatsConnection> {
  let creds: Uint8Array;
  try {
    creds = await readFile(opts.credsFile);
  } catch (e) {
    throw new CairnError("unavailable", `cannot read NATS creds ${opts.credsFile}: ${(e as Error).message}`);
  }
  // Re-read on every (re)connect so a re-issued creds file is picked up; keep the last good copy
  // if the file is briefly missing (being replaced) so a reconnect is not lost to a race.
  const currentCreds = (): Uint8Array => {
    try {
      creds = readFileSync(opts.credsFile);
    } catch {
      // keep the previous copy
    }
    return creds;
  };
  try {
    return await connect({
      servers: opts.url.split(",").map((s) => s.trim()),
      name: opts.name,
      authenticator: credsAuthenticator(currentCreds),
      maxReconnectAttempts: -1,
      // Stack traces captured for every request cost ~0.5 ms per chat turn; errors carry codes.
      noAsyncTraces: true,
      // Loopback restarts take well under a second; 2 s (the default) would make every restart
      // a visible stall. Jitter spreads many clients hitting a restarted server.
      reconnectTimeWait: 250,
      reconnectJitter: 250,
      timeout: opts.timeoutMs ?? 5_000,
      // The certificate is pinned (it is its own, only, CA), so the name the client dialed does not
      // need to be in it: a listen address changed after it was made must not lock cairn out.
      // (nats.js passes extra fields through to tls.connect; its type only lists its own.)
      ...(opts.tls ? { tls: { ...opts.tls, checkServerIdentity: () => undefined } as unknown as NodeConnectionOptions["tls"] } : {}),
    });
  } catch (e) {
    const message = e instanceof Error ? e.message : String(e);
    if (e instanceof AuthorizationError) {
      throw new CairnError("unauthorized", `NATS at ${opts.url} rejected ${opts.credsFile}: ${message}`);
    }
    throw new CairnError("unavailable", `cannot connect to NATS at ${opts.url}: ${message}`);
  }
}
