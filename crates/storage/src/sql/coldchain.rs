//! The sqlx implementation of [`ColdChainStore`](crate::ColdChainStore).
//!
//! Readings are the hot path: [`ColdChainStore::insert_readings`] sorts and de-duplicates a
//! batch in memory, then writes it as multi-row `INSERT … ON CONFLICT DO NOTHING` statements of
//! at most [`READING_CHUNK`] rows (`?` placeholders on SQLite, `$n` on PostgreSQL), padding the
//! last chunk to a power of two with copies of its last row so only a handful of distinct
//! statements are ever prepared; the loggers' last-seen time and battery follow in one
//! `WITH v(id, b) AS (VALUES …) UPDATE … FROM v` per chunk of loggers.  All of it is one
//! write operation of the group-commit writer.
//!
//! Alarm changes are applied in order in one write operation; opening an alarm writes the
//! alarm, the snapshot of the lots in stock at the point (excursions only) and the
//! `coldchain.alarm_opened` outbox event together.  Acknowledging and closing write their audit
//! row in the same operation.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use async_trait::async_trait;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe, Row};
use tika_domain::coldchain::{
    AlarmAction, AlarmKind, AlarmStatus, DeviceCode, ExcursionRule, LotReview, TempRange,
};
use tika_domain::ids::{AlarmId, ColdChainPointId, EquipmentId};
use tika_domain::inventory::EquipmentKind;

use super::certificates::{audit, enqueue};
use super::{SqlStore, decode_err, parse_uuid, values_clause};
use crate::{
    AlarmChange, AlarmClosure, AlarmFilter, AlarmRecord, Backend, ColdChainStore, ConflictKind,
    Equipment, EquipmentLink, ExposedLot, LoggerLink, LoggerRecord, NewReading, StorageError,
    StorageResult,
};

type Conn = AnyConnection;

fn db(e: sqlx::Error) -> StorageError {
    StorageError::from_sqlx(e)
}

/// Readings per `INSERT` (4 parameters each: 16,384 parameters, under SQLite's 32,766 and
/// PostgreSQL's 65,535).
const READING_CHUNK: usize = 4096;
/// Loggers per last-seen `UPDATE` (2 parameters each).
const LOGGER_CHUNK: usize = 4096;
/// Devices per registration `INSERT` / lookup.
const DEVICE_CHUNK: usize = 1000;

const EQUIPMENT_COLS: &str = "id, point_id, kind, label, min_tenths, max_tenths, \
                              excursion_after_ms, silent_after_ms, logger_device, created_at";
const LINK_SELECT: &str = "SELECT l.id AS logger_id, l.device, e.id AS equipment_id, e.point_id, \
     e.min_tenths, e.max_tenths, e.excursion_after_ms, e.silent_after_ms \
     FROM cold_chain_loggers l LEFT JOIN cold_chain_equipment e ON e.logger_device = l.device";
const ALARM_COLS: &str = "id, equipment_id, point_id, kind, status, since_ms, worst_tenths, \
                          cleared_ms, opened_at, acknowledged_at, acknowledged_by, closed_at, \
                          closed_by, action, note";

/// `n` placeholders for an `IN (…)` list starting at `$first`: `?` on SQLite (the only kind in
/// the statement), `$n` on PostgreSQL.
fn list_params(backend: Backend, first: usize, n: usize) -> String {
    let mut s = String::with_capacity(n * 6);
    for i in 0..n {
        if i > 0 {
            s.push(',');
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

fn get_s(row: &AnyRow, c: &str) -> StorageResult<String> {
    row.try_get::<String, _>(c).map_err(|_| decode_err(c))
}

fn get_os(row: &AnyRow, c: &str) -> StorageResult<Option<String>> {
    row.try_get::<Option<String>, _>(c).map_err(|_| decode_err(c))
}

fn get_i(row: &AnyRow, c: &str) -> StorageResult<i64> {
    row.try_get::<i64, _>(c).map_err(|_| decode_err(c))
}

fn get_oi(row: &AnyRow, c: &str) -> StorageResult<Option<i64>> {
    row.try_get::<Option<i64>, _>(c).map_err(|_| decode_err(c))
}

fn get_i32(row: &AnyRow, c: &str) -> StorageResult<i32> {
    i32::try_from(get_i(row, c)?).map_err(|_| decode_err(c))
}

fn device(s: &str) -> StorageResult<DeviceCode> {
    DeviceCode::parse(s).map_err(|_| decode_err("device"))
}

/// The rule stored with an equipment row (columns of [`EQUIPMENT_COLS`] / [`LINK_SELECT`]).
fn rule_from_row(row: &AnyRow) -> StorageResult<ExcursionRule> {
    Ok(ExcursionRule {
        range: TempRange {
            min_tenths: get_i32(row, "min_tenths")?,
            max_tenths: get_i32(row, "max_tenths")?,
        },
        min_duration_ms: get_i(row, "excursion_after_ms")?,
        silence_ms: get_i(row, "silent_after_ms")?,
    })
}

fn equipment_from_row(row: &AnyRow) -> StorageResult<Equipment> {
    let kind = get_s(row, "kind")?;
    Ok(Equipment {
        id: parse_uuid(&get_s(row, "id")?)?,
        point: parse_uuid(&get_s(row, "point_id")?)?,
        kind: EquipmentKind::parse(&kind).ok_or_else(|| decode_err("kind"))?,
        label: get_s(row, "label")?,
        rule: rule_from_row(row)?,
        logger: get_os(row, "logger_device")?.map(|d| device(&d)).transpose()?,
        created_at_ms: get_i(row, "created_at")?,
    })
}

fn link_from_row(row: &AnyRow) -> StorageResult<LoggerLink> {
    let equipment = match get_os(row, "equipment_id")? {
        Some(id) => Some(EquipmentLink {
            id: parse_uuid(&id)?,
            point: parse_uuid(&get_s(row, "point_id")?)?,
            rule: rule_from_row(row)?,
        }),
        None => None,
    };
    Ok(LoggerLink {
        device: device(&get_s(row, "device")?)?,
        logger_id: get_i(row, "logger_id")?,
        equipment,
    })
}

fn battery_from(v: Option<i64>) -> StorageResult<Option<u8>> {
    v.map(|b| u8::try_from(b).map_err(|_| decode_err("battery"))).transpose()
}

fn alarm_from_row(row: &AnyRow) -> StorageResult<AlarmRecord> {
    let kind = get_s(row, "kind")?;
    let status = get_s(row, "status")?;
    let acknowledged = match (get_oi(row, "acknowledged_at")?, get_os(row, "acknowledged_by")?) {
        (Some(at), Some(by)) => Some((at, by)),
        _ => None,
    };
    let closed = match (get_oi(row, "closed_at")?, get_os(row, "closed_by")?) {
        (Some(at), Some(by)) => Some((at, by)),
        _ => None,
    };
    Ok(AlarmRecord {
        id: parse_uuid(&get_s(row, "id")?)?,
        equipment: parse_uuid(&get_s(row, "equipment_id")?)?,
        point: parse_uuid(&get_s(row, "point_id")?)?,
        kind: AlarmKind::parse(&kind).ok_or_else(|| decode_err("kind"))?,
        status: AlarmStatus::parse(&status).ok_or_else(|| decode_err("status"))?,
        since_ms: get_i(row, "since_ms")?,
        worst_tenths: get_oi(row, "worst_tenths")?
            .map(|w| i32::try_from(w).map_err(|_| decode_err("worst_tenths")))
            .transpose()?,
        cleared_ms: get_oi(row, "cleared_ms")?,
        opened_at_ms: get_i(row, "opened_at")?,
        acknowledged,
        closed,
        action: get_os(row, "action")?
            .map(|a| AlarmAction::parse(&a).ok_or_else(|| decode_err("action")))
            .transpose()?,
        note: get_s(row, "note")?,
    })
}

fn exposed_from_row(row: &AnyRow) -> StorageResult<ExposedLot> {
    let review = get_s(row, "review")?;
    Ok(ExposedLot {
        lot: parse_uuid(&get_s(row, "lot_id")?)?,
        vials: get_i(row, "vials")?,
        review: LotReview::parse(&review).ok_or_else(|| decode_err("review"))?,
    })
}

/// The more extreme of two temperatures for the kind (warm: higher, cold: lower).
fn more_extreme(kind: AlarmKind, a: i32, b: i32) -> i32 {
    match kind {
        AlarmKind::TooWarm => a.max(b),
        AlarmKind::TooCold => a.min(b),
        AlarmKind::Silent => b,
    }
}

async fn point_exists(conn: &mut Conn, point: ColdChainPointId) -> StorageResult<bool> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM cold_chain_points WHERE id = $1")
        .bind(point.to_string())
        .fetch_one(&mut *conn)
        .await
        .map_err(db)?;
    Ok(n > 0)
}

/// `Conflict(LoggerTaken)` when equipment other than `except` reports through `device`.
async fn check_logger_free(
    conn: &mut Conn,
    device: &DeviceCode,
    except: EquipmentId,
) -> StorageResult<()> {
    let n: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM cold_chain_equipment WHERE logger_device = $1 AND id <> $2",
    )
    .bind(device.as_str().to_owned())
    .bind(except.to_string())
    .fetch_one(&mut *conn)
    .await
    .map_err(db)?;
    if n > 0 { Err(StorageError::Conflict(ConflictKind::LoggerTaken)) } else { Ok(()) }
}

/// Registers one device (no-op if known).
async fn register_one(conn: &mut Conn, device: &DeviceCode, now_ms: i64) -> StorageResult<()> {
    sqlx::query(
        "INSERT INTO cold_chain_loggers (device, first_seen, last_seen) VALUES ($1, $2, $3) \
         ON CONFLICT (device) DO NOTHING",
    )
    .bind(device.as_str().to_owned())
    .bind(now_ms)
    .bind(now_ms)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    Ok(())
}

async fn alarm_in(conn: &mut Conn, id: AlarmId) -> StorageResult<AlarmRecord> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {ALARM_COLS} FROM cold_chain_alarms WHERE id = $1"
    )))
    .bind(id.to_string())
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?
    .ok_or(StorageError::NotFound)?;
    alarm_from_row(&row)
}

/// The uncleared alarm of this equipment and kind: its id and worst temperature.
async fn uncleared_alarm(
    conn: &mut Conn,
    equipment: EquipmentId,
    kind: AlarmKind,
) -> StorageResult<Option<(String, Option<i64>)>> {
    let row = sqlx::query(
        "SELECT id, worst_tenths FROM cold_chain_alarms \
         WHERE equipment_id = $1 AND kind = $2 AND cleared_ms IS NULL",
    )
    .bind(equipment.to_string())
    .bind(kind.as_str())
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?;
    row.map(|r| Ok((get_s(&r, "id")?, get_oi(&r, "worst_tenths")?))).transpose()
}

/// Moves the worst temperature of the uncleared alarm further out (never back in).
async fn worsen(
    conn: &mut Conn,
    equipment: EquipmentId,
    kind: AlarmKind,
    worst: i32,
) -> StorageResult<()> {
    let Some((id, stored)) = uncleared_alarm(conn, equipment, kind).await? else {
        return Ok(());
    };
    let stored = stored.and_then(|w| i32::try_from(w).ok());
    let new = stored.map_or(worst, |s| more_extreme(kind, s, worst));
    if stored == Some(new) {
        return Ok(());
    }
    sqlx::query("UPDATE cold_chain_alarms SET worst_tenths = $1 WHERE id = $2")
        .bind(i64::from(new))
        .bind(id)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    Ok(())
}

/// Opens an alarm unless one of this kind is uncleared (then only worsens it).  `None` when
/// nothing was opened (already open, or the equipment no longer exists).
async fn open_alarm(
    conn: &mut Conn,
    equipment: EquipmentId,
    kind: AlarmKind,
    since_ms: i64,
    worst_tenths: Option<i32>,
    now_ms: i64,
) -> StorageResult<Option<AlarmId>> {
    if uncleared_alarm(conn, equipment, kind).await?.is_some() {
        if let Some(w) = worst_tenths {
            worsen(conn, equipment, kind, w).await?;
        }
        return Ok(None);
    }
    let point: Option<String> =
        sqlx::query_scalar("SELECT point_id FROM cold_chain_equipment WHERE id = $1")
            .bind(equipment.to_string())
            .fetch_optional(&mut *conn)
            .await
            .map_err(db)?;
    let Some(point) = point else {
        // Deleted or never known: one stale change must not block the others.
        return Ok(None);
    };
    let id = AlarmId::new();
    sqlx::query(
        "INSERT INTO cold_chain_alarms (id, equipment_id, point_id, kind, status, since_ms, \
         worst_tenths, opened_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(id.to_string())
    .bind(equipment.to_string())
    .bind(point.clone())
    .bind(kind.as_str())
    .bind(AlarmStatus::Open.as_str())
    .bind(since_ms)
    .bind(worst_tenths.map(i64::from))
    .bind(now_ms)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    if kind.is_excursion() {
        sqlx::query(
            "INSERT INTO cold_chain_alarm_lots (alarm_id, lot_id, vials) \
             SELECT $1, lot_id, vials FROM stock_on_hand WHERE point_id = $2 AND vials > 0",
        )
        .bind(id.to_string())
        .bind(point.clone())
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    }
    let payload = serde_json::json!({
        "alarm": id.to_string(),
        "equipment": equipment.to_string(),
        "point": point,
        "kind": kind.as_str(),
        "since_ms": since_ms,
        "worst_tenths": worst_tenths,
    });
    enqueue(conn, "coldchain.alarm_opened", &id.to_string(), &payload, now_ms).await?;
    Ok(Some(id))
}

/// The links of `devices` (known ones only), read in the caller's transaction.
async fn links_of(
    conn: &mut Conn,
    backend: Backend,
    devices: &[String],
) -> StorageResult<Vec<LoggerLink>> {
    let mut links = Vec::with_capacity(devices.len());
    for chunk in devices.chunks(DEVICE_CHUNK) {
        let sql =
            format!("{LINK_SELECT} WHERE l.device IN ({})", list_params(backend, 1, chunk.len()));
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for d in chunk {
            q = q.bind(d.clone());
        }
        for row in q.fetch_all(&mut *conn).await.map_err(db)? {
            links.push(link_from_row(&row)?);
        }
    }
    links.sort_by(|a, b| a.device.cmp(&b.device));
    Ok(links)
}

/// A reading as bound: logger id, instant, tenths, battery.
type ReadingRow = (i64, i64, i16, Option<i16>);

/// `INSERT … VALUES` for `rows` readings.
fn readings_insert_sql(backend: Backend, rows: usize) -> String {
    format!(
        "INSERT INTO temperature_readings (logger_id, at_ms, tenths, battery) VALUES {} \
         ON CONFLICT DO NOTHING",
        values_clause(backend, rows, 4)
    )
}

/// The last-seen update of `rows` loggers: the values come first, then the time.
fn loggers_update_sql(backend: Backend, rows: usize) -> String {
    let now = match backend {
        Backend::Sqlite => "?".to_owned(),
        Backend::Postgres => format!("${}", rows * 2 + 1),
    };
    format!(
        "WITH v (id, b) AS (VALUES {}) UPDATE cold_chain_loggers SET last_seen = {now}, \
         last_battery = COALESCE(v.b, cold_chain_loggers.last_battery) \
         FROM v WHERE cold_chain_loggers.id = v.id",
        values_clause(backend, rows, 2)
    )
}

#[async_trait]
impl ColdChainStore for SqlStore {
    async fn create_equipment(&self, equipment: &Equipment) -> StorageResult<()> {
        let e = equipment.clone();
        self.write(Box::new(move |conn| {
            Box::pin(async move {
                if !point_exists(conn, e.point).await? {
                    return Err(StorageError::NotFound);
                }
                if let Some(d) = &e.logger {
                    check_logger_free(conn, d, e.id).await?;
                }
                sqlx::query(
                    "INSERT INTO cold_chain_equipment (id, point_id, kind, label, min_tenths, \
                     max_tenths, excursion_after_ms, silent_after_ms, logger_device, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                )
                .bind(e.id.to_string())
                .bind(e.point.to_string())
                .bind(e.kind.as_str())
                .bind(e.label.clone())
                .bind(i64::from(e.rule.range.min_tenths))
                .bind(i64::from(e.rule.range.max_tenths))
                .bind(e.rule.min_duration_ms)
                .bind(e.rule.silence_ms)
                .bind(e.logger.as_ref().map(|d| d.as_str().to_owned()))
                .bind(e.created_at_ms)
                .execute(&mut *conn)
                .await
                .map_err(db)?;
                if let Some(d) = &e.logger {
                    register_one(conn, d, e.created_at_ms).await?;
                }
                Ok(())
            })
        }))
        .await
    }

    async fn find_equipment(&self, id: EquipmentId) -> StorageResult<Equipment> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {EQUIPMENT_COLS} FROM cold_chain_equipment WHERE id = $1"
        )))
        .bind(id.to_string())
        .fetch_optional(&self.read)
        .await
        .map_err(db)?
        .ok_or(StorageError::NotFound)?;
        equipment_from_row(&row)
    }

    async fn list_equipment(&self, point: ColdChainPointId) -> StorageResult<Vec<Equipment>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {EQUIPMENT_COLS} FROM cold_chain_equipment WHERE point_id = $1 \
             ORDER BY label, id"
        )))
        .bind(point.to_string())
        .fetch_all(&self.read)
        .await
        .map_err(db)?;
        rows.iter().map(equipment_from_row).collect()
    }

    async fn set_logger(
        &self,
        equipment: EquipmentId,
        device: Option<&DeviceCode>,
    ) -> StorageResult<()> {
        let device = device.cloned();
        self.write(Box::new(move |conn| {
            Box::pin(async move {
                let created: Option<i64> =
                    sqlx::query_scalar("SELECT created_at FROM cold_chain_equipment WHERE id = $1")
                        .bind(equipment.to_string())
                        .fetch_optional(&mut *conn)
                        .await
                        .map_err(db)?;
                let created = created.ok_or(StorageError::NotFound)?;
                if let Some(d) = &device {
                    check_logger_free(conn, d, equipment).await?;
                }
                sqlx::query("UPDATE cold_chain_equipment SET logger_device = $1 WHERE id = $2")
                    .bind(device.as_ref().map(|d| d.as_str().to_owned()))
                    .bind(equipment.to_string())
                    .execute(&mut *conn)
                    .await
                    .map_err(db)?;
                if let Some(d) = &device {
                    // No clock here: a device not heard yet counts as first seen when its
                    // equipment was created.
                    register_one(conn, d, created).await?;
                }
                Ok(())
            })
        }))
        .await
    }

    async fn logger_directory(&self, now_ms: i64) -> StorageResult<Vec<LoggerLink>> {
        self.write(Box::new(move |conn| {
            Box::pin(async move {
                sqlx::query(
                    "INSERT INTO cold_chain_loggers (device, first_seen, last_seen) \
                     SELECT logger_device, $1, $2 FROM cold_chain_equipment \
                     WHERE logger_device IS NOT NULL ON CONFLICT (device) DO NOTHING",
                )
                .bind(now_ms)
                .bind(now_ms)
                .execute(&mut *conn)
                .await
                .map_err(db)?;
                let rows = sqlx::query(LINK_SELECT).fetch_all(&mut *conn).await.map_err(db)?;
                let mut links =
                    rows.iter().map(link_from_row).collect::<StorageResult<Vec<_>>>()?;
                links.sort_by(|a, b| a.device.cmp(&b.device));
                Ok(links)
            })
        }))
        .await
    }

    async fn register_loggers(
        &self,
        devices: &[DeviceCode],
        now_ms: i64,
    ) -> StorageResult<Vec<LoggerLink>> {
        let devices: Vec<String> = devices
            .iter()
            .map(|d| d.as_str().to_owned())
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        if devices.is_empty() {
            return Ok(Vec::new());
        }
        let backend = self.backend;
        self.write(Box::new(move |conn| {
            Box::pin(async move {
                for chunk in devices.chunks(DEVICE_CHUNK) {
                    let sql = format!(
                        "INSERT INTO cold_chain_loggers (device, first_seen, last_seen) \
                         VALUES {} ON CONFLICT (device) DO NOTHING",
                        values_clause(backend, chunk.len(), 3)
                    );
                    let mut q = sqlx::query(AssertSqlSafe(sql));
                    for d in chunk {
                        q = q.bind(d.clone()).bind(now_ms).bind(now_ms);
                    }
                    q.execute(&mut *conn).await.map_err(db)?;
                }
                links_of(conn, backend, &devices).await
            })
        }))
        .await
    }

    async fn insert_readings(&self, readings: &[NewReading], now_ms: i64) -> StorageResult<u64> {
        if readings.is_empty() {
            return Ok(0);
        }
        let mut rows: Vec<ReadingRow> = Vec::with_capacity(readings.len());
        // Per logger: the battery of its latest reading that had one.
        let mut loggers: BTreeMap<i64, Option<(i64, i16)>> = BTreeMap::new();
        for r in readings {
            let tenths = i16::try_from(r.tenths).map_err(|_| {
                StorageError::Config(format!("temperature out of range: {} tenths", r.tenths))
            })?;
            let battery = r.battery_pct.map(i16::from);
            rows.push((r.logger_id, r.at_ms, tenths, battery));
            let latest = loggers.entry(r.logger_id).or_insert(None);
            if let Some(b) = battery
                && latest.is_none_or(|(at, _)| r.at_ms >= at)
            {
                *latest = Some((r.at_ms, b));
            }
        }
        // Sorted by key: fewer B-tree pages touched per chunk; the first of duplicates wins,
        // as it would in the database.
        rows.sort_by_key(|r| (r.0, r.1));
        rows.dedup_by_key(|r| (r.0, r.1));
        let loggers: Vec<(i64, Option<i16>)> =
            loggers.into_iter().map(|(id, b)| (id, b.map(|(_, b)| b))).collect();
        let backend = self.backend;
        self.write(Box::new(move |conn| {
            Box::pin(async move {
                let mut inserted = 0u64;
                for chunk in rows.chunks(READING_CHUNK) {
                    // Padded to a power of two with copies of the last row (ignored as
                    // duplicates), so few distinct statements are prepared and cached.
                    let padded = chunk.len().next_power_of_two();
                    let Some(last) = chunk.last() else { continue };
                    let mut q = sqlx::query(AssertSqlSafe(readings_insert_sql(backend, padded)));
                    for r in chunk.iter().chain(std::iter::repeat_n(last, padded - chunk.len())) {
                        q = q.bind(r.0).bind(r.1).bind(r.2).bind(r.3);
                    }
                    inserted += q.execute(&mut *conn).await.map_err(db)?.rows_affected();
                }
                for chunk in loggers.chunks(LOGGER_CHUNK) {
                    let padded = chunk.len().next_power_of_two();
                    let Some(last) = chunk.last() else { continue };
                    let mut q = sqlx::query(AssertSqlSafe(loggers_update_sql(backend, padded)));
                    for l in chunk.iter().chain(std::iter::repeat_n(last, padded - chunk.len())) {
                        q = q.bind(l.0).bind(l.1);
                    }
                    q.bind(now_ms).execute(&mut *conn).await.map_err(db)?;
                }
                Ok(inserted)
            })
        }))
        .await
    }

    async fn readings(
        &self,
        equipment: EquipmentId,
        from_ms: i64,
        to_ms: i64,
        limit: u32,
    ) -> StorageResult<Vec<(i64, i32)>> {
        let logger: Option<Option<i64>> = sqlx::query_scalar(
            "SELECT l.id FROM cold_chain_equipment e \
             LEFT JOIN cold_chain_loggers l ON l.device = e.logger_device WHERE e.id = $1",
        )
        .bind(equipment.to_string())
        .fetch_optional(&self.read)
        .await
        .map_err(db)?;
        let Some(logger) = logger.ok_or(StorageError::NotFound)? else {
            return Ok(Vec::new());
        };
        let rows = sqlx::query(
            "SELECT at_ms, tenths FROM temperature_readings \
             WHERE logger_id = $1 AND at_ms >= $2 AND at_ms < $3 ORDER BY at_ms DESC LIMIT $4",
        )
        .bind(logger)
        .bind(from_ms)
        .bind(to_ms)
        .bind(i64::from(limit))
        .fetch_all(&self.read)
        .await
        .map_err(db)?;
        let mut out = rows
            .iter()
            .map(|r| Ok((get_i(r, "at_ms")?, get_i32(r, "tenths")?)))
            .collect::<StorageResult<Vec<_>>>()?;
        out.reverse();
        Ok(out)
    }

    async fn list_loggers(&self) -> StorageResult<Vec<LoggerRecord>> {
        let rows = sqlx::query(
            "SELECT l.id, l.device, l.first_seen, l.last_seen, l.last_battery, \
             e.id AS equipment_id FROM cold_chain_loggers l \
             LEFT JOIN cold_chain_equipment e ON e.logger_device = l.device",
        )
        .fetch_all(&self.read)
        .await
        .map_err(db)?;
        let mut loggers = rows
            .iter()
            .map(|r| {
                Ok(LoggerRecord {
                    device: device(&get_s(r, "device")?)?,
                    logger_id: get_i(r, "id")?,
                    equipment: get_os(r, "equipment_id")?.map(|e| parse_uuid(&e)).transpose()?,
                    first_seen_ms: get_i(r, "first_seen")?,
                    last_seen_ms: get_i(r, "last_seen")?,
                    last_battery_pct: battery_from(get_oi(r, "last_battery")?)?,
                })
            })
            .collect::<StorageResult<Vec<_>>>()?;
        // By code, byte order (a database collation may order punctuation differently).
        loggers.sort_by(|a, b| a.device.cmp(&b.device));
        Ok(loggers)
    }

    async fn load_detectors(&self) -> StorageResult<Vec<(EquipmentId, String)>> {
        let rows = sqlx::query(
            "SELECT equipment_id, state FROM cold_chain_detectors ORDER BY equipment_id",
        )
        .fetch_all(&self.read)
        .await
        .map_err(db)?;
        rows.iter()
            .map(|r| Ok((parse_uuid(&get_s(r, "equipment_id")?)?, get_s(r, "state")?)))
            .collect()
    }

    async fn save_detectors(
        &self,
        states: &[(EquipmentId, String)],
        now_ms: i64,
    ) -> StorageResult<()> {
        // The last state given for an equipment wins (one statement may not upsert a row twice).
        let mut latest: BTreeMap<String, String> = BTreeMap::new();
        for (id, state) in states {
            latest.insert(id.to_string(), state.clone());
        }
        if latest.is_empty() {
            return Ok(());
        }
        let states: Vec<(String, String)> = latest.into_iter().collect();
        let backend = self.backend;
        self.write(Box::new(move |conn| {
            Box::pin(async move {
                for chunk in states.chunks(DEVICE_CHUNK) {
                    let sql = format!(
                        "INSERT INTO cold_chain_detectors (equipment_id, state, updated_at) \
                         VALUES {} ON CONFLICT (equipment_id) DO UPDATE \
                         SET state = excluded.state, updated_at = excluded.updated_at",
                        values_clause(backend, chunk.len(), 3)
                    );
                    let mut q = sqlx::query(AssertSqlSafe(sql));
                    for (id, state) in chunk {
                        q = q.bind(id.clone()).bind(state.clone()).bind(now_ms);
                    }
                    q.execute(&mut *conn).await.map_err(db)?;
                }
                Ok(())
            })
        }))
        .await
    }

    async fn apply_alarm_changes(
        &self,
        changes: &[AlarmChange],
        now_ms: i64,
    ) -> StorageResult<Vec<AlarmRecord>> {
        if changes.is_empty() {
            return Ok(Vec::new());
        }
        let changes = changes.to_vec();
        self.write(Box::new(move |conn| {
            Box::pin(async move {
                let mut opened = Vec::new();
                for change in changes {
                    match change {
                        AlarmChange::Open { equipment, kind, since_ms, worst_tenths } => {
                            if let Some(id) =
                                open_alarm(conn, equipment, kind, since_ms, worst_tenths, now_ms)
                                    .await?
                            {
                                opened.push(id);
                            }
                        }
                        AlarmChange::Worsen { equipment, kind, worst_tenths } => {
                            worsen(conn, equipment, kind, worst_tenths).await?;
                        }
                        AlarmChange::Clear { equipment, kind, at_ms } => {
                            sqlx::query(
                                "UPDATE cold_chain_alarms SET cleared_ms = $1 \
                                 WHERE equipment_id = $2 AND kind = $3 AND cleared_ms IS NULL",
                            )
                            .bind(at_ms)
                            .bind(equipment.to_string())
                            .bind(kind.as_str())
                            .execute(&mut *conn)
                            .await
                            .map_err(db)?;
                        }
                    }
                }
                // As they stand after every change of this call.
                let mut records = Vec::with_capacity(opened.len());
                for id in opened {
                    records.push(alarm_in(conn, id).await?);
                }
                Ok(records)
            })
        }))
        .await
    }

    async fn list_alarms(&self, filter: &AlarmFilter) -> StorageResult<Vec<AlarmRecord>> {
        let mut conds: Vec<String> = Vec::new();
        let mut binds: Vec<String> = Vec::new();
        if let Some(points) = &filter.points {
            if points.is_empty() {
                return Ok(Vec::new());
            }
            conds.push(format!(
                "point_id IN ({})",
                list_params(Backend::Postgres, binds.len() + 1, points.len())
            ));
            binds.extend(points.iter().map(ToString::to_string));
        }
        if let Some(e) = filter.equipment {
            conds.push(format!("equipment_id = ${}", binds.len() + 1));
            binds.push(e.to_string());
        }
        if filter.unclosed_only {
            conds.push("status <> 'closed'".to_owned());
        }
        let where_ =
            if conds.is_empty() { String::new() } else { format!("WHERE {}", conds.join(" AND ")) };
        let sql = format!(
            "SELECT {ALARM_COLS} FROM cold_chain_alarms {where_} \
             ORDER BY opened_at DESC, id DESC LIMIT {}",
            filter.limit.clamp(1, 1000)
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for b in binds {
            q = q.bind(b);
        }
        let rows = q.fetch_all(&self.read).await.map_err(db)?;
        rows.iter().map(alarm_from_row).collect()
    }

    async fn find_alarm(&self, id: AlarmId) -> StorageResult<(AlarmRecord, Vec<ExposedLot>)> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {ALARM_COLS} FROM cold_chain_alarms WHERE id = $1"
        )))
        .bind(id.to_string())
        .fetch_optional(&self.read)
        .await
        .map_err(db)?
        .ok_or(StorageError::NotFound)?;
        let alarm = alarm_from_row(&row)?;
        let lots = sqlx::query(
            "SELECT lot_id, vials, review FROM cold_chain_alarm_lots WHERE alarm_id = $1 \
             ORDER BY lot_id",
        )
        .bind(id.to_string())
        .fetch_all(&self.read)
        .await
        .map_err(db)?;
        let lots = lots.iter().map(exposed_from_row).collect::<StorageResult<Vec<_>>>()?;
        Ok((alarm, lots))
    }

    async fn acknowledge_alarm(
        &self,
        id: AlarmId,
        actor: &str,
        now_ms: i64,
    ) -> StorageResult<AlarmRecord> {
        let actor = actor.to_owned();
        self.write(Box::new(move |conn| {
            Box::pin(async move {
                let alarm = alarm_in(conn, id).await?;
                match alarm.status {
                    AlarmStatus::Closed => {
                        return Err(StorageError::Conflict(ConflictKind::AlarmClosed));
                    }
                    AlarmStatus::Acknowledged => return Ok(alarm),
                    AlarmStatus::Open => {}
                }
                sqlx::query(
                    "UPDATE cold_chain_alarms SET status = 'acknowledged', acknowledged_at = $1, \
                     acknowledged_by = $2 WHERE id = $3 AND status = 'open'",
                )
                .bind(now_ms)
                .bind(actor.clone())
                .bind(id.to_string())
                .execute(&mut *conn)
                .await
                .map_err(db)?;
                let detail = serde_json::json!({
                    "equipment": alarm.equipment.to_string(),
                    "point": alarm.point.to_string(),
                    "kind": alarm.kind.as_str(),
                });
                audit(
                    conn,
                    &actor,
                    "coldchain.alarm_acknowledge",
                    &id.to_string(),
                    &detail,
                    now_ms,
                )
                .await?;
                alarm_in(conn, id).await
            })
        }))
        .await
    }

    async fn close_alarm(
        &self,
        id: AlarmId,
        closure: &AlarmClosure,
        actor: &str,
        now_ms: i64,
    ) -> StorageResult<AlarmRecord> {
        let (closure, actor) = (closure.clone(), actor.to_owned());
        self.write(Box::new(move |conn| {
            Box::pin(async move {
                let alarm = alarm_in(conn, id).await?;
                if alarm.status == AlarmStatus::Closed {
                    return Err(StorageError::Conflict(ConflictKind::AlarmClosed));
                }
                let exposed: HashSet<String> = sqlx::query_scalar(
                    "SELECT lot_id FROM cold_chain_alarm_lots WHERE alarm_id = $1",
                )
                .bind(id.to_string())
                .fetch_all(&mut *conn)
                .await
                .map_err(db)?
                .into_iter()
                .collect();
                // Every review is checked before anything is written.
                if closure.reviews.iter().any(|(lot, _)| !exposed.contains(&lot.to_string())) {
                    return Err(StorageError::Conflict(ConflictKind::LotNotExposed));
                }
                sqlx::query(
                    "UPDATE cold_chain_alarms SET status = 'closed', closed_at = $1, \
                     closed_by = $2, action = $3, note = $4 WHERE id = $5",
                )
                .bind(now_ms)
                .bind(actor.clone())
                .bind(closure.action.as_str())
                .bind(closure.note.clone())
                .bind(id.to_string())
                .execute(&mut *conn)
                .await
                .map_err(db)?;
                for (lot, review) in &closure.reviews {
                    sqlx::query(
                        "UPDATE cold_chain_alarm_lots SET review = $1 \
                         WHERE alarm_id = $2 AND lot_id = $3",
                    )
                    .bind(review.as_str())
                    .bind(id.to_string())
                    .bind(lot.to_string())
                    .execute(&mut *conn)
                    .await
                    .map_err(db)?;
                }
                let reviews: Vec<serde_json::Value> = closure
                    .reviews
                    .iter()
                    .map(|(lot, review)| {
                        serde_json::json!({ "lot": lot.to_string(), "review": review.as_str() })
                    })
                    .collect();
                let detail = serde_json::json!({
                    "equipment": alarm.equipment.to_string(),
                    "point": alarm.point.to_string(),
                    "kind": alarm.kind.as_str(),
                    "action": closure.action.as_str(),
                    "reviews": reviews,
                });
                audit(conn, &actor, "coldchain.alarm_close", &id.to_string(), &detail, now_ms)
                    .await?;
                alarm_in(conn, id).await
            })
        }))
        .await
    }

    async fn lots_under_review(
        &self,
        points: Option<&[ColdChainPointId]>,
    ) -> StorageResult<Vec<(AlarmId, ColdChainPointId, ExposedLot)>> {
        let filter = match points {
            Some([]) => return Ok(Vec::new()),
            Some(p) => {
                format!(" AND a.point_id IN ({})", list_params(Backend::Postgres, 1, p.len()))
            }
            None => String::new(),
        };
        let sql = format!(
            "SELECT a.id AS alarm_id, a.point_id, l.lot_id, l.vials, l.review \
             FROM cold_chain_alarm_lots l JOIN cold_chain_alarms a ON a.id = l.alarm_id \
             WHERE l.review = 'pending'{filter} ORDER BY a.opened_at, a.id, l.lot_id"
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for p in points.unwrap_or_default() {
            q = q.bind(p.to_string());
        }
        let rows = q.fetch_all(&self.read).await.map_err(db)?;
        rows.iter()
            .map(|r| {
                let alarm: AlarmId = parse_uuid(&get_s(r, "alarm_id")?)?;
                let point: ColdChainPointId = parse_uuid(&get_s(r, "point_id")?)?;
                Ok((alarm, point, exposed_from_row(r)?))
            })
            .collect()
    }
}
