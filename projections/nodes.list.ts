import type { NatsConnection } from "@nats-io/transport-node";
import { serve, subjects } from "../bus/index.ts";
import { decodeOrFail, methodParams, type NodeSummary, type NodeTelemetry } from "../schemas/index.ts";
import type { Db } from "./db.ts";
import { listNodes, type NodeRecord } from "./nodes.queries.ts";

/**
 * What `q.nodes.list` needs of live presence (memory, never events: the gateway's presence
 * tracker satisfies it). A port, so the read model does not depend on who tracks it.
 */
export interface NodePresence {
  isOnline(nodeId: string): boolean;
  lastSeenAt(nodeId: string): number | null;
  telemetry(nodeId: string): NodeTelemetry | null;
}

/** A row with its presence; only an approved node may show as online or carry telemetry. */
const summary = (r: NodeRecord, presence: NodePresence): NodeSummary => {
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

/** `q.nodes.list` (`{status?}`): the nodes read model merged with live presence. */
export const serveNodeList = (nc: NatsConnection, db: () => Db, presence: NodePresence) =>
  serve(nc, subjects.query("nodes", "list"), (p) => {
    const { status } = decodeOrFail(methodParams["nodes.list"], p, "nodes.list params");
    return { nodes: listNodes(db(), status).map((r) => summary(r, presence)) };
  });
