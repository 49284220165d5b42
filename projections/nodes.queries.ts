import type { Db } from "./db.ts";

export type NodeRowStatus = "pending" | "approved" | "rejected" | "revoked";

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

interface Row {
  node_id: string;
  name: string;
  fingerprint: string;
  public_key: string;
  status: NodeRowStatus;
  request_id: string | null;
  requested_at: number | null;
  approved_at: number | null;
  revoked_at: number | null;
  decided_by: string | null;
  address: string | null;
  hostname: string;
  platform: string;
  working_dir: string;
  alerts: string;
}

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
  alerts: JSON.parse(r.alerts) as NodeRecord["alerts"],
});

/** Nodes, pending ones first, then by name; `status` filters. Bounded (a gateway has few nodes). */
export const listNodes = (db: Db, status?: NodeRowStatus, limit = 1000): NodeRecord[] =>
  (
    (status
      ? db.prepare("SELECT * FROM nodes WHERE status = ? ORDER BY requested_at DESC LIMIT ?").all(status, limit)
      : db.prepare("SELECT * FROM nodes ORDER BY status = 'pending' DESC, name COLLATE NOCASE, node_id LIMIT ?").all(limit)) as Row[]
  ).map(toRecord);

export const getNode = (db: Db, nodeId: string): NodeRecord | undefined => {
  const row = db.prepare("SELECT * FROM nodes WHERE node_id = ?").get(nodeId) as Row | undefined;
  return row ? toRecord(row) : undefined;
};

/** The node a pairing request id belongs to (its latest request only). */
export const nodeIdForRequest = (db: Db, requestId: string): string | undefined =>
  db.prepare("SELECT node_id FROM nodes WHERE request_id = ?").pluck().get(requestId) as string | undefined;
