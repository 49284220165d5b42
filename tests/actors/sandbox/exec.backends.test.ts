import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import type { Sandbox } from "../../../actors/sandbox/index.ts";
import { CairnError } from "../../../schemas/errors.ts";
import { hostPidsWith, makeWorkspace, sandboxIn, token, uniqueSleep, waitUntil } from "./sandbox.fixtures.ts";

// Behaviour every backend shares, run for real against both.
describe.each(["bubblewrap", "none"] as const)("exec on the %s backend", (backend) => {
  const workspace = makeWorkspace();
  const sandbox: Sandbox = sandboxIn(workspace, { backend });
  const run = (command: string, extra: Partial<Parameters<Sandbox["exec"]>[0]> = {}) =>
    sandbox.exec({ command, timeoutMs: 10_000, maxOutputBytes: 64 * 1024, ...extra });
  afterAll(() => fs.rmSync(workspace, { recursive: true, force: true }));

  it("is the backend it was asked for", () => expect(sandbox.backend).toBe(backend));

  it("returns stdout, stderr and the exit code", async () => {
    const r = await run("echo hello; echo oops >&2; exit 7");
    expect(r).toMatchObject({
      exitCode: 7,
      signal: null,
      stdout: "hello\n",
      stderr: "oops\n",
      truncated: false,
      timedOut: false,
      aborted: false,
    });
    expect(r.fullOutputPath).toBeUndefined();
    expect((await run("true")).exitCode).toBe(0);
  });

  it("streams output as it arrives", async () => {
    const seen: string[] = [];
    await run("echo one; echo two >&2", { onOutput: (s, c) => seen.push(`${s}:${c}`) });
    expect(seen.join("")).toContain("stdout:one\n");
    expect(seen.join("")).toContain("stderr:two\n");
  });

  it("starts in the workspace, or a directory inside it, and refuses to leave it", async () => {
    fs.mkdirSync(path.join(workspace, "sub"), { recursive: true });
    fs.symlinkSync("/etc", path.join(workspace, "escape"));
    expect((await run("pwd")).stdout.trim()).toBe(fs.realpathSync(workspace));
    expect((await run("pwd", { cwd: "sub" })).stdout.trim()).toBe(path.join(fs.realpathSync(workspace), "sub"));
    for (const cwd of ["../", "..", "sub/../../", "/etc", "escape", "missing"]) {
      await expect(run("pwd", { cwd })).rejects.toSatisfy((e: unknown) => e instanceof CairnError && e.code === "bad_request");
    }
  });

  it("passes no secrets and no loader variables, and HOME is the workspace", async () => {
    const saved = { ...process.env };
    process.env.OPENAI_API_KEY = "sk-parent-secret";
    process.env.CAIRN_TEST_SECRET = "parent-secret";
    process.env.LD_PRELOAD = "/nonexistent/preload.so";
    try {
      const r = await run("env", { env: { MY_VAR: "visible", GITHUB_TOKEN: "ghp_request", LD_LIBRARY_PATH: "/evil" } });
      expect(r.stdout).toContain("MY_VAR=visible");
      expect(r.stdout).toContain(`HOME=${fs.realpathSync(workspace)}`);
      for (const leaked of ["sk-parent-secret", "parent-secret", "LD_PRELOAD", "LD_LIBRARY_PATH", "ghp_request", "CAIRN_"]) {
        expect(r.stdout).not.toContain(leaked);
      }
      expect(r.droppedEnv).toEqual(["GITHUB_TOKEN (secret)", "LD_LIBRARY_PATH (hijack)"]);
    } finally {
      for (const k of ["OPENAI_API_KEY", "CAIRN_TEST_SECRET", "LD_PRELOAD"]) if (!(k in saved)) delete process.env[k];
    }
  });

  it("kills a timed-out command with its children: no orphan is left", async () => {
    const child = uniqueSleep(60);
    const started = Date.now();
    const r = await run(`sleep ${child} & sleep ${uniqueSleep(61)}; echo never`, { timeoutMs: 400 });
    expect(r.timedOut).toBe(true);
    expect(r.exitCode === null || r.exitCode !== 0).toBe(true);
    expect(r.stdout).not.toContain("never");
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await waitUntil(() => hostPidsWith(`sleep ${child}`).length === 0, 2_000)).toBe(true);
  });

  it("a command that exits does not leave its background processes behind", async () => {
    const child = uniqueSleep(60);
    const r = await run(`sleep ${child} & echo started`, { timeoutMs: 5_000 });
    expect(r).toMatchObject({ exitCode: 0, timedOut: false, stdout: "started\n" });
    expect(await waitUntil(() => hostPidsWith(`sleep ${child}`).length === 0, 2_000)).toBe(true);
  });

  it("caps the output and keeps the full output retrievable", async () => {
    const r = await run("head -c 100000 /dev/zero | tr '\\0' a; echo; echo END; echo tail-err >&2", { maxOutputBytes: 1000 });
    expect(r.truncated).toBe(true);
    expect(r.stdout.length + r.stderr.length).toBeLessThanOrEqual(1000);
    expect(r.stdout).toBe("a".repeat(1000));
    expect(r.fullOutputPath).toBeDefined();
    expect(path.dirname(r.fullOutputPath!)).toBe(path.join(workspace, ".cairn", "outputs"));
    const full = fs.readFileSync(r.fullOutputPath!, "utf8");
    expect(full).toContain("a".repeat(100000));
    expect(full).toContain("END\n");
    expect(full).toContain("tail-err\n");
  });

  it("stops when the caller aborts", async () => {
    const ac = new AbortController();
    const marker = uniqueSleep(30);
    setTimeout(() => ac.abort(), 300);
    const started = Date.now();
    const r = await run(`sleep ${marker}`, { signal: ac.signal });
    expect(r).toMatchObject({ aborted: true, timedOut: false });
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await waitUntil(() => hostPidsWith(`sleep ${marker}`).length === 0, 2_000)).toBe(true);
    const already = await run("echo never", { signal: AbortSignal.abort() });
    expect(already).toMatchObject({ aborted: true, stdout: "" });
  });

  it("writes inside the workspace are visible on the host", async () => {
    const name = `made-${token()}`;
    expect((await run(`echo inside > ${name}`)).exitCode).toBe(0);
    expect(fs.readFileSync(path.join(workspace, name), "utf8")).toBe("inside\n");
  });

  it("enforces a CPU-time limit", async () => {
    const limited = sandboxIn(workspace, { backend, cpuSeconds: 1 });
    const started = Date.now();
    const r = await limited.exec({ command: "while :; do :; done", timeoutMs: 15_000, maxOutputBytes: 1024 });
    expect(r.timedOut).toBe(false);
    expect(r.exitCode === 0).toBe(false);
    expect(Date.now() - started).toBeLessThan(10_000);
  });
});
