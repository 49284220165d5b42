/**
 * A message id the gateway accepts (/^[A-Za-z0-9_-]{1,64}$/). Chosen by the client so a resend
 * after a reconnect is recognised as the same message. `randomUUID` exists only in secure
 * contexts (https, localhost); a gateway reached over plain http on the LAN needs the fallback.
 */
export function newMessageId(): string {
  if (typeof crypto.randomUUID === "function") return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
