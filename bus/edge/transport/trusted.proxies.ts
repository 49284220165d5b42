import { isIP } from "node:net";
import ipaddr from "ipaddr.js";
import { CairnError } from "../../../schemas/index.ts";

/**
 * `[gateway] trusted_proxies`: the peers whose `Forwarded` / `X-Forwarded-*` headers are believed.
 * Anyone can send those headers, so from any other peer they say nothing about the client; only a
 * proxy we know appends truthfully, and only the hops it appended are its word. ipaddr.js does the
 * address and CIDR work; its lenient IPv4 forms ("10.1", octal) are refused first with `isIP`, so
 * `010.0.0.1` cannot mean one thing to us and another to the proxy.
 */

type Range = [ipaddr.IPv4 | ipaddr.IPv6, number];

/** Parsed `trusted_proxies`; `none` trusts nobody (the default). */
export interface TrustedProxies {
  /** True when `address` (any spelling a transport reports) is one of the trusted proxies. */
  has(address: string): boolean;
  readonly size: number;
}

/** An address in the canonical form ipaddr.js prints (IPv4-mapped IPv6 → IPv4), or undefined. */
export const canonicalAddress = (text: string): string | undefined => {
  const parsed = parseAddress(text);
  return parsed?.toString();
};

const parseAddress = (text: string): ipaddr.IPv4 | ipaddr.IPv6 | undefined => {
  let a = text.trim().replace(/^\[|\]$/g, "");
  const zone = a.indexOf("%");
  if (zone >= 0) a = a.slice(0, zone);
  if (isIP(a) === 0) return undefined;
  // process(): a dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d; they match IPv4 ranges.
  return ipaddr.process(a);
};

/** Named ranges a user can write instead of CIDRs. */
const NAMED: Record<string, readonly string[]> = {
  loopback: ["127.0.0.0/8", "::1/128"],
};

const parseEntry = (entry: string): Range[] => {
  const e = entry.trim().toLowerCase();
  const named = NAMED[e];
  if (named) return named.flatMap(parseEntry);
  const [head = "", prefix, ...rest] = e.split("/");
  const addr = parseAddress(head);
  if (!addr || rest.length > 0)
    throw new CairnError("bad_request", `trusted_proxies: '${entry}' is not an IP address or CIDR (e.g. 10.0.0.0/8, ::1, loopback)`);
  // An IPv4-mapped IPv6 range (::ffff:10.0.0.0/104) is the IPv4 range it maps: process() made it IPv4.
  const mapped = addr.kind() === "ipv4" && head.includes(":");
  const max = addr.kind() === "ipv4" && !mapped ? 32 : 128;
  const bits = prefix === undefined ? max : /^\d{1,3}$/.test(prefix) ? Number(prefix) : Number.NaN;
  const mappedBits = mapped ? bits - 96 : bits;
  if (!(bits <= max) || mappedBits < 0)
    throw new CairnError("bad_request", `trusted_proxies: '${entry}' has a bad prefix length (0-${max})`);
  return [[addr, mappedBits]];
};

/** Parses the list; throws `bad_request` naming the first bad entry. */
export function parseTrustedProxies(entries: readonly string[]): TrustedProxies {
  const ranges = entries.flatMap(parseEntry);
  return {
    size: ranges.length,
    has(address) {
      if (ranges.length === 0) return false;
      const a = parseAddress(address);
      if (!a) return false;
      return ranges.some(([net, bits]) => net.kind() === a.kind() && (a as ipaddr.IPv4).match(net as ipaddr.IPv4, bits));
    },
  };
}

export const noTrustedProxies: TrustedProxies = { size: 0, has: () => false };
