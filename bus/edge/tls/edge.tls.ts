/**
 * Which certificate the edge serves: the user's own (`[gateway.tls] cert` + `key`), checked before
 * anything listens so a wrong path or a mismatched key is a clear error rather than a server that
 * silently fails every handshake; or one signed by cairn's local CA for every name and address
 * this gateway answers to.
 */
import { createPrivateKey, X509Certificate } from "node:crypto";
import { readFile } from "node:fs/promises";
import { networkInterfaces } from "node:os";
import { CairnError } from "../../../schemas/index.ts";
import { certificateHosts } from "../../server/index.ts";
import { ensureLocalCa, RENEW_BEFORE_MS } from "./local.ca.ts";

export interface EdgeTlsSettings {
  /** `[gateway.tls] cert` / `key`: both or neither. */
  readonly cert?: string;
  readonly key?: string;
  /** `[gateway.tls] names`: extra names or addresses for the local CA's certificate. */
  readonly names?: readonly string[];
}

export interface EdgeTls {
  readonly certFile: string;
  readonly keyFile: string;
  /** The served certificate (PEM; the first of a chain file). */
  readonly certPem: string;
  /** `local-ca`: cairn made it; `provided`: the user's files. */
  readonly source: "local-ca" | "provided";
  /** The local CA (PEM) users download from the redirect port; absent for provided certificates. */
  readonly caPem?: string;
  readonly caFingerprint?: string;
  /** When the served certificate ends (ms since the epoch). */
  readonly notAfter: number;
}

const WILDCARD_BINDS = new Set(["", "0.0.0.0", "::", "[::]"]);

/**
 * What the local CA's certificate covers: loopback, this machine's name, the bind address (every
 * interface address when bound to all of them, so a phone on the LAN finds its address in it) and
 * the configured names.
 */
export function edgeCertificateHosts(bindHost: string, names: readonly string[] = [], interfaces = networkInterfaces()): string[] {
  const bound = WILDCARD_BINDS.has(bindHost.trim())
    ? Object.values(interfaces)
        .flat()
        .filter((i) => i !== undefined && !i.internal && !i.address.startsWith("fe80:"))
        .map((i) => i?.address ?? "")
    : [bindHost];
  return certificateHosts([...bound, ...names]);
}

const readOrFail = async (file: string, what: string): Promise<string> => {
  try {
    return await readFile(file, "utf8");
  } catch (e) {
    throw new CairnError("bad_request", `[gateway.tls] ${what} ${file} cannot be read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
};

async function providedTls(cert: string, key: string, now: number, log: (line: string) => void): Promise<EdgeTls> {
  const [certPem, keyPem] = await Promise.all([readOrFail(cert, "cert"), readOrFail(key, "key")]);
  let x: X509Certificate;
  try {
    // The first certificate of the file is the server's; any after it are its chain.
    x = new X509Certificate(certPem);
  } catch (e) {
    throw new CairnError("bad_request", `[gateway.tls] cert ${cert} is not a PEM certificate: ${(e as Error).message}`);
  }
  let matches: boolean;
  try {
    matches = x.checkPrivateKey(createPrivateKey(keyPem));
  } catch (e) {
    throw new CairnError("bad_request", `[gateway.tls] key ${key} is not a PEM private key (or is encrypted): ${(e as Error).message}`);
  }
  if (!matches) throw new CairnError("bad_request", `[gateway.tls] key ${key} is not the key of the certificate ${cert}`);
  const notAfter = Date.parse(x.validTo);
  // Served anyway: the user may be about to replace it, and refusing to start helps nobody reach the UI.
  if (notAfter <= now) log(`warning: the TLS certificate ${cert} expired on ${x.validTo}; browsers will refuse it`);
  else if (notAfter - now < RENEW_BEFORE_MS) log(`warning: the TLS certificate ${cert} expires on ${x.validTo}`);
  return { certFile: cert, keyFile: key, certPem: x.toString(), source: "provided", notAfter };
}

/** The edge's TLS files for these settings (see the file comment); the local CA lives under `dataDir`. */
export async function resolveEdgeTls(o: {
  settings: EdgeTlsSettings;
  dataDir: string;
  bindHost: string;
  now?: () => number;
  log?: (line: string) => void;
}): Promise<EdgeTls> {
  const now = o.now ?? Date.now;
  const log = o.log ?? (() => {});
  const { cert, key } = o.settings;
  if ((cert === undefined) !== (key === undefined))
    throw new CairnError("bad_request", "[gateway.tls] needs both cert and key (or neither, for a certificate from cairn's local CA)");
  if (cert !== undefined && key !== undefined) return providedTls(cert, key, now(), log);
  const local = await ensureLocalCa(o.dataDir, { hosts: edgeCertificateHosts(o.bindHost, o.settings.names), now, log });
  if (local.madeCa) log(`edge TLS: made a local CA ${local.caCertFile} (SHA-256 ${local.caFingerprint})`);
  return {
    certFile: local.certFile,
    keyFile: local.keyFile,
    certPem: local.certPem,
    source: "local-ca",
    caPem: local.caPem,
    caFingerprint: local.caFingerprint,
    notAfter: local.serverNotAfter,
  };
}
