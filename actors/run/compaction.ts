import type { ChatMessage, ConversationMessage } from "../llm/index.ts";
import type { Compaction, TranscriptMessage } from "../session/index.ts";

/**
 * Long conversations: what fits a model's context window, and what a compaction replaces. Pure;
 * the summary's LLM call is the run's `compact` effect (compact.effect.ts).
 *
 * Tokens are estimated as characters / 4 (plus a few per message): no tokenizer of every provider
 * ships here, and the estimate only has to say "close to the window" early enough — the reserve
 * for the reply and the share kept for recent turns leave room for its error.
 */

export const estimateTokens = (text: string): number => Math.ceil(text.length / 4);

const PER_MESSAGE = 4;

/** The estimated prompt: the system prompt, every message (tool calls' arguments included). */
export const promptTokens = (messages: readonly ConversationMessage[], system: string | undefined): number =>
  estimateTokens(system ?? "") +
  messages.reduce(
    (n, m) =>
      n +
      PER_MESSAGE +
      estimateTokens(m.text) +
      ("toolCalls" in m && m.toolCalls ? m.toolCalls.reduce((k, c) => k + estimateTokens(c.name + c.arguments), 0) : 0),
    0,
  );

/** The part of the window a prompt may use: the rest is the reply's (at most a quarter of the window). */
export const promptBudget = (contextWindow: number, maxTokens: number | undefined): number =>
  contextWindow - Math.min(maxTokens ?? 4096, Math.floor(contextWindow / 4));

/** How the summary is introduced to the model (in the system prompt, so roles still alternate). */
export const summaryNote = (c: Pick<Compaction, "summary" | "messages">): string =>
  `Summary of the earlier part of this conversation (${c.messages} older messages were compacted into it; they are kept in the history and searchable, but not repeated here):\n\n${c.summary}`;

/**
 * The transcript a prompt is built from after the latest compaction: the messages after its range.
 * A compaction whose last message is not in the transcript (a fork) is ignored.
 */
export const afterCompaction = (messages: readonly TranscriptMessage[], c: Compaction | null): TranscriptMessage[] => {
  if (!c) return [...messages];
  const at = messages.findIndex((m) => m.id === c.throughMessageId);
  return at === -1 ? [...messages] : messages.slice(at + 1);
};

export interface CompactionPlan {
  /** The messages the summary replaces (after the previous compaction's range). */
  readonly replaced: readonly TranscriptMessage[];
  /** The first message of the range, counting the previous compaction's. */
  readonly fromMessageId: string;
  readonly throughMessageId: string;
  /** Messages replaced in all, the previous summary's included. */
  readonly messages: number;
}

/**
 * Which older turns to summarise so that the recent ones fit in `keepTokens`: the newest messages
 * that fit are kept (always the message being answered), and the range ends where a user message
 * begins the kept part, so the prompt after the summary starts with the user. Null: nothing older
 * to summarise.
 */
export const planCompaction = (
  transcript: readonly TranscriptMessage[],
  previous: Compaction | null,
  /** "none": every message is summarised (`/compact` on an idle session). */
  keepTokens: number | "none",
): CompactionPlan | null => {
  const open = afterCompaction(transcript, previous);
  let kept = 0;
  let cut = open.length;
  for (let i = open.length - 1; i >= 0 && keepTokens !== "none"; i--) {
    const next = kept + PER_MESSAGE + estimateTokens(open[i].text);
    if (i < open.length - 1 && next > keepTokens) break;
    kept = next;
    cut = i;
  }
  if (keepTokens !== "none") {
    while (cut < open.length && open[cut].role !== "user") cut++;
    if (cut >= open.length) cut = open.length - 1; // the message being answered always stays
  }
  const replaced = open.slice(0, cut);
  if (replaced.length === 0) return null;
  const prevCount = previous && open.length !== transcript.length ? previous.messages : 0;
  return {
    replaced,
    fromMessageId: prevCount > 0 && previous ? previous.fromMessageId : replaced[0].id,
    throughMessageId: replaced[replaced.length - 1].id,
    messages: prevCount + replaced.length,
  };
};

export const SUMMARY_SYSTEM =
  "You compact a conversation between a user and an AI assistant so it can go on within a limited context window. " +
  "Write a concise summary that keeps every fact, decision, name, number, file path, open question and promise the " +
  "assistant made, and what the user wants. Write it as notes for the assistant, in the conversation's language. " +
  "Output only the summary.";

/**
 * The summary request: the previous summary (if any) and the replaced messages as one text,
 * clipped from the front to `maxTokens` (the oldest part goes first: the previous summary already
 * holds it in short).
 */
export const summaryRequest = (plan: CompactionPlan, previous: Compaction | null, maxTokens: number): ChatMessage[] => {
  const lines = plan.replaced.map((m) => `${m.role === "user" ? "User" : "Assistant"}: ${m.text}`);
  let body = lines.join("\n\n");
  const room = Math.max(256, maxTokens * 4);
  if (body.length > room) body = `[…the oldest part is cut…]\n${body.slice(body.length - room)}`;
  const prior = previous && plan.messages > plan.replaced.length ? `Summary so far:\n${previous.summary}\n\n` : "";
  return [{ role: "user", text: `${prior}Conversation to summarise:\n\n${body}` }];
};

/**
 * A tool result longer than `maxChars` is cut in the prompt (the log keeps it whole, up to the
 * tool's own limit), with a pointer the model can repeat to the user.
 */
export const clipToolResult = (text: string, maxChars: number, runId: string, callId: string): string => {
  if (text.length <= maxChars) return text;
  const head = text.slice(0, Math.max(0, maxChars));
  return `${head}\n[cut for the prompt: ${head.length} of ${text.length} characters shown; the full output is kept in the log (run ${runId}, call ${callId}) and shown on the chat's tool card — ask for a narrower part if you need more]`;
};

/** A tool result may take at most this share of the window in a prompt. */
export const toolResultChars = (contextWindow: number | null): number =>
  contextWindow === null ? 64 * 1024 : Math.max(1_000, Math.floor(contextWindow * 4 * 0.25));
