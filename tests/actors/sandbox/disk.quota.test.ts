import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { DEFAULT_DISK_QUOTA_BYTES, probeBubblewrap, workspaceUsage } from "../../../actors/sandbox/index.ts";
import { execTool, workspaceToolRegistry, type ToolContext } from "../../../actors/tools/index.ts";
import { parseDiskBytes } from "../../../cli/config/index.ts";
import { makeWorkspace, sandboxIn } from "./sandbox.fixtures.ts";

const MiB = 1024 * 1024;
const quota = 8 * MiB;
const opts = { timeoutMs: 120_000, maxOutputBytes: 4096 };

describe("resource_limits.disk", () => {
  it("parses sizes, defaults to 5 GiB", () => {
    expect(parseDiskBytes("1g")).toBe(1024 ** 3);
    expect(parseDiskBytes("500M")).toBe(500 * MiB);
    expect(parseDiskBytes("2TiB")).toBe(2 * 1024 ** 4);
    expect(parseDiskBytes(64)).toBe(64 * MiB);
    expect(() => parseDiskBytes("12 parsecs")).toThrow();
    expect(() => parseDiskBytes("10k")).toThrow(/below 1 MiB/);
    expect(DEFAULT_DISK_QUOTA_BYTES).toBe(5 * 1024 ** 3);
  });
});

describe.skipIf(!probeBubblewrap().ok)("the workspace disk quota holds against a command filling the disk", () => {
  const dirs: string[] = [];
  const fresh = () => {
    const ws = makeWorkspace();
    dirs.push(ws);
    return { ws, sandbox: sandboxIn(ws, { backend: "bubblewrap", diskBytes: quota }) };
  };
  afterAll(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });

  it("one big file stops at the quota (RLIMIT_FSIZE), and the result says so", async () => {
    const { ws, sandbox } = fresh();
    const r = await sandbox.exec({ command: "head -c 67108864 /dev/zero > big", ...opts });
    expect(r.diskQuotaExceeded).toBe(true);
    expect(r.exitCode).not.toBe(0);
    expect(fs.statSync(path.join(ws, "big")).size).toBeLessThanOrEqual(quota);
  });

  it("many small files: the watcher stops the command, the exec tool reports disk_quota_exceeded, the gateway stays up", async () => {
    const { ws } = fresh();
    const exec = execTool({ sandbox: "bubblewrap", settings: { diskBytes: quota } });
    const ctx: ToolContext = { workspace: ws, signal: new AbortController().signal, sessionKey: "disk" };
    // Each file is far under the per-file limit; without the watcher this runs until the timeout.
    const fill = await exec.run(
      { command: "i=0; while :; do head -c 1048576 /dev/zero > f$i || exit 7; i=$((i+1)); done", timeout_seconds: 600 },
      ctx,
    );
    expect(fill.output).toMatch(/^disk_quota_exceeded: the command was stopped/);
    expect(fill.output).not.toMatch(/timed out/);
    expect(await workspaceUsage(ws)).toBeGreaterThan(quota);
    // Over the quota, cleaning up still works (deleting needs no space), and then writing again.
    const clean = await exec.run({ command: "rm -f f* && echo ok > small && cat small" }, ctx);
    expect(clean.output).toMatch(/^exit code 0\nstdout:\nok$/);
    expect(await workspaceUsage(ws)).toBeLessThan(quota);
    await exec.dispose?.();
  });

  it("write_file and edit_file refuse what would pass the quota, and write nothing", async () => {
    const { ws } = fresh();
    const tools = workspaceToolRegistry();
    const ctx: ToolContext = { workspace: ws, signal: new AbortController().signal, sessionKey: "disk", diskQuotaBytes: quota };
    const call = (name: string, args: unknown) => tools.invoke(name, JSON.stringify(args), ctx);
    fs.writeFileSync(path.join(ws, "half"), Buffer.alloc(5 * MiB, 1));
    const big = "x".repeat(4 * MiB);
    const r = await call("write_file", { path: "more.txt", content: big });
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.error.code).toBe("disk_quota_exceeded");
    expect(fs.existsSync(path.join(ws, "more.txt"))).toBe(false);
    // Replacing a file counts its old size once: a same-size rewrite of a 2 MiB file fits.
    expect((await call("write_file", { path: "two.txt", content: "y".repeat(2 * MiB) })).ok).toBe(true);
    expect((await call("write_file", { path: "two.txt", content: `a${"z".repeat(2 * MiB - 1)}` })).ok).toBe(true);
    const grow = await call("edit_file", { path: "two.txt", old_string: "a", new_string: "b".repeat(2 * MiB) });
    expect(grow.ok ? "ok" : grow.error.code).toBe("disk_quota_exceeded");
    expect(fs.statSync(path.join(ws, "two.txt")).size).toBe(2 * MiB);
  });
});
