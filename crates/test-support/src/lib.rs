//! Test harness shared by the storage contract suite and the server tests.
//!
//! Every test gets its own database: a file in a temporary directory for SQLite, a freshly
//! created database for PostgreSQL.  PostgreSQL is found through `TIKA_TEST_PG_URL` (default
//! `postgres://postgres@127.0.0.1:5432/postgres`); the test command starts a server if none runs.
//! PostgreSQL tests fail, rather than skip, when no server answers.

use std::sync::Arc;

use sqlx::Connection;
use tika_storage::{Backend, SqlStore};

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

impl TestDb {
    /// A migrated, empty store on the given backend.
    pub async fn new(backend: Backend) -> Self {
        let (url, dir) = fresh_database_url(backend).await;
        let store = tika_storage::connect(&url, 4).await.expect("open test store");
        Self { url, store, _dir: dir }
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
