import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { autoRetry } from "@grammyjs/auto-retry";
import { Api } from "grammy";
import type { ActorSystem } from "../../actors/index.ts";
import { createTelegramBot, serveTelegramWebhook, webhookSecret, type TelegramBot } from "../../actors/channels/index.ts";
import { channelTokens } from "../channel.tokens.ts";
import { serve, subjects } from "../../bus/index.ts";
import { DEFAULT_CHANNEL_ACCESS, type ChannelStatus } from "../../schemas/index.ts";
import type { Settings } from "../config/index.ts";

/**
 * The channels this gateway runs: Telegram when `[channels.telegram] enabled` and a token is
 * found (`CAIRN_TELEGRAM_TOKEN`, else the key file). Every gateway may run the loop; only the one
 * owning the channel's aggregate polls. `admin.channels.status` says what this one is doing.
 */
export function startChannels(o: {
  nc: NatsConnection;
  settings: Settings;
  configDir: string;
  env: NodeJS.ProcessEnv;
  system: ActorSystem;
  log: (line: string) => void;
}): { subs: Subscription[]; stop: () => Promise<void> } {
  const tg = o.settings.telegram;
  const token = tg ? o.env.CAIRN_TELEGRAM_TOKEN?.trim() || channelTokens(o.configDir).get("telegram") : undefined;
  let bot: TelegramBot | undefined;
  if (tg && token) {
    const api = new Api(token, tg.apiRoot ? { apiRoot: tg.apiRoot } : {});
    // 429s are waited out (Telegram names the wait); longer than a minute fails the call instead.
    api.config.use(autoRetry({ maxRetryAttempts: 3, maxDelaySeconds: 60 }));
    bot = createTelegramBot({
      api,
      nc: o.nc,
      allowedUsers: tg.allowedUsers,
      defaultAccess: tg.access,
      owns: () => o.system.owns("channel", "telegram"),
      report: o.log,
      pollTimeoutSec: tg.pollTimeoutSec,
      ...(tg.webhookUrl ? { webhook: { url: tg.webhookUrl, secret: webhookSecret(token) } } : {}),
    });
    bot.start();
    o.log(`telegram: channel on (${tg.webhookUrl ? `webhook at ${tg.webhookUrl}` : "long polling"})`);
  } else if (tg) {
    o.log("telegram: enabled, but no bot token: set CAIRN_TELEGRAM_TOKEN or run `cairn channels set-token telegram`");
  }
  const status = (): ChannelStatus => ({
    channel: "telegram",
    enabled: tg !== null,
    problem: tg && !token ? "no bot token: set CAIRN_TELEGRAM_TOKEN or run `cairn channels set-token telegram`" : null,
    mode: tg?.webhookUrl ? ("webhook" as const) : ("polling" as const),
    access: tg?.access ?? DEFAULT_CHANNEL_ACCESS,
    ...(bot?.status() ?? { state: "stopped" as const, lastError: null, failures: 0, since: 0, bot: null }),
  });
  const subs = [serve(o.nc, subjects.admin("channels", "status"), () => ({ channels: [status()] }))];
  if (bot && tg?.webhookUrl && token)
    subs.push(serveTelegramWebhook(o.nc, bot, webhookSecret(token), () => o.system.owns("channel", "telegram")));
  return { subs, stop: async () => bot?.stop() };
}
