import { NodeAlertsJson } from "./nodes.queries.ts";
import type { Projection } from "./projection.ts";
import { decodeRow } from "./rows.ts";

/** Alerts kept per node (newest first); the log has them all. */
export const MAX_NODE_ALERTS = 20;

/**
 * One row per node: its pairing request, its status and its alerts. Presence and telemetry are not
 * here (they are not events); `serveNodeList` (nodes.list.ts) merges them in when answering `q.nodes.list`.
 */
export const nodesProjection: Projection = {
  name: "nodes",
  bind: (db) => {
    const requested = db.prepare(
      `INSERT INTO nodes(node_id, name, fingerprint, public_key, status, request_id, requested_at, address, hostname, platform, working_dir)
       VALUES (@nodeId, @name, @fingerprint, @publicKey, 'pending', @requestId, @at, @address, @hostname, @platform, @workingDir)
       ON CONFLICT(node_id) DO UPDATE SET name = excluded.name, fingerprint = excluded.fingerprint, public_key = excluded.public_key,
         status = 'pending', request_id = excluded.request_id, requested_at = excluded.requested_at, address = excluded.address,
         hostname = excluded.hostname, platform = excluded.platform, working_dir = excluded.working_dir,
         approved_at = NULL, revoked_at = NULL, decided_by = NULL`,
    );
    const approved = db.prepare("UPDATE nodes SET status = 'approved', approved_at = ?, decided_by = ? WHERE node_id = ?");
    const rejected = db.prepare("UPDATE nodes SET status = 'rejected', decided_by = ? WHERE node_id = ?");
    const revoked = db.prepare("UPDATE nodes SET status = 'revoked', revoked_at = ?, decided_by = ? WHERE node_id = ?");
    const alertsOf = db.prepare("SELECT alerts FROM nodes WHERE node_id = ?").pluck();
    const setAlerts = db.prepare("UPDATE nodes SET alerts = ? WHERE node_id = ?");
    return (r) => {
      if (!r.ok || r.event.kind !== "node") return;
      const e = r.event;
      const id = e.aggregateId;
      switch (e.type) {
        case "node.pairing_requested": {
          const d = e.data;
          requested.run({
            nodeId: id,
            name: d.name,
            fingerprint: d.fingerprint,
            publicKey: d.publicKey,
            requestId: d.requestId,
            at: e.time,
            address: d.address,
            hostname: d.hostname,
            platform: d.platform,
            workingDir: d.workingDir,
          });
          break;
        }
        case "node.approved":
          approved.run(e.time, e.data.by, id);
          break;
        case "node.rejected":
          rejected.run(e.data.by, id);
          break;
        case "node.revoked":
          revoked.run(e.time, e.data.by, id);
          break;
        case "node.key_mismatch": {
          const current = decodeRow(NodeAlertsJson, alertsOf.get(id), "nodes.alerts");
          if (current === undefined) break;
          const from = e.data.address ? ` from ${e.data.address}` : "";
          const alert = { at: e.time, message: `refused a connection attempt with another key (${e.data.fingerprint})${from}` };
          const alerts = [alert, ...current].slice(0, MAX_NODE_ALERTS);
          setAlerts.run(JSON.stringify(alerts), id);
          break;
        }
      }
    };
  },
};
