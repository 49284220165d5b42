/**
 * Telegram in webhook mode through a real gateway process: the bot tells Telegram (the scripted Bot
 * API server) where to post and with which secret, never polls, and the updates Telegram posts to
 * the edge's `/api/channels/telegram/webhook` are answered as polled ones are. A post without the
 * secret is refused and changes nothing; an update posted again is answered once.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { startGatewayProc, type GatewayProc } from "../fixtures/gateway.ts";
import { startLlmServer, type LlmServer } from "../fixtures/llm-server/index.ts";
import { startBotApiServer, type BotApiServer } from "../fixtures/telegram/bot-api.server.ts";

const OWNER = 111;

let llm: LlmServer;
let bot: BotApiServer;
let gw: GatewayProc;
let hookUrl: string;

const freePort = () =>
  new Promise<number>((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

beforeAll(async () => {
  llm = await startLlmServer();
  bot = await startBotApiServer();
  // Telegram must know the URL before the gateway starts: the gateway's port is chosen here.
  const port = await freePort();
  hookUrl = `http://127.0.0.1:${port}/api/channels/telegram/webhook`;
  const configDir = mkdtempSync(join(tmpdir(), "cairn-e2e-tg-webhook-"));
  writeFileSync(
    join(configDir, "cairn.toml"),
    [
      "[channels.telegram]",
      "enabled = true",
      'allowed_users = ["@owner"]',
      `api_root = "${bot.url}"`,
      `webhook_url = "${hookUrl}"`,
      "",
    ].join("\n"),
  );
  gw = await startGatewayProc({
    llmBaseUrl: llm.url,
    extraEnv: { CAIRN_CONFIG_DIR: configDir, CAIRN_TELEGRAM_TOKEN: bot.token, CAIRN_PORT: String(port) },
  });
}, 60_000);
afterAll(async () => {
  await gw?.dispose();
  await bot?.close();
  await llm?.close();
});

const lastText = () => bot.chat(OWNER).at(-1)?.texts.at(-1);
const received = async () =>
  (await gw.cli(["events", "tail", "--json", "--kind", "channel", "-n", "500"])).stdout
    .trim()
    .split("\n")
    .filter(Boolean)
    .map((l) => JSON.parse(l) as { type: string; data: Record<string, unknown> })
    .filter((e) => e.type === "channel.update_received");

describe("Telegram webhook mode", () => {
  test("the bot registers the webhook with a secret and never polls; a posted message is answered", async () => {
    await bot.until("the webhook set", () => bot.webhook() !== null, 30_000);
    expect(bot.webhook()).toMatchObject({ url: hookUrl });
    expect(bot.webhook()?.secret).toMatch(/^[A-Za-z0-9_-]{32,256}$/);
    expect(bot.webhook()?.secret).not.toContain(bot.token);

    llm.script({ chunks: ["Hooked."] });
    bot.userSays(OWNER, "hi over the webhook", { username: "owner" });
    await bot.until("the reply", () => lastText() === "Hooked\\.");
    expect(bot.webhookReplies.at(-1)).toBe(200);
    expect(bot.calls.some((c) => c.method === "getUpdates")).toBe(false);

    const status = JSON.parse((await gw.cli(["channels", "status", "--json"])).stdout) as { mode: string; state: string };
    expect(status).toMatchObject({ mode: "webhook", state: "listening" });
  });

  test("a post without the secret (or with another) is refused and records nothing", async () => {
    const before = (await received()).length;
    const update = {
      update_id: 99_999,
      message: {
        message_id: 1,
        date: 0,
        chat: { id: OWNER, type: "private" },
        from: { id: OWNER, is_bot: false, first_name: "O", username: "owner" },
        text: "forged",
      },
    };
    for (const headers of [{}, { "X-Telegram-Bot-Api-Secret-Token": "guess" }] as Record<string, string>[]) {
      const r = await fetch(hookUrl, {
        method: "POST",
        headers: { "Content-Type": "application/json", ...headers },
        body: JSON.stringify(update),
      });
      expect(r.status).toBe(401);
    }
    expect((await received()).length).toBe(before);
  });

  test("an update posted again is answered once", async () => {
    llm.script({ chunks: ["Only once."] });
    const id = bot.userSays(OWNER, "once please", { username: "owner" });
    await bot.until("the reply", () => lastText() === "Only once\\.");
    const sent = bot.messages.length;
    const asked = llm.requests.length;
    const posts = bot.webhookReplies.length;
    bot.redeliver(id);
    await bot.until("the repeat posted", () => bot.webhookReplies.length > posts);
    expect(bot.webhookReplies.at(-1)).toBe(200);
    bot.userSays(OWNER, "/help", { username: "owner" });
    await bot.until("the help", () => !!lastText()?.includes("/new start a new conversation"));
    expect(llm.requests.length).toBe(asked);
    expect(bot.messages.length).toBe(sent + 1);
    expect((await received()).filter((e) => e.data.updateId === id)).toHaveLength(1);
  });
});
