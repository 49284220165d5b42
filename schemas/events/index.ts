import * as Schema from "effect/Schema";
import { CairnError } from "../errors.ts";
import { decodeLenient } from "../decode.ts";
import { sessionEvents } from "./session.events.ts";
import { runEvents } from "./run.events.ts";
import { settingsEvents } from "./settings.events.ts";
import { approvalEvents } from "./approval.events.ts";
import { stateEvents } from "./state.events.ts";
import { nodeEvents, pairingEvents } from "./node.events.ts";

export * from "./session.events.ts";
export * from "./run.events.ts";
export * from "./settings.events.ts";
export * from "./approval.events.ts";
export * from "./state.events.ts";
export * from "./node.events.ts";

/** Every event type cairn writes, with its current schema version. */
export const eventRegistry = {
  ...sessionEvents,
  ...runEvents,
  ...settingsEvents,
  ...approvalEvents,
  ...stateEvents,
  ...nodeEvents,
  ...pairingEvents,
} as const;
export type EventType = keyof typeof eventRegistry;
export type EventData<T extends EventType> = (typeof eventRegistry)[T]["schema"]["Type"];

/** The aggregate kinds; each owns the subject `evt.<kind>.<id>`. */
export const AggregateKind = Schema.Literals(["session", "run", "settings", "approval", "state", "node", "pairing"]);
export type AggregateKind = typeof AggregateKind.Type;

/** A domain event before it is appended. */
export type NewEvent<T extends EventType = EventType> = {
  readonly type: T;
  readonly data: EventData<T>;
};

/** A domain event as read back from the log. */
export interface StoredEvent<T extends EventType = EventType> {
  readonly seq: number;
  readonly type: T;
  readonly version: number;
  readonly id: string;
  readonly kind: AggregateKind;
  readonly aggregateId: string;
  /** Milliseconds since the epoch, from the stream's own timestamp. */
  readonly time: number;
  readonly correlationId: string | undefined;
  readonly causationId: string | undefined;
  readonly data: EventData<T>;
}

export type AnyStoredEvent = { [T in EventType]: StoredEvent<T> }[EventType];

export const isEventType = (s: string): s is EventType => Object.hasOwn(eventRegistry, s);

/**
 * Decodes an event payload read from the log. Unknown types and newer versions are refused with a
 * typed error rather than guessed at: a reader older than the writer must not misinterpret history.
 */
export const decodeEventData = (type: string, version: number, data: unknown): unknown => {
  if (!isEventType(type)) throw new CairnError("internal", `unknown event type '${type}'`);
  const entry = eventRegistry[type];
  if (version !== entry.version) {
    throw new CairnError("internal", `event '${type}' has schema version ${version}; this cairn understands version ${entry.version}`);
  }
  return decodeLenient(entry.schema, data, `event '${type}'`);
};

/** Decodes a payload about to be appended (our own writes are checked too). */
export const checkNewEvent = (e: NewEvent): void => {
  decodeEventData(e.type, eventRegistry[e.type].version, e.data);
};
