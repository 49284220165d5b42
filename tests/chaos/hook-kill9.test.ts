/**
 * kill -9 of the gateway while a modifying hook runs (DESIGN §1.3, hooks): a hook's decision is an
 * event before it is applied, and a run resumed after the crash skips the hooks whose decision is
 * in the log — so a change is never applied twice, and the tool runs once with it.
 *
 * "stamp" (priority 10) appends "+A" to write_file's content; "gate" (priority 1) hangs on its
 * first run. The gateway dies while "gate" hangs: "stamp"'s change is recorded, nothing started.
 * After the restart "gate" runs again (and lets the call through), "stamp" does not.
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { writeHook } from "../actors/hooks/hook.fixtures.ts";
import { cleanupAll, exitOf, readEvents, spawnCli, startGateway, startLlm, trackPid, turnEvents, waitUntil } from "./chaos.helpers.ts";

afterEach(cleanupAll, 40_000);

const lines = (file: string) => (existsSync(file) ? readFileSync(file, "utf8").split("\n").filter(Boolean) : []);

describe("chaos: kill -9 while a hook runs", () => {
  it("the recorded decision is used after the restart: the change is applied once and the tool runs once", async () => {
    const llm = await startLlm();
    const gw = await startGateway(llm, { configToml: '[tools.exec]\napproval_mode = "never"\n' });
    // The gateway reads hooks at start: put them in its config dir, then restart it to load them.
    const hooksDir = join(gw.env.CAIRN_CONFIG_DIR as string, "hooks");
    const marks = join(gw.env.CAIRN_CONFIG_DIR as string, "marks");
    mkdirSync(marks, { recursive: true });
    writeHook(hooksDir, "stamp", {
      events: ["BeforeToolCall"],
      priority: 10,
      script: `p=$(cat); echo run >> ${marks}/stamp; printf '%s' "$p" | jq -c '{action:"modify", data:(.data | .arguments.content += "+A")}'`,
    });
    writeHook(hooksDir, "gate", {
      events: ["BeforeToolCall"],
      priority: 1,
      timeout: 60,
      // First run: hang (bounded) until the test kills the gateway; later runs let the call through.
      script: `cat > /dev/null; echo $$ >> ${marks}/gate; if [ "$(wc -l < ${marks}/gate)" -eq 1 ]; then i=0; while [ $i -lt 600 ]; do sleep 0.1; i=$((i+1)); done; fi; exit 0`,
    });
    await gw.kill("SIGTERM");
    await gw.restart();

    const session = "hookk9";
    llm.script(
      { toolCalls: [{ id: "call_h9", name: "write_file", arguments: JSON.stringify({ path: "out.txt", content: "x" }) }] },
      { chunks: ["written"] },
    );
    const chat = spawnCli(gw, ["chat", "--session", session, "write it"]);
    await waitUntil("the gate hook to hang", () => lines(join(marks, "gate")).length === 1, 30_000);
    for (const pid of lines(join(marks, "gate"))) trackPid(Number(pid));
    // stamp's change is durable before gate runs (each decision is recorded before the next hook).
    const before = await readEvents(gw);
    expect(before.filter((e) => e.type === "run.hooked").map((e) => e.data)).toEqual([
      {
        event: "BeforeToolCall",
        hook: "stamp",
        action: "modify",
        callId: "call_h9",
        value: JSON.stringify({ path: "out.txt", content: "x+A" }),
        changed: ["content"],
      },
    ]);

    await gw.kill("SIGKILL");
    expect(await exitOf(chat, 20_000)).toBe(1);
    await gw.restart();

    const file = join(gw.dataDir, "workspaces", session, "out.txt");
    await waitUntil("the resumed call to write its file", () => existsSync(file), 30_000);
    const events = await waitUntil(
      "the run to end",
      async () => {
        const ev = await readEvents(gw);
        return ev.some((e) => e.type === "session.run_ended" && e.id === session) ? ev : undefined;
      },
      30_000,
    );
    expect(readFileSync(file, "utf8")).toBe("x+A");
    expect(lines(join(marks, "stamp"))).toHaveLength(1);
    expect(lines(join(marks, "gate"))).toHaveLength(2);
    const { run } = turnEvents(events, session, "write it");
    expect(run.map((e) => e.type)).toEqual([
      "run.started",
      "run.tool_call_requested",
      "run.hooked",
      "run.tool_started",
      "run.tool_finished",
      "run.completed",
    ]);
  });
});
