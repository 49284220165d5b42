/**
 * `cairn audit` and `cairn log verify` on a real gateway process: a tool approved from the CLI, one
 * denied from a second client (a WebSocket), a job run by cron — each decision names who took it
 * and carries its causation chain back to the message that began the work; and the log that
 * recorded all of it verifies.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, test } from "vitest";
import { BIN, jsonLines, useGatewayWithLlm, type CliResult } from "../fixtures/gateway.ts";
import { connectWs, type WsClient } from "../fixtures/ws-client.ts";
import { openDb } from "../../projections/index.ts";

const cfg = mkdtempSync(join(tmpdir(), "cairn-audit-cfg-"));
writeFileSync(join(cfg, "cairn.toml"), '[tools.exec]\napproval_mode = "always"\n');
const { llm, gw } = useGatewayWithLlm({ extraEnv: { CAIRN_CONFIG_DIR: cfg, DOCKER_HOST: "unix:///nonexistent.sock" } });

let ws: WsClient;
beforeAll(async () => {
  ws = await connectWs(`${new URL(gw.url).origin}/ws`);
  expect(await ws.request("connect", { protocol: 1, client: { name: "audit-test" } })).toMatchObject({ ok: true });
});
afterAll(async () => {
  await ws?.close();
  rmSync(cfg, { recursive: true, force: true });
});
const running = new Set<ChildProcess>();
afterEach(() => {
  for (const c of running) c.kill("SIGKILL");
});

const exec = (id: string, command: string) => ({ id, name: "exec", arguments: JSON.stringify({ command }) });

/** A chat left running (it waits for an approval); its approval id once it printed one. */
const startChat = (session: string, text: string) => {
  const child = spawn(process.execPath, [BIN, "chat", "-s", session, text], { env: gw.env, stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  let stderr = "";
  child.stderr.on("data", (d) => (stderr += d));
  const done = new Promise<CliResult>((resolve) => child.on("exit", (code) => resolve({ code, stdout: "", stderr })));
  return { done, approvalId: () => /cairn approvals approve (ap-[0-9a-f]{16})/.exec(stderr)?.[1] };
};

type Entry = { type: string; actor: string; kind: string; aggregateId: string; chain: { type: string; actor: string }[] };
const audit = async (...args: string[]): Promise<Entry[]> => {
  const r = await gw.cli(["audit", "--json", ...args]);
  expect(r.stderr).toBe("");
  expect(r.code).toBe(0);
  return jsonLines(r.stdout);
};

describe("cairn audit", () => {
  test("a tool approved from the CLI: who approved, what asked, in which run, started by which message", async () => {
    llm.script({ toolCalls: [exec("call_a", "touch a.txt")] }, { chunks: ["done"] });
    const chat = startChat("au-ok", "make a file");
    await expect.poll(chat.approvalId, { timeout: 20_000 }).toBeDefined();
    expect((await gw.cli(["approvals", "approve", chat.approvalId()!])).code).toBe(0);
    expect((await chat.done).code).toBe(0);

    const granted = (await audit("--session", "au-ok", "--kind", "approval")).find((e) => e.type === "approval.granted");
    expect(granted).toMatchObject({ actor: "user:cli", kind: "approval", aggregateId: chat.approvalId() });
    expect(granted!.chain.map((s) => [s.type, s.actor.split(":")[0]])).toEqual([
      ["approval.requested", "agent"],
      ["run.tool_call_requested", "agent"],
      ["run.started", "user"],
      ["session.user_message", "user"],
    ]);
    // The tool's own events: the agent asked for it, it started and finished after the grant.
    const tools = await audit("--session", "au-ok", "--kind", "tool");
    expect(tools.map((e) => e.type)).toEqual(["run.tool_call_requested", "run.tool_started", "run.tool_finished"]);
    expect(tools.every((e) => e.actor.startsWith("agent:"))).toBe(true);
  });

  test("a tool denied from a second client (the web UI): the denial names that client's user", async () => {
    llm.script({ toolCalls: [exec("call_d", "rm -rf x")] }, { chunks: ["ok, not doing it"] });
    const chat = startChat("au-deny", "remove x");
    await expect.poll(chat.approvalId, { timeout: 20_000 }).toBeDefined();
    expect(await ws.request("approvals.decide", { approvalId: chat.approvalId(), decision: "deny" })).toMatchObject({ ok: true });
    await chat.done;
    const denied = (await audit("--session", "au-deny", "--actor", "user")).filter((e) => e.kind === "approval");
    expect(denied.map((e) => [e.type, e.actor])).toEqual([["approval.denied", "user:web"]]);
    expect(denied[0].chain[0]).toMatchObject({ type: "approval.requested" });
  });

  test("a job run by cron acts as cron; its session's events say so", async () => {
    llm.script({ chunks: ["cron says hi"] });
    expect((await gw.cli(["cron", "add", "--name", "nightly", "--every", "1h", "--prompt", "hello"])).code).toBe(0);
    expect((await gw.cli(["cron", "run", "nightly"])).code).toBe(0);
    await expect
      .poll(async () => (await audit("--session", "cron-nightly", "--all")).map((e) => e.type), { timeout: 20_000 })
      .toContain("run.completed");
    const trail = (await audit("--all", "--limit", "40")).map((e) => [e.type, e.actor.replace(/^agent:.*/, "agent")]);
    // `cron run` is the user's doing (the claim); from there the job acts, then the agent it started.
    expect(trail.slice(trail.findIndex(([t]) => t === "cron.slot.claimed"))).toEqual([
      ["cron.slot.claimed", "user:cli"],
      ["session.created", "cron:nightly"],
      ["session.user_message", "cron:nightly"],
      ["cron.run.started", "cron:nightly"],
      ["run.started", "cron:nightly"],
      ["run.completed", "agent"],
      ["session.run_ended", "agent"],
      ["cron.run.completed", "cron:nightly"],
    ]);
    const created = (await audit("--kind", "config")).find((e) => e.type === "cron.job.created");
    expect(created).toMatchObject({ actor: "user:cli", aggregateId: "nightly" });
  });

  test("every event of the log names its actor and correlation, and the log verifies", async () => {
    const all = await audit("--all", "--limit", "10000");
    expect(all.length).toBeGreaterThan(20);
    expect(all.filter((e) => !e.actor)).toEqual([]);
    expect(all.filter((e) => !(e as { correlationId?: string }).correlationId)).toEqual([]);
    const v = await gw.cli(["log", "verify", "--json"]);
    expect(v.code).toBe(0);
    expect(JSON.parse(v.stdout)).toMatchObject({ ok: true, unchained: 0, breaks: [], mode: "gateway" });
  });

  test("events tail --session keeps the session's, its runs' and their approvals' events; --type a prefix", async () => {
    const lines = jsonLines((await gw.cli(["events", "tail", "--session", "au-ok", "--json", "-n", "1000"])).stdout);
    const kinds = new Set(lines.map((l) => l.kind));
    expect([...kinds].sort()).toEqual(["approval", "run", "session"]);
    expect(lines.filter((l) => l.kind === "session").every((l) => l.id === "au-ok")).toBe(true);
    expect(lines.map((l) => l.type)).toEqual(expect.arrayContaining(["session.user_message", "run.tool_finished", "approval.granted"]));
    const runId = lines.find((l) => l.type === "run.started").id;
    const ofRun = jsonLines((await gw.cli(["events", "tail", "--run", runId, "--type", "approval.", "--json"])).stdout);
    expect(ofRun.map((l) => l.type)).toEqual(["approval.requested", "approval.granted"]);
    expect(ofRun.every((l) => l.actor)).toBe(true);
  });

  test("events replay --to builds the read models of that moment into another dir", async () => {
    const first = jsonLines((await gw.cli(["events", "tail", "--session", "au-deny", "--from", "1", "-n", "1", "--json"])).stdout)[0];
    const before = first.seq - 1;
    const dir = mkdtempSync(join(tmpdir(), "cairn-replay-"));
    try {
      const r = await gw.cli(["events", "replay", "--to", String(before), "--into", dir, "--json"]);
      expect(r.code).toBe(0);
      const out = JSON.parse(r.stdout);
      expect(out).toMatchObject({ ok: true, events: before });
      const db = openDb(out.file).db;
      try {
        const keys = db.prepare("SELECT key FROM sessions").pluck().all();
        expect(keys).toContain("au-ok");
        expect(keys).not.toContain("au-deny");
        expect(db.prepare("SELECT MIN(seq) FROM checkpoints").pluck().get()).toBe(before);
      } finally {
        db.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("sessions at, export and import through cairn, with the gateway running", async () => {
    const lines = jsonLines((await gw.cli(["events", "tail", "--session", "au-ok", "--json", "-n", "1000"])).stdout);
    const asked = lines.find((l) => l.type === "approval.requested");
    const at = await gw.cli(["sessions", "at", "au-ok", "--seq", String(asked.seq), "--json"]);
    expect(at.stderr).toBe("");
    const view = JSON.parse(at.stdout);
    expect(view).toMatchObject({ key: "au-ok", seq: asked.seq, deleted: false });
    expect(view.toolCalls.map((c: { status: string }) => c.status)).toEqual(["awaiting_approval"]);
    expect(view.approvals.map((a: { status: string }) => a.status)).toEqual(["pending"]);
    const text = await gw.cli(["sessions", "at", "au-ok", "--time", new Date(Date.now() + 60_000).toISOString()]);
    expect(text.stdout).toMatch(/^session au-ok as of event \d+/);
    expect(text.stdout).toContain("make a file");

    const dir = mkdtempSync(join(tmpdir(), "cairn-export-"));
    try {
      const file = join(dir, "au-ok.jsonl");
      expect((await gw.cli(["sessions", "export", "au-ok", "--out", file])).code).toBe(0);
      const imported = await gw.cli(["sessions", "import", file, "--as", "au-copy", "--json"]);
      expect(imported.stderr).toBe("");
      expect(JSON.parse(imported.stdout), imported.stdout).toMatchObject({ ok: true, sessionKey: "au-copy", resumed: 0 });
      const copy = JSON.parse((await gw.cli(["sessions", "at", "au-copy", "--seq", "999999999", "--json"])).stdout);
      const original = JSON.parse((await gw.cli(["sessions", "at", "au-ok", "--seq", "999999999", "--json"])).stdout);
      expect(copy.messages.map((m: { text: string }) => m.text)).toEqual(original.messages.map((m: { text: string }) => m.text));
      // The running gateway serves the imported session like any other.
      const shown = await gw.cli(["sessions", "show", "au-copy", "--json"]);
      expect(JSON.parse(shown.stdout).session).toMatchObject({ key: "au-copy", messageCount: original.messages.length });
      // Bad input is refused with a usage-level error and a line number.
      writeFileSync(file, "{}\n");
      const bad = await gw.cli(["sessions", "import", file]);
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/line 1/);
      const md = await gw.cli(["sessions", "export", "au-ok", "--format", "markdown"]);
      expect(md.stdout).toContain("## User");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("bad filters are usage errors", async () => {
    const r = await gw.cli(["audit", "--actor", "robot"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--actor must be one of user, agent/);
  });
});
