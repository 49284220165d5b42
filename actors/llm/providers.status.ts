import { isCairnError, toWireError, type ModelInfo, type ProviderStatus, type WireError } from "../../schemas/index.ts";
import { mergeFacts } from "./catalog.ts";
import type { DiscoveredModel, DiscoveryResult } from "./discovery.ts";
import { last4, lookupKey, type KeySource } from "./keys.ts";
import { localProvider } from "./local.hook.ts";
import type { ModelConfig, ModelEnv } from "./model.config.ts";
import { displayUrl } from "./provider.errors.ts";
import { findProvider, listProviderEntries, type ProviderEntry } from "./registry.ts";

/**
 * What the Providers page, `cairn providers` and `cairn models` show: each provider's key source
 * (never the key), reachability and models, and the models the gateway can use with what is
 * known about them. Discovery is asked only for providers that can answer (a key is present, or
 * none is needed); `refresh` asks even when the cache is fresh.
 */

interface Probe {
  key: { source: KeySource; last4: string | null };
  result: DiscoveryResult | null;
  /** Discovered (or, for local, listed) models; configured ones are added by the callers. */
  models: readonly DiscoveredModel[];
  reachable: boolean | null;
  checkedAt: number | null;
  error: WireError | null;
  usable: boolean;
}

async function probe(entry: ProviderEntry, env: ModelEnv, config: ModelConfig, refresh: boolean, ask: boolean): Promise<Probe> {
  if (entry.kind === "local") {
    const hook = localProvider();
    const base = { key: { source: "none" as const, last4: null }, result: null };
    if (!hook) {
      const error: WireError = {
        code: "model_not_configured",
        message: "local models are not available in this gateway (no local runtime is installed)",
      };
      return { ...base, models: [], reachable: null, checkedAt: null, error, usable: false };
    }
    try {
      const models = ask ? ((await hook.listModels?.(config.local)) ?? []) : [];
      return { ...base, models, reachable: ask ? true : null, checkedAt: ask ? Date.now() : null, error: null, usable: true };
    } catch (e) {
      return { ...base, models: [], reachable: false, checkedAt: Date.now(), error: toWireError(e), usable: true };
    }
  }
  let key: string | null = null;
  let source: KeySource = "none";
  let keyError: WireError | null = null;
  try {
    ({ key, source } = lookupKey(entry, env, config.keys));
  } catch (e) {
    // An unreadable provider_keys.json: reported here, never fatal to the listing.
    keyError = isCairnError(e) ? e.toWire() : toWireError(e);
  }
  const usable = key !== null || !entry.keyRequired;
  const target = { id: entry.id, baseUrl: entry.baseUrl, discovery: entry.discovery, key, keyVariable: entry.keyVariable };
  const result =
    usable && ask && config.discovery
      ? await config.discovery.discover(target, { refresh })
      : (config.discovery?.cached(entry.id, entry.baseUrl) ?? null);
  return {
    key: { source, last4: last4(key) },
    result,
    models: result?.models ?? [],
    // A list cached while a key was present says nothing about reachability now.
    reachable: usable ? (result?.reachable ?? null) : null,
    checkedAt: result?.checkedAt ?? null,
    error: keyError ?? (usable ? (result?.error ?? null) : null),
    usable,
  };
}

const modelNames = (entry: ProviderEntry, p: Probe): string[] => [...new Set([...entry.models, ...p.models.map((m) => m.id)])];

function statusOf(entry: ProviderEntry, config: ModelConfig, p: Probe): ProviderStatus {
  const baseUrl = entry.kind === "local" ? (localProvider()?.location?.(config.local) ?? "in-process") : displayUrl(entry.baseUrl);
  return {
    id: entry.id,
    label: entry.label,
    kind: entry.kind,
    baseUrl,
    keyVariable: entry.keyVariable,
    key: { source: p.key.source, last4: p.key.last4, required: entry.keyRequired },
    reachable: p.reachable,
    models: modelNames(entry, p).length,
    error: p.error,
    checkedAt: p.checkedAt,
    ...(entry.kind === "local" ? localDetails() : {}),
  };
}

const localDetails = (): Pick<ProviderStatus, "memory" | "loaded"> => {
  const hook = localProvider();
  const memory = hook?.memory?.();
  const loaded = hook?.loaded?.();
  return { ...(memory ? { memory } : {}), ...(loaded ? { loaded } : {}) };
};

/** Every provider's status; asks the usable ones for their models (cached unless `refresh`). */
export async function listProviderStatus(env: ModelEnv, config: ModelConfig, opts: { refresh?: boolean } = {}): Promise<ProviderStatus[]> {
  const entries = listProviderEntries(env, config);
  const probes = await Promise.all(entries.map((e) => probe(e, env, config, opts.refresh === true, true)));
  return entries.map((e, i) => statusOf(e, config, probes[i]));
}

/** One provider's status from what is known now, without asking it (the reply to set-key). */
export async function providerStatus(
  id: string,
  env: ModelEnv,
  config: ModelConfig,
  opts: { ask?: boolean; refresh?: boolean } = {},
): Promise<ProviderStatus | null> {
  const entry = findProvider(id, env, config);
  if (!entry) return null;
  return statusOf(entry, config, await probe(entry, env, config, opts.refresh === true, opts.ask === true));
}

export interface ModelListOptions {
  refresh?: boolean;
  /** Only this provider's models. */
  provider?: string;
  /** The configured default model; always listed, and enabled. */
  defaultModel?: string | null;
  /** `[providers] fallback`; listed and enabled. */
  fallback?: readonly string[];
  /** Models the user enabled for the picker. */
  enabled?: ReadonlySet<string>;
}

/**
 * The models the gateway can use: configured and discovered models of every usable provider, plus
 * the default, the fallback chain and enabled ones (even when their provider cannot answer now,
 * so the picker still shows them and choosing one explains what is missing).
 */
export async function listModelInfo(env: ModelEnv, config: ModelConfig, opts: ModelListOptions = {}): Promise<ModelInfo[]> {
  const entries = listProviderEntries(env, config).filter((e) => !opts.provider || e.id === opts.provider);
  const probes = await Promise.all(entries.map((e) => probe(e, env, config, opts.refresh === true, true)));
  const enabled = new Set([...(opts.enabled ?? []), ...(opts.fallback ?? []), ...(opts.defaultModel ? [opts.defaultModel] : [])]);
  const out = new Map<string, ModelInfo>();
  entries.forEach((entry, i) => {
    const p = probes[i];
    if (!p.usable) return;
    const facts = new Map(p.models.map((m) => [m.id, m]));
    const names = modelNames(entry, p).sort((a, b) => a.localeCompare(b));
    for (const name of names) {
      const id = `${entry.id}/${name}`;
      out.set(id, info(id, entry, mergeFacts(facts.get(name) ?? {}, name), enabled.has(id)));
    }
  });
  for (const id of enabled) {
    if (out.has(id)) continue;
    const slash = id.indexOf("/");
    if (slash <= 0 || slash === id.length - 1) continue; // "groq" alone is not a model
    const provider = id.slice(0, slash);
    if (opts.provider && provider !== opts.provider) continue;
    const entry = findProvider(provider, env, config);
    out.set(id, info(id, entry, mergeFacts({}, id.slice(slash + 1)), true));
  }
  return [...out.values()];
}

function info(id: string, entry: ProviderEntry | undefined, facts: ReturnType<typeof mergeFacts>, enabled: boolean): ModelInfo {
  // Local models run without tools here (node-llama-cpp function calling is not wired): say so.
  const tools = entry?.kind === "local" ? false : facts.tools;
  return {
    id,
    provider: entry?.id ?? id.slice(0, id.indexOf("/")),
    contextWindow: facts.contextWindow,
    tools,
    vision: facts.vision,
    enabled,
  };
}
