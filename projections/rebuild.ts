import { existsSync, renameSync, rmSync } from "node:fs";
import type { EventLog } from "../bus/index.ts";
import { buildDeferredIndexes, deferIndexes, openDb, type Db } from "./db.ts";
import { Projector } from "./projector.ts";

const sidecars = (file: string) => [`${file}-wal`, `${file}-shm`];

/**
 * Rebuilds every read model from sequence 1 into a fresh file next to `file`. The live database
 * keeps serving meanwhile, and a crash mid-rebuild leaves it untouched. Install the result with
 * `installRebuilt` once the old database is closed.
 */
export async function buildFresh(
  file: string,
  log: EventLog,
  onProgress?: (applied: number, total: number) => void,
): Promise<{ tmp: string; events: number; ms: number }> {
  const started = performance.now();
  const tmp = `${file}.rebuild`;
  for (const f of [tmp, ...sidecars(tmp)]) rmSync(f, { force: true });
  const db = openDb(tmp).db;
  // A fresh file that is thrown away if anything goes wrong: no durability needed until the end
  // (the rename), so no WAL and no fsync while it fills — the rebuild's biggest cost otherwise.
  db.pragma("journal_mode = MEMORY");
  db.pragma("synchronous = OFF");
  db.pragma("cache_size = -65536");
  const projector = new Projector(db, { log });
  const total = await log.lastSeq();
  onProgress?.(0, total);
  deferIndexes(db);
  await projector.catchUp(total, (seq) => onProgress?.(seq, total));
  buildDeferredIndexes(db);
  projector.db.close();
  return { tmp, events: total, ms: performance.now() - started };
}

/** Moves a rebuilt database over `file` (whose connection must be closed) and opens it. */
export function installRebuilt(file: string, tmp: string): Db {
  for (const f of sidecars(file)) if (existsSync(f)) rmSync(f, { force: true });
  for (const f of sidecars(tmp)) if (existsSync(f)) rmSync(f, { force: true });
  renameSync(tmp, file);
  return openDb(file).db;
}
