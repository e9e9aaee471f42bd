// End-to-end test of the reports (issue 8) in real headless Chromium: the public dashboard and
// the console's report page, with their charts, on data from `tika simulate campaign`.
//
// Per backend (E2E_BACKENDS, default "sqlite,postgres"): starts `tika serve --demo
// --demo-facilities 50`, fills the counters with a small campaign (`tika simulate campaign
// --doses 300000 --days 40`, one district with real rows), then: the public dashboard in English
// shows the national totals the JSON API gives, the daily chart, the map of India and a row per
// state, no cookie; switched to Hindi it says the same in Hindi; a state's dashboard lists its
// districts; the open-data CSV downloads; the national official's report page by state draws
// the bars and the map and offers CSV/XLSX/JSON downloads, whose CSV is downloaded and checked.
// Screenshots go to e2e/artifacts (reports-*.png).
//
//   TIKA_BIN           the tika binary (default target/debug/tika, relative to the repo root)
//   E2E_BACKENDS       comma-separated: sqlite, postgres
//   TIKA_TEST_PG_URL   PostgreSQL maintenance URL
//   CHROMIUM           the browser (default /usr/bin/chromium)

import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  ARTIFACTS, TIKA_BIN, assert, assertEq, globalTimeout, runOnEveryBackend, runSteps, startServer,
  withTimeout,
} from './lib.mjs';

const NATIONAL = { username: 'admin', password: 'tika-demo-national1' };
const DOSES = 300000;

globalTimeout(20 * 60_000);

async function json(base, p) {
  const res = await withTimeout(fetch(`${base}${p}`), 15_000, `GET ${p}`);
  const text = await res.text();
  assert(res.ok, `GET ${p} answered ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

const indian = (n) => {
  const s = String(n);
  if (s.length <= 3) return s;
  return `${s.slice(0, -3).replace(/\B(?=(\d{2})+(?!\d))/g, ',')},${s.slice(-3)}`;
};

async function reportsFlow(backend, browser) {
  const server = await startServer(backend, ['--demo-facilities', '50'], 'reports');
  const { base } = server;
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 }, locale: 'en-IN', acceptDownloads: true });
  context.setDefaultTimeout(15_000);
  context.setDefaultNavigationTimeout(30_000);
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  page.on('pageerror', (e) => problems.push(String(e)));
  mkdirSync(ARTIFACTS, { recursive: true });
  const shot = (name) => page.screenshot({ path: path.join(ARTIFACTS, `reports-${name}-${backend}.png`), fullPage: true });
  const state = {};

  const steps = [
    ['a small campaign fills the counters (tika simulate campaign)', async () => {
      const run = spawnSync(TIKA_BIN, ['simulate', 'campaign', '--doses', String(DOSES), '--days', '40',
        '--real-districts', '1', '--people-per-district', '200'], { env: server.env, encoding: 'utf8', timeout: 600_000 });
      assertEq(run.status, 0, `simulate campaign: ${run.stderr}\n${run.stdout}`);
      // The real rows are folded by the server within a second or two; the dashboard keeps 2 s.
      await new Promise((r) => setTimeout(r, 4_000));
      state.d = await json(base, '/api/public/v1/dashboard');
      assert(state.d.total >= DOSES, `national total ${state.d.total} counts the campaign`);
      assertEq(state.d.areas.length, 36, 'every state');
      assertEq(state.d.daily.length, 30, '30 days');
    }],
    ['the public dashboard shows the totals, the chart, the map and the states, no cookie', async () => {
      const res = await page.goto(`${base}/dashboard?lang=en`);
      assertEq(res.status(), 200, 'status');
      assertEq((await res.allHeaders())['set-cookie'], undefined, 'no cookie');
      assertEq(await page.locator('#dash-title').innerText(), 'Vaccination dashboard · India', 'title');
      const d = await json(base, '/api/public/v1/dashboard');
      assertEq(await page.locator('#total').innerText(), indian(d.total), 'the total the API gives');
      assert(await page.locator('#daily-chart svg polyline').count() >= 1, 'the daily line');
      assert(await page.locator('#map circle.map-dot').count() > 500, 'a dot per district');
      assertEq(await page.locator('#areas tbody tr').count(), 36, 'a row per state');
      assert(await page.locator('#csv-areas').isVisible(), 'open data link');
      await shot('dashboard-en');
    }],
    ['in Hindi, and a state lists its districts', async () => {
      await page.click('#lang-switch');
      await page.waitForURL(/lang=hi/);
      assert((await page.locator('#dash-title').innerText()).startsWith('टीकाकरण डैशबोर्ड'), 'Hindi title');
      await shot('dashboard-hi');
      const top = [...state.d.areas].filter((a) => a.total !== null).sort((a, b) => b.total - a.total)[0];
      await page.selectOption('#state', String(top.id));
      await page.click('.dash-pick button');
      await page.waitForURL(new RegExp(`state=${top.id}`));
      const s = await json(base, `/api/public/v1/dashboard?state=${top.id}`);
      assertEq(await page.locator('#areas tbody tr').count(), s.areas.length, 'a row per district');
      assert(s.areas.length > 1, 'the state has districts');
      await shot('dashboard-state');
    }],
    ['the open data downloads as CSV', async () => {
      await page.goto(`${base}/dashboard?lang=en`);
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#csv-areas')]);
      const text = readFileSync(await download.path(), 'utf8');
      const lines = text.trim().split('\n');
      assert(lines[0].startsWith('state_id,state_name,as_of,doses_today,doses_total'), lines[0]);
      assertEq(lines.length, 37, 'header and 36 states');
    }],
    ['the national official sees the report by state with bars, map and downloads', async () => {
      await page.goto(`${base}/console/login?lang=en`);
      await page.fill('#username', NATIONAL.username);
      await page.fill('#password', NATIONAL.password);
      await page.click('#login-button');
      await page.waitForURL(`${base}/console`);
      await page.click('#nav-reports');
      await page.waitForURL(/\/console\/reports/);
      await page.selectOption('#rp-by', 'area');
      await page.click('#report-show');
      await page.waitForSelector('#report-table');
      await shot('console-by-state');
      // The demo's 50 facilities lie in a few states: a bar for each state with doses.
      const rows = await page.locator('#report-table tbody tr').count();
      assert(rows >= 2, `states with doses: ${rows}`);
      assertEq(await page.locator('#report-chart svg rect.bar').count(), rows, 'a bar per state');
      assert(await page.locator('#report-map circle.map-dot').count() > 500, 'the map');
      await shot('console-by-state');
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#dl-csv')]);
      const text = readFileSync(await download.path(), 'utf8');
      const firstName = (await page.locator('#report-table tbody tr').first().locator('td, th').nth(1).innerText()).trim();
      assert(firstName.length > 0 && text.includes(firstName), `the CSV names ${firstName}: ${text.slice(0, 300)}`);
      assertEq(text.trim().split('\n').filter((l) => !l.startsWith('#')).length >= rows + 1, true, 'a CSV line per row');
      await page.selectOption('#rp-by', 'day');
      await page.click('#report-show');
      await page.waitForSelector('#report-table');
      assert(await page.locator('#report-chart svg polyline').count() >= 1, 'the daily line');
      await shot('console-by-day');
    }],
    ['no script errors or CSP violations', async () => {
      assertEq(problems.length, 0, `browser problems: ${problems.join(' | ')}`);
    }],
  ];
  try {
    await runSteps(`reports/${backend}`, steps);
  } finally {
    await context.close().catch(() => {});
    await server.stop();
  }
}

await runOnEveryBackend('reports', reportsFlow);
