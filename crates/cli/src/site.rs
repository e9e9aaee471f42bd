//! Site administration from the command line until the admin console lands: staff accounts,
//! batches issued to facilities, and the sync review queue (national view).

use std::io::BufRead;
use std::path::Path;
use std::sync::Arc;

use clap::{Args, Subcommand};
use tika_domain::ids::{CenterId, ReviewId, StaffId};
use tika_domain::mobile::Mobile;
use tika_domain::staff::{StaffRole, Username, check_password};
use tika_domain::vaccine::VaccineCode;
use tika_storage::{Batch, NewStaff, ReviewAction, ReviewFilter, ReviewStatus};

use crate::run::{StoreArgs, open_configured_store};

/// `tika staff …`.
#[derive(Debug, Subcommand)]
pub(crate) enum StaffCommand {
    /// Create a staff account at a facility; the password is read from standard input.
    Add(StaffAdd),
    /// List a facility's staff.
    List {
        #[command(flatten)]
        store: StoreArgs,
        /// Facility id.
        #[arg(long)]
        center: i64,
    },
}

/// `tika staff add`.
#[derive(Debug, Args)]
pub(crate) struct StaffAdd {
    #[command(flatten)]
    store: StoreArgs,
    /// Facility id.
    #[arg(long)]
    center: i64,
    /// Login name (3–40 of a-z 0-9 . _ -).
    #[arg(long)]
    username: String,
    /// Display name.
    #[arg(long)]
    name: String,
    /// `vaccinator` or `facility_admin`.
    #[arg(long, default_value = "vaccinator")]
    role: String,
    /// Mobile number for OTP login.
    #[arg(long)]
    mobile: Option<String>,
}

/// `tika batch …`.
#[derive(Debug, Subcommand)]
pub(crate) enum BatchCommand {
    /// Issue a vaccine batch to a facility.
    Issue {
        #[command(flatten)]
        store: StoreArgs,
        /// Facility id.
        #[arg(long)]
        center: i64,
        /// Vaccine code (COVISHIELD, COVAXIN, …).
        #[arg(long)]
        vaccine: String,
        /// Batch (lot) number.
        #[arg(long)]
        batch: String,
        /// Expiry date, YYYY-MM-DD.
        #[arg(long)]
        expiry: String,
        /// Doses per vial (default: the vaccine's).
        #[arg(long)]
        doses_per_vial: Option<u16>,
    },
}

/// `tika review …`.
#[derive(Debug, Subcommand)]
pub(crate) enum ReviewCommand {
    /// List review items (all facilities, or one).
    List {
        #[command(flatten)]
        store: StoreArgs,
        /// Only this facility.
        #[arg(long)]
        center: Option<i64>,
        /// open, accepted or discarded (default open).
        #[arg(long, default_value = "open")]
        status: String,
    },
    /// Accept or discard a review item.
    Resolve {
        #[command(flatten)]
        store: StoreArgs,
        /// The item.
        id: String,
        /// accept or discard.
        #[arg(long)]
        action: String,
        /// Why (kept with the item).
        #[arg(long)]
        note: String,
    },
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

pub(crate) async fn staff(file: Option<&Path>, cmd: StaffCommand) -> anyhow::Result<()> {
    match cmd {
        StaffCommand::Add(a) => {
            let (store, _) = open_configured_store(file, &a.store).await?;
            let username = Username::parse(&a.username)?;
            let role = StaffRole::parse(&a.role)
                .ok_or_else(|| anyhow::anyhow!("--role must be vaccinator or facility_admin"))?;
            let mobile = a.mobile.as_deref().map(Mobile::parse).transpose()?;
            let center = store
                .find_center(CenterId(a.center))
                .await
                .map_err(|_| anyhow::anyhow!("facility {} does not exist", a.center))?;
            eprintln!("Password for {username} (read from standard input):");
            let mut password = String::new();
            std::io::stdin().lock().read_line(&mut password)?;
            let password = password.trim_end_matches(['\r', '\n']);
            check_password(&username, password)?;
            let staff = store
                .create_staff(&NewStaff {
                    id: StaffId::new(),
                    center_id: center.id,
                    username,
                    name: a.name,
                    mobile,
                    role,
                    password_hash: tika_server::services::staff::hash_password(password)?,
                    created_at_ms: now_ms(),
                })
                .await?;
            println!(
                "created {} ({}) at {} {}",
                staff.username,
                staff.role.as_str(),
                center.id,
                center.name
            );
        }
        StaffCommand::List { store, center } => {
            let (store, _) = open_configured_store(file, &store).await?;
            for s in store.list_staff(CenterId(center)).await? {
                println!(
                    "{}\t{}\t{}\t{}",
                    s.id,
                    s.username,
                    s.role.as_str(),
                    if s.active { "active" } else { "inactive" }
                );
            }
        }
    }
    Ok(())
}

pub(crate) async fn batch(file: Option<&Path>, cmd: BatchCommand) -> anyhow::Result<()> {
    let BatchCommand::Issue { store, center, vaccine, batch, expiry, doses_per_vial } = cmd;
    let (store, pack) = open_configured_store(file, &store).await?;
    let vaccine = VaccineCode::parse(&vaccine)
        .ok()
        .and_then(|v| pack.vaccine(&v).cloned())
        .ok_or_else(|| anyhow::anyhow!("unknown vaccine {vaccine}"))?;
    let expiry = chrono::NaiveDate::parse_from_str(&expiry, "%Y-%m-%d")
        .map_err(|_| anyhow::anyhow!("--expiry must be YYYY-MM-DD"))?;
    let batch = batch.trim().to_owned();
    if batch.is_empty() || batch.len() > 40 {
        anyhow::bail!("--batch must be 1 to 40 characters");
    }
    store
        .find_center(CenterId(center))
        .await
        .map_err(|_| anyhow::anyhow!("facility {center} does not exist"))?;
    store
        .issue_batch(&Batch {
            center_id: CenterId(center),
            batch: batch.clone(),
            vaccine: vaccine.code.clone(),
            expiry,
            doses_per_vial: doses_per_vial.or(vaccine.doses_per_vial).unwrap_or(10),
            issued_at_ms: now_ms(),
        })
        .await?;
    println!("issued batch {batch} of {} to facility {center}", vaccine.code);
    Ok(())
}

pub(crate) async fn review(file: Option<&Path>, cmd: ReviewCommand) -> anyhow::Result<()> {
    match cmd {
        ReviewCommand::List { store, center, status } => {
            let (store, _) = open_configured_store(file, &store).await?;
            let status = ReviewStatus::parse(&status)
                .ok_or_else(|| anyhow::anyhow!("--status must be open, accepted or discarded"))?;
            let filter =
                ReviewFilter { center: center.map(CenterId), status: Some(status), session: None };
            for item in store.list_reviews(&filter).await? {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}",
                    item.id,
                    item.center_id,
                    item.record.session_id,
                    item.record.body.kind(),
                    item.code.as_str(),
                    item.code.message()
                );
            }
        }
        ReviewCommand::Resolve { store, id, action, note } => {
            let (store, pack) = open_configured_store(file, &store).await?;
            let id: ReviewId = id.parse().map_err(|_| anyhow::anyhow!("not a review id"))?;
            let action = match action.as_str() {
                "accept" => ReviewAction::Accept,
                "discard" => ReviewAction::Discard,
                _ => anyhow::bail!("--action must be accept or discard"),
            };
            if note.trim().is_empty() {
                anyhow::bail!("--note is required");
            }
            let item = store
                .resolve_review(id, action, note.trim(), "cli", now_ms(), Arc::clone(&pack))
                .await?;
            println!("{} is now {}", item.id, item.status.as_str());
        }
    }
    Ok(())
}
