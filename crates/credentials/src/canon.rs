//! Canonicalization: JSON-LD → RDF → URDNA2015 N-Quads.
//!
//! Two paths give the same bytes:
//!
//! * [`jsonld_nquads`], the general path: the `json-ld` crate expands the
//!   document under a strict policy (undefined terms, invalid IRIs and
//!   `@vocab` fallbacks are errors, as in jsonld-signatures' safe mode), with
//!   the compiled-in contexts as its only loader, turns it into RDF, and
//!   `ssi-rdf` labels the blank nodes (URDNA2015). Used for foreign documents
//!   (DIVOC/CoWIN certificates) and as the oracle in tests.
//! * [`template_nquads`], the fast path: the quads of a [`Credential`] are
//!   written straight from its fields — this is the only hand-written part,
//!   because no library knows our fixed document shape — and then labelled
//!   by the same `ssi-rdf` URDNA2015 implementation. It is about two orders
//!   of magnitude faster. A property test checks it against the general path.
//!
//! The `json-ld` API is async (its loader trait is); the loader here never
//! waits, so `futures::executor::block_on` drives it and the crate stays
//! synchronous.

use std::borrow::Cow;

use json_ld::IriBuf;
use json_ld::JsonLdProcessor as _;
use json_ld::expansion::{Action, Policy};
use rdf_types::{BlankIdBuf, Id, LexicalQuad, Literal, LiteralType, Quad, Term};
use sha2::{Digest as _, Sha256};

use crate::contexts;
use crate::divoc::{Address, Credential, PostalCode, Proof};

/// Why a document could not be canonicalized.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CanonError {
    /// The document names a context that is not compiled in.
    #[error("unknown JSON-LD context {0}")]
    UnknownContext(String),
    /// A property is not defined by the active context (strict mode).
    #[error("the property {0:?} is not defined in the context")]
    UndefinedTerm(String),
    /// Any other JSON-LD expansion error.
    #[error("JSON-LD expansion failed: {0}")]
    Expansion(String),
    /// The document is not a JSON object.
    #[error("document is not a JSON object")]
    NotAnObject,
}

fn strict_options() -> json_ld::Options {
    json_ld::Options {
        expansion_policy: Policy {
            invalid: Action::Reject,
            vocab: Action::Reject,
            allow_undefined: false,
        },
        ..json_ld::Options::default()
    }
}

/// Every string value of an `@context` member anywhere in `v` must be a known
/// context URL; the loader would fail on the others anyway, but this gives a
/// precise error.
fn check_contexts(v: &serde_json::Value) -> Result<(), CanonError> {
    match v {
        serde_json::Value::Object(map) => {
            for (k, val) in map {
                if k == "@context" {
                    let urls: Vec<&serde_json::Value> = match val {
                        serde_json::Value::Array(a) => a.iter().collect(),
                        other => vec![other],
                    };
                    for u in urls {
                        if let serde_json::Value::String(s) = u
                            && !contexts::is_known(s)
                        {
                            return Err(CanonError::UnknownContext(s.clone()));
                        }
                    }
                }
                check_contexts(val)?;
            }
            Ok(())
        }
        serde_json::Value::Array(a) => a.iter().try_for_each(check_contexts),
        _ => Ok(()),
    }
}

fn map_expand_error(e: &json_ld::ExpandError) -> CanonError {
    use json_ld::ExpandError as E;
    match e {
        E::Expansion(json_ld::expansion::Error::KeyExpansionFailed(k)) => {
            CanonError::UndefinedTerm(k.clone())
        }
        E::Loading(l) => CanonError::UnknownContext(l.target.to_string()),
        other => CanonError::Expansion(other.to_string()),
    }
}

/// The RDF quads of a JSON-LD document (strict expansion, offline), with
/// arbitrary blank node labels.
///
/// # Errors
/// [`CanonError`] for unknown contexts, undefined terms, invalid documents.
pub fn jsonld_quads(doc: &serde_json::Value) -> Result<Vec<LexicalQuad>, CanonError> {
    if !doc.is_object() {
        return Err(CanonError::NotAnObject);
    }
    check_contexts(doc)?;
    let value = json_syntax::Value::from_serde_json(doc.clone());
    let remote = json_ld::RemoteDocument::new(None, None, value);
    let mut generator = rdf_types::generator::Blank::new();
    let fut = remote.to_rdf_using(&mut generator, contexts::loader(), strict_options());
    let mut rdf = futures::executor::block_on(fut).map_err(|e| match e {
        json_ld::ToRdfError::Expand(e) => map_expand_error(&e),
    })?;
    let mut out = Vec::new();
    for Quad(s, p, o, g) in rdf.cloned_quads() {
        let Id::Iri(p) = p else {
            continue; // generalized RDF (blank predicate): not produced
        };
        out.push(Quad(s, p, o, g));
    }
    Ok(out)
}

/// URDNA2015-canonical N-Quads of a JSON-LD document (the general path).
///
/// # Errors
/// See [`jsonld_quads`].
pub fn jsonld_nquads(doc: &serde_json::Value) -> Result<String, CanonError> {
    Ok(normalize(jsonld_quads(doc)?))
}

/// Labels blank nodes with URDNA2015 and serializes the sorted, de-duplicated
/// N-Quads (an RDF dataset is a set).
#[must_use]
pub fn normalize(mut quads: Vec<LexicalQuad>) -> String {
    quads.sort_unstable();
    quads.dedup();
    ssi_rdf::urdna2015::normalize(quads.iter().map(|q| q.as_lexical_quad_ref())).into_nquads()
}

// ---------------------------------------------------------------------------
// Template (fast path)
// ---------------------------------------------------------------------------

const RDF_TYPE: &str = "http://www.w3.org/1999/02/22-rdf-syntax-ns#type";
const XSD_DATETIME: &str = "http://www.w3.org/2001/XMLSchema#dateTime";
const XSD_INTEGER: &str = "http://www.w3.org/2001/XMLSchema#integer";
const XSD_STRING: &str = "http://www.w3.org/2001/XMLSchema#string";
const CRED_VC: &str = "https://www.w3.org/2018/credentials#VerifiableCredential";
const CRED_SUBJECT: &str = "https://www.w3.org/2018/credentials#credentialSubject";
const CRED_ISSUER: &str = "https://www.w3.org/2018/credentials#issuer";
const CRED_ISSUANCE: &str = "https://www.w3.org/2018/credentials#issuanceDate";
const CRED_EVIDENCE: &str = "https://www.w3.org/2018/credentials#evidence";
const S_POVC: &str = "https://schema.org/ProofOfVaccinationCredential";
const S_PERSON: &str = "https://schema.org/Person";
const S_ID: &str = "https://schema.org/id";
const S_NAME: &str = "https://schema.org/name";
const S_GENDER: &str = "https://schema.org/gender";
const S_NUMBER: &str = "https://schema.org/Number";
const S_DATE: &str = "https://schema.org/date";
const S_NATIONALITY: &str = "https://schema.org/nationality";
const S_POSTAL_ADDRESS: &str = "https://schema.org/PostalAddress";
const S_STREET: &str = "https://schema.org/streetAddress";
const S_REGION: &str = "https://schema.org/addressRegion";
const S_COUNTRY: &str = "https://schema.org/addressCountry";
const S_POSTAL_CODE: &str = "https://schema.org/postalCode";
const S_URL: &str = "https://schema.org/url";
const S_DOSE: &str = "https://schema.org/doseValue";
const V_NON_TRANSFERABLE: &str = "vac:nonTransferable";
const V_LINE2: &str = "vac:addressLine2";
const V_DISTRICT: &str = "vac:district";
const V_CITY: &str = "vac:city";
const V_VACCINATION: &str = "vac:Vaccination";
const V_VERIFIER: &str = "vac:verifier";
const V_FACILITY: &str = "vac:Facility";
const DC_CREATED: &str = "http://purl.org/dc/terms/created";
const SEC_ED25519: &str = "https://w3id.org/security#Ed25519Signature2018";
const SEC_RSA: &str = "https://w3id.org/security#RsaSignature2018";
const SEC_PURPOSE: &str = "https://w3id.org/security#proofPurpose";
const SEC_ASSERTION: &str = "https://w3id.org/security#assertionMethod";
const SEC_VM: &str = "https://w3id.org/security#verificationMethod";

/// Why the template could not be applied (the caller falls back to the
/// general path).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not in the template's shape: {0}")]
pub struct NotTemplate(&'static str);

/// A term of a template quad, borrowing from the credential. IRIs are valid
/// (checked by [`Credential::fits_template`] or constants), so they need no
/// escaping in N-Quads.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum T<'a> {
    Iri(&'a str),
    Blank(u8),
    /// A literal: value and datatype IRI.
    Lit(Cow<'a, str>, &'static str),
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Q<'a>(T<'a>, &'static str, T<'a>);

// Blank nodes of the template.
const B_CRED: u8 = 0;
const B_SUBJECT_ADDR: u8 = 1;
const B_VERIFIER: u8 = 2;
const B_FACILITY: u8 = 3;
const B_FACILITY_ADDR: u8 = 4;
const BLANKS: usize = 5;

struct Sink<'a> {
    quads: Vec<Q<'a>>,
}

impl<'a> Sink<'a> {
    fn str(&mut self, s: T<'a>, p: &'static str, v: &'a str) {
        self.quads.push(Q(s, p, T::Lit(Cow::Borrowed(v), XSD_STRING)));
    }
    fn int(&mut self, s: T<'a>, p: &'static str, v: u32) {
        self.quads.push(Q(s, p, T::Lit(Cow::Owned(v.to_string()), XSD_INTEGER)));
    }
    fn node(&mut self, s: T<'a>, p: &'static str, o: T<'a>) {
        self.quads.push(Q(s, p, o));
    }
    fn address(&mut self, owner: T<'a>, a: &'a Address, b: u8) {
        let n = T::Blank(b);
        self.node(owner, S_POSTAL_ADDRESS, n.clone());
        self.str(n.clone(), S_STREET, &a.street_address);
        self.str(n.clone(), V_LINE2, &a.street_address2);
        self.str(n.clone(), V_DISTRICT, &a.district);
        self.str(n.clone(), V_CITY, &a.city);
        self.str(n.clone(), S_REGION, &a.address_region);
        self.str(n.clone(), S_COUNTRY, &a.address_country);
        match a.postal_code {
            PostalCode::Number(v) => self.int(n, S_POSTAL_CODE, v),
            PostalCode::Empty => self.str(n, S_POSTAL_CODE, ""),
        }
    }
}

/// The template: the quads JSON-LD expansion gives for a credential of our
/// shape (without its proof).
fn template<'a>(c: &'a Credential) -> Result<Vec<Q<'a>>, NotTemplate> {
    if !c.fits_template() {
        return Err(NotTemplate("values outside the template's range"));
    }
    let mut k = Sink { quads: Vec::with_capacity(52) };
    let s = &c.credential_subject;
    let e = c.evidence();
    let vc = T::Blank(B_CRED);
    let subject = T::Iri(&s.id);
    let ev = T::Iri(&e.id);

    k.node(vc.clone(), RDF_TYPE, T::Iri(CRED_VC));
    k.node(vc.clone(), RDF_TYPE, T::Iri(S_POVC));
    k.node(vc.clone(), CRED_SUBJECT, subject.clone());
    k.node(vc.clone(), CRED_ISSUER, T::Iri(&c.issuer));
    k.node(vc.clone(), CRED_ISSUANCE, T::Lit(Cow::Borrowed(&c.issuance_date), XSD_DATETIME));
    k.node(vc.clone(), CRED_EVIDENCE, ev.clone());
    k.str(vc, V_NON_TRANSFERABLE, "true");

    k.node(subject.clone(), RDF_TYPE, T::Iri(S_PERSON));
    k.str(subject.clone(), S_ID, &s.ref_id);
    k.str(subject.clone(), S_NAME, &s.name);
    k.str(subject.clone(), S_ID, &s.uhid);
    k.str(subject.clone(), S_GENDER, &s.gender);
    k.str(subject.clone(), S_NUMBER, &s.age);
    k.str(subject.clone(), S_NATIONALITY, &s.nationality);
    if let Some(dob) = &s.dob {
        k.str(subject.clone(), S_DATE, dob);
    }
    k.address(subject, &s.address, B_SUBJECT_ADDR);

    k.node(ev.clone(), RDF_TYPE, T::Iri(V_VACCINATION));
    k.str(ev.clone(), S_URL, &e.feedback_url);
    k.str(ev.clone(), S_URL, &e.info_url);
    k.str(ev.clone(), S_ID, &e.certificate_id);
    k.str(ev.clone(), S_ID, &e.batch);
    k.str(ev.clone(), S_ID, &e.vaccine);
    k.str(ev.clone(), S_ID, &e.manufacturer);
    k.str(ev.clone(), S_DATE, &e.date);
    k.str(ev.clone(), S_DATE, &e.effective_start);
    k.str(ev.clone(), S_DATE, &e.effective_until);
    k.int(ev.clone(), S_DOSE, e.dose);
    k.int(ev.clone(), S_DOSE, e.total_doses);
    if let Some(code) = &e.icd11_code {
        k.str(ev.clone(), S_ID, code);
    }
    if let Some(p) = &e.prophylaxis {
        k.str(ev.clone(), S_NAME, p);
    }
    k.node(ev.clone(), V_VERIFIER, T::Blank(B_VERIFIER));
    k.str(T::Blank(B_VERIFIER), S_NAME, &e.verifier.name);
    k.node(ev, V_FACILITY, T::Blank(B_FACILITY));
    k.str(T::Blank(B_FACILITY), S_NAME, &e.facility.name);
    k.address(T::Blank(B_FACILITY), &e.facility.address, B_FACILITY_ADDR);
    Ok(k.quads)
}

/// How blank nodes are written while serializing.
#[derive(Clone, Copy)]
enum Labels<'l> {
    /// URDNA2015 first-degree hashing: the reference node is `_:a`, others
    /// `_:z`.
    Hashing(u8),
    /// Canonical labels `_:c14n<N>` by template blank index.
    Canonical(&'l [u8; BLANKS]),
}

/// N-Quads escaping of a literal, as `rdf-types` (and RDFC-1.0) do it.
fn push_literal(out: &mut String, v: &str) {
    out.push('"');
    for ch in v.chars() {
        match ch {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            c => out.push(c),
        }
    }
    out.push('"');
}

fn push_term(out: &mut String, t: &T<'_>, labels: Labels<'_>) {
    match t {
        T::Iri(i) => {
            out.push('<');
            out.push_str(i);
            out.push('>');
        }
        T::Blank(b) => match labels {
            Labels::Hashing(r) => out.push_str(if *b == r { "_:a" } else { "_:z" }),
            Labels::Canonical(map) => {
                out.push_str("_:c14n");
                out.push(char::from(b'0' + map[usize::from(*b)]));
            }
        },
        T::Lit(v, ty) => {
            push_literal(out, v);
            if *ty != XSD_STRING {
                out.push_str("^^<");
                out.push_str(ty);
                out.push('>');
            }
        }
    }
}

fn push_quad(out: &mut String, q: &Q<'_>, labels: Labels<'_>) {
    push_term(out, &q.0, labels);
    out.push_str(" <");
    out.push_str(q.1);
    out.push_str("> ");
    push_term(out, &q.2, labels);
    out.push_str(" .\n");
}

fn mentions(q: &Q<'_>, b: u8) -> bool {
    q.0 == T::Blank(b) || q.2 == T::Blank(b)
}

/// URDNA2015 for the template's quads.
///
/// This is the spec's algorithm (§4.4 of RDF Dataset Canonicalization)
/// specialised to the case where every blank node has a distinct
/// first-degree hash: then step 5 issues canonical labels in hash order and
/// the N-degree step never runs. When two first-degree hashes collide it
/// returns `None` and the caller uses `ssi-rdf`'s full implementation.
fn fast_urdna2015(quads: &mut Vec<Q<'_>>) -> Option<String> {
    quads.sort_unstable();
    quads.dedup();
    let mut hashes: Vec<([u8; 32], u8)> = Vec::with_capacity(BLANKS);
    let mut lines: Vec<String> = Vec::with_capacity(16);
    for b in 0..u8::try_from(BLANKS).ok()? {
        lines.clear();
        for q in quads.iter().filter(|q| mentions(q, b)) {
            let mut l = String::with_capacity(96);
            push_quad(&mut l, q, Labels::Hashing(b));
            lines.push(l);
        }
        if lines.is_empty() {
            continue;
        }
        lines.sort_unstable();
        let mut h = Sha256::new();
        for l in &lines {
            h.update(l.as_bytes());
        }
        hashes.push((h.finalize().into(), b));
    }
    // Hex strings compare like the bytes they encode.
    hashes.sort_unstable();
    if hashes.windows(2).any(|w| w[0].0 == w[1].0) {
        return None;
    }
    let mut map = [0u8; BLANKS];
    for (n, (_, b)) in hashes.iter().enumerate() {
        map[usize::from(*b)] = u8::try_from(n).ok()?;
    }
    let mut out_lines: Vec<String> = quads
        .iter()
        .map(|q| {
            let mut l = String::with_capacity(96);
            push_quad(&mut l, q, Labels::Canonical(&map));
            l
        })
        .collect();
    out_lines.sort_unstable();
    out_lines.dedup();
    Some(out_lines.concat())
}

fn blank_id(b: u8) -> Id {
    match BlankIdBuf::new(format!("_:t{b}")) {
        Ok(id) => Id::Blank(id),
        Err(_) => unreachable!("constant blank label"),
    }
}

fn lexical_iri(s: &str) -> Result<IriBuf, NotTemplate> {
    IriBuf::new(s.to_owned()).map_err(|_| NotTemplate("invalid IRI"))
}

fn lexical_term(t: &T<'_>) -> Result<Term, NotTemplate> {
    Ok(match t {
        T::Iri(i) => Term::Id(Id::Iri(lexical_iri(i)?)),
        T::Blank(b) => Term::Id(blank_id(*b)),
        T::Lit(v, ty) => {
            Term::Literal(Literal::new(v.to_string(), LiteralType::Any(lexical_iri(ty)?)))
        }
    })
}

fn lexical(quads: &[Q<'_>]) -> Result<Vec<LexicalQuad>, NotTemplate> {
    quads
        .iter()
        .map(|Q(s, p, o)| {
            let Term::Id(s) = lexical_term(s)? else {
                return Err(NotTemplate("literal subject"));
            };
            Ok(Quad(s, lexical_iri(p)?, lexical_term(o)?, None))
        })
        .collect()
}

/// The RDF quads of a credential (without its proof), written from the typed
/// fields, with arbitrary blank node labels.
///
/// # Errors
/// [`NotTemplate`] if the credential is outside the shape the template is
/// proven for (see [`Credential::fits_template`]).
pub fn template_quads(c: &Credential) -> Result<Vec<LexicalQuad>, NotTemplate> {
    lexical(&template(c)?)
}

/// URDNA2015 N-Quads of a credential (without its proof) via the template.
///
/// # Errors
/// See [`template_quads`].
pub fn template_nquads(c: &Credential) -> Result<String, NotTemplate> {
    let mut quads = template(c)?;
    match fast_urdna2015(&mut quads) {
        Some(nq) => Ok(nq),
        None => Ok(normalize(lexical(&quads)?)),
    }
}

/// [`template_nquads`] always through `ssi-rdf`'s full URDNA2015 (for tests
/// and benchmarks of the specialised labelling).
///
/// # Errors
/// See [`template_quads`].
pub fn template_nquads_ssi(c: &Credential) -> Result<String, NotTemplate> {
    Ok(normalize(template_quads(c)?))
}

/// The four canonical quads of the proof options (`type`, `created`,
/// `verificationMethod`, `proofPurpose` under `security/v2`). With a single
/// blank node, URDNA2015 labels it `_:c14n0`.
///
/// # Errors
/// [`NotTemplate`] if the verification method is not a plain absolute IRI or
/// `created` contains control characters.
pub fn template_proof_options_nquads(p: &Proof) -> Result<String, NotTemplate> {
    if !crate::divoc::template_safe_iri(&p.verification_method) {
        return Err(NotTemplate("verification method is not a plain absolute IRI"));
    }
    if p.created.chars().any(char::is_control) {
        return Err(NotTemplate("control character in created"));
    }
    let suite = match p.kind {
        crate::divoc::ProofType::Ed25519Signature2018 => SEC_ED25519,
        crate::divoc::ProofType::RsaSignature2018 => SEC_RSA,
    };
    let b = T::Blank(0);
    let mut quads = [
        Q(b.clone(), DC_CREATED, T::Lit(Cow::Borrowed(&p.created), XSD_DATETIME)),
        Q(b.clone(), RDF_TYPE, T::Iri(suite)),
        Q(b.clone(), SEC_PURPOSE, T::Iri(SEC_ASSERTION)),
        Q(b, SEC_VM, T::Iri(&p.verification_method)),
    ];
    quads.sort_unstable();
    let map = [0u8; BLANKS];
    let mut lines: Vec<String> = quads
        .iter()
        .map(|q| {
            let mut l = String::with_capacity(128);
            push_quad(&mut l, q, Labels::Canonical(&map));
            l
        })
        .collect();
    lines.sort_unstable();
    Ok(lines.concat())
}

/// The proof options document the general path canonicalizes: `proof` minus
/// `jws`/`signatureValue`/`proofValue`, with `@context` security/v2 (as
/// jsonld-signatures builds it).
#[must_use]
pub fn proof_options_document(
    proof: &serde_json::Map<String, serde_json::Value>,
) -> serde_json::Value {
    let mut opts = proof.clone();
    for k in ["jws", "signatureValue", "proofValue"] {
        opts.remove(k);
    }
    opts.insert("@context".to_owned(), serde_json::Value::String(contexts::SECURITY_V2.to_owned()));
    serde_json::Value::Object(opts)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn template_iris_valid() {
        for i in [
            RDF_TYPE,
            XSD_DATETIME,
            XSD_INTEGER,
            XSD_STRING,
            CRED_VC,
            CRED_SUBJECT,
            CRED_ISSUER,
            CRED_ISSUANCE,
            CRED_EVIDENCE,
            S_POVC,
            S_PERSON,
            S_ID,
            S_NAME,
            S_GENDER,
            S_NUMBER,
            S_DATE,
            S_NATIONALITY,
            S_POSTAL_ADDRESS,
            S_STREET,
            S_REGION,
            S_COUNTRY,
            S_POSTAL_CODE,
            S_URL,
            S_DOSE,
            V_NON_TRANSFERABLE,
            V_LINE2,
            V_DISTRICT,
            V_CITY,
            V_VACCINATION,
            V_VERIFIER,
            V_FACILITY,
            DC_CREATED,
            SEC_ED25519,
            SEC_RSA,
            SEC_PURPOSE,
            SEC_ASSERTION,
            SEC_VM,
        ] {
            assert!(IriBuf::new(i.to_owned()).is_ok(), "{i}");
        }
        let _ = blank_id(4);
    }

    #[test]
    fn fast_urdna2015_equals_ssi_rdf_and_falls_back_on_collisions() {
        use crate::divoc::ContextVersion;
        for v in [ContextVersion::Domestic, ContextVersion::International] {
            for n in 0..12 {
                let mut input = crate::sample::sample_input(v, n);
                if n % 3 == 0 {
                    // Literal escapes.
                    input.subject.name = "A \"q\" \\ b".to_owned();
                }
                let c = crate::divoc::build(&input).unwrap();
                let mut q = template(&c).unwrap();
                let fast = fast_urdna2015(&mut q).unwrap();
                assert_eq!(fast, template_nquads_ssi(&c).unwrap());
            }
        }
        // Two blank nodes with identical surroundings: hashes collide.
        let mut q = vec![
            Q(T::Iri("https://x.example/s"), S_NAME, T::Blank(1)),
            Q(T::Iri("https://x.example/s"), S_NAME, T::Blank(2)),
        ];
        assert!(fast_urdna2015(&mut q).is_none());
    }

    #[test]
    fn unknown_context_rejected() {
        let doc = serde_json::json!({"@context": ["https://example.com/x"], "a": 1});
        assert_eq!(
            jsonld_nquads(&doc),
            Err(CanonError::UnknownContext("https://example.com/x".into()))
        );
    }
}
