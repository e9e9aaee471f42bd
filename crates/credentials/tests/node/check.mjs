import {createRequire} from 'module';
import fs from 'fs';
import path from 'path';
const require = createRequire(import.meta.url);
const jsigs = require('jsonld-signatures');
const {Ed25519KeyPair} = require('crypto-ld');
const {vaccinationContext, vaccinationContextV2} = require('vaccination-context');
const credCtx = require('credentials-context');
const secCtx = require('security-context');
import * as vc from '@digitalbazaar/vc';
import {Ed25519Signature2018} from '@digitalbazaar/ed25519-signature-2018';

const dir = process.argv[2];
const trust = JSON.parse(fs.readFileSync(path.join(dir, 'trust.json')));
const keyDoc = JSON.parse(fs.readFileSync(path.join(dir, 'key.json')));
const controllerDoc = JSON.parse(fs.readFileSync(path.join(dir, 'controller.json')));

const ed2018 = require('ed25519-signature-2018-context');
const contexts = {
  'https://w3id.org/security/suites/ed25519-2018/v1': ed2018.contexts.get('https://w3id.org/security/suites/ed25519-2018/v1'),
  'https://www.w3.org/2018/credentials/v1': credCtx.contexts.get('https://www.w3.org/2018/credentials/v1'),
  'https://w3id.org/security/v1': secCtx.contexts.get('https://w3id.org/security/v1'),
  'https://w3id.org/security/v2': secCtx.contexts.get('https://w3id.org/security/v2'),
  'https://cowin.gov.in/credentials/vaccination/v1': vaccinationContext,
  'https://cowin.gov.in/credentials/vaccination/v2': vaccinationContextV2,
  'https://divoc.dev/credentials/vaccination/v1': vaccinationContext,
};
// The documents exactly as issue_sample wrote them.
const docs = {[keyDoc.id]: keyDoc, [trust.issuer]: controllerDoc};
const keyDocForDivoc = {'@context': 'https://w3id.org/security/v2', id: keyDoc.id, type: 'Ed25519VerificationKey2018', controller: keyDoc.controller, publicKeyBase58: keyDoc.publicKeyBase58};
const documentLoader = async (url) => {
  const document = contexts[url] || docs[url];
  if (!document) throw new Error('no network: ' + url);
  return {contextUrl: null, documentUrl: url, document};
};

async function divocStack(cred) {
  // As DIVOC's verifier (jsonld-signatures 6 + crypto-ld 3) does it.
  const key = new Ed25519KeyPair({...keyDocForDivoc});
  const {AssertionProofPurpose} = jsigs.purposes;
  const controller = {'@context': jsigs.SECURITY_CONTEXT_URL, id: keyDoc.controller, publicKey: [keyDocForDivoc], assertionMethod: [keyDoc.id]};
  const r = await jsigs.verify(cred, {
    suite: new jsigs.suites.Ed25519Signature2018({key}),
    purpose: new AssertionProofPurpose({controller}),
    documentLoader, compactProof: false,
  });
  return r.verified ? 'ACCEPT' : 'REJECT (' + (r.error && (r.error.errors||[r.error]).map(e => e.message).join('; ')) + ')';
}

async function dbStack(cred) {
  const r = await vc.verifyCredential({credential: cred, suite: new Ed25519Signature2018(), documentLoader, checkStatus: undefined});
  return r.verified ? 'ACCEPT' : 'REJECT (' + (r.error && (r.error.errors||[r.error]).map(e => e.message).join('; ')) + ')';
}

for (const name of ['v1.json', 'v2.json', 'tampered-swap.json', 'TAMPER:name', 'TAMPER:dob-under-v1']) {
  let cred;
  if (name === 'TAMPER:name') { cred = JSON.parse(fs.readFileSync(path.join(dir, 'v1.json'))); cred.credentialSubject.name += 'x'; }
  else if (name === 'TAMPER:dob-under-v1') { cred = JSON.parse(fs.readFileSync(path.join(dir, 'v1.json'))); cred.credentialSubject.dob = '1990-01-01'; }
  else cred = JSON.parse(fs.readFileSync(path.join(dir, name)));
  let a, b;
  try { a = await divocStack(structuredClone(cred)); } catch (e) { a = 'ERROR ' + e.message; }
  try { b = await dbStack(structuredClone(cred)); } catch (e) { b = 'ERROR ' + e.message; }
  console.log(`${name.padEnd(22)} jsonld-signatures@6+crypto-ld@3: ${a}\n${''.padEnd(22)} @digitalbazaar/vc@7+ed25519-signature-2018@4: ${b}`);
}
