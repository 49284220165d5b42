/** nodes_list, nodes_describe and nodes_select through the registry, over a real session aggregate and real presence. */
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { SnapshotStore, encodeJson, request, subjects } from "../../../bus/index.ts";
import { startActorSystem, type ActorSystem } from "../../../actors/index.ts";
import { natsNodesReader, trackNodePresence, type NodePresence } from "../../../actors/remote/index.ts";
import { ToolRegistry } from "../../../actors/tools/index.ts";
import { nodeTools } from "../../../actors/tools/nodes.tools.ts";
import { startStack, type Stack } from "../../fixtures/stack.ts";
import { hello, telemetry } from "../remote/fake.node.ts";
import { nodeSummary, serveNodeList } from "../remote/nodes.fixture.ts";

let s: Stack;
let sys: ActorSystem;
let presence: NodePresence;
let tools: ToolRegistry;
const ctx = (sessionKey: string) => ({ workspace: "/nonexistent", signal: new AbortController().signal, sessionKey });

beforeAll(async () => {
  s = await startStack();
  await s.actors.stop();
  presence = trackNodePresence(s.nc);
  const reader = natsNodesReader(s.nc);
  serveNodeList(s.nc, [
    nodeSummary("build", { name: "Build Server", fingerprint: "SHA256:abc" }),
    nodeSummary("laptop", { name: "Laptop", lastSeenAt: Date.now() - 60_000 }),
    nodeSummary("old", { name: "Old", status: "revoked" }),
  ]);
  sys = startActorSystem({
    nc: s.nc,
    log: s.log,
    snapshots: await SnapshotStore.open(s.nc),
    model: { defaultModel: "openai/test-model", env: { OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: s.llm.openaiBaseUrl }, config: {} },
    nodes: { presence, reader },
  });
  const setNode = (key: string, node: string | null) =>
    request(s.nc, subjects.command("session", key, "set_node"), { node }) as Promise<{ node: string | null; name: string | null }>;
  const sessionNode = async (key: string) => {
    await s.projector.waitFor(await s.log.lastSeq());
    return s.q.session(key).session.node ?? null;
  };
  tools = new ToolRegistry();
  for (const t of nodeTools({ nodes: reader, presence, sessionNode, setSessionNode: setNode })) tools.register(t);
  await request(s.nc, subjects.command("session", "t1", "create"), {});
  const n = await s.nats.connect("node");
  n.publish(
    subjects.nodeOut("build", "hello"),
    encodeJson(hello("build", { name: "Build Server", maxTimeoutSeconds: 600, telemetry: telemetry({ cpus: 8 }) })),
  );
  n.publish(
    subjects.nodeOut("build", "context"),
    encodeJson({ agentsMd: "be nice", skills: [{ name: "deploy", description: "d", body: "b" }], at: 1 }),
  );
  await n.flush();
  for (let i = 0; i < 100 && presence.context("build") === null; i++) await new Promise((r) => setTimeout(r, 10));
}, 60_000);
afterAll(async () => {
  presence.stop();
  await sys.stop();
  await s.stop();
});

const call = async (name: string, args: unknown, key = "t1") => tools.invoke(name, JSON.stringify(args), ctx(key));

describe("node tools", () => {
  test("nodes_list: approved nodes with live state; all: also revoked ones; which one the session uses", async () => {
    const r = await call("nodes_list", {});
    expect(r.ok).toBe(true);
    const out = (r as { output: string }).output;
    expect(out.split("\n")[0]).toBe("this session's exec runs locally (on the gateway)");
    expect(out).toContain('- build: "Build Server" — online, linux');
    expect(out).toMatch(/- laptop: "Laptop" — offline \(last seen \d+ s ago\)/);
    expect(out).not.toContain("old");
    expect(((await call("nodes_list", { all: true })) as { output: string }).output).toContain('- old: "Old" — revoked');
  });

  test("nodes_describe: telemetry, timeout cap, context; by name too; unknown and revoked are errors with what to do", async () => {
    const r = (await call("nodes_describe", { node: "build server" })) as { ok: true; output: string };
    expect(r.ok).toBe(true);
    expect(r.output).toContain("state: online");
    expect(r.output).toContain("fingerprint SHA256:abc");
    expect(r.output).toContain("command timeout cap 600 s");
    expect(r.output).toContain("cpu: 8 cores");
    expect(r.output).toContain("runtimes: python 3.11.2, node 20.20.2");
    expect(r.output).toContain("Ollama (llama3)");
    expect(r.output).toContain("API keys present: OPENAI_API_KEY");
    expect(r.output).toContain("AGENTS.md: 7 characters; skills: deploy");
    const unknown = await call("nodes_describe", { node: "ghost" });
    expect(unknown).toMatchObject({ ok: false, error: { code: "node_not_found" } });
    expect(await call("nodes_describe", { node: "old" })).toMatchObject({ ok: false, error: { code: "node_revoked" } });
  });

  test("nodes_select: routes the session (an event), reports an offline node as such, null goes back to local", async () => {
    expect(await call("nodes_select", { node: "laptop" })).toEqual({
      ok: true,
      output: "exec now runs on node Laptop (laptop); it is offline right now — commands fail until it reconnects",
    });
    expect(((await call("nodes_list", {})) as { output: string }).output.split("\n")[0]).toBe("this session's exec runs on node laptop");
    expect(await call("nodes_select", { node: "old" })).toMatchObject({ ok: false, error: { code: "node_revoked" } });
    expect(await call("nodes_select", { node: null })).toEqual({ ok: true, output: "exec now runs locally (on the gateway)" });
    await s.projector.waitFor(await s.log.lastSeq());
    expect(s.q.session("t1").session.node).toBeNull();
    // Bad arguments are refused before anything runs.
    expect(await call("nodes_select", {})).toMatchObject({ ok: false, error: { code: "bad_request" } });
  });
});
