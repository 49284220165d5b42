import type { NatsConnection } from "@nats-io/transport-node";
import type { Api } from "grammy";
import type { Update } from "grammy/types";
import type { ChannelAccess } from "../../../schemas/index.ts";

/** What the Telegram channel's loop is given (see createTelegramBot). */
export interface TelegramBotDeps {
  readonly api: Api;
  readonly nc: NatsConnection;
  /** `[channels.telegram] allowed_users`: user ids or @usernames approved on sight. */
  readonly allowedUsers: readonly string[];
  /** `[channels.telegram] access`: the level of a sender without one of their own (default execute). */
  readonly defaultAccess?: ChannelAccess;
  /** Whether this gateway owns the channel now (several gateways: one polls). */
  readonly owns: () => boolean;
  readonly report: (line: string) => void;
  /**
   * Webhook mode: Telegram posts updates to `url` (the edge's `/api/channels/telegram/webhook`,
   * as the internet reaches it) with `secret` in a header. Absent: long polling.
   */
  readonly webhook?: { readonly url: string; readonly secret: string };
  /** Long-poll wait (Telegram's `timeout`), seconds. Default 25. */
  readonly pollTimeoutSec?: number;
  /** Least time between two edits of a streaming reply. Default 1000 ms. */
  readonly editIntervalMs?: number;
  readonly now?: () => number;
}

export type ChannelState = "stopped" | "standby" | "polling" | "listening" | "backing_off";
export interface ChannelStatus {
  readonly state: ChannelState;
  readonly lastError: string | null;
  readonly failures: number;
  readonly since: number;
  /** The bot as Telegram knows it (`getMe`), once reached. */
  readonly bot: { readonly id: number; readonly username: string; readonly name: string } | null;
}

export interface TelegramBot {
  start(): void;
  stop(): Promise<void>;
  status(): ChannelStatus;
  /**
   * One update Telegram posted (webhook mode), handled as a polled one is. Resolves once it is
   * recorded (and its work queued); rejects when it was not, so Telegram delivers it again.
   */
  webhookUpdate(u: Update): Promise<void>;
}
