// Shared by the browser tests (run.mjs, site.mjs) and the site benchmark (bench-site.mjs):
// step reporting, timeouts, a fresh `tika serve --demo` per backend, Chromium.
//
//   TIKA_BIN           the tika binary (default target/debug/tika, relative to the repo root)
//   E2E_BACKENDS       comma-separated: sqlite, postgres
//   TIKA_TEST_PG_URL   PostgreSQL maintenance URL (default postgres://postgres@127.0.0.1:5432/postgres)
//   CHROMIUM           the browser (default /usr/bin/chromium)
//   E2E_HEADED=1       show the browser (needs a display)

import { chromium } from 'playwright-core';
import { spawn, execFileSync } from 'node:child_process';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const root = path.resolve(here, '..');
export const TIKA_BIN = path.resolve(root, process.env.TIKA_BIN || 'target/debug/tika');
export const BACKENDS = (process.env.E2E_BACKENDS || 'sqlite,postgres').split(',').map((s) => s.trim()).filter(Boolean);
export const PG_ADMIN = process.env.TIKA_TEST_PG_URL || 'postgres://postgres@127.0.0.1:5432/postgres';
export const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
export const ARTIFACTS = path.join(here, 'artifacts');
export const OTP = '123456';
const STEP_TIMEOUT_MS = 60_000;
const START_TIMEOUT_MS = 180_000;

/** Steps passed and failed so far. */
export const tally = { passed: 0, failed: 0 };
const children = new Set();
const cleanups = [];

export function killAll() {
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

/** Fails the run if it takes longer than `ms` in all. */
export function globalTimeout(ms) {
  setTimeout(() => {
    console.log(`not ok - the whole run took longer than ${ms / 60000} minutes`);
    console.log(`${tally.passed} passed, ${tally.failed + 1} failed`);
    process.exit(1);
  }, ms).unref();
}

export function withTimeout(promise, ms, what) {
  let timer;
  return Promise.race([
    promise.finally(() => clearTimeout(timer)),
    new Promise((_, reject) => { timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms); }),
  ]);
}

export function assert(cond, message) {
  if (!cond) throw new Error(message);
}

export function assertEq(actual, expected, message) {
  if (actual !== expected) throw new Error(`${message}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
}

/** Runs the steps in order; after a failure the remaining steps are reported as failed. */
export async function runSteps(label, steps) {
  let broken = null;
  for (const [name, fn] of steps) {
    const title = `[${label}] ${name}`;
    if (broken) {
      tally.failed++;
      console.log(`not ok - ${title} (not run: "${broken}" failed)`);
      continue;
    }
    try {
      await withTimeout(Promise.resolve().then(fn), STEP_TIMEOUT_MS, title);
      tally.passed++;
      console.log(`ok - ${title}`);
    } catch (e) {
      tally.failed++;
      broken = name;
      console.log(`not ok - ${title}\n  ${String(e && e.stack ? e.stack : e).split('\n').slice(0, 6).join('\n  ')}`);
    }
  }
}

/** Reports a failure that is not a step (launching the browser, starting a server). */
export function failure(title, e) {
  tally.failed++;
  console.log(`not ok - ${title}\n  ${e && e.message ? e.message : e}`);
}

/** Prints `N passed, M failed` and sets the exit code. */
export function finish() {
  console.log(`${tally.passed} passed, ${tally.failed} failed`);
  process.exitCode = tally.failed === 0 && tally.passed > 0 ? 0 : 1;
  killAll();
  process.exit(process.exitCode);
}

/** Today in India (UTC+05:30), as YYYY-MM-DD and DD-MM-YYYY. */
export function indiaToday() {
  const iso = new Date(Date.now() + 330 * 60_000).toISOString().slice(0, 10);
  const [y, m, d] = iso.split('-');
  return { iso, cowin: `${d}-${m}-${y}`, year: Number(y) };
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
/** A random valid Aadhaar number. */
export function aadhaar() {
  let s = String(2 + Math.floor(Math.random() * 8));
  while (s.length < 11) s += String(Math.floor(Math.random() * 10));
  const full = s + VINV[verhoeffCheck(`${s}0`)];
  assert(verhoeffCheck(full) === 0, 'Verhoeff self-check');
  return full;
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

/**
 * Starts `tika serve --demo <args>` on a free port with a fresh data directory (and a fresh
 * PostgreSQL database); resolves once it prints its URL.  `output()` is everything it has
 * printed on stdout so far.
 */
export async function startServer(backend, args, name = 'server') {
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
  const logName = `${name}-${backend}.log`;
  const log = createWriteStream(path.join(ARTIFACTS, logName));
  const child = spawn(TIKA_BIN, ['serve', '--demo', ...args, '--port', '0'], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  let out = '';
  child.stdout.on('data', (chunk) => { out += chunk; });
  const base = await withTimeout(new Promise((resolve, reject) => {
    child.stdout.on('data', () => {
      const m = out.match(/Tika is running at (http:\/\/[0-9.:]+)\//);
      if (m) resolve(m[1]);
    });
    child.on('exit', (code) => reject(new Error(`tika exited with ${code} before it was ready (see e2e/artifacts/${logName})`)));
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
  return { base, stop, output: () => out, dataDir, env };
}

/** Debian's Chromium, headless unless E2E_HEADED. */
export function launchChromium() {
  const headed = !!process.env.E2E_HEADED;
  return withTimeout(chromium.launch({
    executablePath: CHROMIUM,
    headless: !headed,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'].filter((a) => a !== '--headless' || !headed),
  }), 60_000, 'launching Chromium');
}

/** A phone-sized browser context (360×740, touch). */
export function phoneContext(browser, options = {}) {
  return browser.newContext({
    viewport: { width: 360, height: 740 },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    ...options,
  });
}

/**
 * Runs `flow(backend, browser)` on every backend in one headless Chromium, then closes it and
 * reports (exits).  A flow that throws before its steps counts as one failure named
 * `[name/backend] start`.
 */
export async function runOnEveryBackend(name, flow) {
  const browser = await launchChromium().catch((e) => {
    failure('launch Chromium', e);
    finish();
  });
  for (const backend of BACKENDS) {
    try {
      await flow(backend, browser);
    } catch (e) {
      failure(`[${name}/${backend}] start`, e);
    }
  }
  await browser.close().catch(() => {});
  finish();
}
