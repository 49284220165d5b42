import * as fs from "node:fs";
import * as path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { probeBubblewrap } from "../../../actors/sandbox/index.ts";
import { makeWorkspace, sandboxIn } from "./sandbox.fixtures.ts";
import { runSymlinkRace } from "./symlink.race.ts";

const opts = { timeoutMs: 20_000, maxOutputBytes: 1024 };
const bwrap = probeBubblewrap();

/** Symlinks a hostile sandboxed command plants for the gateway (root here) to follow. */
describe.skipIf(!bwrap.ok)("a command's symlinks do not lead the gateway out of the workspace", () => {
  const dirs: string[] = [];
  const fresh = () => {
    const ws = makeWorkspace();
    const host = makeWorkspace();
    dirs.push(ws, host);
    return { ws, host, sandbox: sandboxIn(ws, { backend: "bubblewrap" }) };
  };
  afterAll(() => {
    for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
  });
  const bigOutput = "head -c 20000 /dev/zero | tr '\\0' x";

  for (const [what, plant] of [
    ["outputs", (host: string) => `rm -rf .cairn && mkdir -p .cairn && ln -s ${host} .cairn/outputs`],
    [".cairn", (host: string) => `rm -rf .cairn && ln -s ${host} .cairn`],
  ] as const) {
    it(`a symlinked ${what} dir: the full output is not written to the host, the command still runs and says why`, async () => {
      const { ws, host, sandbox } = fresh();
      const planted = await sandbox.exec({ command: plant(host), ...opts });
      expect(planted.exitCode).toBe(0);
      expect(fs.lstatSync(path.join(ws, what === "outputs" ? ".cairn/outputs" : ".cairn")).isSymbolicLink()).toBe(true);
      const r = await sandbox.exec({ command: bigOutput, ...opts });
      expect(r).toMatchObject({ exitCode: 0, truncated: true });
      expect(r.fullOutputPath).toBeUndefined();
      expect(r.fullOutputRefused).toMatch(/could not be kept/);
      expect(fs.readdirSync(host)).toEqual([]);
    });
  }

  it("the control: with a real outputs dir the full output is kept there", async () => {
    const { ws, sandbox } = fresh();
    const r = await sandbox.exec({ command: bigOutput, ...opts });
    expect(r.fullOutputPath).toBe(path.join(fs.realpathSync(ws), ".cairn", "outputs", path.basename(r.fullOutputPath ?? "")));
    expect(fs.statSync(r.fullOutputPath as string).size).toBe(20000);
  });

  it("a symlink race loop: zero host reads and zero host writes by the file tools and workspace.read", async () => {
    const f = await runSymlinkRace(60);
    expect(f.hostReads).toBe(0);
    expect(f.hostWrites).toBe(0);
    // The race really ran: operations were refused on planted links and others went through.
    expect(f.refused).toBeGreaterThan(0);
    expect(f.insideReads).toBeGreaterThan(0);
  }, 120_000);
});
