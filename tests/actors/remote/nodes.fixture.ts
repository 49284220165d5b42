/** Paired nodes as the node service lists them, served on `q.nodes.list` over real NATS for the gateway-side tests. */
import type { NatsConnection } from "@nats-io/transport-node";
import { serve, subjects } from "../../../bus/index.ts";
import type { NodeSummary } from "../../../schemas/index.ts";

export const nodeSummary = (nodeId: string, over: Partial<NodeSummary> = {}): NodeSummary => ({
  nodeId,
  name: `Node ${nodeId}`,
  fingerprint: `SHA256:${nodeId}`,
  status: "approved",
  online: false,
  lastSeenAt: null,
  requestId: `req-${nodeId}`,
  requestedAt: 1,
  address: "127.0.0.1",
  hostname: `${nodeId}.local`,
  platform: "linux",
  workingDir: "/srv/work",
  approvedAt: 2,
  telemetry: null,
  alerts: [],
  ...over,
});

/** Serves `q.nodes.list` with `nodes` (mutable: tests revoke or add nodes by changing it). */
export const serveNodeList = (nc: NatsConnection, nodes: NodeSummary[]) => serve(nc, subjects.query("nodes", "list"), () => ({ nodes }));
