import { approvalIdFor } from "../../actors/approval/index.ts";
import { EventLog } from "../../bus/index.ts";
import { loadSessionEvents, sessionAt, type SessionAt, type SessionPoint } from "../../projections/index.ts";
import { localTime } from "../output.ts";
import type { Paths } from "../paths.ts";
import { withLogConnection } from "./log.access.ts";

const clip = (s: string, n = 400) => (s.length > n ? `${s.slice(0, n)}…` : s);

export const describeSessionAt = (a: SessionAt): string => {
  const head =
    a.seq === 0
      ? `session ${a.key} did not exist yet (its first event comes later)`
      : `session ${a.key} as of event ${a.seq} (${localTime(a.time)}), ${a.applied} of its ${a.total} events`;
  const lines = [head];
  if (a.deleted) lines.push("  deleted by then");
  if (a.session) {
    const s = a.session;
    lines.push(`  title    ${s.title || "(none)"}`, `  model    ${s.model ?? "the default"}`, `  messages ${a.messages.length}`);
    if (a.activeRun) lines.push(`  a reply was streaming (run ${a.activeRun.runId}, ${a.activeRun.model})`);
  }
  for (const m of a.messages) {
    const mark = m.status === "complete" ? "" : ` [${m.status}]`;
    lines.push("", `${m.role === "user" ? "User" : "Assistant"} · ${localTime(m.at)}${mark}`, clip(m.text));
  }
  if (a.toolCalls.length > 0) lines.push("", "Tool calls:");
  for (const c of a.toolCalls)
    lines.push(`  ${c.callId} ${c.name} ${c.status}${c.approvalId ? ` (approval ${c.approvalId})` : ""}: ${clip(c.arguments, 120)}`);
  if (a.approvals.length > 0) lines.push("", "Approvals:");
  for (const p of a.approvals)
    lines.push(`  ${p.id} ${p.status}${p.decidedBy ? ` by ${p.decidedBy}` : ""}: ${clip(p.command ?? p.tool, 120)}`);
  return `${lines.join("\n")}\n`;
};

/** `cairn sessions at <key> --seq N | --time T`: the session as it was then, from the log alone. */
export async function sessionsAt(o: { key: string; at: SessionPoint; json: boolean }, paths: Paths): Promise<number> {
  const view = await withLogConnection(paths, "cairn-sessions-at", async (nc) =>
    sessionAt(await loadSessionEvents(await EventLog.open(nc), o.key, approvalIdFor), o.at),
  );
  process.stdout.write(o.json ? `${JSON.stringify(view)}\n` : describeSessionAt(view));
  return 0;
}
