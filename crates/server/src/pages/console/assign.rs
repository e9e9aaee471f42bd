//! Console pages for the assignment of listed people to sessions near their posting or home
//! pincode: start a run (or a dry run), follow it, and read who went where and why, in the
//! page language; the whole run downloads as CSV.
//!
//! | route | what |
//! |---|---|
//! | `GET/POST /console/assign` | the form and the area's latest runs; start a run |
//! | `GET /console/assign/{id}?reason=&after=` | a run's counts and its people, 100 a page |
//! | `GET /console/assign/{id}/export.csv` | the whole run as CSV |

use askama::Template;
use axum::Router;
use axum::extract::Path;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use tika_domain::assign::Reason;
use tika_domain::ids::AssignmentRunId;
use tika_storage::{AssignmentRun, AssignmentView, RunStatus};

use super::{Con, ConsoleLayout, FormErrors, Opt, district_name, local_time};
use crate::error::ApiError;
use crate::pages::context::{FormFields, PageResult, QueryFields, redirect};
use crate::pages::i18n::{Texts, fill};
use crate::services::admin::assign::{self, RunForm};
use crate::state::AppState;

const PAGE: u32 = 100;
const FIELDS: &[&str] = &["basis", "date_from", "date_until", "vaccine", "max_km"];

/// The routes (under `/console`).
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/console/assign", get(form).post(start))
        .route("/console/assign/{id}", get(show))
        .route("/console/assign/{id}/export.csv", get(export))
}

/// One run in the list.
struct RunLine {
    href: String,
    started: String,
    status: &'static str,
    running: bool,
    options: String,
    people: u64,
    assigned: u64,
    unassigned: u64,
    already_booked: u64,
    dry_run: bool,
}

/// One person of a run.
struct PersonLine {
    seq: i64,
    reference_id: String,
    reason: &'static str,
    explanation: String,
    facility: String,
    date: String,
    slot: String,
}

#[derive(Template)]
#[template(path = "console_assign.html")]
struct FormPage {
    l: ConsoleLayout,
    errs: FormErrors,
    others: Vec<String>,
    basis: String,
    date_from: String,
    date_until: String,
    vaccines: Vec<Opt>,
    max_km: String,
    dry_run: bool,
    runs: Vec<RunLine>,
}

#[derive(Template)]
#[template(path = "console_assign_run.html")]
struct RunPage {
    l: ConsoleLayout,
    run: RunLine,
    processed: u64,
    failed_message: String,
    reasons: Vec<Opt>,
    people: Vec<PersonLine>,
    next_href: Option<String>,
    csv_href: String,
}

fn status_label(t: &Texts, s: RunStatus) -> &'static str {
    match s {
        RunStatus::Running => t.con_as_running,
        RunStatus::Done => t.con_as_done,
        RunStatus::Failed => t.con_as_failed,
    }
}

fn reason_label(t: &Texts, r: Reason) -> &'static str {
    match r {
        Reason::Assigned => t.con_as_r_assigned,
        Reason::AlreadyBooked => t.con_as_r_already_booked,
        Reason::NoCentroid => t.con_as_r_no_centroid,
        Reason::NothingWithin => t.con_as_r_nothing_within,
        Reason::AllFull => t.con_as_r_all_full,
        Reason::AgeNotAdmitted => t.con_as_r_age,
        Reason::FilledMeanwhile => t.con_as_r_filled,
        Reason::NotEligible => t.con_as_r_not_eligible,
    }
}

fn run_line(con: &Con, r: &AssignmentRun) -> RunLine {
    let place = match r.district {
        Some(d) => district_name(&con.state, d),
        None => r
            .state
            .map(|s| super::state_name(&con.state, con.lang, s))
            .unwrap_or_else(|| con.t.con_level_national.to_owned()),
    };
    let basis = if r.basis.as_str() == "home" { con.t.con_as_home } else { con.t.con_as_posting };
    let options = fill(
        con.t.con_as_options,
        &[
            ("place", &place),
            ("basis", basis),
            ("from", &r.date_from.to_string()),
            ("until", &r.date_until.to_string()),
            ("km", &r.max_km.to_string()),
            ("vaccine", r.vaccine.as_deref().unwrap_or(con.t.any)),
        ],
    );
    RunLine {
        href: format!("/console/assign/{}", r.id),
        started: local_time(&con.state, r.created_at_ms),
        status: status_label(con.t, r.status),
        running: r.status == RunStatus::Running,
        options,
        people: r.people,
        assigned: r.assigned,
        unassigned: r.unassigned,
        already_booked: r.already_booked,
        dry_run: r.dry_run,
    }
}

fn explain(t: &Texts, v: &AssignmentView) -> String {
    let km = v.distance_m.map(|m| format!("{:.1}", m as f64 / 1000.0)).unwrap_or_default();
    match v.reason {
        Reason::Assigned => {
            fill(t.con_as_x_assigned, &[("km", &km), ("nearer", &v.nearer_full.to_string())])
        }
        Reason::FilledMeanwhile | Reason::AllFull => {
            fill(t.con_as_x_full, &[("nearer", &v.nearer_full.to_string())])
        }
        other => reason_label(t, other).to_owned(),
    }
}

async fn form_page(
    con: &Con,
    who: &crate::services::admin::AdminPrincipal,
    f: &RunForm,
    errs: FormErrors,
    status: StatusCode,
) -> PageResult {
    let runs = assign::list_runs(&con.state, who).await?;
    let mut vaccines = vec![Opt::new("", con.t.any, &f.vaccine)];
    vaccines.extend(
        con.state
            .pack
            .vaccines
            .iter()
            .map(|v| Opt::new(v.code.as_str(), v.name.clone(), &f.vaccine)),
    );
    let page = FormPage {
        l: con.layout.clone(),
        others: errs.others(FIELDS),
        errs,
        basis: f.basis.clone(),
        date_from: f.date_from.clone(),
        date_until: f.date_until.clone(),
        vaccines,
        max_km: f.max_km.clone(),
        dry_run: f.dry_run,
        runs: runs.iter().map(|r| run_line(con, r)).collect(),
    };
    con.render_status(status, &page)
}

/// `GET /console/assign`.
async fn form(mut con: Con) -> PageResult {
    let who = con.admin("/console/assign")?;
    con.section("assign");
    let from = assign::default_from(con.state.today());
    let f = RunForm {
        basis: "posting".into(),
        date_from: from.to_string(),
        date_until: (from + chrono::Duration::days(6)).to_string(),
        vaccine: String::new(),
        max_km: "50".into(),
        dry_run: true,
    };
    form_page(&con, &who, &f, FormErrors::default(), StatusCode::OK).await
}

/// `POST /console/assign`: starts a run, then shows it.
async fn start(mut con: Con, FormFields(form): FormFields) -> PageResult {
    let who = con.admin("/console/assign")?;
    con.section("assign");
    con.check_csrf(&form)?;
    let f = RunForm {
        basis: form.text("basis"),
        date_from: form.text("date_from"),
        date_until: form.text("date_until"),
        vaccine: form.text("vaccine"),
        max_km: form.text("max_km"),
        dry_run: form.get("dry_run").is_some(),
    };
    match assign::start_run(&con.state, &who, &f).await {
        Ok(run) => Ok(redirect(&format!("/console/assign/{}", run.id))),
        Err(e) => {
            let (status, errs) = super::form_failure(&con, e)?;
            form_page(&con, &who, &f, errs, status).await
        }
    }
}

/// `GET /console/assign/{id}?reason=&after=`.
async fn show(mut con: Con, Path(id): Path<String>, QueryFields(q): QueryFields) -> PageResult {
    let who = con.admin("/console/assign")?;
    con.section("assign");
    let id: AssignmentRunId = id.parse().map_err(|_| ApiError::NotFound)?;
    let run = assign::run(&con.state, &who, id).await?;
    let reason = q.text("reason");
    let after = q.get("after").and_then(|a| a.parse::<i64>().ok());
    let rows = assign::run_rows(&con.state, &who, id, Some(reason.as_str()), after, PAGE).await?;
    let base = format!("/console/assign/{id}");
    let next_href = (rows.len() == PAGE as usize)
        .then(|| rows.last().map(|v| format!("{base}?reason={reason}&after={}", v.seq)))
        .flatten();
    let mut reasons = vec![Opt::new("", con.t.any, &reason)];
    reasons
        .extend(Reason::ALL.iter().map(|r| Opt::new(r.as_str(), reason_label(con.t, *r), &reason)));
    let people = rows
        .iter()
        .map(|v| PersonLine {
            seq: v.seq,
            reference_id: v.reference_id.clone(),
            reason: reason_label(con.t, v.reason),
            explanation: explain(con.t, v),
            facility: v.center_name.clone().unwrap_or_default(),
            date: v.date.map(|d| d.to_string()).unwrap_or_default(),
            slot: v.slot.clone().unwrap_or_default(),
        })
        .collect();
    let page = RunPage {
        l: con.layout.clone(),
        processed: run.processed,
        failed_message: run.message.clone(),
        run: run_line(&con, &run),
        reasons,
        people,
        next_href,
        csv_href: format!("{base}/export.csv"),
    };
    con.render(&page)
}

/// `GET /console/assign/{id}/export.csv`.
async fn export(mut con: Con, Path(id): Path<String>) -> PageResult {
    let who = con.admin("/console/assign")?;
    let id: AssignmentRunId = id.parse().map_err(|_| ApiError::NotFound)?;
    let csv = assign::export_csv(&con.state, &who, id).await?;
    let mut res = csv.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"assignment-{id}.csv\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(res)
}
