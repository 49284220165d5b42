/**
 * The scheduler's time: read and wait on through one port, so tests move a clock by hand and every
 * slot runs without waiting. The deadlines themselves are data in each job's context.
 */
export interface CronClock {
  now(): number;
  /** Calls `fire` once, at or after `at` on this clock; the returned function cancels it. */
  setTimer(at: number, fire: () => void): () => void;
}

// setTimeout's bound is ~24.8 days; a later deadline waits in steps and checks the clock again.
const MAX_DELAY = 2 ** 31 - 1;

/** Wall-clock time. A timer fired early (a clock step) waits again instead of firing. */
export const systemClock: CronClock = {
  now: () => Date.now(),
  setTimer(at, fire) {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const wait = () => {
      const left = at - Date.now();
      if (left <= 0) return fire();
      timer = setTimeout(wait, Math.min(left, MAX_DELAY));
      timer.unref?.();
    };
    // Never synchronously, even when already due: the caller finishes registering the timer first.
    timer = setTimeout(wait, Math.max(0, Math.min(at - Date.now(), MAX_DELAY)));
    timer.unref?.();
    return () => clearTimeout(timer);
  },
};

/**
 * One timer per job, in memory only (nothing here is truth): arming a job again replaces its
 * timer, so an update or a second adopt never leaves two timers firing for one job. The promise
 * of `arm` settles when the timer fired and its work finished, or when it was replaced or
 * cancelled: the host counts the job as live meanwhile and does not re-arm it.
 */
export class CronTimers {
  readonly #armed = new Map<string, { cancel: () => void; settle: () => void }>();

  constructor(private readonly clock: CronClock) {}

  arm(id: string, at: number, onDue: () => Promise<void>): Promise<void> {
    this.cancel(id);
    return new Promise<void>((resolve, reject) => {
      // Registered before the clock is asked, so a clock that fires at once still finds it.
      const entry = { settle: resolve, cancel: () => {} };
      this.#armed.set(id, entry);
      entry.cancel = this.clock.setTimer(at, () => {
        if (this.#armed.get(id) !== entry) return;
        this.#armed.delete(id);
        onDue().then(resolve, reject);
      });
    });
  }

  cancel(id: string): void {
    const e = this.#armed.get(id);
    if (!e) return;
    this.#armed.delete(id);
    e.cancel();
    e.settle();
  }

  cancelWhere(match: (id: string) => boolean): void {
    for (const id of [...this.#armed.keys()]) if (match(id)) this.cancel(id);
  }

  get size(): number {
    return this.#armed.size;
  }
}
