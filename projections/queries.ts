import type { NatsConnection } from "@nats-io/transport-node";
import * as Schema from "effect/Schema";
import { serve, subjects } from "../bus/index.ts";
import {
  CairnError,
  GetHistory,
  ListSessions,
  ListToolCalls,
  SessionKey,
  decodeOrFail,
  methodParams,
  type GetHistoryResult,
  type HistoryMessage,
  type SessionSummary,
  type SessionUsage,
} from "../schemas/index.ts";
import type { Db } from "./db.ts";
import { clip } from "./summary.ts";
import { toolCalls } from "./tools.queries.ts";

/** `q.sessions.get` params. */
export const GetSession = Schema.Struct({ sessionKey: SessionKey });
/** `q.sessions.get` result: the session's summary and its token totals. */
export interface GetSessionResult {
  readonly session: SessionSummary;
  readonly usage: SessionUsage;
}

interface SessionRow {
  key: string;
  title: string;
  model: string | null;
  created_at: number;
  updated_at: number;
  message_count: number;
  active_run_id: string | null;
  first_user_text: string | null;
  runs: number;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  cache_write_tokens: number;
  parent_key: string | null;
  fork_point: number | null;
  label: string | null;
  sandbox: string | null;
  deleted_at: number | null;
  node: string | null;
}

const toUsage = (r: SessionRow): SessionUsage => ({
  inputTokens: r.input_tokens,
  outputTokens: r.output_tokens,
  cacheReadTokens: r.cache_read_tokens,
  cacheWriteTokens: r.cache_write_tokens,
  runs: r.runs,
});

/**
 * A session's summary; its display title is its own, else its first message, else a placeholder.
 * `usage` rides along for readers that know it (the UI's header); the `SessionSummary` schema
 * lets it through only once it names the field.
 */
const toSummary = (r: SessionRow): SessionSummary & { usage: SessionUsage } => ({
  key: r.key,
  title: r.title || (r.first_user_text ? clip(r.first_user_text, 60) : "New chat"),
  model: r.model,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  messageCount: r.message_count,
  activeRunId: r.active_run_id,
  usage: toUsage(r),
  // A fork keeps naming its parent after the parent is deleted; the UI then shows it top-level.
  parentKey: r.parent_key,
  forkPoint: r.fork_point,
  label: r.label,
  sandbox: r.sandbox,
  node: r.node ?? null,
});

/** A live session's row; a deleted one answers like one that never existed. */
const liveRow = (db: Db, sessionKey: string): SessionRow => {
  const row = db.prepare("SELECT * FROM sessions WHERE key = ? AND deleted_at IS NULL").get(sessionKey) as SessionRow | undefined;
  if (!row) throw new CairnError("session_not_found", `no session '${sessionKey}'`);
  return row;
};

/** `q.approvals.list` params (the WS method's, passed through): by status (default all), most recent first. */
const ListApprovals = methodParams["approvals.list"];
/** One row of `q.approvals.list`. */
export interface ApprovalSummary {
  readonly id: string;
  readonly sessionKey: string;
  readonly runId: string;
  readonly callId: string;
  readonly tool: string;
  readonly command: string;
  readonly reason: string;
  readonly status: "pending" | "granted" | "denied" | "expired";
  readonly requestedAt: number;
  readonly expiresAt: number;
  readonly decidedAt: number | null;
  readonly decidedBy: string | null;
  readonly always: boolean;
  readonly denyReason: string | null;
}

/** Read-side queries over the projection database. Recency-ordered and bounded by default. */
export const queries = (getDb: () => Db) => ({
  listSessions: (limit = 100): SessionSummary[] =>
    (getDb().prepare("SELECT * FROM sessions WHERE deleted_at IS NULL ORDER BY updated_at DESC, key LIMIT ?").all(limit) as SessionRow[]).map(toSummary),

  /** One session with its usage totals (all its runs, fallbacks included). */
  session: (sessionKey: string): GetSessionResult => {
    const { usage, ...session } = toSummary(liveRow(getDb(), sessionKey));
    return { session, usage };
  },

  approvals: (status?: ApprovalSummary["status"], limit = 100): ApprovalSummary[] => {
    const rows = (
      status
        ? getDb().prepare("SELECT * FROM approvals WHERE status = ? ORDER BY requested_at DESC, id LIMIT ?").all(status, limit)
        : getDb().prepare("SELECT * FROM approvals ORDER BY requested_at DESC, id LIMIT ?").all(limit)
    ) as Array<Record<string, any>>;
    return rows.map((r) => ({
      id: r.id,
      sessionKey: r.session_key,
      runId: r.run_id,
      callId: r.call_id,
      tool: r.tool,
      command: r.command,
      reason: r.reason,
      status: r.status,
      requestedAt: r.requested_at,
      expiresAt: r.expires_at,
      decidedAt: r.decided_at,
      decidedBy: r.decided_by,
      always: r.always === 1,
      denyReason: r.deny_reason,
    }));
  },

  toolCalls: (sessionKey: string, limit?: number) => toolCalls(getDb(), sessionKey, limit),

  activeSessionKeys: (): string[] =>
    (getDb().prepare("SELECT key FROM sessions WHERE active_run_id IS NOT NULL").all() as { key: string }[]).map((r) => r.key),

  history: (sessionKey: string, limit = 200, checkpoint = 0): GetHistoryResult => {
    const db = getDb();
    const row = liveRow(db, sessionKey);
    // rowid breaks ties: a fork's copied messages share one sequence and were inserted in order.
    const rows = db
      .prepare("SELECT * FROM (SELECT *, rowid AS r FROM messages WHERE session_key = ? ORDER BY seq DESC, r DESC LIMIT ?) ORDER BY seq ASC, r ASC")
      .all(sessionKey, limit) as Array<{ id: string; role: "user" | "assistant"; text: string; status: HistoryMessage["status"]; run_id: string | null; at: number; error: string | null }>;
    const run = row.active_run_id
      ? (db.prepare("SELECT run_id, started_at, model FROM runs WHERE run_id = ?").get(row.active_run_id) as
          | { run_id: string; started_at: number; model: string }
          | undefined)
      : undefined;
    return {
      session: toSummary(row),
      messages: rows.map((m) => ({ id: m.id, role: m.role, text: m.text, status: m.status, runId: m.run_id, at: m.at, error: m.error ? JSON.parse(m.error) : null })),
      activeRun: run ? { runId: run.run_id, startedAt: run.started_at, model: run.model } : null,
      checkpoint,
    };
  },
});

export type Queries = ReturnType<typeof queries>;

/** Answers `q.sessions.list`, `q.sessions.get`, `q.sessions.active` and `q.messages.history` over NATS. */
export const serveQueries = (nc: NatsConnection, q: Queries, checkpoint: () => number) => [
  serve(nc, subjects.query("sessions", "list"), (p) => {
    const params = decodeOrFail(ListSessions, p, "sessions.list params");
    return { sessions: q.listSessions(params.limit) };
  }),
  serve(nc, subjects.query("sessions", "get"), (p) => q.session(decodeOrFail(GetSession, p, "sessions.get params").sessionKey)),
  serve(nc, subjects.query("approvals", "list"), (p) => {
    const params = decodeOrFail(ListApprovals, p ?? {}, "approvals.list params");
    return { approvals: q.approvals(params.status, params.limit), checkpoint: checkpoint() };
  }),
  serve(nc, subjects.query("sessions", "active"), () => ({ keys: q.activeSessionKeys() })),
  serve(nc, subjects.query("tools", "list"), (p) => {
    const params = decodeOrFail(ListToolCalls, p, "chat.tools params");
    return { calls: q.toolCalls(params.sessionKey, params.limit), checkpoint: checkpoint() };
  }),
  serve(nc, subjects.query("messages", "history"), (p) => {
    const params = decodeOrFail(GetHistory, p, "chat.history params");
    return q.history(params.sessionKey, params.limit, checkpoint());
  }),
];
