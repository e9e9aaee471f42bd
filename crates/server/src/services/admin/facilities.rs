//! Facilities (details, hours, fees, activation) and their staff.

use serde_json::{Value, json};
use tika_domain::admin::{Capability, FacilityDetails, FacilityForm, FieldError};
use tika_domain::ids::{CenterId, StaffId};
use tika_domain::staff::{StaffRole, Username, check_password};
use tika_storage::{Facility, FacilityFilter, NewStaff, Staff, StorageError};

use super::{AdminPrincipal, change, facility_in_area, refresh_search, require};
use crate::error::{ApiError, ApiResult, console_storage};
use crate::state::AppState;

/// Facilities per page of a list.
pub const PAGE_SIZE: u32 = 50;

/// Checks a submitted facility, and that its place lies inside the official's area (a
/// district official cannot put a facility in another district).
fn checked(
    state: &AppState,
    who: &AdminPrincipal,
    form: &FacilityForm,
    id: Option<CenterId>,
) -> ApiResult<FacilityDetails> {
    let details = form.check(&state.pack).map_err(ApiError::Invalid)?;
    if !who.area.covers(&details.place(id)) {
        let field = if who.area.district().is_some_and(|d| d == details.district) {
            "block"
        } else {
            "district"
        };
        return Err(ApiError::Invalid(vec![FieldError {
            field,
            message: "is outside your area".into(),
        }]));
    }
    Ok(details)
}

/// Creates a facility inside the official's area (state, district and block officials; 403
/// `ADM0004` for facility officials).
pub async fn create_facility(
    state: &AppState,
    who: &AdminPrincipal,
    form: &FacilityForm,
) -> ApiResult<Facility> {
    require(who, Capability::CreateFacilities)?;
    let details = checked(state, who, form, None)?;
    // The subject (`center:<id>`) and the record after are filled in by storage, which picks
    // the id in the same transaction.
    let audit =
        change(state, who, "facility.create", String::new(), Some(details.place(None)), None, None);
    let facility = state.store.create_facility(&details, state.now_ms(), &audit).await?;
    refresh_search(state).await;
    tracing::info!(admin = %who.admin, center = facility.center.id.0, "facility created");
    Ok(facility)
}

/// Replaces a facility's details; it must be inside the area before and after.
pub async fn update_facility(
    state: &AppState,
    who: &AdminPrincipal,
    id: CenterId,
    form: &FacilityForm,
) -> ApiResult<Facility> {
    require(who, Capability::EditFacilities)?;
    facility_in_area(state, who, id).await?;
    let details = checked(state, who, form, Some(id))?;
    let audit = change(state, who, "facility.update", format!("center:{}", id.0), None, None, None);
    let facility = state.store.update_facility(id, &details, state.now_ms(), &audit).await?;
    refresh_search(state).await;
    tracing::info!(admin = %who.admin, center = id.0, "facility updated");
    Ok(facility)
}

/// Deactivates a facility (no new sessions; it leaves search) or activates it again.
pub async fn set_facility_active(
    state: &AppState,
    who: &AdminPrincipal,
    id: CenterId,
    active: bool,
) -> ApiResult<Facility> {
    require(who, Capability::ActivateFacilities)?;
    facility_in_area(state, who, id).await?;
    let action = if active { "facility.activate" } else { "facility.deactivate" };
    let audit = change(state, who, action, format!("center:{}", id.0), None, None, None);
    let facility = state.store.set_facility_active(id, active, state.now_ms(), &audit).await?;
    refresh_search(state).await;
    tracing::info!(admin = %who.admin, center = id.0, active, "facility (de)activated");
    Ok(facility)
}

/// One facility of the area.
pub async fn facility(state: &AppState, who: &AdminPrincipal, id: CenterId) -> ApiResult<Facility> {
    facility_in_area(state, who, id).await
}

/// The area's facilities by name, 50 a page (`page` from 0); `query` matches a name or a
/// pincode.
pub async fn list_facilities(
    state: &AppState,
    who: &AdminPrincipal,
    query: Option<&str>,
    active: Option<bool>,
    page: u32,
) -> ApiResult<Vec<Facility>> {
    let filter = FacilityFilter {
        area: who.area.clone(),
        active,
        query: query.map(str::trim).filter(|q| !q.is_empty()).map(str::to_owned),
        limit: PAGE_SIZE,
        offset: page.saturating_mul(PAGE_SIZE),
    };
    Ok(state.store.list_facilities(&filter).await?)
}

/// A new staff member as submitted.
#[derive(Debug, Clone, Default)]
pub struct StaffForm {
    /// Login name.
    pub username: String,
    /// Display name.
    pub name: String,
    /// Mobile for OTP login (optional).
    pub mobile: Option<String>,
    /// `vaccinator` or `facility_admin`.
    pub role: String,
    /// First password.
    pub password: String,
}

/// What the audit log keeps of a staff member (no password hash, no mobile).
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

/// Creates a staff account at a facility of the area.
pub async fn create_staff(
    state: &AppState,
    who: &AdminPrincipal,
    center: CenterId,
    form: &StaffForm,
) -> ApiResult<Staff> {
    require(who, Capability::ManageStaff)?;
    let facility = facility_in_area(state, who, center).await?;
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
    let role = StaffRole::parse(form.role.trim());
    if role.is_none() {
        fail("role", tika_domain::staff::StaffError::RoleInvalid.to_string());
    }
    if let Some(u) = &username
        && let Err(e) = check_password(u, &form.password)
    {
        fail("password", e.to_string());
    }
    let (Some(username), Some(role), true) = (username, role, errors.is_empty()) else {
        return Err(ApiError::Invalid(errors));
    };
    let new = NewStaff {
        id: StaffId::new(),
        center_id: facility.center.id,
        username,
        name,
        mobile,
        role,
        password_hash: super::hash_blocking(&form.password).await?,
        created_at_ms: state.now_ms(),
    };
    let audit = change(
        state,
        who,
        "staff.create",
        format!("staff:{}", new.id),
        Some(facility.place()),
        None,
        Some(json!({
            "id": new.id.to_string(),
            "center_id": new.center_id.0,
            "username": new.username.as_str(),
            "name": new.name,
            "role": new.role.as_str(),
            "active": true,
        })),
    );
    let staff = state.store.create_staff_audited(&new, &audit).await.map_err(console_storage)?;
    tracing::info!(admin = %who.admin, staff = %staff.id, center = center.0, "staff created");
    Ok(staff)
}

/// A facility's staff.
pub async fn list_staff(
    state: &AppState,
    who: &AdminPrincipal,
    center: CenterId,
) -> ApiResult<Vec<Staff>> {
    require(who, Capability::ManageStaff)?;
    facility_in_area(state, who, center).await?;
    Ok(state.store.list_staff(center).await?)
}

/// Deactivates or re-activates a staff member of a facility of the area.
pub async fn set_staff_active(
    state: &AppState,
    who: &AdminPrincipal,
    id: StaffId,
    active: bool,
) -> ApiResult<()> {
    require(who, Capability::ManageStaff)?;
    let staff = match state.store.find_staff(id).await {
        Ok(s) => s,
        Err(StorageError::NotFound) => return Err(ApiError::NotFound),
        Err(e) => return Err(e.into()),
    };
    let facility = facility_in_area(state, who, staff.center_id).await?;
    let mut after = staff.clone();
    after.active = active;
    let audit = change(
        state,
        who,
        if active { "staff.activate" } else { "staff.deactivate" },
        format!("staff:{id}"),
        Some(facility.place()),
        Some(staff_json(&staff)),
        Some(staff_json(&after)),
    );
    state.store.set_staff_active(id, active, &audit).await.map_err(console_storage)?;
    tracing::info!(admin = %who.admin, staff = %id, active, "staff (de)activated");
    Ok(())
}
