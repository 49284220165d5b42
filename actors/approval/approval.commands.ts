import * as Schema from "effect/Schema";
import type { SnapshotFrom } from "xstate";
import { ApprovalRequested, CairnError } from "../../schemas/index.ts";
import { commandDecoder, type CommandOf, type AggregateSpec, type Decision, type DecideEnv } from "../runtime/index.ts";
import { APPROVAL_MACHINE_VERSION, approvalMachine, type ApprovalContext } from "./approval.machine.ts";

export const RequestApproval = ApprovalRequested;
export const Approve = Schema.Struct({ by: Schema.optionalKey(Schema.String), always: Schema.optionalKey(Schema.Boolean) });
export const Deny = Schema.Struct({ by: Schema.optionalKey(Schema.String), reason: Schema.optionalKey(Schema.String) });
export const Expire = Schema.Struct({});

const schemas = { request: RequestApproval, approve: Approve, deny: Deny, expire: Expire } as const;

export type ApprovalCommand = CommandOf<typeof schemas>;

/** What every approval command replies: the approval's state after it (decided or not). */
export const approvalView = (c: ApprovalContext) => ({
  id: c.id,
  status: c.status,
  runId: c.runId,
  sessionKey: c.sessionKey,
  callId: c.callId,
  tool: c.tool,
  command: c.command,
  expiresAt: c.expiresAt,
  decidedBy: c.decidedBy,
  always: c.always,
  ...(c.denyReason !== null ? { reason: c.denyReason } : {}),
});
export type ApprovalView = ReturnType<typeof approvalView>;

type Snapshot = SnapshotFrom<typeof approvalMachine>;

export const approvalSpec: AggregateSpec<typeof approvalMachine, ApprovalCommand> = {
  kind: "approval",
  machine: approvalMachine,
  machineVersion: APPROVAL_MACHINE_VERSION,
  input: (id) => ({ id }),
  decodeCommand: commandDecoder("approvals", schemas),
  decide: (s, c, env) => decide(s, c, env),
};

/**
 * The first answer wins: the one decision event has the id `<id>-decided`, and an answer to a
 * decided approval writes nothing and replies the state it is in. An answer after the deadline
 * expires the approval instead (the deadline is part of the request, not of a timer).
 */
const decide = (s: Snapshot, c: ApprovalCommand, env: DecideEnv): Decision => {
  const ctx = s.context;
  const id = ctx.id;
  const with_ = (status: ApprovalContext["status"], extra: Partial<ApprovalContext> = {}) => approvalView({ ...ctx, status, ...extra });
  if (c.verb === "request") {
    if (ctx.status !== "new") return { events: [], reply: approvalView(ctx) };
    return {
      events: [{ type: "approval.requested", data: c.params }],
      eventIds: [`${id}-requested`],
      reply: approvalView({ ...ctx, ...c.params, status: "pending" }),
    };
  }
  if (ctx.status === "new") throw new CairnError("approval_not_found", `no approval '${id}'`);
  if (ctx.status !== "pending") return { events: [], reply: approvalView(ctx) };
  const decidedId = [`${id}-decided`];
  if (c.verb === "expire" || env.now >= ctx.expiresAt) {
    return { events: [{ type: "approval.expired", data: {} }], eventIds: decidedId, reply: with_("expired") };
  }
  const by = c.params.by ?? "user";
  if (c.verb === "approve") {
    const data = { by, ...(c.params.always ? { always: true } : {}) };
    return { events: [{ type: "approval.granted", data }], eventIds: decidedId, reply: with_("granted", { decidedBy: by }) };
  }
  const data = { by, ...(c.params.reason ? { reason: c.params.reason } : {}) };
  return {
    events: [{ type: "approval.denied", data }],
    eventIds: decidedId,
    reply: with_("denied", { decidedBy: by, denyReason: c.params.reason ?? null }),
  };
};
