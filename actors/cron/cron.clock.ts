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
