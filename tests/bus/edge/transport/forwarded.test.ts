/**
 * Trusted reverse proxies: whose `Forwarded` / `X-Forwarded-*` are believed, and which hop is the
 * client (the right-most one that is not a trusted proxy).
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { factsOf } from "../../../../bus/edge/transport/http.shared.ts";
import { forwardedFacts, parseTrustedProxies } from "../../../../bus/edge/transport/index.ts";

const headers =
  (h: Record<string, string>) =>
  (name: string): string =>
    h[name] ?? "";

const proxies = parseTrustedProxies(["10.0.0.0/8", "::1", "2001:db8:1::/48"]);

describe("parseTrustedProxies", () => {
  test("matches addresses in any spelling a transport reports", () => {
    expect(proxies.has("10.1.2.3")).toBe(true);
    expect(proxies.has("::ffff:10.1.2.3")).toBe(true); // dual-stack socket, IPv4 peer
    expect(proxies.has("0000:0000:0000:0000:0000:ffff:0a01:0203")).toBe(true); // uWS's full hex
    expect(proxies.has("0000:0000:0000:0000:0000:0000:0000:0001")).toBe(true);
    expect(proxies.has("2001:db8:1:ffff::9")).toBe(true);
    expect(proxies.has("11.0.0.1")).toBe(false);
    expect(proxies.has("127.0.0.1")).toBe(false);
    expect(proxies.has("2001:db8:2::1")).toBe(false);
    expect(proxies.has("not an address")).toBe(false);
  });

  test("'loopback' names 127.0.0.0/8 and ::1; mapped IPv6 ranges are their IPv4 range", () => {
    const lo = parseTrustedProxies(["loopback", "::ffff:192.0.2.0/120"]);
    expect(lo.has("127.8.9.10")).toBe(true);
    expect(lo.has("::1")).toBe(true);
    expect(lo.has("192.0.2.77")).toBe(true);
    expect(lo.has("192.0.3.1")).toBe(false);
  });

  test.each(["10.0.0.0/33", "10.1", "010.0.0.1", "10.0.0.0/8/8", "::1/129", "example.com", "10.0.0.0/x", ""])(
    "refuses %j with bad_request",
    (entry) => {
      expect(() => parseTrustedProxies([entry])).toThrow(expect.objectContaining({ code: "bad_request" }));
    },
  );
});

describe("forwardedFacts", () => {
  test("from an untrusted peer the headers are ignored for the address but mark the request forwarded", () => {
    const f = forwardedFacts(
      headers({ host: "gw:1", "x-forwarded-for": "1.2.3.4", "x-forwarded-proto": "https", "x-forwarded-host": "evil.example" }),
      "192.0.2.9",
      false,
      proxies,
    );
    expect(f).toEqual({ clientAddress: "192.0.2.9", secure: false, host: "gw:1", forwarded: true });
  });

  test("no proxy header: not forwarded, the peer (canonical) is the client, secure is TLS", () => {
    expect(forwardedFacts(headers({ host: "h" }), "::ffff:127.0.0.1", true, proxies)).toEqual({
      clientAddress: "127.0.0.1",
      secure: true,
      host: "h",
      forwarded: false,
    });
  });

  test("X-Forwarded-For from a trusted proxy: the right-most untrusted hop, never a spoofed left one", () => {
    // The client sent "6.6.6.6" itself; the proxy 10.0.0.2 appended the address it saw.
    const f = forwardedFacts(
      headers({
        host: "internal:8080",
        "x-forwarded-for": "6.6.6.6, 203.0.113.7, 10.0.0.2",
        "x-forwarded-proto": "https",
        "x-forwarded-host": "cairn.example.com",
      }),
      "10.0.0.1",
      false,
      proxies,
    );
    expect(f).toEqual({ clientAddress: "203.0.113.7", secure: true, host: "cairn.example.com", forwarded: true });
  });

  test("every hop trusted: the left-most is the client; garbage hops stop the walk", () => {
    expect(forwardedFacts(headers({ "x-forwarded-for": "10.9.9.9, 10.0.0.2" }), "::1", false, proxies).clientAddress).toBe("10.9.9.9");
    expect(forwardedFacts(headers({ "x-forwarded-for": "1.1.1.1, unknown, 10.0.0.2" }), "::1", false, proxies).clientAddress).toBe(
      "10.0.0.2",
    );
  });

  test("RFC 7239 Forwarded: quoted IPv6 with port, proto and host of the client's element", () => {
    const f = forwardedFacts(
      headers({
        host: "127.0.0.1:13131",
        forwarded: 'for=6.6.6.6;proto=http, for="[2001:db8:cafe::17]:4711";proto=https;host="cairn.example.com", for=10.0.0.5',
      }),
      "10.0.0.1",
      false,
      proxies,
    );
    expect(f).toEqual({ clientAddress: "2001:db8:cafe::17", secure: true, host: "cairn.example.com", forwarded: true });
  });

  test("a trusted proxy saying http leaves secure false; a bad forwarded host is not believed", () => {
    const f = forwardedFacts(
      headers({ host: "gw", "x-forwarded-for": "198.51.100.1", "x-forwarded-proto": "http", "x-forwarded-host": "a b/c" }),
      "10.0.0.1",
      false,
      proxies,
    );
    expect(f.secure).toBe(false);
    expect(f.host).toBe("gw");
    expect(f.clientAddress).toBe("198.51.100.1");
  });

  test("X-Forwarded-Proto alone (no For) from a trusted proxy: client is the peer, secure from the proto", () => {
    expect(forwardedFacts(headers({ "x-forwarded-proto": "https" }), "10.0.0.1", false, proxies)).toMatchObject({
      clientAddress: "10.0.0.1",
      secure: true,
      forwarded: true,
    });
  });

  test("property: from a peer that is not trusted, no header changes the client address or secure", () => {
    const untrustedPeer = fc.ipV4().filter((ip) => !proxies.has(ip));
    const headerValue = fc.oneof(fc.string(), fc.ipV4(), fc.ipV6(), fc.constant("for=10.0.0.1;proto=https"));
    fc.assert(
      fc.property(untrustedPeer, fc.boolean(), headerValue, headerValue, headerValue, (peer, tls, xff, forwarded, proto) => {
        const f = forwardedFacts(headers({ "x-forwarded-for": xff, forwarded, "x-forwarded-proto": proto }), peer, tls, proxies);
        return f.clientAddress === peer && f.secure === tls;
      }),
      { numRuns: 300 },
    );
  });

  test("factsOf carries them into the request facts (TLS from the transport's options)", () => {
    const f = factsOf(headers({ host: "x", "x-forwarded-for": "203.0.113.1" }), "/p", "10.0.0.3", {
      tls: { certFile: "c", keyFile: "k" },
      trustedProxies: proxies,
    });
    expect(f).toMatchObject({ url: "/p", remoteAddress: "10.0.0.3", clientAddress: "203.0.113.1", secure: true, forwarded: true });
  });
});
