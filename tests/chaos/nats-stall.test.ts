/**
 * A frozen nats-server (SIGSTOP: a VM pause, a disk stall on the JetStream store, a partitioned
 * external server) while the run's final event is being appended. The server stores that event
 * only after the gateway's publish timed out, so the gateway never gets the ack: a *lost ack*, the
 * case the event ids (`Nats-Msg-Id`) exist for. Once the server is back, the run's end must still
 * reach the session (DESIGN §1.3 "effects after facts": the fact is in the log, so its effect —
 * recording the end on the session and announcing it — must happen), and the session must take
 * the next message.
 *
 * Timeline: the publish of `run.completed` times out after 10 s (EventLog.append), the dispatch is
 * retried 250 ms later (withRetry) and its reads wait on the frozen server (5 s JetStream API
 * timeout). SIGCONT at ~11.5 s lands between the two, with a second of margin on each side.
 */
import { afterEach, describe, expect, it } from "vitest";
import {
  chatUntilStreaming,
  cleanupAll,
  expectSaneLog,
  readEvents,
  readNatsPid,
  sleep,
  startGateway,
  startLlm,
  trackPid,
  turnEvents,
  waitUntil,
  type LoggedEvent,
} from "./chaos.helpers.ts";

let frozen: number | undefined;
afterEach(async () => {
  if (frozen !== undefined) {
    try {
      process.kill(frozen, "SIGCONT");
    } catch {
      // gone
    }
    frozen = undefined;
  }
  await cleanupAll();
}, 40_000);

describe("chaos: nats-server frozen while the run's end is appended (lost ack)", () => {
  it("still records the run's end on the session, and the session takes the next message", async () => {
    const llm = await startLlm();
    const gw = await startGateway(llm);
    const session = "stall";
    const question = "answer through the stall";
    const chunks = Array.from({ length: 10 }, (_, i) => `c${i} `);
    llm.script({ chunks, chunkDelayMs: 50 });
    const modelCall = llm.nextRequest();
    await chatUntilStreaming(gw, session, question, 3);
    const req = await modelCall;

    const natsPid = readNatsPid(gw.dataDir)!;
    trackPid(natsPid);
    process.kill(natsPid, "SIGSTOP");
    frozen = natsPid;
    // The provider finishes; the gateway publishes run.completed into the frozen server.
    await waitUntil("the scripted reply to finish", () => req.endedAt !== null, 5_000, 5);
    await sleep(11_500);
    process.kill(natsPid, "SIGCONT");
    frozen = undefined;

    // The server now stores run.completed (its ack goes nowhere) and answers the retried dispatch.
    const completed = await waitUntil(
      "run.completed in the log",
      async () => {
        const evs = await readEvents(gw).catch(() => undefined);
        return evs?.some((e) => e.type === "run.completed") ? evs : undefined;
      },
      15_000,
      250,
    );
    expect(turnEvents(completed, session, question).run.map((e) => e.type)).toEqual(["run.started", "run.completed"]);

    // The run's end must reach the session. (Bug: it never does — see the report.)
    let events: LoggedEvent[] = completed;
    const deadline = Date.now() + 15_000;
    while (Date.now() < deadline && !events.some((e) => e.type === "session.run_ended")) {
      await sleep(500);
      events = await readEvents(gw);
    }
    expectSaneLog(events);
    const turn = turnEvents(events, session, question);
    expect(turn.run.map((e) => e.type)).toEqual(["run.started", "run.completed"]);
    expect(turn.run[1].data.text).toBe(chunks.join(""));
    expect(
      turn.ended.map((e) => e.data.status),
      `session.run_ended missing: the session is stuck 'running' with a completed run; log: ${events.map((e) => e.type).join(", ")}`,
    ).toEqual(["completed"]);

    const next = await gw.cli(["chat", "--session", session, "still there?"], { timeoutMs: 30_000 });
    expect({ code: next.code, stderr: next.stderr }).toEqual({ code: 0, stderr: "" });
    expect(llm.requests).toHaveLength(2);
  }, 90_000);
});
