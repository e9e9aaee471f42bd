//! `tika`: one binary for every role — serve the system, migrate, check the configuration,
//! benchmark.

mod admin;
mod bench;
mod campaign;
mod certs;
mod config;
mod demo;
mod demo_admin;
mod demo_site;
mod draw;
mod import;
mod messages;
mod run;
mod simulate;
mod site;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Tika: a national vaccination campaign platform (CoWIN-compatible).
#[derive(Debug, Parser)]
#[command(name = "tika", version, about)]
pub(crate) struct Cli {
    /// A TOML configuration file (`TIKA_*` variables and flags override it).
    #[arg(long, global = true, env = "TIKA_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the server (creates and migrates the database on first start).
    Serve(run::ServeArgs),
    /// Create or upgrade the database schema, then exit.
    Migrate(run::StoreArgs),
    /// Validate the configuration and print it with secrets redacted.
    CheckConfig(run::StoreArgs),
    /// Print a documented example configuration file.
    DefaultConfig,
    /// Officials' console accounts: create the first ones, list them.
    #[command(subcommand)]
    Admin(admin::AdminCommand),
    /// Manage the staff accounts of vaccination sites.
    #[command(subcommand)]
    Staff(site::StaffCommand),
    /// Issue vaccine batches to facilities.
    #[command(subcommand)]
    Batch(site::BatchCommand),
    /// The sync review queue: records from sites that need a decision.
    #[command(subcommand)]
    Review(site::ReviewCommand),
    /// Certificate signing keys (kept outside the database): generate, list, retire, publish.
    #[command(subcommand)]
    Keys(certs::KeysCommand),
    /// Certificates: export for independent verifiers, revoke.
    #[command(subcommand)]
    Certificates(certs::CertificatesCommand),
    /// Correction requests: list, approve, reject.
    #[command(subcommand)]
    Corrections(certs::CorrectionsCommand),
    /// Beneficiary records: merge duplicates of one person.
    #[command(subcommand)]
    Beneficiaries(certs::BeneficiariesCommand),
    /// The message queue: depth and age per lane, delivery rates, one mobile's messages.
    #[command(subcommand)]
    Messages(messages::MessagesCommand),
    // @cli-commands: each feature adds its subcommand variant directly below this line.
    /// The lucky draw: recompute a draw offline from its entry list and seed.
    #[command(subcommand)]
    Draw(draw::DrawCommand),
    /// Import lists of people (CSV/XLSX) as the console's upload does, with a progress bar.
    #[command(subcommand)]
    Import(import::ImportCommand),
    /// Simulations: `tika simulate loggers N` publishes temperature readings over MQTT;
    /// `tika simulate campaign` fills the report counters with a national campaign.
    #[command(subcommand)]
    Simulate(simulate::SimulateCommand),
    /// Measure the speed targets (search, booking storm, registrations) on this machine.
    #[command(subcommand)]
    Bench(bench::BenchCommand),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(async move {
        match cli.command {
            Command::Serve(args) => run::serve(cli.config.as_deref(), args).await,
            Command::Migrate(args) => run::migrate(cli.config.as_deref(), args).await,
            Command::CheckConfig(args) => run::check_config(cli.config.as_deref(), args),
            Command::Admin(c) => admin::admin(cli.config.as_deref(), c).await,
            Command::Staff(c) => site::staff(cli.config.as_deref(), c).await,
            Command::Batch(c) => site::batch(cli.config.as_deref(), c).await,
            Command::Review(c) => site::review(cli.config.as_deref(), c).await,
            Command::Keys(c) => certs::keys(cli.config.as_deref(), c),
            Command::Certificates(c) => certs::certificates(cli.config.as_deref(), c).await,
            Command::Corrections(c) => certs::corrections(cli.config.as_deref(), c).await,
            Command::Beneficiaries(c) => certs::beneficiaries(cli.config.as_deref(), c).await,
            Command::Messages(c) => messages::messages(cli.config.as_deref(), c).await,
            // @cli-dispatch: each feature adds its match arm directly below this line.
            Command::Draw(c) => draw::draw(c),
            Command::Import(c) => import::import(cli.config.as_deref(), c).await,
            Command::Simulate(c) => simulate::simulate(cli.config.as_deref(), c).await,
            Command::DefaultConfig => {
                print!("{}", config::Config::example_toml());
                Ok(())
            }
            // The benchmark builds its own server and load-generator runtimes.
            Command::Bench(b) => tokio::task::spawn_blocking(move || bench::run(b)).await?,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn verify_cli() {
        use clap::CommandFactory;
        super::Cli::command().debug_assert();
    }
}
