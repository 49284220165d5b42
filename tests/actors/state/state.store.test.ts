/**
 * Session state on real parts: a nats-server, the event log and the actor system. Every change
 * is an event of `evt.state.<session>`; reads come from the aggregate; a restart rebuilds it.
 */
import { describe, expect, test } from "vitest";
import { SnapshotStore, request, subjects } from "../../../bus/index.ts";
import { STATE_MAX_ENTRIES, STATE_MAX_TOTAL_BYTES, STATE_MAX_VALUE_BYTES } from "../../../schemas/index.ts";
import { summarizeEvent } from "../../../projections/index.ts";
import { aggregateEvents } from "../../fixtures/stack.ts";
import { useStateSystem } from "./state.fixture.ts";

let clock = 1_700_000_000_000;
const env = useStateSystem({ now: () => clock });
const store = () => env().sys.sessionState;
const eventsOf = (key: string) => aggregateEvents(env().log, "state", key);

describe("session state", () => {
  test("set, get, list and delete, each change one event in the log", async () => {
    clock += 1000;
    const setAt = clock;
    expect(await store().set("s1", "my-skill", "last_query", "SELECT 1")).toMatchObject({ changed: true, updatedAt: setAt });
    await store().set("s1", "my-skill", "count", "3");
    expect(await store().get("s1", "my-skill", "last_query")).toEqual({ key: "last_query", value: "SELECT 1", updatedAt: setAt });
    expect(await store().get("s1", "my-skill", "missing")).toBeNull();
    expect((await store().list("s1", "my-skill")).map((e) => [e.key, e.value])).toEqual([
      ["count", "3"],
      ["last_query", "SELECT 1"],
    ]);
    expect(await store().delete("s1", "my-skill", "count")).toBe(true);
    expect(await store().delete("s1", "my-skill", "count")).toBe(false);
    expect(await store().get("s1", "my-skill", "count")).toBeNull();
    const events = await eventsOf("s1");
    expect(events.map((e) => [e.type, e.data])).toEqual([
      ["state.value_set", { namespace: "my-skill", key: "last_query", value: "SELECT 1" }],
      ["state.value_set", { namespace: "my-skill", key: "count", value: "3" }],
      ["state.value_deleted", { namespace: "my-skill", key: "count" }],
    ]);
    // The audit trail says what changed in one line.
    expect(events.map(summarizeEvent)).toEqual([
      "state my-skill/last_query set (8 chars): SELECT 1",
      "state my-skill/count set (1 chars): 3",
      "state my-skill/count deleted",
    ]);
  });

  test("setting the value already stored appends nothing and keeps its time", async () => {
    clock += 1000;
    const first = await store().set("s2", "ns", "k", "v");
    const before = (await eventsOf("s2")).length;
    clock += 1000;
    const again = await store().set("s2", "ns", "k", "v");
    expect(again).toMatchObject({ changed: false, updatedAt: first.updatedAt });
    expect(await eventsOf("s2")).toHaveLength(before);
    clock += 1000;
    expect(await store().set("s2", "ns", "k", "w")).toMatchObject({ changed: true, updatedAt: clock });
    expect(await eventsOf("s2")).toHaveLength(before + 1);
  });

  test("namespaces and sessions are isolated from each other", async () => {
    await store().set("iso-a", "alpha", "k", "a-alpha");
    await store().set("iso-a", "beta", "k", "a-beta");
    await store().set("iso-b", "alpha", "k", "b-alpha");
    expect((await store().get("iso-a", "alpha", "k"))?.value).toBe("a-alpha");
    expect((await store().get("iso-a", "beta", "k"))?.value).toBe("a-beta");
    expect((await store().get("iso-b", "alpha", "k"))?.value).toBe("b-alpha");
    expect(await store().get("iso-b", "beta", "k")).toBeNull();
    expect((await store().list("iso-a", "alpha")).map((e) => e.value)).toEqual(["a-alpha"]);
    await store().delete("iso-a", "alpha", "k");
    expect((await store().get("iso-b", "alpha", "k"))?.value).toBe("b-alpha");
    expect(await store().namespaces("iso-a")).toEqual(["beta"]);
  });

  test("keys named like Object's own properties are ordinary keys", async () => {
    expect(await store().get("proto", "ns", "constructor")).toBeNull();
    expect(await store().list("proto", "toString")).toEqual([]);
    await store().set("proto", "ns", "constructor", "mine");
    expect((await store().get("proto", "ns", "constructor"))?.value).toBe("mine");
  });

  test("bad names and oversized values are bad_request and append nothing", async () => {
    const bad = [
      () => store().set("lim", "has space", "k", "v"),
      () => store().set("lim", "ns", "", "v"),
      () => store().set("lim", "ns", "../etc", "v"),
      () => store().set("lim", "x".repeat(65), "k", "v"),
      () => store().set("lim", "ns", "k".repeat(129), "v"),
      () => store().set("lim", "ns", "k", "é".repeat(STATE_MAX_VALUE_BYTES / 2 + 1)), // 2 bytes each
      () => store().get("lim", "ns", "__proto__"),
      () => store().list("lim", "no/slash"),
    ];
    for (const op of bad) await expect(op()).rejects.toMatchObject({ code: "bad_request" });
    await expect(store().set("lim", "ns", "k", "x".repeat(STATE_MAX_VALUE_BYTES + 1))).rejects.toThrow(/at most 16 KiB/);
    expect(await eventsOf("lim")).toEqual([]);
    // Exactly at the limit is fine.
    await store().set("lim", "ns", "k", "x".repeat(STATE_MAX_VALUE_BYTES));
    expect(await eventsOf("lim")).toHaveLength(1);
  });

  test(`at most ${STATE_MAX_ENTRIES} entries per session; overwrites and deletes still work when full`, async () => {
    await Promise.all(Array.from({ length: STATE_MAX_ENTRIES }, (_, i) => store().set("full", `ns${i % 3}`, `k${i}`, "v")));
    const err = await store()
      .set("full", "other", "one-more", "v")
      .catch((e) => e);
    expect(err).toMatchObject({ code: "bad_request", details: { reason: "too_many_entries" } });
    expect(err.message).toMatch(/500 state entries/);
    await store().set("full", "ns0", "k0", "changed");
    expect(await store().delete("full", "ns1", "k1")).toBe(true);
    await store().set("full", "other", "one-more", "v");
    expect(await eventsOf("full")).toHaveLength(STATE_MAX_ENTRIES + 3);
  });

  test("the session's values together are capped, so its snapshot stays one NATS message", async () => {
    const value = "x".repeat(STATE_MAX_VALUE_BYTES);
    const fits = STATE_MAX_TOTAL_BYTES / STATE_MAX_VALUE_BYTES;
    for (let i = 0; i < fits; i++) await store().set("big", "ns", `k${i}`, value);
    await expect(store().set("big", "ns", "one-more", "y")).rejects.toMatchObject({ details: { reason: "state_too_large" } });
    // Shrinking an entry is allowed, and frees room.
    await store().set("big", "ns", "k0", "small");
    await store().set("big", "ns", "one-more", "y");
    // Enough changes for the host to snapshot the full store: the snapshot is accepted by the KV.
    for (let i = 0; i < 20; i++) await store().set("big", "ns", "k1", (i % 2 ? "x" : "z").repeat(STATE_MAX_VALUE_BYTES));
    const snapshots = await SnapshotStore.open(env().nc);
    while ((await snapshots.get("state", "big")) === null) await new Promise((r) => setTimeout(r, 20));
    expect(env().reports.filter((l) => l.includes("snapshot"))).toEqual([]);
    const before = await store().list("big", "ns");
    expect(await (await env().restart()).sessionState.list("big", "ns")).toEqual(before);
  });

  test("commands travel over NATS too (cmd.state.<session>.<verb>), with errors as wire errors", async () => {
    const nc = env().nc;
    await request(nc, subjects.command("state", "wire", "set"), { namespace: "ns", key: "k", value: "over the bus" });
    expect((await store().get("wire", "ns", "k"))?.value).toBe("over the bus");
    await expect(request(nc, subjects.command("state", "wire", "set"), { namespace: "ns", key: "k" })).rejects.toMatchObject({
      code: "bad_request",
    });
    await expect(request(nc, subjects.command("state", "wire", "rename"), {})).rejects.toMatchObject({ code: "unknown_method" });
  });

  test("survives a restart of the actor system: the state is rebuilt from the log", async () => {
    clock += 1000;
    await store().set("durable", "ns", "a", "1");
    await store().set("durable", "ns", "b", "2");
    await store().set("durable", "other", "c", "3");
    await store().delete("durable", "ns", "b");
    const before = await store().list("durable", "ns");
    const sys = await env().restart();
    const after = await sys.sessionState.list("durable", "ns");
    expect(after.map((e) => [e.key, e.value])).toEqual([["a", "1"]]);
    // The time of an entry is its event's time, recorded in the log: the same after the restart.
    expect(after).toEqual(before.filter((e) => e.key === "a"));
    expect(await sys.sessionState.namespaces("durable")).toEqual(["ns", "other"]);
    // And it keeps writing on the same history (expected sequence matches, no conflict).
    await sys.sessionState.set("durable", "ns", "b", "again");
    expect((await eventsOf("durable")).map((e) => e.type)).toEqual([
      "state.value_set",
      "state.value_set",
      "state.value_set",
      "state.value_deleted",
      "state.value_set",
    ]);
  });
});
