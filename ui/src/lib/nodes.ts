import type { NodeSummary, NodeTelemetry } from "./wire.ts";

/**
 * How the Nodes page and the node selector describe nodes. Pure: no state, no requests.
 */

/** "45 s", "12 min", "3 h 20 min", "5 d 4 h". */
export function duration(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min`;
  const h = Math.floor(m / 60);
  if (h < 24) return `${h} h${m % 60 ? ` ${m % 60} min` : ""}`;
  const d = Math.floor(h / 24);
  return `${d} d${h % 24 ? ` ${h % 24} h` : ""}`;
}

/** Share of a total that is used, 0..1; 0 when the total is unknown. */
export const usedShare = (total: number, free: number): number => (total > 0 ? Math.min(1, Math.max(0, (total - free) / total)) : 0);

export const percent = (share: number): string => `${Math.round(Math.min(1, Math.max(0, share)) * 100)}%`;

/** "python 3.11.2 · node 20.20.2", or "none found". */
export function runtimesLabel(t: NodeTelemetry): string {
  const list = Object.entries(t.runtimes).map(([k, v]) => `${k} ${v}`);
  return list.length ? list.join(" · ") : "none found";
}

/** "not running", "no models", or the model names. */
export function ollamaLabel(t: NodeTelemetry): string {
  const o = t.providers.ollama;
  if (o === null) return "not running";
  return o.length ? o.join(", ") : "no models";
}

/** The pending requests, oldest first (the order they arrived in). */
export const pendingNodes = (nodes: readonly NodeSummary[]): NodeSummary[] =>
  nodes.filter((n) => n.status === "pending").sort((a, b) => (a.requestedAt ?? 0) - (b.requestedAt ?? 0));

/**
 * Approved and revoked nodes (a revoked one stays visible, marked, so the revocation is seen):
 * online first, then by name.
 */
export const pairedNodes = (nodes: readonly NodeSummary[]): NodeSummary[] =>
  nodes
    .filter((n) => n.status === "approved" || n.status === "revoked")
    .sort(
      (a, b) =>
        Number(b.status === "approved") - Number(a.status === "approved") ||
        Number(b.online) - Number(a.online) ||
        a.name.localeCompare(b.name),
    );

/** "online", "offline", "revoked", "pending", "rejected": what a node's dot says. */
export function presence(n: NodeSummary): "online" | "offline" | "revoked" | "pending" | "rejected" {
  if (n.status === "approved") return n.online ? "online" : "offline";
  return n.status;
}

/** Seconds left on the pairing window (0 once closed), for the countdown. */
export const secondsLeft = (until: number | null, now: number): number =>
  until === null ? 0 : Math.max(0, Math.ceil((until - now) / 1000));

/** "9:58", "0:05". */
export function countdown(seconds: number): string {
  const m = Math.floor(seconds / 60);
  const s = seconds % 60;
  return `${m}:${String(s).padStart(2, "0")}`;
}

/** The command a new node runs, with this gateway's address filled in. */
export const addCommand = (gatewayUrl: string): string => `cairn node add --host ${gatewayUrl} --name "My Laptop"`;

/**
 * The node an `exec` ran on, from its result: the gateway starts such a result with a line
 * "ran on node <name>..." (local results do not). Null for a local run.
 */
export function ranOnNode(output: string | null): string | null {
  if (!output) return null;
  const first = output.split("\n", 1)[0].trim();
  const m = /^\[?ran on node\s+(.+?)\]?$/i.exec(first);
  if (!m) return null;
  // "Build Server (build-1): exit 0" → "Build Server (build-1)": the badge names the node, not the outcome.
  const name = m[1]
    .replace(/[:;,.—-]\s.*$/, "")
    .replace(/^["'`]|["'`]$/g, "")
    .trim();
  return name.length > 60 ? `${name.slice(0, 57)}…` : name || null;
}

/** "Build Server (n-abc)" → "Build Server": the badge is short, its tooltip has the id. */
export const withoutId = (label: string): string => label.replace(/\s*\([^()]*\)$/, "") || label;
