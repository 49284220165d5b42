import { join } from "node:path";
import {
  KeyStore,
  ModelDiscovery,
  localProviderHook,
  providerKeysFile,
  registerLocalProvider,
  resolveModel,
  type ProviderModelSetup,
} from "../../actors/llm/index.ts";
import type { Settings } from "../config/index.ts";
import type { Paths } from "../paths.ts";

/**
 * The model setup of a gateway (or of a CLI command working without one): the settings, the whole
 * environment (every provider's `<ID>_API_KEY` / `<ID>_BASE_URL`), the stored keys and the
 * discovery cache under the data dir.
 */
export function providerModelSetup(settings: Settings, paths: Paths, env: NodeJS.ProcessEnv): ProviderModelSetup {
  // `local/<name>` runs GGUF files in-process; relative paths in cairn.toml are relative to it.
  registerLocalProvider(localProviderHook({ dataDir: paths.dataDir, baseDir: paths.configDir }));
  const keys = new KeyStore(providerKeysFile(paths.configDir));
  return {
    defaultModel: settings.model,
    env: { ...env },
    config: {
      openaiBaseUrl: settings.openaiBaseUrl,
      anthropicBaseUrl: settings.anthropicBaseUrl,
      overrides: settings.providerOverrides,
      custom: settings.customProviders,
      local: settings.localProvider,
      keys,
      discovery: new ModelDiscovery({ cacheFile: modelCacheFile(paths.dataDir) }),
    },
    fallback: settings.fallback,
    keys,
  };
}

export const modelCacheFile = (dataDir: string): string => join(dataDir, "cache", "models.json");

/** The first chat would load the provider's SDK (~100-150 ms): load it now, while nobody waits. */
export function warmDefaultModel(model: ProviderModelSetup): void {
  const defaultModel = model.defaultModel;
  if (!defaultModel) return;
  setImmediate(() => {
    try {
      void resolveModel(defaultModel, model.env, model.config).provider.warm?.();
    } catch {
      // A model that does not resolve says why when it is used.
    }
  });
}
