import { initialTransition, transition, type AnyStateMachine, type SnapshotFrom } from "xstate";
import { currentProvenance, withProvenance, type EventLog, type Provenance, type SnapshotStore } from "../../bus/index.ts";
import { CairnError, isCairnError, type AggregateKind, type AnyStoredEvent, type NewEvent } from "../../schemas/index.ts";
import type { AggregateSpec } from "./aggregate.ts";
import { declaredEffects, type EffectFn, type EffectSupervisor, type EffectTable } from "./effects.ts";
import { HYDRATED, toMachineEvent } from "./machine-events.ts";
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
  /**
   * Resolves when this process may append to the aggregate now; rejects (`not_owner`,
   * `unavailable`) when it may not. Absent: this process is the only writer.
   */
  readonly fence?: (kind: AggregateKind, id: string, context: unknown, command: unknown) => Promise<void> | undefined;
  /**
   * Whether this process owns the aggregate. One it does not own may change under it (its owner
   * writes elsewhere), so it is read fresh from the log each time, never cached. Absent: owns all.
   */
  readonly owns?: (kind: AggregateKind, id: string, context: unknown) => boolean;
  /**
   * Told of every append this host made, after it is durable, with the state it led to: where
   * observers (lifecycle hooks) learn facts once, in the process that decided them. Must not throw.
   */
  readonly appended?: (kind: AggregateKind, id: string, events: readonly NewEvent[], context: unknown) => void;
}

/** Attempts of one command when another writer got there first (each reloads and decides again). */
const CONFLICT_ATTEMPTS = 3;

interface Loaded<M extends AnyStateMachine> {
  snapshot: SnapshotFrom<M>;
  lastSeq: number;
  sinceSnapshot: number;
}

/**
 * The single writer of one kind of aggregate in this process. Commands for the same id run one at
 * a time; each append names the last sequence this host saw, so a writer elsewhere makes it fail
 * loudly (`conflict`) instead of forking history. Effects run only after their event is appended,
 * and hydration folds events without running any; `adopt` re-arms the effects of the state an
 * aggregate is in (the machine says which), which is how a crash or a failover is recovered.
 */
export class AggregateHost<M extends AnyStateMachine, C> {
  private readonly cache = new Map<string, Loaded<M>>();
  private readonly queues = new Map<string, Promise<unknown>>();
  private effects: Record<string, EffectFn> | undefined;
  private supervise: EffectSupervisor | undefined;
  private readonly pending = new Set<Promise<unknown>>();
  /** Effects running per aggregate: one that has some is live here and is never re-armed. */
  private readonly live = new Map<string, number>();
  private readonly declared: ReadonlySet<string>;

  constructor(
    readonly spec: AggregateSpec<M, C>,
    private readonly deps: HostDeps,
  ) {
    this.declared = new Set(declaredEffects(spec.machine));
  }

  /**
   * Attaches the effects (after construction: they usually need other hosts) and the supervisor
   * that turns a failed effect into an event. Every effect the machine declares must be there.
   */
  setEffects<E extends EffectTable<E>>(effects: E, supervise: EffectSupervisor): void {
    const missing = [...this.declared].filter((name) => typeof (effects as Record<string, unknown>)[name] !== "function");
    if (missing.length > 0) throw new CairnError("internal", `${this.spec.kind} effects not implemented: ${missing.join(", ")}`);
    this.effects = effects as Record<string, EffectFn>;
    this.supervise = supervise;
  }

  /**
   * Decides and applies one command; resolves with the decision's reply. When another writer
   * appended first (`conflict`), the aggregate is reloaded and the command decided again on what
   * that writer wrote — a retried `start_tool` then answers "already started", not a second start.
   */
  execute(id: string, command: C, meta: { correlationId?: string; causationId?: string } = {}): Promise<unknown> {
    return this.serialized(id, async () => {
      for (let attempt = 1; ; attempt++) {
        try {
          return await this.executeNow(id, command, meta);
        } catch (e) {
          if (!(isCairnError(e) && e.code === "conflict") || attempt >= CONFLICT_ATTEMPTS) throw e;
          this.deps.report(`${this.spec.kind} ${id}: another writer appended first; deciding again on the reloaded state`);
        }
      }
    });
  }

  /** The cached state of an aggregate this process owns, without loading anything; undefined when not cached. */
  peek(id: string): SnapshotFrom<M> | undefined {
    const cached = this.cache.get(id);
    return cached && this.ownsLoaded(id, cached) ? cached.snapshot : undefined;
  }

  /** Drops every cached aggregate (ownership changed: what another writer did must be read again). */
  forget(): void {
    this.cache.clear();
  }

  /** Aggregates with effects running here. */
  liveIds(): string[] {
    return [...this.live.keys()];
  }

  /** Current state of an aggregate (from cache or hydrated from the log), for read-only use. */
  read(id: string): Promise<{ snapshot: SnapshotFrom<M>; lastSeq: number }> {
    return this.serialized(id, () => this.load(id));
  }

  /**
   * Takes an aggregate over: hydrates it and runs the effects its state re-arms on
   * `cairn.hydrated` — unless effects of it are already running here (it is live, not orphaned).
   * Resolves once those effects have settled, except the ones the spec calls `continuing` (work
   * that waits on the world, such as a tool call waiting for a person): those are handed over.
   */
  adopt(id: string): Promise<SnapshotFrom<M>> {
    return this.serialized(id, async () => {
      const loaded = await this.load(id);
      if ((this.live.get(id) ?? 0) > 0) return { snapshot: loaded.snapshot, repairs: [] };
      const [, actions] = transition(this.spec.machine, loaded.snapshot as never, { type: HYDRATED } as never);
      // A repair after a restart acts for the aggregate itself; the request that began its work is gone.
      const cause = { actor: "system:recovery", ...effectActor(this.spec.kind, id) };
      return {
        snapshot: loaded.snapshot,
        repairs: actions.map((a) => withProvenance(cause, () => this.runEffect(id, { type: a.type, params: a.params }, true))),
      };
    }).then(async ({ snapshot, repairs }) => {
      // Outside the aggregate's queue: a repair dispatches commands to the aggregate itself.
      await Promise.all(repairs);
      return snapshot;
    });
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
    const eventIds = decision.eventIds ?? decision.events.map(() => this.deps.newId());
    // The chain of work these events belong to: the caller's, else the one they start.
    const correlationId = meta.correlationId ?? currentProvenance().correlationId ?? eventIds[0];
    try {
      await this.deps.fence?.(this.spec.kind, id, (loaded.snapshot as { context: unknown }).context, command);
      seqs = await this.deps.log.append({
        kind: this.spec.kind,
        id,
        expectedSeq: loaded.lastSeq,
        events: decision.events,
        eventIds,
        now,
        ...meta,
        correlationId,
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
    // The effects act for the events that decided them: what they append names those as its cause.
    const cause = { ...effectActor(this.spec.kind, id), correlationId, causationId: eventIds[eventIds.length - 1] };
    for (const action of applied.actions) withProvenance(cause, () => this.runEffect(id, action));
    this.deps.appended?.(this.spec.kind, id, decision.events, (applied.snapshot as { context: unknown }).context);
    return decision.reply;
  }

  /** Starts one effect; the promise settles with it (never rejects), or at once when it continues. */
  private runEffect(id: string, action: { type: string; params: unknown }, adopting = false): Promise<void> {
    // xstate's own actions (assign, ...) come back too: only declared effects run.
    if (!this.declared.has(action.type)) return Promise.resolve();
    const fn = this.effects?.[action.type];
    if (!fn)
      return this.failed({
        id,
        params: action.params,
        action: action.type,
        error: new CairnError("internal", `${this.spec.kind} effects are not attached`),
      });
    this.live.set(id, (this.live.get(id) ?? 0) + 1);
    const p = (async () => fn(action.params as never, { id }))()
      .catch((error) => this.failed({ id, action: action.type, params: action.params, error }))
      .finally(() => {
        this.pending.delete(p);
        const n = (this.live.get(id) ?? 1) - 1;
        if (n > 0) this.live.set(id, n);
        else this.live.delete(id);
      });
    this.pending.add(p);
    return adopting && this.spec.continuing?.includes(action.type) ? Promise.resolve() : p;
  }

  private async failed(f: { id: string; action: string; params: unknown; error: unknown }): Promise<void> {
    const what = `effect ${this.spec.kind}.${f.action} for ${f.id}`;
    this.deps.report(`${what} failed: ${(f.error as Error)?.message ?? String(f.error)}`);
    // The supervisor records the failure as an event; if even that fails, the next adopt repairs it.
    await this.supervise?.(f).catch((e) => this.deps.report(`${what}: its failure could not be recorded either: ${(e as Error).message}`));
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
    if (cached && !this.ownsLoaded(id, cached)) this.cache.delete(id);
    else if (cached) {
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
    if (!this.ownsLoaded(id, loaded)) return loaded;
    this.cache.set(id, loaded);
    const oldest = this.cache.keys().next();
    if (this.cache.size > (this.deps.cacheSize ?? 1000) && !oldest.done) this.cache.delete(oldest.value);
    return loaded;
  }

  private ownsLoaded(id: string, loaded: Loaded<M>): boolean {
    return this.deps.owns?.(this.spec.kind, id, (loaded.snapshot as { context: unknown }).context) ?? true;
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

/**
 * Who an aggregate's effects act as: a run's are the agent's doing, a cron job's the schedule's;
 * the others (a session starting a run, an approval's expiry) act for whoever caused them.
 */
const effectActor = (kind: AggregateKind, id: string): Provenance =>
  kind === "run" ? { actor: `agent:${id}` } : kind === "cron" ? { actor: `cron:${id}` } : {};
