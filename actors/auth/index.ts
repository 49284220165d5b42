/** The gateway's credentials: password, passkeys, API keys and login sessions (one aggregate, `global`). */
export { authSpec, AUTH_RECORD_VERBS, MAX_API_KEYS, type AuthCommand } from "./auth.commands.ts";
export { AUTH_ID, AUTH_MACHINE_VERSION, authMachine, hasCredential, type AuthContext } from "./auth.machine.ts";
export { createAuthFlows, DEFAULT_SESSION_TTL_MS, type AuthFlows } from "./auth.flows.ts";
export { hashPassword, verifyPassword, SCRYPT } from "./password.hash.ts";
