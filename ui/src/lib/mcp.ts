import type { McpServerEntry, McpServerStatus, SessionMcp } from "./wire.ts";

/**
 * Settings → MCP and the chat header's MCP toggle, the pure parts: a server's state in words, the
 * add/edit form checked and turned into an `mcp.add` entry, and the session's toggle. The gateway
 * checks again (`mcp.add` decodes the entry; the settings actor refuses secrets in the log).
 */

export type Tone = "ok" | "warn" | "bad" | "off";

/** "ready", "backing off (next try 12:03)", … */
export function stateText(s: McpServerStatus): string {
  const state = s.state.replace("_", " ");
  if (s.state === "backing_off" && s.nextAttemptAt) return `${state} (next try ${new Date(s.nextAttemptAt).toLocaleTimeString()})`;
  return state;
}

export function stateTone(s: McpServerStatus): Tone {
  if (s.state === "ready") return "ok";
  if (s.state === "starting" || s.state === "degraded" || s.state === "backing_off") return "warn";
  if (s.state === "crashed") return "bad";
  // Switched off on purpose is not a failure; disabled after failing is.
  return s.enabled === false ? "off" : s.state === "disabled" ? "bad" : "off";
}

/** The form's fields, as typed. `args`, `env` and `headers` are one per line. */
export interface McpForm {
  name: string;
  kind: "stdio" | "http";
  command: string;
  args: string;
  cwd: string;
  url: string;
  sse: boolean;
  env: string;
  headers: string;
  approval: "always" | "smart" | "never";
  enabled: boolean;
}

export const emptyMcpForm = (): McpForm => ({
  name: "",
  kind: "stdio",
  command: "",
  args: "",
  cwd: "",
  url: "",
  sse: false,
  env: "",
  headers: "",
  approval: "always",
  enabled: true,
});

/** A server added from the CLI or UI, as the edit form starts (values of env and headers are never sent: they stay unless retyped). */
export function formFromStatus(s: McpServerStatus): McpForm {
  return {
    ...emptyMcpForm(),
    name: s.name,
    kind: s.transport === "stdio" ? "stdio" : "http",
    command: s.command ?? "",
    args: (s.args ?? []).join("\n"),
    cwd: s.cwd ?? "",
    url: s.url ?? "",
    sse: s.transport === "sse",
    env: s.envNames.map((n) => `${n}=`).join("\n"),
    headers: s.headerNames.map((n) => `${n}:`).join("\n"),
    approval: s.approval,
    enabled: s.enabled !== false,
  };
}

const NAME = /^[a-z0-9](?:[a-z0-9-]|_(?!_))*$/;
const REF = /^\$\{(env|key):[A-Za-z0-9_.-]+\}$/;

export type McpFormResult = { ok: true; server: McpServerEntry } | { ok: false; field: keyof McpForm; message: string };

/** `K=V` (env) or `K: V` (headers) lines; an empty value is allowed only when editing (it keeps the old one). */
function pairs(text: string, sep: "=" | ":", editing: boolean): Record<string, string> | string {
  const out: Record<string, string> = {};
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (!line) continue;
    const at = line.indexOf(sep);
    if (at <= 0) return `'${line}' is not NAME${sep}VALUE.`;
    const k = line.slice(0, at).trim();
    const v = line.slice(at + 1).trim();
    if (v === "" && !editing) return `${k} has no value.`;
    if (v !== "" && !REF.test(v)) {
      return `${k}: settings are kept in the event log, so a value must be a reference: \${env:NAME} (the gateway's environment) or \${key:NAME} (cairn providers set-key NAME).`;
    }
    out[k] = v;
  }
  return out;
}

/** Checks the form and builds the entry; `editing` lets env/header values stay empty (kept). */
export function mcpEntry(f: McpForm, editing = false): McpFormResult {
  const bad = (field: keyof McpForm, message: string): McpFormResult => ({ ok: false, field, message });
  const name = f.name.trim();
  if (!NAME.test(name) || name.length > 32) {
    return bad("name", "A name is up to 32 lowercase letters, digits, '-' or single '_' (e.g. github, my-files).");
  }
  const env = pairs(f.env, "=", editing);
  if (typeof env === "string") return bad("env", `Environment: ${env}`);
  const headers = pairs(f.headers, ":", editing);
  if (typeof headers === "string") return bad("headers", `Headers: ${headers}`);
  const common = {
    ...(Object.keys(env).length ? { env } : {}),
    approval: f.approval,
    ...(f.enabled ? {} : { enabled: false }),
  };
  if (f.kind === "stdio") {
    const command = f.command.trim();
    if (!command) return bad("command", "Give the command that starts the server (e.g. npx or /usr/bin/python3).");
    const args = f.args
      .split("\n")
      .map((a) => a.trim())
      .filter(Boolean);
    return { ok: true, server: { name, command, args, ...(f.cwd.trim() ? { cwd: f.cwd.trim() } : {}), ...common } };
  }
  const url = f.url.trim();
  if (!/^https?:\/\/\S+$/.test(url)) return bad("url", "Give the server's http:// or https:// URL (e.g. http://127.0.0.1:3000/mcp).");
  return {
    ok: true,
    server: { name, url, ...(f.sse ? { transport: "sse" as const } : {}), ...(Object.keys(headers).length ? { headers } : {}), ...common },
  };
}

/** Whether the session's runs are offered this server's tools. */
export const serverOn = (mcp: SessionMcp | undefined, server: string): boolean => !mcp || (mcp.enabled && !mcp.off.includes(server));

/** "All on" is null, like the gateway stores it. */
const normal = (enabled: boolean, off: readonly string[]): SessionMcp =>
  enabled && off.length === 0 ? null : { enabled, off: [...new Set(off)].sort() };

/** MCP on or off for the whole session (the per-server choices are kept for when it is on again). */
export const withAll = (mcp: SessionMcp | undefined, on: boolean): SessionMcp => normal(on, mcp?.off ?? []);

/**
 * One server on or off for the session; turning one on while MCP is off turns MCP on with only the
 * others still off, and turning the last one off is MCP off (turning MCP on again then means all).
 */
export function withServer(mcp: SessionMcp | undefined, server: string, on: boolean, servers: readonly string[]): SessionMcp {
  if (mcp && !mcp.enabled && on)
    return normal(
      true,
      servers.filter((s) => s !== server),
    );
  const off = new Set(mcp?.off ?? []);
  if (on) off.delete(server);
  else off.add(server);
  if (servers.length > 0 && servers.every((s) => off.has(s))) return normal(false, []);
  return normal(mcp?.enabled ?? true, [...off]);
}

/** The toggle's label: "MCP", "MCP off", "MCP 2/3". */
export function toggleLabel(mcp: SessionMcp | undefined, servers: readonly string[]): string {
  if (mcp && !mcp.enabled) return "MCP off";
  const on = servers.filter((s) => serverOn(mcp, s)).length;
  return on === servers.length ? "MCP" : `MCP ${on}/${servers.length}`;
}
