//! `tika simulate loggers N`: publishes realistic temperature readings for N simulated loggers
//! to an MQTT broker, exactly as `docs/coldchain-mqtt.md` documents them, to try the cold
//! chain monitor and to load it (`tika bench ingest` uses the same fleet and publisher).
//!
//! Most loggers sit in ice-lined refrigerators: a set point between 3 and 6 °C with slow drift
//! and noise; one in ten sits in a deep freezer near −20 °C.  Now and then (`--excursion-prob`
//! per reading) a door is left open and the temperature climbs above the range for a few
//! minutes; now and then (`--silence-prob` per reading) a logger goes quiet for a while.
//!
//! Real loggers each hold their own MQTT connection; the simulator publishes on behalf of many
//! devices over a handful of connections (`--connections`), which is what a broker sees from a
//! gateway, and keeps the simulator cheap enough to load the ingester from the same machine.
//!
//! `tika simulate campaign` (report counters of a national campaign) lives in [`crate::campaign`].

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::{Args, Subcommand};
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use rumqttc::{AsyncClient, MqttOptions, QoS};
use tika_server::config::MqttSettings;

/// `tika simulate …`.
#[derive(Debug, Subcommand)]
pub(crate) enum SimulateCommand {
    /// Publish readings for N simulated temperature loggers (fridges and freezers).
    Loggers(LoggersArgs),
    /// Fill the report counters with a national campaign (100 M doses over a year by default)
    /// without writing a row per dose, plus real rows in a few districts.
    Campaign(crate::campaign::CampaignArgs),
}

/// `tika simulate loggers N`.
#[derive(Debug, Args, Clone)]
pub(crate) struct LoggersArgs {
    /// How many loggers (device codes `<prefix>-000001` …).
    pub(crate) count: u32,
    /// The broker, `mqtt://[user:password@]host[:port]`.
    #[arg(long, default_value = "mqtt://127.0.0.1:1883")]
    pub(crate) broker: String,
    /// Readings per logger per second (real loggers: one a minute or less); 0 publishes as
    /// fast as the connections allow.
    #[arg(long, default_value_t = 1.0)]
    pub(crate) rate_per_logger_per_sec: f64,
    /// Stop after this long (`30s`, `5m`); default: run until interrupted.
    #[arg(long, value_parser = crate::bench::parse_duration)]
    pub(crate) duration: Option<Duration>,
    /// Chance per reading that a door-open excursion starts.
    #[arg(long, default_value_t = 0.0005)]
    pub(crate) excursion_prob: f64,
    /// Chance per reading that the logger goes silent for a while.
    #[arg(long, default_value_t = 0.0002)]
    pub(crate) silence_prob: f64,
    /// MQTT `QoS` of the publishes: 0 or 1.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u8).range(0..=1))]
    pub(crate) qos: u8,
    /// MQTT connections to publish over.
    #[arg(long, default_value_t = 4)]
    pub(crate) connections: usize,
    /// Device code prefix.
    #[arg(long, default_value = "SIM")]
    pub(crate) prefix: String,
    /// Also create, in this database (`sqlite://…`, `postgres://…`), a cold chain point per 10
    /// loggers and a fridge or freezer linked to each logger, so alarms open.
    #[arg(long, value_name = "DATABASE_URL")]
    pub(crate) link: Option<String>,
}

/// Runs `tika simulate …`.
pub(crate) async fn simulate(
    config: Option<&std::path::Path>,
    command: SimulateCommand,
) -> anyhow::Result<()> {
    match command {
        SimulateCommand::Loggers(args) => loggers(args).await,
        SimulateCommand::Campaign(args) => crate::campaign::campaign(config, args).await,
    }
}

async fn loggers(args: LoggersArgs) -> anyhow::Result<()> {
    anyhow::ensure!(args.count > 0, "simulate at least one logger");
    anyhow::ensure!(args.rate_per_logger_per_sec >= 0.0, "the rate must not be negative");
    let settings =
        MqttSettings::parse_url(&args.broker).map_err(|e| anyhow::anyhow!("--broker: {e}"))?;
    let fleet = Fleet::new(&args.prefix, args.count, args.excursion_prob, args.silence_prob, 0.1);
    if let Some(url) = &args.link {
        let store = tika_storage::connect(url, 2)
            .await
            .with_context(|| format!("cannot open {}", crate::config::redact_url(url)))?;
        let store: tika_storage::DynStore = store;
        let made = link_fleet(
            &store,
            &fleet,
            tika_domain::coldchain::ExcursionRule::FRIDGE,
            tika_domain::coldchain::ExcursionRule::FREEZER,
        )
        .await?;
        eprintln!("simulate: {} pieces of equipment linked to the loggers", made.len());
    }
    let stop = Arc::new(AtomicBool::new(false));
    {
        let stop = Arc::clone(&stop);
        tokio::spawn(async move {
            let _ = tokio::signal::ctrl_c().await;
            stop.store(true, Ordering::Relaxed);
        });
    }
    let plan = PublishPlan {
        settings,
        qos: if args.qos == 0 { QoS::AtMostOnce } else { QoS::AtLeastOnce },
        connections: args.connections.max(1),
        rate_per_logger: args.rate_per_logger_per_sec,
        duration: args.duration,
        client_prefix: format!("tika-sim-{}", std::process::id()),
    };
    eprintln!(
        "simulate: {} loggers ({} freezers) → {} over {} connections, {} readings/s each{}",
        fleet.loggers.len(),
        fleet.loggers.iter().filter(|l| l.freezer).count(),
        plan.settings.redacted_url(),
        plan.connections,
        if plan.rate_per_logger > 0.0 { format!("{}", plan.rate_per_logger) } else { "max".into() },
        plan.duration.map_or(String::new(), |d| format!(", for {d:?}"))
    );
    let stats = Arc::new(PublishStats::default());
    let started = Instant::now();
    let reporter = {
        let stats = Arc::clone(&stats);
        tokio::spawn(async move {
            let mut last = 0;
            loop {
                tokio::time::sleep(Duration::from_secs(5)).await;
                let now = stats.published.load(Ordering::Relaxed);
                eprintln!(
                    "simulate: {now} published ({}/s), {} excursions, {} silences",
                    (now - last) / 5,
                    stats.excursions.load(Ordering::Relaxed),
                    stats.silences.load(Ordering::Relaxed)
                );
                last = now;
            }
        })
    };
    publish(fleet, &plan, Arc::clone(&stats), stop).await;
    reporter.abort();
    let secs = started.elapsed().as_secs_f64();
    let n = stats.published.load(Ordering::Relaxed);
    eprintln!(
        "simulate: {n} readings published in {secs:.1} s ({:.0}/s)",
        n as f64 / secs.max(0.001)
    );
    Ok(())
}

/// Creates one point per ten loggers and a linked fridge (or freezer) per logger, concurrently.
/// Returns the equipment created, with its device code.
pub(crate) async fn link_fleet(
    store: &tika_storage::DynStore,
    fleet: &Fleet,
    fridge: tika_domain::coldchain::ExcursionRule,
    freezer: tika_domain::coldchain::ExcursionRule,
) -> anyhow::Result<Vec<(String, tika_domain::ids::EquipmentId)>> {
    use futures::StreamExt;
    use tika_domain::coldchain::DeviceCode;
    use tika_domain::ids::{ColdChainPointId, EquipmentId, StateId};
    use tika_domain::inventory::{EquipmentKind, PointLevel};
    use tika_storage::{ColdChainPoint, Equipment};

    let now = chrono::Utc::now().timestamp_millis();
    let made = std::sync::Mutex::new(Vec::new());
    let results = futures::stream::iter(fleet.loggers.chunks(10).enumerate())
        .map(|(i, group)| {
            let made = &made;
            async move {
                let point = ColdChainPoint {
                    id: ColdChainPointId::new(),
                    name: format!("Simulated store {}", i + 1),
                    level: PointLevel::Facility,
                    state: StateId(21),
                    district: None,
                    center: None,
                    active: true,
                    created_at_ms: now,
                };
                store.create_point(&point).await?;
                for (j, l) in group.iter().enumerate() {
                    let device =
                        DeviceCode::parse(&l.device).map_err(|e| anyhow::anyhow!("{e}"))?;
                    let eq = Equipment {
                        id: EquipmentId::new(),
                        point: point.id,
                        kind: if l.freezer {
                            EquipmentKind::DeepFreezer
                        } else {
                            EquipmentKind::Ilr
                        },
                        label: format!("{} {}", if l.freezer { "DF" } else { "ILR" }, j + 1),
                        rule: if l.freezer { freezer } else { fridge },
                        logger: Some(device),
                        created_at_ms: now,
                    };
                    match store.create_equipment(&eq).await {
                        Ok(()) => made
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner)
                            .push((l.device.clone(), eq.id)),
                        // Already linked (a second run on the same database): keep it.
                        Err(tika_storage::StorageError::Conflict(_)) => {}
                        Err(e) => return Err(anyhow::Error::new(e)),
                    }
                }
                anyhow::Ok(())
            }
        })
        .buffer_unordered(16)
        .collect::<Vec<_>>()
        .await;
    for r in results {
        r?;
    }
    Ok(made.into_inner().unwrap_or_else(std::sync::PoisonError::into_inner))
}

/// What one simulated logger is doing.
#[derive(Debug, Clone, Copy, PartialEq)]
enum Phase {
    /// Holding its set point.
    Normal,
    /// Door open: warming toward `peak` until `until_ms`.
    Excursion { until_ms: i64, peak: f64 },
    /// Publishing nothing until `until_ms`.
    Silent { until_ms: i64 },
}

/// A scripted excursion (benchmarks): from `start_ms` to `end_ms` the logger reads `temp`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Script {
    /// Start (unix ms).
    pub(crate) start_ms: i64,
    /// End (unix ms).
    pub(crate) end_ms: i64,
    /// Temperature meanwhile, °C; `None`: silent meanwhile.
    pub(crate) temp: Option<f64>,
}

/// One simulated logger.
#[derive(Debug, Clone)]
pub(crate) struct SimLogger {
    /// Device code.
    pub(crate) device: String,
    /// Its readings topic.
    pub(crate) topic: String,
    /// In a freezer (−20 °C) rather than a fridge.
    pub(crate) freezer: bool,
    set_point: f64,
    temp: f64,
    battery: i64,
    phase: Phase,
    /// Scripted behaviour overriding the random one.
    pub(crate) script: Option<Script>,
}

/// The loggers and the chances of their misadventures.
#[derive(Debug, Clone)]
pub(crate) struct Fleet {
    /// The loggers.
    pub(crate) loggers: Vec<SimLogger>,
    excursion_prob: f64,
    silence_prob: f64,
}

impl Fleet {
    /// `count` loggers `<prefix>-000001` …, `freezer_share` of them in freezers.
    pub(crate) fn new(
        prefix: &str,
        count: u32,
        excursion_prob: f64,
        silence_prob: f64,
        freezer_share: f64,
    ) -> Self {
        let mut rng = SmallRng::seed_from_u64(u64::from(count));
        let every = if freezer_share > 0.0 { (1.0 / freezer_share).round() as u32 } else { 0 };
        let loggers = (1..=count)
            .map(|i| {
                let device = format!("{prefix}-{i:06}");
                let freezer = every > 0 && i % every == 0;
                let set_point = if freezer {
                    rng.random_range(-22.0..-18.0)
                } else {
                    rng.random_range(3.0..6.0)
                };
                SimLogger {
                    topic: format!("tika/loggers/{device}/readings"),
                    device,
                    freezer,
                    set_point,
                    temp: set_point,
                    battery: rng.random_range(40..=100),
                    phase: Phase::Normal,
                    script: None,
                }
            })
            .collect();
        Self { loggers, excursion_prob, silence_prob }
    }
}

impl SimLogger {
    /// The next reading at `at_ms` as a JSON payload, or `None` while silent.
    fn next_payload(
        &mut self,
        at_ms: i64,
        rng: &mut SmallRng,
        fleet: (f64, f64),
        stats: &PublishStats,
    ) -> Option<String> {
        let t = match self.script.filter(|s| (s.start_ms..s.end_ms).contains(&at_ms)) {
            Some(Script { temp: Some(t), .. }) => t + rng.random_range(-0.2..0.2),
            Some(Script { temp: None, .. }) => return None,
            None => self.step(at_ms, rng, fleet, stats)?,
        };
        let t = (t * 10.0).round() / 10.0;
        Some(format!(
            r#"{{"device":"{}","t":{t},"at":{at_ms},"battery":{}}}"#,
            self.device, self.battery
        ))
    }

    /// The random walk: drift toward the set point with noise, door-open excursions, silences.
    fn step(
        &mut self,
        at_ms: i64,
        rng: &mut SmallRng,
        (excursion_prob, silence_prob): (f64, f64),
        stats: &PublishStats,
    ) -> Option<f64> {
        match self.phase {
            Phase::Silent { until_ms } if at_ms < until_ms => return None,
            Phase::Silent { .. } => self.phase = Phase::Normal,
            Phase::Excursion { until_ms, .. } if at_ms >= until_ms => self.phase = Phase::Normal,
            _ => {}
        }
        if self.phase == Phase::Normal {
            let roll: f64 = rng.random();
            if roll < silence_prob {
                stats.silences.fetch_add(1, Ordering::Relaxed);
                self.phase = Phase::Silent { until_ms: at_ms + rng.random_range(5..90) * 60_000 };
                return None;
            } else if roll < silence_prob + excursion_prob {
                stats.excursions.fetch_add(1, Ordering::Relaxed);
                let peak = if self.freezer {
                    rng.random_range(-14.0..-8.0)
                } else {
                    rng.random_range(9.5..15.0)
                };
                self.phase =
                    Phase::Excursion { until_ms: at_ms + rng.random_range(2..20) * 60_000, peak };
            }
        }
        let target = match self.phase {
            Phase::Excursion { peak, .. } => peak,
            _ => self.set_point,
        };
        let pull = if matches!(self.phase, Phase::Excursion { .. }) { 0.15 } else { 0.05 };
        self.temp += (target - self.temp) * pull + rng.random_range(-0.15..0.15);
        if rng.random_range(0..20_000) == 0 {
            self.battery = (self.battery - 1).max(1);
        }
        Some(self.temp)
    }
}

/// How to publish.
#[derive(Debug, Clone)]
pub(crate) struct PublishPlan {
    /// The broker.
    pub(crate) settings: MqttSettings,
    /// `QoS` of the publishes.
    pub(crate) qos: QoS,
    /// Connections (each publishes for a share of the loggers).
    pub(crate) connections: usize,
    /// Readings per logger per second; 0: as fast as possible.
    pub(crate) rate_per_logger: f64,
    /// How long; `None`: until `stop`.
    pub(crate) duration: Option<Duration>,
    /// Client id prefix.
    pub(crate) client_prefix: String,
}

/// What was published.
#[derive(Debug, Default)]
pub(crate) struct PublishStats {
    /// Readings handed to the MQTT client.
    pub(crate) published: AtomicU64,
    /// Random excursions started.
    pub(crate) excursions: AtomicU64,
    /// Random silences started.
    pub(crate) silences: AtomicU64,
    /// Connection errors.
    pub(crate) errors: AtomicU64,
}

/// Publishes the fleet's readings until the duration is over or `stop` is set.  Every
/// connection serves a share of the loggers round-robin, each reading stamped with the wall
/// clock when it is made.
pub(crate) async fn publish(
    fleet: Fleet,
    plan: &PublishPlan,
    stats: Arc<PublishStats>,
    stop: Arc<AtomicBool>,
) {
    let n = plan.connections.max(1);
    let probs = (fleet.excursion_prob, fleet.silence_prob);
    let mut shares: Vec<Vec<SimLogger>> = vec![Vec::new(); n];
    for (i, l) in fleet.loggers.into_iter().enumerate() {
        shares[i % n].push(l);
    }
    let deadline = plan.duration.map(|d| Instant::now() + d);
    let mut tasks = Vec::new();
    for (i, share) in shares.into_iter().enumerate() {
        if share.is_empty() {
            continue;
        }
        let plan = plan.clone();
        let stats = Arc::clone(&stats);
        let stop = Arc::clone(&stop);
        tasks.push(tokio::spawn(async move {
            connection(i, share, &plan, probs, stats, stop, deadline).await;
        }));
    }
    for t in tasks {
        let _ = t.await;
    }
}

async fn connection(
    index: usize,
    mut loggers: Vec<SimLogger>,
    plan: &PublishPlan,
    probs: (f64, f64),
    stats: Arc<PublishStats>,
    stop: Arc<AtomicBool>,
    deadline: Option<Instant>,
) {
    let s = &plan.settings;
    let mut opts = MqttOptions::new(format!("{}-{index}", plan.client_prefix), &s.host, s.port);
    opts.set_keep_alive(Duration::from_secs(30))
        .set_inflight(1000)
        .set_request_channel_capacity(4096)
        .set_max_packet_size(64 * 1024, 64 * 1024);
    if let Some(u) = &s.username {
        opts.set_credentials(u, s.password.clone().unwrap_or_default());
    }
    let (client, mut eventloop) = AsyncClient::new(opts, 4096);
    let poller = {
        let stats = Arc::clone(&stats);
        tokio::spawn(async move {
            loop {
                if let Err(e) = eventloop.poll().await {
                    stats.errors.fetch_add(1, Ordering::Relaxed);
                    tracing::warn!(error = %e, "simulator: MQTT connection error; reconnecting");
                    tokio::time::sleep(Duration::from_millis(500)).await;
                }
            }
        })
    };
    let mut rng = SmallRng::seed_from_u64(index as u64 + 7);
    let per_sec = plan.rate_per_logger * loggers.len() as f64;
    let started = Instant::now();
    let mut sent: u64 = 0;
    let mut next = 0usize;
    'run: loop {
        if stop.load(Ordering::Relaxed) || deadline.is_some_and(|d| Instant::now() >= d) {
            break;
        }
        let due = if per_sec > 0.0 {
            let due = (started.elapsed().as_secs_f64() * per_sec) as u64;
            if due <= sent {
                tokio::time::sleep(Duration::from_millis(5)).await;
                continue;
            }
            (due - sent).min(2_000)
        } else {
            500
        };
        let at_ms = chrono::Utc::now().timestamp_millis();
        for _ in 0..due {
            let count = loggers.len();
            let l = &mut loggers[next];
            next = (next + 1) % count;
            sent += 1;
            let Some(payload) = l.next_payload(at_ms, &mut rng, probs, &stats) else { continue };
            if client
                .publish(l.topic.as_str(), plan.qos, false, payload.into_bytes())
                .await
                .is_err()
            {
                break 'run;
            }
            stats.published.fetch_add(1, Ordering::Relaxed);
        }
    }
    // Let the event loop flush what is queued, then leave.
    let _ = tokio::time::timeout(Duration::from_secs(5), async {
        let _ = client.disconnect().await;
        tokio::time::sleep(Duration::from_millis(500)).await;
    })
    .await;
    poller.abort();
}

#[cfg(test)]
mod tests {
    use super::*;
    use tika_domain::coldchain::{RawReading, Reading, device_from_topic};

    #[test]
    fn payloads_are_valid_documented_readings() {
        let mut fleet = Fleet::new("SIM", 20, 0.2, 0.05, 0.1);
        let stats = PublishStats::default();
        let mut rng = SmallRng::seed_from_u64(1);
        let now = 1_796_378_100_000;
        let mut freezers = 0;
        let mut out_of_range = 0;
        for l in &mut fleet.loggers {
            assert_eq!(device_from_topic(&l.topic).unwrap().as_str(), l.device);
            for i in 0..200 {
                if let Some(p) = l.next_payload(now + i * 60_000, &mut rng, (0.2, 0.05), &stats) {
                    let raw: RawReading = serde_json::from_str(&p).unwrap();
                    let r = Reading::parse(&raw, now + i * 60_000).unwrap();
                    assert_eq!(r.device.as_str(), l.device);
                    if !l.freezer && !(20..=80).contains(&r.tenths) {
                        out_of_range += 1;
                    }
                }
            }
            freezers += usize::from(l.freezer);
        }
        assert_eq!(freezers, 2);
        assert!(out_of_range > 0, "some excursions");
        assert!(stats.excursions.load(Ordering::Relaxed) > 0);
        assert!(stats.silences.load(Ordering::Relaxed) > 0);
        // A script overrides the walk.
        let l = &mut fleet.loggers[0];
        l.script = Some(Script { start_ms: now, end_ms: now + 1_000, temp: Some(12.0) });
        let p = l.next_payload(now, &mut rng, (0.0, 0.0), &stats).unwrap();
        let raw: RawReading = serde_json::from_str(&p).unwrap();
        assert!(raw.t > 11.0);
        l.script = Some(Script { start_ms: now, end_ms: now + 1_000, temp: None });
        assert!(l.next_payload(now, &mut rng, (0.0, 0.0), &stats).is_none());
    }
}
