/**
 * A gateway that serves another UI build than the one this page runs: cairn was upgraded while
 * this tab was open, or the service worker answered the visit with the page it had cached (it
 * refreshes that copy behind the visit, so the next load is the new one). The page then offers a
 * reload rather than running old code against a new gateway.
 */

/** The entry script of the build this page runs (`assets/index-1a2b3c.js`); null in the dev server. */
export function runningBuild(doc: Document = document): string | null {
  for (const s of doc.querySelectorAll<HTMLScriptElement>('script[type="module"][src]')) {
    const m = /\/(assets\/[^/?#]+\.js)(?:[?#]|$)/.exec(new URL(s.src, doc.baseURI).pathname);
    if (m) return m[1];
  }
  return null;
}

/** Whether the gateway serves another build than the page runs (unknown on either side: no). */
export const servesAnotherBuild = (served: string | undefined, running: string | null): boolean =>
  served !== undefined && running !== null && served !== running;

/**
 * Reloads into the build the gateway serves. The service worker would answer a plain reload from
 * its cached page first (perhaps not yet refreshed): that one entry is dropped (the page is cached
 * under the worker's scope, public/sw.js), so the reload asks the gateway; the rest of the
 * worker's cache (icons for the offline page) stays.
 */
export async function reloadIntoNewBuild(): Promise<void> {
  const scope = (await navigator.serviceWorker?.getRegistration())?.scope;
  if (scope && "caches" in globalThis) {
    for (const name of await caches.keys()) if (name.startsWith("cairn-shell")) await (await caches.open(name)).delete(scope);
  }
  location.reload();
}
