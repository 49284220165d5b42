import type { Usage } from "../../schemas/index.ts";

/**
 * The paragraph break between the text of two model calls of one run, live and in the record:
 * none when the reply so far is empty or already ends with a blank line.
 */
export const separatorAfter = (text: string): string =>
  text.length === 0 || text.endsWith("\n\n") ? "" : text.endsWith("\n") ? "\n" : "\n\n";

/** The run's reply after one more model call said `next` (nothing said: unchanged). */
export const joinReplies = (text: string, next: string): string => (next.length === 0 ? text : text + separatorAfter(text) + next);

/** Usage summed over the model calls of a run (null while no call reported any). */
export const addUsage = (a: Usage | null, b: Usage | null | undefined): Usage | null => {
  if (!a || !b) return a ?? b ?? null;
  const sum = (x?: number, y?: number) => (x === undefined && y === undefined ? undefined : (x ?? 0) + (y ?? 0));
  const cacheRead = sum(a.cacheReadTokens, b.cacheReadTokens);
  const cacheWrite = sum(a.cacheWriteTokens, b.cacheWriteTokens);
  return {
    inputTokens: a.inputTokens + b.inputTokens,
    outputTokens: a.outputTokens + b.outputTokens,
    ...(cacheRead !== undefined ? { cacheReadTokens: cacheRead } : {}),
    ...(cacheWrite !== undefined ? { cacheWriteTokens: cacheWrite } : {}),
  };
};
