/**
 * One gateway per data dir (DESIGN §1.4 one writer per aggregate; two gateways would both write the
 * same sessions and both supervise a nats-server on one JetStream store). A second one must refuse
 * to start, say which process holds the data dir, and disturb nothing.
 */
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it } from "vitest";
import { BIN } from "../fixtures/gateway.ts";
import {
  cleanupAll,
  expectSaneLog,
  lastUserText,
  natsServersFor,
  readEvents,
  readNatsPid,
  runtimeFiles,
  sleep,
  startGateway,
  startLlm,
  trackPid,
} from "./chaos.helpers.ts";

afterEach(cleanupAll, 40_000);

describe("chaos: a second gateway on the same data dir", () => {
  it("refuses to start, names the running gateway's pid, and the first keeps working", async () => {
    const llm = await startLlm();
    const gw = await startGateway(llm);
    const firstPid = gw.child.pid!;
    const natsPid = readNatsPid(gw.dataDir);
    const runtimeBefore = readFileSync(runtimeFiles(gw.dataDir).runtime, "utf8");
    const lockBefore = readFileSync(runtimeFiles(gw.dataDir).lock, "utf8");
    expect(lockBefore.trim()).toBe(String(firstPid));
    const ok = await gw.cli(["chat", "--session", "two", "first message"], { timeoutMs: 30_000 });
    expect(ok.code).toBe(0);
    const eventsBefore = await readEvents(gw);

    // Same data dir and config (gw.env), own HTTP port.
    const second = spawn(process.execPath, [BIN, "gateway"], { env: gw.env, stdio: ["ignore", "pipe", "pipe"] });
    trackPid(second.pid!);
    let out = "";
    second.stdout!.on("data", (d) => (out += d));
    second.stderr!.on("data", (d) => (out += d));
    const code = await Promise.race([
      new Promise<number | null>((r) => second.once("exit", (c) => r(c))),
      sleep(20_000).then(() => "still running after 20 s" as const),
    ]);
    expect({ code, out }).toMatchObject({ code: expect.any(Number) });
    expect(code).not.toBe(0);
    expect(out).not.toMatch(/ready in/);
    expect(out).toContain(`pid ${firstPid}`);
    expect(out).toMatch(/already running/i);
    expect(out).toContain(gw.dataDir);
    // A message, not a stack trace.
    expect(out).not.toMatch(/^\s+at .+\(.+:\d+:\d+\)$/m);

    // Nothing of the first gateway was touched.
    expect(gw.child.exitCode).toBeNull();
    expect(natsServersFor(gw.dataDir)).toEqual([natsPid]);
    expect(readNatsPid(gw.dataDir)).toBe(natsPid);
    expect(readFileSync(runtimeFiles(gw.dataDir).runtime, "utf8")).toBe(runtimeBefore);
    expect(readFileSync(runtimeFiles(gw.dataDir).lock, "utf8")).toBe(lockBefore);

    // And it still serves.
    const again = await gw.cli(["chat", "--session", "two", "second message"], { timeoutMs: 30_000 });
    expect(again.stderr).toBe("");
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("Echo: second message");
    expect(llm.requests.map((r) => lastUserText(r.body))).toEqual(["first message", "second message"]);
    const eventsAfter = await readEvents(gw);
    expectSaneLog(eventsAfter);
    expect(eventsAfter.slice(0, eventsBefore.length)).toEqual(eventsBefore);
    expect(eventsAfter.slice(eventsBefore.length).map((e) => e.type)).toEqual([
      "session.user_message",
      "run.started",
      "run.completed",
      "session.run_ended",
    ]);
  }, 90_000);
});
