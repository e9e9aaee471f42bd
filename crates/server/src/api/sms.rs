//! Gateway callbacks under `/api/sms/v1` and the site's message endpoints under
//! `/api/site/v1` (contract: `docs/NOTIFICATIONS.md`).
//!
//! - `GET|POST /sms/v1/dlr?id=<message>&tag=<hmac>&status=<n>`: a delivery report.  Kannel
//!   fills `status` with its report type (1 delivered, 2 failed, 4 buffered, 8 SMSC ack,
//!   16 SMSC reject); a generic provider may POST JSON `{"status": "delivered" | "failed" |
//!   "accepted", "detail": "…"}` to the same address.  The tag is the message's own HMAC, so a
//!   caller can only report on messages it was given.
//! - `GET /sms/v1/mo?from=&to=&text=&token=`: an incoming SMS (Kannel's `get-url`).  The answer
//!   is empty: replies are queued, tracked messages.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, Query, State};
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Deserialize;
use serde_json::{Value, json};
use tika_storage::DeliveryState;

use super::site::StaffAuth;
use crate::error::{ApiError, ApiResult};
use crate::keys::ct_eq;
use crate::services::notifications as notify;
use crate::state::AppState;

#[derive(Deserialize)]
pub(crate) struct DlrQuery {
    id: Option<String>,
    tag: Option<String>,
    status: Option<String>,
    answer: Option<String>,
}

#[derive(Deserialize, Default)]
struct DlrBody {
    status: Option<String>,
    detail: Option<String>,
}

fn bad(code: &'static str, message: &str) -> ApiError {
    ApiError::bad_request(code, message)
}

/// Kannel's report types, and the generic provider's words.
fn delivery_state(status: &str) -> Option<DeliveryState> {
    match status.trim() {
        "1" | "delivered" => Some(DeliveryState::Delivered),
        "2" | "16" | "failed" => Some(DeliveryState::Failed),
        "4" | "8" | "accepted" => Some(DeliveryState::Accepted),
        _ => None,
    }
}

pub(crate) async fn dlr(
    State(state): State<AppState>,
    Query(q): Query<DlrQuery>,
    body: Bytes,
) -> ApiResult<Json<Value>> {
    let id: uuid::Uuid =
        q.id.as_deref()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| bad("SMS0001", "id must be a message id"))?;
    let tag = q.tag.as_deref().unwrap_or_default();
    if !ct_eq(tag, &state.keys.sms_callback_tag(&id)) {
        return Err(ApiError::Forbidden {
            code: "SMS0002",
            message: "The report's tag does not match the message".into(),
        });
    }
    let posted: DlrBody = if body.is_empty() {
        DlrBody::default()
    } else {
        serde_json::from_slice(&body).unwrap_or_default()
    };
    // A generic provider may leave `%d` in the query unexpanded and send the state in JSON.
    let status = posted
        .status
        .as_deref()
        .or(q.status.as_deref().filter(|s| !s.contains('%')))
        .ok_or_else(|| bad("SMS0003", "status is required"))?;
    let st = delivery_state(status).ok_or_else(|| {
        bad("SMS0004", "status must be 1, 2, 4, 8, 16, delivered, failed or accepted")
    })?;
    let detail: String = posted
        .detail
        .or(q.answer)
        .unwrap_or_else(|| format!("report {status}"))
        .chars()
        .take(200)
        .collect();
    let after = state.store.record_delivery(id, st, &detail, state.now_ms()).await?;
    let label = match st {
        DeliveryState::Accepted => "accepted",
        DeliveryState::Delivered => "delivered",
        DeliveryState::Failed => "failed",
    };
    state.metrics.delivery_reports.with_label_values(&[label]).inc();
    Ok(Json(json!({ "id": id, "status": after.as_str() })))
}

#[derive(Deserialize)]
pub(crate) struct MoQuery {
    from: Option<String>,
    to: Option<String>,
    text: Option<String>,
    token: Option<String>,
}

pub(crate) async fn mo(
    State(state): State<AppState>,
    Query(q): Query<MoQuery>,
) -> ApiResult<Response> {
    let expected = state.config.sms.mo_token.as_deref().ok_or(ApiError::Forbidden {
        code: "SMS0010",
        message: "Incoming SMS are not configured".into(),
    })?;
    if !ct_eq(q.token.as_deref().unwrap_or_default(), expected) {
        return Err(ApiError::Forbidden { code: "SMS0011", message: "Wrong token".into() });
    }
    let from = q
        .from
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .ok_or_else(|| bad("SMS0012", "from is required"))?;
    if tika_domain::mobile::Mobile::parse(from).is_err() {
        return Err(bad("SMS0013", "from is not a mobile number"));
    }
    let text = q.text.as_deref().unwrap_or_default();
    notify::inbound::handle(&state, from, q.to.as_deref().unwrap_or_default(), text)
        .await
        .map_err(ApiError::Internal)?;
    // Empty body: Kannel sends nothing back; the reply is a tracked message.
    let mut res = ().into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain"));
    Ok(res)
}

fn session_id(s: &str) -> ApiResult<tika_domain::ids::SessionId> {
    s.parse().map_err(|_| bad("SITE0005", "Invalid session id"))
}

#[derive(Deserialize)]
pub(crate) struct CallListQuery {
    format: Option<String>,
}

/// `GET /site/v1/sessions/{id}/call-list[?format=csv]`.
pub(crate) async fn call_list(
    State(state): State<AppState>,
    StaffAuth(who): StaffAuth,
    Path(id): Path<String>,
    Query(q): Query<CallListQuery>,
) -> ApiResult<Response> {
    let (_, rows) = notify::call_list(&state, &who, session_id(&id)?).await?;
    match q.format.as_deref() {
        None | Some("json") => Ok(Json(notify::call_list_json(&rows)).into_response()),
        Some("csv") => {
            let mut res = notify::call_list_csv(&rows)?.into_response();
            let h = res.headers_mut();
            h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/csv; charset=utf-8"));
            h.insert(
                header::CONTENT_DISPOSITION,
                HeaderValue::from_static("attachment; filename=\"call-list.csv\""),
            );
            h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
            Ok(res)
        }
        Some(_) => Err(bad("SITE0032", "format must be json or csv")),
    }
}

/// `GET /site/v1/sessions/{id}/call-list.pdf`.
pub(crate) async fn call_list_pdf(
    State(state): State<AppState>,
    StaffAuth(who): StaffAuth,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let (session, rows) = notify::call_list(&state, &who, session_id(&id)?).await?;
    let pdf = notify::call_list_pdf(&state, &session, &rows).await?;
    let mut res = pdf.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/pdf"));
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"call-list.pdf\""),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

#[derive(Deserialize)]
pub(crate) struct SessionChange {
    reason: Option<String>,
    date: Option<String>,
}

fn reason(body: &SessionChange) -> ApiResult<String> {
    let r = body.reason.as_deref().map(str::trim).unwrap_or_default();
    if r.is_empty() {
        return Err(ApiError::missing("reason"));
    }
    if r.chars().count() > 200 {
        return Err(bad("SITE0033", "reason must be at most 200 characters"));
    }
    Ok(r.to_owned())
}

/// `POST /site/v1/sessions/{id}/cancel {"reason"}`.
pub(crate) async fn cancel_session(
    State(state): State<AppState>,
    StaffAuth(who): StaffAuth,
    Path(id): Path<String>,
    super::extract::CowinJson(body): super::extract::CowinJson<SessionChange>,
) -> ApiResult<Json<Value>> {
    let reason = reason(&body)?;
    Ok(Json(notify::cancel_session(&state, &who, session_id(&id)?, &reason).await?))
}

/// `POST /site/v1/sessions/{id}/move {"date": "YYYY-MM-DD", "reason"}`.
pub(crate) async fn move_session(
    State(state): State<AppState>,
    StaffAuth(who): StaffAuth,
    Path(id): Path<String>,
    super::extract::CowinJson(body): super::extract::CowinJson<SessionChange>,
) -> ApiResult<Json<Value>> {
    let reason = reason(&body)?;
    let date = body
        .date
        .as_deref()
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::missing("date"))?;
    let date = chrono::NaiveDate::parse_from_str(date, "%Y-%m-%d")
        .map_err(|_| bad("SITE0034", "date must be YYYY-MM-DD"))?;
    Ok(Json(notify::move_session(&state, &who, session_id(&id)?, date, &reason).await?))
}

#[derive(Deserialize)]
pub(crate) struct StatsQuery {
    days: Option<String>,
}

/// `GET /site/v1/messages/stats?days=7`: delivery rates of the facility's district.
pub(crate) async fn stats(
    State(state): State<AppState>,
    StaffAuth(who): StaffAuth,
    Query(q): Query<StatsQuery>,
) -> ApiResult<Json<Value>> {
    let days: i64 = match q.days.as_deref() {
        None => 7,
        Some(d) => d
            .parse()
            .ok()
            .filter(|d| (1..=366).contains(d))
            .ok_or_else(|| bad("SITE0035", "days must be 1 to 366"))?,
    };
    let since = state.now_ms() - days * 86_400_000;
    Ok(Json(notify::delivery_stats(&state, &who, since).await?))
}
