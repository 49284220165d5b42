import Anthropic from "@anthropic-ai/sdk";
import type {
  Base64ImageSource,
  ContentBlockParam,
  ImageBlockParam,
  MessageParam,
  RawMessageStreamEvent,
  Tool,
  ToolChoice as AnthropicToolChoice,
  ToolResultBlockParam,
} from "@anthropic-ai/sdk/resources/messages";
import { CairnError, type Usage } from "../../schemas/index.ts";
import {
  asProviderStream,
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_TIMEOUT_MS,
  offersTools,
  type ChatMessage,
  type ConversationMessage,
  type LlmProvider,
  type ProviderOptions,
  type StreamRequest,
  type ToolChoice,
  type ToolSpec,
  type ToolStreamChunk,
  ANTHROPIC_DEFAULT_BASE_URL,
} from "./provider.ts";
import { displayUrl, toCairnError, type ProviderFailure } from "./provider.errors.ts";
import { guardStream, providerGuard, StreamReadError } from "./stream.guard.ts";
import { ToolCallAccumulator } from "./tool-calls.ts";

/** The Messages API requires max_tokens; this is used when the request does not say. */
export const ANTHROPIC_DEFAULT_MAX_TOKENS = 8192;

/** Anthropic stop reasons in the OpenAI vocabulary `StreamChunk.finishReason` uses. */
const FINISH_REASONS: Record<string, string> = {
  end_turn: "stop",
  stop_sequence: "stop",
  max_tokens: "length",
  tool_use: "tool_calls",
  refusal: "content_filter",
};

/**
 * Anthropic Messages API, streamed through the official SDK's raw event stream (`create` with
 * `stream: true`; the `messages.stream()` helper would accumulate a second copy of the reply).
 */
export function createAnthropicProvider(opts: ProviderOptions): LlmProvider {
  const baseURL = opts.baseURL ?? ANTHROPIC_DEFAULT_BASE_URL;
  const client = new Anthropic({
    // Passing the key in code stops the SDK reading ANTHROPIC_AUTH_TOKEN or a credentials profile.
    apiKey: opts.apiKey,
    baseURL,
    maxRetries: 0, // retries and fallbacks are the run layer's policy
    timeout: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
  });
  const id = opts.id ?? "anthropic";
  const keyVariable = opts.keyVariable ?? "ANTHROPIC_API_KEY";
  const idleTimeoutMs = opts.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  const shownURL = displayUrl(baseURL);

  async function* stream(req: StreamRequest): AsyncGenerator<ToolStreamChunk> {
    // receivedChars counts text the user saw; a call cut off mid-input was never run.
    const ctx = { providerId: id, baseURL: shownURL, keyVariable, model: req.model, apiKey: opts.apiKey, receivedChars: 0 };
    const withTools = offersTools(req);
    const events = guardStream<RawMessageStreamEvent>(
      (signal) =>
        client.messages.create(
          {
            model: req.model,
            max_tokens: req.maxTokens ?? ANTHROPIC_DEFAULT_MAX_TOKENS,
            ...(req.system ? { system: req.system } : {}),
            messages: toAnthropicMessages(req.messages),
            ...(withTools ? { tools: req.tools.map(toAnthropicTool) } : {}),
            ...(withTools && req.toolChoice !== undefined ? { tool_choice: toAnthropicToolChoice(req.toolChoice) } : {}),
            stream: true,
          },
          { signal },
        ),
      providerGuard(id, shownURL, idleTimeoutMs, req.signal),
    );
    let stopReason: string | null = null;
    let stopped = false;
    let inputTokens: number | null = null;
    let outputTokens: number | null = null;
    let cacheRead = 0;
    let cacheWrite = 0;
    // Without tools offered, a stray tool_use block is not reported: text-only callers cannot take one.
    const calls = withTools ? new ToolCallAccumulator() : null;
    try {
      for await (const ev of events) {
        switch (ev.type) {
          case "message_start": {
            const u = ev.message.usage;
            // Anthropic counts cached prompt tokens separately; the prompt's size is the sum.
            cacheRead = u.cache_read_input_tokens ?? 0;
            cacheWrite = u.cache_creation_input_tokens ?? 0;
            inputTokens = u.input_tokens + cacheRead + cacheWrite;
            outputTokens = u.output_tokens;
            break;
          }
          case "content_block_start": {
            const b = ev.content_block;
            // Server tools (web search, code execution) run at Anthropic: not calls for cairn to make.
            if (calls && b.type === "tool_use") {
              // The API streams the input as deltas after an empty `input`; a proxy may give it whole.
              const preset = b.input && typeof b.input === "object" && Object.keys(b.input).length > 0 ? JSON.stringify(b.input) : "";
              yield* calls.update(ev.index, { id: b.id, name: b.name, preset });
            }
            break;
          }
          case "content_block_delta":
            // Thinking deltas do not reach the user.
            if (ev.delta.type === "text_delta" && ev.delta.text) {
              ctx.receivedChars += ev.delta.text.length;
              yield { type: "delta", text: ev.delta.text };
            } else if (calls && ev.delta.type === "input_json_delta" && ev.delta.partial_json) {
              yield* calls.update(ev.index, { arguments: ev.delta.partial_json });
            }
            break;
          case "content_block_stop":
            if (calls) yield* calls.complete(ev.index);
            break;
          case "message_delta": {
            if (ev.delta.stop_reason) stopReason = ev.delta.stop_reason;
            // message_delta counts are cumulative, so they replace the message_start ones.
            const u = ev.usage;
            if (typeof u.output_tokens === "number") outputTokens = u.output_tokens;
            if (typeof u.cache_read_input_tokens === "number") cacheRead = u.cache_read_input_tokens;
            if (typeof u.cache_creation_input_tokens === "number") cacheWrite = u.cache_creation_input_tokens;
            if (typeof u.input_tokens === "number") inputTokens = u.input_tokens + cacheRead + cacheWrite;
            break;
          }
          case "message_stop":
            stopped = true;
            break;
        }
      }
    } catch (e) {
      if (e instanceof CairnError) throw e;
      // A break after message_stop lost nothing; anything earlier is an incomplete reply.
      if (!(stopped && e instanceof StreamReadError && !(e.cause instanceof Anthropic.APIError))) {
        throw toCairnError(classify(e), ctx);
      }
    }
    if (!stopped) throw toCairnError({ kind: "cut-off" }, ctx);
    // A block the server never stopped (a lenient proxy) still ends with the message.
    if (calls) yield* calls.completeAll();
    const usage: Usage | null =
      inputTokens === null || outputTokens === null
        ? null
        : {
            inputTokens,
            outputTokens,
            ...(cacheRead > 0 ? { cacheReadTokens: cacheRead } : {}),
            ...(cacheWrite > 0 ? { cacheWriteTokens: cacheWrite } : {}),
          };
    const raw = stopReason ?? "end_turn";
    yield { type: "done", usage, finishReason: FINISH_REASONS[raw] ?? raw };
  }

  return { id, stream: asProviderStream(stream) };
}

/**
 * The history in Messages API shape. Tool results travel in a user turn, all results of one
 * assistant turn together and before any text (the API requires both); a user message right after
 * them joins that turn.
 */
function toAnthropicMessages(messages: readonly ConversationMessage[]): MessageParam[] {
  const out: MessageParam[] = [];
  let results: ContentBlockParam[] | null = null;
  for (const m of messages) {
    if (m.role === "tool") {
      // An empty result goes without content: the API refuses empty text.
      const block: ToolResultBlockParam = {
        type: "tool_result",
        tool_use_id: m.toolCallId,
        ...(m.text ? { content: m.text } : {}),
        ...(m.isError ? { is_error: true } : {}),
      };
      if (results) results.push(block);
      else {
        results = [block];
        out.push({ role: "user", content: results });
      }
      continue;
    }
    if (m.role === "user" && results) {
      results.push(...userBlocks(m));
      results = null;
      continue;
    }
    results = null;
    if (m.role === "assistant" && "toolCalls" in m && m.toolCalls.length > 0) {
      out.push({
        role: "assistant",
        content: [
          ...(m.text ? [{ type: "text" as const, text: m.text }] : []),
          ...m.toolCalls.map((c) => ({ type: "tool_use" as const, id: c.id, name: c.name, input: inputOf(c.arguments) })),
        ],
      });
    } else if (m.role === "user" && m.images?.length) {
      out.push({ role: "user", content: userBlocks(m) });
    } else {
      out.push({ role: m.role, content: m.text });
    }
  }
  return out;
}

/** A user turn's images (base64 `image` blocks, first, as Anthropic advises) and its text. */
function userBlocks(m: ChatMessage): ContentBlockParam[] {
  const images = (m.images ?? []).map(
    (i): ImageBlockParam => ({
      type: "image",
      source: { type: "base64", media_type: i.mime as Base64ImageSource["media_type"], data: i.base64 },
    }),
  );
  return [...images, ...(m.text ? [{ type: "text" as const, text: m.text }] : [])];
}

/**
 * `tool_use.input` must be an object. Arguments the model wrote as invalid JSON go back as {}: the
 * tool result (an error the run layer writes) is what tells the model what went wrong.
 */
function inputOf(args: string): Record<string, unknown> {
  try {
    const v: unknown = JSON.parse(args);
    return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

function toAnthropicTool(t: ToolSpec): Tool {
  return { name: t.name, description: t.description, input_schema: t.parameters as Tool.InputSchema };
}

function toAnthropicToolChoice(c: ToolChoice): AnthropicToolChoice {
  if (typeof c === "object") return { type: "tool", name: c.name };
  return c === "required" ? { type: "any" } : { type: c };
}

function classify(e: unknown): ProviderFailure {
  if (e instanceof StreamReadError) {
    const cause = e.cause;
    // `event: error` (e.g. overloaded_error mid-reply) arrives as an APIError without a status.
    if (cause instanceof Anthropic.APIError) {
      return { kind: "stream-error", message: providerMessage(cause), ...(cause.type ? { type: cause.type } : {}) };
    }
    if (cause instanceof SyntaxError) return { kind: "malformed", cause };
    return { kind: "cut-off", cause };
  }
  if (e instanceof Anthropic.APIConnectionError)
    return { kind: "connection", cause: e.cause ?? e, timedOut: e instanceof Anthropic.APIConnectionTimeoutError };
  if (e instanceof Anthropic.APIError && typeof e.status === "number") {
    return { kind: "status", status: e.status, headers: e.headers, message: providerMessage(e), ...(e.type ? { type: e.type } : {}) };
  }
  return { kind: "unexpected", cause: e };
}

/** The provider's own words: the SDK's message is "404 {whole JSON body}". */
function providerMessage(e: InstanceType<typeof Anthropic.APIError>): string {
  return e.apiMessage ?? e.message;
}
