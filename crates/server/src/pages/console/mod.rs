//! The officials' console: server-rendered pages under `/console` for officials at national,
//! state, district, block and facility level (English and Hindi, like the citizen pages).
//!
//! Handlers call [`crate::services::admin`], which checks every permission and area; the pages
//! only hide links and forms the official cannot use.  The login is a separate cookie
//! ([`CONSOLE_COOKIE`]: `HttpOnly`, `SameSite=Strict`, `Path=/console`), refreshed when the
//! service hands back a new token; every form carries a CSRF token bound to the official.
//!
//! | route | what |
//! |---|---|
//! | `GET/POST /console/login`, `POST /console/logout` | password login |
//! | `POST /console/login/otp`, `POST /console/login/otp/confirm` | login with a code by SMS |
//! | `GET /console` | who you are, your area, links |
//! | `GET/POST /console/password` | change the password |
//! | `GET /console/facilities`, `GET/POST /console/facilities/new` | list, search, create |
//! | `GET/POST /console/facilities/{id}` | details, edit, staff, sessions of the next 4 weeks |
//! | `POST /console/facilities/{id}/active` | activate or deactivate |
//! | `POST /console/facilities/{id}/staff[/{staff}/active]` | add or (de)activate staff |
//! | `GET/POST /console/facilities/{id}/plan` | plan (recurring) sessions |
//! | `POST /console/facilities/{id}/sessions/{session}/{edit,cancel,move}` | session changes |
//! | `GET/POST /console/admins`, `POST /console/admins/{id}/active` | officials of the area |
//! | `GET /console/audit` | the audit log, filtered, paged by time |
//! | `GET /console/messages?days=` | SMS delivery by district and gateway |
//! | `GET /console/coldchain…` | cold chain: points, stock, equipment charts, alarms (`coldchain.rs`) |
//! | `GET /console/reports…` | reports: coverage, downloads, second doses, sessions, targets (`reports.rs`) |

mod admins;
mod assign;
mod audit;
mod bulk;
mod coldchain;
mod facilities;
mod followup;
mod messages;
mod policy;
mod reports;
mod sessions;

use askama::Template;
use axum::Router;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use tika_domain::admin::{AdminLevel, Area, Capability, FieldError};

use super::context::{
    CSRF_FIELD, ErrorInfo, Fields, FormFields, PageEnv, PageError, PageResult, QueryFields,
    csrf_token, redirect, safe_next,
};
use super::i18n::{self, Message, Texts};
use crate::error::ApiError;
use crate::keys::ct_eq;
use crate::services::admin::{self, AdminPrincipal};
use crate::services::search::Lang;
use crate::state::AppState;

/// The console's login cookie (the console token).
pub(crate) const CONSOLE_COOKIE: &str = "tika_console";

const CONSOLE_CSS: &str = include_str!("../../../static/console.css");
const CONSOLE_JS: &str = include_str!("../../../static/console.js");

/// The console routes (under `/console`, plus their two static files).
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/console", get(home))
        .route("/console/", get(|| async { redirect("/console") }))
        .route("/console/login", get(login_form).post(login))
        .route("/console/login/otp", post(login_otp))
        .route("/console/login/otp/confirm", post(login_otp_confirm))
        .route("/console/logout", post(logout))
        .route("/console/password", get(password_form).post(change_password))
        .route("/console/facilities", get(facilities::list))
        .route("/console/facilities/new", get(facilities::new_form).post(facilities::create))
        .route("/console/facilities/{id}", get(facilities::show).post(facilities::update))
        .route("/console/facilities/{id}/active", post(facilities::set_active))
        .route("/console/facilities/{id}/staff", post(facilities::add_staff))
        .route("/console/facilities/{id}/staff/{staff}/active", post(facilities::set_staff_active))
        .route("/console/facilities/{id}/plan", get(sessions::plan_form).post(sessions::plan))
        .route("/console/facilities/{id}/sessions/{session}/edit", post(sessions::edit))
        .route("/console/facilities/{id}/sessions/{session}/cancel", post(sessions::cancel))
        .route("/console/facilities/{id}/sessions/{session}/move", post(sessions::move_to))
        .route("/console/admins", get(admins::list).post(admins::create))
        .route("/console/admins/{id}/active", post(admins::set_active))
        .route("/console/audit", get(audit::list))
        .route("/console/messages", get(messages::list))
        .merge(bulk::router())
        .merge(assign::router())
        .merge(policy::router())
        .merge(followup::router())
        .merge(coldchain::router())
        .merge(reports::router())
        .route(
            "/static/console.css",
            get(|| async { asset(CONSOLE_CSS, "text/css; charset=utf-8") }),
        )
        .route(
            "/static/console.js",
            get(|| async { asset(CONSOLE_JS, "text/javascript; charset=utf-8") }),
        )
}

fn asset(body: &'static str, content_type: &'static str) -> Response {
    let mut res = body.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"));
    res
}

// ---------------------------------------------------------------------------------------------
// Layout and context

/// The logged-in official, as the layout shows them, with what their level may do.
#[derive(Clone, Debug)]
pub(crate) struct Who {
    pub(crate) name: String,
    pub(crate) username: String,
    pub(crate) level: &'static str,
    pub(crate) area: String,
    pub(crate) until: String,
    /// The official's facility, at facility level.
    pub(crate) center: Option<i64>,
    pub(crate) can_create_facilities: bool,
    pub(crate) can_activate_facilities: bool,
    pub(crate) can_edit_facilities: bool,
    pub(crate) can_plan: bool,
    pub(crate) can_manage_staff: bool,
    pub(crate) can_manage_admins: bool,
    pub(crate) can_read_audit: bool,
    pub(crate) can_import: bool,
    pub(crate) can_assign: bool,
    pub(crate) can_change_policy: bool,
    pub(crate) can_run_draw: bool,
    pub(crate) can_record_survey: bool,
    pub(crate) can_review_issues: bool,
    pub(crate) can_session_lists: bool,
}

/// What the console layout (`console_base.html`) shows.
#[derive(Clone, Debug)]
pub(crate) struct ConsoleLayout {
    /// `<html lang>`.
    pub(crate) lang: &'static str,
    /// The phrases.
    pub(crate) t: &'static Texts,
    /// The same page in the other language.
    pub(crate) toggle_href: String,
    /// The CSRF token for forms on this page.
    pub(crate) csrf: String,
    /// A one-shot message.
    pub(crate) flash: Option<String>,
    /// The official, when logged in.
    pub(crate) who: Option<Who>,
    /// The navigation entry to mark (`home`, `facilities`, `admins`, `audit`, `password`).
    pub(crate) section: &'static str,
}

impl ConsoleLayout {
    /// Whether the official may do something at all (to hide links and forms; the services
    /// decide): `create_facilities`, `activate_facilities`, `edit_facilities`, `plan`,
    /// `staff`, `admins`, `audit`, `import`, `assign`, `policy`, `draw`, `survey`, `issues`,
    /// `lists`.
    pub(crate) fn can(&self, what: &str) -> bool {
        let Some(w) = &self.who else { return false };
        match what {
            "create_facilities" => w.can_create_facilities,
            "activate_facilities" => w.can_activate_facilities,
            "edit_facilities" => w.can_edit_facilities,
            "plan" => w.can_plan,
            "staff" => w.can_manage_staff,
            "admins" => w.can_manage_admins,
            "audit" => w.can_read_audit,
            "import" => w.can_import,
            "assign" => w.can_assign,
            "policy" => w.can_change_policy,
            "draw" => w.can_run_draw,
            "survey" => w.can_record_survey,
            "issues" => w.can_review_issues,
            "lists" => w.can_session_lists,
            _ => false,
        }
    }
}

/// Everything a console handler needs from the request.
pub(crate) struct Con {
    pub(crate) state: AppState,
    pub(crate) lang: Lang,
    pub(crate) t: &'static Texts,
    pub(crate) layout: ConsoleLayout,
    principal: Option<AdminPrincipal>,
    /// A failure verifying the login other than "not logged in" (the database is down).
    failure: Option<ApiError>,
    env: PageEnv,
}

/// `YYYY-MM-DD HH:MM` in the country's time zone.
pub(crate) fn local_time(state: &AppState, ms: i64) -> String {
    let offset = chrono::Duration::minutes(i64::from(state.pack.timezone_offset_minutes));
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| (t.naive_utc() + offset).format("%Y-%m-%d %H:%M").to_string())
        .unwrap_or_default()
}

/// A level's name.
pub(crate) fn level_label(t: &Texts, level: AdminLevel) -> &'static str {
    match level {
        AdminLevel::National => t.con_level_national,
        AdminLevel::State => t.con_level_state,
        AdminLevel::District => t.con_level_district,
        AdminLevel::Block => t.con_level_block,
        AdminLevel::Facility => t.con_level_facility,
    }
}

/// A state's name in the page language.
pub(crate) fn state_name(state: &AppState, lang: Lang, id: tika_domain::ids::StateId) -> String {
    state
        .pack
        .state(id)
        .map(|s| {
            if lang == Lang::Hi && !s.name_l.is_empty() { s.name_l.clone() } else { s.name.clone() }
        })
        .unwrap_or_else(|| id.0.to_string())
}

/// A district's name.
pub(crate) fn district_name(state: &AppState, id: tika_domain::ids::DistrictId) -> String {
    state.pack.district(id).map(|d| d.name.clone()).unwrap_or_else(|| id.0.to_string())
}

/// An area in words: `New Delhi, Delhi`, `Block Sadar, …`, `Facility 100, …`.
pub(crate) fn area_label(state: &AppState, lang: Lang, t: &Texts, area: &Area) -> String {
    match area {
        Area::National => t.con_area_national.to_owned(),
        Area::State { state: s } => state_name(state, lang, *s),
        Area::District { state: s, district } => {
            format!("{}, {}", district_name(state, *district), state_name(state, lang, *s))
        }
        Area::Block { state: s, district, block } => format!(
            "{} {block}, {}, {}",
            t.con_block,
            district_name(state, *district),
            state_name(state, lang, *s)
        ),
        Area::Facility { state: s, district, block, center } => format!(
            "{} {}, {block}, {}, {}",
            t.con_level_facility,
            center.0,
            district_name(state, *district),
            state_name(state, lang, *s)
        ),
    }
}

fn who_of(state: &AppState, lang: Lang, t: &Texts, p: &AdminPrincipal) -> Who {
    let level = p.area.level();
    Who {
        name: p.name.clone(),
        username: p.username.clone(),
        level: level_label(t, level),
        area: area_label(state, lang, t, &p.area),
        until: local_time(state, p.expires_at_ms),
        center: p.area.center().map(|c| c.0),
        can_create_facilities: level.can(Capability::CreateFacilities),
        can_activate_facilities: level.can(Capability::ActivateFacilities),
        can_edit_facilities: level.can(Capability::EditFacilities),
        can_plan: level.can(Capability::PlanSessions),
        can_manage_staff: level.can(Capability::ManageStaff),
        can_manage_admins: level.can(Capability::ManageAdmins),
        can_read_audit: level.can(Capability::ReadAudit),
        can_import: level.can(Capability::ImportPeople),
        can_assign: level.can(Capability::AssignPeople),
        can_change_policy: level.can(Capability::ChangePolicy),
        can_run_draw: level.can(Capability::RunDraw),
        can_record_survey: level.can(Capability::RecordSurvey),
        can_review_issues: level.can(Capability::ReviewIssues),
        can_session_lists: level.can(Capability::SessionLists),
    }
}

/// `Set-Cookie` for the console login (`Path=/console`, `SameSite=Strict`).
fn console_cookie(value: &str, max_age: u64, secure: bool) -> Option<HeaderValue> {
    let mut c = format!(
        "{CONSOLE_COOKIE}={value}; Path=/console; HttpOnly; SameSite=Strict; Max-Age={max_age}"
    );
    if secure {
        c.push_str("; Secure");
    }
    HeaderValue::from_str(&c).ok()
}

fn seconds_until(state: &AppState, expires_at_ms: i64) -> u64 {
    let now = state.clock.now().timestamp_millis();
    u64::try_from((expires_at_ms - now) / 1000).unwrap_or(0).max(1)
}

impl FromRequestParts<AppState> for Con {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let env = match parts.extensions.get::<PageEnv>() {
            Some(env) => env.clone(),
            None => PageEnv::read(&parts.method, &parts.uri, &parts.headers),
        };
        let t = i18n::texts(env.lang);
        let (principal, failure) = match env.console_token.as_deref() {
            None => (None, None),
            Some(token) => match admin::verify(state, token).await {
                Ok(p) => (Some(p), None),
                Err(ApiError::Unauthenticated) => {
                    // A stale cookie: drop it.
                    if let Some(v) = console_cookie("", 0, env.secure) {
                        env.extra_cookies.lock().push(v);
                    }
                    (None, None)
                }
                Err(e) => (None, Some(e)),
            },
        };
        if let Some(fresh) = principal.as_ref().and_then(|p| p.refreshed.as_ref())
            && let Some(v) =
                console_cookie(&fresh.token, seconds_until(state, fresh.expires_at_ms), env.secure)
        {
            env.extra_cookies.lock().push(v);
        }
        let bound = match &principal {
            Some(p) => format!("console:{}", p.admin),
            None => "console".to_owned(),
        };
        let layout = ConsoleLayout {
            lang: i18n::code(env.lang),
            t,
            toggle_href: env.toggle_href.clone(),
            csrf: csrf_token(state, &env.csrf_seed, Some(&bound)),
            flash: env.flash.as_deref().and_then(|f| flash_text(t, f)),
            who: principal.as_ref().map(|p| who_of(state, env.lang, t, p)),
            section: "",
        };
        *env.console_slot.lock() = Some(layout.clone());
        Ok(Con { state: state.clone(), lang: env.lang, t, layout, principal, failure, env })
    }
}

impl Con {
    /// The logged-in official, or a redirect to the console login that comes back to `back`.
    pub(crate) fn admin(&mut self, back: &str) -> Result<AdminPrincipal, PageError> {
        if let Some(e) = self.failure.take() {
            return Err(e.into());
        }
        self.principal.take().ok_or_else(|| PageError::ConsoleLogin { next: back.to_owned() })
    }

    /// Marks the navigation entry of this page.
    pub(crate) fn section(&mut self, s: &'static str) {
        self.layout.section = s;
    }

    /// Refuses a form whose CSRF token does not match this browser's and official's.
    pub(crate) fn check_csrf(&self, form: &Fields) -> Result<(), PageError> {
        let sent = form.get(CSRF_FIELD).unwrap_or_default();
        if self.env.csrf_is_new || sent.is_empty() || !ct_eq(sent, &self.layout.csrf) {
            return Err(PageError::Csrf);
        }
        Ok(())
    }

    /// Renders a template.
    pub(crate) fn render(&self, page: &impl Template) -> PageResult {
        Ok(Html(page.render()?).into_response())
    }

    /// Renders a template with a status (a form shown again with its errors).
    pub(crate) fn render_status(&self, status: StatusCode, page: &impl Template) -> PageResult {
        Ok((status, Html(page.render()?)).into_response())
    }

    /// A `303` to `to` with a one-shot message.
    pub(crate) fn done(&self, to: &str, key: &str, arg: Option<&str>) -> Response {
        super::context::with_flash(redirect(to), key, arg, self.env.secure)
    }

    /// An error's message in the page language.
    pub(crate) fn message(&self, e: &ApiError) -> Message {
        i18n::api_error_message(self.lang, e)
    }

    /// `Mon 07-06-2026`, localized.
    pub(crate) fn date_label(&self, d: chrono::NaiveDate) -> String {
        use chrono::Datelike;
        format!(
            "{} {}",
            i18n::weekday(self.t, d.weekday()),
            tika_domain::date::format_cowin_date(d)
        )
    }
}

fn flash_text(t: &Texts, raw: &str) -> Option<String> {
    let (key, arg) = raw.split_once(':').unwrap_or((raw, ""));
    if !arg.chars().all(|c| c.is_ascii_alphanumeric() || c == ',' || c == '-') {
        return None;
    }
    Some(match key {
        "con_in" => t.con_flash_logged_in.to_owned(),
        "con_out" => t.con_flash_logged_out.to_owned(),
        "con_password" => t.con_flash_password.to_owned(),
        "con_facility_created" => t.con_flash_facility_created.to_owned(),
        "con_facility_saved" => t.con_flash_facility_saved.to_owned(),
        "con_facility_on" => t.con_flash_facility_activated.to_owned(),
        "con_facility_off" => t.con_flash_facility_deactivated.to_owned(),
        "con_staff_added" => t.con_flash_staff_added.to_owned(),
        "con_staff_changed" => t.con_flash_staff_changed.to_owned(),
        "con_session_saved" => t.con_flash_session_saved.to_owned(),
        "con_session_cancelled" => i18n::fill(t.con_flash_session_cancelled, &[("n", arg)]),
        "con_session_moved" => i18n::fill(t.con_flash_session_moved, &[("n", arg)]),
        "con_admin_created" => t.con_flash_admin_created.to_owned(),
        "con_admin_changed" => t.con_flash_admin_changed.to_owned(),
        k if k.starts_with("cc_") => return coldchain::flash_text(t, k),
        k if k.starts_with("rp_") => return reports::flash_text(t, k, arg),
        _ => return None,
    })
}

// ---------------------------------------------------------------------------------------------
// Form errors

/// Problems with a submitted form: per field, and general ones (refusals, unknown fields).
#[derive(Clone, Debug, Default)]
pub(crate) struct FormErrors {
    fields: Vec<(String, String)>,
    general: Vec<Message>,
}

impl FormErrors {
    /// From the service's field errors.
    pub(crate) fn from_fields(list: &[FieldError]) -> Self {
        Self {
            fields: list.iter().map(|e| (e.field.to_owned(), e.message.clone())).collect(),
            general: Vec::new(),
        }
    }

    /// One field's problem.
    pub(crate) fn add(&mut self, field: &str, message: impl Into<String>) {
        self.fields.push((field.to_owned(), message.into()));
    }

    /// Adds the problems of fields that have none yet (the domain's checks of the rest of a
    /// form that already failed to read).
    pub(crate) fn add_missing(&mut self, list: &[FieldError]) {
        for e in list {
            if !self.has(e.field) {
                self.fields.push((e.field.to_owned(), e.message.clone()));
            }
        }
    }

    /// Anything wrong at all.
    pub(crate) fn any(&self) -> bool {
        !self.fields.is_empty() || !self.general.is_empty()
    }

    /// The messages of one field, joined.
    pub(crate) fn get(&self, field: &str) -> Option<String> {
        let m: Vec<&str> =
            self.fields.iter().filter(|(f, _)| f == field).map(|(_, m)| m.as_str()).collect();
        (!m.is_empty()).then(|| m.join("; "))
    }

    /// Whether a field has a problem (for `aria-invalid`).
    pub(crate) fn has(&self, field: &str) -> bool {
        self.fields.iter().any(|(f, _)| f == field)
    }

    /// Messages not shown beside a field: general ones, and those of fields the form does
    /// not have (`shown`), as `field: message`.
    pub(crate) fn others(&self, shown: &[&str]) -> Vec<String> {
        self.general
            .iter()
            .map(|m| match &m.detail {
                Some(d) => format!("{} ({d})", m.text),
                None => m.text.clone(),
            })
            .chain(
                self.fields
                    .iter()
                    .filter(|(f, _)| !shown.contains(&f.as_str()))
                    .map(|(f, m)| format!("{f}: {m}")),
            )
            .collect()
    }
}

/// The field errors a service failure carries, if it is a validation failure.
pub(crate) fn field_errors(e: &ApiError) -> Option<&[FieldError]> {
    match e {
        ApiError::Invalid(list) => Some(list),
        _ => None,
    }
}

/// Turns a service failure into form errors to show, or into an error page (not found, not
/// logged in, database down, bugs).
pub(crate) fn form_failure(con: &Con, e: ApiError) -> Result<(StatusCode, FormErrors), PageError> {
    if let Some(list) = field_errors(&e) {
        return Ok((StatusCode::BAD_REQUEST, FormErrors::from_fields(list)));
    }
    match e {
        ApiError::BadRequest { .. } | ApiError::Conflict { .. } | ApiError::Forbidden { .. } => {
            let status = e.status();
            Ok((status, FormErrors { fields: Vec::new(), general: vec![con.message(&e)] }))
        }
        e => Err(e.into()),
    }
}

/// A select option.
#[derive(Clone, Debug)]
pub(crate) struct Opt {
    pub(crate) value: String,
    pub(crate) label: String,
    pub(crate) selected: bool,
}

impl Opt {
    pub(crate) fn new(value: impl Into<String>, label: impl Into<String>, current: &str) -> Self {
        let value = value.into();
        let selected = value == current;
        Self { value, label: label.into(), selected }
    }
}

/// A group of select options (districts by state).
#[derive(Clone, Debug)]
pub(crate) struct OptGroup {
    pub(crate) label: String,
    /// The state id, for the script that narrows districts by state.
    pub(crate) key: String,
    pub(crate) options: Vec<Opt>,
}

/// The districts inside an area, grouped by state, with `current` selected.
pub(crate) fn district_groups(con: &Con, area: &Area, current: &str) -> Vec<OptGroup> {
    let pack = &con.state.pack;
    let mut groups: Vec<OptGroup> = Vec::new();
    for s in &pack.states {
        if area.state().is_some_and(|x| x != s.id) {
            continue;
        }
        let mut options: Vec<Opt> = pack
            .districts_of(s.id)
            .filter(|d| area.district().is_none_or(|x| x == d.id))
            .map(|d| Opt::new(d.id.0.to_string(), d.name.clone(), current))
            .collect();
        if options.is_empty() {
            continue;
        }
        options.sort_by(|a, b| a.label.cmp(&b.label));
        groups.push(OptGroup {
            label: state_name(&con.state, con.lang, s.id),
            key: s.id.0.to_string(),
            options,
        });
    }
    groups
}

/// The states inside an area.
pub(crate) fn state_options(con: &Con, area: &Area, current: &str) -> Vec<Opt> {
    let mut out: Vec<Opt> = con
        .state
        .pack
        .states
        .iter()
        .filter(|s| area.state().is_none_or(|x| x == s.id))
        .map(|s| Opt::new(s.id.0.to_string(), state_name(&con.state, con.lang, s.id), current))
        .collect();
    out.sort_by(|a, b| a.label.cmp(&b.label));
    out
}

// ---------------------------------------------------------------------------------------------
// Middleware hooks (called by `context::middleware` for `/console` paths)

/// The page a `POST` under `/console` belongs to, for the language switch.
pub(crate) fn toggle_path(path: &str) -> String {
    let segs: Vec<&str> = path.trim_end_matches('/').split('/').collect();
    // ["", "console", section, id, ...]
    match segs.as_slice() {
        ["", "console", "login" | "logout", ..] => "/console/login".to_owned(),
        ["", "console", "facilities", "new"] => "/console/facilities/new".to_owned(),
        ["", "console", "facilities", id, "plan"] => format!("/console/facilities/{id}/plan"),
        ["", "console", "facilities", id, ..] => format!("/console/facilities/{id}"),
        ["", "console", "admins", ..] => "/console/admins".to_owned(),
        ["", "console", "reports", "targets", ..] => "/console/reports/targets".to_owned(),
        ["", "console", "coldchain", kind @ ("points" | "equipment" | "alarms"), id, ..] => {
            format!("/console/coldchain/{kind}/{id}")
        }
        ["", "console", section, ..] => format!("/console/{section}"),
        _ => "/console".to_owned(),
    }
}

#[derive(Template)]
#[template(path = "console_error.html")]
struct ConsoleErrorPage {
    l: ConsoleLayout,
    title: &'static str,
    message: Message,
    code: &'static str,
    back_href: String,
}

/// Renders console errors with the console layout, sends the citizen-login redirects of a
/// lapsed console login to the console login, and sets a refreshed login cookie.
pub(crate) fn finish_response(env: &PageEnv, mut res: Response) -> Response {
    if let Some(info) = res.extensions_mut().remove::<ErrorInfo>() {
        let layout = env.console_slot.lock().clone().unwrap_or_else(|| {
            let t = i18n::texts(env.lang);
            ConsoleLayout {
                lang: i18n::code(env.lang),
                t,
                toggle_href: env.toggle_href.clone(),
                csrf: String::new(),
                flash: None,
                who: None,
                section: "",
            }
        });
        let page = ConsoleErrorPage {
            title: i18n::error_title(layout.t, info.status.as_u16()),
            message: i18n::error_message(env.lang, info.code, &info.message),
            code: info.code,
            back_href: env
                .referer()
                .filter(|r| r.starts_with("/console"))
                .unwrap_or_else(|| "/console".to_owned()),
            l: layout,
        };
        let retry = res.headers().get(header::RETRY_AFTER).cloned();
        res = match page.render() {
            Ok(html) => (info.status, Html(html)).into_response(),
            Err(_) => (info.status, info.message).into_response(),
        };
        if let Some(v) = retry {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
    }
    let to_citizen_login = res
        .headers()
        .get(header::LOCATION)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|l| l == "/login" || l.starts_with("/login?"));
    if to_citizen_login {
        res.headers_mut().insert(header::LOCATION, HeaderValue::from_static("/console/login"));
    }
    let headers = res.headers_mut();
    for v in env.extra_cookies.lock().drain(..) {
        headers.append(header::SET_COOKIE, v);
    }
    res
}

// ---------------------------------------------------------------------------------------------
// Login, logout, home, password

#[derive(Template)]
#[template(path = "console_login.html")]
struct LoginPage {
    l: ConsoleLayout,
    username: String,
    next: String,
    error: Option<Message>,
}

fn console_next(n: Option<&str>) -> Option<String> {
    safe_next(n)
        .filter(|n| n == "/console" || n.starts_with("/console/") || n.starts_with("/console?"))
}

/// `GET /console/login`.
async fn login_form(mut con: Con, QueryFields(q): QueryFields) -> PageResult {
    let next = console_next(q.get("next"));
    if con.admin("/console").is_ok() {
        return Ok(redirect(next.as_deref().unwrap_or("/console")));
    }
    con.render(&LoginPage {
        l: con.layout.clone(),
        username: String::new(),
        next: next.unwrap_or_default(),
        error: None,
    })
}

/// `POST /console/login`.
async fn login(con: Con, FormFields(form): FormFields) -> PageResult {
    con.check_csrf(&form)?;
    let next = console_next(form.get("next"));
    let username = form.text("username");
    let password = form.raw("password");
    match admin::login(&con.state, &username, &password).await {
        Ok(ok) => Ok(logged_in(&con, &ok, next.as_deref())),
        Err(e) => {
            let (status, error, retry) = refusal(&con, e, con.t.con_login_failed)?;
            let page = LoginPage {
                l: con.layout.clone(),
                username,
                next: next.unwrap_or_default(),
                error: Some(error),
            };
            with_retry(con.render_status(status, &page)?, retry)
        }
    }
}

/// The answer to a successful login (password or code): the cookie, then the page asked for.
fn logged_in(con: &Con, ok: &admin::ConsoleLogin, next: Option<&str>) -> Response {
    let mut res = redirect(next.unwrap_or("/console"));
    if let Some(v) = console_cookie(
        &ok.token.token,
        seconds_until(&con.state, ok.token.expires_at_ms),
        con.env.secure,
    ) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    super::context::with_flash(res, "con_in", None, con.env.secure)
}

/// How a refused login is shown: 429 with the lock message, else 400 with `generic` (and the
/// service's own words in Hindi pages or when they say more); anything else is a page error.
fn refusal(
    con: &Con,
    e: ApiError,
    generic: &'static str,
) -> Result<(StatusCode, Message, Option<u64>), PageError> {
    let (status, text) = match &e {
        ApiError::TooManyRequests { .. } => (StatusCode::TOO_MANY_REQUESTS, con.t.con_locked),
        ApiError::Unauthenticated | ApiError::BadRequest { .. } | ApiError::Forbidden { .. } => {
            (StatusCode::BAD_REQUEST, generic)
        }
        _ => return Err(e.into()),
    };
    let detail =
        (con.lang == Lang::Hi || text == con.t.con_locked || generic != con.t.con_login_failed)
            .then(|| e.message());
    let retry = match e {
        ApiError::TooManyRequests { retry_after_secs, .. } => Some(retry_after_secs),
        _ => None,
    };
    Ok((status, Message { text: text.to_owned(), detail: detail.filter(|d| d != text) }, retry))
}

fn with_retry(mut res: Response, retry_after_secs: Option<u64>) -> PageResult {
    if let Some(secs) = retry_after_secs
        && let Ok(v) = HeaderValue::from_str(&secs.to_string())
    {
        res.headers_mut().insert(header::RETRY_AFTER, v);
    }
    Ok(res)
}

#[derive(Template)]
#[template(path = "console_login_otp.html")]
struct OtpPage {
    l: ConsoleLayout,
    username: String,
    next: String,
    txn: String,
    sent: String,
    error: Option<Message>,
}

/// `POST /console/login/otp`: sends a login code to the official's mobile, then asks for it.
async fn login_otp(con: Con, FormFields(form): FormFields) -> PageResult {
    con.check_csrf(&form)?;
    let next = console_next(form.get("next")).unwrap_or_default();
    let username = form.text("username");
    match admin::send_login_otp(&con.state, &username).await {
        Ok(txn) => {
            let sent = i18n::fill(con.t.con_otp_sent, &[("username", &username)]);
            con.render(&OtpPage {
                l: con.layout.clone(),
                username,
                next,
                txn: txn.to_string(),
                sent,
                error: None,
            })
        }
        Err(e) => {
            let (status, error, retry) = refusal(&con, e, con.t.con_otp_refused)?;
            let page = LoginPage { l: con.layout.clone(), username, next, error: Some(error) };
            with_retry(con.render_status(status, &page)?, retry)
        }
    }
}

/// `POST /console/login/otp/confirm`: logs in with the code.
async fn login_otp_confirm(con: Con, FormFields(form): FormFields) -> PageResult {
    con.check_csrf(&form)?;
    let next = console_next(form.get("next"));
    let username = form.text("username");
    let txn = form.text("txn");
    match admin::confirm_login_otp(&con.state, &txn, &form.text("otp")).await {
        Ok(ok) => Ok(logged_in(&con, &ok, next.as_deref())),
        Err(e) => {
            let (status, error, retry) = refusal(&con, e, con.t.con_otp_failed)?;
            let sent = i18n::fill(con.t.con_otp_sent, &[("username", &username)]);
            let page = OtpPage {
                l: con.layout.clone(),
                username,
                next: next.unwrap_or_default(),
                txn,
                sent,
                error: Some(error),
            };
            with_retry(con.render_status(status, &page)?, retry)
        }
    }
}

/// `POST /console/logout`.
async fn logout(mut con: Con, FormFields(form): FormFields) -> PageResult {
    if let Ok(who) = con.admin("/console") {
        con.check_csrf(&form)?;
        admin::logout(&con.state, &who).await?;
    }
    let mut res = redirect("/console/login");
    if let Some(v) = console_cookie("", 0, con.env.secure) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    Ok(super::context::with_flash(res, "con_out", None, con.env.secure))
}

#[derive(Template)]
#[template(path = "console_home.html")]
struct HomePage {
    l: ConsoleLayout,
    who: Who,
}

/// `GET /console`.
async fn home(mut con: Con) -> PageResult {
    let who = con.admin("/console")?;
    con.section("home");
    let w = who_of(&con.state, con.lang, con.t, &who);
    con.render(&HomePage { l: con.layout.clone(), who: w })
}

#[derive(Template)]
#[template(path = "console_password.html")]
struct PasswordPage {
    l: ConsoleLayout,
    errs: FormErrors,
}

/// `GET /console/password`.
async fn password_form(mut con: Con) -> PageResult {
    con.admin("/console/password")?;
    con.section("password");
    con.render(&PasswordPage { l: con.layout.clone(), errs: FormErrors::default() })
}

/// `POST /console/password`.
async fn change_password(mut con: Con, FormFields(form): FormFields) -> PageResult {
    let who = con.admin("/console/password")?;
    con.section("password");
    con.check_csrf(&form)?;
    let current = form.raw("current_password");
    let new = form.raw("new_password");
    let mut errs = FormErrors::default();
    let status = if new != form.raw("repeat_password") {
        errs.add("repeat_password", con.t.con_passwords_differ);
        StatusCode::BAD_REQUEST
    } else {
        match admin::change_password(&con.state, &who, &current, &new).await {
            Ok(_) => {
                let mut res = con.done("/console/login", "con_password", None);
                if let Some(v) = console_cookie("", 0, con.env.secure) {
                    res.headers_mut().append(header::SET_COOKIE, v);
                }
                return Ok(res);
            }
            Err(e) => {
                let (status, e) = form_failure(&con, e)?;
                errs = e;
                status
            }
        }
    };
    con.render_status(status, &PasswordPage { l: con.layout.clone(), errs })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_language_switch_of_a_post_goes_to_its_page() {
        assert_eq!(toggle_path("/console/login"), "/console/login");
        assert_eq!(toggle_path("/console/logout"), "/console/login");
        assert_eq!(toggle_path("/console/facilities/new"), "/console/facilities/new");
        assert_eq!(toggle_path("/console/facilities/12/plan"), "/console/facilities/12/plan");
        assert_eq!(
            toggle_path("/console/facilities/12/sessions/abc/cancel"),
            "/console/facilities/12"
        );
        assert_eq!(toggle_path("/console/facilities/12/active"), "/console/facilities/12");
        assert_eq!(toggle_path("/console/admins/x/active"), "/console/admins");
        assert_eq!(toggle_path("/console/password"), "/console/password");
    }

    #[test]
    fn form_errors_group_by_field() {
        let mut e = FormErrors::default();
        e.add("name", "must be 2 to 120 characters");
        e.add("name", "again");
        e.add("weird", "x");
        assert_eq!(e.get("name").as_deref(), Some("must be 2 to 120 characters; again"));
        assert!(e.has("name") && !e.has("pincode"));
        assert_eq!(e.others(&["name"]), vec!["weird: x".to_owned()]);
    }

    #[test]
    fn console_flash_keys() {
        assert_eq!(
            flash_text(&i18n::EN, "con_session_cancelled:3").as_deref(),
            Some("Session cancelled; 3 people booked will be told by SMS.")
        );
        assert_eq!(flash_text(&i18n::EN, "booked:1"), None);
    }
}
