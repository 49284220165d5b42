import type { CronSettings } from "../../actors/cron/index.ts";
import type { ExecOptions } from "../../actors/index.ts";
import type { CustomProviderConfig, LocalModelsConfig, ProviderOverrideConfig } from "../../actors/llm/index.ts";
import type { EdgeTlsSettings } from "../../bus/edge/index.ts";
import type { ChannelAccess, CronJobSettings, HookConfigEntry, McpServerEntry, MemoryConfig, PriceTable } from "../../schemas/index.ts";

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

/** `[tools.web_fetch]` as the tool takes it. */
export interface WebFetchSettings {
  readonly allowlist?: readonly string[];
  readonly allowPrivate?: readonly string[];
  readonly maxBytes?: number;
  readonly timeoutMs?: number;
}
