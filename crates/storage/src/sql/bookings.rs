//! Appointments: booking, rescheduling and cancelling without ever overbooking.
//!
//! Capacity is taken by one conditional UPDATE (`booked + n <= capacity`), which both SQLite
//! (single writer) and PostgreSQL (row lock) apply atomically; the CHECK constraints on
//! `sessions` are the last line of defence.  A partial unique index allows one active booking
//! per beneficiary and dose.

use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe, Row};
use tika_domain::ids::{AppointmentId, BeneficiaryId, SessionId};
use tika_domain::session::{SecurityCode, Slot};
use tika_domain::vaccine::DoseNumber;

use super::certificates::enqueue;
use super::{SqlStore, decode_err, is_unique_violation, parse_uuid};
use crate::{
    Appointment, AppointmentStatus, Backend, ConflictKind, NewBooking, Reschedule, StorageError,
    StorageResult,
};

/// The appointment columns, qualified with the alias `a` (for joins).
pub(crate) const APPOINTMENT_COLS_A: &str = "a.id, a.booking_id, a.beneficiary_id, a.account_id, a.session_id, a.dose, \
                                            a.slot, a.security_code, a.policy_version, a.status, a.created_at";

const APPOINTMENT_COLS: &str = "id, booking_id, beneficiary_id, account_id, session_id, dose, slot, security_code, \
                                policy_version, status, created_at";

pub(crate) fn appointment_from_row(row: &AnyRow) -> StorageResult<Appointment> {
    let get_s = |c: &str| row.try_get::<String, _>(c).map_err(|_| decode_err(c));
    let get_i = |c: &str| row.try_get::<i64, _>(c).map_err(|_| decode_err(c));
    Ok(Appointment {
        id: parse_uuid(&get_s("id")?)?,
        booking_id: parse_uuid(&get_s("booking_id")?)?,
        beneficiary_id: parse_uuid(&get_s("beneficiary_id")?)?,
        account_id: parse_uuid(&get_s("account_id")?)?,
        session_id: parse_uuid(&get_s("session_id")?)?,
        dose: DoseNumber::new(get_i("dose")?).map_err(|_| decode_err("dose"))?,
        slot: Slot::from_label(&get_s("slot")?),
        security_code: SecurityCode::parse(&get_s("security_code")?)
            .ok_or_else(|| decode_err("security_code"))?,
        policy_version: get_s("policy_version")?,
        status: AppointmentStatus::parse(&get_s("status")?).ok_or_else(|| decode_err("status"))?,
        created_at_ms: get_i("created_at")?,
    })
}

pub(super) async fn list_appointments(
    store: &SqlStore,
    beneficiaries: &[BeneficiaryId],
) -> StorageResult<Vec<Appointment>> {
    if beneficiaries.is_empty() {
        return Ok(Vec::new());
    }
    let params: Vec<String> = (0..beneficiaries.len())
        .map(|i| match store.backend {
            Backend::Sqlite => "?".to_owned(),
            Backend::Postgres => format!("${}", i + 1),
        })
        .collect();
    let sql = format!(
        "SELECT {APPOINTMENT_COLS} FROM appointments WHERE beneficiary_id IN ({}) ORDER BY created_at DESC, id",
        params.join(", ")
    );
    let mut q = sqlx::query(AssertSqlSafe(sql));
    for b in beneficiaries {
        q = q.bind(b.to_string());
    }
    let rows = q.fetch_all(&store.read).await.map_err(StorageError::from_sqlx)?;
    rows.iter().map(appointment_from_row).collect()
}

pub(super) async fn find_booking(
    store: &SqlStore,
    booking: AppointmentId,
) -> StorageResult<Vec<Appointment>> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {APPOINTMENT_COLS} FROM appointments WHERE booking_id = $1 ORDER BY id"
    )))
    .bind(booking.to_string())
    .fetch_all(&store.read)
    .await
    .map_err(StorageError::from_sqlx)?;
    if rows.is_empty() {
        return Err(StorageError::NotFound);
    }
    rows.iter().map(appointment_from_row).collect()
}

/// Takes `n` seats for `dose` in a session, or explains why not.
async fn take_seats(
    conn: &mut AnyConnection,
    session: SessionId,
    dose: DoseNumber,
    n: i64,
    now_ms: i64,
) -> StorageResult<()> {
    let sql = if dose == DoseNumber::FIRST {
        "UPDATE sessions SET booked_dose1 = booked_dose1 + $1, updated_at = $2 \
         WHERE id = $3 AND status = 'active' AND booked_dose1 + $1 <= capacity_dose1"
    } else {
        "UPDATE sessions SET booked_dose2 = booked_dose2 + $1, updated_at = $2 \
         WHERE id = $3 AND status = 'active' AND booked_dose2 + $1 <= capacity_dose2"
    };
    let updated = sqlx::query(sql)
        .bind(n)
        .bind(now_ms)
        .bind(session.to_string())
        .execute(&mut *conn)
        .await
        .map_err(StorageError::from_sqlx)?
        .rows_affected();
    if updated == 1 {
        return Ok(());
    }
    let status: Option<String> = sqlx::query_scalar("SELECT status FROM sessions WHERE id = $1")
        .bind(session.to_string())
        .fetch_optional(&mut *conn)
        .await
        .map_err(StorageError::from_sqlx)?;
    match status.as_deref() {
        Some("active") => Err(StorageError::Conflict(ConflictKind::SessionFull)),
        Some(_) => Err(StorageError::Conflict(ConflictKind::SessionClosed)),
        None => Err(StorageError::NotFound),
    }
}

/// Gives back `n` seats for `dose` (never below zero).
pub(super) async fn return_seats(
    conn: &mut AnyConnection,
    session: SessionId,
    dose: DoseNumber,
    n: i64,
    now_ms: i64,
) -> StorageResult<()> {
    let sql = if dose == DoseNumber::FIRST {
        "UPDATE sessions SET booked_dose1 = CASE WHEN booked_dose1 >= $1 THEN booked_dose1 - $1 ELSE 0 END, \
         updated_at = $2 WHERE id = $3"
    } else {
        "UPDATE sessions SET booked_dose2 = CASE WHEN booked_dose2 >= $1 THEN booked_dose2 - $1 ELSE 0 END, \
         updated_at = $2 WHERE id = $3"
    };
    sqlx::query(sql)
        .bind(n)
        .bind(now_ms)
        .bind(session.to_string())
        .execute(&mut *conn)
        .await
        .map_err(StorageError::from_sqlx)?;
    Ok(())
}

async fn active_rows(
    conn: &mut AnyConnection,
    booking: AppointmentId,
) -> StorageResult<Vec<Appointment>> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {APPOINTMENT_COLS} FROM appointments WHERE booking_id = $1 AND status = 'booked' ORDER BY id"
    )))
    .bind(booking.to_string())
    .fetch_all(&mut *conn)
    .await
    .map_err(StorageError::from_sqlx)?;
    rows.iter().map(appointment_from_row).collect()
}

async fn booking_exists(conn: &mut AnyConnection, booking: AppointmentId) -> StorageResult<bool> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM appointments WHERE booking_id = $1")
        .bind(booking.to_string())
        .fetch_one(&mut *conn)
        .await
        .map_err(StorageError::from_sqlx)?;
    Ok(n > 0)
}

pub(super) async fn book(store: &SqlStore, booking: &NewBooking) -> StorageResult<()> {
    let b = booking.clone();
    store
        .write(Box::new(move |conn| {
            Box::pin(async move {
                let n = i64::try_from(b.members.len()).unwrap_or(i64::MAX);
                take_seats(conn, b.session_id, b.dose, n, b.now_ms).await?;
                for m in &b.members {
                    let res = sqlx::query(AssertSqlSafe(format!(
                        "INSERT INTO appointments ({APPOINTMENT_COLS}, updated_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'booked', $10, $10)"
                    )))
                    .bind(uuid::Uuid::now_v7().to_string())
                    .bind(b.booking_id.to_string())
                    .bind(m.beneficiary_id.to_string())
                    .bind(b.account_id.to_string())
                    .bind(b.session_id.to_string())
                    .bind(i64::from(b.dose.get()))
                    .bind(b.slot.as_str().to_owned())
                    .bind(m.security_code.as_str().to_owned())
                    .bind(b.policy_version.clone())
                    .bind(b.now_ms)
                    .execute(&mut *conn)
                    .await;
                    match res {
                        Ok(_) => {}
                        Err(e)
                            if is_unique_violation(&e, "one_active")
                                || is_unique_violation(&e, "appointments.beneficiary_id") =>
                        {
                            return Err(StorageError::Conflict(ConflictKind::AlreadyBooked));
                        }
                        Err(e) => return Err(StorageError::from_sqlx(e)),
                    }
                }
                enqueue(
                    conn,
                    "appointment.booked",
                    &b.booking_id.to_string(),
                    &serde_json::json!({
                        "booking_id": b.booking_id, "session_id": b.session_id,
                        "account_id": b.account_id,
                    }),
                    b.now_ms,
                )
                .await?;
                Ok(())
            })
        }))
        .await
}

pub(super) async fn reschedule(store: &SqlStore, change: &Reschedule) -> StorageResult<()> {
    let c = change.clone();
    store
        .write(Box::new(move |conn| {
            Box::pin(async move {
                let rows = active_rows(conn, c.booking_id).await?;
                let Some(first) = rows.first() else {
                    return Err(if booking_exists(conn, c.booking_id).await? {
                        StorageError::Conflict(ConflictKind::AppointmentNotChangeable)
                    } else {
                        StorageError::NotFound
                    });
                };
                let (old_session, dose) = (first.session_id, first.dose);
                let n = i64::try_from(rows.len()).unwrap_or(i64::MAX);
                if old_session != c.session_id {
                    return_seats(conn, old_session, dose, n, c.now_ms).await?;
                    take_seats(conn, c.session_id, dose, n, c.now_ms).await?;
                }
                sqlx::query(
                    "UPDATE appointments SET session_id = $1, slot = $2, updated_at = $3 \
                     WHERE booking_id = $4 AND status = 'booked'",
                )
                .bind(c.session_id.to_string())
                .bind(c.slot.as_str().to_owned())
                .bind(c.now_ms)
                .bind(c.booking_id.to_string())
                .execute(&mut *conn)
                .await
                .map_err(StorageError::from_sqlx)?;
                enqueue(
                    conn,
                    "appointment.rescheduled",
                    &c.booking_id.to_string(),
                    &serde_json::json!({
                        "booking_id": c.booking_id, "old_session_id": old_session,
                        "session_id": c.session_id,
                    }),
                    c.now_ms,
                )
                .await?;
                Ok(())
            })
        }))
        .await
}

pub(super) async fn cancel(
    store: &SqlStore,
    booking: AppointmentId,
    beneficiaries: &[BeneficiaryId],
    now_ms: i64,
) -> StorageResult<u64> {
    let only: Vec<BeneficiaryId> = beneficiaries.to_vec();
    store
        .write(Box::new(move |conn| {
            Box::pin(async move {
                let rows: Vec<Appointment> = active_rows(conn, booking)
                    .await?
                    .into_iter()
                    .filter(|a| only.is_empty() || only.contains(&a.beneficiary_id))
                    .collect();
                let Some(first) = rows.first() else {
                    return Err(if booking_exists(conn, booking).await? {
                        StorageError::Conflict(ConflictKind::AppointmentNotChangeable)
                    } else {
                        StorageError::NotFound
                    });
                };
                let (session, dose) = (first.session_id, first.dose);
                for a in &rows {
                    sqlx::query("UPDATE appointments SET status = 'cancelled', updated_at = $1 WHERE id = $2")
                        .bind(now_ms)
                        .bind(a.id.to_string())
                        .execute(&mut *conn)
                        .await
                        .map_err(StorageError::from_sqlx)?;
                }
                let n = i64::try_from(rows.len()).unwrap_or(i64::MAX);
                return_seats(conn, session, dose, n, now_ms).await?;
                let cancelled: Vec<BeneficiaryId> = rows.iter().map(|a| a.beneficiary_id).collect();
                enqueue(
                    conn,
                    "appointment.cancelled",
                    &booking.to_string(),
                    &serde_json::json!({
                        "booking_id": booking, "session_id": session,
                        "beneficiary_ids": cancelled,
                    }),
                    now_ms,
                )
                .await?;
                Ok(u64::try_from(n).unwrap_or(0))
            })
        }))
        .await
}
