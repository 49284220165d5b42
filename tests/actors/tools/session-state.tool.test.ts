/**
 * The `session_state` tool as the agent loop calls it (through the registry, arguments as JSON
 * text), on the real state aggregate over NATS: it acts on the calling session only.
 */
import { describe, expect, test } from "vitest";
import { ToolRegistry, jsonSchemaParameters, type ToolContext } from "../../../actors/tools/index.ts";
import { STATE_LIST_VALUE_CHARS, sessionStateTool } from "../../../actors/tools/session-state.tool.ts";
import { useStateSystem } from "../state/state.fixture.ts";
import { errorOf, okOutput } from "./tools.helpers.ts";

const env = useStateSystem();
const call = (sessionKey: string, args: unknown) => {
  const registry = new ToolRegistry().register(sessionStateTool(env().sys.sessionState));
  const ctx: ToolContext = { workspace: "/nonexistent", signal: new AbortController().signal, sessionKey };
  return registry.invoke("session_state", JSON.stringify(args), ctx);
};
const json = async (sessionKey: string, args: unknown) => JSON.parse(okOutput(await call(sessionKey, args)));

describe("the session_state tool", () => {
  test("its parameters are one object schema a provider accepts", () => {
    const p = jsonSchemaParameters(sessionStateTool(env().sys.sessionState).params);
    expect(p).toMatchObject({ type: "object", required: ["op", "namespace"], additionalProperties: false });
    expect((p.properties as Record<string, { enum?: string[] }>).op.enum).toEqual(["get", "set", "list", "delete"]);
  });

  test("set, get, list, delete — the spec's examples", async () => {
    expect(await json("t1", { op: "set", namespace: "my-skill", key: "last_query", value: "SELECT * FROM users" })).toMatchObject({
      stored: true,
      changed: true,
    });
    expect(await json("t1", { op: "get", namespace: "my-skill", key: "last_query" })).toMatchObject({
      found: true,
      value: "SELECT * FROM users",
    });
    const listed = await json("t1", { op: "list", namespace: "my-skill" });
    expect(listed).toMatchObject({ namespace: "my-skill", count: 1, entries: [{ key: "last_query", value: "SELECT * FROM users" }] });
    expect(Date.parse(listed.entries[0].updatedAt)).not.toBeNaN();
    expect(await json("t1", { op: "delete", namespace: "my-skill", key: "last_query" })).toMatchObject({ deleted: true });
    expect(await json("t1", { op: "get", namespace: "my-skill", key: "last_query" })).toEqual({
      namespace: "my-skill",
      key: "last_query",
      found: false,
    });
    expect(await json("t1", { op: "set", namespace: "my-skill", key: "k", value: "v" })).toMatchObject({ changed: true });
    expect(await json("t1", { op: "set", namespace: "my-skill", key: "k", value: "v" })).toMatchObject({ changed: false });
  });

  test("acts on the calling session only", async () => {
    await json("t-a", { op: "set", namespace: "ns", key: "who", value: "a" });
    expect(await json("t-b", { op: "get", namespace: "ns", key: "who" })).toMatchObject({ found: false });
    expect(await json("t-b", { op: "list", namespace: "ns" })).toMatchObject({ count: 0, entries: [] });
  });

  test("each op says which fields it is missing or does not take", async () => {
    expect(errorOf(await call("t2", { op: "get", namespace: "ns" })).message).toMatch(/"get" needs `key`/);
    expect(errorOf(await call("t2", { op: "set", namespace: "ns", key: "k" })).message).toMatch(/"set" needs `value`/);
    expect(errorOf(await call("t2", { op: "list", namespace: "ns", key: "k" })).message).toMatch(/takes no `key`/);
    expect(errorOf(await call("t2", { op: "get", namespace: "ns", key: "k", value: "v" })).message).toMatch(/use op "set"/);
    expect(errorOf(await call("t2", { op: "rename", namespace: "ns" })).code).toBe("bad_request");
    expect(errorOf(await call("t2", { op: "set", namespace: "bad ns", key: "k", value: "v" })).message).toMatch(
      /namespace is 1-64 characters/,
    );
    expect(errorOf(await call("t2", { op: "set", namespace: "ns", key: "k", value: "x".repeat(20_000) })).message).toMatch(
      /at most 16 KiB/,
    );
    expect(await json("t2", { op: "list", namespace: "ns" })).toMatchObject({ count: 0 });
  });

  test("list cuts long values and says so", async () => {
    await json("t3", { op: "set", namespace: "ns", key: "long", value: "y".repeat(1000) });
    const r = await call("t3", { op: "list", namespace: "ns" });
    expect(r).toMatchObject({ ok: true, truncated: true });
    const out = JSON.parse(okOutput(r));
    expect(out.entries[0]).toMatchObject({ key: "long", valueTruncated: true });
    expect(out.entries[0].value).toHaveLength(STATE_LIST_VALUE_CHARS);
    expect(await json("t3", { op: "get", namespace: "ns", key: "long" })).toMatchObject({ value: "y".repeat(1000) });
  });

  test("a long listing stops at its byte cap and tells the model what it left out", async () => {
    for (let i = 0; i < 120; i++)
      await json("t4", { op: "set", namespace: "ns", key: `k${String(i).padStart(3, "0")}`, value: "z".repeat(190) });
    const out = JSON.parse(okOutput(await call("t4", { op: "list", namespace: "ns" })));
    expect(out.count).toBe(120);
    expect(out.entries.length).toBeLessThan(120);
    expect(out.omitted).toBe(120 - out.entries.length);
    expect(out.entries[0].key).toBe("k000");
  });
});
