import type { CronClock } from "../../../actors/cron/index.ts";

/** A clock moved by hand: timers fire when `advance` passes their time (or at once, if already due). */
export class ManualClock implements CronClock {
  #timers = new Set<{ at: number; fire: () => void }>();
  constructor(public t: number) {}
  now = () => this.t;
  setTimer(at: number, fire: () => void): () => void {
    const timer = { at, fire };
    this.#timers.add(timer);
    if (at <= this.t) setImmediate(() => this.#fireDue());
    return () => this.#timers.delete(timer);
  }
  /** Moves time on and fires what became due. */
  advance(ms: number): void {
    this.t += ms;
    this.#fireDue();
  }
  set(t: number): void {
    this.t = t;
    this.#fireDue();
  }
  get pending(): number {
    return this.#timers.size;
  }
  #fireDue(): void {
    for (const timer of [...this.#timers]) {
      if (timer.at > this.t) continue;
      this.#timers.delete(timer);
      timer.fire();
    }
  }
}
