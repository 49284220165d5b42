/**
 * The NATS side of `docker compose up`: the one-shot `nats-init` service runs
 * `cairn service nats-init /nats` on the volume the `nats` container then reads. It makes the same
 * operator/JWT identity and server config the embedded server makes for itself (`ensureNatsAuth`,
 * `writeServerConfig`), with the listen address and port of the compose network instead of a
 * free loopback port. Idempotent: keys and creds made by an earlier run are kept, so `down`/`up`
 * keeps every client's creds valid and the JetStream store under `<dir>/store`.
 */
import { isIP } from "node:net";
import { ensureNatsAuth, writeServerConfig } from "../../bus/server/index.ts";
import { CairnError } from "../../schemas/index.ts";

export interface NatsInitOptions {
  /** The volume shared with the nats container, mounted at the same path in both. */
  readonly dir: string;
  /** Listen address of nats-server: `0.0.0.0` on a compose network, `127.0.0.1` with host networking. */
  readonly host: string;
  readonly port: number;
}

export interface NatsInitResult {
  readonly configFile: string;
  /** Where the store lives (JetStream): inside `dir`, so on the named volume. */
  readonly storeDir: string;
  readonly creds: { readonly gateway: string; readonly cli: string };
}

/** A listen host nats-server accepts: an IP literal (a name would be resolved by the server, once). */
export function checkListenHost(host: string): string {
  if (isIP(host) === 0) throw new CairnError("bad_request", `--host must be an IP address to listen on (e.g. 0.0.0.0), got '${host}'`);
  return host;
}

export async function natsInit(o: NatsInitOptions): Promise<NatsInitResult> {
  const auth = await ensureNatsAuth(o.dir);
  const configFile = await writeServerConfig({ auth, host: checkListenHost(o.host), port: o.port });
  return { configFile, storeDir: auth.paths.storeDir, creds: { gateway: auth.creds.gateway, cli: auth.creds.cli } };
}
