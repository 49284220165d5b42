export { CHANNEL_MACHINE_VERSION, channelMachine, type AwaitingReply, type ChannelContext, type SenderEntry } from "./channel.machine.ts";
export { channelSpec, chatSessionKey, OwedReply, ReceiveReply, type ChannelCommand } from "./channel.commands.ts";
export { BOT_COMMANDS, botCommandOf, type BotCommand } from "./bot.commands.ts";
export { serveTelegramWebhook, webhookSecret } from "./telegram/telegram.webhook.ts";
export { createTelegramBot } from "./telegram/telegram.bot.ts";
export type { ChannelState, TelegramBot, TelegramBotDeps } from "./telegram/telegram.types.ts";
