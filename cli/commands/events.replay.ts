import { EventLog, archivedReader } from "../../bus/index.ts";
import { archiveDir } from "./log.ts";
import { replayInto } from "../../projections/index.ts";
import { progressBar } from "../output.ts";
import type { Paths } from "../paths.ts";
import { withLogConnection } from "./log.access.ts";

/** `cairn events replay --to SEQ --into DIR`: the read models as of SEQ, in DIR, the live ones untouched. */
export async function eventsReplay(o: { json: boolean; to: number; into: string }, paths: Paths): Promise<number> {
  const bar = progressBar("replaying");
  const r = await withLogConnection(paths, "cairn-replay", async (nc) =>
    replayInto(
      { dir: o.into, toSeq: o.to, log: archivedReader(await EventLog.open(nc), archiveDir(paths)), live: paths.projectionsDb },
      (applied, total) => {
        if (!o.json) bar.update(applied, total);
      },
    ),
  );
  if (!o.json) bar.done();
  const rate = r.ms > 0 ? Math.round((r.events / r.ms) * 1000) : r.events;
  if (o.json)
    process.stdout.write(`${JSON.stringify({ ok: true, file: r.file, events: r.events, ms: Math.round(r.ms), eventsPerSecond: rate })}\n`);
  else
    process.stdout.write(
      `replayed ${r.events} events into ${r.file} in ${Math.round(r.ms)} ms (${rate} events/s)\n` +
        `  (a SQLite file: open it with sqlite3, or point a copy of cairn at it)\n`,
    );
  return 0;
}
