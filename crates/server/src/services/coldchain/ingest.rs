//! The MQTT ingester: subscribes to `tika/loggers/+/readings`, validates and stores readings in
//! batches, runs one [`Detector`] per piece of equipment, and records the alarms it decides.
//!
//! Two tasks.  The MQTT task only polls the `rumqttc` event loop (persistent session,
//! `clean_session = false`, `QoS 1` subscription, reconnecting with backoff when the broker goes
//! away) and pushes each message's raw topic and payload into a bounded channel; when the
//! channel is full it stops reading from the broker, which is the backpressure.  The processing
//! task ([`Processor`]) drains the channel in batches (up to [`IngestTuning::max_batch`]
//! messages, or whatever arrived within [`IngestTuning::linger`]) and, per batch:
//!
//! 1. parses each message (`device_from_topic`, JSON: one reading or an array of readings) and
//!    validates each reading with [`Reading::parse`] against the clock; a reading whose device
//!    differs from the topic's is refused.  Malformed input is counted by reason (`json`,
//!    `topic`, `validation`) and logged at debug with the reason only, never the payload;
//! 2. resolves devices through the in-memory directory (`ColdChainStore::logger_directory`),
//!    registering devices heard for the first time in one `register_loggers` call;
//! 3. stores the readings in one `insert_readings` call (a duplicate delivery is the same row
//!    and is not stored twice; the difference is counted as duplicates);
//! 4. feeds each linked reading, oldest first, to its equipment's detector and records what it
//!    decided in one `apply_alarm_changes` call (`Opened` → `Open`, `Cleared` → `Clear`, and
//!    `Worsen` when the open excursion's worst temperature moved further out).
//!
//! A ticker (every [`IngestTuning::tick_every`]) runs [`Detector::tick`] on every detector, which
//! opens `Silent` alarms and excursions whose run is still going on when no new reading arrives.
//! Detectors are restored from `load_detectors` at start, saved (changed ones only) every
//! [`IngestTuning::save_every`] and on shutdown, so a restart neither forgets an excursion in
//! progress nor opens the same alarm twice.  The directory is reloaded every
//! [`IngestTuning::directory_every`] so loggers linked in the console are picked up.
//!
//! A storage error never drops a batch silently: transient errors (database unavailable, any
//! unclassified error) are retried with backoff for as long as it takes, while the channel
//! holds the broker back; an error that retrying cannot fix (a conflict, a missing row) is
//! retried a few times, then counted in `store_errors` and `dropped_batches` and logged at warn.
//!
//! Messages are acknowledged to the broker when received, so a process crash loses at most the
//! messages in the channel and the batch being processed; an orderly shutdown processes them.

use std::collections::{HashMap, HashSet};
use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use bytes::Bytes;
use prometheus::IntCounterVec;
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use tika_domain::coldchain::{
    AlarmEvent, Detector, DeviceCode, ExcursionRule, RawReading, Reading, device_from_topic,
};
use tika_domain::ids::EquipmentId;
use tika_storage::{
    AlarmChange, DynStore, EquipmentLink, LoggerLink, NewReading, StorageError, StorageResult,
};
use tokio::sync::{mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::clock::Clock;
use crate::config::MqttSettings;
use crate::state::AppState;

/// The largest MQTT packet accepted from the broker (a logger flushing a buffer sends an array).
pub const MAX_PAYLOAD_BYTES: usize = 256 * 1024;

/// How the ingester batches and how often it ticks, saves and reloads.
#[derive(Debug, Clone)]
pub struct IngestTuning {
    /// Messages the channel between the MQTT task and the processing task holds.
    pub channel_capacity: usize,
    /// The most messages processed in one batch (one `insert_readings` call).
    pub max_batch: usize,
    /// How long a batch waits for more messages once the first one arrived.
    pub linger: Duration,
    /// How often silence and continuing excursions are checked.
    pub tick_every: Duration,
    /// How often changed detectors are saved.
    pub save_every: Duration,
    /// How often the logger directory is reloaded from the database.
    pub directory_every: Duration,
}

impl Default for IngestTuning {
    fn default() -> Self {
        Self {
            channel_capacity: 50_000,
            max_batch: 20_000,
            linger: Duration::from_millis(100),
            tick_every: Duration::from_secs(1),
            save_every: Duration::from_secs(30),
            directory_every: Duration::from_secs(30),
        }
    }
}

/// One message as received: topic and payload, not yet parsed.
#[derive(Debug, Clone)]
pub struct RawMessage {
    /// The MQTT topic.
    pub topic: String,
    /// The payload.
    pub payload: Bytes,
}

macro_rules! counters {
    ($($(#[$doc:meta])* $name:ident),* $(,)?) => {
        /// The ingester's counters (shared between its tasks; read with [`Counters::snapshot`]).
        #[derive(Debug, Default)]
        pub struct Counters {
            $($(#[$doc])* pub $name: AtomicU64,)*
        }

        /// A snapshot of the ingester's counters.
        #[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
        pub struct IngestStats {
            $($(#[$doc])* pub $name: u64,)*
        }

        impl Counters {
            /// The counters now.
            pub fn snapshot(&self) -> IngestStats {
                IngestStats { $($name: self.$name.load(Ordering::Relaxed),)* }
            }
        }

        impl IngestStats {
            /// Every counter with its name (the `counter` label of the Prometheus metric).
            pub fn named(&self) -> Vec<(&'static str, u64)> {
                vec![$((stringify!($name), self.$name),)*]
            }
        }
    };
}

counters! {
    /// MQTT messages received.
    messages,
    /// Readings that passed validation (one message may carry several).
    readings_valid,
    /// Readings stored as new rows.
    readings_stored,
    /// Readings already stored (or twice in one batch): not stored again.
    duplicates,
    /// Messages whose payload is not JSON of one reading or an array of readings.
    malformed_json,
    /// Messages on a topic that is not `tika/loggers/{device}/readings`, or readings whose
    /// device differs from the topic's.
    malformed_topic,
    /// Readings refused by validation (temperature, time, battery, device code, equipment).
    malformed_validation,
    /// Devices heard for the first time (registered, unlinked until someone links them).
    new_devices,
    /// Readings stored from devices not linked to equipment (no detection).
    unlinked_readings,
    /// Batches processed.
    batches,
    /// Storage calls that failed (each retry counts).
    store_errors,
    /// Batches (or alarm changes, detector saves) given up after an error retrying cannot fix.
    dropped_batches,
    /// Alarms opened.
    alarms_opened,
    /// Alarm conditions cleared.
    alarms_cleared,
    /// MQTT connection errors (each reconnection attempt counts).
    mqtt_errors,
}

impl Counters {
    fn add(counter: &AtomicU64, n: u64) {
        if n > 0 {
            counter.fetch_add(n, Ordering::Relaxed);
        }
    }
}

/// A running ingester: its counters, and the means to stop it.
pub struct IngestHandle {
    counters: Arc<Counters>,
    mqtt: JoinHandle<()>,
    processor: JoinHandle<()>,
    stop: Option<oneshot::Sender<()>>,
}

impl IngestHandle {
    /// The counters now.
    pub fn stats(&self) -> IngestStats {
        self.counters.snapshot()
    }

    /// The shared counters.
    pub fn counters(&self) -> Arc<Counters> {
        Arc::clone(&self.counters)
    }

    /// Whether both tasks are still running (they only end when stopped).
    pub fn is_running(&self) -> bool {
        !self.mqtt.is_finished() && !self.processor.is_finished()
    }

    /// Stops reading from the broker, processes what was already received, saves the changed
    /// detectors, and returns (waiting at most 30 seconds).
    pub async fn shutdown(mut self) {
        self.mqtt.abort();
        let _ = (&mut self.mqtt).await;
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if tokio::time::timeout(Duration::from_secs(30), &mut self.processor).await.is_err() {
            tracing::warn!("cold chain ingester did not stop within 30 s; aborted");
            self.processor.abort();
        }
    }

    /// Stops both tasks at once, saving nothing.
    pub fn abort(&self) {
        self.mqtt.abort();
        self.processor.abort();
    }
}

/// Starts the ingester of a server whose configuration names a broker (`None` otherwise).
pub fn spawn_for_state(state: &AppState) -> Option<IngestHandle> {
    let settings = state.config.mqtt.clone()?;
    tracing::info!(broker = %settings.redacted_url(), topic = %settings.topic_filter, "cold chain ingester starting");
    Some(spawn(
        Arc::clone(&state.store),
        Arc::clone(&state.clock),
        settings,
        IngestTuning::default(),
        Some(state.metrics.coldchain_ingest.clone()),
    ))
}

/// Starts the ingester: the MQTT task and the processing task.
pub fn spawn(
    store: DynStore,
    clock: Arc<dyn Clock>,
    settings: MqttSettings,
    tuning: IngestTuning,
    metrics: Option<IntCounterVec>,
) -> IngestHandle {
    let counters = Arc::new(Counters::default());
    let (tx, rx) = mpsc::channel(tuning.channel_capacity.max(1));
    let (stop, stopped) = oneshot::channel();
    let mqtt = tokio::spawn(run_mqtt(settings, tx, Arc::clone(&counters)));
    let processor = tokio::spawn(run_processor(
        store,
        clock,
        Arc::clone(&counters),
        tuning,
        rx,
        stopped,
        metrics,
    ));
    IngestHandle { counters, mqtt, processor, stop: Some(stop) }
}

/// The MQTT options of the ingester: persistent session, large packets.
pub fn mqtt_options(settings: &MqttSettings) -> MqttOptions {
    let mut opts = MqttOptions::new(&settings.client_id, &settings.host, settings.port);
    opts.set_keep_alive(Duration::from_secs(30))
        .set_clean_session(false)
        .set_max_packet_size(MAX_PAYLOAD_BYTES, 64 * 1024);
    if let Some(user) = &settings.username {
        opts.set_credentials(user, settings.password.clone().unwrap_or_default());
    }
    opts
}

/// Polls the event loop for ever: forwards publishes, subscribes on every connection,
/// reconnects with backoff (250 ms doubling to 30 s).
async fn run_mqtt(settings: MqttSettings, tx: mpsc::Sender<RawMessage>, counters: Arc<Counters>) {
    let (client, mut eventloop) = AsyncClient::new(mqtt_options(&settings), 64);
    let initial = Duration::from_millis(250);
    let mut backoff = initial;
    loop {
        match eventloop.poll().await {
            Ok(Event::Incoming(Packet::Publish(p))) => {
                counters.messages.fetch_add(1, Ordering::Relaxed);
                if tx.send(RawMessage { topic: p.topic, payload: p.payload }).await.is_err() {
                    return;
                }
            }
            Ok(Event::Incoming(Packet::ConnAck(ack))) => {
                backoff = initial;
                tracing::info!(
                    session_present = ack.session_present,
                    "cold chain ingester connected to the MQTT broker"
                );
                // Subscribing again is harmless when the broker kept the session.
                if let Err(e) =
                    client.try_subscribe(settings.topic_filter.clone(), QoS::AtLeastOnce)
                {
                    tracing::warn!(error = %e, "cold chain ingester could not subscribe");
                }
            }
            Ok(Event::Incoming(Packet::SubAck(ack))) => {
                tracing::debug!(codes = ?ack.return_codes, "subscribed to logger readings");
            }
            Ok(_) => {}
            Err(e) => {
                counters.mqtt_errors.fetch_add(1, Ordering::Relaxed);
                tracing::warn!(
                    error = %e,
                    broker = %settings.redacted_url(),
                    retry_in_ms = u64::try_from(backoff.as_millis()).unwrap_or(u64::MAX),
                    "MQTT broker unreachable or connection lost; reconnecting"
                );
                tokio::time::sleep(backoff).await;
                backoff = (backoff * 2).min(Duration::from_secs(30));
            }
        }
    }
}

async fn run_processor(
    store: DynStore,
    clock: Arc<dyn Clock>,
    counters: Arc<Counters>,
    tuning: IngestTuning,
    mut rx: mpsc::Receiver<RawMessage>,
    mut stopped: oneshot::Receiver<()>,
    metrics: Option<IntCounterVec>,
) {
    let mut p = tokio::select! {
        p = Processor::start(store, clock, Arc::clone(&counters)) => p,
        _ = &mut stopped => return,
    };
    p.metrics = metrics;
    let max_batch = tuning.max_batch.max(1);
    let mut tick = tokio::time::interval(tuning.tick_every);
    let mut save = tokio::time::interval(tuning.save_every);
    let mut refresh = tokio::time::interval(tuning.directory_every);
    for i in [&mut tick, &mut save, &mut refresh] {
        i.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    }
    // The first ticks fire at once: nothing to save or reload yet.
    save.tick().await;
    refresh.tick().await;
    let mut buf: Vec<RawMessage> = Vec::with_capacity(max_batch);
    loop {
        tokio::select! {
            biased;
            _ = &mut stopped => break,
            _ = tick.tick() => p.tick().await,
            _ = save.tick() => p.save_in_background(),
            _ = refresh.tick() => p.refresh_directory().await,
            n = rx.recv_many(&mut buf, max_batch) => {
                if n == 0 {
                    break;
                }
                let deadline = tokio::time::Instant::now() + tuning.linger;
                while buf.len() < max_batch {
                    let room = max_batch - buf.len();
                    match tokio::time::timeout_at(deadline, rx.recv_many(&mut buf, room)).await {
                        Ok(n) if n > 0 => {}
                        _ => break,
                    }
                }
                p.process(&buf).await;
                buf.clear();
            }
        }
    }
    // Orderly stop: what was received is processed, then every changed detector saved.
    rx.close();
    while rx.recv_many(&mut buf, max_batch).await > 0 {
        p.process(&buf).await;
        buf.clear();
    }
    p.tick().await;
    p.save_now().await;
}

/// One detector and what the store was last told about its open excursion.
#[derive(Debug, Clone)]
struct Tracked {
    detector: Detector,
    /// Changed since it was last saved.
    dirty: bool,
    /// The worst temperature of the open excursion as last recorded.
    reported_worst: Option<i32>,
}

impl Tracked {
    fn new(detector: Detector) -> Self {
        let reported_worst =
            detector.last_excursion().filter(|e| e.is_open()).map(|e| e.worst_tenths);
        Self { detector, dirty: true, reported_worst }
    }
}

/// The processing side of the ingester, usable without a broker (tests, benchmarks).
pub struct Processor {
    store: DynStore,
    clock: Arc<dyn Clock>,
    counters: Arc<Counters>,
    directory: HashMap<DeviceCode, LoggerLink>,
    detectors: HashMap<EquipmentId, Tracked>,
    saving: Option<JoinHandle<()>>,
    metrics: Option<IntCounterVec>,
    exported: IngestStats,
}

impl Processor {
    /// Loads the directory and the saved detectors, retrying until the database answers.
    pub async fn start(store: DynStore, clock: Arc<dyn Clock>, counters: Arc<Counters>) -> Self {
        let now = clock.now().timestamp_millis();
        let links = retry(&counters, "logger directory", || store.logger_directory(now))
            .await
            .unwrap_or_default();
        let saved =
            retry(&counters, "load detectors", || store.load_detectors()).await.unwrap_or_default();
        let mut saved: HashMap<EquipmentId, String> = saved.into_iter().collect();
        let mut p = Processor {
            store,
            clock,
            counters,
            directory: HashMap::with_capacity(links.len()),
            detectors: HashMap::new(),
            saving: None,
            metrics: None,
            exported: IngestStats::default(),
        };
        for link in links {
            if let Some(eq) = link.equipment {
                let restored = saved.remove(&eq.id).and_then(|json| {
                    serde_json::from_str::<Detector>(&json)
                        .inspect_err(|e| {
                            tracing::warn!(error = %e, "saved detector unreadable; starting afresh");
                        })
                        .ok()
                });
                let mut tracked = match restored {
                    Some(d) => {
                        let mut t = Tracked::new(rule_applied(d, eq.rule));
                        t.dirty = false;
                        t
                    }
                    None => Tracked::new(Detector::watching_since(eq.rule, now)),
                };
                if tracked.detector.rule() != eq.rule {
                    tracked.dirty = true;
                }
                p.detectors.insert(eq.id, tracked);
            }
            p.directory.insert(link.device.clone(), link);
        }
        tracing::info!(
            devices = p.directory.len(),
            equipment = p.detectors.len(),
            "cold chain ingester ready"
        );
        p
    }

    /// The counters.
    pub fn counters(&self) -> &Counters {
        &self.counters
    }

    /// Parses, stores and runs detection on one batch of messages.
    pub async fn process(&mut self, batch: &[RawMessage]) {
        let now = self.clock.now().timestamp_millis();
        let c = Arc::clone(&self.counters);
        let mut readings: Vec<Reading> = Vec::with_capacity(batch.len());
        for m in batch {
            parse_message(m, now, &c, &mut readings);
        }
        Counters::add(&c.readings_valid, readings.len() as u64);

        // Devices heard for the first time.
        let mut unknown: Vec<DeviceCode> = Vec::new();
        let mut seen_unknown = HashSet::new();
        for r in &readings {
            if !self.directory.contains_key(&r.device) && seen_unknown.insert(&r.device) {
                unknown.push(r.device.clone());
            }
        }
        if !unknown.is_empty() {
            let store = Arc::clone(&self.store);
            let links =
                retry(&c, "register loggers", || store.register_loggers(&unknown, now)).await;
            for link in links.unwrap_or_default() {
                Counters::add(&c.new_devices, 1);
                if let Some(eq) = link.equipment {
                    self.detectors
                        .entry(eq.id)
                        .or_insert_with(|| Tracked::new(Detector::watching_since(eq.rule, now)));
                }
                self.directory.insert(link.device.clone(), link);
            }
        }

        // Rows to store, duplicates within the batch dropped, and what to feed the detectors.
        let mut rows: Vec<NewReading> = Vec::with_capacity(readings.len());
        let mut feed: Vec<(i64, EquipmentId, i32)> = Vec::with_capacity(readings.len());
        let mut seen: HashSet<(i64, i64)> = HashSet::with_capacity(readings.len());
        let mut unlinked = 0u64;
        for r in &readings {
            let Some(link) = self.directory.get(&r.device) else { continue };
            if !seen.insert((link.logger_id, r.at_ms)) {
                continue;
            }
            rows.push(NewReading {
                logger_id: link.logger_id,
                at_ms: r.at_ms,
                tenths: r.tenths,
                battery_pct: r.battery_pct,
            });
            match link.equipment {
                Some(eq) => feed.push((r.at_ms, eq.id, r.tenths)),
                None => unlinked += 1,
            }
        }
        Counters::add(&c.unlinked_readings, unlinked);
        if !rows.is_empty() {
            let store = Arc::clone(&self.store);
            let stored = retry(&c, "insert readings", || store.insert_readings(&rows, now)).await;
            if let Some(stored) = stored {
                Counters::add(&c.readings_stored, stored);
            }
            let attempted = readings.len() as u64;
            let stored = stored.unwrap_or(rows.len() as u64);
            Counters::add(&c.duplicates, attempted.saturating_sub(stored));
        } else {
            Counters::add(&c.duplicates, readings.len() as u64);
        }

        // Detection, oldest reading first.
        feed.sort_unstable_by_key(|(at, _, _)| *at);
        let mut changes = Vec::new();
        let mut touched = HashSet::new();
        for (at, eq, tenths) in feed {
            if let Some(t) = self.detectors.get_mut(&eq) {
                let events = t.detector.observe(at, tenths);
                t.dirty = true;
                touched.insert(eq);
                translate(eq, t, &events, &mut changes);
            }
        }
        for eq in touched {
            if let Some(t) = self.detectors.get_mut(&eq) {
                worsen(eq, t, &mut changes);
            }
        }
        self.apply(changes, now).await;
        Counters::add(&c.batches, 1);
        self.export_metrics();
    }

    /// Checks every detector against the clock (silence, continuing excursions).
    pub async fn tick(&mut self) {
        let now = self.clock.now().timestamp_millis();
        let mut changes = Vec::new();
        for (eq, t) in &mut self.detectors {
            let events = t.detector.tick(now);
            if !events.is_empty() {
                t.dirty = true;
                translate(*eq, t, &events, &mut changes);
            }
        }
        self.apply(changes, now).await;
        self.export_metrics();
    }

    /// Reloads the directory: newly linked equipment gets a detector, a changed rule is
    /// applied, equipment no longer linked is no longer watched.
    pub async fn refresh_directory(&mut self) {
        let now = self.clock.now().timestamp_millis();
        let links = match self.store.logger_directory(now).await {
            Ok(l) => l,
            Err(e) => {
                Counters::add(&self.counters.store_errors, 1);
                tracing::warn!(error = %e, "cold chain: logger directory reload failed; keeping the last one");
                return;
            }
        };
        let mut linked: HashMap<EquipmentId, EquipmentLink> = HashMap::new();
        self.directory.clear();
        for link in links {
            if let Some(eq) = link.equipment {
                linked.insert(eq.id, eq);
            }
            self.directory.insert(link.device.clone(), link);
        }
        self.detectors.retain(|id, _| linked.contains_key(id));
        for (id, eq) in linked {
            match self.detectors.get_mut(&id) {
                Some(t) if t.detector.rule() != eq.rule => {
                    let open = t.reported_worst;
                    *t = Tracked::new(rule_applied(t.detector.clone(), eq.rule));
                    t.reported_worst = t.reported_worst.or(open);
                }
                Some(_) => {}
                None => {
                    self.detectors.insert(id, Tracked::new(Detector::watching_since(eq.rule, now)));
                }
            }
        }
    }

    /// Serializes the changed detectors and saves them on a background task (skipped while the
    /// previous save is still running).
    pub fn save_in_background(&mut self) {
        if self.saving.as_ref().is_some_and(|h| !h.is_finished()) {
            return;
        }
        let states = self.take_dirty();
        if states.is_empty() {
            return;
        }
        let store = Arc::clone(&self.store);
        let counters = Arc::clone(&self.counters);
        let now = self.clock.now().timestamp_millis();
        self.saving = Some(tokio::spawn(async move {
            save_states(&store, &counters, &states, now).await;
        }));
    }

    /// Saves every changed detector now (after any background save).
    pub async fn save_now(&mut self) {
        if let Some(h) = self.saving.take() {
            let _ = h.await;
        }
        let states = self.take_dirty();
        let now = self.clock.now().timestamp_millis();
        save_states(&self.store, &self.counters, &states, now).await;
    }

    fn take_dirty(&mut self) -> Vec<(EquipmentId, String)> {
        let mut states = Vec::new();
        for (eq, t) in &mut self.detectors {
            if !t.dirty {
                continue;
            }
            match serde_json::to_string(&t.detector) {
                Ok(json) => {
                    states.push((*eq, json));
                    t.dirty = false;
                }
                Err(e) => tracing::warn!(error = %e, "cold chain: detector not serializable"),
            }
        }
        states
    }

    async fn apply(&mut self, changes: Vec<AlarmChange>, now: i64) {
        if changes.is_empty() {
            return;
        }
        let c = Arc::clone(&self.counters);
        let store = Arc::clone(&self.store);
        if let Some(opened) =
            retry(&c, "apply alarm changes", || store.apply_alarm_changes(&changes, now)).await
        {
            Counters::add(&c.alarms_opened, opened.len() as u64);
            let cleared = changes.iter().filter(|ch| matches!(ch, AlarmChange::Clear { .. }));
            Counters::add(&c.alarms_cleared, cleared.count() as u64);
            for a in &opened {
                tracing::info!(alarm = %a.id, equipment = %a.equipment, kind = %a.kind, since_ms = a.since_ms, "cold chain alarm opened");
            }
        }
    }

    fn export_metrics(&mut self) {
        let Some(m) = &self.metrics else { return };
        let now = self.counters.snapshot();
        for ((name, v), (_, before)) in now.named().into_iter().zip(self.exported.named()) {
            if v > before {
                m.with_label_values(&[name]).inc_by(v - before);
            }
        }
        self.exported = now;
    }
}

/// A detector with the rule now configured: the same one if the rule did not change, otherwise
/// a fresh one fed the old window (so a pending run is judged by the new rule).
fn rule_applied(detector: Detector, rule: ExcursionRule) -> Detector {
    if detector.rule() == rule {
        return detector;
    }
    let since = detector.latest_reading_ms().unwrap_or(0);
    let mut fresh = Detector::watching_since(rule, since);
    for (at, tenths) in detector.readings() {
        fresh.observe(at, tenths);
    }
    fresh
}

/// Parses one message into validated readings, counting what is refused.
fn parse_message(m: &RawMessage, now: i64, c: &Counters, out: &mut Vec<Reading>) {
    let Some(device) = device_from_topic(&m.topic) else {
        Counters::add(&c.malformed_topic, 1);
        tracing::debug!(reason = "topic", "cold chain: message on an unexpected topic ignored");
        return;
    };
    let raws = match parse_payload(&m.payload) {
        Ok(r) => r,
        Err(e) => {
            Counters::add(&c.malformed_json, 1);
            tracing::debug!(reason = "json", error = %e, "cold chain: payload is not a reading");
            return;
        }
    };
    for raw in &raws {
        match Reading::parse(raw, now) {
            Ok(r) if r.device == device => out.push(r),
            Ok(_) => {
                Counters::add(&c.malformed_topic, 1);
                tracing::debug!(
                    reason = "topic",
                    "cold chain: reading's device differs from its topic's"
                );
            }
            Err(e) => {
                Counters::add(&c.malformed_validation, 1);
                tracing::debug!(reason = "validation", error = %e, "cold chain: reading refused");
            }
        }
    }
}

/// One reading (`{...}`) or an array of readings (`[{...}, ...]`).
pub fn parse_payload(payload: &[u8]) -> Result<Vec<RawReading>, serde_json::Error> {
    if payload.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'[') {
        serde_json::from_slice(payload)
    } else {
        serde_json::from_slice(payload).map(|r| vec![r])
    }
}

/// Turns detector events into alarm changes.
fn translate(eq: EquipmentId, t: &mut Tracked, events: &[AlarmEvent], out: &mut Vec<AlarmChange>) {
    for ev in events {
        match *ev {
            AlarmEvent::Opened { kind, since_ms, worst_tenths } => {
                out.push(AlarmChange::Open { equipment: eq, kind, since_ms, worst_tenths });
                if kind.is_excursion() {
                    t.reported_worst = worst_tenths;
                }
            }
            AlarmEvent::Cleared { kind, at_ms } => {
                if kind.is_excursion() {
                    // The excursion's final worst, if it moved since last recorded.
                    if let Some(exc) = t.detector.last_excursion().filter(|e| e.kind == kind)
                        && t.reported_worst.is_some_and(|w| w != exc.worst_tenths)
                    {
                        out.push(AlarmChange::Worsen {
                            equipment: eq,
                            kind,
                            worst_tenths: exc.worst_tenths,
                        });
                    }
                    t.reported_worst = None;
                }
                out.push(AlarmChange::Clear { equipment: eq, kind, at_ms });
            }
        }
    }
}

/// A `Worsen` change when the open excursion's worst moved since last recorded.
fn worsen(eq: EquipmentId, t: &mut Tracked, out: &mut Vec<AlarmChange>) {
    if let Some(exc) = t.detector.last_excursion().filter(|e| e.is_open())
        && t.reported_worst != Some(exc.worst_tenths)
    {
        out.push(AlarmChange::Worsen {
            equipment: eq,
            kind: exc.kind,
            worst_tenths: exc.worst_tenths,
        });
        t.reported_worst = Some(exc.worst_tenths);
    }
}

async fn save_states(
    store: &DynStore,
    counters: &Counters,
    states: &[(EquipmentId, String)],
    now: i64,
) {
    for chunk in states.chunks(1000) {
        if retry(counters, "save detectors", || store.save_detectors(chunk, now)).await.is_none() {
            return;
        }
    }
}

/// Whether retrying may help.
fn transient(e: &StorageError) -> bool {
    matches!(e, StorageError::Unavailable(_) | StorageError::Other(_))
}

/// Runs a storage call until it succeeds: transient errors are retried with backoff (100 ms
/// doubling to 10 s) for as long as it takes; other errors three times, then the call is given
/// up (`None`, counted in `dropped_batches`).
async fn retry<T, F, Fut>(counters: &Counters, what: &'static str, mut call: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = StorageResult<T>>,
{
    let mut delay = Duration::from_millis(100);
    let mut permanent_failures = 0;
    loop {
        match call().await {
            Ok(v) => return Some(v),
            Err(e) => {
                Counters::add(&counters.store_errors, 1);
                if !transient(&e) {
                    permanent_failures += 1;
                    if permanent_failures >= 3 {
                        Counters::add(&counters.dropped_batches, 1);
                        tracing::warn!(error = %e, what, "cold chain: storage refused; given up");
                        return None;
                    }
                }
                tracing::warn!(
                    error = %e,
                    what,
                    retry_in_ms = u64::try_from(delay.as_millis()).unwrap_or(u64::MAX),
                    "cold chain: storage failed; retrying"
                );
                tokio::time::sleep(delay).await;
                delay = (delay * 2).min(Duration::from_secs(10));
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use tika_domain::coldchain::{AlarmKind, RawTime};

    use super::*;

    fn msg(topic: &str, payload: &str) -> RawMessage {
        RawMessage { topic: topic.to_owned(), payload: Bytes::copy_from_slice(payload.as_bytes()) }
    }

    const NOW: i64 = 1_796_378_100_000;

    #[test]
    fn payloads_parse_one_or_many_and_bad_input_is_counted() {
        let c = Counters::default();
        let mut out = Vec::new();
        let topic = "tika/loggers/LOG-1/readings";
        parse_message(
            &msg(topic, &format!(r#"{{"device":"LOG-1","t":4.6,"at":{NOW}}}"#)),
            NOW,
            &c,
            &mut out,
        );
        parse_message(
            &msg(
                topic,
                &format!(
                    r#" [{{"device":"LOG-1","t":5,"at":{}}}, {{"device":"LOG-1","t":5.5,"at":"{}","battery":80}}]"#,
                    NOW - 60_000,
                    chrono::DateTime::from_timestamp_millis(NOW).unwrap().to_rfc3339()
                ),
            ),
            NOW,
            &c,
            &mut out,
        );
        assert_eq!(out.len(), 3);
        assert_eq!(out[0].tenths, 46);
        parse_message(&msg(topic, "{not json"), NOW, &c, &mut out);
        parse_message(&msg("tika/loggers/LOG-1/status", "{}"), NOW, &c, &mut out);
        parse_message(
            &msg(topic, &format!(r#"{{"device":"LOG-2","t":4,"at":{NOW}}}"#)),
            NOW,
            &c,
            &mut out,
        );
        parse_message(
            &msg(topic, &format!(r#"{{"device":"LOG-1","t":99,"at":{NOW}}}"#)),
            NOW,
            &c,
            &mut out,
        );
        let s = c.snapshot();
        assert_eq!(out.len(), 3);
        assert_eq!((s.malformed_json, s.malformed_topic, s.malformed_validation), (1, 2, 1));
        let raw =
            parse_payload(br#"{"device":"LOG-1","t":4,"at":"2026-12-04T10:15:00Z"}"#).unwrap();
        assert_eq!(raw[0].at, RawTime::Rfc3339("2026-12-04T10:15:00Z".to_owned()));
    }

    #[test]
    fn events_become_changes_with_worsening() {
        let rule =
            ExcursionRule::new(tika_domain::coldchain::TempRange::FRIDGE, 1_000, 60_000).unwrap();
        let eq = EquipmentId::new();
        let mut t = Tracked::new(Detector::new(rule));
        let mut changes = Vec::new();
        for (at, tenths) in [(0, 90), (1_500, 95), (2_000, 120)] {
            let ev = t.detector.observe(at, tenths);
            translate(eq, &mut t, &ev, &mut changes);
        }
        worsen(eq, &mut t, &mut changes);
        let ev = t.detector.observe(3_000, 130);
        translate(eq, &mut t, &ev, &mut changes);
        let ev = t.detector.observe(4_000, 50);
        translate(eq, &mut t, &ev, &mut changes);
        assert_eq!(
            changes,
            vec![
                AlarmChange::Open {
                    equipment: eq,
                    kind: AlarmKind::TooWarm,
                    since_ms: 0,
                    worst_tenths: Some(95)
                },
                AlarmChange::Worsen { equipment: eq, kind: AlarmKind::TooWarm, worst_tenths: 120 },
                AlarmChange::Worsen { equipment: eq, kind: AlarmKind::TooWarm, worst_tenths: 130 },
                AlarmChange::Clear { equipment: eq, kind: AlarmKind::TooWarm, at_ms: 4_000 },
            ]
        );
    }

    #[test]
    fn a_changed_rule_replays_the_window() {
        let old =
            ExcursionRule::new(tika_domain::coldchain::TempRange::FRIDGE, 10_000, 60_000).unwrap();
        let new =
            ExcursionRule::new(tika_domain::coldchain::TempRange::FRIDGE, 1_000, 60_000).unwrap();
        let mut d = Detector::new(old);
        assert!(d.observe(0, 90).is_empty() && d.observe(2_000, 90).is_empty());
        let d = rule_applied(d, new);
        assert_eq!(d.rule(), new);
        assert_eq!(d.open_alarms().len(), 1);
    }
}
