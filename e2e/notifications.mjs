// End-to-end test of notifications against a REAL Kannel (bearerbox + smsbox + fakesmsc, started
// by scripts/kannel.sh on loopback), on each backend (E2E_BACKENDS, default "sqlite,postgres"):
//
// 1. OTP login: the OTP SMS goes Tika -> Kannel sendsms -> fake SMSC (the "phone");
//    registering and booking into the demo site's session a few days ahead sends the
//    registration and the booking confirmation with the 4-digit code;
// 2. Kannel's delivery reports come back to /api/sms/v1/dlr: the site call list shows the
//    confirmation "delivered";
// 3. a Devanagari name goes out as UCS-2 (decoded from the fake SMSC's UTF-16BE);
// 4. outages: bearerbox crashes (sendsms refused) while a booking and an OTP are made; nothing
//    reaches the phone, the call list says "call them"; bearerbox comes back and both arrive,
//    once each, and the call list turns delivered.  Then the operator link alone goes down
//    (Kannel answers "3: Queued"): a cancellation arrives once the link is back;
// 5. incoming SMS: STATUS through fakesmsc -> Kannel's get-url -> /api/sms/v1/mo answers with
//    the appointment and its code; CANCEL <code> cancels it and the cancellation SMS follows;
// 6. the call list as CSV and PDF.
//
//   TIKA_BIN=target/debug/tika node e2e/notifications.mjs
//
// Kannel's ports: KANNEL_ADMIN_PORT 23000, KANNEL_SMSBOX_PORT 23001, KANNEL_SENDSMS_PORT 23013,
// KANNEL_FAKESMSC_PORT 20000 unless set.  Prints `ok - …` / `not ok - …` per step and ends with
// `N passed, M failed` (exit 1 on any failure).

import { spawn, spawnSync, execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { copyFileSync, createWriteStream, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  ARTIFACTS, BACKENDS, OTP, PG_ADMIN, TIKA_BIN, aadhaar, assert, assertEq, failure, finish,
  globalTimeout, indiaToday, root, runSteps, withTimeout,
} from './lib.mjs';

globalTimeout(10 * 60_000);

const KANNEL_SH = path.join(root, 'scripts', 'kannel.sh');
const KANNEL_ENV = {
  KANNEL_ADMIN_PORT: process.env.KANNEL_ADMIN_PORT || '23000',
  KANNEL_SMSBOX_PORT: process.env.KANNEL_SMSBOX_PORT || '23001',
  KANNEL_SENDSMS_PORT: process.env.KANNEL_SENDSMS_PORT || '23013',
  KANNEL_FAKESMSC_PORT: process.env.KANNEL_FAKESMSC_PORT || '20000',
  KANNEL_USER: 'tika',
  KANNEL_PASSWORD: 'tika-secret',
  KANNEL_MO_TOKEN: 'tika-mo-token',
};
const ADMIN = { username: 'demo.admin', password: 'tika-demo-admin' };
const SHORT_CODE = '1075';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const sha256 = (s) => createHash('sha256').update(s).digest('hex');
/** A random mobile number no demo account uses. */
const mobile = () => `7${String(Math.floor(Math.random() * 1e9)).padStart(9, '0')}`;
/** A random surname, so each run's people are told apart on the phone. */
const surname = () => `T${[...Array(6)].map(() => 'abcdefghijklmnopqrstuvwxyz'[Math.floor(Math.random() * 26)]).join('')}`;

// ---------------------------------------------------------------------------------------------
// Kannel

const running = new Set();
process.on('exit', () => {
  for (const dir of running) kannelSync('stop', dir);
});

function kannelSync(cmd, dir, ...args) {
  return spawnSync('bash', [KANNEL_SH, cmd, dir, ...args], { env: { ...process.env, ...KANNEL_ENV }, encoding: 'utf8', timeout: 60_000 });
}

function kannel(cmd, dir, ...args) {
  const r = kannelSync(cmd, dir, ...args);
  if (r.status !== 0) throw new Error(`kannel.sh ${cmd} failed (exit ${r.status}):\n${(r.stderr || '').slice(-3000)}${(r.stdout || '').slice(-1000)}`);
  if (cmd === 'start') running.add(dir);
  if (cmd === 'stop') running.delete(dir);
  return r.stdout;
}

/** URL-decoding to bytes, as fakesmsc prints binary and UCS-2 data ('+' is a space). */
function urlBytes(s) {
  const out = [];
  for (let i = 0; i < s.length; i++) {
    if (s[i] === '%' && /^[0-9A-Fa-f]{2}$/.test(s.slice(i + 1, i + 3))) {
      out.push(parseInt(s.slice(i + 1, i + 3), 16));
      i += 2;
    } else if (s[i] === '+') {
      out.push(0x20);
    } else {
      out.push(...Buffer.from(s[i], 'utf8'));
    }
  }
  return Buffer.from(out);
}

function utf16be(buf) {
  const le = Buffer.from(buf);
  le.swap16();
  return le.toString('utf16le');
}

/** Looks like UTF-16BE: most high bytes are zero or Devanagari's 0x09. */
function looksUcs2(buf) {
  if (buf.length % 2 !== 0 || buf.length === 0) return false;
  let high = 0;
  for (let i = 0; i < buf.length; i += 2) if (buf[i] === 0x00 || buf[i] === 0x09 || buf[i] === 0x20) high++;
  return high * 2 >= buf.length;
}

/**
 * What the fake phone network received, in order: `{ from, to, text, ucs2, parts }`.
 * fakesmsc prints `<FROM TO text TEXT>`, `<FROM TO ucs-2 URLENC-UTF16BE>` or, per part of a
 * concatenated message, `<FROM TO udh URLENC-UDH data URLENC>`; parts are joined by reference.
 */
function phone(dir) {
  let raw = '';
  try { raw = readFileSync(path.join(dir, 'fakesmsc.out'), 'utf8'); } catch { return []; }
  const messages = [];
  const pending = new Map();
  for (const line of raw.split('\n')) {
    const m = line.match(/Got message \d+: <(\S+) (\S+) (text|ucs-2|udh) (.*)>$/);
    if (!m) continue;
    const [, from, to, type, rest] = m;
    if (type === 'text') {
      messages.push({ from, to, text: rest, ucs2: false, parts: 1 });
    } else if (type === 'ucs-2') {
      messages.push({ from, to, text: utf16be(urlBytes(rest)), ucs2: true, parts: 1 });
    } else {
      const u = rest.match(/^(\S+) data (.*)$/);
      if (!u) continue;
      const udh = urlBytes(u[1]);
      // 8-bit concatenation IE: 05 00 03 ref total seq.
      if (udh.length < 6 || udh[1] !== 0x00) continue;
      const key = `${from} ${to} ${udh[3]}`;
      const total = udh[4];
      const entry = pending.get(key) || { index: messages.length, parts: [] };
      if (!pending.has(key)) {
        pending.set(key, entry);
        messages.push(null);
      }
      entry.parts[udh[5] - 1] = urlBytes(u[2]);
      if (entry.parts.filter(Boolean).length === total) {
        const data = Buffer.concat(entry.parts);
        const ucs2 = looksUcs2(data);
        messages[entry.index] = { from, to, text: ucs2 ? utf16be(data) : data.toString('latin1'), ucs2, parts: total };
        pending.delete(key);
      }
    }
  }
  return messages.filter(Boolean);
}

const to = (dir, mob) => phone(dir).filter((m) => m.to === `91${mob}`);

/** Polls the phone until `pred` matches a message to `mob` (from the `after`-th on); returns it. */
async function received(dir, mob, pred, ms, what, after = 0) {
  const started = Date.now();
  for (;;) {
    const hit = to(dir, mob).slice(after).find(pred);
    if (hit) return hit;
    if (Date.now() - started > ms) {
      const got = to(dir, mob).map((m) => `    ${m.text}`).join('\n') || '    (nothing)';
      throw new Error(`${what}: not received by 91${mob} within ${ms / 1000} s; it got:\n${got}`);
    }
    await sleep(200);
  }
}

// ---------------------------------------------------------------------------------------------
// Tika

function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.unref();
    s.on('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/**
 * `tika serve --demo` on a port chosen here (gateways must know it: the delivery-report and
 * incoming-SMS addresses), with a fresh data directory and database, sending through Kannel.
 */
async function startTika(backend, port) {
  assert(existsSync(TIKA_BIN), `no tika binary at ${TIKA_BIN}: run "cargo build -p tika" or set TIKA_BIN`);
  const dataDir = mkdtempSync(path.join(tmpdir(), `tika-notify-${backend}-`));
  const env = {
    ...process.env,
    TIKA_TEST_OTP: OTP,
    TIKA_PUBLIC_RATE_LIMIT: '0',
    TIKA_DATA_DIR: dataDir,
    TIKA_LOG: process.env.TIKA_LOG || 'info,sqlx=warn',
    TIKA_SMS_GATEWAYS: 'kannel',
    TIKA_KANNEL_URL: `http://127.0.0.1:${KANNEL_ENV.KANNEL_SENDSMS_PORT}`,
    TIKA_KANNEL_USERNAME: KANNEL_ENV.KANNEL_USER,
    TIKA_KANNEL_PASSWORD: KANNEL_ENV.KANNEL_PASSWORD,
    TIKA_KANNEL_RATE: '50',
    TIKA_SMS_CALLBACK_URL: `http://127.0.0.1:${port}/`,
    TIKA_SMS_MO_TOKEN: KANNEL_ENV.KANNEL_MO_TOKEN,
    TIKA_SMS_GATEWAY_COOLDOWN_SECS: '2',
    TIKA_SMS_QUIET_HOURS: 'off',
  };
  for (const k of ['TIKA_DATABASE_URL', 'TIKA_PORT', 'TIKA_BIND', 'TIKA_CONFIG', 'TIKA_SECRET_KEY', 'TIKA_PUBLIC_URL', 'TIKA_MAX_BENEFICIARIES_PER_MOBILE', 'TIKA_SMS_TEMPLATES', 'TIKA_SMS_SENDER']) delete env[k];
  let dropDb = () => {};
  if (backend === 'postgres') {
    const name = `tika_e2e_notify_${Date.now()}_${process.pid}`;
    execFileSync('psql', [PG_ADMIN, '-v', 'ON_ERROR_STOP=1', '-q', '-c', `create database ${name}`], { stdio: ['ignore', 'ignore', 'inherit'], timeout: 30_000 });
    const url = new URL(PG_ADMIN);
    url.pathname = `/${name}`;
    env.TIKA_DATABASE_URL = url.toString();
    dropDb = () => execFileSync('psql', [PG_ADMIN, '-q', '-c', `drop database if exists ${name} with (force)`], { stdio: 'ignore', timeout: 30_000 });
  } else if (backend !== 'sqlite') {
    throw new Error(`unknown backend ${backend}`);
  }
  mkdirSync(ARTIFACTS, { recursive: true });
  const logName = `notifications-${backend}.log`;
  const log = createWriteStream(path.join(ARTIFACTS, logName));
  const child = spawn(TIKA_BIN, ['serve', '--demo', '--demo-facilities', '50', '--port', String(port), '--bind', '127.0.0.1'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  let out = '';
  child.stdout.on('data', (chunk) => { out += chunk; });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      await withTimeout(new Promise((r) => child.once('exit', r)), 10_000, 'stopping tika').catch(() => child.kill('SIGKILL'));
    }
    try { dropDb(); } catch { /* left for a later sweep */ }
    rmSync(dataDir, { recursive: true, force: true });
  };
  const killOnExit = () => { try { child.kill('SIGKILL'); } catch { /* gone */ } };
  process.on('exit', killOnExit);
  try {
    const base = await withTimeout(new Promise((resolve, reject) => {
      child.stdout.on('data', () => {
        const m = out.match(/Tika is running at (http:\/\/[0-9.:]+)\//);
        if (m && /site demo: facility/.test(out)) resolve(m[1]);
      });
      child.on('exit', (code) => reject(new Error(`tika exited with ${code} before it was ready (see e2e/artifacts/${logName})`)));
      child.on('error', reject);
    }), 180_000, `starting tika (${backend})`);
    return { base, stop, output: () => out };
  } catch (e) {
    await stop();
    throw e;
  }
}

async function http(base, method, p, { token, body, accept = 'application/json' } = {}) {
  const headers = { accept };
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await withTimeout(fetch(`${base}${p}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) }), 15_000, `${method} ${p}`);
  const buf = Buffer.from(await res.arrayBuffer());
  let json = null;
  try { json = JSON.parse(buf.toString('utf8')); } catch { /* not JSON */ }
  return { status: res.status, headers: res.headers, buf, text: buf.toString('utf8'), json };
}

async function ok(base, method, p, opts) {
  const r = await http(base, method, p, opts);
  assert(r.status >= 200 && r.status < 300, `${method} ${p} answered ${r.status}: ${r.text.slice(0, 300)}`);
  return r;
}

async function requestOtp(base, mob) {
  return (await ok(base, 'POST', '/api/v2/auth/generateMobileOTP', { body: { mobile: mob } })).json.txnId;
}

async function confirmOtp(base, txnId) {
  return (await ok(base, 'POST', '/api/v2/auth/validateMobileOtp', { body: { otp: sha256(OTP), txnId } })).json.token;
}

async function register(base, token, name) {
  const body = {
    name, birth_year: String(indiaToday().year - 36), gender_id: 2, photo_id_type: 1,
    photo_id_number: aadhaar(), comorbidity_ind: 'N',
  };
  return (await ok(base, 'POST', '/api/v2/registration/beneficiary/new', { token, body })).json.beneficiary_reference_id;
}

async function book(base, token, session, ref) {
  const body = { dose: 1, session_id: session.session_id, slot: session.slots[0], beneficiaries: [ref] };
  return (await ok(base, 'POST', '/api/v2/appointment/schedule', { token, body })).json.appointment_id;
}

async function appointmentsOf(base, token, ref) {
  const list = (await ok(base, 'GET', '/api/v2/appointment/beneficiaries', { token })).json.beneficiaries;
  const b = list.find((x) => x.beneficiary_reference_id === ref);
  assert(b, `beneficiary ${ref} is listed`);
  return b.appointments;
}

async function callList(base, st) {
  return (await ok(base, 'GET', `/api/site/v1/sessions/${st.session.session_id}/call-list`, { token: st.admin })).json;
}

/** Polls the call list until `ref`'s row satisfies `pred`; returns the row. */
async function callRow(base, st, ref, pred, ms, what) {
  const started = Date.now();
  let row;
  for (;;) {
    row = (await callList(base, st)).people.find((p) => p.beneficiary_reference_id === ref);
    if (row && pred(row)) return row;
    if (Date.now() - started > ms) throw new Error(`${what}: call-list row after ${ms / 1000} s: ${JSON.stringify(row)}`);
    await sleep(250);
  }
}

const dd = (iso) => iso.split('-').reverse().join('-');

// ---------------------------------------------------------------------------------------------

async function testBackend(backend) {
  const label = `notifications ${backend}`;
  const dir = mkdtempSync(path.join(tmpdir(), `tika-kannel-${backend}-`));
  let server = null;
  try {
    const port = await freePort();
    kannel('start', dir, `http://127.0.0.1:${port}`);
    server = await startTika(backend, port);
  } catch (e) {
    failure(`[${label}] start Kannel and tika`, e);
    if (server) await server.stop();
    if (running.has(dir)) kannelSync('stop', dir);
    running.delete(dir);
    return;
  }
  const { base } = server;
  const st = {
    m1: mobile(), m2: mobile(), m3: mobile(),
    name1: `Kiran ${surname()}`,
    name2: `Meera ${surname()}`,
    hindiName: 'सीता वर्मा',
  };
  try {
    await runSteps(label, [
      ['OTP login: the OTP reaches the phone through Kannel', async () => {
        const started = Date.now();
        const txn = await requestOtp(base, st.m1);
        const sms = await received(dir, st.m1, (m) => m.text.includes(OTP) && /OTP/.test(m.text), 10_000, 'the OTP SMS');
        assertEq(sms.from, 'TIKAGV', 'sender id');
        console.log(`  # OTP on the phone ${Date.now() - started} ms after the request: "${sms.text}"`);
        st.token1 = await confirmOtp(base, txn);
      }],
      ['a beneficiary is registered and booked a few days ahead at the demo site: registration and confirmation with the code arrive', async () => {
        st.admin = (await ok(base, 'POST', '/api/site/v1/login', { body: ADMIN })).json.token;
        const today = indiaToday();
        for (let d = 2; d <= 6 && !st.session; d++) {
          const date = new Date(Date.parse(`${today.iso}T00:00:00Z`) + d * 86_400_000).toISOString().slice(0, 10);
          const { sessions } = (await ok(base, 'GET', `/api/site/v1/sessions?date=${date}`, { token: st.admin })).json;
          st.session = sessions.find((s) => s.status === 'active' && s.min_age_limit <= 36
            && (s.max_age_limit == null || s.max_age_limit >= 36) && s.capacity - s.booked >= 5 && s.slots.length > 0);
        }
        assert(st.session, 'the demo facility has an adult session with seats in 2 to 6 days');
        st.ref1 = await register(base, st.token1, st.name1);
        await received(dir, st.m1, (m) => m.text.includes(st.name1) && m.text.includes(st.ref1), 10_000, 'the registration SMS');
        await book(base, st.token1, st.session, st.ref1);
        const [appt] = await appointmentsOf(base, st.token1, st.ref1);
        assert(appt && /^\d{4}$/.test(appt.security_code), `a booked appointment with a 4-digit code (${JSON.stringify(appt)})`);
        st.code1 = appt.security_code;
        st.center = appt.name;
        const sms = await received(dir, st.m1, (m) => m.text.includes(`Code ${st.code1}`), 15_000, 'the booking confirmation');
        assert(sms.text.includes(dd(st.session.date)) && sms.text.includes(st.name1), `the confirmation names the person and the date: "${sms.text}"`);
        console.log(`  # "${sms.text}" (${sms.parts} part${sms.parts > 1 ? 's' : ''})`);
      }],
      ['Kannel\'s delivery reports come back: the call list shows the confirmation delivered', async () => {
        const row = await callRow(base, st, st.ref1, (r) => r.message && r.message.status === 'delivered', 15_000, 'delivered');
        assertEq(row.message.kind, 'booking_confirmed', 'the latest message about the booking');
        assertEq(row.message.gateway, 'kannel', 'gateway');
        assertEq(row.needs_call, false, 'needs_call');
        assert(row.message.delivered_at >= row.message.sent_at, 'delivered after sent');
      }],
      ['a Devanagari name goes out as UCS-2', async () => {
        st.refHindi = await register(base, st.token1, st.hindiName);
        const sms = await received(dir, st.m1, (m) => m.text.includes(st.refHindi), 10_000, 'the registration SMS in UCS-2');
        assert(sms.ucs2, 'sent as UCS-2 (coding=2)');
        assert(sms.text.includes(`${st.hindiName} is registered`), `the Devanagari name decoded from UTF-16BE: "${sms.text}"`);
      }],
      ['bearerbox crashes: a booking and an OTP wait, the call list says call; back up, both arrive once', async () => {
        // A second citizen, logged in and registered while the gateway is up.
        st.token2 = await confirmOtp(base, await requestOtp(base, st.m2));
        st.ref2 = await register(base, st.token2, st.name2);
        await received(dir, st.m2, (m) => m.text.includes(st.ref2), 10_000, 'the second registration SMS');
        kannel('stop-bearerbox', dir);
        const downAt = Date.now();
        await book(base, st.token2, st.session, st.ref2);
        st.code2 = (await appointmentsOf(base, st.token2, st.ref2))[0].security_code;
        await requestOtp(base, st.m3);
        await sleep(4000);
        assertEq(to(dir, st.m2).filter((m) => m.text.includes(`Code ${st.code2}`)).length, 0, 'no confirmation while bearerbox is down');
        assertEq(to(dir, st.m3).length, 0, 'no OTP while bearerbox is down');
        const waiting = await callRow(base, st, st.ref2, (r) => r.message, 5_000, 'the queued confirmation');
        assertEq(waiting.message.kind, 'booking_confirmed', 'kind');
        assert(['queued', 'sending'].includes(waiting.message.status), `not handed over (status ${waiting.message.status})`);
        assertEq(waiting.needs_call, true, 'needs_call while the gateway is down');
        kannel('start-bearerbox', dir);
        const upAt = Date.now();
        await received(dir, st.m2, (m) => m.text.includes(`Code ${st.code2}`), 20_000, 'the confirmation after the restart');
        await received(dir, st.m3, (m) => m.text.includes(OTP), 20_000, 'the OTP after the restart');
        console.log(`  # down ${((upAt - downAt) / 1000).toFixed(1)} s; both delivered ${((Date.now() - upAt) / 1000).toFixed(1)} s after bearerbox was back`);
        const row = await callRow(base, st, st.ref2, (r) => r.message && r.message.status === 'delivered', 15_000, 'delivered after the outage');
        assertEq(row.needs_call, false, 'needs_call after delivery');
        await sleep(1500);
        assertEq(to(dir, st.m2).filter((m) => m.text.includes(`Code ${st.code2}`)).length, 1, 'the confirmation arrived exactly once');
        assertEq(to(dir, st.m3).length, 1, 'the OTP arrived exactly once');
      }],
      ['the operator link goes down (Kannel queues): a cancellation arrives once it is back', async () => {
        kannel('stop-smsc', dir);
        const appt = (await appointmentsOf(base, st.token2, st.ref2))[0];
        await ok(base, 'POST', '/api/v2/appointment/cancel', { token: st.token2, body: { appointment_id: appt.appointment_id, beneficiaries_to_cancel: [st.ref2] } });
        await sleep(3000);
        assertEq(to(dir, st.m2).filter((m) => /cancelled/.test(m.text)).length, 0, 'nothing reaches the phone while the link is down');
        kannel('start-smsc', dir);
        const sms = await received(dir, st.m2, (m) => /cancelled/.test(m.text), 20_000, 'the cancellation after the link came back');
        assert(sms.text.includes(st.name2) && sms.text.includes(dd(st.session.date)), `the cancellation names the person and date: "${sms.text}"`);
      }],
      ['incoming SMS: STATUS answers with the appointment and its code', async () => {
        const before = to(dir, st.m1).length;
        kannel('mo', dir, `91${st.m1}`, SHORT_CODE, 'STATUS');
        const reply = await received(dir, st.m1, (m) => / code \d{4}/.test(m.text), 10_000, 'the STATUS reply', before);
        const code = reply.text.match(/ code (\d{4})/)[1];
        assertEq(code, st.code1, 'the code in the reply');
        assert(reply.text.includes(dd(st.session.date)) && reply.text.includes(st.name1), `the reply names the person and date: "${reply.text}"`);
        st.moCode = code;
      }],
      ['incoming SMS: CANCEL <code> cancels the appointment and the cancellation SMS follows', async () => {
        kannel('mo', dir, `91${st.m1}`, SHORT_CODE, `CANCEL ${st.moCode}`);
        const sms = await received(dir, st.m1, (m) => /cancelled/.test(m.text), 10_000, 'the cancellation SMS');
        assert(sms.text.includes(st.name1), `names the person: "${sms.text}"`);
        assertEq((await appointmentsOf(base, st.token1, st.ref1)).length, 0, 'no appointment left');
        const list = await callList(base, st);
        assert(!list.people.some((p) => p.beneficiary_reference_id === st.ref1), 'no longer on the call list');
      }],
      ['the call list downloads as CSV and PDF', async () => {
        // Someone booked, so the lists have our own row.
        st.ref3 = await register(base, st.token2, `Nisha ${surname()}`);
        await book(base, st.token2, st.session, st.ref3);
        await callRow(base, st, st.ref3, (r) => r.message && r.message.status === 'delivered', 15_000, 'delivered');
        const csv = await ok(base, 'GET', `/api/site/v1/sessions/${st.session.session_id}/call-list?format=csv`, { token: st.admin, accept: 'text/csv' });
        assertEq(csv.headers.get('content-type'), 'text/csv; charset=utf-8', 'CSV content type');
        assert(csv.buf.subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf])), 'UTF-8 BOM');
        assert(csv.text.includes(st.ref3), 'the CSV lists the booked person');
        const pdf = await ok(base, 'GET', `/api/site/v1/sessions/${st.session.session_id}/call-list.pdf`, { token: st.admin, accept: 'application/pdf' });
        assertEq(pdf.headers.get('content-type'), 'application/pdf', 'PDF content type');
        assertEq(pdf.buf.subarray(0, 4).toString(), '%PDF', 'a PDF');
        const anon = await http(base, 'GET', `/api/site/v1/sessions/${st.session.session_id}/call-list`);
        assertEq(anon.status, 401, 'the call list needs a staff login');
      }],
    ]);
  } finally {
    await server.stop();
    kannelSync('stop', dir);
    running.delete(dir);
    // What the phone network saw, for the record.
    try { copyFileSync(path.join(dir, 'fakesmsc.out'), path.join(ARTIFACTS, `notifications-fakesmsc-${backend}.out`)); } catch { /* none */ }
    rmSync(dir, { recursive: true, force: true });
  }
}

const started = Date.now();
for (const backend of BACKENDS) {
  await testBackend(backend);
}
console.log(`  # ${((Date.now() - started) / 1000).toFixed(0)} s in all`);
finish();
