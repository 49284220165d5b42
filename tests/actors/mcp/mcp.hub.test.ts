/**
 * The MCP hub with real MCP servers as child processes (tests/fixtures/mcp/server.mjs, the
 * official SDK): stdio and Streamable HTTP on loopback, a server that crashes on start, one that
 * hangs, one that changes its tool list, huge output, malformed results, a server that dies at
 * its first health check. Each server's tools go through a real ToolRegistry, as a run calls them.
 */
import { readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { MCP_RESULT_BYTES, McpHub, serverOptions, type McpServerOptions } from "../../../actors/mcp/index.ts";
import { ToolRegistry, type ToolContext } from "../../../actors/tools/index.ts";
import type { McpServerEntry, McpServerStatus } from "../../../schemas/index.ts";
import { startHttpFixture, stdioEntry } from "../../fixtures/mcp/index.ts";

const hubs: McpHub[] = [];
const cleanups: (() => void)[] = [];
afterEach(async () => {
  await Promise.all(hubs.splice(0).map((h) => h.stop()));
  for (const c of cleanups.splice(0)) c();
});

const fast = (e: McpServerEntry, more: Partial<McpServerOptions> = {}): McpServerOptions => ({
  ...serverOptions(e, "config"),
  backoffBaseMs: 20,
  backoffMaxMs: 100,
  ...more,
});

function makeHub(env: NodeJS.ProcessEnv = process.env) {
  const lines: string[] = [];
  const registry = new ToolRegistry();
  const hub = new McpHub({
    secrets: { env, key: (n) => (n === "stored" ? "from-the-key-store" : undefined) },
    report: (l) => lines.push(l),
  });
  hub.attach(registry);
  hubs.push(hub);
  return { hub, registry, lines };
}

const ctx = (signal = new AbortController().signal): ToolContext => ({ workspace: tmpdir(), signal, sessionKey: "s" });

/** Waits (polling, no fixed sleep) until the server's status satisfies `ok`. */
async function until(hub: McpHub, name: string, ok: (s: McpServerStatus) => boolean, what: string): Promise<McpServerStatus> {
  const end = Date.now() + 20_000;
  for (;;) {
    const s = hub.list().find((x) => x.name === name);
    if (s && ok(s)) return s;
    if (Date.now() > end) throw new Error(`timed out waiting for ${name} to be ${what}; now ${JSON.stringify(s)}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe("McpHub with real MCP servers", () => {
  it("a stdio server becomes ready and its tools are in the registry as mcp__<server>__<tool>, with their schema", async () => {
    const { hub, registry, lines } = makeHub();
    hub.apply([fast(stdioEntry("fx"))]);
    const s = await until(hub, "fx", (x) => x.state === "ready", "ready");
    expect(s.tools).toEqual(expect.arrayContaining(["echo", "add", "big", "slow", "peek", "fail"]));
    expect(s.pid).toBeGreaterThan(0);
    const echo = registry.get("mcp__fx__echo");
    expect(echo?.source).toBe("mcp");
    expect(echo?.dangerous).toBe(true); // approval defaults to "always" for a server not marked trusted
    const spec = registry.specs().find((t) => t.name === "mcp__fx__echo");
    expect(spec?.parameters).toEqual({ type: "object", properties: { text: { type: "string" } }, required: ["text"] });
    expect(await registry.invoke("mcp__fx__echo", JSON.stringify({ text: "hi" }), ctx())).toEqual({ ok: true, output: "echo: hi" });
    // The server's stderr reaches the gateway's log, named by the server.
    expect(lines).toContain("mcp fx: fixture echo up");
  });

  it("approval: 'smart' asks unless the tool says it only reads; 'never' and trusted servers do not ask", async () => {
    const { hub, registry } = makeHub();
    hub.apply([fast(stdioEntry("sm", "echo", { approval: "smart" })), fast(stdioEntry("tr", "echo", { trusted: true }))]);
    await until(hub, "sm", (x) => x.state === "ready", "ready");
    await until(hub, "tr", (x) => x.state === "ready", "ready");
    expect(registry.get("mcp__sm__peek")?.dangerous).toBe(false);
    expect(registry.get("mcp__sm__echo")?.dangerous).toBe(true);
    expect(registry.get("mcp__tr__echo")?.dangerous).toBe(false);
    expect(hub.tools("sm").find((t) => t.tool === "peek")).toMatchObject({ name: "mcp__sm__peek", asks: false });
  });

  it("a Streamable HTTP server on loopback, with a header read from the key store", async () => {
    const http = await startHttpFixture();
    cleanups.push(http.stop);
    const { hub, registry } = makeHub();
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a cairn secret reference, not a JS template
    hub.apply([fast({ name: "web", url: http.url, headers: { Authorization: "${key:stored}" } })]);
    const s = await until(hub, "web", (x) => x.state === "ready", "ready");
    expect(s).toMatchObject({ transport: "streamable-http", headerNames: ["Authorization"] });
    expect(JSON.stringify(s)).not.toContain("from-the-key-store");
    expect(await registry.invoke("mcp__web__add", JSON.stringify({ a: 2, b: 3 }), ctx())).toEqual({ ok: true, output: "5" });
  });

  it("a server that speaks only the legacy HTTP+SSE transport is reached by falling back from Streamable HTTP", async () => {
    const sse = await startHttpFixture({}, { legacySse: true });
    cleanups.push(sse.stop);
    const { hub, registry } = makeHub();
    hub.apply([fast({ name: "old", url: sse.url })]);
    const s = await until(hub, "old", (x) => x.state === "ready", "ready");
    expect(s).toMatchObject({ transport: "sse" });
    expect(await registry.invoke("mcp__old__add", JSON.stringify({ a: 4, b: 5 }), ctx())).toEqual({ ok: true, output: "9" });
  });

  it("a server that crashes on start is restarted with backoff, then disabled with the reason shown", async () => {
    const { hub, registry, lines } = makeHub();
    hub.apply([fast(stdioEntry("boom", "crash", { max_restart_attempts: 2 }))]);
    const s = await until(hub, "boom", (x) => x.state === "disabled", "disabled");
    expect(s.failures).toBe(3);
    expect(s.reason).toMatch(/^disabled after 3 failures in a row: .*boom: the fixture was told to crash/);
    expect(lines.filter((l) => l === "mcp boom: boom: the fixture was told to crash")).toHaveLength(3);
    expect(lines.some((l) => l.startsWith("mcp boom: backing off"))).toBe(true);
    expect(registry.list()).toEqual([]);
    // A restart starts it again, with the count reset.
    expect(hub.restart("boom").state).toBe("starting");
    await until(hub, "boom", (x) => x.state === "disabled" && x.failures === 3, "disabled again");
  });

  it("a server that never answers is given up on at the startup timeout", async () => {
    const { hub } = makeHub();
    hub.apply([fast(stdioEntry("slowpoke", "hang", { startup_timeout: 0.3, max_restart_attempts: 0 }))]);
    const s = await until(hub, "slowpoke", (x) => x.state === "disabled", "disabled");
    expect(s.reason).toMatch(/^disabled after 1 failure in a row: no answer within 0.3 s of starting/);
  });

  it("a command that does not exist is a failed start that says so", async () => {
    const { hub } = makeHub();
    hub.apply([fast({ name: "nope", command: "/nonexistent/mcp-server", max_restart_attempts: 0 })]);
    const s = await until(hub, "nope", (x) => x.state === "disabled", "disabled");
    expect(s.reason).toMatch(/command not found: \/nonexistent\/mcp-server|ENOENT/);
  });

  it("a missing secret fails the start naming the variable, not a value", async () => {
    const { hub } = makeHub({ PATH: process.env.PATH });
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a cairn secret reference, not a JS template
    hub.apply([fast(stdioEntry("sec", "echo", { env: { TOKEN: "${env:MCP_TEST_NOT_SET}" }, max_restart_attempts: 0 }))]);
    const s = await until(hub, "sec", (x) => x.state === "disabled", "disabled");
    expect(s.reason).toMatch(/TOKEN refers to the environment variable MCP_TEST_NOT_SET, which is not set/);
    expect(s.envNames).toEqual(["TOKEN"]);
  });

  it("notifications/tools/list_changed brings a new tool into the registry live", async () => {
    const { hub, registry } = makeHub();
    hub.apply([fast(stdioEntry("ch", "changing"))]);
    await until(hub, "ch", (x) => x.state === "ready", "ready");
    expect(registry.get("mcp__ch__second")).toBeUndefined();
    expect(await registry.invoke("mcp__ch__grow", "{}", ctx())).toEqual({ ok: true, output: "grown" });
    await until(hub, "ch", (x) => x.tools.includes("second"), "offering the new tool");
    expect(await registry.invoke("mcp__ch__second", "", ctx())).toEqual({ ok: true, output: "second" });
  });

  it("huge output is cut at MCP_RESULT_BYTES and marked truncated; malformed and error results are errors the model reads", async () => {
    const { hub, registry } = makeHub();
    hub.apply([fast(stdioEntry("fx")), fast(stdioEntry("bad", "malformed"))]);
    await until(hub, "fx", (x) => x.state === "ready", "ready");
    await until(hub, "bad", (x) => x.state === "ready", "ready");
    const big = await registry.invoke("mcp__fx__big", JSON.stringify({ bytes: 2_000_000 }), ctx());
    expect(big).toMatchObject({ ok: true, truncated: true });
    expect(big.ok && big.output.length).toBe(MCP_RESULT_BYTES);
    const broken = await registry.invoke("mcp__bad__broken", "{}", ctx());
    expect(broken).toMatchObject({ ok: false, error: { code: "mcp_error", details: { reason: "malformed_result" } } });
    const failed = await registry.invoke("mcp__fx__fail", "{}", ctx());
    expect(failed).toMatchObject({ ok: false, error: { code: "mcp_error", message: "fx/fail failed: the thing is broken" } });
    // The server is still fine after a malformed result.
    expect(hub.list().find((x) => x.name === "bad")?.state).toBe("ready");
  });

  it("a call over its timeout fails with `timeout`; a call whose run stops is cancelled", async () => {
    const { hub, registry } = makeHub();
    hub.apply([fast(stdioEntry("fx", "echo", { timeout: 0.2 }))]);
    await until(hub, "fx", (x) => x.state === "ready", "ready");
    const r = await registry.invoke("mcp__fx__slow", JSON.stringify({ ms: 5000 }), ctx());
    expect(r).toMatchObject({ ok: false, error: { code: "timeout" } });
    const ac = new AbortController();
    const call = registry.invoke("mcp__fx__slow", JSON.stringify({ ms: 5000 }), ctx(ac.signal));
    ac.abort();
    expect(await call).toMatchObject({ ok: false, error: { code: "run_interrupted" } });
  });

  it("a server that dies at its health check is restarted, and disabled when it keeps dying", async () => {
    const { hub, registry, lines } = makeHub();
    hub.apply([fast(stdioEntry("flaky", "flaky", { health_check_interval: 0.1, max_restart_attempts: 1 }))]);
    const s = await until(hub, "flaky", (x) => x.state === "disabled", "disabled");
    expect(s.reason).toMatch(/disabled after 2 failures in a row: the server process exited/);
    expect(lines.filter((l) => /^mcp flaky: ready/.test(l))).toHaveLength(2);
    expect(registry.list()).toEqual([]);
  });

  it("apply: a removed server stops and its tools leave the registry; a changed one restarts; a disabled one never starts", async () => {
    const log = join(tmpdir(), `mcp-hub-${process.pid}-${Date.now()}.jsonl`);
    cleanups.push(() => rmSync(log, { force: true }));
    const { hub, registry } = makeHub();
    hub.apply([fast(stdioEntry("fx", "echo", { env: { MCP_FIXTURE_LOG: log } })), fast(stdioEntry("off", "echo", { enabled: false }))]);
    const first = await until(hub, "fx", (x) => x.state === "ready", "ready");
    expect(hub.list().find((x) => x.name === "off")).toMatchObject({ state: "disabled", reason: "enabled = false" });
    await registry.invoke("mcp__fx__echo", JSON.stringify({ text: "a" }), ctx());
    hub.apply([fast(stdioEntry("fx", "echo", { env: { MCP_FIXTURE_LOG: log }, approval: "never" }))]);
    const second = await until(hub, "fx", (x) => x.state === "ready" && x.approval === "never", "ready again");
    expect(second.pid).not.toBe(first.pid);
    expect(registry.get("mcp__fx__echo")?.dangerous).toBe(false);
    await registry.invoke("mcp__fx__echo", JSON.stringify({ text: "b" }), ctx());
    const pids = readFileSync(log, "utf8")
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l).pid);
    expect(pids).toEqual([first.pid, second.pid]);
    hub.apply([]);
    expect(hub.list()).toEqual([]);
    expect(registry.list()).toEqual([]);
  });
});
