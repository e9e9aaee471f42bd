//! The console API for reports (issue 8): coverage as JSON, CSV and XLSX with the same
//! filters, second doses due and overdue per area, targets, and session reports.
//!
//! Thin handlers: read the query parameters as pairs (so a parameter given twice is reported),
//! call one function of [`crate::services::reports`], which parses every filter with every
//! field error at once (`400 ADM0001`, the fields listed), checks the official's area (outside
//! it: `404`), and map the answer.  Names are English, or Hindi with `lang=hi` (or
//! `Accept-Language: hi`).
//!
//! | route | what |
//! |---|---|
//! | `GET /api/admin/v1/reports?state=&district=&block=&center=&from=&until=&dose=&vaccine=&age_group=&gender=&priority_group=&facility_type=&setting=&group_by=` | `{filter, group_by, rows: [{code, name, doses, cumulative, coverage_percent}], total, generated_at}` |
//! | `GET /api/admin/v1/reports.csv?…`, `GET /api/admin/v1/reports.xlsx?…` | the same report as a download |
//! | `GET /api/admin/v1/reports/second-doses?state=&district=&block=&center=` | people waiting for dose 2 per area below: not due yet, due, overdue |
//! | `GET /api/admin/v1/reports/targets` | the targets of the official's area, inside it and above it |
//! | `POST /api/admin/v1/reports/targets?name=<file name>` | a CSV or XLSX file as the raw body: replaces the targets the official sets (all rows or none) |
//! | `GET /api/admin/v1/reports/targets/sample.csv` | a sample target file |
//! | `GET /api/admin/v1/reports/sessions?center=&from=&until=` | a facility's sessions: planned, booked, arrived, vaccinated, walk-ins, no-shows, doses, vials, messages |
//! | `GET /api/admin/v1/reports/sessions/{id}` | one session's report |

use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, FromRequestParts, Path, Query, State};
use axum::http::header;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};
use tika_domain::admin::Area;
use tika_domain::ids::SessionId;
use tika_domain::reports::{DueCounts, ReportFilter, Target};

use super::admin::{AdminAuth, ok};
use super::admin_bulk::with_token;
use super::extract::AcceptLang;
use crate::error::{ApiError, ApiResult};
use crate::services::admin::AdminPrincipal;
use crate::services::reports::{
    self as reports, FacilitySessions, ReportView, SecondDoseView, SessionLine,
};
use crate::services::search::Lang;
use crate::state::AppState;

/// The routes (under `/api`, merged into the console API).
pub(crate) fn router() -> Router<AppState> {
    const P: &str = "/admin/v1/reports";
    Router::new()
        .route(P, get(report))
        .route(&format!("{P}.csv"), get(report_csv))
        .route(&format!("{P}.xlsx"), get(report_xlsx))
        .route(&format!("{P}/second-doses"), get(second_doses))
        .route(
            &format!("{P}/targets"),
            get(targets)
                .post(upload_targets)
                .layer(DefaultBodyLimit::max(reports::MAX_TARGET_FILE_BYTES + 1)),
        )
        .route(&format!("{P}/targets/sample.csv"), get(sample_targets))
        .route(&format!("{P}/sessions"), get(facility_sessions))
        .route(&format!("{P}/sessions/{{id}}"), get(session))
}

// --- parameters ------------------------------------------------------------------------------

/// The query string as (name, value) pairs in order, repeats kept (a report refuses a
/// parameter given twice).
pub(crate) struct QueryPairs(pub(crate) Vec<(String, String)>);

impl<S: Send + Sync> FromRequestParts<S> for QueryPairs {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Query(pairs) =
            Query::<Vec<(String, String)>>::from_request_parts(parts, state)
                .await
                .map_err(|_| ApiError::bad_request("USRRES0001", "Invalid query string"))?;
        Ok(QueryPairs(pairs))
    }
}

impl QueryPairs {
    /// The language asked for with `lang=en|hi`, else the header's.
    fn lang(&self, header: Lang) -> Lang {
        match self.0.iter().rev().find(|(k, _)| k == "lang").map(|(_, v)| v.trim()) {
            Some(v) if v.eq_ignore_ascii_case("hi") => Lang::Hi,
            Some(v) if v.eq_ignore_ascii_case("en") => Lang::En,
            _ => header,
        }
    }
}

// --- answers ---------------------------------------------------------------------------------

fn ymd(d: chrono::NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

/// A report's filter under the query's own parameter names, the area filled in.
pub(crate) fn filter_json(f: &ReportFilter) -> Value {
    json!({
        "level": f.area.level().as_str(),
        "state": f.area.state().map(|s| s.0),
        "district": f.area.district().map(|d| d.0),
        "block": f.area.block(),
        "center": f.area.center().map(|c| c.0),
        "from": ymd(f.from),
        "until": ymd(f.until),
        "dose": f.dose.map(|d| d.as_str()),
        "vaccine": f.vaccine.as_ref().map(|v| v.as_str()),
        "age_group": f.age_group.map(|a| a.as_str()),
        "gender": f.gender_id,
        "priority_group": f.priority_group,
        "facility_type": f.ownership.map(|o| o.as_str()),
        "setting": f.setting.map(|s| s.as_str()),
    })
}

/// A report as JSON.
pub(crate) fn report_json(v: &ReportView) -> Value {
    json!({
        "filter": filter_json(&v.query.filter),
        "group_by": v.query.group_by.as_str(),
        "rows": v.lines.iter().map(|l| json!({
            "code": l.code,
            "name": l.name,
            "doses": l.doses,
            "cumulative": l.cumulative,
            "coverage_percent": l.coverage_percent,
        })).collect::<Vec<_>>(),
        "total": {
            "doses": v.total.doses,
            "cumulative": v.total.cumulative,
            "coverage_percent": v.total.coverage_percent,
        },
        "generated_at": v.generated_at_ms,
    })
}

fn area_json(a: &Area) -> Value {
    json!({
        "level": a.level().as_str(),
        "state": a.state().map(|s| s.0),
        "district": a.district().map(|d| d.0),
        "block": a.block(),
        "center": a.center().map(|c| c.0),
    })
}

fn due_json(c: &DueCounts) -> Value {
    json!({ "not_due_yet": c.not_due_yet, "due": c.due, "overdue": c.overdue })
}

fn second_doses_json(v: &SecondDoseView) -> Value {
    json!({
        "area": area_json(&v.area),
        "today": ymd(v.today),
        "rows": v.lines.iter().map(|l| {
            let mut j = due_json(&l.counts);
            j["code"] = json!(l.code);
            j["name"] = json!(l.name);
            j
        }).collect::<Vec<_>>(),
        "total": due_json(&v.total),
    })
}

fn target_json(t: &Target) -> Value {
    let mut j = area_json(&t.area);
    j["age_group"] = json!(t.age_group.map(|a| a.as_str()));
    j["dose"] = json!(t.dose.map(|d| d.as_str()));
    j["population_eligible"] = json!(t.population_eligible);
    j
}

/// A session's report as JSON.
pub(crate) fn session_json(s: &SessionLine) -> Value {
    let r = &s.report;
    json!({
        "session_id": s.row.session.to_string(),
        "date": ymd(s.row.date),
        "vaccine": s.row.vaccine,
        "cancelled": s.row.cancelled,
        "planned": r.planned,
        "booked": r.booked,
        "arrived": r.arrived,
        "vaccinated": r.vaccinated,
        "walk_ins": r.walk_ins,
        "no_shows": r.no_shows,
        "doses_given": r.doses_given,
        "vials_used": r.vials_used,
        "doses_wasted": r.doses_wasted,
        "messages_sent": r.messages_sent,
        "messages_delivered": r.messages_delivered,
        "booked_percent": r.booked_percent,
        "no_show_percent": r.no_show_percent,
    })
}

fn facility_sessions_json(f: &FacilitySessions) -> Value {
    json!({
        "center": f.center.0,
        "name": f.name.0,
        "name_l": f.name.1,
        "from": ymd(f.from),
        "until": ymd(f.until),
        "sessions": f.sessions.iter().map(session_json).collect::<Vec<_>>(),
    })
}

/// A file download with the refreshed token.
fn download(who: &AdminPrincipal, content_type: &str, file_name: &str, body: Vec<u8>) -> Response {
    let res = (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file_name}\"")),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        body,
    )
        .into_response();
    with_token(who, res)
}

/// The content type of an XLSX workbook.
pub(crate) const XLSX_TYPE: &str =
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

// --- reports ---------------------------------------------------------------------------------

async fn report(
    State(state): State<AppState>,
    AdminAuth(who): AdminAuth,
    AcceptLang(header_lang): AcceptLang,
    q: QueryPairs,
) -> ApiResult<Response> {
    let view = reports::report(&state, &who, &q.0, q.lang(header_lang)).await?;
    ok(&who, report_json(&view))
}

async fn report_csv(
    State(state): State<AppState>,
    AdminAuth(who): AdminAuth,
    AcceptLang(header_lang): AcceptLang,
    q: QueryPairs,
) -> ApiResult<Response> {
    let view = reports::report(&state, &who, &q.0, q.lang(header_lang)).await?;
    let body = reports::csv(&state, &view).into_bytes();
    Ok(download(&who, "text/csv; charset=utf-8", &reports::file_name(&view, "csv"), body))
}

async fn report_xlsx(
    State(state): State<AppState>,
    AdminAuth(who): AdminAuth,
    AcceptLang(header_lang): AcceptLang,
    q: QueryPairs,
) -> ApiResult<Response> {
    let view = reports::report(&state, &who, &q.0, q.lang(header_lang)).await?;
    let body = reports::xlsx(&state, &view).await?;
    Ok(download(&who, XLSX_TYPE, &reports::file_name(&view, "xlsx"), body))
}

async fn second_doses(
    State(state): State<AppState>,
    AdminAuth(who): AdminAuth,
    AcceptLang(header_lang): AcceptLang,
    q: QueryPairs,
) -> ApiResult<Response> {
    let view = reports::second_doses(&state, &who, &q.0, q.lang(header_lang)).await?;
    ok(&who, second_doses_json(&view))
}

// --- targets ---------------------------------------------------------------------------------

async fn targets(State(state): State<AppState>, AdminAuth(who): AdminAuth) -> ApiResult<Response> {
    let list = reports::targets(&state, &who).await?;
    ok(&who, json!({ "targets": list.iter().map(target_json).collect::<Vec<_>>() }))
}

async fn upload_targets(
    State(state): State<AppState>,
    AdminAuth(who): AdminAuth,
    q: QueryPairs,
    body: Bytes,
) -> ApiResult<Response> {
    if body.is_empty() {
        return Err(ApiError::bad_request("ADM0026", "Send the file as the request body"));
    }
    let name =
        q.0.iter()
            .rev()
            .find(|(k, _)| k == "name")
            .map(|(_, v)| v.trim().to_owned())
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| "targets.csv".to_owned());
    let done = reports::upload_targets(&state, &who, &name, body.to_vec()).await?;
    ok(&who, json!({ "rows": done.rows, "replaced": done.replaced, "in_force": done.in_force }))
}

async fn sample_targets() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"targets-sample.csv\""),
        ],
        reports::sample_targets_csv(),
    )
        .into_response()
}

// --- sessions --------------------------------------------------------------------------------

async fn facility_sessions(
    State(state): State<AppState>,
    AdminAuth(who): AdminAuth,
    q: QueryPairs,
) -> ApiResult<Response> {
    let list = reports::facility_sessions(&state, &who, &q.0).await?;
    ok(&who, facility_sessions_json(&list))
}

async fn session(
    State(state): State<AppState>,
    AdminAuth(who): AdminAuth,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id: SessionId = id.parse().map_err(|_| ApiError::NotFound)?;
    let (center, line) = reports::session_report(&state, &who, id).await?;
    let mut j = session_json(&line);
    j["center"] = json!(center.0);
    ok(&who, j)
}
