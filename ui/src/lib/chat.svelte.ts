// Over 300 lines: one reactive store for a chat page (history, live frames, sending, stopping),
// whose state must change together; tool cards (tools.svelte.ts) and merging (messages.ts) live apart.
import { asWireError, RequestError, type GatewayClient } from "./client.ts";
import { coalesced } from "./coalesce.ts";
import { DeltaText } from "./deltas.ts";
import { switchReason } from "./errors.ts";
import { ToolsStore } from "./tools.svelte.ts";
import { newMessageId } from "./ids.ts";
import { finishedRuns, mergeMessages, mergeTail, runStatusToMessage, type LiveRun, type Outgoing } from "./messages.ts";
import type {
  Attachment,
  ActiveRun,
  ChatEvent,
  GetHistoryResult,
  HistoryMessage,
  SandboxBackend,
  SessionMcp,
  SessionSummary,
  WireError,
} from "./wire.ts";

const HISTORY_LIMIT = 500;
/** Messages fetched after a run: enough to overlap what is shown, so the rest need not come again. */
const HISTORY_TAIL = 20;

/** What a session may set for itself; null follows the configuration. */
export type SessionSettings = { model: string | null; sandbox: SandboxBackend | null; node: string | null; mcp: SessionMcp };

type Setter<K extends keyof SessionSettings> = (c: GatewayClient, sessionKey: string, value: SessionSettings[K]) => Promise<unknown>;

const SETTERS: { [K in keyof SessionSettings]: Setter<K> } = {
  model: (c, sessionKey, model) => c.request("sessions.setModel", { sessionKey, model }),
  sandbox: (c, sessionKey, sandbox) => c.request("sessions.setSandbox", { sessionKey, sandbox }),
  node: (c, sessionKey, node) => c.request("sessions.setNode", { sessionKey, node }),
  mcp: (c, sessionKey, mcp) => c.request("sessions.setMcp", { sessionKey, mcp }),
};
const MAX_SEND_ATTEMPTS = 3;

/** A message typed while the session was busy, with the files attached to it. */
export type Queued = { text: string; attachments: readonly Attachment[] };

/**
 * The open chat: its history (the truth, from `chat.history`), live replies streaming in over
 * `chat` events, and messages sent from this page that history does not show yet.
 */
export class ChatStore {
  key = $state<string | null>(null);
  session = $state<SessionSummary | null>(null);
  history = $state<readonly HistoryMessage[]>([]);
  activeRun = $state<ActiveRun | null>(null);
  runs = $state<LiveRun[]>([]);
  outgoing = $state<Outgoing[]>([]);
  loading = $state(false);
  /** The last failed request of this chat, shown as `code: message`. */
  error = $state<WireError | null>(null);
  /** The answer to a chat command such as `/model`. */
  info = $state<string | null>(null);
  /** Fallback notices by run id; history does not carry them, so they last while the chat is open. */
  notices = $state<Record<string, string[]>>({});

  messages = $derived(mergeMessages(this.history, this.outgoing, this.runs, this.notices));
  /** A reply is being written: the send button is Stop. */
  running = $derived(this.activeRun !== null || this.runs.some((r) => r.status === "streaming"));
  /** Messages the gateway holds before the first one loaded (history is bounded). */
  historyOffset = $derived(this.history.length >= HISTORY_LIMIT ? Math.max(0, (this.session?.messageCount ?? 0) - this.history.length) : 0);
  /** A run is active (or a message is on its way): what is typed now is queued. */
  busy = $derived(this.running || this.outgoing.some((o) => o.state !== "sent"));
  /**
   * Messages typed while a reply streams (or while offline), sent in order once the session is
   * free and connected. Only in this page's memory: a reload drops them (the composer says so).
   */
  queued = $state<Queued[]>([]);

  /** The open chat's tool cards and approvals. */
  readonly tools: ToolsStore;
  /** The run waits for a person to answer an approval. */
  get waitingApproval(): boolean {
    return this.running && Object.values(this.tools.approvals).some((a) => a.status === "pending");
  }
  /** True between a stop request and the run's end. */
  stopping = $state(false);

  readonly #client: GatewayClient;
  /** Bumped on every open: answers for a chat no longer open are dropped. */
  #token = 0;
  #subscribed = false;
  /** Reply texts of live runs as their deltas came (not reactive: `LiveRun.text` mirrors them). */
  #parts = new Map<string, DeltaText>();
  #loading: Promise<void> | null = null;
  /** Live texts waiting for the next frame (`#showText`). */
  #pendingText = new Map<LiveRun, DeltaText>();
  #frame: number | null = null;

  constructor(client: GatewayClient) {
    this.#client = client;
    this.tools = new ToolsStore(client);
    client.onEvent("chat", (payload) => this.#onEvent(payload as ChatEvent));
  }

  /** Shows another session (or none). Loads now when connected, else on the next connect. */
  open(key: string | null): void {
    if (key === this.key) return;
    const prev = this.key;
    if (prev !== null && this.#subscribed) this.#unsubscribe(prev);
    this.#token++;
    this.key = key;
    this.session = null;
    this.history = [];
    this.activeRun = null;
    this.runs = [];
    this.#parts.clear();
    this.outgoing = [];
    this.queued = [];
    this.error = null;
    this.info = null;
    this.notices = {};
    this.stopping = false;
    this.tools.open(key);
    this.#subscribed = false;
    this.#loading = null;
    if (key !== null && this.#client.state === "connected") this.#load();
  }

  /**
   * After a (re)connect: subscribe again — replaying the reply in progress from its start, whose
   * repeats the delta index drops — then catch up on history, the truth for everything finished.
   */
  async resume(): Promise<void> {
    const key = this.key;
    if (key === null) return;
    if (!this.#subscribed) return this.#load();
    const token = this.#token;
    // What failed before the connection came back is stale: a new failure sets it again.
    this.error = null;
    try {
      const since = this.activeRun?.startedAt ?? this.runs.find((r) => r.status === "streaming")?.at;
      await this.#client.request("chat.subscribe", since !== undefined ? { sessionKey: key, fromTime: since - 1000 } : { sessionKey: key });
      if (token !== this.#token) return;
      void this.tools.refresh();
      await this.#fetchHistory(HISTORY_LIMIT);
      for (const o of this.outgoing) if (o.state === "retrying") void this.#deliver(key, o);
      this.#drain();
    } catch (e) {
      if (token === this.#token) this.#fail(e);
    }
  }

  /**
   * Sends a message to the open session. Resolves false when it was refused (the error is in
   * `error`); a message cut off by a lost connection is resent after reconnecting, under the
   * same id so the gateway records it once.
   */
  async send(text: string, attachments: readonly Attachment[] = []): Promise<boolean> {
    const key = this.key;
    if (key === null || (!text.trim() && attachments.length === 0)) return false;
    this.error = null;
    // Wait for the live subscription, or the start of the reply would be missed.
    await this.#load();
    if (key !== this.key) return false;
    const files = attachments.length > 0 ? { attachments } : {};
    this.outgoing.push({ id: newMessageId(), text, at: Date.now(), state: "sending", attempts: 0, ...files });
    return this.#deliver(key, this.outgoing[this.outgoing.length - 1]);
  }

  /**
   * Holds a message (its text and files) until the reply in progress ends (or the connection is
   * back), then sends it.
   */
  enqueue(text: string, attachments: readonly Attachment[] = []): void {
    if (text.trim() || attachments.length > 0) this.queued = [...this.queued, { text, attachments }];
  }

  /** Takes a queued message back (to edit it, or not send it at all). */
  unqueue(index: number): Queued | undefined {
    const message = this.queued[index];
    this.queued = this.queued.filter((_, i) => i !== index);
    return message;
  }

  /** Sends the next queued message once nothing is in the way. */
  #drain(): void {
    if (this.queued.length === 0 || this.busy || this.#client.state !== "connected" || this.key === null) return;
    const [next, ...rest] = this.queued;
    this.queued = rest;
    void this.send(next.text, next.attachments).then((ok) => {
      // Refused (the error shows): keep the rest for the person to decide.
      if (!ok) this.queued = [next, ...this.queued];
    });
  }

  dismissError(): void {
    this.error = null;
  }

  /**
   * Sets one of the open session's own settings (null: back to the configured one). False when
   * refused (see `error`).
   */
  async setSetting<K extends keyof SessionSettings>(field: K, value: SessionSettings[K]): Promise<boolean> {
    const key = this.key;
    if (key === null) return false;
    this.error = null;
    try {
      await SETTERS[field](this.#client, key, value);
      if (key === this.key && this.session) this.session = { ...this.session, [field]: value };
      return true;
    } catch (e) {
      if (key === this.key) this.error = asWireError(e);
      return false;
    }
  }

  /**
   * Stops the open session's run (the button and Esc). The run ends as `cancelled` through the
   * live stream; the answer here only says the gateway took the request.
   */
  async stop(): Promise<boolean> {
    const key = this.key;
    if (key === null || this.stopping) return false;
    const runId = this.activeRun?.runId ?? this.runs.find((r) => r.status === "streaming")?.runId;
    this.error = null;
    this.stopping = true;
    try {
      await this.#client.request("runs.cancel", { sessionKey: key, ...(runId ? { runId } : {}) });
      return true;
    } catch (e) {
      if (key === this.key) {
        this.stopping = false;
        this.error = asWireError(e);
      }
      return false;
    }
  }

  async #deliver(key: string, o: Outgoing): Promise<boolean> {
    o.state = "sending";
    o.attempts++;
    try {
      const res = await this.#client.request("chat.send", {
        sessionKey: key,
        text: o.text,
        messageId: o.id,
        ...(o.attachments ? { attachments: o.attachments.map((a) => ({ sha256: a.sha256, name: a.name })) } : {}),
      });
      if (key !== this.key) return true;
      o.state = "sent";
      // Show the reply bubble (with its cursor) at once; `run.started` may come later.
      this.#ensureRun(res.runId);
      return true;
    } catch (e) {
      if (key !== this.key) return false;
      const local = e instanceof RequestError && e.local;
      if (local && o.attempts < MAX_SEND_ATTEMPTS) {
        o.state = "retrying";
        if (this.#client.state === "connected") return this.#deliver(key, o);
        return true; // resume() resends it
      }
      this.outgoing = this.outgoing.filter((x) => x.id !== o.id);
      this.error = asWireError(e);
      return false;
    }
  }

  /** History, then the live subscription; one at a time, retried on the next connect if it fails. */
  #load(): Promise<void> {
    if (this.#loading) return this.#loading;
    const key = this.key;
    if (key === null) return Promise.resolve();
    const token = this.#token;
    this.loading = true;
    const run = async () => {
      try {
        const h = await this.#client.request("chat.history", {
          sessionKey: key,
          limit: HISTORY_LIMIT,
        });
        if (token !== this.#token) return;
        this.#applyHistory(h);
        void this.tools.refresh();
        // A run in progress replays from its start, so its partial text shows.
        const params = h.activeRun ? { sessionKey: key, fromTime: h.activeRun.startedAt } : { sessionKey: key };
        await this.#client.request("chat.subscribe", params);
        if (token !== this.#token) {
          if (this.key !== key) this.#unsubscribe(key);
          return;
        }
        this.#subscribed = true;
        this.error = null;
      } catch (e) {
        if (token === this.#token) this.#fail(e);
        throw e;
      } finally {
        if (token === this.#token) this.loading = false;
      }
    };
    const p = run().catch(() => {
      if (token === this.#token) this.#loading = null;
    });
    this.#loading = p;
    return p;
  }

  /**
   * Catches up on history after the session changed: only its newest messages, merged into what is
   * shown (the whole history again only when they do not overlap it). A burst of `session.updated`
   * collapses into one extra fetch.
   */
  refreshHistory = coalesced(() => this.#fetchHistory(HISTORY_TAIL));

  async #fetchHistory(limit: number): Promise<void> {
    const key = this.key;
    const token = this.#token;
    if (key === null) return;
    try {
      const h = await this.#client.request("chat.history", { sessionKey: key, limit });
      if (token !== this.#token) return;
      const merged = limit < HISTORY_LIMIT ? mergeTail(this.history, h.messages, HISTORY_LIMIT) : h.messages;
      if (merged !== null) return this.#applyHistory({ ...h, messages: merged });
      const full = await this.#client.request("chat.history", { sessionKey: key, limit: HISTORY_LIMIT });
      if (token === this.#token) this.#applyHistory(full);
    } catch (e) {
      if (token === this.#token) this.#fail(e);
    }
  }

  #applyHistory(h: GetHistoryResult): void {
    this.session = h.session;
    this.history = h.messages;
    this.activeRun = h.activeRun;
    if (!h.activeRun && !this.runs.some((r) => r.status === "streaming")) this.stopping = false;
    const ids = new Set(h.messages.map((m) => m.id));
    const done = finishedRuns(h.messages);
    this.outgoing = this.outgoing.filter((o) => !ids.has(o.id));
    this.runs = this.runs.filter((r) => !done.has(r.runId));
    for (const runId of this.#parts.keys()) if (done.has(runId)) this.#parts.delete(runId);
    if (h.activeRun) this.#ensureRun(h.activeRun.runId);
    this.#drain();
  }

  #onEvent(ev: ChatEvent): void {
    if (!ev || ev.sessionKey !== this.key) return;
    switch (ev.type) {
      case "run.started":
        this.#ensureRun(ev.runId);
        break;
      case "run.delta": {
        const r = this.#ensureRun(ev.runId);
        if (r?.status !== "streaming") break; // a delta after the end is stale
        let parts = this.#parts.get(ev.runId);
        if (!parts) {
          parts = new DeltaText();
          this.#parts.set(ev.runId, parts);
        }
        if (parts.place(ev.index, ev.text)) this.#showText(r, parts);
        break;
      }
      case "run.ended": {
        this.#flushText();
        const r = this.#ensureRun(ev.runId);
        if (r) {
          r.status = runStatusToMessage(ev.status);
          r.error = ev.error ?? null;
        }
        if (this.activeRun?.runId === ev.runId) this.activeRun = null;
        if (!this.activeRun) this.stopping = false;
        this.#drain();
        break;
      }
      case "session.updated":
        // Tool cards need no fetch: live messages carried every change to them.
        void this.refreshHistory();
        break;
      case "run.tool":
      case "run.tool_output":
      case "run.approval": {
        // The card's stand-in position is the reply's length now: show all of it first.
        this.#flushText();
        const r = this.#ensureRun(ev.runId);
        const streamingHistory = this.history.find((m) => m.runId === ev.runId && m.role === "assistant");
        this.tools.onLive(ev, Math.max(r?.text.length ?? 0, streamingHistory?.text.length ?? 0));
        break;
      }
      case "run.model_switched": {
        this.#ensureRun(ev.runId);
        const text = fallbackNotice(ev.from, ev.to, ev.error);
        const list = this.notices[ev.runId] ?? [];
        // A resumed stream replays the switch: show it once.
        if (!list.includes(text)) this.notices[ev.runId] = [...list, text];
        break;
      }
    }
  }

  /**
   * Shows a live reply's text at most once per frame: deltas come faster than frames (several per
   * WebSocket message burst), and each shown text re-renders the reply. The parts keep every delta;
   * only the showing waits. A run that ends shows its text at once (`#flushText`).
   */
  #showText(r: LiveRun, parts: DeltaText): void {
    this.#pendingText.set(r, parts);
    if (this.#frame !== null) return;
    const flush = () => this.#flushText();
    this.#frame = typeof requestAnimationFrame === "function" ? requestAnimationFrame(flush) : (setTimeout(flush, 16) as unknown as number);
  }

  #flushText(): void {
    this.#frame = null;
    for (const [r, parts] of this.#pendingText) r.text = parts.text;
    this.#pendingText.clear();
  }

  /** The live run for `runId`, created on first sight; none once history has its final text. */
  #ensureRun(runId: string): LiveRun | null {
    const found = this.runs.find((r) => r.runId === runId);
    if (found) return found;
    if (finishedRuns(this.history).has(runId)) return null;
    this.runs.push({
      runId,
      text: "",
      status: "streaming",
      error: null,
      at: Date.now(),
    });
    return this.runs[this.runs.length - 1];
  }

  #unsubscribe(key: string): void {
    this.#client.request("chat.unsubscribe", { sessionKey: key }).catch(() => {});
  }

  #fail(e: unknown): void {
    // A lost connection shows in the status pill and is retried on reconnect.
    if (e instanceof RequestError && e.connectionLost) return;
    this.error = asWireError(e);
  }
}

/** "openai/gpt-4o-mini was rate limited (retry in 7 s) — switched to anthropic/claude-…" */
export const fallbackNotice = (from: string, to: string, error: WireError): string => `${from} ${switchReason(error)} — switched to ${to}`;
