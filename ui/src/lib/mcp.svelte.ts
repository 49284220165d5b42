import { asWireError, type GatewayClient } from "./client.ts";
import type { McpServerEntry, McpServerStatus, McpToolInfo, WireError } from "./wire.ts";

/** How often the open MCP page asks again: server health lives in the gateway's memory and is not pushed. */
export const MCP_POLL_MS = 3_000;

/**
 * The gateway's MCP servers (`mcp.list`) with their bridged tools (`mcp.tools`), and the commands
 * on them. Health changes on the gateway's own (starts, pings, backoff), so the page polls while it
 * is open; every command is followed by a fresh list.
 */
export class McpStore {
  servers = $state<readonly McpServerStatus[]>([]);
  tools = $state<readonly McpToolInfo[]>([]);
  loaded = $state(false);
  error = $state<WireError | null>(null);
  busy = $state<Record<string, boolean>>({});

  readonly #client: GatewayClient;
  #inFlight: Promise<void> | null = null;

  constructor(client: GatewayClient) {
    this.#client = client;
  }

  /** The servers; a call while one is in flight joins it. */
  load(): Promise<void> {
    this.#inFlight ??= (async () => {
      try {
        const { servers } = await this.#client.request("mcp.list", {});
        this.servers = servers;
        this.loaded = true;
        this.error = null;
      } catch (e) {
        this.error = asWireError(e);
      }
    })().finally(() => (this.#inFlight = null));
    return this.#inFlight;
  }

  /** The servers and every tool they offer (the page). */
  async refreshAll(): Promise<void> {
    await this.load();
    try {
      this.tools = (await this.#client.request("mcp.tools", {})).tools;
    } catch (e) {
      this.error = asWireError(e);
    }
  }

  toolsOf(server: string): McpToolInfo[] {
    return this.tools.filter((t) => t.server === server);
  }

  /** Adds a server, or replaces the one of that name (`keep`: empty env/header values keep theirs). */
  save(server: McpServerEntry, keep: boolean): Promise<WireError | null> {
    return this.#act(server.name, () => this.#client.request("mcp.add", { server, ...(keep ? { keep } : {}) }));
  }

  setEnabled(name: string, enabled: boolean): Promise<WireError | null> {
    return this.#act(name, () => this.#client.request("mcp.setEnabled", { name, enabled }));
  }

  restart(name: string): Promise<WireError | null> {
    return this.#act(name, () => this.#client.request("mcp.restart", { name }));
  }

  remove(name: string): Promise<WireError | null> {
    return this.#act(name, () => this.#client.request("mcp.remove", { name }));
  }

  async #act(name: string, run: () => Promise<unknown>): Promise<WireError | null> {
    this.busy = { ...this.busy, [name]: true };
    try {
      await run();
      return null;
    } catch (e) {
      return asWireError(e);
    } finally {
      const { [name]: _, ...rest } = this.busy;
      this.busy = rest;
      await this.refreshAll();
    }
  }
}
