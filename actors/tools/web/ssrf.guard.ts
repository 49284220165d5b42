import { domainToASCII } from "node:url";
import { CairnError } from "../../../schemas/index.ts";
import { checkAddress, formatIp, parseCidr, parseIp, inCidr, type AddressCheck, type Cidr } from "./ip.ranges.ts";

/** A `dns.lookup(host, { all: true })`-like resolver; injected by tests. */
export type Resolve = (host: string) => Promise<readonly { readonly address: string; readonly family: number }[]>;

/** Where one request may go: the URL, and the one address that passed the checks. */
export interface PinnedTarget {
  readonly url: URL;
  /** Host name (or IP literal without brackets) for the Host header and TLS server name. */
  readonly host: string;
  /** The validated address the connection must go to. */
  readonly address: string;
  readonly family: 4 | 6;
}

export type GuardResult = { readonly ok: true; readonly target: PinnedTarget } | { readonly ok: false; readonly error: CairnError };

/** Who the user allows: `allowlist` limits hosts at all; `allowPrivate` trusts hosts or networks. */
export interface GuardPolicy {
  readonly allowlist?: readonly string[];
  readonly allowPrivate?: readonly string[];
}

/** Names of cloud metadata services, refused before any DNS lookup. */
export const METADATA_HOSTS: readonly string[] = [
  "metadata.google.internal",
  "metadata.goog",
  "metadata",
  "instance-data",
  "instance-data.ec2.internal",
  "metadata.azure.internal",
];

type HostPattern = { readonly exact: string } | { readonly suffix: string };

export interface CompiledPolicy {
  readonly allowlist: readonly HostPattern[];
  readonly trustedHosts: readonly HostPattern[];
  readonly trustedNets: readonly Cidr[];
}

/** Normalises the policy once; a malformed entry is a configuration error and throws. */
export function compilePolicy(p: GuardPolicy = {}): CompiledPolicy {
  const trustedHosts: HostPattern[] = [];
  const trustedNets: Cidr[] = [];
  for (const entry of p.allowPrivate ?? []) {
    const net = parseCidr(entry);
    if (net !== undefined) trustedNets.push(net);
    else if (entry.includes("/")) throw new Error(`allowPrivate: ${JSON.stringify(entry)} is not a valid CIDR`);
    else trustedHosts.push(hostPattern(entry, "allowPrivate"));
  }
  return { allowlist: (p.allowlist ?? []).map((e) => hostPattern(e, "allowlist")), trustedHosts, trustedNets };
}

function hostPattern(entry: string, field: string): HostPattern {
  const raw = entry.trim().toLowerCase();
  const wildcard = raw.startsWith("*.");
  const ip = parseIp(raw);
  const name = ip !== undefined ? formatIp(ip) : normaliseName(wildcard ? raw.slice(2) : raw);
  if (name === "") throw new Error(`${field}: ${JSON.stringify(entry)} is not a host name or pattern`);
  return wildcard ? { suffix: `.${name}` } : { exact: name };
}

// IDNs compare in their ASCII form, the one WHATWG URL gives us; a trailing dot names the same host.
const normaliseName = (name: string): string => domainToASCII(name.replace(/\.$/, "")).toLowerCase();

const matches = (host: string, patterns: readonly HostPattern[]): boolean =>
  patterns.some((p) => ("exact" in p ? host === p.exact : host.endsWith(p.suffix)));

const refuse = (reason: string, message: string, details: Record<string, unknown> = {}): { ok: false; error: CairnError } => ({
  ok: false,
  error: new CairnError("bad_request", message, { reason, ...details }),
});

/** Whether the user trusts this refused address for this host. Metadata needs the exact address. */
function trusted(policy: CompiledPolicy, host: string, check: Exclude<AddressCheck, { ok: true }>): boolean {
  if (check.reason === "invalid") return false;
  const ip = parseIp(check.embedded ?? check.address);
  if (ip === undefined) return false;
  if (check.reason === "metadata") {
    const bits = ip.family === 4 ? 32 : 128;
    return policy.trustedNets.some((n) => n.prefix === bits && inCidr(ip, n));
  }
  return matches(host, policy.trustedHosts) || policy.trustedNets.some((n) => inCidr(ip, n));
}

const LABEL: Record<string, string> = {
  unspecified: "an unspecified",
  loopback: "a loopback",
  private: "a private (RFC 1918)",
  link_local: "a link-local",
  cgnat: "a carrier-grade NAT (100.64/10)",
  ula: "a unique local (fc00::/7)",
  multicast: "a multicast",
  broadcast: "the broadcast",
  benchmark: "a benchmarking (198.18/15)",
  documentation: "a documentation",
  metadata: "a cloud metadata",
  reserved: "a reserved",
  invalid: "an invalid",
};

const describe = (c: Exclude<AddressCheck, { ok: true }>): string =>
  `${c.address}${c.embedded ? ` (embeds ${c.embedded})` : ""} is ${LABEL[c.reason]} address`;

/**
 * The checks that need no network: scheme, credentials, metadata names, the allowlist. Returns the
 * normalised host (brackets stripped, no trailing dot) or a refusal.
 */
export function checkUrl(
  raw: string | URL,
  policy: CompiledPolicy,
): { ok: true; url: URL; host: string; name: string } | { ok: false; error: CairnError } {
  let url: URL;
  try {
    url = typeof raw === "string" ? new URL(raw) : raw;
  } catch {
    return refuse(
      "invalid_url",
      `${JSON.stringify(String(raw).slice(0, 200))} is not a valid URL (zone ids and malformed addresses are refused)`,
    );
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return refuse("scheme", `only http and https URLs can be fetched, not ${url.protocol}`, { url: url.href });
  }
  if (url.username !== "" || url.password !== "") {
    return refuse("credentials", "URLs with a user name or password are not fetched", { host: url.host });
  }
  const host = url.hostname.startsWith("[") ? url.hostname.slice(1, -1) : url.hostname;
  const name = host.replace(/\.$/, "");
  if (METADATA_HOSTS.includes(name) && !policy.trustedHosts.some((p) => "exact" in p && p.exact === name)) {
    return refuse("private_address", `${name} is a cloud metadata service and is never fetched`, { host: name, range: "metadata" });
  }
  const ip = parseIp(host);
  const key = ip !== undefined ? formatIp(ip) : name;
  if (policy.allowlist.length > 0 && !matches(key, policy.allowlist)) {
    return refuse("not_allowed", `${name} is not on the web_fetch allowlist`, { host: name });
  }
  return { ok: true, url, host, name: key };
}

/**
 * Full check of one hop: URL checks, then one DNS resolution whose every answer must pass (a name
 * with one public and one private answer is refused), pinned to the first answer. The caller must
 * connect to `target.address` and nothing else: resolving again could get a different answer.
 */
export async function guardUrl(raw: string | URL, policy: CompiledPolicy, resolve: Resolve, signal?: AbortSignal): Promise<GuardResult> {
  const u = checkUrl(raw, policy);
  if (!u.ok) return u;
  const literal = parseIp(u.host);
  let answers: readonly { address: string; family: number }[];
  if (literal !== undefined) answers = [{ address: formatIp(literal), family: literal.family }];
  else {
    try {
      answers = await abortable(resolve(u.host), signal);
    } catch (e) {
      if (signal?.aborted) throw e;
      const code = (e as NodeJS.ErrnoException).code;
      return {
        ok: false,
        error: new CairnError("unavailable", `could not resolve ${u.name}: ${code ?? (e as Error).message}`, {
          reason: "dns",
          host: u.name,
        }),
      };
    }
    if (answers.length === 0) {
      return { ok: false, error: new CairnError("unavailable", `${u.name} has no addresses`, { reason: "dns", host: u.name }) };
    }
  }
  let first: { address: string; family: 4 | 6 } | undefined;
  for (const a of answers) {
    const c = checkAddress(a.address);
    if (!c.ok && !trusted(policy, u.name, c)) {
      return refuse("private_address", `refused to fetch ${u.name}: ${describe(c)}; add it to allowPrivate to trust it`, {
        host: u.name,
        address: c.address,
        range: c.reason,
        ...(c.embedded ? { embedded: c.embedded } : {}),
      });
    }
    const ip = parseIp(a.address);
    if (ip === undefined)
      return refuse("private_address", `refused to fetch ${u.name}: ${a.address} is not an IP address`, {
        host: u.name,
        address: a.address,
      });
    first ??= { address: formatIp(ip), family: ip.family };
  }
  if (!first) return { ok: false, error: new CairnError("unavailable", `${u.name} has no addresses`, { reason: "dns", host: u.name }) };
  return { ok: true, target: { url: u.url, host: u.host, ...first } };
}

/** Races a promise against an abort signal (dns.lookup itself cannot be cancelled). */
export function abortable<T>(p: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (signal === undefined) return p;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener("abort", onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener("abort", onAbort);
        reject(e);
      },
    );
  });
}
