import type { NatsConnection } from "@nats-io/transport-node";
import { publishLive, publishSessionsChanged, type EventLog, type LogRecord } from "../bus/index.ts";
import { checkpointWriter, getCheckpoint, openDb, type Db } from "./db.ts";
import type { Projection, Touched } from "./projection.ts";
import { auditProjection } from "./audit.projection.ts";
import { messagesProjection } from "./messages.projection.ts";
import { runsProjection } from "./runs.projection.ts";
import { sessionsProjection } from "./sessions.projection.ts";
import { approvalsProjection } from "./approvals.projection.ts";
import { toolCallsProjection } from "./tools.projection.ts";
import { nodesProjection } from "./nodes.projection.ts";

export const PROJECTIONS: readonly Projection[] = [
  sessionsProjection,
  messagesProjection,
  runsProjection,
  toolCallsProjection,
  approvalsProjection,
  nodesProjection,
  auditProjection,
];

const BATCH = 2000;

/**
 * Applies the log to the read models. Each batch of records and the checkpoint of every
 * projection commit in one SQLite transaction, so a crash replays at most an uncommitted batch and
 * never applies an event twice. After a commit, live subscribers of the touched sessions are told.
 */
export class Projector {
  public db!: Db;
  private apply!: Array<(r: LogRecord, t: Touched) => void>;
  private saveCheckpoint!: (name: string, seq: number) => void;
  private seq = 0;
  private readonly waiters: Array<{ seq: number; resolve: () => void }> = [];
  private abort = new AbortController();
  private loop: Promise<void> | undefined;

  constructor(
    db: Db,
    private readonly opts: { log: EventLog; nc?: NatsConnection; report?: (line: string) => void },
  ) {
    this.use(db);
  }

  /** Prepares every statement once per database (not per committed batch) and resumes from its checkpoint. */
  private use(db: Db): void {
    this.db = db;
    this.apply = PROJECTIONS.map((p) => p.bind(db));
    this.saveCheckpoint = checkpointWriter(db);
    this.seq = Math.min(...PROJECTIONS.map((p) => getCheckpoint(db, p.name)));
  }

  static open(file: string, opts: { log: EventLog; nc?: NatsConnection; report?: (line: string) => void }): Projector {
    return new Projector(openDb(file).db, opts);
  }

  /** Last log sequence applied to every read model. */
  get checkpoint(): number {
    return this.seq;
  }

  /** Follows the log from the checkpoint until `stop()`. Reconnects are handled by the reader. */
  start(): void {
    this.loop = this.follow().catch((e) => this.opts.report?.(`projector stopped: ${(e as Error).message}`));
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

  private async follow(): Promise<void> {
    await this.consume({ fromSeq: this.seq + 1, signal: this.abort.signal });
  }

  private async consume(range: { fromSeq: number; untilSeq?: number; signal?: AbortSignal }, onProgress?: (seq: number) => void) {
    let batch: LogRecord[] = [];
    for await (const r of this.opts.log.read(range)) {
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
    if (batch.length > 0) this.commit(batch);
  }

  private commit(batch: LogRecord[]): void {
    const touched: Touched = { sessions: new Set(), sessionList: false };
    const last = batch[batch.length - 1];
    const lastSeq = last.ok ? last.event.seq : last.bad.seq;
    this.db.transaction(() => {
      for (const r of batch) {
        if (!r.ok) this.opts.report?.(`event ${r.bad.seq} (${r.bad.subject}) could not be decoded: ${r.bad.error}`);
        for (const apply of this.apply) apply(r, touched);
      }
      for (const p of PROJECTIONS) this.saveCheckpoint(p.name, lastSeq);
    })();
    this.seq = lastSeq;
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
  }
}
