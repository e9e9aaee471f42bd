//! `/book` and `/reschedule`: choosing a slot and members, or a new session.

use askama::Template;
use chrono::{Datelike, Duration, NaiveDate};
use tika_domain::ids::SessionId;
use tika_domain::vaccine::DoseNumber;
use tika_storage::AppointmentStatus;

use super::account::dose_label;
use super::context::{
    Ctx, Fields, FormFields, Layout, PageError, PageResult, QueryFields, encode, redirect,
    with_flash,
};
use super::home::{CentreCard, MAX_CENTRES, Opt, centre_card};
use super::i18n::{self, Message};
use crate::error::ApiError;
use crate::services::auth::Principal;
use crate::services::booking::{self, ScheduleRequest};
use crate::services::registration::{self, VaccinationStatus};

/// A member offered for a booking.
struct MemberChoice {
    ref_id: String,
    name: String,
    birth_year: i32,
    eligible: bool,
    checked: bool,
}

#[derive(Template)]
#[template(path = "book.html")]
struct BookPage {
    l: Layout,
    session_id: String,
    centre: CentreCard,
    slots: Vec<Opt>,
    doses: Vec<Opt>,
    members: Vec<MemberChoice>,
    any_eligible: bool,
    error: Option<Message>,
}

fn session_not_found() -> ApiError {
    ApiError::bad_request("APPOIN0012", "Session not found")
}

/// Whether a form error is the citizen's to fix (shown on the form) or a failure (error page).
fn is_form_error(e: &ApiError) -> bool {
    matches!(
        e,
        ApiError::BadRequest { .. } | ApiError::Conflict { .. } | ApiError::TooManyRequests { .. }
    )
}

async fn book_page(
    ctx: &Ctx,
    principal: &Principal,
    session_id: &str,
    form: Option<&Fields>,
    error: Option<Message>,
) -> Result<BookPage, PageError> {
    let id: SessionId = session_id.parse().map_err(|_| session_not_found())?;
    let index = ctx.state.cache.index();
    let session = index.session(id).filter(|s| s.is_active()).ok_or_else(session_not_found)?;
    let centre = index.center(session.center_idx);
    let card = centre_card(ctx, centre, std::iter::once(session));
    let people = registration::list(&ctx.state, principal).await?;
    let chosen: Vec<String> = form.map(|f| f.all("beneficiaries")).unwrap_or_default();
    let mut default_dose = None;
    let mut members: Vec<MemberChoice> = people
        .iter()
        .map(|p| {
            let b = &p.beneficiary;
            let age = session.date.year() - b.birth_year;
            let eligible = session.ages.admits(age)
                && p.status != VaccinationStatus::Vaccinated
                && p.active_appointments().next().is_none()
                && p.vaccine().is_none_or(|v| v == session.vaccine.as_str());
            if eligible && default_dose.is_none() {
                default_dose = Some(if p.doses.is_empty() { 1 } else { 2 });
            }
            MemberChoice {
                ref_id: b.reference_id.to_string(),
                name: b.name.clone(),
                birth_year: b.birth_year,
                eligible,
                checked: chosen.iter().any(|c| c == b.reference_id.as_str()),
            }
        })
        .collect();
    let eligible_count = members.iter().filter(|m| m.eligible).count();
    if form.is_none() && eligible_count == 1 {
        for m in members.iter_mut().filter(|m| m.eligible) {
            m.checked = true;
        }
    }
    let slot_now = form
        .and_then(|f| f.get("slot"))
        .map(str::to_owned)
        .or_else(|| session.slots.first().map(|s| s.as_str().to_owned()))
        .unwrap_or_default();
    let dose_now = form
        .and_then(|f| f.get("dose"))
        .map(str::to_owned)
        .unwrap_or_else(|| default_dose.unwrap_or(1).to_string());
    Ok(BookPage {
        l: ctx.layout.clone(),
        session_id: session.id.to_string(),
        centre: card,
        slots: session.slots.iter().map(|s| Opt::new(s.as_str(), s.as_str(), &slot_now)).collect(),
        doses: vec![
            Opt::new("1", dose_label(ctx.t, DoseNumber::FIRST), &dose_now),
            Opt::new("2", dose_label(ctx.t, DoseNumber::SECOND), &dose_now),
        ],
        members,
        any_eligible: eligible_count > 0,
        error,
    })
}

/// `GET /book?session_id=…`.
pub(crate) async fn show_book(ctx: Ctx, QueryFields(q): QueryFields) -> PageResult {
    let id = q.text("session_id");
    let principal = ctx.citizen(&format!("/book?session_id={}", encode(&id)))?;
    let page = book_page(&ctx, &principal, &id, None, None).await?;
    ctx.render(&page)
}

/// `POST /book`: books, then shows the account with the security code.
pub(crate) async fn book(ctx: Ctx, FormFields(form): FormFields) -> PageResult {
    let id = form.text("session_id");
    let principal = ctx.citizen(&format!("/book?session_id={}", encode(&id)))?;
    ctx.check_csrf(&form)?;
    let req = ScheduleRequest {
        dose: form.get("dose").and_then(|d| d.parse().ok()),
        session_id: Some(id.clone()),
        slot: form.get("slot").map(str::to_owned),
        beneficiaries: form.all("beneficiaries"),
    };
    match booking::schedule(&ctx.state, &principal, &req).await {
        Ok(appointment) => {
            let rows = booking::own_booking(&ctx.state, &principal, appointment).await?;
            let codes: Vec<&str> = rows.iter().map(|r| r.security_code.as_str()).collect();
            Ok(with_flash(redirect("/account"), "booked", Some(&codes.join(",")), ctx.secure()))
        }
        Err(e) if is_form_error(&e) => {
            let status = e.status();
            let page = book_page(&ctx, &principal, &id, Some(&form), Some(ctx.message(&e))).await?;
            ctx.render_status(status, &page)
        }
        Err(e) => Err(e.into()),
    }
}

/// The appointment being moved.
struct CurrentView {
    centre: String,
    address: String,
    date: String,
    slot: String,
    vaccine: String,
    dose: &'static str,
    names: String,
}

#[derive(Template)]
#[template(path = "reschedule.html")]
struct ReschedulePage {
    l: Layout,
    appointment_id: String,
    current: CurrentView,
    pincode: String,
    date: String,
    min_date: String,
    max_date: String,
    note: String,
    heading: String,
    centres: Vec<CentreCard>,
    search_error: Option<String>,
    error: Option<Message>,
}

async fn reschedule_page(
    ctx: &Ctx,
    principal: &Principal,
    appointment_id: &str,
    fields: &Fields,
    error: Option<Message>,
) -> Result<ReschedulePage, PageError> {
    let state = &ctx.state;
    let t = ctx.t;
    let booking_id = appointment_id
        .parse()
        .map_err(|_| ApiError::bad_request("APPOIN0013", "Appointment not found"))?;
    let rows = booking::own_booking(state, principal, booking_id).await?;
    let active: Vec<_> = rows.iter().filter(|r| r.status == AppointmentStatus::Booked).collect();
    let Some(first) = active.first() else {
        return Err(ApiError::conflict(
            "APPOIN0060",
            "This appointment cannot be cancelled or rescheduled",
        )
        .into());
    };
    let places = booking::places_of(state, &active).await?;
    let place = places.get(&first.session_id).ok_or(ApiError::NotFound)?;
    let people = registration::list(state, principal).await?;
    let names: Vec<&str> = active
        .iter()
        .filter_map(|r| people.iter().find(|p| p.beneficiary.id == r.beneficiary_id))
        .map(|p| p.beneficiary.name.as_str())
        .collect();
    let lang_name = |en: &str, hi: &str| {
        if ctx.lang == crate::services::search::Lang::Hi && !hi.is_empty() { hi } else { en }
            .to_owned()
    };
    let current = CurrentView {
        centre: lang_name(&place.center.name, &place.center.name_l),
        address: place.center.address.clone(),
        date: ctx.date_label(place.session.date),
        slot: first.slot.as_str().to_owned(),
        vaccine: place.session.vaccine.to_string(),
        dose: dose_label(t, first.dose),
        names: names.join(", "),
    };

    let today = state.today();
    let index = state.cache.index();
    let pincode = fields
        .get("pincode")
        .map(str::to_owned)
        .unwrap_or_else(|| place.center.pincode.to_string());
    let date = fields
        .get("date")
        .and_then(|d| tika_domain::date::parse_cowin_date(d).ok())
        .unwrap_or(today)
        .max(today);
    let mut search_error = None;
    let mut centres = Vec::new();
    match pincode.parse::<u32>() {
        Ok(p) if pincode.len() == 6 => {
            let to = date + Duration::days(6);
            let n = u32::try_from(active.len()).unwrap_or(u32::MAX);
            for &pos in index.centers_in_pincode(p) {
                let sessions: Vec<_> = index
                    .sessions_of(pos, date, to)
                    .filter(|s| s.vaccine == place.session.vaccine)
                    .filter(|s| s.id == first.session_id || s.available(first.dose) >= n)
                    .collect();
                if sessions.is_empty() {
                    continue;
                }
                if centres.len() == MAX_CENTRES {
                    break;
                }
                let mut card = centre_card(ctx, index.center(pos), sessions.into_iter());
                for s in &mut card.sessions {
                    s.current = s.id == first.session_id.to_string();
                }
                centres.push(card);
            }
        }
        _ => search_error = Some(t.invalid_pincode.to_owned()),
    }
    let iso = |d: NaiveDate| d.format("%Y-%m-%d").to_string();
    Ok(ReschedulePage {
        l: ctx.layout.clone(),
        appointment_id: appointment_id.to_owned(),
        heading: i18n::fill(
            t.results_heading,
            &[("n", &centres.len().to_string()), ("date", &ctx.date_label(date))],
        ),
        note: i18n::fill(t.same_vaccine_note, &[("vaccine", place.session.vaccine.as_str())]),
        current,
        pincode,
        date: iso(date),
        min_date: iso(today),
        max_date: iso(index.to.max(today)),
        centres,
        search_error,
        error,
    })
}

/// `GET /reschedule?appointment_id=…[&pincode=…&date=…]`.
pub(crate) async fn show_reschedule(ctx: Ctx, QueryFields(q): QueryFields) -> PageResult {
    let id = q.text("appointment_id");
    let principal = ctx.citizen(&format!("/reschedule?appointment_id={}", encode(&id)))?;
    let page = reschedule_page(&ctx, &principal, &id, &q, None).await?;
    ctx.render(&page)
}

/// `POST /reschedule`: moves the appointment.
pub(crate) async fn reschedule(ctx: Ctx, FormFields(form): FormFields) -> PageResult {
    let id = form.text("appointment_id");
    let principal = ctx.citizen(&format!("/reschedule?appointment_id={}", encode(&id)))?;
    ctx.check_csrf(&form)?;
    let outcome = booking::reschedule(
        &ctx.state,
        &principal,
        Some(&id),
        form.get("session_id"),
        form.get("slot"),
    )
    .await;
    match outcome {
        Ok(()) => Ok(with_flash(redirect("/account"), "rescheduled", None, ctx.secure())),
        Err(e) if is_form_error(&e) => {
            let status = e.status();
            let page = reschedule_page(&ctx, &principal, &id, &form, Some(ctx.message(&e))).await?;
            ctx.render_status(status, &page)
        }
        Err(e) => Err(e.into()),
    }
}
