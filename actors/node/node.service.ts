import type { NatsConnection } from "@nats-io/transport-node";
import * as Schema from "effect/Schema";
import { serve, subjects, type EventLog, type SnapshotStore } from "../../bus/index.ts";
import type { NatsAuth, NatsTls } from "../../bus/server/index.ts";
import { CairnError, PairingRequest, PairingStatusRequest, decodeOrFail, NodeId, type PairingStatusResult } from "../../schemas/index.ts";
import { isRefusal } from "./node.commands.ts";
import { nodeCredentials } from "./node.credentials.ts";
import { NodeDirectory } from "./node.directory.ts";
import { nodeHosts } from "./node.hosts.ts";
import type { NodeAggregateContext } from "./node.machine.ts";
import { startPairingWindow } from "./pairing.service.ts";
import { checkStatusRequest } from "./pairing.verify.ts";
import { STATUS_HOLD_MS, statusHold } from "./status.hold.ts";

export interface NodeServicesOptions {
  readonly nc: NatsConnection;
  readonly natsUrl: string;
  readonly log: EventLog;
  readonly snapshots: SnapshotStore;
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
  /** Live presence, told when a node is revoked so it stops showing as online. */
  readonly presence?: { forget?(nodeId: string): void };
  readonly report: (line: string) => void;
  readonly now?: () => number;
  readonly newId?: () => string;
}

const Forwarded = <S extends Schema.Top>(request: S) =>
  Schema.Struct({ request, address: Schema.optionalKey(Schema.NullOr(Schema.String.check(Schema.isMaxLength(100)))) });
const PairForwarded = Forwarded(PairingRequest);
const StatusForwarded = Forwarded(PairingStatusRequest);
const DecideParams = Schema.Struct({
  requestId: Schema.String.check(Schema.isMaxLength(64)),
  by: Schema.optionalKey(Schema.String.check(Schema.isMaxLength(64))),
});
/** After a failed revocation push, the next sweep. */
const REVOKE_RETRY_MS = 5_000;
const RevokeParams = Schema.Struct({ nodeId: NodeId, by: Schema.optionalKey(Schema.String.check(Schema.isMaxLength(64))) });

/**
 * The gateway's node service, the single writer of `evt.node.*` and `evt.pairing.window`:
 * `admin.nodes.pair_request | pair_status` (forwarded by the HTTP edge), `admin.nodes.approve |
 * reject | revoke | pairing` and `q.nodes.pairing`. Every decision is taken against the node and
 * window aggregates hydrated from the log; a request id finds its node through the directory,
 * folded from the same log (`q.nodes.list`, a read model, is served by the projections).
 * Approval mints the node's user JWT on each status poll; revocation pushes the key's revocation
 * to the server, which drops it at once.
 */
export async function startNodeServices(o: NodeServicesOptions) {
  const now = o.now ?? Date.now;
  const newId = o.newId ?? (() => crypto.randomUUID().replaceAll("-", "").slice(0, 20));
  const tlsReply = o.tls ? { natsCaPem: o.tls.certPem, natsCertFingerprint: o.tls.fingerprint } : {};
  const creds = await nodeCredentials({ natsUrl: o.natsUrl, auth: o.auth, tls: o.tls ?? null, report: o.report });
  const { nodes, pairing } = nodeHosts(
    { log: o.log, snapshots: o.snapshots, now, newId, report: o.report },
    {
      onRevoked: async (p) => {
        o.presence?.forget?.(p.nodeId);
        await creds.revoke(p.publicKey, p.at);
      },
      retryRevocations: () => retryRevocations(),
    },
  );
  const directory = new NodeDirectory(o.log);
  await directory.catchUp();
  const window = await startPairingWindow({
    nc: o.nc,
    pairing,
    pairingMinutes: o.pairingMinutes,
    requireEmbedded: creds.requireEmbedded,
    now,
    report: o.report,
  });
  const decided = statusHold();

  const readNode = async (nodeId: string): Promise<NodeAggregateContext> => (await nodes.read(nodeId)).snapshot.context;
  const nodeOfRequest = async (requestId: string): Promise<string> => {
    const nodeId = await directory.nodeOfRequest(requestId);
    if (!nodeId) throw new CairnError("node_not_found", `no pending request '${requestId}'; see cairn node pending`, { requestId });
    return nodeId;
  };

  /** Revocations the log has but the server may lack: every revoked node aggregate, checked. */
  const reconcileRevocations = async () => {
    const revoked = [];
    for (const nodeId of directory.nodeIds()) {
      const ctx = await readNode(nodeId);
      if (ctx.status === "revoked") revoked.push({ nodeId, publicKey: ctx.publicKey, revokedAt: ctx.revokedAt ?? now() });
    }
    await creds.reconcile(revoked);
  };
  // A revocation push that failed (the bus away) is retried by the same sweep until it succeeds.
  let retry: NodeJS.Timeout | undefined;
  let stopped = false;
  const sweep = () =>
    reconcileRevocations().catch((e) => {
      o.report(`could not re-apply node revocations: ${(e as Error).message}`);
      retryRevocations();
    });
  const retryRevocations = () => {
    if (retry || stopped) return;
    retry = setTimeout(() => {
      retry = undefined;
      void sweep();
    }, REVOKE_RETRY_MS);
    retry.unref();
  };
  await sweep();

  const subs = [
    serve(o.nc, subjects.admin("nodes", "pair_request"), async (p) => {
      creds.requireEmbedded();
      const { request, address } = decodeOrFail(PairForwarded, p, "pairing request");
      const windowUntil = (await window.current()).until;
      const reply = await nodes.execute(request.nodeId, { verb: "request", params: { request, address: address ?? null, windowUntil } });
      if (isRefusal(reply)) throw new CairnError(reply.refused.code, reply.refused.message);
      return reply;
    }),
    serve(o.nc, subjects.admin("nodes", "pair_status"), async (p): Promise<PairingStatusResult> => {
      creds.requireEmbedded();
      const { request } = decodeOrFail(StatusForwarded, p, "pairing status request");
      checkStatusRequest(request, now());
      const nodeId = await nodeOfRequest(request.requestId);
      let ctx = await readNode(nodeId);
      // A pending request is held until it is decided (or a few seconds pass).
      if (ctx.status === "pending" && ctx.publicKey === request.publicKey) {
        await decided.wait(nodeId, STATUS_HOLD_MS);
        ctx = await readNode(nodeId);
      }
      // Only the key that asked may learn the answer (and only it can use the JWT anyway).
      if (ctx.publicKey !== request.publicKey || ctx.requestId !== request.requestId || ctx.status === "new") {
        throw new CairnError("node_not_found", `no pairing request '${request.requestId}' for this key`);
      }
      if (ctx.status !== "approved") return { status: ctx.status, nodeId };
      const jwt = await creds.mint(ctx);
      return {
        status: "approved",
        nodeId,
        jwt,
        ...(o.advertiseUrl ? { natsUrl: o.advertiseUrl } : {}),
        ...(o.natsPort !== null ? { natsPort: o.natsPort } : {}),
        ...tlsReply,
      };
    }),
    ...(["approve", "reject"] as const).map((verb) =>
      serve(o.nc, subjects.admin("nodes", verb), async (p) => {
        const { requestId, by } = decodeOrFail(DecideParams, p, `${verb} params`);
        if (verb === "approve") creds.requireEmbedded();
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
  ];

  return {
    stop: async () => {
      stopped = true;
      if (retry) clearTimeout(retry);
      window.stop();
      for (const s of subs) s.unsubscribe();
      decided.wakeAll();
      await nodes.drain();
      await creds.close();
    },
  };
}
export type NodeServices = Awaited<ReturnType<typeof startNodeServices>>;
