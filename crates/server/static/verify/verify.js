// Tika offline verifier for DIVOC/CoWIN vaccination certificates (W3C Verifiable Credentials,
// Ed25519Signature2018 or RsaSignature2018 over URDNA2015, detached JWS).  No build step, no
// dependencies besides the vendored jsQR (QR decoding) and jsonld.js (canonicalization), no
// network requests besides this page's own files (which the service worker keeps for offline use).
//
// QR / image / pasted text -> bytes -> ZIP (certificate.json) or bare JSON -> credential ->
// strict URDNA2015 of the proof options (security/v2) and of the document -> data =
// SHA-256(c14n opts) || SHA-256(c14n doc) -> signing input = JWS header segment as received + "."
// + data -> WebCrypto Ed25519 / RSA-PSS (salt 32, SHA-256) with the trusted keys the server put
// in the page -> revocation list (signed, kept on this device) -> Tika's swap binding in infoUrl.
(function () {
  'use strict';

  const $ = (id) => document.getElementById(id);
  const scriptUrl = document.currentScript ? document.currentScript.src : location.href;
  const BASE = new URL('.', scriptUrl).href; // .../verify/

  // ---------------------------------------------------------------------------------------------
  // i18n

  const S = { lang: 'en', result: null, trust: null, revocations: null, revocationNote: null };
  const dict = () => window.TIKA_VERIFY_I18N;
  function t(key, vars) {
    let s = (dict()[S.lang] && dict()[S.lang][key]) || dict().en[key] || key;
    if (vars) s = s.replace(/\{(\w+)\}/g, (m, k) => (vars[k] === undefined || vars[k] === null ? m : String(vars[k])));
    return s;
  }
  function setLang(lang) {
    S.lang = lang === 'hi' ? 'hi' : 'en';
    try { localStorage.setItem('tika_verify_lang', S.lang); } catch (e) { /* private mode */ }
    document.documentElement.lang = S.lang;
    for (const el of document.querySelectorAll('[data-t]')) el.textContent = t(el.dataset.t);
    $('lang-toggle').textContent = t('other_language');
    $('lang-toggle').lang = S.lang === 'hi' ? 'en' : 'hi';
    document.title = t('title');
    renderFooter();
    if (S.result) renderResult(S.result);
  }

  // ---------------------------------------------------------------------------------------------
  // Errors: a code (an i18n key without `err_`) and the values its message needs.

  class VerifyError extends Error {
    constructor(code, vars) {
      super(code + (vars ? ' ' + JSON.stringify(vars) : ''));
      this.code = code;
      this.vars = vars || {};
    }
  }
  const fail = (code, vars) => { throw new VerifyError(code, vars); };

  // ---------------------------------------------------------------------------------------------
  // Bytes and encodings

  const utf8 = new TextEncoder();
  function concat(...parts) {
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const p of parts) { out.set(p, o); o += p.length; }
    return out;
  }
  function b64urlDecode(s) {
    if (typeof s !== 'string' || !/^[A-Za-z0-9_-]*$/.test(s)) throw new Error('not base64url');
    const b = atob(s.replace(/-/g, '+').replace(/_/g, '/') + '==='.slice((s.length + 3) % 4));
    return Uint8Array.from(b, (c) => c.charCodeAt(0));
  }
  function b64urlEncode(bytes) {
    let s = '';
    for (const b of bytes) s += String.fromCharCode(b);
    return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
  }
  const B58 = '123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz';
  function b58Decode(s) {
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
    return Uint8Array.from(bytes.reverse());
  }
  function pemToDer(pem) {
    const body = pem.replace(/-----(BEGIN|END)[^-]*-----/g, '').replace(/\s+/g, '');
    return Uint8Array.from(atob(body), (c) => c.charCodeAt(0));
  }
  /** Each code point of `s` as one byte, or null if one is above U+00FF. */
  function binaryString(s) {
    const out = new Uint8Array(s.length);
    for (let i = 0; i < s.length; i++) {
      const c = s.charCodeAt(i);
      if (c > 0xff) return null;
      out[i] = c;
    }
    return out;
  }
  let CRC_TABLE = null;
  function crc32(bytes) {
    if (!CRC_TABLE) {
      CRC_TABLE = new Uint32Array(256);
      for (let n = 0; n < 256; n++) {
        let c = n;
        for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
        CRC_TABLE[n] = c >>> 0;
      }
    }
    let c = 0xffffffff;
    for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
    return (c ^ 0xffffffff) >>> 0;
  }
  async function sha256(bytes) {
    return new Uint8Array(await crypto.subtle.digest('SHA-256', bytes));
  }

  // ---------------------------------------------------------------------------------------------
  // ZIP (one entry, `certificate.json`): stored or DEFLATE, with or without a data descriptor.

  async function inflateRaw(bytes) {
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream('deflate-raw'));
    try {
      return new Uint8Array(await new Response(stream).arrayBuffer());
    } catch (e) {
      throw new Error('corrupt compressed data');
    }
  }

  function zipEntries(z) {
    const dv = new DataView(z.buffer, z.byteOffset, z.byteLength);
    const u16 = (o) => dv.getUint16(o, true);
    const u32 = (o) => dv.getUint32(o, true);
    const name = (o, n) => new TextDecoder().decode(z.subarray(o, o + n));
    const entries = [];
    // The central directory has the sizes even when the local header defers them to a data
    // descriptor (Go's archive/zip).
    let eocd = -1;
    for (let i = z.length - 22; i >= Math.max(0, z.length - 22 - 0xffff); i--) {
      if (u32(i) === 0x06054b50) { eocd = i; break; }
    }
    if (eocd >= 0) {
      const count = u16(eocd + 10);
      let o = u32(eocd + 16);
      for (let k = 0; k < count; k++) {
        if (o + 46 > z.length || u32(o) !== 0x02014b50) throw new Error('bad central directory');
        const nameLen = u16(o + 28);
        const local = u32(o + 42);
        if (local + 30 > z.length || u32(local) !== 0x04034b50) throw new Error('bad local header');
        entries.push({
          name: name(o + 46, nameLen), method: u16(o + 10), crc: u32(o + 16), size: u32(o + 20),
          usize: u32(o + 24), data: local + 30 + u16(local + 26) + u16(local + 28),
        });
        o += 46 + nameLen + u16(o + 30) + u16(o + 32);
      }
      return entries;
    }
    // No central directory (a truncated payload): the local headers alone.
    let o = 0;
    while (o + 30 <= z.length && u32(o) === 0x04034b50) {
      const flags = u16(o + 6);
      const e = {
        name: name(o + 30, u16(o + 26)), method: u16(o + 8), crc: u32(o + 14), size: u32(o + 18),
        usize: u32(o + 22), data: o + 30 + u16(o + 26) + u16(o + 28),
      };
      if (flags & 8) throw new Error('sizes in a data descriptor and no central directory');
      entries.push(e);
      o = e.data + e.size;
    }
    return entries;
  }

  async function unzipCertificate(z) {
    const entries = zipEntries(z);
    const e = entries.find((x) => x.name === 'certificate.json') || entries[0];
    if (!e) throw new Error('no entry');
    if (e.data + e.size > z.length) throw new Error('truncated');
    const raw = z.subarray(e.data, e.data + e.size);
    let out;
    if (e.method === 0) out = raw;
    else if (e.method === 8) out = await inflateRaw(raw);
    else throw new Error(`compression method ${e.method}`);
    if (out.length !== e.usize || crc32(out) !== e.crc) throw new Error('checksum mismatch');
    return out;
  }

  const isZip = (b) => b.length >= 4 && b[0] === 0x50 && b[1] === 0x4b && b[2] === 0x03 && b[3] === 0x04;

  /** Raw ZIP bytes, UTF-8-mangled ZIP bytes (each code point a byte), or bare JSON -> JSON text. */
  async function payloadToJson(bytes) {
    if (isZip(bytes)) {
      let firstError;
      try {
        return new TextDecoder('utf-8', { fatal: true }).decode(await unzipCertificate(bytes));
      } catch (e) {
        firstError = e;
      }
      // A binary string that went through UTF-8 (node-qrcode, zbar's Latin-1 -> UTF-8).
      let text = null;
      try { text = new TextDecoder('utf-8', { fatal: true }).decode(bytes); } catch (e) { /* not UTF-8 */ }
      const unmangled = text === null ? null : binaryString(text);
      if (unmangled && unmangled.length !== bytes.length) {
        try {
          return new TextDecoder('utf-8', { fatal: true }).decode(await unzipCertificate(unmangled));
        } catch (e) { /* report the first error */ }
      }
      fail('bad_zip', { detail: firstError && firstError.message });
    }
    let text;
    try {
      text = new TextDecoder('utf-8', { fatal: true }).decode(bytes).replace(/^\uFEFF/, '');
    } catch (e) {
      fail('not_certificate', { detail: 'binary data' });
    }
    return text;
  }

  function parseCertificate(text) {
    const trimmed = text.trim();
    if (!trimmed.startsWith('{')) fail('not_certificate', { detail: trimmed.slice(0, 40) || 'empty' });
    let cert;
    try { cert = JSON.parse(trimmed); } catch (e) { fail('bad_json', { detail: e.message }); }
    if (!cert || typeof cert !== 'object' || Array.isArray(cert)) fail('bad_json', { detail: 'not an object' });
    if (!cert.proof || typeof cert.proof !== 'object' || Array.isArray(cert.proof)) fail('not_certificate', { detail: 'no proof' });
    if (!cert.credentialSubject || !Array.isArray(cert.evidence)) fail('not_certificate', { detail: 'no credentialSubject/evidence' });
    return cert;
  }

  // ---------------------------------------------------------------------------------------------
  // JSON-LD: known contexts only, served from this page's own folder (cached for offline use).

  const CONTEXT_FILES = {
    'https://www.w3.org/2018/credentials/v1': 'credentials-v1.json',
    'https://w3id.org/security/v1': 'security-v1.json',
    'https://w3id.org/security/v2': 'security-v2.json',
    'https://cowin.gov.in/credentials/vaccination/v1': 'vaccination-v1.json',
    'https://cowin.gov.in/credentials/vaccination/v2': 'vaccination-v2.json',
    'https://divoc.dev/credentials/vaccination/v1': 'vaccination-v1.json',
  };
  const CREDENTIALS_V1 = 'https://www.w3.org/2018/credentials/v1';
  const SECURITY_V2 = 'https://w3id.org/security/v2';
  const contextCache = new Map();
  function loadContext(url) {
    const file = CONTEXT_FILES[url];
    if (!file) return Promise.reject(new VerifyError('unknown_context', { url }));
    if (!contextCache.has(file)) {
      const p = fetch(new URL('contexts/' + file, BASE).href).then((r) => {
        if (!r.ok) throw new Error(`${file}: HTTP ${r.status}`);
        return r.json();
      });
      p.catch(() => contextCache.delete(file));
      contextCache.set(file, p);
    }
    return contextCache.get(file);
  }
  async function documentLoader(url) {
    const document = structuredClone(await loadContext(url));
    return { contextUrl: null, documentUrl: url, document };
  }

  /** The context must be a list of known URLs (no inline definitions), and nowhere else. */
  function checkContexts(cert) {
    const ctx = cert['@context'];
    if (!Array.isArray(ctx) || ctx[0] !== CREDENTIALS_V1) fail('unknown_context', { url: JSON.stringify(ctx).slice(0, 80) });
    for (const c of ctx) {
      if (typeof c !== 'string') fail('nested_context');
      if (!CONTEXT_FILES[c] || c === SECURITY_V2 || c === 'https://w3id.org/security/v1') fail('unknown_context', { url: c });
    }
    const walk = (v, top) => {
      if (Array.isArray(v)) { v.forEach((x) => walk(x, false)); return; }
      if (v && typeof v === 'object') {
        for (const [k, x] of Object.entries(v)) {
          if (k === '@context' && !top) fail('nested_context');
          if (k !== '@context') walk(x, false);
        }
      }
    };
    walk(cert, true);
  }

  /** URDNA2015 N-Quads in safe mode: a term the contexts do not define is an error, not dropped. */
  async function canonize(doc) {
    try {
      return await window.jsonld.canonize(doc, {
        algorithm: 'URDNA2015', format: 'application/n-quads', safe: true, base: null, documentLoader,
      });
    } catch (e) {
      if (e instanceof VerifyError) throw e;
      let cause = e;
      while (cause && !(cause instanceof VerifyError) && cause.details && cause.details.cause) cause = cause.details.cause;
      if (cause instanceof VerifyError) throw cause;
      const ev = e && e.details && e.details.event;
      if (ev && ev.details) {
        const term = ev.details.property || ev.details.type || ev.details.term || ev.details.iri || ev.details.value;
        if (ev.code === 'invalid property' || ev.code === 'relative @type reference' || term) fail('undefined_term', { term: String(term) });
      }
      if (e && e.details && e.details.url) fail('unknown_context', { url: e.details.url });
      fail('invalid_jsonld', { detail: (e && e.message) || String(e) });
    }
    return '';
  }

  // ---------------------------------------------------------------------------------------------
  // Keys

  const SUITES = {
    Ed25519Signature2018: { alg: 'EdDSA', keyType: 'Ed25519VerificationKey2018' },
    RsaSignature2018: { alg: 'PS256', keyType: 'RsaVerificationKey2018' },
  };
  const keyCache = new Map();
  function importKey(key) {
    if (!keyCache.has(key.id)) {
      let p;
      if (key.type === 'Ed25519VerificationKey2018' && key.publicKeyBase58) {
        p = crypto.subtle.importKey('raw', b58Decode(key.publicKeyBase58), { name: 'Ed25519' }, false, ['verify']);
      } else if (key.type === 'RsaVerificationKey2018' && key.publicKeyPem) {
        p = crypto.subtle.importKey('spki', pemToDer(key.publicKeyPem), { name: 'RSA-PSS', hash: 'SHA-256' }, false, ['verify']);
      } else {
        p = Promise.reject(new Error(`key ${key.id}: unsupported type ${key.type}`));
      }
      p.catch(() => keyCache.delete(key.id));
      keyCache.set(key.id, p);
    }
    return keyCache.get(key.id);
  }
  async function verifyRaw(key, alg, signature, data) {
    let ck;
    try {
      ck = await importKey(key);
    } catch (e) {
      fail('no_crypto', { detail: e.message || String(e) });
    }
    if (alg === 'EdDSA') return crypto.subtle.verify({ name: 'Ed25519' }, ck, signature, data);
    if (alg === 'PS256') return crypto.subtle.verify({ name: 'RSA-PSS', saltLength: 32 }, ck, signature, data);
    return false;
  }
  const usableKeys = () => (S.trust && S.trust.keys ? S.trust.keys : []);
  const isWithdrawn = (k) => /^(revoked|compromised|withdrawn)$/i.test(k.status || '');

  // ---------------------------------------------------------------------------------------------
  // The credential's signature

  async function verifySignature(cert) {
    const proof = cert.proof;
    const suite = SUITES[proof.type];
    if (!suite) fail('unsupported_proof', { type: String(proof.type) });
    if (proof.proofPurpose !== 'assertionMethod') fail('bad_header', { detail: `proofPurpose ${proof.proofPurpose}` });
    const vm = typeof proof.verificationMethod === 'object' && proof.verificationMethod ? proof.verificationMethod.id : proof.verificationMethod;
    const key = usableKeys().find((k) => k.id === vm);
    if (!key) fail('unknown_key', { key: String(vm) });
    if (isWithdrawn(key)) fail('key_revoked', { key: key.id });
    if (key.type !== suite.keyType) fail('key_mismatch', { key: key.id });
    if (key.controller && cert.issuer !== key.controller) fail('issuer_mismatch', { issuer: String(cert.issuer) });

    const jws = proof.jws;
    if (typeof jws !== 'string') fail('bad_header', { detail: 'no jws' });
    const parts = jws.split('.');
    if (parts.length !== 3 || parts[1] !== '') fail('bad_header', { detail: 'not a detached JWS' });
    let header;
    let signature;
    try {
      header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(b64urlDecode(parts[0])));
      signature = b64urlDecode(parts[2]);
    } catch (e) {
      fail('bad_header', { detail: e.message });
    }
    if (!header || header.alg !== suite.alg || header.b64 !== false || !Array.isArray(header.crit)
      || header.crit.length !== 1 || header.crit[0] !== 'b64' || Object.keys(header).length !== 3) {
      fail('bad_header', { detail: `header ${JSON.stringify(header)} for ${proof.type}` });
    }

    // Proof options: the proof without its signature, under security/v2 (as jsonld-signatures).
    const opts = { ...proof };
    delete opts.jws;
    delete opts.signatureValue;
    delete opts.proofValue;
    opts['@context'] = SECURITY_V2;
    const doc = { ...cert };
    delete doc.proof;
    const [c14nOpts, c14nDoc] = [await canonize(opts), await canonize(doc)];
    const data = concat(await sha256(utf8.encode(c14nOpts)), await sha256(utf8.encode(c14nDoc)));
    const input = concat(utf8.encode(parts[0] + '.'), data); // the header segment as received
    if (!(await verifyRaw(key, suite.alg, signature, input))) fail('bad_signature');
    return key;
  }

  // ---------------------------------------------------------------------------------------------
  // Tika's swap binding (crates/credentials/src/divoc.rs, "tika-binding-v1"): `&b=<tag>` at the
  // end of infoUrl (or feedbackUrl: both are schema:url), tag = base64url(SHA-256(compact JSON
  // ["tika-binding-v1", certificateId, batch, vaccine, manufacturer, date, effectiveStart,
  // effectiveUntil, dose, totalDoses, refId, uhid]))[..22].  Values that share an RDF predicate
  // can be swapped without breaking the signature; the tag pins their order.

  const ID_NAMES = ['certificateId', 'batch', 'vaccine', 'manufacturer'];
  const DATE_NAMES = ['date', 'effectiveStart', 'effectiveUntil'];
  const DOSE_NAMES = ['dose', 'totalDoses'];
  const PERSON_NAMES = ['refId', 'uhid'];

  function permutations(n) {
    const out = [];
    const rec = (cur) => {
      if (cur.length === n) { out.push(cur.slice()); return; }
      for (let i = 0; i < n; i++) if (!cur.includes(i)) { cur.push(i); rec(cur); cur.pop(); }
    };
    rec([]);
    return out;
  }
  async function bindingTag(f) {
    const canonical = JSON.stringify(['tika-binding-v1', ...f.ids, ...f.dates, ...f.doses, ...f.person]);
    return b64urlEncode(await sha256(utf8.encode(canonical))).slice(0, 22);
  }
  /** null: no binding (a foreign certificate); [] intact; [names…] the swapped fields. */
  async function checkBinding(cert) {
    const e = cert.evidence && cert.evidence[0];
    const s = cert.credentialSubject;
    if (!e || !s) return null;
    let tag = null;
    for (const u of [e.infoUrl, e.feedbackUrl]) {
      if (typeof u === 'string' && u.lastIndexOf('&b=') >= 0) { tag = u.slice(u.lastIndexOf('&b=') + 3); break; }
    }
    if (tag === null) return null;
    const ids = ID_NAMES.map((k) => e[k]);
    const dates = DATE_NAMES.map((k) => e[k]);
    const doses = DOSE_NAMES.map((k) => e[k]);
    const person = PERSON_NAMES.map((k) => s[k]);
    if (![...ids, ...dates, ...person].every((v) => typeof v === 'string')
      || !doses.every((v) => Number.isInteger(v) && v >= 0)) {
      return [...ID_NAMES, ...DATE_NAMES, ...DOSE_NAMES, ...PERSON_NAMES];
    }
    const now = { ids, dates, doses, person };
    if ((await bindingTag(now)) === tag) return [];
    const p4 = permutations(4); const p3 = permutations(3); const p2 = permutations(2);
    for (const pi of p4) for (const pd of p3) for (const px of p2) for (const pp of p2) {
      const cand = { ids: pi.map((i) => ids[i]), dates: pd.map((i) => dates[i]), doses: px.map((i) => doses[i]), person: pp.map((i) => person[i]) };
      if ((await bindingTag(cand)) === tag) {
        const names = [];
        const diff = (a, b, n) => a.forEach((x, i) => { if (x !== b[i]) names.push(n[i]); });
        diff(now.ids, cand.ids, ID_NAMES); diff(now.dates, cand.dates, DATE_NAMES);
        diff(now.doses, cand.doses, DOSE_NAMES); diff(now.person, cand.person, PERSON_NAMES);
        return names;
      }
    }
    return [...ID_NAMES, ...DATE_NAMES, ...DOSE_NAMES, ...PERSON_NAMES];
  }

  // ---------------------------------------------------------------------------------------------
  // Revocation list: a compact JWS (header {alg, kid}) over {"type":"TikaRevocationList", issuer,
  // version, issued, revoked: [{certificateId, revokedAt, reason}]}, signed with a trusted key.
  // The newest list accepted is kept on this device; an older one is refused.

  const REVOCATIONS_KEY = 'tika_verify_revocations';
  async function verifyRevocationJws(jws) {
    if (typeof jws !== 'string') throw new Error('not a JWS');
    const parts = jws.trim().split('.');
    if (parts.length !== 3 || !parts[1]) throw new Error('not a compact JWS');
    const header = JSON.parse(new TextDecoder().decode(b64urlDecode(parts[0])));
    if (header.b64 === false || header.crit) throw new Error('unsupported JWS header');
    const keys = usableKeys().filter((k) => !isWithdrawn(k) && (header.kid === k.id || (k.kid && header.kid === k.kid)));
    if (!keys.length) throw new Error(`unknown key ${header.kid}`);
    const key = keys[0];
    const want = key.type === 'Ed25519VerificationKey2018' ? 'EdDSA' : 'PS256';
    if (header.alg !== want) throw new Error(`alg ${header.alg}`);
    const ok = await verifyRaw(key, want, b64urlDecode(parts[2]), utf8.encode(parts[0] + '.' + parts[1]));
    if (!ok) throw new Error('bad signature');
    const list = JSON.parse(new TextDecoder().decode(b64urlDecode(parts[1])));
    if (!list || list.type !== 'TikaRevocationList' || !Array.isArray(list.revoked) || !Number.isInteger(list.version)) {
      throw new Error('not a TikaRevocationList');
    }
    if (S.trust.issuer && list.issuer && list.issuer !== S.trust.issuer) throw new Error(`issuer ${list.issuer}`);
    return list;
  }

  async function loadRevocations(embedded) {
    let stored = null;
    try {
      const jws = localStorage.getItem(REVOCATIONS_KEY);
      if (jws) stored = { jws, list: await verifyRevocationJws(jws) };
    } catch (e) { stored = null; }
    let fresh = null;
    S.revocationNote = null;
    if (embedded) {
      try {
        fresh = { jws: embedded, list: await verifyRevocationJws(embedded) };
      } catch (e) {
        S.revocationNote = ['revocations_bad', { detail: e.message }];
      }
    }
    let use = fresh || stored;
    if (fresh && stored && stored.list.version > fresh.list.version) {
      use = stored;
      S.revocationNote = ['revocations_kept', { got: fresh.list.version, version: stored.list.version }];
    }
    if (use && use !== stored) {
      try { localStorage.setItem(REVOCATIONS_KEY, use.jws); } catch (e) { /* storage full or private */ }
    }
    S.revocations = use ? use.list : null;
  }

  function revocationOf(cert) {
    if (!S.revocations) return null;
    const ids = new Set((cert.evidence || []).map((e) => e && e.certificateId).filter(Boolean).map(String));
    return S.revocations.revoked.find((r) => ids.has(String(r.certificateId))) || null;
  }

  // ---------------------------------------------------------------------------------------------
  // The whole check

  async function verifyCertificateText(text) {
    const cert = parseCertificate(text);
    if (!S.trust || !usableKeys().length) fail('no_trust');
    if (!window.crypto || !crypto.subtle) fail('no_crypto', { detail: 'no WebCrypto: the page must be served over HTTPS' });
    checkContexts(cert);
    const key = await verifySignature(cert);
    const swapped = await checkBinding(cert);
    if (swapped && swapped.length) fail('swapped', { fields: swapped.join(' ↔ ') });
    const revoked = revocationOf(cert);
    return { status: revoked ? 'revoked' : 'valid', cert, key, revoked };
  }

  async function verifyBytes(bytes) {
    return verifyCertificateText(await payloadToJson(bytes));
  }

  /** Pasted text: JSON, or the QR's content as text (a binary string of the ZIP). */
  async function verifyPasted(text) {
    const trimmed = text.trim();
    if (!trimmed) fail('empty');
    if (trimmed.startsWith('{')) return verifyCertificateText(trimmed);
    // Base64 of the ZIP (what command-line QR readers can print without loss).
    if (/^[A-Za-z0-9+/_=\s-]+$/.test(trimmed) && trimmed.length > 40) {
      try {
        const bytes = b64urlDecode(trimmed.replace(/\s+/g, '').replace(/=+$/, '').replace(/\+/g, '-').replace(/\//g, '_'));
        if (isZip(bytes)) return verifyBytes(bytes);
      } catch (e) { /* not base64 */ }
    }
    // The QR text as a "binary string".  A textarea turns CR bytes into LF, so this only works
    // for payloads without 0x0D; the camera and image inputs keep every byte.
    const start = text.indexOf('PK');
    if (start >= 0 && !text.slice(0, start).trim()) {
      const zipText = text.slice(start);
      // A binary string (each character one byte), or ZIP bytes that were read as UTF-8.
      const bytes = binaryString(zipText);
      return verifyBytes(bytes && isZip(bytes) ? bytes : utf8.encode(zipText));
    }
    fail('not_certificate', { detail: trimmed.slice(0, 40) });
    return null;
  }

  async function run(task) {
    $('busy').hidden = false;
    let result;
    try {
      result = await task();
    } catch (e) {
      if (!(e instanceof VerifyError)) console.error(e);
      result = e instanceof VerifyError
        ? { status: 'invalid', code: e.code, vars: e.vars }
        : { status: 'invalid', code: 'internal', vars: { detail: (e && e.message) || String(e) } };
    }
    $('busy').hidden = true;
    S.result = result;
    S.seq = (S.seq || 0) + 1;
    $('result').dataset.seq = String(S.seq);
    renderResult(result);
    return result;
  }

  // ---------------------------------------------------------------------------------------------
  // Rendering

  function fmtDate(s, withTime) {
    if (typeof s !== 'string' || !s) return '';
    const d = new Date(/^\d{4}-\d{2}-\d{2}$/.test(s) ? s + 'T00:00:00Z' : s);
    if (isNaN(d)) return s;
    const opts = { day: 'numeric', month: 'short', year: 'numeric', timeZone: /^\d{4}-\d{2}-\d{2}$/.test(s) ? 'UTC' : 'Asia/Kolkata' };
    if (withTime) Object.assign(opts, { hour: '2-digit', minute: '2-digit' });
    try { return d.toLocaleString(S.lang === 'hi' ? 'hi-IN' : 'en-IN', opts); } catch (e) { return s; }
  }
  const ID_METHODS = {
    'in.gov.uidai.aadhaar': 'Aadhaar', aadhaar: 'Aadhaar', aadhaarcard: 'Aadhaar', passport: 'Passport',
    pan: 'PAN', pancard: 'PAN', 'voterid': 'Voter ID', drivinglicense: 'Driving Licence', drivinglicence: 'Driving Licence',
  };
  function fmtSubjectId(id) {
    if (typeof id !== 'string') return '';
    const m = /^did:([^:]+):(.*)$/.exec(id);
    if (!m) return id;
    const label = ID_METHODS[m[1].toLowerCase()];
    return label ? `${label} ${m[2]}` : `${m[1]} ${m[2]}`;
  }
  const join = (...xs) => xs.filter((x) => x !== undefined && x !== null && String(x).trim() !== '').join(', ');

  function fieldsOf(cert) {
    const s = cert.credentialSubject || {};
    const e = (cert.evidence && cert.evidence[0]) || {};
    const f = e.facility || {};
    const fa = f.address || {};
    const dose = e.dose;
    const total = e.totalDoses;
    let doseText = '';
    if (dose !== '' && dose !== undefined) {
      doseText = total !== '' && total !== undefined && Number(dose) > Number(total)
        ? t('dose_precaution', { n: dose })
        : total !== '' && total !== undefined ? t('dose_n_of_m', { n: dose, m: total }) : String(dose);
    }
    const gender = s.gender && dict().en['gender_' + s.gender] ? t('gender_' + s.gender) : s.gender;
    return [
      ['name', 'f_name', s.name],
      ['age', 'f_age', s.age],
      ['dob', 'f_dob', s.dob ? fmtDate(s.dob) : ''],
      ['gender', 'f_gender', gender],
      ['id', 'f_id', fmtSubjectId(s.id)],
      ['refId', 'f_ref', s.refId],
      ['nationality', 'f_nationality', s.nationality],
      ['vaccine', 'f_vaccine', join(e.vaccine, e.manufacturer)],
      ['dose', 'f_dose', doseText],
      ['date', 'f_date', fmtDate(e.date)],
      ['batch', 'f_batch', e.batch],
      ['facility', 'f_facility', join(f.name, fa.city || fa.district, fa.addressRegion)],
      ['vaccinator', 'f_vaccinator', e.verifier && e.verifier.name],
      ['certificateId', 'f_certificate', e.certificateId],
      ['issuer', 'f_issuer', cert.issuer],
    ].filter(([, , v]) => v !== undefined && v !== null && String(v) !== '');
  }

  function renderResult(r) {
    const box = $('result');
    box.hidden = false;
    box.dataset.status = r.status;
    box.dataset.reason = r.code || '';
    $('result-title').textContent = t('status_' + r.status);
    let reason;
    if (r.status === 'valid') reason = t('valid_reason', { issuer: (S.trust && S.trust.issuer) || r.cert.issuer });
    else if (r.status === 'revoked') {
      reason = t('revoked_reason', { date: fmtDate(r.revoked.revokedAt) || '?', reason: r.revoked.reason || t('revoked_no_reason') });
    } else reason = t('err_' + r.code, r.vars);
    $('result-reason').textContent = reason;
    const dl = $('fields');
    dl.textContent = '';
    if (r.cert) {
      for (const [name, label, value] of fieldsOf(r.cert)) {
        const dt = document.createElement('dt');
        dt.textContent = t(label);
        const dd = document.createElement('dd');
        dd.dataset.field = name;
        dd.dataset.testid = 'field-' + name;
        dd.textContent = String(value);
        dl.append(dt, dd);
      }
    }
  }

  function showResultTop() {
    const box = $('result');
    box.scrollIntoView({ block: 'start' });
    box.focus({ preventScroll: true });
  }

  function renderFooter() {
    const tr = $('trust-info');
    const rv = $('revocation-info');
    if (!tr) return;
    tr.textContent = S.trust && S.trust.keys && S.trust.keys.length
      ? t('trust_info', { issuer: S.trust.issuer || '?', n: S.trust.keys.length })
      : t('trust_none');
    const lines = [];
    if (S.revocations) {
      lines.push(t('revocations_info', { version: S.revocations.version, date: fmtDate(S.revocations.issued, true) || '?', n: S.revocations.revoked.length }));
      const days = Math.floor((Date.now() - Date.parse(S.revocations.issued)) / 86400000);
      if (days > 7) lines.push(t('revocations_old', { days }));
    } else {
      lines.push(t('revocations_none'));
    }
    if (S.revocationNote) lines.push(t(S.revocationNote[0], S.revocationNote[1]));
    rv.textContent = lines.join(' ');
    rv.classList.toggle('warn', !S.revocations || !!S.revocationNote);
    $('offline-info').textContent = navigator.onLine
      ? (navigator.serviceWorker && navigator.serviceWorker.controller ? t('offline_ready') : '')
      : t('offline_now');
  }

  // ---------------------------------------------------------------------------------------------
  // Inputs: camera, image file, pasted text

  /** QR bytes from an ImageData, trying the inverted image too; null if none. */
  function decodeImageData(img, attempts) {
    const code = window.jsQR(img.data, img.width, img.height, { inversionAttempts: attempts || 'attemptBoth' });
    return code ? Uint8Array.from(code.binaryData) : null;
  }

  async function decodeImageFile(file) {
    let source;
    let w;
    let h;
    try {
      source = await createImageBitmap(file);
      w = source.width; h = source.height;
    } catch (e) {
      // Older browsers: through a data: URL (Tika's CSP allows data: images, not blob:).
      try {
        const url = await new Promise((resolve, reject) => {
          const fr = new FileReader();
          fr.onload = () => resolve(fr.result);
          fr.onerror = () => reject(fr.error);
          fr.readAsDataURL(file);
        });
        source = await new Promise((resolve, reject) => {
          const im = new Image();
          im.onload = () => resolve(im);
          im.onerror = () => reject(new Error('not an image'));
          im.src = url;
        });
        w = source.naturalWidth; h = source.naturalHeight;
      } catch (e2) {
        fail('unreadable_qr');
      }
    }
    const canvas = $('scratch');
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    // Full size (capped for memory on cheap phones), then smaller: jsQR copes better with a
    // photo scaled down, and with a screenshot at its own size.
    const sizes = [Math.min(1, 1600 / Math.max(w, h)), 800 / Math.max(w, h), 500 / Math.max(w, h)].filter((s, i, a) => s <= 1 && a.indexOf(s) === i);
    for (const scale of sizes) {
      canvas.width = Math.max(1, Math.round(w * scale));
      canvas.height = Math.max(1, Math.round(h * scale));
      ctx.imageSmoothingEnabled = scale < 1;
      ctx.fillStyle = '#fff';
      ctx.fillRect(0, 0, canvas.width, canvas.height);
      ctx.drawImage(source, 0, 0, canvas.width, canvas.height);
      const bytes = decodeImageData(ctx.getImageData(0, 0, canvas.width, canvas.height));
      if (bytes) return bytes;
    }
    fail('unreadable_qr');
    return null;
  }

  const cam = { stream: null, timer: 0, busy: false };
  function stopCamera() {
    if (cam.timer) clearTimeout(cam.timer);
    cam.timer = 0;
    if (cam.stream) for (const tr of cam.stream.getTracks()) tr.stop();
    cam.stream = null;
    const video = $('camera');
    video.srcObject = null;
    $('camera-box').hidden = true;
    $('scan-stop').hidden = true;
    $('scan-start').hidden = false;
  }
  async function startCamera() {
    $('camera-error').hidden = true;
    if (!navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) {
      $('camera-error').textContent = t('camera_unavailable');
      $('camera-error').hidden = false;
      return;
    }
    try {
      cam.stream = await navigator.mediaDevices.getUserMedia({
        video: { facingMode: { ideal: 'environment' }, width: { ideal: 1280 }, height: { ideal: 720 } }, audio: false,
      });
    } catch (e) {
      $('camera-error').textContent = t('camera_denied', { detail: e.name || e.message });
      $('camera-error').hidden = false;
      return;
    }
    const video = $('camera');
    video.srcObject = cam.stream;
    $('camera-box').hidden = false;
    $('scan-start').hidden = true;
    $('scan-stop').hidden = false;
    await video.play().catch(() => {});
    const canvas = document.createElement('canvas');
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    const tick = () => {
      if (!cam.stream) return;
      if (video.readyState >= 2 && video.videoWidth) {
        // Scan a downscaled frame: fast enough on a cheap phone, sharp enough for a version 25 QR.
        const scale = Math.min(1, 960 / Math.max(video.videoWidth, video.videoHeight));
        canvas.width = Math.round(video.videoWidth * scale);
        canvas.height = Math.round(video.videoHeight * scale);
        ctx.drawImage(video, 0, 0, canvas.width, canvas.height);
        const bytes = decodeImageData(ctx.getImageData(0, 0, canvas.width, canvas.height), 'dontInvert');
        if (bytes) {
          stopCamera();
          run(() => verifyBytes(bytes)).then(showResultTop);
          return;
        }
      }
      cam.timer = setTimeout(tick, 200);
    };
    tick();
  }

  // ---------------------------------------------------------------------------------------------
  // Start

  function readEmbedded(id, placeholder) {
    const el = $(id);
    const text = el ? el.textContent.trim() : '';
    if (!text || text === placeholder) return undefined;
    return JSON.parse(text);
  }

  async function init() {
    const fromUrl = new URLSearchParams(location.search).get('lang');
    let saved = null;
    try { saved = localStorage.getItem('tika_verify_lang'); } catch (e) { /* private mode */ }
    setLang(fromUrl || saved || ((navigator.language || '').startsWith('hi') ? 'hi' : 'en'));

    try {
      const trust = readEmbedded('tika-trust', '__TIKA_' + 'TRUST__');
      if (!trust || !Array.isArray(trust.keys)) throw new Error('no keys');
      S.trust = trust;
    } catch (e) {
      S.trust = null;
      $('setup-error').textContent = t('err_no_trust');
      $('setup-error').hidden = false;
    }
    if (S.trust) {
      let embedded;
      try { embedded = readEmbedded('tika-revocations', '__TIKA_' + 'REVOCATIONS__'); } catch (e) { embedded = undefined; }
      await loadRevocations(typeof embedded === 'string' ? embedded : null).catch((e) => console.error(e));
    }
    // Warm the context cache so the first check works offline too.
    for (const url of Object.keys(CONTEXT_FILES)) loadContext(url).catch(() => {});
    renderFooter();

    $('lang-toggle').addEventListener('click', () => setLang(S.lang === 'hi' ? 'en' : 'hi'));
    $('scan-start').addEventListener('click', startCamera);
    $('scan-stop').addEventListener('click', stopCamera);
    $('file').addEventListener('change', async (ev) => {
      const file = ev.target.files && ev.target.files[0];
      if (!file) return;
      await run(async () => verifyBytes(await decodeImageFile(file)));
      ev.target.value = '';
      showResultTop();
    });
    $('paste-verify').addEventListener('click', async () => {
      await run(() => verifyPasted($('paste').value));
      showResultTop();
    });
    $('again').addEventListener('click', () => {
      $('result').hidden = true;
      S.result = null;
      $('paste').value = '';
      window.scrollTo(0, 0);
    });
    window.addEventListener('online', renderFooter);
    window.addEventListener('offline', renderFooter);
    document.addEventListener('visibilitychange', () => { if (document.hidden) stopCamera(); });

    if ('serviceWorker' in navigator) {
      navigator.serviceWorker.register(new URL('sw.js', BASE).href, { scope: new URL('.', BASE).pathname })
        .then(() => navigator.serviceWorker.ready)
        .then(renderFooter)
        .catch(() => { /* the page still works online */ });
      navigator.serviceWorker.addEventListener('controllerchange', renderFooter);
    }
    document.body.dataset.ready = 'true';
  }

  // For tests and for other pages: the verification without the UI.
  window.TikaVerify = { verifyBytes, verifyPasted, verifyCertificateText, payloadToJson, checkBinding };

  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', init);
  else init();
}());
