import { CairnError, parseJsonBounded, type ErrorCode } from "../../schemas/index.ts";
import type { HttpReply } from "./transport/index.ts";

/**
 * HTTP values shared by the routes: JSON replies and the security headers. The reply and request
 * types belong to the transport port (`transport/`); nothing here knows which server library runs.
 */

export type { HttpReply, RequestFacts } from "./transport/index.ts";

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

/** The reply with the security headers under its own (a route's header wins on a clash). */
export const withSecurityHeaders = (reply: HttpReply, host: string): HttpReply => ({
  ...reply,
  headers: { ...securityHeaders(host), ...reply.headers },
});

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * A request body as JSON, for every route that takes one: depth-bounded before parsing (a body of
 * 100,000 `[` is a `bad_request`, never a stack overflow) and strict UTF-8. Throws
 * `CairnError("bad_request")`. Read the body with a byte cap first (`readBody(max)`).
 */
export const parseJsonBody = (body: Uint8Array, what = "the body"): unknown => {
  let text: string;
  try {
    text = strictUtf8.decode(body);
  } catch {
    throw new CairnError("bad_request", `${what} is not valid UTF-8`);
  }
  return parseJsonBounded(text, what);
};

/** The HTTP status of an error code, for every route (500 for what is not the client's doing). */
const STATUS: Partial<Record<ErrorCode, number>> = {
  bad_request: 400,
  unauthorized: 401,
  forbidden: 403,
  pairing_closed: 403,
  not_found: 404,
  node_not_found: 404,
  session_not_found: 404,
  node_key_mismatch: 409,
  attachment_not_found: 404,
  attachment_too_large: 413,
  attachment_unsupported: 415,
  model_no_vision: 400,
  setup_closed: 409,
  rate_limited: 429,
  unavailable: 503,
  timeout: 504,
};
export const statusOf = (code: ErrorCode): number => STATUS[code] ?? 500;
