import * as http from "node:http";
import * as https from "node:https";
import type { LookupFunction } from "node:net";
import type { Readable } from "node:stream";
import * as zlib from "node:zlib";
import { formatIp, parseIp } from "./ip.ranges.ts";
import type { PinnedTarget } from "./ssrf.guard.ts";

/**
 * A `lookup` that answers every question with the validated address. Node calls it with
 * `{ all: true }` when it races address families (autoSelectFamily, on by default in Node 20).
 */
export const pinnedLookup = (address: string, family: 4 | 6): LookupFunction =>
  ((_host: string, options: { all?: boolean }, callback: (...args: unknown[]) => void) => {
    if (options?.all) callback(null, [{ address, family }]);
    else callback(null, address, family);
  }) as LookupFunction;

const sameAddress = (a: string | undefined, b: string): boolean => {
  const x = a === undefined ? undefined : parseIp(a);
  return x !== undefined && formatIp(x) === b;
};

/**
 * One GET to a pinned target. The name in the URL is never resolved again: the socket connects to
 * `target.address` (TLS still verifies the certificate for the host name), and a socket that ends
 * up anywhere else is destroyed before a byte is sent. No agent: no pooled socket outlives a call.
 */
export function requestPinned(
  target: PinnedTarget,
  o: { readonly signal: AbortSignal; readonly headers: Readonly<Record<string, string>> },
): Promise<http.IncomingMessage> {
  const { url } = target;
  const mod = url.protocol === "https:" ? https : http;
  return new Promise((resolve, reject) => {
    const req = mod.request(
      {
        protocol: url.protocol,
        hostname: target.host,
        port: url.port === "" ? undefined : Number(url.port),
        path: `${url.pathname}${url.search}`,
        method: "GET",
        headers: o.headers,
        agent: false,
        lookup: pinnedLookup(target.address, target.family),
        signal: o.signal,
        ...(url.protocol === "https:" && parseIp(target.host) === undefined ? { servername: target.host } : {}),
      },
      resolve,
    );
    req.on("socket", (socket) => {
      socket.once("connect", () => {
        if (!sameAddress(socket.remoteAddress, target.address)) {
          req.destroy(new Error(`connected to ${socket.remoteAddress}, not the validated ${target.address}`));
        }
      });
    });
    req.on("error", reject);
    req.end();
  });
}

/** The body as it will be decoded: decompressed when the server compressed it. */
function decodedStream(res: http.IncomingMessage): Readable {
  const enc = String(res.headers["content-encoding"] ?? "")
    .trim()
    .toLowerCase();
  const z =
    enc === "gzip" || enc === "x-gzip"
      ? zlib.createGunzip()
      : enc === "deflate"
        ? zlib.createInflate()
        : enc === "br"
          ? zlib.createBrotliDecompress()
          : undefined;
  if (z === undefined) return res;
  res.on("error", (e) => z.destroy(e));
  return res.pipe(z);
}

/**
 * Reads at most `maxBytes` of the (decompressed) body, then stops reading and closes the
 * connection: a huge or endless body, or a decompression bomb, costs at most `maxBytes` of memory.
 */
export async function readCapped(
  res: http.IncomingMessage,
  maxBytes: number,
): Promise<{ readonly bytes: Buffer; readonly truncated: boolean }> {
  const stream = decodedStream(res);
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  try {
    for await (const chunk of stream) {
      const buf = chunk as Buffer;
      if (size + buf.length > maxBytes) {
        chunks.push(buf.subarray(0, maxBytes - size));
        size = maxBytes;
        truncated = true;
        break;
      }
      chunks.push(buf);
      size += buf.length;
    }
  } finally {
    res.destroy();
    if (stream !== res) stream.destroy();
  }
  return { bytes: Buffer.concat(chunks, size), truncated };
}

/** Drops a response whose body is not wanted (a redirect, a binary file). */
export const discard = (res: http.IncomingMessage): void => {
  res.destroy();
};
