/**
 * What cairn knows about well-known models without asking: context window (tokens) and whether
 * they take tools and images. Discovery data wins where a provider reports it (OpenRouter's
 * `context_length`, Groq's `context_window`, ...); anything unknown stays null rather than guessed.
 */

export interface ModelFacts {
  contextWindow: number | null;
  tools: boolean | null;
  vision: boolean | null;
}

const f = (contextWindow: number, tools: boolean, vision: boolean): ModelFacts => ({ contextWindow, tools, vision });
/** A model known to take images, whose other facts vary by build. */
const see = (contextWindow: number | null): ModelFacts => ({ contextWindow, tools: null, vision: true });

/** Matched against the model name's last path segment, lowercased, first match wins. */
const CATALOGUE: ReadonlyArray<readonly [RegExp, ModelFacts]> = [
  // Vision models as Ollama, LM Studio and vLLM name them (before the text-only families below
  // would claim "llama3.2-vision" or "mistral-small3.1"). Tool support varies by build: unknown.
  [/^(llava|bakllava|moondream|minicpm-v|llama3\.2-vision|qwen2\.5-?vl|qwen-?vl|qwen3-?vl|granite3\.2-vision|gemma-?3)/, see(null)],
  [/^mistral-small-?3\.[12]/, f(131_072, true, true)],
  // OpenAI
  [/^gpt-5/, f(400_000, true, true)],
  [/^gpt-4\.1/, f(1_047_576, true, true)],
  [/^gpt-4o-(mini-)?(audio|realtime|search|transcribe|tts)/, { contextWindow: 128_000, tools: null, vision: false }],
  [/^(gpt-4o|chatgpt-4o)/, f(128_000, true, true)],
  [/^gpt-4-turbo/, f(128_000, true, true)],
  [/^gpt-4-32k/, f(32_768, true, false)],
  [/^gpt-4(-\d{4})?$/, f(8_192, true, false)],
  [/^gpt-3\.5-turbo/, f(16_385, true, false)],
  [/^o1-mini/, f(128_000, false, false)],
  [/^o1/, f(200_000, true, true)],
  [/^o3-mini/, f(200_000, true, false)],
  [/^(o3|o4-mini)/, f(200_000, true, true)],
  // Anthropic
  [/^claude-(opus|sonnet|haiku)-4|^claude-(3-7|3-5)-|^claude-3-(opus|sonnet|haiku)/, f(200_000, true, true)],
  [/^claude-(opus|sonnet|haiku)-\d/, f(200_000, true, true)],
  // Google
  [/^gemini-1\.5-pro/, f(2_097_152, true, true)],
  [/^gemini-(1\.5|2\.0|2\.5|3)/, f(1_048_576, true, true)],
  // Mistral
  [/^(mistral-large|mistral-medium|mistral-small|codestral|ministral)/, f(131_072, true, false)],
  [/^pixtral/, f(131_072, true, true)],
  [/^open-mistral-nemo/, f(131_072, true, false)],
  // DeepSeek
  [/^deepseek-chat/, f(128_000, true, false)],
  [/^deepseek-reasoner/, f(128_000, false, false)],
  // xAI
  [/^grok-4/, f(256_000, true, true)],
  [/^grok-3/, f(131_072, true, false)],
  // Moonshot
  [/^moonshot-v1-8k/, f(8_192, true, false)],
  [/^moonshot-v1-32k/, f(32_768, true, false)],
  [/^moonshot-v1-128k/, f(131_072, true, false)],
  [/^kimi-k2/, f(131_072, true, false)],
  // Open-weight models as the hosted providers name them
  [/^(meta-llama-)?llama-?3\.[123]-?(8|70|405)b|^llama-3\.3-70b|^llama3\.[123]-?(8|70)b/, f(131_072, true, false)],
  [/^llama-?4/, f(131_072, true, true)],
];

const UNKNOWN: ModelFacts = { contextWindow: null, tools: null, vision: null };

/** Facts for a provider-local model name ("gpt-4o-mini", "openai/gpt-4o" on OpenRouter, ...). */
export function catalogueFacts(model: string): ModelFacts {
  const name = (model.split("/").pop() ?? model).toLowerCase().replace(/:.*$/, "");
  for (const [re, facts] of CATALOGUE) if (re.test(name)) return facts;
  return UNKNOWN;
}

/** Per field: what discovery reported, else the catalogue, else null. */
export function mergeFacts(discovered: Partial<ModelFacts>, model: string): ModelFacts {
  const known = catalogueFacts(model);
  return {
    contextWindow: discovered.contextWindow ?? known.contextWindow,
    tools: discovered.tools ?? known.tools,
    vision: discovered.vision ?? known.vision,
  };
}
