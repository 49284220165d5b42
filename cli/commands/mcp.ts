import { request, subjects } from "../../bus/index.ts";
import type { McpServerEntry, McpServerStatus, McpToolInfo } from "../../schemas/index.ts";
import type { McpOffers } from "../../actors/mcp/index.ts";
import { connectToGateway } from "../connect.ts";
import { localTime, table } from "../output.ts";
import type { Paths } from "../paths.ts";
import { UsageError } from "../usage.ts";

/**
 * `cairn mcp …`: the running gateway's MCP servers. `list`, `tools` and `restart` ask the gateway
 * (health is a fact about its processes); `add` and `remove` record a settings event through it,
 * which every gateway applies at once (no restart).
 */
async function ask<T>(paths: Paths, verb: string, params: unknown = {}): Promise<T> {
  const nc = await connectToGateway(paths);
  try {
    return (await request(nc, subjects.admin("mcp", verb), params, { timeoutMs: 15_000 })) as T;
  } finally {
    await nc.close();
  }
}

const stateText = (s: McpServerStatus): string => {
  const state = s.state.replace("_", " ");
  if (s.state === "backing_off" && s.nextAttemptAt) return `${state} (next try ${localTime(s.nextAttemptAt)})`;
  return state;
};

export async function mcpList(o: { json: boolean }, paths: Paths): Promise<number> {
  const { servers } = await ask<{ servers: McpServerStatus[] }>(paths, "list");
  if (o.json) {
    process.stdout.write(servers.map((s) => `${JSON.stringify(s)}\n`).join(""));
    return 0;
  }
  if (servers.length === 0) {
    process.stdout.write("no MCP servers; add one with 'cairn mcp add NAME -- CMD ARGS…' or 'cairn mcp add NAME --url URL'\n");
    return 0;
  }
  const rows = [["NAME", "STATE", "TOOLS", "APPROVAL", "TRANSPORT", "FROM", "TARGET"]];
  for (const s of servers) rows.push([s.name, stateText(s), String(s.tools.length), s.approval, s.transport, s.source, s.target]);
  process.stdout.write(table(rows));
  for (const s of servers) if (s.reason && s.state !== "ready") process.stdout.write(`${s.name}: ${s.reason}\n`);
  return 0;
}

export async function mcpTools(o: { name: string; json: boolean }, paths: Paths): Promise<number> {
  const { tools } = await ask<{ tools: McpToolInfo[] }>(paths, "tools", { name: o.name });
  if (o.json) {
    process.stdout.write(tools.map((t) => `${JSON.stringify(t)}\n`).join(""));
    return 0;
  }
  if (tools.length === 0) {
    process.stdout.write(`${o.name} offers no tools now (see 'cairn mcp list' for its state)\n`);
    return 0;
  }
  const rows = [["TOOL", "ASKS", "DESCRIPTION"]];
  for (const t of tools) rows.push([t.name, t.asks ? "yes" : "no", t.description.split("\n")[0].slice(0, 80)]);
  process.stdout.write(table(rows));
  return 0;
}

/** `cairn mcp resources NAME`: what a server offers besides tools. */
export async function mcpResources(o: { name: string; json: boolean }, paths: Paths): Promise<number> {
  const r = await ask<McpOffers>(paths, "resources", { name: o.name });
  if (o.json) {
    process.stdout.write(`${JSON.stringify(r)}\n`);
    return 0;
  }
  if (r.resources.length === 0 && r.prompts.length === 0) {
    process.stdout.write(`${o.name} offers no resources or prompts\n`);
    return 0;
  }
  if (r.resources.length > 0)
    process.stdout.write(
      table([
        ["RESOURCE", "NAME", "TYPE", "DESCRIPTION"],
        ...r.resources.map((x) => [x.uri, x.name, x.mimeType ?? "-", (x.description ?? "").slice(0, 60)]),
      ]),
    );
  if (r.prompts.length > 0)
    process.stdout.write(
      table([
        ["PROMPT", "ARGUMENTS", "DESCRIPTION"],
        ...r.prompts.map((x) => [x.name, x.arguments.join(", ") || "-", (x.description ?? "").slice(0, 60)]),
      ]),
    );
  return 0;
}

export async function mcpRestart(o: { name: string; json: boolean }, paths: Paths): Promise<number> {
  const s = await ask<McpServerStatus>(paths, "restart", { name: o.name });
  process.stdout.write(o.json ? `${JSON.stringify(s)}\n` : `${o.name}: restarting\n`);
  return 0;
}

export async function mcpRemove(o: { name: string; json: boolean }, paths: Paths): Promise<number> {
  const r = await ask<{ removed: boolean }>(paths, "remove", { name: o.name });
  process.stdout.write(o.json ? `${JSON.stringify(r)}\n` : `${o.name}: removed\n`);
  return 0;
}

export interface McpAddOptions {
  readonly name: string;
  readonly command?: readonly string[];
  readonly url?: string;
  readonly sse: boolean;
  readonly env: readonly string[];
  readonly headers: readonly string[];
  readonly cwd?: string;
  readonly approval?: string;
  readonly trusted: boolean;
  readonly json: boolean;
}

/** `K=V` pairs (env) or `K: V` (headers) as a record; values must be `${env:…}`/`${key:…}` (checked by the gateway). */
const pairs = (items: readonly string[], sep: "=" | ":", flag: string): Record<string, string> => {
  const out: Record<string, string> = {};
  for (const it of items) {
    const at = it.indexOf(sep);
    if (at <= 0) throw new UsageError(`${flag} takes NAME${sep}VALUE, got '${it}'`);
    out[it.slice(0, at).trim()] = it.slice(at + 1).trim();
  }
  return out;
};

export async function mcpAdd(o: McpAddOptions, paths: Paths): Promise<number> {
  if ((o.command?.length ?? 0) === 0 && !o.url)
    throw new UsageError("usage: cairn mcp add NAME -- CMD ARGS… | cairn mcp add NAME --url URL");
  if (o.command?.length && o.url) throw new UsageError("give either a command (after --) or --url, not both");
  const env = pairs(o.env, "=", "--env");
  const headers = pairs(o.headers, ":", "--header");
  const server = {
    name: o.name,
    ...(o.command?.length ? { command: o.command[0], args: o.command.slice(1) } : {}),
    ...(o.url ? { url: o.url } : {}),
    ...(o.sse ? { transport: "sse" } : {}),
    ...(Object.keys(env).length ? { env } : {}),
    ...(Object.keys(headers).length ? { headers } : {}),
    ...(o.cwd ? { cwd: o.cwd } : {}),
    ...(o.approval ? { approval: o.approval } : {}),
    ...(o.trusted ? { trusted: true } : {}),
  } as McpServerEntry;
  const r = await ask<{ changed: boolean; status: McpServerStatus | null }>(paths, "add", { server, by: "cli" });
  if (o.json) process.stdout.write(`${JSON.stringify(r)}\n`);
  else process.stdout.write(`${o.name}: ${r.changed ? "added" : "unchanged"}; starting (see 'cairn mcp list')\n`);
  return 0;
}
