import { describe, expect, test, afterAll, beforeAll } from "vitest";
import { SnapshotStore, request, subjects } from "../../../bus/index.ts";
import { startActorSystem, type ActorSystem } from "../../../actors/index.ts";
import { createSessionSpec } from "../../../actors/session/session.commands.ts";
import { natsNodesReader, trackNodePresence, type NodePresence } from "../../../actors/remote/index.ts";
import { CairnError } from "../../../schemas/index.ts";
import { aggregateEvents, startStack, type Stack } from "../../fixtures/stack.ts";
import { given } from "../given.ts";
import { nodeSummary, serveNodeList } from "../remote/nodes.fixture.ts";

const spec = createSessionSpec(() => "openai/test-model");
const created = { type: "session.created" as const, data: { key: "s1", title: "", model: null } };

describe("the session's node (pure)", () => {
  test("set_node records session.node_set; the same node again records nothing; null goes back to local", () => {
    const d = given(spec, "s1", [created]).when("set_node", { node: "build" });
    expect(d.events).toEqual([{ type: "session.node_set" as const, data: { node: "build" } }]);
    const g = given(spec, "s1", [created, { type: "session.node_set" as const, data: { node: "build" } }]);
    expect(g.snapshot.context.node).toBe("build");
    expect(g.when("set_node", { node: "build" }).events).toEqual([]);
    expect(g.when("set_node", { node: null }).events).toEqual([{ type: "session.node_set", data: { node: null } }]);
  });

  test("a session that does not exist cannot be routed; a node id must be token-safe", () => {
    expect(() => given(spec, "s1", []).when("set_node", { node: "build" })).toThrow(/create it first/);
    expect(() => given(spec, "s1", [created]).when("set_node", { node: "a.b" })).toThrow(CairnError);
  });
});

describe("sessions.setNode through NATS, validated against the paired nodes", () => {
  let s: Stack;
  let sys: ActorSystem;
  let presence: NodePresence;
  const nodes = [
    nodeSummary("build", { name: "Build Server" }),
    nodeSummary("old", { status: "revoked" }),
    nodeSummary("new", { status: "pending", approvedAt: null }),
  ];
  const startSystem = async () =>
    startActorSystem({
      nc: s.nc,
      log: s.log,
      snapshots: await SnapshotStore.open(s.nc),
      model: { defaultModel: "openai/test-model", env: { OPENAI_API_KEY: "sk-test", OPENAI_BASE_URL: s.llm.openaiBaseUrl }, config: {} },
      nodes: { presence, reader: natsNodesReader(s.nc) },
    });
  beforeAll(async () => {
    s = await startStack();
    await s.actors.stop();
    presence = trackNodePresence(s.nc);
    serveNodeList(s.nc, nodes);
    sys = await startSystem();
  });
  afterAll(async () => {
    presence.stop();
    await sys.stop();
    await s.stop();
  });
  const setNode = (key: string, node: string | null) => request(s.nc, subjects.command("session", key, "set_node"), { node });
  const create = (key: string) => request(s.nc, subjects.command("session", key, "create"), {});
  const failure = (p: Promise<unknown>) =>
    p.then(
      () => {
        throw new Error("expected a failure");
      },
      (e: CairnError) => e,
    );

  test("an approved node (by id or by name) is recorded by id, shows in the session summary, and null returns to local", async () => {
    await create("sn1");
    expect(await setNode("sn1", "build")).toEqual({ node: "build", changed: true, name: "Build Server" });
    await s.projector.waitFor(await s.log.lastSeq());
    expect(s.q.session("sn1").session.node).toBe("build");

    await create("sn2");
    expect(await setNode("sn2", "build server")).toMatchObject({ node: "build", changed: true });
    expect(await setNode("sn2", null)).toMatchObject({ node: null, changed: true });
    await s.projector.waitFor(await s.log.lastSeq());
    expect(s.q.session("sn2").session.node).toBeNull();
    const evs = (await aggregateEvents(s.log, "session", "sn2")).filter((e) => e.type === "session.node_set").map((e) => e.data);
    expect(evs).toEqual([{ node: "build" }, { node: null }]);
  });

  test("unknown → node_not_found, revoked → node_revoked, pending → node_not_found; nothing is written", async () => {
    await create("sn3");
    const before = await s.log.lastSeqOf("session", "sn3");
    const unknown = await failure(setNode("sn3", "ghost"));
    expect(unknown.code).toBe("node_not_found");
    expect(unknown.message).toContain("approved nodes: Build Server (build)");
    expect((await failure(setNode("sn3", "old"))).code).toBe("node_revoked");
    const pending = await failure(setNode("sn3", "new"));
    expect(pending.code).toBe("node_not_found");
    expect(pending.message).toContain("pending, not approved");
    expect(await s.log.lastSeqOf("session", "sn3")).toBe(before);
  });

  test("the choice survives a restart: a new actor system reads it back from the log", async () => {
    await create("sn4");
    await setNode("sn4", "build");
    await sys.stop();
    sys = await startSystem();
    // Setting the same node again is a no-op only if the new system knows it is already set.
    expect(await setNode("sn4", "build")).toMatchObject({ node: "build", changed: false });
  });
});
