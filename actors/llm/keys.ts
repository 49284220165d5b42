import { randomBytes } from "node:crypto";
import { chmodSync, closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeSync } from "node:fs";
import { dirname, join } from "node:path";
import * as Schema from "effect/Schema";
import { CairnError, decodeLenient } from "../../schemas/index.ts";
import type { KeyLookup, ModelEnv } from "./model.config.ts";

/**
 * Provider API keys the user stored (`cairn providers set-key`, the UI), in the config dir's
 * `provider_keys.json`: mode 0600, written atomically, re-read whenever the file changes so a key
 * set from the CLI reaches a running gateway without a restart. An environment variable wins over
 * a stored key. A key never appears in a log line, an event, an error message or a reply: status
 * carries only where it came from and its last 4 characters.
 */

export const PROVIDER_KEYS_FILE = "provider_keys.json";

export const providerKeysFile = (configDir: string): string => join(configDir, PROVIDER_KEYS_FILE);

const StoredKey = Schema.Struct({ apiKey: Schema.String, updatedAt: Schema.optionalKey(Schema.Number) });
const KeyFile = Schema.Record(Schema.String, StoredKey);
type KeyFile = typeof KeyFile.Type;

export type KeySource = "env" | "stored" | "none";

export class KeyStore implements KeyLookup {
  private stamp: string | null = null;
  private keys: KeyFile = {};

  constructor(
    readonly file: string,
    private readonly now: () => number = Date.now,
  ) {}

  /** The stored key of `provider`, or undefined. Throws `bad_request` when the file is unreadable. */
  get(provider: string): string | undefined {
    this.refresh();
    const k = Object.hasOwn(this.keys, provider) ? this.keys[provider].apiKey.trim() : "";
    return k || undefined;
  }

  /** Providers that have a stored key. */
  providers(): string[] {
    this.refresh();
    return Object.keys(this.keys).filter((p) => this.keys[p].apiKey.trim() !== "");
  }

  /** Stores (or replaces) the key of `provider`. */
  set(provider: string, key: string): void {
    const clean = key.trim();
    if (!clean) throw new CairnError("bad_request", "an empty key cannot be stored");
    this.stamp = null; // merge with the file as it is now, not as last read
    this.refresh();
    this.write({ ...this.keys, [provider]: { apiKey: clean, updatedAt: this.now() } });
  }

  /** Deletes the stored key of `provider`; false when there was none. */
  remove(provider: string): boolean {
    this.stamp = null;
    this.refresh();
    if (!Object.hasOwn(this.keys, provider)) return false;
    const { [provider]: _gone, ...rest } = this.keys;
    this.write(rest);
    return true;
  }

  /** Re-reads the file when its identity, size or mtime changed (a rename gives a new inode). */
  private refresh(): void {
    let stamp: string;
    try {
      const st = statSync(this.file);
      stamp = `${st.ino}:${st.size}:${st.mtimeMs}:${st.ctimeMs}`;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ENOENT") throw e;
      this.stamp = "absent";
      this.keys = {};
      return;
    }
    if (stamp === this.stamp) return;
    // Messages never quote the file: JSON.parse and decode errors would echo a key.
    let parsed: unknown;
    try {
      parsed = JSON.parse(readFileSync(this.file, "utf8"));
    } catch {
      throw new CairnError("bad_request", `${this.file} is not valid JSON; fix it or delete it and set the keys again`);
    }
    try {
      this.keys = decodeLenient(KeyFile, parsed, "provider keys");
    } catch {
      throw new CairnError(
        "bad_request",
        `${this.file} must map provider ids to {"apiKey": "..."}; fix it or delete it and set the keys again`,
      );
    }
    this.stamp = stamp;
  }

  private write(keys: KeyFile): void {
    mkdirSync(dirname(this.file), { recursive: true, mode: 0o700 });
    const tmp = `${this.file}.${process.pid}.${randomBytes(4).toString("hex")}.tmp`;
    try {
      // Created 0600 from the start: the key is never readable by others, not even briefly.
      const fd = openSync(tmp, "wx", 0o600);
      try {
        writeSync(fd, `${JSON.stringify(keys, null, 2)}\n`);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
      chmodSync(tmp, 0o600); // in case the file system ignored the mode
      renameSync(tmp, this.file);
    } catch (e) {
      rmSync(tmp, { force: true });
      throw e;
    }
    this.stamp = null;
  }
}

/** The key for a provider: its environment variable first, then the stored one. */
export function lookupKey(
  entry: { id: string; keyVariable: string | null },
  env: ModelEnv,
  keys: KeyLookup | undefined,
): { key: string | null; source: KeySource } {
  const fromEnv = entry.keyVariable ? env[entry.keyVariable]?.trim() : undefined;
  if (fromEnv) return { key: fromEnv, source: "env" };
  const stored = keys?.get(entry.id);
  if (stored) return { key: stored, source: "stored" };
  return { key: null, source: "none" };
}

/** The last 4 characters, shown so the user can tell keys apart; none for keys too short to spare them. */
export const last4 = (key: string | null): string | null => (key !== null && key.length >= 12 ? key.slice(-4) : null);
