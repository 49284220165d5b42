import type { SnapshotFrom } from "xstate";
import { CairnError, STATE_MAX_ENTRIES, STATE_MAX_TOTAL_BYTES, StateValueDeleted, StateValueSet, utf8Bytes } from "../../schemas/index.ts";
import { commandDecoder, type CommandOf, type AggregateSpec, type Decision, type DecideEnv } from "../runtime/index.ts";
import { STATE_MACHINE_VERSION, entryAt, stateMachine } from "./state.machine.ts";

// The commands carry exactly what their events will: the event schemas check names and sizes.
const schemas = { set: StateValueSet, delete: StateValueDeleted } as const;

export type StateCommand = CommandOf<typeof schemas>;

/** What `set` replies: the entry as stored, and whether anything was written. */
export interface StateSetReply {
  readonly namespace: string;
  readonly key: string;
  readonly value: string;
  readonly updatedAt: number;
  readonly changed: boolean;
}
/** What `delete` replies: whether there was an entry to delete. */
export interface StateDeleteReply {
  readonly namespace: string;
  readonly key: string;
  readonly deleted: boolean;
}

type Snapshot = SnapshotFrom<typeof stateMachine>;

export const stateSpec: AggregateSpec<typeof stateMachine, StateCommand> = {
  kind: "state",
  machine: stateMachine,
  machineVersion: STATE_MACHINE_VERSION,
  input: () => ({}),
  decodeCommand: commandDecoder("session state", schemas),
  decide: (s, c, env) => decide(s, c, env),
};

/**
 * Setting the value already stored writes nothing (and keeps its time); deleting a missing entry
 * writes nothing. The limits are checked against the state as it would be after the change, so a
 * full store still accepts overwrites that do not grow it.
 */
const decide = (s: Snapshot, c: StateCommand, env: DecideEnv): Decision => {
  const ctx = s.context;
  const { namespace, key } = c.params;
  const before = entryAt(ctx, namespace, key);
  if (c.verb === "delete") {
    const reply: StateDeleteReply = { namespace, key, deleted: before !== undefined };
    return before ? { events: [{ type: "state.value_deleted", data: { namespace, key } }], reply } : { events: [], reply };
  }
  const { value } = c.params;
  if (before?.value === value) {
    const reply: StateSetReply = { namespace, key, value, updatedAt: before.updatedAt, changed: false };
    return { events: [], reply };
  }
  if (!before && ctx.count >= STATE_MAX_ENTRIES) {
    throw new CairnError(
      "bad_request",
      `this session already holds ${STATE_MAX_ENTRIES} state entries (the limit); delete some before adding ${namespace}/${key}`,
      { reason: "too_many_entries", limit: STATE_MAX_ENTRIES },
    );
  }
  const bytes = ctx.bytes + utf8Bytes(value) - (before ? utf8Bytes(before.value) : 0);
  if (bytes > STATE_MAX_TOTAL_BYTES) {
    throw new CairnError(
      "bad_request",
      `setting ${namespace}/${key} would make this session's state ${bytes} bytes; the limit is ${STATE_MAX_TOTAL_BYTES / 1024} KiB — delete entries you no longer need`,
      { reason: "state_too_large", limit: STATE_MAX_TOTAL_BYTES },
    );
  }
  const reply: StateSetReply = { namespace, key, value, updatedAt: env.now, changed: true };
  return { events: [{ type: "state.value_set", data: { namespace, key, value } }], reply };
};
