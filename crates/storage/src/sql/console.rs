//! The officials' console: officials and their areas, facilities, session plans and edits,
//! facility staff, and the audit log with its place and before/after records.
//!
//! Every change writes its [`Change`] in the same write operation (one transaction), so a
//! committed change is always explained.  Lists are filtered by area in SQL with the area's
//! columns (state, district, block name compared case-insensitively and trimmed, facility);
//! deciding who may see or change what is the server's service layer's job.

use std::collections::HashSet;

use chrono::NaiveDate;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe, Row};
use tika_domain::admin::{
    AdminLevel, Area, FacilityDetails, FacilityKind, Place, SessionEdit, fees_from_text,
    fees_to_text, hhmmss,
};
use tika_domain::ids::{AdminId, CenterId, DistrictId, SessionId, StaffId, StateId};
use tika_domain::mobile::Mobile;
use tika_domain::session::{FeeType, Slot};
use tika_domain::staff::Username;

use super::places::{CENTER_COLS, SESSION_COLS, center_from_row, session_from_row};
use super::site::insert_staff;
use super::{SqlStore, date_str, decode_err, is_unique_violation, parse_uuid};
use crate::{
    Admin, Backend, Change, ChangeFilter, ConflictKind, Facility, FacilityFilter, NewAdmin,
    NewPlan, NewStaff, PlanOutcome, Session, Staff, StorageError, StorageResult,
};

type Conn = AnyConnection;

fn db(e: sqlx::Error) -> StorageError {
    StorageError::from_sqlx(e)
}

fn json_err(e: serde_json::Error) -> StorageError {
    StorageError::Other(e.into())
}

// ---------------------------------------------------------------------------------------------
// Dynamic queries: numbered placeholders in ascending order, values as i64 or text only
// ---------------------------------------------------------------------------------------------

/// A value of a dynamic query.
pub(super) enum Arg {
    I(i64),
    S(String),
}

/// A query built piece by piece; each value gets the next `$n`.
pub(super) struct Sql {
    text: String,
    args: Vec<Arg>,
}

impl Sql {
    pub(super) fn new(text: impl Into<String>) -> Self {
        Self { text: text.into(), args: Vec::new() }
    }

    pub(super) fn push(&mut self, s: &str) {
        self.text.push_str(s);
    }

    /// Appends `<before>$n<after>` and remembers the value.
    pub(super) fn push_arg(&mut self, before: &str, arg: Arg, after: &str) {
        self.args.push(arg);
        self.text.push_str(before);
        self.text.push('$');
        self.text.push_str(&self.args.len().to_string());
        self.text.push_str(after);
    }

    pub(super) async fn fetch_all<'e, E>(self, exec: E) -> StorageResult<Vec<AnyRow>>
    where
        E: sqlx::Executor<'e, Database = sqlx::Any>,
    {
        let mut q = sqlx::query(AssertSqlSafe(self.text));
        for a in self.args {
            q = match a {
                Arg::I(v) => q.bind(v),
                Arg::S(v) => q.bind(v),
            };
        }
        q.fetch_all(exec).await.map_err(db)
    }
}

/// Lower case as the backend's `LOWER` does it (SQLite folds ASCII only).
fn lower(backend: Backend, s: &str) -> String {
    match backend {
        Backend::Sqlite => s.to_ascii_lowercase(),
        Backend::Postgres => s.to_lowercase(),
    }
}

/// Escapes `\`, `%` and `_` for `LIKE … ESCAPE '\'`.
fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if matches!(c, '\\' | '%' | '_') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `AND …` conditions keeping rows inside `area`; `p` prefixes the place columns (`state_id`,
/// `district_id`, `block_name`: `""` or a table alias like `"c."`) and `center_col` names the
/// facility column.
pub(super) fn area_filter(sql: &mut Sql, backend: Backend, area: &Area, p: &str, center_col: &str) {
    match area {
        Area::National => {}
        Area::State { state } => sql.push_arg(&format!(" AND {p}state_id = "), Arg::I(state.0), ""),
        Area::District { district, .. } => {
            sql.push_arg(&format!(" AND {p}district_id = "), Arg::I(district.0), "");
        }
        Area::Block { district, block, .. } => {
            sql.push_arg(&format!(" AND {p}district_id = "), Arg::I(district.0), "");
            sql.push_arg(
                &format!(" AND LOWER(TRIM({p}block_name)) = "),
                Arg::S(lower(backend, block.trim())),
                "",
            );
        }
        Area::Facility { center, .. } => {
            sql.push_arg(&format!(" AND {center_col} = "), Arg::I(center.0), "");
        }
    }
}

/// ` FOR UPDATE` (or another lock clause) on PostgreSQL; SQLite has a single writer.
fn lock(backend: Backend, clause: &'static str) -> &'static str {
    match backend {
        Backend::Postgres => clause,
        Backend::Sqlite => "",
    }
}

// ---------------------------------------------------------------------------------------------
// The audit log
// ---------------------------------------------------------------------------------------------

const CHANGE_COLS: &str = "id, at, actor, action, subject, state_id, district_id, block_name, \
                           center_id, before_json, after_json";

/// Writes a console audit entry in the caller's transaction.
pub(crate) async fn write_change(conn: &mut Conn, change: &Change) -> StorageResult<()> {
    let place = change.place.as_ref();
    sqlx::query(
        "INSERT INTO audit_log (id, at, actor, action, subject, detail, state_id, district_id, \
         block_name, center_id, before_json, after_json) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(change.id.to_string())
    .bind(change.at_ms)
    .bind(change.actor.clone())
    .bind(change.action.clone())
    .bind(change.subject.clone())
    .bind("{}")
    .bind(place.map(|p| p.state.0))
    .bind(place.map(|p| p.district.0))
    .bind(place.map(|p| p.block.clone()))
    .bind(place.and_then(|p| p.center).map(|c| c.0))
    .bind(change.before.clone())
    .bind(change.after.clone())
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    Ok(())
}

fn change_from_row(row: &AnyRow) -> StorageResult<Change> {
    let get_s = |c: &str| row.try_get::<String, _>(c).map_err(|_| decode_err(c));
    let opt_i = |c: &str| row.try_get::<Option<i64>, _>(c).map_err(|_| decode_err(c));
    let opt_s = |c: &str| row.try_get::<Option<String>, _>(c).map_err(|_| decode_err(c));
    let place = match (opt_i("state_id")?, opt_i("district_id")?) {
        (Some(state), Some(district)) => Some(Place {
            state: StateId(state),
            district: DistrictId(district),
            block: opt_s("block_name")?.unwrap_or_default(),
            center: opt_i("center_id")?.map(CenterId),
        }),
        _ => None,
    };
    Ok(Change {
        id: parse_uuid(&get_s("id")?)?,
        at_ms: row.try_get("at").map_err(|_| decode_err("at"))?,
        actor: get_s("actor")?,
        action: get_s("action")?,
        subject: get_s("subject")?,
        place,
        before: opt_s("before_json")?,
        after: opt_s("after_json")?,
    })
}

pub(super) async fn record_change(store: &SqlStore, change: &Change) -> StorageResult<()> {
    let change = change.clone();
    store
        .write(Box::new(move |conn| Box::pin(async move { write_change(conn, &change).await })))
        .await
}

pub(super) async fn list_changes(
    store: &SqlStore,
    filter: &ChangeFilter,
) -> StorageResult<Vec<Change>> {
    let mut sql = Sql::new(format!("SELECT {CHANGE_COLS} FROM audit_log WHERE 1 = 1"));
    area_filter(&mut sql, store.backend, &filter.area, "", "center_id");
    if let Some(subject) = &filter.subject {
        sql.push_arg(" AND subject = ", Arg::S(subject.clone()), "");
    }
    if let Some(actor) = &filter.actor {
        sql.push_arg(" AND actor = ", Arg::S(actor.clone()), "");
    }
    if let Some(prefix) = filter.action_prefix.as_deref().filter(|p| !p.is_empty()) {
        sql.push_arg(
            " AND action LIKE ",
            Arg::S(format!("{}%", like_escape(prefix))),
            " ESCAPE '\\'",
        );
    }
    if let Some(before) = filter.before_ms {
        sql.push_arg(" AND at < ", Arg::I(before), "");
    }
    sql.push_arg(" ORDER BY at DESC, id DESC LIMIT ", Arg::I(i64::from(filter.limit)), "");
    let rows = sql.fetch_all(&store.read).await?;
    rows.iter().map(change_from_row).collect()
}

// ---------------------------------------------------------------------------------------------
// Officials
// ---------------------------------------------------------------------------------------------

const ADMIN_COLS: &str = "id, username, name, mobile, level, state_id, district_id, block_name, \
                          center_id, password_hash, active, failed_logins, locked_until, \
                          auth_epoch, created_by, created_at";

fn area_from_columns(
    level: &str,
    state: Option<i64>,
    district: Option<i64>,
    block: Option<String>,
    center: Option<i64>,
) -> StorageResult<Area> {
    let level = AdminLevel::parse(level).ok_or_else(|| decode_err("level"))?;
    let state = || state.map(StateId).ok_or_else(|| decode_err("state_id"));
    let district = || district.map(DistrictId).ok_or_else(|| decode_err("district_id"));
    Ok(match level {
        AdminLevel::National => Area::National,
        AdminLevel::State => Area::State { state: state()? },
        AdminLevel::District => Area::District { state: state()?, district: district()? },
        AdminLevel::Block => Area::Block {
            state: state()?,
            district: district()?,
            block: block.ok_or_else(|| decode_err("block_name"))?,
        },
        AdminLevel::Facility => Area::Facility {
            state: state()?,
            district: district()?,
            block: block.unwrap_or_default(),
            center: center.map(CenterId).ok_or_else(|| decode_err("center_id"))?,
        },
    })
}

fn admin_from_row(row: &AnyRow) -> StorageResult<Admin> {
    let get_s = |c: &str| row.try_get::<String, _>(c).map_err(|_| decode_err(c));
    let get_i = |c: &str| row.try_get::<i64, _>(c).map_err(|_| decode_err(c));
    let opt_i = |c: &str| row.try_get::<Option<i64>, _>(c).map_err(|_| decode_err(c));
    let opt_s = |c: &str| row.try_get::<Option<String>, _>(c).map_err(|_| decode_err(c));
    Ok(Admin {
        id: parse_uuid(&get_s("id")?)?,
        username: Username::parse(&get_s("username")?).map_err(|_| decode_err("username"))?,
        name: get_s("name")?,
        mobile: opt_s("mobile")?
            .map(|m| Mobile::parse(&m))
            .transpose()
            .map_err(|_| decode_err("mobile"))?,
        area: area_from_columns(
            &get_s("level")?,
            opt_i("state_id")?,
            opt_i("district_id")?,
            opt_s("block_name")?,
            opt_i("center_id")?,
        )?,
        password_hash: get_s("password_hash")?,
        active: get_i("active")? != 0,
        failed_logins: u32::try_from(get_i("failed_logins")?).unwrap_or(u32::MAX),
        locked_until_ms: get_i("locked_until")?,
        auth_epoch: get_i("auth_epoch")?,
        created_by: opt_s("created_by")?.map(|s| parse_uuid(&s)).transpose()?,
        created_at_ms: get_i("created_at")?,
    })
}

/// What the audit log keeps of an official (no password hash, no mobile).
fn admin_json(a: &Admin) -> serde_json::Value {
    serde_json::json!({
        "id": a.id.to_string(),
        "username": a.username.as_str(),
        "name": a.name,
        "area": a.area,
        "active": a.active,
    })
}

pub(super) async fn create_admin(
    store: &SqlStore,
    new: &NewAdmin,
    audit: &Change,
) -> StorageResult<Admin> {
    let (new, mut change) = (new.clone(), audit.clone());
    store
        .write(Box::new(move |conn| {
            Box::pin(async move {
                let area = &new.area;
                let res = sqlx::query(AssertSqlSafe(format!(
                    "INSERT INTO admins ({ADMIN_COLS}) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 1, 0, 0, 0, $11, $12)"
                )))
                .bind(new.id.to_string())
                .bind(new.username.as_str().to_owned())
                .bind(new.name.clone())
                .bind(new.mobile.as_ref().map(|m| m.as_str().to_owned()))
                .bind(area.level().as_str())
                .bind(area.state().map(|s| s.0))
                .bind(area.district().map(|d| d.0))
                .bind(area.block().map(|b| b.trim().to_owned()))
                .bind(area.center().map(|c| c.0))
                .bind(new.password_hash.clone())
                .bind(new.created_by.map(|a| a.to_string()))
                .bind(new.created_at_ms)
                .execute(&mut *conn)
                .await;
                match res {
                    Ok(_) => {}
                    Err(e) if is_unique_violation(&e, "username") => {
                        return Err(StorageError::Conflict(ConflictKind::UsernameTaken));
                    }
                    Err(e) => return Err(db(e)),
                }
                let admin = Admin {
                    id: new.id,
                    username: new.username,
                    name: new.name,
                    mobile: new.mobile,
                    area: new.area,
                    password_hash: new.password_hash,
                    active: true,
                    failed_logins: 0,
                    locked_until_ms: 0,
                    auth_epoch: 0,
                    created_by: new.created_by,
                    created_at_ms: new.created_at_ms,
                };
                if change.after.is_none() {
                    change.after = Some(admin_json(&admin).to_string());
                }
                write_change(conn, &change).await?;
                Ok(admin)
            })
        }))
        .await
}

pub(super) async fn find_admin_by_username(
    store: &SqlStore,
    username: &Username,
) -> StorageResult<Admin> {
    let row =
        sqlx::query(AssertSqlSafe(format!("SELECT {ADMIN_COLS} FROM admins WHERE username = $1")))
            .bind(username.as_str().to_owned())
            .fetch_optional(&store.read)
            .await
            .map_err(db)?
            .ok_or(StorageError::NotFound)?;
    admin_from_row(&row)
}

pub(super) async fn find_admin(store: &SqlStore, id: AdminId) -> StorageResult<Admin> {
    let row = sqlx::query(AssertSqlSafe(format!("SELECT {ADMIN_COLS} FROM admins WHERE id = $1")))
        .bind(id.to_string())
        .fetch_optional(&store.read)
        .await
        .map_err(db)?
        .ok_or(StorageError::NotFound)?;
    admin_from_row(&row)
}

pub(super) async fn list_admins(store: &SqlStore, area: &Area) -> StorageResult<Vec<Admin>> {
    let mut sql = Sql::new(format!("SELECT {ADMIN_COLS} FROM admins WHERE 1 = 1"));
    area_filter(&mut sql, store.backend, area, "", "center_id");
    sql.push(" ORDER BY username");
    let rows = sql.fetch_all(&store.read).await?;
    let mut out = Vec::with_capacity(rows.len());
    for row in &rows {
        let admin = admin_from_row(row)?;
        if area.contains(&admin.area) {
            out.push(admin);
        }
    }
    Ok(out)
}

/// Runs one `UPDATE admins … WHERE id = $last` (the id is bound last); `NotFound` if no row.
async fn update_admin(
    conn: &mut Conn,
    set: &'static str,
    args: Vec<Arg>,
    id: AdminId,
) -> StorageResult<()> {
    let mut q = sqlx::query(AssertSqlSafe(format!(
        "UPDATE admins SET {set} WHERE id = ${}",
        args.len() + 1
    )));
    for a in args {
        q = match a {
            Arg::I(v) => q.bind(v),
            Arg::S(v) => q.bind(v),
        };
    }
    let n = q.bind(id.to_string()).execute(&mut *conn).await.map_err(db)?.rows_affected();
    if n == 0 { Err(StorageError::NotFound) } else { Ok(()) }
}

pub(super) async fn set_admin_login_state(
    store: &SqlStore,
    id: AdminId,
    failed_logins: u32,
    locked_until_ms: i64,
) -> StorageResult<()> {
    store
        .write(Box::new(move |conn| {
            Box::pin(async move {
                update_admin(
                    conn,
                    "failed_logins = $1, locked_until = $2",
                    vec![Arg::I(i64::from(failed_logins)), Arg::I(locked_until_ms)],
                    id,
                )
                .await
            })
        }))
        .await
}

pub(super) async fn bump_admin_epoch(store: &SqlStore, id: AdminId) -> StorageResult<()> {
    store
        .write(Box::new(move |conn| {
            Box::pin(async move {
                update_admin(conn, "auth_epoch = auth_epoch + 1", Vec::new(), id).await
            })
        }))
        .await
}

pub(super) async fn set_admin_active(
    store: &SqlStore,
    id: AdminId,
    active: bool,
    audit: &Change,
) -> StorageResult<()> {
    let change = audit.clone();
    store
        .write(Box::new(move |conn| {
            Box::pin(async move {
                update_admin(
                    conn,
                    "active = $1, auth_epoch = auth_epoch + 1",
                    vec![Arg::I(i64::from(active))],
                    id,
                )
                .await?;
                write_change(conn, &change).await
            })
        }))
        .await
}

pub(super) async fn set_admin_password(
    store: &SqlStore,
    id: AdminId,
    password_hash: &str,
    audit: &Change,
) -> StorageResult<()> {
    let (hash, change) = (password_hash.to_owned(), audit.clone());
    store
        .write(Box::new(move |conn| {
            Box::pin(async move {
                update_admin(
                    conn,
                    "password_hash = $1, failed_logins = 0, locked_until = 0, \
                     auth_epoch = auth_epoch + 1",
                    vec![Arg::S(hash)],
                    id,
                )
                .await?;
                write_change(conn, &change).await
            })
        }))
        .await
}

// ---------------------------------------------------------------------------------------------
// Facilities
// ---------------------------------------------------------------------------------------------

fn facility_cols() -> String {
    format!("{CENTER_COLS}, kind, fees, cold_chain_point, active, updated_at")
}

fn facility_from_row(row: &AnyRow) -> StorageResult<Facility> {
    let get_s = |c: &str| row.try_get::<String, _>(c).map_err(|_| decode_err(c));
    let get_i = |c: &str| row.try_get::<i64, _>(c).map_err(|_| decode_err(c));
    Ok(Facility {
        center: center_from_row(row)?,
        kind: FacilityKind::parse(&get_s("kind")?).ok_or_else(|| decode_err("kind"))?,
        fees: fees_from_text(&get_s("fees")?),
        cold_chain_point: get_s("cold_chain_point")?,
        active: get_i("active")? != 0,
        updated_at_ms: get_i("updated_at")?,
    })
}

/// What the audit log keeps of a facility.
fn facility_json(f: &Facility) -> serde_json::Value {
    let c = &f.center;
    serde_json::json!({
        "id": c.id.0,
        "name": c.name,
        "name_l": c.name_l,
        "kind": f.kind.as_str(),
        "address": c.address,
        "block": c.block_name,
        "state_id": c.state_id.0,
        "district_id": c.district_id.0,
        "pincode": c.pincode,
        "lat": c.lat,
        "lon": c.lon,
        "open": c.open_time,
        "close": c.close_time,
        "fees": fees_to_text(&f.fees),
        "cold_chain_point": f.cold_chain_point,
        "active": f.active,
    })
}

fn fee_type(kind: FacilityKind) -> FeeType {
    match kind {
        FacilityKind::Government => FeeType::Free,
        FacilityKind::Private => FeeType::Paid,
    }
}

async fn read_facility(
    conn: &mut Conn,
    backend: Backend,
    id: CenterId,
    for_update: bool,
) -> StorageResult<Facility> {
    let lock = if for_update { lock(backend, " FOR NO KEY UPDATE") } else { "" };
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {} FROM centers WHERE id = $1{lock}",
        facility_cols()
    )))
    .bind(id.0)
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?
    .ok_or(StorageError::NotFound)?;
    facility_from_row(&row)
}

/// Marks every session of a facility changed, so search caches re-read them.
async fn touch_sessions(conn: &mut Conn, id: CenterId, now_ms: i64) -> StorageResult<()> {
    sqlx::query("UPDATE sessions SET updated_at = $1 WHERE center_id = $2")
        .bind(now_ms)
        .bind(id.0)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    Ok(())
}

pub(super) async fn create_facility(
    store: &SqlStore,
    details: &FacilityDetails,
    now_ms: i64,
    audit: &Change,
) -> StorageResult<Facility> {
    let (d, mut change) = (details.clone(), audit.clone());
    let backend = store.backend;
    store
        .write(Box::new(move |conn| {
            Box::pin(async move {
                if backend == Backend::Postgres {
                    // Two servers must not draw the same id: inserts into centres wait for
                    // this transaction (reads do not).
                    sqlx::query("LOCK TABLE centers IN SHARE ROW EXCLUSIVE MODE")
                        .execute(&mut *conn)
                        .await
                        .map_err(db)?;
                }
                let id: i64 = sqlx::query_scalar("SELECT COALESCE(MAX(id), 0) + 1 FROM centers")
                    .fetch_one(&mut *conn)
                    .await
                    .map_err(db)?;
                let id = CenterId(id);
                sqlx::query(
                    "INSERT INTO centers (id, name, name_l, address, block_name, district_id, \
                     state_id, pincode, lat, lon, open_time, close_time, fee_type, created_at, \
                     kind, fees, cold_chain_point, active, updated_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, \
                     $16, $17, 1, $18)",
                )
                .bind(id.0)
                .bind(d.name.clone())
                .bind(d.name_l.clone())
                .bind(d.address.clone())
                .bind(d.block.clone())
                .bind(d.district.0)
                .bind(d.state.0)
                .bind(i64::from(d.pincode))
                .bind(d.lat)
                .bind(d.lon)
                .bind(hhmmss(d.open_min))
                .bind(hhmmss(d.close_min))
                .bind(fee_type(d.kind).as_str())
                .bind(now_ms)
                .bind(d.kind.as_str())
                .bind(fees_to_text(&d.fees))
                .bind(d.cold_chain_point.clone())
                .bind(now_ms)
                .execute(&mut *conn)
                .await
                .map_err(db)?;
                let facility = read_facility(conn, backend, id, false).await?;
                change.subject = format!("center:{}", id.0);
                match &mut change.place {
                    Some(p) => p.center = Some(id),
                    None => change.place = Some(facility.place()),
                }
                if change.after.is_none() {
                    change.after = Some(facility_json(&facility).to_string());
                }
                write_change(conn, &change).await?;
                Ok(facility)
            })
        }))
        .await
}

pub(super) async fn update_facility(
    store: &SqlStore,
    id: CenterId,
    details: &FacilityDetails,
    now_ms: i64,
    audit: &Change,
) -> StorageResult<Facility> {
    let (d, change) = (details.clone(), audit.clone());
    let backend = store.backend;
    store
        .write(Box::new(move |conn| {
            Box::pin(async move {
                let before = read_facility(conn, backend, id, true).await?;
                sqlx::query(
                    "UPDATE centers SET name = $1, name_l = $2, kind = $3, fee_type = $4, \
                     fees = $5, address = $6, block_name = $7, district_id = $8, state_id = $9, \
                     pincode = $10, lat = $11, lon = $12, open_time = $13, close_time = $14, \
                     cold_chain_point = $15, updated_at = $16 WHERE id = $17",
                )
                .bind(d.name.clone())
                .bind(d.name_l.clone())
                .bind(d.kind.as_str())
                .bind(fee_type(d.kind).as_str())
                .bind(fees_to_text(&d.fees))
                .bind(d.address.clone())
                .bind(d.block.clone())
                .bind(d.district.0)
                .bind(d.state.0)
                .bind(i64::from(d.pincode))
                .bind(d.lat)
                .bind(d.lon)
                .bind(hhmmss(d.open_min))
                .bind(hhmmss(d.close_min))
                .bind(d.cold_chain_point.clone())
                .bind(now_ms)
                .bind(id.0)
                .execute(&mut *conn)
                .await
                .map_err(db)?;
                touch_sessions(conn, id, now_ms).await?;
                let after = read_facility(conn, backend, id, false).await?;
                write_facility_change(conn, change, &before, &after).await?;
                Ok(after)
            })
        }))
        .await
}

/// Writes a facility change's audit entry, filling what the caller left out: the facility
/// before and after, and where it is.
async fn write_facility_change(
    conn: &mut Conn,
    mut change: Change,
    before: &Facility,
    after: &Facility,
) -> StorageResult<()> {
    change.before.get_or_insert_with(|| facility_json(before).to_string());
    change.after.get_or_insert_with(|| facility_json(after).to_string());
    change.place.get_or_insert_with(|| after.place());
    write_change(conn, &change).await
}

pub(super) async fn set_facility_active(
    store: &SqlStore,
    id: CenterId,
    active: bool,
    now_ms: i64,
    audit: &Change,
) -> StorageResult<Facility> {
    let change = audit.clone();
    let backend = store.backend;
    store
        .write(Box::new(move |conn| {
            Box::pin(async move {
                let before = read_facility(conn, backend, id, true).await?;
                sqlx::query("UPDATE centers SET active = $1, updated_at = $2 WHERE id = $3")
                    .bind(i64::from(active))
                    .bind(now_ms)
                    .bind(id.0)
                    .execute(&mut *conn)
                    .await
                    .map_err(db)?;
                touch_sessions(conn, id, now_ms).await?;
                let after = read_facility(conn, backend, id, false).await?;
                write_facility_change(conn, change, &before, &after).await?;
                Ok(after)
            })
        }))
        .await
}

pub(super) async fn find_facility(store: &SqlStore, id: CenterId) -> StorageResult<Facility> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {} FROM centers WHERE id = $1",
        facility_cols()
    )))
    .bind(id.0)
    .fetch_optional(&store.read)
    .await
    .map_err(db)?
    .ok_or(StorageError::NotFound)?;
    facility_from_row(&row)
}

pub(super) async fn list_facilities(
    store: &SqlStore,
    filter: &FacilityFilter,
) -> StorageResult<Vec<Facility>> {
    let mut sql = Sql::new(format!("SELECT {} FROM centers WHERE 1 = 1", facility_cols()));
    area_filter(&mut sql, store.backend, &filter.area, "", "id");
    if let Some(active) = filter.active {
        sql.push_arg(" AND active = ", Arg::I(i64::from(active)), "");
    }
    if let Some(q) = filter.query.as_deref().map(str::trim).filter(|q| !q.is_empty()) {
        let pincode = (q.len() == 6 && q.bytes().all(|b| b.is_ascii_digit()))
            .then(|| q.parse::<i64>().ok())
            .flatten();
        match pincode {
            Some(pin) => sql.push_arg(" AND pincode = ", Arg::I(pin), ""),
            None => sql.push_arg(
                " AND LOWER(name) LIKE ",
                Arg::S(format!("%{}%", like_escape(&lower(store.backend, q)))),
                " ESCAPE '\\'",
            ),
        }
    }
    sql.push(" ORDER BY name, id");
    sql.push_arg(" LIMIT ", Arg::I(i64::from(filter.limit)), "");
    sql.push_arg(" OFFSET ", Arg::I(i64::from(filter.offset)), "");
    let rows = sql.fetch_all(&store.read).await?;
    rows.iter().map(facility_from_row).collect()
}

// ---------------------------------------------------------------------------------------------
// Session plans and edits
// ---------------------------------------------------------------------------------------------

fn slots_json(slots: &[Slot]) -> StorageResult<String> {
    let slots: Vec<&str> = slots.iter().map(Slot::as_str).collect();
    serde_json::to_string(&slots).map_err(json_err)
}

/// The place of a facility, read in the caller's transaction.
async fn center_place(conn: &mut Conn, center: CenterId) -> StorageResult<Option<Place>> {
    let row = sqlx::query("SELECT state_id, district_id, block_name FROM centers WHERE id = $1")
        .bind(center.0)
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?;
    row.map(|row| {
        Ok(Place {
            state: StateId(row.try_get("state_id").map_err(|_| decode_err("state_id"))?),
            district: DistrictId(
                row.try_get("district_id").map_err(|_| decode_err("district_id"))?,
            ),
            block: row.try_get("block_name").map_err(|_| decode_err("block_name"))?,
            center: Some(center),
        })
    })
    .transpose()
}

pub(super) async fn plan_sessions(
    store: &SqlStore,
    plan: &NewPlan,
    audit: &Change,
) -> StorageResult<PlanOutcome> {
    let (new, mut change) = (plan.clone(), audit.clone());
    let backend = store.backend;
    store
        .write(Box::new(move |conn| {
            Box::pin(async move {
                let p = &new.plan;
                // Plans of one facility (and its deactivation) take turns on its row.
                let row = sqlx::query(AssertSqlSafe(format!(
                    "SELECT active FROM centers WHERE id = $1{}",
                    lock(backend, " FOR NO KEY UPDATE")
                )))
                .bind(new.center_id.0)
                .fetch_optional(&mut *conn)
                .await
                .map_err(db)?
                .ok_or(StorageError::NotFound)?;
                let active: i64 = row.try_get("active").map_err(|_| decode_err("active"))?;
                if active == 0 {
                    return Err(StorageError::Conflict(ConflictKind::FacilityInactive));
                }
                let (first, last) = match (p.dates.first(), p.dates.last()) {
                    (Some(f), Some(l)) => (*f.min(&p.from), *l.max(&p.until)),
                    _ => (p.from, p.until),
                };
                let taken: HashSet<String> = sqlx::query(
                    "SELECT date FROM sessions WHERE center_id = $1 AND vaccine = $2 \
                     AND status = 'active' AND date >= $3 AND date <= $4",
                )
                .bind(new.center_id.0)
                .bind(p.vaccine.as_str().to_owned())
                .bind(date_str(first))
                .bind(date_str(last))
                .fetch_all(&mut *conn)
                .await
                .map_err(db)?
                .iter()
                .map(|r| r.try_get::<String, _>("date").map_err(|_| decode_err("date")))
                .collect::<StorageResult<_>>()?;
                let slots = slots_json(&p.slots)?;
                let weekdays =
                    p.weekdays.iter().map(u8::to_string).collect::<Vec<_>>().join(",");
                sqlx::query(
                    "INSERT INTO session_plans (id, center_id, vaccine, date_from, date_until, \
                     weekdays, min_age, max_age, capacity_dose1, capacity_dose2, slots, walk_ins, \
                     fee, created_by, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)",
                )
                .bind(new.id.to_string())
                .bind(new.center_id.0)
                .bind(p.vaccine.as_str().to_owned())
                .bind(date_str(p.from))
                .bind(date_str(p.until))
                .bind(weekdays)
                .bind(i64::from(p.ages.min))
                .bind(p.ages.max.map(i64::from))
                .bind(i64::from(p.capacity_dose1))
                .bind(i64::from(p.capacity_dose2))
                .bind(slots.clone())
                .bind(i64::from(p.walk_ins))
                .bind(new.fee.clone())
                .bind(new.actor.clone())
                .bind(new.now_ms)
                .execute(&mut *conn)
                .await
                .map_err(db)?;
                let mut outcome = PlanOutcome { created: Vec::new(), skipped: Vec::new() };
                for date in &p.dates {
                    if taken.contains(&date_str(*date)) {
                        outcome.skipped.push(*date);
                        continue;
                    }
                    let id = SessionId::new();
                    sqlx::query(AssertSqlSafe(format!(
                        "INSERT INTO sessions ({SESSION_COLS}) VALUES ($1, $2, $3, $4, $5, $6, \
                         $7, $8, $9, 0, 0, $10, 'active', $11, $12, $13)"
                    )))
                    .bind(id.to_string())
                    .bind(new.center_id.0)
                    .bind(date_str(*date))
                    .bind(p.vaccine.as_str().to_owned())
                    .bind(i64::from(p.ages.min))
                    .bind(p.ages.max.map(i64::from))
                    .bind(new.fee.clone())
                    .bind(i64::from(p.capacity_dose1))
                    .bind(i64::from(p.capacity_dose2))
                    .bind(slots.clone())
                    .bind(new.now_ms)
                    .bind(i64::from(p.walk_ins))
                    .bind(new.id.to_string())
                    .execute(&mut *conn)
                    .await
                    .map_err(db)?;
                    outcome.created.push((*date, id));
                }
                if change.place.is_none() {
                    change.place = center_place(conn, new.center_id).await?;
                }
                if change.after.is_none() {
                    let dates = |v: Vec<String>| serde_json::Value::from(v);
                    change.after = Some(
                        serde_json::json!({
                            "plan_id": new.id.to_string(),
                            "center_id": new.center_id.0,
                            "vaccine": p.vaccine.as_str(),
                            "from": date_str(p.from),
                            "until": date_str(p.until),
                            "weekdays": p.weekdays,
                            "capacity_dose1": p.capacity_dose1,
                            "capacity_dose2": p.capacity_dose2,
                            "walk_ins": p.walk_ins,
                            "fee": new.fee,
                            "created": dates(outcome.created.iter().map(|(d, _)| date_str(*d)).collect()),
                            "skipped": dates(outcome.skipped.iter().map(|d| date_str(*d)).collect()),
                        })
                        .to_string(),
                    );
                }
                write_change(conn, &change).await?;
                Ok(outcome)
            })
        }))
        .await
}

async fn read_session(conn: &mut Conn, id: SessionId) -> StorageResult<Option<Session>> {
    sqlx::query(AssertSqlSafe(format!("SELECT {SESSION_COLS} FROM sessions WHERE id = $1")))
        .bind(id.to_string())
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?
        .as_ref()
        .map(session_from_row)
        .transpose()
}

fn seats_json(s: &Session) -> serde_json::Value {
    serde_json::json!({
        "capacity_dose1": s.capacity_dose1,
        "capacity_dose2": s.capacity_dose2,
        "booked_dose1": s.booked_dose1,
        "booked_dose2": s.booked_dose2,
        "walk_ins": s.walk_ins,
    })
}

pub(super) async fn edit_session(
    store: &SqlStore,
    id: SessionId,
    edit: SessionEdit,
    now_ms: i64,
    audit: &Change,
) -> StorageResult<Session> {
    let mut change = audit.clone();
    store
        .write(Box::new(move |conn| {
            Box::pin(async move {
                let before = read_session(conn, id).await?.ok_or(StorageError::NotFound)?;
                let n = sqlx::query(
                    "UPDATE sessions SET capacity_dose1 = $1, capacity_dose2 = $2, walk_ins = $3, \
                     updated_at = $4 WHERE id = $5 AND status = 'active' \
                     AND booked_dose1 <= $6 AND booked_dose2 <= $7",
                )
                .bind(i64::from(edit.capacity_dose1))
                .bind(i64::from(edit.capacity_dose2))
                .bind(i64::from(edit.walk_ins))
                .bind(now_ms)
                .bind(id.to_string())
                .bind(i64::from(edit.capacity_dose1))
                .bind(i64::from(edit.capacity_dose2))
                .execute(&mut *conn)
                .await
                .map_err(db)?
                .rows_affected();
                if n == 0 {
                    let now = read_session(conn, id).await?.ok_or(StorageError::NotFound)?;
                    return Err(StorageError::Conflict(if now.active {
                        ConflictKind::CapacityBelowBooked
                    } else {
                        ConflictKind::SessionClosed
                    }));
                }
                let after = read_session(conn, id).await?.ok_or(StorageError::NotFound)?;
                if change.before.is_none() {
                    change.before = Some(seats_json(&before).to_string());
                }
                if change.after.is_none() {
                    change.after = Some(seats_json(&after).to_string());
                }
                if change.place.is_none() {
                    change.place = center_place(conn, after.center_id).await?;
                }
                write_change(conn, &change).await?;
                Ok(after)
            })
        }))
        .await
}

pub(super) async fn list_facility_sessions(
    store: &SqlStore,
    center: CenterId,
    from: NaiveDate,
    to: NaiveDate,
) -> StorageResult<Vec<Session>> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {SESSION_COLS} FROM sessions WHERE center_id = $1 AND date >= $2 AND date <= $3 \
         ORDER BY date, id"
    )))
    .bind(center.0)
    .bind(date_str(from))
    .bind(date_str(to))
    .fetch_all(&store.read)
    .await
    .map_err(db)?;
    rows.iter().map(session_from_row).collect()
}

// ---------------------------------------------------------------------------------------------
// Facility staff
// ---------------------------------------------------------------------------------------------

pub(super) async fn create_staff_audited(
    store: &SqlStore,
    new: &NewStaff,
    audit: &Change,
) -> StorageResult<Staff> {
    let (new, change) = (new.clone(), audit.clone());
    store
        .write(Box::new(move |conn| {
            Box::pin(async move {
                let staff = insert_staff(conn, new).await?;
                write_change(conn, &change).await?;
                Ok(staff)
            })
        }))
        .await
}

pub(super) async fn set_staff_active(
    store: &SqlStore,
    id: StaffId,
    active: bool,
    audit: &Change,
) -> StorageResult<()> {
    let change = audit.clone();
    store
        .write(Box::new(move |conn| {
            Box::pin(async move {
                let n = sqlx::query("UPDATE staff SET active = $1 WHERE id = $2")
                    .bind(i64::from(active))
                    .bind(id.to_string())
                    .execute(&mut *conn)
                    .await
                    .map_err(db)?
                    .rows_affected();
                if n == 0 {
                    return Err(StorageError::NotFound);
                }
                write_change(conn, &change).await
            })
        }))
        .await
}

#[cfg(test)]
mod tests {
    use super::like_escape;

    #[test]
    fn like_patterns_escape_wildcards() {
        assert_eq!(like_escape(r"50%_a\b"), r"50\%\_a\\b");
    }
}
