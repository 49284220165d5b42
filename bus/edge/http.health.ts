import { toWireError, type StatusPayload } from "../../schemas/index.ts";
import { jsonReply, type HttpReply } from "./http.util.ts";
import { fetchStatus, type BusDeps } from "./ws.methods.ts";

/**
 * `GET /health`: ok when the bus is connected, the projections answer `q.status.get` quickly and
 * the projector keeps up with the log (its watchdog's verdict: not stopped, not stalled, not
 * lagging past its grace period). 503 when degraded, so a load balancer or `systemd` watchdog can
 * act on the status code alone; the body's `reason` says why, for a person.
 */

/** Short on purpose: a health probe that hangs is worse than one that says "degraded". */
export const HEALTH_TIMEOUT_MS = 1_500;

export interface HealthDeps {
  bus: BusDeps;
  version: string;
  /** Which server library serves the edge (`uws` or `node`). */
  transport: string;
  natsServerVersion: () => string | null;
  /** The edge's own address (`https://…` with TLS), once it listens. */
  url?: () => string | undefined;
}

/**
 * `detailed` is false for unauthenticated non-local callers: they learn only ok/degraded, nothing
 * about versions, lag or why.
 */
export const healthReply = async (deps: HealthDeps, detailed: boolean): Promise<HttpReply> => {
  const nats = { connected: deps.bus.isBusUp(), version: deps.natsServerVersion() };
  let projections: StatusPayload["projections"] | null = null;
  let reason: string | undefined;
  try {
    const status = await fetchStatus(deps.bus, HEALTH_TIMEOUT_MS);
    projections = status.projections;
    // A gateway that predates `state` says nothing: ok, as before.
    if (projections.state === "degraded")
      reason = `projections_${projections.issue ?? "degraded"}: ${projections.reason ?? "the read models are degraded"}`;
    else if (status.cluster && status.cluster.owned.length > 0 && !status.cluster.writable)
      reason =
        "ownership_stale: this gateway cannot renew its ownership of its sessions (NATS unreachable); it writes nothing until it can";
  } catch (e) {
    const w = toWireError(e);
    reason = `${w.code}: ${w.message}`;
  }
  const ok = reason === undefined;
  const status = ok ? "ok" : "degraded";
  const code = ok ? 200 : 503;
  if (!detailed) return jsonReply(code, { status });
  // Serving while the read models work off a backlog is ok (200), but worth saying.
  const note = ok && projections?.catchingUp ? { note: `catching up: ${projections.catchingUp} events` } : {};
  const url = deps.url?.();
  const where = url ? { url } : {};
  return jsonReply(
    code,
    ok
      ? { status, ...note, version: deps.version, transport: deps.transport, ...where, nats, projections }
      : { status, reason, version: deps.version, transport: deps.transport, ...where, nats, projections },
  );
};
