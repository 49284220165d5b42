/**
 * A rate-limited form's wait: after a `429` with `Retry-After: N`, its submit stays disabled and
 * the message counts down, so the next attempt is not one the gateway refuses again.
 */
export class Cooldown {
  #until = $state(0);
  #now = $state(Date.now());
  #timer: ReturnType<typeof setInterval> | undefined;

  start(seconds: number): void {
    this.stop();
    this.#now = Date.now();
    this.#until = this.#now + seconds * 1000;
    this.#timer = setInterval(() => {
      this.#now = Date.now();
      if (this.#now >= this.#until) this.stop();
    }, 250);
  }

  stop(): void {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
  }

  /** Whole seconds left, 0 when the form may be sent again. */
  get remaining(): number {
    return Math.max(0, Math.ceil((this.#until - this.#now) / 1000));
  }
}
