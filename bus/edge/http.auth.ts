import * as Schema from "effect/Schema";
import {
  CairnError,
  LoginBody,
  PasskeyRegisterOptionsBody,
  PasskeyVerifyBody,
  SetupBody,
  decodeOrFail,
  hasScope,
  toWireError,
  type AuthStatus,
  type CredentialStatus,
  type LoginResult,
  type Principal,
} from "../../schemas/index.ts";
import { subjects } from "../subjects.ts";
import { crossSiteRefusal, hostnameOf, isLocalClient } from "./auth.ts";
import { jsonReply, parseJsonBody, statusOf, type HttpReply, type RequestFacts } from "./http.util.ts";
import type { LoginGuard } from "./login.guard.ts";
import { presentedBy, type Principals } from "./principals.ts";
import { clearSessionCookie, setSessionCookie } from "./session.cookie.ts";
import { BODY_TOO_LARGE, type TransportRequest } from "./transport/index.ts";
import { ask, type BusDeps } from "./ws.methods.ts";

/**
 * `/api/auth/*`: first-time setup, password and passkey login, logout. The secrets are checked by
 * the auth actor (`cmd.auth.global.<flow>`); the edge limits guesses per client, checks the Origin
 * and the JSON content type (with the SameSite=Strict cookie: no cross-site form can log anyone in
 * or out), and turns a login into the session cookie — the only place the token ever goes.
 */
export const MAX_AUTH_BODY_BYTES = 64 * 1024;

export interface AuthRouteDeps {
  bus: BusDeps;
  principals: Principals;
  guard: LoginGuard;
  allowedOrigins: readonly string[];
  /** `[auth] rp_id`: the WebAuthn relying party; default: the host name the browser used. */
  rpId: string | undefined;
  /** True when the client reached the edge over TLS (the cookie gets `Secure`). */
  secure: (f: RequestFacts) => boolean;
  /** Called when a remote client finds no credential set up (the gateway prints a setup code). */
  setupNeeded: () => void;
  now: () => number;
}

const errorReply = (e: unknown, headers: Record<string, string> = {}): HttpReply => {
  const w = toWireError(e);
  const message = w.code === "internal" ? "internal error" : w.message;
  return jsonReply(statusOf(w.code), { error: { code: w.code, message } }, headers);
};

const Credentials = Schema.Struct({ password: Schema.Boolean, passkeys: Schema.Number });
const Login = Schema.Struct({ token: Schema.String, sessionId: Schema.String, expiresAt: Schema.Number });

type Handler = (req: TransportRequest, body: unknown) => Promise<HttpReply>;

export function authRoutes(d: AuthRouteDeps) {
  const flow = (verb: string, params: unknown) => ask(d.bus, Schema.Unknown, subjects.command("auth", "global", verb), params);
  const login = (verb: string, params: unknown) => ask(d.bus, Login, subjects.command("auth", "global", verb), params);
  const from = (req: TransportRequest) => ({
    address: req.facts.remoteAddress.slice(0, 64),
    client: req.header("user-agent").slice(0, 160),
  });
  const rpId = (f: RequestFacts) => d.rpId ?? hostnameOf(f.host);
  /** The page's own origin: the browser's Origin (checked against Host already), else the Host's. */
  const origin = (req: TransportRequest) => req.header("origin") || `${d.secure(req.facts) ? "https" : "http"}://${req.facts.host}`;
  const principalOf = (req: TransportRequest) =>
    d.principals.of(
      req.facts,
      presentedBy((n) => req.header(n)),
    );

  const admin = async (req: TransportRequest): Promise<Principal> => {
    const p = await principalOf(req);
    if (!p) throw new CairnError("unauthorized", "log in first");
    if (!hasScope(p.scopes, "operator.admin")) throw new CairnError("forbidden", "this needs the operator.admin scope");
    return p;
  };

  /** A login that worked: the cookie, and the edge knows the session before the read model does. */
  const loggedIn = (req: TransportRequest, r: LoginResult): HttpReply => {
    d.principals.prime(r.token, {
      kind: "session",
      id: r.sessionId,
      label: `session:${r.sessionId}`,
      scopes: ["operator.admin"],
      expiresAt: r.expiresAt,
    });
    const cookie = setSessionCookie(r.token, r.expiresAt, d.now(), d.secure(req.facts));
    return jsonReply(200, { ok: true, expiresAt: r.expiresAt }, { "Set-Cookie": cookie });
  };

  /** Secret checks: refused early while the client is over its guess limit; a failure spends one guess. */
  const guarded =
    (h: Handler): Handler =>
    async (req, body) => {
      const address = req.facts.clientAddress;
      const wait = d.guard.retryAfter(address);
      if (wait > 0)
        return errorReply(new CairnError("rate_limited", `too many attempts; try again in ${wait} s`), { "Retry-After": String(wait) });
      try {
        return await h(req, body);
      } catch (e) {
        const w = toWireError(e);
        if (w.code === "unauthorized") d.guard.failed(address);
        throw e;
      }
    };

  const post: Record<string, Handler> = {
    "/api/auth/setup": guarded(async (req, body) => {
      const b = decodeOrFail(SetupBody, body, "setup");
      return loggedIn(req, await login("setup", { ...b, ...from(req) }));
    }),
    "/api/auth/login": guarded(async (req, body) => {
      const b = decodeOrFail(LoginBody, body, "login");
      return loggedIn(req, await login("login", { password: b.password, ...from(req) }));
    }),
    "/api/auth/logout": async (req) => {
      const p = await principalOf(req);
      if (p?.kind === "session") await flow("logout", { sessionId: p.id, by: p.label });
      return jsonReply(200, { ok: true }, { "Set-Cookie": clearSessionCookie(d.secure(req.facts)) });
    },
    "/api/auth/logout-all": async (req) => {
      const p = await admin(req);
      await flow("sessions_revoke_all", { by: p.label });
      return jsonReply(200, { ok: true }, { "Set-Cookie": clearSessionCookie(d.secure(req.facts)) });
    },
    "/api/auth/passkey/register/options": async (req, body) => {
      await admin(req);
      decodeOrFail(PasskeyRegisterOptionsBody, body, "passkey options");
      return jsonReply(200, await flow("passkey_register_options", { rpId: rpId(req.facts) }));
    },
    "/api/auth/passkey/register/verify": async (req, body) => {
      const p = await admin(req);
      const b = decodeOrFail(PasskeyVerifyBody, body, "passkey");
      const params = { rpId: rpId(req.facts), origin: origin(req), response: b.response, by: p.label, ...(b.name ? { name: b.name } : {}) };
      return jsonReply(200, await flow("passkey_register_verify", params));
    },
    "/api/auth/passkey/login/options": guarded(async (req) =>
      jsonReply(200, await flow("passkey_login_options", { rpId: rpId(req.facts) })),
    ),
    "/api/auth/passkey/login/verify": guarded(async (req, body) => {
      const b = decodeOrFail(PasskeyVerifyBody, body, "passkey");
      const params = { rpId: rpId(req.facts), origin: origin(req), response: b.response, ...from(req) };
      return loggedIn(req, await login("passkey_login_verify", params));
    }),
  };

  const status = async (req: TransportRequest): Promise<HttpReply> => {
    const [principal, creds] = await Promise.all([principalOf(req), credentials()]);
    const local = isLocalClient(req.facts);
    const setupRequired = !creds.password && creds.passkeys === 0;
    if (setupRequired && !d.principals.isTrustedLocal(req.facts)) d.setupNeeded();
    const s: AuthStatus = {
      local,
      authRequired: !d.principals.isTrustedLocal(req.facts),
      authenticated: principal !== null,
      setupRequired,
      password: creds.password,
      passkeys: creds.passkeys > 0,
      principal: principal ? { kind: principal.kind, label: principal.label, scopes: principal.scopes } : null,
    };
    return jsonReply(200, s);
  };
  /** Which credentials exist, from the auth read model. */
  const credentials = (): Promise<CredentialStatus> => ask(d.bus, Credentials, subjects.query("auth", "credentials"), {});

  /** The route for a path, or undefined when it is not an auth route. Call synchronously (it may start reading the body). */
  return (req: TransportRequest): [string, Promise<HttpReply>] | undefined => {
    const path = req.facts.url;
    if (!path.startsWith("/api/auth/")) return undefined;
    const name = `auth.${path.slice("/api/auth/".length).replaceAll("/", ".")}`;
    if (path === "/api/auth/status") {
      if (req.method !== "GET")
        return [name, Promise.resolve(jsonReply(405, { error: { code: "bad_request", message: "use GET" } }, { Allow: "GET" }))];
      return [name, status(req).catch((e) => errorReply(e))];
    }
    const h = post[path];
    if (!h) return ["api", Promise.resolve(errorReply(new CairnError("not_found", "no such endpoint")))];
    if (req.method !== "POST")
      return [name, Promise.resolve(jsonReply(405, { error: { code: "bad_request", message: "use POST" } }, { Allow: "POST" }))];
    const crossSite = crossSiteRefusal((n) => req.header(n), req.facts.host, d.allowedOrigins);
    if (crossSite) return [name, Promise.resolve(errorReply(crossSite))];
    const reply = req.readBody(MAX_AUTH_BODY_BYTES).then(async (raw) => {
      if (raw === BODY_TOO_LARGE) return errorReply(new CairnError("bad_request", `the body is larger than ${MAX_AUTH_BODY_BYTES} bytes`));
      try {
        return await h(req, raw.length === 0 ? {} : parseJsonBody(raw));
      } catch (e) {
        return errorReply(e);
      }
    });
    return [name, reply];
  };
}
