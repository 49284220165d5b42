import type { Usage } from "../../schemas/events/run.events.ts";

/** One turn of the conversation as the model sees it (text only for now; tools come later). */
export interface ChatMessage {
  role: "user" | "assistant";
  text: string;
}

export interface StreamRequest {
  /** Provider-local model name, e.g. "gpt-4o-mini" (not the "openai/..." id). */
  model: string;
  system?: string;
  messages: readonly ChatMessage[];
  maxTokens?: number;
  /**
   * Aborting ends the iteration promptly and cancels the HTTP request. The iteration then throws
   * `signal.reason` when that is a `CairnError` (so a caller can abort with its own code, e.g.
   * `timeout`), otherwise a `CairnError("run_interrupted")`.
   */
  signal?: AbortSignal;
}

/**
 * What a provider streams: text deltas, then exactly one `done`. A reply that does not reach
 * `done` ends with a thrown `CairnError` instead (never a silent truncation).
 * `finishReason` uses OpenAI's vocabulary ("stop", "length", "tool_calls", "content_filter");
 * reasons without an equivalent pass through as the provider spelled them.
 */
export type StreamChunk =
  | { type: "delta"; text: string }
  | { type: "done"; usage: Usage | null; finishReason: string };

export interface LlmProvider {
  readonly id: string;
  stream(req: StreamRequest): AsyncIterable<StreamChunk>;
}

export interface ProviderOptions {
  apiKey: string;
  /** The registry id errors and `LlmProvider.id` name ("groq"); default "openai" / "anthropic". */
  id?: string;
  /** Defaults to the provider's public API; never read from `process.env` behind the caller's back. */
  baseURL?: string;
  fetch?: typeof globalThis.fetch;
  /** Until the response headers arrive. Default 60 s. */
  timeoutMs?: number;
  /**
   * Longest silence between two stream events once streaming. Reasoning models can think for
   * minutes before the first token, so this is generous. Default 300 s.
   */
  idleTimeoutMs?: number;
  /** The variable error messages tell the user to check, e.g. "OPENAI_API_KEY". */
  keyVariable?: string;
}

export const DEFAULT_TIMEOUT_MS = 60_000;
export const DEFAULT_IDLE_TIMEOUT_MS = 300_000;

export const OPENAI_DEFAULT_BASE_URL = "https://api.openai.com/v1";
export const ANTHROPIC_DEFAULT_BASE_URL = "https://api.anthropic.com";

/**
 * A provider whose SDK is imported on its first call. Each SDK costs ~10-20 MB and ~100 ms to
 * load; a gateway configured for one provider should not pay for the others.
 */
export const lazyProvider = (id: string, load: () => Promise<LlmProvider>): LlmProvider => {
  let loaded: Promise<LlmProvider> | undefined;
  return {
    id,
    async *stream(req) {
      yield* (await (loaded ??= load())).stream(req);
    },
  };
};
