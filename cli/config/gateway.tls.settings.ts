import { parseTrustedProxies, type EdgeTlsSettings } from "../../bus/edge/index.ts";
import { CairnError, type ConfigFile } from "../../schemas/index.ts";
import { configPath } from "./config.file.ts";
import type { Settings } from "./settings.types.ts";

type GatewaySection = NonNullable<ConfigFile["gateway"]>;

/** `[gateway]`'s TLS table, redirect port and trusted proxies, checked; paths made absolute. */
export const gatewayTlsSettings = (
  g: GatewaySection | undefined,
  port: number,
  configFile: string,
): Pick<Settings, "tls" | "httpRedirectPort" | "trustedProxies"> => {
  const trustedProxies = g?.trusted_proxies ?? [];
  try {
    parseTrustedProxies(trustedProxies);
  } catch (e) {
    throw new CairnError("bad_request", `config file ${configFile}: gateway.${(e as Error).message}`);
  }
  const t = g?.tls;
  // A [gateway.tls] table with a cert means TLS unless it says enabled = false.
  const on = t?.enabled ?? (t?.cert !== undefined || t?.key !== undefined);
  if (!on || !t) return { tls: null, httpRedirectPort: null, trustedProxies };
  if ((t.cert === undefined) !== (t.key === undefined))
    throw new CairnError(
      "bad_request",
      `config file ${configFile}: [gateway.tls] needs both cert and key, or neither (cairn then makes its own)`,
    );
  const tls: EdgeTlsSettings = {
    ...(t.cert !== undefined ? { cert: configPath(t.cert, configFile) } : {}),
    ...(t.key !== undefined ? { key: configPath(t.key, configFile) } : {}),
    names: t.names ?? [],
  };
  const redirect = g?.http_redirect_port;
  const httpRedirectPort = redirect === false ? null : (redirect ?? (port === 0 || port === 65535 ? 0 : port + 1));
  return { tls, httpRedirectPort, trustedProxies };
};
