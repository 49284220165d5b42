import * as Schema from "effect/Schema";

/**
 * The audit trail's contract: who acted (the `Cairn-Actor` header's kinds), which events are
 * decisions worth auditing (by category), and the `q.audit.list` query with its causation chains.
 */

export const ACTOR_KINDS = ["user", "agent", "cron", "node", "hook", "channel", "system"] as const;
export const ActorKind = Schema.Literals(ACTOR_KINDS);
export type ActorKind = typeof ActorKind.Type;

export const AuditCategory = Schema.Literals(["tool", "approval", "auth", "config", "node"]);
export type AuditCategory = typeof AuditCategory.Type;

const CONFIG_TYPES = new Set(["session.model_set", "session.sandbox_set", "session.node_set"]);

/** The decision category of an event type; null for events that are not decisions (messages, run progress). */
export const auditCategoryOf = (type: string): AuditCategory | null => {
  if (type.startsWith("run.tool_")) return "tool";
  if (type.startsWith("approval.")) return "approval";
  if (type.startsWith("auth.")) return "auth";
  if (type.startsWith("node.") || type.startsWith("pairing.")) return "node";
  if (type.startsWith("settings.") || type.startsWith("cron.job.") || CONFIG_TYPES.has(type)) return "config";
  return null;
};

export const ListAudit = Schema.Struct({
  sessionKey: Schema.optionalKey(Schema.String),
  runId: Schema.optionalKey(Schema.String),
  /** Epoch ms: decisions at or after it. */
  since: Schema.optionalKey(Schema.Number),
  actor: Schema.optionalKey(ActorKind),
  category: Schema.optionalKey(AuditCategory),
  /** Every event, not only decisions. */
  all: Schema.optionalKey(Schema.Boolean),
  limit: Schema.optionalKey(Schema.Number.check(Schema.isInt(), Schema.isBetween({ minimum: 1, maximum: 10_000 }))),
});
export type ListAudit = typeof ListAudit.Type;

/** One event of the trail, as the audit table holds it (the log holds the data at `seq`). */
export const AuditStep = Schema.Struct({
  seq: Schema.Number,
  time: Schema.Number,
  kind: Schema.String,
  aggregateId: Schema.String,
  type: Schema.String,
  eventId: Schema.String,
  actor: Schema.NullOr(Schema.String),
  summary: Schema.String,
});
export type AuditStep = typeof AuditStep.Type;

export const AuditEntry = Schema.Struct({
  ...AuditStep.fields,
  category: Schema.NullOr(AuditCategory),
  sessionKey: Schema.NullOr(Schema.String),
  runId: Schema.NullOr(Schema.String),
  correlationId: Schema.NullOr(Schema.String),
  causationId: Schema.NullOr(Schema.String),
  /**
   * Why it happened, nearest cause first: the event its causation id names, that event's cause,
   * and so on to the request that began the work. An event with no cause of its own (a person's
   * answer) starts from its aggregate's first event (the approval it answers).
   */
  chain: Schema.Array(AuditStep),
});
export type AuditEntry = typeof AuditEntry.Type;

export const ListAuditResult = Schema.Struct({ entries: Schema.Array(AuditEntry), checkpoint: Schema.Number });
export type ListAuditResult = typeof ListAuditResult.Type;
