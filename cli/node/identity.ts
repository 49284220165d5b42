/**
 * The node's key: a NATS user nkey created on first run. Its seed is the private key: written
 * once, mode 0600 in a 0700 directory, and never sent anywhere (pairing sends the public key and
 * signatures; NATS signs its connection nonce locally).
 */
import { randomBytes } from "node:crypto";
import { chmodSync, mkdirSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { createUser, fromSeed, type KeyPair } from "@nats-io/nkeys";
import { nodeFingerprint } from "../../bus/server/index.ts";
import { CairnError } from "../../schemas/index.ts";
import type { NodePaths } from "./node.paths.ts";

export { nodeFingerprint, signText, verifyText } from "../../bus/server/index.ts";

export interface NodeIdentity {
  readonly keyPair: KeyPair;
  readonly seed: string;
  readonly publicKey: string;
  readonly fingerprint: string;
  /** True when this call generated the key. */
  readonly created: boolean;
}

const fromSeedText = (seed: string, file: string): KeyPair => {
  try {
    const kp = fromSeed(new TextEncoder().encode(seed));
    if (!kp.getPublicKey().startsWith("U")) throw new Error("not a user seed");
    return kp;
  } catch (e) {
    // Never regenerate over a broken key: the gateway pinned the old one, and a silent new key
    // would look exactly like an impersonation attempt there.
    throw new CairnError(
      "bad_request",
      `${file} is not a NATS user seed (${(e as Error).message}); move it away to generate a new key, then re-pair`,
    );
  }
};

const readSeed = (file: string): string | undefined => {
  try {
    return readFileSync(file, "utf8").trim();
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new CairnError("unavailable", `cannot read the node key ${file}: ${(e as Error).message}`);
  }
};

const describe = (kp: KeyPair, seed: string, created: boolean): NodeIdentity => {
  const publicKey = kp.getPublicKey();
  return { keyPair: kp, seed, publicKey, fingerprint: nodeFingerprint(publicKey), created };
};

/** The existing key, or undefined when this machine has none yet. */
export function loadIdentity(paths: NodePaths): NodeIdentity | undefined {
  const seed = readSeed(paths.seedFile);
  return seed === undefined ? undefined : describe(fromSeedText(seed, paths.seedFile), seed, false);
}

/** The node's key, generated (and stored, 0600) on first use. */
export function loadOrCreateIdentity(paths: NodePaths): NodeIdentity {
  const existing = loadIdentity(paths);
  if (existing) {
    chmodSync(paths.seedFile, 0o600); // repair a loosened mode rather than keep a readable key
    return existing;
  }
  mkdirSync(paths.dir, { recursive: true, mode: 0o700 });
  chmodSync(paths.dir, 0o700);
  const kp = createUser();
  const seed = new TextDecoder().decode(kp.getSeed());
  // Written beside and renamed: a crash never leaves a half key that the next run would refuse.
  const tmp = `${paths.seedFile}.${process.pid}.tmp`;
  writeFileSync(tmp, `${seed}\n`, { mode: 0o600, flag: "wx" });
  renameSync(tmp, paths.seedFile);
  return describe(kp, seed, true);
}

/** A fresh node id: `n-` + 10 base36 characters. */
export const newNodeId = (random: (n: number) => Buffer = randomBytes): string => {
  const bytes = random(10);
  let id = "";
  for (const b of bytes) id += (b % 36).toString(36);
  return `n-${id}`;
};
