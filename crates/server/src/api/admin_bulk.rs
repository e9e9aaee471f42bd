//! The console API for bulk lists of people (codes `ADM0020`–`ADM0029`):
//!
//! - `POST /api/admin/v1/imports?name=<file name>`: the file is the raw request body (CSV or
//!   XLSX, at most 100 MB); answers `202` with the job once the file was read and its header
//!   checked (a file that cannot be read: `400 ADM0020`–`ADM0025`); the rows are imported in
//!   the background.
//! - `GET /api/admin/v1/imports`: the uploads of the official's area, newest first.
//! - `GET /api/admin/v1/imports/{id}`: one upload's status, progress and counts.
//! - `GET /api/admin/v1/imports/{id}/errors.csv`: its error report
//!   (`row,field,value_hint,message`).
//! - `GET /api/admin/v1/people`: how many people are listed in the area, and the latest.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderName, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};
use tika_domain::ids::ImportId;
use tika_storage::{ImportJob, ListedPerson};

use super::admin::{AdminAuth, TOKEN_EXPIRES_HEADER, TOKEN_HEADER};
use super::extract::Params;
use crate::error::{ApiError, ApiResult};
use crate::services::admin::AdminPrincipal;
use crate::services::admin::bulk;
use crate::state::AppState;

/// The routes (under `/api`, merged into the console API).
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/admin/v1/imports",
            get(list_imports)
                .post(start_import)
                .layer(DefaultBodyLimit::max(bulk::MAX_FILE_BYTES + 1)),
        )
        .route("/admin/v1/imports/{id}", get(import_job))
        .route("/admin/v1/imports/{id}/errors.csv", get(import_errors))
        .route("/admin/v1/people", get(listed_people))
}

/// A response with the refreshed console token in its headers, when there is one.
pub(super) fn with_token(who: &AdminPrincipal, mut res: Response) -> Response {
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

/// An upload as JSON.
fn job_json(j: &ImportJob) -> Value {
    json!({
        "id": j.id,
        "kind": j.kind,
        "file_name": j.file_name,
        "file_sha256": j.file_sha256,
        "created_by": j.created_by,
        "state_id": j.state.map(|s| s.0),
        "district_id": j.district.map(|d| d.0),
        "status": j.status.as_str(),
        "total_rows": j.total_rows,
        "processed_rows": j.counts.processed,
        "inserted": j.counts.inserted,
        "updated": j.counts.updated,
        "unchanged": j.counts.unchanged,
        "failed": j.counts.failed,
        "message": j.message,
        "created_at": j.created_at_ms,
        "finished_at": j.finished_at_ms,
    })
}

fn person_json(p: &ListedPerson) -> Value {
    json!({
        "beneficiary_reference_id": p.reference_id.as_str(),
        "name": p.name,
        "occupation": p.occupation.as_str(),
        "employer": p.employer,
        "posting_facility_id": p.posting_center.map(|c| c.0),
        "posting_pincode": p.posting_pincode,
        "home_pincode": p.home_pincode,
        "state_id": p.state.0,
        "district_id": p.district.0,
    })
}

fn parse_id(id: &str) -> ApiResult<ImportId> {
    id.parse().map_err(|_| ApiError::NotFound)
}

async fn start_import(
    State(state): State<AppState>,
    AdminAuth(who): AdminAuth,
    params: Params,
    body: Bytes,
) -> ApiResult<Response> {
    let name = params.get("name").unwrap_or("upload.csv").to_owned();
    if body.is_empty() {
        return Err(ApiError::bad_request("ADM0026", "Send the file as the request body"));
    }
    let job = bulk::start_import(&state, &who, &name, body.to_vec()).await?;
    Ok(with_token(&who, (StatusCode::ACCEPTED, Json(job_json(&job))).into_response()))
}

async fn list_imports(
    State(state): State<AppState>,
    AdminAuth(who): AdminAuth,
) -> ApiResult<Response> {
    let jobs = bulk::list_imports(&state, &who).await?;
    let body = json!({ "imports": jobs.iter().map(job_json).collect::<Vec<_>>() });
    Ok(with_token(&who, Json(body).into_response()))
}

async fn import_job(
    State(state): State<AppState>,
    AdminAuth(who): AdminAuth,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let job = bulk::import_job(&state, &who, parse_id(&id)?).await?;
    Ok(with_token(&who, Json(job_json(&job)).into_response()))
}

async fn import_errors(
    State(state): State<AppState>,
    AdminAuth(who): AdminAuth,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let id = parse_id(&id)?;
    let report = bulk::import_errors(&state, &who, id).await?;
    let disposition = format!("attachment; filename=\"import-{id}-errors.csv\"");
    let res = (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        report,
    )
        .into_response();
    Ok(with_token(&who, res))
}

async fn listed_people(
    State(state): State<AppState>,
    AdminAuth(who): AdminAuth,
) -> ApiResult<Response> {
    let (count, people) = bulk::listed_people(&state, &who, 50).await?;
    let body = json!({
        "count": count,
        "people": people.iter().map(person_json).collect::<Vec<_>>(),
    });
    Ok(with_token(&who, Json(body).into_response()))
}
