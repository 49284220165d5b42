import { CairnError } from "../../schemas/errors.ts";
import {
  ANTHROPIC_DEFAULT_BASE_URL,
  OPENAI_DEFAULT_BASE_URL,
  lazyProvider,
  type LlmProvider,
  type ProviderOptions,
} from "./provider.ts";

/**
 * From a model id ("openai/gpt-4o-mini") and the environment to a ready provider, or to an error
 * that tells the user exactly what to set. The UI shows the same text before the first message
 * (`describeModelSetup`), so a missing key is discovered before a run fails on it.
 */

export type ProviderId = "openai" | "anthropic";

/** The variables cairn reads (the caller passes them: nothing here reads `process.env`). */
export interface ModelEnv {
  OPENAI_API_KEY?: string | undefined;
  OPENAI_BASE_URL?: string | undefined;
  ANTHROPIC_API_KEY?: string | undefined;
  ANTHROPIC_BASE_URL?: string | undefined;
}

/** `[providers.*] base_url` from cairn.toml; the environment wins over it. */
export interface ModelConfig {
  openaiBaseUrl?: string | undefined;
  anthropicBaseUrl?: string | undefined;
}

export interface ResolvedModel {
  provider: LlmProvider;
  providerId: ProviderId;
  /** Provider-local name, e.g. "gpt-4o-mini". */
  model: string;
  /** The full id, e.g. "openai/gpt-4o-mini". */
  modelId: string;
}

interface ProviderSpec {
  keyVariable: keyof ModelEnv & `${string}_API_KEY`;
  baseUrl: (env: ModelEnv, config: ModelConfig) => string;
  create: (opts: ProviderOptions) => LlmProvider;
  example: string;
}

const PROVIDERS: Record<ProviderId, ProviderSpec> = {
  openai: {
    keyVariable: "OPENAI_API_KEY",
    baseUrl: (env, config) => nonEmpty(env.OPENAI_BASE_URL) ?? nonEmpty(config.openaiBaseUrl) ?? OPENAI_DEFAULT_BASE_URL,
    create: (o) => lazyProvider("openai", async () => (await import("./openai.provider.ts")).createOpenAiProvider(o)),
    example: "openai/gpt-4o-mini",
  },
  anthropic: {
    keyVariable: "ANTHROPIC_API_KEY",
    baseUrl: (env, config) =>
      nonEmpty(env.ANTHROPIC_BASE_URL) ?? nonEmpty(config.anthropicBaseUrl) ?? ANTHROPIC_DEFAULT_BASE_URL,
    create: (o) => lazyProvider("anthropic", async () => (await import("./anthropic.provider.ts")).createAnthropicProvider(o)),
    example: "anthropic/claude-sonnet-4-6",
  },
};

export const KNOWN_PROVIDERS = Object.keys(PROVIDERS) as ProviderId[];

// claude-sonnet-4-5 would be the obvious example, but @anthropic-ai/sdk 1.x lists it as deprecated
// and console.warns on every call with it.
export const NO_MODEL_HINT =
  "no model configured: set CAIRN_MODEL=openai/gpt-4o-mini with OPENAI_API_KEY, " +
  "or CAIRN_MODEL=anthropic/claude-sonnet-4-6 with ANTHROPIC_API_KEY, " +
  "or [agent] model in ~/.config/cairn/cairn.toml";

interface ModelSetup {
  providerId: ProviderId;
  model: string;
  modelId: string;
  baseURL: string;
  apiKey: string;
  keyVariable: string;
}

/** Everything `resolveModel` checks, without building a provider. Throws the same errors. */
function checkModelSetup(modelId: string | null | undefined, env: ModelEnv, config: ModelConfig): ModelSetup {
  const id = modelId?.trim();
  if (!id) throw new CairnError("model_not_configured", NO_MODEL_HINT);
  const slash = id.indexOf("/");
  if (slash <= 0 || slash === id.length - 1) {
    const guess = guessProvider(id);
    const hint = guess ? `; did you mean ${guess}/${id}?` : `, e.g. ${PROVIDERS.openai.example}`;
    throw new CairnError("model_unknown", `"${id}" is not a model id: write provider/model${hint}`, { modelId: id });
  }
  // Split at the first slash only: served model names may contain slashes ("meta-llama/Llama-3").
  const prefix = id.slice(0, slash);
  const model = id.slice(slash + 1);
  if (!(prefix in PROVIDERS)) {
    throw new CairnError(
      "model_unknown",
      `unknown model provider "${prefix}" in "${id}": known providers are ${KNOWN_PROVIDERS.join(", ")} ` +
        `(e.g. ${KNOWN_PROVIDERS.map((p) => PROVIDERS[p].example).join(" or ")})`,
      { modelId: id, knownProviders: KNOWN_PROVIDERS },
    );
  }
  const providerId = prefix as ProviderId;
  const spec = PROVIDERS[providerId];
  const apiKey = nonEmpty(env[spec.keyVariable]);
  if (!apiKey) {
    throw new CairnError(
      "model_not_configured",
      `model ${id} needs ${spec.keyVariable}: set it in the gateway's environment` +
        (providerId === "openai" ? " (any non-empty value works for a local OpenAI-compatible server)" : ""),
      { modelId: id, missing: spec.keyVariable },
    );
  }
  return { providerId, model, modelId: id, baseURL: spec.baseUrl(env, config), apiKey, keyVariable: spec.keyVariable };
}

const cache = new Map<string, LlmProvider>();

/**
 * The provider for `modelId`, or a `CairnError`: `model_not_configured` (no model, or its key is
 * missing) or `model_unknown` (not provider/model, or an unknown provider). Providers are cached
 * per (provider, base URL, key), so repeated runs share one SDK client and its connection pool.
 */
export function resolveModel(
  modelId: string | null | undefined,
  env: ModelEnv,
  config: ModelConfig = {},
): ResolvedModel {
  const setup = checkModelSetup(modelId, env, config);
  const key = [setup.providerId, setup.baseURL, setup.apiKey].join("\u0000");
  let provider = cache.get(key);
  if (!provider) {
    provider = PROVIDERS[setup.providerId].create({
      apiKey: setup.apiKey,
      baseURL: setup.baseURL,
      keyVariable: setup.keyVariable,
    });
    cache.set(key, provider);
  }
  return { provider, providerId: setup.providerId, model: setup.model, modelId: setup.modelId };
}

/** What the user must still set for `modelId` to work, or null when it is ready. */
export function describeModelSetup(
  modelId: string | null | undefined,
  env: ModelEnv,
  config: ModelConfig = {},
): string | null {
  try {
    checkModelSetup(modelId, env, config);
    return null;
  } catch (e) {
    if (e instanceof CairnError) return e.message;
    throw e;
  }
}

function guessProvider(name: string): ProviderId | null {
  if (/^(gpt-|o\d|chatgpt-)/i.test(name)) return "openai";
  if (/^claude/i.test(name)) return "anthropic";
  return null;
}

function nonEmpty(s: string | undefined): string | undefined {
  const t = s?.trim();
  return t ? t : undefined;
}
