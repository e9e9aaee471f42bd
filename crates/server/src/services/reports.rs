//! Officials' reports (issue 8): coverage by day and cumulative, by area, dose, vaccine, age
//! group, gender, priority group, facility type and setting, with targets and coverage; second
//! doses due and overdue per area; session reports; CSV and XLSX exports; the target upload;
//! and the background fold that counts doses into the roll-ups.
//!
//! # Numbers
//!
//! A report reads counters, never doses ([`tika_storage::ReportStore::report`]).  Doses reach
//! the counters through [`spawn_fold_worker`] (every second in `tika serve`), so a dose shows
//! in reports about a second after it is synced; tests call [`fold_now`].  The priority group
//! a dose is counted in is decided when it is folded, by the policy version in force on the
//! dose's day ([`classifier`]).  The page, the CSV and XLSX downloads and the JSON API all parse
//! the same query parameters with [`ReportQuery::parse`] and read the same [`ReportView`], so
//! the three give the same numbers.  Officials see every count ([`Suppression::NONE`]).
//!
//! # Who sees what
//!
//! A report covers the official's area when the query names no place.  A place outside the
//! area (`state`, `district`, `block`) answers [`ApiError::NotFound`], as the rest of the
//! console does; a facility (`center`) outside the area is treated as one that does not exist
//! (the query's `center` field error), so neither answer tells whether it exists.  Session
//! reports check the session's facility the same way.
//!
//! # Targets
//!
//! Targets (eligible population per area, age group and dose) come from an uploaded CSV or
//! XLSX with the columns of [`TARGET_COLUMNS`].  Every row is checked
//! ([`Target::parse_row`]), repeats are refused, and every problem is reported at once with
//! its spreadsheet row (the header is row 1); one bad row and nothing is written.  An official
//! sets the targets of the areas *below* their own: a national official every target (the
//! nation's too), a state official those of the districts and blocks of their state, a
//! district official those of its blocks; block and facility officials upload none.  An upload
//! replaces every target the uploader may set (national: all of them; otherwise the ones
//! strictly inside their area) and keeps the others, with an audit entry (counts, file name
//! and SHA-256), in one storage call.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDate;
use rust_xlsxwriter::{Format, Workbook, Worksheet};
use serde_json::json;
use tika_domain::admin::{Area, FieldError, Place};
use tika_domain::ids::{CenterId, SessionId};
use tika_domain::policy::PersonFacts;
use tika_domain::reports::{
    DueCounts, GroupBy, GroupValue, PublishedTable, ReportQuery, ReportRow, SessionReport,
    Suppression, TARGET_COLUMNS, Target, TargetSet, apply_targets, normalize_block,
    priority_group_code, render_csv, requested_center,
};
use tika_domain::vaccine::VaccineCode;
use tika_storage::{FoldFacts, PriorityClassifier, SessionCountsRow, StorageError};

use super::admin::{self, AdminPrincipal};
use super::search::Lang;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Pending doses folded per round (one transaction).
pub const FOLD_BATCH: u32 = 5_000;
/// How often the fold worker looks for pending doses.
pub const FOLD_EVERY: Duration = Duration::from_secs(1);
/// The largest target file accepted (20 MB: every block of the country, many times over).
pub const MAX_TARGET_FILE_BYTES: usize = 20 * 1024 * 1024;
/// The most rows a target file may have.
pub const MAX_TARGET_ROWS: usize = 200_000;
/// The most row problems reported for one upload (the rest are counted).
pub const MAX_TARGET_ERRORS: usize = 1_000;
/// The longest date range of a facility's session report, in days.
pub const MAX_SESSION_RANGE_DAYS: i64 = 93;
/// The range of a facility's session report when the query gives none: the 14 days ending today.
pub const DEFAULT_SESSION_RANGE_DAYS: i64 = 14;

/// The language code the domain's labels take.
pub fn lang_code(lang: Lang) -> &'static str {
    match lang {
        Lang::En => "en",
        Lang::Hi => "hi",
    }
}

// ---------------------------------------------------------------------------------------------
// Folding doses into the counters

/// The priority group of a dose: the best-ranked group, open on the dose's day, of the policy
/// version in force that day (the pack's and the console's versions, as loaded now).
pub fn classifier(state: &AppState) -> PriorityClassifier {
    let pack = state.policy_pack();
    Arc::new(move |f: &FoldFacts| {
        let facts = PersonFacts {
            birth_year: f.birth_year,
            comorbidity: f.comorbidity,
            occupation: f.occupation,
        };
        priority_group_code(pack.policy_on(f.date), &facts, f.date)
    })
}

/// What folding until nothing was pending did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Folded {
    /// Pending doses handled.
    pub doses: u64,
    /// Of those, counted.
    pub counted: u64,
    /// Of those, taken out of the counters.
    pub uncounted: u64,
}

/// Folds pending doses, [`FOLD_BATCH`] per transaction, until none is left.
pub async fn fold_now(state: &AppState) -> Result<Folded, StorageError> {
    let classify = classifier(state);
    let mut total = Folded::default();
    loop {
        let out = state.store.fold_doses(FOLD_BATCH, Arc::clone(&classify)).await?;
        total.doses += u64::from(out.doses);
        total.counted += u64::from(out.counted);
        total.uncounted += u64::from(out.uncounted);
        if !out.more {
            return Ok(total);
        }
    }
}

/// Folds pending doses every [`FOLD_EVERY`] until the process stops (`tika serve`, not on a
/// read-only server).  Failures are logged (no personal data: the error only) and retried on
/// the next tick.
pub fn spawn_fold_worker(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(FOLD_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tick.tick().await;
            match fold_now(&state).await {
                Ok(f) if f.doses > 0 => {
                    tracing::debug!(
                        doses = f.doses,
                        counted = f.counted,
                        uncounted = f.uncounted,
                        "doses folded into the report counters"
                    );
                }
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "report fold failed; retrying next second"),
            }
        }
    })
}

// ---------------------------------------------------------------------------------------------
// Areas

/// An area with its block name in the one form reports use.
fn normalized(area: &Area) -> Area {
    let mut a = area.clone();
    match &mut a {
        Area::Block { block, .. } | Area::Facility { block, .. } => *block = normalize_block(block),
        _ => {}
    }
    a
}

/// Whether the query names a place at all.
fn names_a_place<K: AsRef<str>, V: AsRef<str>>(params: &[(K, V)]) -> bool {
    params.iter().any(|(k, v)| {
        matches!(k.as_ref(), "state" | "district" | "block" | "center")
            && !v.as_ref().trim().is_empty()
    })
}

/// The place of the facility a query names, when it lies inside the official's area (one
/// outside is left unknown, like one that does not exist).
async fn facility_place(
    state: &AppState,
    who: &AdminPrincipal,
    params: &[(String, String)],
) -> ApiResult<Option<Place>> {
    let Some(id) = requested_center(params) else { return Ok(None) };
    match state.store.find_facility(id).await {
        Ok(f) if who.area.covers(&f.place()) => Ok(Some(f.place())),
        Ok(_) => {
            tracing::warn!(admin = %who.admin, center = id.0, "official asked for a report of a facility outside their area");
            Ok(None)
        }
        Err(StorageError::NotFound) => Ok(None),
        Err(e) => Err(e.into()),
    }
}

/// Parses a report query for an official: every field error at once (400 `ADM0001`), the
/// official's area when no place is named, 404 for a place outside the area.
pub async fn parse_query(
    state: &AppState,
    who: &AdminPrincipal,
    params: &[(String, String)],
) -> ApiResult<ReportQuery> {
    let facility = facility_place(state, who, params).await?;
    let mut query = ReportQuery::parse(params, &state.pack, facility.as_ref(), state.today())
        .map_err(ApiError::Invalid)?;
    let mine = normalized(&who.area);
    if !names_a_place(params) {
        query.filter.area = mine;
    } else if !mine.contains(&query.filter.area) {
        tracing::warn!(admin = %who.admin, "official asked for a report outside their area");
        return Err(ApiError::NotFound);
    }
    Ok(query)
}

// ---------------------------------------------------------------------------------------------
// Reports

/// One row of a report as shown: its group, code, name and numbers.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportLine {
    /// What the row stands for.
    pub group: GroupValue,
    /// Its stable code (`GroupValue::code`).
    pub code: String,
    /// Its name in the report's language.
    pub name: String,
    /// Doses in the range.
    pub doses: i64,
    /// Doses up to the end of the range (for a day: up to that day).
    pub cumulative: i64,
    /// Coverage against the target, when one applies.
    pub coverage_percent: Option<f64>,
}

/// The totals of a report.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReportTotal {
    /// Doses in the range.
    pub doses: i64,
    /// Doses up to the end of the range.
    pub cumulative: i64,
    /// Coverage of the whole filter, when a target applies.
    pub coverage_percent: Option<f64>,
}

/// A report: the query it answers, its rows and totals, in one language.
#[derive(Debug, Clone)]
pub struct ReportView {
    /// The query (area filled in).
    pub query: ReportQuery,
    /// The rows.
    pub lines: Vec<ReportLine>,
    /// The totals.
    pub total: ReportTotal,
    /// The rows as published (nothing hidden for officials): what the CSV writes.
    pub table: PublishedTable,
    /// The language of names and titles.
    pub lang: Lang,
    /// When it was computed (unix ms).
    pub generated_at_ms: i64,
}

impl ReportView {
    /// Whether any row or the total has a coverage figure (targets exist for it).
    pub fn has_coverage(&self) -> bool {
        self.total.coverage_percent.is_some()
            || self.lines.iter().any(|l| l.coverage_percent.is_some())
    }
}

/// Names of groups in a language: the pack's names, facilities' names from storage.
async fn group_names(
    state: &AppState,
    groups: impl Iterator<Item = &GroupValue>,
    lang: Lang,
) -> ApiResult<HashMap<GroupValue, String>> {
    let groups: Vec<&GroupValue> = groups.collect();
    let centers: Vec<CenterId> = groups
        .iter()
        .filter_map(|g| match g {
            GroupValue::Facility(c) => Some(*c),
            _ => None,
        })
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    let mut facility_names: HashMap<CenterId, String> = HashMap::new();
    if !centers.is_empty() {
        for (id, name, name_l) in state.store.center_names(&centers).await? {
            let n = if lang == Lang::Hi && !name_l.trim().is_empty() { name_l } else { name };
            facility_names.insert(id, n);
        }
    }
    let code = lang_code(lang);
    Ok(groups
        .into_iter()
        .map(|g| {
            let name = match g {
                GroupValue::Facility(c) => facility_names.get(c).cloned(),
                _ => g.label(&state.pack, code),
            }
            .unwrap_or_else(|| g.code());
            (g.clone(), name)
        })
        .collect())
}

/// The targets in force.
async fn target_set(state: &AppState) -> ApiResult<TargetSet> {
    let targets = state.store.targets().await?;
    TargetSet::build(targets).map_err(|e| {
        ApiError::Internal(anyhow::anyhow!("stored targets repeat an area: {} problems", e.len()))
    })
}

/// The report of a query (already parsed for the official: [`parse_query`]).
pub async fn report_for(state: &AppState, query: ReportQuery, lang: Lang) -> ApiResult<ReportView> {
    let mut rows: Vec<ReportRow> = state.store.report(&query).await?;
    let targets = target_set(state).await?;
    apply_targets(&mut rows, &query.filter, &targets);
    let day_series = query.group_by == GroupBy::Day;
    let doses: i64 = rows.iter().map(|r| r.doses).sum();
    let cumulative = if day_series {
        rows.last().map_or(0, |r| r.cumulative)
    } else {
        rows.iter().map(|r| r.cumulative).sum()
    };
    let mut total_row =
        [ReportRow { group: GroupValue::Total, doses, cumulative, coverage_percent: None }];
    apply_targets(&mut total_row, &query.filter, &targets);
    let total = ReportTotal { doses, cumulative, coverage_percent: total_row[0].coverage_percent };
    let names = group_names(state, rows.iter().map(|r| &r.group), lang).await?;
    let lines = rows
        .iter()
        .map(|r| ReportLine {
            code: r.group.code(),
            name: names.get(&r.group).cloned().unwrap_or_else(|| r.group.code()),
            group: r.group.clone(),
            doses: r.doses,
            cumulative: r.cumulative,
            coverage_percent: r.coverage_percent,
        })
        .collect();
    Ok(ReportView {
        table: Suppression::NONE.apply(&rows),
        query,
        lines,
        total,
        lang,
        generated_at_ms: state.now_ms(),
    })
}

/// An official's report from query parameters: parsed with every field error at once (400),
/// inside their area (404 outside), with coverage where targets apply.
pub async fn report(
    state: &AppState,
    who: &AdminPrincipal,
    params: &[(String, String)],
    lang: Lang,
) -> ApiResult<ReportView> {
    let query = parse_query(state, who, params).await?;
    report_for(state, query, lang).await
}

// ---------------------------------------------------------------------------------------------
// Describing a filter, exports

/// The filter of a report as (parameter, value in words) pairs: the query's own parameter
/// names, with names from the pack and facility names in the report's language.
pub async fn describe_filter(
    state: &AppState,
    view: &ReportView,
) -> ApiResult<Vec<(&'static str, String)>> {
    let f = &view.query.filter;
    let lang = lang_code(view.lang);
    let pack = &state.pack;
    let label = |g: GroupValue| g.label(pack, lang).unwrap_or_else(|| g.code());
    let mut out = vec![("level", f.area.level().as_str().to_owned())];
    if let Some(s) = f.area.state() {
        out.push(("state", format!("{s} {}", label(GroupValue::State(s)))));
    }
    if let Some(d) = f.area.district() {
        out.push(("district", format!("{d} {}", label(GroupValue::District(d)))));
    }
    if let Some(b) = f.area.block() {
        out.push(("block", b.to_owned()));
    }
    if let Some(c) = f.area.center() {
        let names = group_names(state, [GroupValue::Facility(c)].iter(), view.lang).await?;
        let name = names.get(&GroupValue::Facility(c)).cloned().unwrap_or_default();
        out.push(("center", format!("{c} {name}")));
    }
    out.push(("from", f.from.format("%Y-%m-%d").to_string()));
    out.push(("until", f.until.format("%Y-%m-%d").to_string()));
    if let Some(d) = f.dose {
        out.push(("dose", label(GroupValue::Dose(d))));
    }
    if let Some(v) = &f.vaccine {
        out.push(("vaccine", label(GroupValue::Vaccine(v.clone()))));
    }
    if let Some(a) = f.age_group {
        out.push(("age_group", label(GroupValue::AgeGroup(a))));
    }
    if let Some(g) = f.gender_id {
        out.push(("gender", label(GroupValue::Gender(g))));
    }
    if let Some(p) = &f.priority_group {
        out.push(("priority_group", p.clone()));
    }
    if let Some(o) = f.ownership {
        out.push(("facility_type", label(GroupValue::Ownership(o))));
    }
    if let Some(s) = f.setting {
        out.push(("setting", label(GroupValue::Setting(s))));
    }
    out.push(("group_by", view.query.group_by.title(lang).to_owned()));
    Ok(out)
}

/// `YYYY-MM-DD HH:MM` in the country's time zone.
pub fn local_time(state: &AppState, ms: i64) -> String {
    let offset = chrono::Duration::minutes(i64::from(state.pack.timezone_offset_minutes));
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| (t.naive_utc() + offset).format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

/// The column titles of a report table (the CSV's, [`render_csv`]).
pub fn column_titles(group_by: GroupBy, lang: Lang) -> [&'static str; 5] {
    match lang {
        Lang::Hi => [group_by.title("hi"), "नाम", "खुराकें", "कुल खुराकें (संचयी)", "कवरेज %"],
        Lang::En => [group_by.title("en"), "Name", "Doses", "Cumulative doses", "Coverage %"],
    }
}

/// The report as CSV ([`render_csv`]: `code, name, doses, cumulative, coverage_percent`).
pub fn csv(state: &AppState, view: &ReportView) -> String {
    let names: HashMap<&GroupValue, &str> =
        view.lines.iter().map(|l| (&l.group, l.name.as_str())).collect();
    render_csv(&view.table, view.query.group_by, &state.pack, lang_code(view.lang), &|g| {
        names.get(g).map(|n| (*n).to_owned())
    })
}

fn xlsx_error(e: rust_xlsxwriter::XlsxError) -> ApiError {
    ApiError::Internal(anyhow::anyhow!("writing the XLSX report failed: {e}"))
}

/// The report as an XLSX workbook: the sheet "Report" with the CSV's columns (a header row,
/// counts and coverage as numbers), and the sheet "About" with the filter and the time it was
/// generated.
pub async fn xlsx(state: &AppState, view: &ReportView) -> ApiResult<Vec<u8>> {
    let about = describe_filter(state, view).await?;
    let bold = Format::new().set_bold();
    let one_decimal = Format::new().set_num_format("0.0");
    let mut sheet = Worksheet::new();
    sheet.set_name("Report").map_err(xlsx_error)?;
    for (col, title) in (0u16..).zip(column_titles(view.query.group_by, view.lang)) {
        sheet.write_string_with_format(0, col, title, &bold).map_err(xlsx_error)?;
    }
    for (row, line) in (1u32..).zip(&view.lines) {
        sheet.write_string(row, 0, &line.code).map_err(xlsx_error)?;
        sheet.write_string(row, 1, &line.name).map_err(xlsx_error)?;
        sheet.write_number(row, 2, line.doses as f64).map_err(xlsx_error)?;
        sheet.write_number(row, 3, line.cumulative as f64).map_err(xlsx_error)?;
        if let Some(p) = line.coverage_percent {
            sheet.write_number_with_format(row, 4, p, &one_decimal).map_err(xlsx_error)?;
        }
    }
    sheet.set_column_width(0, 14).map_err(xlsx_error)?;
    sheet.set_column_width(1, 36).map_err(xlsx_error)?;
    sheet.set_column_width(2, 12).map_err(xlsx_error)?;
    sheet.set_column_width(3, 18).map_err(xlsx_error)?;
    sheet.set_column_width(4, 12).map_err(xlsx_error)?;
    let mut info = Worksheet::new();
    info.set_name("About").map_err(xlsx_error)?;
    info.write_string_with_format(0, 0, "parameter", &bold).map_err(xlsx_error)?;
    info.write_string_with_format(0, 1, "value", &bold).map_err(xlsx_error)?;
    let generated = local_time(state, view.generated_at_ms);
    let rows = about
        .iter()
        .map(|(k, v)| (*k, v.as_str()))
        .chain([("generated_at", generated.as_str()), ("source", "Tika")]);
    for (row, (k, v)) in (1u32..).zip(rows) {
        info.write_string(row, 0, k).map_err(xlsx_error)?;
        info.write_string(row, 1, v).map_err(xlsx_error)?;
    }
    info.set_column_width(0, 16).map_err(xlsx_error)?;
    info.set_column_width(1, 48).map_err(xlsx_error)?;
    let mut book = Workbook::new();
    book.push_worksheet(sheet);
    book.push_worksheet(info);
    book.save_to_buffer().map_err(xlsx_error)
}

/// A download's file name: `tika-report-<level>[-<id>]-<group_by>-<from>-<until>.<ext>`.
pub fn file_name(view: &ReportView, ext: &str) -> String {
    let f = &view.query.filter;
    let place = match &f.area {
        Area::National => "national".to_owned(),
        Area::State { state } => format!("state-{state}"),
        Area::District { district, .. } => format!("district-{district}"),
        Area::Block { district, block, .. } => {
            let b: String = block
                .chars()
                .map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' })
                .collect();
            format!("block-{district}-{b}")
        }
        Area::Facility { center, .. } => format!("facility-{center}"),
    };
    format!(
        "tika-report-{place}-{}-{}-{}.{ext}",
        view.query.group_by.as_str(),
        f.from.format("%Y%m%d"),
        f.until.format("%Y%m%d")
    )
}

// ---------------------------------------------------------------------------------------------
// Second doses due

/// One area's people waiting for a second dose.
#[derive(Debug, Clone, PartialEq)]
pub struct DueLine {
    /// The area (one level below the report's).
    pub group: GroupValue,
    /// Its code.
    pub code: String,
    /// Its name.
    pub name: String,
    /// The counts.
    pub counts: DueCounts,
}

/// Second doses due and overdue per area: who to call back.
#[derive(Debug, Clone)]
pub struct SecondDoseView {
    /// The area.
    pub area: Area,
    /// The day the statuses are for (today).
    pub today: NaiveDate,
    /// Per area one level below.
    pub lines: Vec<DueLine>,
    /// The sums.
    pub total: DueCounts,
}

/// The interval window of every two-dose vaccine under the policy version in force on `day`.
fn due_windows(
    state: &AppState,
    day: NaiveDate,
) -> HashMap<VaccineCode, (Option<u32>, Option<u32>)> {
    let policy = state.policy_on(day);
    state
        .pack
        .vaccines
        .iter()
        .filter(|v| v.doses_in_series >= 2)
        .map(|v| (v.code.clone(), tika_domain::eligibility::interval_window(&policy, v)))
        .collect()
}

/// Second doses due and overdue per area below the query's area (the same parameters as a
/// report; only the place is used).
pub async fn second_doses(
    state: &AppState,
    who: &AdminPrincipal,
    params: &[(String, String)],
    lang: Lang,
) -> ApiResult<SecondDoseView> {
    let query = parse_query(state, who, params).await?;
    let area = query.filter.area;
    let today = state.today();
    let pending = state.store.pending_second(&area).await?;
    let by_area = DueCounts::by_area(&pending, &area, &due_windows(state, today), today);
    let names = group_names(state, by_area.iter().map(|(g, _)| g), lang).await?;
    let mut total = DueCounts::default();
    let lines = by_area
        .into_iter()
        .map(|(group, counts)| {
            total.not_due_yet += counts.not_due_yet;
            total.due += counts.due;
            total.overdue += counts.overdue;
            DueLine {
                code: group.code(),
                name: names.get(&group).cloned().unwrap_or_else(|| group.code()),
                group,
                counts,
            }
        })
        .collect();
    Ok(SecondDoseView { area, today, lines, total })
}

// ---------------------------------------------------------------------------------------------
// Session reports

/// One session's report with what identifies it.
#[derive(Debug, Clone)]
pub struct SessionLine {
    /// The session, its day, vaccine, whether cancelled, and its counts.
    pub row: SessionCountsRow,
    /// The report built from the counts.
    pub report: SessionReport,
}

fn session_line(row: SessionCountsRow) -> SessionLine {
    SessionLine { report: SessionReport::build(&row.counts), row }
}

/// A facility's session reports.
#[derive(Debug, Clone)]
pub struct FacilitySessions {
    /// The facility.
    pub center: CenterId,
    /// Its name (English) and local name.
    pub name: (String, String),
    /// First day.
    pub from: NaiveDate,
    /// Last day.
    pub until: NaiveDate,
    /// Its sessions on those days, by date.
    pub sessions: Vec<SessionLine>,
}

fn field(name: &'static str, message: impl Into<String>) -> FieldError {
    FieldError { field: name, message: message.into() }
}

/// The session reports of a facility of the area over `from..=until` (`center` is required;
/// dates `YYYY-MM-DD`, by default the [`DEFAULT_SESSION_RANGE_DAYS`] days ending today, at most
/// [`MAX_SESSION_RANGE_DAYS`] days), every field error at once.
pub async fn facility_sessions(
    state: &AppState,
    who: &AdminPrincipal,
    params: &[(String, String)],
) -> ApiResult<FacilitySessions> {
    let get = |name: &str| {
        params
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim())
            .filter(|v| !v.is_empty())
    };
    let mut errors = Vec::new();
    let center = match get("center") {
        None => {
            errors.push(field("center", "is required"));
            None
        }
        Some(s) => match s.parse::<i64>() {
            Ok(c) => Some(CenterId(c)),
            Err(_) => {
                errors.push(field("center", "must be a facility id"));
                None
            }
        },
    };
    let date = |name: &'static str, errors: &mut Vec<FieldError>| {
        get(name).and_then(|s| match tika_domain::date::parse_cowin_date(s) {
            Ok(d) => Some(d),
            Err(_) => {
                errors.push(field(name, "must be a date YYYY-MM-DD"));
                None
            }
        })
    };
    let before = errors.len();
    let until = date("until", &mut errors).unwrap_or_else(|| state.today());
    let from = date("from", &mut errors)
        .unwrap_or_else(|| until - chrono::Duration::days(DEFAULT_SESSION_RANGE_DAYS - 1));
    if errors.len() == before {
        if from > until {
            errors.push(field("from", "must not be after the last date"));
        } else if (until - from).num_days() >= MAX_SESSION_RANGE_DAYS {
            errors.push(field(
                "from",
                format!("a session report covers at most {MAX_SESSION_RANGE_DAYS} days"),
            ));
        }
    }
    let (Some(center), true) = (center, errors.is_empty()) else {
        return Err(ApiError::Invalid(errors));
    };
    let facility = admin::facility(state, who, center).await?;
    let rows = state.store.facility_session_counts(center, from, until).await?;
    Ok(FacilitySessions {
        center,
        name: (facility.center.name.clone(), facility.center.name_l.clone()),
        from,
        until,
        sessions: rows.into_iter().map(session_line).collect(),
    })
}

/// One session's report, when its facility is inside the official's area (404 otherwise).
pub async fn session_report(
    state: &AppState,
    who: &AdminPrincipal,
    id: SessionId,
) -> ApiResult<(CenterId, SessionLine)> {
    let session = admin::session(state, who, id).await?;
    let row = state.store.session_counts(id).await?;
    Ok((session.center_id, session_line(row)))
}

// ---------------------------------------------------------------------------------------------
// Targets

/// Whether an official may set the target of an area: a national official every area, others
/// only the areas strictly inside their own.
pub fn may_set_target(who: &Area, target: &Area) -> bool {
    match who {
        Area::National => true,
        _ => target.level() > who.level() && normalized(who).contains(&normalized(target)),
    }
}

/// Whether an official may upload targets at all (national, state and district officials).
pub fn may_upload_targets(who: &Area) -> bool {
    matches!(who, Area::National | Area::State { .. } | Area::District { .. })
}

/// The targets that concern an official: those of their area, of the areas inside it, and of
/// the areas containing it (the denominators of their reports).
pub async fn targets(state: &AppState, who: &AdminPrincipal) -> ApiResult<Vec<Target>> {
    let mine = normalized(&who.area);
    let mut list: Vec<Target> = state
        .store
        .targets()
        .await?
        .into_iter()
        .filter(|t| {
            let a = normalized(&t.area);
            mine.contains(&a) || a.contains(&mine)
        })
        .collect();
    list.sort_by(|a, b| {
        let key = |t: &Target| {
            (
                t.area.level(),
                t.area.state(),
                t.area.district(),
                t.area.block().map(normalize_block),
                t.age_group,
                t.dose,
            )
        };
        key(a).cmp(&key(b))
    });
    Ok(list)
}

/// What an accepted target upload did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TargetsUploaded {
    /// Rows in the file (targets now set by this upload).
    pub rows: usize,
    /// Targets the upload replaced (the uploader's, before).
    pub replaced: usize,
    /// Targets in force now, in the whole country.
    pub in_force: usize,
}

fn row_error(errors: &mut Vec<FieldError>, row: u64, field_name: &'static str, message: &str) {
    errors.push(field(field_name, format!("row {row}: {message}")));
}

/// Checks an uploaded target file (see the module documentation): every problem at once, as
/// field errors whose messages start with the spreadsheet row.
fn check_target_file(
    state: &AppState,
    who: &AdminPrincipal,
    file_name: &str,
    bytes: Vec<u8>,
) -> ApiResult<Vec<Target>> {
    if bytes.len() > MAX_TARGET_FILE_BYTES {
        return Err(ApiError::bad_request(
            "ADM0023",
            format!("The file is larger than {} MB", MAX_TARGET_FILE_BYTES / (1024 * 1024)),
        ));
    }
    let (header, rows) = admin::bulk::read_table(file_name, bytes)?;
    Target::check_header(&header.iter().collect::<Vec<_>>())
        .map_err(|e| ApiError::Invalid(vec![e]))?;
    if rows.is_empty() {
        return Err(ApiError::bad_request("ADM0025", "The file has a header but no rows"));
    }
    if rows.len() > MAX_TARGET_ROWS {
        return Err(ApiError::bad_request(
            "ADM0024",
            format!("The file has more than {MAX_TARGET_ROWS} rows"),
        ));
    }
    let mut errors: Vec<FieldError> = Vec::new();
    let mut rows_with_errors = 0usize;
    let mut seen: HashMap<(Area, Option<_>, Option<_>), u64> = HashMap::new();
    let mut targets = Vec::with_capacity(rows.len());
    for (line, record) in &rows {
        let before = errors.len();
        let cells: Vec<&str> = record.iter().collect();
        match Target::parse_row(&cells, &state.pack) {
            Err(list) => {
                for e in list {
                    row_error(&mut errors, *line, e.field, &e.message);
                }
            }
            Ok(t) => {
                if !may_set_target(&who.area, &t.area) {
                    let why = if matches!(t.area, Area::National | Area::State { .. })
                        && !matches!(who.area, Area::National)
                    {
                        "only national officials set national and state targets"
                    } else {
                        "is outside the areas you set targets for"
                    };
                    row_error(&mut errors, *line, "area", why);
                }
                let key = (normalized(&t.area), t.age_group, t.dose);
                if let Some(first) = seen.get(&key) {
                    row_error(
                        &mut errors,
                        *line,
                        "area",
                        &format!("repeats the area, age group and dose of row {first}"),
                    );
                } else {
                    seen.insert(key, *line);
                }
                targets.push(t);
            }
        }
        if errors.len() > before {
            rows_with_errors += 1;
        }
    }
    if errors.is_empty() {
        return Ok(targets);
    }
    if errors.len() > MAX_TARGET_ERRORS {
        errors.truncate(MAX_TARGET_ERRORS);
        errors.push(field(
            "file",
            format!(
                "{rows_with_errors} rows have problems; the first {MAX_TARGET_ERRORS} problems are listed"
            ),
        ));
    }
    Err(ApiError::Invalid(errors))
}

/// Uploads targets (CSV or XLSX): all rows or nothing, replacing the targets the official
/// sets and keeping the others (see the module documentation).
pub async fn upload_targets(
    state: &AppState,
    who: &AdminPrincipal,
    file_name: &str,
    bytes: Vec<u8>,
) -> ApiResult<TargetsUploaded> {
    if !may_upload_targets(&who.area) {
        tracing::info!(admin = %who.admin, "target upload refused for the level");
        return Err(ApiError::Forbidden {
            code: "ADM0004",
            message: format!("A {} official cannot upload targets", who.area.level()),
        });
    }
    let sha256 = admin::bulk::file_sha256(&bytes);
    let uploaded = check_target_file(state, who, file_name, bytes)?;
    let current = state.store.targets().await?;
    let (replaced, kept): (Vec<Target>, Vec<Target>) =
        current.into_iter().partition(|t| may_set_target(&who.area, &t.area));
    let rows = uploaded.len();
    let mut all = kept;
    all.extend(uploaded);
    // The final word on repeats (the rows were checked above; kept targets are outside them).
    let _ = TargetSet::build(all.clone()).map_err(ApiError::Invalid)?;
    let in_force = all.len();
    let audit = admin::change(
        state,
        who,
        "report.targets.replace",
        "targets".to_owned(),
        admin::area_place(&who.area),
        Some(json!({ "targets": replaced.len() })),
        Some(json!({
            "targets": rows,
            "in_force": in_force,
            "file_name": file_name,
            "file_sha256": sha256,
        })),
    );
    state.store.replace_targets(&all, &audit, state.now_ms()).await?;
    tracing::info!(admin = %who.admin, rows, replaced = replaced.len(), in_force, "targets uploaded");
    Ok(TargetsUploaded { rows, replaced: replaced.len(), in_force })
}

/// A sample target file: the columns, a state row, a district row and a block row.
pub fn sample_targets_csv() -> String {
    format!(
        "{}\r\n21,,,18-44,,45000000\r\n21,395,,18-44,first,4200000\r\n21,395,Ward H East,60+,,120000\r\n",
        TARGET_COLUMNS.join(",")
    )
}

#[cfg(test)]
mod tests {
    use tika_domain::ids::{DistrictId, StateId};

    use super::*;

    fn district() -> Area {
        Area::District { state: StateId(21), district: DistrictId(395) }
    }

    #[test]
    fn officials_set_the_targets_below_their_area() {
        let state = Area::State { state: StateId(21) };
        let block = Area::Block {
            state: StateId(21),
            district: DistrictId(395),
            block: "Ward H East".into(),
        };
        assert!(may_set_target(&Area::National, &Area::National));
        assert!(may_set_target(&Area::National, &state));
        assert!(!may_set_target(&state, &state));
        assert!(may_set_target(&state, &district()));
        assert!(may_set_target(&state, &block));
        assert!(!may_set_target(&state, &Area::State { state: StateId(20) }));
        assert!(!may_set_target(&district(), &district()));
        assert!(may_set_target(&district(), &block));
        assert!(!may_set_target(
            &district(),
            &Area::District { state: StateId(21), district: DistrictId(403) }
        ));
        assert!(may_upload_targets(&district()) && !may_upload_targets(&block));
    }

    #[test]
    fn the_sample_file_has_the_target_columns() {
        let csv = sample_targets_csv();
        let first = csv.lines().next().unwrap_or_default();
        assert_eq!(first, TARGET_COLUMNS.join(","));
        assert_eq!(csv.lines().count(), 4);
    }

    #[test]
    fn a_place_is_named_only_by_a_non_blank_place_parameter() {
        assert!(!names_a_place(&[("from", "2026-01-01"), ("state", " ")]));
        assert!(names_a_place(&[("district", "395")]));
        assert!(names_a_place(&[("center", "1")]));
    }
}
