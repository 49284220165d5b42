import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connect, credsAuthenticator, type Msg, type NatsConnection } from "@nats-io/transport-node";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectNats, mintUserJwt, revokeUser, writeCredsFile } from "../../../bus/server/index.ts";
import { subjects } from "../../../bus/subjects.ts";
import {
  createNodeLogger,
  loadOrCreateIdentity,
  nodePaths,
  readAgentStatus,
  startNodeAgent,
  type NodeAgent,
} from "../../../cli/node/index.ts";
import { startTestNats, type TestNats } from "../../fixtures/nats.ts";

const NODE_ID = "n-test000001";
let nats: TestNats;
let gw: NatsConnection;
let agent: NodeAgent;
let dir: string;
let credsFile: string;
const out: Msg[] = [];
const waiters: Array<() => void> = [];

/** The next message on the node's out.> matching `pred` (seen or yet to come). */
const nextOut = async (pred: (m: Msg) => boolean): Promise<Msg> => {
  for (;;) {
    const i = out.findIndex(pred);
    if (i >= 0) return out.splice(i, 1)[0];
    await new Promise<void>((r) => waiters.push(r));
  }
};

beforeAll(async () => {
  nats = await startTestNats();
  gw = await nats.connect("gateway");
  gw.subscribe(subjects.nodeOutAll(NODE_ID), {
    callback: (_e, m) => {
      out.push(m);
      for (const w of waiters.splice(0)) w();
    },
  });
  await gw.flush();
  dir = mkdtempSync(join(tmpdir(), "cairn-node-agent-"));
  const paths = nodePaths(dir);
  const id = loadOrCreateIdentity(paths);
  // Exactly the permissions the gateway grants an approved node (nodes-design §5).
  const jwt = await mintUserJwt(nats.server.auth, {
    name: `node-${NODE_ID}`,
    publicKey: id.publicKey,
    permissions: {
      pub: { allow: [`node.${NODE_ID}.out.>`] },
      sub: { allow: [`node.${NODE_ID}.in.>`, `_INBOX_${NODE_ID}.>`] },
      allowResponses: true,
    },
  });
  credsFile = paths.credsFile;
  await writeCredsFile(credsFile, jwt, id.seed);
  agent = startNodeAgent({
    nodeId: NODE_ID,
    name: "Test Node",
    workingDir: dir,
    maxTimeoutSeconds: 60,
    natsUrl: nats.url,
    credsFile,
    outputDir: paths.outputDir,
    statusFile: paths.statusFile,
    log: createNodeLogger({ console: null }),
    heartbeatMs: 200,
    doneRetryDelayMs: 300,
    telemetry: async () => ({
      cpus: 1,
      cpuUsage: 0,
      memTotal: 1,
      memFree: 1,
      diskTotal: 1,
      diskFree: 1,
      uptimeSeconds: 1,
      runtimes: {},
      providers: { ollama: null, apiKeys: [] },
      at: Date.now(),
    }),
  });
  await agent.whenConnected();
}, 30_000);

afterAll(async () => {
  await agent?.stop();
  await nats?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe("node agent on a real nats-server (operator mode)", () => {
  it("says hello with its identity, sends its context and heartbeats", async () => {
    const hello = (await nextOut((m) => m.subject === subjects.nodeOut(NODE_ID, "hello"))).json<Record<string, unknown>>();
    expect(hello).toMatchObject({ nodeId: NODE_ID, name: "Test Node", workingDir: dir, maxTimeoutSeconds: 60 });
    const ctx = (await nextOut((m) => m.subject === subjects.nodeOut(NODE_ID, "context"))).json<Record<string, unknown>>();
    expect(ctx).toMatchObject({ agentsMd: null, skills: [] });
    const hb = (await nextOut((m) => m.subject === subjects.nodeOut(NODE_ID, "heartbeat"))).json<{ at: number }>();
    expect(typeof hb.at).toBe("number");
  });

  it("answers ping", async () => {
    const r = (await gw.request(subjects.nodeIn(NODE_ID, "ping"), "{}", { timeout: 5_000 })).json<{ at: number }>();
    expect(typeof r.at).toBe("number");
  });

  it("accepts exec, streams data, and retries done until acked", async () => {
    const reply = await gw.request(
      subjects.nodeIn(NODE_ID, "exec"),
      JSON.stringify({ execId: "x1", command: "echo hello; echo oops >&2; exit 3", timeoutMs: 10_000, env: {}, maxOutputBytes: 10_000 }),
      { timeout: 5_000 },
    );
    expect(reply.json()).toEqual({ accepted: true });
    const data = await nextOut(
      (m) => m.subject === subjects.nodeExecData(NODE_ID, "x1") && m.json<{ chunk: string }>().chunk.includes("hello"),
    );
    expect(data.json()).toMatchObject({ stream: "stdout", chunk: "hello\n" });
    // First done: not acked. The node must send it again.
    const first = await nextOut((m) => m.subject === subjects.nodeExecDone(NODE_ID, "x1"));
    expect(first.reply).toBeTruthy();
    const second = await nextOut((m) => m.subject === subjects.nodeExecDone(NODE_ID, "x1"));
    const done = second.json<Record<string, unknown>>();
    expect(done).toMatchObject({ exitCode: 3, stdout: "hello\n", stderr: "oops\n", timedOut: false, truncated: false });
    expect(second.respond(JSON.stringify({ ok: true }))).toBe(true);
    // Acked: no further copies arrive (the next one we see is for a later command).
    await gw.request(
      subjects.nodeIn(NODE_ID, "exec"),
      JSON.stringify({ execId: "x2", command: "true", timeoutMs: 10_000, env: {}, maxOutputBytes: 100 }),
      { timeout: 5_000 },
    );
    const next = await nextOut((m) => m.subject.includes(".out.exec.") && m.subject.endsWith(".done"));
    expect(next.subject).toBe(subjects.nodeExecDone(NODE_ID, "x2"));
    next.respond(JSON.stringify({ ok: true }));
  });

  it("refuses a cwd outside its working dir and a re-sent exec id", async () => {
    const r = await gw.request(
      subjects.nodeIn(NODE_ID, "exec"),
      JSON.stringify({ execId: "x3", command: "pwd", cwd: "/", timeoutMs: 1000, env: {}, maxOutputBytes: 100 }),
      { timeout: 5_000 },
    );
    expect(r.json()).toMatchObject({ accepted: false, error: { code: "bad_request" } });
    const again = await gw.request(
      subjects.nodeIn(NODE_ID, "exec"),
      JSON.stringify({ execId: "x2", command: "touch ran-twice", timeoutMs: 1000, env: {}, maxOutputBytes: 100 }),
      { timeout: 5_000 },
    );
    expect(again.json()).toMatchObject({ accepted: true, duplicate: true });
  });

  it("the node's credentials cannot publish to the event log or another node, nor read them", async () => {
    const nc = await connect({
      servers: nats.url,
      authenticator: credsAuthenticator(readFileSync(credsFile)),
      inboxPrefix: subjects.nodeInbox(NODE_ID),
    });
    const errors: string[] = [];
    const seen = (async () => {
      for await (const s of nc.status()) {
        if (s.type === "error") errors.push(s.error.message);
        if (errors.length >= 4) break;
      }
    })();
    nc.publish("evt.session.x", "forged");
    nc.publish(subjects.nodeOut("n-other", "hello"), "{}");
    nc.subscribe("evt.>");
    nc.subscribe(subjects.nodeInAll("n-other"));
    await seen;
    expect(errors.join("\n")).toMatch(/Permissions Violation for Publish to "evt\.session\.x"/);
    expect(errors.join("\n")).toMatch(/Permissions Violation for Publish to "node\.n-other\.out\.hello"/);
    expect(errors.join("\n")).toMatch(/Permissions Violation for Subscription to "evt\.>"/);
    await expect(nc.request("$JS.API.INFO", "", { timeout: 2_000 })).rejects.toThrow();
    await nc.close();
  });

  it("comes back after nats-server restarts and says hello again", async () => {
    out.length = 0;
    await nats.restart();
    const hello = await nextOut((m) => m.subject === subjects.nodeOut(NODE_ID, "hello"));
    expect(hello.json()).toMatchObject({ nodeId: NODE_ID });
    expect(agent.connected()).toBe(true);
  }, 30_000);

  it("a revoked node is disconnected and its status says the gateway refused it", async () => {
    const sys = await connectNats({ url: nats.url, credsFile: nats.server.creds.system, name: "sys" });
    const pk = loadOrCreateIdentity(nodePaths(dir)).publicKey;
    await revokeUser(nats.server.auth, sys, pk, new Date(Date.now() + 1000));
    await sys.close();
    const statusFile = nodePaths(dir).statusFile;
    // Wait until the agent noticed (the server closes the connection at once; the reconnect is refused).
    for (;;) {
      const s = readAgentStatus(statusFile);
      if (s && !s.connected && /authori[sz]ation|revoked/i.test(s.lastError ?? "")) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(agent.connected()).toBe(false);
  }, 30_000);
});
