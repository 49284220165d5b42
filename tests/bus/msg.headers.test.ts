/**
 * The log's bulk readers parse a message's header block themselves (the client's decoder was a
 * quarter of `cairn log verify`). They must read exactly what the client reads, and they must
 * still find the block where this client version keeps it: an upgrade that moves it fails here
 * instead of silently falling back to the slow path.
 */
import { jetstream } from "@nats-io/jetstream";
import { MsgHdrsImpl } from "@nats-io/nats-core/internal";
import { headers } from "@nats-io/transport-node";
import { describe, expect, test } from "vitest";
import { EVENTS_STREAM } from "../../bus/index.ts";
import { consumedHeaders, headerLookup, rawHeaderLookup, receivedHeaderBlock } from "../../bus/msg.headers.ts";
import { useNatsStreams } from "../fixtures/nats.streams.ts";

const bytes = (s: string) => new TextEncoder().encode(s);

/** Every key either parser found, looked up in both. */
const bothRead = (block: string) => {
  const theirs = MsgHdrsImpl.decode(bytes(block));
  const ours = rawHeaderLookup(bytes(block));
  const lookup = headerLookup(theirs);
  return [...theirs.keys(), "Absent"].map((k) => ({ key: k, ours: ours(k), theirs: lookup(k) }));
};

describe("a raw header block", () => {
  test.each([
    ["plain", "NATS/1.0\r\nCairn-Type: run.started\r\nCairn-Version: 2\r\n\r\n"],
    ["a status line", "NATS/1.0 503 No Responders\r\nCairn-Type: x\r\n\r\n"],
    ["repeated keys (the first wins) and padded values", "NATS/1.0\r\nA:  one \r\nA: two\r\nb:three\r\n\r\n"],
    ["a value holding a colon, and UTF-8", "NATS/1.0\r\nCairn-Actor: user:Zoë 👩\r\ntraceparent: 00-ab-cd-01\r\n\r\n"],
    ["a line without a colon, and no final empty line", "NATS/1.0\r\nnot a header\r\nKey: v"],
    ["only the version line", "NATS/1.0\r\n\r\n"],
  ])("reads as the client's decoder reads it: %s", (_, block) => {
    for (const r of bothRead(block)) expect(r.ours, r.key).toBe(r.theirs);
  });
});

const ctx = useNatsStreams();

test("a consumed message's header block is found where this client keeps it, and reads as its headers", async () => {
  const h = headers();
  h.append("Cairn-Type", "session.created");
  h.append("Cairn-Actor", "user:Zoë");
  h.append("Cairn-Chain", "ab".repeat(32));
  const js = jetstream(ctx.nc);
  await js.publish("evt.session.headers-test", bytes("{}"), { headers: h });
  await js.publish("evt.session.headers-test", bytes("{}"));
  const consumer = await js.consumers.get(EVENTS_STREAM, { filter_subjects: "evt.session.headers-test" });
  const withHeaders = await consumer.next();
  const without = await consumer.next();
  if (!withHeaders || !without) throw new Error("the published messages were not delivered");

  expect(receivedHeaderBlock(withHeaders)).toBeInstanceOf(Uint8Array);
  const ours = consumedHeaders(withHeaders);
  for (const k of [...(withHeaders.headers?.keys() ?? []), "Cairn-Causation"])
    expect(ours(k), k).toBe(headerLookup(withHeaders.headers)(k));
  expect(ours("Cairn-Actor")).toBe("user:Zoë");

  // No headers: an empty block (a Buffer view of the received bytes), not the slow path.
  const none = receivedHeaderBlock(without);
  expect(none).toBeInstanceOf(Uint8Array);
  expect(none?.length).toBe(0);
  expect(consumedHeaders(without)("Cairn-Type")).toBe("");
});
