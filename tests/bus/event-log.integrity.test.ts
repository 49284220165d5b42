import { readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { jetstream } from "@nats-io/jetstream";
import { headers, type NatsConnection } from "@nats-io/transport-node";
import {
  CHAIN_HEADER,
  EventLog,
  H,
  chainHash,
  ensureStreams,
  logExtent,
  readRawBatches,
  readRawLog,
  verifyEvents,
  withProvenance,
  type RawEvent,
} from "../../bus/index.ts";
import { startTestNats, type TestNats } from "../fixtures/nats.ts";

/**
 * The hash chain: every appended event chains on its subject's previous one, and `verifyEvents`
 * finds the first event that does not hold — on the real server, on a store edited on disk, and
 * on a history rewritten through the API by someone who knows the scheme.
 */

let nats: TestNats;
let nc: NatsConnection;
let log: EventLog;

const renamed = (title: string) => ({ type: "session.renamed" as const, data: { title } });

/** Two interleaved sessions, appended as the hosts do (expected sequence, one writer each). */
async function writeHistory(l: EventLog, prefix: string): Promise<void> {
  const last: Record<string, number> = {};
  for (const id of [`${prefix}a`, `${prefix}b`]) {
    [last[id]] = await l.append({
      kind: "session",
      id,
      expectedSeq: 0,
      events: [{ type: "session.created", data: { key: id, title: "", model: null } }],
      eventIds: [`${id}-created`],
      now: 1,
    });
  }
  for (let i = 0; i < 6; i++) {
    for (const id of [`${prefix}a`, `${prefix}b`]) {
      const seqs = await l.append({
        kind: "session",
        id,
        expectedSeq: last[id],
        events: [renamed(`${id} title ${i}`), renamed(`${id} again ${i}`)],
        eventIds: [`${id}-r${i}`, `${id}-s${i}`],
        now: 10 + i,
      });
      last[id] = seqs[seqs.length - 1];
    }
  }
}

const verifyAll = async (c: NatsConnection) => {
  const { lastSeq } = await logExtent(c);
  return verifyEvents(readRawBatches(c, { fromSeq: 1, untilSeq: lastSeq }));
};

beforeAll(async () => {
  nats = await startTestNats();
  nc = await nats.connect();
  await ensureStreams(nc);
  log = await EventLog.open(nc);
  await writeHistory(log, "s");
});
afterAll(async () => {
  await nats.stop();
});

describe("the integrity chain", () => {
  test("every event carries a chain value that verifies, with its actor and correlation", async () => {
    const report = await verifyAll(nc);
    expect(report).toMatchObject({ ok: true, events: 26, chained: 26, unchained: 0, subjects: 2, breaks: [] });
    const { records } = await log.load("session", "sa");
    for (const r of records) {
      expect(r.ok && r.event.actor).toBe("system");
      expect(r.ok && r.event.correlationId).toBeTruthy();
    }
  });

  test("a writer that did not load the aggregate (a fresh log, a restarted host) reads the head by sequence", async () => {
    const fresh = await EventLog.open(nc);
    const last = await log.lastSeqOf("session", "sa");
    // Not via lastSeqOf/load on `fresh`: it must look the chain value up by the expected sequence.
    await fresh.append({ kind: "session", id: "sa", expectedSeq: last, events: [renamed("late")], eventIds: ["sa-late"], now: 99 });
    expect((await verifyAll(nc)).ok).toBe(true);
  });

  test("the ambient provenance names the actor, the correlation and the cause", async () => {
    const [seq] = await withProvenance({ actor: "user:cli", correlationId: "corr-1", causationId: "cmd-1" }, () =>
      log.append({ kind: "session", id: "prov", expectedSeq: 0, events: [renamed("x")], eventIds: ["prov-1"], now: 5 }),
    );
    const { records } = await log.load("session", "prov");
    expect(records[0].ok && records[0].event).toMatchObject({ seq, actor: "user:cli", correlationId: "corr-1", causationId: "cmd-1" });
  });

  test("an event edited on disk is found: the server drops it (its own checksum) and the chain names where", async () => {
    const own = await startTestNats();
    try {
      let c = await own.connect();
      await ensureStreams(c);
      await writeHistory(await EventLog.open(c), "d");
      const before = await verifyAll(c);
      expect(before.ok).toBe(true);
      await c.close();
      await own.server.stop();
      // The store as an intruder with disk access finds it: change one title in place, same length.
      const files = (d: string): string[] =>
        readdirSync(d).flatMap((f) => (statSync(join(d, f)).isDirectory() ? files(join(d, f)) : [join(d, f)]));
      const blk = files(own.storeDir).find((f) => f.includes("CAIRN_EVENTS") && f.endsWith(".blk"));
      if (!blk) throw new Error("no message block in the store");
      const bytes = readFileSync(blk);
      const at = bytes.indexOf("da title 3");
      // Session da's "title 3" event is the 15th (2 created + 3 rounds × 4), its "again 3" the 16th.
      expect(at).toBeGreaterThan(0);
      bytes.write("da title X", at);
      writeFileSync(blk, bytes);
      await own.restart();
      c = await own.connect();
      const after = await verifyAll(c);
      expect(after.ok).toBe(false);
      expect(after.breaks.map((b) => [b.seq, b.reason])).toEqual([
        [15, "missing_events"],
        [16, "altered"],
      ]);
      expect(after.breaks[1].subject).toBe("evt.session.da");
      expect(after.breaks[0].message).toContain("event 15 is missing");
    } finally {
      await own.stop();
    }
  });

  test("a history rewritten through the API is found, even with the altered event's own chain value recomputed", async () => {
    const copy = await startTestNats();
    try {
      const c = await copy.connect();
      await ensureStreams(c);
      const js = jetstream(c);
      const { lastSeq } = await logExtent(nc);
      const original = await verifyAll(nc);
      const tailOfSa = await log.lastSeqOf("session", "sa");
      // Copy every event in order (same subjects, headers and sequences), altering one title and
      // giving it the chain value its new content would have (a forger who knows the scheme), and
      // rewriting the newest event of session sa the same way.
      const prevChain = new Map<string, string>();
      let forgedSeq = 0;
      for await (const r of readRawLog(nc, { fromSeq: 1, untilSeq: lastSeq })) {
        let data: Uint8Array | string = r.data;
        const h = headers();
        for (const k of ["Nats-Msg-Id", H.type, H.version, H.time, H.correlation, H.causation, H.actor, CHAIN_HEADER]) {
          if (r.header(k)) h.set(k, r.header(k));
        }
        const text = new TextDecoder().decode(r.data);
        if (text.includes("sb title 2") || r.seq === tailOfSa) {
          if (r.seq !== tailOfSa) forgedSeq = r.seq;
          data = text.replace("sb title 2", "sb title Z").replace("late", "LATE");
          h.set(
            CHAIN_HEADER,
            chainHash(prevChain.get(r.subject) ?? "", r.subject, (n) => h.get(n) ?? "", data),
          );
        }
        prevChain.set(r.subject, h.get(CHAIN_HEADER));
        await js.publish(r.subject, data, { headers: h });
      }
      expect(forgedSeq).toBeGreaterThan(0);
      const forged = await verifyAll(c);
      // The forged event holds on its own; the next event of the same session does not chain on it.
      expect(forged.ok).toBe(false);
      expect(forged.breaks).toHaveLength(1);
      expect(forged.breaks[0]).toMatchObject({ seq: forgedSeq + 1, subject: "evt.session.sb", reason: "altered" });
      // A rewritten newest event has nothing after it to break: only the head digest recorded
      // earlier tells (the limit of a chain without a secret).
      expect(forged.digest).not.toBe(original.digest);
    } finally {
      await copy.stop();
    }
  });

  test("a stripped chain header after the chain began is a break; events from before the chain are counted, not blamed", () => {
    const ev = (seq: number, subject: string, chain: string, data = "{}"): RawEvent => ({
      seq,
      subject,
      data: new TextEncoder().encode(data),
      storedAt: 0,
      header: (n) => (n === CHAIN_HEADER ? chain : n === "Nats-Msg-Id" ? `id${seq}` : ""),
    });
    const first = chainHash("", "evt.session.x", (n) => (n === "Nats-Msg-Id" ? "id2" : ""), "{}");
    return verifyEvents(
      (async function* () {
        yield [
          ev(1, "evt.session.x", ""), // written before the chain existed
          ev(2, "evt.session.x", first), // the chain starts on it
          ev(3, "evt.session.x", ""), // header stripped
        ];
      })(),
    ).then((r) => {
      expect(r).toMatchObject({ unchained: 1, chained: 1, ok: false });
      expect(r.breaks).toEqual([expect.objectContaining({ seq: 3, reason: "missing_chain" })]);
    });
  });
});
