import { execFileSync } from "node:child_process";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import * as https from "node:https";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { errorOf, fetcher, resolverOf } from "./web.helpers.ts";

/**
 * HTTPS through a pinned address: the connection goes to the validated IP, but TLS still speaks to
 * (and verifies the certificate of) the host name. A self-signed certificate proves verification
 * is on; the server's SNI callback shows which name the client asked for.
 */
describe("web_fetch over TLS", () => {
  let dir: string;
  let server: https.Server;
  const sni: string[] = [];
  let port: number;

  beforeAll(async () => {
    dir = await mkdtemp(path.join(tmpdir(), "cairn-web-tls-"));
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=secure.test",
        "-addext",
        "subjectAltName=DNS:secure.test",
        "-keyout",
        path.join(dir, "key.pem"),
        "-out",
        path.join(dir, "cert.pem"),
      ],
      { stdio: "ignore" },
    );
    const key = await readFile(path.join(dir, "key.pem"));
    const cert = await readFile(path.join(dir, "cert.pem"));
    server = https.createServer(
      {
        key,
        cert,
        SNICallback: (name, cb) => {
          sni.push(name);
          cb(null, undefined);
        },
      },
      (_req, res) => res.end("secret"),
    );
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    port = (server.address() as AddressInfo).port;
  });

  afterAll(async () => {
    server?.closeAllConnections();
    await new Promise((r) => server?.close(r));
    await rm(dir, { recursive: true, force: true });
  });

  it("sends the host name as SNI and refuses a certificate it cannot verify", async () => {
    const fetch = fetcher({ resolve: resolverOf({ "secure.test": "127.0.0.1" }), allowPrivate: ["secure.test"] });
    const e = errorOf(await fetch({ url: `https://secure.test:${port}/` }));
    expect(e).toMatchObject({ code: "unavailable", details: { reason: "network", code: "DEPTH_ZERO_SELF_SIGNED_CERT" } });
    expect(sni).toEqual(["secure.test"]);
  });
});
