/**
 * The agent loop on real parts (NATS, the log, the scripted LLM server, the real SDKs): tool calls
 * recorded before they run, run in the session's workspace, results fed back until a plain answer.
 */
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import * as Schema from "effect/Schema";
import { describe, expect, test } from "vitest";
import { request, subjects } from "../../bus/index.ts";
import type { ActorSystemOptions } from "../../actors/index.ts";
import { type ToolRegistry, defineTool, workspaceToolRegistry } from "../../actors/tools/index.ts";
import type { AnyStoredEvent } from "../../schemas/index.ts";
import { aggregateEvents, chatUntilEnded } from "../fixtures/stack.ts";
import { useAgentSystems } from "../fixtures/agent-system.ts";

const ctx = useAgentSystems("cairn-ws-");
const start = (agent: ActorSystemOptions["agent"]) => ctx.start(agent);

const chat = (key: string, text: string, extra: Record<string, unknown> = {}) => chatUntilEnded(ctx.s.nc, key, text, { extra });
const events = (kind: "run" | "session", id: string) => aggregateEvents(ctx.s.log, kind, id);

const toolStory = (evs: AnyStoredEvent[]) =>
  evs
    .filter((e) => e.type.startsWith("run.tool") || e.type === "run.completed" || e.type === "run.failed" || e.type === "run.interrupted")
    .map((e) => `${e.type}${"callId" in e.data ? ` ${e.data.callId}` : ""}`);

describe("the agent loop with the workspace tools", () => {
  test("write_file then read_file across two iterations: files written, events in order, results back to the model", async () => {
    ctx.s.llm.reset();
    await start({ workspaceRoot: ctx.root });
    ctx.s.llm.script(
      {
        chunks: ["Writing it."],
        toolCalls: [{ id: "call_w", name: "write_file", arguments: JSON.stringify({ path: "notes/a.txt", content: "hello tools" }) }],
      },
      { toolCalls: [{ id: "call_r", name: "read_file", arguments: JSON.stringify({ path: "notes/a.txt" }), splitEvery: 5 }] },
      { chunks: ["The file says ", "hello tools."] },
    );
    const { runId, live } = await chat("ws1", "write and read a note");
    expect(readFileSync(join(ctx.root, "ws1", "notes", "a.txt"), "utf8")).toBe("hello tools");

    const evs = await events("run", runId);
    expect(toolStory(evs)).toEqual([
      "run.tool_call_requested call_w",
      "run.tool_started call_w",
      "run.tool_finished call_w",
      "run.tool_call_requested call_r",
      "run.tool_started call_r",
      "run.tool_finished call_r",
      "run.completed",
    ]);
    const req = evs.filter((e) => e.type === "run.tool_call_requested").map((e) => e.data);
    expect(req).toEqual([
      // textOffset: the reply had streamed "Writing it." (11 characters) when each call was asked for.
      // reply: what each response said besides asking, and its tokens (the scripted server's counts).
      {
        callId: "call_w",
        name: "write_file",
        arguments: JSON.stringify({ path: "notes/a.txt", content: "hello tools" }),
        iteration: 1,
        textOffset: 11,
        reply: { text: "Writing it.", usage: { inputTokens: 6, outputTokens: 2 } },
      },
      {
        callId: "call_r",
        name: "read_file",
        arguments: JSON.stringify({ path: "notes/a.txt" }),
        iteration: 2,
        textOffset: 11,
        reply: { text: "", usage: { inputTokens: 16, outputTokens: 1 } },
      },
    ]);
    const read = evs.find((e) => e.type === "run.tool_finished" && e.data.callId === "call_r")!;
    expect(read.data).toMatchObject({ isError: false, truncated: false });
    expect((read.data as { output: string }).output).toContain("hello tools");
    const completed = evs.find((e) => e.type === "run.completed")!;
    expect(completed.data).toMatchObject({ text: "Writing it.\n\nThe file says hello tools.", finishReason: "stop" });

    // Every request offered the tools; the second and third carried the tool turns in OpenAI's shape.
    expect(ctx.s.llm.requests).toHaveLength(3);
    for (const r of ctx.s.llm.requests)
      expect((r.tools ?? []).map((t: any) => t.function?.name).sort()).toEqual([
        "branch_session",
        "cron",
        "edit_file",
        "glob",
        "grep",
        "read_file",
        "session_state",
        "write_file",
      ]);
    const second = ctx.s.llm.requests[1].toolMessages as any[];
    expect(second[0]).toMatchObject({
      role: "assistant",
      tool_calls: [{ id: "call_w", type: "function", function: { name: "write_file" } }],
    });
    expect(second[1]).toMatchObject({ role: "tool", tool_call_id: "call_w" });
    expect(ctx.s.llm.requests[2].toolMessages).toHaveLength(4);
    expect((ctx.s.llm.requests[2].toolMessages as any[])[3]).toMatchObject({ role: "tool", tool_call_id: "call_r" });
    expect(JSON.stringify((ctx.s.llm.requests[2].toolMessages as any[])[3].content)).toContain("hello tools");

    // Live: a card's life per call, in order.
    const cards = live.flatMap((m) => (m.type === "run.tool" ? [`${m.callId}:${m.status}`] : []));
    expect(cards).toEqual([
      "call_w:requested",
      "call_w:started",
      "call_w:finished",
      "call_r:requested",
      "call_r:started",
      "call_r:finished",
    ]);

    // The transcript keeps only the final assistant text: the run's, stored once (not in session.run_ended).
    const session = await events("session", "ws1");
    const ended = session.find((e) => e.type === "session.run_ended")!;
    expect(ended.data).toMatchObject({ status: "completed" });
    expect(ended.data).not.toHaveProperty("text");
    const run = await events("run", (ended.data as { runId: string }).runId);
    expect(run.find((e) => e.type === "run.completed")!.data).toMatchObject({ text: "Writing it.\n\nThe file says hello tools." });
    await ctx.sys!.stop();
  });

  test("two calls in one response (Anthropic) both run and both results go back, tools on every request", async () => {
    ctx.s.llm.reset();
    await start({ workspaceRoot: ctx.root });
    ctx.s.llm.script(
      {
        toolCalls: [
          { name: "write_file", arguments: JSON.stringify({ path: "x.txt", content: "X" }), splitEvery: 3 },
          { name: "write_file", arguments: JSON.stringify({ path: "y.txt", content: "Y" }) },
        ],
      },
      { chunks: ["both written"] },
    );
    const { runId } = await chat("ws2", "write two", { model: "anthropic/claude-test" });
    expect(readFileSync(join(ctx.root, "ws2", "x.txt"), "utf8")).toBe("X");
    expect(readFileSync(join(ctx.root, "ws2", "y.txt"), "utf8")).toBe("Y");
    const evs = await events("run", runId);
    const ids = evs.filter((e) => e.type === "run.tool_call_requested").map((e) => (e.data as { callId: string }).callId);
    expect(ids).toHaveLength(2);
    // Both requested (in order) before either started.
    const types = evs.map((e) => e.type);
    expect(types.lastIndexOf("run.tool_call_requested")).toBeLessThan(types.indexOf("run.tool_started"));
    expect(types.filter((t) => t === "run.tool_finished")).toHaveLength(2);
    expect(evs.at(-1)!.type).toBe("run.completed");

    expect(ctx.s.llm.requests).toHaveLength(2);
    expect(ctx.s.llm.requests[1].protocol).toBe("anthropic");
    expect(ctx.s.llm.requests[1].tools?.length).toBe(8);
    const turns = ctx.s.llm.requests[1].toolMessages as any[];
    expect(turns[0].role).toBe("assistant");
    expect(turns[0].content.filter((b: any) => b.type === "tool_use").map((b: any) => b.id)).toEqual(ids);
    expect(turns[1].role).toBe("user");
    expect(turns[1].content.filter((b: any) => b.type === "tool_result").map((b: any) => b.tool_use_id)).toEqual(ids);
    await ctx.sys!.stop();
  });

  test("unknown tool, invalid arguments and a path escape come back as errors; the run goes on to an answer", async () => {
    ctx.s.llm.reset();
    await start({ workspaceRoot: ctx.root });
    ctx.s.llm.script(
      {
        toolCalls: [
          { id: "call_u", name: "launch_rockets", arguments: "{}" },
          { id: "call_j", name: "read_file", arguments: "{not json" },
          { id: "call_e", name: "read_file", arguments: JSON.stringify({ path: "../../etc/passwd" }) },
          { id: "call_x", name: "write_file", arguments: JSON.stringify({ path: "ok.txt" }) },
        ],
      },
      { chunks: ["sorry, those failed"] },
    );
    const { runId } = await chat("ws3", "try bad things");
    const evs = await events("run", runId);
    const finished: Record<string, { isError: boolean; output: string }> = Object.fromEntries(
      evs
        .filter((e) => e.type === "run.tool_finished")
        .map((e) => [(e.data as any).callId, e.data as { isError: boolean; output: string }]),
    );
    expect(Object.keys(finished).sort()).toEqual(["call_e", "call_j", "call_u", "call_x"]);
    for (const f of Object.values(finished)) expect(f.isError).toBe(true);
    expect(finished.call_u.output).toMatch(/unknown tool "launch_rockets"/);
    expect(finished.call_j.output).toMatch(/not valid JSON/);
    expect(finished.call_e.output).toMatch(/outside the workspace/);
    expect(finished.call_x.output).toMatch(/invalid arguments for write_file/);
    expect(evs.at(-1)).toMatchObject({ type: "run.completed", data: { text: "sorry, those failed" } });
    const results = (ctx.s.llm.requests[1].toolMessages as any[]).filter((m) => m.role === "tool");
    expect(results.map((m) => m.tool_call_id)).toEqual(["call_u", "call_j", "call_e", "call_x"]);
    expect(existsSync(join(ctx.root, "ws3", "ok.txt"))).toBe(false);
    await ctx.sys!.stop();
  });

  test("max iterations: the run completes with the text so far and a note; the last calls never run", async () => {
    ctx.s.llm.reset();
    await start({ workspaceRoot: ctx.root, maxIterations: 2 });
    const call = (id: string) => ({ id, name: "glob", arguments: JSON.stringify({ pattern: "*" }) });
    ctx.s.llm.script({ chunks: ["looking"], toolCalls: [call("g1")] }, { toolCalls: [call("g2")] }, { chunks: ["never asked"] });
    const { runId } = await chat("ws4", "loop forever");
    expect(ctx.s.llm.requests).toHaveLength(2);
    const evs = await events("run", runId);
    expect(toolStory(evs)).toEqual(["run.tool_call_requested g1", "run.tool_started g1", "run.tool_finished g1", "run.completed"]);
    const done = evs.at(-1)!.data as { text: string; finishReason: string };
    expect(done.finishReason).toBe("max_iterations");
    expect(done.text, done.text).toMatch(/^looking\n\n\[stopped: the agent reached its limit of 2 model calls/);
    await ctx.sys!.stop();
  });

  test("no workspace ctx.root: no tools are offered (the plain chat is unchanged)", async () => {
    ctx.s.llm.reset();
    await start(undefined);
    ctx.s.llm.script({ chunks: ["plain"] });
    const { runId } = await chat("ws5", "hi");
    expect(ctx.s.llm.requests[0].tools).toBeNull();
    expect((await events("run", runId)).at(-1)).toMatchObject({ type: "run.completed", data: { text: "plain" } });
    await ctx.sys!.stop();
  });
});

describe("tool calls cut off", () => {
  /** A tool that waits until it is cancelled, counting its runs. */
  const slowRegistry = (runs: { n: number }, started: () => void) =>
    workspaceToolRegistry().register(
      defineTool({
        name: "slow",
        description: "waits",
        source: "builtin",
        dangerous: false,
        params: Schema.Struct({ note: Schema.optionalKey(Schema.String) }),
        run: (_a, ctx) =>
          new Promise((resolve) => {
            runs.n++;
            started();
            ctx.signal.addEventListener("abort", () => resolve({ output: "cancelled" }), { once: true });
          }),
      }),
    );

  test("shutdown during a tool call: recorded interrupted, and after a restart and recovery never re-run", async () => {
    ctx.s.llm.reset();
    const runs = { n: 0 };
    let onStart = () => {};
    const startedOnce = new Promise<void>((r) => (onStart = r));
    const tools: ToolRegistry = slowRegistry(runs, () => onStart());
    await start({ workspaceRoot: ctx.root, tools });
    ctx.s.llm.script({ toolCalls: [{ id: "call_slow", name: "slow", arguments: "{}" }] }, { chunks: ["should never be asked"] });
    const sent = (await request(ctx.s.nc, subjects.command("session", "ws6", "send"), { text: "go slow", createIfMissing: true })) as {
      runId: string;
    };
    await startedOnce;
    await ctx.sys!.stop();
    const evs = await events("run", sent.runId);
    expect(toolStory(evs)).toEqual([
      "run.tool_call_requested call_slow",
      "run.tool_started call_slow",
      "run.tool_interrupted call_slow",
      "run.interrupted",
    ]);

    // A new gateway on the same log: recovery finds the run ended; nothing runs again.
    await start({ workspaceRoot: ctx.root, tools });
    await ctx.sys!.recover(["ws6"]);
    await new Promise((r) => setTimeout(r, 300));
    expect(runs.n).toBe(1);
    expect(ctx.s.llm.requests).toHaveLength(1);
    expect(toolStory(await events("run", sent.runId))).toHaveLength(4);
    await ctx.sys!.stop();
  });

  test("the run timeout ends the run failed with code timeout and marks the running call interrupted", async () => {
    ctx.s.llm.reset();
    const runs = { n: 0 };
    await start({ workspaceRoot: ctx.root, timeoutMs: 800, tools: slowRegistry(runs, () => {}) });
    ctx.s.llm.script({ toolCalls: [{ id: "call_t", name: "slow", arguments: "{}" }] });
    const { runId, live } = await chat("ws7", "take too long");
    expect(live.flatMap((m) => (m.type === "run.tool" ? [`${m.callId}:${m.status}`] : []))).toEqual([
      "call_t:requested",
      "call_t:started",
      "call_t:interrupted",
    ]);
    const evs = await events("run", runId);
    expect(toolStory(evs)).toEqual([
      "run.tool_call_requested call_t",
      "run.tool_started call_t",
      "run.tool_interrupted call_t",
      "run.failed",
    ]);
    expect(evs.at(-1)!.data).toMatchObject({ error: { code: "timeout" } });
    expect(runs.n).toBe(1);
    await ctx.sys!.stop();
  });
});
