import {
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  jetstream,
  jetstreamManager,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type JsMsg,
  type PubAck,
  type StoredMsg,
} from "@nats-io/jetstream";
import { headers, type MsgHdrs, type NatsConnection } from "@nats-io/transport-node";
import {
  AggregateKind,
  CairnError,
  isCairnError,
  checkNewEvent,
  decodeEventData,
  eventRegistry,
  type AnyStoredEvent,
  type NewEvent,
} from "../schemas/index.ts";
import { isBusUnavailable, isStorageFull, isWrongLastSequence } from "./nats.errors.ts";
import { retry } from "./retry.ts";
import { EVENTS_STREAM, parseEventSubject, subjects } from "./subjects.ts";

/**
 * The append-only event log (one JetStream stream over `evt.>`, one subject per aggregate).
 *
 * Every append names the sequence the writer believes is the aggregate's last (0 for a new one), so
 * a second writer fails with `conflict` instead of interleaving history. The event id is the
 * `Nats-Msg-Id`, so retrying an append whose ack was lost is deduplicated by the server (the
 * dedupe check runs before the expected-sequence check); a duplicate ack on a first attempt is
 * another writer's event, hence a `conflict` too.
 */

export const H = {
  type: "Cairn-Type",
  version: "Cairn-Version",
  time: "Cairn-Time",
  correlation: "Cairn-Correlation",
  causation: "Cairn-Causation",
  msgId: "Nats-Msg-Id",
} as const;

/** Events of one aggregate fetched one request each before a consumer takes over (see `load`). */
const FETCH_SINGLY = 64;

/** A read while the log's leader is being elected (seconds on a cluster) waits rather than fails. */
const READ_RETRY = { attempts: 4, baseMs: 250, maxMs: 2_000, retryable: (e: unknown) => isBusUnavailable(e) };

/** Attempts of one publish while NATS is unreachable: about 40 s in all, inside the dedupe window. */
const APPEND_ATTEMPTS = 6;

export interface AppendOptions {
  readonly kind: AggregateKind;
  readonly id: string;
  /** Stream sequence of the aggregate's last event, 0 when it has none yet. */
  readonly expectedSeq: number;
  readonly events: readonly NewEvent[];
  /** Event ids, one per event; deterministic ids make retries idempotent. */
  readonly eventIds: readonly string[];
  readonly now: number;
  readonly correlationId?: string;
  readonly causationId?: string;
}

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

export class EventLog {
  private constructor(
    readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
  ) {}

  static async open(nc: NatsConnection): Promise<EventLog> {
    return new EventLog(nc, jetstream(nc), await jetstreamManager(nc));
  }

  /**
   * Appends events to one aggregate, in order, each chained on the previous one's sequence.
   * Returns the sequences. Fails with `conflict` (another writer), `log_full` or `unavailable`.
   */
  async append(opts: AppendOptions): Promise<number[]> {
    const subject = subjects.events(opts.kind, opts.id);
    const seqs: number[] = [];
    let expected = opts.expectedSeq;
    for (const [i, event] of opts.events.entries()) {
      checkNewEvent(event);
      const h = headers();
      h.set(H.type, event.type);
      h.set(H.version, String(eventRegistry[event.type].version));
      h.set(H.time, String(opts.now));
      if (opts.correlationId) h.set(H.correlation, opts.correlationId);
      if (opts.causationId) h.set(H.causation, opts.causationId);
      const ack = await this.publishOnce(subject, JSON.stringify(event.data), opts.eventIds[i], h, expected);
      expected = ack;
      seqs.push(ack);
    }
    return seqs;
  }

  /**
   * Publishes one event, retrying the very same publish (same `Nats-Msg-Id`, same expected
   * sequence) while NATS does not answer. If an earlier attempt was stored but its ack lost, the
   * server answers the retry as a duplicate with the original sequence — so the caller learns the
   * event is durable and runs its effects, instead of mistaking a stored event for a failed one.
   */
  private publishOnce(subject: string, data: string, msgID: string, h: MsgHdrs, expected: number): Promise<number> {
    return retry(
      async (attempt) => {
        let ack: PubAck;
        try {
          ack = await this.js.publish(subject, data, {
            msgID,
            headers: h,
            expect: { lastSubjectSequence: expected },
            timeout: 5_000,
          });
        } catch (e) {
          // A retry refused for the expected sequence may be our own earlier attempt, stored but
          // unacknowledged, on a new leader that lost the dedupe entry (seen once on a cluster
          // whose leader was killed): if the aggregate's next event is this very id, it is ours.
          if (attempt > 1 && isWrongLastSequence(e)) {
            const next = await this.getNext(subject, expected + 1).catch(() => null);
            if (next?.header?.get(H.msgId) === msgID) return next.seq;
          }
          throw mapAppendError(e, subject, expected);
        }
        // nats-server checks the msg id before the expected sequence: two writers minting the same
        // deterministic id both get a success ack, the second one flagged `duplicate`. On a first
        // attempt nothing of ours can be stored yet, so the event is another writer's: a conflict
        // (the host reloads and decides again). On a retry it is our own earlier attempt whose ack
        // was lost — unless another writer raced that very window, which ownership rules out.
        if (ack.duplicate && attempt === 1) {
          throw new CairnError("conflict", `another writer already appended event ${msgID} to ${subject} (at sequence ${ack.seq})`);
        }
        return ack.seq;
      },
      { attempts: APPEND_ATTEMPTS, baseMs: 250, maxMs: 2_000, retryable: (e) => isCairnError(e) && e.code === "unavailable" },
    );
  }

  /** How many servers hold a copy of the log (1 on one server; 3 in a cluster of three). */
  async replicas(): Promise<number> {
    return (await this.jsm.streams.info(EVENTS_STREAM)).config.num_replicas;
  }

  /** Sequence of the last event of one aggregate; 0 when it has none. */
  async lastSeqOf(kind: AggregateKind, id: string): Promise<number> {
    const m = await this.getLast(subjects.events(kind, id));
    return m?.seq ?? 0;
  }

  /**
   * The log's last sequence (0 when empty), or the last one among subjects matching `filter`
   * (wildcards allowed: nats-server 2.9 answers last-by-subject for them too).
   */
  async lastSeq(filter?: string): Promise<number> {
    if (filter) return (await this.getLast(filter))?.seq ?? 0;
    const info = await this.jsm.streams.info(EVENTS_STREAM);
    return info.state.last_seq;
  }

  /**
   * Loads one aggregate's events after `afterSeq` (for hydrating on top of a snapshot).
   * Reads up to the aggregate's last sequence as of the call, so it always terminates.
   */
  async load(kind: AggregateKind, id: string, afterSeq = 0): Promise<{ records: LogRecord[]; lastSeq: number }> {
    const subject = subjects.events(kind, id);
    const last = await this.getLast(subject);
    if (!last || last.seq <= afterSeq) return { records: [], lastSeq: last?.seq ?? afterSeq };
    const records: LogRecord[] = [];
    // The first events one request each, from the stream's leader: an ephemeral consumer can be
    // placed on a server that is down (nats-server 2.9, an R3 log with one server lost: every
    // consumer then cost a 5 s timeout). Long histories go on with a consumer.
    let seq = afterSeq + 1;
    for (let i = 0; i < FETCH_SINGLY; i++) {
      const m = await this.getNext(subject, seq);
      if (!m || m.seq > last.seq) return { records, lastSeq: last.seq };
      records.push(decodeRecord(storedRecord(m)));
      if (m.seq === last.seq) return { records, lastSeq: last.seq };
      seq = m.seq + 1;
    }
    for await (const r of this.read({ fromSeq: seq, filter: subject, untilSeq: last.seq })) records.push(r);
    return { records, lastSeq: last.seq };
  }

  /**
   * The first event on `subject` at or after `seq`; null when there is none. (nats-server 2.9's
   * STREAM.MSG.GET takes `next_by_subj`; the client's type lists it only for direct gets.)
   */
  private async getNext(subject: string, seq: number): Promise<StoredMsg | null> {
    try {
      return await retry(() => this.jsm.streams.getMessage(EVENTS_STREAM, { seq, next_by_subj: subject } as never), READ_RETRY);
    } catch (e) {
      if (e instanceof JetStreamApiError && e.code === JetStreamApiCodes.NoMessageFound) return null;
      throw unavailableOr(e, `could not read ${subject}`);
    }
  }

  /**
   * Reads the log from `fromSeq` in order. Stops after `untilSeq` when given, otherwise follows
   * new events until `signal` aborts. Survives reconnects (the ordered consumer resumes itself).
   */
  async *read(opts: { fromSeq: number; filter?: string; untilSeq?: number; signal?: AbortSignal }): AsyncGenerator<LogRecord> {
    if (opts.untilSeq !== undefined && opts.untilSeq < opts.fromSeq) return;
    let messages: ConsumerMessages;
    try {
      messages = await retry(async () => {
        const consumer = await this.js.consumers.get(EVENTS_STREAM, {
          filter_subjects: opts.filter ?? subjects.allEvents,
          deliver_policy: DeliverPolicy.StartSequence,
          opt_start_seq: Math.max(1, opts.fromSeq),
        });
        return await consumer.consume({ max_messages: 512 });
      }, READ_RETRY);
    } catch (e) {
      throw unavailableOr(e, "could not read the event log");
    }
    const stop = () => void messages.stop();
    opts.signal?.addEventListener("abort", stop, { once: true });
    try {
      if (opts.signal?.aborted) return;
      for await (const m of messages) {
        yield decodeRecord(m);
        if (opts.untilSeq !== undefined && m.seq >= opts.untilSeq) break;
      }
    } finally {
      opts.signal?.removeEventListener("abort", stop);
      messages.stop();
    }
  }

  private async getLast(subject: string): Promise<StoredMsg | null> {
    try {
      return await retry(() => this.jsm.streams.getMessage(EVENTS_STREAM, { last_by_subj: subject }), READ_RETRY);
    } catch (e) {
      if (e instanceof JetStreamApiError && e.code === JetStreamApiCodes.NoMessageFound) return null;
      throw unavailableOr(e, `could not read ${subject}`);
    }
  }
}

/** A bus that did not answer (a server restarting, a leader being elected) is `unavailable`: worth a retry. */
const unavailableOr = (e: unknown, what: string): unknown =>
  isBusUnavailable(e) ? new CairnError("unavailable", `${what}: NATS did not answer (${e instanceof Error ? e.message : String(e)})`) : e;

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

const storedRecord = (m: StoredMsg): RawRecord => ({
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

const mapAppendError = (e: unknown, subject: string, expected: number): CairnError => {
  const msg = e instanceof Error ? e.message : String(e);
  if (isWrongLastSequence(e)) {
    return new CairnError("conflict", `another writer appended to ${subject} (expected last sequence ${expected})`);
  }
  if (isStorageFull(e)) {
    return new CairnError("log_full", `the event log is full; nothing was written (${msg}). Free disk space or raise the log limit.`);
  }
  if (isBusUnavailable(e)) {
    return new CairnError("unavailable", `could not append to ${subject}: NATS did not confirm the write (${msg})`);
  }
  return new CairnError("internal", `append to ${subject} failed: ${msg}`);
};
