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
        ...(e.traceId ? { traceId: e.traceId } : {}),
        data: e.data,
      })
    : `${String(e.seq).padStart(6)}  ${new Date(e.time).toISOString()}  ${e.kind}/${e.aggregateId}  ${e.type}  ${summarizeEvent(e)}`;
};

export async function eventsTail(
  o: { follow: boolean; json: boolean; kind?: string; from?: number; limit: number },
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
    const last = await log.lastSeq(filter);
    const out = (r: LogRecord) => process.stdout.write(`${line(r, o.json)}\n`);
    if (o.from !== undefined) {
      let n = 0;
      for await (const r of log.read({ fromSeq: o.from, filter, untilSeq: last })) {
        if (n++ >= o.limit) break;
        out(r);
      }
    } else if (last > 0) {
      // The last `limit` events: with a kind filter their sequences are sparse, so keep a window.
      const window: LogRecord[] = [];
      const start = filter ? 1 : Math.max(1, last - o.limit + 1);
      for await (const r of log.read({ fromSeq: start, filter, untilSeq: last })) {
        window.push(r);
        if (window.length > o.limit) window.shift();
      }
      window.forEach(out);
    }
    if (o.follow) {
      // Follow from the end of the whole log: the filtered "last" may lag behind other kinds.
      const end = filter ? await log.lastSeq() : last;
      for await (const r of log.read({ fromSeq: end + 1, filter, signal: abort.signal })) out(r);
    }
    return 0;
  } finally {
    process.off("SIGINT", onSigint);
    await nc.close();
  }
}
