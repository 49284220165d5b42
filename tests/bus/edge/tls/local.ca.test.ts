/**
 * The local CA: made once and kept (0600 key, 0700 folder), the server certificate remade when it
 * no longer fits (new name, near its end), checked with OpenSSL's own verifier.
 */
import { execFileSync } from "node:child_process";
import { X509Certificate } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { edgeCertificateHosts, resolveEdgeTls } from "../../../../bus/edge/tls/index.ts";
import { ensureLocalCa, localCaPaths, RENEW_BEFORE_MS, SERVER_VALID_DAYS } from "../../../../bus/edge/tls/local.ca.ts";

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "cairn-ca-"));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

const mode = (f: string) => statSync(f).mode & 0o777;

describe("ensureLocalCa", () => {
  test("makes a CA and a server certificate OpenSSL verifies for each host; keys 0600 in a 0700 folder", async () => {
    const hosts = ["localhost", "127.0.0.1", "::1", "cairn.lan"];
    const t = await ensureLocalCa(dir, { hosts });
    const p = localCaPaths(dir);
    expect(t.madeCa && t.madeServerCert).toBe(true);
    expect(mode(p.dir)).toBe(0o700);
    expect(mode(p.caKeyFile)).toBe(0o600);
    expect(mode(p.keyFile)).toBe(0o600);
    const ca = new X509Certificate(readFileSync(p.caCertFile));
    expect(ca.ca).toBe(true);
    expect(t.caFingerprint).toBe(ca.fingerprint256);
    for (const h of ["localhost", "cairn.lan"]) {
      // OpenSSL's verifier, not ours: chain, purpose and name.
      const out = execFileSync("openssl", ["verify", "-CAfile", p.caCertFile, "-purpose", "sslserver", "-verify_hostname", h, p.certFile], {
        encoding: "utf8",
      });
      expect(out).toContain(": OK");
    }
    for (const ip of ["127.0.0.1", "::1"]) {
      const out = execFileSync("openssl", ["verify", "-CAfile", p.caCertFile, "-verify_ip", ip, p.certFile], { encoding: "utf8" });
      expect(out).toContain(": OK");
    }
    expect(() =>
      execFileSync("openssl", ["verify", "-CAfile", p.caCertFile, "-verify_hostname", "evil.example", p.certFile], { stdio: "pipe" }),
    ).toThrow();
  });

  test("reuses both on the next start; a new name remakes only the server certificate", async () => {
    const first = await ensureLocalCa(dir, { hosts: ["localhost"] });
    const again = await ensureLocalCa(dir, { hosts: ["localhost"] });
    expect(again.madeCa || again.madeServerCert).toBe(false);
    expect(again.certPem).toBe(first.certPem);
    const wider = await ensureLocalCa(dir, { hosts: ["localhost", "192.0.2.2"] });
    expect(wider.madeCa).toBe(false);
    expect(wider.madeServerCert).toBe(true);
    expect(wider.caPem).toBe(first.caPem);
    expect(new X509Certificate(wider.certPem).checkIP("192.0.2.2")).toBe("192.0.2.2");
  });

  test("renews the server certificate when it nears its end, keeping the CA", async () => {
    const first = await ensureLocalCa(dir, { hosts: ["localhost"] });
    const later = Date.now() + SERVER_VALID_DAYS * 86_400_000 - RENEW_BEFORE_MS + 86_400_000;
    const renewed = await ensureLocalCa(dir, { hosts: ["localhost"], now: () => later });
    expect(renewed.madeServerCert).toBe(true);
    expect(renewed.madeCa).toBe(false);
    expect(renewed.serverNotAfter).toBeGreaterThan(first.serverNotAfter);
  });

  test("a server certificate from another CA (or a broken file) is replaced", async () => {
    await ensureLocalCa(dir, { hosts: ["localhost"] });
    const other = mkdtempSync(join(tmpdir(), "cairn-ca-other-"));
    try {
      const foreign = await ensureLocalCa(other, { hosts: ["localhost"] });
      const p = localCaPaths(dir);
      writeFileSync(p.certFile, foreign.certPem);
      writeFileSync(p.keyFile, readFileSync(localCaPaths(other).keyFile));
      const lines: string[] = [];
      const t = await ensureLocalCa(dir, { hosts: ["localhost"], log: (l) => lines.push(l) });
      expect(t.madeServerCert).toBe(true);
      expect(lines.join("\n")).toContain("not signed by the current CA");
      writeFileSync(p.caCertFile, "garbage");
      const remade = await ensureLocalCa(dir, { hosts: ["localhost"], log: (l) => lines.push(l) });
      expect(remade.madeCa).toBe(true);
      expect(lines.join("\n")).toContain("devices must trust it again");
    } finally {
      rmSync(other, { recursive: true, force: true });
    }
  });
});

describe("resolveEdgeTls", () => {
  test("bound to all addresses, the certificate covers each interface address", () => {
    const hosts = edgeCertificateHosts("0.0.0.0", ["cairn.lan"], {
      eth0: [{ address: "192.0.2.2", internal: false, family: "IPv4", netmask: "", mac: "", cidr: null }],
      lo: [{ address: "127.0.0.1", internal: true, family: "IPv4", netmask: "", mac: "", cidr: null }],
    });
    expect(hosts).toEqual(expect.arrayContaining(["localhost", "127.0.0.1", "::1", "192.0.2.2", "cairn.lan"]));
    expect(hosts).not.toContain("0.0.0.0");
  });

  test("provided files: a missing file, a key of another certificate, a lone cert are clear errors", async () => {
    const a = await ensureLocalCa(join(dir, "a"), { hosts: ["localhost"] });
    const b = await ensureLocalCa(join(dir, "b"), { hosts: ["localhost"] });
    const base = { dataDir: dir, bindHost: "127.0.0.1" };
    await expect(resolveEdgeTls({ ...base, settings: { cert: join(dir, "nope.pem"), key: a.keyFile } })).rejects.toThrow(
      /cannot be read: ENOENT/,
    );
    await expect(resolveEdgeTls({ ...base, settings: { cert: a.certFile, key: b.keyFile } })).rejects.toThrow(/is not the key of/);
    await expect(resolveEdgeTls({ ...base, settings: { cert: a.certFile } })).rejects.toThrow(/both cert and key/);
    const ok = await resolveEdgeTls({ ...base, settings: { cert: a.certFile, key: a.keyFile } });
    expect(ok.source).toBe("provided");
    expect(ok.caPem).toBeUndefined();
  });
});
