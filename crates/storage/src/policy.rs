//! The campaign policy as versioned data (phases, priority groups, eligibility, dose intervals)
//! changed from the console with an effective date; surveys of comorbidities.
//!
//! The store keeps the console's versions as JSON bodies (the server parses them into
//! `tika_domain::country::Policy` and merges them with the pack's); it refuses a second version
//! with the same label or the same effective date.  A survey is stored with its audit entry in
//! the same transaction, and sets `beneficiaries.comorbidity` to whether it found any condition.

use async_trait::async_trait;
use chrono::NaiveDate;
use tika_domain::admin::Place;
use tika_domain::ids::{BeneficiaryId, DistrictId, StateId, SurveyId};
use tika_domain::policy::Occupation;

use crate::{Change, StorageResult};

/// A policy version made in the console.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PolicyVersionRecord {
    /// Label (unique, also among the pack's versions: the server checks those).
    pub version: String,
    /// First day in force (unique).
    pub effective_from: NaiveDate,
    /// The version as JSON.
    pub body: String,
    /// The version it was started from.
    pub based_on: Option<String>,
    /// `admin:<id>`.
    pub created_by: String,
    /// When (ms).
    pub created_at_ms: i64,
    /// Why.
    pub note: String,
}

/// What adding a version did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AddVersionOutcome {
    /// Stored, with its audit entry.
    Added,
    /// Another version has this label.
    VersionTaken,
    /// Another version takes effect on this date.
    DateTaken,
}

/// How a survey arrived.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SurveySource {
    /// The console's form.
    Form,
    /// A CSV upload.
    Csv,
}

impl SurveySource {
    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            SurveySource::Form => "form",
            SurveySource::Csv => "csv",
        }
    }
}

/// A survey to store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewSurvey {
    /// Id.
    pub id: SurveyId,
    /// Who was surveyed.
    pub beneficiary_id: BeneficiaryId,
    /// Condition codes (the pack's list); empty: none found.
    pub comorbidities: Vec<String>,
    /// Free notes.
    pub notes: String,
    /// The surveyor's name.
    pub surveyor: String,
    /// `admin:<id>`.
    pub created_by: String,
    /// Form or CSV.
    pub source: SurveySource,
    /// State where the person was found.
    pub state: Option<StateId>,
    /// District where the person was found.
    pub district: Option<DistrictId>,
    /// When (ms).
    pub created_at_ms: i64,
}

/// A stored survey, with the person's reference id.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SurveyRecord {
    /// The survey.
    pub survey: NewSurvey,
    /// The person's reference id.
    pub reference_id: String,
}

/// Which surveys to list (newest first).
#[derive(Debug, Clone, Default)]
pub struct SurveyFilter {
    /// Only this state.
    pub state: Option<StateId>,
    /// Only this district.
    pub district: Option<DistrictId>,
    /// Only those recorded by this actor.
    pub created_by: Option<String>,
    /// Page size.
    pub limit: u32,
}

/// A person a survey can be recorded for, found by reference id, with the places they are
/// known at: where listed (district, posting) and the facilities of their bookings and doses.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SurveyTarget {
    /// Id.
    pub beneficiary_id: BeneficiaryId,
    /// Reference id.
    pub reference_id: String,
    /// Birth year.
    pub birth_year: i32,
    /// Whether a comorbidity is recorded now.
    pub comorbidity: bool,
    /// Places the person is known at (deduplicated).
    pub places: Vec<Place>,
}

/// The storage of this module; part of [`crate::Store`].
#[async_trait]
pub trait PolicyStore: Send + Sync {
    /// Adds a console version with its audit entry (one transaction); a taken label or date
    /// is reported, nothing written.
    async fn add_policy_version(
        &self,
        version: &PolicyVersionRecord,
        audit: &Change,
    ) -> StorageResult<AddVersionOutcome>;

    /// Every console version, by effective date.
    async fn list_policy_versions(&self) -> StorageResult<Vec<PolicyVersionRecord>>;

    /// Stores surveys, each with its audit entry, all in one transaction, and sets each
    /// person's `comorbidity` to whether their survey found a condition (the last one given
    /// for a person wins).
    async fn record_surveys(&self, surveys: &[(NewSurvey, Change)]) -> StorageResult<()>;

    /// Surveys, newest first.
    async fn list_surveys(&self, filter: &SurveyFilter) -> StorageResult<Vec<SurveyRecord>>;

    /// The people with these reference ids (unknown or deleted ones are left out).
    async fn survey_targets(&self, reference_ids: &[String]) -> StorageResult<Vec<SurveyTarget>>;

    /// The occupations lists gave these people (people not listed are left out).
    async fn occupations_of(
        &self,
        ids: &[BeneficiaryId],
    ) -> StorageResult<Vec<(BeneficiaryId, Occupation)>>;
}
