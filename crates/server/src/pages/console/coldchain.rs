//! Console pages for the cold chain: the area's points with their stock and warnings, a
//! point's equipment, stock, movement forms and ledger, an equipment's temperature chart (an
//! inline SVG drawn here, no script), and the excursion alarms.
//!
//! | route | what |
//! |---|---|
//! | `GET /console/coldchain`, `POST /console/coldchain/points` | points, area stock, warnings; add a point |
//! | `GET /console/coldchain/points/{id}` | equipment, stock, forms, ledger |
//! | `POST /console/coldchain/points/{id}/{equipment,receive,movements,transfers}` | the forms |
//! | `GET /console/coldchain/equipment/{id}?span=day\|week` | the temperature chart |
//! | `POST /console/coldchain/equipment/{id}/logger` | link or unlink the logger |
//! | `GET /console/coldchain/alarms?status=` | alarms, not closed first (`/console/alarms`, the SMS link, redirects here) |
//! | `GET /console/coldchain/alarms/{id}`, `POST …/acknowledge`, `POST …/close` | one alarm |
//!
//! Warnings are badges with words (never colour alone): red for a stock-out, amber for low
//! days of stock and lots expiring soon.

use askama::Template;
use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::{get, post};
use tika_domain::coldchain::{
    AlarmAction, AlarmKind, AlarmStatus, LotReview, TempRange, format_tenths,
};
use tika_domain::ids::{AlarmId, ColdChainPointId, EquipmentId};
use tika_domain::inventory::{
    EquipmentKind, LotForm, MovementKind, PointLevel, StockWarning, WastageReason,
};
use tika_storage::{AlarmRecord, ColdChainPoint, MovementRecord};

use super::{Con, ConsoleLayout, FormErrors, Opt, district_name, local_time, state_name};
use crate::error::ApiError;
use crate::pages::context::{Fields, FormFields, PageError, PageResult, QueryFields, encode};
use crate::pages::i18n::{self, Texts};
use crate::services::admin::AdminPrincipal;
use crate::services::admin::coldchain::{
    self as cc, CloseForm, EquipmentForm, MovementForm, PointForm, PointStock, VaccineStock,
};
use crate::state::AppState;

const COLDCHAIN_CSS: &str = include_str!("../../../static/coldchain.css");

/// The routes (under `/console`).
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/console/coldchain", get(overview))
        .route("/console/coldchain/points", post(create_point))
        .route("/console/coldchain/points/{id}", get(point_page))
        .route("/console/coldchain/points/{id}/equipment", post(add_equipment))
        .route("/console/coldchain/points/{id}/receive", post(receive))
        .route("/console/coldchain/points/{id}/movements", post(movement))
        .route("/console/coldchain/points/{id}/transfers", post(transfer))
        .route("/console/coldchain/equipment/{id}", get(equipment_page))
        .route("/console/coldchain/equipment/{id}/logger", post(set_logger))
        .route("/console/coldchain/alarms", get(alarms_page))
        // The short address the alarm SMS carries (a link variable holds at most 40 characters).
        .route(
            "/console/alarms",
            get(|| async { axum::response::Redirect::to("/console/coldchain/alarms") }),
        )
        .route("/console/coldchain/alarms/{id}", get(alarm_page))
        .route("/console/coldchain/alarms/{id}/acknowledge", post(acknowledge))
        .route("/console/coldchain/alarms/{id}/close", post(close))
        .route(
            "/static/coldchain.css",
            get(|| async {
                let mut res = COLDCHAIN_CSS.into_response();
                let h = res.headers_mut();
                h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/css; charset=utf-8"));
                h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"));
                res
            }),
        )
}

/// The one-shot messages of these pages (`cc_…` flash keys).
pub(super) fn flash_text(t: &Texts, key: &str) -> Option<String> {
    Some(
        match key {
            "cc_point" => t.cc_flash_point,
            "cc_equipment" => t.cc_flash_equipment,
            "cc_received" => t.cc_flash_received,
            "cc_moved" => t.cc_flash_moved,
            "cc_sent" => t.cc_flash_sent,
            "cc_logger" => t.cc_flash_logger,
            "cc_ack" => t.cc_flash_ack,
            "cc_closed" => t.cc_flash_closed,
            _ => return None,
        }
        .to_owned(),
    )
}

fn not_found() -> PageError {
    PageError::Api(ApiError::NotFound)
}

fn point_href(id: ColdChainPointId) -> String {
    format!("/console/coldchain/points/{id}")
}

fn level_label(t: &Texts, l: PointLevel) -> &'static str {
    match l {
        PointLevel::StateStore => t.cc_level_state_store,
        PointLevel::RegionalStore => t.cc_level_regional_store,
        PointLevel::DistrictStore => t.cc_level_district_store,
        PointLevel::Facility => t.cc_level_facility,
    }
}

fn kind_label(t: &Texts, k: EquipmentKind) -> &'static str {
    match k {
        EquipmentKind::Ilr => t.cc_kind_ilr,
        EquipmentKind::DeepFreezer => t.cc_kind_deep_freezer,
        EquipmentKind::WalkInCooler => t.cc_kind_walk_in_cooler,
        EquipmentKind::WalkInFreezer => t.cc_kind_walk_in_freezer,
        EquipmentKind::Refrigerator => t.cc_kind_refrigerator,
    }
}

fn movement_label(t: &Texts, k: MovementKind) -> &'static str {
    match k {
        MovementKind::Receipt => t.cc_mv_receipt,
        MovementKind::Issue => t.cc_mv_issue,
        MovementKind::TransferIn => t.cc_mv_transfer_in,
        MovementKind::TransferOut => t.cc_mv_transfer_out,
        MovementKind::Wastage => t.cc_mv_wastage,
        MovementKind::Expiry => t.cc_mv_expiry,
        MovementKind::Adjustment => t.cc_mv_adjustment,
        MovementKind::SessionUse => t.cc_mv_session_use,
    }
}

fn reason_label(t: &Texts, r: WastageReason) -> &'static str {
    match r {
        WastageReason::OpenedVialDiscarded => t.cc_wr_opened_vial,
        WastageReason::Broken => t.cc_wr_broken,
        WastageReason::Frozen => t.cc_wr_frozen,
        WastageReason::HeatExposed => t.cc_wr_heat,
        WastageReason::Contaminated => t.cc_wr_contaminated,
        WastageReason::Other => t.cc_wr_other,
    }
}

fn alarm_kind_label(t: &Texts, k: AlarmKind) -> &'static str {
    match k {
        AlarmKind::TooWarm => t.cc_alarm_too_warm,
        AlarmKind::TooCold => t.cc_alarm_too_cold,
        AlarmKind::Silent => t.cc_alarm_silent,
    }
}

fn status_label(t: &Texts, s: AlarmStatus) -> &'static str {
    match s {
        AlarmStatus::Open => t.cc_status_open,
        AlarmStatus::Acknowledged => t.cc_status_acknowledged,
        AlarmStatus::Closed => t.cc_status_closed,
    }
}

fn action_label(t: &Texts, a: AlarmAction) -> &'static str {
    match a {
        AlarmAction::VialsQuarantined => t.cc_act_quarantined,
        AlarmAction::VaccineMoved => t.cc_act_moved,
        AlarmAction::EquipmentRepaired => t.cc_act_repaired,
        AlarmAction::LoggerReplaced => t.cc_act_logger,
        AlarmAction::NoRisk => t.cc_act_no_risk,
        AlarmAction::Other => t.cc_act_other,
    }
}

fn review_label(t: &Texts, r: LotReview) -> &'static str {
    match r {
        LotReview::Pending => t.cc_rv_pending,
        LotReview::Usable => t.cc_rv_usable,
        LotReview::Quarantined => t.cc_rv_quarantined,
        LotReview::Discarded => t.cc_rv_discarded,
    }
}

fn band_label(r: TempRange) -> String {
    format!("{} – {} °C", format_tenths(r.min_tenths), format_tenths(r.max_tenths))
}

/// A warning badge: its class (`bad` red, `warn` amber) and words.
pub(super) struct Badge {
    pub(super) class: &'static str,
    pub(super) text: String,
}

fn warning_badge(t: &Texts, vaccine: &str, w: &StockWarning) -> Badge {
    match w {
        StockWarning::StockOut => {
            Badge { class: "bad", text: i18n::fill(t.cc_w_stock_out, &[("vaccine", vaccine)]) }
        }
        StockWarning::Low { days } => Badge {
            class: "warn",
            text: i18n::fill(t.cc_w_low, &[("vaccine", vaccine), ("days", &format!("{days:.1}"))]),
        },
        StockWarning::ExpiringSoon { expiry, vials, .. } => Badge {
            class: "warn",
            text: i18n::fill(
                t.cc_w_expiring,
                &[
                    ("vaccine", vaccine),
                    ("vials", &vials.to_string()),
                    ("date", &expiry.format("%d-%m-%Y").to_string()),
                ],
            ),
        },
    }
}

fn days_text(t: &Texts, d: Option<f64>) -> String {
    match d {
        Some(d) => i18n::fill(t.cc_days_n, &[("n", &format!("{d:.1}"))]),
        None => t.cc_no_usage.to_owned(),
    }
}

/// One vaccine's line of a stock summary.
pub(super) struct VaccineLine {
    pub(super) vaccine: String,
    pub(super) vials: i64,
    pub(super) doses: i64,
    pub(super) used: u64,
    pub(super) days: String,
    pub(super) badges: Vec<Badge>,
}

fn vaccine_line(t: &Texts, v: &VaccineStock) -> VaccineLine {
    VaccineLine {
        vaccine: v.vaccine.to_string(),
        vials: v.vials,
        doses: v.doses,
        used: v.used_doses,
        days: days_text(t, v.days_of_stock),
        badges: v.warnings.iter().map(|w| warning_badge(t, v.vaccine.as_str(), w)).collect(),
    }
}

fn place_text(con: &Con, p: &ColdChainPoint) -> String {
    match p.district {
        Some(d) => {
            format!(
                "{}, {}",
                district_name(&con.state, d),
                state_name(&con.state, con.lang, p.state)
            )
        }
        None => state_name(&con.state, con.lang, p.state),
    }
}

// ---------------------------------------------------------------------------------------------
// The overview

struct PointLine {
    href: String,
    id: String,
    name: String,
    level: &'static str,
    place: String,
    vaccines: Vec<VaccineLine>,
    badges: Vec<Badge>,
}

#[derive(Template)]
#[template(path = "console_coldchain.html")]
struct OverviewPage {
    l: ConsoleLayout,
    totals: Vec<VaccineLine>,
    points: Vec<PointLine>,
    truncated: bool,
    open_alarms: usize,
    can_create: bool,
    levels: Vec<Opt>,
    v: Fields,
    errs: FormErrors,
    others: Vec<String>,
}

const POINT_FIELDS: &[&str] = &["name", "level", "state", "district", "center"];

async fn render_overview(
    con: &Con,
    who: &AdminPrincipal,
    v: Fields,
    errs: FormErrors,
    status: StatusCode,
) -> PageResult {
    let t = con.t;
    let area = cc::area_stock(&con.state, who).await?;
    let open_alarms = cc::alarms(&con.state, who, None)
        .await?
        .iter()
        .filter(|a| a.alarm.status != AlarmStatus::Closed)
        .count();
    let points = area
        .points
        .iter()
        .map(|s| PointLine {
            href: point_href(s.point.id),
            id: s.point.id.to_string(),
            name: s.point.name.clone(),
            level: level_label(t, s.point.level),
            place: place_text(con, &s.point),
            badges: s.warnings().map(|(v, w)| warning_badge(t, v.as_str(), w)).collect(),
            vaccines: s.vaccines.iter().map(|v| vaccine_line(t, v)).collect(),
        })
        .collect();
    let level_now = v.text("level");
    let page = OverviewPage {
        l: con.layout.clone(),
        totals: area.totals.iter().map(|v| vaccine_line(t, v)).collect(),
        points,
        truncated: area.truncated,
        open_alarms,
        can_create: con.layout.can("create_facilities"),
        levels: PointLevel::ALL
            .into_iter()
            .map(|l| {
                Opt::new(
                    l.as_str(),
                    level_label(t, l),
                    if level_now.is_empty() { "facility" } else { &level_now },
                )
            })
            .collect(),
        others: errs.others(POINT_FIELDS),
        v,
        errs,
    };
    con.render_status(status, &page)
}

/// `GET /console/coldchain`.
async fn overview(mut con: Con) -> PageResult {
    let who = con.admin("/console/coldchain")?;
    con.section("coldchain");
    render_overview(&con, &who, Fields::default(), FormErrors::default(), StatusCode::OK).await
}

fn opt_int(v: &Fields, name: &str, errs: &mut FormErrors, bad: &str) -> Option<i64> {
    let raw = v.get(name)?;
    match raw.parse::<i64>() {
        Ok(n) => Some(n),
        Err(_) => {
            errs.add(name, bad);
            None
        }
    }
}

/// `POST /console/coldchain/points`.
async fn create_point(mut con: Con, FormFields(form): FormFields) -> PageResult {
    let who = con.admin("/console/coldchain")?;
    con.section("coldchain");
    con.check_csrf(&form)?;
    let mut errs = FormErrors::default();
    let bad = con.t.con_bad_number;
    let input = PointForm {
        name: form.text("name"),
        level: form.text("level"),
        state: opt_int(&form, "state", &mut errs, bad),
        district: opt_int(&form, "district", &mut errs, bad),
        center: opt_int(&form, "center", &mut errs, bad),
    };
    let mut status = StatusCode::BAD_REQUEST;
    if !errs.any() {
        match cc::create_point(&con.state, &who, &input).await {
            Ok(p) => return Ok(con.done(&point_href(p.id), "cc_point", None)),
            Err(e) => (status, errs) = super::form_failure(&con, e)?,
        }
    }
    render_overview(&con, &who, form, errs, status).await
}

// ---------------------------------------------------------------------------------------------
// A point

struct EquipmentLine {
    href: String,
    id: String,
    label: String,
    kind: &'static str,
    band: String,
    logger: String,
    current: String,
    out_of_band: bool,
    last_heard: String,
    alarms: Vec<String>,
}

struct LotLine {
    id: String,
    vaccine: String,
    batch: String,
    manufacturer: String,
    expiry: String,
    vials: i64,
    doses: i64,
    expiring_soon: bool,
    under_review: bool,
}

struct LedgerLine {
    date: String,
    kind: &'static str,
    delta: String,
    lot: String,
    reason: String,
    note: String,
    counterpart: String,
    actor: String,
}

/// Which form of the point page failed (its values and errors are shown again).
#[derive(Default)]
struct Failed {
    form: &'static str,
    v: Fields,
    errs: FormErrors,
}

#[derive(Template)]
#[template(path = "console_coldchain_point.html")]
struct PointPage {
    l: ConsoleLayout,
    href: String,
    name: String,
    level: &'static str,
    place: String,
    active: bool,
    equipment: Vec<EquipmentLine>,
    vaccines: Vec<VaccineLine>,
    lots: Vec<LotLine>,
    ledger: Vec<LedgerLine>,
    kinds: Vec<Opt>,
    vaccine_opts: Vec<Opt>,
    lot_opts: Vec<Opt>,
    move_kinds: Vec<Opt>,
    reasons: Vec<Opt>,
    destinations: Vec<Opt>,
    today: String,
    failed: &'static str,
    v: Fields,
    errs: FormErrors,
    others: Vec<String>,
}

fn parse_point(id: &str) -> Result<ColdChainPointId, PageError> {
    id.parse().map_err(|_| not_found())
}

fn lot_text(l: &tika_storage::LotRecord) -> String {
    format!("{} {} ({})", l.lot.vaccine, l.lot.batch.as_str(), l.lot.expiry.format("%d-%m-%Y"))
}

async fn render_point(
    con: &Con,
    who: &AdminPrincipal,
    id: ColdChainPointId,
    failed: Failed,
    status: StatusCode,
) -> PageResult {
    let t = con.t;
    let state = &con.state;
    let stock: PointStock = cc::stock(state, who, id).await?;
    let p = stock.point.clone();
    let equipment = cc::equipment_status(state, who, id).await?;
    let ledger: Vec<MovementRecord> = cc::ledger(state, who, id, 50).await?;
    let points = cc::list_points(state, who).await?;
    let mut lot_names: std::collections::HashMap<tika_domain::ids::LotId, String> =
        stock.lots.iter().map(|r| (r.lot.id, lot_text(&r.lot))).collect();
    for m in &ledger {
        if !lot_names.contains_key(&m.lot)
            && let Ok(l) = cc::lot(state, m.lot).await
        {
            lot_names.insert(m.lot, lot_text(&l));
        }
    }
    let names: std::collections::HashMap<ColdChainPointId, String> =
        points.iter().map(|q| (q.id, q.name.clone())).collect();
    let equipment = equipment
        .iter()
        .map(|s| {
            let e = &s.equipment;
            EquipmentLine {
                href: format!("/console/coldchain/equipment/{}", e.id),
                id: e.id.to_string(),
                label: e.label.clone(),
                kind: kind_label(t, e.kind),
                band: band_label(e.rule.range),
                logger: e.logger.as_ref().map(ToString::to_string).unwrap_or_default(),
                current: s
                    .last_reading
                    .map(|(at, x)| format!("{} °C · {}", format_tenths(x), local_time(state, at)))
                    .unwrap_or_default(),
                out_of_band: s.last_reading.is_some_and(|(_, x)| !e.rule.range.contains(x)),
                last_heard: s.last_heard_ms.map(|ms| local_time(state, ms)).unwrap_or_default(),
                alarms: s
                    .open_alarms
                    .iter()
                    .map(|a| {
                        format!("{} · {}", alarm_kind_label(t, a.kind), status_label(t, a.status))
                    })
                    .collect(),
            }
        })
        .collect();
    let (fail_form, v, errs) = (failed.form, failed.v, failed.errs);
    let kind_now = if fail_form == "equipment" { v.text("kind") } else { "ilr".to_owned() };
    let vaccine_now = if fail_form == "receive" { v.text("vaccine") } else { String::new() };
    let move_now = if fail_form == "movement" { v.text("kind") } else { "wastage".to_owned() };
    let reason_now = if fail_form == "movement" { v.text("reason") } else { String::new() };
    let lot_now = v.text("lot");
    let to_now = if fail_form == "transfer" { v.text("to") } else { String::new() };
    let mut reasons = vec![Opt::new("", t.choose, &reason_now)];
    reasons.extend(
        WastageReason::ALL
            .into_iter()
            .map(|r| Opt::new(r.as_str(), reason_label(t, r), &reason_now)),
    );
    let mut lot_opts = vec![Opt::new("", t.choose, &lot_now)];
    lot_opts.extend(stock.lots.iter().map(|r| {
        Opt::new(
            r.lot.id.to_string(),
            format!("{} · {} {}", lot_text(&r.lot), r.vials, t.cc_vials),
            &lot_now,
        )
    }));
    let mut destinations = vec![Opt::new("", t.choose, &to_now)];
    destinations.extend(
        points.iter().filter(|q| q.id != p.id && q.active && p.level.may_send_to(q.level)).map(
            |q| {
                Opt::new(
                    q.id.to_string(),
                    format!("{} ({})", q.name, level_label(t, q.level)),
                    &to_now,
                )
            },
        ),
    );
    let mut vaccine_opts = vec![Opt::new("", t.choose, &vaccine_now)];
    vaccine_opts.extend(
        state.pack.vaccines.iter().map(|x| Opt::new(x.code.as_str(), x.name.clone(), &vaccine_now)),
    );
    let page = PointPage {
        l: con.layout.clone(),
        href: point_href(p.id),
        name: p.name.clone(),
        level: level_label(t, p.level),
        place: place_text(con, &p),
        active: p.active,
        equipment,
        vaccines: stock.vaccines.iter().map(|x| vaccine_line(t, x)).collect(),
        lots: stock
            .lots
            .iter()
            .map(|r| LotLine {
                id: r.lot.id.to_string(),
                vaccine: r.lot.lot.vaccine.to_string(),
                batch: r.lot.lot.batch.as_str().to_owned(),
                manufacturer: r.lot.lot.manufacturer.clone(),
                expiry: r.lot.lot.expiry.format("%d-%m-%Y").to_string(),
                vials: r.vials,
                doses: r.doses,
                expiring_soon: r.expiring_soon,
                under_review: r.under_review,
            })
            .collect(),
        ledger: ledger
            .iter()
            .map(|m| LedgerLine {
                date: m.date.format("%d-%m-%Y").to_string(),
                kind: movement_label(t, m.kind),
                delta: if m.delta > 0 { format!("+{}", m.delta) } else { m.delta.to_string() },
                lot: lot_names.get(&m.lot).cloned().unwrap_or_else(|| m.lot.to_string()),
                reason: m.wastage_reason.map(|r| reason_label(t, r)).unwrap_or_default().to_owned(),
                note: m.note.clone(),
                counterpart: m
                    .counterpart
                    .map(|c| names.get(&c).cloned().unwrap_or_else(|| c.to_string()))
                    .unwrap_or_default(),
                actor: m.actor.clone(),
            })
            .collect(),
        kinds: EquipmentKind::ALL
            .into_iter()
            .map(|k| {
                let b = k.default_band();
                Opt::new(k.as_str(), format!("{} ({})", kind_label(t, k), band_label(b)), &kind_now)
            })
            .collect(),
        vaccine_opts,
        lot_opts,
        move_kinds: [MovementKind::Wastage, MovementKind::Expiry, MovementKind::Adjustment]
            .into_iter()
            .map(|k| Opt::new(k.as_str(), movement_label(t, k), &move_now))
            .collect(),
        reasons,
        destinations,
        today: state.today().format("%Y-%m-%d").to_string(),
        failed: fail_form,
        others: errs.others(&[
            "name",
            "kind",
            "label",
            "min_c",
            "max_c",
            "excursion_minutes",
            "silence_minutes",
            "logger",
            "vaccine",
            "batch",
            "manufacturer",
            "expiry",
            "doses_per_vial",
            "lot",
            "vials",
            "reason",
            "direction",
            "note",
            "date",
            "to",
        ]),
        v,
        errs,
    };
    con.render_status(status, &page)
}

/// `GET /console/coldchain/points/{id}`.
async fn point_page(mut con: Con, Path(id): Path<String>) -> PageResult {
    let who = con.admin(&format!("/console/coldchain/points/{}", encode(&id)))?;
    con.section("coldchain");
    let id = parse_point(&id)?;
    render_point(&con, &who, id, Failed::default(), StatusCode::OK).await
}

/// Shows the point page again with a failed form, or an error page.
async fn point_failure(
    con: &Con,
    who: &AdminPrincipal,
    id: ColdChainPointId,
    form: &'static str,
    v: Fields,
    e: ApiError,
) -> PageResult {
    let (status, errs) = super::form_failure(con, e)?;
    render_point(con, who, id, Failed { form, v, errs }, status).await
}

fn float_field(v: &Fields, name: &str, errs: &mut FormErrors, bad: &str) -> Option<f64> {
    let raw = v.get(name)?;
    match raw.replace(',', ".").parse::<f64>() {
        Ok(x) if x.is_finite() => Some(x),
        _ => {
            errs.add(name, bad);
            None
        }
    }
}

/// `POST /console/coldchain/points/{id}/equipment`.
async fn add_equipment(
    mut con: Con,
    Path(id): Path<String>,
    FormFields(form): FormFields,
) -> PageResult {
    let who = con.admin("/console/coldchain")?;
    con.section("coldchain");
    con.check_csrf(&form)?;
    let id = parse_point(&id)?;
    let mut errs = FormErrors::default();
    let bad = con.t.con_bad_number;
    let input = EquipmentForm {
        kind: form.text("kind"),
        label: form.text("label"),
        min_c: float_field(&form, "min_c", &mut errs, bad),
        max_c: float_field(&form, "max_c", &mut errs, bad),
        excursion_minutes: opt_int(&form, "excursion_minutes", &mut errs, bad),
        silence_minutes: opt_int(&form, "silence_minutes", &mut errs, bad),
        logger: form.get("logger").map(str::to_owned),
    };
    if errs.any() {
        return render_point(
            &con,
            &who,
            id,
            Failed { form: "equipment", v: form, errs },
            StatusCode::BAD_REQUEST,
        )
        .await;
    }
    match cc::create_equipment(&con.state, &who, id, &input).await {
        Ok(_) => Ok(con.done(&format!("{}#equipment", point_href(id)), "cc_equipment", None)),
        Err(e) => point_failure(&con, &who, id, "equipment", form, e).await,
    }
}

fn movement_form(form: &Fields) -> MovementForm {
    MovementForm {
        kind: form.text("kind"),
        lot: form.text("lot"),
        vials: form.text("vials"),
        direction: form.text("direction"),
        reason: form.text("reason"),
        note: form.text("note"),
        date: form.text("date"),
        to: form.text("to"),
    }
}

/// `POST /console/coldchain/points/{id}/receive`: registers the lot and receives vials.
async fn receive(mut con: Con, Path(id): Path<String>, FormFields(form): FormFields) -> PageResult {
    let who = con.admin("/console/coldchain")?;
    con.section("coldchain");
    con.check_csrf(&form)?;
    let id = parse_point(&id)?;
    let lot = LotForm {
        vaccine: form.text("vaccine"),
        batch: form.text("batch"),
        manufacturer: form.text("manufacturer"),
        expiry: form.text("expiry"),
        doses_per_vial: form.text("doses_per_vial"),
    };
    match cc::receive(&con.state, &who, id, &lot, &movement_form(&form)).await {
        Ok(_) => Ok(con.done(&format!("{}#stock", point_href(id)), "cc_received", None)),
        Err(e) => point_failure(&con, &who, id, "receive", form, e).await,
    }
}

/// `POST /console/coldchain/points/{id}/movements`: wastage, expiry, adjustment.
async fn movement(
    mut con: Con,
    Path(id): Path<String>,
    FormFields(form): FormFields,
) -> PageResult {
    let who = con.admin("/console/coldchain")?;
    con.section("coldchain");
    con.check_csrf(&form)?;
    let id = parse_point(&id)?;
    match cc::record_movement(&con.state, &who, id, &movement_form(&form)).await {
        Ok(_) => Ok(con.done(&format!("{}#stock", point_href(id)), "cc_moved", None)),
        Err(e) => point_failure(&con, &who, id, "movement", form, e).await,
    }
}

/// `POST /console/coldchain/points/{id}/transfers`.
async fn transfer(
    mut con: Con,
    Path(id): Path<String>,
    FormFields(form): FormFields,
) -> PageResult {
    let who = con.admin("/console/coldchain")?;
    con.section("coldchain");
    con.check_csrf(&form)?;
    let id = parse_point(&id)?;
    match cc::transfer(&con.state, &who, id, &movement_form(&form)).await {
        Ok(_) => Ok(con.done(&format!("{}#stock", point_href(id)), "cc_sent", None)),
        Err(e) => point_failure(&con, &who, id, "transfer", form, e).await,
    }
}

// ---------------------------------------------------------------------------------------------
// Equipment and its chart

#[derive(Template)]
#[template(path = "console_coldchain_equipment.html")]
struct EquipmentPage {
    l: ConsoleLayout,
    id: String,
    label: String,
    kind: &'static str,
    band: String,
    excursion_minutes: i64,
    silence_minutes: i64,
    logger: String,
    point_href: String,
    point_name: String,
    week: bool,
    day_href: String,
    week_href: String,
    chart: String,
    chart_title: String,
    count: usize,
    out_count: usize,
    latest: String,
    errs: FormErrors,
}

/// The time axis and the window of a chart.
struct Window {
    from_ms: i64,
    to_ms: i64,
    week: bool,
}

fn svg_escape(s: &str) -> String {
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;").replace('"', "&quot;")
}

/// The temperature chart as inline SVG: the allowed band as a shaded rectangle with its limits
/// labelled, the readings as a line, readings out of band as red dots, the time axis in the
/// country's time zone.  Drawn with presentation attributes only (the pages' CSP forbids
/// inline styles).
fn chart_svg(
    t: &Texts,
    readings: &[(i64, i32)],
    band: TempRange,
    w: &Window,
    tz_offset_min: i32,
) -> String {
    const W: f64 = 760.0;
    const H: f64 = 300.0;
    const L: f64 = 56.0;
    const R: f64 = 16.0;
    const T: f64 = 16.0;
    const B: f64 = 40.0;
    let lo = readings.iter().map(|r| r.1).chain([band.min_tenths]).min().unwrap_or(band.min_tenths);
    let hi = readings.iter().map(|r| r.1).chain([band.max_tenths]).max().unwrap_or(band.max_tenths);
    let (lo, hi) = (f64::from(lo) / 10.0 - 2.0, f64::from(hi) / 10.0 + 2.0);
    let span_ms = (w.to_ms - w.from_ms).max(1) as f64;
    let x = |ms: i64| L + (ms - w.from_ms) as f64 / span_ms * (W - L - R);
    let y = |c: f64| T + (hi - c) / (hi - lo) * (H - T - B);
    let mut s = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {W} {H}\" role=\"img\" \
         aria-labelledby=\"chart-title\" class=\"temp-chart\" id=\"temp-chart\" \
         font-family=\"sans-serif\" font-size=\"11\">"
    );
    s.push_str(&format!("<title id=\"chart-title\">{}</title>", svg_escape(t.cc_chart_title)));
    s.push_str(&format!(
        "<rect x=\"{L}\" y=\"{T}\" width=\"{}\" height=\"{}\" fill=\"#ffffff\" stroke=\"#c8d3dc\"/>",
        W - L - R,
        H - T - B
    ));
    let (bmin, bmax) = (f64::from(band.min_tenths) / 10.0, f64::from(band.max_tenths) / 10.0);
    s.push_str(&format!(
        "<rect id=\"chart-band\" x=\"{L}\" y=\"{:.1}\" width=\"{}\" height=\"{:.1}\" fill=\"#2e7d32\" \
         fill-opacity=\"0.14\" stroke=\"#2e7d32\" stroke-dasharray=\"4 3\"/>",
        y(bmax),
        W - L - R,
        (y(bmin) - y(bmax)).max(1.0)
    ));
    s.push_str(&format!(
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#1b5e20\" id=\"band-max\">{} {} °C</text>",
        W - R - 4.0,
        y(bmax) - 4.0,
        svg_escape(t.cc_max),
        format_tenths(band.max_tenths)
    ));
    s.push_str(&format!(
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#1b5e20\" id=\"band-min\">{} {} °C</text>",
        W - R - 4.0,
        y(bmin) + 13.0,
        svg_escape(t.cc_min),
        format_tenths(band.min_tenths)
    ));
    // Temperature axis: about 6 ticks on whole degrees.
    let step = ((hi - lo) / 6.0).ceil().max(1.0);
    let mut c = (lo / step).ceil() * step;
    while c <= hi {
        s.push_str(&format!(
            "<line x1=\"{L}\" x2=\"{:.1}\" y1=\"{:.1}\" y2=\"{:.1}\" stroke=\"#e3e8ed\"/>\
             <text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"end\" fill=\"#44515c\">{c:.0} °C</text>",
            W - R,
            y(c),
            y(c),
            L - 6.0,
            y(c) + 4.0
        ));
        c += step;
    }
    // Time axis, local time: every 3 hours for a day, every day for a week.
    let off = i64::from(tz_offset_min) * 60_000;
    let tick = if w.week { 86_400_000 } else { 3 * 3_600_000 };
    let mut at = ((w.from_ms + off) / tick + 1) * tick - off;
    while at < w.to_ms {
        let label = chrono::DateTime::from_timestamp_millis(at + off)
            .map(|d| d.naive_utc().format(if w.week { "%d-%m" } else { "%H:%M" }).to_string())
            .unwrap_or_default();
        s.push_str(&format!(
            "<line x1=\"{0:.1}\" x2=\"{0:.1}\" y1=\"{T}\" y2=\"{1:.1}\" stroke=\"#eef1f4\"/>\
             <text x=\"{0:.1}\" y=\"{2:.1}\" text-anchor=\"middle\" fill=\"#44515c\">{3}</text>",
            x(at),
            H - B,
            H - B + 16.0,
            label
        ));
        at += tick;
    }
    s.push_str(&format!(
        "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#44515c\">{}</text>",
        L + (W - L - R) / 2.0,
        H - 6.0,
        svg_escape(t.cc_chart_time_axis)
    ));
    if readings.is_empty() {
        s.push_str(&format!(
            "<text x=\"{:.1}\" y=\"{:.1}\" text-anchor=\"middle\" fill=\"#44515c\" font-size=\"14\" \
             id=\"chart-empty\">{}</text>",
            L + (W - L - R) / 2.0,
            T + (H - T - B) / 2.0,
            svg_escape(t.cc_chart_empty)
        ));
    } else {
        // At most ~1500 points on the line; readings out of band are always kept as dots.
        let stride = readings.len().div_ceil(1500).max(1);
        let pts: Vec<String> = readings
            .iter()
            .step_by(stride)
            .map(|(at, v)| format!("{:.1},{:.1}", x(*at), y(f64::from(*v) / 10.0)))
            .collect();
        s.push_str(&format!(
            "<polyline id=\"chart-line\" fill=\"none\" stroke=\"#0b5394\" stroke-width=\"1.5\" \
             points=\"{}\"/>",
            pts.join(" ")
        ));
        for (at, v) in readings.iter().filter(|(_, v)| !band.contains(*v)).take(2000) {
            s.push_str(&format!(
                "<circle class=\"out\" cx=\"{:.1}\" cy=\"{:.1}\" r=\"2.5\" fill=\"#c62828\"/>",
                x(*at),
                y(f64::from(*v) / 10.0)
            ));
        }
    }
    s.push_str("</svg>");
    s
}

fn parse_equipment(id: &str) -> Result<EquipmentId, PageError> {
    id.parse().map_err(|_| not_found())
}

async fn render_equipment(
    con: &Con,
    who: &AdminPrincipal,
    id: EquipmentId,
    week: bool,
    errs: FormErrors,
    status: StatusCode,
) -> PageResult {
    let t = con.t;
    let (e, p) = cc::equipment(&con.state, who, id).await?;
    let to_ms = con.state.now_ms() + 60_000;
    let from_ms = to_ms - if week { 7 * 86_400_000 } else { 86_400_000 };
    let readings = cc::readings(&con.state, who, id, from_ms, to_ms).await?;
    let win = Window { from_ms, to_ms, week };
    let chart = chart_svg(t, &readings, e.rule.range, &win, con.state.pack.timezone_offset_minutes);
    let href = format!("/console/coldchain/equipment/{id}");
    let page = EquipmentPage {
        l: con.layout.clone(),
        id: id.to_string(),
        label: e.label.clone(),
        kind: kind_label(t, e.kind),
        band: band_label(e.rule.range),
        excursion_minutes: e.rule.min_duration_ms / 60_000,
        silence_minutes: e.rule.silence_ms / 60_000,
        logger: e.logger.as_ref().map(ToString::to_string).unwrap_or_default(),
        point_href: point_href(p.id),
        point_name: p.name.clone(),
        week,
        day_href: format!("{href}?span=day"),
        week_href: format!("{href}?span=week"),
        chart,
        chart_title: if week { t.cc_chart_week.to_owned() } else { t.cc_chart_day.to_owned() },
        count: readings.len(),
        out_count: readings.iter().filter(|(_, v)| !e.rule.range.contains(*v)).count(),
        latest: readings
            .last()
            .map(|(at, v)| format!("{} °C · {}", format_tenths(*v), local_time(&con.state, *at)))
            .unwrap_or_default(),
        errs,
    };
    con.render_status(status, &page)
}

/// `GET /console/coldchain/equipment/{id}?span=day|week`.
async fn equipment_page(
    mut con: Con,
    Path(id): Path<String>,
    QueryFields(q): QueryFields,
) -> PageResult {
    let who = con.admin(&format!("/console/coldchain/equipment/{}", encode(&id)))?;
    con.section("coldchain");
    let id = parse_equipment(&id)?;
    let week = q.get("span") == Some("week");
    render_equipment(&con, &who, id, week, FormErrors::default(), StatusCode::OK).await
}

/// `POST /console/coldchain/equipment/{id}/logger` (`logger` blank: unlink).
async fn set_logger(
    mut con: Con,
    Path(id): Path<String>,
    FormFields(form): FormFields,
) -> PageResult {
    let who = con.admin("/console/coldchain")?;
    con.section("coldchain");
    con.check_csrf(&form)?;
    let id = parse_equipment(&id)?;
    match cc::set_logger(&con.state, &who, id, form.get("logger")).await {
        Ok(_) => Ok(con.done(&format!("/console/coldchain/equipment/{id}"), "cc_logger", None)),
        Err(e) => {
            let (status, errs) = super::form_failure(&con, e)?;
            render_equipment(&con, &who, id, false, errs, status).await
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Alarms

struct AlarmLine {
    id: String,
    href: String,
    kind: &'static str,
    status: &'static str,
    status_code: &'static str,
    equipment: String,
    equipment_href: String,
    point: String,
    point_href: String,
    since: String,
    worst: String,
    cleared: String,
    action: String,
    closed: bool,
    acknowledged: bool,
}

fn alarm_line(con: &Con, a: &AlarmRecord, equipment: &str, point: &ColdChainPoint) -> AlarmLine {
    let t = con.t;
    AlarmLine {
        id: a.id.to_string(),
        href: format!("/console/coldchain/alarms/{}", a.id),
        kind: alarm_kind_label(t, a.kind),
        status: status_label(t, a.status),
        status_code: a.status.as_str(),
        equipment: equipment.to_owned(),
        equipment_href: format!("/console/coldchain/equipment/{}", a.equipment),
        point: point.name.clone(),
        point_href: point_href(point.id),
        since: local_time(&con.state, a.since_ms),
        worst: a.worst_tenths.map(|w| format!("{} °C", format_tenths(w))).unwrap_or_default(),
        cleared: a.cleared_ms.map(|c| local_time(&con.state, c)).unwrap_or_default(),
        action: a.action.map(|x| action_label(t, x)).unwrap_or_default().to_owned(),
        closed: a.status == AlarmStatus::Closed,
        acknowledged: a.status == AlarmStatus::Acknowledged,
    }
}

#[derive(Template)]
#[template(path = "console_coldchain_alarms.html")]
struct AlarmsPage {
    l: ConsoleLayout,
    statuses: Vec<Opt>,
    alarms: Vec<AlarmLine>,
    review: Vec<ReviewLine>,
}

struct ReviewLine {
    point: String,
    point_href: String,
    lot: String,
    vials: i64,
    alarm_href: String,
}

/// `GET /console/coldchain/alarms?status=open|acknowledged|closed`.
async fn alarms_page(mut con: Con, QueryFields(q): QueryFields) -> PageResult {
    let who = con.admin("/console/coldchain/alarms")?;
    con.section("coldchain");
    let t = con.t;
    let raw = q.text("status");
    let status = AlarmStatus::parse(&raw);
    let list = cc::alarms(&con.state, &who, status).await?;
    let review = cc::lots_under_review(&con.state, &who).await?;
    let mut statuses = vec![Opt::new("", t.con_all, &raw)];
    statuses.extend(
        AlarmStatus::ALL.into_iter().map(|s| Opt::new(s.as_str(), status_label(t, s), &raw)),
    );
    let page = AlarmsPage {
        l: con.layout.clone(),
        statuses,
        alarms: list
            .iter()
            .map(|v| alarm_line(&con, &v.alarm, &v.equipment_label, &v.point))
            .collect(),
        review: review
            .iter()
            .map(|(alarm, p, x, l)| ReviewLine {
                point: p.name.clone(),
                point_href: point_href(p.id),
                lot: lot_text(l),
                vials: x.vials,
                alarm_href: format!("/console/coldchain/alarms/{alarm}"),
            })
            .collect(),
    };
    con.render(&page)
}

struct ExposedLine {
    id: String,
    lot: String,
    vials: i64,
    review: &'static str,
    options: Vec<Opt>,
}

#[derive(Template)]
#[template(path = "console_coldchain_alarm.html")]
struct AlarmPage {
    l: ConsoleLayout,
    a: AlarmLine,
    note: String,
    ack_by: String,
    closed_by: String,
    lots: Vec<ExposedLine>,
    actions: Vec<Opt>,
    v: Fields,
    errs: FormErrors,
    others: Vec<String>,
}

fn parse_alarm(id: &str) -> Result<AlarmId, PageError> {
    id.parse().map_err(|_| not_found())
}

async fn render_alarm(
    con: &Con,
    who: &AdminPrincipal,
    id: AlarmId,
    v: Fields,
    errs: FormErrors,
    status: StatusCode,
) -> PageResult {
    let t = con.t;
    let (view, lots) = cc::alarm(&con.state, who, id).await?;
    let a = &view.alarm;
    let action_now = v.text("action");
    let mut actions = vec![Opt::new("", t.choose, &action_now)];
    actions.extend(
        AlarmAction::ALL.into_iter().map(|x| Opt::new(x.as_str(), action_label(t, x), &action_now)),
    );
    let page = AlarmPage {
        l: con.layout.clone(),
        note: a.note.clone(),
        ack_by: a
            .acknowledged
            .as_ref()
            .map(|(at, by)| format!("{by} · {}", local_time(&con.state, *at)))
            .unwrap_or_default(),
        closed_by: a
            .closed
            .as_ref()
            .map(|(at, by)| format!("{by} · {}", local_time(&con.state, *at)))
            .unwrap_or_default(),
        lots: lots
            .iter()
            .map(|(x, l)| {
                let name = format!("review_{}", l.id);
                let now = v.get(&name).unwrap_or(x.review.as_str()).to_owned();
                ExposedLine {
                    id: l.id.to_string(),
                    lot: lot_text(l),
                    vials: x.vials,
                    review: review_label(t, x.review),
                    options: LotReview::ALL
                        .into_iter()
                        .map(|r| Opt::new(r.as_str(), review_label(t, r), &now))
                        .collect(),
                }
            })
            .collect(),
        a: alarm_line(con, a, &view.equipment_label, &view.point),
        actions,
        others: errs.others(&["action", "note"]),
        v,
        errs,
    };
    con.render_status(status, &page)
}

/// `GET /console/coldchain/alarms/{id}`.
async fn alarm_page(mut con: Con, Path(id): Path<String>) -> PageResult {
    let who = con.admin(&format!("/console/coldchain/alarms/{}", encode(&id)))?;
    con.section("coldchain");
    let id = parse_alarm(&id)?;
    render_alarm(&con, &who, id, Fields::default(), FormErrors::default(), StatusCode::OK).await
}

/// `POST /console/coldchain/alarms/{id}/acknowledge`.
async fn acknowledge(
    mut con: Con,
    Path(id): Path<String>,
    FormFields(form): FormFields,
) -> PageResult {
    let who = con.admin("/console/coldchain/alarms")?;
    con.section("coldchain");
    con.check_csrf(&form)?;
    let id = parse_alarm(&id)?;
    match cc::acknowledge(&con.state, &who, id).await {
        Ok(_) => Ok(con.done(&format!("/console/coldchain/alarms/{id}"), "cc_ack", None)),
        Err(e) => {
            let (status, errs) = super::form_failure(&con, e)?;
            render_alarm(&con, &who, id, form, errs, status).await
        }
    }
}

/// `POST /console/coldchain/alarms/{id}/close` (`action`, `note`, `review_<lot id>`).
async fn close(mut con: Con, Path(id): Path<String>, FormFields(form): FormFields) -> PageResult {
    let who = con.admin("/console/coldchain/alarms")?;
    con.section("coldchain");
    con.check_csrf(&form)?;
    let id = parse_alarm(&id)?;
    let (_, lots) = cc::alarm(&con.state, &who, id).await?;
    let reviews = lots
        .iter()
        .filter_map(|(_, l)| {
            form.get(&format!("review_{}", l.id)).map(|r| (l.id.to_string(), r.to_owned()))
        })
        .collect();
    let input = CloseForm { action: form.text("action"), note: form.text("note"), reviews };
    match cc::close(&con.state, &who, id, &input).await {
        Ok(_) => Ok(con.done(&format!("/console/coldchain/alarms/{id}"), "cc_closed", None)),
        Err(e) => {
            let (status, errs) = super::form_failure(&con, e)?;
            render_alarm(&con, &who, id, form, errs, status).await
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_chart_draws_the_band_and_marks_readings_out_of_it() {
        let w = Window { from_ms: 0, to_ms: 86_400_000, week: false };
        let empty = chart_svg(&i18n::EN, &[], TempRange::FRIDGE, &w, 330);
        assert!(empty.contains("id=\"chart-band\"") && empty.contains("id=\"chart-empty\""));
        assert!(empty.contains("Max 8.0 °C") && empty.contains("Min 2.0 °C"), "{empty}");
        let data = [(3_600_000, 50), (7_200_000, 95), (10_800_000, 40)];
        let svg = chart_svg(&i18n::HI, &data, TempRange::FRIDGE, &w, 330);
        assert!(svg.contains("id=\"chart-line\""));
        assert_eq!(svg.matches("class=\"out\"").count(), 1);
        assert!(!svg.contains("style="), "no inline styles (CSP)");
        // 3-hourly ticks in IST: 05:30 is not a tick, 06:00 is.
        assert!(svg.contains(">06:00<") && !svg.contains(">05:30<"));
    }
}
