import { cronProjection } from "./cron.projection.ts";
import { channelsProjection } from "./channels.projection.ts";
import type { NatsConnection } from "@nats-io/transport-node";
import {
  publishEventsAppended,
  publishLive,
  publishSessionsChanged,
  retry,
  type EventLog,
  type GatewayMetrics,
  type LogRecord,
} from "../bus/index.ts";
import { checkpointWriter, getCheckpoint, openDb, type Db } from "./db.ts";
import { bindAll, type Projection, type Touched } from "./projection.ts";
import { auditProjection } from "./audit.projection.ts";
import { messagesProjection } from "./messages.projection.ts";
import { compactionsProjection } from "./search.compactions.ts";
import { runsProjection } from "./runs.projection.ts";
import { sessionsProjection } from "./sessions.projection.ts";
import { approvalsProjection } from "./approvals.projection.ts";
import { toolCallsProjection } from "./tools.projection.ts";
import { authProjection } from "./auth.projection.ts";
import { nodesProjection } from "./nodes.projection.ts";
import { metricsProjection } from "./metrics.projection.ts";
import { DEFAULT_WATCH, ProgressWatch, type ProjectorHealth, type WatchOptions } from "./projector.watch.ts";

export const PROJECTIONS: readonly Projection[] = [
  sessionsProjection,
  messagesProjection,
  compactionsProjection,
  runsProjection,
  toolCallsProjection,
  approvalsProjection,
  nodesProjection,
  auditProjection,
  authProjection,
  cronProjection,
  channelsProjection,
  metricsProjection(),
];

/** The read models with this projector's options (the metrics history's retention). */
const projectionsFor = (o: ProjectorOptions): readonly Projection[] =>
  o.metricsRetentionDays === undefined ? PROJECTIONS : [...PROJECTIONS.slice(0, -1), metricsProjection(o.metricsRetentionDays)];

const BATCH = 2000;

export interface ProjectorOptions {
  /** Where records come from: the log, or a reader that starts in its archives (`archivedReader`). */
  log: Pick<EventLog, "read" | "lastSeq">;
  nc?: NatsConnection;
  /** The gateway log: consumer failures, stalls and restarts are reported here. */
  report?: (line: string) => void;
  /** Stall and lag bounds (see projector.watch.ts). */
  watch?: Partial<WatchOptions>;
  /** How often the watchdog compares the log with the checkpoint. Default 1 s. */
  watchEveryMs?: number;
  now?: () => number;
  /** The gateway's registry: events applied, the checkpoint, and the lag behind the log (read at scrape). */
  metrics?: GatewayMetrics;
  /** `[telemetry] history_days`: minutes of metrics history kept (default 30 days). */
  metricsRetentionDays?: number;
}

/** A consumer that ran this long before it failed was healthy: the next one starts without delay. */
const HEALTHY_MS = 10_000;
// Between a failed consumer and the next: short first (a reconnect usually fixes it), capped so
// a long outage costs one attempt every few seconds, not a busy loop.
const RETRY_MIN_MS = 250;
const RETRY_MAX_MS = 5_000;

/** Resolves when `signal` aborts (no timer: it must not keep the process alive). */
const aborted = (signal: AbortSignal) => new Promise<void>((resolve) => signal.addEventListener("abort", () => resolve(), { once: true }));

/** Resolves after `ms`, or at once when `signal` aborts. */
const pause = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal.removeEventListener("abort", done);
      resolve();
    }
    signal.addEventListener("abort", done, { once: true });
  });

/**
 * Applies the log to the read models. Each batch of records and the checkpoint of every
 * projection commit in one SQLite transaction, so a crash replays at most an uncommitted batch and
 * never applies an event twice. After a commit, live subscribers of the touched sessions are told.
 *
 * Following never stops by itself: a consumer that ends or throws is replaced (from the
 * checkpoint, after a short backoff), and a watchdog replaces one that silently stopped
 * delivering. Each consumer has a generation; a replaced one can no longer commit, so an old and
 * a new consumer never both apply the same events.
 */
export class Projector {
  public db!: Db;
  private models!: ReturnType<typeof bindAll>;
  private saveCheckpoint!: (name: string, seq: number) => void;
  private seq = 0;
  private readonly waiters: Array<{ seq: number; resolve: () => void }> = [];
  private abort = new AbortController();
  private loop: Promise<void> | undefined;
  private consumer = new AbortController();
  private generation = 0;
  private following = false;
  private failure: string | null = null;
  private restarts = 0;
  private watchingReconnects = false;
  private deliberate = false;
  private watchTimer: NodeJS.Timeout | undefined;
  private readonly watch: ProgressWatch;
  private readonly now: () => number;

  constructor(
    db: Db,
    private readonly opts: ProjectorOptions,
  ) {
    this.use(db);
    this.watch = new ProgressWatch({ ...DEFAULT_WATCH, ...opts.watch });
    this.now = opts.now ?? Date.now;
    const m = opts.metrics;
    if (m) {
      m.gauge("cairn_projection_checkpoint_sequence", "Last log sequence applied to every read model.", () => this.seq);
      // One stream-info request per scrape: the lag is what an operator alerts on, so it is exact.
      m.gauge("cairn_projection_lag_events", "Events in the log not yet applied to the read models.", async () =>
        Math.max(0, (await opts.log.lastSeq()) - this.seq),
      );
      m.counter("cairn_projection_consumer_restarts_total", "Log consumers replaced (failed, ended or stalled).", () => this.restarts);
    }
  }

  /** Prepares every statement once per database (not per committed batch) and resumes from its checkpoint. */
  private use(db: Db): void {
    this.db = db;
    const projections = projectionsFor(this.opts);
    this.models = bindAll(projections, db);
    this.saveCheckpoint = checkpointWriter(db);
    this.seq = Math.min(...projections.map((p) => getCheckpoint(db, p.name)));
  }

  static open(file: string, opts: ProjectorOptions): Projector {
    return new Projector(openDb(file).db, opts);
  }

  /** Last log sequence applied to every read model. */
  get checkpoint(): number {
    return this.seq;
  }

  /** Follows the log from the checkpoint until `stop()`, replacing failed or stalled consumers. */
  start(): void {
    this.loop = this.supervise();
    this.watchTimer = setInterval(() => void this.tick(), this.opts.watchEveryMs ?? 1_000);
    this.watchTimer.unref();
    this.restartOnReconnect();
  }

  /**
   * After a reconnect the consumer is replaced from the checkpoint at once. The client library's
   * ordered consumer is meant to recover by itself, but after a nats-server restart it often
   * delivered nothing for seconds (bench/chaos.projector.ts: catch-up 5-12 s, each time ended by
   * the watchdog); a fresh consumer costs one request and never waits.
   */
  private restartOnReconnect(): void {
    const nc = this.opts.nc;
    if (!nc || this.watchingReconnects) return;
    this.watchingReconnects = true;
    void (async () => {
      for await (const s of nc.status()) {
        if (s.type !== "reconnect" || !this.following) continue;
        // A consumer made before the restarted server has its streams back can wedge: wait for the log.
        await retry(() => this.opts.log.lastSeq(), { attempts: 20, baseMs: 100, maxMs: 1_000 }).catch(() => {});
        if (this.following) this.restartConsumer("the bus reconnected; following again from the checkpoint");
      }
    })().catch(() => {});
  }

  /** Times a consumer was replaced (failed, ended or stalled) since `start()`. */
  get consumerRestarts(): number {
    return this.restarts;
  }

  /** The watchdog's verdict against the log's last sequence (what `q.status.get` reports). */
  health(logLastSeq: number): ProjectorHealth {
    return this.watch.observe({ checkpoint: this.seq, logLastSeq, following: this.following, failure: this.failure }, this.now());
  }

  /**
   * Ends the current consumer as if it had failed (the supervisor starts a new one from the
   * checkpoint). The watchdog's remedy; also how tests and operators make a stall happen for real.
   */
  restartConsumer(why: string): void {
    this.failure = why;
    this.deliberate = true;
    this.consumer.abort();
  }

  /**
   * Applies the log up to `untilSeq` (a rebuild or a catch-up) and returns, calling `onProgress`
   * after each committed batch.
   */
  async catchUp(untilSeq: number, onProgress?: (seq: number) => void): Promise<void> {
    if (untilSeq <= this.seq) return;
    await this.consume({ fromSeq: this.seq + 1, untilSeq }, onProgress);
  }

  /** Resolves once the read models include `seq` (read-your-writes for callers that just appended). */
  waitFor(seq: number): Promise<void> {
    if (seq <= this.seq) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ seq, resolve }));
  }

  async stop(): Promise<void> {
    clearInterval(this.watchTimer);
    this.abort.abort();
    await this.loop;
  }

  /**
   * Swaps in another database (after a rebuild) and follows on from its checkpoint. `open` runs
   * after the current database is closed, so it may move files over it.
   */
  async replaceDb(open: () => Db): Promise<void> {
    await this.stop();
    this.db.close();
    this.use(open());
    this.abort = new AbortController();
    this.start();
  }

  /** One consumer after another until `stop()`; every failure is reported with its cause. */
  private async supervise(): Promise<void> {
    const stopped = this.abort.signal;
    let retryMs = RETRY_MIN_MS;
    while (!stopped.aborted) {
      const gen = ++this.generation;
      const from = this.seq + 1;
      this.consumer = new AbortController();
      const signal = AbortSignal.any([stopped, this.consumer.signal]);
      this.following = true;
      const began = this.now();
      this.watch.restarted(began);
      let why: string;
      try {
        // Raced with the signal: a consumer wedged inside the client library must not hold up its
        // replacement (its generation is stale, so it can no longer commit anything).
        await Promise.race([this.consume({ fromSeq: from, signal }, undefined, gen), aborted(signal)]);
        why = this.failure ?? "the log consumer ended";
      } catch (e) {
        why = `${(e as Error).message}`;
      }
      this.following = false;
      if (stopped.aborted) break;
      this.failure = why;
      this.restarts += 1;
      // It made progress, or it ran a healthy while (idle logs make none): a fresh failure.
      // A restart asked for (watchdog, reconnect) is no failure of the bus: no backoff either.
      if (this.seq >= from || this.now() - began >= HEALTHY_MS || this.deliberate) retryMs = RETRY_MIN_MS;
      this.deliberate = false;
      this.opts.report?.(
        `projector: [consumer_failed] ${why}; resuming from event ${this.seq + 1} in ${retryMs} ms (restart #${this.restarts})`,
      );
      await pause(retryMs, stopped);
      retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
      this.failure = null;
    }
  }

  /** The watchdog: restarts a consumer that stopped delivering while the log moved on. */
  private async tick(): Promise<void> {
    if (!this.following) return;
    let last: number;
    try {
      last = await this.opts.log.lastSeq();
    } catch {
      return; // the bus is down: nothing to judge, and the consumer's own reconnect comes first
    }
    const h = this.health(last);
    if (!h.stalled) return;
    this.opts.report?.(`projector: [stalled] ${h.reason}`);
    this.restartConsumer(`stalled at event ${this.seq} while the log is at ${last}`);
  }

  private async consume(
    range: { fromSeq: number; untilSeq?: number; signal?: AbortSignal },
    onProgress?: (seq: number) => void,
    gen?: number,
  ) {
    // A replaced consumer (stale generation) stops here, before it could commit.
    const current = () => gen === undefined || gen === this.generation;
    let batch: LogRecord[] = [];
    for await (const r of this.opts.log.read(range)) {
      if (!current()) return;
      const seq = r.ok ? r.event.seq : r.bad.seq;
      if (seq <= this.seq) continue;
      batch.push(r);
      const last = range.untilSeq !== undefined && seq >= range.untilSeq;
      if (r.pending === 0 || batch.length >= BATCH || last) {
        this.commit(batch);
        batch = [];
        onProgress?.(this.seq);
      }
    }
    if (batch.length > 0 && current()) this.commit(batch);
  }

  private commit(batch: LogRecord[]): void {
    const touched: Touched = { sessions: new Set(), sessionList: false };
    const last = batch[batch.length - 1];
    const lastSeq = last.ok ? last.event.seq : last.bad.seq;
    try {
      this.db.transaction(() => {
        for (const r of batch) {
          if (!r.ok) this.opts.report?.(`event ${r.bad.seq} (${r.bad.subject}) could not be decoded: ${r.bad.error}`);
          this.models.apply(r, touched);
        }
        this.models.flush();
        for (const p of PROJECTIONS) this.saveCheckpoint(p.name, lastSeq);
      })();
    } catch (e) {
      // Rolled back: what the read models gathered in memory for it goes too (bound afresh, from
      // the checkpoint the database still holds), or the retry of the batch would count it twice.
      this.use(this.db);
      throw e;
    }
    this.seq = lastSeq;
    this.opts.metrics?.projection.applied.inc(batch.length);
    this.notify(touched);
    for (let i = this.waiters.length - 1; i >= 0; i--) {
      if (this.waiters[i].seq <= this.seq) this.waiters.splice(i, 1)[0].resolve();
    }
  }

  private notify(t: Touched): void {
    const nc = this.opts.nc;
    if (!nc || nc.isClosed()) return;
    for (const key of t.sessions) publishLive(nc, key, { type: "session.updated", sessionKey: key, checkpoint: this.seq });
    if (t.sessionList) publishSessionsChanged(nc, { type: "sessions.changed", checkpoint: this.seq });
    // One tick per batch, not per event: the explorer lists what came after its last sequence.
    publishEventsAppended(nc, this.seq);
  }
}
