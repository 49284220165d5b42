import { AggregateHost, type HostDeps } from "../runtime/index.ts";
import { nodeSpec } from "./node.commands.ts";
import type { RevokedParams } from "./node.machine.ts";
import { pairingSpec } from "./pairing.commands.ts";

/**
 * The single writers of node and pairing-window aggregates. They live in the gateway's node
 * service (nothing else appends to `evt.node.*` or `evt.pairing.*`); `onRevoked` is the effect that
 * takes a revoked key off the bus, run once after `node.revoked` is durable.
 */
export function nodeHosts(deps: HostDeps, effects: { onRevoked: (p: RevokedParams) => Promise<void>; retryRevocations: () => void }) {
  const nodes = new AggregateHost(nodeSpec, deps);
  const pairing = new AggregateHost(pairingSpec, deps);
  // A revocation that could not be pushed to the bus is retried by the node service's sweep
  // (which compares the revoked aggregates with the server's list); there is no event to record.
  nodes.setEffects({ revoked: effects.onRevoked }, async () => effects.retryRevocations());
  return { nodes, pairing };
}
export type NodeHosts = ReturnType<typeof nodeHosts>;
export type { HostDeps };
