/**
 * Session state: a per-session key-value store (session, namespace, key → string), event-sourced
 * on a `state` aggregate whose id is the session key. The `session_state` tool sits on the facade.
 */
export { stateSpec, type StateCommand, type StateDeleteReply, type StateSetReply } from "./state.commands.ts";
export { STATE_MACHINE_VERSION, entryAt, stateMachine, type StateContext, type StateEntry } from "./state.machine.ts";
export { sessionStateStore, type ReadState, type SessionStateStore, type StateItem } from "./state.store.ts";
