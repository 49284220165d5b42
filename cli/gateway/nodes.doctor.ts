import type { NatsConnection } from "@nats-io/transport-node";
import { requestAs, serve, subjects } from "../../bus/index.ts";
import { PairingWindow, type NodeSummary, type SandboxStatus, type SessionSummary } from "../../schemas/index.ts";
import { natsNodesReader } from "../../actors/remote/index.ts";

/** One finding of the remote-exec doctor; `hint` says what to do about it. */
export interface DoctorProblem {
  readonly level: "error" | "warning" | "info";
  readonly message: string;
  readonly hint: string;
}

/** `q.nodes.doctor` (`cairn doctor`, the Nodes page): flat rows, so the UI can show them as tables. */
export interface NodesDoctorReport {
  /** No error or warning (info findings do not count). */
  readonly ok: boolean;
  readonly exec: { readonly enabled: boolean; readonly sandbox: string | null; readonly approvalMode: string | null };
  readonly pairingWindow: { readonly open: boolean; readonly until: number | null } | null;
  readonly nodes: ReadonlyArray<{
    nodeId: string;
    name: string;
    status: string;
    online: boolean;
    lastSeenAt: number | null;
    platform: string;
    workingDir: string;
  }>;
  /** Where each session pinned to a node, and the most recent local ones, run `exec`. */
  readonly sessions: ReadonlyArray<{ session: string; title: string; route: string; state: string }>;
  /** Recent local sessions left out of `sessions` (all pinned ones are in it). */
  readonly moreLocalSessions: number;
  readonly problems: readonly DoctorProblem[];
}

const LOCAL_SHOWN = 10;
const LOCAL_HINT = "choose another node or Local in the chat header (or ask the agent to run nodes_select with null)";

/** The report from what the gateway knows; pure, so every rule is tested without a gateway. */
export function nodesDoctorReport(i: {
  sessions: readonly SessionSummary[];
  nodes: readonly NodeSummary[] | null;
  pairing: PairingWindow | null;
  exec: SandboxStatus | null;
  now: number;
}): NodesDoctorReport {
  const problems: DoctorProblem[] = [];
  const byId = new Map((i.nodes ?? []).map((n) => [n.nodeId, n]));
  // Every pinned session matters; of the local ones, the most recent few say enough.
  const local = i.sessions.filter((s) => !s.node);
  const shown = i.sessions.filter((s) => s.node || local.indexOf(s) < LOCAL_SHOWN);
  const sessions = shown.map((s) => {
    const id = s.node ?? null;
    if (id === null) return { session: s.key, title: s.title, route: "local", state: i.exec ? `sandbox ${i.exec.backend}` : "exec off" };
    const n = byId.get(id);
    const label = n ? `${n.name} (${id})` : id;
    if (i.nodes !== null && !n) {
      problems.push({
        level: "error",
        message: `session ${s.key} is pinned to node ${id}, which is unknown to this gateway`,
        hint: LOCAL_HINT,
      });
      return { session: s.key, title: s.title, route: `node ${id}`, state: "unknown node" };
    }
    if (n && n.status !== "approved") {
      problems.push({
        level: "error",
        message: `session ${s.key} is pinned to node ${label}, which is ${n.status}: its commands fail`,
        hint: `${LOCAL_HINT}, or pair the node again`,
      });
      return { session: s.key, title: s.title, route: `node ${label}`, state: n.status };
    }
    if (n && !n.online) {
      problems.push({
        level: "warning",
        message: `session ${s.key} is pinned to node ${label}, which is offline`,
        hint: `start the node (cairn node status on that machine) or ${LOCAL_HINT}`,
      });
    }
    if (!i.exec)
      problems.push({
        level: "warning",
        message: `session ${s.key} is pinned to node ${label} but exec is off`,
        hint: "enable [tools.exec] in the gateway's config",
      });
    return {
      session: s.key,
      title: s.title,
      route: `node ${label}`,
      state: n ? (n.online ? "online" : "offline") : "unknown (node list unavailable)",
    };
  });
  if (i.nodes === null)
    problems.push({
      level: "warning",
      message: "the node list could not be read (node service not answering)",
      hint: "check the gateway's log",
    });
  for (const n of i.nodes ?? []) {
    for (const a of n.alerts.slice(0, 1))
      problems.push({
        level: "warning",
        message: `node ${n.name} (${n.nodeId}): ${a.message}`,
        hint: `if this was not you, revoke the node: cairn node revoke ${n.nodeId}`,
      });
  }
  if (!i.exec)
    problems.push({
      level: "warning",
      message: "exec is off: the agent cannot run commands, locally or on nodes",
      hint: "enable [tools.exec] in the gateway's config",
    });
  else if (i.exec.backend === "none")
    problems.push({
      level: "warning",
      message: "local commands run without a sandbox (backend none)",
      hint: "install bubblewrap or docker, or set [tools.exec.sandbox] backend",
    });
  if (i.pairing?.open) {
    const left = i.pairing.until !== null ? ` for ${Math.max(0, Math.round((i.pairing.until - i.now) / 60_000))} more minute(s)` : "";
    problems.push({
      level: "info",
      message: `the pairing window is open${left}: new nodes can ask to pair`,
      hint: "close it when done: cairn node pairing disable",
    });
  }
  return {
    ok: problems.every((p) => p.level === "info"),
    exec: { enabled: i.exec !== null, sandbox: i.exec?.backend ?? null, approvalMode: i.exec?.approvalMode ?? null },
    pairingWindow: i.pairing,
    nodes: (i.nodes ?? []).map((n) => ({
      nodeId: n.nodeId,
      name: n.name,
      status: n.status,
      online: n.online,
      lastSeenAt: n.lastSeenAt,
      platform: n.platform,
      workingDir: n.workingDir,
    })),
    sessions,
    moreLocalSessions: Math.max(0, local.length - LOCAL_SHOWN),
    problems,
  };
}

/** Sessions looked at: the most recent ones (a pinned session further back still shows once it is used). */
const SESSIONS = 200;

/** Serves `q.nodes.doctor` from the sessions read model, the node service (`q.nodes.list|pairing`) and the exec setup. */
export const serveNodesDoctor = (o: {
  nc: NatsConnection;
  sessions: (limit: number) => readonly SessionSummary[];
  exec: SandboxStatus | null;
  now?: () => number;
}) => {
  const reader = natsNodesReader(o.nc);
  return serve(o.nc, subjects.query("nodes", "doctor"), async () => {
    const [nodes, pairing] = await Promise.all([
      reader.list().catch(() => null),
      requestAs(o.nc, subjects.query("nodes", "pairing"), {}, PairingWindow, { timeoutMs: 5000 }).catch(() => null),
    ]);
    return nodesDoctorReport({ sessions: o.sessions(SESSIONS), nodes, pairing, exec: o.exec, now: (o.now ?? Date.now)() });
  });
};
