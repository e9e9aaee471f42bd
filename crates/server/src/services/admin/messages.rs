//! Message delivery as officials follow it: for each district of their area and each gateway,
//! how many SMS were created, are waiting, went out, arrived, failed or expired.
//!
//! The counts come from the message queue itself (every SMS is a row with its status), so the
//! district sees who was told, not who was meant to be.  Block and facility officials see their
//! district's counts (messages are counted by the district of the session they are about).

use tika_domain::admin::Area;
use tika_storage::DeliveryStat;

use super::AdminPrincipal;
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// The longest window one may ask for, in days.
pub const MAX_DAYS: u32 = 90;

/// Delivery counts of the messages created in the last `days` days inside the official's area,
/// by district and gateway (national officials also see messages about no session, such as
/// OTPs, under no district).
pub async fn delivery(
    state: &AppState,
    who: &AdminPrincipal,
    days: u32,
) -> ApiResult<Vec<DeliveryStat>> {
    if !(1..=MAX_DAYS).contains(&days) {
        return Err(ApiError::invalid("days", format!("must be 1 to {MAX_DAYS}")));
    }
    let since = state.now_ms() - i64::from(days) * 86_400_000;
    let district = match &who.area {
        Area::National | Area::State { .. } => None,
        Area::District { district, .. }
        | Area::Block { district, .. }
        | Area::Facility { district, .. } => Some(district.0),
    };
    let stats = state.store.delivery_stats(since, district).await?;
    Ok(match &who.area {
        Area::National => stats,
        Area::State { state: st } => stats
            .into_iter()
            .filter(|s| {
                s.district_id
                    .and_then(|d| state.pack.district(tika_domain::ids::DistrictId(d)))
                    .is_some_and(|d| d.state_id == *st)
            })
            .collect(),
        _ => stats.into_iter().filter(|s| s.district_id == district).collect(),
    })
}
