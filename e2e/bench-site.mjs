// Benchmark (not a test) of the site app on a slow phone: how long until a 500-person session
// list is on screen and searchable, offline, from IndexedDB.
//
// Starts `tika serve --demo --demo-site-bookings 500` (first backend of E2E_BACKENDS, default
// sqlite), logs in as the demo vaccinator in a 360×740 phone context, downloads the session,
// goes offline and slows the CPU 4× (CDP Emulation.setCPUThrottlingRate).  Then, 5 times each:
//   open    tap "Open" on the session list until the list is rendered and searchable;
//   reload  reload the page (shell from the service worker, data from IndexedDB) until the same;
//   search  type the last 4 digits of a photo id until the list is filtered.
// Prints every run and the medians.  Variables as in lib.mjs; BENCH_PEOPLE (default 500).

import { BACKENDS, failure, finish, launchChromium, phoneContext, startServer, tally } from './lib.mjs';

const PEOPLE = Number(process.env.BENCH_PEOPLE || 500);
const RUNS = 5;
const THROTTLE = 4;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (xs) => xs.map((x) => x.toFixed(0)).join(', ');

/** Waits in the page for the app's `tika-list-ready` mark; resolves with its time. */
function listReady(page) {
  return page.evaluate(() => new Promise((resolve) => {
    const seen = performance.getEntriesByName('tika-list-ready');
    if (seen.length) return resolve(seen[seen.length - 1].startTime);
    new PerformanceObserver((list, obs) => {
      obs.disconnect();
      resolve(list.getEntries()[0].startTime);
    }).observe({ entryTypes: ['mark'] });
  }));
}

async function bench(backend, browser) {
  const server = await startServer(backend, ['--demo-facilities', '50', '--demo-site-bookings', String(PEOPLE)], 'bench-site');
  const context = await phoneContext(browser);
  context.setDefaultTimeout(120_000);
  const page = await context.newPage();
  try {
    await page.goto(`${server.base}/site/`);
    await page.fill('#username', 'demo.vaccinator');
    await page.fill('#password', 'tika-demo-vaccinator');
    await page.click('#login-button');
    const open = page.locator('#session-list [data-open]').first();
    await open.waitFor();
    await open.click();
    await page.waitForFunction(() => !document.getElementById('search').disabled);
    const people = await page.locator('#people li').count();
    // The demo books at most the session's free seats.
    if (people < PEOPLE) console.log(`note: the demo session holds ${people} people, not the ${PEOPLE} asked for`);
    await page.waitForFunction(() => navigator.serviceWorker.controller !== null);
    const last4 = await page.evaluate((n) => new Promise((resolve) => {
      const o = indexedDB.open('tika-site');
      o.onsuccess = () => {
        const r = o.result.transaction('bundles').objectStore('bundles').getAll();
        r.onsuccess = () => resolve(r.result[0].appointments[n >> 1].photo_id_last4);
      };
    }), people);

    await context.setOffline(true);
    const cdp = await context.newCDPSession(page);
    const throttle = () => cdp.send('Emulation.setCPUThrottlingRate', { rate: THROTTLE });
    await throttle();

    const times = { open: [], reload: [], search: [] };
    for (let i = 0; i < RUNS; i++) {
      await page.click('#back-sessions');
      const button = page.locator('#session-list [data-open]').first();
      await button.waitFor();
      // Measured in the page: from the tap to the list being rendered and searchable.
      const t0 = await page.evaluate(() => {
        performance.clearMarks('tika-list-ready');
        return performance.now();
      });
      await button.click();
      times.open.push((await listReady(page)) - t0);

      await page.reload();
      await throttle(); // a navigation may reset the emulation
      // From the navigation's start: the shell from the service worker, IndexedDB, rendering.
      times.reload.push(await listReady(page));

      times.search.push(await page.evaluate((q) => {
        const input = document.getElementById('search');
        const t = performance.now();
        input.value = q;
        input.dispatchEvent(new Event('input'));
        const shown = document.querySelectorAll('#people li:not([hidden])').length;
        const ms = performance.now() - t;
        input.value = '';
        input.dispatchEvent(new Event('input'));
        if (!shown) throw new Error('the search found nobody');
        return ms;
      }, last4));
    }
    console.log(`site app, ${people} people, ${backend}, offline, CPU ${THROTTLE}x slower, 360x740 phone, ${RUNS} runs (ms)`);
    console.log(`  tap "Open" -> list searchable: median ${median(times.open).toFixed(0)}  (${fmt(times.open)})`);
    console.log(`  reload     -> list searchable: median ${median(times.reload).toFixed(0)}  (${fmt(times.reload)})`);
    console.log(`  search by last 4 digits:       median ${median(times.search).toFixed(1)}  (${times.search.map((x) => x.toFixed(1)).join(', ')})`);
    tally.passed++;
  } finally {
    await context.close().catch(() => {});
    await server.stop();
  }
}

let browser;
try {
  browser = await launchChromium();
  await bench(BACKENDS[0] || 'sqlite', browser);
} catch (e) {
  failure('site benchmark', e);
} finally {
  if (browser) await browser.close().catch(() => {});
}
finish();
