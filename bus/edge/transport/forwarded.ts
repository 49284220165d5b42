import { canonicalAddress, type TrustedProxies } from "./trusted.proxies.ts";

/**
 * Who the client really is, when a request may have come through reverse proxies. The proxy
 * headers (RFC 7239 `Forwarded`, else the de-facto `X-Forwarded-For/-Proto/-Host`) are read only
 * when the peer is a trusted proxy; then the hops are walked from the right (the nearest proxy's
 * entry first) while they too are trusted proxies. The first hop that is not is the client: every
 * hop left of it was written by someone we do not trust (the client itself may send any
 * `X-Forwarded-For` it likes), so it is never believed. That is the "right-most untrusted" rule.
 */

export interface ForwardedFacts {
  /** The client's address: the peer, or the right-most untrusted hop named by trusted proxies. */
  clientAddress: string;
  /** TLS to us, or a trusted proxy says the client spoke https to it. */
  secure: boolean;
  /** The host the client asked for: a trusted proxy's forwarded host, else the `Host` header. */
  host: string;
  /** Any proxy header present, trusted or not: such a request is never treated as local. */
  forwarded: boolean;
}

interface Hop {
  for: string;
  proto?: string;
  host?: string;
}

/** Splits on `sep` outside double quotes (RFC 7239 values may be quoted strings). */
const splitOutsideQuotes = (text: string, sep: string): string[] => {
  const out: string[] = [];
  let cur = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (ch === "\\" && quoted) {
      cur += text.slice(i, i + 2);
      i++;
    } else if (ch === '"') {
      quoted = !quoted;
      cur += ch;
    } else if (ch === sep && !quoted) {
      out.push(cur);
      cur = "";
    } else cur += ch;
  }
  out.push(cur);
  return out;
};

const unquote = (v: string): string => {
  const t = v.trim();
  return t.length >= 2 && t.startsWith('"') && t.endsWith('"') ? t.slice(1, -1).replace(/\\(.)/g, "$1") : t;
};

/** `for=` node: `192.0.2.1`, `192.0.2.1:4711`, `[2001:db8::1]:4711`, `unknown`, `_hidden`. */
const nodeAddress = (node: string): string => {
  const n = node.trim();
  if (n.startsWith("[")) return n.slice(1, n.indexOf("]") > 0 ? n.indexOf("]") : undefined);
  // One colon: IPv4 with a port. More: a bare IPv6 address (as X-Forwarded-For writes them).
  const colon = n.indexOf(":");
  return colon >= 0 && n.indexOf(":", colon + 1) < 0 ? n.slice(0, colon) : n;
};

/** RFC 7239 elements, left to right. */
const parseForwarded = (value: string): Hop[] =>
  splitOutsideQuotes(value, ",").map((element) => {
    const hop: Hop = { for: "" };
    for (const pair of splitOutsideQuotes(element, ";")) {
      const eq = pair.indexOf("=");
      if (eq < 0) continue;
      const key = pair.slice(0, eq).trim().toLowerCase();
      const v = unquote(pair.slice(eq + 1));
      if (key === "for") hop.for = nodeAddress(v);
      else if (key === "proto") hop.proto = v.toLowerCase();
      else if (key === "host") hop.host = v;
    }
    return hop;
  });

const list = (value: string): string[] =>
  value === ""
    ? []
    : value
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s !== "");

/** X-Forwarded-For hops; a one-value -Proto/-Host (the usual case) belongs to the client's hop. */
const parseXForwarded = (header: (name: string) => string): Hop[] => {
  const fors = list(header("x-forwarded-for"));
  const protos = list(header("x-forwarded-proto"));
  const hosts = list(header("x-forwarded-host"));
  // Aligned when each proxy appended one of each; otherwise only the right-most (nearest proxy's) value is meant.
  const at = (values: string[], i: number): string | undefined =>
    values.length === fors.length ? values[i] : i === fors.length - 1 ? values.at(-1) : undefined;
  return fors.map((f, i) => {
    const proto = at(protos, i)?.toLowerCase();
    const host = at(hosts, i);
    return { for: nodeAddress(f), ...(proto ? { proto } : {}), ...(host ? { host } : {}) };
  });
};

/** Any of these marks a request as having come through a proxy (so it is never local). */
const PROXY_HEADERS = ["forwarded", "x-forwarded-for", "x-forwarded-proto", "x-forwarded-host", "x-real-ip"] as const;

/** A `Host`-shaped value: a name or address and an optional port. Anything else is not believed. */
const HOST_SHAPE = /^(?:[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?)*\.?|\[[0-9a-f:.]+\])(?::\d{1,5})?$/i;

/**
 * The forwarded facts of a request. `header` answers "" for an absent header; `peer` is the TCP
 * peer's address as the transport reports it; `tls` says whether the connection to us is TLS.
 */
export function forwardedFacts(header: (name: string) => string, peer: string, tls: boolean, proxies: TrustedProxies): ForwardedFacts {
  const forwardedHeader = header("forwarded");
  const forwarded = PROXY_HEADERS.some((name) => header(name) !== "");
  const direct: ForwardedFacts = { clientAddress: canonicalAddress(peer) ?? peer, secure: tls, host: header("host"), forwarded };
  if (!forwarded || !proxies.has(peer)) return direct;
  const hops = forwardedHeader !== "" ? parseForwarded(forwardedHeader) : parseXForwarded(header);
  // Walk from the nearest hop while it is a trusted proxy; an unparseable hop ("unknown",
  // garbage) ends the walk: the client is then the last proxy that vouched for anything.
  let client: { address: string; hop?: Hop } = { address: direct.clientAddress };
  for (let i = hops.length - 1; i >= 0; i--) {
    const hop = hops[i];
    const address = canonicalAddress(hop.for);
    if (address === undefined) break;
    client = { address, hop };
    if (!proxies.has(address)) break;
  }
  // X-Forwarded-Proto/-Host set once by the proxy (not per hop): its value is the nearest proxy's word.
  const nearest = (name: string) => (forwardedHeader === "" ? list(header(name)).at(-1) : undefined);
  const proto = client.hop?.proto ?? nearest("x-forwarded-proto")?.toLowerCase();
  const host = client.hop?.host ?? nearest("x-forwarded-host");
  return {
    clientAddress: client.address,
    secure: tls || proto === "https",
    host: host !== undefined && HOST_SHAPE.test(host) ? host : direct.host,
    forwarded,
  };
}
