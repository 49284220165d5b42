/**
 * kill -9 of the gateway at a run's tool step (DESIGN §1.3: "a non-idempotent effect that a crash
 * interrupted is recorded as interrupted and reported; it is never silently re-run"). Real gateway
 * process, real nats-server, bubblewrap sandbox, scripted model.
 *
 * 1. A command is running in the sandbox when the gateway dies: after the restart the call is
 *    `run.tool_interrupted`, the run `run.interrupted`, the command never runs again and the
 *    model is not asked to continue that run; the session takes the next message.
 * 2. The call waits for a person's approval when the gateway dies (nothing running): after the
 *    restart the approval is still pending, and approving it runs the command exactly once and
 *    lets the run finish.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { INTERRUPTED_NOTE } from "../../actors/run/index.ts";
import type { GatewayProc } from "../fixtures/gateway.ts";
import type { LlmServer } from "../fixtures/llm-server/index.ts";
import {
  cleanupAll,
  exitOf,
  expectSaneLog,
  isAlive,
  lastUserText,
  readEvents,
  sleep,
  spawnCli,
  startGateway,
  startLlm,
  trackPid,
  turnEvents,
  userTexts,
  waitUntil,
  wsHistory,
  type LoggedEvent,
} from "./chaos.helpers.ts";

afterEach(cleanupAll, 40_000);

const startToolGateway = (llm: LlmServer, approvalMode: "always" | "never"): Promise<GatewayProc> =>
  startGateway(llm, { configToml: `[tools.exec]\napproval_mode = "${approvalMode}"\n\n[tools.exec.sandbox]\nbackend = "bubblewrap"\n` });

const execCall = (id: string, command: string) => ({ id, name: "exec", arguments: JSON.stringify({ command }) });

/** Live processes whose argv mentions `marker`, with their program name. */
function processesWith(marker: string): Array<{ pid: number; prog: string }> {
  const found: Array<{ pid: number; prog: string }> = [];
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name) || Number(name) === process.pid) continue;
    try {
      const argv = readFileSync(`/proc/${name}/cmdline`, "utf8").split("\0");
      if (argv.includes(marker) || argv.some((a) => a.includes(` ${marker}`))) {
        if (isAlive(Number(name))) found.push({ pid: Number(name), prog: argv[0].split("/").pop() ?? "" });
      }
    } catch {
      // exited while scanning
    }
  }
  return found;
}

const readText = (file: string): string | undefined => (existsSync(file) ? readFileSync(file, "utf8") : undefined);

/** Polls the log until the run of `text` has ended on its session. */
async function untilTurnEnded(gw: GatewayProc, session: string, text: string): Promise<LoggedEvent[]> {
  let events: LoggedEvent[] = [];
  await waitUntil(
    `the run of '${text}' to end`,
    async () => {
      events = await readEvents(gw);
      const msg = events.find((e) => e.type === "session.user_message" && e.id === session && e.data.text === text);
      return msg !== undefined && events.some((e) => e.type === "session.run_ended" && e.id === session && e.data.runId === msg.data.runId);
    },
    30_000,
    200,
  );
  return events;
}

describe("chaos: kill -9 of the gateway at a run's tool step", () => {
  it("a command cut off mid-run is recorded as interrupted and never runs again", async () => {
    const llm = await startLlm();
    const gw = await startToolGateway(llm, "never");
    const session = "toolk9";
    const first = "count and wait";
    // A sleep of an unusual length keeps the call running and makes every process of the command
    // (bwrap, the shell inside it, the sleep) findable in /proc by its argv.
    const marker = `30.${process.pid}${Date.now() % 1000}`;
    const command = `echo run >> counter.txt; sleep ${marker}`;
    llm.script({ toolCalls: [execCall("call_k9", command)] });

    const chat = spawnCli(gw, ["chat", "--session", session, first]);
    const counter = join(gw.dataDir, "workspaces", session, "counter.txt");
    // The command writes the counter only after `run.tool_started` was appended (effects after facts).
    await waitUntil("the command to start in the sandbox", () => readText(counter) === "run\n", 30_000);
    const sandboxed = await waitUntil("bwrap and the sleep inside it to show in /proc", () => {
      const p = processesWith(marker);
      return p.some((x) => x.prog === "bwrap") && p.some((x) => x.prog === "sleep") ? p : undefined;
    });
    for (const { pid } of sandboxed) trackPid(pid);
    expect(llm.requests).toHaveLength(1);

    await gw.kill("SIGKILL");
    // bwrap runs with --die-with-parent and the gateway is its parent: the command dies with it.
    await waitUntil("the sandboxed command to die with the gateway", () => processesWith(marker).length === 0, 5_000);
    expect(await exitOf(chat, 20_000)).toBe(1);

    await gw.restart();
    expect(gw.output()).toMatch(/recovered\s+1 interrupted run/);

    const events = await readEvents(gw);
    expectSaneLog(events);
    const { runId, run, ended } = turnEvents(events, session, first);
    expect(run.map((e) => e.type)).toEqual([
      "run.started",
      "run.tool_call_requested",
      "run.tool_started",
      "run.tool_interrupted",
      "run.interrupted",
    ]);
    expect(run[1].data).toMatchObject({ callId: "call_k9", name: "exec", arguments: JSON.stringify({ command }) });
    expect(run[2].data).toMatchObject({ callId: "call_k9" });
    expect(run[3].data).toMatchObject({ callId: "call_k9" });
    expect(run[3].data.reason).toMatch(/gateway stopped/);
    expect(ended).toHaveLength(1);
    expect(ended[0].data).toMatchObject({ runId, status: "interrupted" });

    // Never again: give a wrongly re-run command time to write its line.
    await sleep(2_000);
    expect(readText(counter)).toBe("run\n");
    expect(processesWith(marker)).toEqual([]);
    // The model was not asked to continue the cut-off run.
    expect(llm.requests).toHaveLength(1);

    const history = await wsHistory(gw, session);
    expect(history.activeRun).toBeNull();
    expect(history.messages.map((m) => [m.role, m.status])).toEqual([
      ["user", "complete"],
      ["assistant", "interrupted"],
    ]);

    // The session takes the next message.
    const second = "are you back";
    const next = await gw.cli(["chat", "--session", session, second], { timeoutMs: 30_000 });
    expect(next.stderr).toBe("");
    expect(next.code).toBe(0);
    expect(next.stdout).toContain(`Echo: ${second}`);
    expect(llm.requests).toHaveLength(2);
    const body = llm.requests[1].body;
    expect(lastUserText(body)).toBe(second);
    expect(userTexts(body)).toEqual([first, second]);
    // The next turn's model is told the earlier reply was interrupted and its tool call not completed.
    expect(body.messages.filter((m: { role: string }) => m.role === "assistant")).toEqual([
      { role: "assistant", content: INTERRUPTED_NOTE },
    ]);
    expect(llm.requests[1].toolMessages).toEqual([]);
    expect(JSON.stringify(body.messages)).not.toContain("counter.txt");

    const after = await readEvents(gw);
    expectSaneLog(after);
    expect(turnEvents(after, session, second).ended.map((e) => e.data.status)).toEqual(["completed"]);
    expect(readText(counter)).toBe("run\n");
  }, 120_000);

  it("an approval pending at the crash survives the restart; approving runs the command once and the run completes", async () => {
    const llm = await startLlm();
    const gw = await startToolGateway(llm, "always");
    const session = "approvek9";
    const first = "make a note";
    llm.script({ toolCalls: [execCall("call_ap", "echo run >> counter.txt")] }, { chunks: ["noted ", "once"] });

    const chat = spawnCli(gw, ["chat", "--session", session, first]);
    const pendingIds = async (): Promise<string[]> => {
      const r = await gw.cli(["approvals", "list", "--json"]);
      if (r.code !== 0) throw new Error(`approvals list failed (${r.code}): ${r.stderr}`);
      return r.stdout
        .split("\n")
        .filter((l) => l.trim() !== "")
        .map((l) => JSON.parse(l).id as string);
    };
    const [approvalId] = await waitUntil(
      "the approval to be pending",
      async () => {
        const ids = await pendingIds();
        return ids.length > 0 ? ids : undefined;
      },
      30_000,
      200,
    );
    const counter = join(gw.dataDir, "workspaces", session, "counter.txt");
    expect(existsSync(counter)).toBe(false);

    await gw.kill("SIGKILL");
    expect(await exitOf(chat, 20_000)).toBe(1);
    await gw.restart();

    // Still pending, same id; nothing ran and the model was not asked again.
    const listed = await gw.cli(["approvals", "list", "--json"]);
    const rows = listed.stdout
      .split("\n")
      .filter((l) => l.trim() !== "")
      .map((l) => JSON.parse(l));
    expect(rows).toEqual([
      expect.objectContaining({ id: approvalId, status: "pending", sessionKey: session, tool: "exec", command: "echo run >> counter.txt" }),
    ]);
    expect(existsSync(counter)).toBe(false);
    expect(llm.requests).toHaveLength(1);
    const before = turnEvents(await readEvents(gw), session, first);
    expect(before.run.map((e) => e.type)).toEqual(["run.started", "run.tool_call_requested"]);
    expect(before.ended).toEqual([]);

    const approved = await gw.cli(["approvals", "approve", approvalId]);
    expect(approved.code).toBe(0);
    expect(approved.stdout).toContain("granted");

    const events = await untilTurnEnded(gw, session, first);
    expectSaneLog(events);
    const { runId, run, ended } = turnEvents(events, session, first);
    expect(run.map((e) => e.type)).toEqual([
      "run.started",
      "run.tool_call_requested",
      "run.tool_started",
      "run.tool_finished",
      "run.completed",
    ]);
    expect(run[3].data).toMatchObject({ callId: "call_ap", isError: false });
    expect(run[4].data).toMatchObject({ text: "noted once" });
    expect(ended.map((e) => e.data)).toEqual([{ runId, status: "completed", messageId: expect.any(String) }]);
    expect(events.filter((e) => e.kind === "approval" && e.id === approvalId).map((e) => e.type)).toEqual([
      "approval.requested",
      "approval.granted",
    ]);

    await sleep(1_000);
    expect(readText(counter)).toBe("run\n");
    // The follow-up request carried the call and its result; its reply ended the run.
    expect(llm.requests).toHaveLength(2);
    expect(llm.requests[1].toolMessages).toEqual([
      expect.objectContaining({ role: "assistant", tool_calls: [expect.objectContaining({ id: "call_ap" })] }),
      expect.objectContaining({ role: "tool", tool_call_id: "call_ap" }),
    ]);
    expect((await gw.cli(["approvals", "list", "--json"])).stdout.trim()).toBe("");
  }, 120_000);
});
