import { toWireError, type ErrorCode } from "../../schemas/index.ts";
import { request } from "../rpc.ts";
import { subjects } from "../subjects.ts";
import { jsonReply, parseJsonBody, statusOf, type HttpReply, type RequestFacts } from "./http.util.ts";
import { createRateLimiter, type RateLimiter } from "./rate-limit.ts";
import { BODY_TOO_LARGE, type TransportRequest } from "./transport/index.ts";
import type { BusDeps } from "./ws.methods.ts";

/**
 * `POST /api/nodes/pair` and `POST /api/nodes/pair/status`: a node that is not paired yet has no
 * credentials, so these need no login even off loopback — the pairing window and the signatures
 * (checked by the node service, not here) are the gate. The edge only caps the body, rate limits
 * per client address and forwards `{request, address}` to `admin.nodes.pair_request|pair_status`.
 */

/** A pairing request is well under 8 KiB (a working dir path is the longest field). */
export const MAX_PAIRING_BODY_BYTES = 16 * 1024;
/** Per client address: a node polls once a second; bursts cover a few retries. */
export const PAIRING_RATE = { ratePerSec: 3, burst: 10 } as const;

const errorReply = (code: ErrorCode, message: string): HttpReply => jsonReply(statusOf(code), { ok: false, error: { code, message } });

export interface PairingRouteDeps {
  bus: BusDeps;
  now: () => number;
}

export interface PairingRoute {
  /** The metrics name of the route. */
  name: string;
  /** Call synchronously in the transport's handler: it starts reading the body. */
  handle(req: TransportRequest): Promise<HttpReply>;
}

/** The two routes, by path (POST only). */
export function nodePairingRoutes(deps: PairingRouteDeps): Map<string, PairingRoute> {
  const limiters = new Map<string, RateLimiter>();
  const limiterFor = (address: string): RateLimiter => {
    let l = limiters.get(address);
    if (!l) {
      // Bounded: a flood of addresses resets the table instead of growing it without end.
      if (limiters.size > 10_000) limiters.clear();
      l = createRateLimiter({ ...PAIRING_RATE, now: deps.now });
      limiters.set(address, l);
    }
    return l;
  };

  const forward = async (f: RequestFacts, subject: string, body: Buffer): Promise<HttpReply> => {
    let parsed: unknown;
    try {
      parsed = parseJsonBody(body, "the body");
    } catch (e) {
      return errorReply("bad_request", toWireError(e).message);
    }
    if (!deps.bus.isBusUp()) return errorReply("unavailable", "the message bus is not connected; retry shortly");
    try {
      const result = await request(
        deps.bus.nc,
        subject,
        { request: parsed, address: f.remoteAddress || null },
        { timeoutMs: deps.bus.requestTimeoutMs },
      );
      return jsonReply(200, { ok: true, ...(result as object) });
    } catch (e) {
      const w = toWireError(e);
      return errorReply(w.code, w.code === "internal" ? "internal error" : w.message);
    }
  };

  const route = (name: string, subject: string): PairingRoute => ({
    name,
    handle(req) {
      if (!limiterFor(req.facts.clientAddress).take()) {
        return Promise.resolve(errorReply("rate_limited", "too many pairing requests from this address; slow down"));
      }
      return req
        .readBody(MAX_PAIRING_BODY_BYTES)
        .then((body) =>
          body === BODY_TOO_LARGE
            ? errorReply("bad_request", `the body is larger than ${MAX_PAIRING_BODY_BYTES} bytes`)
            : forward(req.facts, subject, body).catch(() => errorReply("internal", "internal error")),
        );
    },
  });

  return new Map([
    ["/api/nodes/pair", route("nodes.pair", subjects.admin("nodes", "pair_request"))],
    ["/api/nodes/pair/status", route("nodes.pair_status", subjects.admin("nodes", "pair_status"))],
  ]);
}
