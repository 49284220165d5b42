import { asWireError, type GatewayClient } from "./client.ts";
import type { SessionSummary, SessionsEvent, WireError } from "./wire.ts";
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
      this.list = [...sessions].sort((a, b) => b.updatedAt - a.updatedAt);
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

/** A session in the sidebar's tree: forks nest under their parent. */
export type SessionNode = { session: SessionSummary; depth: number; orphan: boolean };

/**
 * The list as a tree in display order: roots most recent first, each followed by its forks (most
 * recent first, recursively). A fork whose parent is gone shows at the top level, still marked.
 */
export function sessionTree(list: readonly SessionSummary[]): SessionNode[] {
  const keys = new Set(list.map((s) => s.key));
  const children = new Map<string, SessionSummary[]>();
  const roots: SessionSummary[] = [];
  for (const s of list) {
    const parent = s.parentKey ?? null;
    if (parent !== null && parent !== s.key && keys.has(parent)) {
      const c = children.get(parent) ?? [];
      c.push(s);
      children.set(parent, c);
    } else roots.push(s);
  }
  const out: SessionNode[] = [];
  const seen = new Set<string>();
  const walk = (s: SessionSummary, depth: number) => {
    if (seen.has(s.key)) return; // a cycle in bad data must not hang the page
    seen.add(s.key);
    out.push({ session: s, depth, orphan: depth === 0 && !!s.parentKey });
    for (const c of children.get(s.key) ?? []) walk(c, depth + 1);
  };
  for (const r of roots) walk(r, 0);
  // Whatever a cycle kept out still shows.
  for (const s of list) if (!seen.has(s.key)) walk(s, 0);
  return out;
}
