/**
 * Is each server of a cairn cluster up, and does it see a JetStream meta leader? Asked of every
 * server itself (`$SYS.REQ.SERVER.<id>.JSZ`, system account creds): the application account's
 * `$JS.API.INFO` is answered by whichever server leads, so it cannot tell one server's view.
 */
import { readFile } from "node:fs/promises";
import { connect } from "@nats-io/transport-node";
import { credsAuthenticator } from "./creds.authenticator.ts";

export interface ClusterServerStatus {
  readonly url: string;
  readonly up: boolean;
  /** `server_name` the server reports, when it answered. */
  readonly serverName?: string;
  /** The meta leader this server sees; "" while there is none. */
  readonly metaLeader: string;
  /** Servers in the JetStream meta group as this server counts them. */
  readonly clusterSize?: number;
  readonly error?: string;
}

interface Jsz {
  readonly server?: { readonly name?: string };
  readonly data?: { readonly meta_cluster?: { readonly leader?: string; readonly cluster_size?: number } };
}

/** One server's view (never throws: an unreachable server is `up: false` with the error). */
export async function serverJetStreamStatus(url: string, systemCreds: Uint8Array, timeoutMs = 1_000): Promise<ClusterServerStatus> {
  let nc: Awaited<ReturnType<typeof connect>>;
  try {
    nc = await connect({ servers: url, authenticator: credsAuthenticator(systemCreds), reconnect: false, timeout: timeoutMs });
  } catch (e) {
    return { url, up: false, metaLeader: "", error: (e as Error).message };
  }
  try {
    const r = await nc.request(`$SYS.REQ.SERVER.${nc.info?.server_id}.JSZ`, "", { timeout: timeoutMs });
    const jsz = r.json<Jsz>();
    const meta = jsz.data?.meta_cluster;
    return {
      url,
      up: true,
      serverName: jsz.server?.name ?? nc.info?.server_name,
      metaLeader: meta?.leader ?? "",
      ...(meta?.cluster_size !== undefined ? { clusterSize: meta.cluster_size } : {}),
    };
  } catch (e) {
    return { url, up: true, serverName: nc.info?.server_name, metaLeader: "", error: (e as Error).message };
  } finally {
    await nc.close().catch(() => undefined);
  }
}

/**
 * Every server's view, and whether the cluster is ready: all up, all seeing the same meta leader.
 * Reads the system creds file afresh on each call.
 */
export async function natsClusterStatus(
  urls: readonly string[],
  systemCredsFile: string,
): Promise<{ ready: boolean; servers: ClusterServerStatus[] }> {
  const creds = await readFile(systemCredsFile);
  const servers = await Promise.all(urls.map((u) => serverJetStreamStatus(u, creds)));
  const leaders = new Set(servers.map((s) => s.metaLeader));
  const ready = servers.every((s) => s.up && s.metaLeader !== "") && leaders.size === 1;
  return { ready, servers };
}
