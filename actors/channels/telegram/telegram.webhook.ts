import { createHmac, timingSafeEqual } from "node:crypto";
import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import * as Schema from "effect/Schema";
import type { Update } from "grammy/types";
import { serve, subjects } from "../../../bus/index.ts";
import { CairnError, decodeOrFail } from "../../../schemas/index.ts";
import type { TelegramBot } from "./telegram.types.ts";

/**
 * The secret Telegram echoes with each webhook post (`secret_token`: 1–256 of A–Z a–z 0–9 _ -),
 * derived from the bot token so every gateway and every restart agree on it without storing
 * another secret, and it changes when the token does. Only who knows the token can forge it.
 */
export const webhookSecret = (botToken: string): string =>
  createHmac("sha256", botToken).update("cairn telegram webhook v1").digest("base64url");

/** What the edge forwards: the header's value and the posted body (Telegram's own shape, read by the bot). */
const WebhookPost = Schema.Struct({ secret: Schema.String, update: Schema.Unknown });

const same = (a: string, b: string): boolean => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/**
 * `admin.channels.telegram_webhook`: checks the secret, then hands the update to the bot's loop.
 * Every gateway's edge forwards posts here; only the gateway that owns the channel answers (the
 * others stay silent rather than refuse, so the owner's answer is the one the edge gets).
 */
export const serveTelegramWebhook = (nc: NatsConnection, bot: TelegramBot, secret: string, owns: () => boolean): Subscription =>
  serve(
    nc,
    subjects.admin("channels", "telegram_webhook"),
    async (p) => {
      const post = decodeOrFail(WebhookPost, p, "telegram webhook post");
      if (!same(post.secret, secret)) throw new CairnError("unauthorized", "wrong or missing X-Telegram-Bot-Api-Secret-Token");
      const u = post.update as Partial<Update> | null;
      if (typeof u !== "object" || u === null || typeof u.update_id !== "number")
        throw new CairnError("bad_request", "not a Telegram update");
      // Read by the same code as a polled update (which skips kinds it does not know).
      await bot.webhookUpdate(u as Update);
      return { recorded: true };
    },
    { when: owns },
  );
