// The offline JSON-LD document loader used by the Node tools: the contexts come from the npm
// packages (credentials-context, security-context, vaccination-context); the CoWIN v1/v2 URLs
// and DIVOC's generic https://divoc.dev/credentials/vaccination/v1 map to vaccination-context's
// objects, as every DIVOC verifier does.  Nothing is ever fetched.

import { createRequire } from 'node:module';
import { readFileSync } from 'node:fs';

const require = createRequire(import.meta.url);
const readJson = (f) => JSON.parse(readFileSync(f, 'utf8'));
const { vaccinationContext, vaccinationContextV2 } = require('vaccination-context');

export const CONTEXTS = {
  'https://www.w3.org/2018/credentials/v1': readJson(require.resolve('credentials-context/contexts/credentials-v1.jsonld')),
  'https://w3id.org/security/v1': readJson(require.resolve('security-context/contexts/security-v1.jsonld')),
  'https://w3id.org/security/v2': readJson(require.resolve('security-context/contexts/security-v2.jsonld')),
  'https://cowin.gov.in/credentials/vaccination/v1': vaccinationContext,
  'https://cowin.gov.in/credentials/vaccination/v2': vaccinationContextV2,
  'https://divoc.dev/credentials/vaccination/v1': vaccinationContext,
};
// Contexts the @digitalbazaar/ed25519-signature-2018 suite may ask for (its own dependency).
try {
  const ctx = require('ed25519-signature-2018-context');
  for (const [url, doc] of ctx.contexts) CONTEXTS[url] = doc;
} catch { /* not needed by every version */ }

/** A loader that knows the contexts above plus `extra` ({url: document}). */
export function makeLoader(extra = {}) {
  const docs = { ...CONTEXTS, ...extra };
  return async (url) => {
    if (Object.prototype.hasOwnProperty.call(docs, url)) {
      return { contextUrl: null, documentUrl: url, document: structuredClone(docs[url]) };
    }
    throw new Error(`offline document loader: refusing to fetch ${url}`);
  };
}

export const documentLoader = makeLoader();
