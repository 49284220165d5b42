// cairn's offline shell (issue 20, item 6), and nothing more: when the gateway cannot be reached,
// a reload gets cairn's own page (which then says it is offline and keeps retrying) instead of the
// browser's error page. Navigations go to the network first, so an online page is always fresh;
// content-hashed assets never change, so they are served from the cache once stored. Everything
// else (the WebSocket, /api, /health, /v1) is not touched. Caching for speed, install prompts and
// push are the PWA work (item 7); it may replace this file.
const SHELL = "cairn-shell-v1";
const ASSETS = "cairn-assets-v1";
/** Hashed assets kept: the current build's and a few older ones for a tab not yet reloaded. */
const MAX_ASSETS = 40;

const shellUrl = new URL("./", self.location.href).href;

/** The index page and the assets it names, so the shell works offline right after install. */
async function precache() {
  const res = await fetch(shellUrl, { cache: "no-cache" });
  if (!res.ok) return;
  const html = await res.clone().text();
  await (await caches.open(SHELL)).put(shellUrl, res);
  const names = [...html.matchAll(/(?:src|href)="\.?\/?(assets\/[^"]+)"/g)].map((m) => new URL(m[1], shellUrl).href);
  const assets = await caches.open(ASSETS);
  await Promise.all(names.map((u) => assets.add(u).catch(() => undefined)));
}

self.addEventListener("install", (event) => {
  event.waitUntil(precache().then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) => Promise.all(keys.filter((k) => k.startsWith("cairn-") && k !== SHELL && k !== ASSETS).map((k) => caches.delete(k))))
      .then(() => self.clients.claim()),
  );
});

const OFFLINE_PAGE = `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark"><title>cairn — offline</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 36rem; margin: 4rem auto; padding: 0 1rem">
<h1>cairn is not reachable</h1><p>The gateway did not answer. Start it (<code>cairn</code>) or check the connection, then reload this page.</p>
</body></html>`;

async function navigate(request) {
  try {
    const res = await fetch(request);
    if (res.ok && (res.headers.get("content-type") ?? "").startsWith("text/html")) {
      await (await caches.open(SHELL)).put(shellUrl, res.clone());
    }
    return res;
  } catch {
    const cached = await caches.match(shellUrl);
    return cached ?? new Response(OFFLINE_PAGE, { status: 503, headers: { "Content-Type": "text/html; charset=utf-8" } });
  }
}

async function asset(request) {
  const cached = await caches.match(request);
  if (cached) return cached;
  const res = await fetch(request);
  if (res.ok) {
    const cache = await caches.open(ASSETS);
    await cache.put(request, res.clone());
    const keys = await cache.keys();
    for (const old of keys.slice(0, Math.max(0, keys.length - MAX_ASSETS))) await cache.delete(old);
  }
  return res;
}

self.addEventListener("fetch", (event) => {
  const { request } = event;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") event.respondWith(navigate(request));
  else if (url.pathname.includes("/assets/")) event.respondWith(asset(request));
});
