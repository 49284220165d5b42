import { assign, setup } from "xstate";
import type { Scope } from "../../schemas/index.ts";
import type { MachineEvent } from "../runtime/index.ts";

export const AUTH_MACHINE_VERSION = 1;
/** The gateway's one set of credentials: `evt.auth.global`. */
export const AUTH_ID = "global";

export interface PasskeyEntry {
  readonly name: string;
  readonly publicKey: string;
  readonly counter: number;
  readonly transports: readonly string[];
  readonly createdAt: number;
}
export interface KeyEntry {
  readonly label: string;
  readonly scopes: readonly Scope[];
  readonly hash: string;
  readonly revoked: boolean;
}
export interface SessionEntry {
  readonly tokenHash: string;
  readonly expiresAt: number;
}

export interface AuthContext {
  /** scrypt PHC string; null until a password is set. */
  readonly passwordHash: string | null;
  readonly passkeys: Readonly<Record<string, PasskeyEntry>>;
  readonly keys: Readonly<Record<string, KeyEntry>>;
  /** Live login sessions only: ended and expired ones are dropped, so the context stays bounded. */
  readonly sessions: Readonly<Record<string, SessionEntry>>;
}

type Ev =
  | MachineEvent<"auth.password_set">
  | MachineEvent<"auth.passkey_registered">
  | MachineEvent<"auth.passkey_removed">
  | MachineEvent<"auth.key_created">
  | MachineEvent<"auth.key_revoked">
  | MachineEvent<"auth.login_succeeded">
  | MachineEvent<"auth.login_failed">
  | MachineEvent<"auth.session_revoked">
  | MachineEvent<"auth.sessions_revoked_all">;

/** The sessions still alive at `now`, without `drop`. */
const alive = (sessions: AuthContext["sessions"], now: number, drop?: string): Record<string, SessionEntry> =>
  Object.fromEntries(Object.entries(sessions).filter(([id, s]) => id !== drop && s.expiresAt > now));

export const hasCredential = (c: AuthContext): boolean => c.passwordHash !== null || Object.keys(c.passkeys).length > 0;

/** Credentials as facts from the log. No effects: hashing and signature checks happen before a command is decided. */
export const authMachine = setup({ types: { context: {} as AuthContext, events: {} as Ev } }).createMachine({
  id: "auth",
  context: { passwordHash: null, passkeys: {}, keys: {}, sessions: {} },
  initial: "active",
  states: {
    active: {
      on: {
        "auth.password_set": { actions: assign(({ event }) => ({ passwordHash: event.data.hash })) },
        "auth.passkey_registered": {
          actions: assign(({ context, event }) => {
            const { id, name, publicKey, counter, transports } = event.data;
            return { passkeys: { ...context.passkeys, [id]: { name, publicKey, counter, transports, createdAt: event.time } } };
          }),
        },
        "auth.passkey_removed": {
          actions: assign(({ context, event }) => {
            const { [event.data.id]: _gone, ...rest } = context.passkeys;
            return { passkeys: rest };
          }),
        },
        "auth.key_created": {
          actions: assign(({ context, event }) => {
            const { id, label, scopes, hash } = event.data;
            return { keys: { ...context.keys, [id]: { label, scopes, hash, revoked: false } } };
          }),
        },
        "auth.key_revoked": {
          actions: assign(({ context, event }) => {
            const key = context.keys[event.data.id];
            return key ? { keys: { ...context.keys, [event.data.id]: { ...key, revoked: true } } } : {};
          }),
        },
        "auth.login_succeeded": {
          actions: assign(({ context, event }) => {
            const d = event.data;
            const sessions = { ...alive(context.sessions, event.time), [d.sessionId]: { tokenHash: d.tokenHash, expiresAt: d.expiresAt } };
            const pk = d.passkey ? context.passkeys[d.passkey.id] : undefined;
            if (!d.passkey || !pk) return { sessions };
            return { sessions, passkeys: { ...context.passkeys, [d.passkey.id]: { ...pk, counter: d.passkey.counter } } };
          }),
        },
        "auth.session_revoked": {
          actions: assign(({ context, event }) => ({ sessions: alive(context.sessions, event.time, event.data.sessionId) })),
        },
        "auth.sessions_revoked_all": { actions: assign({ sessions: {} }) },
        // A fact for the audit; it changes no credential.
        "auth.login_failed": {},
      },
    },
  },
});
