/**
 * TLS of the embedded nats-server. Off on loopback (nothing leaves the machine); on as soon as the
 * server listens anywhere else, because node traffic (commands, their output, AGENTS.md) then
 * crosses a network. The certificate is self-signed and made once: clients do not trust it through
 * a CA but pin it exactly — the gateway and the local CLI read it from disk, a node receives it
 * with its credentials when the user approves it (trust on first use, like the node's own key).
 * So it is never rotated silently: a new certificate would cut off every paired node.
 */
import { randomBytes, X509Certificate, createPrivateKey } from "node:crypto";
import { hostname } from "node:os";
import { join } from "node:path";
import { selfSignedCert } from "./nats.cert.ts";
import { ensurePrivateDir, readTextIfExists, writeFileAtomic } from "./nats.files.ts";

export interface NatsTls {
  readonly certFile: string;
  readonly keyFile: string;
  /** The certificate (PEM): what clients pin. */
  readonly certPem: string;
  /** SHA-256 of the certificate, `AB:CD:...` (as `X509Certificate.fingerprint256` prints it). */
  readonly fingerprint: string;
  /** True when this start created it (first TLS start, or the old one was unusable). */
  readonly created: boolean;
}

/** 127.0.0.0/8, ::1, localhost: addresses no other machine can reach. */
export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, "").toLowerCase();
  return h === "localhost" || h === "::1" || /^127\.\d+\.\d+\.\d+$/.test(h) || h === "::ffff:127.0.0.1";
}

/** The certificate's files under the NATS dir (pure). */
export const natsTlsPaths = (natsDir: string) => {
  const dir = join(natsDir, "tls");
  return { dir, certFile: join(dir, "server-cert.pem"), keyFile: join(dir, "server-key.pem") };
};

/** The names a certificate covers: loopback, this machine, the listen host and any advertised host. */
export function certificateHosts(extra: readonly string[], machine = hostname()): string[] {
  const wildcard = new Set(["", "0.0.0.0", "::", "[::]"]);
  const hosts = ["localhost", "127.0.0.1", "::1", machine, ...extra.map((h) => h.replace(/^\[|\]$/g, ""))];
  return [...new Set(hosts.filter((h) => !wildcard.has(h)))];
}

export interface EnsureNatsTlsOptions {
  /** Extra SANs: the listen address and the `advertise_url` host (only used when creating). */
  readonly hosts?: readonly string[];
  readonly now?: () => number;
  readonly log?: (line: string) => void;
}

const VALID_DAYS = 3650;
/** A certificate this close to expiry is replaced at start (paired nodes then need re-pairing, said in the log). */
const RENEW_BEFORE_MS = 30 * 86_400_000;

/**
 * The server's certificate and key: the existing pair while it is usable (parses, key matches, not
 * about to expire), else a new one. SANs of an existing one are not compared: pinning clients do
 * not check names, and replacing the certificate to add one would strand every paired node.
 */
export async function ensureNatsTls(natsDir: string, o: EnsureNatsTlsOptions = {}): Promise<NatsTls> {
  const now = o.now ?? Date.now;
  const p = natsTlsPaths(natsDir);
  await ensurePrivateDir(p.dir);
  const [certPem, keyPem] = await Promise.all([readTextIfExists(p.certFile), readTextIfExists(p.keyFile)]);
  const existing = certPem && keyPem ? usable(certPem, keyPem, now()) : "missing";
  if (existing === "ok" && certPem) {
    return { certFile: p.certFile, keyFile: p.keyFile, certPem, fingerprint: new X509Certificate(certPem).fingerprint256, created: false };
  }
  if (existing !== "missing")
    o.log?.(`NATS TLS certificate ${p.certFile} ${existing}: making a new one (paired nodes must run 'cairn node add' again)`);
  const start = now();
  const made = selfSignedCert({
    commonName: `cairn nats ${hostname()}`.slice(0, 64),
    hosts: certificateHosts(o.hosts ?? []),
    // An hour back: a node whose clock runs a little behind must not see "not yet valid".
    notBefore: new Date(start - 3_600_000),
    notAfter: new Date(start + VALID_DAYS * 86_400_000),
    serial: randomBytes(16),
  });
  // Key first: a crash between the two leaves a cert without its key, which the next start replaces.
  await writeFileAtomic(p.keyFile, made.keyPem, 0o600);
  await writeFileAtomic(p.certFile, made.certPem, 0o644);
  o.log?.(`made the NATS TLS certificate ${p.certFile} (SHA-256 ${new X509Certificate(made.certPem).fingerprint256})`);
  return {
    certFile: p.certFile,
    keyFile: p.keyFile,
    certPem: made.certPem,
    fingerprint: new X509Certificate(made.certPem).fingerprint256,
    created: true,
  };
}

function usable(certPem: string, keyPem: string, now: number): "ok" | string {
  try {
    const cert = new X509Certificate(certPem);
    if (!cert.checkPrivateKey(createPrivateKey(keyPem))) return "does not match its key";
    if (Date.parse(cert.validTo) - now < RENEW_BEFORE_MS) return `expires ${cert.validTo}`;
    return "ok";
  } catch (e) {
    return `is unreadable (${(e as Error).message})`;
  }
}

/**
 * TLS options for a client that pins exactly `certPem`. The certificate is its own CA (self-signed),
 * so only that certificate verifies. The host name is not checked: a node dials the gateway by
 * whatever name or address it paired with, which the certificate may not list, and the pin already
 * proves it is our server — skipping the name check is safe only together with this pinned CA.
 */
export const pinnedTls = (certPem: string) => ({ ca: certPem, checkServerIdentity: () => undefined });
