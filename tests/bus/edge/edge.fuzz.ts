/**
 * What the edge fuzz throws at a real edge, shared by `edge.fuzz.test.ts` (a modest count in
 * `npm test`) and `bench/fuzz.bench.ts` (100,000 cases by hand): arbitrary WebSocket frames and
 * arbitrary HTTP requests, each checked to get a typed answer.
 *
 * To fuzz a new route or method: add it to `HTTP_ROUTES` below; WS methods come from the method
 * table itself (`methodParams`), so a new method is fuzzed as soon as it exists. Param names a
 * new method takes can go into `PARAM_KEYS`, so the fuzz also reaches past its first checks.
 */
import { connect as tcpConnect } from "node:net";
import fc from "fast-check";
import { ErrorCode, MAX_FRAME_BYTES, methodParams } from "../../../schemas/index.ts";
import type { Frame, WsClient } from "../../fixtures/ws-client.ts";

/** Every HTTP route of the edge, with the methods it serves; `json`: it parses a JSON body. */
export interface HttpRoute {
  readonly path: string;
  readonly methods: readonly string[];
  readonly json?: boolean;
}

export const HTTP_ROUTES: readonly HttpRoute[] = [
  { path: "/health", methods: ["GET"] },
  { path: "/metrics", methods: ["GET"] },
  { path: "/ws", methods: ["GET"] },
  { path: "/", methods: ["GET"] },
  { path: "/index.html", methods: ["GET"] },
  { path: "/assets/app.js", methods: ["GET"] },
  { path: "/api/nodes/pair", methods: ["POST"], json: true },
  { path: "/api/nodes/pair/status", methods: ["POST"], json: true },
  { path: "/api/auth/status", methods: ["GET"] },
  { path: "/api/auth/login", methods: ["POST"], json: true },
  { path: "/api/auth/setup", methods: ["POST"], json: true },
  { path: "/api/auth/logout", methods: ["POST"], json: true },
  { path: "/api/auth/passkey/login/options", methods: ["POST"], json: true },
  { path: "/api/auth/passkey/login/verify", methods: ["POST"], json: true },
  { path: "/api/nope", methods: ["GET", "POST"], json: true },
];

/** Every WS method the edge knows (`connect` included: a second one must be refused too). */
export const WS_METHODS: readonly string[] = Object.keys(methodParams);

/** Param names the methods take, so fuzzed params often get past "unknown key" to the values. */
export const PARAM_KEYS = [
  "sessionKey",
  "key",
  "text",
  "title",
  "limit",
  "before",
  "id",
  "runId",
  "callId",
  "messageId",
  "model",
  "decision",
  "always",
  "reason",
  "fromSeq",
  "fromTime",
  "status",
  "path",
  "nodeId",
  "node",
  "refresh",
  "protocol",
  "client",
  "sandbox",
  "open",
  "minutes",
] as const;

const CODES = new Set<string>(ErrorCode.literals);
const nested = (n: number) => "[".repeat(n) + "]".repeat(n);
const DEEP = [65, 1_000, 100_000].map(nested);
const DEEP_PARAMS = [65, 10_000].map((n) => `{"type":"req","id":"deep","method":"status","params":${nested(n)}}`);
/** Just over the frame limit: answered with `frame_too_large`, unparsed (far below the transport's own cap). */
const HUGE_FRAME = `{"type":"req","id":"huge","method":"chat.send","params":{"text":"${"x".repeat(MAX_FRAME_BYTES)}"}}`;

const scalar = fc.oneof(fc.string({ maxLength: 40 }), fc.integer(), fc.double(), fc.boolean(), fc.constant(null));
const params = fc.oneof(
  fc.jsonValue({ maxDepth: 4 }),
  fc.dictionary(fc.constantFrom(...PARAM_KEYS), fc.oneof(scalar, fc.jsonValue({ maxDepth: 3 })), { maxKeys: 5 }),
);
const reqId = fc.oneof(
  fc.string({ minLength: 1, maxLength: 64 }),
  fc.constant(""),
  fc.string({ minLength: 65, maxLength: 80 }),
  fc.integer(),
);

/** One frame to send: text (maybe not JSON, maybe not UTF-8) or binary. */
export type WsCase = { readonly opcode: 1 | 2; readonly payload: string | Uint8Array };

export const wsCase: fc.Arbitrary<WsCase> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .record({ id: reqId, method: fc.constantFrom(...WS_METHODS), params }, { requiredKeys: ["id", "method"] })
      .map((r) => ({ opcode: 1 as const, payload: JSON.stringify({ type: "req", ...r }) })),
  },
  {
    weight: 1,
    arbitrary: fc
      .record({ type: fc.constantFrom("req", "res", "event", ""), id: reqId, method: fc.string({ maxLength: 70 }), params })
      .map((r) => ({ opcode: 1 as const, payload: JSON.stringify(r) })),
  },
  { weight: 2, arbitrary: fc.jsonValue({ maxDepth: 5 }).map((v) => ({ opcode: 1 as const, payload: JSON.stringify(v) ?? "null" })) },
  { weight: 1, arbitrary: fc.string({ maxLength: 200 }).map((s) => ({ opcode: 1 as const, payload: s })) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((b) => ({ opcode: 1 as const, payload: b })) },
  { weight: 1, arbitrary: fc.uint8Array({ maxLength: 300 }).map((b) => ({ opcode: 2 as const, payload: b })) },
  { weight: 1, arbitrary: fc.constantFrom(...DEEP, ...DEEP_PARAMS).map((s) => ({ opcode: 1 as const, payload: s })) },
  { weight: 1, arbitrary: fc.constant({ opcode: 1 as const, payload: HUGE_FRAME }) },
);

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });
const isUtf8 = (b: Uint8Array) => {
  try {
    strictUtf8.decode(b);
    return true;
  } catch {
    return false;
  }
};

/** Close code RFC 6455 prescribes for a text frame that is not UTF-8 (the transport closes, not cairn). */
export const CLOSE_INVALID_PAYLOAD = 1007;

/**
 * Sends one frame and checks its answer: a `res`, `ok` or with an error code from the table.
 * "closed" only for a text frame that is not UTF-8, which the WebSocket layer must fail
 * (RFC 6455 §8.1; the caller opens a new connection); any other close fails.
 */
export async function wsRoundTrip(c: WsClient, k: WsCase): Promise<"answered" | "closed"> {
  const mayClose = k.opcode === 1 && typeof k.payload !== "string" && !isUtf8(k.payload);
  c.sendFrame(k.opcode, k.payload);
  const res = await Promise.race([c.waitFor((f) => f.type === "res", 10_000), c.closed]);
  if (!("type" in res)) {
    // node's ws closes with 1007; uWebSockets.js drops the connection without a close frame (0).
    if (mayClose && (res.code === CLOSE_INVALID_PAYLOAD || res.code === 0)) return "closed";
    throw new Error(`connection closed (${res.code} ${res.reason}) for ${describe(k.payload)}`);
  }
  checkResFrame(res, k);
  // Event frames of subscriptions the fuzz opened are not what is checked here.
  c.inbox.length = 0;
  return "answered";
}

export function checkResFrame(res: Frame, k: WsCase): void {
  const what = () => `for ${describe(k.payload)}: ${JSON.stringify(res).slice(0, 300)}`;
  if (res.ok === true) return;
  if (res.ok !== false || typeof res.error?.message !== "string" || !CODES.has(res.error?.code)) {
    throw new Error(`untyped answer ${what()}`);
  }
  if (res.error.code === "internal" || /call stack|at \S+ \(.*:\d+:\d+\)|at (file|node):/i.test(res.error.message))
    throw new Error(`internal error ${what()}`);
}

const describe = (p: string | Uint8Array) => (typeof p === "string" ? JSON.stringify(p.slice(0, 120)) : `${p.length} bytes`);

/** One HTTP request, written byte for byte (so it may be malformed on purpose). */
export interface HttpCase {
  readonly method: string;
  readonly path: string;
  readonly headers: readonly (readonly [string, string])[];
  readonly body: string | Uint8Array;
  /** Not a valid HTTP request: the server may close without answering, or leave it to its idle timeout. */
  readonly malformed: boolean;
}

const STANDARD_METHODS = ["GET", "POST", "PUT", "DELETE", "HEAD", "OPTIONS", "PATCH"];
const token = fc.stringMatching(/^[A-Z][A-Z-]{0,11}$/);
const HEADER_NAMES = [
  "Content-Type",
  "Origin",
  "Cookie",
  "Authorization",
  "X-Forwarded-For",
  "X-Forwarded-Proto",
  "Accept",
  "Range",
  "If-None-Match",
  "User-Agent",
  "X-Unknown",
];
const headerValue = fc.stringMatching(/^[\x20-\x7e]{0,60}$/);
const pathOf = fc.oneof(
  fc.constantFrom(...HTTP_ROUTES.map((r) => r.path)),
  fc.tuple(fc.constantFrom(...HTTP_ROUTES.map((r) => r.path)), fc.webQueryParameters()).map(([p, q]) => `${p}?${q}`),
  fc.webPath().map((p) => p || "/"),
  fc.constantFrom(
    "/../../etc/passwd",
    "/%2e%2e/%2e%2e/etc/passwd",
    "//health",
    "/health/",
    "/api/nodes/pair/../pair",
    "/%00",
    "/index.html%00.js",
  ),
);
const bodyOf = fc.oneof(
  fc.constant(""),
  fc.jsonValue({ maxDepth: 5 }).map((v) => JSON.stringify(v) ?? ""),
  fc.record({ request: fc.jsonValue({ maxDepth: 3 }) }).map((v) => JSON.stringify(v)),
  fc.uint8Array({ maxLength: 400 }),
  fc.constantFrom(nested(8_000), nested(100_000), "x".repeat(64 * 1024)),
);

/** Well-formed requests (a method HTTP does not define is the one exception, see below). */
export const httpCase: fc.Arbitrary<HttpCase> = fc
  .record({
    method: fc.oneof(fc.constantFrom(...STANDARD_METHODS), token),
    path: pathOf,
    headers: fc.array(fc.tuple(fc.constantFrom(...HEADER_NAMES), headerValue), { maxLength: 4 }),
    body: bodyOf,
  })
  // A method HTTP does not define is refused by the transport's parser: node:http answers 400,
  // uWebSockets.js closes the connection. Either is fine; cairn never sees it.
  .map((r) => ({ ...r, malformed: !STANDARD_METHODS.includes(r.method) }));

/**
 * Broken on purpose: bad request lines, bytes in header names. Run these concurrently: a transport
 * may leave one hanging until its idle timeout (each costs the 1 s `sendRaw` waits for them).
 */
export const malformedHttpCase: fc.Arbitrary<HttpCase> = fc.record({
  method: fc.oneof(fc.string({ maxLength: 10 }), fc.constantFrom("GET", "POST")),
  path: fc.oneof(fc.string({ maxLength: 30 }), pathOf),
  headers: fc.array(fc.tuple(fc.string({ maxLength: 12 }), fc.string({ maxLength: 30 })), { maxLength: 3 }),
  body: bodyOf,
  malformed: fc.constant(true),
});

export interface HttpAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const CRLF = "\r\n";

/** Writes the request over a fresh TCP connection; the answer, or null when the server closed without one. */
export function sendRaw(port: number, k: HttpCase): Promise<HttpAnswer | null> {
  const body = typeof k.body === "string" ? Buffer.from(k.body) : Buffer.from(k.body);
  const lines = [
    `${k.method} ${k.path} HTTP/1.1`,
    `Host: 127.0.0.1:${port}`,
    "Connection: close",
    ...k.headers.map(([n, v]) => `${n}: ${v}`),
  ];
  if (body.length > 0 || k.method === "POST") lines.push(`Content-Length: ${body.length}`);
  const head = Buffer.from(lines.join(CRLF) + CRLF + CRLF, "latin1");
  return new Promise((resolve, reject) => {
    const s = tcpConnect({ host: "127.0.0.1", port });
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (v: HttpAnswer | null) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      s.destroy();
      resolve(v);
    };
    // A malformed request may also be left hanging until the transport's idle timeout
    // (uWebSockets.js does so for a request line without a leading "/"): not an answer, not a crash.
    const timer = setTimeout(
      () => {
        if (k.malformed) return finish(null);
        done = true;
        s.destroy();
        reject(new Error(`no answer in 10 s to ${k.method} ${JSON.stringify(k.path)}`));
      },
      k.malformed ? 1_000 : 10_000,
    );
    const tryParse = (final: boolean) => {
      const a = parseAnswer(Buffer.concat(chunks), k.method === "HEAD", final);
      if (a !== undefined) finish(a);
    };
    // No half-close: servers may drop a reply to a client that already sent FIN (both do here).
    // `Connection: close` makes the server end the connection after its answer.
    s.on("connect", () => {
      s.write(Buffer.concat([head, body]));
    });
    s.on("data", (d) => {
      chunks.push(d);
      tryParse(false);
    });
    s.on("error", () => tryParse(true));
    s.on("close", () => tryParse(true));
  });
}

/** The last final (non-1xx) response in `buf`; undefined while incomplete, null when there is none at close. */
function parseAnswer(buf: Buffer, head: boolean, final: boolean): HttpAnswer | null | undefined {
  let text = buf.toString("latin1");
  for (;;) {
    const end = text.indexOf(CRLF + CRLF);
    if (end < 0) return final ? null : undefined;
    const [statusLine, ...headerLines] = text.slice(0, end).split(CRLF);
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]);
    if (!status) return final ? null : undefined;
    const rest = text.slice(end + 4);
    if (status < 200) {
      text = rest;
      continue;
    }
    const headers: Record<string, string> = {};
    for (const l of headerLines) {
      const i = l.indexOf(":");
      if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
    }
    if (head || status === 204 || status === 304) return { status, headers, body: "" };
    const length = headers["content-length"];
    if (length !== undefined) {
      const n = Number(length);
      if (Buffer.byteLength(rest, "latin1") < n) return final ? { status, headers, body: rest } : undefined;
      return { status, headers, body: Buffer.from(rest.slice(0, n), "latin1").toString("utf8") };
    }
    if (/chunked/i.test(headers["transfer-encoding"] ?? "")) {
      const decoded = dechunk(rest);
      return decoded === undefined ? (final ? { status, headers, body: rest } : undefined) : { status, headers, body: decoded };
    }
    return final ? { status, headers, body: Buffer.from(rest, "latin1").toString("utf8") } : undefined;
  }
}

function dechunk(s: string): string | undefined {
  let out = "";
  let i = 0;
  for (;;) {
    const eol = s.indexOf(CRLF, i);
    if (eol < 0) return undefined;
    const size = Number.parseInt(s.slice(i, eol), 16);
    if (Number.isNaN(size)) return undefined;
    if (size === 0) return Buffer.from(out, "latin1").toString("utf8");
    if (s.length < eol + 2 + size) return undefined;
    out += s.slice(eol + 2, eol + 2 + size);
    i = eol + 2 + size + 2;
  }
}

/**
 * The answer is typed: a real status; no 500; a JSON error body carries a code from the table and
 * no stack trace. A server may close on a malformed request without answering.
 */
export function checkHttpAnswer(a: HttpAnswer | null, k: HttpCase): void {
  const what = () => `${k.method} ${JSON.stringify(k.path).slice(0, 80)} -> ${a ? `${a.status} ${a.body.slice(0, 200)}` : "closed"}`;
  if (a === null) {
    if (k.malformed) return;
    throw new Error(`no answer: ${what()}`);
  }
  if (a.status < 200 || a.status > 599) throw new Error(`bad status: ${what()}`);
  if (/call stack|at \S+ \(.*:\d+:\d+\)|at (file|node):/i.test(a.body)) throw new Error(`stack in the body: ${what()}`);
  const json = /application\/json/i.test(a.headers["content-type"] ?? "");
  // A reply to HEAD carries headers only (RFC 9110 §9.3.2): there is no body to check.
  if (a.status >= 400 && json && k.method !== "HEAD") {
    let parsed: { error?: { code?: unknown; message?: unknown } };
    try {
      parsed = JSON.parse(a.body);
    } catch {
      throw new Error(`error body is not JSON: ${what()}`);
    }
    if (!CODES.has(String(parsed.error?.code)) || typeof parsed.error?.message !== "string") throw new Error(`untyped error: ${what()}`);
  }
  // 503/504: the bus answered "nobody serves this" or "not in time" (no node service in these runs).
  if (a.status >= 500 && !(json && (a.status === 503 || a.status === 504))) throw new Error(`server error: ${what()}`);
}

/** Resident memory of a process in MB (Linux). */
export const rssMb = async (pid: number = process.pid): Promise<number> => {
  const { readFile } = await import("node:fs/promises");
  return Number(/VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${pid}/status`, "utf8"))?.[1]) / 1024;
};
