/**
 * `[gateway.tls]`, `[gateway] http_redirect_port` and `trusted_proxies` in `cairn.toml`: what they
 * become in the settings, and the errors a person gets.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { loadSettings } from "../../cli/config/index.ts";

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "cairn-cfg-tls-"));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const load = (toml: string, env: NodeJS.ProcessEnv = {}) => {
  const file = join(dir, "cairn.toml");
  writeFileSync(file, toml);
  return loadSettings(file, env);
};

describe("[gateway.tls]", () => {
  test("off by default: no TLS, no redirect port, no trusted proxies", () => {
    expect(load("")).toMatchObject({ tls: null, httpRedirectPort: null, trustedProxies: [] });
  });

  test("enabled without files: the local CA; the redirect port is the gateway port + 1", () => {
    const s = load('[gateway]\nport = 8443\n[gateway.tls]\nenabled = true\nnames = ["cairn.lan"]\n');
    expect(s.tls).toEqual({ names: ["cairn.lan"] });
    expect(s.httpRedirectPort).toBe(8444);
    expect(load("[gateway.tls]\nenabled = true\n", { CAIRN_PORT: "9000" }).httpRedirectPort).toBe(9001);
    expect(load("[gateway.tls]\nenabled = true\n", { CAIRN_PORT: "0" }).httpRedirectPort).toBe(0);
  });

  test("cert and key paths: relative to the config file, ~ to the home dir; a cert alone turns TLS on", () => {
    const s = load('[gateway.tls]\ncert = "certs/c.pem"\nkey = "~/k.pem"\n');
    expect(s.tls).toEqual({ cert: join(dir, "certs", "c.pem"), key: join(homedir(), "k.pem"), names: [] });
  });

  test("http_redirect_port = false turns the redirect port off; enabled = false wins over files", () => {
    expect(load("[gateway]\nhttp_redirect_port = false\n[gateway.tls]\nenabled = true\n").httpRedirectPort).toBeNull();
    expect(load('[gateway.tls]\nenabled = false\ncert = "c.pem"\nkey = "k.pem"\n').tls).toBeNull();
  });

  test("errors name the key: a lone cert, a typo, a bad proxy entry", () => {
    expect(() => load('[gateway.tls]\ncert = "c.pem"\n')).toThrow(/needs both cert and key/);
    expect(() => load("[gateway.tls]\nenable = true\n")).toThrow(/unknown key 'gateway.tls.enable'; did you mean 'gateway.tls.enabled'/);
    expect(() => load('[gateway]\ntrusted_proxies = ["10.0.0.0/40"]\n')).toThrow(/gateway.trusted_proxies: '10.0.0.0\/40'/);
    expect(() => load("[gateway]\nhttp_redirect_port = true\n")).toThrow(/http_redirect_port/);
  });

  test("trusted_proxies are kept as written", () => {
    expect(load('[gateway]\ntrusted_proxies = ["loopback", "10.0.0.0/8"]\n').trustedProxies).toEqual(["loopback", "10.0.0.0/8"]);
  });
});
