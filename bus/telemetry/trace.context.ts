import { context, isValidSpanId, isValidTraceId, trace, TraceFlags, type Context } from "@opentelemetry/api";
import { headers, type MsgHdrs } from "@nats-io/transport-node";

/** The W3C Trace Context header, carried in NATS headers and event headers. */
export const TRACEPARENT = "traceparent";

/**
 * The W3C `traceparent` of a context's span (version 00), or undefined when it has no sampled,
 * valid span (tracing off: the API's no-op spans carry the invalid all-zero ids). Written here
 * rather than through `W3CTraceContextPropagator` because `@opentelemetry/core` is not a direct
 * dependency; this is the whole of what that propagator writes without a tracestate.
 */
export function traceparentOf(ctx: Context = context.active()): string | undefined {
  const sc = trace.getSpanContext(ctx);
  if (!sc || !isValidTraceId(sc.traceId) || !isValidSpanId(sc.spanId)) return undefined;
  return `00-${sc.traceId}-${sc.spanId}-0${(sc.traceFlags & TraceFlags.SAMPLED).toString(16)}`;
}

const TRACEPARENT_RE = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})$/;

/** The context a received `traceparent` continues (a remote parent); `base` unchanged when absent or malformed. */
export function contextFromTraceparent(header: string | undefined | null, base: Context = context.active()): Context {
  const m = header ? TRACEPARENT_RE.exec(header.trim()) : null;
  // Version ff is forbidden by the spec; a bad id is ignored rather than trusted.
  if (!m || m[1] === "ff" || !isValidTraceId(m[2]) || !isValidSpanId(m[3])) return base;
  return trace.setSpanContext(base, { traceId: m[2], spanId: m[3], traceFlags: Number.parseInt(m[4], 16) & 1, isRemote: true });
}

/** The trace id of a `traceparent` (what joins an event in the log to its trace). */
export const traceIdOf = (header: string | undefined): string | undefined => (header ? TRACEPARENT_RE.exec(header)?.[2] : undefined);

/** NATS headers carrying the active trace (a request to another process or a node); undefined when no trace is active. */
export function traceHeaders(ctx: Context = context.active()): MsgHdrs | undefined {
  const tp = traceparentOf(ctx);
  if (!tp) return undefined;
  const h = headers();
  h.set(TRACEPARENT, tp);
  return h;
}
