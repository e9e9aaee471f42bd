//! DIVOC test vectors: canonical form and verification.
#![allow(clippy::unwrap_used)] // helpers outside #[test] fns
use tika_credentials::{
    canon,
    suite::{self, TrustStore},
};

const ED: &str = include_str!("fixtures/vector_ed25519_divoc.json");
const RSA: &str = include_str!("fixtures/vector_rsa_cowin.json");
const PEM: &str = include_str!("fixtures/divoc_sample_pub.pem");

fn trust() -> TrustStore {
    let mut t = TrustStore::new();
    t.add_ed25519_base58("did:india", "DaipNW4xaH2bh1XGNNdqjnSYyru3hLnUgTBSfSvmZ2hi").unwrap();
    t
}

#[test]
fn print_nquads() {
    let mut v: serde_json::Value = serde_json::from_str(ED).unwrap();
    v.as_object_mut().unwrap().remove("proof");
    let nq = canon::jsonld_nquads(&v).unwrap();
    println!("{nq}");
    assert_eq!(nq.lines().count(), 42);
}

#[test]
fn ed25519_vector_verifies() {
    let v = suite::verify(ED.as_bytes(), &trust()).unwrap();
    assert_eq!(v.path, suite::CanonPath::JsonLd);
}

#[test]
fn rsa_vector_verifies() {
    let mut t = TrustStore::new();
    t.add_rsa_pem("did:india", PEM).unwrap();
    suite::verify(RSA.as_bytes(), &t).unwrap();
}
