// End-to-end test of certificates against a real `tika serve --demo`, on each backend
// (E2E_BACKENDS, default "sqlite,postgres"):
//
// 1. the demo records first doses; the certificate job signs them within seconds (polled
//    through the holder's download, logged in with the test OTP);
// 2. the citizen pages list the certificates per dose and serve each as a PDF;
// 3. `tika certificates revoke` revokes one, `tika certificates export --samples` writes the
//    issued certificates, their QR codes and the public keys;
// 4. the independent verifiers (DIVOC's jsonld-signatures 6 stack and Digital Bazaar's vc 7,
//    e2e/verifiers/cross-check.mjs) must accept every Tika certificate and reject tampering;
// 5. the verification page (e2e/verify.mjs) against this server: QR image upload, pasted JSON,
//    tampering, swapped fields, the revoked certificate, Hindi, offline.
//
//   TIKA_BIN=target/debug/tika node e2e/certificates.mjs
//
// Prints `ok - …` / `not ok - …` per step and ends with `N passed, M failed`.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  BACKENDS, OTP, TIKA_BIN, assert, assertEq, failure, finish, globalTimeout, launchChromium,
  phoneContext, runSteps, startServer,
} from './lib.mjs';

globalTimeout(30 * 60_000);
const here = path.dirname(fileURLToPath(import.meta.url));
const DEMO_MOBILE = '9000000011';

/** Runs a child process to completion, echoing its output; throws unless it exits 0. */
function run(cmd, args, env, what) {
  const r = spawnSync(cmd, args, { env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  process.stdout.write((r.stdout || '').split('\n').map((l) => (l ? `  | ${l}` : l)).join('\n'));
  if (r.status !== 0) {
    throw new Error(`${what} failed (exit ${r.status}):\n${(r.stderr || '').slice(-4000)}`);
  }
  return r.stdout;
}

async function api(base, method, p, { token, body } = {}) {
  const headers = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body) headers['content-type'] = 'application/json';
  const res = await fetch(`${base}${p}`, { method, headers, body: body ? JSON.stringify(body) : undefined });
  return res;
}

async function publicToken(base, mobile) {
  const r = await api(base, 'POST', '/api/v2/auth/public/generateOTP', { body: { mobile } });
  assertEq(r.status, 200, 'generateOTP');
  const { txnId } = await r.json();
  const { createHash } = await import('node:crypto');
  const otp = createHash('sha256').update(OTP).digest('hex');
  const c = await api(base, 'POST', '/api/v2/auth/public/confirmOTP', { body: { otp, txnId } });
  assertEq(c.status, 200, 'confirmOTP');
  return (await c.json()).token;
}

async function testBackend(backend) {
  let server;
  const samples = mkdtempSync(path.join(tmpdir(), `tika-certs-${backend}-`));
  const state = {};
  try {
    server = await startServer(backend, ['--demo-facilities', '50'], 'certificates');
  } catch (e) {
    failure(`[certificates ${backend}] start tika`, e);
    return;
  }
  const { base } = server;
  const cli = (args, what) => run(TIKA_BIN, args, server.env, what);
  await runSteps(`certificates ${backend}`, [
    ['the demo\'s doses become certificates within seconds, downloadable by the holder with OTP', async () => {
      state.token = await publicToken(base, DEMO_MOBILE);
      const list = await api(base, 'GET', '/api/v2/appointment/beneficiaries', { token: state.token });
      // Public tokens cannot list; use the protected portal flow for the reference ids.
      assertEq(list.status, 401, 'a public token does not list beneficiaries');
      const txn = await api(base, 'POST', '/api/v2/auth/generateMobileOTP', { body: { mobile: DEMO_MOBILE } });
      const { txnId } = await txn.json();
      const { createHash } = await import('node:crypto');
      const otp = createHash('sha256').update(OTP).digest('hex');
      const ok = await api(base, 'POST', '/api/v2/auth/validateMobileOtp', { body: { otp, txnId } });
      state.protected = (await ok.json()).token;
      const people = (await (await api(base, 'GET', '/api/v2/appointment/beneficiaries', { token: state.protected })).json()).beneficiaries;
      const vaccinated = people.filter((p) => p.dose1_date);
      assert(vaccinated.length >= 1, `a demo person on ${DEMO_MOBILE} has a first dose`);
      state.ref = vaccinated[0].beneficiary_reference_id;
      const started = Date.now();
      let res;
      for (;;) {
        res = await api(base, 'GET', `/api/v2/registration/certificate/public/download?beneficiary_reference_id=${state.ref}`, { token: state.token });
        if (res.status === 200 || Date.now() - started > 20_000) break;
        await new Promise((r) => setTimeout(r, 250));
      }
      assertEq(res.status, 200, 'certificate download');
      assertEq(res.headers.get('content-type'), 'application/pdf', 'content type');
      const pdf = Buffer.from(await res.arrayBuffer());
      assert(pdf.subarray(0, 4).toString() === '%PDF', 'a PDF');
      console.log(`  # first certificate downloadable ${Date.now() - started} ms after start-up`);
      const intl = await api(base, 'GET', `/api/v2/registration/certificate/public/download?beneficiary_reference_id=${state.ref}&type=international`, { token: state.token });
      assertEq(intl.status, 200, 'the international certificate (the demo person gave travel details)');
    }],
    ['the citizen pages list the certificates and serve the PDF', async () => {
      const browser = await launchChromium();
      try {
        const context = await phoneContext(browser);
        const page = await context.newPage();
        await page.goto(`${base}/login?next=%2Faccount`);
        await page.fill('#mobile', DEMO_MOBILE);
        await page.click('#get-otp');
        await page.fill('#otp', OTP);
        await page.click('#verify-otp');
        await page.waitForURL(/\/account/);
        const card = page.locator(`article.member[data-ref="${state.ref}"]`);
        const link = card.locator('section.certificates a[data-dose="1"]');
        assert(await link.isVisible(), 'a link to the dose 1 certificate');
        const href = await link.getAttribute('href');
        const res = await context.request.get(`${base}${href}`);
        assertEq(res.status(), 200, 'certificate page download');
        assertEq(res.headers()['content-type'], 'application/pdf', 'content type');
        await page.goto(`${base}/account?lang=hi`);
        assert((await page.textContent('section.certificates h4')).includes('प्रमाणपत्र'), 'Hindi heading');
        await context.close();
      } finally {
        await browser.close();
      }
    }],
    ['revoke one certificate, export the rest with their QR codes and keys', async () => {
      cli(['certificates', 'export', '--out', samples, '--limit', '50'], 'export');
      const ids = readdirSync(samples).filter((f) => /^\d{11}\.json$/.test(f));
      assert(ids.length >= 2, `several certificates issued (${ids.length})`);
      const victim = ids.map((f) => JSON.parse(readFileSync(path.join(samples, f), 'utf8')))
        .find((c) => c.credentialSubject.refId !== state.ref);
      assert(victim, 'a certificate of another person to revoke');
      cli(['certificates', 'revoke', victim.evidence[0].certificateId, '--reason', 'issued in error (e2e)'], 'revoke');
      cli(['certificates', 'export', '--out', samples, '--limit', '50', '--samples'], 'export --samples');
      for (const f of ['v1.json', 'v1-qr.png', 'v2.json', 'revoked.json', 'tampered-swap.json', 'trust.json']) {
        assert(existsSync(path.join(samples, f)), `${f} written`);
      }
      assertEq(JSON.parse(readFileSync(path.join(samples, 'revoked.json'), 'utf8')).evidence[0].certificateId,
        victim.evidence[0].certificateId, 'revoked.json is the revoked certificate');
      const check = await api(base, 'POST', '/api/certificates/v1/revoked', { body: { certificateId: victim.evidence[0].certificateId } });
      assertEq(check.status, 200, 'the online check says revoked');
    }],
    ['independent verifiers (DIVOC jsonld-signatures 6, Digital Bazaar vc 7) accept Tika\'s certificates', async () => {
      run(process.execPath, [path.join(here, 'verifiers', 'cross-check.mjs'), samples], process.env, 'cross-check');
    }],
    ['the verification page served by Tika verifies them, online and offline', async () => {
      run(process.execPath, [path.join(here, 'verify.mjs'), '--base', base, '--samples', samples, '--revoked', path.join(samples, 'revoked.json')], process.env, 'verify page');
    }],
  ]);
  await server.stop();
}

for (const backend of BACKENDS) {
  await testBackend(backend);
}
finish();
