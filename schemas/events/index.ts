import * as Schema from "effect/Schema";
import { CairnError } from "../errors.ts";
import { decodeLenient } from "../decode.ts";
import { sessionEvents } from "./session.events.ts";
import { runEvents } from "./run.events.ts";
import { settingsEvents } from "./settings.events.ts";
import { approvalEvents } from "./approval.events.ts";
import { stateEvents } from "./state.events.ts";
import { nodeEvents, pairingEvents } from "./node.events.ts";
import { authEvents } from "./auth.events.ts";
import { channelEvents } from "./channel.events.ts";
import { cronEvents } from "./cron.events.ts";
import type { Upcasters } from "./upcast.ts";

export * from "./session.events.ts";
export * from "./run.events.ts";
export * from "./settings.events.ts";
export * from "./approval.events.ts";
export * from "./state.events.ts";
export * from "./node.events.ts";
export * from "./auth.events.ts";
export * from "./channel.events.ts";
export * from "./cron.events.ts";
export { upcaster, type Upcaster, type Upcasters } from "./upcast.ts";

/** Every event type cairn writes, with its current schema version. */
export const eventRegistry = {
  ...sessionEvents,
  ...runEvents,
  ...settingsEvents,
  ...approvalEvents,
  ...stateEvents,
  ...nodeEvents,
  ...pairingEvents,
  ...authEvents,
  ...channelEvents,
  ...cronEvents,
} as const;
export type EventType = keyof typeof eventRegistry;
export type EventData<T extends EventType> = (typeof eventRegistry)[T]["schema"]["Type"];

/** The aggregate kinds; each owns the subject `evt.<kind>.<id>`. */
export const AggregateKind = Schema.Literals([
  "session",
  "run",
  "settings",
  "approval",
  "state",
  "node",
  "pairing",
  "auth",
  "channel",
  "cron",
]);
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
  /** Who acted (`user:cli`, `agent:<run>`, `cron:<job>`, ...): the `Cairn-Actor` header; absent on events older than it. */
  readonly actor?: string;
  /** The W3C trace id of the work that appended it (a run's trace), when traces were on: joins the log to the traces. */
  readonly traceId?: string;
  readonly data: EventData<T>;
}

export type AnyStoredEvent = { [T in EventType]: StoredEvent<T> }[EventType];

export const isEventType = (s: string): s is EventType => Object.hasOwn(eventRegistry, s);

/** What the registry knows of one event type: its current version and schema, and how older versions reach it. */
export interface EventVersions {
  readonly version: number;
  readonly schema: Schema.ConstraintDecoder<unknown>;
  readonly upcasters?: Upcasters;
}

/**
 * Decodes an event payload read from the log. An older version is upcast step by step to the
 * current one (each step decodes the payload with its own version's schema first), so every
 * reader sees one shape per type. Unknown types, newer versions and older ones without a path are
 * refused with a typed error rather than guessed at: a reader older than the writer must not
 * misinterpret history.
 */
export const decodeEventData = (type: string, version: number, data: unknown): unknown => {
  if (!isEventType(type)) throw new CairnError("internal", `unknown event type '${type}'`);
  const entry: EventVersions = eventRegistry[type];
  if (!Number.isInteger(version) || version < 1 || version > entry.version) {
    throw new CairnError(
      "internal",
      `event '${type}' has schema version ${version}; this cairn understands versions 1 to ${entry.version}`,
    );
  }
  let payload = data;
  for (let v = version; v < entry.version; v++) {
    const step = entry.upcasters?.[v];
    if (!step) throw new CairnError("internal", `event '${type}' has schema version ${version}, and no upcaster leads from version ${v}`);
    payload = step.up(decodeLenient(step.schema, payload, `event '${type}' version ${v}`) as never);
  }
  return decodeLenient(entry.schema, payload, `event '${type}'`);
};

/** Decodes a payload about to be appended (our own writes are checked too). */
export const checkNewEvent = (e: NewEvent): void => {
  decodeEventData(e.type, eventRegistry[e.type].version, e.data);
};
