/**
 * `web_fetch`: the agent's guarded HTTP(S) fetch. The SSRF guard (address ranges in every
 * spelling, allowlist, trusted private hosts), pinned connections (no DNS rebinding), byte, time
 * and character caps, and HTML → readable text.
 */
export {
  DEFAULT_MAX_BYTES,
  DEFAULT_MAX_CHARS,
  DEFAULT_TIMEOUT_MS,
  MAX_CHARS_LIMIT,
  MAX_REDIRECTS,
  WebFetchParams,
  webFetchTool,
  type WebFetchOptions,
} from "./web-fetch.tool.ts";
export { checkAddress, parseIp, formatIp, parseCidr, SPECIAL_RANGES, type AddressCheck, type RangeKind } from "./ip.ranges.ts";
export { checkUrl, compilePolicy, guardUrl, METADATA_HOSTS, type GuardPolicy, type PinnedTarget, type Resolve } from "./ssrf.guard.ts";
export { htmlToText, type HtmlText } from "./html.text.ts";
export { decodeEntities } from "./html.entities.ts";
