/** LLM providers: the port the agent run streams through, its two cloud implementations, model resolution. */
export type { ChatMessage, LlmProvider, ProviderOptions, StreamChunk, StreamRequest } from "./provider.ts";
export { DEFAULT_IDLE_TIMEOUT_MS, DEFAULT_TIMEOUT_MS } from "./provider.ts";
export { createOpenAiProvider, OPENAI_DEFAULT_BASE_URL } from "./openai.provider.ts";
export { ANTHROPIC_DEFAULT_BASE_URL, ANTHROPIC_DEFAULT_MAX_TOKENS, createAnthropicProvider } from "./anthropic.provider.ts";
export {
  describeModelSetup,
  KNOWN_PROVIDERS,
  NO_MODEL_HINT,
  resolveModel,
  type ModelConfig,
  type ModelEnv,
  type ProviderId,
  type ResolvedModel,
} from "./models.ts";
export { redact, retryAfterSeconds } from "./provider.errors.ts";
