/**
 * kill -9 of the gateway while a reply streams (DESIGN §1.3, §3 "a nats-server left behind by a
 * gateway that was killed is found and stopped or adopted"). After a restart on the same data dir,
 * the cut-off run is recorded once as interrupted with the text that had streamed, it is never
 * re-run, the session is usable again, and only one nats-server serves the data dir.
 */
import { afterEach, describe, expect, it } from "vitest";
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
  trackPid,
  turnEvents,
  userTexts,
  waitUntil,
  wsHistory,
} from "./chaos.helpers.ts";

afterEach(cleanupAll, 40_000);

describe("chaos: kill -9 of the gateway mid-stream", () => {
  it("records the run as interrupted exactly once, never re-runs it, and leaves one nats-server", async () => {
    const llm = await startLlm();
    const gw = await startGateway(llm);
    const session = "crash9";
    const first = "tell me a long story";

    llm.script({ hang: { chunkIntervalMs: 20 } });
    const modelCall = llm.nextRequest();
    const chat = await chatUntilStreaming(gw, session, first, 30);
    const req = await modelCall;
    const streamedBeforeKill = chat.stdout();
    const oldNats = readNatsPid(gw.dataDir);
    expect(oldNats).toBeDefined();
    trackPid(oldNats!);
    expect(natsServersFor(gw.dataDir)).toEqual([oldNats]);

    await gw.kill("SIGKILL");
    // kill -9 cannot take the child down: its nats-server (own process group) is now an orphan.
    expect(isAlive(oldNats!)).toBe(true);
    // The kernel closes the gateway's sockets: the provider sees the client go away.
    await waitUntil("the model call to be cut off", () => req.clientClosed, 5_000);

    // The CLI notices it lost the gateway (its watchdog) instead of waiting forever.
    const chatExit = await exitOf(chat, 20_000);
    expect(chatExit).toBe(1);
    expect(chat.stderr()).toMatch(/lost the gateway|not running|unavailable/i);

    await gw.restart();
    expect(gw.output()).toMatch(/recovered\s+1 interrupted run/);

    // Only one nats-server serves this data dir: the orphan was stopped (or adopted).
    const servers = natsServersFor(gw.dataDir);
    expect(servers).toHaveLength(1);
    expect(readNatsPid(gw.dataDir)).toBe(servers[0]);
    if (servers[0] !== oldNats) expect(isAlive(oldNats!)).toBe(false);

    // Recovery ran before the gateway reported ready, so the log is already repaired.
    const events = await readEvents(gw);
    expectSaneLog(events);
    const { userMessage, runId, run, ended } = turnEvents(events, session, first);
    expect(run.map((e) => e.type)).toEqual(["run.started", "run.interrupted"]);
    expect(run[0].seq).toBeGreaterThan(userMessage.seq);
    const partial: string = run[1].data.partialText;
    expect(partial.length).toBeGreaterThan(0);
    // What the user saw before the crash is kept (the stream may have carried a little more).
    expect(partial.startsWith(streamedBeforeKill)).toBe(true);
    expect(partial).toMatch(/^(tick )+$/);
    expect(ended).toHaveLength(1);
    // The partial reply is stored once, in the run's end event above; the session records the end.
    expect(ended[0].data).toMatchObject({ runId, status: "interrupted" });
    expect(ended[0].data).not.toHaveProperty("text");
    expect(ended[0].data.error?.code).toBe("run_interrupted");
    expect(ended[0].seq).toBeGreaterThan(run[1].seq);

    // The model was asked exactly once for that message: the restart did not re-run it.
    expect(llm.requests.filter((r) => lastUserText(r.body) === first)).toHaveLength(1);

    // The history shows the question, then the interrupted partial answer.
    const history = await wsHistory(gw, session);
    expect(history.activeRun).toBeNull();
    expect(history.messages.map((m) => [m.role, m.status])).toEqual([
      ["user", "complete"],
      ["assistant", "interrupted"],
    ]);
    expect(history.messages[0].text).toBe(first);
    expect(history.messages[1]).toMatchObject({ runId, text: partial });

    // The session takes the next message; the model gets the earlier question as context.
    const second = "are you still there";
    const next = await gw.cli(["chat", "--session", session, second], { timeoutMs: 30_000 });
    expect(next.stderr).toBe("");
    expect(next.code).toBe(0);
    expect(next.stdout).toContain(`Echo: ${second}`);
    const secondCall = llm.requests.filter((r) => lastUserText(r.body) === second);
    expect(secondCall).toHaveLength(1);
    expect(userTexts(secondCall[0].body)).toEqual([first, second]);
    expect(llm.requests).toHaveLength(2);

    const after = await readEvents(gw);
    expectSaneLog(after);
    expect(after.slice(0, events.length)).toEqual(events);
    const again = turnEvents(after, session, first);
    expect(again.run).toHaveLength(2);
    expect(again.ended).toHaveLength(1);
    const turn2 = turnEvents(after, session, second);
    expect(turn2.run.map((e) => e.type)).toEqual(["run.started", "run.completed"]);
    expect(turn2.ended.map((e) => e.data.status)).toEqual(["completed"]);
    expect(natsServersFor(gw.dataDir)).toHaveLength(1);
  }, 90_000);
});
