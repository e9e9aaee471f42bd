//! Assignment of listed people to sessions near their posting or home pincode, in one batch, with the reason for each choice.
//!
//! A state or district official starts a run for their area; it runs as a background task:
//! read the area's listed people and sessions (two queries), decide with
//! [`tika_domain::assign::assign`] (pincode centroids from the country pack, priority by the
//! default ranking), write the appointments, their `appointment.booked` events (so people are
//! told by SMS) and one row per person with the reason, in chunks, then rebuild the search
//! index and write the audit entry (options and counts, no personal data).  Progress is in the
//! run's row.  Runs are confined to the official's area: people listed in it and facilities in
//! it; a run of another area answers 404.

use std::sync::Arc;
use std::time::Instant;

use chrono::{Duration, NaiveDate};
use rand::Rng;
use serde_json::json;
use tika_domain::admin::{Area, Capability, FieldError};
use tika_domain::assign::{self, Basis, Options, Person, Point, Reason, SessionSeats, Work};
use tika_domain::country::CountryPack;
use tika_domain::ids::{AppointmentId, AssignmentRunId, BeneficiaryRef, CenterId, SessionId};
use tika_domain::session::{SecurityCode, Slot};
use tika_domain::vaccine::VaccineCode;
use tika_storage::{
    AssignSession, AssignedSeat, AssignmentRun, AssignmentView, AssignmentWrite, Change, DynStore,
    NewAssignmentRun, Occupation, RunStatus, StorageError,
};

use super::{AdminPrincipal, area_place, change, refresh_search, require};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// People written per write operation (one transaction each).
pub const CHUNK: usize = 10_000;
/// The longest date range of a run.
pub const MAX_DAYS: i64 = 35;
/// The farthest a run may send anyone.
pub const MAX_KM: u32 = 300;
/// Page size limit for a run's rows.
pub const MAX_PAGE: u32 = 500;

/// What an official submits to start a run (text as typed; checked by [`RunForm::check`]).
#[derive(Debug, Clone, Default)]
pub struct RunForm {
    /// `posting` or `home`.
    pub basis: String,
    /// First date (`YYYY-MM-DD`).
    pub date_from: String,
    /// Last date (`YYYY-MM-DD`; empty: the first date).
    pub date_until: String,
    /// Vaccine code (empty: any).
    pub vaccine: String,
    /// Distance limit, km (empty: 50).
    pub max_km: String,
    /// Decide and show, take no seats.
    pub dry_run: bool,
}

/// A checked run form.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// Basis.
    pub basis: Basis,
    /// First date.
    pub date_from: NaiveDate,
    /// Last date.
    pub date_until: NaiveDate,
    /// Vaccine filter.
    pub vaccine: Option<VaccineCode>,
    /// Distance limit, km.
    pub max_km: u32,
    /// Dry run.
    pub dry_run: bool,
}

impl RunForm {
    /// Checks every field at once (all errors reported together).
    pub fn check(
        &self,
        pack: &CountryPack,
        today: NaiveDate,
    ) -> Result<RunOptions, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut fail = |field: &'static str, message: &str| {
            errors.push(FieldError { field, message: message.to_owned() });
        };
        let basis = Basis::parse(&self.basis);
        if basis.is_none() {
            fail("basis", "must be posting or home");
        }
        let date = |s: &str| NaiveDate::parse_from_str(s.trim(), "%Y-%m-%d").ok();
        let from = date(&self.date_from);
        match from {
            None => fail("date_from", "must be a date (YYYY-MM-DD)"),
            Some(d) if d < today => fail("date_from", "must not be in the past"),
            Some(_) => {}
        }
        let until = if self.date_until.trim().is_empty() { from } else { date(&self.date_until) };
        match (from, until) {
            (_, None) => fail("date_until", "must be a date (YYYY-MM-DD)"),
            (Some(f), Some(u)) if u < f => fail("date_until", "must not be before the first date"),
            (Some(f), Some(u)) if (u - f).num_days() >= MAX_DAYS => {
                fail("date_until", &format!("a run covers at most {MAX_DAYS} days"));
            }
            _ => {}
        }
        let vaccine = match self.vaccine.trim() {
            "" => None,
            v => match VaccineCode::parse(v) {
                Ok(code) if pack.vaccine(&code).is_some() => Some(code),
                _ => {
                    fail("vaccine", "unknown vaccine");
                    None
                }
            },
        };
        let max_km = match self.max_km.trim() {
            "" => Some(50),
            s => s.parse::<u32>().ok().filter(|k| (1..=MAX_KM).contains(k)),
        };
        if max_km.is_none() {
            fail("max_km", &format!("must be a whole number of km from 1 to {MAX_KM}"));
        }
        match (basis, from, until, max_km, errors.is_empty()) {
            (Some(basis), Some(date_from), Some(date_until), Some(max_km), true) => {
                Ok(RunOptions {
                    basis,
                    date_from,
                    date_until,
                    vaccine,
                    max_km,
                    dry_run: self.dry_run,
                })
            }
            _ => Err(errors),
        }
    }
}

/// What a run did, with the time of each phase.
#[derive(Debug, Clone, Default)]
pub struct RunReport {
    /// People considered.
    pub people: u64,
    /// Facilities with sessions considered.
    pub facilities: u64,
    /// Sessions considered.
    pub sessions: u64,
    /// People booked.
    pub assigned: u64,
    /// People left without a booking.
    pub unassigned: u64,
    /// People booked or vaccinated already.
    pub already_booked: u64,
    /// People whose session filled before their seat was written.
    pub filled_meanwhile: u64,
    /// Reading, ms.
    pub read_ms: i64,
    /// Deciding, ms.
    pub plan_ms: i64,
    /// Writing, ms.
    pub write_ms: i64,
}

/// The state and district a run of this area covers (`None`: above that level).
fn area_parts(
    area: &Area,
) -> (Option<tika_domain::ids::StateId>, Option<tika_domain::ids::DistrictId>) {
    match area {
        Area::National => (None, None),
        Area::State { state } => (Some(*state), None),
        Area::District { state, district }
        | Area::Block { state, district, .. }
        | Area::Facility { state, district, .. } => (Some(*state), Some(*district)),
    }
}

/// Whether an official may see a run: it was made for their area or for an area inside it.
fn visible(area: &Area, run: &AssignmentRun) -> bool {
    match area {
        Area::National => true,
        Area::State { state } => run.state == Some(*state),
        Area::District { district, .. } => run.district == Some(*district),
        _ => false,
    }
}

fn centroid(pack: &CountryPack, pin: Option<u32>) -> Option<Point> {
    let info = pack.pincode(pin?)?;
    Point::new(info.lat?, info.lon?)
}

/// Runs an assignment end to end on a recorded run (the run's row exists): read, decide,
/// write in chunks.  Does not finish the run (the caller writes the end with its audit entry).
/// `pack` carries the campaign policy versions in force ([`AppState::policy_pack`]): people
/// are taken in the priority order of the version in force on the run's first date.
pub async fn execute(
    store: &DynStore,
    pack: &CountryPack,
    run: &NewAssignmentRun,
    now_ms: impl Fn() -> i64,
) -> Result<RunReport, StorageError> {
    let mut report = RunReport::default();
    let t = Instant::now();
    let (candidates, sessions) = tokio::try_join!(
        store.assignment_candidates(run.state, run.district),
        store.assignment_sessions(
            run.state,
            run.district,
            run.date_from,
            run.date_until,
            run.vaccine.as_ref()
        ),
    )?;
    report.read_ms = ms(t);
    let t = Instant::now();
    let people: Vec<Person> = candidates
        .iter()
        .map(|c| Person {
            id: c.beneficiary_id,
            work: match c.occupation {
                Occupation::HealthWorker => Work::Health,
                Occupation::FrontlineWorker => Work::Frontline,
                Occupation::Other => Work::Other,
            },
            birth_year: c.birth_year,
            comorbidity: c.comorbidity,
            posting: centroid(pack, c.posting_pincode),
            home: centroid(pack, c.home_pincode),
            already_booked: c.already_booked,
        })
        .collect();
    let policy = pack.policy_on(run.date_from);
    let (mut facilities, places) = facilities_of(pack, &sessions, policy.min_age_years);
    report.people = people.len() as u64;
    report.facilities = facilities.len() as u64;
    report.sessions = sessions.len() as u64;
    let options = Options { basis: run.basis, max_distance_m: f64::from(run.max_km) * 1000.0 };
    // People are taken in the order of the campaign policy in force on the run's first date.
    let (in_force, first_day) = (policy.clone(), run.date_from);
    // The decision is CPU work of seconds at national scale: off the async workers.
    let outcomes = tokio::task::spawn_blocking(move || {
        assign::assign(&people, &mut facilities, options, |p| {
            assign::policy_rank(&in_force, first_day, p)
        })
    })
    .await
    .map_err(|e| StorageError::Other(anyhow::anyhow!("the assignment task panicked: {e}")))?;
    let rows: Vec<AssignmentWrite> = {
        let mut rng = rand::rng();
        outcomes
            .iter()
            .map(|o| {
                let c = &candidates[o.person];
                let seat = match (o.facility, o.session, o.slot) {
                    (Some(f), Some(s), Some(slot)) => {
                        let (center_id, ref list) = places[f];
                        let (session_id, ref slots) = list[s];
                        Some(AssignedSeat {
                            session_id,
                            center_id,
                            slot: slots
                                .get(slot as usize)
                                .cloned()
                                .unwrap_or_else(|| Slot::from_label("")),
                            booking_id: AppointmentId::new(),
                            security_code: SecurityCode::from_random(rng.random()),
                        })
                    }
                    _ => None,
                };
                let km = (o.distance_m / 100.0).round() / 10.0;
                let params = match o.reason {
                    Reason::Assigned => json!({ "km": km, "nearer": o.nearer_without_seat }),
                    _ => json!({ "max_km": run.max_km, "nearer": o.nearer_without_seat }),
                };
                AssignmentWrite {
                    seq: i64::try_from(o.order).unwrap_or(i64::MAX),
                    beneficiary_id: c.beneficiary_id,
                    account_id: c.account_id,
                    reason: o.reason,
                    distance_m: seat.as_ref().map(|_| o.distance_m.round() as i64),
                    seat,
                    nearer_full: o.nearer_without_seat,
                    params: params.to_string(),
                }
            })
            .collect()
    };
    report.plan_ms = ms(t);
    store.set_assignment_run_people(run.id, report.people, report.read_ms, report.plan_ms).await?;
    let t = Instant::now();
    let mut rows = rows;
    while !rows.is_empty() {
        let rest = rows.split_off(rows.len().min(CHUNK));
        let chunk = std::mem::replace(&mut rows, rest);
        let out =
            store.write_assignments(run.id, chunk, &policy.version, run.dry_run, now_ms()).await?;
        report.assigned += out.assigned;
        report.unassigned += out.unassigned;
        report.already_booked += out.already_booked;
        report.filled_meanwhile += out.filled_meanwhile;
    }
    report.write_ms = ms(t);
    Ok(report)
}

fn ms(t: Instant) -> i64 {
    i64::try_from(t.elapsed().as_millis()).unwrap_or(i64::MAX)
}

/// A facility's id and its sessions' ids and slots, by the algorithm's indexes.
type Places = Vec<(CenterId, Vec<(SessionId, Vec<Slot>)>)>;

/// Groups sessions (ordered by facility) into the algorithm's facilities; a facility without
/// coordinates stands at its pincode's centroid, or is left out if that is unknown too.
fn facilities_of(
    pack: &CountryPack,
    sessions: &[AssignSession],
    policy_min_age: u8,
) -> (Vec<assign::Facility>, Places) {
    let mut facilities: Vec<assign::Facility> = Vec::new();
    let mut places: Places = Vec::new();
    for s in sessions {
        let at = match (s.lat, s.lon) {
            (Some(lat), Some(lon)) => Point::new(lat, lon),
            _ => centroid(pack, Some(s.pincode)),
        };
        let Some(at) = at else { continue };
        if places.last().is_none_or(|(c, _)| *c != s.center_id) {
            facilities.push(assign::Facility { key: s.center_id.0, at, sessions: Vec::new() });
            places.push((s.center_id, Vec::new()));
        }
        let vaccine_min = pack.vaccine(&s.vaccine).map_or(0, |v| v.min_age_years);
        let min_age = s.min_age.max(vaccine_min).max(policy_min_age);
        if let (Some(f), Some((_, list))) = (facilities.last_mut(), places.last_mut()) {
            f.sessions.push(SessionSeats {
                date: s.date,
                min_age,
                max_age: s.max_age,
                capacity: s.capacity,
                booked: s.booked.min(s.capacity),
                slots: u32::try_from(s.slots.len()).unwrap_or(1).max(1),
            });
            list.push((s.session_id, s.slots.clone()));
        }
    }
    // The algorithm sorts each facility's sessions by date; they already are (by the query).
    (facilities, places)
}

/// Starts a run for the official's area; it continues in the background (poll [`run`]).
pub async fn start_run(
    state: &AppState,
    who: &AdminPrincipal,
    form: &RunForm,
) -> ApiResult<AssignmentRun> {
    require(who, Capability::AssignPeople)?;
    let options = form.check(&state.pack, state.today()).map_err(ApiError::Invalid)?;
    let (st, district) = area_parts(&who.area);
    let running = state.store.list_assignment_runs(st, district, 20).await?;
    if running.iter().any(|r| r.status == RunStatus::Running) {
        return Err(ApiError::conflict(
            "ADM0031",
            "An assignment is already running for this area; wait for it to finish",
        ));
    }
    let run = NewAssignmentRun {
        id: AssignmentRunId::new(),
        created_by: super::actor(who),
        state: st,
        district,
        basis: options.basis,
        date_from: options.date_from,
        date_until: options.date_until,
        vaccine: options.vaccine.clone(),
        max_km: options.max_km,
        dry_run: options.dry_run,
        now_ms: state.now_ms(),
    };
    state.store.create_assignment_run(&run).await?;
    tracing::info!(admin = %who.admin, run = %run.id, dry_run = run.dry_run, "assignment run started");
    let task_state = state.clone();
    let who = who.clone();
    let task_run = run.clone();
    tokio::spawn(async move { finish(task_state, who, task_run).await });
    match state.store.assignment_run(run.id).await {
        Ok(r) => Ok(r),
        Err(e) => Err(e.into()),
    }
}

/// The background part of a run: execute, then record the end with the audit entry.
async fn finish(state: AppState, who: AdminPrincipal, run: NewAssignmentRun) {
    let clock = Arc::clone(&state.clock);
    let result =
        execute(&state.store, &state.policy_pack(), &run, move || clock.now().timestamp_millis())
            .await;
    let (status, message, write_ms, counts) = match &result {
        Ok(r) => (RunStatus::Done, String::new(), r.write_ms, Some(r.clone())),
        Err(e) => {
            tracing::error!(run = %run.id, error = %e, "assignment run failed");
            (
                RunStatus::Failed,
                "The run stopped on a storage error; rows written so far stand.".to_owned(),
                0,
                None,
            )
        }
    };
    let after = json!({
        "basis": run.basis.as_str(),
        "date_from": run.date_from.to_string(),
        "date_until": run.date_until.to_string(),
        "vaccine": run.vaccine.as_ref().map(|v| v.as_str().to_owned()),
        "max_km": run.max_km,
        "dry_run": run.dry_run,
        "status": status.as_str(),
        "people": counts.as_ref().map(|c| c.people),
        "assigned": counts.as_ref().map(|c| c.assigned),
        "unassigned": counts.as_ref().map(|c| c.unassigned),
        "already_booked": counts.as_ref().map(|c| c.already_booked),
        "filled_meanwhile": counts.as_ref().map(|c| c.filled_meanwhile),
    });
    let audit: Change = change(
        &state,
        &who,
        "assign.run",
        format!("assignment_run:{}", run.id),
        area_place(&who.area),
        None,
        Some(after),
    );
    if let Err(e) = state
        .store
        .finish_assignment_run(run.id, status, &message, write_ms, &audit, state.now_ms())
        .await
    {
        tracing::error!(run = %run.id, error = %e, "recording the end of an assignment run failed");
    }
    if !run.dry_run && counts.as_ref().is_some_and(|c| c.assigned > 0) {
        refresh_search(&state).await;
    }
    if let Some(c) = counts {
        tracing::info!(
            run = %run.id, people = c.people, assigned = c.assigned, unassigned = c.unassigned,
            already_booked = c.already_booked, read_ms = c.read_ms, plan_ms = c.plan_ms,
            write_ms = c.write_ms, "assignment run finished"
        );
    }
}

/// The latest runs the official may see.
pub async fn list_runs(state: &AppState, who: &AdminPrincipal) -> ApiResult<Vec<AssignmentRun>> {
    require(who, Capability::AssignPeople)?;
    let (st, district) = area_parts(&who.area);
    let (st, district) = match who.area {
        Area::National => (None, None),
        Area::State { .. } => (st, None),
        _ => (st, district),
    };
    Ok(state.store.list_assignment_runs(st, district, 50).await?)
}

/// One run of the official's area.
pub async fn run(
    state: &AppState,
    who: &AdminPrincipal,
    id: AssignmentRunId,
) -> ApiResult<AssignmentRun> {
    require(who, Capability::AssignPeople)?;
    match state.store.assignment_run(id).await {
        Ok(r) if visible(&who.area, &r) => Ok(r),
        Ok(_) => {
            tracing::warn!(admin = %who.admin, run = %id, "official asked for a run outside their area");
            Err(ApiError::NotFound)
        }
        Err(StorageError::NotFound) => Err(ApiError::NotFound),
        Err(e) => Err(e.into()),
    }
}

/// A page of a run's rows in priority order, optionally of one reason.
pub async fn run_rows(
    state: &AppState,
    who: &AdminPrincipal,
    id: AssignmentRunId,
    reason: Option<&str>,
    after_seq: Option<i64>,
    limit: u32,
) -> ApiResult<Vec<AssignmentView>> {
    run(state, who, id).await?;
    let reason = match reason.map(str::trim).filter(|r| !r.is_empty()) {
        None => None,
        Some(r) => {
            Some(Reason::parse(r).ok_or_else(|| ApiError::invalid("reason", "unknown reason"))?)
        }
    };
    Ok(state.store.list_assignments(id, reason, after_seq, limit.clamp(1, MAX_PAGE)).await?)
}

/// One person's rows (by beneficiary reference id) in the runs the official may see.
pub async fn person(
    state: &AppState,
    who: &AdminPrincipal,
    reference: &str,
) -> ApiResult<Vec<(AssignmentRun, AssignmentView)>> {
    require(who, Capability::AssignPeople)?;
    let reference = BeneficiaryRef::parse(reference.trim()).map_err(|_| {
        ApiError::invalid("reference_id", "must be a 14-digit beneficiary reference id")
    })?;
    let b = match state.store.find_beneficiary_by_ref(&reference).await {
        Ok(b) => b,
        Err(StorageError::NotFound) => return Err(ApiError::NotFound),
        Err(e) => return Err(e.into()),
    };
    let mut out = Vec::new();
    for v in state.store.person_assignments(b.id).await? {
        match state.store.assignment_run(v.run_id).await {
            Ok(r) if visible(&who.area, &r) => out.push((r, v)),
            Ok(_) | Err(StorageError::NotFound) => {}
            Err(e) => return Err(e.into()),
        }
    }
    if out.is_empty() {
        return Err(ApiError::NotFound);
    }
    Ok(out)
}

/// A run's rows as CSV (reference id, reason, facility, date, slot, km, nearer without seat).
pub async fn export_csv(
    state: &AppState,
    who: &AdminPrincipal,
    id: AssignmentRunId,
) -> ApiResult<String> {
    run(state, who, id).await?;
    let mut out = String::from(
        "seq,reference_id,reason,center_id,center_name,date,slot,distance_km,nearer_without_seat,booking_id\n",
    );
    let mut after = None;
    loop {
        let page = state.store.list_assignments(id, None, after, 1000).await?;
        let Some(last) = page.last() else { break };
        after = Some(last.seq);
        for v in &page {
            let name = csv_text(v.center_name.as_deref().unwrap_or_default());
            out.push_str(&format!(
                "{},{},{},{},\"{}\",{},{},{},{},{}\n",
                v.seq,
                v.reference_id,
                v.reason.as_str(),
                v.center_id.map(|c| c.0.to_string()).unwrap_or_default(),
                name,
                v.date.map(|d| d.to_string()).unwrap_or_default(),
                v.slot.clone().unwrap_or_default(),
                v.distance_m.map(|m| format!("{:.1}", m as f64 / 1000.0)).unwrap_or_default(),
                v.nearer_full,
                v.booking_id.map(|b| b.to_string()).unwrap_or_default(),
            ));
        }
        if page.len() < 1000 {
            break;
        }
    }
    Ok(out)
}

/// A CSV text cell's content: quotes doubled, and a leading `=`, `+`, `-` or `@` defused so a
/// spreadsheet never runs it as a formula.
fn csv_text(s: &str) -> String {
    let s = s.replace('"', "\"\"");
    if s.starts_with(['=', '+', '-', '@']) { format!("'{s}") } else { s }
}

/// The first date a run form proposes: tomorrow.
pub fn default_from(today: NaiveDate) -> NaiveDate {
    today + Duration::days(1)
}
