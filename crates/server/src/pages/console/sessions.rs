//! Sessions of a facility: planning (one session or a recurring plan), changing seats and
//! walk-ins, cancelling and moving (the people booked are told by SMS by the services).

use askama::Template;
use axum::extract::Path;
use axum::http::StatusCode;
use chrono::NaiveDate;
use tika_domain::admin::{PlanForm, SessionEdit, parse_hhmm};
use tika_domain::ids::SessionId;

use super::facilities::{Again, facility_href, parse_center, render_facility};
use super::{Con, ConsoleLayout, FormErrors, Opt};
use crate::error::ApiError;
use crate::pages::context::{Fields, FormFields, PageError, PageResult, encode};
use crate::pages::i18n;
use crate::services::admin;

const PLAN_FIELDS: &[&str] = &[
    "vaccine", "from", "until", "weekdays", "min_age", "max_age", "capacity", "slots", "walk_ins",
];

/// A weekday checkbox.
struct Weekday {
    value: u8,
    label: &'static str,
    checked: bool,
}

struct PlanFormView {
    vaccines: Vec<Opt>,
    from: String,
    until: String,
    weekdays: Vec<Weekday>,
    min_age: String,
    max_age: String,
    capacity_dose1: String,
    capacity_dose2: String,
    slots: String,
    walk_ins: bool,
}

struct Outcome {
    created: Vec<String>,
    skipped: Vec<String>,
    created_n: String,
    skipped_n: String,
}

#[derive(Template)]
#[template(path = "console_plan.html")]
struct PlanPage {
    l: ConsoleLayout,
    fac_href: String,
    fac_name: String,
    p: PlanFormView,
    errs: FormErrors,
    others: Vec<String>,
    outcome: Option<Outcome>,
}

fn weekdays(t: &i18n::Texts, chosen: &[u8]) -> Vec<Weekday> {
    use chrono::Weekday::*;
    [Mon, Tue, Wed, Thu, Fri, Sat, Sun]
        .into_iter()
        .map(|d| {
            let value = d.num_days_from_monday() as u8;
            Weekday { value, label: i18n::weekday(t, d), checked: chosen.contains(&value) }
        })
        .collect()
}

fn vaccines(con: &Con, current: &str) -> Vec<Opt> {
    con.state
        .pack
        .vaccines
        .iter()
        .map(|v| Opt::new(v.code.as_str(), format!("{} ({})", v.name, v.code.as_str()), current))
        .collect()
}

fn iso(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}

/// `GET /console/facilities/{id}/plan`.
pub(super) async fn plan_form(mut con: Con, Path(id): Path<String>) -> PageResult {
    let who = con.admin(&format!("/console/facilities/{}/plan", encode(&id)))?;
    con.section("facilities");
    let id = parse_center(&id)?;
    let fac = admin::facility(&con.state, &who, id).await?;
    let from = con.state.today() + chrono::Duration::days(1);
    let first = con.state.pack.vaccines.first().map(|v| v.code.as_str().to_owned());
    let p = PlanFormView {
        vaccines: vaccines(&con, first.as_deref().unwrap_or_default()),
        from: iso(from),
        until: iso(from + chrono::Duration::days(27)),
        weekdays: weekdays(con.t, &[0, 1, 2, 3, 4]),
        min_age: "18".into(),
        max_age: String::new(),
        capacity_dose1: "100".into(),
        capacity_dose2: "50".into(),
        slots: "4".into(),
        walk_ins: true,
    };
    con.render(&PlanPage {
        l: con.layout.clone(),
        fac_href: facility_href(id),
        fac_name: fac.center.name.clone(),
        p,
        errs: FormErrors::default(),
        others: Vec::new(),
        outcome: None,
    })
}

fn number(form: &Fields, name: &str, errs: &mut FormErrors, field: &str, bad: &str) -> Option<u32> {
    let v = form.get(name)?;
    match v.parse::<u32>() {
        Ok(n) => Some(n),
        Err(_) => {
            errs.add(field, format!("{name}: {bad}"));
            None
        }
    }
}

/// `POST /console/facilities/{id}/plan`.
pub(super) async fn plan(
    mut con: Con,
    Path(id): Path<String>,
    FormFields(form): FormFields,
) -> PageResult {
    let who = con.admin(&format!("/console/facilities/{}/plan", encode(&id)))?;
    con.section("facilities");
    con.check_csrf(&form)?;
    let id = parse_center(&id)?;
    let fac = admin::facility(&con.state, &who, id).await?;
    let bad = con.t.con_bad_number;
    let mut errs = FormErrors::default();
    let from = form.get("from").and_then(parse_date);
    if form.get("from").is_some() && from.is_none() {
        errs.add("from", con.t.invalid_date);
    }
    let until = form.get("until").and_then(parse_date);
    if form.get("until").is_some() && until.is_none() {
        errs.add("until", con.t.invalid_date);
    }
    let chosen: Vec<u8> = form
        .all("weekday")
        .iter()
        .filter_map(|d| d.parse::<u8>().ok())
        .filter(|d| *d < 7)
        .collect();
    let input = PlanForm {
        vaccine: form.text("vaccine"),
        from,
        until,
        weekdays: chosen.clone(),
        min_age: number(&form, "min_age", &mut errs, "min_age", bad),
        max_age: number(&form, "max_age", &mut errs, "max_age", bad),
        capacity_dose1: number(&form, "capacity_dose1", &mut errs, "capacity", bad),
        capacity_dose2: number(&form, "capacity_dose2", &mut errs, "capacity", bad),
        slots: number(&form, "slots", &mut errs, "slots", bad),
        walk_ins: form.get("walk_ins").is_some(),
    };
    let p = PlanFormView {
        vaccines: vaccines(&con, &input.vaccine),
        from: form.text("from"),
        until: form.text("until"),
        weekdays: weekdays(con.t, &chosen),
        min_age: form.text("min_age"),
        max_age: form.text("max_age"),
        capacity_dose1: form.text("capacity_dose1"),
        capacity_dose2: form.text("capacity_dose2"),
        slots: form.text("slots"),
        walk_ins: input.walk_ins,
    };
    let mut status = StatusCode::BAD_REQUEST;
    let mut outcome = None;
    if errs.any() {
        // Show every problem at once: the domain's own checks of the rest.
        let open = parse_hhmm(&fac.center.open_time).unwrap_or(0);
        let close = parse_hhmm(&fac.center.close_time).unwrap_or(0);
        if let Err(more) = input.check(&con.state.pack, open, close, con.state.today()) {
            errs.add_missing(&more);
        }
    } else {
        match admin::plan_sessions(&con.state, &who, id, &input).await {
            Ok(done) => {
                status = StatusCode::OK;
                outcome = Some(Outcome {
                    created_n: i18n::fill(
                        con.t.con_plan_created,
                        &[("n", &done.created.len().to_string())],
                    ),
                    skipped_n: i18n::fill(
                        con.t.con_plan_skipped,
                        &[("n", &done.skipped.len().to_string())],
                    ),
                    created: done.created.iter().map(|(d, _)| con.date_label(*d)).collect(),
                    skipped: done.skipped.iter().map(|d| con.date_label(*d)).collect(),
                });
            }
            Err(e) => (status, errs) = super::form_failure(&con, e)?,
        }
    }
    let others = errs.others(PLAN_FIELDS);
    con.render_status(
        status,
        &PlanPage {
            l: con.layout.clone(),
            fac_href: facility_href(id),
            fac_name: fac.center.name.clone(),
            p,
            errs,
            others,
            outcome,
        },
    )
}

fn parse_session(s: &str) -> Result<SessionId, PageError> {
    s.trim().parse().map_err(|_| PageError::Api(ApiError::NotFound))
}

/// A failed session form: the facility page again, with the problem at that session.
async fn again(
    con: &Con,
    who: &admin::AdminPrincipal,
    id: tika_domain::ids::CenterId,
    session: SessionId,
    status: StatusCode,
    errs: FormErrors,
) -> PageResult {
    let again = Again { session: Some((session.to_string(), errs)), ..Again::default() };
    render_facility(con, who, id, again, status).await
}

/// `POST /console/facilities/{id}/sessions/{session}/edit`: seats and walk-ins.
pub(super) async fn edit(
    mut con: Con,
    Path((id, session)): Path<(String, String)>,
    FormFields(form): FormFields,
) -> PageResult {
    let who = con.admin("/console/facilities")?;
    con.section("facilities");
    con.check_csrf(&form)?;
    let id = parse_center(&id)?;
    let session = parse_session(&session)?;
    let bad = con.t.con_bad_number;
    let mut errs = FormErrors::default();
    let c1 = number(&form, "capacity_dose1", &mut errs, "capacity", bad);
    let c2 = number(&form, "capacity_dose2", &mut errs, "capacity", bad);
    let (Some(c1), Some(c2)) = (c1, c2) else {
        if !errs.any() {
            errs.add("capacity", bad);
        }
        return again(&con, &who, id, session, StatusCode::BAD_REQUEST, errs).await;
    };
    let edit = SessionEdit {
        capacity_dose1: c1,
        capacity_dose2: c2,
        walk_ins: form.get("walk_ins").is_some(),
    };
    match admin::edit_session(&con.state, &who, session, edit).await {
        Ok(_) => {
            Ok(con.done(&format!("{}#s-{session}", facility_href(id)), "con_session_saved", None))
        }
        Err(e) => {
            let (status, errs) = super::form_failure(&con, e)?;
            again(&con, &who, id, session, status, errs).await
        }
    }
}

/// `POST /console/facilities/{id}/sessions/{session}/cancel` (`reason`).
pub(super) async fn cancel(
    mut con: Con,
    Path((id, session)): Path<(String, String)>,
    FormFields(form): FormFields,
) -> PageResult {
    let who = con.admin("/console/facilities")?;
    con.section("facilities");
    con.check_csrf(&form)?;
    let id = parse_center(&id)?;
    let session = parse_session(&session)?;
    match admin::cancel_session(&con.state, &who, session, &form.text("reason")).await {
        Ok(n) => Ok(con.done(&facility_href(id), "con_session_cancelled", Some(&n.to_string()))),
        Err(e) => {
            let (status, errs) = super::form_failure(&con, e)?;
            again(&con, &who, id, session, status, errs).await
        }
    }
}

/// `POST /console/facilities/{id}/sessions/{session}/move` (`date`, `reason`).
pub(super) async fn move_to(
    mut con: Con,
    Path((id, session)): Path<(String, String)>,
    FormFields(form): FormFields,
) -> PageResult {
    let who = con.admin("/console/facilities")?;
    con.section("facilities");
    con.check_csrf(&form)?;
    let id = parse_center(&id)?;
    let session = parse_session(&session)?;
    let Some(date) = form.get("date").and_then(parse_date) else {
        let mut errs = FormErrors::default();
        errs.add("date", con.t.invalid_date);
        return again(&con, &who, id, session, StatusCode::BAD_REQUEST, errs).await;
    };
    match admin::move_session(&con.state, &who, session, date, &form.text("reason")).await {
        Ok(n) => Ok(con.done(
            &format!("{}#s-{session}", facility_href(id)),
            "con_session_moved",
            Some(&n.to_string()),
        )),
        Err(e) => {
            let (status, errs) = super::form_failure(&con, e)?;
            again(&con, &who, id, session, status, errs).await
        }
    }
}
