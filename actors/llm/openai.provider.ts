import OpenAI from "openai";
import type {
  ChatCompletionChunk,
  ChatCompletionMessageParam,
  ChatCompletionTool,
  ChatCompletionToolChoiceOption,
} from "openai/resources/chat/completions";
import { CairnError, type Usage } from "../../schemas/index.ts";
import {
  asProviderStream,
  DEFAULT_IDLE_TIMEOUT_MS,
  DEFAULT_TIMEOUT_MS,
  offersTools,
  type ConversationMessage,
  type LlmProvider,
  type ProviderOptions,
  type StreamRequest,
  type ToolChoice,
  type ToolSpec,
  type ToolStreamChunk,
  OPENAI_DEFAULT_BASE_URL,
} from "./provider.ts";
import { displayUrl, toCairnError, type ProviderFailure } from "./provider.errors.ts";
import { guardStream, providerGuard, StreamReadError } from "./stream.guard.ts";
import { ToolCallAccumulator } from "./tool-calls.ts";

/**
 * OpenAI Chat Completions (and the many servers that speak it: vLLM, llama.cpp, Ollama, ...),
 * streamed through the official SDK.
 */
export function createOpenAiProvider(opts: ProviderOptions): LlmProvider {
  const baseURL = opts.baseURL ?? OPENAI_DEFAULT_BASE_URL;
  const client = new OpenAI({
    apiKey: opts.apiKey,
    baseURL,
    // Explicit nulls: otherwise the SDK reads OPENAI_ORG_ID / OPENAI_PROJECT_ID from process.env.
    organization: null,
    project: null,
    webhookSecret: null,
    // Retries and fallbacks are a policy of the run layer, which knows what was already streamed.
    maxRetries: 0,
    timeout: opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    ...(opts.fetch ? { fetch: opts.fetch } : {}),
  });
  const id = opts.id ?? "openai";
  const keyVariable = opts.keyVariable ?? "OPENAI_API_KEY";
  const idleTimeoutMs = opts.idleTimeoutMs ?? DEFAULT_IDLE_TIMEOUT_MS;
  const shownURL = displayUrl(baseURL);

  async function* stream(req: StreamRequest): AsyncGenerator<ToolStreamChunk> {
    // receivedChars counts text the user saw; a call cut off mid-arguments was never run.
    const ctx = { providerId: id, baseURL: shownURL, keyVariable, model: req.model, apiKey: opts.apiKey, receivedChars: 0 };
    const messages: ChatCompletionMessageParam[] = [
      ...(req.system ? [{ role: "system" as const, content: req.system }] : []),
      ...req.messages.map(toOpenAiMessage),
    ];
    const withTools = offersTools(req);
    const chunks = guardStream<ChatCompletionChunk>(
      (signal) =>
        client.chat.completions.create(
          {
            model: req.model,
            messages,
            stream: true,
            stream_options: { include_usage: true },
            // max_tokens is deprecated and refused by reasoning models; this is its successor.
            ...(req.maxTokens !== undefined ? { max_completion_tokens: req.maxTokens } : {}),
            ...(withTools ? { tools: req.tools.map(toOpenAiTool) } : {}),
            ...(withTools && req.toolChoice !== undefined ? { tool_choice: toOpenAiToolChoice(req.toolChoice) } : {}),
          },
          { signal },
        ),
      providerGuard(id, shownURL, idleTimeoutMs, req.signal),
    );
    let finishReason: string | null = null;
    let usage: Usage | null = null;
    // Without tools offered, a stray call is not reported: text-only callers cannot take one.
    const calls = withTools ? new ToolCallAccumulator() : null;
    try {
      for await (const chunk of chunks) {
        // With include_usage the usage arrives in a last chunk with no choices; some compatible
        // servers put it on the finish chunk instead. Take it wherever it is.
        if (chunk.usage) usage = usageOf(chunk.usage);
        const choice = chunk.choices?.[0];
        if (!choice) continue;
        // A refusal is still the model's answer to the user: show it like text.
        const text = (choice.delta?.content ?? "") + (choice.delta?.refusal ?? "");
        if (text) {
          ctx.receivedChars += text.length;
          yield { type: "delta", text };
        }
        const toolDeltas = choice.delta?.tool_calls;
        if (calls && toolDeltas) {
          for (const tc of toolDeltas) {
            // `index` is required by the spec; a few compatible servers leave it out.
            const key = tc.index ?? tc.id ?? calls.count - 1;
            yield* calls.update(key, { id: tc.id, name: tc.function?.name, arguments: tc.function?.arguments });
          }
        }
        if (choice.finish_reason) finishReason = choice.finish_reason;
      }
    } catch (e) {
      if (e instanceof CairnError) throw e;
      // A break after the finish chunk (before usage / [DONE]) lost nothing the user can see.
      if (!(finishReason !== null && e instanceof StreamReadError && !(e.cause instanceof OpenAI.APIError))) {
        throw toCairnError(classify(e), ctx);
      }
    }
    if (finishReason === null) throw toCairnError({ kind: "cut-off" }, ctx);
    // OpenAI has no per-call end event: every call is complete once the reply is.
    if (calls) yield* calls.completeAll();
    yield { type: "done", usage, finishReason };
  }

  return { id, stream: asProviderStream(stream) };
}

function toOpenAiMessage(m: ConversationMessage): ChatCompletionMessageParam {
  switch (m.role) {
    case "tool":
      // Chat Completions has no error flag on a tool result; the model must read it in the text.
      return { role: "tool", tool_call_id: m.toolCallId, content: m.isError ? `Error: ${m.text}` : m.text };
    case "assistant":
      if (!("toolCalls" in m) || m.toolCalls.length === 0) return { role: "assistant", content: m.text };
      return {
        role: "assistant",
        // null, not "", when the turn was only calls: some compatible servers reject an empty string.
        content: m.text || null,
        tool_calls: m.toolCalls.map((c) => ({ id: c.id, type: "function" as const, function: { name: c.name, arguments: c.arguments } })),
      };
    default:
      if (!m.images?.length) return { role: "user", content: m.text };
      // Content parts: the text, then each image as a data URL (Gemini's and Ollama's OpenAI
      // endpoints take the same shape).
      return {
        role: "user",
        content: [
          ...(m.text ? [{ type: "text" as const, text: m.text }] : []),
          ...m.images.map((i) => ({ type: "image_url" as const, image_url: { url: `data:${i.mime};base64,${i.base64}` } })),
        ],
      };
  }
}

function toOpenAiTool(t: ToolSpec): ChatCompletionTool {
  return { type: "function", function: { name: t.name, description: t.description, parameters: t.parameters as Record<string, unknown> } };
}

function toOpenAiToolChoice(c: ToolChoice): ChatCompletionToolChoiceOption {
  return typeof c === "string" ? c : { type: "function", function: { name: c.name } };
}

/** prompt_tokens already includes cached ones; the cached share is reported beside it. */
function usageOf(u: NonNullable<ChatCompletionChunk["usage"]>): Usage {
  const cached = u.prompt_tokens_details?.cached_tokens ?? 0;
  return { inputTokens: u.prompt_tokens, outputTokens: u.completion_tokens, ...(cached > 0 ? { cacheReadTokens: cached } : {}) };
}

function classify(e: unknown): ProviderFailure {
  if (e instanceof StreamReadError) {
    const cause = e.cause;
    // The SDK turns a `data: {"error": ...}` event into an APIError without a status.
    if (cause instanceof OpenAI.APIError)
      return { kind: "stream-error", message: providerMessage(cause), ...(typeof cause.type === "string" ? { type: cause.type } : {}) };
    if (cause instanceof SyntaxError) return { kind: "malformed", cause };
    return { kind: "cut-off", cause };
  }
  if (e instanceof OpenAI.APIConnectionError)
    return { kind: "connection", cause: e.cause ?? e, timedOut: e instanceof OpenAI.APIConnectionTimeoutError };
  if (e instanceof OpenAI.APIError && typeof e.status === "number") {
    return {
      kind: "status",
      status: e.status,
      headers: e.headers,
      message: providerMessage(e),
      ...(typeof e.code === "string" ? { code: e.code } : {}),
      ...(typeof e.type === "string" ? { type: e.type } : {}),
    };
  }
  return { kind: "unexpected", cause: e };
}

/** The provider's own words, without the SDK's "404 " prefix. */
function providerMessage(e: InstanceType<typeof OpenAI.APIError>): string {
  const body = e.error as { message?: unknown } | undefined;
  return typeof body?.message === "string" ? body.message : e.message;
}
