//! Bulk lists of people: uploads (CSV/XLSX) checked row by row, imported idempotently on the
//! row's ID, with progress and an error report.
//!
//! The contract other modules rely on (assignment reads `listed_people`): a listed person is a
//! beneficiary (with its account, found or created by mobile) plus a `listed_people` row keyed
//! by `list_key`, the row's ID (photo id type and keyed hash of the number).  Storing the same
//! key again updates the person and never creates a second one.

use async_trait::async_trait;
use tika_domain::admin::Area;
use tika_domain::ids::{BeneficiaryId, BeneficiaryRef, CenterId, DistrictId, ImportId, StateId};
use tika_domain::mobile::Mobile;

use crate::{Change, NewBeneficiaryRecord, StorageResult};

/// The most beneficiaries one mobile may hold when the caller does not say (the India pack's
/// `max_beneficiaries_per_mobile`); the console and the CLI pass the configured value.
pub const DEFAULT_MAX_PER_MOBILE: u32 = 4;

/// What a person does, as a list says; which occupations come first is the policy's business.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Occupation {
    /// Health care worker.
    HealthWorker,
    /// Frontline worker (police, sanitation, …).
    FrontlineWorker,
    /// Anyone else.
    Other,
}

impl Occupation {
    /// The stored text (`health_worker`, `frontline_worker`, `other`).
    pub fn as_str(self) -> &'static str {
        match self {
            Occupation::HealthWorker => "health_worker",
            Occupation::FrontlineWorker => "frontline_worker",
            Occupation::Other => "other",
        }
    }

    /// Parses the stored text.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "health_worker" => Some(Occupation::HealthWorker),
            "frontline_worker" => Some(Occupation::FrontlineWorker),
            "other" => Some(Occupation::Other),
            _ => None,
        }
    }
}

/// One person of a list, parsed and checked, ready to store.
#[derive(Debug, Clone)]
pub struct ListedPersonRecord {
    /// The row's ID: `<photo id type>:<keyed hash>`; the idempotency key.
    pub list_key: String,
    /// The mobile the account is found or created by.
    pub mobile: Mobile,
    /// The beneficiary (its `id`, `reference_id` and `account_id` are used only when the
    /// person is new; an existing person keeps theirs).
    pub beneficiary: NewBeneficiaryRecord,
    /// Occupation.
    pub occupation: Occupation,
    /// Employer (may be empty).
    pub employer: String,
    /// Employee id at the employer (may be empty).
    pub employee_id: String,
    /// The facility the person is posted at, if any.
    pub posting_center: Option<CenterId>,
    /// Posting pincode.
    pub posting_pincode: Option<u32>,
    /// Home pincode.
    pub home_pincode: Option<u32>,
    /// State (of the posting, else of home).
    pub state: StateId,
    /// District (of the posting, else of home).
    pub district: DistrictId,
}

/// What storing a chunk of listed people did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UpsertOutcome {
    /// New people.
    pub inserted: u64,
    /// People whose details changed.
    pub updated: u64,
    /// People stored before with the same details.
    pub unchanged: u64,
    /// Rows refused by the database's rules, by index in the chunk, with the reason (e.g. the
    /// mobile already has the most beneficiaries allowed); nothing of them is written.
    pub refused: Vec<(usize, String)>,
}

/// Where an upload stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportStatus {
    /// Rows are being read and stored.
    Running,
    /// Every row was looked at (some may have failed: see the counts and the report).
    Done,
    /// The import stopped part way (the committed chunks stay); re-running completes it.
    Failed,
}

impl ImportStatus {
    /// The stored text.
    pub fn as_str(self) -> &'static str {
        match self {
            ImportStatus::Running => "running",
            ImportStatus::Done => "done",
            ImportStatus::Failed => "failed",
        }
    }

    /// Parses the stored text.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "running" => Some(ImportStatus::Running),
            "done" => Some(ImportStatus::Done),
            "failed" => Some(ImportStatus::Failed),
            _ => None,
        }
    }
}

/// An upload to start.
#[derive(Debug, Clone)]
pub struct NewImportJob {
    /// Id.
    pub id: ImportId,
    /// `people` (or `survey`).
    pub kind: String,
    /// The file name as uploaded.
    pub file_name: String,
    /// SHA-256 of the file (hex).
    pub file_sha256: String,
    /// `admin:<id>` or `cli`.
    pub created_by: String,
    /// The uploader's state (`None`: national).
    pub state: Option<StateId>,
    /// The uploader's district (`None`: national or state).
    pub district: Option<DistrictId>,
    /// Data rows in the file.
    pub total_rows: u64,
    /// When (ms).
    pub created_at_ms: i64,
}

/// The counts of an upload so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ImportCounts {
    /// Rows looked at.
    pub processed: u64,
    /// New people.
    pub inserted: u64,
    /// People changed.
    pub updated: u64,
    /// People already stored with the same details.
    pub unchanged: u64,
    /// Rows refused (see the error report).
    pub failed: u64,
}

/// An upload as stored (without its error report).
#[derive(Debug, Clone)]
pub struct ImportJob {
    /// Id.
    pub id: ImportId,
    /// `people` (or `survey`).
    pub kind: String,
    /// The file name as uploaded.
    pub file_name: String,
    /// SHA-256 of the file (hex).
    pub file_sha256: String,
    /// `admin:<id>` or `cli`.
    pub created_by: String,
    /// The uploader's state.
    pub state: Option<StateId>,
    /// The uploader's district.
    pub district: Option<DistrictId>,
    /// Status.
    pub status: ImportStatus,
    /// Data rows in the file.
    pub total_rows: u64,
    /// Counts so far.
    pub counts: ImportCounts,
    /// Why it failed, or a summary.
    pub message: String,
    /// When it started (ms).
    pub created_at_ms: i64,
    /// When it ended (ms).
    pub finished_at_ms: Option<i64>,
}

/// A listed person, for the console's list.
#[derive(Debug, Clone)]
pub struct ListedPerson {
    /// The beneficiary.
    pub beneficiary_id: BeneficiaryId,
    /// Its reference id.
    pub reference_id: BeneficiaryRef,
    /// Name.
    pub name: String,
    /// Occupation.
    pub occupation: Occupation,
    /// Employer.
    pub employer: String,
    /// Posting facility.
    pub posting_center: Option<CenterId>,
    /// Posting pincode.
    pub posting_pincode: Option<u32>,
    /// Home pincode.
    pub home_pincode: Option<u32>,
    /// State.
    pub state: StateId,
    /// District.
    pub district: DistrictId,
    /// Last change (ms).
    pub updated_at_ms: i64,
}

/// The storage of bulk lists; part of [`crate::Store`].
#[async_trait]
pub trait BulkStore: Send + Sync {
    /// Stores a chunk of listed people in one transaction (found by `list_key`: inserted,
    /// updated or unchanged), tagging them with the upload they came from; a mobile holds at
    /// most [`DEFAULT_MAX_PER_MOBILE`] beneficiaries.
    async fn upsert_listed_people(
        &self,
        import: Option<ImportId>,
        rows: Vec<ListedPersonRecord>,
        now_ms: i64,
    ) -> StorageResult<UpsertOutcome> {
        self.upsert_listed_people_capped(import, rows, DEFAULT_MAX_PER_MOBILE, now_ms).await
    }

    /// [`upsert_listed_people`](Self::upsert_listed_people) with the most beneficiaries a
    /// mobile may hold: a new person whose mobile is full is refused (in `refused`).  A person
    /// a citizen registered with the same photo id becomes listed (no second beneficiary; their
    /// own details stay) and counts as updated.  A key twice in one chunk: the later is refused.
    async fn upsert_listed_people_capped(
        &self,
        import: Option<ImportId>,
        rows: Vec<ListedPersonRecord>,
        max_per_mobile: u32,
        now_ms: i64,
    ) -> StorageResult<UpsertOutcome>;

    /// Starts an upload (status running).
    async fn create_import_job(&self, job: &NewImportJob) -> StorageResult<()>;

    /// Records an upload's progress.
    async fn update_import_progress(
        &self,
        id: ImportId,
        counts: &ImportCounts,
    ) -> StorageResult<()>;

    /// Ends an upload with its counts, error report (CSV) and message, writing `change` (the
    /// audit entry) in the same transaction.
    #[allow(clippy::too_many_arguments)]
    async fn finish_import_job(
        &self,
        id: ImportId,
        status: ImportStatus,
        counts: &ImportCounts,
        error_report: String,
        message: String,
        now_ms: i64,
        change: Option<Change>,
    ) -> StorageResult<()>;

    /// One upload ([`crate::StorageError::NotFound`] if none).
    async fn find_import_job(&self, id: ImportId) -> StorageResult<ImportJob>;

    /// An upload's error report (CSV).
    async fn import_error_report(&self, id: ImportId) -> StorageResult<String>;

    /// Uploads made inside `area` (national uploads only for the national area), newest first.
    async fn list_import_jobs(&self, area: &Area, limit: u32) -> StorageResult<Vec<ImportJob>>;

    /// How many listed people live or are posted inside `area` (by their district).
    async fn count_listed_people(&self, area: &Area) -> StorageResult<u64>;

    /// Listed people inside `area`, most recently changed first.
    async fn list_listed_people(&self, area: &Area, limit: u32)
    -> StorageResult<Vec<ListedPerson>>;
}
