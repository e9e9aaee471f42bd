//! Officials: creating them (only inside the creator's area), listing and deactivating them.

use serde_json::{Value, json};
use tika_domain::admin::{Area, AreaError, Capability, FieldError};
use tika_domain::ids::{AdminId, CenterId, DistrictId, StateId};
use tika_domain::staff::{Username, check_password};
use tika_storage::{Admin, NewAdmin, StorageError};

use super::{AdminPrincipal, area_place, change, require};
use crate::error::{ApiError, ApiResult, console_storage};
use crate::state::AppState;

/// A new official as submitted.
#[derive(Debug, Clone, Default)]
pub struct NewAdminForm {
    /// Login name.
    pub username: String,
    /// Display name.
    pub name: String,
    /// Mobile (optional).
    pub mobile: Option<String>,
    /// First password (the official changes it).
    pub password: String,
    /// `national`, `state`, `district`, `block` or `facility`.
    pub level: String,
    /// State id (state level and below; the creator's when not given).
    pub state: Option<i64>,
    /// District id (district level and below; the creator's when not given).
    pub district: Option<i64>,
    /// Block name (block level).
    pub block: Option<String>,
    /// Facility id (facility level).
    pub center: Option<i64>,
}

fn area_field(e: &AreaError) -> &'static str {
    match e {
        AreaError::Level => "level",
        AreaError::StateMissing | AreaError::StateUnknown => "state",
        AreaError::DistrictMissing | AreaError::DistrictUnknown => "district",
        AreaError::BlockMissing => "block",
        AreaError::CenterMissing => "center",
    }
}

/// What the audit log keeps of an official (no password hash, no mobile).
fn admin_json(a: &Admin) -> Value {
    json!({
        "id": a.id.to_string(),
        "username": a.username.as_str(),
        "name": a.name,
        "area": a.area,
        "active": a.active,
    })
}

/// Creates an official for an area inside the creator's own (403 `ADM0005` otherwise); a
/// facility-level official's facility must exist inside the creator's area.
pub async fn create_admin(
    state: &AppState,
    who: &AdminPrincipal,
    form: &NewAdminForm,
) -> ApiResult<Admin> {
    require(who, Capability::ManageAdmins)?;
    let mut errors: Vec<FieldError> = Vec::new();
    let mut fail = |field: &'static str, message: String| {
        errors.push(FieldError { field, message });
    };
    let username =
        Username::parse(&form.username).map_err(|e| fail("username", e.to_string())).ok();
    let name = super::display_name(&form.name).map_err(|m| fail("name", m)).unwrap_or_default();
    let mobile = super::optional_mobile(form.mobile.as_deref())
        .map_err(|m| fail("mobile", m))
        .ok()
        .flatten();
    if let Some(u) = &username
        && let Err(e) = check_password(u, &form.password)
    {
        fail("password", e.to_string());
    }
    // The facility of a facility-level official: it must exist inside the creator's area,
    // and one outside it is reported exactly like one that does not exist.
    let facility = match (form.level.trim(), form.center) {
        ("facility", Some(id)) => match state.store.find_facility(CenterId(id)).await {
            Ok(f) if who.area.covers(&f.place()) => Some(f.place()),
            Ok(_) | Err(StorageError::NotFound) => {
                fail("center", "no such facility in your area".into());
                None
            }
            Err(e) => return Err(e.into()),
        },
        _ => None,
    };
    let area = if form.level.trim() == "facility" && form.center.is_some() && facility.is_none() {
        None
    } else {
        Area::parse(
            &form.level,
            form.state.or(who.area.state().map(|s| s.0)).map(StateId),
            form.district.or(who.area.district().map(|d| d.0)).map(DistrictId),
            form.block.as_deref(),
            facility.as_ref(),
            &state.pack,
        )
        .map_err(|e| fail(area_field(&e), e.to_string()))
        .ok()
    };
    let (Some(username), Some(area), true) = (username, area, errors.is_empty()) else {
        return Err(ApiError::Invalid(errors));
    };
    if !who.area.contains(&area) {
        tracing::info!(admin = %who.admin, level = %area.level(), "official creation outside the area refused");
        return Err(ApiError::Forbidden {
            code: "ADM0005",
            message: "You can only create officials for your own area or places inside it".into(),
        });
    }
    let new = NewAdmin {
        id: AdminId::new(),
        username,
        name,
        mobile,
        area,
        password_hash: super::hash_blocking(&form.password).await?,
        created_by: Some(who.admin),
        created_at_ms: state.now_ms(),
    };
    let audit = change(
        state,
        who,
        "admin.create",
        format!("admin:{}", new.id),
        area_place(&new.area),
        None,
        Some(json!({
            "id": new.id.to_string(),
            "username": new.username.as_str(),
            "name": new.name,
            "area": new.area,
            "active": true,
        })),
    );
    let admin = state.store.create_admin(&new, &audit).await.map_err(console_storage)?;
    tracing::info!(admin = %who.admin, created = %admin.id, level = %admin.area.level(), "official created");
    Ok(admin)
}

/// The officials whose area lies inside the caller's (the caller included), by username.
pub async fn list_admins(state: &AppState, who: &AdminPrincipal) -> ApiResult<Vec<Admin>> {
    require(who, Capability::ManageAdmins)?;
    Ok(state.store.list_admins(&who.area).await?)
}

/// Deactivates (ending every login) or re-activates an official of the caller's area; not
/// oneself (409 `ADM0006`).
pub async fn set_admin_active(
    state: &AppState,
    who: &AdminPrincipal,
    id: AdminId,
    active: bool,
) -> ApiResult<()> {
    require(who, Capability::ManageAdmins)?;
    let target = match state.store.find_admin(id).await {
        Ok(a) if who.area.contains(&a.area) => a,
        Ok(_) | Err(StorageError::NotFound) => return Err(ApiError::NotFound),
        Err(e) => return Err(e.into()),
    };
    if target.id == who.admin {
        return Err(ApiError::conflict("ADM0006", "You cannot deactivate your own account"));
    }
    let mut after = target.clone();
    after.active = active;
    let audit = change(
        state,
        who,
        if active { "admin.activate" } else { "admin.deactivate" },
        format!("admin:{id}"),
        area_place(&target.area),
        Some(admin_json(&target)),
        Some(admin_json(&after)),
    );
    state.store.set_admin_active(id, active, &audit).await.map_err(console_storage)?;
    tracing::info!(admin = %who.admin, target = %id, active, "official (de)activated");
    Ok(())
}
