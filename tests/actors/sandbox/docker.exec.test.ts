import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { detectSandboxBackends, reapSandboxContainers, SANDBOX_LABEL, type Sandbox } from "../../../actors/sandbox/index.ts";
import { CairnError } from "../../../schemas/errors.ts";
import { tryStartTestDocker } from "../../fixtures/docker.ts";
import { dockerSandboxes, hostPidsWith, makeWorkspace, token, uniqueSleep, waitUntil } from "./sandbox.fixtures.ts";

// One private dockerd for this file (skipped, with the reason, where none can run).
const docker = await tryStartTestDocker();
const engine = docker.engine;

describe.skipIf(docker.skip !== undefined)(
  `the docker sandbox backend: exec contract${docker.skip ? ` (skipped: ${docker.skip})` : ""}`,
  () => {
    const workspace = makeWorkspace();
    const sandboxes = dockerSandboxes(engine?.socketPath);
    const dockerIn = sandboxes.in;
    const sandbox = engine ? dockerIn(workspace) : (undefined as unknown as Sandbox);
    const run = (command: string, extra: Partial<Parameters<Sandbox["exec"]>[0]> = {}) =>
      sandbox.exec({ command, timeoutMs: 10_000, maxOutputBytes: 64 * 1024, ...extra });
    const labelled = async (): Promise<string[]> =>
      (await engine!.client.listContainers({ all: true, filters: { label: [`${SANDBOX_LABEL}=1`] } })).map((c) => c.Id);

    afterAll(async () => {
      await sandboxes.disposeAll();
      await engine?.stop();
      fs.rmSync(workspace, { recursive: true, force: true });
    });

    it("runs commands in a container: stdout and stderr apart, the exit code, output streamed", async () => {
      expect(sandbox.backend).toBe("docker");
      const seen: string[] = [];
      const r = await run("echo hello; echo oops >&2; hostname; exit 7", { onOutput: (s, c) => seen.push(`${s}:${c}`) });
      expect(r).toMatchObject({
        exitCode: 7,
        signal: null,
        stdout: "hello\ncairn-sandbox\n",
        stderr: "oops\n",
        truncated: false,
        timedOut: false,
        aborted: false,
      });
      expect(seen.join("")).toContain("stdout:hello\n");
      expect(seen.join("")).toContain("stderr:oops\n");
      expect((await run("true")).exitCode).toBe(0);
    });

    it("describes itself: isolated, no network, limits by the container's cgroup", () => {
      const limited = dockerIn(workspace, { memoryMb: 128, pids: 64 });
      expect(limited.describe()).toMatchObject({
        backend: "docker",
        isolated: true,
        network: false,
        limits: { memory: "cgroup", pids: "cgroup", cpu: "none" },
      });
      expect(limited.describe().warning).toBeUndefined();
      expect(limited.describe().summary).toBe(
        `sandbox: docker (image cairn-sandbox:latest, no network, read-only root, workspace rw ${fs.realpathSync(workspace)}; memory 128 MiB, pids 64)`,
      );
    });

    it("starts in the workspace (same path inside), or a directory inside it, and refuses to leave it", async () => {
      fs.mkdirSync(path.join(workspace, "sub"), { recursive: true });
      fs.symlinkSync("/etc", path.join(workspace, "escape"));
      expect((await run("pwd")).stdout.trim()).toBe(fs.realpathSync(workspace));
      expect((await run("pwd", { cwd: "sub" })).stdout.trim()).toBe(path.join(fs.realpathSync(workspace), "sub"));
      for (const cwd of ["..", "sub/../../", "/etc", "escape", "missing"]) {
        await expect(run("pwd", { cwd })).rejects.toSatisfy((e: unknown) => e instanceof CairnError && e.code === "bad_request");
      }
    });

    it("passes no secrets and no loader variables, and HOME is the workspace", async () => {
      const hostEnv = {
        PATH: "/host/only/bin",
        LANG: "C.UTF-8",
        OPENAI_API_KEY: "sk-parent-secret",
        CAIRN_TEST_SECRET: "parent-secret",
        LD_PRELOAD: "/x.so",
      };
      const s = dockerIn(workspace, { hostEnv });
      const r = await s.exec({
        command: "env",
        env: { MY_VAR: "visible", GITHUB_TOKEN: "ghp_request", LD_LIBRARY_PATH: "/evil" },
        timeoutMs: 10_000,
        maxOutputBytes: 65536,
      });
      expect(r.stdout).toContain("MY_VAR=visible");
      expect(r.stdout).toContain("LANG=C.UTF-8");
      expect(r.stdout).toContain(`HOME=${fs.realpathSync(workspace)}`);
      for (const leaked of [
        "sk-parent-secret",
        "parent-secret",
        "LD_PRELOAD",
        "LD_LIBRARY_PATH",
        "ghp_request",
        "CAIRN_",
        "/host/only/bin",
      ]) {
        expect(r.stdout).not.toContain(leaked);
      }
      expect(r.droppedEnv).toEqual(["GITHUB_TOKEN (secret)", "LD_LIBRARY_PATH (hijack)"]);
    });

    it("kills a timed-out command with its children, and the container keeps working", async () => {
      const child = uniqueSleep(60);
      const r = await run(`sleep ${child} & sleep ${uniqueSleep(61)}; echo never`, { timeoutMs: 400 });
      expect(r).toMatchObject({ timedOut: true, exitCode: null, signal: "SIGTERM" });
      expect(r.stdout).not.toContain("never");
      // Bounded so a leak fails the test; generous, as a loaded machine takes its time to reap.
      expect(await waitUntil(() => hostPidsWith(`sleep ${child}`).length === 0, 10_000)).toBe(true);
      // A command that ignores SIGTERM gets SIGKILL after the grace.
      const marker = uniqueSleep(62);
      const stubborn = await run(`trap '' TERM; sleep ${marker}`, { timeoutMs: 300 });
      expect(stubborn).toMatchObject({ timedOut: true, exitCode: null });
      expect(await waitUntil(() => hostPidsWith(`sleep ${marker}`).length === 0, 10_000)).toBe(true);
      expect((await run("echo alive")).stdout).toBe("alive\n");
    });

    it("a command that exits does not leave its background processes behind", async () => {
      const child = uniqueSleep(60);
      const r = await run(`sleep ${child} & echo started`, { timeoutMs: 5_000 });
      expect(r).toMatchObject({ exitCode: 0, timedOut: false, stdout: "started\n" });
      // Bounded so a leak fails the test; generous, as a loaded machine takes its time to reap.
      expect(await waitUntil(() => hostPidsWith(`sleep ${child}`).length === 0, 10_000)).toBe(true);
    });

    it("stops when the caller aborts", async () => {
      const ac = new AbortController();
      const marker = uniqueSleep(30);
      const running = run(`echo go; sleep ${marker}`, { signal: ac.signal, onOutput: () => ac.abort() });
      const r = await running;
      expect(r).toMatchObject({ aborted: true, timedOut: false, exitCode: null });
      expect(await waitUntil(() => hostPidsWith(`sleep ${marker}`).length === 0, 10_000)).toBe(true);
      expect(await run("echo never", { signal: AbortSignal.abort() })).toMatchObject({ aborted: true, stdout: "" });
    });

    it("caps the output and keeps the full output in the output dir", async () => {
      const r = await run("head -c 100000 /dev/zero | tr '\\0' a; echo; echo END; echo tail-err >&2", { maxOutputBytes: 1000 });
      expect(r.truncated).toBe(true);
      // One cap on both streams; which one's bytes come first across two pipes is the engine's call.
      expect(r.stdout.length + r.stderr.length).toBe(1000);
      expect(r.stdout).toMatch(/^a{900,}$/);
      expect(path.dirname(r.fullOutputPath!)).toBe(path.join(workspace, ".cairn", "outputs"));
      const full = fs.readFileSync(r.fullOutputPath!, "utf8");
      // The engine reads the two pipes separately: stderr's line may land inside stdout's run.
      expect(full).toContain("tail-err\n");
      expect(full.replace("tail-err\n", "")).toContain(`${"a".repeat(100000)}\nEND\n`);
    });

    it("reuses one container per sandbox, and dispose removes it", async () => {
      const ws = makeWorkspace();
      try {
        const s = dockerIn(ws);
        const before = await labelled();
        expect((await s.exec({ command: "echo kept > /tmp/state", timeoutMs: 10_000, maxOutputBytes: 1024 })).exitCode).toBe(0);
        expect((await s.exec({ command: "cat /tmp/state", timeoutMs: 10_000, maxOutputBytes: 1024 })).stdout).toBe("kept\n");
        const mine = (await labelled()).filter((id) => !before.includes(id));
        expect(mine).toHaveLength(1);
        const info = await engine!.client.getContainer(mine[0]).inspect();
        expect(info.Config.Labels).toMatchObject({ [SANDBOX_LABEL]: "1", "cairn.workspace": fs.realpathSync(ws) });
        await s.dispose();
        expect(await labelled()).not.toContain(mine[0]);
        // Used again after dispose: a fresh container, /tmp is new.
        expect(
          (await s.exec({ command: "cat /tmp/state 2>/dev/null || echo fresh", timeoutMs: 10_000, maxOutputBytes: 1024 })).stdout,
        ).toBe("fresh\n");
        await s.dispose();
      } finally {
        fs.rmSync(ws, { recursive: true, force: true });
      }
    });

    it("mounts a workspace whose path has ':', ',' and spaces", async () => {
      const odd = path.join(workspace, "a:b,c d");
      fs.mkdirSync(odd);
      const s = dockerIn(odd);
      const r = await s.exec({ command: "pwd; echo ok > f", timeoutMs: 10_000, maxOutputBytes: 1024 });
      expect(r).toMatchObject({ exitCode: 0, stdout: `${fs.realpathSync(odd)}\n` });
      expect(fs.readFileSync(path.join(odd, "f"), "utf8")).toBe("ok\n");
      await s.dispose();
    });

    it("starts a fresh container when its container was removed behind its back", async () => {
      const ws = makeWorkspace();
      try {
        const s = dockerIn(ws);
        const before = await labelled();
        await s.exec({ command: "true", timeoutMs: 10_000, maxOutputBytes: 1024 });
        const [id] = (await labelled()).filter((c) => !before.includes(c));
        await engine!.client.getContainer(id).remove({ force: true });
        expect((await s.exec({ command: "echo again", timeoutMs: 10_000, maxOutputBytes: 1024 })).stdout).toBe("again\n");
      } finally {
        fs.rmSync(ws, { recursive: true, force: true });
      }
    });

    it("reapSandboxContainers removes the containers a crashed gateway left behind, only its own instance's", async () => {
      const ws = makeWorkspace();
      try {
        const [gone, kept] = [`gw-${token()}`, `gw-${token()}`];
        const crashed = dockerIn(ws, { instance: gone });
        const other = dockerIn(ws, { instance: kept });
        await crashed.exec({ command: "true", timeoutMs: 10_000, maxOutputBytes: 1024 });
        await other.exec({ command: "true", timeoutMs: 10_000, maxOutputBytes: 1024 });
        const byInstance = async (i: string) =>
          (await engine!.client.listContainers({ all: true, filters: { label: [`cairn.instance=${i}`] } })).map((c) => c.Id);
        const [a] = await byInstance(gone);
        const [b] = await byInstance(kept);
        expect(a).toBeDefined();
        expect(b).toBeDefined();
        // The gateway "crashed": no dispose. Its next start reaps by its instance label.
        expect(await reapSandboxContainers({ socketPath: engine!.socketPath, instance: gone })).toEqual([a]);
        expect(await labelled()).toContain(b);
        expect(await labelled()).not.toContain(a);
        expect(await reapSandboxContainers({ socketPath: engine!.socketPath })).toContain(b);
        expect(await labelled()).toEqual([]);
        expect(await reapSandboxContainers({ socketPath: "/nonexistent/docker.sock" })).toEqual([]);
      } finally {
        fs.rmSync(ws, { recursive: true, force: true });
      }
    });

    it("detectSandboxBackends: docker first when the engine answers and the image is local", async () => {
      const found = await detectSandboxBackends({ socketPath: engine!.socketPath });
      expect(found.available[0]).toBe("docker");
      expect(found.strongest).toBe("docker");
      expect(found.available).toContain("none");
      expect(found.reasons.docker).toContain("cairn-sandbox:latest");
    });

    it("detectSandboxBackends says why docker is unavailable: wrong socket, missing image", async () => {
      const wrong = await detectSandboxBackends({ socketPath: "/nonexistent/docker.sock" });
      expect(wrong.available).not.toContain("docker");
      expect(wrong.strongest).not.toBe("docker");
      expect(wrong.reasons.docker).toMatch(/no Docker or Podman socket at \/nonexistent\/docker\.sock/);
      const noImage = await detectSandboxBackends({ socketPath: engine!.socketPath, image: "cairn-missing:1" });
      expect(noImage.available).not.toContain("docker");
      expect(noImage.reasons.docker).toMatch(/image cairn-missing:1 is not on this engine .*never pulls.*busybox-static/);
    });

    it("an unreachable engine or a missing image fails the first exec with `unavailable` and what to do", async () => {
      const ws = makeWorkspace();
      try {
        const noEngine = dockerIn(ws, { socketPath: "/nonexistent/docker.sock" });
        await expect(noEngine.exec({ command: "true", timeoutMs: 5_000, maxOutputBytes: 1024 })).rejects.toSatisfy(
          (e: unknown) => e instanceof CairnError && e.code === "unavailable" && /start the engine/.test(e.message),
        );
        const noImage = dockerIn(ws, { image: "cairn-missing:1" });
        await expect(noImage.exec({ command: "true", timeoutMs: 5_000, maxOutputBytes: 1024 })).rejects.toSatisfy(
          (e: unknown) => e instanceof CairnError && e.code === "unavailable" && /never pulls/.test(e.message),
        );
      } finally {
        fs.rmSync(ws, { recursive: true, force: true });
      }
    });
  },
);
