//! Console pages for bulk lists of people:
//!
//! | route | what |
//! |---|---|
//! | `GET /console/people` | upload form, the area's uploads, listed people (count, latest) |
//! | `POST /console/people` | multipart upload (`csrf`, `file`) → the job's page |
//! | `GET /console/people/sample.csv` | a sample file with every column |
//! | `GET /console/people/imports/{id}` | one upload: progress bar, counts, error report link |
//! | `GET /console/people/imports/{id}/status` | its progress as JSON (polled by the page) |
//! | `GET /console/people/imports/{id}/errors.csv` | its error report |
//! | `GET /static/console-bulk.js` | the polling script (dependency-free, CSP-clean) |
//!
//! Every permission and area check is the service's ([`crate::services::admin::bulk`]).

use askama::Template;
use axum::Json;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, Path};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::json;
use tika_domain::ids::ImportId;
use tika_storage::{ImportJob, ImportStatus};

use super::{Con, ConsoleLayout, district_name, local_time};
use crate::error::ApiError;
use crate::pages::context::{Fields, PageError, PageResult};
use crate::pages::i18n::{Message, Texts, fill};
use crate::services::admin::AdminPrincipal;
use crate::services::admin::bulk;
use crate::state::AppState;

const BULK_JS: &str = include_str!("../../../static/console-bulk.js");

/// The routes (under `/console`).
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route(
            "/console/people",
            get(page).post(upload).layer(DefaultBodyLimit::max(bulk::MAX_FILE_BYTES + 64 * 1024)),
        )
        .route("/console/people/sample.csv", get(sample))
        .route("/console/people/imports/{id}", get(job_page))
        .route("/console/people/imports/{id}/status", get(job_status))
        .route("/console/people/imports/{id}/errors.csv", get(errors_csv))
        .route(
            "/static/console-bulk.js",
            get(|| async {
                let mut res = BULK_JS.into_response();
                let h = res.headers_mut();
                h.insert(
                    header::CONTENT_TYPE,
                    HeaderValue::from_static("text/javascript; charset=utf-8"),
                );
                h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"));
                res
            }),
        )
}

/// An upload as a row of the list or the job page.
struct JobRow {
    id: String,
    file_name: String,
    started: String,
    status: &'static str,
    status_key: &'static str,
    total: u64,
    processed: u64,
    inserted: u64,
    updated: u64,
    unchanged: u64,
    failed: u64,
    message: String,
}

fn status_label(t: &Texts, s: ImportStatus) -> &'static str {
    match s {
        ImportStatus::Running => t.con_ppl_running,
        ImportStatus::Done => t.con_ppl_done,
        ImportStatus::Failed => t.con_ppl_stopped,
    }
}

fn job_row(state: &AppState, t: &Texts, j: &ImportJob) -> JobRow {
    JobRow {
        id: j.id.to_string(),
        file_name: j.file_name.clone(),
        started: local_time(state, j.created_at_ms),
        status: status_label(t, j.status),
        status_key: j.status.as_str(),
        total: j.total_rows,
        processed: j.counts.processed,
        inserted: j.counts.inserted,
        updated: j.counts.updated,
        unchanged: j.counts.unchanged,
        failed: j.counts.failed,
        message: j.message.clone(),
    }
}

struct PersonRow {
    name: String,
    occupation: &'static str,
    employer: String,
    pincode: String,
    district: String,
}

#[derive(Template)]
#[template(path = "console_people.html")]
struct PeoplePage {
    l: ConsoleLayout,
    error: Option<Message>,
    jobs: Vec<JobRow>,
    listed: String,
    people: Vec<PersonRow>,
}

#[derive(Template)]
#[template(path = "console_people_job.html")]
struct JobPage {
    l: ConsoleLayout,
    title: String,
    progress: String,
    job: JobRow,
}

async fn render_page(mut con: Con, who: AdminPrincipal, error: Option<ApiError>) -> PageResult {
    con.section("people");
    let jobs = bulk::list_imports(&con.state, &who).await?;
    let (count, people) = bulk::listed_people(&con.state, &who, 20).await?;
    let t = con.t;
    let page = PeoplePage {
        jobs: jobs.iter().map(|j| job_row(&con.state, t, j)).collect(),
        listed: fill(t.con_ppl_listed, &[("n", &count.to_string())]),
        people: people
            .iter()
            .map(|p| PersonRow {
                name: p.name.clone(),
                occupation: p.occupation.as_str(),
                employer: p.employer.clone(),
                pincode: p
                    .posting_pincode
                    .or(p.home_pincode)
                    .map(|x| x.to_string())
                    .unwrap_or_default(),
                district: district_name(&con.state, p.district),
            })
            .collect(),
        error: error.as_ref().map(|e| con.message(e)),
        l: con.layout.clone(),
    };
    if error.is_some() {
        con.render_status(StatusCode::BAD_REQUEST, &page)
    } else {
        con.render(&page)
    }
}

/// `GET /console/people`.
async fn page(mut con: Con) -> PageResult {
    let who = con.admin("/console/people")?;
    render_page(con, who, None).await
}

/// `POST /console/people` (multipart: `csrf`, `file`).
async fn upload(mut con: Con, mut form: Multipart) -> PageResult {
    let who = con.admin("/console/people")?;
    let mut csrf = String::new();
    let mut file: Option<(String, Vec<u8>)> = None;
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                let e = ApiError::bad_request("ADM0026", format!("The upload was cut off: {e}"));
                return render_page(con, who, Some(e)).await;
            }
        };
        match field.name() {
            Some("csrf") => csrf = field.text().await.unwrap_or_default(),
            Some("file") => {
                let name = field.file_name().unwrap_or("upload.csv").to_owned();
                match field.bytes().await {
                    Ok(b) => file = Some((name, b.to_vec())),
                    Err(_) => {
                        let e = ApiError::bad_request(
                            "ADM0023",
                            format!(
                                "The file is larger than {} MB",
                                bulk::MAX_FILE_BYTES / (1024 * 1024)
                            ),
                        );
                        return render_page(con, who, Some(e)).await;
                    }
                }
            }
            _ => {}
        }
    }
    con.check_csrf(&Fields::parse(&format!("csrf={csrf}")))?;
    let Some((name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        let e = ApiError::bad_request("ADM0026", "Choose a file to upload");
        return render_page(con, who, Some(e)).await;
    };
    match bulk::start_import(&con.state, &who, &name, bytes).await {
        Ok(job) => {
            Ok(crate::pages::context::redirect(&format!("/console/people/imports/{}", job.id)))
        }
        Err(e @ ApiError::BadRequest { .. }) => render_page(con, who, Some(e)).await,
        Err(e) => Err(e.into()),
    }
}

/// `GET /console/people/sample.csv`.
async fn sample() -> Response {
    (
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8"),
            (header::CONTENT_DISPOSITION, "attachment; filename=\"people-sample.csv\""),
        ],
        bulk::sample_csv(),
    )
        .into_response()
}

fn job_id(id: &str) -> Result<ImportId, PageError> {
    id.parse().map_err(|_| PageError::from(ApiError::NotFound))
}

/// `GET /console/people/imports/{id}`.
async fn job_page(mut con: Con, Path(id): Path<String>) -> PageResult {
    let id = job_id(&id)?;
    let who = con.admin(&format!("/console/people/imports/{id}"))?;
    con.section("people");
    let job = bulk::import_job(&con.state, &who, id).await?;
    let t = con.t;
    let row = job_row(&con.state, t, &job);
    let page = JobPage {
        title: fill(t.con_ppl_job_title, &[("file", &job.file_name)]),
        progress: fill(
            t.con_ppl_progress,
            &[("done", &row.processed.to_string()), ("total", &row.total.to_string())],
        ),
        job: row,
        l: con.layout.clone(),
    };
    con.render(&page)
}

/// `GET /console/people/imports/{id}/status`: the progress the page polls.
async fn job_status(mut con: Con, Path(id): Path<String>) -> PageResult {
    let id = job_id(&id)?;
    let who = con.admin("/console/people")?;
    let job = bulk::import_job(&con.state, &who, id).await?;
    let row = job_row(&con.state, con.t, &job);
    let progress = fill(
        con.t.con_ppl_progress,
        &[("done", &row.processed.to_string()), ("total", &row.total.to_string())],
    );
    Ok(Json(json!({
        "status": row.status_key,
        "status_label": row.status,
        "total": row.total,
        "processed": row.processed,
        "inserted": row.inserted,
        "updated": row.updated,
        "unchanged": row.unchanged,
        "failed": row.failed,
        "message": row.message,
        "progress": progress,
    }))
    .into_response())
}

/// `GET /console/people/imports/{id}/errors.csv`.
async fn errors_csv(mut con: Con, Path(id): Path<String>) -> PageResult {
    let id = job_id(&id)?;
    let who = con.admin("/console/people")?;
    let report = bulk::import_errors(&con.state, &who, id).await?;
    let disposition = format!("attachment; filename=\"import-{id}-errors.csv\"");
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, disposition),
        ],
        report,
    )
        .into_response())
}
