/**
 * SIGTERM while a reply streams: the gateway shuts down in order within a few seconds — the model
 * call is cut and the run recorded as interrupted (with its partial text) before the bus goes
 * down, the nats-server child is stopped, and the lock, runtime and pid files are removed. The
 * next start has nothing left to recover.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  chatUntilStreaming,
  cleanupAll,
  existing,
  exitOf,
  expectSaneLog,
  isAlive,
  natsServersFor,
  readEvents,
  readNatsPid,
  runtimeFiles,
  startGateway,
  startLlm,
  trackPid,
  turnEvents,
  waitUntil,
  wsHistory,
} from "./chaos.helpers.ts";

afterEach(cleanupAll, 40_000);

describe("chaos: SIGTERM of the gateway mid-stream", () => {
  it("stops cleanly with exit 0, records the run as interrupted, and leaves no process or runtime file", async () => {
    const llm = await startLlm();
    const gw = await startGateway(llm);
    const session = "term";
    const question = "keep talking";
    const files = runtimeFiles(gw.dataDir);
    expect(existing(files).sort()).toEqual(["lock", "natsPid", "runtime"]);
    const natsPid = readNatsPid(gw.dataDir)!;
    trackPid(natsPid);

    llm.script({ hang: { chunkIntervalMs: 20 } });
    const modelCall = llm.nextRequest();
    const chat = await chatUntilStreaming(gw, session, question, 30);
    const req = await modelCall;

    const t0 = Date.now();
    const code = await Promise.race([gw.kill("SIGTERM"), new Promise<"timeout">((r) => setTimeout(() => r("timeout"), 10_000))]);
    const tookMs = Date.now() - t0;
    expect({ code, output: code === 0 ? "" : gw.output() }).toEqual({ code: 0, output: "" });
    expect(tookMs).toBeLessThan(5_000);
    expect(gw.output()).toMatch(/SIGTERM: stopping…\s+stopped/);

    // The model call was cut, the server and every runtime file are gone.
    expect(req.clientClosed).toBe(true);
    await waitUntil("the nats-server child to be gone", () => !isAlive(natsPid), 2_000);
    expect(natsServersFor(gw.dataDir)).toEqual([]);
    expect(existing(files)).toEqual([]);

    // The CLI was told the run was interrupted (announced before the bus went down).
    const chatExit = await exitOf(chat, 15_000);
    expect(chatExit).toBe(1);
    expect(chat.stderr()).toMatch(/interrupted|stopped/i);

    // On the next start, the log already says what happened: nothing for recovery to do.
    await gw.restart();
    expect(gw.output()).not.toMatch(/recovered/);
    const events = await readEvents(gw);
    expectSaneLog(events);
    const { runId, run, ended } = turnEvents(events, session, question);
    expect(run.map((e) => e.type)).toEqual(["run.started", "run.interrupted"]);
    const partial: string = run[1].data.partialText;
    expect(partial).toMatch(/^(tick )+$/);
    // Everything the user saw was kept (the CLI prints deltas as they come).
    expect(partial.startsWith(chat.stdout().replace(/\n$/, ""))).toBe(true);
    expect(ended).toHaveLength(1);
    // The partial text is stored once, in the run's end event above; the session records the end.
    expect(ended[0].data).toMatchObject({ runId, status: "interrupted" });
    expect(ended[0].data).not.toHaveProperty("text");
    expect(llm.requests).toHaveLength(1);

    const history = await wsHistory(gw, session);
    expect(history.activeRun).toBeNull();
    expect(history.messages.map((m) => `${m.role}:${m.status}`)).toEqual(["user:complete", "assistant:interrupted"]);
    expect(history.messages[1].text).toBe(partial);

    const next = await gw.cli(["chat", "--session", session, "hello again"], { timeoutMs: 30_000 });
    expect(next.code).toBe(0);
    expect(llm.requests).toHaveLength(2);
  }, 90_000);
});
