import { JetStreamApiCodes, JetStreamApiError } from "@nats-io/jetstream";
import { ClosedConnectionError, NoRespondersError, PermissionViolationError, RequestError, TimeoutError } from "@nats-io/transport-node";

/**
 * NATS failures classified by the types nats.js 3.x throws and by JetStream API error codes, never
 * by message text (messages change between client and server versions; types and codes do not).
 *
 * What nats.js throws, as checked against nats-server 2.9: a request with no subscriber rejects with
 * a `RequestError` caused by `NoRespondersError` (a JetStream publish with no stream behind it turns
 * that into a "jetstream is not enabled" error, still caused by it); a request without an answer in
 * time with `TimeoutError`; a request cut off by a closing or lost connection with a `RequestError`
 * and no such cause; any call on a closed connection with `ClosedConnectionError`; a JetStream API
 * refusal with `JetStreamApiError` carrying the server's error code.
 */

/** JetStream API error codes cairn reacts to (nats-server's errors.json; the client names only a few). */
export const JsErrorCode = {
  ...JetStreamApiCodes,
  /** "resource limits exceeded for account" */
  AccountResourcesExceeded: 10002,
  /** "insufficient resources" */
  InsufficientResources: 10023,
  /** "insufficient storage resources available" */
  StorageResourcesExceeded: 10047,
  /** a stream limit refused the message (with discard new) */
  StreamLimits: 10053,
  /** "message size exceeds maximum allowed" */
  MessageExceedsMaximum: 10054,
  /** the store refused the write, e.g. "maximum bytes exceeded" on a full stream with discard new */
  StreamStoreFailed: 10077,
} as const;

/** `e` and the errors it was caused by, outermost first. */
const causes = (e: unknown): unknown[] => {
  const out: unknown[] = [];
  for (let c = e; c instanceof Error && out.length < 8; c = c.cause) out.push(c);
  return out;
};

/** The JetStream API error code of a refusal, or undefined when `e` is no JetStream API error. */
export const jsErrorCode = (e: unknown): number | undefined => (e instanceof JetStreamApiError ? e.code : undefined);

/** Nothing subscribes to the subject (the service or the node is not there, or JetStream is not up yet). */
export const isNoResponders = (e: unknown): boolean => causes(e).some((c) => c instanceof NoRespondersError);

/** No answer arrived in time. */
export const isTimeout = (e: unknown): boolean => causes(e).some((c) => c instanceof TimeoutError);

/** The connection closed or dropped before an answer came. */
export const isConnectionLost = (e: unknown): boolean => {
  const chain = causes(e);
  if (chain.some((c) => c instanceof ClosedConnectionError)) return true;
  // A RequestError without a cause nats.js names is the connection closing or dropping under it.
  return e instanceof RequestError && !chain.some((c) => c instanceof NoRespondersError || c instanceof PermissionViolationError);
};

/** The bus did not answer (down, restarting, unreachable): worth another attempt shortly. */
export const isBusUnavailable = (e: unknown): boolean => isTimeout(e) || isNoResponders(e) || isConnectionLost(e);

/** An expected-last-sequence check failed: another writer got there first (compare-and-set lost). */
export const isWrongLastSequence = (e: unknown): boolean => {
  const code = jsErrorCode(e);
  return code === JsErrorCode.StreamWrongLastSequence || code === JsErrorCode.StreamWrongLastSequenceUnknown;
};

/** The stream, the account or the disk has no room for the write: nothing was stored. */
export const isStorageFull = (e: unknown): boolean => {
  const code = jsErrorCode(e);
  return (
    code === JsErrorCode.StreamStoreFailed ||
    code === JsErrorCode.InsufficientResources ||
    code === JsErrorCode.StorageResourcesExceeded ||
    code === JsErrorCode.AccountResourcesExceeded ||
    code === JsErrorCode.StreamLimits
  );
};

/** The named stream does not exist. */
export const isStreamNotFound = (e: unknown): boolean => jsErrorCode(e) === JsErrorCode.StreamNotFound;
