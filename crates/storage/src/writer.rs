//! Group commit: one task owns the write connection and batches concurrent writes.
//!
//! SQLite at `synchronous=FULL` manages about 500 single-row commits a second here; one
//! transaction holding many operations costs one fsync.  Each operation runs inside its own
//! savepoint, so one refused operation (a full session, a duplicate id) rolls back alone, and
//! every caller is answered only after the shared COMMIT returned: an acknowledged write has
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
        for job in batch.drain(..) {
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
        let commit = exec(&mut conn, "COMMIT").await;
        if let Err(e) = &commit {
            tracing::error!(error = %e, ops = n_ops, "group commit failed");
            let _ = exec(&mut conn, "ROLLBACK").await;
        }
        metrics_batch(n_ops);
        for d in done {
            d.finish(commit.clone());
        }
    }
}

fn metrics_batch(n_ops: usize) {
    tracing::trace!(ops = n_ops, "group commit");
}
