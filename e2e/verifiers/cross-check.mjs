// Cross-checks Tika's DIVOC/CoWIN Verifiable Credentials with two independent verifier stacks,
// fully offline:
//
//   A. DIVOC's own verifier stack: jsonld-signatures 6 + crypto-ld 3 (what DIVOC's verification
//      app runs: jsigs.verify(doc, {suite: new Ed25519Signature2018({key}),
//      purpose: new AssertionProofPurpose({controller}), documentLoader, compactProof: false})).
//   B. Digital Bazaar's current stack: @digitalbazaar/vc 7 (jsonld-signatures 11, jsonld 9, safe
//      mode) + @digitalbazaar/ed25519-signature-2018 4: vc.verifyCredential.
//
//   node cross-check.mjs DIR [--expect FILE=pass|fail ...]
//
// DIR holds trust.json ({issuer, did, keys: [{kid, id, type, controller, publicKeyBase58,
// status}]}) and certificates (*.json with a `proof`).  Expectations: every certificate verifies
// in both stacks, except files named tampered-*.json, which must be rejected by both; the one
// exception is tampered-swap.json (dose <-> totalDoses swapped), which MUST still verify: values
// swapped between properties that share an RDF predicate are invisible to the signature (spec
// 1.9; Tika's own verifier catches it through the binding in infoUrl).  `--expect` overrides.
// For every certificate the script also makes tampered copies in memory (name changed,
// undefined term added, one character of the JWS signature changed), which both stacks must
// reject.  DIVOC's Ed25519 test vector (fixtures/) is verified too, as a check of the harness.
//
// Prints a table and exits non-zero on any mismatch.

import { createRequire } from 'node:module';
import { readFileSync, readdirSync, existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as vc from '@digitalbazaar/vc';
import { Ed25519Signature2018 as DbEd25519Signature2018 } from '@digitalbazaar/ed25519-signature-2018';
import { Ed25519VerificationKey2018 } from '@digitalbazaar/ed25519-verification-key-2018';
import { makeLoader } from './loader.mjs';

const require = createRequire(import.meta.url);
const jsigs = require('jsonld-signatures');
const { Ed25519KeyPair, RSAKeyPair } = require('crypto-ld');

const here = path.dirname(fileURLToPath(import.meta.url));
const readJson = (f) => JSON.parse(readFileSync(f, 'utf8'));

// ---------------------------------------------------------------------------------------------
// Keys

/** Key document, controller document and loader for one trusted key, as DIVOC's verifier builds them. */
function keyMaterial(key) {
  const keyDoc = {
    '@context': 'https://w3id.org/security/v2',
    id: key.id,
    type: key.type,
    controller: key.controller,
  };
  if (key.publicKeyBase58) keyDoc.publicKeyBase58 = key.publicKeyBase58;
  if (key.publicKeyPem) keyDoc.publicKeyPem = key.publicKeyPem;
  const controllerDoc = {
    '@context': 'https://w3id.org/security/v2',
    id: key.controller,
    publicKey: [keyDoc],
    assertionMethod: [key.id],
  };
  const loader = makeLoader({ [key.id]: keyDoc, [key.controller]: controllerDoc });
  return { keyDoc, controllerDoc, loader };
}

// ---------------------------------------------------------------------------------------------
// The two stacks.  Each returns {ok, error}.

function firstError(result) {
  const errs = [];
  const walk = (e) => {
    if (!e) return;
    if (Array.isArray(e)) { e.forEach(walk); return; }
    if (e.errors) walk(e.errors);
    if (e.error) walk(e.error);
    if (e.message) errs.push(e.message);
  };
  walk(result && result.error);
  if (result && result.results) for (const r of result.results) walk(r.error);
  return errs.find((m) => m && !/^Verification error\(s\)\.?$/.test(m)) || errs[0] || 'rejected';
}

async function verifyDivoc(cert, key) {
  const { keyDoc, controllerDoc, loader } = keyMaterial(key);
  try {
    let suite;
    if (key.type === 'Ed25519VerificationKey2018') {
      suite = new jsigs.suites.Ed25519Signature2018({ key: new Ed25519KeyPair({ ...keyDoc }) });
    } else if (key.type === 'RsaVerificationKey2018') {
      suite = new jsigs.suites.RsaSignature2018({ key: new RSAKeyPair({ ...keyDoc }) });
    } else {
      return { ok: false, error: `unsupported key type ${key.type}` };
    }
    const result = await jsigs.verify(structuredClone(cert), {
      suite,
      purpose: new jsigs.purposes.AssertionProofPurpose({ controller: controllerDoc }),
      documentLoader: loader,
      compactProof: false,
    });
    return result.verified ? { ok: true } : { ok: false, error: firstError(result) };
  } catch (e) {
    return { ok: false, error: e.message };
  }
}

async function verifyVc7(cert, key) {
  if (key.type !== 'Ed25519VerificationKey2018') return { ok: null, error: 'n/a (vc 7: Ed25519 only)' };
  const { loader } = keyMaterial(key);
  try {
    const vkey = await Ed25519VerificationKey2018.from({
      id: key.id, controller: key.controller, publicKeyBase58: key.publicKeyBase58,
    });
    const suite = new DbEd25519Signature2018({ key: vkey });
    const result = await vc.verifyCredential({
      credential: structuredClone(cert),
      suite,
      documentLoader: loader,
      checkStatus: async () => ({ verified: true }),
    });
    return result.verified ? { ok: true } : { ok: false, error: firstError(result) };
  } catch (e) {
    return { ok: false, error: e.message };
  }
}

// ---------------------------------------------------------------------------------------------
// Cases

/** The signature segment with one character in its middle changed (not a padding bit). */
function flipJws(jws) {
  const [h, p, s] = jws.split('.');
  const i = Math.floor(s.length / 2);
  const c = s[i] === 'A' ? 'B' : 'A';
  return `${h}.${p}.${s.slice(0, i)}${c}${s.slice(i + 1)}`;
}

function isV1(cert) {
  return (cert['@context'] || []).some((c) => typeof c === 'string' && /\/vaccination\/v1$/.test(c));
}

function inMemoryTampers(cert) {
  const out = [];
  const named = structuredClone(cert);
  named.credentialSubject.name = `${cert.credentialSubject.name} X`;
  out.push(['name changed', named]);
  const undef = structuredClone(cert);
  if (isV1(cert)) {
    undef.credentialSubject.dob = '1990-02-03';
    out.push(['undefined term dob (v1)', undef]);
  } else {
    undef.credentialSubject.favouriteColour = 'blue';
    out.push(['undefined term favouriteColour', undef]);
  }
  const jws = structuredClone(cert);
  jws.proof.jws = flipJws(cert.proof.jws);
  out.push(['jws one char changed', jws]);
  return out;
}

function parseArgs(argv) {
  const args = { dir: null, expect: {} };
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--expect') {
      const [f, v] = String(argv[++i]).split('=');
      if (!['pass', 'fail'].includes(v)) throw new Error(`--expect FILE=pass|fail, got ${argv[i]}`);
      args.expect[f] = v === 'pass';
    } else if (argv[i] === '-h' || argv[i] === '--help') {
      console.log('usage: node cross-check.mjs DIR [--expect FILE=pass|fail ...]');
      process.exit(0);
    } else if (!args.dir) {
      args.dir = argv[i];
    } else {
      throw new Error(`unexpected argument ${argv[i]}`);
    }
  }
  if (!args.dir) throw new Error('usage: node cross-check.mjs DIR [--expect FILE=pass|fail ...]');
  return args;
}

function expectedFor(file, overrides) {
  if (file in overrides) return overrides[file];
  if (file === 'tampered-swap.json') return true; // the format's known weakness (spec 1.9)
  return !file.startsWith('tampered-');
}

// ---------------------------------------------------------------------------------------------

const args = parseArgs(process.argv.slice(2));
const trust = readJson(path.join(args.dir, 'trust.json'));
if (!Array.isArray(trust.keys) || trust.keys.length === 0) throw new Error('trust.json has no keys');
for (const k of trust.keys) {
  for (const f of ['id', 'type', 'controller']) if (!k[f]) throw new Error(`trust.json key ${k.kid}: no ${f}`);
}

const cases = []; // {source, label, cert, key, expect}
const keyFor = (cert) => trust.keys.find((k) => k.id === (cert.proof && cert.proof.verificationMethod));

// The harness sanity check: DIVOC's Ed25519 vector with DIVOC's test key.
const divocVector = readJson(path.join(here, 'fixtures', 'vector_ed25519_divoc.json'));
const divocKey = {
  id: divocVector.proof.verificationMethod, type: 'Ed25519VerificationKey2018', controller: 'https://divoc.dev/',
  publicKeyBase58: 'DaipNW4xaH2bh1XGNNdqjnSYyru3hLnUgTBSfSvmZ2hi',
};
cases.push({ source: 'fixtures/vector_ed25519_divoc.json', label: 'DIVOC vector', cert: divocVector, key: divocKey, expect: true });
for (const [label, c] of inMemoryTampers(divocVector)) {
  cases.push({ source: 'fixtures/vector_ed25519_divoc.json', label, cert: c, key: divocKey, expect: false });
}

// ... and DIVOC's RSA (PS256) vector with DIVOC's sample key: jsonld-signatures 6 only (vc 7's
// suite is Ed25519-only).
const rsaVector = readJson(path.join(here, 'fixtures', 'vector_rsa_cowin.json'));
const rsaKey = {
  id: rsaVector.proof.verificationMethod, type: 'RsaVerificationKey2018', controller: 'https://cowin.gov.in/',
  publicKeyPem: readFileSync(path.join(here, 'fixtures', 'divoc_sample_pub.pem'), 'utf8'),
};
cases.push({ source: 'fixtures/vector_rsa_cowin.json', label: 'DIVOC RSA vector', cert: rsaVector, key: rsaKey, expect: true });
for (const [label, c] of inMemoryTampers(rsaVector)) {
  cases.push({ source: 'fixtures/vector_rsa_cowin.json', label, cert: c, key: rsaKey, expect: false });
}

const files = readdirSync(args.dir).filter((f) => f.endsWith('.json') && f !== 'trust.json').sort();
let certCount = 0;
for (const f of files) {
  let cert;
  try { cert = readJson(path.join(args.dir, f)); } catch { continue; }
  if (!cert || typeof cert !== 'object' || !cert.proof || !cert['@context']) continue; // not a certificate
  certCount++;
  const key = keyFor(cert);
  const expect = expectedFor(f, args.expect);
  if (!key) {
    cases.push({ source: f, label: 'as issued', cert, key: null, expect });
    continue;
  }
  cases.push({ source: f, label: f.startsWith('tampered-') ? 'file as given' : 'as issued', cert, key, expect });
  if (expect && !f.startsWith('tampered-')) {
    for (const [label, c] of inMemoryTampers(cert)) cases.push({ source: f, label, cert: c, key, expect: false });
  }
}
if (certCount === 0) throw new Error(`no certificates (*.json with a proof) in ${args.dir}`);
for (const f of Object.keys(args.expect)) {
  if (!files.includes(f)) throw new Error(`--expect names ${f}, which is not in ${args.dir}`);
}

const rows = [];
let mismatches = 0;
for (const c of cases) {
  let a; let b;
  if (!c.key) {
    a = { ok: false, error: `verificationMethod ${c.cert.proof.verificationMethod} not in trust.json` };
    b = a;
  } else {
    a = await verifyDivoc(c.cert, c.key);
    b = await verifyVc7(c.cert, c.key);
  }
  const good = (r) => r.ok === null || r.ok === c.expect;
  const match = good(a) && good(b);
  if (!match) mismatches++;
  rows.push({
    file: c.source, case: c.label, expected: c.expect ? 'verify' : 'reject',
    divoc: a.ok === null ? 'n/a' : a.ok ? 'verified' : 'rejected',
    vc7: b.ok === null ? 'n/a' : b.ok ? 'verified' : 'rejected',
    result: match ? 'ok' : 'MISMATCH',
    why: [a.ok ? '' : a.error, b.ok || b.error === a.error ? '' : b.error].filter(Boolean).map((s) => String(s).slice(0, 90)).join(' | '),
  });
}

const cols = ['file', 'case', 'expected', 'divoc', 'vc7', 'result', 'why'];
const heads = { file: 'file', case: 'case', expected: 'expected', divoc: 'jsigs6 (DIVOC)', vc7: 'vc7 (DB)', result: 'result', why: 'reason given by the verifiers' };
const width = Object.fromEntries(cols.map((k) => [k, Math.max(heads[k].length, ...rows.map((r) => r[k].length))]));
const line = (r) => cols.map((k) => r[k].padEnd(width[k])).join(' | ').trimEnd();
console.log(line(heads));
console.log(cols.map((k) => '-'.repeat(width[k])).join('-|-'));
for (const r of rows) console.log(line(r));
console.log();
console.log(`trust.json: issuer ${trust.issuer}, ${trust.keys.length} key(s): ${trust.keys.map((k) => `${k.id} (${k.status || 'no status'})`).join(', ')}`);
console.log(`${rows.length - mismatches} passed, ${mismatches} failed`);
process.exitCode = mismatches === 0 ? 0 : 1;
if (!existsSync(path.join(args.dir, 'tampered-swap.json'))) console.log('note: no tampered-swap.json in DIR');
