/**
 * The node's half of pairing, over the gateway's HTTP edge: a pairing request signed with the
 * node's key (proof of possession; a fresh nonce and timestamp so it cannot be replayed), then
 * signed status polls until the gateway decides. Nothing secret is sent: the approval returns a
 * JWT for the node's public key, useless without the seed that stays here.
 */
import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import * as Schema from "effect/Schema";
import { signText } from "../../bus/server/index.ts";
import {
  CairnError,
  decodeLenient,
  ErrorCode,
  pairingRequestText,
  PairingRequestResult,
  pairingStatusText,
  PairingStatusResult,
  type PairingRequest,
  type PairingStatusRequest,
} from "../../schemas/index.ts";
import type { NodeIdentity } from "./identity.ts";

/**
 * The gateway's HTTP base URL. A `ws://host/ws` URL (what the web UI's socket uses) is accepted
 * and turned into its HTTP origin, so either address a user copies works.
 */
export function normalizeGatewayUrl(input: string): string {
  let u: URL;
  try {
    u = new URL(input.includes("://") ? input : `http://${input}`);
  } catch {
    throw new CairnError("bad_request", `--host ${JSON.stringify(input)} is not a URL (e.g. http://gateway.lan:13131)`);
  }
  if (u.protocol === "ws:") u.protocol = "http:";
  else if (u.protocol === "wss:") u.protocol = "https:";
  if (u.protocol !== "http:" && u.protocol !== "https:")
    throw new CairnError("bad_request", `--host must be an http(s) URL, got ${u.protocol}`);
  const path = u.pathname.replace(/\/ws\/?$/, "").replace(/\/+$/, "");
  return `${u.protocol}//${u.host}${path}`;
}

/** Where the node dials NATS: the advertised URL, else the gateway's host on the NATS port. */
export function natsUrlFor(gatewayUrl: string, result: { natsUrl?: string; natsPort?: number }): string {
  if (result.natsUrl) return result.natsUrl;
  if (result.natsPort === undefined) throw new CairnError("internal", "the gateway approved this node but sent no NATS address");
  return `nats://${new URL(gatewayUrl).hostname}:${result.natsPort}`;
}

const Reply = Schema.Struct({
  ok: Schema.Boolean,
  error: Schema.optionalKey(Schema.Struct({ code: Schema.String, message: Schema.String })),
});

export type FetchLike = (
  url: string,
  init: { method: string; headers: Record<string, string>; body: string; signal?: AbortSignal },
) => Promise<Response>;

async function postJson(fetchImpl: FetchLike, url: string, body: unknown): Promise<unknown> {
  let res: Response;
  try {
    res = await fetchImpl(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(10_000),
    });
  } catch (e) {
    throw new CairnError(
      "unavailable",
      `cannot reach the gateway at ${url}: ${(e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message}`,
    );
  }
  let json: unknown;
  try {
    json = await res.json();
  } catch {
    throw new CairnError("unavailable", `the gateway at ${url} answered ${res.status} without JSON (is this a cairn gateway?)`);
  }
  const reply = decodeLenient(Reply, json, "gateway reply");
  if (!reply.ok) {
    const code = Schema.is(ErrorCode)(reply.error?.code) ? reply.error.code : "internal";
    throw new CairnError(code, reply.error?.message ?? `the gateway answered ${res.status}`);
  }
  return json;
}

export interface PairingClientOptions {
  readonly gatewayUrl: string;
  readonly identity: NodeIdentity;
  readonly nodeId: string;
  readonly name: string;
  readonly workingDir: string;
  readonly fetch?: FetchLike;
  readonly now?: () => number;
}

/** Sends the signed pairing request. Throws `pairing_closed`, `node_key_mismatch`, `unavailable`, ... */
export async function sendPairingRequest(opts: PairingClientOptions): Promise<typeof PairingRequestResult.Type> {
  const now = opts.now ?? Date.now;
  const unsigned: Omit<PairingRequest, "signature"> = {
    nodeId: opts.nodeId,
    name: opts.name,
    publicKey: opts.identity.publicKey,
    hostname: hostname().slice(0, 255),
    platform: `${process.platform}-${process.arch}`,
    workingDir: opts.workingDir,
    timestamp: now(),
    nonce: randomBytes(24).toString("base64url"),
  };
  const body: PairingRequest = { ...unsigned, signature: signText(opts.identity.keyPair, pairingRequestText(unsigned)) };
  const json = await postJson(opts.fetch ?? fetch, `${opts.gatewayUrl}/api/nodes/pair`, body);
  return decodeLenient(PairingRequestResult, json, "pairing reply");
}

/** One signed status poll. */
export async function pollPairingStatus(opts: PairingClientOptions, requestId: string): Promise<PairingStatusResult> {
  const now = opts.now ?? Date.now;
  const unsigned: Omit<PairingStatusRequest, "signature"> = { requestId, publicKey: opts.identity.publicKey, timestamp: now() };
  const body: PairingStatusRequest = { ...unsigned, signature: signText(opts.identity.keyPair, pairingStatusText(unsigned)) };
  const json = await postJson(opts.fetch ?? fetch, `${opts.gatewayUrl}/api/nodes/pair/status`, body);
  return decodeLenient(PairingStatusResult, json, "pairing status");
}

/** What to tell the user when the gateway refused, by error code. */
export function pairingAdvice(e: unknown, nodeId: string): string {
  const code = e instanceof CairnError ? e.code : "internal";
  const message = e instanceof Error ? e.message : String(e);
  switch (code) {
    case "pairing_closed":
      return `the gateway is not accepting new nodes (${message}). Run 'cairn node pairing enable' on the gateway, then run this command again.`;
    case "node_key_mismatch":
      return `the gateway already knows node id '${nodeId}' with a different key (${message}). If this machine was re-installed, revoke the old node on the gateway ('cairn node revoke ${nodeId}') and pair again, or pick another --node-id.`;
    case "rate_limited":
      return `the gateway is rate limiting this address (${message}); wait a minute and try again.`;
    case "unavailable":
      return `${message}. Check --host (the gateway's HTTP address, e.g. http://gateway.lan:13131) and that the gateway is running.`;
    default:
      return message;
  }
}
