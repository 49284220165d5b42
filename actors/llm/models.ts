import { CairnError } from "../../schemas/index.ts";
import { mergeFacts } from "./catalog.ts";
import { lookupKey, type KeySource } from "./keys.ts";
import { localProvider } from "./local.hook.ts";
import type { ModelConfig, ModelEnv } from "./model.config.ts";
import { lazyProvider, type LlmProvider } from "./provider.ts";
import { findProvider, providerIds, type ProviderEntry } from "./registry.ts";

/**
 * From a model id ("groq/llama-3.3-70b-versatile") and the environment to a ready provider, or to
 * an error that tells the user exactly what to set. The UI shows the same text before the first
 * message (`describeModelSetup`), so a missing key is discovered before a run fails on it.
 */

export type { ModelConfig, ModelEnv } from "./model.config.ts";

/** A registry id: a built-in provider, a `[[providers.custom]]` name, or `local`. */
export type ProviderId = string;

export interface ResolvedModel {
  provider: LlmProvider;
  providerId: ProviderId;
  /** Provider-local name, e.g. "gpt-4o-mini". */
  model: string;
  /** The full id, e.g. "openai/gpt-4o-mini". */
  modelId: string;
}

// claude-sonnet-4-5 would be the obvious example, but @anthropic-ai/sdk 1.x lists it as deprecated
// and console.warns on every call with it.
export const NO_MODEL_HINT =
  "no model configured: set CAIRN_MODEL=openai/gpt-4o-mini with OPENAI_API_KEY, " +
  "or CAIRN_MODEL=anthropic/claude-sonnet-4-6 with ANTHROPIC_API_KEY, " +
  "or [agent] model in ~/.config/cairn/cairn.toml";

/** Sent to servers that need no key: the `openai` SDK refuses an empty one. */
const NO_KEY = "cairn-no-key";

/** How many served models an error message names before saying "and N more". */
const LISTED = 8;

interface ModelSetup {
  entry: ProviderEntry;
  model: string;
  modelId: string;
  apiKey: string;
  keySource: KeySource;
}

/** Everything `resolveModel` checks, without building a provider. Throws the same errors. */
function checkModelSetup(modelId: string | null | undefined, env: ModelEnv, config: ModelConfig): ModelSetup {
  const id = modelId?.trim();
  if (!id) throw new CairnError("model_not_configured", NO_MODEL_HINT);
  // Split at the first slash only: served model names may contain slashes ("meta-llama/Llama-3").
  const slash = id.indexOf("/");
  const prefix = slash === -1 ? id : id.slice(0, slash);
  const model = slash === -1 ? "" : id.slice(slash + 1).trim();
  const entry = prefix ? findProvider(prefix, env, config) : undefined;
  if (!model) {
    // "groq" or "groq/": a provider without a model. Say what it serves instead of just failing.
    if (entry) throw providerWithoutModel(entry, config);
    const guess = guessProvider(id);
    const hint = guess ? `; did you mean ${guess}/${id}?` : ", e.g. openai/gpt-4o-mini";
    throw new CairnError("model_unknown", `"${id}" is not a model id: write provider/model${hint}`, { modelId: id });
  }
  if (!entry) {
    const known = providerIds(config);
    throw new CairnError(
      "model_unknown",
      `unknown model provider "${prefix}" in "${id}": known providers are ${known.join(", ")} ` +
        `(e.g. openai/gpt-4o-mini or anthropic/claude-sonnet-4-6; [[providers.custom]] in cairn.toml adds any OpenAI-compatible server)`,
      { modelId: id, knownProviders: known },
    );
  }
  if (entry.kind === "local") {
    const hook = localProvider();
    if (!hook)
      throw new CairnError(
        "model_not_configured",
        `local models are not available in this gateway (no local runtime is installed), so ${id} cannot run`,
        { modelId: id, provider: "local" },
      );
    const missing = hook.check?.(model, config.local) ?? null;
    if (missing) throw new CairnError("model_not_configured", missing, { modelId: id, provider: "local" });
    return { entry, model, modelId: id, apiKey: NO_KEY, keySource: "none" };
  }
  const { key, source } = lookupKey(entry, env, config.keys);
  if (!key && entry.keyRequired) {
    throw new CairnError(
      "model_not_configured",
      `model ${id} needs ${entry.keyVariable}: set it in the gateway's environment or run 'cairn providers set-key ${entry.id}'` +
        (entry.id === "openai" ? " (any non-empty value works for a local OpenAI-compatible server)" : ""),
      { modelId: id, missing: entry.keyVariable, provider: entry.id },
    );
  }
  return { entry, model, modelId: id, apiKey: key ?? NO_KEY, keySource: source };
}

function providerWithoutModel(entry: ProviderEntry, config: ModelConfig): CairnError {
  const served = knownModels(entry, config);
  const ids = served.map((m) => `${entry.id}/${m}`);
  const example = served[0] ?? entry.example;
  const msg =
    `"${entry.id}" names a provider, not a model: ` +
    (served.length > 0
      ? `${entry.label} serves ${served.length} model${served.length === 1 ? "" : "s"}: ${ids.slice(0, LISTED).join(", ")}` +
        (served.length > LISTED ? `, and ${served.length - LISTED} more ('cairn models --provider ${entry.id}' lists them)` : "") +
        `; pick one, e.g. CAIRN_MODEL=${entry.id}/${example}`
      : `write ${entry.id}/<model>${example ? `, e.g. ${entry.id}/${example}` : ""}; 'cairn models --provider ${entry.id}' lists what it serves`);
  return new CairnError("model_not_configured", msg, { provider: entry.id, models: ids.slice(0, 100) });
}

/** Configured and discovered (cached) model names of a provider, configured ones first. */
function knownModels(entry: ProviderEntry, config: ModelConfig): string[] {
  const found = config.discovery?.cached(entry.id, entry.baseUrl)?.models.map((m) => m.id) ?? [];
  return [...new Set([...entry.models, ...found])];
}

/** What error messages tell the user to check when the provider refuses the key. */
const keyHint = (s: ModelSetup): string =>
  s.keySource === "stored" || !s.entry.keyVariable ? `the key stored with 'cairn providers set-key ${s.entry.id}'` : s.entry.keyVariable;

function createProvider(s: ModelSetup, config: ModelConfig): LlmProvider {
  const { entry } = s;
  const opts = { id: entry.id, apiKey: s.apiKey, baseURL: entry.baseUrl, keyVariable: keyHint(s) };
  switch (entry.kind) {
    case "anthropic":
      return lazyProvider(entry.id, async () => (await import("./anthropic.provider.ts")).createAnthropicProvider(opts));
    case "local": {
      // resolveModel refused local models already when no runtime is installed.
      const hook = localProvider();
      if (!hook) throw new CairnError("model_not_configured", `local models are not available in this gateway, so ${s.modelId} cannot run`);
      return hook.resolve(s.model, config.local);
    }
    default:
      // OpenAI itself and every compatible server go through the official SDK with their base URL.
      return lazyProvider(entry.id, async () => (await import("./openai.provider.ts")).createOpenAiProvider(opts));
  }
}

const cache = new Map<string, LlmProvider>();

/**
 * The provider for `modelId`, or a `CairnError`: `model_not_configured` (no model, only a
 * provider named — the message lists what it serves —, or its key is missing) or `model_unknown`
 * (not provider/model, or an unknown provider). Providers are cached per (provider, base URL,
 * key), so repeated runs share one SDK client and its connection pool; a key stored later (or
 * changed) makes a new one.
 */
export function resolveModel(modelId: string | null | undefined, env: ModelEnv, config: ModelConfig = {}): ResolvedModel {
  const setup = checkModelSetup(modelId, env, config);
  const { entry } = setup;
  let provider: LlmProvider | undefined;
  if (entry.kind === "local")
    provider = createProvider(setup, config); // the hook caches its own
  else {
    const key = [entry.id, entry.kind, entry.baseUrl, setup.apiKey, setup.keySource].join("\u0000");
    provider = cache.get(key);
    if (!provider) {
      provider = createProvider(setup, config);
      cache.set(key, provider);
    }
  }
  return { provider, providerId: entry.id, model: setup.model, modelId: setup.modelId };
}

/** What the user must still set for `modelId` to work, or null when it is ready. */
export function describeModelSetup(modelId: string | null | undefined, env: ModelEnv, config: ModelConfig = {}): string | null {
  try {
    checkModelSetup(modelId, env, config);
    return null;
  } catch (e) {
    if (e instanceof CairnError) return e.message;
    throw e;
  }
}

/**
 * The model ids a provider serves (`<provider>/<model>`), asking it when the cache has nothing
 * fresh; configured models first. Empty when it cannot be asked (no key, unreachable).
 */
export async function suggestModels(providerId: string, env: ModelEnv, config: ModelConfig = {}): Promise<string[]> {
  const entry = findProvider(providerId, env, config);
  if (!entry) return [];
  if (entry.kind === "local") {
    const found = (await localProvider()?.listModels?.(config.local)) ?? [];
    return [...new Set([...entry.models, ...found.map((m) => m.id)])].map((m) => `local/${m}`);
  }
  const { key } = lookupKey(entry, env, config.keys);
  if (config.discovery && (key || !entry.keyRequired)) {
    await config.discovery.discover({
      id: entry.id,
      baseUrl: entry.baseUrl,
      discovery: entry.discovery,
      key,
      keyVariable: entry.keyVariable,
    });
  }
  return knownModels(entry, config).map((m) => `${entry.id}/${m}`);
}

/** A provider for a bare model name, when the name gives it away ("gpt-4o" → openai). */
function guessProvider(name: string): string | null {
  const rules: Array<[RegExp, string]> = [
    [/^(gpt-|o\d|chatgpt-)/i, "openai"],
    [/^claude/i, "anthropic"],
    [/^gemini/i, "gemini"],
    [/^grok/i, "xai"],
    [/^deepseek/i, "deepseek"],
    [/^(mistral|codestral|pixtral|ministral|magistral)/i, "mistral"],
    [/^(kimi|moonshot)/i, "moonshot"],
  ];
  return rules.find(([re]) => re.test(name))?.[1] ?? null;
}

/**
 * Whether `modelId` takes images: what its provider's model list said (discovery, cached only —
 * this is asked while a message is decided), else the catalogue; null when nobody knows. Local
 * GGUF models run text-only here.
 */
export function modelVision(modelId: string, env: ModelEnv, config: ModelConfig = {}): boolean | null {
  const slash = modelId.indexOf("/");
  if (slash <= 0) return null;
  const entry = findProvider(modelId.slice(0, slash), env, config);
  const name = modelId.slice(slash + 1);
  if (entry?.kind === "local") return false;
  const found = entry ? config.discovery?.cached(entry.id, entry.baseUrl)?.models.find((m) => m.id === name) : undefined;
  return mergeFacts(found ?? {}, name).vision;
}
