import * as Schema from "effect/Schema";
import {
  ApiKeyCreated,
  ApiKeyRevoked,
  CairnError,
  LoginFailed,
  LoginSessionRevoked,
  LoginSessionsRevokedAll,
  LoginSucceeded,
  PasskeyRegistered,
  PasskeyRemoved,
  PasswordSet,
} from "../../schemas/index.ts";
import { commandDecoder, type AggregateSpec, type CommandOf } from "../runtime/index.ts";
import { AUTH_MACHINE_VERSION, authMachine } from "./auth.machine.ts";

/**
 * What the auth aggregate records. Every secret was checked before a command gets here (password
 * hashes, WebAuthn signatures: `auth.flows.ts`); deciding only keeps the facts consistent.
 */
const schemas = {
  record_password: PasswordSet,
  record_passkey: PasskeyRegistered,
  remove_passkey: PasskeyRemoved,
  record_key: ApiKeyCreated,
  revoke_key: ApiKeyRevoked,
  record_login: LoginSucceeded,
  record_login_failed: LoginFailed,
  revoke_session: LoginSessionRevoked,
  revoke_all_sessions: LoginSessionsRevokedAll,
} as const;
export type AuthCommand = CommandOf<typeof schemas>;
export const AUTH_RECORD_VERBS = Object.keys(schemas);

/** API keys kept at most (revoked ones count: they stay listed for the audit). */
export const MAX_API_KEYS = 200;
export const MAX_PASSKEYS = 50;

const RevokeReply = Schema.Struct({ id: Schema.String, revoked: Schema.Boolean });
export type RevokeReply = typeof RevokeReply.Type;

export const authSpec: AggregateSpec<typeof authMachine, AuthCommand> = {
  kind: "auth",
  machine: authMachine,
  machineVersion: AUTH_MACHINE_VERSION,
  input: () => ({}),
  decodeCommand: commandDecoder("auth", schemas),
  decide: (s, c) => {
    const ctx = s.context;
    switch (c.verb) {
      case "record_password":
        return { events: [{ type: "auth.password_set", data: c.params }], reply: { set: true } };
      case "record_passkey":
        if (ctx.passkeys[c.params.id]) throw new CairnError("bad_request", "this passkey is registered already");
        if (Object.keys(ctx.passkeys).length >= MAX_PASSKEYS) throw new CairnError("bad_request", `at most ${MAX_PASSKEYS} passkeys`);
        return { events: [{ type: "auth.passkey_registered", data: c.params }], reply: { id: c.params.id, name: c.params.name } };
      case "remove_passkey":
        if (!ctx.passkeys[c.params.id]) return { events: [], reply: { id: c.params.id, removed: false } };
        return { events: [{ type: "auth.passkey_removed", data: c.params }], reply: { id: c.params.id, removed: true } };
      case "record_key":
        if (ctx.keys[c.params.id]) throw new CairnError("bad_request", "an API key with this id exists");
        if (Object.keys(ctx.keys).length >= MAX_API_KEYS) throw new CairnError("bad_request", `at most ${MAX_API_KEYS} API keys`);
        return { events: [{ type: "auth.key_created", data: c.params }], reply: { id: c.params.id } };
      case "revoke_key": {
        const key = ctx.keys[c.params.id];
        if (!key) throw new CairnError("not_found", `no API key ${c.params.id}`);
        if (key.revoked) return { events: [], reply: { id: c.params.id, revoked: false } };
        return { events: [{ type: "auth.key_revoked", data: c.params }], reply: { id: c.params.id, revoked: true } };
      }
      case "record_login": {
        const pk = c.params.passkey;
        const known = pk ? ctx.passkeys[pk.id] : undefined;
        if (pk && !known) throw new CairnError("unauthorized", "this passkey is not registered");
        // A signature counter that does not move forward means a cloned authenticator (0 = no counter).
        if (pk && known && (pk.counter !== 0 || known.counter !== 0) && pk.counter <= known.counter) {
          throw new CairnError("unauthorized", "this passkey's signature counter went backwards (a cloned authenticator?)");
        }
        return { events: [{ type: "auth.login_succeeded", data: c.params }], reply: { sessionId: c.params.sessionId } };
      }
      case "record_login_failed":
        return { events: [{ type: "auth.login_failed", data: c.params }], reply: {} };
      case "revoke_session":
        if (!ctx.sessions[c.params.sessionId]) return { events: [], reply: { id: c.params.sessionId, revoked: false } };
        return { events: [{ type: "auth.session_revoked", data: c.params }], reply: { id: c.params.sessionId, revoked: true } };
      case "revoke_all_sessions":
        return { events: [{ type: "auth.sessions_revoked_all", data: c.params }], reply: { revoked: Object.keys(ctx.sessions).length } };
    }
  },
};
