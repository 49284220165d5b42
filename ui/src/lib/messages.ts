import type { Attachment, HistoryMessage, MessageStatus, RunStatus, WireError } from "./wire.ts";

/** An assistant reply as it streams in over `run.*` events, before history has it. */
export type LiveRun = {
  runId: string;
  /** The deltas received so far, joined in index order. */
  text: string;
  status: MessageStatus;
  error: WireError | null;
  at: number;
};

/** A user message sent from this page that history does not contain yet. */
export type Outgoing = {
  id: string;
  text: string;
  at: number;
  state: "sending" | "retrying" | "sent";
  attempts: number;
  /** Files sent with it (already uploaded). */
  attachments?: readonly Attachment[];
};

export type ViewStatus = MessageStatus | "pending";

/** One bubble in the chat pane. */
export type ChatMessage = {
  id: string;
  role: "user" | "assistant";
  text: string;
  status: ViewStatus;
  error: WireError | null;
  at: number;
  /** Fallback notices of the run that wrote this reply ("… switched to …"). */
  notices?: readonly string[];
  /** The run that wrote this reply (its tool cards belong here). */
  runId?: string | null;
  /** Position in the history the gateway holds, for "fork from here"; absent until recorded. */
  historyIndex?: number;
  /** Files the user sent with it: thumbnails and file chips. */
  attachments?: readonly Attachment[];
};

/** Bubbles of history messages, by the message they show (history arrays are replaced, not edited). */
const settled = new WeakMap<HistoryMessage, ChatMessage>();

export const runStatusToMessage = (s: RunStatus): MessageStatus => (s === "completed" ? "complete" : s);

/** Run ids whose final assistant message history already holds. */
export const finishedRuns = (history: readonly HistoryMessage[]): Set<string> =>
  new Set(history.filter((m) => m.role === "assistant" && m.runId !== null && m.status !== "streaming").map((m) => m.runId as string));

/**
 * The bubbles to show: history first (the truth), with a still-streaming history message
 * overlaid by its live text when that is further along; then messages sent from here that
 * history has not caught up with; then live replies history does not hold yet. A live reply
 * disappears once history has the final message of its run.
 */
export function mergeMessages(
  history: readonly HistoryMessage[],
  outgoing: readonly Outgoing[],
  runs: readonly LiveRun[],
  notices: Readonly<Record<string, readonly string[]>> = {},
): ChatMessage[] {
  const done = finishedRuns(history);
  const live = new Map(runs.map((r) => [r.runId, r]));
  const used = new Set<string>();
  const out: ChatMessage[] = [];

  for (const [historyIndex, m] of history.entries()) {
    const runId = m.role === "assistant" ? m.runId : null;
    const r = m.status === "streaming" && m.runId ? live.get(m.runId) : undefined;
    // A user message may name the run it started too: notices belong to the reply.
    const n = m.role === "assistant" && m.runId ? notices[m.runId] : undefined;
    if (r) {
      used.add(r.runId);
      const text = r.text.length >= m.text.length ? r.text : m.text;
      out.push({ id: m.id, role: m.role, text, status: r.status, error: r.error ?? m.error, at: m.at, notices: n, runId, historyIndex });
    } else {
      // The same bubble object for an unchanged history message: its component then skips the
      // update when a live reply below it changes (every frame while one streams).
      const seen = settled.get(m);
      if (seen && seen.historyIndex === historyIndex && seen.notices === n) out.push(seen);
      else {
        const b: ChatMessage = {
          id: m.id,
          role: m.role,
          text: m.text,
          status: m.status,
          error: m.error,
          at: m.at,
          notices: n,
          runId,
          historyIndex,
          ...(m.attachments ? { attachments: m.attachments } : {}),
        };
        settled.set(m, b);
        out.push(b);
      }
    }
  }
  const known = new Set(history.map((m) => m.id));
  for (const o of outgoing) {
    if (known.has(o.id)) continue;
    const status = o.state === "sent" ? "complete" : "pending";
    out.push({
      id: o.id,
      role: "user",
      text: o.text,
      status,
      error: null,
      at: o.at,
      ...(o.attachments ? { attachments: o.attachments } : {}),
    });
  }
  for (const r of runs) {
    if (used.has(r.runId) || done.has(r.runId)) continue;
    out.push({
      id: `run-${r.runId}`,
      role: "assistant",
      text: r.text,
      status: r.status,
      error: r.error,
      at: r.at,
      notices: notices[r.runId],
      runId: r.runId,
    });
  }
  return out;
}

/**
 * `shown` with its end replaced by `tail` (the newest messages): from the first tail message on,
 * the tail is the truth. Null when the tail does not reach back into `shown` (more changed than it
 * holds), so the caller fetches everything. At most `limit` messages are kept.
 */
export const mergeTail = (
  shown: readonly HistoryMessage[],
  tail: readonly HistoryMessage[],
  limit: number,
): readonly HistoryMessage[] | null => {
  if (tail.length === 0) return shown.length === 0 ? tail : null;
  const at = shown.findIndex((m) => m.id === tail[0].id);
  // A tail shorter than asked is the whole history; otherwise it must overlap what is shown.
  if (at < 0 && shown.length > 0) return null;
  const merged = [...shown.slice(0, Math.max(0, at)), ...tail];
  return merged.length > limit ? merged.slice(merged.length - limit) : merged;
};
