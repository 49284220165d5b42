import { parseCookie, stringifySetCookie } from "cookie";
import { SESSION_COOKIE } from "../../schemas/index.ts";

/**
 * The login cookie (parsed and written with jshttp's `cookie`): `HttpOnly` (no script reads it),
 * `SameSite=Strict` (no other site's page sends it: the CSRF defence, with the Origin check),
 * `Secure` when the edge is reached over TLS, `Path=/`, and a lifetime that ends with the session.
 */
export const sessionTokenOf = (cookieHeader: string): string | undefined => {
  if (cookieHeader === "") return undefined;
  const v = parseCookie(cookieHeader)[SESSION_COOKIE];
  return v !== undefined && /^[A-Za-z0-9_-]{20,100}$/.test(v) ? v : undefined;
};

export const setSessionCookie = (token: string, expiresAt: number, now: number, secure: boolean): string =>
  stringifySetCookie(SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: "strict",
    secure,
    path: "/",
    maxAge: Math.max(0, Math.floor((expiresAt - now) / 1000)),
  });

export const clearSessionCookie = (secure: boolean): string =>
  stringifySetCookie(SESSION_COOKIE, "", { httpOnly: true, sameSite: "strict", secure, path: "/", maxAge: 0 });
