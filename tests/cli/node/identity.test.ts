import { createHash, createPublicKey, verify } from "node:crypto";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { nodeFingerprint, rawPublicKey, signText, verifyText } from "../../../bus/server/index.ts";
import { loadIdentity, loadOrCreateIdentity, newNodeId, nodePaths } from "../../../cli/node/index.ts";

const dirs: string[] = [];
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), "cairn-node-id-"));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe("node identity", () => {
  it("creates the key once, 0600 in a 0700 folder, and reuses it (same fingerprint)", () => {
    const paths = nodePaths(tmp());
    const first = loadOrCreateIdentity(paths);
    expect(first.created).toBe(true);
    expect(first.publicKey).toMatch(/^U[A-Z2-7]{55}$/);
    expect(statSync(paths.seedFile).mode & 0o777).toBe(0o600);
    expect(statSync(paths.dir).mode & 0o777).toBe(0o700);
    const again = loadOrCreateIdentity(paths);
    expect(again.created).toBe(false);
    expect(again.publicKey).toBe(first.publicKey);
    expect(again.fingerprint).toBe(first.fingerprint);
    expect(loadIdentity(paths)?.fingerprint).toBe(first.fingerprint);
  });

  it("fingerprint is SHA256 of the raw Ed25519 key, which really is the key that signs", () => {
    const id = loadOrCreateIdentity(nodePaths(tmp()));
    const raw = rawPublicKey(id.publicKey);
    expect(raw.length).toBe(32);
    expect(id.fingerprint).toBe(`SHA256:${createHash("sha256").update(raw).digest("base64").replace(/=+$/, "")}`);
    expect(id.fingerprint).not.toContain("=");
    expect(nodeFingerprint(id.publicKey)).toBe(id.fingerprint);
    // Independent check with node:crypto: the raw bytes verify the nkey's signatures.
    const spki = Buffer.concat([Buffer.from("302a300506032b6570032100", "hex"), raw]);
    const key = createPublicKey({ key: spki, format: "der", type: "spki" });
    const sig = Buffer.from(signText(id.keyPair, "hello"), "base64url");
    expect(verify(null, Buffer.from("hello"), key, sig)).toBe(true);
  });

  it("a signature verifies for its text only, and only with its key", () => {
    const a = loadOrCreateIdentity(nodePaths(tmp()));
    const b = loadOrCreateIdentity(nodePaths(tmp()));
    const text = "cairn-pair-v1\nn-abc\nsome text";
    const sig = signText(a.keyPair, text);
    expect(sig).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(verifyText(a.publicKey, text, sig)).toBe(true);
    expect(verifyText(a.publicKey, `${text}x`, sig)).toBe(false);
    expect(verifyText(b.publicKey, text, sig)).toBe(false);
    expect(verifyText(a.publicKey, text, "not a signature!")).toBe(false);
    expect(verifyText("Unot-a-key", text, sig)).toBe(false);
  });

  it("refuses a corrupt seed instead of silently making a new key", () => {
    const paths = nodePaths(tmp());
    loadOrCreateIdentity(paths);
    writeFileSync(paths.seedFile, "garbage\n");
    expect(() => loadOrCreateIdentity(paths)).toThrow(/not a NATS user seed/);
  });

  it("node ids are n- and 10 base36 characters", () => {
    for (let i = 0; i < 20; i++) expect(newNodeId()).toMatch(/^n-[0-9a-z]{10}$/);
  });
});
