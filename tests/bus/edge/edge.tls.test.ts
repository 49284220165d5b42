/**
 * The edge over TLS on each transport: a client that trusts only cairn's local CA gets HTTPS and
 * WSS; one that does not is refused in the handshake; the plain-HTTP port redirects and hands out
 * the CA; a certificate and key the user made elsewhere (here: with the openssl CLI) serve too.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { WebSocket } from "ws";
import { CA_PAGE_PATH, CA_PEM_PATH, certificateCovers, startRedirectServer, type RedirectServer } from "../../../bus/edge/index.ts";
import { ensureLocalCa, type LocalCaTls } from "../../../bus/edge/tls/local.ca.ts";
import { edgeTransports, startHarness, type Harness } from "./edge.harness.ts";

interface Got {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

const httpsGet = (port: number, path: string, ca: string | undefined): Promise<Got> =>
  new Promise((resolve, reject) => {
    const req = httpsRequest({ host: "127.0.0.1", port, path, agent: false, ...(ca ? { ca } : {}) }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });

const httpGet = (port: number, path: string, host: string): Promise<Got> =>
  new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port, path, agent: false, headers: { host } }, (res) => {
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (c) => (body += c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on("error", reject);
    req.end();
  });

/** Opens a WSS connection and completes the `connect` handshake; resolves with its `res` frame. */
const wssConnect = (url: string, ca: string | undefined): Promise<{ ok: boolean }> =>
  new Promise((resolve, reject) => {
    const ws = new WebSocket(url, ca ? { ca } : {});
    ws.on("error", reject);
    ws.on("open", () =>
      ws.send(JSON.stringify({ type: "req", id: "c1", method: "connect", params: { protocol: 1, client: { name: "tls-test" } } })),
    );
    ws.on("message", (data) => {
      const frame = JSON.parse(String(data)) as { type: string; id?: string; ok: boolean };
      if (frame.type !== "res" || frame.id !== "c1") return;
      ws.close();
      resolve(frame);
    });
  });

let dir: string;
let ca: LocalCaTls;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "cairn-edge-tls-"));
  ca = await ensureLocalCa(dir, { hosts: ["localhost", "127.0.0.1", "::1"] });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.each(edgeTransports)("on %s", (transport) => {
  let h: Harness;
  let stopStatus: () => void;
  let redirect: RedirectServer;
  beforeAll(async () => {
    h = await startHarness({ transport, tls: { certFile: ca.certFile, keyFile: ca.keyFile } });
    stopStatus = h.serveStatus();
    redirect = await startRedirectServer({
      host: "127.0.0.1",
      port: 0,
      transport,
      target: {
        httpsPort: h.edge.port,
        defaultHost: "localhost",
        covers: certificateCovers(ca.certPem),
        caPem: ca.caPem,
        caFingerprint: ca.caFingerprint,
      },
    });
  });
  afterAll(async () => {
    stopStatus();
    await redirect.close();
    await h.stop();
  });

  test("a client trusting only the local CA gets /health over HTTPS; the edge says https", async () => {
    expect(h.edge.url).toBe(`https://127.0.0.1:${h.edge.port}`);
    const res = await httpsGet(h.edge.port, "/health", ca.caPem);
    expect(res.status).toBe(200);
    expect(JSON.parse(res.body)).toMatchObject({ status: "ok", url: h.edge.url });
  });

  test("a client that does not trust the CA is refused in the handshake", async () => {
    await expect(httpsGet(h.edge.port, "/health", undefined)).rejects.toMatchObject({ code: "UNABLE_TO_VERIFY_LEAF_SIGNATURE" });
    await expect(wssConnect(`wss://127.0.0.1:${h.edge.port}/ws`, undefined)).rejects.toMatchObject({
      code: "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
    });
  });

  test("WSS: the connect handshake completes for a client trusting the CA", async () => {
    expect(await wssConnect(`wss://127.0.0.1:${h.edge.port}/ws`, ca.caPem)).toMatchObject({ ok: true });
  });

  test("the redirect port: 308 to the same path on HTTPS, never to a host the certificate does not cover", async () => {
    const ours = await httpGet(redirect.port, "/chat/abc?x=1", `127.0.0.1:${redirect.port}`);
    expect(ours.status).toBe(308);
    expect(ours.headers.location).toBe(`https://127.0.0.1:${h.edge.port}/chat/abc`);
    const evil = await httpGet(redirect.port, "/login", "evil.example");
    expect(evil.status).toBe(308);
    expect(evil.headers.location).toBe(`https://localhost:${h.edge.port}/login`);
    const sneaky = await httpGet(redirect.port, "//evil.example/x", "localhost");
    expect(new URL(String(sneaky.headers.location)).host).toBe(`localhost:${h.edge.port}`);
    // Followed: the redirect lands on the TLS edge, which a CA-trusting client reaches.
    const landed = await httpsGet(Number(new URL(String(ours.headers.location)).port), "/health", ca.caPem);
    expect(landed.status).toBe(200);
  });

  test("the redirect port serves the CA and a page with its fingerprint", async () => {
    const pem = await httpGet(redirect.port, CA_PEM_PATH, "localhost");
    expect(pem.status).toBe(200);
    expect(pem.body).toBe(ca.caPem);
    expect(pem.headers["content-type"]).toBe("application/x-pem-file");
    const page = await httpGet(redirect.port, CA_PAGE_PATH, "localhost");
    expect(page.status).toBe(200);
    expect(page.body).toContain(ca.caFingerprint);
    expect(page.body).toContain(CA_PEM_PATH);
  });

  test("a certificate and key made with openssl serve HTTPS", async () => {
    const cert = join(dir, `openssl-${transport}.pem`);
    const key = join(dir, `openssl-${transport}-key.pem`);
    execFileSync(
      "openssl",
      ["req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj", "/CN=cairn-test"].concat([
        "-addext",
        "subjectAltName=IP:127.0.0.1",
        "-keyout",
        key,
        "-out",
        cert,
      ]),
      { stdio: "pipe" },
    );
    const edge = await h.otherEdge({ tls: { certFile: cert, keyFile: key } });
    try {
      const { readFileSync } = await import("node:fs");
      const res = await httpsGet(edge.port, "/health", readFileSync(cert, "utf8"));
      expect(res.status).toBe(200);
      // The local CA does not vouch for it.
      await expect(httpsGet(edge.port, "/health", ca.caPem)).rejects.toThrow();
    } finally {
      await edge.close();
    }
  });
});
