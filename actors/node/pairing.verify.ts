import { nodeFingerprint, verifyText } from "../../bus/server/index.ts";
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

/** `SHA256:` + unpadded base64 of sha256(raw public key): the same function the node prints with. */
export const fingerprintOf = (publicKey: string): string => nodeFingerprint(publicKey);

/** True when `signature` (base64url of the raw 64-byte Ed25519 signature) signs `text` for `publicKey`. */
export const verifySignature = (publicKey: string, text: string, signature: string): boolean => {
  try {
    return verifyText(publicKey, text, signature);
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
