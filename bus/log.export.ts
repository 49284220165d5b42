import type { NatsConnection } from "@nats-io/transport-node";
import * as Schema from "effect/Schema";
import { CairnError, decodeEventData, decodeOrFail, parseJsonBounded } from "../schemas/index.ts";
import { CHAIN_HEADER, CHAINED_HEADERS, chainHash, type RawEvent } from "./event-chain.ts";
import { logExtent, readRawLog } from "./log.raw.ts";
import { parseEventSubject } from "./subjects.ts";

/**
 * The jsonl export of events (`cairn sessions export --format jsonl`): a header line, then each
 * event exactly as the log stores it — subject, every chained header with its `Cairn-Chain` value,
 * and the payload text byte for byte — in log order. Each aggregate's events are its whole
 * history, so its chain can be checked from the file alone, with no access to the log it came
 * from: a line altered, dropped or reordered after the export is found (`parseEventsExport`).
 */

export const EXPORT_FORMAT = "cairn.events";
export const EXPORT_VERSION = 1;

export const ExportHeader = Schema.Struct({
  format: Schema.Literal(EXPORT_FORMAT),
  version: Schema.Literal(EXPORT_VERSION),
  /** What was exported (a session's key), for the reader. */
  sessionKey: Schema.optionalKey(Schema.String),
  exportedAt: Schema.Number,
  events: Schema.Number,
});
export type ExportHeader = typeof ExportHeader.Type;

export const ExportedEvent = Schema.Struct({
  seq: Schema.Number,
  subject: Schema.String,
  /** The chained headers that were set, and `Cairn-Chain`. */
  headers: Schema.Record(Schema.String, Schema.String),
  /** The payload as stored (JSON text). */
  data: Schema.String,
  /** When the server stored it (epoch ms). */
  storedAt: Schema.optionalKey(Schema.Number),
});
export type ExportedEvent = typeof ExportedEvent.Type;

const KEPT_HEADERS = [...CHAINED_HEADERS, CHAIN_HEADER] as const;

/** One stored event as an export line's object. */
export const exportedEvent = (r: RawEvent): ExportedEvent => {
  const headers: Record<string, string> = {};
  for (const n of KEPT_HEADERS) {
    const v = r.header(n);
    if (v !== "") headers[n] = v;
  }
  return { seq: r.seq, subject: r.subject, headers, data: Buffer.from(r.data).toString("utf8"), storedAt: r.storedAt };
};

/**
 * Every stored event of the given subjects (aggregates), merged in log order, raw. One consumer per
 * subject: nats-server 2.9 has no multi-filter consumer, and an aggregate's events are few.
 */
export async function readSubjectsRaw(nc: NatsConnection, subjectList: readonly string[]): Promise<RawEvent[]> {
  const { firstSeq, lastSeq } = await logExtent(nc);
  const out: RawEvent[] = [];
  for (const filter of subjectList) {
    for await (const r of readRawLog(nc, { fromSeq: firstSeq, untilSeq: lastSeq, filter })) {
      // The payload view belongs to the consumer's buffer: copy it, it outlives the iteration.
      out.push({ ...r, data: Uint8Array.from(r.data), header: r.header });
    }
  }
  return out.sort((a, b) => a.seq - b.seq);
}

/** The export's text: the header line, then one line per event. */
export const encodeEventsExport = (header: Omit<ExportHeader, "format" | "version" | "events">, events: readonly RawEvent[]): string => {
  const head: ExportHeader = { format: EXPORT_FORMAT, version: EXPORT_VERSION, ...header, events: events.length };
  return `${[JSON.stringify(head), ...events.map((e) => JSON.stringify(exportedEvent(e)))].join("\n")}\n`;
};

/** An export line that passed every check, with its event decoded to the current schema version. */
export interface ImportableEvent {
  readonly line: number;
  readonly seq: number;
  readonly subject: string;
  readonly kind: string;
  readonly aggregateId: string;
  readonly id: string;
  readonly type: string;
  readonly time: number;
  readonly actor?: string;
  readonly correlationId?: string;
  readonly causationId?: string;
  readonly data: unknown;
}

/** Bad input, with where and what: the line (1-based) and the kind of problem. */
const bad = (line: number, problem: "format" | "schema" | "order" | "chain", message: string) =>
  new CairnError("bad_request", `line ${line}: ${message}`, { line, problem });

/**
 * Reads an export and checks all of it before anything is written: the header, each line's shape,
 * each event's data against its schema (older versions upcast), sequences strictly increasing, and
 * every aggregate's chain from its first event. Fails with `bad_request` naming the line and the
 * problem (`format`, `schema`, `order` or `chain`).
 */
export function parseEventsExport(text: string): { header: ExportHeader; events: ImportableEvent[] } {
  const lines = text.split("\n");
  while (lines.length > 0 && lines[lines.length - 1].trim() === "") lines.pop();
  if (lines.length === 0) throw bad(1, "format", "the file is empty");
  const header = decodeAs(ExportHeader, lines[0], 1, "the export header");
  if (header.events !== lines.length - 1)
    throw bad(lines.length, "format", `the header announces ${header.events} events, the file holds ${lines.length - 1} (cut short?)`);
  const heads = new Map<string, string>();
  const events: ImportableEvent[] = [];
  let lastSeq = 0;
  for (let i = 1; i < lines.length; i++) {
    const n = i + 1;
    const e = decodeAs(ExportedEvent, lines[i], n, "an exported event");
    if (e.seq <= lastSeq) throw bad(n, "order", `sequence ${e.seq} after ${lastSeq}: the events are out of order`);
    lastSeq = e.seq;
    const where = parseEventSubject(e.subject);
    if (!where) throw bad(n, "format", `'${e.subject}' is not an event subject`);
    const h = (name: string) => e.headers[name] ?? "";
    const prev = heads.get(e.subject) ?? "";
    if (h(CHAIN_HEADER) === "" || chainHash(prev, e.subject, h, e.data) !== h(CHAIN_HEADER))
      throw bad(
        n,
        "chain",
        `event ${e.seq} (${e.subject}) does not chain on the one before it: it, or an earlier line, was altered or removed`,
      );
    heads.set(e.subject, h(CHAIN_HEADER));
    const type = h("Cairn-Type");
    let data: unknown;
    try {
      data = decodeEventData(type, Number(h("Cairn-Version")), parseJsonBounded(e.data, `event ${e.seq}'s data`));
    } catch (err) {
      throw bad(n, "schema", (err as Error).message);
    }
    const id = h("Nats-Msg-Id");
    if (id === "") throw bad(n, "format", `event ${e.seq} has no id`);
    events.push({
      line: n,
      seq: e.seq,
      subject: e.subject,
      kind: where.kind,
      aggregateId: where.id,
      id,
      type,
      time: Number(h("Cairn-Time")) || 0,
      ...(h("Cairn-Actor") ? { actor: h("Cairn-Actor") } : {}),
      ...(h("Cairn-Correlation") ? { correlationId: h("Cairn-Correlation") } : {}),
      ...(h("Cairn-Causation") ? { causationId: h("Cairn-Causation") } : {}),
      data,
    });
  }
  return { header, events };
}

const decodeAs = <S extends Schema.ConstraintDecoder<unknown>>(schema: S, text: string, line: number, what: string): S["Type"] => {
  try {
    return decodeOrFail(schema, parseJsonBounded(text, what), what);
  } catch (e) {
    throw bad(line, "format", (e as Error).message);
  }
};
