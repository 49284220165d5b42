import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { request, subjects } from "../../bus/index.ts";
import { startStack, type Stack } from "../fixtures/stack.ts";

let s: Stack;
beforeEach(async () => {
  s = await startStack();
});
afterEach(async () => {
  await s.stop();
});

const send = (key: string, params: Record<string, unknown>) => request(s.nc, subjects.command("session", key, "send"), params);
const ended = (runId: string) => (m: { type: string; runId?: string }) => m.type === "run.ended" && m.runId === runId;

describe("a chat message, end to end through the actors", () => {
  test("streams deltas, records the reply in the log and the read models", async () => {
    s.llm.script({ chunks: ["Hello", ", ", "world", "!"] });
    const done = s.live("k1", (m) => m.type === "run.ended");
    const r = (await send("k1", { text: "hi there", createIfMissing: true })) as { runId: string; messageId: string };
    const live = await done;
    expect(
      live
        .filter((m) => m.type === "run.delta")
        .map((m) => (m as { text: string }).text)
        .join(""),
    ).toBe("Hello, world!");
    expect(live.at(-1)).toMatchObject({ type: "run.ended", runId: r.runId, status: "completed" });

    const last = await s.log.lastSeq();
    await s.projector.waitFor(last);
    const h = s.q.history("k1");
    expect(h.messages.map((m) => [m.role, m.text, m.status])).toEqual([
      ["user", "hi there", "complete"],
      ["assistant", "Hello, world!", "complete"],
    ]);
    expect(h.activeRun).toBeNull();
    // The model saw the user's message.
    expect(s.llm.requests[0].body.messages.at(-1)).toMatchObject({ role: "user", content: "hi there" });
  });

  test("the second message carries the whole conversation to the model", async () => {
    s.llm.script({ chunks: ["one"] }, { chunks: ["two"] });
    let r = (await send("k2", { text: "first", createIfMissing: true })) as { runId: string };
    await s.live("k2", ended(r.runId));
    r = (await send("k2", { text: "second" })) as { runId: string };
    await s.live("k2", ended(r.runId));
    const msgs = s.llm.requests[1].body.messages.filter((m: { role: string }) => m.role !== "system");
    expect(msgs.map((m: { role: string; content: string }) => [m.role, m.content])).toEqual([
      ["user", "first"],
      ["assistant", "one"],
      ["user", "second"],
    ]);
  });

  test("a message to a session that does not exist is refused and nothing is written", async () => {
    const before = await s.log.lastSeq();
    await expect(send("nope", { text: "hi" })).rejects.toMatchObject({ code: "session_not_found" });
    expect(await s.log.lastSeq()).toBe(before);
  });

  test("a message while a reply is streaming is refused with session_busy", async () => {
    s.llm.script({ hang: { chunkIntervalMs: 20 } });
    const started = s.live("k3", (m) => m.type === "run.delta");
    await send("k3", { text: "long", createIfMissing: true });
    await started;
    await expect(send("k3", { text: "again" })).rejects.toMatchObject({ code: "session_busy" });
  });

  test("resending the same message id is a no-op", async () => {
    s.llm.script({ chunks: ["ok"] });
    const a = (await send("k4", { text: "hi", messageId: "m-fixed", createIfMissing: true })) as { runId: string };
    await s.live("k4", ended(a.runId));
    const b = await send("k4", { text: "hi", messageId: "m-fixed" });
    expect(b).toMatchObject({ runId: a.runId, duplicate: true });
    expect(s.llm.requests).toHaveLength(1);
  });

  test("a provider failure ends the run as failed with a typed error, and the session can go on", async () => {
    s.llm.script({ error: { status: 401 } }, { chunks: ["fine"] });
    const r = (await send("k5", { text: "hi", createIfMissing: true })) as { runId: string };
    const live = await s.live("k5", ended(r.runId));
    expect(live.at(-1)).toMatchObject({ status: "failed", error: { code: "provider_auth" } });
    const r2 = (await send("k5", { text: "again" })) as { runId: string };
    const live2 = await s.live("k5", ended(r2.runId));
    expect(live2.at(-1)).toMatchObject({ status: "completed" });
  });

  test("invalid params are refused with bad_request", async () => {
    await expect(send("k6", { text: "", createIfMissing: true })).rejects.toMatchObject({ code: "bad_request" });
    await expect(send("k6", { txt: "x" })).rejects.toMatchObject({ code: "bad_request" });
  });
});

describe("without a model", () => {
  test("sending is refused with model_not_configured and a hint, nothing written", async () => {
    await s.stop();
    s = await startStack({ model: null });
    const before = await s.log.lastSeq();
    await expect(send("k7", { text: "hi", createIfMissing: true })).rejects.toMatchObject({
      code: "model_not_configured",
      message: expect.stringContaining("CAIRN_MODEL"),
    });
    expect(await s.log.lastSeq()).toBe(before);
  });
});
