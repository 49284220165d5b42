/**
 * A session routed to a node, through the agent loop on real parts (NATS, the log, the scripted
 * LLM server, the real SDK) with a fake node over real NATS: exec runs there and says so, the
 * approval names the node, the node's AGENTS.md and skills reach the system prompt, an offline
 * node is a clear tool error.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { SnapshotStore, encodeJson, request, subjects } from "../../../bus/index.ts";
import { startActorSystem, type ActorSystem } from "../../../actors/index.ts";
import { natsNodesReader, trackNodePresence, type NodePresence } from "../../../actors/remote/index.ts";
import type { AnyStoredEvent, LiveSessionMessage } from "../../../schemas/index.ts";
import { aggregateEvents, chatUntilEnded, startStack, type Stack } from "../../fixtures/stack.ts";
import { startFakeNode, type FakeNode } from "./fake.node.ts";
import { nodeSummary, serveNodeList } from "./nodes.fixture.ts";

let s: Stack;
let sys: ActorSystem | undefined;
let presence: NodePresence;
let root: string;
let work: string;
let node: FakeNode;
const nodes = [
  nodeSummary("build", { name: "Build Server" }),
  nodeSummary("gone", { name: "Old Laptop" }),
  nodeSummary("later", { name: "Later Revoked" }),
];

const start = async (approvalMode: "never" | "always") => {
  await sys?.stop();
  sys = startActorSystem({
    nc: s.nc,
    log: s.log,
    snapshots: await SnapshotStore.open(s.nc),
    model: { defaultModel: "openai/test-model", env: { OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: s.llm.openaiBaseUrl }, config: {} },
    systemPrompt: "You are cairn.",
    agent: { workspaceRoot: root, exec: { approvalMode, sandbox: "none" } },
    nodes: { presence, reader: natsNodesReader(s.nc), remote: { pingIntervalMs: 200 } },
  });
};
beforeAll(async () => {
  s = await startStack();
  await s.actors.stop();
  presence = trackNodePresence(s.nc);
  serveNodeList(s.nc, nodes);
  root = mkdtempSync(join(tmpdir(), "cairn-nodeflow-"));
  work = mkdtempSync(join(tmpdir(), "cairn-nodework-"));
  writeFileSync(join(work, "marker.txt"), "on the build server\n");
  node = await startFakeNode(s.nats, "build", work);
  node.publishHello({ name: "Build Server" });
  node.nc.publish(
    subjects.nodeOut("build", "context"),
    encodeJson({
      agentsMd: "Always run `make check` before committing.",
      skills: [{ name: "release", description: "cut a release", body: "tag and push" }],
      at: 1,
    }),
  );
  await node.nc.flush();
  for (let i = 0; i < 100 && presence.context("build") === null; i++) await new Promise((r) => setTimeout(r, 10));
}, 60_000);
afterAll(async () => {
  await sys?.stop();
  presence.stop();
  await node.vanish();
  await s.stop();
  rmSync(root, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

const exec = (id: string, command: string) => ({ id, name: "exec", arguments: JSON.stringify({ command }) });
const finished = (evs: AnyStoredEvent[], callId: string) =>
  evs.find((e) => e.type === "run.tool_finished" && e.data.callId === callId)?.data as { output: string; isError: boolean };
const setNode = (key: string, n: string | null) => request(s.nc, subjects.command("session", key, "set_node"), { node: n });

describe("exec on the session's node", () => {
  test("the command runs in the node's working directory; the result says where; the prompt carries the node's AGENTS.md and skills", async () => {
    await start("never");
    s.llm.reset();
    await request(s.nc, subjects.command("session", "nf1", "create"), {});
    await setNode("nf1", "build");
    s.llm.script({ toolCalls: [exec("call_1", "pwd; cat marker.txt")] }, { chunks: ["it ran there"] });
    const { runId } = await chatUntilEnded(s.nc, "nf1", "where are you?");
    const out = finished(await aggregateEvents(s.log, "run", runId), "call_1");
    expect(out.isError).toBe(false);
    expect(out.output.split("\n")[0]).toBe("ran on node Build Server (build)");
    expect(out.output).toContain(`${work}\non the build server`);
    expect(node.requests.at(-1)!.command).toBe("pwd; cat marker.txt");

    const system = (s.llm.requests[0].body.messages as Array<{ role: string; content: string }>).find((m) => m.role === "system")!.content;
    expect(system).toContain("You are cairn.");
    expect(system).toContain('runs commands on the node "Build Server" (build)');
    expect(system).toContain("Always run `make check` before committing.");
    expect(system).toContain("### release");

    // Back to local: the next run's prompt no longer speaks of the node.
    await setNode("nf1", null);
    s.llm.reset();
    s.llm.script({ chunks: ["local now"] });
    await chatUntilEnded(s.nc, "nf1", "and now?");
    const local = (s.llm.requests[0].body.messages as Array<{ role: string; content: string }>).find((m) => m.role === "system")!.content;
    expect(local).not.toContain("make check");
  });

  test("the approval says which node the command will run on", async () => {
    await start("always");
    s.llm.reset();
    await request(s.nc, subjects.command("session", "nf2", "create"), {});
    await setNode("nf2", "build");
    s.llm.script({ toolCalls: [exec("call_2", "echo hi")] }, { chunks: ["ok"] });
    let reason = "";
    const { runId } = await chatUntilEnded(s.nc, "nf2", "say hi", {
      onLive: (m: LiveSessionMessage) => {
        if (m.type === "run.approval" && m.status === "pending") {
          reason = m.reason ?? "";
          void request(s.nc, subjects.command("approval", m.approvalId, "approve"), {});
        }
      },
    });
    expect(reason).toContain("runs on node Build Server (build)");
    expect(finished(await aggregateEvents(s.log, "run", runId), "call_2").output).toContain("stdout:\nhi");
  });

  test("a node that is not connected: the tool result says it is offline and how to get out", async () => {
    await start("never");
    s.llm.reset();
    await request(s.nc, subjects.command("session", "nf3", "create"), {});
    await setNode("nf3", "gone");
    s.llm.script({ toolCalls: [exec("call_3", "echo never")] }, { chunks: ["it is offline"] });
    const { runId } = await chatUntilEnded(s.nc, "nf3", "try");
    const out = finished(await aggregateEvents(s.log, "run", runId), "call_3");
    expect(out.isError).toBe(true);
    expect(out.output).toBe("error [node_offline]: node Old Laptop (gone) is offline; choose another node or Local");
  });

  test("a session still pinned to a node revoked since: the tool result says revoked, not offline", async () => {
    await start("never");
    s.llm.reset();
    await request(s.nc, subjects.command("session", "nf5", "create"), {});
    await setNode("nf5", "later");
    nodes[2] = nodeSummary("later", { name: "Later Revoked", status: "revoked" });
    s.llm.script({ toolCalls: [exec("call_5", "echo never")] }, { chunks: ["revoked"] });
    const { runId } = await chatUntilEnded(s.nc, "nf5", "try");
    expect(finished(await aggregateEvents(s.log, "run", runId), "call_5").output).toBe(
      "error [node_revoked]: node Later Revoked (later) was revoked; choose another node or Local (or pair it again)",
    );
  });

  test("nodes_select from the agent routes the session; nodes_list shows it selected", async () => {
    await start("never");
    s.llm.reset();
    s.llm.script(
      { toolCalls: [{ id: "sel", name: "nodes_select", arguments: JSON.stringify({ node: "Build Server" }) }] },
      { toolCalls: [{ id: "lst", name: "nodes_list", arguments: "{}" }, exec("run", "cat marker.txt")] },
      { chunks: ["done"] },
    );
    const { runId } = await chatUntilEnded(s.nc, "nf4", "use the build server");
    const evs = await aggregateEvents(s.log, "run", runId);
    expect(finished(evs, "sel").output).toBe("exec now runs on node Build Server (build); it is online");
    expect(finished(evs, "lst").output).toContain('- build: "Build Server" — online');
    expect(finished(evs, "lst").output).toContain("[selected]");
    expect(finished(evs, "run").output).toContain("on the build server");
    const session = await aggregateEvents(s.log, "session", "nf4");
    expect(session.filter((e) => e.type === "session.node_set").map((e) => e.data)).toEqual([{ node: "build" }]);
  });
});
