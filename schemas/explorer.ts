import * as Schema from "effect/Schema";
import { ActorKind } from "./audit.ts";
import { RunId, SessionKey } from "./ids.ts";
import type { GetHistoryResult, SessionSummary, ToolCallRow } from "./queries.ts";

/**
 * The events explorer's contract (the UI's "the log made visible"): listing the log's events by
 * what they belong to, one event with its causation tree, and a session as it was at a point
 * (`sessions.at`). Rows come from the audit read model (every record of the log); an event's data
 * comes from the log itself.
 */

const Seq = Schema.Int.check(Schema.isGreaterThanOrEqualTo(0));

export const ListEvents = Schema.Struct({
  /** The session's own events and those of its runs and their approvals. */
  sessionKey: Schema.optionalKey(SessionKey),
  runId: Schema.optionalKey(RunId),
  /** A tool call's events (its run's requests, start, result, and its approval). */
  callId: Schema.optionalKey(Schema.String.check(Schema.isMaxLength(128))),
  /** An event type or the start of one: `run.tool_`, `approval.`. */
  type: Schema.optionalKey(Schema.String.check(Schema.isMaxLength(64), Schema.isPattern(/^[a-z_.]*$/))),
  actor: Schema.optionalKey(ActorKind),
  /** Events after this sequence, oldest first (following the log); without it, the newest `limit`. */
  afterSeq: Schema.optionalKey(Seq),
  limit: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 1000 }))),
});
export type ListEvents = typeof ListEvents.Type;

/** One event of the log as the explorer lists it (no data: `events.chain` brings it). */
export const EventRow = Schema.Struct({
  seq: Schema.Number,
  time: Schema.Number,
  kind: Schema.String,
  aggregateId: Schema.String,
  type: Schema.String,
  eventId: Schema.String,
  actor: Schema.NullOr(Schema.String),
  summary: Schema.String,
  sessionKey: Schema.NullOr(Schema.String),
  runId: Schema.NullOr(Schema.String),
  callId: Schema.NullOr(Schema.String),
  correlationId: Schema.NullOr(Schema.String),
  causationId: Schema.NullOr(Schema.String),
  /** Why the event could not be decoded (it is listed all the same). */
  error: Schema.NullOr(Schema.String),
});
export type EventRow = typeof EventRow.Type;

/** Oldest first; `checkpoint`: the read models' position in the log when answered. */
export const ListEventsResult = Schema.Struct({ events: Schema.Array(EventRow), checkpoint: Schema.Number });
export type ListEventsResult = typeof ListEventsResult.Type;

export const GetEventChain = Schema.Struct({ seq: Seq });
export type GetEventChain = typeof GetEventChain.Type;

/** An event and what it caused, recursively (cut at a bound: `truncated`). */
export interface EventNode {
  readonly event: EventRow;
  readonly children: readonly EventNode[];
}
export const EventNode: Schema.Codec<EventNode> = Schema.Struct({
  event: EventRow,
  children: Schema.Array(Schema.suspend((): Schema.Codec<EventNode> => EventNode)),
});

export const EventChainResult = Schema.Struct({
  event: EventRow,
  /** The event as the log holds it (data included); null once archived out of the stream. */
  body: Schema.NullOr(Schema.Unknown),
  /** Its causes, the root (the request that began the work) first, its direct cause last. */
  ancestors: Schema.Array(EventRow),
  /** The tree under the root of its chain: every event caused, directly or not, by that root. */
  tree: EventNode,
  truncated: Schema.Boolean,
});
export type EventChainResult = typeof EventChainResult.Type;

/** `sessions.at`: a log sequence or a time (epoch ms); neither is the live end. */
export const SessionAtParams = Schema.Struct({
  sessionKey: SessionKey,
  seq: Schema.optionalKey(Seq),
  time: Schema.optionalKey(Schema.Number),
});
export type SessionAtParams = typeof SessionAtParams.Type;

/** What `sessions.at` answers (projections' `sessionAt`): the session then, read back with the live queries. */
export interface SessionAtView {
  readonly key: string;
  /** The last of the session's events at or before the point (0: the session did not exist yet). */
  readonly seq: number;
  readonly time: number;
  readonly deleted: boolean;
  /** Events folded, of the session's total: the scrubber's position and range. */
  readonly applied: number;
  readonly total: number;
  readonly session: SessionSummary | null;
  readonly messages: GetHistoryResult["messages"];
  readonly activeRun: GetHistoryResult["activeRun"];
  readonly toolCalls: readonly ToolCallRow[];
  /** The sequences of every event of the session (its runs' and approvals' too), oldest first: the scrubber's stops. */
  readonly stops: readonly number[];
}

export const explorerMethodParams = {
  /** The log's events, filtered (see `ListEvents`). */
  "events.list": ListEvents,
  /** One event's data and its causation tree. */
  "events.chain": GetEventChain,
  /** "The log moved" ticks (`{type:"events.appended", checkpoint}`): the client lists what is new. */
  "events.subscribe": Schema.Struct({}),
  "events.unsubscribe": Schema.Struct({}),
  /** A session as it was at a point of the log (the chat's timeline scrubber). */
  "sessions.at": SessionAtParams,
} as const;
