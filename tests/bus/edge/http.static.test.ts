/**
 * The built UI served precompressed: the `.br` / `.gz` copies the build writes go out with the
 * right Content-Encoding and `Vary`, a client that takes neither gets the original bytes, a stale
 * copy is never served, and caching says forever for hashed assets and revalidate for the page.
 */
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { request as httpRequest } from "node:http";
import { join } from "node:path";
import { brotliCompressSync, brotliDecompressSync, gunzipSync, gzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { pickEncoding, uiBuildOf } from "../../../bus/edge/http.static.ts";
import { edgeTransports, startHarness, type Harness } from "./edge.harness.ts";

type Reply = { status: number; headers: Record<string, string | string[] | undefined>; body: Buffer };

/** GET returning the raw bytes: no client-side decoding, so what the edge encoded is what we see. */
const get = (port: number, path: string, headers: Record<string, string> = {}): Promise<Reply> =>
  new Promise((resolve, reject) => {
    const req = httpRequest({ host: "127.0.0.1", port, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on("error", reject);
    req.end();
  });

const JS = `${"export const greeting = 'hello from cairn';\n".repeat(200)}`;
const HTML = `<!doctype html><title>cairn ui</title>${"<!-- padding -->".repeat(100)}`;

describe.each(edgeTransports)("on %s", (transport) => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ transport });
    mkdirSync(join(h.uiDir, "assets"));
    const put = (rel: string, text: string) => {
      const p = join(h.uiDir, rel);
      writeFileSync(p, text);
      writeFileSync(`${p}.br`, brotliCompressSync(text));
      writeFileSync(`${p}.gz`, gzipSync(text));
    };
    put("index.html", HTML);
    put("assets/index-4f3a9c.js", JS);
    // A stale copy: the original was rebuilt after it.
    const css = join(h.uiDir, "assets", "index-4f3a9c.css");
    writeFileSync(`${css}.br`, brotliCompressSync("body{color:red}"));
    writeFileSync(css, "body{color:blue}".repeat(100));
    utimesSync(`${css}.br`, new Date(1_000_000), new Date(1_000_000));
    writeFileSync(join(h.uiDir, "favicon.svg"), "<svg/>");
  });
  afterAll(() => h.stop());

  test("brotli when the client takes it: Content-Encoding br, Vary, immutable caching, the same bytes once decoded", async () => {
    const r = await get(h.edge.port, "/assets/index-4f3a9c.js", { "Accept-Encoding": "gzip, deflate, br, zstd" });
    expect(r.status).toBe(200);
    expect(r.headers["content-encoding"]).toBe("br");
    expect(r.headers.vary).toBe("Accept-Encoding");
    expect(r.headers["content-type"]).toBe("text/javascript; charset=utf-8");
    expect(r.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    expect(r.body.length).toBeLessThan(JS.length / 10);
    expect(brotliDecompressSync(r.body).toString()).toBe(JS);
  });

  test("gzip when brotli is not accepted (or refused with q=0)", async () => {
    for (const ae of ["gzip", "br;q=0, gzip;q=0.5"]) {
      const r = await get(h.edge.port, "/assets/index-4f3a9c.js", { "Accept-Encoding": ae });
      expect(r.headers["content-encoding"], ae).toBe("gzip");
      expect(gunzipSync(r.body).toString()).toBe(JS);
    }
  });

  test("identity without Accept-Encoding, still saying Vary so a shared cache keeps the variants apart", async () => {
    const r = await get(h.edge.port, "/assets/index-4f3a9c.js");
    expect(r.headers["content-encoding"]).toBeUndefined();
    expect(r.headers.vary).toBe("Accept-Encoding");
    expect(r.body.toString()).toBe(JS);
  });

  test("the page itself (and the SPA fallback) is compressed and revalidated on every load", async () => {
    for (const path of ["/", "/index.html", "/some/page"]) {
      const r = await get(h.edge.port, path, { "Accept-Encoding": "br" });
      expect(r.headers["content-encoding"], path).toBe("br");
      expect(r.headers["cache-control"], path).toBe("no-cache");
      expect(brotliDecompressSync(r.body).toString()).toBe(HTML);
    }
  });

  test("a compressed copy older than its original is not served", async () => {
    const r = await get(h.edge.port, "/assets/index-4f3a9c.css", { "Accept-Encoding": "br" });
    expect(r.headers["content-encoding"]).toBeUndefined();
    expect(r.body.toString()).toContain("color:blue");
  });

  test("a file without copies goes out as is, without Vary", async () => {
    const r = await get(h.edge.port, "/favicon.svg", { "Accept-Encoding": "br, gzip" });
    expect(r.headers["content-encoding"]).toBeUndefined();
    expect(r.headers.vary).toBeUndefined();
    expect(r.body.toString()).toBe("<svg/>");
  });
});

test("pickEncoding: brotli first, q=0 refuses, unknown codings and junk are ignored", () => {
  expect(pickEncoding("gzip, br").map((e) => e.coding)).toEqual(["br", "gzip"]);
  expect(pickEncoding("BR;Q=0, gzip").map((e) => e.coding)).toEqual(["gzip"]);
  expect(pickEncoding("deflate, zstd, *;q=0.1").map((e) => e.coding)).toEqual([]);
  expect(pickEncoding("gzip;q=abc").map((e) => e.coding)).toEqual([]);
  expect(pickEncoding("").map((e) => e.coding)).toEqual([]);
});

test("the UI build a dir holds is the entry script its index.html names; none without one", async () => {
  const dir = mkdtempSync(join(tmpdir(), "cairn-uibuild-"));
  try {
    expect(await uiBuildOf(dir)).toBeNull();
    writeFileSync(
      join(dir, "index.html"),
      '<link rel="modulepreload" href="./assets/x.js"><script type="module" crossorigin src="./assets/index-4SLH6f1C.js"></script>',
    );
    expect(await uiBuildOf(dir)).toBe("assets/index-4SLH6f1C.js");
    writeFileSync(join(dir, "index.html"), '<script src="/legacy.js"></script>');
    expect(await uiBuildOf(dir)).toBeNull();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
