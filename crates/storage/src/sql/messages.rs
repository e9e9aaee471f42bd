//! Messages to citizens: the SMS queue (planning, claiming, send outcomes, delivery reports),
//! the views over it (call lists, delivery rates, queue depth), quiet hours, incoming SMS, and
//! the two site actions that cause messages to everyone booked (cancelling and moving a
//! session).
//!
//! The queue is the `messages` table: one row per message for its whole life.  Dispatchers
//! claim due rows lane by lane (`priority = $p AND available_at <= now`, the partial index
//! `messages_queued`), so a million-row backlog of reminders never slows an OTP; on PostgreSQL
//! `FOR UPDATE SKIP LOCKED` keeps two servers from claiming the same row.

use std::collections::{BTreeSet, HashMap};

use chrono::NaiveDate;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe, Row};
use tika_domain::ids::{AccountId, AppointmentId, SessionId};
use tika_domain::message::{MessageKind, MessageStatus, Priority};
use tika_domain::mobile::Mobile;
use tika_domain::vaccine::DoseNumber;

use super::bookings::{APPOINTMENT_COLS_A, appointment_from_row, return_seats};
use super::certificates::{audit, enqueue};
use super::console::write_change;
use super::{SqlStore, date_str, decode_err, parse_uuid};
use crate::{
    Backend, CallListRow, Change, ConflictKind, DeliveryStat, DeliveryState, InboundSms,
    MessagePlan, MessageRecord, NewMessage, QueueDepth, SendOutcome, StorageError, StorageResult,
};

type Conn = AnyConnection;

fn db(e: sqlx::Error) -> StorageError {
    StorageError::from_sqlx(e)
}

/// At most this much of an error text is kept.
const MAX_ERROR_CHARS: usize = 500;

/// Bind parameters per statement: under SQLite's 32766 and PostgreSQL's 65535.
const MAX_BINDS: usize = 30_000;

/// The stored columns of a message, in [`message_from_row`]'s order.
const MESSAGE_COLS: &str = "id, kind, priority, mobile, account_id, beneficiary_id, booking_id, \
     session_id, language, template_id, body, parts, unicode, status, supersede_key, quiet_from, \
     quiet_to, available_at, expires_at, attempts, gateway, gateway_ref, last_error, created_at, \
     sent_at, delivered_at";

/// The columns an insert binds (status, attempts are literals).
const INSERT_COLS: &str = "id, kind, priority, mobile, account_id, beneficiary_id, booking_id, \
     session_id, language, template_id, body, parts, unicode, supersede_key, quiet_from, \
     quiet_to, available_at, expires_at, created_at, updated_at, status, attempts";
const INSERT_BINDS: usize = 20;

fn truncated(text: &str) -> String {
    text.chars().take(MAX_ERROR_CHARS).collect()
}

/// `n` placeholders starting at `first`: `?` on SQLite, `$n` on PostgreSQL.
fn placeholders(backend: Backend, first: usize, n: usize) -> String {
    let mut s = String::with_capacity(n * 5);
    for i in 0..n {
        if i > 0 {
            s.push_str(", ");
        }
        match backend {
            Backend::Sqlite => s.push('?'),
            Backend::Postgres => {
                s.push('$');
                s.push_str(&(first + i).to_string());
            }
        }
    }
    s
}

pub(crate) fn message_from_row(row: &AnyRow) -> StorageResult<MessageRecord> {
    let get_s = |c: &str| row.try_get::<String, _>(c).map_err(|_| decode_err(c));
    let get_i = |c: &str| row.try_get::<i64, _>(c).map_err(|_| decode_err(c));
    let opt_s = |c: &str| row.try_get::<Option<String>, _>(c).map_err(|_| decode_err(c));
    let opt_i = |c: &str| row.try_get::<Option<i64>, _>(c).map_err(|_| decode_err(c));
    let quiet = match (opt_i("quiet_from")?, opt_i("quiet_to")?) {
        (Some(f), Some(t)) => Some((
            u16::try_from(f).map_err(|_| decode_err("quiet_from"))?,
            u16::try_from(t).map_err(|_| decode_err("quiet_to"))?,
        )),
        _ => None,
    };
    Ok(MessageRecord {
        id: parse_uuid(&get_s("id")?)?,
        kind: MessageKind::parse(&get_s("kind")?).ok_or_else(|| decode_err("kind"))?,
        priority: Priority::from_i64(get_i("priority")?).ok_or_else(|| decode_err("priority"))?,
        mobile: Mobile::parse(&get_s("mobile")?).map_err(|_| decode_err("mobile"))?,
        account_id: opt_s("account_id")?.map(|s| parse_uuid(&s)).transpose()?,
        beneficiary_id: opt_s("beneficiary_id")?.map(|s| parse_uuid(&s)).transpose()?,
        booking_id: opt_s("booking_id")?.map(|s| parse_uuid(&s)).transpose()?,
        session_id: opt_s("session_id")?.map(|s| parse_uuid(&s)).transpose()?,
        language: get_s("language")?,
        template_id: get_s("template_id")?,
        body: get_s("body")?,
        parts: u32::try_from(get_i("parts")?).map_err(|_| decode_err("parts"))?,
        unicode: get_i("unicode")? != 0,
        status: MessageStatus::parse(&get_s("status")?).ok_or_else(|| decode_err("status"))?,
        supersede_key: opt_s("supersede_key")?,
        quiet_hours: quiet,
        available_at_ms: get_i("available_at")?,
        expires_at_ms: get_i("expires_at")?,
        attempts: u32::try_from(get_i("attempts")?).map_err(|_| decode_err("attempts"))?,
        gateway: opt_s("gateway")?,
        gateway_ref: opt_s("gateway_ref")?,
        last_error: opt_s("last_error")?,
        created_at_ms: get_i("created_at")?,
        sent_at_ms: opt_i("sent_at")?,
        delivered_at_ms: opt_i("delivered_at")?,
    })
}

// ---------------------------------------------------------------------------------------------
// Queueing
// ---------------------------------------------------------------------------------------------

/// Inserts queued messages in the caller's transaction with multi-row INSERTs; an existing id
/// is left alone.  Returns how many rows were inserted.
pub(crate) async fn insert_messages(
    conn: &mut Conn,
    backend: Backend,
    messages: &[NewMessage],
) -> StorageResult<u64> {
    let mut inserted = 0;
    for chunk in messages.chunks(MAX_BINDS / INSERT_BINDS) {
        let mut sql = String::with_capacity(100 + chunk.len() * 120);
        sql.push_str("INSERT INTO messages (");
        sql.push_str(INSERT_COLS);
        sql.push_str(") VALUES ");
        for r in 0..chunk.len() {
            if r > 0 {
                sql.push(',');
            }
            sql.push('(');
            sql.push_str(&placeholders(backend, r * INSERT_BINDS + 1, INSERT_BINDS));
            sql.push_str(", 'queued', 0)");
        }
        sql.push_str(" ON CONFLICT (id) DO NOTHING");
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for m in chunk {
            q = q
                .bind(m.id.to_string())
                .bind(m.kind.as_str())
                .bind(m.kind.priority().as_i64())
                .bind(m.mobile.as_str().to_owned())
                .bind(m.account_id.map(|a| a.to_string()))
                .bind(m.beneficiary_id.map(|b| b.to_string()))
                .bind(m.booking_id.map(|b| b.to_string()))
                .bind(m.session_id.map(|s| s.to_string()))
                .bind(m.language.clone())
                .bind(m.template_id.clone())
                .bind(m.body.clone())
                .bind(i64::from(m.parts))
                .bind(i64::from(m.unicode))
                .bind(m.supersede_key.clone())
                .bind(m.quiet_hours.map(|(f, _)| i64::from(f)))
                .bind(m.quiet_hours.map(|(_, t)| i64::from(t)))
                .bind(m.available_at_ms)
                .bind(m.expires_at_ms)
                .bind(m.created_at_ms)
                .bind(m.created_at_ms);
        }
        inserted += q.execute(&mut *conn).await.map_err(db)?.rows_affected();
    }
    Ok(inserted)
}

pub(super) async fn plan_messages(
    store: &SqlStore,
    plans: &[MessagePlan],
    now_ms: i64,
) -> StorageResult<()> {
    if plans
        .iter()
        .all(|p| p.messages.is_empty() && p.cancel_keys.is_empty() && p.event_ids.is_empty())
    {
        return Ok(());
    }
    let backend = store.backend;
    let mut cancel_keys: Vec<String> = Vec::new();
    let mut event_ids: Vec<String> = Vec::new();
    let mut messages: Vec<NewMessage> = Vec::new();
    for p in plans {
        cancel_keys.extend(p.cancel_keys.iter().cloned());
        event_ids.extend(p.event_ids.iter().map(uuid::Uuid::to_string));
        messages.extend(p.messages.iter().cloned());
    }
    cancel_keys.sort_unstable();
    cancel_keys.dedup();
    store
        .write(Box::new(move |conn| {
            Box::pin(async move {
                // Cancel first, so a new message may carry a key it supersedes.
                for chunk in cancel_keys.chunks(MAX_BINDS) {
                    let sql = format!(
                        "UPDATE messages SET status = 'cancelled', updated_at = $1 \
                         WHERE status = 'queued' AND supersede_key IN ({})",
                        super::site::params(2, chunk.len())
                    );
                    let mut q = sqlx::query(AssertSqlSafe(sql)).bind(now_ms);
                    for k in chunk {
                        q = q.bind(k.clone());
                    }
                    q.execute(&mut *conn).await.map_err(db)?;
                }
                insert_messages(conn, backend, &messages).await?;
                for chunk in event_ids.chunks(MAX_BINDS) {
                    let sql = format!(
                        "UPDATE outbox_events SET processed_at = $1 \
                         WHERE id IN ({}) AND processed_at IS NULL",
                        super::site::params(2, chunk.len())
                    );
                    let mut q = sqlx::query(AssertSqlSafe(sql)).bind(now_ms);
                    for id in chunk {
                        q = q.bind(id.clone());
                    }
                    q.execute(&mut *conn).await.map_err(db)?;
                }
                Ok(())
            })
        }))
        .await
}

pub(super) async fn enqueue_messages(
    store: &SqlStore,
    messages: &[NewMessage],
) -> StorageResult<u64> {
    if messages.is_empty() {
        return Ok(0);
    }
    let backend = store.backend;
    let messages = messages.to_vec();
    store
        .write(Box::new(move |conn| {
            Box::pin(async move { insert_messages(conn, backend, &messages).await })
        }))
        .await
}

// ---------------------------------------------------------------------------------------------
// Dispatching
// ---------------------------------------------------------------------------------------------

pub(super) async fn claim_messages(
    store: &SqlStore,
    priorities: &[Priority],
    limit: u32,
    now_ms: i64,
    lease_until_ms: i64,
) -> StorageResult<Vec<MessageRecord>> {
    if priorities.is_empty() || limit == 0 {
        return Ok(Vec::new());
    }
    let mut lanes: Vec<Priority> = priorities.to_vec();
    lanes.sort_unstable();
    lanes.dedup();
    let backend = store.backend;
    store
        .write(Box::new(move |conn| {
            Box::pin(async move {
                // Claims whose dispatcher went away go back to the queue (attempts unchanged),
                // then are claimed like any due message.
                sqlx::query(
                    "UPDATE messages SET status = 'queued', lease_until = NULL, updated_at = $1 \
                     WHERE status = 'sending' AND lease_until < $1",
                )
                .bind(now_ms)
                .execute(&mut *conn)
                .await
                .map_err(db)?;
                let lock = match backend {
                    Backend::Postgres => " FOR UPDATE SKIP LOCKED",
                    Backend::Sqlite => "",
                };
                // Lane by lane: each is one range of the partial index, oldest first.
                let sql = format!(
                    "UPDATE messages SET status = 'sending', lease_until = $1, updated_at = $2 \
                     WHERE id IN (SELECT id FROM messages WHERE status = 'queued' AND priority = $3 \
                     AND available_at <= $2 ORDER BY available_at LIMIT $4{lock}) \
                     RETURNING {MESSAGE_COLS}"
                );
                let mut claimed = Vec::new();
                for lane in lanes {
                    let left = i64::from(limit) - i64::try_from(claimed.len()).unwrap_or(0);
                    if left <= 0 {
                        break;
                    }
                    let rows = sqlx::query(AssertSqlSafe(sql.clone()))
                        .bind(lease_until_ms)
                        .bind(now_ms)
                        .bind(lane.as_i64())
                        .bind(left)
                        .fetch_all(&mut *conn)
                        .await
                        .map_err(db)?;
                    let mut got =
                        rows.iter().map(message_from_row).collect::<StorageResult<Vec<_>>>()?;
                    got.sort_by_key(|m| (m.available_at_ms, m.created_at_ms, m.id));
                    claimed.extend(got);
                }
                Ok(claimed)
            })
        }))
        .await
}

pub(super) async fn claim_message(
    store: &SqlStore,
    id: uuid::Uuid,
    now_ms: i64,
    lease_until_ms: i64,
) -> StorageResult<Option<MessageRecord>> {
    store
        .write(Box::new(move |conn| {
            Box::pin(async move {
                let row = sqlx::query(AssertSqlSafe(format!(
                    "UPDATE messages SET status = 'sending', lease_until = $1, updated_at = $2 \
                     WHERE id = $3 AND status = 'queued' RETURNING {MESSAGE_COLS}"
                )))
                .bind(lease_until_ms)
                .bind(now_ms)
                .bind(id.to_string())
                .fetch_optional(&mut *conn)
                .await
                .map_err(db)?;
                row.as_ref().map(message_from_row).transpose()
            })
        }))
        .await
}

/// A `Sent` outcome, flattened for binding.
struct SentRow {
    id: String,
    gateway: String,
    gateway_ref: Option<String>,
    at_ms: i64,
}

/// A gateway's delivery report can arrive before the dispatcher records the hand-off (Kannel
/// reports within milliseconds): then the row is already `delivered`/`failed` and only the
/// gateway fields are filled in.
const SENT_ONE: &str = "UPDATE messages SET status = CASE WHEN status = 'sending' THEN 'sent' ELSE status END, \
     gateway = $1, gateway_ref = $2, sent_at = COALESCE(sent_at, $3), updated_at = $3, lease_until = NULL, \
     body = CASE WHEN kind = 'otp' THEN '' ELSE body END \
     WHERE id = $4 AND (status = 'sending' OR (status IN ('delivered', 'failed') AND gateway IS NULL))";

async fn record_sent(conn: &mut Conn, backend: Backend, sent: &[SentRow]) -> StorageResult<()> {
    match backend {
        Backend::Sqlite => {
            // In-process: one prepared statement per row costs microseconds.
            for s in sent {
                sqlx::query(SENT_ONE)
                    .bind(s.gateway.clone())
                    .bind(s.gateway_ref.clone())
                    .bind(s.at_ms)
                    .bind(s.id.clone())
                    .execute(&mut *conn)
                    .await
                    .map_err(db)?;
            }
        }
        Backend::Postgres => {
            // One round trip per chunk.
            for chunk in sent.chunks(MAX_BINDS / 4) {
                let values: Vec<String> = (0..chunk.len())
                    .map(|i| {
                        let n = i * 4;
                        format!(
                            "(${}::text, ${}::text, ${}::text, ${}::bigint)",
                            n + 1,
                            n + 2,
                            n + 3,
                            n + 4
                        )
                    })
                    .collect();
                let sql = format!(
                    "UPDATE messages AS m SET \
                     status = CASE WHEN m.status = 'sending' THEN 'sent' ELSE m.status END, \
                     gateway = v.gateway, gateway_ref = v.gateway_ref, \
                     sent_at = COALESCE(m.sent_at, v.at), updated_at = v.at, \
                     lease_until = NULL, body = CASE WHEN m.kind = 'otp' THEN '' ELSE m.body END \
                     FROM (VALUES {}) AS v (id, gateway, gateway_ref, at) \
                     WHERE m.id = v.id AND (m.status = 'sending' \
                     OR (m.status IN ('delivered', 'failed') AND m.gateway IS NULL))",
                    values.join(", ")
                );
                let mut q = sqlx::query(AssertSqlSafe(sql));
                for s in chunk {
                    q = q
                        .bind(s.id.clone())
                        .bind(s.gateway.clone())
                        .bind(s.gateway_ref.clone())
                        .bind(s.at_ms);
                }
                q.execute(&mut *conn).await.map_err(db)?;
            }
        }
    }
    Ok(())
}

pub(super) async fn record_send_outcomes(
    store: &SqlStore,
    outcomes: &[SendOutcome],
) -> StorageResult<()> {
    if outcomes.is_empty() {
        return Ok(());
    }
    let backend = store.backend;
    let outcomes = outcomes.to_vec();
    // Retries and deferrals carry no time of their own.
    let now_ms = chrono::Utc::now().timestamp_millis();
    store
        .write(Box::new(move |conn| {
            Box::pin(async move {
                let mut sent = Vec::new();
                for o in outcomes {
                    match o {
                        SendOutcome::Sent { id, gateway, gateway_ref, at_ms } => {
                            sent.push(SentRow { id: id.to_string(), gateway, gateway_ref, at_ms });
                        }
                        SendOutcome::Retry { id, gateway, error, retry_at_ms } => {
                            sqlx::query(
                                "UPDATE messages SET status = 'queued', attempts = attempts + 1, \
                                 last_error = $1, available_at = $2, gateway = COALESCE($3, gateway), \
                                 lease_until = NULL, updated_at = $4 \
                                 WHERE id = $5 AND status = 'sending'",
                            )
                            .bind(truncated(&error))
                            .bind(retry_at_ms)
                            .bind(gateway)
                            .bind(now_ms)
                            .bind(id.to_string())
                            .execute(&mut *conn)
                            .await
                            .map_err(db)?;
                        }
                        SendOutcome::Defer { id, until_ms } => {
                            sqlx::query(
                                "UPDATE messages SET status = 'queued', available_at = $1, \
                                 lease_until = NULL, updated_at = $2 \
                                 WHERE id = $3 AND status = 'sending'",
                            )
                            .bind(until_ms)
                            .bind(now_ms)
                            .bind(id.to_string())
                            .execute(&mut *conn)
                            .await
                            .map_err(db)?;
                        }
                        SendOutcome::Failed { id, gateway, error, at_ms } => {
                            sqlx::query(
                                "UPDATE messages SET status = 'failed', gateway = COALESCE($1, gateway), \
                                 last_error = $2, lease_until = NULL, updated_at = $3 \
                                 WHERE id = $4 AND status = 'sending'",
                            )
                            .bind(gateway)
                            .bind(truncated(&error))
                            .bind(at_ms)
                            .bind(id.to_string())
                            .execute(&mut *conn)
                            .await
                            .map_err(db)?;
                        }
                        SendOutcome::Expired { id, at_ms } => {
                            sqlx::query(
                                "UPDATE messages SET status = 'expired', lease_until = NULL, \
                                 updated_at = $1, body = CASE WHEN kind = 'otp' THEN '' ELSE body END \
                                 WHERE id = $2 AND status = 'sending'",
                            )
                            .bind(at_ms)
                            .bind(id.to_string())
                            .execute(&mut *conn)
                            .await
                            .map_err(db)?;
                        }
                    }
                }
                record_sent(conn, backend, &sent).await
            })
        }))
        .await
}

pub(super) async fn record_delivery(
    store: &SqlStore,
    id: uuid::Uuid,
    state: DeliveryState,
    detail: &str,
    at_ms: i64,
) -> StorageResult<MessageStatus> {
    let detail = truncated(detail);
    store
        .write(Box::new(move |conn| {
            Box::pin(async move {
                // `sent` moves on, and so does `sending`: a report can overtake the
                // dispatcher's own record of the hand-off.  Final states stay final.
                match state {
                    DeliveryState::Accepted => {}
                    DeliveryState::Delivered => {
                        sqlx::query(
                            "UPDATE messages SET status = 'delivered', delivered_at = $1, \
                             sent_at = COALESCE(sent_at, $1), updated_at = $1 \
                             WHERE id = $2 AND status IN ('sent', 'sending')",
                        )
                        .bind(at_ms)
                        .bind(id.to_string())
                        .execute(&mut *conn)
                        .await
                        .map_err(db)?;
                    }
                    DeliveryState::Failed => {
                        sqlx::query(
                            "UPDATE messages SET status = 'failed', last_error = $1, \
                             delivered_at = $2, sent_at = COALESCE(sent_at, $2), updated_at = $2 \
                             WHERE id = $3 AND status IN ('sent', 'sending')",
                        )
                        .bind(detail)
                        .bind(at_ms)
                        .bind(id.to_string())
                        .execute(&mut *conn)
                        .await
                        .map_err(db)?;
                    }
                }
                let status: Option<String> =
                    sqlx::query_scalar("SELECT status FROM messages WHERE id = $1")
                        .bind(id.to_string())
                        .fetch_optional(&mut *conn)
                        .await
                        .map_err(db)?;
                let status = status.ok_or(StorageError::NotFound)?;
                MessageStatus::parse(&status).ok_or_else(|| decode_err("status"))
            })
        }))
        .await
}

// ---------------------------------------------------------------------------------------------
// Reads
// ---------------------------------------------------------------------------------------------

pub(super) async fn find_message(store: &SqlStore, id: uuid::Uuid) -> StorageResult<MessageRecord> {
    let row =
        sqlx::query(AssertSqlSafe(format!("SELECT {MESSAGE_COLS} FROM messages WHERE id = $1")))
            .bind(id.to_string())
            .fetch_optional(&store.read)
            .await
            .map_err(db)?
            .ok_or(StorageError::NotFound)?;
    message_from_row(&row)
}

pub(super) async fn messages_to(
    store: &SqlStore,
    mobile: &Mobile,
    limit: u32,
) -> StorageResult<Vec<MessageRecord>> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {MESSAGE_COLS} FROM messages WHERE mobile = $1 \
         ORDER BY created_at DESC, id DESC LIMIT $2"
    )))
    .bind(mobile.as_str().to_owned())
    .bind(i64::from(limit))
    .fetch_all(&store.read)
    .await
    .map_err(db)?;
    rows.iter().map(message_from_row).collect()
}

pub(super) async fn messages_about_booking(
    store: &SqlStore,
    booking: AppointmentId,
) -> StorageResult<Vec<MessageRecord>> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {MESSAGE_COLS} FROM messages WHERE booking_id = $1 ORDER BY created_at DESC, id DESC"
    )))
    .bind(booking.to_string())
    .fetch_all(&store.read)
    .await
    .map_err(db)?;
    rows.iter().map(message_from_row).collect()
}

pub(super) async fn session_call_list(
    store: &SqlStore,
    session: SessionId,
) -> StorageResult<Vec<CallListRow>> {
    let exists: Option<String> = sqlx::query_scalar("SELECT id FROM sessions WHERE id = $1")
        .bind(session.to_string())
        .fetch_optional(&store.read)
        .await
        .map_err(db)?;
    if exists.is_none() {
        return Err(StorageError::NotFound);
    }
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {APPOINTMENT_COLS_A}, b.reference_id, b.name, ac.mobile, r.arrived_at, \
                CASE WHEN EXISTS (SELECT 1 FROM vaccinations v WHERE v.session_id = a.session_id \
                     AND v.beneficiary_id = a.beneficiary_id AND v.voided_at IS NULL) \
                     THEN 1 ELSE 0 END AS vaccinated \
         FROM appointments a \
         JOIN beneficiaries b ON b.id = a.beneficiary_id \
         JOIN accounts ac ON ac.id = a.account_id \
         LEFT JOIN arrivals r ON r.session_id = a.session_id AND r.beneficiary_id = a.beneficiary_id \
         WHERE a.session_id = $1 AND a.status IN ('booked', 'completed')"
    )))
    .bind(session.to_string())
    .fetch_all(&store.read)
    .await
    .map_err(db)?;
    let message_rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {MESSAGE_COLS} FROM messages WHERE booking_id IN \
         (SELECT booking_id FROM appointments WHERE session_id = $1 \
          AND status IN ('booked', 'completed'))"
    )))
    .bind(session.to_string())
    .fetch_all(&store.read)
    .await
    .map_err(db)?;
    let mut by_booking: HashMap<AppointmentId, Vec<MessageRecord>> = HashMap::new();
    for row in &message_rows {
        let m = message_from_row(row)?;
        if let Some(b) = m.booking_id {
            by_booking.entry(b).or_default().push(m);
        }
    }
    let mut list = Vec::with_capacity(rows.len());
    for row in &rows {
        let appointment = appointment_from_row(row)?;
        let about_them: Vec<&MessageRecord> = by_booking
            .get(&appointment.booking_id)
            .map(|ms| {
                ms.iter()
                    .filter(|m| m.beneficiary_id.is_none_or(|b| b == appointment.beneficiary_id))
                    .collect()
            })
            .unwrap_or_default();
        // A reminder is planned in the same transaction as its confirmation (same
        // `created_at_ms`); the tie must not fall to the random id.  While the reminder waits
        // for its time the confirmation is what they were told; once it has gone out, the
        // reminder is the later message (its `available_at_ms`).
        let last_message = about_them
            .iter()
            .max_by_key(|m| {
                let scheduled = m.status == MessageStatus::Queued && m.priority == Priority::Bulk;
                (m.created_at_ms, !scheduled, m.available_at_ms, m.id)
            })
            .map(|m| (*m).clone());
        list.push(CallListRow {
            reference_id: row.try_get::<String, _>("reference_id").map_err(db)?,
            name: row.try_get::<String, _>("name").map_err(db)?,
            mobile: Mobile::parse(&row.try_get::<String, _>("mobile").map_err(db)?)
                .map_err(|_| decode_err("mobile"))?,
            last_message,
            messages: u32::try_from(about_them.len()).unwrap_or(u32::MAX),
            arrived_at_ms: row.try_get::<Option<i64>, _>("arrived_at").map_err(db)?,
            vaccinated: row.try_get::<i64, _>("vaccinated").map_err(db)? != 0,
            appointment,
        });
    }
    list.sort_by(|a, b| {
        let key = |r: &CallListRow| {
            (
                r.appointment.slot.start_minutes().unwrap_or(u32::MAX),
                r.appointment.slot.as_str().to_owned(),
            )
        };
        key(a)
            .cmp(&key(b))
            .then_with(|| a.name.cmp(&b.name))
            .then_with(|| a.appointment.id.cmp(&b.appointment.id))
    });
    Ok(list)
}

pub(super) async fn delivery_stats(
    store: &SqlStore,
    since_ms: i64,
    district: Option<i64>,
) -> StorageResult<Vec<DeliveryStat>> {
    let filter = if district.is_some() { " AND c.district_id = $2" } else { "" };
    let sql = format!(
        "SELECT c.district_id AS district_id, m.gateway AS gateway, COUNT(*) AS total, \
                SUM(CASE WHEN m.status IN ('queued', 'sending') THEN 1 ELSE 0 END) AS pending, \
                SUM(CASE WHEN m.status = 'sent' THEN 1 ELSE 0 END) AS sent, \
                SUM(CASE WHEN m.status = 'delivered' THEN 1 ELSE 0 END) AS delivered, \
                SUM(CASE WHEN m.status = 'failed' THEN 1 ELSE 0 END) AS failed, \
                SUM(CASE WHEN m.status = 'expired' THEN 1 ELSE 0 END) AS expired \
         FROM messages m \
         LEFT JOIN sessions s ON s.id = m.session_id \
         LEFT JOIN centers c ON c.id = s.center_id \
         WHERE m.created_at >= $1 AND m.status <> 'cancelled'{filter} \
         GROUP BY c.district_id, m.gateway"
    );
    let mut q = sqlx::query(AssertSqlSafe(sql)).bind(since_ms);
    if let Some(d) = district {
        q = q.bind(d);
    }
    let rows = q.fetch_all(&store.read).await.map_err(db)?;
    let count = |row: &AnyRow, c: &str| -> StorageResult<u64> {
        let n = row.try_get::<i64, _>(c).map_err(|_| decode_err(c))?;
        Ok(u64::try_from(n).unwrap_or(0))
    };
    let mut stats = rows
        .iter()
        .map(|row| {
            Ok(DeliveryStat {
                district_id: row.try_get::<Option<i64>, _>("district_id").map_err(db)?,
                gateway: row.try_get::<Option<String>, _>("gateway").map_err(db)?,
                total: count(row, "total")?,
                pending: count(row, "pending")?,
                sent: count(row, "sent")?,
                delivered: count(row, "delivered")?,
                failed: count(row, "failed")?,
                expired: count(row, "expired")?,
            })
        })
        .collect::<StorageResult<Vec<_>>>()?;
    stats.sort_by(|a, b| (a.district_id, &a.gateway).cmp(&(b.district_id, &b.gateway)));
    Ok(stats)
}

pub(super) async fn queue_depth(store: &SqlStore, now_ms: i64) -> StorageResult<QueueDepth> {
    let rows = sqlx::query(
        "SELECT priority, COUNT(*) AS n, MIN(available_at) AS oldest FROM messages \
         WHERE status = 'queued' AND available_at <= $1 GROUP BY priority ORDER BY priority",
    )
    .bind(now_ms)
    .fetch_all(&store.read)
    .await
    .map_err(db)?;
    let mut due = Vec::with_capacity(rows.len());
    for row in &rows {
        let p = Priority::from_i64(row.try_get::<i64, _>("priority").map_err(db)?)
            .ok_or_else(|| decode_err("priority"))?;
        let n = u64::try_from(row.try_get::<i64, _>("n").map_err(db)?).unwrap_or(0);
        due.push((p, n, row.try_get::<i64, _>("oldest").map_err(db)?));
    }
    let scheduled: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM messages WHERE status = 'queued' AND available_at > $1",
    )
    .bind(now_ms)
    .fetch_one(&store.read)
    .await
    .map_err(db)?;
    let sending: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM messages WHERE status = 'sending'")
        .fetch_one(&store.read)
        .await
        .map_err(db)?;
    Ok(QueueDepth {
        due,
        scheduled: u64::try_from(scheduled).unwrap_or(0),
        sending: u64::try_from(sending).unwrap_or(0),
    })
}

// ---------------------------------------------------------------------------------------------
// Quiet hours, incoming SMS
// ---------------------------------------------------------------------------------------------

pub(super) async fn set_quiet_hours(
    store: &SqlStore,
    account: AccountId,
    quiet: Option<(u16, u16)>,
) -> StorageResult<()> {
    store
        .write(Box::new(move |conn| {
            Box::pin(async move {
                let n =
                    sqlx::query("UPDATE accounts SET quiet_from = $1, quiet_to = $2 WHERE id = $3")
                        .bind(quiet.map(|(f, _)| i64::from(f)))
                        .bind(quiet.map(|(_, t)| i64::from(t)))
                        .bind(account.to_string())
                        .execute(&mut *conn)
                        .await
                        .map_err(db)?
                        .rows_affected();
                if n == 0 { Err(StorageError::NotFound) } else { Ok(()) }
            })
        }))
        .await
}

pub(super) async fn quiet_hours(
    store: &SqlStore,
    account: AccountId,
) -> StorageResult<Option<(u16, u16)>> {
    let row = sqlx::query("SELECT quiet_from, quiet_to FROM accounts WHERE id = $1")
        .bind(account.to_string())
        .fetch_optional(&store.read)
        .await
        .map_err(db)?
        .ok_or(StorageError::NotFound)?;
    let from = row.try_get::<Option<i64>, _>("quiet_from").map_err(db)?;
    let to = row.try_get::<Option<i64>, _>("quiet_to").map_err(db)?;
    match (from, to) {
        (Some(f), Some(t)) => Ok(Some((
            u16::try_from(f).map_err(|_| decode_err("quiet_from"))?,
            u16::try_from(t).map_err(|_| decode_err("quiet_to"))?,
        ))),
        _ => Ok(None),
    }
}

pub(super) async fn record_inbound(store: &SqlStore, sms: &InboundSms) -> StorageResult<()> {
    let sms = sms.clone();
    store
        .write(Box::new(move |conn| {
            Box::pin(async move {
                sqlx::query(
                    "INSERT INTO inbound_sms (id, mobile, to_number, text, keyword, outcome, received_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (id) DO NOTHING",
                )
                .bind(sms.id.to_string())
                .bind(sms.mobile.as_str().to_owned())
                .bind(sms.to)
                .bind(sms.text)
                .bind(sms.keyword)
                .bind(sms.outcome)
                .bind(sms.received_at_ms)
                .execute(&mut *conn)
                .await
                .map_err(db)?;
                Ok(())
            })
        }))
        .await
}

pub(super) async fn list_inbound(store: &SqlStore, limit: u32) -> StorageResult<Vec<InboundSms>> {
    let rows = sqlx::query(
        "SELECT id, mobile, to_number, text, keyword, outcome, received_at FROM inbound_sms \
         ORDER BY received_at DESC, id DESC LIMIT $1",
    )
    .bind(i64::from(limit))
    .fetch_all(&store.read)
    .await
    .map_err(db)?;
    rows.iter()
        .map(|row| {
            let get_s = |c: &str| row.try_get::<String, _>(c).map_err(|_| decode_err(c));
            Ok(InboundSms {
                id: parse_uuid(&get_s("id")?)?,
                mobile: Mobile::parse(&get_s("mobile")?).map_err(|_| decode_err("mobile"))?,
                to: get_s("to_number")?,
                text: get_s("text")?,
                keyword: get_s("keyword")?,
                outcome: get_s("outcome")?,
                received_at_ms: row
                    .try_get::<i64, _>("received_at")
                    .map_err(|_| decode_err("received_at"))?,
            })
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Site actions on a whole session
// ---------------------------------------------------------------------------------------------

/// The session's status and date, locked on PostgreSQL; `NotFound` if unknown,
/// `Conflict(SessionClosed)` if cancelled.
async fn open_session(
    conn: &mut Conn,
    backend: Backend,
    session: SessionId,
) -> StorageResult<String> {
    let lock = if backend == Backend::Postgres { " FOR UPDATE" } else { "" };
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT status, date FROM sessions WHERE id = $1{lock}"
    )))
    .bind(session.to_string())
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?
    .ok_or(StorageError::NotFound)?;
    let status: String = row.try_get("status").map_err(db)?;
    if status != "active" {
        return Err(StorageError::Conflict(ConflictKind::SessionClosed));
    }
    row.try_get("date").map_err(db)
}

/// The booked appointments of a session: `(booking id, dose)` per row.
async fn booked_rows(
    conn: &mut Conn,
    session: SessionId,
) -> StorageResult<Vec<(AppointmentId, i64)>> {
    let rows = sqlx::query(
        "SELECT booking_id, dose FROM appointments WHERE session_id = $1 AND status = 'booked'",
    )
    .bind(session.to_string())
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    rows.iter()
        .map(|row| {
            Ok((
                parse_uuid(&row.try_get::<String, _>("booking_id").map_err(db)?)?,
                row.try_get::<i64, _>("dose").map_err(db)?,
            ))
        })
        .collect()
}

fn distinct_bookings(rows: &[(AppointmentId, i64)]) -> Vec<AppointmentId> {
    let set: BTreeSet<AppointmentId> = rows.iter().map(|(b, _)| *b).collect();
    set.into_iter().collect()
}

pub(super) async fn cancel_session(
    store: &SqlStore,
    session: SessionId,
    reason: &str,
    actor: &str,
    now_ms: i64,
    audit_change: Option<&Change>,
) -> StorageResult<Vec<AppointmentId>> {
    let change = audit_change.cloned();
    let (reason, actor) = (reason.to_owned(), actor.to_owned());
    let backend = store.backend;
    store
        .write(Box::new(move |conn| {
            Box::pin(async move {
                open_session(conn, backend, session).await?;
                let rows = booked_rows(conn, session).await?;
                sqlx::query(
                    "UPDATE appointments SET status = 'cancelled', updated_at = $1 \
                     WHERE session_id = $2 AND status = 'booked'",
                )
                .bind(now_ms)
                .bind(session.to_string())
                .execute(&mut *conn)
                .await
                .map_err(db)?;
                for dose in [1_i64, 2] {
                    let n = rows.iter().filter(|(_, d)| *d == dose).count();
                    if n > 0 {
                        let dose = DoseNumber::new(dose).map_err(|_| decode_err("dose"))?;
                        return_seats(
                            conn,
                            session,
                            dose,
                            i64::try_from(n).unwrap_or(i64::MAX),
                            now_ms,
                        )
                        .await?;
                    }
                }
                sqlx::query(
                    "UPDATE sessions SET status = 'cancelled', updated_at = $1 WHERE id = $2",
                )
                .bind(now_ms)
                .bind(session.to_string())
                .execute(&mut *conn)
                .await
                .map_err(db)?;
                let bookings = distinct_bookings(&rows);
                let subject = session.to_string();
                enqueue(
                    conn,
                    "session.cancelled",
                    &subject,
                    &serde_json::json!({
                        "session_id": subject, "reason": reason, "booking_ids": bookings,
                    }),
                    now_ms,
                )
                .await?;
                if let Some(change) = &change {
                    write_change(conn, change).await?;
                    return Ok(bookings);
                }
                audit(
                    conn,
                    &actor,
                    "session.cancel",
                    &subject,
                    &serde_json::json!({
                        "reason": reason, "bookings": bookings.len(), "appointments": rows.len(),
                    }),
                    now_ms,
                )
                .await?;
                Ok(bookings)
            })
        }))
        .await
}

pub(super) async fn move_session(
    store: &SqlStore,
    session: SessionId,
    new_date: NaiveDate,
    reason: &str,
    actor: &str,
    now_ms: i64,
    audit_change: Option<&Change>,
) -> StorageResult<Vec<AppointmentId>> {
    let change = audit_change.cloned();
    let (reason, actor) = (reason.to_owned(), actor.to_owned());
    let backend = store.backend;
    store
        .write(Box::new(move |conn| {
            Box::pin(async move {
                let old_date = open_session(conn, backend, session).await?;
                let new_date = date_str(new_date);
                let rows = booked_rows(conn, session).await?;
                sqlx::query("UPDATE sessions SET date = $1, updated_at = $2 WHERE id = $3")
                    .bind(new_date.clone())
                    .bind(now_ms)
                    .bind(session.to_string())
                    .execute(&mut *conn)
                    .await
                    .map_err(db)?;
                let bookings = distinct_bookings(&rows);
                let subject = session.to_string();
                enqueue(
                    conn,
                    "session.changed",
                    &subject,
                    &serde_json::json!({
                        "session_id": subject, "old_date": old_date, "new_date": new_date,
                        "reason": reason, "booking_ids": bookings,
                    }),
                    now_ms,
                )
                .await?;
                if let Some(change) = &change {
                    write_change(conn, change).await?;
                    return Ok(bookings);
                }
                audit(
                    conn,
                    &actor,
                    "session.move",
                    &subject,
                    &serde_json::json!({
                        "old_date": old_date, "new_date": new_date, "reason": reason,
                        "bookings": bookings.len(),
                    }),
                    now_ms,
                )
                .await?;
                Ok(bookings)
            })
        }))
        .await
}
