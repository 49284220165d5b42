import {
  AttachmentStore,
  archivedReader,
  attachmentsDir,
  collectAttachments,
  EventLog,
  planAttachmentGc,
  readAttachmentRefs,
  type PlannedEntry,
} from "../../bus/index.ts";
import { connectToGateway } from "../connect.ts";
import { localTime, table } from "../output.ts";
import type { Paths } from "../paths.ts";
import { archiveDir } from "./log.ts";

/**
 * `cairn attachments list|status|gc`: the data dir's attachment store against the running
 * gateway's log (which files its live sessions still name).
 */

export type AttachmentsOptions = { json: boolean; graceMs: number };

/** The store's files, each with what the log says of it. */
async function plan(o: AttachmentsOptions, paths: Paths) {
  const store = new AttachmentStore(attachmentsDir(paths.dataDir));
  const nc = await connectToGateway(paths);
  try {
    // Files first, then the log: a file uploaded and sent in between is then seen as referenced
    // (or recent), never as unreferenced.
    const entries = await store.entries();
    const refs = await readAttachmentRefs(archivedReader(await EventLog.open(nc), archiveDir(paths)));
    return { store, refs, plan: planAttachmentGc(entries, refs, { now: Date.now(), graceMs: o.graceMs }) };
  } finally {
    await nc.close();
  }
}

const size = (n: number) =>
  n >= 1024 * 1024 ? `${(n / 1024 / 1024).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} B`;
const row = (p: PlannedEntry) => ({
  sha256: p.sha256,
  size: p.size,
  uploadedAt: new Date(p.uploadedAt).toISOString(),
  state: p.state,
  sessions: p.sessions,
});
const out = (text: string) => process.stdout.write(text);

export async function attachmentsList(o: AttachmentsOptions, paths: Paths): Promise<number> {
  const { plan: files } = await plan(o, paths);
  if (o.json) {
    out(`${JSON.stringify({ files: files.map(row) })}\n`);
    return 0;
  }
  if (files.length === 0) {
    out("no attachments stored\n");
    return 0;
  }
  out(
    table([
      ["SHA256", "SIZE", "UPLOADED", "STATE", "SESSIONS"],
      ...files.map((p) => [p.sha256.slice(0, 16), size(p.size), localTime(p.uploadedAt), p.state, p.sessions.join(",") || "-"]),
    ]),
  );
  return 0;
}

const totals = (files: readonly PlannedEntry[], state: PlannedEntry["state"]) => {
  const of = files.filter((p) => p.state === state);
  return { files: of.length, bytes: of.reduce((n, p) => n + p.size, 0) };
};

export async function attachmentsStatus(o: AttachmentsOptions, paths: Paths): Promise<number> {
  const { plan: files, refs } = await plan(o, paths);
  const s = {
    dir: attachmentsDir(paths.dataDir),
    files: files.length,
    bytes: files.reduce((n, p) => n + p.size, 0),
    referenced: totals(files, "referenced"),
    recent: totals(files, "recent"),
    unreferenced: totals(files, "unreferenced"),
    graceSeconds: Math.round(o.graceMs / 1000),
    undecodableEvents: refs.undecodable,
  };
  if (o.json) {
    out(`${JSON.stringify(s)}\n`);
    return 0;
  }
  out(
    `${s.dir}: ${s.files} file(s), ${size(s.bytes)}\n` +
      `  in use:        ${s.referenced.files} (${size(s.referenced.bytes)})\n` +
      `  recent:        ${s.recent.files} (${size(s.recent.bytes)}; unsent or unreferenced for less than the ${s.graceSeconds} s grace period: kept)\n` +
      `  unreferenced:  ${s.unreferenced.files} (${size(s.unreferenced.bytes)}; 'cairn attachments gc' removes them)\n` +
      (s.undecodableEvents > 0 ? `  ! ${s.undecodableEvents} undecodable session event(s) in the log: gc refuses to run\n` : ""),
  );
  return 0;
}

export async function attachmentsGc(o: AttachmentsOptions & { dryRun: boolean }, paths: Paths): Promise<number> {
  const { store, plan: files, refs } = await plan(o, paths);
  const r = await collectAttachments(store, files, refs, o.dryRun);
  const kept = files.length - r.removed.length;
  if (o.json) {
    out(`${JSON.stringify({ dryRun: r.dryRun, removed: r.removed.map(row), bytes: r.bytes, kept })}\n`);
    return 0;
  }
  const verb = r.dryRun ? "would remove" : "removed";
  for (const p of r.removed) out(`${verb} ${p.sha256} (${size(p.size)}, uploaded ${localTime(p.uploadedAt)})\n`);
  out(`${verb} ${r.removed.length} file(s), ${size(r.bytes)}; kept ${kept}\n`);
  return 0;
}
