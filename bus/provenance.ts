import { AsyncLocalStorage } from "node:async_hooks";
import { headers, type MsgHdrs } from "@nats-io/transport-node";
import { ACTOR_KINDS, type ActorKind } from "../schemas/index.ts";

/**
 * Who is acting and why, carried along with the work: the principal (`user:cli`, `agent:<run>`,
 * `cron:<job>`, ...), the correlation id (the first event of the chain of work) and the causation
 * id (the event, or request, that directly caused this one). It travels in an AsyncLocalStorage
 * inside a process and in NATS headers between processes (`request` writes them, `serve` reads
 * them), and every appended event carries it in its headers — so no command signature has to
 * thread it through by hand, and an effect inherits the cause of the event that decided it.
 *
 * Trust: over WebSocket the edge sets the principal from the client's credentials, never from
 * the client's words; on NATS any holder of gateway or CLI credentials may state one (a node's
 * credentials cannot reach the command subjects at all).
 */

export interface Provenance {
  /** `<kind>:<id>`, e.g. `user:cli`, `user:key-3f2a@192.0.2.7`, `agent:r-42`, `cron:nightly`. */
  readonly actor?: string;
  readonly correlationId?: string;
  readonly causationId?: string;
}

export const PROVENANCE_HEADERS = { actor: "Cairn-Actor", correlation: "Cairn-Correlation", causation: "Cairn-Causation" } as const;

const store = new AsyncLocalStorage<Provenance>();
let processDefault: Provenance = {};

/** The provenance of the work running now (the process's default outside any). */
export const currentProvenance = (): Provenance => store.getStore() ?? processDefault;

/** Who this whole process acts as when nothing narrower is running (`user:cli` for the CLI). */
export const setProcessProvenance = (p: Provenance): void => {
  processDefault = p;
};

/** Runs `fn` with `p` over the current provenance (fields `p` leaves out are inherited). */
export const withProvenance = <T>(p: Provenance, fn: () => T): T => {
  const cur = currentProvenance();
  const next: Provenance = {
    ...cur,
    ...(p.actor ? { actor: p.actor } : {}),
    ...(p.correlationId ? { correlationId: p.correlationId } : {}),
    ...(p.causationId ? { causationId: p.causationId } : {}),
  };
  return store.run(next, fn);
};

/** The actor's kind (`user` of `user:cli`); undefined for a malformed actor. */
export const actorKindOf = (actor: string | undefined): ActorKind | undefined => {
  const kind = actor?.split(":", 1)[0];
  return (ACTOR_KINDS as readonly string[]).includes(kind ?? "") ? (kind as ActorKind) : undefined;
};

/** Adds the current provenance to outgoing headers (made when `h` is undefined and there is some). */
export function provenanceHeaders(h: MsgHdrs | undefined, p: Provenance = currentProvenance()): MsgHdrs | undefined {
  if (!p.actor && !p.correlationId && !p.causationId) return h;
  const out = h ?? headers();
  if (p.actor) out.set(PROVENANCE_HEADERS.actor, p.actor);
  if (p.correlationId) out.set(PROVENANCE_HEADERS.correlation, p.correlationId);
  if (p.causationId) out.set(PROVENANCE_HEADERS.causation, p.causationId);
  return out;
}

/** The provenance a received request states. */
export const provenanceOf = (h: MsgHdrs | undefined): Provenance => {
  const actor = h?.get(PROVENANCE_HEADERS.actor);
  const correlationId = h?.get(PROVENANCE_HEADERS.correlation);
  const causationId = h?.get(PROVENANCE_HEADERS.causation);
  return { ...(actor ? { actor } : {}), ...(correlationId ? { correlationId } : {}), ...(causationId ? { causationId } : {}) };
};
