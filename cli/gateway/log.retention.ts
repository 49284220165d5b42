import { basename } from "node:path";
import type { NatsConnection } from "@nats-io/transport-node";
import { archiveLog, type ArchivePolicy, type ArchiveResult } from "../../bus/index.ts";
import type { LogArchived } from "../../schemas/index.ts";

/**
 * `[log] max_age` / `max_bytes`: the event log's retention. The archive step (bus/log.archive.ts)
 * runs on a timer, on one gateway only — the owner of partition 0 (the ownership lease every
 * gateway already holds for its share of the aggregates; solo, the embedded gateway owns them
 * all). The archive files land in that gateway's data dir, and one writer of them keeps them
 * without holes. What each run did is recorded as `settings.log_archived`, so the cut is in the
 * log itself (`cairn log status` shows the last one).
 */

export type ArchiveRecord = typeof LogArchived.Type;

/** Archives what `policy` says is due and records it (nothing due: nothing archived, nothing recorded). */
export async function archiveAndRecord(o: {
  nc: NatsConnection;
  dir: string;
  policy: ArchivePolicy;
  by: string;
  gatewayId: string;
  record: (r: ArchiveRecord) => Promise<unknown>;
  /** See `archiveLog` (default one minute). */
  marginMs?: number;
}): Promise<ArchiveResult> {
  const r = await archiveLog(o.nc, {
    ...o.policy,
    dir: o.dir,
    now: Date.now(),
    ...(o.marginMs !== undefined ? { marginMs: o.marginMs } : {}),
  });
  if (r.file === null && r.removed === 0) return r;
  await o.record({
    file: r.file === null ? null : basename(r.file),
    firstSeq: r.firstSeq,
    lastSeq: r.lastSeq,
    archived: r.archived,
    removed: r.removed,
    bytesBefore: r.bytesBefore,
    bytesAfter: r.bytesAfter,
    ...(o.policy.maxAgeMs !== undefined ? { maxAgeMs: o.policy.maxAgeMs } : {}),
    ...(o.policy.maxBytes !== undefined ? { maxBytes: o.policy.maxBytes } : {}),
    by: o.by,
    gatewayId: o.gatewayId,
  });
  return r;
}

/** Checks the limits every `everyMs` while this gateway is the owner; returns the stop function. */
export function startLogRetention(o: {
  archive: () => Promise<ArchiveResult>;
  everyMs: number;
  isOwner: () => boolean;
  report: (line: string) => void;
}): () => void {
  let running = false;
  const tick = async () => {
    if (running || !o.isOwner()) return;
    running = true;
    try {
      const r = await o.archive();
      if (r.file !== null || r.removed > 0)
        o.report(`log retention: archived events ${r.firstSeq}..${r.lastSeq} (${r.archived}), ${r.removed} removed from the log`);
    } catch (e) {
      // The log keeps everything until the next try: nothing is lost, the limit is only late.
      o.report(`log retention: archiving failed (retrying in ${Math.round(o.everyMs / 1000)} s): ${(e as Error).message}`);
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void tick(), o.everyMs);
  timer.unref();
  return () => clearInterval(timer);
}
