/**
 * The run's `[agent] timeout` as a budget of working time: it stops counting while a person is
 * being asked (a pending approval has its own expiry), so a slow answer does not kill the run.
 * Nested pauses (parallel calls each waiting for an approval) count: it resumes when all ended.
 */
export class RunDeadline {
  #left: number;
  #since = 0;
  #timer: ReturnType<typeof setTimeout> | undefined;
  #paused = 0;
  #done = false;

  constructor(
    budgetMs: number,
    private readonly fire: () => void,
    private readonly now: () => number = () => performance.now(),
  ) {
    this.#left = budgetMs;
    this.#arm();
  }

  /** Stops the clock until the matching `resume`. */
  pause(): void {
    if (this.#done || this.#paused++ > 0) return;
    clearTimeout(this.#timer);
    this.#left -= this.now() - this.#since;
  }

  resume(): void {
    if (this.#done || this.#paused === 0 || --this.#paused > 0) return;
    this.#arm();
  }

  clear(): void {
    this.#done = true;
    clearTimeout(this.#timer);
  }

  #arm(): void {
    this.#since = this.now();
    this.#timer = setTimeout(
      () => {
        this.#done = true;
        this.fire();
      },
      Math.max(0, this.#left),
    );
  }
}
