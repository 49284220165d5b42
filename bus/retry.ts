import pRetry from "p-retry";

/**
 * The one retry loop: attempts, exponential backoff with a cap, an overall time budget, an abort
 * signal and a `retryable(e)` predicate. A thin layer over `p-retry` that speaks cairn's terms
 * (attempts in all rather than retries after the first) and keeps what is thrown as it was thrown.
 */

export interface RetryOptions {
  /** Attempts in all, the first included (default 3). `Infinity` retries until success, refusal or abort. */
  readonly attempts?: number;
  /** Wait before the second attempt in ms (default 250); 0 retries at once. */
  readonly baseMs?: number;
  /** Longest wait between two attempts in ms (default: no cap). */
  readonly maxMs?: number;
  /** Growth of the wait per attempt (default 2). */
  readonly factor?: number;
  /** No new attempt starts once this long has passed since the first one (ms); the last failure is thrown. */
  readonly maxElapsedMs?: number;
  /** Aborting stops waiting and rejects with the signal's reason; an attempt under way is not interrupted. */
  readonly signal?: AbortSignal;
  /**
   * Whether a failure is worth another attempt (default: every failure). A refused failure is
   * thrown at once. A `TypeError` (a bug, not an outage) is never retried.
   */
  readonly retryable?: (e: unknown) => boolean;
  /** Told about each failure that will be retried (for a log line), with the 1-based attempt that failed. */
  readonly onRetry?: (e: unknown, attempt: number) => void;
}

/** p-retry only handles Error objects: anything else thrown travels inside one of these. */
class Thrown extends Error {
  constructor(readonly value: unknown) {
    super(String(value));
  }
}

/** Runs `fn` (given the 1-based attempt number) until it resolves, then resolves with its value. */
export async function retry<T>(fn: (attempt: number) => Promise<T>, opts: RetryOptions = {}): Promise<T> {
  const attempts = opts.attempts ?? 3;
  if (!(attempts >= 1)) throw new RangeError(`retry: attempts must be at least 1 (got ${attempts})`);
  const unwrap = (e: unknown): unknown => (e instanceof Thrown ? e.value : e);
  // Fast path: most calls succeed at once, and p-retry's set-up costs more than a NATS publish
  // (measured: 20% of the log's concurrent append rate). A first failure is handed to p-retry as
  // its own first attempt, so backoff, predicates and hooks see exactly what they would have.
  let first: { error: unknown } | undefined;
  if (!opts.signal?.aborted) {
    try {
      return await fn(1);
    } catch (e) {
      first = { error: e };
    }
  }
  try {
    return await pRetry(
      async (attempt) => {
        try {
          if (attempt === 1 && first) throw first.error;
          return await fn(attempt);
        } catch (e) {
          throw e instanceof Error ? e : new Thrown(e);
        }
      },
      {
        retries: attempts - 1,
        minTimeout: opts.baseMs ?? 250,
        maxTimeout: opts.maxMs ?? Number.POSITIVE_INFINITY,
        factor: opts.factor ?? 2,
        ...(opts.maxElapsedMs !== undefined ? { maxRetryTime: opts.maxElapsedMs } : {}),
        ...(opts.signal ? { signal: opts.signal } : {}),
        shouldRetry: ({ error, attemptNumber }) => {
          const again = opts.retryable?.(unwrap(error)) ?? true;
          if (again) opts.onRetry?.(unwrap(error), attemptNumber);
          return again;
        },
      },
    );
  } catch (e) {
    throw unwrap(e);
  }
}
