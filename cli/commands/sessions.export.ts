import { readFileSync, renameSync, writeFileSync } from "node:fs";
import * as Schema from "effect/Schema";
import { EventLog, parseEventsExport, request, subjects } from "../../bus/index.ts";
import { CairnError, decodeLenient } from "../../schemas/index.ts";
import { importSessionText, sessionExportText, type ExportFormat } from "../session.transfer.ts";
import type { Paths } from "../paths.ts";
import { withLogConnection } from "./log.access.ts";

/** `cairn sessions export <key> --format jsonl|markdown [--out FILE]`. */
export async function sessionsExport(o: { key: string; format: ExportFormat; out?: string }, paths: Paths): Promise<number> {
  const text = await withLogConnection(paths, "cairn-sessions-export", async (nc) =>
    sessionExportText(await EventLog.open(nc), o.key, o.format, Date.now()),
  );
  if (o.out === undefined || o.out === "-") {
    process.stdout.write(text);
    return 0;
  }
  // Whole or nothing: a reader never sees half a file.
  writeFileSync(`${o.out}.tmp`, text, { mode: 0o600 });
  renameSync(`${o.out}.tmp`, o.out);
  process.stderr.write(`exported session ${o.key} to ${o.out}\n`);
  return 0;
}

/** What one request may carry to the gateway (NATS's default max payload, less the envelope). */
const MAX_VIA_GATEWAY = 1024 * 1024 - 4096;

/**
 * `cairn sessions import <file> [--as KEY]`: a jsonl export, checked whole, then written. With a
 * gateway running the gateway writes it (the CLI's credentials cannot append to the log), checking
 * it again on its side; with none, the log is written directly under the gateway lock.
 */
export async function sessionsImport(o: { file: string; as?: string; json: boolean }, paths: Paths): Promise<number> {
  const text = readFileSync(o.file === "-" ? 0 : o.file, "utf8");
  // Checked before any connection: a bad file fails the same with or without a gateway.
  parseEventsExport(text);
  const r = await withLogConnection(paths, "cairn-sessions-import", async (nc, mode) => {
    if (mode === "offline") return importSessionText(await EventLog.open(nc), text, o.as);
    if (Buffer.byteLength(text) > MAX_VIA_GATEWAY)
      throw new CairnError(
        "bad_request",
        `the export is ${Buffer.byteLength(text)} bytes, more than one request to the gateway carries; stop the gateway and import again (the log is then written directly)`,
      );
    const params = { text, ...(o.as !== undefined ? { as: o.as } : {}) };
    return decodeLenient(
      ImportReply,
      await request(nc, subjects.admin("sessions", "import"), params, { timeoutMs: 120_000 }),
      "import reply",
    );
  });
  if (o.json) process.stdout.write(`${JSON.stringify({ ok: true, ...r })}\n`);
  else
    process.stdout.write(
      `imported session ${r.sessionKey}: ${r.events} events into ${r.aggregates} aggregates` +
        `${r.resumed ? ` (${r.resumed} were already there from an earlier attempt)` : ""}\n`,
    );
  return 0;
}

const ImportReply = Schema.Struct({
  sessionKey: Schema.String,
  events: Schema.Number,
  resumed: Schema.Number,
  aggregates: Schema.Number,
  firstSeq: Schema.Number,
  lastSeq: Schema.Number,
});
