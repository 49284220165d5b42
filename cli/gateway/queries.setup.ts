import type { NatsConnection, Subscription } from "@nats-io/transport-node";
import { approvalIdFor } from "../../actors/approval/index.ts";
import type { EventLog } from "../../bus/index.ts";
import {
  auditQueries,
  authQueries,
  channelQueries,
  DEFAULT_PRICES,
  eventsQueries,
  metricsQueries,
  serveAuditQueries,
  serveAuthQueries,
  serveChannelQueries,
  serveCronQueries,
  serveEventsQueries,
  serveMetricsQueries,
  serveNodeList,
  serveQueries,
  serveSearchQueries,
  type cronQueries,
  type NodePresence,
  type Projector,
  type queries,
} from "../../projections/index.ts";
import type { Settings } from "../config/index.ts";

/**
 * The query services over the read models (`q.*`): sessions, cron, channels, audit, events,
 * search, auth, nodes and the metrics history, each answering from the projector's SQLite file
 * and, where a caller may need to read its own write, after the projector's checkpoint.
 */
export function serveReadModels(o: {
  nc: NatsConnection;
  projector: Projector;
  q: ReturnType<typeof queries>;
  cronQ: ReturnType<typeof cronQueries>;
  eventLog: EventLog;
  presence: NodePresence;
  settings: Settings;
}): Subscription[] {
  const { nc, projector } = o;
  const db = () => projector.db;
  const checkpoint = () => projector.checkpoint;
  return [
    ...serveQueries(nc, o.q, checkpoint),
    ...serveCronQueries(nc, o.cronQ, checkpoint),
    ...serveChannelQueries(nc, channelQueries(db)),
    ...serveAuditQueries(nc, auditQueries(db), checkpoint),
    ...serveEventsQueries(nc, { q: eventsQueries(db), log: o.eventLog, checkpoint, approvalIdOf: approvalIdFor }),
    ...serveSearchQueries(nc, db, checkpoint),
    ...serveAuthQueries(nc, authQueries(db, Date.now)),
    serveNodeList(nc, db, o.presence),
    ...serveMetricsQueries(
      nc,
      metricsQueries(db, {
        prices: { ...DEFAULT_PRICES, ...o.settings.telemetry.prices },
        retentionDays: o.settings.telemetry.historyDays,
        now: Date.now,
      }),
    ),
  ];
}
