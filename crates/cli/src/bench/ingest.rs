//! `tika bench ingest`: cold chain readings over MQTT, from simulated loggers through a real
//! Mosquitto broker into the database, and the alarm latency.
//!
//! Target (issue 7): ingest ≥ 50,000 readings/s from 25,000 simulated loggers on 2 cores, with
//! alarm latency ≤ 5 s after the threshold is crossed.
//!
//! Setup (not timed as ingest): a broker (`--broker`, or a private `mosquitto` started on a free
//! loopback port from a temporary configuration), a fresh database, and `--loggers` pieces of
//! equipment (one point per ten) each linked to a logger, created through the store
//! ([`crate::simulate::link_fleet`]).  Then the real ingester
//! ([`tika_server::services::coldchain::ingest::spawn`], the code `tika serve` runs) starts on
//! the server runtime, and the simulator ([`crate::simulate::publish`]) on its own runtime
//! publishes `--rate-per-logger-per-sec` readings per logger per second (0: as fast as it can)
//! for `--duration`.  `--excursions` loggers are scripted to read 12 °C (freezers −8 °C) from a
//! known instant for longer than the rule's `min_duration`, `--silences` loggers to go quiet
//! for longer than its `silence`.
//!
//! Measured: readings stored, counted in the database at the end, over the time from the first
//! publish until the ingester has drained; messages published per second; the ingester's
//! duplicate and malformed counts; and for the scripted loggers' alarms, the latency
//! `opened_at − (since + min_duration)` (silence: `opened_at − (since + silence)`).

use std::collections::HashMap;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::Args;
use sqlx::Connection;
use tika_domain::coldchain::{AlarmKind, ExcursionRule, TempRange};
use tika_server::clock::SystemClock;
use tika_server::config::MqttSettings;
use tika_server::services::coldchain::ingest::{self, IngestTuning};
use tika_storage::{AlarmFilter, DynStore};

use super::{
    CommonArgs, Database, describe_run, open_store, print_header, print_row, runtime, thousands,
};
use crate::simulate::{Fleet, PublishPlan, PublishStats, Script, link_fleet, publish};

/// Readings/s target.
const TARGET_RATE: f64 = 50_000.0;
/// Alarm latency target, ms.
const TARGET_LATENCY_MS: i64 = 5_000;
const MOSQUITTO: &str = "/usr/sbin/mosquitto";

/// Flags of `tika bench ingest`.
#[derive(Debug, Args, Clone)]
pub(crate) struct IngestArgs {
    /// Simulated loggers (each linked to its own fridge or freezer).
    #[arg(long, default_value_t = 25_000)]
    pub(crate) loggers: u32,
    /// Readings per logger per second (2 × 25,000 = the 50,000/s target); 0: as fast as the
    /// publishers can.
    #[arg(long, default_value_t = 2.0)]
    pub(crate) rate_per_logger_per_sec: f64,
    /// How long to publish.
    #[arg(long, default_value = "30s", value_parser = super::parse_duration)]
    pub(crate) duration: Duration,
    /// The broker, `mqtt://…`; default: start a private mosquitto on a free loopback port.
    #[arg(long)]
    pub(crate) broker: Option<String>,
    /// MQTT `QoS` of the publishes (0 or 1).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(0..=1))]
    pub(crate) qos: u8,
    /// Publishing connections.
    #[arg(long, default_value_t = 4)]
    pub(crate) connections: usize,
    /// Loggers scripted with an excursion at a known instant (latency measured on them).
    #[arg(long, default_value_t = 250)]
    pub(crate) excursions: u32,
    /// Loggers scripted to go silent.
    #[arg(long, default_value_t = 50)]
    pub(crate) silences: u32,
    /// The rule's `min_duration` (out of range for longer than this opens an alarm).
    #[arg(long, default_value = "5s", value_parser = super::parse_duration)]
    pub(crate) min_duration: Duration,
    /// The rule's silence.
    #[arg(long, default_value = "10s", value_parser = super::parse_duration)]
    pub(crate) silence: Duration,
    #[command(flatten)]
    pub(crate) common: CommonArgs,
}

/// A private mosquitto, stopped on drop.
struct Broker {
    url: String,
    child: Option<Child>,
    _dir: Option<tempfile::TempDir>,
}

impl Drop for Broker {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Broker {
    fn start() -> anyhow::Result<Self> {
        anyhow::ensure!(
            std::path::Path::new(MOSQUITTO).exists(),
            "no {MOSQUITTO}: install mosquitto (apt-get install mosquitto) or pass --broker"
        );
        let port = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?.port();
        let dir = tempfile::Builder::new().prefix("tika-bench-mqtt-").tempdir()?;
        let conf = dir.path().join("mosquitto.conf");
        std::fs::write(
            &conf,
            format!(
                "listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest none\n\
                 max_inflight_messages 1000\nmax_queued_messages 1000000\n"
            ),
        )?;
        let child = Command::new(MOSQUITTO)
            .arg("-c")
            .arg(&conf)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .context("cannot start mosquitto")?;
        let broker =
            Self { url: format!("mqtt://127.0.0.1:{port}"), child: Some(child), _dir: Some(dir) };
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                eprintln!("bench: mosquitto on 127.0.0.1:{port} (pid {})", broker.pid());
                return Ok(broker);
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        anyhow::bail!("mosquitto did not start")
    }

    fn pid(&self) -> u32 {
        self.child.as_ref().map_or(0, Child::id)
    }
}

/// CPU seconds used so far by a process (`/proc/<pid>/stat`, utime + stime), if readable.
fn cpu_secs(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let after = stat.rsplit_once(')')?.1;
    let fields: Vec<&str> = after.split_whitespace().collect();
    let utime: f64 = fields.get(11)?.parse().ok()?;
    let stime: f64 = fields.get(12)?.parse().ok()?;
    Some((utime + stime) / 100.0)
}

/// Runs the benchmark.
pub(crate) fn run(args: &IngestArgs) -> anyhow::Result<()> {
    let server = runtime("tika-ingest", args.common.server_threads)?;
    let client = runtime("tika-sim", args.common.client_threads)?;
    let broker = match &args.broker {
        Some(url) => Broker { url: url.clone(), child: None, _dir: None },
        None => Broker::start()?,
    };
    let settings =
        MqttSettings::parse_url(&broker.url).map_err(|e| anyhow::anyhow!("--broker: {e}"))?;
    let db = server.block_on(Database::prepare(&args.common))?;
    let result = server.block_on(measure(args, &db, &settings, &client, &broker));
    server.block_on(db.cleanup())?;
    drop(client);
    result
}

async fn measure(
    args: &IngestArgs,
    db: &Database,
    settings: &MqttSettings,
    client: &tokio::runtime::Runtime,
    broker: &Broker,
) -> anyhow::Result<()> {
    let min_ms = i64::try_from(args.min_duration.as_millis())?;
    let silence_ms = i64::try_from(args.silence.as_millis())?;
    let fridge = ExcursionRule::new(TempRange::FRIDGE, min_ms, silence_ms)?;
    let freezer = ExcursionRule::new(TempRange::FREEZER, min_ms, silence_ms)?;
    let store = open_store(&db.url, args.common.read_connections).await?;
    let store: DynStore = store;

    let mut fleet = Fleet::new("BENCH", args.loggers, 0.0, 0.0, 0.1);
    let setup = Instant::now();
    let linked = link_fleet(&store, &fleet, fridge, freezer).await?;
    eprintln!(
        "bench: {} loggers linked to equipment in {:.1} s",
        thousands(linked.len() as u64),
        setup.elapsed().as_secs_f64()
    );
    let equipment: HashMap<&str, tika_domain::ids::EquipmentId> =
        linked.iter().map(|(d, e)| (d.as_str(), *e)).collect();

    // The ingester, as `tika serve` runs it.
    let mut ingest_settings = settings.clone();
    ingest_settings.client_id = format!("tika-bench-ingest-{}", std::process::id());
    let handle = ingest::spawn(
        Arc::clone(&store),
        Arc::new(SystemClock),
        ingest_settings,
        IngestTuning::default(),
        None,
    );
    tokio::time::sleep(Duration::from_secs(2)).await;

    // Scripts: excursions spread over the run, silences from 5 s on.
    let start_ms = chrono::Utc::now().timestamp_millis() + 500;
    let run_ms = i64::try_from(args.duration.as_millis())?;
    let n = fleet.loggers.len().max(1);
    let mut scripted: HashMap<tika_domain::ids::EquipmentId, AlarmKind> = HashMap::new();
    let exc = args.excursions as usize;
    let span = (run_ms - 5_000 - min_ms - 3_000).max(1);
    for k in 0..exc.min(n) {
        let l = &mut fleet.loggers[(k * n / exc.max(1)) % n];
        let begin = start_ms + 3_000 + span * k as i64 / exc.max(1) as i64;
        let temp = if l.freezer { -8.0 } else { 12.0 };
        l.script =
            Some(Script { start_ms: begin, end_ms: begin + min_ms + 3_000, temp: Some(temp) });
        if let Some(eq) = equipment.get(l.device.as_str()) {
            scripted.insert(*eq, AlarmKind::TooWarm);
        }
    }
    let sil = args.silences as usize;
    for k in 0..sil.min(n) {
        let l = &mut fleet.loggers[(k * n / sil.max(1) + n / (2 * sil.max(1)) + 1) % n];
        if l.script.is_some() {
            continue;
        }
        let begin = start_ms + 5_000;
        l.script = Some(Script { start_ms: begin, end_ms: begin + silence_ms + 5_000, temp: None });
        if let Some(eq) = equipment.get(l.device.as_str()) {
            scripted.insert(*eq, AlarmKind::Silent);
        }
    }

    let plan = PublishPlan {
        settings: settings.clone(),
        qos: if args.qos == 0 { rumqttc::QoS::AtMostOnce } else { rumqttc::QoS::AtLeastOnce },
        connections: args.connections,
        rate_per_logger: args.rate_per_logger_per_sec,
        duration: Some(args.duration),
        client_prefix: format!("tika-bench-sim-{}", std::process::id()),
    };
    let stats = Arc::new(PublishStats::default());
    let stop = Arc::new(AtomicBool::new(false));
    let before = handle.stats();
    let cpu_broker0 = cpu_secs(broker.pid());
    let cpu_self0 = cpu_secs(std::process::id());
    let started = Instant::now();
    let publisher = client.spawn({
        let stats = Arc::clone(&stats);
        let stop = Arc::clone(&stop);
        async move {
            let t = Instant::now();
            publish(fleet, &plan, stats, stop).await;
            t.elapsed()
        }
    });
    // Every 100 ms: note when the counters last moved; every 5 s: a progress line.
    let mut seen = handle.stats();
    let mut drained_at = Instant::now();
    let mut last_line = Instant::now();
    let mut last = 0;
    let mut published_in = None;
    let deadline = Instant::now() + args.duration + Duration::from_secs(120);
    while Instant::now() < deadline {
        tokio::time::sleep(Duration::from_millis(100)).await;
        let s = handle.stats();
        if s != seen {
            seen = s;
            drained_at = Instant::now();
        }
        if last_line.elapsed() >= Duration::from_secs(5) {
            last_line = Instant::now();
            eprintln!(
                "bench: {:>4.0} s  published {}  received {}  stored {} (+{}/s)",
                started.elapsed().as_secs_f64(),
                thousands(stats.published.load(Ordering::Relaxed)),
                thousands(s.messages - before.messages),
                thousands(s.readings_stored - before.readings_stored),
                thousands((s.readings_stored - last) / 5),
            );
            last = s.readings_stored;
        }
        if published_in.is_none() && publisher.is_finished() {
            published_in = Some(started.elapsed());
        }
        let quiet = drained_at.elapsed();
        if published_in.is_some()
            && ((quiet > Duration::from_secs(2)
                && s.messages - before.messages >= stats.published.load(Ordering::Relaxed))
                || quiet > Duration::from_secs(10))
        {
            break;
        }
    }
    let published_in = match publisher.await {
        Ok(d) => d,
        Err(_) => published_in.unwrap_or_else(|| started.elapsed()),
    };
    let published = stats.published.load(Ordering::Relaxed);
    let window = drained_at.duration_since(started);
    let cpu_broker = cpu_broker0.zip(cpu_secs(broker.pid())).map(|(a, b)| b - a);
    let cpu_self = cpu_self0.zip(cpu_secs(std::process::id())).map(|(a, b)| b - a);
    let stats_now = handle.stats();
    handle.shutdown().await;

    let rows = count_readings(&db.url).await?;
    let alarms =
        store.list_alarms(&AlarmFilter { limit: 1_000_000, ..AlarmFilter::default() }).await?;
    let mut excursion_lat: Vec<i64> = Vec::new();
    let mut silence_lat: Vec<i64> = Vec::new();
    for a in &alarms {
        match (scripted.get(&a.equipment), a.kind) {
            (Some(AlarmKind::TooWarm), AlarmKind::TooWarm | AlarmKind::TooCold) => {
                excursion_lat.push(a.opened_at_ms - (a.since_ms + min_ms));
            }
            (Some(AlarmKind::Silent), AlarmKind::Silent) => {
                silence_lat.push(a.opened_at_ms - (a.since_ms + silence_ms));
            }
            _ => {}
        }
    }
    let rate = rows as f64 / window.as_secs_f64();
    let s = stats_now;
    println!("\n{}", describe_run(db.backend, &args.common));
    println!(
        "loggers={} rate_per_logger={} qos={} connections={} duration={:?}\n",
        args.loggers, args.rate_per_logger_per_sec, args.qos, args.connections, args.duration
    );
    print_header(&["measure", "value", "target"]);
    print_row(&["readings stored (DB count)".into(), thousands(rows), String::new()]);
    print_row(&[
        "ingest, readings/s (first publish → drained)".into(),
        format!("{rate:.0}"),
        format!("≥ {TARGET_RATE:.0} {}", if rate >= TARGET_RATE { "✓" } else { "✗" }),
    ]);
    print_row(&[
        "published, messages/s".into(),
        format!("{:.0}", published as f64 / published_in.as_secs_f64()),
        String::new(),
    ]);
    print_row(&[
        "received / duplicates / malformed (json, topic, validation)".into(),
        format!(
            "{} / {} / {}, {}, {}",
            thousands(s.messages - before.messages),
            s.duplicates,
            s.malformed_json,
            s.malformed_topic,
            s.malformed_validation
        ),
        String::new(),
    ]);
    print_row(&[
        "batches / store errors".into(),
        format!("{} / {}", s.batches, s.store_errors),
        String::new(),
    ]);
    for (name, lat, expected) in [
        ("excursion alarm latency, ms", &mut excursion_lat, args.excursions),
        ("silence alarm latency, ms", &mut silence_lat, args.silences),
    ] {
        lat.sort_unstable();
        let pick = |q: f64| {
            lat.get(((lat.len() as f64 - 1.0) * q).round() as usize).copied().unwrap_or(-1)
        };
        let max = lat.last().copied().unwrap_or(-1);
        print_row(&[
            format!("{name} (p50 / p95 / max, {} of {expected} alarms)", lat.len()),
            format!("{} / {} / {}", pick(0.5), pick(0.95), max),
            format!(
                "≤ {TARGET_LATENCY_MS} {}",
                if !lat.is_empty() && max <= TARGET_LATENCY_MS { "✓" } else { "✗" }
            ),
        ]);
    }
    let busy = |c: Option<f64>| {
        c.map_or("n/a".to_owned(), |c| format!("{:.0} %", 100.0 * c / window.as_secs_f64()))
    };
    print_row(&[
        "CPU: mosquitto / tika (ingester + simulator + DB driver)".into(),
        format!("{} / {}", busy(cpu_broker), busy(cpu_self)),
        "of one core".into(),
    ]);
    Ok(())
}

async fn count_readings(url: &str) -> anyhow::Result<u64> {
    sqlx::any::install_default_drivers();
    let mut conn = sqlx::AnyConnection::connect(url).await?;
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM temperature_readings")
        .fetch_one(&mut conn)
        .await?;
    let _ = conn.close().await;
    Ok(u64::try_from(n).unwrap_or(0))
}
