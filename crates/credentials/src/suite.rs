//! Linked-data signatures: `Ed25519Signature2018` (sign and verify) and
//! `RsaSignature2018` with PS256 (verify only), as jsonld-signatures 6 does
//! them (spec §1.5).
//!
//! Hand-written because the one Rust implementation (`ssi`) re-encodes the
//! JWS header instead of using the received bytes, and expects RS256 in
//! `signatureValue` for the RSA suite, so it cannot verify a real DIVOC/CoWIN
//! certificate. The proof layer is small: hash the canonical proof options
//! and document, sign `header.` ‖ hashes with a detached, unencoded JWS
//! (RFC 7797).

use std::collections::HashMap;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ed25519_dalek::Signer as _;
use sha2::{Digest, Sha256};

use crate::canon::{self, CanonError};
use crate::divoc::{self, AssertionMethod, Binding, ContextVersion, Credential, Proof, ProofType};

/// base64url of `{"alg":"EdDSA","b64":false,"crit":["b64"]}`.
pub const ED25519_HEADER_B64: &str = "eyJhbGciOiJFZERTQSIsImI2NCI6ZmFsc2UsImNyaXQiOlsiYjY0Il19";
/// base64url of `{"alg":"PS256","b64":false,"crit":["b64"]}`.
pub const RSA_HEADER_B64: &str = "eyJhbGciOiJQUzI1NiIsImI2NCI6ZmFsc2UsImNyaXQiOlsiYjY0Il19";

/// The issuer's DID when none is configured.
pub const DEFAULT_DID: &str = "did:india";

/// A public key the verifier trusts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TrustedKey {
    /// An Ed25519 public key.
    Ed25519(ed25519_dalek::VerifyingKey),
    /// An RSA public key (PS256).
    Rsa(Box<rsa::RsaPublicKey>),
}

/// Why a key could not be added to a [`TrustStore`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// Not valid base58, or not 32 bytes.
    #[error("invalid Ed25519 public key (base58): {0}")]
    Ed25519(String),
    /// Not an RSA SPKI PEM.
    #[error("invalid RSA public key PEM: {0}")]
    Rsa(String),
}

/// Public keys by verification method ID (`did:india#k1`, or `did:india` for
/// CoWIN's key).
#[derive(Debug, Clone, Default)]
pub struct TrustStore {
    keys: HashMap<String, TrustedKey>,
}

impl TrustStore {
    /// An empty store.
    #[must_use]
    pub fn new() -> Self {
        Self::default()
    }

    /// Trusts `key` under `verification_method`, replacing any previous key.
    pub fn insert(&mut self, verification_method: impl Into<String>, key: TrustedKey) {
        self.keys.insert(verification_method.into(), key);
    }

    /// Trusts a raw 32-byte Ed25519 public key.
    ///
    /// # Errors
    /// [`KeyError::Ed25519`] if the bytes are not a valid point.
    pub fn add_ed25519_raw(
        &mut self,
        verification_method: impl Into<String>,
        key: &[u8; 32],
    ) -> Result<(), KeyError> {
        let k = ed25519_dalek::VerifyingKey::from_bytes(key)
            .map_err(|e| KeyError::Ed25519(e.to_string()))?;
        self.insert(verification_method, TrustedKey::Ed25519(k));
        Ok(())
    }

    /// Trusts an Ed25519 public key given in base58 (`publicKeyBase58`).
    ///
    /// # Errors
    /// [`KeyError::Ed25519`] for bad base58 or length.
    pub fn add_ed25519_base58(
        &mut self,
        verification_method: impl Into<String>,
        key: &str,
    ) -> Result<(), KeyError> {
        let bytes = bs58::decode(key).into_vec().map_err(|e| KeyError::Ed25519(e.to_string()))?;
        let raw: [u8; 32] =
            bytes.try_into().map_err(|_| KeyError::Ed25519("not 32 bytes".to_owned()))?;
        self.add_ed25519_raw(verification_method, &raw)
    }

    /// Trusts an RSA public key given as an SPKI PEM (`publicKeyPem`).
    ///
    /// # Errors
    /// [`KeyError::Rsa`] if the PEM does not hold an RSA SPKI key.
    pub fn add_rsa_pem(
        &mut self,
        verification_method: impl Into<String>,
        pem: &str,
    ) -> Result<(), KeyError> {
        use rsa::pkcs8::DecodePublicKey as _;
        // Decoded by hand: DIVOC's PEMs put the base64 on one long line,
        // which the strict RFC 7468 parser rejects.
        let body: String = pem.lines().map(str::trim).filter(|l| !l.starts_with("-----")).collect();
        let der = base64::engine::general_purpose::STANDARD
            .decode(body)
            .map_err(|e| KeyError::Rsa(e.to_string()))?;
        let k = rsa::RsaPublicKey::from_public_key_der(&der)
            .map_err(|e| KeyError::Rsa(e.to_string()))?;
        self.insert(verification_method, TrustedKey::Rsa(Box::new(k)));
        Ok(())
    }

    /// The key trusted under `verification_method`.
    #[must_use]
    pub fn get(&self, verification_method: &str) -> Option<&TrustedKey> {
        self.keys.get(verification_method)
    }

    /// Number of trusted keys.
    #[must_use]
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether no key is trusted.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}

/// An Ed25519 signing key with the verification method it is published
/// under.
#[derive(Clone)]
pub struct Signer {
    key: ed25519_dalek::SigningKey,
    verification_method: String,
}

impl std::fmt::Debug for Signer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Signer")
            .field("verification_method", &self.verification_method)
            .finish_non_exhaustive()
    }
}

impl Signer {
    /// A signer publishing `key` as `<did>#<kid>`.
    #[must_use]
    pub fn new(key: ed25519_dalek::SigningKey, did: &str, kid: &str) -> Self {
        Self { key, verification_method: format!("{did}#{kid}") }
    }

    /// A signer from a raw 32-byte Ed25519 seed (so callers need not depend
    /// on `ed25519-dalek`).
    #[must_use]
    pub fn from_seed(seed: &[u8; 32], did: &str, kid: &str) -> Self {
        Self::new(ed25519_dalek::SigningKey::from_bytes(seed), did, kid)
    }

    /// The public key in base58 (`publicKeyBase58`).
    #[must_use]
    pub fn public_key_base58(&self) -> String {
        bs58::encode(self.key.verifying_key().as_bytes()).into_string()
    }

    /// A signer with an explicit verification method ID.
    #[must_use]
    pub fn with_verification_method(
        key: ed25519_dalek::SigningKey,
        verification_method: String,
    ) -> Self {
        Self { key, verification_method }
    }

    /// `<did>#<kid>`.
    #[must_use]
    pub fn verification_method(&self) -> &str {
        &self.verification_method
    }

    /// The public half.
    #[must_use]
    pub fn verifying_key(&self) -> ed25519_dalek::VerifyingKey {
        self.key.verifying_key()
    }

    /// Signs raw bytes (used by the revocation list's JWS).
    pub(crate) fn sign_bytes(&self, msg: &[u8]) -> ed25519_dalek::Signature {
        self.key.sign(msg)
    }
}

/// Why signing failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    /// The credential is outside the template's proven shape (should not
    /// happen for a credential from [`divoc::build`]).
    #[error(transparent)]
    NotTemplate(#[from] canon::NotTemplate),
}

/// `SHA-256(c14n(opts)) ‖ SHA-256(c14n(doc))`.
fn verify_data(opts_nquads: &str, doc_nquads: &str) -> [u8; 64] {
    let mut data = [0u8; 64];
    data[..32].copy_from_slice(&Sha256::digest(opts_nquads.as_bytes()));
    data[32..].copy_from_slice(&Sha256::digest(doc_nquads.as_bytes()));
    data
}

fn signing_input(header_b64: &str, data: &[u8; 64]) -> Vec<u8> {
    let mut input = Vec::with_capacity(header_b64.len() + 1 + 64);
    input.extend_from_slice(header_b64.as_bytes());
    input.push(b'.');
    input.extend_from_slice(data);
    input
}

/// Signs a credential with `Ed25519Signature2018`: sets `proof` (replacing
/// any) with `created` = `created` to the second.
///
/// # Errors
/// [`SignError`] if the credential cannot be canonicalized by the template.
pub fn sign(
    cred: &Credential,
    signer: &Signer,
    created: chrono::DateTime<chrono::Utc>,
) -> Result<Credential, SignError> {
    let mut proof = Proof {
        kind: ProofType::Ed25519Signature2018,
        created: divoc::proof_time(created),
        verification_method: signer.verification_method.clone(),
        proof_purpose: AssertionMethod,
        jws: String::new(),
    };
    let opts = canon::template_proof_options_nquads(&proof)?;
    let doc = canon::template_nquads(cred)?;
    let data = verify_data(&opts, &doc);
    let sig = signer.key.sign(&signing_input(ED25519_HEADER_B64, &data));
    proof.jws = format!("{ED25519_HEADER_B64}..{}", URL_SAFE_NO_PAD.encode(sig.to_bytes()));
    let mut out = cred.clone();
    out.proof = Some(proof);
    Ok(out)
}

/// Builds and signs in one step, returning the compact JSON.
///
/// # Errors
/// [`IssueError`] from building or signing.
pub fn issue(
    input: &divoc::CertificateInput,
    signer: &Signer,
) -> Result<(Credential, String), IssueError> {
    let cred = divoc::build(input)?;
    let signed = sign(&cred, signer, input.issuance_date)?;
    let json = signed.to_json().map_err(|e| IssueError::Json(e.to_string()))?;
    Ok((signed, json))
}

/// Why issuing failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IssueError {
    /// Invalid input.
    #[error(transparent)]
    Build(#[from] divoc::BuildError),
    /// Signing failed.
    #[error(transparent)]
    Sign(#[from] SignError),
    /// Serialization failed.
    #[error("serialization failed: {0}")]
    Json(String),
}

/// Which canonicalization a verification used.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CanonPath {
    /// The document is in Tika's typed shape: template N-Quads.
    Template,
    /// Any other document: the JSON-LD processor.
    JsonLd,
}

/// A verified credential.
#[derive(Debug, Clone)]
pub struct Verified {
    /// The credential as received.
    pub credential: serde_json::Value,
    /// The typed view, when the document is in the DIVOC shape this crate
    /// models exactly.
    pub typed: Option<Credential>,
    /// `evidence[0].certificateId`, when present.
    pub certificate_id: Option<String>,
    /// `proof.verificationMethod`.
    pub verification_method: String,
    /// The key ID: the fragment of the verification method (`k1` in
    /// `did:india#k1`), or the whole method when it has none.
    pub key_id: String,
    /// The vaccination context version, when it is one we know.
    pub context_version: Option<ContextVersion>,
    /// The suite that signed it.
    pub suite: ProofType,
    /// Tika's swap-detection binding.
    pub binding: Binding,
    /// How it was canonicalized.
    pub path: CanonPath,
}

/// Largest credential [`verify`] accepts (real ones are 1.5–2.5 KB; the
/// JSON-LD path costs ~2 ms per KB-sized document, so this bounds the work).
pub const MAX_CREDENTIAL_BYTES: usize = 64 * 1024;

/// Why a credential did not verify. Messages are fit to show a user.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifyError {
    /// Not JSON, or not a JSON object.
    #[error("the certificate is not valid JSON: {0}")]
    BadJson(String),
    /// Larger than [`MAX_CREDENTIAL_BYTES`].
    #[error("the certificate is too large ({0} bytes)")]
    TooLarge(usize),
    /// No `proof` object.
    #[error("the certificate has no proof")]
    MissingProof,
    /// A `proof` member is missing or has the wrong type.
    #[error("the certificate's proof is malformed: {0}")]
    BadProof(&'static str),
    /// `proof.type` is not a suite we verify.
    #[error("unsupported signature suite {0:?}")]
    UnsupportedSuite(String),
    /// `proof.proofPurpose` is not `assertionMethod`.
    #[error("the proof purpose {0:?} is not assertionMethod")]
    WrongProofPurpose(String),
    /// The document names a context we do not have.
    #[error("unknown JSON-LD context {0}")]
    UnknownContext(String),
    /// A property the context does not define (it would not be signed).
    #[error(
        "the property {0:?} is not defined in the context, so it is not covered by the signature"
    )]
    UndefinedTerm(String),
    /// Other JSON-LD processing error.
    #[error("the certificate is not valid JSON-LD: {0}")]
    JsonLd(String),
    /// The signing key is not trusted.
    #[error("the certificate was signed by an unknown key {0:?}")]
    UnknownKey(String),
    /// The trusted key is of another type than the suite.
    #[error("the key {0:?} does not match the signature suite")]
    KeyTypeMismatch(String),
    /// The JWS header is not the one the suite requires.
    #[error("the signature header is invalid: {0}")]
    BadHeader(String),
    /// The JWS is not `header..signature`.
    #[error("the signature is malformed: {0}")]
    BadJws(&'static str),
    /// The signature does not match.
    #[error(
        "the signature does not match the certificate (it was altered or signed by another key)"
    )]
    BadSignature,
}

impl From<CanonError> for VerifyError {
    fn from(e: CanonError) -> Self {
        match e {
            CanonError::UnknownContext(u) => Self::UnknownContext(u),
            CanonError::UndefinedTerm(t) => Self::UndefinedTerm(t),
            CanonError::Expansion(m) => Self::JsonLd(m),
            CanonError::NotAnObject => Self::BadJson("not a JSON object".to_owned()),
        }
    }
}

fn str_member<'a>(
    proof: &'a serde_json::Map<String, serde_json::Value>,
    name: &'static str,
) -> Result<&'a str, VerifyError> {
    proof.get(name).and_then(serde_json::Value::as_str).ok_or(VerifyError::BadProof(name))
}

/// Checks a received JWS header segment against the suite.
fn check_header(header_b64: &str, suite: ProofType) -> Result<(), VerifyError> {
    let bytes = URL_SAFE_NO_PAD
        .decode(header_b64)
        .map_err(|_| VerifyError::BadHeader("not base64url".to_owned()))?;
    let header: serde_json::Map<String, serde_json::Value> = serde_json::from_slice(&bytes)
        .map_err(|_| VerifyError::BadHeader("not a JSON object".to_owned()))?;
    let want_alg = match suite {
        ProofType::Ed25519Signature2018 => "EdDSA",
        ProofType::RsaSignature2018 => "PS256",
    };
    let alg = header.get("alg").and_then(serde_json::Value::as_str);
    if alg != Some(want_alg) {
        return Err(VerifyError::BadHeader(format!(
            "alg must be {want_alg} for {}",
            suite.as_str()
        )));
    }
    if header.get("b64") != Some(&serde_json::Value::Bool(false)) {
        return Err(VerifyError::BadHeader("b64 must be false".to_owned()));
    }
    if header.get("crit") != Some(&serde_json::json!(["b64"])) {
        return Err(VerifyError::BadHeader("crit must be [\"b64\"]".to_owned()));
    }
    if let Some(other) =
        header.keys().find(|k| !matches!(k.as_str(), "alg" | "b64" | "crit" | "kid" | "typ"))
    {
        return Err(VerifyError::BadHeader(format!("unexpected member {other:?}")));
    }
    Ok(())
}

/// Verifies a signed DIVOC/CoWIN credential given as JSON bytes.
///
/// Checks, in order: JSON, proof shape, suite, proof purpose, that the
/// verification method is in `trust` with a key of the suite's type, the JWS
/// header as received, then canonicalizes (template fast path when the
/// document is exactly our typed shape, JSON-LD otherwise; both strict) and
/// checks the signature. Finally it checks Tika's swap-detection binding
/// (reported, not an error: foreign certificates have none).
///
/// # Errors
/// [`VerifyError`], one variant per cause.
pub fn verify(json: &[u8], trust: &TrustStore) -> Result<Verified, VerifyError> {
    if json.len() > MAX_CREDENTIAL_BYTES {
        return Err(VerifyError::TooLarge(json.len()));
    }
    let value: serde_json::Value =
        serde_json::from_slice(json).map_err(|e| VerifyError::BadJson(e.to_string()))?;
    verify_value(value, trust)
}

/// [`verify`] for an already parsed document.
///
/// # Errors
/// See [`verify`].
pub fn verify_value(value: serde_json::Value, trust: &TrustStore) -> Result<Verified, VerifyError> {
    let serde_json::Value::Object(map) = &value else {
        return Err(VerifyError::BadJson("not a JSON object".to_owned()));
    };
    let Some(serde_json::Value::Object(proof)) = map.get("proof") else {
        return Err(VerifyError::MissingProof);
    };
    let suite = match str_member(proof, "type")? {
        "Ed25519Signature2018" => ProofType::Ed25519Signature2018,
        "RsaSignature2018" => ProofType::RsaSignature2018,
        other => return Err(VerifyError::UnsupportedSuite(other.to_owned())),
    };
    let purpose = str_member(proof, "proofPurpose")?;
    if purpose != "assertionMethod" {
        return Err(VerifyError::WrongProofPurpose(purpose.to_owned()));
    }
    let vm = str_member(proof, "verificationMethod")?.to_owned();
    let key = trust.get(&vm).ok_or_else(|| VerifyError::UnknownKey(vm.clone()))?;
    match (suite, key) {
        (ProofType::Ed25519Signature2018, TrustedKey::Ed25519(_))
        | (ProofType::RsaSignature2018, TrustedKey::Rsa(_)) => {}
        _ => return Err(VerifyError::KeyTypeMismatch(vm)),
    }
    let jws = str_member(proof, "jws")?;
    let mut parts = jws.split('.');
    let (Some(header_b64), Some(""), Some(sig_b64), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(VerifyError::BadJws("expected header..signature"));
    };
    check_header(header_b64, suite)?;
    let sig = URL_SAFE_NO_PAD
        .decode(sig_b64)
        .map_err(|_| VerifyError::BadJws("signature is not base64url"))?;

    // Canonicalize: template when the document is exactly our shape.
    let typed = <Credential as serde::Deserialize>::deserialize(&value)
        .ok()
        .filter(Credential::fits_template);
    let (opts_nq, doc_nq, path) = match &typed {
        Some(c) => {
            let p = c.proof.as_ref().ok_or(VerifyError::MissingProof)?;
            let opts = canon::template_proof_options_nquads(p)
                .map_err(|e| VerifyError::JsonLd(e.to_string()))?;
            let doc = canon::template_nquads(c).map_err(|e| VerifyError::JsonLd(e.to_string()))?;
            (opts, doc, CanonPath::Template)
        }
        None => {
            let opts = canon::jsonld_nquads(&canon::proof_options_document(proof))?;
            let mut doc = map.clone();
            doc.remove("proof");
            let doc = canon::jsonld_nquads(&serde_json::Value::Object(doc))?;
            (opts, doc, CanonPath::JsonLd)
        }
    };
    let data = verify_data(&opts_nq, &doc_nq);
    let input = signing_input(header_b64, &data);
    match key {
        TrustedKey::Ed25519(k) => {
            let sig = ed25519_dalek::Signature::from_slice(&sig)
                .map_err(|_| VerifyError::BadJws("Ed25519 signature must be 64 bytes"))?;
            k.verify_strict(&input, &sig).map_err(|_| VerifyError::BadSignature)?;
        }
        TrustedKey::Rsa(k) => {
            use rsa::signature::Verifier as _;
            let vk = rsa::pss::VerifyingKey::<rsa::sha2::Sha256>::new((**k).clone());
            let sig = rsa::pss::Signature::try_from(sig.as_slice())
                .map_err(|_| VerifyError::BadJws("bad RSA signature encoding"))?;
            vk.verify(&input, &sig).map_err(|_| VerifyError::BadSignature)?;
        }
    }

    let binding = typed.as_ref().map_or(Binding::Absent, divoc::check_binding);
    let certificate_id = value
        .pointer("/evidence/0/certificateId")
        .and_then(serde_json::Value::as_str)
        .map(str::to_owned);
    let context_version = match value.pointer("/@context/1").and_then(serde_json::Value::as_str) {
        Some(crate::contexts::VACCINATION_V1 | crate::contexts::DIVOC_VACCINATION_V1) => {
            Some(ContextVersion::Domestic)
        }
        Some(crate::contexts::VACCINATION_V2) => Some(ContextVersion::International),
        _ => None,
    };
    let key_id = vm.split_once('#').map_or_else(|| vm.clone(), |(_, f)| f.to_owned());
    Ok(Verified {
        credential: value,
        typed,
        certificate_id,
        verification_method: vm,
        key_id,
        context_version,
        suite,
        binding,
        path,
    })
}
