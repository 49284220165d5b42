import { createHash, timingSafeEqual } from "node:crypto";
import { CairnError } from "../../schemas/index.ts";

/**
 * Who may talk to the edge without a token (invariant 6: local by default, locked when exposed).
 * Pure functions, unit-tested: the edge cannot easily be reached from a non-loopback address in tests.
 */

/** Expands an IPv6 text (compressed, full-hex as uWS prints it, or with a dotted IPv4 tail) to 8 words. */
const ipv6Words = (text: string): number[] | undefined => {
  let s = text.toLowerCase();
  const zone = s.indexOf("%");
  if (zone >= 0) s = s.slice(0, zone);
  const dotted = /(\d+)\.(\d+)\.(\d+)\.(\d+)$/.exec(s);
  if (dotted) {
    const b = dotted.slice(1).map(Number);
    if (b.some((x) => x > 255)) return undefined;
    s = `${s.slice(0, dotted.index)}${((b[0] << 8) | b[1]).toString(16)}:${((b[2] << 8) | b[3]).toString(16)}`;
  }
  const halves = s.split("::");
  if (halves.length > 2) return undefined;
  const part = (h: string) => (h === "" ? [] : h.split(":"));
  const head = part(halves[0]);
  const tail = halves.length === 2 ? part(halves[1]) : [];
  const fill = halves.length === 2 ? 8 - head.length - tail.length : 0;
  if (fill < 0 || (halves.length === 1 && head.length !== 8)) return undefined;
  const words = [...head, ...Array<string>(fill).fill("0"), ...tail];
  if (words.length !== 8 || words.some((w) => !/^[0-9a-f]{1,4}$/.test(w))) return undefined;
  return words.map((w) => parseInt(w, 16));
};

const isLoopbackV4 = (s: string): boolean => {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(s);
  if (!m) return false;
  return m.slice(1).every((x) => Number(x) <= 255) && m[1] === "127";
};

/**
 * True for 127.0.0.0/8 and ::1, in any spelling: uWS reports IPv6 peers in full hex
 * (`0000:…:0001`) and IPv4 peers of a dual-stack socket as IPv4-mapped (`…:ffff:7f00:0001`).
 */
export const isLoopbackAddress = (address: string): boolean => {
  const a = address.trim().replace(/^\[|\]$/g, "");
  if (isLoopbackV4(a)) return true;
  const w = ipv6Words(a);
  if (!w) return false;
  if (w.slice(0, 7).every((x) => x === 0) && w[7] === 1) return true;
  const mapped = w.slice(0, 5).every((x) => x === 0) && w[5] === 0xffff;
  return mapped && w[6] >> 8 === 127;
};

/** The hostname of a `Host` header (`[::1]:8080` → `::1`), lowercased; "" when absent. */
export const hostnameOf = (hostHeader: string): string => {
  const h = hostHeader.trim().toLowerCase();
  if (h.startsWith("[")) return h.slice(1, h.indexOf("]") > 0 ? h.indexOf("]") : undefined);
  const colon = h.indexOf(":");
  return colon >= 0 && h.indexOf(":", colon + 1) < 0 ? h.slice(0, colon) : h;
};

/** A name or address that can only mean this machine. */
export const isLoopbackHost = (host: string): boolean => {
  const h = hostnameOf(host);
  return h === "localhost" || h.endsWith(".localhost") || isLoopbackAddress(h);
};

export interface ClientFacts {
  remoteAddress: string;
  /** The `Host` header. */
  host: string;
  /** True when X-Forwarded-For, Forwarded or X-Real-IP is present. */
  forwarded: boolean;
  /** The client behind any trusted proxy (per-client limits are keyed on it); the peer when absent. */
  clientAddress?: string;
}

/** The address per-client limits count against. */
export const clientAddressOf = (c: ClientFacts): string => c.clientAddress ?? c.remoteAddress;

/**
 * A client is local only when its peer address is loopback AND it asked for a loopback host AND no
 * proxy forwarded it. The host check defeats DNS rebinding (evil.example resolving to 127.0.0.1);
 * the forwarded check keeps a same-machine reverse proxy from turning the whole internet "local".
 */
export const isLocalClient = (c: ClientFacts): boolean => !c.forwarded && isLoopbackAddress(c.remoteAddress) && isLoopbackHost(c.host);

/** Constant-time token comparison; hashing first hides the length of the expected token too. */
export const tokensEqual = (given: string, expected: string): boolean => {
  const a = createHash("sha256").update(given, "utf8").digest();
  const b = createHash("sha256").update(expected, "utf8").digest();
  return timingSafeEqual(a, b);
};

/** The token of an `Authorization: Bearer <token>` header, or undefined. */
export const bearerToken = (authorization: string): string | undefined => {
  const m = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
  return m ? m[1] : undefined;
};

const defaultPort = (scheme: string): string => (scheme === "https:" || scheme === "wss:" ? "443" : "80");

const normalizeOrigin = (origin: string): string | undefined => {
  try {
    const u = new URL(origin);
    return u.origin === "null" ? undefined : u.origin.toLowerCase();
  } catch {
    return undefined;
  }
};

/**
 * Cross-site WebSocket hijacking guard. Browsers always send `Origin` on a WebSocket upgrade, so a
 * missing one is a non-browser client (CLI, node) and is allowed; a present one must name the same
 * host:port the request was sent to, or be listed in `allowedOrigins`. `Origin: null` is refused.
 */
export const originAllowed = (origin: string, hostHeader: string, allowedOrigins: readonly string[] = []): boolean => {
  if (origin === "") return true;
  const norm = normalizeOrigin(origin);
  if (!norm) return false;
  if (allowedOrigins.some((a) => normalizeOrigin(a) === norm)) return true;
  const u = new URL(norm);
  const host = hostHeader.trim().toLowerCase();
  if (host === "") return false;
  const hostname = hostnameOf(host);
  const afterName = host.startsWith("[") ? host.slice(host.indexOf("]") + 1) : host.slice(hostname.length);
  const hostPort = afterName.startsWith(":") ? afterName.slice(1) : defaultPort(u.protocol);
  const originHostname = u.hostname.replace(/^\[|\]$/g, "");
  return originHostname === hostname && (u.port || defaultPort(u.protocol)) === hostPort;
};

/**
 * Why a POST must be refused as a cross-site request (CSRF), or null. A page on another site can
 * post a form or `text/plain`, but not `application/json` without a CORS preflight, which the edge
 * never answers; and a browser names its page's origin, which must be ours. This matters most on
 * loopback, where the owner needs no credential and any page in their browser could otherwise post.
 */
export const crossSiteRefusal = (
  header: (name: string) => string,
  hostHeader: string,
  allowedOrigins: readonly string[],
): CairnError | null => {
  if (!/^application\/json\b/i.test(header("content-type"))) return new CairnError("bad_request", "send the body as application/json");
  if (!originAllowed(header("origin"), hostHeader, allowedOrigins))
    return new CairnError("forbidden", "this request came from another site's page");
  return null;
};
