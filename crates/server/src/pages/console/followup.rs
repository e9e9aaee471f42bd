//! Console pages for: follow-up: the "raise an issue" queue (corrections and sync conflicts) for officials, session lists per facility and day, and the auditable lucky draw.
//!
//! | route | what |
//! |---|---|
//! | `GET /console/issues?kind=&status=&page=` | the area's issue queue |
//! | `GET /console/issues/{kind}/{id}` | one issue, with the decision form |
//! | `POST /console/issues/{kind}/{id}/{action}` | approve / reject, accept / discard |
//! | `GET /console/facilities/{id}/lists/{date}.pdf` (`.csv`) | a facility's day list |
//! | `GET/POST /console/draws` | the area's draws; create one |
//! | `GET /console/draws/{id}`, `POST /console/draws/{id}/seed` | one draw; its seed |

use askama::Template;
use axum::Router;
use axum::extract::Path;
use axum::http::StatusCode;
use axum::routing::{get, post};
use tika_domain::ids::CenterId;
use tika_storage::{CorrectionField, Draw, DrawStatus, IssueKind};

use super::{
    Con, ConsoleLayout, FormErrors, Opt, OptGroup, district_groups, district_name, local_time,
};
use crate::error::ApiError;
use crate::pages::context::{FormFields, PageError, PageResult, QueryFields, encode};
use crate::pages::i18n::Texts;
use crate::services::admin::AdminPrincipal;
use crate::services::admin::followup::{self as fu, DrawForm, Issue, PersonFacts};
use crate::state::AppState;

/// The routes (under `/console`).
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/console/issues", get(issues))
        .route("/console/issues/{kind}/{id}", get(issue))
        .route("/console/issues/{kind}/{id}/{action}", post(decide))
        .route("/console/facilities/{id}/lists/{file}", get(day_list))
        .route("/console/draws", get(draws).post(create_draw))
        .route("/console/draws/{id}", get(draw))
        .route("/console/draws/{id}/seed", post(seed_draw))
}

// ---------------------------------------------------------------------------------------------
// The issue queue

struct IssueLine {
    href: String,
    kind: &'static str,
    kind_label: &'static str,
    time: String,
    status: String,
    what: String,
    facility: String,
    reference_id: String,
}

#[derive(Template)]
#[template(path = "console_issues.html")]
struct IssuesPage {
    l: ConsoleLayout,
    kinds: Vec<Opt>,
    statuses: Vec<Opt>,
    rows: Vec<IssueLine>,
    prev_href: Option<String>,
    next_href: Option<String>,
}

fn kind_label(t: &Texts, k: IssueKind) -> &'static str {
    match k {
        IssueKind::Correction => t.con_fu_correction,
        IssueKind::Review => t.con_fu_sync_conflict,
    }
}

fn field_label(t: &Texts, f: &str) -> String {
    match CorrectionField::parse(f) {
        Some(CorrectionField::Name) => t.con_fu_field_name.to_owned(),
        Some(CorrectionField::BirthYear) => t.con_fu_field_birth_year.to_owned(),
        Some(CorrectionField::Gender) => t.con_fu_field_gender.to_owned(),
        Some(CorrectionField::PhotoId) => t.con_fu_field_photo_id.to_owned(),
        None => f.to_owned(),
    }
}

fn status_label(t: &Texts, s: &str) -> String {
    match s {
        "pending" | "open" => t.con_fu_open.to_owned(),
        "approved" => t.con_fu_approved.to_owned(),
        "rejected" => t.con_fu_rejected.to_owned(),
        "accepted" => t.con_fu_accepted.to_owned(),
        "discarded" => t.con_fu_discarded.to_owned(),
        other => other.to_owned(),
    }
}

fn issues_href(kind: &str, status: &str, page: u32) -> String {
    let mut parts = Vec::new();
    if !kind.is_empty() {
        parts.push(format!("kind={}", encode(kind)));
    }
    if !status.is_empty() {
        parts.push(format!("status={}", encode(status)));
    }
    parts.push(format!("page={page}"));
    format!("/console/issues?{}", parts.join("&"))
}

fn issue_href(kind: IssueKind, id: &str) -> String {
    format!("/console/issues/{}/{}", kind.as_str(), encode(id))
}

/// `GET /console/issues?kind=&status=&page=`.
async fn issues(mut con: Con, QueryFields(q): QueryFields) -> PageResult {
    let who = con.admin("/console/issues")?;
    con.section("issues");
    let kind_raw = q.text("kind");
    let status_raw = q.text("status");
    let kind = fu::parse_kind(Some(&kind_raw))?;
    let open = fu::parse_status(Some(&status_raw))?;
    let page: u32 = q.get("page").and_then(|p| p.parse().ok()).filter(|p| *p >= 1).unwrap_or(1);
    let found = fu::list_issues(&con.state, &who, kind, open, page - 1).await?;
    let t = con.t;
    let rows: Vec<IssueLine> = found
        .iter()
        .map(|r| IssueLine {
            href: issue_href(r.kind, &r.id.to_string()),
            kind: r.kind.as_str(),
            kind_label: kind_label(t, r.kind),
            time: local_time(&con.state, r.created_at_ms),
            status: status_label(t, &r.status),
            what: match r.kind {
                IssueKind::Correction => field_label(t, &r.what),
                IssueKind::Review => r.what.clone(),
            },
            facility: r.center_name.clone().unwrap_or_default(),
            reference_id: r.reference_id.clone().unwrap_or_default(),
        })
        .collect();
    let view = IssuesPage {
        l: con.layout.clone(),
        kinds: vec![
            Opt::new("", t.con_all, &kind_raw),
            Opt::new("correction", t.con_fu_correction, &kind_raw),
            Opt::new("review", t.con_fu_sync_conflict, &kind_raw),
        ],
        statuses: vec![
            Opt::new("", t.con_fu_open, &status_raw),
            Opt::new("closed", t.con_fu_decided, &status_raw),
            Opt::new("all", t.con_all, &status_raw),
        ],
        prev_href: (page > 1).then(|| issues_href(&kind_raw, &status_raw, page - 1)),
        next_href: (rows.len() >= fu::ISSUE_PAGE_SIZE as usize)
            .then(|| issues_href(&kind_raw, &status_raw, page + 1)),
        rows,
    };
    con.render(&view)
}

// ---------------------------------------------------------------------------------------------
// One issue

struct Fact {
    label: &'static str,
    value: String,
}

#[derive(Template)]
#[template(path = "console_issues_item.html")]
struct IssuePage {
    l: ConsoleLayout,
    kind: &'static str,
    kind_label: &'static str,
    id: String,
    action_base: String,
    status: String,
    open: bool,
    facts: Vec<Fact>,
    person: Vec<Fact>,
    decision: Vec<Fact>,
    errors: Vec<String>,
    note: String,
}

fn person_facts(t: &Texts, p: Option<&PersonFacts>) -> Vec<Fact> {
    let Some(p) = p else { return Vec::new() };
    let mut out = Vec::new();
    if !p.reference_id.is_empty() {
        out.push(Fact { label: t.con_fu_ref_id, value: p.reference_id.clone() });
    }
    out.push(Fact { label: t.con_fu_field_name, value: p.name.clone() });
    out.push(Fact { label: t.con_fu_field_birth_year, value: p.birth_year.to_string() });
    out.push(Fact { label: t.con_fu_field_gender, value: p.gender.clone() });
    out.push(Fact {
        label: t.con_fu_field_photo_id,
        value: format!("{} ••{}", p.id_type, p.id_last4),
    });
    out
}

fn gender_text(state: &AppState, raw: &str) -> String {
    raw.parse::<i64>()
        .ok()
        .and_then(|id| state.pack.gender(id))
        .map(|g| g.name.clone())
        .unwrap_or_else(|| raw.to_owned())
}

fn issue_page(con: &Con, issue: &Issue, errors: Vec<String>, note: String) -> IssuePage {
    let t = con.t;
    let mut facts = Vec::new();
    let mut decision = Vec::new();
    let (kind, id, status, open, person) = match issue {
        Issue::Correction(c) => {
            let r = &c.request;
            let show = |v: &str| {
                if r.field == CorrectionField::Gender {
                    gender_text(&con.state, v)
                } else {
                    v.to_owned()
                }
            };
            facts.push(Fact { label: t.con_fu_what, value: field_label(t, r.field.as_str()) });
            facts.push(Fact { label: t.con_fu_old_value, value: show(&r.old_value) });
            facts.push(Fact { label: t.con_fu_new_value, value: show(&r.new_value) });
            facts.push(Fact { label: t.con_fu_reason, value: r.reason.clone() });
            facts.push(Fact {
                label: t.con_fu_filed,
                value: local_time(&con.state, r.requested_at_ms),
            });
            if let Some(f) = &c.facility {
                facts.push(Fact { label: t.con_fu_facility, value: f.center.name.clone() });
            }
            if let Some(by) = &r.decided_by {
                decision.push(Fact { label: t.con_fu_decided_by, value: by.clone() });
            }
            if let Some(at) = r.decided_at_ms {
                decision
                    .push(Fact { label: t.con_fu_decided_at, value: local_time(&con.state, at) });
            }
            if let Some(n) = &r.decision_note {
                decision.push(Fact { label: t.con_fu_note, value: n.clone() });
            }
            (
                IssueKind::Correction,
                r.id.to_string(),
                r.status.as_str(),
                r.status == tika_storage::CorrectionStatus::Pending,
                c.person.as_ref(),
            )
        }
        Issue::Review(v) => {
            let i = &v.item;
            facts.push(Fact {
                label: t.con_fu_what,
                value: format!("{} — {}", i.code.as_str(), i.code.message()),
            });
            facts.push(Fact { label: t.con_fu_record, value: i.record.body.kind().to_owned() });
            if let tika_domain::sync::RecordBody::Dose(d) = &i.record.body {
                facts.push(Fact {
                    label: t.con_fu_dose,
                    value: format!("{} · {} · {}", d.dose.get(), d.vaccine.as_str(), d.batch),
                });
            }
            facts.push(Fact { label: t.con_fu_facility, value: v.facility.center.name.clone() });
            facts.push(Fact {
                label: t.con_fu_filed,
                value: local_time(&con.state, i.created_at_ms),
            });
            if let Some(by) = &i.resolved_by {
                decision.push(Fact { label: t.con_fu_decided_by, value: by.clone() });
            }
            if let Some(at) = i.resolved_at_ms {
                decision
                    .push(Fact { label: t.con_fu_decided_at, value: local_time(&con.state, at) });
            }
            if let Some(n) = &i.resolution_note {
                decision.push(Fact { label: t.con_fu_note, value: n.clone() });
            }
            (
                IssueKind::Review,
                i.id.to_string(),
                i.status.as_str(),
                i.status == tika_storage::ReviewStatus::Open,
                v.person.as_ref(),
            )
        }
    };
    IssuePage {
        l: con.layout.clone(),
        kind: kind.as_str(),
        kind_label: kind_label(t, kind),
        action_base: issue_href(kind, &id),
        id,
        status: status_label(t, status),
        open,
        facts,
        person: person_facts(t, person),
        decision,
        errors,
        note,
    }
}

fn parse_kind(raw: &str) -> Result<IssueKind, PageError> {
    IssueKind::parse(raw).ok_or(PageError::Api(ApiError::NotFound))
}

/// `GET /console/issues/{kind}/{id}`.
async fn issue(mut con: Con, Path((kind, id)): Path<(String, String)>) -> PageResult {
    let who = con.admin("/console/issues")?;
    con.section("issues");
    let kind = parse_kind(&kind)?;
    let found = fu::issue(&con.state, &who, kind, &id).await?;
    con.render(&issue_page(&con, &found, Vec::new(), String::new()))
}

/// `POST /console/issues/{kind}/{id}/{action}` (`note`).
async fn decide(
    mut con: Con,
    Path((kind, id, action)): Path<(String, String, String)>,
    FormFields(form): FormFields,
) -> PageResult {
    let who = con.admin("/console/issues")?;
    con.section("issues");
    con.check_csrf(&form)?;
    let kind = parse_kind(&kind)?;
    let note = form.text("note");
    let result = match (kind, action.as_str()) {
        (IssueKind::Correction, "approve" | "reject") => {
            fu::decide_correction(&con.state, &who, &id, action == "approve", &note)
                .await
                .map(|_| ())
        }
        (IssueKind::Review, "accept" | "discard") => {
            fu::resolve_review(&con.state, &who, &id, action == "accept", &note).await.map(|_| ())
        }
        _ => return Err(PageError::Api(ApiError::NotFound)),
    };
    match result {
        Ok(()) => Ok(con.done(&issue_href(kind, &id), "con_fu_decided", None)),
        Err(e) => {
            let (status, errs) = super::form_failure(&con, e)?;
            let found = fu::issue(&con.state, &who, kind, &id).await?;
            let page = issue_page(&con, &found, errs.others(&[]), note);
            con.render_status(status, &page)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Session lists

/// `GET /console/facilities/{id}/lists/{date}.pdf|.csv`: the download.
async fn day_list(mut con: Con, Path((id, file)): Path<(String, String)>) -> PageResult {
    let who = con.admin(&format!("/console/facilities/{}", encode(&id)))?;
    let center =
        id.trim().parse::<i64>().map(CenterId).map_err(|_| PageError::Api(ApiError::NotFound))?;
    let (date, format) = fu::list_file(&file)?;
    if format == "json" {
        return Err(PageError::Api(ApiError::NotFound));
    }
    let day = fu::facility_day(&con.state, &who, center, date, format).await?;
    let (body, content_type, name) = fu::day_file(&con.state, &day, format).await?;
    Ok(download(body, content_type, &name))
}

// ---------------------------------------------------------------------------------------------
// The lucky draw

struct DrawLine {
    href: String,
    id: String,
    district: String,
    period: String,
    entries: u32,
    winners: u32,
    status: &'static str,
    status_key: &'static str,
    created: String,
}

#[derive(Template)]
#[template(path = "console_issues_draws.html")]
struct DrawsPage {
    l: ConsoleLayout,
    rows: Vec<DrawLine>,
    districts: Vec<OptGroup>,
    choose_district: bool,
    from: String,
    to: String,
    winners: String,
    errs: FormErrors,
    others: Vec<String>,
}

fn draw_status(t: &Texts, s: DrawStatus) -> &'static str {
    match s {
        DrawStatus::Committed => t.con_fu_committed,
        DrawStatus::Drawn => t.con_fu_drawn,
    }
}

fn period(d: &Draw) -> String {
    format!(
        "{} – {}",
        tika_domain::date::format_cowin_date(d.from),
        tika_domain::date::format_cowin_date(d.to)
    )
}

const DRAW_FIELDS: &[&str] = &["district", "from", "to", "winners"];

async fn render_draws(
    con: &Con,
    who: &AdminPrincipal,
    form: Option<(DrawFormView, FormErrors)>,
    status: StatusCode,
) -> PageResult {
    let t = con.t;
    let list = fu::list_draws(&con.state, who, 0).await?;
    let rows = list
        .iter()
        .map(|d| DrawLine {
            href: format!("/console/draws/{}", d.id),
            id: d.id.to_string(),
            district: district_name(&con.state, d.district_id),
            period: period(d),
            entries: d.entries_count,
            winners: d.winners_count,
            status: draw_status(t, d.status),
            status_key: d.status.as_str(),
            created: local_time(&con.state, d.created_at_ms),
        })
        .collect();
    let (f, errs) = form.unwrap_or_else(|| {
        let today = con.state.today();
        (
            DrawFormView {
                district: who.area.district().map(|d| d.0.to_string()).unwrap_or_default(),
                from: (today - chrono::Duration::days(30)).format("%Y-%m-%d").to_string(),
                to: today.format("%Y-%m-%d").to_string(),
                winners: "10".to_owned(),
            },
            FormErrors::default(),
        )
    });
    let page = DrawsPage {
        l: con.layout.clone(),
        rows,
        districts: district_groups(con, &who.area, &f.district),
        choose_district: who.area.district().is_none(),
        from: f.from,
        to: f.to,
        winners: f.winners,
        others: errs.others(DRAW_FIELDS),
        errs,
    };
    con.render_status(status, &page)
}

struct DrawFormView {
    district: String,
    from: String,
    to: String,
    winners: String,
}

/// `GET /console/draws`.
async fn draws(mut con: Con) -> PageResult {
    let who = con.admin("/console/draws")?;
    con.section("draws");
    render_draws(&con, &who, None, StatusCode::OK).await
}

/// `POST /console/draws`: commits a new draw.
async fn create_draw(mut con: Con, FormFields(form): FormFields) -> PageResult {
    let who = con.admin("/console/draws")?;
    con.section("draws");
    con.check_csrf(&form)?;
    let view = DrawFormView {
        district: form.text("district"),
        from: form.text("from"),
        to: form.text("to"),
        winners: form.text("winners"),
    };
    let mut errs = FormErrors::default();
    let date = |s: &str, field: &str, errs: &mut FormErrors| {
        if s.trim().is_empty() {
            return None;
        }
        let d = chrono::NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok();
        if d.is_none() {
            errs.add(field, "must be a date YYYY-MM-DD");
        }
        d
    };
    let input = DrawForm {
        district: match view.district.trim() {
            "" => None,
            s => match s.parse::<i64>() {
                Ok(n) => Some(n),
                Err(_) => {
                    errs.add("district", "must be a district");
                    None
                }
            },
        },
        from: date(&view.from, "from", &mut errs),
        to: date(&view.to, "to", &mut errs),
        winners: match view.winners.trim() {
            "" => None,
            s => match s.parse::<u32>() {
                Ok(n) => Some(n),
                Err(_) => {
                    errs.add("winners", "must be a whole number");
                    None
                }
            },
        },
    };
    let mut status = StatusCode::BAD_REQUEST;
    if !errs.any() {
        match fu::create_draw(&con.state, &who, &input).await {
            Ok(d) => {
                return Ok(con.done(
                    &format!("/console/draws/{}", d.id),
                    "con_fu_draw_created",
                    None,
                ));
            }
            Err(e) => (status, errs) = super::form_failure(&con, e)?,
        }
    }
    render_draws(&con, &who, Some((view, errs)), status).await
}

#[derive(Template)]
#[template(path = "console_issues_draw.html")]
struct DrawPage {
    l: ConsoleLayout,
    id: String,
    district: String,
    period: String,
    status: &'static str,
    status_key: &'static str,
    entries: u32,
    winners_count: u32,
    sha256: String,
    entries_href: String,
    public_href: String,
    created: String,
    created_by: String,
    seed: String,
    seed_source: String,
    drawn: String,
    winners: Vec<String>,
    verify: String,
    verify_python: String,
    errors: Vec<String>,
    seed_input: String,
    source_input: String,
}

fn draw_page(con: &Con, d: &Draw, errors: Vec<String>, seed: String, source: String) -> DrawPage {
    DrawPage {
        l: con.layout.clone(),
        id: d.id.to_string(),
        district: district_name(&con.state, d.district_id),
        period: period(d),
        status: draw_status(con.t, d.status),
        status_key: d.status.as_str(),
        entries: d.entries_count,
        winners_count: d.winners_count,
        sha256: d.entries_sha256.clone(),
        entries_href: format!("/api/public/v1/draws/{}/entries.txt", d.id),
        public_href: format!("/api/public/v1/draws/{}", d.id),
        created: local_time(&con.state, d.created_at_ms),
        created_by: d.created_by.clone(),
        seed: d.seed.clone().unwrap_or_default(),
        seed_source: d.seed_source.clone().unwrap_or_default(),
        drawn: d.drawn_at_ms.map(|ms| local_time(&con.state, ms)).unwrap_or_default(),
        winners: d.winners.clone(),
        verify: fu::verify_command(d),
        verify_python: fu::verify_script(d),
        errors,
        seed_input: seed,
        source_input: source,
    }
}

/// `GET /console/draws/{id}`.
async fn draw(mut con: Con, Path(id): Path<String>) -> PageResult {
    let who = con.admin("/console/draws")?;
    con.section("draws");
    let d = fu::draw_of_area(&con.state, &who, &id).await?;
    con.render(&draw_page(&con, &d, Vec::new(), String::new(), String::new()))
}

/// `POST /console/draws/{id}/seed` (`seed`, `seed_source`).
async fn seed_draw(
    mut con: Con,
    Path(id): Path<String>,
    FormFields(form): FormFields,
) -> PageResult {
    let who = con.admin("/console/draws")?;
    con.section("draws");
    con.check_csrf(&form)?;
    let seed = form.text("seed");
    let source = form.text("seed_source");
    match fu::seed_draw(&con.state, &who, &id, &seed, &source).await {
        Ok(d) => Ok(con.done(&format!("/console/draws/{}", d.id), "con_fu_drawn", None)),
        Err(e) => {
            let (status, errs) = super::form_failure(&con, e)?;
            let d = fu::draw_of_area(&con.state, &who, &id).await?;
            let page = draw_page(&con, &d, errs.others(&[]), seed, source);
            con.render_status(status, &page)
        }
    }
}

/// A file download: its type and a name to save it under.
fn download(body: Vec<u8>, content_type: &'static str, filename: &str) -> axum::response::Response {
    use axum::http::{HeaderValue, header};
    use axum::response::IntoResponse;
    let mut res = (StatusCode::OK, body).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn issue_hrefs_keep_filters() {
        assert_eq!(
            issues_href("review", "all", 2),
            "/console/issues?kind=review&status=all&page=2"
        );
        assert_eq!(issues_href("", "", 1), "/console/issues?page=1");
    }
}
