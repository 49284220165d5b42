import { assign, setup } from "xstate";
import { utf8Bytes as size } from "../../schemas/index.ts";
import type { MachineEvent } from "../runtime/index.ts";

export const STATE_MACHINE_VERSION = 1;

/** One stored value; `updatedAt` is the time of the event that set it (epoch ms). */
export interface StateEntry {
  readonly value: string;
  readonly updatedAt: number;
}

export interface StateContext {
  /**
   * namespace → key → entry. Plain objects (context must be JSON), so lookups go through
   * `Object.hasOwn`: a key named `constructor` must not find Object's prototype.
   */
  readonly entries: Readonly<Record<string, Readonly<Record<string, StateEntry>>>>;
  /** Entries over all namespaces, and their value bytes: what the limits are checked against. */
  readonly count: number;
  readonly bytes: number;
}

type Ev = MachineEvent<"state.value_set"> | MachineEvent<"state.value_deleted">;

const own = <T>(o: Readonly<Record<string, T>> | undefined, k: string): T | undefined =>
  o !== undefined && Object.hasOwn(o, k) ? o[k] : undefined;

/** The entry at (namespace, key), if any. */
export const entryAt = (c: StateContext, namespace: string, key: string): StateEntry | undefined => own(own(c.entries, namespace), key);

/** One session's key-value state (aggregate id = the session key). No effects: it only remembers. */
export const stateMachine = setup({
  types: { context: {} as StateContext, events: {} as Ev },
}).createMachine({
  id: "state",
  context: { entries: {}, count: 0, bytes: 0 },
  initial: "active",
  states: {
    active: {
      on: {
        "state.value_set": {
          actions: assign(({ context, event }) => {
            const { namespace, key, value } = event.data;
            const before = entryAt(context, namespace, key);
            const ns = { ...own(context.entries, namespace), [key]: { value, updatedAt: event.time } };
            return {
              entries: { ...context.entries, [namespace]: ns },
              count: context.count + (before ? 0 : 1),
              bytes: context.bytes + size(value) - (before ? size(before.value) : 0),
            };
          }),
        },
        "state.value_deleted": {
          actions: assign(({ context, event }) => {
            const { namespace, key } = event.data;
            const before = entryAt(context, namespace, key);
            if (!before) return {};
            const { [key]: _gone, ...rest } = own(context.entries, namespace) ?? {};
            const entries = { ...context.entries, [namespace]: rest };
            // An emptied namespace disappears, so listing namespaces never shows ghosts.
            if (Object.keys(rest).length === 0) delete entries[namespace];
            return { entries, count: context.count - 1, bytes: context.bytes - size(before.value) };
          }),
        },
      },
    },
  },
});
