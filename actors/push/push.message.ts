import type { AggregateKind, NewEvent, PushMessage } from "../../schemas/index.ts";

/** What a notification shows at most of a command or a reply: a phone shows about two lines. */
const EXCERPT_CHARS = 140;

const excerpt = (s: string): string => {
  const flat = s.replace(/\s+/g, " ").trim();
  return flat.length > EXCERPT_CHARS ? `${flat.slice(0, EXCERPT_CHARS - 1)}…` : flat;
};

const chat = (sessionKey: unknown): string => (typeof sessionKey === "string" ? `#/s/${encodeURIComponent(sessionKey)}` : "#/");

/**
 * The push a fact deserves, or null: an approval that waits for the user, and a reply that
 * finished. Runs of a channel's sender (Telegram) are not the owner's: their replies go there.
 * Pure, so what is sent for which event is tested without a push service.
 */
export const pushMessageOf = (kind: AggregateKind, id: string, e: NewEvent, context: unknown): PushMessage | null => {
  const c = (context ?? {}) as { sessionKey?: unknown; access?: unknown };
  if (kind === "approval" && e.type === "approval.requested") {
    const d = e.data as { sessionKey: string; tool: string; command: string };
    return { title: "Approval needed", body: excerpt(`${d.tool}: ${d.command}`), tag: `approval-${id}`, url: chat(d.sessionKey) };
  }
  if (kind === "run" && e.type === "run.completed" && c.access === undefined) {
    const text = (e.data as { text: string }).text;
    return {
      title: "Reply finished",
      body: excerpt(text) || "The agent finished its reply.",
      tag: `reply-${String(c.sessionKey)}`,
      url: chat(c.sessionKey),
    };
  }
  return null;
};
