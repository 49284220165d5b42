/**
 * Nodes: the node aggregate (pairing, approval, revocation), the pairing window, their checks,
 * and the node service that is their single writer on the bus.
 */
export { nodeSpec, nodeView, isRefusal, MISMATCH_ALERT_EVERY_MS, type NodeCommand, type NodeView, type Refusal } from "./node.commands.ts";
export { nodeMachine, NODE_MACHINE_VERSION, type NodeAggregateContext, type NodeStatus, type RevokedParams } from "./node.machine.ts";
export { pairingSpec, type PairingCommand } from "./pairing.commands.ts";
export { pairingMachine, PAIRING_MACHINE_VERSION, PAIRING_WINDOW_ID, windowAt, type PairingContext } from "./pairing.machine.ts";
export { checkPairingRequest, checkStatusRequest, fingerprintOf, verifySignature } from "./pairing.verify.ts";
export { nodeHosts, type NodeHosts, type HostDeps } from "./node.hosts.ts";
export { startNodeServices, type NodeServices, type NodeServicesOptions } from "./node.service.ts";
export { NodeDirectory } from "./node.directory.ts";
