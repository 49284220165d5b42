import { authErrorText } from "./auth.ts";
import { asWireError, type ConnectionState, type GatewayClient } from "./client.ts";
import { ChatStore, type SessionSettings } from "./chat.svelte.ts";
import { SessionsStore, titleFrom } from "./sessions.svelte.ts";
import { ModelsStore } from "./models.svelte.ts";
import { ProvidersStore } from "./providers.svelte.ts";
import { ApprovalsStore, type DecideOutcome } from "./approvals.svelte.ts";
import { NodesStore } from "./nodes.svelte.ts";
import { CronStore } from "./cron.svelte.ts";
import { McpStore } from "./mcp.svelte.ts";
import { SettingsStore } from "./settings.svelte.ts";
import { AuthGate } from "./gate.svelte.ts";
import { SecurityStore } from "./security.svelte.ts";
import { CompactionsStore, SearchStore } from "./search.svelte.ts";
import { slashCommandOf, slashHelp, type SlashCommand } from "./slash.ts";
import { legacyRedirect, openSessionInUrl, sessionKeyFromHash, viewFromHash, type View } from "./route.ts";
import type { ApprovalDecision, Attachment, SandboxBackend, SessionMcp, StatusPayload, WireError } from "./wire.ts";
import { runningBuild, servesAnotherBuild } from "./update.ts";

/** The page's state: the connection, the gateway's status, the session list and the open chat. */
export class AppState {
  connection = $state<ConnectionState>("connecting");
  connectionError = $state<WireError | null>(null);
  status = $state<StatusPayload | null>(null);
  #catchUpTimer: ReturnType<typeof setTimeout> | undefined;
  server = $state<{ name: string; version: string; ui?: string } | null>(null);
  /** The gateway serves another UI build than this page runs (lib/update.ts): a reload is offered. */
  newBuild = $state(false);
  /** The first message of a chat while its session is being created. */
  firstMessage = $state<string | null>(null);
  view = $state<View>("chat");

  readonly client: GatewayClient;
  readonly sessions: SessionsStore;
  readonly chat: ChatStore;
  readonly models: ModelsStore;
  readonly providers: ProvidersStore;
  readonly approvals: ApprovalsStore;
  readonly nodes: NodesStore;
  readonly cron: CronStore;
  readonly mcp: McpStore;
  /** General and Tools & approvals (the settings changed from the UI or CLI). */
  readonly settings: SettingsStore;
  readonly gate: AuthGate;
  readonly security: SecurityStore;
  /** The sidebar's search over past chats, and the open chat's compactions. */
  readonly search: SearchStore;
  readonly compactions: CompactionsStore;
  /** Whether the socket is open or trying to be: it stays shut while the sign-in page shows. */
  #clientRunning = false;
  readonly #reload: () => void;

  constructor(client: GatewayClient, gate: AuthGate = new AuthGate(), reload: () => void = () => location.reload()) {
    this.client = client;
    this.gate = gate;
    this.#reload = reload;
    this.security = new SecurityStore(client, gate.api);
    this.sessions = new SessionsStore(client);
    this.chat = new ChatStore(client);
    this.search = new SearchStore(client);
    this.compactions = new CompactionsStore(client);
    this.models = new ModelsStore(client);
    this.providers = new ProvidersStore(client);
    this.approvals = new ApprovalsStore(client);
    this.nodes = new NodesStore(client);
    this.cron = new CronStore(client);
    this.mcp = new McpStore(client);
    this.settings = new SettingsStore(client);
    // The picker's "Default (…)" follows a default model changed in any tab or the CLI.
    client.onEvent("sessions", (payload) => {
      if ((payload as { type?: string } | null)?.type === "settings.changed") void this.models.load();
    });
    client.onState((s) => {
      this.connection = s;
      this.connectionError = client.lastError;
      if (s === "error" && client.lastError?.code === "unauthorized") void this.#recheckAuth();
    });
    client.onConnected((hello) => {
      this.connectionError = null;
      this.status = hello.status;
      this.#followCatchUp();
      this.server = hello.server;
      this.newBuild = servesAnotherBuild(hello.server.ui, runningBuild());
      void this.sessions.resubscribe();
      void this.chat.resume();
      void this.models.load();
      void this.approvals.refresh();
      if (this.view === "providers") void this.providers.load();
      if (this.view === "security") void this.security.load();
      if (this.view === "cron") void this.cron.load();
      if (this.#needsSettings()) void this.settings.load();
      // The chat header's MCP toggle names the servers, so the list is wanted on every page.
      void this.mcp.load();
      // The node selector names the session's node, so the list is wanted on every page.
      if (this.view === "nodes") void this.nodes.refreshAll();
      else void this.nodes.load();
    });
  }

  /** The sections that show the settings (`#/settings` shows General beside the list on a desktop). */
  #needsSettings(): boolean {
    return this.view === "general" || this.view === "tools" || this.view === "settings";
  }

  /** Follows the URL hash and connects. Returns a function that undoes it. */
  start(): () => void {
    const onHash = () => {
      // The old top-level pages (`#/providers`, …) are Settings sections now.
      const moved = legacyRedirect(location.hash);
      if (moved) location.replace(moved);
      this.view = viewFromHash();
      // The open chat stays open behind other pages.
      if (this.view === "chat") this.chat.open(sessionKeyFromHash());
      else if (this.client.state === "connected") {
        if (this.view === "providers") void this.providers.load();
        else if (this.view === "security") void this.security.load();
        else if (this.view === "cron") void this.cron.load();
        else if (this.view === "mcp") void this.mcp.refreshAll();
        else if (this.#needsSettings()) void this.settings.load();
        else void this.nodes.refreshAll();
      }
    };
    const onOnline = () => this.client.retryNow();
    addEventListener("hashchange", onHash);
    addEventListener("online", onOnline);
    onHash();
    void this.enter();
    return () => {
      removeEventListener("hashchange", onHash);
      removeEventListener("online", onOnline);
      this.#stopClient();
    };
  }

  /**
   * Asks the gateway whether this browser may come in, and connects when it may. Called at start
   * and after a sign-in or setup (the cookie is set by then); otherwise the gate shows its page.
   */
  async enter(): Promise<void> {
    if ((await this.gate.check()) !== "open" || this.#clientRunning) return;
    this.#clientRunning = true;
    this.client.start();
  }

  /**
   * The socket was refused as `unauthorized`. When the gateway says a sign-in is needed, the
   * socket stops and the sign-in page shows. When it says this browser is signed in (a refusal for
   * another reason), the client keeps retrying slowly and shows the error: no loop either way.
   */
  async #recheckAuth(): Promise<void> {
    if ((await this.gate.check()) !== "open") this.#stopClient();
  }

  #stopClient(): void {
    this.#clientRunning = false;
    this.client.close();
  }

  /**
   * Ends this login session (or, `everywhere`, every one). The page reloads after, so nothing of
   * this session's chats stays in memory for whoever uses the device next. Resolves to the
   * failure's text, or null once the page is on its way out.
   */
  async logout(everywhere = false): Promise<string | null> {
    try {
      if (everywhere) await this.gate.api.logoutAll();
      else await this.gate.api.logout();
    } catch (e) {
      return authErrorText(e, "other");
    }
    this.#stopClient();
    this.#reload();
    return null;
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

  /** The open session's model; null means the default. */
  get sessionModel(): string | null {
    return this.openSession?.model ?? null;
  }

  /** The model the next reply will come from. */
  get effectiveModel(): string | null {
    return this.sessionModel ?? this.models.defaultModel ?? this.status?.model ?? null;
  }

  /**
   * Sets the open session's model (null: back to the default). With no session open yet, a
   * session is created with that model, so the choice is not lost before the first message.
   */
  async setModel(model: string | null): Promise<boolean> {
    const key = this.chat.key;
    this.chat.info = null;
    if (key === null) {
      if (model === null) return true;
      try {
        const created = await this.sessions.create(undefined, model);
        openSessionInUrl(created);
        this.chat.open(created);
        return true;
      } catch (e) {
        this.chat.error = asWireError(e);
        return false;
      }
    }
    return this.#setSetting("model", model);
  }

  /** Sets one of the open session's settings, in the chat and in the sidebar's list. */
  async #setSetting<K extends keyof SessionSettings>(field: K, value: SessionSettings[K]): Promise<boolean> {
    const key = this.chat.key;
    if (key === null) return false;
    const ok = await this.chat.setSetting(field, value);
    if (ok) this.sessions.patch(key, { [field]: value });
    return ok;
  }

  /** `/compact`: the open chat's finished turns become a summary (the messages stay). */
  async #compact(): Promise<boolean> {
    const key = this.chat.key;
    this.chat.error = null;
    this.chat.info = null;
    if (key === null) {
      this.chat.info = "Nothing to compact yet.";
      return true;
    }
    this.chat.info = "Compacting…";
    try {
      const r = await this.client.request("sessions.compact", { sessionKey: key });
      if (this.chat.key !== key) return true;
      this.chat.info = r.compacted
        ? `Compacted ${r.messages} message${r.messages === 1 ? "" : "s"} into a summary (~${r.tokensBefore} → ~${r.tokensAfter} tokens).`
        : "Nothing new to compact.";
      await this.compactions.load(key);
      return true;
    } catch (e) {
      this.chat.info = null;
      this.chat.error = asWireError(e);
      return false;
    }
  }

  async #modelCommand(arg: string): Promise<boolean> {
    this.chat.error = null;
    if (arg === "") {
      const m = this.sessionModel;
      this.chat.info = m
        ? `This chat uses ${m}.`
        : `This chat uses the default model${this.effectiveModel ? `: ${this.effectiveModel}` : ""}.`;
      return true;
    }
    if (arg === "default") {
      const ok = await this.setModel(null);
      if (ok) this.chat.info = `Back to the default model${this.effectiveModel ? `: ${this.effectiveModel}` : ""}.`;
      return ok;
    }
    const r = this.models.resolve(arg);
    if ("error" in r) {
      this.chat.error = { code: "model_unknown", message: r.error };
      return false;
    }
    const ok = await this.setModel(r.id);
    if (ok) this.chat.info = `Switched to ${r.id}.`;
    return ok;
  }

  /** A slash command typed in the composer (see slash.ts); its outcome shows as the chat's info line. */
  async #command(c: SlashCommand): Promise<boolean> {
    this.chat.error = null;
    this.chat.info = null;
    switch (c.name) {
      case "new":
        return this.newChat();
      case "model":
        return this.#modelCommand(c.arg);
      case "compact":
        return this.#compact();
      case "fork":
        if (this.chat.key !== null) return this.fork(undefined, c.arg || undefined);
        this.chat.info = "Nothing to fork yet.";
        return true;
      case "clear":
        return this.#clear();
      case "help":
        this.chat.info = slashHelp();
        return true;
    }
  }

  /**
   * `/clear`: a fresh, empty chat on the open chat's model. Nothing is deleted: the chat it leaves
   * stays in the list as it was (delete it there to remove it).
   */
  async #clear(): Promise<boolean> {
    if (this.chat.key === null || this.chat.messages.length === 0) {
      this.chat.info = "This chat is already empty.";
      return true;
    }
    try {
      const key = await this.sessions.create(undefined, this.sessionModel ?? undefined);
      openSessionInUrl(key);
      this.chat.open(key);
      this.chat.info = "Started an empty chat on the same model; the previous one is still in the list.";
      return true;
    } catch (e) {
      this.chat.error = asWireError(e);
      return false;
    }
  }

  /** Sends `text`, first creating a session (titled after the text) when none is open. */
  async send(text: string, attachments: readonly Attachment[] = []): Promise<boolean> {
    const command = attachments.length === 0 ? slashCommandOf(text) : null;
    if (command) return this.#command(command);
    this.chat.info = null;
    const creating = this.chat.key === null;
    // With no model the gateway refuses every message: say so without leaving an empty session.
    if (creating && this.status?.modelHint) {
      this.chat.error = { code: "model_not_configured", message: this.status.modelHint };
      return false;
    }
    if (creating) {
      this.firstMessage = text;
      try {
        const key = await this.sessions.create(titleFrom(text.trim() ? text : (attachments[0]?.name ?? text)));
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
      ok = await this.chat.send(text, attachments);
    } finally {
      if (creating) this.firstMessage = null;
    }
    if (!ok && this.chat.error?.code.startsWith("model_")) void this.refreshStatus();
    return ok;
  }

  /**
   * Branches the open session after `messageIndex` messages (all when omitted) and opens the
   * fork. False when refused (the error is shown in the chat).
   */
  async fork(messageIndex?: number, label?: string): Promise<boolean> {
    const key = this.chat.key;
    if (key === null) return false;
    this.chat.error = null;
    try {
      const res = await this.client.request("sessions.fork", {
        sessionKey: key,
        ...(messageIndex !== undefined ? { messageIndex } : {}),
        ...(label ? { label } : {}),
      });
      void this.sessions.refresh();
      openSessionInUrl(res.sessionKey);
      this.chat.open(res.sessionKey);
      return true;
    } catch (e) {
      this.chat.error = asWireError(e);
      return false;
    }
  }

  /** Deletes a session; the open one closes. Resolves to the error, or null. */
  async deleteSession(key: string): Promise<WireError | null> {
    try {
      await this.client.request("sessions.delete", { sessionKey: key });
    } catch (e) {
      return asWireError(e);
    }
    this.sessions.remove(key);
    if (this.chat.key === key) {
      openSessionInUrl(null);
      this.chat.open(null);
    }
    return null;
  }

  /** The open session's sandbox backend (null: the configured one). */
  setSandbox(sandbox: SandboxBackend | null): Promise<boolean> {
    return this.#setSetting("sandbox", sandbox);
  }

  /**
   * Routes the open session's `exec` to a node (null: this machine). The gateway checks the
   * node is approved; the choice is an event, so it is back after a reload or a restart.
   */
  setNode(node: string | null): Promise<boolean> {
    return this.#setSetting("node", node);
  }

  /** Which MCP servers' tools the open session's runs are offered (null: all); a fork keeps it. */
  setMcp(mcp: SessionMcp): Promise<boolean> {
    return this.#setSetting("mcp", mcp);
  }

  /** Answers an approval and shows the answer in the open chat at once. */
  async decide(approvalId: string, decision: ApprovalDecision, reason?: string): Promise<DecideOutcome> {
    const out = await this.approvals.decide(approvalId, decision, reason);
    if (out.ok) this.chat.tools.applyDecision(out.view);
    void this.chat.tools.refresh();
    return out;
  }

  async refreshStatus(): Promise<void> {
    try {
      this.status = await this.client.request("status", {});
    } catch {
      // The pill already shows connection trouble; a stale status is better than none.
    }
  }

  /** While the read models catch up, the pill counts down (and lists refresh when they are done). */
  #followCatchUp(): void {
    if (!this.status?.projections.catchingUp || this.#catchUpTimer) return;
    this.#catchUpTimer = setTimeout(async () => {
      this.#catchUpTimer = undefined;
      if (this.connection !== "connected") return;
      await this.refreshStatus();
      if (this.status?.projections.catchingUp) this.#followCatchUp();
      else void this.sessions.resubscribe();
    }, 2_000);
  }
}
