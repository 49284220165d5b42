import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openCommandCgroup } from "../../../actors/sandbox/cgroup.limits.ts";
import { reapStaleCgroups } from "../../../actors/sandbox/index.ts";
import { makeWorkspace, sandboxIn, token } from "./sandbox.fixtures.ts";

const probe = openCommandCgroup(`probe-${token()}`, { pids: 8 });
const canCgroup = probe !== undefined;
await probe?.dispose();

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    // A zombie is dead for our purpose.
    return !/^State:\s+Z/m.test(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
  } catch {
    return false;
  }
};
const cairnGroups = (): string[] =>
  ["pids", "memory", ""].flatMap((c) => {
    const h = path.join("/sys/fs/cgroup", c);
    try {
      return fs
        .readdirSync(h)
        .filter((n) => n.startsWith("cairn-"))
        .map((n) => path.join(h, n));
    } catch {
      return [];
    }
  });

/** A real stand-in gateway process (tsx) that opens a cgroup with a command in it. */
const startOwner = async (tag: string): Promise<{ pid: number; dirs: string[]; sleep: number; kill9: () => Promise<void> }> => {
  // `node --import tsx`, not the tsx binary: that one runs the script in a grandchild, and the
  // pid killed must be the owner's.
  const child = spawn(process.execPath, ["--import", "tsx", path.resolve("tests/actors/sandbox/cgroup.owner.child.ts"), tag], {
    stdio: ["ignore", "pipe", "inherit"],
  });
  const line = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout.on("data", (c: Buffer) => {
      out += c.toString();
      if (out.includes("\n")) resolve(out.split("\n")[0]);
    });
    child.once("exit", (code) => reject(new Error(`owner exited early (${code}): ${out}`)));
  });
  child.stdout.destroy();
  const exited = new Promise<void>((r) => child.once("exit", () => r()));
  const kill9 = async (): Promise<void> => {
    child.kill("SIGKILL");
    await exited;
  };
  const owner = { pid: child.pid as number, kill9, ...(JSON.parse(line) as { dirs: string[]; sleep: number }) };
  // The groups name their owner: the very process we will kill.
  for (const d of owner.dirs) expect(path.basename(d)).toMatch(new RegExp(`^cairn-${owner.pid}\\.`));
  return owner;
};

describe.skipIf(!canCgroup)("command cgroups are cleaned up (as root, real cgroups)", () => {
  const workspace = makeWorkspace();
  afterAll(() => fs.rmSync(workspace, { recursive: true, force: true }));

  it("a gateway killed -9 leaves its groups and command behind; the next start removes both, and leaves a live gateway's alone", async () => {
    const dead = await startOwner(`dead-${token()}`);
    const live = await startOwner(`live-${token()}`);
    try {
      await dead.kill9();
      // Left behind, as after a real kill -9: the groups exist and the command still runs in them.
      for (const d of dead.dirs) expect(fs.existsSync(d), d).toBe(true);
      expect(alive(dead.sleep)).toBe(true);

      const removed = await reapStaleCgroups();

      expect(removed).toEqual(expect.arrayContaining(dead.dirs));
      for (const d of dead.dirs) expect(fs.existsSync(d), d).toBe(false);
      expect(alive(dead.sleep)).toBe(false);
      for (const d of live.dirs) expect(fs.existsSync(d), d).toBe(true);
      expect(alive(live.sleep)).toBe(true);
    } finally {
      await live.kill9();
      await dead.kill9();
      await reapStaleCgroups();
    }
    for (const d of live.dirs) expect(fs.existsSync(d), d).toBe(false);
  }, 60_000);

  it("a command killed by the memory limit (OOM) leaves no cgroup behind", async () => {
    const id = `oom-${token()}`;
    let n = 0;
    const sandbox = sandboxIn(workspace, { backend: "bubblewrap", memoryMb: 32, newId: () => `${id}-${n++}` });
    expect(sandbox.describe().limits.memory).toBe("cgroup");
    const r = await sandbox.exec({
      command: `perl -e 'my $x = "x" x (256 * 1024 * 1024); print length $x'`,
      timeoutMs: 30_000,
      maxOutputBytes: 4096,
    });
    // 256 MB against a 32 MB limit: the memory cgroup's OOM killer takes it.
    // (bwrap reports its child's SIGKILL as exit status 137).
    expect(r.stdout).toBe("");
    expect(r.exitCode === 137 || r.signal === "SIGKILL").toBe(true);
    expect(cairnGroups().filter((d) => d.includes(id))).toEqual([]);
  }, 60_000);
});
