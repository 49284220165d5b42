import type { Embedder } from "./embedder.ts";

/**
 * The fallback chain: embedders tried in order, each behind a circuit breaker, with a cache keyed
 * by (embedder, content hash) so unchanged text is never embedded twice. An embedder that failed
 * `failuresToOpen` times in a row is skipped (open) for `cooldownMs`; after that one call tries it
 * again (half-open), and a success closes it. No embedder answering is not an error here: the
 * caller searches by keywords alone and says so.
 */

export interface EmbeddingCache {
  get(embedderId: string, hashes: readonly string[]): Map<string, Float32Array>;
  put(embedderId: string, entries: ReadonlyArray<readonly [string, Float32Array]>): void;
}

export interface ChainOptions {
  readonly now?: () => number;
  readonly failuresToOpen?: number;
  readonly cooldownMs?: number;
  readonly report?: (line: string) => void;
}

interface Breaker {
  failures: number;
  openUntil: number;
  lastError: string | null;
  used: boolean;
}

export type Embedded = { embedderId: string; vectors: Float32Array[]; fromCache: number } | { embedderId: null; reason: string };

export class EmbedderChain {
  private readonly breakers: Breaker[];
  private readonly now: () => number;
  private readonly failuresToOpen: number;
  private readonly cooldownMs: number;

  constructor(
    readonly embedders: readonly Embedder[],
    private readonly cache: EmbeddingCache,
    private readonly hash: (text: string) => string,
    opts: ChainOptions = {},
  ) {
    this.breakers = embedders.map(() => ({ failures: 0, openUntil: 0, lastError: null, used: false }));
    this.now = opts.now ?? Date.now;
    this.failuresToOpen = opts.failuresToOpen ?? 2;
    this.cooldownMs = opts.cooldownMs ?? 30_000;
    this.report = opts.report ?? (() => {});
  }
  private readonly report: (line: string) => void;

  /** Embeds every text with the first embedder that answers (all of them with the same one). */
  async embed(texts: readonly string[], signal?: AbortSignal): Promise<Embedded> {
    if (this.embedders.length === 0) return { embedderId: null, reason: "no embedder is configured" };
    const reasons: string[] = [];
    for (const [i, e] of this.embedders.entries()) {
      const b = this.breakers[i];
      if (b.openUntil > this.now()) {
        reasons.push(`${e.id}: skipped after repeated failures (${b.lastError})`);
        continue;
      }
      try {
        const hashes = texts.map(this.hash);
        const cached = this.cache.get(e.id, hashes);
        const missing = [...new Set(hashes.filter((h) => !cached.has(h)))];
        if (missing.length > 0) {
          const textOf = new Map(hashes.map((h, j) => [h, texts[j]]));
          const fresh = await e.embed(
            missing.map((h) => textOf.get(h) as string),
            signal,
          );
          const entries = missing.map((h, j) => [h, fresh[j]] as const);
          this.cache.put(e.id, entries);
          for (const [h, v] of entries) cached.set(h, v);
        }
        b.failures = 0;
        b.openUntil = 0;
        b.lastError = null;
        b.used = true;
        return { embedderId: e.id, vectors: hashes.map((h) => cached.get(h) as Float32Array), fromCache: texts.length - missing.length };
      } catch (err) {
        if (signal?.aborted) throw err;
        b.used = true;
        b.failures++;
        b.lastError = (err as Error).message;
        if (b.failures >= this.failuresToOpen) {
          b.openUntil = this.now() + this.cooldownMs;
          this.report(`memory: embedder ${e.id} failed ${b.failures} times; skipped for ${this.cooldownMs / 1000}s: ${b.lastError}`);
        }
        reasons.push(`${e.id}: ${b.lastError}`);
      }
    }
    return { embedderId: null, reason: reasons.join("; ") };
  }

  status(): { name: string; state: "ok" | "open" | "untried"; lastError: string | null }[] {
    return this.embedders.map((e, i) => {
      const b = this.breakers[i];
      const state = b.openUntil > this.now() ? "open" : b.used ? "ok" : "untried";
      return { name: e.id, state, lastError: b.lastError };
    });
  }

  async close(): Promise<void> {
    for (const e of this.embedders) await e.close?.();
  }
}
