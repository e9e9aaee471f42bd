// Writes a sample DIR like the credentials crate's `examples/issue_sample.rs`, but signed here in
// Node with DIVOC's own signer stack (jsonld-signatures 6 + crypto-ld 3) and a fresh Ed25519
// key.  For developing the /verify page and the browser test without the Rust crate, and as a
// second, independent issuer the page must accept.
//
//   node dev-samples.mjs DIR
//
// DIR gets: v1.json (domestic, context v1), v2.json (international, context v2), revoked.json (a
// third certificate, to be put on the revocation list), tampered-swap.json (v1 with dose and
// totalDoses swapped: the LD signature still verifies, Tika's binding does not), v1-qr.png (v1
// zipped as certificate.json in a byte-mode QR, level M), trust.json and keys/dev.json (the
// private key: {kid, id, publicKeyBase58, privateKeyBase58 (32-byte seed)}).

import { createRequire } from 'node:module';
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import QRCode from 'qrcode';
import { b58encode, bindingTag, rawPublicKey, rawSeed, zipOne } from './common.mjs';
import { documentLoader } from './loader.mjs';

const require = createRequire(import.meta.url);
const jsigs = require('jsonld-signatures');
const { Ed25519KeyPair } = require('crypto-ld');

const dir = process.argv[2];
if (!dir) {
  console.error('usage: node dev-samples.mjs DIR');
  process.exit(2);
}
mkdirSync(path.join(dir, 'keys'), { recursive: true });

const ISSUER = 'https://tika.example/';
const DID = 'did:web:tika.example';
const KID = 'dev-2026';
const KEY_ID = `${DID}#${KID}`;

const { privateKey } = generateKeyPairSync('ed25519');
const seed = rawSeed(privateKey);
const pub = rawPublicKey(privateKey);
const publicKeyBase58 = b58encode(pub);
const trust = {
  issuer: ISSUER,
  did: DID,
  keys: [{ kid: KID, id: KEY_ID, type: 'Ed25519VerificationKey2018', controller: ISSUER, publicKeyBase58, status: 'active' }],
};

function credential({ version, certificateId, name, dose, totalDoses, refId }) {
  const v2 = version === 2;
  const address = { streetAddress: '', streetAddress2: '', district: 'Pune', city: '', addressRegion: 'Maharashtra', addressCountry: v2 ? 'IND' : 'IN', postalCode: '' };
  const subject = {
    type: 'Person', id: v2 ? 'did:Passport:Z1234567' : 'did:in.gov.uidai.aadhaar:XXXXXXXX4321', refId, name, uhid: '',
    gender: 'Female', age: '34', nationality: 'Indian', address,
  };
  if (v2) subject.dob = '1990-02-03';
  const evidence = {
    id: `${ISSUER}vaccine/${certificateId}`,
    feedbackUrl: `${ISSUER}?${certificateId}`,
    infoUrl: '',
    certificateId,
    type: ['Vaccination'],
    batch: '4121Z005', vaccine: 'COVISHIELD', manufacturer: 'Serum Institute of India',
    date: '2026-05-30T08:15:00.000Z', effectiveStart: '2026-05-30', effectiveUntil: '2026-08-30',
    dose, totalDoses,
    verifier: { name: 'Nurse Asha Kumari' },
    facility: { name: 'PHC Kothrud', address: { streetAddress: '1 Main Rd', streetAddress2: '', district: 'Pune', city: 'Pune', addressRegion: 'Maharashtra', addressCountry: v2 ? 'IND' : 'IN', postalCode: 411001 } },
  };
  if (v2) {
    evidence.icd11Code = 'XM9QW8';
    evidence.prophylaxis = 'COVID-19 vaccine, non-replicating viral vector';
  }
  const cert = {
    '@context': ['https://www.w3.org/2018/credentials/v1', `https://cowin.gov.in/credentials/vaccination/v${version}`],
    type: ['VerifiableCredential', 'ProofOfVaccinationCredential'],
    credentialSubject: subject,
    issuer: ISSUER,
    issuanceDate: '2026-06-01T10:00:00.000Z',
    evidence: [evidence],
    nonTransferable: 'true',
  };
  evidence.infoUrl = `${evidence.feedbackUrl}&b=${bindingTag(cert)}`;
  return cert;
}

async function sign(cert) {
  const key = new Ed25519KeyPair({
    id: KEY_ID, controller: ISSUER, publicKeyBase58,
    privateKeyBase58: b58encode(Buffer.concat([seed, pub])), // NaCl secret key: seed || public
  });
  const signed = await jsigs.sign(structuredClone(cert), {
    suite: new jsigs.suites.Ed25519Signature2018({ key, verificationMethod: KEY_ID, date: new Date('2026-06-01T10:00:00Z') }),
    purpose: new jsigs.purposes.AssertionProofPurpose(),
    documentLoader,
    compactProof: false,
  });
  return signed;
}

const v1 = await sign(credential({ version: 1, certificateId: '81234567890', name: 'Sunita Devi', dose: 1, totalDoses: 2, refId: '12345678901234' }));
const v2 = await sign(credential({ version: 2, certificateId: '81234567891', name: 'Test Beneficiary', dose: 2, totalDoses: 2, refId: '12345678901235' }));
const revoked = await sign(credential({ version: 1, certificateId: '81234567892', name: 'Revoked Person', dose: 1, totalDoses: 2, refId: '12345678901236' }));
const swap = structuredClone(v1);
[swap.evidence[0].dose, swap.evidence[0].totalDoses] = [swap.evidence[0].totalDoses, swap.evidence[0].dose];

const write = (f, v) => writeFileSync(path.join(dir, f), typeof v === 'string' ? v : `${JSON.stringify(v)}\n`);
write('v1.json', JSON.stringify(v1));
write('v2.json', JSON.stringify(v2));
write('revoked.json', JSON.stringify(revoked));
write('tampered-swap.json', JSON.stringify(swap));
write('trust.json', trust);
write('keys/dev.json', { kid: KID, id: KEY_ID, publicKeyBase58, privateKeyBase58: b58encode(seed) });
const zip = zipOne('certificate.json', JSON.stringify(v1));
await QRCode.toFile(path.join(dir, 'v1-qr.png'), [{ data: zip, mode: 'byte' }], { errorCorrectionLevel: 'M', scale: 4, margin: 4 });
console.log(`wrote ${dir}: v1.json v2.json revoked.json tampered-swap.json v1-qr.png (ZIP ${zip.length} B) trust.json keys/dev.json`);
