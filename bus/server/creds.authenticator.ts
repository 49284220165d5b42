/**
 * nats.js's `credsAuthenticator`, with the Ed25519 signature made by node:crypto. nats.js derives
 * the public key and signs the server's nonce in pure JavaScript (tweetnacl): ~60 ms of cold,
 * unoptimised code on every connect, a third of a CLI command's run. The result on the wire is the
 * same (Ed25519 signatures are deterministic): `{ jwt, nkey, sig }`.
 */
import { createPrivateKey, sign } from "node:crypto";
import type { Authenticator, JwtAuth } from "@nats-io/transport-node";
import { base32Decode } from "./nkey.base32.ts";

/** The two armoured blocks of a `.creds` file: the user JWT, then the user's nkey seed. */
const BLOCK = /-{3,}[^\n]*-{3,}\r?\n\s*(\S+)\s*\r?\n\s*-{3,}[^\n]*-{3,}/g;

/** The user JWT and the nkey seed of a `.creds` file's text (undefined where a block is missing). */
export const credsParts = (text: string): { jwt: string | undefined; seed: string | undefined } => {
  const [jwt, seed] = [...text.matchAll(BLOCK)].map((m) => m[1]);
  return { jwt, seed };
};
/** PKCS#8 header of a raw 32-byte Ed25519 private key (RFC 8410). */
const PKCS8_ED25519 = Buffer.from("302e020100300506032b657004220420", "hex");
/** nkeys' first 5 bits of a seed (`S`), before the key type. */
const SEED_PREFIX = 18 << 3;

/** The raw Ed25519 seed inside an nkeys seed (`SU...`): 2 prefix bytes, 32 seed bytes, CRC-16. */
const rawSeed = (seed: string): Buffer => {
  let raw: Buffer;
  try {
    raw = Buffer.from(base32Decode(seed));
  } catch {
    throw new Error("unable to parse credentials: the seed is not base32");
  }
  if (raw.length !== 36 || (raw[0] & 0xf8) !== SEED_PREFIX) throw new Error("unable to parse credentials: not an nkey seed");
  return raw.subarray(2, 34);
};

/** Parses the creds (bytes or a function returning them, read at each connect) and signs the nonce. */
export function credsAuthenticator(creds: Uint8Array | (() => Uint8Array)): Authenticator {
  const read = typeof creds === "function" ? creds : () => creds;
  return (nonce?: string): JwtAuth => {
    const { jwt, seed } = credsParts(Buffer.from(read()).toString("utf8"));
    if (jwt === undefined || seed === undefined) throw new Error("unable to parse credentials");
    // The user's public key is the JWT's subject: no key derivation needed.
    const nkey = (JSON.parse(Buffer.from(jwt.split(".")[1] ?? "", "base64url").toString("utf8")) as { sub?: string }).sub;
    if (!nonce) return { jwt, nkey: nkey ?? "", sig: "" };
    const key = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, rawSeed(seed)]), format: "der", type: "pkcs8" });
    return { jwt, nkey: nkey ?? "", sig: sign(null, Buffer.from(nonce), key).toString("base64") };
  };
}
