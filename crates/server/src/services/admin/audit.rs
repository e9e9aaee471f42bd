//! The audit log as officials browse it: the changes made inside their area, newest first.

use tika_domain::admin::Capability;
use tika_storage::{Change, ChangeFilter};

use super::{AdminPrincipal, require};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// The most entries one page may ask for.
pub const MAX_LIMIT: u32 = 200;

/// Which audit entries to read.
#[derive(Debug, Clone, Default)]
pub struct AuditQuery {
    /// Only this subject (`center:<id>`, `session:<id>`, `admin:<id>`, …).
    pub subject: Option<String>,
    /// Only this actor (`admin:<id>`, `staff:<id>`, `cli`, …).
    pub actor: Option<String>,
    /// Only actions starting with this (`facility.`).
    pub action_prefix: Option<String>,
    /// Only entries older than this (unix ms): the next page.
    pub before_ms: Option<i64>,
    /// Page size (1 to 200).
    pub limit: u32,
}

/// The changes made inside the official's area (national officials also see entries with no
/// place, such as certificate actions), newest first.
pub async fn audit(
    state: &AppState,
    who: &AdminPrincipal,
    q: &AuditQuery,
) -> ApiResult<Vec<Change>> {
    require(who, Capability::ReadAudit)?;
    if !(1..=MAX_LIMIT).contains(&q.limit) {
        return Err(ApiError::invalid("limit", format!("must be 1 to {MAX_LIMIT}")));
    }
    let clean = |s: &Option<String>| {
        s.as_deref().map(str::trim).filter(|s| !s.is_empty()).map(str::to_owned)
    };
    let filter = ChangeFilter {
        area: who.area.clone(),
        subject: clean(&q.subject),
        actor: clean(&q.actor),
        action_prefix: clean(&q.action_prefix),
        before_ms: q.before_ms,
        limit: q.limit,
    };
    Ok(state.store.list_changes(&filter).await?)
}
