//! Tika's persistence: one `Store` contract, implemented for SQLite and PostgreSQL.
//!
//! This is the only crate that knows SQL or table names.  The backend is chosen once, from the
//! URL scheme (`sqlite:` or `postgres:`), by [`connect`].  Both backends share one sqlx
//! implementation (runtime-checked queries over `sqlx::Any`, `$n` placeholders) with a small
//! [`Backend`] switch where the dialects differ; the contract suite in `tests/contract.rs` runs
//! every behaviour on both.
//!
//! Writes go through a group-commit [`writer`]: one task batches concurrent write operations
//! into one transaction (a savepoint each), so durability stays at `synchronous=FULL` /
//! `synchronous_commit=on` while throughput comes from sharing the fsync.

mod records;
mod sql;
pub mod writer;

pub use records::*;
pub use sql::{SqlStore, connect};

use async_trait::async_trait;
use chrono::NaiveDate;
use tika_domain::country::CountryPack;
use tika_domain::ids::{
    AccountId, AppointmentId, BeneficiaryId, BeneficiaryRef, CenterId, OtpTxnId, ReviewId,
    SessionId, StaffId, UploadKey,
};
use tika_domain::mobile::Mobile;
use tika_domain::staff::Username;

/// The database family behind a store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// Embedded SQLite file (the default).
    Sqlite,
    /// PostgreSQL server (scale-out).
    Postgres,
}

impl Backend {
    /// Picks the backend from a database URL's scheme, and nothing else.
    pub fn from_url(url: &str) -> Result<Self, StorageError> {
        if url.starts_with("sqlite:") {
            Ok(Backend::Sqlite)
        } else if url.starts_with("postgres:") || url.starts_with("postgresql:") {
            Ok(Backend::Postgres)
        } else {
            Err(StorageError::Config("database URL must start with sqlite: or postgres:".into()))
        }
    }

    /// A short name for logs and metrics.
    pub fn name(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
}

/// A business rule the database itself enforced.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConflictKind {
    /// No capacity left for the dose in the session.
    SessionFull,
    /// The session is cancelled or does not exist any more.
    SessionClosed,
    /// The beneficiary already holds an active booking for this dose.
    AlreadyBooked,
    /// Another beneficiary holds the same photo id.
    DuplicatePhotoId,
    /// The account has its maximum number of beneficiaries.
    TooManyBeneficiaries,
    /// The beneficiary has an active appointment or a recorded dose.
    BeneficiaryInUse,
    /// The appointment is not in a state that allows the change.
    AppointmentNotChangeable,
    /// The dose is already recorded.
    DoseAlreadyRecorded,
    /// The username is taken.
    UsernameTaken,
    /// The batch is already issued to the facility.
    BatchExists,
    /// The review item is already resolved, or cannot be accepted.
    ReviewClosed,
}

/// Why a storage call failed.  Never carries personal data.
#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    /// The thing asked for does not exist.
    #[error("not found")]
    NotFound,
    /// A rule held by the database refused the write.
    #[error("conflict: {0:?}")]
    Conflict(ConflictKind),
    /// The database cannot be reached or is overloaded (pool timeout, closed writer).
    #[error("database unavailable: {0}")]
    Unavailable(String),
    /// Bad configuration (URL, options).
    #[error("database configuration: {0}")]
    Config(String),
    /// Anything else.
    #[error(transparent)]
    Other(#[from] anyhow::Error),
}

impl StorageError {
    /// Wraps an sqlx error, classifying pool and IO failures as unavailability.
    pub(crate) fn from_sqlx(e: sqlx::Error) -> Self {
        match e {
            sqlx::Error::RowNotFound => StorageError::NotFound,
            sqlx::Error::PoolTimedOut | sqlx::Error::PoolClosed | sqlx::Error::Io(_) => {
                StorageError::Unavailable(e.to_string())
            }
            other => StorageError::Other(anyhow::Error::new(other)),
        }
    }
}

/// Result alias for storage calls.
pub type StorageResult<T> = Result<T, StorageError>;

/// The persistence contract every backend fulfils.
#[async_trait]
pub trait Store: Send + Sync + 'static {
    /// Which backend this is.
    fn backend(&self) -> Backend;

    /// Checks the database answers (for `/readyz`).
    async fn ping(&self) -> StorageResult<()>;

    // --- places and sessions -------------------------------------------------------------

    /// Inserts centres (bulk; demo data and imports).  Existing ids are left unchanged.
    async fn insert_centers(&self, centers: &[NewCenter]) -> StorageResult<u64>;
    /// Inserts sessions (bulk).  Existing ids are left unchanged.
    async fn insert_sessions(&self, sessions: &[NewSession]) -> StorageResult<u64>;
    /// How many centres exist.
    async fn count_centers(&self) -> StorageResult<u64>;
    /// Every active centre.
    async fn list_centers(&self) -> StorageResult<Vec<Center>>;
    /// One centre.
    async fn find_center(&self, id: CenterId) -> StorageResult<Center>;
    /// Active sessions with dates in `[from, to]`.
    async fn list_sessions(&self, from: NaiveDate, to: NaiveDate) -> StorageResult<Vec<Session>>;
    /// Sessions (any status) changed at or after `since_ms` with dates in `[from, to]`.
    async fn sessions_changed_since(
        &self,
        since_ms: i64,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StorageResult<Vec<Session>>;
    /// One session.
    async fn find_session(&self, id: SessionId) -> StorageResult<Session>;

    // --- accounts and OTP ----------------------------------------------------------------

    /// Finds or creates the account of a mobile; `true` when it was created now.
    async fn upsert_account(&self, mobile: &Mobile, now_ms: i64) -> StorageResult<(Account, bool)>;
    /// One account.
    async fn find_account(&self, id: AccountId) -> StorageResult<Account>;
    /// Remembers the account's language.
    async fn set_account_language(&self, id: AccountId, language: &str) -> StorageResult<()>;
    /// Stores a new OTP transaction.
    async fn create_otp(&self, otp: &NewOtp) -> StorageResult<()>;
    /// How many OTPs a mobile was sent since a time.
    async fn count_otps_since(&self, mobile: &Mobile, since_ms: i64) -> StorageResult<u64>;
    /// One OTP transaction.
    async fn find_otp(&self, id: OtpTxnId) -> StorageResult<OtpTxn>;
    /// Counts a wrong try.
    async fn record_otp_failure(&self, id: OtpTxnId) -> StorageResult<()>;
    /// Marks the OTP used, failing with `NotFound` if it was used concurrently.
    async fn consume_otp(&self, id: OtpTxnId) -> StorageResult<()>;

    // --- beneficiaries -------------------------------------------------------------------

    /// Registers a beneficiary under an account, enforcing the per-mobile maximum and
    /// photo-id uniqueness atomically.
    async fn create_beneficiary(
        &self,
        new: &NewBeneficiaryRecord,
        max_per_account: u32,
    ) -> StorageResult<Beneficiary>;
    /// The account's beneficiaries (not deleted), oldest first.
    async fn list_beneficiaries(&self, account: AccountId) -> StorageResult<Vec<Beneficiary>>;
    /// A beneficiary by reference id (not deleted).
    async fn find_beneficiary_by_ref(
        &self,
        reference: &BeneficiaryRef,
    ) -> StorageResult<Beneficiary>;
    /// Beneficiaries by id (not deleted), in no particular order.
    async fn find_beneficiaries(&self, ids: &[BeneficiaryId]) -> StorageResult<Vec<Beneficiary>>;
    /// Deletes a beneficiary of the account unless it has an active appointment or a dose.
    async fn delete_beneficiary(
        &self,
        account: AccountId,
        id: BeneficiaryId,
        now_ms: i64,
    ) -> StorageResult<()>;

    // --- vaccination history -------------------------------------------------------------

    /// Doses recorded for some beneficiaries.
    async fn list_vaccinations(
        &self,
        beneficiaries: &[BeneficiaryId],
    ) -> StorageResult<Vec<Vaccination>>;
    /// Records a dose (and completes the matching booked appointment, if any).
    async fn record_vaccination(&self, v: &NewVaccination) -> StorageResult<()>;

    // --- appointments --------------------------------------------------------------------

    /// Appointments (any status) of some beneficiaries, newest first.
    async fn list_appointments(
        &self,
        beneficiaries: &[BeneficiaryId],
    ) -> StorageResult<Vec<Appointment>>;
    /// The rows of one booking (one per beneficiary).
    async fn find_booking(&self, booking: AppointmentId) -> StorageResult<Vec<Appointment>>;
    /// Books a session for one or more beneficiaries atomically: capacity taken and rows written,
    /// or nothing.
    async fn book(&self, booking: &NewBooking) -> StorageResult<()>;
    /// Moves a booking's active rows to another session and slot atomically.
    async fn reschedule(&self, change: &Reschedule) -> StorageResult<()>;
    /// Cancels some (or all, when empty) active rows of a booking and returns their capacity.
    /// Returns how many rows were cancelled.
    async fn cancel(
        &self,
        booking: AppointmentId,
        beneficiaries: &[BeneficiaryId],
        now_ms: i64,
    ) -> StorageResult<u64>;

    // --- vaccination sites ---------------------------------------------------------------

    /// Creates a staff member (`Conflict(UsernameTaken)` if the username exists).
    async fn create_staff(&self, new: &NewStaff) -> StorageResult<Staff>;
    /// A staff member by username (active or not).
    async fn find_staff_by_username(&self, username: &Username) -> StorageResult<Staff>;
    /// A staff member by id.
    async fn find_staff(&self, id: StaffId) -> StorageResult<Staff>;
    /// The staff of a facility.
    async fn list_staff(&self, center: CenterId) -> StorageResult<Vec<Staff>>;
    /// Stores the login counters after a login attempt.
    async fn set_login_state(
        &self,
        id: StaffId,
        failed_logins: u32,
        locked_until_ms: i64,
    ) -> StorageResult<()>;
    /// Issues a batch to a facility (`Conflict(BatchExists)` if already issued there).
    async fn issue_batch(&self, batch: &Batch) -> StorageResult<()>;
    /// The batches issued to a facility.
    async fn list_batches(&self, center: CenterId) -> StorageResult<Vec<Batch>>;
    /// A facility's sessions (any status) on a date.
    async fn list_center_sessions(
        &self,
        center: CenterId,
        date: NaiveDate,
    ) -> StorageResult<Vec<Session>>;
    /// The people booked into a session (any status), by slot and name.
    async fn session_roster(&self, session: SessionId) -> StorageResult<Vec<RosterEntry>>;
    /// The doses recorded in a session, undone ones included.
    async fn session_doses(&self, session: SessionId) -> StorageResult<Vec<SiteDose>>;
    /// The arrivals recorded in a session.
    async fn session_arrivals(&self, session: SessionId) -> StorageResult<Vec<Arrival>>;
    /// The saved answer of an upload, if its key was seen: `(body hash, answer)`.
    async fn find_upload(&self, key: UploadKey) -> StorageResult<Option<(String, String)>>;
    /// Applies an upload atomically under the sync rules, exactly once per record and per key.
    async fn apply_upload(
        &self,
        upload: &SyncUpload,
        pack: std::sync::Arc<CountryPack>,
    ) -> StorageResult<UploadOutcome>;
    /// Review items matching a filter, oldest first.
    async fn list_reviews(&self, filter: &ReviewFilter) -> StorageResult<Vec<ReviewItem>>;
    /// One review item.
    async fn find_review(&self, id: ReviewId) -> StorageResult<ReviewItem>;
    /// Resolves an open review item (`Conflict(ReviewClosed)` if it is not open or cannot be
    /// accepted).
    async fn resolve_review(
        &self,
        id: ReviewId,
        action: ReviewAction,
        note: &str,
        resolved_by: &str,
        now_ms: i64,
        pack: std::sync::Arc<CountryPack>,
    ) -> StorageResult<ReviewItem>;
    /// Writes an access-log entry.
    async fn log_access(&self, entry: &AccessEntry) -> StorageResult<()>;
    /// The access log of a facility, newest first.
    async fn list_access(&self, center: CenterId, limit: u32) -> StorageResult<Vec<AccessEntry>>;
    /// Events not yet processed, oldest first.
    async fn pending_events(&self, limit: u32) -> StorageResult<Vec<OutboxEvent>>;
}

/// A shared handle to whichever store was configured.
pub type DynStore = std::sync::Arc<dyn Store>;
