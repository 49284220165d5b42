import { readFile, realpath, stat } from "node:fs/promises";
import { extname, join, posix, resolve, sep } from "node:path";
import type { HttpReply } from "./http.util.ts";

/**
 * Serves the built UI (`ui/dist`). Unknown page paths fall back to `index.html` (the SPA routes on
 * the client); missing files with an extension stay 404 so a broken asset link is visible.
 */

const TYPES: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json; charset=utf-8",
  ".map": "application/json; charset=utf-8",
  ".webmanifest": "application/manifest+json",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".jpeg": "image/jpeg",
  ".gif": "image/gif",
  ".webp": "image/webp",
  ".avif": "image/avif",
  ".ico": "image/x-icon",
  ".woff": "font/woff",
  ".woff2": "font/woff2",
  ".ttf": "font/ttf",
  ".wasm": "application/wasm",
  ".txt": "text/plain; charset=utf-8",
};

/**
 * The UI build `uiDir` holds: the entry script its index.html names (`assets/index-1a2b3c.js`), null
 * when there is none. Read at each `connect` (a rebuild while the gateway runs counts): a page
 * running another build (a tab open across an upgrade, a service worker's cached page) offers a reload.
 */
export const uiBuildOf = async (uiDir: string): Promise<string | null> => {
  const html = await readFile(join(uiDir, "index.html"), "utf8").catch(() => "");
  return /<script\b[^>]*\btype="module"[^>]*\bsrc="(?:\.\/|\/)?(assets\/[^"]+\.js)"/.exec(html)?.[1] ?? null;
};

export const contentType = (path: string): string => TYPES[extname(path).toLowerCase()] ?? "application/octet-stream";

export type StaticTarget = { kind: "file"; rel: string } | { kind: "bad"; reason: string };

/**
 * Maps a raw request path to a path relative to the UI root, or refuses it. Pure. Refuses any `..`
 * segment after percent-decoding (so `%2e%2e` too), backslashes, NUL and dotfiles, instead of
 * normalizing them away: a request that tries to climb out is an attack, not a typo.
 */
export const staticTarget = (rawPath: string): StaticTarget => {
  let path: string;
  try {
    path = decodeURIComponent(rawPath);
  } catch {
    return { kind: "bad", reason: "malformed percent-encoding" };
  }
  if (!path.startsWith("/") || path.includes("\0") || path.includes("\\")) return { kind: "bad", reason: "invalid path" };
  const segments = path.split("/");
  if (segments.some((s) => s === "..")) return { kind: "bad", reason: "path traversal" };
  if (segments.some((s) => s.startsWith(".") && s !== ".")) return { kind: "bad", reason: "hidden file" };
  const rel = posix.normalize(path).replace(/^\/+/, "");
  return { kind: "file", rel: rel === "" ? "index.html" : rel };
};

const notBuiltPage = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>cairn</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 4rem auto;">
<h1>cairn is running</h1>
<p>The web UI is not built. Run <code>npm run build:ui</code>, then reload this page.</p>
<p>The gateway itself works: see <a href="/health">/health</a>.</p>
</body></html>
`;

const text = (status: number, body: string): HttpReply => ({
  status,
  headers: { "Content-Type": "text/plain; charset=utf-8", "Cache-Control": "no-store" },
  body,
});

/** A regular file inside `root` (symlinks resolved), or undefined. */
const fileInside = async (root: string, rel: string): Promise<string | undefined> => {
  try {
    const real = await realpath(join(root, rel));
    if (!real.startsWith(root + sep)) return undefined;
    return (await stat(real)).isFile() ? real : undefined;
  } catch {
    return undefined;
  }
};

/**
 * The precompressed copy to send for `Accept-Encoding` (`ui/precompress.ts` writes them at build):
 * brotli before gzip, a coding with `q=0` refused. Identity otherwise.
 */
export const pickEncoding = (acceptEncoding: string): Array<{ coding: "br" | "gzip"; ext: ".br" | ".gz" }> => {
  const q = new Map<string, number>();
  for (const part of acceptEncoding.toLowerCase().split(",")) {
    const [name, ...params] = part.trim().split(";");
    const qp = params.map((p) => p.trim()).find((p) => p.startsWith("q="));
    const value = qp ? Number(qp.slice(2)) : 1;
    if (name) q.set(name.trim(), Number.isFinite(value) ? value : 0);
  }
  const ok = (c: string) => (q.get(c) ?? 0) > 0;
  return [
    ...(ok("br") ? [{ coding: "br" as const, ext: ".br" as const }] : []),
    ...(ok("gzip") ? [{ coding: "gzip" as const, ext: ".gz" as const }] : []),
  ];
};

/**
 * `file`'s body in the best coding the client takes. A compressed copy older than its original is
 * stale (a hand-edited dist) and is not used. Every compressible answer says `Vary: Accept-Encoding`,
 * so a shared cache never hands brotli to a client that did not ask for it.
 */
const encodedBody = async (file: string, acceptEncoding: string): Promise<{ body: Buffer; headers: Record<string, string> }> => {
  const original = await stat(file);
  let varies = false;
  for (const { coding, ext } of pickEncoding(acceptEncoding)) {
    const copy = await stat(file + ext).catch(() => undefined);
    if (!copy?.isFile()) continue;
    varies = true;
    if (copy.mtimeMs < original.mtimeMs) continue;
    return { body: await readFile(file + ext), headers: { "Content-Encoding": coding, Vary: "Accept-Encoding" } };
  }
  if (!varies)
    varies = await stat(`${file}.gz`).then(
      (s) => s.isFile(),
      () => false,
    );
  return { body: await readFile(file), headers: varies ? { Vary: "Accept-Encoding" } : {} };
};

const cacheControl = (rel: string): string =>
  // Vite puts content-hashed names under assets/: they never change, so cache them forever.
  rel.startsWith("assets/") ? "public, max-age=31536000, immutable" : "no-cache";

/** Answers `GET <rawPath>` from `uiDir`, precompressed when the client accepts it. */
export const serveStatic = async (uiDir: string, rawPath: string, acceptEncoding = ""): Promise<HttpReply> => {
  const target = staticTarget(rawPath);
  if (target.kind === "bad") return text(400, `bad request: ${target.reason}\n`);
  let root: string;
  try {
    root = await realpath(resolve(uiDir));
  } catch {
    root = resolve(uiDir);
  }
  const index = await fileInside(root, "index.html");
  if (!index) {
    if (extname(target.rel) !== "" && target.rel !== "index.html") return text(404, "not found\n");
    return { status: 200, headers: { "Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store" }, body: notBuiltPage };
  }
  const file = await fileInside(root, target.rel);
  if (file) {
    const { body, headers } = await encodedBody(file, acceptEncoding);
    return { status: 200, headers: { "Content-Type": contentType(file), "Cache-Control": cacheControl(target.rel), ...headers }, body };
  }
  if (extname(target.rel) !== "" || target.rel.startsWith("api/")) return text(404, "not found\n");
  const { body, headers } = await encodedBody(index, acceptEncoding);
  return { status: 200, headers: { "Content-Type": TYPES[".html"], "Cache-Control": "no-cache", ...headers }, body };
};
