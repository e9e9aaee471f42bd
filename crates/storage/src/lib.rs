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

mod assign;
mod bulk;
mod coldchain;
mod followup;
mod inventory;
mod policy;
mod records;
mod reports;
mod sql;
pub mod writer;

pub use assign::*;
pub use bulk::*;
pub use coldchain::*;
pub use followup::*;
pub use inventory::*;
pub use policy::*;
pub use records::*;
pub use reports::*;
pub use sql::{SqlStore, connect, connect_read_only};

use async_trait::async_trait;
use chrono::NaiveDate;
use tika_domain::admin::{Area, FacilityDetails, SessionEdit};
use tika_domain::country::CountryPack;
use tika_domain::ids::{
    AccountId, AdminId, AppointmentId, BeneficiaryId, BeneficiaryRef, CenterId, OtpTxnId, ReviewId,
    SessionId, StaffId, UploadKey, VaccinationId,
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
    /// The certificate id is already used (draw another one).
    CertificateIdTaken,
    /// The dose is voided: it gets no certificate.
    DoseVoided,
    /// The facts a certificate was built from changed since they were read (the dose was
    /// renumbered or moved by a merge): read them again.
    CertificateFactsChanged,
    /// The field already has a pending or approved correction request (once per field).
    CorrectionExists,
    /// The correction request is already decided, or its person was merged away.
    CorrectionClosed,
    /// A merge was refused, and why.
    MergeRefused(MergeRefusal),
    /// A session's seats cannot go below the bookings already taken.
    CapacityBelowBooked,
    /// The facility is deactivated: no new sessions.
    FacilityInactive,
    /// A stock movement broke a ledger rule (not enough stock, expired lot, missing reason).
    Stock(tika_domain::inventory::MovementError),
    /// A lot with this vaccine and batch exists with another expiry or doses per vial.
    LotMismatch,
    /// The cold chain point is deactivated: no stock moves in or out.
    PointInactive,
    /// The temperature logger already reports for other equipment.
    LoggerTaken,
    /// The alarm is already closed.
    AlarmClosed,
    /// A lot named in an alarm's closure was not exposed by that alarm.
    LotNotExposed,
    /// The session's stock use is already recorded.
    SessionStockClosed,
}

/// Why two beneficiary records cannot be merged.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MergeRefusal {
    /// Both ids name the same record.
    SameRecord,
    /// One of them was already merged into another record.
    AlreadyMerged,
    /// Their birth years differ by more than one year: probably two people.
    BirthYearsDiffer,
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
    /// Bad configuration (URL, options), or a read-only database whose schema is not the
    /// one this build expects.
    #[error("database configuration: {0}")]
    Config(String),
    /// The store was opened read-only ([`connect_read_only`]) and refuses every write.
    #[error("the database is open read-only")]
    ReadOnly,
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
pub trait Store:
    BulkStore
    + AssignStore
    + PolicyStore
    + FollowUpStore
    + InventoryStore
    + ColdChainStore
    + ReportStore
    + Send
    + Sync
    + 'static
{
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
    /// The account of a mobile, without creating it (`NotFound` if there is none): logins on a
    /// read-only store.
    async fn find_account_by_mobile(&self, mobile: &Mobile) -> StorageResult<Account>;
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
    /// photo-id uniqueness atomically (a record merged into another takes no place).
    async fn create_beneficiary(
        &self,
        new: &NewBeneficiaryRecord,
        max_per_account: u32,
    ) -> StorageResult<Beneficiary>;
    /// Loads accounts and their beneficiaries in bulk, all or nothing (demo data and the
    /// benchmarks' national population): multi-row inserts and no `beneficiary.registered`
    /// events, as for people registered long ago.  The per-account maximum is the caller's to
    /// respect; a mobile or photo id already taken fails the whole call.  Call with up to some
    /// ten thousand accounts at a time: the call holds the writer.  Returns the beneficiaries
    /// inserted.
    async fn insert_population(
        &self,
        accounts: &[(Account, Vec<NewBeneficiaryRecord>)],
        now_ms: i64,
    ) -> StorageResult<u64>;
    /// The account's beneficiaries (not deleted, not merged away), oldest first.
    async fn list_beneficiaries(&self, account: AccountId) -> StorageResult<Vec<Beneficiary>>;
    /// A beneficiary by reference id (not deleted, not merged away: a merged-away reference id
    /// is `NotFound`, it does not lead to the record it was merged into).
    async fn find_beneficiary_by_ref(
        &self,
        reference: &BeneficiaryRef,
    ) -> StorageResult<Beneficiary>;
    /// Beneficiaries by id (not deleted, not merged away), in no particular order.
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
    /// Records a dose (and completes the matching booked appointment, if any), with its
    /// `dose.recorded` event (the site payload's shape; unknown fields `null`).
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

    // --- durable events (consumers) -------------------------------------------------------

    /// Unprocessed events of the given kinds that are due (`available_at <= now_ms`), oldest
    /// first.  Nothing is locked: two workers may receive the same event, which is harmless
    /// because every consumer is idempotent (a certificate issue answers `AlreadyIssued`).
    async fn claim_events(
        &self,
        kinds: &[&str],
        limit: u32,
        now_ms: i64,
    ) -> StorageResult<Vec<OutboxEvent>>;
    /// Records a failed attempt: `attempts + 1`, the error text (truncated), and not due again
    /// before `retry_at_ms`.  An event already processed is left alone; `NotFound` if unknown.
    async fn fail_event(&self, id: uuid::Uuid, error: &str, retry_at_ms: i64) -> StorageResult<()>;
    /// Marks an event processed without effect (a voided dose, a vanished vaccination), keeping
    /// the reason in `last_error`.  `NotFound` if unknown.
    async fn skip_event(&self, id: uuid::Uuid, reason: &str) -> StorageResult<()>;

    // --- certificates ---------------------------------------------------------------------

    /// Everything needed to build the certificate of one dose, in one query (`NotFound` if the
    /// vaccination does not exist).  District and state names are filled by
    /// [`CertificateFacts::name_places`].
    async fn certificate_facts(
        &self,
        vaccination: VaccinationId,
    ) -> StorageResult<CertificateFacts>;
    /// Stores a signed certificate in one transaction, keeping at most one live certificate per
    /// dose and kind.
    ///
    /// With `event` naming a `certificate.reissue` event, the live certificate of the dose and
    /// kind is revoked (`superseded`, `replaced_by` = the new id, added to the revocation list)
    /// and the new one stored.  Otherwise (a `dose.recorded` event, or no event) a live
    /// certificate already there wins: `AlreadyIssued`, nothing stored.  An event already
    /// processed never supersedes again.  A concurrent issue for the same dose (another
    /// process) ends the same way, never with two live certificates.
    ///
    /// When stored: an audit row, a `certificate.issued` event (`{certificate_id,
    /// beneficiary_id, vaccination_id, dose, kind}`); the event is marked processed either way.
    /// Refusals: `NotFound` (vaccination or event unknown), `Conflict(CertificateIdTaken)`,
    /// `Conflict(DoseVoided)`, `Conflict(CertificateFactsChanged)` (the dose moved or was
    /// renumbered since its facts were read); nothing is written then.
    async fn issue_certificate(
        &self,
        event: Option<uuid::Uuid>,
        cert: &NewCertificate,
        actor: &str,
    ) -> StorageResult<IssueOutcome>;
    /// Revokes a certificate (added to the revocation list, audited).  Idempotent: revoking a
    /// revoked certificate changes nothing and returns it as it is.  `NotFound` if unknown.
    async fn revoke_certificate(
        &self,
        certificate_id: &str,
        reason: &str,
        actor: &str,
        now_ms: i64,
    ) -> StorageResult<CertificateRecord>;
    /// Revokes every live certificate of a dose (a `dose.voided` event); returns their ids
    /// (none when there were none).
    async fn revoke_for_vaccination(
        &self,
        vaccination: VaccinationId,
        reason: &str,
        actor: &str,
        now_ms: i64,
    ) -> StorageResult<Vec<String>>;
    /// The most recently issued certificates, live and revoked, newest first (exports).
    async fn recent_certificates(&self, limit: u32) -> StorageResult<Vec<CertificateRecord>>;
    /// A person's certificates, live and revoked, newest first.
    async fn list_certificates(
        &self,
        beneficiary: BeneficiaryId,
    ) -> StorageResult<Vec<CertificateRecord>>;
    /// The live certificates of some people, by beneficiary then dose.
    async fn live_certificates_for_beneficiaries(
        &self,
        beneficiaries: &[BeneficiaryId],
    ) -> StorageResult<Vec<CertificateRecord>>;
    /// One certificate, live or revoked.
    async fn find_certificate(&self, certificate_id: &str) -> StorageResult<CertificateRecord>;
    /// Revocation list entries with `seq > after_seq`, in `seq` order.
    async fn list_revocations(&self, after_seq: i64) -> StorageResult<Vec<Revocation>>;
    /// The revocation list's version: the highest `seq` (0 while empty).
    async fn revocation_version(&self) -> StorageResult<i64>;

    // --- corrections, merges, travel details, audit ---------------------------------------

    /// Files a correction request (audited).  A field may be corrected once: a pending or
    /// approved request for the same person and field is `Conflict(CorrectionExists)`; a
    /// rejected one does not count, so a rejected request may be filed again.  A photo id
    /// another (not deleted) person holds is `Conflict(DuplicatePhotoId)`.  `NotFound` if the
    /// person does not exist, was deleted or merged away.
    async fn request_correction(&self, new: &NewCorrection) -> StorageResult<CorrectionRequest>;
    /// Correction requests matching a filter, oldest first (at most 1000).
    async fn list_corrections(
        &self,
        filter: &CorrectionFilter,
    ) -> StorageResult<Vec<CorrectionRequest>>;
    /// One correction request.
    async fn find_correction(&self, id: uuid::Uuid) -> StorageResult<CorrectionRequest>;
    /// Decides a pending request, in one transaction.  Approving applies the change to the
    /// person and enqueues one `certificate.reissue` event (`{vaccination_id, kind}`) per
    /// non-voided dose (domestic) and per live international certificate; rejecting changes
    /// nothing else.  Audited.  `Conflict(CorrectionClosed)` if already decided,
    /// `Conflict(DuplicatePhotoId)` if the new photo id is now someone else's (nothing
    /// written).
    async fn decide_correction(
        &self,
        id: uuid::Uuid,
        decision: CorrectionDecision,
        actor: &str,
        note: &str,
        now_ms: i64,
    ) -> StorageResult<CorrectionRequest>;
    /// Merges two records of one person, in one transaction: `drop`'s non-voided doses move to
    /// `keep`, `keep`'s doses are renumbered 1..n by date (then time given); `drop` is marked
    /// merged into `keep` (kept for history, hidden from every lookup; its id becomes an alias
    /// so site records naming it land on `keep`); `drop`'s booked appointments, and `keep`'s
    /// booked ones for a dose number it now holds, are cancelled (seats returned); every live
    /// certificate of both is revoked (`merged`) and a `certificate.reissue` enqueued for each
    /// of `keep`'s doses.  Audited on both records.
    /// Refused with `Conflict(MergeRefused(_))`: the same record, a record already merged, or
    /// birth years more than one year apart.  `NotFound` if either does not exist or was
    /// deleted.
    async fn merge_beneficiaries(
        &self,
        keep: BeneficiaryId,
        drop: BeneficiaryId,
        actor: &str,
        now_ms: i64,
    ) -> StorageResult<MergeOutcome>;
    /// Stores (or clears, with `None`) the date of birth and passport printed on the
    /// international certificate.  Audited (without the values).  The international
    /// certificate is issued on demand; nothing is enqueued.  `NotFound` if the person does
    /// not exist, was deleted or merged away.
    async fn set_travel_details(
        &self,
        beneficiary: BeneficiaryId,
        dob: Option<NaiveDate>,
        passport: Option<&str>,
        actor: &str,
        now_ms: i64,
    ) -> StorageResult<()>;
    /// The audit log of one subject (a beneficiary id), newest first.
    async fn list_audit(&self, subject: &str, limit: u32) -> StorageResult<Vec<AuditEntry>>;

    // --- messages (notifications) -----------------------------------------------------------
    //
    // Events that announce something a citizen must be told are written by the business
    // transactions themselves (`beneficiary.registered`, `appointment.booked`,
    // `appointment.rescheduled`, `appointment.cancelled`, `session.changed`,
    // `session.cancelled`, `certificate.issued`, `correction.approved`); the planner turns them
    // into messages with `plan_messages`, the dispatcher hands messages to gateways.

    /// Stores planned messages and marks their events processed, in one transaction: queued
    /// messages with a key in `cancel_keys` become `cancelled`, then the new messages are
    /// inserted (an existing id is left alone), then every event in `event_ids` is marked
    /// processed.  Several plans are written in one transaction.
    async fn plan_messages(&self, plans: &[MessagePlan], now_ms: i64) -> StorageResult<()>;
    /// Queues messages that no event announces (replies to incoming SMS).  Existing ids are
    /// left alone.  Returns how many were inserted.
    async fn enqueue_messages(&self, messages: &[NewMessage]) -> StorageResult<u64>;
    /// Claims up to `limit` messages whose priority is in `priorities` and that are due
    /// (`queued` with `available_at <= now_ms`, or `sending` whose lease ran out), most urgent
    /// and oldest first: they become `sending` until `lease_until_ms`.  On PostgreSQL rows
    /// locked by another dispatcher are skipped, so two servers never claim the same message.
    async fn claim_messages(
        &self,
        priorities: &[tika_domain::message::Priority],
        limit: u32,
        now_ms: i64,
        lease_until_ms: i64,
    ) -> StorageResult<Vec<MessageRecord>>;
    /// Claims one message by id if it is `queued` (the OTP fast path).  `Ok(None)` if it is
    /// not queued any more (another dispatcher has it) or does not exist.
    async fn claim_message(
        &self,
        id: uuid::Uuid,
        now_ms: i64,
        lease_until_ms: i64,
    ) -> StorageResult<Option<MessageRecord>>;
    /// Records what happened to claimed messages, all in one transaction.  Outcomes for
    /// messages no longer `sending` (a late duplicate) are ignored.
    async fn record_send_outcomes(&self, outcomes: &[SendOutcome]) -> StorageResult<()>;
    /// Applies a delivery report.  Reports only move forward: `sent → delivered | failed`;
    /// `Accepted` changes nothing but is not an error; a report for a final message is
    /// ignored.  Returns the status after.  `NotFound` if the message does not exist.
    async fn record_delivery(
        &self,
        id: uuid::Uuid,
        state: DeliveryState,
        detail: &str,
        at_ms: i64,
    ) -> StorageResult<tika_domain::message::MessageStatus>;
    /// One message.
    async fn find_message(&self, id: uuid::Uuid) -> StorageResult<MessageRecord>;
    /// Messages to a mobile, newest first.
    async fn messages_to(&self, mobile: &Mobile, limit: u32) -> StorageResult<Vec<MessageRecord>>;
    /// Messages about a booking, newest first.
    async fn messages_about_booking(
        &self,
        booking: AppointmentId,
    ) -> StorageResult<Vec<MessageRecord>>;
    /// Everyone booked in a session (status `booked` or `completed`, by slot then name) with
    /// their latest message, arrival and vaccination.  `NotFound` if the session is unknown.
    async fn session_call_list(&self, session: SessionId) -> StorageResult<Vec<CallListRow>>;
    /// Delivery counts by district (of the message's session) and gateway, for messages
    /// created since `since_ms`; optionally one district only.  Sorted by district, gateway.
    async fn delivery_stats(
        &self,
        since_ms: i64,
        district: Option<i64>,
    ) -> StorageResult<Vec<DeliveryStat>>;
    /// The queue's depth and age per lane.
    async fn queue_depth(&self, now_ms: i64) -> StorageResult<QueueDepth>;
    /// The account's quiet hours `(from, to)` in local minutes after midnight, `None` for the
    /// default.
    async fn set_quiet_hours(
        &self,
        account: AccountId,
        quiet: Option<(u16, u16)>,
    ) -> StorageResult<()>;
    /// The account's own quiet hours, if set.
    async fn quiet_hours(&self, account: AccountId) -> StorageResult<Option<(u16, u16)>>;
    /// Records an incoming SMS and what was done about it.
    async fn record_inbound(&self, sms: &InboundSms) -> StorageResult<()>;
    /// Incoming SMS, newest first.
    async fn list_inbound(&self, limit: u32) -> StorageResult<Vec<InboundSms>>;
    /// The site cancels a session: status `cancelled`, every `booked` appointment cancelled
    /// (seats returned), and one `session.cancelled` event (payload: `session_id`, `reason`,
    /// `booking_ids`) in one transaction.  Audited with `actor`.  Returns the bookings
    /// cancelled.  `NotFound` if unknown; `Conflict(SessionClosed)` if already cancelled.
    async fn cancel_session(
        &self,
        session: SessionId,
        reason: &str,
        actor: &str,
        now_ms: i64,
        audit: Option<&Change>,
    ) -> StorageResult<Vec<AppointmentId>>;
    /// The site moves a session to another day (bookings kept): `date` changed and one
    /// `session.changed` event (payload: `session_id`, `old_date`, `new_date`, `reason`,
    /// `booking_ids`) in one transaction.  Audited.  `NotFound` if unknown;
    /// `Conflict(SessionClosed)` if cancelled.
    async fn move_session(
        &self,
        session: SessionId,
        new_date: NaiveDate,
        reason: &str,
        actor: &str,
        now_ms: i64,
        audit: Option<&Change>,
    ) -> StorageResult<Vec<AppointmentId>>;

    // --- the officials' console -------------------------------------------------------------
    //
    // Every change writes its `Change` (audit entry) in the same transaction; area checks are
    // the caller's (the server's service layer), storage only filters lists by area.

    /// Creates an official (`Conflict(UsernameTaken)` if the username exists).
    async fn create_admin(&self, new: &NewAdmin, audit: &Change) -> StorageResult<Admin>;
    /// An official by username (active or not).
    async fn find_admin_by_username(&self, username: &Username) -> StorageResult<Admin>;
    /// An official by id.
    async fn find_admin(&self, id: AdminId) -> StorageResult<Admin>;
    /// The officials whose area lies inside `area` (itself included), by username.
    async fn list_admins(&self, area: &Area) -> StorageResult<Vec<Admin>>;
    /// Stores the login counters after a login attempt (not audited).
    async fn set_admin_login_state(
        &self,
        id: AdminId,
        failed_logins: u32,
        locked_until_ms: i64,
    ) -> StorageResult<()>;
    /// Ends every console login of the official (logout): bumps `auth_epoch`.
    async fn bump_admin_epoch(&self, id: AdminId) -> StorageResult<()>;
    /// Activates or deactivates an official (bumps `auth_epoch`), audited.
    async fn set_admin_active(
        &self,
        id: AdminId,
        active: bool,
        audit: &Change,
    ) -> StorageResult<()>;
    /// Sets a new password hash, clears the lock and bumps `auth_epoch`, audited.
    async fn set_admin_password(
        &self,
        id: AdminId,
        password_hash: &str,
        audit: &Change,
    ) -> StorageResult<()>;

    /// Creates a facility with the next free centre id, audited; returns it.
    async fn create_facility(
        &self,
        details: &FacilityDetails,
        now_ms: i64,
        audit: &Change,
    ) -> StorageResult<Facility>;
    /// Replaces a facility's details, audited (`NotFound` if it does not exist); the sessions
    /// of the facility are marked changed so caches re-read them.
    async fn update_facility(
        &self,
        id: CenterId,
        details: &FacilityDetails,
        now_ms: i64,
        audit: &Change,
    ) -> StorageResult<Facility>;
    /// Activates or deactivates a facility, audited (its sessions are left as they are).
    async fn set_facility_active(
        &self,
        id: CenterId,
        active: bool,
        now_ms: i64,
        audit: &Change,
    ) -> StorageResult<Facility>;
    /// One facility, active or not.
    async fn find_facility(&self, id: CenterId) -> StorageResult<Facility>;
    /// Facilities inside an area, by name.
    async fn list_facilities(&self, filter: &FacilityFilter) -> StorageResult<Vec<Facility>>;

    /// Stores a plan and creates its sessions, skipping dates on which the facility already
    /// has an active session of the vaccine; one transaction with its audit entry
    /// (`Conflict(FacilityInactive)` if the facility is deactivated).
    async fn plan_sessions(&self, plan: &NewPlan, audit: &Change) -> StorageResult<PlanOutcome>;
    /// Changes a session's seats and walk-in rule, audited; `Conflict(CapacityBelowBooked)`
    /// if seats would go below the bookings, `Conflict(SessionClosed)` if it is cancelled.
    async fn edit_session(
        &self,
        id: SessionId,
        edit: SessionEdit,
        now_ms: i64,
        audit: &Change,
    ) -> StorageResult<Session>;
    /// A facility's sessions (any status) with dates in `[from, to]`, by date.
    async fn list_facility_sessions(
        &self,
        center: CenterId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StorageResult<Vec<Session>>;

    /// Creates a facility's staff member, audited (`Conflict(UsernameTaken)`).
    async fn create_staff_audited(&self, new: &NewStaff, audit: &Change) -> StorageResult<Staff>;
    /// Activates or deactivates a staff member, audited.
    async fn set_staff_active(
        &self,
        id: StaffId,
        active: bool,
        audit: &Change,
    ) -> StorageResult<()>;

    /// Writes an audit entry on its own (for changes made through other store calls that
    /// take no entry).
    async fn record_change(&self, change: &Change) -> StorageResult<()>;
    /// Audit entries, newest first.
    async fn list_changes(&self, filter: &ChangeFilter) -> StorageResult<Vec<Change>>;
}

/// A shared handle to whichever store was configured.
pub type DynStore = std::sync::Arc<dyn Store>;
