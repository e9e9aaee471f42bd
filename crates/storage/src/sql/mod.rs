//! The sqlx implementation of [`Store`](crate::Store) for SQLite and PostgreSQL.

mod accounts;
mod assign;
mod bookings;
mod bulk;
mod certificates;
mod coldchain;
mod console;
mod followup;
mod inventory;
mod messages;
mod people;
mod places;
mod policy;
mod reports;
mod site;
mod sync;

use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::NaiveDate;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions};
use sqlx::{AnyConnection, AnyPool, ConnectOptions, Connection, Executor};
use tika_domain::admin::{Area, FacilityDetails, SessionEdit};
use tika_domain::country::CountryPack;
use tika_domain::ids::{
    AccountId, AdminId, AppointmentId, BeneficiaryId, BeneficiaryRef, CenterId, OtpTxnId, ReviewId,
    SessionId, StaffId, UploadKey, VaccinationId,
};
use tika_domain::mobile::Mobile;
use tika_domain::staff::Username;

use crate::writer::{WriteFn, Writer};
use crate::*;

static MIGRATE_SQLITE: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/sqlite");
static MIGRATE_POSTGRES: sqlx::migrate::Migrator = sqlx::migrate!("./migrations/postgres");

/// The store over an sqlx `Any` pool; the backend decides the dialect details.
pub struct SqlStore {
    backend: Backend,
    /// Reads: several connections (SQLite WAL readers never block the writer).
    read: AnyPool,
    /// Writes: one group-commit task; `None` when opened read-only (every write refused).
    writer: Option<Writer>,
}

/// SQLite settings applied to every connection: WAL with full fsync on commit (an acknowledged
/// write survives a power cut), foreign keys on, and a busy timeout instead of instant errors.
pub(crate) const SQLITE_PRAGMAS: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
     PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 10000; PRAGMA temp_store = MEMORY; \
     PRAGMA cache_size = -65536;";

/// Set on the one writer connection after [`SQLITE_PRAGMAS`]: a page cache of up to 256 MiB
/// (taken only as pages are touched).  Bulk work (an upload of lakhs of people, an assignment
/// run) inserts into several randomly keyed indexes; with the readers' 64 MiB those pages are
/// evicted and read back between chunks (BENCHMARKS.md §8).
pub(crate) const SQLITE_WRITER_PRAGMAS: &str = "PRAGMA cache_size = -262144;";

/// Opens the database named by `url`, runs the embedded migrations and starts the writer.
///
/// `sqlite:` URLs are opened with `mode=rwc` (the file is created); anything but `sqlite:` or
/// `postgres:` is refused, so a typo never silently creates a file.
pub async fn connect(url: &str, read_connections: u32) -> StorageResult<Arc<SqlStore>> {
    sqlx::any::install_default_drivers();
    let backend = Backend::from_url(url)?;
    let url = match backend {
        Backend::Sqlite if !url.contains("mode=") => {
            if url.contains('?') {
                format!("{url}&mode=rwc")
            } else {
                format!("{url}?mode=rwc")
            }
        }
        _ => url.to_owned(),
    };
    let options: AnyConnectOptions = url
        .parse()
        .map_err(|e: sqlx::Error| StorageError::Config(format!("invalid database URL: {e}")))?;
    let options = options.disable_statement_logging();

    let mut writer_conn =
        AnyConnection::connect_with(&options).await.map_err(StorageError::from_sqlx)?;
    match backend {
        Backend::Sqlite => {
            writer_conn.execute(SQLITE_PRAGMAS).await.map_err(StorageError::from_sqlx)?;
            writer_conn.execute(SQLITE_WRITER_PRAGMAS).await.map_err(StorageError::from_sqlx)?;
            MIGRATE_SQLITE
                .run(&mut writer_conn)
                .await
                .map_err(|e| StorageError::Other(e.into()))?;
        }
        Backend::Postgres => {
            writer_conn
                .execute("SET synchronous_commit = on")
                .await
                .map_err(StorageError::from_sqlx)?;
            MIGRATE_POSTGRES
                .run(&mut writer_conn)
                .await
                .map_err(|e| StorageError::Other(e.into()))?;
        }
    }

    let read = AnyPoolOptions::new()
        .max_connections(read_connections.max(1))
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        .after_connect(move |conn, _meta| {
            Box::pin(async move {
                if backend == Backend::Sqlite {
                    sqlx::raw_sql(SQLITE_PRAGMAS).execute(&mut *conn).await?;
                }
                Ok(())
            })
        })
        .connect_with(options.clone())
        .await
        .map_err(StorageError::from_sqlx)?;

    let writer = Writer::spawn(writer_conn, backend, options);
    Ok(Arc::new(SqlStore { backend, read, writer: Some(writer) }))
}

/// Opens the database named by `url` for reading only: a PostgreSQL replica, or an SQLite file
/// (a copy, or one a primary is writing).  It never runs migrations and never writes: there is
/// no writer, so every write method answers [`StorageError::ReadOnly`], and the connections
/// themselves are read-only (`mode=ro` and `PRAGMA query_only` on SQLite,
/// `default_transaction_read_only` on PostgreSQL).
///
/// The schema must be exactly the one this build's migrations produce; a database behind or
/// ahead is refused with a [`StorageError::Config`] that says which versions differ.
pub async fn connect_read_only(url: &str, read_connections: u32) -> StorageResult<Arc<SqlStore>> {
    sqlx::any::install_default_drivers();
    let backend = Backend::from_url(url)?;
    let sep = if url.contains('?') { '&' } else { '?' };
    let url = match backend {
        Backend::Sqlite => {
            if url.contains("mode=") && !url.contains("mode=ro") {
                return Err(StorageError::Config(
                    "a read-only sqlite: URL must not ask for another mode".into(),
                ));
            }
            if url.contains("mode=ro") { url.to_owned() } else { format!("{url}{sep}mode=ro") }
        }
        Backend::Postgres => format!("{url}{sep}options=-c%20default_transaction_read_only%3Don"),
    };
    let options: AnyConnectOptions = url
        .parse()
        .map_err(|e: sqlx::Error| StorageError::Config(format!("invalid database URL: {e}")))?;
    let options = options.disable_statement_logging();
    let read = AnyPoolOptions::new()
        .max_connections(read_connections.max(1))
        .min_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        .after_connect(move |conn, _meta| {
            Box::pin(async move {
                if backend == Backend::Sqlite {
                    sqlx::raw_sql("PRAGMA query_only = ON; PRAGMA busy_timeout = 10000;")
                        .execute(&mut *conn)
                        .await?;
                }
                Ok(())
            })
        })
        .connect_with(options)
        .await
        .map_err(StorageError::from_sqlx)?;
    let migrator = match backend {
        Backend::Sqlite => &MIGRATE_SQLITE,
        Backend::Postgres => &MIGRATE_POSTGRES,
    };
    if let Err(e) = check_schema(&read, migrator).await {
        read.close().await;
        return Err(e);
    }
    Ok(Arc::new(SqlStore { backend, read, writer: None }))
}

/// Refuses a database whose applied migrations are not exactly this build's.
async fn check_schema(read: &AnyPool, migrator: &sqlx::migrate::Migrator) -> StorageResult<()> {
    let applied: Vec<i64> =
        sqlx::query_scalar("SELECT version FROM _sqlx_migrations WHERE success ORDER BY version")
            .fetch_all(read)
            .await
            .map_err(|e| {
                StorageError::Config(format!(
                    "the database has no Tika schema (run `tika migrate` on the primary): {e}"
                ))
            })?;
    let expected: Vec<i64> = migrator.iter().map(|m| m.version).collect();
    if applied != expected {
        let show = |v: &[i64]| v.last().map_or_else(|| "none".to_owned(), i64::to_string);
        return Err(StorageError::Config(format!(
            "the database schema is at migration {} but this build needs exactly {}              (applied {applied:?}, expected {expected:?}); migrate the primary or use the              matching build",
            show(&applied),
            show(&expected),
        )));
    }
    Ok(())
}

impl SqlStore {
    async fn write<T: Send + 'static>(&self, op: WriteFn<T>) -> StorageResult<T> {
        match &self.writer {
            Some(writer) => writer.write(op).await,
            None => Err(StorageError::ReadOnly),
        }
    }

    /// Whether this store was opened by [`connect_read_only`].
    pub fn is_read_only(&self) -> bool {
        self.writer.is_none()
    }

    /// Closes the read pool (the writer stops when the store is dropped).
    pub async fn close(&self) {
        self.read.close().await;
    }
}

/// Positional placeholders for a multi-row insert: `?` for SQLite (fast), `$n` for PostgreSQL.
pub(crate) fn values_clause(backend: Backend, rows: usize, cols: usize) -> String {
    let mut s = String::with_capacity(rows * cols * 5);
    let mut n = 0;
    for r in 0..rows {
        if r > 0 {
            s.push(',');
        }
        s.push('(');
        for c in 0..cols {
            if c > 0 {
                s.push(',');
            }
            n += 1;
            match backend {
                Backend::Sqlite => s.push('?'),
                Backend::Postgres => {
                    s.push('$');
                    s.push_str(&n.to_string());
                }
            }
        }
        s.push(')');
    }
    s
}

/// Whether an sqlx error is a unique violation on a constraint or index whose name (or, on
/// SQLite, whose column list) contains `hint`.
pub(crate) fn is_unique_violation(e: &sqlx::Error, hint: &str) -> bool {
    match e.as_database_error() {
        Some(db) if db.is_unique_violation() => {
            db.constraint().is_some_and(|c| c.contains(hint)) || db.message().contains(hint)
        }
        _ => false,
    }
}

pub(crate) fn decode_err(what: &str) -> StorageError {
    StorageError::Other(anyhow::anyhow!("stored value could not be decoded: {what}"))
}

/// PostgreSQL: analyzes `tables` when they have never been analyzed or have changed by more
/// than half since (plus 10,000 rows).  A first upload fills tables faster than autovacuum
/// looks at them: without statistics the planner read the photo id index by type alone and
/// filtered every row (17 ms per lookup at 95,000 people; the import slowed as it grew).
/// Used by the bulk writers (list uploads, assignment runs).
/// `ANALYZE` samples at most 30,000 rows per table and may run inside the transaction.
pub(crate) async fn refresh_statistics(
    conn: &mut sqlx::AnyConnection,
    tables: &[&str],
) -> StorageResult<()> {
    let names = tables.iter().map(|t| format!("'{t}'")).collect::<Vec<_>>().join(",");
    let stale: bool = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT COALESCE(BOOL_OR(c.reltuples < 0 \
         OR s.n_mod_since_analyze > c.reltuples * 0.5 + 10000), FALSE) \
         FROM pg_class c JOIN pg_stat_user_tables s ON s.relid = c.oid \
         WHERE c.relname IN ({names}) AND s.schemaname = current_schema()"
    )))
    .fetch_one(&mut *conn)
    .await
    .map_err(StorageError::from_sqlx)?;
    if stale {
        sqlx::query(sqlx::AssertSqlSafe(format!("ANALYZE {}", tables.join(", "))))
            .execute(&mut *conn)
            .await
            .map_err(StorageError::from_sqlx)?;
    }
    Ok(())
}

pub(crate) fn parse_date(s: &str) -> StorageResult<NaiveDate> {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| decode_err("date"))
}

pub(crate) fn date_str(d: NaiveDate) -> String {
    d.format("%Y-%m-%d").to_string()
}

pub(crate) fn parse_uuid<T: std::str::FromStr>(s: &str) -> StorageResult<T> {
    s.parse().map_err(|_| decode_err("id"))
}

#[async_trait]
impl Store for SqlStore {
    fn backend(&self) -> Backend {
        self.backend
    }

    async fn ping(&self) -> StorageResult<()> {
        sqlx::query("SELECT 1")
            .execute(&self.read)
            .await
            .map(|_| ())
            .map_err(StorageError::from_sqlx)
    }

    async fn insert_centers(&self, centers: &[NewCenter]) -> StorageResult<u64> {
        places::insert_centers(self, centers).await
    }
    async fn insert_sessions(&self, sessions: &[NewSession]) -> StorageResult<u64> {
        places::insert_sessions(self, sessions).await
    }
    async fn count_centers(&self) -> StorageResult<u64> {
        places::count_centers(self).await
    }
    async fn list_centers(&self) -> StorageResult<Vec<Center>> {
        places::list_centers(self).await
    }
    async fn find_center(&self, id: CenterId) -> StorageResult<Center> {
        places::find_center(self, id).await
    }
    async fn list_sessions(&self, from: NaiveDate, to: NaiveDate) -> StorageResult<Vec<Session>> {
        places::list_sessions(self, from, to).await
    }
    async fn sessions_changed_since(
        &self,
        since_ms: i64,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StorageResult<Vec<Session>> {
        places::sessions_changed_since(self, since_ms, from, to).await
    }
    async fn find_session(&self, id: SessionId) -> StorageResult<Session> {
        places::find_session(self, id).await
    }

    async fn upsert_account(&self, mobile: &Mobile, now_ms: i64) -> StorageResult<(Account, bool)> {
        accounts::upsert_account(self, mobile, now_ms).await
    }
    async fn find_account(&self, id: AccountId) -> StorageResult<Account> {
        accounts::find_account(self, id).await
    }
    async fn find_account_by_mobile(&self, mobile: &Mobile) -> StorageResult<Account> {
        accounts::find_account_by_mobile(self, mobile).await
    }
    async fn set_account_language(&self, id: AccountId, language: &str) -> StorageResult<()> {
        accounts::set_account_language(self, id, language).await
    }
    async fn create_otp(&self, otp: &NewOtp) -> StorageResult<()> {
        accounts::create_otp(self, otp).await
    }
    async fn count_otps_since(&self, mobile: &Mobile, since_ms: i64) -> StorageResult<u64> {
        accounts::count_otps_since(self, mobile, since_ms).await
    }
    async fn find_otp(&self, id: OtpTxnId) -> StorageResult<OtpTxn> {
        accounts::find_otp(self, id).await
    }
    async fn record_otp_failure(&self, id: OtpTxnId) -> StorageResult<()> {
        accounts::record_otp_failure(self, id).await
    }
    async fn consume_otp(&self, id: OtpTxnId) -> StorageResult<()> {
        accounts::consume_otp(self, id).await
    }

    async fn create_beneficiary(
        &self,
        new: &NewBeneficiaryRecord,
        max_per_account: u32,
    ) -> StorageResult<Beneficiary> {
        people::create_beneficiary(self, new, max_per_account).await
    }
    async fn insert_population(
        &self,
        accounts: &[(Account, Vec<NewBeneficiaryRecord>)],
        now_ms: i64,
    ) -> StorageResult<u64> {
        people::insert_population(self, accounts, now_ms).await
    }
    async fn list_beneficiaries(&self, account: AccountId) -> StorageResult<Vec<Beneficiary>> {
        people::list_beneficiaries(self, account).await
    }
    async fn find_beneficiary_by_ref(
        &self,
        reference: &BeneficiaryRef,
    ) -> StorageResult<Beneficiary> {
        people::find_beneficiary_by_ref(self, reference).await
    }
    async fn find_beneficiaries(&self, ids: &[BeneficiaryId]) -> StorageResult<Vec<Beneficiary>> {
        people::find_beneficiaries(self, ids).await
    }
    async fn delete_beneficiary(
        &self,
        account: AccountId,
        id: BeneficiaryId,
        now_ms: i64,
    ) -> StorageResult<()> {
        people::delete_beneficiary(self, account, id, now_ms).await
    }
    async fn list_vaccinations(
        &self,
        beneficiaries: &[BeneficiaryId],
    ) -> StorageResult<Vec<Vaccination>> {
        people::list_vaccinations(self, beneficiaries).await
    }
    async fn record_vaccination(&self, v: &NewVaccination) -> StorageResult<()> {
        people::record_vaccination(self, v).await
    }

    async fn list_appointments(
        &self,
        beneficiaries: &[BeneficiaryId],
    ) -> StorageResult<Vec<Appointment>> {
        bookings::list_appointments(self, beneficiaries).await
    }
    async fn find_booking(&self, booking: AppointmentId) -> StorageResult<Vec<Appointment>> {
        bookings::find_booking(self, booking).await
    }
    async fn book(&self, booking: &NewBooking) -> StorageResult<()> {
        bookings::book(self, booking).await
    }
    async fn reschedule(&self, change: &Reschedule) -> StorageResult<()> {
        bookings::reschedule(self, change).await
    }
    async fn cancel(
        &self,
        booking: AppointmentId,
        beneficiaries: &[BeneficiaryId],
        now_ms: i64,
    ) -> StorageResult<u64> {
        bookings::cancel(self, booking, beneficiaries, now_ms).await
    }

    async fn create_staff(&self, new: &NewStaff) -> StorageResult<Staff> {
        site::create_staff(self, new).await
    }
    async fn find_staff_by_username(&self, username: &Username) -> StorageResult<Staff> {
        site::find_staff_by_username(self, username).await
    }
    async fn find_staff(&self, id: StaffId) -> StorageResult<Staff> {
        site::find_staff(self, id).await
    }
    async fn list_staff(&self, center: CenterId) -> StorageResult<Vec<Staff>> {
        site::list_staff(self, center).await
    }
    async fn set_login_state(
        &self,
        id: StaffId,
        failed_logins: u32,
        locked_until_ms: i64,
    ) -> StorageResult<()> {
        site::set_login_state(self, id, failed_logins, locked_until_ms).await
    }
    async fn issue_batch(&self, batch: &Batch) -> StorageResult<()> {
        site::issue_batch(self, batch).await
    }
    async fn list_batches(&self, center: CenterId) -> StorageResult<Vec<Batch>> {
        site::list_batches(self, center).await
    }
    async fn list_center_sessions(
        &self,
        center: CenterId,
        date: NaiveDate,
    ) -> StorageResult<Vec<Session>> {
        site::list_center_sessions(self, center, date).await
    }
    async fn session_roster(&self, session: SessionId) -> StorageResult<Vec<RosterEntry>> {
        site::session_roster(self, session).await
    }
    async fn session_doses(&self, session: SessionId) -> StorageResult<Vec<SiteDose>> {
        site::session_doses(self, session).await
    }
    async fn session_arrivals(&self, session: SessionId) -> StorageResult<Vec<Arrival>> {
        site::session_arrivals(self, session).await
    }
    async fn find_upload(&self, key: UploadKey) -> StorageResult<Option<(String, String)>> {
        site::find_upload(self, key).await
    }
    async fn apply_upload(
        &self,
        upload: &SyncUpload,
        pack: Arc<CountryPack>,
    ) -> StorageResult<UploadOutcome> {
        sync::apply_upload(self, upload, pack).await
    }
    async fn list_reviews(&self, filter: &ReviewFilter) -> StorageResult<Vec<ReviewItem>> {
        site::list_reviews(self, filter).await
    }
    async fn find_review(&self, id: ReviewId) -> StorageResult<ReviewItem> {
        site::find_review(self, id).await
    }
    async fn resolve_review(
        &self,
        id: ReviewId,
        action: ReviewAction,
        note: &str,
        resolved_by: &str,
        now_ms: i64,
        pack: Arc<CountryPack>,
    ) -> StorageResult<ReviewItem> {
        sync::resolve_review(
            self,
            id,
            action,
            note.to_owned(),
            resolved_by.to_owned(),
            now_ms,
            pack,
            None,
        )
        .await
    }
    async fn log_access(&self, entry: &AccessEntry) -> StorageResult<()> {
        site::log_access(self, entry).await
    }
    async fn list_access(&self, center: CenterId, limit: u32) -> StorageResult<Vec<AccessEntry>> {
        site::list_access(self, center, limit).await
    }
    async fn pending_events(&self, limit: u32) -> StorageResult<Vec<OutboxEvent>> {
        site::pending_events(self, limit).await
    }

    async fn claim_events(
        &self,
        kinds: &[&str],
        limit: u32,
        now_ms: i64,
    ) -> StorageResult<Vec<OutboxEvent>> {
        certificates::claim_events(self, kinds, limit, now_ms).await
    }
    async fn fail_event(&self, id: uuid::Uuid, error: &str, retry_at_ms: i64) -> StorageResult<()> {
        certificates::fail_event(self, id, error, retry_at_ms).await
    }
    async fn skip_event(&self, id: uuid::Uuid, reason: &str) -> StorageResult<()> {
        certificates::skip_event(self, id, reason).await
    }
    async fn certificate_facts(
        &self,
        vaccination: VaccinationId,
    ) -> StorageResult<CertificateFacts> {
        certificates::certificate_facts(self, vaccination).await
    }
    async fn issue_certificate(
        &self,
        event: Option<uuid::Uuid>,
        cert: &NewCertificate,
        actor: &str,
    ) -> StorageResult<IssueOutcome> {
        certificates::issue_certificate(self, event, cert, actor).await
    }
    async fn revoke_certificate(
        &self,
        certificate_id: &str,
        reason: &str,
        actor: &str,
        now_ms: i64,
    ) -> StorageResult<CertificateRecord> {
        certificates::revoke_certificate(self, certificate_id, reason, actor, now_ms).await
    }
    async fn revoke_for_vaccination(
        &self,
        vaccination: VaccinationId,
        reason: &str,
        actor: &str,
        now_ms: i64,
    ) -> StorageResult<Vec<String>> {
        certificates::revoke_for_vaccination(self, vaccination, reason, actor, now_ms).await
    }
    async fn recent_certificates(&self, limit: u32) -> StorageResult<Vec<CertificateRecord>> {
        certificates::recent_certificates(self, limit).await
    }
    async fn list_certificates(
        &self,
        beneficiary: BeneficiaryId,
    ) -> StorageResult<Vec<CertificateRecord>> {
        certificates::list_certificates(self, beneficiary).await
    }
    async fn live_certificates_for_beneficiaries(
        &self,
        beneficiaries: &[BeneficiaryId],
    ) -> StorageResult<Vec<CertificateRecord>> {
        certificates::live_certificates_for_beneficiaries(self, beneficiaries).await
    }
    async fn find_certificate(&self, certificate_id: &str) -> StorageResult<CertificateRecord> {
        certificates::find_certificate(self, certificate_id).await
    }
    async fn list_revocations(&self, after_seq: i64) -> StorageResult<Vec<Revocation>> {
        certificates::list_revocations(self, after_seq).await
    }
    async fn revocation_version(&self) -> StorageResult<i64> {
        certificates::revocation_version(self).await
    }
    async fn request_correction(&self, new: &NewCorrection) -> StorageResult<CorrectionRequest> {
        certificates::request_correction(self, new).await
    }
    async fn list_corrections(
        &self,
        filter: &CorrectionFilter,
    ) -> StorageResult<Vec<CorrectionRequest>> {
        certificates::list_corrections(self, filter).await
    }
    async fn find_correction(&self, id: uuid::Uuid) -> StorageResult<CorrectionRequest> {
        certificates::find_correction(self, id).await
    }
    async fn decide_correction(
        &self,
        id: uuid::Uuid,
        decision: CorrectionDecision,
        actor: &str,
        note: &str,
        now_ms: i64,
    ) -> StorageResult<CorrectionRequest> {
        certificates::decide_correction(self, id, decision, actor, note, now_ms).await
    }
    async fn merge_beneficiaries(
        &self,
        keep: BeneficiaryId,
        drop: BeneficiaryId,
        actor: &str,
        now_ms: i64,
    ) -> StorageResult<MergeOutcome> {
        certificates::merge_beneficiaries(self, keep, drop, actor, now_ms).await
    }
    async fn set_travel_details(
        &self,
        beneficiary: BeneficiaryId,
        dob: Option<NaiveDate>,
        passport: Option<&str>,
        actor: &str,
        now_ms: i64,
    ) -> StorageResult<()> {
        certificates::set_travel_details(self, beneficiary, dob, passport, actor, now_ms).await
    }
    async fn list_audit(&self, subject: &str, limit: u32) -> StorageResult<Vec<AuditEntry>> {
        certificates::list_audit(self, subject, limit).await
    }
    async fn plan_messages(&self, plans: &[MessagePlan], now_ms: i64) -> StorageResult<()> {
        messages::plan_messages(self, plans, now_ms).await
    }
    async fn enqueue_messages(&self, messages: &[NewMessage]) -> StorageResult<u64> {
        messages::enqueue_messages(self, messages).await
    }
    async fn claim_messages(
        &self,
        priorities: &[tika_domain::message::Priority],
        limit: u32,
        now_ms: i64,
        lease_until_ms: i64,
    ) -> StorageResult<Vec<MessageRecord>> {
        messages::claim_messages(self, priorities, limit, now_ms, lease_until_ms).await
    }
    async fn claim_message(
        &self,
        id: uuid::Uuid,
        now_ms: i64,
        lease_until_ms: i64,
    ) -> StorageResult<Option<MessageRecord>> {
        messages::claim_message(self, id, now_ms, lease_until_ms).await
    }
    async fn record_send_outcomes(&self, outcomes: &[SendOutcome]) -> StorageResult<()> {
        messages::record_send_outcomes(self, outcomes).await
    }
    async fn record_delivery(
        &self,
        id: uuid::Uuid,
        state: DeliveryState,
        detail: &str,
        at_ms: i64,
    ) -> StorageResult<tika_domain::message::MessageStatus> {
        messages::record_delivery(self, id, state, detail, at_ms).await
    }
    async fn find_message(&self, id: uuid::Uuid) -> StorageResult<MessageRecord> {
        messages::find_message(self, id).await
    }
    async fn messages_to(&self, mobile: &Mobile, limit: u32) -> StorageResult<Vec<MessageRecord>> {
        messages::messages_to(self, mobile, limit).await
    }
    async fn messages_about_booking(
        &self,
        booking: AppointmentId,
    ) -> StorageResult<Vec<MessageRecord>> {
        messages::messages_about_booking(self, booking).await
    }
    async fn session_call_list(&self, session: SessionId) -> StorageResult<Vec<CallListRow>> {
        messages::session_call_list(self, session).await
    }
    async fn delivery_stats(
        &self,
        since_ms: i64,
        district: Option<i64>,
    ) -> StorageResult<Vec<DeliveryStat>> {
        messages::delivery_stats(self, since_ms, district).await
    }
    async fn queue_depth(&self, now_ms: i64) -> StorageResult<QueueDepth> {
        messages::queue_depth(self, now_ms).await
    }
    async fn set_quiet_hours(
        &self,
        account: AccountId,
        quiet: Option<(u16, u16)>,
    ) -> StorageResult<()> {
        messages::set_quiet_hours(self, account, quiet).await
    }
    async fn quiet_hours(&self, account: AccountId) -> StorageResult<Option<(u16, u16)>> {
        messages::quiet_hours(self, account).await
    }
    async fn record_inbound(&self, sms: &InboundSms) -> StorageResult<()> {
        messages::record_inbound(self, sms).await
    }
    async fn list_inbound(&self, limit: u32) -> StorageResult<Vec<InboundSms>> {
        messages::list_inbound(self, limit).await
    }
    async fn cancel_session(
        &self,
        session: SessionId,
        reason: &str,
        actor: &str,
        now_ms: i64,
        audit: Option<&Change>,
    ) -> StorageResult<Vec<AppointmentId>> {
        messages::cancel_session(self, session, reason, actor, now_ms, audit).await
    }
    async fn move_session(
        &self,
        session: SessionId,
        new_date: NaiveDate,
        reason: &str,
        actor: &str,
        now_ms: i64,
        audit: Option<&Change>,
    ) -> StorageResult<Vec<AppointmentId>> {
        messages::move_session(self, session, new_date, reason, actor, now_ms, audit).await
    }

    async fn create_admin(&self, new: &NewAdmin, audit: &Change) -> StorageResult<Admin> {
        console::create_admin(self, new, audit).await
    }
    async fn find_admin_by_username(&self, username: &Username) -> StorageResult<Admin> {
        console::find_admin_by_username(self, username).await
    }
    async fn find_admin(&self, id: AdminId) -> StorageResult<Admin> {
        console::find_admin(self, id).await
    }
    async fn list_admins(&self, area: &Area) -> StorageResult<Vec<Admin>> {
        console::list_admins(self, area).await
    }
    async fn set_admin_login_state(
        &self,
        id: AdminId,
        failed_logins: u32,
        locked_until_ms: i64,
    ) -> StorageResult<()> {
        console::set_admin_login_state(self, id, failed_logins, locked_until_ms).await
    }
    async fn bump_admin_epoch(&self, id: AdminId) -> StorageResult<()> {
        console::bump_admin_epoch(self, id).await
    }
    async fn set_admin_active(
        &self,
        id: AdminId,
        active: bool,
        audit: &Change,
    ) -> StorageResult<()> {
        console::set_admin_active(self, id, active, audit).await
    }
    async fn set_admin_password(
        &self,
        id: AdminId,
        password_hash: &str,
        audit: &Change,
    ) -> StorageResult<()> {
        console::set_admin_password(self, id, password_hash, audit).await
    }
    async fn create_facility(
        &self,
        details: &FacilityDetails,
        now_ms: i64,
        audit: &Change,
    ) -> StorageResult<Facility> {
        console::create_facility(self, details, now_ms, audit).await
    }
    async fn update_facility(
        &self,
        id: CenterId,
        details: &FacilityDetails,
        now_ms: i64,
        audit: &Change,
    ) -> StorageResult<Facility> {
        console::update_facility(self, id, details, now_ms, audit).await
    }
    async fn set_facility_active(
        &self,
        id: CenterId,
        active: bool,
        now_ms: i64,
        audit: &Change,
    ) -> StorageResult<Facility> {
        console::set_facility_active(self, id, active, now_ms, audit).await
    }
    async fn find_facility(&self, id: CenterId) -> StorageResult<Facility> {
        console::find_facility(self, id).await
    }
    async fn list_facilities(&self, filter: &FacilityFilter) -> StorageResult<Vec<Facility>> {
        console::list_facilities(self, filter).await
    }
    async fn plan_sessions(&self, plan: &NewPlan, audit: &Change) -> StorageResult<PlanOutcome> {
        console::plan_sessions(self, plan, audit).await
    }
    async fn edit_session(
        &self,
        id: SessionId,
        edit: SessionEdit,
        now_ms: i64,
        audit: &Change,
    ) -> StorageResult<Session> {
        console::edit_session(self, id, edit, now_ms, audit).await
    }
    async fn list_facility_sessions(
        &self,
        center: CenterId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> StorageResult<Vec<Session>> {
        console::list_facility_sessions(self, center, from, to).await
    }
    async fn create_staff_audited(&self, new: &NewStaff, audit: &Change) -> StorageResult<Staff> {
        console::create_staff_audited(self, new, audit).await
    }
    async fn set_staff_active(
        &self,
        id: StaffId,
        active: bool,
        audit: &Change,
    ) -> StorageResult<()> {
        console::set_staff_active(self, id, active, audit).await
    }
    async fn record_change(&self, change: &Change) -> StorageResult<()> {
        console::record_change(self, change).await
    }
    async fn list_changes(&self, filter: &ChangeFilter) -> StorageResult<Vec<Change>> {
        console::list_changes(self, filter).await
    }
}
