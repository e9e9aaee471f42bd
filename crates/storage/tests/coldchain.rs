//! The storage contract of temperature monitoring, on SQLite and on PostgreSQL: equipment and
//! the one-logger-per-equipment rule, the ingester's logger directory and idempotent
//! registration, readings stored once per (logger, instant) whatever the order or repetition of
//! delivery, saved detectors, and alarms: opened once per equipment and kind with the exposed
//! lots and the outbox event in the same transaction, worsened, cleared, acknowledged and
//! closed with the lots' reviews and audit rows.
#![allow(clippy::unwrap_used, reason = "a test fails loudly on the first unexpected error")]

use chrono::NaiveDate;
use sqlx::Connection;
use tika_domain::coldchain::{
    AlarmAction, AlarmKind, AlarmStatus, DeviceCode, ExcursionRule, LotReview,
};
use tika_domain::ids::{AlarmId, ColdChainPointId, EquipmentId, LotId, StateId};
use tika_domain::inventory::{
    BatchNumber, EquipmentKind, Lot, MovementKind, MovementRequest, PointLevel,
};
use tika_domain::vaccine::VaccineCode;
use tika_storage::*;
use tika_test_support::{NOW, TestDb, on_both_backends};

const OPENED: &str = "coldchain.alarm_opened";

fn dev(code: &str) -> DeviceCode {
    DeviceCode::parse(code).unwrap()
}

fn point(name: &str) -> ColdChainPoint {
    ColdChainPoint {
        id: ColdChainPointId::new(),
        name: name.into(),
        level: PointLevel::Facility,
        state: StateId(21),
        district: None,
        center: None,
        active: true,
        created_at_ms: NOW,
    }
}

fn equipment(point: ColdChainPointId, label: &str, logger: Option<&str>) -> Equipment {
    Equipment {
        id: EquipmentId::new(),
        point,
        kind: EquipmentKind::Ilr,
        label: label.into(),
        rule: ExcursionRule::FRIDGE,
        logger: logger.map(dev),
        created_at_ms: NOW,
    }
}

fn reading(logger_id: i64, at_ms: i64, tenths: i32, battery: Option<u8>) -> NewReading {
    NewReading { logger_id, at_ms, tenths, battery_pct: battery }
}

fn req(kind: MovementKind, lot: LotId, vials: u32) -> MovementRequest {
    MovementRequest {
        kind,
        lot,
        vials,
        adjust_up: false,
        wastage_reason: None,
        note: String::new(),
        date: NaiveDate::from_ymd_opt(2026, 12, 4).unwrap(),
    }
}

/// A lot received at `p` with `vials` vials (then used up entirely when `used_up`).
async fn stocked_lot(
    s: &SqlStore,
    p: ColdChainPointId,
    batch: &str,
    vials: u32,
    used_up: bool,
) -> LotId {
    let lot = Lot {
        vaccine: VaccineCode::parse("COVISHIELD").unwrap(),
        batch: BatchNumber::parse(batch).unwrap(),
        manufacturer: "Serum Institute of India".into(),
        expiry: NaiveDate::from_ymd_opt(2027, 6, 30).unwrap(),
        doses_per_vial: 10,
    };
    let l = s.upsert_lot(LotId::new(), &lot, NOW).await.unwrap();
    s.record_movement(p, &req(MovementKind::Receipt, l.id, vials), "cli", NOW).await.unwrap();
    if used_up {
        s.record_movement(p, &req(MovementKind::SessionUse, l.id, vials), "cli", NOW)
            .await
            .unwrap();
    }
    l.id
}

/// A point with one fridge (logger `LOG-<label>`).
async fn fridge(s: &SqlStore, label: &str) -> (ColdChainPoint, Equipment) {
    let p = point(&format!("PHC {label}"));
    s.create_point(&p).await.unwrap();
    let e = equipment(p.id, "ILR 1", Some(&format!("LOG-{label}")));
    s.create_equipment(&e).await.unwrap();
    (p, e)
}

fn open(equipment: EquipmentId, kind: AlarmKind, since_ms: i64, worst: Option<i32>) -> AlarmChange {
    AlarmChange::Open { equipment, kind, since_ms, worst_tenths: worst }
}

/// Runs one statement on the test database behind the store's back (returns rows changed).
async fn raw_execute(db: &TestDb, sql: &'static str) -> u64 {
    let mut conn = sqlx::AnyConnection::connect(&db.url).await.unwrap();
    sqlx::query(sql).execute(&mut conn).await.unwrap().rows_affected()
}

/// One number read behind the store's back.
async fn raw_count(db: &TestDb, sql: &'static str) -> i64 {
    let mut conn = sqlx::AnyConnection::connect(&db.url).await.unwrap();
    sqlx::query_scalar(sql).fetch_one(&mut conn).await.unwrap()
}

fn all_alarms() -> AlarmFilter {
    AlarmFilter { limit: 100, ..AlarmFilter::default() }
}

async fn equipment_and_logger_links(backend: Backend) {
    let db = TestDb::new(backend).await;
    let s = &db.store;
    let p = point("PHC Hadapsar");
    s.create_point(&p).await.unwrap();

    // Unknown point.
    let orphan = equipment(ColdChainPointId::new(), "ILR 9", None);
    assert!(matches!(s.create_equipment(&orphan).await, Err(StorageError::NotFound)));

    let mut ilr = equipment(p.id, "ILR 1", Some("LOG-001"));
    ilr.rule = ExcursionRule::new(ilr.rule.range, 300_000, 1_800_000).unwrap();
    let mut freezer = equipment(p.id, "DF 1", None);
    freezer.kind = EquipmentKind::DeepFreezer;
    freezer.rule = ExcursionRule::FREEZER;
    s.create_equipment(&ilr).await.unwrap();
    s.create_equipment(&freezer).await.unwrap();
    assert_eq!(s.find_equipment(ilr.id).await.unwrap(), ilr);
    assert_eq!(s.find_equipment(freezer.id).await.unwrap(), freezer);
    assert!(matches!(s.find_equipment(EquipmentId::new()).await, Err(StorageError::NotFound)));
    assert_eq!(s.list_equipment(p.id).await.unwrap(), [freezer.clone(), ilr.clone()], "by label");
    assert!(s.list_equipment(ColdChainPointId::new()).await.unwrap().is_empty());

    // One logger reports for one piece of equipment.
    let taken = equipment(p.id, "ILR 2", Some("LOG-001"));
    assert!(matches!(
        s.create_equipment(&taken).await,
        Err(StorageError::Conflict(ConflictKind::LoggerTaken))
    ));
    assert!(matches!(s.find_equipment(taken.id).await, Err(StorageError::NotFound)));
    assert!(matches!(
        s.set_logger(freezer.id, Some(&dev("LOG-001"))).await,
        Err(StorageError::Conflict(ConflictKind::LoggerTaken))
    ));
    assert_eq!(s.find_equipment(freezer.id).await.unwrap().logger, None);
    assert!(matches!(
        s.set_logger(EquipmentId::new(), Some(&dev("LOG-003"))).await,
        Err(StorageError::NotFound)
    ));
    // Linking the logger it already has is fine.
    s.set_logger(ilr.id, Some(&dev("LOG-001"))).await.unwrap();
    s.set_logger(freezer.id, Some(&dev("LOG-002"))).await.unwrap();
    assert_eq!(s.find_equipment(freezer.id).await.unwrap().logger, Some(dev("LOG-002")));

    // Unlinked, the logger is free for other equipment.
    s.set_logger(ilr.id, None).await.unwrap();
    assert_eq!(s.find_equipment(ilr.id).await.unwrap().logger, None);
    s.set_logger(freezer.id, Some(&dev("LOG-001"))).await.unwrap();
    assert_eq!(s.find_equipment(freezer.id).await.unwrap().logger, Some(dev("LOG-001")));

    // Every device ever linked is registered (it has an id); the list shows the links.
    let loggers = s.list_loggers().await.unwrap();
    let shown: Vec<(&str, Option<EquipmentId>)> =
        loggers.iter().map(|l| (l.device.as_str(), l.equipment)).collect();
    assert_eq!(shown, [("LOG-001", Some(freezer.id)), ("LOG-002", None)]);
    assert_ne!(loggers[0].logger_id, loggers[1].logger_id);
}

async fn directory_and_registration(backend: Backend) {
    let db = TestDb::new(backend).await;
    let s = &db.store;
    let (p, e) = fridge(s, "A1").await;

    let dir = s.logger_directory(NOW + 5).await.unwrap();
    assert_eq!(dir.len(), 1);
    assert_eq!(dir[0].device, dev("LOG-A1"));
    assert_eq!(
        dir[0].equipment,
        Some(EquipmentLink { id: e.id, point: p.id, rule: ExcursionRule::FRIDGE })
    );
    let linked_id = dir[0].logger_id;

    // First publications of two unknown devices (one named twice) and one known.
    let batch = [dev("NEW-2"), dev("NEW-1"), dev("NEW-2"), dev("LOG-A1")];
    let links = s.register_loggers(&batch, NOW + 10).await.unwrap();
    let got: Vec<(&str, bool)> =
        links.iter().map(|l| (l.device.as_str(), l.equipment.is_some())).collect();
    assert_eq!(got, [("LOG-A1", true), ("NEW-1", false), ("NEW-2", false)]);
    assert_eq!(links[0].logger_id, linked_id);
    // Idempotent: the same ids again, nothing re-registered.
    let again = s.register_loggers(&batch, NOW + 20).await.unwrap();
    assert_eq!(again, links);
    assert!(s.register_loggers(&[], NOW).await.unwrap().is_empty());

    let loggers = s.list_loggers().await.unwrap();
    assert_eq!(loggers.len(), 3);
    let new1 = loggers.iter().find(|l| l.device.as_str() == "NEW-1").unwrap();
    assert_eq!((new1.first_seen_ms, new1.last_seen_ms, new1.equipment), (NOW + 10, NOW + 10, None));
    assert_eq!(new1.last_battery_pct, None);

    // The directory lists linked and unlinked devices; linking shows at once.
    s.set_logger(e.id, Some(&dev("NEW-1"))).await.unwrap();
    let dir = s.logger_directory(NOW + 30).await.unwrap();
    let shown: Vec<(&str, Option<EquipmentId>)> =
        dir.iter().map(|l| (l.device.as_str(), l.equipment.map(|x| x.id))).collect();
    assert_eq!(shown, [("LOG-A1", None), ("NEW-1", Some(e.id)), ("NEW-2", None)]);
    assert_eq!(
        dir.iter().find(|l| l.device.as_str() == "NEW-1").unwrap().logger_id,
        new1.logger_id
    );

    // A large registration batch (more than one statement's worth).
    let many: Vec<DeviceCode> = (0..2500).map(|i| dev(&format!("BULK-{i:05}"))).collect();
    let links = s.register_loggers(&many, NOW + 40).await.unwrap();
    assert_eq!(links.len(), 2500);
    let ids: std::collections::HashSet<i64> = links.iter().map(|l| l.logger_id).collect();
    assert_eq!(ids.len(), 2500);
    assert_eq!(s.logger_directory(NOW + 50).await.unwrap().len(), 2503);
}

async fn directory_registers_linked_devices_never_heard(backend: Backend) {
    let db = TestDb::new(backend).await;
    let s = &db.store;
    let (p, e) = fridge(s, "L1").await;
    // A link written without registering the device (as before loggers were tracked).
    let linked = raw_execute(
        &db,
        "UPDATE cold_chain_equipment SET logger_device = 'LEGACY-1' WHERE label = 'ILR 1'",
    )
    .await;
    assert_eq!(linked, 1);
    assert_eq!(s.list_loggers().await.unwrap().len(), 1, "only LOG-L1 so far");
    let dir = s.logger_directory(NOW + 7).await.unwrap();
    let legacy = dir.iter().find(|l| l.device.as_str() == "LEGACY-1").unwrap();
    assert_eq!(legacy.equipment.map(|x| (x.id, x.point)), Some((e.id, p.id)));
    let rec = s.list_loggers().await.unwrap().into_iter().find(|l| l.device.as_str() == "LEGACY-1");
    let rec = rec.unwrap();
    assert_eq!(
        (rec.logger_id, rec.first_seen_ms, rec.last_seen_ms),
        (legacy.logger_id, NOW + 7, NOW + 7)
    );
    // Asked again later: the same id, first seen unchanged.
    let again = s.logger_directory(NOW + 9).await.unwrap();
    assert_eq!(again, dir);
    let rec = s.list_loggers().await.unwrap().into_iter().find(|l| l.device.as_str() == "LEGACY-1");
    assert_eq!(rec.unwrap().first_seen_ms, NOW + 7);
}

async fn readings_are_stored_once_in_time_order(backend: Backend) {
    let db = TestDb::new(backend).await;
    let s = &db.store;
    let (_, e) = fridge(s, "R1").await;
    let links = s.register_loggers(&[dev("LOG-R1"), dev("SPARE-1")], NOW).await.unwrap();
    let (id, spare) = (links[0].logger_id, links[1].logger_id);
    let t = |m: i64| NOW - 3_600_000 + m * 60_000;

    // A batch with a duplicate delivery inside it.
    let first = [
        reading(id, t(10), 45, Some(90)),
        reading(id, t(11), 46, None),
        reading(id, t(10), 45, Some(90)),
        reading(spare, t(10), 50, Some(70)),
    ];
    assert_eq!(s.insert_readings(&first, NOW).await.unwrap(), 3);
    // Re-sent: nothing new.
    assert_eq!(s.insert_readings(&first, NOW + 1).await.unwrap(), 0);
    // Late and out-of-order readings, mixed with one already stored.
    let late = [
        reading(id, t(3), 38, Some(95)),
        reading(id, t(11), 46, None),
        reading(id, t(1), 35, None),
    ];
    assert_eq!(s.insert_readings(&late, NOW + 2).await.unwrap(), 2);
    assert_eq!(s.insert_readings(&[], NOW + 3).await.unwrap(), 0);

    let all = s.readings(e.id, 0, i64::MAX, 100).await.unwrap();
    assert_eq!(all, [(t(1), 35), (t(3), 38), (t(10), 45), (t(11), 46)]);
    // [from, to): `to` excluded.
    assert_eq!(s.readings(e.id, t(3), t(11), 100).await.unwrap(), [(t(3), 38), (t(10), 45)]);
    // More than the limit: the newest, still oldest first.
    assert_eq!(s.readings(e.id, 0, i64::MAX, 2).await.unwrap(), [(t(10), 45), (t(11), 46)]);
    assert!(matches!(
        s.readings(EquipmentId::new(), 0, i64::MAX, 10).await,
        Err(StorageError::NotFound)
    ));

    // Last seen is the server clock of the last batch; the battery is the one of the batch's
    // latest reading that had one.
    let loggers = s.list_loggers().await.unwrap();
    let r1 = loggers.iter().find(|l| l.logger_id == id).unwrap();
    assert_eq!((r1.last_seen_ms, r1.last_battery_pct), (NOW + 2, Some(95)));
    let sp = loggers.iter().find(|l| l.logger_id == spare).unwrap();
    assert_eq!((sp.first_seen_ms, sp.last_seen_ms, sp.last_battery_pct), (NOW, NOW + 1, Some(70)));
    // Within one batch the latest reading with a battery wins; one without keeps the stored.
    let b = [
        reading(id, t(20), 40, Some(80)),
        reading(id, t(21), 40, None),
        reading(id, t(19), 40, Some(60)),
    ];
    assert_eq!(s.insert_readings(&b, NOW + 4).await.unwrap(), 3);
    let r1 = s.list_loggers().await.unwrap().into_iter().find(|l| l.logger_id == id).unwrap();
    assert_eq!((r1.last_seen_ms, r1.last_battery_pct), (NOW + 4, Some(80)));
    assert_eq!(s.insert_readings(&[reading(id, t(22), 40, None)], NOW + 5).await.unwrap(), 1);
    let r1 = s.list_loggers().await.unwrap().into_iter().find(|l| l.logger_id == id).unwrap();
    assert_eq!((r1.last_seen_ms, r1.last_battery_pct), (NOW + 5, Some(80)));

    // An unlinked logger's readings are kept: they show once it is linked.
    s.set_logger(e.id, Some(&dev("SPARE-1"))).await.unwrap();
    assert_eq!(s.readings(e.id, 0, i64::MAX, 10).await.unwrap(), [(t(10), 50)]);
    s.set_logger(e.id, None).await.unwrap();
    assert!(s.readings(e.id, 0, i64::MAX, 10).await.unwrap().is_empty());
}

async fn large_batches_with_duplicates(backend: Backend) {
    let db = TestDb::new(backend).await;
    let s = &db.store;
    let (_, e) = fridge(s, "B1").await;
    let devices: Vec<DeviceCode> = (0..3).map(|i| dev(&format!("LOG-BIG-{i}"))).collect();
    let ids: Vec<i64> =
        s.register_loggers(&devices, NOW).await.unwrap().iter().map(|l| l.logger_id).collect();
    // 3 loggers × 4,000 instants, shuffled by interleaving, every 7th delivered twice.
    let mut batch = Vec::new();
    for k in 0..4000_i64 {
        for (j, id) in ids.iter().enumerate() {
            let at = NOW - 4000 * 1000 + ((k * 7919) % 4000) * 1000;
            batch.push(reading(*id, at, (k % 80) as i32, Some((j * 10) as u8)));
            if k % 7 == 0 {
                batch.push(reading(*id, at, (k % 80) as i32, Some((j * 10) as u8)));
            }
        }
    }
    assert_eq!(s.insert_readings(&batch, NOW).await.unwrap(), 12_000);
    assert_eq!(s.insert_readings(&batch, NOW).await.unwrap(), 0);
    // Half again plus 500 new per logger.
    let mut more: Vec<NewReading> = batch[..batch.len() / 2].to_vec();
    for id in &ids {
        more.extend((0..500).map(|i| reading(*id, NOW + i * 1000, 50, None)));
    }
    assert_eq!(s.insert_readings(&more, NOW + 1).await.unwrap(), 1_500);
    let rows = raw_count(&db, "SELECT COUNT(*) FROM temperature_readings").await;
    assert_eq!(rows, 13_500, "one row per (logger, instant)");

    s.set_logger(e.id, Some(&devices[1])).await.unwrap();
    let stored = s.readings(e.id, 0, i64::MAX, 100_000).await.unwrap();
    assert_eq!(stored.len(), 4_500);
    assert!(stored.windows(2).all(|w| w[0].0 < w[1].0), "oldest first, one per instant");
    let loggers = s.list_loggers().await.unwrap();
    let big: Vec<(i64, Option<u8>)> = loggers
        .iter()
        .filter(|l| l.device.as_str().starts_with("LOG-BIG-"))
        .map(|l| (l.last_seen_ms, l.last_battery_pct))
        .collect();
    assert_eq!(big, [(NOW + 1, Some(0)), (NOW + 1, Some(10)), (NOW + 1, Some(20))]);
}

async fn detectors_round_trip(backend: Backend) {
    let db = TestDb::new(backend).await;
    let s = &db.store;
    let (_, a) = fridge(s, "D1").await;
    let (_, b) = fridge(s, "D2").await;
    assert!(s.load_detectors().await.unwrap().is_empty());
    s.save_detectors(&[(a.id, r#"{"v":1}"#.into())], NOW).await.unwrap();
    assert_eq!(s.load_detectors().await.unwrap(), [(a.id, r#"{"v":1}"#.to_owned())]);
    // Upsert: a replaced, b added; the last state given for one equipment wins.
    let states =
        [(a.id, r#"{"v":2}"#.into()), (b.id, r#"{"w":1}"#.into()), (a.id, r#"{"v":3}"#.into())];
    s.save_detectors(&states, NOW + 1).await.unwrap();
    s.save_detectors(&[], NOW + 2).await.unwrap();
    let mut got = s.load_detectors().await.unwrap();
    got.sort();
    let mut want = vec![(a.id, r#"{"v":3}"#.to_owned()), (b.id, r#"{"w":1}"#.to_owned())];
    want.sort();
    assert_eq!(got, want);
}

async fn alarms_open_once_with_lots_and_event(backend: Backend) {
    let db = TestDb::new(backend).await;
    let s = &db.store;
    let (p, e) = fridge(s, "X1").await;
    let lot_a = stocked_lot(s, p.id, "A-100", 100, false).await;
    let _empty = stocked_lot(s, p.id, "B-0", 10, true).await;
    let (other_point, _) = fridge(s, "X2").await;
    let _elsewhere = stocked_lot(s, other_point.id, "C-50", 50, false).await;

    // An unknown equipment's change is skipped; the others apply.
    let changes = [
        open(EquipmentId::new(), AlarmKind::TooWarm, NOW - 700_000, Some(95)),
        open(e.id, AlarmKind::TooWarm, NOW - 700_000, Some(95)),
    ];
    let opened = s.apply_alarm_changes(&changes, NOW).await.unwrap();
    assert_eq!(opened.len(), 1);
    let warm = &opened[0];
    assert_eq!(
        (warm.equipment, warm.point, warm.kind, warm.status),
        (e.id, p.id, AlarmKind::TooWarm, AlarmStatus::Open)
    );
    assert_eq!(
        (warm.since_ms, warm.worst_tenths, warm.opened_at_ms),
        (NOW - 700_000, Some(95), NOW)
    );
    assert_eq!(
        (warm.cleared_ms, &warm.acknowledged, &warm.closed, warm.action),
        (None, &None, &None, None)
    );

    // Opening again: nothing new, the worst moves further out only.
    let again = s
        .apply_alarm_changes(&[open(e.id, AlarmKind::TooWarm, NOW - 1, Some(120))], NOW + 1)
        .await
        .unwrap();
    assert!(again.is_empty());
    let again = s
        .apply_alarm_changes(&[open(e.id, AlarmKind::TooWarm, NOW - 1, Some(90))], NOW + 2)
        .await
        .unwrap();
    assert!(again.is_empty());
    let (stored, lots) = s.find_alarm(warm.id).await.unwrap();
    assert_eq!((stored.worst_tenths, stored.since_ms), (Some(120), NOW - 700_000));
    s.apply_alarm_changes(
        &[
            AlarmChange::Worsen { equipment: e.id, kind: AlarmKind::TooWarm, worst_tenths: 131 },
            AlarmChange::Worsen { equipment: e.id, kind: AlarmKind::TooCold, worst_tenths: -10 },
        ],
        NOW + 3,
    )
    .await
    .unwrap();
    assert_eq!(s.find_alarm(warm.id).await.unwrap().0.worst_tenths, Some(131));
    // The lots in stock at the point (not the used-up one, not another point's) are flagged.
    assert_eq!(lots, [ExposedLot { lot: lot_a, vials: 100, review: LotReview::Pending }]);

    // A silence alarm: no lots.
    let silent = s
        .apply_alarm_changes(&[open(e.id, AlarmKind::Silent, NOW - 3_700_000, None)], NOW + 4)
        .await
        .unwrap();
    assert_eq!(silent.len(), 1);
    let (silent, lots) = s.find_alarm(silent[0].id).await.unwrap();
    assert_eq!((silent.kind, silent.worst_tenths), (AlarmKind::Silent, None));
    assert!(lots.is_empty());

    // One outbox event per opened alarm, written with it.
    let events = s.claim_events(&[OPENED], 10, NOW + 10).await.unwrap();
    assert_eq!(events.len(), 2);
    assert_eq!(events[0].subject_id, warm.id.to_string());
    let payload: serde_json::Value = serde_json::from_str(&events[0].payload).unwrap();
    assert_eq!(
        payload,
        serde_json::json!({
            "alarm": warm.id.to_string(), "equipment": e.id.to_string(), "point": p.id.to_string(),
            "kind": "too_warm", "since_ms": NOW - 700_000, "worst_tenths": 95,
        })
    );
    assert_eq!(events[1].subject_id, silent.id.to_string());

    // Cleared, then out of band again: a second alarm of the kind.
    s.apply_alarm_changes(
        &[AlarmChange::Clear { equipment: e.id, kind: AlarmKind::TooWarm, at_ms: NOW + 5 }],
        NOW + 5,
    )
    .await
    .unwrap();
    let cleared = s.find_alarm(warm.id).await.unwrap().0;
    assert_eq!((cleared.cleared_ms, cleared.status), (Some(NOW + 5), AlarmStatus::Open));
    // Clearing again or a kind with nothing uncleared changes nothing.
    s.apply_alarm_changes(
        &[
            AlarmChange::Clear { equipment: e.id, kind: AlarmKind::TooWarm, at_ms: NOW + 6 },
            AlarmChange::Clear { equipment: e.id, kind: AlarmKind::TooCold, at_ms: NOW + 6 },
        ],
        NOW + 6,
    )
    .await
    .unwrap();
    assert_eq!(s.find_alarm(warm.id).await.unwrap().0.cleared_ms, Some(NOW + 5));
    // Worsening a cleared alarm does nothing.
    s.apply_alarm_changes(
        &[AlarmChange::Worsen { equipment: e.id, kind: AlarmKind::TooWarm, worst_tenths: 200 }],
        NOW + 6,
    )
    .await
    .unwrap();
    assert_eq!(s.find_alarm(warm.id).await.unwrap().0.worst_tenths, Some(131));
    // Open, worsen and clear in one call, in order: the record returned is as it ends.
    let changes = [
        open(e.id, AlarmKind::TooWarm, NOW + 7, Some(85)),
        AlarmChange::Worsen { equipment: e.id, kind: AlarmKind::TooWarm, worst_tenths: 99 },
        open(e.id, AlarmKind::TooCold, NOW + 7, Some(10)),
        AlarmChange::Clear { equipment: e.id, kind: AlarmKind::TooCold, at_ms: NOW + 8 },
    ];
    let second = s.apply_alarm_changes(&changes, NOW + 9).await.unwrap();
    assert_eq!(second.len(), 2);
    assert_ne!(second[0].id, warm.id);
    assert_eq!(
        (second[0].kind, second[0].worst_tenths, second[0].cleared_ms),
        (AlarmKind::TooWarm, Some(99), None)
    );
    assert_eq!((second[1].kind, second[1].cleared_ms), (AlarmKind::TooCold, Some(NOW + 8)));
    assert_eq!(s.claim_events(&[OPENED], 10, NOW + 10).await.unwrap().len(), 4);
    assert!(s.apply_alarm_changes(&[], NOW).await.unwrap().is_empty());

    // Listing: newest first, by equipment, by point, a limit.
    let all = s.list_alarms(&all_alarms()).await.unwrap();
    let ids: Vec<AlarmId> = all.iter().map(|a| a.id).collect();
    assert_eq!(ids, [second[1].id, second[0].id, silent.id, warm.id]);
    let mine = AlarmFilter { equipment: Some(e.id), limit: 2, ..AlarmFilter::default() };
    assert_eq!(s.list_alarms(&mine).await.unwrap().len(), 2);
    let at_other =
        AlarmFilter { points: Some(vec![other_point.id]), limit: 10, ..AlarmFilter::default() };
    assert!(s.list_alarms(&at_other).await.unwrap().is_empty());
    let both = AlarmFilter {
        points: Some(vec![other_point.id, p.id]),
        limit: 10,
        ..AlarmFilter::default()
    };
    assert_eq!(s.list_alarms(&both).await.unwrap().len(), 4);
    let none = AlarmFilter { points: Some(vec![]), limit: 10, ..AlarmFilter::default() };
    assert!(s.list_alarms(&none).await.unwrap().is_empty());
    assert!(matches!(s.find_alarm(AlarmId::new()).await, Err(StorageError::NotFound)));
}

async fn acknowledge_and_close(backend: Backend) {
    let db = TestDb::new(backend).await;
    let s = &db.store;
    let (p, e) = fridge(s, "Y1").await;
    let lot_a = stocked_lot(s, p.id, "A-1", 40, false).await;
    let lot_b = stocked_lot(s, p.id, "B-2", 20, false).await;
    let (q, f) = fridge(s, "Y2").await;
    let lot_c = stocked_lot(s, q.id, "C-3", 30, false).await;
    let opened = s
        .apply_alarm_changes(
            &[
                open(e.id, AlarmKind::TooCold, NOW - 900_000, Some(-12)),
                open(f.id, AlarmKind::TooWarm, NOW - 800_000, Some(100)),
            ],
            NOW,
        )
        .await
        .unwrap();
    let (cold, warm) = (opened[0].clone(), opened[1].clone());

    // Lots under review: every pending one, or those of some points.
    let all = s.lots_under_review(None).await.unwrap();
    let mut shown: Vec<(AlarmId, ColdChainPointId, LotId, i64)> =
        all.iter().map(|(a, p, l)| (*a, *p, l.lot, l.vials)).collect();
    shown.sort();
    let mut want =
        vec![(cold.id, p.id, lot_a, 40), (cold.id, p.id, lot_b, 20), (warm.id, q.id, lot_c, 30)];
    want.sort();
    assert_eq!(shown, want);
    let at_q = s.lots_under_review(Some(&[q.id])).await.unwrap();
    assert_eq!(at_q.iter().map(|(a, _, l)| (*a, l.lot)).collect::<Vec<_>>(), [(warm.id, lot_c)]);
    assert!(s.lots_under_review(Some(&[])).await.unwrap().is_empty());

    // Acknowledge: once; again leaves it as it was.
    let acked = s.acknowledge_alarm(cold.id, "admin:asha", NOW + 10).await.unwrap();
    assert_eq!(acked.status, AlarmStatus::Acknowledged);
    assert_eq!(acked.acknowledged, Some((NOW + 10, "admin:asha".to_owned())));
    let again = s.acknowledge_alarm(cold.id, "admin:ravi", NOW + 20).await.unwrap();
    assert_eq!(again, acked);
    assert!(matches!(
        s.acknowledge_alarm(AlarmId::new(), "x", NOW).await,
        Err(StorageError::NotFound)
    ));
    let audit = s.list_audit(&cold.id.to_string(), 10).await.unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(
        (audit[0].action.as_str(), audit[0].actor.as_str(), audit[0].at_ms),
        ("coldchain.alarm_acknowledge", "admin:asha", NOW + 10)
    );

    // A lot the alarm did not expose: refused, nothing written.
    let bad = AlarmClosure {
        action: AlarmAction::VialsQuarantined,
        note: "moved".into(),
        reviews: vec![(lot_a, LotReview::Usable), (lot_c, LotReview::Discarded)],
    };
    assert!(matches!(
        s.close_alarm(cold.id, &bad, "admin:asha", NOW + 30).await,
        Err(StorageError::Conflict(ConflictKind::LotNotExposed))
    ));
    let (unchanged, lots) = s.find_alarm(cold.id).await.unwrap();
    assert_eq!(unchanged, acked);
    assert!(lots.iter().all(|l| l.review == LotReview::Pending));
    assert_eq!(s.list_audit(&cold.id.to_string(), 10).await.unwrap().len(), 1);

    // Closed with the reviews; a lot not named stays pending.
    let closure = AlarmClosure {
        action: AlarmAction::VialsQuarantined,
        note: "VVMs checked at stage 1".into(),
        reviews: vec![(lot_a, LotReview::Quarantined)],
    };
    let closed = s.close_alarm(cold.id, &closure, "admin:ravi", NOW + 40).await.unwrap();
    assert_eq!(closed.status, AlarmStatus::Closed);
    assert_eq!(closed.closed, Some((NOW + 40, "admin:ravi".to_owned())));
    assert_eq!(
        (closed.action, closed.note.as_str()),
        (Some(AlarmAction::VialsQuarantined), "VVMs checked at stage 1")
    );
    assert_eq!(closed.acknowledged, acked.acknowledged);
    let (found, lots) = s.find_alarm(cold.id).await.unwrap();
    assert_eq!(found, closed);
    let mut reviews: Vec<(LotId, LotReview)> = lots.iter().map(|l| (l.lot, l.review)).collect();
    reviews.sort_by_key(|r| r.0);
    let mut want = vec![(lot_a, LotReview::Quarantined), (lot_b, LotReview::Pending)];
    want.sort_by_key(|r| r.0);
    assert_eq!(reviews, want);
    let audit = s.list_audit(&cold.id.to_string(), 10).await.unwrap();
    assert_eq!(audit.len(), 2);
    assert_eq!(
        (audit[0].action.as_str(), audit[0].actor.as_str()),
        ("coldchain.alarm_close", "admin:ravi")
    );
    let detail: serde_json::Value = serde_json::from_str(&audit[0].detail).unwrap();
    assert_eq!(detail["action"], "vials_quarantined");
    assert_eq!(
        detail["reviews"],
        serde_json::json!([{ "lot": lot_a.to_string(), "review": "quarantined" }])
    );

    // Pending lots left: lot_b of the closed alarm and the warm alarm's lot.
    let mut left: Vec<LotId> =
        s.lots_under_review(None).await.unwrap().iter().map(|(_, _, l)| l.lot).collect();
    left.sort();
    let mut want = vec![lot_b, lot_c];
    want.sort();
    assert_eq!(left, want);

    // Closed is final.
    assert!(matches!(
        s.close_alarm(cold.id, &closure, "admin:asha", NOW + 50).await,
        Err(StorageError::Conflict(ConflictKind::AlarmClosed))
    ));
    assert!(matches!(
        s.acknowledge_alarm(cold.id, "admin:asha", NOW + 50).await,
        Err(StorageError::Conflict(ConflictKind::AlarmClosed))
    ));
    assert_eq!(s.find_alarm(cold.id).await.unwrap().0, closed);
    assert!(matches!(
        s.close_alarm(AlarmId::new(), &closure, "x", NOW).await,
        Err(StorageError::NotFound)
    ));

    // An open alarm closes directly (no acknowledgement needed); unclosed_only hides closed.
    let no_risk = AlarmClosure {
        action: AlarmAction::NoRisk,
        note: String::new(),
        reviews: vec![(lot_c, LotReview::Usable)],
    };
    let closed_warm = s.close_alarm(warm.id, &no_risk, "admin:x", NOW + 60).await.unwrap();
    assert_eq!((closed_warm.status, closed_warm.acknowledged), (AlarmStatus::Closed, None));
    let unclosed = AlarmFilter { unclosed_only: true, limit: 10, ..AlarmFilter::default() };
    assert!(s.list_alarms(&unclosed).await.unwrap().is_empty());
    assert_eq!(s.list_alarms(&all_alarms()).await.unwrap().len(), 2);
    let left: Vec<LotId> =
        s.lots_under_review(None).await.unwrap().iter().map(|(_, _, l)| l.lot).collect();
    assert_eq!(left, [lot_b]);
}

on_both_backends!(
    equipment_and_logger_links,
    directory_and_registration,
    directory_registers_linked_devices_never_heard,
    readings_are_stored_once_in_time_order,
    large_batches_with_duplicates,
    detectors_round_trip,
    alarms_open_once_with_lots_and_event,
    acknowledge_and_close,
);
