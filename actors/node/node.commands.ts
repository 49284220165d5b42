import * as Schema from "effect/Schema";
import type { SnapshotFrom } from "xstate";
import { CairnError, PairingRequest, type WireError } from "../../schemas/index.ts";
import { commandDecoder, type AggregateSpec, type CommandOf, type Decision, type DecideEnv } from "../runtime/index.ts";
import { NODE_MACHINE_VERSION, nodeMachine, type NodeAggregateContext } from "./node.machine.ts";
import { checkPairingRequest, fingerprintOf } from "./pairing.verify.ts";

/** Who gave a command (an operator's name, or "gateway"). */
export const By = Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(64));
const RequestId = Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(64));

/**
 * `request` carries what the decision needs from outside the aggregate: the client's address (from
 * the HTTP edge) and the pairing window's deadline (null = closed), read by the service just before.
 */
export const RequestPairing = Schema.Struct({
  request: PairingRequest,
  address: Schema.NullOr(Schema.String.check(Schema.isMaxLength(100))),
  windowUntil: Schema.NullOr(Schema.Number),
});
export const DecideRequest = Schema.Struct({ requestId: RequestId, by: By });
export const RevokeNode = Schema.Struct({ by: By });

const schemas = { request: RequestPairing, approve: DecideRequest, reject: DecideRequest, revoke: RevokeNode } as const;

export type NodeCommand = CommandOf<typeof schemas>;

/** A refused key shows up at most this often in the log per node: a flood cannot fill it. */
export const MISMATCH_ALERT_EVERY_MS = 60_000;

/** What node commands reply (besides `request`, which replies a `PairingRequestResult`). */
export const nodeView = (c: NodeAggregateContext) => ({
  nodeId: c.nodeId,
  name: c.name,
  status: c.status,
  requestId: c.requestId,
  fingerprint: c.fingerprint,
  publicKey: c.publicKey,
});
export type NodeView = ReturnType<typeof nodeView>;

/**
 * The reply of a refusal that still records something (the key-mismatch alert): the host appends
 * the event, then the service turns this into the caller's error.
 */
export interface Refusal {
  readonly refused: WireError;
}
export const isRefusal = (u: unknown): u is Refusal => typeof u === "object" && u !== null && "refused" in u;

type Snapshot = SnapshotFrom<typeof nodeMachine>;

export const nodeSpec: AggregateSpec<typeof nodeMachine, NodeCommand> = {
  kind: "node",
  machine: nodeMachine,
  machineVersion: NODE_MACHINE_VERSION,
  input: (id) => ({ id }),
  decodeCommand: commandDecoder("nodes", schemas),
  decide: (s, c, env) => decide(s, c, env),
};

const noPending = (requestId: string) =>
  new CairnError("node_not_found", `no pending request '${requestId}'; see cairn node pending`, { requestId });

const decide = (s: Snapshot, c: NodeCommand, env: DecideEnv): Decision => {
  const ctx = s.context;
  switch (c.verb) {
    case "request":
      return decideRequest(ctx, c.params, env);
    case "approve":
    case "reject": {
      const { requestId, by } = c.params;
      if (ctx.requestId !== requestId) throw noPending(requestId);
      const wanted = c.verb === "approve" ? "approved" : "rejected";
      // Answering twice the same way is a no-op; the other way round is a clear error.
      if (ctx.status === wanted) return { events: [], reply: nodeView(ctx) };
      if (ctx.status !== "pending") {
        throw new CairnError("bad_request", `request '${requestId}' of node '${ctx.nodeId}' is already ${ctx.status}`, {
          requestId,
          status: ctx.status,
        });
      }
      const type = c.verb === "approve" ? "node.approved" : "node.rejected";
      return { events: [{ type, data: { requestId, by } }], reply: nodeView({ ...ctx, status: wanted }) };
    }
    case "revoke": {
      if (ctx.status === "new")
        throw new CairnError("node_not_found", `no node '${ctx.nodeId}'; see cairn node list`, { nodeId: ctx.nodeId });
      if (ctx.status === "revoked") return { events: [], reply: nodeView(ctx) };
      if (ctx.status === "rejected") throw new CairnError("bad_request", `node '${ctx.nodeId}' was rejected; there is nothing to revoke`);
      return { events: [{ type: "node.revoked", data: { by: c.params.by } }], reply: nodeView({ ...ctx, status: "revoked" }) };
    }
  }
};

/**
 * A pairing request, in the order that keeps the window's promise (closed = nothing stored):
 * clock and signature, replay, the same key asking again (answered from state, nothing stored),
 * the window, trust on first use (another key for a live node: refused, alert recorded), record.
 */
const decideRequest = (ctx: NodeAggregateContext, p: typeof RequestPairing.Type, env: DecideEnv): Decision => {
  const r = p.request;
  checkPairingRequest(r, env.now);
  if (ctx.nonces.some((n) => n.nonce === r.nonce)) {
    throw new CairnError("unauthorized", "this pairing request was already received (replayed nonce)");
  }
  const fingerprint = fingerprintOf(r.publicKey);
  const live = ctx.status === "pending" || ctx.status === "approved";
  if (live && ctx.publicKey === r.publicKey) {
    if (ctx.requestId === null) throw new CairnError("internal", `node ${ctx.nodeId} is ${ctx.status} but has no pairing request id`);
    return { events: [], reply: { requestId: ctx.requestId, status: ctx.status, fingerprint } };
  }
  if (p.windowUntil === null || env.now >= p.windowUntil) {
    throw new CairnError("pairing_closed", "pairing is closed on this gateway; ask its owner to run 'cairn node pairing enable'");
  }
  if (live) {
    const refused: WireError = {
      code: "node_key_mismatch",
      message: `node '${ctx.nodeId}' is already paired with another key (${ctx.fingerprint}); this one (${fingerprint}) is refused`,
    };
    const alert = ctx.lastMismatchAt === null || env.now - ctx.lastMismatchAt >= MISMATCH_ALERT_EVERY_MS;
    const events = alert ? [{ type: "node.key_mismatch" as const, data: { publicKey: r.publicKey, fingerprint, address: p.address } }] : [];
    return { events, reply: { refused } satisfies Refusal };
  }
  const requestId = env.newId();
  return {
    events: [
      {
        type: "node.pairing_requested",
        data: {
          requestId,
          name: r.name,
          publicKey: r.publicKey,
          fingerprint,
          address: p.address,
          hostname: r.hostname,
          platform: r.platform,
          workingDir: r.workingDir,
          nonce: r.nonce,
        },
      },
    ],
    reply: { requestId, status: "pending", fingerprint },
  };
};
