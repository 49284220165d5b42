import { decode as decodeJwt, type Account } from "@nats-io/jwt";
import type { NatsConnection } from "@nats-io/transport-node";
import * as Schema from "effect/Schema";
import {
  PAIRING_WINDOW_ID,
  checkStatusRequest,
  isRefusal,
  nodeHosts,
  windowAt,
  type NodeAggregateContext,
  type RevokedParams,
} from "../../actors/node/index.ts";
import { serve, subjects, type EventLog, type SnapshotStore } from "../../bus/index.ts";
import { connectNats, currentAppAccountJwt, mintUserJwt, revokeUser, type NatsAuth, type NatsTls, type UserPermissions } from "../../bus/server/index.ts";
import { getNode, listNodes, nodeIdForRequest, type Db, type NodeRecord } from "../../projections/index.ts";
import {
  CairnError,
  PairingRequest,
  PairingStatusRequest,
  decodeOrFail,
  methodParams,
  NodeId,
  type NodeSummary,
  type NodeTelemetry,
  type PairingStatusResult,
  type PairingWindow,
} from "../../schemas/index.ts";

/** What the node service needs of live presence (engineer C's `trackNodePresence` satisfies it). */
export interface PresenceView {
  isOnline(nodeId: string): boolean;
  lastSeenAt(nodeId: string): number | null;
  telemetry(nodeId: string): NodeTelemetry | null;
  forget?(nodeId: string): void;
}

export interface NodeServicesOptions {
  readonly nc: NatsConnection;
  readonly natsUrl: string;
  readonly log: EventLog;
  readonly snapshots: SnapshotStore;
  /** The projections database (it is swapped by a rebuild, hence a getter). */
  readonly db: () => Db;
  readonly projector: { waitFor(seq: number): Promise<void> };
  /** The embedded server's identity; null with an external NATS (`CAIRN_NATS_URL`): no pairing. */
  readonly auth: NatsAuth | null;
  /** The embedded server's certificate when it requires TLS: sent to nodes with their JWT. */
  readonly tls?: NatsTls | null;
  /** The embedded server's client port (given to nodes with their JWT). */
  readonly natsPort: number | null;
  /** `[nodes] advertise_url`: given to nodes instead of the port when set. */
  readonly advertiseUrl: string | null;
  /** `[nodes] pairing_minutes`: the window's default length. */
  readonly pairingMinutes: number;
  readonly presence: PresenceView;
  readonly report: (line: string) => void;
  readonly now?: () => number;
  readonly newId?: () => string;
}

const Forwarded = <S extends Schema.Top>(request: S) =>
  Schema.Struct({ request, address: Schema.optionalKey(Schema.NullOr(Schema.String.check(Schema.isMaxLength(100)))) });
const PairForwarded = Forwarded(PairingRequest);
const StatusForwarded = Forwarded(PairingStatusRequest);
const DecideParams = Schema.Struct({ requestId: Schema.String.check(Schema.isMaxLength(64)), by: Schema.optionalKey(Schema.String.check(Schema.isMaxLength(64))) });
const RevokeParams = Schema.Struct({ nodeId: NodeId, by: Schema.optionalKey(Schema.String.check(Schema.isMaxLength(64))) });
const PairingParams = Schema.Struct({
  open: Schema.Boolean,
  minutes: Schema.optionalKey(Schema.Number.check(Schema.isBetween({ minimum: 1, maximum: 1440 }))),
  by: Schema.optionalKey(Schema.String.check(Schema.isMaxLength(64))),
});

/**
 * A node may publish only on its own `out.>`, listen only on its own `in.>` and its private reply
 * inbox, and answer the requests it receives. No JetStream API, no events, no other node.
 */
export const nodePermissions = (nodeId: string): UserPermissions => ({
  pub: { allow: [subjects.nodeOutAll(nodeId)] },
  sub: { allow: [subjects.nodeInAll(nodeId), `${subjects.nodeInbox(nodeId)}.>`] },
  allowResponses: true,
});

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const summary = (r: NodeRecord, presence: PresenceView): NodeSummary => {
  const live = r.status === "approved";
  return {
    nodeId: r.nodeId,
    name: r.name,
    fingerprint: r.fingerprint,
    status: r.status,
    online: live && presence.isOnline(r.nodeId),
    lastSeenAt: presence.lastSeenAt(r.nodeId),
    requestId: r.requestId,
    requestedAt: r.requestedAt,
    address: r.address,
    hostname: r.hostname,
    platform: r.platform,
    workingDir: r.workingDir,
    approvedAt: r.approvedAt,
    telemetry: live ? presence.telemetry(r.nodeId) : null,
    alerts: r.alerts,
  };
};

/**
 * The gateway's node service, the single writer of `evt.node.*` and `evt.pairing.window`:
 * `admin.nodes.pair_request | pair_status` (forwarded by the HTTP edge), `admin.nodes.approve |
 * reject | revoke | pairing`, `q.nodes.list`, `q.nodes.pairing`. Approval mints the node's user
 * JWT on each status poll (it is bound to the node's key and useless without its seed, so nothing
 * secret is stored); revocation pushes the key's revocation to the server, which drops it at once.
 */
/** How long a status poll of a pending request is held open waiting for the decision. */
export const STATUS_HOLD_MS = 4_000;

/** In-process wake-ups of held status polls (the decision itself is in the log). */
const wakeups = () => {
  const waiting = new Map<string, Set<() => void>>();
  return {
    wait: (id: string, ms: number) =>
      new Promise<void>((resolve) => {
        const set = waiting.get(id) ?? new Set();
        waiting.set(id, set);
        const done = () => {
          clearTimeout(timer);
          set.delete(done);
          if (set.size === 0) waiting.delete(id);
          resolve();
        };
        const timer = setTimeout(done, ms);
        set.add(done);
      }),
    wake: (id: string) => {
      for (const done of [...(waiting.get(id) ?? [])]) done();
    },
    wakeAll: () => {
      for (const set of [...waiting.values()]) for (const done of [...set]) done();
    },
  };
};

export async function startNodeServices(o: NodeServicesOptions) {
  const now = o.now ?? Date.now;
  const newId = o.newId ?? (() => crypto.randomUUID().replaceAll("-", "").slice(0, 20));
  let systemNc: NatsConnection | undefined;
  // Claim updates (revocations) go through the system account.
  if (o.auth) {
    const tls = o.tls ? { tls: { caFile: o.tls.certFile } } : {};
    systemNc = await connectNats({ url: o.natsUrl, credsFile: o.auth.creds.system, name: "cairn-gateway-system", ...tls });
  }
  const tlsReply = o.tls ? { natsCaPem: o.tls.certPem, natsCertFingerprint: o.tls.fingerprint } : {};

  const onRevoked = async (p: RevokedParams) => {
    o.presence.forget?.(p.nodeId);
    if (!o.auth || !systemNc) return;
    await revokeUser(o.auth, systemNc, p.publicKey, new Date(p.at));
  };
  const { nodes, pairing } = nodeHosts({ log: o.log, snapshots: o.snapshots, now, newId, report: o.report }, { onRevoked });

  const requireEmbedded = (): NatsAuth => {
    if (!o.auth) {
      throw new CairnError("unavailable", "node pairing needs the gateway's embedded NATS server; with CAIRN_NATS_URL, issue node credentials on that server yourself");
    }
    return o.auth;
  };

  const decided = wakeups();

  // The window closes itself: a timer records the close at the deadline (re-armed after a restart).
  let windowTimer: NodeJS.Timeout | undefined;
  const currentWindow = async (): Promise<PairingWindow> => windowAt((await pairing.read(PAIRING_WINDOW_ID)).snapshot.context, now());
  const armWindow = async () => {
    if (windowTimer) clearTimeout(windowTimer);
    windowTimer = undefined;
    const ctx = (await pairing.read(PAIRING_WINDOW_ID)).snapshot.context;
    if (!ctx.open || ctx.until === null) return;
    windowTimer = setTimeout(() => {
      void pairing.execute(PAIRING_WINDOW_ID, { verb: "expire", params: {} }).catch((e) => o.report(`closing the pairing window failed: ${(e as Error).message}`));
    }, Math.max(0, ctx.until - now()) + 50);
    windowTimer.unref();
  };
  await armWindow();

  /** The node of a request id; the read model may trail the log by a moment, so catch up once. */
  const nodeOfRequest = async (requestId: string): Promise<string> => {
    const found = nodeIdForRequest(o.db(), requestId);
    if (found) return found;
    await o.projector.waitFor(await o.log.lastSeq());
    const again = nodeIdForRequest(o.db(), requestId);
    if (!again) throw new CairnError("node_not_found", `no pending request '${requestId}'; see cairn node pending`, { requestId });
    return again;
  };

  const readNode = async (nodeId: string): Promise<NodeAggregateContext> => (await nodes.read(nodeId)).snapshot.context;

  const mintFor = async (auth: NatsAuth, ctx: NodeAggregateContext): Promise<string> => {
    // A JWT issued in the second of an earlier revocation of this key would be born revoked.
    const revokedAt = decodeJwt<Account>(await currentAppAccountJwt(auth)).nats.revocations?.[ctx.publicKey];
    if (revokedAt !== undefined && Math.floor(Date.now() / 1000) <= revokedAt) await sleep((revokedAt + 1) * 1000 - Date.now() + 5);
    return mintUserJwt(auth, { name: `node-${ctx.nodeId}`, publicKey: ctx.publicKey, permissions: nodePermissions(ctx.nodeId) });
  };

  /** Revocations the log has but the server may lack (a crash between the event and the push). */
  const reconcileRevocations = async () => {
    if (!o.auth || !systemNc) return;
    const revocations = decodeJwt<Account>(await currentAppAccountJwt(o.auth)).nats.revocations ?? {};
    for (const n of listNodes(o.db(), "revoked")) {
      const at = n.revokedAt ?? now();
      if ((revocations[n.publicKey] ?? -1) >= Math.floor(at / 1000)) continue;
      o.report(`re-applying the revocation of node ${n.nodeId} on the bus`);
      await revokeUser(o.auth, systemNc, n.publicKey, new Date(at));
    }
  };
  await reconcileRevocations().catch((e) => o.report(`could not check node revocations: ${(e as Error).message}`));

  const subs = [
    serve(o.nc, subjects.admin("nodes", "pair_request"), async (p) => {
      requireEmbedded();
      const { request, address } = decodeOrFail(PairForwarded, p, "pairing request");
      const windowUntil = (await currentWindow()).until;
      const reply = await nodes.execute(request.nodeId, { verb: "request", params: { request, address: address ?? null, windowUntil } });
      if (isRefusal(reply)) throw new CairnError(reply.refused.code, reply.refused.message);
      return reply;
    }),
    serve(o.nc, subjects.admin("nodes", "pair_status"), async (p): Promise<PairingStatusResult> => {
      const auth = requireEmbedded();
      const { request } = decodeOrFail(StatusForwarded, p, "pairing status request");
      checkStatusRequest(request, now());
      const nodeId = await nodeOfRequest(request.requestId);
      let ctx = await readNode(nodeId);
      // A pending request is held until it is decided (or a few seconds pass): the node learns
      // the answer the moment it is given instead of at its next poll.
      if (ctx.status === "pending" && ctx.publicKey === request.publicKey) {
        await decided.wait(nodeId, STATUS_HOLD_MS);
        ctx = await readNode(nodeId);
      }
      // Only the key that asked may learn the answer (and only it can use the JWT anyway).
      if (ctx.publicKey !== request.publicKey || ctx.requestId !== request.requestId || ctx.status === "new") {
        throw new CairnError("node_not_found", `no pairing request '${request.requestId}' for this key`);
      }
      if (ctx.status !== "approved") return { status: ctx.status, nodeId };
      const jwt = await mintFor(auth, ctx);
      return { status: "approved", nodeId, jwt, ...(o.advertiseUrl ? { natsUrl: o.advertiseUrl } : {}), ...(o.natsPort !== null ? { natsPort: o.natsPort } : {}), ...tlsReply };
    }),
    ...(["approve", "reject"] as const).map((verb) =>
      serve(o.nc, subjects.admin("nodes", verb), async (p) => {
        const { requestId, by } = decodeOrFail(DecideParams, p, `${verb} params`);
        if (verb === "approve") requireEmbedded();
        const nodeId = await nodeOfRequest(requestId);
        const reply = await nodes.execute(nodeId, { verb, params: { requestId, by: by ?? "user" } });
        decided.wake(nodeId);
        return reply;
      }),
    ),
    serve(o.nc, subjects.admin("nodes", "revoke"), async (p) => {
      const { nodeId, by } = decodeOrFail(RevokeParams, p, "revoke params");
      const reply = await nodes.execute(nodeId, { verb: "revoke", params: { by: by ?? "user" } });
      // The caller learns "revoked" once the server has dropped the node, not before.
      await nodes.drain();
      decided.wake(nodeId);
      return reply;
    }),
    serve(o.nc, subjects.admin("nodes", "pairing"), async (p): Promise<PairingWindow> => {
      const params = decodeOrFail(PairingParams, p, "pairing params");
      const by = params.by ?? "user";
      if (params.open) requireEmbedded();
      const cmd = params.open
        ? ({ verb: "open", params: { minutes: params.minutes ?? o.pairingMinutes, by } } as const)
        : ({ verb: "close", params: { by } } as const);
      const reply = (await pairing.execute(PAIRING_WINDOW_ID, cmd)) as PairingWindow;
      await armWindow();
      return reply;
    }),
    serve(o.nc, subjects.query("nodes", "pairing"), () => currentWindow()),
    serve(o.nc, subjects.query("nodes", "list"), (p) => {
      const { status } = decodeOrFail(methodParams["nodes.list"], p, "nodes.list params");
      return { nodes: listNodes(o.db(), status).map((r) => summary(r, o.presence)) };
    }),
  ];

  return {
    /** One node as the read model knows it (for doctor and tools). */
    node: (nodeId: string) => getNode(o.db(), nodeId),
    stop: async () => {
      if (windowTimer) clearTimeout(windowTimer);
      for (const s of subs) s.unsubscribe();
      decided.wakeAll();
      await nodes.drain();
      await systemNc?.close().catch(() => undefined);
    },
  };
}
export type NodeServices = Awaited<ReturnType<typeof startNodeServices>>;
