//! Follow-up: the "raise an issue" queue (corrections and sync conflicts) for officials, session lists per facility and day, and the auditable lucky draw.
//!
//! - **Issues** (`Capability::ReviewIssues`): one queue of the area's citizens' correction
//!   requests (placed at the facility of the person's latest dose, else latest appointment;
//!   unplaced ones are national officials') and site sync conflicts (placed at their
//!   facility).  An item shows only what deciding needs (name, birth year, gender, id type and
//!   last 4, what changes).  Deciding reuses the stores' decide and resolve functions and
//!   writes an audit entry with the issue's place (`issue.approve|reject|accept|discard`); a
//!   rejection also tells the citizen (`correction.rejected`, in the same transaction).
//! - **Session lists** (`Capability::SessionLists`): every session of a facility on a day with
//!   everyone booked, as JSON, CSV or a bilingual PDF; each download is audited
//!   (`list.downloaded`, facility and date only).
//! - **Lucky draw** (`Capability::RunDraw`): [`create_draw`] commits to the district's entry
//!   list (its SHA-256 is public at once, [`public_draw`]); [`seed_draw`] takes the public
//!   seed once and the winners follow by [`tika_domain::draw`]'s published recipe.
//!
//! Codes: `ADM0050` bad filter, `ADM0052` already decided, `ADM0053` approval refused (the new
//! photo id is someone else's now), `ADM0054` draw already seeded, `ADM0055` bad list date.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use serde_json::{Value, json};
use tika_domain::admin::{Area, Capability, FieldError, Place};
use tika_domain::draw;
use tika_domain::ids::{BeneficiaryId, CenterId, DrawId, ReviewId};
use tika_domain::sync::RecordBody;
use tika_storage::{
    AppointmentStatus, ConflictKind, CorrectionDecision, CorrectionField, CorrectionRequest,
    CorrectionStatus, Draw, DrawFilter, Facility, IssueFilter, IssueKind, IssueRow, NewDraw,
    ReviewAction, ReviewItem, ReviewStatus, SeedOutcome, Session, StorageError,
};

use super::{AdminPrincipal, actor, change, facility_in_area, require};
use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// Issues per page.
pub const ISSUE_PAGE_SIZE: u32 = 50;
/// Draws per page.
pub const DRAW_PAGE_SIZE: u32 = 50;
/// The longest decision note (characters).
const MAX_NOTE_CHARS: usize = 500;

// ---------------------------------------------------------------------------------------------
// The issue queue
// ---------------------------------------------------------------------------------------------

/// Parses the `kind` filter (`correction`, `review`, empty for both).
pub fn parse_kind(raw: Option<&str>) -> ApiResult<Option<IssueKind>> {
    match raw.map(str::trim).filter(|s| !s.is_empty() && *s != "all") {
        None => Ok(None),
        Some(s) => IssueKind::parse(s).map(Some).ok_or_else(|| {
            ApiError::bad_request("ADM0050", "kind must be correction, review or all")
        }),
    }
}

/// Parses the `status` filter (`open` by default, `closed`, `all`).
pub fn parse_status(raw: Option<&str>) -> ApiResult<Option<bool>> {
    match raw.map(str::trim).filter(|s| !s.is_empty()).unwrap_or("open") {
        "open" => Ok(Some(true)),
        "closed" => Ok(Some(false)),
        "all" => Ok(None),
        _ => Err(ApiError::bad_request("ADM0050", "status must be open, closed or all")),
    }
}

/// The area's issues, oldest first, [`ISSUE_PAGE_SIZE`] a page (`page` from 0).
pub async fn list_issues(
    state: &AppState,
    who: &AdminPrincipal,
    kind: Option<IssueKind>,
    open: Option<bool>,
    page: u32,
) -> ApiResult<Vec<IssueRow>> {
    require(who, Capability::ReviewIssues)?;
    let filter = IssueFilter {
        area: who.area.clone(),
        kind,
        open,
        limit: ISSUE_PAGE_SIZE,
        offset: page.saturating_mul(ISSUE_PAGE_SIZE),
    };
    Ok(state.store.list_issues(&filter).await?)
}

/// The person an issue is about, reduced to what deciding needs.
#[derive(Debug, Clone)]
pub struct PersonFacts {
    /// Reference id (the card number).
    pub reference_id: String,
    /// Name as registered.
    pub name: String,
    /// Birth year.
    pub birth_year: i32,
    /// Gender (English name from the pack).
    pub gender: String,
    /// Photo id type (English name).
    pub id_type: String,
    /// Last 4 characters of the photo id.
    pub id_last4: String,
}

/// A correction request with its person and place.
#[derive(Debug, Clone)]
pub struct CorrectionIssue {
    /// The request.
    pub request: CorrectionRequest,
    /// The person (`None` if the record was deleted or merged away since).
    pub person: Option<PersonFacts>,
    /// Where it is placed.
    pub facility: Option<Facility>,
}

/// A sync conflict with its person (when the record names one) and facility.
#[derive(Debug, Clone)]
pub struct ReviewIssue {
    /// The review item.
    pub item: ReviewItem,
    /// The person the record names, if known (a walk-in's own details otherwise).
    pub person: Option<PersonFacts>,
    /// The facility.
    pub facility: Facility,
}

/// One issue, ready to decide.
#[derive(Debug, Clone)]
pub enum Issue {
    /// A citizen's correction request.
    Correction(CorrectionIssue),
    /// A site record in review.
    Review(ReviewIssue),
}

fn person_facts(state: &AppState, b: &tika_storage::Beneficiary) -> PersonFacts {
    PersonFacts {
        reference_id: b.reference_id.as_str().to_owned(),
        name: b.name.clone(),
        birth_year: b.birth_year,
        gender: state.pack.gender(b.gender_id).map(|g| g.name.clone()).unwrap_or_default(),
        id_type: state
            .pack
            .id_type(b.photo_id_type)
            .map(|t| t.name.clone())
            .unwrap_or_else(|| "ID".to_owned()),
        id_last4: b.photo_id_last4.clone(),
    }
}

fn issue_id(raw: &str) -> ApiResult<uuid::Uuid> {
    raw.trim().parse().map_err(|_| ApiError::NotFound)
}

/// A correction request of the official's area (`NotFound` otherwise).
async fn correction_in_area(
    state: &AppState,
    who: &AdminPrincipal,
    id: uuid::Uuid,
) -> ApiResult<CorrectionIssue> {
    let request = match state.store.find_correction(id).await {
        Ok(r) => r,
        Err(StorageError::NotFound) => return Err(ApiError::NotFound),
        Err(e) => return Err(e.into()),
    };
    let facility = match state.store.correction_center(request.beneficiary_id).await? {
        Some(center) => Some(facility_in_area(state, who, center).await?),
        None if who.area == Area::National => None,
        None => return Err(ApiError::NotFound),
    };
    let person = state
        .store
        .find_beneficiaries(&[request.beneficiary_id])
        .await?
        .first()
        .map(|b| person_facts(state, b));
    Ok(CorrectionIssue { request, person, facility })
}

/// A review item of the official's area (`NotFound` otherwise).
async fn review_in_area(
    state: &AppState,
    who: &AdminPrincipal,
    id: ReviewId,
) -> ApiResult<ReviewIssue> {
    let item = match state.store.find_review(id).await {
        Ok(r) => r,
        Err(StorageError::NotFound) => return Err(ApiError::NotFound),
        Err(e) => return Err(e.into()),
    };
    let facility = facility_in_area(state, who, item.center_id).await?;
    let named: Option<BeneficiaryId> = match &item.record.body {
        RecordBody::Dose(d) => Some(d.beneficiary_id),
        RecordBody::Arrival { beneficiary_id } => Some(*beneficiary_id),
        _ => None,
    };
    let mut person = match named {
        Some(b) => {
            state.store.find_beneficiaries(&[b]).await?.first().map(|b| person_facts(state, b))
        }
        None => None,
    };
    if person.is_none()
        && let RecordBody::Dose(d) = &item.record.body
        && let Some(w) = &d.walk_in
    {
        person = Some(PersonFacts {
            reference_id: String::new(),
            name: w.name.as_str().to_owned(),
            birth_year: w.birth_year.get(),
            gender: state.pack.gender(w.gender_id).map(|g| g.name.clone()).unwrap_or_default(),
            id_type: state
                .pack
                .id_type(w.photo_id_type)
                .map(|t| t.name.clone())
                .unwrap_or_else(|| "ID".to_owned()),
            id_last4: w.photo_id_last4.clone(),
        });
    }
    Ok(ReviewIssue { item, person, facility })
}

/// One issue of the area by kind and id (`NotFound` if unknown or outside the area).
pub async fn issue(
    state: &AppState,
    who: &AdminPrincipal,
    kind: IssueKind,
    id: &str,
) -> ApiResult<Issue> {
    require(who, Capability::ReviewIssues)?;
    let id = issue_id(id)?;
    Ok(match kind {
        IssueKind::Correction => Issue::Correction(correction_in_area(state, who, id).await?),
        IssueKind::Review => {
            Issue::Review(review_in_area(state, who, ReviewId::from_uuid(id)).await?)
        }
    })
}

/// A decision note: required, 3 to 500 characters, one paragraph.
fn checked_note(raw: &str) -> ApiResult<String> {
    let note = raw.split_whitespace().collect::<Vec<_>>().join(" ");
    let n = note.chars().count();
    if !(3..=MAX_NOTE_CHARS).contains(&n) {
        return Err(ApiError::Invalid(vec![FieldError {
            field: "note",
            message: format!("is required: say why, in 3 to {MAX_NOTE_CHARS} characters"),
        }]));
    }
    Ok(note)
}

fn already_decided() -> ApiError {
    ApiError::conflict("ADM0052", "This issue is already decided")
}

fn place_of(f: Option<&Facility>) -> Option<Place> {
    f.map(Facility::place)
}

/// Approves (`approve`) or rejects a correction request of the area, with a required note.
/// Approval changes the record and re-issues the certificates (the citizen is told by
/// `correction.approved`); rejection changes nothing and tells the citizen
/// (`correction.rejected`).
pub async fn decide_correction(
    state: &AppState,
    who: &AdminPrincipal,
    id: &str,
    approve: bool,
    note: &str,
) -> ApiResult<CorrectionIssue> {
    require(who, Capability::ReviewIssues)?;
    let id = issue_id(id)?;
    let found = correction_in_area(state, who, id).await?;
    let note = checked_note(note)?;
    if found.request.status != CorrectionStatus::Pending {
        return Err(already_decided());
    }
    let subject = found.request.beneficiary_id.to_string();
    let after = json!({
        "request_id": id, "field": found.request.field.as_str(),
        "status": if approve { "approved" } else { "rejected" },
    });
    let action = if approve { "issue.approve" } else { "issue.reject" };
    let audit = change(
        state,
        who,
        action,
        subject,
        place_of(found.facility.as_ref()),
        Some(json!({ "request_id": id, "status": "pending" })),
        Some(after),
    );
    let result = if approve {
        state
            .store
            .decide_correction(id, CorrectionDecision::Approve, &actor(who), &note, audit.at_ms)
            .await
    } else {
        state.store.reject_correction(id, &note, &audit).await
    };
    let request = match result {
        Ok(r) => r,
        Err(StorageError::Conflict(ConflictKind::CorrectionClosed)) => {
            return Err(already_decided());
        }
        Err(StorageError::Conflict(ConflictKind::DuplicatePhotoId)) => {
            return Err(ApiError::conflict(
                "ADM0053",
                "Cannot approve: another person's record now holds this photo id",
            ));
        }
        Err(e) => return Err(e.into()),
    };
    if approve {
        // The decision itself was audited in its transaction (without a place); this entry
        // lets the area's officials see it.
        state.store.record_change(&audit).await?;
    }
    tracing::info!(admin = %who.admin, request = %id, approve, "correction decided");
    let person = state
        .store
        .find_beneficiaries(&[request.beneficiary_id])
        .await?
        .first()
        .map(|b| person_facts(state, b));
    Ok(CorrectionIssue { request, person, ..found })
}

/// Accepts (records the dose) or discards a sync conflict of the area, with a required note.
pub async fn resolve_review(
    state: &AppState,
    who: &AdminPrincipal,
    id: &str,
    accept: bool,
    note: &str,
) -> ApiResult<ReviewIssue> {
    require(who, Capability::ReviewIssues)?;
    let id = ReviewId::from_uuid(issue_id(id)?);
    let found = review_in_area(state, who, id).await?;
    let note = checked_note(note)?;
    if found.item.status != ReviewStatus::Open {
        return Err(already_decided());
    }
    let action = if accept { ReviewAction::Accept } else { ReviewAction::Discard };
    let audit = change(
        state,
        who,
        if accept { "issue.accept" } else { "issue.discard" },
        format!("review:{id}"),
        Some(found.facility.place()),
        Some(json!({ "status": "open", "code": found.item.code.as_str() })),
        Some(json!({
            "status": if accept { "accepted" } else { "discarded" },
            "session_id": found.item.record.session_id,
        })),
    );
    // The decision and its audit entry are one transaction.
    let item = match state
        .store
        .resolve_review_audited(
            id,
            action,
            &note,
            &actor(who),
            audit.at_ms,
            std::sync::Arc::clone(&state.pack),
            &audit,
        )
        .await
    {
        Ok(item) => item,
        Err(StorageError::Conflict(ConflictKind::ReviewClosed)) => {
            return Err(ApiError::conflict(
                "ADM0052",
                "This issue is already decided, or the dose cannot be recorded (discard it)",
            ));
        }
        Err(e) => return Err(e.into()),
    };
    tracing::info!(admin = %who.admin, review = %id, accept, "sync conflict resolved");
    Ok(ReviewIssue { item, ..found })
}

// ---------------------------------------------------------------------------------------------
// Session lists per facility and day
// ---------------------------------------------------------------------------------------------

/// One person on a facility's day list.
#[derive(Debug, Clone)]
pub struct DayRow {
    /// Slot label.
    pub slot: String,
    /// Reference id.
    pub reference_id: String,
    /// Name (in its own script).
    pub name: String,
    /// Birth year.
    pub birth_year: i32,
    /// Gender (English name).
    pub gender: String,
    /// Photo id type (English name).
    pub id_type: String,
    /// Last 4 of the photo id.
    pub id_last4: String,
    /// Dose number.
    pub dose: u8,
    /// `booked`, `arrived`, `vaccinated` or `cancelled`.
    pub status: &'static str,
    /// Messages sent about the booking.
    pub messages: u32,
    /// The latest message's kind and status (`booking_confirmed: delivered`).
    pub last_message: String,
}

/// One session of the day with its people.
#[derive(Debug, Clone)]
pub struct DaySession {
    /// The session.
    pub session: Session,
    /// The people, by slot and name.
    pub rows: Vec<DayRow>,
}

/// A facility's sessions on one day.
#[derive(Debug, Clone)]
pub struct FacilityDay {
    /// The facility.
    pub facility: Facility,
    /// The day.
    pub date: NaiveDate,
    /// Its sessions (any status).
    pub sessions: Vec<DaySession>,
}

impl FacilityDay {
    /// Everyone on the list.
    pub fn people(&self) -> usize {
        self.sessions.iter().map(|s| s.rows.len()).sum()
    }
}

/// Parses a list's date (`ADM0055` when it is not `YYYY-MM-DD`).
pub fn parse_list_date(raw: &str) -> ApiResult<NaiveDate> {
    NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d")
        .map_err(|_| ApiError::bad_request("ADM0055", "The list's date must be YYYY-MM-DD"))
}

/// Everyone booked into the facility's sessions on `date`, audited as a download in `format`
/// (`json`, `csv`, `pdf`).  `NotFound` if the facility is outside the area.
pub async fn facility_day(
    state: &AppState,
    who: &AdminPrincipal,
    center: CenterId,
    date: NaiveDate,
    format: &str,
) -> ApiResult<FacilityDay> {
    require(who, Capability::SessionLists)?;
    let facility = facility_in_area(state, who, center).await?;
    let sessions = state.store.list_center_sessions(center, date).await?;
    let mut out = Vec::with_capacity(sessions.len());
    for session in sessions {
        let (roster, arrivals, calls) = tokio::try_join!(
            state.store.session_roster(session.id),
            state.store.session_arrivals(session.id),
            state.store.session_call_list(session.id),
        )?;
        let arrived: HashSet<BeneficiaryId> = arrivals.iter().map(|a| a.beneficiary_id).collect();
        let told: HashMap<_, _> = calls.iter().map(|c| (c.appointment.id, c)).collect();
        let rows = roster
            .iter()
            .map(|r| {
                let a = &r.appointment;
                let call = told.get(&a.id);
                let status = match a.status {
                    AppointmentStatus::Cancelled => "cancelled",
                    AppointmentStatus::Completed => "vaccinated",
                    AppointmentStatus::Booked if call.is_some_and(|c| c.vaccinated) => "vaccinated",
                    AppointmentStatus::Booked if arrived.contains(&a.beneficiary_id) => "arrived",
                    AppointmentStatus::Booked => "booked",
                };
                DayRow {
                    slot: a.slot.as_str().to_owned(),
                    reference_id: r.reference_id.clone(),
                    name: r.name.clone(),
                    birth_year: r.birth_year,
                    gender: state
                        .pack
                        .gender(r.gender_id)
                        .map(|g| g.name.clone())
                        .unwrap_or_default(),
                    id_type: state
                        .pack
                        .id_type(r.photo_id_type)
                        .map(|t| t.name.clone())
                        .unwrap_or_else(|| "ID".to_owned()),
                    id_last4: r.photo_id_last4.clone(),
                    dose: a.dose.get(),
                    status,
                    messages: call.map_or(0, |c| c.messages),
                    last_message: call
                        .and_then(|c| c.last_message.as_ref())
                        .map(|m| format!("{}: {}", m.kind.as_str(), m.status.as_str()))
                        .unwrap_or_default(),
                }
            })
            .collect();
        out.push(DaySession { session, rows });
    }
    let day = FacilityDay { facility, date, sessions: out };
    let audit = change(
        state,
        who,
        "list.downloaded",
        format!("center:{}", center.0),
        Some(day.facility.place()),
        None,
        Some(json!({
            "date": date.format("%Y-%m-%d").to_string(), "format": format,
            "sessions": day.sessions.len(), "people": day.people(),
        })),
    );
    state.store.record_change(&audit).await?;
    tracing::info!(admin = %who.admin, center = center.0, %date, format, "session list downloaded");
    Ok(day)
}

/// The CSV header row.
pub const CSV_HEADER: &str = "date,session_id,vaccine,slot,reference_id,name,birth_year,gender,\
                              id_type,id_last4,dose,status,messages,last_message";

/// A CSV cell: quoted when needed; a leading `=`, `+`, `-` or `@` is defused with `'` so that
/// spreadsheets never read a formula.
fn csv_cell(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) { format!("'{s}") } else { s.to_owned() };
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s }
}

/// The day's list as CSV (UTF-8, header row, one line per person).
pub fn day_csv(day: &FacilityDay) -> String {
    let mut out = String::from(CSV_HEADER);
    out.push_str("\r\n");
    let date = day.date.format("%Y-%m-%d").to_string();
    for s in &day.sessions {
        for r in &s.rows {
            let cells = [
                date.clone(),
                s.session.id.to_string(),
                s.session.vaccine.as_str().to_owned(),
                r.slot.clone(),
                r.reference_id.clone(),
                r.name.clone(),
                r.birth_year.to_string(),
                r.gender.clone(),
                r.id_type.clone(),
                r.id_last4.clone(),
                r.dose.to_string(),
                r.status.to_owned(),
                r.messages.to_string(),
                r.last_message.clone(),
            ];
            out.push_str(&cells.iter().map(|c| csv_cell(c)).collect::<Vec<_>>().join(","));
            out.push_str("\r\n");
        }
    }
    out
}

fn status_label(status: &str) -> &'static str {
    match status {
        "arrived" => "Arrived / पहुंचे",
        "vaccinated" => "Vaccinated / टीका लगा",
        "cancelled" => "Cancelled",
        _ => "Booked / बुक",
    }
}

/// The day's list as a bilingual PDF: each session's list (A4 landscape) one after another.
pub async fn day_pdf(state: &AppState, day: &FacilityDay) -> ApiResult<Vec<u8>> {
    use tika_pdf::session_list::{ListRow, SessionList};
    let c = &day.facility.center;
    let generated_at =
        crate::clock::local_stamp(state.clock.now(), state.pack.timezone_offset_minutes);
    let date = tika_domain::date::format_cowin_date(day.date);
    let lists: Vec<SessionList> = if day.sessions.is_empty() {
        vec![SessionList {
            center_name: c.name.clone(),
            center_address: c.address.clone(),
            date: date.clone(),
            vaccine: String::new(),
            session_id: "—".to_owned(),
            generated_at: generated_at.clone(),
            rows: Vec::new(),
            tally: Default::default(),
        }]
    } else {
        day.sessions
            .iter()
            .map(|s| {
                let count = |st: &str| {
                    u32::try_from(s.rows.iter().filter(|r| r.status == st).count())
                        .unwrap_or(u32::MAX)
                };
                SessionList {
                    center_name: if c.name_l.trim().is_empty() {
                        c.name.clone()
                    } else {
                        format!("{} / {}", c.name, c.name_l)
                    },
                    center_address: c.address.clone(),
                    date: date.clone(),
                    vaccine: s.session.vaccine.as_str().to_owned(),
                    session_id: s.session.id.to_string(),
                    generated_at: generated_at.clone(),
                    rows: s
                        .rows
                        .iter()
                        .map(|r| ListRow {
                            slot: r.slot.clone(),
                            reference_id: r.reference_id.clone(),
                            name: r.name.clone(),
                            birth_year: r.birth_year,
                            gender: r.gender.clone(),
                            id_type_last4: format!("{} ••{}", r.id_type, r.id_last4),
                            dose: r.dose,
                            status: status_label(r.status).to_owned(),
                        })
                        .collect(),
                    tally: [
                        ("Booked / बुक".to_owned(), count("booked")),
                        ("Arrived / पहुंचे".to_owned(), count("arrived")),
                        ("Vaccinated / टीका लगा".to_owned(), count("vaccinated")),
                        ("Cancelled / रद्द".to_owned(), count("cancelled")),
                        (String::new(), 0),
                    ],
                }
            })
            .collect()
    };
    let title = format!("Session lists {} {}", c.id.0, day.date.format("%Y-%m-%d"));
    tokio::task::spawn_blocking(move || -> Result<Vec<u8>, tika_pdf::PdfError> {
        let mut pages = Vec::new();
        for list in &lists {
            pages.extend(tika_pdf::session_list::layout_session_list(list)?);
        }
        let info = tika_pdf::render::DocInfo { title, language: "en-IN".to_owned() };
        tika_pdf::render::to_pdf(
            &pages,
            tika_pdf::layout::A4_HEIGHT,
            tika_pdf::layout::A4_WIDTH,
            &info,
        )
    })
    .await
    .map_err(|e| ApiError::Internal(anyhow::anyhow!("pdf task failed: {e}")))?
    .map_err(|e| ApiError::Internal(anyhow::anyhow!("facility day pdf: {e}")))
}

/// The day's list as JSON.
pub fn day_json(day: &FacilityDay) -> Value {
    json!({
        "center_id": day.facility.center.id.0,
        "center_name": day.facility.center.name,
        "date": day.date.format("%Y-%m-%d").to_string(),
        "sessions": day.sessions.iter().map(|s| json!({
            "session_id": s.session.id.to_string(),
            "vaccine": s.session.vaccine.as_str(),
            "active": s.session.active,
            "people": s.rows.iter().map(|r| json!({
                "slot": r.slot,
                "reference_id": r.reference_id,
                "name": r.name,
                "birth_year": r.birth_year,
                "gender": r.gender,
                "id_type": r.id_type,
                "id_last4": r.id_last4,
                "dose": r.dose,
                "status": r.status,
                "messages": r.messages,
                "last_message": r.last_message,
            })).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}

/// Splits `2026-12-04.csv` into the date and the format (`json` without a suffix).
pub fn list_file(raw: &str) -> ApiResult<(NaiveDate, &'static str)> {
    let (date, format) = if let Some(d) = raw.strip_suffix(".csv") {
        (d, "csv")
    } else if let Some(d) = raw.strip_suffix(".pdf") {
        (d, "pdf")
    } else if let Some(d) = raw.strip_suffix(".json") {
        (d, "json")
    } else {
        (raw, "json")
    };
    Ok((parse_list_date(date)?, format))
}

/// The list of a day in a format: `(body, content type, file name)`.
pub async fn day_file(
    state: &AppState,
    day: &FacilityDay,
    format: &str,
) -> ApiResult<(Vec<u8>, &'static str, String)> {
    let name = format!("session-list-{}-{}", day.facility.center.id.0, day.date.format("%Y-%m-%d"));
    Ok(match format {
        "csv" => (day_csv(day).into_bytes(), "text/csv; charset=utf-8", format!("{name}.csv")),
        "pdf" => (day_pdf(state, day).await?, "application/pdf", format!("{name}.pdf")),
        _ => (day_json(day).to_string().into_bytes(), "application/json", format!("{name}.json")),
    })
}

// ---------------------------------------------------------------------------------------------
// The lucky draw
// ---------------------------------------------------------------------------------------------

/// A draw to create, as submitted.
#[derive(Debug, Clone, Default)]
pub struct DrawForm {
    /// District id (a district official's own district when empty).
    pub district: Option<i64>,
    /// First day of the period.
    pub from: Option<NaiveDate>,
    /// Last day of the period.
    pub to: Option<NaiveDate>,
    /// How many winners.
    pub winners: Option<u32>,
}

fn district_place(d: &Draw) -> Place {
    Place { state: d.state_id, district: d.district_id, block: String::new(), center: None }
}

/// Creates a draw for a district of the area and a period: the entry list is fixed and its
/// hash published now.
pub async fn create_draw(
    state: &AppState,
    who: &AdminPrincipal,
    form: &DrawForm,
) -> ApiResult<Draw> {
    require(who, Capability::RunDraw)?;
    let mut errors = Vec::new();
    let district_id = form.district.or(who.area.district().map(|d| d.0));
    let district = match district_id {
        None => {
            errors.push(FieldError { field: "district", message: "is required".into() });
            None
        }
        Some(id) => match state.pack.district(tika_domain::ids::DistrictId(id)) {
            None => {
                errors.push(FieldError { field: "district", message: "is not a district".into() });
                None
            }
            Some(d) => {
                let place =
                    Place { state: d.state_id, district: d.id, block: String::new(), center: None };
                if who.area.covers(&place) {
                    Some((d.state_id, d.id))
                } else {
                    errors.push(FieldError {
                        field: "district",
                        message: "is outside your area".into(),
                    });
                    None
                }
            }
        },
    };
    let period = match draw::check_draw(form.from, form.to, form.winners) {
        Ok(v) => Some(v),
        Err(list) => {
            errors.extend(list.into_iter().map(|(field, message)| FieldError { field, message }));
            None
        }
    };
    let (Some((st, dist)), Some((from, to, winners))) = (district, period) else {
        return Err(ApiError::Invalid(errors));
    };
    let id = DrawId::new();
    let place = Place { state: st, district: dist, block: String::new(), center: None };
    let audit = change(state, who, "draw.create", format!("draw:{id}"), Some(place), None, None);
    let new = NewDraw {
        id,
        state: st,
        district: dist,
        from,
        to,
        winners,
        actor: actor(who),
        now_ms: audit.at_ms,
    };
    let created = state.store.create_draw(&new, &audit).await?;
    tracing::info!(admin = %who.admin, draw = %id, entries = created.entries_count, "draw created");
    Ok(created)
}

fn draw_id(raw: &str) -> ApiResult<DrawId> {
    raw.trim().parse().map_err(|_| ApiError::NotFound)
}

async fn find_draw(state: &AppState, id: DrawId) -> ApiResult<Draw> {
    match state.store.find_draw(id).await {
        Ok(d) => Ok(d),
        Err(StorageError::NotFound) => Err(ApiError::NotFound),
        Err(e) => Err(e.into()),
    }
}

/// One draw of the area (`NotFound` otherwise).
pub async fn draw_of_area(state: &AppState, who: &AdminPrincipal, id: &str) -> ApiResult<Draw> {
    require(who, Capability::RunDraw)?;
    let d = find_draw(state, draw_id(id)?).await?;
    if !who.area.covers(&district_place(&d)) {
        return Err(ApiError::NotFound);
    }
    Ok(d)
}

/// The area's draws, newest first (`page` from 0).
pub async fn list_draws(state: &AppState, who: &AdminPrincipal, page: u32) -> ApiResult<Vec<Draw>> {
    require(who, Capability::RunDraw)?;
    let filter = DrawFilter {
        area: who.area.clone(),
        limit: DRAW_PAGE_SIZE,
        offset: page.saturating_mul(DRAW_PAGE_SIZE),
    };
    Ok(state.store.list_draws(&filter).await?)
}

/// Enters the public seed of a draw of the area (once) and chooses the winners.
pub async fn seed_draw(
    state: &AppState,
    who: &AdminPrincipal,
    id: &str,
    seed: &str,
    source: &str,
) -> ApiResult<Draw> {
    let d = draw_of_area(state, who, id).await?;
    let mut errors = Vec::new();
    let seed = draw::check_seed(seed)
        .map_err(|message| errors.push(FieldError { field: "seed", message }))
        .ok();
    let source = draw::check_source(source)
        .map_err(|message| errors.push(FieldError { field: "seed_source", message }))
        .ok();
    let (Some(seed), Some(source)) = (seed, source) else {
        return Err(ApiError::Invalid(errors));
    };
    if d.status == tika_storage::DrawStatus::Drawn {
        return Err(seeded_already());
    }
    let audit = change(
        state,
        who,
        "draw.seed",
        format!("draw:{}", d.id),
        Some(district_place(&d)),
        None,
        None,
    );
    match state.store.seed_draw(d.id, &seed, &source, &audit).await? {
        SeedOutcome::Drawn(drawn) => {
            tracing::info!(admin = %who.admin, draw = %d.id, winners = drawn.winners.len(), "draw seeded");
            Ok(drawn)
        }
        SeedOutcome::AlreadyDrawn(_) => Err(seeded_already()),
    }
}

fn seeded_already() -> ApiError {
    ApiError::conflict("ADM0054", "This draw already has its seed; a draw is drawn once")
}

/// A draw, for anyone (no login): what it committed to and, once drawn, its result.
pub async fn public_draw(state: &AppState, id: &str) -> ApiResult<Draw> {
    find_draw(state, draw_id(id)?).await
}

/// A draw's entry list text, for anyone, exactly as hashed.
pub async fn public_entries(state: &AppState, id: &str) -> ApiResult<String> {
    match state.store.draw_entries(draw_id(id)?).await {
        Ok(t) => Ok(t),
        Err(StorageError::NotFound) => Err(ApiError::NotFound),
        Err(e) => Err(e.into()),
    }
}

/// The published command that recomputes a draw.
pub fn verify_command(d: &Draw) -> String {
    format!(
        "tika draw verify --entries entries.txt --seed {} --winners {} --sha256 {}",
        shell_quote(d.seed.as_deref().unwrap_or("<seed>")),
        d.winners_count,
        d.entries_sha256
    )
}

/// The same with the dependency-free script.
pub fn verify_script(d: &Draw) -> String {
    format!(
        "python3 scripts/draw-verify.py --entries entries.txt --seed {} --winners {} --sha256 {}",
        shell_quote(d.seed.as_deref().unwrap_or("<seed>")),
        d.winners_count,
        d.entries_sha256
    )
}

/// Single-quotes a shell argument.
fn shell_quote(s: &str) -> String {
    format!("'{}'", s.replace('\'', "'\\''"))
}

/// A correction's field as words.
pub fn field_label(f: CorrectionField) -> &'static str {
    match f {
        CorrectionField::Name => "name",
        CorrectionField::BirthYear => "birth year",
        CorrectionField::Gender => "gender",
        CorrectionField::PhotoId => "photo id (last 4)",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_cells_are_quoted_and_defused() {
        assert_eq!(csv_cell("Asha"), "Asha");
        assert_eq!(csv_cell("Rao, Asha"), "\"Rao, Asha\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("=SUM(A1)"), "'=SUM(A1)");
        assert_eq!(csv_cell("आशा"), "आशा");
    }

    #[test]
    fn filters_parse() {
        assert_eq!(parse_status(None).unwrap(), Some(true));
        assert_eq!(parse_status(Some("all")).unwrap(), None);
        assert!(parse_status(Some("x")).is_err());
        assert_eq!(parse_kind(Some("review")).unwrap(), Some(IssueKind::Review));
        assert_eq!(parse_kind(Some("all")).unwrap(), None);
        assert!(parse_kind(Some("x")).is_err());
        assert_eq!(shell_quote("it's"), "'it'\\''s'");
    }
}
