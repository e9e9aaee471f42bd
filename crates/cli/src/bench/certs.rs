//! `tika bench certs`: certificate signing, verification, canonicalization, PDF rendering, and
//! the certificate job end to end on a real database.
//!
//! Targets (issue 4): signing ≥ 5,000 certificates/s and verification ≥ 5,000/s on 2 cores, PDF
//! rendering ≥ 200/s.  The per-operation lines say where the time goes (JSON-LD
//! canonicalization measured on its own, the template path against the general JSON-LD
//! processor); the throughput lines run the real code on `--threads` threads.  The job line
//! records `--doses` doses through the storage API (each writes its `dose.recorded` event) and
//! times the job turning them into stored certificates.

use std::sync::Arc;
use std::time::{Duration, Instant};

use clap::Args;
use tika_credentials::canon;
use tika_credentials::divoc::{self, ContextVersion};
use tika_credentials::sample::sample_input;
use tika_credentials::suite::{self, Signer, TrustStore, TrustedKey};
use tika_domain::ids::{BeneficiaryId, BeneficiaryRef, CenterId, VaccinationId};
use tika_domain::vaccine::{DoseNumber, VaccineCode};
use tika_server::app::{Parts, build_state};
use tika_server::clock::SystemClock;
use tika_server::keys::Keys;
use tika_server::services::certificates::{
    Authority, CertificateSettings, pdf_document, process_pending,
};
use tika_storage::{NewBeneficiaryRecord, Vaccination};

use super::{
    CommonArgs, Database, aadhaar, bench_config, bench_sms, bench_templates, mobile, run_seed,
};

/// Flags of `tika bench certs`.
#[derive(Debug, Args, Clone)]
pub(crate) struct CertsArgs {
    /// Certificates per measurement.
    #[arg(long, default_value_t = 5000)]
    pub(crate) count: u64,
    /// Threads for the throughput lines (the target is for 2 cores).
    #[arg(long, default_value_t = 2)]
    pub(crate) threads: u64,
    /// PDFs to render.
    #[arg(long, default_value_t = 500)]
    pub(crate) pdfs: u64,
    /// Doses to push through the certificate job on the database (0 skips it).
    #[arg(long, default_value_t = 2000)]
    pub(crate) doses: u64,
    #[command(flatten)]
    pub(crate) common: CommonArgs,
}

fn per_op(name: &str, n: u64, mut f: impl FnMut(u64)) -> f64 {
    for i in 0..n.min(50) {
        f(i);
    }
    let t = Instant::now();
    for i in 0..n {
        f(i);
    }
    let us = t.elapsed().as_secs_f64() * 1e6 / n.max(1) as f64;
    println!("{name:<44} {us:>9.1} µs/op (1 thread)");
    us
}

fn parallel(name: &str, n: u64, threads: u64, f: impl Fn(u64) + Sync) -> f64 {
    let t = Instant::now();
    std::thread::scope(|s| {
        for th in 0..threads {
            let f = &f;
            s.spawn(move || {
                let mut i = th;
                while i < n {
                    f(i);
                    i += threads;
                }
            });
        }
    });
    let el: Duration = t.elapsed();
    let rate = n as f64 / el.as_secs_f64();
    println!("{name:<44} {rate:>9.0} /s ({threads} threads, {n} in {:.2} s)", el.as_secs_f64());
    rate
}

fn version(i: u64) -> ContextVersion {
    if i.is_multiple_of(2) { ContextVersion::Domestic } else { ContextVersion::International }
}

pub(crate) fn run(args: &CertsArgs) -> anyhow::Result<()> {
    let n = args.count.max(1);
    let threads = args.threads.max(1);
    println!(
        "tika bench certs: {n} certificates (v1/v2 alternating), {} PDFs, cpus={}, build={}",
        args.pdfs,
        std::thread::available_parallelism().map_or(0, std::num::NonZeroUsize::get),
        if cfg!(debug_assertions) {
            "debug (numbers meaningless: use --release)"
        } else {
            "release"
        }
    );
    let signer = Signer::from_seed(&[7; 32], "did:india", "bench");
    let mut trust = TrustStore::new();
    trust.insert(signer.verification_method(), TrustedKey::Ed25519(signer.verifying_key()));
    let inputs: Vec<_> = (0..n).map(|i| sample_input(version(i), i)).collect();
    let ix = |i: u64| usize::try_from(i % n).unwrap_or(0);
    let creds: Vec<divoc::Credential> =
        inputs.iter().map(divoc::build).collect::<Result<_, _>>()?;
    let values: Vec<serde_json::Value> =
        creds.iter().map(serde_json::to_value).collect::<Result<_, _>>()?;
    let signed: Vec<String> = inputs
        .iter()
        .map(|i| suite::issue(i, &signer).map(|(_, json)| json))
        .collect::<Result<_, _>>()?;

    println!("\n-- where the time goes (one thread) --");
    per_op("build credential", n, |i| {
        let _ = divoc::build(&inputs[ix(i)]);
    });
    per_op("canonicalize: template + URDNA2015 labels", n, |i| {
        let _ = canon::template_nquads(&creds[ix(i)]);
    });
    per_op("canonicalize: json-ld 1.1 expansion + URDNA2015", (n / 20).max(50), |i| {
        let _ = canon::jsonld_nquads(&values[ix(i)]);
    });
    per_op("sign (c14n of doc and proof, SHA-256, Ed25519)", n, |i| {
        let _ = suite::sign(&creds[ix(i)], &signer, inputs[ix(i)].issuance_date);
    });
    per_op("verify (strict parse, c14n, Ed25519, binding)", n, |i| {
        let _ = suite::verify(signed[ix(i)].as_bytes(), &trust);
    });
    per_op("zip certificate.json", n / 5, |i| {
        let _ = tika_credentials::qr::zip_credential(&signed[ix(i)]);
    });
    let zips: Vec<Vec<u8>> = signed
        .iter()
        .take(200)
        .map(|s| tika_credentials::qr::zip_credential(s))
        .collect::<Result<_, _>>()?;
    per_op("QR encode (byte mode, level M, ~1 KB)", 200, |i| {
        let _ = tika_credentials::qr::qr_code(&zips[usize::try_from(i % 200).unwrap_or(0)]);
    });
    let settings = CertificateSettings::default();
    let now = chrono::Utc::now();
    let docs: Vec<_> = signed
        .iter()
        .take(50)
        .map(|s| pdf_document(&settings, s, now, 330))
        .collect::<Result<_, _>>()?;
    per_op("PDF layout + write (QR given)", 50, |i| {
        let _ = tika_pdf::render_certificate(&docs[usize::try_from(i % 50).unwrap_or(0)]);
    });

    println!("\n-- throughput --");
    let errors = std::sync::atomic::AtomicU64::new(0);
    let sign_rate = parallel("issue (build + sign + JSON)", n, threads, |i| {
        if suite::issue(&inputs[ix(i)], &signer).is_err() {
            errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    });
    let verify_rate = parallel("verify", n, threads, |i| {
        if suite::verify(signed[ix(i)].as_bytes(), &trust).is_err() {
            errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    });
    let pdfs = args.pdfs.max(1);
    let pdf_rate = parallel("PDF (zip + QR + layout + write)", pdfs, threads, |i| {
        let ok = pdf_document(&settings, &signed[ix(i)], now, 330)
            .ok()
            .and_then(|d| tika_pdf::render_certificate(&d).ok());
        if ok.is_none() {
            errors.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
    });
    let errors = errors.into_inner();
    if errors > 0 {
        anyhow::bail!("{errors} operations failed");
    }
    println!(
        "\ntargets: issue {} (≥ 5,000/s), verify {} (≥ 5,000/s), PDF {} (≥ 200/s)",
        verdict(sign_rate, 5000.0),
        verdict(verify_rate, 5000.0),
        verdict(pdf_rate, 200.0)
    );
    if args.doses > 0 {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(args.common.server_threads.max(1))
            .enable_all()
            .build()?;
        runtime.block_on(job(args))?;
    }
    Ok(())
}

/// Letters for a number (names may not contain digits).
fn letters(mut n: u64) -> String {
    let mut s = String::new();
    loop {
        s.push(char::from(b'a' + u8::try_from(n % 26).unwrap_or(0)));
        n /= 26;
        if n == 0 {
            return s;
        }
    }
}

fn verdict(rate: f64, target: f64) -> String {
    format!("{rate:.0}/s {}", if rate >= target { "met" } else { "MISSED" })
}

/// Records doses through the store, then times the certificate job draining them.
async fn job(args: &CertsArgs) -> anyhow::Result<()> {
    let db = Database::prepare(&args.common).await?;
    let store: tika_storage::DynStore =
        tika_storage::connect(&db.url, args.common.read_connections).await?;
    let pack = Arc::new(tika_packs::india()?);
    let center = CenterId(1);
    let seed = run_seed();
    let demo = crate::demo::DemoSize { facilities: 1, days: 1 };
    let today = chrono::Utc::now().date_naive();
    crate::demo::load(&store, &pack, demo, today, 0).await?;
    let center = store.list_centers().await?.first().map_or(center, |c| c.id);
    println!("\n-- the certificate job on {} ({} doses) --", db.backend, args.doses);
    let t = Instant::now();
    for i in 0..args.doses {
        let n = seed * 100_000 + i;
        let account = store.upsert_account(&mobile(n)?, 0).await?.0.id;
        let person = store
            .create_beneficiary(
                &NewBeneficiaryRecord {
                    id: BeneficiaryId::new(),
                    reference_id: BeneficiaryRef::from_random(n.wrapping_mul(7919)),
                    account_id: account,
                    name: format!("Bench Person {}", letters(n)),
                    birth_year: 1980,
                    gender_id: 1,
                    photo_id_type: 1,
                    photo_id_hash: format!("bench-{n}-{}", aadhaar(n)),
                    photo_id_last4: aadhaar(n)[8..].to_owned(),
                    comorbidity: false,
                    created_at_ms: 0,
                },
                4,
            )
            .await?;
        store
            .record_vaccination(&Vaccination {
                id: VaccinationId::new(),
                beneficiary_id: person.id,
                dose: DoseNumber::FIRST,
                vaccine: VaccineCode::parse("COVISHIELD").map_err(|e| anyhow::anyhow!("{e}"))?,
                date: today,
                center_id: Some(center),
            })
            .await?;
    }
    println!("recorded {} doses in {:.1} s", args.doses, t.elapsed().as_secs_f64());
    let state = build_state(Parts {
        config: bench_config(args.common.read_connections),
        store: Arc::clone(&store),
        pack,
        keys: Keys::derive(b"bench master secret, at least 32 bytes long"),
        sms: bench_sms(),
        templates: bench_templates()?,
        clock: Arc::new(SystemClock),
        certificates: Some(Arc::new(Authority::ephemeral(
            "bench",
            CertificateSettings::default(),
        )?)),
    })
    .await?;
    let t = Instant::now();
    let mut issued = 0;
    loop {
        let k = process_pending(&state, 200).await?;
        if k == 0 {
            break;
        }
        issued += k;
    }
    let el = t.elapsed().as_secs_f64();
    println!(
        "job: {issued} events → certificates in {el:.2} s = {:.0} certificates/s (claim, facts, sign, store with audit and event, one writer)",
        issued as f64 / el
    );
    Ok(())
}
