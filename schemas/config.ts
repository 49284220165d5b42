import * as Schema from "effect/Schema";
import { ModelId, SessionKey } from "./ids.ts";
import { ChannelAccess } from "./channels.ts";
import { HookConfigEntry } from "./hooks.ts";
import { McpConfig } from "./mcp.ts";
import { MemoryConfig } from "./memory.ts";
import { PriceTable } from "./metrics.ts";

/** `[providers.<id>]`: where a known provider lives and which variable holds its key. */
export const ProviderOverride = Schema.Struct({
  base_url: Schema.optionalKey(Schema.String),
  api_key_env: Schema.optionalKey(Schema.String),
  /** Models to offer even when discovery cannot list them. */
  models: Schema.optionalKey(Schema.Array(Schema.String)),
});

/** `[[providers.custom]]`: any OpenAI-compatible server under a name of the user's choice. */
export const CustomProvider = Schema.Struct({
  name: Schema.String.check(
    Schema.isPattern(/^[a-z0-9][a-z0-9_-]{0,31}$/, { message: "a provider name is lowercase letters, digits, '_' or '-'" }),
  ),
  base_url: Schema.String,
  api_key_env: Schema.optionalKey(Schema.String),
  models: Schema.optionalKey(Schema.Array(Schema.String)),
});

/** `[providers.local]`: GGUF models run in-process with node-llama-cpp. */
export const LocalProviderConfig = Schema.Struct({
  model_path: Schema.optionalKey(Schema.String),
  models_dir: Schema.optionalKey(Schema.String),
  gpu_layers: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(0))),
  threads: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 256 }))),
  context_size: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 128, maximum: 1_048_576 }))),
});

/** A sandbox backend as a user names it: in `[tools.exec.sandbox]` and per session (`sessions.setSandbox`). */
export const SandboxBackendSetting = Schema.Literals(["auto", "docker", "bubblewrap", "none"]);

/** `[tools.exec.sandbox]`: where `exec` runs commands. */
export const SandboxConfig = Schema.Struct({
  backend: Schema.optionalKey(SandboxBackendSetting),
  /** Docker: the image (built locally; never pulled). */
  image: Schema.optionalKey(Schema.String.check(Schema.isMinLength(1))),
  /** Give commands network access (default: none). */
  network: Schema.optionalKey(Schema.Boolean),
  workspace_mount: Schema.optionalKey(Schema.Literals(["rw", "ro"])),
  resource_limits: Schema.optionalKey(
    Schema.Struct({
      /** "512M", "2G" or a number of MiB. */
      memory_limit: Schema.optionalKey(
        Schema.Union([
          Schema.String.check(Schema.isPattern(/^\d+(\.\d+)?\s*[kKmMgG]?i?[bB]?$/, { message: 'a size such as "512M" or "2G"' })),
          Schema.Number.check(Schema.isGreaterThan(0)),
        ]),
      ),
      cpu_quota: Schema.optionalKey(Schema.Number.check(Schema.isBetween({ minimum: 0.01, maximum: 256 }))),
      pids_max: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 1_000_000 }))),
      /** Workspace disk quota: "1g", "500M" or a number of MiB (default 5 GiB). */
      disk: Schema.optionalKey(
        Schema.Union([
          Schema.String.check(Schema.isPattern(/^\d+(\.\d+)?\s*[kKmMgGtT]?i?[bB]?$/, { message: 'a size such as "500M" or "1g"' })),
          Schema.Number.check(Schema.isGreaterThan(0)),
        ]),
      ),
    }),
  ),
});

/** `[tools.exec]`: the shell tool and its approvals. */
export const ExecConfig = Schema.Struct({
  enabled: Schema.optionalKey(Schema.Boolean),
  approval_mode: Schema.optionalKey(Schema.Literals(["always", "smart", "never"])),
  /** Command patterns (`*`, `?`) that run without asking. */
  allowlist: Schema.optionalKey(Schema.Array(Schema.String)),
  /** Seconds a pending approval waits before it expires (default 1800). */
  approval_timeout: Schema.optionalKey(Schema.Number.check(Schema.isBetween({ minimum: 1, maximum: 30 * 86_400 }))),
  sandbox: Schema.optionalKey(SandboxConfig),
});

/** `[tools.web_fetch]`. */
export const WebFetchConfig = Schema.Struct({
  enabled: Schema.optionalKey(Schema.Boolean),
  /** When set, only these hosts (`example.com`, `*.example.com`) may be fetched. */
  allowlist: Schema.optionalKey(Schema.Array(Schema.String)),
  /** Private hosts or CIDRs the user trusts (refused otherwise). */
  allow_private: Schema.optionalKey(Schema.Array(Schema.String)),
  max_bytes: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 1024, maximum: 100 * 1024 * 1024 }))),
  /** Seconds. */
  timeout: Schema.optionalKey(Schema.Number.check(Schema.isBetween({ minimum: 1, maximum: 600 }))),
});

/** `[nodes]`: how remote nodes reach the bus, and the pairing window's default length. */
export const NodesConfig = Schema.Struct({
  /** Where the embedded nats-server listens (default 127.0.0.1: no remote node can reach it). */
  nats_host: Schema.optionalKey(Schema.String.check(Schema.isMinLength(1))),
  /** The NATS URL given to approved nodes (default: the host they paired with, the server's port). */
  advertise_url: Schema.optionalKey(
    Schema.String.check(Schema.isPattern(/^(nats|tls):\/\/\S+$/, { message: "a NATS URL such as nats://gateway.lan:4222" })),
  ),
  /** Minutes `cairn node pairing enable` opens the window for (default 10). */
  pairing_minutes: Schema.optionalKey(Schema.Number.check(Schema.isBetween({ minimum: 1, maximum: 1440 }))),
});

/** `[gateway.tls]`: HTTPS/WSS on the edge. */
export const GatewayTlsConfig = Schema.Struct({
  enabled: Schema.optionalKey(Schema.Boolean),
  /** PEM certificate (chain) file; with `key`. Without both, cairn's local CA signs one. */
  cert: Schema.optionalKey(Schema.String.check(Schema.isMinLength(1))),
  key: Schema.optionalKey(Schema.String.check(Schema.isMinLength(1))),
  /** Extra names or addresses the local CA's certificate covers (e.g. "cairn.lan", "192.0.2.7"). */
  names: Schema.optionalKey(Schema.Array(Schema.String.check(Schema.isMinLength(1)))),
});

/**
 * `[channels.telegram]`: the agent in Telegram. The bot token is never here: it comes from
 * `CAIRN_TELEGRAM_TOKEN` or `cairn channels set-token telegram` (the config dir's key file).
 */
export const TelegramConfig = Schema.Struct({
  enabled: Schema.optionalKey(Schema.Boolean),
  /** User ids or @usernames that need no approval. Everyone else waits in the pending queue. */
  allowed_users: Schema.optionalKey(Schema.Array(Schema.String.check(Schema.isPattern(/^(@?[A-Za-z0-9_]{1,64}|-?[0-9]{1,20})$/)))),
  /** The Bot API's address (default https://api.telegram.org): a local Bot API server, or a test's. */
  api_root: Schema.optionalKey(Schema.String.check(Schema.isPattern(/^https?:\/\/\S+$/, { message: "an http(s) URL" }))),
  /**
   * Webhook mode: the public https URL of this gateway's `/api/channels/telegram/webhook` (behind
   * your proxy). Telegram then posts updates there instead of being polled. Absent: long polling.
   */
  webhook_url: Schema.optionalKey(Schema.String.check(Schema.isPattern(/^https?:\/\/\S+$/, { message: "an http(s) URL" }))),
  /** Long-poll wait in seconds (default 25). */
  poll_timeout_secs: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 50 }))),
  /**
   * What an approved sender may have the agent do, unless they were given their own level
   * (`cairn channels access`): "read-only", "execute" (default) or "admin".
   */
  access: Schema.optionalKey(ChannelAccess),
});

/** `[telemetry]`: Prometheus metrics (on by default) and OpenTelemetry traces (off unless a collector is named). */
export const TelemetryConfig = Schema.Struct({
  /** Record the gateway's metrics (default true); false leaves `/metrics` with the edge's own counters. */
  metrics: Schema.optionalKey(Schema.Boolean),
  /** An OTLP/HTTP collector (e.g. http://127.0.0.1:4318): every run is exported there as a trace. */
  otlp_endpoint: Schema.optionalKey(
    Schema.String.check(Schema.isPattern(/^https?:\/\/\S+$/, { message: "an http(s) URL such as http://127.0.0.1:4318" })),
  ),
  /** Days of per-minute metrics history kept for `/api/metrics` and the Monitoring page (default 30). */
  history_days: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 366 }))),
  /** USD per million tokens by model ("provider/model"), over the built-in list prices: what cost is computed with. */
  prices: Schema.optionalKey(PriceTable),
});

/** `[cron]`: the agent's `cron` tool's rate limit, and what jobs' runs use unless a job says otherwise. */
export const CronConfig = Schema.Struct({
  /** Job changes (add, update) the agent's `cron` tool may make per window (default 10); cairn's own jobs are exempt. */
  rate_limit_max: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 100_000 }))),
  /** The window in seconds (default 60). */
  rate_limit_window_secs: Schema.optionalKey(Schema.Number.check(Schema.isBetween({ minimum: 1, maximum: 86_400 }))),
  /** The `exec` sandbox of jobs' runs (default: the session's, else `[tools.exec.sandbox]`). */
  sandbox: Schema.optionalKey(SandboxBackendSetting),
  /** How jobs' runs ask before dangerous calls (default: `[tools.exec] approval_mode`). */
  approval_mode: Schema.optionalKey(Schema.Literals(["always", "smart", "never"])),
});

/** `[heartbeat]`: a system job that runs a check-in prompt every `every`, within `active_hours`. */
export const HeartbeatConfig = Schema.Struct({
  /** Default true once the table is there; false removes the heartbeat job. */
  enabled: Schema.optionalKey(Schema.Boolean),
  /** An interval such as "30m" (default), "1h", "1h30m". */
  every: Schema.optionalKey(
    Schema.String.check(Schema.isPattern(/^(\d+(ms|[smhd]))+$/, { message: 'an interval such as "30m", "1h" or "1h30m"' })),
  ),
  /** When it may run, e.g. { start = "08:00", end = "22:00", timezone = "Europe/Berlin" } (default: all day, UTC). */
  active_hours: Schema.optionalKey(
    Schema.Struct({
      start: Schema.String,
      end: Schema.String,
      timezone: Schema.optionalKey(Schema.String),
    }),
  ),
  /** What the agent is asked on each beat (default: a check-in that answers HEARTBEAT_OK when nothing needs attention). */
  prompt: Schema.optionalKey(Schema.String.check(Schema.isMinLength(1))),
  /** The session the beats run in (default: its own, cron-heartbeat). */
  session: Schema.optionalKey(SessionKey),
  model: Schema.optionalKey(ModelId),
  /** Seconds one beat may run (default 300). */
  timeout: Schema.optionalKey(Schema.Number.check(Schema.isBetween({ minimum: 1, maximum: 86_400 }))),
});

/** `cairn.toml`. Every key is optional: cairn runs on embedded defaults with no file at all. */
export const ConfigFile = Schema.Struct({
  agent: Schema.optionalKey(
    Schema.Struct({
      model: Schema.optionalKey(ModelId),
      system_prompt: Schema.optionalKey(Schema.String),
      max_tokens: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 1_000_000 }))),
      /** Whole-run bound in seconds (default 600). */
      timeout: Schema.optionalKey(Schema.Number.check(Schema.isBetween({ minimum: 1, maximum: 86_400 }))),
      /** Model calls per run (default 25). */
      max_iterations: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 1000 }))),
    }),
  ),
  tools: Schema.optionalKey(Schema.Struct({ exec: Schema.optionalKey(ExecConfig), web_fetch: Schema.optionalKey(WebFetchConfig) })),
  nodes: Schema.optionalKey(NodesConfig),
  telemetry: Schema.optionalKey(TelemetryConfig),
  /** `[log]`: the gateway's structured log file (`<data dir>/logs/gateway.log`, JSON lines; `cairn logs`). */
  log: Schema.optionalKey(
    Schema.Struct({
      /** Lowest level written: debug, info (default), warn or error. */
      level: Schema.optionalKey(Schema.Literals(["debug", "info", "warn", "error"])),
      /** The file is rotated at this size (default 10). */
      max_size_mb: Schema.optionalKey(Schema.Number.check(Schema.isBetween({ minimum: 0.01, maximum: 10_000 }))),
      /** Rotated files kept (default 5). */
      max_files: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 100 }))),
      /**
       * Retention of the event log (not the file above): events older than this age (`90d`, `12h`)
       * are archived to `<data dir>/archive` and removed from the log. Unset: kept for ever.
       */
      max_age: Schema.optionalKey(Schema.String.check(Schema.isPattern(/^[1-9]\d*[smhd]$/))),
      /** Above this many bytes the oldest events are archived and removed, down to 80% of it. */
      max_bytes: Schema.optionalKey(Schema.Int.check(Schema.isGreaterThanOrEqualTo(1))),
      /** How often the retention limits are checked, in seconds (default 600). */
      archive_check_s: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 86_400 }))),
    }),
  ),
  channels: Schema.optionalKey(Schema.Struct({ telegram: Schema.optionalKey(TelegramConfig) })),
  /** `[[mcp.servers]]`: Model Context Protocol servers whose tools the agent gets. */
  mcp: Schema.optionalKey(McpConfig),
  /** `[memory]`: the agent's memory files, their search and session export. */
  memory: Schema.optionalKey(MemoryConfig),
  /** `[[hooks]]`: lifecycle hooks defined (or bundled ones enabled and tuned) in the config. */
  hooks: Schema.optionalKey(Schema.Array(HookConfigEntry)),
  cron: Schema.optionalKey(CronConfig),
  heartbeat: Schema.optionalKey(HeartbeatConfig),
  gateway: Schema.optionalKey(
    Schema.Struct({
      host: Schema.optionalKey(Schema.String),
      port: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 65535 }))),
      /** The plain-HTTP CA-download/redirect port with TLS on (default: port + 1); false turns it off. */
      http_redirect_port: Schema.optionalKey(
        Schema.Union([Schema.Int.check(Schema.isBetween({ minimum: 0, maximum: 65535 })), Schema.Literal(false)]),
      ),
      /** IPs/CIDRs of reverse proxies whose Forwarded / X-Forwarded-* headers are believed. */
      trusted_proxies: Schema.optionalKey(Schema.Array(Schema.String)),
      tls: Schema.optionalKey(GatewayTlsConfig),
    }),
  ),
  auth: Schema.optionalKey(
    Schema.Struct({
      /** Login session lifetime in seconds (default 604800: 7 days). */
      session_expiry: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 60, maximum: 31_536_000 }))),
      /** Local (loopback) clients log in too (default false). */
      require_on_loopback: Schema.optionalKey(Schema.Boolean),
      /** The WebAuthn relying party ID for passkeys (default: the host name the browser used). */
      rp_id: Schema.optionalKey(Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(253))),
    }),
  ),
  providers: Schema.optionalKey(
    Schema.Struct({
      /** Models tried in order when the one in use is rate limited, overloaded or unreachable. */
      fallback: Schema.optionalKey(Schema.Array(ModelId)),
      openai: Schema.optionalKey(ProviderOverride),
      anthropic: Schema.optionalKey(ProviderOverride),
      openrouter: Schema.optionalKey(ProviderOverride),
      groq: Schema.optionalKey(ProviderOverride),
      mistral: Schema.optionalKey(ProviderOverride),
      deepseek: Schema.optionalKey(ProviderOverride),
      together: Schema.optionalKey(ProviderOverride),
      fireworks: Schema.optionalKey(ProviderOverride),
      cerebras: Schema.optionalKey(ProviderOverride),
      xai: Schema.optionalKey(ProviderOverride),
      gemini: Schema.optionalKey(ProviderOverride),
      ollama: Schema.optionalKey(ProviderOverride),
      lmstudio: Schema.optionalKey(ProviderOverride),
      venice: Schema.optionalKey(ProviderOverride),
      moonshot: Schema.optionalKey(ProviderOverride),
      local: Schema.optionalKey(LocalProviderConfig),
      custom: Schema.optionalKey(Schema.Array(CustomProvider)),
    }),
  ),
});
export type ConfigFile = typeof ConfigFile.Type;

/** The key tree of `ConfigFile`, used to point at typos ("did you mean ..."). */
export const CONFIG_KEYS: Record<string, Record<string, unknown>> = {
  agent: { model: 1, system_prompt: 1, max_tokens: 1, timeout: 1, max_iterations: 1 },
  tools: {
    exec: {
      enabled: 1,
      approval_mode: 1,
      allowlist: 1,
      approval_timeout: 1,
      sandbox: {
        backend: 1,
        image: 1,
        network: 1,
        workspace_mount: 1,
        resource_limits: { memory_limit: 1, cpu_quota: 1, pids_max: 1, disk: 1 },
      },
    },
    web_fetch: { enabled: 1, allowlist: 1, allow_private: 1, max_bytes: 1, timeout: 1 },
  },
  gateway: { host: 1, port: 1, http_redirect_port: 1, trusted_proxies: 1, tls: { enabled: 1, cert: 1, key: 1, names: 1 } },
  auth: { session_expiry: 1, require_on_loopback: 1, rp_id: 1 },
  nodes: { nats_host: 1, advertise_url: 1, pairing_minutes: 1 },
  channels: { telegram: { enabled: 1, allowed_users: 1, api_root: 1, poll_timeout_secs: 1, access: 1, webhook_url: 1 } },
  telemetry: { metrics: 1, otlp_endpoint: 1, history_days: 1, prices: 1 },
  log: { level: 1, max_size_mb: 1, max_files: 1, max_age: 1, max_bytes: 1, archive_check_s: 1 },
  // Each server table is checked by its schema (excess keys are refused there).
  mcp: { servers: 1 },
  // Each [[memory.embeddings]] table is checked by its schema.
  memory: { enabled: 1, directories: 1, citations: 1, session_export: 1, embeddings: 1 },
  // An array of tables, each checked by its schema (excess keys are refused there).
  hooks: {},
  cron: { rate_limit_max: 1, rate_limit_window_secs: 1, sandbox: 1, approval_mode: 1 },
  heartbeat: { enabled: 1, every: 1, active_hours: { start: 1, end: 1, timezone: 1 }, prompt: 1, session: 1, model: 1, timeout: 1 },
  providers: {
    fallback: 1,
    custom: 1,
    local: { model_path: 1, models_dir: 1, gpu_layers: 1, threads: 1, context_size: 1 },
    ...Object.fromEntries(
      [
        "openai",
        "anthropic",
        "openrouter",
        "groq",
        "mistral",
        "deepseek",
        "together",
        "fireworks",
        "cerebras",
        "xai",
        "gemini",
        "ollama",
        "lmstudio",
        "venice",
        "moonshot",
      ].map((id) => [id, { base_url: 1, api_key_env: 1, models: 1 }]),
    ),
  },
};
