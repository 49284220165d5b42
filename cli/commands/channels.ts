import { request, requestAs, subjects } from "../../bus/index.ts";
import * as Schema from "effect/Schema";
import { ChannelAccess, ChannelStatusResult, ChannelUserId, ListChannelSendersResult, type ChannelSender } from "../../schemas/index.ts";
import { connectToGateway } from "../connect.ts";
import { channelTokens } from "../channel.tokens.ts";
import { UsageError, localTime, table } from "../output.ts";
import type { Paths } from "../paths.ts";
import { readSecret } from "./providers.ts";

const CHANNELS = ["telegram"] as const;
const channelOf = (name: string): string => {
  if (!(CHANNELS as readonly string[]).includes(name)) throw new UsageError(`unknown channel '${name}'; channels: ${CHANNELS.join(", ")}`);
  return name;
};

/** `cairn channels [status]`: what each channel's loop is doing, and how many senders wait. */
export async function channelsStatus(o: { json: boolean }, paths: Paths): Promise<number> {
  const nc = await connectToGateway(paths);
  try {
    const { channels } = await requestAs(nc, subjects.admin("channels", "status"), {}, ChannelStatusResult);
    const { senders } = await requestAs(nc, subjects.query("channels", "senders"), { status: "pending" }, ListChannelSendersResult);
    if (o.json) {
      for (const c of channels)
        process.stdout.write(`${JSON.stringify({ ...c, pending: senders.filter((s) => s.channel === c.channel).length })}\n`);
      return 0;
    }
    const rows = channels.map((c) => [
      c.channel,
      c.enabled ? c.state : "off",
      String(senders.filter((s) => s.channel === c.channel).length),
      c.problem ?? c.lastError ?? "",
    ]);
    process.stdout.write(table([["CHANNEL", "STATE", "PENDING", "NOTE"], ...rows]));
    return 0;
  } finally {
    await nc.close();
  }
}

/** `cairn channels pending|senders`: who waits to be let in (or everyone who wrote, with --all). */
export async function channelsSenders(o: { json: boolean; all: boolean }, paths: Paths): Promise<number> {
  const nc = await connectToGateway(paths);
  try {
    const { senders } = await requestAs(
      nc,
      subjects.query("channels", "senders"),
      o.all ? {} : { status: "pending" },
      ListChannelSendersResult,
    );
    if (o.json) {
      process.stdout.write(senders.map((s) => `${JSON.stringify(s)}\n`).join(""));
      return 0;
    }
    if (senders.length === 0) {
      process.stdout.write(o.all ? "nobody has written to a channel yet\n" : "no senders waiting\n");
      return 0;
    }
    const row = (s: ChannelSender) => [
      s.channel,
      s.userId,
      s.name || "-",
      s.status,
      s.access ?? "default",
      localTime(s.firstSeen),
      String(s.messages),
    ];
    process.stdout.write(table([["CHANNEL", "USER", "NAME", "STATUS", "ACCESS", "FIRST SEEN", "MESSAGES"], ...senders.map(row)]));
    if (!o.all) process.stdout.write("let one in with: cairn channels approve <user>   (or: cairn channels deny <user>)\n");
    return 0;
  } finally {
    await nc.close();
  }
}

const userOf = (userId: string): string => {
  if (!Schema.is(ChannelUserId)(userId)) throw new UsageError(`a user is the numeric id 'cairn channels pending' shows, got '${userId}'`);
  return userId;
};
const accessOf = (level: string): ChannelAccess => {
  if (!Schema.is(ChannelAccess)(level)) throw new UsageError(`a level is one of ${ChannelAccess.literals.join(", ")}, got '${level}'`);
  return level;
};

/** `cairn channels approve|deny <user> [--access LEVEL] [--channel telegram]`. */
export async function channelsDecide(
  o: { verb: "approve" | "deny"; userId: string; channel: string; json: boolean; access?: string },
  paths: Paths,
): Promise<number> {
  userOf(o.userId);
  if (o.access !== undefined && o.verb === "deny") throw new UsageError("--access goes with approve");
  const access = o.access !== undefined ? { access: accessOf(o.access) } : {};
  const nc = await connectToGateway(paths);
  try {
    const r = (await request(nc, subjects.command("channel", channelOf(o.channel), `${o.verb}_sender`), {
      userId: o.userId,
      by: "cli",
      ...access,
    })) as {
      status: string;
      changed: boolean;
    };
    if (o.json) process.stdout.write(`${JSON.stringify(r)}\n`);
    else process.stdout.write(r.changed ? `${o.userId} ${r.status}\n` : `${o.userId} was already ${r.status}; nothing changed\n`);
    return 0;
  } finally {
    await nc.close();
  }
}

/** `cairn channels access <user> <level|default>`: the sender's own level (default: the channel's). */
export async function channelsAccess(o: { userId: string; access: string; channel: string; json: boolean }, paths: Paths): Promise<number> {
  userOf(o.userId);
  const access = o.access === "default" ? null : accessOf(o.access);
  const nc = await connectToGateway(paths);
  try {
    const r = (await request(nc, subjects.command("channel", channelOf(o.channel), "set_access"), {
      userId: o.userId,
      access,
      by: "cli",
    })) as {
      changed: boolean;
    };
    const level = access ?? "the channel's level";
    if (o.json) process.stdout.write(`${JSON.stringify(r)}\n`);
    else
      process.stdout.write(r.changed ? `${o.userId} has ${level} now (from their next message)\n` : `${o.userId} already had ${level}\n`);
    return 0;
  } finally {
    await nc.close();
  }
}

/** `cairn channels set-token telegram`: the bot token from stdin or a hidden prompt, into the config dir (0600), never the log. */
export async function channelsSetToken(o: { channel: string; json: boolean }, paths: Paths): Promise<number> {
  const channel = channelOf(o.channel);
  const token = await readSecret(`${channel} bot token`, `cairn channels set-token ${channel} < token.txt`);
  if (token === null) {
    process.stderr.write("cancelled; nothing stored\n");
    return 1;
  }
  const store = channelTokens(paths.configDir);
  store.set(channel, token);
  if (o.json) process.stdout.write(`${JSON.stringify({ ok: true, channel, file: store.file })}\n`);
  else process.stdout.write(`stored the ${channel} bot token in ${store.file}; restart the gateway to use it\n`);
  return 0;
}
