import { createHash, randomBytes, randomInt } from "node:crypto";
import { API_KEY_PREFIX } from "../../schemas/index.ts";

/**
 * The random secrets of auth: API keys and login-session tokens are 32 random bytes, so a fast
 * hash (SHA-256) is the right way to store them — unlike a password there is nothing to guess.
 */
export const sha256Hex = (s: string): string => createHash("sha256").update(s, "utf8").digest("hex");

const token = (bytes: number) => randomBytes(bytes).toString("base64url");

export const newSessionToken = (): string => token(32);
export const newApiKey = (): string => `${API_KEY_PREFIX}${token(32)}`;
/** Short ids for keys and login sessions (72 bits, hex: base64url could start with "-" and read as an option in `cairn auth keys revoke <id>`). */
export const newAuthId = (): string => randomBytes(9).toString("hex");

/** Crockford's base32 without the look-alikes: a code a person reads off a terminal and types. */
const CODE_ALPHABET = "23456789ABCDEFGHJKMNPQRSTVWXYZ";
export const SETUP_CODE_LENGTH = 10;
export const newSetupCode = (): string =>
  Array.from({ length: SETUP_CODE_LENGTH }, () => CODE_ALPHABET[randomInt(CODE_ALPHABET.length)]).join("");
/** Codes are compared case- and separator-insensitively ("abcd-efgh" as typed). */
export const normalizeCode = (code: string): string => code.toUpperCase().replace(/[\s-]/g, "");
