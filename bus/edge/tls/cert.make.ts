/**
 * Makes the edge's local CA and the server certificates it signs, with `@peculiar/x509` over
 * Node's WebCrypto (ECDSA P-256, SHA-256). A library rather than more hand-written DER
 * (bus/server/nats.cert.ts): a CA needs issuer/subject chaining, key identifiers and CA
 * constraints that browsers check strictly, and @peculiar/x509 is the maintained encoder
 * @simplewebauthn/server already loads. It costs ~120 ms to load, so it is imported only when a
 * certificate is made (first start, renewal), never when existing ones are reused.
 */
import { webcrypto } from "node:crypto";
import { isIP } from "node:net";

const ALG = { name: "ECDSA", namedCurve: "P-256", hash: "SHA-256" } as const;

export interface PemPair {
  readonly certPem: string;
  readonly keyPem: string;
}

export interface MakeCaOptions {
  readonly commonName: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** 1–20 random bytes. */
  readonly serial: Uint8Array;
}

export interface IssueOptions {
  readonly ca: PemPair;
  readonly commonName: string;
  /** DNS names and IP addresses the certificate is valid for. */
  readonly hosts: readonly string[];
  readonly notBefore: Date;
  readonly notAfter: Date;
  readonly serial: Uint8Array;
}

const x509Lib = async () => {
  const x509 = await import("@peculiar/x509");
  x509.cryptoProvider.set(webcrypto as unknown as Crypto);
  return x509;
};

/** A positive serial in hex (the top bit cleared: DER INTEGERs are signed). */
const serialHex = (b: Uint8Array): string => {
  const bytes = Uint8Array.from(b);
  bytes[0] = (bytes[0] ?? 0) & 0x7f;
  return Buffer.from(bytes).toString("hex");
};

const keyPem = async (key: CryptoKey): Promise<string> => {
  const der = Buffer.from(await webcrypto.subtle.exportKey("pkcs8", key));
  const b64 = (der.toString("base64").match(/.{1,64}/g) ?? []).join("\n");
  return `-----BEGIN PRIVATE KEY-----\n${b64}\n-----END PRIVATE KEY-----\n`;
};

/** RFC 4514 escaping for a CN value (a hostname may hold nothing special, a user's name might). */
const cn = (v: string): string => `CN=${v.replace(/[\\,+"<>;=#]/g, (c) => `\\${c}`)}`;

/**
 * A CA certificate and key: may sign server certificates only (pathLen 0), never other CAs.
 */
export async function makeCa(o: MakeCaOptions): Promise<PemPair> {
  const x509 = await x509Lib();
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ["sign", "verify"])) as CryptoKeyPair;
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: serialHex(o.serial),
    name: cn(o.commonName),
    notBefore: o.notBefore,
    notAfter: o.notAfter,
    signingAlgorithm: ALG,
    keys,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString("pem"), keyPem: await keyPem(keys.privateKey) };
}

/** A server certificate for `hosts`, signed by `ca`, with a fresh key. */
export async function issueServerCert(o: IssueOptions): Promise<PemPair> {
  const x509 = await x509Lib();
  const ca = new x509.X509Certificate(o.ca.certPem);
  const caKey = await webcrypto.subtle.importKey(
    "pkcs8",
    Buffer.from(o.ca.keyPem.replace(/-----[^-]+-----|\s/g, ""), "base64"),
    ALG,
    false,
    ["sign"],
  );
  const keys = (await webcrypto.subtle.generateKey(ALG, true, ["sign", "verify"])) as CryptoKeyPair;
  const names = [...new Set(o.hosts.filter((h) => h.length > 0))].map((h) =>
    isIP(h) ? { type: "ip" as const, value: h } : { type: "dns" as const, value: h },
  );
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: serialHex(o.serial),
    subject: cn(o.commonName),
    issuer: ca.subject,
    notBefore: o.notBefore,
    notAfter: o.notAfter,
    signingAlgorithm: ALG,
    publicKey: keys.publicKey,
    signingKey: caKey,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
      new x509.SubjectAlternativeNameExtension(names),
      await x509.AuthorityKeyIdentifierExtension.create(ca),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  return { certPem: cert.toString("pem"), keyPem: await keyPem(keys.privateKey) };
}
