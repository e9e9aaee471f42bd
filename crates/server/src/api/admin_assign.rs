//! The console API for: assignment of listed people to sessions near their posting or home pincode, in one batch, with the reason for each choice.
//!
//! | Route | What |
//! |---|---|
//! | `POST /api/admin/v1/assignments` | start a run (`basis`, `date_from`, `date_until`, `vaccine`, `max_km`, `dry_run`): 202 with the run |
//! | `GET /api/admin/v1/assignments` | the latest runs of the official's area |
//! | `GET /api/admin/v1/assignments/{id}` | one run: status, progress, counts, timings |
//! | `GET /api/admin/v1/assignments/{id}/rows?reason=&after=&limit=` | the run's people in priority order, with the reason |
//! | `GET /api/admin/v1/assignments/{id}/export.csv` | the whole run as CSV |
//! | `GET /api/admin/v1/assigned-people/{reference_id}` | one person's rows in the runs the official may see |
//!
//! Codes: `ADM0030` (a malformed run id or query parameter), `ADM0031` (a run is already
//! running for the area); form problems are `ADM0001`, runs of other areas 404.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};
use tika_domain::ids::AssignmentRunId;
use tika_storage::{AssignmentRun, AssignmentView};

use super::admin::{AdminAuth, TOKEN_EXPIRES_HEADER, TOKEN_HEADER};
use crate::error::{ApiError, ApiResult};
use crate::services::admin::AdminPrincipal;
use crate::services::admin::assign::{self, RunForm};
use crate::state::AppState;

/// The routes (under `/api`, merged into the console API).
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/v1/assignments", get(list_runs).post(start_run))
        .route("/admin/v1/assignments/{id}", get(run))
        .route("/admin/v1/assignments/{id}/rows", get(rows))
        .route("/admin/v1/assignments/{id}/export.csv", get(export))
        .route("/admin/v1/assigned-people/{reference}", get(person))
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

fn reply(who: &AdminPrincipal, status: StatusCode, body: Value) -> ApiResult<Response> {
    Ok(with_token(who, (status, Json(body)).into_response()))
}

fn run_id(raw: &str) -> ApiResult<AssignmentRunId> {
    raw.trim().parse().map_err(|_| ApiError::bad_request("ADM0030", "Unknown assignment run id"))
}

/// A run as JSON (counts, progress, timings).
pub(crate) fn run_json(r: &AssignmentRun) -> Value {
    json!({
        "run_id": r.id.to_string(),
        "status": r.status.as_str(),
        "created_by": r.created_by,
        "state_id": r.state.map(|s| s.0),
        "district_id": r.district.map(|d| d.0),
        "basis": r.basis.as_str(),
        "date_from": r.date_from.to_string(),
        "date_until": r.date_until.to_string(),
        "vaccine": r.vaccine,
        "max_km": r.max_km,
        "dry_run": r.dry_run,
        "people": r.people,
        "processed": r.processed,
        "assigned": r.assigned,
        "unassigned": r.unassigned,
        "already_booked": r.already_booked,
        "read_ms": r.read_ms,
        "plan_ms": r.plan_ms,
        "write_ms": r.write_ms,
        "message": r.message,
        "created_at": r.created_at_ms,
        "finished_at": r.finished_at_ms,
    })
}

/// One person's row as JSON; `reason_params` is the reason's numbers for a client to render.
pub(crate) fn view_json(v: &AssignmentView) -> Value {
    let params: Value = serde_json::from_str(&v.params).unwrap_or_else(|_| json!({}));
    json!({
        "run_id": v.run_id.to_string(),
        "seq": v.seq,
        "reference_id": v.reference_id,
        "reason": v.reason.as_str(),
        "reason_params": params,
        "nearer_without_seat": v.nearer_full,
        "session_id": v.session_id.map(|s| s.to_string()),
        "center_id": v.center_id.map(|c| c.0),
        "center_name": v.center_name,
        "date": v.date.map(|d| d.to_string()),
        "slot": v.slot,
        "distance_m": v.distance_m,
        "appointment_id": v.booking_id.map(|b| b.to_string()),
    })
}

async fn start_run(
    State(state): State<AppState>,
    AdminAuth(who): AdminAuth,
    body: Bytes,
) -> ApiResult<Response> {
    let map = match serde_json::from_slice::<Value>(&body) {
        Ok(Value::Object(m)) => m,
        _ if body.iter().all(u8::is_ascii_whitespace) => serde_json::Map::new(),
        _ => {
            return Err(ApiError::bad_request("ADM0002", "The request body must be a JSON object"));
        }
    };
    let text = |k: &str| match map.get(k) {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    };
    let form = RunForm {
        basis: text("basis"),
        date_from: text("date_from"),
        date_until: text("date_until"),
        vaccine: text("vaccine"),
        max_km: text("max_km"),
        dry_run: matches!(map.get("dry_run"), Some(Value::Bool(true)))
            || matches!(map.get("dry_run"), Some(Value::String(s)) if s == "true"),
    };
    let r = assign::start_run(&state, &who, &form).await?;
    reply(&who, StatusCode::ACCEPTED, run_json(&r))
}

async fn list_runs(
    State(state): State<AppState>,
    AdminAuth(who): AdminAuth,
) -> ApiResult<Response> {
    let runs = assign::list_runs(&state, &who).await?;
    reply(&who, StatusCode::OK, json!({ "runs": runs.iter().map(run_json).collect::<Vec<_>>() }))
}

async fn run(
    State(state): State<AppState>,
    AdminAuth(who): AdminAuth,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let r = assign::run(&state, &who, run_id(&id)?).await?;
    reply(&who, StatusCode::OK, run_json(&r))
}

#[derive(serde::Deserialize)]
struct RowsQuery {
    reason: Option<String>,
    after: Option<String>,
    limit: Option<String>,
}

async fn rows(
    State(state): State<AppState>,
    AdminAuth(who): AdminAuth,
    Path(id): Path<String>,
    Query(q): Query<RowsQuery>,
) -> ApiResult<Response> {
    let num = |v: &Option<String>, what: &str| -> ApiResult<Option<i64>> {
        match v.as_deref().map(str::trim).filter(|s| !s.is_empty()) {
            None => Ok(None),
            Some(s) => s.parse::<i64>().map(Some).map_err(|_| {
                ApiError::bad_request("ADM0030", format!("{what} must be a whole number"))
            }),
        }
    };
    let after = num(&q.after, "after")?;
    let limit = num(&q.limit, "limit")?.map_or(100, |l| u32::try_from(l.max(1)).unwrap_or(100));
    let page =
        assign::run_rows(&state, &who, run_id(&id)?, q.reason.as_deref(), after, limit).await?;
    let next = if page.len() as u32 >= limit.min(assign::MAX_PAGE) {
        page.last().map(|v| v.seq)
    } else {
        None
    };
    reply(
        &who,
        StatusCode::OK,
        json!({ "rows": page.iter().map(view_json).collect::<Vec<_>>(), "next_after": next }),
    )
}

async fn export(
    State(state): State<AppState>,
    AdminAuth(who): AdminAuth,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id = run_id(&id)?;
    let csv = assign::export_csv(&state, &who, id).await?;
    let res = (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"assignment-{id}.csv\"")),
        ],
        csv,
    )
        .into_response();
    Ok(with_token(&who, res))
}

async fn person(
    State(state): State<AppState>,
    AdminAuth(who): AdminAuth,
    Path(reference): Path<String>,
) -> ApiResult<Response> {
    let rows = assign::person(&state, &who, &reference).await?;
    let rows: Vec<Value> = rows
        .iter()
        .map(|(r, v)| {
            let mut j = view_json(v);
            if let Value::Object(m) = &mut j {
                m.insert("run".into(), run_json(r));
            }
            j
        })
        .collect();
    reply(&who, StatusCode::OK, json!({ "assignments": rows }))
}
