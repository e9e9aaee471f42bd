//! Group commit: one task owns the write connection and batches concurrent writes.
//!
//! SQLite at `synchronous=FULL` manages about 500 single-row commits a second here; one
//! transaction holding many operations costs one fsync.  When several operations share a
//! transaction each runs inside its own savepoint, so one refused operation (a full session, a
//! duplicate id) rolls back alone; an operation alone in its transaction runs without one (a
//! failure rolls the transaction back), which spares SQLite a copy of every page it touches.
//! Every caller is answered only after the shared COMMIT returned: an acknowledged write has
//! reached the disk.

use futures::future::BoxFuture;
use sqlx::any::AnyConnectOptions;
use sqlx::{AnyConnection, ConnectOptions};
use tokio::sync::{mpsc, oneshot};

use crate::{Backend, StorageError, StorageResult};

/// The most operations one transaction may hold.
const MAX_BATCH: usize = 512;

/// A write operation: runs on the shared connection inside its savepoint.
pub(crate) type WriteFn<T> = Box<
    dyn for<'c> FnOnce(&'c mut AnyConnection) -> BoxFuture<'c, StorageResult<T>> + Send + 'static,
>;

/// A queued operation with its answer channel, type-erased.
trait Job: Send {
    fn run<'c>(self: Box<Self>, conn: &'c mut AnyConnection) -> BoxFuture<'c, Box<dyn Done>>;
    fn abort(self: Box<Self>, reason: String);
}

/// A finished operation waiting for the batch's COMMIT.
trait Done: Send {
    fn succeeded(&self) -> bool;
    fn finish(self: Box<Self>, commit: Result<(), String>);
}

struct TypedJob<T> {
    op: WriteFn<T>,
    reply: oneshot::Sender<StorageResult<T>>,
}

struct TypedDone<T> {
    result: StorageResult<T>,
    reply: oneshot::Sender<StorageResult<T>>,
}

impl<T: Send + 'static> Job for TypedJob<T> {
    fn run<'c>(self: Box<Self>, conn: &'c mut AnyConnection) -> BoxFuture<'c, Box<dyn Done>> {
        let TypedJob { op, reply } = *self;
        Box::pin(async move {
            let result = op(conn).await;
            Box::new(TypedDone { result, reply }) as Box<dyn Done>
        })
    }

    fn abort(self: Box<Self>, reason: String) {
        let _ = self.reply.send(Err(StorageError::Unavailable(reason)));
    }
}

impl<T: Send + 'static> Done for TypedDone<T> {
    fn succeeded(&self) -> bool {
        self.result.is_ok()
    }

    fn finish(self: Box<Self>, commit: Result<(), String>) {
        let answer = match commit {
            Ok(()) => self.result,
            Err(e) if self.result.is_ok() => Err(StorageError::Unavailable(e)),
            Err(_) => self.result,
        };
        // The caller may have gone away (request cancelled); the write stands regardless.
        let _ = self.reply.send(answer);
    }
}

/// Handle to the group-commit writer task.
#[derive(Clone)]
pub struct Writer {
    queue: mpsc::Sender<Box<dyn Job>>,
}

impl Writer {
    /// Starts the writer task on a dedicated connection; `options` reopen it if it breaks.
    pub(crate) fn spawn(conn: AnyConnection, backend: Backend, options: AnyConnectOptions) -> Self {
        let (queue, rx) = mpsc::channel::<Box<dyn Job>>(16_384);
        tokio::spawn(run(conn, backend, options, rx));
        Self { queue }
    }

    /// Runs `op` in the next batch and returns its result once the batch is committed.
    pub(crate) async fn write<T: Send + 'static>(&self, op: WriteFn<T>) -> StorageResult<T> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send(Box::new(TypedJob { op, reply }))
            .await
            .map_err(|_| StorageError::Unavailable("writer stopped".into()))?;
        answer
            .await
            .map_err(|_| StorageError::Unavailable("writer dropped the operation".into()))?
    }
}

async fn exec(conn: &mut AnyConnection, sql: &'static str) -> Result<(), String> {
    sqlx::query(sql).execute(&mut *conn).await.map(|_| ()).map_err(|e| e.to_string())
}

/// Opens a writer connection with the backend's session settings.
pub(crate) async fn open_writer(
    options: &AnyConnectOptions,
    backend: Backend,
) -> Result<AnyConnection, sqlx::Error> {
    let mut conn = options.connect().await?;
    let setup = match backend {
        Backend::Sqlite => crate::sql::SQLITE_PRAGMAS,
        Backend::Postgres => "SET synchronous_commit = on",
    };
    sqlx::raw_sql(setup).execute(&mut conn).await?;
    if backend == Backend::Sqlite {
        sqlx::raw_sql(crate::sql::SQLITE_WRITER_PRAGMAS).execute(&mut conn).await?;
    }
    Ok(conn)
}

async fn run(
    mut conn: AnyConnection,
    backend: Backend,
    options: AnyConnectOptions,
    mut rx: mpsc::Receiver<Box<dyn Job>>,
) {
    let begin = match backend {
        Backend::Sqlite => "BEGIN IMMEDIATE",
        Backend::Postgres => "BEGIN",
    };
    let mut batch: Vec<Box<dyn Job>> = Vec::with_capacity(MAX_BATCH);
    while let Some(first) = rx.recv().await {
        batch.push(first);
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(job) => batch.push(job),
                Err(_) => break,
            }
        }
        let n_ops = batch.len();
        let mut done: Vec<Box<dyn Done>> = Vec::with_capacity(n_ops);
        let mut started = exec(&mut conn, begin).await;
        if started.is_err() {
            // The connection may have broken (server restart, network): reopen it once.
            match open_writer(&options, backend).await {
                Ok(fresh) => {
                    tracing::warn!("writer connection reopened");
                    conn = fresh;
                    started = exec(&mut conn, begin).await;
                }
                Err(e) => tracing::error!(error = %e, "writer could not reconnect"),
            }
        }
        if let Err(e) = started {
            tracing::error!(error = %e, "writer could not begin a transaction");
            for job in batch.drain(..) {
                job.abort(e.clone());
            }
            continue;
        }
        // A savepoint makes SQLite copy every page an operation first touches into its
        // sub-journal (and PostgreSQL start a subtransaction); an operation alone in its
        // transaction does not need one: if it fails, the whole transaction rolls back.
        let alone = batch.len() == 1;
        let mut all_succeeded = true;
        for job in batch.drain(..) {
            if alone {
                let d = job.run(&mut conn).await;
                all_succeeded = d.succeeded();
                done.push(d);
                continue;
            }
            if let Err(e) = exec(&mut conn, "SAVEPOINT op").await {
                job.abort(e);
                continue;
            }
            let d = job.run(&mut conn).await;
            let rolled = if d.succeeded() {
                exec(&mut conn, "RELEASE SAVEPOINT op").await
            } else {
                match exec(&mut conn, "ROLLBACK TO SAVEPOINT op").await {
                    Ok(()) => exec(&mut conn, "RELEASE SAVEPOINT op").await,
                    Err(e) => Err(e),
                }
            };
            if let Err(e) = rolled {
                tracing::error!(error = %e, "savepoint handling failed");
            }
            done.push(d);
        }
        let commit = if all_succeeded {
            let commit = exec(&mut conn, "COMMIT").await;
            if let Err(e) = &commit {
                tracing::error!(error = %e, ops = n_ops, "group commit failed");
                let _ = exec(&mut conn, "ROLLBACK").await;
            }
            commit
        } else {
            // The lone operation failed: nothing of it stays; it answers with its own error.
            if let Err(e) = exec(&mut conn, "ROLLBACK").await {
                tracing::error!(error = %e, "rollback of a failed operation failed");
            }
            Ok(())
        };
        metrics_batch(n_ops);
        for d in done {
            d.finish(commit.clone());
        }
    }
}

fn metrics_batch(n_ops: usize) {
    tracing::trace!(ops = n_ops, "group commit");
}

#[cfg(test)]
mod tests {
    use sqlx::{AnyConnection, Row};

    use super::*;

    async fn writer() -> (Writer, tempfile::TempDir) {
        sqlx::any::install_default_drivers();
        let dir = tempfile::tempdir().unwrap();
        let url = format!("sqlite:{}?mode=rwc", dir.path().join("w.db").display());
        let options: AnyConnectOptions = url.parse().unwrap();
        let conn = open_writer(&options, Backend::Sqlite).await.unwrap();
        let w = Writer::spawn(conn, Backend::Sqlite, options);
        w.write::<()>(Box::new(|c: &mut AnyConnection| {
            Box::pin(async move {
                sqlx::query("CREATE TABLE t (v INTEGER NOT NULL)").execute(&mut *c).await.unwrap();
                Ok(())
            })
        }))
        .await
        .unwrap();
        (w, dir)
    }

    /// Inserts `v`, then fails when `fail`.
    fn insert(v: i64, fail: bool) -> WriteFn<()> {
        Box::new(move |c: &mut AnyConnection| {
            Box::pin(async move {
                sqlx::query("INSERT INTO t (v) VALUES ($1)")
                    .bind(v)
                    .execute(&mut *c)
                    .await
                    .map_err(StorageError::from_sqlx)?;
                if fail { Err(StorageError::Config("refused".into())) } else { Ok(()) }
            })
        })
    }

    async fn values(w: &Writer) -> Vec<i64> {
        w.write(Box::new(|c: &mut AnyConnection| {
            Box::pin(async move {
                let rows = sqlx::query("SELECT v FROM t ORDER BY v").fetch_all(&mut *c).await;
                Ok(rows.unwrap().iter().map(|r| r.get::<i64, _>(0)).collect())
            })
        }))
        .await
        .unwrap()
    }

    #[tokio::test]
    async fn a_lone_failing_operation_leaves_nothing_and_answers_its_own_error() {
        let (w, _dir) = writer().await;
        let err = w.write(insert(1, true)).await.unwrap_err();
        assert!(matches!(err, StorageError::Config(_)), "{err:?}");
        w.write(insert(2, false)).await.unwrap();
        assert_eq!(values(&w).await, vec![2]);
    }

    #[tokio::test]
    async fn in_a_shared_batch_only_the_failing_operation_rolls_back() {
        let (w, _dir) = writer().await;
        let ops: Vec<_> = (0..50).map(|i| w.write(insert(i, i % 5 == 0))).collect();
        let results = futures::future::join_all(ops).await;
        for (i, r) in results.iter().enumerate() {
            assert_eq!(r.is_ok(), i % 5 != 0, "operation {i}: {r:?}");
        }
        let expected: Vec<i64> = (0..50).filter(|i| i % 5 != 0).collect();
        assert_eq!(values(&w).await, expected);
    }
}
