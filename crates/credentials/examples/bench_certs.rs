//! Per-operation timings and 2-thread throughput for certificates.
//!
//! `cargo run --release -p tika_credentials --example bench_certs -- [N]`

use std::time::{Duration, Instant};

use tika_credentials::canon;
use tika_credentials::divoc::{self, ContextVersion};
use tika_credentials::sample::sample_input;
use tika_credentials::suite::{self, Signer, TrustStore, TrustedKey};

fn per_op(name: &str, n: u64, mut f: impl FnMut(u64)) {
    for i in 0..n.min(50) {
        f(i); // warm up
    }
    let t = Instant::now();
    for i in 0..n {
        f(i);
    }
    let el = t.elapsed();
    println!(
        "{name:<34} {:>9.1} µs/op  {:>8.0} op/s (1 thread)",
        el.as_secs_f64() * 1e6 / n as f64,
        n as f64 / el.as_secs_f64()
    );
}

fn parallel(name: &str, n: u64, threads: u64, f: impl Fn(u64) + Sync) {
    let t = Instant::now();
    std::thread::scope(|s| {
        for th in 0..threads {
            let f = &f;
            s.spawn(move || {
                for i in (th..n).step_by(threads as usize) {
                    f(i);
                }
            });
        }
    });
    let el: Duration = t.elapsed();
    println!(
        "{name:<34} {:>9.0} op/s ({threads} threads, {n} ops, {:.2} s)",
        n as f64 / el.as_secs_f64(),
        el.as_secs_f64()
    );
}

fn main() {
    let n: u64 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(5000);
    let signer = Signer::new(ed25519_dalek::SigningKey::from_bytes(&[7; 32]), "did:india", "k1");
    let mut trust = TrustStore::new();
    trust.insert(signer.verification_method(), TrustedKey::Ed25519(signer.verifying_key()));

    let version = |i: u64| {
        if i.is_multiple_of(2) { ContextVersion::Domestic } else { ContextVersion::International }
    };
    let creds: Vec<divoc::Credential> = (0..n)
        .map(|i| divoc::build(&sample_input(version(i), i)).expect("sample builds"))
        .collect();
    let values: Vec<serde_json::Value> =
        creds.iter().map(|c| serde_json::to_value(c).expect("serializes")).collect();
    let signed: Vec<String> = (0..n)
        .map(|i| suite::issue(&sample_input(version(i), i), &signer).expect("issues").1)
        .collect();
    let foreign = include_str!("../tests/fixtures/vector_ed25519_divoc.json");
    let mut divoc_trust = TrustStore::new();
    divoc_trust
        .add_ed25519_base58("did:india", "DaipNW4xaH2bh1XGNNdqjnSYyru3hLnUgTBSfSvmZ2hi")
        .expect("valid key");
    let ix = |i: u64| usize::try_from(i % n).unwrap_or(0);

    println!("certificates: {n} (v1/v2 alternating), release build");
    per_op("c14n template (doc)", n, |i| {
        canon::template_nquads(&creds[ix(i)]).expect("template");
    });
    per_op("c14n template, ssi-rdf URDNA2015", n / 5, |i| {
        canon::template_nquads_ssi(&creds[ix(i)]).expect("template");
    });
    let jn = (n / 10).max(100);
    per_op("c14n json-ld (doc)", jn, |i| {
        canon::jsonld_nquads(&values[ix(i)]).expect("json-ld");
    });
    per_op("build (input -> credential)", n, |i| {
        divoc::build(&sample_input(version(i), i)).expect("build");
    });
    per_op("sign (credential -> proof)", n, |i| {
        suite::sign(&creds[ix(i)], &signer, chrono::Utc::now()).expect("sign");
    });
    per_op("issue (input -> signed JSON)", n, |i| {
        suite::issue(&sample_input(version(i), i), &signer).expect("issue");
    });
    per_op("verify (ours, template path)", n, |i| {
        suite::verify(signed[ix(i)].as_bytes(), &trust).expect("verify");
    });
    per_op("verify (DIVOC vector, json-ld)", jn, |_| {
        suite::verify(foreign.as_bytes(), &divoc_trust).expect("verify");
    });
    per_op("zip + QR encode", (n / 10).max(50), |i| {
        let z = tika_credentials::qr::zip_credential(&signed[ix(i)]).expect("zip");
        tika_credentials::qr::qr_code(&z).expect("qr");
    });
    parallel("issue, 2 threads", n * 2, 2, |i| {
        suite::issue(&sample_input(version(i), i), &signer).expect("issue");
    });
    parallel("verify, 2 threads", n * 2, 2, |i| {
        suite::verify(signed[ix(i)].as_bytes(), &trust).expect("verify");
    });
}
