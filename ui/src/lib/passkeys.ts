import type {
  PublicKeyCredentialCreationOptionsJSON,
  PublicKeyCredentialRequestOptionsJSON,
  startAuthentication,
  startRegistration,
} from "@simplewebauthn/browser";
import type { AuthApi } from "./auth.ts";

/**
 * The two WebAuthn ceremonies, each a round trip: the gateway's options, the browser's prompt,
 * the gateway's verdict. The ceremony functions are injected for tests; the browser's by default.
 */
export type Ceremonies = {
  startRegistration: typeof startRegistration;
  startAuthentication: typeof startAuthentication;
};

// The library is a chunk of its own, fetched at the first ceremony: the chat's first load does not carry it.
const browserCeremonies: Ceremonies = {
  startRegistration: async (o) => (await import("@simplewebauthn/browser")).startRegistration(o),
  startAuthentication: async (o) => (await import("@simplewebauthn/browser")).startAuthentication(o),
};

/** Passkeys need WebAuthn and a secure context (https, or localhost); the check `browserSupportsWebAuthn` makes. */
export const passkeysAvailable = (): boolean =>
  typeof window !== "undefined" && window.isSecureContext && typeof window.PublicKeyCredential === "function";

/** Makes a passkey on this device and stores it with the gateway (the caller is signed in or local). */
export async function registerPasskey(
  api: AuthApi,
  name?: string,
  c: Ceremonies = browserCeremonies,
): Promise<{ id: string; name: string }> {
  const optionsJSON = (await api.passkeyRegisterOptions(name)) as PublicKeyCredentialCreationOptionsJSON;
  const response = await c.startRegistration({ optionsJSON });
  return api.passkeyRegisterVerify(response, name);
}

/** Signs in with a passkey; the gateway sets the session cookie. */
export async function signInWithPasskey(api: AuthApi, c: Ceremonies = browserCeremonies): Promise<void> {
  const optionsJSON = (await api.passkeyLoginOptions()) as PublicKeyCredentialRequestOptionsJSON;
  const response = await c.startAuthentication({ optionsJSON });
  await api.passkeyLoginVerify(response);
}
