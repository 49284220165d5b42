import { mkdirSync, rmSync } from "node:fs";
import { join, resolve } from "node:path";
import type { EventLog } from "../bus/index.ts";
import { CairnError } from "../schemas/index.ts";
import { buildDeferredIndexes, deferIndexes, openDb } from "./db.ts";
import { Projector } from "./projector.ts";

/**
 * The read models as they were at sequence `toSeq`, built from the log into `dir` (a separate data
 * dir for investigation: `dir/projections/projections.db`). The live read models are never
 * touched: `live` (their file) is refused as a target.
 */
export async function replayInto(
  o: { dir: string; toSeq: number; log: Pick<EventLog, "read" | "lastSeq">; live?: string },
  onProgress?: (applied: number, total: number) => void,
): Promise<{ file: string; events: number; ms: number; checkpoint: number }> {
  const started = performance.now();
  const file = join(resolve(o.dir), "projections", "projections.db");
  if (o.live && resolve(o.live) === file)
    throw new CairnError("bad_request", `${o.dir} holds the live read models; replay into another dir`);
  const last = await o.log.lastSeq();
  if (o.toSeq > last) throw new CairnError("bad_request", `the log ends at ${last}; cannot replay to ${o.toSeq}`);
  mkdirSync(join(resolve(o.dir), "projections"), { recursive: true, mode: 0o700 });
  // A replay starts clean: what an earlier replay left there would otherwise be built upon.
  for (const f of [file, `${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
  const db = openDb(file).db;
  // A fresh file, thrown away if anything fails: no journal on disk, no fsync (as a rebuild).
  db.pragma("journal_mode = MEMORY");
  db.pragma("synchronous = OFF");
  db.pragma("cache_size = -65536");
  const projector = new Projector(db, { log: o.log });
  try {
    onProgress?.(0, o.toSeq);
    deferIndexes(db);
    await projector.catchUp(o.toSeq, (seq) => onProgress?.(seq, o.toSeq));
    buildDeferredIndexes(db);
    return { file, events: o.toSeq, ms: performance.now() - started, checkpoint: projector.checkpoint };
  } finally {
    db.close();
  }
}
