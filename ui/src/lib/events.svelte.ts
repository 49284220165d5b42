import { asWireError, type GatewayClient } from "./client.ts";
import { coalesced } from "./coalesce.ts";
import { listParams, type EventFilter } from "./events.ts";
import type { EventChainResult, EventRow, WireError } from "./wire.ts";

/** Events held on the page: the newest are kept, the oldest dropped past this. */
const KEEP = 1000;
/** Events fetched per request when catching up after a tick. */
const PAGE = 500;

/**
 * A live list of the log's events for one filter: the newest on open, then every event after the
 * last one seen, fetched on each "the log moved" tick (`events.subscribe`) and after a reconnect.
 * The ticks carry no events: the list is always the read models' answer, so a missed tick costs
 * nothing but a moment.
 */
export class EventsFeed {
  events = $state<EventRow[]>([]);
  loaded = $state(false);
  error = $state<WireError | null>(null);
  /** Paused: ticks are ignored until resumed (the list holds still while someone reads it). */
  paused = $state(false);
  /** The selected event and its causation, once fetched. */
  selected = $state<EventChainResult | null>(null);
  selectedSeq = $state<number | null>(null);

  readonly #client: GatewayClient;
  #filter: EventFilter = {};
  #token = 0;
  #stops: (() => void)[] = [];

  constructor(client: GatewayClient) {
    this.#client = client;
  }

  /** Starts (or restarts) the feed for `filter`. */
  open(filter: EventFilter): void {
    this.#filter = filter;
    this.#token++;
    this.events = [];
    this.loaded = false;
    this.error = null;
    if (this.#stops.length === 0) {
      this.#stops.push(
        this.#client.onEvent("events", () => void (this.paused ? undefined : this.more())),
        this.#client.onConnected(() => void this.#subscribe()),
      );
    }
    void this.#subscribe();
  }

  close(): void {
    for (const stop of this.#stops.splice(0)) stop();
    this.#token++;
    void this.#client.request("events.unsubscribe", {}).catch(() => undefined);
  }

  resume(): void {
    this.paused = false;
    void this.more();
  }

  async #subscribe(): Promise<void> {
    try {
      await this.#client.request("events.subscribe", {});
    } catch (e) {
      this.error = asWireError(e);
    }
    await this.more();
  }

  /** Fetches what came after the newest event held (the newest page when none is held yet). */
  more = coalesced(async () => {
    const token = this.#token;
    try {
      for (;;) {
        const last = this.events.at(-1)?.seq;
        const params = { ...listParams(this.#filter), limit: PAGE, ...(last !== undefined ? { afterSeq: last } : {}) };
        const { events } = await this.#client.request("events.list", params);
        if (token !== this.#token) return;
        if (events.length > 0) this.events = [...this.events, ...events].slice(-KEEP);
        this.loaded = true;
        this.error = null;
        if (last === undefined || events.length < PAGE) return;
      }
    } catch (e) {
      if (token === this.#token) this.error = asWireError(e);
    }
  });

  /** Shows one event: its data and its causation tree. */
  async select(seq: number | null): Promise<void> {
    this.selectedSeq = seq;
    if (seq === null) {
      this.selected = null;
      return;
    }
    try {
      const chain = await this.#client.request("events.chain", { seq });
      if (this.selectedSeq === seq) this.selected = chain;
    } catch (e) {
      if (this.selectedSeq === seq) this.error = asWireError(e);
    }
  }
}
