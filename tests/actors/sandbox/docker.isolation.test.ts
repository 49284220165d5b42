import * as fs from "node:fs";
import * as http from "node:http";
import type * as net from "node:net";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Sandbox } from "../../../actors/sandbox/index.ts";
import { tryStartTestDocker } from "../../fixtures/docker.ts";
import { dockerSandboxes, hostPidsWith, makeWorkspace, token, uniqueSleep, waitUntil } from "./sandbox.fixtures.ts";

// One private dockerd for this file (skipped, with the reason, where none can run).
const docker = await tryStartTestDocker();
const engine = docker.engine;
const opts = { timeoutMs: 15_000, maxOutputBytes: 64 * 1024 };
// nc, not wget: busybox-static's wget crashes in an image without glibc's NSS modules.
const httpGet = (port: number) => `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 3 127.0.0.1 ${port}`;

describe.skipIf(docker.skip !== undefined)(`docker sandbox isolation${docker.skip ? ` (skipped: ${docker.skip})` : ""}`, () => {
  const workspace = makeWorkspace();
  const sandboxes = dockerSandboxes(engine?.socketPath);
  const dockerIn = sandboxes.in;
  const sandbox = engine ? dockerIn(workspace) : (undefined as unknown as Sandbox);
  let server: http.Server;
  let port = 0;
  let requests = 0;
  beforeAll(async () => {
    server = http.createServer((_req, res) => {
      requests++;
      res.end("hello from the host\n");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as net.AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    await sandboxes.disposeAll();
    await engine?.stop();
    fs.rmSync(workspace, { recursive: true, force: true });
  });

  it("has no network: a server on the host's loopback is unreachable, and only lo exists", async () => {
    const get = await sandbox.exec({ command: httpGet(port), ...opts });
    expect(get.exitCode).not.toBe(0);
    expect(get.stderr).toMatch(/Connection refused|Network is unreachable/); // the container's own lo
    expect(get.stdout).not.toContain("hello");
    expect(requests).toBe(0);
    const ifaces = await sandbox.exec({ command: "cat /proc/net/dev", ...opts });
    expect(ifaces.stdout).toContain("lo:");
    expect(ifaces.stdout).not.toMatch(/eth|ens|enp|wlan|docker/);
  });

  it("reaches the network only when asked (the control for the test above)", async () => {
    const open = dockerIn(workspace, { network: true, networkMode: "host" });
    expect(open.describe()).toMatchObject({ network: true });
    expect(open.describe().summary).toContain("network host");
    const get = await open.exec({ command: httpGet(port), ...opts });
    expect(get.stdout, get.stderr).toContain("hello from the host\n");
    expect(requests).toBe(1);
  });

  it("cannot write outside the workspace: read-only root, private /tmp", async () => {
    const name = `cairn-probe-${token()}`;
    for (const target of [`/etc/${name}`, `/bin/${name}`, `/${name}`, `/usr/${name}`]) {
      const r = await sandbox.exec({ command: `touch ${target}`, ...opts });
      expect(r.exitCode, target).not.toBe(0);
      expect(r.stderr, target).toMatch(/Read-only file system|Permission denied/);
    }
    const tmp = await sandbox.exec({ command: `echo x > /tmp/${name} && cat /tmp/${name}`, ...opts });
    expect(tmp).toMatchObject({ exitCode: 0, stdout: "x\n" });
    expect(fs.existsSync(`/tmp/${name}`)).toBe(false);
  });

  it("writes in the workspace appear on the host; a read-only mount refuses them", async () => {
    const r = await sandbox.exec({ command: "mkdir -p out && echo made > out/file", ...opts });
    expect(r.exitCode).toBe(0);
    expect(fs.readFileSync(path.join(workspace, "out", "file"), "utf8")).toBe("made\n");
    const ro = dockerIn(workspace, { workspaceMount: "ro" });
    expect(ro.describe().summary).toContain(`workspace ro ${fs.realpathSync(workspace)}`);
    const denied = await ro.exec({ command: "echo no > out/other; cat out/file", ...opts });
    expect(denied.stderr).toMatch(/Read-only file system/);
    expect(denied.stdout).toBe("made\n"); // still readable
    expect(fs.existsSync(path.join(workspace, "out", "other"))).toBe(false);
  });

  it("keeps the engine's default /proc masks: /proc/sys read-only, kernel files hidden (also as root)", async () => {
    const before = fs.readFileSync("/proc/sys/kernel/core_pattern", "utf8");
    const r = await sandbox.exec({
      command: "echo x > /proc/sys/kernel/core_pattern; grep ' /proc/sys ' /proc/self/mountinfo; cat /proc/timer_list 2>/dev/null | wc -c",
      ...opts,
    });
    expect(r.stderr).toMatch(/Read-only file system/);
    expect(r.stdout).toMatch(/ \/proc\/sys ro,/);
    expect(r.stdout.trim().split("\n").at(-1)).toBe("0");
    expect(fs.readFileSync("/proc/sys/kernel/core_pattern", "utf8")).toBe(before);
  });

  it("runs as the workspace owner, without capabilities", async () => {
    const root = await sandbox.exec({ command: "id -u; grep CapEff /proc/self/status", ...opts });
    expect(root.stdout).toContain(`${fs.statSync(workspace).uid}\n`);
    expect(root.stdout).toContain("CapEff:\t0000000000000000");
    // A workspace owned by a normal user: commands run as that user, files stay theirs.
    const ws = makeWorkspace();
    try {
      fs.chownSync(ws, 1000, 1000);
      const user = dockerIn(ws);
      const r = await user.exec({ command: "id -u; id -g; echo mine > f", ...opts });
      expect(r).toMatchObject({ exitCode: 0, stdout: "1000\n1000\n" });
      expect(fs.statSync(path.join(ws, "f"))).toMatchObject({ uid: 1000, gid: 1000 });
      await user.dispose();
    } finally {
      fs.rmSync(ws, { recursive: true, force: true });
    }
  });

  it("holds a pids limit against a fork bomb", async () => {
    const limited = dockerIn(workspace, { pids: 32 });
    expect(limited.describe().limits.pids).toBe("cgroup");
    // Count on the host what actually got started: the limit, not the timeout, stops the loop.
    const marker = uniqueSleep(5);
    const running = limited.exec({ command: `( for i in $(seq 100); do sleep ${marker} & done ) 2>/dev/null; exec sleep 2`, ...opts });
    await waitUntil(() => hostPidsWith(`sleep ${marker}`).length >= 20, 3_000);
    await new Promise((r) => setTimeout(r, 300));
    const counted = hostPidsWith(`sleep ${marker}`).length;
    expect(counted).toBeGreaterThanOrEqual(20); // the loop really ran
    expect(counted).toBeLessThan(32); // ...and stopped at the container's limit, far below 100
    expect((await running).exitCode).toBe(0);
    const bomb = await limited.exec({ command: "b() { b | b & }; b; sleep 2; echo done", timeoutMs: 6_000, maxOutputBytes: 4096 });
    expect(bomb.stderr).toMatch(/can't fork|Resource temporarily unavailable/);
    // The bomb's leftovers are swept: the container takes commands again.
    expect((await limited.exec({ command: "echo fine", ...opts })).stdout).toBe("fine\n");
  });

  it("holds a memory limit", async () => {
    const limited = dockerIn(workspace, { memoryMb: 64 });
    expect(limited.describe().limits.memory).toBe("cgroup");
    // biome-ignore lint/suspicious/noTemplateCurlyInString: ${#x} is the shell's string length, not a template
    const small = await limited.exec({ command: "x=$(head -c 8000000 /dev/zero | tr '\\0' a); echo ${#x}", ...opts });
    expect(small.stdout.trim()).toBe("8000000");
    // biome-ignore lint/suspicious/noTemplateCurlyInString: ${#x} is the shell's string length, not a template
    const big = await limited.exec({ command: "x=$(head -c 400000000 /dev/zero | tr '\\0' a); echo survived ${#x}", ...opts });
    expect(big.stdout).not.toContain("survived");
    expect(big.exitCode).not.toBe(0);
    expect((await limited.exec({ command: "echo still-here", ...opts })).stdout).toBe("still-here\n");
  });

  it("enforces a CPU-time limit per process", async () => {
    const limited = dockerIn(workspace, { cpuSeconds: 1 });
    expect(limited.describe().limits.cpu).toBe("rlimit");
    const r = await limited.exec({ command: "while :; do :; done", timeoutMs: 15_000, maxOutputBytes: 1024 });
    expect(r.timedOut).toBe(false);
    expect(r.exitCode).not.toBe(0);
  });
});
