import type { Projection } from "./projection.ts";

/**
 * The senders of each channel (the pending queue, and who was let in or turned away), for
 * Settings → Channels and `cairn channels pending`. Keyed by channel and user; re-applying an event
 * leaves the row as it was (counts move only with a new update's sequence, via the checkpoint).
 */
export const channelsProjection: Projection = {
  name: "channels",
  bind: (db) => {
    const pending = db.prepare(
      `INSERT INTO channel_senders(channel, user_id, name, chat_id, status, first_seen) VALUES (?, ?, ?, ?, 'pending', ?)
       ON CONFLICT(channel, user_id) DO NOTHING`,
    );
    const decided = db.prepare(
      `INSERT INTO channel_senders(channel, user_id, name, chat_id, status, first_seen, decided_at, decided_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT(channel, user_id) DO UPDATE SET status = excluded.status, decided_at = excluded.decided_at, decided_by = excluded.decided_by`,
    );
    const seen = db.prepare(
      `UPDATE channel_senders SET messages = messages + 1, last_at = ?, chat_id = CASE WHEN chat_id = '' THEN ? ELSE chat_id END
       WHERE channel = ? AND user_id = ?`,
    );
    const access = db.prepare("UPDATE channel_senders SET access = ? WHERE channel = ? AND user_id = ?");
    return (r) => {
      if (!r.ok || r.event.kind !== "channel") return;
      const e = r.event;
      const channel = e.aggregateId;
      switch (e.type) {
        case "channel.sender_pending":
          pending.run(channel, e.data.userId, e.data.name, e.data.chatId, e.time);
          return;
        case "channel.sender_approved":
        case "channel.sender_denied":
          if (e.type === "channel.sender_approved")
            decided.run(channel, e.data.userId, e.data.name ?? "", e.data.chatId ?? "", "approved", e.time, e.time, e.data.by);
          else decided.run(channel, e.data.userId, "", "", "denied", e.time, e.time, e.data.by);
          return;
        case "channel.sender_access_set":
          access.run(e.data.access, channel, e.data.userId);
          return;
        case "channel.update_received":
          seen.run(e.time, e.data.chatId, channel, e.data.userId);
          return;
      }
    };
  },
};
