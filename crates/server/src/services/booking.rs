//! Booking, rescheduling and cancelling appointments, and the appointment slip.

use std::collections::HashSet;
use std::time::{Duration, Instant};

use rand::Rng;
use tika_domain::eligibility::{Candidate, PastDose, SessionFacts, check_booking};
use tika_domain::ids::{AppointmentId, BeneficiaryId, SessionId};
use tika_domain::session::{SecurityCode, Slot};
use tika_domain::vaccine::DoseNumber;
use tika_storage::{
    Appointment, AppointmentStatus, Beneficiary, BookingMember, ConflictKind, NewBooking,
    Reschedule, Session, StorageError,
};

use super::auth::Principal;
use super::registration::{find_own, require_protected};
use crate::cache::{Admission, SeatClaim};
use crate::error::{ApiError, ApiResult, SESSION_FULL_MESSAGE};
use crate::state::AppState;

/// A booking request as it arrives (already leniently decoded).
#[derive(Debug, Clone, Default)]
pub struct ScheduleRequest {
    /// `dose`.
    pub dose: Option<i64>,
    /// `session_id`.
    pub session_id: Option<String>,
    /// `slot`.
    pub slot: Option<String>,
    /// `beneficiaries`.
    pub beneficiaries: Vec<String>,
}

fn parse_session_id(raw: Option<&str>) -> ApiResult<SessionId> {
    let raw =
        raw.filter(|s| !s.trim().is_empty()).ok_or_else(|| ApiError::missing("session_id"))?;
    raw.parse().map_err(|_| ApiError::bad_request("APPOIN0012", "Invalid session id"))
}

fn parse_appointment_id(raw: Option<&str>) -> ApiResult<AppointmentId> {
    let raw =
        raw.filter(|s| !s.trim().is_empty()).ok_or_else(|| ApiError::missing("appointment_id"))?;
    raw.parse().map_err(|_| ApiError::bad_request("APPOIN0013", "Appointment not found"))
}

/// Loads a session for booking: unknown → 400, and the slot must be one of its slots.
async fn bookable_session(
    state: &AppState,
    id: SessionId,
    slot: Option<&str>,
) -> ApiResult<(Session, Slot)> {
    let session = match state.store.find_session(id).await {
        Ok(s) => s,
        Err(StorageError::NotFound) => {
            return Err(ApiError::bad_request("APPOIN0012", "Session not found"));
        }
        Err(e) => return Err(e.into()),
    };
    let slot =
        slot.map(str::trim).filter(|s| !s.is_empty()).ok_or_else(|| ApiError::missing("slot"))?;
    let slot = session
        .slots
        .iter()
        .find(|s| s.as_str().eq_ignore_ascii_case(slot))
        .cloned()
        .ok_or_else(|| ApiError::bad_request("APPOIN0015", "Invalid Slot Id"))?;
    if !session.active {
        return Err(ConflictKind::SessionClosed).map_err(|k| StorageError::Conflict(k).into());
    }
    if session.date < state.today() {
        return Err(ApiError::conflict(
            "APPOIN0043",
            "Bookings are closed for this session's date",
        ));
    }
    Ok((session, slot))
}

/// Refuses at once, from memory, when the cache already shows the session full: under a
/// booking storm the thousands of late requests never reach the database.
fn refuse_if_known_full(
    state: &AppState,
    id: SessionId,
    dose: DoseNumber,
    n: usize,
) -> ApiResult<()> {
    let index = state.cache.index();
    if let Some(s) = index.session(id)
        && (!s.is_active() || (s.available(dose) as usize) < n)
    {
        state.metrics.bookings.with_label_values(&["full"]).inc();
        return Err(ApiError::conflict("APPOIN0040", SESSION_FULL_MESSAGE));
    }
    Ok(())
}

/// The longest a booking waits for the bookings ahead of it before going to the database
/// regardless.
const MAX_ADMISSION_WAIT: Duration = Duration::from_secs(5);

/// Lets a booking go to the database only while this process's bookings in flight cannot
/// already take every seat left.  Under a storm (10,000 attempts on 150 seats) only about as
/// many attempts as there are seats do the database work at once; the others wait for them
/// and are then refused from memory, exactly as `refuse_if_known_full` refuses once the
/// committed counts show the session full, or go on if a booking ahead of them failed.  Every
/// booking that goes on is still decided by the database's conditional update.
async fn admit(
    state: &AppState,
    id: SessionId,
    dose: DoseNumber,
    n: usize,
) -> ApiResult<Option<SeatClaim>> {
    let seats = u32::try_from(n).unwrap_or(u32::MAX);
    let deadline = Instant::now() + MAX_ADMISSION_WAIT;
    loop {
        let released = state.cache.claim_released().notified();
        tokio::pin!(released);
        released.as_mut().enable();
        match state.cache.admit(id, dose, seats) {
            Admission::Go(claim) => return Ok(Some(claim)),
            Admission::Unknown => return Ok(None),
            Admission::Full => {
                state.metrics.bookings.with_label_values(&["full"]).inc();
                return Err(ApiError::conflict("APPOIN0040", SESSION_FULL_MESSAGE));
            }
            Admission::Wait => {}
        }
        let now = Instant::now();
        if now >= deadline {
            return Ok(None);
        }
        // Woken by a release; the timeout is only a safety net.
        let _ =
            tokio::time::timeout((deadline - now).min(Duration::from_millis(100)), released).await;
    }
}

/// Checks eligibility for everyone, with their history and active bookings.
async fn check_everyone(
    state: &AppState,
    people: &[Beneficiary],
    session: &Session,
    dose: DoseNumber,
    policy_version: Option<&str>,
    ignore_booking: Option<AppointmentId>,
) -> ApiResult<()> {
    let ids: Vec<BeneficiaryId> = people.iter().map(|b| b.id).collect();
    let doses = state.store.list_vaccinations(&ids).await?;
    let appointments = state.store.list_appointments(&ids).await?;
    // The versions in force (the pack's and the console's); a new booking follows the one in
    // force on the session's date.
    let policies = state.policy_pack();
    let policy = match policy_version.and_then(|v| policies.policy(v)) {
        Some(p) => p,
        None => policies.policy_on(session.date),
    };
    for b in people {
        let history: Vec<PastDose> = doses
            .iter()
            .filter(|d| d.beneficiary_id == b.id)
            .map(|d| PastDose { dose: d.dose, vaccine: d.vaccine.clone(), date: d.date })
            .collect();
        let active: Vec<DoseNumber> = appointments
            .iter()
            .filter(|a| a.beneficiary_id == b.id && a.status == AppointmentStatus::Booked)
            .filter(|a| Some(a.booking_id) != ignore_booking)
            .map(|a| a.dose)
            .collect();
        check_booking(
            &state.pack,
            policy,
            &Candidate {
                birth_year: tika_domain::beneficiary::BirthYear::from_stored(b.birth_year),
                history: &history,
                active_bookings: &active,
            },
            &SessionFacts { date: session.date, vaccine: &session.vaccine, ages: session.ages },
            dose,
        )
        .map_err(|e| {
            state.metrics.bookings.with_label_values(&["ineligible"]).inc();
            ApiError::from(e)
        })?;
    }
    crate::services::admin::policy::check_groups(state, policy, people, session.date).await?;
    Ok(())
}

pub(crate) async fn write_through(state: &AppState, id: SessionId) {
    match state.store.find_session(id).await {
        Ok(s) => state.cache.apply(&s),
        Err(e) => {
            tracing::warn!(error = %e, session.id = %id, "cache write-through failed; refresh will catch up")
        }
    }
}

/// Books a session for one or more of the principal's beneficiaries.
pub async fn schedule(
    state: &AppState,
    principal: &Principal,
    req: &ScheduleRequest,
) -> ApiResult<AppointmentId> {
    require_protected(principal)?;
    let dose = match req.dose {
        None => return Err(ApiError::missing("dose")),
        Some(d) => DoseNumber::bookable(d)
            .map_err(|e| ApiError::bad_request("APPOIN0016", e.to_string()))?,
    };
    let session_id = parse_session_id(req.session_id.as_deref())?;
    let mut refs: Vec<&str> =
        req.beneficiaries.iter().map(|s| s.trim()).filter(|s| !s.is_empty()).collect();
    refs.dedup();
    if refs.is_empty() {
        return Err(ApiError::missing("beneficiaries"));
    }
    let claim = admit(state, session_id, dose, refs.len()).await?;
    let (session, slot) = bookable_session(state, session_id, req.slot.as_deref()).await?;
    let mut people = Vec::with_capacity(refs.len());
    let mut seen = HashSet::new();
    for r in refs {
        let b = find_own(state, principal, r).await?;
        if seen.insert(b.id) {
            people.push(b);
        }
    }
    check_everyone(state, &people, &session, dose, None, None).await?;
    let booking_id = AppointmentId::new();
    let codes: Vec<u32> = {
        let mut rng = rand::rng();
        people.iter().map(|_| rng.random()).collect()
    };
    let booking = NewBooking {
        booking_id,
        account_id: principal.account,
        session_id,
        dose,
        slot,
        policy_version: state.policy_on(session.date).version,
        members: people
            .iter()
            .zip(codes)
            .map(|(b, code)| BookingMember {
                beneficiary_id: b.id,
                security_code: SecurityCode::from_random(code),
            })
            .collect(),
        now_ms: state.now_ms(),
    };
    let outcome = state.store.book(&booking).await;
    write_through(state, session_id).await;
    // Only now, with the outcome in the cache, may the bookings waiting for these seats look.
    drop(claim);
    match outcome {
        Ok(()) => {
            state.metrics.bookings.with_label_values(&["booked"]).inc();
            tracing::info!(appointment.id = %booking_id, session.id = %session_id, n = people.len(), "booked");
            Ok(booking_id)
        }
        Err(e) => {
            let label = if matches!(e, StorageError::Conflict(ConflictKind::SessionFull)) {
                "full"
            } else {
                "refused"
            };
            state.metrics.bookings.with_label_values(&[label]).inc();
            Err(e.into())
        }
    }
}

/// The principal's rows of a booking, or "not found" if it is someone else's.
pub async fn own_booking(
    state: &AppState,
    principal: &Principal,
    id: AppointmentId,
) -> ApiResult<Vec<Appointment>> {
    let not_found = || ApiError::bad_request("APPOIN0013", "Appointment not found");
    match state.store.find_booking(id).await {
        Ok(rows) if rows.iter().all(|r| r.account_id == principal.account) => Ok(rows),
        Ok(_) | Err(StorageError::NotFound) => Err(not_found()),
        Err(e) => Err(e.into()),
    }
}

/// Moves a booking to another session and slot.
pub async fn reschedule(
    state: &AppState,
    principal: &Principal,
    appointment_id: Option<&str>,
    session_id: Option<&str>,
    slot: Option<&str>,
) -> ApiResult<()> {
    require_protected(principal)?;
    let booking_id = parse_appointment_id(appointment_id)?;
    let new_session = parse_session_id(session_id)?;
    let rows = own_booking(state, principal, booking_id).await?;
    let active: Vec<&Appointment> =
        rows.iter().filter(|r| r.status == AppointmentStatus::Booked).collect();
    let Some(first) = active.first() else {
        return Err(ApiError::conflict(
            "APPOIN0060",
            "This appointment cannot be cancelled or rescheduled",
        ));
    };
    let old_session = state.store.find_session(first.session_id).await?;
    if old_session.date < state.today() {
        return Err(ApiError::conflict("APPOIN0061", "A past appointment cannot be rescheduled"));
    }
    let dose = first.dose;
    if new_session != first.session_id {
        refuse_if_known_full(state, new_session, dose, active.len())?;
    }
    let (session, slot) = bookable_session(state, new_session, slot).await?;
    let all = state.store.list_beneficiaries(principal.account).await?;
    let people: Vec<Beneficiary> = active
        .iter()
        .filter_map(|r| all.iter().find(|b| b.id == r.beneficiary_id).cloned())
        .collect();
    // The booking keeps the policy it was made under.
    check_everyone(
        state,
        &people,
        &session,
        dose,
        Some(first.policy_version.as_str()),
        Some(booking_id),
    )
    .await?;
    let outcome = state
        .store
        .reschedule(&Reschedule {
            booking_id,
            session_id: new_session,
            slot,
            now_ms: state.now_ms(),
        })
        .await;
    write_through(state, first.session_id).await;
    write_through(state, new_session).await;
    outcome?;
    tracing::info!(appointment.id = %booking_id, session.id = %new_session, "rescheduled");
    Ok(())
}

/// Cancels some or all people of a booking.
pub async fn cancel(
    state: &AppState,
    principal: &Principal,
    appointment_id: Option<&str>,
    beneficiaries: &[String],
) -> ApiResult<()> {
    require_protected(principal)?;
    let booking_id = parse_appointment_id(appointment_id)?;
    let rows = own_booking(state, principal, booking_id).await?;
    let mut only = Vec::new();
    for r in beneficiaries.iter().map(|s| s.trim()).filter(|s| !s.is_empty()) {
        let b = find_own(state, principal, r).await?;
        if !rows.iter().any(|row| row.beneficiary_id == b.id) {
            return Err(ApiError::bad_request(
                "APPOIN0014",
                "Beneficiary is not part of this appointment",
            ));
        }
        only.push(b.id);
    }
    if let Some(first) = rows.iter().find(|r| r.status == AppointmentStatus::Booked) {
        let session = state.store.find_session(first.session_id).await?;
        if session.date < state.today() {
            return Err(ApiError::conflict("APPOIN0060", "This appointment cannot be cancelled"));
        }
    }
    let outcome = state.store.cancel(booking_id, &only, state.now_ms()).await;
    if let Some(first) = rows.first() {
        write_through(state, first.session_id).await;
    }
    match outcome {
        Ok(_) => {
            tracing::info!(appointment.id = %booking_id, "cancelled");
            Ok(())
        }
        Err(StorageError::Conflict(ConflictKind::AppointmentNotChangeable)) => {
            Err(ApiError::conflict("APPOIN0060", "This appointment cannot be cancelled"))
        }
        Err(e) => Err(e.into()),
    }
}

/// Everything the appointment slip shows.
pub struct SlipFacts {
    /// The booking rows (active ones first).
    pub rows: Vec<Appointment>,
    /// The session.
    pub session: Session,
    /// The people.
    pub people: Vec<Beneficiary>,
}

/// Gathers a booking's slip data for its owner.
pub async fn slip_facts(
    state: &AppState,
    principal: &Principal,
    appointment_id: Option<&str>,
) -> ApiResult<SlipFacts> {
    require_protected(principal)?;
    let booking_id = parse_appointment_id(appointment_id)?;
    let rows = own_booking(state, principal, booking_id).await?;
    let active: Vec<Appointment> =
        rows.into_iter().filter(|r| r.status != AppointmentStatus::Cancelled).collect();
    let Some(first) = active.first() else {
        return Err(ApiError::conflict("APPOIN0062", "This appointment was cancelled"));
    };
    let session = state.store.find_session(first.session_id).await?;
    let all = state.store.list_beneficiaries(principal.account).await?;
    let people = active
        .iter()
        .filter_map(|r| all.iter().find(|b| b.id == r.beneficiary_id).cloned())
        .collect();
    Ok(SlipFacts { rows: active, session, people })
}

/// Renders the appointment slip PDF.
pub async fn slip_pdf(
    state: &AppState,
    principal: &Principal,
    appointment_id: Option<&str>,
) -> ApiResult<Vec<u8>> {
    let facts = slip_facts(state, principal, appointment_id).await?;
    let center = state.store.find_center(facts.session.center_id).await?;
    let district =
        state.pack.district(center.district_id).map(|d| d.name.clone()).unwrap_or_default();
    let state_name = state.pack.state(center.state_id).map(|s| s.name.clone()).unwrap_or_default();
    let people = facts
        .rows
        .iter()
        .filter_map(|r| {
            let b = facts.people.iter().find(|b| b.id == r.beneficiary_id)?;
            let id_type =
                state.pack.id_type(b.photo_id_type).map(|t| t.name.clone()).unwrap_or_default();
            let gender = state.pack.gender(b.gender_id).map(|g| g.name.clone()).unwrap_or_default();
            Some(tika_pdf::SlipPerson {
                name: b.name.clone(),
                birth_year: b.birth_year,
                gender,
                reference_id: b.reference_id.to_string(),
                photo_id: format!("{id_type} ********{}", b.photo_id_last4),
                security_code: r.security_code.as_str().to_owned(),
            })
        })
        .collect();
    let first = &facts.rows[0];
    let fee = if facts.session.fee == "0" {
        "Free".to_owned()
    } else {
        format!("₹ {}", facts.session.fee)
    };
    let slip = tika_pdf::AppointmentSlip {
        appointment_id: first.booking_id.to_string(),
        center_name: center.name.clone(),
        center_address: center.address.clone(),
        block_name: center.block_name.clone(),
        district_name: district,
        state_name,
        pincode: center.pincode.to_string(),
        date: tika_domain::date::format_cowin_date(facts.session.date),
        slot: first.slot.as_str().to_owned(),
        vaccine: facts.session.vaccine.to_string(),
        dose: first.dose.get(),
        fee,
        people,
        generated_at: crate::clock::local_stamp(
            state.clock.now(),
            state.pack.timezone_offset_minutes,
        ),
    };
    tokio::task::spawn_blocking(move || tika_pdf::render_appointment_slip(&slip))
        .await
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("slip task failed: {e}")))?
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("slip rendering failed: {e}")))
}

/// Where an appointment takes place: its session and centre.
#[derive(Debug, Clone)]
pub struct Place {
    /// Session.
    pub session: Session,
    /// Centre.
    pub center: tika_storage::Center,
}

/// Looks up the session and centre of each appointment (once per session).
pub async fn places_of(
    state: &AppState,
    rows: &[&Appointment],
) -> ApiResult<std::collections::HashMap<tika_domain::ids::SessionId, Place>> {
    let mut out = std::collections::HashMap::new();
    for r in rows {
        if out.contains_key(&r.session_id) {
            continue;
        }
        let session = state.store.find_session(r.session_id).await?;
        let center = state.store.find_center(session.center_id).await?;
        out.insert(r.session_id, Place { session, center });
    }
    Ok(out)
}
