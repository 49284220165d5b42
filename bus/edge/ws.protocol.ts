import * as Result from "effect/Result";
import * as Schema from "effect/Schema";
import {
  MAX_FRAME_BYTES,
  MAX_JSON_DEPTH,
  ReqFrame,
  isMethod,
  jsonNestsDeeperThan,
  type Method,
  type ResFrame,
  type WireError,
} from "../../schemas/index.ts";

/**
 * Pure decoding and encoding of WebSocket frames. A frame that cannot be served is answered with a
 * `res` error instead of closing the socket, so one bad frame from a buggy client costs one error,
 * not the connection (and the client learns what was wrong).
 */

export type DecodedFrame = { ok: true; req: ReqFrame & { method: Method } } | { ok: false; id: string; error: WireError };

const utf8 = new TextDecoder("utf-8", { fatal: true });

const reject = (id: string, code: WireError["code"], message: string): DecodedFrame => ({
  ok: false,
  id,
  error: { code, message },
});

/** The request id, when the frame carries a plausible one; "" otherwise. */
const readableId = (u: unknown): string => {
  if (typeof u !== "object" || u === null) return "";
  const id = (u as { id?: unknown }).id;
  return typeof id === "string" && id.length >= 1 && id.length <= 64 ? id : "";
};

const decodeReq = Schema.decodeUnknownResult(ReqFrame, { errors: "all" });

/** Decodes one incoming frame. Never throws. */
export const decodeFrame = (data: ArrayBuffer | Uint8Array, isBinary: boolean): DecodedFrame => {
  if (data.byteLength > MAX_FRAME_BYTES) {
    // Not parsed at all: parsing is exactly the cost the limit exists to avoid.
    return reject("", "frame_too_large", `frame is ${data.byteLength} bytes; the limit is ${MAX_FRAME_BYTES}`);
  }
  if (isBinary) return reject("", "bad_frame", "binary frames are not supported; send JSON text frames");
  let text: string;
  try {
    text = utf8.decode(data);
  } catch {
    return reject("", "bad_frame", "frame is not valid UTF-8");
  }
  // Measured before parsing, without recursion: a value too deep is never built (see schemas/json.ts).
  if (jsonNestsDeeperThan(text, MAX_JSON_DEPTH)) {
    return reject("", "bad_request", `frame JSON nesting too deep (more than ${MAX_JSON_DEPTH} levels)`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return reject("", "bad_frame", "frame is not valid JSON");
  }
  const id = readableId(parsed);
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    return reject(id, "bad_frame", "frame must be a JSON object");
  }
  if ((parsed as { type?: unknown }).type !== "req") {
    return reject(id, "bad_frame", 'only {"type":"req"} frames are accepted');
  }
  const r = decodeReq(parsed);
  if (Result.isFailure(r)) return reject(id, "bad_frame", `invalid req frame: ${r.failure.message}`);
  const req = r.success;
  if (!isMethod(req.method)) return reject(req.id, "unknown_method", `unknown method ${JSON.stringify(req.method)}`);
  return { ok: true, req: { ...req, method: req.method } };
};

export const encodeOk = (id: string, payload: unknown): string =>
  JSON.stringify({ type: "res", id, ok: true, payload: payload ?? null } satisfies ResFrame);

export const encodeError = (id: string, error: WireError): string =>
  JSON.stringify({ type: "res", id, ok: false, error } satisfies ResFrame);
