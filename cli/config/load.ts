import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { dirname, resolve } from "node:path";
import { parse as parseToml } from "smol-toml";
import {
  checkCustomProviders,
  providerIds,
  type CustomProviderConfig,
  type LocalModelsConfig,
  type ProviderOverrideConfig,
} from "../../actors/llm/index.ts";
import {
  CONFIG_KEYS,
  CairnError,
  DEFAULT_CHANNEL_ACCESS,
  type ChannelAccess,
  ConfigFile,
  decodeOrFail,
  type HookConfigEntry,
  type McpServerEntry,
  type MemoryConfig,
  type PriceTable,
} from "../../schemas/index.ts";
import { serverOptions } from "../../actors/mcp/index.ts";
import type { ExecOptions, SandboxSettings } from "../../actors/index.ts";
import { parseTrustedProxies, type EdgeTlsSettings } from "../../bus/edge/index.ts";
import { DEFAULT_DISK_QUOTA_BYTES } from "../../actors/sandbox/index.ts";
import { nearest } from "./suggest.ts";
import { cronSettings, heartbeatSettings, type CronSettings } from "../../actors/cron/index.ts";
import type { CronJobSettings } from "../../schemas/index.ts";

const LEVELS = ["debug", "info", "warn", "error"] as const;
/** `CAIRN_LOG_LEVEL`: one of the levels, or a clear error naming them. */
const logLevelFrom = (v: string | undefined): (typeof LEVELS)[number] | undefined => {
  if (v === undefined || v === "") return undefined;
  const l = v.toLowerCase();
  if ((LEVELS as readonly string[]).includes(l)) return l as (typeof LEVELS)[number];
  throw new CairnError("bad_request", `CAIRN_LOG_LEVEL must be one of ${LEVELS.join(", ")} (got ${JSON.stringify(v)})`);
};

/** Settings the gateway runs with: the file, then environment variables on top. */
export interface Settings {
  readonly model: string | null;
  readonly modelSource: "CAIRN_MODEL" | "config" | "none";
  readonly systemPrompt: string | undefined;
  readonly maxTokens: number | undefined;
  readonly host: string;
  readonly port: number;
  readonly authToken: string | undefined;
  /** `[auth]`: login session lifetime, whether loopback clients log in too, the passkey RP ID. */
  readonly auth: { readonly sessionTtlMs: number; readonly requireOnLoopback: boolean; readonly rpId: string | undefined };
  readonly openaiBaseUrl: string | undefined;
  readonly anthropicBaseUrl: string | undefined;
  readonly configFile: string | null;
  /** `[providers] fallback`: models tried in order when the one in use fails retryably. */
  readonly fallback: readonly string[];
  /** `[providers.<id>]` tables of built-in providers (base_url, api_key_env, models). */
  readonly providerOverrides: Readonly<Record<string, ProviderOverrideConfig>>;
  /** `[[providers.custom]]`: OpenAI-compatible servers under the user's names. */
  readonly customProviders: readonly CustomProviderConfig[];
  /** `[providers.local]`: GGUF models run in-process. */
  readonly localProvider: LocalModelsConfig | undefined;
  /** `[agent] max_iterations` and `timeout` (the agent loop's bounds). */
  readonly agentLoop: { readonly maxIterations?: number; readonly timeoutMs?: number };
  /** `[tools.exec]`; null when `enabled = false`. */
  readonly exec: ExecOptions | null;
  /** `[tools.web_fetch]`; null when `enabled = false`. */
  readonly webFetch: WebFetchSettings | null;
  /** `[nodes]`: the embedded NATS listen host, the URL given to nodes, the pairing window's minutes. */
  readonly nodes: NodesSettings;
  /** `[gateway.tls]` when enabled (cert/key resolved to absolute paths); null: plain HTTP. */
  readonly tls: EdgeTlsSettings | null;
  /** The plain-HTTP CA/redirect port with TLS on (0: a free one); null: none (TLS off, or `false`). */
  readonly httpRedirectPort: number | null;
  /** `[gateway] trusted_proxies` (checked here; the edge parses them again). */
  readonly trustedProxies: readonly string[];
  /** `[channels.telegram]`; null when not enabled. The token is looked up at start (env, then the key file). */
  readonly telegram: {
    readonly allowedUsers: readonly string[];
    readonly apiRoot: string | null;
    readonly pollTimeoutSec: number;
    /** Webhook mode's public URL; null: long polling. */
    readonly webhookUrl: string | null;
    /** The level of approved senders without one of their own. */
    readonly access: ChannelAccess;
  } | null;
  /** `[telemetry]` (env `CAIRN_METRICS=0`, `CAIRN_OTLP_ENDPOINT` on top): metrics on, traces' collector or null. */
  readonly telemetry: {
    readonly metrics: boolean;
    readonly otlpEndpoint: string | null;
    /** `history_days`: minutes of metrics history kept (default 30 days). */
    readonly historyDays: number;
    /** `prices`: the user's price entries (over the built-in ones). */
    readonly prices: PriceTable;
  };
  /** `[log]` (env `CAIRN_LOG_LEVEL` on top): the structured log file's level and rotation. */
  readonly log: {
    readonly level: "debug" | "info" | "warn" | "error";
    readonly maxBytes: number;
    readonly maxFiles: number;
    /** `max_age` / `max_bytes`: the event log's retention (null: none); checked every `checkMs`. */
    readonly retention: { readonly maxAgeMs?: number; readonly maxBytes?: number; readonly checkMs: number } | null;
  };
  /** `[[mcp.servers]]`, checked (unique names, stdio xor HTTP), `cwd` made absolute. */
  readonly mcpServers: readonly McpServerEntry[];
  /** `[memory]` as written (actors/memory applies the defaults). */
  readonly memory?: MemoryConfig;
  /** `[[hooks]]`: hooks defined in the config, or discovered and bundled ones tuned (see actors/hooks). */
  readonly hooks: readonly HookConfigEntry[];
  /** `[cron]`: the `cron` tool's rate limit, jobs' default sandbox and approval mode. */
  readonly cron: CronSettings;
  /** `[heartbeat]`: the system job it makes, or null (none, or `enabled = false`). */
  readonly heartbeat: CronJobSettings | null;
}

export interface NodesSettings {
  readonly natsHost: string;
  readonly advertiseUrl: string | null;
  readonly pairingMinutes: number;
}

export const DEFAULT_PAIRING_MINUTES = 10;

/** `[tools.web_fetch]` as the tool takes it. */
export interface WebFetchSettings {
  readonly allowlist?: readonly string[];
  readonly allowPrivate?: readonly string[];
  readonly maxBytes?: number;
  readonly timeoutMs?: number;
}

export const DEFAULT_PORT = 13131;
export const DEFAULT_HOST = "127.0.0.1";

/**
 * Walks the parsed file against the known keys so a typo is reported by its full path with the
 * nearest valid key, before schema decoding reports types.
 */
const checkKeys = (value: unknown, known: Record<string, unknown>, path: string[]): void => {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return;
  for (const [k, v] of Object.entries(value)) {
    const where = [...path, k].join(".");
    if (!Object.hasOwn(known, k)) {
      const hint = nearest(k, Object.keys(known));
      throw new CairnError(
        "bad_request",
        `unknown key '${where}'${hint ? `; did you mean '${[...path, hint].join(".")}'?` : `; valid keys here: ${Object.keys(known).join(", ")}`}`,
      );
    }
    const sub = known[k];
    // An array of tables (`[[hooks]]`) known as `{}`: its schema checks each entry.
    if (Array.isArray(v) && typeof sub === "object" && sub !== null && Object.keys(sub).length === 0) continue;
    if (typeof sub === "object" && sub !== null) {
      if (typeof v !== "object" || v === null || Array.isArray(v)) {
        throw new CairnError("bad_request", `'${where}' must be a table ([${where}])`);
      }
      checkKeys(v, sub as Record<string, unknown>, [...path, k]);
    }
  }
};

/** Reads and checks `cairn.toml`; a missing file is an empty config. Errors name the file and key. */
export const readConfigFile = (file: string): ConfigFile | null => {
  if (!existsSync(file)) return null;
  const where = `config file ${file}`;
  let raw: unknown;
  try {
    raw = parseToml(readFileSync(file, "utf8"));
  } catch (e) {
    throw new CairnError("bad_request", `${where} is not valid TOML: ${(e as Error).message.split("\n")[0]}`);
  }
  try {
    checkKeys(raw, CONFIG_KEYS, []);
    return decodeOrFail(ConfigFile, raw, "config");
  } catch (e) {
    throw new CairnError("bad_request", `${where}: ${(e as Error).message}`);
  }
};

/** `[auth] session_expiry` when not set: 7 days, in seconds (as the seed product's key). */
export const DEFAULT_SESSION_EXPIRY_SEC = 604_800;

const portFrom = (v: string | undefined, fallback: number): number => {
  if (v === undefined || v === "") return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new CairnError("bad_request", `CAIRN_PORT must be a port number, got '${v}'`);
  return n;
};

const AGE_UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `[log] max_age` / `max_bytes` as the archive step takes them; null when neither is set. */
function retentionFrom(log: { max_age?: string; max_bytes?: number; archive_check_s?: number } | undefined): Settings["log"]["retention"] {
  if (log?.max_age === undefined && log?.max_bytes === undefined) return null;
  const age = log.max_age === undefined ? undefined : /^(\d+)([smhd])$/.exec(log.max_age);
  return {
    ...(age ? { maxAgeMs: Number(age[1]) * AGE_UNITS[age[2]] } : {}),
    ...(log.max_bytes !== undefined ? { maxBytes: log.max_bytes } : {}),
    checkMs: (log.archive_check_s ?? 600) * 1000,
  };
}

export const loadSettings = (configFile: string, env: NodeJS.ProcessEnv = process.env): Settings => {
  const file = readConfigFile(configFile);
  const { fallback = [], custom = [], local, ...overrides } = file?.providers ?? {};
  try {
    checkCustomProviders(custom);
  } catch (e) {
    throw new CairnError("bad_request", `config file ${configFile}: ${(e as Error).message}`);
  }
  const envModel = env.CAIRN_MODEL?.trim();
  // A provider alone ("groq") is let through: the gateway then says which models it serves.
  const bareProvider = envModel !== undefined && providerIds({ custom }).includes(envModel.replace(/\/$/, ""));
  if (envModel && !bareProvider) decodeOrFail(ConfigFile, { agent: { model: envModel } }, "CAIRN_MODEL");
  const model = envModel || file?.agent?.model || null;
  return {
    model,
    modelSource: envModel ? "CAIRN_MODEL" : file?.agent?.model ? "config" : "none",
    systemPrompt: file?.agent?.system_prompt,
    maxTokens: file?.agent?.max_tokens,
    host: env.CAIRN_HOST?.trim() || file?.gateway?.host || DEFAULT_HOST,
    port: portFrom(env.CAIRN_PORT, file?.gateway?.port ?? DEFAULT_PORT),
    authToken: env.CAIRN_AUTH_TOKEN || undefined,
    auth: {
      sessionTtlMs: (file?.auth?.session_expiry ?? DEFAULT_SESSION_EXPIRY_SEC) * 1000,
      requireOnLoopback: file?.auth?.require_on_loopback ?? false,
      rpId: file?.auth?.rp_id,
    },
    openaiBaseUrl: file?.providers?.openai?.base_url,
    anthropicBaseUrl: file?.providers?.anthropic?.base_url,
    configFile: file ? configFile : null,
    fallback,
    providerOverrides: Object.fromEntries(
      Object.entries(overrides).filter((e): e is [string, ProviderOverrideConfig] => e[1] !== undefined),
    ),
    customProviders: custom,
    localProvider: local,
    agentLoop: {
      ...(file?.agent?.max_iterations !== undefined ? { maxIterations: file.agent.max_iterations } : {}),
      ...(file?.agent?.timeout !== undefined ? { timeoutMs: Math.round(file.agent.timeout * 1000) } : {}),
    },
    exec: execSettings(file?.tools?.exec, configFile),
    webFetch: webFetchSettings(file?.tools?.web_fetch),
    nodes: {
      natsHost: file?.nodes?.nats_host ?? DEFAULT_HOST,
      advertiseUrl: file?.nodes?.advertise_url ?? null,
      pairingMinutes: file?.nodes?.pairing_minutes ?? DEFAULT_PAIRING_MINUTES,
    },
    telegram: file?.channels?.telegram?.enabled
      ? {
          allowedUsers: file.channels.telegram.allowed_users ?? [],
          apiRoot: file.channels.telegram.api_root ?? null,
          pollTimeoutSec: file.channels.telegram.poll_timeout_secs ?? 25,
          webhookUrl: file.channels.telegram.webhook_url ?? null,
          access: file.channels.telegram.access ?? DEFAULT_CHANNEL_ACCESS,
        }
      : null,
    telemetry: {
      metrics: env.CAIRN_METRICS !== undefined ? !/^(0|false|off|no)$/i.test(env.CAIRN_METRICS) : (file?.telemetry?.metrics ?? true),
      otlpEndpoint: env.CAIRN_OTLP_ENDPOINT || file?.telemetry?.otlp_endpoint || null,
      historyDays: file?.telemetry?.history_days ?? 30,
      prices: file?.telemetry?.prices ?? {},
    },
    log: {
      level: logLevelFrom(env.CAIRN_LOG_LEVEL) ?? file?.log?.level ?? "info",
      maxBytes: Math.round((file?.log?.max_size_mb ?? 10) * 1024 * 1024),
      maxFiles: file?.log?.max_files ?? 5,
      retention: retentionFrom(file?.log),
    },
    mcpServers: mcpServerSettings(file?.mcp?.servers ?? [], configFile),
    ...(file?.memory ? { memory: file.memory } : {}),
    hooks: file?.hooks ?? [],
    cron: cronSettings(file?.cron),
    heartbeat: inFile(configFile, () => heartbeatSettings(file?.heartbeat)),
    ...gatewayTlsSettings(file?.gateway, portFrom(env.CAIRN_PORT, file?.gateway?.port ?? DEFAULT_PORT), configFile),
  };
};

/** Runs a check of one table, naming the config file in its error. */
const inFile = <T>(configFile: string, f: () => T): T => {
  try {
    return f();
  } catch (e) {
    throw new CairnError("bad_request", `config file ${configFile}: ${(e as Error).message}`);
  }
};

/** `~/x` and paths relative to the config file's folder, made absolute. */
const configPath = (p: string, configFile: string): string =>
  p === "~" || p.startsWith("~/") ? resolve(homedir(), p.slice(2)) : resolve(dirname(configFile), p);

const mcpServerSettings = (servers: readonly McpServerEntry[], configFile: string): McpServerEntry[] => {
  const seen = new Set<string>();
  return servers.map((e) => {
    if (seen.has(e.name)) throw new CairnError("bad_request", `config file ${configFile}: two [[mcp.servers]] are named ${e.name}`);
    seen.add(e.name);
    try {
      serverOptions(e, "config");
    } catch (err) {
      throw new CairnError("bad_request", `config file ${configFile}: ${(err as Error).message}`);
    }
    return e.cwd ? { ...e, cwd: configPath(e.cwd, configFile) } : e;
  });
};

type GatewaySection = NonNullable<ConfigFile["gateway"]>;

const gatewayTlsSettings = (
  g: GatewaySection | undefined,
  port: number,
  configFile: string,
): Pick<Settings, "tls" | "httpRedirectPort" | "trustedProxies"> => {
  const trustedProxies = g?.trusted_proxies ?? [];
  try {
    parseTrustedProxies(trustedProxies);
  } catch (e) {
    throw new CairnError("bad_request", `config file ${configFile}: gateway.${(e as Error).message}`);
  }
  const t = g?.tls;
  // A [gateway.tls] table with a cert means TLS unless it says enabled = false.
  const on = t?.enabled ?? (t?.cert !== undefined || t?.key !== undefined);
  if (!on || !t) return { tls: null, httpRedirectPort: null, trustedProxies };
  if ((t.cert === undefined) !== (t.key === undefined))
    throw new CairnError(
      "bad_request",
      `config file ${configFile}: [gateway.tls] needs both cert and key, or neither (cairn then makes its own)`,
    );
  const tls: EdgeTlsSettings = {
    ...(t.cert !== undefined ? { cert: configPath(t.cert, configFile) } : {}),
    ...(t.key !== undefined ? { key: configPath(t.key, configFile) } : {}),
    names: t.names ?? [],
  };
  const redirect = g?.http_redirect_port;
  const httpRedirectPort = redirect === false ? null : (redirect ?? (port === 0 || port === 65535 ? 0 : port + 1));
  return { tls, httpRedirectPort, trustedProxies };
};

/** `[tools.exec.sandbox.resource_limits]` when not set: 512 MiB, one CPU (docker), 256 processes. */
export const DEFAULT_SANDBOX_LIMITS = { memoryMb: 512, cpus: 1, pids: 256 } as const;

/** "512M", "2G", "1.5GiB", "512" or 512 (MiB) → MiB. */
export const parseMemoryMb = (v: string | number): number => {
  const m = typeof v === "number" ? [String(v), String(v), "", ""] : /^(\d+(?:\.\d+)?)\s*([kKmMgG]?)i?([bB]?)$/.exec(v.trim());
  if (!m) throw new CairnError("bad_request", `'${v}' is not a size such as "512M" or "2G"`);
  const n = Number(m[1]);
  const unit = (m[2] ?? "").toLowerCase();
  // A bare number is MiB (as in the TOML number form); "512B" is bytes.
  const mb = unit === "g" ? n * 1024 : unit === "k" ? n / 1024 : unit === "m" ? n : m[3] ? n / (1024 * 1024) : n;
  if (mb < 4) throw new CairnError("bad_request", `memory_limit '${v}' is below 4 MiB: commands could not start`);
  return Math.round(mb);
};

// Exec is on by default (smart approvals, strongest sandbox available), as users of this kind of
// gateway expect; `enabled = false` turns it off.
const execSettings = (c: NonNullable<ConfigFile["tools"]>["exec"], where: string): ExecOptions | null => {
  if (c?.enabled === false) return null;
  const limits = c?.sandbox?.resource_limits;
  const sandboxSettings: SandboxSettings = {
    ...(c?.sandbox?.image !== undefined ? { image: c.sandbox.image } : {}),
    ...(c?.sandbox?.network !== undefined ? { network: c.sandbox.network } : {}),
    ...(c?.sandbox?.workspace_mount !== undefined ? { workspaceMount: c.sandbox.workspace_mount } : {}),
    // Bounded by default: a runaway or hostile command cannot take the machine's memory or fork-bomb it.
    memoryMb: limits?.memory_limit !== undefined ? memoryLimit(limits.memory_limit, where) : DEFAULT_SANDBOX_LIMITS.memoryMb,
    cpus: limits?.cpu_quota ?? DEFAULT_SANDBOX_LIMITS.cpus,
    pids: limits?.pids_max ?? DEFAULT_SANDBOX_LIMITS.pids,
    diskBytes: limits?.disk !== undefined ? diskLimit(limits.disk, where) : DEFAULT_DISK_QUOTA_BYTES,
  };
  return {
    approvalMode: c?.approval_mode ?? "smart",
    allowlist: c?.allowlist ?? [],
    ...(c?.approval_timeout !== undefined ? { approvalTimeoutMs: Math.round(c.approval_timeout * 1000) } : {}),
    sandbox: c?.sandbox?.backend ?? "auto",
    sandboxSettings,
  };
};

const memoryLimit = (v: string | number, file: string): number => {
  try {
    return parseMemoryMb(v);
  } catch (e) {
    throw new CairnError("bad_request", `config file ${file}: tools.exec.sandbox.resource_limits.memory_limit: ${(e as Error).message}`);
  }
};

/** `resource_limits.disk`: "1g", "500M", "2T" or a number of MiB → bytes (at least 1 MiB). */
export const parseDiskBytes = (v: string | number): number => {
  const m = typeof v === "number" ? [String(v), String(v), "m", ""] : /^(\d+(?:\.\d+)?)\s*([kKmMgGtT]?)i?([bB]?)$/.exec(v.trim());
  if (!m) throw new CairnError("bad_request", `'${v}' is not a size such as "500M" or "1g"`);
  const unit = (m[2] || (m[3] ? "b" : "m")).toLowerCase();
  const scale: Record<string, number> = { b: 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 };
  const bytes = Math.round(Number(m[1]) * (scale[unit] ?? 1));
  if (bytes < 1024 * 1024) throw new CairnError("bad_request", `disk '${v}' is below 1 MiB`);
  return bytes;
};

const diskLimit = (v: string | number, file: string): number => {
  try {
    return parseDiskBytes(v);
  } catch (e) {
    throw new CairnError("bad_request", `config file ${file}: tools.exec.sandbox.resource_limits.disk: ${(e as Error).message}`);
  }
};

const webFetchSettings = (c: NonNullable<ConfigFile["tools"]>["web_fetch"]): WebFetchSettings | null => {
  if (c?.enabled === false) return null;
  return {
    ...(c?.allowlist ? { allowlist: c.allowlist } : {}),
    ...(c?.allow_private ? { allowPrivate: c.allow_private } : {}),
    ...(c?.max_bytes !== undefined ? { maxBytes: c.max_bytes } : {}),
    ...(c?.timeout !== undefined ? { timeoutMs: Math.round(c.timeout * 1000) } : {}),
  };
};
