import { isDeepStrictEqual } from "node:util";
import { CairnError, type McpServerStatus, type McpToolInfo } from "../../schemas/index.ts";
import type { ToolRegistry } from "../tools/index.ts";
import type { McpServerOptions, SecretSource } from "./mcp.options.ts";
import { McpServer } from "./mcp.server.ts";
import { bridgeTool, mcpToolName, toolInfo } from "./mcp.tools.ts";

export interface McpHubDeps {
  readonly secrets: SecretSource;
  readonly now?: () => number;
  readonly report?: (line: string) => void;
}

/**
 * Every configured MCP server of this gateway, and their tools in the agent's registry. `apply`
 * takes the whole wanted list (cairn.toml plus the settings events) and starts, stops or restarts
 * what differs, so a change from the CLI or UI applies without a gateway restart. Servers start in
 * parallel and in the background: `apply` never waits for one, so none delays the gateway's ready.
 * A server's tools are in the registry exactly while it is up (ready or degraded); a
 * `tools/list_changed` replaces them live.
 */
export class McpHub {
  readonly #servers = new Map<string, McpServer>();
  /** The registry names each server's tools hold now, to take them out again. */
  readonly #registered = new Map<string, string[]>();
  #registry: ToolRegistry | undefined;
  readonly #now: () => number;
  readonly #report: (line: string) => void;

  constructor(private readonly deps: McpHubDeps) {
    this.#now = deps.now ?? Date.now;
    this.#report = deps.report ?? (() => {});
  }

  /** The registry runs offer; the tools of servers already up are added now. */
  attach(registry: ToolRegistry): void {
    this.#registry = registry;
    for (const s of this.#servers.values()) this.#sync(s);
  }

  /** Makes the running servers match `wanted` (names are unique; the caller merged the sources). */
  apply(wanted: readonly McpServerOptions[]): void {
    const names = new Set(wanted.map((o) => o.name));
    for (const [name, s] of this.#servers) if (!names.has(name)) void this.#remove(s);
    for (const o of wanted) {
      const current = this.#servers.get(o.name);
      if (current && isDeepStrictEqual(current.options, o)) continue;
      if (current) void this.#remove(current);
      const server = new McpServer(o, { secrets: this.deps.secrets, now: this.#now, report: this.#report, changed: (s) => this.#sync(s) });
      this.#servers.set(o.name, server);
      server.start();
    }
  }

  list(): McpServerStatus[] {
    return [...this.#servers.values()].map((s) => s.status()).sort((a, b) => a.name.localeCompare(b.name));
  }

  /** The bridged tools of one server, or of all. */
  tools(name?: string): McpToolInfo[] {
    const servers = name === undefined ? [...this.#servers.values()] : [this.#get(name)];
    return servers.flatMap((s) =>
      s.tools().flatMap((t) => {
        const n = mcpToolName(s.name, t.name);
        return n ? [toolInfo(s, t, n)] : [];
      }),
    );
  }

  /** `cairn mcp restart NAME`: starts again at once, failure count reset; the status after it. */
  restart(name: string): McpServerStatus {
    const s = this.#get(name);
    s.restart();
    return s.status();
  }

  async stop(): Promise<void> {
    await Promise.allSettled([...this.#servers.values()].map((s) => this.#remove(s)));
  }

  /** A server's resources and prompts (it must be up). */
  offers(name: string) {
    return this.#get(name).offers();
  }

  #get(name: string): McpServer {
    const s = this.#servers.get(name);
    if (!s)
      throw new CairnError("not_found", `no MCP server named ${name}; configured: ${[...this.#servers.keys()].join(", ") || "(none)"}`);
    return s;
  }

  async #remove(s: McpServer): Promise<void> {
    if (this.#servers.get(s.name) === s) this.#servers.delete(s.name);
    this.#unregister(s.name);
    await s.stop();
  }

  #unregister(server: string): void {
    for (const n of this.#registered.get(server) ?? []) this.#registry?.unregister(n);
    this.#registered.delete(server);
  }

  /** The registry holds exactly the tools the server offers now (none unless it is up). */
  #sync(s: McpServer): void {
    if (this.#servers.get(s.name) !== s) return; // replaced or removed: its successor owns the names
    this.#unregister(s.name);
    const registry = this.#registry;
    if (!registry) return;
    const names: string[] = [];
    for (const t of s.tools()) {
      const name = mcpToolName(s.name, t.name);
      if (!name || registry.get(name)) {
        this.#report(`mcp ${s.name}: tool ${JSON.stringify(t.name)} is not offered (its name is unusable or taken)`);
        continue;
      }
      registry.register(bridgeTool(s, t, name));
      names.push(name);
    }
    this.#registered.set(s.name, names);
  }
}
