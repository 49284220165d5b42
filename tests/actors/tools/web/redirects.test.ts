import { describe, expect, it } from "vitest";
import { errorOf, fetcher, okOutput, redirectTo, resolverOf, send, useServers } from "./web.helpers.ts";

/**
 * The first hop is a trusted name (`public.test` → 127.0.0.1, trusted by name through
 * allowPrivate), so a real local server can play the public site; every redirect it sends must
 * then pass the guard on its own.
 */
describe("web_fetch redirects", () => {
  const server = useServers();

  const setup = async () => {
    const bystander = await server({ "/": send("text/plain", "internal secret") });
    const site = await server({
      "/ok": send("text/plain", "landed"),
      "/hop": redirectTo("/ok", 301),
      "/to-metadata": redirectTo("http://169.254.169.254/latest/meta-data/"),
      "/to-private": redirectTo("http://10.0.0.1/admin"),
      "/to-localhost": redirectTo(`http://localhost:${bystander.port}/`),
      "/to-literal": redirectTo(`http://[::ffff:127.0.0.1]:${bystander.port}/`),
      "/to-decimal": redirectTo(`http://2130706433:${bystander.port}/`),
      "/to-file": redirectTo("file:///etc/passwd"),
      "/to-gopher": redirectTo("gopher://public.test/"),
      "/loop": redirectTo("/loop", 307),
      "/no-location": (_q, r) => r.writeHead(302).end("moved, but nowhere"),
    });
    const resolve = resolverOf({ "public.test": "127.0.0.1", localhost: "127.0.0.1" });
    const fetch = fetcher({ resolve, allowPrivate: ["public.test"] });
    const base = `http://public.test:${site.port}`;
    return { site, bystander, fetch, base };
  };

  it("follows a redirect that passes the guard, and says where it came from", async () => {
    const { fetch, base, site } = await setup();
    const out = okOutput(await fetch({ url: `${base}/hop` }));
    expect(out.split("\n")[0]).toBe(`URL: ${base}/ok | status: 200 OK | content-type: text/plain`);
    expect(out).toContain(`(redirected from ${base}/hop)`);
    expect(out).toContain("landed");
    expect(site.hostHeaders).toEqual([`public.test:${site.port}`, `public.test:${site.port}`]);
  });

  it("refuses a redirect to a metadata, private or loopback address", async () => {
    const { fetch, base, bystander } = await setup();
    for (const [path, range] of [
      ["/to-metadata", "metadata"],
      ["/to-private", "private"],
      ["/to-localhost", "loopback"],
      ["/to-literal", "loopback"],
      ["/to-decimal", "loopback"],
    ]) {
      const e = errorOf(await fetch({ url: `${base}${path}` }));
      expect(e, path).toMatchObject({
        code: "bad_request",
        details: { reason: "private_address", range, redirectedFrom: `${base}${path}` },
      });
      expect(e.message).toContain("redirect from");
    }
    // The trusted name does not make every loopback port reachable.
    expect(bystander.hits).toEqual([]);
  });

  it("refuses a redirect to another scheme", async () => {
    const { fetch, base } = await setup();
    for (const path of ["/to-file", "/to-gopher"]) {
      expect(errorOf(await fetch({ url: `${base}${path}` }))).toMatchObject({ code: "bad_request", details: { reason: "scheme" } });
    }
  });

  it("stops after 5 redirects", async () => {
    const { fetch, base, site } = await setup();
    const e = errorOf(await fetch({ url: `${base}/loop` }));
    expect(e).toMatchObject({ code: "bad_request", details: { reason: "too_many_redirects" } });
    expect(site.hits.length).toBe(6);
  });

  it("shows a redirect without a Location as the response it is", async () => {
    const { fetch, base } = await setup();
    const out = okOutput(await fetch({ url: `${base}/no-location` }));
    expect(out).toMatch(/^URL: .*\/no-location \| status: 302 Found/);
  });
});

describe("web_fetch against DNS rebinding", () => {
  const server = useServers();

  it("connects to the address it validated, never to a later answer", async () => {
    // Same port on two loopback addresses: a second lookup at connect time would reach "evil".
    const good = await server({ "/": send("text/plain", "good server") });
    const evil = await server({ "/": send("text/plain", "evil server") }, { host: "127.0.0.2", port: good.port });
    let calls = 0;
    const resolve = async () => (calls++ === 0 ? [{ address: "127.0.0.1", family: 4 }] : [{ address: "127.0.0.2", family: 4 }]);
    const fetch = fetcher({ resolve, allowPrivate: ["127.0.0.1"] });
    const out = okOutput(await fetch({ url: `http://rebind.test:${good.port}/` }));
    expect(out).toContain("good server");
    expect(calls).toBe(1);
    expect(evil.hits).toEqual([]);
    // Next call, the name now answers with the untrusted address: refused, not connected.
    const e = errorOf(await fetch({ url: `http://rebind.test:${good.port}/` }));
    expect(e).toMatchObject({ code: "bad_request", details: { reason: "private_address", address: "127.0.0.2" } });
    expect(evil.hits).toEqual([]);
  });

  it("a public first answer and a loopback second one never reach loopback", async () => {
    const local = await server({ "/": send("text/plain", "local") });
    let calls = 0;
    const resolve = async () => (calls++ === 0 ? [{ address: "93.184.216.34", family: 4 }] : [{ address: "127.0.0.1", family: 4 }]);
    const r = await fetcher({ resolve, timeoutMs: 1500 })({ url: `http://flip.test:${local.port}/` });
    // Offline, the public address cannot answer: the fetch fails, but it never goes to 127.0.0.1.
    expect(r.ok).toBe(false);
    expect(calls).toBe(1);
    expect(local.hits).toEqual([]);
  });
});
