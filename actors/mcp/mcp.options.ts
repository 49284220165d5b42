import { CairnError, type McpApproval, type McpServerEntry } from "../../schemas/index.ts";

/** Defaults of the `[[mcp.servers]]` keys that have one. */
export const MCP_DEFAULTS = {
  callTimeoutMs: 60_000,
  startupTimeoutMs: 30_000,
  healthIntervalMs: 30_000,
  maxRestartAttempts: 5,
  /** First wait before a restart; doubles per failure up to `backoffMaxMs`. */
  backoffBaseMs: 500,
  backoffMaxMs: 30_000,
  /** A server up this long has its failure count reset (a crash after that is a fresh incident). */
  stableAfterMs: 30_000,
} as const;

export type McpTransportKind = "stdio" | "streamable-http" | "sse";

/** One server as the supervisor runs it: defaults applied, secrets not yet resolved. */
export interface McpServerOptions {
  readonly name: string;
  readonly source: "config" | "settings";
  readonly transport: McpTransportKind;
  readonly command?: string;
  readonly args: readonly string[];
  readonly cwd?: string;
  readonly url?: string;
  /** Values may be `${env:NAME}` / `${key:NAME}` references; `resolveSecrets` reads them at each start. */
  readonly env: Readonly<Record<string, string>>;
  readonly headers: Readonly<Record<string, string>>;
  readonly approval: McpApproval;
  readonly enabled: boolean;
  readonly callTimeoutMs: number;
  readonly startupTimeoutMs: number;
  readonly healthIntervalMs: number;
  readonly maxRestartAttempts: number;
  readonly restartOnFailure: boolean;
  readonly backoffBaseMs: number;
  readonly backoffMaxMs: number;
  readonly stableAfterMs: number;
}

/** An entry of cairn.toml or a settings event, checked (stdio xor HTTP) and with its defaults. */
export function serverOptions(e: McpServerEntry, source: McpServerOptions["source"]): McpServerOptions {
  if ((e.command === undefined) === (e.url === undefined)) {
    throw new CairnError(
      "bad_request",
      `MCP server ${e.name}: set either command (stdio) or url (HTTP), not ${e.command ? "both" : "neither"}`,
    );
  }
  const transport: McpTransportKind = e.command !== undefined ? "stdio" : e.transport === "sse" ? "sse" : "streamable-http";
  if (e.transport === "stdio" && e.command === undefined)
    throw new CairnError("bad_request", `MCP server ${e.name}: transport "stdio" needs a command`);
  if (e.command !== undefined && e.transport !== undefined && e.transport !== "stdio") {
    throw new CairnError("bad_request", `MCP server ${e.name}: transport "${e.transport}" needs a url, not a command`);
  }
  const secs = (s: number | undefined, d: number) => (s === undefined ? d : Math.round(s * 1000));
  return {
    name: e.name,
    source,
    transport,
    ...(e.command !== undefined ? { command: e.command } : {}),
    args: e.args ?? [],
    ...(e.cwd !== undefined ? { cwd: e.cwd } : {}),
    ...(e.url !== undefined ? { url: e.url } : {}),
    env: e.env ?? {},
    headers: e.headers ?? {},
    // An untrusted server asks for every call unless the user said otherwise.
    approval: e.approval ?? (e.trusted ? "never" : "always"),
    enabled: e.enabled ?? true,
    callTimeoutMs: secs(e.timeout, MCP_DEFAULTS.callTimeoutMs),
    startupTimeoutMs: secs(e.startup_timeout, MCP_DEFAULTS.startupTimeoutMs),
    healthIntervalMs: secs(e.health_check_interval, MCP_DEFAULTS.healthIntervalMs),
    maxRestartAttempts: e.max_restart_attempts ?? MCP_DEFAULTS.maxRestartAttempts,
    restartOnFailure: e.restart_on_failure ?? true,
    backoffBaseMs: MCP_DEFAULTS.backoffBaseMs,
    backoffMaxMs: MCP_DEFAULTS.backoffMaxMs,
    stableAfterMs: MCP_DEFAULTS.stableAfterMs,
  };
}

/** The command line (stdio) or URL (HTTP) a person recognises the server by. */
export const targetOf = (o: McpServerOptions): string => (o.transport === "stdio" ? [o.command ?? "", ...o.args].join(" ") : (o.url ?? ""));

/** Where referenced secrets come from: the gateway's environment and the key store. */
export interface SecretSource {
  readonly env: NodeJS.ProcessEnv;
  readonly key: (name: string) => string | undefined;
}

const REF = /^\$\{(env|key):([A-Za-z0-9_.-]+)\}$/;

/** Whether a value is a `${env:…}` / `${key:…}` reference rather than a literal. */
export const isSecretRef = (v: string): boolean => REF.test(v);

/**
 * Reads the referenced values. A reference that resolves to nothing fails the start with the
 * reference's name (never a value), so the user knows which variable or key to set.
 */
export function resolveSecrets(values: Readonly<Record<string, string>>, src: SecretSource, server: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(values)) {
    const m = REF.exec(v);
    if (!m) {
      out[k] = v;
      continue;
    }
    const found = m[1] === "env" ? src.env[m[2]] : src.key(m[2]);
    if (found === undefined || found === "") {
      throw new CairnError(
        "bad_request",
        m[1] === "env"
          ? `MCP server ${server}: ${k} refers to the environment variable ${m[2]}, which is not set`
          : `MCP server ${server}: ${k} refers to the stored key ${m[2]}, which is not in the key store (cairn providers set-key ${m[2]})`,
      );
    }
    out[k] = found;
  }
  return out;
}

/**
 * The wait before restart number `failures` (1-based): exponential with a cap. Pure, so the
 * machine's `after` delay is a function of its context and tests need no clock.
 */
export const restartDelay = (failures: number, o: Pick<McpServerOptions, "backoffBaseMs" | "backoffMaxMs">): number =>
  Math.min(o.backoffMaxMs, o.backoffBaseMs * 2 ** Math.max(0, failures - 1));
