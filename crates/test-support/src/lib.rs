//! Test harness shared by the storage contract suite and the server tests.
//!
//! Every test gets its own database: a file in a temporary directory for SQLite, a freshly
//! created database for PostgreSQL.  PostgreSQL is found through `TIKA_TEST_PG_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`); the test command starts a server if none runs.
//! PostgreSQL tests fail, rather than skip, when no server answers.

use std::sync::Arc;

use chrono::NaiveDate;
use sqlx::Connection;
use tika_domain::beneficiary::{BirthYear, PersonName};
use tika_domain::ids::{
    AccountId, BeneficiaryId, BeneficiaryRef, CenterId, DeviceId, DistrictId, SessionId, StaffId,
    StateId, UploadKey,
};
use tika_domain::session::{AgeLimits, FeeType, Slot};
use tika_domain::staff::{StaffRole, Username};
use tika_domain::sync::{SiteRecord, WalkInPerson};
use tika_domain::vaccine::VaccineCode;
use tika_storage::{
    Backend, CertificateFacts, CertificateKind, NewBeneficiaryRecord, NewCenter, NewCertificate,
    NewSession, NewStaff, SqlStore, SyncUpload,
};

/// The fixed "now" of the storage tests (unix ms, in 2026).
pub const NOW: i64 = 1_780_000_000_000;

/// A free centre in Mumbai with the given id, created at [`NOW`].
pub fn center(id: i64) -> NewCenter {
    NewCenter {
        id: CenterId(id),
        name: format!("PHC {id}"),
        name_l: format!("प्राथमिक स्वास्थ्य केंद्र {id}"),
        address: "Main Road".into(),
        block_name: "Block A".into(),
        district_id: DistrictId(395),
        state_id: StateId(21),
        pincode: 400051,
        lat: Some(19.0652),
        lon: Some(72.8654),
        open_time: "09:00:00".into(),
        close_time: "17:00:00".into(),
        fee_type: FeeType::Free,
        created_at_ms: NOW,
    }
}

/// A beneficiary (born 1985, Aadhaar) of `account` whose photo id number is `id_number` (at
/// least 4 characters); its keyed hash is `hash-<id_number>`.
pub fn person_record(account: AccountId, id_number: &str) -> NewBeneficiaryRecord {
    NewBeneficiaryRecord {
        id: BeneficiaryId::new(),
        reference_id: BeneficiaryRef::from_random(uuid::Uuid::new_v4().as_u128() as u64),
        account_id: account,
        name: "Asha Rao".into(),
        birth_year: 1985,
        gender_id: 2,
        photo_id_type: 1,
        photo_id_hash: format!("hash-{id_number}"),
        photo_id_last4: id_number[id_number.len() - 4..].to_owned(),
        comorbidity: false,
        created_at_ms: NOW,
    }
}

/// A database made for one test; dropped with it (SQLite) or left for the next run's sweep (PostgreSQL).
pub struct TestDb {
    /// The URL the store was opened with.
    pub url: String,
    /// The open store.
    pub store: Arc<SqlStore>,
    _dir: Option<tempfile::TempDir>,
}

/// The maintenance URL of the test PostgreSQL server.
pub fn pg_admin_url() -> String {
    std::env::var("TIKA_TEST_PG_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".to_owned())
}

/// Creates an empty database for one test and returns its URL.
pub async fn fresh_database_url(backend: Backend) -> (String, Option<tempfile::TempDir>) {
    match backend {
        Backend::Sqlite => {
            let dir = tempfile::tempdir().expect("temp dir");
            let url = format!("sqlite://{}", dir.path().join("tika.db").display());
            (url, Some(dir))
        }
        Backend::Postgres => {
            sqlx::any::install_default_drivers();
            let admin = pg_admin_url();
            let mut conn = sqlx::AnyConnection::connect(&admin).await.unwrap_or_else(|e| {
                panic!(
                    "PostgreSQL is needed for this test and did not answer at TIKA_TEST_PG_URL={admin}: {e}. \
                     Run scripts/test.sh, which starts one."
                )
            });
            let name = format!("tika_test_{}", uuid::Uuid::new_v4().simple());
            sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
                .execute(&mut conn)
                .await
                .expect("create test database");
            let base = admin.rsplit_once('/').map_or(admin.as_str(), |(b, _)| b).to_owned();
            (format!("{base}/{name}"), None)
        }
    }
}

/// A COVISHIELD session for ages 18+ with 50 seats per dose and 4 slots, at `center` on `date`.
pub fn covishield_session(center: i64, date: NaiveDate) -> NewSession {
    NewSession {
        id: SessionId::new(),
        center_id: CenterId(center),
        date,
        vaccine: VaccineCode::parse("COVISHIELD").expect("vaccine code"),
        ages: AgeLimits { min: 18, max: None },
        fee: "0".into(),
        capacity_dose1: 50,
        capacity_dose2: 50,
        slots: Slot::split(9 * 60, 17 * 60, 4),
        updated_at_ms: NOW,
    }
}

/// A staff member of `center` (no mobile; the password hash is a placeholder).
pub fn new_staff(center: i64, username: &str, role: StaffRole) -> NewStaff {
    NewStaff {
        id: StaffId::new(),
        center_id: CenterId(center),
        username: Username::parse(username).expect("username"),
        name: format!("Staff {username}"),
        mobile: None,
        role,
        password_hash: "$argon2id$placeholder".into(),
        created_at_ms: NOW,
    }
}

/// A walk-in born 1980 with an Aadhaar number `photo` (keyed hash `hash-<photo>`, the same
/// as [`person_record`]'s) and an optional mobile.
pub fn walk_in(photo: &str, mobile: Option<&str>) -> WalkInPerson {
    WalkInPerson {
        name: PersonName::parse("Ravi Kumar").expect("name"),
        birth_year: BirthYear::from_stored(1980),
        gender_id: 1,
        photo_id_type: 1,
        photo_id_hash: format!("hash-{photo}"),
        photo_id_last4: photo[photo.len() - 4..].to_owned(),
        mobile: mobile.map(str::to_owned),
    }
}

/// A stand-in for the request body's hash: equal records give equal hashes.
pub fn body_hash(records: &[SiteRecord]) -> String {
    use std::hash::{DefaultHasher, Hash, Hasher};
    let mut h = DefaultHasher::new();
    format!("{records:?}").hash(&mut h);
    format!("{:016x}", h.finish())
}

/// An upload of `records` under `key` by `staff` of `center` from `device` at `now_ms`.
pub fn upload(
    key: UploadKey,
    staff: StaffId,
    center: CenterId,
    device: DeviceId,
    records: Vec<SiteRecord>,
    now_ms: i64,
) -> SyncUpload {
    SyncUpload {
        key,
        staff_id: staff,
        center_id: center,
        device_id: device,
        body_hash: body_hash(&records),
        records,
        now_ms,
    }
}

impl TestDb {
    /// A migrated, empty store on the given backend.
    pub async fn new(backend: Backend) -> Self {
        let (url, dir) = fresh_database_url(backend).await;
        let store = tika_storage::connect(&url, 4).await.expect("open test store");
        Self { url, store, _dir: dir }
    }

    /// Another read-write store on the same database, as a second server process would open it
    /// (its own writer connection).
    pub async fn second_store(&self) -> Arc<SqlStore> {
        tika_storage::connect(&self.url, 2).await.expect("open a second store")
    }

    /// The same database opened read-only (a replica, or a reader of the file).
    pub async fn read_only_store(&self) -> Arc<SqlStore> {
        tika_storage::connect_read_only(&self.url, 2).await.expect("open read-only store")
    }
}

/// A stand-in for a signed certificate of the dose in `facts`: the credential is placeholder
/// JSON naming the id (storage never looks inside).
pub fn fake_certificate(
    certificate_id: &str,
    facts: &CertificateFacts,
    kind: CertificateKind,
    issued_at_ms: i64,
) -> NewCertificate {
    NewCertificate {
        certificate_id: certificate_id.to_owned(),
        vaccination_id: facts.vaccination_id,
        beneficiary_id: facts.beneficiary_id,
        dose: facts.dose,
        kind,
        credential: format!(
            "{{\"certificateId\":\"{certificate_id}\",\"dose\":{},\"proof\":\"test\"}}",
            facts.dose
        ),
        key_id: "did:india#test-key".into(),
        issued_at_ms,
    }
}

/// Declares one `#[tokio::test]` per backend for an `async fn(Backend)`.
#[macro_export]
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(tika_storage::Backend::Sqlite).await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $name() {
                    super::$name(tika_storage::Backend::Postgres).await;
                }
            )*
        }
    };
}
