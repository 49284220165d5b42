import { checkCustomProviders, providerIds, type ProviderOverrideConfig } from "../../actors/llm/index.ts";
import { cronSettings, heartbeatSettings } from "../../actors/cron/index.ts";
import { serverOptions } from "../../actors/mcp/index.ts";
import { CairnError, DEFAULT_CHANNEL_ACCESS, ConfigFile, decodeOrFail, type McpServerEntry } from "../../schemas/index.ts";
import { configPath, readConfigFile } from "./config.file.ts";
import { gatewayTlsSettings } from "./gateway.tls.settings.ts";
import type { Settings } from "./settings.types.ts";
import { execSettings, webFetchSettings } from "./tools.settings.ts";

const LEVELS = ["debug", "info", "warn", "error"] as const;
/** `CAIRN_LOG_LEVEL`: one of the levels, or a clear error naming them. */
const logLevelFrom = (v: string | undefined): (typeof LEVELS)[number] | undefined => {
  if (v === undefined || v === "") return undefined;
  const l = v.toLowerCase();
  if ((LEVELS as readonly string[]).includes(l)) return l as (typeof LEVELS)[number];
  throw new CairnError("bad_request", `CAIRN_LOG_LEVEL must be one of ${LEVELS.join(", ")} (got ${JSON.stringify(v)})`);
};

export const DEFAULT_PAIRING_MINUTES = 10;

export const DEFAULT_PORT = 13131;
export const DEFAULT_HOST = "127.0.0.1";

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
