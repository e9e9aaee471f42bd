//! Schedule, reschedule, cancel, and the appointment slip.

use axum::Json;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};

use super::extract::{Auth, CowinJson, Params};
use crate::error::ApiResult;
use crate::lenient::{opt_int, opt_string, string_list};
use crate::services::booking::{self, ScheduleRequest};
use crate::state::AppState;

#[derive(Deserialize, Default)]
pub(super) struct ScheduleBody {
    #[serde(default, deserialize_with = "opt_int")]
    dose: Option<i64>,
    #[serde(default, deserialize_with = "opt_string")]
    session_id: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    slot: Option<String>,
    #[serde(default, deserialize_with = "string_list")]
    beneficiaries: Vec<String>,
}

/// Answers with both `appointment_id` (the spec) and `appointment_confirmation_no` (production).
pub(super) async fn schedule_appointment(
    State(state): State<AppState>,
    Auth(principal): Auth,
    CowinJson(body): CowinJson<ScheduleBody>,
) -> ApiResult<Json<Value>> {
    let req = ScheduleRequest {
        dose: body.dose,
        session_id: body.session_id,
        slot: body.slot,
        beneficiaries: body.beneficiaries,
    };
    let id = booking::schedule(&state, &principal, &req).await?.to_string();
    Ok(Json(json!({ "appointment_id": id, "appointment_confirmation_no": id })))
}

#[derive(Deserialize, Default)]
pub(super) struct RescheduleBody {
    #[serde(default, deserialize_with = "opt_string")]
    appointment_id: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    session_id: Option<String>,
    #[serde(default, deserialize_with = "opt_string")]
    slot: Option<String>,
}

pub(super) async fn reschedule_appointment(
    State(state): State<AppState>,
    Auth(principal): Auth,
    CowinJson(body): CowinJson<RescheduleBody>,
) -> ApiResult<StatusCode> {
    booking::reschedule(
        &state,
        &principal,
        body.appointment_id.as_deref(),
        body.session_id.as_deref(),
        body.slot.as_deref(),
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, Default)]
pub(super) struct CancelBody {
    #[serde(default, deserialize_with = "opt_string")]
    appointment_id: Option<String>,
    #[serde(default, rename = "beneficiariesToCancel", deserialize_with = "string_list")]
    beneficiaries_to_cancel: Vec<String>,
}

pub(super) async fn cancel_appointment(
    State(state): State<AppState>,
    Auth(principal): Auth,
    CowinJson(body): CowinJson<CancelBody>,
) -> ApiResult<StatusCode> {
    booking::cancel(
        &state,
        &principal,
        body.appointment_id.as_deref(),
        &body.beneficiaries_to_cancel,
    )
    .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `Content-Type: application/pdf` exactly: clients compare it with `==`.
pub fn pdf_response(bytes: Vec<u8>, filename: &str) -> Response {
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/pdf"));
    if let Ok(v) = HeaderValue::from_str(&format!("attachment; filename=\"{filename}\"")) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    res
}

pub(super) async fn download_slip(
    State(state): State<AppState>,
    Auth(principal): Auth,
    params: Params,
) -> ApiResult<Response> {
    let id = params.get("appointment_id");
    let pdf = booking::slip_pdf(&state, &principal, id).await?;
    Ok(pdf_response(pdf, &format!("appointment-slip-{}.pdf", id.unwrap_or("slip"))))
}
