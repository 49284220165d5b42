import type { IncomingMessage } from "node:http";
import { CairnError } from "../../../schemas/index.ts";
import { classify, knownBinary, parseContentType, type ContentKind, type MediaType } from "./content.decode.ts";
import { discard, readCapped, requestPinned } from "./pinned.request.ts";
import { guardUrl, type CompiledPolicy, type Resolve } from "./ssrf.guard.ts";

export interface FetchLimits {
  readonly maxBytes: number;
  readonly timeoutMs: number;
  readonly maxRedirects: number;
}

/** The final response of a fetch, body read up to the byte cap (empty when not shown). */
export interface FetchedPage {
  readonly url: string;
  readonly status: number;
  readonly statusText: string;
  readonly contentType: string;
  readonly media: MediaType;
  readonly kind: ContentKind;
  readonly bytes: Buffer;
  /** The body was longer than `maxBytes`. */
  readonly truncated: boolean;
  /** Every URL that redirected, in order. */
  readonly redirects: readonly string[];
}

const REDIRECT = new Set([301, 302, 303, 307, 308]);

const HEADERS = {
  "user-agent": "Mozilla/5.0 (compatible; cairn-web-fetch/1.0)",
  accept: "text/html,application/xhtml+xml,text/plain;q=0.9,application/json;q=0.9,*/*;q=0.5",
  // Not deflate: servers disagree on whether it has a zlib header; a stray one is still decoded.
  "accept-encoding": "gzip, br",
};

/**
 * GET `url` following redirects, each hop checked by the SSRF guard and connected to the address
 * the guard validated. The time limit covers everything (DNS, every hop, the body). Failures are
 * `CairnError`s: `bad_request` for refusals, `timeout`, `run_interrupted` when `signal` aborts,
 * `unavailable` for network errors.
 */
export async function guardedFetch(
  url: string,
  o: { readonly policy: CompiledPolicy; readonly resolve: Resolve; readonly limits: FetchLimits; readonly signal: AbortSignal },
): Promise<FetchedPage> {
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), o.limits.timeoutMs);
  const signal = AbortSignal.any([o.signal, deadline.signal]);
  const redirects: string[] = [];
  let current = url;
  let host = "";
  try {
    for (;;) {
      const guarded = await guardUrl(current, o.policy, o.resolve, signal);
      if (!guarded.ok) throw redirects.length === 0 ? guarded.error : afterRedirect(guarded.error, redirects);
      const { target } = guarded;
      host = target.url.host;
      const res = await requestPinned(target, { signal, headers: HEADERS });
      const status = res.statusCode ?? 0;
      const location = res.headers.location;
      if (REDIRECT.has(status) && location !== undefined) {
        discard(res);
        redirects.push(target.url.href);
        if (redirects.length > o.limits.maxRedirects) {
          throw new CairnError("bad_request", `too many redirects (more than ${o.limits.maxRedirects}) starting at ${url}`, {
            reason: "too_many_redirects",
            redirects,
          });
        }
        try {
          current = new URL(location, target.url).href;
        } catch {
          throw new CairnError("bad_request", `${target.url.href} redirected to an invalid URL ${JSON.stringify(location.slice(0, 200))}`, {
            reason: "invalid_url",
          });
        }
        continue;
      }
      return await finish(res, target.url.href, redirects, o.limits.maxBytes);
    }
  } catch (e) {
    throw failure(e, { url, host, ctx: o.signal, deadline: deadline.signal, timeoutMs: o.limits.timeoutMs });
  } finally {
    clearTimeout(timer);
  }
}

async function finish(res: IncomingMessage, url: string, redirects: readonly string[], maxBytes: number): Promise<FetchedPage> {
  const status = res.statusCode ?? 0;
  const contentType = String(res.headers["content-type"] ?? "");
  const media = parseContentType(contentType);
  const head = { url, status, statusText: res.statusMessage ?? "", contentType, media, redirects };
  // A binary body is never read: the answer is known from the header.
  if (knownBinary(media)) {
    discard(res);
    if (status >= 200 && status < 300) {
      throw new CairnError(
        "bad_request",
        `${url} returned ${media.essence}, which is not text; web_fetch only reads text, HTML, JSON and XML`,
        { reason: "not_text", contentType: media.essence, status },
      );
    }
    return { ...head, kind: "binary", bytes: Buffer.alloc(0), truncated: false };
  }
  const body = await readCapped(res, maxBytes);
  const kind = classify(media, body.bytes);
  if (kind === "binary" && status >= 200 && status < 300) {
    throw new CairnError("bad_request", `${url} returned binary content (no Content-Type, not text); web_fetch only reads text`, {
      reason: "not_text",
      contentType: "",
      status,
    });
  }
  return { ...head, kind, bytes: kind === "binary" ? Buffer.alloc(0) : body.bytes, truncated: body.truncated };
}

function afterRedirect(e: CairnError, redirects: readonly string[]): CairnError {
  const from = redirects[redirects.length - 1];
  const details = typeof e.details === "object" && e.details !== null ? e.details : {};
  return new CairnError(e.code, `redirect from ${from} refused: ${e.message}`, { ...details, redirectedFrom: from });
}

function failure(e: unknown, c: { url: string; host: string; ctx: AbortSignal; deadline: AbortSignal; timeoutMs: number }): CairnError {
  // Which signal fired decides, whatever error the aborted socket happened to raise.
  if (c.ctx.aborted) return new CairnError("run_interrupted", "web_fetch was cancelled");
  if (c.deadline.aborted) {
    return new CairnError("timeout", `fetching ${c.url} took longer than ${c.timeoutMs / 1000} s`, { reason: "timeout", url: c.url });
  }
  if (e instanceof CairnError) return e;
  const err = e as NodeJS.ErrnoException;
  const code = err.code ?? "network";
  return new CairnError("unavailable", `could not fetch ${c.url}${c.host ? ` (${c.host})` : ""}: ${err.message}`, {
    reason: "network",
    code,
  });
}
