// End-to-end test of the offline certificate verification page (/verify/) in real headless
// Chromium, phone-sized.
//
//   node e2e/verify.mjs --samples DIR [--base http://127.0.0.1:PORT] [--revoked CERT.json]
//
// DIR is what `cargo run -p tika_credentials --example issue_sample -- --out DIR` writes
// (v1.json, v2.json, v1-qr.png, trust.json, tampered-swap.json, keys/) or
// `node e2e/verifiers/dev-samples.mjs DIR`.  With --base the page is the one that server serves
// (Tika); without it the test starts e2e/verifiers/dev-server.mjs on DIR.  --revoked names a
// certificate whose ID is on the server's revocation list; without it the test reads the list
// embedded in the page and looks for a certificate of DIR on it (DIR/revoked.json from
// dev-samples.mjs is one).
//
// Steps: load /verify (service worker ready), the QR image through the file input -> VALID with
// the right name, v2.json pasted -> VALID, name changed -> INVALID (bad signature), tampered-swap
// -> INVALID (fields swapped), an undefined term -> INVALID naming it, unknown key -> INVALID,
// the QR's text pasted as a binary string and as UTF-8-mangled bytes -> VALID, the revoked
// certificate -> REVOKED, Hindi, then OFFLINE: reload, verify again, upload the QR again.  No
// request may leave the page's origin.  Prints `ok - …` / `not ok - …` and `N passed, M failed`.

import { readFileSync, readdirSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { inflateRawSync } from 'node:zlib';
import {
  ARTIFACTS, assert, assertEq, failure, finish, globalTimeout, launchChromium, phoneContext, runSteps, withTimeout,
} from './lib.mjs';
import { zipOne } from './verifiers/common.mjs';

globalTimeout(10 * 60_000);

function parseArgs(argv) {
  const a = { base: null, samples: null, revoked: null };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i];
    if (v === '--base') a.base = argv[++i].replace(/\/+$/, '');
    else if (v === '--samples') a.samples = path.resolve(argv[++i]);
    else if (v === '--revoked') a.revoked = path.resolve(argv[++i]);
    else throw new Error(`unknown argument ${v}`);
  }
  if (!a.samples) throw new Error('usage: node e2e/verify.mjs --samples DIR [--base URL] [--revoked CERT.json]');
  return a;
}

const args = parseArgs(process.argv.slice(2));
const readJson = (f) => JSON.parse(readFileSync(f, 'utf8'));
const here = path.dirname(fileURLToPath(import.meta.url));
const S = args.samples;
const v1 = readJson(path.join(S, 'v1.json'));
const v2 = readJson(path.join(S, 'v2.json'));
const swap = readJson(path.join(S, 'tampered-swap.json'));
const trust = readJson(path.join(S, 'trust.json'));
const I18N_HI_PASTE_TITLE = 'सामग्री चिपकाएँ';

let devServer = null;
if (!args.base) {
  const { startDevServer } = await import('./verifiers/dev-server.mjs');
  devServer = await startDevServer({ samples: S, port: 0, host: '127.0.0.1', revoke: [], revokeFiles: args.revoked ? [args.revoked] : [], listVersion: 5 });
  args.base = devServer.base;
  console.log(`# no --base: started e2e/verifiers/dev-server.mjs at ${args.base}/verify/`);
}
const BASE = args.base;
mkdirSync(ARTIFACTS, { recursive: true });

// ---------------------------------------------------------------------------------------------

/** The ZIP inside a QR: the raw payload the page should accept as pasted text too. */
const zipOf = (cert) => zipOne('certificate.json', JSON.stringify(cert));

function pageRevocationList(html) {
  const m = html.match(/<script type="application\/json" id="tika-revocations">([^<]*)<\/script>/);
  assert(m, 'the page embeds the revocation list');
  const jws = JSON.parse(m[1]);
  assert(typeof jws === 'string' && jws.split('.').length === 3, `revocation list is a compact JWS: ${m[1].slice(0, 60)}`);
  return JSON.parse(Buffer.from(jws.split('.')[1], 'base64url').toString('utf8'));
}

async function resultAfter(page, action) {
  const before = await page.getAttribute('#result', 'data-seq');
  await action();
  await page.waitForFunction((b) => {
    const r = document.getElementById('result');
    return r.dataset.seq && r.dataset.seq !== b && !r.hidden;
  }, before, { timeout: 30_000 });
  return page.evaluate(() => {
    const r = document.getElementById('result');
    const fields = {};
    for (const dd of r.querySelectorAll('dd[data-field]')) fields[dd.dataset.field] = dd.textContent;
    return {
      status: r.dataset.status, code: r.dataset.reason, title: document.getElementById('result-title').textContent,
      reason: document.getElementById('result-reason').textContent, fields,
    };
  });
}

async function paste(page, text) {
  return resultAfter(page, async () => {
    await page.fill('#paste', text);
    await page.click('#paste-verify');
  });
}

async function upload(page, file) {
  return resultAfter(page, () => page.setInputFiles('#file', file));
}

function expectStatus(r, status, what) {
  assertEq(r.status, status, `${what}: status (reason: ${r.code} "${r.reason}")`);
}

async function waitReady(page) {
  await page.waitForSelector('body[data-ready=true]', { timeout: 30_000 });
  const setupError = await page.isVisible('#setup-error');
  assert(!setupError, `the page reports a setup error: ${await page.textContent('#setup-error')}`);
}

// ---------------------------------------------------------------------------------------------

let browser;
try {
  browser = await launchChromium();
} catch (e) {
  failure('launch Chromium', e);
  finish();
}

const context = await phoneContext(browser);
const page = await context.newPage();
const foreign = [];
const consoleErrors = [];
page.on('request', (req) => {
  const u = req.url();
  if (!u.startsWith(BASE) && !u.startsWith('data:') && !u.startsWith('blob:')) foreign.push(u);
});
context.on('request', (req) => {
  const u = req.url();
  if (!u.startsWith(BASE) && !u.startsWith('data:') && !u.startsWith('blob:')) foreign.push(u);
});
page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
page.on('pageerror', (e) => consoleErrors.push(String(e)));

let revokedCert = args.revoked ? readJson(args.revoked) : null;

await runSteps('verify', [
  ['load /verify and the service worker takes control', async () => {
    const res = await page.goto(`${BASE}/verify`);
    assertEq(res.status(), 200, 'GET /verify');
    assert(new URL(page.url()).pathname === '/verify/', `/verify ends at /verify/, got ${page.url()}`);
    await waitReady(page);
    await withTimeout(page.evaluate(() => navigator.serviceWorker.ready.then(() => true)), 20_000, 'service worker ready');
    await page.waitForFunction(() => !!navigator.serviceWorker.controller, null, { timeout: 20_000 });
    const trustInfo = await page.textContent('#trust-info');
    assert(trustInfo.includes(trust.issuer), `footer names the issuer: ${trustInfo}`);
  }],
  ['the page embeds the trust document and a signed revocation list', async () => {
    const html = await (await fetch(`${BASE}/verify/`)).text();
    assert(!html.includes('__TIKA_TRUST__') && !html.includes('__TIKA_REVOCATIONS__'), 'placeholders filled in');
    const list = pageRevocationList(html);
    assertEq(list.type, 'TikaRevocationList', 'list type');
    const info = await page.textContent('#revocation-info');
    assert(info.includes(`version ${list.version}`), `footer shows the list version ${list.version}: ${info}`);
    if (!revokedCert) {
      const ids = new Set(list.revoked.map((r) => String(r.certificateId)));
      for (const f of readdirSync(S).filter((x) => x.endsWith('.json') && !x.startsWith('tampered-') && x !== 'trust.json')) {
        const c = readJson(path.join(S, f));
        if (c && c.evidence && ids.has(String(c.evidence[0].certificateId))) { revokedCert = c; break; }
      }
    }
    assert(revokedCert, `no certificate of ${S} is on the revocation list (${list.revoked.length} IDs): pass --revoked CERT.json`);
  }],
  ['QR image through the file input -> VALID with the right name', async () => {
    const r = await upload(page, path.join(S, 'v1-qr.png'));
    expectStatus(r, 'valid', 'v1-qr.png');
    assertEq(r.fields.name, v1.credentialSubject.name, 'name shown');
    assertEq(r.fields.certificateId, v1.evidence[0].certificateId, 'certificate ID shown');
    assertEq(r.title, 'VALID', 'title');
    // Batch and vaccinator are shown when the certificate has them (a dose recorded through
    // the CoWIN-era path has neither).
    const ev = v1.evidence[0];
    const expected = ['vaccine', 'dose', 'date', 'facility', 'issuer', 'id', 'refId'];
    if (ev.batch) expected.push('batch');
    if (ev.verifier && ev.verifier.name) expected.push('vaccinator');
    for (const f of expected) {
      assert(r.fields[f], `field ${f} shown (${JSON.stringify(r.fields)})`);
    }
    if (ev.batch) assert(r.fields.batch.includes(ev.batch), `batch ${ev.batch} shown`);
    await page.screenshot({ path: path.join(ARTIFACTS, 'verify-valid-qr.png'), fullPage: true });
  }],
  ['v2.json pasted -> VALID', async () => {
    const r = await paste(page, JSON.stringify(v2));
    expectStatus(r, 'valid', 'v2.json');
    assertEq(r.fields.name, v2.credentialSubject.name, 'name shown');
    if (v2.credentialSubject.dob) assert(r.fields.dob, 'date of birth shown for v2');
  }],
  ['name changed -> INVALID (bad signature)', async () => {
    const c = structuredClone(v2);
    c.credentialSubject.name = `${c.credentialSubject.name} Imposter`;
    const r = await paste(page, JSON.stringify(c));
    expectStatus(r, 'invalid', 'name changed');
    assertEq(r.code, 'bad_signature', 'reason');
    await page.screenshot({ path: path.join(ARTIFACTS, 'verify-invalid.png'), fullPage: true });
  }],
  ['tampered-swap.json -> INVALID: fields were swapped', async () => {
    const r = await paste(page, JSON.stringify(swap));
    expectStatus(r, 'invalid', 'tampered-swap.json');
    assertEq(r.code, 'swapped', 'reason');
    assert(/swapped/i.test(r.reason) && r.reason.includes('dose') && r.reason.includes('totalDoses'), `reason names the fields: ${r.reason}`);
  }],
  ['an undefined term -> INVALID naming the term', async () => {
    const c = structuredClone(v1);
    c.credentialSubject.dob = '1990-02-03'; // dob is not defined by the v1 context
    const r = await paste(page, JSON.stringify(c));
    expectStatus(r, 'invalid', 'dob under v1');
    assertEq(r.code, 'undefined_term', 'reason');
    assert(r.reason.includes('"dob"'), `reason names the term: ${r.reason}`);
  }],
  ['a key that is not trusted -> INVALID: unknown issuer key', async () => {
    const divoc = readJson(path.join(here, 'verifiers', 'fixtures', 'vector_ed25519_divoc.json'));
    const r = await paste(page, JSON.stringify(divoc));
    expectStatus(r, 'invalid', 'DIVOC vector');
    assertEq(r.code, 'unknown_key', 'reason');
    assert(r.reason.includes('did:india'), `reason names the key: ${r.reason}`);
  }],
  ['an image without a QR code -> INVALID: unreadable QR', async () => {
    const png = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==', 'base64');
    const r = await resultAfter(page, () => page.setInputFiles('#file', { name: 'blank.png', mimeType: 'image/png', buffer: png }));
    expectStatus(r, 'invalid', 'blank image');
    assertEq(r.code, 'unreadable_qr', 'reason');
  }],
  ['the QR payload as base64 (pasted), raw ZIP, binary string, UTF-8-mangled bytes -> VALID', async () => {
    const zip = zipOf(v1);
    assert(JSON.parse(inflateRawSync(zip.subarray(30 + 16, zip.length - 22 - 46 - 16)).toString()).proof, 'test ZIP is sound');
    // Pasted as base64 of the ZIP, through the textarea.
    const r = await paste(page, zip.toString('base64'));
    expectStatus(r, 'valid', 'pasted base64 of the ZIP');
    assertEq(r.fields.name, v1.credentialSubject.name, 'name shown');
    // Raw ZIP bytes, the binary string (each character a byte) and UTF-8-mangled bytes (what
    // node-qrcode puts in a QR, zbar's output), through the page's own API: a textarea would
    // turn CR bytes into LF.
    const statuses = await page.evaluate(async ([raw, mangled]) => {
      const bytes = (b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
      const binary = String.fromCharCode(...bytes(raw));
      return [
        (await window.TikaVerify.verifyBytes(bytes(raw))).status,
        (await window.TikaVerify.verifyPasted(binary)).status,
        (await window.TikaVerify.verifyBytes(bytes(mangled))).status,
      ];
    }, [zip.toString('base64'), Buffer.from(zip.toString('latin1'), 'utf8').toString('base64')]);
    assertEq(statuses.join(','), 'valid,valid,valid', 'raw ZIP, binary string, UTF-8-mangled ZIP');
  }],
  ['a revoked certificate -> REVOKED with reason and date', async () => {
    const r = await paste(page, JSON.stringify(revokedCert));
    expectStatus(r, 'revoked', 'revoked certificate');
    assertEq(r.title, 'REVOKED', 'title');
    assert(/revoked on .+Reason: .+/.test(r.reason), `reason and date shown: ${r.reason}`);
    assertEq(r.fields.certificateId, String(revokedCert.evidence[0].certificateId), 'certificate ID shown');
    await page.screenshot({ path: path.join(ARTIFACTS, 'verify-revoked.png'), fullPage: true });
  }],
  ['Hindi: labels and the result are translated; both languages have the same keys', async () => {
    await page.click('#lang-toggle');
    await page.waitForFunction(() => document.documentElement.lang === 'hi');
    assertEq((await page.textContent('#paste-h')).trim(), I18N_HI_PASTE_TITLE, 'paste section title in Hindi');
    const r = await paste(page, JSON.stringify(v2));
    expectStatus(r, 'valid', 'v2.json in Hindi');
    assertEq(r.title, 'मान्य', 'VALID in Hindi');
    assert(await page.isVisible('dt:has-text("नाम")'), 'the "name" label is in Hindi');
    const diff = await page.evaluate(() => {
      const { en, hi } = window.TIKA_VERIFY_I18N;
      const vars = (s) => (s.match(/\{\w+\}/g) || []).sort().join(',');
      const out = [];
      for (const k of new Set([...Object.keys(en), ...Object.keys(hi)])) {
        if (!(k in en) || !(k in hi)) out.push(`missing ${k}`);
        else if (vars(en[k]) !== vars(hi[k])) out.push(`placeholders of ${k}`);
      }
      return out;
    });
    assertEq(diff.join('; '), '', 'i18n key/placeholder differences');
    await page.screenshot({ path: path.join(ARTIFACTS, 'verify-hi.png'), fullPage: true });
    await page.click('#lang-toggle');
    await page.waitForFunction(() => document.documentElement.lang === 'en');
  }],
  ['OFFLINE: reload, then verify pasted JSON and the QR image again', async () => {
    await context.setOffline(true);
    await page.reload();
    await waitReady(page);
    assert((await page.textContent('#offline-info')).length > 0, 'offline note shown');
    let r = await paste(page, JSON.stringify(v2));
    expectStatus(r, 'valid', 'v2.json offline');
    r = await upload(page, path.join(S, 'v1-qr.png'));
    expectStatus(r, 'valid', 'v1-qr.png offline');
    assertEq(r.fields.name, v1.credentialSubject.name, 'name shown offline');
    r = await paste(page, JSON.stringify(revokedCert));
    expectStatus(r, 'revoked', 'revoked certificate offline (list kept on the device)');
    r = await paste(page, JSON.stringify(swap));
    expectStatus(r, 'invalid', 'tampered-swap offline');
    const fresh = await context.newPage();
    await fresh.goto(`${BASE}/verify/`);
    await waitReady(fresh);
    await fresh.close();
    await page.screenshot({ path: path.join(ARTIFACTS, 'verify-offline.png'), fullPage: true });
    await context.setOffline(false);
  }],
  ...(devServer ? [['an older revocation list from the server is refused (dev server only)', async () => {
    const cur = pageRevocationList(await (await fetch(`${BASE}/verify/`)).text());
    const res = await fetch(`${BASE}/dev/revocations`, { method: 'POST', body: JSON.stringify({ version: cur.version - 1, revoked: [] }) });
    assertEq(res.status, 200, 'dev server re-signed the list');
    await page.reload();
    await waitReady(page);
    const info = await page.textContent('#revocation-info');
    assert(info.includes(`keeping version ${cur.version}`), `older list refused: ${info}`);
    const r = await paste(page, JSON.stringify(revokedCert));
    expectStatus(r, 'revoked', 'still revoked with the kept list');
  }]] : []),
  ['foreign certificates: DIVOC Ed25519 and CoWIN RSA (PS256) vectors with their own keys -> VALID', async () => {
    // A separate context on a made-up HTTPS origin (a secure context, so WebCrypto works),
    // served by Playwright from this checkout's static/verify/ with a trust document for DIVOC's
    // test keys.  These certificates carry no Tika binding, so none is checked.
    const F = path.join(here, 'verifiers', 'fixtures');
    const staticDir = path.join(here, '..', 'crates', 'server', 'static', 'verify');
    const cases = [
      ['vector_ed25519_divoc.json', { kid: 'india', id: 'did:india', type: 'Ed25519VerificationKey2018', controller: 'https://divoc.dev/', publicKeyBase58: 'DaipNW4xaH2bh1XGNNdqjnSYyru3hLnUgTBSfSvmZ2hi', status: 'active' }],
      ['vector_rsa_cowin.json', { kid: 'india', id: 'did:india', type: 'RsaVerificationKey2018', controller: 'https://cowin.gov.in/', publicKeyPem: readFileSync(path.join(F, 'divoc_sample_pub.pem'), 'utf8'), status: 'active' }],
    ];
    for (const [file, key] of cases) {
      const ctx = await browser.newContext({ serviceWorkers: 'block' });
      const trustDoc = { issuer: key.controller, did: 'did:india', keys: [key] };
      await ctx.route('https://verify.test/**', (route) => {
        const rel = new URL(route.request().url()).pathname.replace(/^\/verify\//, '');
        if (rel === '') {
          const html = readFileSync(path.join(staticDir, 'index.html'), 'utf8')
            .replace('__TIKA_TRUST__', () => JSON.stringify(trustDoc)).replace('__TIKA_REVOCATIONS__', 'null');
          return route.fulfill({ contentType: 'text/html; charset=utf-8', body: html });
        }
        return route.fulfill({ contentType: rel.endsWith('.js') ? 'text/javascript' : 'application/json', body: readFileSync(path.join(staticDir, rel)) });
      });
      const p = await ctx.newPage();
      await p.goto('https://verify.test/verify/');
      await waitReady(p);
      const cert = readJson(path.join(F, file));
      let r = await paste(p, JSON.stringify(cert));
      expectStatus(r, 'valid', file);
      assertEq(r.fields.name, cert.credentialSubject.name, `${file}: name`);
      cert.evidence[0].batch = 'XYZ';
      r = await paste(p, JSON.stringify(cert));
      expectStatus(r, 'invalid', `${file} with the batch changed`);
      assertEq(r.code, 'bad_signature', `${file} with the batch changed: reason`);
      await ctx.close();
    }
  }],
  ['no request left the origin, no page errors', async () => {
    assertEq(foreign.join(' '), '', 'requests to other origins');
    const errs = consoleErrors.filter((e) => !/ERR_INTERNET_DISCONNECTED|Failed to load resource|net::ERR_/.test(e));
    assertEq(errs.join(' | '), '', 'console errors');
  }],
]);

await browser.close().catch(() => {});
if (devServer) devServer.server.close();
finish();
