import type { SessionExportFormat, SessionSummary, WireError } from "./wire.ts";

/** What a chat in the list can have done to it; each resolves to why it could not, or null. */
export interface SessionActions {
  rename?: (key: string, title: string) => Promise<WireError | null>;
  pin?: (key: string, pinned: boolean) => Promise<WireError | null>;
  exportAs?: (key: string, format: SessionExportFormat) => Promise<WireError | null>;
  /** Deletes a session (its forks stay). */
  remove?: (key: string) => Promise<WireError | null>;
}

/** A session in the sidebar's tree: forks nest under their parent. */
export type SessionNode = { session: SessionSummary; depth: number; orphan: boolean };

/**
 * The list as a tree in display order: roots most recent first, each followed by its forks (most
 * recent first, recursively). A fork whose parent is not in `list` shows at the top level; it is
 * an orphan when its parent is not among `known` either (deleted).
 */
export function sessionTree(list: readonly SessionSummary[], known: ReadonlySet<string> = new Set(list.map((s) => s.key))): SessionNode[] {
  const keys = new Set(list.map((s) => s.key));
  const children = new Map<string, SessionSummary[]>();
  const roots: SessionSummary[] = [];
  for (const s of list) {
    const parent = s.parentKey ?? null;
    if (parent !== null && parent !== s.key && keys.has(parent)) {
      const c = children.get(parent) ?? [];
      c.push(s);
      children.set(parent, c);
    } else roots.push(s);
  }
  const out: SessionNode[] = [];
  const seen = new Set<string>();
  const walk = (s: SessionSummary, depth: number) => {
    if (seen.has(s.key)) return; // a cycle in bad data must not hang the page
    seen.add(s.key);
    out.push({ session: s, depth, orphan: depth === 0 && !!s.parentKey && !known.has(s.parentKey) });
    for (const c of children.get(s.key) ?? []) walk(c, depth + 1);
  };
  for (const r of roots) walk(r, 0);
  // Whatever a cycle kept out still shows.
  for (const s of list) if (!seen.has(s.key)) walk(s, 0);
  return out;
}

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
