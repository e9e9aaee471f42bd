//! Facilities: the list, creating and editing one, (de)activating it, its staff, and the page
//! of one facility with its sessions of the next 4 weeks.

use askama::Template;
use axum::extract::Path;
use axum::http::StatusCode;
use tika_domain::admin::{FacilityForm, FacilityKind};
use tika_domain::ids::{CenterId, StaffId};
use tika_storage::{Facility, Session, Staff};

use super::{
    Con, ConsoleLayout, FormErrors, Opt, OptGroup, district_groups, district_name, state_name,
};
use crate::error::ApiError;
use crate::pages::context::{FormFields, PageError, PageResult, QueryFields, encode};
use crate::pages::i18n;
use crate::services::admin::{self, AdminPrincipal, StaffForm};

/// Facilities per page (the service's page size).
pub(super) const PAGE_SIZE: usize = 50;

/// The fields of the facility form shown beside their inputs (others go to the top).
pub(super) const FACILITY_FIELDS: &[&str] = &[
    "name",
    "name_l",
    "kind",
    "address",
    "block",
    "district",
    "pincode",
    "location",
    "open",
    "close",
    "fees",
    "cold_chain_point",
];

const STAFF_FIELDS: &[&str] = &["username", "name", "mobile", "role", "password"];

pub(super) fn parse_center(id: &str) -> Result<CenterId, PageError> {
    id.trim().parse::<i64>().map(CenterId).map_err(|_| PageError::Api(ApiError::NotFound))
}

pub(super) fn facility_href(id: CenterId) -> String {
    format!("/console/facilities/{}", id.0)
}

fn kind_label(t: &i18n::Texts, k: FacilityKind) -> &'static str {
    match k {
        FacilityKind::Government => t.con_government,
        FacilityKind::Private => t.con_private,
    }
}

// ---------------------------------------------------------------------------------------------
// The list

struct Row {
    href: String,
    id: i64,
    name: String,
    kind: &'static str,
    pincode: u32,
    district: String,
    block: String,
    active: bool,
}

#[derive(Template)]
#[template(path = "console_facilities.html")]
struct ListPage {
    l: ConsoleLayout,
    q: String,
    active: Vec<Opt>,
    rows: Vec<Row>,
    page: u32,
    prev_href: Option<String>,
    next_href: Option<String>,
}

fn list_href(q: &str, active: &str, page: u32) -> String {
    let mut parts = Vec::new();
    if !q.is_empty() {
        parts.push(format!("q={}", encode(q)));
    }
    if !active.is_empty() {
        parts.push(format!("active={}", encode(active)));
    }
    parts.push(format!("page={page}"));
    format!("/console/facilities?{}", parts.join("&"))
}

/// `GET /console/facilities?q=&active=yes|no&page=`.
pub(super) async fn list(mut con: Con, QueryFields(q): QueryFields) -> PageResult {
    let who = con.admin("/console/facilities")?;
    con.section("facilities");
    let query = q.text("q");
    let active_raw = q.text("active");
    let active = match active_raw.as_str() {
        "yes" => Some(true),
        "no" => Some(false),
        _ => None,
    };
    let page: u32 = q.get("page").and_then(|p| p.parse().ok()).filter(|p| *p >= 1).unwrap_or(1);
    let found = admin::list_facilities(
        &con.state,
        &who,
        (!query.is_empty()).then_some(query.as_str()),
        active,
        page - 1,
    )
    .await?;
    let t = con.t;
    let rows = found
        .iter()
        .map(|f| Row {
            href: facility_href(f.center.id),
            id: f.center.id.0,
            name: f.center.name.clone(),
            kind: kind_label(t, f.kind),
            pincode: f.center.pincode,
            district: district_name(&con.state, f.center.district_id),
            block: f.center.block_name.clone(),
            active: f.active,
        })
        .collect::<Vec<_>>();
    let page_view = ListPage {
        l: con.layout.clone(),
        active: vec![
            Opt::new("", t.con_all, &active_raw),
            Opt::new("yes", t.con_active, &active_raw),
            Opt::new("no", t.con_inactive, &active_raw),
        ],
        prev_href: (page > 1).then(|| list_href(&query, &active_raw, page - 1)),
        next_href: (rows.len() >= PAGE_SIZE).then(|| list_href(&query, &active_raw, page + 1)),
        q: query,
        rows,
        page,
    };
    con.render(&page_view)
}

// ---------------------------------------------------------------------------------------------
// The facility form

/// One vaccine's fee input.
pub(super) struct FeeInput {
    pub(super) code: String,
    pub(super) label: String,
    pub(super) value: String,
}

/// The facility form's values as shown.
pub(super) struct FacilityFormView {
    pub(super) name: String,
    pub(super) name_l: String,
    pub(super) kinds: Vec<Opt>,
    pub(super) address: String,
    pub(super) block: String,
    pub(super) districts: Vec<OptGroup>,
    pub(super) pincode: String,
    pub(super) lat: String,
    pub(super) lon: String,
    pub(super) open: String,
    pub(super) close: String,
    pub(super) fees: Vec<FeeInput>,
    pub(super) cold_chain_point: String,
}

fn kinds(t: &i18n::Texts, current: &str) -> Vec<Opt> {
    vec![
        Opt::new("government", t.con_government, current),
        Opt::new("private", t.con_private, current),
    ]
}

fn fee_inputs(con: &Con, value_of: impl Fn(&str) -> String) -> Vec<FeeInput> {
    con.state
        .pack
        .vaccines
        .iter()
        .map(|v| FeeInput {
            code: v.code.as_str().to_owned(),
            label: v.name.clone(),
            value: value_of(v.code.as_str()),
        })
        .collect()
}

impl FacilityFormView {
    fn empty(con: &Con, who: &AdminPrincipal) -> Self {
        let district = who.area.district().map(|d| d.0.to_string()).unwrap_or_default();
        Self {
            name: String::new(),
            name_l: String::new(),
            kinds: kinds(con.t, "government"),
            address: String::new(),
            block: who.area.block().unwrap_or_default().to_owned(),
            districts: district_groups(con, &who.area, &district),
            pincode: String::new(),
            lat: String::new(),
            lon: String::new(),
            open: "09:00".into(),
            close: "17:00".into(),
            fees: fee_inputs(con, |_| String::new()),
            cold_chain_point: String::new(),
        }
    }

    fn of(con: &Con, who: &AdminPrincipal, f: &Facility) -> Self {
        let c = &f.center;
        Self {
            name: c.name.clone(),
            name_l: c.name_l.clone(),
            kinds: kinds(con.t, f.kind.as_str()),
            address: c.address.clone(),
            block: c.block_name.clone(),
            districts: district_groups(con, &who.area, &c.district_id.0.to_string()),
            pincode: c.pincode.to_string(),
            lat: c.lat.map(|v| v.to_string()).unwrap_or_default(),
            lon: c.lon.map(|v| v.to_string()).unwrap_or_default(),
            open: c.open_time.chars().take(5).collect(),
            close: c.close_time.chars().take(5).collect(),
            fees: fee_inputs(con, |code| {
                f.fees
                    .iter()
                    .find(|(v, _)| v.as_str() == code)
                    .map(|(_, fee)| fee.to_string())
                    .unwrap_or_default()
            }),
            cold_chain_point: f.cold_chain_point.clone(),
        }
    }

    /// The submitted form: what is shown again, what goes to the service, and the problems
    /// found reading it (numbers that are not numbers).
    fn submitted(
        con: &Con,
        who: &AdminPrincipal,
        form: &crate::pages::context::Fields,
    ) -> (Self, FacilityForm, FormErrors) {
        let mut errs = FormErrors::default();
        let bad_number = con.t.con_bad_number;
        let number = |name: &str, errs: &mut FormErrors, field: &str| -> Option<f64> {
            let v = form.get(name)?;
            match v.parse::<f64>() {
                Ok(x) if x.is_finite() => Some(x),
                _ => {
                    errs.add(field, format!("{name}: {bad_number}"));
                    None
                }
            }
        };
        let lat = number("lat", &mut errs, "location");
        let lon = number("lon", &mut errs, "location");
        let district_raw = form.text("district");
        let district = district_raw.parse::<i64>().ok();
        let mut fees = Vec::new();
        for v in &con.state.pack.vaccines {
            let code = v.code.as_str();
            if let Some(raw) = form.get(&format!("fee_{code}")) {
                match raw.parse::<u32>() {
                    Ok(fee) => fees.push((code.to_owned(), fee)),
                    Err(_) => errs.add("fees", format!("{code}: {bad_number}")),
                }
            }
        }
        let kind = form.text("kind");
        let input = FacilityForm {
            name: form.text("name"),
            name_l: form.text("name_l"),
            kind: kind.clone(),
            address: form.text("address"),
            block: form.text("block"),
            district,
            pincode: form.text("pincode"),
            lat,
            lon,
            open: form.text("open"),
            close: form.text("close"),
            fees,
            cold_chain_point: form.text("cold_chain_point"),
        };
        let view = Self {
            name: input.name.clone(),
            name_l: input.name_l.clone(),
            kinds: kinds(con.t, &kind),
            address: input.address.clone(),
            block: input.block.clone(),
            districts: district_groups(con, &who.area, &district_raw),
            pincode: input.pincode.clone(),
            lat: form.text("lat"),
            lon: form.text("lon"),
            open: input.open.clone(),
            close: input.close.clone(),
            fees: fee_inputs(con, |code| form.text(&format!("fee_{code}"))),
            cold_chain_point: input.cold_chain_point.clone(),
        };
        if errs.any() {
            // Show every problem at once: the domain's own checks of the rest.
            if let Err(more) = input.check(&con.state.pack) {
                errs.add_missing(&more);
            }
        }
        (view, input, errs)
    }
}

#[derive(Template)]
#[template(path = "console_facility_new.html")]
struct NewPage {
    l: ConsoleLayout,
    f: FacilityFormView,
    errs: FormErrors,
    others: Vec<String>,
}

/// `GET /console/facilities/new`.
pub(super) async fn new_form(mut con: Con) -> PageResult {
    let who = con.admin("/console/facilities/new")?;
    con.section("facilities");
    if !con.layout.who.as_ref().is_some_and(|w| w.can_create_facilities) {
        return Err(ApiError::NotFound.into());
    }
    let f = FacilityFormView::empty(&con, &who);
    con.render(&NewPage {
        l: con.layout.clone(),
        f,
        errs: FormErrors::default(),
        others: Vec::new(),
    })
}

/// `POST /console/facilities/new`.
pub(super) async fn create(mut con: Con, FormFields(form): FormFields) -> PageResult {
    let who = con.admin("/console/facilities/new")?;
    con.section("facilities");
    con.check_csrf(&form)?;
    let (f, input, mut errs) = FacilityFormView::submitted(&con, &who, &form);
    let mut status = StatusCode::BAD_REQUEST;
    if !errs.any() {
        match admin::create_facility(&con.state, &who, &input).await {
            Ok(created) => {
                return Ok(con.done(
                    &facility_href(created.center.id),
                    "con_facility_created",
                    None,
                ));
            }
            Err(e) => (status, errs) = super::form_failure(&con, e)?,
        }
    }
    let others = errs.others(FACILITY_FIELDS);
    con.render_status(status, &NewPage { l: con.layout.clone(), f, errs, others })
}

// ---------------------------------------------------------------------------------------------
// One facility

struct FacilityView {
    id: i64,
    href: String,
    name: String,
    name_l: String,
    kind: &'static str,
    address: String,
    block: String,
    district: String,
    state: String,
    pincode: u32,
    location: String,
    hours: String,
    fees: String,
    cold_chain_point: String,
    active: bool,
}

struct StaffView {
    id: String,
    username: String,
    name: String,
    role: &'static str,
    mobile: String,
    active: bool,
}

pub(super) struct StaffFormView {
    username: String,
    name: String,
    mobile: String,
    roles: Vec<Opt>,
}

pub(super) struct SessionView {
    id: String,
    date: String,
    iso: String,
    vaccine: String,
    ages: String,
    dose1: String,
    dose2: String,
    capacity_dose1: u32,
    capacity_dose2: u32,
    walk_ins: bool,
    active: bool,
    /// Not in the past and not cancelled: can be changed.
    open: bool,
    slots: String,
}

#[derive(Template)]
#[template(path = "console_facility.html")]
struct FacilityPage {
    l: ConsoleLayout,
    fac: FacilityView,
    f: FacilityFormView,
    errs: FormErrors,
    others: Vec<String>,
    staff: Vec<StaffView>,
    sf: StaffFormView,
    staff_errs: FormErrors,
    staff_others: Vec<String>,
    sessions: Vec<SessionView>,
    /// The session whose form failed, and why.
    session_err_id: String,
    session_errs: Vec<String>,
    /// Open the edit form (after a failed update).
    edit_open: bool,
}

/// What a failed form on the facility page shows again.
#[derive(Default)]
pub(super) struct Again {
    pub(super) form: Option<(FacilityFormView, FormErrors)>,
    pub(super) staff: Option<(StaffFormView, FormErrors)>,
    pub(super) session: Option<(String, FormErrors)>,
}

fn role_label(t: &i18n::Texts, role: tika_domain::staff::StaffRole) -> &'static str {
    match role {
        tika_domain::staff::StaffRole::Vaccinator => t.con_role_vaccinator,
        tika_domain::staff::StaffRole::FacilityAdmin => t.con_role_facility_admin,
    }
}

fn staff_form_empty(t: &i18n::Texts) -> StaffFormView {
    StaffFormView {
        username: String::new(),
        name: String::new(),
        mobile: String::new(),
        roles: roles(t, "vaccinator"),
    }
}

fn roles(t: &i18n::Texts, current: &str) -> Vec<Opt> {
    vec![
        Opt::new("vaccinator", t.con_role_vaccinator, current),
        Opt::new("facility_admin", t.con_role_facility_admin, current),
    ]
}

pub(super) fn ages_label(t: &i18n::Texts, ages: &tika_domain::session::AgeLimits) -> String {
    match ages.max {
        Some(max) => {
            i18n::fill(t.ages_range, &[("min", &ages.min.to_string()), ("max", &max.to_string())])
        }
        None => i18n::fill(t.ages_from, &[("min", &ages.min.to_string())]),
    }
}

fn session_view(con: &Con, s: &Session, today: chrono::NaiveDate) -> SessionView {
    let t = con.t;
    let booked = |b: u32, c: u32| {
        i18n::fill(t.con_booked_of, &[("booked", &b.to_string()), ("capacity", &c.to_string())])
    };
    SessionView {
        id: s.id.to_string(),
        date: con.date_label(s.date),
        iso: s.date.format("%Y-%m-%d").to_string(),
        vaccine: s.vaccine.to_string(),
        ages: ages_label(t, &s.ages),
        dose1: booked(s.booked_dose1, s.capacity_dose1),
        dose2: booked(s.booked_dose2, s.capacity_dose2),
        capacity_dose1: s.capacity_dose1,
        capacity_dose2: s.capacity_dose2,
        walk_ins: s.walk_ins,
        active: s.active,
        open: s.active && s.date >= today,
        slots: i18n::fill(t.con_slots_n, &[("n", &s.slots.len().to_string())]),
    }
}

/// Renders the facility page (with a failed form shown again, if any).
pub(super) async fn render_facility(
    con: &Con,
    who: &AdminPrincipal,
    id: CenterId,
    again: Again,
    status: StatusCode,
) -> PageResult {
    let state = &con.state;
    let t = con.t;
    let fac = admin::facility(state, who, id).await?;
    let staff: Vec<Staff> = admin::list_staff(state, who, id).await?;
    let today = state.today();
    let sessions =
        admin::facility_sessions(state, who, id, today, today + chrono::Duration::days(27)).await?;
    let c = &fac.center;
    let view = FacilityView {
        id: c.id.0,
        href: facility_href(c.id),
        name: c.name.clone(),
        name_l: c.name_l.clone(),
        kind: kind_label(t, fac.kind),
        address: c.address.clone(),
        block: c.block_name.clone(),
        district: district_name(state, c.district_id),
        state: state_name(state, con.lang, c.state_id),
        pincode: c.pincode,
        location: match (c.lat, c.lon) {
            (Some(a), Some(o)) => format!("{a:.5}, {o:.5}"),
            _ => String::new(),
        },
        hours: i18n::fill(
            t.open_hours,
            &[
                ("from", &c.open_time.chars().take(5).collect::<String>()),
                ("to", &c.close_time.chars().take(5).collect::<String>()),
            ],
        ),
        fees: if fac.fees.is_empty() {
            t.free.to_owned()
        } else {
            fac.fees.iter().map(|(v, f)| format!("{v} ₹{f}")).collect::<Vec<_>>().join(", ")
        },
        cold_chain_point: fac.cold_chain_point.clone(),
        active: fac.active,
    };
    let edit_open = again.form.is_some();
    let (f, errs) =
        again.form.unwrap_or_else(|| (FacilityFormView::of(con, who, &fac), FormErrors::default()));
    let (sf, staff_errs) =
        again.staff.unwrap_or_else(|| (staff_form_empty(t), FormErrors::default()));
    let (session_err_id, session_errs) = match again.session {
        Some((id, e)) => (id, e.others(&[])),
        None => (String::new(), Vec::new()),
    };
    let page = FacilityPage {
        l: con.layout.clone(),
        others: errs.others(FACILITY_FIELDS),
        staff_others: staff_errs.others(STAFF_FIELDS),
        fac: view,
        f,
        errs,
        staff: staff
            .iter()
            .map(|s| StaffView {
                id: s.id.to_string(),
                username: s.username.to_string(),
                name: s.name.clone(),
                role: role_label(t, s.role),
                mobile: s
                    .mobile
                    .as_ref()
                    .map(|m| format!("******{}", m.last4()))
                    .unwrap_or_default(),
                active: s.active,
            })
            .collect(),
        sf,
        staff_errs,
        sessions: sessions.iter().map(|s| session_view(con, s, today)).collect(),
        session_err_id,
        session_errs,
        edit_open,
    };
    con.render_status(status, &page)
}

/// `GET /console/facilities/{id}`.
pub(super) async fn show(mut con: Con, Path(id): Path<String>) -> PageResult {
    let who = con.admin(&format!("/console/facilities/{}", encode(&id)))?;
    con.section("facilities");
    let id = parse_center(&id)?;
    render_facility(&con, &who, id, Again::default(), StatusCode::OK).await
}

/// `POST /console/facilities/{id}`: saves the details.
pub(super) async fn update(
    mut con: Con,
    Path(id): Path<String>,
    FormFields(form): FormFields,
) -> PageResult {
    let who = con.admin("/console/facilities")?;
    con.section("facilities");
    con.check_csrf(&form)?;
    let id = parse_center(&id)?;
    let (f, input, mut errs) = FacilityFormView::submitted(&con, &who, &form);
    let mut status = StatusCode::BAD_REQUEST;
    if !errs.any() {
        match admin::update_facility(&con.state, &who, id, &input).await {
            Ok(_) => return Ok(con.done(&facility_href(id), "con_facility_saved", None)),
            Err(e) => (status, errs) = super::form_failure(&con, e)?,
        }
    }
    render_facility(&con, &who, id, Again { form: Some((f, errs)), ..Again::default() }, status)
        .await
}

/// `POST /console/facilities/{id}/active` (`active=1|0`).
pub(super) async fn set_active(
    mut con: Con,
    Path(id): Path<String>,
    FormFields(form): FormFields,
) -> PageResult {
    let who = con.admin("/console/facilities")?;
    con.check_csrf(&form)?;
    let id = parse_center(&id)?;
    let on = form.get("active") == Some("1");
    admin::set_facility_active(&con.state, &who, id, on).await?;
    Ok(con.done(&facility_href(id), if on { "con_facility_on" } else { "con_facility_off" }, None))
}

/// `POST /console/facilities/{id}/staff`: adds a staff member.
pub(super) async fn add_staff(
    mut con: Con,
    Path(id): Path<String>,
    FormFields(form): FormFields,
) -> PageResult {
    let who = con.admin("/console/facilities")?;
    con.section("facilities");
    con.check_csrf(&form)?;
    let id = parse_center(&id)?;
    let input = StaffForm {
        username: form.text("username"),
        name: form.text("name"),
        mobile: form.get("mobile").map(str::to_owned),
        role: form.text("role"),
        password: form.raw("password"),
    };
    match admin::create_staff(&con.state, &who, id, &input).await {
        Ok(_) => Ok(con.done(&format!("{}#staff", facility_href(id)), "con_staff_added", None)),
        Err(e) => {
            let (status, errs) = super::form_failure(&con, e)?;
            let sf = StaffFormView {
                username: input.username,
                name: input.name,
                mobile: input.mobile.unwrap_or_default(),
                roles: roles(con.t, &input.role),
            };
            render_facility(
                &con,
                &who,
                id,
                Again { staff: Some((sf, errs)), ..Again::default() },
                status,
            )
            .await
        }
    }
}

/// `POST /console/facilities/{id}/staff/{staff}/active` (`active=1|0`).
pub(super) async fn set_staff_active(
    mut con: Con,
    Path((id, staff)): Path<(String, String)>,
    FormFields(form): FormFields,
) -> PageResult {
    let who = con.admin("/console/facilities")?;
    con.check_csrf(&form)?;
    let id = parse_center(&id)?;
    let staff: StaffId = staff.parse().map_err(|_| PageError::Api(ApiError::NotFound))?;
    let on = form.get("active") == Some("1");
    admin::set_staff_active(&con.state, &who, staff, on).await?;
    Ok(con.done(&format!("{}#staff", facility_href(id)), "con_staff_changed", None))
}
