import { CairnError, type EmbedderConfig } from "../../schemas/index.ts";

/** One source of embeddings. `id` names the vector space: vectors of two ids are never compared. */
export interface Embedder {
  readonly id: string;
  embed(texts: readonly string[], signal?: AbortSignal): Promise<Float32Array[]>;
  close?(): Promise<void>;
}

/** Texts per request: OpenAI takes up to 2,048 inputs, Ollama's compat layer far fewer comfortably. */
const BATCH = 64;
const TIMEOUT_MS = 30_000;

const DEFAULTS: Record<"openai" | "ollama", { baseUrl: string; model: string; keyEnv?: string }> = {
  openai: { baseUrl: "https://api.openai.com/v1", model: "text-embedding-3-small", keyEnv: "OPENAI_API_KEY" },
  ollama: { baseUrl: "http://127.0.0.1:11434/v1", model: "nomic-embed-text" },
};

/**
 * `/v1/embeddings` of any OpenAI-compatible server (OpenAI, Ollama, LM Studio, vLLM, …) through
 * the official SDK. No SDK retries: a failure moves down the fallback chain, and the breaker
 * decides when this one is tried again.
 */
export function openAiCompatibleEmbedder(c: EmbedderConfig, env: NodeJS.ProcessEnv): Embedder {
  if (c.provider === "local") throw new CairnError("bad_request", "a local embedder is not OpenAI-compatible");
  const d = c.provider === "custom" ? undefined : DEFAULTS[c.provider];
  const baseURL = c.base_url ?? d?.baseUrl;
  const model = c.model ?? d?.model;
  if (!baseURL || !model) throw new CairnError("bad_request", `[[memory.embeddings]] provider "${c.provider}" needs base_url and model`);
  const keyEnv = c.api_key_env ?? d?.keyEnv;
  const apiKey = (keyEnv ? env[keyEnv] : undefined) ?? "none";
  if (c.provider === "openai" && apiKey === "none") throw new CairnError("bad_request", `OpenAI embeddings need ${keyEnv} set`);
  let client: Promise<import("openai").OpenAI> | undefined;
  const sdk = () => (client ??= import("openai").then((m) => new m.OpenAI({ apiKey, baseURL, maxRetries: 0, timeout: TIMEOUT_MS })));
  return {
    id: `${c.provider}/${model}`,
    async embed(texts, signal) {
      const out: Float32Array[] = [];
      for (let i = 0; i < texts.length; i += BATCH) {
        const input = texts.slice(i, i + BATCH) as string[];
        const r = await (await sdk()).embeddings.create({ model, input, encoding_format: "float" }, { signal });
        // The server may answer out of order; `index` says which input each vector is for.
        const byIndex = [...r.data].sort((a, b) => a.index - b.index);
        if (byIndex.length !== input.length)
          throw new CairnError("provider_error", `${baseURL} returned ${byIndex.length} vectors for ${input.length} texts`);
        for (const e of byIndex) out.push(Float32Array.from(e.embedding));
      }
      return out;
    },
  };
}
