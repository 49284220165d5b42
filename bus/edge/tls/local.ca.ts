/**
 * The gateway's own certificate authority, for TLS without a certificate from elsewhere. The CA is
 * made once and kept (a user trusts it on each device once: replacing it silently would break every
 * device); the server certificate it signs is cheap and is remade whenever it no longer fits —
 * a name or address was added, it comes near its end, or the CA changed.
 */
import { createPrivateKey, randomBytes, X509Certificate } from "node:crypto";
import { hostname } from "node:os";
import { join } from "node:path";
import { ensurePrivateDir, readTextIfExists, writeFileAtomic } from "../../server/index.ts";
import { issueServerCert, makeCa, type PemPair } from "./cert.make.ts";

const DAY_MS = 86_400_000;
/** Ten years: the CA is what users install; it should outlive the machine. */
export const CA_VALID_DAYS = 3650;
/** About a year, below the 398 days some clients accept for any server certificate. */
export const SERVER_VALID_DAYS = 365;
/** Remade when this close to its end (checked at start and by `renewIfDue`). */
export const RENEW_BEFORE_MS = 30 * DAY_MS;
/** Back-dated: a device whose clock runs a little behind must not see "not yet valid". */
const BACKDATE_MS = 3_600_000;

/** The files under `<dataDir>/tls` (pure). */
export const localCaPaths = (dataDir: string) => {
  const dir = join(dataDir, "tls");
  return {
    dir,
    caCertFile: join(dir, "ca-cert.pem"),
    caKeyFile: join(dir, "ca-key.pem"),
    certFile: join(dir, "server-cert.pem"),
    keyFile: join(dir, "server-key.pem"),
  };
};

export interface LocalCaTls {
  readonly certFile: string;
  readonly keyFile: string;
  readonly certPem: string;
  readonly caCertFile: string;
  readonly caPem: string;
  /** SHA-256 of the CA certificate (`AB:CD:…`): what a user compares before trusting it. */
  readonly caFingerprint: string;
  /** When the server certificate ends (ms since the epoch). */
  readonly serverNotAfter: number;
  readonly madeCa: boolean;
  readonly madeServerCert: boolean;
}

export interface LocalCaOptions {
  /** Names and addresses the server certificate must cover. */
  readonly hosts: readonly string[];
  readonly now?: () => number;
  readonly log?: (line: string) => void;
}

/** Why a pair is not usable now, or "ok". */
function check(pair: PemPair | undefined, now: number, extra: (cert: X509Certificate) => string | undefined): string {
  if (!pair) return "missing";
  try {
    const cert = new X509Certificate(pair.certPem);
    if (!cert.checkPrivateKey(createPrivateKey(pair.keyPem))) return "does not match its key";
    if (Date.parse(cert.validTo) - now < RENEW_BEFORE_MS) return `ends ${cert.validTo}`;
    return extra(cert) ?? "ok";
  } catch (e) {
    return `is unreadable (${(e as Error).message})`;
  }
}

const readPair = async (certFile: string, keyFile: string): Promise<PemPair | undefined> => {
  const [certPem, keyPem] = await Promise.all([readTextIfExists(certFile), readTextIfExists(keyFile)]);
  return certPem && keyPem ? { certPem, keyPem } : undefined;
};

/** A name the certificate does not cover, if any (IP addresses as IP SANs, the rest as DNS names). */
const uncovered = (cert: X509Certificate, hosts: readonly string[]): string | undefined =>
  hosts.find((h) => (/^[\d.]+$|:/.test(h) ? cert.checkIP(h) === undefined : cert.checkHost(h, { wildcards: true }) === undefined));

/**
 * The CA and a server certificate for `hosts`, made or remade as needed. Keys are written 0600
 * in a 0700 folder, key before certificate (a crash between leaves a pair the next start remakes).
 */
export async function ensureLocalCa(dataDir: string, o: LocalCaOptions): Promise<LocalCaTls> {
  const now = o.now ?? Date.now;
  const p = localCaPaths(dataDir);
  await ensurePrivateDir(p.dir);

  let ca = await readPair(p.caCertFile, p.caKeyFile);
  const caState = check(ca, now(), (c) => (c.ca ? undefined : "is not a CA"));
  let madeCa = false;
  if (caState !== "ok" || !ca) {
    if (caState !== "missing") o.log?.(`edge TLS: the local CA ${p.caCertFile} ${caState}: making a new one (devices must trust it again)`);
    const start = now();
    ca = await makeCa({
      commonName: `cairn local CA (${hostname()})`.slice(0, 64),
      notBefore: new Date(start - BACKDATE_MS),
      notAfter: new Date(start + CA_VALID_DAYS * DAY_MS),
      serial: randomBytes(16),
    });
    await writeFileAtomic(p.caKeyFile, ca.keyPem, 0o600);
    await writeFileAtomic(p.caCertFile, ca.certPem, 0o644);
    madeCa = true;
  }
  const caCert = new X509Certificate(ca.certPem);

  let server = await readPair(p.certFile, p.keyFile);
  const serverState = check(server, now(), (c) => {
    if (!c.checkIssued(caCert) || !c.verify(caCert.publicKey)) return "is not signed by the current CA";
    const missing = uncovered(c, o.hosts);
    return missing === undefined ? undefined : `does not cover ${missing}`;
  });
  let madeServerCert = false;
  if (serverState !== "ok" || !server) {
    if (serverState !== "missing") o.log?.(`edge TLS: server certificate ${serverState}: making a new one`);
    const start = now();
    server = await issueServerCert({
      ca,
      commonName: (o.hosts.find((h) => !/^[\d.]+$|:/.test(h) && h !== "localhost") ?? "localhost").slice(0, 64),
      hosts: o.hosts,
      notBefore: new Date(start - BACKDATE_MS),
      // Never past the CA's own end: a chain is only as valid as its shortest link.
      notAfter: new Date(Math.min(start + SERVER_VALID_DAYS * DAY_MS, Date.parse(caCert.validTo))),
      serial: randomBytes(16),
    });
    await writeFileAtomic(p.keyFile, server.keyPem, 0o600);
    await writeFileAtomic(p.certFile, server.certPem, 0o644);
    madeServerCert = true;
  }
  return {
    certFile: p.certFile,
    keyFile: p.keyFile,
    certPem: server.certPem,
    caCertFile: p.caCertFile,
    caPem: ca.certPem,
    caFingerprint: caCert.fingerprint256,
    serverNotAfter: Date.parse(new X509Certificate(server.certPem).validTo),
    madeCa,
    madeServerCert,
  };
}
