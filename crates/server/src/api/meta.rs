//! Metadata: states, districts, photo id types, genders (all cacheable for 24 hours).

use axum::Json;
use axum::extract::{Path, State};
use serde_json::{Value, json};
use tika_domain::ids::StateId;

use super::extract::{AcceptLang, Auth};
use crate::error::ApiResult;
use crate::services::registration::require_protected;
use crate::services::search::Lang;
use crate::state::AppState;

fn l(lang: Lang, s: &str) -> &str {
    if lang == Lang::Hi { s } else { "" }
}

pub(super) async fn list_states(
    State(state): State<AppState>,
    AcceptLang(lang): AcceptLang,
) -> Json<Value> {
    let states: Vec<Value> = state
        .pack
        .states
        .iter()
        .map(|s| json!({ "state_id": s.id.0, "state_name": s.name, "state_name_l": l(lang, &s.name_l) }))
        .collect();
    Json(json!({ "states": states, "ttl": 24 }))
}

/// Unknown or malformed state ids get an empty list: some clients loop over 1..39.
pub(super) async fn list_districts(
    State(state): State<AppState>,
    Path(state_id): Path<String>,
) -> Json<Value> {
    let districts: Vec<Value> = match state_id.parse::<StateId>() {
        Ok(id) => state
            .pack
            .districts_of(id)
            .map(|d| json!({ "district_id": d.id.0, "district_name": d.name, "district_name_l": "" }))
            .collect(),
        Err(_) => Vec::new(),
    };
    Json(json!({ "districts": districts, "ttl": 24 }))
}

pub(super) async fn list_id_types(
    State(state): State<AppState>,
    Auth(principal): Auth,
    AcceptLang(lang): AcceptLang,
) -> ApiResult<Json<Value>> {
    require_protected(&principal)?;
    let types: Vec<Value> = state
        .pack
        .id_types
        .iter()
        .map(|t| json!({ "id": t.id, "type": t.name, "type_l": l(lang, &t.name_l) }))
        .collect();
    Ok(Json(json!({ "types": types, "ttl": 24 })))
}

pub(super) async fn list_genders(
    State(state): State<AppState>,
    Auth(principal): Auth,
    AcceptLang(lang): AcceptLang,
) -> ApiResult<Json<Value>> {
    require_protected(&principal)?;
    let genders: Vec<Value> = state
        .pack
        .genders
        .iter()
        .map(|g| json!({ "id": g.id, "gender": g.name, "gender_l": l(lang, &g.name_l) }))
        .collect();
    Ok(Json(json!({ "genders": genders, "ttl": 24 })))
}
