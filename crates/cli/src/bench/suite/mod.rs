//! The performance suite (issue #9): India's worst days replayed against real `tika serve`
//! processes.
//!
//! Each scenario runs in four steps:
//!
//! 1. **Fill** (untimed, in this process, through the store and the services): the national
//!    dataset ([`dataset`]) and what the scenario needs (sites with booked people, certificate
//!    holders, a 150-seat session), and bearer tokens signed with the secret the servers will
//!    be given.
//! 2. **Serve**: `--servers` `tika serve` processes are started from this binary on the same
//!    database ([`fleet`]), exactly as an operator starts them, with the test OTP, the public
//!    rate limit off and the demo file SMS gateway.
//! 3. **Load** from this process, a separate one, over loopback HTTP: open-loop
//!    ([`open_loop`]) at a fixed rate (or a ramp of rates, to find where it saturates), or for
//!    the slot storm every attempt released at one instant.  The servers' CPU and peak memory
//!    are read from `/proc` over the measured window.
//! 4. **Check** the outcome in the database: registrations stored, no overbooking, every dose
//!    recorded once with one certificate, and how long after the dose it was signed.
//!
//! Prints one Markdown table (and the checks); exits non-zero when a check fails or a request
//! erred.  Figures and their analysis: BENCHMARKS.md, section 10.

mod dataset;
mod fleet;
mod open_loop;
mod units;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use futures::StreamExt;
use hyper::Method;
use sqlx::Connection;
use tika_domain::date::format_cowin_date;
use tika_domain::ids::{CenterId, VaccinationId};
use tika_domain::vaccine::{DoseNumber, VaccineCode};
use tika_server::app::{Parts, build_state};
use tika_server::clock::{Clock, SystemClock};
use tika_server::keys::Keys;
use tika_server::services::auth::{Scope, issue_token};
use tika_server::{AppState, services};
use tika_storage::{DynStore, NewVaccination};

use self::dataset::{Dataset, Spec, Weighted};
use self::fleet::{CpuUse, Fleet, ServerSettings};
use self::open_loop::{Rate, Tally, Unit};
use super::booking::{self, Outcome};
use super::sync::{self, SyncArgs};
use super::{
    CommonArgs, Database, Summary, bench_config, bench_sms, bench_templates, load, ms, open_store,
    parse_duration, print_header, print_row, run_seed, runtime, thousands,
};

/// The fixed OTP the servers under test accept (`TIKA_TEST_OTP`).
const TEST_OTP: &str = "246810";

/// A scenario of issue #9.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Scenario {
    /// OTP, confirmation and registration for many new mobiles.
    RegistrationStorm,
    /// `findByPin` and `calendarByDistrict` by pincode popularity.
    SlotSearch,
    /// Thousands of clients racing for one session's seats.
    SlotStorm,
    /// Sites syncing doses; certificates signed; messages queued.
    VaccinationDay,
    /// Holders downloading their certificate PDFs.
    CertificateDownloads,
    /// All of them together at a quarter of their rates.
    MixedPeak,
}

impl Scenario {
    fn name(self) -> &'static str {
        match self {
            Self::RegistrationStorm => "registration-storm",
            Self::SlotSearch => "slot-search",
            Self::SlotStorm => "slot-storm",
            Self::VaccinationDay => "vaccination-day",
            Self::CertificateDownloads => "certificate-downloads",
            Self::MixedPeak => "mixed-peak",
        }
    }
}

/// The open-loop scenarios' targets (units per second, p99 ms).
#[derive(Debug, Clone, Copy)]
struct Target {
    per_sec: f64,
    p99_ms: Option<f64>,
    unit: &'static str,
}

const REGISTRATIONS: Target =
    Target { per_sec: 2_000.0, p99_ms: Some(100.0), unit: "registrations" };
const SEARCHES: Target = Target { per_sec: 20_000.0, p99_ms: Some(25.0), unit: "requests" };
const DOSES: Target = Target { per_sec: 2_000.0, p99_ms: None, unit: "doses" };
const DOWNLOADS: Target = Target { per_sec: 1_000.0, p99_ms: None, unit: "PDFs" };

/// `tika bench <scenario>`: the suite's options, the same for every scenario.
#[derive(Debug, Args, Clone)]
pub(crate) struct SuiteArgs {
    /// Database URL, `sqlite://…` or `postgres://…`; a database filled by an earlier run is
    /// reused (default: a fresh SQLite file in a temporary directory, removed after).
    #[arg(long, conflicts_with = "fresh_pg")]
    pub(crate) database_url: Option<String>,
    /// Create a fresh PostgreSQL database through this admin URL and drop it after.
    #[arg(long, value_name = "ADMIN_URL")]
    pub(crate) fresh_pg: Option<String>,
    /// `tika serve` processes sharing the database (more than one needs PostgreSQL); the load
    /// generator deals its connections round-robin to them.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..=8))]
    pub(crate) servers: u16,
    /// Seed of the dataset and of the request mix.
    #[arg(long, default_value_t = 2021)]
    pub(crate) seed: u64,
    /// Registered beneficiaries in the national dataset.
    #[arg(long, default_value_t = 2_000_000)]
    pub(crate) people: u64,
    /// Facilities (at real post offices, every district), each with 7 days of sessions.
    #[arg(long, default_value_t = 55_000)]
    pub(crate) facilities: usize,
    /// Units per second (registrations, searches, uploads' doses, PDFs); default: the target.
    #[arg(long)]
    pub(crate) rate: Option<f64>,
    /// Multiplies every rate (and the slot storm's clients): `--scale 0.01` for a quick run.
    #[arg(long, default_value_t = 1.0)]
    pub(crate) scale: f64,
    /// Step the rate up (¼, ½, 1, 1½, 2, 3 × the rate) until the server saturates.
    #[arg(long)]
    pub(crate) ramp: bool,
    /// Measured time per rate.
    #[arg(long, default_value = "10s", value_parser = parse_duration)]
    pub(crate) duration: Duration,
    /// Unmeasured lead-in per rate.
    #[arg(long, default_value = "2s", value_parser = parse_duration)]
    pub(crate) warmup: Duration,
    /// Load-generator connections (open-loop workers) per scenario.
    #[arg(long, default_value_t = 256)]
    pub(crate) connections: usize,
    /// Slot storm: clients racing (one attempt each).
    #[arg(long, default_value_t = 10_000)]
    pub(crate) clients: usize,
    /// Slot storm: the session's dose-1 seats.
    #[arg(long, default_value_t = 150)]
    pub(crate) seats: u32,
    /// Vaccination day: sites uploading (one connection each).
    #[arg(long, default_value_t = 400)]
    pub(crate) sites: usize,
    /// Certificate downloads: holders with a signed certificate.
    #[arg(long, default_value_t = 5_000)]
    pub(crate) holders: usize,
    /// Worker threads of the load generator.
    #[arg(long, default_value_t = 2)]
    pub(crate) client_threads: usize,
    /// Database read connections of each server.
    #[arg(long, default_value_t = 4)]
    pub(crate) read_connections: u32,
}

impl SuiteArgs {
    fn common(&self) -> CommonArgs {
        CommonArgs {
            database_url: self.database_url.clone(),
            fresh_pg: self.fresh_pg.clone(),
            server_threads: 2,
            client_threads: self.client_threads,
            read_connections: self.read_connections,
        }
    }

    /// A job's units per second at a multiple of 1: a quarter of its target in the mixed peak,
    /// else `--rate` or the target; times `--scale`.
    fn base_rate(&self, t: Target, mixed: bool) -> f64 {
        let rate = if mixed { t.per_sec * 0.25 } else { self.rate.unwrap_or(t.per_sec) };
        rate * self.scale
    }

    /// The multiples of the rate to run at: 1, or the ramp's.
    fn multiples(&self) -> Vec<f64> {
        if self.ramp { vec![0.25, 0.5, 1.0, 1.5, 2.0, 3.0] } else { vec![1.0] }
    }

    fn window(&self) -> Duration {
        self.warmup + self.duration
    }
}

/// One line of the result table.
struct Row {
    what: String,
    offered: f64,
    achieved: f64,
    unit: &'static str,
    tally: Tally,
    cpu: CpuUse,
    target: String,
}

/// The outcome of a check.
struct Check {
    what: String,
    passed: bool,
}

fn check(what: impl Into<String>, passed: bool) -> Check {
    Check { what: what.into(), passed }
}

/// Everything prepared in step 1.
#[derive(Default)]
struct Prepared {
    registration: Option<Arc<units::Registration>>,
    registration_next: Arc<AtomicU64>,
    search: Option<Arc<units::Search>>,
    probe: Option<units::StalenessProbe>,
    storm: Option<(tika_storage::NewSession, Vec<load::Req>)>,
    sites: Vec<sync::Site>,
    sync_args: Option<SyncArgs>,
    downloads: Option<Arc<units::Downloads>>,
    started_ms: i64,
}

/// Runs one scenario.
pub(crate) fn run(scenario: Scenario, args: &SuiteArgs) -> anyhow::Result<()> {
    let setup_rt = runtime("tika-setup", 2)?;
    let client_rt = runtime("tika-loadgen", args.client_threads)?;
    let db = setup_rt.block_on(Database::prepare(&args.common()))?;
    let outcome = (|| {
        anyhow::ensure!(
            args.servers == 1 || db.backend == "postgres",
            "--servers {} needs PostgreSQL (--fresh-pg or a postgres:// --database-url): \
             SQLite has one writer per file",
            args.servers
        );
        run_on(scenario, args, &db, &setup_rt, &client_rt)
    })();
    setup_rt.block_on(db.cleanup())?;
    let passed = outcome?;
    anyhow::ensure!(passed, "{}: a check failed or requests erred (see above)", scenario.name());
    Ok(())
}

fn run_on(
    scenario: Scenario,
    args: &SuiteArgs,
    db: &Database,
    setup_rt: &tokio::runtime::Runtime,
    client_rt: &tokio::runtime::Runtime,
) -> anyhow::Result<bool> {
    let work = tempfile::Builder::new().prefix("tika-suite-").tempdir()?;
    let secret = format!("tika-bench-suite-secret-{:020}-{:016x}", args.seed, run_seed());
    let keys_dir = work.path().join("keys");
    let config = crate::config::Config {
        data_dir: work.path().to_path_buf(),
        keys_dir: Some(keys_dir.display().to_string()),
        ..crate::config::Config::default()
    };
    let keyring = crate::certs::load_or_create_keyring(&config)?;
    let authority =
        Arc::new(services::certificates::Authority::new(&keyring, config.certificate_settings())?);
    let spec = Spec { facilities: args.facilities, people: args.people, seed: args.seed };
    let mixed = scenario == Scenario::MixedPeak;
    let share = if mixed { 0.25 } else { 1.0 };
    let wants = |s: Scenario| mixed || scenario == s;

    // --- 1. fill --------------------------------------------------------------------------
    let setup = Instant::now();
    let mut prepared = setup_rt.block_on(async {
        let store = open_store(&db.url, args.read_connections).await?;
        let dyn_store: DynStore = Arc::<tika_storage::SqlStore>::clone(&store);
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let state = build_state(Parts {
            config: bench_config(args.read_connections),
            store: dyn_store,
            pack: Arc::new(tika_packs::india()?),
            keys: Keys::derive(secret.as_bytes()),
            sms: bench_sms(),
            templates: bench_templates()?,
            clock,
            certificates: Some(Arc::clone(&authority)),
        })
        .await?;
        let storm_clients = if wants(Scenario::SlotStorm) {
            (args.clients as f64 * share * args.scale) as usize
        } else {
            0
        };
        let probes =
            if wants(Scenario::SlotSearch) { 4 * args.window().as_secs() as usize + 8 } else { 0 };
        let holders = if wants(Scenario::CertificateDownloads) { args.holders } else { 0 };
        let keep = storm_clients + probes + holders;
        let data = dataset::fill(&state, &db.url, spec, keep).await?;
        let prepared = prepare(scenario, args, &state, &data, storm_clients, probes).await?;
        store.close().await;
        anyhow::Ok(prepared)
    })?;
    eprintln!("bench: setup done in {:.1} s", setup.elapsed().as_secs_f64());

    // --- 2. serve -------------------------------------------------------------------------
    let settings = ServerSettings {
        database_url: db.url.clone(),
        secret: secret.clone(),
        keys_dir,
        test_otp: TEST_OTP.into(),
        read_connections: args.read_connections,
        root: work.path().to_path_buf(),
    };
    let mut fleet = Fleet::start(usize::from(args.servers), &settings)?;
    let pg = db.backend == "postgres";

    // --- 3. load --------------------------------------------------------------------------
    let doses = Arc::new(AtomicU64::new(0));
    let fleet_ref = &fleet;
    let storm_input = prepared.storm.take();
    let loaded = client_rt.block_on(async {
        // Devices log in and download their bundles (untimed), then make their day's records.
        let mut uploads = None;
        if let Some(sync_args) = &prepared.sync_args {
            uploads = Some(Arc::new(
                open_devices(fleet_ref, &prepared.sites, sync_args, &doses).await?,
            ));
        }
        if let Some(search) = &prepared.search {
            let started = Instant::now();
            let (asked, failed) = search.prime(&fleet_ref.addrs, 16).await?;
            eprintln!(
                "bench: search primed: {} answers rendered in {:.1} s ({failed} failed; a cold server renders {:.0} answers/s; peak RSS so far {} MiB)",
                thousands(asked),
                started.elapsed().as_secs_f64(),
                asked as f64 / started.elapsed().as_secs_f64(),
                fleet_ref.peak_rss_kib() / 1024
            );
        }
        let mut jobs: Vec<Job> = Vec::new();
        let base = |t: Target| args.base_rate(t, mixed);
        if let Some(u) = &prepared.registration {
            let unit: Arc<dyn Unit> = Arc::clone(u) as Arc<dyn Unit>;
            jobs.push(Job { name: "registration-storm", target: REGISTRATIONS, base: base(REGISTRATIONS), unit, connections: args.connections });
        }
        if let Some(u) = &prepared.search {
            let unit: Arc<dyn Unit> = Arc::clone(u) as Arc<dyn Unit>;
            jobs.push(Job { name: "slot-search", target: SEARCHES, base: base(SEARCHES), unit, connections: args.connections });
        }
        if let Some(u) = &uploads {
            let unit: Arc<dyn Unit> = Arc::clone(u) as Arc<dyn Unit>;
            jobs.push(Job { name: "vaccination-day", target: DOSES, base: base(DOSES), unit, connections: u.sites.len() });
        }
        if let Some(u) = &prepared.downloads {
            let unit: Arc<dyn Unit> = Arc::clone(u) as Arc<dyn Unit>;
            jobs.push(Job { name: "certificate-downloads", target: DOWNLOADS, base: base(DOWNLOADS), unit, connections: args.connections });
        }
        let probe = prepared.probe.take().map(|p| {
            let addrs = fleet_ref.addrs.clone();
            let until = Instant::now() + args.window() * 6 + Duration::from_secs(5);
            tokio::spawn(async move { p.run(&addrs, until).await })
        });
        let steps = run_steps(fleet_ref, args, &jobs, &doses, pg, share);
        let storm = async {
            let Some((session, requests)) = storm_input else { return anyhow::Ok(None) };
            if !jobs.is_empty() {
                // Mixed peak: the storm breaks in the middle of the first measured window.
                tokio::time::sleep(args.warmup + args.duration / 3).await;
            }
            let mark = fleet_ref.cpu_mark(pg);
            let n = requests.len();
            let storm = booking::storm(&fleet_ref.addrs, requests, n).await?;
            let cpu = fleet_ref.cpu_since(mark, pg);
            let checks = storm_checks(&db.url, &session, &storm, args.seats).await?;
            anyhow::Ok(Some((storm_row(&storm, cpu, args.seats), checks)))
        };
        let (mut rows, storm) = tokio::join!(steps, storm);
        let mut checks = Vec::new();
        if let Some((row, c)) = storm? {
            rows.push(row);
            checks.extend(c);
        }
        if let Some(p) = probe {
            let seen = p.await.context("the staleness probe stopped")??;
            let max = seen.delays.max() as f64 / 1000.0;
            checks.push(check(
                format!(
                    "search shows a booking within 2 s: {} bookings seen after p50 {} ms, max {} ms; {} never seen, {} failed{}",
                    seen.delays.len(),
                    ms(seen.delays.value_at_quantile(0.5) as f64 / 1000.0),
                    ms(max),
                    seen.unseen,
                    seen.failed.len(),
                    seen.failed.first().map(|f| format!(" ({f})")).unwrap_or_default()
                ),
                !seen.delays.is_empty()
                    && max <= 2_000.0
                    && seen.unseen == 0
                    && seen.failed.is_empty(),
            ));
        }
        anyhow::Ok((rows, checks))
    });
    let peak_kib = fleet.peak_rss_kib();

    // --- 4. check -------------------------------------------------------------------------
    let (rows, mut checks) = match loaded {
        Ok(v) => v,
        Err(e) => {
            fleet.stop();
            return Err(e);
        }
    };
    let after = setup_rt.block_on(async {
        let mut c = Vec::new();
        if prepared.registration.is_some() {
            let registered = prepared.registration_next.load(Ordering::Relaxed);
            let ok: u64 = rows.iter().filter(|r| r.what == "registration-storm").map(|r| r.tally.ok).sum();
            let added = count_with_i(
                &db.url,
                "SELECT COUNT(*) FROM beneficiaries WHERE name = 'Storm Citizen' AND created_at >= $1",
                prepared.started_ms,
            )
            .await?;
            c.push(check(
                format!(
                    "registrations stored: {} new beneficiaries in the database for {} attempted (of which {} measured and answered 200)",
                    thousands(u64::try_from(added).unwrap_or(0)),
                    thousands(registered),
                    thousands(ok)
                ),
                added >= i64::try_from(ok).unwrap_or(i64::MAX) && added <= i64::try_from(registered).unwrap_or(0),
            ));
        }
        if prepared.sync_args.is_some() {
            c.extend(dose_checks(&db.url, &prepared, doses.load(Ordering::Relaxed)).await?);
        }
        anyhow::Ok(c)
    });
    let mut sms = fleet.sms_logged();
    if prepared.registration.is_some() {
        // Every OTP reaches the gateway (the fast lane); give the last ones a moment.
        let otps = prepared.registration_next.load(Ordering::Relaxed);
        let deadline = Instant::now() + Duration::from_secs(10);
        while sms < otps && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(200));
            sms = fleet.sms_logged();
        }
        checks.push(check(
            format!(
                "SMS handed to the gateway: {} for {} OTPs sent (and the registrations' confirmations)",
                thousands(sms),
                thousands(otps)
            ),
            sms >= otps,
        ));
    }
    fleet.stop();
    checks.extend(after?);
    let size = setup_rt.block_on(database_size(&db.url))?;

    // --- the table ------------------------------------------------------------------------
    println!();
    println!(
        "scenario {} on {} with {} server(s); {} people, {} facilities; load from a separate process ({} threads); {}",
        scenario.name(),
        db.backend,
        args.servers,
        thousands(args.people),
        thousands(args.facilities as u64),
        args.client_threads,
        if cfg!(debug_assertions) { "DEBUG BUILD: figures meaningless" } else { "release build" }
    );
    println!();
    print_header(&[
        "scenario",
        "backend",
        "servers",
        "offered/s",
        "achieved/s",
        "p50 ms",
        "p95 ms",
        "p99 ms",
        "max ms",
        "errors",
        "server CPU",
        "PostgreSQL CPU",
        "peak RSS",
        "database",
        "target",
    ]);
    let mut clean = true;
    for r in &rows {
        let s = Summary::of(&r.tally.requests, r.tally.elapsed);
        let p95 = r.tally.requests.value_at_quantile(0.95) as f64 / 1000.0;
        clean &= r.tally.errors() == 0;
        print_row(&[
            r.what.clone(),
            db.backend.to_owned(),
            args.servers.to_string(),
            format!("{} {}", thousands(r.offered.round() as u64), r.unit),
            thousands(r.achieved.round() as u64),
            ms(s.p50_ms),
            ms(p95),
            ms(s.p99_ms),
            ms(s.max_ms),
            thousands(r.tally.errors()),
            format!("{:.2} cores", r.cpu.servers),
            if pg { format!("{:.2} cores", r.cpu.postgres) } else { "–".into() },
            format!("{} MiB", peak_kib / 1024),
            format!("{:.2} GiB", size as f64 / f64::from(1u32 << 30)),
            r.target.clone(),
        ]);
    }
    println!();
    for r in rows.iter().filter(|r| r.tally.errors() > 0) {
        eprintln!(
            "bench: {} errors: {} failed checks, {} without an answer, {} abandoned; statuses {:?}; e.g. {:?}",
            r.what,
            r.tally.bad,
            r.tally.transport_errors,
            r.tally.abandoned,
            r.tally.statuses,
            r.tally.failures
        );
    }
    for c in &checks {
        println!("check: {} … {}", c.what, if c.passed { "ok" } else { "FAILED" });
    }
    Ok(clean && checks.iter().all(|c| c.passed))
}

/// Step 1's scenario-specific part.
async fn prepare(
    scenario: Scenario,
    args: &SuiteArgs,
    state: &AppState,
    data: &Dataset,
    storm_clients: usize,
    probes: usize,
) -> anyhow::Result<Prepared> {
    let mixed = scenario == Scenario::MixedPeak;
    let wants = |s: Scenario| mixed || scenario == s;
    let mut p = Prepared::default();
    let token = |account| {
        issue_token(state, account, Scope::Protected).map_err(|e| anyhow::anyhow!("token: {e:?}"))
    };
    let reference = |c: &dataset::Citizen| c.reference.as_str().to_owned();
    let mut citizens = data.citizens.iter();

    if wants(Scenario::RegistrationStorm) {
        p.registration = Some(Arc::new(units::Registration {
            base: (run_seed() % 1_000) * 1_000_000,
            otp_hash: tika_server::keys::sha256_hex(TEST_OTP),
            next: Arc::clone(&p.registration_next),
        }));
    }
    if wants(Scenario::SlotSearch) {
        let today = state.today();
        p.search = Some(Arc::new(units::Search {
            pincodes: data.pincodes.iter().map(|(pin, _)| *pin).collect(),
            weights: Weighted::new(data.pincodes.iter().map(|(_, w)| *w)),
            districts: data.districts.clone(),
            dates: (0..7).map(|d| format_cowin_date(today + chrono::Duration::days(d))).collect(),
            pin_percent: 70,
            seed: args.seed,
        }));
        // Bookable by anyone 18 or over, with seats to spare, one booking each.
        let targets: Vec<(tika_storage::Session, u32)> = data
            .sessions
            .iter()
            .filter(|s| s.ages.min <= 18 && s.ages.max.is_none() && s.date > today)
            .filter(|s| s.capacity_dose1 >= s.booked_dose1 + 2)
            .filter_map(|s| data.center_pins.get(&s.center_id.0).map(|pin| (s.clone(), *pin)))
            .step_by(97)
            .take(probes)
            .collect();
        let people = citizens
            .by_ref()
            .take(targets.len())
            .map(|c| Ok((token(c.account)?, reference(c))))
            .collect::<anyhow::Result<Vec<_>>>()?;
        p.probe =
            Some(units::StalenessProbe { targets, people, every: Duration::from_millis(250) });
    }
    if wants(Scenario::SlotStorm) {
        let session =
            booking::make_session(&state.store, &state.pack, args.seats, state.now_ms()).await?;
        let mut requests = Vec::with_capacity(storm_clients);
        for (i, c) in citizens.by_ref().take(storm_clients).enumerate() {
            let body = serde_json::json!({
                "dose": 1,
                "session_id": session.id.to_string(),
                "slot": session.slots[i % session.slots.len()].as_str(),
                "beneficiaries": [reference(c)],
                "center_id": session.center_id.0,
            });
            requests.push(units::request(
                Method::POST,
                "/api/v2/appointment/schedule",
                Some(&token(c.account)?),
                Some(serde_json::to_vec(&body)?),
            )?);
        }
        anyhow::ensure!(
            requests.len() == storm_clients,
            "the dataset has {} people for {storm_clients} storm clients: raise --people",
            requests.len()
        );
        p.storm = Some((session, requests));
    }
    if wants(Scenario::VaccinationDay) {
        // Enough booked people for the whole run (a ramp's every step) at the dose rate.
        let multiples: f64 = args.multiples().iter().sum();
        let rate = args.base_rate(DOSES, mixed);
        let doses = rate * multiples * args.window().as_secs_f64() * 1.2;
        let sites = args.sites.max(1);
        // A walk-in after every tenth booked person: 1.1 doses each.
        // A multiple of 4: `make_sites` numbers accounts by groups of four people.
        let per_site = ((doses / 1.1 / sites as f64).ceil() as usize).max(12).next_multiple_of(4);
        let sync_args = SyncArgs {
            common: args.common(),
            sites,
            per_site,
            upload_size: 50,
            timeout: Duration::from_secs(600),
        };
        let started = Instant::now();
        let (sites, booked) = sync::make_sites(state, &sync_args, run_seed() % 1_000).await?;
        eprintln!(
            "bench: {} sites with {} people booked for today ({:.1} s)",
            sites.len(),
            thousands(booked as u64),
            started.elapsed().as_secs_f64()
        );
        p.sites = sites;
        p.sync_args = Some(sync_args);
    }
    if wants(Scenario::CertificateDownloads) {
        let holders: Vec<&dataset::Citizen> = citizens.by_ref().take(args.holders).collect();
        let center = data
            .sessions
            .first()
            .map(|s| s.center_id)
            .ok_or_else(|| anyhow::anyhow!("the dataset has no sessions"))?;
        let started = Instant::now();
        let signed = make_holders(state, &holders, center).await?;
        eprintln!(
            "bench: {} holders vaccinated and {} certificates signed ({:.1} s)",
            thousands(holders.len() as u64),
            thousands(signed as u64),
            started.elapsed().as_secs_f64()
        );
        let holders = holders
            .iter()
            .map(|c| Ok((token(c.account)?, reference(c))))
            .collect::<anyhow::Result<Vec<_>>>()?;
        anyhow::ensure!(!holders.is_empty(), "no certificate holders: raise --people");
        p.downloads = Some(Arc::new(units::Downloads { holders }));
    }
    // What the checks count starts here: the setup's own doses and people are before it.
    tokio::time::sleep(Duration::from_millis(5)).await;
    p.started_ms = state.now_ms();
    Ok(p)
}

/// Gives each holder a first dose and signs their certificates, as the servers' certificate
/// job would.
async fn make_holders(
    state: &AppState,
    holders: &[&dataset::Citizen],
    center: CenterId,
) -> anyhow::Result<usize> {
    let vaccine = VaccineCode::parse("COVISHIELD").map_err(|e| anyhow::anyhow!("{e}"))?;
    let today = state.today();
    let recorded: Vec<anyhow::Result<()>> = futures::stream::iter(holders)
        .map(|c| {
            let v = NewVaccination {
                id: VaccinationId::new(),
                beneficiary_id: c.beneficiary,
                dose: DoseNumber::FIRST,
                vaccine: vaccine.clone(),
                date: today,
                center_id: Some(center),
            };
            async move {
                match state.store.record_vaccination(&v).await {
                    // A reused database: the holder already has the dose.
                    Ok(()) | Err(tika_storage::StorageError::Conflict(_)) => Ok(()),
                    Err(e) => Err(e.into()),
                }
            }
        })
        .buffer_unordered(512)
        .collect()
        .await;
    recorded.into_iter().collect::<anyhow::Result<()>>()?;
    let mut signed = 0;
    loop {
        let n = services::certificates::process_pending(state, 1_000).await?;
        signed += n;
        if n == 0 {
            break;
        }
    }
    Ok(signed)
}

/// One open-loop job of a run.
struct Job {
    name: &'static str,
    target: Target,
    /// Units per second at a multiple of 1.
    base: f64,
    unit: Arc<dyn Unit>,
    connections: usize,
}

/// Runs the jobs together at each rate of the ramp (or once), one row per job and rate.
async fn run_steps(
    fleet: &Fleet,
    args: &SuiteArgs,
    jobs: &[Job],
    doses: &AtomicU64,
    pg: bool,
    share: f64,
) -> Vec<Row> {
    let mut rows = Vec::new();
    if jobs.is_empty() {
        return rows;
    }
    for multiple in args.multiples() {
        let measuring = async {
            tokio::time::sleep(args.warmup + Duration::from_millis(50)).await;
            let mark = fleet.cpu_mark(pg);
            let before = doses.load(Ordering::Relaxed);
            tokio::time::sleep(args.duration).await;
            (fleet.cpu_since(mark, pg), doses.load(Ordering::Relaxed) - before)
        };
        let runs = futures::future::join_all(jobs.iter().map(|job| {
            let per_sec = job.base * multiple
                / if job.name == "vaccination-day" { units::DOSES_PER_UPLOAD } else { 1.0 };
            let rate = Rate {
                per_sec,
                warmup: args.warmup,
                duration: args.duration,
                connections: job.connections,
            };
            let addrs = fleet.addrs.clone();
            let unit = Arc::clone(&job.unit);
            async move { open_loop::run(&addrs, rate, unit).await }
        }));
        let (tallies, (cpu, window_doses)) = tokio::join!(runs, measuring);
        let first = rows.len();
        for (job, tally) in jobs.iter().zip(tallies) {
            let offered = job.base * multiple;
            let achieved = if job.name == "vaccination-day" {
                window_doses as f64 / args.duration.as_secs_f64()
            } else {
                tally.ok_per_sec()
            };
            let p99 = Summary::of(&tally.requests, tally.elapsed).p99_ms;
            let goal = job.target.per_sec * share;
            let met = achieved >= goal * 0.98
                && job.target.p99_ms.is_none_or(|t| p99 <= t)
                && tally.errors() == 0;
            rows.push(Row {
                what: job.name.to_owned(),
                offered,
                achieved,
                unit: job.target.unit,
                tally,
                cpu,
                target: format!(
                    "≥ {}/s{}: {}",
                    thousands(goal as u64),
                    job.target.p99_ms.map(|t| format!(", p99 ≤ {t} ms")).unwrap_or_default(),
                    if met { "met" } else { "missed" }
                ),
            });
        }
        let saturated =
            rows[first..].iter().any(|r| r.achieved < r.offered * 0.9 || r.tally.errors() > 0);
        if args.ramp && saturated {
            eprintln!("bench: saturated at {multiple:.2} × the rate; the ramp stops");
            break;
        }
    }
    rows
}

/// Each site's device logs in and downloads its bundle over HTTP, like the site app; then its
/// day's records are cut into uploads (replays left out: `tika bench sync` measures them).
async fn open_devices(
    fleet: &Fleet,
    sites: &[sync::Site],
    sync_args: &SyncArgs,
    doses: &Arc<AtomicU64>,
) -> anyhow::Result<units::Uploads> {
    let seed = run_seed();
    let opened: Vec<anyhow::Result<(sync::Device, Vec<sync::Upload>)>> =
        futures::stream::iter(sites.iter().enumerate())
            .map(|(k, site)| {
                let addr = fleet.addrs[k % fleet.addrs.len()];
                let upload_size = usize::from(sync_args.upload_size);
                async move {
                    let mut sender = load::connect(addr).await?;
                    let device = sync::open_device(&mut sender, site).await?;
                    let ups = sync::uploads(site, &device, upload_size, seed, 0)
                        .into_iter()
                        .filter(|u| !u.replay)
                        .collect();
                    anyhow::Ok((device, ups))
                }
            })
            .buffered(64)
            .collect()
            .await;
    let sites = opened.into_iter().collect::<anyhow::Result<Vec<_>>>()?;
    let cursors = (0..sites.len()).map(|_| AtomicU64::new(0)).collect();
    Ok(units::Uploads { sites, cursors, doses: Arc::clone(doses) })
}

fn storm_row(storm: &booking::Storm, cpu: CpuUse, seats: u32) -> Row {
    let mut tally = open_loop::Tally::for_storm(&storm.from_launch, storm.wall);
    for o in &storm.outcomes {
        match o {
            Outcome::Booked | Outcome::Full => tally.ok += 1,
            Outcome::Other(code) => {
                tally.bad += 1;
                *tally.statuses.entry(*code).or_default() += 1;
            }
            Outcome::NoAnswer => tally.transport_errors += 1,
        }
    }
    let p99 = storm.from_launch.value_at_quantile(0.99) as f64 / 1000.0;
    Row {
        what: format!(
            "slot-storm ({} clients, {seats} seats)",
            thousands(storm.outcomes.len() as u64)
        ),
        offered: storm.outcomes.len() as f64,
        achieved: storm.outcomes.len() as f64 / storm.wall.as_secs_f64().max(1e-9),
        unit: "attempts at once",
        tally,
        cpu,
        target: format!("p99 ≤ 250 ms: {}", if p99 <= 250.0 { "met" } else { "missed" }),
    }
}

async fn storm_checks(
    url: &str,
    session: &tika_storage::NewSession,
    storm: &booking::Storm,
    seats: u32,
) -> anyhow::Result<Vec<Check>> {
    let booked = storm.outcomes.iter().filter(|o| matches!(o, Outcome::Booked)).count();
    let full = storm.outcomes.iter().filter(|o| matches!(o, Outcome::Full)).count();
    let id = session.id.to_string();
    let db_booked =
        count_with(url, "SELECT CAST(booked_dose1 AS BIGINT) FROM sessions WHERE id = $1", &id)
            .await?;
    let rows = count_with(
        url,
        "SELECT COUNT(*) FROM appointments WHERE session_id = $1 AND status = 'booked'",
        &id,
    )
    .await?;
    let seats = (seats as usize).min(storm.outcomes.len());
    let expected_full = storm.outcomes.len() - seats;
    Ok(vec![
        check(format!("{booked} × 200 (expected {seats})"), booked == seats),
        check(format!("{full} × 409 APPOIN0040 (expected {expected_full})"), full == expected_full),
        check(
            format!(
                "database: booked_dose1 = {db_booked}, {rows} booked appointment rows (expected {seats} each: no overbooking)"
            ),
            db_booked == seats as i64 && rows == seats as i64,
        ),
    ])
}

/// Every dose synced is in the database once, with one live certificate of each kind,
/// signed within 5 s of the dose arriving; the messages it queued.
async fn dose_checks(url: &str, p: &Prepared, applied: u64) -> anyhow::Result<Vec<Check>> {
    let since = p.started_ms;
    let doses =
        count_with_i(url, "SELECT COUNT(*) FROM vaccinations WHERE created_at >= $1", since)
            .await?;
    // The servers' certificate job catches up (the load has stopped).
    let deadline = Instant::now() + Duration::from_secs(120);
    let mut unsigned = i64::MAX;
    while Instant::now() < deadline {
        unsigned = count_with_i(
            url,
            "SELECT COUNT(*) FROM vaccinations v WHERE v.created_at >= $1 AND NOT EXISTS \
             (SELECT 1 FROM certificates c WHERE c.vaccination_id = v.id AND c.kind = 'domestic')",
            since,
        )
        .await?;
        if unsigned == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(500)).await;
    }
    let duplicates = count_with_i(
        url,
        "SELECT COUNT(*) FROM (SELECT vaccination_id, kind FROM certificates WHERE issued_at >= $1 \
         GROUP BY vaccination_id, kind HAVING COUNT(*) > 1) d",
        since,
    )
    .await?;
    let double_doses = count_with_i(
        url,
        "SELECT COUNT(*) FROM (SELECT beneficiary_id, dose FROM vaccinations WHERE created_at >= $1 \
         GROUP BY beneficiary_id, dose HAVING COUNT(*) > 1) d",
        since,
    )
    .await?;
    let lags = lags(url, since).await?;
    let within = lags.iter().filter(|l| **l <= 5_000).count();
    let pct = |q: f64| {
        if lags.is_empty() { 0 } else { lags[((lags.len() - 1) as f64 * q).round() as usize] }
    };
    let messages = count_with_i(
        url,
        "SELECT COUNT(*) FROM messages WHERE created_at >= $1 AND kind = 'certificate_ready'",
        since,
    )
    .await?;
    let due = count_with_i(
        url,
        "SELECT COUNT(*) FROM messages WHERE created_at >= $1 AND kind = 'dose_due'",
        since,
    )
    .await?;
    Ok(vec![
        check(
            format!(
                "doses: {} in the database, {} applied answers",
                thousands(u64::try_from(doses).unwrap_or(0)),
                thousands(applied)
            ),
            doses == i64::try_from(applied).unwrap_or(-1),
        ),
        check(
            format!("no dose twice: {double_doses} (beneficiary, dose) pairs repeated"),
            double_doses == 0,
        ),
        check(
            format!(
                "certificates: {unsigned} doses without one; {duplicates} duplicates; signed after the dose arrived: p50 {} ms, p95 {} ms, max {} ms; {} of {} within 5 s",
                pct(0.5),
                pct(0.95),
                pct(1.0),
                thousands(within as u64),
                thousands(lags.len() as u64)
            ),
            unsigned == 0 && duplicates == 0 && within == lags.len() && !lags.is_empty(),
        ),
        check(
            format!(
                "messages queued: {} certificate-ready SMS, {} second-dose reminders (people with a mobile)",
                thousands(u64::try_from(messages).unwrap_or(0)),
                thousands(u64::try_from(due).unwrap_or(0))
            ),
            messages > 0,
        ),
    ])
}

/// Each certificate's delay after its dose arrived, ms, sorted.
async fn lags(url: &str, since: i64) -> anyhow::Result<Vec<i64>> {
    let mut conn = sqlx::AnyConnection::connect(url).await?;
    let mut lags: Vec<i64> = sqlx::query_scalar(
        "SELECT CAST(c.issued_at - v.created_at AS BIGINT) FROM certificates c \
         JOIN vaccinations v ON v.id = c.vaccination_id \
         WHERE v.created_at >= $1 AND c.kind = 'domestic'",
    )
    .bind(since)
    .fetch_all(&mut conn)
    .await?;
    let _ = conn.close().await;
    lags.sort_unstable();
    Ok(lags)
}

async fn count_with(url: &str, sql: &'static str, arg: &str) -> anyhow::Result<i64> {
    let mut conn = sqlx::AnyConnection::connect(url).await?;
    let n: i64 = sqlx::query_scalar(sql).bind(arg.to_owned()).fetch_one(&mut conn).await?;
    let _ = conn.close().await;
    Ok(n)
}

async fn count_with_i(url: &str, sql: &'static str, arg: i64) -> anyhow::Result<i64> {
    let mut conn = sqlx::AnyConnection::connect(url).await?;
    let n: i64 = sqlx::query_scalar(sql).bind(arg).fetch_one(&mut conn).await?;
    let _ = conn.close().await;
    Ok(n)
}

/// The database's size on disk: the SQLite file with its WAL, or PostgreSQL's
/// `pg_database_size`.
async fn database_size(url: &str) -> anyhow::Result<u64> {
    if url.starts_with("postgres") {
        let mut conn = sqlx::AnyConnection::connect(url).await?;
        let n: i64 =
            sqlx::query_scalar("SELECT CAST(pg_database_size(current_database()) AS BIGINT)")
                .fetch_one(&mut conn)
                .await?;
        let _ = conn.close().await;
        return Ok(u64::try_from(n).unwrap_or(0));
    }
    let path = url.trim_start_matches("sqlite://").split('?').next().unwrap_or_default().to_owned();
    Ok(["", "-wal", "-shm"]
        .iter()
        .filter_map(|s| std::fs::metadata(format!("{path}{s}")).ok())
        .map(|m| m.len())
        .sum())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(extra: &[&str]) -> SuiteArgs {
        let mut argv = vec!["tika", "bench", "slot-search"];
        argv.extend_from_slice(extra);
        match <crate::Cli as clap::Parser>::try_parse_from(argv).map(|c| c.command) {
            Ok(crate::Command::Bench(super::super::BenchCommand::SlotSearch(a))) => a,
            other => panic!("not slot-search: {other:?}"),
        }
    }

    #[test]
    fn suite_arguments_parse_with_the_targets_as_defaults() {
        let a = args(&[]);
        assert_eq!((a.servers, a.seed, a.people, a.facilities), (1, 2021, 2_000_000, 55_000));
        assert_eq!((a.clients, a.seats, a.sites, a.holders), (10_000, 150, 400, 5_000));
        assert_eq!((a.multiples(), a.rate), (vec![1.0], None));
        let r = args(&["--ramp", "--rate", "100", "--servers", "2", "--duration", "3s"]);
        assert_eq!(r.multiples(), vec![0.25, 0.5, 1.0, 1.5, 2.0, 3.0]);
        assert_eq!(r.rate, Some(100.0));
        assert_eq!((r.servers, r.duration), (2, Duration::from_secs(3)));
        assert!(
            <crate::Cli as clap::Parser>::try_parse_from([
                "tika",
                "bench",
                "slot-storm",
                "--servers",
                "0"
            ])
            .is_err()
        );
    }
}
