import { afterEach, describe, expect, test } from "vitest";
import { createOpenAiProvider } from "../../actors/llm/openai.provider.ts";
import { resolveModel } from "../../actors/llm/index.ts";
import { deadPort, startFallbackStack, type FallbackOptions, type FallbackStack } from "./run/fallback.stack.ts";

let s: FallbackStack | undefined;
afterEach(async () => {
  await s?.dispose();
  s = undefined;
});

const PRIMARY = "openai/primary";
const BACKUP = "openai/backup";
const start = async (o: Partial<FallbackOptions> = {}) => (s = await startFallbackStack({ model: PRIMARY, fallback: [BACKUP], ...o }));
const models = () => s!.llm.requests.map((r) => r.body.model as string);
const types = (events: Array<{ type: string }>) => events.map((e) => e.type);

describe("fallback chains: a retryable failure before the first token moves the run on", () => {
  test("429 with Retry-After: switch recorded with its cooldown, live notice first, reply from the fallback", async () => {
    await start();
    s!.llm.script({ error: { status: 429, headers: { "retry-after": "120" } } }, { chunks: ["from ", "backup"] });
    const t0 = s!.clock.t;
    const { runId, live } = await s!.chat("f1", "hi");

    expect(models()).toEqual(["primary", "backup"]);
    const events = await s!.events("run", runId);
    expect(types(events)).toEqual(["run.started", "run.model_switched", "run.completed"]);
    expect(events[0].data).toMatchObject({ model: PRIMARY });
    // Retry-After (120 s) is longer than the first backoff (30 s), so it wins.
    expect(events[1].data).toMatchObject({
      from: PRIMARY,
      to: BACKUP,
      error: { code: "provider_rate_limited" },
      cooldownUntil: t0 + 120_000,
    });
    expect(events[2].data).toMatchObject({ text: "from backup", finishReason: "stop" });

    const kinds = live.map((m) => m.type);
    expect(kinds.indexOf("run.model_switched")).toBeGreaterThan(-1);
    expect(kinds.indexOf("run.model_switched")).toBeLessThan(kinds.indexOf("run.delta"));
    expect(live.find((m) => m.type === "run.model_switched")).toMatchObject({
      from: PRIMARY,
      to: BACKUP,
      error: { code: "provider_rate_limited" },
    });
    expect(live.at(-1)).toMatchObject({ type: "run.ended", status: "completed" });

    await s!.projector.waitFor(await s!.log.lastSeq());
    expect(s!.q.history("f1").messages.at(-1)).toMatchObject({ role: "assistant", text: "from backup", status: "complete" });
    expect(s!.projector.db.prepare("SELECT model, switches, status FROM runs WHERE run_id = ?").get(runId)).toEqual({
      model: BACKUP,
      switches: 1,
      status: "completed",
    });
  });

  test.each([
    ["503 overloaded", { status: 503 }, "provider_overloaded"],
    ["500", { status: 500 }, "provider_error"],
    ["529 (Anthropic's overloaded)", { status: 529 }, "provider_overloaded"],
  ])("%s switches to the fallback", async (_name, error, code) => {
    await start();
    s!.llm.script({ error }, { chunks: ["ok"] });
    const { runId } = await s!.chat("f2", "hi");
    const events = await s!.events("run", runId);
    expect(types(events)).toEqual(["run.started", "run.model_switched", "run.completed"]);
    expect(events[1].data).toMatchObject({ from: PRIMARY, to: BACKUP, error: { code } });
    expect(models()).toEqual(["primary", "backup"]);
  });

  test("connection refused: the primary's server is down, the fallback on another provider answers", async () => {
    const port = await deadPort();
    await start({ model: "anthropic/claude-primary", env: { ANTHROPIC_BASE_URL: `http://127.0.0.1:${port}` } });
    s!.llm.script({ chunks: ["still ", "here"] });
    const { runId, live } = await s!.chat("f3", "hi");
    const events = await s!.events("run", runId);
    expect(types(events)).toEqual(["run.started", "run.model_switched", "run.completed"]);
    expect(events[1].data).toMatchObject({ from: "anthropic/claude-primary", to: BACKUP, error: { code: "provider_unreachable" } });
    expect(events[2].data).toMatchObject({ text: "still here" });
    expect(live.at(-1)).toMatchObject({ type: "run.ended", status: "completed" });
    expect(s!.llm.requests.map((r) => r.protocol)).toEqual(["openai"]);
  });

  test("timeout: no first byte within the provider's timeout moves the run on", async () => {
    await start({
      model: "openai/slow",
      // The real SDK against the scripted server, with a short headers timeout for the slow model.
      resolve: (env) => (id) =>
        id === "openai/slow"
          ? {
              ...resolveModel(id, env, {}),
              provider: createOpenAiProvider({ apiKey: "sk-test", baseURL: env.OPENAI_BASE_URL, timeoutMs: 300 }),
            }
          : resolveModel(id, env, {}),
    });
    s!.llm.script({ firstByteDelayMs: 2000, chunks: ["late"] }, { chunks: ["on ", "time"] });
    const { runId } = await s!.chat("f4", "hi");
    const events = await s!.events("run", runId);
    expect(types(events)).toEqual(["run.started", "run.model_switched", "run.completed"]);
    expect(events[1].data).toMatchObject({
      from: "openai/slow",
      to: BACKUP,
      error: { code: expect.stringMatching(/^(provider_unreachable|timeout)$/) },
    });
    expect((events[1].data as { error: { message: string } }).error.message).toMatch(/timed out/);
    expect(events[2].data).toMatchObject({ text: "on time" });
  });

  test("401 fails at once: no cascade to the fallback", async () => {
    await start();
    s!.llm.script({ error: { status: 401 } }, { chunks: ["never"] });
    const { runId, live } = await s!.chat("f5", "hi");
    const events = await s!.events("run", runId);
    expect(types(events)).toEqual(["run.started", "run.failed"]);
    expect(events[1].data).toMatchObject({ error: { code: "provider_auth" }, partialText: "" });
    expect(models()).toEqual(["primary"]);
    expect(live.some((m) => m.type === "run.model_switched")).toBe(false);
    expect(live.at(-1)).toMatchObject({ type: "run.ended", status: "failed", error: { code: "provider_auth" } });
  });

  test("a non-retryable error on the fallback ends the run with that error", async () => {
    await start();
    s!.llm.script({ error: { status: 429 } }, { error: { status: 400, message: "bad things" } });
    const { runId } = await s!.chat("f6", "hi");
    const events = await s!.events("run", runId);
    expect(types(events)).toEqual(["run.started", "run.model_switched", "run.failed"]);
    expect(events[2].data).toMatchObject({ error: { code: "provider_error" } });
    expect(models()).toEqual(["primary", "backup"]);
  });

  test.each([
    ["the connection drops", { chunks: ["partial ", "text ", "rest"], disconnectAfterChunks: 2 }],
    ["the provider reports overload mid-reply", { chunks: ["partial ", "text ", "rest"], streamError: { afterChunks: 2 } }],
  ])("a stream cut after deltas (%s) does not switch: the partial reply is kept and marked", async (_name, script) => {
    await start();
    s!.llm.script(script, { chunks: ["never"] });
    const { runId, live } = await s!.chat("f7", "hi");
    const events = await s!.events("run", runId);
    expect(types(events)).toEqual(["run.started", "run.failed"]);
    expect(events[1].data).toMatchObject({ error: { code: "provider_stream_cut" }, partialText: "partial text " });
    expect(models()).toEqual(["primary"]);
    expect(live.some((m) => m.type === "run.model_switched")).toBe(false);
    await s!.projector.waitFor(await s!.log.lastSeq());
    expect(s!.q.history("f7").messages.at(-1)).toMatchObject({
      text: "partial text ",
      status: "failed",
      error: { code: "provider_stream_cut" },
    });
  });
});

describe("cooldowns", () => {
  test("the next run skips a cooling model without a request to it, and says so", async () => {
    await start();
    s!.llm.script({ error: { status: 429 } }, { chunks: ["one"] }, { chunks: ["two"] });
    const first = await s!.chat("c1", "first");
    const until = ((await s!.events("run", first.runId))[1].data as { cooldownUntil: number }).cooldownUntil;
    expect(until).toBe(s!.clock.t + 30_000);

    s!.clock.t += 10_000;
    const second = await s!.chat("c1", "second");
    expect(models()).toEqual(["primary", "backup", "backup"]);
    const events = await s!.events("run", second.runId);
    expect(types(events)).toEqual(["run.started", "run.model_switched", "run.completed"]);
    expect(events[1].data).toMatchObject({
      from: PRIMARY,
      to: BACKUP,
      cooldownUntil: until,
      error: { code: "provider_rate_limited", details: { coolingDown: true } },
    });
    expect(second.live.find((m) => m.type === "run.model_switched")).toMatchObject({ from: PRIMARY, to: BACKUP });
  });

  test("after the cooldown the primary is tried again; consecutive failures back off exponentially", async () => {
    await start();
    s!.llm.script({ error: { status: 500 } }, { chunks: ["a"] }, { error: { status: 500 } }, { chunks: ["b"] }, { chunks: ["c"] });
    const t0 = s!.clock.t;
    const r1 = await s!.chat("c2", "one");
    expect((await s!.events("run", r1.runId))[1].data).toMatchObject({ cooldownUntil: t0 + 30_000 });

    s!.clock.t = t0 + 31_000;
    const r2 = await s!.chat("c2", "two");
    // Tried again, failed again: the second cooldown is twice the first.
    expect((await s!.events("run", r2.runId))[1].data).toMatchObject({ from: PRIMARY, cooldownUntil: s!.clock.t + 60_000 });

    s!.clock.t += 61_000;
    const r3 = await s!.chat("c2", "three");
    expect(types(await s!.events("run", r3.runId))).toEqual(["run.started", "run.completed"]);
    expect(models()).toEqual(["primary", "backup", "primary", "backup", "primary"]);
  });

  test("a restart during a cooldown still skips the cooling model (rebuilt from the log)", async () => {
    await start();
    s!.llm.script({ error: { status: 429 } }, { chunks: ["one"] }, { chunks: ["two"] });
    await s!.chat("c3", "first");
    await s!.restart();
    s!.clock.t += 5_000;
    const second = await s!.chat("c3", "second");
    expect(models()).toEqual(["primary", "backup", "backup"]);
    expect(types(await s!.events("run", second.runId))).toEqual(["run.started", "run.model_switched", "run.completed"]);
  });

  test("every model failing ends the run with the last error and what was tried; then all are skipped, across a restart", async () => {
    await start();
    s!.llm.script({ error: { status: 429 } }, { error: { status: 503 } });
    const first = await s!.chat("c4", "first");
    const events = await s!.events("run", first.runId);
    expect(types(events)).toEqual(["run.started", "run.model_switched", "run.failed"]);
    const failed = events[2].data as { error: { code: string; message: string; details: { tried: unknown[] } } };
    expect(failed.error.code).toBe("provider_overloaded");
    expect(failed.error.message).toContain(PRIMARY);
    expect(failed.error.message).toContain(BACKUP);
    expect(failed.error.details.tried).toHaveLength(2);
    expect(first.live.at(-1)).toMatchObject({ type: "run.ended", status: "failed", error: { code: "provider_overloaded" } });

    // Both cooling: the next message fails at once, without a request.
    const second = await s!.chat("c4", "second");
    expect(types(await s!.events("run", second.runId))).toEqual(["run.started", "run.failed"]);
    expect(second.live.at(-1)).toMatchObject({ status: "failed", error: { message: expect.stringMatching(/cooling down/) } });
    await s!.restart();
    const third = await s!.chat("c4", "third");
    expect(types(await s!.events("run", third.runId))).toEqual(["run.started", "run.failed"]);
    expect(models()).toEqual(["primary", "backup"]);

    // Once the cooldowns are over, the chain is tried again from the start.
    s!.clock.t += 31_000;
    s!.llm.script({ chunks: ["back"] });
    const fourth = await s!.chat("c4", "fourth");
    expect(fourth.live.at(-1)).toMatchObject({ type: "run.ended", status: "completed" });
    expect(models()).toEqual(["primary", "backup", "primary"]);
  });

  test("a lone model (no fallback) is always tried: cooldowns only choose among alternatives", async () => {
    await start({ fallback: [] });
    s!.llm.script({ error: { status: 429, headers: { "retry-after": "60" } } }, { chunks: ["fine"] });
    const first = await s!.chat("c5", "first");
    const events = await s!.events("run", first.runId);
    expect(types(events)).toEqual(["run.started", "run.failed"]);
    // The provider's own error, unchanged.
    expect(events[1].data).toMatchObject({ error: { code: "provider_rate_limited", details: { retryAfterSeconds: 60 } } });
    const second = await s!.chat("c5", "second");
    expect(second.live.at(-1)).toMatchObject({ status: "completed" });
    expect(models()).toEqual(["primary", "primary"]);
  });
});
