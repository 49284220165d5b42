import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { readStoredLive, type LiveFrom } from "../live.ts";

/**
 * The edge's live fan-out: one core NATS subscription per live subject (a session's
 * `live.session.<key>`, or `live.sessions`), shared by every WebSocket slot watching it. A message
 * is checked and framed once and written to each slot as it comes — no JetStream consumer, no
 * schema decoding on the token path. The stored tail of the live stream is read only to resume: a
 * slot that asks to start at a time or sequence, and every slot after a bus reconnect.
 */

/** One subscriber: a WebSocket connection's subscription to one subject. */
export interface LiveTap {
  send(frame: string): void;
}

export interface HubHooks {
  /** A message was not a JSON object with a `type`: dropped. */
  onSkipped(): void;
  /** Bus subscriptions of the hub went up or down by one. */
  onFeedCount(delta: number): void;
  log(line: string): void;
}

interface Feed {
  subject: string;
  sub: Subscription;
  /** The WebSocket event frame carrying one payload. */
  frame: (raw: string) => string;
  /** Each tap, with the payloads held back while its replay is read (undefined once live). */
  taps: Map<LiveTap, string[] | undefined>;
  /** Payloads forwarded lately, newest last: a replay after a reconnect skips these. */
  recent: string[];
}

/** Payloads remembered per subject to de-duplicate a reconnect's replay. */
const RECENT = 512;
/** A replay after a reconnect starts this long before the disconnect (clocks of two hosts). */
const RESYNC_MARGIN_MS = 1000;

/** `{"type":"event","event":<event>,"payload":<raw>}`, with `extra` fields spliced into the payload. */
export const framer = (event: string, extra?: Record<string, string>) => {
  const head = `{"type":"event","event":${JSON.stringify(event)},"payload":`;
  if (!extra) return (raw: string) => `${head}${raw}}`;
  const fields = Object.entries(extra)
    .map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)},`)
    .join("");
  // A checked payload is a non-empty object (it has `type`), so a field can go right after `{`.
  return (raw: string) => `${head}{${fields}${raw.slice(1)}}`;
};

/** True for the JSON text of an object with a string `type`: what every live message is. */
const wellFormed = (raw: string): boolean => {
  if (raw.charCodeAt(0) !== 123 /* { */) return false;
  try {
    return typeof (JSON.parse(raw) as { type?: unknown }).type === "string";
  } catch {
    return false;
  }
};

/** Removes one occurrence of each of `seen` from `items` (a multiset difference), keeping order. */
const without = (items: readonly string[], seen: readonly string[]): string[] => {
  const counts = new Map<string, number>();
  for (const s of seen) counts.set(s, (counts.get(s) ?? 0) + 1);
  return items.filter((s) => {
    const n = counts.get(s) ?? 0;
    if (n === 0) return true;
    counts.set(s, n - 1);
    return false;
  });
};

export class LiveHub {
  private readonly feeds = new Map<string, Feed>();
  private downAt: number | undefined;

  constructor(
    private readonly nc: NatsConnection,
    private readonly hooks: HubHooks,
  ) {}

  /**
   * Adds `tap` to `subject`, holding its messages back until `release` (so the caller can answer
   * the request first). The subscription is known to the server when this resolves.
   */
  async join(subject: string, frame: (raw: string) => string, tap: LiveTap): Promise<void> {
    const feed = this.feeds.get(subject);
    if (feed) {
      feed.taps.set(tap, []);
      return;
    }
    const created: Feed = { subject, frame, taps: new Map([[tap, []]]), recent: [], sub: undefined as unknown as Subscription };
    created.sub = this.nc.subscribe(subject, { callback: (_e, m) => this.deliver(created, m.string()) });
    this.feeds.set(subject, created);
    this.hooks.onFeedCount(1);
    await this.nc.flush();
  }

  /**
   * Starts delivery to `tap`: first what the stored tail holds from `from` (when given), then what
   * arrived meanwhile, each message once.
   */
  async release(subject: string, tap: LiveTap, from?: LiveFrom): Promise<void> {
    const feed = this.feeds.get(subject);
    if (!feed?.taps.has(tap)) return;
    this.flush(feed, tap, from ? await this.stored(subject, from) : []);
  }

  /** Removes `tap`; the subject's subscription ends with its last tap. */
  leave(subject: string, tap: LiveTap): void {
    const feed = this.feeds.get(subject);
    if (!feed?.taps.delete(tap) || feed.taps.size > 0) return;
    this.feeds.delete(subject);
    this.hooks.onFeedCount(-1);
    feed.sub.unsubscribe();
  }

  private deliver(feed: Feed, raw: string): void {
    if (!wellFormed(raw)) {
      this.hooks.onSkipped();
      return;
    }
    feed.recent.push(raw);
    if (feed.recent.length > RECENT * 2) feed.recent.splice(0, RECENT);
    let frame: string | undefined;
    for (const [tap, held] of feed.taps) {
      if (held) held.push(raw);
      else {
        frame ??= feed.frame(raw);
        try {
          tap.send(frame);
        } catch (e) {
          // One client's failure must not stop the others' delivery.
          this.hooks.log(`live forward failed: ${String(e)}`);
        }
      }
    }
  }

  /** Sends `replayed` to `tap`, then its held messages not among them, and makes it live. */
  private flush(feed: Feed, tap: LiveTap, replayed: readonly string[]): void {
    const held = feed.taps.get(tap);
    if (!held) return;
    feed.taps.set(tap, undefined);
    for (const raw of [...replayed, ...without(held, replayed)]) tap.send(feed.frame(raw));
  }

  /** The bus went away (the edge's status watch calls this): what is published now is missed. */
  busDown(): void {
    this.downAt ??= Date.now();
  }

  /**
   * The bus is back. Core subscriptions resume by themselves, but what was published while it was
   * away is only in the stored tail: replay that to every tap, minus what they already got.
   */
  busBack(): void {
    if (this.downAt === undefined) return;
    const since = this.downAt - RESYNC_MARGIN_MS;
    this.downAt = undefined;
    for (const feed of this.feeds.values()) void this.resync(feed, since);
  }

  private async resync(feed: Feed, sinceMs: number): Promise<void> {
    const taps = [...feed.taps.keys()].filter((t) => feed.taps.get(t) === undefined);
    for (const t of taps) feed.taps.set(t, []);
    const seen = [...feed.recent];
    const missed = without(await this.stored(feed.subject, { sinceMs }), seen);
    for (const t of taps) if (feed.taps.has(t)) this.flush(feed, t, missed);
  }

  /** The stored tail's well-formed payloads from `from`; none when it cannot be read (live goes on). */
  private async stored(subject: string, from: LiveFrom): Promise<string[]> {
    try {
      return (await readStoredLive(this.nc, subject, from)).filter(wellFormed);
    } catch (e) {
      this.hooks.log(`live replay of ${subject} failed (live messages go on): ${String(e)}`);
      return [];
    }
  }
}
