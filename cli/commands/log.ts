import { logExtent, readRawLog, verifyEvents, type VerifyReport } from "../../bus/index.ts";
import { EXIT_FAILED, progressBar } from "../output.ts";
import type { Paths } from "../paths.ts";
import { withLogConnection } from "./log.access.ts";

const rate = (events: number, ms: number) => (ms > 0 ? Math.round((events / ms) * 1000) : events);

const describeReport = (r: VerifyReport, ms: number): string => {
  const lines = [
    `verified ${r.events} events${r.events ? ` (sequences ${r.firstSeq}..${r.lastSeq})` : ""} in ${Math.round(ms)} ms, ${rate(r.events, ms)} events/s`,
    `  ${r.chained} chained, ${r.unchained} from before the chain, ${r.anchored} anchoring an archived prefix, ${r.subjects} aggregates`,
    `  head digest ${r.digest} (keep it: a later verify with the same digest proves no tail was rewritten)`,
  ];
  for (const b of r.breaks) lines.push(`BREAK at ${b.seq} (${b.subject}): ${b.reason}: ${b.message}`);
  if (r.moreBreaks > 0) lines.push(`... and ${r.moreBreaks} more breaks`);
  lines.push(r.ok ? "ok: every event chains on the one before it" : `FAILED: ${r.breaks.length + r.moreBreaks} breaks`);
  return `${lines.join("\n")}\n`;
};

/** `cairn log verify`: walks the whole log, checks every event's chain, reports breaks and the rate. */
export async function logVerify(o: { json: boolean }, paths: Paths): Promise<number> {
  const bar = progressBar("verifying");
  const { report, ms, mode } = await withLogConnection(paths, "cairn-log-verify", async (nc, mode) => {
    const { firstSeq, lastSeq } = await logExtent(nc);
    const t0 = performance.now();
    const report = await verifyEvents(readRawLog(nc, { fromSeq: firstSeq, untilSeq: lastSeq }), {
      startsAt: firstSeq,
      onProgress: (seq) => !o.json && bar.update(seq - firstSeq + 1, lastSeq - firstSeq + 1),
    });
    return { report, ms: performance.now() - t0, mode };
  });
  if (!o.json) bar.done();
  if (o.json) {
    process.stdout.write(`${JSON.stringify({ ...report, ms: Math.round(ms), eventsPerSecond: rate(report.events, ms), mode })}\n`);
  } else process.stdout.write(describeReport(report, ms));
  return report.ok ? 0 : EXIT_FAILED;
}
