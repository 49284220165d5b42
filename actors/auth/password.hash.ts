import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from "node:crypto";

/**
 * Password hashing with scrypt (node:crypto; memory-hard), stored as a PHC-style string
 * `$scrypt$ln=15,r=8,p=1$<salt>$<hash>` (base64, no padding). Parameters: N = 2^15, r = 8, p = 1
 * → 32 MiB and 150–180 ms per hash on this 2-core machine (bench/auth.bench.ts), the
 * interactive-login setting OWASP lists for scrypt. The parameters travel with each hash, so they
 * can be raised later without breaking existing passwords.
 */
export const SCRYPT = { ln: 15, r: 8, p: 1, keyLen: 32, saltLen: 16 } as const;

const run = (password: string, salt: Buffer, ln: number, r: number, p: number, keyLen: number): Promise<Buffer> => {
  const N = 2 ** ln;
  // maxmem must exceed 128·N·r or node refuses; twice that leaves room.
  const opts: ScryptOptions = { N, r, p, maxmem: 256 * N * r };
  return new Promise((resolve, reject) =>
    scrypt(password.normalize("NFC"), salt, keyLen, opts, (e, key) => (e ? reject(e) : resolve(key))),
  );
};

const b64 = (b: Buffer) => b.toString("base64").replace(/=+$/, "");

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(SCRYPT.saltLen);
  const key = await run(password, salt, SCRYPT.ln, SCRYPT.r, SCRYPT.p, SCRYPT.keyLen);
  return `$scrypt$ln=${SCRYPT.ln},r=${SCRYPT.r},p=${SCRYPT.p}$${b64(salt)}$${b64(key)}`;
}

const PHC = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/;

/** True when `password` matches `stored`; false for a wrong password or a hash it cannot read. */
export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const m = PHC.exec(stored);
  if (!m) return false;
  const [ln, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  // Parameters outside sane bounds would let a forged hash stall the gateway.
  if (ln < 10 || ln > 20 || r < 1 || r > 32 || p < 1 || p > 4) return false;
  const expected = Buffer.from(m[5], "base64");
  if (expected.length < 16 || expected.length > 64) return false;
  const key = await run(password, Buffer.from(m[4], "base64"), ln, r, p, expected.length);
  return timingSafeEqual(key, expected);
}
