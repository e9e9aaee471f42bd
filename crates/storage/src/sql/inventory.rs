//! The sqlx implementation of [`InventoryStore`](crate::InventoryStore).
//!
//! Every movement is one write operation: read the point, the lot and the stock on hand, check
//! the movement with `tika_domain::inventory::check_movement`, insert it into
//! `stock_movements` and upsert `stock_on_hand`.  The writer runs one operation at a time, so
//! the stock read is the stock the check applies to (PostgreSQL also locks the row).

use async_trait::async_trait;
use chrono::NaiveDate;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe, Row};
use tika_domain::ids::{
    CenterId, ColdChainPointId, DistrictId, LotId, MovementId, SessionId, StateId,
};
use tika_domain::inventory::{
    BatchNumber, Lot, MovementKind, MovementRequest, PointLevel, WastageReason, check_movement,
};
use tika_domain::vaccine::VaccineCode;

use super::console::write_change;
use super::{SqlStore, date_str, decode_err, parse_date, parse_uuid};
use crate::{
    Backend, Change, ColdChainPoint, ConflictKind, InventoryStore, LotRecord, MovementRecord,
    SessionUseLine, SessionUseRecord, StockLine, StorageError, StorageResult,
};

type Conn = AnyConnection;

fn db(e: sqlx::Error) -> StorageError {
    StorageError::from_sqlx(e)
}

const POINT_COLS: &str = "id, name, level, state_id, district_id, center_id, active, created_at";
const LOT_COLS: &str = "id, vaccine, batch, manufacturer, expiry, doses_per_vial";
const MOVEMENT_COLS: &str = "id, point_id, lot_id, kind, delta, wastage_reason, note, \
                             counterpart_id, date, actor, created_at";

fn point_from_row(row: &AnyRow) -> StorageResult<ColdChainPoint> {
    let get_i = |c: &str| row.try_get::<i64, _>(c).map_err(|_| decode_err(c));
    let get_o = |c: &str| row.try_get::<Option<i64>, _>(c).map_err(|_| decode_err(c));
    let level: String = row.try_get("level").map_err(|_| decode_err("level"))?;
    Ok(ColdChainPoint {
        id: parse_uuid(&row.try_get::<String, _>("id").map_err(|_| decode_err("id"))?)?,
        name: row.try_get("name").map_err(|_| decode_err("name"))?,
        level: PointLevel::parse(&level).ok_or_else(|| decode_err("level"))?,
        state: StateId(get_i("state_id")?),
        district: get_o("district_id")?.map(DistrictId),
        center: get_o("center_id")?.map(CenterId),
        active: get_i("active")? != 0,
        created_at_ms: get_i("created_at")?,
    })
}

fn lot_from_row(row: &AnyRow) -> StorageResult<LotRecord> {
    let get_s = |c: &str| row.try_get::<String, _>(c).map_err(|_| decode_err(c));
    let dpv: i64 = row.try_get("doses_per_vial").map_err(|_| decode_err("doses_per_vial"))?;
    Ok(LotRecord {
        id: parse_uuid(&get_s("id")?)?,
        lot: Lot {
            vaccine: VaccineCode::parse(&get_s("vaccine")?).map_err(|_| decode_err("vaccine"))?,
            batch: BatchNumber::parse(&get_s("batch")?).map_err(|_| decode_err("batch"))?,
            manufacturer: get_s("manufacturer")?,
            expiry: parse_date(&get_s("expiry")?)?,
            doses_per_vial: u16::try_from(dpv).map_err(|_| decode_err("doses_per_vial"))?,
        },
    })
}

const USE_SELECT: &str = "SELECT r.session_id, r.lot_id, r.point_id, r.date, r.doses_given, \
     r.vials_opened, r.doses_wasted, r.anomalies, r.actor, r.created_at, l.batch \
     FROM session_reconciliations r JOIN vaccine_lots l ON l.id = r.lot_id";

fn use_from_row(row: &AnyRow) -> StorageResult<SessionUseRecord> {
    let s = |c: &str| row.try_get::<String, _>(c).map_err(|_| decode_err(c));
    let n = |c: &str| {
        row.try_get::<i64, _>(c)
            .ok()
            .and_then(|v| u32::try_from(v).ok())
            .ok_or_else(|| decode_err(c))
    };
    let anomalies = serde_json::from_str(&s("anomalies")?).map_err(|_| decode_err("anomalies"))?;
    Ok(SessionUseRecord {
        session: parse_uuid(&s("session_id")?)?,
        point: parse_uuid(&s("point_id")?)?,
        date: parse_date(&s("date")?)?,
        line: SessionUseLine {
            lot: parse_uuid(&s("lot_id")?)?,
            doses_given: n("doses_given")?,
            vials_opened: n("vials_opened")?,
            doses_wasted: n("doses_wasted")?,
            anomalies,
        },
        batch: s("batch")?,
        actor: s("actor")?,
        created_at_ms: row.try_get("created_at").map_err(|_| decode_err("created_at"))?,
    })
}

fn movement_from_row(row: &AnyRow) -> StorageResult<MovementRecord> {
    let get_s = |c: &str| row.try_get::<String, _>(c).map_err(|_| decode_err(c));
    let opt_s = |c: &str| row.try_get::<Option<String>, _>(c).map_err(|_| decode_err(c));
    let kind = get_s("kind")?;
    Ok(MovementRecord {
        id: parse_uuid(&get_s("id")?)?,
        point: parse_uuid(&get_s("point_id")?)?,
        lot: parse_uuid(&get_s("lot_id")?)?,
        kind: MovementKind::parse(&kind).ok_or_else(|| decode_err("kind"))?,
        delta: row.try_get("delta").map_err(|_| decode_err("delta"))?,
        wastage_reason: opt_s("wastage_reason")?
            .map(|r| WastageReason::parse(&r).ok_or_else(|| decode_err("wastage_reason")))
            .transpose()?,
        note: get_s("note")?,
        counterpart: opt_s("counterpart_id")?.map(|c| parse_uuid(&c)).transpose()?,
        date: parse_date(&get_s("date")?)?,
        actor: get_s("actor")?,
        created_at_ms: row.try_get("created_at").map_err(|_| decode_err("created_at"))?,
    })
}

async fn point_in(conn: &mut Conn, id: ColdChainPointId) -> StorageResult<ColdChainPoint> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {POINT_COLS} FROM cold_chain_points WHERE id = $1"
    )))
    .bind(id.to_string())
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?
    .ok_or(StorageError::NotFound)?;
    point_from_row(&row)
}

async fn lot_in(conn: &mut Conn, id: LotId) -> StorageResult<LotRecord> {
    let row =
        sqlx::query(AssertSqlSafe(format!("SELECT {LOT_COLS} FROM vaccine_lots WHERE id = $1")))
            .bind(id.to_string())
            .fetch_optional(&mut *conn)
            .await
            .map_err(db)?
            .ok_or(StorageError::NotFound)?;
    lot_from_row(&row)
}

/// Checks and writes one movement of `point`'s ledger inside the caller's transaction.
#[allow(clippy::too_many_arguments)]
async fn write_movement(
    conn: &mut Conn,
    backend: Backend,
    point: ColdChainPointId,
    req: &MovementRequest,
    counterpart: Option<ColdChainPointId>,
    actor: &str,
    now_ms: i64,
) -> StorageResult<MovementRecord> {
    let p = point_in(conn, point).await?;
    if !p.active {
        return Err(StorageError::Conflict(ConflictKind::PointInactive));
    }
    let lot = lot_in(conn, req.lot).await?;
    let lock = match backend {
        Backend::Postgres => " FOR UPDATE",
        Backend::Sqlite => "",
    };
    let on_hand: Option<i64> = sqlx::query_scalar(AssertSqlSafe(format!(
        "SELECT vials FROM stock_on_hand WHERE point_id = $1 AND lot_id = $2{lock}"
    )))
    .bind(point.to_string())
    .bind(req.lot.to_string())
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?;
    let delta = check_movement(req, &lot.lot, on_hand.unwrap_or(0))
        .map_err(|e| StorageError::Conflict(ConflictKind::Stock(e)))?;
    let record = MovementRecord {
        id: MovementId::new(),
        point,
        lot: req.lot,
        kind: req.kind,
        delta,
        wastage_reason: if req.kind == MovementKind::Wastage { req.wastage_reason } else { None },
        note: req.note.trim().to_owned(),
        counterpart,
        date: req.date,
        actor: actor.to_owned(),
        created_at_ms: now_ms,
    };
    sqlx::query(
        "INSERT INTO stock_movements (id, point_id, lot_id, kind, delta, wastage_reason, note, \
         counterpart_id, date, actor, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)",
    )
    .bind(record.id.to_string())
    .bind(point.to_string())
    .bind(req.lot.to_string())
    .bind(record.kind.as_str())
    .bind(delta)
    .bind(record.wastage_reason.map(|r| r.as_str()))
    .bind(record.note.clone())
    .bind(counterpart.map(|c| c.to_string()))
    .bind(date_str(req.date))
    .bind(actor.to_owned())
    .bind(now_ms)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    // The row read above is updated, or created (first stock of the lot here: delta > 0).
    let sql = if on_hand.is_some() {
        "UPDATE stock_on_hand SET vials = vials + $1 WHERE point_id = $2 AND lot_id = $3"
    } else {
        "INSERT INTO stock_on_hand (vials, point_id, lot_id) VALUES ($1, $2, $3)"
    };
    sqlx::query(sql)
        .bind(delta)
        .bind(point.to_string())
        .bind(req.lot.to_string())
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    Ok(record)
}

impl SqlStore {
    /// One movement (not a transfer), and the official's audit entry if there is one, in one
    /// write operation.
    async fn movement_op(
        &self,
        point: ColdChainPointId,
        req: &MovementRequest,
        actor: &str,
        audit: Option<Change>,
        now_ms: i64,
    ) -> StorageResult<MovementRecord> {
        if matches!(
            req.kind,
            MovementKind::Issue | MovementKind::TransferIn | MovementKind::TransferOut
        ) {
            return Err(StorageError::Config(
                "issues and transfers move stock between two points: use transfer".into(),
            ));
        }
        let (backend, req, actor) = (self.backend, req.clone(), actor.to_owned());
        self.write(Box::new(move |conn| {
            Box::pin(async move {
                let rec = write_movement(conn, backend, point, &req, None, &actor, now_ms).await?;
                if let Some(mut change) = audit {
                    change.after = Some(rec.audit_json().to_string());
                    write_change(conn, &change).await?;
                }
                Ok(rec)
            })
        }))
        .await
    }

    /// Both sides of a transfer, and the official's audit entry if there is one, in one write
    /// operation.
    async fn transfer_op(
        &self,
        from: ColdChainPointId,
        to: ColdChainPointId,
        req: &MovementRequest,
        actor: &str,
        audit: Option<Change>,
        now_ms: i64,
    ) -> StorageResult<(MovementRecord, MovementRecord)> {
        if from == to {
            return Err(StorageError::Config("a transfer needs two different points".into()));
        }
        let (backend, req, actor) = (self.backend, req.clone(), actor.to_owned());
        self.write(Box::new(move |conn| {
            Box::pin(async move {
                let (a, b) = (point_in(conn, from).await?, point_in(conn, to).await?);
                let out_kind = if a.level.depth() < b.level.depth() {
                    MovementKind::Issue
                } else {
                    MovementKind::TransferOut
                };
                let out = MovementRequest { kind: out_kind, ..req.clone() };
                let into = MovementRequest { kind: MovementKind::TransferIn, ..req };
                let sent =
                    write_movement(conn, backend, from, &out, Some(to), &actor, now_ms).await?;
                let got =
                    write_movement(conn, backend, to, &into, Some(from), &actor, now_ms).await?;
                if let Some(mut change) = audit {
                    let after =
                        serde_json::json!({ "out": sent.audit_json(), "in": got.audit_json() });
                    change.after = Some(after.to_string());
                    write_change(conn, &change).await?;
                }
                Ok((sent, got))
            })
        }))
        .await
    }
}

#[async_trait]
impl InventoryStore for SqlStore {
    async fn create_point(&self, point: &ColdChainPoint) -> StorageResult<()> {
        let p = point.clone();
        self.write(Box::new(move |conn| {
            Box::pin(async move {
                sqlx::query(
                    "INSERT INTO cold_chain_points (id, name, level, state_id, district_id, \
                     center_id, active, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                )
                .bind(p.id.to_string())
                .bind(p.name.clone())
                .bind(p.level.as_str())
                .bind(p.state.0)
                .bind(p.district.map(|d| d.0))
                .bind(p.center.map(|c| c.0))
                .bind(i64::from(p.active))
                .bind(p.created_at_ms)
                .execute(&mut *conn)
                .await
                .map_err(db)?;
                Ok(())
            })
        }))
        .await
    }

    async fn find_point(&self, id: ColdChainPointId) -> StorageResult<ColdChainPoint> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {POINT_COLS} FROM cold_chain_points WHERE id = $1"
        )))
        .bind(id.to_string())
        .fetch_optional(&self.read)
        .await
        .map_err(db)?
        .ok_or(StorageError::NotFound)?;
        point_from_row(&row)
    }

    async fn list_points(
        &self,
        state: Option<StateId>,
        district: Option<DistrictId>,
    ) -> StorageResult<Vec<ColdChainPoint>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {POINT_COLS} FROM cold_chain_points \
             WHERE ($1 IS NULL OR state_id = $2) AND ($3 IS NULL OR district_id = $4) \
             ORDER BY CASE level WHEN 'state_store' THEN 0 WHEN 'regional_store' THEN 1 \
             WHEN 'district_store' THEN 2 ELSE 3 END, name, id"
        )))
        .bind(state.map(|s| s.0))
        .bind(state.map(|s| s.0))
        .bind(district.map(|d| d.0))
        .bind(district.map(|d| d.0))
        .fetch_all(&self.read)
        .await
        .map_err(db)?;
        rows.iter().map(point_from_row).collect()
    }

    async fn upsert_lot(&self, id: LotId, lot: &Lot, now_ms: i64) -> StorageResult<LotRecord> {
        let lot = lot.clone();
        self.write(Box::new(move |conn| {
            Box::pin(async move {
                let found = sqlx::query(AssertSqlSafe(format!(
                    "SELECT {LOT_COLS} FROM vaccine_lots WHERE vaccine = $1 AND batch = $2"
                )))
                .bind(lot.vaccine.as_str().to_owned())
                .bind(lot.batch.as_str().to_owned())
                .fetch_optional(&mut *conn)
                .await
                .map_err(db)?;
                if let Some(row) = found {
                    let stored = lot_from_row(&row)?;
                    if stored.lot.expiry != lot.expiry
                        || stored.lot.doses_per_vial != lot.doses_per_vial
                    {
                        return Err(StorageError::Conflict(ConflictKind::LotMismatch));
                    }
                    return Ok(stored);
                }
                sqlx::query(
                    "INSERT INTO vaccine_lots (id, vaccine, batch, manufacturer, expiry, \
                     doses_per_vial, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(id.to_string())
                .bind(lot.vaccine.as_str().to_owned())
                .bind(lot.batch.as_str().to_owned())
                .bind(lot.manufacturer.clone())
                .bind(date_str(lot.expiry))
                .bind(i64::from(lot.doses_per_vial))
                .bind(now_ms)
                .execute(&mut *conn)
                .await
                .map_err(db)?;
                Ok(LotRecord { id, lot })
            })
        }))
        .await
    }

    async fn find_lot(&self, id: LotId) -> StorageResult<LotRecord> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {LOT_COLS} FROM vaccine_lots WHERE id = $1"
        )))
        .bind(id.to_string())
        .fetch_optional(&self.read)
        .await
        .map_err(db)?
        .ok_or(StorageError::NotFound)?;
        lot_from_row(&row)
    }

    async fn record_movement(
        &self,
        point: ColdChainPointId,
        req: &MovementRequest,
        actor: &str,
        now_ms: i64,
    ) -> StorageResult<MovementRecord> {
        self.movement_op(point, req, actor, None, now_ms).await
    }

    async fn record_movement_audited(
        &self,
        point: ColdChainPointId,
        req: &MovementRequest,
        actor: &str,
        audit: &Change,
        now_ms: i64,
    ) -> StorageResult<MovementRecord> {
        self.movement_op(point, req, actor, Some(audit.clone()), now_ms).await
    }

    async fn transfer(
        &self,
        from: ColdChainPointId,
        to: ColdChainPointId,
        req: &MovementRequest,
        actor: &str,
        now_ms: i64,
    ) -> StorageResult<(MovementRecord, MovementRecord)> {
        self.transfer_op(from, to, req, actor, None, now_ms).await
    }

    async fn transfer_audited(
        &self,
        from: ColdChainPointId,
        to: ColdChainPointId,
        req: &MovementRequest,
        actor: &str,
        audit: &Change,
        now_ms: i64,
    ) -> StorageResult<(MovementRecord, MovementRecord)> {
        self.transfer_op(from, to, req, actor, Some(audit.clone()), now_ms).await
    }

    async fn stock(&self, point: ColdChainPointId) -> StorageResult<Vec<StockLine>> {
        let rows = sqlx::query(
            "SELECT l.id, l.vaccine, l.batch, l.manufacturer, l.expiry, l.doses_per_vial, s.vials \
             FROM stock_on_hand s JOIN vaccine_lots l ON l.id = s.lot_id \
             WHERE s.point_id = $1 AND s.vials > 0 ORDER BY l.expiry, l.batch",
        )
        .bind(point.to_string())
        .fetch_all(&self.read)
        .await
        .map_err(db)?;
        rows.iter()
            .map(|r| {
                Ok(StockLine {
                    lot: lot_from_row(r)?,
                    vials: r.try_get("vials").map_err(|_| decode_err("vials"))?,
                })
            })
            .collect()
    }

    async fn point_of_center(&self, center: CenterId) -> StorageResult<Option<ColdChainPoint>> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {POINT_COLS} FROM cold_chain_points WHERE center_id = $1"
        )))
        .bind(center.0)
        .fetch_optional(&self.read)
        .await
        .map_err(db)?;
        row.as_ref().map(point_from_row).transpose()
    }

    async fn find_lot_by_batch(
        &self,
        vaccine: &VaccineCode,
        batch: &str,
    ) -> StorageResult<Option<LotRecord>> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {LOT_COLS} FROM vaccine_lots WHERE vaccine = $1 AND batch = $2"
        )))
        .bind(vaccine.as_str().to_owned())
        .bind(batch.trim().to_owned())
        .fetch_optional(&self.read)
        .await
        .map_err(db)?;
        row.as_ref().map(lot_from_row).transpose()
    }

    async fn record_session_use(
        &self,
        session: SessionId,
        point: ColdChainPointId,
        date: NaiveDate,
        lines: &[SessionUseLine],
        actor: &str,
        now_ms: i64,
    ) -> StorageResult<Vec<SessionUseRecord>> {
        let (backend, lines, actor) = (self.backend, lines.to_vec(), actor.to_owned());
        self.write(Box::new(move |conn| {
            Box::pin(async move {
                let done: i64 = sqlx::query_scalar(
                    "SELECT COUNT(*) FROM session_reconciliations WHERE session_id = $1",
                )
                .bind(session.to_string())
                .fetch_one(&mut *conn)
                .await
                .map_err(db)?;
                if done > 0 {
                    return Err(StorageError::Conflict(ConflictKind::SessionStockClosed));
                }
                let mut out = Vec::with_capacity(lines.len());
                for line in lines {
                    if line.vials_opened > 0 {
                        let req = MovementRequest {
                            kind: MovementKind::SessionUse,
                            lot: line.lot,
                            vials: line.vials_opened,
                            adjust_up: false,
                            wastage_reason: None,
                            note: format!("session {session}"),
                            date,
                        };
                        write_movement(conn, backend, point, &req, None, &actor, now_ms).await?;
                    }
                    let lot = lot_in(conn, line.lot).await?;
                    let anomalies = serde_json::to_string(&line.anomalies)
                        .map_err(|e| StorageError::Other(e.into()))?;
                    sqlx::query(
                        "INSERT INTO session_reconciliations (session_id, lot_id, point_id, date, \
                         doses_given, vials_opened, doses_wasted, anomalies, actor, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                    )
                    .bind(session.to_string())
                    .bind(line.lot.to_string())
                    .bind(point.to_string())
                    .bind(date_str(date))
                    .bind(i64::from(line.doses_given))
                    .bind(i64::from(line.vials_opened))
                    .bind(i64::from(line.doses_wasted))
                    .bind(anomalies)
                    .bind(actor.clone())
                    .bind(now_ms)
                    .execute(&mut *conn)
                    .await
                    .map_err(db)?;
                    out.push(SessionUseRecord {
                        session,
                        point,
                        date,
                        batch: lot.lot.batch.as_str().to_owned(),
                        line,
                        actor: actor.clone(),
                        created_at_ms: now_ms,
                    });
                }
                Ok(out)
            })
        }))
        .await
    }

    async fn session_use(&self, session: SessionId) -> StorageResult<Vec<SessionUseRecord>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "{USE_SELECT} WHERE r.session_id = $1 ORDER BY l.batch"
        )))
        .bind(session.to_string())
        .fetch_all(&self.read)
        .await
        .map_err(db)?;
        rows.iter().map(use_from_row).collect()
    }

    async fn session_uses(
        &self,
        points: &[ColdChainPointId],
        since: NaiveDate,
        anomalies_only: bool,
        limit: u32,
    ) -> StorageResult<Vec<SessionUseRecord>> {
        if points.is_empty() {
            return Ok(Vec::new());
        }
        let marks: Vec<String> = (0..points.len()).map(|i| format!("${}", i + 2)).collect();
        let anomalous = if anomalies_only { " AND r.anomalies <> '[]'" } else { "" };
        let sql = format!(
            "{USE_SELECT} WHERE r.date >= $1 AND r.point_id IN ({}){anomalous} \
             ORDER BY r.date DESC, r.created_at DESC, l.batch LIMIT {}",
            marks.join(", "),
            limit.clamp(1, 1000)
        );
        let mut q = sqlx::query(AssertSqlSafe(sql)).bind(date_str(since));
        for p in points {
            q = q.bind(p.to_string());
        }
        let rows = q.fetch_all(&self.read).await.map_err(db)?;
        rows.iter().map(use_from_row).collect()
    }

    async fn movements(
        &self,
        point: ColdChainPointId,
        limit: u32,
    ) -> StorageResult<Vec<MovementRecord>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {MOVEMENT_COLS} FROM stock_movements WHERE point_id = $1 \
             ORDER BY created_at DESC, id DESC LIMIT {}",
            limit.clamp(1, 1000)
        )))
        .bind(point.to_string())
        .fetch_all(&self.read)
        .await
        .map_err(db)?;
        rows.iter().map(movement_from_row).collect()
    }
}
