import type { NatsConnection } from "@nats-io/transport-node";
import { requestAs, subjects } from "../../bus/index.ts";
import { CairnError, ListNodesResult, type NodeSummary } from "../../schemas/index.ts";

/** The paired nodes as the node service lists them (`q.nodes.list`: the log's view merged with presence). */
export interface NodesReader {
  list(): Promise<readonly NodeSummary[]>;
}

/** Reads `q.nodes.list` over the bus (the actors never open the read models themselves). */
export const natsNodesReader = (nc: NatsConnection): NodesReader => ({
  list: async () => (await requestAs(nc, subjects.query("nodes", "list"), {}, ListNodesResult, { timeoutMs: 5000 })).nodes,
});

/** A node named by id, else by name (case-insensitive): the agent and the UI may use either. */
export const findNode = (nodes: readonly NodeSummary[], ref: string): NodeSummary | undefined =>
  nodes.find((n) => n.nodeId === ref) ?? nodes.find((n) => n.name.toLowerCase() === ref.trim().toLowerCase());

/**
 * The node a session may be routed to: approved. Unknown (or never approved) is `node_not_found`,
 * revoked is `node_revoked` — each with what to do instead.
 */
export const approvedNode = (nodes: readonly NodeSummary[], ref: string): NodeSummary => {
  const n = findNode(nodes, ref);
  const approved = nodes.filter((x) => x.status === "approved").map((x) => `${x.name} (${x.nodeId})`);
  const choices =
    approved.length > 0 ? `approved nodes: ${approved.join(", ")}` : "no node is approved yet (pair one with 'cairn node add')";
  if (!n) throw new CairnError("node_not_found", `no node '${ref}'; ${choices}`, { node: ref });
  if (n.status === "revoked")
    throw new CairnError("node_revoked", `node ${n.name} (${n.nodeId}) was revoked; re-pair it or choose another node (${choices})`, {
      node: n.nodeId,
    });
  if (n.status !== "approved")
    throw new CairnError("node_not_found", `node ${n.name} (${n.nodeId}) is ${n.status}, not approved; ${choices}`, { node: n.nodeId });
  return n;
};
