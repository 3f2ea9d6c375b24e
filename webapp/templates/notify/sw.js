// Mijn Week's service worker: reminders, and the week when there is no signal.
//
// Static files (content-hashed names under /assets/) come from the cache first. Pages go to
// the network first and fall back to the copy last seen, marked with when it was saved, so
// the page can say "offline, last updated HH:MM"; a page never seen gives the offline page.
// Personal pages live in one cache that the page empties on sign-out (phones are shared).
// A new version waits until the person taps "Refresh", so no page mixes two versions.
// A push always shows a notification (iOS revokes the subscription of a site whose pushes
// show nothing), inside event.waitUntil.
const VERSION = {{ version|tojson }};
const STATIC_CACHE = "static-" + VERSION;
const PAGES_CACHE = "pages";
const PRECACHE = {{ precache|tojson }};
const OFFLINE_URL = {{ offline_url|tojson }};
const PERSONAL_PAGES = {{ personal_prefixes|tojson }};
const FALLBACK = {{ fallback|tojson }};

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(STATIC_CACHE);
    await cache.addAll(PRECACHE.concat([OFFLINE_URL]));
    if (!self.registration.active) await self.skipWaiting();  // the first version needs no prompt
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const names = await caches.keys();
    await Promise.all(names.filter((name) => name.startsWith("static-") && name !== STATIC_CACHE)
      .map((name) => caches.delete(name)));
    await self.clients.claim();
  })());
});

function isPersonalPage(url) {
  return url.origin === self.location.origin &&
    PERSONAL_PAGES.some((prefix) => url.pathname === prefix || url.pathname.startsWith(prefix + "/"));
}

async function savePage(url, response) {
  // Only a page that really is the one asked for: not a redirect to the sign-in page, nothing
  // from elsewhere ("default" is a page handed over by the page itself).
  if (!response.ok || response.redirected || !["basic", "default"].includes(response.type)) return;
  const headers = new Headers(response.headers);
  headers.set("X-Saved-At", new Date().toISOString());
  const body = await response.clone().arrayBuffer();
  const cache = await caches.open(PAGES_CACHE);
  await cache.put(url, new Response(body, { status: response.status, headers: headers }));
}

async function savedPage(url) {
  const cache = await caches.open(PAGES_CACHE);
  const saved = await cache.match(url);
  if (!saved) return null;
  const html = (await saved.text()).replace("<body ", '<body data-offline-since="' +
    (saved.headers.get("X-Saved-At") || "") + '" ');
  return new Response(html, { status: 200, headers: { "Content-Type": "text/html; charset=utf-8" } });
}

async function offlinePage() {
  const cache = await caches.open(PAGES_CACHE);
  return (await cache.match(OFFLINE_URL)) || (await caches.match(OFFLINE_URL)) ||
    new Response("", { status: 503 });
}

async function networkFirst(request) {
  const url = new URL(request.url);
  url.hash = "";
  try {
    const response = await fetch(request);
    if (isPersonalPage(url)) await savePage(url.href, response.clone());
    return response;
  } catch (error) {
    return (await savedPage(url.href)) || offlinePage();
  }
}

async function cacheFirst(request) {
  const cache = await caches.open(STATIC_CACHE);
  const cached = await cache.match(request);
  if (cached) return cached;
  const response = await fetch(request);
  if (response.ok) await cache.put(request, response.clone());
  return response;
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  if (url.pathname.startsWith("/assets/") || url.pathname.startsWith("/icons/")) {
    event.respondWith(cacheFirst(request));
  } else if (request.mode === "navigate") {
    event.respondWith(networkFirst(request));
  }
  // Everything else (htmx swaps, the push API) goes to the network as usual; when a swap
  // finds no network, the page opens the address as a whole page, which lands above.
});

self.addEventListener("message", (event) => {
  const data = event.data || {};
  if (data.type === "refresh") {
    self.skipWaiting();
  } else if (data.type === "save-pages" && Array.isArray(data.urls)) {
    // The page asks to keep these too (next week), while there is signal; a page shown before
    // this worker took over comes with its own HTML.
    const shown = new URL(String(data.page || ""), self.location.origin);
    const kept = typeof data.html === "string" && isPersonalPage(shown) ? savePage(shown.href, new Response(
      data.html, { headers: { "Content-Type": "text/html; charset=utf-8" } })) : Promise.resolve();
    event.waitUntil(Promise.all([kept].concat(data.urls.map(async (path) => {
      const url = new URL(path, self.location.origin);
      if (url.origin !== self.location.origin) return;
      try {
        const response = await fetch(url.href, { credentials: "same-origin" });
        if (url.pathname === OFFLINE_URL || isPersonalPage(url)) await savePage(url.href, response);
      } catch (error) { /* no signal now: next time */ }
    }))));
  }
});

function readPayload(event) {
  try {
    return event.data ? event.data.json() : null;
  } catch (error) {
    return null;
  }
}

self.addEventListener("push", (event) => {
  const payload = readPayload(event);
  const lang = (payload && payload.lang) || (self.navigator.language || "nl").slice(0, 2);
  const words = FALLBACK[lang] || FALLBACK.nl;
  const title = (payload && payload.title) || words.title;
  const options = {
    body: (payload && payload.body) || words.body,
    tag: (payload && payload.tag) || "mijn-week",
    lang: lang,
    dir: (payload && payload.dir) || (lang === "ar" ? "rtl" : "ltr"),
    icon: "/icons/icon-192.png",
    badge: "/icons/badge-96.png",
    renotify: false,
    data: { url: (payload && payload.url) || "/week" },
  };
  event.waitUntil(self.registration.showNotification(title, options));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const target = new URL(event.notification.data.url, self.location.origin).href;
  event.waitUntil((async () => {
    // Only windows this worker controls can be navigated; a tap allows one focus() or
    // openWindow(), so an uncontrolled window is left alone and a new one opens instead.
    const windows = await self.clients.matchAll({ type: "window" });
    for (const client of windows) {
      if (new URL(client.url).origin === self.location.origin) {
        try {
          await client.focus();
          return await client.navigate(target);
        } catch (error) { /* focus used the tap: nothing more may open */ }
      }
    }
    return self.clients.openWindow(target);
  })());
});
