import { request, subjects } from "../../bus/index.ts";
import { isTokenSafe } from "../../schemas/index.ts";
import { connectToGateway } from "../connect.ts";
import { UsageError, localTime, table } from "../output.ts";
import type { Paths } from "../paths.ts";

interface Row {
  id: string;
  sessionKey: string;
  runId: string;
  tool: string;
  command: string;
  status: string;
  requestedAt: number;
  expiresAt: number;
  decidedBy: string | null;
}

/** `cairn approvals list`: pending approvals (all of them with --all), most recent first. */
export async function approvalsList(o: { json: boolean; all: boolean }, paths: Paths): Promise<number> {
  const nc = await connectToGateway(paths);
  try {
    const r = (await request(nc, subjects.query("approvals", "list"), o.all ? {} : { status: "pending" })) as { approvals: Row[] };
    if (o.json) {
      process.stdout.write(r.approvals.map((a) => `${JSON.stringify(a)}\n`).join(""));
      return 0;
    }
    if (r.approvals.length === 0) {
      process.stdout.write(o.all ? "no approvals yet\n" : "no pending approvals\n");
      return 0;
    }
    const rows = [
      ["ID", "STATUS", "SESSION", "REQUESTED", o.all ? "DECIDED BY" : "EXPIRES", "COMMAND"],
      ...r.approvals.map((a) => [
        a.id,
        a.status,
        a.sessionKey,
        localTime(a.requestedAt),
        o.all ? (a.decidedBy ?? "-") : localTime(a.expiresAt),
        `${a.tool}: ${a.command.replace(/\s+/g, " ")}`,
      ]),
    ];
    process.stdout.write(table(rows));
    return 0;
  } finally {
    await nc.close();
  }
}

/**
 * `cairn approvals approve|deny <id>`: answers one approval. The first answer wins; answering a
 * decided approval prints what it was decided as and exits 1.
 */
export async function approvalsAnswer(
  o: { id: string; verb: "approve" | "deny"; always?: boolean; reason?: string; json: boolean },
  paths: Paths,
): Promise<number> {
  if (!isTokenSafe(o.id)) throw new UsageError(`an approval id is 1-64 letters, digits, '_' or '-', got '${o.id}'`);
  const nc = await connectToGateway(paths);
  try {
    const params =
      o.verb === "approve"
        ? { by: "cli", ...(o.always ? { always: true } : {}) }
        : { by: "cli", ...(o.reason ? { reason: o.reason } : {}) };
    const r = (await request(nc, subjects.command("approval", o.id, o.verb), params)) as { status: string; command: string };
    const wanted = o.verb === "approve" ? "granted" : "denied";
    if (o.json) process.stdout.write(`${JSON.stringify(r)}\n`);
    else if (r.status === wanted) process.stdout.write(`${o.id} ${wanted}: ${r.command}\n`);
    else process.stderr.write(`${o.id} was already ${r.status}; nothing changed\n`);
    return r.status === wanted ? 0 : 1;
  } finally {
    await nc.close();
  }
}
