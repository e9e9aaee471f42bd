//! The cold chain in the console: points, equipment and loggers, lots, the stock ledger
//! (receipts, wastage, expiry, adjustments, transfers), stock views with days of stock and
//! warnings, excursion alarms (acknowledge, close with an action and lot reviews), and the
//! temperature readings of a piece of equipment.
//!
//! Who sees what mirrors facilities: a point with a facility (`center`) is inside an area when
//! the facility is ([`Area::covers`] on its place); a district store when its district is; a
//! state or regional store only for national officials and the officials of its state.
//! Anything outside the area answers [`ApiError::NotFound`].  Creating points needs
//! [`Capability::CreateFacilities`] (block level and above); a facility official works with
//! the stock and alarms of their own facility's point.  Every write is audited: stock movements,
//! transfers, alarm acknowledgement and closure in the write's own transaction; points,
//! equipment and lots (no stock moves) get their [`Change`] right after the write.  Logs carry
//! ids only.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{Duration, NaiveDate};
use serde_json::{Value, json};
use tika_domain::admin::{Area, Capability, FieldError, Place};
use tika_domain::coldchain::{
    AlarmAction, AlarmKind, AlarmStatus, DeviceCode, ExcursionRule, LotReview, TempRange,
};
use tika_domain::ids::{
    AlarmId, CenterId, ColdChainPointId, DistrictId, EquipmentId, LotId, StateId,
};
use tika_domain::inventory::{
    CatalogueVaccine, EquipmentKind, LotForm, MAX_VIALS_PER_MOVEMENT, MovementKind,
    MovementRequest, PointLevel, StockWarning, WarningThresholds, WastageReason, days_of_stock,
    warnings,
};
use tika_domain::vaccine::VaccineCode;
use tika_storage::{
    AlarmClosure, AlarmFilter, AlarmRecord, ColdChainPoint, Equipment, ExposedLot, LotRecord,
    MovementRecord, StorageError,
};

use super::{AdminPrincipal, change, require};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Days of outgoing movements (issues, transfers out, session use) the usage rate is taken
/// over.
pub const USAGE_WINDOW_DAYS: u32 = 30;
/// The most movements read to compute the usage rate of one point.
const USAGE_MOVEMENTS: u32 = 1000;
/// The most points an area summary covers.
pub const MAX_SUMMARY_POINTS: usize = 300;
/// The most alarms listed.
pub const MAX_ALARMS: u32 = 200;
/// The longest readings window, ms (8 days: a week chart with a margin).
pub const MAX_READINGS_WINDOW_MS: i64 = 8 * 86_400_000;
/// The most readings answered for one window.
pub const MAX_READINGS: u32 = 20_000;
/// The longest excursion or silence delay, minutes (a day).
const MAX_DELAY_MINUTES: i64 = 24 * 60;

// ---------------------------------------------------------------------------------------------
// Areas

/// Whether a point lies inside the official's area (see the module documentation).
async fn covers(state: &AppState, who: &AdminPrincipal, p: &ColdChainPoint) -> ApiResult<bool> {
    if matches!(who.area, Area::National) {
        return Ok(true);
    }
    if let Some(center) = p.center {
        return match state.store.find_facility(center).await {
            Ok(f) => Ok(who.area.covers(&f.place())),
            Err(StorageError::NotFound) => Ok(false),
            Err(e) => Err(e.into()),
        };
    }
    Ok(match (p.district, &who.area) {
        (Some(d), area) => {
            area.covers(&Place { state: p.state, district: d, block: String::new(), center: None })
        }
        (None, Area::State { state: s }) => *s == p.state,
        (None, _) => false,
    })
}

/// A point inside the official's area; `NotFound` if unknown or outside.
pub async fn point(
    state: &AppState,
    who: &AdminPrincipal,
    id: ColdChainPointId,
) -> ApiResult<ColdChainPoint> {
    let p = state.store.find_point(id).await?;
    if covers(state, who, &p).await? {
        Ok(p)
    } else {
        tracing::warn!(admin = %who.admin, point = %id, "official asked for a cold chain point outside their area");
        Err(ApiError::NotFound)
    }
}

/// The points of the official's area, by level then name.
pub async fn list_points(state: &AppState, who: &AdminPrincipal) -> ApiResult<Vec<ColdChainPoint>> {
    let all = state.store.list_points(who.area.state(), who.area.district()).await?;
    let mut out = Vec::with_capacity(all.len());
    for p in all {
        if covers(state, who, &p).await? {
            out.push(p);
        }
    }
    Ok(out)
}

/// The audit place of a point (`None` for state and regional stores: national officials
/// read those entries).
async fn point_place(state: &AppState, p: &ColdChainPoint) -> Option<Place> {
    if let Some(c) = p.center
        && let Ok(f) = state.store.find_facility(c).await
    {
        return Some(f.place());
    }
    p.district.map(|d| Place { state: p.state, district: d, block: String::new(), center: None })
}

/// Writes an audit entry after a write the storage does not audit.  The write is done, so a
/// failure here is logged loudly and reported.
async fn audit(
    state: &AppState,
    who: &AdminPrincipal,
    action: &str,
    subject: String,
    place: Option<Place>,
    after: Value,
) -> ApiResult<()> {
    let entry = change(state, who, action, subject, place, None, Some(after));
    if let Err(e) = state.store.record_change(&entry).await {
        tracing::error!(admin = %who.admin, action, error = %e, "cold chain change written but its audit entry failed");
        return Err(e.into());
    }
    Ok(())
}

fn fail(errors: &mut Vec<FieldError>, field: &'static str, message: impl Into<String>) {
    errors.push(FieldError { field, message: message.into() });
}

// ---------------------------------------------------------------------------------------------
// Points

/// A new point as submitted.
#[derive(Debug, Clone, Default)]
pub struct PointForm {
    /// Name, 3 to 120 characters.
    pub name: String,
    /// `state_store`, `regional_store`, `district_store` or `facility`.
    pub level: String,
    /// State (defaults to the official's, or the facility's).
    pub state: Option<i64>,
    /// District (district stores; defaults to the official's, or the facility's).
    pub district: Option<i64>,
    /// Facility (facility points).
    pub center: Option<i64>,
}

/// What the audit log keeps of a point.
pub fn point_json(p: &ColdChainPoint) -> Value {
    json!({
        "id": p.id.to_string(),
        "name": p.name,
        "level": p.level.as_str(),
        "state_id": p.state.0,
        "district_id": p.district.map(|d| d.0),
        "center_id": p.center.map(|c| c.0),
        "active": p.active,
    })
}

/// Creates a point inside the official's area (block level and above; a state or regional
/// store needs a national or state official).  A facility has at most one point.
pub async fn create_point(
    state: &AppState,
    who: &AdminPrincipal,
    form: &PointForm,
) -> ApiResult<ColdChainPoint> {
    require(who, Capability::CreateFacilities)?;
    let mut errors = Vec::new();
    let name = form.name.split_whitespace().collect::<Vec<_>>().join(" ");
    if !(3..=120).contains(&name.chars().count()) || name.chars().any(|c| "<>".contains(c)) {
        fail(&mut errors, "name", "must be 3 to 120 characters, without '<' or '>'");
    }
    let Some(level) = PointLevel::parse(&form.level) else {
        fail(
            &mut errors,
            "level",
            "must be state_store, regional_store, district_store or facility",
        );
        return Err(ApiError::Invalid(errors));
    };
    let pack = &state.pack;
    let (st, district, center) = match level {
        PointLevel::Facility => {
            let Some(c) = form.center else {
                fail(&mut errors, "center", "is required for a facility's store");
                return Err(ApiError::Invalid(errors));
            };
            let f = match state.store.find_facility(CenterId(c)).await {
                Ok(f) if who.area.covers(&f.place()) => f,
                Ok(_) | Err(StorageError::NotFound) => {
                    fail(&mut errors, "center", "is not a facility of your area");
                    return Err(ApiError::Invalid(errors));
                }
                Err(e) => return Err(e.into()),
            };
            (f.center.state_id, Some(f.center.district_id), Some(f.center.id))
        }
        PointLevel::DistrictStore => {
            let Some(d) = form
                .district
                .map(DistrictId)
                .or(who.area.district())
                .and_then(|d| pack.district(d))
            else {
                fail(&mut errors, "district", "is required: a district of the country");
                return Err(ApiError::Invalid(errors));
            };
            let place =
                Place { state: d.state_id, district: d.id, block: String::new(), center: None };
            if !matches!(who.area, Area::National | Area::State { .. } | Area::District { .. })
                || !who.area.covers(&place)
            {
                fail(&mut errors, "district", "is outside your area");
            }
            (d.state_id, Some(d.id), None)
        }
        PointLevel::StateStore | PointLevel::RegionalStore => {
            let Some(s) = form.state.map(StateId).or(who.area.state()).and_then(|s| pack.state(s))
            else {
                fail(&mut errors, "state", "is required: a state of the country");
                return Err(ApiError::Invalid(errors));
            };
            let allowed = match who.area {
                Area::National => true,
                Area::State { state: mine } => mine == s.id,
                _ => false,
            };
            if !allowed {
                fail(
                    &mut errors,
                    "level",
                    "only national and state officials add state or regional stores",
                );
            }
            (s.id, None, None)
        }
    };
    if let Some(c) = center {
        let existing = state.store.list_points(Some(st), district).await?;
        if existing.iter().any(|p| p.center == Some(c)) {
            fail(&mut errors, "center", "this facility already has a cold chain point");
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }
    let point = ColdChainPoint {
        id: ColdChainPointId::new(),
        name,
        level,
        state: st,
        district,
        center,
        active: true,
        created_at_ms: state.now_ms(),
    };
    state.store.create_point(&point).await?;
    let place = point_place(state, &point).await;
    audit(
        state,
        who,
        "coldchain.point.create",
        format!("point:{}", point.id),
        place,
        point_json(&point),
    )
    .await?;
    tracing::info!(admin = %who.admin, point = %point.id, level = level.as_str(), "cold chain point created");
    Ok(point)
}

// ---------------------------------------------------------------------------------------------
// Equipment and loggers

/// New equipment as submitted.
#[derive(Debug, Clone, Default)]
pub struct EquipmentForm {
    /// `ilr`, `deep_freezer`, `walk_in_cooler`, `walk_in_freezer` or `refrigerator`.
    pub kind: String,
    /// Label on site, 1 to 60 characters.
    pub label: String,
    /// Lowest allowed temperature, °C (default: the kind's band).
    pub min_c: Option<f64>,
    /// Highest allowed temperature, °C (default: the kind's band).
    pub max_c: Option<f64>,
    /// Minutes out of band before an alarm opens (default 10).
    pub excursion_minutes: Option<i64>,
    /// Minutes without a reading before a silence alarm opens (default 60).
    pub silence_minutes: Option<i64>,
    /// The logger's device code (optional).
    pub logger: Option<String>,
}

/// What the audit log keeps of equipment.
pub fn equipment_json(e: &Equipment) -> Value {
    json!({
        "id": e.id.to_string(),
        "point_id": e.point.to_string(),
        "kind": e.kind.as_str(),
        "label": e.label,
        "min_tenths": e.rule.range.min_tenths,
        "max_tenths": e.rule.range.max_tenths,
        "excursion_minutes": e.rule.min_duration_ms / 60_000,
        "silence_minutes": e.rule.silence_ms / 60_000,
        "logger": e.logger.as_ref().map(DeviceCode::as_str),
    })
}

fn delay_ms(
    errors: &mut Vec<FieldError>,
    field: &'static str,
    minutes: Option<i64>,
    default_ms: i64,
) -> i64 {
    match minutes {
        None => default_ms,
        Some(m) if (0..=MAX_DELAY_MINUTES).contains(&m) => m * 60_000,
        Some(_) => {
            fail(errors, field, format!("must be 0 to {MAX_DELAY_MINUTES} minutes"));
            default_ms
        }
    }
}

fn device(errors: &mut Vec<FieldError>, raw: Option<&str>) -> Option<DeviceCode> {
    let raw = raw.map(str::trim).filter(|s| !s.is_empty())?;
    match DeviceCode::parse(raw) {
        Ok(d) => Some(d),
        Err(e) => {
            fail(errors, "logger", e.to_string());
            None
        }
    }
}

/// Adds equipment to a point of the area.
pub async fn create_equipment(
    state: &AppState,
    who: &AdminPrincipal,
    point_id: ColdChainPointId,
    form: &EquipmentForm,
) -> ApiResult<Equipment> {
    require(who, Capability::EditFacilities)?;
    let p = point(state, who, point_id).await?;
    let mut errors = Vec::new();
    let kind = EquipmentKind::parse(&form.kind);
    if kind.is_none() {
        fail(
            &mut errors,
            "kind",
            "must be ilr, deep_freezer, walk_in_cooler, walk_in_freezer or refrigerator",
        );
    }
    let label = form.label.split_whitespace().collect::<Vec<_>>().join(" ");
    if !(1..=60).contains(&label.chars().count()) || label.chars().any(|c| "<>".contains(c)) {
        fail(&mut errors, "label", "must be 1 to 60 characters, without '<' or '>'");
    }
    let band = kind.map(EquipmentKind::default_band).unwrap_or(TempRange::FRIDGE);
    let range = match (form.min_c, form.max_c) {
        (None, None) => Some(band),
        (min, max) => {
            let min = min.unwrap_or(f64::from(band.min_tenths) / 10.0);
            let max = max.unwrap_or(f64::from(band.max_tenths) / 10.0);
            match TempRange::parse(min, max) {
                Ok(r) => Some(r),
                Err(e) => {
                    let field = if matches!(
                        e,
                        tika_domain::coldchain::ColdChainError::MinAboveMax { .. }
                    ) {
                        "max_c"
                    } else {
                        "min_c"
                    };
                    fail(&mut errors, field, e.to_string());
                    None
                }
            }
        }
    };
    let excursion = delay_ms(
        &mut errors,
        "excursion_minutes",
        form.excursion_minutes,
        ExcursionRule::FRIDGE.min_duration_ms,
    );
    let silence = delay_ms(
        &mut errors,
        "silence_minutes",
        form.silence_minutes,
        ExcursionRule::FRIDGE.silence_ms,
    );
    let logger = device(&mut errors, form.logger.as_deref());
    let (Some(kind), Some(range), true) = (kind, range, errors.is_empty()) else {
        return Err(ApiError::Invalid(errors));
    };
    let rule = ExcursionRule::new(range, excursion, silence)
        .map_err(|e| ApiError::invalid("excursion_minutes", e.to_string()))?;
    let equipment = Equipment {
        id: EquipmentId::new(),
        point: p.id,
        kind,
        label,
        rule,
        logger,
        created_at_ms: state.now_ms(),
    };
    state.store.create_equipment(&equipment).await?;
    let place = point_place(state, &p).await;
    audit(
        state,
        who,
        "coldchain.equipment.create",
        format!("equipment:{}", equipment.id),
        place,
        equipment_json(&equipment),
    )
    .await?;
    tracing::info!(admin = %who.admin, equipment = %equipment.id, point = %p.id, "equipment added");
    Ok(equipment)
}

/// One piece of equipment of the area, with its point.
pub async fn equipment(
    state: &AppState,
    who: &AdminPrincipal,
    id: EquipmentId,
) -> ApiResult<(Equipment, ColdChainPoint)> {
    let e = state.store.find_equipment(id).await?;
    let p = point(state, who, e.point).await?;
    Ok((e, p))
}

/// Links a logger to equipment of the area, or unlinks it (`None` or blank).
pub async fn set_logger(
    state: &AppState,
    who: &AdminPrincipal,
    id: EquipmentId,
    logger: Option<&str>,
) -> ApiResult<Equipment> {
    require(who, Capability::EditFacilities)?;
    let (before, p) = equipment(state, who, id).await?;
    let mut errors = Vec::new();
    let code = device(&mut errors, logger);
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }
    state.store.set_logger(id, code.as_ref()).await?;
    let after = Equipment { logger: code, ..before };
    let place = point_place(state, &p).await;
    let action =
        if after.logger.is_some() { "coldchain.logger.link" } else { "coldchain.logger.unlink" };
    audit(state, who, action, format!("equipment:{id}"), place, equipment_json(&after)).await?;
    tracing::info!(admin = %who.admin, equipment = %id, "logger link changed");
    Ok(after)
}

/// A piece of equipment as the point page shows it.
#[derive(Debug, Clone)]
pub struct EquipmentStatus {
    /// The equipment.
    pub equipment: Equipment,
    /// The newest reading of the last week: (ms, tenths).
    pub last_reading: Option<(i64, i32)>,
    /// When its logger was last heard (server clock, ms).
    pub last_heard_ms: Option<i64>,
    /// Its alarms not closed, newest first.
    pub open_alarms: Vec<AlarmRecord>,
}

/// The equipment of a point of the area with its current state.
pub async fn equipment_status(
    state: &AppState,
    who: &AdminPrincipal,
    point_id: ColdChainPointId,
) -> ApiResult<Vec<EquipmentStatus>> {
    let p = point(state, who, point_id).await?;
    let list = state.store.list_equipment(p.id).await?;
    if list.is_empty() {
        return Ok(Vec::new());
    }
    let now = state.now_ms();
    let heard: HashMap<String, i64> = state
        .store
        .list_loggers()
        .await?
        .into_iter()
        .map(|l| (l.device.as_str().to_owned(), l.last_seen_ms))
        .collect();
    let mut out = Vec::with_capacity(list.len());
    for e in list {
        let last =
            state.store.readings(e.id, now - 7 * 86_400_000, now + 5 * 60_000, 1).await?.pop();
        let open_alarms = state
            .store
            .list_alarms(&AlarmFilter {
                points: None,
                equipment: Some(e.id),
                unclosed_only: true,
                limit: 10,
            })
            .await?;
        let last_heard_ms = e.logger.as_ref().and_then(|d| heard.get(d.as_str()).copied());
        out.push(EquipmentStatus { equipment: e, last_reading: last, last_heard_ms, open_alarms });
    }
    Ok(out)
}

/// The readings of equipment of the area in `[from_ms, to_ms)`, oldest first.
pub async fn readings(
    state: &AppState,
    who: &AdminPrincipal,
    id: EquipmentId,
    from_ms: i64,
    to_ms: i64,
) -> ApiResult<Vec<(i64, i32)>> {
    if to_ms <= from_ms {
        return Err(ApiError::invalid("to", "must be after from"));
    }
    if to_ms - from_ms > MAX_READINGS_WINDOW_MS {
        return Err(ApiError::invalid("to", "the window is at most 8 days"));
    }
    equipment(state, who, id).await?;
    Ok(state.store.readings(id, from_ms, to_ms, MAX_READINGS).await?)
}

// ---------------------------------------------------------------------------------------------
// Lots and movements

/// The vaccine catalogue as the lot form needs it.
pub fn catalogue(state: &AppState) -> Vec<CatalogueVaccine> {
    state
        .pack
        .vaccines
        .iter()
        .map(|v| CatalogueVaccine {
            code: v.code.clone(),
            manufacturer: v.manufacturer.clone(),
            doses_per_vial: v.doses_per_vial,
        })
        .collect()
}

/// What the audit log keeps of a lot.
pub fn lot_json(l: &LotRecord) -> Value {
    json!({
        "id": l.id.to_string(),
        "vaccine": l.lot.vaccine.as_str(),
        "batch": l.lot.batch.as_str(),
        "manufacturer": l.lot.manufacturer,
        "expiry": l.lot.expiry.format("%Y-%m-%d").to_string(),
        "doses_per_vial": l.lot.doses_per_vial,
    })
}

/// Registers a lot (or returns the registered one with the same vaccine and batch; `409
/// STK0002` if that one differs), and whether it is new.  An expired lot is refused at its
/// `expiry` field.
pub async fn add_lot(
    state: &AppState,
    who: &AdminPrincipal,
    form: &LotForm,
) -> ApiResult<(LotRecord, bool)> {
    let lot = form.parse(&catalogue(state), state.today()).map_err(|list| {
        ApiError::Invalid(
            list.into_iter().map(|(field, message)| FieldError { field, message }).collect(),
        )
    })?;
    let id = LotId::new();
    let rec = state.store.upsert_lot(id, &lot, state.now_ms()).await?;
    let created = rec.id == id;
    if created {
        audit(state, who, "coldchain.lot.create", format!("lot:{id}"), None, lot_json(&rec))
            .await?;
        tracing::info!(admin = %who.admin, lot = %id, "lot registered");
    }
    Ok((rec, created))
}

/// One lot.
pub async fn lot(state: &AppState, id: LotId) -> ApiResult<LotRecord> {
    Ok(state.store.find_lot(id).await?)
}

/// A movement as submitted (every field text, checked together).
#[derive(Debug, Clone, Default)]
pub struct MovementForm {
    /// `receipt`, `wastage`, `expiry` or `adjustment` (a transfer ignores it).
    pub kind: String,
    /// The lot id.
    pub lot: String,
    /// Vials, 1 to 1,000,000.
    pub vials: String,
    /// Adjustments: `up` (more counted than the ledger) or `down`.
    pub direction: String,
    /// Wastage: the reason.
    pub reason: String,
    /// Note (adjustments and wastage "other" need one).
    pub note: String,
    /// The day, `YYYY-MM-DD` (default today; never in the future).
    pub date: String,
    /// Transfers: the point receiving.
    pub to: String,
}

/// The parts of a movement form every kind shares.
async fn parse_common(
    state: &AppState,
    form: &MovementForm,
    errors: &mut Vec<FieldError>,
) -> ApiResult<(Option<LotRecord>, Option<u32>, Option<NaiveDate>, String)> {
    let lot = match form.lot.trim().parse::<LotId>() {
        Ok(id) => match state.store.find_lot(id).await {
            Ok(l) => Some(l),
            Err(StorageError::NotFound) => {
                fail(errors, "lot", "is not a registered lot");
                None
            }
            Err(e) => return Err(e.into()),
        },
        Err(_) => {
            fail(errors, "lot", "is required: a lot id");
            None
        }
    };
    let vials = match form.vials.trim().parse::<u32>() {
        Ok(v) if (1..=MAX_VIALS_PER_MOVEMENT).contains(&v) => Some(v),
        _ => {
            fail(
                errors,
                "vials",
                format!("must be a whole number from 1 to {MAX_VIALS_PER_MOVEMENT}"),
            );
            None
        }
    };
    let today = state.today();
    let date = match form.date.trim() {
        "" => Some(today),
        d => match NaiveDate::parse_from_str(d, "%Y-%m-%d") {
            Ok(d) if d > today => {
                fail(errors, "date", "must not be in the future");
                None
            }
            Ok(d) => Some(d),
            Err(_) => {
                fail(errors, "date", "must be a date YYYY-MM-DD");
                None
            }
        },
    };
    let note = form.note.trim().to_owned();
    if note.chars().count() > 500 {
        fail(errors, "note", "must be at most 500 characters");
    }
    Ok((lot, vials, date, note))
}

/// What the audit log keeps of a movement.
pub fn movement_json(m: &MovementRecord) -> Value {
    m.audit_json()
}

/// Records a receipt, wastage, expiry or adjustment at a point of the area.  The ledger's rule
/// refuses stock going below zero and expired lots (`409 STK0001`); missing reasons and notes
/// are refused at their fields first.
pub async fn record_movement(
    state: &AppState,
    who: &AdminPrincipal,
    point_id: ColdChainPointId,
    form: &MovementForm,
) -> ApiResult<MovementRecord> {
    let p = point(state, who, point_id).await?;
    let mut errors = Vec::new();
    let kind = match MovementKind::parse(&form.kind) {
        Some(
            k @ (MovementKind::Receipt
            | MovementKind::Wastage
            | MovementKind::Expiry
            | MovementKind::Adjustment),
        ) => Some(k),
        Some(MovementKind::Issue | MovementKind::TransferOut | MovementKind::TransferIn) => {
            fail(&mut errors, "kind", "issues and transfers go through the transfers endpoint");
            None
        }
        _ => {
            fail(&mut errors, "kind", "must be receipt, wastage, expiry or adjustment");
            None
        }
    };
    let (lot, vials, date, note) = parse_common(state, form, &mut errors).await?;
    let reason = match (kind, form.reason.trim()) {
        (Some(MovementKind::Wastage), "") => {
            fail(&mut errors, "reason", "is required for wastage");
            None
        }
        (Some(MovementKind::Wastage), r) => match WastageReason::parse(r) {
            Some(r) => Some(r),
            None => {
                fail(&mut errors, "reason", "is not a wastage reason");
                None
            }
        },
        _ => None,
    };
    if reason == Some(WastageReason::Other) && note.is_empty() {
        fail(&mut errors, "note", "say why the vials were wasted");
    }
    let adjust_up = match (kind, form.direction.trim()) {
        (Some(MovementKind::Adjustment), "up") => true,
        (Some(MovementKind::Adjustment), "down") => false,
        (Some(MovementKind::Adjustment), _) => {
            fail(&mut errors, "direction", "must be up or down");
            false
        }
        _ => false,
    };
    if kind == Some(MovementKind::Adjustment) && note.is_empty() {
        fail(&mut errors, "note", "an adjustment needs a note saying why");
    }
    let (Some(kind), Some(lot), Some(vials), Some(date), true) =
        (kind, lot, vials, date, errors.is_empty())
    else {
        return Err(ApiError::Invalid(errors));
    };
    let req =
        MovementRequest { kind, lot: lot.id, vials, adjust_up, wastage_reason: reason, note, date };
    let place = point_place(state, &p).await;
    let entry = change(
        state,
        who,
        &format!("stock.{}", kind.as_str()),
        format!("point:{}", p.id),
        place,
        None,
        None,
    );
    let rec = state
        .store
        .record_movement_audited(p.id, &req, &super::actor(who), &entry, state.now_ms())
        .await?;
    tracing::info!(admin = %who.admin, point = %p.id, movement = %rec.id, kind = kind.as_str(), "stock movement recorded");
    Ok(rec)
}

/// Moves vials from a point of the area to another point: an issue down the chain, a transfer
/// sideways or back one level up ([`PointLevel::may_send_to`]).  The receiving point must be
/// active, in the same state (national officials: anywhere) and not the same point.
pub async fn transfer(
    state: &AppState,
    who: &AdminPrincipal,
    from: ColdChainPointId,
    form: &MovementForm,
) -> ApiResult<(MovementRecord, MovementRecord)> {
    let src = point(state, who, from).await?;
    let mut errors = Vec::new();
    let dest = match form.to.trim().parse::<ColdChainPointId>() {
        Ok(id) if id == src.id => {
            fail(&mut errors, "to", "must be another point");
            None
        }
        Ok(id) => match state.store.find_point(id).await {
            Ok(d)
                if matches!(who.area, Area::National)
                    || d.state == src.state
                    || covers(state, who, &d).await? =>
            {
                if !src.level.may_send_to(d.level) {
                    fail(
                        &mut errors,
                        "to",
                        "stock goes down the chain, sideways, or back one level up",
                    );
                    None
                } else if !d.active {
                    fail(&mut errors, "to", "that point is deactivated");
                    None
                } else {
                    Some(d)
                }
            }
            Ok(_) | Err(StorageError::NotFound) => {
                fail(&mut errors, "to", "is not a cold chain point you can send to");
                None
            }
            Err(e) => return Err(e.into()),
        },
        Err(_) => {
            fail(&mut errors, "to", "is required: the receiving point's id");
            None
        }
    };
    let (lot, vials, date, note) = parse_common(state, form, &mut errors).await?;
    let (Some(dest), Some(lot), Some(vials), Some(date), true) =
        (dest, lot, vials, date, errors.is_empty())
    else {
        return Err(ApiError::Invalid(errors));
    };
    let kind = if src.level.depth() < dest.level.depth() {
        MovementKind::Issue
    } else {
        MovementKind::TransferOut
    };
    let req = MovementRequest {
        kind,
        lot: lot.id,
        vials,
        adjust_up: false,
        wastage_reason: None,
        note,
        date,
    };
    let place = point_place(state, &src).await;
    let entry = change(
        state,
        who,
        &format!("stock.{}", kind.as_str()),
        format!("point:{}", src.id),
        place,
        None,
        None,
    );
    let (out, into) = state
        .store
        .transfer_audited(src.id, dest.id, &req, &super::actor(who), &entry, state.now_ms())
        .await?;
    tracing::info!(admin = %who.admin, from = %src.id, to = %dest.id, movement = %out.id, "stock sent");
    Ok((out, into))
}

/// Receives a new (or known) lot at a point: registers the lot, then records the receipt.
pub async fn receive(
    state: &AppState,
    who: &AdminPrincipal,
    point_id: ColdChainPointId,
    lot_form: &LotForm,
    movement: &MovementForm,
) -> ApiResult<(LotRecord, MovementRecord)> {
    point(state, who, point_id).await?;
    let mut errors: Vec<FieldError> = Vec::new();
    let lot = match add_lot(state, who, lot_form).await {
        Ok((l, _)) => Some(l),
        Err(ApiError::Invalid(list)) => {
            errors.extend(list);
            None
        }
        Err(e) => return Err(e),
    };
    if movement.vials.trim().parse::<u32>().map_or(true, |v| v == 0 || v > MAX_VIALS_PER_MOVEMENT) {
        fail(
            &mut errors,
            "vials",
            format!("must be a whole number from 1 to {MAX_VIALS_PER_MOVEMENT}"),
        );
    }
    let Some(lot) = lot.filter(|_| errors.is_empty()) else {
        return Err(ApiError::Invalid(errors));
    };
    let form = MovementForm {
        kind: MovementKind::Receipt.as_str().into(),
        lot: lot.id.to_string(),
        ..movement.clone()
    };
    let rec = record_movement(state, who, point_id, &form).await?;
    Ok((lot, rec))
}

/// A point's ledger, newest first.
pub async fn ledger(
    state: &AppState,
    who: &AdminPrincipal,
    point_id: ColdChainPointId,
    limit: u32,
) -> ApiResult<Vec<MovementRecord>> {
    let p = point(state, who, point_id).await?;
    Ok(state.store.movements(p.id, limit.clamp(1, 1000)).await?)
}

// ---------------------------------------------------------------------------------------------
// Stock views

/// One lot in stock at a point.
#[derive(Debug, Clone)]
pub struct StockRow {
    /// The lot.
    pub lot: LotRecord,
    /// Vials on hand.
    pub vials: i64,
    /// Doses on hand.
    pub doses: i64,
    /// Expires within the warning threshold.
    pub expiring_soon: bool,
    /// Flagged by an excursion, pending review.
    pub under_review: bool,
}

/// One vaccine's stock at a point (or summed over an area).
#[derive(Debug, Clone)]
pub struct VaccineStock {
    /// The vaccine.
    pub vaccine: VaccineCode,
    /// Vials on hand.
    pub vials: i64,
    /// Doses on hand.
    pub doses: i64,
    /// Doses gone out in the last [`USAGE_WINDOW_DAYS`] days (issues, transfers out, sessions).
    pub used_doses: u64,
    /// Days the stock lasts at that rate (`None`: nothing used).
    pub days_of_stock: Option<f64>,
    /// Stock-out, low, expiring lots.
    pub warnings: Vec<StockWarning>,
}

/// A point's stock.
#[derive(Debug, Clone)]
pub struct PointStock {
    /// The point.
    pub point: ColdChainPoint,
    /// Lots in stock, earliest expiry first.
    pub lots: Vec<StockRow>,
    /// Per vaccine (in stock, or moved in the window), by code.
    pub vaccines: Vec<VaccineStock>,
}

impl PointStock {
    /// Every warning of the point, vaccine by vaccine.
    pub fn warnings(&self) -> impl Iterator<Item = (&VaccineCode, &StockWarning)> {
        self.vaccines.iter().flat_map(|v| v.warnings.iter().map(move |w| (&v.vaccine, w)))
    }
}

/// Computes a point's stock (no area check: callers check).
async fn compute_stock(
    state: &AppState,
    p: ColdChainPoint,
    review: &HashSet<(ColdChainPointId, LotId)>,
) -> ApiResult<PointStock> {
    let lines = state.store.stock(p.id).await?;
    let moves = state.store.movements(p.id, USAGE_MOVEMENTS).await?;
    let today = state.today();
    let since = today - Duration::days(i64::from(USAGE_WINDOW_DAYS));
    let thresholds = WarningThresholds::default();
    let mut lots: HashMap<LotId, LotRecord> =
        lines.iter().map(|l| (l.lot.id, l.lot.clone())).collect();
    let mut used: BTreeMap<VaccineCode, u64> = BTreeMap::new();
    for m in moves.iter().filter(|m| m.date > since) {
        let lot = match lots.get(&m.lot) {
            Some(l) => l.clone(),
            None => {
                let l = state.store.find_lot(m.lot).await?;
                lots.insert(l.id, l.clone());
                l
            }
        };
        let entry = used.entry(lot.lot.vaccine.clone()).or_insert(0);
        if matches!(
            m.kind,
            MovementKind::Issue | MovementKind::TransferOut | MovementKind::SessionUse
        ) {
            *entry += u64::try_from(lot.lot.doses(-m.delta)).unwrap_or(0);
        }
    }
    let mut by_vaccine: BTreeMap<VaccineCode, Vec<(LotId, NaiveDate, i64, u16)>> = BTreeMap::new();
    for l in &lines {
        by_vaccine.entry(l.lot.lot.vaccine.clone()).or_default().push((
            l.lot.id,
            l.lot.lot.expiry,
            l.vials,
            l.lot.lot.doses_per_vial,
        ));
    }
    for v in used.keys() {
        by_vaccine.entry(v.clone()).or_default();
    }
    let vaccines = by_vaccine
        .into_iter()
        .map(|(vaccine, list)| {
            let vials: i64 = list.iter().map(|(_, _, v, _)| *v).sum();
            let doses: i64 = list.iter().map(|(_, _, v, d)| v * i64::from(*d)).sum();
            let used_doses = used.get(&vaccine).copied().unwrap_or(0);
            let on_hand = u64::try_from(doses).unwrap_or(0);
            let triples: Vec<(LotId, NaiveDate, i64)> =
                list.iter().map(|(id, e, v, _)| (*id, *e, *v)).collect();
            VaccineStock {
                vials,
                doses,
                used_doses,
                days_of_stock: days_of_stock(on_hand, used_doses, USAGE_WINDOW_DAYS),
                warnings: warnings(
                    &triples,
                    on_hand,
                    used_doses,
                    USAGE_WINDOW_DAYS,
                    today,
                    thresholds,
                ),
                vaccine,
            }
        })
        .collect();
    let lots = lines
        .into_iter()
        .map(|l| StockRow {
            doses: l.lot.lot.doses(l.vials),
            expiring_soon: l.lot.lot.expiry >= today
                && (l.lot.lot.expiry - today).num_days() <= i64::from(thresholds.expiring_days),
            under_review: review.contains(&(p.id, l.lot.id)),
            vials: l.vials,
            lot: l.lot,
        })
        .collect();
    Ok(PointStock { point: p, lots, vaccines })
}

async fn review_set(
    state: &AppState,
    points: &[ColdChainPointId],
) -> ApiResult<HashSet<(ColdChainPointId, LotId)>> {
    Ok(state
        .store
        .lots_under_review(Some(points))
        .await?
        .into_iter()
        .map(|(_, p, l)| (p, l.lot))
        .collect())
}

/// The stock of a point of the area: lots, per-vaccine totals, days of stock, warnings.
pub async fn stock(
    state: &AppState,
    who: &AdminPrincipal,
    point_id: ColdChainPointId,
) -> ApiResult<PointStock> {
    let p = point(state, who, point_id).await?;
    let review = review_set(state, &[p.id]).await?;
    compute_stock(state, p, &review).await
}

/// The stock of every point of the area, and the totals per vaccine.
#[derive(Debug, Clone)]
pub struct AreaStock {
    /// Each point (at most [`MAX_SUMMARY_POINTS`]).
    pub points: Vec<PointStock>,
    /// Totals per vaccine over the points (warnings: stock-out and low of the total only).
    pub totals: Vec<VaccineStock>,
    /// More points exist than were summed.
    pub truncated: bool,
}

/// The area's stock summary.
pub async fn area_stock(state: &AppState, who: &AdminPrincipal) -> ApiResult<AreaStock> {
    let mut all = list_points(state, who).await?;
    let truncated = all.len() > MAX_SUMMARY_POINTS;
    all.truncate(MAX_SUMMARY_POINTS);
    let ids: Vec<ColdChainPointId> = all.iter().map(|p| p.id).collect();
    let review = if ids.is_empty() { HashSet::new() } else { review_set(state, &ids).await? };
    let mut points = Vec::with_capacity(all.len());
    for p in all {
        points.push(compute_stock(state, p, &review).await?);
    }
    let mut sums: BTreeMap<VaccineCode, (i64, i64, u64)> = BTreeMap::new();
    for p in &points {
        for v in &p.vaccines {
            let e = sums.entry(v.vaccine.clone()).or_insert((0, 0, 0));
            e.0 += v.vials;
            e.1 += v.doses;
            // Stock moving between points of the area is not use; the facilities' sessions
            // and what leaves the area are.
            if p.point.level == PointLevel::Facility {
                e.2 += v.used_doses;
            }
        }
    }
    let today = state.today();
    let totals = sums
        .into_iter()
        .map(|(vaccine, (vials, doses, used))| {
            let on_hand = u64::try_from(doses).unwrap_or(0);
            VaccineStock {
                vials,
                doses,
                used_doses: used,
                days_of_stock: days_of_stock(on_hand, used, USAGE_WINDOW_DAYS),
                warnings: warnings(
                    &[],
                    on_hand,
                    used,
                    USAGE_WINDOW_DAYS,
                    today,
                    WarningThresholds::default(),
                ),
                vaccine,
            }
        })
        .collect();
    Ok(AreaStock { points, totals, truncated })
}

/// Lots flagged by excursions at the area's points, pending review.
pub async fn lots_under_review(
    state: &AppState,
    who: &AdminPrincipal,
) -> ApiResult<Vec<(AlarmId, ColdChainPoint, ExposedLot, LotRecord)>> {
    let points = list_points(state, who).await?;
    if points.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<ColdChainPointId> = points.iter().map(|p| p.id).collect();
    let by_id: HashMap<ColdChainPointId, ColdChainPoint> =
        points.into_iter().map(|p| (p.id, p)).collect();
    let mut out = Vec::new();
    for (alarm, p, exposed) in state.store.lots_under_review(Some(&ids)).await? {
        if let Some(point) = by_id.get(&p) {
            let lot = state.store.find_lot(exposed.lot).await?;
            out.push((alarm, point.clone(), exposed, lot));
        }
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Alarms

/// An alarm with what the list shows beside it.
#[derive(Debug, Clone)]
pub struct AlarmView {
    /// The alarm.
    pub alarm: AlarmRecord,
    /// Its equipment's label.
    pub equipment_label: String,
    /// Its point.
    pub point: ColdChainPoint,
}

/// The alarms of the area's points: not closed first, then newest first.  `status` narrows
/// to one status.
pub async fn alarms(
    state: &AppState,
    who: &AdminPrincipal,
    status: Option<AlarmStatus>,
) -> ApiResult<Vec<AlarmView>> {
    let points = list_points(state, who).await?;
    if points.is_empty() {
        return Ok(Vec::new());
    }
    let filter = AlarmFilter {
        points: (!matches!(who.area, Area::National))
            .then(|| points.iter().map(|p| p.id).collect()),
        equipment: None,
        unclosed_only: matches!(status, Some(AlarmStatus::Open | AlarmStatus::Acknowledged)),
        limit: MAX_ALARMS,
    };
    let by_id: HashMap<ColdChainPointId, ColdChainPoint> =
        points.into_iter().map(|p| (p.id, p)).collect();
    let mut labels: HashMap<EquipmentId, String> = HashMap::new();
    let mut out = Vec::new();
    for a in state.store.list_alarms(&filter).await? {
        if status.is_some_and(|s| s != a.status) {
            continue;
        }
        let Some(point) = by_id.get(&a.point) else { continue };
        let label = match labels.get(&a.equipment) {
            Some(l) => l.clone(),
            None => {
                let l = match state.store.find_equipment(a.equipment).await {
                    Ok(e) => e.label,
                    Err(StorageError::NotFound) => String::new(),
                    Err(e) => return Err(e.into()),
                };
                labels.insert(a.equipment, l.clone());
                l
            }
        };
        out.push(AlarmView { alarm: a, equipment_label: label, point: point.clone() });
    }
    out.sort_by_key(|v| {
        (v.alarm.status == AlarmStatus::Closed, std::cmp::Reverse(v.alarm.opened_at_ms))
    });
    Ok(out)
}

/// One alarm of the area with its exposed lots (and their records).
pub async fn alarm(
    state: &AppState,
    who: &AdminPrincipal,
    id: AlarmId,
) -> ApiResult<(AlarmView, Vec<(ExposedLot, LotRecord)>)> {
    let (a, exposed) = state.store.find_alarm(id).await?;
    let p = point(state, who, a.point).await?;
    let label = match state.store.find_equipment(a.equipment).await {
        Ok(e) => e.label,
        Err(StorageError::NotFound) => String::new(),
        Err(e) => return Err(e.into()),
    };
    let mut lots = Vec::with_capacity(exposed.len());
    for x in exposed {
        let l = state.store.find_lot(x.lot).await?;
        lots.push((x, l));
    }
    Ok((AlarmView { alarm: a, equipment_label: label, point: p }, lots))
}

/// Acknowledges an alarm of the area (the storage audits it).
pub async fn acknowledge(
    state: &AppState,
    who: &AdminPrincipal,
    id: AlarmId,
) -> ApiResult<AlarmRecord> {
    let (a, _) = state.store.find_alarm(id).await?;
    point(state, who, a.point).await?;
    let rec = state.store.acknowledge_alarm(id, &super::actor(who), state.now_ms()).await?;
    tracing::info!(admin = %who.admin, alarm = %id, "alarm acknowledged");
    Ok(rec)
}

/// Closing an alarm as submitted.
#[derive(Debug, Clone, Default)]
pub struct CloseForm {
    /// The action taken.
    pub action: String,
    /// Note (required for `other`).
    pub note: String,
    /// (lot id, review) of exposed lots; blank reviews are left pending.
    pub reviews: Vec<(String, String)>,
}

/// Closes an alarm of the area with an action, a note and the exposed lots' reviews (the
/// storage audits it).
pub async fn close(
    state: &AppState,
    who: &AdminPrincipal,
    id: AlarmId,
    form: &CloseForm,
) -> ApiResult<AlarmRecord> {
    let (a, exposed) = state.store.find_alarm(id).await?;
    point(state, who, a.point).await?;
    let mut errors = Vec::new();
    let action = AlarmAction::parse(form.action.trim());
    if action.is_none() {
        fail(
            &mut errors,
            "action",
            "must be vials_quarantined, vaccine_moved, equipment_repaired, logger_replaced, no_risk or other",
        );
    }
    let note = form.note.trim().to_owned();
    if action == Some(AlarmAction::Other) && note.is_empty() {
        fail(&mut errors, "note", "say what was done");
    }
    if note.chars().count() > 1000 {
        fail(&mut errors, "note", "must be at most 1000 characters");
    }
    let mut reviews = Vec::new();
    for (lot, review) in &form.reviews {
        if review.trim().is_empty() {
            continue;
        }
        let lot_id = lot.trim().parse::<LotId>().ok();
        let review = LotReview::parse(review.trim());
        match (lot_id, review) {
            (Some(l), Some(r)) if exposed.iter().any(|x| x.lot == l) => reviews.push((l, r)),
            (Some(_), Some(_)) | (None, _) => {
                fail(
                    &mut errors,
                    "reviews",
                    format!("lot {} was not exposed by this alarm", lot.trim()),
                );
            }
            (Some(_), None) => {
                fail(
                    &mut errors,
                    "reviews",
                    "a review is pending, usable, quarantined or discarded",
                );
            }
        }
    }
    let (Some(action), true) = (action, errors.is_empty()) else {
        return Err(ApiError::Invalid(errors));
    };
    let closure = AlarmClosure { action, note, reviews };
    let rec = state.store.close_alarm(id, &closure, &super::actor(who), state.now_ms()).await?;
    tracing::info!(admin = %who.admin, alarm = %id, action = action.as_str(), "alarm closed");
    Ok(rec)
}

/// Whether an alarm is about temperature (lots were exposed) rather than silence.
pub fn is_excursion(a: &AlarmRecord) -> bool {
    a.kind != AlarmKind::Silent
}
