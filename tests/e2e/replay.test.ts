import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { join } from "node:path";
import { request, subjects } from "../../bus/index.ts";
import { openDb, replayInto, type Db } from "../../projections/index.ts";
import { startStack, type Stack } from "../fixtures/stack.ts";

/**
 * `cairn events replay --to SEQ --into DIR`: the read models as of a sequence, built into their own
 * dir, are the very rows the live read models held when the log was at that sequence — and the
 * live ones are not touched.
 */

let s: Stack;
beforeEach(async () => {
  s = await startStack();
});
afterEach(async () => {
  await s.stop();
});

const chat = async (key: string, text: string) => {
  const r = (await request(s.nc, subjects.command("session", key, "send"), { text, createIfMissing: true })) as { runId: string };
  await s.live(key, (m) => m.type === "run.ended" && m.runId === r.runId);
};

const TABLES = ["sessions", "messages", "runs", "run_replies", "tool_calls", "approvals", "audit", "cron_jobs", "cron_runs", "checkpoints"];
const dump = (db: Db) => Object.fromEntries(TABLES.map((t) => [t, db.prepare(`SELECT * FROM ${t} ORDER BY 1, 2`).all()]));

describe("replay into a separate dir", () => {
  test("equals the live read models at that sequence; the live ones stay where they are", async () => {
    s.llm.script({ chunks: ["first answer"] }, { chunks: ["second answer"] }, { chunks: ["later"] });
    await chat("rp-1", "one");
    await chat("rp-2", "two");
    const at = await s.log.lastSeq();
    await s.projector.waitFor(at);
    const then = dump(s.projector.db);
    // The log moves on: another exchange, a deletion.
    await chat("rp-1", "three");
    await request(s.nc, subjects.command("session", "rp-2", "delete"), {});
    const now = await s.log.lastSeq();
    await s.projector.waitFor(now);
    const liveNow = dump(s.projector.db);

    const seen: number[] = [];
    const r = await replayInto({ dir: join(s.dir, "investigate"), toSeq: at, log: s.log }, (applied) => seen.push(applied));
    expect(r.checkpoint).toBe(at);
    expect(seen.at(-1)).toBe(at);
    const replayed = openDb(r.file).db;
    try {
      expect(dump(replayed)).toEqual(then);
      // The search index, built once at the end of the replay, finds the messages that hold the
      // word, and its triggers are back for whoever writes to the file next.
      const search = (db: Db, word: string) =>
        db
          .prepare("SELECT m.id FROM messages_fts f JOIN messages m ON m.rowid = f.rowid WHERE messages_fts MATCH ? ORDER BY 1")
          .pluck()
          .all(word);
      const holding = replayed.prepare("SELECT id FROM messages WHERE text LIKE '%answer%' ORDER BY 1").pluck().all();
      expect(search(replayed, "answer")).toEqual(holding);
      expect(search(replayed, "answer").length).toBe(2);
      const triggers = replayed
        .prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'messages_fts_%'")
        .pluck()
        .all();
      expect(triggers).toHaveLength(3);
    } finally {
      replayed.close();
    }
    expect(dump(s.projector.db)).toEqual(liveNow);
    expect(s.projector.checkpoint).toBe(now);
  });

  test("refuses a sequence past the log's end", async () => {
    const last = await s.log.lastSeq();
    await expect(replayInto({ dir: join(s.dir, "x"), toSeq: last + 5, log: s.log })).rejects.toMatchObject({ code: "bad_request" });
  });
});
