import { EventLog, subjects, type LogRecord } from "../../bus/index.ts";
import { summarizeEvent } from "../../projections/index.ts";
import { AggregateKind } from "../../schemas/index.ts";
import { connectToGateway } from "../connect.ts";
import { UsageError } from "../output.ts";
import type { Paths } from "../paths.ts";

const line = (r: LogRecord, json: boolean): string => {
  if (!r.ok) {
    const [, kind = "?", id = "?"] = r.bad.subject.split(".");
    return json
      ? JSON.stringify({
          seq: r.bad.seq,
          type: r.bad.type,
          kind,
          id,
          time: new Date(r.bad.time).toISOString(),
          data: null,
          error: r.bad.error,
        })
      : `${String(r.bad.seq).padStart(6)}  ${new Date(r.bad.time).toISOString()}  ${kind}/${id}  ${r.bad.type || "?"}  ! undecodable: ${r.bad.error}`;
  }
  const e = r.event;
  return json
    ? JSON.stringify({
        seq: e.seq,
        type: e.type,
        kind: e.kind,
        id: e.aggregateId,
        time: new Date(e.time).toISOString(),
        version: e.version,
        eventId: e.id,
        correlationId: e.correlationId ?? null,
        causationId: e.causationId ?? null,
        actor: e.actor ?? null,
        ...(e.traceId ? { traceId: e.traceId } : {}),
        data: e.data,
      })
    : `${String(e.seq).padStart(6)}  ${new Date(e.time).toISOString()}  ${e.kind}/${e.aggregateId}  ${e.type}  ${summarizeEvent(e)}`;
};

/**
 * Which events `--session`, `--run` and `--type` keep. A run belongs to a session from its
 * `run.started`, an approval to a run from its `approval.requested`, so the matcher learns them
 * as the log goes by (it reads from the start when one of those is given).
 */
export const eventFilter = (o: { session?: string; run?: string; type?: string }) => {
  const runs = new Set<string>(o.run ? [o.run] : []);
  const approvals = new Set<string>();
  const typeOk = (t: string) => !o.type || (/[._]$/.test(o.type) ? t.startsWith(o.type) : t === o.type);
  return (r: LogRecord): boolean => {
    if (!r.ok) return !o.session && !o.run && typeOk(r.bad.type);
    const e = r.event;
    if (o.session && e.type === "run.started" && e.data.sessionKey === o.session) runs.add(e.aggregateId);
    if (e.type === "approval.requested" && runs.has(e.data.runId)) approvals.add(e.aggregateId);
    if (!typeOk(e.type)) return false;
    if (!o.session && !o.run) return true;
    if (o.session && e.kind === "session") return e.aggregateId === o.session;
    if (e.kind === "run") return runs.has(e.aggregateId);
    if (e.kind === "approval") return approvals.has(e.aggregateId);
    return false;
  };
};

export async function eventsTail(
  o: { follow: boolean; json: boolean; kind?: string; session?: string; run?: string; type?: string; from?: number; limit: number },
  paths: Paths,
): Promise<number> {
  if (o.kind !== undefined && !(AggregateKind.literals as readonly string[]).includes(o.kind)) {
    throw new UsageError(`--kind must be one of ${AggregateKind.literals.join(", ")}, got '${o.kind}'`);
  }
  const nc = await connectToGateway(paths);
  const abort = new AbortController();
  const onSigint = () => abort.abort();
  process.once("SIGINT", onSigint);
  try {
    const log = await EventLog.open(nc);
    const filter = o.kind ? subjects.eventsOfKind(o.kind as AggregateKind) : undefined;
    const keep = eventFilter(o);
    const sparse = filter !== undefined || o.session !== undefined || o.run !== undefined || o.type !== undefined;
    const last = await log.lastSeq(filter);
    const out = (r: LogRecord) => process.stdout.write(`${line(r, o.json)}\n`);
    if (o.from !== undefined) {
      let n = 0;
      for await (const r of log.read({ fromSeq: o.from, filter, untilSeq: last })) {
        if (!keep(r)) continue;
        if (n++ >= o.limit) break;
        out(r);
      }
    } else if (last > 0) {
      // The last `limit` events: with a filter their sequences are sparse, so keep a window.
      const window: LogRecord[] = [];
      const start = sparse ? 1 : Math.max(1, last - o.limit + 1);
      for await (const r of log.read({ fromSeq: start, filter, untilSeq: last })) {
        if (!keep(r)) continue;
        window.push(r);
        if (window.length > o.limit) window.shift();
      }
      window.forEach(out);
    }
    if (o.follow) {
      // Follow from the end of the whole log: the filtered "last" may lag behind other kinds.
      const end = filter ? await log.lastSeq() : last;
      for await (const r of log.read({ fromSeq: end + 1, filter, signal: abort.signal })) if (keep(r)) out(r);
    }
    return 0;
  } finally {
    process.off("SIGINT", onSigint);
    await nc.close();
  }
}
