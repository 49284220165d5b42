/**
 * kill -9 of the gateway while a run compacts its session (issue 12, long conversations): the
 * summary is an LLM call decided by `run.compaction_started`. Cut off mid-call, it is never asked
 * for again for the same compaction: after the restart the run ends interrupted, the session
 * takes the next message, and that one compacts afresh (its own compaction) and succeeds.
 */
import { afterEach, describe, expect, it } from "vitest";
import { cleanupAll, exitOf, expectSaneLog, readEvents, spawnCli, startGateway, startLlm, turnEvents, waitUntil } from "./chaos.helpers.ts";

afterEach(cleanupAll, 40_000);

// ~100 tokens each (characters / 4); three of these turns outgrow a 600-token window.
const long = (n: number) => `turn ${n}: ${"lorem ipsum dolor sit amet ".repeat(15)}`;
const isSummary = (body: any) =>
  (body?.messages ?? []).some(
    (m: { role: string; content: unknown }) => m.role === "system" && String(m.content).includes("compact a conversation"),
  );

describe("chaos: kill -9 while compacting", () => {
  it("the summary call is not repeated after the restart; the next message compacts and succeeds", async () => {
    const llm = await startLlm();
    llm.models({ models: [{ id: "test-model", context_length: 600 }] });
    const gw = await startGateway(llm);
    const session = "compk9";
    for (const n of [1, 2]) expect((await gw.cli(["chat", "--session", session, long(n)], { timeoutMs: 30_000 })).code).toBe(0);

    // Turn 3 compacts first; the summary hangs until the gateway dies.
    llm.script({ hang: { chunkIntervalMs: 50, text: "sum " } });
    const chat = spawnCli(gw, ["chat", "--session", session, long(3)]);
    await waitUntil("the summary call to be under way", () => llm.requests.some((r) => isSummary(r.body)), 30_000);
    const before = await readEvents(gw);
    expect(before.filter((e) => e.type === "run.compaction_started")).toHaveLength(1);
    await gw.kill("SIGKILL");
    expect(await exitOf(chat, 20_000)).not.toBe(0);
    const requestsAtKill = llm.requests.length;

    await gw.restart();
    const events = await waitUntil(
      "the compacting run to end",
      async () => {
        const ev = await readEvents(gw);
        return ev.some((e) => e.type === "session.run_ended" && e.id === session && e.data.status === "interrupted") ? ev : undefined;
      },
      30_000,
    );
    const turn3 = turnEvents(events, session, long(3));
    expect(turn3.run.map((e) => e.type)).toEqual(["run.started", "run.compaction_started", "run.interrupted"]);
    expect(turn3.run.at(-1)?.data.reason).toMatch(/summarising older turns/);
    expect(events.filter((e) => e.type === "session.compacted")).toEqual([]);
    // Nothing was asked of the model after the restart for that compaction (nor for its reply).
    expect(llm.requests.length).toBe(requestsAtKill);
    expect(llm.requests.filter((r) => isSummary(r.body))).toHaveLength(1);

    // The next message compacts afresh (a compaction of its own) and gets its answer.
    llm.script({ chunks: ["SUMMARY after the crash"] }, { chunks: ["answer four"] });
    const r = await gw.cli(["chat", "--session", session, long(4)], { timeoutMs: 30_000 });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("answer four");
    const after = await readEvents(gw);
    const turn4 = turnEvents(after, session, long(4));
    expect(turn4.run.map((e) => e.type)).toEqual(["run.started", "run.compaction_started", "run.compacted", "run.completed"]);
    const compacted = after.filter((e) => e.type === "session.compacted");
    expect(compacted).toHaveLength(1);
    expect(compacted[0].data.runId).toBe(turn4.runId);
    expect(llm.requests.filter((x) => isSummary(x.body))).toHaveLength(2);
    expectSaneLog(after);
  }, 120_000);
});
