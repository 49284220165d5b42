/**
 * A real gateway process with `[gateway.tls] enabled = true` and no certificate of its own: it
 * makes a local CA under its data dir, serves HTTPS, prints the https URL and where to get the CA,
 * runs the plain-HTTP CA/redirect port, and `cairn status` shows the https URL.
 */
import { readFileSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { startGatewayProc, type GatewayProc } from "../fixtures/gateway.ts";

const get = (url: string, ca?: string): Promise<{ status: number; location?: string; body: string }> =>
  new Promise((resolve, reject) => {
    const u = new URL(url);
    const send = u.protocol === "https:" ? httpsRequest : httpRequest;
    const req = send(u, { agent: false, ...(ca ? { ca } : {}) }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c) => (body += c));
      res.on("end", () =>
        resolve({ status: res.statusCode ?? 0, ...(res.headers.location ? { location: res.headers.location } : {}), body }),
      );
    });
    req.on("error", reject);
    req.end();
  });

let configDir: string;
let gw: GatewayProc;
beforeAll(async () => {
  configDir = mkdtempSync(join(tmpdir(), "cairn-tls-config-"));
  writeFileSync(join(configDir, "cairn.toml"), '[gateway.tls]\nenabled = true\nnames = ["cairn.test"]\n');
  gw = await startGatewayProc({ model: null, extraEnv: { CAIRN_CONFIG_DIR: configDir } });
}, 60_000);
afterAll(async () => {
  await gw?.dispose();
  rmSync(configDir, { recursive: true, force: true });
});

test("banner, /health and status show https; the CA is kept (0600 key, across restarts) and trusted clients connect", async () => {
  expect(gw.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+$/);
  const caFile = join(gw.dataDir, "tls", "ca-cert.pem");
  expect(statSync(join(gw.dataDir, "tls", "ca-key.pem")).mode & 0o777).toBe(0o600);
  const caPem = readFileSync(caFile, "utf8");
  const health = await get(`${gw.url}/health`, caPem);
  expect(health.status).toBe(200);
  expect(JSON.parse(health.body).url).toBe(gw.url);
  await expect(get(`${gw.url}/health`)).rejects.toMatchObject({ code: "UNABLE_TO_VERIFY_LEAF_SIGNATURE" });

  const status = await gw.cli(["status"]);
  expect(status.stdout).toContain(`web UI:      ${gw.url}`);

  // The redirect port (the gateway port + 1 by default; a free one here, as the port is 0).
  const banner = /trust CA\s+(http:\/\/\S+)/.exec(gw.output());
  expect(banner).not.toBeNull();
  const page = await get(String(banner?.[1]));
  expect(page.status).toBe(200);
  const pem = await get(String(banner?.[1]).replace(/\/cairn-ca$/, "/cairn-ca.pem"));
  expect(pem.body).toBe(caPem);
  const redirected = await get(String(banner?.[1]).replace(/\/cairn-ca$/, "/sessions"));
  expect(redirected.status).toBe(308);
  expect(redirected.location).toBe(`${gw.url}/sessions`);

  // A restart keeps the CA: devices that trust it stay trusting.
  await gw.kill();
  await gw.restart();
  expect(readFileSync(caFile, "utf8")).toBe(caPem);
  expect((await get(`${gw.url}/health`, caPem)).status).toBe(200);
}, 60_000);
