import {
  generateAuthenticationOptions,
  generateRegistrationOptions,
  verifyAuthenticationResponse,
  verifyRegistrationResponse,
  type AuthenticationResponseJSON,
  type AuthenticatorTransportFuture,
  type RegistrationResponseJSON,
} from "@simplewebauthn/server";
import {
  CairnError,
  authFlowParams,
  decodeOrFail,
  isCairnError,
  type AuthFlow,
  type CreatedApiKey,
  type LoginResult,
  type Scope,
} from "../../schemas/index.ts";
import type { AuthCommand } from "./auth.commands.ts";
import { AUTH_ID, hasCredential, type AuthContext } from "./auth.machine.ts";
import { newApiKey, newAuthId, newSessionToken, sha256Hex } from "./auth.secrets.ts";
import { Challenges } from "./passkey.challenges.ts";
import { hashPassword, verifyPassword } from "./password.hash.ts";
import { SetupCode } from "./setup.code.ts";

export interface AuthFlowDeps {
  readonly execute: (command: AuthCommand) => Promise<unknown>;
  readonly read: () => Promise<AuthContext>;
  /** `[auth] session_expiry` in ms (default 7 days). */
  readonly sessionTtlMs: number;
  readonly now: () => number;
}

export const DEFAULT_SESSION_TTL_MS = 7 * 24 * 3600_000;

type P<F extends AuthFlow> = (typeof authFlowParams)[F]["Type"];

/**
 * The auth actor's ceremonies: they check a secret (a password against its scrypt hash, a WebAuthn
 * signature against the registered public key, the setup code) and then record the outcome as a
 * command of the auth aggregate. They run where the aggregate is owned (commands are routed there),
 * so the challenges and the setup code they keep in memory are always the ones they issued.
 */
export function createAuthFlows(d: AuthFlowDeps) {
  const challenges = new Challenges(d.now);
  const setupCode = new SetupCode(d.now);

  const startSession = async (
    method: "password" | "passkey" | "setup",
    from: { address: string; client: string },
    passkey?: { id: string; counter: number },
  ): Promise<LoginResult> => {
    const token = newSessionToken();
    const sessionId = newAuthId();
    const expiresAt = d.now() + d.sessionTtlMs;
    await d.execute({
      verb: "record_login",
      params: {
        sessionId,
        tokenHash: sha256Hex(token),
        method,
        expiresAt,
        address: from.address,
        client: from.client,
        ...(passkey ? { passkey } : {}),
      },
    });
    return { token, sessionId, expiresAt };
  };
  const failed = async (method: "password" | "passkey" | "setup", reason: string, address: string): Promise<never> => {
    await d.execute({ verb: "record_login_failed", params: { method, reason, address } });
    throw new CairnError("unauthorized", reason);
  };

  const flows: { [F in AuthFlow]: (p: P<F>) => Promise<unknown> } = {
    login: async (p) => {
      const c = await d.read();
      if (c.passwordHash === null) throw new CairnError("unauthorized", "no password is set; sign in with a passkey");
      if (!(await verifyPassword(p.password, c.passwordHash))) return failed("password", "wrong password", p.address);
      return startSession("password", p);
    },
    setup: async (p) => {
      if (hasCredential(await d.read())) throw new CairnError("setup_closed", "a password or passkey is set already; sign in instead");
      const r = setupCode.redeem(p.code);
      if (r === "none") throw new CairnError("unauthorized", "no setup code is active; run `cairn auth setup-code` for a new one");
      if (r === "wrong") return failed("setup", "wrong setup code", p.address);
      if (p.password !== undefined)
        await d.execute({ verb: "record_password", params: { hash: await hashPassword(p.password), by: "setup" } });
      return startSession("setup", p);
    },
    setup_code: async () => {
      if (hasCredential(await d.read())) {
        throw new CairnError("setup_closed", "a password or passkey is set already; `cairn auth password` resets the password");
      }
      return setupCode.issue();
    },
    logout: (p) => d.execute({ verb: "revoke_session", params: { sessionId: p.sessionId, by: p.by } }),
    sessions_revoke_all: (p) => d.execute({ verb: "revoke_all_sessions", params: { by: p.by } }),
    sessions_revoke: (p) => d.execute({ verb: "revoke_session", params: { sessionId: p.id, by: p.by } }),
    passkey_register_options: async (p) => {
      const c = await d.read();
      const options = await generateRegistrationOptions({
        rpName: "cairn",
        rpID: p.rpId,
        userName: "owner",
        userDisplayName: "cairn owner",
        attestationType: "none",
        excludeCredentials: Object.entries(c.passkeys).map(([id, k]) => ({
          id,
          transports: k.transports as AuthenticatorTransportFuture[],
        })),
        authenticatorSelection: { residentKey: "preferred", userVerification: "preferred" },
      });
      challenges.add(options.challenge, "register");
      return options;
    },
    passkey_register_verify: async (p) => {
      const v = await verifyRegistrationResponse({
        response: p.response as unknown as RegistrationResponseJSON,
        expectedChallenge: (ch) => challenges.take(ch, "register"),
        expectedOrigin: p.origin,
        expectedRPID: p.rpId,
        requireUserVerification: false,
      }).catch(webauthnError);
      if (!v.verified) throw new CairnError("unauthorized", "the passkey could not be verified");
      const cred = v.registrationInfo.credential;
      const name = p.name ?? `passkey ${new Date(d.now()).toISOString().slice(0, 10)}`;
      const params = {
        id: cred.id,
        name,
        publicKey: Buffer.from(cred.publicKey).toString("base64url"),
        counter: cred.counter,
        transports: (cred.transports ?? []).slice(0, 8),
        by: p.by,
      };
      return d.execute({ verb: "record_passkey", params });
    },
    passkey_login_options: async (p) => {
      const c = await d.read();
      if (Object.keys(c.passkeys).length === 0) throw new CairnError("unauthorized", "no passkey is registered");
      const options = await generateAuthenticationOptions({ rpID: p.rpId, userVerification: "preferred" });
      challenges.add(options.challenge, "login");
      return options;
    },
    passkey_login_verify: async (p) => {
      const response = p.response as unknown as AuthenticationResponseJSON;
      const c = await d.read();
      const id = typeof response.id === "string" ? response.id : "";
      const known = c.passkeys[id];
      if (!known) return failed("passkey", "this passkey is not registered", p.address);
      const v = await verifyAuthenticationResponse({
        response,
        expectedChallenge: (ch) => challenges.take(ch, "login"),
        expectedOrigin: p.origin,
        expectedRPID: p.rpId,
        credential: {
          id,
          publicKey: Buffer.from(known.publicKey, "base64url"),
          counter: known.counter,
          transports: known.transports as AuthenticatorTransportFuture[],
        },
        requireUserVerification: false,
      }).catch((e) => failed("passkey", webauthnReason(e), p.address));
      if (!v.verified) return failed("passkey", "the passkey signature did not verify", p.address);
      return startSession("passkey", p, { id, counter: v.authenticationInfo.newCounter });
    },
    keys_create: async (p): Promise<CreatedApiKey> => {
      const key = newApiKey();
      const id = newAuthId();
      // No scopes named: full access, as users of the seed product expect.
      const scopes: Scope[] = p.scopes ? [...new Set(p.scopes)] : ["operator.admin"];
      await d.execute({
        verb: "record_key",
        params: { id, label: p.label, scopes, hash: sha256Hex(key), prefix: key.slice(0, 10), by: p.by },
      });
      return { id, key, label: p.label, scopes };
    },
    keys_revoke: (p) => d.execute({ verb: "revoke_key", params: { id: p.id, by: p.by } }),
    passkeys_remove: (p) => d.execute({ verb: "remove_passkey", params: { id: p.id, by: p.by } }),
    password_set: async (p) => {
      const c = await d.read();
      if (c.passwordHash !== null && !p.local) {
        if (p.current === undefined || !(await verifyPassword(p.current, c.passwordHash))) {
          throw new CairnError("unauthorized", "the current password is wrong");
        }
      }
      await d.execute({ verb: "record_password", params: { hash: await hashPassword(p.password), by: p.by } });
      return { set: true };
    },
  };

  return {
    isFlow: (verb: string): verb is AuthFlow => Object.hasOwn(flows, verb),
    run: (verb: AuthFlow, params: unknown): Promise<unknown> => {
      const p = decodeOrFail(authFlowParams[verb], params, `auth ${verb} params`);
      return (flows[verb] as (p: unknown) => Promise<unknown>)(p);
    },
  };
}

export type AuthFlows = ReturnType<typeof createAuthFlows>;
export { AUTH_ID };

const webauthnReason = (e: unknown): string =>
  isCairnError(e) ? e.message : `passkey check failed: ${(e as Error).message}`.slice(0, 200);
const webauthnError = (e: unknown): never => {
  throw isCairnError(e) ? e : new CairnError("unauthorized", webauthnReason(e));
};
