import { DeliverPolicy, jetstream, type Consumer, type ConsumerMessages, type JsMsg } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";
import type * as Schema from "effect/Schema";
import { CairnError, LiveSessionMessage, LiveSessionsChanged, decodeLenient } from "../../schemas/index.ts";
import { LIVE_STREAM, subjects } from "../subjects.ts";

/**
 * The live subscriptions of one WebSocket connection: one ordered consumer per subscribed session
 * plus one for the session list. Ordered consumers are ephemeral and client-side; on stop they are
 * deleted explicitly, and an inactivity threshold cleans up any that a lost bus left behind.
 */

export interface SubscriptionDeps {
  nc: NatsConnection;
  /** Sends an event frame to this connection. */
  push: (event: string, payload: unknown, seq: number) => void;
  onSkipped: () => void;
  onCountChange: (delta: number) => void;
  log: (line: string) => void;
}

/** One slot's delivery: survives consumer replacement, so a re-armed consumer neither skips nor repeats. */
interface Feed {
  subject: string;
  /** Last stream sequence handed to the client. */
  cursor: number;
  handle: (m: JsMsg) => void;
}

interface LiveSub {
  feed: Feed;
  consumer: Consumer;
  messages?: ConsumerMessages;
  stopped: boolean;
}

/** A started consumer whose delivery begins only once `start` runs (after the `res` frame went out). */
export interface Started {
  seq: number;
  start: () => void;
}

type From = { fromSeq?: number; fromTime?: number };

/** Server-side cleanup for consumers a crashed or partitioned edge never deleted. */
const INACTIVE_THRESHOLD_MS = 30_000;

export class LiveSubscriptions {
  /** Active consumers by slot: `chat:<sessionKey>` or `sessions`. */
  private readonly active = new Map<string, LiveSub>();
  /** Latest pending subscribe per slot: a newer subscribe (or an unsubscribe) supersedes an older one. */
  private readonly pending = new Map<string, object>();
  private closed = false;
  private rearming: Promise<void> = Promise.resolve();

  constructor(private readonly deps: SubscriptionDeps) {}

  /** Subscribes to `live.session.<key>`, replacing an earlier subscription to the same session. */
  chat(key: string, from: From): Promise<Started> {
    return this.open(`chat:${key}`, subjects.liveSession(key), from, LiveSessionMessage, (p, seq) =>
      this.deps.push("chat", { ...p, sessionKey: key }, seq),
    );
  }

  /** Stops the session's subscription; false when there was none. */
  unchat(key: string): boolean {
    const slot = `chat:${key}`;
    const had = this.pending.delete(slot);
    const sub = this.active.get(slot);
    this.active.delete(slot);
    if (sub) void this.stop(sub);
    return had || sub !== undefined;
  }

  /** Subscribes to `live.sessions` (new messages only), replacing an earlier one. */
  sessionList(): Promise<Started> {
    return this.open("sessions", subjects.liveSessions, {}, LiveSessionsChanged, (p, seq) => this.deps.push("sessions", p, seq));
  }

  /**
   * After a bus reconnect: replaces every consumer with a fresh one starting after its cursor. The
   * client library would recover on its own only once it noticed missed heartbeats (~30 s of
   * silence in a live chat after a nats-server crash).
   */
  rearm(): Promise<void> {
    // Reconnects can come in quick succession: re-arm one pass at a time.
    this.rearming = this.rearming.then(() => this.rearmNow());
    return this.rearming;
  }

  private async rearmNow(): Promise<void> {
    for (const [slot, old] of [...this.active]) {
      try {
        const fresh = await this.createConsumer(old.feed, { fromSeq: old.feed.cursor });
        if (this.closed || this.active.get(slot) !== old) {
          void this.stop(fresh.sub);
          continue;
        }
        this.active.set(slot, fresh.sub);
        void this.stop(old);
        this.consume(fresh.sub);
      } catch (e) {
        this.deps.log(`live consumer not re-armed (the library's own recovery stays in charge): ${String(e)}`);
      }
    }
  }

  /** Stops every consumer; later subscribes fail. Idempotent. */
  async closeAll(): Promise<void> {
    this.closed = true;
    this.pending.clear();
    const all = [...this.active.values()];
    this.active.clear();
    await Promise.allSettled(all.map((s) => this.stop(s)));
  }

  private async open<S extends Schema.ConstraintDecoder<unknown>>(
    slot: string,
    subject: string,
    from: From,
    schema: S,
    forward: (payload: S["Type"], seq: number) => void,
  ): Promise<Started> {
    const ticket = {};
    this.pending.set(slot, ticket);
    const feed: Feed = { subject, cursor: 0, handle: () => {} };
    feed.handle = (m) => {
      // Old and new consumer may overlap briefly during a re-arm: deliver each sequence once.
      if (m.seq <= feed.cursor) return;
      feed.cursor = m.seq;
      let payload: S["Type"];
      try {
        payload = decodeLenient(schema, m.json(), "live message");
      } catch {
        return this.deps.onSkipped();
      }
      try {
        forward(payload, m.seq);
      } catch (e) {
        // Never let one client's failure break the consumer's callback loop.
        this.deps.log(`live forward failed: ${String(e)}`);
      }
    };
    let created: { sub: LiveSub; seq: number };
    try {
      created = await this.createConsumer(feed, from);
    } catch (e) {
      if (this.pending.get(slot) === ticket) this.pending.delete(slot);
      throw e;
    }
    feed.cursor = created.seq;
    if (this.closed || this.pending.get(slot) !== ticket) {
      void this.stop(created.sub);
      if (this.closed) throw new CairnError("unavailable", "connection closed");
      return { seq: created.seq, start: () => {} };
    }
    this.pending.delete(slot);
    const old = this.active.get(slot);
    this.active.set(slot, created.sub);
    if (old) void this.stop(old);
    return { seq: created.seq, start: () => this.consume(created.sub) };
  }

  private async createConsumer(feed: Feed, from: From): Promise<{ sub: LiveSub; seq: number }> {
    const js = jetstream(this.deps.nc);
    // `streams.get` already fetched the stream's info: reuse it rather than asking the server twice.
    const liveState = async () => (await (await js.streams.get(LIVE_STREAM)).info(true)).state;
    // Every start is spelled as a start sequence: the client library restarts an ordered consumer
    // from its cursor, which for DeliverPolicy.New/StartTime stays 0 until a message arrived, so a
    // reset (bus reconnect) would replay the whole stream to the client.
    let startSeq: number;
    if (from.fromSeq !== undefined) {
      // The live stream is file-backed, but its store can still be lost (a deleted data dir, a
      // rebuilt server) and its sequence start over: a cursor beyond the end predates that, and
      // everything retained now is new to the client.
      const state = await liveState();
      startSeq = from.fromSeq > state.last_seq ? state.first_seq : from.fromSeq + 1;
    } else if (from.fromTime !== undefined) {
      // Ask the server which sequence the time maps to with a throw-away consumer.
      const probe = await js.consumers.get(LIVE_STREAM, {
        filter_subjects: feed.subject,
        deliver_policy: DeliverPolicy.StartTime,
        opt_start_time: new Date(from.fromTime).toISOString(),
        inactive_threshold: INACTIVE_THRESHOLD_MS,
      });
      startSeq = (await probe.info(true)).delivered.stream_seq + 1;
      await probe.delete().catch(() => undefined);
    } else {
      startSeq = (await liveState()).last_seq + 1;
    }
    // A single filter string: nats-server 2.9 has no multi-subject filters.
    const consumer = await js.consumers.get(LIVE_STREAM, {
      filter_subjects: feed.subject,
      deliver_policy: DeliverPolicy.StartSequence,
      opt_start_seq: startSeq,
      inactive_threshold: INACTIVE_THRESHOLD_MS,
    });
    this.deps.onCountChange(1);
    // The cursor the client resumes from: everything up to it is behind the subscription.
    return { sub: { feed, consumer, stopped: false }, seq: startSeq - 1 };
  }

  private consume(sub: LiveSub): void {
    if (sub.stopped) return;
    sub.consumer
      .consume({
        callback: (m) => {
          if (!sub.stopped) sub.feed.handle(m);
        },
      })
      .then((messages) => {
        sub.messages = messages;
        if (sub.stopped) void messages.close();
        void messages.closed().then((err) => {
          if (err && !sub.stopped) this.deps.log(`live consumer ended: ${String(err)}`);
        });
      })
      .catch((e) => this.deps.log(`live consumer failed to start: ${String(e)}`));
  }

  private async stop(sub: LiveSub): Promise<void> {
    if (sub.stopped) return;
    sub.stopped = true;
    this.deps.onCountChange(-1);
    try {
      await sub.messages?.close();
    } catch {
      // Already closed with the connection.
    }
    // Best effort: when the bus is gone the inactivity threshold deletes it on the server.
    await sub.consumer.delete().catch(() => undefined);
  }
}
