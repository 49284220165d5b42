/**
 * Several nodes at once, each a real `cairn node add --foreground` process with its own home, key
 * and data dir, against a real gateway process: three pair while the window is open, the gateway
 * owner sees three pending requests with the fingerprints the machines printed, approves two and
 * rejects one (that machine is told and gives up), the two approved are online with telemetry; a
 * disabled window refuses the next machine. Then a command on one of them sees only the safe
 * environment: the gateway's LANG is forwarded, a secret in the gateway's environment is not; and
 * revoking the other one mid-command ends that command's tool call as "went offline" while the run
 * goes on to its answer.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import type { NodeSummary, PairingWindow } from "../../schemas/index.ts";
import { jsonLines, useGatewayWithLlm } from "../fixtures/gateway.ts";
import { startNodeProc, type NodeProc } from "../fixtures/node.ts";
import { connectWs } from "../fixtures/ws-client.ts";

const cfg = mkdtempSync(join(tmpdir(), "cairn-nodesmulti-cfg-"));
writeFileSync(join(cfg, "cairn.toml"), '[tools.exec]\napproval_mode = "never"\n');
// A LANG unlike the nodes' own (C.UTF-8, from the fixture) so forwarding is visible.
const GATEWAY_LANG = "en_GB.UTF-8";
const { llm, gw } = useGatewayWithLlm({
  extraEnv: { CAIRN_CONFIG_DIR: cfg, DOCKER_HOST: "unix:///nonexistent.sock", LANG: GATEWAY_LANG, MY_TOKEN: "secret-gateway-token" },
});

const procs: NodeProc[] = [];
afterAll(async () => {
  await Promise.allSettled(procs.map((p) => p.dispose()));
  rmSync(cfg, { recursive: true, force: true });
});

const nodeList = async () => jsonLines<NodeSummary>((await gw.cli(["node", "list", "--json"])).stdout);
const waitFor = async <T>(what: string, check: () => Promise<T | undefined>, timeoutMs: number): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
};

describe("three nodes pairing at once", () => {
  const ids = ["alpha", "bravo", "charlie"];
  const fingerprints = new Map<string, string>();

  test("the window's close time is shown; three machines ask; pending lists them with the fingerprints they printed", async () => {
    const opened = await gw.cli(["node", "pairing", "enable", "--minutes", "3", "--json"]);
    expect(opened.code).toBe(0);
    const window = JSON.parse(opened.stdout) as PairingWindow;
    expect(window.open).toBe(true);
    // It closes itself: `until` is three minutes out, and status reports the same time.
    expect(window.until! - Date.now()).toBeGreaterThan(2 * 60_000);
    expect(window.until! - Date.now()).toBeLessThanOrEqual(3 * 60_000);
    const status = await gw.cli(["node", "pairing", "status", "--json"]);
    expect(JSON.parse(status.stdout)).toEqual(window);
    expect((await gw.cli(["node", "pairing", "status"])).stdout).toMatch(
      /^pairing is open until \d{4}-\d\d-\d\d \d\d:\d\d:\d\d \(\d min left\)/,
    );

    for (const id of ids) procs.push(await startNodeProc({ host: gw.url, name: `Node ${id}`, nodeId: id, env: { LANG: "C.UTF-8" } }));
    for (const [i, p] of procs.entries()) {
      fingerprints.set(ids[i]!, await p.fingerprint());
      await p.waitForLine(/waiting for approval on the gateway/);
    }
    // Three different machines, three different keys.
    expect(new Set(fingerprints.values()).size).toBe(3);

    const pending = jsonLines<NodeSummary>((await gw.cli(["node", "pending", "--json"])).stdout);
    expect(pending.map((n) => n.nodeId).sort()).toEqual(ids);
    for (const n of pending) expect(n.fingerprint).toBe(fingerprints.get(n.nodeId));
    const table = (await gw.cli(["node", "pending"])).stdout;
    for (const n of pending) expect(table).toContain(n.requestId!);
    for (const f of fingerprints.values()) expect(table).toContain(f);
  }, 60_000);

  test("approve two, reject one: the rejected machine is told and exits non-zero; the two are online with telemetry", async () => {
    const pending = jsonLines<NodeSummary>((await gw.cli(["node", "pending", "--json"])).stdout);
    const req = (id: string) => pending.find((n) => n.nodeId === id)!.requestId!;
    expect((await gw.cli(["node", "approve", req("alpha")])).code).toBe(0);
    expect((await gw.cli(["node", "reject", req("charlie")])).code).toBe(0);
    expect((await gw.cli(["node", "approve", req("bravo")])).code).toBe(0);

    const [alpha, bravo, charlie] = procs;
    expect(await charlie!.exited).not.toBe(0);
    expect(charlie!.stderr()).toContain("the gateway rejected this pairing request");
    expect(charlie!.stdout()).not.toMatch(/ connected /);
    await alpha!.waitForLine(/ connected /);
    await bravo!.waitForLine(/ connected /);

    const nodes = await waitFor(
      "both approved nodes online with telemetry",
      async () => {
        const all = await nodeList();
        const ok = ["alpha", "bravo"].every((id) => all.some((n) => n.nodeId === id && n.online && n.telemetry !== null));
        return ok ? all : undefined;
      },
      10_000,
    );
    const by = new Map(nodes.map((n) => [n.nodeId, n]));
    for (const id of ["alpha", "bravo"]) {
      const n = by.get(id)!;
      expect(n).toMatchObject({
        status: "approved",
        online: true,
        fingerprint: fingerprints.get(id),
        workingDir: procs[ids.indexOf(id)]!.workingDir,
      });
      expect(n.telemetry!.cpus).toBeGreaterThan(0);
      expect(n.telemetry!.memTotal).toBeGreaterThan(0);
    }
    expect(by.get("charlie")).toMatchObject({ status: "rejected", online: false, telemetry: null });
    // The human table says the same.
    const table = (await gw.cli(["node", "list"])).stdout;
    expect(table).toMatch(/alpha\s+Node alpha\s+approved\s+yes/);
    expect(table).toMatch(/charlie\s+Node charlie\s+rejected\s+no/);
  }, 60_000);

  test("disabling the window refuses the next machine with pairing_closed, and nothing about it is stored", async () => {
    const closed = await gw.cli(["node", "pairing", "disable", "--json"]);
    expect(JSON.parse(closed.stdout)).toEqual({ open: false, until: null });
    expect((await gw.cli(["node", "pairing", "status"])).stdout).toBe("pairing is closed\n");
    const late = await startNodeProc({ host: gw.url, name: "Late", nodeId: "delta" });
    procs.push(late);
    expect(await late.exited).toBe(1);
    expect(late.stderr()).toContain("[pairing_closed]");
    expect(late.stderr()).toContain("cairn node pairing enable");
    expect((await nodeList()).map((n) => n.nodeId).sort()).toEqual(["alpha", "bravo", "charlie"]);
  }, 30_000);
});

describe("env filtering on a node, end to end", () => {
  test("a command on the node sees the gateway's LANG, never a secret from the gateway's environment", async () => {
    // Routed over the WebSocket protocol, as the chat header's node selector does.
    const ws = await connectWs(`${gw.url.replace(/^http/, "ws").replace(/\/$/, "")}/ws`);
    try {
      expect((await ws.request("connect", { protocol: 1, client: { name: "nodes-multi" } })).ok).toBe(true);
      expect((await gw.cli(["chat", "-s", "envcheck", "hello"], { timeoutMs: 30_000 })).code).toBe(0);
      const set = await ws.request("sessions.setNode", { sessionKey: "envcheck", node: "alpha" });
      expect(set.ok).toBe(true);
    } finally {
      ws.destroy();
    }
    llm.script({ toolCalls: [{ id: "e1", name: "exec", arguments: JSON.stringify({ command: "env" }) }] }, { chunks: ["done"] });
    const chat = await gw.cli(["chat", "-s", "envcheck", "show the environment"], { timeoutMs: 60_000 });
    expect(chat.code).toBe(0);
    // The tool result the model got back (the second request carries it).
    const body = JSON.stringify(llm.requests.at(-1)!.body);
    const result = JSON.parse(body) as { messages: Array<{ role: string; content: unknown }> };
    const tool = result.messages
      .filter((m) => m.role === "tool")
      .map((m) => String(m.content))
      .at(-1)!;
    expect(tool).toContain("ran on node Node alpha (alpha)");
    expect(tool).toContain(`LANG=${GATEWAY_LANG}`);
    expect(tool).not.toContain("MY_TOKEN");
    expect(tool).not.toContain("secret-gateway-token");
    expect(tool).not.toContain("OPENAI_API_KEY");
  }, 90_000);
});

describe("revocation while a command runs on a node", () => {
  test("the tool result says the node went offline, the run goes on to its answer, the command ran once", async () => {
    const bravo = procs[1]!;
    expect((await gw.cli(["chat", "-s", "revokecheck", "hello"], { timeoutMs: 30_000 })).code).toBe(0);
    const ws = await connectWs(`${gw.url.replace(/^http/, "ws").replace(/\/$/, "")}/ws`);
    try {
      expect((await ws.request("connect", { protocol: 1, client: { name: "nodes-multi" } })).ok).toBe(true);
      expect((await ws.request("sessions.setNode", { sessionKey: "revokecheck", node: "bravo" })).ok).toBe(true);
    } finally {
      ws.destroy();
    }
    const flag = join(bravo.workingDir, "started.log");
    llm.script(
      { toolCalls: [{ id: "r1", name: "exec", arguments: JSON.stringify({ command: "echo started >> started.log; sleep 30" }) }] },
      { chunks: ["the node left"] },
    );
    const before = llm.requests.length;
    // A 20 s budget for the whole turn: a hang on the vanished node would fail here.
    const chat = gw.cli(["chat", "-s", "revokecheck", "run the long job"], { timeoutMs: 20_000 });
    await waitFor("the command to start on the node", async () => (existsSync(flag) ? true : undefined), 10_000);
    expect((await gw.cli(["node", "revoke", "bravo"])).code).toBe(0);
    const r = await chat;
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("the node left");
    // Two model calls for the turn: the one asking for exec, the one given the offline result.
    expect(llm.requests.length - before).toBe(2);
    const messages = (llm.requests.at(-1)!.body as { messages: Array<{ role: string; content: unknown }> }).messages;
    const tool = messages
      .filter((m) => m.role === "tool")
      .map((m) => String(m.content))
      .at(-1)!;
    expect(tool).toContain("error [node_offline]: node Node bravo (bravo) went offline during the command; it was not re-run");
    expect(readFileSync(flag, "utf8")).toBe("started\n");
    await bravo.waitForLine(/disconnected/);
    expect(await nodeList()).toContainEqual(expect.objectContaining({ nodeId: "bravo", status: "revoked", online: false }));
  }, 60_000);
});
