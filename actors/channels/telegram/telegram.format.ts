import telegramify from "telegramify-markdown";

/** Telegram refuses a message text longer than this (after entity parsing). */
export const TELEGRAM_MAX_CHARS = 4096;
/** Pieces are cut below the limit: MarkdownV2 escaping makes the sent text longer than the source. */
const PIECE_CHARS = 3500;

export interface ReplyPiece {
  /** As the model wrote it: sent when Telegram cannot parse the converted form. */
  readonly plain: string;
  /** Telegram MarkdownV2 (telegramify-markdown), or null when converting made it too long. */
  readonly markdownV2: string | null;
}

/** Cuts `text` into parts of at most `max` characters, at a blank line, else a line end, else anywhere. */
const cut = (text: string, max: number): string[] => {
  const parts: string[] = [];
  let rest = text;
  while (rest.length > max) {
    const window = rest.slice(0, max);
    const at = Math.max(window.lastIndexOf("\n\n"), 0) || Math.max(window.lastIndexOf("\n"), 0) || max;
    parts.push(rest.slice(0, at).trimEnd());
    rest = rest.slice(at).replace(/^\n+/, "");
  }
  if (rest.trim() !== "" || parts.length === 0) parts.push(rest);
  return parts;
};

/** A finished reply as Telegram messages: cut where a reader expects a break, each converted on its own. */
export const replyPieces = (markdown: string): ReplyPiece[] =>
  cut(markdown, PIECE_CHARS).map((plain) => {
    const v2 = plain.trim() === "" ? "" : telegramify(plain, "escape").trimEnd();
    return { plain, markdownV2: v2 !== "" && v2.length <= TELEGRAM_MAX_CHARS ? v2 : null };
  });

/** What a message shows while the reply streams: plain text (half-written markdown would not parse), the tail if long. */
export const streamingText = (soFar: string): string => {
  const text = soFar.trim() === "" ? "…" : `${soFar}…`;
  return text.length <= TELEGRAM_MAX_CHARS ? text : `…${text.slice(text.length - TELEGRAM_MAX_CHARS + 1)}`;
};
