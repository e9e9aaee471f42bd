//! Centres and sessions: bulk loading and the reads behind slot search.

use chrono::NaiveDate;
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};
use tika_domain::ids::{CenterId, DistrictId, SessionId, StateId};
use tika_domain::session::{AgeLimits, FeeType, Slot};
use tika_domain::vaccine::VaccineCode;

use super::{SqlStore, date_str, decode_err, parse_date, parse_uuid, values_clause};
use crate::{Center, NewCenter, NewSession, Session, StorageError, StorageResult};

pub(crate) const CENTER_COLS: &str = "id, name, name_l, address, block_name, district_id, state_id, pincode, lat, lon, \
                           open_time, close_time, fee_type, created_at";
pub(crate) const SESSION_COLS: &str = "id, center_id, date, vaccine, min_age, max_age, fee, capacity_dose1, capacity_dose2, \
                            booked_dose1, booked_dose2, slots, status, updated_at, walk_ins, plan_id";

pub(super) async fn insert_centers(store: &SqlStore, centers: &[NewCenter]) -> StorageResult<u64> {
    let centers = centers.to_vec();
    let backend = store.backend;
    store
        .write(Box::new(move |conn| {
            Box::pin(async move {
                let mut n = 0;
                for chunk in centers.chunks(500) {
                    let conflict = "ON CONFLICT (id) DO NOTHING";
                    let sql = format!(
                        // A paid centre is private (as migration 0005 decided for older rows).
                        "INSERT INTO centers ({CENTER_COLS}, kind) VALUES {} {conflict}",
                        values_clause(backend, chunk.len(), 15)
                    );
                    let mut q = sqlx::query(AssertSqlSafe(sql));
                    for c in chunk {
                        q = q
                            .bind(c.id.0)
                            .bind(c.name.clone())
                            .bind(c.name_l.clone())
                            .bind(c.address.clone())
                            .bind(c.block_name.clone())
                            .bind(c.district_id.0)
                            .bind(c.state_id.0)
                            .bind(i64::from(c.pincode))
                            .bind(c.lat)
                            .bind(c.lon)
                            .bind(c.open_time.clone())
                            .bind(c.close_time.clone())
                            .bind(c.fee_type.as_str())
                            .bind(c.created_at_ms)
                            .bind(if c.fee_type == FeeType::Paid {
                                "private"
                            } else {
                                "government"
                            });
                    }
                    n += q
                        .execute(&mut *conn)
                        .await
                        .map_err(StorageError::from_sqlx)?
                        .rows_affected();
                }
                Ok(n)
            })
        }))
        .await
}

pub(super) async fn insert_sessions(
    store: &SqlStore,
    sessions: &[NewSession],
) -> StorageResult<u64> {
    let sessions = sessions.to_vec();
    let backend = store.backend;
    store
        .write(Box::new(move |conn| {
            Box::pin(async move {
                let mut n = 0;
                for chunk in sessions.chunks(500) {
                    let sql = format!(
                        "INSERT INTO sessions ({SESSION_COLS}) VALUES {} ON CONFLICT (id) DO NOTHING",
                        values_clause(backend, chunk.len(), 16)
                    );
                    let mut q = sqlx::query(AssertSqlSafe(sql));
                    for s in chunk {
                        let slots: Vec<&str> = s.slots.iter().map(Slot::as_str).collect();
                        let slots = serde_json::to_string(&slots).map_err(|e| StorageError::Other(e.into()))?;
                        q = q
                            .bind(s.id.to_string())
                            .bind(s.center_id.0)
                            .bind(date_str(s.date))
                            .bind(s.vaccine.as_str().to_owned())
                            .bind(i64::from(s.ages.min))
                            .bind(s.ages.max.map(i64::from))
                            .bind(s.fee.clone())
                            .bind(i64::from(s.capacity_dose1))
                            .bind(i64::from(s.capacity_dose2))
                            .bind(0i64)
                            .bind(0i64)
                            .bind(slots)
                            .bind("active")
                            .bind(s.updated_at_ms)
                            .bind(1i64)
                            .bind(None::<String>);
                    }
                    n += q.execute(&mut *conn).await.map_err(StorageError::from_sqlx)?.rows_affected();
                }
                Ok(n)
            })
        }))
        .await
}

pub(super) async fn count_centers(store: &SqlStore) -> StorageResult<u64> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM centers")
        .fetch_one(&store.read)
        .await
        .map_err(StorageError::from_sqlx)?;
    Ok(u64::try_from(n).unwrap_or(0))
}

pub(crate) fn center_from_row(row: &AnyRow) -> StorageResult<Center> {
    let get_i = |c: &str| row.try_get::<i64, _>(c).map_err(|_| decode_err(c));
    let get_s = |c: &str| row.try_get::<String, _>(c).map_err(|_| decode_err(c));
    Ok(NewCenter {
        id: CenterId(get_i("id")?),
        name: get_s("name")?,
        name_l: get_s("name_l")?,
        address: get_s("address")?,
        block_name: get_s("block_name")?,
        district_id: DistrictId(get_i("district_id")?),
        state_id: StateId(get_i("state_id")?),
        pincode: u32::try_from(get_i("pincode")?).map_err(|_| decode_err("pincode"))?,
        lat: row.try_get::<Option<f64>, _>("lat").map_err(|_| decode_err("lat"))?,
        lon: row.try_get::<Option<f64>, _>("lon").map_err(|_| decode_err("lon"))?,
        open_time: get_s("open_time")?,
        close_time: get_s("close_time")?,
        fee_type: FeeType::parse(&get_s("fee_type")?).ok_or_else(|| decode_err("fee_type"))?,
        created_at_ms: get_i("created_at")?,
    })
}

pub(super) async fn list_centers(store: &SqlStore) -> StorageResult<Vec<Center>> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {CENTER_COLS} FROM centers WHERE active = 1 ORDER BY id"
    )))
    .fetch_all(&store.read)
    .await
    .map_err(StorageError::from_sqlx)?;
    rows.iter().map(center_from_row).collect()
}

pub(super) async fn find_center(store: &SqlStore, id: CenterId) -> StorageResult<Center> {
    let row =
        sqlx::query(AssertSqlSafe(format!("SELECT {CENTER_COLS} FROM centers WHERE id = $1")))
            .bind(id.0)
            .fetch_optional(&store.read)
            .await
            .map_err(StorageError::from_sqlx)?
            .ok_or(StorageError::NotFound)?;
    center_from_row(&row)
}

pub(crate) fn session_from_row(row: &AnyRow) -> StorageResult<Session> {
    let get_i = |c: &str| row.try_get::<i64, _>(c).map_err(|_| decode_err(c));
    let get_s = |c: &str| row.try_get::<String, _>(c).map_err(|_| decode_err(c));
    let get_u32 = |c: &str| get_i(c).and_then(|v| u32::try_from(v).map_err(|_| decode_err(c)));
    let slots: Vec<String> =
        serde_json::from_str(&get_s("slots")?).map_err(|_| decode_err("slots"))?;
    let max_age = row.try_get::<Option<i64>, _>("max_age").map_err(|_| decode_err("max_age"))?;
    Ok(Session {
        id: parse_uuid::<SessionId>(&get_s("id")?)?,
        center_id: CenterId(get_i("center_id")?),
        date: parse_date(&get_s("date")?)?,
        vaccine: VaccineCode::parse(&get_s("vaccine")?).map_err(|_| decode_err("vaccine"))?,
        ages: AgeLimits {
            min: u8::try_from(get_i("min_age")?).map_err(|_| decode_err("min_age"))?,
            max: max_age.map(u8::try_from).transpose().map_err(|_| decode_err("max_age"))?,
        },
        fee: get_s("fee")?,
        capacity_dose1: get_u32("capacity_dose1")?,
        capacity_dose2: get_u32("capacity_dose2")?,
        booked_dose1: get_u32("booked_dose1")?,
        booked_dose2: get_u32("booked_dose2")?,
        slots: slots.iter().map(|s| Slot::from_label(s)).collect(),
        active: get_s("status")? == "active",
        walk_ins: get_i("walk_ins")? != 0,
        plan_id: row
            .try_get::<Option<String>, _>("plan_id")
            .map_err(|_| decode_err("plan_id"))?
            .map(|p| parse_uuid(&p))
            .transpose()?,
        updated_at_ms: get_i("updated_at")?,
    })
}

pub(super) async fn list_sessions(
    store: &SqlStore,
    from: NaiveDate,
    to: NaiveDate,
) -> StorageResult<Vec<Session>> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {SESSION_COLS} FROM sessions WHERE date >= $1 AND date <= $2 AND status = 'active' ORDER BY date, id"
    )))
    .bind(date_str(from))
    .bind(date_str(to))
    .fetch_all(&store.read)
    .await
    .map_err(StorageError::from_sqlx)?;
    rows.iter().map(session_from_row).collect()
}

pub(super) async fn sessions_changed_since(
    store: &SqlStore,
    since_ms: i64,
    from: NaiveDate,
    to: NaiveDate,
) -> StorageResult<Vec<Session>> {
    // Called every second by every server's search cache, so it must read only the few rows
    // that changed.  Without statistics SQLite's planner prefers the `date` index, whose range
    // covers every session of the window (a full scan each second at national scale); the unary
    // `+` keeps it on `sessions_updated`.  PostgreSQL plans from its statistics.
    let date = match store.backend {
        crate::Backend::Sqlite => "+date",
        crate::Backend::Postgres => "date",
    };
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {SESSION_COLS} FROM sessions WHERE updated_at >= $1 AND {date} >= $2 AND {date} <= $3 \
         ORDER BY updated_at"
    )))
    .bind(since_ms)
    .bind(date_str(from))
    .bind(date_str(to))
    .fetch_all(&store.read)
    .await
    .map_err(StorageError::from_sqlx)?;
    rows.iter().map(session_from_row).collect()
}

pub(super) async fn find_session(store: &SqlStore, id: SessionId) -> StorageResult<Session> {
    let row =
        sqlx::query(AssertSqlSafe(format!("SELECT {SESSION_COLS} FROM sessions WHERE id = $1")))
            .bind(id.to_string())
            .fetch_optional(&store.read)
            .await
            .map_err(StorageError::from_sqlx)?
            .ok_or(StorageError::NotFound)?;
    session_from_row(&row)
}
