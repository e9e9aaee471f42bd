// A tiny static server for developing the offline verification page without Tika: it serves
// crates/server/static/verify/ at /verify/ exactly as Tika does (same placeholders, headers and
// content types), so `e2e/verify.mjs` runs against it too.
//
//   node dev-server.mjs --samples DIR [--port 8090] [--host 127.0.0.1] [--revoke ID ...]
//                       [--revoke-file CERT.json ...] [--list-version 1]
//
// * GET /verify          -> 308 to /verify/ (the query kept)
// * GET /verify/         -> index.html with __TIKA_TRUST__ = DIR/trust.json (JSON) and
//                           __TIKA_REVOCATIONS__ = a JSON string holding the compact JWS of a
//                           revocation list signed here (node:crypto Ed25519) with the private key
//                           in DIR/keys that matches a trust.json key.  Listed: every --revoke ID,
//                           the certificate ID of every --revoke-file and of DIR/revoked.json.
// * GET /verify/sw.js    -> with `{version}` filled in, `Service-Worker-Allowed: /verify/`
// * GET /verify/<file>   -> the static file
// * POST /dev/revocations {"version": N, "revoked": [ids]} re-signs the list (for tests of the
//   "older list refused" rule); GET /dev/revocations returns the current JWS.
// Prints `dev server listening at http://HOST:PORT/verify/` once ready.

import { createServer } from 'node:http';
import { readFileSync, existsSync, statSync, readdirSync } from 'node:fs';
import { createHash } from 'node:crypto';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { readJson, signRevocationList, signingKey } from './common.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const STATIC = path.resolve(here, '..', '..', 'crates', 'server', 'static', 'verify');

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.md': 'text/markdown; charset=utf-8',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
};

// Tika's pages' policy (crates/server/src/pages/context.rs): the page must work under it.
const CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
  + "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/** JSON for inside <script type="application/json">: no `</script>`, no `<!--`. */
export function scriptJson(value) {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026')
    .replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

function parseArgs(argv) {
  const a = { samples: null, port: 8090, host: '127.0.0.1', revoke: [], revokeFiles: [], listVersion: 1 };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i];
    if (v === '--samples') a.samples = argv[++i];
    else if (v === '--port') a.port = Number(argv[++i]);
    else if (v === '--host') a.host = argv[++i];
    else if (v === '--revoke') a.revoke.push(...String(argv[++i]).split(','));
    else if (v === '--revoke-file') a.revokeFiles.push(argv[++i]);
    else if (v === '--list-version') a.listVersion = Number(argv[++i]);
    else throw new Error(`unknown argument ${v}`);
  }
  if (!a.samples) throw new Error('usage: node dev-server.mjs --samples DIR [--port 8090] [--revoke ID] [--revoke-file CERT.json]');
  return a;
}

function versionHash() {
  const h = createHash('sha256');
  const walk = (d) => {
    for (const f of readdirSync(d).sort()) {
      const p = path.join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else h.update(f).update(readFileSync(p));
    }
  };
  walk(STATIC);
  return h.digest('hex').slice(0, 16);
}

export function startDevServer(opts) {
  const trust = readJson(path.join(opts.samples, 'trust.json'));
  const key = signingKey(opts.samples, trust);
  const ids = new Set(opts.revoke.filter(Boolean));
  const revokedAt = new Date(Date.now() - 86400_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const files = [...opts.revokeFiles];
  if (existsSync(path.join(opts.samples, 'revoked.json'))) files.push(path.join(opts.samples, 'revoked.json'));
  for (const f of files) ids.add(String(readJson(f).evidence[0].certificateId));
  const entry = (certificateId) => ({ certificateId, revokedAt, reason: 'Issued in error (dev server)' });
  const state = { version: opts.listVersion, jws: null };
  const resign = (version, list) => {
    state.version = version;
    state.jws = signRevocationList({
      privateKey: key.key, kid: key.trusted.id, issuer: trust.issuer, version, revoked: list.map(entry),
    });
  };
  resign(opts.listVersion, [...ids]);

  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    const send = (status, type, body, headers = {}) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-cache', 'x-content-type-options': 'nosniff', 'content-security-policy': CSP, ...headers });
      res.end(body);
    };
    if (url.pathname === '/dev/revocations') {
      if (req.method === 'POST') {
        let body = '';
        req.on('data', (c) => { body += c; });
        req.on('end', () => {
          try {
            const j = JSON.parse(body);
            resign(Number(j.version), (j.revoked || []).map(String));
            send(200, 'text/plain; charset=utf-8', state.jws);
          } catch (e) { send(400, 'text/plain; charset=utf-8', String(e)); }
        });
        return;
      }
      send(200, 'text/plain; charset=utf-8', state.jws);
      return;
    }
    if (req.method !== 'GET' && req.method !== 'HEAD') { send(405, 'text/plain', 'method not allowed'); return; }
    if (url.pathname === '/verify') {
      res.writeHead(308, { location: `/verify/${url.search}` });
      res.end();
      return;
    }
    if (!url.pathname.startsWith('/verify/')) { send(404, 'text/plain', 'not found'); return; }
    let rel = decodeURIComponent(url.pathname.slice('/verify/'.length));
    if (rel === '' || rel === 'index.html') {
      const html = readFileSync(path.join(STATIC, 'index.html'), 'utf8')
        .replace('__TIKA_TRUST__', () => scriptJson(trust))
        .replace('__TIKA_REVOCATIONS__', () => scriptJson(state.jws));
      send(200, TYPES['.html'], html, { 'referrer-policy': 'no-referrer' });
      return;
    }
    const file = path.resolve(STATIC, rel);
    if (!file.startsWith(STATIC + path.sep) || !existsSync(file) || !statSync(file).isFile()) { send(404, 'text/plain', 'not found'); return; }
    rel = path.relative(STATIC, file);
    let body = readFileSync(file);
    const headers = {};
    if (rel === 'sw.js') {
      body = body.toString('utf8').replace('{version}', () => versionHash());
      headers['service-worker-allowed'] = '/verify/';
    }
    send(200, TYPES[path.extname(file)] || 'application/octet-stream', body, headers);
  });
  return new Promise((resolve) => {
    server.listen(opts.port, opts.host, () => {
      const { port } = server.address();
      resolve({ server, base: `http://${opts.host}:${port}`, state });
    });
  });
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const opts = parseArgs(process.argv.slice(2));
  const { base, state } = await startDevServer(opts);
  console.log(`dev server listening at ${base}/verify/ (revocation list version ${state.version})`);
}
