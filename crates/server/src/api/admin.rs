//! The officials' console API under `/api/admin/v1` (error codes: `docs/API-DESIGN.md`).
//!
//! Thin handlers: read the request, parse the body leniently into the domain's forms (a
//! value of the wrong type is reported with its field, `400 ADM0001`), call one function of
//! [`crate::services::admin`], which checks every permission and area, and map the answer.
//! Authentication is a console token in `Authorization: Bearer`; when the service hands back
//! a refreshed token it is returned in the `X-Tika-Token` header (with its expiry, unix ms, in
//! `X-Tika-Token-Expires`), and the client should use it from then on.

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{FromRequestParts, Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use chrono::NaiveDate;
use serde_json::{Map, Value, json};
use tika_domain::admin::{FacilityForm, FieldError, PlanForm, SessionEdit, fees_to_text};
use tika_domain::ids::{AdminId, CenterId, SessionId, StaffId};
use tika_storage::{Admin, Change, Facility, Session, Staff};

use super::extract::{Params, bearer_token};
use crate::error::{ApiError, ApiResult};
use crate::services::admin::{self, AdminPrincipal, AuditQuery, NewAdminForm, StaffForm};
use crate::state::AppState;

/// The header carrying a refreshed console token.
pub const TOKEN_HEADER: &str = "x-tika-token";
/// The header carrying the refreshed token's expiry (unix ms).
pub const TOKEN_EXPIRES_HEADER: &str = "x-tika-token-expires";

/// Every console route, relative to `/api`.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/v1/login", post(login))
        .route("/admin/v1/login/otp", post(login_otp))
        .route("/admin/v1/login/otp/confirm", post(login_otp_confirm))
        .route("/admin/v1/logout", post(logout))
        .route("/admin/v1/me", get(me))
        .route("/admin/v1/password", post(change_password))
        .route("/admin/v1/admins", get(list_admins).post(create_admin))
        .route("/admin/v1/admins/{id}/active", post(set_admin_active))
        .route("/admin/v1/facilities", get(list_facilities).post(create_facility))
        .route("/admin/v1/facilities/{id}", get(facility).put(update_facility))
        .route("/admin/v1/facilities/{id}/active", post(set_facility_active))
        .route("/admin/v1/facilities/{id}/staff", get(list_staff).post(create_staff))
        .route("/admin/v1/staff/{id}/active", post(set_staff_active))
        .route("/admin/v1/facilities/{id}/sessions", get(facility_sessions))
        .route("/admin/v1/facilities/{id}/plans", post(plan_sessions))
        .route("/admin/v1/sessions/{id}", axum::routing::patch(edit_session))
        .route("/admin/v1/sessions/{id}/cancel", post(cancel_session))
        .route("/admin/v1/sessions/{id}/move", post(move_session))
        .route("/admin/v1/audit", get(audit))
        .route("/admin/v1/messages/stats", get(message_stats))
}

// --- authentication --------------------------------------------------------------------------

/// The bearer of a valid console token.
pub struct AdminAuth(pub AdminPrincipal);

impl FromRequestParts<AppState> for AdminAuth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer_token(parts).ok_or(ApiError::Unauthenticated)?;
        admin::verify(state, &token).await.map(AdminAuth)
    }
}

/// A response, with the refreshed token in its headers when there is one.
pub(super) fn reply(who: &AdminPrincipal, status: StatusCode, body: Option<Value>) -> Response {
    let mut res = match body {
        Some(v) => (status, Json(v)).into_response(),
        None => status.into_response(),
    };
    if let Some(fresh) = &who.refreshed
        && let (Ok(token), Ok(exp)) = (
            HeaderValue::from_str(&fresh.token),
            HeaderValue::from_str(&fresh.expires_at_ms.to_string()),
        )
    {
        let h = res.headers_mut();
        h.insert(HeaderName::from_static(TOKEN_HEADER), token);
        h.insert(HeaderName::from_static(TOKEN_EXPIRES_HEADER), exp);
    }
    res
}

pub(super) fn ok(who: &AdminPrincipal, body: Value) -> ApiResult<Response> {
    Ok(reply(who, StatusCode::OK, Some(body)))
}

// --- reading bodies and parameters -----------------------------------------------------------

/// A JSON object body, read whatever the `Content-Type`; fields of the wrong type are
/// collected by name and reported together (400 `ADM0001`).
pub(super) struct Body {
    map: Map<String, Value>,
    errors: Vec<FieldError>,
}

impl Body {
    pub(super) fn parse(bytes: &[u8]) -> ApiResult<Self> {
        if bytes.iter().all(u8::is_ascii_whitespace) {
            return Ok(Self { map: Map::new(), errors: Vec::new() });
        }
        match serde_json::from_slice::<Value>(bytes) {
            Ok(Value::Object(map)) => Ok(Self { map, errors: Vec::new() }),
            Ok(Value::Null) => Ok(Self { map: Map::new(), errors: Vec::new() }),
            Ok(_) => {
                Err(ApiError::bad_request("ADM0002", "The request body must be a JSON object"))
            }
            Err(e) => Err(ApiError::bad_request(
                "ADM0002",
                format!(
                    "The request body is not valid JSON (line {}, column {})",
                    e.line(),
                    e.column()
                ),
            )),
        }
    }

    pub(super) fn fail(&mut self, field: &'static str, message: &str) {
        self.errors.push(FieldError { field, message: message.to_owned() });
    }

    pub(super) fn value(&self, name: &str) -> Option<&Value> {
        self.map.get(name).filter(|v| !v.is_null())
    }

    /// A string field (numbers are taken as their text); empty when absent.
    pub(super) fn text(&mut self, name: &'static str) -> String {
        match self.value(name) {
            None => String::new(),
            Some(Value::String(s)) => s.clone(),
            Some(Value::Number(n)) => n.to_string(),
            Some(_) => {
                self.fail(name, "must be a string");
                String::new()
            }
        }
    }

    /// A string field kept exactly as sent (passwords).
    fn raw(&mut self, name: &'static str) -> String {
        match self.value(name) {
            None => String::new(),
            Some(Value::String(s)) => s.clone(),
            Some(_) => {
                self.fail(name, "must be a string");
                String::new()
            }
        }
    }

    pub(super) fn opt_text(&mut self, name: &'static str) -> Option<String> {
        Some(self.text(name)).filter(|s| !s.trim().is_empty())
    }

    pub(super) fn int(&mut self, name: &'static str) -> Option<i64> {
        let v = self.value(name)?;
        if let Value::String(s) = v
            && s.trim().is_empty()
        {
            return None;
        }
        let n = crate::lenient::as_int(v);
        if n.is_none() {
            self.fail(name, "must be a whole number");
        }
        n
    }

    fn uint(&mut self, name: &'static str) -> Option<u32> {
        let n = self.int(name)?;
        let n = u32::try_from(n).ok();
        if n.is_none() {
            self.fail(name, "must not be negative");
        }
        n
    }

    pub(super) fn float(&mut self, name: &'static str) -> Option<f64> {
        match self.value(name)? {
            Value::Number(n) => n.as_f64(),
            Value::String(s) if s.trim().is_empty() => None,
            Value::String(s) => {
                let n = s.trim().parse::<f64>().ok().filter(|f| f.is_finite());
                if n.is_none() {
                    self.fail(name, "must be a number");
                }
                n
            }
            _ => {
                self.fail(name, "must be a number");
                None
            }
        }
    }

    fn bool(&mut self, name: &'static str) -> Option<bool> {
        match self.value(name)? {
            Value::Bool(b) => Some(*b),
            Value::Number(n) if n.as_i64() == Some(0) || n.as_i64() == Some(1) => {
                Some(n.as_i64() == Some(1))
            }
            Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
                "true" | "yes" | "1" | "on" => Some(true),
                "false" | "no" | "0" | "off" => Some(false),
                _ => {
                    self.fail(name, "must be true or false");
                    None
                }
            },
            _ => {
                self.fail(name, "must be true or false");
                None
            }
        }
    }

    fn date(&mut self, name: &'static str) -> Option<NaiveDate> {
        let s = self.text(name);
        if s.trim().is_empty() {
            return None;
        }
        let d = parse_date(&s);
        if d.is_none() {
            self.fail(name, "must be a date YYYY-MM-DD");
        }
        d
    }

    /// The type problems found, if any (400 `ADM0001`).
    pub(super) fn finish(self) -> ApiResult<()> {
        if self.errors.is_empty() { Ok(()) } else { Err(ApiError::Invalid(self.errors)) }
    }
}

fn parse_date(s: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok()
}

fn center_id(s: &str) -> ApiResult<CenterId> {
    s.trim().parse::<i64>().map(CenterId).map_err(|_| ApiError::NotFound)
}

fn session_id(s: &str) -> ApiResult<SessionId> {
    s.parse().map_err(|_| ApiError::NotFound)
}

fn query_error(name: &str, what: &str) -> ApiError {
    ApiError::bad_request("ADM0002", format!("Query parameter {name} {what}"))
}

// --- answers ---------------------------------------------------------------------------------

fn admin_json(a: &Admin) -> Value {
    json!({
        "id": a.id.to_string(),
        "username": a.username.as_str(),
        "name": a.name,
        "level": a.area.level().as_str(),
        "state_id": a.area.state().map(|s| s.0),
        "district_id": a.area.district().map(|d| d.0),
        "block": a.area.block(),
        "center_id": a.area.center().map(|c| c.0),
        "active": a.active,
        "created_by": a.created_by.map(|c| c.to_string()),
        "created_at": a.created_at_ms,
    })
}

fn facility_json(f: &Facility) -> Value {
    let c = &f.center;
    let fees: Map<String, Value> =
        f.fees.iter().map(|(v, fee)| (v.as_str().to_owned(), json!(fee))).collect();
    json!({
        "id": c.id.0,
        "name": c.name,
        "name_l": c.name_l,
        "kind": f.kind.as_str(),
        "address": c.address,
        "block": c.block_name,
        "state_id": c.state_id.0,
        "district_id": c.district_id.0,
        "pincode": c.pincode,
        "lat": c.lat,
        "lon": c.lon,
        "open": c.open_time,
        "close": c.close_time,
        "fees": fees,
        "fees_text": fees_to_text(&f.fees),
        "cold_chain_point": f.cold_chain_point,
        "active": f.active,
        "updated_at": f.updated_at_ms,
    })
}

fn staff_json(s: &Staff) -> Value {
    json!({
        "id": s.id.to_string(),
        "center_id": s.center_id.0,
        "username": s.username.as_str(),
        "name": s.name,
        "role": s.role.as_str(),
        "active": s.active,
    })
}

fn session_json(s: &Session) -> Value {
    json!({
        "session_id": s.id.to_string(),
        "center_id": s.center_id.0,
        "date": s.date.format("%Y-%m-%d").to_string(),
        "vaccine": s.vaccine.as_str(),
        "min_age_limit": s.ages.min,
        "max_age_limit": s.ages.max,
        "fee": s.fee,
        "capacity_dose1": s.capacity_dose1,
        "capacity_dose2": s.capacity_dose2,
        "booked_dose1": s.booked_dose1,
        "booked_dose2": s.booked_dose2,
        "slots": s.slots.iter().map(|x| x.as_str()).collect::<Vec<_>>(),
        "walk_ins": s.walk_ins,
        "plan_id": s.plan_id.map(|p| p.to_string()),
        "status": if s.active { "active" } else { "cancelled" },
    })
}

fn change_json(c: &Change) -> Value {
    let record = |s: &Option<String>| {
        s.as_deref().map(|t| serde_json::from_str::<Value>(t).unwrap_or_else(|_| json!(t)))
    };
    json!({
        "id": c.id.to_string(),
        "at": c.at_ms,
        "actor": c.actor,
        "action": c.action,
        "subject": c.subject,
        "place": c.place.as_ref().map(|p| json!({
            "state_id": p.state.0,
            "district_id": p.district.0,
            "block": p.block,
            "center_id": p.center.map(|c| c.0),
        })),
        "before": record(&c.before),
        "after": record(&c.after),
    })
}

// --- login -----------------------------------------------------------------------------------

async fn login(State(state): State<AppState>, body: Bytes) -> ApiResult<Response> {
    let mut b = Body::parse(&body)?;
    let username = b.text("username");
    let password = b.raw("password");
    b.finish()?;
    if username.trim().is_empty() || password.is_empty() {
        return Err(ApiError::Invalid(
            [("username", username.trim().is_empty()), ("password", password.is_empty())]
                .into_iter()
                .filter(|(_, missing)| *missing)
                .map(|(field, _)| FieldError { field, message: "is required".into() })
                .collect(),
        ));
    }
    let login = admin::login(&state, &username, &password).await?;
    Ok(Json(json!({
        "token": login.token.token,
        "expires_at": login.token.expires_at_ms,
        "admin": admin_json(&login.admin),
    }))
    .into_response())
}

/// `POST /admin/v1/login/otp` `{"username"}` → `{"txnId"}`: a login code by SMS.
async fn login_otp(State(state): State<AppState>, body: Bytes) -> ApiResult<Response> {
    let mut b = Body::parse(&body)?;
    let username = b.text("username");
    b.finish()?;
    if username.trim().is_empty() {
        return Err(ApiError::invalid("username", "is required"));
    }
    let txn = admin::send_login_otp(&state, &username).await?;
    Ok(Json(json!({ "txnId": txn.to_string() })).into_response())
}

/// `POST /admin/v1/login/otp/confirm` `{"txnId","otp"}` → the same answer as the password
/// login.
async fn login_otp_confirm(State(state): State<AppState>, body: Bytes) -> ApiResult<Response> {
    let mut b = Body::parse(&body)?;
    let txn = b.text("txnId");
    let otp = b.text("otp");
    b.finish()?;
    let login = admin::confirm_login_otp(&state, &txn, &otp).await?;
    Ok(Json(json!({
        "token": login.token.token,
        "expires_at": login.token.expires_at_ms,
        "admin": admin_json(&login.admin),
    }))
    .into_response())
}

async fn logout(State(state): State<AppState>, AdminAuth(who): AdminAuth) -> ApiResult<Response> {
    admin::logout(&state, &who).await?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

async fn me(AdminAuth(who): AdminAuth) -> ApiResult<Response> {
    ok(
        &who,
        json!({
            "id": who.admin.to_string(),
            "username": who.username,
            "name": who.name,
            "level": who.area.level().as_str(),
            "state_id": who.area.state().map(|s| s.0),
            "district_id": who.area.district().map(|d| d.0),
            "block": who.area.block(),
            "center_id": who.area.center().map(|c| c.0),
            "expires_at": who.expires_at_ms,
        }),
    )
}

async fn change_password(
    State(state): State<AppState>,
    AdminAuth(who): AdminAuth,
    body: Bytes,
) -> ApiResult<Response> {
    let mut b = Body::parse(&body)?;
    let current = b.raw("current_password");
    let new = b.raw("new_password");
    b.finish()?;
    admin::change_password(&state, &who, &current, &new).await?;
    // Every login has ended, this one included: no refreshed token to hand back.
    Ok(StatusCode::NO_CONTENT.into_response())
}

// --- officials -------------------------------------------------------------------------------

async fn list_admins(
    State(state): State<AppState>,
    AdminAuth(who): AdminAuth,
) -> ApiResult<Response> {
    let list = admin::list_admins(&state, &who).await?;
    ok(&who, json!({ "admins": list.iter().map(admin_json).collect::<Vec<_>>() }))
}

async fn create_admin(
    State(state): State<AppState>,
    AdminAuth(who): AdminAuth,
    body: Bytes,
) -> ApiResult<Response> {
    let mut b = Body::parse(&body)?;
    let form = NewAdminForm {
        username: b.text("username"),
        name: b.text("name"),
        mobile: b.opt_text("mobile"),
        password: b.raw("password"),
        level: b.text("level"),
        state: b.int("state"),
        district: b.int("district"),
        block: b.opt_text("block"),
        center: b.int("center"),
    };
    b.finish()?;
    let created = admin::create_admin(&state, &who, &form).await?;
    Ok(reply(&who, StatusCode::CREATED, Some(admin_json(&created))))
}

fn active_of(body: &Bytes) -> ApiResult<bool> {
    let mut b = Body::parse(body)?;
    let active = b.bool("active");
    b.finish()?;
    active.ok_or_else(|| ApiError::invalid("active", "is required (true or false)"))
}

async fn set_admin_active(
    State(state): State<AppState>,
    AdminAuth(who): AdminAuth,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let id: AdminId = id.parse().map_err(|_| ApiError::NotFound)?;
    let active = active_of(&body)?;
    admin::set_admin_active(&state, &who, id, active).await?;
    Ok(reply(&who, StatusCode::NO_CONTENT, None))
}

// --- facilities ------------------------------------------------------------------------------

fn facility_form(body: &Bytes) -> ApiResult<FacilityForm> {
    let mut b = Body::parse(body)?;
    let mut fees = Vec::new();
    match b.value("fees").cloned() {
        None => {}
        Some(Value::Object(map)) => {
            for (code, fee) in map {
                match crate::lenient::as_int(&fee).and_then(|f| u32::try_from(f).ok()) {
                    Some(f) => fees.push((code, f)),
                    None => b.fail("fees", &format!("the fee for {code} must be a whole number")),
                }
            }
        }
        Some(_) => b.fail("fees", "must be an object of vaccine code to fee in rupees"),
    }
    let form = FacilityForm {
        name: b.text("name"),
        name_l: b.text("name_l"),
        kind: b.text("kind"),
        address: b.text("address"),
        block: b.text("block"),
        district: b.int("district"),
        pincode: b.text("pincode"),
        lat: b.float("lat"),
        lon: b.float("lon"),
        open: b.text("open"),
        close: b.text("close"),
        fees,
        cold_chain_point: b.text("cold_chain_point"),
    };
    b.finish()?;
    Ok(form)
}

async fn list_facilities(
    State(state): State<AppState>,
    AdminAuth(who): AdminAuth,
    params: Params,
) -> ApiResult<Response> {
    let active = match params.get("active") {
        None => None,
        Some("true" | "yes" | "1") => Some(true),
        Some("false" | "no" | "0") => Some(false),
        Some(_) => return Err(query_error("active", "must be true or false")),
    };
    let page = match params.get("page") {
        None => 0,
        Some(p) => p.parse::<u32>().map_err(|_| query_error("page", "must be 0 or more"))?,
    };
    let list = admin::list_facilities(&state, &who, params.get("q"), active, page).await?;
    ok(
        &who,
        json!({ "page": page, "facilities": list.iter().map(facility_json).collect::<Vec<_>>() }),
    )
}

async fn create_facility(
    State(state): State<AppState>,
    AdminAuth(who): AdminAuth,
    body: Bytes,
) -> ApiResult<Response> {
    let form = facility_form(&body)?;
    let created = admin::create_facility(&state, &who, &form).await?;
    Ok(reply(&who, StatusCode::CREATED, Some(facility_json(&created))))
}

async fn facility(
    State(state): State<AppState>,
    AdminAuth(who): AdminAuth,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let f = admin::facility(&state, &who, center_id(&id)?).await?;
    ok(&who, facility_json(&f))
}

async fn update_facility(
    State(state): State<AppState>,
    AdminAuth(who): AdminAuth,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let id = center_id(&id)?;
    let form = facility_form(&body)?;
    let f = admin::update_facility(&state, &who, id, &form).await?;
    ok(&who, facility_json(&f))
}

async fn set_facility_active(
    State(state): State<AppState>,
    AdminAuth(who): AdminAuth,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let id = center_id(&id)?;
    let active = active_of(&body)?;
    let f = admin::set_facility_active(&state, &who, id, active).await?;
    ok(&who, facility_json(&f))
}

// --- staff -----------------------------------------------------------------------------------

async fn list_staff(
    State(state): State<AppState>,
    AdminAuth(who): AdminAuth,
    Path(id): Path<String>,
) -> ApiResult<Response> {
    let list = admin::list_staff(&state, &who, center_id(&id)?).await?;
    ok(&who, json!({ "staff": list.iter().map(staff_json).collect::<Vec<_>>() }))
}

async fn create_staff(
    State(state): State<AppState>,
    AdminAuth(who): AdminAuth,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let id = center_id(&id)?;
    let mut b = Body::parse(&body)?;
    let form = StaffForm {
        username: b.text("username"),
        name: b.text("name"),
        mobile: b.opt_text("mobile"),
        role: b.text("role"),
        password: b.raw("password"),
    };
    b.finish()?;
    let created = admin::create_staff(&state, &who, id, &form).await?;
    Ok(reply(&who, StatusCode::CREATED, Some(staff_json(&created))))
}

async fn set_staff_active(
    State(state): State<AppState>,
    AdminAuth(who): AdminAuth,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let id: StaffId = id.parse().map_err(|_| ApiError::NotFound)?;
    let active = active_of(&body)?;
    admin::set_staff_active(&state, &who, id, active).await?;
    Ok(reply(&who, StatusCode::NO_CONTENT, None))
}

// --- sessions --------------------------------------------------------------------------------

async fn facility_sessions(
    State(state): State<AppState>,
    AdminAuth(who): AdminAuth,
    Path(id): Path<String>,
    params: Params,
) -> ApiResult<Response> {
    let id = center_id(&id)?;
    let date = |name: &str| -> ApiResult<Option<NaiveDate>> {
        params
            .get(name)
            .map(|s| parse_date(s).ok_or_else(|| query_error(name, "must be a date YYYY-MM-DD")))
            .transpose()
    };
    let from = date("from")?.unwrap_or_else(|| state.today());
    let to = date("to")?.unwrap_or(from + chrono::Duration::days(27));
    let list = admin::facility_sessions(&state, &who, id, from, to).await?;
    ok(&who, json!({ "sessions": list.iter().map(session_json).collect::<Vec<_>>() }))
}

async fn plan_sessions(
    State(state): State<AppState>,
    AdminAuth(who): AdminAuth,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let id = center_id(&id)?;
    let mut b = Body::parse(&body)?;
    let mut weekdays = Vec::new();
    match b.value("weekdays").cloned() {
        None => {}
        Some(Value::Array(list)) => {
            for v in list {
                match crate::lenient::as_int(&v).and_then(|d| u8::try_from(d).ok()) {
                    Some(d) => weekdays.push(d),
                    None => b.fail("weekdays", "weekdays are 0 (Monday) to 6 (Sunday)"),
                }
            }
        }
        Some(_) => b.fail("weekdays", "must be a list of weekdays, 0 (Monday) to 6 (Sunday)"),
    }
    let form = PlanForm {
        vaccine: b.text("vaccine"),
        from: b.date("from"),
        until: b.date("until"),
        weekdays,
        min_age: b.uint("min_age"),
        max_age: b.uint("max_age"),
        capacity_dose1: b.uint("capacity_dose1"),
        capacity_dose2: b.uint("capacity_dose2"),
        slots: b.uint("slots"),
        walk_ins: b.bool("walk_ins").unwrap_or(false),
    };
    b.finish()?;
    let outcome = admin::plan_sessions(&state, &who, id, &form).await?;
    let created: Vec<Value> = outcome
        .created
        .iter()
        .map(|(d, s)| json!({ "date": d.format("%Y-%m-%d").to_string(), "session_id": s.to_string() }))
        .collect();
    let skipped: Vec<String> =
        outcome.skipped.iter().map(|d| d.format("%Y-%m-%d").to_string()).collect();
    Ok(reply(&who, StatusCode::CREATED, Some(json!({ "created": created, "skipped": skipped }))))
}

async fn edit_session(
    State(state): State<AppState>,
    AdminAuth(who): AdminAuth,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let id = session_id(&id)?;
    let mut b = Body::parse(&body)?;
    let c1 = b.uint("capacity_dose1");
    let c2 = b.uint("capacity_dose2");
    let walk_ins = b.bool("walk_ins");
    b.finish()?;
    // Fields left out keep their current values.
    let current = if c1.is_none() || c2.is_none() || walk_ins.is_none() {
        Some(admin::session(&state, &who, id).await?)
    } else {
        None
    };
    let edit = SessionEdit {
        capacity_dose1: c1.or(current.as_ref().map(|s| s.capacity_dose1)).unwrap_or(0),
        capacity_dose2: c2.or(current.as_ref().map(|s| s.capacity_dose2)).unwrap_or(0),
        walk_ins: walk_ins.or(current.as_ref().map(|s| s.walk_ins)).unwrap_or(false),
    };
    let s = admin::edit_session(&state, &who, id, edit).await?;
    ok(&who, session_json(&s))
}

fn reason_and_date(body: &Bytes, with_date: bool) -> ApiResult<(String, Option<NaiveDate>)> {
    let mut b = Body::parse(body)?;
    let reason = b.text("reason");
    let date = if with_date { b.date("date") } else { None };
    b.finish()?;
    if with_date && date.is_none() {
        return Err(ApiError::invalid("date", "is required (YYYY-MM-DD)"));
    }
    Ok((reason, date))
}

async fn cancel_session(
    State(state): State<AppState>,
    AdminAuth(who): AdminAuth,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let id = session_id(&id)?;
    let (reason, _) = reason_and_date(&body, false)?;
    let n = admin::cancel_session(&state, &who, id, &reason).await?;
    ok(
        &who,
        json!({ "session_id": id.to_string(), "status": "cancelled", "bookings_cancelled": n }),
    )
}

async fn move_session(
    State(state): State<AppState>,
    AdminAuth(who): AdminAuth,
    Path(id): Path<String>,
    body: Bytes,
) -> ApiResult<Response> {
    let id = session_id(&id)?;
    let (reason, date) = reason_and_date(&body, true)?;
    let date = date.ok_or_else(|| ApiError::invalid("date", "is required (YYYY-MM-DD)"))?;
    let n = admin::move_session(&state, &who, id, date, &reason).await?;
    ok(
        &who,
        json!({
            "session_id": id.to_string(),
            "date": date.format("%Y-%m-%d").to_string(),
            "bookings_told": n,
        }),
    )
}

// --- audit -----------------------------------------------------------------------------------

async fn audit(
    State(state): State<AppState>,
    AdminAuth(who): AdminAuth,
    params: Params,
) -> ApiResult<Response> {
    let before_ms = params
        .get("before")
        .map(|b| b.parse::<i64>().map_err(|_| query_error("before", "must be unix milliseconds")))
        .transpose()?;
    let limit = params
        .get("limit")
        .map(|l| l.parse::<u32>().map_err(|_| query_error("limit", "must be 1 to 200")))
        .transpose()?
        .unwrap_or(50);
    let q = AuditQuery {
        subject: params.get("subject").map(str::to_owned),
        actor: params.get("actor").map(str::to_owned),
        action_prefix: params.get("action").map(str::to_owned),
        before_ms,
        limit,
    };
    let list = admin::audit(&state, &who, &q).await?;
    let next = (list.len() == limit as usize).then(|| list.last().map(|c| c.at_ms)).flatten();
    ok(
        &who,
        json!({ "entries": list.iter().map(change_json).collect::<Vec<_>>(), "next_before": next }),
    )
}

/// `GET /admin/v1/messages/stats?days=7`: delivery counts by district and gateway, inside the
/// official's area.
async fn message_stats(
    State(state): State<AppState>,
    AdminAuth(who): AdminAuth,
    params: Params,
) -> ApiResult<Response> {
    let days = params
        .get("days")
        .map(|d| {
            d.parse::<u32>().map_err(|_| {
                query_error("days", &format!("must be 1 to {}", admin::messages::MAX_DAYS))
            })
        })
        .transpose()?
        .unwrap_or(7);
    let stats = admin::messages::delivery(&state, &who, days).await?;
    let mut body = crate::services::notifications::stats_json(&stats);
    body["days"] = json!(days);
    ok(&who, body)
}
