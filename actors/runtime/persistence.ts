import { transition, type AnyStateMachine, type SnapshotFrom } from "xstate";
import type { MachineEvent } from "./machine-events.ts";

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

/** Folds events through the pure transition, returning the snapshot and the actions it emitted. */
export const fold = <M extends AnyStateMachine>(
  machine: M,
  snapshot: SnapshotFrom<M>,
  events: readonly MachineEvent[],
): { snapshot: SnapshotFrom<M>; actions: Array<{ type: string; params: unknown }> } => {
  let current = snapshot;
  const actions: Array<{ type: string; params: unknown }> = [];
  for (const e of events) {
    const [next, emitted] = transition(machine, current as never, e as never);
    current = next as SnapshotFrom<M>;
    for (const a of emitted) actions.push({ type: a.type, params: a.params });
  }
  return { snapshot: current, actions };
};
