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
