/**
 * Two gateways on one 3-server NATS cluster (issue: many gateways). Each owns half the partitions; a command sent
 * through either reaches the owner of its session. kill -9 of the owner while it streams a reply:
 * the other gateway owns everything within a lease, records the cut-off run as interrupted exactly
 * once, and answers the user's next message. And the probe that found the bug: ten messages sent
 * alternately through both gateways all run once and none is answered `session_busy`.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { partitionOf } from "../../actors/runtime/index.ts";
import { request, subjects } from "../../bus/index.ts";
import type { StatusPayload } from "../../schemas/index.ts";
import { startGatewayProc, type GatewayProc } from "../fixtures/gateway.ts";
import { startNatsCluster, type NatsClusterFixture } from "../fixtures/nats-cluster.ts";
import {
  chatUntilStreaming,
  cleanupAll,
  exitOf,
  expectSaneLog,
  readEvents,
  sleep,
  spawnCli,
  startLlm,
  turnEvents,
  waitUntil,
} from "./chaos.helpers.ts";

let cluster: NatsClusterFixture;
let shared: string;
const gateways: GatewayProc[] = [];

beforeAll(async () => {
  cluster = await startNatsCluster({ servers: 3 });
  shared = mkdtempSync(join(tmpdir(), "cairn-shared-ws-"));
}, 60_000);
afterEach(async () => {
  for (const gw of gateways.splice(0)) await gw.dispose();
  await cleanupAll();
}, 60_000);
afterAll(async () => {
  await cluster?.stop();
  for (const d of [shared, ...configDirs]) rmSync(d, { recursive: true, force: true });
});

const configDirs: string[] = [];
/** A config dir with `toml` as its cairn.toml (both gateways of a pair share it). */
function configWith(toml: string): string {
  const dir = mkdtempSync(join(tmpdir(), "cairn-failover-config-"));
  configDirs.push(dir);
  writeFileSync(join(dir, "cairn.toml"), toml);
  return dir;
}

async function startPair(llmUrl: string, o: { toml?: string } = {}) {
  const env = {
    CAIRN_NATS_URL: cluster.urls,
    CAIRN_NATS_CREDS: cluster.creds.gateway,
    CAIRN_WORKSPACES_DIR: shared,
    ...(o.toml ? { CAIRN_CONFIG_DIR: configWith(o.toml) } : {}),
  };
  const a = await startGatewayProc({ llmBaseUrl: llmUrl, extraEnv: env });
  gateways.push(a);
  const b = await startGatewayProc({ llmBaseUrl: llmUrl, extraEnv: env });
  gateways.push(b);
  return { a, b };
}

/** How a gateway sees the partitions (any one when none is named; each lists all gateways it hears). */
async function clusterView(gatewayId?: string) {
  const nc = await cluster.connect("failover-test");
  try {
    const subject = gatewayId ? subjects.gatewayStatus(gatewayId) : subjects.query("status", "get");
    return ((await request(nc, subject, {})) as StatusPayload).cluster ?? null;
  } finally {
    await nc.close();
  }
}

/** Waits until two gateways split the 16 partitions and returns each one's gateway id and partitions. */
async function balanced() {
  return waitUntil(
    "two gateways to share the partitions",
    async () => {
      const view = await clusterView();
      const gws = view?.gateways ?? [];
      return gws.length === 2 && gws.every((g) => g.owned.length === 8) ? gws : null;
    },
    20_000,
    200,
  );
}

const gatewayIdOf = (gw: GatewayProc) => readFileSync(join(gw.dataDir, "gateway-id"), "utf8").trim();

/** A session key whose partition the gateway `id` owns, per the balanced view. */
function sessionOwnedBy(gws: readonly { id: string; owned: readonly number[] }[], id: string, prefix: string): string {
  const owned = new Set(gws.find((g) => g.id === id)?.owned);
  const key = Array.from({ length: 500 }, (_, i) => `${prefix}-${i}`).find((k) => owned.has(partitionOf(k)));
  if (!key) throw new Error(`no key of ${id}'s partitions`);
  return key;
}

const jsonRows = (text: string) =>
  text
    .split("\n")
    .filter((l) => l.trim() !== "")
    .map((l) => JSON.parse(l));

describe("chaos: two gateways on one NATS", () => {
  it("kill -9 of the owner mid-stream: the other takes over within a lease, records the run interrupted once, answers the next message", async () => {
    const llm = await startLlm();
    const { a, b } = await startPair(llm.url);
    const gws = await balanced();
    const aId = gatewayIdOf(a);
    const ownedByA = new Set(gws.find((g) => g.id === aId)?.owned);
    // A session A owns, driven through B: the command is forwarded to A, the reply streams from A.
    const session = Array.from({ length: 200 }, (_, i) => `fo-${i}`).find((k) => ownedByA.has(partitionOf(k)));
    expect(session).toBeDefined();
    const key = session as string;

    llm.script({ hang: { chunkIntervalMs: 20 } });
    const modelCall = llm.nextRequest();
    const chat = await chatUntilStreaming(b, key, "a long story please", 30);
    const req = await modelCall;

    const killedAt = Date.now();
    await a.kill("SIGKILL");
    // A's socket to the provider closes with it: the model call is cut off, never repeated.
    await waitUntil("the model call to be cut off", () => req.clientClosed, 5_000);
    const bId = gatewayIdOf(b);
    await waitUntil(
      "B to own every partition",
      async () => {
        const view = await clusterView(bId);
        return view?.owned.length === 16 && view.writable;
      },
      10_000,
      50,
    );
    const takeoverMs = Date.now() - killedAt;
    // The lease is 1.5 s; the heartbeat and claim rounds add at most a few hundred ms.
    expect(takeoverMs).toBeLessThan(4_000);

    // The chat watching through B learns how its run ended (interrupted), instead of hanging.
    expect(await exitOf(chat, 20_000)).toBe(1);

    // The next message, sent through B, is answered by B.
    llm.script({ chunks: ["back again"] });
    const next = await b.cli(["chat", "--session", key, "are you there?"], { timeoutMs: 30_000 });
    expect(next.stderr).toBe("");
    expect(next.stdout).toContain("back again");

    // `cairn status` on B's machine: B owns everything, A is no longer listed.
    const st = await b.cli(["status", "--json"]);
    expect({ code: st.code, stderr: st.stderr }).toEqual({ code: 0, stderr: "" });
    const cl = JSON.parse(st.stdout).cluster;
    expect(cl).toMatchObject({ gatewayId: bId, partitions: 16, writable: true, logReplicas: 3 });
    expect(cl.owned).toHaveLength(16);
    expect(cl.gateways.map((g: { id: string }) => g.id)).toEqual([bId]);
    expect(cl.servers.known).toHaveLength(3);

    const events = await readEvents(b);
    expectSaneLog(events);
    const cut = turnEvents(events, key, "a long story please");
    expect(cut.run.map((e) => e.type)).toEqual(["run.started", "run.interrupted"]);
    expect(cut.ended).toHaveLength(1);
    expect(cut.ended[0].data.status).toBe("interrupted");
    const again = turnEvents(events, key, "are you there?");
    expect(again.run.map((e) => e.type)).toEqual(["run.started", "run.completed"]);
    // One model call per message: the cut-off one was not asked again.
    expect(llm.requests).toHaveLength(2);
  }, 120_000);

  it("ten messages sent alternately through both gateways each run once; none is refused as busy", async () => {
    const llm = await startLlm();
    const { a, b } = await startPair(llm.url);
    await balanced();
    const key = "alternating";
    for (let i = 0; i < 10; i++) {
      llm.script({ chunks: [`reply ${i}`] });
      const r = await (i % 2 === 0 ? a : b).cli(["chat", "--session", key, `message ${i}`], { timeoutMs: 30_000 });
      expect({ i, code: r.code, stderr: r.stderr }).toEqual({ i, code: 0, stderr: "" });
      expect(r.stdout).toContain(`reply ${i}`);
    }
    const events = await readEvents(a);
    expectSaneLog(events);
    expect(events.filter((e) => e.type === "run.started" && e.data.sessionKey === key)).toHaveLength(10);
    expect(events.filter((e) => e.type === "session.run_ended" && e.id === key).map((e) => e.data.status)).toEqual(
      Array(10).fill("completed"),
    );
    expect(llm.requests).toHaveLength(10);
  }, 120_000);

  it("an approval pending on the killed owner stays pending, is answered through the other gateway, and the command runs once", async () => {
    const llm = await startLlm();
    const { a, b } = await startPair(llm.url, {
      toml: `[tools.exec]\napproval_mode = "always"\n\n[tools.exec.sandbox]\nbackend = "bubblewrap"\n`,
    });
    const gws = await balanced();
    const key = sessionOwnedBy(gws, gatewayIdOf(a), "ap");
    llm.script(
      { toolCalls: [{ id: "call_1", name: "exec", arguments: JSON.stringify({ command: "echo ran >> counter.txt" }) }] },
      { chunks: ["noted"] },
    );
    const chat = spawnCli(b, ["chat", "--session", key, "count once"]);
    const [pending] = await waitUntil(
      "the approval to be pending (seen through B)",
      async () => {
        const r = await b.cli(["approvals", "list", "--json"]);
        const rows = r.code === 0 ? jsonRows(r.stdout) : [];
        return rows.length > 0 ? rows : undefined;
      },
      30_000,
      200,
    );
    const counter = join(shared, key, "counter.txt");

    await a.kill("SIGKILL");
    await waitUntil("B to own every partition", async () => (await clusterView(gatewayIdOf(b)))?.owned.length === 16, 10_000, 50);
    // The chat, watching through B, keeps waiting: the run lives on, now owned by B.
    expect(chat.child.exitCode).toBeNull();

    // Still pending after the failover; nothing ran and the model was not asked again.
    const listed = jsonRows((await b.cli(["approvals", "list", "--json"])).stdout);
    expect(listed).toEqual([expect.objectContaining({ id: pending.id, status: "pending", sessionKey: key })]);
    expect(existsSync(counter)).toBe(false);

    const approved = await b.cli(["approvals", "approve", pending.id]);
    expect({ code: approved.code, stderr: approved.stderr }).toEqual({ code: 0, stderr: "" });
    await waitUntil(
      "the run to end",
      async () => (await readEvents(b)).some((e) => e.type === "session.run_ended" && e.id === key),
      30_000,
      200,
    );
    // The chat that started it all gets its answer.
    expect(await exitOf(chat, 20_000)).toBe(0);
    expect(chat.stdout()).toContain("noted");
    await sleep(500);
    expect(readFileSync(counter, "utf8")).toBe("ran\n");
    const events = await readEvents(b);
    expectSaneLog(events);
    const { run, ended } = turnEvents(events, key, "count once");
    expect(run.map((e) => e.type)).toEqual([
      "run.started",
      "run.tool_call_requested",
      "run.tool_started",
      "run.tool_finished",
      "run.completed",
    ]);
    expect(ended.map((e) => e.data.status)).toEqual(["completed"]);
    expect(llm.requests).toHaveLength(2);
  }, 120_000);

  it("a gateway paused (SIGSTOP) past its lease writes nothing as owner when it wakes; the other has taken over", async () => {
    const llm = await startLlm();
    const { a, b } = await startPair(llm.url);
    const gws = await balanced();
    const key = sessionOwnedBy(gws, gatewayIdOf(a), "st");
    llm.script({ hang: { chunkIntervalMs: 20 } });
    const chat = await chatUntilStreaming(b, key, "stream on", 30);

    a.child.kill("SIGSTOP");
    try {
      await waitUntil("B to own every partition", async () => (await clusterView(gatewayIdOf(b)))?.owned.length === 16, 10_000, 50);
      await waitUntil(
        "B to record the paused run as interrupted",
        async () => turnEvents(await readEvents(b), key, "stream on").ended.length === 1,
        15_000,
        200,
      );
    } finally {
      a.child.kill("SIGCONT");
    }
    expect(await exitOf(chat, 20_000)).toBe(1);
    const atWake = await readEvents(b);
    // A wakes with a stream still flowing and believes, for a moment, that it owns the session.
    await sleep(3_000);
    const later = await readEvents(b);
    // Nothing A did after waking reached the log: not for the run, not for the session.
    expect(later.filter((e) => e.seq > atWake.length && (e.id === key || e.data?.sessionKey === key))).toEqual([]);
    expectSaneLog(later);
    const cut = turnEvents(later, key, "stream on");
    expect(cut.run.map((e) => e.type)).toEqual(["run.started", "run.interrupted"]);
    // A is alive and takes a share again; the session answers through either gateway.
    await balanced();
    llm.script({ chunks: ["awake"] });
    const next = await a.cli(["chat", "--session", key, "still there?"], { timeoutMs: 30_000 });
    expect({ code: next.code, stderr: next.stderr }).toEqual({ code: 0, stderr: "" });
    expect(next.stdout).toContain("awake");
  }, 120_000);

  it("kill -9 of one nats-server of the three while both gateways take messages: nothing acknowledged is lost, both reconnect by themselves", async () => {
    const llm = await startLlm();
    const { a, b } = await startPair(llm.url);
    await balanced();
    const sent: string[] = [];
    const send = async (gw: GatewayProc, i: number) => {
      const r = await gw.cli(["chat", "--session", `ns-${i % 4}`, `msg ${i}`], { timeoutMs: 60_000 });
      if (r.code === 0) sent.push(`msg ${i}`);
      return r;
    };
    for (let i = 0; i < 4; i++) await send(i % 2 ? a : b, i);
    await cluster.kill(0);
    try {
      // Every message sent while one server of three is down is still answered.
      for (let i = 4; i < 10; i++) {
        const r = await send(i % 2 ? a : b, i);
        expect({ i, code: r.code, stderr: r.stderr }).toEqual({ i, code: 0, stderr: "" });
      }
    } finally {
      await cluster.restart(0);
    }
    for (let i = 10; i < 12; i++) expect((await send(i % 2 ? a : b, i)).code).toBe(0);
    const events = await readEvents(a);
    expectSaneLog(events);
    const texts = events.filter((e) => e.type === "session.user_message").map((e) => e.data.text);
    for (const t of sent) expect(texts.filter((x) => x === t)).toHaveLength(1);
    expect(sent).toHaveLength(12);
  }, 180_000);
});
