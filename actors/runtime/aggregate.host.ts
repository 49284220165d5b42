import { initialTransition, type AnyStateMachine, type SnapshotFrom } from "xstate";
import type { EventLog, SnapshotStore } from "../../bus/index.ts";
import { CairnError, type AnyStoredEvent } from "../../schemas/index.ts";
import type { AggregateSpec, EffectTable } from "./aggregate.ts";
import { toMachineEvent } from "./machine-events.ts";
import { fold, persist, restore } from "./persistence.ts";

export interface HostDeps {
  readonly log: EventLog;
  readonly snapshots: SnapshotStore;
  readonly now: () => number;
  readonly newId: () => string;
  readonly report: (line: string) => void;
  /** Take a snapshot after this many events since the last one. */
  readonly snapshotEvery?: number;
  /** Aggregates kept hydrated in memory (least recently used are dropped; they rehydrate). */
  readonly cacheSize?: number;
}

interface Loaded<M extends AnyStateMachine> {
  snapshot: SnapshotFrom<M>;
  lastSeq: number;
  sinceSnapshot: number;
}

/**
 * The single writer of one kind of aggregate in this process. Commands for the same id run one at
 * a time; each append names the last sequence this host saw, so a writer elsewhere makes it fail
 * loudly (`conflict`) instead of forking history. Effects run only after their event is appended,
 * and hydration folds events without running any.
 */
export class AggregateHost<M extends AnyStateMachine, C> {
  private readonly cache = new Map<string, Loaded<M>>();
  private readonly queues = new Map<string, Promise<unknown>>();
  private effects: EffectTable = {};
  private readonly pending = new Set<Promise<unknown>>();

  constructor(
    readonly spec: AggregateSpec<M, C>,
    private readonly deps: HostDeps,
  ) {}

  /** Effects are attached after construction because they usually need other hosts. */
  setEffects(effects: EffectTable): void {
    this.effects = effects;
  }

  /** Decides and applies one command; resolves with the decision's reply. */
  execute(id: string, command: C, meta: { correlationId?: string; causationId?: string } = {}): Promise<unknown> {
    return this.serialized(id, () => this.executeNow(id, command, meta));
  }

  /** Current state of an aggregate (from cache or hydrated from the log), for read-only use. */
  read(id: string): Promise<{ snapshot: SnapshotFrom<M>; lastSeq: number }> {
    return this.serialized(id, () => this.load(id));
  }

  /** Waits for effects started so far (used on shutdown and in tests). */
  async drain(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }

  private async executeNow(id: string, command: C, meta: { correlationId?: string; causationId?: string }) {
    const loaded = await this.load(id);
    const now = this.deps.now();
    const decision = this.spec.decide(loaded.snapshot, command, { now, newId: this.deps.newId });
    if (decision.events.length === 0) return decision.reply;
    let seqs: number[];
    try {
      seqs = await this.deps.log.append({
        kind: this.spec.kind,
        id,
        expectedSeq: loaded.lastSeq,
        events: decision.events,
        eventIds: decision.eventIds ?? decision.events.map(() => this.deps.newId()),
        now,
        ...meta,
      });
    } catch (e) {
      // Whatever happened, the cached state may now be stale: the next command rehydrates.
      this.cache.delete(id);
      throw e;
    }
    const applied = fold(
      this.spec.machine,
      loaded.snapshot,
      decision.events.map((e, i) => ({ type: e.type, data: e.data, seq: seqs[i], time: now }) as never),
    );
    loaded.snapshot = applied.snapshot;
    loaded.lastSeq = seqs[seqs.length - 1];
    loaded.sinceSnapshot += seqs.length;
    if (loaded.sinceSnapshot >= (this.deps.snapshotEvery ?? 50)) this.snapshot(id, loaded);
    for (const action of applied.actions) this.runEffect(id, action);
    return decision.reply;
  }

  private runEffect(id: string, action: { type: string; params: unknown }): void {
    const fn = this.effects[action.type];
    if (!fn) return;
    const p = (async () => fn(action.params as never, { id }))()
      .catch((e) => this.deps.report(`effect ${this.spec.kind}.${action.type} for ${id} failed: ${(e as Error).message}`))
      .finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  private snapshot(id: string, loaded: Loaded<M>): void {
    loaded.sinceSnapshot = 0;
    const snap = { seq: loaded.lastSeq, machineVersion: this.spec.machineVersion, state: persist(loaded.snapshot) };
    this.deps.snapshots
      .put(this.spec.kind, id, snap)
      .catch((e) => this.deps.report(`snapshot of ${this.spec.kind} ${id} failed: ${(e as Error).message}`));
  }

  private async load(id: string): Promise<Loaded<M>> {
    const cached = this.cache.get(id);
    if (cached) {
      // Re-insert: a Map iterates in insertion order, so the first key is the least recently used.
      this.cache.delete(id);
      this.cache.set(id, cached);
      return cached;
    }
    let snapshot: SnapshotFrom<M>;
    let fromSeq = 0;
    const snap = await this.deps.snapshots.get(this.spec.kind, id);
    if (snap && snap.machineVersion === this.spec.machineVersion) {
      snapshot = restore(this.spec.machine, snap.state as never);
      fromSeq = snap.seq;
    } else {
      // No snapshot, or one written by another machine version: replay from the first event.
      snapshot = initialTransition(this.spec.machine, this.spec.input(id) as never)[0] as SnapshotFrom<M>;
    }
    const { records, lastSeq } = await this.deps.log.load(this.spec.kind, id, fromSeq);
    const events: AnyStoredEvent[] = [];
    for (const r of records) {
      if (!r.ok) {
        throw new CairnError("internal", `${this.spec.kind} ${id} has an undecodable event at sequence ${r.bad.seq}: ${r.bad.error}`);
      }
      events.push(r.event);
    }
    const folded = fold(this.spec.machine, snapshot, events.map(toMachineEvent));
    const loaded: Loaded<M> = { snapshot: folded.snapshot, lastSeq: Math.max(lastSeq, fromSeq), sinceSnapshot: events.length };
    this.cache.set(id, loaded);
    if (this.cache.size > (this.deps.cacheSize ?? 1000)) this.cache.delete(this.cache.keys().next().value!);
    return loaded;
  }

  private serialized<T>(id: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.queues.get(id) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.queues.set(id, tail);
    void tail.then(() => {
      if (this.queues.get(id) === tail) this.queues.delete(id);
    });
    return next;
  }
}
