import type { NatsConnection } from "@nats-io/transport-node";
import { connectNats } from "../bus/server/index.ts";
import type { Paths } from "./paths.ts";
import { readRuntimeFile } from "./gateway/runtime-file.ts";

/** Connects a CLI command to the gateway running on this data dir (found through its runtime file). */
export async function connectToGateway(paths: Paths): Promise<NatsConnection> {
  const info = readRuntimeFile(paths.runtimeFile, paths.dataDir);
  return connectNats({
    url: info.natsUrl,
    credsFile: info.cliCreds,
    name: "cairn-cli",
    timeoutMs: 3000,
    ...(info.natsCaFile ? { tls: { caFile: info.natsCaFile } } : {}),
  });
}
