import { requestAs, subjects } from "../../bus/index.ts";
import { ListAuditResult, type ActorKind, type AuditCategory, type AuditStep } from "../../schemas/index.ts";
import { connectToGateway } from "../connect.ts";
import { localTime, UsageError } from "../output.ts";
import type { Paths } from "../paths.ts";

const UNITS: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `--since`: an ISO date/time, or an age such as 30m, 2h, 7d (before `now`). */
export const parseSince = (v: string, now: number, flag = "--since"): number => {
  const age = /^(\d+)([smhd])$/.exec(v);
  if (age) return now - Number(age[1]) * UNITS[age[2]];
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new UsageError(`${flag} takes a date (2025-01-31, 2025-01-31T12:00) or an age (30m, 2h, 7d), got '${v}'`);
  return t;
};

const stepLine = (s: AuditStep) => `${s.type} ${s.kind}/${s.aggregateId} by ${s.actor ?? "?"} at ${s.seq}: ${s.summary}`;

export async function auditList(
  o: {
    json: boolean;
    session?: string;
    run?: string;
    since?: number;
    actor?: ActorKind;
    category?: AuditCategory;
    all: boolean;
    limit: number;
  },
  paths: Paths,
): Promise<number> {
  const nc = await connectToGateway(paths);
  try {
    const params = {
      ...(o.session !== undefined ? { sessionKey: o.session } : {}),
      ...(o.run !== undefined ? { runId: o.run } : {}),
      ...(o.since !== undefined ? { since: o.since } : {}),
      ...(o.actor !== undefined ? { actor: o.actor } : {}),
      ...(o.category !== undefined ? { category: o.category } : {}),
      ...(o.all ? { all: true } : {}),
      limit: o.limit,
    };
    const { entries } = await requestAs(nc, subjects.query("audit", "list"), params, ListAuditResult);
    if (o.json) {
      for (const e of entries) process.stdout.write(`${JSON.stringify({ ...e, at: new Date(e.time).toISOString() })}\n`);
      return 0;
    }
    if (entries.length === 0) process.stdout.write("no decisions match\n");
    for (const e of entries) {
      process.stdout.write(
        `${String(e.seq).padStart(6)}  ${localTime(e.time)}  ${e.actor ?? "?"}  ${e.type} ${e.kind}/${e.aggregateId}  ${e.summary}\n`,
      );
      for (const s of e.chain) process.stdout.write(`          ← ${stepLine(s)}\n`);
    }
    return 0;
  } finally {
    await nc.close();
  }
}
