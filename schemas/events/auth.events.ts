import * as Schema from "effect/Schema";
import { AuthId, AuthLabel, Scope } from "../auth.ts";

/**
 * Events of the gateway's credentials (`evt.auth.global`): the password, passkeys, API keys and
 * login sessions. Secrets never appear: the password as a memory-hard hash (scrypt, PHC string),
 * keys and session tokens as SHA-256 of 32 random bytes, passkeys as their public keys.
 */
const Sha256Hex = Schema.String.check(Schema.isPattern(/^[0-9a-f]{64}$/));
/** Who did it: `local`, `session:<id>`, `key:<label>`, `cli`. */
const By = Schema.String.check(Schema.isMaxLength(128));

export const PasswordSet = Schema.Struct({ hash: Schema.String.check(Schema.isMaxLength(512)), by: By });
export const PasskeyRegistered = Schema.Struct({
  id: AuthId,
  name: AuthLabel,
  /** COSE public key, base64url. */
  publicKey: Schema.String.check(Schema.isMaxLength(4096)),
  counter: Schema.Number,
  transports: Schema.Array(Schema.String.check(Schema.isMaxLength(32))),
  by: By,
});
export const PasskeyRemoved = Schema.Struct({ id: AuthId, by: By });
export const ApiKeyCreated = Schema.Struct({
  id: AuthId,
  label: AuthLabel,
  scopes: Schema.Array(Scope),
  hash: Sha256Hex,
  prefix: Schema.String.check(Schema.isMaxLength(16)),
  by: By,
});
export const ApiKeyRevoked = Schema.Struct({ id: AuthId, by: By });
export const LoginSucceeded = Schema.Struct({
  /** The login session this created. */
  sessionId: AuthId,
  tokenHash: Sha256Hex,
  method: Schema.Literals(["password", "passkey", "setup"]),
  /** The passkey used, with its new signature counter (a counter that goes back means a cloned key). */
  passkey: Schema.optionalKey(Schema.Struct({ id: AuthId, counter: Schema.Number })),
  expiresAt: Schema.Number,
  address: Schema.String.check(Schema.isMaxLength(64)),
  client: Schema.String.check(Schema.isMaxLength(160)),
});
export const LoginFailed = Schema.Struct({
  method: Schema.Literals(["password", "passkey", "setup"]),
  reason: Schema.String.check(Schema.isMaxLength(200)),
  address: Schema.String.check(Schema.isMaxLength(64)),
});
export const LoginSessionRevoked = Schema.Struct({ sessionId: AuthId, by: By });
/** "Log out everywhere": every login session that exists now ends. */
export const LoginSessionsRevokedAll = Schema.Struct({ by: By });

export const authEvents = {
  "auth.password_set": { version: 1, schema: PasswordSet },
  "auth.passkey_registered": { version: 1, schema: PasskeyRegistered },
  "auth.passkey_removed": { version: 1, schema: PasskeyRemoved },
  "auth.key_created": { version: 1, schema: ApiKeyCreated },
  "auth.key_revoked": { version: 1, schema: ApiKeyRevoked },
  "auth.login_succeeded": { version: 1, schema: LoginSucceeded },
  "auth.login_failed": { version: 1, schema: LoginFailed },
  "auth.session_revoked": { version: 1, schema: LoginSessionRevoked },
  "auth.sessions_revoked_all": { version: 1, schema: LoginSessionsRevokedAll },
} as const;
