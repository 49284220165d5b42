import * as fs from "node:fs";
import { afterAll, describe, expect, it } from "vitest";
import { PROC_MASKED, PROC_READONLY } from "../../../actors/sandbox/bubblewrap.args.ts";
import { makeWorkspace, sandboxIn } from "./sandbox.fixtures.ts";

const opts = { timeoutMs: 10_000, maxOutputBytes: 64 * 1024 };
const root = process.getuid?.() === 0;

/**
 * The attack from issue 10: a sandboxed command, run by a root gateway, setting the host's
 * `kernel.core_pattern` (the kernel runs that program as root on the next crash). Run as root
 * here on purpose: capabilities are dropped, but these files are guarded only by their mode.
 */
describe.skipIf(!root)("bubblewrap: kernel interfaces under /proc, as root", () => {
  const workspace = makeWorkspace();
  const sandbox = sandboxIn(workspace, { backend: "bubblewrap" });
  afterAll(() => fs.rmSync(workspace, { recursive: true, force: true }));

  it("cannot write kernel.core_pattern, and the host's value does not change", async () => {
    const before = fs.readFileSync("/proc/sys/kernel/core_pattern", "utf8");
    try {
      const r = await sandbox.exec({ command: "echo x > /proc/sys/kernel/core_pattern", ...opts });
      expect(r.exitCode).not.toBe(0);
      expect(r.stderr).toMatch(/Read-only file system/);
      expect(fs.readFileSync("/proc/sys/kernel/core_pattern", "utf8")).toBe(before);
    } finally {
      // Should the check ever fail, leave the machine as it was.
      if (fs.readFileSync("/proc/sys/kernel/core_pattern", "utf8") !== before) fs.writeFileSync("/proc/sys/kernel/core_pattern", before);
    }
  });

  it("mounts every kernel interface runc makes read-only as read-only (checked in mountinfo, never by writing)", async () => {
    const present = PROC_READONLY.filter((p) => fs.existsSync(p));
    expect(present).toContain("/proc/sys");
    // `test -w` asks the kernel (faccessat), which answers EROFS for a read-only mount.
    const r = await sandbox.exec({ command: `${present.map((p) => `test -w ${p} && echo "writable ${p}"`).join("; ")}; exit 0`, ...opts });
    expect(r.stdout).toBe("");
    const info = (await sandbox.exec({ command: "cat /proc/self/mountinfo", ...opts })).stdout;
    for (const p of present) expect(info).toMatch(new RegExp(` ${p} ro,`));
    // A sysctl a root process could otherwise write without any capability.
    const w = await sandbox.exec({ command: "echo 1 > /proc/sys/vm/drop_caches", ...opts });
    expect(w.stderr).toMatch(/Read-only file system/);
  });

  it("masks what runc masks: files read as nothing, directories are empty", async () => {
    const present = PROC_MASKED.filter((p) => fs.existsSync(p));
    expect(present.length).toBeGreaterThan(0);
    for (const p of present) {
      const dir = fs.statSync(p).isDirectory();
      const r = await sandbox.exec({ command: dir ? `ls -A ${p} | wc -l` : `cat ${p} 2>/dev/null | wc -c`, ...opts });
      expect(r.stdout.trim(), p).toBe("0");
    }
    // The control: the same file on the host is not empty.
    const keys = present.find((p) => p === "/proc/timer_list" || p === "/proc/keys");
    if (keys) expect(fs.readFileSync(keys, "utf8").length).toBeGreaterThan(0);
  });

  it("still lets a command use its own /proc entries", async () => {
    const r = await sandbox.exec({
      command: "echo 5 > /proc/self/oom_score_adj && cat /proc/self/oom_score_adj && cat /proc/sys/kernel/ostype",
      ...opts,
    });
    expect(r.stdout).toBe("5\nLinux\n");
  });
});
