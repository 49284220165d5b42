import * as Schema from "effect/Schema";
import type { Db } from "./db.ts";
import { decodeRow, decodeRows } from "./rows.ts";

const NodeRowStatus = Schema.Literals(["pending", "approved", "rejected", "revoked"]);
export type NodeRowStatus = typeof NodeRowStatus.Type;

/** The `alerts` column: a JSON array of alerts, newest first. */
export const NodeAlertsJson = Schema.fromJsonString(Schema.Array(Schema.Struct({ at: Schema.Number, message: Schema.String })));

/** A node as the read model knows it (no presence, no telemetry). */
export interface NodeRecord {
  readonly nodeId: string;
  readonly name: string;
  readonly fingerprint: string;
  readonly publicKey: string;
  readonly status: NodeRowStatus;
  readonly requestId: string | null;
  readonly requestedAt: number | null;
  readonly approvedAt: number | null;
  readonly revokedAt: number | null;
  readonly decidedBy: string | null;
  readonly address: string | null;
  readonly hostname: string;
  readonly platform: string;
  readonly workingDir: string;
  readonly alerts: ReadonlyArray<{ readonly at: number; readonly message: string }>;
}

const Row = Schema.Struct({
  node_id: Schema.String,
  name: Schema.String,
  fingerprint: Schema.String,
  public_key: Schema.String,
  status: NodeRowStatus,
  request_id: Schema.NullOr(Schema.String),
  requested_at: Schema.NullOr(Schema.Number),
  approved_at: Schema.NullOr(Schema.Number),
  revoked_at: Schema.NullOr(Schema.Number),
  decided_by: Schema.NullOr(Schema.String),
  address: Schema.NullOr(Schema.String),
  hostname: Schema.String,
  platform: Schema.String,
  working_dir: Schema.String,
  alerts: NodeAlertsJson,
});
type Row = typeof Row.Type;

const toRecord = (r: Row): NodeRecord => ({
  nodeId: r.node_id,
  name: r.name,
  fingerprint: r.fingerprint,
  publicKey: r.public_key,
  status: r.status,
  requestId: r.request_id,
  requestedAt: r.requested_at,
  approvedAt: r.approved_at,
  revokedAt: r.revoked_at,
  decidedBy: r.decided_by,
  address: r.address,
  hostname: r.hostname,
  platform: r.platform,
  workingDir: r.working_dir,
  alerts: r.alerts,
});

/** Nodes, pending ones first, then by name; `status` filters. Bounded (a gateway has few nodes). */
export const listNodes = (db: Db, status?: NodeRowStatus, limit = 1000): NodeRecord[] =>
  decodeRows(
    Row,
    status
      ? db.prepare("SELECT * FROM nodes WHERE status = ? ORDER BY requested_at DESC LIMIT ?").all(status, limit)
      : db.prepare("SELECT * FROM nodes ORDER BY status = 'pending' DESC, name COLLATE NOCASE, node_id LIMIT ?").all(limit),
    "nodes",
  ).map(toRecord);

export const getNode = (db: Db, nodeId: string): NodeRecord | undefined => {
  const row = decodeRow(Row, db.prepare("SELECT * FROM nodes WHERE node_id = ?").get(nodeId), "nodes");
  return row ? toRecord(row) : undefined;
};
