import type { NatsConnection } from "@nats-io/transport-node";
import * as Schema from "effect/Schema";
import { serve, subjects } from "../bus/index.ts";
import { ChannelAccess, ListChannelSenders, decodeOrFail, type ChannelSender } from "../schemas/index.ts";
import type { Db } from "./db.ts";
import { decodeRows } from "./rows.ts";

const SenderRow = Schema.Struct({
  channel: Schema.String,
  user_id: Schema.String,
  name: Schema.String,
  chat_id: Schema.String,
  status: Schema.Literals(["pending", "approved", "denied"]),
  first_seen: Schema.Number,
  decided_at: Schema.NullOr(Schema.Number),
  decided_by: Schema.NullOr(Schema.String),
  messages: Schema.Number,
  last_at: Schema.NullOr(Schema.Number),
  access: Schema.NullOr(ChannelAccess),
});

const toSender = (r: typeof SenderRow.Type): ChannelSender => ({
  channel: r.channel,
  userId: r.user_id,
  name: r.name,
  chatId: r.chat_id,
  status: r.status,
  firstSeen: r.first_seen,
  decidedAt: r.decided_at,
  decidedBy: r.decided_by,
  messages: r.messages,
  lastAt: r.last_at,
  access: r.access,
});

export const channelQueries = (db: () => Db) => ({
  /** Pending first (oldest first: the queue), then the others, newest decision first. */
  senders: (channel?: string, status?: string): ChannelSender[] =>
    decodeRows(
      SenderRow,
      db()
        .prepare(
          `SELECT * FROM channel_senders WHERE (@channel IS NULL OR channel = @channel) AND (@status IS NULL OR status = @status)
           ORDER BY status != 'pending', CASE WHEN status = 'pending' THEN first_seen ELSE -COALESCE(decided_at, 0) END LIMIT 500`,
        )
        .all({ channel: channel ?? null, status: status ?? null }),
      "channel_senders",
    ).map(toSender),
});
export type ChannelQueries = ReturnType<typeof channelQueries>;

export const serveChannelQueries = (nc: NatsConnection, q: ChannelQueries) => [
  serve(nc, subjects.query("channels", "senders"), (p) => {
    const params = decodeOrFail(ListChannelSenders, p ?? {}, "channels.senders params");
    return { senders: q.senders(params.channel, params.status) };
  }),
];
