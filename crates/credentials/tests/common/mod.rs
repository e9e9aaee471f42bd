//! Helpers shared by the credential tests: a fixed signer and its trust store.
#![allow(dead_code, unreachable_pub)]
use tika_credentials::suite::{Signer, TrustStore};

pub fn signer(kid: &str) -> Signer {
    let key = ed25519_dalek::SigningKey::from_bytes(&[7u8; 32]);
    Signer::new(key, "did:india", kid)
}

pub fn trust(s: &Signer) -> TrustStore {
    let mut t = TrustStore::new();
    t.insert(
        s.verification_method(),
        tika_credentials::suite::TrustedKey::Ed25519(s.verifying_key()),
    );
    t
}
