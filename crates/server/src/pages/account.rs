//! `/account`: the citizen's members and appointments; adding and removing members;
//! cancelling an appointment and downloading its slip.

use askama::Template;
use tika_domain::beneficiary::RegistrationInput;
use tika_domain::date::format_cowin_date;
use tika_domain::vaccine::DoseNumber;

use super::context::{
    Ctx, FormFields, Layout, PageError, PageResult, QueryFields, redirect, with_flash,
};
use super::home::Opt;
use super::i18n::{self, Message, Texts};
use crate::api::appointments::pdf_response;
use crate::error::ApiError;
use crate::services::auth::Principal;
use crate::services::booking;
use crate::services::registration::{self, BeneficiaryView, VaccinationStatus};
use crate::services::search::Lang;
use crate::state::AppState;

/// One active appointment of a member.
struct ApptView {
    id: String,
    centre: String,
    address: String,
    date: String,
    slot: String,
    dose: &'static str,
    vaccine: String,
    code: String,
}

/// One member.
struct MemberView {
    name: String,
    ref_id: String,
    birth_year: i32,
    gender: String,
    photo_id: String,
    status: &'static str,
    status_class: &'static str,
    vaccine: String,
    dose1: Option<String>,
    dose2: Option<String>,
    appointments: Vec<ApptView>,
    /// Live certificates: (dose, label), lowest dose first.
    certificates: Vec<(u8, String)>,
    /// A dose is recorded but its certificate is not issued yet.
    certificate_pending: bool,
    /// Correction requests: (field label, new value, status label).
    corrections: Vec<(String, String, String)>,
    can_book: bool,
    can_remove: bool,
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage {
    l: Layout,
    mobile: String,
    members: Vec<MemberView>,
    remaining: String,
    can_add: bool,
}

/// `Dose 1` / `Dose 2` in the page language.
pub(crate) fn dose_label(t: &Texts, dose: DoseNumber) -> &'static str {
    if dose == DoseNumber::SECOND { t.dose_2 } else { t.dose_1 }
}

fn status_text(t: &Texts, s: VaccinationStatus) -> (&'static str, &'static str) {
    match s {
        VaccinationStatus::NotVaccinated => (t.status_not, "not"),
        VaccinationStatus::PartiallyVaccinated => (t.status_partial, "partial"),
        VaccinationStatus::Vaccinated => (t.status_full, "full"),
    }
}

fn localized(lang: Lang, en: &str, hi: &str) -> String {
    if lang == Lang::Hi && !hi.is_empty() { hi.to_owned() } else { en.to_owned() }
}

fn remaining_text(t: &Texts, max: u32, count: usize) -> (String, bool) {
    let left = (max as usize).saturating_sub(count);
    if left == 0 {
        (i18n::fill(t.limit_reached, &[("max", &max.to_string())]), false)
    } else {
        (i18n::fill(t.remaining, &[("n", &left.to_string()), ("max", &max.to_string())]), true)
    }
}

async fn member_views(
    ctx: &Ctx,
    state: &AppState,
    people: &[BeneficiaryView],
) -> Result<Vec<MemberView>, PageError> {
    let t = ctx.t;
    let active: Vec<_> = people.iter().flat_map(|p| p.active_appointments()).collect();
    let places = booking::places_of(state, &active).await?;
    let ids: Vec<_> = people.iter().map(|p| p.beneficiary.id).collect();
    let certs =
        state.store.live_certificates_for_beneficiaries(&ids).await.map_err(ApiError::from)?;
    let mut corrections = std::collections::HashMap::new();
    for p in people.iter().filter(|p| !p.doses.is_empty()) {
        let list = state
            .store
            .list_corrections(&tika_storage::CorrectionFilter {
                status: None,
                beneficiary: Some(p.beneficiary.id),
            })
            .await
            .map_err(ApiError::from)?;
        corrections.insert(p.beneficiary.id, list);
    }
    Ok(people
        .iter()
        .map(|p| {
            let b = &p.beneficiary;
            let (status, status_class) = status_text(t, p.status);
            let appointments: Vec<ApptView> = p
                .active_appointments()
                .filter_map(|a| {
                    let place = places.get(&a.session_id)?;
                    let c = &place.center;
                    Some(ApptView {
                        id: a.booking_id.to_string(),
                        centre: localized(ctx.lang, &c.name, &c.name_l),
                        address: c.address.clone(),
                        date: ctx.date_label(place.session.date),
                        slot: a.slot.as_str().to_owned(),
                        dose: dose_label(t, a.dose),
                        vaccine: place.session.vaccine.to_string(),
                        code: a.security_code.as_str().to_owned(),
                    })
                })
                .collect();
            let id_type = state
                .pack
                .id_type(b.photo_id_type)
                .map(|i| localized(ctx.lang, &i.name, &i.name_l))
                .unwrap_or_default();
            MemberView {
                name: b.name.clone(),
                ref_id: b.reference_id.to_string(),
                birth_year: b.birth_year,
                gender: state
                    .pack
                    .gender(b.gender_id)
                    .map(|g| localized(ctx.lang, &g.name, &g.name_l))
                    .unwrap_or_default(),
                photo_id: format!("{id_type} ********{}", b.photo_id_last4),
                status,
                status_class,
                vaccine: p.vaccine().unwrap_or_default().to_owned(),
                dose1: p.dose_date(1).map(format_cowin_date),
                dose2: p.dose_date(2).map(format_cowin_date),
                certificates: {
                    let mut mine: Vec<(u8, String)> = certs
                        .iter()
                        .filter(|c| {
                            c.beneficiary_id == b.id
                                && c.kind == tika_storage::CertificateKind::Domestic
                        })
                        .map(|c| {
                            (
                                c.dose,
                                i18n::fill(t.certificate_dose, &[("dose", &c.dose.to_string())]),
                            )
                        })
                        .collect();
                    mine.sort_by_key(|(d, _)| *d);
                    mine
                },
                certificate_pending: p.doses.len()
                    > certs
                        .iter()
                        .filter(|c| {
                            c.beneficiary_id == b.id
                                && c.kind == tika_storage::CertificateKind::Domestic
                        })
                        .count(),
                corrections: corrections
                    .get(&b.id)
                    .map(|list| {
                        list.iter()
                            .map(|r| {
                                let status = match r.status {
                                    tika_storage::CorrectionStatus::Pending => t.correction_pending,
                                    tika_storage::CorrectionStatus::Approved => {
                                        t.correction_approved
                                    }
                                    tika_storage::CorrectionStatus::Rejected => {
                                        t.correction_rejected
                                    }
                                };
                                (field_label(t, r.field), r.new_value.clone(), status.to_owned())
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
                can_book: p.status != VaccinationStatus::Vaccinated && appointments.is_empty(),
                can_remove: appointments.is_empty() && p.doses.is_empty(),
                appointments,
            }
        })
        .collect())
}

/// `GET /account`.
pub(crate) async fn show(ctx: Ctx) -> PageResult {
    let principal = ctx.citizen("/account")?;
    let state = ctx.state.clone();
    let people = registration::list(&state, &principal).await?;
    let account = state.store.find_account(principal.account).await.map_err(ApiError::from)?;
    let members = member_views(&ctx, &state, &people).await?;
    let (remaining, can_add) = remaining_text(ctx.t, state.max_beneficiaries(), people.len());
    ctx.render(&AccountPage {
        l: ctx.layout.clone(),
        mobile: i18n::fill(
            ctx.t.registered_mobile,
            &[("mobile", &format!("******{}", account.mobile.last4()))],
        ),
        members,
        remaining,
        can_add,
    })
}

#[derive(Template)]
#[template(path = "member_form.html")]
struct MemberFormPage {
    l: Layout,
    name: String,
    birth_year: String,
    genders: Vec<Opt>,
    id_types: Vec<Opt>,
    comorbidity: bool,
    error: Option<Message>,
    remaining: String,
    can_add: bool,
}

fn member_form(
    ctx: &Ctx,
    form: Option<&super::context::Fields>,
    error: Option<Message>,
    count: usize,
) -> MemberFormPage {
    let state = &ctx.state;
    let get = |k: &str| form.map(|f| f.text(k)).unwrap_or_default();
    let (gender, id_type) = (get("gender_id"), get("photo_id_type"));
    let choose = |current: &str| Opt::new("", ctx.t.choose, current);
    let (remaining, can_add) = remaining_text(ctx.t, state.max_beneficiaries(), count);
    MemberFormPage {
        l: ctx.layout.clone(),
        name: get("name"),
        birth_year: get("birth_year"),
        genders: std::iter::once(choose(&gender))
            .chain(state.pack.genders.iter().map(|g| {
                Opt::new(g.id.to_string(), localized(ctx.lang, &g.name, &g.name_l), &gender)
            }))
            .collect(),
        id_types: std::iter::once(choose(&id_type))
            .chain(state.pack.id_types.iter().map(|i| {
                Opt::new(i.id.to_string(), localized(ctx.lang, &i.name, &i.name_l), &id_type)
            }))
            .collect(),
        comorbidity: get("comorbidity") == "Y",
        error,
        remaining,
        can_add,
    }
}

async fn member_count(state: &AppState, principal: &Principal) -> Result<usize, PageError> {
    Ok(state.store.list_beneficiaries(principal.account).await.map_err(ApiError::from)?.len())
}

/// `GET /account/add`.
pub(crate) async fn add_form(ctx: Ctx) -> PageResult {
    let principal = ctx.citizen("/account/add")?;
    let count = member_count(&ctx.state, &principal).await?;
    ctx.render(&member_form(&ctx, None, None, count))
}

/// `POST /account/add`.
pub(crate) async fn add(ctx: Ctx, FormFields(form): FormFields) -> PageResult {
    let principal = ctx.citizen("/account/add")?;
    ctx.check_csrf(&form)?;
    let (name, birth_year, number) =
        (form.text("name"), form.text("birth_year"), form.text("photo_id_number"));
    let int = |k: &str| form.get(k).and_then(|v| v.parse::<i64>().ok()).unwrap_or(0);
    let comorbidity = if form.get("comorbidity") == Some("Y") { "Y" } else { "N" };
    let input = RegistrationInput {
        name: &name,
        birth_year: &birth_year,
        gender_id: int("gender_id"),
        photo_id_type: int("photo_id_type"),
        photo_id_number: &number,
        comorbidity_ind: Some(comorbidity),
    };
    match registration::register(&ctx.state, &principal, &input).await {
        Ok(b) => Ok(with_flash(
            redirect("/account"),
            "member_added",
            Some(b.reference_id.as_str()),
            ctx.secure(),
        )),
        Err(e @ (ApiError::BadRequest { .. } | ApiError::Conflict { .. })) => {
            let count = member_count(&ctx.state, &principal).await?;
            let page = member_form(&ctx, Some(&form), Some(ctx.message(&e)), count);
            ctx.render_status(e.status(), &page)
        }
        Err(e) => Err(e.into()),
    }
}

#[derive(Template)]
#[template(path = "confirm.html")]
pub(crate) struct ConfirmPage {
    pub(crate) l: Layout,
    pub(crate) question: &'static str,
    pub(crate) action: &'static str,
    pub(crate) fields: Vec<(&'static str, String)>,
    pub(crate) button: &'static str,
}

/// `POST /account/remove`: removes a member (after confirming).
pub(crate) async fn remove(ctx: Ctx, FormFields(form): FormFields) -> PageResult {
    let principal = ctx.citizen("/account")?;
    ctx.check_csrf(&form)?;
    let reference = form.text("ref");
    if form.get("confirmed") != Some("1") {
        return ctx.render(&ConfirmPage {
            l: ctx.layout.clone(),
            question: ctx.t.remove_confirm,
            action: "/account/remove",
            fields: vec![("ref", reference)],
            button: ctx.t.remove_member,
        });
    }
    registration::delete(&ctx.state, &principal, Some(&reference)).await?;
    Ok(with_flash(redirect("/account"), "member_removed", None, ctx.secure()))
}

/// `POST /cancel`: cancels an appointment, for one member or all (after confirming).
pub(crate) async fn cancel(ctx: Ctx, FormFields(form): FormFields) -> PageResult {
    let principal = ctx.citizen("/account")?;
    ctx.check_csrf(&form)?;
    let (id, reference) = (form.text("appointment_id"), form.text("ref"));
    if form.get("confirmed") != Some("1") {
        return ctx.render(&ConfirmPage {
            l: ctx.layout.clone(),
            question: ctx.t.cancel_confirm,
            action: "/cancel",
            fields: vec![("appointment_id", id), ("ref", reference)],
            button: ctx.t.cancel,
        });
    }
    let only: Vec<String> = form.get("ref").map(str::to_owned).into_iter().collect();
    booking::cancel(&ctx.state, &principal, Some(&id), &only).await?;
    Ok(with_flash(redirect("/account"), "cancelled", None, ctx.secure()))
}

/// `GET /slip?appointment_id=…`: the appointment slip as a PDF.
fn field_label(t: &Texts, field: tika_storage::CorrectionField) -> String {
    match field {
        tika_storage::CorrectionField::Name => t.name.to_owned(),
        tika_storage::CorrectionField::BirthYear => t.birth_year.to_owned(),
        tika_storage::CorrectionField::Gender => t.gender.to_owned(),
        tika_storage::CorrectionField::PhotoId => t.photo_id.to_owned(),
    }
}

/// `POST /account/correction`: the holder asks to correct a detail printed on the certificate.
pub(crate) async fn request_correction(ctx: Ctx, FormFields(form): FormFields) -> PageResult {
    let principal = ctx.citizen("/account")?;
    ctx.check_csrf(&form)?;
    crate::services::corrections::request(
        &ctx.state,
        &principal,
        &form.text("ref"),
        &form.text("field"),
        &form.text("value"),
        &form.text("reason"),
    )
    .await?;
    Ok(with_flash(redirect("/account"), "correction_requested", None, ctx.secure()))
}

/// `GET /certificate?ref=…[&dose=N]`: the holder's certificate PDF (latest dose by default).
pub(crate) async fn certificate(ctx: Ctx, QueryFields(q): QueryFields) -> PageResult {
    let reference = q.text("ref");
    let dose_text = q.text("dose");
    let principal = ctx.citizen(&format!(
        "/certificate?ref={}&dose={}",
        super::context::encode(&reference),
        super::context::encode(&dose_text)
    ))?;
    let state = &ctx.state;
    let person = registration::find_own(state, &principal, &reference).await?;
    let dose = dose_text.trim().parse::<u8>().ok();
    let certs = crate::services::certificates::live_certificates(state, person.id).await?;
    let cert = crate::services::certificates::choose(&certs, dose).ok_or_else(|| {
        ApiError::bad_request("CERT0001", "No certificate is available yet for this beneficiary")
    })?;
    let pdf = crate::services::certificates::render_pdf(state, cert)?;
    Ok(pdf_response(pdf, &format!("certificate-{}.pdf", cert.certificate_id)))
}

pub(crate) async fn slip(ctx: Ctx, QueryFields(q): QueryFields) -> PageResult {
    let id = q.text("appointment_id");
    let principal =
        ctx.citizen(&format!("/slip?appointment_id={}", super::context::encode(&id)))?;
    let pdf = booking::slip_pdf(&ctx.state, &principal, Some(&id)).await?;
    let safe: String = id.chars().filter(|c| c.is_ascii_hexdigit() || *c == '-').collect();
    Ok(pdf_response(pdf, &format!("appointment-slip-{safe}.pdf")))
}
