import {
  DeliverPolicy,
  JetStreamApiCodes,
  JetStreamApiError,
  jetstream,
  jetstreamManager,
  type ConsumerMessages,
  type JetStreamClient,
  type JetStreamManager,
  type PubAck,
  type StoredMsg,
} from "@nats-io/jetstream";
import { headers, type MsgHdrs, type NatsConnection } from "@nats-io/transport-node";
import { type AggregateKind, CairnError, isCairnError, checkNewEvent, eventRegistry, type NewEvent } from "../schemas/index.ts";
import { isBusUnavailable, isStorageFull, isWrongLastSequence } from "./nats.errors.ts";
import { retry } from "./retry.ts";
import { EVENTS_STREAM, subjects } from "./subjects.ts";
import { H, consumedRecord, decodeRecord, storedRecord, type LogRecord } from "./event-log.decode.ts";
import { logBatches } from "./log.batches.ts";
import { TRACEPARENT, traceparentOf, type GatewayMetrics } from "./telemetry/index.ts";
import { CHAIN_HEADER, ChainHeads, chainHash } from "./event-chain.ts";
import { currentProvenance } from "./provenance.ts";

export { H, decodeRecord, type LogRecord, type UndecodableEvent } from "./event-log.decode.ts";

/**
 * The append-only event log (one JetStream stream over `evt.>`, one subject per aggregate).
 *
 * Every append names the sequence the writer believes is the aggregate's last (0 for a new one), so
 * a second writer fails with `conflict` instead of interleaving history. The event id is the
 * `Nats-Msg-Id`, so retrying an append whose ack was lost is deduplicated by the server (the
 * dedupe check runs before the expected-sequence check); a duplicate ack on a first attempt is
 * another writer's event, hence a `conflict` too.
 */

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
  /** The acting principal (`user:cli`, `agent:<run>`, ...); defaults to the ambient provenance, else `system`. */
  readonly actor?: string;
}

export class EventLog {
  /** Chain heads of the aggregates this writer loaded or appended: an append needs no extra read. */
  private readonly heads = new ChainHeads();

  private constructor(
    readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    private readonly metrics: GatewayMetrics["eventLog"] | undefined,
  ) {}

  /** `metrics`: the gateway's registry, which counts appends, their bytes, conflicts and failures. */
  static async open(nc: NatsConnection, o: { metrics?: GatewayMetrics } = {}): Promise<EventLog> {
    return new EventLog(nc, jetstream(nc), await jetstreamManager(nc), o.metrics?.eventLog);
  }

  /**
   * Appends events to one aggregate, in order, each chained on the previous one's sequence.
   * Returns the sequences. Fails with `conflict` (another writer), `log_full` or `unavailable`.
   */
  async append(opts: AppendOptions): Promise<number[]> {
    const m = this.metrics;
    if (!m) return this.appendEvents(opts);
    const t0 = performance.now();
    try {
      const seqs = await this.appendEvents(opts);
      m.duration.observe((performance.now() - t0) / 1000);
      return seqs;
    } catch (e) {
      const code = isCairnError(e) ? e.code : "internal";
      if (code === "conflict") m.conflicts.inc({ kind: opts.kind });
      else m.errors.inc({ kind: opts.kind, error_type: code });
      throw e;
    }
  }

  private async appendEvents(opts: AppendOptions): Promise<number[]> {
    const subject = subjects.events(opts.kind, opts.id);
    // The trace that decided these events (a run's effects): the log and the traces join on its id.
    const traceparent = traceparentOf();
    // Who acts and why: the caller's words first, else the work's ambient provenance. A chain of
    // work with no correlation yet starts one at its first event.
    const ambient = currentProvenance();
    const correlation = opts.correlationId ?? ambient.correlationId ?? opts.eventIds[0];
    const causation = opts.causationId ?? ambient.causationId;
    const actor = opts.actor ?? ambient.actor ?? "system";
    const seqs: number[] = [];
    let expected = opts.expectedSeq;
    let prev = await this.chainAt(subject, expected);
    for (const [i, event] of opts.events.entries()) {
      checkNewEvent(event);
      const h = headers();
      h.set(H.type, event.type);
      h.set(H.version, String(eventRegistry[event.type].version));
      h.set(H.time, String(opts.now));
      if (correlation) h.set(H.correlation, correlation);
      if (causation) h.set(H.causation, causation);
      h.set(H.actor, actor);
      if (traceparent) h.set(TRACEPARENT, traceparent);
      const data = JSON.stringify(event.data);
      const msgId = opts.eventIds[i];
      const chain = chainHash(prev, subject, (n) => (n === H.msgId ? msgId : (h.get(n) ?? "")), data);
      h.set(CHAIN_HEADER, chain);
      const ack = await this.publishOnce(subject, data, msgId, h, expected);
      if (this.metrics) {
        this.metrics.appends.inc({ kind: opts.kind });
        this.metrics.bytes.inc({ kind: opts.kind }, Buffer.byteLength(data));
      }
      this.heads.set(subject, ack, chain);
      expected = ack;
      prev = chain;
      seqs.push(ack);
    }
    return seqs;
  }

  /**
   * The chain value of the subject's event at `seq` (the one the writer expects last): "" for a
   * new aggregate or an event from before the chain, else from the heads this writer loaded or
   * appended, else read by sequence (one request). A sequence that is not this subject's makes the
   * append fail on the expected sequence anyway, so "" does no harm there.
   */
  private async chainAt(subject: string, seq: number): Promise<string> {
    if (seq === 0) return "";
    const known = this.heads.get(subject, seq);
    if (known !== undefined) return known;
    const m = await this.getAt(seq);
    if (!m || m.subject !== subject) return "";
    const chain = m.header?.get(CHAIN_HEADER) ?? "";
    this.heads.set(subject, seq, chain);
    return chain;
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
    const subject = subjects.events(kind, id);
    const m = await this.getLast(subject);
    if (m) this.heads.set(subject, m.seq, m.header?.get(CHAIN_HEADER) ?? "");
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
    if (last) this.heads.set(subject, last.seq, last.header?.get(CHAIN_HEADER) ?? "");
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
   * Following keeps the library's iterator, which hands over each event as it comes.
   */
  async *read(opts: { fromSeq: number; filter?: string; untilSeq?: number; signal?: AbortSignal }): AsyncGenerator<LogRecord> {
    if (opts.untilSeq !== undefined && opts.untilSeq < opts.fromSeq) return;
    if (opts.untilSeq !== undefined) {
      // A bounded read (replay, rebuild, catch-up, a long aggregate) in bulk.
      const { untilSeq } = opts;
      const batches = logBatches(this.js, { ...opts, untilSeq });
      try {
        for await (const batch of batches) for (const m of batch) yield decodeRecord(m);
      } catch (e) {
        throw unavailableOr(e, "could not read the event log");
      }
      return;
    }
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
        yield decodeRecord(consumedRecord(m));
      }
    } finally {
      opts.signal?.removeEventListener("abort", stop);
      messages.stop();
    }
  }

  /** The record at `seq` (one direct get, no consumer); null when the stream no longer holds it (archived). */
  async get(seq: number): Promise<LogRecord | null> {
    const m = await this.getAt(seq);
    return m ? decodeRecord(storedRecord(m)) : null;
  }

  private async getAt(seq: number): Promise<StoredMsg | null> {
    try {
      return await retry(() => this.jsm.streams.getMessage(EVENTS_STREAM, { seq }), READ_RETRY);
    } catch (e) {
      if (e instanceof JetStreamApiError && e.code === JetStreamApiCodes.NoMessageFound) return null;
      throw unavailableOr(e, `could not read event ${seq}`);
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
