//! The demo cold chain (`tika serve --demo`): the state store and the district store of the
//! demo district, stores at up to three of its facilities, fridges with loggers, two lots
//! received at the state store and sent down the chain, sessions drawing from the facilities
//! over the last days (so days of stock, a low stock, a stock-out and a lot expiring soon
//! show), about two days of readings per fridge, and one past excursion whose alarm is still
//! open (its lots marked for review).
//!
//! Idempotent: nothing is added when the state store exists.  A failure is reported to the
//! caller, which logs it and starts without the cold chain.

use chrono::{Duration, NaiveDate};
use tika_domain::admin::Area;
use tika_domain::coldchain::{AlarmKind, DeviceCode, ExcursionRule};
use tika_domain::country::CountryPack;
use tika_domain::ids::{CenterId, ColdChainPointId, DistrictId, EquipmentId, LotId, StateId};
use tika_domain::inventory::{
    BatchNumber, EquipmentKind, Lot, MovementKind, MovementRequest, PointLevel,
};
use tika_domain::vaccine::VaccineCode;
use tika_storage::{AlarmChange, ColdChainPoint, DynStore, Equipment, FacilityFilter, NewReading};

const ACTOR: &str = "demo";
const MINUTE: i64 = 60_000;

fn request(kind: MovementKind, lot: LotId, vials: u32, date: NaiveDate) -> MovementRequest {
    MovementRequest {
        kind,
        lot,
        vials,
        adjust_up: false,
        wastage_reason: None,
        note: String::new(),
        date,
    }
}

fn lot(pack: &CountryPack, code: &str, batch: &str, expiry: NaiveDate) -> anyhow::Result<Lot> {
    let vaccine = VaccineCode::parse(code)?;
    let def = pack.vaccines.iter().find(|v| v.code == vaccine);
    Ok(Lot {
        manufacturer: def.map(|v| v.manufacturer.clone()).unwrap_or_default(),
        doses_per_vial: def.and_then(|v| v.doses_per_vial).unwrap_or(10),
        vaccine,
        batch: BatchNumber::parse(batch).map_err(anyhow::Error::msg)?,
        expiry,
    })
}

/// A fridge's temperature at `at_ms` in tenths: 4–6 °C with a daily swing, and 9.5–11 °C
/// inside `warm` (the excursion).
fn temperature(i: i64, at_ms: i64, warm: Option<(i64, i64)>) -> i32 {
    if let Some((from, to)) = warm
        && (from..to).contains(&at_ms)
    {
        return 95 + ((at_ms - from) / (10 * MINUTE)) as i32 * 3;
    }
    let phase = (at_ms / MINUTE % 1440) as f64 / 1440.0 * std::f64::consts::TAU;
    (50.0 + 8.0 * phase.sin() + ((i * 7) % 5) as f64 - 2.0).round() as i32
}

/// Loads the demo cold chain into the demo district.
pub(crate) async fn load(
    store: &DynStore,
    pack: &CountryPack,
    district: DistrictId,
    site: Option<CenterId>,
    today: NaiveDate,
    now_ms: i64,
) -> anyhow::Result<usize> {
    let d = pack
        .district(district)
        .ok_or_else(|| anyhow::anyhow!("district {} is not in the country pack", district.0))?;
    let state: StateId = d.state_id;
    let state_name = pack.state(state).map(|s| s.name.clone()).unwrap_or_default();
    if store.list_points(Some(state), None).await?.iter().any(|p| p.level == PointLevel::StateStore)
    {
        return Ok(0);
    }
    let mut facilities = store
        .list_facilities(&FacilityFilter {
            area: Area::District { state, district },
            active: Some(true),
            query: None,
            limit: 20,
            offset: 0,
        })
        .await?;
    facilities.sort_by_key(|f| (Some(f.center.id) != site, f.center.id.0));
    facilities.truncate(3);

    let point = |name: String, level, district, center| ColdChainPoint {
        id: ColdChainPointId::new(),
        name,
        level,
        state,
        district,
        center,
        active: true,
        created_at_ms: now_ms,
    };
    let state_store =
        point(format!("State Vaccine Store, {state_name}"), PointLevel::StateStore, None, None);
    let district_store = point(
        format!("District Vaccine Store, {}", d.name),
        PointLevel::DistrictStore,
        Some(district),
        None,
    );
    let mut points = vec![state_store.clone(), district_store.clone()];
    for f in &facilities {
        points.push(point(
            format!("{} (ILR)", f.center.name),
            PointLevel::Facility,
            Some(district),
            Some(f.center.id),
        ));
    }
    for p in &points {
        store.create_point(p).await?;
    }

    // Equipment, each with a logger.
    let mut fridges: Vec<(Equipment, DeviceCode)> = Vec::new();
    for (i, p) in points.iter().enumerate() {
        let (kind, label) = match p.level {
            PointLevel::StateStore => (EquipmentKind::WalkInCooler, "WIC 1"),
            PointLevel::DistrictStore => (EquipmentKind::Ilr, "ILR 1"),
            _ => (EquipmentKind::Ilr, "ILR"),
        };
        let device = DeviceCode::parse(&format!("DEMO-LOG-{:03}", i + 1))?;
        let e = Equipment {
            id: EquipmentId::new(),
            point: p.id,
            kind,
            label: label.to_owned(),
            rule: ExcursionRule::FRIDGE,
            logger: Some(device.clone()),
            created_at_ms: now_ms,
        };
        store.create_equipment(&e).await?;
        fridges.push((e, device));
    }
    if let Some(p) = points.get(1) {
        let freezer = Equipment {
            id: EquipmentId::new(),
            point: p.id,
            kind: EquipmentKind::DeepFreezer,
            label: "DF 1".into(),
            rule: ExcursionRule::FREEZER,
            logger: None,
            created_at_ms: now_ms,
        };
        store.create_equipment(&freezer).await?;
    }

    // Lots, received at the state store and sent down the chain.
    let day = |n: i64| today - Duration::days(n);
    let covishield = store
        .upsert_lot(
            LotId::new(),
            &lot(pack, "COVISHIELD", "DEMO-CS-0001", today + Duration::days(200))?,
            now_ms,
        )
        .await?;
    let covaxin = store
        .upsert_lot(
            LotId::new(),
            &lot(pack, "COVAXIN", "DEMO-CV-0001", today + Duration::days(20))?,
            now_ms,
        )
        .await?;
    store
        .record_movement(
            state_store.id,
            &request(MovementKind::Receipt, covishield.id, 2000, day(25)),
            ACTOR,
            now_ms,
        )
        .await?;
    store
        .record_movement(
            state_store.id,
            &request(MovementKind::Receipt, covaxin.id, 400, day(25)),
            ACTOR,
            now_ms,
        )
        .await?;
    store
        .transfer(
            state_store.id,
            district_store.id,
            &request(MovementKind::Issue, covishield.id, 600, day(20)),
            ACTOR,
            now_ms,
        )
        .await?;
    store
        .transfer(
            state_store.id,
            district_store.id,
            &request(MovementKind::Issue, covaxin.id, 120, day(20)),
            ACTOR,
            now_ms,
        )
        .await?;
    for (i, p) in points.iter().skip(2).enumerate() {
        let i = i as u32;
        store
            .transfer(
                district_store.id,
                p.id,
                &request(MovementKind::Issue, covishield.id, 60, day(14)),
                ACTOR,
                now_ms,
            )
            .await?;
        store
            .transfer(
                district_store.id,
                p.id,
                &request(MovementKind::Issue, covaxin.id, 20, day(14)),
                ACTOR,
                now_ms,
            )
            .await?;
        // Sessions of the last ten days: the second facility runs low, the third runs out
        // of COVAXIN.
        for n in 1..=10 {
            let vials = 2 + i + (n as u32 % 2) * i;
            store
                .record_movement(
                    p.id,
                    &request(MovementKind::SessionUse, covishield.id, vials, day(n)),
                    ACTOR,
                    now_ms,
                )
                .await?;
            if i == 2 && n <= 5 {
                store
                    .record_movement(
                        p.id,
                        &request(MovementKind::SessionUse, covaxin.id, 4, day(n)),
                        ACTOR,
                        now_ms,
                    )
                    .await?;
            }
        }
    }

    // The demo site's own batches (issued to it for the site app) come down the chain too, so
    // the site can record the vaccine its session used against real stock.
    if let Some(site) = site
        && let Some(site_point) = points.iter().find(|p| p.center == Some(site))
    {
        for b in store.list_batches(site).await? {
            if b.expiry < today {
                continue;
            }
            let mut l = lot(pack, b.vaccine.as_str(), &b.batch, b.expiry)?;
            l.doses_per_vial = b.doses_per_vial;
            let l = store.upsert_lot(LotId::new(), &l, now_ms).await?;
            store
                .record_movement(
                    state_store.id,
                    &request(MovementKind::Receipt, l.id, 200, day(3)),
                    ACTOR,
                    now_ms,
                )
                .await?;
            for (from, to, vials) in
                [(state_store.id, district_store.id, 100), (district_store.id, site_point.id, 50)]
            {
                store
                    .transfer(
                        from,
                        to,
                        &request(MovementKind::Issue, l.id, vials, day(2)),
                        ACTOR,
                        now_ms,
                    )
                    .await?;
            }
        }
    }

    // Two days of readings every 10 minutes; the first facility's fridge got warm for 50
    // minutes yesterday (or the district store's, without facilities).
    let devices: Vec<DeviceCode> = fridges.iter().map(|(_, d)| d.clone()).collect();
    let links = store.register_loggers(&devices, now_ms).await?;
    let warm_index = if fridges.len() > 2 { 2 } else { 1 };
    let warm_from = now_ms - 20 * 60 * MINUTE;
    let warm = (warm_from, warm_from + 50 * MINUTE);
    let start = now_ms - 48 * 60 * MINUTE;
    let mut readings = Vec::new();
    for (k, (_, device)) in fridges.iter().enumerate() {
        let Some(link) = links.iter().find(|l| &l.device == device) else { continue };
        let mut at = start - start % (10 * MINUTE);
        let mut i = 0;
        while at < now_ms - 5 * MINUTE {
            let band = (k == warm_index).then_some(warm);
            readings.push(NewReading {
                logger_id: link.logger_id,
                at_ms: at,
                tenths: temperature(i + k as i64, at, band),
                battery_pct: Some(88),
            });
            at += 10 * MINUTE;
            i += 1;
        }
    }
    for chunk in readings.chunks(2000) {
        store.insert_readings(chunk, now_ms).await?;
    }
    if let Some((e, _)) = fridges.get(warm_index) {
        let worst =
            readings.iter().filter(|r| (warm.0..warm.1).contains(&r.at_ms)).map(|r| r.tenths).max();
        store
            .apply_alarm_changes(
                &[
                    AlarmChange::Open {
                        equipment: e.id,
                        kind: AlarmKind::TooWarm,
                        since_ms: warm.0,
                        worst_tenths: worst,
                    },
                    AlarmChange::Clear { equipment: e.id, kind: AlarmKind::TooWarm, at_ms: warm.1 },
                ],
                warm.0 + ExcursionRule::FRIDGE.min_duration_ms + MINUTE,
            )
            .await?;
    }
    Ok(points.len())
}
