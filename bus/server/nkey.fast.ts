/**
 * nkeys' key pairs and nats.js's JWT check, with the Ed25519 work done by node:crypto (OpenSSL)
 * instead of tweetnacl's plain JavaScript. At start-up the gateway derives four public keys and
 * checks about nine JWTs; in cold tweetnacl that was ~200 ms of every start (CPU profile of
 * `bench/gateway.profile.ts --only startup`). The results are the same: Ed25519 is deterministic,
 * and the encodings stay nkeys' own (`Codec`).
 */
import { createPrivateKey, createPublicKey, sign, verify, type KeyObject } from "node:crypto";
import type { ClaimsData } from "@nats-io/jwt";
import { fromPublic, fromSeed, type KeyPair } from "@nats-io/nkeys";
import { Codec } from "@nats-io/nkeys/lib/codec.js";
import { base32Decode } from "./nkey.base32.ts";

/** DER headers of a raw 32-byte Ed25519 private key (PKCS#8) and public key (SPKI), RFC 8410. */
const PKCS8_ED25519 = Buffer.from("302e020100300506032b657004220420", "hex");
const SPKI_ED25519 = Buffer.from("302a300506032b6570032100", "hex");

const privateKeyOf = (rawSeed: Uint8Array): KeyObject =>
  createPrivateKey({ key: Buffer.concat([PKCS8_ED25519, rawSeed]), format: "der", type: "pkcs8" });

/** The key pair of an nkey seed (`S...`), checked by nkeys; public key and signatures by node:crypto. */
export function fastKeyPair(seed: Uint8Array): KeyPair {
  const kp = fromSeed(seed);
  const { prefix, buf } = Codec.decodeSeed(seed);
  const key = privateKeyOf(buf);
  const raw = createPublicKey(key).export({ format: "der", type: "spki" }).subarray(-32);
  const publicKey = new TextDecoder().decode(Codec.encode(prefix, raw));
  return Object.assign(Object.create(kp) as KeyPair, {
    getPublicKey: () => publicKey,
    sign: (data: Uint8Array) => new Uint8Array(sign(null, data, key)),
  });
}

/** The 32 raw key bytes of a public nkey, after nkeys checked its prefix and CRC. */
const rawPublicKey = (nkey: string): Buffer => {
  fromPublic(nkey);
  return Buffer.from(base32Decode(nkey).subarray(1, 33));
};

/**
 * A NATS JWT's claims once its signature by its issuer (`iss`) checks out; throws otherwise.
 * What `decode` of @nats-io/jwt does, with the signature checked by node:crypto.
 */
export function verifiedClaims<T = unknown>(jwt: string): ClaimsData<T> {
  const chunks = jwt.split(".");
  if (chunks.length !== 3) throw new Error(`invalid jwt - ${chunks.length} chunks`);
  const header = JSON.parse(Buffer.from(chunks[0], "base64url").toString("utf8")) as { typ?: string; alg?: string };
  if (header.typ !== "jwt" && header.typ !== "JWT") throw new Error(`not a nats jwt - typ ${header.typ}`);
  if (header.alg !== "ed25519" && header.alg !== "ed25519-nkey") throw new Error(`not a nats jwt - alg ${header.alg}`);
  const claims = JSON.parse(Buffer.from(chunks[1], "base64url").toString("utf8")) as ClaimsData<T>;
  const signed = header.alg === "ed25519-nkey" ? `${chunks[0]}.${chunks[1]}` : chunks[1];
  const key = { key: Buffer.concat([SPKI_ED25519, rawPublicKey(claims.iss)]), format: "der" as const, type: "spki" as const };
  if (!verify(null, Buffer.from(signed), key, Buffer.from(chunks[2], "base64url"))) throw new Error("sig verification failed");
  return claims;
}
