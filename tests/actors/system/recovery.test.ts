/**
 * Recovery after a restart says what it did with each session it adopted: a run cut off after it
 * ended but before its session recorded the end is repaired, not "continued".
 */
import { expect, test } from "vitest";
import { aggregateEvents } from "../../fixtures/stack.ts";
import { useAgentSystems } from "../../fixtures/agent-system.ts";

const ctx = useAgentSystems("cairn-recovery-");

test("a run that ended before the restart is reported repaired, and its session records the end", async () => {
  const key = "recovered-after-end";
  const runId = "run-ended-before-restart";
  const append = async (kind: "session" | "run", id: string, expectedSeq: number, type: string, data: unknown) =>
    (
      await ctx.s.log.append({
        kind,
        id,
        expectedSeq,
        events: [{ type, data } as never],
        eventIds: [`${id}-${type}`],
        now: Date.now(),
      })
    )[0];
  // The log as a crash leaves it: the run's end is written, the session's record of it is not.
  let s = await append("session", key, 0, "session.created", { key, title: "t", model: null });
  s = await append("session", key, s, "session.user_message", { messageId: "m1", text: "hi", runId });
  const r = await append("run", runId, 0, "run.started", { runId, sessionKey: key, model: "openai/test-model", triggerMessageId: "m1" });
  await append("run", runId, r, "run.completed", { text: "hello", usage: { inputTokens: 1, outputTokens: 1 }, finishReason: "stop" });

  const lines: string[] = [];
  const sys = await ctx.start({}, {}, (line) => lines.push(line));
  expect(await sys.recover([key])).toBe(1);
  expect(lines).toContain(`adopted session ${key}: run ${runId} had ended before the restart; the session now records its end`);
  expect(lines.some((l) => l.includes("goes on"))).toBe(false);
  const ended = (await aggregateEvents(ctx.s.log, "session", key)).filter((e) => e.type === "session.run_ended");
  expect(ended).toEqual([expect.objectContaining({ data: expect.objectContaining({ runId, status: "completed" }) })]);
  expect(ctx.s.llm.requests).toHaveLength(0);
});
