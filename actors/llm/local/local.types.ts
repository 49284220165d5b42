import type { ChatWrapper, LlamaChat, LlamaContext, LlamaEmbeddingContext, LlamaModel } from "node-llama-cpp";

export interface SamplingOptions {
  /** 0 = greedy (deterministic). Default 0.8 (llama.cpp's). */
  temperature?: number;
  topK?: number;
  topP?: number;
  minP?: number;
  seed?: number;
}

/** What a load produced; dropped as a whole on unload. */
export interface Loaded {
  model: LlamaModel;
  context: LlamaContext;
  chat: LlamaChat;
  chatWrapper: ChatWrapper;
  embedding: LlamaEmbeddingContext | null;
  sizeBytes: number;
  loadMs: number;
}
