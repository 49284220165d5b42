/**
 * LLM providers: the port the agent run streams through and model resolution. The SDK-backed
 * implementations load lazily on first use; import `./openai.provider.ts` or
 * `./anthropic.provider.ts` directly where one is needed eagerly (tests do).
 */
export type { ChatMessage, LlmProvider, ProviderOptions, StreamChunk, StreamRequest } from "./provider.ts";
export { ANTHROPIC_DEFAULT_BASE_URL, DEFAULT_IDLE_TIMEOUT_MS, DEFAULT_TIMEOUT_MS, OPENAI_DEFAULT_BASE_URL, lazyProvider } from "./provider.ts";
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
