import type { AnyStateMachine, SnapshotFrom } from "xstate";
import type * as Schema from "effect/Schema";
import { CairnError, decodeOrFail, type AggregateKind, type NewEvent } from "../../schemas/index.ts";

/** Inputs a decision may use besides the snapshot: injected so tests are deterministic. */
export interface DecideEnv {
  readonly now: number;
  readonly newId: () => string;
}

/** What a command decided: the events to append (possibly none) and the reply to the caller. */
export interface Decision {
  readonly events: readonly NewEvent[];
  /** Deterministic event ids make a retried command idempotent at the log (Nats-Msg-Id). */
  readonly eventIds?: readonly string[];
  readonly reply: unknown;
}

/**
 * Everything pure about one kind of aggregate: its machine, how commands decode and how they are
 * decided against the current snapshot. Effects are supplied separately, by the host's owner.
 */
export interface AggregateSpec<M extends AnyStateMachine, C> {
  readonly kind: AggregateKind;
  readonly machine: M;
  readonly machineVersion: number;
  readonly input: (id: string) => unknown;
  readonly decodeCommand: (verb: string, params: unknown) => C;
  readonly decide: (snapshot: SnapshotFrom<M>, command: C, env: DecideEnv) => Decision;
  /**
   * Effects that keep working for as long as the world needs (a tool call waiting for a person):
   * adopting an aggregate hands them over without waiting for them, unlike repairs.
   */
  readonly continuing?: readonly string[];
}

export type { EffectTable } from "./effects.ts";

/** The commands of a table of param schemas: one `{verb, params}` per verb, derived so the two never drift. */
export type CommandOf<T extends Record<string, Schema.ConstraintDecoder<unknown>>> = {
  [V in keyof T]: { verb: V; params: T[V]["Type"] };
}[keyof T];

/**
 * A `decodeCommand` from a table of param schemas: unknown verbs are `unknown_method`, params that
 * do not decode are `bad_request` — before anything is decided.
 */
export const commandDecoder =
  <T extends Record<string, Schema.ConstraintDecoder<unknown>>>(what: string, schemas: T) =>
  (verb: string, params: unknown): CommandOf<T> => {
    if (!Object.hasOwn(schemas, verb)) throw new CairnError("unknown_method", `${what} have no command '${verb}'`);
    return { verb, params: decodeOrFail(schemas[verb], params, `${verb} params`) } as never;
  };
