import { describe, expect, test } from "vitest";
import {
  bearerToken,
  hostnameOf,
  isLocalClient,
  isLoopbackAddress,
  isLoopbackHost,
  originAllowed,
  tokensEqual,
} from "../../../bus/edge/auth.ts";

describe("isLoopbackAddress", () => {
  test.each([
    "127.0.0.1",
    "127.1.2.3",
    "::1",
    "[::1]",
    "0:0:0:0:0:0:0:1",
    // uWS prints IPv6 peers in full hex, and IPv4 peers of a dual-stack socket as mapped addresses.
    "0000:0000:0000:0000:0000:0000:0000:0001",
    "0000:0000:0000:0000:0000:ffff:7f00:0001",
    "::ffff:127.0.0.1",
    "::ffff:127.9.9.9",
    "::FFFF:7F00:1",
  ])("%s is loopback", (a) => expect(isLoopbackAddress(a)).toBe(true));

  test.each([
    "",
    "10.0.0.1",
    "192.168.1.20",
    "128.0.0.1",
    "0.0.0.0",
    "::",
    "::2",
    "::ffff:10.0.0.1",
    "0000:0000:0000:0000:0000:ffff:0a00:0001",
    "fe80::1",
    "1::1",
    "127.0.0.256",
    "127.0.0.1.evil",
    "localhost",
    "::1::",
    "garbage",
  ])("%s is not loopback", (a) => expect(isLoopbackAddress(a)).toBe(false));
});

describe("hosts", () => {
  test("hostnameOf strips ports and brackets", () => {
    expect(hostnameOf("localhost:8080")).toBe("localhost");
    expect(hostnameOf("[::1]:8080")).toBe("::1");
    expect(hostnameOf("Example.COM")).toBe("example.com");
    expect(hostnameOf("::1")).toBe("::1");
  });
  test("isLoopbackHost", () => {
    for (const h of ["localhost", "localhost:1", "app.localhost", "127.0.0.1:9", "[::1]:80", "::1"]) {
      expect(isLoopbackHost(h), h).toBe(true);
    }
    for (const h of ["0.0.0.0", "::", "example.com", "192.168.0.2:80", "localhost.evil.com", ""]) {
      expect(isLoopbackHost(h), h).toBe(false);
    }
  });
});

describe("isLocalClient", () => {
  const local = { remoteAddress: "127.0.0.1", host: "127.0.0.1:8080", forwarded: false };
  test("loopback peer asking for a loopback host is local", () => expect(isLocalClient(local)).toBe(true));
  test("non-loopback peer is not local", () => expect(isLocalClient({ ...local, remoteAddress: "192.168.1.5" })).toBe(false));
  test("DNS rebinding (loopback peer, foreign Host) is not local", () =>
    expect(isLocalClient({ ...local, host: "evil.example:8080" })).toBe(false));
  test("a request forwarded by a same-machine proxy is not local", () => expect(isLocalClient({ ...local, forwarded: true })).toBe(false));
});

describe("tokens", () => {
  test("tokensEqual compares exactly", () => {
    expect(tokensEqual("s3cret-token-abcdef", "s3cret-token-abcdef")).toBe(true);
    expect(tokensEqual("s3cret-token-abcdeg", "s3cret-token-abcdef")).toBe(false);
    expect(tokensEqual("s3cret", "s3cret-token-abcdef")).toBe(false);
    expect(tokensEqual("", "x")).toBe(false);
  });
  test("bearerToken", () => {
    expect(bearerToken("Bearer abc.def")).toBe("abc.def");
    expect(bearerToken("bearer   xyz ")).toBe("xyz");
    expect(bearerToken("Basic abc")).toBeUndefined();
    expect(bearerToken("")).toBeUndefined();
    expect(bearerToken("Bearer a b")).toBeUndefined();
  });
});

describe("originAllowed", () => {
  test("no Origin (non-browser client) is allowed", () => expect(originAllowed("", "127.0.0.1:8080")).toBe(true));
  test("same host and port is allowed", () => {
    expect(originAllowed("http://127.0.0.1:8080", "127.0.0.1:8080")).toBe(true);
    expect(originAllowed("http://LOCALHOST:8080", "localhost:8080")).toBe(true);
    expect(originAllowed("http://[::1]:8080", "[::1]:8080")).toBe(true);
    expect(originAllowed("https://cairn.example", "cairn.example")).toBe(true);
    expect(originAllowed("https://cairn.example", "cairn.example:443")).toBe(true);
  });
  test("another site is refused", () => {
    expect(originAllowed("http://evil.example", "127.0.0.1:8080")).toBe(false);
    expect(originAllowed("http://127.0.0.1:9999", "127.0.0.1:8080")).toBe(false);
    expect(originAllowed("http://localhost:8080", "127.0.0.1:8080")).toBe(false);
    expect(originAllowed("http://cairn.example.evil.com", "cairn.example")).toBe(false);
    expect(originAllowed("null", "127.0.0.1:8080")).toBe(false);
    expect(originAllowed("not a url", "127.0.0.1:8080")).toBe(false);
    expect(originAllowed("http://127.0.0.1:8080", "")).toBe(false);
  });
  test("allowedOrigins admits listed origins only", () => {
    expect(originAllowed("http://localhost:5173", "127.0.0.1:8080", ["http://localhost:5173/"])).toBe(true);
    expect(originAllowed("http://localhost:5174", "127.0.0.1:8080", ["http://localhost:5173"])).toBe(false);
  });
});
