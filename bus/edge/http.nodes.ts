import type { HttpResponse, TemplatedApp } from "uWebSockets.js";
import { toWireError, type ErrorCode } from "../../schemas/index.ts";
import { request } from "../rpc.ts";
import { subjects } from "../subjects.ts";
import { jsonReply, readFacts, writeReply, type HttpReply, type RequestFacts } from "./http.util.ts";
import { createRateLimiter, type RateLimiter } from "./rate-limit.ts";
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

const STATUS: Partial<Record<ErrorCode, number>> = {
  bad_request: 400,
  unauthorized: 401,
  pairing_closed: 403,
  node_not_found: 404,
  node_key_mismatch: 409,
  rate_limited: 429,
  unavailable: 503,
  timeout: 504,
};

export const statusOf = (code: ErrorCode): number => STATUS[code] ?? 500;

const errorReply = (code: ErrorCode, message: string): HttpReply => jsonReply(statusOf(code), { ok: false, error: { code, message } });

export interface PairingRouteDeps {
  bus: BusDeps;
  now: () => number;
  onReply: (name: string, status: number) => void;
}

/** Registers the two routes on `app`. */
export function attachNodePairing(app: TemplatedApp, deps: PairingRouteDeps): void {
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
      parsed = JSON.parse(body.toString("utf8"));
    } catch {
      return errorReply("bad_request", "the body is not JSON");
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

  const route = (path: string, name: string, subject: string) =>
    app.post(path, (res: HttpResponse, req) => {
      const f = readFacts(res, req);
      let done = false;
      const finish = (reply: HttpReply) => {
        if (done) return;
        done = true;
        deps.onReply(name, reply.status);
        res.cork(() => writeReply(res, reply, f.host));
      };
      res.onAborted(() => {
        done = true;
      });
      if (!limiterFor(f.remoteAddress).take()) {
        done = true;
        deps.onReply(name, 429);
        return writeReply(res, errorReply("rate_limited", "too many pairing requests from this address; slow down"), f.host);
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.onData((chunk, isLast) => {
        if (done) return;
        size += chunk.byteLength;
        if (size > MAX_PAIRING_BODY_BYTES)
          return finish(errorReply("bad_request", `the body is larger than ${MAX_PAIRING_BODY_BYTES} bytes`));
        // uWS reuses the chunk's memory after this callback: copy it.
        chunks.push(Buffer.from(chunk.slice(0)));
        if (!isLast) return;
        void forward(f, subject, Buffer.concat(chunks))
          .catch(() => errorReply("internal", "internal error"))
          .then(finish);
      });
    });

  route("/api/nodes/pair", "nodes.pair", subjects.admin("nodes", "pair_request"));
  route("/api/nodes/pair/status", "nodes.pair_status", subjects.admin("nodes", "pair_status"));
}
