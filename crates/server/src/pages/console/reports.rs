//! Console pages for reports (issue 8): coverage with its filters, charts and downloads,
//! second doses due per area, a facility's session reports, and the targets (eligible
//! population) with their upload.
//!
//! | route | what |
//! |---|---|
//! | `GET /console/reports?state=&district=&block=&center=&from=&until=&dose=&vaccine=&age_group=&gender=&priority_group=&facility_type=&setting=&group_by=` | the filter form, the table, charts, downloads, second doses due |
//! | `GET /console/reports.csv?…`, `.xlsx?…`, `.json?…` | the same report as a download (the console login's cookie) |
//! | `GET /console/reports/sessions?center=&from=&until=` | a facility's session reports |
//! | `GET /console/reports/targets`, `POST` (multipart: `csrf`, `file`) | targets in force, the upload |
//! | `GET /console/reports/targets/sample.csv` | a sample target file |
//!
//! Every number, permission and area check is the service's ([`crate::services::reports`]);
//! the page, the downloads and `/api/admin/v1/reports` read the same [`ReportView`].  Charts
//! are server-drawn SVG ([`crate::pages::charts`]): a time series for a day series, bars for
//! any other grouping, and the map of India when the rows are the states of the nation or the
//! districts of a state, shaded by coverage when targets apply, else by doses.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use chrono::NaiveDate;
use tika_domain::admin::{Area, FieldError};
use tika_domain::reports::{
    AgeGroup, DoseBucket, FacilityOwnership, GroupBy, GroupValue, Setting, Target,
};

use super::{Con, ConsoleLayout, Opt, area_label, state_name};
use crate::api::admin_reports::{QueryPairs, XLSX_TYPE, report_json};
use crate::error::ApiError;
use crate::pages::charts::{self, MapLevel};
use crate::pages::context::{Fields, PageError, PageResult, encode};
use crate::pages::i18n::{Message, Texts, fill};
use crate::services::admin::AdminPrincipal;
use crate::services::reports::{
    self as reports, FacilitySessions, ReportView, SecondDoseView, lang_code,
};
use crate::services::search::Lang;
use crate::state::AppState;

/// The routes (under `/console`).
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/console/reports", get(report_page))
        .route("/console/reports.csv", get(report_csv))
        .route("/console/reports.xlsx", get(report_xlsx))
        .route("/console/reports.json", get(report_json_download))
        .route("/console/reports/sessions", get(sessions_page))
        .route(
            "/console/reports/targets",
            get(targets_page)
                .post(upload_targets)
                .layer(DefaultBodyLimit::max(reports::MAX_TARGET_FILE_BYTES + 64 * 1024)),
        )
        .route("/console/reports/targets/sample.csv", get(sample_targets))
}

/// The one-shot messages of these pages (`rp_…` flash keys; `rp_targets:<n>`).
pub(super) fn flash_text(t: &Texts, key: &str, arg: &str) -> Option<String> {
    match key {
        "rp_targets" => Some(fill(t.rp_flash_targets, &[("n", arg)])),
        _ => None,
    }
}

/// The query pairs, or the error page of a malformed query string.
fn pairs(q: Result<QueryPairs, ApiError>) -> Result<Vec<(String, String)>, PageError> {
    q.map(|p| p.0).map_err(PageError::Api)
}

/// The last non-blank value of a parameter.
fn param<'a>(pairs: &'a [(String, String)], name: &str) -> Option<&'a str> {
    pairs.iter().rev().find(|(k, _)| k == name).map(|(_, v)| v.trim()).filter(|v| !v.is_empty())
}

/// A query string of the pairs, without `lang` and without the names in `drop`.
fn query_string(pairs: &[(String, String)], drop: &[&str]) -> String {
    pairs
        .iter()
        .filter(|(k, v)| k != "lang" && !drop.contains(&k.as_str()) && !v.trim().is_empty())
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn with_query(path: &str, q: &str) -> String {
    if q.is_empty() { path.to_owned() } else { format!("{path}?{q}") }
}

fn field_messages(list: &[FieldError]) -> Vec<String> {
    list.iter().map(|e| format!("{}: {}", e.field, e.message)).collect()
}

fn ymd(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn percent(p: Option<f64>) -> String {
    p.map(|p| format!("{p:.1}")).unwrap_or_default()
}

// ---------------------------------------------------------------------------------------------
// The report page

/// A row of the report table.
struct LineView {
    code: String,
    name: String,
    href: Option<String>,
    sessions_href: Option<String>,
    doses: i64,
    cumulative: i64,
    coverage: String,
}

/// The report part of the page.
struct ReportPart {
    heading: String,
    generated: String,
    group_title: &'static str,
    lines: Vec<LineView>,
    total_doses: i64,
    total_cumulative: i64,
    total_coverage: String,
    has_coverage: bool,
    show_total: bool,
    chart: String,
    map: String,
    csv_href: String,
    xlsx_href: String,
    json_href: String,
}

/// A row of the second-dose table.
struct DueView {
    code: String,
    name: String,
    not_due_yet: i64,
    due: i64,
    overdue: i64,
}

struct DuePart {
    lines: Vec<DueView>,
    not_due_yet: i64,
    due: i64,
    overdue: i64,
}

#[derive(Template)]
#[template(path = "console_reports.html")]
struct ReportPage {
    l: ConsoleLayout,
    states: Vec<Opt>,
    districts: Vec<Opt>,
    pick_state: bool,
    block: String,
    center: String,
    from: String,
    until: String,
    doses: Vec<Opt>,
    vaccines: Vec<Opt>,
    age_groups: Vec<Opt>,
    genders: Vec<Opt>,
    priority_groups: Vec<Opt>,
    facility_types: Vec<Opt>,
    settings: Vec<Opt>,
    group_bys: Vec<Opt>,
    errors: Vec<String>,
    report: Option<ReportPart>,
    due: Option<DuePart>,
}

/// The filter's values as the form shows them: from the parsed query when there is one (the
/// official's area and default dates filled in), else as typed.
fn form_values(
    pairs: &[(String, String)],
    view: Option<&ReportView>,
) -> HashMap<&'static str, String> {
    let mut v: HashMap<&'static str, String> = HashMap::new();
    for name in tika_domain::reports::ReportQuery::PARAMS {
        if let Some(x) = param(pairs, name) {
            v.insert(name, x.to_owned());
        }
    }
    if let Some(view) = view {
        let f = &view.query.filter;
        let mut set = |k: &'static str, x: Option<String>| match x {
            Some(x) => {
                v.insert(k, x);
            }
            None => {
                v.remove(k);
            }
        };
        set("state", f.area.state().map(|s| s.0.to_string()));
        set("district", f.area.district().map(|d| d.0.to_string()));
        set("block", f.area.block().map(str::to_owned));
        set("center", f.area.center().map(|c| c.0.to_string()));
        set("from", Some(ymd(f.from)));
        set("until", Some(ymd(f.until)));
        set("group_by", Some(view.query.group_by.as_str().to_owned()));
    }
    v
}

fn options(
    any: &str,
    current: Option<&String>,
    items: impl Iterator<Item = (String, String)>,
) -> Vec<Opt> {
    let cur = current.map_or("", String::as_str);
    std::iter::once(Opt::new("", any, cur)).chain(items.map(|(v, l)| Opt::new(v, l, cur))).collect()
}

/// The selects of the filter form, filled from the pack and the policy versions.
fn fill_form(con: &Con, who: &AdminPrincipal, v: &HashMap<&'static str, String>) -> ReportPage {
    let t = con.t;
    let pack = &con.state.pack;
    let lang = lang_code(con.lang);
    let hi = con.lang == Lang::Hi;
    let cur = |k: &str| v.get(k).map_or("", String::as_str);
    let mut states: Vec<Opt> = pack
        .states
        .iter()
        .filter(|s| who.area.state().is_none_or(|x| x == s.id))
        .map(|s| Opt::new(s.id.0.to_string(), state_name(&con.state, con.lang, s.id), cur("state")))
        .collect();
    states.sort_by(|a, b| a.label.cmp(&b.label));
    if matches!(who.area, Area::National) {
        states.insert(0, Opt::new("", t.rp_all_states, cur("state")));
    }
    let chosen_state = cur("state").parse::<i64>().ok().or(who.area.state().map(|s| s.0));
    let mut districts: Vec<Opt> = match chosen_state {
        Some(s) => pack
            .districts_of(tika_domain::ids::StateId(s))
            .filter(|d| who.area.district().is_none_or(|x| x == d.id))
            .map(|d| Opt::new(d.id.0.to_string(), d.name.clone(), cur("district")))
            .collect(),
        None => Vec::new(),
    };
    districts.sort_by(|a, b| a.label.cmp(&b.label));
    if who.area.district().is_none() && !districts.is_empty() {
        districts.insert(0, Opt::new("", t.rp_all_districts, cur("district")));
    }
    let mut groups: Vec<(String, String)> = Vec::new();
    for p in &con.state.policy_pack().policies {
        for g in &p.groups {
            if !groups.iter().any(|(c, _)| *c == g.code) {
                let name = if hi && !g.name_hi.is_empty() { &g.name_hi } else { &g.name };
                groups.push((g.code.clone(), format!("{} ({})", name, g.code)));
            }
        }
    }
    let label = |g: GroupValue| g.label(pack, lang).unwrap_or_else(|| g.code());
    ReportPage {
        l: con.layout.clone(),
        pick_state: districts.is_empty(),
        states,
        districts,
        block: cur("block").to_owned(),
        center: cur("center").to_owned(),
        from: cur("from").to_owned(),
        until: cur("until").to_owned(),
        doses: options(
            t.any,
            v.get("dose"),
            DoseBucket::ALL.into_iter().map(|d| (d.as_str().to_owned(), d.label(lang).to_owned())),
        ),
        vaccines: options(
            t.any,
            v.get("vaccine"),
            pack.vaccines.iter().map(|x| (x.code.as_str().to_owned(), x.name.clone())),
        ),
        age_groups: options(
            t.any,
            v.get("age_group"),
            AgeGroup::ALL.into_iter().map(|a| (a.as_str().to_owned(), a.as_str().to_owned())),
        ),
        genders: options(
            t.any,
            v.get("gender"),
            pack.genders.iter().map(|g| (g.id.to_string(), label(GroupValue::Gender(g.id)))),
        ),
        priority_groups: options(t.any, v.get("priority_group"), groups.into_iter()),
        facility_types: options(
            t.any,
            v.get("facility_type"),
            FacilityOwnership::ALL
                .into_iter()
                .map(|o| (o.as_str().to_owned(), label(GroupValue::Ownership(o)))),
        ),
        settings: options(
            t.any,
            v.get("setting"),
            Setting::ALL
                .into_iter()
                .map(|s| (s.as_str().to_owned(), label(GroupValue::Setting(s)))),
        ),
        group_bys: GroupBy::ALL
            .into_iter()
            .map(|g| {
                Opt::new(g.as_str(), g.title(lang), v.get("group_by").map_or("day", String::as_str))
            })
            .collect(),
        errors: Vec::new(),
        report: None,
        due: None,
    }
}

/// Where a row of areas leads: the report one level down (same filters), or a facility's
/// session reports.
fn drill(pairs: &[(String, String)], group: &GroupValue) -> (Option<String>, Option<String>) {
    let keep = query_string(pairs, &["state", "district", "block", "center"]);
    let down = |place: String| {
        let q = if keep.is_empty() { place } else { format!("{keep}&{place}") };
        Some(format!("/console/reports?{q}"))
    };
    match group {
        GroupValue::State(s) => (down(format!("state={s}")), None),
        GroupValue::District(d) => (down(format!("district={d}")), None),
        GroupValue::Block { district, block } => {
            (down(format!("district={district}&block={}", encode(block))), None)
        }
        GroupValue::Facility(c) => (None, Some(format!("/console/reports/sessions?center={c}"))),
        _ => (None, None),
    }
}

/// The charts of a report: (chart, map).
fn charts_of(con: &Con, view: &ReportView) -> (String, String) {
    let t = con.t;
    let lang = lang_code(con.lang);
    let group_by = view.query.group_by;
    let coverage = view.has_coverage();
    let chart = match group_by {
        GroupBy::Total => String::new(),
        GroupBy::Day => {
            let points: Vec<(NaiveDate, Option<i64>)> = view
                .lines
                .iter()
                .filter_map(|l| match l.group {
                    GroupValue::Day(d) => Some((d, Some(l.doses))),
                    _ => None,
                })
                .collect();
            charts::time_series(t.rp_chart_daily, &points, lang)
        }
        _ if view.lines.is_empty() => String::new(),
        _ => {
            let what = group_by.title(lang).to_lowercase();
            let (title, unit, bars) = if coverage {
                (
                    fill(t.rp_chart_coverage_by, &[("group", &what)]),
                    "%",
                    view.lines.iter().map(|l| (l.name.clone(), l.coverage_percent)).collect(),
                )
            } else {
                (
                    fill(t.rp_chart_doses_by, &[("group", &what)]),
                    t.rp_unit_doses,
                    view.lines
                        .iter()
                        .map(|l| (l.name.clone(), Some(l.doses as f64)))
                        .collect::<Vec<_>>(),
                )
            };
            charts::bars(&title, &bars, unit, lang)
        }
    };
    let level = match (&view.query.filter.area, group_by) {
        (Area::National, GroupBy::Area) => Some(MapLevel::State),
        (Area::State { .. }, GroupBy::Area) => Some(MapLevel::District),
        _ => None,
    };
    let map = match level {
        None => String::new(),
        Some(level) => {
            let values: HashMap<i64, f64> = view
                .lines
                .iter()
                .filter_map(|l| {
                    let id = match l.group {
                        GroupValue::State(s) => s.0,
                        GroupValue::District(d) => d.0,
                        _ => return None,
                    };
                    let value = if coverage { l.coverage_percent? } else { l.doses as f64 };
                    Some((id, value))
                })
                .collect();
            let title = if coverage { t.rp_map_coverage } else { t.rp_map_doses };
            charts::india_map(&con.state.pack, level, &values, title, lang)
        }
    };
    (chart, map)
}

fn report_part(con: &Con, pairs: &[(String, String)], view: &ReportView) -> ReportPart {
    let t = con.t;
    let f = &view.query.filter;
    let heading = format!(
        "{} · {} – {}",
        area_label(&con.state, con.lang, t, &f.area),
        tika_domain::date::format_cowin_date(f.from),
        tika_domain::date::format_cowin_date(f.until)
    );
    let lines = view
        .lines
        .iter()
        .map(|l| {
            let (href, sessions_href) = if view.query.group_by == GroupBy::Area {
                drill(pairs, &l.group)
            } else {
                (None, None)
            };
            LineView {
                code: l.code.clone(),
                name: l.name.clone(),
                href,
                sessions_href,
                doses: l.doses,
                cumulative: l.cumulative,
                coverage: percent(l.coverage_percent),
            }
        })
        .collect();
    let q = query_string(pairs, &[]);
    let lang_q = if q.is_empty() {
        format!("lang={}", lang_code(con.lang))
    } else {
        format!("{q}&lang={}", lang_code(con.lang))
    };
    let (chart, map) = charts_of(con, view);
    ReportPart {
        heading,
        generated: fill(
            t.rp_generated,
            &[("time", &reports::local_time(&con.state, view.generated_at_ms))],
        ),
        group_title: view.query.group_by.title(lang_code(con.lang)),
        lines,
        total_doses: view.total.doses,
        total_cumulative: view.total.cumulative,
        total_coverage: percent(view.total.coverage_percent),
        has_coverage: view.has_coverage(),
        show_total: view.query.group_by != GroupBy::Total,
        chart,
        map,
        csv_href: with_query("/console/reports.csv", &lang_q),
        xlsx_href: with_query("/console/reports.xlsx", &lang_q),
        json_href: with_query("/console/reports.json", &lang_q),
    }
}

fn due_part(v: &SecondDoseView) -> DuePart {
    DuePart {
        lines: v
            .lines
            .iter()
            .map(|l| DueView {
                code: l.code.clone(),
                name: l.name.clone(),
                not_due_yet: l.counts.not_due_yet,
                due: l.counts.due,
                overdue: l.counts.overdue,
            })
            .collect(),
        not_due_yet: v.total.not_due_yet,
        due: v.total.due,
        overdue: v.total.overdue,
    }
}

/// `GET /console/reports`.
async fn report_page(mut con: Con, q: Result<QueryPairs, ApiError>) -> PageResult {
    let who = con.admin("/console/reports")?;
    con.section("reports");
    let pairs = pairs(q)?;
    match reports::report(&con.state, &who, &pairs, con.lang).await {
        Ok(view) => {
            let due = reports::second_doses(&con.state, &who, &pairs, con.lang).await?;
            let mut page = fill_form(&con, &who, &form_values(&pairs, Some(&view)));
            page.report = Some(report_part(&con, &pairs, &view));
            page.due = Some(due_part(&due));
            con.render(&page)
        }
        Err(ApiError::Invalid(list)) => {
            let mut page = fill_form(&con, &who, &form_values(&pairs, None));
            page.errors = field_messages(&list);
            con.render_status(StatusCode::BAD_REQUEST, &page)
        }
        Err(e) => Err(e.into()),
    }
}

fn download(content_type: &str, file_name: &str, body: Vec<u8>) -> Response {
    (
        [
            (header::CONTENT_TYPE, content_type.to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"{file_name}\"")),
            (header::CACHE_CONTROL, "no-store".to_owned()),
        ],
        body,
    )
        .into_response()
}

/// `GET /console/reports.csv`.
async fn report_csv(mut con: Con, q: Result<QueryPairs, ApiError>) -> PageResult {
    let who = con.admin("/console/reports")?;
    let view = reports::report(&con.state, &who, &pairs(q)?, con.lang).await?;
    let body = reports::csv(&con.state, &view).into_bytes();
    Ok(download("text/csv; charset=utf-8", &reports::file_name(&view, "csv"), body))
}

/// `GET /console/reports.xlsx`.
async fn report_xlsx(mut con: Con, q: Result<QueryPairs, ApiError>) -> PageResult {
    let who = con.admin("/console/reports")?;
    let view = reports::report(&con.state, &who, &pairs(q)?, con.lang).await?;
    let body = reports::xlsx(&con.state, &view).await?;
    Ok(download(XLSX_TYPE, &reports::file_name(&view, "xlsx"), body))
}

/// `GET /console/reports.json`: the API's answer, as a download.
async fn report_json_download(mut con: Con, q: Result<QueryPairs, ApiError>) -> PageResult {
    let who = con.admin("/console/reports")?;
    let view = reports::report(&con.state, &who, &pairs(q)?, con.lang).await?;
    let body = serde_json::to_vec_pretty(&report_json(&view))
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("report JSON: {e}")))?;
    Ok(download("application/json", &reports::file_name(&view, "json"), body))
}

// ---------------------------------------------------------------------------------------------
// Session reports

struct SessionView {
    id: String,
    date: String,
    vaccine: String,
    cancelled: bool,
    planned: u32,
    booked: u32,
    arrived: u32,
    vaccinated: u32,
    walk_ins: u32,
    no_shows: u32,
    doses_given: u32,
    vials_used: u32,
    wasted: String,
    messages: String,
    booked_percent: String,
    no_show_percent: String,
}

#[derive(Template)]
#[template(path = "console_reports_sessions.html")]
struct SessionsPage {
    l: ConsoleLayout,
    center: String,
    from: String,
    until: String,
    errors: Vec<String>,
    heading: String,
    searched: bool,
    sessions: Vec<SessionView>,
}

fn session_views(con: &Con, f: &FacilitySessions) -> Vec<SessionView> {
    let t = con.t;
    f.sessions
        .iter()
        .map(|s| {
            let r = &s.report;
            SessionView {
                id: s.row.session.to_string(),
                date: con.date_label(s.row.date),
                vaccine: s.row.vaccine.clone(),
                cancelled: s.row.cancelled,
                planned: r.planned,
                booked: r.booked,
                arrived: r.arrived,
                vaccinated: r.vaccinated,
                walk_ins: r.walk_ins,
                no_shows: r.no_shows,
                doses_given: r.doses_given,
                vials_used: r.vials_used,
                wasted: r
                    .doses_wasted
                    .map_or_else(|| t.rp_not_closed.to_owned(), |w| w.to_string()),
                messages: format!("{} / {}", r.messages_sent, r.messages_delivered),
                booked_percent: percent(r.booked_percent),
                no_show_percent: percent(r.no_show_percent),
            }
        })
        .collect()
}

/// `GET /console/reports/sessions?center=&from=&until=`.
async fn sessions_page(mut con: Con, q: Result<QueryPairs, ApiError>) -> PageResult {
    let who = con.admin("/console/reports/sessions")?;
    con.section("reports");
    let mut pairs = pairs(q)?;
    if param(&pairs, "center").is_none()
        && let Some(c) = who.area.center()
    {
        pairs.push(("center".to_owned(), c.0.to_string()));
    }
    let mut page = SessionsPage {
        l: con.layout.clone(),
        center: param(&pairs, "center").unwrap_or_default().to_owned(),
        from: param(&pairs, "from").unwrap_or_default().to_owned(),
        until: param(&pairs, "until").unwrap_or_default().to_owned(),
        errors: Vec::new(),
        heading: String::new(),
        searched: false,
        sessions: Vec::new(),
    };
    if page.center.is_empty() {
        return con.render(&page);
    }
    match reports::facility_sessions(&con.state, &who, &pairs).await {
        Ok(f) => {
            let name =
                if con.lang == Lang::Hi && !f.name.1.is_empty() { &f.name.1 } else { &f.name.0 };
            page.heading = fill(con.t.rp_sessions_of, &[("name", name)]);
            page.from = ymd(f.from);
            page.until = ymd(f.until);
            page.searched = true;
            page.sessions = session_views(&con, &f);
            con.render(&page)
        }
        Err(ApiError::Invalid(list)) => {
            page.errors = field_messages(&list);
            con.render_status(StatusCode::BAD_REQUEST, &page)
        }
        Err(e) => Err(e.into()),
    }
}

// ---------------------------------------------------------------------------------------------
// Targets

struct TargetView {
    area: String,
    age_group: String,
    dose: String,
    population: u64,
}

#[derive(Template)]
#[template(path = "console_reports_targets.html")]
struct TargetsPage {
    l: ConsoleLayout,
    targets: Vec<TargetView>,
    can_upload: bool,
    rule: &'static str,
    error: Option<Message>,
    row_errors: Vec<String>,
}

fn target_view(con: &Con, t: &Target) -> TargetView {
    TargetView {
        area: area_label(&con.state, con.lang, con.t, &t.area),
        age_group: t
            .age_group
            .map_or_else(|| con.t.rp_every_age.to_owned(), |a| a.as_str().to_owned()),
        dose: t.dose.map_or_else(
            || con.t.rp_every_dose.to_owned(),
            |d| d.label(lang_code(con.lang)).to_owned(),
        ),
        population: t.population_eligible,
    }
}

async fn render_targets(
    mut con: Con,
    who: AdminPrincipal,
    failure: Option<ApiError>,
) -> PageResult {
    con.section("reports");
    let list = reports::targets(&con.state, &who).await?;
    let t = con.t;
    let (error, row_errors) = match &failure {
        None => (None, Vec::new()),
        Some(ApiError::Invalid(list)) => {
            (None, list.iter().map(|e| format!("{} ({})", e.message, e.field)).collect())
        }
        Some(e) => (Some(con.message(e)), Vec::new()),
    };
    let page = TargetsPage {
        targets: list.iter().map(|x| target_view(&con, x)).collect(),
        can_upload: reports::may_upload_targets(&who.area),
        rule: if matches!(who.area, Area::National) {
            t.rp_upload_national
        } else {
            t.rp_upload_area
        },
        error,
        row_errors,
        l: con.layout.clone(),
    };
    match failure {
        None => con.render(&page),
        Some(e) => con.render_status(e.status(), &page),
    }
}

/// `GET /console/reports/targets`.
async fn targets_page(mut con: Con) -> PageResult {
    let who = con.admin("/console/reports/targets")?;
    render_targets(con, who, None).await
}

/// `POST /console/reports/targets` (multipart: `csrf`, `file`).
async fn upload_targets(mut con: Con, mut form: Multipart) -> PageResult {
    let who = con.admin("/console/reports/targets")?;
    let mut csrf = String::new();
    let mut file: Option<(String, Vec<u8>)> = None;
    loop {
        let field = match form.next_field().await {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                let e = ApiError::bad_request("ADM0026", format!("The upload was cut off: {e}"));
                return render_targets(con, who, Some(e)).await;
            }
        };
        match field.name() {
            Some("csrf") => csrf = field.text().await.unwrap_or_default(),
            Some("file") => {
                let name = field.file_name().unwrap_or("targets.csv").to_owned();
                match field.bytes().await {
                    Ok(b) => file = Some((name, b.to_vec())),
                    Err(_) => {
                        let e = ApiError::bad_request(
                            "ADM0023",
                            format!(
                                "The file is larger than {} MB",
                                reports::MAX_TARGET_FILE_BYTES / (1024 * 1024)
                            ),
                        );
                        return render_targets(con, who, Some(e)).await;
                    }
                }
            }
            _ => {}
        }
    }
    con.check_csrf(&Fields::parse(&format!("csrf={}", encode(&csrf))))?;
    let Some((name, bytes)) = file.filter(|(_, b)| !b.is_empty()) else {
        let e = ApiError::bad_request("ADM0026", "Choose a file to upload");
        return render_targets(con, who, Some(e)).await;
    };
    match reports::upload_targets(&con.state, &who, &name, bytes).await {
        Ok(done) => {
            Ok(con.done("/console/reports/targets", "rp_targets", Some(&done.rows.to_string())))
        }
        Err(
            e @ (ApiError::Invalid(_) | ApiError::BadRequest { .. } | ApiError::Forbidden { .. }),
        ) => render_targets(con, who, Some(e)).await,
        Err(e) => Err(e.into()),
    }
}

/// `GET /console/reports/targets/sample.csv`.
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

#[cfg(test)]
mod tests {
    use super::*;

    fn p(list: &[(&str, &str)]) -> Vec<(String, String)> {
        list.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect()
    }

    #[test]
    fn downloads_and_drill_downs_keep_the_filters() {
        let pairs = p(&[("state", "21"), ("dose", "first"), ("lang", "hi"), ("group_by", "area")]);
        assert_eq!(query_string(&pairs, &[]), "state=21&dose=first&group_by=area");
        let (href, sessions) =
            drill(&pairs, &GroupValue::District(tika_domain::ids::DistrictId(395)));
        assert_eq!(href.as_deref(), Some("/console/reports?dose=first&group_by=area&district=395"));
        assert!(sessions.is_none());
        let (href, sessions) = drill(
            &pairs,
            &GroupValue::Block {
                district: tika_domain::ids::DistrictId(395),
                block: "WARD H EAST".into(),
            },
        );
        assert_eq!(
            href.as_deref(),
            Some("/console/reports?dose=first&group_by=area&district=395&block=WARD%20H%20EAST")
        );
        assert!(sessions.is_none());
        let (href, sessions) = drill(&pairs, &GroupValue::Facility(tika_domain::ids::CenterId(7)));
        assert!(href.is_none());
        assert_eq!(sessions.as_deref(), Some("/console/reports/sessions?center=7"));
    }
}
