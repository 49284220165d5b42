import { isTokenSafe } from "../schemas/index.ts";
import type { AggregateKind } from "../schemas/index.ts";

/**
 * The only place subjects are spelled. Every id is checked to be one token, so a crafted id can
 * never widen a subscription (`*`, `>`) or address another aggregate (`.`).
 */

const token = (s: string): string => {
  if (!isTokenSafe(s)) throw new Error(`not a subject-safe id: ${JSON.stringify(s)}`);
  return s;
};

export const EVENTS_STREAM = "CAIRN_EVENTS";
export const LIVE_STREAM = "CAIRN_LIVE";
export const SNAPSHOT_BUCKET = "cairn_snapshots";
export const PARTITION_BUCKET = "cairn_partitions";

export const subjects = {
  /** All domain events; the log stream captures exactly this. */
  allEvents: "evt.>",
  events: (kind: AggregateKind, id: string) => `evt.${kind}.${token(id)}`,
  eventsOfKind: (kind: AggregateKind) => `evt.${kind}.*`,

  /** Commands, request/reply, answered by the aggregate's owning host. */
  command: (kind: AggregateKind, id: string, verb: string) => `cmd.${kind}.${token(id)}.${token(verb)}`,
  commandsOfKind: (kind: AggregateKind) => `cmd.${kind}.*.*`,

  /** Every gateway's heartbeat (core NATS, never stored): who is alive and what it owns. */
  gatewayHeartbeat: "gw.heartbeat",
  /** A command forwarded to the gateway that owns its aggregate (`cmd.…` subject appended). */
  forwardTo: (gatewayId: string, commandSubject: string) => `gw.${token(gatewayId)}.${commandSubject}`,
  forwardedTo: (gatewayId: string) => `gw.${token(gatewayId)}.cmd.>`,
  /** One gateway's own `q.status.get` (with several on one NATS, any of them answers the plain one). */
  gatewayStatus: (gatewayId: string) => `gw.${token(gatewayId)}.status`,
  /** This gateway's metrics (`cairn metrics`): per process, like its registry. */
  gatewayMetrics: (gatewayId: string) => `gw.${token(gatewayId)}.metrics`,

  /** Queries, request/reply, answered by the projections. */
  query: (view: string, verb: string) => `q.${token(view)}.${token(verb)}`,
  allQueries: "q.>",

  /** Operations on the gateway itself (projection rebuild), request/reply. */
  admin: (area: string, verb: string) => `admin.${token(area)}.${token(verb)}`,

  /**
   * "Is a tab of cairn visible?" (Web Push). Edges answer only when one of theirs is, so with
   * several gateways any answer means yes and silence means no.
   */
  tabsVisible: "gw.presence.visible",

  /** Short-lived notifications (token deltas, "session updated"); a stream with a max age. */
  allLive: "live.>",
  liveSession: (key: string) => `live.session.${token(key)}`,
  liveSessions: "live.sessions",
  /** "The read models moved" ticks for the events explorer (`events.subscribe`). */
  liveEvents: "live.events",

  /**
   * A node's own subjects. The node may subscribe to `in.>` and publish to `out.>` of its id only
   * (its JWT says so); the gateway publishes `in.*` and listens to `out.>` of every node.
   */
  nodeIn: (nodeId: string, verb: "exec" | "ping" | "cancel") => `node.${token(nodeId)}.in.${verb}`,
  nodeInAll: (nodeId: string) => `node.${token(nodeId)}.in.>`,
  nodeOut: (nodeId: string, what: "hello" | "heartbeat" | "telemetry" | "context") => `node.${token(nodeId)}.out.${what}`,
  nodeOutAll: (nodeId: string) => `node.${token(nodeId)}.out.>`,
  nodeExecData: (nodeId: string, execId: string) => `node.${token(nodeId)}.out.exec.${token(execId)}.data`,
  nodeExecDone: (nodeId: string, execId: string) => `node.${token(nodeId)}.out.exec.${token(execId)}.done`,
  /** Every node's `out.*` (the gateway's presence tracker). */
  allNodesOut: "node.*.out.>",
  /** A node's private reply inbox prefix (its requests' replies come back only to it). */
  nodeInbox: (nodeId: string) => `_INBOX_${token(nodeId)}`,
} as const;

/** Splits `evt.<kind>.<id>` into its parts; undefined for anything else. */
export const parseEventSubject = (subject: string): { kind: string; id: string } | undefined => {
  const parts = subject.split(".");
  if (parts.length !== 3 || parts[0] !== "evt") return undefined;
  return { kind: parts[1], id: parts[2] };
};

/** Splits `cmd.<kind>.<id>.<verb>`; undefined for anything else. */
export const parseCommandSubject = (subject: string): { kind: string; id: string; verb: string } | undefined => {
  const parts = subject.split(".");
  if (parts.length !== 4 || parts[0] !== "cmd") return undefined;
  return { kind: parts[1], id: parts[2], verb: parts[3] };
};
