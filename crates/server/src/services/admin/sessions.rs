//! Session planning: recurring plans, seat and walk-in changes, cancelling and moving a
//! session (everyone booked is told, and a cancellation invites them to book again).

use chrono::NaiveDate;
use serde_json::json;
use tika_domain::admin::{Capability, FacilityKind, FieldError, PlanForm, SessionEdit, parse_hhmm};
use tika_domain::ids::{PlanId, SessionId};
use tika_storage::{NewPlan, PlanOutcome, Session, StorageError};

use super::{AdminPrincipal, change, facility_in_area, refresh_search, require};
use crate::error::{ApiError, ApiResult, console_storage};
use crate::state::AppState;

/// The longest range of dates one listing covers.
const MAX_LIST_DAYS: i64 = 92;

/// Plans sessions at a facility of the area: one on each chosen weekday between two dates,
/// with the facility's hours split into slots and its fee for the vaccine.  Dates on which the
/// facility already has a session of the vaccine are skipped (and reported).
pub async fn plan_sessions(
    state: &AppState,
    who: &AdminPrincipal,
    center: tika_domain::ids::CenterId,
    form: &PlanForm,
) -> ApiResult<PlanOutcome> {
    require(who, Capability::PlanSessions)?;
    let facility = facility_in_area(state, who, center).await?;
    let c = &facility.center;
    let (Some(open), Some(close)) = (parse_hhmm(&c.open_time), parse_hhmm(&c.close_time)) else {
        return Err(ApiError::invalid("slots", "the facility's opening hours are not set"));
    };
    let mut errors = Vec::new();
    let plan = form.check(&state.pack, open, close, state.today()).map_err(|e| errors = e).ok();
    let fee = match (&plan, facility.kind) {
        (_, FacilityKind::Government) => Some("0".to_owned()),
        (Some(p), FacilityKind::Private) => {
            let fee =
                facility.fees.iter().find(|(v, _)| *v == p.vaccine).map(|(_, f)| f.to_string());
            if fee.is_none() {
                errors.push(FieldError {
                    field: "vaccine",
                    message: format!(
                        "this private facility has no fee for {}: add one to the facility first",
                        p.vaccine.as_str()
                    ),
                });
            }
            fee
        }
        (None, FacilityKind::Private) => None,
    };
    let (Some(plan), Some(fee), true) = (plan, fee, errors.is_empty()) else {
        return Err(ApiError::Invalid(errors));
    };
    let new = NewPlan {
        id: PlanId::new(),
        center_id: center,
        plan,
        fee,
        actor: super::actor(who),
        now_ms: state.now_ms(),
    };
    // The record after (the plan, the dates created and skipped) and the place are filled in
    // by storage, in the same transaction.
    let audit = change(
        state,
        who,
        "session.plan",
        format!("plan:{}", new.id),
        Some(facility.place()),
        None,
        None,
    );
    let outcome = state.store.plan_sessions(&new, &audit).await?;
    if !outcome.created.is_empty() {
        refresh_search(state).await;
    }
    tracing::info!(
        admin = %who.admin, center = center.0, plan = %new.id,
        created = outcome.created.len(), skipped = outcome.skipped.len(), "sessions planned"
    );
    Ok(outcome)
}

/// A facility's sessions (any status) with dates from `from` to `to` (at most 92 days).
pub async fn facility_sessions(
    state: &AppState,
    who: &AdminPrincipal,
    center: tika_domain::ids::CenterId,
    from: NaiveDate,
    to: NaiveDate,
) -> ApiResult<Vec<Session>> {
    facility_in_area(state, who, center).await?;
    if to < from {
        return Err(ApiError::invalid("to", "must not be before from"));
    }
    if (to - from).num_days() >= MAX_LIST_DAYS {
        return Err(ApiError::invalid("to", format!("at most {MAX_LIST_DAYS} days at a time")));
    }
    Ok(state.store.list_facility_sessions(center, from, to).await?)
}

/// One session of a facility of the area (any date, any status).
pub async fn session(state: &AppState, who: &AdminPrincipal, id: SessionId) -> ApiResult<Session> {
    let session = match state.store.find_session(id).await {
        Ok(s) => s,
        Err(StorageError::NotFound) => return Err(ApiError::NotFound),
        Err(e) => return Err(e.into()),
    };
    facility_in_area(state, who, session.center_id).await?;
    Ok(session)
}

/// A session at a facility of the area, not in the past (409 `ADM0014`).
async fn own_session(
    state: &AppState,
    who: &AdminPrincipal,
    id: SessionId,
) -> ApiResult<(Session, tika_storage::Facility)> {
    let session = match state.store.find_session(id).await {
        Ok(s) => s,
        Err(StorageError::NotFound) => return Err(ApiError::NotFound),
        Err(e) => return Err(e.into()),
    };
    let facility = facility_in_area(state, who, session.center_id).await?;
    if session.date < state.today() {
        return Err(ApiError::conflict("ADM0014", "This session is in the past"));
    }
    Ok((session, facility))
}

/// Changes a session's seats and walk-in rule; seats never go below the bookings taken (409
/// `ADM0011`, nothing changed).
pub async fn edit_session(
    state: &AppState,
    who: &AdminPrincipal,
    id: SessionId,
    edit: SessionEdit,
) -> ApiResult<Session> {
    require(who, Capability::PlanSessions)?;
    let edit = edit.check().map_err(|e| ApiError::Invalid(vec![e]))?;
    let (_, facility) = own_session(state, who, id).await?;
    // Before and after (seats, bookings, walk-ins) are read by storage in the transaction.
    let audit = change(
        state,
        who,
        "session.edit",
        format!("session:{id}"),
        Some(facility.place()),
        None,
        None,
    );
    let session = state
        .store
        .edit_session(id, edit, state.now_ms(), &audit)
        .await
        .map_err(console_storage)?;
    refresh_search(state).await;
    tracing::info!(admin = %who.admin, session = %id, "session seats changed");
    Ok(session)
}

fn session_json(s: &Session) -> serde_json::Value {
    json!({
        "session_id": s.id.to_string(),
        "center_id": s.center_id.0,
        "date": s.date.format("%Y-%m-%d").to_string(),
        "vaccine": s.vaccine.as_str(),
        "capacity_dose1": s.capacity_dose1,
        "capacity_dose2": s.capacity_dose2,
        "booked_dose1": s.booked_dose1,
        "booked_dose2": s.booked_dose2,
        "slots": s.slots.iter().map(|x| x.as_str()).collect::<Vec<_>>(),
        "status": if s.active { "active" } else { "cancelled" },
    })
}

fn reason_of(reason: &str) -> ApiResult<String> {
    let reason = reason.split_whitespace().collect::<Vec<_>>().join(" ");
    if !(3..=200).contains(&reason.chars().count()) {
        return Err(ApiError::invalid("reason", "must be 3 to 200 characters"));
    }
    Ok(reason)
}

/// Cancels a session: every booking is cancelled (seats returned) and the people booked are
/// sent the session-cancelled message, which invites them to book another slot.  Returns the
/// number of bookings cancelled.
pub async fn cancel_session(
    state: &AppState,
    who: &AdminPrincipal,
    id: SessionId,
    reason: &str,
) -> ApiResult<usize> {
    require(who, Capability::PlanSessions)?;
    let reason = reason_of(reason)?;
    let (before, facility) = own_session(state, who, id).await?;
    let mut after = before.clone();
    after.active = false;
    let audit = change(
        state,
        who,
        "session.cancel",
        format!("session:{id}"),
        Some(facility.place()),
        Some(session_json(&before)),
        Some(json!({ "status": "cancelled", "reason": reason, "date": after.date.to_string() })),
    );
    let bookings = state
        .store
        .cancel_session(id, &reason, &super::actor(who), state.now_ms(), Some(&audit))
        .await
        .map_err(console_storage)?;
    crate::services::booking::write_through(state, id).await;
    tracing::info!(admin = %who.admin, session = %id, bookings = bookings.len(), "session cancelled by an official");
    Ok(bookings.len())
}

/// Moves a session to another day (not in the past): bookings are kept and everyone booked is
/// told the new date.  Returns the number of bookings told.
pub async fn move_session(
    state: &AppState,
    who: &AdminPrincipal,
    id: SessionId,
    date: NaiveDate,
    reason: &str,
) -> ApiResult<usize> {
    require(who, Capability::PlanSessions)?;
    let reason = reason_of(reason)?;
    let (before, facility) = own_session(state, who, id).await?;
    if date < state.today() {
        return Err(ApiError::invalid("date", "must not be in the past"));
    }
    if date == before.date {
        return Err(ApiError::invalid("date", "is the session's date already"));
    }
    let audit = change(
        state,
        who,
        "session.move",
        format!("session:{id}"),
        Some(facility.place()),
        Some(session_json(&before)),
        Some(json!({ "date": date.to_string(), "reason": reason })),
    );
    let bookings = state
        .store
        .move_session(id, date, &reason, &super::actor(who), state.now_ms(), Some(&audit))
        .await
        .map_err(console_storage)?;
    // The index keys sessions by date: a moved session needs a rebuild, not a write-through.
    refresh_search(state).await;
    tracing::info!(admin = %who.admin, session = %id, bookings = bookings.len(), "session moved by an official");
    Ok(bookings.len())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reasons_are_trimmed_and_bounded() {
        assert_eq!(reason_of("  Vaccine   not delivered ").unwrap(), "Vaccine not delivered");
        assert!(reason_of("no").is_err());
        assert!(reason_of(&"x".repeat(201)).is_err());
    }
}
