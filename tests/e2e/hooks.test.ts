/**
 * Hooks through a real gateway process: shell scripts in the user's hooks dir (`<config dir>/hooks`)
 * receive every declared event with its documented payload, and change or refuse tool calls and
 * messages end to end; each change or refusal is a `run.hooked` event in the log.
 */
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { jsonLines, useGatewayWithLlm } from "../fixtures/gateway.ts";
import { startNodeProc } from "../fixtures/node.ts";
import { writeHook } from "../actors/hooks/hook.fixtures.ts";

const NO_DOCKER = "unix:///nonexistent.sock";
const cfg = mkdtempSync(join(tmpdir(), "cairn-hooks-cfg-"));
const seen = mkdtempSync(join(tmpdir(), "cairn-hooks-seen-"));
writeFileSync(join(cfg, "cairn.toml"), '[tools.exec]\napproval_mode = "always"\n');
const hooksDir = join(cfg, "hooks");

const OBSERVED = [
  "AfterToolCall",
  "BeforeLLMCall",
  "AfterLLMCall",
  "MessageReceived",
  "MessageSent",
  "AgentEnd",
  "SessionStart",
  "SessionEnd",
  "ApprovalRequested",
  "ApprovalDecided",
  "CronRun",
  "NodeConnected",
  "NodeDisconnected",
  "GatewayStart",
  "GatewayStop",
];
// Records every payload it is given, one JSON line per event, last in line (it sees the final data).
writeHook(hooksDir, "recorder", {
  events: [...OBSERVED, "BeforeToolCall", "BeforeAgentStart", "MessageSending"],
  priority: -10,
  script: `{ cat; echo; } >> "${seen}/$CAIRN_HOOK_EVENT.jsonl"`,
});
writeHook(hooksDir, "tool-guard", {
  events: ["BeforeToolCall"],
  priority: 10,
  script: [
    "p=$(cat)",
    `path=$(printf '%s' "$p" | jq -r '.data.arguments.path // ""')`,
    `case "$path" in forbidden/*) echo "no writes under forbidden/" >&2; exit 1;; esac`,
    `if [ "$(printf '%s' "$p" | jq -r .data.tool)" = write_file ]; then printf '%s' "$p" | jq -c '{action:"modify", data:(.data | .arguments.content += "-- signed by hook\\n")}'; fi`,
  ].join("\n"),
});
writeHook(hooksDir, "incoming", {
  events: ["BeforeAgentStart"],
  script: [
    "p=$(cat)",
    `case "$(printf '%s' "$p" | jq -r .data.message)" in *BLOCKME*) echo "blocked by policy" >&2; exit 1;; esac`,
    `printf '%s' "$p" | jq -c 'if (.data.message | test("secret-123")) then {action:"modify", data:(.data | .message |= gsub("secret-123"; "[REDACTED]"))} else empty end'`,
  ].join("\n"),
});
writeHook(hooksDir, "outgoing", {
  events: ["MessageSending"],
  script: [
    "p=$(cat)",
    `case "$(printf '%s' "$p" | jq -r .data.text)" in *WITHHOLD*) echo "not for you" >&2; exit 1;; esac`,
    `printf '%s' "$p" | jq -c 'if (.data.text | test("password")) then {action:"modify", data:(.data | .text = "[redacted reply]")} else empty end'`,
  ].join("\n"),
});

const { llm, gw } = useGatewayWithLlm({ extraEnv: { CAIRN_CONFIG_DIR: cfg, DOCKER_HOST: NO_DOCKER } });

const payloads = (event: string): any[] =>
  existsSync(join(seen, `${event}.jsonl`)) ? jsonLines(readFileSync(join(seen, `${event}.jsonl`), "utf8")) : [];
/** Observers run after the fact and nobody waits for them: poll for the payload to arrive. */
const received = async (event: string, where: (p: any) => boolean) => {
  await expect.poll(() => payloads(event).some(where), { timeout: 15_000, interval: 50 }).toBe(true);
  return payloads(event).find(where);
};
const runEvents = async () => jsonLines((await gw.cli(["events", "tail", "--json", "--kind", "run", "-n", "500"])).stdout);

describe("hooks through a real gateway", () => {
  test("GatewayStart is fired once the gateway serves", async () => {
    const p = await received("GatewayStart", () => true);
    expect(p).toMatchObject({ event: "GatewayStart", session_id: null, data: { url: gw.url, workspace: join(gw.dataDir, "workspaces") } });
    expect(p.timestamp).toMatch(/^\d{4}-\d\d-\d\dT/);
  });

  test("a BeforeToolCall hook modifies a tool's arguments; the tool runs with them, and the change is in the log", async () => {
    llm.script(
      { toolCalls: [{ name: "write_file", arguments: JSON.stringify({ path: "notes.md", content: "hello\n" }) }] },
      { chunks: ["Saved."] },
    );
    const r = await gw.cli(["chat", "-s", "hk-mod", "save a note"]);
    expect(r.code).toBe(0);
    expect(readFileSync(join(gw.dataDir, "workspaces", "hk-mod", "notes.md"), "utf8")).toBe("hello\n-- signed by hook\n");
    const hooked = (await runEvents()).filter((e) => e.type === "run.hooked");
    expect(hooked).toContainEqual(
      expect.objectContaining({
        data: expect.objectContaining({ event: "BeforeToolCall", hook: "tool-guard", action: "modify", changed: ["content"] }),
      }),
    );
    // The recorder ran last: it saw the arguments as modified, with the documented payload.
    const before = await received("BeforeToolCall", (p) => p.session_id === "hk-mod");
    expect(before.data).toMatchObject({
      tool: "write_file",
      session_key: "hk-mod",
      arguments: { path: "notes.md", content: "hello\n-- signed by hook\n" },
    });
    const after = await received("AfterToolCall", (p) => p.session_id === "hk-mod");
    expect(after.data).toMatchObject({ tool: "write_file", is_error: false, arguments: { content: "hello\n-- signed by hook\n" } });
    expect(typeof after.data.duration_ms).toBe("number");
  });

  test("a BeforeToolCall hook blocks a call: it never runs, the model reads the hook's reason", async () => {
    llm.script(
      { toolCalls: [{ name: "write_file", arguments: JSON.stringify({ path: "forbidden/x.md", content: "x" }) }] },
      { chunks: ["Could not."] },
    );
    const r = await gw.cli(["chat", "-s", "hk-block", "write there"]);
    expect(r.code).toBe(0);
    expect(existsSync(join(gw.dataDir, "workspaces", "hk-block", "forbidden"))).toBe(false);
    expect(JSON.stringify(llm.requests.at(-1)?.body.messages)).toContain("blocked by hook tool-guard: no writes under forbidden/");
    const events = await runEvents();
    const i = events.findIndex((e) => e.type === "run.hooked" && e.data.action === "block");
    expect(events[i].data).toMatchObject({ event: "BeforeToolCall", hook: "tool-guard", reason: "no writes under forbidden/" });
    // Appended together: the refusal is the call's result, and it never started.
    expect(events[i + 1]).toMatchObject({ type: "run.tool_finished", data: { isError: true } });
    expect(events.filter((e) => e.type === "run.tool_started" && e.data.callId === events[i].data.callId)).toEqual([]);
  });

  test("BeforeAgentStart modifies the incoming message as the model reads it; the log keeps what changed", async () => {
    llm.script({ chunks: ["Noted."] });
    const r = await gw.cli(["chat", "-s", "hk-in", "my key is secret-123"]);
    expect(r.code).toBe(0);
    const sent = JSON.stringify(llm.requests.at(-1)?.body.messages);
    expect(sent).toContain("my key is [REDACTED]");
    expect(sent).not.toContain("secret-123");
    const received1 = await received("MessageReceived", (p) => p.session_id === "hk-in");
    expect(received1.data).toMatchObject({ session_key: "hk-in", text: "my key is secret-123" });
    expect(
      (await runEvents()).some((e) => e.type === "run.hooked" && e.data.hook === "incoming" && e.data.value === "my key is [REDACTED]"),
    ).toBe(true);
  });

  test("BeforeAgentStart blocks a message: no model call, the run fails with hook_blocked and the hook's reason", async () => {
    const before = llm.requests.length;
    const r = await gw.cli(["chat", "-s", "hk-in-block", "please BLOCKME"]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("blocked by hook incoming: blocked by policy");
    expect(llm.requests.length).toBe(before);
    const end = await received("AgentEnd", (p) => p.session_id === "hk-in-block");
    expect(end.data).toMatchObject({ status: "failed", error: { code: "hook_blocked" } });
  });

  test("MessageSending modifies or withholds the stored reply", async () => {
    llm.script({ chunks: ["the password is hunter2"] });
    await gw.cli(["chat", "-s", "hk-out", "tell me"]);
    llm.script({ chunks: ["WITHHOLD this"] });
    await gw.cli(["chat", "-s", "hk-out2", "tell me"]);
    const done = (await runEvents()).filter((e) => e.type === "run.completed").map((e) => e.data.text);
    expect(done).toContain("[redacted reply]");
    expect(done).toContain("[reply withheld by hook outgoing: not for you]");
    const sent = await received("MessageSent", (p) => p.session_id === "hk-out");
    expect(sent.data.text).toBe("[redacted reply]");
    expect((await received("MessageSending", (p) => p.session_id === "hk-out")).data.text).toBe("[redacted reply]");
  });

  test("session, message, model call and end events reach their hooks with their payloads", async () => {
    llm.script({ chunks: ["Hi there."] });
    await gw.cli(["chat", "-s", "hk-obs", "hello hooks"]);
    expect((await received("SessionStart", (p) => p.session_id === "hk-obs")).data).toMatchObject({ session_key: "hk-obs" });
    expect((await received("MessageReceived", (p) => p.session_id === "hk-obs")).data).toMatchObject({ text: "hello hooks" });
    const llmBefore = await received("BeforeLLMCall", (p) => p.session_id === "hk-obs");
    expect(llmBefore.data).toMatchObject({ model: "openai/test-model", iteration: 1, messages: 1 });
    expect((await received("AfterLLMCall", (p) => p.session_id === "hk-obs")).data).toMatchObject({ iteration: 1, tool_calls: 0 });
    expect((await received("AgentEnd", (p) => p.session_id === "hk-obs")).data).toMatchObject({ status: "completed", text: "Hi there." });
    expect((await gw.cli(["sessions", "delete", "hk-obs"])).code).toBe(0);
    expect((await received("SessionEnd", (p) => p.session_id === "hk-obs")).data).toMatchObject({
      session_key: "hk-obs",
      message_count: 2,
    });
  });

  test("ApprovalRequested and ApprovalDecided", async () => {
    llm.script({ toolCalls: [{ name: "exec", arguments: JSON.stringify({ command: "touch x" }) }] }, { chunks: ["ok"] });
    const chat = gw.cli(["chat", "-s", "hk-ap", "touch it"]);
    const asked = await received("ApprovalRequested", (p) => p.session_id === "hk-ap");
    expect(asked.data).toMatchObject({ tool: "exec", command: "touch x", session_key: "hk-ap" });
    expect((await gw.cli(["approvals", "deny", asked.data.approval_id])).code).toBe(0);
    await chat;
    expect((await received("ApprovalDecided", (p) => p.session_id === "hk-ap")).data).toMatchObject({
      approval_id: asked.data.approval_id,
      decision: "denied",
      by: "cli",
    });
  });

  test("CronRun is fired when a cron job's run ends", async () => {
    llm.script({ chunks: ["tick done"] });
    const r = await gw.cli(["cron", "add", "--name", "hk-cron", "--every", "1h", "--prompt", "tick"]);
    expect(r.code).toBe(0);
    expect((await gw.cli(["cron", "run", "hk-cron"])).code).toBe(0);
    expect((await received("CronRun", (p) => p.data.job_id === "hk-cron")).data).toMatchObject({
      status: "completed",
      run_id: expect.any(String),
    });
  });

  test("NodeConnected and NodeDisconnected are fired as a paired node comes and goes", async () => {
    expect((await gw.cli(["node", "pairing", "enable"])).code).toBe(0);
    const node = await startNodeProc({ host: gw.url, name: "Hook Box", nodeId: "hk-node" });
    try {
      await node.waitForLine(/waiting for approval on the gateway/);
      const pending = jsonLines<{ nodeId: string; requestId?: string }>((await gw.cli(["node", "pending", "--json"])).stdout);
      const req = pending.find((n) => n.nodeId === "hk-node");
      expect((await gw.cli(["node", "approve", req?.requestId ?? "?"])).code).toBe(0);
      await node.waitForLine(/ connected /);
      expect((await received("NodeConnected", (p) => p.data.node_id === "hk-node")).data).toEqual({ node_id: "hk-node", name: "Hook Box" });
      // Revoked: offline at once (a node that merely goes quiet is offline after 15 s).
      expect((await gw.cli(["node", "revoke", "hk-node"])).code).toBe(0);
      expect((await received("NodeDisconnected", (p) => p.data.node_id === "hk-node")).data).toMatchObject({ node_id: "hk-node" });
    } finally {
      await node.dispose();
    }
  });

  test("GatewayStop is fired, and finished, before the gateway exits", async () => {
    await gw.kill("SIGTERM");
    expect(payloads("GatewayStop")).toEqual([expect.objectContaining({ event: "GatewayStop", data: { reason: "stop" } })]);
    await gw.restart();
  });
});
