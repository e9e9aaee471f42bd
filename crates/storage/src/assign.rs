//! Assignment of listed people to sessions near their posting or home pincode, in one batch, with the reason for each choice.
//!
//! A run reads its inputs in two queries (the area's listed people with whether they are
//! already booked or vaccinated; the area's active facilities with their sessions in the
//! run's dates), the server decides ([`tika_domain::assign`]), and the result is written in
//! large chunks, one write operation each: the seats are taken with one conditional `UPDATE`
//! per session (never past capacity, even if citizens booked meanwhile: the people who no
//! longer fit stay unassigned, "filled meanwhile"), the appointments are written as a booking
//! writes them with their `appointment.booked` events (so the planner sends the confirmation
//! SMS), and every person gets an `assignments` row with the reason.  People booked or
//! vaccinated before the chunk is written are skipped, so runs never book anyone twice.

use async_trait::async_trait;
use chrono::NaiveDate;
use tika_domain::assign::{Basis, Reason};
use tika_domain::ids::{
    AccountId, AppointmentId, AssignmentRunId, BeneficiaryId, CenterId, DistrictId, SessionId,
    StateId,
};
use tika_domain::session::{SecurityCode, Slot};
use tika_domain::vaccine::VaccineCode;

use crate::{Change, Occupation, StorageResult};

/// Where a run stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunStatus {
    /// Reading, deciding or writing.
    Running,
    /// Finished; every person has a row.
    Done,
    /// Stopped by an error (rows written so far stand; their seats and bookings are real).
    Failed,
}

impl RunStatus {
    /// Stored spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            RunStatus::Running => "running",
            RunStatus::Done => "done",
            RunStatus::Failed => "failed",
        }
    }

    /// Parses the stored spelling.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "running" => Some(RunStatus::Running),
            "done" => Some(RunStatus::Done),
            "failed" => Some(RunStatus::Failed),
            _ => None,
        }
    }
}

/// A run about to start.
#[derive(Debug, Clone)]
pub struct NewAssignmentRun {
    /// Id.
    pub id: AssignmentRunId,
    /// Who started it (`admin:<id>`, `cli`, `bench`).
    pub created_by: String,
    /// The state of the area (`None`: national).
    pub state: Option<StateId>,
    /// The district of the area (`None`: a state or the nation).
    pub district: Option<DistrictId>,
    /// Which pincode people are measured from.
    pub basis: Basis,
    /// First session date considered.
    pub date_from: NaiveDate,
    /// Last session date considered.
    pub date_until: NaiveDate,
    /// Only sessions of this vaccine (`None`: any).
    pub vaccine: Option<VaccineCode>,
    /// The farthest a person is sent, km.
    pub max_km: u32,
    /// Decide and record, but take no seat and book no one.
    pub dry_run: bool,
    /// Now (ms).
    pub now_ms: i64,
}

/// A run as stored.
#[derive(Debug, Clone)]
pub struct AssignmentRun {
    /// Id.
    pub id: AssignmentRunId,
    /// Who started it.
    pub created_by: String,
    /// State of the area.
    pub state: Option<StateId>,
    /// District of the area.
    pub district: Option<DistrictId>,
    /// Basis.
    pub basis: Basis,
    /// First date.
    pub date_from: NaiveDate,
    /// Last date.
    pub date_until: NaiveDate,
    /// Vaccine filter.
    pub vaccine: Option<String>,
    /// Distance limit, km.
    pub max_km: u32,
    /// Whether it took no seats.
    pub dry_run: bool,
    /// Status.
    pub status: RunStatus,
    /// People considered.
    pub people: u64,
    /// People written so far.
    pub processed: u64,
    /// People given an appointment (or who would be, in a dry run).
    pub assigned: u64,
    /// People left without one (not counting those already booked).
    pub unassigned: u64,
    /// People already booked or vaccinated.
    pub already_booked: u64,
    /// Time spent reading, ms.
    pub read_ms: i64,
    /// Time spent deciding, ms.
    pub plan_ms: i64,
    /// Time spent writing, ms.
    pub write_ms: i64,
    /// Failure message (empty when fine).
    pub message: String,
    /// Started (ms).
    pub created_at_ms: i64,
    /// Finished (ms).
    pub finished_at_ms: Option<i64>,
}

/// A listed person of the area, as a run reads them.
#[derive(Debug, Clone)]
pub struct AssignCandidate {
    /// Beneficiary.
    pub beneficiary_id: BeneficiaryId,
    /// Their account (the booking's owner).
    pub account_id: AccountId,
    /// Birth year.
    pub birth_year: i32,
    /// Comorbidity.
    pub comorbidity: bool,
    /// Occupation.
    pub occupation: Occupation,
    /// Posting pincode.
    pub posting_pincode: Option<u32>,
    /// Home pincode.
    pub home_pincode: Option<u32>,
    /// Booked for or given a first dose already.
    pub already_booked: bool,
}

/// A session a run may fill, with its facility's place.
#[derive(Debug, Clone)]
pub struct AssignSession {
    /// Session.
    pub session_id: SessionId,
    /// Facility.
    pub center_id: CenterId,
    /// Facility latitude, when recorded.
    pub lat: Option<f64>,
    /// Facility longitude, when recorded.
    pub lon: Option<f64>,
    /// Facility pincode (its centroid stands in for missing coordinates).
    pub pincode: u32,
    /// Date.
    pub date: NaiveDate,
    /// Vaccine.
    pub vaccine: VaccineCode,
    /// Youngest age.
    pub min_age: u8,
    /// Oldest age.
    pub max_age: Option<u8>,
    /// First-dose capacity.
    pub capacity: u32,
    /// First-dose seats taken.
    pub booked: u32,
    /// Slots.
    pub slots: Vec<Slot>,
}

/// A seat a run decided to give.
#[derive(Debug, Clone)]
pub struct AssignedSeat {
    /// Session.
    pub session_id: SessionId,
    /// Facility.
    pub center_id: CenterId,
    /// Slot.
    pub slot: Slot,
    /// The booking id the person is told.
    pub booking_id: AppointmentId,
    /// The appointment's security code.
    pub security_code: SecurityCode,
}

/// One person's result, to write.
#[derive(Debug, Clone)]
pub struct AssignmentWrite {
    /// Position in the priority order (0 first).
    pub seq: i64,
    /// Beneficiary.
    pub beneficiary_id: BeneficiaryId,
    /// Their account.
    pub account_id: AccountId,
    /// Why.
    pub reason: Reason,
    /// The seat, when assigned.
    pub seat: Option<AssignedSeat>,
    /// Distance, metres (when assigned).
    pub distance_m: Option<i64>,
    /// Nearer facilities without a fitting free seat.
    pub nearer_full: u32,
    /// The reason's numbers, JSON object (e.g. `{"km":12}`), for the page.
    pub params: String,
}

/// What writing a chunk did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ChunkOutcome {
    /// People booked.
    pub assigned: u64,
    /// People left without a booking (including those whose session filled meanwhile).
    pub unassigned: u64,
    /// People found booked or vaccinated (before the run, or meanwhile).
    pub already_booked: u64,
    /// People whose session filled before their seat was written.
    pub filled_meanwhile: u64,
    /// Sessions whose seats changed.
    pub sessions: Vec<SessionId>,
}

/// One person's row of a run, as pages show it.
#[derive(Debug, Clone)]
pub struct AssignmentView {
    /// The run.
    pub run_id: AssignmentRunId,
    /// Position in the priority order.
    pub seq: i64,
    /// Beneficiary.
    pub beneficiary_id: BeneficiaryId,
    /// The beneficiary's public reference id.
    pub reference_id: String,
    /// Birth year.
    pub birth_year: i32,
    /// Session.
    pub session_id: Option<SessionId>,
    /// Facility.
    pub center_id: Option<CenterId>,
    /// Facility name.
    pub center_name: Option<String>,
    /// Session date.
    pub date: Option<NaiveDate>,
    /// Slot.
    pub slot: Option<String>,
    /// Distance, metres.
    pub distance_m: Option<i64>,
    /// Nearer facilities without a fitting free seat.
    pub nearer_full: u32,
    /// Reason code.
    pub reason: Reason,
    /// Reason numbers (JSON object).
    pub params: String,
    /// The booking made.
    pub booking_id: Option<AppointmentId>,
}

/// The storage of this module; part of [`crate::Store`].
#[async_trait]
pub trait AssignStore: Send + Sync {
    /// Records a new run (status running).
    async fn create_assignment_run(&self, run: &NewAssignmentRun) -> StorageResult<()>;

    /// The listed people of an area (`state`/`district` `None`: any), not deleted, each with
    /// whether they already have a first-dose booking or dose.  One query.
    async fn assignment_candidates(
        &self,
        state: Option<StateId>,
        district: Option<DistrictId>,
    ) -> StorageResult<Vec<AssignCandidate>>;

    /// The active sessions (with first-dose seats) of the area's active facilities between
    /// two dates, optionally of one vaccine, ordered by facility and date.  One query.
    async fn assignment_sessions(
        &self,
        state: Option<StateId>,
        district: Option<DistrictId>,
        from: NaiveDate,
        until: NaiveDate,
        vaccine: Option<&VaccineCode>,
    ) -> StorageResult<Vec<AssignSession>>;

    /// Sets the number of people a run considers (before writing).
    async fn set_assignment_run_people(
        &self,
        run: AssignmentRunId,
        people: u64,
        read_ms: i64,
        plan_ms: i64,
    ) -> StorageResult<()>;

    /// Writes a chunk of a run's results in one transaction: skips people booked or vaccinated
    /// meanwhile, takes the seats per session without ever overbooking (people who no longer
    /// fit become "filled meanwhile"), writes appointments and `appointment.booked` events
    /// (unless `dry_run`), the `assignments` rows, and the run's counts.
    async fn write_assignments(
        &self,
        run: AssignmentRunId,
        rows: Vec<AssignmentWrite>,
        policy_version: &str,
        dry_run: bool,
        now_ms: i64,
    ) -> StorageResult<ChunkOutcome>;

    /// Ends a run (done or failed, with a message), with its audit entry, in one transaction.
    async fn finish_assignment_run(
        &self,
        run: AssignmentRunId,
        status: RunStatus,
        message: &str,
        write_ms: i64,
        audit: &Change,
        now_ms: i64,
    ) -> StorageResult<()>;

    /// One run.
    async fn assignment_run(&self, run: AssignmentRunId) -> StorageResult<AssignmentRun>;

    /// The latest runs (newest first), of a state or district (`None`: any).
    async fn list_assignment_runs(
        &self,
        state: Option<StateId>,
        district: Option<DistrictId>,
        limit: u32,
    ) -> StorageResult<Vec<AssignmentRun>>;

    /// A run's rows in priority order from `after_seq` (exclusive), optionally of one reason.
    async fn list_assignments(
        &self,
        run: AssignmentRunId,
        reason: Option<Reason>,
        after_seq: Option<i64>,
        limit: u32,
    ) -> StorageResult<Vec<AssignmentView>>;

    /// Every run's row for one person (newest run first).
    async fn person_assignments(
        &self,
        beneficiary: BeneficiaryId,
    ) -> StorageResult<Vec<AssignmentView>>;
}
