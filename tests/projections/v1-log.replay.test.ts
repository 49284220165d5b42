import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import type { NatsConnection } from "@nats-io/transport-node";
import { EventLog, SnapshotStore, ensureStreams } from "../../bus/index.ts";
import { AggregateHost, type HostDeps } from "../../actors/runtime/index.ts";
import { promptMessages, runSpec } from "../../actors/run/index.ts";
import { createSessionSpec, sessionTranscripts } from "../../actors/session/index.ts";
import { buildFresh, openDb, queries, summarizeEvent } from "../../projections/index.ts";
import { loadLogFixture, readLogFixture } from "../fixtures/log-fixture.ts";
import { startTestNats, type TestNats } from "../fixtures/nats.ts";

/**
 * A log written by a cairn whose events were all version 1 (`tests/fixtures/logs/v1-chat.jsonl`):
 * `session.run_ended` v1 still copies the reply's text. Replayed by this cairn, it is upcast to
 * v2 (no text) and every reader takes the text from the run's own end event instead.
 */
const FIXTURE = join(import.meta.dirname, "../fixtures/logs/v1-chat.jsonl");

let nats: TestNats;
let nc: NatsConnection;
let log: EventLog;
let deps: HostDeps;
let dir: string;
beforeAll(async () => {
  nats = await startTestNats();
  nc = await nats.connect();
  await ensureStreams(nc);
  log = await EventLog.open(nc);
  deps = { log, snapshots: await SnapshotStore.open(nc), now: () => 1, newId: () => "x", report: () => {} };
  dir = mkdtempSync(join(tmpdir(), "cairn-v1-"));
  await loadLogFixture(nc, readLogFixture(FIXTURE));
});
afterAll(async () => {
  await nc.close();
  await nats.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("a version-1 log replays on this cairn", () => {
  test("session.run_ended v1 is read as v2: the stored version stays 1, the copied text is gone", async () => {
    const { records } = await log.load("session", "s-v1");
    expect(records.every((r) => r.ok)).toBe(true);
    const ended = records.flatMap((r) => (r.ok && r.event.type === "session.run_ended" ? [r.event] : []));
    expect(ended.map((e) => [e.version, e.data])).toEqual([
      [1, { runId: "r-v1a", status: "completed", messageId: "a-r-v1a" }],
      [1, { runId: "r-v1b", status: "failed", messageId: "a-r-v1b", error: { code: "provider_stream_cut", message: "the reply stopped" } }],
    ]);
    expect(ended.map(summarizeEvent)).toEqual(["run r-v1a completed", "run r-v1b failed [provider_stream_cut]"]);
  });

  test("the aggregates hydrate: the session is running its third run, the runs hold the replies", async () => {
    const sessions = new AggregateHost(
      createSessionSpec(() => "openai/test-model"),
      deps,
    );
    const s = (await sessions.read("s-v1")).snapshot;
    expect(s.value).toBe("running");
    expect(s.context).toMatchObject({
      title: "Trip",
      messageCount: 5,
      activeRun: { runId: "r-v1c", messageId: "m-3" },
      recentUserMessages: [
        { id: "m-1", runId: "r-v1a" },
        { id: "m-2", runId: "r-v1b" },
        { id: "m-3", runId: "r-v1c" },
      ],
    });
    const fork = (await sessions.read("s-v1-fork")).snapshot;
    expect(fork.value).toBe("idle");
    expect(fork.context).toMatchObject({ messageCount: 2, fork: { parentKey: "s-v1", forkPoint: 2 } });
    const runs = new AggregateHost(runSpec, deps);
    expect((await runs.read("r-v1a")).snapshot.context).toMatchObject({ status: "completed", text: "Paris." });
    expect((await runs.read("r-v1b")).snapshot.context).toMatchObject({ status: "failed", text: "Rome, the" });
    expect((await runs.read("r-v1c")).snapshot.value).toEqual({ running: "calling" });
  });

  test("the running run's prompt has the earlier turns, the replies read from their runs", async () => {
    const transcript = await sessionTranscripts(log).read("s-v1");
    expect(transcript.map((m) => [m.role, m.text, m.status])).toEqual([
      ["user", "What is the capital of France?", "complete"],
      ["assistant", "Paris.", "complete"],
      ["user", "And of Italy?", "complete"],
      ["assistant", "Rome, the", "failed"],
      ["user", "Thanks", "complete"],
    ]);
    // A failed reply is left out of the prompt, as before.
    expect(promptMessages(transcript, "m-3")).toEqual([
      { role: "user", text: "What is the capital of France?" },
      { role: "assistant", text: "Paris." },
      { role: "user", text: "And of Italy?" },
      { role: "user", text: "Thanks" },
    ]);
  });

  test("the projections build to the same read models a v1 cairn showed", async () => {
    const file = join(dir, "projections.db");
    const built = await buildFresh(file, log);
    expect(built.events).toBe(12);
    const { db } = openDb(built.tmp);
    try {
      const q = queries(() => db);
      const history = q.history("s-v1");
      expect(history.messages.map((m) => [m.id, m.role, m.text, m.status, m.runId])).toEqual([
        ["m-1", "user", "What is the capital of France?", "complete", "r-v1a"],
        ["a-r-v1a", "assistant", "Paris.", "complete", "r-v1a"],
        ["m-2", "user", "And of Italy?", "complete", "r-v1b"],
        ["a-r-v1b", "assistant", "Rome, the", "failed", "r-v1b"],
        ["m-3", "user", "Thanks", "complete", "r-v1c"],
      ]);
      expect(history.messages[3].error).toMatchObject({ code: "provider_stream_cut" });
      expect(history.activeRun).toMatchObject({ runId: "r-v1c" });
      expect(q.history("s-v1-fork").messages.map((m) => m.text)).toEqual(["What is the capital of France?", "Paris."]);
      expect(q.session("s-v1").session).toMatchObject({ title: "Trip", messageCount: 5 });
      // Every reply found its message: nothing waits in the side table.
      expect(db.prepare("SELECT count(*) FROM run_replies").pluck().get()).toBe(0);
    } finally {
      db.close();
    }
  });

  test("an event of a version newer than this cairn knows stays a visible decode failure", async () => {
    await loadLogFixture(nc, [
      {
        subject: "evt.session.s-v9",
        headers: { "Cairn-Type": "session.created", "Cairn-Version": "9", "Cairn-Time": "1", "Nats-Msg-Id": "v9" },
        data: { key: "s-v9", title: "", model: null },
      },
    ]);
    const { records } = await log.load("session", "s-v9");
    expect(records).toMatchObject([{ ok: false, bad: { type: "session.created", error: expect.stringMatching(/schema version 9/) } }]);
  });
});
