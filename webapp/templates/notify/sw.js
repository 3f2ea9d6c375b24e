// Mijn Week's service worker: shows reminders. A push always shows a notification (iOS
// revokes the subscription of a site whose pushes show nothing), inside event.waitUntil.
const FALLBACK = {{ fallback|tojson }};

self.addEventListener("install", () => self.skipWaiting());
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));

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
    const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    for (const client of windows) {
      if (new URL(client.url).origin === self.location.origin) {
        await client.focus();
        return client.navigate(target);
      }
    }
    return self.clients.openWindow(target);
  })());
});
