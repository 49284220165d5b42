import type { ErrorCode } from "../../schemas/index.ts";

/**
 * Which provider failures are worth another attempt (on the same model after a cooldown, or on
 * the next model of the fallback chain). Transient ones are: rate limits, overload, 5xx, timeouts,
 * an unreachable server, a stream cut by the network. Ones that would fail again the same way are
 * not: a bad key, a bad request, an unknown model, a prompt too long for the model.
 *
 * This says what the error is, not what to do: a caller that already showed part of a reply
 * decides separately whether moving on is right (see `provider_stream_cut`'s `receivedChars`).
 */

const ALWAYS: ReadonlySet<ErrorCode> = new Set<ErrorCode>([
  "provider_rate_limited",
  "provider_overloaded",
  "provider_unreachable",
  "provider_stream_cut",
  "timeout",
]);

/** Anthropic mid-stream error types that mean "try again": its `api_error` is a 500. */
const RETRYABLE_TYPES = new Set(["api_error", "overloaded_error", "server_error", "timeout_error"]);

interface ErrorLike {
  readonly code: ErrorCode;
  readonly details?: unknown;
}

const detail = (e: ErrorLike): { status?: unknown; type?: unknown; retryAfterSeconds?: unknown } =>
  typeof e.details === "object" && e.details !== null ? (e.details as Record<string, unknown>) : {};

/** True for a transient provider failure (works on a `CairnError` and on its `WireError`). */
export function isRetryable(e: ErrorLike): boolean {
  if (ALWAYS.has(e.code)) return true;
  if (e.code !== "provider_error") return false;
  const d = detail(e);
  if (typeof d.status === "number") return d.status >= 500 || d.status === 408 || d.status === 409;
  return typeof d.type === "string" && RETRYABLE_TYPES.has(d.type);
}

/** The wait the provider asked for (Retry-After), in seconds; null when it said nothing. */
export function retryAfterOf(e: ErrorLike): number | null {
  const v = detail(e).retryAfterSeconds;
  return typeof v === "number" && Number.isFinite(v) && v >= 0 ? v : null;
}
