//! `tika bench`: rerunnable benchmarks of issue #2's speed targets, measured on this machine.
//!
//! The server runs in this process, built exactly as `tika serve` builds it
//! ([`Application::build`]), on its own multi-threaded tokio runtime (2 worker threads by
//! default), bound to `127.0.0.1:0`.  The load generator ([`load`]) runs on a separate runtime
//! with its own threads and talks to the server over real loopback TCP connections with a
//! keep-alive HTTP/1.1 client.  Setup work (demo data, accounts, tokens) is done directly
//! through the store and the services and is never timed.
//!
//! Every benchmark prints a Markdown table row ready to paste into `BENCHMARKS.md`.

mod assign;
mod booking;
mod certs;
mod import;
mod ingest;
mod load;
mod notify;
mod registration;
mod reports;
mod search;
mod suite;
mod sync;

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use async_trait::async_trait;
use clap::{Args, Subcommand};
use futures::StreamExt;
use hdrhistogram::Histogram;
use sqlx::Connection;
use tika_domain::country::CountryPack;
use tika_domain::ids::AccountId;
use tika_domain::mobile::Mobile;
use tika_server::app::{Application, Parts};
use tika_server::clock::{Clock, SystemClock};
use tika_server::keys::Keys;
use tika_server::services::auth::{Scope, issue_token};
use tika_server::sms::{Accepted, GatewayError, GatewayPool, OutgoingSms, SmsGateway};
use tika_server::{AppState, ServerConfig};
use tika_storage::{DynStore, SqlStore};
use tokio::runtime::Runtime;

/// The benchmarks.
#[derive(Debug, Subcommand)]
pub(crate) enum BenchCommand {
    /// Slot search (`findByPin`, `calendarByDistrict`) over national-scale demo data.
    Search(search::SearchArgs),
    /// 10,000 concurrent booking attempts on one 150-seat session.
    Booking(booking::BookingArgs),
    /// Sustained beneficiary registrations.
    Registration(registration::RegistrationArgs),
    /// Many vaccination sites uploading their doses at once (`POST /api/site/v1/sync`).
    Sync(sync::SyncArgs),
    /// Certificates: signing, verification, canonicalization, PDF rendering, the job.
    Certs(certs::CertsArgs),
    /// Notifications: outbox event → SMS gateway hand-off, and OTP latency under a backlog.
    Notify(notify::NotifyArgs),
    // @bench-commands: each feature adds its variant directly below this line.
    /// Assignment of 4.69 lakh listed people to sessions near them, end to end.
    Assign(assign::AssignArgs),
    /// A list of people (4.69 lakh rows) imported as the console does, then re-run.
    Import(import::ImportArgs),
    /// Cold chain: readings from 25,000 simulated loggers over MQTT into the database, and the
    /// alarm latency.
    Ingest(ingest::IngestArgs),
    /// Reports and the public dashboard on a campaign from `tika simulate campaign`, while doses
    /// arrive at 1,000/s: query latency and how soon a dose is counted.
    Reports(reports::ReportsArgs),
    /// Suite: OTP, confirmation and registration for many new mobiles (target 2,000/s).
    RegistrationStorm(suite::SuiteArgs),
    /// Suite: `findByPin` by pincode popularity and `calendarByDistrict` (target 20,000/s).
    SlotSearch(suite::SuiteArgs),
    /// Suite: 10,000 clients racing for one session's 150 seats.
    SlotStorm(suite::SuiteArgs),
    /// Suite: sites syncing doses, certificates signed, messages queued (target 2,000 doses/s).
    VaccinationDay(suite::SuiteArgs),
    /// Suite: holders downloading their certificate PDFs (target 1,000/s).
    CertificateDownloads(suite::SuiteArgs),
    /// Suite: all of the above together at a quarter of their rates.
    MixedPeak(suite::SuiteArgs),
}

/// Where the database is, and how the two runtimes are sized.
#[derive(Debug, Args, Clone)]
pub(crate) struct CommonArgs {
    /// Database URL, `sqlite://…` or `postgres://…` (default: a fresh SQLite file in a
    /// temporary directory, removed after).
    #[arg(long, conflicts_with = "fresh_pg")]
    pub(crate) database_url: Option<String>,
    /// Create a fresh PostgreSQL database `tika_bench_<random>` through this admin URL
    /// (e.g. `postgres://postgres@127.0.0.1:5432/postgres`), run on it, and drop it after.
    #[arg(long, value_name = "ADMIN_URL")]
    pub(crate) fresh_pg: Option<String>,
    /// Worker threads of the server's runtime.
    #[arg(long, default_value_t = 2)]
    pub(crate) server_threads: usize,
    /// Worker threads of the load generator's runtime.
    #[arg(long, default_value_t = 2)]
    pub(crate) client_threads: usize,
    /// Database read connections (as `TIKA_READ_CONNECTIONS`).
    #[arg(long, default_value_t = 4)]
    pub(crate) read_connections: u32,
}

/// Runs one benchmark (called off the main runtime: it builds its own two runtimes).
pub(crate) fn run(command: BenchCommand) -> anyhow::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_from_env("TIKA_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let _ = tracing_subscriber::fmt().with_env_filter(filter).with_target(false).try_init();
    match command {
        BenchCommand::Search(args) => search::run(&args),
        BenchCommand::Booking(args) => booking::run(&args),
        BenchCommand::Registration(args) => registration::run(&args),
        BenchCommand::Sync(args) => sync::run(&args),
        BenchCommand::Certs(args) => certs::run(&args),
        BenchCommand::Notify(args) => notify::run(&args),
        BenchCommand::Assign(args) => assign::run(&args),
        BenchCommand::Import(args) => import::run(&args),
        BenchCommand::Ingest(args) => ingest::run(&args),
        BenchCommand::Reports(args) => reports::run(&args),
        BenchCommand::RegistrationStorm(args) => {
            suite::run(suite::Scenario::RegistrationStorm, &args)
        }
        BenchCommand::SlotSearch(args) => suite::run(suite::Scenario::SlotSearch, &args),
        BenchCommand::SlotStorm(args) => suite::run(suite::Scenario::SlotStorm, &args),
        BenchCommand::VaccinationDay(args) => suite::run(suite::Scenario::VaccinationDay, &args),
        BenchCommand::CertificateDownloads(args) => {
            suite::run(suite::Scenario::CertificateDownloads, &args)
        }
        BenchCommand::MixedPeak(args) => suite::run(suite::Scenario::MixedPeak, &args),
    }
}

/// Parses `10s`, `500ms`, `2m` or a bare number of seconds.
pub(crate) fn parse_duration(s: &str) -> Result<Duration, String> {
    let s = s.trim();
    let (number, unit) = match s.find(|c: char| !c.is_ascii_digit() && c != '.') {
        Some(i) => (&s[..i], s[i..].trim()),
        None => (s, "s"),
    };
    let value: f64 = number.parse().map_err(|_| format!("invalid duration {s:?}"))?;
    let seconds = match unit {
        "ms" => value / 1000.0,
        "s" => value,
        "m" | "min" => value * 60.0,
        _ => return Err(format!("invalid duration unit in {s:?} (use ms, s or m)")),
    };
    if !(seconds.is_finite() && seconds > 0.0 && seconds <= 3600.0) {
        return Err(format!("duration {s:?} must be more than 0 and at most 1 hour"));
    }
    Ok(Duration::from_secs_f64(seconds))
}

/// Latency percentiles and throughput of a run.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Summary {
    /// Requests measured.
    pub(crate) count: u64,
    /// Requests per second over the window.
    pub(crate) rate: f64,
    /// Median latency, ms.
    pub(crate) p50_ms: f64,
    /// 90th percentile, ms.
    pub(crate) p90_ms: f64,
    /// 99th percentile, ms.
    pub(crate) p99_ms: f64,
    /// Slowest, ms.
    pub(crate) max_ms: f64,
}

impl Summary {
    /// Summarises a histogram of microseconds measured over `window`.
    pub(crate) fn of(h: &Histogram<u64>, window: Duration) -> Self {
        let ms = |us: u64| us as f64 / 1000.0;
        let count = h.len();
        let secs = window.as_secs_f64();
        Self {
            count,
            rate: if secs > 0.0 { count as f64 / secs } else { 0.0 },
            p50_ms: ms(h.value_at_quantile(0.50)),
            p90_ms: ms(h.value_at_quantile(0.90)),
            p99_ms: ms(h.value_at_quantile(0.99)),
            max_ms: ms(h.max()),
        }
    }
}

/// `12345` → `12,345`.
pub(crate) fn thousands(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// A latency in ms with sensible precision.
pub(crate) fn ms(v: f64) -> String {
    if v < 10.0 { format!("{v:.2}") } else { format!("{v:.1}") }
}

/// A byte count as B / KiB.
pub(crate) fn bytes(n: u64) -> String {
    if n < 10_240 { format!("{n} B") } else { format!("{:.1} KiB", n as f64 / 1024.0) }
}

/// Prints a Markdown table header and its separator.
pub(crate) fn print_header(columns: &[&str]) {
    println!("| {} |", columns.join(" | "));
    println!("|{}", " --- |".repeat(columns.len()));
}

/// Prints one Markdown row.
pub(crate) fn print_row(cells: &[String]) {
    println!("| {} |", cells.join(" | "));
}

/// The benchmark's SMS sink: a gateway that takes every message at once and counts them.  For
/// benchmarks only, so that no real gateway (not even the demo's file) is part of what is
/// measured, unless a scenario measures the hand-off itself.
#[derive(Default)]
pub(crate) struct BenchSink {
    pub(crate) taken: std::sync::atomic::AtomicU64,
}

#[async_trait]
impl SmsGateway for BenchSink {
    fn name(&self) -> &str {
        "bench-sink"
    }

    async fn send(&self, _sms: &OutgoingSms) -> Result<Accepted, GatewayError> {
        self.taken.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        Ok(Accepted { gateway_ref: None })
    }

    fn max_per_second(&self) -> u32 {
        1_000_000
    }
}

/// A pool holding only the sink.
pub(crate) fn bench_sms() -> Arc<GatewayPool> {
    Arc::new(GatewayPool::new(vec![Arc::new(BenchSink::default())]))
}

/// The built-in message templates.
pub(crate) fn bench_templates() -> anyhow::Result<Arc<tika_domain::templates::TemplateSet>> {
    Ok(Arc::new(tika_packs::india_sms_templates().map_err(|e| anyhow::anyhow!("templates: {e}"))?))
}

/// The database a benchmark runs on, and what to clean up after.
pub(crate) struct Database {
    /// URL to open.
    pub(crate) url: String,
    /// `sqlite` or `postgres`.
    pub(crate) backend: &'static str,
    _dir: Option<tempfile::TempDir>,
    /// (admin URL, database name) of a database created for this run.
    created: Option<(String, String)>,
}

impl Database {
    /// Picks or creates the database named by the arguments.
    pub(crate) async fn prepare(args: &CommonArgs) -> anyhow::Result<Self> {
        sqlx::any::install_default_drivers();
        if let Some(admin) = &args.fresh_pg {
            let mut conn = sqlx::AnyConnection::connect(admin)
                .await
                .with_context(|| format!("cannot reach PostgreSQL at {}", redact(admin)))?;
            let name = format!("tika_bench_{}", uuid::Uuid::new_v4().simple());
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut conn)
                .await
                .context("cannot create the benchmark database")?;
            let _ = conn.close().await;
            let base = admin.split('?').next().unwrap_or(admin);
            let base = base.rsplit_once('/').map_or(base, |(b, _)| b);
            let url = format!("{base}/{name}");
            eprintln!("bench: created PostgreSQL database {name} (dropped at the end)");
            return Ok(Self {
                url,
                backend: "postgres",
                _dir: None,
                created: Some((admin.clone(), name)),
            });
        }
        if let Some(url) = &args.database_url {
            let backend = tika_storage::Backend::from_url(url)?.name();
            return Ok(Self { url: url.clone(), backend, _dir: None, created: None });
        }
        let dir = tempfile::Builder::new().prefix("tika-bench-").tempdir()?;
        let url = format!("sqlite://{}", dir.path().join("tika.db").display());
        Ok(Self { url, backend: "sqlite", _dir: Some(dir), created: None })
    }

    /// Drops a database created for this run (every connection to it must be gone or is
    /// forced off).
    pub(crate) async fn cleanup(self) -> anyhow::Result<()> {
        if let Some((admin, name)) = &self.created {
            let mut conn = sqlx::AnyConnection::connect(admin).await?;
            sqlx::query(sqlx::AssertSqlSafe(format!(
                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
            )))
            .execute(&mut conn)
            .await
            .with_context(|| format!("cannot drop {name}"))?;
            let _ = conn.close().await;
            eprintln!("bench: dropped PostgreSQL database {name}");
        }
        Ok(())
    }
}

fn redact(url: &str) -> String {
    crate::config::redact_url(url)
}

/// A runtime with `threads` workers whose threads carry `name`.
pub(crate) fn runtime(name: &str, threads: usize) -> anyhow::Result<Runtime> {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads.max(1))
        .thread_name(name)
        .enable_all()
        .build()
        .context("cannot start a runtime")
}

/// Opens (and migrates) the store.  Call on the server runtime: the group-commit writer task
/// lives where the store was opened.
pub(crate) async fn open_store(url: &str, read_connections: u32) -> anyhow::Result<Arc<SqlStore>> {
    tika_storage::connect(url, read_connections)
        .await
        .with_context(|| format!("cannot open database {}", redact(url)))
}

/// The server's settings for benchmarks: `TIKA`'s defaults, except the public rate limit is
/// off, the OTP limits are out of the way, and a partner key is set.
pub(crate) fn bench_config(read_connections: u32) -> ServerConfig {
    ServerConfig {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        public_rate_limit: 0,
        otp_per_ip_per_hour: 0,
        otp_per_mobile_per_day: 1_000_000,
        test_otp: None,
        api_keys: vec!["tika-bench-partner-key".to_owned()],
        max_beneficiaries_per_mobile: None,
        read_connections,
        ..ServerConfig::default()
    }
}

/// A server started in this process.
pub(crate) struct Server {
    /// Where it listens.
    pub(crate) addr: SocketAddr,
    /// Its shared state (for services called directly during setup).
    pub(crate) state: AppState,
    stop: tokio::sync::oneshot::Sender<()>,
    serving: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl Server {
    /// Builds the application like `tika serve` does and starts serving.  Call on the server
    /// runtime.
    pub(crate) async fn start(
        store: DynStore,
        pack: Arc<CountryPack>,
        config: ServerConfig,
    ) -> anyhow::Result<Self> {
        let mut master = [0u8; 32];
        getrandom::fill(&mut master).map_err(|e| anyhow::anyhow!("no randomness: {e}"))?;
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let app = Application::build(Parts {
            config,
            store,
            pack,
            keys: Keys::derive(&master),
            sms: bench_sms(),
            templates: bench_templates()?,
            clock,
            // The certificate job is measured on its own (`tika bench certs`).
            certificates: None,
        })
        .await?;
        let addr = app.local_addr()?;
        let state = app.state().clone();
        let (stop, stopped) = tokio::sync::oneshot::channel::<()>();
        let serving = tokio::spawn(app.run_until(async move {
            let _ = stopped.await;
        }));
        Ok(Self { addr, state, stop, serving })
    }

    /// Stops serving and waits for in-flight requests.
    pub(crate) async fn stop(self) {
        let _ = self.stop.send(());
        let _ = tokio::time::timeout(Duration::from_secs(10), self.serving).await;
    }
}

/// A valid, unique-per-`n` Aadhaar number: 11 digits from `n` (first digit 2–9) and the
/// Verhoeff check digit.
pub(crate) fn aadhaar(n: u64) -> String {
    let body = format!("{}", 20_000_000_000 + n % 80_000_000_000);
    let check = tika_domain::beneficiary::verhoeff_digit(&body).unwrap_or(0);
    format!("{body}{check}")
}

/// A valid mobile number, unique per `n` modulo 4·10^9.
pub(crate) fn mobile(n: u64) -> anyhow::Result<Mobile> {
    Mobile::parse(&format!("{}", 6_000_000_000 + n % 4_000_000_000))
        .map_err(|e| anyhow::anyhow!("bench mobile: {e}"))
}

/// A random number to keep generated ids apart between runs on a reused database.
pub(crate) fn run_seed() -> u64 {
    let mut b = [0u8; 8];
    let _ = getrandom::fill(&mut b);
    u64::from_le_bytes(b) % 1_000_000_000
}

/// One citizen account ready to call the protected API.
pub(crate) struct Citizen {
    /// The account.
    pub(crate) account: AccountId,
    /// A protected-scope bearer token for it.
    pub(crate) token: String,
}

/// Creates `n` accounts directly through the store and signs a token for each (untimed setup).
pub(crate) async fn make_citizens(
    state: &AppState,
    n: usize,
    seed: u64,
) -> anyhow::Result<Vec<Citizen>> {
    let now = state.now_ms();
    let created: Vec<anyhow::Result<Citizen>> = futures::stream::iter(0..n)
        .map(|i| async move {
            let mobile = mobile(seed.wrapping_mul(1_000_003).wrapping_add(i as u64))?;
            let (account, _) = state.store.upsert_account(&mobile, now).await?;
            let token = issue_token(state, account.id, Scope::Protected)
                .map_err(|e| anyhow::anyhow!("token: {e:?}"))?;
            Ok(Citizen { account: account.id, token })
        })
        .buffer_unordered(1_024)
        .collect()
        .await;
    created.into_iter().collect()
}

/// Reads the soft limit on open files from `/proc/self/limits` (Linux).
pub(crate) fn open_files_limit() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = text.lines().find(|l| l.starts_with("Max open files"))?;
    line.split_whitespace().nth(3)?.parse().ok()
}

/// How many client connections fit: each costs one descriptor on each side of the loopback.
pub(crate) fn max_connections() -> usize {
    let limit = open_files_limit().unwrap_or(1024);
    usize::try_from(limit.saturating_sub(512) / 2).unwrap_or(usize::MAX).max(1)
}

/// A description of the machine for the report's header line.
pub(crate) fn describe_run(backend: &str, args: &CommonArgs) -> String {
    format!(
        "backend={backend} server_threads={} client_threads={} read_connections={} cpus={} build={}",
        args.server_threads,
        args.client_threads,
        args.read_connections,
        std::thread::available_parallelism().map_or(0, std::num::NonZeroUsize::get),
        if cfg!(debug_assertions) {
            "debug (numbers meaningless: use --release)"
        } else {
            "release"
        }
    )
}

#[cfg(test)]
mod tests {
    use clap::Parser;

    use super::*;

    #[test]
    fn summary_reads_percentiles_and_rate() {
        let mut h = load::histogram();
        for ms in 1..=100u64 {
            load::record(&mut h, Duration::from_millis(ms));
        }
        let s = Summary::of(&h, Duration::from_secs(4));
        assert_eq!(s.count, 100);
        assert!((s.rate - 25.0).abs() < 1e-9);
        let near = |got: f64, want: f64| (got - want).abs() <= want * 0.01;
        assert!(near(s.p50_ms, 50.0), "{s:?}");
        assert!(near(s.p90_ms, 90.0), "{s:?}");
        assert!(near(s.p99_ms, 99.0), "{s:?}");
        assert!(near(s.max_ms, 100.0), "{s:?}");
        let empty = Summary::of(&load::histogram(), Duration::ZERO);
        assert_eq!((empty.count, empty.rate), (0, 0.0));
    }

    #[test]
    fn numbers_print_for_markdown() {
        assert_eq!(thousands(0), "0");
        assert_eq!(thousands(999), "999");
        assert_eq!(thousands(1_000), "1,000");
        assert_eq!(thousands(9_850), "9,850");
        assert_eq!(thousands(1_234_567), "1,234,567");
        assert_eq!(ms(0.123), "0.12");
        assert_eq!(ms(25.04), "25.0");
        assert_eq!(bytes(512), "512 B");
        assert_eq!(bytes(20_480), "20.0 KiB");
    }

    #[test]
    fn durations_parse() {
        assert_eq!(parse_duration("10s"), Ok(Duration::from_secs(10)));
        assert_eq!(parse_duration("500ms"), Ok(Duration::from_millis(500)));
        assert_eq!(parse_duration("2m"), Ok(Duration::from_secs(120)));
        assert_eq!(parse_duration("7"), Ok(Duration::from_secs(7)));
        assert_eq!(parse_duration("1.5s"), Ok(Duration::from_millis(1500)));
        assert!(parse_duration("0s").is_err());
        assert!(parse_duration("10h").is_err());
        assert!(parse_duration("fast").is_err());
    }

    fn bench(args: &[&str]) -> BenchCommand {
        let mut argv = vec!["tika", "bench"];
        argv.extend_from_slice(args);
        match crate::Cli::try_parse_from(argv).map(|c| c.command) {
            Ok(crate::Command::Bench(b)) => b,
            other => panic!("not a bench command: {other:?}"),
        }
    }

    #[test]
    fn bench_arguments_parse() {
        let BenchCommand::Search(s) = bench(&[
            "search",
            "--duration",
            "5s",
            "--connections",
            "64",
            "--fresh-pg",
            "postgres://postgres@127.0.0.1:5432/postgres",
        ]) else {
            panic!("search expected")
        };
        assert_eq!(s.duration, Duration::from_secs(5));
        assert_eq!(s.connections, 64);
        assert_eq!(
            s.common.fresh_pg.as_deref(),
            Some("postgres://postgres@127.0.0.1:5432/postgres")
        );
        assert_eq!((s.common.server_threads, s.common.client_threads), (2, 2));
        assert_eq!(s.facilities, 55_000);

        let BenchCommand::Booking(b) = bench(&["booking"]) else { panic!("booking expected") };
        assert_eq!((b.attempts, b.seats), (10_000, 150));
        assert!(b.common.database_url.is_none() && b.common.fresh_pg.is_none());

        let BenchCommand::Registration(r) =
            bench(&["registration", "--database-url", "sqlite:///tmp/x.db", "--duration", "3s"])
        else {
            panic!("registration expected")
        };
        assert_eq!(r.common.database_url.as_deref(), Some("sqlite:///tmp/x.db"));
        assert_eq!(r.duration, Duration::from_secs(3));

        // One database source at a time.
        let both = crate::Cli::try_parse_from([
            "tika",
            "bench",
            "booking",
            "--database-url",
            "sqlite://x",
            "--fresh-pg",
            "postgres://y",
        ]);
        assert!(both.is_err());
        assert!(
            crate::Cli::try_parse_from(["tika", "bench", "search", "--duration", "x"]).is_err()
        );
    }

    #[test]
    fn generated_ids_are_valid() {
        for n in [0, 1, 79_999_999_999, 123_456_789] {
            let a = aadhaar(n);
            assert_eq!(a.len(), 12, "{a}");
            assert!(tika_domain::beneficiary::verhoeff_valid(&a), "{a}");
        }
        assert_ne!(aadhaar(1), aadhaar(2));
        assert!(mobile(0).is_ok() && mobile(3_999_999_999).is_ok() && mobile(u64::MAX).is_ok());
    }

    #[test]
    fn proc_limits_are_read() {
        if cfg!(target_os = "linux") {
            assert!(open_files_limit().is_some_and(|n| n > 0));
        }
        assert!(max_connections() >= 1);
    }
}
