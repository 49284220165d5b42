/**
 * Channel permission levels through a real gateway process and grammy, against the scripted Bot
 * API server (tests/fixtures/telegram/). The owner's own policy here is `approval_mode = "never"`
 * (nothing asks), so each level's difference is visible: a read-only sender's run is offered only
 * tools that change nothing and a write it names anyway is refused; an execute sender's command
 * asks a person (buttons in the chat) although the owner's mode would not; an admin's runs as the
 * owner's do, and only an admin may switch the model. The level is recorded with each update and
 * on the run it starts.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startGatewayProc, type GatewayProc } from "../fixtures/gateway.ts";
import { startLlmServer, type LlmServer } from "../fixtures/llm-server/index.ts";
import { startBotApiServer, type BotApiServer } from "../fixtures/telegram/bot-api.server.ts";

const ALICE = 777;

let llm: LlmServer;
let bot: BotApiServer;
let gw: GatewayProc;

beforeAll(async () => {
  llm = await startLlmServer();
  bot = await startBotApiServer();
  const configDir = mkdtempSync(join(tmpdir(), "cairn-e2e-tg-access-"));
  writeFileSync(
    join(configDir, "cairn.toml"),
    [
      "[tools.exec]",
      'approval_mode = "never"',
      "[channels.telegram]",
      "enabled = true",
      'access = "read-only"',
      `api_root = "${bot.url}"`,
      "poll_timeout_secs = 1",
      "",
    ].join("\n"),
  );
  gw = await startGatewayProc({ llmBaseUrl: llm.url, extraEnv: { CAIRN_CONFIG_DIR: configDir, CAIRN_TELEGRAM_TOKEN: bot.token } });
}, 60_000);
afterAll(async () => {
  await gw?.dispose();
  await bot?.close();
  await llm?.close();
});

type Ev = { type: string; aggregateId?: string; data: Record<string, unknown> };
const events = async (kind: string): Promise<Ev[]> =>
  (await gw.cli(["events", "tail", "--json", "--kind", kind, "-n", "1000"])).stdout
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Ev);
const lastText = () => bot.chat(ALICE).at(-1)?.texts.at(-1);
const offered = (i: number): string[] =>
  ((llm.requests[i]?.body.tools ?? []) as { function: { name: string } }[]).map((t) => t.function.name);

describe("channel permission levels", () => {
  test("read-only (the channel's level): only tools that change nothing are offered, a write named anyway is refused", async () => {
    bot.userSays(ALICE, "hello", { firstName: "Alice" });
    await bot.until("the pending notice", () => !!lastText()?.includes("has to let you in"));
    const ok = await gw.cli(["channels", "approve", String(ALICE)]);
    expect(ok.code, ok.stderr).toBe(0);

    llm.script(
      { chunks: [], toolCalls: [{ name: "write_file", arguments: JSON.stringify({ path: "owned.txt", content: "pwned" }) }] },
      { chunks: ["I may only look."] },
    );
    const asked = llm.requests.length;
    bot.userSays(ALICE, "write a file");
    await bot.until("the reply", () => lastText() === "I may only look\\.");

    const tools = offered(asked);
    expect(tools).toContain("read_file");
    expect(tools).toContain("grep");
    for (const t of ["exec", "write_file", "edit_file", "create_skill", "memory_save", "session_state", "nodes_select"])
      expect(tools).not.toContain(t);

    const run = await events("run");
    expect(run.filter((e) => e.type === "run.started").at(-1)?.data.access).toBe("read-only");
    // Refused before it started: a result the model read, never a run of the tool.
    const finished = run.filter((e) => e.type === "run.tool_finished").at(-1);
    expect(finished?.data).toMatchObject({ isError: true });
    expect(String(finished?.data.output)).toContain("read-only access");
    expect(run.some((e) => e.type === "run.tool_started" && e.data.callId === finished?.data.callId)).toBe(false);
    expect(JSON.stringify(llm.requests.at(-1)?.body.messages)).toContain("read-only access");

    const received = (await events("channel")).filter((e) => e.type === "channel.update_received" && e.data.verdict === "accepted");
    expect(received.at(-1)?.data.access).toBe("read-only");
    const senders = JSON.parse((await gw.cli(["channels", "pending", "--all", "--json"])).stdout) as { access: string | null };
    expect(senders).toMatchObject({ status: "approved", access: null });
  });

  // `touch` changes something: the smart rules that let read-only commands (`echo`, `ls`) through still apply.
  test("execute: a command asks a person even though the owner's approval_mode is never; /model is refused", async () => {
    const set = await gw.cli(["channels", "access", String(ALICE), "execute"]);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toContain("execute");

    llm.script(
      { chunks: [], toolCalls: [{ name: "exec", arguments: JSON.stringify({ command: "touch by-alice" }) }] },
      { chunks: ["Done."] },
    );
    const asked = llm.requests.length;
    bot.userSays(ALICE, "run something");
    await bot.until("the approval buttons", () =>
      bot.chat(ALICE).some((m) => m.replyMarkup !== null && m.texts[0].includes("touch by-alice")),
    );
    expect(offered(asked)).toContain("exec");
    const ask = bot.chat(ALICE).find((m) => m.replyMarkup !== null) as (typeof bot.messages)[number];
    const approve = (ask.replyMarkup as { inline_keyboard: { callback_data: string }[][] }).inline_keyboard[0][0];
    bot.userPresses(ALICE, approve.callback_data, ask);
    await bot.until("the reply after the command", () => lastText() === "Done\\.");
    expect(JSON.stringify(llm.requests.at(-1)?.body.messages)).toContain("by-alice");
    expect((await events("run")).filter((e) => e.type === "run.started").at(-1)?.data.access).toBe("execute");

    bot.userSays(ALICE, "/model openai/gpt-4o-mini");
    await bot.until("the refusal", () => !!lastText()?.includes("Only an admin"));
    expect((await events("session")).some((e) => e.type === "session.model_set")).toBe(false);
  });

  test("admin: as the owner — the owner's approval_mode applies (no question), and /model works", async () => {
    const set = await gw.cli(["channels", "access", String(ALICE), "admin"]);
    expect(set.code, set.stderr).toBe(0);
    llm.script(
      { chunks: [], toolCalls: [{ name: "exec", arguments: JSON.stringify({ command: "echo as-admin" }) }] },
      { chunks: ["Ran."] },
    );
    const buttons = bot.chat(ALICE).filter((m) => m.replyMarkup !== null).length;
    bot.userSays(ALICE, "run again");
    await bot.until("the reply", () => lastText() === "Ran\\.");
    expect(bot.chat(ALICE).filter((m) => m.replyMarkup !== null).length).toBe(buttons);
    expect(JSON.stringify(llm.requests.at(-1)?.body.messages)).toContain("as-admin");

    bot.userSays(ALICE, "/model openai/gpt-4o-mini");
    await bot.until("the switch", () => !!lastText()?.includes("uses openai/gpt-4o-mini now"));
    const changes = (await events("channel")).filter((e) => e.type === "channel.sender_access_set").map((e) => e.data.access);
    expect(changes).toEqual(["execute", "admin"]);
  });
});
