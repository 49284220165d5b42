import type { NatsConnection } from "@nats-io/transport-node";
import { connectNats, startEmbeddedNats, type EmbeddedNats } from "../../bus/server/index.ts";
import { CairnError } from "../../schemas/index.ts";
import type { Settings } from "../config/index.ts";
import type { Paths } from "../paths.ts";

/** The gateway's NATS: the server it started (absent on an external one) and its connection. */
export interface GatewayNats {
  readonly embedded: EmbeddedNats | undefined;
  readonly natsUrl: string;
  /** The creds the CLI connects with (written to the runtime file). */
  readonly cliCreds: string;
  /** The CA a client needs when the embedded server requires TLS. */
  readonly natsTls: { readonly caFile: string } | undefined;
  readonly nc: NatsConnection;
}

/**
 * An external NATS (`CAIRN_NATS_URL` with `CAIRN_NATS_CREDS`), else the embedded server under the
 * data dir; then the gateway's connection. `cleanup` gets what must be undone, in start order.
 */
export async function startGatewayNats(o: {
  settings: Settings;
  paths: Paths;
  env: NodeJS.ProcessEnv;
  log: (line: string) => void;
  cleanup: Array<() => Promise<unknown> | unknown>;
}): Promise<GatewayNats> {
  const { settings, env } = o;
  let embedded: EmbeddedNats | undefined;
  let natsUrl: string;
  let gatewayCreds: string;
  let cliCreds: string;
  if (env.CAIRN_NATS_URL) {
    natsUrl = env.CAIRN_NATS_URL;
    if (!env.CAIRN_NATS_CREDS)
      throw new CairnError("unauthorized", "CAIRN_NATS_URL needs CAIRN_NATS_CREDS (a .creds file for the gateway)");
    gatewayCreds = cliCreds = env.CAIRN_NATS_CREDS;
  } else {
    const started = await startEmbeddedNats({
      dataDir: o.paths.dataDir,
      host: settings.nodes.natsHost,
      tlsHosts: advertisedHost(settings.nodes.advertiseUrl),
      log: (l) => o.log(`nats: ${l}`),
    });
    embedded = started;
    o.cleanup.push(() => started.stop());
    natsUrl = embedded.url;
    gatewayCreds = embedded.creds.gateway;
    cliCreds = embedded.creds.cli;
  }
  const natsTls = embedded?.tls ? { caFile: embedded.tls.certFile } : undefined;
  const nc: NatsConnection = await connectNats({
    url: natsUrl,
    credsFile: gatewayCreds,
    name: "cairn-gateway",
    ...(natsTls ? { tls: natsTls } : {}),
  });
  o.cleanup.push(() => nc.drain());
  return { embedded, natsUrl, cliCreds, natsTls, nc };
}

/** The host of `[nodes] advertise_url`, to be named in the NATS certificate. */
function advertisedHost(url: string | null): string[] {
  if (!url) return [];
  try {
    return [new URL(url).hostname.replace(/^\[|\]$/g, "")].filter(Boolean);
  } catch {
    return [];
  }
}
