/** Remote execution: node presence, running `exec` on a node over NATS, the node's context in prompts. */
export { trackNodePresence, NODE_STALE_MS, type NodePresence, type PresenceChange } from "./presence.ts";
export { ExecHub } from "./exec.hub.ts";
export { nodeSandbox, nodeOfflineError, type NodeRef, type NodeSandboxOptions } from "./node.sandbox.ts";
export { natsNodesReader, findNode, approvedNode, type NodesReader } from "./nodes.reader.ts";
export { nodeContextPrompt, MAX_NODE_CONTEXT_CHARS } from "./node.context.prompt.ts";
export { remoteExec, type RemoteExec, type RemoteExecOptions } from "./remote.exec.ts";
