/** Given-events / when-command / then-events helpers for pure machine tests (no bus, no I/O). */
import { initialTransition, transition, type AnyStateMachine, type SnapshotFrom } from "xstate";
import { fold, HYDRATED, type AggregateSpec, type Decision } from "../../actors/runtime/index.ts";
import type { NewEvent } from "../../schemas/index.ts";

export function given<M extends AnyStateMachine, C>(spec: AggregateSpec<M, C>, id: string, events: NewEvent[]) {
  let ids = 0;
  const start = initialTransition(spec.machine, spec.input(id) as never)[0] as SnapshotFrom<M>;
  const folded = fold(
    spec.machine,
    start,
    events.map((e, i) => ({ type: e.type, data: e.data, seq: i + 1, time: 1000 + i }) as never),
  );
  return {
    snapshot: folded.snapshot,
    /** Decodes and decides a command as the host would, with deterministic ids and time. */
    when(verb: string, params: unknown): Decision & { actions: Array<{ type: string; params: unknown }> } {
      const decision = spec.decide(folded.snapshot, spec.decodeCommand(verb, params), { now: 5000, newId: () => `id${++ids}` });
      const after = fold(
        spec.machine,
        folded.snapshot,
        decision.events.map((e, i) => ({ type: e.type, data: e.data, seq: events.length + i + 1, time: 5000 }) as never),
      );
      return { ...decision, actions: after.actions };
    },
    /** The effects a host taking the aggregate over (after a crash) re-arms, as `adopt` runs them. */
    hydrated(): Array<{ type: string; params: unknown }> {
      const [next, actions] = transition(spec.machine, folded.snapshot as never, { type: HYDRATED } as never);
      if (JSON.stringify((next as { context: unknown }).context) !== JSON.stringify((folded.snapshot as { context: unknown }).context))
        throw new Error("cairn.hydrated changed the context");
      return actions.map((a) => ({ type: a.type, params: a.params }));
    },
  };
}
