/**
 * IP address parsing and the special-purpose ranges `web_fetch` refuses, as pure bit math on
 * bigints (one code path for both families). Only canonical textual forms are parsed here: URL
 * hosts have already been normalised by WHATWG URL parsing (decimal, octal, hex and short IPv4
 * forms all become dotted quads), and resolvers return canonical text.
 */

export type Family = 4 | 6;

export interface IpAddress {
  readonly family: Family;
  /** The address as an unsigned integer (32 bits for IPv4, 128 for IPv6). */
  readonly value: bigint;
}

/** Why an address is not a public unicast address. */
export type RangeKind =
  | "unspecified"
  | "loopback"
  | "private"
  | "link_local"
  | "cgnat"
  | "ula"
  | "multicast"
  | "broadcast"
  | "benchmark"
  | "documentation"
  | "metadata"
  | "reserved";

export interface SpecialRange {
  readonly cidr: string;
  readonly family: Family;
  readonly kind: RangeKind;
}

export interface Cidr {
  readonly family: Family;
  readonly base: bigint;
  readonly prefix: number;
}

const BITS: Record<Family, number> = { 4: 32, 6: 128 };

const range = (cidr: string, kind: RangeKind): SpecialRange => ({ cidr, family: cidr.includes(":") ? 6 : 4, kind });

/**
 * Refused ranges, first match wins (so the narrow ones come before the ranges holding them).
 * IPv6 outside 2000::/3 is reserved as a whole (the last three entries), except the forms that
 * embed an IPv4 address, which `checkAddress` judges by that IPv4 address first.
 */
export const SPECIAL_RANGES: readonly SpecialRange[] = [
  range("0.0.0.0/8", "unspecified"), // "this network"; 0.0.0.0 reaches the local host on Linux
  range("10.0.0.0/8", "private"),
  range("100.64.0.0/10", "cgnat"), // also Alibaba's metadata service at 100.100.100.200
  range("127.0.0.0/8", "loopback"),
  range("169.254.169.254/32", "metadata"), // AWS, GCP, Azure, OpenStack, ...
  range("169.254.170.2/32", "metadata"), // AWS ECS task metadata
  range("169.254.0.0/16", "link_local"),
  range("172.16.0.0/12", "private"),
  range("192.0.0.0/24", "reserved"), // IETF protocol assignments (Oracle metadata at 192.0.0.192)
  range("192.0.2.0/24", "documentation"),
  range("192.88.99.0/24", "reserved"), // deprecated 6to4 relay anycast
  range("192.168.0.0/16", "private"),
  range("198.18.0.0/15", "benchmark"),
  range("198.51.100.0/24", "documentation"),
  range("203.0.113.0/24", "documentation"),
  range("224.0.0.0/4", "multicast"),
  range("255.255.255.255/32", "broadcast"),
  range("240.0.0.0/4", "reserved"),

  range("::/128", "unspecified"),
  range("::1/128", "loopback"),
  range("fd00:ec2::254/128", "metadata"), // AWS IMDS over IPv6
  range("fc00::/7", "ula"),
  range("fe80::/10", "link_local"),
  range("fec0::/10", "reserved"), // deprecated site-local
  range("ff00::/8", "multicast"),
  range("2001:2::/48", "benchmark"),
  range("2001:db8::/32", "documentation"),
  range("3fff::/20", "documentation"),
  range("2001::/23", "reserved"), // IETF protocol assignments, Teredo included
  range("::/3", "reserved"), // IPv4-compatible, discard-only 100::/64, ... (mapped and NAT64 handled before)
  range("4000::/2", "reserved"),
  range("8000::/1", "reserved"),
];

/** A CIDR of the tables below; a typo there fails at load, not as a silently missing range. */
const builtInCidr = (cidr: string): Cidr => {
  const net = parseCidr(cidr);
  if (!net) throw new Error(`built-in CIDR ${cidr} does not parse`);
  return net;
};

const COMPILED = SPECIAL_RANGES.map((r) => ({ ...r, net: builtInCidr(r.cidr) }));

/** Parses a dotted-quad IPv4 or an IPv6 address (zone id ignored); undefined if it is neither. */
export function parseIp(text: string): IpAddress | undefined {
  const s = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  if (s.includes(":")) return parseIpv6(s);
  const v4 = parseIpv4(s);
  return v4 === undefined ? undefined : { family: 4, value: v4 };
}

function parseIpv4(s: string): bigint | undefined {
  const parts = s.split(".");
  if (parts.length !== 4) return undefined;
  let v = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || (p.length > 1 && p.startsWith("0"))) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    v = (v << 8n) | BigInt(n);
  }
  return v;
}

function parseIpv6(input: string): IpAddress | undefined {
  // A zone id ("%eth0") names an interface, not a different address: judge the address.
  const s = input.split("%")[0];
  const halves = s.split("::");
  if (halves.length > 2) return undefined;
  const groups = (h: string): number[] | undefined => {
    if (h === "") return [];
    const out: number[] = [];
    const parts = h.split(":");
    for (let i = 0; i < parts.length; i++) {
      const p = parts[i];
      if (i === parts.length - 1 && p.includes(".")) {
        const v4 = parseIpv4(p);
        if (v4 === undefined) return undefined;
        out.push(Number(v4 >> 16n), Number(v4 & 0xffffn));
      } else if (/^[0-9a-fA-F]{1,4}$/.test(p)) out.push(parseInt(p, 16));
      else return undefined;
    }
    return out;
  };
  const head = groups(halves[0]);
  const tail = halves.length === 2 ? groups(halves[1]) : [];
  if (head === undefined || tail === undefined) return undefined;
  const missing = 8 - head.length - tail.length;
  if (halves.length === 2 ? missing < 1 : missing !== 0) return undefined;
  let v = 0n;
  for (const g of [...head, ...new Array<number>(missing).fill(0), ...tail]) v = (v << 16n) | BigInt(g);
  return { family: 6, value: v };
}

/** Canonical text: dotted quad, or RFC 5952 IPv6 (lower case, longest zero run as "::"). */
export function formatIp(a: IpAddress): string {
  if (a.family === 4) return [24n, 16n, 8n, 0n].map((s) => String((a.value >> s) & 0xffn)).join(".");
  const g = [...Array(8).keys()].map((i) => Number((a.value >> BigInt(112 - 16 * i)) & 0xffffn));
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) [best, bestLen] = [i, j - i];
    i = j === i ? i + 1 : j;
  }
  const hex = (xs: number[]) => xs.map((x) => x.toString(16)).join(":");
  return best < 0 ? hex(g) : `${hex(g.slice(0, best))}::${hex(g.slice(best + bestLen))}`;
}

/** "10.0.0.0/8", "fc00::/7", or a bare address (a single-address network). */
export function parseCidr(text: string): Cidr | undefined {
  const [addr, bits, extra] = text.trim().split("/");
  if (extra !== undefined) return undefined;
  const ip = parseIp(addr);
  if (ip === undefined) return undefined;
  const max = BITS[ip.family];
  const prefix = bits === undefined ? max : /^\d{1,3}$/.test(bits) ? Number(bits) : NaN;
  if (!(prefix >= 0 && prefix <= max)) return undefined;
  return { family: ip.family, base: ip.value & mask(ip.family, prefix), prefix };
}

function mask(family: Family, prefix: number): bigint {
  const all = (1n << BigInt(BITS[family])) - 1n;
  return all ^ ((1n << BigInt(BITS[family] - prefix)) - 1n);
}

export const inCidr = (a: IpAddress, net: Cidr): boolean =>
  a.family === net.family && (a.value & mask(net.family, net.prefix)) === net.base;

/** The first special range holding the address (plain membership, embedded IPv4 not considered). */
export const specialRange = (a: IpAddress): SpecialRange | undefined => COMPILED.find((r) => inCidr(a, r.net));

export type Embedding = "mapped" | "compatible" | "nat64" | "6to4" | "teredo";

const v6 = builtInCidr;
const EMBEDDINGS: readonly { net: Cidr; via: Embedding; extract: (v: bigint) => bigint[] }[] = [
  { net: v6("::ffff:0:0/96"), via: "mapped", extract: (v) => [v & 0xffffffffn] },
  { net: v6("::/96"), via: "compatible", extract: (v) => [v & 0xffffffffn] },
  { net: v6("64:ff9b::/96"), via: "nat64", extract: (v) => [v & 0xffffffffn] },
  { net: v6("64:ff9b:1::/48"), via: "nat64", extract: (v) => [v & 0xffffffffn] }, // local-use NAT64
  { net: v6("2002::/16"), via: "6to4", extract: (v) => [(v >> 80n) & 0xffffffffn] },
  // Teredo: server address in bits 32-63, client address in the low 32 bits, inverted.
  { net: v6("2001::/32"), via: "teredo", extract: (v) => [(v >> 64n) & 0xffffffffn, (v & 0xffffffffn) ^ 0xffffffffn] },
];

/** IPv4 addresses an IPv6 address carries (mapped, compatible, NAT64, 6to4, Teredo). */
export function embeddedIpv4(a: IpAddress): { via: Embedding; address: IpAddress }[] {
  if (a.family !== 6) return [];
  const e = EMBEDDINGS.find((x) => inCidr(a, x.net));
  // :: and ::1 are not IPv4-compatible addresses of 0.0.0.0 / 0.0.0.1: they have their own meaning.
  if (e === undefined || (e.via === "compatible" && a.value <= 1n)) return [];
  return e.extract(a.value).map((value) => ({ via: e.via, address: { family: 4, value } }));
}

export type AddressCheck =
  | { readonly ok: true; readonly address: string }
  | {
      readonly ok: false;
      readonly reason: RangeKind | "invalid";
      readonly address: string;
      /** The IPv4 address inside an IPv6 form that made it refused. */
      readonly embedded?: string;
      readonly via?: Embedding;
    };

/**
 * Whether `ip` is a public unicast address that `web_fetch` may connect to. An IPv6 form that
 * embeds an IPv4 address is judged by that address first (`::ffff:127.0.0.1` is loopback), so
 * every spelling of a private IPv4 address is refused.
 */
export function checkAddress(ip: string): AddressCheck {
  const a = parseIp(ip);
  if (a === undefined) return { ok: false, reason: "invalid", address: ip };
  const address = formatIp(a);
  const inner = embeddedIpv4(a);
  for (const e of inner) {
    const r = specialRange(e.address);
    if (r !== undefined) return { ok: false, reason: r.kind, address, embedded: formatIp(e.address), via: e.via };
  }
  // A mapped or NAT64 address of a public IPv4 address is that public address.
  if (inner.length > 0 && (inner[0].via === "mapped" || inner[0].via === "nat64")) return { ok: true, address };
  const r = specialRange(a);
  return r === undefined ? { ok: true, address } : { ok: false, reason: r.kind, address };
}
