/**
 * Long conversations on real parts (NATS, the log, the scripted LLM server and the real OpenAI
 * SDK): a session that grows past the model's context window (the model list says 600 tokens) is
 * compacted before the call that would overflow it, and the run succeeds; `/compact` does it on
 * demand; the replaced messages stay in the transcript.
 */
import { describe, expect, test } from "vitest";
import { request, subjects } from "../../../bus/index.ts";
import { ModelDiscovery } from "../../../actors/llm/index.ts";
import { sessionTranscripts } from "../../../actors/session/index.ts";
import { listCompactions, searchMessages } from "../../../projections/index.ts";
import { aggregateEvents, chatUntilEnded } from "../../fixtures/stack.ts";
import { useAgentSystems } from "../../fixtures/agent-system.ts";

const ctx = useAgentSystems("cairn-compact-");
const WINDOW = 600;
const start = () => {
  ctx.s.llm.models({ models: [{ id: "test-model", context_length: WINDOW }] });
  return ctx.start({}, { discovery: new ModelDiscovery({ cacheFile: null }) });
};
const chat = (key: string, text: string) => chatUntilEnded(ctx.s.nc, key, text);
const system = (body: any): string =>
  (body.messages as { role: string; content: string }[]).find((m) => m.role === "system")?.content ?? "";
const userTexts = (body: any): string[] =>
  (body.messages as { role: string; content: string }[]).filter((m) => m.role === "user").map((m) => m.content);
// ~100 tokens each (characters / 4): four turns of these outgrow a 400-token window.
const long = (n: number) => `turn ${n}: ${"lorem ipsum dolor sit amet ".repeat(15)}`;

describe("compaction", () => {
  test("a session past the window is compacted before the call; the run succeeds on summary + recent turns", async () => {
    ctx.s.llm.reset();
    await start();
    for (let i = 1; i <= 2; i++) await chat("cp1", long(i));
    expect(ctx.s.llm.requests).toHaveLength(2);
    // Turn 3 would send ~500 tokens: the summary comes first, then the reply.
    ctx.s.llm.script({ chunks: ["SUMMARY: the user sent turns 1 and 2 of lorem ipsum."] }, { chunks: ["reply three"] });
    const { runId } = await chat("cp1", long(3));
    const [summaryReq, replyReq] = ctx.s.llm.requests.slice(2);
    expect(ctx.s.llm.requests).toHaveLength(4);
    // The summary request: its own instructions, the replaced turns as text, no tools.
    expect(system(summaryReq.body)).toMatch(/compact a conversation/);
    expect(userTexts(summaryReq.body)[0]).toContain("User: turn 2:");
    expect(summaryReq.tools).toBeNull();
    // The model call: the summary in the system prompt, the replaced turns gone, the new message last.
    expect(system(replyReq.body)).toContain("SUMMARY: the user sent turns 1 and 2");
    expect(userTexts(replyReq.body).at(-1)).toBe(long(3));
    expect(userTexts(replyReq.body).some((t) => t.startsWith("turn 1:"))).toBe(false);

    const run = await aggregateEvents(ctx.s.log, "run", runId);
    expect(run.map((e) => e.type)).toEqual(["run.started", "run.compaction_started", "run.compacted", "run.completed"]);
    expect(run.at(-1)?.data).toMatchObject({ text: "reply three" });
    const session = await aggregateEvents(ctx.s.log, "session", "cp1");
    const compacted = session.filter((e) => e.type === "session.compacted");
    expect(compacted).toHaveLength(1);
    expect(compacted[0].data).toMatchObject({
      runId,
      summary: "SUMMARY: the user sent turns 1 and 2 of lorem ipsum.",
      compactionId: `${runId}-c1`,
      model: "openai/test-model",
    });
    const c = compacted[0].data as { messages: number; tokensBefore: number; tokensAfter: number };
    expect(c.tokensAfter).toBeLessThan(c.tokensBefore);
    // The summary is recorded before the reply is asked for (effects after facts).
    const compactedSeq = compacted[0].seq;
    const ended = session.find((e) => e.type === "session.run_ended" && e.data.runId === runId);
    expect(compactedSeq).toBeLessThan(ended?.seq ?? 0);
    // Nothing is lost: the transcript (history, search, forks) still has every message.
    const transcript = await sessionTranscripts(ctx.s.log).read("cp1");
    expect(transcript.map((m) => m.text.slice(0, 6))).toEqual(["turn 1", "Echo: ", "turn 2", "Echo: ", "turn 3", "reply "]);

    // The chat's divider (read model) after the last replaced message; search still finds turn 1.
    await ctx.s.settled();
    const views = listCompactions(ctx.s.projector.db, "cp1");
    expect(views).toEqual([
      expect.objectContaining({
        summary: "SUMMARY: the user sent turns 1 and 2 of lorem ipsum.",
        throughMessageId: transcript[3].id,
        runId,
      }),
    ]);
    expect(searchMessages(ctx.s.projector.db, { query: "turn 1", sessionKey: "cp1" }).map((h) => h.messageId)).toContain(transcript[0].id);

    // The next turn reuses the summary without a new one while it fits.
    await chat("cp1", "short question");
    expect(ctx.s.llm.requests).toHaveLength(5);
    expect(system(ctx.s.llm.requests[4].body)).toContain("SUMMARY: the user sent turns 1 and 2");
  }, 60_000);

  test("/compact summarises every finished turn now; a busy or unknown session is refused", async () => {
    ctx.s.llm.reset();
    await start();
    await chat("cp2", "first");
    await chat("cp2", "second");
    ctx.s.llm.script({ chunks: ["S: first and second"] });
    const r = (await request(ctx.s.nc, subjects.command("session", "cp2", "compact"), {})) as Record<string, unknown>;
    expect(r).toMatchObject({ sessionKey: "cp2", compacted: true, messages: 4 });
    ctx.s.llm.script({ chunks: ["third answer"] });
    await chat("cp2", "third");
    const last = ctx.s.llm.requests.at(-1)?.body;
    expect(system(last)).toContain("S: first and second");
    expect(userTexts(last)).toEqual(["third"]);
    // Nothing new to compact: no LLM call.
    const before = ctx.s.llm.requests.length;
    ctx.s.llm.script({ chunks: ["S2"] });
    await request(ctx.s.nc, subjects.command("session", "cp2", "compact"), {});
    expect(ctx.s.llm.requests.length).toBe(before + 1);
    const again = (await request(ctx.s.nc, subjects.command("session", "cp2", "compact"), {})) as Record<string, unknown>;
    expect(again).toMatchObject({ compacted: false, messages: 0 });
    expect(ctx.s.llm.requests.length).toBe(before + 1);
    await expect(request(ctx.s.nc, subjects.command("session", "nope", "compact"), {})).rejects.toMatchObject({
      code: "session_not_found",
    });
  }, 60_000);
});

describe("compaction after a crash", () => {
  test("a summary recorded before the crash is used as it is: the run goes on with no second summary call", async () => {
    ctx.s.llm.reset();
    const sys = await start();
    // The log as a gateway killed right after `session.compacted` left it (before `run.compacted`).
    const key = "cp3";
    const runId = "r-cp3";
    const append = async (kind: "session" | "run", id: string, events: any[], ids: string[]) => {
      const { lastSeq } = await ctx.s.log.load(kind, id);
      await ctx.s.log.append({ kind, id, expectedSeq: lastSeq, events, eventIds: ids, now: Date.now() });
    };
    await append(
      "session",
      key,
      [
        { type: "session.created", data: { key, title: "", model: null } },
        { type: "session.user_message", data: { messageId: "u1", text: "old question", runId: "r-old" } },
      ],
      ["cp3-c", "cp3-u1"],
    );
    await append(
      "run",
      "r-old",
      [
        { type: "run.started", data: { runId: "r-old", sessionKey: key, model: "openai/test-model", triggerMessageId: "u1" } },
        { type: "run.completed", data: { text: "old answer", usage: null, finishReason: "stop" } },
      ],
      ["r-old-s", "r-old-e"],
    );
    await append(
      "session",
      key,
      [
        { type: "session.run_ended", data: { runId: "r-old", status: "completed", messageId: "a-r-old" } },
        { type: "session.user_message", data: { messageId: "u2", text: "new question", runId } },
      ],
      ["cp3-e-old", "cp3-u2"],
    );
    await append(
      "run",
      runId,
      [
        { type: "run.started", data: { runId, sessionKey: key, model: "openai/test-model", triggerMessageId: "u2" } },
        { type: "run.compaction_started", data: { compactionId: `${runId}-c1`, iteration: 1, tokens: 999, contextWindow: WINDOW } },
      ],
      ["r-cp3-s", "r-cp3-cs"],
    );
    await append(
      "session",
      key,
      [
        {
          type: "session.compacted",
          data: {
            compactionId: `${runId}-c1`,
            runId,
            summary: "RECORDED SUMMARY",
            fromMessageId: "u1",
            throughMessageId: "a-r-old",
            messages: 2,
            model: "openai/test-model",
            tokensBefore: 999,
            tokensAfter: 10,
          },
        },
      ],
      ["cp3-compacted"],
    );
    ctx.s.llm.script({ chunks: ["the answer"] });
    expect(await sys.recover([key])).toBe(1);
    let run = await aggregateEvents(ctx.s.log, "run", runId);
    for (let i = 0; i < 200 && !run.some((e) => e.type === "run.completed"); i++) {
      await new Promise((r) => setTimeout(r, 50));
      run = await aggregateEvents(ctx.s.log, "run", runId);
    }
    expect(run.map((e) => e.type)).toEqual(["run.started", "run.compaction_started", "run.compacted", "run.completed"]);
    // One LLM request: the reply, built on the recorded summary. No summary was asked for again.
    expect(ctx.s.llm.requests).toHaveLength(1);
    expect(system(ctx.s.llm.requests[0].body)).toContain("RECORDED SUMMARY");
    expect(userTexts(ctx.s.llm.requests[0].body)).toEqual(["new question"]);
  }, 60_000);
});
