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

import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  ARTIFACTS, BACKENDS, OTP, aadhaar, assert, assertEq, failure, finish, globalTimeout, indiaToday,
  launchChromium, phoneContext, runSteps, startServer, withTimeout,
} from './lib.mjs';

const MOBILE = '9876543210';
globalTimeout(20 * 60_000);

async function getJson(url) {
  const res = await withTimeout(fetch(url, { headers: { accept: 'application/json' } }), 15_000, `GET ${url}`);
  assert(res.ok, `GET ${url} answered ${res.status}`);
  return res.json();
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
  const server = await startServer(backend, ['--demo-facilities', '800']);
  const { base } = server;
  const context = await phoneContext(browser, { locale: 'hi-IN', acceptDownloads: true });
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
    browser = await launchChromium();
  } catch (e) {
    failure('launch Chromium', e);
  }
  if (browser) {
    for (const backend of BACKENDS) {
      try {
        await citizenFlow(backend, browser);
      } catch (e) {
        failure(`[${backend}] start the server`, e);
      }
    }
    await browser.close().catch(() => {});
  }
  finish();
}

await main();
