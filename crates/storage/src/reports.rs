//! Reports: doses counted into roll-ups, report queries answered from them, targets, and the
//! counts of session reports.
//!
//! Doses are counted by [`ReportStore::fold_doses`], not by the statements that record them.
//! Every dose row is born "pending" (a column default, so every path that inserts a dose is
//! covered), and an undo or a merge marks it pending again.  One fold round, in one
//! transaction, reads pending doses, subtracts the key each was counted under before (stored on
//! the dose), adds the key of each live dose (`tika_domain::reports::RollupKey::for_dose`,
//! with the priority group from the caller's [`PriorityClassifier`]), updates the counters of
//! every grain, and the people-waiting-for-a-second-dose counters, and stores the new keys.
//! So a void subtracts exactly what was added, and the counters always equal a recount of the
//! counted doses ([`ReportStore::counted_doses`]); the contract suite checks both.
//!
//! A report ([`ReportStore::report`]) reads the smallest counter table that has every dimension
//! its filter and grouping use (state, district or facility level; by day, or by month for the
//! part of a cumulative figure before the report's first month; every dimension or only
//! vaccine and dose) and hands the sums to `tika_domain::reports::aggregate`, so day series,
//! zero days and cumulative figures follow the one reference definition.  A facility- or
//! block-level question about age, gender, priority group, facility type or setting has no
//! counter table at that grain; it is answered from the keys stored on the area's doses (a
//! block has thousands of doses, not millions).

use std::sync::Arc;

use async_trait::async_trait;
use chrono::NaiveDate;
use tika_domain::admin::Area;
use tika_domain::beneficiary::BirthYear;
use tika_domain::ids::{BeneficiaryId, CenterId, SessionId, VaccinationId};
use tika_domain::policy::Occupation;
use tika_domain::reports::{
    PendingSecondKey, ReportQuery, ReportRow, RollupKey, SessionCounts, Target,
};
use tika_domain::vaccine::{DoseNumber, VaccineCode};

use crate::{Change, StorageResult};

/// What the priority-group rule needs to know about a dose's person (the policy in force on
/// the dose's day decides; storage does not know policies).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FoldFacts {
    /// The day of the dose.
    pub date: NaiveDate,
    /// Birth year.
    pub birth_year: BirthYear,
    /// Whether the person has a recorded comorbidity.
    pub comorbidity: bool,
    /// The occupation an uploaded list gave, if the person is listed.
    pub occupation: Option<Occupation>,
}

/// Gives a dose's priority group code (`tika_domain::reports::priority_group_code` under the
/// policy in force on the day).
pub type PriorityClassifier = Arc<dyn Fn(&FoldFacts) -> Option<String> + Send + Sync>;

/// What one fold round did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct FoldOutcome {
    /// Pending doses handled.
    pub doses: u32,
    /// Of those, counted now (live, with a facility).
    pub counted: u32,
    /// Of those, taken out of the counters (voided, or re-keyed by a merge: both out and in).
    pub uncounted: u32,
    /// Whether more pending doses were left for the next round.
    pub more: bool,
}

/// A session in a facility's session report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionCountsRow {
    /// Session.
    pub session: SessionId,
    /// Its day.
    pub date: NaiveDate,
    /// Its vaccine code.
    pub vaccine: String,
    /// Cancelled sessions are listed too.
    pub cancelled: bool,
    /// The counts.
    pub counts: SessionCounts,
}

/// A person created by `tika simulate campaign` (and the report benchmark): only what the
/// roll-up needs.  The name, mobile and photo id are synthetic and marked as such.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimulatedPerson {
    /// Id.
    pub id: BeneficiaryId,
    /// Birth year.
    pub birth_year: BirthYear,
    /// Gender id.
    pub gender_id: i64,
}

/// A dose written by the simulator as a real dose row (counted by the next fold like any other).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SimulatedDose {
    /// Id.
    pub id: VaccinationId,
    /// The person (created in the same or an earlier call).
    pub beneficiary: BeneficiaryId,
    /// Dose number.
    pub dose: DoseNumber,
    /// Vaccine.
    pub vaccine: VaccineCode,
    /// Day given.
    pub date: NaiveDate,
    /// Facility (must exist).
    pub center: CenterId,
}

/// The reports' persistence.
#[async_trait]
pub trait ReportStore: Send + Sync {
    /// Folds up to `limit` pending doses into the counters (see the module documentation), in
    /// one transaction.  Idempotent: a dose is handled once per change.
    async fn fold_doses(
        &self,
        limit: u32,
        classify: PriorityClassifier,
    ) -> StorageResult<FoldOutcome>;

    /// How many doses wait to be counted.
    async fn pending_doses(&self) -> StorageResult<u64>;

    /// The rows of a report, `coverage_percent` unset: equal to
    /// `tika_domain::reports::aggregate` over [`ReportStore::counted_doses`].
    async fn report(&self, query: &ReportQuery) -> StorageResult<Vec<ReportRow>>;

    /// The counted doses of an area, recounted from the keys stored on the doses (every day):
    /// what the counters must equal.
    async fn counted_doses(&self, area: &Area) -> StorageResult<Vec<(RollupKey, i64)>>;

    /// People waiting for their second dose in an area, at the grain its per-area breakdown
    /// needs (for the nation: per state; a state: per district; below: per facility).  Fields
    /// finer than the grain are zero or empty.
    async fn pending_second(&self, area: &Area) -> StorageResult<Vec<(PendingSecondKey, i64)>>;

    /// Replaces every target with an upload's, with the official's audit entry, in one
    /// transaction.
    async fn replace_targets(
        &self,
        targets: &[Target],
        audit: &Change,
        now_ms: i64,
    ) -> StorageResult<()>;

    /// The targets in force.
    async fn targets(&self) -> StorageResult<Vec<Target>>;

    /// The counts of one session's report; `NotFound` for an unknown session.
    async fn session_counts(&self, session: SessionId) -> StorageResult<SessionCountsRow>;

    /// The session reports of a facility's sessions on `from..=until`, by date.
    async fn facility_session_counts(
        &self,
        center: CenterId,
        from: NaiveDate,
        until: NaiveDate,
    ) -> StorageResult<Vec<SessionCountsRow>>;

    /// Facility names (English and local) for report labels; unknown ids are left out.
    async fn center_names(
        &self,
        ids: &[CenterId],
    ) -> StorageResult<Vec<(CenterId, String, String)>>;

    /// Adds counts straight into the counters, without dose rows: **only** for
    /// `tika simulate campaign`, which generates the counters of a national campaign too large
    /// to keep as rows on one machine.  The invariant "counters equal a recount" does not hold
    /// for a database this has written to.
    async fn add_simulated_counts(
        &self,
        doses: &[(RollupKey, i64)],
        pending: &[(PendingSecondKey, i64)],
    ) -> StorageResult<()>;

    /// Writes simulated people (under one synthetic account per call) and their doses as real
    /// rows, in one transaction: **only** for `tika simulate campaign`, the demo and the
    /// benchmark's steady stream of doses.  The doses are pending like any recorded dose.
    async fn insert_simulated_doses(
        &self,
        people: &[SimulatedPerson],
        doses: &[SimulatedDose],
        now_ms: i64,
    ) -> StorageResult<()>;
}
