//! The officials' console: login and console tokens, officials, facilities and their staff,
//! session plans, and the audit log.
//!
//! Every function takes the [`AdminPrincipal`] and checks, here and not in a page or handler,
//! both what the official's level may do ([`AdminLevel::can`]) and that the place touched lies
//! inside their area ([`Area::covers`]).  Anything outside the area answers exactly like
//! something that does not exist ([`ApiError::NotFound`]), so an official cannot learn what
//! other areas hold.  Every change is written with its audit entry ([`Change`]) in the same
//! transaction: who (`admin:<id>`), what, where, and the record before and after (never a
//! password hash, never a citizen's personal data).  Logs carry ids only.
//!
//! [`AdminLevel::can`]: tika_domain::admin::AdminLevel::can

mod admins;
pub mod assign;
mod audit;
mod auth;
pub mod bulk;
pub mod coldchain;
mod facilities;
pub mod followup;
pub mod messages;
pub mod policy;
mod sessions;

pub use admins::{NewAdminForm, create_admin, list_admins, set_admin_active};
pub use audit::{AuditQuery, MAX_LIMIT as AUDIT_MAX_LIMIT, audit};
pub use auth::{
    AdminPrincipal, ConsoleLogin, ConsoleToken, change_password, confirm_login_otp, login, logout,
    send_login_otp, verify,
};
pub use facilities::{
    PAGE_SIZE as FACILITY_PAGE_SIZE, StaffForm, create_facility, create_staff, facility,
    list_facilities, list_staff, set_facility_active, set_staff_active, update_facility,
};
pub use sessions::{
    cancel_session, edit_session, facility_sessions, move_session, plan_sessions, session,
};

use serde_json::Value;
use tika_domain::admin::{Area, Capability, Place};
use tika_domain::ids::CenterId;
use tika_storage::{Change, Facility, StorageError};

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Refuses what the official's level may not do at all (403 `ADM0004`).
fn require(who: &AdminPrincipal, capability: Capability) -> ApiResult<()> {
    if who.area.level().can(capability) {
        return Ok(());
    }
    tracing::info!(admin = %who.admin, ?capability, "console action refused for the level");
    Err(ApiError::Forbidden {
        code: "ADM0004",
        message: format!("A {} official cannot do this", who.area.level()),
    })
}

/// How the audit log names an official.
fn actor(who: &AdminPrincipal) -> String {
    format!("admin:{}", who.admin)
}

/// An audit entry of the official's change (storage fills in what it leaves `None`: the
/// subject of a new facility, and the place and records it reads in the same transaction).
pub(crate) fn change(
    state: &AppState,
    who: &AdminPrincipal,
    action: &str,
    subject: String,
    place: Option<Place>,
    before: Option<Value>,
    after: Option<Value>,
) -> Change {
    Change {
        id: uuid::Uuid::now_v7(),
        at_ms: state.now_ms(),
        actor: actor(who),
        action: action.to_owned(),
        subject,
        place,
        before: before.map(|v| v.to_string()),
        after: after.map(|v| v.to_string()),
    }
}

/// Where an official works, as an audit place: the facility or block level's place; `None`
/// above district level (such entries are seen by national officials only).
pub fn area_place(area: &Area) -> Option<Place> {
    match area {
        Area::National | Area::State { .. } => None,
        Area::District { state, district } => {
            Some(Place { state: *state, district: *district, block: String::new(), center: None })
        }
        Area::Block { state, district, block } => {
            Some(Place { state: *state, district: *district, block: block.clone(), center: None })
        }
        Area::Facility { state, district, block, center } => Some(Place {
            state: *state,
            district: *district,
            block: block.clone(),
            center: Some(*center),
        }),
    }
}

/// A facility inside the official's area; `NotFound` if it does not exist or lies outside.
async fn facility_in_area(
    state: &AppState,
    who: &AdminPrincipal,
    id: CenterId,
) -> ApiResult<Facility> {
    match state.store.find_facility(id).await {
        Ok(f) if who.area.covers(&f.place()) => Ok(f),
        Ok(_) => {
            tracing::warn!(admin = %who.admin, center = id.0, "official asked for a facility outside their area");
            Err(ApiError::NotFound)
        }
        Err(StorageError::NotFound) => Err(ApiError::NotFound),
        Err(e) => Err(e.into()),
    }
}

/// Rebuilds the slot-search index after a change it cannot apply in place (new sessions,
/// changed seats or dates, a facility's details or activation), so search answers the new
/// state at once.  Other processes rebuild on their next refresh (they see the sessions'
/// `updated_at` move, or sessions they do not know).  A failure leaves the refresher to
/// catch up.
async fn refresh_search(state: &AppState) {
    if let Err(e) = state.cache.rebuild(state.today(), state.now_ms()).await {
        tracing::warn!(error = %e, "search cache rebuild after a console change failed; the refresher will retry");
    }
}

/// Hashes a new password on the blocking pool (Argon2id costs tens of milliseconds of CPU).
async fn hash_blocking(password: &str) -> ApiResult<String> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || crate::services::staff::hash_password(&password))
        .await
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("password hashing panicked: {e}")))?
        .map_err(ApiError::Internal)
}

/// A person's display name: whitespace collapsed, 2 to 80 characters, no markup.
fn display_name(raw: &str) -> Result<String, String> {
    let name = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    if !(2..=80).contains(&name.chars().count())
        || name.chars().any(|c| c.is_control() || "<>".contains(c))
    {
        return Err("must be 2 to 80 characters, without '<' or '>'".into());
    }
    Ok(name)
}

/// An optional mobile number (empty means none).
fn optional_mobile(raw: Option<&str>) -> Result<Option<tika_domain::mobile::Mobile>, String> {
    match raw.map(str::trim).filter(|m| !m.is_empty()) {
        None => Ok(None),
        Some(m) => tika_domain::mobile::Mobile::parse(m).map(Some).map_err(|e| e.to_string()),
    }
}
