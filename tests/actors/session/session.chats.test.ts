/**
 * Renaming and pinning a session (pure): each is an event only when it changes something, keeps
 * the session's place in time, and is refused for a session that does not exist.
 */
import { describe, expect, test } from "vitest";
import { createSessionSpec } from "../../../actors/session/session.commands.ts";
import { given } from "../given.ts";

const spec = createSessionSpec(() => "openai/test-model");
const created = { type: "session.created" as const, data: { key: "s1", title: "first", model: null } };

describe("rename and pin (pure)", () => {
  test("rename records session.renamed with the trimmed title; the same title again records nothing", () => {
    const r = given(spec, "s1", [created]).when("rename", { title: "  Lisbon trip " });
    expect(r.events).toEqual([{ type: "session.renamed", data: { title: "Lisbon trip" } }]);
    expect(r.reply).toEqual({ sessionKey: "s1", title: "Lisbon trip", changed: true });
    const g = given(spec, "s1", [created, ...r.events]);
    expect(g.snapshot.context.title).toBe("Lisbon trip");
    expect(g.when("rename", { title: "Lisbon trip" }).events).toEqual([]);
  });

  test("pin and unpin record session.pinned; neither moves the session's time", () => {
    const g0 = given(spec, "s1", [created]);
    const pin = g0.when("pin", { pinned: true });
    expect(pin.events).toEqual([{ type: "session.pinned", data: { pinned: true } }]);
    const g = given(spec, "s1", [created, ...pin.events, { type: "session.renamed", data: { title: "x" } }]);
    expect(g.snapshot.context).toMatchObject({ pinned: true, updatedAt: g0.snapshot.context.updatedAt });
    expect(g.when("pin", { pinned: true }).events).toEqual([]);
    expect(g.when("pin", { pinned: false }).events).toEqual([{ type: "session.pinned", data: { pinned: false } }]);
  });

  test("an empty title, a session that does not exist or a deleted one is refused", () => {
    expect(() => given(spec, "s1", [created]).when("rename", { title: "   " })).toThrow();
    expect(() => given(spec, "s1", []).when("pin", { pinned: true })).toThrow(/create it first/);
    expect(() => given(spec, "s1", [created, { type: "session.deleted", data: {} }]).when("rename", { title: "x" })).toThrow(/was deleted/);
  });
});
