/**
 * What each local NATS user may do. Only the gateway writes the log: the CLI's creds (which a
 * person copies around, and which `cairn cluster init` hands out) may ask the gateway things —
 * commands, queries, admin calls — and read the log, but never append to `evt.>`, never touch the
 * JetStream API that writes or deletes, never write KV (snapshots, partition claims), never speak
 * for a node or a gateway (`node.>`, `gw.heartbeat`). An allow list, so a subject added later is
 * refused until someone decides the CLI needs it.
 */
import { EVENTS_STREAM } from "../subjects.ts";
import type { UserLimits, UserPermissions } from "./nats.user.types.ts";

/** nats-server's default `max_payload`, stated so a server configured higher does not widen it. */
const ONE_MIB = 1024 * 1024;

/**
 * The CLI: a handful of subscriptions (request inbox, one live session, one log consumer, a
 * progress inbox); 64 is far above any subcommand and far below what hurts a server.
 */
export const CLI_LIMITS: UserLimits = { subs: 64, payload: ONE_MIB, data: -1 };

/** A node: its `in.>` and its reply inbox; the rest is headroom. */
export const NODE_LIMITS: UserLimits = { subs: 64, payload: ONE_MIB, data: -1 };

const api = (s: string) => `$JS.API.${s}`;

/**
 * The CLI's subjects, found from what each subcommand sends: `chat`, `sessions`, `approvals`,
 * `models`, `providers`, `doctor` (cmd.>, q.>), `status` (q.status.get or gw.<id>.status), `metrics` (gw.<id>.metrics),
 * `node approve|deny|revoke|pairing` and `projections rebuild` (admin.>), `events tail` (stream
 * info, message gets and an ordered consumer on the log — reading only).
 */
export const cliPermissions: UserPermissions = {
  pub: {
    allow: [
      "cmd.>",
      "q.>",
      "admin.>",
      "gw.*.status",
      "gw.*.metrics",
      api("INFO"),
      api("STREAM.NAMES"),
      api("STREAM.LIST"),
      api("STREAM.INFO.*"),
      api("STREAM.MSG.GET.*"),
      // The ordered consumer of `events tail`: created by name (nats-server ≥ 2.9), pulled, looked up.
      api(`CONSUMER.CREATE.${EVENTS_STREAM}.>`),
      api(`CONSUMER.MSG.NEXT.${EVENTS_STREAM}.*`),
      api(`CONSUMER.INFO.${EVENTS_STREAM}.*`),
    ],
    // Redundant with the allow list, stated for the reader and as a guard should the list widen.
    deny: [
      "evt.>",
      "$KV.>",
      api("STREAM.CREATE.>"),
      api("STREAM.UPDATE.>"),
      api("STREAM.DELETE.>"),
      api("STREAM.PURGE.>"),
      api("STREAM.MSG.DELETE.>"),
      api("STREAM.RESTORE.>"),
    ],
  },
  // Replies and consumer deliveries come to its inbox; `chat` follows `live.session.<key>`.
  sub: { allow: ["_INBOX.>", "live.>"] },
};
