import { asWireError, type GatewayClient } from "./client.ts";
import type { SessionExportFormat, SessionSummary, SessionsEvent, WireError } from "./wire.ts";
import { coalesced } from "./coalesce.ts";

const LIST_LIMIT = 200;

/** The sidebar's session list: fetched on connect and again on each `sessions.changed`. */
export class SessionsStore {
  list = $state<SessionSummary[]>([]);
  loaded = $state(false);
  error = $state<WireError | null>(null);

  readonly #client: GatewayClient;

  constructor(client: GatewayClient) {
    this.#client = client;
    client.onEvent("sessions", (payload) => {
      if ((payload as SessionsEvent | null)?.type === "sessions.changed") void this.refresh();
    });
  }

  find(key: string | null): SessionSummary | undefined {
    return key === null ? undefined : this.list.find((s) => s.key === key);
  }

  /** After each (re)connect: subscriptions do not survive a new socket. */
  async resubscribe(): Promise<void> {
    try {
      await this.#client.request("sessions.subscribe", {});
    } catch (e) {
      this.error = asWireError(e);
    }
    await this.refresh();
  }

  /** Re-fetches the list; bursts of changes collapse into one extra fetch. */
  refresh = coalesced(async () => {
    try {
      const { sessions } = await this.#client.request("sessions.list", { limit: LIST_LIMIT });
      this.list = [...sessions].sort((a, b) => Number(!!b.pinned) - Number(!!a.pinned) || b.updatedAt - a.updatedAt);
      this.loaded = true;
      this.error = null;
    } catch (e) {
      this.error = asWireError(e);
    }
  });

  /** Creates a session and returns its key; the list updates through `sessions.changed`. */
  async create(title?: string, model?: string): Promise<string> {
    const { key } = await this.#client.request("sessions.create", {
      ...(title ? { title } : {}),
      ...(model ? { model } : {}),
    });
    void this.refresh();
    return key;
  }

  /** Drops a session the gateway confirmed deleted, before the list is fetched again. */
  remove(key: string): void {
    this.list = this.list.filter((s) => s.key !== key);
    void this.refresh();
  }

  /** Gives a chat the user's own title (`session.renamed`; other tabs see it through `sessions.changed`). */
  async rename(key: string, title: string): Promise<WireError | null> {
    return this.#change(key, { title }, () => this.#client.request("sessions.rename", { sessionKey: key, title }));
  }

  /** Pins a chat to the top of the list, or unpins it (`session.pinned`). */
  async pin(key: string, pinned: boolean): Promise<WireError | null> {
    return this.#change(key, { pinned }, () => this.#client.request("sessions.pin", { sessionKey: key, pinned }));
  }

  async #change(key: string, change: Partial<SessionSummary>, ask: () => Promise<unknown>): Promise<WireError | null> {
    try {
      await ask();
    } catch (e) {
      return asWireError(e);
    }
    this.patch(key, change);
    void this.refresh();
    return null;
  }

  /** The chat as a file, as `cairn sessions export` writes it; the browser saves it. */
  async download(key: string, format: SessionExportFormat): Promise<WireError | null> {
    try {
      const file = await this.#client.request("sessions.export", { sessionKey: key, format });
      const url = URL.createObjectURL(new Blob([file.text], { type: file.mimeType }));
      const a = document.createElement("a");
      a.href = url;
      a.download = file.filename;
      a.click();
      // The click has handed the blob to the download by the time the page runs again.
      setTimeout(() => URL.revokeObjectURL(url), 0);
      return null;
    } catch (e) {
      return asWireError(e);
    }
  }

  /** Shows a change the gateway confirmed before the list is fetched again. */
  patch(key: string, change: Partial<SessionSummary>): void {
    const i = this.list.findIndex((s) => s.key === key);
    if (i >= 0) this.list[i] = { ...this.list[i], ...change };
  }
}

/** A title from the first message: its first line, shortened. */
export function titleFrom(text: string): string {
  const line = text.trim().split("\n")[0].trim();
  return line.length > 60 ? `${line.slice(0, 57).trimEnd()}…` : line;
}
