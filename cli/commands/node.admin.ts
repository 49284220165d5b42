import { request, subjects } from "../../bus/index.ts";
import { isTokenSafe, type NodeSummary, type PairingWindow } from "../../schemas/index.ts";
import { connectToGateway } from "../connect.ts";
import { UsageError, localTime, table } from "../output.ts";
import type { Paths } from "../paths.ts";

/**
 * The gateway side of `cairn node`: the pairing window, pending requests, approve / reject, the
 * list of nodes and revocation. Each is one request to the running gateway's node service.
 */

const when = (ms: number | null): string => (ms === null ? "-" : localTime(ms));
const gib = (bytes: number) => `${(bytes / 1024 ** 3).toFixed(1)}G`;

const withGateway = async <T>(
  paths: Paths,
  fn: (ask: (subject: string, params: unknown) => Promise<unknown>) => Promise<T>,
): Promise<T> => {
  const nc = await connectToGateway(paths);
  try {
    return await fn((subject, params) => request(nc, subject, params));
  } finally {
    await nc.close();
  }
};

const describeWindow = (w: PairingWindow): string =>
  w.open && w.until !== null
    ? `pairing is open until ${when(w.until)} (${Math.max(1, Math.round((w.until - Date.now()) / 60_000))} min left)\n`
    : "pairing is closed\n";

/** `cairn node pairing enable [--minutes N] | disable | status`. */
export async function nodePairing(sub: string, o: { minutes?: number; json: boolean }, paths: Paths): Promise<number> {
  if (sub !== "enable" && sub !== "disable" && sub !== "status") {
    throw new UsageError(`'cairn node pairing' takes enable [--minutes N], disable or status; got '${sub}'`);
  }
  if (o.minutes !== undefined && (!Number.isFinite(o.minutes) || o.minutes < 1 || o.minutes > 1440)) {
    throw new UsageError(`--minutes takes 1 to 1440, got ${o.minutes}`);
  }
  const w = (await withGateway(paths, (ask) =>
    sub === "status"
      ? ask(subjects.query("nodes", "pairing"), {})
      : ask(subjects.admin("nodes", "pairing"), {
          open: sub === "enable",
          ...(o.minutes !== undefined ? { minutes: o.minutes } : {}),
          by: "cli",
        }),
  )) as PairingWindow;
  process.stdout.write(o.json ? `${JSON.stringify(w)}\n` : describeWindow(w));
  return 0;
}

const list = (paths: Paths, status?: NodeSummary["status"]) =>
  withGateway(
    paths,
    async (ask) => ((await ask(subjects.query("nodes", "list"), status ? { status } : {})) as { nodes: NodeSummary[] }).nodes,
  );

/** `cairn node pending`: requests waiting for a decision, newest first. */
export async function nodePending(o: { json: boolean }, paths: Paths): Promise<number> {
  const nodes = await list(paths, "pending");
  if (o.json) {
    process.stdout.write(nodes.map((n) => `${JSON.stringify(n)}\n`).join(""));
    return 0;
  }
  if (nodes.length === 0) {
    process.stdout.write("no pending pairing requests\n");
    return 0;
  }
  const rows = [
    ["REQUEST", "NODE", "NAME", "FROM", "REQUESTED", "FINGERPRINT"],
    ...nodes.map((n) => [n.requestId ?? "-", n.nodeId, n.name, n.address ?? "-", when(n.requestedAt), n.fingerprint]),
  ];
  process.stdout.write(`${table(rows)}approve with: cairn node approve <request>\n`);
  return 0;
}

const telemetryLine = (n: NodeSummary): string => {
  const t = n.telemetry;
  if (!t) return "-";
  return `${t.cpus} cpu ${Math.round(t.cpuUsage * 100)}%, mem ${gib(t.memTotal - t.memFree)}/${gib(t.memTotal)}, disk free ${gib(t.diskFree)}`;
};

/** `cairn node list`: every node with its state, presence, fingerprint and last telemetry. */
export async function nodeList(o: { json: boolean }, paths: Paths): Promise<number> {
  const nodes = await list(paths);
  if (o.json) {
    process.stdout.write(nodes.map((n) => `${JSON.stringify(n)}\n`).join(""));
    return 0;
  }
  if (nodes.length === 0) {
    process.stdout.write("no nodes yet; open pairing with 'cairn node pairing enable', then run 'cairn node add' on the other machine\n");
    return 0;
  }
  const rows = [
    ["NODE", "NAME", "STATUS", "ONLINE", "LAST SEEN", "FINGERPRINT", "TELEMETRY"],
    ...nodes.map((n) => [n.nodeId, n.name, n.status, n.online ? "yes" : "no", when(n.lastSeenAt), n.fingerprint, telemetryLine(n)]),
  ];
  let out = table(rows);
  for (const n of nodes) for (const a of n.alerts.slice(0, 3)) out += `ALERT ${n.nodeId} ${when(a.at)}: ${a.message}\n`;
  process.stdout.write(out);
  return 0;
}

const checkId = (id: string, what: string) => {
  if (!isTokenSafe(id)) throw new UsageError(`a ${what} is 1-64 letters, digits, '_' or '-', got '${id}'`);
};

/** `cairn node approve|reject <request-id>`. */
const decide = async (verb: "approve" | "reject", o: { id: string; json: boolean }, paths: Paths): Promise<number> => {
  checkId(o.id, "request id");
  const r = (await withGateway(paths, (ask) => ask(subjects.admin("nodes", verb), { requestId: o.id, by: "cli" }))) as {
    nodeId: string;
    name: string;
    status: string;
    fingerprint: string;
  };
  if (o.json) process.stdout.write(`${JSON.stringify(r)}\n`);
  else process.stdout.write(`node ${r.nodeId} ("${r.name}", ${r.fingerprint}) ${r.status}\n`);
  return 0;
};
export const nodeApprove = (o: { id: string; json: boolean }, paths: Paths) => decide("approve", o, paths);
export const nodeReject = (o: { id: string; json: boolean }, paths: Paths) => decide("reject", o, paths);

/** `cairn node revoke <node-id>`: the node is disconnected now and stays out until paired again. */
export async function nodeRevoke(o: { id: string; json: boolean }, paths: Paths): Promise<number> {
  checkId(o.id, "node id");
  const r = (await withGateway(paths, (ask) => ask(subjects.admin("nodes", "revoke"), { nodeId: o.id, by: "cli" }))) as {
    nodeId: string;
    name: string;
    status: string;
  };
  if (o.json) process.stdout.write(`${JSON.stringify(r)}\n`);
  else process.stdout.write(`node ${r.nodeId} ("${r.name}") revoked: disconnected, and refused until it pairs again\n`);
  return 0;
}
