import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import * as Schema from "effect/Schema";
import webpush from "web-push";
import { decodeLenient } from "../../schemas/index.ts";

/**
 * The gateway's VAPID key pair (RFC 8292): made once, on the first start that needs it, and kept
 * in the data dir (mode 0600). Every subscription a browser makes is bound to the public key, so
 * a new pair would silently orphan them all: the file is never rewritten once it exists. The
 * private key never leaves this file and the sending code (no log line, event or reply carries it).
 */

export const VAPID_FILE = join("push", "vapid.json");

const VapidFile = Schema.Struct({ publicKey: Schema.String, privateKey: Schema.String, createdAt: Schema.Number });
export type VapidKeys = typeof VapidFile.Type;

/** Reads the key pair, making and storing it first if there is none. */
export const ensureVapidKeys = (dataDir: string, now: () => number = Date.now): VapidKeys => {
  const file = join(dataDir, VAPID_FILE);
  if (existsSync(file)) return decodeLenient(VapidFile, JSON.parse(readFileSync(file, "utf8")), file);
  const keys = { ...webpush.generateVAPIDKeys(), createdAt: now() };
  mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(keys, null, 2)}\n`, { mode: 0o600 });
  renameSync(tmp, file);
  return keys;
};
