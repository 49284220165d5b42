import type { GatewayClient } from "./client.ts";

/**
 * Tells the gateway whether this tab is looked at (visible and focused), on every change and after
 * every (re)connect, so a push goes out only when no tab is.
 */
export function reportPresence(client: GatewayClient): void {
  let last: boolean | null = null;
  const report = (force = false) => {
    const visible = document.visibilityState === "visible" && document.hasFocus();
    if (!force && visible === last) return;
    last = visible;
    client.request("push.presence", { visible }).catch(() => {
      last = null;
    });
  };
  client.onConnected(() => report(true));
  document.addEventListener("visibilitychange", () => report());
  window.addEventListener("focus", () => report());
  window.addEventListener("blur", () => report());
}
