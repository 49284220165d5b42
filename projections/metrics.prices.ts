import type { ModelPrice, PriceTable } from "../schemas/index.ts";

/**
 * List prices (USD per million tokens) of common models, as published by their providers in 2025.
 * Prices change: `[telemetry.prices."provider/model"]` overrides or adds any entry, and since cost
 * is computed when the history is read, an edit re-prices the past too. Local models cost nothing.
 */
export const DEFAULT_PRICES: PriceTable = {
  "openai/gpt-4o": { input: 2.5, output: 10, cache_read: 1.25 },
  "openai/gpt-4o-mini": { input: 0.15, output: 0.6, cache_read: 0.075 },
  "openai/gpt-4.1": { input: 2, output: 8, cache_read: 0.5 },
  "openai/gpt-4.1-mini": { input: 0.4, output: 1.6, cache_read: 0.1 },
  "openai/o4-mini": { input: 1.1, output: 4.4, cache_read: 0.275 },
  "anthropic/claude-sonnet-4-0": { input: 3, output: 15, cache_read: 0.3, cache_write: 3.75 },
  "anthropic/claude-3-5-haiku-latest": { input: 0.8, output: 4, cache_read: 0.08, cache_write: 1 },
  "anthropic/claude-opus-4-0": { input: 15, output: 75, cache_read: 1.5, cache_write: 18.75 },
  "deepseek/deepseek-chat": { input: 0.27, output: 1.1, cache_read: 0.07 },
};

/** The price of a model: the table's entry, else free for local inference, else unknown. */
export const priceOf = (prices: PriceTable, model: string): ModelPrice | undefined =>
  prices[model] ?? (model.startsWith("local/") || model.startsWith("ollama/") || model.startsWith("lmstudio/") ? FREE : undefined);

const FREE: ModelPrice = { input: 0, output: 0 };

/**
 * USD for these tokens at this price. `input` counts every prompt token, cached ones included (both
 * providers' adapters report it so), so the cached part is priced at its own rate, not twice.
 */
export const costOf = (p: ModelPrice, t: { input: number; output: number; cacheRead: number; cacheWrite: number }): number => {
  const fresh = Math.max(0, t.input - t.cacheRead - t.cacheWrite);
  return (
    (fresh * p.input + t.output * p.output + t.cacheRead * (p.cache_read ?? p.input) + t.cacheWrite * (p.cache_write ?? p.input)) / 1e6
  );
};
