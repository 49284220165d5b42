import type { NatsConnection } from "@nats-io/transport-node";
import { setProcessProvenance } from "../bus/index.ts";
import { connectNats } from "../bus/server/index.ts";
import type { Paths } from "./paths.ts";
import { readRuntimeFile } from "./gateway/runtime-file.ts";

/** Connects a CLI command to the gateway running on this data dir (found through its runtime file). */
export async function connectToGateway(paths: Paths): Promise<NatsConnection> {
  // What this CLI asks the gateway to do is the local user's doing (the log names them).
  setProcessProvenance({ actor: "user:cli" });
  const info = readRuntimeFile(paths.runtimeFile, paths.dataDir);
  return connectNats({
    url: info.natsUrl,
    credsFile: info.cliCreds,
    name: "cairn-cli",
    timeoutMs: 3000,
    ...(info.natsCaFile ? { tls: { caFile: info.natsCaFile } } : {}),
  });
}
