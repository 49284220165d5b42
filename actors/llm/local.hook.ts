import type { DiscoveredModel } from "./discovery.parse.ts";
import type { LocalModelsConfig } from "./model.config.ts";
import type { LlmProvider } from "./provider.ts";
import type { ProviderStatus } from "../../schemas/index.ts";

/**
 * The seam to the in-process GGUF runner (`actors/llm/local/`): `local/<model>` ids resolve
 * through whatever registered here, so this folder never imports node-llama-cpp. Without a hook,
 * `local/...` is `model_not_configured` with a reason.
 */
export interface LocalProviderHook {
  /**
   * The provider for `local/<model>` (the model name as written after `local/`). May load lazily;
   * a model that cannot load fails its stream with `model_load_failed`. May throw a `CairnError`
   * (`model_unknown` for a file that is not there).
   */
  resolve(model: string, config: LocalModelsConfig | undefined): LlmProvider;
  /** What is missing for `model` to run (a file, a models dir), or null when ready. */
  check?(model: string, config: LocalModelsConfig | undefined): string | null;
  /** The GGUF models available (for `cairn models` and the Providers page). Tools are off for them. */
  listModels?(config: LocalModelsConfig | undefined): Promise<readonly DiscoveredModel[]>;
  /** Where models come from, shown as the provider's "base URL" (e.g. the models dir). */
  location?(config: LocalModelsConfig | undefined): string;
  /** Memory-tier suggestions for this machine. */
  memory?(): NonNullable<ProviderStatus["memory"]>;
  /** The local models created so far, with their load state and progress. */
  loaded?(): NonNullable<ProviderStatus["loaded"]>;
}

let hook: LocalProviderHook | null = null;

/** Installs (or, with null, removes) the local provider. The last registration wins. */
export function registerLocalProvider(h: LocalProviderHook | null): void {
  hook = h;
}

export const localProvider = (): LocalProviderHook | null => hook;
