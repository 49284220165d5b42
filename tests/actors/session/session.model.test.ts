import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { createSessionSpec } from "../../../actors/session/session.commands.ts";
import { CairnError, type NewEvent } from "../../../schemas/index.ts";
import { startStack, type Stack } from "../../fixtures/stack.ts";
import { given } from "../given.ts";

/** Accepts openai/* models only, as a stand-in for "configured". */
const spec = createSessionSpec((m) => {
  const id = m ?? "openai/default";
  if (!id.startsWith("openai/")) throw new CairnError("model_not_configured", `${id} needs a key`);
  return id;
});
const created: NewEvent = { type: "session.created", data: { key: "s1", title: "", model: null } };
const asked: NewEvent = { type: "session.user_message", data: { messageId: "m1", text: "hi", runId: "r1" } };

describe("session model: given events, when a command, then events", () => {
  test("set_model records session.model_set; the same model again is a no-op", () => {
    const d = given(spec, "s1", [created]).when("set_model", { model: "openai/big" });
    expect(d.events).toEqual([{ type: "session.model_set", data: { model: "openai/big" } }]);
    expect(d.reply).toEqual({ model: "openai/big", changed: true });
    const g = given(spec, "s1", [created, ...d.events]);
    expect(g.snapshot.context.model).toBe("openai/big");
    expect(g.when("set_model", { model: "openai/big" })).toMatchObject({ events: [], reply: { changed: false } });
    // null returns to the default.
    expect(g.when("set_model", { model: null }).events).toEqual([{ type: "session.model_set", data: { model: null } }]);
    expect(given(spec, "s1", [created]).when("set_model", { model: null }).events).toEqual([]);
  });

  test("set_model refuses a model that could not answer, an unknown session, and a malformed id", () => {
    expect(() => given(spec, "s1", [created]).when("set_model", { model: "anthropic/x" })).toThrow(
      expect.objectContaining({ code: "model_not_configured" }),
    );
    expect(() => given(spec, "s1", []).when("set_model", { model: "openai/big" })).toThrow(
      expect.objectContaining({ code: "session_not_found" }),
    );
    expect(() => given(spec, "s1", [created]).when("set_model", { model: "no-slash" })).toThrow(
      expect.objectContaining({ code: "bad_request" }),
    );
  });

  test("set_model while a reply streams is allowed: the next run uses it", () => {
    const g = given(spec, "s1", [created, asked]);
    expect(g.snapshot.value).toBe("running");
    expect(g.when("set_model", { model: "openai/big" }).events).toHaveLength(1);
  });

  test("send with a model switches first, then the message's run starts on it", () => {
    const d = given(spec, "s1", [created]).when("send", { text: "hi", messageId: "m1", model: "openai/big" });
    expect(d.events.map((e) => e.type)).toEqual(["session.model_set", "session.user_message"]);
    expect(d.actions).toEqual([{ type: "startRun", params: expect.objectContaining({ runId: "r-id1", model: "openai/big" }) }]);
    // Already on it: no model_set.
    const on = given(spec, "s1", [created, { type: "session.model_set", data: { model: "openai/big" } }]);
    expect(on.when("send", { text: "hi", model: "openai/big" }).events.map((e) => e.type)).toEqual(["session.user_message"]);
  });

  test("send with a model to a new session creates it on that model", () => {
    const d = given(spec, "s1", []).when("send", { text: "hi", createIfMissing: true, model: "openai/big" });
    expect(d.events.map((e) => e.type)).toEqual(["session.created", "session.user_message"]);
    expect(d.events[0].data).toMatchObject({ model: "openai/big" });
  });

  test("send with an unusable model writes nothing, the session keeps its model", () => {
    expect(() => given(spec, "s1", [created]).when("send", { text: "hi", model: "anthropic/x" })).toThrow(
      expect.objectContaining({ code: "model_not_configured" }),
    );
  });
});

describe("session model through the actors and read models", () => {
  let s: Stack;
  beforeAll(async () => {
    s = await startStack();
  });
  afterAll(async () => {
    await s.stop();
  });
  const cmd = (key: string, verb: string, params: unknown) => s.sessionCommand(key, verb, params);

  test("the session's model is what its runs use and what the read model shows; null goes back to the default", async () => {
    let r = (await cmd("sm1", "send", { text: "one", createIfMissing: true })) as { runId: string };
    await s.live("sm1", (m) => m.type === "run.ended" && m.runId === r.runId);
    expect(await cmd("sm1", "set_model", { model: "openai/other-model" })).toEqual({ model: "openai/other-model", changed: true });
    r = (await cmd("sm1", "send", { text: "two" })) as { runId: string };
    await s.live("sm1", (m) => m.type === "run.ended" && m.runId === r.runId);
    expect(s.llm.requests.map((q) => q.body.model)).toEqual(["test-model", "other-model"]);
    await s.projector.waitFor(await s.log.lastSeq());
    expect(s.q.history("sm1").session.model).toBe("openai/other-model");

    await cmd("sm1", "set_model", { model: null });
    await s.projector.waitFor(await s.log.lastSeq());
    expect(s.q.history("sm1").session.model).toBeNull();
  });

  test("send with model: model_set then user_message in the log, the run on the new model", async () => {
    let r = (await cmd("sm2", "send", { text: "one", createIfMissing: true })) as { runId: string };
    await s.live("sm2", (m) => m.type === "run.ended" && m.runId === r.runId);
    r = (await cmd("sm2", "send", { text: "two", model: "openai/picked" })) as { runId: string };
    await s.live("sm2", (m) => m.type === "run.ended" && m.runId === r.runId);
    const { records } = await s.log.load("session", "sm2");
    const types = records.flatMap((x) => (x.ok ? [x.event.type] : []));
    expect(types.slice(-3)).toEqual(["session.model_set", "session.user_message", "session.run_ended"]);
    const run = await s.log.load("run", r.runId);
    expect(run.records[0]).toMatchObject({ ok: true, event: { type: "run.started", data: { model: "openai/picked" } } });
  });

  test("an unknown model is refused before anything is written", async () => {
    await cmd("sm3", "create", {});
    const before = await s.log.lastSeq();
    await expect(cmd("sm3", "set_model", { model: "nosuch/model" })).rejects.toMatchObject({ code: "model_unknown" });
    await expect(cmd("sm3", "send", { text: "x", model: "nosuch/model" })).rejects.toMatchObject({ code: "model_unknown" });
    expect(await s.log.lastSeq()).toBe(before);
  });
});
