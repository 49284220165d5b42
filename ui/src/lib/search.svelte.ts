import { asWireError, type GatewayClient } from "./client.ts";
import type { CompactionView, MessageHit, WireError } from "./wire.ts";

/** Typing pauses this long before a search is sent: one query per word, not per key. */
const DEBOUNCE_MS = 150;
const LIMIT = 30;

/**
 * The sidebar's search over past chats (`search.query`, FTS5 on the gateway): what was typed, the
 * hits for it (matches marked in each snippet), and the message a click jumped to. Answers for a
 * query that is no longer the one typed are dropped.
 */
export class SearchStore {
  query = $state("");
  hits = $state<readonly MessageHit[]>([]);
  searching = $state(false);
  error = $state<WireError | null>(null);
  /** The message a hit opened: the chat scrolls to it and marks it (a new object per jump). */
  jump = $state<{ sessionKey: string; messageId: string } | null>(null);

  readonly #client: GatewayClient;
  #timer: ReturnType<typeof setTimeout> | null = null;
  #seq = 0;

  constructor(client: GatewayClient) {
    this.#client = client;
  }

  /** Shows results for `text` (after a short pause); empty text clears them. */
  set(text: string): void {
    this.query = text;
    if (this.#timer) clearTimeout(this.#timer);
    const seq = ++this.#seq;
    if (text.trim() === "") {
      this.hits = [];
      this.searching = false;
      this.error = null;
      return;
    }
    this.searching = true;
    this.#timer = setTimeout(() => void this.#run(text, seq), DEBOUNCE_MS);
  }

  clear(): void {
    this.set("");
  }

  /** A hit was chosen: the chat opens its session and scrolls to the message. */
  open(hit: MessageHit): void {
    this.jump = { sessionKey: hit.sessionKey, messageId: hit.messageId };
  }

  async #run(text: string, seq: number): Promise<void> {
    try {
      const r = await this.#client.request("search.query", { query: text, limit: LIMIT });
      if (seq !== this.#seq) return;
      this.hits = r.hits;
      this.error = null;
    } catch (e) {
      if (seq !== this.#seq) return;
      this.hits = [];
      this.error = asWireError(e);
    } finally {
      if (seq === this.#seq) this.searching = false;
    }
  }
}

/** The open chat's compactions (`chat.compactions`): a divider with the summary after the last message each replaced. */
export class CompactionsStore {
  list = $state<readonly CompactionView[]>([]);
  readonly #client: GatewayClient;
  #key: string | null = null;
  #seq = 0;

  constructor(client: GatewayClient) {
    this.#client = client;
  }

  /** Loads the session's compactions (again); another session's answer arriving late is dropped. */
  async load(key: string | null): Promise<void> {
    const seq = ++this.#seq;
    if (key !== this.#key) this.list = [];
    this.#key = key;
    if (key === null) return;
    try {
      const r = await this.#client.request("chat.compactions", { sessionKey: key });
      if (seq === this.#seq) this.list = r.compactions;
    } catch {
      // Dividers are an aid, not the chat: a failed load leaves the messages as they are.
    }
  }
}
