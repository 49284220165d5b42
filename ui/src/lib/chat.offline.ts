/**
 * Registers the offline shell (`public/sw.js`): with it, a reload while the gateway is down shows
 * cairn's own page instead of the browser's error page. Service workers exist only in secure
 * contexts (https, localhost); elsewhere this does nothing and the browser's page shows.
 */
export function registerOfflineShell(): void {
  if (!("serviceWorker" in navigator) || !window.isSecureContext) return;
  // After load: the first paint does not wait for the worker's install (which fetches the shell).
  window.addEventListener("load", () => {
    navigator.serviceWorker.register("./sw.js", { scope: "./" }).catch((e: unknown) => {
      console.warn("cairn: offline shell not installed", e);
    });
  });
}
