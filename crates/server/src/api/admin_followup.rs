//! The console API for: follow-up: the "raise an issue" queue (corrections and sync conflicts) for officials, session lists per facility and day, and the auditable lucky draw.
//!
//! | route | what |
//! |---|---|
//! | `GET /api/admin/v1/issues?kind=&status=&page=` | the area's issue queue |
//! | `GET /api/admin/v1/issues/{kind}/{id}` | one issue with what deciding needs |
//! | `POST /api/admin/v1/issues/correction/{id}/approve\|reject` `{note}` | decide a correction |
//! | `POST /api/admin/v1/issues/review/{id}/accept\|discard` `{note}` | resolve a sync conflict |
//! | `GET /api/admin/v1/facilities/{id}/lists/{date}` (`.csv`, `.pdf`) | a facility's day list |
//! | `GET/POST /api/admin/v1/draws` | the area's draws; create one |
//! | `GET /api/admin/v1/draws/{id}`, `POST …/seed` `{seed, seed_source}` | one draw; its seed |
//! | `GET /api/public/v1/draws/{id}`, `…/entries.txt` | anyone: a draw and its entry list |

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::NaiveDate;
use serde_json::{Map, Value, json};
use tika_domain::admin::FieldError;
use tika_domain::ids::CenterId;
use tika_storage::{Draw, IssueKind, IssueRow};

use super::admin::{AdminAuth, TOKEN_EXPIRES_HEADER, TOKEN_HEADER};
use super::extract::Params;
use crate::error::{ApiError, ApiResult};
use crate::services::admin::AdminPrincipal;
use crate::services::admin::followup::{
    self as fu, CorrectionIssue, DrawForm, Issue, PersonFacts, ReviewIssue,
};
use crate::state::AppState;

/// The routes (under `/api`, merged into the console API).
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/v1/issues", get(list_issues))
        .route("/admin/v1/issues/{kind}/{id}", get(issue))
        .route("/admin/v1/issues/{kind}/{id}/{action}", post(decide))
        .route("/admin/v1/facilities/{id}/lists/{file}", get(facility_day))
        .route("/admin/v1/draws", get(list_draws).post(create_draw))
        .route("/admin/v1/draws/{id}", get(draw))
        .route("/admin/v1/draws/{id}/seed", post(seed_draw))
        .route("/public/v1/draws/{id}", get(public_draw))
        .route("/public/v1/draws/{id}/entries.txt", get(public_entries))
}

/// A response, with the refreshed console token in its headers when there is one.
fn reply(who: &AdminPrincipal, status: StatusCode, body: Value) -> Response {
    with_token(who, (status, Json(body)).into_response())
}

fn with_token(who: &AdminPrincipal, mut res: Response) -> Response {
    if let Some(fresh) = &who.refreshed
        && let (Ok(token), Ok(exp)) = (
            HeaderValue::from_str(&fresh.token),
            HeaderValue::from_str(&fresh.expires_at_ms.to_string()),
        )
    {
        let h = res.headers_mut();
        h.insert(HeaderName::from_static(TOKEN_HEADER), token);
        h.insert(HeaderName::from_static(TOKEN_EXPIRES_HEADER), exp);
    }
    res
}

/// A JSON object body (empty means `{}`); `400 ADM0002` otherwise.
fn object(bytes: &[u8]) -> ApiResult<Map<String, Value>> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(Map::new());
    }
    match serde_json::from_slice::<Value>(bytes) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(Value::Null) => Ok(Map::new()),
        Ok(_) => Err(ApiError::bad_request("ADM0002", "The request body must be a JSON object")),
        Err(e) => Err(ApiError::bad_request(
            "ADM0002",
            format!(
                "The request body is not valid JSON (line {}, column {})",
                e.line(),
                e.column()
            ),
        )),
    }
}

/// A text field (numbers as their text); empty when absent; a type error is collected.
fn text(map: &Map<String, Value>, name: &'static str, errors: &mut Vec<FieldError>) -> String {
    match map.get(name) {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        Some(_) => {
            errors.push(FieldError { field: name, message: "must be a string".into() });
            String::new()
        }
    }
}

fn page_of(params: &Params) -> ApiResult<u32> {
    params
        .get("page")
        .map(|p| {
            p.parse::<u32>().map_err(|_| {
                ApiError::bad_request("ADM0002", "Query parameter page must be 0 or more")
            })
        })
        .transpose()
        .map(Option::unwrap_or_default)
}

fn rfc3339(ms: i64) -> Value {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| json!(t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true)))
        .unwrap_or(Value::Null)
}

// --- issues ----------------------------------------------------------------------------------

fn issue_row_json(r: &IssueRow) -> Value {
    json!({
        "kind": r.kind.as_str(),
        "id": r.id.to_string(),
        "created_at": r.created_at_ms,
        "status": r.status,
        "what": r.what,
        "center_id": r.center_id.map(|c| c.0),
        "center_name": r.center_name,
        "reference_id": r.reference_id,
    })
}

fn person_json(p: Option<&PersonFacts>) -> Value {
    match p {
        None => Value::Null,
        Some(p) => json!({
            "reference_id": p.reference_id,
            "name": p.name,
            "birth_year": p.birth_year,
            "gender": p.gender,
            "id_type": p.id_type,
            "id_last4": p.id_last4,
        }),
    }
}

fn correction_json(c: &CorrectionIssue) -> Value {
    let r = &c.request;
    json!({
        "kind": "correction",
        "id": r.id.to_string(),
        "status": r.status.as_str(),
        "field": r.field.as_str(),
        "old_value": r.old_value,
        "new_value": r.new_value,
        "reason": r.reason,
        "requested_at": r.requested_at_ms,
        "decided_by": r.decided_by,
        "decided_at": r.decided_at_ms,
        "decision_note": r.decision_note,
        "center_id": c.facility.as_ref().map(|f| f.center.id.0),
        "center_name": c.facility.as_ref().map(|f| f.center.name.clone()),
        "person": person_json(c.person.as_ref()),
    })
}

fn review_json(r: &ReviewIssue) -> Value {
    let i = &r.item;
    let (dose, vaccine, batch) = match &i.record.body {
        tika_domain::sync::RecordBody::Dose(d) => {
            (Some(d.dose.get()), Some(d.vaccine.as_str().to_owned()), Some(d.batch.clone()))
        }
        _ => (None, None, None),
    };
    json!({
        "kind": "review",
        "id": i.id.to_string(),
        "status": i.status.as_str(),
        "code": i.code.as_str(),
        "message": i.code.message(),
        "record_kind": i.record.body.kind(),
        "session_id": i.record.session_id.to_string(),
        "dose": dose,
        "vaccine": vaccine,
        "batch": batch,
        "created_at": i.created_at_ms,
        "resolved_by": i.resolved_by,
        "resolved_at": i.resolved_at_ms,
        "resolution_note": i.resolution_note,
        "center_id": r.facility.center.id.0,
        "center_name": r.facility.center.name,
        "person": person_json(r.person.as_ref()),
    })
}

fn issue_json(i: &Issue) -> Value {
    match i {
        Issue::Correction(c) => correction_json(c),
        Issue::Review(r) => review_json(r),
    }
}

fn kind_of(raw: &str) -> ApiResult<IssueKind> {
    IssueKind::parse(raw.trim()).ok_or(ApiError::NotFound)
}

async fn list_issues(
    State(state): State<AppState>,
    AdminAuth(who): AdminAuth,
    params: Params,
) -> ApiResult<Response> {
    let kind = fu::parse_kind(params.get("kind"))?;
    let open = fu::parse_status(params.get("status"))?;
    let page = page_of(&params)?;
    let rows = fu::list_issues(&state, &who, kind, open, page).await?;
    let next = (rows.len() == fu::ISSUE_PAGE_SIZE as usize).then_some(page + 1);
    Ok(reply(
        &who,
        StatusCode::OK,
        json!({ "issues": rows.iter().map(issue_row_json).collect::<Vec<_>>(), "next_page": next }),
    ))
}

async fn issue(
    State(state): State<AppState>,
    AdminAuth(who): AdminAuth,
    Path((kind, id)): Path<(String, String)>,
) -> ApiResult<Response> {
    let found = fu::issue(&state, &who, kind_of(&kind)?, &id).await?;
    Ok(reply(&who, StatusCode::OK, issue_json(&found)))
}

async fn decide(
    State(state): State<AppState>,
    AdminAuth(who): AdminAuth,
    Path((kind, id, action)): Path<(String, String, String)>,
    body: Bytes,
) -> ApiResult<Response> {
    let kind = kind_of(&kind)?;
    let map = object(&body)?;
    let mut errors = Vec::new();
    let note = text(&map, "note", &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }
    let body = match (kind, action.as_str()) {
        (IssueKind::Correction, "approve" | "reject") => correction_json(
            &fu::decide_correction(&state, &who, &id, action == "approve", &note).await?,
        ),
        (IssueKind::Review, "accept" | "discard") => {
            review_json(&fu::resolve_review(&state, &who, &id, action == "accept", &note).await?)
        }
        _ => return Err(ApiError::NotFound),
    };
    Ok(reply(&who, StatusCode::OK, body))
}

// --- session lists ---------------------------------------------------------------------------

/// A file download: its type and a name to save it under.
fn download(body: Vec<u8>, content_type: &'static str, filename: &str) -> Response {
    let mut res = (StatusCode::OK, body).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

async fn facility_day(
    State(state): State<AppState>,
    AdminAuth(who): AdminAuth,
    Path((id, file)): Path<(String, String)>,
) -> ApiResult<Response> {
    let center = id.trim().parse::<i64>().map(CenterId).map_err(|_| ApiError::NotFound)?;
    let (date, format) = fu::list_file(&file)?;
    let day = fu::facility_day(&state, &who, center, date, format).await?;
    if format == "json" {
        return Ok(reply(&who, StatusCode::OK, fu::day_json(&day)));
    }
    let (body, content_type, name) = fu::day_file(&state, &day, format).await?;
    Ok(with_token(&who, download(body, content_type, &name)))
}

// --- draws -----------------------------------------------------------------------------------

/// A draw as published (no entry list; see `entries.txt`).
pub(crate) fn draw_json(d: &Draw) -> Value {
    json!({
        "id": d.id.to_string(),
        "state_id": d.state_id.0,
        "district_id": d.district_id.0,
        "from": d.from.format("%Y-%m-%d").to_string(),
        "to": d.to.format("%Y-%m-%d").to_string(),
        "winners_count": d.winners_count,
        "entries_count": d.entries_count,
        "entries_sha256": d.entries_sha256,
        "entries_url": format!("/api/public/v1/draws/{}/entries.txt", d.id),
        "status": d.status.as_str(),
        "seed": d.seed,
        "seed_source": d.seed_source,
        "winners": d.winners,
        "created_by": d.created_by,
        "created_at": rfc3339(d.created_at_ms),
        "drawn_at": d.drawn_at_ms.map(rfc3339),
        "verify": fu::verify_command(d),
        "verify_python": fu::verify_script(d),
    })
}

async fn list_draws(
    State(state): State<AppState>,
    AdminAuth(who): AdminAuth,
    params: Params,
) -> ApiResult<Response> {
    let page = page_of(&params)?;
    let list = fu::list_draws(&state, &who, page).await?;
    Ok(reply(
        &who,
        StatusCode::OK,
        json!({ "draws": list.iter().map(draw_json).collect::<Vec<_>>() }),
    ))
}

fn date_field(
    map: &Map<String, Value>,
    name: &'static str,
    errors: &mut Vec<FieldError>,
) -> Option<NaiveDate> {
    let s = text(map, name, errors);
    if s.trim().is_empty() {
        return None;
    }
    let d = NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok();
    if d.is_none() {
        errors.push(FieldError { field: name, message: "must be a date YYYY-MM-DD".into() });
    }
    d
}

fn int_field(
    map: &Map<String, Value>,
    name: &'static str,
    errors: &mut Vec<FieldError>,
) -> Option<i64> {
    let v = map.get(name).filter(|v| !v.is_null())?;
    if let Value::String(s) = v
        && s.trim().is_empty()
    {
        return None;
    }
    let n = crate::lenient::as_int(v);
    if n.is_none() {
        errors.push(FieldError { field: name, message: "must be a whole number".into() });
    }
    n
}

async fn create_draw(
    State(state): State<AppState>,
    AdminAuth(who): AdminAuth,
    body: Bytes,
) -> ApiResult<Response> {
    let map = object(&body)?;
    let mut errors = Vec::new();
    let form = DrawForm {
        district: int_field(&map, "district_id", &mut errors),
        from: date_field(&map, "from", &mut errors),
        to: date_field(&map, "to", &mut errors),
        winners: int_field(&map, "winners", &mut errors).map(|n| u32::try_from(n).unwrap_or(0)),
    };
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }
    let d = fu::create_draw(&state, &who, &form).await?;
    Ok(reply(&who, StatusCode::CREATED, draw_json(&d)))
}

async fn draw(
    State(state): State<AppState>,
    AdminAuth(who): AdminAuth,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let d = fu::draw_of_area(&state, &who, &id).await?;
    Ok(reply(&who, StatusCode::OK, draw_json(&d)))
}

async fn seed_draw(
    State(state): State<AppState>,
    AdminAuth(who): AdminAuth,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let map = object(&body)?;
    let mut errors = Vec::new();
    let seed = text(&map, "seed", &mut errors);
    let source = text(&map, "seed_source", &mut errors);
    if !errors.is_empty() {
        return Err(ApiError::Invalid(errors));
    }
    let d = fu::seed_draw(&state, &who, &id, &seed, &source).await?;
    Ok(reply(&who, StatusCode::OK, draw_json(&d)))
}

async fn public_draw(State(state): State<AppState>, Path(id): Path<String>) -> ApiResult<Response> {
    let d = fu::public_draw(&state, &id).await?;
    Ok(Json(draw_json(&d)).into_response())
}

async fn public_entries(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let text = fu::public_entries(&state, &id).await?;
    let mut res = (StatusCode::OK, text).into_response();
    res.headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    Ok(res)
}
