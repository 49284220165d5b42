import type { CustomProvider, LocalProviderConfig, ProviderOverride } from "../../schemas/index.ts";
import type { ModelDiscovery } from "./discovery.ts";

/**
 * What model resolution reads. Nothing in `actors/llm` reads `process.env` or the config file
 * itself: the gateway (or a CLI command) passes both in, so tests and the CLI's offline mode see
 * exactly what the gateway would.
 */

/**
 * The environment: `<ID>_API_KEY` / `<ID>_BASE_URL` of every provider (and the variables named by
 * `api_key_env`). The gateway passes its whole environment.
 */
export type ModelEnv = Readonly<Record<string, string | undefined>>;

export type ProviderOverrideConfig = typeof ProviderOverride.Type;
export type CustomProviderConfig = typeof CustomProvider.Type;
export type LocalModelsConfig = typeof LocalProviderConfig.Type;

/** Read access to stored keys (what model resolution needs); `KeyStore` in keys.ts is the file-backed one. */
export interface KeyLookup {
  get(provider: string): string | undefined;
}

export interface ModelConfig {
  /** `[providers.openai] base_url` (kept for callers that predate `overrides`). */
  openaiBaseUrl?: string | undefined;
  /** `[providers.anthropic] base_url` (likewise). */
  anthropicBaseUrl?: string | undefined;
  /** `[providers.<id>]` tables: base URL, key variable and extra models of a built-in provider. */
  overrides?: Readonly<Record<string, ProviderOverrideConfig | undefined>> | undefined;
  /** `[[providers.custom]]`: OpenAI-compatible servers under names of the user's choice. */
  custom?: readonly CustomProviderConfig[] | undefined;
  /** `[providers.local]`, handed to the local provider hook. */
  local?: LocalModelsConfig | undefined;
  /** Keys stored in `provider_keys.json`; the environment wins over them. */
  keys?: KeyLookup | undefined;
  /** Model lists found by discovery (cached), used to suggest models when only a provider is named. */
  discovery?: ModelDiscovery | undefined;
}
