/** The state aggregate's decisions, pure (no bus): what a command writes, given the history. */
import { describe, expect, test } from "vitest";
import { stateSpec } from "../../../actors/state/index.ts";
import { given } from "../given.ts";

const set = (namespace: string, key: string, value: string) => ({ type: "state.value_set" as const, data: { namespace, key, value } });
const del = (namespace: string, key: string) => ({ type: "state.value_deleted" as const, data: { namespace, key } });

describe("state aggregate", () => {
  test("the folded state counts entries and bytes across namespaces", () => {
    const s = given(stateSpec, "s", [set("a", "k", "héllo"), set("b", "k", "x"), set("a", "k", "hi"), set("a", "j", "y"), del("a", "j")]);
    expect(s.snapshot.context).toMatchObject({ count: 2, bytes: 3 });
    expect(s.snapshot.context.entries).toEqual({ a: { k: { value: "hi", updatedAt: 1002 } }, b: { k: { value: "x", updatedAt: 1001 } } });
  });

  test("deleting the last key of a namespace removes the namespace", () => {
    expect(given(stateSpec, "s", [set("a", "k", "v"), del("a", "k")]).snapshot.context.entries).toEqual({});
  });

  test("set writes one event; the same value writes none; delete of a missing key writes none", () => {
    const s = given(stateSpec, "s", [set("a", "k", "v")]);
    expect(s.when("set", { namespace: "a", key: "k", value: "w" }).events).toEqual([set("a", "k", "w")]);
    expect(s.when("set", { namespace: "a", key: "k", value: "v" })).toMatchObject({
      events: [],
      reply: { changed: false, updatedAt: 1000 },
    });
    expect(s.when("delete", { namespace: "a", key: "nope" })).toMatchObject({ events: [], reply: { deleted: false } });
    expect(s.when("delete", { namespace: "b", key: "k" })).toMatchObject({ events: [], reply: { deleted: false } });
  });

  test("commands are decoded: extra fields, missing values and unknown verbs are refused", () => {
    const s = given(stateSpec, "s", []);
    expect(() => s.when("set", { namespace: "a", key: "k" })).toThrow(expect.objectContaining({ code: "bad_request" }));
    expect(() => s.when("delete", { namespace: "a", key: "k", value: "v" })).toThrow(expect.objectContaining({ code: "bad_request" }));
    expect(() => s.when("clear", {})).toThrow(expect.objectContaining({ code: "unknown_method" }));
  });
});
