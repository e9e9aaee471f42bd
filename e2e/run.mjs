// End-to-end test of Tika's citizen pages in real headless Chromium, on a phone-sized screen.
//
// Builds nothing. Starts `tika serve --demo` once per backend (E2E_BACKENDS, default
// "sqlite,postgres") on a free port with a fresh data directory (and a fresh PostgreSQL
// database), then walks the citizen flow in Hindi and English and checks the API's view of the
// same state. Prints `ok - …` / `not ok - …` per step and ends with `N passed, M failed`.
//
//   TIKA_BIN           the tika binary (default target/debug/tika, relative to the repo root)
//   E2E_BACKENDS       comma-separated: sqlite, postgres
//   TIKA_TEST_PG_URL   PostgreSQL maintenance URL (default postgres://postgres@127.0.0.1:5432/postgres)
//   CHROMIUM           the browser (default /usr/bin/chromium)
//   E2E_HEADED=1       show the browser (needs a display)

import { chromium } from 'playwright-core';
import { spawn, execFileSync } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '..');
const TIKA_BIN = path.resolve(root, process.env.TIKA_BIN || 'target/debug/tika');
const BACKENDS = (process.env.E2E_BACKENDS || 'sqlite,postgres').split(',').map((s) => s.trim()).filter(Boolean);
const PG_ADMIN = process.env.TIKA_TEST_PG_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const ARTIFACTS = path.join(here, 'artifacts');
const OTP = '123456';
const MOBILE = '9876543210';
const STEP_TIMEOUT_MS = 60_000;
const START_TIMEOUT_MS = 180_000;
const GLOBAL_TIMEOUT_MS = 20 * 60_000;

let passed = 0;
let failed = 0;
const children = new Set();
const cleanups = [];

function killAll() {
  for (const c of children) {
    try { c.kill('SIGKILL'); } catch { /* already gone */ }
  }
  children.clear();
}
process.on('exit', () => {
  killAll();
  for (const f of cleanups.splice(0)) {
    try { f(); } catch { /* best effort */ }
  }
});
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));
setTimeout(() => {
  console.log(`not ok - the whole run took longer than ${GLOBAL_TIMEOUT_MS / 60000} minutes`);
  console.log(`${passed} passed, ${failed + 1} failed`);
  process.exit(1);
}, GLOBAL_TIMEOUT_MS).unref();

// ---------------------------------------------------------------------------------------------
// Small helpers

function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms); }),
  ]);
}

function assert(cond, message) {
  if (!cond) throw new Error(message);
}

function assertEq(actual, expected, message) {
  if (actual !== expected) throw new Error(`${message}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

/** Runs the steps in order; after a failure the remaining steps are reported as failed. */
async function runSteps(label, steps) {
  let broken = null;
  for (const [name, fn] of steps) {
    const title = `[${label}] ${name}`;
    if (broken) {
      failed++;
      console.log(`not ok - ${title} (not run: "${broken}" failed)`);
      continue;
    }
    try {
      await withTimeout(Promise.resolve().then(fn), STEP_TIMEOUT_MS, title);
      passed++;
      console.log(`ok - ${title}`);
    } catch (e) {
      failed++;
      broken = name;
      console.log(`not ok - ${title}\n  ${String(e && e.stack ? e.stack : e).split('\n').slice(0, 6).join('\n  ')}`);
    }
  }
}

// Verhoeff check digit (Aadhaar's last digit).
const VD = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 2, 3, 4, 0, 6, 7, 8, 9, 5], [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
  [3, 4, 0, 1, 2, 8, 9, 5, 6, 7], [4, 0, 1, 2, 3, 9, 5, 6, 7, 8], [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
  [6, 5, 9, 8, 7, 1, 0, 4, 3, 2], [7, 6, 5, 9, 8, 2, 1, 0, 4, 3], [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
  [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
];
const VP = [
  [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], [1, 5, 7, 6, 2, 8, 3, 0, 9, 4], [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
  [8, 9, 1, 6, 0, 4, 3, 5, 2, 7], [9, 4, 5, 3, 1, 2, 6, 8, 7, 0], [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
  [2, 7, 9, 3, 8, 0, 6, 4, 1, 5], [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
];
const VINV = [0, 4, 3, 2, 1, 5, 6, 7, 8, 9];
function verhoeffCheck(digits) {
  let c = 0;
  [...digits].reverse().forEach((ch, i) => { c = VD[c][VP[i % 8][Number(ch)]]; });
  return c;
}
function verhoeffDigit(digits) {
  return VINV[verhoeffCheck(`${digits}0`)];
}
function aadhaar() {
  let s = String(2 + Math.floor(Math.random() * 8));
  while (s.length < 11) s += String(Math.floor(Math.random() * 10));
  const full = s + verhoeffDigit(s);
  assert(verhoeffCheck(full) === 0, 'Verhoeff self-check');
  return full;
}

/** Today in India (UTC+05:30), as YYYY-MM-DD and DD-MM-YYYY. */
function indiaToday() {
  const iso = new Date(Date.now() + 330 * 60_000).toISOString().slice(0, 10);
  const [y, m, d] = iso.split('-');
  return { iso, cowin: `${d}-${m}-${y}`, year: Number(y) };
}

async function getJson(url) {
  const res = await withTimeout(fetch(url, { headers: { accept: 'application/json' } }), 15_000, `GET ${url}`);
  assert(res.ok, `GET ${url} answered ${res.status}`);
  return res.json();
}

// ---------------------------------------------------------------------------------------------
// Servers

function createPgDatabase() {
  const name = `tika_e2e_${Date.now()}_${process.pid}`;
  execFileSync('psql', [PG_ADMIN, '-v', 'ON_ERROR_STOP=1', '-q', '-c', `create database ${name}`], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 30_000 });
  const url = new URL(PG_ADMIN);
  url.pathname = `/${name}`;
  const drop = () => execFileSync('psql', [PG_ADMIN, '-q', '-c', `drop database if exists ${name} with (force)`], { stdio: 'ignore', timeout: 30_000 });
  return { url: url.toString(), drop };
}

async function startServer(backend) {
  assert(existsSync(TIKA_BIN), `no tika binary at ${TIKA_BIN}: run "cargo build -p tika" or set TIKA_BIN`);
  const dataDir = mkdtempSync(path.join(tmpdir(), `tika-e2e-${backend}-`));
  cleanups.push(() => rmSync(dataDir, { recursive: true, force: true }));
  const env = { ...process.env, TIKA_TEST_OTP: OTP, TIKA_PUBLIC_RATE_LIMIT: '0', TIKA_DATA_DIR: dataDir, TIKA_LOG: process.env.TIKA_LOG || 'info,sqlx=warn' };
  for (const k of ['TIKA_DATABASE_URL', 'TIKA_PORT', 'TIKA_BIND', 'TIKA_CONFIG', 'TIKA_SECRET_KEY', 'TIKA_MAX_BENEFICIARIES_PER_MOBILE']) delete env[k];
  let db = null;
  if (backend === 'postgres') {
    db = createPgDatabase();
    env.TIKA_DATABASE_URL = db.url;
  } else if (backend !== 'sqlite') {
    throw new Error(`unknown backend ${backend}`);
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  const log = createWriteStream(path.join(ARTIFACTS, `server-${backend}.log`));
  const child = spawn(TIKA_BIN, ['serve', '--demo', '--demo-facilities', '800', '--port', '0'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  const base = await withTimeout(new Promise((resolve, reject) => {
    let buf = '';
    child.stdout.on('data', (chunk) => {
      buf += chunk;
      const m = buf.match(/Tika is running at (http:\/\/[0-9.:]+)\//);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`tika exited with ${code} before it was ready (see e2e/artifacts/server-${backend}.log)`)));
    child.on('error', reject);
  }), START_TIMEOUT_MS, `starting tika (${backend})`);
  const stop = async () => {
    if (child.exitCode === null) {
      child.kill('SIGTERM');
      await withTimeout(new Promise((r) => child.once('exit', r)), 10_000, 'stopping tika').catch(() => child.kill('SIGKILL'));
    }
    children.delete(child);
    if (db) {
      try { db.drop(); } catch { /* left for a later sweep */ }
    }
  };
  return { base, stop };
}

// ---------------------------------------------------------------------------------------------
// Finding sessions to book through the public API

/**
 * A pincode where one vaccine has at least two sessions in the coming week that admit an adult
 * of 36 (ages 18+ or 18-44) with free first-dose seats.
 */
async function findPincode(base) {
  const today = indiaToday();
  const near = await getJson(`${base}/api/v2/appointment/centers/public/findByLatLong?lat=28.6&long=77.2`);
  const pins = [...new Set((near.centers || []).map((c) => c.pincode))];
  const candidates = [...pins];
  // Fall back to a few big districts if Delhi has nothing suitable.
  for (const district of [1, 100, 200, 300, 400, 500]) {
    const cal = await getJson(`${base}/api/v2/appointment/sessions/public/calendarByDistrict?district_id=${district}&date=${today.cowin}`).catch(() => ({ centers: [] }));
    for (const c of cal.centers || []) candidates.push(String(c.pincode));
  }
  for (const pin of candidates) {
    const cal = await getJson(`${base}/api/v2/appointment/sessions/public/calendarByPin?pincode=${pin}&date=${today.cowin}`);
    const byVaccine = new Map();
    for (const c of cal.centers || []) {
      for (const s of c.sessions) {
        const admits = s.min_age_limit === 18 && (s.max_age_limit === undefined || s.max_age_limit >= 36);
        // Not today's sessions: a run near midnight would see them close.
        if (admits && s.date !== today.cowin && s.available_capacity_dose1 > 0 && s.slots.length > 1) {
          if (!byVaccine.has(s.vaccine)) byVaccine.set(s.vaccine, []);
          byVaccine.get(s.vaccine).push({ ...s, center: c });
        }
      }
    }
    for (const [vaccine, sessions] of byVaccine) {
      if (sessions.length >= 2) return { pincode: String(pin), vaccine, first: sessions[0], second: sessions[1], today };
    }
  }
  throw new Error('no pincode with two bookable sessions of one vaccine was found');
}

/** The live dose-1 seats of a session through the public API. */
async function seats(base, pincode, sessionId) {
  const { cowin } = indiaToday();
  const cal = await getJson(`${base}/api/v2/appointment/sessions/public/calendarByPin?pincode=${pincode}&date=${cowin}`);
  for (const c of cal.centers || []) {
    for (const s of c.sessions) if (s.session_id === sessionId) return s.available_capacity_dose1;
  }
  throw new Error(`session ${sessionId} is not listed for pincode ${pincode}`);
}

/** Polls until the API shows `expected` seats (the search cache is at most ~2 s stale). */
async function expectSeats(base, pincode, sessionId, expected, what) {
  let last;
  for (let i = 0; i < 20; i++) {
    last = await seats(base, pincode, sessionId);
    if (last === expected) return;
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${what}: the API shows ${last} dose-1 seats, expected ${expected}`);
}

// ---------------------------------------------------------------------------------------------
// The citizen flow

async function citizenFlow(backend, browser) {
  const server = await startServer(backend);
  const { base } = server;
  const context = await browser.newContext({
    viewport: { width: 360, height: 740 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    locale: 'hi-IN',
    acceptDownloads: true,
  });
  context.setDefaultTimeout(15_000);
  context.setDefaultNavigationTimeout(30_000);
  const page = await context.newPage();
  const consoleErrors = [];
  // Form pages answered 400/409 on purpose (wrong OTP, duplicate ID) log "Failed to load
  // resource"; anything else (script errors, CSP violations) is a failure.
  page.on('console', (m) => {
    if (m.type() === 'error' && !/^Failed to load resource: the server responded with a status of 4\d\d/.test(m.text())) consoleErrors.push(m.text());
  });
  page.on('pageerror', (e) => consoleErrors.push(String(e)));
  page.on('dialog', (d) => d.accept());

  const state = {};
  const members = { asha: { name: 'Asha Verma', id: aadhaar(), gender: '2' }, ravi: { name: 'Ravi Verma', id: aadhaar(), gender: '1' } };
  const birthYear = String(indiaToday().year - 36);
  const text = (sel) => page.locator(sel).first().innerText();
  const htmlLang = () => page.getAttribute('html', 'lang');
  const memberCard = (name) => page.locator('article.member', { has: page.locator('h3', { hasText: name }) });

  const steps = [
    ['find a pincode with sessions through the public API', async () => {
      Object.assign(state, await findPincode(base));
      state.seats0 = await seats(base, state.pincode, state.first.session_id);
      state.seatsOther0 = await seats(base, state.pincode, state.second.session_id);
    }],
    ['home opens in Hindi from Accept-Language', async () => {
      await page.goto(`${base}/`);
      assertEq(await htmlLang(), 'hi', '<html lang>');
      assertEq((await text('h1')).trim(), 'टीकाकरण केंद्र खोजें', 'Hindi heading');
      assert((await page.content()).includes('पिनकोड'), 'the pincode label is in Hindi');
      mkdirSync(ARTIFACTS, { recursive: true });
      await page.screenshot({ path: path.join(ARTIFACTS, `home-hi-${backend}.png`), fullPage: true });
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert(overflow <= 0, `the page is ${overflow}px wider than the 360px screen`);
    }],
    ['switch to English, and the choice is remembered', async () => {
      await page.click('#lang-switch');
      await page.waitForFunction(() => document.documentElement.lang === 'en');
      assertEq((await text('h1')).trim(), 'Find a vaccination centre', 'English heading');
      await page.goto(`${base}/`);
      assertEq(await htmlLang(), 'en', '<html lang> after reload (tika_lang cookie)');
    }],
    ['search by pincode lists the session, with "Log in to book"', async () => {
      await page.check('input[name="by"][value="pin"]');
      await page.fill('#pincode', state.pincode);
      await page.click('#search-button');
      await page.waitForSelector('#results');
      const row = page.locator(`li.session[data-session-id="${state.first.session_id}"]`);
      await row.waitFor();
      assertEq(Number(await row.locator('b.d1').innerText()), state.seats0, 'dose-1 seats on the page match the API');
      assert((await row.innerText()).includes(state.vaccine), 'the vaccine is shown');
      assert(await row.locator('a.book-login').isVisible(), '"Log in to book" is offered');
      await page.screenshot({ path: path.join(ARTIFACTS, `search-en-${backend}.png`), fullPage: true });
    }],
    ['search by state and district (districts loaded by JavaScript)', async () => {
      await page.check('input[name="by"][value="district"]');
      await page.selectOption('#state_id', { label: state.first.center.state_name });
      await page.waitForFunction(() => document.querySelectorAll('#district_id option').length > 1);
      await page.selectOption('#district_id', { label: state.first.center.district_name });
      await page.click('#search-button');
      await page.waitForSelector('#results h2');
      await page.locator(`li.session[data-session-id="${state.first.session_id}"]`).waitFor();
    }],
    ['log in with mobile and OTP (a wrong OTP is refused first)', async () => {
      await page.goto(`${base}/?pincode=${state.pincode}`);
      await page.click(`li.session[data-session-id="${state.first.session_id}"] a.book-login`);
      await page.waitForURL(/\/login\?next=/);
      await page.fill('#mobile', MOBILE);
      await page.click('#get-otp');
      assertEq((await text('#otp-sent')).trim(), 'OTP sent to ******3210', 'OTP sent message');
      await page.fill('#otp', '000000');
      await page.click('#verify-otp');
      assert((await text('#form-error')).includes('Invalid OTP'), 'wrong OTP error is shown');
      await page.fill('#otp', OTP);
      await page.click('#verify-otp');
      await page.waitForURL(/\/book\?session_id=/);
      const cookies = await context.cookies(base);
      const token = cookies.find((c) => c.name === 'tika_token');
      assert(token && token.httpOnly && token.sameSite === 'Lax', 'tika_token is HttpOnly and SameSite=Lax');
      assertEq(await page.evaluate(() => document.cookie.includes('tika_token')), false, 'the token is not visible to scripts');
    }],
    ['add two members', async () => {
      await page.goto(`${base}/account`);
      assert((await text('#remaining')).includes('You can add 4 more members'), 'remaining count before');
      for (const m of [members.asha, members.ravi]) {
        await page.click('#add-member');
        await page.fill('#name', m.name);
        await page.fill('#birth_year', birthYear);
        await page.selectOption('#gender_id', m.gender);
        await page.selectOption('#photo_id_type', '1');
        await page.fill('#photo_id_number', m.id);
        await page.click('#save-member');
        await page.waitForURL(`${base}/account`);
        assert((await text('#flash')).includes('Member added. Reference ID:'), 'member added flash');
        m.ref = (await memberCard(m.name).getAttribute('data-ref')) || '';
        assert(/^\d{14}$/.test(m.ref), `reference id of ${m.name}`);
      }
      assert((await text('#remaining')).includes('You can add 2 more members'), 'remaining count after');
    }],
    ['a duplicate photo ID is refused, keeping the other values', async () => {
      await page.click('#add-member');
      await page.fill('#name', 'Someone Else');
      await page.fill('#birth_year', birthYear);
      await page.selectOption('#gender_id', '3');
      await page.selectOption('#photo_id_type', '1');
      await page.fill('#photo_id_number', members.ravi.id);
      await page.click('#save-member');
      assert((await text('#form-error')).includes('A beneficiary with this photo ID is already registered'), 'duplicate error');
      assertEq(await page.inputValue('#name'), 'Someone Else', 'the name is kept');
      assertEq(await page.inputValue('#photo_id_number'), '', 'the ID number is not echoed back');
    }],
    ['book a session for one member and see the security code', async () => {
      await page.goto(`${base}/book?session_id=${state.first.session_id}`);
      await page.check(`input[name="beneficiaries"][value="${members.asha.ref}"]`);
      await page.check('input[name="slot"] >> nth=1');
      state.slot = await page.locator('input[name="slot"]:checked').getAttribute('value');
      await page.check('input[name="dose"][value="1"]');
      await page.screenshot({ path: path.join(ARTIFACTS, `book-en-${backend}.png`), fullPage: true });
      await page.click('#confirm-booking');
      await page.waitForURL(`${base}/account`);
      const flash = await text('#flash');
      const m = flash.match(/Security code: (\d{4})/);
      assert(m, `booking flash: ${flash}`);
      const card = memberCard(members.asha.name);
      assertEq((await card.locator('.security-code').innerText()).trim(), m[1], 'security code on the account page');
      assertEq((await card.locator('.appt-slot').innerText()).trim(), state.slot, 'booked slot');
      state.appointment = await card.locator('section.appointment').getAttribute('data-appointment-id');
      await page.screenshot({ path: path.join(ARTIFACTS, `account-en-${backend}.png`), fullPage: true });
      await page.goto(`${base}/account?lang=hi`);
      assertEq(await htmlLang(), 'hi', 'account page in Hindi');
      assert((await page.content()).includes('सुरक्षा कोड'), 'Hindi label for the security code');
      await page.screenshot({ path: path.join(ARTIFACTS, `account-hi-${backend}.png`), fullPage: true });
      await page.goto(`${base}/account?lang=en`);
    }],
    ['the API shows one dose-1 seat fewer', async () => {
      await expectSeats(base, state.pincode, state.first.session_id, state.seats0 - 1, 'after booking');
    }],
    ['download the appointment slip (PDF)', async () => {
      const res = await context.request.get(`${base}/slip?appointment_id=${state.appointment}`);
      assertEq(res.status(), 200, 'slip status');
      assertEq(res.headers()['content-type'], 'application/pdf', 'slip content type');
      const body = await res.body();
      assertEq(body.subarray(0, 4).toString('latin1'), '%PDF', 'slip body');
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        memberCard(members.asha.name).locator('a[href^="/slip"]').click(),
      ]);
      const file = await download.path();
      assertEq(readFileSync(file).subarray(0, 4).toString('latin1'), '%PDF', 'downloaded file');
    }],
    ['reschedule to another session', async () => {
      await memberCard(members.asha.name).locator('a[href^="/reschedule"]').click();
      await page.waitForURL(/\/reschedule\?appointment_id=/);
      const row = page.locator(`li.session[data-session-id="${state.second.session_id}"]`);
      await row.waitFor();
      await page.screenshot({ path: path.join(ARTIFACTS, `reschedule-en-${backend}.png`), fullPage: true });
      await row.locator('button[type="submit"]').click();
      await page.waitForURL(`${base}/account`);
      assert((await text('#flash')).includes('Appointment rescheduled.'), 'rescheduled flash');
      const date = (await memberCard(members.asha.name).locator('.appt-date').innerText()).trim();
      assert(date.endsWith(state.second.date), `new date ${date} is the second session's ${state.second.date}`);
      await expectSeats(base, state.pincode, state.first.session_id, state.seats0, 'old session after rescheduling');
      await expectSeats(base, state.pincode, state.second.session_id, state.seatsOther0 - 1, 'new session after rescheduling');
    }],
    ['cancel the appointment (with confirmation)', async () => {
      await memberCard(members.asha.name).locator('form[action="/cancel"] button').click();
      await page.waitForURL(`${base}/account`);
      assert((await text('#flash')).includes('Appointment cancelled.'), 'cancelled flash');
      assertEq(await page.locator('.security-code').count(), 0, 'no appointment left');
      await expectSeats(base, state.pincode, state.second.session_id, state.seatsOther0, 'after cancelling');
    }],
    ['remove a member (with confirmation)', async () => {
      await memberCard(members.ravi.name).locator('form[action="/account/remove"] button').click();
      await page.waitForURL(`${base}/account`);
      assert((await text('#flash')).includes('Member removed.'), 'removed flash');
      assertEq(await memberCard(members.ravi.name).count(), 0, 'Ravi is gone');
      assert((await text('#remaining')).includes('You can add 3 more members'), 'remaining count');
    }],
    ['log out', async () => {
      await page.click('#logout');
      await page.waitForURL(`${base}/`);
      assert((await text('#flash')).includes('You have been logged out.'), 'logged out flash');
      await page.goto(`${base}/account`);
      await page.waitForURL(/\/login\?next=%2Faccount/);
    }],
    ['no JavaScript or CSP errors in the console', async () => {
      assertEq(consoleErrors.length, 0, `console errors: ${consoleErrors.join(' | ')}`);
    }],
  ];
  try {
    await runSteps(backend, steps);
  } finally {
    await context.close().catch(() => {});
    await server.stop();
  }
}

// ---------------------------------------------------------------------------------------------

async function main() {
  mkdirSync(ARTIFACTS, { recursive: true });
  let browser;
  try {
    browser = await withTimeout(chromium.launch({
      executablePath: CHROMIUM,
      headless: !process.env.E2E_HEADED,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'].filter((a) => a !== '--headless' || !process.env.E2E_HEADED),
    }), 60_000, 'launching Chromium');
  } catch (e) {
    failed++;
    console.log(`not ok - launch Chromium at ${CHROMIUM}\n  ${e.message}`);
  }
  if (browser) {
    for (const backend of BACKENDS) {
      try {
        await citizenFlow(backend, browser);
      } catch (e) {
        failed++;
        console.log(`not ok - [${backend}] start the server\n  ${e.message}`);
      }
    }
    await browser.close().catch(() => {});
  }
  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed === 0 && passed > 0 ? 0 : 1;
}

await main();
killAll();
process.exit(process.exitCode);
