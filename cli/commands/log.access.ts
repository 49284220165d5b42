import type { NatsConnection } from "@nats-io/transport-node";
import { ensureStreams } from "../../bus/index.ts";
import { connectNats, startEmbeddedNats } from "../../bus/server/index.ts";
import { isCairnError } from "../../schemas/index.ts";
import { connectToGateway } from "../connect.ts";
import { acquireGatewayLock } from "../gateway/lock.ts";
import type { Paths } from "../paths.ts";

/**
 * A connection to the data dir's log for the read-only log tools (verify, replay, export): the
 * running gateway's bus, or — with no gateway — the embedded nats-server started alone, holding
 * the gateway lock so no gateway starts meanwhile.
 */
export async function withLogConnection<T>(
  paths: Paths,
  name: string,
  fn: (nc: NatsConnection, mode: "gateway" | "offline") => Promise<T>,
) {
  let nc: NatsConnection | undefined;
  try {
    nc = await connectToGateway(paths);
  } catch (e) {
    if (!isCairnError(e) || e.code !== "unavailable") throw e;
  }
  if (nc) {
    try {
      return await fn(nc, "gateway");
    } finally {
      await nc.close();
    }
  }
  const release = acquireGatewayLock(paths.lockFile);
  try {
    const nats = await startEmbeddedNats({ dataDir: paths.dataDir });
    try {
      const own = await connectNats({ url: nats.url, credsFile: nats.creds.gateway, name });
      try {
        await ensureStreams(own);
        return await fn(own, "offline");
      } finally {
        await own.close();
      }
    } finally {
      await nats.stop();
    }
  } finally {
    release();
  }
}
