//! The vaccination site: the facility's sessions, the offline bundle, uploads, the tally, the
//! review queue.
//!
//! Every function takes the [`StaffPrincipal`] and checks the facility here, in the service, so
//! no route can forget it: a vaccinator reads only their facility's sessions, and every read
//! of a session's people is written to the access log.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use serde_json::{Value, json};
use tika_domain::ids::{ReviewId, SessionId};
use tika_storage::{
    AccessEntry, AppointmentStatus, ReviewAction, ReviewFilter, ReviewItem, ReviewStatus, Session,
    StorageError, SyncUpload, UploadOutcome,
};

use crate::error::{ApiError, ApiResult};
use crate::services::staff::StaffPrincipal;
use crate::state::AppState;

/// Symptom codes offered in the AEFI form (English, Hindi).
pub const AEFI_SYMPTOMS: &[(&str, &str, &str)] = &[
    ("pain", "Pain or swelling at the injection site", "इंजेक्शन की जगह दर्द या सूजन"),
    ("fever", "Fever", "बुखार"),
    ("headache", "Headache", "सिरदर्द"),
    ("fatigue", "Tiredness", "थकान"),
    ("nausea", "Nausea or vomiting", "जी मिचलाना या उल्टी"),
    ("dizziness", "Dizziness or fainting", "चक्कर या बेहोशी"),
    ("rash", "Rash or itching", "दाने या खुजली"),
    ("breathing", "Difficulty breathing", "सांस लेने में कठिनाई"),
    ("anaphylaxis", "Anaphylaxis (severe allergic reaction)", "एनाफिलेक्सिस (गंभीर एलर्जी)"),
    ("seizure", "Seizure", "दौरा"),
];

fn forbidden() -> ApiError {
    ApiError::Forbidden { code: "SITE0003", message: "This session is not at your facility".into() }
}

/// A session of the staff member's facility, or 403 (404 if it does not exist at all).
pub async fn own_session(
    state: &AppState,
    who: &StaffPrincipal,
    id: SessionId,
) -> ApiResult<Session> {
    let session = match state.store.find_session(id).await {
        Ok(s) => s,
        Err(StorageError::NotFound) => return Err(ApiError::NotFound),
        Err(e) => return Err(e.into()),
    };
    if session.center_id != who.center {
        tracing::warn!(staff = %who.staff, session = %id, "staff asked for another facility's session");
        return Err(forbidden());
    }
    Ok(session)
}

fn session_json(s: &Session) -> Value {
    json!({
        "session_id": s.id,
        "date": s.date.format("%Y-%m-%d").to_string(),
        "vaccine": s.vaccine.as_str(),
        "min_age_limit": s.ages.min,
        "max_age_limit": s.ages.max,
        "capacity": s.capacity_dose1 + s.capacity_dose2,
        "booked": s.booked_dose1 + s.booked_dose2,
        "slots": s.slots.iter().map(|x| x.as_str()).collect::<Vec<_>>(),
        "status": if s.active { "active" } else { "cancelled" },
    })
}

/// The facility's sessions on a date (today by default).
pub async fn list_sessions(
    state: &AppState,
    who: &StaffPrincipal,
    date: Option<NaiveDate>,
) -> ApiResult<Value> {
    let date = date.unwrap_or_else(|| state.today());
    let sessions = state.store.list_center_sessions(who.center, date).await?;
    Ok(json!({ "sessions": sessions.iter().map(session_json).collect::<Vec<_>>() }))
}

pub(crate) async fn log(
    state: &AppState,
    who: &StaffPrincipal,
    session: SessionId,
    action: &str,
    detail: String,
) -> ApiResult<()> {
    state
        .store
        .log_access(&AccessEntry {
            staff_id: who.staff,
            center_id: who.center,
            session_id: Some(session),
            action: action.to_owned(),
            detail,
            at_ms: state.now_ms(),
        })
        .await?;
    Ok(())
}

/// Everything a device needs to run the session offline.
pub async fn bundle(state: &AppState, who: &StaffPrincipal, id: SessionId) -> ApiResult<Value> {
    let session = own_session(state, who, id).await?;
    let (center, roster, doses, arrivals, batches, staff) = tokio::try_join!(
        state.store.find_center(who.center),
        state.store.session_roster(id),
        state.store.session_doses(id),
        state.store.session_arrivals(id),
        state.store.list_batches(who.center),
        state.store.list_staff(who.center),
    )?;
    // People vaccinated here without a booking (walk-ins, from any device) are listed too, so
    // every device can show who they are.
    let booked: HashSet<_> = roster.iter().map(|r| r.appointment.beneficiary_id).collect();
    let walk_in_ids: Vec<_> = doses
        .iter()
        .map(|d| d.beneficiary_id)
        .filter(|b| !booked.contains(b))
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let walk_ins = state.store.find_beneficiaries(&walk_in_ids).await?;
    let people: Vec<_> = booked.iter().copied().chain(walk_in_ids.iter().copied()).collect();
    let history = state.store.list_vaccinations(&people).await?;
    let mut by_person: HashMap<_, Vec<Value>> = HashMap::new();
    for v in &history {
        by_person.entry(v.beneficiary_id).or_default().push(json!({
            "dose": v.dose.get(),
            "vaccine": v.vaccine.as_str(),
            "date": v.date.format("%Y-%m-%d").to_string(),
        }));
    }
    log(state, who, id, "bundle", format!("{} people", roster.len() + walk_ins.len())).await?;
    let policy = &state.policy_on(session.date);
    let today = state.today();
    Ok(json!({
        "bundle_version": 1,
        "generated_at": state.now_ms(),
        "session": session_json(&session),
        "center": {
            "center_id": center.id.0, "name": center.name, "address": center.address,
            "pincode": center.pincode,
        },
        "staff": staff.iter().filter(|s| s.active).map(|s| json!({
            "id": s.id, "name": s.name, "role": s.role.as_str(),
        })).collect::<Vec<_>>(),
        "policy": {
            "version": policy.version, "min_age_years": policy.min_age_years,
            "today": today.format("%Y-%m-%d").to_string(),
        },
        "vaccines": state.pack.vaccines.iter().map(|v| {
            let (min, max) = tika_domain::eligibility::interval_window(policy, v);
            json!({
                "code": v.code.as_str(), "name": v.name, "doses_in_series": v.doses_in_series,
                "min_interval_days": min, "max_interval_days": max,
                "min_age_years": v.min_age_years,
            })
        }).collect::<Vec<_>>(),
        "id_types": state.pack.id_types.iter().map(|t| json!({
            "id": t.id, "type": t.name, "type_l": t.name_l, "pattern": t.pattern.as_str(),
            "numeric": t.numeric, "verhoeff": t.verhoeff,
        })).collect::<Vec<_>>(),
        "genders": state.pack.genders.iter().map(|g| json!({
            "id": g.id, "name": g.name, "name_l": g.name_l,
        })).collect::<Vec<_>>(),
        "aefi_symptoms": AEFI_SYMPTOMS.iter().map(|(code, en, hi)| json!({
            "code": code, "en": en, "hi": hi,
        })).collect::<Vec<_>>(),
        "batches": batches.iter().map(|b| json!({
            "batch": b.batch, "vaccine": b.vaccine.as_str(),
            "expiry": b.expiry.format("%Y-%m-%d").to_string(),
            "doses_per_vial": b.doses_per_vial,
        })).collect::<Vec<_>>(),
        "appointments": roster.iter().map(|r| {
            let a = &r.appointment;
            json!({
                "appointment_id": a.id, "booking_id": a.booking_id,
                "beneficiary_id": a.beneficiary_id, "reference_id": r.reference_id,
                "name": r.name, "birth_year": r.birth_year, "gender_id": r.gender_id,
                "photo_id_type": r.photo_id_type, "photo_id_last4": r.photo_id_last4,
                "dose": a.dose.get(), "slot": a.slot.as_str(),
                "security_code": a.security_code.as_str(), "status": a.status.as_str(),
                "history": by_person.get(&a.beneficiary_id).cloned().unwrap_or_default(),
            })
        }).collect::<Vec<_>>(),
        "walk_ins": walk_ins.iter().map(|b| json!({
            "beneficiary_id": b.id, "reference_id": b.reference_id.as_str(), "name": b.name,
            "birth_year": b.birth_year, "gender_id": b.gender_id,
            "photo_id_type": b.photo_id_type, "photo_id_last4": b.photo_id_last4,
            "history": by_person.get(&b.id).cloned().unwrap_or_default(),
        })).collect::<Vec<_>>(),
        "arrivals": arrivals.iter().map(|a| json!({
            "beneficiary_id": a.beneficiary_id, "at": a.at_ms,
        })).collect::<Vec<_>>(),
        "vaccinations": doses.iter().map(|d| json!({
            "client_id": d.id, "beneficiary_id": d.beneficiary_id, "dose": d.dose.get(),
            "vaccine": d.vaccine.as_str(), "batch": d.batch, "at": d.at_ms,
            "vaccinator_id": d.vaccinator_id, "walk_in": d.walk_in, "voided": d.voided,
        })).collect::<Vec<_>>(),
    }))
}

/// The session's counts as the server sees them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
pub struct Tally {
    /// Booked (not cancelled) appointments.
    pub booked: u32,
    /// People who arrived.
    pub arrived: u32,
    /// Doses given (not undone).
    pub vaccinated: u32,
    /// Doses given to people without a booking here.
    pub walk_ins: u32,
    /// Booked people who neither arrived nor were vaccinated.
    pub no_shows: u32,
    /// Doses undone.
    pub undone: u32,
    /// Records waiting in the review queue.
    pub in_review: u32,
}

/// Counts a session's bookings, arrivals and doses.
pub async fn tally(state: &AppState, who: &StaffPrincipal, id: SessionId) -> ApiResult<Tally> {
    own_session(state, who, id).await?;
    let open = ReviewFilter {
        session: Some(id),
        status: Some(ReviewStatus::Open),
        ..ReviewFilter::default()
    };
    let (roster, doses, arrivals, reviews) = tokio::try_join!(
        state.store.session_roster(id),
        state.store.session_doses(id),
        state.store.session_arrivals(id),
        state.store.list_reviews(&open),
    )?;
    let count = |n: usize| u32::try_from(n).unwrap_or(u32::MAX);
    let arrived: HashSet<_> = arrivals.iter().map(|a| a.beneficiary_id).collect();
    let given: Vec<_> = doses.iter().filter(|d| !d.voided).collect();
    let vaccinated: HashSet<_> = given.iter().map(|d| d.beneficiary_id).collect();
    let booked: Vec<_> =
        roster.iter().filter(|r| r.appointment.status != AppointmentStatus::Cancelled).collect();
    let no_shows = booked
        .iter()
        .filter(|r| {
            let b = r.appointment.beneficiary_id;
            !arrived.contains(&b) && !vaccinated.contains(&b)
        })
        .count();
    Ok(Tally {
        booked: count(booked.len()),
        arrived: count(arrived.union(&vaccinated).count()),
        vaccinated: count(given.len()),
        walk_ins: count(given.iter().filter(|d| d.walk_in).count()),
        no_shows: count(no_shows),
        undone: count(doses.len() - given.len()),
        in_review: count(reviews.len()),
    })
}

/// Applies an upload; answers the saved answer for a replay.
pub async fn sync(state: &AppState, who: &StaffPrincipal, upload: SyncUpload) -> ApiResult<String> {
    // The facility check is for the whole upload: one record for another facility's session
    // refuses everything (nothing is half-applied).
    let sessions: HashSet<SessionId> = upload.records.iter().map(|r| r.session_id).collect();
    for id in sessions {
        own_session(state, who, id).await?;
    }
    let started = std::time::Instant::now();
    let n = upload.records.len();
    match state.store.apply_upload(&upload, state.policy_pack()).await? {
        UploadOutcome::Applied(answer) => {
            tracing::info!(staff = %who.staff, records = n, ms = started.elapsed().as_millis() as u64, "site upload applied");
            state.metrics.sync_records.with_label_values(&["applied"]).inc_by(n as u64);
            Ok(answer)
        }
        UploadOutcome::Replayed(answer) => {
            state.metrics.sync_records.with_label_values(&["replayed"]).inc_by(n as u64);
            Ok(answer)
        }
        UploadOutcome::KeyReused => Err(ApiError::conflict(
            "SYNC0002",
            "This idempotency_key was already used for a different upload",
        )),
    }
}

/// Drops what nobody reviewing a record needs: a walk-in's mobile number and the keyed hash of
/// their photo id (the bundle carries neither, so neither does the review queue).
fn without_private(mut v: Value) -> Value {
    match &mut v {
        Value::Object(map) => {
            map.remove("photo_id_hash");
            map.remove("mobile");
            for (_, x) in map.iter_mut() {
                *x = without_private(x.take());
            }
        }
        Value::Array(items) => {
            for x in items.iter_mut() {
                *x = without_private(x.take());
            }
        }
        _ => {}
    }
    v
}

fn review_json(item: &ReviewItem) -> Value {
    let record = without_private(serde_json::to_value(&item.record).unwrap_or(Value::Null));
    json!({
        "review_id": item.id,
        "client_id": item.record.client_id,
        "session_id": item.record.session_id,
        "kind": item.record.body.kind(),
        "code": item.code.as_str(),
        "message": item.code.message(),
        "status": item.status.as_str(),
        "resolution_note": item.resolution_note,
        "resolved_by": item.resolved_by,
        "created_at": item.created_at_ms,
        "resolved_at": item.resolved_at_ms,
        "record": record,
    })
}

/// The review items of a session (what the site is told about its records).
pub async fn sync_status(
    state: &AppState,
    who: &StaffPrincipal,
    id: SessionId,
) -> ApiResult<Value> {
    own_session(state, who, id).await?;
    let items = state
        .store
        .list_reviews(&ReviewFilter { session: Some(id), ..ReviewFilter::default() })
        .await?;
    Ok(json!({ "items": items.iter().map(review_json).collect::<Vec<_>>() }))
}

fn require_admin(who: &StaffPrincipal) -> ApiResult<()> {
    if who.role.can_review() {
        Ok(())
    } else {
        Err(ApiError::Forbidden {
            code: "SITE0004",
            message: "Only a facility admin can resolve review items".into(),
        })
    }
}

/// The facility's review items.
pub async fn list_reviews(
    state: &AppState,
    who: &StaffPrincipal,
    status: Option<ReviewStatus>,
) -> ApiResult<Value> {
    require_admin(who)?;
    let items = state
        .store
        .list_reviews(&ReviewFilter { center: Some(who.center), status, ..ReviewFilter::default() })
        .await?;
    Ok(json!({ "items": items.iter().map(review_json).collect::<Vec<_>>() }))
}

/// Resolves one of the facility's review items.
pub async fn resolve_review(
    state: &AppState,
    who: &StaffPrincipal,
    id: ReviewId,
    action: ReviewAction,
    note: &str,
) -> ApiResult<Value> {
    require_admin(who)?;
    let item = state.store.find_review(id).await?;
    if item.center_id != who.center {
        return Err(ApiError::NotFound);
    }
    let resolved = state
        .store
        .resolve_review(
            id,
            action,
            note,
            &format!("staff:{}", who.staff),
            state.now_ms(),
            state.policy_pack(),
        )
        .await?;
    Ok(review_json(&resolved))
}

/// The printable list of a session (PDF).
pub async fn list_pdf(state: &AppState, who: &StaffPrincipal, id: SessionId) -> ApiResult<Vec<u8>> {
    let session = own_session(state, who, id).await?;
    let (center, roster) =
        tokio::try_join!(state.store.find_center(who.center), state.store.session_roster(id))?;
    let t = tally(state, who, id).await?;
    log(state, who, id, "list_pdf", format!("{} people", roster.len())).await?;
    let rows = roster
        .iter()
        .map(|r| tika_pdf::session_list::ListRow {
            slot: r.appointment.slot.as_str().to_owned(),
            reference_id: r.reference_id.clone(),
            name: r.name.clone(),
            birth_year: r.birth_year,
            gender: state.pack.gender(r.gender_id).map(|g| g.name.clone()).unwrap_or_default(),
            id_type_last4: format!(
                "{} ••{}",
                state.pack.id_type(r.photo_id_type).map(|t| t.name.as_str()).unwrap_or("ID"),
                r.photo_id_last4
            ),
            dose: r.appointment.dose.get(),
            status: match r.appointment.status {
                AppointmentStatus::Booked => "Booked",
                AppointmentStatus::Cancelled => "Cancelled",
                AppointmentStatus::Completed => "Vaccinated",
            }
            .to_owned(),
        })
        .collect();
    let list = tika_pdf::session_list::SessionList {
        center_name: center.name.clone(),
        center_address: center.address.clone(),
        date: tika_domain::date::format_cowin_date(session.date),
        vaccine: session.vaccine.as_str().to_owned(),
        session_id: session.id.to_string(),
        generated_at: crate::clock::local_stamp(
            state.clock.now(),
            state.pack.timezone_offset_minutes,
        ),
        rows,
        tally: [
            ("Booked / बुक".to_owned(), t.booked),
            ("Arrived / पहुंचे".to_owned(), t.arrived),
            ("Vaccinated / टीका लगा".to_owned(), t.vaccinated),
            ("Walk-ins / बिना बुकिंग".to_owned(), t.walk_ins),
            ("No-shows / नहीं आए".to_owned(), t.no_shows),
        ],
    };
    tokio::task::spawn_blocking(move || tika_pdf::session_list::render_session_list(&list))
        .await
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("pdf task failed: {e}")))?
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("session list pdf: {e}")))
}
