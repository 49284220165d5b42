import { CairnError } from "../../../schemas/index.ts";

/**
 * The error an aborted local call throws: the caller's own CairnError reason (e.g. `timeout`),
 * otherwise `run_interrupted`. Same contract as the cloud providers (see provider.ts).
 */
export function abortError(signal: AbortSignal): CairnError {
  const reason: unknown = signal.reason;
  if (reason instanceof CairnError) return reason;
  const why = reason instanceof Error ? reason.message : reason === undefined ? "aborted" : String(reason);
  return new CairnError("run_interrupted", `the model call was interrupted (${why})`, { reason: why });
}

/** `p`, or the abort error as soon as `signal` fires (`p` keeps running; its outcome is dropped). */
export function raceAbort<T>(p: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) {
    p.catch(() => {});
    return Promise.reject(abortError(signal));
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal));
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}

/**
 * A FIFO lock. One context sequence evaluates one prompt at a time, so requests to one model
 * queue here instead of fighting over the sequence (and over the cores). A waiter whose signal
 * aborts leaves the queue at once, without ever holding the lock.
 */
export class Mutex {
  private tail: Promise<void> = Promise.resolve();
  private waiting = 0;

  /** Requests holding or waiting for the lock. */
  get pending(): number {
    return this.waiting;
  }

  acquire(signal?: AbortSignal): Promise<() => void> {
    let done!: () => void;
    const mine = new Promise<void>((r) => (done = r));
    const turn = this.tail;
    this.tail = turn.then(() => mine);
    this.waiting++;
    let released = false;
    const release = () => {
      if (released) return;
      released = true;
      this.waiting--;
      done();
    };
    if (!signal) return turn.then(() => release);
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        reject(abortError(signal));
        void turn.then(release); // pass our turn on as soon as it comes
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener("abort", onAbort, { once: true });
      void turn.then(() => {
        if (signal.aborted) return;
        signal.removeEventListener("abort", onAbort);
        resolve(release);
      });
    });
  }
}
