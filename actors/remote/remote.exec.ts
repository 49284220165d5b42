import type { NatsConnection } from "@nats-io/transport-node";
import type { Sandbox } from "../sandbox/index.ts";
import { ExecHub } from "./exec.hub.ts";
import { nodeSandbox, type NodeRef, type NodeSandboxOptions } from "./node.sandbox.ts";

export type RemoteExecOptions = Omit<NodeSandboxOptions, "nc" | "hub" | "node">;

/** What the `exec` tool needs to run a command on a node. */
export interface RemoteExec {
  /**
   * The node's sandbox. Whether the node is there is asked of NATS when the command is sent (a
   * node that is not subscribed answers "no responders" at once), not of presence, which lags.
   */
  sandboxFor(node: NodeRef): Sandbox;
  stop(): void;
}

export function remoteExec(nc: NatsConnection, o: RemoteExecOptions = {}): RemoteExec {
  const hub = new ExecHub(nc);
  return {
    sandboxFor: (node) => nodeSandbox({ ...o, nc, hub, node }),
    stop: () => hub.stop(),
  };
}
