/**
 * `exec` through a real gateway process and the `cairn` CLI: the sandbox and approval mode in the
 * banner and in `status`, approvals answered from a second CLI process, `--json` tool and approval
 * objects, the tool cards' read model over the WebSocket, Ctrl-C, and a named sandbox backend
 * that cannot run stopping the start.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { BIN, jsonLines, runCli, useGatewayWithLlm, type CliResult } from "../fixtures/gateway.ts";
import { connectWs, type WsClient } from "../fixtures/ws-client.ts";

// No docker engine for these gateways: `auto` then resolves to bubblewrap whatever else runs here.
const NO_DOCKER = "unix:///nonexistent.sock";
const cfg = mkdtempSync(join(tmpdir(), "cairn-exec-cfg-"));
writeFileSync(join(cfg, "cairn.toml"), '[tools.exec]\napproval_mode = "always"\n');

const { llm, gw } = useGatewayWithLlm({ extraEnv: { CAIRN_CONFIG_DIR: cfg, DOCKER_HOST: NO_DOCKER } });

let ws: WsClient;
beforeAll(async () => {
  ws = await connectWs(`${new URL(gw.url).origin}/ws`);
  expect(await ws.request("connect", { protocol: 1, client: { name: "exec-cli-test" } })).toMatchObject({ ok: true });
});
afterAll(async () => {
  await ws?.close();
  rmSync(cfg, { recursive: true, force: true });
});

// A chat left waiting by a failed assertion must not hold the file open, nor eat the next script.
const running = new Set<ChildProcess>();
beforeEach(() => llm.reset());
afterEach(() => {
  for (const c of running) c.kill("SIGKILL");
});

const exec = (id: string, command: string) => ({ id, name: "exec", arguments: JSON.stringify({ command }) });

/** A CLI process whose output can be watched while it runs (the chat that waits for an answer). */
const startCli = (args: string[]) => {
  const child = spawn(process.execPath, [BIN, ...args], { env: gw.env, stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  child.on("exit", () => running.delete(child));
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d) => (stdout += d));
  child.stderr.on("data", (d) => (stderr += d));
  const done = new Promise<CliResult>((resolve) => child.on("exit", (code) => resolve({ code, stdout, stderr })));
  return { child, done, stdout: () => stdout, stderr: () => stderr };
};

/** The pending approvals a text chat printed so far: command → id. */
const pendingIn = (stderr: string): Map<string, string> =>
  new Map(
    [
      ...stderr.matchAll(
        /^\? approval needed: (.+?) \(approval_mode is always\)\n {2}answer with: cairn approvals approve (\S+) {3}\(or: cairn approvals deny \2\)$/gm,
      ),
    ].map((m) => [m[1], m[2]]),
  );

describe('gateway with [tools.exec] approval_mode = "always"', () => {
  test("the banner shows the sandbox (bubblewrap, resolved from auto) and the approval mode", () => {
    expect(gw.output()).toMatch(/^ {2}sandbox {4}bubblewrap\b.*\[auto\]$/m);
    expect(gw.output()).toMatch(/^ {2}approvals {2}always$/m);
  });

  test("status over the WebSocket carries the sandbox: backend, configured, available, approval mode", async () => {
    const r = await ws.request("status", {});
    expect(r).toMatchObject({ ok: true });
    const sandbox = r.payload.sandbox;
    expect(sandbox).toMatchObject({ backend: "bubblewrap", configured: "auto", approvalMode: "always", warning: null });
    expect(sandbox.available).toEqual(expect.arrayContaining(["bubblewrap", "none"]));
    expect(sandbox.available).not.toContain("docker");
  });

  test("cairn chat prints the approval line with its id; approving from a second CLI runs the command; the chat ends 0 with the reply", async () => {
    llm.script({ toolCalls: [exec("call_touch", "touch approved.txt")] }, { chunks: ["Made the file."] });
    const chat = startCli(["chat", "-s", "ex-approve", "make a file"]);
    await expect.poll(() => pendingIn(chat.stderr()).size, { timeout: 20_000 }).toBe(1);
    expect(chat.stderr()).toMatch(/^⚙ exec {2}touch approved\.txt$/m);
    const id = pendingIn(chat.stderr()).get("touch approved.txt")!;
    expect(id).toBeDefined();
    // Nothing ran before the answer.
    expect(existsSync(join(gw.dataDir, "workspaces", "ex-approve", "approved.txt"))).toBe(false);

    const answer = await gw.cli(["approvals", "approve", id]);
    expect(answer.stderr).toBe("");
    expect(answer.code).toBe(0);
    expect(answer.stdout).toBe(`${id} granted: touch approved.txt\n`);

    const r = await chat.done;
    expect(r.code).toBe(0);
    expect(r.stdout).toBe("Made the file.\n");
    expect(r.stderr).toMatch(/^ {2}approved: touch approved\.txt$/m);
    // Who answered is on record.
    const all = jsonLines((await gw.cli(["approvals", "list", "--all", "--json"])).stdout);
    expect(all.find((a) => a.id === id)).toMatchObject({ status: "granted", decidedBy: "cli", sessionKey: "ex-approve", tool: "exec" });
    expect(r.stderr).toMatch(/^ {2}✓ exec \d+ ms \(\d+ lines?\)$/m);
    expect(existsSync(join(gw.dataDir, "workspaces", "ex-approve", "approved.txt"))).toBe(true);
    // A second answer changes nothing and says what it was decided as.
    const again = await gw.cli(["approvals", "deny", id]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/was already granted/);
  });

  test("cairn chat --json emits tool and approval objects beside the deltas and the result", async () => {
    llm.script({ toolCalls: [exec("call_echo", "echo hello > j.txt")] }, { chunks: ["ok ", "done"] });
    const chat = startCli(["chat", "-s", "ex-json", "--json", "write it"]);
    const approvalObj = () => jsonLines(chat.stdout()).find((l) => l.type === "approval" && l.status === "pending");
    await expect.poll(approvalObj, { timeout: 20_000 }).toBeDefined();
    const pending = approvalObj()!;
    expect(pending).toMatchObject({ type: "approval", status: "pending", command: "echo hello > j.txt", approvalId: expect.any(String) });
    expect((await gw.cli(["approvals", "approve", pending.approvalId])).code).toBe(0);

    const r = await chat.done;
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    const lines = jsonLines(r.stdout);
    const tools = lines.filter((l) => l.type === "tool" && l.callId === "call_echo");
    expect(tools.map((l) => l.status)).toEqual(expect.arrayContaining(["requested", "started", "finished"]));
    expect(tools.find((l) => l.status === "requested")).toMatchObject({
      name: "exec",
      arguments: JSON.stringify({ command: "echo hello > j.txt" }),
    });
    expect(lines.filter((l) => l.type === "approval").map((l) => l.status)).toEqual(["pending", "granted"]);
    expect(
      lines
        .filter((l) => l.type === "delta")
        .map((l) => l.text)
        .join(""),
    ).toBe("ok done");
    expect(lines.at(-1)).toMatchObject({ type: "result", status: "completed", error: null });
    expect(readFileSync(join(gw.dataDir, "workspaces", "ex-json", "j.txt"), "utf8")).toBe("hello\n");
  });

  test("chat.tools over the WebSocket: a granted and a denied call, in order, with status, output, duration and approval id", async () => {
    llm.script({ toolCalls: [exec("call_ok", "echo first"), exec("call_no", "rm -rf notes")] }, { chunks: ["One ran, one was refused."] });
    const chat = startCli(["chat", "-s", "ex-cards", "two things"]);
    await expect.poll(() => pendingIn(chat.stderr()).size, { timeout: 20_000 }).toBe(2);
    const ids = pendingIn(chat.stderr());
    expect((await gw.cli(["approvals", "approve", ids.get("echo first")!])).code).toBe(0);
    expect((await gw.cli(["approvals", "deny", ids.get("rm -rf notes")!, "--reason", "not that"])).code).toBe(0);
    const r = await chat.done;
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/^ {2}denied: not that$/m);

    // The read model may trail the live stream by a moment: ask until both rows have ended.
    const cards = async () => {
      const res = await ws.request("chat.tools", { sessionKey: "ex-cards" });
      expect(res).toMatchObject({ ok: true });
      return res.payload.calls as Array<Record<string, any>>;
    };
    await expect.poll(async () => (await cards()).map((c) => c.status), { timeout: 10_000 }).toEqual(["finished", "failed"]);
    const [ok, no] = await cards();
    expect(ok).toMatchObject({
      callId: "call_ok",
      name: "exec",
      status: "finished",
      isError: false,
      truncated: false,
      approvalId: ids.get("echo first"),
    });
    expect(ok.output).toBe("exit code 0\nstdout:\nfirst");
    expect(ok.durationMs).toEqual(expect.any(Number));
    expect(ok.startedAt).toEqual(expect.any(Number));
    expect(no).toMatchObject({
      callId: "call_no",
      name: "exec",
      status: "failed",
      isError: true,
      approvalId: ids.get("rm -rf notes"),
      startedAt: null,
    });
    expect(no.output).toMatch(/denied by the user: not that; the command was not run/);
    expect(ok.runId).toBe(no.runId);
  });
});

describe("Ctrl-C in cairn chat", () => {
  test("stops the run: the stopping note, exit 130, and run.cancelled by the cli in the log", async () => {
    llm.script({ hang: { text: "tick ", chunkIntervalMs: 50 } });
    const chat = startCli(["chat", "-s", "ex-sigint", "talk forever"]);
    await expect.poll(() => chat.stdout().length, { timeout: 20_000 }).toBeGreaterThan(0);
    chat.child.kill("SIGINT");
    const r = await chat.done;
    expect(r.code).toBe(130);
    expect(r.stdout).toMatch(/^(tick )+/);
    expect(r.stderr).toMatch(/cairn: stopping the reply… \(Ctrl-C again to leave now\)/);
    expect(r.stderr).toMatch(/cairn: stopped; the reply so far is kept/);

    const events = jsonLines((await gw.cli(["events", "tail", "--json", "--kind", "run", "-n", "1000"])).stdout);
    const cancelled = events.filter((e) => e.type === "run.cancelled");
    expect(cancelled).toHaveLength(1);
    expect(cancelled[0].data).toMatchObject({ by: "cli" });
  });
});

describe("a sandbox backend named in the config that cannot run", () => {
  test('backend = "docker" with no engine reachable: the gateway refuses to start, naming [tools.exec.sandbox] and what to do', async () => {
    const dir = mkdtempSync(join(tmpdir(), "cairn-exec-docker-cfg-"));
    const data = mkdtempSync(join(tmpdir(), "cairn-exec-docker-data-"));
    try {
      writeFileSync(join(dir, "cairn.toml"), '[tools.exec.sandbox]\nbackend = "docker"\n');
      const env: NodeJS.ProcessEnv = {
        ...process.env,
        CAIRN_CONFIG_DIR: dir,
        CAIRN_DATA_DIR: data,
        CAIRN_PORT: "0",
        DOCKER_HOST: NO_DOCKER,
      };
      for (const k of Object.keys(env)) if (k.startsWith("CAIRN_NATS")) delete env[k];
      const r = await runCli(["gateway"], env, 60_000);
      // A runtime failure (exit 1), not a crash or a hang.
      expect(r.code).toBe(1);
      expect(r.stdout).not.toMatch(/ready in/);
      expect(r.stderr).toMatch(/\[tools\.exec\.sandbox\] backend = "docker" cannot run here/);
      expect(r.stderr).toMatch(/Use backend = "auto" or fix the cause/);
      // It left nothing running: the embedded nats-server went with it.
      expect(existsSync(join(data, "gateway.json"))).toBe(false);
      expect(existsSync(join(data, "nats", "nats-server.pid"))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      rmSync(data, { recursive: true, force: true });
    }
  });
});
