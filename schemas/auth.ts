import * as Schema from "effect/Schema";

/**
 * Who may do what at the edge. A local client (loopback, not proxied) and a logged-in owner hold
 * every scope; an API key holds the scopes it was created with. `operator.admin` implies all.
 */
export const SCOPES = ["operator.read", "operator.write", "operator.approvals", "operator.pairing", "operator.admin"] as const;
export const Scope = Schema.Literals(SCOPES);
export type Scope = typeof Scope.Type;

export const hasScope = (held: readonly Scope[], needed: Scope): boolean => held.includes("operator.admin") || held.includes(needed);

/** How a principal proved itself. */
export type PrincipalKind = "local" | "session" | "key" | "token";

/** The caller of an edge request, as the edge resolved it. */
export interface Principal {
  readonly kind: PrincipalKind;
  /** The login session's or key's id ("local" / "token" for those). */
  readonly id: string;
  /** Shown in the log as who acted (`key:<label>`, `session:<id>`, `local`). */
  readonly label: string;
  readonly scopes: readonly Scope[];
  /** Epoch ms after which the credential no longer holds (sessions); null for keys and local. */
  readonly expiresAt: number | null;
}

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
  readonly principal: { readonly kind: PrincipalKind; readonly label: string; readonly scopes: readonly Scope[] } | null;
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
