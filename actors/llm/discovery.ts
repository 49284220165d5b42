import { randomBytes } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import * as Schema from "effect/Schema";
import { CairnError, decodeLenient, type WireError } from "../../schemas/index.ts";
import { displayUrl, redact, retryAfterSeconds, rootCause } from "./provider.errors.ts";
import { parseOllamaTags, parseOpenAiModels, unionModels, type DiscoveredModel } from "./discovery.parse.ts";

export type { DiscoveredModel } from "./discovery.parse.ts";

/**
 * Which models a provider serves, from its own model list: OpenAI-style `GET <base>/models`
 * (every compatible provider), Anthropic `GET /v1/models`, and for Ollama also `GET /api/tags`.
 * Lists are cached in memory for `ttlMs` and on disk (`<dataDir>/cache/models.json`) so they
 * survive restarts; a failed refresh keeps the last good list and reports the error beside it.
 */

/**
 * How a provider's models are listed: OpenAI `GET /models`, Anthropic `GET /v1/models`, Ollama
 * (both `/models` and `/api/tags`), or the local hook.
 */
export type DiscoveryKind = "openai" | "anthropic" | "ollama" | "local";

export interface DiscoveryTarget {
  readonly id: string;
  readonly baseUrl: string;
  readonly discovery: DiscoveryKind;
  readonly key: string | null;
  /** The variable messages tell the user to check. */
  readonly keyVariable: string | null;
}

export interface DiscoveryResult {
  readonly provider: string;
  readonly baseUrl: string;
  /** The last good list (possibly stale when `error` is set); empty when never fetched. */
  readonly models: readonly DiscoveredModel[];
  /** When `models` was fetched; null when never. */
  readonly fetchedAt: number | null;
  /** When the provider was last asked; null when never. */
  readonly checkedAt: number | null;
  /** Whether it answered at all (even a 401 is an answer); null when not asked. */
  readonly reachable: boolean | null;
  readonly error: WireError | null;
}

export interface DiscoveryOptions {
  /** `<dataDir>/cache/models.json`; null keeps the cache in memory only. */
  cacheFile?: string | null;
  ttlMs?: number;
  /** How long a failure is remembered before asking again (unless refreshed). */
  errorTtlMs?: number;
  timeoutMs?: number;
  fetch?: typeof globalThis.fetch;
  now?: () => number;
}

export const DISCOVERY_TTL_MS = 10 * 60_000;
export const DISCOVERY_TIMEOUT_MS = 5_000;

const CachedModel = Schema.Struct({
  id: Schema.String,
  contextWindow: Schema.NullOr(Schema.Number),
  tools: Schema.NullOr(Schema.Boolean),
  vision: Schema.NullOr(Schema.Boolean),
});
const CacheFile = Schema.Struct({
  version: Schema.Literal(1),
  providers: Schema.Record(
    Schema.String,
    Schema.Struct({ baseUrl: Schema.String, fetchedAt: Schema.Number, models: Schema.Array(CachedModel) }),
  ),
});
type CacheFile = typeof CacheFile.Type;

export class ModelDiscovery {
  private readonly mem = new Map<string, DiscoveryResult>();
  private readonly inflight = new Map<string, Promise<DiscoveryResult>>();
  private diskLoaded = false;
  private readonly ttlMs: number;
  private readonly errorTtlMs: number;
  private readonly timeoutMs: number;
  private readonly fetchFn: typeof globalThis.fetch;
  private readonly now: () => number;

  constructor(private readonly o: DiscoveryOptions = {}) {
    this.ttlMs = o.ttlMs ?? DISCOVERY_TTL_MS;
    this.errorTtlMs = o.errorTtlMs ?? 30_000;
    this.timeoutMs = o.timeoutMs ?? DISCOVERY_TIMEOUT_MS;
    this.fetchFn = o.fetch ?? globalThis.fetch;
    this.now = o.now ?? Date.now;
  }

  /** What is known without asking (memory, else the disk cache), for this base URL only. */
  cached(provider: string, baseUrl?: string): DiscoveryResult | undefined {
    this.loadDisk();
    const r = this.mem.get(provider);
    return r && (baseUrl === undefined || r.baseUrl === baseUrl) ? r : undefined;
  }

  /** The provider's models: from the cache while fresh, otherwise asked (concurrent asks share one request). */
  async discover(t: DiscoveryTarget, opts: { refresh?: boolean } = {}): Promise<DiscoveryResult> {
    const had = this.cached(t.id, t.baseUrl);
    if (!opts.refresh && had && this.fresh(had)) return had;
    const key = `${t.id}\u0000${t.baseUrl}`;
    let p = this.inflight.get(key);
    if (!p) {
      p = this.ask(t, had).finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
    }
    return p;
  }

  private fresh(r: DiscoveryResult): boolean {
    const now = this.now();
    if (r.error) return r.checkedAt !== null && now - r.checkedAt < this.errorTtlMs;
    return r.fetchedAt !== null && now - r.fetchedAt < this.ttlMs;
  }

  private async ask(t: DiscoveryTarget, had: DiscoveryResult | undefined): Promise<DiscoveryResult> {
    const checkedAt = this.now();
    let result: DiscoveryResult;
    try {
      const models = await this.list(t);
      result = { provider: t.id, baseUrl: t.baseUrl, models, fetchedAt: checkedAt, checkedAt, reachable: true, error: null };
      this.mem.set(t.id, result);
      this.saveDisk(t.id, result);
    } catch (e) {
      const err =
        e instanceof DiscoveryError ? e : new DiscoveryError(false, new CairnError("internal", redact(rootCause(e), t.key ?? "")));
      result = {
        provider: t.id,
        baseUrl: t.baseUrl,
        models: had?.models ?? [],
        fetchedAt: had?.fetchedAt ?? null,
        checkedAt,
        reachable: err.reachable,
        error: err.error.toWire(),
      };
      this.mem.set(t.id, result);
    }
    return result;
  }

  private async list(t: DiscoveryTarget): Promise<DiscoveredModel[]> {
    const base = t.baseUrl.replace(/\/+$/, "");
    const bearer: Record<string, string> = t.key ? { authorization: `Bearer ${t.key}` } : {};
    if (t.discovery === "anthropic") {
      const headers: Record<string, string> = { "anthropic-version": "2023-06-01", ...(t.key ? { "x-api-key": t.key } : {}) };
      return this.parsed(t, `${base}/v1/models?limit=1000`, headers, (b) => parseOpenAiModels(b));
    }
    const strip = t.id === "gemini" ? "models/" : undefined;
    const fromModels = () => this.parsed(t, `${base}/models`, bearer, (b) => parseOpenAiModels(b, strip ? { stripPrefix: strip } : {}));
    if (t.discovery !== "ollama") return fromModels();
    // Ollama: the native tags API lists every pulled model; /v1/models is the compatible view.
    const host = base.replace(/\/v1$/, "");
    const [a, b] = await Promise.allSettled([fromModels(), this.parsed(t, `${host}/api/tags`, {}, parseOllamaTags)]);
    if (a.status === "fulfilled" && b.status === "fulfilled") return unionModels(a.value, b.value);
    if (a.status === "fulfilled") return a.value;
    if (b.status === "fulfilled") return b.value;
    throw a.reason;
  }

  private async parsed(
    t: DiscoveryTarget,
    url: string,
    headers: Record<string, string>,
    parse: (body: unknown) => DiscoveredModel[] | null,
  ): Promise<DiscoveredModel[]> {
    const shown = displayUrl(url.replace(/\?.*$/, ""));
    const clean = (s: string) => redact(s, t.key ?? "");
    let res: Response;
    try {
      res = await this.fetchFn(url, { headers: { accept: "application/json", ...headers }, signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (e) {
      const timedOut = (e as Error)?.name === "TimeoutError";
      const why = timedOut ? `no answer within ${Math.round(this.timeoutMs / 100) / 10} s` : clean(rootCause(e));
      throw new DiscoveryError(
        false,
        new CairnError("provider_unreachable", `cannot reach ${t.id} at ${shown}: ${why}`, {
          provider: t.id,
          baseUrl: displayUrl(t.baseUrl),
        }),
      );
    }
    const text = await res.text().catch(() => "");
    if (!res.ok) throw new DiscoveryError(true, statusError(t, res, shown, clean(errorMessage(text))));
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    const models = parse(body);
    if (!models)
      throw new DiscoveryError(
        true,
        new CairnError("provider_error", `${t.id} sent a model list cairn cannot read from ${shown}`, { provider: t.id }),
      );
    return models;
  }

  private loadDisk(): void {
    if (this.diskLoaded) return;
    this.diskLoaded = true;
    const file = this.readDisk();
    for (const [provider, e] of Object.entries(file?.providers ?? {})) {
      if (this.mem.has(provider)) continue;
      this.mem.set(provider, {
        provider,
        baseUrl: e.baseUrl,
        models: e.models,
        fetchedAt: e.fetchedAt,
        checkedAt: e.fetchedAt,
        reachable: true,
        error: null,
      });
    }
  }

  /** The disk cache, or null when absent or unreadable (it is only a cache: never an error). */
  private readDisk(): CacheFile | null {
    if (!this.o.cacheFile) return null;
    try {
      return decodeLenient(CacheFile, JSON.parse(readFileSync(this.o.cacheFile, "utf8")), "model cache");
    } catch {
      return null;
    }
  }

  private saveDisk(provider: string, r: DiscoveryResult): void {
    const file = this.o.cacheFile;
    if (!file || r.fetchedAt === null) return;
    // Merge with what another process (the CLI, another gateway run) wrote meanwhile.
    const current = this.readDisk() ?? { version: 1 as const, providers: {} };
    const next = {
      version: 1,
      providers: { ...current.providers, [provider]: { baseUrl: r.baseUrl, fetchedAt: r.fetchedAt, models: r.models } },
    };
    const tmp = `${file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
    try {
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(tmp, JSON.stringify(next));
      renameSync(tmp, file);
    } catch {
      rmSync(tmp, { force: true }); // a cache that cannot be written only costs a request later
    }
  }
}

class DiscoveryError extends Error {
  constructor(
    readonly reachable: boolean,
    readonly error: CairnError,
  ) {
    super(error.message);
  }
}

function statusError(t: DiscoveryTarget, res: Response, shown: string, said: string): CairnError {
  const details = { provider: t.id, status: res.status };
  const words = said ? ` (${t.id} said: ${said})` : "";
  if (res.status === 401 || res.status === 403) {
    const check = t.keyVariable
      ? `check ${t.keyVariable} or 'cairn providers set-key ${t.id}'`
      : `set a key with 'cairn providers set-key ${t.id}'`;
    return new CairnError("provider_auth", `${t.id} refused the key (${res.status}): ${check}${words}`, details);
  }
  if (res.status === 429) {
    const retry = retryAfterSeconds(res.headers);
    return new CairnError(
      "provider_rate_limited",
      `${t.id} is rate limiting this key${retry === null ? "" : `; retry after ${retry} s`}${words}`,
      { ...details, retryAfterSeconds: retry },
    );
  }
  if (res.status === 404)
    return new CairnError("provider_error", `${t.id} does not list models at ${shown} (404); check its base URL${words}`, details);
  return new CairnError("provider_error", `${t.id} answered ${res.status} when asked for its models at ${shown}${words}`, details);
}

/** The provider's own message from an error body (OpenAI/Anthropic `{error: {message}}`, Ollama `{error: "..."}`). */
function errorMessage(text: string): string {
  try {
    const body = JSON.parse(text) as { error?: unknown; message?: unknown };
    const e = body.error;
    if (typeof e === "string") return e;
    if (e && typeof (e as { message?: unknown }).message === "string") return (e as { message: string }).message;
    if (typeof body.message === "string") return body.message;
  } catch {
    // not JSON
  }
  return text.slice(0, 200).trim();
}
