import * as Schema from "effect/Schema";

/**
 * MCP servers: the `[[mcp.servers]]` entries of cairn.toml (also what `cairn mcp add` records as a
 * settings event), and what the gateway reports about each running server (`mcp.list`,
 * `cairn mcp list`, `cairn mcp tools`).
 */

/**
 * A server's name becomes part of tool names (`mcp__<server>__<tool>`), so it is one token with no
 * `__` (the separator) and short enough to leave room for the tool's own name within 64 characters.
 */
export const McpServerName = Schema.String.check(
  Schema.isPattern(/^[a-z0-9](?:[a-z0-9-]|_(?!_))*$/, {
    message: "an MCP server name is lowercase letters, digits, '-' or single '_' (e.g. \"github\", \"my-files\")",
  }),
  Schema.isMaxLength(32),
);

/** Who decides whether an MCP call runs: a person every time, a person unless the tool says it only reads, nobody. */
export const McpApproval = Schema.Literals(["always", "smart", "never"]);
export type McpApproval = typeof McpApproval.Type;

const Seconds = (max: number) => Schema.Number.check(Schema.isBetween({ minimum: 0.1, maximum: max }));

/**
 * One `[[mcp.servers]]` table. Either `command` (stdio: a child process) or `url` (Streamable HTTP,
 * falling back to the legacy SSE transport; `transport = "sse"` goes straight to SSE). Values of
 * `env` and `headers` may be references — `${env:NAME}` (the gateway's environment) or
 * `${key:NAME}` (the key store, `cairn providers set-key NAME`) — resolved at start and never
 * shown or logged. Keys keep the seed product's names (`health_check_interval`,
 * `max_restart_attempts`, `restart_on_failure`).
 */
export const McpServerEntry = Schema.Struct({
  name: McpServerName,
  command: Schema.optionalKey(Schema.String.check(Schema.isMinLength(1))),
  args: Schema.optionalKey(Schema.Array(Schema.String)),
  env: Schema.optionalKey(Schema.Record(Schema.String, Schema.String)),
  cwd: Schema.optionalKey(Schema.String.check(Schema.isMinLength(1))),
  url: Schema.optionalKey(Schema.String.check(Schema.isPattern(/^https?:\/\/\S+$/, { message: "an http:// or https:// URL" }))),
  headers: Schema.optionalKey(Schema.Record(Schema.String, Schema.String)),
  transport: Schema.optionalKey(Schema.Literals(["stdio", "streamable-http", "sse"])),
  /** Default "always", or "never" when `trusted = true`. */
  approval: Schema.optionalKey(McpApproval),
  trusted: Schema.optionalKey(Schema.Boolean),
  /** false: configured but not started. */
  enabled: Schema.optionalKey(Schema.Boolean),
  /** One tool call, in seconds (default 60). */
  timeout: Schema.optionalKey(Seconds(3600)),
  /** Start to ready (process start + initialize + tools/list), in seconds (default 30). */
  startup_timeout: Schema.optionalKey(Seconds(600)),
  /** Seconds between pings (default 30). */
  health_check_interval: Schema.optionalKey(Seconds(3600)),
  /** Restarts in a row before the server is disabled (default 5). */
  max_restart_attempts: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 1000 }))),
  restart_on_failure: Schema.optionalKey(Schema.Boolean),
});
export type McpServerEntry = typeof McpServerEntry.Type;

/** `[mcp]`. */
export const McpConfig = Schema.Struct({ servers: Schema.optionalKey(Schema.Array(McpServerEntry)) });

/** The states a user sees, in the order a failing server goes through them. */
export const McpServerState = Schema.Literals(["starting", "ready", "degraded", "crashed", "backing_off", "disabled", "stopped"]);
export type McpServerState = typeof McpServerState.Type;

/** One server as `mcp.list` reports it. Secrets never appear: env and headers are listed by name only. */
export const McpServerStatus = Schema.Struct({
  name: McpServerName,
  /** Where it is configured: cairn.toml, or added from the CLI/UI (a settings event). */
  source: Schema.Literals(["config", "settings"]),
  transport: Schema.Literals(["stdio", "streamable-http", "sse"]),
  /** The command line (stdio) or the URL (HTTP), as configured. */
  target: Schema.String,
  /** The entry's own fields, so a form can edit it (env and header values are never shown). */
  command: Schema.optionalKey(Schema.String),
  args: Schema.optionalKey(Schema.Array(Schema.String)),
  url: Schema.optionalKey(Schema.String),
  cwd: Schema.optionalKey(Schema.String),
  /** false: configured but switched off (`enabled = false`, or disabled from the UI). */
  enabled: Schema.optionalKey(Schema.Boolean),
  state: McpServerState,
  /** Why it is degraded, crashed, backing off or disabled. */
  reason: Schema.optionalKey(Schema.String),
  /** Consecutive failed starts (reset once the server stayed up). */
  failures: Schema.Number,
  /** When the next start is due (backing off). */
  nextAttemptAt: Schema.optionalKey(Schema.Number),
  since: Schema.Number,
  approval: McpApproval,
  tools: Schema.Array(Schema.String),
  envNames: Schema.Array(Schema.String),
  headerNames: Schema.Array(Schema.String),
  pid: Schema.optionalKey(Schema.Number),
});
export type McpServerStatus = typeof McpServerStatus.Type;

/** One bridged tool as `mcp.tools` reports it. */
export const McpToolInfo = Schema.Struct({
  /** The name the model sees: `mcp__<server>__<tool>`. */
  name: Schema.String,
  server: McpServerName,
  tool: Schema.String,
  description: Schema.String,
  inputSchema: Schema.Unknown,
  /** Whether a call asks a person first (the server's `approval` and the tool's read-only hint). */
  asks: Schema.Boolean,
});
export type McpToolInfo = typeof McpToolInfo.Type;

export const McpServerRef = Schema.Struct({ name: McpServerName });

/**
 * `mcp.add` / `admin.mcp.add`: adds a server, or replaces the one of that name (an edit). With
 * `keep`, an env or header entry given with an empty value keeps the value it had: the UI never
 * sees those values, so an edit must be able to leave them as they are.
 */
export const McpAddParams = Schema.Struct({
  server: McpServerEntry,
  keep: Schema.optionalKey(Schema.Boolean),
  by: Schema.optionalKey(Schema.String.check(Schema.isMaxLength(128))),
});
/** `mcp.setEnabled` / `admin.mcp.set_enabled`: switches a server added from the CLI/UI on or off, keeping the rest of its entry. */
export const McpSetEnabled = Schema.Struct({ name: McpServerName, enabled: Schema.Boolean });

/** The MCP methods of the WebSocket protocol (spread into `methodParams`). */
export const mcpMethodParams = {
  /** This gateway's servers with their state, reason and tool names. */
  "mcp.list": Schema.Struct({}),
  /** The bridged tools (with their JSON Schema) of one server, or of all. */
  "mcp.tools": Schema.Struct({ name: Schema.optionalKey(McpServerName) }),
  "mcp.add": Schema.Struct({ server: McpServerEntry, keep: Schema.optionalKey(Schema.Boolean) }),
  "mcp.setEnabled": McpSetEnabled,
  "mcp.remove": McpServerRef,
  "mcp.restart": McpServerRef,
} as const;
