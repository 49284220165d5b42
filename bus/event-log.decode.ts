import type { JsMsg, StoredMsg } from "@nats-io/jetstream";
import type { MsgHdrs } from "@nats-io/transport-node";
import { AggregateKind, CairnError, decodeEventData, type AnyStoredEvent } from "../schemas/index.ts";
import { parseEventSubject } from "./subjects.ts";
import { TRACEPARENT, traceIdOf } from "./telemetry/index.ts";

/**
 * How a log message becomes a typed event (or a visible decode failure): the headers the log
 * writes, and the two shapes a message arrives in (delivered by a consumer, fetched by sequence).
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

const headerTime = (h: MsgHdrs | undefined, fallback: number): number => {
  const t = Number(h?.get(H.time));
  return Number.isFinite(t) && t > 0 ? t : fallback;
};

/** A log message as delivered by a consumer or fetched by sequence. */
interface RawRecord {
  readonly seq: number;
  readonly subject: string;
  readonly headers: MsgHdrs | undefined;
  /** When the server stored it (epoch ms; the fallback for a missing time header). */
  readonly storedAt: number;
  /** Messages still pending after this one (0 for a fetched one). */
  readonly pending: number;
  json(): unknown;
}

const consumedRecord = (m: JsMsg): RawRecord => ({
  seq: m.seq,
  subject: m.subject,
  headers: m.headers,
  storedAt: Math.floor(m.info.timestampNanos ? Number(BigInt(m.info.timestampNanos) / 1_000_000n) : 0),
  pending: m.info.pending,
  json: () => m.json(),
});

export const storedRecord = (m: StoredMsg): RawRecord => ({
  seq: m.seq,
  subject: m.subject,
  headers: m.header,
  storedAt: m.time.getTime(),
  pending: 0,
  json: () => m.json(),
});

/** Turns a raw log message into a typed event, or a visible decode failure. */
export const decodeRecord = (raw: JsMsg | RawRecord): LogRecord => {
  const m = "info" in raw ? consumedRecord(raw) : raw;
  const type = m.headers?.get(H.type) ?? "";
  const time = headerTime(m.headers, m.storedAt);
  const where = parseEventSubject(m.subject);
  try {
    if (!where) throw new CairnError("internal", `not an event subject: ${m.subject}`);
    const version = Number(m.headers?.get(H.version) ?? "NaN");
    let json: unknown;
    try {
      json = m.json();
    } catch {
      throw new CairnError("internal", "payload is not JSON");
    }
    const data = decodeEventData(type, version, json);
    const event = {
      seq: m.seq,
      type,
      version,
      id: m.headers?.get(H.msgId) ?? "",
      kind: where.kind,
      aggregateId: where.id,
      time,
      correlationId: m.headers?.get(H.correlation) || undefined,
      causationId: m.headers?.get(H.causation) || undefined,
      ...actorOf(m.headers?.get(H.actor)),
      ...traceOf(m.headers?.get(TRACEPARENT)),
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
