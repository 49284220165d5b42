import { decode as decodeJwt, type Account } from "@nats-io/jwt";
import type { NatsConnection } from "@nats-io/transport-node";
import { subjects } from "../../bus/index.ts";
import {
  connectNats,
  currentAppAccountJwt,
  mintUserJwt,
  revokeUser,
  type NatsAuth,
  type NatsTls,
  type UserPermissions,
} from "../../bus/server/index.ts";
import { CairnError } from "../../schemas/index.ts";
import type { NodeAggregateContext } from "./node.machine.ts";

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

/** A revoked node as the revocation check needs it (from the node aggregate). */
export interface RevokedNode {
  readonly nodeId: string;
  readonly publicKey: string;
  readonly revokedAt: number;
}

/**
 * The bus side of nodes: minting a node's user JWT and revoking its key. Both need the embedded
 * server's identity (`auth`); with an external NATS there is none and pairing is unavailable.
 * Claim updates (revocations) go through the system account, hence a second connection.
 */
export async function nodeCredentials(o: { natsUrl: string; auth: NatsAuth | null; tls: NatsTls | null; report: (line: string) => void }) {
  const systemNc: NatsConnection | undefined = o.auth
    ? await connectNats({
        url: o.natsUrl,
        credsFile: o.auth.creds.system,
        name: "cairn-gateway-system",
        ...(o.tls ? { tls: { caFile: o.tls.certFile } } : {}),
      })
    : undefined;

  const requireEmbedded = (): NatsAuth => {
    if (!o.auth) {
      throw new CairnError(
        "unavailable",
        "node pairing needs the gateway's embedded NATS server; with CAIRN_NATS_URL, issue node credentials on that server yourself",
      );
    }
    return o.auth;
  };
  const revocations = async (auth: NatsAuth) => decodeJwt<Account>(await currentAppAccountJwt(auth)).nats.revocations ?? {};

  return {
    requireEmbedded,

    /**
     * The node's user JWT, minted on each approved status poll: it is bound to the node's key and
     * useless without its seed, so nothing secret is stored.
     */
    mint: async (ctx: NodeAggregateContext): Promise<string> => {
      const auth = requireEmbedded();
      // A JWT issued in the second of an earlier revocation of this key would be born revoked.
      // (The server's clock is the real one, hence Date.now and not the injected clock.)
      const revokedAt = (await revocations(auth))[ctx.publicKey];
      if (revokedAt !== undefined && Math.floor(Date.now() / 1000) <= revokedAt) await sleep((revokedAt + 1) * 1000 - Date.now() + 5);
      return mintUserJwt(auth, { name: `node-${ctx.nodeId}`, publicKey: ctx.publicKey, permissions: nodePermissions(ctx.nodeId) });
    },

    /** Pushes a key's revocation to the server, which drops its connections at once. */
    revoke: async (publicKey: string, at: number): Promise<void> => {
      if (!o.auth || !systemNc) return;
      await revokeUser(o.auth, systemNc, publicKey, new Date(at));
    },

    /** Re-applies revocations the log has but the server may lack (a crash between the event and the push). */
    reconcile: async (revoked: readonly RevokedNode[]): Promise<void> => {
      if (!o.auth || !systemNc) return;
      const known = await revocations(o.auth);
      for (const n of revoked) {
        if ((known[n.publicKey] ?? -1) >= Math.floor(n.revokedAt / 1000)) continue;
        o.report(`re-applying the revocation of node ${n.nodeId} on the bus`);
        await revokeUser(o.auth, systemNc, n.publicKey, new Date(n.revokedAt));
      }
    },

    close: async (): Promise<void> => {
      await systemNc?.close().catch(() => undefined);
    },
  };
}
export type NodeCredentials = Awaited<ReturnType<typeof nodeCredentials>>;
