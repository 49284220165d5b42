import type { HttpRequest, HttpResponse } from "uWebSockets.js";

/**
 * HTTP plumbing shared by the routes. uWS rules that shape this file: an `HttpRequest` is valid only
 * during the synchronous handler (read everything first); an async response must register
 * `onAborted` before returning, and must not touch `res` after the client went away; writes from
 * outside the handler must be corked.
 */

export interface HttpReply {
  status: number;
  headers?: Record<string, string>;
  body: string | Uint8Array;
}

export interface RequestFacts {
  url: string;
  host: string;
  authorization: string;
  forwarded: boolean;
  remoteAddress: string;
}

const REASONS: Record<number, string> = {
  200: "OK",
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  409: "Conflict",
  429: "Too Many Requests",
  500: "Internal Server Error",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

const decoder = new TextDecoder();

/** Everything a route needs from the request, read while the request is still valid. */
export const readFacts = (res: HttpResponse, req: HttpRequest): RequestFacts => ({
  url: req.getUrl(),
  host: req.getHeader("host"),
  authorization: req.getHeader("authorization"),
  forwarded: req.getHeader("x-forwarded-for") !== "" || req.getHeader("forwarded") !== "" || req.getHeader("x-real-ip") !== "",
  remoteAddress: decoder.decode(res.getRemoteAddressAsText()),
});

/** `Host` values we are willing to echo into a header; anything else falls back to 'self' only. */
const SAFE_HOST = /^[A-Za-z0-9.-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$/;

/**
 * Headers on every response. The CSP names the WebSocket origin explicitly because older browsers
 * do not let 'self' cover ws:/wss:.
 */
export const securityHeaders = (host: string): Record<string, string> => {
  const ws = SAFE_HOST.test(host) ? ` ws://${host} wss://${host}` : "";
  return {
    "Content-Security-Policy":
      `default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; ` +
      `font-src 'self' data:; connect-src 'self'${ws}; object-src 'none'; base-uri 'self'; ` +
      `frame-ancestors 'none'; form-action 'self'`,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
  };
};

export const jsonReply = (status: number, value: unknown, headers: Record<string, string> = {}): HttpReply => ({
  status,
  headers: { "Content-Type": "application/json; charset=utf-8", "Cache-Control": "no-store", ...headers },
  body: JSON.stringify(value),
});

/** Writes a full response. Call synchronously in the handler or inside `res.cork`. */
export const writeReply = (res: HttpResponse, reply: HttpReply, host: string): void => {
  res.writeStatus(`${reply.status} ${REASONS[reply.status] ?? ""}`.trim());
  for (const [k, v] of Object.entries({ ...securityHeaders(host), ...reply.headers })) res.writeHeader(k, v);
  res.end(reply.body);
};

/**
 * Serves an async reply: registers `onAborted` first (uWS terminates the process otherwise), and
 * drops the reply when the client disconnected meanwhile.
 */
export const replyAsync = (res: HttpResponse, host: string, produce: () => Promise<HttpReply>, onDone: (status: number) => void): void => {
  let aborted = false;
  res.onAborted(() => {
    aborted = true;
  });
  void produce()
    // The cause is not echoed: it may name files or internals.
    .catch((): HttpReply => jsonReply(500, { error: { code: "internal", message: "internal error" } }))
    .then((reply) => {
      onDone(reply.status);
      if (aborted) return;
      res.cork(() => writeReply(res, reply, host));
    });
};
