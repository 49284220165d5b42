import { CairnError } from "../../schemas/index.ts";

/**
 * Wraps an SDK stream so that abort and silence are handled the same way for every provider.
 *
 * Why not trust the SDKs: both official SDKs treat an aborted body read as a normal end of the
 * stream (their iterators swallow AbortError), so a caller could not tell an abort from a finished
 * reply; and their `timeout` only covers the wait for response headers, so a server that stalls
 * mid-stream would hang the run forever. Each `next()` is raced against the abort so the iteration
 * ends promptly even if a custom `fetch` ignores the signal.
 */

/** An error raised while reading an already opened stream (as opposed to opening it). */
export class StreamReadError extends Error {
  constructor(readonly cause: unknown) {
    super(cause instanceof Error ? cause.message : String(cause));
    this.name = "StreamReadError";
  }
}

export interface GuardOptions {
  signal?: AbortSignal;
  idleTimeoutMs: number;
  /** The error to throw when the provider went silent for `idleTimeoutMs`. */
  onIdle: () => CairnError;
}

/** The error an aborted call throws: the caller's own CairnError reason, or `run_interrupted`. */
export function abortError(signal: AbortSignal): CairnError {
  const reason: unknown = signal.reason;
  if (reason instanceof CairnError) return reason;
  const why = reason instanceof Error ? reason.message : reason === undefined ? "aborted" : String(reason);
  return new CairnError("run_interrupted", `the model call was interrupted (${why})`, { reason: why });
}

export async function* guardStream<T>(open: (signal: AbortSignal) => PromiseLike<AsyncIterable<T>>, opts: GuardOptions): AsyncGenerator<T> {
  // One controller for the SDK request, aborted by the caller's signal or by the idle timer.
  // (Not AbortSignal.any: a long-lived caller signal would collect a dependent per call.)
  const inner = new AbortController();
  const signal = inner.signal;
  let idleFired = false;
  // Which of the two fired decides the error; the caller's abort wins a tie.
  const stopped = (): CairnError => (opts.signal?.aborted || !idleFired ? abortError(opts.signal ?? signal) : opts.onIdle());
  const onCallerAbort = (): void => inner.abort(opts.signal?.reason);
  if (opts.signal?.aborted) throw stopped();
  opts.signal?.addEventListener("abort", onCallerAbort, { once: true });

  let rejectStop!: (e: unknown) => void;
  const stop = new Promise<never>((_, reject) => (rejectStop = reject));
  stop.catch(() => {}); // only ever observed through Promise.race
  const onAbort = (): void => rejectStop(stopped());
  signal.addEventListener("abort", onAbort, { once: true });

  let timer: ReturnType<typeof setTimeout> | undefined;
  const armIdle = (): void => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      idleFired = true;
      inner.abort();
    }, opts.idleTimeoutMs);
  };
  const race = <R>(p: PromiseLike<R>): Promise<R> => {
    const settled = Promise.resolve(p);
    settled.catch(() => {}); // the loser of the race must not become an unhandled rejection
    return Promise.race([settled, stop]);
  };

  let iterator: AsyncIterator<T> | undefined;
  let finished = false;
  try {
    armIdle(); // the headers timeout is the SDK's; this also covers a custom fetch without one
    const iterable = await race(open(signal));
    iterator = iterable[Symbol.asyncIterator]();
    for (;;) {
      armIdle();
      let step: IteratorResult<T>;
      try {
        step = await race(iterator.next());
      } catch (e) {
        throw signal.aborted ? stopped() : new StreamReadError(e);
      } finally {
        clearTimeout(timer);
      }
      if (step.done) break;
      yield step.value;
    }
    finished = true;
    // The SDKs end their iteration quietly when the request is aborted: that is not a reply.
    if (signal.aborted) throw stopped();
  } catch (e) {
    if (signal.aborted && !(e instanceof CairnError)) throw stopped();
    throw e;
  } finally {
    clearTimeout(timer);
    signal.removeEventListener("abort", onAbort);
    opts.signal?.removeEventListener("abort", onCallerAbort);
    // Early exit (consumer break, abort, error): let the SDK cancel its request. Not awaited: a
    // pending next() would make return() wait for it.
    if (!finished && iterator?.return) void Promise.resolve(iterator.return()).catch(() => {});
    if (!finished) inner.abort();
  }
}

/** Guard options shared by the providers: the caller's signal and a silence limit naming the provider. */
export const providerGuard = (
  provider: string,
  shownURL: string,
  idleTimeoutMs: number,
  signal: AbortSignal | undefined,
): GuardOptions => ({
  ...(signal ? { signal } : {}),
  idleTimeoutMs,
  onIdle: () =>
    new CairnError(
      "provider_unreachable",
      `${provider} at ${shownURL} sent nothing for ${Math.round(idleTimeoutMs / 1000)} s mid-reply; gave up`,
      { provider, baseURL: shownURL },
    ),
});
