import type { Msg, NatsConnection } from "@nats-io/transport-node";
import { CairnError, isCairnError, toWireError, WireError, decodeLenient, MAX_JSON_DEPTH, parseJsonBounded } from "../schemas/index.ts";
import * as Schema from "effect/Schema";
import { context } from "@opentelemetry/api";
import { isNoResponders, isTimeout } from "./nats.errors.ts";
import { TRACEPARENT, contextFromTraceparent, traceHeaders } from "./telemetry/index.ts";
import { provenanceHeaders, provenanceOf, withProvenance } from "./provenance.ts";

/**
 * Request/reply over NATS for commands and queries. Every reply is an envelope
 * `{ok: true, result}` or `{ok: false, error: WireError}`, so a remote failure arrives as a typed
 * error with its stable code instead of a timeout.
 */

const enc = new TextEncoder();
const dec = new TextDecoder();

const ReplyEnvelope = Schema.Union([
  Schema.Struct({ ok: Schema.Literal(true), result: Schema.Unknown }),
  Schema.Struct({ ok: Schema.Literal(false), error: WireError }),
]);

export const encodeJson = (value: unknown): Uint8Array => enc.encode(JSON.stringify(value));

/** Parses a JSON payload; a non-JSON payload is a `bad_request`. */
export const parseJson = (data: Uint8Array, what: string): unknown => {
  try {
    return JSON.parse(dec.decode(data));
  } catch {
    throw new CairnError("bad_request", `${what} is not valid JSON`);
  }
};

/**
 * Requests come from other users of the bus (the CLI, the edge forwarding a client's params one
 * level down), so their nesting is bounded as at the edge, with room for the edge's wrapping.
 */
const MAX_REQUEST_DEPTH = 2 * MAX_JSON_DEPTH;

/** `details` of the `unavailable` error of a request nobody subscribes to (vs. one that timed out). */
export const NO_RESPONDERS = { reason: "no_responders" } as const;
export const isNoRespondersError = (e: unknown): boolean =>
  isCairnError(e) && e.code === "unavailable" && (e.details as { reason?: unknown } | undefined)?.reason === NO_RESPONDERS.reason;

/** Sends a request and returns the decoded result, or throws the remote's `CairnError`. */
export const request = async (
  nc: NatsConnection,
  subject: string,
  params: unknown,
  opts: { timeoutMs?: number } = {},
): Promise<unknown> => {
  let msg: Msg;
  try {
    // The caller's trace and provenance go with the request, so a command decided in another
    // process joins the trace and its events name who acted and why.
    const h = provenanceHeaders(traceHeaders());
    msg = await nc.request(subject, encodeJson(params ?? {}), { timeout: opts.timeoutMs ?? 10_000, ...(h ? { headers: h } : {}) });
  } catch (e) {
    if (isNoResponders(e)) throw new CairnError("unavailable", `nothing is serving ${subject}; is the gateway running?`, NO_RESPONDERS);
    if (isTimeout(e)) throw new CairnError("timeout", `no answer on ${subject} in time`);
    throw new CairnError("unavailable", `request on ${subject} failed: ${e instanceof Error ? e.message : String(e)}`);
  }
  const reply = decodeLenient(ReplyEnvelope, parseJson(msg.data, "reply"), "reply");
  if (reply.ok) return reply.result;
  throw new CairnError(reply.error.code, reply.error.message, reply.error.details);
};

/** Typed variant of `request`: decodes the result with `schema`. */
export const requestAs = async <S extends Schema.ConstraintDecoder<unknown>>(
  nc: NatsConnection,
  subject: string,
  params: unknown,
  schema: S,
  opts: { timeoutMs?: number } = {},
): Promise<S["Type"]> => decodeLenient(schema, await request(nc, subject, params, opts), `reply on ${subject}`);

export type Handler = (params: unknown, msg: Msg) => Promise<unknown> | unknown;

/**
 * Serves requests on `subject` (wildcards allowed). The handler's result or thrown error becomes
 * the reply envelope; a handler failure never takes the subscription down. `when`: requests that
 * arrive while it is false are left for another server (several gateways, one owner).
 */
export const serve = (nc: NatsConnection, subject: string, handler: Handler, opts: { queue?: string; when?: () => boolean } = {}) =>
  nc.subscribe(subject, {
    queue: opts.queue,
    callback: (err, msg) => {
      if (err || (opts.when && !opts.when())) return;
      void (async () => {
        let reply: unknown;
        try {
          const params = msg.data.length === 0 ? {} : parseJsonBounded(dec.decode(msg.data), "request", MAX_REQUEST_DEPTH);
          const tp = msg.headers?.get(TRACEPARENT);
          const run = () => withProvenance(provenanceOf(msg.headers), () => handler(params, msg));
          const result = tp ? await context.with(contextFromTraceparent(tp), run) : await run();
          reply = { ok: true, result: result ?? null };
        } catch (e) {
          reply = { ok: false, error: toWireError(e) };
        }
        if (!msg.reply) return;
        try {
          msg.respond(encodeJson(reply));
        } catch (e) {
          // A reply that cannot be sent (larger than the server's max payload) must still answer,
          // or the caller only sees its own timeout.
          msg.respond(
            encodeJson({ ok: false, error: { code: "internal", message: `the reply could not be sent: ${(e as Error).message}` } }),
          );
        }
      })();
    },
  });

export type { WireError };
