// End-to-end test of the vaccinator's site app (/site/) in real headless Chromium, phone-sized.
//
// Builds nothing. Starts `tika serve --demo --demo-facilities 50` once per backend (E2E_BACKENDS,
// default "sqlite,postgres"; fresh data directory and PostgreSQL database), logs in as the demo
// vaccinator, opens today's demo session and works it OFFLINE: search, verify (security code),
// arrivals, doses, a walk-in, an AEFI report, an undo, a reload while offline.  Then it goes
// online and checks through the site API that every record reached the server exactly once.
// Also: replaying an upload, two devices working the same session, Hindi, the paper list, logout
// with unsynced records, and a refused upload that must not loop.  Variables as in run.mjs
// (see lib.mjs).  Prints `ok - …` / `not ok - …` per step and ends with `N passed, M failed`.

import { randomBytes, randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import {
  ARTIFACTS, BACKENDS, OTP, aadhaar, assert, assertEq, failure, finish, globalTimeout, indiaToday,
  launchChromium, phoneContext, runSteps, startServer, withTimeout,
} from './lib.mjs';

globalTimeout(25 * 60_000);

const VACCINATOR = { username: 'demo.vaccinator', password: 'tika-demo-vaccinator' };
const ADMIN = { username: 'demo.admin', password: 'tika-demo-admin' };

/** A record id as a device makes it (the server accepts only UUIDv7 record ids). */
function uuidv7() {
  const b = randomBytes(16);
  b.writeUIntBE(Date.now(), 0, 6);
  b[6] = (b[6] & 0x0f) | 0x70;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

// ---------------------------------------------------------------------------------------------
// The site API, from Node (the test's independent view of the server)

async function call(base, method, path, { token, body, raw } = {}) {
  const headers = { accept: 'application/json' };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await withTimeout(fetch(`${base}/api/site/v1${path}`, {
    method, headers, body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  }), 15_000, `${method} ${path}`);
  const text = await res.text();
  let json = null;
  if (!raw) {
    try { json = JSON.parse(text); } catch { /* 401 is plain text */ }
  }
  return { status: res.status, text, json };
}

async function apiLogin(base, who) {
  const res = await call(base, 'POST', '/login', { body: who });
  assertEq(res.status, 200, `POST /login as ${who.username} (${res.text})`);
  return res.json;
}

async function apiBundle(base, token, sessionId) {
  const res = await call(base, 'GET', `/sessions/${sessionId}/bundle`, { token });
  assertEq(res.status, 200, `GET bundle (${res.text})`);
  return res.json;
}

async function apiTally(base, token, sessionId) {
  const res = await call(base, 'GET', `/sessions/${sessionId}/tally`, { token });
  assertEq(res.status, 200, `GET tally (${res.text})`);
  return res.json;
}

// ---------------------------------------------------------------------------------------------
// The app's IndexedDB, read from the page

function idbAll(page, store) {
  return page.evaluate((store) => new Promise((resolve, reject) => {
    const open = indexedDB.open('tika-site');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const r = open.result.transaction(store).objectStore(store).getAll();
      r.onsuccess = () => { open.result.close(); resolve(r.result); };
      r.onerror = () => reject(r.error);
    };
  }), store);
}

function idbGet(page, store, key) {
  return page.evaluate(([store, key]) => new Promise((resolve, reject) => {
    const open = indexedDB.open('tika-site');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const r = open.result.transaction(store).objectStore(store).get(key);
      r.onsuccess = () => { open.result.close(); resolve(r.result); };
      r.onerror = () => reject(r.error);
    };
  }), [store, key]);
}

/** Puts a raw record into the outbox, as if the app had made it (for the refusal test). */
function idbAddRecord(page, record) {
  return page.evaluate((record) => new Promise((resolve, reject) => {
    const open = indexedDB.open('tika-site');
    open.onerror = () => reject(open.error);
    open.onsuccess = () => {
      const x = open.result.transaction('outbox', 'readwrite');
      x.objectStore('outbox').add({ client_id: record.client_id, session_id: record.session_id, state: 'pending', record, result: null });
      x.oncomplete = () => { open.result.close(); resolve(); };
      x.onerror = () => reject(x.error);
    };
  }), record);
}

const records = async (page, kind) => (await idbAll(page, 'outbox')).map((e) => e.record).filter((r) => !kind || r.kind === kind);

// ---------------------------------------------------------------------------------------------
// Driving the app

const visible = (page, sel) => page.locator(sel).waitFor({ state: 'visible' });
const text = async (page, sel) => (await page.locator(sel).first().innerText()).trim();
const pendingCount = async (page) => Number(await page.getAttribute('#pending', 'data-count'));

async function waitPending(page, n, timeout = 30_000) {
  await page.waitForFunction((n) => document.getElementById('pending').dataset.count === String(n), n, { timeout });
}

async function domTally(page) {
  const out = {};
  for (const k of ['booked', 'arrived', 'vaccinated', 'walk_ins', 'no_shows']) out[k] = Number(await text(page, `#tally-${k}`));
  return out;
}

async function logIn(page, base, who) {
  await page.goto(`${base}/site/`);
  await visible(page, '#login-view');
  await page.fill('#username', who.username);
  await page.fill('#password', who.password);
  await page.click('#login-button');
  await visible(page, '#sessions-view');
}

async function openSession(page, sessionId, people) {
  await page.click(`#session-list [data-open="${sessionId}"]`);
  await visible(page, '#session-view');
  await page.waitForFunction((n) => document.querySelectorAll('#people li').length === n, people);
}

async function openPerson(page, ref) {
  await page.fill('#search', ref);
  await page.click(`#people li[data-ref="${ref}"] button`);
  await visible(page, '#person-view');
}

async function backToList(page) {
  await page.click('#person-view .back');
  await visible(page, '#session-view');
  await page.fill('#search', '');
}

async function personState(page, ref) {
  return page.getAttribute(`#people li[data-ref="${ref}"]`, 'data-state');
}

/** Verify (tick the photo id, security code), mark arrived, record the dose. */
async function vaccinate(page, appt) {
  await openPerson(page, appt.reference_id);
  await page.check('#id-match');
  await page.fill('#code', appt.security_code);
  await page.click('#mark-arrived');
  await visible(page, '#dose-form');
  assert((await text(page, '#dose-summary')).includes(`dose ${appt.history.length + 1}`), 'the derived dose number is shown');
  await page.click('#record-dose');
  await visible(page, '#done-box');
  assert(/\d+:\d\d left/.test(await text(page, '#observe-timer')), 'the 30-minute observation timer runs');
  await backToList(page);
  assertEq(await personState(page, appt.reference_id), 'vaccinated', `${appt.name} is shown vaccinated`);
}

// ---------------------------------------------------------------------------------------------

async function siteFlow(backend, browser) {
  const server = await startServer(backend, ['--demo-facilities', '50'], 'site');
  const { base } = server;
  const newDevice = async () => {
    const context = await phoneContext(browser, { locale: 'en-IN', acceptDownloads: true });
    context.setDefaultTimeout(15_000);
    context.setDefaultNavigationTimeout(30_000);
    const page = await context.newPage();
    const errors = [];
    // Refusals answered on purpose (wrong password, the bad upload) log "Failed to load
    // resource"; and offline fetches fail by design.  Anything else is a failure.
    page.on('console', (m) => {
      if (m.type() === 'error' && !/^Failed to load resource/.test(m.text())) errors.push(m.text());
    });
    page.on('pageerror', (e) => errors.push(String(e)));
    return { context, page, errors };
  };
  const A = await newDevice();
  const page = A.page;
  let B = null;
  const st = {}; // what the steps learn: token, bundle, people, expectations
  const shot = (name, p = page) => p.screenshot({ path: path.join(ARTIFACTS, `site-${name}-${backend}.png`), fullPage: true });

  const steps = [
    ['the demo has a vaccinator, an admin and a session today with bookings (site API)', async () => {
      const login = await apiLogin(base, VACCINATOR);
      assertEq(login.staff.role, 'vaccinator', 'role');
      assert(login.expires_at > Date.now() && login.expires_at <= Date.now() + 24 * 3600_000, `the token expires later today (${login.expires_at})`);
      st.token = login.token;
      st.staff = login.staff;
      const sessions = (await call(base, 'GET', '/sessions', { token: st.token })).json.sessions;
      const session = sessions.find((s) => s.booked >= 9 && s.date === indiaToday().iso);
      assert(session, `a session today with bookings: ${JSON.stringify(sessions)}`);
      st.sessionId = session.session_id;
      const m = server.output().match(/site demo:.*/);
      if (m) assert(m[0].includes(st.sessionId), `the start-up line names the session: ${m[0]}`);
      st.bundle = await apiBundle(base, st.token, st.sessionId);
      st.booked = st.bundle.appointments.filter((a) => a.status === 'booked' && a.history.length === 0);
      assert(st.booked.length >= 9, 'at least 9 first-dose bookings');
      assert(st.bundle.batches.some((b) => b.vaccine === st.bundle.session.vaccine), 'a batch of the session vaccine');
      assertEq((await call(base, 'GET', '/sessions')).status, 401, 'no token, no sessions');
    }],
    ['the app opens on a 360px phone in English, both languages have every phrase', async () => {
      await page.goto(`${base}/site/`);
      await visible(page, '#login-view');
      assertEq(await page.getAttribute('html', 'lang'), 'en', '<html lang>');
      assertEq(await text(page, '#login-view h1'), 'Vaccinator login', 'login heading');
      const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert(overflow <= 0, `the page is ${overflow}px wider than the screen`);
      const problems = await page.evaluate(() => {
        const { en, hi } = window.TIKA_I18N;
        const holes = (s) => (s.match(/\{\w+\}/g) || []).sort().join();
        return [...new Set([...Object.keys(en), ...Object.keys(hi)])]
          .filter((k) => !(k in en) || !(k in hi) || holes(en[k]) !== holes(hi[k]));
      });
      assertEq(problems.join(), '', 'phrases missing in one language or with different placeholders');
    }],
    ['a wrong password is refused; the right one logs in and keeps the token in IndexedDB', async () => {
      await page.fill('#username', VACCINATOR.username);
      await page.fill('#password', 'not-the-password');
      await page.click('#login-button');
      await visible(page, '#login-error');
      assert((await text(page, '#login-error')).includes('Wrong username or password'), 'error shown');
      await page.fill('#password', VACCINATOR.password);
      await page.click('#login-button');
      await visible(page, '#sessions-view');
      await visible(page, `#session-list [data-open="${st.sessionId}"]`);
      const auth = await idbGet(page, 'kv', 'auth');
      assert(auth && auth.token && auth.expires_at > Date.now(), 'token and expiry in IndexedDB');
      assertEq(auth.staff.username, VACCINATOR.username, 'staff in IndexedDB');
    }],
    ['opening the session downloads the bundle into IndexedDB and shows the tally', async () => {
      await openSession(page, st.sessionId, st.bundle.appointments.length);
      const stored = await idbGet(page, 'bundles', st.sessionId);
      assertEq(stored.appointments.length, st.bundle.appointments.length, 'appointments in IndexedDB');
      const server = await apiTally(base, st.token, st.sessionId);
      const dom = await domTally(page);
      for (const k of ['booked', 'arrived', 'vaccinated', 'walk_ins', 'no_shows']) assertEq(dom[k], server[k], `tally ${k} (DOM vs server)`);
      st.tally0 = server;
      await page.waitForFunction(() => navigator.serviceWorker.controller !== null, null, { timeout: 15_000 });
      await shot('session');
    }],
    ['offline: search by name, reference id and the last 4 of the photo id', async () => {
      await A.context.setOffline(true);
      await page.waitForFunction(() => document.getElementById('net').classList.contains('off'));
      const p = st.booked[0];
      await page.fill('#search', p.name.split(' ')[0].toUpperCase());
      const hits = await page.locator('#people li:not([hidden])').evaluateAll((lis) => lis.map((li) => li.dataset.ref));
      assert(hits.includes(p.reference_id), 'name search, any case');
      await page.fill('#search', p.reference_id);
      assertEq(await page.locator('#people li:not([hidden])').count(), 1, 'reference id search finds one');
      await page.fill('#search', p.photo_id_last4);
      const byId = await page.locator('#people li:not([hidden])').evaluateAll((lis) => lis.map((li) => li.dataset.ref));
      assert(byId.includes(p.reference_id), 'last-4 search');
      await page.fill('#search', '');
    }],
    ['offline: the photo id must be ticked and a wrong security code is refused', async () => {
      const p = st.booked[0];
      await openPerson(page, p.reference_id);
      const shown = await page.locator('#person-view').innerText();
      assert(!new RegExp(`(^|[^0-9•])${p.security_code}([^0-9]|$)`).test(shown), 'the security code is never shown');
      assert((await text(page, '#person-card')).includes(p.photo_id_last4), 'the card shows the photo id last 4');
      await page.fill('#code', p.security_code);
      await page.click('#mark-arrived');
      assert((await text(page, '#verify-error')).includes('tick'), 'must tick the photo id first');
      await page.check('#id-match');
      await page.fill('#code', String((Number(p.security_code) + 1) % 10000).padStart(4, '0'));
      await page.click('#mark-arrived');
      assert((await text(page, '#verify-error')).includes('Wrong security code'), 'wrong code error');
      assertEq(await pendingCount(page), 0, 'nothing recorded');
      await backToList(page);
    }],
    ['offline: verify, mark arrived and vaccinate three booked people', async () => {
      for (const p of st.booked.slice(0, 3)) await vaccinate(page, p);
      assertEq(await pendingCount(page), 6, '3 arrivals + 3 doses waiting');
      const doses = await records(page, 'dose');
      assertEq(doses.length, 3, 'dose records');
      for (const d of doses) {
        assert(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(d.client_id), `UUIDv7 client id ${d.client_id}`);
        assertEq(d.vaccinator_id, st.staff.id, 'vaccinator is the logged-in staff member');
        assertEq(d.dose, 1, 'derived dose');
      }
    }],
    ['offline: a walk-in is validated, registered without a phone, and vaccinated', async () => {
      const year = Number(st.bundle.session.date.slice(0, 4));
      await page.click('#walkin-open');
      await visible(page, '#walkin-view');
      await page.click('#walkin-save');
      assert((await text(page, '#walkin-errors')).includes('Enter the name'), 'empty form refused');
      await page.fill('#w-name', 'Kamla Walkin');
      await page.fill('#w-birth-year', String(year - 10));
      await page.fill('#w-id-number', (st.walkInId = aadhaar()));
      await page.fill('#w-mobile', '12345');
      await page.click('#walkin-save');
      const errs = await text(page, '#walkin-errors');
      assert(errs.includes('not eligible') && errs.includes('10 digits'), `age and mobile refused: ${errs}`);
      await page.fill('#w-birth-year', String(year - 40));
      await page.fill('#w-mobile', '');
      await page.selectOption('#w-gender', String(st.bundle.genders[1].id));
      await page.selectOption('#w-id-type', String(st.bundle.id_types[0].id));
      await page.click('#walkin-save');
      await visible(page, '#dose-form');
      assert((await text(page, '#person-card')).includes('pending'), 'reference id pending until synced');
      await page.click('#record-dose');
      await visible(page, '#done-box');
      await backToList(page);
      const row = page.locator('#people li[data-walkin="1"]');
      assertEq(await row.count(), 1, 'the walk-in is in the list');
      assertEq(await row.getAttribute('data-state'), 'vaccinated', 'walk-in vaccinated');
      const [walkIn] = await records(page, 'walk_in');
      assertEq(walkIn.beneficiary.mobile, null, 'assisted registration without a mobile');
      const dose = (await records(page, 'dose')).find((d) => d.beneficiary_id === walkIn.client_id);
      assert(dose && dose.walk_in && dose.walk_in.name === 'Kamla Walkin', 'the dose carries the walk-in inline');
    }],
    ['offline: an AEFI report for one person, an undo with a reason for another', async () => {
      const [a, b] = st.booked;
      await openPerson(page, a.reference_id);
      await page.check('input[name="severity"][value="minor"]');
      await page.check(`#symptoms input[value="${st.bundle.aefi_symptoms[0].code}"]`);
      await page.fill('#aefi-notes', 'Mild fever after 20 minutes');
      await page.click('#save-aefi');
      await visible(page, '#aefi-saved');
      await backToList(page);
      await openPerson(page, b.reference_id);
      await page.click('#undo-box summary');
      await page.click('#undo-button');
      assert((await text(page, '#undo-error')).includes('reason'), 'a reason is required');
      await page.fill('#undo-reason', 'Recorded against the wrong person');
      await page.click('#undo-button');
      await visible(page, '#dose-form');
      await backToList(page);
      assertEq(await personState(page, b.reference_id), 'arrived', 'the undone person is back to not vaccinated');
      const [aefi] = await records(page, 'aefi');
      assertEq(aefi.severity, 'minor', 'AEFI severity');
      assertEq(aefi.symptoms.join(), st.bundle.aefi_symptoms[0].code, 'AEFI symptoms');
    }],
    ['offline: a reload still opens the app with every record, the pending count and the tally', async () => {
      await page.reload();
      await visible(page, '#session-view');
      await page.waitForFunction((n) => document.querySelectorAll('#people li').length === n, st.bundle.appointments.length + 1);
      // 3 arrivals, 4 doses, 1 walk-in, 1 AEFI, 1 undo.
      assertEq(await pendingCount(page), 10, 'pending after reload');
      assert((await text(page, '#pending')).includes('10 waiting to sync'), 'pending indicator');
      const t = await domTally(page);
      const booked = st.tally0.booked;
      assertEq(t.booked, booked, 'tally booked');
      assertEq(t.arrived, st.tally0.arrived + 4, 'tally arrived (3 booked + the vaccinated walk-in)');
      assertEq(t.vaccinated, st.tally0.vaccinated + 3, 'tally vaccinated (3 booked + 1 walk-in - 1 undone)');
      assertEq(t.walk_ins, st.tally0.walk_ins + 1, 'tally walk-ins');
      assertEq(t.no_shows, st.tally0.no_shows - 3, 'tally no-shows');
      assertEq(await personState(page, st.booked[1].reference_id), 'arrived', 'the undo survived the reload');
      await shot('offline-reload');
    }],
    ['online: the outbox syncs by itself and the walk-in gets its reference id', async () => {
      await A.context.setOffline(false);
      await waitPending(page, 0);
      assert((await text(page, '#last-sync')).startsWith('Last sync'), 'last sync time shown');
      const ref = await page.getAttribute('#people li[data-walkin="1"]', 'data-ref');
      assert(/^\d{14}$/.test(ref), `walk-in reference id after sync: ${ref}`);
      st.walkInRef = ref;
      const states = (await idbAll(page, 'outbox')).map((e) => e.state);
      assert(states.every((s) => s === 'synced'), `every record synced: ${states}`);
    }],
    ['the server has every record exactly once: doses, the undo, the walk-in, the tally', async () => {
      const bundle = await apiBundle(base, st.token, st.sessionId);
      const local = await records(page, 'dose');
      const undone = (await records(page, 'undo'))[0].vaccination_client_id;
      for (const d of local) {
        const onServer = bundle.vaccinations.filter((v) => v.client_id === d.client_id);
        assertEq(onServer.length, 1, `dose ${d.client_id} on the server`);
        assertEq(onServer[0].voided, d.client_id === undone, `voided flag of ${d.client_id}`);
        assertEq(onServer[0].batch, d.batch, 'batch');
      }
      assertEq(bundle.vaccinations.length, st.bundle.vaccinations.length + 4, 'no other vaccinations');
      const walkIn = bundle.vaccinations.find((v) => v.walk_in && !v.voided);
      assert(walkIn, 'the walk-in dose is marked walk-in');
      for (const p of st.booked.slice(0, 3)) assert(bundle.arrivals.some((a) => a.beneficiary_id === p.beneficiary_id), `${p.name} arrived`);
      const tally = await apiTally(base, st.token, st.sessionId);
      const dom = await domTally(page);
      for (const k of ['booked', 'arrived', 'vaccinated', 'walk_ins', 'no_shows']) assertEq(dom[k], tally[k], `tally ${k} (DOM vs server)`);
      assertEq(tally.vaccinated, st.tally0.vaccinated + 3, 'server vaccinated');
      assertEq(tally.undone, (st.tally0.undone || 0) + 1, 'server undone');
    }],
    ['an upload sent twice with one idempotency key is answered identically, applied once', async () => {
      const p = st.booked[3];
      const key = randomUUID();
      const upload = JSON.stringify({
        idempotency_key: key, device_id: randomUUID(), records: [{
          client_id: uuidv7(), kind: 'dose', session_id: st.sessionId, at: Date.now(), beneficiary_id: p.beneficiary_id,
          appointment_id: p.appointment_id, vaccine: st.bundle.session.vaccine, batch: st.bundle.batches.find((b) => b.vaccine === st.bundle.session.vaccine).batch,
          dose: 1, vaccinator_id: st.staff.id,
        }],
      });
      const first = await call(base, 'POST', '/sync', { token: st.token, body: upload });
      assertEq(first.status, 200, `first upload (${first.text})`);
      assertEq(first.json.results[0].outcome, 'applied', 'first outcome');
      const second = await call(base, 'POST', '/sync', { token: st.token, body: upload });
      assertEq(second.status, 200, 'replay status');
      assertEq(second.text, first.text, 'the replay answers the same bytes');
      const other = JSON.parse(upload);
      other.records[0].batch = 'SOMETHING-ELSE';
      const changed = await call(base, 'POST', '/sync', { token: st.token, body: other });
      assertEq(changed.status, 409, 'the same key with another body');
      assertEq(changed.json.errorCode, 'SYNC0002', 'SYNC0002');
      other.idempotency_key = randomUUID();
      other.records[0].batch = JSON.parse(upload).records[0].batch;
      const again = await call(base, 'POST', '/sync', { token: st.token, body: other });
      assertEq(again.json.results[0].outcome, 'duplicate', 'the same record in a new upload');
      const bundle = await apiBundle(base, st.token, st.sessionId);
      assertEq(bundle.vaccinations.filter((v) => v.beneficiary_id === p.beneficiary_id).length, 1, 'one dose on the server');
      st.replayed = p;
    }],
    ['a lost answer: the app retries the same upload with the same key, applied once', async () => {
      const p = st.booked[8];
      const bodies = [];
      await page.route('**/api/site/v1/sync', async (route) => {
        bodies.push(route.request().postData());
        if (bodies.length === 1) {
          await route.fetch(); // the server applies the upload…
          await route.abort('connectionreset'); // …and its answer is lost on the way
        } else {
          await route.continue();
        }
      });
      await openPerson(page, p.reference_id);
      await page.check('#id-match');
      await page.fill('#code', p.security_code);
      await page.click('#mark-arrived');
      await visible(page, '#dose-form');
      await backToList(page);
      await waitPending(page, 0);
      await page.unroute('**/api/site/v1/sync');
      assert(bodies.length >= 2, `the upload was retried (${bodies.length} sent)`);
      assertEq(bodies[1], bodies[0], 'the retry sends the same bytes, with the same idempotency key');
      const bundle = await apiBundle(base, st.token, st.sessionId);
      assertEq(bundle.arrivals.filter((a) => a.beneficiary_id === p.beneficiary_id).length, 1, 'one arrival on the server');
    }],
    ['two devices work the same session offline; both sync; a refresh shows the other device\'s dose', async () => {
      B = await newDevice();
      await logIn(B.page, base, ADMIN);
      await openSession(B.page, st.sessionId, st.bundle.appointments.length + 1);
      await Promise.all([A.context.setOffline(true), B.context.setOffline(true)]);
      const [e, f] = st.booked.slice(4, 6);
      await vaccinate(page, e);
      await vaccinate(B.page, f);
      await Promise.all([A.context.setOffline(false), B.context.setOffline(false)]);
      await Promise.all([waitPending(page, 0), waitPending(B.page, 0)]);
      const bundle = await apiBundle(base, st.token, st.sessionId);
      for (const p of [e, f]) assertEq(bundle.vaccinations.filter((v) => v.beneficiary_id === p.beneficiary_id).length, 1, `${p.name} vaccinated once`);
      const [da, db] = [await idbGet(page, 'kv', 'device_id'), await idbGet(B.page, 'kv', 'device_id')];
      assert(da && db && da !== db, 'each browser has its own device id');
      assertEq(await personState(page, f.reference_id), 'booked', 'device A has not seen B\'s dose yet');
      await page.click('#refresh');
      await page.waitForFunction((ref) => document.querySelector(`#people li[data-ref="${ref}"]`).dataset.state === 'vaccinated', f.reference_id);
      assertEq(await personState(page, st.replayed.reference_id), 'vaccinated', 'the dose uploaded by hand shows too');
      assertEq(await personState(page, st.booked[1].reference_id), 'arrived', 'the undone dose stays undone after the refresh');
      const tally = await apiTally(base, st.token, st.sessionId);
      const dom = await domTally(page);
      for (const k of ['booked', 'arrived', 'vaccinated', 'walk_ins', 'no_shows']) assertEq(dom[k], tally[k], `tally ${k} after refresh`);
    }],
    ['a malformed record is refused with its message and does not block the others or loop', async () => {
      const g = st.booked[6];
      const sync = [];
      page.on('request', (r) => { if (r.url().endsWith('/api/site/v1/sync')) sync.push(r); });
      const good = { client_id: uuidv7(), kind: 'arrival', session_id: st.sessionId, at: Date.now(), beneficiary_id: g.beneficiary_id };
      const bad = { client_id: uuidv7(), kind: 'undo', session_id: st.sessionId, at: Date.now(), vaccination_client_id: uuidv7(), reason: '' };
      await idbAddRecord(page, good);
      await idbAddRecord(page, bad);
      await page.evaluate(() => window.dispatchEvent(new Event('online')));
      await page.waitForFunction(() => document.querySelector('#review-list .st-error') !== null);
      await visible(page, '#banner');
      assert((await text(page, '#banner')).includes('SYNC0001'), `the refusal is shown: ${await text(page, '#banner')}`);
      const entries = await idbAll(page, 'outbox');
      assertEq(entries.find((x) => x.client_id === good.client_id).state, 'synced', 'the good record went up');
      assertEq(entries.find((x) => x.client_id === bad.client_id).state, 'error', 'the bad record is marked');
      const sent = sync.length;
      await page.waitForTimeout(3000);
      assertEq(sync.length, sent, 'no retry loop');
      assert(sent <= 3, `${sent} uploads (the batch, then one by one)`);
      await waitPending(page, 0);
      const bundle = await apiBundle(base, st.token, st.sessionId);
      assert(bundle.arrivals.some((a) => a.beneficiary_id === g.beneficiary_id), 'the good arrival is on the server');
    }],
    ['Hindi: the toggle switches every screen, offline too, and the choice is kept', async () => {
      await A.context.setOffline(true);
      await page.click('#lang-toggle');
      await page.waitForFunction(() => document.documentElement.lang === 'hi');
      assertEq(await text(page, '#tally [data-k="vaccinated"] dt'), 'टीका लगा', 'Hindi tally');
      assert((await text(page, 'label[for="search"]')).startsWith('खोजें'), 'Hindi search label');
      assert((await text(page, '#pending')).includes('सिंक'), 'Hindi sync indicator');
      await shot('session-hi');
      await page.reload();
      await visible(page, '#session-view');
      assertEq(await page.getAttribute('html', 'lang'), 'hi', 'Hindi after an offline reload');
      await A.context.setOffline(false);
      await page.goto(`${base}/site/?lang=en`);
      await visible(page, '#session-view');
      assertEq(await text(page, '#tally [data-k="vaccinated"] dt'), 'Vaccinated', 'back to English');
      const hi = await (await fetch(`${base}/site/?lang=hi`)).text();
      assert(hi.includes('<html lang="hi">') && hi.includes('टीका साइट'), 'the server renders the shell in Hindi');
    }],
    ['the paper list prints from local data and the server PDF downloads with the token', async () => {
      await page.click('#print-open');
      await visible(page, '#print-view');
      const rows = await page.locator('#print-body tr').count();
      assertEq(rows, await page.locator('#people li').count(), 'one row per person');
      const head = await text(page, '#print-head');
      for (const col of ['Slot', 'Reference ID', 'Name', 'Birth year', 'Gender', 'Photo ID', 'Dose', 'Status', 'Signature']) assert(head.includes(col), `column ${col}`);
      const row = await text(page, `#print-body tr[data-id="${st.booked[0].beneficiary_id}"]`);
      assert(row.includes(st.booked[0].reference_id) && row.includes('Vaccinated'), `row of the first person: ${row}`);
      await page.emulateMedia({ media: 'print' });
      assertEq(await page.locator('#status-line').isVisible(), false, 'the status line is not printed');
      await shot('paper-list');
      await page.emulateMedia({ media: 'screen' });
      const [download] = await Promise.all([page.waitForEvent('download'), page.click('#pdf-download')]);
      const pdf = readFileSync(await download.path());
      assertEq(pdf.subarray(0, 4).toString('latin1'), '%PDF', 'the downloaded paper list is a PDF');
      await page.click('#print-view .back');
    }],
    ['offline: the vials opened are entered at the end of the session and sent once online; stock goes down', async () => {
      const before = await call(base, 'GET', `/sessions/${st.sessionId}/stock`, { token: st.token });
      assertEq(before.status, 200, `GET stock (${before.text})`);
      assertEq(before.json.closed, false, 'not closed yet');
      const used = before.json.batches.filter((b) => b.doses_given > 0);
      assert(used.length > 0, 'the session gave doses from a batch');
      for (const b of used) assert(b.vials_in_stock >= b.vials_needed, `the facility holds vials of ${b.batch}: ${JSON.stringify(b)}`);
      await A.context.setOffline(true);
      await page.click('#stock-box summary');
      await visible(page, '#stock-form');
      const rows = await page.locator('#stock-rows input[data-batch]').count();
      assertEq(rows, used.length, 'one row per batch used');
      const first = used[0];
      const input = page.locator(`#stock-rows input[data-batch="${first.batch}"]`);
      assertEq(Number(await input.inputValue()), first.vials_needed, 'the fewest vials the doses need are offered');
      await input.fill('-1');
      await page.click('#stock-close');
      assert((await text(page, '#stock-error')).includes('0 to 1000'), 'a bad count is refused on the phone');
      await input.fill(String(first.vials_needed + 1));
      await page.click('#stock-close');
      await page.waitForFunction(() => !document.querySelector('#stock-state').hidden);
      assert((await text(page, '#stock-state')).includes('Saved on this phone'), 'saved offline');
      const saved = await idbGet(page, 'kv', `stock_close:${st.sessionId}`);
      assertEq(saved.vials_opened[first.batch], first.vials_needed + 1, 'kept in IndexedDB');
      await shot('stock-offline');
      await A.context.setOffline(false);
      await page.evaluate(() => window.dispatchEvent(new Event('online')));
      await page.waitForFunction(() => !document.querySelector('#stock-result').hidden, null, { timeout: 20_000 });
      const line = await text(page, `#stock-result li[data-batch="${first.batch}"]`);
      assert(line.includes(`${first.doses_given} doses from ${first.vials_needed + 1} vials`), `result line: ${line}`);
      const after = await call(base, 'GET', `/sessions/${st.sessionId}/stock`, { token: st.token });
      assertEq(after.json.closed, true, 'closed on the server');
      const b = after.json.batches.find((x) => x.batch === first.batch);
      assertEq(b.vials_opened, first.vials_needed + 1, 'vials opened as entered');
      assertEq(b.doses_given, first.doses_given, 'doses as the server counts them');
      assert(b.anomalies.some((a) => a.code === 'more_vials_than_needed'), `a whole vial wasted is flagged: ${JSON.stringify(b.anomalies)}`);
      assertEq(await idbGet(page, 'kv', `stock_close:${st.sessionId}`), undefined, 'nothing left to send');
      const again = await call(base, 'POST', `/sessions/${st.sessionId}/stock/close`, { token: st.token, body: {} });
      assertEq(again.status, 409, 'a session is closed once');
      assertEq(again.json.errorCode, 'STK0004', 'STK0004');
      await shot('stock-done');
    }],
    ['logging out with unsynced records warns, and keeps them for the next login', async () => {
      await A.context.setOffline(true);
      const h = st.booked[7];
      await openPerson(page, h.reference_id);
      await page.check('#id-match');
      await page.fill('#code', h.security_code);
      await page.click('#mark-arrived');
      await visible(page, '#dose-form');
      await backToList(page);
      const [warning] = await Promise.all([page.waitForEvent('dialog'), page.click('#logout')]);
      assert(warning.message().includes('1 records have not been uploaded'), `warning: ${warning.message()}`);
      await warning.dismiss();
      assert(await page.locator('#session-view').isVisible(), 'still logged in after cancelling');
      const [again] = await Promise.all([page.waitForEvent('dialog'), page.click('#logout')]);
      await again.accept();
      await visible(page, '#login-view');
      assertEq(await idbGet(page, 'kv', 'auth'), undefined, 'the token is gone');
      assertEq((await idbAll(page, 'bundles')).length, 0, 'the downloaded lists are gone');
      assertEq((await idbAll(page, 'outbox')).filter((e) => e.state === 'pending').length, 1, 'the unsynced arrival is kept');
      await A.context.setOffline(false);
      await page.fill('#username', VACCINATOR.username);
      await page.fill('#password', VACCINATOR.password);
      await page.click('#login-button');
      await visible(page, '#sessions-view');
      await waitPending(page, 0);
      const bundle = await apiBundle(base, st.token, st.sessionId);
      assert(bundle.arrivals.some((a) => a.beneficiary_id === h.beneficiary_id), 'the kept arrival reached the server');
    }],
    ['OTP login works too', async () => {
      const res = await call(base, 'POST', '/login/otp', { body: { username: VACCINATOR.username } });
      if (res.status !== 200) throw new Error(`POST /login/otp answered ${res.status} (${res.text}): does demo.vaccinator have a mobile?`);
      const fresh = await newDevice();
      await fresh.page.goto(`${base}/site/`);
      await fresh.page.fill('#username', VACCINATOR.username);
      await fresh.page.check('input[name="login-method"][value="otp"]');
      await fresh.page.click('#send-otp');
      await visible(fresh.page, '#otp-sent');
      await fresh.page.fill('#otp', OTP);
      await fresh.page.click('#login-button');
      await visible(fresh.page, '#sessions-view');
      await fresh.context.close();
    }],
    ['no JavaScript errors in the console', async () => {
      const all = [...A.errors, ...(B ? B.errors : [])];
      assertEq(all.length, 0, `console errors: ${all.join(' | ')}`);
    }],
  ];
  try {
    await runSteps(`site ${backend}`, steps);
  } finally {
    await A.context.close().catch(() => {});
    if (B) await B.context.close().catch(() => {});
    await server.stop();
  }
}

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
        await siteFlow(backend, browser);
      } catch (e) {
        failure(`[site ${backend}] start the server`, e);
      }
    }
    await browser.close().catch(() => {});
  }
  finish();
}

await main();
