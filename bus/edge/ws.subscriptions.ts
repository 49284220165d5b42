import type { NatsConnection } from "@nats-io/transport-node";
import { CairnError } from "../../schemas/index.ts";
import { liveStreamEnd, type LiveFrom } from "../live.ts";
import { subjects } from "../subjects.ts";
import { framer, type LiveHub, type LiveTap } from "./live.hub.ts";

/**
 * The live subscriptions of one WebSocket connection: a slot per subscribed session plus one for
 * the session list, each a tap on the edge's shared `LiveHub`.
 */

export interface SubscriptionDeps {
  nc: NatsConnection;
  /** The edge's shared fan-out. */
  hub: LiveHub;
  /** Sends an event frame to this connection. */
  send: (frame: string) => void;
  onCountChange: (delta: number) => void;
  /** Live subscriptions one connection may hold at once (default `MAX_LIVE_SUBSCRIPTIONS`). */
  maxSlots?: number;
}

/**
 * Each distinct session a connection watches is a NATS subscription (shared through the hub, but
 * a client naming 10,000 sessions makes 10,000 of them: nats-server grew to 558 MB and /health
 * took 5 s). A tab watches its open chat and the session list; a few more cover quick switching.
 */
export const MAX_LIVE_SUBSCRIPTIONS = 32;

/** A subscription whose delivery begins only once `start` runs (after the `res` frame went out). */
export interface Started {
  /** The live stream's end when subscribing: `fromSeq` for a later resume. */
  seq: number;
  start: () => void;
}

/** Where a subscription starts: new messages only, or replaying the stored tail from a point. */
export type From = { fromSeq?: number; fromTime?: number };

interface Slot {
  subject: string;
  tap: LiveTap;
}

const liveFrom = (from: From): LiveFrom | undefined =>
  from.fromSeq !== undefined ? { afterSeq: from.fromSeq } : from.fromTime !== undefined ? { sinceMs: from.fromTime } : undefined;

export class LiveSubscriptions {
  /** Active slots: `chat:<sessionKey>` or `sessions`. */
  private readonly active = new Map<string, Slot>();
  /** Latest pending subscribe per slot: a newer subscribe (or an unsubscribe) supersedes an older one. */
  private readonly pending = new Map<string, object>();
  private closed = false;

  constructor(private readonly deps: SubscriptionDeps) {}

  /** Subscribes to the session's live messages, replacing an earlier subscription to it. */
  chat(key: string, from: From): Promise<Started> {
    return this.open(`chat:${key}`, subjects.liveSession(key), framer("chat", { sessionKey: key }), liveFrom(from));
  }

  /** Stops the session's subscription; false when there was none. */
  unchat(key: string): boolean {
    const slot = `chat:${key}`;
    const had = this.pending.delete(slot);
    return this.drop(slot) || had;
  }

  /** Subscribes to `live.sessions` (new messages only), replacing an earlier one. */
  sessionList(): Promise<Started> {
    return this.open("sessions", subjects.liveSessions, framer("sessions"), undefined);
  }

  /** Subscribes to `live.events` (the explorer's "the log moved" ticks, new ones only), replacing an earlier one. */
  events(): Promise<Started> {
    return this.open("events", subjects.liveEvents, framer("events"), undefined);
  }

  /** Stops the events subscription; false when there was none. */
  unevents(): boolean {
    const had = this.pending.delete("events");
    return this.drop("events") || had;
  }

  /** Stops every subscription; later subscribes fail. Idempotent. */
  async closeAll(): Promise<void> {
    this.closed = true;
    this.pending.clear();
    for (const slot of [...this.active.keys()]) this.drop(slot);
  }

  private async open(slot: string, subject: string, frame: (raw: string) => string, from: LiveFrom | undefined): Promise<Started> {
    if (this.closed) throw new CairnError("unavailable", "connection closed");
    const max = this.deps.maxSlots ?? MAX_LIVE_SUBSCRIPTIONS;
    // Re-subscribing a slot it already holds (or is opening) replaces it and is always allowed.
    if (!this.active.has(slot) && !this.pending.has(slot) && this.slotCount() >= max) {
      throw new CairnError(
        "too_many_subscriptions",
        `this connection already holds ${max} live subscriptions; unsubscribe one first (chat.unsubscribe)`,
        { max },
      );
    }
    const ticket = {};
    this.pending.set(slot, ticket);
    const tap: LiveTap = { send: this.deps.send };
    let seq: number;
    try {
      await this.deps.hub.join(subject, frame, tap);
      this.deps.onCountChange(1);
      seq = await liveStreamEnd(this.deps.nc);
    } catch (e) {
      if (this.pending.get(slot) === ticket) this.pending.delete(slot);
      this.deps.hub.leave(subject, tap);
      throw e;
    }
    if (this.closed || this.pending.get(slot) !== ticket) {
      this.deps.hub.leave(subject, tap);
      this.deps.onCountChange(-1);
      if (this.closed) throw new CairnError("unavailable", "connection closed");
      return { seq, start: () => {} };
    }
    this.pending.delete(slot);
    this.drop(slot);
    this.active.set(slot, { subject, tap });
    return { seq, start: () => void this.deps.hub.release(subject, tap, from) };
  }

  /** Slots held or being opened (a slot both active and pending counts once). */
  private slotCount(): number {
    let n = this.active.size;
    for (const slot of this.pending.keys()) if (!this.active.has(slot)) n++;
    return n;
  }

  private drop(slot: string): boolean {
    const s = this.active.get(slot);
    if (!s) return false;
    this.active.delete(slot);
    this.deps.hub.leave(s.subject, s.tap);
    this.deps.onCountChange(-1);
    return true;
  }
}
