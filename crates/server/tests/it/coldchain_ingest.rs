//! Cold chain ingest (`docs/coldchain-mqtt.md`) against a real Mosquitto broker, on SQLite and
//! PostgreSQL: readings published by a plain MQTT client are validated, stored once whatever
//! the duplication and order, bad payloads are counted and never stop the ingester, unknown
//! devices are registered, excursions and silences open alarms (with the exposed lots and the
//! outbox event) that in-range readings clear, and a restarted ingester carries on from its
//! saved detectors without opening the same alarm twice.
//!
//! The broker is `TIKA_TEST_MQTT_URL` (`scripts/test.sh` starts one); when it is unset, each
//! test starts its own `mosquitto` on a free loopback port, and fails if there is none.
//! The tests share the broker's topics, so they run one at a time.

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use rumqttc::{AsyncClient, MqttOptions, QoS};
use tika_domain::coldchain::{AlarmKind, DeviceCode, ExcursionRule, TempRange};
use tika_domain::ids::{CenterId, ColdChainPointId, DistrictId, EquipmentId, LotId, StateId};
use tika_domain::inventory::{
    BatchNumber, EquipmentKind, Lot, MovementKind, MovementRequest, PointLevel,
};
use tika_domain::vaccine::VaccineCode;
use tika_server::config::MqttSettings;
use tika_server::services::coldchain::ingest::{self, IngestHandle, IngestStats, IngestTuning};
use tika_storage::{AlarmFilter, AlarmRecord, Backend, ColdChainPoint, Equipment};
use tika_test_support::on_both_backends;

use crate::harness::{BKC, MAHARASHTRA, MUMBAI_SUBURBAN, TestApp};

/// One test at a time: they all publish on `tika/loggers/…`.
static SERIAL: tokio::sync::Mutex<()> = tokio::sync::Mutex::const_new(());

/// The broker of a test: `TIKA_TEST_MQTT_URL`, or a private mosquitto stopped on drop.
struct Broker {
    url: String,
    child: Option<Child>,
    dir: Option<std::path::PathBuf>,
}

impl Drop for Broker {
    fn drop(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        if let Some(d) = self.dir.take() {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}

const MOSQUITTO: &str = "/usr/sbin/mosquitto";

async fn broker() -> Broker {
    if let Ok(url) = std::env::var("TIKA_TEST_MQTT_URL")
        && !url.trim().is_empty()
    {
        return Broker { url, child: None, dir: None };
    }
    assert!(
        std::path::Path::new(MOSQUITTO).exists(),
        "the cold chain tests need an MQTT broker: set TIKA_TEST_MQTT_URL=mqtt://user:pass@127.0.0.1:18830 \
         (scripts/test.sh starts one) or install mosquitto (apt-get install mosquitto) so the test can start its own"
    );
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let dir = std::env::temp_dir().join(format!("tika-mqtt-{}", uuid::Uuid::new_v4().simple()));
    std::fs::create_dir_all(&dir).unwrap();
    let conf = dir.join("mosquitto.conf");
    std::fs::write(
        &conf,
        format!(
            "listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\nlog_dest none\nmax_queued_messages 100000\n"
        ),
    )
    .unwrap();
    let child = Command::new(MOSQUITTO)
        .arg("-c")
        .arg(&conf)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let broker =
        Broker { url: format!("mqtt://127.0.0.1:{port}"), child: Some(child), dir: Some(dir) };
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(("127.0.0.1", port)).await.is_ok() {
            return broker;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("mosquitto did not start on port {port}");
}

/// A plain MQTT client, as a logger would be, with its event loop polled in the background.
struct Logger {
    client: AsyncClient,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Logger {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Logger {
    fn connect(broker: &Broker) -> Self {
        let s = MqttSettings::parse_url(&broker.url).unwrap();
        let id = format!("test-logger-{}", uuid::Uuid::new_v4().simple());
        let mut o = MqttOptions::new(id, s.host, s.port);
        if let Some(u) = s.username {
            o.set_credentials(u, s.password.unwrap_or_default());
        }
        o.set_max_packet_size(256 * 1024, 256 * 1024);
        let (client, mut eventloop) = AsyncClient::new(o, 100);
        let task = tokio::spawn(async move {
            loop {
                if eventloop.poll().await.is_err() {
                    tokio::time::sleep(Duration::from_millis(100)).await;
                }
            }
        });
        Self { client, task }
    }

    async fn raw(&self, topic: &str, payload: &str) {
        self.client
            .publish(topic, QoS::AtLeastOnce, false, payload.as_bytes().to_vec())
            .await
            .unwrap();
    }

    async fn reading(&self, device: &str, t: f64, at_ms: i64) {
        let payload = format!(r#"{{"device":"{device}","t":{t},"at":{at_ms},"battery":87}}"#);
        self.raw(&topic(device), &payload).await;
    }
}

fn topic(device: &str) -> String {
    format!("tika/loggers/{device}/readings")
}

/// A device code unique to this run.
fn device(prefix: &str) -> String {
    format!("{prefix}-{}", &uuid::Uuid::new_v4().simple().to_string()[..10])
}

/// The short rule of the tests: 2–8 °C, alarm after 2 s out, silent after 3 s.
fn rule() -> ExcursionRule {
    ExcursionRule::new(TempRange::FRIDGE, 2_000, 3_000).unwrap()
}

/// A facility store at BKC with one fridge whose logger is `device`, and 40 vials in stock.
async fn fridge(app: &TestApp, device: &str) -> (ColdChainPointId, EquipmentId, LotId) {
    let now = app.state.now_ms();
    let point = ColdChainPoint {
        id: ColdChainPointId::new(),
        name: "BKC Jumbo Facility store".into(),
        level: PointLevel::Facility,
        state: StateId(MAHARASHTRA),
        district: Some(DistrictId(MUMBAI_SUBURBAN)),
        center: Some(CenterId(BKC)),
        active: true,
        created_at_ms: now,
    };
    app.store.create_point(&point).await.unwrap();
    let eq = Equipment {
        id: EquipmentId::new(),
        point: point.id,
        kind: EquipmentKind::Ilr,
        label: "ILR 1".into(),
        rule: rule(),
        logger: Some(DeviceCode::parse(device).unwrap()),
        created_at_ms: now,
    };
    app.store.create_equipment(&eq).await.unwrap();
    let lot = Lot {
        vaccine: VaccineCode::parse("COVISHIELD").unwrap(),
        batch: BatchNumber::parse("4121Z025").unwrap(),
        manufacturer: "Serum Institute of India".into(),
        expiry: NaiveDate::from_ymd_opt(2027, 6, 30).unwrap(),
        doses_per_vial: 10,
    };
    let lot = app.store.upsert_lot(LotId::new(), &lot, now).await.unwrap();
    let receipt = MovementRequest {
        kind: MovementKind::Receipt,
        lot: lot.id,
        vials: 40,
        adjust_up: false,
        wastage_reason: None,
        note: String::new(),
        date: app.today,
    };
    app.store.record_movement(point.id, &receipt, "cli", now).await.unwrap();
    (point.id, eq.id, lot.id)
}

/// Starts the ingester on the test's store and (manual) clock.
fn start(app: &TestApp, broker: &Broker, client_id: &str) -> IngestHandle {
    let mut settings = MqttSettings::parse_url(&broker.url).unwrap();
    settings.client_id = client_id.to_owned();
    let tuning = IngestTuning {
        linger: Duration::from_millis(20),
        tick_every: Duration::from_millis(200),
        save_every: Duration::from_secs(1),
        ..IngestTuning::default()
    };
    let clock = Arc::<tika_server::clock::ManualClock>::clone(&app.clock);
    ingest::spawn(Arc::clone(&app.store), clock, settings, tuning, None)
}

/// Polls `check` every 50 ms until it holds, failing after 15 s.
async fn eventually<F, Fut>(what: &str, mut check: F)
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while tokio::time::Instant::now() < deadline {
        if check().await {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("timed out waiting for: {what}");
}

/// Waits until the ingester is subscribed: a probe reading from a throwaway device is counted.
async fn wait_subscribed(handle: &IngestHandle, logger: &Logger, now_ms: i64) {
    let probe = device("PROBE");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    let before = handle.stats().messages;
    while tokio::time::Instant::now() < deadline {
        logger.reading(&probe, 5.0, now_ms).await;
        tokio::time::sleep(Duration::from_millis(200)).await;
        if handle.stats().messages > before {
            return;
        }
    }
    panic!("the ingester never received a message: is the broker at the configured URL?");
}

async fn alarms(app: &TestApp, eq: EquipmentId) -> Vec<AlarmRecord> {
    let filter = AlarmFilter { equipment: Some(eq), limit: 50, ..AlarmFilter::default() };
    app.store.list_alarms(&filter).await.unwrap()
}

async fn stored(app: &TestApp, eq: EquipmentId) -> Vec<(i64, i32)> {
    app.store.readings(eq, 0, i64::MAX, 1000).await.unwrap()
}

async fn readings_are_stored_once_and_bad_input_is_counted(backend: Backend) {
    let _serial = SERIAL.lock().await;
    let broker = broker().await;
    let app = TestApp::new(backend).await;
    let dev = device("LOG");
    let (_, eq, _) = fridge(&app, &dev).await;
    let handle = start(&app, &broker, &format!("tika-it-{}", uuid::Uuid::new_v4().simple()));
    let logger = Logger::connect(&broker);
    let t0 = app.state.now_ms();
    wait_subscribed(&handle, &logger, t0).await;
    let base: IngestStats = handle.stats();

    // Good readings, one of them twice, one late and out of order, and an array (a buffer flush).
    logger.reading(&dev, 4.6, t0).await;
    logger.reading(&dev, 4.7, t0 + 1_000).await;
    logger.reading(&dev, 4.7, t0 + 1_000).await;
    logger.reading(&dev, 4.9, t0 + 3_000).await;
    logger.reading(&dev, 4.8, t0 + 2_000).await;
    let array = format!(
        r#"[{{"device":"{dev}","t":5.0,"at":{}}},{{"device":"{dev}","t":5.1,"at":"{}"}}]"#,
        t0 + 4_000,
        chrono::DateTime::from_timestamp_millis(t0 + 5_000).unwrap().to_rfc3339()
    );
    logger.raw(&topic(&dev), &array).await;
    // Bad input: not JSON, a temperature no logger reports, another device's reading on this
    // topic, a topic whose device level is not a device code.
    logger.raw(&topic(&dev), "{\"device\": oops").await;
    logger.reading(&dev, 99.0, t0 + 6_000).await;
    let other = format!(r#"{{"device":"LOG-SOMEONE-ELSE","t":4.0,"at":{}}}"#, t0 + 6_000);
    logger.raw(&topic(&dev), &other).await;
    logger.raw("tika/loggers/no good/readings", "{}").await;
    // A device nobody has linked yet.
    let stranger = device("NEW");
    logger.reading(&stranger, 3.3, t0).await;

    // Six distinct instants: the duplicate is one row, the late one sits in its place.
    let expected: Vec<(i64, i32)> = [46, 47, 48, 49, 50, 51]
        .into_iter()
        .enumerate()
        .map(|(i, tenths)| (t0 + 1_000 * i as i64, tenths))
        .collect();
    eventually("six readings stored", || async { stored(&app, eq).await.len() >= 6 }).await;
    assert_eq!(stored(&app, eq).await, expected);
    let counted = |s: &IngestStats| {
        s.malformed_json > base.malformed_json
            && s.malformed_validation > base.malformed_validation
            && s.malformed_topic >= base.malformed_topic + 2
            && s.duplicates > base.duplicates
            && s.new_devices > base.new_devices
    };
    eventually("the counters", || async { counted(&handle.stats()) }).await;
    let s = handle.stats();
    assert!(s.readings_stored >= base.readings_stored + 7, "{s:?}");
    assert!(s.unlinked_readings > base.unlinked_readings, "{s:?}");
    assert_eq!(s.dropped_batches, 0, "{s:?}");
    // The stranger is registered, unlinked, with its reading kept.
    eventually("the new device registered", || async {
        app.store.list_loggers().await.unwrap().iter().any(|l| {
            l.device.as_str() == stranger && l.equipment.is_none() && l.last_battery_pct == Some(87)
        })
    })
    .await;
    // Nothing opened: everything was in range, and the ingester is still running.
    assert!(alarms(&app, eq).await.is_empty());
    assert!(handle.is_running());
    logger.reading(&dev, 5.2, t0 + 7_000).await;
    eventually("a reading after the bad ones", || async {
        stored(&app, eq).await.last() == Some(&(t0 + 7_000, 52))
    })
    .await;
    handle.shutdown().await;
}

async fn excursions_and_silence_open_alarms_that_readings_clear(backend: Backend) {
    let _serial = SERIAL.lock().await;
    let broker = broker().await;
    let app = TestApp::new(backend).await;
    let dev = device("LOG");
    let (point, eq, lot) = fridge(&app, &dev).await;
    let client_id = format!("tika-it-{}", uuid::Uuid::new_v4().simple());
    let handle = start(&app, &broker, &client_id);
    let logger = Logger::connect(&broker);
    let t0 = app.state.now_ms();
    wait_subscribed(&handle, &logger, t0).await;

    // In range, then above 8 °C for longer than 2 s.
    logger.reading(&dev, 5.0, t0).await;
    for (i, t) in [9.1, 10.4, 12.8, 11.0].into_iter().enumerate() {
        logger.reading(&dev, t, t0 + 1_000 + 1_000 * i as i64).await;
    }
    eventually("a too-warm alarm", || async { !alarms(&app, eq).await.is_empty() }).await;
    let list = alarms(&app, eq).await;
    assert_eq!(list.len(), 1, "{list:?}");
    let a = &list[0];
    assert_eq!(
        (a.kind, a.point, a.since_ms, a.cleared_ms),
        (AlarmKind::TooWarm, point, t0 + 1_000, None)
    );
    assert!(a.worst_tenths.is_some_and(|w| w >= 104), "{a:?}");
    let (_, exposed) = app.store.find_alarm(a.id).await.unwrap();
    assert_eq!(exposed.len(), 1, "{exposed:?}");
    assert_eq!((exposed[0].lot, exposed[0].vials), (lot, 40));
    let events = app.store.pending_events(1000).await.unwrap();
    assert!(
        events
            .iter()
            .any(|e| e.kind == "coldchain.alarm_opened" && e.subject_id == a.id.to_string()),
        "no coldchain.alarm_opened event: {:?}",
        events.iter().map(|e| &e.kind).collect::<Vec<_>>()
    );
    // Worst recorded as it was.
    eventually("worst raised to 12.8 °C", || async {
        alarms(&app, eq).await.first().and_then(|a| a.worst_tenths) == Some(128)
    })
    .await;

    // Back in range: cleared (the alarm stays for someone to close).
    logger.reading(&dev, 6.0, t0 + 5_000).await;
    eventually("the alarm cleared", || async {
        alarms(&app, eq).await.first().and_then(|a| a.cleared_ms) == Some(t0 + 5_000)
    })
    .await;
    assert_eq!(handle.stats().alarms_opened, 1);

    // A restarted ingester restores the detector: the same readings again (redelivered, say)
    // open nothing new.
    handle.shutdown().await;
    let handle = start(&app, &broker, &client_id);
    wait_subscribed(&handle, &logger, t0).await;
    for (i, t) in [9.1, 10.4, 12.8, 11.0].into_iter().enumerate() {
        logger.reading(&dev, t, t0 + 1_000 + 1_000 * i as i64).await;
    }
    logger.reading(&dev, 6.1, t0 + 6_000).await;
    eventually("the redelivered readings seen", || async { handle.stats().duplicates >= 4 }).await;
    eventually("the new reading stored", || async {
        stored(&app, eq).await.last() == Some(&(t0 + 6_000, 61))
    })
    .await;
    assert_eq!(alarms(&app, eq).await.len(), 1, "no second alarm for the same excursion");

    // Silence: nothing for more than 3 s of the server's clock.
    app.clock.advance(chrono::Duration::seconds(10));
    eventually("a silent alarm", || async {
        alarms(&app, eq).await.iter().any(|a| a.kind == AlarmKind::Silent && a.cleared_ms.is_none())
    })
    .await;
    let silent = alarms(&app, eq).await.into_iter().find(|a| a.kind == AlarmKind::Silent).unwrap();
    assert_eq!(silent.since_ms, t0 + 6_000);
    assert!(silent.worst_tenths.is_none());
    // Heard again: cleared.
    let t1 = app.state.now_ms();
    logger.reading(&dev, 5.5, t1).await;
    eventually("the silent alarm cleared", || async {
        alarms(&app, eq)
            .await
            .iter()
            .any(|a| a.kind == AlarmKind::Silent && a.cleared_ms == Some(t1))
    })
    .await;
    assert_eq!(alarms(&app, eq).await.len(), 2);
    let s = handle.stats();
    assert_eq!((s.alarms_opened, s.dropped_batches), (1, 0), "{s:?}");
    handle.shutdown().await;
}

on_both_backends!(
    readings_are_stored_once_and_bad_input_is_counted,
    excursions_and_silence_open_alarms_that_readings_clear,
);
