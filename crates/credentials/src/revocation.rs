//! A signed, versioned revocation list.
//!
//! The list is JSON,
//! `{"type":"TikaRevocationList","issuer","version","issued","revoked":[{"certificateId","revokedAt","reason"}]}`,
//! signed as a compact JWS (`EdDSA`, header `{"alg":"EdDSA","kid":<verification method>}`,
//! ordinary base64url payload) with the issuer's active key. Verifiers cache
//! the newest list they have seen and refuse older ones by `version`
//! ([`verify_revocation_list_update`]), so a replayed old list cannot
//! un-revoke a certificate.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::suite::{Signer, TrustStore, TrustedKey};

/// `"TikaRevocationList"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct RevocationListType;

impl Serialize for RevocationListType {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str("TikaRevocationList")
    }
}

impl<'de> Deserialize<'de> for RevocationListType {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let v = String::deserialize(d)?;
        if v == "TikaRevocationList" {
            Ok(Self)
        } else {
            Err(serde::de::Error::custom("type must be TikaRevocationList"))
        }
    }
}

/// One revoked certificate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
pub struct RevokedEntry {
    /// The certificate ID.
    pub certificate_id: String,
    /// When it was revoked.
    pub revoked_at: DateTime<Utc>,
    /// Why (e.g. `"superseded"`, `"issued in error"`).
    pub reason: String,
}

/// The revocation list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RevocationList {
    /// Always `"TikaRevocationList"`.
    #[serde(rename = "type")]
    pub kind: RevocationListType,
    /// Issuer URL.
    pub issuer: String,
    /// Monotonic version; every published list has a higher one.
    pub version: u64,
    /// When this version was issued.
    pub issued: DateTime<Utc>,
    /// Revoked certificates.
    pub revoked: Vec<RevokedEntry>,
}

impl RevocationList {
    /// The entry for `certificate_id`, if it is revoked.
    #[must_use]
    pub fn is_revoked(&self, certificate_id: &str) -> Option<&RevokedEntry> {
        self.revoked.iter().find(|e| e.certificate_id == certificate_id)
    }
}

/// Why a revocation list was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RevocationError {
    /// Not `header.payload.signature`.
    #[error("the revocation list is not a compact JWS")]
    Malformed,
    /// The header is not `EdDSA` with a `kid`.
    #[error("the revocation list header is invalid: {0}")]
    BadHeader(&'static str),
    /// The `kid` is not a trusted Ed25519 key.
    #[error("the revocation list was signed by an unknown key {0:?}")]
    UnknownKey(String),
    /// The signature does not match.
    #[error("the revocation list signature is invalid")]
    BadSignature,
    /// The payload is not a revocation list.
    #[error("the revocation list content is invalid: {0}")]
    BadPayload(String),
    /// Older than (or the same version as) the one already held.
    #[error("the revocation list version {got} is not newer than {have}")]
    Stale {
        /// Version received.
        got: u64,
        /// Version already held.
        have: u64,
    },
}

/// Signs `list` with `signer`, returning the compact JWS.
///
/// # Errors
/// [`RevocationError::BadPayload`] if the list cannot be serialized.
pub fn sign_revocation_list(
    list: &RevocationList,
    signer: &Signer,
) -> Result<String, RevocationError> {
    let header = serde_json::json!({"alg": "EdDSA", "kid": signer.verification_method()});
    let payload =
        serde_json::to_vec(list).map_err(|e| RevocationError::BadPayload(e.to_string()))?;
    let input = format!(
        "{}.{}",
        URL_SAFE_NO_PAD.encode(header.to_string()),
        URL_SAFE_NO_PAD.encode(payload)
    );
    let sig = signer.sign_bytes(input.as_bytes());
    Ok(format!("{input}.{}", URL_SAFE_NO_PAD.encode(sig.to_bytes())))
}

/// Verifies a revocation list JWS against `trust` and returns the list.
///
/// # Errors
/// [`RevocationError`], one variant per cause.
pub fn verify_revocation_list(
    jws: &str,
    trust: &TrustStore,
) -> Result<RevocationList, RevocationError> {
    let mut parts = jws.trim().split('.');
    let (Some(h), Some(p), Some(s), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(RevocationError::Malformed);
    };
    let header: serde_json::Map<String, serde_json::Value> = URL_SAFE_NO_PAD
        .decode(h)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .ok_or(RevocationError::BadHeader("not base64url JSON"))?;
    if header.get("alg").and_then(serde_json::Value::as_str) != Some("EdDSA") {
        return Err(RevocationError::BadHeader("alg must be EdDSA"));
    }
    if header.contains_key("crit") || header.contains_key("b64") {
        return Err(RevocationError::BadHeader("unsupported crit/b64"));
    }
    let kid = header
        .get("kid")
        .and_then(serde_json::Value::as_str)
        .ok_or(RevocationError::BadHeader("missing kid"))?;
    let Some(TrustedKey::Ed25519(key)) = trust.get(kid) else {
        return Err(RevocationError::UnknownKey(kid.to_owned()));
    };
    let sig = URL_SAFE_NO_PAD
        .decode(s)
        .ok()
        .and_then(|b| ed25519_dalek::Signature::from_slice(&b).ok())
        .ok_or(RevocationError::Malformed)?;
    let input_len = h.len() + 1 + p.len();
    let input = &jws.trim()[..input_len];
    key.verify_strict(input.as_bytes(), &sig).map_err(|_| RevocationError::BadSignature)?;
    let payload =
        URL_SAFE_NO_PAD.decode(p).map_err(|e| RevocationError::BadPayload(e.to_string()))?;
    serde_json::from_slice(&payload).map_err(|e| RevocationError::BadPayload(e.to_string()))
}

/// [`verify_revocation_list`], then refuses a list whose version is not
/// greater than `current_version` (the version the caller already holds).
///
/// # Errors
/// [`RevocationError::Stale`] for an old list, or any verification error.
pub fn verify_revocation_list_update(
    jws: &str,
    trust: &TrustStore,
    current_version: Option<u64>,
) -> Result<RevocationList, RevocationError> {
    let list = verify_revocation_list(jws, trust)?;
    match current_version {
        Some(have) if list.version <= have => {
            Err(RevocationError::Stale { got: list.version, have })
        }
        _ => Ok(list),
    }
}
