// End-to-end test of the console's follow-up pages in real headless Chromium: session lists
// per facility and day, the issue queue, and the auditable lucky draw.
//
// Builds nothing. Starts `tika serve --demo` once per backend (E2E_BACKENDS, default
// "sqlite,postgres"), then: the demo district official (delhi.admin) opens the demo site's
// facility (people booked today), downloads today's session list as PDF and as CSV (checks
// the bytes; with pdftotext installed, the PDF's text holds the CSV's first name), sees the
// issue queue, creates a lucky draw (its SHA-256 equals the hash of the published entry list,
// fetched without a login), enters a seed and sees the winners, which this script recomputes
// with the published recipe. Prints `ok - …` / `not ok - …` per step and ends with
// `N passed, M failed`; screenshots and downloads go to e2e/artifacts.
//
//   TIKA_BIN           the tika binary (default target/debug/tika, relative to the repo root)
//   E2E_BACKENDS       comma-separated: sqlite, postgres
//   TIKA_TEST_PG_URL   PostgreSQL maintenance URL
//   CHROMIUM           the browser (default /usr/bin/chromium)

import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  ARTIFACTS, assert, assertEq, globalTimeout, indiaToday, runOnEveryBackend, runSteps, startServer,
} from './lib.mjs';

const DELHI = { username: 'delhi.admin', password: 'tika-demo-delhi1' };

globalTimeout(10 * 60_000);

function isoPlusDays(iso, days) {
  const d = new Date(`${iso}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

const sha256 = (data) => createHash('sha256').update(data).digest('hex');

/** The published recipe (tika_domain::draw, scripts/draw-verify.py). */
function recompute(text, seed, k) {
  const hash = sha256(Buffer.from(text, 'utf8'));
  const pool = text === '' ? [] : text.slice(0, -1).split('\n');
  const out = [];
  for (let i = 0; out.length < k && pool.length > 0; i++) {
    const h = createHash('sha256').update(`${hash}:${seed}:${i}`, 'utf8').digest();
    const j = Number(h.readBigUInt64BE(0) % BigInt(pool.length));
    out.push(pool.splice(j, 1)[0]);
  }
  return { hash, winners: out };
}

function pdfText(file) {
  try {
    return execFileSync('pdftotext', [file, '-'], { encoding: 'utf8' });
  } catch {
    return null;
  }
}

async function followupFlow(backend, browser) {
  const server = await startServer(backend, [], 'console-followup');
  const { base } = server;
  let site = null;
  for (let i = 0; i < 100 && !site; i++) {
    site = server.output().match(/site demo: facility (\d+) session/);
    if (!site) await new Promise((r) => setTimeout(r, 100));
  }
  assert(site, 'the demo site facility is printed at start-up');
  const facility = site[1];
  const today = indiaToday().iso;
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'en-IN', acceptDownloads: true });
  context.setDefaultTimeout(15_000);
  context.setDefaultNavigationTimeout(30_000);
  const page = await context.newPage();
  const problems = [];
  page.on('console', (m) => {
    if (m.type() === 'error' && !/^Failed to load resource: the server responded with a status of 4\d\d/.test(m.text())) problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(String(e)));
  const text = async (sel) => (await page.locator(sel).first().innerText()).trim();
  const state = {};
  mkdirSync(ARTIFACTS, { recursive: true });
  const shot = (name) => page.screenshot({ path: path.join(ARTIFACTS, `console-followup-${name}-${backend}.png`), fullPage: true });

  async function download(selector, name) {
    const [dl] = await Promise.all([page.waitForEvent('download'), page.locator(selector).first().click()]);
    const file = path.join(ARTIFACTS, `${name}-${backend}${path.extname(dl.suggestedFilename())}`);
    await dl.saveAs(file);
    return { file, suggested: dl.suggestedFilename() };
  }

  const steps = [
    ['the district official logs in', async () => {
      await page.goto(`${base}/console/login`);
      await page.fill('#username', DELHI.username);
      await page.fill('#password', DELHI.password);
      await page.click('#login-button');
      await page.waitForURL(`${base}/console`);
      assert(await page.locator('#nav-issues').isVisible(), 'the issues are linked');
      assert(await page.locator('#nav-draws').isVisible(), 'the draws are linked');
    }],
    ['the demo facility\'s page links today\'s session lists', async () => {
      await page.goto(`${base}/console/facilities/${facility}`);
      const li = page.locator(`#sessions li[data-date="${today}"]`).first();
      await li.waitFor();
      assertEq(await li.locator('a.list-csv').getAttribute('href'), `/console/facilities/${facility}/lists/${today}.csv`, 'CSV link');
      state.li = `#sessions li[data-date="${today}"]`;
      await shot('facility');
    }],
    ['the CSV download has a header and everyone booked today', async () => {
      const { file, suggested } = await download(`${state.li} a.list-csv`, 'session-list');
      assertEq(suggested, `session-list-${facility}-${today}.csv`, 'file name');
      const lines = readFileSync(file, 'utf8').trim().split(/\r?\n/);
      assert(lines[0].startsWith('date,session_id,vaccine,slot,reference_id,name,'), `header: ${lines[0]}`);
      assert(lines.length > 1, 'people are listed');
      const cells = lines[1].split(',');
      assertEq(cells[0], today, 'the date column');
      assert(/^\d{14}$/.test(cells[4]), `a reference id: ${cells[4]}`);
      state.firstName = cells[5].replace(/^"|"$/g, '');
    }],
    ['the PDF download is a bilingual PDF with the people', async () => {
      const { file } = await download(`${state.li} a.list-pdf`, 'session-list');
      const bytes = readFileSync(file);
      assertEq(bytes.subarray(0, 4).toString('latin1'), '%PDF', 'a PDF');
      const t = pdfText(file);
      if (t !== null) {
        assert(t.includes('Session list') && t.includes('सत्र सूची'), 'English and Hindi title');
        assert(t.includes(state.firstName.split(' ')[0]), `the first person's name (${state.firstName}) is printed`);
      }
    }],
    ['the issue queue opens with its filters', async () => {
      await page.click('#nav-issues');
      await page.waitForURL(/\/console\/issues/);
      assertEq(await text('h1'), 'Issues raised', 'heading');
      await page.selectOption('#is-status', 'all');
      await page.click('#issues-apply');
      await page.waitForURL(/status=all/);
      assert((await page.locator('#issues').count()) + (await page.locator('#no-issues').count()) === 1, 'a list or its empty state');
      await shot('issues');
    }],
    ['a draw is created: its hash is that of the public entry list', async () => {
      await page.click('#nav-draws');
      await page.waitForURL(/\/console\/draws/);
      await page.fill('#dr-from', isoPlusDays(today, -120));
      await page.fill('#dr-to', today);
      await page.fill('#dr-winners', '3');
      await page.click('#create-draw');
      await page.waitForURL(/\/console\/draws\/[0-9a-f-]{36}$/);
      assertEq(await page.getAttribute('#draw-status', 'data-status'), 'committed', 'waiting for the seed');
      state.hash = await text('#draw-sha256');
      assert(/^[0-9a-f]{64}$/.test(state.hash), `a SHA-256: ${state.hash}`);
      const href = await page.getAttribute('#draw-entries-link', 'href');
      // Anyone can fetch it: a fresh request without the console cookie.
      const res = await fetch(`${base}${href}`);
      assertEq(res.status, 200, 'entries.txt');
      state.entries = await res.text();
      writeFileSync(path.join(ARTIFACTS, `draw-entries-${backend}.txt`), state.entries);
      assertEq(sha256(Buffer.from(state.entries, 'utf8')), state.hash, 'the published hash');
      const count = Number(await text('#draw-entries'));
      assert(count > 0, 'the demo\'s vaccinated people take part');
      assertEq(state.entries.split('\n').length - 1, count, 'one line per entry');
      await shot('draw-committed');
    }],
    ['the seed is entered once; the winners are the recomputed ones', async () => {
      const seed = `drand round ${Date.now()}: e2e`;
      await page.fill('#dr-seed', seed);
      await page.fill('#dr-source', 'https://api.drand.sh/public/latest');
      await page.click('#enter-seed');
      await page.locator('#draw-result').waitFor();
      assertEq(await page.getAttribute('#draw-status', 'data-status'), 'drawn', 'drawn');
      const shown = (await page.locator('#winners code.winner').allInnerTexts()).map((s) => s.trim());
      const expected = recompute(state.entries, seed, 3);
      assertEq(expected.hash, state.hash, 'hash');
      assertEq(JSON.stringify(shown), JSON.stringify(expected.winners), 'winners');
      assert((await text('#verify-command')).includes(`--sha256 ${state.hash}`), 'the verify command');
      assert(await page.locator('#seed-form').count() === 0, 'no second seed');
      await shot('draw-drawn');
    }],
    ['no script errors or CSP violations', async () => {
      assertEq(problems.length, 0, `browser problems: ${problems.join(' | ')}`);
    }],
  ];
  try {
    await runSteps(`console-followup/${backend}`, steps);
  } finally {
    await context.close().catch(() => {});
    await server.stop();
  }
}

await runOnEveryBackend('console-followup', followupFlow);
