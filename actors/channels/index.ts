export { CHANNEL_MACHINE_VERSION, channelMachine, type ChannelContext, type SenderEntry } from "./channel.machine.ts";
export { channelSpec, chatSessionKey, ReceiveReply, type ChannelCommand } from "./channel.commands.ts";
