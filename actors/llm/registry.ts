import { CairnError } from "../../schemas/index.ts";
import type { DiscoveryKind } from "./discovery.ts";
import type { CustomProviderConfig, ModelConfig, ModelEnv } from "./model.config.ts";

/**
 * Every provider cairn knows, and how the user's config and environment change them. Model ids
 * are `<provider>/<model>`; the provider part is an id from this registry (a built-in one, a
 * `[[providers.custom]]` name, or `local`).
 */

export type ProviderKind = "openai" | "anthropic" | "openai-compatible" | "local";

export interface BuiltinProvider {
  readonly id: string;
  readonly label: string;
  readonly kind: ProviderKind;
  /** The public API's base URL (what the `openai` SDK calls `baseURL`: `/chat/completions` is appended). */
  readonly baseUrl: string;
  /** Where the key is read from; null when the provider needs none. */
  readonly keyVariable: string | null;
  readonly discovery: DiscoveryKind;
  /** A model it serves, for hints ("e.g. groq/llama-3.3-70b-versatile"). */
  readonly example: string | null;
}

const compat = (id: string, label: string, baseUrl: string, keyVariable: string | null, example: string | null): BuiltinProvider => ({
  id,
  label,
  kind: "openai-compatible",
  baseUrl,
  keyVariable,
  discovery: "openai",
  example,
});

export const BUILTIN_PROVIDERS: readonly BuiltinProvider[] = [
  {
    id: "openai",
    label: "OpenAI",
    kind: "openai",
    baseUrl: "https://api.openai.com/v1",
    keyVariable: "OPENAI_API_KEY",
    discovery: "openai",
    example: "gpt-4o-mini",
  },
  // claude-sonnet-4-5 would be the obvious example, but @anthropic-ai/sdk 1.x lists it as deprecated.
  {
    id: "anthropic",
    label: "Anthropic",
    kind: "anthropic",
    baseUrl: "https://api.anthropic.com",
    keyVariable: "ANTHROPIC_API_KEY",
    discovery: "anthropic",
    example: "claude-sonnet-4-6",
  },
  compat("openrouter", "OpenRouter", "https://openrouter.ai/api/v1", "OPENROUTER_API_KEY", "openai/gpt-4o-mini"),
  compat("groq", "Groq", "https://api.groq.com/openai/v1", "GROQ_API_KEY", "llama-3.3-70b-versatile"),
  compat("mistral", "Mistral", "https://api.mistral.ai/v1", "MISTRAL_API_KEY", "mistral-large-latest"),
  compat("deepseek", "DeepSeek", "https://api.deepseek.com/v1", "DEEPSEEK_API_KEY", "deepseek-chat"),
  compat("together", "Together AI", "https://api.together.xyz/v1", "TOGETHER_API_KEY", "meta-llama/Llama-3.3-70B-Instruct-Turbo"),
  compat(
    "fireworks",
    "Fireworks AI",
    "https://api.fireworks.ai/inference/v1",
    "FIREWORKS_API_KEY",
    "accounts/fireworks/models/llama-v3p3-70b-instruct",
  ),
  compat("cerebras", "Cerebras", "https://api.cerebras.ai/v1", "CEREBRAS_API_KEY", "llama-3.3-70b"),
  compat("xai", "xAI", "https://api.x.ai/v1", "XAI_API_KEY", "grok-4"),
  compat("gemini", "Google Gemini", "https://generativelanguage.googleapis.com/v1beta/openai", "GEMINI_API_KEY", "gemini-2.5-flash"),
  { ...compat("ollama", "Ollama", "http://127.0.0.1:11434/v1", null, "llama3.2"), discovery: "ollama" },
  compat("lmstudio", "LM Studio", "http://127.0.0.1:1234/v1", null, null),
  compat("venice", "Venice", "https://api.venice.ai/api/v1", "VENICE_API_KEY", "llama-3.3-70b"),
  compat("moonshot", "Moonshot AI", "https://api.moonshot.ai/v1", "MOONSHOT_API_KEY", "moonshot-v1-8k"),
  { id: "local", label: "Local (GGUF)", kind: "local", baseUrl: "local", keyVariable: null, discovery: "local", example: null },
];

const BUILTIN = new Map(BUILTIN_PROVIDERS.map((p) => [p.id, p]));

/** Ids of the built-in providers, in display order. */
export const KNOWN_PROVIDERS: readonly string[] = BUILTIN_PROVIDERS.map((p) => p.id);

/** A provider as this gateway runs it: defaults with the config and environment applied. */
export interface ProviderEntry {
  readonly id: string;
  readonly label: string;
  readonly kind: ProviderKind;
  readonly baseUrl: string;
  readonly baseUrlSource: "env" | "config" | "default";
  /** The variable the key is read from (after `api_key_env`); null when none is configured. */
  readonly keyVariable: string | null;
  /** A request without a key would be refused (false for ollama, lmstudio, local, keyless custom). */
  readonly keyRequired: boolean;
  readonly discovery: DiscoveryKind;
  readonly example: string | null;
  readonly custom: boolean;
  /** Model names listed in the config (`models = [...]`), offered even when discovery finds none. */
  readonly models: readonly string[];
}

/** `OPENROUTER_BASE_URL` for `openrouter`, `MY_VLLM_BASE_URL` for a custom `my-vllm`. */
export const baseUrlVariable = (id: string): string => `${id.toUpperCase().replace(/-/g, "_")}_BASE_URL`;

const nonEmpty = (s: string | undefined): string | undefined => {
  const t = s?.trim();
  return t ? t : undefined;
};

function entryFrom(p: BuiltinProvider, env: ModelEnv, config: ModelConfig): ProviderEntry {
  const o = config.overrides?.[p.id];
  const legacy = p.id === "openai" ? config.openaiBaseUrl : p.id === "anthropic" ? config.anthropicBaseUrl : undefined;
  const fromEnv = p.kind === "local" ? undefined : nonEmpty(env[baseUrlVariable(p.id)]);
  const fromConfig = nonEmpty(o?.base_url) ?? nonEmpty(legacy);
  const keyVariable = nonEmpty(o?.api_key_env) ?? p.keyVariable;
  return {
    id: p.id,
    label: p.label,
    kind: p.kind,
    baseUrl: fromEnv ?? fromConfig ?? p.baseUrl,
    baseUrlSource: fromEnv ? "env" : fromConfig ? "config" : "default",
    keyVariable,
    keyRequired: keyVariable !== null,
    discovery: p.discovery,
    example: p.example,
    custom: false,
    models: o?.models ?? [],
  };
}

function customEntry(c: CustomProviderConfig, env: ModelEnv): ProviderEntry {
  const fromEnv = nonEmpty(env[baseUrlVariable(c.name)]);
  const keyVariable = nonEmpty(c.api_key_env) ?? null;
  return {
    id: c.name,
    label: c.name,
    kind: "openai-compatible",
    baseUrl: fromEnv ?? c.base_url,
    baseUrlSource: fromEnv ? "env" : "config",
    keyVariable,
    // Without api_key_env a custom server is assumed open (vLLM, llama.cpp); a stored key is still sent.
    keyRequired: keyVariable !== null,
    discovery: "openai",
    example: c.models?.[0] ?? null,
    custom: true,
    models: c.models ?? [],
  };
}

/** Every provider, built-ins first (in registry order), then custom ones in config order. */
export function listProviderEntries(env: ModelEnv, config: ModelConfig = {}): ProviderEntry[] {
  const out = BUILTIN_PROVIDERS.map((p) => entryFrom(p, env, config));
  const seen = new Set(KNOWN_PROVIDERS);
  for (const c of config.custom ?? []) {
    // A clash is refused when the config is loaded (checkCustomProviders); here the first one wins.
    if (seen.has(c.name)) continue;
    seen.add(c.name);
    out.push(customEntry(c, env));
  }
  return out;
}

/** The provider with this id, or undefined. */
export function findProvider(id: string, env: ModelEnv, config: ModelConfig = {}): ProviderEntry | undefined {
  const builtin = BUILTIN.get(id);
  if (builtin) return entryFrom(builtin, env, config);
  const c = config.custom?.find((x) => x.name === id);
  return c ? customEntry(c, env) : undefined;
}

/** Ids of every provider this config knows (built-ins and custom). */
export const providerIds = (config: ModelConfig = {}): string[] => [
  ...KNOWN_PROVIDERS,
  ...(config.custom ?? []).map((c) => c.name).filter((n) => !BUILTIN.has(n)),
];

/**
 * Refuses `[[providers.custom]]` entries that would shadow a built-in provider or each other, so
 * a typo cannot silently send a key to the wrong server. Called when the config is loaded.
 */
export function checkCustomProviders(custom: readonly CustomProviderConfig[] | undefined): void {
  const seen = new Set<string>();
  for (const c of custom ?? []) {
    if (BUILTIN.has(c.name)) {
      throw new CairnError(
        "bad_request",
        `[[providers.custom]] name "${c.name}" is a built-in provider; use [providers.${c.name}] base_url / api_key_env / models to change it`,
      );
    }
    if (seen.has(c.name)) throw new CairnError("bad_request", `[[providers.custom]] name "${c.name}" is used twice`);
    seen.add(c.name);
    try {
      const u = new URL(c.base_url);
      if (u.protocol !== "http:" && u.protocol !== "https:") throw new Error("not http(s)");
    } catch {
      throw new CairnError("bad_request", `[[providers.custom]] "${c.name}": base_url must be an http(s) URL, got '${c.base_url}'`);
    }
  }
}
