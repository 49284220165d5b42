/**
 * The live stream's stored tail, as a resumed browser stream and a crash-adopted run read it: one
 * session's messages, in order, up to the stream's end when the read began.
 */
import { describe, expect, test } from "vitest";
import { jetstream } from "@nats-io/jetstream";
import { liveStreamEnd, readStoredLive, streamedDeltas, subjects } from "../../bus/index.ts";
import { useNatsStreams } from "../fixtures/nats.streams.ts";

const ctx = useNatsStreams();

/** Publishes and waits for the stream to have stored it (the gateway's own publishes are fire-and-forget). */
const stored = async (key: string, msg: object) => (await jetstream(ctx.nc).publish(subjects.liveSession(key), JSON.stringify(msg))).seq;
const delta = (runId: string, index: number, text: string) => ({ type: "run.delta", runId, index, text });

describe("the live stream's stored tail", () => {
  test("one session's messages after a cursor, in order, none of another session's", async () => {
    const from = await liveStreamEnd(ctx.nc);
    await stored("s-a", delta("r1", 0, "Hel"));
    await stored("s-b", delta("r9", 0, "other"));
    await stored("s-a", delta("r1", 1, "lo"));
    const got = await readStoredLive(ctx.nc, subjects.liveSession("s-a"), { afterSeq: from });
    expect(got.map((m) => JSON.parse(m).text)).toEqual(["Hel", "lo"]);
  });

  test("nothing new, or nothing ever stored for the session, is an empty list", async () => {
    await stored("s-c", delta("r2", 0, "x"));
    const end = await liveStreamEnd(ctx.nc);
    expect(await readStoredLive(ctx.nc, subjects.liveSession("s-c"), { afterSeq: end })).toEqual([]);
    expect(await readStoredLive(ctx.nc, subjects.liveSession("s-never"), { afterSeq: 0 })).toEqual([]);
    expect(await readStoredLive(ctx.nc, subjects.liveSession("s-never"), { sinceMs: Date.now() - 60_000 })).toEqual([]);
  });

  test("a long tail (more than one fetch) comes whole", async () => {
    const from = await liveStreamEnd(ctx.nc);
    for (let i = 0; i < 1500; i++) await stored("s-long", delta("r3", i, `${i},`));
    const got = await readStoredLive(ctx.nc, subjects.liveSession("s-long"), { afterSeq: from });
    expect(got).toHaveLength(1500);
    expect(JSON.parse(got[1499]).index).toBe(1499);
  });

  test("a run's streamed text is rebuilt in delta order, with the index its next delta gets", async () => {
    const since = Date.now();
    await stored("s-d", delta("r4", 1, " world"));
    await stored("s-d", delta("r5", 0, "another run"));
    await stored("s-d", delta("r4", 0, "hello"));
    await stored("s-d", { type: "run.tool", runId: "r4", callId: "c1", name: "exec", status: "requested" });
    expect(await streamedDeltas(ctx.nc, "s-d", "r4", since)).toEqual({ text: "hello world", next: 2 });
    expect(await streamedDeltas(ctx.nc, "s-d", "r-none", since)).toEqual({ text: "", next: 0 });
  });
});
