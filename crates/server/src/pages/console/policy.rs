//! Console pages for the campaign policy as versioned data and surveys of comorbidities.
//!
//! | Route | Page |
//! |---|---|
//! | `GET /console/policy` | versions (the one in force today marked); national: the next-version form |
//! | `POST /console/policy` | add a version (national only; the service decides) |
//! | `GET /console/policy/{version}` | one version's groups and intervals |
//! | `GET /console/surveys` | find a person (`?ref=`), the survey form, CSV upload, recent surveys |
//! | `POST /console/surveys` | record one survey |
//! | `POST /console/surveys/upload` | a CSV of surveys (multipart), all or nothing, problems by row |

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, Path};
use axum::http::StatusCode;
use axum::routing::{get, post};
use chrono::NaiveDate;
use tika_domain::country::Policy;
use tika_domain::policy::{GroupForm, IntervalForm, Occupation, PolicyForm};

use super::{Con, ConsoleLayout, FormErrors};
use crate::error::ApiError;
use crate::pages::context::{Fields, FormFields, PageError, PageResult, QueryFields, encode};
use crate::pages::i18n::{self, Texts};
use crate::services::admin::AdminPrincipal;
use crate::services::admin::policy::{self as svc, SurveyForm, VersionView};
use crate::services::search::Lang;
use crate::state::AppState;

/// Blank group rows offered after the current ones.
const BLANK_GROUPS: usize = 2;
/// The largest CSV a page upload reads.
const MAX_UPLOAD_BYTES: usize = svc::MAX_SURVEY_BYTES;

/// The routes (under `/console`).
pub(super) fn router() -> Router<AppState> {
    Router::new()
        .route("/console/policy", get(list).post(create))
        .route("/console/policy/{version}", get(show))
        .route("/console/surveys", get(surveys).post(record))
        // The form's other fields and the multipart framing ride on top of the file.
        .route(
            "/console/surveys/upload",
            post(upload).layer(DefaultBodyLimit::max(MAX_UPLOAD_BYTES + 64 * 1024)),
        )
}

// ---------------------------------------------------------------------------------------------
// Policy versions
// ---------------------------------------------------------------------------------------------

struct VersionRow {
    version: String,
    href: String,
    effective: String,
    min_age: String,
    groups: String,
    source: &'static str,
    status: &'static str,
    status_class: &'static str,
    note: String,
}

struct GroupRow {
    code: String,
    name: String,
    rank: String,
    opens: String,
    occupations: String,
    ages: String,
    age_on: String,
    comorbidity: bool,
}

struct IntervalRow {
    vaccine: String,
    min: String,
    max: String,
}

struct OccBox {
    value: &'static str,
    label: &'static str,
    checked: bool,
}

struct GroupInput {
    i: usize,
    code: String,
    name: String,
    name_hi: String,
    rank: String,
    opens: String,
    occupations: Vec<OccBox>,
    min_age: String,
    max_age: String,
    age_on: String,
    comorbidity: bool,
}

struct IntervalInput {
    i: usize,
    vaccine: String,
    hint: String,
    min: String,
    max: String,
}

struct NewVersionView {
    version: String,
    effective_from: String,
    min_age_years: String,
    note: String,
    groups: Vec<GroupInput>,
    groups_n: usize,
    intervals: Vec<IntervalInput>,
    intervals_n: usize,
}

#[derive(Template)]
#[template(path = "console_policy.html")]
struct PolicyPage {
    l: ConsoleLayout,
    versions: Vec<VersionRow>,
    can_change: bool,
    f: NewVersionView,
    errs: FormErrors,
    others: Vec<String>,
    created: Option<String>,
}

#[derive(Template)]
#[template(path = "console_policy_version.html")]
struct VersionPage {
    l: ConsoleLayout,
    v: VersionRow,
    based_on: Option<String>,
    groups: Vec<GroupRow>,
    intervals: Vec<IntervalRow>,
}

fn iso(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn opt(n: Option<impl ToString>) -> String {
    n.map(|v| v.to_string()).unwrap_or_default()
}

fn occupation_label(t: &Texts, o: Occupation) -> &'static str {
    match o {
        Occupation::HealthWorker => t.con_pol_occ_health_worker,
        Occupation::FrontlineWorker => t.con_pol_occ_frontline_worker,
        Occupation::Other => t.con_pol_occ_other,
    }
}

fn version_row(con: &Con, v: &VersionView) -> VersionRow {
    let t = con.t;
    let (status, status_class) = if v.in_force {
        (t.con_pol_in_force, "status-on")
    } else if v.upcoming {
        (t.con_pol_upcoming, "status-upcoming")
    } else {
        (t.con_pol_past, "muted")
    };
    VersionRow {
        version: v.policy.version.clone(),
        href: format!("/console/policy/{}", encode(&v.policy.version)),
        effective: con.date_label(v.policy.effective_from),
        min_age: v.policy.min_age_years.to_string(),
        groups: if v.policy.groups.is_empty() {
            t.con_pol_open_to_all.to_owned()
        } else {
            i18n::fill(t.con_pol_groups_n, &[("n", &v.policy.groups.len().to_string())])
        },
        source: if v.source == "console" {
            t.con_pol_source_console
        } else {
            t.con_pol_source_pack
        },
        status,
        status_class,
        note: v.note.clone(),
    }
}

fn group_rows(con: &Con, p: &Policy) -> Vec<GroupRow> {
    p.groups
        .iter()
        .map(|g| GroupRow {
            code: g.code.clone(),
            name: if con.lang == Lang::Hi { g.name_hi.clone() } else { g.name.clone() },
            rank: g.rank.to_string(),
            opens: con.date_label(g.opens),
            occupations: if g.rule.occupations.is_empty() {
                con.t.con_pol_any.to_owned()
            } else {
                g.rule
                    .occupations
                    .iter()
                    .map(|o| occupation_label(con.t, *o))
                    .collect::<Vec<_>>()
                    .join(", ")
            },
            ages: match (g.rule.min_age, g.rule.max_age) {
                (None, None) => con.t.con_pol_any.to_owned(),
                (Some(a), None) => format!("{a}+"),
                (None, Some(b)) => format!("≤ {b}"),
                (Some(a), Some(b)) => format!("{a}–{b}"),
            },
            age_on: g.rule.age_on.map(|d| con.date_label(d)).unwrap_or_default(),
            comorbidity: g.rule.comorbidity,
        })
        .collect()
}

/// The form's view of a [`PolicyForm`]: its group rows plus blank ones, and a row for each
/// vaccine with an interval (filled where the form overrides it).
fn form_view(con: &Con, form: &PolicyForm) -> NewVersionView {
    let t = con.t;
    let mut groups: Vec<GroupInput> = form
        .groups
        .iter()
        .enumerate()
        .map(|(i, g)| GroupInput {
            i,
            code: g.code.clone(),
            name: g.name.clone(),
            name_hi: g.name_hi.clone(),
            rank: opt(g.rank),
            opens: g.opens.map(iso).unwrap_or_default(),
            occupations: Occupation::ALL
                .iter()
                .map(|o| OccBox {
                    value: o.as_str(),
                    label: occupation_label(t, *o),
                    checked: g.occupations.iter().any(|x| x == o.as_str()),
                })
                .collect(),
            min_age: opt(g.min_age),
            max_age: opt(g.max_age),
            age_on: g.age_on.map(iso).unwrap_or_default(),
            comorbidity: g.comorbidity,
        })
        .collect();
    for _ in 0..BLANK_GROUPS {
        let i = groups.len();
        groups.push(GroupInput {
            i,
            code: String::new(),
            name: String::new(),
            name_hi: String::new(),
            rank: String::new(),
            opens: String::new(),
            occupations: Occupation::ALL
                .iter()
                .map(|o| OccBox {
                    value: o.as_str(),
                    label: occupation_label(t, *o),
                    checked: false,
                })
                .collect(),
            min_age: String::new(),
            max_age: String::new(),
            age_on: String::new(),
            comorbidity: false,
        });
    }
    let intervals: Vec<IntervalInput> = con
        .state
        .pack
        .vaccines
        .iter()
        .filter(|v| v.doses_in_series > 1)
        .enumerate()
        .map(|(i, v)| {
            let set =
                form.intervals.iter().find(|r| r.vaccine.eq_ignore_ascii_case(v.code.as_str()));
            IntervalInput {
                i,
                vaccine: v.code.as_str().to_owned(),
                hint: i18n::fill(
                    t.con_pol_catalogue,
                    &[("min", &opt(v.min_interval_days)), ("max", &opt(v.max_interval_days))],
                ),
                min: set.map(|r| opt(r.min_days)).unwrap_or_default(),
                max: set.map(|r| opt(r.max_days)).unwrap_or_default(),
            }
        })
        .collect();
    NewVersionView {
        version: form.version.clone(),
        effective_from: form.effective_from.map(iso).unwrap_or_default(),
        min_age_years: opt(form.min_age_years),
        note: form.note.clone(),
        groups_n: groups.len(),
        groups,
        intervals_n: intervals.len(),
        intervals,
    }
}

fn policy_page(
    con: &Con,
    who: &AdminPrincipal,
    form: &PolicyForm,
    errs: FormErrors,
    created: Option<String>,
) -> PolicyPage {
    let who_can = con.layout.can("policy");
    PolicyPage {
        l: con.layout.clone(),
        versions: svc::list_versions(&con.state, who)
            .iter()
            .rev()
            .map(|v| version_row(con, v))
            .collect(),
        can_change: who_can,
        f: form_view(con, form),
        others: errs.others(&[
            "version",
            "effective_from",
            "min_age_years",
            "groups",
            "intervals",
            "note",
        ]),
        errs,
        created,
    }
}

/// `GET /console/policy`.
async fn list(mut con: Con) -> PageResult {
    let who = con.admin("/console/policy")?;
    con.section("policy");
    let form = svc::next_version_form(&con.state);
    con.render(&policy_page(&con, &who, &form, FormErrors::default(), None))
}

fn parse_number(
    form: &Fields,
    name: &str,
    errs: &mut FormErrors,
    field: &str,
    bad: &str,
) -> Option<u32> {
    let v = form.get(name)?;
    match v.parse::<u32>() {
        Ok(n) => Some(n),
        Err(_) => {
            errs.add(field, format!("{name}: {bad}"));
            None
        }
    }
}

fn parse_day(
    form: &Fields,
    name: &str,
    errs: &mut FormErrors,
    field: &str,
    bad: &str,
) -> Option<NaiveDate> {
    let v = form.get(name)?;
    match NaiveDate::parse_from_str(v, "%Y-%m-%d") {
        Ok(d) => Some(d),
        Err(_) => {
            errs.add(field, format!("{name}: {bad}"));
            None
        }
    }
}

/// Reads the posted form: group rows whose code and names are all empty are left out.
fn read_form(con: &Con, form: &Fields, errs: &mut FormErrors) -> PolicyForm {
    let (bad_n, bad_d) = (con.t.con_bad_number, con.t.invalid_date);
    let count =
        |name: &str| form.get(name).and_then(|n| n.parse::<usize>().ok()).unwrap_or(0).min(60);
    let mut groups = Vec::new();
    for i in 0..count("groups_n") {
        let k = |f: &str| format!("g{i}_{f}");
        if [k("code"), k("name"), k("name_hi")].iter().all(|n| form.get(n).is_none()) {
            continue;
        }
        groups.push(GroupForm {
            code: form.text(&k("code")),
            name: form.text(&k("name")),
            name_hi: form.text(&k("name_hi")),
            rank: parse_number(form, &k("rank"), errs, "groups", bad_n),
            opens: parse_day(form, &k("opens"), errs, "groups", bad_d),
            occupations: form.all(&k("occupations")),
            min_age: parse_number(form, &k("min_age"), errs, "groups", bad_n),
            max_age: parse_number(form, &k("max_age"), errs, "groups", bad_n),
            age_on: parse_day(form, &k("age_on"), errs, "groups", bad_d),
            comorbidity: form.get(&k("comorbidity")).is_some(),
        });
    }
    let mut intervals = Vec::new();
    for i in 0..count("intervals_n") {
        let k = |f: &str| format!("i{i}_{f}");
        let (min, max) = (
            parse_number(form, &k("min"), errs, "intervals", bad_n),
            parse_number(form, &k("max"), errs, "intervals", bad_n),
        );
        if form.get(&k("min")).is_none() && form.get(&k("max")).is_none() {
            continue;
        }
        intervals.push(IntervalForm {
            vaccine: form.text(&k("vaccine")),
            min_days: min,
            max_days: max,
        });
    }
    PolicyForm {
        version: form.text("version"),
        effective_from: parse_day(form, "effective_from", errs, "effective_from", bad_d),
        min_age_years: parse_number(form, "min_age_years", errs, "min_age_years", bad_n),
        groups,
        intervals,
        note: form.text("note"),
    }
}

/// `POST /console/policy`.
async fn create(mut con: Con, FormFields(form): FormFields) -> PageResult {
    let who = con.admin("/console/policy")?;
    con.section("policy");
    con.check_csrf(&form)?;
    let mut errs = FormErrors::default();
    let input = read_form(&con, &form, &mut errs);
    if errs.any() {
        // Every problem at once: the domain's own checks of the rest.
        let set = con.state.policies.load_full();
        if let Err(more) = input.check(&con.state.pack, &set.pack.policies, con.state.today()) {
            errs.add_missing(&more);
        }
        return con
            .render_status(StatusCode::BAD_REQUEST, &policy_page(&con, &who, &input, errs, None));
    }
    match svc::create_version(&con.state, &who, &input).await {
        Ok(v) => {
            let created = i18n::fill(
                con.t.con_pol_created,
                &[
                    ("version", &v.policy.version),
                    ("date", &con.date_label(v.policy.effective_from)),
                ],
            );
            let next = svc::next_version_form(&con.state);
            con.render_status(
                StatusCode::CREATED,
                &policy_page(&con, &who, &next, FormErrors::default(), Some(created)),
            )
        }
        Err(e) => {
            let (status, errs) = super::form_failure(&con, e)?;
            con.render_status(status, &policy_page(&con, &who, &input, errs, None))
        }
    }
}

/// `GET /console/policy/{version}`.
async fn show(mut con: Con, Path(version): Path<String>) -> PageResult {
    let who = con.admin("/console/policy")?;
    con.section("policy");
    let v = svc::version(&con.state, &who, &version)?;
    let mut intervals: Vec<IntervalRow> = v
        .policy
        .interval_overrides
        .iter()
        .map(|(code, (min, max))| IntervalRow {
            vaccine: code.as_str().to_owned(),
            min: min.to_string(),
            max: max.to_string(),
        })
        .collect();
    intervals.sort_by(|a, b| a.vaccine.cmp(&b.vaccine));
    con.render(&VersionPage {
        l: con.layout.clone(),
        v: version_row(&con, &v),
        based_on: v
            .based_on
            .as_ref()
            .map(|b| i18n::fill(con.t.con_pol_based_on, &[("version", b)])),
        groups: group_rows(&con, &v.policy),
        intervals,
    })
}

// ---------------------------------------------------------------------------------------------
// Surveys
// ---------------------------------------------------------------------------------------------

struct CondBox {
    code: String,
    label: String,
    checked: bool,
}

struct PersonView {
    reference: String,
    title: String,
    groups: String,
}

struct SurveyRow {
    time: String,
    reference: String,
    conditions: String,
    surveyor: String,
    source: String,
}

struct CodeRow {
    code: String,
    label: String,
}

#[derive(Template)]
#[template(path = "console_surveys.html")]
struct SurveysPage {
    l: ConsoleLayout,
    reference: String,
    not_found: bool,
    person: Option<PersonView>,
    conditions: Vec<CondBox>,
    notes: String,
    surveyor: String,
    errs: FormErrors,
    others: Vec<String>,
    done: Option<String>,
    upload_errors: Vec<String>,
    codes: Vec<CodeRow>,
    recent: Vec<SurveyRow>,
}

struct SurveyState {
    reference: String,
    not_found: bool,
    person: Option<PersonView>,
    chosen: Vec<String>,
    notes: String,
    surveyor: String,
    errs: FormErrors,
    done: Option<String>,
    upload_errors: Vec<String>,
}

impl SurveyState {
    fn empty() -> Self {
        Self {
            reference: String::new(),
            not_found: false,
            person: None,
            chosen: Vec::new(),
            notes: String::new(),
            surveyor: String::new(),
            errs: FormErrors::default(),
            done: None,
            upload_errors: Vec::new(),
        }
    }
}

async fn find(
    con: &Con,
    who: &AdminPrincipal,
    reference: &str,
    s: &mut SurveyState,
) -> Result<(), PageError> {
    s.reference = reference.to_owned();
    match svc::find_person(&con.state, who, reference).await {
        Ok(p) => {
            s.person = Some(PersonView {
                reference: p.reference_id.clone(),
                title: i18n::fill(
                    con.t.con_sur_person,
                    &[("reference", &p.reference_id), ("year", &p.birth_year.to_string())],
                ),
                groups: i18n::fill(con.t.con_sur_groups, &[("groups", &p.groups.join(", "))]),
            });
            Ok(())
        }
        Err(ApiError::NotFound | ApiError::Invalid(_)) => {
            s.not_found = true;
            Ok(())
        }
        Err(e) => Err(e.into()),
    }
}

async fn render_surveys(
    con: &Con,
    who: &AdminPrincipal,
    s: SurveyState,
    status: StatusCode,
) -> PageResult {
    let list = svc::conditions(&con.state);
    let label = |c: &tika_domain::policy::Comorbidity| {
        if con.lang == Lang::Hi { c.name_hi.clone() } else { c.name.clone() }
    };
    let recent = svc::list_surveys(&con.state, who, 50).await?;
    let others = s.errs.others(&["reference_id", "comorbidities", "notes", "surveyor"]);
    con.render_status(
        status,
        &SurveysPage {
            l: con.layout.clone(),
            reference: s.reference,
            not_found: s.not_found,
            person: s.person,
            conditions: list
                .iter()
                .map(|c| CondBox {
                    code: c.code.clone(),
                    label: label(c),
                    checked: s.chosen.contains(&c.code),
                })
                .collect(),
            notes: s.notes,
            surveyor: s.surveyor,
            errs: s.errs,
            others,
            done: s.done,
            upload_errors: s.upload_errors,
            codes: list.iter().map(|c| CodeRow { code: c.code.clone(), label: label(c) }).collect(),
            recent: recent
                .iter()
                .map(|r| SurveyRow {
                    time: super::local_time(&con.state, r.survey.created_at_ms),
                    reference: r.reference_id.clone(),
                    conditions: i18n::fill(
                        con.t.con_sur_count,
                        &[("n", &r.survey.comorbidities.len().to_string())],
                    ),
                    surveyor: r.survey.surveyor.clone(),
                    source: r.survey.source.as_str().to_owned(),
                })
                .collect(),
        },
    )
}

/// `GET /console/surveys` (`?ref=` finds a person).
async fn surveys(mut con: Con, QueryFields(q): QueryFields) -> PageResult {
    let who = con.admin("/console/surveys")?;
    con.section("surveys");
    let mut s = SurveyState::empty();
    let status = match q.get("ref") {
        Some(r) => {
            find(&con, &who, r, &mut s).await?;
            if s.not_found { StatusCode::NOT_FOUND } else { StatusCode::OK }
        }
        None => StatusCode::OK,
    };
    render_surveys(&con, &who, s, status).await
}

/// `POST /console/surveys`.
async fn record(mut con: Con, FormFields(form): FormFields) -> PageResult {
    let who = con.admin("/console/surveys")?;
    con.section("surveys");
    con.check_csrf(&form)?;
    let input = SurveyForm {
        reference_id: form.text("reference_id"),
        comorbidities: form.all("comorbidity"),
        notes: form.text("notes"),
        surveyor: form.text("surveyor"),
    };
    let mut s = SurveyState::empty();
    match svc::record_survey(&con.state, &who, &input).await {
        Ok(r) => {
            s.done = Some(i18n::fill(con.t.con_sur_recorded, &[("reference", &r.reference_id)]));
            render_surveys(&con, &who, s, StatusCode::CREATED).await
        }
        Err(ApiError::NotFound) => {
            s.reference = input.reference_id;
            s.not_found = true;
            render_surveys(&con, &who, s, StatusCode::NOT_FOUND).await
        }
        Err(e) => {
            let (status, errs) = super::form_failure(&con, e)?;
            find(&con, &who, &input.reference_id, &mut s).await?;
            s.chosen = input.comorbidities;
            s.notes = input.notes;
            s.surveyor = input.surveyor;
            s.errs = errs;
            render_surveys(&con, &who, s, status).await
        }
    }
}

/// `POST /console/surveys/upload` (multipart: `csrf`, `surveyor`, `file`).
async fn upload(mut con: Con, mut multipart: Multipart) -> PageResult {
    let who = con.admin("/console/surveys")?;
    con.section("surveys");
    let bad = || ApiError::bad_request("ADM0040", "The upload could not be read");
    let (mut csrf, mut surveyor, mut file) = (String::new(), String::new(), Vec::new());
    while let Some(field) = multipart.next_field().await.map_err(|_| bad())? {
        let name = field.name().unwrap_or_default().to_owned();
        let bytes = field.bytes().await.map_err(|_| bad())?;
        match name.as_str() {
            "csrf" => csrf = String::from_utf8_lossy(&bytes).into_owned(),
            "surveyor" => surveyor = String::from_utf8_lossy(&bytes).into_owned(),
            "file" if bytes.len() <= MAX_UPLOAD_BYTES => file = bytes.to_vec(),
            "file" => return Err(ApiError::bad_request("ADM0041", "The file is too large").into()),
            _ => {}
        }
    }
    con.check_csrf(&Fields::parse(&format!("csrf={}", encode(&csrf))))?;
    let mut s = SurveyState::empty();
    let text = String::from_utf8(file)
        .map_err(|_| ApiError::bad_request("ADM0040", "The file must be UTF-8 CSV"))?;
    match svc::upload_surveys(&con.state, &who, &text, &surveyor).await {
        Ok(o) => {
            s.done = Some(i18n::fill(
                con.t.con_sur_uploaded,
                &[("n", &o.recorded.to_string()), ("c", &o.with_conditions.to_string())],
            ));
            render_surveys(&con, &who, s, StatusCode::OK).await
        }
        Err(ApiError::Invalid(list)) => {
            s.upload_errors = list.into_iter().map(|e| e.message).collect();
            render_surveys(&con, &who, s, StatusCode::BAD_REQUEST).await
        }
        Err(e @ ApiError::BadRequest { .. }) => {
            s.upload_errors = vec![con.message(&e).text];
            render_surveys(&con, &who, s, StatusCode::BAD_REQUEST).await
        }
        Err(e) => Err(e.into()),
    }
}
