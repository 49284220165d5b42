/**
 * A STUB, not the gateway: a small server that serves the built UI (`ui/dist`) and speaks the
 * sign-in HTTP contract (`/api/auth/*`) and the WS `connect` + `auth.*` methods, so the UI's
 * login, setup and Settings → Security pages can be driven in a browser before (and apart from)
 * the real edge. It checks no WebAuthn signature and stores the password in memory as given: the
 * real gateway's security is tested against the real gateway (the lead's security suite), never here.
 */
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { extname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { type WebSocket, WebSocketServer } from "ws";
import type { ApiKeySummary, AuthOverview, AuthStatus, LoginSessionSummary, PasskeySummary, Scope } from "../../schemas/index.ts";

const DIST = fileURLToPath(new URL("../../ui/dist/", import.meta.url));
const TYPES: Record<string, string> = { ".html": "text/html", ".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml" };
const id = (n = 12) => randomBytes(n).toString("base64url");

export type StubOptions = {
  /** The setup code; null: setup already done (a password is set to `password`). */
  setupCode?: string | null;
  password?: string;
  /** Wrong passwords allowed before `429` (then Retry-After: `retryAfter`). */
  attempts?: number;
  retryAfter?: number;
  /** Rows shown on the Security page besides the ones the test makes. */
  seed?: Partial<Pick<AuthOverview, "keys" | "passkeys">> & { sessions?: Omit<LoginSessionSummary, "current">[] };
  now?: () => number;
};

export interface AuthStub {
  url: string;
  /** The setup code currently valid. */
  setupCode: string | null;
  /** Requests the stub received, `METHOD path` (and WS methods as `ws method`). */
  log: string[];
  close(): Promise<void>;
}

type LoginSession = Omit<LoginSessionSummary, "current"> & { token: string };

export async function startAuthStub(opts: StubOptions = {}): Promise<AuthStub> {
  const now = opts.now ?? Date.now;
  let password: string | null = opts.setupCode === null ? (opts.password ?? "correct horse battery") : null;
  let setupCode: string | null = opts.setupCode === undefined ? "123456" : opts.setupCode;
  let wrong = 0;
  const passkeys: PasskeySummary[] = [...(opts.seed?.passkeys ?? [])];
  const keys: ApiKeySummary[] = [...(opts.seed?.keys ?? [])];
  const sessions = new Map<string, LoginSession>((opts.seed?.sessions ?? []).map((s) => [s.id, { ...s, token: id() }]));
  const sockets = new Map<WebSocket, string | null>();
  const log: string[] = [];

  const sessionOf = (req: IncomingMessage): LoginSession | null => {
    const m = /(?:^|;\s*)cairn_session=([^;]+)/.exec(req.headers.cookie ?? "");
    const s = m ? [...sessions.values()].find((x) => x.token === m[1]) : undefined;
    return s && s.expiresAt > now() ? s : null;
  };

  const status = (req: IncomingMessage): AuthStatus => {
    const s = sessionOf(req);
    return {
      local: false,
      authRequired: true,
      authenticated: s !== null,
      setupRequired: password === null && passkeys.length === 0,
      password: password !== null,
      passkeys: passkeys.length > 0,
      principal: s ? { kind: "session", label: `session:${s.id}`, scopes: ["operator.admin"] } : null,
    };
  };

  const send = (res: ServerResponse, code: number, body: unknown, headers: Record<string, string> = {}) => {
    res.writeHead(code, { "Content-Type": "application/json", ...headers });
    res.end(JSON.stringify(body));
  };
  const fail = (res: ServerResponse, code: number, error: string, message: string, headers: Record<string, string> = {}) =>
    send(res, code, { error: { code: error, message } }, headers);

  const signIn = (req: IncomingMessage, res: ServerResponse, method: LoginSession["method"]) => {
    const s: LoginSession = {
      id: id(),
      token: id(24),
      method,
      createdAt: now(),
      expiresAt: now() + 7 * 86_400_000,
      address: req.socket.remoteAddress ?? "?",
      client: (req.headers["user-agent"] ?? "").slice(0, 80),
    };
    sessions.set(s.id, s);
    send(res, 200, { ok: true }, { "Set-Cookie": `cairn_session=${s.token}; HttpOnly; SameSite=Strict; Path=/` });
  };

  const endSessions = (ids: string[]) => {
    for (const sid of ids) sessions.delete(sid);
    for (const [ws, sid] of sockets) if (sid && ids.includes(sid)) ws.close(1008, "session ended");
  };

  const passkeyOptions = (register: boolean) => ({
    challenge: id(32),
    timeout: 60_000,
    rpId: "localhost",
    userVerification: "preferred",
    ...(register
      ? {
          rp: { name: "cairn", id: "localhost" },
          user: { id: id(16), name: "cairn", displayName: "cairn" },
          pubKeyCredParams: [{ type: "public-key", alg: -7 }],
          authenticatorSelection: { residentKey: "required", userVerification: "preferred" },
          attestation: "none",
        }
      : { allowCredentials: [] }),
  });

  async function api(req: IncomingMessage, res: ServerResponse, path: string, body: Record<string, unknown>) {
    const route = `${req.method} ${path}`;
    if (route === "GET /api/auth/status") return send(res, 200, status(req));
    if (req.method === "POST" && req.headers["content-type"] !== "application/json") {
      return fail(res, 415, "bad_request", "POST bodies are JSON");
    }
    switch (route) {
      case "POST /api/auth/setup": {
        if (password !== null || passkeys.length > 0) return fail(res, 409, "setup_closed", "setup is done: sign in");
        if (body.code !== setupCode) return fail(res, 401, "unauthorized", "wrong or expired setup code");
        if (typeof body.password === "string" && body.password.length < 8)
          return fail(res, 400, "bad_request", "a password needs at least 8 characters");
        if (typeof body.password === "string") password = body.password;
        return signIn(req, res, "setup");
      }
      case "POST /api/auth/login": {
        if (wrong >= (opts.attempts ?? 3))
          return fail(res, 429, "rate_limited", "too many attempts", { "Retry-After": String(opts.retryAfter ?? 30) });
        if (password === null || body.password !== password) {
          wrong++;
          return fail(res, 401, "unauthorized", "wrong password");
        }
        wrong = 0;
        return signIn(req, res, "password");
      }
      case "POST /api/auth/logout": {
        const s = sessionOf(req);
        if (s) endSessions([s.id]);
        return send(res, 200, { ok: true }, { "Set-Cookie": "cairn_session=; Max-Age=0; Path=/" });
      }
      case "POST /api/auth/logout-all":
        endSessions([...sessions.keys()]);
        return send(res, 200, { ok: true }, { "Set-Cookie": "cairn_session=; Max-Age=0; Path=/" });
      case "POST /api/auth/passkey/register/options":
        if (!sessionOf(req)) return fail(res, 401, "unauthorized", "sign in first");
        return send(res, 200, passkeyOptions(true));
      case "POST /api/auth/passkey/register/verify": {
        if (!sessionOf(req)) return fail(res, 401, "unauthorized", "sign in first");
        const response = body.response as { id?: string } | undefined;
        const pk = {
          id: response?.id ?? id(),
          name: typeof body.name === "string" ? body.name : "Passkey",
          createdAt: now(),
          lastUsedAt: null,
        };
        passkeys.push(pk);
        return send(res, 200, { id: pk.id, name: pk.name });
      }
      case "POST /api/auth/passkey/login/options":
        return send(res, 200, passkeyOptions(false));
      case "POST /api/auth/passkey/login/verify": {
        const response = body.response as { id?: string } | undefined;
        const pk = passkeys.find((p) => p.id === response?.id);
        if (!pk) return fail(res, 401, "unauthorized", "unknown passkey");
        passkeys[passkeys.indexOf(pk)] = { ...pk, lastUsedAt: now() };
        return signIn(req, res, "passkey");
      }
      default:
        return fail(res, 404, "not_found", `no route ${route}`);
    }
  }

  const server: Server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    log.push(`${req.method} ${req.url}`);
    if (path.startsWith("/api/")) {
      let raw = "";
      req.on("data", (c) => (raw += c));
      req.on("end", () => {
        let body: Record<string, unknown> = {};
        try {
          body = raw ? JSON.parse(raw) : {};
        } catch {
          return fail(res, 400, "bad_request", "not JSON");
        }
        void api(req, res, path, body);
      });
      return;
    }
    const file = normalize(join(DIST, path === "/" ? "index.html" : path));
    if (!file.startsWith(DIST)) return fail(res, 404, "not_found", "no such file");
    try {
      const data = readFileSync(file);
      res.writeHead(200, { "Content-Type": TYPES[extname(file)] ?? "application/octet-stream" });
      res.end(data);
    } catch {
      fail(res, 404, "not_found", "no such file");
    }
  });

  const overview = (sid: string | null): AuthOverview => ({
    password: { set: password !== null, changedAt: null },
    passkeys,
    keys,
    sessions: [...sessions.values()].map(({ token: _, ...s }) => ({ ...s, current: s.id === sid })),
  });

  const STATUS = {
    version: "stub",
    model: "stub/model",
    modelHint: null,
    nats: { version: "2.9.10", connected: true },
    projections: { checkpoint: 0, logLastSeq: 0, lag: 0 },
  };

  function method(name: string, params: Record<string, unknown>, sid: string | null): unknown {
    switch (name) {
      case "status":
        return STATUS;
      case "sessions.subscribe":
        return { seq: 0 };
      case "sessions.list":
        return { sessions: [] };
      case "models.list":
        return { models: [], defaultModel: "stub/model" };
      case "approvals.list":
        return { approvals: [] };
      case "nodes.list":
        return { nodes: [] };
      case "auth.overview":
        return overview(sid);
      case "auth.keys.create": {
        const key = `ck_${id(32)}`;
        const scopes = (params.scopes as Scope[] | undefined) ?? ["operator.admin"];
        keys.push({
          id: id(),
          label: String(params.label),
          scopes,
          prefix: key.slice(0, 10),
          createdAt: now(),
          createdBy: "session",
          revokedAt: null,
        });
        return { id: keys.at(-1)?.id, key, label: params.label, scopes };
      }
      case "auth.keys.revoke": {
        const i = keys.findIndex((k) => k.id === params.id);
        if (i >= 0) keys[i] = { ...keys[i], revokedAt: now() };
        return { id: params.id, revoked: i >= 0 };
      }
      case "auth.passkeys.remove": {
        const i = passkeys.findIndex((p) => p.id === params.id);
        if (i >= 0) passkeys.splice(i, 1);
        return { id: params.id, removed: i >= 0 };
      }
      case "auth.sessions.revoke":
        endSessions([String(params.id)]);
        return { id: params.id, revoked: true };
      case "auth.password.set":
        if (password !== null && params.current !== password) throw { code: "unauthorized", message: "the current password is wrong" };
        password = String(params.password);
        return { set: true };
      default:
        throw { code: "unknown_method", message: `the stub does not answer ${name}` };
    }
  }

  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  server.on("upgrade", (req, socket, head) => {
    wss.handleUpgrade(req, socket, head, (ws) => {
      const session = sessionOf(req);
      sockets.set(ws, session?.id ?? null);
      ws.on("close", () => sockets.delete(ws));
      ws.on("message", (data) => {
        const f = JSON.parse(String(data)) as { id: string; method: string; params: Record<string, unknown> };
        log.push(`ws ${f.method}`);
        if (f.method === "connect") {
          if (!session || !sessions.has(session.id)) {
            ws.send(JSON.stringify({ type: "res", id: f.id, ok: false, error: { code: "unauthorized", message: "sign in first" } }));
            ws.close(1008, "unauthorized");
            return;
          }
          ws.send(
            JSON.stringify({
              type: "res",
              id: f.id,
              ok: true,
              payload: { protocol: 1, server: { name: "stub", version: "0" }, status: STATUS },
            }),
          );
          return;
        }
        try {
          const payload = method(f.method, f.params ?? {}, session?.id ?? null);
          ws.send(JSON.stringify({ type: "res", id: f.id, ok: true, payload }));
        } catch (e) {
          ws.send(JSON.stringify({ type: "res", id: f.id, ok: false, error: e }));
        }
      });
    });
  });

  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    // `localhost`, not 127.0.0.1: a secure context, so the page may use passkeys and the clipboard.
    url: `http://localhost:${port}`,
    get setupCode() {
      return setupCode;
    },
    set setupCode(c: string | null) {
      setupCode = c;
    },
    log,
    close: () =>
      new Promise<void>((resolve) => {
        for (const ws of sockets.keys()) ws.terminate();
        wss.close();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
