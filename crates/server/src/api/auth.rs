//! OTP endpoints: public, protected (partner `x-api-key`) and the web portal's.

use axum::Json;
use axum::extract::State;
use axum::http::HeaderMap;
use serde::Deserialize;
use serde_json::{Value, json};

use super::extract::{ClientIp, CowinJson};
use crate::error::ApiResult;
use crate::lenient::opt_string;
use crate::services::auth::{self, Scope, check_api_key};
use crate::state::AppState;

#[derive(Deserialize, Default)]
pub(super) struct GenerateOtpBody {
    #[serde(default, deserialize_with = "opt_string")]
    mobile: Option<String>,
}

#[derive(Deserialize, Default)]
pub(super) struct ConfirmOtpBody {
    #[serde(default, deserialize_with = "opt_string")]
    otp: Option<String>,
    #[serde(default, rename = "txnId", deserialize_with = "opt_string")]
    txn_id: Option<String>,
}

fn api_key(headers: &HeaderMap) -> Option<&str> {
    headers.get("x-api-key").and_then(|v| v.to_str().ok())
}

pub(super) async fn generate_public_otp(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    CowinJson(body): CowinJson<GenerateOtpBody>,
) -> ApiResult<Json<Value>> {
    let txn = auth::generate_otp(&state, body.mobile.as_deref(), Scope::Public, ip).await?;
    Ok(Json(json!({ "txnId": txn.to_string() })))
}

pub(super) async fn confirm_public_otp(
    State(state): State<AppState>,
    CowinJson(body): CowinJson<ConfirmOtpBody>,
) -> ApiResult<Json<Value>> {
    let (token, _) =
        auth::confirm_otp(&state, body.txn_id.as_deref(), body.otp.as_deref(), Scope::Public)
            .await?;
    Ok(Json(json!({ "token": token })))
}

pub(super) async fn generate_protected_otp(
    State(state): State<AppState>,
    headers: HeaderMap,
    ClientIp(ip): ClientIp,
    CowinJson(body): CowinJson<GenerateOtpBody>,
) -> ApiResult<Json<Value>> {
    check_api_key(&state, api_key(&headers))?;
    let txn = auth::generate_otp(&state, body.mobile.as_deref(), Scope::Protected, ip).await?;
    Ok(Json(json!({ "txnId": txn.to_string() })))
}

pub(super) async fn confirm_protected_otp(
    State(state): State<AppState>,
    headers: HeaderMap,
    CowinJson(body): CowinJson<ConfirmOtpBody>,
) -> ApiResult<Json<Value>> {
    check_api_key(&state, api_key(&headers))?;
    let (token, is_new) =
        auth::confirm_otp(&state, body.txn_id.as_deref(), body.otp.as_deref(), Scope::Protected)
            .await?;
    Ok(Json(json!({ "token": token, "isNewAccount": if is_new { "Y" } else { "N" } })))
}

/// The portal's OTP: the `secret` field real clients send is ignored.
pub(super) async fn generate_mobile_otp(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    CowinJson(body): CowinJson<GenerateOtpBody>,
) -> ApiResult<Json<Value>> {
    let txn = auth::generate_otp(&state, body.mobile.as_deref(), Scope::Protected, ip).await?;
    Ok(Json(json!({ "txnId": txn.to_string() })))
}

pub(super) async fn validate_mobile_otp(
    State(state): State<AppState>,
    CowinJson(body): CowinJson<ConfirmOtpBody>,
) -> ApiResult<Json<Value>> {
    let (token, is_new) =
        auth::confirm_otp(&state, body.txn_id.as_deref(), body.otp.as_deref(), Scope::Protected)
            .await?;
    Ok(Json(json!({ "token": token, "isNewAccount": if is_new { "Y" } else { "N" } })))
}
