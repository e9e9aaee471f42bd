// End-to-end test of the officials' console (/console) in real headless Chromium.
//
// Builds nothing. Starts `tika serve --demo --demo-facilities 50` once per backend
// (E2E_BACKENDS, default "sqlite,postgres"; fresh data directory and PostgreSQL database), then,
// on a laptop-sized screen: logs in as the demo district official (delhi.admin), creates a
// facility (a bad pincode first: the error is shown next to the field), plans a recurring
// session plan and sees the sessions, changes a session's seats, cancels one, finds those
// changes in the audit log, switches to Hindi, and checks the pages on a phone-sized screen;
// then logs in as another district's official (mumbai.admin) and checks the facility is neither
// reachable (the not-found page) nor listed. Prints `ok - …` / `not ok - …` per step and ends
// with `N passed, M failed`; screenshots go to e2e/artifacts.
//
//   TIKA_BIN           the tika binary (default target/debug/tika, relative to the repo root)
//   E2E_BACKENDS       comma-separated: sqlite, postgres
//   TIKA_TEST_PG_URL   PostgreSQL maintenance URL (default postgres://postgres@127.0.0.1:5432/postgres)
//   CHROMIUM           the browser (default /usr/bin/chromium)
//   E2E_HEADED=1       show the browser (needs a display)

import { mkdirSync } from 'node:fs';
import path from 'node:path';
import {
  ARTIFACTS, assert, assertEq, globalTimeout, indiaToday, phoneContext, runOnEveryBackend,
  runSteps, startServer,
} from './lib.mjs';

// The demo officials (crates/cli/src/demo_admin.rs).
const DELHI = { username: 'delhi.admin', password: 'tika-demo-delhi1' };
const MUMBAI = { username: 'mumbai.admin', password: 'tika-demo-mumbai1' };
const FACILITY = 'UPHC Gole Market (e2e)';

globalTimeout(15 * 60_000);

function isoPlusDays(iso, days) {
  const d = new Date(`${iso}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  return d.toISOString().slice(0, 10);
}

async function consoleFlow(backend, browser) {
  const server = await startServer(backend, ['--demo-facilities', '50'], 'console');
  const { base } = server;
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, locale: 'en-IN' });
  context.setDefaultTimeout(15_000);
  context.setDefaultNavigationTimeout(30_000);
  const page = await context.newPage();
  const problems = [];
  // Forms answered 400/404 on purpose log "Failed to load resource"; anything else (script
  // errors, CSP violations) is a failure.
  page.on('console', (m) => {
    if (m.type() === 'error' && !/^Failed to load resource: the server responded with a status of 4\d\d/.test(m.text())) problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(String(e)));
  page.on('dialog', (d) => d.accept());
  const text = async (sel) => (await page.locator(sel).first().innerText()).trim();
  const state = {};
  mkdirSync(ARTIFACTS, { recursive: true });
  const shot = (name) => page.screenshot({ path: path.join(ARTIFACTS, `console-${name}-${backend}.png`), fullPage: true });

  async function logIn(who) {
    await page.goto(`${base}/console/login`);
    await page.fill('#username', who.username);
    await page.fill('#password', who.password);
    await page.click('#login-button');
    await page.waitForURL(`${base}/console`);
    assert((await text('#flash')).includes('logged in'), 'login flash');
  }

  async function logOut() {
    await page.click('#logout');
    await page.waitForURL(/\/console\/login/);
  }

  const steps = [
    ['the console asks for a login; a wrong password is refused', async () => {
      await page.goto(`${base}/console/facilities`);
      await page.waitForURL(/\/console\/login\?next=/);
      await page.fill('#username', DELHI.username);
      await page.fill('#password', 'not-the-password-1');
      await page.click('#login-button');
      assert((await text('#form-error')).includes('Wrong username or password'), 'error shown');
    }],
    ['the district official logs in; the cookie is HttpOnly, SameSite=Strict, Path=/console', async () => {
      await page.fill('#username', DELHI.username);
      await page.fill('#password', DELHI.password);
      await page.click('#login-button');
      await page.waitForURL(`${base}/console/facilities`);
      const cookie = (await context.cookies(`${base}/console`)).find((c) => c.name === 'tika_console');
      assert(cookie && cookie.httpOnly && cookie.sameSite === 'Strict' && cookie.path === '/console', `console cookie: ${JSON.stringify(cookie)}`);
      await page.goto(`${base}/console`);
      assertEq(await text('#my-level'), 'District', 'level');
      assert(await page.locator('#nav-audit').isVisible(), 'the audit log is linked');
      assert(await page.locator('#home-new-facility').isVisible(), 'a district official may create facilities');
      await shot('home-en');
    }],
    ['the facility list shows the area\'s facilities', async () => {
      await page.click('#nav-facilities');
      await page.waitForURL(/\/console\/facilities/);
      const rows = page.locator('#facilities tbody tr');
      assert((await rows.count()) > 0, 'the demo facility of the district is listed');
      state.pincode = (await rows.first().locator('td').nth(3).innerText()).trim();
      assert(/^\d{6}$/.test(state.pincode), `a pincode of the district: ${state.pincode}`);
    }],
    ['a facility with a bad pincode shows the error next to the field, keeping the values', async () => {
      await page.click('#new-facility');
      await page.waitForURL(/\/console\/facilities\/new/);
      await page.fill('#f-name', FACILITY);
      await page.fill('#f-address', 'Gole Market, Baba Kharak Singh Marg');
      await page.fill('#f-block', 'New Delhi');
      await page.fill('#f-pincode', '999999');
      await page.fill('#f-cold_chain_point', 'CCP RML Hospital');
      await page.click('#save-facility');
      await page.locator('#err-pincode').waitFor();
      assert((await text('#err-pincode')).length > 0, 'the pincode error has a message');
      assertEq(await page.getAttribute('#f-pincode', 'aria-invalid'), 'true', 'the field is marked');
      assertEq(await page.inputValue('#f-name'), FACILITY, 'the name is kept');
      await shot('facility-error');
    }],
    ['with a good pincode the facility is created', async () => {
      await page.fill('#f-pincode', state.pincode);
      await page.click('#save-facility');
      await page.waitForURL(/\/console\/facilities\/\d+$/);
      state.facilityUrl = page.url();
      assertEq(await text('#facility-name'), FACILITY, 'facility page');
      assertEq(await text('#flash'), 'Facility created.', 'flash');
      await page.locator('#no-sessions').waitFor();
    }],
    ['a recurring plan (weekdays for 4 weeks) creates sessions that are listed', async () => {
      await page.click('#plan-sessions');
      await page.waitForURL(/\/plan$/);
      const from = isoPlusDays(indiaToday().iso, 1);
      await page.fill('#p-from', from);
      await page.fill('#p-until', isoPlusDays(from, 27));
      await page.fill('#p-capacity_dose1', '50');
      await page.fill('#p-capacity_dose2', '25');
      await page.click('#create-sessions');
      await page.locator('#plan-created').waitFor();
      const m = (await text('#plan-created')).match(/Sessions created: (\d+)/);
      assert(m && Number(m[1]) === 20, `20 weekday sessions in 4 weeks: ${await text('#plan-created')}`);
      await page.click('#back-to-facility');
      await page.waitForURL(/\/console\/facilities\/\d+/);
      const sessions = page.locator('li.session');
      assert((await sessions.count()) >= 19, `sessions listed: ${await sessions.count()}`);
      assert((await sessions.first().locator('b.d1').innerText()).includes('0 of 50 booked'), 'seats shown');
      state.first = await sessions.nth(0).getAttribute('data-session-id');
      state.second = await sessions.nth(1).getAttribute('data-session-id');
    }],
    ['a session\'s seats are changed', async () => {
      const row = page.locator(`li.session[data-session-id="${state.first}"]`);
      await row.locator('summary', { hasText: 'Change seats' }).click();
      await row.locator('input[name="capacity_dose1"]').fill('75');
      await row.locator('form.edit-session button[type="submit"]').click();
      await page.waitForURL(/\/console\/facilities\/\d+/);
      assertEq(await text('#flash'), 'Session updated.', 'flash');
      const after = page.locator(`li.session[data-session-id="${state.first}"] b.d1`);
      assert((await after.innerText()).includes('0 of 75 booked'), `new seats: ${await after.innerText()}`);
    }],
    ['a session is cancelled with a reason', async () => {
      const row = page.locator(`li.session[data-session-id="${state.second}"]`);
      await row.locator('summary', { hasText: 'Cancel session' }).click();
      await row.locator('form.cancel-session input[name="reason"]').fill('Vaccine delivery delayed');
      await row.locator('form.cancel-session button[type="submit"]').click();
      await page.waitForURL(/\/console\/facilities\/\d+/);
      assert((await text('#flash')).startsWith('Session cancelled'), 'flash');
      const badge = page.locator(`li.session[data-session-id="${state.second}"] .state`);
      assertEq((await badge.innerText()).trim(), 'Cancelled', 'the session shows as cancelled');
      await shot('facility-en');
    }],
    ['the audit log shows those changes, and filters by action', async () => {
      await page.click('#nav-audit');
      await page.waitForURL(/\/console\/audit/);
      for (const action of ['facility.create', 'session.plan', 'session.edit', 'session.cancel']) {
        assert((await page.locator(`#audit tr[data-action="${action}"]`).count()) > 0, `${action} is in the audit log`);
      }
      const edit = page.locator('#audit tr[data-action="session.edit"]').first();
      assert((await edit.innerText()).includes(DELHI.username), 'the actor is shown by username');
      assert((await edit.locator('ins').count()) > 0, 'the after value is shown');
      await page.fill('#au-action', 'session.cancel');
      await page.click('#audit-apply');
      await page.waitForURL(/action=session.cancel/);
      assertEq(await page.locator('#audit tr[data-action="facility.create"]').count(), 0, 'filtered');
      assert((await page.locator('#audit tr[data-action="session.cancel"]').count()) > 0, 'kept');
      await shot('audit-en');
    }],
    ['switching to Hindi shows Hindi headings, and the choice is remembered', async () => {
      await page.click('#lang-switch');
      await page.waitForFunction(() => document.documentElement.lang === 'hi');
      assertEq(await text('h1'), 'ऑडिट लॉग', 'Hindi heading');
      await page.goto(state.facilityUrl);
      assertEq(await page.getAttribute('html', 'lang'), 'hi', 'remembered');
      assert((await text('#sessions h2')) === 'अगले 4 सप्ताह के सत्र', 'sessions heading in Hindi');
      await shot('facility-hi');
      await page.click('#lang-switch');
      await page.waitForFunction(() => document.documentElement.lang === 'en');
    }],
    ['on a phone-sized screen the facility page fits the width', async () => {
      const phone = await phoneContext(browser, { locale: 'en-IN' });
      await phone.addCookies(await context.cookies());
      const p = await phone.newPage();
      p.on('pageerror', (e) => problems.push(String(e)));
      await p.goto(state.facilityUrl);
      assertEq((await p.locator('#facility-name').innerText()).trim(), FACILITY, 'facility page on the phone');
      const overflow = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert(overflow <= 0, `the page is ${overflow}px wider than the 360px screen`);
      await p.screenshot({ path: path.join(ARTIFACTS, `console-facility-phone-${backend}.png`), fullPage: true });
      await p.goto(`${base}/console/audit`);
      const overflowAudit = await p.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert(overflowAudit <= 0, `the audit page is ${overflowAudit}px wider than the screen`);
      await phone.close();
    }],
    ['the SMS delivery page counts the district\'s messages by gateway', async () => {
      await page.click('#nav-messages');
      await page.locator('#delivery, #no-messages').first().waitFor();
      assertEq(await text('h1'), 'SMS delivery', 'heading');
      await page.click('#msg-days a[href$="days=30"]');
      await page.locator('#delivery, #no-messages').first().waitFor();
      if (await page.locator('#delivery').count()) {
        const total = Number((await page.locator('#delivery-total td, #delivery-total th').nth(2).innerText()).trim());
        assert(total > 0, `a total of ${total}`);
      }
      await shot('messages-en');
    }],
    ['another district\'s official gets the not-found page and does not see the facility', async () => {
      await page.goto(`${base}/console`);
      await logOut();
      await logIn(MUMBAI);
      const res = await page.goto(state.facilityUrl);
      assertEq(res.status(), 404, 'status');
      assertEq(await text('h1'), 'Page not found', 'not-found page');
      await page.goto(`${base}/console/facilities?q=${encodeURIComponent('Gole Market')}`);
      await page.locator('#no-facilities').waitFor();
      assertEq(await page.locator(`a.facility-link`, { hasText: FACILITY }).count(), 0, 'not listed');
      const id = state.facilityUrl.split('/').pop();
      await page.goto(`${base}/console/audit?subject=${encodeURIComponent(`center:${id}`)}`);
      await page.locator('#no-changes').waitFor();
      assert(!(await page.content()).includes(state.facilityUrl.replace(base, '')), 'no link to it anywhere');
    }],
    ['no script errors or CSP violations', async () => {
      assertEq(problems.length, 0, `browser problems: ${problems.join(' | ')}`);
    }],
  ];
  try {
    await runSteps(`console/${backend}`, steps);
  } finally {
    await context.close().catch(() => {});
    await server.stop();
  }
}

await runOnEveryBackend('console', consoleFlow);
