import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { DEFAULT_MAX_ITERATIONS, DEFAULT_RUN_TIMEOUT_MS, resolveModel, type ActorSystem } from "../../actors/index.ts";
import { serveSettings } from "../../actors/settings/index.ts";
import type { SettingValues, SettingsView } from "../../schemas/index.ts";
import type { Settings } from "../config/index.ts";
import type { Paths } from "../paths.ts";

/** What `cairn.toml` (else the environment, else a built-in default) gives each key the UI can change. */
export const configuredValues = (settings: Settings, defaultModel: string | null): SettingValues => ({
  ...(defaultModel ? { "agent.model": defaultModel } : {}),
  ...(settings.systemPrompt !== undefined ? { "agent.system_prompt": settings.systemPrompt } : {}),
  "agent.max_iterations": settings.agentLoop.maxIterations ?? DEFAULT_MAX_ITERATIONS,
  "agent.timeout": Math.round((settings.agentLoop.timeoutMs ?? DEFAULT_RUN_TIMEOUT_MS) / 1000),
  ...(settings.exec
    ? {
        "tools.exec.approval_mode": settings.exec.approvalMode ?? "smart",
        "tools.exec.allowlist": settings.exec.allowlist ?? [],
        "tools.exec.sandbox.backend": settings.exec.sandbox ?? "auto",
      }
    : {}),
});

/** What only `cairn.toml` sets, shown read-only on the Settings page. Secrets show as set or not. */
export const fileOnlySettings = (settings: Settings, paths: Paths): SettingsView["fileOnly"] => {
  const rows: [string, string | number | boolean | null | undefined][] = [
    ["gateway.host", settings.host],
    ["gateway.port", settings.port],
    ["auth token", settings.authToken ? "set" : "not set"],
    ["data dir", paths.dataDir],
    ["agent.max_tokens", settings.maxTokens ?? "provider default"],
    ["providers.fallback", settings.fallback.join(", ") || "none"],
    ["tools.exec", settings.exec ? "on" : "off (no [tools.exec] section)"],
    ["tools.exec.approval_timeout", settings.exec?.approvalTimeoutMs ? `${settings.exec.approvalTimeoutMs / 1000} s` : "1800 s"],
    ["tools.exec.sandbox.image", settings.exec?.sandboxSettings?.image],
    ["tools.exec.sandbox.network", settings.exec?.sandboxSettings?.network ?? false],
    ["tools.web_fetch", settings.webFetch ? "on" : "off"],
    ["tls", settings.tls ? "on" : "off"],
    ["telemetry.metrics", settings.telemetry.metrics],
    ["log.level", settings.log.level],
  ];
  return rows.filter(([, v]) => v !== undefined && v !== null).map(([key, v]) => ({ key, value: String(v) }));
};

/** The settings service of a gateway, over its actor system and its loaded config. */
export const startSettingsService = (o: {
  nc: NatsConnection;
  system: ActorSystem;
  settings: Settings;
  paths: Paths;
  model: { defaultModel: string | null; env: Parameters<typeof resolveModel>[1]; config: Parameters<typeof resolveModel>[2] };
}): Subscription[] =>
  serveSettings({
    nc: o.nc,
    read: () => o.system.settings(),
    dispatch: (verb, params) => o.system.dispatch("settings", "global", verb, params),
    configured: configuredValues(o.settings, o.model.defaultModel),
    configFile: o.settings.configFile,
    configPath: o.paths.configFile,
    fileOnly: fileOnlySettings(o.settings, o.paths),
    checkModel: (id) => void resolveModel(id, o.model.env, o.model.config),
  });
