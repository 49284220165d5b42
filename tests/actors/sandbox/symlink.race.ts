import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { createSandbox } from "../../../actors/sandbox/index.ts";
import { openWorkspaceFile, resolveInWorkspace, workspaceToolRegistry, type ToolContext } from "../../../actors/tools/index.ts";
import { token, waitUntil } from "./sandbox.fixtures.ts";

/**
 * The symlink race of issue 10, shared by the test (a modest count) and
 * `bench/sandbox.escape.bench.ts` (a large one): a command in a real bubblewrap sandbox flips
 * `f` between a regular file and a symlink to a host file, and `d` between a directory and a
 * symlink to a host directory, as fast as it can, while the gateway's file operations (read_file,
 * write_file, edit_file, grep, and workspace.read's open) hit those paths `rounds` times each.
 * Counted: reads that returned host content and writes that changed the host. Both must stay 0.
 * `naiveHostReads` is the control: a plain `fs.readFile` of the same path in the same loop,
 * which follows the links, shows the race is really being run.
 */
export interface RaceFigures {
  readonly rounds: number;
  readonly operations: number;
  readonly hostReads: number;
  readonly hostWrites: number;
  /** Operations refused because a symlink was met (the race seen and stopped). */
  readonly refused: number;
  /** Reads that returned the workspace's own content. */
  readonly insideReads: number;
  readonly naiveHostReads: number;
  readonly ms: number;
}

export const runSymlinkRace = async (rounds: number): Promise<RaceFigures> => {
  const top = fs.mkdtempSync(path.join(os.tmpdir(), "cairn-race-"));
  const ws = path.join(top, "ws");
  const host = path.join(top, "host");
  fs.mkdirSync(ws);
  fs.mkdirSync(host);
  const secret = `HOST-SECRET-${token()}`;
  const hostFile = path.join(host, "secret");
  fs.writeFileSync(hostFile, `${secret}\n`);
  const sandbox = createSandbox({ backend: "bubblewrap", workspace: ws, outputDir: path.join(ws, ".cairn", "outputs"), killGraceMs: 200 });
  const stop = new AbortController();
  // The host paths are only text in the links: the sandbox cannot see them, the gateway can.
  const flipper = sandbox.exec({
    command: [
      "while :; do",
      "  echo inside > .r && mv -Tf .r f",
      `  ln -sfn ${hostFile} .l && mv -Tf .l f`,
      "  rm -f d; mkdir -p d; echo inside > d/secret",
      `  rm -rf d; ln -sfn ${host} d`,
      "done",
    ].join("\n"),
    timeoutMs: 3_600_000,
    maxOutputBytes: 4096,
    signal: stop.signal,
  });
  const ctx: ToolContext = { workspace: ws, signal: new AbortController().signal, sessionKey: "race" };
  const tools = workspaceToolRegistry();
  const call = (name: string, args: unknown) => tools.invoke(name, JSON.stringify(args), ctx);
  let hostReads = 0;
  let refused = 0;
  let insideReads = 0;
  let naiveHostReads = 0;
  let operations = 0;
  const seen = (out: string): void => {
    if (out.includes(secret)) hostReads++;
    else if (out.includes("inside")) insideReads++;
  };
  const started = performance.now();
  try {
    if (!(await waitUntil(() => fs.existsSync(path.join(ws, "d")), 10_000))) throw new Error("the flipping command did not start");
    for (let i = 0; i < rounds; i++) {
      const results = [
        await call("read_file", { path: "f" }),
        await call("read_file", { path: "d/secret" }),
        await call("write_file", { path: "f", content: `gateway ${i}\n` }),
        await call("write_file", { path: "d/secret", content: `gateway ${i}\n` }),
        await call("edit_file", { path: "f", old_string: "inside", new_string: "edited" }),
        await call("grep", { pattern: "SECRET|inside", path: "d" }),
      ];
      for (const r of results) {
        operations++;
        if (r.ok) seen(r.output);
        else if (["path_escape", "symlink"].includes((r.error.details as { reason?: string } | undefined)?.reason ?? "")) refused++;
      }
      operations++;
      try {
        const fh = await openWorkspaceFile(await resolveInWorkspace(ws, "d/secret"));
        seen(await fh.readFile("utf8").finally(() => fh.close()));
      } catch {
        refused++;
      }
      try {
        if (fs.readFileSync(path.join(ws, "f"), "utf8").includes(secret)) naiveHostReads++;
      } catch {}
    }
  } finally {
    stop.abort();
    await flipper;
  }
  const ms = performance.now() - started;
  const hostWrites = (fs.readFileSync(hostFile, "utf8") === `${secret}\n` ? 0 : 1) + (fs.readdirSync(host).length - 1);
  fs.rmSync(top, { recursive: true, force: true });
  return { rounds, operations, hostReads, hostWrites, refused, insideReads, naiveHostReads, ms };
};
