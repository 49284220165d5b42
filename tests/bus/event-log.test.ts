import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { jetstream } from "@nats-io/jetstream";
import { headers, type NatsConnection } from "@nats-io/transport-node";
import { EventLog, H, ensureStreams } from "../../bus/index.ts";
import { startTestNats, type TestNats } from "../fixtures/nats.ts";

let nats: TestNats;
let nc: NatsConnection;
let log: EventLog;

beforeAll(async () => {
  nats = await startTestNats();
  nc = await nats.connect();
  await ensureStreams(nc);
  log = await EventLog.open(nc);
});
afterAll(async () => {
  await nc.close();
  await nats.stop();
});

const created = (key: string) => ({ type: "session.created" as const, data: { key, title: "", model: null } });

describe("the event log", () => {
  test("appends in order and loads one aggregate back, typed", async () => {
    const seqs = await log.append({
      kind: "session",
      id: "a1",
      expectedSeq: 0,
      events: [created("a1"), { type: "session.renamed", data: { title: "T" } }],
      eventIds: ["e1", "e2"],
      now: 42,
      correlationId: "c1",
    });
    expect(seqs[1]).toBe(seqs[0] + 1);
    const { records, lastSeq } = await log.load("session", "a1");
    expect(lastSeq).toBe(seqs[1]);
    expect(records.map((r) => r.ok && [r.event.type, r.event.time, r.event.id, r.event.correlationId])).toEqual([
      ["session.created", 42, "e1", "c1"],
      ["session.renamed", 42, "e2", "c1"],
    ]);
  });

  test("loads a long aggregate whole and in order, from any point, while other aggregates interleave", async () => {
    // 150 events: the first ones are fetched one by one, the rest through a consumer.
    let last = 0;
    let other = 0;
    const mine: number[] = [];
    for (let i = 0; i < 150; i++) {
      [last] = await log.append({
        kind: "session",
        id: "long",
        expectedSeq: last,
        events: [i === 0 ? created("long") : { type: "session.renamed", data: { title: `t${i}` } }],
        eventIds: [`long-${i}`],
        now: 1,
      });
      mine.push(last);
      if (i % 3 === 0)
        [other] = await log.append({
          kind: "session",
          id: "noise",
          expectedSeq: other,
          events: [other === 0 ? created("noise") : { type: "session.renamed", data: { title: "x" } }],
          eventIds: [`noise-${i}`],
          now: 1,
        });
    }
    for (const after of [0, mine[10], mine[100], mine[149]]) {
      const { records, lastSeq } = await log.load("session", "long", after);
      expect(lastSeq).toBe(mine[149]);
      expect(records.map((r) => (r.ok ? r.event.seq : -1))).toEqual(mine.filter((s) => s > after));
    }
    const { records } = await log.load("session", "long");
    expect(records.map((r) => r.ok && r.event.id)).toEqual(mine.map((_, i) => `long-${i}`));
  });

  test("a second writer with a stale expected sequence fails with conflict, writing nothing", async () => {
    const [s] = await log.append({ kind: "session", id: "a2", expectedSeq: 0, events: [created("a2")], eventIds: ["a2-1"], now: 1 });
    await log.append({
      kind: "session",
      id: "a2",
      expectedSeq: s,
      events: [{ type: "session.renamed", data: { title: "x" } }],
      eventIds: ["a2-2"],
      now: 1,
    });
    await expect(
      log.append({
        kind: "session",
        id: "a2",
        expectedSeq: s,
        events: [{ type: "session.renamed", data: { title: "y" } }],
        eventIds: ["a2-3"],
        now: 1,
      }),
    ).rejects.toMatchObject({ code: "conflict" });
    expect((await log.load("session", "a2")).records).toHaveLength(2);
  });

  test("an event id another writer already stored is a conflict, not a success: nothing is written twice", async () => {
    // Two writers minting the same deterministic id: the server acks the second as a duplicate
    // (its dedupe check runs before the expected-sequence check); the log must not call that a write.
    const [s1] = await log.append({ kind: "session", id: "a3", expectedSeq: 0, events: [created("a3")], eventIds: ["dup-1"], now: 1 });
    await expect(
      log.append({ kind: "session", id: "a3", expectedSeq: 0, events: [created("a3")], eventIds: ["dup-1"], now: 1 }),
    ).rejects.toMatchObject({ code: "conflict", message: expect.stringContaining(`at sequence ${s1}`) });
    expect((await log.load("session", "a3")).records).toHaveLength(1);
  });

  test("our own writes are checked: an invalid payload is refused before it reaches the log", async () => {
    const before = await log.lastSeq();
    await expect(
      log.append({
        kind: "session",
        id: "a4",
        expectedSeq: 0,
        events: [{ type: "session.created", data: { key: "a4" } as never }],
        eventIds: ["x"],
        now: 1,
      }),
    ).rejects.toMatchObject({ code: "bad_request" });
    expect(await log.lastSeq()).toBe(before);
  });

  test("an event that fails to decode is surfaced with its sequence and reason, not dropped", async () => {
    const h = headers();
    h.set(H.type, "session.created");
    h.set(H.version, "1");
    const ack = await jetstream(nc).publish("evt.session.bad1", "{not json", { headers: h });
    const h2 = headers();
    h2.set(H.type, "session.created");
    h2.set(H.version, "99");
    const ack2 = await jetstream(nc).publish("evt.session.bad1", JSON.stringify({ key: "bad1", title: "", model: null }), { headers: h2 });
    const { records } = await log.load("session", "bad1");
    expect(records).toEqual([
      expect.objectContaining({ ok: false, bad: expect.objectContaining({ seq: ack.seq, error: expect.stringMatching(/not JSON/) }) }),
      expect.objectContaining({ ok: false, bad: expect.objectContaining({ seq: ack2.seq, error: expect.stringMatching(/version 99/) }) }),
    ]);
  });

  test("the log refuses delete and purge", async () => {
    const { jetstreamManager } = await import("@nats-io/jetstream");
    const jsm = await jetstreamManager(nc);
    await expect(jsm.streams.purge("CAIRN_EVENTS")).rejects.toThrow();
    await expect(jsm.streams.deleteMessage("CAIRN_EVENTS", 1)).rejects.toThrow();
  });

  test("lastSeq of a wildcard filter finds the newest matching event", async () => {
    const all = await log.lastSeq();
    expect(await log.lastSeq("evt.session.*")).toBe(all);
    expect(await log.lastSeq("evt.run.*")).toBe(0);
  });

  test("read follows new events until aborted", async () => {
    const from = (await log.lastSeq()) + 1;
    const abort = new AbortController();
    const got: string[] = [];
    const reading = (async () => {
      for await (const r of log.read({ fromSeq: from, signal: abort.signal })) {
        if (r.ok) got.push(r.event.aggregateId);
        if (got.length === 2) abort.abort();
      }
    })();
    await log.append({ kind: "session", id: "f1", expectedSeq: 0, events: [created("f1")], eventIds: ["f1"], now: 1 });
    await log.append({ kind: "session", id: "f2", expectedSeq: 0, events: [created("f2")], eventIds: ["f2"], now: 1 });
    await reading;
    expect(got).toEqual(["f1", "f2"]);
  });
});

describe("a full log", () => {
  test("refuses appends with log_full instead of dropping history", async () => {
    const n2 = await startTestNats();
    const c2 = await n2.connect();
    try {
      await ensureStreams(c2, { eventLogMaxBytes: 4096, liveMaxPerSession: 100, liveMaxBytes: 1024 * 1024 });
      const l2 = await EventLog.open(c2);
      let expected = 0;
      let error: unknown;
      for (let i = 0; i < 100 && !error; i++) {
        try {
          [expected] = await l2.append({
            kind: "session",
            id: "full",
            expectedSeq: expected,
            events: [{ type: "session.renamed", data: { title: "x".repeat(200) } }],
            eventIds: [`f${i}`],
            now: 1,
          });
        } catch (e) {
          error = e;
        }
      }
      expect(error).toMatchObject({ code: "log_full" });
      // Everything acknowledged before is still there.
      expect((await l2.load("session", "full")).records.length).toBeGreaterThan(3);
    } finally {
      await c2.close();
      await n2.stop();
    }
  });
});
