import type { AnyStoredEvent, EventType, StoredEvent } from "../../schemas/index.ts";

/**
 * What a machine receives: a stored domain event, flattened so XState can switch on `type`.
 * Machines never see commands; commands are decided against the snapshot first.
 */
export type MachineEvent<T extends EventType = EventType> = {
  readonly type: T;
  readonly data: StoredEvent<T>["data"];
  readonly seq: number;
  readonly time: number;
};

export const toMachineEvent = (e: AnyStoredEvent): MachineEvent =>
  ({ type: e.type, data: e.data, seq: e.seq, time: e.time }) as MachineEvent;

/**
 * Sent by the runtime (never stored) when a host takes an aggregate over: at start-up after a
 * crash, later on failover. Each state answers with the effects that must be running while the
 * aggregate is in it — so "load and continue" is the whole recovery story, with no resume path of
 * its own. It changes no context: replay and hydration never see it.
 */
export const HYDRATED = "cairn.hydrated" as const;
export type Hydrated = { readonly type: typeof HYDRATED };
