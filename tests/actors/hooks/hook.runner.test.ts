import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { MAX_HOOK_STDOUT, hookPayload, runHookCommand } from "../../../actors/hooks/index.ts";
import { hookTmp } from "./hook.fixtures.ts";

const payload = hookPayload("BeforeToolCall", { tool: "exec", arguments: { command: "ls -la" } }, "s-1", Date.UTC(2024, 0, 15, 10, 30));
const run = (command: string, timeoutMs = 5000, cwd = hookTmp()) =>
  runHookCommand({ name: "t", command, cwd, env: { MY_VAR: "v" }, timeoutMs }, payload);

describe("the shell hook protocol", () => {
  it("gives the payload as JSON on stdin, with its env, in its directory", async () => {
    const dir = hookTmp();
    expect(await run('cat > seen.json; printf "%s %s %s" "$MY_VAR" "$CAIRN_HOOK_EVENT" "$PWD" > env.txt', 5000, dir)).toEqual({
      kind: "continue",
    });
    expect(JSON.parse(readFileSync(join(dir, "seen.json"), "utf8"))).toEqual({
      event: "BeforeToolCall",
      data: { tool: "exec", arguments: { command: "ls -la" } },
      session_id: "s-1",
      timestamp: "2024-01-15T10:30:00.000Z",
    });
    expect(readFileSync(join(dir, "env.txt"), "utf8")).toBe(`v BeforeToolCall ${dir}`);
  });

  it("exit 0 with nothing continues; with a modify object modifies; exit 1 blocks with stderr as the reason", async () => {
    expect(await run("exit 0")).toEqual({ kind: "continue" });
    expect(await run(`cat >/dev/null; echo '{"action":"modify","data":{"arguments":{"command":"ls"}}}'`)).toEqual({
      kind: "modify",
      data: { arguments: { command: "ls" } },
    });
    expect(await run(`echo '{"action":"continue"}'`)).toEqual({ kind: "continue" });
    expect(await run("echo 'Blocked dangerous rm command' >&2; exit 1")).toEqual({ kind: "block", reason: "Blocked dangerous rm command" });
    expect(await run("exit 1")).toEqual({ kind: "block", reason: "blocked by hook t" });
  });

  it("a hook that never reads stdin is fine", async () => {
    expect(await run("exec true")).toEqual({ kind: "continue" });
  });

  it.each([
    ["a crash (exit 2)", "echo boom >&2; exit 2", /exited with 2: boom/],
    ["a signal", "kill -9 $$", /killed by SIGKILL/],
    ["garbage on stdout", "echo 'hello world'", /not JSON/],
    ["a JSON non-object", "echo '[1,2]'", /not a JSON object/],
    ["an unknown action", `echo '{"action":"explode"}'`, /must be/],
    ["a command that does not exist", "/no/such/hook", /exited with 127/],
  ])("%s is a failure, not a decision", async (_, command, error) => {
    const o = await run(command);
    expect(o).toMatchObject({ kind: "failed", timedOut: false });
    expect(o.kind === "failed" && o.error).toMatch(error);
  });

  it("huge stdout is a failure, and the flood is stopped", async () => {
    const o = await run(`head -c ${MAX_HOOK_STDOUT * 64} /dev/zero | tr '\\0' 'x'`);
    expect(o).toEqual({ kind: "failed", error: `wrote more than ${MAX_HOOK_STDOUT} bytes to stdout`, timedOut: false });
  });

  it("a hook over its timeout is killed with the processes it started", async () => {
    const dir = hookTmp();
    const o = await run("(sleep 37.123; touch survived) & sleep 37.123", 200, dir);
    expect(o).toEqual({ kind: "failed", error: "timed out after 200 ms", timedOut: true });
    // The background child was in the hook's process group: it is gone, so it never writes.
    await new Promise((r) => setTimeout(r, 300));
    const { execFileSync } = await import("node:child_process");
    expect(execFileSync("sh", ["-c", `ps -eo args | grep -c '[s]leep 37.123' || true`]).toString().trim()).toBe("0");
    expect(existsSync(join(dir, "survived"))).toBe(false);
  });
});
