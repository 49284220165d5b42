import { describe, expect, test } from "vitest";
import { createSessionSpec } from "../../../actors/session/session.commands.ts";
import { CairnError, type NewEvent } from "../../../schemas/index.ts";
import { given } from "../given.ts";

const spec = createSessionSpec((m) => m ?? "openai/gpt-4o-mini");
const noModel = createSessionSpec(() => {
  throw new CairnError("model_not_configured", "set CAIRN_MODEL");
});

const created: NewEvent = { type: "session.created", data: { key: "s1", title: "", model: null } };
const asked: NewEvent = { type: "session.user_message", data: { messageId: "m1", text: "hi", runId: "r1" } };
const answered: NewEvent = { type: "session.run_ended", data: { runId: "r1", status: "completed", messageId: "a-r1", text: "hello" } };

describe("session: given events, when a command, then events", () => {
  test("create on a new session records it; on an existing one changes nothing", () => {
    expect(given(spec, "s1", []).when("create", { title: "Work" }).events).toEqual([
      { type: "session.created", data: { key: "s1", title: "Work", model: null } },
    ]);
    expect(given(spec, "s1", [created]).when("create", {})).toMatchObject({ events: [], reply: { created: false } });
  });

  test("send on an idle session records the message, decides the run and starts it after the fact", () => {
    const d = given(spec, "s1", [created]).when("send", { text: "hi", messageId: "m1" });
    expect(d.events).toEqual([{ type: "session.user_message", data: { messageId: "m1", text: "hi", runId: "r-id1" } }]);
    expect(d.eventIds).toEqual(["s1-m1"]);
    expect(d.actions).toEqual([{ type: "startRun", params: { sessionKey: "s1", runId: "r-id1", messageId: "m1", model: null } }]);
  });

  test("send to a session that does not exist: refused unless createIfMissing", () => {
    expect(() => given(spec, "s1", []).when("send", { text: "hi" })).toThrow(expect.objectContaining({ code: "session_not_found" }));
    const d = given(spec, "s1", []).when("send", { text: "hi", createIfMissing: true });
    expect(d.events.map((e) => e.type)).toEqual(["session.created", "session.user_message"]);
  });

  test("send while a run is active is refused with session_busy", () => {
    expect(() => given(spec, "s1", [created, asked]).when("send", { text: "again" })).toThrow(
      expect.objectContaining({ code: "session_busy" }),
    );
  });

  test("the same message id twice is a duplicate, not a second message", () => {
    expect(given(spec, "s1", [created, asked]).when("send", { text: "hi", messageId: "m1" })).toMatchObject({
      events: [],
      reply: { messageId: "m1", runId: "r1", duplicate: true },
    });
    expect(given(spec, "s1", [created, asked, answered]).when("send", { text: "hi", messageId: "m1" }).events).toEqual([]);
  });

  test("without a usable model nothing is decided", () => {
    expect(() => given(noModel, "s1", [created]).when("send", { text: "hi" })).toThrow(
      expect.objectContaining({ code: "model_not_configured" }),
    );
  });

  test("end_run records the reply once, for the active run only", () => {
    const g = given(spec, "s1", [created, asked]);
    const d = g.when("end_run", { runId: "r1", status: "completed", text: "hello" });
    expect(d.events).toEqual([{ type: "session.run_ended", data: { runId: "r1", status: "completed", messageId: "a-r1", text: "hello" } }]);
    expect(d.actions).toEqual([{ type: "announceRunEnded", params: { sessionKey: "s1", runId: "r1", status: "completed" } }]);
    expect(g.when("end_run", { runId: "other", status: "completed", text: "x" }).events).toEqual([]);
    expect(
      given(spec, "s1", [created, asked, answered]).when("end_run", { runId: "r1", status: "completed", text: "hello" }).events,
    ).toEqual([]);
  });

  test("the transcript folds from events", () => {
    const s = given(spec, "s1", [created, asked, answered]).snapshot;
    expect(s.value).toBe("idle");
    expect(s.context.messages.map((m) => [m.role, m.text, m.status])).toEqual([
      ["user", "hi", "complete"],
      ["assistant", "hello", "complete"],
    ]);
    expect(s.context.activeRun).toBeNull();
  });

  test("bad params and unknown verbs are typed errors", () => {
    expect(() => given(spec, "s1", [created]).when("send", { text: "" })).toThrow(expect.objectContaining({ code: "bad_request" }));
    expect(() => given(spec, "s1", [created]).when("send", { text: "x", extra: 1 })).toThrow(
      expect.objectContaining({ code: "bad_request" }),
    );
    expect(() => given(spec, "s1", [created]).when("explode", {})).toThrow(expect.objectContaining({ code: "unknown_method" }));
  });
});
