import type { NatsConnection } from "@nats-io/transport-node";
import * as Schema from "effect/Schema";
import { serve, subjects } from "../bus/index.ts";
import {
  Attachments,
  type ApprovalSummary,
  CairnError,
  GetHistory,
  ListSessions,
  ListToolCalls,
  MessageStatus,
  SessionKey,
  SessionMcp,
  WireError,
  decodeOrFail,
  methodParams,
  type GetHistoryResult,
  type SessionSummary,
  type SessionUsage,
} from "../schemas/index.ts";
import type { Db } from "./db.ts";
import { SqlBool, decodeRow, decodeRows } from "./rows.ts";
import { clip } from "./summary.ts";
import { toolCalls } from "./tools.queries.ts";

/** `q.sessions.get` params. */
export const GetSession = Schema.Struct({ sessionKey: SessionKey });
/** `q.sessions.get` result: the session's summary and its token totals. */
export interface GetSessionResult {
  readonly session: SessionSummary;
  readonly usage: SessionUsage;
}

const Text = Schema.String;
const Int = Schema.Number;
const OrNull = Schema.NullOr;

const SessionRow = Schema.Struct({
  key: Text,
  title: Text,
  model: OrNull(Text),
  created_at: Int,
  updated_at: Int,
  message_count: Int,
  active_run_id: OrNull(Text),
  first_user_text: OrNull(Text),
  runs: Int,
  input_tokens: Int,
  output_tokens: Int,
  cache_read_tokens: Int,
  cache_write_tokens: Int,
  parent_key: OrNull(Text),
  fork_point: OrNull(Int),
  label: OrNull(Text),
  sandbox: OrNull(Text),
  deleted_at: OrNull(Int),
  node: OrNull(Text),
  /** The session's MCP setting as JSON; null is every server. */
  mcp: OrNull(Schema.fromJsonString(SessionMcp)),
  pinned: SqlBool,
});
type SessionRow = typeof SessionRow.Type;

const ApprovalRow = Schema.Struct({
  id: Text,
  session_key: Text,
  run_id: Text,
  call_id: Text,
  tool: Text,
  command: Text,
  reason: Text,
  status: Schema.Literals(["pending", "granted", "denied", "expired"]),
  requested_at: Int,
  expires_at: Int,
  decided_at: OrNull(Int),
  decided_by: OrNull(Text),
  always: SqlBool,
  deny_reason: OrNull(Text),
});

const MessageRow = Schema.Struct({
  id: Text,
  role: Schema.Literals(["user", "assistant"]),
  text: Text,
  status: MessageStatus,
  run_id: OrNull(Text),
  at: Int,
  /** The failure as JSON (a WireError). */
  error: OrNull(Schema.fromJsonString(WireError)),
  /** A user message's files as JSON (references by hash; null: none). */
  attachments: OrNull(Schema.fromJsonString(Attachments)),
});

const ActiveRunRow = Schema.Struct({ run_id: Text, started_at: Int, model: Text });
const KeyRow = Schema.Struct({ key: Text });

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
  mcp: r.mcp ?? null,
  pinned: r.pinned,
});

/** A live session's row; a deleted one answers like one that never existed. */
const liveRow = (db: Db, sessionKey: string): SessionRow => {
  const row = decodeRow(SessionRow, db.prepare("SELECT * FROM sessions WHERE key = ? AND deleted_at IS NULL").get(sessionKey), "sessions");
  if (!row) throw new CairnError("session_not_found", `no session '${sessionKey}'`);
  return row;
};

/** `q.approvals.list` params (the WS method's, passed through): by status (default all), most recent first. */
const ListApprovals = methodParams["approvals.list"];
/** One row of `q.approvals.list`: the wire type, so the projection and the UI never drift. */
export type { ApprovalSummary };

/** Read-side queries over the projection database. Recency-ordered and bounded by default. */
export const queries = (getDb: () => Db) => ({
  listSessions: (limit = 100): SessionSummary[] =>
    decodeRows(
      SessionRow,
      getDb().prepare("SELECT * FROM sessions WHERE deleted_at IS NULL ORDER BY pinned DESC, updated_at DESC, key LIMIT ?").all(limit),
      "sessions",
    ).map(toSummary),

  /** One session with its usage totals (all its runs, fallbacks included). */
  session: (sessionKey: string): GetSessionResult => {
    const { usage, ...session } = toSummary(liveRow(getDb(), sessionKey));
    return { session, usage };
  },

  approvals: (status?: ApprovalSummary["status"], limit = 100): ApprovalSummary[] => {
    const rows = decodeRows(
      ApprovalRow,
      status
        ? getDb().prepare("SELECT * FROM approvals WHERE status = ? ORDER BY requested_at DESC, id LIMIT ?").all(status, limit)
        : getDb().prepare("SELECT * FROM approvals ORDER BY requested_at DESC, id LIMIT ?").all(limit),
      "approvals",
    );
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
      always: r.always,
      denyReason: r.deny_reason,
    }));
  },

  toolCalls: (sessionKey: string, limit?: number) => toolCalls(getDb(), sessionKey, limit),

  activeSessionKeys: (): string[] =>
    decodeRows(KeyRow, getDb().prepare("SELECT key FROM sessions WHERE active_run_id IS NOT NULL").all(), "sessions").map((r) => r.key),

  history: (sessionKey: string, limit = 200, checkpoint = 0): GetHistoryResult => {
    const db = getDb();
    const row = liveRow(db, sessionKey);
    // rowid breaks ties: a fork's copied messages share one sequence and were inserted in order.
    const rows = decodeRows(
      MessageRow,
      db
        .prepare(
          "SELECT * FROM (SELECT *, rowid AS r FROM messages WHERE session_key = ? ORDER BY seq DESC, r DESC LIMIT ?) ORDER BY seq ASC, r ASC",
        )
        .all(sessionKey, limit),
      "messages",
    );
    const run = row.active_run_id
      ? decodeRow(ActiveRunRow, db.prepare("SELECT run_id, started_at, model FROM runs WHERE run_id = ?").get(row.active_run_id), "runs")
      : undefined;
    return {
      session: toSummary(row),
      messages: rows.map((m) => ({
        id: m.id,
        role: m.role,
        text: m.text,
        status: m.status,
        runId: m.run_id,
        at: m.at,
        error: m.error,
        ...(m.attachments ? { attachments: m.attachments } : {}),
      })),
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
