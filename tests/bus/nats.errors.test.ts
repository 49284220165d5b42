import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { jetstream, jetstreamManager } from "@nats-io/jetstream";
import { Kvm } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import {
  ensureStreams,
  isBusUnavailable,
  isConnectionLost,
  isNoResponders,
  isStorageFull,
  isStreamNotFound,
  isTimeout,
  isWrongLastSequence,
  jsErrorCode,
  JsErrorCode,
} from "../../bus/index.ts";
import { startTestNats, type TestNats } from "../fixtures/nats.ts";

/**
 * The failures nats.js 3.x raises against a real nats-server, each recognised by its type or
 * JetStream code. If a client upgrade changes what is thrown, these fail before the event log does.
 */

let nats: TestNats;
let nc: NatsConnection;

beforeAll(async () => {
  nats = await startTestNats();
  nc = await nats.connect();
  await ensureStreams(nc, { eventLogMaxBytes: 4096, liveMaxPerSession: 100, liveMaxBytes: 1024 * 1024 });
});
afterAll(async () => {
  await nc.close();
  await nats.stop();
});

const failure = (p: Promise<unknown>): Promise<unknown> =>
  p.then(
    () => {
      throw new Error("expected a failure");
    },
    (e) => e,
  );

const kinds = (e: unknown) => ({
  noResponders: isNoResponders(e),
  timeout: isTimeout(e),
  connectionLost: isConnectionLost(e),
  unavailable: isBusUnavailable(e),
  wrongLastSequence: isWrongLastSequence(e),
  storageFull: isStorageFull(e),
  streamNotFound: isStreamNotFound(e),
});
const none = {
  noResponders: false,
  timeout: false,
  connectionLost: false,
  unavailable: false,
  wrongLastSequence: false,
  storageFull: false,
  streamNotFound: false,
};

describe("NATS failures by type and code", () => {
  test("a request nobody serves is no-responders", async () => {
    const e = await failure(nc.request("nobody.serves.this", "x", { timeout: 2_000 }));
    expect(kinds(e)).toEqual({ ...none, noResponders: true, unavailable: true });
  });

  test("a JetStream publish with no stream behind the subject is no-responders too", async () => {
    const e = await failure(jetstream(nc).publish("no.stream.here", "x", { timeout: 2_000 }));
    expect(kinds(e)).toEqual({ ...none, noResponders: true, unavailable: true });
  });

  test("a request without an answer in time is a timeout", async () => {
    const sub = nc.subscribe("slow.service", { callback: () => undefined });
    try {
      const e = await failure(nc.request("slow.service", "x", { timeout: 200 }));
      expect(kinds(e)).toEqual({ ...none, timeout: true, unavailable: true });
    } finally {
      sub.unsubscribe();
    }
  });

  test("an append with a stale expected sequence is a wrong last sequence (10071)", async () => {
    const js = jetstream(nc);
    await js.publish("evt.session.nats-errors-seq", "{}", { expect: { lastSubjectSequence: 0 } });
    const e = await failure(js.publish("evt.session.nats-errors-seq", "{}", { expect: { lastSubjectSequence: 0 } }));
    expect(jsErrorCode(e)).toBe(JsErrorCode.StreamWrongLastSequence);
    expect(kinds(e)).toEqual({ ...none, wrongLastSequence: true });
  });

  test("a KV create of an existing key and an update at a stale revision are wrong last sequences", async () => {
    const kv = await new Kvm(nc).create("nats-errors-kv", { history: 1 });
    const rev = await kv.create("k", "1");
    await kv.update("k", "2", rev);
    expect(kinds(await failure(kv.create("k", "3")))).toEqual({ ...none, wrongLastSequence: true });
    expect(kinds(await failure(kv.update("k", "3", rev)))).toEqual({ ...none, wrongLastSequence: true });
  });

  test("a write to a full stream (discard new) is storage full", async () => {
    const js = jetstream(nc);
    let e: unknown;
    for (let i = 0; i < 100 && e === undefined; i++) {
      await js.publish("evt.session.nats-errors-full", "x".repeat(200)).catch((err) => {
        e = err;
      });
    }
    expect(jsErrorCode(e)).toBe(JsErrorCode.StreamStoreFailed);
    expect(kinds(e)).toEqual({ ...none, storageFull: true });
  });

  test("asking about a stream that does not exist is stream-not-found", async () => {
    const jsm = await jetstreamManager(nc);
    expect(kinds(await failure(jsm.streams.info("NO_SUCH_STREAM")))).toEqual({ ...none, streamNotFound: true });
  });

  test("a request cut off by closing its connection, and any call after, are connection-lost", async () => {
    const c2 = await nats.connect("nats-errors-closing");
    c2.subscribe("never.answers", { callback: () => undefined });
    const cutOff = failure(c2.request("never.answers", "x", { timeout: 10_000 }));
    await c2.flush();
    await c2.close();
    expect(kinds(await cutOff)).toEqual({ ...none, connectionLost: true, unavailable: true });
    expect(kinds(await failure(c2.request("x", "y")))).toEqual({ ...none, connectionLost: true, unavailable: true });
    expect(kinds(await failure(jetstream(c2).publish("evt.session.x", "{}")))).toEqual({
      ...none,
      connectionLost: true,
      unavailable: true,
    });
  });

  test("plain errors are none of these", () => {
    expect(kinds(new Error("timeout no responders wrong last sequence"))).toEqual(none);
    expect(kinds("timeout")).toEqual(none);
  });
});
