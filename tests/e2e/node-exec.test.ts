/**
 * Commands on a node, end to end: a real gateway process, a real `cairn node add --foreground`
 * process paired through the CLI, a session routed to it, the scripted LLM asking for `exec`:
 * the command runs in the node's working directory and its output comes back; `cairn doctor`
 * shows the route; the node killed mid-command makes the tool result say it went offline.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { NatsConnection } from "@nats-io/transport-node";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { request, subjects } from "../../bus/index.ts";
import { connectNats } from "../../bus/server/index.ts";
import type { NodeSummary } from "../../schemas/index.ts";
import { jsonLines, useGatewayWithLlm } from "../fixtures/gateway.ts";
import { startNodeProc, type NodeProc } from "../fixtures/node.ts";

const NO_DOCKER = "unix:///nonexistent.sock";
const cfg = mkdtempSync(join(tmpdir(), "cairn-nodeexec-cfg-"));
writeFileSync(join(cfg, "cairn.toml"), '[tools.exec]\napproval_mode = "never"\n');
const { llm, gw } = useGatewayWithLlm({ extraEnv: { CAIRN_CONFIG_DIR: cfg, DOCKER_HOST: NO_DOCKER } });

let admin: NatsConnection;
let node: NodeProc;
let again: NodeProc | undefined;
beforeAll(async () => {
  const info = JSON.parse(readFileSync(join(gw.dataDir, "gateway.json"), "utf8")) as { natsUrl: string; cliCreds: string };
  admin = await connectNats({ url: info.natsUrl, credsFile: info.cliCreds, name: "test-admin" });
  expect((await gw.cli(["node", "pairing", "enable"])).code).toBe(0);
  node = await startNodeProc({ host: gw.url, name: "Build Server", nodeId: "build1" });
  await node.waitForLine(/waiting for approval on the gateway/);
  const pending = jsonLines<NodeSummary>((await gw.cli(["node", "pending", "--json"])).stdout);
  const req = pending.find((n) => n.nodeId === "build1")!;
  expect((await gw.cli(["node", "approve", req.requestId!])).code).toBe(0);
  await node.waitForLine(/ connected /);
  writeFileSync(join(node.workingDir, "marker.txt"), "hello from the node\n");
}, 90_000);
afterAll(async () => {
  await again?.dispose();
  await node?.dispose();
  await admin?.close();
  rmSync(cfg, { recursive: true, force: true });
});

const exec = (id: string, command: string) => ({ id, name: "exec", arguments: JSON.stringify({ command }) });
const toolOutput = async (sessionKey: string, name = "exec") => {
  const r = (await request(admin, subjects.query("tools", "list"), { sessionKey })) as {
    calls: Array<{ name: string; output: string | null; isError: boolean }>;
  };
  return r.calls.filter((c) => c.name === name).at(-1)!;
};
const route = async (key: string) => {
  await request(admin, subjects.command("session", key, "create"), {});
  await request(admin, subjects.command("session", key, "set_node"), { node: "build1" });
};

describe("exec on a paired node", () => {
  test("the command runs in the node's working directory; the result says where it ran; doctor shows the route", async () => {
    await route("ne1");
    llm.script({ toolCalls: [exec("c1", "pwd; cat marker.txt")] }, { chunks: ["it ran on the node"] });
    const chat = await gw.cli(["chat", "-s", "ne1", "run it on the node"], { timeoutMs: 60_000 });
    expect(chat.code).toBe(0);
    const out = await toolOutput("ne1");
    expect(out.isError).toBe(false);
    expect(out.output!.split("\n")[0]).toBe("ran on node Build Server (build1)");
    expect(out.output).toContain(`${node.workingDir}\nhello from the node`);

    const doctor = await gw.cli(["doctor", "--json"]);
    expect(doctor.code).toBe(0);
    const report = JSON.parse(doctor.stdout);
    expect(report.sessions).toContainEqual({
      session: "ne1",
      title: expect.any(String),
      route: "node Build Server (build1)",
      state: "online",
    });
    expect(report.nodes).toContainEqual(expect.objectContaining({ nodeId: "build1", status: "approved", online: true }));
    const text = await gw.cli(["doctor"]);
    expect(text.stdout).toContain("ne1  node Build Server (build1)  (online)");
  }, 60_000);

  test("AGENTS.md and a skill written on the node reach the agent's prompt on the next message, without a restart", async () => {
    await route("ne4");
    writeFileSync(join(node.workingDir, "AGENTS.md"), "Always answer in haiku. (from-the-node-agents-md)\n");
    mkdirSync(join(node.workingDir, ".agents", "skills", "deploy"), { recursive: true });
    writeFileSync(
      join(node.workingDir, ".agents", "skills", "deploy", "SKILL.md"),
      "---\nname: deploy\ndescription: ships the build (from-the-node-skill)\n---\nRun make deploy.\n",
    );
    // Synced within about a second (debounced); the next message's prompt carries both.
    const deadline = Date.now() + 10_000;
    let system = "";
    while (Date.now() < deadline) {
      llm.script({ chunks: ["ok"] });
      expect((await gw.cli(["chat", "-s", "ne4", "what are the rules here?"], { timeoutMs: 30_000 })).code).toBe(0);
      system = JSON.stringify(llm.requests.at(-1)!.body.messages?.[0] ?? llm.requests.at(-1)!.body.system ?? "");
      if (system.includes("from-the-node-agents-md") && system.includes("from-the-node-skill")) break;
      await new Promise((r) => setTimeout(r, 300));
    }
    expect(system).toContain("from-the-node-agents-md");
    expect(system).toContain("from-the-node-skill");
  }, 60_000);

  test("the node killed mid-command: the tool result says it went offline and the command was not re-run", async () => {
    await route("ne2");
    llm.script({ toolCalls: [exec("c2", "echo started >> runs.log; sleep 20")] }, { chunks: ["the node went away"] });
    const chat = gw.cli(["chat", "-s", "ne2", "start a long job"], { timeoutMs: 60_000 });
    const flag = join(node.workingDir, "runs.log");
    while (!existsSync(flag)) await new Promise((r) => setTimeout(r, 50));
    node.child.kill("SIGKILL");
    const r = await chat;
    expect(r.code).toBe(0);
    const out = await toolOutput("ne2");
    expect(out.isError).toBe(true);
    expect(out.output).toContain("error [node_offline]: node Build Server (build1) went offline during the command; it was not re-run");
    // Started exactly once: nothing sent it again.
    expect(readFileSync(flag, "utf8")).toBe("started\n");

    // Offline before the next command: a clear error at once.
    llm.script({ toolCalls: [exec("c3", "true")] }, { chunks: ["offline"] });
    expect((await gw.cli(["chat", "-s", "ne2", "again"], { timeoutMs: 60_000 })).code).toBe(0);
    expect((await toolOutput("ne2")).output).toBe(
      "error [node_offline]: node Build Server (build1) is offline; choose another node or Local",
    );
  }, 60_000);

  test("revoked while a command runs: the server drops the node, the tool result says it went offline", async () => {
    // The same machine starts again (its key and credentials kept) and reconnects.
    again = await startNodeProc({ host: gw.url, name: "Build Server", nodeId: "build1", home: node.home });
    await again.waitForLine(/ connected /);
    await route("ne3");
    llm.script({ toolCalls: [exec("c4", "echo started >> revoked.log; sleep 20")] }, { chunks: ["revoked"] });
    const chat = gw.cli(["chat", "-s", "ne3", "start a long job"], { timeoutMs: 60_000 });
    const flag = join(again.workingDir, "revoked.log");
    while (!existsSync(flag)) await new Promise((r) => setTimeout(r, 50));
    expect((await gw.cli(["node", "revoke", "build1"])).code).toBe(0);
    expect((await chat).code).toBe(0);
    const out = await toolOutput("ne3");
    expect(out.isError).toBe(true);
    expect(out.output).toContain("went offline during the command; it was not re-run");
    expect(readFileSync(flag, "utf8")).toBe("started\n");
    // Doctor now flags the session pinned to a revoked node.
    const report = JSON.parse((await gw.cli(["doctor", "--json"])).stdout);
    expect(report.ok).toBe(false);
    expect(report.problems.map((p: { message: string }) => p.message)).toContain(
      "session ne3 is pinned to node Build Server (build1), which is revoked: its commands fail",
    );
  }, 60_000);
});
