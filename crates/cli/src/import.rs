//! `tika import people FILE [--dry-run]`: imports a list of people (CSV or XLSX) into the
//! configured database through the same code as the console's upload
//! ([`tika_server::services::admin::bulk`]), with a progress bar (rows/s, ETA).
//!
//! The CLI acts nationally (every row's place is accepted) and is audited as `cli`.  The
//! counts are printed and the error report is written next to the file (`FILE.errors.csv`,
//! also in a dry run, which checks every row and stores nothing).  The exit code is non-zero
//! when any row failed or the import stopped.

use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::Context;
use chrono::Datelike;
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use tika_domain::admin::Area;
use tika_domain::ids::ImportId;
use tika_server::keys::Keys;
use tika_server::services::admin::bulk::{
    ImportRun, JobSpec, create_job, execute, file_sha256, read_sheet, report_csv,
};

use crate::config::Config;
use crate::run::{StoreArgs, load_config_for, open_configured_store};

/// `tika import …`.
#[derive(Debug, Subcommand)]
pub(crate) enum ImportCommand {
    /// Import a list of people (columns: see /console/people/sample.csv).
    People(PeopleArgs),
}

/// `tika import people`.
#[derive(Debug, Args)]
pub(crate) struct PeopleArgs {
    #[command(flatten)]
    store: StoreArgs,
    /// The CSV or XLSX file.
    file: PathBuf,
    /// Check every row and write the error report, storing nothing.
    #[arg(long)]
    dry_run: bool,
}

/// The photo-id key must be the server's: the master secret as `tika serve` reads it.
fn keys(config: &Config) -> anyhow::Result<Keys> {
    if let Some(k) = &config.secret_key {
        return Ok(Keys::derive(k.as_bytes()));
    }
    let path = config.data_dir.join("secret.key");
    let text = std::fs::read_to_string(&path).with_context(|| {
        format!(
            "cannot read {} (start `tika serve` once, or set TIKA_SECRET_KEY as the server has it)",
            path.display()
        )
    })?;
    Ok(Keys::derive(&hex::decode(text.trim()).context("secret.key is not hex")?))
}

/// Where the error report of `file` goes.
fn report_path(file: &Path) -> PathBuf {
    let mut name = file.as_os_str().to_owned();
    name.push(".errors.csv");
    PathBuf::from(name)
}

pub(crate) async fn import(file: Option<&Path>, cmd: ImportCommand) -> anyhow::Result<()> {
    let ImportCommand::People(args) = cmd;
    let config = load_config_for(file, &args.store)?;
    let keys = keys(&config)?;
    let (store, pack) = open_configured_store(file, &args.store).await?;
    let bytes = std::fs::read(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let name = args.file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let sha = file_sha256(&bytes);
    let sheet = read_sheet(&name, bytes).map_err(|e| anyhow::anyhow!("{}", e.message()))?;
    let total = sheet.rows.len() as u64;
    let run = ImportRun {
        store,
        max_per_mobile: config
            .max_beneficiaries_per_mobile
            .unwrap_or(pack.max_beneficiaries_per_mobile),
        pack,
        keys,
        current_year: chrono::Utc::now().year(),
        area: Area::National,
        job: ImportId::new(),
        dry_run: args.dry_run,
    };
    let spec =
        JobSpec { actor: "cli".into(), file_name: name, file_sha256: sha, total_rows: total };
    let now = || chrono::Utc::now().timestamp_millis();
    if !args.dry_run {
        create_job(&run, &spec, now()).await.map_err(|e| anyhow::anyhow!("{}", e.message()))?;
    }

    let bar = ProgressBar::new(total);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} rows  {per_sec}  ETA {eta}  {msg}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    bar.enable_steady_tick(Duration::from_millis(200));
    let started = std::time::Instant::now();
    let result = execute(&run, sheet, &spec, now, |c| {
        bar.set_position(c.processed);
        bar.set_message(format!("{} failed", c.failed));
    })
    .await;
    bar.finish_and_clear();
    let secs = started.elapsed().as_secs_f64();

    let c = result.counts;
    let report = report_path(&args.file);
    std::fs::write(&report, report_csv(&result.errors))
        .with_context(|| format!("cannot write {}", report.display()))?;
    if args.dry_run {
        println!(
            "dry run: {} rows checked in {secs:.1} s: {} good, {} failed (nothing stored)",
            c.processed, c.inserted, c.failed
        );
    } else {
        println!(
            "import {}: {} rows in {secs:.1} s ({:.0} rows/s): {} new, {} updated, {} unchanged, {} failed",
            run.job,
            c.processed,
            c.processed as f64 / secs.max(0.001),
            c.inserted,
            c.updated,
            c.unchanged,
            c.failed
        );
    }
    println!("error report: {}", report.display());
    if let Some(why) = result.failure {
        anyhow::bail!("the import stopped: {why} (re-run it to complete: stored rows stay)");
    }
    if c.failed > 0 {
        anyhow::bail!("{} rows failed (see {})", c.failed, report.display());
    }
    Ok(())
}
