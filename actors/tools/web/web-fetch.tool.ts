import { promises as dns } from "node:dns";
import * as Schema from "effect/Schema";
import { defineTool, type Tool } from "../tool.registry.ts";
import { decodeBody } from "./content.decode.ts";
import { guardedFetch, type FetchedPage } from "./guarded.fetch.ts";
import { htmlToText } from "./html.text.ts";
import { compilePolicy, type Resolve } from "./ssrf.guard.ts";

export const DEFAULT_MAX_BYTES = 2 * 1024 * 1024;
export const DEFAULT_TIMEOUT_MS = 20_000;
export const DEFAULT_MAX_CHARS = 40_000;
/** The most a model may ask for in one call, whatever the configured default. */
export const MAX_CHARS_LIMIT = 100_000;
export const MAX_REDIRECTS = 5;
/** How much of an error page (non-2xx) the model sees. */
export const ERROR_SNIPPET_CHARS = 2_000;

/** `[tools.web_fetch]` settings; every field has a default. */
export interface WebFetchOptions {
  /** Host patterns (`example.com`, `*.example.com`); when non-empty only these hosts are fetched. */
  readonly allowlist?: readonly string[];
  /** Hosts or CIDRs the user trusts although they are private (a home server); the rest is refused. */
  readonly allowPrivate?: readonly string[];
  readonly maxBytes?: number;
  readonly timeoutMs?: number;
  readonly maxChars?: number;
  readonly maxRedirects?: number;
  /** Resolves a host name to every address; default `dns.lookup(host, { all: true })`. */
  readonly resolve?: Resolve;
}

const Count = (min: number, max: number) => Schema.Int.check(Schema.isGreaterThanOrEqualTo(min), Schema.isLessThanOrEqualTo(max));

export const WebFetchParams = Schema.Struct({
  url: Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(8192)).annotate({
    description: "The http:// or https:// URL to fetch.",
  }),
  max_chars: Schema.optionalKey(
    Count(100, MAX_CHARS_LIMIT).annotate({ description: `Most characters of text to return. Default ${DEFAULT_MAX_CHARS}.` }),
  ),
  start_index: Schema.optionalKey(
    Schema.Int.check(Schema.isGreaterThanOrEqualTo(0)).annotate({
      description: "Character offset to start from, to continue a truncated result. Default 0.",
    }),
  ),
  raw: Schema.optionalKey(Schema.Boolean.annotate({ description: "Return the HTML source instead of the extracted text. Default false." })),
});

const defaultResolve: Resolve = (host) => dns.lookup(host, { all: true, verbatim: true });

const size = (bytes: number): string =>
  bytes >= 1024 * 1024
    ? `${+(bytes / 1024 / 1024).toFixed(1)} MiB`
    : bytes >= 1024
      ? `${+(bytes / 1024).toFixed(1)} KiB`
      : `${bytes} bytes`;

/**
 * `web_fetch`: GET a public web page and return its readable text. Not dangerous (no approval)
 * but guarded: private, loopback, link-local and metadata addresses are refused in every spelling,
 * on every redirect, and the connection goes to the address that was checked (no DNS rebinding).
 */
export const webFetchTool = (o: WebFetchOptions = {}): Tool<typeof WebFetchParams.Type> => {
  const policy = compilePolicy(o);
  const limits = {
    maxBytes: o.maxBytes ?? DEFAULT_MAX_BYTES,
    timeoutMs: o.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    maxRedirects: o.maxRedirects ?? MAX_REDIRECTS,
  };
  const resolve = o.resolve ?? defaultResolve;
  const defaultChars = Math.min(o.maxChars ?? DEFAULT_MAX_CHARS, MAX_CHARS_LIMIT);
  return defineTool({
    name: "web_fetch",
    description:
      "Fetch a public web page (http/https) and return its readable text: title, headings as #, lists, links as text (url), " +
      "code blocks and tables; JSON, XML and plain text come back as they are. The first line gives the final URL, the HTTP " +
      `status and the content type. Long pages are cut at ${defaultChars} characters (continue with start_index). ` +
      "Private and local network addresses are refused.",
    source: "builtin",
    dangerous: false,
    params: WebFetchParams,
    async run(args, ctx) {
      const page = await guardedFetch(args.url, { policy, resolve, limits, signal: ctx.signal });
      return present(page, {
        raw: args.raw ?? false,
        start: args.start_index ?? 0,
        maxChars: args.max_chars ?? defaultChars,
        maxBytes: limits.maxBytes,
      });
    },
  });
};

/** The result text: a header line, the title, the text window, and markers for whatever was cut. */
export function present(
  page: FetchedPage,
  o: { readonly raw: boolean; readonly start: number; readonly maxChars: number; readonly maxBytes: number },
): { output: string; truncated?: boolean } {
  const ok = page.status >= 200 && page.status < 300;
  const lines = [
    `URL: ${page.url} | status: ${page.status}${page.statusText ? ` ${page.statusText}` : ""} | content-type: ${page.contentType || "(none)"}`,
  ];
  if (page.redirects.length > 0)
    lines.push(`(redirected from ${page.redirects[0]}${page.redirects.length > 1 ? ` in ${page.redirects.length} steps` : ""})`);
  if (page.kind === "binary") {
    lines.push(`(body not shown: ${page.media.essence || "unknown content"} is not text)`);
    return { output: lines.join("\n") };
  }
  const decoded = decodeBody(page.bytes, page.media, page.kind);
  let text = decoded;
  if (page.kind === "html" && !o.raw) {
    const h = htmlToText(decoded, page.url);
    if (h.title) lines.push(`Title: ${h.title}`);
    text = h.text;
  }
  let truncated = page.truncated;
  lines.push("");
  if (!ok) {
    // An error page matters for its gist (a 404 message, an API error body), not in full.
    const snippet = cut(text, 0, Math.min(o.maxChars, ERROR_SNIPPET_CHARS));
    lines.push(snippet.text === "" ? "(empty body)" : snippet.text);
    if (snippet.end < text.length) lines.push(`[error body cut at ${snippet.end} of ${text.length} characters]`);
    return { output: lines.join("\n") };
  }
  if (text.trim() === "") lines.push(page.kind === "html" && !o.raw ? "(no readable text on this page; try raw: true)" : "(empty body)");
  else if (o.start >= text.length && o.start > 0) {
    lines.push(`(start_index ${o.start} is past the end: the text has ${text.length} characters)`);
  } else {
    const w = cut(text, o.start, o.maxChars);
    lines.push(w.text);
    if (w.end < text.length) {
      truncated = true;
      lines.push(
        `\n[truncated: showing characters ${o.start}-${w.end} of ${text.length}; call web_fetch again with start_index=${w.end} to continue]`,
      );
    }
  }
  if (page.truncated) {
    lines.push(`\n[body truncated: the response is larger than ${size(o.maxBytes)}; only the first ${size(o.maxBytes)} were read]`);
  }
  return truncated ? { output: lines.join("\n"), truncated: true } : { output: lines.join("\n") };
}

/** A window of `text` that never splits a surrogate pair. */
function cut(text: string, start: number, max: number): { text: string; end: number } {
  let end = Math.min(text.length, start + max);
  if (end < text.length && /[\uD800-\uDBFF]/.test(text[end - 1] ?? "")) end--;
  return { text: text.slice(start, end), end };
}
