//! `tika bench reports`: report and dashboard latency on a national campaign's counters, while
//! doses keep arriving.
//!
//! Run it against a database filled by `tika simulate campaign` (same `--database-url`
//! default).  The server's state is built as `tika serve` builds it ([`Server::start`], so its
//! fold worker counts pending doses every second).  While a background task records doses at
//! `--rate` per second (batches of 100 every 100 ms, each as `insert_simulated_doses` into
//! facilities of the districts that have real rows), every query below runs `--repeat` times,
//! one after the other, through the officials' service ([`report_for`]: counters, targets,
//! names) or the store: the nation by day (30 days), by state, by dose and by age group over
//! the whole campaign; a state by district; a district by block, by day and by age group; a
//! block by facility and by age group (the latter from the keys kept on doses); the recount
//! `counted_doses`; a district's people waiting for a second dose; and the public dashboard
//! of the nation and of a state.
//!
//! Visibility: a watcher reads the national counter total of today every 50 ms; a batch is
//! visible once the total has grown by every dose committed up to and including that batch
//! (so the figure is an upper bound).  Prints Markdown tables like the other benchmarks.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::NaiveDate;
use clap::Args;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use tika_domain::admin::Area;
use tika_domain::beneficiary::BirthYear;
use tika_domain::ids::{BeneficiaryId, CenterId, VaccinationId};
use tika_domain::reports::{GroupBy, ReportFilter, ReportQuery};
use tika_domain::vaccine::{DoseNumber, VaccineCode};
use tika_server::AppState;
use tika_server::services::dashboard::{self, Scope};
use tika_server::services::reports::report_for;
use tika_server::services::search::Lang;
use tika_storage::{DynStore, SimulatedDose, SimulatedPerson};
use tokio::sync::Mutex;

use super::{Server, bench_config, ms, open_store, print_header, print_row, runtime, thousands};
use crate::campaign::{
    DistrictPlan, database_size, district_plans, first_day, real_districts, size_text,
};
use crate::run::{StoreArgs, load_config_for};

/// The targets of issue 8.
const TARGET_NATIONAL_MS: f64 = 200.0;
const TARGET_DISTRICT_MS: f64 = 50.0;
const TARGET_VISIBLE_MS: f64 = 5_000.0;

/// `tika bench reports`.
#[derive(Debug, Args, Clone)]
pub(crate) struct ReportsArgs {
    #[command(flatten)]
    pub(crate) store: StoreArgs,
    /// Runs of each query.
    #[arg(long, default_value_t = 30)]
    pub(crate) repeat: u32,
    /// The campaign's days (as given to `tika simulate campaign`).
    #[arg(long, default_value_t = 365)]
    pub(crate) days: u32,
    /// Districts with real rows (as given to `tika simulate campaign`): doses are recorded there.
    #[arg(long, default_value_t = 3)]
    pub(crate) real_districts: usize,
    /// Doses recorded per second while measuring (batches of 100 every 100 ms); 0: none.
    #[arg(long, default_value_t = 1_000)]
    pub(crate) rate: u32,
    /// Keep recording at least this long (the queries may finish sooner).
    #[arg(long, default_value = "30s", value_parser = super::parse_duration)]
    pub(crate) min_duration: Duration,
    /// Worker threads of the server's runtime.
    #[arg(long, default_value_t = 2)]
    pub(crate) server_threads: usize,
    /// Database read connections (as `TIKA_READ_CONNECTIONS`).
    #[arg(long, default_value_t = 4)]
    pub(crate) read_connections: u32,
}

/// Runs the benchmark.
pub(crate) fn run(args: &ReportsArgs) -> anyhow::Result<()> {
    let config = load_config_for(None, &args.store)?;
    let url = config.database_url();
    let rt = runtime("tika-server", args.server_threads)?;
    rt.block_on(run_on_server(args, &url))
}

/// What one query measured.
struct Measured {
    name: String,
    source: &'static str,
    rows: usize,
    times_ms: Vec<f64>,
    target_ms: Option<f64>,
}

fn percentile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

/// The doses recorded in the background, and when each batch's commit returned.
#[derive(Default)]
struct Recorder {
    /// (commit instant, doses committed up to and including this batch).
    committed: Mutex<Vec<(Instant, u64)>>,
    total: AtomicU64,
    insert_us: Mutex<Vec<u64>>,
    failures: AtomicU64,
}

fn query(area: Area, from: NaiveDate, until: NaiveDate, group_by: GroupBy) -> ReportQuery {
    ReportQuery { filter: ReportFilter { area, ..ReportFilter::nation(from, until) }, group_by }
}

async fn today_total(store: &DynStore, today: NaiveDate) -> anyhow::Result<i64> {
    let rows = store.report(&query(Area::National, today, today, GroupBy::Total)).await?;
    Ok(rows.iter().map(|r| r.cumulative).sum())
}

/// Records `rate` doses a second, in batches of 100 every 100 ms, each batch its own task.
fn spawn_recorder(
    state: AppState,
    facilities: Arc<Vec<CenterId>>,
    rate: u32,
    recorder: Arc<Recorder>,
    stop: Arc<AtomicBool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let per_batch: u32 = 100;
        let batches_per_sec = (rate / per_batch).max(1);
        let period = Duration::from_secs_f64(1.0 / f64::from(batches_per_sec));
        let mut tick = tokio::time::interval(period);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let covishield = VaccineCode::parse("COVISHIELD").ok();
        let mut rng = StdRng::seed_from_u64(8);
        let in_flight = Arc::new(tokio::sync::Semaphore::new(64));
        let mut tasks = tokio::task::JoinSet::new();
        while !stop.load(Ordering::Relaxed) {
            tick.tick().await;
            let (Some(vaccine), false) = (covishield.clone(), facilities.is_empty()) else {
                break;
            };
            let today = state.today();
            let year = today.format("%Y").to_string().parse::<i32>().unwrap_or(2026);
            let mut people = Vec::with_capacity(per_batch as usize);
            let mut doses = Vec::with_capacity(per_batch as usize);
            for _ in 0..per_batch {
                let p = SimulatedPerson {
                    id: BeneficiaryId::new(),
                    birth_year: BirthYear::from_stored(year - rng.random_range(18..=80)),
                    gender_id: rng.random_range(1..=2),
                };
                doses.push(SimulatedDose {
                    id: VaccinationId::new(),
                    beneficiary: p.id,
                    dose: DoseNumber::FIRST,
                    vaccine: vaccine.clone(),
                    date: today,
                    center: facilities[rng.random_range(0..facilities.len())],
                });
                people.push(p);
            }
            let Ok(permit) = Arc::clone(&in_flight).acquire_owned().await else { break };
            let state = state.clone();
            let recorder = Arc::clone(&recorder);
            tasks.spawn(async move {
                let started = Instant::now();
                let now_ms = state.now_ms();
                let res = state.store.insert_simulated_doses(&people, &doses, now_ms).await;
                let done = Instant::now();
                drop(permit);
                match res {
                    Ok(()) => {
                        // Order commits by when they returned (under the lock).
                        let mut committed = recorder.committed.lock().await;
                        let total = recorder.total.fetch_add(doses.len() as u64, Ordering::SeqCst)
                            + doses.len() as u64;
                        committed.push((done, total));
                        drop(committed);
                        recorder.insert_us.lock().await.push(
                            u64::try_from(done.duration_since(started).as_micros())
                                .unwrap_or(u64::MAX),
                        );
                    }
                    Err(e) => {
                        recorder.failures.fetch_add(1, Ordering::Relaxed);
                        tracing::warn!(error = %e, "bench: recording a batch failed");
                    }
                }
            });
            while tasks.try_join_next().is_some() {}
        }
        while tasks.join_next().await.is_some() {}
    })
}

/// Polls the national total of today every 50 ms and records, per committed batch, how long
/// after its commit the total included it.
fn spawn_watcher(
    store: DynStore,
    today: NaiveDate,
    baseline: i64,
    recorder: Arc<Recorder>,
    done: Arc<AtomicBool>,
) -> tokio::task::JoinHandle<Vec<f64>> {
    tokio::spawn(async move {
        let mut latencies = Vec::new();
        let mut seen = 0usize;
        loop {
            tokio::time::sleep(Duration::from_millis(50)).await;
            let Ok(total) = today_total(&store, today).await else { continue };
            let now = Instant::now();
            let counted = u64::try_from(total - baseline).unwrap_or(0);
            let committed = recorder.committed.lock().await;
            while seen < committed.len() && committed[seen].1 <= counted {
                latencies.push(now.duration_since(committed[seen].0).as_secs_f64() * 1000.0);
                seen += 1;
            }
            let all_seen = seen == committed.len();
            drop(committed);
            if done.load(Ordering::Relaxed) && all_seen {
                return latencies;
            }
        }
    })
}

type QueryFuture<'a> =
    std::pin::Pin<Box<dyn std::future::Future<Output = anyhow::Result<usize>> + Send + 'a>>;

async fn measure<'a, F>(
    name: String,
    source: &'static str,
    target_ms: Option<f64>,
    repeat: u32,
    f: F,
) -> anyhow::Result<Measured>
where
    F: Fn() -> QueryFuture<'a>,
{
    // One unmeasured run warms the caches, as a dashboard's first visitor would.
    let mut rows = f().await.with_context(|| format!("query {name}"))?;
    let mut times_ms = Vec::with_capacity(repeat as usize);
    for _ in 0..repeat {
        let started = Instant::now();
        rows = f().await.with_context(|| format!("query {name}"))?;
        times_ms.push(started.elapsed().as_secs_f64() * 1000.0);
    }
    times_ms.sort_by(f64::total_cmp);
    eprintln!(
        "bench: {name}: p50 {} ms, max {} ms",
        ms(percentile(&times_ms, 0.5)),
        ms(times_ms.last().copied().unwrap_or(0.0))
    );
    Ok(Measured { name, source, rows, times_ms, target_ms })
}

fn api(e: tika_server::error::ApiError) -> anyhow::Error {
    anyhow::anyhow!("{e:?}")
}

async fn run_on_server(args: &ReportsArgs, url: &str) -> anyhow::Result<()> {
    let store: DynStore = open_store(url, args.read_connections).await?;
    let pack = Arc::new(tika_packs::india()?);
    let server =
        Server::start(Arc::clone(&store), Arc::clone(&pack), bench_config(args.read_connections))
            .await?;
    let state = server.state.clone();
    let today = state.today();
    let first = first_day(today, args.days);
    let whole = crate::campaign::national_total(&store, first, today).await?;
    anyhow::ensure!(
        whole > 0,
        "the database counts no doses: fill it first with `tika simulate campaign`"
    );
    let centers = store.list_centers().await?;
    let plans = district_plans(&pack, &centers);
    let real: Vec<&DistrictPlan> =
        real_districts(&plans, args.real_districts.max(1)).into_iter().map(|i| &plans[i]).collect();
    let district = real.first().copied().context("no district with facilities")?;
    // The district's busiest block (most facilities) for the block-level queries.
    let mut blocks: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for f in &district.facilities {
        *blocks.entry(f.block.as_str()).or_insert(0) += 1;
    }
    let block = blocks
        .into_iter()
        .max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(a.0)))
        .map(|(b, _)| b.to_owned())
        .unwrap_or_default();
    let facilities: Arc<Vec<CenterId>> =
        Arc::new(real.iter().flat_map(|d| d.facilities.iter().map(|f| f.id)).collect());
    let size = database_size(url).await.unwrap_or(0);
    eprintln!(
        "bench: {} doses counted over {first}..{today}; district {} (state {}), block {:?}; database {}",
        thousands(u64::try_from(whole).unwrap_or(0)),
        district.district,
        district.state,
        block,
        size_text(size)
    );

    // Doses keep arriving while everything is measured.
    let recorder = Arc::new(Recorder::default());
    let stop = Arc::new(AtomicBool::new(false));
    let watched = Arc::new(AtomicBool::new(false));
    let baseline = today_total(&store, today).await?;
    let started = Instant::now();
    let recording = (args.rate > 0).then(|| {
        spawn_recorder(
            state.clone(),
            Arc::clone(&facilities),
            args.rate,
            Arc::clone(&recorder),
            Arc::clone(&stop),
        )
    });
    let watcher = spawn_watcher(
        Arc::clone(&store),
        today,
        baseline,
        Arc::clone(&recorder),
        Arc::clone(&watched),
    );
    tokio::time::sleep(Duration::from_secs(2)).await;

    let n = args.repeat.max(1);
    let nat = Area::National;
    let st = Area::State { state: district.state };
    let dist = Area::District { state: district.state, district: district.district };
    let blk = Area::Block { state: district.state, district: district.district, block };
    let last30 = today - chrono::Duration::days(29);
    let s = &state;
    let mut results = Vec::new();
    let reports: Vec<(String, Area, NaiveDate, GroupBy, f64)> = vec![
        ("nation by day (30 days)".into(), nat.clone(), last30, GroupBy::Day, TARGET_NATIONAL_MS),
        ("nation by state".into(), nat.clone(), first, GroupBy::Area, TARGET_NATIONAL_MS),
        ("nation by dose".into(), nat.clone(), first, GroupBy::Dose, TARGET_NATIONAL_MS),
        ("nation by age group".into(), nat.clone(), first, GroupBy::AgeGroup, TARGET_NATIONAL_MS),
        ("state by district".into(), st.clone(), first, GroupBy::Area, TARGET_NATIONAL_MS),
        ("district by block".into(), dist.clone(), first, GroupBy::Area, TARGET_DISTRICT_MS),
        ("district by day".into(), dist.clone(), first, GroupBy::Day, TARGET_DISTRICT_MS),
        (
            "district by age group".into(),
            dist.clone(),
            first,
            GroupBy::AgeGroup,
            TARGET_DISTRICT_MS,
        ),
        ("block by facility".into(), blk.clone(), first, GroupBy::Area, TARGET_DISTRICT_MS),
        (
            "block by age group (dose keys)".into(),
            blk.clone(),
            first,
            GroupBy::AgeGroup,
            TARGET_DISTRICT_MS,
        ),
    ];
    for (name, area, from, group_by, target) in reports {
        let q = query(area, from, today, group_by);
        let m = measure(name, "report_for", Some(target), n, || {
            let q = q.clone();
            Box::pin(async move { Ok(report_for(s, q, Lang::En).await.map_err(api)?.lines.len()) })
        })
        .await?;
        results.push(m);
    }
    results.push(
        measure("counted_doses (nation, recount of dose rows)".into(), "store", None, n, || {
            Box::pin(async move { Ok(s.store.counted_doses(&Area::National).await?.len()) })
        })
        .await?,
    );
    let d2 = dist.clone();
    results.push(
        measure("pending_second (district)".into(), "store", Some(TARGET_DISTRICT_MS), n, || {
            let d2 = d2.clone();
            Box::pin(async move { Ok(s.store.pending_second(&d2).await?.len()) })
        })
        .await?,
    );
    results.push(
        measure(
            "dashboard (nation)".into(),
            "dashboard::compute",
            Some(TARGET_NATIONAL_MS),
            n,
            || {
                Box::pin(async move {
                    Ok(dashboard::compute(s, Scope::Nation).await.map_err(api)?.areas.len())
                })
            },
        )
        .await?,
    );
    let state_id = district.state;
    results.push(
        measure(
            "dashboard (state)".into(),
            "dashboard::compute",
            Some(TARGET_NATIONAL_MS),
            n,
            || {
                Box::pin(async move {
                    Ok(dashboard::compute(s, Scope::State { state_id })
                        .await
                        .map_err(api)?
                        .areas
                        .len())
                })
            },
        )
        .await?,
    );

    // Keep recording for the minimum duration, then stop and wait for the last batches.
    while started.elapsed() < args.min_duration {
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    stop.store(true, Ordering::Relaxed);
    if let Some(r) = recording {
        let _ = r.await;
    }
    let recorded_for = started.elapsed();
    watched.store(true, Ordering::Relaxed);
    let visibility = tokio::time::timeout(Duration::from_secs(60), watcher)
        .await
        .map_err(|_| anyhow::anyhow!("recorded doses were still not counted after 60 s"))??;
    server.stop().await;

    let recorded = recorder.total.load(Ordering::SeqCst);
    let mut insert_ms: Vec<f64> =
        recorder.insert_us.lock().await.iter().map(|us| *us as f64 / 1000.0).collect();
    insert_ms.sort_by(f64::total_cmp);
    let mut vis = visibility;
    vis.sort_by(f64::total_cmp);

    println!();
    println!(
        "tika bench reports — backend={} server_threads={} read_connections={} cpus={} build={} database={} doses={}",
        store.backend().name(),
        args.server_threads,
        args.read_connections,
        std::thread::available_parallelism().map_or(0, std::num::NonZeroUsize::get),
        if cfg!(debug_assertions) { "debug" } else { "release" },
        size_text(size),
        thousands(u64::try_from(whole).unwrap_or(0)),
    );
    println!();
    print_header(&[
        "Query", "Through", "Rows", "Runs", "p50 ms", "p95 ms", "max ms", "Target", "Met",
    ]);
    for m in &results {
        let p95 = percentile(&m.times_ms, 0.95);
        print_row(&[
            m.name.clone(),
            m.source.to_owned(),
            thousands(m.rows as u64),
            m.times_ms.len().to_string(),
            ms(percentile(&m.times_ms, 0.5)),
            ms(p95),
            ms(m.times_ms.last().copied().unwrap_or(0.0)),
            m.target_ms.map_or_else(|| "—".to_owned(), |t| format!("≤ {t:.0} ms (p95)")),
            m.target_ms.map_or_else(
                || "—".to_owned(),
                |t| if p95 <= t { "yes" } else { "**no**" }.to_owned(),
            ),
        ]);
    }
    println!();
    let rate = recorded as f64 / recorded_for.as_secs_f64().max(0.001);
    print_header(&[
        "Recording",
        "Doses",
        "Rate /s",
        "Insert p50 ms",
        "Insert p95 ms",
        "Visible p50 ms",
        "Visible p95 ms",
        "Visible max ms",
        "Target",
        "Met",
    ]);
    let vis_p95 = percentile(&vis, 0.95);
    let vis_max = vis.last().copied().unwrap_or(0.0);
    print_row(&[
        format!("{} /s asked, batches of 100, fold every 1 s", args.rate),
        thousands(recorded),
        format!("{rate:.0}"),
        ms(percentile(&insert_ms, 0.5)),
        ms(percentile(&insert_ms, 0.95)),
        ms(percentile(&vis, 0.5)),
        ms(vis_p95),
        ms(vis_max),
        format!("≤ {TARGET_VISIBLE_MS:.0} ms"),
        if vis_max <= TARGET_VISIBLE_MS { "yes" } else { "**no**" }.to_owned(),
    ]);
    let failures = recorder.failures.load(Ordering::Relaxed);
    if failures > 0 {
        println!("\n{failures} batches failed to record (see the log).");
    }
    Ok(())
}
