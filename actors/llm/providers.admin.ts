import { CairnError, type ListModelsResult, type ListProvidersResult } from "../../schemas/index.ts";
import type { KeyStore } from "./keys.ts";
import type { ModelConfig, ModelEnv } from "./model.config.ts";
import { listModelInfo, listProviderStatus } from "./providers.status.ts";
import { findProvider } from "./registry.ts";

/** What the gateway resolves models with; the actor system and the provider services share one. */
export interface ProviderModelSetup {
  readonly defaultModel: string | null;
  readonly env: ModelEnv;
  readonly config: ModelConfig;
  readonly fallback: readonly string[];
  /** The stored provider keys (`config.keys` reads them; `set_key` writes through the same store). */
  readonly keys: KeyStore;
}

/**
 * The models the user enabled for the picker. A setting, so it lives in the log (the settings
 * aggregate); the gateway passes its actor system's view. Without a gateway nothing is enabled.
 */
export interface EnabledModels {
  all(): Promise<Set<string>>;
  set(provider: string, models: readonly string[]): Promise<readonly string[]>;
}

export const noEnabledModels: EnabledModels = {
  all: async () => new Set(),
  set: async () => {
    throw new CairnError("unavailable", "enabling models needs the running gateway");
  },
};

/** `q.models.list`: the answer, shared with `cairn models` when no gateway runs. */
export async function listModels(
  setup: ProviderModelSetup,
  enabled: EnabledModels,
  refresh = false,
): Promise<typeof ListModelsResult.Type> {
  const models = await listModelInfo(setup.env, setup.config, {
    refresh,
    defaultModel: setup.defaultModel,
    fallback: setup.fallback,
    enabled: await enabled.all(),
  });
  // A bare provider ("groq") is a setting the gateway accepts, but not a model id.
  const defaultModel = setup.defaultModel && /^[a-z0-9][a-z0-9_-]*\/\S+$/.test(setup.defaultModel) ? setup.defaultModel : null;
  return { models, defaultModel };
}

/** `q.providers.list`: likewise shared with `cairn providers`. */
export async function listProviders(setup: ProviderModelSetup, refresh = false): Promise<typeof ListProvidersResult.Type> {
  return { providers: await listProviderStatus(setup.env, setup.config, { refresh }) };
}

/** Checks a key before it is stored. Messages never quote it. */
export function checkKey(provider: string, key: string): string {
  const k = key.trim();
  if (!k) throw new CairnError("bad_request", `no key given for ${provider}`);
  if (k.length > 4096) throw new CairnError("bad_request", `the key for ${provider} is longer than 4096 characters; is it the right text?`);
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what a pasted key must not hold
  if (/[\s\u0000-\u001f\u007f]/.test(k))
    throw new CairnError("bad_request", `the key for ${provider} contains spaces, line breaks or control characters; paste only the key`);
  return k;
}

/** A provider that takes a stored key: any registry provider but `local`. */
export function keyedProvider(provider: string, setup: ProviderModelSetup): string {
  const entry = findProvider(provider, setup.env, setup.config);
  if (!entry) throw new CairnError("model_unknown", `unknown provider "${provider}"; 'cairn providers' lists them`, { provider });
  if (entry.kind === "local") throw new CairnError("bad_request", "local models need no key");
  return entry.id;
}
