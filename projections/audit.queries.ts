import type { NatsConnection } from "@nats-io/transport-node";
import { serve, subjects } from "../bus/index.ts";
import { ListAudit, decodeOrFail, type AuditEntry, type AuditStep } from "../schemas/index.ts";
import type { Db } from "./db.ts";
import { AUDIT_COLUMNS, AuditRow, auditStep } from "./audit.rows.ts";
import { decodeRow, decodeRows } from "./rows.ts";

/** `cairn audit`: decisions, newest last, each with the causation chain that led to it. */

/** Causes followed per decision: a chain longer than this is cut (a run of many iterations). */
const MAX_CHAIN = 24;

export const auditQueries = (db: () => Db) => ({
  list(p: ListAudit): AuditEntry[] {
    const where: string[] = [];
    const args: unknown[] = [];
    if (!p.all) where.push("category IS NOT NULL");
    if (p.sessionKey !== undefined) where.push("session_key = ?") && args.push(p.sessionKey);
    if (p.runId !== undefined) where.push("run_id = ?") && args.push(p.runId);
    if (p.since !== undefined) where.push("time >= ?") && args.push(p.since);
    if (p.category !== undefined) where.push("category = ?") && args.push(p.category);
    // An actor kind is the prefix of `kind:id`; '%' and '_' cannot occur in a kind.
    if (p.actor !== undefined) where.push("actor LIKE ?") && args.push(`${p.actor}:%`);
    const sql = `SELECT ${AUDIT_COLUMNS} FROM audit ${where.length ? `WHERE ${where.join(" AND ")}` : ""} ORDER BY seq DESC LIMIT ?`;
    const rows = decodeRows(
      AuditRow,
      db()
        .prepare(sql)
        .all(...args, p.limit ?? 200),
      "audit",
    ).reverse();
    const byId = db().prepare(`SELECT ${AUDIT_COLUMNS} FROM audit WHERE event_id = ? ORDER BY seq LIMIT 1`);
    const firstOf = db().prepare(`SELECT ${AUDIT_COLUMNS} FROM audit WHERE kind = ? AND aggregate_id = ? ORDER BY seq LIMIT 1`);
    const chainOf = (r: AuditRow): AuditStep[] => {
      const chain: AuditStep[] = [];
      const seen = new Set([r.event_id]);
      let cur: AuditRow | undefined = r;
      if (!r.causation_id) {
        // A person's answer has no cause in the log: what it answers is its aggregate's first event.
        const first = decodeRow(AuditRow, firstOf.get(r.kind, r.aggregate_id), "audit");
        cur = first && first.seq !== r.seq ? first : undefined;
        if (cur) chain.push(auditStep(cur)) && seen.add(cur.event_id);
      }
      while (cur?.causation_id && chain.length < MAX_CHAIN && !seen.has(cur.causation_id)) {
        seen.add(cur.causation_id);
        cur = decodeRow(AuditRow, byId.get(cur.causation_id), "audit");
        if (cur) chain.push(auditStep(cur));
      }
      return chain;
    };
    return rows.map((r) => ({
      ...auditStep(r),
      category: r.category,
      sessionKey: r.session_key,
      runId: r.run_id,
      correlationId: r.correlation_id,
      causationId: r.causation_id,
      chain: chainOf(r),
    }));
  },
});

export type AuditQueries = ReturnType<typeof auditQueries>;

/** Answers `q.audit.list` over NATS. */
export const serveAuditQueries = (nc: NatsConnection, q: AuditQueries, checkpoint: () => number) => [
  serve(nc, subjects.query("audit", "list"), (p) => ({
    entries: q.list(decodeOrFail(ListAudit, p ?? {}, "audit.list params")),
    checkpoint: checkpoint(),
  })),
];
