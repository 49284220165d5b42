import { join } from "node:path";
import type { NatsConnection } from "@nats-io/transport-node";
import {
  KeyStore,
  ModelDiscovery,
  findProvider,
  listModelInfo,
  listProviderStatus,
  providerKeysFile,
  providerStatus,
  registerLocalProvider,
  suggestModels,
  type ModelConfig,
  type ModelEnv,
} from "../../actors/llm/index.ts";
import { localProviderHook } from "../../actors/llm/local/index.ts";
import { serve, subjects } from "../../bus/index.ts";
import {
  CairnError,
  decodeOrFail,
  methodParams,
  type ListModelsResult,
  type ListProvidersResult,
  type ProviderStatus,
} from "../../schemas/index.ts";
import type { Settings } from "../config/load.ts";
import type { Paths } from "../paths.ts";

/** What the gateway resolves models with; the actor system and these services share one. */
export interface ProviderModelSetup {
  readonly defaultModel: string | null;
  readonly env: ModelEnv;
  readonly config: ModelConfig;
  readonly fallback: readonly string[];
  /** The stored provider keys (`config.keys` reads them; `set_key` writes through the same store). */
  readonly keys: KeyStore;
}

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
export async function listModels(setup: ProviderModelSetup, enabled: EnabledModels, refresh = false): Promise<typeof ListModelsResult.Type> {
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
  if (/[\s\u0000-\u001f\u007f]/.test(k)) throw new CairnError("bad_request", `the key for ${provider} contains spaces, line breaks or control characters; paste only the key`);
  return k;
}

/** A provider that takes a stored key: any registry provider but `local`. */
export function keyedProvider(provider: string, setup: ProviderModelSetup): string {
  const entry = findProvider(provider, setup.env, setup.config);
  if (!entry) throw new CairnError("model_unknown", `unknown provider "${provider}"; 'cairn providers' lists them`, { provider });
  if (entry.kind === "local") throw new CairnError("bad_request", "local models need no key");
  return entry.id;
}

const SetKeyParams = methodParams["providers.setKey"];
const EnableParams = methodParams["models.enable"];
const ListParams = methodParams["models.list"];

/**
 * The provider services on the bus: `q.models.list` and `q.providers.list` (`{refresh?}`),
 * `admin.providers.set_key` (`{provider, key}` → the provider's status, which never carries the
 * key) and `admin.models.enable` (`{provider, models}` → `{provider, models}`).
 */
export function serveProviderServices(o: { nc: NatsConnection; model: ProviderModelSetup; enabled: EnabledModels }) {
  const enabled = o.enabled;
  // CAIRN_MODEL=groq (a provider alone): learn what it serves now, so the status hint lists it.
  const bare = o.model.defaultModel?.replace(/\/$/, "");
  if (bare && !bare.includes("/") && findProvider(bare, o.model.env, o.model.config)) {
    void suggestModels(bare, o.model.env, o.model.config).catch(() => {});
  }
  return [
    serve(o.nc, subjects.query("models", "list"), async (p) => {
      const params = decodeOrFail(ListParams, p, "models.list params");
      return listModels(o.model, enabled, params.refresh === true);
    }),
    serve(o.nc, subjects.query("providers", "list"), async (p) => {
      const params = decodeOrFail(methodParams["providers.list"], p, "providers.list params");
      return listProviders(o.model, params.refresh === true);
    }),
    serve(o.nc, subjects.admin("providers", "set_key"), async (p): Promise<ProviderStatus> => {
      let params: typeof SetKeyParams.Type;
      try {
        params = decodeOrFail(SetKeyParams, p, "set_key params");
      } catch {
        // The decoder's message may quote the value, and the value is a key.
        throw new CairnError("bad_request", "set_key takes {provider, key}: a provider id (≤ 32 characters) and a key of 1-4096 characters");
      }
      const provider = keyedProvider(params.provider, o.model);
      o.model.keys.set(provider, checkKey(provider, params.key));
      // Ask the provider with the new key at once: the answer says whether the key works.
      const status = await providerStatus(provider, o.model.env, o.model.config, { ask: true, refresh: true });
      return status!;
    }),
    serve(o.nc, subjects.admin("models", "enable"), async (p) => {
      const params = decodeOrFail(EnableParams, p, "models.enable params");
      const provider = findProvider(params.provider, o.model.env, o.model.config);
      if (!provider) throw new CairnError("model_unknown", `unknown provider "${params.provider}"`, { provider: params.provider });
      const foreign = params.models.filter((m) => !m.startsWith(`${provider.id}/`));
      if (foreign.length > 0) throw new CairnError("bad_request", `models of ${provider.id} must start with '${provider.id}/': ${foreign.join(", ")}`);
      return { provider: provider.id, models: await enabled.set(provider.id, params.models) };
    }),
  ];
}
