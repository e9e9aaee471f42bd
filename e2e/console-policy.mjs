// End-to-end test of the console's campaign policy and survey pages in real headless Chromium.
//
// Builds nothing. Starts `tika serve --demo --demo-facilities 50` once per backend
// (E2E_BACKENDS, default "sqlite,postgres"; fresh data directory and PostgreSQL database), then:
// the national official (admin) opens the policy page, submits the pre-filled next version with
// a retroactive date (the error is shown at the field, values kept), then with tomorrow's date
// (created, listed as upcoming, its groups shown); the Delhi official (delhi.admin) sees the
// versions without the form, finds a citizen booked at a Delhi facility by reference id and
// records a survey of their comorbidities; the Mumbai official cannot find that person.
// Prints `ok - …` / `not ok - …` per step and ends with `N passed, M failed`; screenshots go to
// e2e/artifacts.
//
//   TIKA_BIN           the tika binary (default target/debug/tika, relative to the repo root)
//   E2E_BACKENDS       comma-separated: sqlite, postgres
//   TIKA_TEST_PG_URL   PostgreSQL maintenance URL (default postgres://postgres@127.0.0.1:5432/postgres)
//   CHROMIUM           the browser (default /usr/bin/chromium)

import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import {
  ARTIFACTS, OTP, aadhaar, assert, assertEq, globalTimeout, indiaToday, runOnEveryBackend,
  runSteps, startServer, withTimeout,
} from './lib.mjs';

// The demo officials (crates/cli/src/demo_admin.rs).
const NATIONAL = { username: 'admin', password: 'tika-demo-national1' };
const DELHI = { username: 'delhi.admin', password: 'tika-demo-delhi1' };
const MUMBAI = { username: 'mumbai.admin', password: 'tika-demo-mumbai1' };

globalTimeout(15 * 60_000);

const sha256 = (s) => createHash('sha256').update(s).digest('hex');

function isoPlusDays(iso, days) {
  const d = new Date(`${iso}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

async function api(base, method, p, { token, body } = {}) {
  const headers = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await withTimeout(fetch(`${base}${p}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) }), 15_000, `${method} ${p}`);
  const text = await res.text();
  assert(res.status >= 200 && res.status < 300, `${method} ${p} answered ${res.status}: ${text.slice(0, 300)}`);
  return JSON.parse(text);
}

/** A citizen registered and booked at a session of the pincode's facility: the reference id. */
async function bookedCitizen(base, pincode) {
  const mob = `7${String(Math.floor(Math.random() * 1e9)).padStart(9, '0')}`;
  const { txnId } = await api(base, 'POST', '/api/v2/auth/generateMobileOTP', { body: { mobile: mob } });
  const { token } = await api(base, 'POST', '/api/v2/auth/validateMobileOtp', { body: { otp: sha256(OTP), txnId } });
  const ref = (await api(base, 'POST', '/api/v2/registration/beneficiary/new', {
    token,
    body: { name: 'Kamla Devi', birth_year: String(indiaToday().year - 50), gender_id: 2, photo_id_type: 1, photo_id_number: aadhaar(), comorbidity_ind: 'N' },
  })).beneficiary_reference_id;
  // Today's version is the pack's; book today, or the next days, where there is a seat.
  for (let d = 0; d < 7; d += 1) {
    const iso = isoPlusDays(indiaToday().iso, d);
    const [y, m, day] = iso.split('-');
    const found = await api(base, 'GET', `/api/v2/appointment/sessions/public/findByPin?pincode=${pincode}&date=${day}-${m}-${y}`);
    const s = (found.sessions || []).find((x) => x.available_capacity_dose1 > 0 && x.min_age_limit <= 45);
    if (s) {
      await api(base, 'POST', '/api/v2/appointment/schedule', { token, body: { dose: 1, session_id: s.session_id, slot: s.slots[0], beneficiaries: [ref] } });
      return ref;
    }
  }
  throw new Error(`no session with a free seat at ${pincode} this week`);
}

async function policyFlow(backend, browser) {
  const server = await startServer(backend, ['--demo-facilities', '50'], 'console-policy');
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
  const state = {};
  mkdirSync(ARTIFACTS, { recursive: true });
  const shot = (name) => page.screenshot({ path: path.join(ARTIFACTS, `console-policy-${name}-${backend}.png`), fullPage: true });
  const tomorrow = isoPlusDays(indiaToday().iso, 1);
  const label = `IN-E2E-${tomorrow}`;

  async function logIn(who) {
    await page.goto(`${base}/console/login`);
    await page.fill('#username', who.username);
    await page.fill('#password', who.password);
    await page.click('#login-button');
    await page.waitForURL(`${base}/console`);
  }

  async function logOut() {
    await page.click('#logout');
    await page.waitForURL(/\/console\/login/);
  }

  const steps = [
    ['the national official sees the versions, today\'s marked, and the pre-filled form', async () => {
      await logIn(NATIONAL);
      await page.click('#nav-policy');
      await page.waitForURL(`${base}/console/policy`);
      const current = page.locator('#policy-versions tr[data-version="IN-2022-03-16"]');
      assert((await current.innerText()).includes('In force today'), 'the version in force is marked');
      assertEq(await page.inputValue('input[name="g0_code"]'), 'HCW', 'groups pre-filled from the version in force');
      assertEq(await page.inputValue('#pf-effective_from'), tomorrow, 'tomorrow by default');
    }],
    ['a retroactive date is refused at its field, the values kept', async () => {
      await page.fill('#pf-version', label);
      await page.fill('#pf-effective_from', indiaToday().iso);
      await page.fill('#pf-note', 'e2e: 60+ first again');
      await page.fill('input[name="g2_rank"]', '1');
      await page.click('#policy-create');
      await page.locator('#err-effective_from').waitFor();
      assert((await text('#err-effective_from')).includes('retroactively'), 'the date error');
      assertEq(await page.getAttribute('#pf-effective_from', 'aria-invalid'), 'true', 'the field is marked');
      assert((await text('#err-groups')).includes('rank 1 is already used'), 'the rank error too');
      assertEq(await page.inputValue('#pf-version'), label, 'the label is kept');
      await shot('error');
    }],
    ['with tomorrow\'s date and unique ranks the version is added and listed as upcoming', async () => {
      await page.fill('#pf-effective_from', tomorrow);
      await page.fill('input[name="g2_rank"]', '3');
      await page.click('#policy-create');
      await page.locator('#policy-created').waitFor();
      assert((await text('#policy-created')).includes(label), 'confirmation');
      const row = page.locator(`#policy-versions tr[data-version="${label}"]`);
      assert((await row.innerText()).includes('Upcoming'), 'upcoming');
      await row.locator('a').click();
      await page.waitForURL(/\/console\/policy\/IN-E2E-/);
      assert(await page.locator('#policy-groups tr[data-code="HCW"]').isVisible(), 'its groups are shown');
      await shot('version');
      await logOut();
    }],
    ['the Delhi official reads the versions but gets no form', async () => {
      await logIn(DELHI);
      await page.goto(`${base}/console/policy`);
      assert(await page.locator('#policy-read-only').isVisible(), 'read-only note');
      assertEq(await page.locator('#policy-form').count(), 0, 'no form');
      await page.goto(`${base}/console/facilities`);
      const rows = page.locator('#facilities tbody tr');
      state.pincode = (await rows.first().locator('td').nth(3).innerText()).trim();
      assert(/^\d{6}$/.test(state.pincode), `a pincode of the district: ${state.pincode}`);
      state.ref = await bookedCitizen(base, state.pincode);
    }],
    ['the Delhi official finds the person by reference id and records a survey', async () => {
      await page.click('#nav-surveys');
      await page.waitForURL(`${base}/console/surveys`);
      await page.fill('#sv-ref', state.ref);
      await page.click('#survey-find-go');
      await page.locator('#survey-form').waitFor();
      assert((await text('#survey-person')).includes(state.ref), 'the person');
      await page.check('#survey-conditions input[value="diabetes"]');
      await page.check('#survey-conditions input[value="heart_disease"]');
      await page.fill('#sv-notes', 'e2e visit');
      await page.fill('#sv-surveyor', 'ASHA Sunita');
      await page.click('#survey-record');
      await page.locator('#survey-done').waitFor();
      assert((await text('#survey-done')).includes(state.ref), 'recorded');
      const first = page.locator('#surveys tbody tr').first();
      assert((await first.innerText()).includes('2 conditions'), 'listed with its count');
      await shot('survey');
      await logOut();
    }],
    ['the Mumbai official cannot find that person', async () => {
      await logIn(MUMBAI);
      const res = await page.goto(`${base}/console/surveys?ref=${state.ref}`);
      assertEq(res.status(), 404, 'status');
      assert(await page.locator('#survey-not-found').isVisible(), 'not found');
      assertEq(await page.locator('#survey-form').count(), 0, 'no form');
    }],
    ['no script errors or CSP violations', async () => {
      assertEq(problems.length, 0, `browser problems: ${problems.join(' | ')}`);
    }],
  ];
  try {
    await runSteps(`console-policy/${backend}`, steps);
  } finally {
    await context.close().catch(() => {});
    await server.stop();
  }
}

await runOnEveryBackend('console-policy', policyFlow);
