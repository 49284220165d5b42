import * as Schema from "effect/Schema";
import { MessageId, SessionKey } from "./ids.ts";

/** Search over past chats (`q.search.messages`, WS `search.query`) and over memory files (`q.memory.search`). */

/** What a person types: free words, matched as words (FTS5 operators in it are taken literally). */
export const SearchText = Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(500));

/** A highlighted excerpt: the matched words are the parts with `match: true` (no markup to escape). */
export const SnippetPart = Schema.Struct({ text: Schema.String, match: Schema.Boolean });
export type SnippetPart = typeof SnippetPart.Type;

export const SearchMessages = Schema.Struct({
  query: SearchText,
  /** Only this session's messages. */
  sessionKey: Schema.optionalKey(SessionKey),
  limit: Schema.optionalKey(Schema.Int.check(Schema.isBetween({ minimum: 1, maximum: 200 }))),
});
export type SearchMessages = typeof SearchMessages.Type;

/** One matching message, enough for the UI to open its session and scroll to it. */
export const MessageHit = Schema.Struct({
  sessionKey: SessionKey,
  sessionTitle: Schema.String,
  messageId: MessageId,
  role: Schema.Literals(["user", "assistant"]),
  at: Schema.Number,
  snippet: Schema.Array(SnippetPart),
});
export type MessageHit = typeof MessageHit.Type;

export const SearchMessagesResult = Schema.Struct({ hits: Schema.Array(MessageHit), checkpoint: Schema.Number });
export type SearchMessagesResult = typeof SearchMessagesResult.Type;

/** `chat.compactions` (`q.search.compactions`): the summaries that replaced older turns in prompts. */
export const ListCompactions = Schema.Struct({ sessionKey: SessionKey });
export type ListCompactions = typeof ListCompactions.Type;

/** One `session.compacted`, as the chat shows it: a divider after `throughMessageId` with the summary. */
export const CompactionView = Schema.Struct({
  compactionId: Schema.String,
  at: Schema.Number,
  summary: Schema.String,
  throughMessageId: MessageId,
  messages: Schema.Number,
  tokensBefore: Schema.Number,
  tokensAfter: Schema.Number,
  model: Schema.String,
  /** The run that compacted before its reply; null: `/compact`. */
  runId: Schema.NullOr(Schema.String),
});
export type CompactionView = typeof CompactionView.Type;

export const ListCompactionsResult = Schema.Struct({ compactions: Schema.Array(CompactionView), checkpoint: Schema.Number });
export type ListCompactionsResult = typeof ListCompactionsResult.Type;

/**
 * The FTS5 query for what a person typed: each word quoted (so `AND`, `NEAR`, `-` or `"` in the
 * text are words, never syntax), all of them required (or any, with `all: false`), the last one
 * also as a prefix (results while typing). `undefined` when the text has no word at all.
 */
export const toFtsQuery = (text: string, { prefix = true, all = true }: { prefix?: boolean; all?: boolean } = {}): string | undefined => {
  const words = text.match(/[\p{L}\p{N}_]+/gu);
  if (!words) return undefined;
  const quoted = words.slice(0, 32).map((w) => `"${w}"`);
  if (prefix && !/\s$/.test(text)) quoted[quoted.length - 1] += "*";
  // `all: false` (memory search, natural-language questions): any word, bm25 ranks those with more first.
  return quoted.join(all ? " " : " OR ");
};

/** Marks `snippet()` puts around matches: control characters a message cannot usefully hold. */
export const MATCH_OPEN = "\u0001";
export const MATCH_CLOSE = "\u0002";

/** An FTS5 `snippet()` made with MATCH_OPEN/MATCH_CLOSE, as parts. */
export const snippetParts = (marked: string): SnippetPart[] => {
  const parts: SnippetPart[] = [];
  for (const piece of marked.split(MATCH_OPEN)) {
    const close = piece.indexOf(MATCH_CLOSE);
    if (close < 0) {
      if (piece) parts.push({ text: piece, match: false });
      continue;
    }
    parts.push({ text: piece.slice(0, close), match: true });
    const rest = piece.slice(close + 1).replaceAll(MATCH_CLOSE, "");
    if (rest) parts.push({ text: rest, match: false });
  }
  return parts;
};
