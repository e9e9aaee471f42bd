//! The console API for the cold chain (issue 7): points, equipment and loggers, lots, the
//! stock ledger, stock views, excursion alarms and temperature readings.
//!
//! Thin handlers: read the body leniently into the service's forms (a value of the wrong type
//! is reported with its field, `400 ADM0001`), call one function of
//! [`crate::services::admin::coldchain`], which checks every permission and area (outside the
//! area: `404`), and map the answer.  Ledger refusals are `409 STK0001` (stock would go below
//! zero, expired lot), `STK0002` (a lot with that batch differs), `STK0003` (point
//! deactivated); alarms `409 CCH0001` (logger reports for other equipment), `CCH0002` (alarm
//! closed), `CCH0003` (lot not exposed).  Times are unix ms; temperatures tenths of °C and °C.
//!
//! | route | what |
//! |---|---|
//! | `GET /api/admin/v1/coldchain/points` | the area's points |
//! | `POST /api/admin/v1/coldchain/points` `{name, level, state?, district?, center?}` | add a point (`201`) |
//! | `GET /api/admin/v1/coldchain/points/{id}` | one point |
//! | `GET /api/admin/v1/coldchain/points/{id}/equipment` | its equipment, last reading, open alarms |
//! | `POST /api/admin/v1/coldchain/points/{id}/equipment` `{kind, label, min_c?, max_c?, excursion_minutes?, silence_minutes?, logger?}` | add equipment (`201`; band defaults to the kind's) |
//! | `GET /api/admin/v1/coldchain/equipment/{id}` | one piece of equipment |
//! | `POST /api/admin/v1/coldchain/equipment/{id}/logger` `{logger}` | link (`null`/blank: unlink) a logger |
//! | `GET /api/admin/v1/coldchain/equipment/{id}/readings?from=&to=` | readings in `[from, to)` (unix ms or RFC 3339; default the last 24 h; at most 8 days) |
//! | `POST /api/admin/v1/coldchain/lots` `{vaccine, batch, expiry, manufacturer?, doses_per_vial?}` | register a lot (`201`; the same batch again answers the stored lot, `200`) |
//! | `GET /api/admin/v1/coldchain/lots/{id}` | one lot |
//! | `GET /api/admin/v1/coldchain/lots/review` | the area's lots flagged by excursions, pending review |
//! | `GET /api/admin/v1/coldchain/points/{id}/movements?limit=` | the ledger, newest first |
//! | `POST /api/admin/v1/coldchain/points/{id}/movements` `{kind: receipt\|wastage\|expiry\|adjustment, lot, vials, reason?, direction?, note?, date?}` | record a movement (`201`) |
//! | `POST /api/admin/v1/coldchain/points/{id}/transfers` `{to, lot, vials, note?, date?}` | issue or transfer to another point (`201`, both sides) |
//! | `GET /api/admin/v1/coldchain/points/{id}/stock` | lots, per vaccine: doses, days of stock, warnings |
//! | `GET /api/admin/v1/coldchain/stock` | every point of the area and the totals per vaccine |
//! | `GET /api/admin/v1/coldchain/alarms?status=open\|acknowledged\|closed` | the area's alarms, not closed first |
//! | `GET /api/admin/v1/coldchain/alarms/{id}` | one alarm with its exposed lots |
//! | `POST /api/admin/v1/coldchain/alarms/{id}/acknowledge` | acknowledge |
//! | `POST /api/admin/v1/coldchain/alarms/{id}/close` `{action, note?, reviews?: [{lot, review}]}` | close |

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use axum::routing::{get, post};
use serde_json::{Value, json};
use tika_domain::coldchain::{AlarmStatus, format_tenths};
use tika_domain::ids::{AlarmId, ColdChainPointId, EquipmentId, LotId};
use tika_domain::inventory::{LotForm, StockWarning};
use tika_storage::{AlarmRecord, ColdChainPoint, Equipment, ExposedLot, LotRecord, MovementRecord};

use super::admin::{AdminAuth, Body, ok, reply};
use super::extract::Params;
use crate::error::{ApiError, ApiResult};
use crate::services::admin::coldchain::{
    self as cc, AlarmView, CloseForm, EquipmentForm, EquipmentStatus, MovementForm, PointForm,
    PointStock, VaccineStock,
};
use crate::state::AppState;

/// The routes (under `/api`, merged into the console API).
pub(crate) fn router() -> Router<AppState> {
    const P: &str = "/admin/v1/coldchain";
    Router::new()
        .route(&format!("{P}/points"), get(list_points).post(create_point))
        .route(&format!("{P}/points/{{id}}"), get(point))
        .route(&format!("{P}/points/{{id}}/equipment"), get(list_equipment).post(create_equipment))
        .route(&format!("{P}/points/{{id}}/movements"), get(ledger).post(record_movement))
        .route(&format!("{P}/points/{{id}}/transfers"), post(transfer))
        .route(&format!("{P}/points/{{id}}/stock"), get(point_stock))
        .route(&format!("{P}/stock"), get(area_stock))
        .route(&format!("{P}/equipment/{{id}}"), get(equipment))
        .route(&format!("{P}/equipment/{{id}}/logger"), post(set_logger))
        .route(&format!("{P}/equipment/{{id}}/readings"), get(readings))
        .route(&format!("{P}/lots"), post(create_lot))
        .route(&format!("{P}/lots/review"), get(lots_under_review))
        .route(&format!("{P}/lots/{{id}}"), get(lot))
        .route(&format!("{P}/alarms"), get(list_alarms))
        .route(&format!("{P}/alarms/{{id}}"), get(alarm))
        .route(&format!("{P}/alarms/{{id}}/acknowledge"), post(acknowledge))
        .route(&format!("{P}/alarms/{{id}}/close"), post(close))
}

// --- ids in paths (replies and bodies: `api::admin`) ---------------------------------------

fn point_id(s: &str) -> ApiResult<ColdChainPointId> {
    s.parse().map_err(|_| ApiError::NotFound)
}

fn equipment_id(s: &str) -> ApiResult<EquipmentId> {
    s.parse().map_err(|_| ApiError::NotFound)
}

fn alarm_id(s: &str) -> ApiResult<AlarmId> {
    s.parse().map_err(|_| ApiError::NotFound)
}

fn query_error(name: &str, what: &str) -> ApiError {
    ApiError::bad_request("ADM0002", format!("Query parameter {name} {what}"))
}

// --- answers ---------------------------------------------------------------------------------

fn point_json(p: &ColdChainPoint) -> Value {
    let mut v = cc::point_json(p);
    v["created_at"] = json!(p.created_at_ms);
    v
}

fn equipment_json(e: &Equipment) -> Value {
    let mut v = cc::equipment_json(e);
    v["min_c"] = json!(format_tenths(e.rule.range.min_tenths));
    v["max_c"] = json!(format_tenths(e.rule.range.max_tenths));
    v["created_at"] = json!(e.created_at_ms);
    v
}

fn alarm_json(a: &AlarmRecord) -> Value {
    json!({
        "id": a.id.to_string(),
        "equipment_id": a.equipment.to_string(),
        "point_id": a.point.to_string(),
        "kind": a.kind.as_str(),
        "status": a.status.as_str(),
        "since": a.since_ms,
        "worst_tenths": a.worst_tenths,
        "cleared_at": a.cleared_ms,
        "opened_at": a.opened_at_ms,
        "acknowledged_at": a.acknowledged.as_ref().map(|(t, _)| *t),
        "acknowledged_by": a.acknowledged.as_ref().map(|(_, by)| by.clone()),
        "closed_at": a.closed.as_ref().map(|(t, _)| *t),
        "closed_by": a.closed.as_ref().map(|(_, by)| by.clone()),
        "action": a.action.map(|x| x.as_str()),
        "note": a.note,
    })
}

fn alarm_view_json(v: &AlarmView) -> Value {
    let mut j = alarm_json(&v.alarm);
    j["equipment_label"] = json!(v.equipment_label);
    j["point_name"] = json!(v.point.name);
    j
}

fn exposed_json(x: &ExposedLot, l: &LotRecord) -> Value {
    let mut j = cc::lot_json(l);
    j["vials"] = json!(x.vials);
    j["review"] = json!(x.review.as_str());
    j
}

fn movement_json(m: &MovementRecord) -> Value {
    let mut j = cc::movement_json(m);
    j["actor"] = json!(m.actor);
    j["created_at"] = json!(m.created_at_ms);
    j
}

fn warning_json(w: &StockWarning) -> Value {
    match w {
        StockWarning::StockOut => json!({ "code": "stock_out" }),
        StockWarning::Low { days } => json!({ "code": "low", "days": days }),
        StockWarning::ExpiringSoon { lot, expiry, vials } => json!({
            "code": "expiring_soon",
            "lot": lot.to_string(),
            "expiry": expiry.format("%Y-%m-%d").to_string(),
            "vials": vials,
        }),
    }
}

fn vaccine_json(v: &VaccineStock) -> Value {
    json!({
        "vaccine": v.vaccine.as_str(),
        "vials": v.vials,
        "doses": v.doses,
        "used_doses_30d": v.used_doses,
        "days_of_stock": v.days_of_stock,
        "warnings": v.warnings.iter().map(warning_json).collect::<Vec<_>>(),
    })
}

fn stock_json(s: &PointStock) -> Value {
    json!({
        "point": point_json(&s.point),
        "window_days": cc::USAGE_WINDOW_DAYS,
        "lots": s.lots.iter().map(|r| {
            let mut j = cc::lot_json(&r.lot);
            j["vials"] = json!(r.vials);
            j["doses"] = json!(r.doses);
            j["expiring_soon"] = json!(r.expiring_soon);
            j["under_review"] = json!(r.under_review);
            j
        }).collect::<Vec<_>>(),
        "vaccines": s.vaccines.iter().map(vaccine_json).collect::<Vec<_>>(),
    })
}

fn status_json(s: &EquipmentStatus) -> Value {
    let mut j = equipment_json(&s.equipment);
    j["last_reading"] = match s.last_reading {
        Some((at, t)) => json!({ "at": at, "tenths": t, "c": format_tenths(t) }),
        None => Value::Null,
    };
    j["last_heard"] = json!(s.last_heard_ms);
    j["open_alarms"] = s.open_alarms.iter().map(alarm_json).collect();
    j
}

// --- points ----------------------------------------------------------------------------------

async fn list_points(
    State(state): State<AppState>,
    AdminAuth(who): AdminAuth,
) -> ApiResult<Response> {
    let list = cc::list_points(&state, &who).await?;
    ok(&who, json!({ "points": list.iter().map(point_json).collect::<Vec<_>>() }))
}

async fn create_point(
    State(state): State<AppState>,
    AdminAuth(who): AdminAuth,
    body: Bytes,
) -> ApiResult<Response> {
    let mut b = Body::parse(&body)?;
    let form = PointForm {
        name: b.text("name"),
        level: b.text("level"),
        state: b.int("state"),
        district: b.int("district"),
        center: b.int("center"),
    };
    b.finish()?;
    let p = cc::create_point(&state, &who, &form).await?;
    Ok(reply(&who, StatusCode::CREATED, Some(point_json(&p))))
}

async fn point(
    State(state): State<AppState>,
    AdminAuth(who): AdminAuth,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let p = cc::point(&state, &who, point_id(&id)?).await?;
    ok(&who, point_json(&p))
}

// --- equipment -------------------------------------------------------------------------------

async fn list_equipment(
    State(state): State<AppState>,
    AdminAuth(who): AdminAuth,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let list = cc::equipment_status(&state, &who, point_id(&id)?).await?;
    ok(&who, json!({ "equipment": list.iter().map(status_json).collect::<Vec<_>>() }))
}

async fn create_equipment(
    State(state): State<AppState>,
    AdminAuth(who): AdminAuth,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let id = point_id(&id)?;
    let mut b = Body::parse(&body)?;
    let form = EquipmentForm {
        kind: b.text("kind"),
        label: b.text("label"),
        min_c: b.float("min_c"),
        max_c: b.float("max_c"),
        excursion_minutes: b.int("excursion_minutes"),
        silence_minutes: b.int("silence_minutes"),
        logger: b.opt_text("logger"),
    };
    b.finish()?;
    let e = cc::create_equipment(&state, &who, id, &form).await?;
    Ok(reply(&who, StatusCode::CREATED, Some(equipment_json(&e))))
}

async fn equipment(
    State(state): State<AppState>,
    AdminAuth(who): AdminAuth,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let (e, _) = cc::equipment(&state, &who, equipment_id(&id)?).await?;
    ok(&who, equipment_json(&e))
}

async fn set_logger(
    State(state): State<AppState>,
    AdminAuth(who): AdminAuth,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let id = equipment_id(&id)?;
    let mut b = Body::parse(&body)?;
    let logger = b.opt_text("logger");
    b.finish()?;
    let e = cc::set_logger(&state, &who, id, logger.as_deref()).await?;
    ok(&who, equipment_json(&e))
}

/// A time as unix ms or RFC 3339.
fn time_param(params: &Params, name: &str) -> ApiResult<Option<i64>> {
    let Some(raw) = params.get(name) else { return Ok(None) };
    if let Ok(ms) = raw.trim().parse::<i64>() {
        return Ok(Some(ms));
    }
    chrono::DateTime::parse_from_rfc3339(raw.trim())
        .map(|t| Some(t.timestamp_millis()))
        .map_err(|_| query_error(name, "must be unix milliseconds or an RFC 3339 time"))
}

async fn readings(
    State(state): State<AppState>,
    AdminAuth(who): AdminAuth,
    Path(id): Path<String>,
    params: Params,
) -> ApiResult<Response> {
    let id = equipment_id(&id)?;
    let to = time_param(&params, "to")?.unwrap_or_else(|| state.now_ms() + 1);
    let from = time_param(&params, "from")?.unwrap_or(to - 86_400_000);
    if to <= from {
        return Err(query_error("to", "must be after from"));
    }
    if to - from > cc::MAX_READINGS_WINDOW_MS {
        return Err(query_error("from", "must be at most 8 days before to"));
    }
    let (e, _) = cc::equipment(&state, &who, id).await?;
    let list = cc::readings(&state, &who, id, from, to).await?;
    ok(
        &who,
        json!({
            "equipment_id": id.to_string(),
            "from": from,
            "to": to,
            "min_tenths": e.rule.range.min_tenths,
            "max_tenths": e.rule.range.max_tenths,
            "readings": list.iter().map(|(at, t)| json!({ "at": at, "tenths": t })).collect::<Vec<_>>(),
        }),
    )
}

// --- lots ------------------------------------------------------------------------------------

async fn create_lot(
    State(state): State<AppState>,
    AdminAuth(who): AdminAuth,
    body: Bytes,
) -> ApiResult<Response> {
    let mut b = Body::parse(&body)?;
    let form = LotForm {
        vaccine: b.text("vaccine"),
        batch: b.text("batch"),
        manufacturer: b.text("manufacturer"),
        expiry: b.text("expiry"),
        doses_per_vial: b.text("doses_per_vial"),
    };
    b.finish()?;
    let (l, created) = cc::add_lot(&state, &who, &form).await?;
    let status = if created { StatusCode::CREATED } else { StatusCode::OK };
    Ok(reply(&who, status, Some(cc::lot_json(&l))))
}

async fn lot(
    State(state): State<AppState>,
    AdminAuth(who): AdminAuth,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id: LotId = id.parse().map_err(|_| ApiError::NotFound)?;
    let l = cc::lot(&state, id).await?;
    ok(&who, cc::lot_json(&l))
}

async fn lots_under_review(
    State(state): State<AppState>,
    AdminAuth(who): AdminAuth,
) -> ApiResult<Response> {
    let list = cc::lots_under_review(&state, &who).await?;
    let lots: Vec<Value> = list
        .iter()
        .map(|(alarm, p, x, l)| {
            let mut j = exposed_json(x, l);
            j["alarm_id"] = json!(alarm.to_string());
            j["point_id"] = json!(p.id.to_string());
            j["point_name"] = json!(p.name);
            j
        })
        .collect();
    ok(&who, json!({ "lots": lots }))
}

// --- movements -------------------------------------------------------------------------------

fn movement_form(body: &Bytes) -> ApiResult<MovementForm> {
    let mut b = Body::parse(body)?;
    let form = MovementForm {
        kind: b.text("kind"),
        lot: b.text("lot"),
        vials: b.text("vials"),
        direction: b.text("direction"),
        reason: b.text("reason"),
        note: b.text("note"),
        date: b.text("date"),
        to: b.text("to"),
    };
    b.finish()?;
    Ok(form)
}

async fn ledger(
    State(state): State<AppState>,
    AdminAuth(who): AdminAuth,
    Path(id): Path<String>,
    params: Params,
) -> ApiResult<Response> {
    let id = point_id(&id)?;
    let limit = params
        .get("limit")
        .map(|l| l.parse::<u32>().map_err(|_| query_error("limit", "must be 1 to 1000")))
        .transpose()?
        .unwrap_or(100);
    let list = cc::ledger(&state, &who, id, limit).await?;
    ok(&who, json!({ "movements": list.iter().map(movement_json).collect::<Vec<_>>() }))
}

async fn record_movement(
    State(state): State<AppState>,
    AdminAuth(who): AdminAuth,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let id = point_id(&id)?;
    let form = movement_form(&body)?;
    let m = cc::record_movement(&state, &who, id, &form).await?;
    Ok(reply(&who, StatusCode::CREATED, Some(movement_json(&m))))
}

async fn transfer(
    State(state): State<AppState>,
    AdminAuth(who): AdminAuth,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let id = point_id(&id)?;
    let form = movement_form(&body)?;
    let (out, into) = cc::transfer(&state, &who, id, &form).await?;
    Ok(reply(
        &who,
        StatusCode::CREATED,
        Some(json!({ "out": movement_json(&out), "in": movement_json(&into) })),
    ))
}

// --- stock -----------------------------------------------------------------------------------

async fn point_stock(
    State(state): State<AppState>,
    AdminAuth(who): AdminAuth,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let s = cc::stock(&state, &who, point_id(&id)?).await?;
    ok(&who, stock_json(&s))
}

async fn area_stock(
    State(state): State<AppState>,
    AdminAuth(who): AdminAuth,
) -> ApiResult<Response> {
    let s = cc::area_stock(&state, &who).await?;
    ok(
        &who,
        json!({
            "window_days": cc::USAGE_WINDOW_DAYS,
            "truncated": s.truncated,
            "totals": s.totals.iter().map(vaccine_json).collect::<Vec<_>>(),
            "points": s.points.iter().map(|p| json!({
                "point": point_json(&p.point),
                "vaccines": p.vaccines.iter().map(vaccine_json).collect::<Vec<_>>(),
            })).collect::<Vec<_>>(),
        }),
    )
}

// --- alarms ----------------------------------------------------------------------------------

async fn list_alarms(
    State(state): State<AppState>,
    AdminAuth(who): AdminAuth,
    params: Params,
) -> ApiResult<Response> {
    let status =
        match params.get("status").map(str::trim) {
            None | Some("" | "all") => None,
            Some(s) => Some(AlarmStatus::parse(s).ok_or_else(|| {
                query_error("status", "must be open, acknowledged, closed or all")
            })?),
        };
    let list = cc::alarms(&state, &who, status).await?;
    ok(&who, json!({ "alarms": list.iter().map(alarm_view_json).collect::<Vec<_>>() }))
}

async fn alarm(
    State(state): State<AppState>,
    AdminAuth(who): AdminAuth,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let (v, lots) = cc::alarm(&state, &who, alarm_id(&id)?).await?;
    let mut j = alarm_view_json(&v);
    j["exposed_lots"] = lots.iter().map(|(x, l)| exposed_json(x, l)).collect();
    ok(&who, j)
}

async fn acknowledge(
    State(state): State<AppState>,
    AdminAuth(who): AdminAuth,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let a = cc::acknowledge(&state, &who, alarm_id(&id)?).await?;
    ok(&who, alarm_json(&a))
}

async fn close(
    State(state): State<AppState>,
    AdminAuth(who): AdminAuth,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let id = alarm_id(&id)?;
    let mut b = Body::parse(&body)?;
    let action = b.text("action");
    let note = b.text("note");
    let mut reviews = Vec::new();
    match b.value("reviews").cloned() {
        None => {}
        Some(Value::Array(list)) => {
            for item in list {
                match item {
                    Value::Object(m) => {
                        let s = |k: &str| m.get(k).and_then(Value::as_str).unwrap_or_default();
                        reviews.push((s("lot").to_owned(), s("review").to_owned()));
                    }
                    _ => b.fail("reviews", "each review is an object {lot, review}"),
                }
            }
        }
        Some(Value::Object(m)) => {
            for (lot, review) in m {
                reviews.push((lot, review.as_str().unwrap_or_default().to_owned()));
            }
        }
        Some(_) => b.fail("reviews", "must be a list of {lot, review}"),
    }
    b.finish()?;
    let a = cc::close(&state, &who, id, &CloseForm { action, note, reviews }).await?;
    ok(&who, alarm_json(&a))
}
