//! DIVOC/CoWIN W3C Verifiable Credentials: build, sign, verify, QR, keys,
//! revocation list.
//!
//! A pure library: no network, no database, no async runtime. Spec:
//! `shared/spec/certificates.md` §1.
//!
//! # Modules
//!
//! * [`contexts`] — the JSON-LD contexts compiled in (credentials v1,
//!   security v1/v2, CoWIN vaccination v1/v2, DIVOC's v1 alias). Any other
//!   context URL is an error.
//! * [`canon`] — URDNA2015 N-Quads: [`canon::jsonld_nquads`] (strict JSON-LD
//!   1.1 processor, for any document) and [`canon::template_nquads`] (fast
//!   path from the typed credential; equal output, checked by a property
//!   test).
//! * [`divoc`] — the typed credential ([`divoc::Credential`], strict serde),
//!   the builder [`divoc::build`] from a [`divoc::CertificateInput`], the
//!   swap-detection [`divoc::Binding`], [`divoc::generate_certificate_id`].
//! * [`suite`] — `Ed25519Signature2018` signing ([`suite::sign`],
//!   [`suite::issue`]) and verification of Ed25519 and `RsaSignature2018`
//!   PS256 proofs ([`suite::verify`] → [`suite::Verified`] or
//!   [`suite::VerifyError`]) against a [`suite::TrustStore`].
//! * [`qr`] — ZIP + single-segment byte-mode QR at level M, PNG/SVG, and
//!   [`qr::decode_payload`] for scanned payloads.
//! * [`keys`] — the issuer's key directory ([`keys::Keyring`]), rotation,
//!   retirement, the public keys document.
//! * [`revocation`] — the signed, versioned revocation list.
//! * [`sample`] — deterministic sample inputs (examples, tests, benchmarks).
//!
//! # Issuing and verifying
//!
//! ```
//! use tika_credentials::{divoc::ContextVersion, sample::sample_input, suite};
//!
//! let key = ed25519_dalek::SigningKey::from_bytes(&[7; 32]);
//! let signer = suite::Signer::new(key, suite::DEFAULT_DID, "k1");
//! let (_cred, json) = suite::issue(&sample_input(ContextVersion::Domestic, 1), &signer).unwrap();
//!
//! let mut trust = suite::TrustStore::new();
//! trust.insert(signer.verification_method(), suite::TrustedKey::Ed25519(signer.verifying_key()));
//! let verified = suite::verify(json.as_bytes(), &trust).unwrap();
//! assert_eq!(verified.key_id, "k1");
//! assert_eq!(verified.binding, tika_credentials::divoc::Binding::Intact);
//! ```
//!
//! # Benchmark support (`tika bench certs`)
//!
//! * one certificate: [`sample::sample_input`] → [`divoc::build`] →
//!   [`suite::sign`] (or [`suite::issue`] for both);
//! * one verification: [`suite::verify`] (our certificates take the
//!   template path; DIVOC's vectors the JSON-LD path);
//! * canonicalization alone: [`canon::template_nquads`] vs
//!   [`canon::jsonld_nquads`].
//!
//! `examples/bench_certs.rs` times each of these.
//!
//! # What is hand-written, and why
//!
//! JSON-LD expansion, RDF conversion and URDNA2015 come from `json-ld` and
//! `ssi-rdf`; signatures from `ed25519-dalek` and `rsa`. Written here: the
//! proof layer (the only Rust implementation, `ssi`, cannot verify real
//! DIVOC proofs, see [`suite`]), the N-Quads template (no library knows our
//! document shape), the QR segment loop and renderers (a few lines), the
//! swap-detection binding and the key directory.

pub mod canon;
pub mod contexts;
pub mod divoc;
pub mod keys;
pub mod qr;
pub mod revocation;
pub mod sample;
pub mod suite;
