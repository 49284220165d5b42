import { request, subjects } from "../../bus/index.ts";
import { decodeOrFail, StatusPayload } from "../../schemas/index.ts";
import { connectToGateway } from "../connect.ts";
import type { Paths } from "../paths.ts";

/** Distinct from 1 (not running / failed) so a script can tell "up but degraded" apart. */
export const EXIT_DEGRADED = 3;

/** Overall verdict: the same rule as GET /health (a status without `state` is from an older gateway: ok). */
export const isDegraded = (s: StatusPayload): boolean => !s.nats.connected || s.projections.state === "degraded";

/** The status as a person reads it. */
export const formatStatus = (s: StatusPayload): string => {
  const p = s.projections;
  const out = [
    `status:      ${isDegraded(s) ? "degraded" : "ok"}`,
    `gateway:     cairn ${s.version}`,
    `bus:         nats-server ${s.nats.version}, ${s.nats.connected ? "connected" : "NOT connected"}`,
    `read models: ${p.state ?? "ok"} — checkpoint ${p.checkpoint} of ${p.logLastSeq} (lag ${p.lag})` +
      (p.consumerRestarts ? `, log consumer restarted ${p.consumerRestarts} time(s)` : ""),
  ];
  if (p.state === "degraded") out.push(`             ${p.issue ?? "degraded"}: ${p.reason ?? "no reason given"}`);
  out.push(`model:       ${s.model ?? `none (${s.modelHint ?? "not configured"})`}`);
  if (s.sandbox) out.push(`sandbox:     ${s.sandbox.summary}${s.sandbox.warning ? ` — ${s.sandbox.warning}` : ""}`);
  return `${out.join("\n")}\n`;
};

/** `cairn status [--json]`: the running gateway's `q.status.get`. */
export async function status(o: { json: boolean }, paths: Paths): Promise<number> {
  const nc = await connectToGateway(paths);
  try {
    const s = decodeOrFail(StatusPayload, await request(nc, subjects.query("status", "get"), {}), "status");
    process.stdout.write(o.json ? `${JSON.stringify(s)}\n` : formatStatus(s));
    return isDegraded(s) ? EXIT_DEGRADED : 0;
  } finally {
    await nc.close();
  }
}
