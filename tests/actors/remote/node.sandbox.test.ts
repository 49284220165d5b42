import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { encodeJson, subjects } from "../../../bus/index.ts";
import { remoteExec, type RemoteExec } from "../../../actors/remote/index.ts";
import type { ExecRequest } from "../../../actors/sandbox/index.ts";
import { CairnError } from "../../../schemas/index.ts";
import { startTestNats, type TestNats } from "../../fixtures/nats.ts";
import { startFakeNode } from "./fake.node.ts";

let nats: TestNats;
let gw: NatsConnection;
let remote: RemoteExec;
let dir: string;
beforeAll(async () => {
  nats = await startTestNats();
  gw = await nats.connect("gateway");
  // Fast pings so a vanished node is noticed in well under a second.
  remote = remoteExec(gw, {
    pingIntervalMs: 200,
    missedPings: 2,
    cancelGraceMs: 2000,
    hostEnv: { TERM: "xterm", LANG: "C.UTF-8", SECRET_TOKEN: "x", LC_ALL: "C" },
  });
  dir = mkdtempSync(join(tmpdir(), "cairn-node-"));
});
afterAll(async () => {
  remote.stop();
  await nats.stop();
  rmSync(dir, { recursive: true, force: true });
});

const req = (command: string, over: Partial<ExecRequest> = {}): ExecRequest => ({
  command,
  timeoutMs: 30_000,
  maxOutputBytes: 12 * 1024,
  ...over,
});
const failure = async (p: Promise<unknown>): Promise<CairnError> => {
  try {
    await p;
  } catch (e) {
    if (e instanceof CairnError) return e;
    throw e;
  }
  throw new Error("expected a failure");
};

describe("NodeSandbox: a command on a node over NATS", () => {
  test("accepted, output streams live, the done result comes back with exit code; only TERM, LANG and LC_* are forwarded", async () => {
    const node = await startFakeNode(nats, "nA", dir);
    const chunks: string[] = [];
    const r = await remote.sandboxFor({ id: "nA", name: "Build Server" }).exec(
      req("pwd; echo out-1; echo err-1 >&2; env | sort; exit 3", {
        env: { LC_TIME: "C", PATH: "/evil" },
        onOutput: (_s, c) => chunks.push(c),
      }),
    );
    expect(r.exitCode).toBe(3);
    expect(r.stdout).toContain(`${dir}\nout-1\n`);
    expect(r.stderr).toBe("err-1\n");
    expect(chunks.join("")).toContain("out-1");
    expect(chunks.join("")).toContain("err-1");
    const sent = node.requests[0];
    expect(sent.env).toEqual({ TERM: "xterm", LANG: "C.UTF-8", LC_ALL: "C", LC_TIME: "C" });
    expect(r.droppedEnv.join(" ")).toContain("PATH");
    expect(r.aborted).toBe(false);
    await node.vanish();
  });

  test("a done sent three times (a retrying node) gives one result, and every copy is acknowledged", async () => {
    const node = await startFakeNode(nats, "nB", dir);
    node.doneCopies = 3;
    const r = await remote.sandboxFor({ id: "nB", name: "B" }).exec(req("echo once"));
    expect(r.stdout).toBe("once\n");
    // Give the copies time to arrive: each is acknowledged (so the node stops retrying), none is a second result.
    for (let i = 0; i < 100 && node.acks.length < 3; i++) await new Promise((res) => setTimeout(res, 20));
    expect(node.acks).toHaveLength(3);
    for (const a of node.acks) expect(a).toMatchObject({ ok: true });
    await node.vanish();
  });

  test("a node that is not connected: node_offline at once, saying so", async () => {
    const e = await failure(remote.sandboxFor({ id: "nowhere", name: "Laptop" }).exec(req("true")));
    expect(e.code).toBe("node_offline");
    expect(e.message).toBe("node Laptop (nowhere) is offline; choose another node or Local");
  });

  test("a node that vanishes mid-command: node_offline within a few seconds, with the output so far, never re-sent", async () => {
    const node = await startFakeNode(nats, "nC", dir);
    const exec = remote.sandboxFor({ id: "nC", name: "C" }).exec(req("echo started; sleep 30", { onOutput: () => void node.vanish() }));
    // Bounded by the test's own timeout: pings every 200 ms notice the missing node.
    const e = await failure(exec);
    expect(e.code).toBe("node_offline");
    expect(e.message).toContain("node C (nC) went offline during the command; it was not re-run");
    expect(e.message).toContain("started");
    expect(node.requests).toHaveLength(1);
  });

  test("a node that stays connected but stops answering pings is declared gone after the missed pings", async () => {
    const node = await startFakeNode(nats, "nD", dir);
    node.answerPings = false;
    const e = await failure(remote.sandboxFor({ id: "nD", name: "D" }).exec(req("sleep 30")));
    expect(e.code).toBe("node_offline");
    await node.vanish();
  });

  test("abort sends in.cancel; the node's done for the killed process ends the call as aborted", async () => {
    const node = await startFakeNode(nats, "nE", dir);
    const ac = new AbortController();
    const exec = remote
      .sandboxFor({ id: "nE", name: "E" })
      .exec(req("echo go; sleep 30", { signal: ac.signal, onOutput: () => ac.abort() }));
    const r = await exec;
    expect(r.aborted).toBe(true);
    expect(node.cancels).toEqual([node.requests[0].execId]);
    // The node's own report of the killed process (giving up on a silent node knows no signal).
    expect(r.signal).toBe("SIGTERM");
    expect(r.stdout).toBe("go\n");
    await node.vanish();
  });

  test("output is capped at maxOutputBytes on the gateway side too, and marked truncated", async () => {
    const node = await startFakeNode(nats, "nF", dir);
    // A node that ignores the cap (sends everything): the gateway still keeps only maxOutputBytes.
    node.ignoreCap = true;
    const r = await remote.sandboxFor({ id: "nF", name: "F" }).exec(req("head -c 5000 /dev/zero | tr '\\0' a", { maxOutputBytes: 1000 }));
    expect(r.stdout.length).toBe(1000);
    expect(r.truncated).toBe(true);
    await node.vanish();
  });

  test("a refusal from the node is a clear error, and a malformed done is not taken as the result", async () => {
    const node = await startFakeNode(nats, "nG", dir);
    node.refuse = (r) => (r.cwd === "../out" ? "cwd must stay inside the working directory" : undefined);
    const e = await failure(remote.sandboxFor({ id: "nG", name: "G" }).exec(req("ls", { cwd: "../out" })));
    expect(e.code).toBe("bad_request");
    expect(e.message).toBe("node G (nG) refused the command: cwd must stay inside the working directory");
    // A forged, malformed done on the right subject is dropped (no ack, no result).
    const r = await node.nc
      .request(subjects.nodeExecDone("nG", "whatever"), encodeJson({ exitCode: "zero" }), { timeout: 500 })
      .catch((x: Error) => x);
    expect(r).toBeInstanceOf(Error);
    await node.vanish();
  });
});
