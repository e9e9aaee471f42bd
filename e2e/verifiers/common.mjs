// Helpers shared by the dev tools (dev-server.mjs, dev-samples.mjs) and the browser test:
// base58/base64url, a one-entry ZIP writer, Ed25519 keys in the formats a sample DIR may hold,
// Tika's swap binding and the signed revocation list.

import { createPrivateKey, createPublicKey, createHash, sign as cryptoSign } from 'node:crypto';
import { readFileSync, readdirSync, existsSync, statSync } from 'node:fs';
import { deflateRawSync } from 'node:zlib';
import path from 'node:path';

export const readJson = (f) => JSON.parse(readFileSync(f, 'utf8'));

const B58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
export function b58encode(bytes) {
  const digits = [0];
  for (const b of bytes) {
    let carry = b;
    for (let i = 0; i < digits.length; i++) {
      carry += digits[i] << 8;
      digits[i] = carry % 58;
      carry = (carry / 58) | 0;
    }
    while (carry > 0) { digits.push(carry % 58); carry = (carry / 58) | 0; }
  }
  let out = '';
  for (let i = 0; i < bytes.length && bytes[i] === 0; i++) out += '1';
  for (let i = digits.length - 1; i >= 0; i--) out += B58[digits[i]];
  return out;
}
export function b58decode(s) {
  const bytes = [0];
  for (const ch of s) {
    let carry = B58.indexOf(ch);
    if (carry < 0) throw new Error('not base58');
    for (let i = 0; i < bytes.length; i++) {
      carry += bytes[i] * 58;
      bytes[i] = carry & 0xff;
      carry >>= 8;
    }
    while (carry > 0) { bytes.push(carry & 0xff); carry >>= 8; }
  }
  for (let i = 0; i < s.length && s[i] === '1'; i++) bytes.push(0);
  return Buffer.from(bytes.reverse());
}
export const b64url = (buf) => Buffer.from(buf).toString('base64url');

// ---------------------------------------------------------------------------------------------
// Ed25519 keys

const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export function ed25519FromSeed(seed) {
  if (seed.length !== 32) throw new Error(`Ed25519 seed must be 32 bytes, got ${seed.length}`);
  return createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
}
export function rawPublicKey(privateOrPublic) {
  const pub = privateOrPublic.type === 'private' ? createPublicKey(privateOrPublic) : privateOrPublic;
  return pub.export({ format: 'der', type: 'spki' }).subarray(SPKI_ED25519_PREFIX.length);
}
export function rawSeed(privateKey) {
  return privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(PKCS8_ED25519_PREFIX.length);
}

/**
 * A PKCS#8 PEM private key.  OpenSSL 3.0 (Node 20) refuses PKCS#8 v2 ("OneAsymmetricKey" with the
 * public key attached, as the credentials crate writes), so for Ed25519 the seed is read from the
 * DER directly: the OCTET STRING `04 22 04 20 <32 bytes>`.
 */
function pemPrivateKey(pem) {
  try {
    return createPrivateKey(pem);
  } catch (e) {
    const der = Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
    const oid = Buffer.from('06032b6570', 'hex'); // 1.3.101.112 Ed25519
    const at = der.indexOf(Buffer.from('04220420', 'hex'));
    if (der.indexOf(oid) < 0 || at < 0 || at + 36 > der.length) throw e;
    return ed25519FromSeed(der.subarray(at + 4, at + 36));
  }
}

/** Decodes a secret written as base58, base64(url) or hex; 64-byte NaCl keys give their seed. */
function decodeSecret(v) {
  const tries = [];
  if (/^[0-9a-fA-F]+$/.test(v) && (v.length === 64 || v.length === 128)) tries.push(Buffer.from(v, 'hex'));
  if (/^[1-9A-HJ-NP-Za-km-z]+$/.test(v)) tries.push(b58decode(v));
  if (/^[A-Za-z0-9+/_-]+=*$/.test(v)) tries.push(Buffer.from(v, 'base64url'));
  for (const b of tries) if (b.length === 32 || b.length === 64) return b.subarray(0, 32);
  throw new Error('unrecognised secret key encoding');
}

/**
 * The Ed25519 private keys in DIR/keys: PKCS#8 PEM files, or JSON files with one of
 * privateKeyPem / privateKeyBase58 / privateKeyMultibase / seed / secretKey / privateKey / d (JWK).
 * Returns [{file, key (KeyObject), publicKeyBase58, kid, id}] (kid/id when the file names them).
 */
export function loadPrivateKeys(dir) {
  const kdir = path.join(dir, 'keys');
  if (!existsSync(kdir) || !statSync(kdir).isDirectory()) return [];
  const out = [];
  for (const f of readdirSync(kdir).sort()) {
    const file = path.join(kdir, f);
    if (!statSync(file).isFile()) continue;
    const text = readFileSync(file, 'utf8');
    let key = null;
    let meta = {};
    try {
      if (text.trim().startsWith('{')) {
        meta = JSON.parse(text);
        const src = meta.privateKeyJwk || meta;
        if (src.privateKeyPem) key = pemPrivateKey(src.privateKeyPem);
        else if (src.kty === 'OKP' && src.d) key = ed25519FromSeed(Buffer.from(src.d, 'base64url'));
        else {
          const v = src.privateKeyBase58 || src.privateKeyMultibase?.replace(/^z/, '') || src.seed || src.secretKey || src.privateKey || src.secret;
          if (typeof v === 'string') {
            let b = src.privateKeyMultibase && !src.privateKeyBase58 ? b58decode(v) : null;
            if (b && b.length === 34) b = b.subarray(2); // multicodec 0x8026 ed25519-priv
            key = ed25519FromSeed(b ? b.subarray(0, 32) : decodeSecret(v));
          }
        }
      } else if (text.includes('-----BEGIN') && text.includes('PRIVATE KEY')) {
        key = pemPrivateKey(text);
      } else if (/^[0-9a-fA-F]{64}\s*$/.test(text) || /^[A-Za-z0-9+/_=-]{43,88}\s*$/.test(text) || /^[1-9A-HJ-NP-Za-km-z]{43,88}\s*$/.test(text)) {
        key = ed25519FromSeed(decodeSecret(text.trim()));
      }
    } catch (e) {
      key = null;
    }
    if (!key || key.asymmetricKeyType !== 'ed25519') continue;
    out.push({ file: f, key, publicKeyBase58: b58encode(rawPublicKey(key)), kid: meta.kid, id: meta.id });
  }
  return out;
}

/** The private key matching a trusted key of trust.json, with that trusted key. */
export function signingKey(dir, trust) {
  const keys = loadPrivateKeys(dir);
  for (const k of keys) {
    const t = trust.keys.find((x) => x.publicKeyBase58 === k.publicKeyBase58);
    if (t) return { ...k, trusted: t };
  }
  throw new Error(`no private key in ${dir}/keys matches a key of trust.json (found ${keys.length} Ed25519 key file(s))`);
}

// ---------------------------------------------------------------------------------------------
// Revocation list: a compact JWS {"alg":"EdDSA","kid":…} over the list.

export function signRevocationList({ privateKey, kid, issuer, version = 1, issued = new Date(), revoked = [] }) {
  const header = b64url(JSON.stringify({ alg: 'EdDSA', kid }));
  const payload = b64url(JSON.stringify({
    type: 'TikaRevocationList', issuer, version, issued: issued.toISOString().replace(/\.\d{3}Z$/, 'Z'), revoked,
  }));
  const sig = cryptoSign(null, Buffer.from(`${header}.${payload}`), privateKey);
  return `${header}.${payload}.${b64url(sig)}`;
}

export function decodeJwsPayload(jws) {
  return JSON.parse(Buffer.from(jws.split('.')[1], 'base64url').toString('utf8'));
}

// ---------------------------------------------------------------------------------------------
// Tika's swap binding (crates/credentials/src/divoc.rs, "tika-binding-v1").

export function bindingTag(cert) {
  const e = cert.evidence[0];
  const s = cert.credentialSubject;
  const canonical = JSON.stringify(['tika-binding-v1', e.certificateId, e.batch, e.vaccine, e.manufacturer,
    e.date, e.effectiveStart, e.effectiveUntil, e.dose, e.totalDoses, s.refId, s.uhid]);
  return createHash('sha256').update(canonical).digest('base64url').slice(0, 22);
}

// ---------------------------------------------------------------------------------------------
// ZIP with one DEFLATE entry (as JSZip / Go archive/zip write it).

function crc32(buf) {
  let c = 0xffffffff;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  }
  return (c ^ 0xffffffff) >>> 0;
}
export function zipOne(name, content) {
  const data = Buffer.from(content);
  const comp = deflateRawSync(data, { level: 9 });
  const nameBuf = Buffer.from(name);
  const crc = crc32(data);
  const local = Buffer.alloc(30);
  local.writeUInt32LE(0x04034b50, 0); local.writeUInt16LE(20, 4); local.writeUInt16LE(0, 6);
  local.writeUInt16LE(8, 8); local.writeUInt16LE(0, 10); local.writeUInt16LE(0x21, 12);
  local.writeUInt32LE(crc, 14); local.writeUInt32LE(comp.length, 18); local.writeUInt32LE(data.length, 22);
  local.writeUInt16LE(nameBuf.length, 26); local.writeUInt16LE(0, 28);
  const central = Buffer.alloc(46);
  central.writeUInt32LE(0x02014b50, 0); central.writeUInt16LE(20, 4); central.writeUInt16LE(20, 6);
  central.writeUInt16LE(0, 8); central.writeUInt16LE(8, 10); central.writeUInt16LE(0, 12); central.writeUInt16LE(0x21, 14);
  central.writeUInt32LE(crc, 16); central.writeUInt32LE(comp.length, 20); central.writeUInt32LE(data.length, 24);
  central.writeUInt16LE(nameBuf.length, 28);
  const cdOffset = local.length + nameBuf.length + comp.length;
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0); eocd.writeUInt16LE(1, 8); eocd.writeUInt16LE(1, 10);
  eocd.writeUInt32LE(central.length + nameBuf.length, 12); eocd.writeUInt32LE(cdOffset, 16);
  return Buffer.concat([local, nameBuf, comp, central, nameBuf, eocd]);
}
