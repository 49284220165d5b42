/**
 * The plain-HTTP port beside a TLS edge (`[gateway] http_redirect_port`): it hands out the local
 * CA, so a new device can be told to trust it, and sends everything else to the HTTPS origin.
 *
 * The redirect never names a host because a request asked for it: the `Host` header is the
 * client's to write (and a proxy's, and an attacker's who plants a link). A host is used only when
 * the served certificate covers it — any other is a name this gateway cannot serve without a
 * certificate error anyway — otherwise the gateway's own public name is.
 */
import { X509Certificate } from "node:crypto";
import { CairnError } from "../../../schemas/index.ts";
import { hostnameOf } from "../auth.ts";
import { loadTransport, type HttpReply, type TransportName, type TransportRequest } from "../transport/index.ts";

export const CA_PEM_PATH = "/cairn-ca.pem";
export const CA_DER_PATH = "/cairn-ca.crt";
export const CA_PAGE_PATH = "/cairn-ca";

export interface RedirectTarget {
  /** The HTTPS edge's port. */
  httpsPort: number;
  /** Where to send a client whose `Host` is not one of ours: a name or address, no port. */
  defaultHost: string;
  /** True when the served certificate is valid for this hostname (no port, no brackets). */
  covers(hostname: string): boolean;
  /** The local CA (PEM) and its SHA-256 fingerprint; absent when the certificate is the user's own. */
  caPem?: string;
  caFingerprint?: string;
}

const NO_STORE = { "Cache-Control": "no-store", "X-Content-Type-Options": "nosniff" };

/** A checker over a PEM certificate: its DNS names (wildcards as browsers read them) and IP SANs. */
export const certificateCovers = (certPem: string): ((hostname: string) => boolean) => {
  const cert = new X509Certificate(certPem);
  return (h) => (/^[\d.]+$|:/.test(h) ? cert.checkIP(h) !== undefined : cert.checkHost(h, { wildcards: true }) !== undefined);
};

const escapeHtml = (s: string): string =>
  s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c);

const caPage = (t: RedirectTarget, origin: string): HttpReply => ({
  status: 200,
  headers: {
    ...NO_STORE,
    "Content-Type": "text/html; charset=utf-8",
    "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'",
  },
  body: `<!doctype html><meta charset="utf-8"><meta name="viewport" content="width=device-width">
<title>Trust this cairn gateway</title>
<style>body{font:16px system-ui,sans-serif;max-width:40em;margin:2em auto;padding:0 1em}code{word-break:break-all}</style>
<h1>Trust this cairn gateway</h1>
<p>The gateway serves HTTPS with a certificate from its own certificate authority. Install that CA once on this device:</p>
<ol>
<li>Download <a href="${CA_PEM_PATH}" download>cairn-ca.pem</a> (or <a href="${CA_DER_PATH}" download>cairn-ca.crt</a> for Android and iOS).</li>
<li>Check that its SHA-256 fingerprint is the one the gateway printed in its terminal:<br><code>${escapeHtml(t.caFingerprint ?? "")}</code><br>
This page came over plain HTTP: anyone on the way could have swapped the file. Do not skip this step.</li>
<li>Trust it: macOS — open it in Keychain Access, set “Always Trust”; Windows — install into “Trusted Root Certification Authorities”;
Linux — copy to <code>/usr/local/share/ca-certificates/cairn-ca.crt</code> and run <code>update-ca-certificates</code>
(Firefox and Chromium: Settings → Certificates → Authorities → Import); iOS — install the profile, then enable it under
Settings → General → About → Certificate Trust Settings; Android — Settings → Security → Install a certificate → CA certificate.</li>
<li>Open <a href="${escapeHtml(origin)}/">${escapeHtml(origin)}/</a>.</li>
</ol>
`,
});

const pemToDer = (pem: string): Buffer => Buffer.from(pem.replace(/-----[^-]+-----|\s/g, ""), "base64");

/** The HTTPS origin a request is sent to: its own host when the certificate covers it, else ours. */
export const httpsOrigin = (t: RedirectTarget, hostHeader: string): string => {
  const asked = hostnameOf(hostHeader);
  const host = asked !== "" && t.covers(asked) ? asked : t.defaultHost;
  const bracketed = host.includes(":") ? `[${host}]` : host;
  return t.httpsPort === 443 ? `https://${bracketed}` : `https://${bracketed}:${t.httpsPort}`;
};

/** Answers one request on the redirect port (pure). */
export function redirectReply(t: RedirectTarget, req: TransportRequest): HttpReply {
  const origin = httpsOrigin(t, req.facts.host);
  const path = req.facts.url;
  if (req.method === "GET" && t.caPem !== undefined) {
    if (path === CA_PEM_PATH)
      return {
        status: 200,
        headers: { ...NO_STORE, "Content-Type": "application/x-pem-file", "Content-Disposition": 'attachment; filename="cairn-ca.pem"' },
        body: t.caPem,
      };
    if (path === CA_DER_PATH)
      return {
        status: 200,
        headers: {
          ...NO_STORE,
          "Content-Type": "application/x-x509-ca-cert",
          "Content-Disposition": 'attachment; filename="cairn-ca.crt"',
        },
        body: pemToDer(t.caPem),
      };
    if (path === CA_PAGE_PATH) return caPage(t, origin);
  }
  // URL does the escaping; a path that would change the origin (it cannot, after an origin) falls back to "/".
  let location = `${origin}/`;
  try {
    const u = new URL(path.startsWith("/") ? path : `/${path}`, origin);
    if (u.origin === new URL(origin).origin) location = `${origin}${u.pathname}`;
  } catch {
    // keep "/"
  }
  return { status: 308, headers: { ...NO_STORE, Location: location, "Content-Type": "text/plain; charset=utf-8" }, body: `${location}\n` };
}

export interface RedirectServer {
  port: number;
  url: string;
  close(): Promise<void>;
}

/** Listens on `host:port` (0: a free port) with the edge's transport, plain HTTP. */
export async function startRedirectServer(o: {
  host: string;
  port: number;
  target: RedirectTarget;
  transport?: TransportName;
}): Promise<RedirectServer> {
  const transport = await loadTransport(o.transport).create();
  transport.http((req) => redirectReply(o.target, req));
  const port = await transport.listen(o.host, o.port);
  if (port === undefined) {
    await transport.close();
    throw new CairnError(
      "unavailable",
      `cannot listen on ${o.host}:${o.port} for the HTTP redirect port (in use?); set [gateway] http_redirect_port, or false to turn it off`,
    );
  }
  const urlHost = o.host.includes(":") ? `[${o.host}]` : o.host;
  return { port, url: `http://${urlHost}:${port}`, close: () => transport.close() };
}
