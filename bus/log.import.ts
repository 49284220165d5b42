import { createHash } from "node:crypto";
import { AggregateKind, CairnError, type EventType, type NewEvent } from "../schemas/index.ts";
import type { EventLog } from "./event-log.ts";
import type { ImportableEvent } from "./log.export.ts";

/**
 * Writes an export's events into this gateway's log (`cairn sessions import`). Each event gets a
 * new id (derived from the old one and the target, so a second attempt names the same ids) while
 * its time, actor, correlation and causation are kept — correlation and causation translated to
 * the new ids where they named an exported event. The events are appended in their original
 * order across aggregates, so the read models fold them exactly as they folded the originals.
 *
 * Nothing half-written: every aggregate is checked before the first append — one that exists
 * already is a `conflict` (choose another session key) — and a run that stopped midway (the bus
 * went away) is finished by running the same import again: an aggregate holding exactly a prefix
 * of the planned events is continued, never duplicated.
 */

export interface ImportPlan {
  /** The session key the events are written under (the export's, or the one asked for). */
  readonly sessionKey?: string;
  readonly events: readonly ImportableEvent[];
}

export interface ImportResult {
  readonly events: number;
  /** Events already in the log from an earlier attempt of the same import. */
  readonly resumed: number;
  readonly aggregates: number;
  readonly firstSeq: number;
  readonly lastSeq: number;
}

/** The new id of an imported event: stable for one target, so a repeated import resumes. */
export const importedId = (target: string, oldId: string): string =>
  `im-${createHash("sha256").update(`${target}\n${oldId}`).digest("hex").slice(0, 24)}`;

/** Replaces, anywhere in an event's data, `runId` and `sessionKey` values found in the maps. */
const renewIn = (v: unknown, runs: ReadonlyMap<string, string>, key: { from: string; to: string }): unknown => {
  if (Array.isArray(v)) return v.map((x) => renewIn(x, runs, key));
  if (v === null || typeof v !== "object") return v;
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v)) {
    if (k === "runId" && typeof x === "string") out[k] = runs.get(x) ?? x;
    else if (k === "sessionKey" && x === key.from) out[k] = key.to;
    else out[k] = renewIn(x, runs, key);
  }
  return out;
};

/**
 * Gives an export's aggregates their identities in the target: the session the key `to`, each run
 * a new id (runs and approvals are keyed by id gateway-wide, so a copy imported next to its
 * original must not collide), each approval the id its new run and call give (`approvalIdOf`, the
 * approval actor's rule). New ids derive from the target key and the old id: the same import
 * names the same ids again, which is what lets a repeated import resume.
 */
export function renewIds(
  events: readonly ImportableEvent[],
  o: { from: string; to: string; approvalIdOf: (runId: string, callId: string) => string },
): ImportableEvent[] {
  const runs = new Map<string, string>();
  for (const e of events) {
    if (e.kind === "run" && !runs.has(e.aggregateId))
      runs.set(e.aggregateId, `r-${createHash("sha256").update(`${o.to}\n${e.aggregateId}`).digest("hex").slice(0, 20)}`);
  }
  const approvals = new Map<string, string>();
  const renewed = events.map((e) => {
    const data = renewIn(e.data, runs, o) as { runId?: string; callId?: string };
    // An approval's first event names its run and call; its later ones only its id.
    if (e.kind === "approval" && data.runId && data.callId) approvals.set(e.aggregateId, o.approvalIdOf(data.runId, data.callId));
    return { ...e, data };
  });
  return renewed.map((e) => {
    let id = e.aggregateId;
    if (e.kind === "session" && id === o.from) id = o.to;
    else if (e.kind === "run") id = runs.get(id) ?? id;
    else if (e.kind === "approval") id = approvals.get(id) ?? id;
    return { ...e, aggregateId: id, subject: `evt.${e.kind}.${id}` };
  });
}

const isKind = (k: string): k is AggregateKind => (AggregateKind.literals as readonly string[]).includes(k);

export async function importEvents(log: EventLog, plan: ImportPlan): Promise<ImportResult> {
  const target = plan.sessionKey ?? "";
  const ids = new Map(plan.events.map((e) => [e.id, importedId(target, e.id)]));
  const bySubject = new Map<string, { kind: AggregateKind; id: string; planned: string[] }>();
  for (const e of plan.events) {
    if (!isKind(e.kind)) throw new CairnError("bad_request", `line ${e.line}: unknown aggregate kind '${e.kind}'`, { line: e.line });
    const a = bySubject.get(e.subject) ?? { kind: e.kind, id: e.aggregateId, planned: [] };
    a.planned.push(ids.get(e.id) ?? "");
    bySubject.set(e.subject, a);
  }
  // Every aggregate is checked before anything is written.
  const state = new Map<string, { lastSeq: number; done: number }>();
  for (const [subject, a] of bySubject) {
    const { records, lastSeq } = await log.load(a.kind, a.id);
    const have = records.map((r) => (r.ok ? r.event.id : ""));
    const prefix = have.every((id, i) => id === a.planned[i]) && have.length <= a.planned.length;
    if (!prefix) {
      const what =
        a.kind === "session" ? `session '${a.id}' exists already; import it under another key (--as <key>)` : `${subject} exists already`;
      throw new CairnError("conflict", `${what}; nothing was imported`, { subject });
    }
    state.set(subject, { lastSeq, done: have.length });
  }
  let resumed = 0;
  let firstSeq = 0;
  let lastSeq = 0;
  const seen = new Map<string, number>();
  for (const e of plan.events) {
    const s = state.get(e.subject);
    const a = bySubject.get(e.subject);
    if (!s || !a) continue;
    const index = seen.get(e.subject) ?? 0;
    seen.set(e.subject, index + 1);
    if (index < s.done) {
      resumed++;
      continue;
    }
    const newId = ids.get(e.id) ?? "";
    const [seq] = await log.append({
      kind: a.kind,
      id: a.id,
      expectedSeq: s.lastSeq,
      events: [{ type: e.type as EventType, data: e.data } as NewEvent],
      eventIds: [newId],
      now: e.time,
      ...(e.actor ? { actor: e.actor } : {}),
      correlationId: e.correlationId ? (ids.get(e.correlationId) ?? e.correlationId) : newId,
      ...(e.causationId ? { causationId: ids.get(e.causationId) ?? e.causationId } : {}),
    });
    s.lastSeq = seq;
    if (firstSeq === 0) firstSeq = seq;
    lastSeq = seq;
  }
  return { events: plan.events.length - resumed, resumed, aggregates: bySubject.size, firstSeq, lastSeq };
}
