import * as Schema from "effect/Schema";
import { decodeOrFail, StateKey, StateNamespace } from "../../schemas/index.ts";
import type { Dispatch } from "../runtime/index.ts";
import type { StateDeleteReply, StateSetReply } from "./state.commands.ts";
import { entryAt, type StateContext } from "./state.machine.ts";

/** One entry as read back: its key, value and the time it was last changed (epoch ms). */
export interface StateItem {
  readonly key: string;
  readonly value: string;
  readonly updatedAt: number;
}

/**
 * A session's key-value state, typed. Writes are commands to the session's `state` aggregate
 * (events, so they survive restarts and are audited); reads come from the aggregate's current
 * state. Bad names or sizes fail with `bad_request` and change nothing.
 */
export interface SessionStateStore {
  get(sessionKey: string, namespace: string, key: string): Promise<StateItem | null>;
  /** Records the value; setting the value already stored writes nothing (`changed: false`). */
  set(sessionKey: string, namespace: string, key: string, value: string): Promise<StateSetReply>;
  /** The namespace's entries, sorted by key. */
  list(sessionKey: string, namespace: string): Promise<StateItem[]>;
  /** Removes the entry; false when there was none. */
  delete(sessionKey: string, namespace: string, key: string): Promise<boolean>;
  /** The namespaces that hold at least one entry, sorted. */
  namespaces(sessionKey: string): Promise<string[]>;
}

/** Reads one session's state: the state host's `read`, reduced to the context. */
export type ReadState = (sessionKey: string) => Promise<StateContext>;

const Where = Schema.Struct({ namespace: StateNamespace, key: StateKey });
const Namespace = Schema.Struct({ namespace: StateNamespace });

/** The facade over `dispatch` (commands) and `read` (current state) of the `state` aggregates. */
export const sessionStateStore = (dispatch: Dispatch, read: ReadState): SessionStateStore => ({
  async get(sessionKey, namespace, key) {
    // Reads check names too: a typo'd namespace should say so, not look like an empty store.
    decodeOrFail(Where, { namespace, key }, "session state address");
    const e = entryAt(await read(sessionKey), namespace, key);
    return e ? { key, value: e.value, updatedAt: e.updatedAt } : null;
  },
  async set(sessionKey, namespace, key, value) {
    return (await dispatch("state", sessionKey, "set", { namespace, key, value })) as StateSetReply;
  },
  async list(sessionKey, namespace) {
    decodeOrFail(Namespace, { namespace }, "session state namespace");
    const ctx = await read(sessionKey);
    const ns = Object.hasOwn(ctx.entries, namespace) ? ctx.entries[namespace] : {};
    return Object.keys(ns)
      .sort()
      .map((key) => ({ key, value: ns[key].value, updatedAt: ns[key].updatedAt }));
  },
  async delete(sessionKey, namespace, key) {
    return ((await dispatch("state", sessionKey, "delete", { namespace, key })) as StateDeleteReply).deleted;
  },
  async namespaces(sessionKey) {
    return Object.keys((await read(sessionKey)).entries).sort();
  },
});
