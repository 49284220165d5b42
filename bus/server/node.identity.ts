/**
 * A node's identity, shared by both ends of pairing: the node (`cli/node`) signs with its NATS
 * user nkey, the gateway verifies with the public key alone. The fingerprint is what a person
 * compares on both screens, so both sides must compute it from the same bytes: the raw 32-byte
 * Ed25519 public key inside the `U...` nkey, like SSH's `SHA256:<base64>`.
 */
import { createHash } from "node:crypto";
import { fromPublic, type KeyPair } from "@nats-io/nkeys";
import { base32Decode } from "./nkey.base32.ts";

/**
 * The raw Ed25519 public key inside a user nkey (`U` + base32 of prefix byte, 32 key bytes, CRC16).
 * Throws on anything that is not a valid user public nkey (the CRC is checked by `fromPublic`).
 */
export function rawPublicKey(publicKeyU: string): Uint8Array {
  if (!/^U[A-Z2-7]{55}$/.test(publicKeyU)) throw new Error("not a NATS user public key (U...)");
  fromPublic(publicKeyU); // validates prefix and checksum
  return base32Decode(publicKeyU).subarray(1, 33);
}

/** `SHA256:` + unpadded base64 of sha256(raw public key): the fingerprint shown on both sides. */
export function nodeFingerprint(publicKeyU: string): string {
  const digest = createHash("sha256").update(rawPublicKey(publicKeyU)).digest("base64");
  return `SHA256:${digest.replace(/=+$/, "")}`;
}

/** Signs UTF-8 `text` with the node's key; base64url (no padding), as the pairing contract wants. */
export function signText(kp: KeyPair, text: string): string {
  return Buffer.from(kp.sign(new TextEncoder().encode(text))).toString("base64url");
}

/** True only when `sig` (base64url) is `publicKeyU`'s signature over `text`. Never throws. */
export function verifyText(publicKeyU: string, text: string, sig: string): boolean {
  try {
    if (!/^[A-Za-z0-9_-]+$/.test(sig)) return false;
    const bytes = Buffer.from(sig, "base64url");
    if (bytes.length !== 64) return false;
    return fromPublic(publicKeyU).verify(new TextEncoder().encode(text), bytes);
  } catch {
    return false;
  }
}
