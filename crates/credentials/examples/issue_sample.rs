//! Writes sample signed certificates and their keys, for cross-checks with
//! other verifiers.
//!
//! `cargo run -p tika_credentials --example issue_sample -- --out DIR`
//!
//! DIR/keys/<kid>.json  a newly generated key (added to any already there)
//! DIR/v1.json          domestic certificate (Hindi name), signed
//! DIR/v2.json          international certificate (passport, DOB), signed
//! DIR/v1-qr.png        QR code of v1.json (zipped, byte mode, level M)
//! DIR/trust.json       the public keys document
//! DIR/key.json         the active key's JSON-LD key document
//! DIR/controller.json  the issuer's controller document
//! DIR/tampered-swap.json  v1.json with dose and totalDoses swapped

use std::path::PathBuf;
use std::process::ExitCode;

use tika_credentials::divoc::ContextVersion;
use tika_credentials::keys::Keyring;
use tika_credentials::sample::sample_input;
use tika_credentials::{qr, suite};

const ISSUER: &str = "https://tika.example.in/";

fn run(out: PathBuf) -> Result<(), Box<dyn std::error::Error>> {
    std::fs::create_dir_all(&out)?;
    let keys = out.join("keys");
    let now = chrono::Utc::now();
    let kid = format!("k{}", now.format("%Y%m%d%H%M%S%3f"));
    Keyring::generate_at(&keys, &kid, now)?;
    let ring = Keyring::load(&keys, suite::DEFAULT_DID)?;
    let signer = ring.signer()?;

    let mut v1 = sample_input(ContextVersion::Domestic, 0);
    v1.issuer = ISSUER.to_owned();
    v1.subject.name = "सीता देवी".to_owned();
    v1.certificate_id = tika_credentials::divoc::generate_certificate_id()?;
    let (_, v1_json) = suite::issue(&v1, &signer)?;
    let mut v2 = sample_input(ContextVersion::International, 3);
    v2.issuer = ISSUER.to_owned();
    v2.certificate_id = tika_credentials::divoc::generate_certificate_id()?;
    let (_, v2_json) = suite::issue(&v2, &signer)?;
    std::fs::write(out.join("v1.json"), &v1_json)?;
    std::fs::write(out.join("v2.json"), &v2_json)?;

    let zip = qr::zip_credential(&v1_json)?;
    let code = qr::qr_code(&zip)?;
    std::fs::write(out.join("v1-qr.png"), qr::qr_png(&code, 3)?)?;

    let doc = ring.public_keys(ISSUER);
    std::fs::write(out.join("trust.json"), serde_json::to_string_pretty(&doc)?)?;
    let key_doc = doc
        .key_document(signer.verification_method())
        .ok_or("active key missing from the public keys document")?;
    std::fs::write(out.join("key.json"), serde_json::to_string_pretty(&key_doc)?)?;
    std::fs::write(
        out.join("controller.json"),
        serde_json::to_string_pretty(&doc.controller_document())?,
    )?;

    let mut swapped: serde_json::Value = serde_json::from_str(&v1_json)?;
    let e = &mut swapped["evidence"][0];
    let (d, t) = (e["dose"].clone(), e["totalDoses"].clone());
    e["dose"] = t;
    e["totalDoses"] = d;
    std::fs::write(out.join("tampered-swap.json"), swapped.to_string())?;

    // Self-check with our own verifier.
    let trust = doc.trust_store()?;
    for name in ["v1.json", "v2.json", "tampered-swap.json"] {
        let bytes = std::fs::read(out.join(name))?;
        let v = suite::verify(&bytes, &trust)?;
        println!("{name}: verified ({:?} path), binding {:?}", v.path, v.binding);
    }
    println!(
        "key {} ({}), QR version {} ({} byte zip), wrote {}",
        signer.verification_method(),
        ring.active().map(|k| k.public_key_base58()).unwrap_or_default(),
        qr::qr_version(&code),
        zip.len(),
        out.display()
    );
    Ok(())
}

fn main() -> ExitCode {
    let mut args = std::env::args().skip(1);
    let mut out = None;
    while let Some(a) = args.next() {
        match a.as_str() {
            "--out" => out = args.next().map(PathBuf::from),
            _ => {
                eprintln!("usage: issue_sample --out DIR");
                return ExitCode::from(2);
            }
        }
    }
    let Some(out) = out else {
        eprintln!("usage: issue_sample --out DIR");
        return ExitCode::from(2);
    };
    match run(out) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}
