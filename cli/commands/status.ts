import { request, subjects } from "../../bus/index.ts";
import { decodeOrFail, StatusPayload, type ClusterStatus } from "../../schemas/index.ts";
import { gatewayIdOf } from "../gateway/gateway-id.ts";
import { connectToGateway } from "../connect.ts";
import { readRuntimeFile } from "../gateway/runtime-file.ts";
import type { Paths } from "../paths.ts";

/** Distinct from 1 (not running / failed) so a script can tell "up but degraded" apart. */
export const EXIT_DEGRADED = 3;

/** Overall verdict: the same rule as GET /health (a status without `state` is from an older gateway: ok). */
export const isDegraded = (s: StatusPayload): boolean =>
  !s.nats.connected || s.projections.state === "degraded" || (s.cluster !== undefined && s.cluster.owned.length > 0 && !s.cluster.writable);

/** The status as a person reads it. */
export const formatStatus = (s: StatusPayload, webUrl?: string): string => {
  const p = s.projections;
  const out = [
    `status:      ${isDegraded(s) ? "degraded" : "ok"}`,
    `gateway:     cairn ${s.version}`,
    ...(webUrl ? [`web UI:      ${webUrl}`] : []),
    `bus:         nats-server ${s.nats.version}, ${s.nats.connected ? "connected" : "NOT connected"}`,
    `read models: ${p.state ?? "ok"} — checkpoint ${p.checkpoint} of ${p.logLastSeq} (lag ${p.lag})` +
      (p.consumerRestarts ? `, log consumer restarted ${p.consumerRestarts} time(s)` : "") +
      (p.catchingUp ? ` — catching up: ${p.catchingUp} events` : ""),
  ];
  if (p.state === "degraded") out.push(`             ${p.issue ?? "degraded"}: ${p.reason ?? "no reason given"}`);
  out.push(`model:       ${s.model ?? `none (${s.modelHint ?? "not configured"})`}`);
  if (s.sandbox) out.push(`sandbox:     ${s.sandbox.summary}${s.sandbox.warning ? ` — ${s.sandbox.warning}` : ""}`);
  if (s.cluster) out.push(...formatCluster(s.cluster));
  return `${out.join("\n")}\n`;
};

/** Partitions as ranges: `0-3, 8, 10-15`. */
const ranges = (ps: readonly number[]): string => {
  const out: string[] = [];
  for (let i = 0; i < ps.length; i++) {
    let j = i;
    while (j + 1 < ps.length && ps[j + 1] === ps[j] + 1) j++;
    out.push(j > i ? `${ps[i]}-${ps[j]}` : `${ps[i]}`);
    i = j;
  }
  return out.join(", ") || "none";
};

const formatCluster = (c: ClusterStatus): string[] => [
  `owner:       ${c.gatewayId} owns ${c.owned.length} of ${c.partitions} partitions (${ranges(c.owned)})` +
    (c.writable || c.owned.length === 0 ? "" : " — NOT writable: its lease is stale (NATS unreachable?)"),
  `gateways:    ${c.gateways.length} on this NATS`,
  ...c.gateways.map(
    (g) =>
      `             ${g.id === c.gatewayId ? "*" : " "} ${g.id}  ${g.url ?? "(no web address yet)"}  owns ${g.owned.length}` +
      (g.id === c.gatewayId ? "" : `, heard ${g.lastSeenMs} ms ago`),
  ),
  `nats:        connected to ${c.servers.connected}${c.servers.cluster ? ` in cluster ${c.servers.cluster}` : ""}; ` +
    `servers: ${c.servers.known.length > 0 ? c.servers.known.join(", ") : c.servers.connected}; log replicas: ${c.logReplicas}`,
];

/** `cairn status [--json]`: this data dir's gateway's status (its own subject when it has an id). */
export async function status(o: { json: boolean }, paths: Paths): Promise<number> {
  const nc = await connectToGateway(paths);
  try {
    const id = gatewayIdOf(paths.gatewayIdFile);
    const subject = id ? subjects.gatewayStatus(id) : subjects.query("status", "get");
    const s = decodeOrFail(StatusPayload, await request(nc, subject, {}), "status");
    // The edge's address (https:// with TLS on), as this data dir's gateway wrote it at start.
    const webUrl = tryRead(() => readRuntimeFile(paths.runtimeFile, paths.dataDir).httpUrl);
    process.stdout.write(o.json ? `${JSON.stringify(s)}\n` : formatStatus(s, webUrl));
    return isDegraded(s) ? EXIT_DEGRADED : 0;
  } finally {
    await nc.close();
  }
}

const tryRead = <T>(fn: () => T): T | undefined => {
  try {
    return fn();
  } catch {
    return undefined;
  }
};
