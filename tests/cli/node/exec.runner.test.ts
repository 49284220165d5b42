import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { confineCwd, runNodeExec } from "../../../cli/node/index.ts";
import type { NodeExecRequest } from "../../../schemas/nodes.ts";

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), "cairn-node-exec-"));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const req = (command: string, more: Partial<NodeExecRequest> = {}): NodeExecRequest => ({
  execId: "e1",
  command,
  timeoutMs: 30_000,
  env: {},
  maxOutputBytes: 64 * 1024,
  ...more,
});

const ctx = (workingDir: string, more: Record<string, unknown> = {}) => ({
  workingDir,
  maxTimeoutSeconds: 300,
  outputDir: join(workingDir, ".out"),
  hostEnv: { PATH: process.env.PATH, HOME: "/root", SECRET_TOKEN: "t0ken", FOO: "bar" },
  home: workingDir,
  ...more,
});

describe("node exec runner", () => {
  it("runs in the working dir or a folder inside it, never outside (.., absolute, symlink)", async () => {
    const root = tmp();
    mkdirSync(join(root, "sub"));
    const outside = tmp();
    symlinkSync(outside, join(root, "link"));
    expect(confineCwd(root, undefined)).toBe(root);
    expect(confineCwd(root, "sub")).toBe(join(root, "sub"));
    expect(() => confineCwd(root, "..")).toThrow(/outside the node's working directory/);
    expect(() => confineCwd(root, outside)).toThrow(/outside/);
    expect(() => confineCwd(root, "link")).toThrow(/outside/);
    expect(() => confineCwd(root, "missing")).toThrow(/does not exist/);
    const done = await runNodeExec(req("pwd"), confineCwd(root, "sub"), ctx(root));
    expect(done.stdout.trim()).toBe(join(root, "sub"));
    expect(done.exitCode).toBe(0);
  });

  it("forwards only TERM, LANG and LC_* from the request, and none of the node's secrets", async () => {
    const root = tmp();
    const done = await runNodeExec(
      req("env", {
        env: { TERM: "xterm-256color", LANG: "C.UTF-8", LC_ALL: "C", FOO: "from-gateway", LD_PRELOAD: "/x.so", PATH: "/evil" },
      }),
      root,
      ctx(root),
    );
    const env = Object.fromEntries(
      done.stdout
        .trim()
        .split("\n")
        .map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)]),
    );
    expect(env.TERM).toBe("xterm-256color");
    expect(env.LANG).toBe("C.UTF-8");
    expect(env.LC_ALL).toBe("C");
    expect(env.FOO).toBeUndefined();
    expect(env.LD_PRELOAD).toBeUndefined();
    expect(env.PATH).toBe(process.env.PATH);
    expect(env.SECRET_TOKEN).toBeUndefined();
  });

  it("the node's --timeout caps the request's and kills the command", async () => {
    const root = tmp();
    const done = await runNodeExec(
      req("echo started; sleep 30; echo never", { timeoutMs: 60_000 }),
      root,
      ctx(root, { maxTimeoutSeconds: 1 }),
    );
    expect(done.timedOut).toBe(true);
    expect(done.exitCode).toBeNull();
    expect(done.stdout).toBe("started\n");
  });

  it("streams both streams, in order", async () => {
    const root = tmp();
    const chunks: Array<{ stream: string; chunk: string; seq: number }> = [];
    const done = await runNodeExec(req("echo out; echo err >&2"), root, {
      ...ctx(root),
      onData: (stream, chunk, seq) => chunks.push({ stream, chunk, seq }),
    });
    expect(done).toMatchObject({ stdout: "out\n", stderr: "err\n", truncated: false, exitCode: 0 });
    expect(chunks.map((c) => c.seq)).toEqual(chunks.map((_, i) => i));
    expect(
      chunks
        .filter((c) => c.stream === "stdout")
        .map((c) => c.chunk)
        .join(""),
    ).toBe("out\n");
    expect(
      chunks
        .filter((c) => c.stream === "stderr")
        .map((c) => c.chunk)
        .join(""),
    ).toBe("err\n");
  });

  it("caps both the live stream and the result at the request's byte budget", async () => {
    const root = tmp();
    let streamed = 0;
    const done = await runNodeExec(req("head -c 5000 /dev/zero | tr '\\0' x", { maxOutputBytes: 1000 }), root, {
      ...ctx(root),
      onData: (_s, chunk) => (streamed += Buffer.byteLength(chunk)),
    });
    expect(done.truncated).toBe(true);
    expect(done.stdout).toBe("x".repeat(1000));
    expect(streamed).toBe(1000);
  });

  it("a cancelled command is killed and says so", async () => {
    const root = tmp();
    const abort = new AbortController();
    const p = runNodeExec(req("sleep 30"), root, { ...ctx(root), signal: abort.signal });
    abort.abort();
    const done = await p;
    expect(done.error).toMatch(/cancelled/);
    expect(done.exitCode).toBeNull();
  });
});
