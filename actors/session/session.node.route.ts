import * as Schema from "effect/Schema";
import { CairnError, decodeOrFail } from "../../schemas/index.ts";
import { approvedNode, type NodesReader } from "../remote/index.ts";
import type { AggregateHost } from "../runtime/index.ts";
import { SetSessionNode, type SessionCommand } from "./session.commands.ts";
import type { sessionMachine } from "./session.machine.ts";

type SessionHost = AggregateHost<typeof sessionMachine, SessionCommand>;

/** What callers send: a node id or its name (resolved to the id before the session decides). */
const SetNodeParams = Schema.Struct({ node: Schema.NullOr(Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(100))) });

/**
 * `cmd.session.<key>.set_node`. Whether a node may be chosen is the node aggregates' business, not
 * the session's, so it is checked here before the session decides: the node must be approved
 * (unknown → `node_not_found`, revoked → `node_revoked`). A name is accepted and stored as the id.
 * Null (back to local) needs no check. Without a nodes reader (no node support) only null is taken.
 */
export async function setSessionNode(sessions: SessionHost, nodes: NodesReader | undefined, key: string, raw: unknown) {
  const wanted = decodeOrFail(SetNodeParams, raw, "set_node params").node;
  let node: string | null = null;
  let name: string | null = null;
  if (wanted !== null) {
    if (!nodes) throw new CairnError("node_not_found", `no node '${wanted}': this gateway has no nodes`);
    const n = approvedNode(await nodes.list(), wanted);
    node = n.nodeId;
    name = n.name;
  }
  const reply = (await sessions.execute(key, { verb: "set_node", params: decodeOrFail(SetSessionNode, { node }, "set_node params") })) as {
    node: string | null;
    changed: boolean;
  };
  return { ...reply, name };
}
