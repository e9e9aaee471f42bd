//! Officials of the area: the list, creating one (level and area pickers), (de)activating.

use askama::Template;
use axum::extract::Path;
use axum::http::StatusCode;
use tika_domain::admin::AdminLevel;
use tika_domain::ids::AdminId;

use super::{
    Con, ConsoleLayout, FormErrors, Opt, OptGroup, area_label, district_groups, level_label,
    state_options,
};
use crate::error::ApiError;
use crate::pages::context::{Fields, FormFields, PageError, PageResult};
use crate::services::admin::{self, AdminPrincipal, NewAdminForm};

const ADMIN_FIELDS: &[&str] =
    &["username", "name", "mobile", "password", "level", "state", "district", "block", "center"];

struct AdminRow {
    id: String,
    username: String,
    name: String,
    level: &'static str,
    area: String,
    active: bool,
    is_self: bool,
}

struct AdminFormView {
    username: String,
    name: String,
    mobile: String,
    levels: Vec<Opt>,
    states: Vec<Opt>,
    districts: Vec<OptGroup>,
    block: String,
    center: String,
}

#[derive(Template)]
#[template(path = "console_admins.html")]
struct AdminsPage {
    l: ConsoleLayout,
    rows: Vec<AdminRow>,
    f: AdminFormView,
    errs: FormErrors,
    others: Vec<String>,
}

fn levels(con: &Con, who: &AdminPrincipal, current: &str) -> Vec<Opt> {
    let own = who.area.level();
    AdminLevel::ALL
        .into_iter()
        .filter(|l| *l >= own)
        .map(|l| Opt::new(l.as_str(), level_label(con.t, l), current))
        .collect()
}

fn form_view(con: &Con, who: &AdminPrincipal, form: Option<&Fields>) -> AdminFormView {
    let get = |k: &str| form.map(|f| f.text(k)).unwrap_or_default();
    let own = who.area.level();
    let level = form.map(|f| f.text("level")).unwrap_or_else(|| {
        AdminLevel::ALL.into_iter().find(|l| *l > own).unwrap_or(own).as_str().to_owned()
    });
    let state = form
        .map(|f| f.text("state"))
        .unwrap_or_else(|| who.area.state().map(|s| s.0.to_string()).unwrap_or_default());
    let district = form
        .map(|f| f.text("district"))
        .unwrap_or_else(|| who.area.district().map(|d| d.0.to_string()).unwrap_or_default());
    let mut states = state_options(con, &who.area, &state);
    if who.area.state().is_none() {
        states.insert(0, Opt::new("", con.t.con_none, &state));
    }
    AdminFormView {
        username: get("username"),
        name: get("name"),
        mobile: get("mobile"),
        levels: levels(con, who, &level),
        states,
        districts: district_groups(con, &who.area, &district),
        block: form
            .map(|f| f.text("block"))
            .unwrap_or_else(|| who.area.block().unwrap_or_default().to_owned()),
        center: get("center"),
    }
}

async fn render(
    con: &Con,
    who: &AdminPrincipal,
    f: AdminFormView,
    errs: FormErrors,
    status: StatusCode,
) -> PageResult {
    let list = admin::list_admins(&con.state, who).await?;
    let rows = list
        .iter()
        .map(|a| AdminRow {
            id: a.id.to_string(),
            username: a.username.to_string(),
            name: a.name.clone(),
            level: level_label(con.t, a.area.level()),
            area: area_label(&con.state, con.lang, con.t, &a.area),
            active: a.active,
            is_self: a.id == who.admin,
        })
        .collect();
    let others = errs.others(ADMIN_FIELDS);
    con.render_status(status, &AdminsPage { l: con.layout.clone(), rows, f, errs, others })
}

/// `GET /console/admins`.
pub(super) async fn list(mut con: Con) -> PageResult {
    let who = con.admin("/console/admins")?;
    con.section("admins");
    let f = form_view(&con, &who, None);
    render(&con, &who, f, FormErrors::default(), StatusCode::OK).await
}

/// `POST /console/admins`: creates an official.
pub(super) async fn create(mut con: Con, FormFields(form): FormFields) -> PageResult {
    let who = con.admin("/console/admins")?;
    con.section("admins");
    con.check_csrf(&form)?;
    let mut errs = FormErrors::default();
    let mut int = |name: &str| -> Option<i64> {
        let v = form.get(name)?;
        v.parse::<i64>().map_or_else(
            |_| {
                errs.add(name, con.t.con_bad_number);
                None
            },
            Some,
        )
    };
    let level = form.text("level");
    // Only the parts the level uses are sent (the pickers keep their other values).
    let uses = |l: AdminLevel| {
        AdminLevel::parse(&level).is_some_and(|x| x >= l && x != AdminLevel::Facility)
    };
    let state = int("state").filter(|_| uses(AdminLevel::State));
    let district = int("district").filter(|_| uses(AdminLevel::District));
    let center = int("center").filter(|_| level == "facility");
    let input = NewAdminForm {
        username: form.text("username"),
        name: form.text("name"),
        mobile: form.get("mobile").map(str::to_owned),
        password: form.raw("password"),
        level: level.clone(),
        state,
        district,
        block: form.get("block").filter(|_| level == "block").map(str::to_owned),
        center,
    };
    let mut status = StatusCode::BAD_REQUEST;
    if !errs.any() {
        match admin::create_admin(&con.state, &who, &input).await {
            Ok(_) => return Ok(con.done("/console/admins", "con_admin_created", None)),
            Err(e) => (status, errs) = super::form_failure(&con, e)?,
        }
    }
    let f = form_view(&con, &who, Some(&form));
    render(&con, &who, f, errs, status).await
}

/// `POST /console/admins/{id}/active` (`active=1|0`).
pub(super) async fn set_active(
    mut con: Con,
    Path(id): Path<String>,
    FormFields(form): FormFields,
) -> PageResult {
    let who = con.admin("/console/admins")?;
    con.check_csrf(&form)?;
    let id: AdminId = id.parse().map_err(|_| PageError::Api(ApiError::NotFound))?;
    let on = form.get("active") == Some("1");
    admin::set_admin_active(&con.state, &who, id, on).await?;
    Ok(con.done("/console/admins", "con_admin_changed", None))
}
