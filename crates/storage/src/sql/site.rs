//! Vaccination sites: staff, batches, session lists, the access log, review items and events.

use chrono::NaiveDate;
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};
use tika_domain::ids::{CenterId, RecordId, ReviewId, SessionId, StaffId, UploadKey};
use tika_domain::mobile::Mobile;
use tika_domain::staff::{StaffRole, Username};
use tika_domain::sync::{SiteRecord, SyncCode};
use tika_domain::vaccine::{DoseNumber, VaccineCode};

use super::bookings::{APPOINTMENT_COLS_A, appointment_from_row};
use super::places::{SESSION_COLS, session_from_row};
use super::{SqlStore, date_str, decode_err, is_unique_violation, parse_date, parse_uuid};
use crate::{
    AccessEntry, Arrival, Batch, ConflictKind, NewStaff, OutboxEvent, ReviewFilter, ReviewItem,
    ReviewStatus, RosterEntry, Session, SiteDose, Staff, StorageError, StorageResult,
};

/// `$first, $first+1, …` (`n` of them); numbered placeholders work on both backends as long as
/// they appear in ascending order.
pub(crate) fn params(first: usize, n: usize) -> String {
    (first..first + n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

const STAFF_COLS: &str = "id, center_id, username, name, mobile, role, password_hash, active, \
                          failed_logins, locked_until";

fn staff_from_row(row: &AnyRow) -> StorageResult<Staff> {
    let get_s = |c: &str| row.try_get::<String, _>(c).map_err(|_| decode_err(c));
    let get_i = |c: &str| row.try_get::<i64, _>(c).map_err(|_| decode_err(c));
    let mobile = row.try_get::<Option<String>, _>("mobile").map_err(|_| decode_err("mobile"))?;
    Ok(Staff {
        id: parse_uuid(&get_s("id")?)?,
        center_id: CenterId(get_i("center_id")?),
        username: Username::parse(&get_s("username")?).map_err(|_| decode_err("username"))?,
        name: get_s("name")?,
        mobile: mobile.map(|m| Mobile::parse(&m)).transpose().map_err(|_| decode_err("mobile"))?,
        role: StaffRole::parse(&get_s("role")?).ok_or_else(|| decode_err("role"))?,
        password_hash: get_s("password_hash")?,
        active: get_i("active")? != 0,
        failed_logins: u32::try_from(get_i("failed_logins")?).unwrap_or(u32::MAX),
        locked_until_ms: get_i("locked_until")?,
    })
}

pub(super) async fn create_staff(store: &SqlStore, new: &NewStaff) -> StorageResult<Staff> {
    let new = new.clone();
    store.write(Box::new(move |conn| Box::pin(async move { insert_staff(conn, new).await }))).await
}

/// Inserts a staff member in the caller's transaction (`Conflict(UsernameTaken)`).
pub(crate) async fn insert_staff(
    conn: &mut sqlx::AnyConnection,
    new: NewStaff,
) -> StorageResult<Staff> {
    let res = sqlx::query(AssertSqlSafe(format!(
        "INSERT INTO staff ({STAFF_COLS}, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, 1, 0, 0, $8)"
    )))
    .bind(new.id.to_string())
    .bind(new.center_id.0)
    .bind(new.username.as_str().to_owned())
    .bind(new.name.clone())
    .bind(new.mobile.as_ref().map(|m| m.as_str().to_owned()))
    .bind(new.role.as_str())
    .bind(new.password_hash.clone())
    .bind(new.created_at_ms)
    .execute(&mut *conn)
    .await;
    match res {
        Ok(_) => Ok(Staff {
            id: new.id,
            center_id: new.center_id,
            username: new.username,
            name: new.name,
            mobile: new.mobile,
            role: new.role,
            password_hash: new.password_hash,
            active: true,
            failed_logins: 0,
            locked_until_ms: 0,
        }),
        Err(e) if is_unique_violation(&e, "username") => {
            Err(StorageError::Conflict(ConflictKind::UsernameTaken))
        }
        Err(e) => Err(StorageError::from_sqlx(e)),
    }
}

pub(super) async fn find_staff_by_username(
    store: &SqlStore,
    username: &Username,
) -> StorageResult<Staff> {
    let row =
        sqlx::query(AssertSqlSafe(format!("SELECT {STAFF_COLS} FROM staff WHERE username = $1")))
            .bind(username.as_str().to_owned())
            .fetch_optional(&store.read)
            .await
            .map_err(StorageError::from_sqlx)?
            .ok_or(StorageError::NotFound)?;
    staff_from_row(&row)
}

pub(super) async fn find_staff(store: &SqlStore, id: StaffId) -> StorageResult<Staff> {
    let row = sqlx::query(AssertSqlSafe(format!("SELECT {STAFF_COLS} FROM staff WHERE id = $1")))
        .bind(id.to_string())
        .fetch_optional(&store.read)
        .await
        .map_err(StorageError::from_sqlx)?
        .ok_or(StorageError::NotFound)?;
    staff_from_row(&row)
}

pub(super) async fn list_staff(store: &SqlStore, center: CenterId) -> StorageResult<Vec<Staff>> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {STAFF_COLS} FROM staff WHERE center_id = $1 ORDER BY name, id"
    )))
    .bind(center.0)
    .fetch_all(&store.read)
    .await
    .map_err(StorageError::from_sqlx)?;
    rows.iter().map(staff_from_row).collect()
}

pub(super) async fn set_login_state(
    store: &SqlStore,
    id: StaffId,
    failed_logins: u32,
    locked_until_ms: i64,
) -> StorageResult<()> {
    store
        .write(Box::new(move |conn| {
            Box::pin(async move {
                sqlx::query("UPDATE staff SET failed_logins = $1, locked_until = $2 WHERE id = $3")
                    .bind(i64::from(failed_logins))
                    .bind(locked_until_ms)
                    .bind(id.to_string())
                    .execute(&mut *conn)
                    .await
                    .map_err(StorageError::from_sqlx)?;
                Ok(())
            })
        }))
        .await
}

pub(super) async fn issue_batch(store: &SqlStore, batch: &Batch) -> StorageResult<()> {
    let b = batch.clone();
    store
        .write(Box::new(move |conn| {
            Box::pin(async move {
                let res = sqlx::query(
                    "INSERT INTO vaccine_batches (center_id, batch, vaccine, expiry, doses_per_vial, issued_at) \
                     VALUES ($1, $2, $3, $4, $5, $6)",
                )
                .bind(b.center_id.0)
                .bind(b.batch.clone())
                .bind(b.vaccine.as_str().to_owned())
                .bind(date_str(b.expiry))
                .bind(i64::from(b.doses_per_vial))
                .bind(b.issued_at_ms)
                .execute(&mut *conn)
                .await;
                match res {
                    Ok(_) => Ok(()),
                    Err(e) if e.as_database_error().is_some_and(|d| d.is_unique_violation()) => {
                        Err(StorageError::Conflict(ConflictKind::BatchExists))
                    }
                    Err(e) => Err(StorageError::from_sqlx(e)),
                }
            })
        }))
        .await
}

pub(super) async fn list_batches(store: &SqlStore, center: CenterId) -> StorageResult<Vec<Batch>> {
    let rows = sqlx::query(
        "SELECT center_id, batch, vaccine, expiry, doses_per_vial, issued_at FROM vaccine_batches \
         WHERE center_id = $1 ORDER BY expiry, batch",
    )
    .bind(center.0)
    .fetch_all(&store.read)
    .await
    .map_err(StorageError::from_sqlx)?;
    rows.iter()
        .map(|row| {
            let get_s = |c: &str| row.try_get::<String, _>(c).map_err(|_| decode_err(c));
            let get_i = |c: &str| row.try_get::<i64, _>(c).map_err(|_| decode_err(c));
            Ok(Batch {
                center_id: CenterId(get_i("center_id")?),
                batch: get_s("batch")?,
                vaccine: VaccineCode::parse(&get_s("vaccine")?)
                    .map_err(|_| decode_err("vaccine"))?,
                expiry: parse_date(&get_s("expiry")?)?,
                doses_per_vial: u16::try_from(get_i("doses_per_vial")?)
                    .map_err(|_| decode_err("doses_per_vial"))?,
                issued_at_ms: get_i("issued_at")?,
            })
        })
        .collect()
}

pub(super) async fn list_center_sessions(
    store: &SqlStore,
    center: CenterId,
    date: NaiveDate,
) -> StorageResult<Vec<Session>> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {SESSION_COLS} FROM sessions WHERE center_id = $1 AND date = $2 ORDER BY vaccine, id"
    )))
    .bind(center.0)
    .bind(date_str(date))
    .fetch_all(&store.read)
    .await
    .map_err(StorageError::from_sqlx)?;
    rows.iter().map(session_from_row).collect()
}

pub(super) async fn session_roster(
    store: &SqlStore,
    session: SessionId,
) -> StorageResult<Vec<RosterEntry>> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {APPOINTMENT_COLS_A}, b.reference_id, b.name, b.birth_year, b.gender_id, \
                b.photo_id_type, b.photo_id_last4 \
         FROM appointments a JOIN beneficiaries b ON b.id = a.beneficiary_id \
         WHERE a.session_id = $1 ORDER BY a.slot, b.name, a.id"
    )))
    .bind(session.to_string())
    .fetch_all(&store.read)
    .await
    .map_err(StorageError::from_sqlx)?;
    rows.iter()
        .map(|row| {
            let get_s = |c: &str| row.try_get::<String, _>(c).map_err(|_| decode_err(c));
            let get_i = |c: &str| row.try_get::<i64, _>(c).map_err(|_| decode_err(c));
            Ok(RosterEntry {
                appointment: appointment_from_row(row)?,
                reference_id: get_s("reference_id")?,
                name: get_s("name")?,
                birth_year: i32::try_from(get_i("birth_year")?)
                    .map_err(|_| decode_err("birth_year"))?,
                gender_id: get_i("gender_id")?,
                photo_id_type: get_i("photo_id_type")?,
                photo_id_last4: get_s("photo_id_last4")?,
            })
        })
        .collect()
}

pub(super) async fn session_doses(
    store: &SqlStore,
    session: SessionId,
) -> StorageResult<Vec<SiteDose>> {
    let rows = sqlx::query(
        "SELECT id, beneficiary_id, dose, vaccine, batch, given_at, vaccinator_id, walk_in, voided_at \
         FROM vaccinations WHERE session_id = $1 ORDER BY given_at, id",
    )
    .bind(session.to_string())
    .fetch_all(&store.read)
    .await
    .map_err(StorageError::from_sqlx)?;
    rows.iter()
        .map(|row| {
            let get_s = |c: &str| row.try_get::<String, _>(c).map_err(|_| decode_err(c));
            let get_i = |c: &str| row.try_get::<i64, _>(c).map_err(|_| decode_err(c));
            let opt_s = |c: &str| row.try_get::<Option<String>, _>(c).map_err(|_| decode_err(c));
            let opt_i = |c: &str| row.try_get::<Option<i64>, _>(c).map_err(|_| decode_err(c));
            Ok(SiteDose {
                id: parse_uuid::<RecordId>(&get_s("id")?)?,
                beneficiary_id: parse_uuid(&get_s("beneficiary_id")?)?,
                dose: DoseNumber::new(get_i("dose")?).map_err(|_| decode_err("dose"))?,
                vaccine: VaccineCode::parse(&get_s("vaccine")?)
                    .map_err(|_| decode_err("vaccine"))?,
                batch: opt_s("batch")?,
                at_ms: opt_i("given_at")?,
                vaccinator_id: opt_s("vaccinator_id")?.map(|s| parse_uuid(&s)).transpose()?,
                walk_in: get_i("walk_in")? != 0,
                voided: opt_i("voided_at")?.is_some(),
            })
        })
        .collect()
}

pub(super) async fn session_arrivals(
    store: &SqlStore,
    session: SessionId,
) -> StorageResult<Vec<Arrival>> {
    let rows = sqlx::query(
        "SELECT beneficiary_id, arrived_at FROM arrivals WHERE session_id = $1 ORDER BY arrived_at",
    )
    .bind(session.to_string())
    .fetch_all(&store.read)
    .await
    .map_err(StorageError::from_sqlx)?;
    rows.iter()
        .map(|row| {
            Ok(Arrival {
                beneficiary_id: parse_uuid(
                    &row.try_get::<String, _>("beneficiary_id")
                        .map_err(|_| decode_err("beneficiary_id"))?,
                )?,
                at_ms: row.try_get::<i64, _>("arrived_at").map_err(|_| decode_err("arrived_at"))?,
            })
        })
        .collect()
}

pub(super) async fn find_upload(
    store: &SqlStore,
    key: UploadKey,
) -> StorageResult<Option<(String, String)>> {
    let row = sqlx::query("SELECT body_hash, answer FROM sync_uploads WHERE idempotency_key = $1")
        .bind(key.to_string())
        .fetch_optional(&store.read)
        .await
        .map_err(StorageError::from_sqlx)?;
    row.map(|r| {
        Ok((
            r.try_get::<String, _>("body_hash").map_err(|_| decode_err("body_hash"))?,
            r.try_get::<String, _>("answer").map_err(|_| decode_err("answer"))?,
        ))
    })
    .transpose()
}

pub(crate) const REVIEW_COLS: &str = "id, record, center_id, code, status, resolution_note, \
                                      resolved_by, created_at, resolved_at";

pub(crate) fn review_from_row(row: &AnyRow) -> StorageResult<ReviewItem> {
    let get_s = |c: &str| row.try_get::<String, _>(c).map_err(|_| decode_err(c));
    let get_i = |c: &str| row.try_get::<i64, _>(c).map_err(|_| decode_err(c));
    let record: SiteRecord =
        serde_json::from_str(&get_s("record")?).map_err(|_| decode_err("record"))?;
    Ok(ReviewItem {
        id: parse_uuid::<ReviewId>(&get_s("id")?)?,
        record,
        center_id: CenterId(get_i("center_id")?),
        code: SyncCode::parse(&get_s("code")?).ok_or_else(|| decode_err("code"))?,
        status: ReviewStatus::parse(&get_s("status")?).ok_or_else(|| decode_err("status"))?,
        resolution_note: row
            .try_get::<Option<String>, _>("resolution_note")
            .map_err(|_| decode_err("resolution_note"))?,
        resolved_by: row
            .try_get::<Option<String>, _>("resolved_by")
            .map_err(|_| decode_err("resolved_by"))?,
        created_at_ms: get_i("created_at")?,
        resolved_at_ms: row
            .try_get::<Option<i64>, _>("resolved_at")
            .map_err(|_| decode_err("resolved_at"))?,
    })
}

pub(super) async fn list_reviews(
    store: &SqlStore,
    filter: &ReviewFilter,
) -> StorageResult<Vec<ReviewItem>> {
    let mut clauses = Vec::new();
    let mut n = 0;
    let mut next = || {
        n += 1;
        format!("${n}")
    };
    if filter.center.is_some() {
        clauses.push(format!("center_id = {}", next()));
    }
    if filter.session.is_some() {
        clauses.push(format!("session_id = {}", next()));
    }
    if filter.status.is_some() {
        clauses.push(format!("status = {}", next()));
    }
    let filter_sql =
        if clauses.is_empty() { String::new() } else { format!("WHERE {}", clauses.join(" AND ")) };
    let sql = format!(
        "SELECT {REVIEW_COLS} FROM sync_reviews {filter_sql} ORDER BY created_at, id LIMIT 1000"
    );
    let mut q = sqlx::query(AssertSqlSafe(sql));
    if let Some(c) = filter.center {
        q = q.bind(c.0);
    }
    if let Some(s) = filter.session {
        q = q.bind(s.to_string());
    }
    if let Some(s) = filter.status {
        q = q.bind(s.as_str());
    }
    let rows = q.fetch_all(&store.read).await.map_err(StorageError::from_sqlx)?;
    rows.iter().map(review_from_row).collect()
}

pub(super) async fn find_review(store: &SqlStore, id: ReviewId) -> StorageResult<ReviewItem> {
    let row =
        sqlx::query(AssertSqlSafe(format!("SELECT {REVIEW_COLS} FROM sync_reviews WHERE id = $1")))
            .bind(id.to_string())
            .fetch_optional(&store.read)
            .await
            .map_err(StorageError::from_sqlx)?
            .ok_or(StorageError::NotFound)?;
    review_from_row(&row)
}

pub(super) async fn log_access(store: &SqlStore, entry: &AccessEntry) -> StorageResult<()> {
    let e = entry.clone();
    store
        .write(Box::new(move |conn| {
            Box::pin(async move {
                sqlx::query(
                    "INSERT INTO access_log (id, staff_id, center_id, session_id, action, detail, at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(uuid::Uuid::now_v7().to_string())
                .bind(e.staff_id.to_string())
                .bind(e.center_id.0)
                .bind(e.session_id.map(|s| s.to_string()))
                .bind(e.action.clone())
                .bind(e.detail.clone())
                .bind(e.at_ms)
                .execute(&mut *conn)
                .await
                .map_err(StorageError::from_sqlx)?;
                Ok(())
            })
        }))
        .await
}

pub(super) async fn list_access(
    store: &SqlStore,
    center: CenterId,
    limit: u32,
) -> StorageResult<Vec<AccessEntry>> {
    let rows = sqlx::query(
        "SELECT staff_id, center_id, session_id, action, detail, at FROM access_log \
         WHERE center_id = $1 ORDER BY at DESC, id DESC LIMIT $2",
    )
    .bind(center.0)
    .bind(i64::from(limit))
    .fetch_all(&store.read)
    .await
    .map_err(StorageError::from_sqlx)?;
    rows.iter()
        .map(|row| {
            let get_s = |c: &str| row.try_get::<String, _>(c).map_err(|_| decode_err(c));
            Ok(AccessEntry {
                staff_id: parse_uuid(&get_s("staff_id")?)?,
                center_id: CenterId(
                    row.try_get::<i64, _>("center_id").map_err(|_| decode_err("center_id"))?,
                ),
                session_id: row
                    .try_get::<Option<String>, _>("session_id")
                    .map_err(|_| decode_err("session_id"))?
                    .map(|s| parse_uuid(&s))
                    .transpose()?,
                action: get_s("action")?,
                detail: get_s("detail")?,
                at_ms: row.try_get::<i64, _>("at").map_err(|_| decode_err("at"))?,
            })
        })
        .collect()
}

pub(super) async fn pending_events(
    store: &SqlStore,
    limit: u32,
) -> StorageResult<Vec<OutboxEvent>> {
    let rows = sqlx::query(
        "SELECT id, kind, subject_id, payload, created_at, attempts FROM outbox_events \
         WHERE processed_at IS NULL ORDER BY created_at, id LIMIT $1",
    )
    .bind(i64::from(limit))
    .fetch_all(&store.read)
    .await
    .map_err(StorageError::from_sqlx)?;
    rows.iter().map(outbox_event_from_row).collect()
}

/// Decodes `id, kind, subject_id, payload, created_at, attempts` of `outbox_events`.
pub(crate) fn outbox_event_from_row(row: &AnyRow) -> StorageResult<OutboxEvent> {
    let get_s = |c: &str| row.try_get::<String, _>(c).map_err(|_| decode_err(c));
    let get_i = |c: &str| row.try_get::<i64, _>(c).map_err(|_| decode_err(c));
    Ok(OutboxEvent {
        id: parse_uuid(&get_s("id")?)?,
        kind: get_s("kind")?,
        subject_id: get_s("subject_id")?,
        payload: get_s("payload")?,
        created_at_ms: get_i("created_at")?,
        attempts: u32::try_from(get_i("attempts")?).unwrap_or(u32::MAX),
    })
}
