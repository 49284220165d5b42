import * as Schema from "effect/Schema";
import type { NodeSummary } from "../../schemas/index.ts";
import { approvedNode, type NodePresence, type NodesReader } from "../remote/index.ts";
import { defineTool, type Tool } from "./tool.registry.ts";

/** What the node tools need from the system: the nodes, live presence, and the session's route. */
export interface NodeToolDeps {
  readonly nodes: NodesReader;
  readonly presence: NodePresence;
  /** The session's node id (null: local). */
  readonly sessionNode: (sessionKey: string) => Promise<string | null>;
  /** Routes the session's `exec` (null: local); validates the node, records an event, returns the id and name. */
  readonly setSessionNode: (sessionKey: string, node: string | null) => Promise<{ node: string | null; name: string | null }>;
}

const ago = (now: number, at: number | null) => (at === null ? "never" : `${Math.max(0, Math.round((now - at) / 1000))} s ago`);
const gib = (b: number) => `${(b / 1024 ** 3).toFixed(1)} GiB`;

/** Presence is live; the list may be a moment old — the tracker's word wins for online / last seen / telemetry. */
const live = (n: NodeSummary, p: NodePresence): NodeSummary => ({
  ...n,
  online: n.status === "approved" && (p.isOnline(n.nodeId) || (n.online && p.lastSeenAt(n.nodeId) === null)),
  lastSeenAt: p.lastSeenAt(n.nodeId) ?? n.lastSeenAt,
  telemetry: p.telemetry(n.nodeId) ?? n.telemetry,
});

// An empty Struct has no object JSON Schema in effect: the one option keeps the parameters an object.
const NodesListParams = Schema.Struct({ all: Schema.optionalKey(Schema.Boolean) });
const NodesDescribeParams = Schema.Struct({ node: Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(100)) });
const NodesSelectParams = Schema.Struct({ node: Schema.NullOr(Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(100))) });

/**
 * `nodes_list`, `nodes_describe {node}`, `nodes_select {node|null}`: the agent sees the user's
 * approved machines, what they offer (telemetry: CPUs, memory, disk, runtimes, local models) and
 * routes this session's `exec` to one of them, or back to the gateway with null. None is dangerous:
 * choosing where commands run runs nothing (every `exec` still goes through the approval rules).
 */
export const nodeTools = (d: NodeToolDeps): Tool[] => [
  defineTool({
    name: "nodes_list",
    description:
      "List the user's paired machines (nodes) the exec tool can run on: id, name, online state, platform, working directory, and which one this session uses. all: also pending, rejected and revoked ones.",
    source: "builtin",
    params: NodesListParams,
    dangerous: false,
    readOnly: true,
    run: async (args, ctx) => {
      const now = Date.now();
      const current = await d.sessionNode(ctx.sessionKey);
      const nodes = (await d.nodes.list()).filter((n) => args.all || n.status === "approved").map((n) => live(n, d.presence));
      const lines = [`this session's exec runs ${current ? `on node ${current}` : "locally (on the gateway)"}`];
      if (nodes.length === 0) lines.push("no approved nodes (the user pairs one with 'cairn node add' on that machine)");
      for (const n of nodes) {
        const state = n.status !== "approved" ? n.status : n.online ? "online" : `offline (last seen ${ago(now, n.lastSeenAt)})`;
        lines.push(
          `- ${n.nodeId}: "${n.name}" — ${state}, ${n.platform || "?"}, working dir ${n.workingDir || "?"}${n.nodeId === current ? " [selected]" : ""}`,
        );
      }
      return { output: lines.join("\n") };
    },
  }),
  defineTool({
    name: "nodes_describe",
    description:
      "Describe one node (by id or name): state, platform, working directory, CPU/memory/disk, installed runtimes, local LLM providers, and its project instructions and skills.",
    source: "builtin",
    params: NodesDescribeParams,
    dangerous: false,
    readOnly: true,
    run: async (args) => {
      const now = Date.now();
      const n = live(approvedNode(await d.nodes.list(), args.node), d.presence);
      const hello = d.presence.hello(n.nodeId);
      const ctx = d.presence.context(n.nodeId);
      const t = n.telemetry;
      const lines = [
        `node ${n.nodeId}: "${n.name}"`,
        `state: ${n.online ? "online" : "offline"} (last seen ${ago(now, n.lastSeenAt)}), fingerprint ${n.fingerprint}`,
        `host: ${n.hostname || "?"} (${n.platform || "?"}), working dir ${n.workingDir || "?"}${hello ? `, command timeout cap ${hello.maxTimeoutSeconds} s, cairn ${hello.version}` : ""}`,
      ];
      if (t) {
        lines.push(
          `cpu: ${t.cpus} cores, ${Math.round(t.cpuUsage * 100)}% busy; memory ${gib(t.memFree)} free of ${gib(t.memTotal)}; disk ${gib(t.diskFree)} free of ${gib(t.diskTotal)}; up ${Math.round(t.uptimeSeconds / 3600)} h`,
        );
        const rts = Object.entries(t.runtimes).map(([k, v]) => `${k} ${v}`);
        lines.push(`runtimes: ${rts.length > 0 ? rts.join(", ") : "none found"}`);
        lines.push(
          `local models: ${t.providers.ollama === null ? "no Ollama" : `Ollama (${t.providers.ollama.join(", ") || "no models"})`}; API keys present: ${t.providers.apiKeys.join(", ") || "none"}`,
        );
      } else lines.push("telemetry: none yet");
      if (ctx) {
        lines.push(
          `AGENTS.md: ${ctx.agentsMd === null ? "none" : `${ctx.agentsMd.length} characters`}; skills: ${ctx.skills.map((s) => s.name).join(", ") || "none"}`,
        );
      }
      for (const a of n.alerts.slice(0, 3)) lines.push(`alert: ${a.message}`);
      return { output: lines.join("\n") };
    },
  }),
  defineTool({
    name: "nodes_select",
    description:
      "Route this session's exec tool to a node (by id or name), or back to the gateway with null. The choice stays until changed, across restarts.",
    source: "builtin",
    params: NodesSelectParams,
    dangerous: false,
    run: async (args, ctx) => {
      const r = await d.setSessionNode(ctx.sessionKey, args.node);
      if (r.node === null) return { output: "exec now runs locally (on the gateway)" };
      const state = d.presence.isOnline(r.node) ? "online" : "offline right now — commands fail until it reconnects";
      return { output: `exec now runs on node ${r.name ?? r.node} (${r.node}); it is ${state}` };
    },
  }),
];
