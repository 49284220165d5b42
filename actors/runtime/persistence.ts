import { transition, type AnyStateMachine, type SnapshotFrom } from "xstate";
import { CairnError } from "../../schemas/index.ts";
import { HYDRATED, type Hydrated, type MachineEvent } from "./machine-events.ts";

/**
 * The one module that knows how XState snapshots are persisted and restored (XState v6 changes
 * persistence; keep the blast radius here). We store only `{value, context}`: context is plain
 * data by rule, and the value names the state.
 */

export interface PersistedState {
  readonly value: unknown;
  readonly context: unknown;
}

export const persist = (snapshot: { value: unknown; context: unknown }): PersistedState => ({
  value: snapshot.value,
  context: snapshot.context,
});

export const restore = <M extends AnyStateMachine>(machine: M, state: PersistedState): SnapshotFrom<M> =>
  machine.resolveState({ value: state.value as never, context: state.context as never }) as SnapshotFrom<M>;

/**
 * Whether the state `snapshot` is in has a transition for `event` whose guard passes. XState v5
 * drops an event no state handles without a word; in an event-sourced aggregate that would make
 * the snapshot silently disagree with the log, so the fold asks first. Unlike `snapshot.can`, a
 * deliberately empty transition (`{}`: "accepted, changes nothing") counts as handled — that is how
 * a machine says a stored event is a no-op in some state.
 */
export const accepts = (machine: AnyStateMachine, snapshot: unknown, event: { type: string }): boolean =>
  machine.getTransitionData(snapshot as never, event as never).length > 0;

/**
 * Folds events through the pure transition, returning the snapshot and the actions it emitted.
 * Fails with `internal` (naming the aggregate kind — the machine's id —, the event type, its
 * sequence and the state) at the first event the current state does not take: a `decide` that
 * produced it, or a log that holds it, disagrees with the machine, and folding on would hide that.
 * `cairn.hydrated` is exempt: it is never stored and a state without effects to re-arm ignores it.
 */
export const fold = <M extends AnyStateMachine>(
  machine: M,
  snapshot: SnapshotFrom<M>,
  events: readonly (MachineEvent | Hydrated)[],
): { snapshot: SnapshotFrom<M>; actions: Array<{ type: string; params: unknown }> } => {
  let current = snapshot;
  const actions: Array<{ type: string; params: unknown }> = [];
  for (const e of events) {
    if (e.type !== HYDRATED && !accepts(machine, current, e)) {
      const state = JSON.stringify((current as { value: unknown }).value);
      throw new CairnError(
        "internal",
        `${machine.id} machine in state ${state} does not accept '${e.type}' at sequence ${e.seq}: the log and the machine disagree`,
        { kind: machine.id, type: e.type, seq: e.seq, state: (current as { value: unknown }).value },
      );
    }
    const [next, emitted] = transition(machine, current as never, e as never);
    current = next as SnapshotFrom<M>;
    for (const a of emitted) actions.push({ type: a.type, params: a.params });
  }
  return { snapshot: current, actions };
};
