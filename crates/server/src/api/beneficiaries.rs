//! Beneficiaries: list, register, delete; certificate download.

use axum::Json;
use axum::extract::State;
use axum::http::StatusCode;
use serde::Deserialize;
use serde_json::{Value, json};
use tika_domain::beneficiary::RegistrationInput;
use tika_domain::date::format_cowin_date;

use super::appointments::pdf_response;
use super::extract::{Auth, CowinJson, Params};
use crate::error::{ApiError, ApiResult};
use crate::lenient::{opt_int, opt_string};
use crate::services::auth::Scope;
use crate::services::{booking, certificates, registration};
use crate::state::AppState;
use axum::response::Response;

pub(super) async fn list_beneficiaries(
    State(state): State<AppState>,
    Auth(principal): Auth,
) -> ApiResult<Json<Value>> {
    let people = registration::list(&state, &principal).await?;
    let account = state.store.find_account(principal.account).await?;
    let active: Vec<_> = people.iter().flat_map(|p| p.active_appointments()).collect();
    let places = booking::places_of(&state, &active).await?;
    let out: Vec<Value> = people
        .iter()
        .map(|p| {
            let b = &p.beneficiary;
            let date_or_empty = |d: u8| p.dose_date(d).map(format_cowin_date).unwrap_or_default();
            let appointments: Vec<Value> = p
                .active_appointments()
                .filter_map(|a| {
                    let place = places.get(&a.session_id)?;
                    let c = &place.center;
                    Some(json!({
                        "appointment_id": a.booking_id.to_string(),
                        "session_id": a.session_id.to_string(),
                        "center_id": c.id.0,
                        "name": c.name,
                        "address": c.address,
                        "state_name": state.pack.state(c.state_id).map(|s| s.name.as_str()).unwrap_or_default(),
                        "district_name": state.pack.district(c.district_id).map(|d| d.name.as_str()).unwrap_or_default(),
                        "block_name": c.block_name,
                        "pincode": c.pincode,
                        "from": c.open_time.get(..5).unwrap_or(&c.open_time),
                        "to": c.close_time.get(..5).unwrap_or(&c.close_time),
                        "dose": a.dose.get(),
                        "date": format_cowin_date(place.session.date),
                        "slot": a.slot.as_str(),
                        "vaccine": place.session.vaccine.as_str(),
                        "security_code": a.security_code.as_str(),
                    }))
                })
                .collect();
            json!({
                "beneficiary_reference_id": b.reference_id.as_str(),
                "name": b.name,
                "birth_year": b.birth_year.to_string(),
                "gender": state.pack.gender(b.gender_id).map(|g| g.name.as_str()).unwrap_or_default(),
                "mobile_number": account.mobile.last4(),
                "photo_id_type": state.pack.id_type(b.photo_id_type).map(|t| t.name.as_str()).unwrap_or_default(),
                "photo_id_number": format!("********{}", b.photo_id_last4),
                "comorbidity_ind": if b.comorbidity { "Y" } else { "N" },
                "vaccination_status": p.status.as_str(),
                "vaccine": p.vaccine().unwrap_or_default(),
                "dose1_date": date_or_empty(1),
                "dose2_date": date_or_empty(2),
                "appointments": appointments,
            })
        })
        .collect();
    Ok(Json(json!({ "beneficiaries": out })))
}

#[derive(Deserialize, Default)]
pub(super) struct NewBeneficiaryBody {
    #[serde(default, deserialize_with = "opt_string")]
    name: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    birth_year: Option<String>,
    #[serde(default, deserialize_with = "opt_int")]
    gender_id: Option<i64>,
    #[serde(default, deserialize_with = "opt_int")]
    photo_id_type: Option<i64>,
    #[serde(default, deserialize_with = "opt_string")]
    photo_id_number: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    comorbidity_ind: Option<String>,
}

pub(super) async fn create_beneficiary(
    State(state): State<AppState>,
    Auth(principal): Auth,
    CowinJson(body): CowinJson<NewBeneficiaryBody>,
) -> ApiResult<Json<Value>> {
    let input = RegistrationInput {
        name: body.name.as_deref().ok_or_else(|| ApiError::missing("name"))?,
        birth_year: body.birth_year.as_deref().ok_or_else(|| ApiError::missing("birth_year"))?,
        gender_id: body.gender_id.ok_or_else(|| ApiError::missing("gender_id"))?,
        photo_id_type: body.photo_id_type.ok_or_else(|| ApiError::missing("photo_id_type"))?,
        photo_id_number: body
            .photo_id_number
            .as_deref()
            .ok_or_else(|| ApiError::missing("photo_id_number"))?,
        comorbidity_ind: body.comorbidity_ind.as_deref(),
    };
    let b = registration::register(&state, &principal, &input).await?;
    Ok(Json(json!({ "beneficiary_reference_id": b.reference_id.as_str() })))
}

#[derive(Deserialize, Default)]
pub(super) struct DeleteBody {
    #[serde(default, deserialize_with = "opt_string")]
    beneficiary_reference_id: Option<String>,
}

pub(super) async fn delete_beneficiary(
    State(state): State<AppState>,
    Auth(principal): Auth,
    CowinJson(body): CowinJson<DeleteBody>,
) -> ApiResult<StatusCode> {
    registration::delete(&state, &principal, body.beneficiary_reference_id.as_deref()).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// The holder's certificate as a PDF: the latest dose, or `dose=N`.  Only the holder's own
/// beneficiaries are reachable (token from the OTP login), never a bare reference id.
async fn certificate(
    state: &AppState,
    principal: &crate::services::auth::Principal,
    params: &Params,
) -> ApiResult<Response> {
    let reference = params.required("beneficiary_reference_id")?;
    let dose = match params.get("dose").map(str::trim).filter(|d| !d.is_empty()) {
        None => None,
        Some(d) => Some(d.parse::<u8>().ok().filter(|d| (1..=9).contains(d)).ok_or_else(|| {
            ApiError::bad_request("CERT0003", "dose must be a dose number from 1 to 9")
        })?),
    };
    let kind = match params.get("type").map(str::trim) {
        None | Some("" | "domestic") => tika_storage::CertificateKind::Domestic,
        Some("international") => tika_storage::CertificateKind::International,
        Some(_) => {
            return Err(ApiError::bad_request(
                "CERT0009",
                "type must be domestic or international",
            ));
        }
    };
    let b = registration::find_own(state, principal, reference).await?;
    let certs = certificates::live_certificates(state, b.id).await?;
    let Some(cert) = certificates::choose_kind(&certs, dose, kind) else {
        return Err(ApiError::bad_request(
            "CERT0001",
            "No certificate is available yet for this beneficiary",
        ));
    };
    let pdf = certificates::render_pdf(state, cert)?;
    Ok(pdf_response(pdf, &format!("certificate-{}.pdf", cert.certificate_id)))
}

pub(super) async fn download_certificate_public(
    State(state): State<AppState>,
    Auth(principal): Auth,
    params: Params,
) -> ApiResult<Response> {
    certificate(&state, &principal, &params).await
}

pub(super) async fn download_certificate(
    State(state): State<AppState>,
    Auth(principal): Auth,
    params: Params,
) -> ApiResult<Response> {
    if principal.scope != Scope::Protected {
        return Err(ApiError::Unauthenticated);
    }
    certificate(&state, &principal, &params).await
}
