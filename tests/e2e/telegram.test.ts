/**
 * The Telegram channel through a real gateway process and grammy, against a scripted Bot API server
 * on loopback (tests/fixtures/telegram/): a stranger waits in the pending queue until approved with
 * the CLI; an allowed user's reply streams by edits and ends formatted; a tool approval arrives as
 * inline buttons and the press resolves it; a redelivered update is answered once; a 429 is waited
 * out; every message in and out is an event.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startGatewayProc, type GatewayProc } from "../fixtures/gateway.ts";
import { startLlmServer, type LlmServer } from "../fixtures/llm-server/index.ts";
import { startBotApiServer, type BotApiServer } from "../fixtures/telegram/bot-api.server.ts";

const OWNER = 111;
const STRANGER = 555;

let llm: LlmServer;
let bot: BotApiServer;
let gw: GatewayProc;

beforeAll(async () => {
  llm = await startLlmServer();
  bot = await startBotApiServer();
  const configDir = mkdtempSync(join(tmpdir(), "cairn-e2e-telegram-"));
  writeFileSync(
    join(configDir, "cairn.toml"),
    [
      "[tools.exec]",
      'approval_mode = "always"',
      "[channels.telegram]",
      "enabled = true",
      'allowed_users = ["@owner"]',
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

const lastText = (chatId: number) => bot.chat(chatId).at(-1)?.texts.at(-1);
const channelEvents = async () =>
  (await gw.cli(["events", "tail", "--json", "--kind", "channel", "-n", "500"])).stdout
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { type: string; data: Record<string, unknown> });

describe("Telegram", () => {
  test("an allowed user's reply streams by edits, then arrives formatted; the messages are events", async () => {
    llm.script({ chunks: ["Hello", " there,", " **friend**", "!"], chunkDelayMs: 700 });
    bot.userSays(OWNER, "hi", { username: "owner" });
    await bot.until("the final reply", () => bot.chat(OWNER).some((m) => m.parseMode === "MarkdownV2"));
    const [reply] = bot.chat(OWNER);
    expect(reply.texts[0]).toBe("…");
    expect(reply.texts.length).toBeGreaterThanOrEqual(3); // placeholder, at least one streaming edit, the final text
    expect(reply.texts.at(-1)).toBe("Hello there, *friend*\\!");
    expect(llm.requests).toHaveLength(1);
    await expect
      .poll(async () => (await channelEvents()).map((e) => e.type))
      .toEqual([
        "channel.sender_approved",
        "channel.session_started",
        "channel.update_received",
        "channel.reply_started",
        "channel.message_sent",
      ]);
  });

  test("a stranger waits until approved with the CLI; then their next message is answered in their own session", async () => {
    const before = llm.requests.length;
    bot.userSays(STRANGER, "let me in", { firstName: "Eve" });
    await bot.until("the pending notice", () => !!lastText(STRANGER)?.includes("has to let you in"));
    const pending = JSON.parse((await gw.cli(["channels", "pending", "--json"])).stdout) as {
      userId: string;
      name: string;
      status: string;
    };
    expect(pending).toMatchObject({ userId: String(STRANGER), name: "Eve", status: "pending" });
    bot.userSays(STRANGER, "please?");
    // Held, not answered, and the agent never saw it.
    await expect.poll(async () => (await channelEvents()).filter((e) => e.data.verdict === "pending").length).toBe(2);
    expect(llm.requests.length).toBe(before);
    expect(bot.chat(STRANGER)).toHaveLength(1);

    const approved = await gw.cli(["channels", "approve", String(STRANGER)]);
    expect(approved.code, approved.stderr).toBe(0);
    llm.script({ chunks: ["Welcome."] });
    bot.userSays(STRANGER, "now?");
    await bot.until("the reply", () => lastText(STRANGER) === "Welcome\\.");
    expect(JSON.stringify(llm.requests.at(-1)?.body.messages)).not.toContain("please?");
    const status = JSON.parse((await gw.cli(["channels", "status", "--json"])).stdout) as { state: string; pending: number };
    expect(status).toMatchObject({ state: "polling", pending: 0 });
  });

  test("a tool approval arrives as buttons; pressing Approve runs the command", async () => {
    llm.script(
      { chunks: [], toolCalls: [{ name: "exec", arguments: JSON.stringify({ command: "echo from-telegram" }) }] },
      { chunks: ["Ran it."] },
    );
    bot.userSays(OWNER, "run it", { username: "owner" });
    await bot.until("the approval buttons", () =>
      bot.chat(OWNER).some((m) => m.replyMarkup !== null && m.texts[0].includes("echo from-telegram")),
    );
    const ask = bot.chat(OWNER).find((m) => m.replyMarkup !== null) as (typeof bot.messages)[number];
    const approve = (ask.replyMarkup as { inline_keyboard: { text: string; callback_data: string }[][] }).inline_keyboard[0][0];
    expect(approve.text).toBe("Approve");
    // Someone else pressing it changes nothing.
    bot.userPresses(STRANGER, approve.callback_data, ask);
    bot.userPresses(OWNER, approve.callback_data, ask);
    // The reply comes below the question (the empty "…" before it was removed).
    await bot.until("the reply after the command", () => lastText(OWNER) === "Ran it\\.");
    expect(bot.chat(OWNER).at(-2)?.texts.at(-1)).toMatch(/→ granted$/);
    expect(JSON.stringify(llm.requests.at(-1)?.body.messages)).toContain("from-telegram");
    expect(bot.calls.filter((c) => c.method === "answerCallbackQuery").map((c) => c.params.text)).toEqual([
      "This button is no longer valid; answer in cairn (UI or `cairn approvals`).",
      "Approved",
    ]);
  });

  test("an update delivered again is answered once; a 429 is waited out", async () => {
    llm.script({ chunks: ["Once."] });
    bot.throttle("sendMessage", 1, 1);
    const id = bot.userSays(OWNER, "say it once", { username: "owner" });
    await bot.until("the reply", () => lastText(OWNER) === "Once\\.");
    const requests = llm.requests.length;
    const sent = bot.messages.length;
    bot.redeliver(id);
    bot.userSays(OWNER, "/help", { username: "owner" });
    await bot.until("the help", () => !!lastText(OWNER)?.includes("/new start a new conversation"));
    expect(llm.requests.length).toBe(requests);
    expect(bot.messages.length).toBe(sent + 1);
    // The throttled send was retried after Telegram's retry_after.
    expect(
      bot.calls.filter((c) => c.method === "sendMessage" && String(c.params.chat_id) === String(OWNER) && c.params.text === "…").length,
    ).toBeGreaterThanOrEqual(2);
  });

  test("kill -9 in the middle of a reply: after the restart the message is answered once, in the same Telegram message", async () => {
    llm.script({ chunks: ["never", " finished"], firstByteDelayMs: 30_000 });
    const asked = llm.requests.length;
    bot.userSays(OWNER, "a slow question", { username: "owner" });
    await bot.until("the model asked", () => llm.requests.length > asked);
    await expect.poll(async () => (await channelEvents()).some((e) => e.type === "channel.reply_started")).toBe(true);
    const started = bot.chat(OWNER).at(-1) as (typeof bot.messages)[number];
    expect(started.texts).toEqual(["…"]);
    await gw.kill("SIGKILL");
    llm.reset();
    await gw.restart();
    // The run the crash cut off is recorded as interrupted (never re-run behind the user's back),
    // and the Telegram message it had started says so: no stray "…", no second answer.
    await bot.until("the interrupted reply", () => started.texts.length > 1, 30_000);
    expect(started.texts.at(-1)).toMatch(/^⚠ the gateway stopped while this reply/);
    const answers = (await channelEvents()).filter(
      (e) => e.type === "channel.message_sent" && (e.data.messageIds as number[]).includes(started.messageId),
    );
    expect(answers).toHaveLength(1);
    expect(llm.requests.filter((r) => JSON.stringify(r.body.messages).includes("a slow question"))).toHaveLength(0);
  });
});
