import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { isNoRespondersError, parseCommandSubject, request, serve, subjects } from "../../bus/index.ts";
import { AggregateKind, CairnError, isCairnError } from "../../schemas/index.ts";
import { withRetry, type Dispatch } from "./dispatch.ts";
import type { PartitionOwner } from "./ownership.ts";
import { belongsToSession, partitionOf, routeKeyOf } from "./partitions.ts";

/**
 * Commands reach the gateway that owns their aggregate. Every gateway serves `cmd.<kind>.*.*` in
 * one queue group, so each command is taken by exactly one of them; the taker decides it when it
 * owns the aggregate's partition and otherwise forwards it to the owner (`gw.<id>.cmd.…`), one hop.
 * Effects dispatch the same way. A command caught by a change of owner is re-routed, never applied
 * twice: the old owner refuses it (`not_owner`) before deciding anything.
 */

/** Queue group of the command subjects: one gateway of all takes each command. */
const QUEUE = "cairn-gateways";
/** How long a command waits for some gateway to own its partition (a failover takes about 2 s). */
const ROUTE_TIMEOUT_MS = 10_000;
/** Retries of a client's command while NATS does not answer: about 8 s in all. */
const SERVED_RETRY = { attempts: 5, baseMs: 250 };
/** A forwarded command's answer; as long as a command may take on the owner. */
const FORWARD_TIMEOUT_MS = 30_000;

export interface CommandRouter {
  /** Sends a command to its aggregate wherever it is owned. */
  readonly dispatch: Dispatch;
  /**
   * How effects send commands. An effect works for one session, in the gateway that owns it: a
   * command to that session's aggregates which this gateway no longer owns means the effect is
   * stale (its gateway was paused or cut off and another took over), so it fails with `not_owner`
   * instead of being forwarded — the new owner has adopted that work. Other aggregates (settings)
   * are forwarded.
   */
  readonly effectDispatch: Dispatch;
  /** The partition of an aggregate (looks up the session of a run or approval once). */
  partition(kind: AggregateKind, id: string, params?: unknown): Promise<number>;
  /** The partition of an aggregate whose session is known (no lookup): for fences and idleness. */
  partitionKnown(kind: AggregateKind, id: string, sessionKey: string | undefined): number;
  /** The session of a run or approval, when this process has seen it. */
  sessionOf(kind: AggregateKind, id: string): string | undefined;
  readonly subs: readonly Subscription[];
}

export function routeCommands(o: {
  nc: NatsConnection;
  ownership: PartitionOwner;
  kinds: readonly AggregateKind[];
  /** Decides a command here (this gateway owns it). */
  handle: Dispatch;
  /** The session a run or approval belongs to, from its first event; undefined when it has none. */
  lookupSession: (kind: AggregateKind, id: string) => Promise<string | undefined>;
  /** Refuses new commands once the gateway is stopping. */
  stopping: () => boolean;
}): CommandRouter {
  const sessions = new Map<string, string>();
  const remember = (kind: AggregateKind, id: string, sessionKey: string) => {
    // Bounded: a forgotten entry is looked up again in the log.
    if (sessions.size > 20_000) sessions.clear();
    sessions.set(`${kind}:${id}`, sessionKey);
  };
  const sessionOf = (kind: AggregateKind, id: string) => sessions.get(`${kind}:${id}`);
  const partitionKnown = (kind: AggregateKind, id: string, sessionKey: string | undefined) => partitionOf(routeKeyOf(kind, id, sessionKey));

  const partition = async (kind: AggregateKind, id: string, params?: unknown): Promise<number> => {
    if (!belongsToSession(kind)) return partitionKnown(kind, id, undefined);
    let key = sessionOf(kind, id);
    const named = (params as { sessionKey?: unknown } | undefined)?.sessionKey;
    if (!key && typeof named === "string" && named !== "") key = named;
    key ??= await o.lookupSession(kind, id);
    if (key) remember(kind, id, key);
    return partitionKnown(kind, id, key);
  };

  const route = async (kind: AggregateKind, id: string, verb: string, params: unknown, fromEffect: boolean): Promise<unknown> => {
    if (o.stopping() && !fromEffect) throw new CairnError("unavailable", "the gateway is shutting down");
    const started = performance.now();
    for (let attempt = 0; ; attempt++) {
      const p = await partition(kind, id, params);
      try {
        if (o.ownership.owns(p)) return await o.handle(kind, id, verb, params);
        if (fromEffect && (kind === "session" || kind === "state" || belongsToSession(kind))) {
          throw new CairnError("not_owner", `gateway ${o.ownership.id} no longer owns ${kind} ${id}; its new owner carries the work on`, {
            stale: true,
          });
        }
        const owner = o.ownership.ownerOf(p);
        if (owner) {
          return await request(o.nc, subjects.forwardTo(owner, subjects.command(kind, id, verb)), params, {
            timeoutMs: FORWARD_TIMEOUT_MS,
          });
        }
      } catch (e) {
        // The owner changed under the command (or the one named is gone): route it again.
        const stale = (e as { details?: { stale?: boolean } }).details?.stale === true;
        if (stale || !((isCairnError(e) && e.code === "not_owner") || isNoRespondersError(e))) throw e;
      }
      if (performance.now() - started > ROUTE_TIMEOUT_MS) {
        throw new CairnError(
          "unavailable",
          `no gateway owns partition ${p} (where ${kind} ${id} lives) right now; a gateway may be failing over — try again in a few seconds`,
        );
      }
      await new Promise((r) => setTimeout(r, Math.min(50 * 2 ** attempt, 250)));
    }
  };
  const dispatch: Dispatch = (kind, id, verb, params) => route(kind, id, verb, params, false);
  // A command from a client rides out a short outage (a log leader being elected takes seconds)
  // instead of failing: a retry decides again on the reloaded state, so it applies at most once.
  const served = withRetry(dispatch, SERVED_RETRY);
  const effectDispatch: Dispatch = (kind, id, verb, params) => route(kind, id, verb, params, true);

  const isKind = (k: string): k is AggregateKind => (AggregateKind.literals as readonly string[]).includes(k);
  const parse = (subject: string) => {
    const where = parseCommandSubject(subject);
    if (!where || !isKind(where.kind)) throw new CairnError("bad_request", `not a command subject: ${subject}`);
    return where as { kind: AggregateKind; id: string; verb: string };
  };

  const subs = [
    ...o.kinds.map((kind) =>
      serve(
        o.nc,
        subjects.commandsOfKind(kind),
        (params, msg) => {
          const w = parse(msg.subject);
          return served(w.kind, w.id, w.verb, params);
        },
        { queue: QUEUE },
      ),
    ),
    // Commands another gateway forwarded here because this one owns their partition.
    serve(o.nc, subjects.forwardedTo(o.ownership.id), async (params, msg) => {
      if (o.stopping()) throw new CairnError("not_owner", "this gateway is shutting down");
      const w = parse(msg.subject.slice(subjects.forwardTo(o.ownership.id, "").length));
      const p = await partition(w.kind, w.id, params);
      if (!o.ownership.owns(p)) throw new CairnError("not_owner", `gateway ${o.ownership.id} no longer owns partition ${p}`);
      return withRetry(o.handle, SERVED_RETRY)(w.kind, w.id, w.verb, params);
    }),
  ];

  return { dispatch, effectDispatch, partition, partitionKnown, sessionOf, subs };
}
