import { EventEmitter, once } from "node:events";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { ToolRegistry } from "../../../../actors/tools/index.ts";
import { webFetchTool } from "../../../../actors/tools/web/index.ts";
import { errorOf, fetcher, okOutput, resolverOf, send, useServers, type Handler } from "./web.helpers.ts";

const PAGE = `<!DOCTYPE html>
<html lang="en"><head>
  <meta charset="utf-8"><title>Caf&eacute; &amp; Co &#8211; Menu</title>
  <style>body { color: red }</style>
  <script>document.write("<p>injected</p>")</script>
</head><body>
  <nav><a href="/">Home</a> <a href="/about">About</a></nav>
  <h1>Our &quot;menu&quot;</h1>
  <p>Fresh <em>coffee</em>, see <a href="../prices.html?a=1&amp;b=2">the price list</a> or
     <a href="https://other.example/x">partners</a> &mdash; &#169; 2024 &#x263A;</p>
  <h2>Drinks</h2>
  <ul><li>Espresso</li><li>Flat white</li></ul>
  <pre><code>order = brew("espresso") &lt; 3
  then serve()</code></pre>
  <table><tr><th>Item</th><th>Price</th></tr><tr><td>Espresso</td><td>2.50</td></tr></table>
  <noscript>enable js</noscript>
  <footer>Contact footer</footer>
</body></html>`;

describe("web_fetch content", () => {
  const server = useServers();

  const setup = async (routes: Record<string, Handler>, options: Parameters<typeof fetcher>[0] = {}) => {
    const site = await server(routes);
    const fetch = fetcher({ resolve: resolverOf({ "site.test": "127.0.0.1" }), allowPrivate: ["site.test"], ...options });
    return { site, fetch, base: `http://site.test:${site.port}` };
  };

  it("turns HTML into readable text: title, headings, links resolved, code, tables; no script or chrome", async () => {
    const { fetch, base } = await setup({ "/menu/index.html": send("text/html; charset=utf-8", PAGE) });
    const out = okOutput(await fetch({ url: `${base}/menu/index.html` }));
    const lines = out.split("\n");
    expect(lines[0]).toBe(`URL: ${base}/menu/index.html | status: 200 OK | content-type: text/html; charset=utf-8`);
    expect(lines[1]).toBe("Title: Café & Co – Menu");
    expect(out).toContain('# Our "menu"');
    expect(out).toContain(
      `Fresh coffee, see the price list (${base}/prices.html?a=1&b=2) or partners (https://other.example/x) — © 2024 ☺`,
    );
    expect(out).toContain("## Drinks\n\n- Espresso\n- Flat white");
    expect(out).toContain('```\norder = brew("espresso") < 3\n  then serve()\n```');
    expect(out).toContain("Item | Price\nEspresso | 2.50");
    for (const gone of ["color: red", "injected", "document.write", "Home", "About", "enable js", "Contact footer"]) {
      expect(out).not.toContain(gone);
    }
  });

  it("returns the HTML source with raw: true", async () => {
    const { fetch, base } = await setup({ "/": send("text/html", PAGE) });
    const out = okOutput(await fetch({ url: `${base}/`, raw: true }));
    expect(out).toContain("<script>document.write");
    expect(out).toContain("<h1>Our &quot;menu&quot;</h1>");
  });

  it("passes JSON, XML and plain text through as text", async () => {
    const json = JSON.stringify({ name: "cairn", tags: ["a", "b"], n: 1 });
    const { fetch, base } = await setup({
      "/api": send("application/json", json),
      "/feed": send("application/rss+xml", "<rss><item>x &amp; y</item></rss>"),
      "/notes.txt": send("text/plain", "  indented\n\nkept   as is"),
    });
    const a = okOutput(await fetch({ url: `${base}/api` }));
    expect(a).toBe(`URL: ${base}/api | status: 200 OK | content-type: application/json\n\n${json}`);
    expect(okOutput(await fetch({ url: `${base}/feed` }))).toContain("<rss><item>x &amp; y</item></rss>");
    expect(okOutput(await fetch({ url: `${base}/notes.txt` }))).toContain("  indented\n\nkept   as is");
  });

  it("decodes the declared charset, and gzip bodies", async () => {
    const { fetch, base } = await setup({
      "/latin1": send("text/plain; charset=ISO-8859-1", Buffer.from([0x63, 0x61, 0x66, 0xe9])),
      "/meta": send(
        "text/html",
        Buffer.concat([Buffer.from('<meta charset="windows-1252"><p>'), Buffer.from([0x93, 0x68, 0x69, 0x94]), Buffer.from("</p>")]),
      ),
      "/gz": send("text/html", gzipSync("<h1>Compressed</h1><p>it works</p>"), 200, { "content-encoding": "gzip" }),
    });
    expect(okOutput(await fetch({ url: `${base}/latin1` }))).toMatch(/\ncafé$/);
    expect(okOutput(await fetch({ url: `${base}/meta` }))).toMatch(/\n“hi”$/);
    expect(okOutput(await fetch({ url: `${base}/gz` }))).toMatch(/\n# Compressed\n\nit works$/);
  });

  it("refuses content that is not text, without reading it", async () => {
    const { fetch, base } = await setup({
      "/logo.png": send("image/png", Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 0, 0, 0])),
      "/blob": send("", Buffer.from([1, 2, 0, 3])),
    });
    const e = errorOf(await fetch({ url: `${base}/logo.png` }));
    expect(e).toMatchObject({ code: "bad_request", details: { reason: "not_text", contentType: "image/png" } });
    expect(e.message).toContain("image/png, which is not text");
    expect(errorOf(await fetch({ url: `${base}/blob` }))).toMatchObject({ details: { reason: "not_text" } });
  });

  it("reports a 404 with its status and a snippet, not as an error", async () => {
    const { fetch, base } = await setup({});
    const r = await fetch({ url: `${base}/missing` });
    const out = okOutput(r);
    expect(out.split("\n")[0]).toBe(`URL: ${base}/missing | status: 404 Not Found | content-type: text/html`);
    expect(out).toContain("# Not Found\n\nNo page at /missing");
  });

  it("caps the text and says how to continue", async () => {
    const words = Array.from({ length: 3000 }, (_, i) => `w${i}`).join(" ");
    const { fetch, base } = await setup({ "/long": send("text/plain", words) });
    const first = await fetch({ url: `${base}/long`, max_chars: 1000 });
    expect(first).toMatchObject({ ok: true, truncated: true });
    const out = okOutput(first);
    expect(out).toContain(
      `[truncated: showing characters 0-1000 of ${words.length}; call web_fetch again with start_index=1000 to continue]`,
    );
    const next = okOutput(await fetch({ url: `${base}/long`, max_chars: 1000, start_index: 1000 }));
    expect(next.split("\n")[2]).toBe(words.slice(1000, 2000));
    // The configured default applies when the model does not ask.
    const small = await fetcher({ resolve: resolverOf({ "site.test": "127.0.0.1" }), allowPrivate: ["site.test"], maxChars: 500 })({
      url: `${base}/long`,
    });
    expect(okOutput(small)).toContain("showing characters 0-500 of");
  });

  it("stops reading a body at the byte cap and marks it", async () => {
    let written = 0;
    let closed = false;
    const { fetch, base } = await setup(
      {
        "/huge": (_q, res) => {
          res.writeHead(200, { "content-type": "text/plain" });
          const chunk = "x".repeat(64 * 1024);
          // Endless: the fetch must stop on its own.
          const pump = () => {
            let more = true;
            while (!closed && more) {
              written += chunk.length;
              more = res.write(chunk);
            }
            if (!closed) res.once("drain", pump);
          };
          res.on("close", () => (closed = true));
          pump();
        },
      },
      { maxBytes: 256 * 1024 },
    );
    const r = await fetch({ url: `${base}/huge`, max_chars: 100_000 });
    expect(r).toMatchObject({ ok: true, truncated: true });
    const out = okOutput(r);
    expect(out).toContain("[body truncated: the response is larger than 256 KiB; only the first 256 KiB were read]");
    expect(out).toContain("call web_fetch again with start_index=100000");
    expect(out).toContain(`of ${256 * 1024}`);
    // The fetch hung up on an endless body after the cap.
    while (!closed) await new Promise((r) => setTimeout(r, 10));
    expect(written).toBeGreaterThanOrEqual(256 * 1024);
  });

  it("times out on a server that never answers", async () => {
    const { fetch, base, site } = await setup({ "/hang": () => {} }, { timeoutMs: 300 });
    const e = errorOf(await fetch({ url: `${base}/hang` }));
    expect(e).toMatchObject({ code: "timeout", details: { reason: "timeout" } });
    expect(site.hits).toEqual(["/hang"]);
  });

  it("times out on a body that never ends", async () => {
    const { fetch, base } = await setup(
      { "/drip": (_q, res) => res.writeHead(200, { "content-type": "text/plain" }).write("first bytes") },
      { timeoutMs: 300 },
    );
    expect(errorOf(await fetch({ url: `${base}/drip` }))).toMatchObject({ code: "timeout" });
  });

  it("stops when the run is cancelled", async () => {
    const arrived = new EventEmitter();
    const site = await server({ "/hang": () => arrived.emit("request") });
    const ac = new AbortController();
    const fetch = fetcher({ resolve: resolverOf({ "site.test": "127.0.0.1" }), allowPrivate: ["site.test"] }, ac.signal);
    const pending = fetch({ url: `http://site.test:${site.port}/hang` });
    await once(arrived, "request");
    ac.abort();
    expect(errorOf(await pending)).toMatchObject({ code: "run_interrupted" });
  });

  it("reports a refused connection as unavailable", async () => {
    // Port 1: nothing listens there.
    const fetch = fetcher({ resolve: resolverOf({ "site.test": "127.0.0.1" }), allowPrivate: ["site.test"] });
    expect(errorOf(await fetch({ url: "http://site.test:1/" }))).toMatchObject({
      code: "unavailable",
      details: { reason: "network", code: "ECONNREFUSED" },
    });
  });
});

describe("web_fetch spec", () => {
  it("offers url, max_chars, start_index and raw to the model; not dangerous", () => {
    const tool = webFetchTool();
    expect(tool.dangerous).toBe(false);
    const spec = new ToolRegistry().register(tool).specs()[0];
    expect(spec.name).toBe("web_fetch");
    expect(spec.parameters).toMatchObject({
      type: "object",
      required: ["url"],
      additionalProperties: false,
      properties: {
        url: { type: "string" },
        max_chars: { type: "integer", minimum: 100, maximum: 100_000 },
        start_index: { type: "integer", minimum: 0 },
        raw: { type: "boolean" },
      },
    });
  });

  it("refuses a bad max_chars before fetching anything", async () => {
    const r = await fetcher({})({ url: "http://example.com/", max_chars: 10_000_000 });
    expect(errorOf(r)).toMatchObject({ code: "bad_request", details: { reason: "invalid_arguments" } });
  });
});
