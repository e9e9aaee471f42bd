//! The site API under `/api/site/v1` (contract: `docs/SITE-API.md`): staff login, the offline
//! bundle, uploads, the tally, the paper list and the review queue.
//!
//! Uploads are parsed here, at the boundary, into [`SiteRecord`]s: every field is checked and
//! the first problem is reported with the record's index and the field's name, before anything
//! is written.  Photo id numbers are reduced to their keyed hash and last 4 characters here and
//! never go further.

use std::collections::HashSet;

use axum::Json;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::Datelike;
use serde::Deserialize;
use serde_json::{Map, Value, json};
use tika_domain::beneficiary::{BirthYear, PersonName, PhotoIdNumber};
use tika_domain::ids::{DeviceId, RecordId, ReviewId, SessionId, StaffId, UploadKey};
use tika_domain::mobile::Mobile;
use tika_domain::sync::{AefiSeverity, DoseRecord, RecordBody, SiteRecord, WalkInPerson};
use tika_domain::vaccine::{DoseNumber, VaccineCode};
use tika_storage::{ReviewAction, ReviewStatus, SyncUpload};

use super::extract::{CowinJson, Params, bearer_token};
use crate::error::{ApiError, ApiResult};
use crate::keys::sha256_hex;
use crate::services::site::{self, AEFI_SYMPTOMS};
use crate::services::site_stock;
use crate::services::staff::{self as staff_auth, StaffLogin, StaffPrincipal, verify_staff_token};
use crate::state::AppState;

/// The most records one upload may carry.
pub const MAX_RECORDS: usize = 500;

/// The bearer of a valid staff token.
pub struct StaffAuth(pub StaffPrincipal);

impl FromRequestParts<AppState> for StaffAuth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer_token(parts).ok_or(ApiError::Unauthenticated)?;
        verify_staff_token(state, &token).map(StaffAuth)
    }
}

fn login_json(login: &StaffLogin, center_name: &str) -> Value {
    let s = &login.staff;
    json!({
        "token": login.token,
        "expires_at": login.expires_at_ms,
        "staff": {
            "id": s.id, "name": s.name, "username": s.username.as_str(), "role": s.role.as_str(),
            "center_id": s.center_id.0, "center_name": center_name,
        },
    })
}

async fn answer_login(state: &AppState, login: StaffLogin) -> ApiResult<Json<Value>> {
    let center = state.store.find_center(login.staff.center_id).await?;
    Ok(Json(login_json(&login, &center.name)))
}

#[derive(Deserialize)]
pub(crate) struct LoginBody {
    username: Option<String>,
    password: Option<String>,
    #[serde(rename = "txnId")]
    txn_id: Option<String>,
    otp: Option<String>,
}

fn required<'a>(v: &'a Option<String>, name: &str) -> ApiResult<&'a str> {
    v.as_deref().map(str::trim).filter(|s| !s.is_empty()).ok_or_else(|| ApiError::missing(name))
}

pub(crate) async fn login(
    State(state): State<AppState>,
    CowinJson(body): CowinJson<LoginBody>,
) -> ApiResult<Json<Value>> {
    let username = required(&body.username, "username")?;
    let password = body
        .password
        .as_deref()
        .filter(|p| !p.is_empty())
        .ok_or_else(|| ApiError::missing("password"))?;
    let login = staff_auth::login_password(&state, username, password).await?;
    answer_login(&state, login).await
}

pub(crate) async fn login_otp(
    State(state): State<AppState>,
    CowinJson(body): CowinJson<LoginBody>,
) -> ApiResult<Json<Value>> {
    let id = staff_auth::send_login_otp(&state, required(&body.username, "username")?).await?;
    Ok(Json(json!({ "txnId": id })))
}

pub(crate) async fn login_otp_confirm(
    State(state): State<AppState>,
    CowinJson(body): CowinJson<LoginBody>,
) -> ApiResult<Json<Value>> {
    let login = staff_auth::confirm_login_otp(
        &state,
        required(&body.txn_id, "txnId")?,
        required(&body.otp, "otp")?,
    )
    .await?;
    answer_login(&state, login).await
}

fn session_id(s: &str) -> ApiResult<SessionId> {
    s.parse().map_err(|_| ApiError::bad_request("SITE0005", "Invalid session id"))
}

pub(crate) async fn sessions(
    State(state): State<AppState>,
    StaffAuth(who): StaffAuth,
    params: Params,
) -> ApiResult<Json<Value>> {
    let date = match params.get("date") {
        None | Some("") => None,
        Some(d) => Some(
            chrono::NaiveDate::parse_from_str(d, "%Y-%m-%d")
                .map_err(|_| ApiError::bad_request("SITE0006", "date must be YYYY-MM-DD"))?,
        ),
    };
    Ok(Json(site::list_sessions(&state, &who, date).await?))
}

pub(crate) async fn bundle(
    State(state): State<AppState>,
    StaffAuth(who): StaffAuth,
    Path(id): Path<String>,
) -> ApiResult<Json<Value>> {
    Ok(Json(site::bundle(&state, &who, session_id(&id)?).await?))
}

pub(crate) async fn tally(
    State(state): State<AppState>,
    StaffAuth(who): StaffAuth,
    Path(id): Path<String>,
) -> ApiResult<Json<site::Tally>> {
    Ok(Json(site::tally(&state, &who, session_id(&id)?).await?))
}

pub(crate) async fn session_stock(
    State(state): State<AppState>,
    StaffAuth(who): StaffAuth,
    Path(id): Path<String>,
) -> ApiResult<Json<site_stock::SessionStock>> {
    Ok(Json(site_stock::session_stock(&state, &who, session_id(&id)?).await?))
}

pub(crate) async fn close_session_stock(
    State(state): State<AppState>,
    StaffAuth(who): StaffAuth,
    Path(id): Path<String>,
    CowinJson(body): CowinJson<site_stock::CloseStock>,
) -> ApiResult<Json<site_stock::SessionStock>> {
    Ok(Json(site_stock::close_session_stock(&state, &who, session_id(&id)?, body).await?))
}

pub(crate) async fn list_pdf(
    State(state): State<AppState>,
    StaffAuth(who): StaffAuth,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let pdf = site::list_pdf(&state, &who, session_id(&id)?).await?;
    let mut res = pdf.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/pdf"));
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_static("attachment; filename=\"session-list.pdf\""),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(res)
}

pub(crate) async fn sync(
    State(state): State<AppState>,
    StaffAuth(who): StaffAuth,
    body: Bytes,
) -> ApiResult<Response> {
    let vaccinators: HashSet<StaffId> = state
        .store
        .list_staff(who.center)
        .await?
        .into_iter()
        .filter(|s| s.active)
        .map(|s| s.id)
        .collect();
    // A deactivated login's token still reads until midnight (devices work offline all day),
    // but it can no longer write.
    if !vaccinators.contains(&who.staff) {
        return Err(ApiError::Unauthenticated);
    }
    let upload = parse_upload(&state, &who, &vaccinators, &body)?;
    let answer = site::sync(&state, &who, upload).await?;
    let mut res = answer.into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    Ok(res)
}

pub(crate) async fn sync_status(
    State(state): State<AppState>,
    StaffAuth(who): StaffAuth,
    params: Params,
) -> ApiResult<Json<Value>> {
    let id = session_id(params.required("session_id")?)?;
    Ok(Json(site::sync_status(&state, &who, id).await?))
}

pub(crate) async fn reviews(
    State(state): State<AppState>,
    StaffAuth(who): StaffAuth,
    params: Params,
) -> ApiResult<Json<Value>> {
    let status = match params.get("status") {
        None | Some("") => None,
        Some(s) => Some(ReviewStatus::parse(s).ok_or_else(|| {
            ApiError::bad_request("SITE0007", "status must be open, accepted or discarded")
        })?),
    };
    Ok(Json(site::list_reviews(&state, &who, status).await?))
}

#[derive(Deserialize)]
pub(crate) struct ResolveBody {
    action: Option<String>,
    note: Option<String>,
}

pub(crate) async fn resolve(
    State(state): State<AppState>,
    StaffAuth(who): StaffAuth,
    Path(id): Path<String>,
    CowinJson(body): CowinJson<ResolveBody>,
) -> ApiResult<Json<Value>> {
    let id: ReviewId =
        id.parse().map_err(|_| ApiError::bad_request("SITE0008", "Invalid review id"))?;
    let action = match body.action.as_deref() {
        Some("accept") => ReviewAction::Accept,
        Some("discard") => ReviewAction::Discard,
        _ => return Err(ApiError::bad_request("SITE0009", "action must be accept or discard")),
    };
    let note = body.note.as_deref().map(str::trim).unwrap_or_default();
    if note.is_empty() || note.chars().count() > 500 {
        return Err(ApiError::bad_request("SITE0009", "note is required (at most 500 characters)"));
    }
    Ok(Json(site::resolve_review(&state, &who, id, action, note).await?))
}

// --- parsing uploads --------------------------------------------------------------------------

/// An upload problem: which record, which field, what is wrong.
fn bad(at: &str, what: &str) -> ApiError {
    ApiError::bad_request("SYNC0001", format!("{at}: {what}"))
}

struct Fields<'a> {
    at: String,
    map: &'a Map<String, Value>,
}

impl<'a> Fields<'a> {
    fn of(value: &'a Value, at: String) -> ApiResult<Self> {
        match value {
            Value::Object(map) => Ok(Self { at, map }),
            _ => Err(bad(&at, "must be an object")),
        }
    }

    fn path(&self, name: &str) -> String {
        format!("{}.{name}", self.at)
    }

    fn get(&self, name: &str) -> Option<&'a Value> {
        self.map.get(name).filter(|v| !v.is_null())
    }

    fn str(&self, name: &str) -> ApiResult<&'a str> {
        match self.get(name) {
            Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.trim()),
            Some(Value::String(_)) | None => Err(bad(&self.path(name), "required")),
            Some(_) => Err(bad(&self.path(name), "must be a string")),
        }
    }

    fn opt_str(&self, name: &str) -> ApiResult<Option<&'a str>> {
        match self.get(name) {
            None => Ok(None),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(None),
            Some(_) => self.str(name).map(Some),
        }
    }

    fn int(&self, name: &str) -> ApiResult<i64> {
        match self.get(name) {
            Some(Value::Number(n)) => {
                n.as_i64().ok_or_else(|| bad(&self.path(name), "must be an integer"))
            }
            Some(Value::String(s)) => {
                s.trim().parse().map_err(|_| bad(&self.path(name), "must be an integer"))
            }
            None => Err(bad(&self.path(name), "required")),
            Some(_) => Err(bad(&self.path(name), "must be an integer")),
        }
    }

    fn uuid<T: std::str::FromStr>(&self, name: &str) -> ApiResult<T> {
        self.str(name)?.parse().map_err(|_| bad(&self.path(name), "must be a UUID"))
    }

    fn opt_uuid<T: std::str::FromStr>(&self, name: &str) -> ApiResult<Option<T>> {
        self.opt_str(name)?
            .map(|s| s.parse().map_err(|_| bad(&self.path(name), "must be a UUID")))
            .transpose()
    }

    fn text(&self, name: &str, max: usize, required: bool) -> ApiResult<String> {
        let s = if required { self.str(name)? } else { self.opt_str(name)?.unwrap_or_default() };
        if s.chars().count() > max {
            return Err(bad(&self.path(name), &format!("at most {max} characters")));
        }
        Ok(s.to_owned())
    }
}

fn parse_walk_in(state: &AppState, value: &Value, at: String) -> ApiResult<WalkInPerson> {
    let f = Fields::of(value, at)?;
    let year = state.today().year();
    let name =
        PersonName::parse(f.str("name")?).map_err(|e| bad(&f.path("name"), &e.to_string()))?;
    let birth_year = BirthYear::parse(&f.int("birth_year")?.to_string(), year)
        .map_err(|e| bad(&f.path("birth_year"), &e.to_string()))?;
    let gender_id = f.int("gender_id")?;
    if state.pack.gender(gender_id).is_none() {
        return Err(bad(&f.path("gender_id"), "unknown gender"));
    }
    let photo_id_type = f.int("photo_id_type")?;
    let id_type = state
        .pack
        .id_type(photo_id_type)
        .ok_or_else(|| bad(&f.path("photo_id_type"), "unknown photo ID type"))?;
    let photo = PhotoIdNumber::parse(id_type, f.str("photo_id_number")?)
        .map_err(|e| bad(&f.path("photo_id_number"), &e.to_string()))?;
    let mobile = f
        .opt_str("mobile")?
        .map(|m| {
            Mobile::parse(m).map_err(|_| bad(&f.path("mobile"), "must be a 10-digit mobile number"))
        })
        .transpose()?;
    Ok(WalkInPerson {
        name,
        birth_year,
        gender_id,
        photo_id_type,
        photo_id_hash: state.keys.hash_photo_id(photo_id_type, photo.normalized()),
        photo_id_last4: photo.last4(),
        mobile: mobile.map(|m| m.as_str().to_owned()),
    })
}

fn parse_record(
    state: &AppState,
    who: &StaffPrincipal,
    vaccinators: &HashSet<StaffId>,
    value: &Value,
    index: usize,
) -> ApiResult<SiteRecord> {
    let f = Fields::of(value, format!("records[{index}]"))?;
    let client_id: RecordId = f.uuid("client_id")?;
    if client_id.as_uuid().get_version_num() != 7 {
        return Err(bad(&f.path("client_id"), "must be a UUIDv7 made on the device"));
    }
    let session_id: SessionId = f.uuid("session_id")?;
    let at_ms = f.int("at")?;
    if at_ms <= 0 {
        return Err(bad(&f.path("at"), "must be unix milliseconds"));
    }
    let body = match f.str("kind")? {
        "arrival" => RecordBody::Arrival { beneficiary_id: f.uuid("beneficiary_id")? },
        "walk_in" => RecordBody::WalkIn {
            beneficiary: parse_walk_in(
                state,
                f.get("beneficiary").ok_or_else(|| bad(&f.path("beneficiary"), "required"))?,
                f.path("beneficiary"),
            )?,
        },
        "dose" => {
            let vaccinator_id: StaffId = f.uuid("vaccinator_id")?;
            if !vaccinators.contains(&vaccinator_id) {
                return Err(bad(&f.path("vaccinator_id"), "not a staff member of this facility"));
            }
            let vaccine = VaccineCode::parse(f.str("vaccine")?)
                .ok()
                .filter(|v| state.pack.vaccine(v).is_some())
                .ok_or_else(|| bad(&f.path("vaccine"), "unknown vaccine"))?;
            let dose = DoseNumber::new(f.int("dose")?)
                .map_err(|_| bad(&f.path("dose"), "must be a dose number from 1 to 9"))?;
            RecordBody::Dose(DoseRecord {
                beneficiary_id: f.uuid("beneficiary_id")?,
                walk_in: f
                    .get("walk_in")
                    .map(|v| parse_walk_in(state, v, f.path("walk_in")))
                    .transpose()?,
                appointment_id: f.opt_uuid("appointment_id")?,
                vaccine,
                batch: f.text("batch", 40, true)?,
                dose,
                vaccinator_id,
            })
        }
        "aefi" => {
            let severity = match f.str("severity")? {
                "none" => AefiSeverity::None,
                "minor" => AefiSeverity::Minor,
                "serious" => AefiSeverity::Serious,
                _ => return Err(bad(&f.path("severity"), "must be none, minor or serious")),
            };
            let symptoms = match f.get("symptoms") {
                None => Vec::new(),
                Some(Value::Array(items)) => items
                    .iter()
                    .map(|v| {
                        v.as_str()
                            .filter(|c| AEFI_SYMPTOMS.iter().any(|(code, _, _)| code == c))
                            .map(str::to_owned)
                            .ok_or_else(|| bad(&f.path("symptoms"), "unknown symptom code"))
                    })
                    .collect::<ApiResult<_>>()?,
                Some(_) => return Err(bad(&f.path("symptoms"), "must be a list of codes")),
            };
            RecordBody::Aefi {
                vaccination_client_id: f.uuid("vaccination_client_id")?,
                severity,
                symptoms,
                notes: f.text("notes", 500, false)?,
            }
        }
        "undo" => RecordBody::Undo {
            vaccination_client_id: f.uuid("vaccination_client_id")?,
            reason: f.text("reason", 200, true)?,
        },
        _ => return Err(bad(&f.path("kind"), "must be arrival, walk_in, dose, aefi or undo")),
    };
    Ok(SiteRecord { client_id, session_id, at_ms, staff_id: who.staff, body })
}

fn parse_upload(
    state: &AppState,
    who: &StaffPrincipal,
    vaccinators: &HashSet<StaffId>,
    body: &[u8],
) -> ApiResult<SyncUpload> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|_| ApiError::bad_request("SYNC0001", "Request body is not valid JSON"))?;
    let f = Fields::of(&value, "upload".into())?;
    let key: UploadKey = f.uuid("idempotency_key")?;
    let device_id: DeviceId = f.uuid("device_id")?;
    let records = match f.get("records") {
        Some(Value::Array(items)) if !items.is_empty() && items.len() <= MAX_RECORDS => items,
        Some(Value::Array(_)) => {
            return Err(bad("upload.records", &format!("must hold 1 to {MAX_RECORDS} records")));
        }
        _ => return Err(bad("upload.records", "required (a list)")),
    };
    let records = records
        .iter()
        .enumerate()
        .map(|(i, v)| parse_record(state, who, vaccinators, v, i))
        .collect::<ApiResult<Vec<_>>>()?;
    Ok(SyncUpload {
        key,
        staff_id: who.staff,
        center_id: who.center,
        device_id,
        body_hash: sha256_hex(&String::from_utf8_lossy(body)),
        records,
        now_ms: state.now_ms(),
    })
}
