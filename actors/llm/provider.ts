import type { Usage } from "../../schemas/index.ts";

/** An image inside a user turn, inline: every vision API takes base64 bytes with their media type. */
export interface ImageInput {
  /** The file name the user gave it (for notes when a model cannot take it). */
  name: string;
  /** One of `IMAGE_MIMES`. */
  mime: string;
  base64: string;
}

/** A user or assistant turn of text; a user turn may carry images (sent to vision models only). */
export interface ChatMessage {
  role: "user" | "assistant";
  text: string;
  images?: readonly ImageInput[];
}

/** One call the model asked for. `arguments` is JSON text exactly as the model wrote it (maybe invalid). */
export interface ToolCall {
  id: string;
  name: string;
  arguments: string;
}

/** An assistant turn that called tools (`text` is what it said before them, often ""). */
export interface AssistantToolCallMessage {
  role: "assistant";
  text: string;
  toolCalls: readonly ToolCall[];
}

/** The result of one tool call, answering the `ToolCall` with id `toolCallId`. */
export interface ToolResultMessage {
  role: "tool";
  toolCallId: string;
  text: string;
  /** The tool failed; `text` says why. */
  isError?: boolean;
}

/** A turn of the conversation as the model sees it. */
export type ConversationMessage = ChatMessage | AssistantToolCallMessage | ToolResultMessage;

/** A JSON Schema describing a tool's arguments; both APIs require an object at the top. */
export type ToolParameters = { readonly type: "object" } & { readonly [keyword: string]: unknown };

/** A tool offered to the model. */
export interface ToolSpec {
  name: string;
  description: string;
  parameters: ToolParameters;
}

/**
 * "auto": the model decides; "none": no calls this turn (the tools still describe the history);
 * "required": at least one call (Anthropic's "any"); `{ name }`: exactly that tool.
 */
export type ToolChoice = "auto" | "none" | "required" | { name: string };

export interface StreamRequest {
  /** Provider-local model name, e.g. "gpt-4o-mini" (not the "openai/..." id). */
  model: string;
  system?: string;
  messages: readonly ConversationMessage[];
  maxTokens?: number;
  /**
   * Tools the model may call. Only a request that offers at least one gets tool-call chunks; an
   * empty list is the same as none (OpenAI refuses `tools: []`). Anthropic refuses a history with
   * tool turns unless tools are offered.
   */
  tools?: readonly ToolSpec[];
  /** Sent only together with tools. Default: the provider's ("auto"). */
  toolChoice?: ToolChoice;
  /**
   * Aborting ends the iteration promptly and cancels the HTTP request. The iteration then throws
   * `signal.reason` when that is a `CairnError` (so a caller can abort with its own code, e.g.
   * `timeout`), otherwise a `CairnError("run_interrupted")`.
   */
  signal?: AbortSignal;
}

/** A request that offers tools: its stream may carry `ToolCallChunk`s. */
export type ToolStreamRequest = StreamRequest & { tools: readonly ToolSpec[] };

/**
 * What a provider streams for a request without tools: text deltas, then exactly one `done`. A
 * reply that does not reach `done` ends with a thrown `CairnError` instead (never a silent
 * truncation). `finishReason` uses OpenAI's vocabulary ("stop", "length", "tool_calls",
 * "content_filter"); reasons without an equivalent pass through as the provider spelled them.
 */
export type StreamChunk = { type: "delta"; text: string } | { type: "done"; usage: Usage | null; finishReason: string };

/**
 * Tool-call progress. `index` is dense (0, 1, ... in order of appearance), whatever stream index
 * or content-block position the provider used. Per call: one `tool_call_start`, any number of
 * `tool_call_delta`s (argument JSON fragments), then one `tool_call` with the whole arguments text
 * once the provider finished the call (Anthropic: its block stop; OpenAI: the end of the reply).
 * Text deltas may interleave. Arguments that are not valid JSON are still reported, as written.
 */
export type ToolCallChunk =
  | { type: "tool_call_start"; index: number; id: string; name: string }
  | { type: "tool_call_delta"; index: number; argumentsDelta: string }
  | { type: "tool_call"; index: number; id: string; name: string; arguments: string };

/** What a request that offers tools streams: `StreamChunk`s with `ToolCallChunk`s among them, before `done`. */
export type ToolStreamChunk = StreamChunk | ToolCallChunk;

/**
 * A model behind one API. The overloads state the contract at the type level: a request without
 * tools never yields tool-call chunks (text-only callers need not know them), one with tools may.
 */
export interface LlmProvider {
  readonly id: string;
  /**
   * Loads what the first request would (the SDK's modules, its client): a gateway calls it at
   * start so the first chat's first token comes as fast as later ones. Optional; never throws.
   */
  warm?(): Promise<void>;
  stream(req: ToolStreamRequest): AsyncIterable<ToolStreamChunk>;
  stream(req: StreamRequest & { tools?: undefined }): AsyncIterable<StreamChunk>;
  stream(req: StreamRequest): AsyncIterable<ToolStreamChunk>;
}

/**
 * An implementation's stream as the port's overloaded method. The implementation must keep the
 * contract the overloads promise: tool-call chunks only when `req.tools` is non-empty.
 */
export const asProviderStream = (f: (req: StreamRequest) => AsyncIterable<ToolStreamChunk>): LlmProvider["stream"] =>
  f as LlmProvider["stream"];

/** True when the request offers tools, i.e. when tool-call chunks may be yielded. */
export const offersTools = (req: StreamRequest): req is StreamRequest & { tools: NonNullable<StreamRequest["tools"]> } =>
  (req.tools?.length ?? 0) > 0;

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
    warm: async () => {
      loaded ??= load();
      await loaded.then(
        () => undefined,
        () => {
          loaded = undefined; // the real request will try again, and report what is wrong
        },
      );
    },
    stream: asProviderStream(async function* (req) {
      loaded ??= load();
      yield* (await loaded).stream(req);
    }),
  };
};
