// Tika verification page service worker (scope /verify/): keeps the page, its scripts, the
// vendored libraries and the JSON-LD contexts, so certificates can be checked OFFLINE once the
// page has been opened.
//
// * The page (which carries the trusted keys and the signed revocation list) is network-first,
//   falling back to the cached copy: online, the officer always gets the latest revocation list.
// * Everything else is cache-first, refreshed in the background (stale-while-revalidate).
// * If the server fills in `{version}` (as it does for /site/), a new release installs a new
//   cache; otherwise the background refresh keeps the files current.
const VERSION = '{version}';
const CACHE = `tika-verify-${VERSION}`;
const SCOPE = new URL('./', self.location).pathname; // /verify/
const PAGE = SCOPE;
const ASSETS = [
  'verify.js', 'verify.css', 'i18n.js', 'vendor/jsQR.js', 'vendor/jsonld.min.js',
  'contexts/credentials-v1.json', 'contexts/security-v1.json', 'contexts/security-v2.json',
  'contexts/vaccination-v1.json', 'contexts/vaccination-v2.json',
].map((f) => SCOPE + f);
const NETWORK_TIMEOUT_MS = 5000;

self.addEventListener('install', (event) => {
  event.waitUntil((async () => {
    const cache = await caches.open(CACHE);
    // `reload` skips the HTTP cache, so a new version never precaches stale files.
    await cache.addAll([PAGE, ...ASSETS].map((url) => new Request(url, { cache: 'reload' })));
    await self.skipWaiting();
  })());
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const name of await caches.keys()) {
      if (name.startsWith('tika-verify-') && name !== CACHE) await caches.delete(name);
    }
    await self.clients.claim();
  })());
});

/** The network, given up after a while on a connection that hangs. */
function fetchWithTimeout(req) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('timeout')), NETWORK_TIMEOUT_MS);
    fetch(req).then((r) => { clearTimeout(timer); resolve(r); }, (e) => { clearTimeout(timer); reject(e); });
  });
}

async function networkFirst(req, key) {
  const cache = await caches.open(CACHE);
  try {
    const res = await fetchWithTimeout(req);
    if (res.ok) await cache.put(key, res.clone());
    return res;
  } catch (e) {
    const hit = await cache.match(key);
    if (hit) return hit;
    throw e;
  }
}

async function cacheFirst(event, req, key) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(key);
  const refresh = fetch(req).then((res) => {
    if (res.ok) return cache.put(key, res.clone()).then(() => res);
    return res;
  });
  if (hit) {
    event.waitUntil(refresh.catch(() => {}));
    return hit;
  }
  return refresh;
}

self.addEventListener('fetch', (event) => {
  const req = event.request;
  const url = new URL(req.url);
  if (req.method !== 'GET' || url.origin !== self.location.origin || !url.pathname.startsWith(SCOPE)) return;
  if (url.pathname === SCOPE + 'sw.js') return;
  if (req.mode === 'navigate' || url.pathname === PAGE || url.pathname === SCOPE + 'index.html') {
    // The language is chosen on the page, so `?lang=` shares the one cached copy.
    event.respondWith(networkFirst(req, PAGE));
    return;
  }
  event.respondWith(cacheFirst(event, req, url.pathname));
});
