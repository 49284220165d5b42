import { createHash } from "node:crypto";
import type { AggregateKind } from "../../schemas/index.ts";

/**
 * Aggregates are owned in partitions, a fixed number of them, so ownership is a handful of leases
 * instead of one per aggregate. Everything of one session — the session, its runs, their approvals
 * and its key-value state — falls in the session's partition: a run's effects then dispatch to
 * their session and their approvals without leaving the process that owns them.
 */
export const PARTITIONS = 16;

/** The partition of a route key (a session key, or `<kind>:<id>` for an aggregate of no session). */
export const partitionOf = (routeKey: string): number => createHash("md5").update(routeKey).digest().readUInt32BE(0) % PARTITIONS;

/** Kinds whose aggregate belongs to a session named in its first event (and in the command that creates it). */
const SESSION_CHILDREN: ReadonlySet<AggregateKind> = new Set<AggregateKind>(["run", "approval"]);

/**
 * The route key of an aggregate: the session's key for sessions, their state, runs and approvals;
 * `<kind>:<id>` otherwise (settings, nodes). `sessionOf` finds the session of a run or approval
 * (from the command that creates it, a cache, or the log) and is undefined for one that does not
 * exist yet — such a command is decided wherever it lands.
 */
export const routeKeyOf = (kind: AggregateKind, id: string, sessionOf: string | undefined): string => {
  if (kind === "session" || kind === "state") return id;
  if (SESSION_CHILDREN.has(kind)) return sessionOf ?? `${kind}:${id}`;
  return `${kind}:${id}`;
};

export const belongsToSession = (kind: AggregateKind): boolean => SESSION_CHILDREN.has(kind);
