import { describe, expect, test } from "vitest";
import { nodesDoctorReport } from "../../../cli/gateway/nodes.doctor.ts";
import { formatDoctor } from "../../../cli/commands/doctor.ts";
import type { SandboxStatus, SessionSummary } from "../../../schemas/index.ts";
import { nodeSummary } from "../../actors/remote/nodes.fixture.ts";

const now = 1_700_000_000_000;
const session = (key: string, node: string | null, over: Partial<SessionSummary> = {}): SessionSummary => ({
  key,
  title: `chat ${key}`,
  model: null,
  createdAt: 1,
  updatedAt: 2,
  messageCount: 0,
  activeRunId: null,
  node,
  ...over,
});
const exec: SandboxStatus = {
  backend: "bubblewrap",
  configured: "auto",
  available: ["bubblewrap", "none"],
  summary: "",
  warning: null,
  approvalMode: "smart",
};

describe("the remote-exec doctor report", () => {
  test("a healthy setup: routes per session, nodes with state, the window; ok with no findings", () => {
    const r = nodesDoctorReport({
      sessions: [session("a", "build"), session("b", null)],
      nodes: [nodeSummary("build", { name: "Build Server", online: true, lastSeenAt: now - 2000 })],
      pairing: { open: false, until: null },
      exec,
      now,
    });
    expect(r.ok).toBe(true);
    expect(r.problems).toEqual([]);
    expect(r.sessions).toEqual([
      { session: "a", title: "chat a", route: "node Build Server (build)", state: "online" },
      { session: "b", title: "chat b", route: "local", state: "sandbox bubblewrap" },
    ]);
    expect(r.nodes[0]).toMatchObject({ nodeId: "build", status: "approved", online: true });
    const text = formatDoctor(r, now);
    expect(text).toContain("pairing window: closed");
    expect(text).toContain("  build  Build Server  online");
    expect(text).toContain("  a  node Build Server (build)  (online)");
    expect(text).toContain("no problems found");
  });

  test("misconfigurations, each with a hint: pinned to revoked, unknown and offline nodes; exec off; open window is a note", () => {
    const r = nodesDoctorReport({
      sessions: [session("r", "old"), session("u", "ghost"), session("o", "laptop")],
      nodes: [nodeSummary("old", { status: "revoked" }), nodeSummary("laptop", { name: "Laptop", online: false, lastSeenAt: null })],
      pairing: { open: true, until: now + 5 * 60_000 },
      exec: null,
      now,
    });
    expect(r.ok).toBe(false);
    const msgs = r.problems.map((p) => `${p.level}: ${p.message}`);
    expect(msgs).toContain("error: session r is pinned to node Node old (old), which is revoked: its commands fail");
    expect(msgs).toContain("error: session u is pinned to node ghost, which is unknown to this gateway");
    expect(msgs).toContain("warning: session o is pinned to node Laptop (laptop), which is offline");
    expect(msgs).toContain("warning: exec is off: the agent cannot run commands, locally or on nodes");
    expect(msgs).toContain("info: the pairing window is open for 5 more minute(s): new nodes can ask to pair");
    for (const p of r.problems) expect(p.hint.length).toBeGreaterThan(0);
    expect(formatDoctor(r, now)).toContain(
      "error: session r is pinned to node Node old (old), which is revoked: its commands fail\n  hint: choose another node or Local",
    );
  });

  test("no sandbox locally is a warning; an open window alone keeps the report ok; many local sessions are summarised", () => {
    const locals = Array.from({ length: 15 }, (_, i) => session(`l${i}`, null));
    const r = nodesDoctorReport({
      sessions: [...locals, session("p", "build")],
      nodes: [nodeSummary("build", { online: true })],
      pairing: { open: true, until: null },
      exec: { ...exec, backend: "none" },
      now,
    });
    expect(r.problems.map((p) => p.level)).toEqual(["warning", "info"]);
    expect(r.problems[0].message).toContain("without a sandbox");
    expect(r.sessions.map((s) => s.session)).toEqual([...locals.slice(0, 10).map((s) => s.key), "p"]);
    expect(r.moreLocalSessions).toBe(5);
    const ok = nodesDoctorReport({ sessions: [], nodes: [], pairing: { open: true, until: null }, exec, now });
    expect(ok.ok).toBe(true);
  });

  test("a node service that does not answer is a finding, not a failure", () => {
    const r = nodesDoctorReport({ sessions: [session("a", "build")], nodes: null, pairing: null, exec, now });
    expect(r.sessions[0].state).toBe("unknown (node list unavailable)");
    expect(r.problems.map((p) => p.message)).toContain("the node list could not be read (node service not answering)");
    expect(formatDoctor(r, now)).toContain("pairing window: unknown");
  });
});
