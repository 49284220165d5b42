import { basename } from "node:path";
import type { ChatHistoryItem, LlamaChatResponse, Token } from "node-llama-cpp";
import { CairnError, type Usage } from "../../../schemas/index.ts";
import type { StreamChunk, StreamRequest } from "../provider.ts";
import type { Loaded, SamplingOptions } from "./local.types.ts";
import { abortError } from "./sync.ts";

/**
 * One reply from a loaded model: node-llama-cpp's callback-style `generateResponse` turned into
 * the provider's chunk stream. Generation runs ahead of the consumer (tokens are buffered), so a
 * slow reader never stalls the sequence, and `settled` tells the caller when the sequence is
 * free again.
 */
export interface GenerateRun {
  chunks: AsyncGenerator<StreamChunk>;
  settled: Promise<unknown>;
}

/**
 * The request as node-llama-cpp chat history. A request ending with an assistant message asks
 * for a continuation of that message (prefill); otherwise an empty model turn is appended.
 */
export function toHistory(req: Pick<StreamRequest, "system" | "messages">): ChatHistoryItem[] {
  const history: ChatHistoryItem[] = [];
  if (req.system) history.push({ type: "system", text: req.system });
  for (const m of req.messages) {
    history.push(m.role === "user" ? { type: "user", text: m.text } : { type: "model", response: [m.text] });
  }
  if (history.at(-1)?.type !== "model") history.push({ type: "model", response: [] });
  return history;
}

/** The prompt's tokens exactly as LlamaChat renders and tokenizes them. */
function promptTokens(l: Loaded, history: ChatHistoryItem[]): Token[] {
  const { contextText } = l.chatWrapper.generateContextState({ chatHistory: history });
  return contextText.tokenize(l.model.tokenizer);
}

const commonPrefix = (a: readonly Token[], b: readonly Token[]): number => {
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
};

const FINISH: Record<string, string> = {
  eogToken: "stop",
  stopGenerationTrigger: "stop",
  customStopTrigger: "stop",
  maxTokens: "length",
  functionCalls: "tool_calls",
};

/**
 * The history to send and its tokens. A conversation longer than the context loses its oldest
 * turns (the system prompt stays) until the prompt plus room for the reply fits; a history
 * always restarts at a user message, since some chat templates reject anything else. Only when
 * the system prompt and the last message alone do not fit is it an error. (node-llama-cpp's own
 * context shift is no substitute: with a small context it can erase the whole prompt, last user
 * message included, and generate from nothing.)
 */
function fitHistory(l: Loaded, req: StreamRequest): { history: ChatHistoryItem[]; tokens: Token[] } {
  const contextSize = l.context.contextSize;
  const reserve = Math.min(req.maxTokens ?? REPLY_RESERVE, Math.floor(contextSize / 4));
  const render = (from: number) => {
    const history = toHistory({ system: req.system, messages: req.messages.slice(from) });
    const tokens = promptTokens(l, history);
    return { history, tokens, fits: tokens.length + reserve <= contextSize };
  };
  const whole = render(0);
  if (whole.fits) return whole;
  // Where a shortened history may start: each later user message, and the last message.
  const starts = req.messages.flatMap((m, i) => (i > 0 && (m.role === "user" || i === req.messages.length - 1) ? [i] : []));
  if (starts.length === 0) starts.push(req.messages.length > 0 ? req.messages.length - 1 : 0);
  // Fewer messages never need more tokens: binary search for the earliest start that fits.
  let lo = 0;
  let hi = starts.length - 1;
  let best = render(starts[hi]);
  if (!best.fits) {
    throw new CairnError(
      "context_too_long",
      `the prompt is ${best.tokens.length} tokens but ${basename(l.model.filename ?? "the local model")} runs with a ` +
        `${contextSize}-token context (${reserve} kept for the reply): shorten the message or the system prompt, ` +
        "or raise [providers.local] context_size",
      { promptTokens: best.tokens.length, contextSize },
    );
  }
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    const r = render(starts[mid]);
    if (r.fits) {
      best = r;
      hi = mid;
    } else {
      lo = mid + 1;
    }
  }
  return best;
}

/** Room kept for the reply when trimming a long conversation (unless `maxTokens` is smaller). */
const REPLY_RESERVE = 512;

export function generate(l: Loaded, req: StreamRequest, o: { signal: AbortSignal; sampling: SamplingOptions }): GenerateRun {
  const { history, tokens: prompt } = fitHistory(l, req);
  // Tokens already in the sequence's KV cache from the previous reply are not evaluated again
  // (the last prompt token always is: its logits start the reply).
  const reused = Math.min(commonPrefix(l.chat.sequence.contextTokens, prompt), prompt.length - 1);

  const queue: string[] = [];
  let wake: (() => void) | null = null;
  const notify = () => {
    const w = wake;
    wake = null;
    w?.();
  };
  let completionTokens = 0;
  let outcome: { ok: true; value: LlamaChatResponse } | { ok: false; error: unknown } | null = null;
  o.signal.addEventListener("abort", notify, { once: true });

  const settled = l.chat
    .generateResponse(history, {
      signal: o.signal,
      // Resolve with what was generated instead of rejecting: the sequence stays consistent.
      stopOnAbortSignal: true,
      // Without a limit, at most the room left: a reply never pushes its own prompt out.
      maxTokens: req.maxTokens ?? l.context.contextSize - prompt.length,
      ...o.sampling,
      onTextChunk: (text) => {
        if (text) {
          queue.push(text);
          notify();
        }
      },
      onToken: (tokens) => {
        completionTokens += tokens.length;
      },
    })
    .then(
      (value) => {
        outcome = { ok: true, value };
        notify();
      },
      (error: unknown) => {
        outcome = { ok: false, error };
        notify();
      },
    );

  async function* chunks(): AsyncGenerator<StreamChunk> {
    try {
      for (;;) {
        for (let text = queue.shift(); text !== undefined; text = queue.shift()) {
          if (o.signal.aborted) throw abortError(o.signal);
          yield { type: "delta", text };
        }
        if (o.signal.aborted) throw abortError(o.signal);
        if (outcome) break;
        await new Promise<void>((r) => (wake = r));
      }
    } finally {
      o.signal.removeEventListener("abort", notify);
    }
    const done = outcome as NonNullable<typeof outcome>;
    if (!done.ok) {
      const msg = done.error instanceof Error ? done.error.message : String(done.error);
      throw new CairnError("provider_error", `the local model failed while generating: ${msg}`);
    }
    const res = done.value;
    if (res.metadata.stopReason === "abort") throw abortError(o.signal);

    const usage: Usage = { inputTokens: prompt.length, outputTokens: completionTokens, ...(reused > 0 ? { cacheReadTokens: reused } : {}) };
    yield { type: "done", usage, finishReason: FINISH[res.metadata.stopReason] ?? res.metadata.stopReason };
  }

  return { chunks: chunks(), settled };
}
