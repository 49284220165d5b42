/**
 * A self-signed X.509 server certificate (ECDSA P-256, SHA-256) built with `node:crypto` alone: a
 * few dozen lines of DER instead of a dependency tree (the pure-JS X.509 packages that run on
 * Node 20 pull in a global `reflect-metadata` polyfill). Only what a TLS server certificate needs:
 * v3, subject = issuer, SANs, basicConstraints, keyUsage, extendedKeyUsage (serverAuth).
 */
import { createPublicKey, generateKeyPairSync, sign, type KeyObject } from "node:crypto";
import { isIP } from "node:net";

// ---- DER (ITU-T X.690), definite lengths only ----
const len = (n: number): Buffer => {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
};
const tlv = (tag: number, body: Buffer): Buffer => Buffer.concat([Buffer.from([tag]), len(body.length), body]);
const seq = (...items: Buffer[]): Buffer => tlv(0x30, Buffer.concat(items));
const set = (...items: Buffer[]): Buffer => tlv(0x31, Buffer.concat(items));
const octets = (b: Buffer): Buffer => tlv(0x04, b);
const bits = (b: Buffer): Buffer => tlv(0x03, Buffer.concat([Buffer.from([0]), b]));
const bool = (v: boolean): Buffer => tlv(0x01, Buffer.from([v ? 0xff : 0]));
const utf8 = (s: string): Buffer => tlv(0x0c, Buffer.from(s, "utf8"));
/** A non-negative INTEGER from big-endian bytes (a leading 0 keeps it positive). */
const uint = (b: Buffer): Buffer => {
  let i = 0;
  while (i < b.length - 1 && b[i] === 0) i++;
  const v = b.subarray(i);
  return tlv(0x02, (v[0] & 0x80) !== 0 ? Buffer.concat([Buffer.from([0]), v]) : v);
};
const oid = (dotted: string): Buffer => {
  const [a, b, ...rest] = dotted.split(".").map(Number) as [number, number, ...number[]];
  const out = [a * 40 + b];
  for (const n of rest) {
    const chunk = [n & 0x7f];
    for (let v = Math.floor(n / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift(0x80 | (v & 0x7f));
    out.push(...chunk);
  }
  return tlv(0x06, Buffer.from(out));
};
/** RFC 5280 §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050. */
const time = (d: Date): Buffer => {
  const iso = d.toISOString().replace(/[-:T]/g, "").slice(0, 14); // YYYYMMDDHHMMSS
  return d.getUTCFullYear() < 2050 ? tlv(0x17, Buffer.from(`${iso.slice(2)}Z`)) : tlv(0x18, Buffer.from(`${iso}Z`));
};
const ext = (id: string, critical: boolean, value: Buffer): Buffer => seq(oid(id), ...(critical ? [bool(true)] : []), octets(value));

/** IPv4 / IPv6 text → the 4 or 16 address bytes of an iPAddress SAN. */
function ipBytes(ip: string): Buffer {
  if (isIP(ip) === 4) return Buffer.from(ip.split(".").map(Number));
  const [head, tail = ""] = ip.split("::") as [string, string?];
  const groups = (s: string) => (s ? s.split(":") : []);
  const h = groups(head);
  const t = ip.includes("::") ? groups(tail) : [];
  const all = [...h, ...Array(8 - h.length - t.length).fill("0"), ...t];
  return Buffer.concat(all.map((g) => Buffer.from(g.padStart(4, "0"), "hex")));
}

export interface SelfSignedCert {
  readonly certPem: string;
  readonly keyPem: string;
}

export interface SelfSignedOptions {
  readonly commonName: string;
  /** DNS names and IP addresses the certificate is valid for. */
  readonly hosts: readonly string[];
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** 1–20 random bytes (injected: tests are deterministic about everything but the key). */
  readonly serial: Buffer;
}

const ECDSA_SHA256 = "1.2.840.10045.4.3.2";

/** Generates a P-256 key and a self-signed certificate for it. */
export function selfSignedCert(o: SelfSignedOptions): SelfSignedCert {
  const { privateKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
  return { certPem: certificateFor(privateKey, o), keyPem: privateKey.export({ format: "pem", type: "pkcs8" }) as string };
}

function certificateFor(key: KeyObject, o: SelfSignedOptions): string {
  const name = seq(set(seq(oid("2.5.4.3"), utf8(o.commonName))));
  const sans = [...new Set(o.hosts.filter((h) => h.length > 0))].map((h) =>
    isIP(h) ? tlv(0x87, ipBytes(h)) : tlv(0x82, Buffer.from(h, "ascii")),
  );
  const spki = createPublicKey(key).export({ format: "der", type: "spki" });
  const algorithm = seq(oid(ECDSA_SHA256));
  const tbs = seq(
    tlv(0xa0, uint(Buffer.from([2]))), // v3
    uint(o.serial),
    algorithm,
    name,
    seq(time(o.notBefore), time(o.notAfter)),
    name,
    spki,
    tlv(
      0xa3,
      seq(
        ext("2.5.29.19", true, seq()), // basicConstraints: not a CA
        ext("2.5.29.15", true, tlv(0x03, Buffer.from([7, 0x80]))), // keyUsage: digitalSignature (7 unused bits, DER)
        ext("2.5.29.37", false, seq(oid("1.3.6.1.5.5.7.3.1"))), // extKeyUsage: serverAuth
        ext("2.5.29.17", false, seq(...sans)),
      ),
    ),
  );
  const signature = sign("sha256", tbs, { key, dsaEncoding: "der" });
  const der = seq(tbs, algorithm, bits(signature));
  const b64 = (der.toString("base64").match(/.{1,64}/g) ?? []).join("\n");
  return `-----BEGIN CERTIFICATE-----\n${b64}\n-----END CERTIFICATE-----\n`;
}
