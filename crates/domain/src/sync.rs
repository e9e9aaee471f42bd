//! Sync rules: how records made offline at a site become server state, exactly once.
//!
//! A site device makes [`SiteRecord`]s (arrival, walk-in, dose, AEFI report, undo), each with a
//! client-generated [`RecordId`].  The server gathers what it knows about the people, doses,
//! appointments and batches a batch of records touches ([`SyncFacts`]), and [`decide`] folds
//! the records over those facts in upload order, giving one [`RecordResult`] per record and the
//! [`Effect`]s to write.  Nothing here does IO, so every rule is tested in memory, and the same
//! function runs inside the storage transaction that writes the effects.
//!
//! The rules (also in ARCHITECTURE.md, "Sync rules"):
//! 1. A record id is applied once; a repeat answers `duplicate` with the first result.
//! 2. A dose is a fact: it is recorded unless a rule below sends it to review. No dose is
//!    silently dropped: each ends `applied` or in the review queue.
//! 3. Review (`SYNC02xx`): the beneficiary already has this dose number; the dose number does
//!    not follow the server's history; the batch was not issued to the facility (or is for
//!    another vaccine than the session's); the vaccine differs from earlier doses; age or
//!    interval rules fail; the beneficiary is unknown; an undo for a dose of another facility.
//! 4. Applied with a note (`SYNC01xx`): a dose against a cancelled appointment is recorded as a
//!    walk-in; a walk-in whose photo id is already registered is merged into that person; an
//!    undo or AEFI report that arrives before its dose is kept, and the dose is then stored
//!    already undone / with its report.
//! 5. An admin accepting a review records the dose with the dose number that follows the
//!    server's history at that moment; discarding records nothing.  Either way the item stays.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::beneficiary::{BirthYear, PersonName};
use crate::country::CountryPack;
use crate::eligibility::{Candidate, EligibilityError, PastDose, SessionFacts, check_booking};
use crate::ids::{BeneficiaryId, BeneficiaryRef, CenterId, RecordId, ReviewId, SessionId, StaffId};
use crate::session::AgeLimits;
use crate::vaccine::{DoseNumber, VaccineCode};

/// A person registered on the spot, as the server keeps it (the photo id number is already
/// reduced to its keyed hash and last 4 characters).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WalkInPerson {
    /// Name.
    pub name: PersonName,
    /// Birth year.
    pub birth_year: BirthYear,
    /// Gender id.
    pub gender_id: i64,
    /// Photo id type.
    pub photo_id_type: i64,
    /// Keyed hash of the normalized photo id number.
    pub photo_id_hash: String,
    /// Its last 4 characters.
    pub photo_id_last4: String,
    /// Mobile (10 digits), when the person has one; assisted registrations have none.
    pub mobile: Option<String>,
}

/// Severity of an adverse event following immunization.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AefiSeverity {
    /// Observed, nothing happened.
    None,
    /// Minor (fever, pain at the site).
    Minor,
    /// Serious (hospitalisation, anaphylaxis): needs the AEFI committee.
    Serious,
}

impl AefiSeverity {
    /// Storage and API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            AefiSeverity::None => "none",
            AefiSeverity::Minor => "minor",
            AefiSeverity::Serious => "serious",
        }
    }
}

/// A dose given at the site.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DoseRecord {
    /// Who (a server id, or the record id of a walk-in registration).
    pub beneficiary_id: BeneficiaryId,
    /// The walk-in's registration, when the dose is for a walk-in (makes the dose
    /// self-contained whatever order uploads arrive in).
    pub walk_in: Option<WalkInPerson>,
    /// The appointment row the dose was given against, if booked.
    pub appointment_id: Option<uuid::Uuid>,
    /// Vaccine.
    pub vaccine: VaccineCode,
    /// Batch (lot) number.
    pub batch: String,
    /// The dose number the device derived from the history it had.
    pub dose: DoseNumber,
    /// Who gave it.
    pub vaccinator_id: StaffId,
}

/// What a record says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum RecordBody {
    /// The person arrived at the site.
    Arrival {
        /// Who.
        beneficiary_id: BeneficiaryId,
    },
    /// A person registered on the spot; their beneficiary id is the record id.
    WalkIn {
        /// The person.
        beneficiary: WalkInPerson,
    },
    /// A dose given.
    Dose(DoseRecord),
    /// An observation after a dose.
    Aefi {
        /// The dose's record id.
        vaccination_client_id: RecordId,
        /// Severity.
        severity: AefiSeverity,
        /// Symptom codes.
        symptoms: Vec<String>,
        /// Free text.
        notes: String,
    },
    /// A dose recorded by mistake.
    Undo {
        /// The dose's record id.
        vaccination_client_id: RecordId,
        /// Why.
        reason: String,
    },
}

impl RecordBody {
    /// The wire name of the kind.
    pub fn kind(&self) -> &'static str {
        match self {
            RecordBody::Arrival { .. } => "arrival",
            RecordBody::WalkIn { .. } => "walk_in",
            RecordBody::Dose(_) => "dose",
            RecordBody::Aefi { .. } => "aefi",
            RecordBody::Undo { .. } => "undo",
        }
    }
}

/// One record made on a device.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SiteRecord {
    /// Client-generated id (UUIDv7).
    pub client_id: RecordId,
    /// The session it belongs to.
    pub session_id: SessionId,
    /// Device time it was made (unix ms).
    pub at_ms: i64,
    /// The staff member whose upload carried it.
    pub staff_id: StaffId,
    /// Content.
    #[serde(flatten)]
    pub body: RecordBody,
}

/// What happened to a record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    /// Recorded.
    Applied,
    /// Already applied earlier; the fields are the first result's.
    Duplicate,
    /// Waiting in the review queue.
    Review,
}

/// Why a record needs a person to look at it, or what was noted when applying it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum SyncCode {
    /// Dose recorded although its appointment had been cancelled (as a walk-in).
    #[serde(rename = "SYNC0101")]
    AppointmentWasCancelled,
    /// Walk-in matched an already registered beneficiary by photo id.
    #[serde(rename = "SYNC0102")]
    MatchedExisting,
    /// Undo or AEFI report stored before its dose arrived.
    #[serde(rename = "SYNC0103")]
    StoredAhead,
    /// The beneficiary already has this dose recorded.
    #[serde(rename = "SYNC0201")]
    AlreadyVaccinated,
    /// The dose number does not follow the server's history.
    #[serde(rename = "SYNC0202")]
    DoseMismatch,
    /// The batch was not issued to this facility for this vaccine.
    #[serde(rename = "SYNC0203")]
    BatchNotIssued,
    /// The vaccine differs from the earlier doses.
    #[serde(rename = "SYNC0204")]
    VaccineMismatch,
    /// Age or interval rules fail.
    #[serde(rename = "SYNC0205")]
    NotEligible,
    /// The beneficiary is unknown.
    #[serde(rename = "SYNC0206")]
    UnknownBeneficiary,
    /// An undo for a dose recorded at another facility, or a session the server lacks.
    #[serde(rename = "SYNC0207")]
    OtherFacility,
}

impl SyncCode {
    /// The code as sent (`SYNC0201`).
    pub fn as_str(self) -> &'static str {
        match self {
            SyncCode::AppointmentWasCancelled => "SYNC0101",
            SyncCode::MatchedExisting => "SYNC0102",
            SyncCode::StoredAhead => "SYNC0103",
            SyncCode::AlreadyVaccinated => "SYNC0201",
            SyncCode::DoseMismatch => "SYNC0202",
            SyncCode::BatchNotIssued => "SYNC0203",
            SyncCode::VaccineMismatch => "SYNC0204",
            SyncCode::NotEligible => "SYNC0205",
            SyncCode::UnknownBeneficiary => "SYNC0206",
            SyncCode::OtherFacility => "SYNC0207",
        }
    }

    /// Parses the code as sent.
    pub fn parse(s: &str) -> Option<Self> {
        ALL_CODES.iter().copied().find(|c| c.as_str() == s)
    }

    /// A message for the site and the reviewer.
    pub fn message(self) -> &'static str {
        match self {
            SyncCode::AppointmentWasCancelled => {
                "The appointment had been cancelled; the dose was recorded as a walk-in"
            }
            SyncCode::MatchedExisting => {
                "This photo ID was already registered; the record was joined to that beneficiary"
            }
            SyncCode::StoredAhead => "Stored; it will apply to its dose when that arrives",
            SyncCode::AlreadyVaccinated => {
                "The beneficiary already has this dose recorded (at another site or device)"
            }
            SyncCode::DoseMismatch => "The dose number does not follow the beneficiary's history",
            SyncCode::BatchNotIssued => {
                "This batch was not issued to this facility for the session's vaccine"
            }
            SyncCode::VaccineMismatch => "The vaccine differs from the earlier doses",
            SyncCode::NotEligible => "The beneficiary is not eligible by age or dose interval",
            SyncCode::UnknownBeneficiary => "The beneficiary is not known to the server",
            SyncCode::OtherFacility => "The dose or session belongs to another facility",
        }
    }
}

const ALL_CODES: [SyncCode; 10] = [
    SyncCode::AppointmentWasCancelled,
    SyncCode::MatchedExisting,
    SyncCode::StoredAhead,
    SyncCode::AlreadyVaccinated,
    SyncCode::DoseMismatch,
    SyncCode::BatchNotIssued,
    SyncCode::VaccineMismatch,
    SyncCode::NotEligible,
    SyncCode::UnknownBeneficiary,
    SyncCode::OtherFacility,
];

/// The answer for one record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordResult {
    /// The record.
    pub client_id: RecordId,
    /// What happened.
    pub outcome: Outcome,
    /// Note or review reason.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub code: Option<SyncCode>,
    /// Its message.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub message: Option<String>,
    /// The beneficiary the record was applied to (walk-ins: the registered or matched person).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub beneficiary_id: Option<BeneficiaryId>,
    /// Their reference id.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub reference_id: Option<String>,
    /// The dose number recorded.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub dose: Option<u8>,
    /// The review item, when in review.
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub review_id: Option<ReviewId>,
}

impl RecordResult {
    fn new(client_id: RecordId, outcome: Outcome) -> Self {
        Self {
            client_id,
            outcome,
            code: None,
            message: None,
            beneficiary_id: None,
            reference_id: None,
            dose: None,
            review_id: None,
        }
    }

    fn with_code(mut self, code: SyncCode) -> Self {
        self.code = Some(code);
        self.message = Some(code.message().to_owned());
        self
    }

    /// The same result, answered again for a repeated record.
    pub fn as_duplicate(&self) -> Self {
        Self { outcome: Outcome::Duplicate, ..self.clone() }
    }
}

/// The whole answer to an upload (what is saved for replays).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct UploadAnswer {
    /// The upload's key.
    pub idempotency_key: crate::ids::UploadKey,
    /// When the server applied it (unix ms).
    pub applied_at: i64,
    /// One result per record, in order.
    pub results: Vec<RecordResult>,
}

/// A session as the rules see it.
#[derive(Debug, Clone)]
pub struct SessionInfo {
    /// Facility.
    pub center: CenterId,
    /// Date.
    pub date: NaiveDate,
    /// Vaccine.
    pub vaccine: VaccineCode,
    /// Age limits.
    pub ages: AgeLimits,
}

/// A dose the server holds.
#[derive(Debug, Clone)]
pub struct KnownDose {
    /// Vaccination (record) id.
    pub id: RecordId,
    /// Dose number.
    pub dose: DoseNumber,
    /// Vaccine.
    pub vaccine: VaccineCode,
    /// Date.
    pub date: NaiveDate,
    /// Facility, when known.
    pub center: Option<CenterId>,
    /// Undone.
    pub voided: bool,
}

/// A person as the rules see them.
#[derive(Debug, Clone)]
pub struct PersonFacts {
    /// Reference id.
    pub reference: String,
    /// Birth year.
    pub birth_year: BirthYear,
    /// Doses recorded (undone ones included, marked).
    pub doses: Vec<KnownDose>,
}

/// An appointment row's state.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppointmentState {
    /// Booked.
    Booked,
    /// Cancelled.
    Cancelled,
    /// Vaccinated.
    Completed,
}

/// An appointment row as the rules see it.
#[derive(Debug, Clone)]
pub struct AppointmentFacts {
    /// Who.
    pub beneficiary: BeneficiaryId,
    /// Dose.
    pub dose: DoseNumber,
    /// State.
    pub state: AppointmentState,
}

/// A batch issued to the facility.
#[derive(Debug, Clone)]
pub struct BatchInfo {
    /// Vaccine.
    pub vaccine: VaccineCode,
    /// Expiry date.
    pub expiry: NaiveDate,
}

/// Everything the server knows that the records of one upload touch.  The storage layer
/// fills it inside the write transaction; [`decide`] updates it as it goes, so a later record
/// of the same upload sees the effect of an earlier one.
#[derive(Debug, Clone, Default)]
pub struct SyncFacts {
    /// Sessions the records name.
    pub sessions: HashMap<SessionId, SessionInfo>,
    /// People the records name (after alias resolution), by id.
    pub people: HashMap<BeneficiaryId, PersonFacts>,
    /// Walk-in ids merged into an existing person.
    pub aliases: HashMap<BeneficiaryId, BeneficiaryId>,
    /// Registered photo ids `(type, keyed hash)` of the walk-ins in the upload.
    pub photo_ids: HashMap<(i64, String), BeneficiaryId>,
    /// Appointment rows the records name, and the booked rows of the people.
    pub appointments: HashMap<uuid::Uuid, AppointmentFacts>,
    /// Batches issued to the facility, by batch number.
    pub batches: HashMap<String, BatchInfo>,
    /// Doses by record id (for undo and AEFI targets): who, where, undone.
    pub doses: HashMap<RecordId, (BeneficiaryId, Option<CenterId>, bool)>,
    /// Undos that arrived before their dose, by the dose's record id.
    pub tombstones: HashMap<RecordId, String>,
    /// Open review items, by the record id they hold.
    pub open_reviews: HashMap<RecordId, ReviewId>,
    /// Arrivals already recorded.
    pub arrivals: HashSet<(SessionId, BeneficiaryId)>,
}

impl SyncFacts {
    /// The person an id stands for (a merged walk-in id stands for the existing person).
    pub fn resolve(&self, id: BeneficiaryId) -> BeneficiaryId {
        self.aliases.get(&id).copied().unwrap_or(id)
    }
}

/// A write the storage layer must make.
#[derive(Debug, Clone)]
pub enum Effect {
    /// Record an arrival.
    Arrival {
        /// Session.
        session: SessionId,
        /// Who.
        beneficiary: BeneficiaryId,
        /// When (device time).
        at_ms: i64,
    },
    /// Register a walk-in.
    Register {
        /// New beneficiary id (the walk-in record id).
        id: BeneficiaryId,
        /// Proposed reference id (storage draws another on the rare collision).
        reference: String,
        /// The person.
        person: WalkInPerson,
        /// Facility that registered them.
        center: CenterId,
    },
    /// Remember that a walk-in id means an existing person.
    Alias {
        /// The walk-in id.
        alias: BeneficiaryId,
        /// The person.
        beneficiary: BeneficiaryId,
    },
    /// Record a dose (and emit its `dose.recorded` event, unless it is stored undone).
    Dose {
        /// Vaccination id = record id.
        id: RecordId,
        /// Who.
        beneficiary: BeneficiaryId,
        /// Session.
        session: SessionId,
        /// Facility.
        center: CenterId,
        /// Dose number.
        dose: DoseNumber,
        /// Vaccine.
        vaccine: VaccineCode,
        /// Batch.
        batch: String,
        /// Vaccinator.
        vaccinator: StaffId,
        /// Session date.
        date: NaiveDate,
        /// Device time.
        at_ms: i64,
        /// Not against a booked appointment.
        walk_in: bool,
        /// Booked appointment rows of this person and dose to complete.
        complete: Vec<uuid::Uuid>,
        /// Stored already undone, with this reason.
        voided: Option<String>,
    },
    /// Keep an undo: void the dose now (`void_now`) or keep it as a tombstone for later.
    Undo {
        /// The dose's record id.
        target: RecordId,
        /// Why.
        reason: String,
        /// Who.
        by: StaffId,
        /// When.
        at_ms: i64,
        /// Whether the dose exists and is voided now.
        void_now: bool,
    },
    /// Store an AEFI report.
    Aefi {
        /// Report id = record id.
        id: RecordId,
        /// The dose's record id.
        target: RecordId,
        /// Facility.
        center: CenterId,
        /// Severity.
        severity: AefiSeverity,
        /// Symptom codes.
        symptoms: Vec<String>,
        /// Notes.
        notes: String,
        /// Who.
        by: StaffId,
        /// When.
        at_ms: i64,
    },
    /// Put a record in the review queue.
    Review {
        /// Item id (derived from the record id: one item per record).
        id: ReviewId,
        /// The record.
        record: Box<SiteRecord>,
        /// Why.
        code: SyncCode,
        /// Facility.
        center: CenterId,
    },
    /// Close an open review item as discarded (its dose was undone at the site).
    DiscardReview {
        /// Item.
        id: ReviewId,
        /// Note.
        note: String,
    },
}

/// Who is applying, where, and how.
#[derive(Debug, Clone, Copy)]
pub struct SyncContext<'a> {
    /// Country pack (vaccines, policies).
    pub pack: &'a CountryPack,
    /// The facility of the uploading staff member.
    pub center: CenterId,
    /// Accepting a review: skip the review rules and use the next dose number by history.
    pub force: bool,
}

/// The reference id a walk-in gets, derived from its record id.
pub fn walk_in_reference(id: BeneficiaryId) -> String {
    BeneficiaryRef::from_random(id.as_uuid().as_u128() as u64).as_str().to_owned()
}

/// Applies records in order over `facts`; returns one result and its effects per record.
pub fn decide(
    ctx: SyncContext<'_>,
    facts: &mut SyncFacts,
    records: &[SiteRecord],
) -> Vec<(RecordResult, Vec<Effect>)> {
    let mut seen: HashMap<RecordId, RecordResult> = HashMap::new();
    let mut out = Vec::with_capacity(records.len());
    for rec in records {
        if let Some(first) = seen.get(&rec.client_id) {
            out.push((first.as_duplicate(), Vec::new()));
            continue;
        }
        let decided = decide_one(ctx, facts, rec);
        seen.insert(rec.client_id, decided.0.clone());
        out.push(decided);
    }
    out
}

fn review(ctx: SyncContext<'_>, rec: &SiteRecord, code: SyncCode) -> (RecordResult, Vec<Effect>) {
    let id = ReviewId::from_uuid(rec.client_id.as_uuid());
    let mut result = RecordResult::new(rec.client_id, Outcome::Review).with_code(code);
    result.review_id = Some(id);
    let effect = Effect::Review { id, record: Box::new(rec.clone()), code, center: ctx.center };
    (result, vec![effect])
}

fn decide_one(
    ctx: SyncContext<'_>,
    facts: &mut SyncFacts,
    rec: &SiteRecord,
) -> (RecordResult, Vec<Effect>) {
    match &rec.body {
        RecordBody::Arrival { beneficiary_id } => {
            let who = facts.resolve(*beneficiary_id);
            let mut result = RecordResult::new(rec.client_id, Outcome::Applied);
            result.beneficiary_id = Some(who);
            if facts.arrivals.insert((rec.session_id, who)) {
                let effect =
                    Effect::Arrival { session: rec.session_id, beneficiary: who, at_ms: rec.at_ms };
                (result, vec![effect])
            } else {
                (result, Vec::new())
            }
        }
        RecordBody::WalkIn { beneficiary } => {
            let mut effects = Vec::new();
            let (who, merged) = register(
                ctx,
                facts,
                BeneficiaryId::from_uuid(rec.client_id.as_uuid()),
                beneficiary,
                &mut effects,
            );
            let mut result = RecordResult::new(rec.client_id, Outcome::Applied);
            if merged {
                result = result.with_code(SyncCode::MatchedExisting);
            }
            result.beneficiary_id = Some(who);
            result.reference_id = facts.people.get(&who).map(|p| p.reference.clone());
            (result, effects)
        }
        RecordBody::Dose(d) => {
            let (result, mut effects) = dose(ctx, facts, rec, d);
            if let Some(id) = result.review_id {
                match facts.tombstones.get(&rec.client_id) {
                    // Undone at the site before it arrived (and it could not be stored voided,
                    // e.g. an unknown person): there is nothing left for anyone to decide.
                    Some(reason) => effects.push(Effect::DiscardReview {
                        id,
                        note: format!("Undone at the site: {reason}"),
                    }),
                    // An undo later in the same upload must find the item open.
                    None => {
                        facts.open_reviews.insert(rec.client_id, id);
                    }
                }
            }
            (result, effects)
        }
        RecordBody::Aefi { vaccination_client_id, severity, symptoms, notes } => {
            let mut result = RecordResult::new(rec.client_id, Outcome::Applied);
            if !facts.doses.contains_key(vaccination_client_id) {
                result = result.with_code(SyncCode::StoredAhead);
            }
            let effect = Effect::Aefi {
                id: rec.client_id,
                target: *vaccination_client_id,
                center: ctx.center,
                severity: *severity,
                symptoms: symptoms.clone(),
                notes: notes.clone(),
                by: rec.staff_id,
                at_ms: rec.at_ms,
            };
            (result, vec![effect])
        }
        RecordBody::Undo { vaccination_client_id, reason } => {
            undo(ctx, facts, rec, *vaccination_client_id, reason)
        }
    }
}

/// Registers a walk-in (or merges it into the person holding the same photo id); returns the
/// person's id and whether it was a merge.
fn register(
    ctx: SyncContext<'_>,
    facts: &mut SyncFacts,
    id: BeneficiaryId,
    person: &WalkInPerson,
    effects: &mut Vec<Effect>,
) -> (BeneficiaryId, bool) {
    let resolved = facts.resolve(id);
    if facts.people.contains_key(&resolved) {
        return (resolved, resolved != id);
    }
    let photo = (person.photo_id_type, person.photo_id_hash.clone());
    if let Some(existing) = facts.photo_ids.get(&photo).copied()
        && existing != id
        && facts.people.contains_key(&existing)
    {
        facts.aliases.insert(id, existing);
        effects.push(Effect::Alias { alias: id, beneficiary: existing });
        return (existing, true);
    }
    let reference = walk_in_reference(id);
    facts.people.insert(
        id,
        PersonFacts {
            reference: reference.clone(),
            birth_year: person.birth_year,
            doses: Vec::new(),
        },
    );
    facts.photo_ids.insert(photo, id);
    effects.push(Effect::Register { id, reference, person: person.clone(), center: ctx.center });
    (id, false)
}

fn dose(
    ctx: SyncContext<'_>,
    facts: &mut SyncFacts,
    rec: &SiteRecord,
    d: &DoseRecord,
) -> (RecordResult, Vec<Effect>) {
    let Some(session) = facts.sessions.get(&rec.session_id).cloned() else {
        return review(ctx, rec, SyncCode::OtherFacility);
    };
    if session.center != ctx.center {
        return review(ctx, rec, SyncCode::OtherFacility);
    }
    let mut effects = Vec::new();
    let mut note = None;
    let mut who = facts.resolve(d.beneficiary_id);
    if !facts.people.contains_key(&who)
        && let Some(person) = &d.walk_in
    {
        let (id, merged) = register(ctx, facts, who, person, &mut effects);
        who = id;
        if merged {
            note = Some(SyncCode::MatchedExisting);
        }
    }
    let Some(person) = facts.people.get(&who).cloned() else {
        return review(ctx, rec, SyncCode::UnknownBeneficiary);
    };
    let history: Vec<PastDose> = person
        .doses
        .iter()
        .filter(|k| !k.voided)
        .map(|k| PastDose { dose: k.dose, vaccine: k.vaccine.clone(), date: k.date })
        .collect();
    // The number after the highest one held (not the count: an undone first dose leaves a gap,
    // and the count would then name a dose the person already has).
    let highest = history.iter().map(|h| h.dose.get()).max().unwrap_or(0);
    let next = DoseNumber::new(i64::from(highest) + 1).unwrap_or(d.dose);
    let voided = facts.tombstones.get(&rec.client_id).cloned();
    let number = if ctx.force { next } else { d.dose };

    // An undone dose is not a dose: it is kept for the record without the review rules.
    if voided.is_none()
        && !ctx.force
        && let Some(code) = review_reason(ctx, facts, &session, &person, &history, d)
    {
        // The registration of an inline walk-in stands even if its dose goes to review, and
        // the site is told who the person is.
        let (mut result, mut review_effects) = review(ctx, rec, code);
        result.beneficiary_id = Some(who);
        result.reference_id = Some(person.reference.clone());
        effects.append(&mut review_effects);
        return (result, effects);
    }

    let booked_rows: Vec<uuid::Uuid> = facts
        .appointments
        .iter()
        .filter(|(_, a)| {
            a.beneficiary == who && a.dose == number && a.state == AppointmentState::Booked
        })
        .map(|(id, _)| *id)
        .collect();
    let against_booking = d.appointment_id.and_then(|id| facts.appointments.get(&id).cloned());
    let walk_in = match &against_booking {
        Some(a) if a.beneficiary == who => {
            if a.state == AppointmentState::Cancelled && note.is_none() {
                note = Some(SyncCode::AppointmentWasCancelled);
            }
            a.state == AppointmentState::Cancelled
        }
        _ => true,
    };
    if voided.is_some() {
        note = Some(SyncCode::StoredAhead);
    } else {
        for id in &booked_rows {
            if let Some(a) = facts.appointments.get_mut(id) {
                a.state = AppointmentState::Completed;
            }
        }
    }
    facts.doses.insert(rec.client_id, (who, Some(ctx.center), voided.is_some()));
    if let Some(p) = facts.people.get_mut(&who) {
        p.doses.push(KnownDose {
            id: rec.client_id,
            dose: number,
            vaccine: d.vaccine.clone(),
            date: session.date,
            center: Some(ctx.center),
            voided: voided.is_some(),
        });
    }
    effects.push(Effect::Dose {
        id: rec.client_id,
        beneficiary: who,
        session: rec.session_id,
        center: ctx.center,
        dose: number,
        vaccine: d.vaccine.clone(),
        batch: d.batch.clone(),
        vaccinator: d.vaccinator_id,
        date: session.date,
        at_ms: rec.at_ms,
        walk_in,
        complete: if voided.is_some() { Vec::new() } else { booked_rows },
        voided,
    });
    let mut result = RecordResult::new(rec.client_id, Outcome::Applied);
    if let Some(code) = note {
        result = result.with_code(code);
    }
    result.beneficiary_id = Some(who);
    result.reference_id = Some(person.reference);
    result.dose = Some(number.get());
    (result, effects)
}

/// The first review rule a dose breaks, if any.
fn review_reason(
    ctx: SyncContext<'_>,
    facts: &SyncFacts,
    session: &SessionInfo,
    person: &PersonFacts,
    history: &[PastDose],
    d: &DoseRecord,
) -> Option<SyncCode> {
    let batch_ok = d.vaccine == session.vaccine
        && facts.batches.get(&d.batch).is_some_and(|b| b.vaccine == d.vaccine);
    if !batch_ok {
        return Some(SyncCode::BatchNotIssued);
    }
    if history.iter().any(|h| h.dose == d.dose) {
        return Some(SyncCode::AlreadyVaccinated);
    }
    let candidate = Candidate { birth_year: person.birth_year, history, active_bookings: &[] };
    let facts = SessionFacts { date: session.date, vaccine: &d.vaccine, ages: session.ages };
    let policy = ctx.pack.policy_on(session.date);
    match check_booking(ctx.pack, policy, &candidate, &facts, d.dose) {
        Ok(()) => None,
        Err(EligibilityError::WrongDose { .. } | EligibilityError::SeriesComplete { .. }) => {
            Some(SyncCode::DoseMismatch)
        }
        Err(EligibilityError::VaccineMismatch { .. }) => Some(SyncCode::VaccineMismatch),
        Err(EligibilityError::UnknownVaccine(_)) => Some(SyncCode::BatchNotIssued),
        Err(
            EligibilityError::AgeOutsideSession { .. }
            | EligibilityError::TooYoung { .. }
            | EligibilityError::TooEarly { .. }
            | EligibilityError::TooLate { .. }
            | EligibilityError::AlreadyBooked { .. },
        ) => Some(SyncCode::NotEligible),
    }
}

fn undo(
    ctx: SyncContext<'_>,
    facts: &mut SyncFacts,
    rec: &SiteRecord,
    target: RecordId,
    reason: &str,
) -> (RecordResult, Vec<Effect>) {
    let mut result = RecordResult::new(rec.client_id, Outcome::Applied);
    let effect = |void_now| Effect::Undo {
        target,
        reason: reason.to_owned(),
        by: rec.staff_id,
        at_ms: rec.at_ms,
        void_now,
    };
    match facts.doses.get(&target).copied() {
        Some((_, center, _)) if center.is_some_and(|c| c != ctx.center) => {
            review(ctx, rec, SyncCode::OtherFacility)
        }
        Some((who, _, true)) => {
            result.beneficiary_id = Some(who);
            (result, Vec::new())
        }
        Some((who, center, false)) => {
            facts.doses.insert(target, (who, center, true));
            let mut undone = None;
            if let Some(p) = facts.people.get_mut(&who) {
                for k in p.doses.iter_mut().filter(|k| k.id == target) {
                    k.voided = true;
                    undone = Some(k.dose);
                }
            }
            // Storage re-opens the appointment the dose completed; a later dose in the same
            // upload must complete it again.
            for a in facts.appointments.values_mut().filter(|a| {
                a.beneficiary == who
                    && Some(a.dose) == undone
                    && a.state == AppointmentState::Completed
            }) {
                a.state = AppointmentState::Booked;
            }
            result.beneficiary_id = Some(who);
            (result, vec![effect(true)])
        }
        None => {
            let mut effects = Vec::new();
            if let std::collections::hash_map::Entry::Vacant(e) = facts.tombstones.entry(target) {
                e.insert(reason.to_owned());
                effects.push(effect(false));
            }
            if let Some(id) = facts.open_reviews.remove(&target) {
                effects.push(Effect::DiscardReview {
                    id,
                    note: format!("Undone at the site: {reason}"),
                });
            }
            (result.with_code(SyncCode::StoredAhead), effects)
        }
    }
}

#[cfg(test)]
mod tests;
