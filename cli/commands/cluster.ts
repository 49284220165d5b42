import { join, resolve } from "node:path";
import {
  clusterServer,
  findNatsServerBinary,
  initNatsCluster,
  natsClusterStatus,
  natsPaths,
  readClusterManifest,
  type NatsCluster,
} from "../../bus/server/index.ts";
import { CairnError } from "../../schemas/index.ts";
import { table } from "../output.ts";

/** Each option left out keeps what `<dir>/cluster.json` says, else the default (3, 127.0.0.1, 4222, 6222). */
export interface ClusterInitOptions {
  readonly dir: string;
  readonly servers?: number;
  readonly host?: string;
  /** First client port; server i listens on clientPort + i. */
  readonly clientPort?: number;
  /** First route port; server i routes on clusterPort + i. */
  readonly clusterPort?: number;
  readonly json: boolean;
}

/** HTTP ports `infra/cluster/up.sh` gives the gateways: 8801, 8802, … */
const GATEWAY_PORT_BASE = 8801;

/** Shell-quotes a word only when it needs it, so the printed commands paste as they are. */
const sh = (s: string): string => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replaceAll("'", `'\\''`)}'`);

/** The commands that start the servers and one gateway per server (pure). */
export function clusterCommands(c: NatsCluster, natsServerBin: string): { servers: string[]; gateways: string[] } {
  return {
    servers: c.servers.map((s) => `${sh(natsServerBin)} -c ${sh(s.configFile)}`),
    gateways: c.servers.map(
      (_, i) =>
        `CAIRN_DATA_DIR=${sh(resolve(c.dir, `gw${i + 1}`))} CAIRN_PORT=${GATEWAY_PORT_BASE + i} ` +
        `CAIRN_NATS_URL=${sh(c.urls)} CAIRN_NATS_CREDS=${sh(c.creds.gateway)} cairn gateway`,
    ),
  };
}

/**
 * `cairn cluster init <dir>`: writes a loopback JetStream cluster (identity, creds, one config per
 * server) and prints how to start it. Re-running it keeps keys, creds and the route secret, so it
 * is safe on a cluster that already runs (the servers read the rewritten configs on their next start).
 */
export async function clusterInit(o: ClusterInitOptions): Promise<number> {
  const dir = resolve(o.dir);
  const before = await readClusterManifest(dir);
  const servers = o.servers ?? before?.clientPorts.length ?? 3;
  const range = (base: number) => Array.from({ length: servers }, (_, i) => base + i);
  const host = o.host ?? before?.host ?? "127.0.0.1";
  const clientPorts =
    o.clientPort !== undefined || !before || servers !== before.clientPorts.length ? range(o.clientPort ?? 4222) : before.clientPorts;
  const clusterPorts =
    o.clusterPort !== undefined || !before || servers !== before.clusterPorts.length ? range(o.clusterPort ?? 6222) : before.clusterPorts;
  const cluster = await initNatsCluster({ dir, host, clientPorts, clusterPorts });
  let bin = "nats-server";
  try {
    bin = findNatsServerBinary();
  } catch {
    // Not installed here: the commands still name it; starting them says what is missing.
  }
  const commands = clusterCommands(cluster, bin);
  if (o.json) {
    const servers = cluster.servers.map((s) => ({
      name: s.name,
      url: s.url,
      clusterPort: s.clusterPort,
      configFile: s.configFile,
      storeDir: s.storeDir,
      pidFile: s.pidFile,
    }));
    const creds = { gateway: cluster.creds.gateway, cli: cluster.creds.cli };
    process.stdout.write(`${JSON.stringify({ ok: true, dir, urls: cluster.urls, servers, creds, commands })}\n`);
    return 0;
  }
  const out = [`cairn cluster: ${cluster.servers.length} nats-servers in ${dir}`, ""];
  for (const s of cluster.servers) out.push(`  ${s.name}  ${s.url}  routes on ${host}:${s.clusterPort}  ${s.configFile}`);
  out.push(
    "",
    "creds (0600):",
    `  gateways  ${cluster.creds.gateway}`,
    `  cli       ${cluster.creds.cli}`,
    "",
    "Start the servers (each in its own terminal, or with & and a log file):",
    ...commands.servers.map((c) => `  ${c}`),
    "",
    "Then one gateway per data dir and HTTP port:",
    ...commands.gateways.map((c) => `  ${c}`),
    "",
    `Or all of it in the background: infra/cluster/up.sh ${sh(dir)} (and infra/cluster/down.sh ${sh(dir)})`,
    "",
  );
  process.stdout.write(out.join("\n"));
  return 0;
}

/**
 * `cairn cluster status <dir>`: each server's view of JetStream (up, meta leader). Exit 0 when
 * every server is up and all see the same meta leader (what `infra/cluster/up.sh` waits for), 1 otherwise.
 */
export async function clusterStatus(o: { dir: string; json: boolean }): Promise<number> {
  const dir = resolve(o.dir);
  const manifest = await readClusterManifest(dir);
  if (!manifest) throw new CairnError("not_found", `${dir} holds no cluster (no cluster.json); run 'cairn cluster init ${sh(dir)}'`);
  // Read-only: the manifest gives the servers, the identity's layout the system creds.
  const servers = manifest.clientPorts.map((p, i) => clusterServer(dir, manifest.host, `n${i + 1}`, p, manifest.clusterPorts[i]));
  const cluster = { servers, urls: servers.map((s) => s.url).join(",") };
  const status = await natsClusterStatus(
    servers.map((s) => s.url),
    join(natsPaths(dir).credsDir, "system.creds"),
  );
  if (o.json) {
    process.stdout.write(`${JSON.stringify({ ok: true, ready: status.ready, urls: cluster.urls, servers: status.servers })}\n`);
  } else {
    const rows = status.servers.map((s, i) => [cluster.servers[i].name, s.url, s.up ? "up" : "down", s.metaLeader || "-", s.error ?? ""]);
    process.stdout.write(table([["server", "url", "state", "meta leader", "error"], ...rows]));
    process.stdout.write(status.ready ? "ready\n" : "not ready\n");
  }
  return status.ready ? 0 : 1;
}
