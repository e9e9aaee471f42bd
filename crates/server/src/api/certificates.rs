//! Certificate verification for anyone: the public keys, the signed revocation list, an
//! online verification and an online revocation check (docs/CERTIFICATES.md).
//!
//! | route | what |
//! |---|---|
//! | `GET /.well-known/tika/keys.json` | the issuer's public keys (every key, retired ones too) |
//! | `GET /.well-known/tika/revocations.jws` | the signed, versioned revocation list (compact JWS) |
//! | `POST /api/certificates/v1/verify` | body: a scanned QR payload (ZIP bytes) or the credential JSON → `{status, reason, certificateId, credential}` |
//! | `POST /api/certificates/v1/revoked` | body: the credential JSON or `{"certificateId": "…"}` → 200 revoked / 404 not revoked (DIVOC's convention) |

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};
use tika_storage::StorageError;

use crate::error::{ApiError, ApiResult};
use crate::services::certificates::{self, VerifyReport};
use crate::services::corrections;
use crate::state::AppState;

pub(crate) async fn public_keys(State(state): State<AppState>) -> ApiResult<Response> {
    let auth = certificates::authority(&state)?;
    let mut res = auth.keys_json().to_owned().into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=300"));
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    Ok(res)
}

pub(crate) async fn revocations(State(state): State<AppState>) -> ApiResult<Response> {
    let jws = certificates::revocation_jws(&state).await?;
    let mut res = jws.to_string().into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/jose"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=60"));
    h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    Ok(res)
}

/// Upper bound of a presented payload: a QR code holds at most 2,953 bytes.
const MAX_PAYLOAD: usize = 64 * 1024;

pub(super) async fn verify(
    State(state): State<AppState>,
    body: Bytes,
) -> ApiResult<Json<VerifyReport>> {
    if body.is_empty() {
        return Err(ApiError::bad_request(
            "CERT0004",
            "Send the scanned QR payload or the certificate JSON as the request body",
        ));
    }
    if body.len() > MAX_PAYLOAD {
        return Err(ApiError::bad_request(
            "CERT0005",
            "The payload is too large to be a certificate",
        ));
    }
    Ok(Json(certificates::verify_payload(&state, &body).await?))
}

/// DIVOC's online check: 200 when revoked, 404 when not.
pub(super) async fn revoked(State(state): State<AppState>, body: Bytes) -> ApiResult<Response> {
    certificates::authority(&state)?;
    let doc: Value = serde_json::from_slice(&body).map_err(|_| {
        ApiError::bad_request("CERT0006", "Send the certificate JSON or {\"certificateId\": \"…\"}")
    })?;
    let id = doc
        .get("certificateId")
        .or_else(|| doc.pointer("/evidence/0/certificateId"))
        .and_then(Value::as_str)
        .filter(|id| id.len() == 11 && id.bytes().all(|b| b.is_ascii_digit()))
        .ok_or_else(|| {
            ApiError::bad_request("CERT0006", "certificateId must be the 11-digit certificate ID")
        })?;
    match state.store.find_certificate(id).await {
        Ok(rec) if rec.revoked_at_ms.is_some() => Ok((
            StatusCode::OK,
            Json(json!({
                "certificateId": id,
                "revoked": true,
                "reason": rec.revoke_reason,
                "revokedAt": chrono::DateTime::from_timestamp_millis(rec.revoked_at_ms.unwrap_or_default())
                    .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)),
                "replacedBy": rec.replaced_by,
            })),
        )
            .into_response()),
        Ok(_) | Err(StorageError::NotFound) => Ok((
            StatusCode::NOT_FOUND,
            Json(json!({"certificateId": id, "revoked": false})),
        )
            .into_response()),
        Err(e) => Err(e.into()),
    }
}

// --- corrections (holders) and their decisions, merges (facility admins) -------------------

#[derive(serde::Deserialize)]
pub(super) struct CorrectionBody {
    beneficiary_reference_id: Option<String>,
    field: Option<String>,
    value: Option<String>,
    reason: Option<String>,
}

pub(super) async fn request_correction(
    State(state): State<AppState>,
    super::extract::Auth(principal): super::extract::Auth,
    super::extract::CowinJson(body): super::extract::CowinJson<CorrectionBody>,
) -> ApiResult<Json<corrections::CorrectionView>> {
    let reference = body
        .beneficiary_reference_id
        .as_deref()
        .ok_or_else(|| ApiError::missing("beneficiary_reference_id"))?;
    let field = body.field.as_deref().ok_or_else(|| ApiError::missing("field"))?;
    let value = body.value.as_deref().ok_or_else(|| ApiError::missing("value"))?;
    let reason = body.reason.as_deref().ok_or_else(|| ApiError::missing("reason"))?;
    Ok(Json(corrections::request(&state, &principal, reference, field, value, reason).await?))
}

pub(super) async fn own_corrections(
    State(state): State<AppState>,
    super::extract::Auth(principal): super::extract::Auth,
    params: super::extract::Params,
) -> ApiResult<Json<Value>> {
    let reference = params.required("beneficiary_reference_id")?;
    let list = corrections::list_own(&state, &principal, reference).await?;
    Ok(Json(json!({ "corrections": list })))
}

#[derive(serde::Deserialize)]
pub(super) struct TravelBody {
    beneficiary_reference_id: Option<String>,
    dob: Option<String>,
    passport: Option<String>,
}

/// The holder adds a date of birth and passport; the international certificate is issued.
pub(super) async fn travel(
    State(state): State<AppState>,
    super::extract::Auth(principal): super::extract::Auth,
    super::extract::CowinJson(body): super::extract::CowinJson<TravelBody>,
) -> ApiResult<Json<Value>> {
    let reference = body
        .beneficiary_reference_id
        .as_deref()
        .ok_or_else(|| ApiError::missing("beneficiary_reference_id"))?;
    let dob = body.dob.as_deref().ok_or_else(|| ApiError::missing("dob"))?;
    let passport = body.passport.as_deref().ok_or_else(|| ApiError::missing("passport"))?;
    let issued =
        certificates::set_travel_details(&state, &principal, reference, dob, passport).await?;
    Ok(Json(json!({ "international_certificates_issued": issued })))
}

fn require_admin(who: &crate::services::staff::StaffPrincipal) -> ApiResult<String> {
    if who.role != tika_domain::staff::StaffRole::FacilityAdmin {
        return Err(ApiError::Forbidden {
            code: "SITE0003",
            message: "Only a facility administrator can decide corrections and merges".into(),
        });
    }
    Ok(format!("staff:{}", who.staff))
}

pub(crate) async fn list_corrections(
    State(state): State<AppState>,
    super::site::StaffAuth(who): super::site::StaffAuth,
    params: super::extract::Params,
) -> ApiResult<Json<Value>> {
    require_admin(&who)?;
    let list = corrections::list(&state, params.get("status")).await?;
    Ok(Json(json!({ "corrections": list })))
}

#[derive(serde::Deserialize)]
pub(crate) struct DecideBody {
    approve: Option<bool>,
    note: Option<String>,
}

pub(crate) async fn decide_correction(
    State(state): State<AppState>,
    super::site::StaffAuth(who): super::site::StaffAuth,
    axum::extract::Path(id): axum::extract::Path<String>,
    super::extract::CowinJson(body): super::extract::CowinJson<DecideBody>,
) -> ApiResult<Json<corrections::CorrectionView>> {
    let actor = require_admin(&who)?;
    let approve = body.approve.ok_or_else(|| ApiError::missing("approve"))?;
    let note = body.note.unwrap_or_default();
    if note.chars().count() > 500 {
        return Err(ApiError::bad_request("CERT0019", "note must be at most 500 characters"));
    }
    Ok(Json(corrections::decide(&state, &actor, &id, approve, &note).await?))
}

#[derive(serde::Deserialize)]
pub(crate) struct MergeBody {
    keep: Option<String>,
    drop: Option<String>,
}

pub(crate) async fn merge(
    State(state): State<AppState>,
    super::site::StaffAuth(who): super::site::StaffAuth,
    super::extract::CowinJson(body): super::extract::CowinJson<MergeBody>,
) -> ApiResult<Json<Value>> {
    let actor = require_admin(&who)?;
    let keep = body.keep.as_deref().ok_or_else(|| ApiError::missing("keep"))?;
    let drop = body.drop.as_deref().ok_or_else(|| ApiError::missing("drop"))?;
    let out = corrections::merge(&state, &actor, keep, drop).await?;
    Ok(Json(json!({
        "moved_doses": out.moved_doses,
        "renumbered": out.renumbered,
        "revoked": out.revoked,
        "reissue_events": out.reissue_events,
        "cancelled_appointments": out.cancelled_appointments,
    })))
}
