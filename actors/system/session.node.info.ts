import { findNode, type NodePresence, type NodesReader } from "../remote/index.ts";

/** A session's node as a run and its prompt present it. */
export interface SessionNodeInfo {
  readonly id: string;
  readonly name: string;
  readonly workingDir: string | undefined;
  /** undefined: not known (the list could not be read; the command itself finds out). */
  readonly status: string | undefined;
}

/** The session's node with a name people recognise (the name is the node's own, from its hello or the list). */
export const sessionNodeInfo =
  (nodeOf: (key: string) => Promise<string | null>, nodes: { presence: NodePresence; reader: NodesReader } | undefined) =>
  async (key: string): Promise<SessionNodeInfo | null> => {
    const id = await nodeOf(key);
    if (!id || !nodes) return id ? { id, name: id, workingDir: undefined, status: undefined } : null;
    const hello = nodes.presence.hello(id);
    // Presence forgets a revoked node, so a node it has heard from is still approved.
    if (hello) return { id, name: hello.name, workingDir: hello.workingDir, status: "approved" };
    // null: the list could not be read (then the command itself finds out); undefined: not in it.
    const listed = await nodes.reader
      .list()
      .then((l) => findNode(l, id))
      .catch(() => null);
    return {
      id,
      name: listed?.name ?? id,
      workingDir: listed?.workingDir,
      status: listed === null ? undefined : (listed?.status ?? "unknown"),
    };
  };
