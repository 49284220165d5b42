/** Read models: SQLite projections of the log, their rebuild, and the queries served from them. */
export { Projector, PROJECTIONS } from "./projector.ts";
export { openDb, SCHEMA_VERSION, type Db } from "./db.ts";
export { GetSession, queries, serveQueries, type ApprovalSummary, type GetSessionResult, type Queries } from "./queries.ts";
export { buildFresh, installRebuilt } from "./rebuild.ts";
export { summarizeEvent } from "./summary.ts";
export { listNodes, getNode, type NodeRecord, type NodeRowStatus } from "./nodes.queries.ts";
export { serveNodeList, type NodePresence } from "./nodes.list.ts";
export { authQueries, serveAuthQueries, type AuthQueries } from "./auth.queries.ts";
export { cronQueries, serveCronQueries, type CronQueries } from "./cron.queries.ts";
export { channelQueries, serveChannelQueries, type ChannelQueries } from "./channels.queries.ts";
export { searchMessages, serveSearchQueries } from "./search.queries.ts";
export { listCompactions } from "./search.compactions.ts";
export { auditQueries, serveAuditQueries, type AuditQueries } from "./audit.queries.ts";
export { eventsQueries, serveEventsQueries, sessionAtView, type EventsQueries } from "./events.queries.ts";
export { replayInto } from "./replay.ts";
export { metricsQueries, serveMetricsQueries, type MetricsQueries } from "./metrics.queries.ts";
export { DEFAULT_PRICES } from "./metrics.prices.ts";
export { DEFAULT_METRICS_RETENTION_DAYS } from "./metrics.projection.ts";
export {
  loadSessionEvents,
  pointSeq,
  refreshSessionEvents,
  sessionAt,
  type LoadedSession,
  type SessionAt,
  type SessionEvents,
  type SessionPoint,
} from "./session.at.ts";
export { SessionEventsCache } from "./session.at.cache.ts";
