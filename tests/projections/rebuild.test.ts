import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { join } from "node:path";
import { rmSync } from "node:fs";
import { request, subjects } from "../../bus/index.ts";
import { buildFresh, installRebuilt, openDb, queries } from "../../projections/index.ts";
import { startStack, type Stack } from "../fixtures/stack.ts";

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

const dump = (db: import("../../projections/index.ts").Db) =>
  Object.fromEntries(
    ["sessions", "messages", "runs", "audit", "checkpoints"].map((t) => [t, db.prepare(`SELECT * FROM ${t} ORDER BY 1, 2`).all()]),
  );

describe("read models are disposable", () => {
  test("deleting the SQLite file and rebuilding from the log yields the same rows", async () => {
    s.llm.script({ chunks: ["a"] }, { error: { status: 500 } }, { chunks: ["c"] });
    await chat("p1", "one");
    await chat("p1", "two");
    await chat("p2", "three");
    await s.projector.waitFor(await s.log.lastSeq());
    const before = dump(s.projector.db);
    const q = queries(() => s.projector.db);
    const historyBefore = q.history("p1");

    const file = join(s.dir, "fresh.db");
    const built = await buildFresh(file, s.log);
    expect(built.events).toBe(await s.log.lastSeq());
    const db = installRebuilt(file, built.tmp);
    expect(dump(db)).toEqual(before);
    expect(queries(() => db).history("p1")).toEqual(historyBefore);
    db.close();
    rmSync(file, { force: true });
  });

  test("a projector restarted on an existing file resumes at its checkpoint without applying twice", async () => {
    s.llm.script({ chunks: ["x"] });
    await chat("p3", "hello");
    const last = await s.log.lastSeq();
    await s.projector.waitFor(last);
    const before = dump(s.projector.db);
    // A second projector on a copy of the same database: nothing new to apply, so nothing changes.
    s.projector.db.pragma("wal_checkpoint(TRUNCATE)");
    const copy = join(s.dir, "copy.db");
    await s.projector.db.backup(copy);
    const { Projector } = await import("../../projections/index.ts");
    const p2 = new Projector(openDb(copy).db, { log: s.log });
    expect(p2.checkpoint).toBe(last);
    await p2.catchUp(last);
    expect(dump(p2.db)).toEqual(before);
    p2.db.close();
  });

  test("a schema version change drops the old tables so the log rebuilds them", async () => {
    const file = join(s.dir, "old.db");
    const { db } = openDb(file);
    db.pragma("user_version = 0");
    db.exec("INSERT INTO checkpoints(name, seq) VALUES ('sessions', 99)");
    db.close();
    const reopened = openDb(file);
    expect(reopened.fresh).toBe(true);
    expect(reopened.db.prepare("SELECT count(*) AS n FROM checkpoints").get()).toEqual({ n: 0 });
    reopened.db.close();
  });
});
