// Tika site app service worker: keeps the app shell and its assets so /site/ opens offline.
//
// The server replaces the version below with a hash of the app's files, so any change to them
// installs a new worker with a fresh cache.  Only the shell is cached: API calls always go to the
// network (the app keeps its data in IndexedDB, never in this cache).
const VERSION = '{version}';
const CACHE = `tika-site-${VERSION}`;
const SHELL = ['/site/', '/site/app.js', '/site/app.css', '/site/i18n.js', '/site/manifest.webmanifest'];

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    // `reload` skips the HTTP cache, so a new version never precaches stale files.
    await cache.addAll(SHELL.map((url) => new Request(url, { cache: 'reload' })));
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith('tika-site-') && name !== CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

self.addEventListener('fetch', (event) => {
  const req = event.request;
  const url = new URL(req.url);
  if (req.method !== 'GET' || url.origin !== self.location.origin || !url.pathname.startsWith('/site/')) return;
  // Cache first: on a slow rural connection the shell must not wait for the network.  The
  // shell's language comes from the query or the app's own setting, so `?lang=` is ignored here.
  const key = req.mode === 'navigate' ? '/site/' : url.pathname;
  event.respondWith((async () => {
    const cached = await caches.match(key, { cacheName: CACHE });
    return cached || fetch(req);
  })());
});
