import { createHash } from "node:crypto";
import { fromPublic } from "@nats-io/nkeys";
import {
  CairnError,
  PAIRING_CLOCK_SKEW_MS,
  pairingRequestText,
  pairingStatusText,
  type PairingRequest,
  type PairingStatusRequest,
} from "../../schemas/index.ts";

/**
 * Pure checks of signed pairing messages: the signature proves the sender holds the private key of
 * `publicKey`; the timestamp bounds how long a captured request stays usable (the nonce, checked
 * against the node's history by the aggregate, covers the rest of that window).
 */

const B32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

/** RFC 4648 base32 without padding (the alphabet of nkeys). */
const base32Decode = (s: string): Uint8Array => {
  const out: number[] = [];
  let bits = 0;
  let value = 0;
  for (const ch of s) {
    const v = B32.indexOf(ch);
    if (v < 0) throw new CairnError("bad_request", "a public key is a NATS user nkey (U...)");
    value = (value << 5) | v;
    bits += 5;
    if (bits >= 8) {
      out.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Uint8Array.from(out);
};

/** The raw 32-byte Ed25519 key inside a `U...` nkey (after its prefix byte, before its CRC). */
export const rawPublicKey = (publicKey: string): Uint8Array => {
  fromPublic(publicKey); // checks prefix and CRC
  const bytes = base32Decode(publicKey);
  return bytes.slice(1, 33);
};

/** `SHA256:` + unpadded base64 of sha256(raw public key): the fingerprint a person compares. */
export const fingerprintOf = (publicKey: string): string =>
  `SHA256:${createHash("sha256").update(rawPublicKey(publicKey)).digest("base64").replace(/=+$/, "")}`;

/** True when `signature` (base64url of the raw 64-byte Ed25519 signature) signs `text` for `publicKey`. */
export const verifySignature = (publicKey: string, text: string, signature: string): boolean => {
  try {
    const sig = Buffer.from(signature, "base64url");
    if (sig.length !== 64) return false;
    return fromPublic(publicKey).verify(new TextEncoder().encode(text), sig);
  } catch {
    return false;
  }
};

const checkClock = (timestamp: number, now: number): void => {
  const off = timestamp - now;
  if (!Number.isFinite(timestamp) || Math.abs(off) > PAIRING_CLOCK_SKEW_MS) {
    throw new CairnError(
      "bad_request",
      `the request is ${Math.round(Math.abs(off) / 1000)} s ${off < 0 ? "old" : "ahead of the gateway's clock"}; allowed ±${PAIRING_CLOCK_SKEW_MS / 1000} s (check the node's clock)`,
    );
  }
};

/** Throws `bad_request` (clock) or `unauthorized` (signature) for a pairing request. */
export const checkPairingRequest = (r: PairingRequest, now: number): void => {
  checkClock(r.timestamp, now);
  if (!verifySignature(r.publicKey, pairingRequestText(r), r.signature)) {
    throw new CairnError("unauthorized", "the pairing request's signature does not match its public key");
  }
};

/** Throws `bad_request` (clock) or `unauthorized` (signature) for a status poll. */
export const checkStatusRequest = (r: PairingStatusRequest, now: number): void => {
  checkClock(r.timestamp, now);
  if (!verifySignature(r.publicKey, pairingStatusText(r), r.signature)) {
    throw new CairnError("unauthorized", "the status request's signature does not match its public key");
  }
};
