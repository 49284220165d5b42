// cairn's service worker (issue 20, items 6, 7 and 9): the app shell from the cache, and Web Push.
// A visit to the app is answered from the cache at once (no network round trip before the first
// paint: on a slow phone link that round trip alone is seconds) and the cached shell is refreshed
// in the background for the next visit; with nothing cached, or for any other page, the network
// answers, and when the gateway cannot be reached a reload gets cairn's own page (which then says
// it is offline and keeps retrying) instead of the browser's error page. Content-hashed assets
// never change, so they are served from the cache once stored; the manifest and icons come from
// the network when it answers, else from the cache. Everything else (the WebSocket, /api,
// /health, /v1) is not touched.
const SHELL = "cairn-shell-v3";
const ASSETS = "cairn-assets-v1";
/** Unhashed files of the shell besides the index page: the install manifest and its icons. */
const SHELL_FILES = [
  "manifest.webmanifest",
  "icons/icon.svg",
  "icons/icon-192.png",
  "icons/icon-512.png",
  "icons/apple-touch-icon.png",
  "icons/favicon-32.png",
];
/** Hashed assets kept: the current build's and a few older ones for a tab not yet reloaded. */
const MAX_ASSETS = 40;

const shellUrl = new URL("./", self.location.href).href;

/** The index page and the assets it names, so the shell works offline right after install. */
async function precache() {
  const res = await fetch(shellUrl, { cache: "no-cache" });
  if (!res.ok) return;
  const html = await res.clone().text();
  const shell = await caches.open(SHELL);
  await shell.put(shellUrl, res);
  await Promise.all(SHELL_FILES.map((f) => shell.add(new URL(f, shellUrl).href).catch(() => undefined)));
  const assets = await caches.open(ASSETS);
  await Promise.all(assetsOf(html).map((u) => assets.add(u).catch(() => undefined)));
}

/** The hashed assets an index page names (scripts, styles, preloads). */
const assetsOf = (html) => [...html.matchAll(/(?:src|href)="\.?\/?(assets\/[^"]+)"/g)].map((m) => new URL(m[1], shellUrl).href);

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

/** The shell from the network; stored for the next visit, with the assets it names. */
async function freshShell(request) {
  const res = await fetch(request);
  if (res.ok && (res.headers.get("content-type") ?? "").startsWith("text/html")) {
    await (await caches.open(SHELL)).put(shellUrl, res.clone());
    const html = await res.clone().text();
    // A new build: its assets are fetched now, so the next visit (served from the cache) has them.
    const assets = await caches.open(ASSETS);
    await Promise.all(assetsOf(html).map(async (u) => (await assets.match(u)) ?? assets.add(u).catch(() => undefined)));
  }
  return res;
}

const isShell = (url) => url.href === shellUrl || url.href === new URL("index.html", shellUrl).href;

async function navigate(event) {
  const { request } = event;
  const url = new URL(request.url);
  url.hash = "";
  if (isShell(url)) {
    const cached = await caches.match(shellUrl);
    if (cached) {
      event.waitUntil(freshShell(request).catch(() => undefined));
      return cached;
    }
  }
  try {
    return isShell(url) ? await freshShell(request) : await fetch(request);
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

/** A shell file: fresh from the network, the cached copy when the gateway is down. */
async function shellFile(request) {
  try {
    const res = await fetch(request);
    if (res.ok) await (await caches.open(SHELL)).put(request, res.clone());
    return res;
  } catch (e) {
    const cached = await caches.match(request);
    if (cached) return cached;
    throw e;
  }
}

const isShellFile = (url) => SHELL_FILES.some((f) => url.href === new URL(f, shellUrl).href);

self.addEventListener("fetch", (event) => {
  const { request } = event;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (request.mode === "navigate") event.respondWith(navigate(event));
  else if (url.pathname.includes("/assets/")) event.respondWith(asset(request));
  else if (isShellFile(url)) event.respondWith(shellFile(request));
});

// Web Push: the gateway sends `{ title, body, tag, url }` (actors/push) when an approval waits or a
// reply finished while no tab of cairn was visible. One notification per tag: a newer one replaces it.
self.addEventListener("push", (event) => {
  let msg = {};
  try {
    msg = event.data ? event.data.json() : {};
  } catch {
    msg = { body: event.data ? event.data.text() : "" };
  }
  const title = typeof msg.title === "string" ? msg.title : "cairn";
  event.waitUntil(
    self.registration.showNotification(title, {
      body: typeof msg.body === "string" ? msg.body : "",
      tag: typeof msg.tag === "string" ? msg.tag : undefined,
      icon: new URL("icons/icon-192.png", shellUrl).href,
      badge: new URL("icons/favicon-32.png", shellUrl).href,
      data: { url: typeof msg.url === "string" ? msg.url : "" },
    }),
  );
});

// A click opens the chat it is about: in a cairn tab if one is open, else in a new window.
self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const hash = event.notification.data?.url ?? "";
  const target = new URL(hash.startsWith("#") ? hash : "", shellUrl).href;
  event.waitUntil(
    self.clients.matchAll({ type: "window", includeUncontrolled: true }).then((tabs) => {
      const tab = tabs.find((t) => t.url.startsWith(shellUrl));
      if (!tab) return self.clients.openWindow(target);
      return tab.focus().then((t) => (t && "navigate" in t ? t.navigate(target) : undefined));
    }),
  );
});
