import type { CronClock } from "./cron.clock.ts";
import { MinHeap } from "./min.heap.ts";

interface Entry {
  readonly id: string;
  readonly at: number;
  readonly onDue: () => void;
}

/**
 * Every job's next deadline in one priority queue behind one clock timer, in memory only (nothing
 * here is truth: the job decides against its log when its time comes). With 10,000 jobs that is
 * one timer and 10,000 small records, not 10,000 timers, closures and pending promises. Arming a
 * job again replaces its deadline, so an update or a second adopt never leaves two deadlines for
 * one job. A replaced or cancelled deadline stays in the queue until it surfaces (cheaper than
 * removing it), and is dropped then; the queue is rebuilt when such leftovers outnumber the jobs.
 */
export class CronTimers {
  readonly #armed = new Map<string, Entry>();
  #queue = new MinHeap<Entry>((e) => e.at);
  /** The deadline the clock timer is set for, and how to cancel it. */
  #clockAt: number | null = null;
  #cancelClock: () => void = () => {};

  constructor(private readonly clock: CronClock) {}

  /** Calls `onDue` once `at` has come on the clock (never synchronously), unless armed again or cancelled first. */
  arm(id: string, at: number, onDue: () => void): void {
    const entry = { id, at, onDue };
    this.#armed.set(id, entry);
    this.#queue.push(entry);
    if (this.#queue.length > 2 * this.#armed.size + 64) this.#compact();
    this.#schedule();
  }

  /** Arms only a job not armed yet: a deadline from a read model never replaces one the job itself set. */
  armIfAbsent(id: string, at: number, onDue: () => void): boolean {
    if (this.#armed.has(id)) return false;
    this.arm(id, at, onDue);
    return true;
  }

  has(id: string): boolean {
    return this.#armed.has(id);
  }

  cancel(id: string): void {
    if (this.#armed.delete(id) && this.#armed.size === 0) this.#schedule();
  }

  cancelWhere(match: (id: string) => boolean): void {
    for (const id of [...this.#armed.keys()]) if (match(id)) this.#armed.delete(id);
    this.#schedule();
  }

  get size(): number {
    return this.#armed.size;
  }

  #live(e: Entry): boolean {
    return this.#armed.get(e.id) === e;
  }

  #compact(): void {
    this.#queue = new MinHeap<Entry>((e) => e.at, [...this.#armed.values()]);
  }

  /** Points the one clock timer at the earliest live deadline. */
  #schedule(): void {
    let top = this.#queue.peek();
    while (top && !this.#live(top)) {
      this.#queue.pop();
      top = this.#queue.peek();
    }
    const at = top?.at ?? null;
    if (at === this.#clockAt) return;
    this.#cancelClock();
    this.#cancelClock = () => {};
    this.#clockAt = at;
    if (at === null) return;
    let fired = false;
    const cancel = this.clock.setTimer(at, () => {
      fired = true;
      if (this.#clockAt !== at) return;
      this.#clockAt = null;
      this.#fireDue();
    });
    // A clock that called back at once has already moved on: its cancel belongs to a spent timer.
    if (!fired) this.#cancelClock = cancel;
  }

  #fireDue(): void {
    const now = this.clock.now();
    const due: Entry[] = [];
    for (let top = this.#queue.peek(); top && top.at <= now; top = this.#queue.peek()) {
      this.#queue.pop();
      if (!this.#live(top)) continue;
      this.#armed.delete(top.id);
      due.push(top);
    }
    this.#schedule();
    // After the queue is settled: a job's work may arm it again.
    for (const e of due) queueMicrotask(e.onDue);
  }
}
