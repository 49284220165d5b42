import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createSandbox, describeSandbox, NO_SANDBOX_WARNING, probeBubblewrap } from "../../../actors/sandbox/index.ts";
import { hostPidsWith, makeWorkspace, sandboxIn, token, uniqueSleep, waitUntil } from "./sandbox.fixtures.ts";

const opts = { timeoutMs: 10_000, maxOutputBytes: 64 * 1024 };

describe("bubblewrap isolation (real bwrap)", () => {
  const workspace = makeWorkspace();
  const sandbox = sandboxIn(workspace, { backend: "bubblewrap" });
  let server: net.Server;
  let port = 0;
  let connections = 0;
  beforeAll(async () => {
    server = net.createServer((s) => {
      connections++;
      s.end("hello\n");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as net.AddressInfo).port;
  });
  afterAll(async () => {
    await new Promise((r) => server.close(r));
    fs.rmSync(workspace, { recursive: true, force: true });
  });

  it("auto picks bubblewrap here, and says so", () => {
    expect(probeBubblewrap().ok).toBe(true);
    const auto = sandboxIn(workspace, { backend: "auto" });
    expect(auto.backend).toBe("bubblewrap");
    expect(auto.describe()).toMatchObject({ isolated: true, network: false });
    expect(auto.describe().warning).toBeUndefined();
    expect(describeSandbox(auto)).toMatch(/^sandbox: bubblewrap \(no network/);
  });

  it("has no network: no DNS, and a TCP server on the host's loopback is unreachable", async () => {
    const dns = await sandbox.exec({ command: "getent hosts example.com", ...opts });
    expect(dns.exitCode).not.toBe(0);
    const tcp = await sandbox.exec({ command: `bash -c 'exec 3<>/dev/tcp/127.0.0.1/${port} && cat <&3'`, ...opts });
    expect(tcp.exitCode).not.toBe(0);
    expect(tcp.stdout).not.toContain("hello");
    expect(connections).toBe(0);
    const ifaces = await sandbox.exec({ command: "cat /proc/net/dev", ...opts });
    expect(ifaces.stdout).not.toMatch(/eth|ens|enp|wlan/);
  });

  it("shares the network only when asked (the control for the test above)", async () => {
    const open = sandboxIn(workspace, { backend: "bubblewrap", network: true });
    expect(open.describe().network).toBe(true);
    const tcp = await open.exec({ command: `bash -c 'exec 3<>/dev/tcp/127.0.0.1/${port} && cat <&3'`, ...opts });
    expect(tcp.stdout).toBe("hello\n");
    expect(connections).toBe(1);
  });

  it("cannot write outside the workspace", async () => {
    const name = `cairn-probe-${token()}`;
    for (const target of [`/etc/${name}`, `/usr/${name}`, `/usr/bin/${name}`, `/${name}`]) {
      const r = await sandbox.exec({ command: `touch ${target}`, ...opts });
      expect(r.exitCode, target).not.toBe(0);
      expect(fs.existsSync(target), target).toBe(false);
    }
    // /tmp inside is private: writable, but nothing reaches the host's /tmp.
    const tmp = await sandbox.exec({ command: `echo x > /tmp/${name} && cat /tmp/${name}`, ...opts });
    expect(tmp).toMatchObject({ exitCode: 0, stdout: "x\n" });
    expect(fs.existsSync(`/tmp/${name}`)).toBe(false);
  });

  it("can write inside the workspace, visible on the host", async () => {
    const r = await sandbox.exec({ command: "mkdir -p out && echo made > out/file && ls -l out", ...opts });
    expect(r.exitCode).toBe(0);
    expect(fs.readFileSync(path.join(workspace, "out", "file"), "utf8")).toBe("made\n");
  });

  it("sees neither host secrets in /etc nor host processes, and has no capabilities", async () => {
    const r = await sandbox.exec({ command: "ls /etc; echo ---; ls /proc | grep -c '^[0-9]'; grep CapEff /proc/self/status", ...opts });
    expect(r.stdout).not.toMatch(/shadow|ssh|sudoers/);
    const [, after] = r.stdout.split("---\n");
    expect(Number(after.split("\n")[0])).toBeLessThan(10);
    expect(r.stdout).toContain("CapEff:\t0000000000000000");
  });

  it("holds a pids limit against a fork bomb", async () => {
    // Its own command ids, so its cgroups are told apart from other suites' running at the same time.
    let n = 0;
    const limited = sandboxIn(workspace, { backend: "bubblewrap", pids: 32, newId: () => `pidtest-${process.pid}-${n++}` });
    expect(limited.describe().limits.pids).not.toBe("none");
    // Count on the host what actually got started: the limit, not the timeout, is what stops it.
    // The subshell dies at the first refused fork; the parent then `exec`s (no fork) so the
    // sleeps stay alive long enough to be counted.
    const marker = uniqueSleep(5);
    const running = limited.exec({
      command: `( for i in $(seq 100); do sleep ${marker} & done ) 2>/dev/null; exec sleep 2`,
      timeoutMs: 15_000,
      maxOutputBytes: 4096,
    });
    await waitUntil(() => hostPidsWith(`sleep ${marker}`).length >= 20, 1_500);
    await new Promise((r) => setTimeout(r, 300));
    const counted = hostPidsWith(`sleep ${marker}`).length;
    expect(counted).toBeGreaterThanOrEqual(20); // the loop really ran
    expect(counted).toBeLessThanOrEqual(32); // ...and stopped at the limit, far below 100
    expect((await running).exitCode).toBe(0);
    const started = Date.now();
    const bomb = await limited.exec({ command: "b() { b | b & }; b; sleep 2; echo host-survived", timeoutMs: 4_000, maxOutputBytes: 4096 });
    expect(Date.now() - started).toBeLessThan(12_000);
    // Whether the script's own `sleep` got a pid is a race with the bomb; that forks were refused
    // and that it all ended (and the sandbox still works) is not.
    expect(bomb.stderr).toMatch(/Cannot fork|Resource temporarily unavailable/);
    expect((await limited.exec({ command: "echo fine", ...opts })).stdout).toBe("fine\n");
    // Per-command cgroups are removed once the command is gone.
    const left = ["pids", "memory", ""].flatMap((c) => {
      try {
        return fs.readdirSync(path.join("/sys/fs/cgroup", c)).filter((d) => d.startsWith(`cairn-pidtest-${process.pid}-`));
      } catch {
        return [];
      }
    });
    expect(left).toEqual([]);
  });

  it("holds a memory limit", async () => {
    const limited = sandboxIn(workspace, { backend: "bubblewrap", memoryMb: 64 });
    expect(limited.describe().limits.memory).not.toBe("none");
    // biome-ignore lint/suspicious/noTemplateCurlyInString: ${#x} is the shell's string length, not a template
    const small = await limited.exec({ command: "x=$(head -c 8000000 /dev/zero | tr '\\0' a); echo ${#x}", ...opts });
    expect(small.stdout.trim()).toBe("8000000");
    // biome-ignore lint/suspicious/noTemplateCurlyInString: ${#x} is the shell's string length, not a template
    const big = await limited.exec({ command: "x=$(head -c 400000000 /dev/zero | tr '\\0' a); echo survived ${#x}", ...opts });
    expect(big.stdout).not.toContain("survived");
    expect(big.exitCode === 0).toBe(false);
  });
});

describe("the none backend", () => {
  const workspace = makeWorkspace();
  afterAll(() => fs.rmSync(workspace, { recursive: true, force: true }));

  it("runs on the host and warns loudly wherever it is described", async () => {
    const sandbox = createSandbox({ backend: "none", workspace, outputDir: path.join(workspace, ".cairn", "outputs") });
    expect(sandbox.backend).toBe("none");
    expect(sandbox.describe()).toMatchObject({ isolated: false, warning: NO_SANDBOX_WARNING });
    expect(describeSandbox(sandbox)).toContain("commands run directly on this machine without isolation");
    const r = await sandbox.exec({ command: "echo on-host; hostname", ...opts });
    expect(r.stdout).toContain("on-host");
    expect(r.stdout).not.toContain("cairn-sandbox");
  });

  it("refuses a workspace that is not an absolute directory", () => {
    expect(() => createSandbox({ backend: "none", workspace: "relative", outputDir: "/tmp/x" })).toThrow(/absolute/);
  });
});
