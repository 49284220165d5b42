import type { NatsConnection } from "@nats-io/transport-node";
import * as Schema from "effect/Schema";
import { describeModelSetup, type ModelConfig, type ModelEnv } from "../../actors/index.ts";
import { encodeJson, serve, subjects, type ArchivePolicy, type ArchiveResult, type EventLog } from "../../bus/index.ts";
import { buildFresh, installRebuilt, type Projector } from "../../projections/index.ts";
import { importSessionText, sessionExportFile } from "../session.transfer.ts";
import {
  SessionExportFormat,
  SessionKey,
  decodeOrFail,
  type ClusterStatus,
  type SandboxStatus,
  type StatusPayload,
} from "../../schemas/index.ts";

/** A backlog this big is worth telling the user about (a burst of a few hundred is routine). */
export const CATCHING_UP_FROM = 1_000;

/** The read models' part of the status: position, and the projector watchdog's verdict. */
export const projectionStatus = (
  p: Pick<Projector, "checkpoint" | "health" | "consumerRestarts">,
  logLastSeq: number,
): StatusPayload["projections"] => {
  const checkpoint = p.checkpoint;
  const h = p.health(logLastSeq);
  const lag = Math.max(0, logLastSeq - checkpoint);
  return {
    checkpoint,
    logLastSeq,
    lag,
    state: h.state,
    issue: h.issue,
    reason: h.reason,
    consumerRestarts: p.consumerRestarts,
    ...(h.state === "ok" && lag >= CATCHING_UP_FROM ? { catchingUp: lag } : {}),
  };
};

/**
 * The gateway publishes progress with its own (full) rights, so the caller may name only a reply
 * inbox: never `evt.…` or any other subject the caller may not publish to itself.
 */
const ArchiveParams = Schema.Struct({ maxAgeMs: Schema.optionalKey(Schema.Number), maxBytes: Schema.optionalKey(Schema.Number) });
const ImportParams = Schema.Struct({ text: Schema.String, as: Schema.optionalKey(Schema.String) });
const ExportParams = Schema.Struct({ sessionKey: SessionKey, format: SessionExportFormat });
const RebuildParams = Schema.Struct({
  progressSubject: Schema.optionalKey(Schema.String.check(Schema.isPattern(/^_INBOX\.[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/))),
});

/**
 * Gateway-level services on the bus: `q.status.get` (what the UI, /health and `cairn` commands
 * show) and `admin.projections.rebuild` (rebuild while serving, progress to the caller's inbox).
 */
export function serveGatewayServices(o: {
  nc: NatsConnection;
  log: EventLog;
  projector: Projector;
  projectionsDb: string;
  version: string;
  natsVersion: string;
  model: { defaultModel: string | null; env: ModelEnv; config: ModelConfig };
  sandbox: SandboxStatus | null;
  /** This gateway's id and ownership and the cluster it sees (absent or null: not known). */
  cluster?: () => Promise<ClusterStatus | null>;
  gatewayId?: string;
  /** `cairn log archive`: archives per the policy and records it (log.retention.ts). */
  archive: (policy: ArchivePolicy) => Promise<ArchiveResult>;
}) {
  let rebuilding = false;
  const status = async (): Promise<StatusPayload> => {
    const [logLastSeq, cluster] = await Promise.all([o.log.lastSeq(), o.cluster?.() ?? null]);
    return {
      version: o.version,
      model: o.model.defaultModel,
      modelHint: describeModelSetup(o.model.defaultModel, o.model.env, o.model.config),
      nats: { version: o.natsVersion, connected: !o.nc.isClosed() },
      projections: projectionStatus(o.projector, logLastSeq),
      sandbox: o.sandbox,
      ...(cluster ? { cluster } : {}),
    };
  };
  return [
    serve(o.nc, subjects.query("status", "get"), status),
    ...(o.gatewayId ? [serve(o.nc, subjects.gatewayStatus(o.gatewayId), status)] : []),
    // Only the gateway may change the log's limits: `cairn log archive` asks it here.
    serve(o.nc, subjects.admin("log", "archive"), (p) => {
      return o.archive(decodeOrFail(ArchiveParams, p ?? {}, "archive params"));
    }),
    // Only the gateway appends to the log: `cairn sessions import` hands its file over here.
    serve(o.nc, subjects.admin("sessions", "import"), (p) => {
      const params = decodeOrFail(ImportParams, p, "import params");
      return importSessionText(o.log, params.text, params.as);
    }),
    // The web UI's download: the same text `cairn sessions export` writes.
    serve(o.nc, subjects.admin("sessions", "export"), (p) => {
      const params = decodeOrFail(ExportParams, p, "export params");
      return sessionExportFile(o.log, params.sessionKey, params.format, Date.now());
    }),
    serve(o.nc, subjects.admin("projections", "rebuild"), async (p) => {
      const params = decodeOrFail(RebuildParams, p, "rebuild params");
      if (rebuilding) throw new Error("a rebuild is already running");
      rebuilding = true;
      try {
        const progress = (applied: number, total: number) => {
          if (params.progressSubject) o.nc.publish(params.progressSubject, encodeJson({ applied, total }));
        };
        const built = await buildFresh(o.projectionsDb, o.log, progress);
        await o.projector.replaceDb(() => installRebuilt(o.projectionsDb, built.tmp));
        return { events: built.events, ms: Math.round(built.ms) };
      } finally {
        rebuilding = false;
      }
    }),
  ];
}
