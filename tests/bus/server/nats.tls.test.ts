import { describe, expect, it } from "vitest";
import { execFileSync } from "node:child_process";
import { randomBytes, X509Certificate } from "node:crypto";
import { readFileSync, statSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join } from "node:path";
import {
  connectNats,
  ensureNatsTls,
  findNatsServerBinary,
  isLoopbackHost,
  renderServerConfig,
  selfSignedCert,
  startEmbeddedNats,
} from "../../../bus/server/index.ts";
import { ensureNatsAuth } from "../../../bus/server/nats.auth.ts";
import { isCairnError } from "../../../schemas/index.ts";
import { cleanup, closing, tempDataDir } from "./helpers.ts";

describe("NATS TLS certificate", () => {
  it("is a parseable self-signed P-256 certificate for loopback, this machine and the advertised host; key 0600", async () => {
    const natsDir = join(tempDataDir(), "nats");
    const tls = await ensureNatsTls(natsDir, { hosts: ["0.0.0.0", "gateway.example.net", "192.0.2.7"] });
    expect(tls.created).toBe(true);
    const cert = new X509Certificate(readFileSync(tls.certFile));
    expect(cert.subjectAltName).toContain("DNS:localhost");
    expect(cert.subjectAltName).toContain("IP Address:127.0.0.1");
    expect(cert.subjectAltName).toContain("IP Address:0:0:0:0:0:0:0:1");
    expect(cert.subjectAltName).toContain(`DNS:${hostname()}`);
    expect(cert.subjectAltName).toContain("DNS:gateway.example.net");
    expect(cert.subjectAltName).toContain("IP Address:192.0.2.7");
    expect(cert.subjectAltName).not.toContain("0.0.0.0");
    expect(cert.publicKey.asymmetricKeyDetails?.namedCurve).toBe("prime256v1");
    expect(cert.verify(cert.publicKey)).toBe(true); // self-signed
    expect(Date.parse(cert.validTo) - Date.now()).toBeGreaterThan(9 * 365 * 86_400_000);
    expect(statSync(tls.keyFile).mode & 0o777).toBe(0o600);
    expect(tls.fingerprint).toBe(cert.fingerprint256);
  });

  it("is reused on the next start (paired nodes pinned it); an unusable one is replaced", async () => {
    const natsDir = join(tempDataDir(), "nats");
    const first = await ensureNatsTls(natsDir);
    const again = await ensureNatsTls(natsDir, { hosts: ["new-name.example"] });
    expect(again.created).toBe(false);
    expect(again.fingerprint).toBe(first.fingerprint);
    // A key that does not belong to the certificate (a half-finished write) gets a fresh pair.
    writeFileSync(
      first.keyFile,
      selfSignedCert({ commonName: "x", hosts: [], notBefore: new Date(), notAfter: new Date(Date.now() + 1e9), serial: randomBytes(8) })
        .keyPem,
    );
    const replaced = await ensureNatsTls(natsDir);
    expect(replaced.created).toBe(true);
    expect(replaced.fingerprint).not.toBe(first.fingerprint);
  });

  it("is needed only off loopback", () => {
    for (const h of ["127.0.0.1", "127.1.2.3", "::1", "[::1]", "localhost"]) expect(isLoopbackHost(h)).toBe(true);
    for (const h of ["0.0.0.0", "::", "192.168.1.10", "gateway.lan"]) expect(isLoopbackHost(h)).toBe(false);
  });
});

describe("embedded nats-server with TLS", () => {
  it("renders a config nats-server 2.9.10 accepts, with the tls block only when asked", async () => {
    const natsDir = join(tempDataDir(), "nats");
    const auth = await ensureNatsAuth(natsDir);
    const tls = await ensureNatsTls(natsDir);
    const withTls = renderServerConfig({ auth, host: "0.0.0.0", port: 4999, tls });
    expect(withTls).toMatch(/^tls \{$/m);
    const file = join(natsDir, "check.conf");
    writeFileSync(file, withTls);
    expect(() => execFileSync(findNatsServerBinary(), ["-t", "-c", file], { stdio: "pipe" })).not.toThrow();
    expect(renderServerConfig({ auth, host: "127.0.0.1", port: 4999 })).not.toMatch(/^\s*tls \{/m); // the block, not a temp dir whose random name holds "tls"
  });

  it("accepts only clients that pin its certificate: plain and wrongly pinned connections are refused", async () => {
    const dataDir = tempDataDir();
    const nats = await startEmbeddedNats({ dataDir, tls: true });
    cleanup(() => nats.stop());
    expect(nats.tls).not.toBeNull();

    const nc = closing(
      await connectNats({ url: nats.url, credsFile: nats.creds.cli, name: "pinned", tls: { caFile: nats.tls!.certFile } }),
    );
    expect(nc.info?.tls_required).toBe(true);
    await nc.flush();

    await expect(connectNats({ url: nats.url, credsFile: nats.creds.cli, name: "plain", timeoutMs: 2000 })).rejects.toSatisfy(isCairnError);
    const other = selfSignedCert({
      commonName: "impostor",
      hosts: ["127.0.0.1"],
      notBefore: new Date(Date.now() - 1e6),
      notAfter: new Date(Date.now() + 1e9),
      serial: randomBytes(8),
    });
    await expect(
      connectNats({ url: nats.url, credsFile: nats.creds.cli, name: "wrong-pin", timeoutMs: 2000, tls: { ca: other.certPem } }),
    ).rejects.toThrow(/certificate/i);
  });

  it("stays plain on loopback by default, and a restart with TLS keeps the same certificate", async () => {
    const dataDir = tempDataDir();
    const plain = await startEmbeddedNats({ dataDir });
    expect(plain.tls).toBeNull();
    expect(readFileSync(plain.auth.paths.configFile, "utf8")).not.toMatch(/^\s*tls \{/m); // the block, not a temp dir whose random name holds "tls"
    await plain.stop();
    const a = await startEmbeddedNats({ dataDir, tls: true });
    const fp = a.tls!.fingerprint;
    await a.stop();
    const b = await startEmbeddedNats({ dataDir, tls: true });
    cleanup(() => b.stop());
    expect(b.tls!.fingerprint).toBe(fp);
    closing(await connectNats({ url: b.url, credsFile: b.creds.cli, name: "t", tls: { ca: b.tls!.certPem } }));
  });
});
