import { asWireError, GatewayClient, type ConnectionState } from "./client.ts";
import { ChatStore } from "./chat.svelte.ts";
import { SessionsStore, titleFrom } from "./sessions.svelte.ts";
import { openSessionInUrl, sessionKeyFromHash } from "./route.ts";
import type { StatusPayload, WireError } from "./protocol.ts";

/** The page's state: the connection, the gateway's status, the session list and the open chat. */
export class AppState {
  connection = $state<ConnectionState>("connecting");
  connectionError = $state<WireError | null>(null);
  status = $state<StatusPayload | null>(null);
  server = $state<{ name: string; version: string } | null>(null);
  /** The first message of a chat while its session is being created. */
  firstMessage = $state<string | null>(null);

  readonly client: GatewayClient;
  readonly sessions: SessionsStore;
  readonly chat: ChatStore;

  constructor(client: GatewayClient) {
    this.client = client;
    this.sessions = new SessionsStore(client);
    this.chat = new ChatStore(client);
    client.onState((s) => {
      this.connection = s;
      this.connectionError = client.lastError;
    });
    client.onConnected((hello) => {
      this.connectionError = null;
      this.status = hello.status;
      this.server = hello.server;
      void this.sessions.resubscribe();
      void this.chat.resume();
    });
  }

  /** Follows the URL hash and connects. Returns a function that undoes it. */
  start(): () => void {
    const onHash = () => this.chat.open(sessionKeyFromHash());
    const onOnline = () => this.client.retryNow();
    addEventListener("hashchange", onHash);
    addEventListener("online", onOnline);
    onHash();
    this.client.start();
    return () => {
      removeEventListener("hashchange", onHash);
      removeEventListener("online", onOnline);
      this.client.close();
    };
  }

  /** The open session's summary, freshest first from the list. */
  get openSession() {
    return this.sessions.find(this.chat.key) ?? this.chat.session;
  }

  /**
   * Opens a fresh session. An open session with nothing in it is reused, so repeated clicks do
   * not litter the list. Returns false when creating failed (the error is shown in the chat).
   */
  async newChat(): Promise<boolean> {
    const c = this.chat;
    if (c.key !== null && !c.loading && !c.error && c.messages.length === 0) return true;
    try {
      const key = await this.sessions.create();
      openSessionInUrl(key);
      this.chat.open(key);
      return true;
    } catch (e) {
      this.chat.error = asWireError(e);
      return false;
    }
  }

  /** Sends `text`, first creating a session (titled after the text) when none is open. */
  async send(text: string): Promise<boolean> {
    const creating = this.chat.key === null;
    // With no model the gateway refuses every message: say so without leaving an empty session.
    if (creating && this.status?.modelHint) {
      this.chat.error = { code: "model_not_configured", message: this.status.modelHint };
      return false;
    }
    if (creating) {
      this.firstMessage = text;
      try {
        const key = await this.sessions.create(titleFrom(text));
        openSessionInUrl(key);
        this.chat.open(key);
      } catch (e) {
        this.firstMessage = null;
        this.chat.error = asWireError(e);
        return false;
      }
    }
    let ok: boolean;
    try {
      ok = await this.chat.send(text);
    } finally {
      if (creating) this.firstMessage = null;
    }
    if (!ok && this.chat.error?.code.startsWith("model_")) void this.refreshStatus();
    return ok;
  }

  async refreshStatus(): Promise<void> {
    try {
      this.status = await this.client.request("status", {});
    } catch {
      // The pill already shows connection trouble; a stale status is better than none.
    }
  }
}
