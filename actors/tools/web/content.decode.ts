import { C1 } from "./html.entities.ts";

/**
 * What a response body is and how to turn its bytes into text: the media type decides between
 * HTML extraction, text as is, or a refusal; the charset comes from Content-Type, then from an
 * HTML `<meta charset>`, then a byte order mark, else UTF-8.
 */

export type ContentKind = "html" | "text" | "binary";

export interface MediaType {
  /** Lower-case "type/subtype", "" when the server sent none. */
  readonly essence: string;
  readonly charset?: string;
}

export function parseContentType(header: string | undefined): MediaType {
  if (header === undefined || header.trim() === "") return { essence: "" };
  const [type, ...params] = header.split(";");
  let charset: string | undefined;
  for (const p of params) {
    const m = /^\s*charset\s*=\s*"?([^";\s]+)"?/i.exec(p);
    if (m) charset = m[1].toLowerCase();
  }
  return { essence: type.trim().toLowerCase(), ...(charset ? { charset } : {}) };
}

const TEXTUAL = new Set([
  "application/json",
  "application/ld+json",
  "application/xml",
  "application/javascript",
  "application/ecmascript",
  "application/x-javascript",
  "application/x-sh",
  "application/toml",
  "application/yaml",
  "application/x-yaml",
  "application/sql",
  "application/graphql",
  "application/x-ndjson",
  "application/csv",
  "image/svg+xml",
]);

/** How to present a body; a missing Content-Type is sniffed from the first bytes. */
export function classify(type: MediaType, head?: Uint8Array): ContentKind {
  const e = type.essence;
  if (e === "text/html" || e === "application/xhtml+xml") return "html";
  if (e.startsWith("text/") || TEXTUAL.has(e) || /\+(json|xml|yaml)$/.test(e)) return "text";
  if (e === "" && head !== undefined) return sniff(head);
  return "binary";
}

function sniff(head: Uint8Array): ContentKind {
  const sample = head.subarray(0, 1024);
  if (sample.includes(0)) return "binary";
  const start = Buffer.from(sample).toString("latin1").trimStart().slice(0, 64).toLowerCase();
  return start.startsWith("<!doctype html") || start.startsWith("<html") ? "html" : "text";
}

/** Whether the media type is known before the body is read to be something we will not show. */
export const knownBinary = (type: MediaType): boolean => type.essence !== "" && classify(type) === "binary";

const META_CHARSET = /<meta[^>]+charset\s*=\s*["']?\s*([a-z0-9_:.-]+)/i;

/** Decodes with the declared charset; an unknown label falls back to UTF-8 rather than failing. */
export function decodeBody(bytes: Uint8Array, type: MediaType, kind: ContentKind): string {
  let label = type.charset;
  if (label === undefined && kind === "html") {
    label = META_CHARSET.exec(Buffer.from(bytes.subarray(0, 2048)).toString("latin1"))?.[1]?.toLowerCase();
    // A page that could declare itself in ASCII is not UTF-16 whatever it says (HTML spec rule).
    if (label?.startsWith("utf-16")) label = "utf-8";
  }
  if (bytes[0] === 0xfe && bytes[1] === 0xff) label = "utf-16be";
  else if (bytes[0] === 0xff && bytes[1] === 0xfe) label = "utf-16le";
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(label ?? "utf-8");
  } catch {
    decoder = new TextDecoder("utf-8");
  }
  // WHATWG maps latin1, iso-8859-1 and ascii to windows-1252, but Node 20's decoder gives
  // 0x80-0x9F their latin1 (control character) meaning: curly quotes and dashes would vanish.
  if (decoder.encoding === "windows-1252") {
    return Buffer.from(bytes)
      .toString("latin1")
      .replace(/[\x80-\x9f]/g, (c) => String.fromCodePoint(C1.get(c.charCodeAt(0)) ?? c.charCodeAt(0)));
  }
  return decoder.decode(bytes);
}
