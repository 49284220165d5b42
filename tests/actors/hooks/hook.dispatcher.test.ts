import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { BREAKER_COOLDOWN_MS, type HookDecision, HookDispatcher, discoverHooks } from "../../../actors/hooks/index.ts";
import { hookTmp, writeHook } from "./hook.fixtures.ts";

const setup = (root: string, clock = { t: 1_000 }) => {
  const reports: string[] = [];
  const d = new HookDispatcher(discoverHooks({ userDir: root, bundledDir: null }), { now: () => clock.t, report: (l) => reports.push(l) });
  return { d, reports, clock };
};
const jqAppend = (suffix: string) => `jq -c '{action:"modify", data:(.data | .arguments.command = (.arguments.command + "${suffix}"))}'`;

describe("the hook dispatcher", () => {
  it("runs modifying hooks one after the other by priority, each on the data the one before left, recording each change first", async () => {
    const root = hookTmp();
    writeHook(root, "second", { events: ["BeforeToolCall"], priority: 1, script: jqAppend(" B") });
    writeHook(root, "first", { events: ["BeforeToolCall"], priority: 9, script: jqAppend(" A") });
    writeHook(root, "quiet", { events: ["BeforeToolCall"], priority: 5, script: "cat > /dev/null" });
    const { d } = setup(root);
    const recorded: HookDecision[] = [];
    const r = await d.modify("BeforeToolCall", { tool: "exec", arguments: { command: "ls" } }, "s", {
      record: async (x) => void recorded.push(x),
    });
    expect(r).toEqual({ data: { tool: "exec", arguments: { command: "ls A B" } }, blocked: null });
    expect(recorded).toEqual([
      { hook: "first", action: "modify", value: { command: "ls A" }, changed: ["command"] },
      { hook: "second", action: "modify", value: { command: "ls A B" }, changed: ["command"] },
    ]);
  });

  it("a block stops the chain; hooks already recorded are skipped on resume; only the modifiable key is taken", async () => {
    const root = hookTmp();
    writeHook(root, "rename", {
      events: ["BeforeToolCall"],
      priority: 9,
      script: `jq -c '{action:"modify", data:(.data | .tool = "other" | .arguments.command = "pwd")}'`,
    });
    writeHook(root, "guard", { events: ["BeforeToolCall"], priority: 1, script: "echo 'no pwd here' >&2; exit 1" });
    writeHook(root, "after", { events: ["BeforeToolCall"], priority: 0, script: "touch ran; exit 0" });
    const { d } = setup(root);
    const recorded: HookDecision[] = [];
    const r = await d.modify("BeforeToolCall", { tool: "exec", arguments: { command: "ls" } }, null, {
      record: async (x) => void recorded.push(x),
    });
    expect(r).toEqual({ data: { tool: "exec", arguments: { command: "pwd" } }, blocked: { hook: "guard", reason: "no pwd here" } });
    expect(recorded.map((x) => [x.hook, x.action])).toEqual([
      ["rename", "modify"],
      ["guard", "block"],
    ]);
    expect(existsSync(join(root, "after", "ran"))).toBe(false);
    // Resumed with "rename" already applied (in the log): it does not run again.
    const again = await d.modify("BeforeToolCall", { tool: "exec", arguments: { command: "ls" } }, null, {
      skip: new Set(["rename", "guard"]),
    });
    expect(again).toEqual({ data: { tool: "exec", arguments: { command: "ls" } }, blocked: null });
    expect(existsSync(join(root, "after", "ran"))).toBe(true);
  });

  it("runs observers in parallel: each waits for a file the other writes", async () => {
    const root = hookTmp();
    const wait = (mine: string, theirs: string) =>
      `touch ../${mine}; i=0; while [ ! -e ../${theirs} ] && [ $i -lt 200 ]; do sleep 0.02; i=$((i+1)); done; [ -e ../${theirs} ] && touch ../${mine}.ok; exit 0`;
    writeHook(root, "a", { events: ["AgentEnd"], script: wait("a", "b") });
    writeHook(root, "b", { events: ["AgentEnd"], script: wait("b", "a") });
    const { d } = setup(root);
    d.observe("AgentEnd", { status: "completed" }, "s");
    await d.idle();
    expect([existsSync(join(root, "a.ok")), existsSync(join(root, "b.ok"))]).toEqual([true, true]);
  });

  it("opens a hook's breaker after 5 failures or timeouts in a row, skips it for 60 s, then retries it once and closes on success", async () => {
    const root = hookTmp();
    const dir = writeHook(root, "flaky", {
      events: ["BeforeToolCall"],
      timeout: 0.2,
      script: "echo x >> ../runs; [ -e ../healthy ] && exit 0; [ -e ../slow ] && sleep 5; exit 3",
    });
    const runs = () => (existsSync(join(root, "runs")) ? readFileSync(join(root, "runs"), "utf8").split("\n").length - 1 : 0);
    const { d, reports, clock } = setup(root);
    const call = () => d.modify("BeforeToolCall", { arguments: {} }, null);
    for (let i = 0; i < 4; i++) await call();
    writeFileSync(join(root, "slow"), ""); // the fifth failure is a timeout
    await call();
    expect(runs()).toBe(5);
    expect(d.views()[0].breaker).toMatchObject({ state: "open", failures: 5, retryAt: clock.t + BREAKER_COOLDOWN_MS });
    expect(reports.at(-1)).toMatch(/timed out after 200 ms.*disabled for 60 s/);
    await call(); // skipped while open: the action goes on, the hook does not run
    expect(runs()).toBe(5);
    clock.t += BREAKER_COOLDOWN_MS;
    expect(d.views()[0].breaker?.state).toBe("half-open");
    await call(); // the trial fails: open for another 60 s
    expect(runs()).toBe(6);
    expect(d.views()[0].breaker?.state).toBe("open");
    clock.t += BREAKER_COOLDOWN_MS;
    writeFileSync(join(root, "healthy"), "");
    await call();
    expect(runs()).toBe(7);
    expect(d.views()[0].breaker).toMatchObject({ state: "closed", failures: 0, retryAt: null });
    expect(dir).toContain("flaky");
  });

  it("keeps each hook's last run: the event, the decision (or failure, or skip while the breaker is open) and its time", async () => {
    const root = hookTmp();
    writeHook(root, "guard", { events: ["BeforeToolCall"], priority: 2, script: "echo 'not today' >&2; exit 1" });
    writeHook(root, "broken", { events: ["MessageReceived"], script: "echo bad >&2; exit 3" });
    writeHook(root, "idle", { events: ["AgentEnd"], script: "true" });
    const { d, clock } = setup(root);
    const last = (name: string) => d.views().find((h) => h.name === name)?.lastRun;
    expect(last("guard")).toBeUndefined();
    await d.modify("BeforeToolCall", { arguments: {} }, null);
    expect(last("guard")).toMatchObject({ at: clock.t, event: "BeforeToolCall", outcome: "block", detail: "not today" });
    for (let i = 0; i < 5; i++) {
      d.observe("MessageReceived", { text: String(i) }, null);
      await d.idle(); // one after the other: five in a row
    }
    expect(last("broken")).toMatchObject({ event: "MessageReceived", outcome: "failed", detail: "exited with 3: bad" });
    clock.t += 1_000;
    d.observe("MessageReceived", { text: "again" }, null);
    await d.idle();
    expect(last("broken")).toMatchObject({ at: clock.t, outcome: "skipped", durationMs: 0 });
    expect(last("idle")).toBeUndefined(); // never reached by an event
  });

  it("a modify without the event's key of the right type is a failure, not a change", async () => {
    const root = hookTmp();
    writeHook(root, "wrong", { events: ["MessageSending"], script: `echo '{"action":"modify","data":{"text":42}}'` });
    const { d, reports } = setup(root);
    expect(await d.modify("MessageSending", { text: "hi" }, null)).toEqual({ data: { text: "hi" }, blocked: null });
    expect(reports[0]).toMatch(/without a string 'text'/);
    expect(d.views()[0].breaker?.failures).toBe(1);
  });
});
