//! `tika keys …` (certificate signing keys, kept outside the database) and
//! `tika certificates …` (export, revoke), `tika corrections …`, `tika beneficiaries merge`.

use std::path::{Path, PathBuf};

use anyhow::Context;
use clap::{Args, Subcommand};
use tika_credentials::keys::Keyring;

use crate::config::Config;
use crate::run::{StoreArgs, load_config_for};

/// `tika keys`.
#[derive(Debug, Subcommand)]
pub(crate) enum KeysCommand {
    /// Generate a new Ed25519 signing key; it becomes the active key (older keys keep verifying).
    Generate {
        #[command(flatten)]
        store: StoreArgs,
        /// Key ID (letters, digits, `.`, `_`, `-`); default `k<date>` with a suffix if taken.
        #[arg(long)]
        kid: Option<String>,
    },
    /// List the keys: ID, created, status, public key.
    List(StoreArgs),
    /// Retire a key: it signs nothing new, but certificates it signed still verify.
    Retire {
        #[command(flatten)]
        store: StoreArgs,
        /// The key ID.
        kid: String,
    },
    /// Print the public keys document (what `/.well-known/tika/keys.json` serves).
    Public(StoreArgs),
}

/// The key directory and the settings from the configuration.
fn keys_config(file: Option<&Path>, store: &StoreArgs) -> anyhow::Result<Config> {
    load_config_for(file, store)
}

/// A key ID from today's date, not yet used in `dir`.
fn default_kid(dir: &Path) -> String {
    let base = format!("k{}", chrono::Utc::now().format("%Y%m%d"));
    let mut kid = base.clone();
    let mut n = 2;
    while dir.join(format!("{kid}.json")).exists() {
        kid = format!("{base}-{n}");
        n += 1;
    }
    kid
}

pub(crate) fn keys(file: Option<&Path>, command: KeysCommand) -> anyhow::Result<()> {
    match command {
        KeysCommand::Generate { store, kid } => {
            let config = keys_config(file, &store)?;
            let dir = config.keys_dir();
            let kid = kid.unwrap_or_else(|| default_kid(&dir));
            let entry = Keyring::generate(&dir, &kid)?;
            println!(
                "generated key {} in {} (public key {}); it is now the active signing key",
                entry.kid,
                dir.display(),
                entry.public_key_base58()
            );
            println!("verification method: {}#{}", config.certificate_did, entry.kid);
            Ok(())
        }
        KeysCommand::List(store) => {
            let config = keys_config(file, &store)?;
            let ring = Keyring::load(&config.keys_dir(), &config.certificate_did)?;
            let active = ring.active().map(|k| k.kid.clone());
            println!("{:<24} {:<20} {:<8} public key (base58)", "kid", "created", "status");
            for k in ring.keys() {
                let status = if k.retired {
                    "retired"
                } else if Some(&k.kid) == active.as_ref() {
                    "active"
                } else {
                    "valid"
                };
                println!(
                    "{:<24} {:<20} {:<8} {}",
                    k.kid,
                    k.created.format("%Y-%m-%d %H:%M:%S"),
                    status,
                    k.public_key_base58()
                );
            }
            Ok(())
        }
        KeysCommand::Retire { store, kid } => {
            let config = keys_config(file, &store)?;
            Keyring::retire(&config.keys_dir(), &kid)?;
            println!("retired key {kid}: it signs nothing new and still verifies");
            Ok(())
        }
        KeysCommand::Public(store) => {
            let config = keys_config(file, &store)?;
            let ring = Keyring::load(&config.keys_dir(), &config.certificate_did)?;
            let doc = ring.public_keys(&config.certificate_settings().issuer);
            println!("{}", serde_json::to_string_pretty(&doc)?);
            Ok(())
        }
    }
}

/// The keyring for the server: loaded, or (first start, like the secret key) a first key is
/// generated so a demo or a fresh install issues certificates at once.
pub(crate) fn load_or_create_keyring(config: &Config) -> anyhow::Result<Keyring> {
    let dir: PathBuf = config.keys_dir();
    let has_keys = std::fs::read_dir(&dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .any(|e| e.path().extension().is_some_and(|x| x == "json"))
        })
        .unwrap_or(false);
    if !has_keys {
        let entry = Keyring::generate(&dir, &default_kid(&dir))
            .with_context(|| format!("cannot create a signing key in {}", dir.display()))?;
        tracing::info!(kid = %entry.kid, dir = %dir.display(), "created the first certificate signing key");
    }
    Keyring::load(&dir, &config.certificate_did)
        .with_context(|| format!("cannot load the signing keys in {}", dir.display()))
}

/// Flags of `tika certificates export`.
#[derive(Debug, Args)]
pub(crate) struct ExportArgs {
    #[command(flatten)]
    pub(crate) store: StoreArgs,
    /// Directory to write into (created).
    #[arg(long)]
    pub(crate) out: PathBuf,
    /// At most this many certificates (newest first).
    #[arg(long, default_value_t = 20)]
    pub(crate) limit: u32,
    /// Also write the fixed names the verifier cross-checks read: `v1.json` and `v1-qr.png`
    /// (a live domestic certificate), `v2.json` (a live international one), `revoked.json`,
    /// and `tampered-swap.json` (v1 with dose and totalDoses swapped after signing).
    #[arg(long)]
    pub(crate) samples: bool,
}

/// `tika certificates`.
#[derive(Debug, Subcommand)]
pub(crate) enum CertificatesCommand {
    /// Write recent live certificates (JSON and QR PNG) and the public keys to a directory, for
    /// independent verifiers, DigiLocker-style pushes or inspection.
    Export(ExportArgs),
    /// Revoke a certificate (it goes on the signed revocation list).
    Revoke {
        #[command(flatten)]
        store: StoreArgs,
        /// The 11-digit certificate ID.
        certificate_id: String,
        /// Why (kept in the list and the audit log).
        #[arg(long)]
        reason: String,
    },
}

/// `tika corrections`.
#[derive(Debug, Subcommand)]
pub(crate) enum CorrectionsCommand {
    /// List correction requests.
    List {
        #[command(flatten)]
        store: StoreArgs,
        /// `pending`, `approved` or `rejected`.
        #[arg(long, default_value = "pending")]
        status: String,
    },
    /// Approve a request: the change is applied and the certificates re-issued.
    Approve {
        #[command(flatten)]
        store: StoreArgs,
        /// Request id.
        id: String,
        /// Note for the record.
        #[arg(long, default_value = "")]
        note: String,
    },
    /// Reject a request (the field stays correctable).
    Reject {
        #[command(flatten)]
        store: StoreArgs,
        /// Request id.
        id: String,
        /// Why.
        #[arg(long)]
        note: String,
    },
}

/// `tika beneficiaries`.
#[derive(Debug, Subcommand)]
pub(crate) enum BeneficiariesCommand {
    /// Merge two records of one person: doses move to KEEP and are renumbered by date,
    /// certificates are revoked and re-issued.
    Merge {
        #[command(flatten)]
        store: StoreArgs,
        /// Reference id of the record to keep.
        keep: String,
        /// Reference id of the duplicate.
        drop: String,
    },
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

pub(crate) async fn certificates(
    file: Option<&Path>,
    command: CertificatesCommand,
) -> anyhow::Result<()> {
    match command {
        CertificatesCommand::Export(args) => export(file, args).await,
        CertificatesCommand::Revoke { store, certificate_id, reason } => {
            if reason.trim().is_empty() {
                anyhow::bail!("--reason is required");
            }
            let (store, _) = crate::run::open_configured_store(file, &store).await?;
            let rec = store
                .revoke_certificate(certificate_id.trim(), reason.trim(), "cli", now_ms())
                .await?;
            println!(
                "certificate {} is revoked ({})",
                rec.certificate_id,
                rec.revoke_reason.unwrap_or_default()
            );
            Ok(())
        }
    }
}

async fn export(file: Option<&Path>, args: ExportArgs) -> anyhow::Result<()> {
    let config = load_config_for(file, &args.store)?;
    let (store, _) = crate::run::open_configured_store(file, &args.store).await?;
    let ring = Keyring::load(&config.keys_dir(), &config.certificate_did)?;
    std::fs::create_dir_all(&args.out)
        .with_context(|| format!("cannot create {}", args.out.display()))?;
    let doc = ring.public_keys(&config.certificate_settings().issuer);
    std::fs::write(args.out.join("trust.json"), serde_json::to_string_pretty(&doc)?)?;
    let certs = store.recent_certificates(args.limit).await?;
    let mut live = 0;
    let mut revoked = 0;
    for c in &certs {
        let name = if c.revoked_at_ms.is_some() {
            revoked += 1;
            format!("revoked-{}", c.certificate_id)
        } else {
            live += 1;
            c.certificate_id.clone()
        };
        std::fs::write(args.out.join(format!("{name}.json")), &c.credential)?;
        let zip = tika_credentials::qr::zip_credential(&c.credential)?;
        let code = tika_credentials::qr::qr_code(&zip)?;
        std::fs::write(
            args.out.join(format!("{name}-qr.png")),
            tika_credentials::qr::qr_png(&code, 4)?,
        )?;
    }
    println!(
        "wrote {live} live and {revoked} revoked certificates (JSON and QR PNG) and trust.json to {}",
        args.out.display()
    );
    if args.samples {
        write_samples(&args.out, &certs)?;
    }
    Ok(())
}

fn write_samples(out: &Path, certs: &[tika_storage::CertificateRecord]) -> anyhow::Result<()> {
    use tika_storage::CertificateKind;
    let live =
        |kind: CertificateKind| certs.iter().find(|c| c.revoked_at_ms.is_none() && c.kind == kind);
    let v1 = live(CertificateKind::Domestic)
        .ok_or_else(|| anyhow::anyhow!("no live domestic certificate to use as v1.json"))?;
    std::fs::write(out.join("v1.json"), &v1.credential)?;
    let zip = tika_credentials::qr::zip_credential(&v1.credential)?;
    let code = tika_credentials::qr::qr_code(&zip)?;
    std::fs::write(out.join("v1-qr.png"), tika_credentials::qr::qr_png(&code, 4)?)?;
    let mut swapped: serde_json::Value = serde_json::from_str(&v1.credential)?;
    if let Some(ev) = swapped.pointer_mut("/evidence/0").and_then(serde_json::Value::as_object_mut)
    {
        let dose = ev.get("dose").cloned().unwrap_or_default();
        let total = ev.get("totalDoses").cloned().unwrap_or_default();
        ev.insert("dose".into(), total);
        ev.insert("totalDoses".into(), dose);
    }
    std::fs::write(out.join("tampered-swap.json"), serde_json::to_string(&swapped)?)?;
    if let Some(v2) = live(CertificateKind::International) {
        std::fs::write(out.join("v2.json"), &v2.credential)?;
    }
    if let Some(r) = certs.iter().find(|c| c.revoked_at_ms.is_some()) {
        std::fs::write(out.join("revoked.json"), &r.credential)?;
    }
    println!(
        "wrote the sample names (v1.json, v1-qr.png, v2.json, revoked.json, tampered-swap.json)"
    );
    Ok(())
}

pub(crate) async fn corrections(
    file: Option<&Path>,
    command: CorrectionsCommand,
) -> anyhow::Result<()> {
    use tika_storage::{CorrectionDecision, CorrectionFilter, CorrectionStatus};
    let (store_args, id, note, decision) = match command {
        CorrectionsCommand::List { store, status } => {
            let status = CorrectionStatus::parse(&status)
                .ok_or_else(|| anyhow::anyhow!("--status must be pending, approved or rejected"))?;
            let (store, _) = crate::run::open_configured_store(file, &store).await?;
            let list = store
                .list_corrections(&CorrectionFilter { status: Some(status), beneficiary: None })
                .await?;
            for r in list {
                println!(
                    "{}\t{}\t{}\t{:?} -> {:?}\t{}",
                    r.id,
                    r.field.as_str(),
                    r.status.as_str(),
                    r.old_value,
                    r.new_value,
                    r.reason
                );
            }
            return Ok(());
        }
        CorrectionsCommand::Approve { store, id, note } => {
            (store, id, note, CorrectionDecision::Approve)
        }
        CorrectionsCommand::Reject { store, id, note } => {
            if note.trim().is_empty() {
                anyhow::bail!("--note is required to reject");
            }
            (store, id, note, CorrectionDecision::Reject)
        }
    };
    let id: uuid::Uuid = id.trim().parse().map_err(|_| anyhow::anyhow!("not a request id"))?;
    let (store, _) = crate::run::open_configured_store(file, &store_args).await?;
    let r = store.decide_correction(id, decision, "cli", note.trim(), now_ms()).await?;
    println!("{} is now {}", r.id, r.status.as_str());
    Ok(())
}

pub(crate) async fn beneficiaries(
    file: Option<&Path>,
    command: BeneficiariesCommand,
) -> anyhow::Result<()> {
    match command {
        BeneficiariesCommand::Merge { store, keep, drop } => {
            let (store, _) = crate::run::open_configured_store(file, &store).await?;
            let find = |r: String| {
                let store = std::sync::Arc::clone(&store);
                async move {
                    let reference = tika_domain::ids::BeneficiaryRef::parse(r.trim())
                        .map_err(|_| anyhow::anyhow!("{r:?} is not a beneficiary reference id"))?;
                    anyhow::Ok(store.find_beneficiary_by_ref(&reference).await?)
                }
            };
            let keep = find(keep).await?;
            let drop = find(drop).await?;
            let out = store.merge_beneficiaries(keep.id, drop.id, "cli", now_ms()).await?;
            println!(
                "merged: {} doses moved, {} renumbered, {} certificates revoked, {} re-issues queued, {} appointments cancelled",
                out.moved_doses,
                out.renumbered,
                out.revoked.len(),
                out.reissue_events,
                out.cancelled_appointments
            );
            Ok(())
        }
    }
}
