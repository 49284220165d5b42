import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import * as Schema from "effect/Schema";
import { serve, subjects } from "../../bus/index.ts";
import {
  CairnError,
  decodeOrFail,
  McpAddParams,
  McpServerRef,
  McpSetEnabled,
  type McpServerEntry,
  type McpServerStatus,
} from "../../schemas/index.ts";
import type { McpHub } from "./mcp.hub.ts";
import { serverOptions, type McpServerOptions } from "./mcp.options.ts";

export interface McpServiceOptions {
  readonly nc: NatsConnection;
  readonly hub: McpHub;
  /** `[[mcp.servers]]` of cairn.toml (checked at load). */
  readonly configured: readonly McpServerEntry[];
  /** The servers the settings aggregate holds (added from the CLI or UI), read from the log. */
  readonly added: () => Promise<readonly McpServerEntry[]>;
  /** Records a settings command (`add_mcp_server`, `remove_mcp_server`) through the actor system. */
  readonly settings: (verb: "add_mcp_server" | "remove_mcp_server", params: unknown) => Promise<unknown>;
  readonly report: (line: string) => void;
}

const SetEnabledParams = Schema.Struct({ ...McpSetEnabled.fields, by: Schema.optionalKey(Schema.String) });
const ToolsParams = Schema.Struct({ name: Schema.optionalKey(Schema.String) });

/**
 * The gateway's MCP servers on the bus: `admin.mcp.list|tools|restart` (this gateway's servers and
 * their health, which are facts about this process) and `admin.mcp.add|remove` (recorded as
 * settings events, so they survive a restart and reach every gateway). Each gateway follows
 * `evt.settings.global` and applies the new list at once: a change needs no restart.
 */
export function serveMcp(o: McpServiceOptions): { subs: Subscription[]; ready: Promise<void> } {
  const configuredNames = new Set(o.configured.map((e) => e.name));
  const wanted = async (): Promise<McpServerOptions[]> => {
    const out = o.configured.map((e) => serverOptions(e, "config"));
    for (const e of await o.added()) {
      if (configuredNames.has(e.name)) {
        o.report(`mcp ${e.name}: the server added from the CLI/UI is shadowed by the one in cairn.toml`);
        continue;
      }
      try {
        out.push(serverOptions(e, "settings"));
      } catch (err) {
        o.report(`mcp ${e.name}: ${(err as Error).message}`);
      }
    }
    return out;
  };
  // One apply at a time, and the last change always wins: a burst of settings events applies once more at most.
  let applying: Promise<void> = Promise.resolve();
  const reapply = () => {
    applying = applying
      .then(async () => o.hub.apply(await wanted()))
      .catch((e: unknown) => o.report(`mcp: could not apply the server list: ${(e as Error).message}`));
    return applying;
  };
  const follow = o.nc.subscribe(subjects.events("settings", "global"), { callback: () => void reapply() });
  const statusOf = (name: string): McpServerStatus | undefined => o.hub.list().find((s) => s.name === name);
  const addedEntry = async (name: string): Promise<McpServerEntry> => {
    if (configuredNames.has(name)) throw new CairnError("bad_request", `MCP server ${name} is configured in cairn.toml; edit it there`);
    const e = (await o.added()).find((x) => x.name === name);
    if (!e) throw new CairnError("not_found", `no MCP server named ${name} was added from the CLI or UI`);
    return e;
  };
  /** Empty values of `next` take the value `prev` had for that name (the UI never sees values). */
  const kept = (next: Readonly<Record<string, string>> | undefined, prev: Readonly<Record<string, string>> | undefined) =>
    next && Object.fromEntries(Object.entries(next).map(([k, v]) => [k, v === "" ? (prev?.[k] ?? "") : v]));
  const subs = [
    follow,
    serve(o.nc, subjects.admin("mcp", "list"), () => ({ servers: o.hub.list() })),
    serve(o.nc, subjects.admin("mcp", "tools"), (p) => {
      const { name } = decodeOrFail(ToolsParams, p, "mcp.tools params");
      return { tools: o.hub.tools(name) };
    }),
    serve(o.nc, subjects.admin("mcp", "resources"), (p) => o.hub.offers(decodeOrFail(McpServerRef, p, "mcp.resources params").name)),
    serve(o.nc, subjects.admin("mcp", "restart"), (p) => o.hub.restart(decodeOrFail(McpServerRef, p, "mcp.restart params").name)),
    serve(o.nc, subjects.admin("mcp", "add"), async (p) => {
      const { server: given, by, keep } = decodeOrFail(McpAddParams, p, "mcp.add params");
      if (configuredNames.has(given.name)) {
        throw new CairnError("bad_request", `MCP server ${given.name} is configured in cairn.toml; edit it there`);
      }
      const prev = keep ? (await o.added()).find((x) => x.name === given.name) : undefined;
      const env = kept(given.env, prev?.env);
      const headers = kept(given.headers, prev?.headers);
      const server: McpServerEntry = { ...given, ...(env ? { env } : {}), ...(headers ? { headers } : {}) };
      const empty = Object.entries({ ...server.env, ...server.headers }).find(([, v]) => v === "");
      if (empty) throw new CairnError("bad_request", `MCP server ${server.name}: ${empty[0]} has no value; give one (e.g. \${env:NAME})`);
      serverOptions(server, "settings"); // stdio xor HTTP, before anything is recorded
      const r = await o.settings("add_mcp_server", { server, by: by ?? "cli" });
      await reapply();
      return { ...(r as object), status: statusOf(server.name) ?? null };
    }),
    serve(o.nc, subjects.admin("mcp", "set_enabled"), async (p) => {
      const { name, enabled, by } = decodeOrFail(SetEnabledParams, p, "mcp.set_enabled params");
      const entry = await addedEntry(name);
      const r = await o.settings("add_mcp_server", { server: { ...entry, enabled }, by: by ?? "cli" });
      await reapply();
      return { ...(r as object), status: statusOf(name) ?? null };
    }),
    serve(o.nc, subjects.admin("mcp", "remove"), async (p) => {
      const { name } = decodeOrFail(McpServerRef, p, "mcp.remove params");
      if (configuredNames.has(name)) throw new CairnError("bad_request", `MCP server ${name} is configured in cairn.toml; remove it there`);
      const r = (await o.settings("remove_mcp_server", { name, by: "cli" })) as { removed: boolean };
      if (!r.removed) throw new CairnError("not_found", `no MCP server named ${name} was added from the CLI or UI`);
      await reapply();
      return r;
    }),
  ];
  return { subs, ready: reapply() };
}
