/**
 * The heartbeat, the agent's `cron` tool and a job's own approval mode, on real parts: a real
 * nats-server and log, the projector and its cron queries, the scripted LLM server, real
 * bubblewrap for `exec`, and a scheduler clock moved by hand.
 */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { cronTool, heartbeatSettings, syncHeartbeat, type CronSettings } from "../../../actors/cron/index.ts";
import { startActorSystem, type ActorSystem } from "../../../actors/index.ts";
import { request, SnapshotStore, subjects } from "../../../bus/index.ts";
import { cronQueries, serveCronQueries } from "../../../projections/index.ts";
import type { AnyStoredEvent } from "../../../schemas/index.ts";
import { approvalIdFor } from "../../../actors/approval/index.ts";
import { aggregateEvents, chatUntilEnded, startStack, type Stack } from "../../fixtures/stack.ts";
import { ManualClock } from "./manual.clock.ts";

const T = (iso: string) => Date.parse(iso);
const MIN = 60_000;
const count = (evs: AnyStoredEvent[], type: string) => evs.filter((e) => e.type === type).length;
const exec = (id: string) => ({ id, name: "exec", arguments: JSON.stringify({ command: "ls" }) });

async function waitFor<T>(what: string, f: () => Promise<T | undefined>): Promise<T> {
  for (let i = 0; i < 400; i++) {
    const v = await f();
    if (v !== undefined) return v;
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe("heartbeat, cron tool and per-job approvals", () => {
  let s: Stack;
  let clock: ManualClock;
  let sys: ActorSystem;
  let root: string;
  const settings: CronSettings = { rateLimitMax: 2, rateLimitWindowMs: 60_000, sandbox: null, approvalMode: null };
  const subs: { unsubscribe(): void }[] = [];
  // Either the gate asks (an approval is requested) or the call starts: which came first is the answer.
  const gateDecision = (runId: string, callId: string) =>
    waitFor(`the gate's decision`, async () => {
      const asked = await aggregateEvents(s.log, "approval", approvalIdFor(runId, callId));
      if (asked.length > 0) return "asked";
      const evs = await aggregateEvents(s.log, "run", runId);
      return evs.some((e) => e.type === "run.tool_started") ? "ran" : undefined;
    });
  const startedRun = (job: string) =>
    waitFor(`the ${job} run`, async () => {
      const started = (await aggregateEvents(s.log, "cron", job)).find((e) => e.type === "cron.run.started");
      return (started?.data as { runId: string } | undefined)?.runId;
    });
  beforeAll(async () => {
    s = await startStack();
    await s.actors.stop();
    subs.push(
      ...serveCronQueries(
        s.nc,
        cronQueries(() => s.projector.db),
        () => s.projector.checkpoint,
      ),
    );
    root = mkdtempSync(join(tmpdir(), "cairn-cron-agent-"));
    // Thursday 2027-01-14, 21:45 in Berlin.
    clock = new ManualClock(T("2027-01-14T20:45:00Z"));
    sys = startActorSystem({
      nc: s.nc,
      log: s.log,
      snapshots: await SnapshotStore.open(s.nc),
      model: { defaultModel: "openai/test-model", env: { OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: s.llm.openaiBaseUrl }, config: {} },
      agent: { workspaceRoot: root, exec: { sandbox: "bubblewrap" } },
      cron: { clock, graceMs: 5_000, settings },
    });
  }, 60_000);
  afterAll(async () => {
    for (const sub of subs) sub.unsubscribe();
    await sys?.stop();
    await s?.stop();
    rmSync(root, { recursive: true, force: true });
  });

  it("[heartbeat] becomes cairn's own job: synced once, beats only within active hours, refuses edits that are not cairn's", async () => {
    const lines: string[] = [];
    const hb = heartbeatSettings({ every: "30m", active_hours: { start: "08:00", end: "22:00", timezone: "Europe/Berlin" } });
    expect(await syncHeartbeat(sys.dispatch, hb, (l) => lines.push(l))).toMatchObject({ changed: true, created: true });
    // Every gateway syncs at start: the same settings again append nothing.
    expect(await syncHeartbeat(sys.dispatch, hb, (l) => lines.push(l))).toMatchObject({ changed: false });
    let evs = await aggregateEvents(s.log, "cron", "heartbeat");
    expect(evs.map((e) => e.type)).toEqual(["cron.job.created"]);
    expect(evs[0].data).toMatchObject({ system: true, catchUp: "skip", nextAt: T("2027-01-15T07:15:00Z") });

    // 22:15 is outside the window: nothing fires in the night.
    clock.set(T("2027-01-15T03:00:00Z"));
    await new Promise((r) => setTimeout(r, 200));
    expect(count(await aggregateEvents(s.log, "cron", "heartbeat"), "cron.slot.claimed")).toBe(0);
    // 08:15 Berlin: the first beat runs, and the run is recorded like any job's.
    s.llm.script({ chunks: ["HEARTBEAT_OK"] });
    clock.set(T("2027-01-15T07:15:00Z"));
    evs = await waitFor("the first beat", async () => {
      const e = await aggregateEvents(s.log, "cron", "heartbeat");
      return count(e, "cron.run.completed") === 1 ? e : undefined;
    });
    expect(evs.find((e) => e.type === "cron.slot.claimed")?.data).toMatchObject({
      slot: T("2027-01-15T07:15:00Z"),
      sessionKey: "cron-heartbeat",
    });

    await expect(sys.dispatch("cron", "heartbeat", "update", { prompt: "something else" })).rejects.toMatchObject({ code: "forbidden" });
    await expect(sys.dispatch("cron", "heartbeat", "remove", {})).rejects.toMatchObject({ code: "forbidden" });
    // Changed in cairn.toml: one update; gone from it: removed.
    expect(await syncHeartbeat(sys.dispatch, { ...(hb as NonNullable<typeof hb>), prompt: "beat" }, () => {})).toMatchObject({
      changed: true,
      updated: ["prompt"],
    });
    expect(await syncHeartbeat(sys.dispatch, null, () => {})).toMatchObject({ removed: true });
    evs = await aggregateEvents(s.log, "cron", "heartbeat");
    expect(evs.slice(-2).map((e) => e.type)).toEqual(["cron.job.updated", "cron.job.removed"]);
    // A person's job of that name is never taken over.
    await sys.dispatch("cron", "heartbeat", "create", { schedule: { kind: "every", everyMs: 60 * MIN }, prompt: "mine" });
    expect(await syncHeartbeat(sys.dispatch, hb, (l) => lines.push(l))).toBeUndefined();
    expect(lines.at(-1)).toMatch(/heartbeat: not set up: .*a person made/);
  });

  it("the cron tool: adds, lists, updates and removes only its own session's jobs; over the rate limit it gets cron_rate_limited", async () => {
    const tool = cronTool({
      dispatch: sys.dispatch,
      list: async () => cronQueries(() => s.projector.db).jobs(),
      settings,
      defaultApprovalMode: async () => "smart",
    });
    const ctx = (sessionKey: string) => ({ workspace: root, signal: new AbortController().signal, sessionKey });
    const out = await tool.run({ action: "add", name: "standup", every: "1h", prompt: "summarize the day" }, ctx("agent-a"));
    expect(out.output).toMatch(/cron job standup added; next run .*session cron-standup/);
    const created = (await aggregateEvents(s.log, "cron", "standup"))[0];
    expect(created.data).toMatchObject({ owner: "agent-a", system: false });

    await s.settled();
    expect((await tool.run({ action: "list" }, ctx("agent-a"))).output).toMatch(/^- standup: every 3600s, enabled/);
    expect((await tool.run({ action: "list" }, ctx("agent-b"))).output).toBe("this session has made no cron jobs");
    // Another session's agent cannot touch it, nor can any agent touch a person's job.
    await expect(tool.run({ action: "remove", name: "standup" }, ctx("agent-b"))).rejects.toMatchObject({ code: "forbidden" });
    await expect(tool.run({ action: "remove", name: "tick" }, ctx("agent-a"))).rejects.toMatchObject({ code: "cron_job_not_found" });
    await sys.dispatch("cron", "persons", "create", { schedule: { kind: "every", everyMs: 60 * MIN }, prompt: "a person's" });
    // A job may only ask more often than configured.
    await expect(tool.run({ action: "update", name: "standup", approval_mode: "always" }, ctx("agent-a"))).resolves.toMatchObject({
      output: expect.stringMatching(/standup updated/),
    });
    // That was the second change in the window (max 2): the third is refused and nothing is written.
    const before = (await aggregateEvents(s.log, "cron", "persons")).length;
    await expect(tool.run({ action: "update", name: "persons", prompt: "mine now" }, ctx("agent-a"))).rejects.toMatchObject({
      code: "cron_rate_limited",
    });
    expect((await aggregateEvents(s.log, "cron", "persons")).length).toBe(before);
    expect((await aggregateEvents(s.log, "cron", "standup")).map((e) => e.type)).toEqual(["cron.job.created", "cron.job.updated"]);
    // Removing is never limited, and the owner may.
    expect((await tool.run({ action: "remove", name: "standup" }, ctx("agent-a"))).output).toBe("removed cron job standup");
  });

  it("the tool refuses a looser approval mode than configured", async () => {
    const strict = cronTool({
      dispatch: sys.dispatch,
      list: async () => [],
      settings: { ...settings, rateLimitMax: 100 },
      defaultApprovalMode: async () => "always",
    });
    await expect(
      strict.run(
        { action: "add", name: "lax", every: "1h", prompt: "x", approval_mode: "smart" },
        {
          workspace: root,
          signal: new AbortController().signal,
          sessionKey: "agent-a",
        },
      ),
    ).rejects.toMatchObject({ code: "forbidden" });
    expect(await aggregateEvents(s.log, "cron", "lax")).toEqual([]);
  });

  it("a job's approval mode governs its runs: with 'always' even ls waits for a person; the same call in chat runs directly", async () => {
    await sys.dispatch("cron", "careful", "create", {
      schedule: { kind: "every", everyMs: 60 * MIN },
      prompt: "look around",
      approvalMode: "always",
    });
    // Only this job may fire now: the scripted model answers runs in the order they ask.
    for (const other of ["heartbeat", "persons"]) await sys.dispatch("cron", other, "disable", {});
    s.llm.reset();
    s.llm.script({ toolCalls: [exec("call_c")] }, { chunks: ["done"] });
    clock.advance(60 * MIN);
    const runId = await startedRun("careful");
    expect(await gateDecision(runId, "call_c")).toBe("asked");
    await sys.cancel("cron-careful", { runId });

    // The same call in an ordinary chat under the configured "smart": ls runs without asking.
    s.llm.reset();
    s.llm.script({ toolCalls: [exec("call_d")] }, { chunks: ["done"] });
    const { runId: chatRun } = await chatUntilEnded(s.nc, "plain-chat", "look around");
    const evs = await aggregateEvents(s.log, "run", chatRun);
    expect(evs.some((e) => e.type === "run.tool_started")).toBe(true);
    expect(await aggregateEvents(s.log, "approval", approvalIdFor(chatRun, "call_d"))).toEqual([]);
  });

  it("a job without its own approval mode asks as Settings say at run time; the cron tool's floor follows Settings too", async () => {
    // cairn.toml says "smart" (the default); Settings, changed while the gateway runs, says "always".
    await sys.dispatch("settings", "global", "set", { key: "tools.exec.approval_mode", value: "always", by: "test" });
    await sys.dispatch("cron", "careful", "disable", {});
    await sys.dispatch("cron", "plain", "create", { schedule: { kind: "every", everyMs: 60 * MIN }, prompt: "look around" });
    s.llm.reset();
    s.llm.script({ toolCalls: [exec("call_p")] }, { chunks: ["done"] });
    clock.advance(60 * MIN);
    const runId = await startedRun("plain");
    expect(await gateDecision(runId, "call_p")).toBe("asked");
    await sys.cancel("cron-plain", { runId });
    await sys.dispatch("cron", "plain", "disable", {});

    // The agent's own cron tool may not make a job that asks less than Settings' "always".
    const add = { action: "add", name: "lax-by-settings", every: "1h", prompt: "x", approval_mode: "smart" };
    s.llm.reset();
    s.llm.script({ toolCalls: [{ id: "call_t", name: "cron", arguments: JSON.stringify(add) }] }, { chunks: ["ok"] });
    const { runId: chatRun } = await chatUntilEnded(s.nc, "tool-chat", "schedule it", {
      onLive: (m) => {
        if (m.type === "run.approval" && m.status === "pending")
          void request(s.nc, subjects.command("approval", m.approvalId, "approve"), { by: "test" });
      },
    });
    const finished = (await aggregateEvents(s.log, "run", chatRun)).find((e) => e.type === "run.tool_finished");
    expect(finished?.data).toMatchObject({ isError: true, output: expect.stringMatching(/looser than the configured always/) });
    expect(await aggregateEvents(s.log, "cron", "lax-by-settings")).toEqual([]);
    await sys.dispatch("settings", "global", "set", { key: "tools.exec.approval_mode", value: null, by: "test" });
  });
});
