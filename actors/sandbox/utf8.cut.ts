/**
 * Text cut at a byte budget without splitting a character. Exec output (local backends and nodes),
 * tool results and workspace reads are all capped in bytes; this lives at the bottom of `actors/`
 * (sandbox imports no other actor folder) so each of them can use it without a cycle.
 */

/** Bytes cut at an arbitrary point, as text: a last character split by the cut is dropped, not shown as U+FFFD. */
export const utf8Cut = (bytes: Buffer): string => {
  const text = bytes.toString("utf8");
  return text.endsWith("\uFFFD") ? text.slice(0, -1) : text;
};

/** The first `maxBytes` of `s` in UTF-8, never ending inside a character. */
export const utf8Prefix = (s: string, maxBytes: number): string =>
  Buffer.byteLength(s, "utf8") <= maxBytes ? s : utf8Cut(Buffer.from(s, "utf8").subarray(0, Math.max(0, maxBytes)));
