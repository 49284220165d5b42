/**
 * Local GGUF models run in-process with node-llama-cpp (the `local/<model>` provider).
 * Importing this door does not load node-llama-cpp or its native addon: that happens on the
 * first load of a model.
 */
export {
  createLocalProvider,
  type LoadProgress,
  type LocalModelInfo,
  type LocalModelState,
  type LocalProvider,
  type LocalProviderOptions,
  type SamplingOptions,
} from "./local.provider.ts";
export {
  LOCAL_CAPABILITIES,
  LOCAL_SUPPORTS_TOOLS,
  listLocalModels,
  localModelName,
  memoryTiers,
  type ListLocalModelsOptions,
  type LocalModelEntry,
  type LocalProviderConfig,
  type MemoryTier,
} from "./local.models.ts";
export type { LoadFailureKind } from "./load.errors.ts";
export { defaultThreads, llamaRuntimeInfo, sharedLlama, type LlamaRuntimeInfo } from "./llama.runtime.ts";
export { localProviderHook } from "./local.hook.impl.ts";
