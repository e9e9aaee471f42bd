// End-to-end test of the console's cold chain pages in real headless Chromium.
//
// Builds nothing. Starts `tika serve --demo` once per backend (E2E_BACKENDS, default
// "sqlite,postgres"; fresh data directory and PostgreSQL database), then the demo district's
// official: sees the demo cold chain with its warnings (stock-out, low, expiring soon), adds a
// store, a fridge with a logger, receives a lot, records wastage (a missing reason first: the
// error at its field), sees the stock and the ledger, opens the fridge's chart (no readings
// yet: the empty state, the allowed band drawn; day and week), and in Hindi acknowledges and
// closes the demo's open excursion alarm, quarantining the exposed lots.  Prints `ok - …` /
// `not ok - …` per step and ends with `N passed, M failed`; screenshots go to e2e/artifacts.
//
//   TIKA_BIN           the tika binary (default target/debug/tika, relative to the repo root)
//   E2E_BACKENDS       comma-separated: sqlite, postgres
//   TIKA_TEST_PG_URL   PostgreSQL maintenance URL (default postgres://postgres@127.0.0.1:5432/postgres)
//   CHROMIUM           the browser (default /usr/bin/chromium)

import { mkdirSync } from 'node:fs';
import path from 'node:path';
import {
  ARTIFACTS, assert, assertEq, globalTimeout, indiaToday, runOnEveryBackend, runSteps, startServer,
} from './lib.mjs';

// The demo official of the demo site's district (crates/cli/src/demo_admin.rs).
const DISTRICT = { username: 'delhi.admin', password: 'tika-demo-delhi1' };

globalTimeout(15 * 60_000);

function isoPlusDays(iso, days) {
  const d = new Date(`${iso}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

async function coldchainFlow(backend, browser) {
  const server = await startServer(backend, [], 'console-coldchain');
  const { base } = server;
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-IN' });
  context.setDefaultTimeout(15_000);
  context.setDefaultNavigationTimeout(30_000);
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && !/^Failed to load resource: the server responded with a status of 4\d\d/.test(m.text())) problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(String(e)));
  const text = async (sel) => (await page.locator(sel).first().innerText()).trim();
  // SVG elements have no innerText.
  const svgText = async (sel) => ((await page.locator(sel).first().textContent()) || '').trim();
  const state = {};
  mkdirSync(ARTIFACTS, { recursive: true });
  const shot = (name) => page.screenshot({ path: path.join(ARTIFACTS, `console-coldchain-${name}-${backend}.png`), fullPage: true });
  const suffix = `${Date.now() % 100000}`;
  const batch = `E2E-${suffix}`;
  const logger = `E2E-LOG-${suffix}`;

  const steps = [
    ['the district official opens the cold chain from the menu', async () => {
      await page.goto(`${base}/console/login`);
      await page.fill('#username', DISTRICT.username);
      await page.fill('#password', DISTRICT.password);
      await page.click('#login-button');
      await page.waitForURL(`${base}/console`);
      await page.click('#nav-coldchain');
      await page.waitForURL(`${base}/console/coldchain`);
      assertEq(await text('h1'), 'Cold chain', 'heading');
    }],
    ['the demo cold chain shows its stock and warnings in words', async () => {
      const rows = page.locator('#cc-point-list tbody tr');
      assert(await rows.count() >= 2, 'the district store and facility stores are listed');
      const warnings = await text('#cc-point-list');
      assert(warnings.includes('Stock-out: COVAXIN'), `a stock-out badge: ${warnings}`);
      assert(warnings.includes('Low: COVISHIELD'), 'a low-stock badge');
      assert(warnings.includes('Expiring soon: COVAXIN'), 'an expiring-soon badge');
      assert((await text('#cc-totals')).includes('COVISHIELD'), 'area totals');
      assert((await text('#cc-alarms-link')).includes('1 open'), 'the open alarm is counted');
      await shot('overview');
    }],
    ['a new store is added', async () => {
      await page.fill('#pt-name', `E2E Store ${suffix}`);
      await page.selectOption('#pt-level', 'district_store');
      await page.click('#create-point');
      await page.waitForURL(/\/console\/coldchain\/points\/[0-9a-f-]{36}$/);
      assertEq(await text('#point-name'), `E2E Store ${suffix}`, 'the point page');
      assertEq(await text('#flash'), 'Cold chain point added.', 'flash');
      assert(await page.locator('#no-equipment').isVisible(), 'no equipment yet');
      state.point = page.url();
    }],
    ['a fridge with a logger is added, with the kind\'s band', async () => {
      await page.click('#add-equipment summary');
      await page.selectOption('#eq-kind', 'ilr');
      await page.fill('#eq-label', 'ILR E2E');
      await page.fill('#eq-logger', logger);
      await page.click('#save-equipment');
      await page.waitForURL(/#equipment$/);
      const row = page.locator('#equipment-list tbody tr').first();
      const t = await row.innerText();
      assert(t.includes('ILR E2E') && t.includes(logger) && t.includes('2.0 – 8.0 °C'), `equipment row: ${t}`);
    }],
    ['a lot is received', async () => {
      await page.selectOption('#rc-vaccine', 'COVISHIELD');
      await page.fill('#rc-batch', batch);
      await page.fill('#rc-expiry', isoPlusDays(indiaToday().iso, 120));
      await page.fill('#rc-vials', '50');
      await page.click('#receive-lot');
      await page.waitForURL(/#stock$/);
      assertEq(await text('#flash'), 'Lot received.', 'flash');
      const row = page.locator(`#lot-stock tr[data-batch="${batch}"]`);
      assertEq((await row.locator('td.vials').innerText()).trim(), '50', 'vials on hand');
      assertEq(await text('#vaccine-stock tr[data-vaccine="COVISHIELD"] td.doses'), '500', 'doses');
      assertEq(await text('#vaccine-stock tr[data-vaccine="COVISHIELD"] td.days'), 'no recent use', 'no rate yet');
    }],
    ['wastage without a reason is refused at its field, the values kept', async () => {
      await page.selectOption('#mv-kind', 'wastage');
      await page.selectOption('#mv-lot', { index: 1 });
      await page.fill('#mv-vials', '3');
      await page.click('#record-movement');
      await page.locator('#err-reason').waitFor();
      assert((await text('#err-reason')).includes('required'), 'the reason error');
      assertEq(await page.inputValue('#mv-vials'), '3', 'vials kept');
    }],
    ['wastage with a reason is recorded in the ledger', async () => {
      await page.selectOption('#mv-reason', 'broken');
      await page.click('#record-movement');
      await page.waitForURL(/#stock$/);
      assertEq(await text(`#lot-stock tr[data-batch="${batch}"] td.vials`), '47', 'stock after wastage');
      const first = page.locator('#ledger-list tbody tr').first();
      assertEq((await first.locator('td.kind').innerText()).trim(), 'Wastage', 'newest movement');
      assertEq((await first.locator('td.delta').innerText()).trim(), '-3', 'its change');
      await shot('point');
    }],
    ['the fridge\'s chart draws the band and says there are no readings', async () => {
      await page.click('#equipment-list a.equipment-link');
      await page.waitForURL(/\/console\/coldchain\/equipment\//);
      assertEq(await text('#chart-heading'), 'Temperature, last 24 hours', 'day by default');
      assert(await page.locator('#temp-chart #chart-band').count() === 1, 'the band is drawn');
      assert((await svgText('#temp-chart #band-max')).includes('8.0'), 'max label');
      assert((await svgText('#temp-chart #chart-empty')).includes('No readings'), 'empty state');
      await page.click('#span-week');
      await page.waitForURL(/span=week/);
      assertEq(await text('#chart-heading'), 'Temperature, last 7 days', 'week');
      await shot('chart-empty');
    }],
    ['the demo fridge with the excursion shows its readings out of band', async () => {
      await page.goto(`${base}/console/coldchain/alarms`);
      const row = page.locator('#alarm-list tr[data-status="open"]').first();
      await row.waitFor();
      state.alarm = await row.getAttribute('data-alarm-id');
      await row.locator('td').nth(2).locator('a').first().click();
      await page.waitForURL(/\/console\/coldchain\/equipment\//);
      assert(await page.locator('#temp-chart #chart-line').count() === 1, 'a line of readings');
      assert(await page.locator('#temp-chart circle.out').count() > 0, 'out-of-band readings marked');
      await shot('chart');
    }],
    ['in Hindi, the alarm is acknowledged', async () => {
      await page.goto(`${base}/console/coldchain/alarms/${state.alarm}`);
      await page.click('#lang-switch');
      await page.waitForURL(/\/console\/coldchain\/alarms\//);
      assertEq(await page.getAttribute('html', 'lang'), 'hi', 'Hindi page');
      assertEq(await text('#alarm-kind'), 'बहुत गर्म', 'too warm, in Hindi');
      assert((await text('#exposed')).includes('शीशियाँ'), 'exposed lots listed');
      await page.click('#acknowledge');
      await page.waitForURL(/\/console\/coldchain\/alarms\/[0-9a-f-]+$/);
      assertEq(await text('#flash'), 'अलार्म स्वीकार किया गया।', 'flash');
      assertEq(await page.getAttribute('#alarm-status', 'data-status'), 'acknowledged', 'status');
    }],
    ['in Hindi, closing with "other" needs a note; then closed with the lots quarantined', async () => {
      await page.selectOption('#cl-action', 'other');
      await page.click('#close-alarm');
      await page.locator('#err-note').waitFor();
      await page.selectOption('#cl-action', 'vials_quarantined');
      for (const sel of await page.locator('select.lot-review').all()) await sel.selectOption('quarantined');
      await page.fill('#cl-note', 'e2e: VVM जाँच तक अलग रखा');
      await page.click('#close-alarm');
      await page.waitForURL(/\/console\/coldchain\/alarms\/[0-9a-f-]+$/);
      assertEq(await page.getAttribute('#alarm-status', 'data-status'), 'closed', 'closed');
      assertEq(await text('#alarm-action'), 'शीशियाँ अलग रखी गईं', 'the action, in Hindi');
      assert((await text('#exposed')).includes('अलग रखा गया'), 'lots quarantined');
      await shot('alarm-hi');
    }],
    ['back in English, no alarm is open', async () => {
      await page.click('#lang-switch');
      await page.goto(`${base}/console/coldchain/alarms?status=open`);
      assertEq(await page.getAttribute('html', 'lang'), 'en', 'English page');
      assert(await page.locator('#no-alarms').isVisible(), 'no open alarm');
    }],
    ['no JavaScript or CSP errors', async () => {
      assertEq(problems.length, 0, `console errors: ${problems.join(' | ')}`);
    }],
  ];
  try {
    await runSteps(`console-coldchain/${backend}`, steps);
  } finally {
    await context.close().catch(() => {});
    await server.stop();
  }
}

await runOnEveryBackend('console-coldchain', coldchainFlow);
