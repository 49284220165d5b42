/**
 * LLM providers: the port the agent run streams through (text and tool calls), the provider
 * registry, model resolution, stored keys, model discovery and provider status. The SDK-backed implementations load lazily on
 * first use; import `./openai.provider.ts` or `./anthropic.provider.ts` directly where one is
 * needed eagerly (tests do).
 */
export type {
  AssistantToolCallMessage,
  ChatMessage,
  ConversationMessage,
  ImageInput,
  LlmProvider,
  ProviderOptions,
  StreamChunk,
  StreamRequest,
  ToolCall,
  ToolCallChunk,
  ToolChoice,
  ToolParameters,
  ToolResultMessage,
  ToolSpec,
  ToolStreamChunk,
  ToolStreamRequest,
} from "./provider.ts";
export {
  ANTHROPIC_DEFAULT_BASE_URL,
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_TIMEOUT_MS,
  OPENAI_DEFAULT_BASE_URL,
  asProviderStream,
  lazyProvider,
  offersTools,
} from "./provider.ts";
export { observeCompletion, type CompletionLabels } from "./completion.observer.ts";
export { ToolCallAccumulator, type StreamKey } from "./tool-calls.ts";
export {
  describeModelSetup,
  modelVision,
  NO_MODEL_HINT,
  resolveModel,
  suggestModels,
  type ModelConfig,
  type ModelEnv,
  type ProviderId,
  type ResolvedModel,
} from "./models.ts";
export type { CustomProviderConfig, KeyLookup, LocalModelsConfig, ProviderOverrideConfig } from "./model.config.ts";
export {
  BUILTIN_PROVIDERS,
  KNOWN_PROVIDERS,
  baseUrlVariable,
  checkCustomProviders,
  findProvider,
  listProviderEntries,
  providerIds,
  type BuiltinProvider,
  type ProviderEntry,
  type ProviderKind,
} from "./registry.ts";
export { KeyStore, PROVIDER_KEYS_FILE, last4, lookupKey, providerKeysFile, type KeySource } from "./keys.ts";
export {
  DISCOVERY_TIMEOUT_MS,
  DISCOVERY_TTL_MS,
  ModelDiscovery,
  type DiscoveredModel,
  type DiscoveryKind,
  type DiscoveryOptions,
  type DiscoveryResult,
  type DiscoveryTarget,
} from "./discovery.ts";
export { catalogueFacts, type ModelFacts } from "./catalog.ts";
export { listModelInfo, listProviderStatus, providerStatus, type ModelListOptions } from "./providers.status.ts";
export { registerLocalProvider, type LocalProviderHook } from "./local.hook.ts";
// The local door loads no node-llama-cpp (that happens on the first model load), so this costs nothing.
export { localProviderHook, defaultThreads, sharedLlama } from "./local/index.ts";
export { isRetryable, retryAfterOf } from "./retryable.ts";
export { redact, retryAfterSeconds } from "./provider.errors.ts";
export {
  checkKey,
  keyedProvider,
  listModels,
  listProviders,
  noEnabledModels,
  type EnabledModels,
  type ProviderModelSetup,
} from "./providers.admin.ts";
export { serveProviderServices } from "./providers.service.ts";
