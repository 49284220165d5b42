import type { ApprovalStatus, ApprovalSummary, LiveApproval, LiveToolCall, ToolCallRow, ToolCallStatus } from "./wire.ts";

/**
 * Tool cards: what the chat shows for each tool call of a run, merged from the `chat.tools` rows
 * (the truth, but behind) and the live `run.tool` / `run.approval` messages (ahead, but lossy).
 * Pure: no state, no requests.
 */
export type ToolCard = {
  /** The card's identity: run + call id, as the log keys calls (`cardKey`). */
  key: string;
  runId: string;
  callId: string;
  name: string;
  /** The arguments JSON text as the model wrote it ("" until known). */
  arguments: string;
  status: ToolCallStatus;
  /** When the call started running (server time from rows, the browser's from live messages). */
  startedAt: number | null;
  durationMs: number | null;
  output: string | null;
  truncated: boolean;
  isError: boolean;
  /** Workspace-relative path of the complete output, when the tool kept one. */
  fullOutput: string | null;
  approvalId: string | null;
  iteration: number | null;
  /**
   * Where in the reply's text the model made the call: the gateway's `textOffset` (live message or
   * row); until it is known, the reply's length when the card appeared; null when neither is.
   */
  anchor: number | null;
  /** Arrival order, to keep parallel calls in the order the model asked. */
  order: number;
  /** What a running call has printed so far (live only; the result replaces it). */
  liveOutput?: string;
};

/**
 * A tool call's identity: its run and its call id, as the log and the `tool_calls` read model key
 * it. Many OpenAI-compatible servers send `call_1` for every call, so a call id alone names a
 * different call in every run.
 */
export const cardKey = (runId: string, callId: string): string => `${runId}/${callId}`;

/** Keeps the live view of a running call short: the last lines are what a person watches. */
export const LIVE_OUTPUT_CHARS = 8_000;
export const withLiveOutput = (card: ToolCard, text: string): ToolCard => {
  const all = (card.liveOutput ?? "") + text;
  return { ...card, liveOutput: all.length > LIVE_OUTPUT_CHARS ? all.slice(all.length - LIVE_OUTPUT_CHARS) : all };
};

/** An approval as its card shows it. */
export type ApprovalCard = {
  approvalId: string;
  runId: string;
  callId: string;
  status: ApprovalStatus;
  command: string;
  /** Why it needs an approval. */
  reason: string | null;
  expiresAt: number | null;
  decidedBy: string | null;
  denyReason: string | null;
  always: boolean;
};

// Statuses only move forward: a late or replayed message never takes a card back.
const RANK: Record<ToolCallStatus, number> = {
  requested: 0,
  awaiting_approval: 1,
  started: 2,
  finished: 3,
  failed: 3,
  interrupted: 3,
};
export const isSettled = (s: ToolCallStatus): boolean => RANK[s] === 3;

export function cardFromRow(row: ToolCallRow, prev: ToolCard | undefined, order: number): ToolCard {
  const fromRow: ToolCard = {
    key: cardKey(row.runId, row.callId),
    runId: row.runId,
    callId: row.callId,
    name: row.name,
    arguments: row.arguments,
    status: row.status,
    startedAt: row.startedAt,
    durationMs: row.durationMs,
    output: row.output,
    truncated: row.truncated,
    isError: row.isError,
    fullOutput: row.fullOutput,
    approvalId: row.approvalId,
    iteration: row.iteration,
    // The gateway's offset is the truth; a live guess only stands in for rows that lack one.
    anchor: typeof row.textOffset === "number" ? row.textOffset : (prev?.anchor ?? null),
    order: prev?.order ?? order,
  };
  if (!prev || RANK[row.status] >= RANK[prev.status]) return fromRow;
  // The live side is further along: keep its state, fill in what only the row knows.
  return {
    ...prev,
    anchor: fromRow.anchor,
    arguments: prev.arguments || row.arguments,
    fullOutput: prev.fullOutput ?? row.fullOutput,
    approvalId: prev.approvalId ?? row.approvalId,
    iteration: prev.iteration ?? row.iteration,
    startedAt: prev.startedAt ?? row.startedAt,
  };
}

/**
 * Applies a live `run.tool` message. The card goes where the gateway says (`textOffset`, sent with
 * "requested"); `textLength`, the reply's length when the message arrived, is the stand-in for a
 * card first seen in a later message (a resumed stream) until the offset comes.
 */
export function cardFromLive(m: LiveToolCall, prev: ToolCard | undefined, order: number, textLength: number, now: number): ToolCard {
  const base: ToolCard = prev ?? {
    key: cardKey(m.runId, m.callId),
    runId: m.runId,
    callId: m.callId,
    name: m.name,
    arguments: "",
    status: "requested",
    startedAt: null,
    durationMs: null,
    output: null,
    truncated: false,
    isError: false,
    fullOutput: null,
    approvalId: null,
    iteration: null,
    anchor: textLength,
    order,
  };
  const card = {
    ...base,
    name: base.name || m.name,
    arguments: base.arguments || (m.arguments ?? ""),
    anchor: m.textOffset ?? base.anchor,
  };
  if (RANK[m.status] < RANK[card.status]) return card;
  if (RANK[m.status] === RANK[card.status] && isSettled(card.status) && card.output !== null) return card;
  card.status = m.status;
  if (m.status === "started") card.startedAt ??= now;
  if (m.output !== undefined) card.output = m.output;
  if (m.truncated !== undefined) card.truncated = m.truncated;
  if (m.durationMs !== undefined) card.durationMs = m.durationMs;
  if (m.fullOutput !== undefined) card.fullOutput = m.fullOutput;
  if (m.status === "failed") card.isError = true;
  return card;
}

/** A pending approval puts its call in `awaiting_approval` (unless it already moved on). */
export function cardAwaiting(card: ToolCard, a: LiveApproval): ToolCard {
  const next = { ...card, approvalId: card.approvalId ?? a.approvalId };
  if (a.status === "pending" && RANK[card.status] < RANK.awaiting_approval) next.status = "awaiting_approval";
  return next;
}

const APPROVAL_RANK: Record<ApprovalStatus, number> = { pending: 0, granted: 1, denied: 1, expired: 1 };

export function approvalFromLive(m: LiveApproval, prev: ApprovalCard | undefined): ApprovalCard {
  const base: ApprovalCard = prev ?? {
    approvalId: m.approvalId,
    runId: m.runId,
    callId: m.callId,
    status: m.status,
    command: m.command,
    reason: null,
    expiresAt: null,
    decidedBy: null,
    denyReason: null,
    always: false,
  };
  if (prev && APPROVAL_RANK[m.status] < APPROVAL_RANK[prev.status]) return prev;
  // The pending message carries why it asks; a denial's `reason` is the person's.
  const reason = m.status === "pending" ? (m.reason ?? base.reason) : base.reason;
  const denyReason = m.status === "denied" ? (m.reason ?? base.denyReason) : base.denyReason;
  const decidedBy = m.decidedBy ?? base.decidedBy;
  return {
    ...base,
    status: m.status,
    command: m.command || base.command,
    expiresAt: m.expiresAt ?? base.expiresAt,
    reason,
    denyReason,
    decidedBy,
  };
}

export function approvalFromSummary(s: ApprovalSummary, prev: ApprovalCard | undefined): ApprovalCard {
  const status = prev && APPROVAL_RANK[prev.status] > APPROVAL_RANK[s.status] ? prev.status : s.status;
  return {
    approvalId: s.id,
    runId: s.runId,
    callId: s.callId,
    status,
    command: s.command,
    reason: s.reason || prev?.reason || null,
    expiresAt: s.expiresAt,
    decidedBy: s.decidedBy ?? prev?.decidedBy ?? null,
    denyReason: s.denyReason ?? prev?.denyReason ?? null,
    always: s.always,
  };
}

/** A reply's text with its tool cards placed where the model made the calls. */
export type Segment = { kind: "text"; text: string; last: boolean } | { kind: "tools"; cards: ToolCard[] };

/**
 * Splits `text` at the cards' anchors. Cards without an anchor (rows of a gateway that did not
 * record the offset) go first: tools usually run before the answer that uses them.
 */
export function interleave(text: string, cards: readonly ToolCard[]): Segment[] {
  const sorted = [...cards].sort((a, b) => (a.anchor ?? -1) - (b.anchor ?? -1) || a.order - b.order);
  const out: Segment[] = [];
  let pos = 0;
  let group: ToolCard[] = [];
  let groupAt = -1;
  const flush = () => {
    if (group.length > 0) out.push({ kind: "tools", cards: group });
    group = [];
  };
  for (const c of sorted) {
    const at = Math.min(Math.max(c.anchor ?? 0, 0), text.length);
    if (group.length > 0 && at !== groupAt) flush();
    if (at > pos) {
      flush();
      out.push({ kind: "text", text: text.slice(pos, at), last: false });
      pos = at;
    }
    groupAt = at;
    group.push(c);
  }
  flush();
  if (pos < text.length) out.push({ kind: "text", text: text.slice(pos), last: true });
  const lastText = out.findLast((s) => s.kind === "text");
  for (const s of out) if (s.kind === "text") s.last = s === lastText;
  return out;
}

/** The shell command of an `exec` call, or null for other tools and unreadable arguments. */
export function execCommand(name: string, args: string): string | null {
  if (name !== "exec") return null;
  const v = parseJson(args);
  return v && typeof v === "object" && typeof (v as { command?: unknown }).command === "string" ? (v as { command: string }).command : null;
}

const parseJson = (s: string): unknown => {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
};

/** Arguments as indented JSON; the raw text when the model wrote something else. */
export function prettyArgs(args: string): string {
  const v = parseJson(args);
  return v === undefined ? args : JSON.stringify(v, null, 2);
}

/** A one-line summary of the arguments: `path: "notes.md", content: "- buy…"`. */
export function compactArgs(args: string, max = 90): string {
  const v = parseJson(args);
  let s: string;
  if (v && typeof v === "object" && !Array.isArray(v)) {
    s = Object.entries(v as Record<string, unknown>)
      .map(([k, x]) => `${k}: ${JSON.stringify(x)}`)
      .join(", ");
  } else {
    s = v === undefined ? args : JSON.stringify(v);
  }
  s = s.replace(/\s+/g, " ");
  return s.length > max ? `${s.slice(0, max - 1)}…` : s;
}

/** "850 ms", "3.2 s", "2 min 5 s". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
  const m = Math.floor(ms / 60_000);
  const s = Math.floor((ms % 60_000) / 1000);
  return s === 0 ? `${m} min` : `${m} min ${s} s`;
}

/** "4 min 32 s left", or null once the deadline passed. */
export function timeLeft(expiresAt: number | null, now: number): string | null {
  if (expiresAt === null) return null;
  const ms = expiresAt - now;
  if (ms <= 0) return null;
  const total = Math.ceil(ms / 1000);
  const m = Math.floor(total / 60);
  const s = total % 60;
  return m > 0 ? `${m} min ${s} s left` : `${s} s left`;
}

/** Long results start collapsed, so a chat with a big `grep` stays readable. */
export const isLongOutput = (s: string): boolean => s.length > 1200 || s.split("\n").length > 14;

/**
 * Who answered an approval, as a person reads it. The log records the principal's label: `web`
 * (the owner on this machine, no login), `session:<id>` (a signed-in browser), `key:<label>` (an API
 * key), `cli`, `token` (CAIRN_AUTH_TOKEN), or a channel's sender.
 */
export function approverName(by: string): string {
  if (by === "web" || by === "local" || by === "user") return "you (on this machine)";
  if (by === "cli") return "you (cairn CLI)";
  if (by === "token") return "the gateway's auth token";
  if (by.startsWith("session:")) return "you (signed in)";
  if (by.startsWith("key:")) return `API key “${by.slice(4)}”`;
  return by;
}

/**
 * How a settled call really ended, beyond its status: a call refused by a person is "denied" (or
 * "expired"), not "failed"; a command that exited non-zero, timed out or was killed did not
 * succeed although the tool itself worked. Null: the status says it all.
 */
export type Outcome =
  | { kind: "denied"; by: string | null }
  | { kind: "expired" }
  | { kind: "exit"; code: number }
  | { kind: "killed"; why: string };

export function outcomeOf(card: ToolCard, approval: ApprovalCard | undefined): Outcome | null {
  if (!isSettled(card.status)) return null;
  if (approval?.status === "denied") return { kind: "denied", by: approval.decidedBy };
  if (approval?.status === "expired") return { kind: "expired" };
  if (card.name !== "exec" || card.output === null) return null;
  // exec's result starts with how the command ended (after a disk quota line, when there is one).
  for (const line of card.output.split("\n", 3)) {
    const exit = /^exit code (-?\d+)$/.exec(line);
    if (exit) return Number(exit[1]) === 0 ? null : { kind: "exit", code: Number(exit[1]) };
    if (/^timed out after /.test(line)) return { kind: "killed", why: "timed out" };
    const killed = /^killed by (\S+)$/.exec(line);
    if (killed) return { kind: "killed", why: `killed by ${killed[1]}` };
  }
  return null;
}
