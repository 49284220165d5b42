import * as Schema from "effect/Schema";

/**
 * Who may do what at the edge. A local client (loopback, not proxied) and a logged-in owner hold
 * every scope; an API key holds the scopes it was created with. `operator.admin` implies all.
 */
export const SCOPES = ["operator.read", "operator.write", "operator.approvals", "operator.pairing", "operator.admin"] as const;
export const Scope = Schema.Literals(SCOPES);
export type Scope = typeof Scope.Type;

export const hasScope = (held: readonly Scope[], needed: Scope): boolean => held.includes("operator.admin") || held.includes(needed);

/** The caller of an edge request, as the edge resolved it (`q.auth.resolve` answers one or null). */
export const Principal = Schema.Struct({
  kind: Schema.Literals(["local", "session", "key", "token"]),
  /** The login session's or key's id ("local" / "token" for those). */
  id: Schema.String,
  /** Shown in the log as who acted (`key:<label>`, `session:<id>`, `local`). */
  label: Schema.String,
  scopes: Schema.Array(Scope),
  /** Epoch ms after which the credential no longer holds (sessions); null for keys and local. */
  expiresAt: Schema.NullOr(Schema.Number),
});
export type Principal = typeof Principal.Type;

// ---- limits and formats ----
export const MIN_PASSWORD_CHARS = 8;
export const MAX_PASSWORD_CHARS = 1024;
export const Password = Schema.String.check(
  Schema.isMinLength(MIN_PASSWORD_CHARS, { message: `a password needs at least ${MIN_PASSWORD_CHARS} characters` }),
  Schema.isMaxLength(MAX_PASSWORD_CHARS),
);
export const AuthLabel = Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(64));
/** Ids of keys, login sessions and passkeys (passkey ids are WebAuthn credential ids, base64url). */
export const AuthId = Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(512), Schema.isPattern(/^[A-Za-z0-9_-]+$/));
/** An API key as given to a client: `ck_` + 43 base64url characters (32 random bytes). */
export const API_KEY_PREFIX = "ck_";
/** The cookie that carries a login session's token. */
export const SESSION_COOKIE = "cairn_session";

// ---- WebSocket methods (params) ----
export const authMethodParams = {
  "auth.overview": Schema.Struct({}),
  "auth.keys.create": Schema.Struct({ label: AuthLabel, scopes: Schema.optionalKey(Schema.Array(Scope).check(Schema.isMinLength(1))) }),
  "auth.keys.revoke": Schema.Struct({ id: AuthId }),
  "auth.passkeys.remove": Schema.Struct({ id: AuthId }),
  "auth.sessions.revoke": Schema.Struct({ id: AuthId }),
  /** `current` is required when a password is already set and the caller is not local. */
  "auth.password.set": Schema.Struct({
    password: Password,
    current: Schema.optionalKey(Schema.String.check(Schema.isMaxLength(MAX_PASSWORD_CHARS))),
  }),
} as const;

// ---- HTTP bodies (POST /api/auth/...) ----
export const SetupBody = Schema.Struct({ code: Schema.String.check(Schema.isMaxLength(64)), password: Schema.optionalKey(Password) });
export const LoginBody = Schema.Struct({ password: Schema.String.check(Schema.isMaxLength(MAX_PASSWORD_CHARS)) });
export const PasskeyRegisterOptionsBody = Schema.Struct({ name: Schema.optionalKey(AuthLabel) });
/** A WebAuthn response as @simplewebauthn/browser produces it; verified by @simplewebauthn/server. */
export const PasskeyVerifyBody = Schema.Struct({
  name: Schema.optionalKey(AuthLabel),
  response: Schema.Record(Schema.String, Schema.Unknown),
});

// ---- answers ----
/** `GET /api/auth/status`: what the UI needs to choose between the app, the login and the setup page. */
export interface AuthStatus {
  /** This client reached the gateway from loopback (no login needed unless require_on_loopback). */
  readonly local: boolean;
  /** This client must log in before it can use the gateway. */
  readonly authRequired: boolean;
  readonly authenticated: boolean;
  /** No password and no passkey exist yet: the setup code is the way in. */
  readonly setupRequired: boolean;
  readonly password: boolean;
  readonly passkeys: boolean;
  readonly principal: { readonly kind: Principal["kind"]; readonly label: string; readonly scopes: readonly Scope[] } | null;
}

export interface ApiKeySummary {
  readonly id: string;
  readonly label: string;
  readonly scopes: readonly Scope[];
  /** The first characters of the key, so a user can tell keys apart. */
  readonly prefix: string;
  readonly createdAt: number;
  readonly createdBy: string;
  readonly revokedAt: number | null;
}
export interface PasskeySummary {
  readonly id: string;
  readonly name: string;
  readonly createdAt: number;
  readonly lastUsedAt: number | null;
}
export interface LoginSessionSummary {
  readonly id: string;
  readonly method: "password" | "passkey" | "setup";
  readonly createdAt: number;
  readonly expiresAt: number;
  readonly address: string;
  /** The browser's user agent, cut short. */
  readonly client: string;
  /** The session this request came from. */
  readonly current: boolean;
}
export interface AuthOverview {
  readonly password: { readonly set: boolean; readonly changedAt: number | null };
  readonly passkeys: readonly PasskeySummary[];
  readonly keys: readonly ApiKeySummary[];
  readonly sessions: readonly LoginSessionSummary[];
}
/** `auth.keys.create`: the key itself appears here once and is never shown again. */
export interface CreatedApiKey {
  readonly id: string;
  readonly key: string;
  readonly label: string;
  readonly scopes: readonly Scope[];
}

// ---- the bus between the edge and the auth actor (`cmd.auth.global.<verb>`) ----
const Address = Schema.String.check(Schema.isMaxLength(64));
const Client = Schema.String.check(Schema.isMaxLength(160));
const By = Schema.String.check(Schema.isMaxLength(128));
const RpId = Schema.String.check(Schema.isMinLength(1), Schema.isMaxLength(253));
const Origin = Schema.String.check(Schema.isMaxLength(512));
const WebAuthnResponse = Schema.Record(Schema.String, Schema.Unknown);
/** Where a login came from, as the edge saw it. */
const From = { address: Address, client: Client };

export const authFlowParams = {
  login: Schema.Struct({ password: Schema.String.check(Schema.isMaxLength(MAX_PASSWORD_CHARS)), ...From }),
  setup: Schema.Struct({ code: Schema.String.check(Schema.isMaxLength(64)), password: Schema.optionalKey(Password), ...From }),
  setup_code: Schema.Struct({ by: By }),
  logout: Schema.Struct({ sessionId: AuthId, by: By }),
  sessions_revoke_all: Schema.Struct({ by: By }),
  passkey_register_options: Schema.Struct({ rpId: RpId }),
  passkey_register_verify: Schema.Struct({
    rpId: RpId,
    origin: Origin,
    name: Schema.optionalKey(AuthLabel),
    response: WebAuthnResponse,
    by: By,
  }),
  passkey_login_options: Schema.Struct({ rpId: RpId }),
  passkey_login_verify: Schema.Struct({ rpId: RpId, origin: Origin, response: WebAuthnResponse, ...From }),
  keys_create: Schema.Struct({ label: AuthLabel, scopes: Schema.optionalKey(Schema.Array(Scope).check(Schema.isMinLength(1))), by: By }),
  keys_revoke: Schema.Struct({ id: AuthId, by: By }),
  passkeys_remove: Schema.Struct({ id: AuthId, by: By }),
  sessions_revoke: Schema.Struct({ id: AuthId, by: By }),
  password_set: Schema.Struct({
    password: Password,
    current: Schema.optionalKey(Schema.String.check(Schema.isMaxLength(MAX_PASSWORD_CHARS))),
    /** A local caller (loopback, the CLI) may reset a forgotten password without the current one. */
    local: Schema.Boolean,
    by: By,
  }),
} as const;
export type AuthFlow = keyof typeof authFlowParams;

/** What a successful login answers the edge: the token goes into the cookie and nowhere else. */
export interface LoginResult {
  readonly token: string;
  readonly sessionId: string;
  readonly expiresAt: number;
}
/** `q.auth.credentials`: which credentials exist. */
export interface CredentialStatus {
  readonly password: boolean;
  readonly passkeys: number;
}
