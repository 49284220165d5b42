import type { JsMsg, StoredMsg } from "@nats-io/jetstream";
import { AggregateKind, CairnError, decodeEventData, type AnyStoredEvent } from "../schemas/index.ts";
import { consumedHeaders, headerLookup } from "./msg.headers.ts";
import { parseEventSubject } from "./subjects.ts";
import { TRACEPARENT, traceIdOf } from "./telemetry/index.ts";

/**
 * How a log message becomes a typed event (or a visible decode failure): the headers the log
 * writes, and the shapes a message arrives in (delivered by a consumer, fetched by sequence, archived).
 */

export const H = {
  type: "Cairn-Type",
  version: "Cairn-Version",
  time: "Cairn-Time",
  correlation: "Cairn-Correlation",
  causation: "Cairn-Causation",
  actor: "Cairn-Actor",
  chain: "Cairn-Chain",
  msgId: "Nats-Msg-Id",
} as const;

/** A log record that could not be decoded; surfaced, never silently dropped. */
export interface UndecodableEvent {
  readonly seq: number;
  readonly subject: string;
  readonly type: string;
  readonly time: number;
  readonly error: string;
}

export type LogRecord = ({ ok: true; event: AnyStoredEvent } | { ok: false; bad: UndecodableEvent }) & {
  /** Messages still pending after this one when it was delivered: 0 means "caught up". */
  readonly pending: number;
};

const headerTime = (h: (name: string) => string, fallback: number): number => {
  const t = Number(h(H.time));
  return Number.isFinite(t) && t > 0 ? t : fallback;
};

/** A log message as delivered by a consumer, fetched by sequence, or read from an archive. */
export interface RawRecord {
  readonly seq: number;
  readonly subject: string;
  /** A header's value, "" when absent. */
  header(name: string): string;
  /** When the server stored it (epoch ms; the fallback for a missing time header). */
  readonly storedAt: number;
  /** Messages still pending after this one (0 for a fetched one). */
  readonly pending: number;
  /** The payload bytes. */
  readonly data: Uint8Array;
}

export const consumedRecord = (m: JsMsg): RawRecord => {
  // Parsed once: the ordered consumer has read it already.
  const info = m.info;
  return {
    seq: info.streamSequence,
    subject: m.subject,
    header: consumedHeaders(m),
    storedAt: Math.floor(info.timestampNanos / 1_000_000),
    pending: info.pending,
    data: m.data,
  };
};

export const storedRecord = (m: StoredMsg): RawRecord => ({
  seq: m.seq,
  subject: m.subject,
  header: headerLookup(m.header),
  storedAt: m.time.getTime(),
  pending: 0,
  data: m.data,
});

const utf8 = new TextDecoder();

/** Turns a raw log message into a typed event, or a visible decode failure. */
export const decodeRecord = (m: RawRecord): LogRecord => {
  const h = m.header;
  const type = h(H.type);
  const time = headerTime(h, m.storedAt);
  const where = parseEventSubject(m.subject);
  try {
    if (!where) throw new CairnError("internal", `not an event subject: ${m.subject}`);
    const version = Number(h(H.version));
    let json: unknown;
    try {
      json = JSON.parse(utf8.decode(m.data));
    } catch {
      throw new CairnError("internal", "payload is not JSON");
    }
    const data = decodeEventData(type, version, json);
    const event = {
      seq: m.seq,
      type,
      version,
      id: h(H.msgId),
      kind: where.kind,
      aggregateId: where.id,
      time,
      correlationId: h(H.correlation) || undefined,
      causationId: h(H.causation) || undefined,
      ...actorOf(h(H.actor)),
      ...traceOf(h(TRACEPARENT) || undefined),
      data,
    } as AnyStoredEvent;
    if (!(AggregateKind.literals as readonly string[]).includes(where.kind))
      throw new CairnError("internal", `unknown aggregate kind '${where.kind}'`);
    return { ok: true, event, pending: m.pending };
  } catch (e) {
    return {
      ok: false,
      pending: m.pending,
      bad: { seq: m.seq, subject: m.subject, type, time, error: e instanceof Error ? e.message : String(e) },
    };
  }
};

const traceOf = (traceparent: string | undefined): { traceId?: string } => {
  const traceId = traceIdOf(traceparent);
  return traceId ? { traceId } : {};
};

const actorOf = (actor: string | undefined): { actor?: string } => (actor ? { actor } : {});
