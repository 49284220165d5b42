/**
 * SIGKILL of the embedded nats-server, idle and while a reply streams (DESIGN §3: the gateway
 * supervises its server). The supervisor starts a new one on the same port and store, the
 * gateway's connection comes back by itself, the next chat works, and the log lost nothing and
 * gained no duplicates.
 */
import { afterEach, describe, expect, it } from "vitest";
import type { GatewayProc } from "../fixtures/gateway.ts";
import {
  chatUntilStreaming,
  cleanupAll,
  exitOf,
  expectSaneLog,
  isAlive,
  lastUserText,
  natsServersFor,
  readEvents,
  readNatsPid,
  startGateway,
  startLlm,
  turnEvents,
  waitUntil,
  wsHistory,
  type LoggedEvent,
} from "./chaos.helpers.ts";

afterEach(cleanupAll, 40_000);

/** SIGKILLs the data dir's nats-server and waits for the supervisor's replacement to serve. */
async function killNatsAndWaitForRestart(gw: GatewayProc): Promise<{ oldPid: number; newPid: number }> {
  const oldPid = readNatsPid(gw.dataDir)!;
  expect(oldPid).toBeGreaterThan(0);
  expect(natsServersFor(gw.dataDir)).toEqual([oldPid]);
  process.kill(oldPid, "SIGKILL");
  const newPid = await waitUntil(
    "the supervisor to restart nats-server",
    () => {
      const pid = readNatsPid(gw.dataDir);
      return pid !== undefined && pid !== oldPid && isAlive(pid) ? pid : undefined;
    },
    15_000,
  );
  expect(isAlive(oldPid)).toBe(false);
  expect(natsServersFor(gw.dataDir)).toEqual([newPid]);
  expect(gw.output()).toMatch(new RegExp(`nats-server \\(pid ${oldPid}\\) died unexpectedly`));
  // The gateway reconnects by itself: its status query answers again.
  await waitUntil(
    "the gateway to answer over the restarted bus",
    async () => (await gw.cli(["events", "tail", "--json", "-n", "1"], { timeoutMs: 10_000 })).code === 0,
    20_000,
    200,
  );
  return { oldPid, newPid };
}

const chatOk = async (gw: GatewayProc, session: string, text: string) => {
  const r = await gw.cli(["chat", "--session", session, text], { timeoutMs: 30_000 });
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  expect(r.stdout).toContain(`Echo: ${text}`);
};

const expectPrefix = (before: LoggedEvent[], after: LoggedEvent[]) => {
  expectSaneLog(after);
  expect(after.length).toBeGreaterThanOrEqual(before.length);
  expect(after.slice(0, before.length)).toEqual(before);
};

describe("chaos: SIGKILL of the embedded nats-server", () => {
  it("while idle: the supervisor restarts it, the gateway reconnects, nothing is lost or duplicated", async () => {
    const llm = await startLlm();
    const gw = await startGateway(llm);
    const session = "natsidle";
    await chatOk(gw, session, "before the crash");
    const before = await readEvents(gw);
    expectSaneLog(before);
    expect(before.length).toBeGreaterThanOrEqual(5);

    await killNatsAndWaitForRestart(gw);

    const same = await readEvents(gw);
    expectPrefix(before, same);
    expect(same).toEqual(before);

    await chatOk(gw, session, "after the crash");
    const after = await readEvents(gw);
    expectPrefix(before, after);
    const added = after.slice(before.length);
    expect(added.map((e) => e.type)).toEqual(["session.user_message", "run.started", "run.completed", "session.run_ended"]);
    const turn = turnEvents(after, session, "after the crash");
    expect(turn.ended.map((e) => e.data.status)).toEqual(["completed"]);
    expect(llm.requests.map((r) => lastUserText(r.body))).toEqual(["before the crash", "after the crash"]);

    const history = await wsHistory(gw, session);
    expect(history.messages.map((m) => `${m.role}:${m.status}:${m.text}`)).toEqual([
      "user:complete:before the crash",
      "assistant:complete:Echo: before the crash",
      "user:complete:after the crash",
      "assistant:complete:Echo: after the crash",
    ]);
  }, 90_000);

  it("while streaming: the reply in flight still completes once, and the next chat works", async () => {
    const llm = await startLlm();
    const gw = await startGateway(llm);
    const session = "natsstream";
    await chatOk(gw, session, "warm up");
    const before = await readEvents(gw);
    expectSaneLog(before);

    // ~4 s of reply: the server dies a few chunks in, comes back long before the end.
    const chunks = Array.from({ length: 100 }, (_, i) => `w${i} `);
    llm.script({ chunks, chunkDelayMs: 40 });
    const question = "stream through the outage";
    const modelCall = llm.nextRequest();
    const chat = await chatUntilStreaming(gw, session, question, 12);
    const req = await modelCall;

    await killNatsAndWaitForRestart(gw);

    // The model call never noticed: the gateway talks to the provider, not through NATS.
    await waitUntil("the scripted reply to finish", () => req.endedAt !== null, 15_000);
    expect(req.clientClosed).toBe(false);

    const runEnd = await waitUntil(
      "the run to end in the log",
      async () => {
        const evs = await readEvents(gw);
        return evs.some((e) => e.type === "session.run_ended" && e.id === session && e.seq > before.length) ? evs : undefined;
      },
      20_000,
      250,
    );
    expectPrefix(before, runEnd);
    const turn = turnEvents(runEnd, session, question);
    expect(turn.run.map((e) => e.type)).toEqual(["run.started", "run.completed"]);
    // The final text is whole even if live deltas published during the outage were lost.
    expect(turn.run[1].data.text).toBe(chunks.join(""));
    expect(turn.ended).toHaveLength(1);
    expect(turn.ended[0].data).toMatchObject({ status: "completed" });
    expect(llm.requests.filter((r) => lastUserText(r.body) === question)).toHaveLength(1);

    // The CLI client rode out the outage too (it reconnects) and saw the run end.
    const chatExit = await exitOf(chat, 15_000);
    expect({ chatExit, stderr: chat.stderr() }).toEqual({ chatExit: 0, stderr: "" });

    await chatOk(gw, session, "and afterwards");
    const after = await readEvents(gw);
    expectPrefix(runEnd, after);
    expect(after.slice(runEnd.length).map((e) => e.type)).toEqual([
      "session.user_message",
      "run.started",
      "run.completed",
      "session.run_ended",
    ]);
    expect(llm.requests).toHaveLength(3);
    const history = await wsHistory(gw, session);
    expect(history.messages.map((m) => `${m.role}:${m.status}`)).toEqual([
      "user:complete",
      "assistant:complete",
      "user:complete",
      "assistant:complete",
      "user:complete",
      "assistant:complete",
    ]);
    expect(history.messages[3].text).toBe(chunks.join(""));
  }, 90_000);
});
