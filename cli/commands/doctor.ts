import { request, subjects } from "../../bus/index.ts";
import { connectToGateway } from "../connect.ts";
import type { NodesDoctorReport } from "../gateway/nodes.doctor.ts";
import type { Paths } from "../paths.ts";

const ago = (now: number, at: number | null) => (at === null ? "never" : `${Math.max(0, Math.round((now - at) / 1000))} s ago`);

/** The report as a person reads it: route per session, nodes, the pairing window, then problems with hints. */
export const formatDoctor = (r: NodesDoctorReport, now: number): string => {
  const out: string[] = [];
  out.push(
    `remote exec: ${r.exec.enabled ? `exec on (local sandbox: ${r.exec.sandbox}, approvals: ${r.exec.approvalMode})` : "exec is off"}`,
  );
  out.push(
    r.pairingWindow === null
      ? "pairing window: unknown"
      : `pairing window: ${r.pairingWindow.open ? `open${r.pairingWindow.until !== null ? ` until ${new Date(r.pairingWindow.until).toLocaleString()}` : ""}` : "closed"}`,
  );
  out.push("", "nodes:");
  if (r.nodes.length === 0) out.push("  none paired (on another machine: cairn node add --host <gateway url> --name <name>)");
  for (const n of r.nodes) {
    const state = n.status !== "approved" ? n.status : n.online ? "online" : `offline, last seen ${ago(now, n.lastSeenAt)}`;
    out.push(`  ${n.nodeId}  ${n.name}  ${state}  ${n.platform}  ${n.workingDir}`);
  }
  out.push("", "sessions (where exec runs):");
  if (r.sessions.length === 0) out.push("  no sessions yet");
  for (const s of r.sessions) out.push(`  ${s.session}  ${s.route}  (${s.state})`);
  if (r.moreLocalSessions > 0) out.push(`  … and ${r.moreLocalSessions} more local session(s)`);
  out.push("");
  if (r.problems.length === 0) out.push("no problems found");
  for (const p of r.problems) out.push(`${p.level === "info" ? "note" : p.level}: ${p.message}\n  hint: ${p.hint}`);
  return `${out.join("\n")}\n`;
};

/**
 * `cairn doctor [--json]`: the remote-exec report of the running gateway. Findings are printed,
 * not failed on: the exit status is 0 whenever the gateway answered (1 when it is not running).
 */
export async function doctor(o: { json: boolean }, paths: Paths): Promise<number> {
  const nc = await connectToGateway(paths);
  try {
    const r = (await request(nc, subjects.query("nodes", "doctor"), {})) as NodesDoctorReport;
    process.stdout.write(o.json ? `${JSON.stringify(r)}\n` : formatDoctor(r, Date.now()));
    return 0;
  } finally {
    await nc.close();
  }
}
