//! The console API for the campaign policy as versioned data (phases, priority groups,
//! eligibility, dose intervals, changed with an effective date) and surveys of comorbidities.
//!
//! | Route | What |
//! |---|---|
//! | `GET /api/admin/v1/policies` | every version, the one in force today marked |
//! | `GET /api/admin/v1/policies/{version}` | one version |
//! | `POST /api/admin/v1/policies` | a new version (national only; effective tomorrow or later) |
//! | `GET /api/admin/v1/surveys` | the area's surveys, newest first (`?limit=`) |
//! | `GET /api/admin/v1/surveys/person/{reference_id}` | a person of the area, for the form |
//! | `POST /api/admin/v1/surveys` | one survey |
//! | `POST /api/admin/v1/surveys/upload` | a CSV of surveys (`?surveyor=`), all or nothing |
//!
//! Every permission and area check is the service's (`services::admin::policy`).

use axum::Json;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::{Value, json};
use tika_domain::country::Policy;
use tika_domain::policy::PolicyForm;
use tika_storage::SurveyRecord;

use super::admin::{AdminAuth, TOKEN_EXPIRES_HEADER, TOKEN_HEADER};
use super::extract::Params;
use crate::error::{ApiError, ApiResult};
use crate::services::admin::AdminPrincipal;
use crate::services::admin::policy::{self, SurveyForm, VersionView};
use crate::state::AppState;

/// The routes (under `/api`, merged into the console API).
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/admin/v1/policies", get(list_versions).post(create_version))
        .route("/admin/v1/policies/{version}", get(version))
        .route("/admin/v1/surveys", get(list_surveys).post(record_survey))
        .route("/admin/v1/surveys/person/{reference}", get(find_person))
        .route(
            "/admin/v1/surveys/upload",
            post(upload_surveys).layer(DefaultBodyLimit::max(policy::MAX_SURVEY_BYTES)),
        )
}

/// A response, with the refreshed console token in its headers when there is one.
fn reply(who: &AdminPrincipal, status: StatusCode, body: Value) -> ApiResult<Response> {
    let mut res = (status, Json(body)).into_response();
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
    Ok(res)
}

/// A policy version as JSON (also what the console page's table shows).
pub(crate) fn policy_json(p: &Policy) -> Value {
    let mut intervals: Vec<Value> = p
        .interval_overrides
        .iter()
        .map(|(v, (min, max))| json!({ "vaccine": v.as_str(), "min_days": min, "max_days": max }))
        .collect();
    intervals.sort_by(|a, b| a["vaccine"].as_str().cmp(&b["vaccine"].as_str()));
    json!({
        "version": p.version,
        "effective_from": p.effective_from.to_string(),
        "min_age_years": p.min_age_years,
        "groups": p.groups.iter().map(|g| json!({
            "code": g.code,
            "name": g.name,
            "name_hi": g.name_hi,
            "rank": g.rank,
            "opens": g.opens.to_string(),
            "occupations": g.rule.occupations.iter().map(|o| o.as_str()).collect::<Vec<_>>(),
            "min_age": g.rule.min_age,
            "max_age": g.rule.max_age,
            "age_on": g.rule.age_on.map(|d| d.to_string()),
            "comorbidity": g.rule.comorbidity,
        })).collect::<Vec<_>>(),
        "intervals": intervals,
    })
}

fn version_json(v: &VersionView) -> Value {
    let mut out = policy_json(&v.policy);
    if let Value::Object(map) = &mut out {
        map.insert("source".into(), json!(v.source));
        map.insert("in_force".into(), json!(v.in_force));
        map.insert("upcoming".into(), json!(v.upcoming));
        map.insert("created_by".into(), json!(v.created_by));
        map.insert("created_at".into(), json!(v.created_at_ms));
        map.insert("based_on".into(), json!(v.based_on));
        map.insert("note".into(), json!(v.note));
    }
    out
}

fn survey_json(s: &SurveyRecord) -> Value {
    json!({
        "id": s.survey.id.to_string(),
        "reference_id": s.reference_id,
        "comorbidities": s.survey.comorbidities,
        "notes": s.survey.notes,
        "surveyor": s.survey.surveyor,
        "source": s.survey.source.as_str(),
        "state_id": s.survey.state.map(|x| x.0),
        "district_id": s.survey.district.map(|x| x.0),
        "created_at": s.survey.created_at_ms,
    })
}

fn json_body<T: serde::de::DeserializeOwned + Default>(bytes: &[u8]) -> ApiResult<T> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Ok(T::default());
    }
    serde_json::from_slice(bytes).map_err(|e| {
        ApiError::bad_request(
            "ADM0043",
            format!(
                "The request body is not a valid JSON object of the expected shape (line {}, column {}): {e}",
                e.line(),
                e.column()
            ),
        )
    })
}

async fn list_versions(
    State(state): State<AppState>,
    AdminAuth(who): AdminAuth,
) -> ApiResult<Response> {
    let list = policy::list_versions(&state, &who);
    let in_force = list.iter().find(|v| v.in_force).map(|v| v.policy.version.clone());
    reply(
        &who,
        StatusCode::OK,
        json!({
            "in_force": in_force,
            "today": state.today().to_string(),
            "versions": list.iter().map(version_json).collect::<Vec<_>>(),
        }),
    )
}

async fn version(
    State(state): State<AppState>,
    AdminAuth(who): AdminAuth,
    Path(label): Path<String>,
) -> ApiResult<Response> {
    let v = policy::version(&state, &who, &label)?;
    reply(&who, StatusCode::OK, version_json(&v))
}

async fn create_version(
    State(state): State<AppState>,
    AdminAuth(who): AdminAuth,
    body: Bytes,
) -> ApiResult<Response> {
    let form: PolicyForm = json_body(&body)?;
    let v = policy::create_version(&state, &who, &form).await?;
    reply(&who, StatusCode::CREATED, version_json(&v))
}

async fn list_surveys(
    State(state): State<AppState>,
    AdminAuth(who): AdminAuth,
    params: Params,
) -> ApiResult<Response> {
    let limit = match params.get("limit") {
        None => 100,
        Some(l) => l.parse::<u32>().map_err(|_| ApiError::invalid("limit", "must be 1 to 500"))?,
    };
    let list = policy::list_surveys(&state, &who, limit).await?;
    reply(
        &who,
        StatusCode::OK,
        json!({ "surveys": list.iter().map(survey_json).collect::<Vec<_>>() }),
    )
}

async fn find_person(
    State(state): State<AppState>,
    AdminAuth(who): AdminAuth,
    Path(reference): Path<String>,
) -> ApiResult<Response> {
    let p = policy::find_person(&state, &who, &reference).await?;
    reply(
        &who,
        StatusCode::OK,
        json!({
            "reference_id": p.reference_id,
            "birth_year": p.birth_year,
            "comorbidity": p.comorbidity,
            "groups": p.groups,
        }),
    )
}

async fn record_survey(
    State(state): State<AppState>,
    AdminAuth(who): AdminAuth,
    body: Bytes,
) -> ApiResult<Response> {
    let form: SurveyForm = json_body(&body)?;
    let s = policy::record_survey(&state, &who, &form).await?;
    reply(&who, StatusCode::CREATED, survey_json(&s))
}

async fn upload_surveys(
    State(state): State<AppState>,
    AdminAuth(who): AdminAuth,
    params: Params,
    body: Bytes,
) -> ApiResult<Response> {
    let Ok(text) = std::str::from_utf8(&body) else {
        return Err(ApiError::bad_request("ADM0040", "The file must be UTF-8 CSV"));
    };
    let outcome =
        policy::upload_surveys(&state, &who, text, params.get("surveyor").unwrap_or_default())
            .await?;
    reply(
        &who,
        StatusCode::OK,
        json!({ "recorded": outcome.recorded, "with_conditions": outcome.with_conditions }),
    )
}
