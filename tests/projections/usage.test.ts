import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { join } from "node:path";
import { request, subjects } from "../../bus/index.ts";
import { buildFresh, installRebuilt, queries } from "../../projections/index.ts";
import { startStack, type Stack } from "../fixtures/stack.ts";

let s: Stack;
beforeAll(async () => {
  s = await startStack();
});
afterAll(async () => {
  await s.stop();
});

const chat = async (key: string, text: string, extra: Record<string, unknown> = {}) => {
  const done = s.live(key, (m) => m.type === "run.ended");
  const r = (await request(s.nc, subjects.command("session", key, "send"), { text, createIfMissing: true, ...extra })) as { runId: string };
  await done;
  return r.runId;
};

describe("usage: every call's tokens in the events, per-session totals in the read models", () => {
  test("input, output and cache tokens of each run add up per session; failed runs count as runs", async () => {
    s.llm.script(
      { chunks: ["a"], usage: { inputTokens: 100, outputTokens: 10, cacheReadTokens: 40 } },
      { chunks: ["b"], usage: { inputTokens: 200, outputTokens: 20, cacheReadTokens: 50, cacheWriteTokens: 30 } },
      { error: { status: 400, message: "nope" } },
      { chunks: ["elsewhere"], usage: { inputTokens: 7, outputTokens: 1 } },
    );
    const r1 = await chat("u1", "one");
    // Anthropic reports cache reads and writes beside input_tokens; cairn's input is the whole prompt.
    const r2 = await chat("u1", "two", { model: "anthropic/claude-test" });
    await chat("u1", "three");
    await chat("u2", "other session");

    const completed = async (runId: string) =>
      (await s.log.load("run", runId)).records.flatMap((r) => (r.ok && r.event.type === "run.completed" ? [r.event.data] : []))[0];
    expect(await completed(r1)).toMatchObject({ usage: { inputTokens: 100, outputTokens: 10, cacheReadTokens: 40 } });
    expect(await completed(r2)).toMatchObject({ usage: { inputTokens: 200, outputTokens: 20, cacheReadTokens: 50, cacheWriteTokens: 30 } });

    await s.projector.waitFor(await s.log.lastSeq());
    const expected = { inputTokens: 300, outputTokens: 30, cacheReadTokens: 90, cacheWriteTokens: 30, runs: 3 };
    expect(s.q.session("u1").usage).toEqual(expected);
    expect(s.q.session("u2").usage).toEqual({ inputTokens: 7, outputTokens: 1, cacheReadTokens: 0, cacheWriteTokens: 0, runs: 1 });
    expect(
      s.projector.db
        .prepare("SELECT input_tokens, output_tokens, cache_read_tokens, cache_write_tokens FROM runs WHERE run_id = ?")
        .get(r2),
    ).toEqual({
      input_tokens: 200,
      output_tokens: 20,
      cache_read_tokens: 50,
      cache_write_tokens: 30,
    });

    // Over the bus, as the CLI and the edge ask.
    const viaBus = (await request(s.nc, subjects.query("sessions", "get"), { sessionKey: "u1" })) as {
      session: { key: string; model: string };
      usage: unknown;
    };
    expect(viaBus.usage).toEqual(expected);
    expect(viaBus.session).toMatchObject({ key: "u1", model: "anthropic/claude-test", messageCount: 6 });
    // The history's summary carries the totals too (for the chat header).
    expect((s.q.history("u1").session as { usage?: unknown }).usage).toEqual(expected);

    // Disposable: a rebuild from the log gives the same totals.
    const file = join(s.dir, "usage-rebuilt.db");
    const built = await buildFresh(file, s.log);
    const db = installRebuilt(file, built.tmp);
    expect(queries(() => db).session("u1")).toEqual(s.q.session("u1"));
    db.close();
  });

  test("q.sessions.get: unknown session and bad params are typed errors", async () => {
    await expect(request(s.nc, subjects.query("sessions", "get"), { sessionKey: "nope" })).rejects.toMatchObject({
      code: "session_not_found",
    });
    await expect(request(s.nc, subjects.query("sessions", "get"), { sessionKey: "a.b" })).rejects.toMatchObject({ code: "bad_request" });
  });
});
