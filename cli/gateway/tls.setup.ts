import { hostname } from "node:os";
import {
  CA_PAGE_PATH,
  certificateCovers,
  resolveEdgeTls,
  startRedirectServer,
  type EdgeTls,
  type RedirectServer,
  type TransportName,
} from "../../bus/edge/index.ts";
import type { Settings } from "../config/index.ts";

/**
 * The gateway's TLS set-up around the edge: the certificate before it listens, the plain-HTTP
 * CA/redirect port after (it needs the HTTPS port), and a daily look at the certificate's end.
 */

const WILDCARD_BINDS = new Set(["", "0.0.0.0", "::", "[::]"]);
const DAY_MS = 86_400_000;
const RENEW_BEFORE_MS = 30 * DAY_MS;

/** Resolves `[gateway.tls]` (null: TLS off). */
export const prepareEdgeTls = (settings: Settings, dataDir: string, log: (line: string) => void): Promise<EdgeTls> | null =>
  settings.tls ? resolveEdgeTls({ settings: settings.tls, dataDir, bindHost: settings.host, log }) : null;

export interface TlsRuntime {
  /** The redirect port's CA page (local CA only), for the banner. */
  readonly caPageUrl: string | null;
  readonly redirect: RedirectServer | null;
  stop(): Promise<void>;
}

/**
 * Starts the redirect port (when configured) and the renewal watch. A local-CA certificate near
 * its end is remade on disk and the log says so; the edge serves the new one from its next start
 * (neither transport swaps certificates on a live listener the same way, and a restart is cheap).
 */
export async function startTlsRuntime(o: {
  settings: Settings;
  tls: EdgeTls;
  httpsPort: number;
  dataDir: string;
  transport: TransportName;
  log: (line: string) => void;
  now?: () => number;
}): Promise<TlsRuntime> {
  const { settings, tls } = o;
  const now = o.now ?? Date.now;
  // Bound to one address: that address (it is what reaches us). Bound to all: the configured name, else the machine's.
  const defaultHost = WILDCARD_BINDS.has(settings.host) ? (settings.tls?.names?.[0] ?? hostname()) : settings.host;
  let redirect: RedirectServer | null = null;
  if (settings.httpRedirectPort !== null) {
    redirect = await startRedirectServer({
      host: settings.host,
      port: settings.httpRedirectPort,
      transport: o.transport,
      target: {
        httpsPort: o.httpsPort,
        defaultHost,
        covers: certificateCovers(tls.certPem),
        ...(tls.caPem ? { caPem: tls.caPem } : {}),
        ...(tls.caFingerprint ? { caFingerprint: tls.caFingerprint } : {}),
      },
    });
  }
  let notAfter = tls.notAfter;
  const watch = setInterval(() => {
    if (notAfter - now() > RENEW_BEFORE_MS) return;
    if (tls.source === "provided") return o.log(`warning: the TLS certificate ${tls.certFile} ends ${new Date(notAfter).toISOString()}`);
    void prepareEdgeTls(settings, o.dataDir, o.log)?.then(
      (renewed) => {
        notAfter = Number.POSITIVE_INFINITY;
        o.log(
          `edge TLS: renewed the server certificate (until ${new Date(renewed.notAfter).toISOString()}); restart the gateway to serve it`,
        );
      },
      (e: Error) => o.log(`edge TLS: renewing the server certificate failed: ${e.message}`),
    );
  }, DAY_MS);
  watch.unref();
  return {
    caPageUrl:
      redirect && tls.caPem
        ? `http://${defaultHost.includes(":") ? `[${defaultHost}]` : defaultHost}:${redirect.port}${CA_PAGE_PATH}`
        : null,
    redirect,
    stop: async () => {
      clearInterval(watch);
      await redirect?.close();
    },
  };
}
