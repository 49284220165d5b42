import { sessionTree, type SessionNode } from "./sessions.svelte.ts";
import type { SessionSummary } from "./wire.ts";

/** A heading of the chat list and the chats under it, in display order. */
export type SessionGroup = { readonly label: string; readonly nodes: readonly SessionNode[] };

const DAY_GROUPS: ReadonlyArray<readonly [days: number, label: string]> = [
  [0, "Today"],
  [1, "Yesterday"],
  [7, "Previous 7 days"],
  [30, "Previous 30 days"],
];

const month = new Intl.DateTimeFormat("en", { month: "long", year: "numeric" });

/**
 * The heading a chat last active at `at` goes under, seen at `now`: by local calendar day
 * (Today, Yesterday, Previous 7 days, Previous 30 days), then by month ("November 2026").
 */
export function dateGroupOf(at: number, now: number): string {
  for (const [days, label] of DAY_GROUPS) {
    const start = new Date(now);
    // setDate, not a subtraction of 24 h: a day with a clock change is 23 or 25 hours long.
    start.setHours(0, 0, 0, 0);
    start.setDate(start.getDate() - days);
    if (at >= start.getTime()) return label;
  }
  return month.format(at);
}

/**
 * The list as ChatGPT-style groups: pinned chats first, then by date of last activity. Forks stay
 * under their parent (in the parent's group); a fork pinned alone leads the Pinned group.
 */
export function groupSessions(list: readonly SessionSummary[], now: number): SessionGroup[] {
  const known = new Set(list.map((s) => s.key));
  const pinned = list.filter((s) => s.pinned);
  const groups: Array<{ label: string; nodes: SessionNode[] }> = [];
  if (pinned.length > 0) groups.push({ label: "Pinned", nodes: sessionTree(pinned, known) });
  for (const node of sessionTree(
    list.filter((s) => !s.pinned),
    known,
  )) {
    const last = groups.at(-1);
    if (node.depth > 0 && last) {
      last.nodes.push(node);
      continue;
    }
    const label = dateGroupOf(node.session.updatedAt, now);
    if (last && last.label === label) last.nodes.push(node);
    else groups.push({ label, nodes: [node] });
  }
  return groups;
}
