import type { ModelFacts } from "./catalog.ts";

/** One model a provider serves, as its model list describes it (facts null when not said). */
export interface DiscoveredModel extends ModelFacts {
  /** The provider-local name ("llama-3.3-70b-versatile"), what goes after `<provider>/`. */
  readonly id: string;
}

const num = (...vals: unknown[]): number | null => {
  for (const v of vals) if (typeof v === "number" && Number.isFinite(v) && v > 0) return v;
  return null;
};

const strings = (v: unknown): string[] | null => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : null);

const rec = (v: unknown): Record<string, unknown> => (typeof v === "object" && v !== null ? (v as Record<string, unknown>) : {});

/**
 * Not chat models: embeddings, speech, images, moderation. OpenAI's and Ollama's lists mix them
 * in; offering them in a chat model picker would only produce errors.
 */
const NOT_CHAT =
  /(^|[-_/.:])(text-embedding|embed|embedding|embeddings|whisper|tts|dall-e|moderation|rerank|transcribe|davinci-002|babbage-002|sora)([-_/.:]|\d|$)|^gpt-image|^omni-moderation/i;

export const isChatModel = (id: string): boolean => !NOT_CHAT.test(id);

/**
 * An OpenAI-style `GET /models` body: `{data: [{id, ...}]}`. Reads the extra fields compatible
 * servers add: OpenRouter `context_length` / `architecture.input_modalities` /
 * `supported_parameters`, Groq `context_window`, Mistral `max_context_length` / `capabilities`,
 * vLLM `max_model_len`, Anthropic `max_input_tokens`.
 */
export function parseOpenAiModels(body: unknown, opts: { stripPrefix?: string } = {}): DiscoveredModel[] | null {
  const data = rec(body).data;
  if (!Array.isArray(data)) return null;
  const out: DiscoveredModel[] = [];
  for (const raw of data) {
    const m = rec(raw);
    if (typeof m.id !== "string" || !m.id.trim()) continue;
    const caps = rec(m.capabilities);
    if (caps.completion_chat === false) continue;
    let id = m.id.trim();
    if (opts.stripPrefix && id.startsWith(opts.stripPrefix)) id = id.slice(opts.stripPrefix.length);
    if (!isChatModel(id)) continue;
    const params = strings(m.supported_parameters);
    const inputs = strings(rec(m.architecture).input_modalities);
    out.push({
      id,
      contextWindow: num(
        m.context_length,
        m.context_window,
        m.max_context_length,
        m.max_model_len,
        m.max_input_tokens,
        rec(m.top_provider).context_length,
      ),
      tools: typeof caps.function_calling === "boolean" ? caps.function_calling : params ? params.includes("tools") : null,
      vision: typeof caps.vision === "boolean" ? caps.vision : inputs ? inputs.includes("image") : null,
    });
  }
  return out;
}

/** Ollama `GET /api/tags`: `{models: [{name: "llama3.2:latest", details: {...}}]}`. */
export function parseOllamaTags(body: unknown): DiscoveredModel[] | null {
  const models = rec(body).models;
  if (!Array.isArray(models)) return null;
  const out: DiscoveredModel[] = [];
  for (const raw of models) {
    const m = rec(raw);
    const name = typeof m.name === "string" ? m.name : typeof m.model === "string" ? m.model : "";
    if (!name.trim() || !isChatModel(name)) continue;
    out.push({ id: name.trim(), contextWindow: null, tools: null, vision: null });
  }
  return out;
}

/** Union by id; the first list's facts win, the second fills what it left null. */
export function unionModels(a: readonly DiscoveredModel[], b: readonly DiscoveredModel[]): DiscoveredModel[] {
  const byId = new Map(a.map((m) => [m.id, m]));
  for (const m of b) {
    const had = byId.get(m.id);
    byId.set(
      m.id,
      had
        ? { id: m.id, contextWindow: had.contextWindow ?? m.contextWindow, tools: had.tools ?? m.tools, vision: had.vision ?? m.vision }
        : m,
    );
  }
  return [...byId.values()];
}
