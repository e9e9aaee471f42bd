//! Vaccine inventory: cold chain points, lots, and each point's append-only stock ledger.
//!
//! A movement is written in ONE transaction with the point's `stock_on_hand` row: the stock on
//! hand is read there, the movement is checked by `tika_domain::inventory::check_movement` (the
//! one rule for every movement), and both rows are written, or nothing is.  A transfer writes
//! both sides (out of one point, into the other) in one transaction.  Stock on hand is the sum
//! of the ledger (the contract tests compare the two); the table's `CHECK (vials >= 0)` is the
//! last defence.

use async_trait::async_trait;
use chrono::NaiveDate;
use tika_domain::ids::{CenterId, ColdChainPointId, DistrictId, LotId, MovementId, StateId};
use tika_domain::inventory::{Lot, MovementKind, MovementRequest, PointLevel, WastageReason};

use crate::StorageResult;

/// A cold chain point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ColdChainPoint {
    /// Id.
    pub id: ColdChainPointId,
    /// Name ("District Vaccine Store, Pune").
    pub name: String,
    /// Level.
    pub level: PointLevel,
    /// State.
    pub state: StateId,
    /// District (`None` for state and regional stores).
    pub district: Option<DistrictId>,
    /// The facility, for a facility's store.
    pub center: Option<CenterId>,
    /// Whether stock may move in or out.
    pub active: bool,
    /// Created (ms).
    pub created_at_ms: i64,
}

/// A stored lot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LotRecord {
    /// Id.
    pub id: LotId,
    /// The lot.
    pub lot: Lot,
}

/// A movement as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MovementRecord {
    /// Id.
    pub id: MovementId,
    /// The point whose ledger it is in.
    pub point: ColdChainPointId,
    /// The lot.
    pub lot: LotId,
    /// Kind.
    pub kind: MovementKind,
    /// Signed vials.
    pub delta: i64,
    /// Why vials were wasted.
    pub wastage_reason: Option<WastageReason>,
    /// Note.
    pub note: String,
    /// The other point of a transfer.
    pub counterpart: Option<ColdChainPointId>,
    /// The day.
    pub date: NaiveDate,
    /// Who (`admin:<id>`, `staff:<id>`, `cli`).
    pub actor: String,
    /// Written (ms).
    pub created_at_ms: i64,
}

impl MovementRecord {
    /// What the audit log keeps of a movement (ids, kind, vials, reason, note, date).
    pub fn audit_json(&self) -> serde_json::Value {
        serde_json::json!({
            "id": self.id.to_string(),
            "point_id": self.point.to_string(),
            "lot_id": self.lot.to_string(),
            "kind": self.kind.as_str(),
            "delta": self.delta,
            "wastage_reason": self.wastage_reason.map(WastageReason::as_str),
            "note": self.note,
            "counterpart": self.counterpart.map(|c| c.to_string()),
            "date": self.date.format("%Y-%m-%d").to_string(),
        })
    }
}

/// One lot's stock at a point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockLine {
    /// The lot.
    pub lot: LotRecord,
    /// Vials on hand (> 0).
    pub vials: i64,
}

/// One lot's use by a session, to record (computed by the server from the session's doses and
/// the vials the site reports opened, with `tika_domain::inventory::reconcile`).
#[derive(Debug, Clone, PartialEq)]
pub struct SessionUseLine {
    /// The lot.
    pub lot: LotId,
    /// Doses given from it.
    pub doses_given: u32,
    /// Vials opened (taken out of stock as `session_use`).
    pub vials_opened: u32,
    /// Doses discarded with the opened vials.
    pub doses_wasted: u32,
    /// What looks wrong.
    pub anomalies: Vec<tika_domain::inventory::Anomaly>,
}

/// A recorded session use.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionUseRecord {
    /// The session.
    pub session: tika_domain::ids::SessionId,
    /// The facility's point.
    pub point: ColdChainPointId,
    /// The session's day.
    pub date: NaiveDate,
    /// The line.
    pub line: SessionUseLine,
    /// The lot's batch (for display).
    pub batch: String,
    /// Who closed it.
    pub actor: String,
    /// When (ms).
    pub created_at_ms: i64,
}

/// Persistence of the inventory.
#[async_trait]
pub trait InventoryStore: Send + Sync {
    /// Creates a point.  A facility has at most one store point (`Conflict` otherwise is
    /// reported as a database constraint error).
    async fn create_point(&self, point: &ColdChainPoint) -> StorageResult<()>;
    /// One point; `NotFound` if unknown.
    async fn find_point(&self, id: ColdChainPointId) -> StorageResult<ColdChainPoint>;
    /// The points of a state (and district), by level then name.
    async fn list_points(
        &self,
        state: Option<StateId>,
        district: Option<DistrictId>,
    ) -> StorageResult<Vec<ColdChainPoint>>;
    /// Stores a lot, or returns the stored one with the same vaccine and batch;
    /// `Conflict(LotMismatch)` if that one differs in expiry or doses per vial.
    async fn upsert_lot(&self, id: LotId, lot: &Lot, now_ms: i64) -> StorageResult<LotRecord>;
    /// One lot; `NotFound` if unknown.
    async fn find_lot(&self, id: LotId) -> StorageResult<LotRecord>;
    /// Records one movement at a point (not a transfer: see [`InventoryStore::transfer`]):
    /// `Conflict(Stock(..))` when the ledger rule refuses it, `NotFound` for an unknown point
    /// or lot, `Conflict(PointInactive)` for an inactive point.
    async fn record_movement(
        &self,
        point: ColdChainPointId,
        req: &MovementRequest,
        actor: &str,
        now_ms: i64,
    ) -> StorageResult<MovementRecord>;
    /// [`InventoryStore::record_movement`] with an official's audit entry written in the same
    /// transaction; the entry's `after` becomes the movement's [`MovementRecord::audit_json`].
    async fn record_movement_audited(
        &self,
        point: ColdChainPointId,
        req: &MovementRequest,
        actor: &str,
        audit: &crate::Change,
        now_ms: i64,
    ) -> StorageResult<MovementRecord>;
    /// [`InventoryStore::transfer`] with an official's audit entry written in the same
    /// transaction; its `after` becomes `{"out": …, "in": …}`.
    async fn transfer_audited(
        &self,
        from: ColdChainPointId,
        to: ColdChainPointId,
        req: &MovementRequest,
        actor: &str,
        audit: &crate::Change,
        now_ms: i64,
    ) -> StorageResult<(MovementRecord, MovementRecord)>;
    /// Moves vials of a lot from one point to another: `issue` (down the chain) or
    /// `transfer_out` at `from`, `transfer_in` at `to`, in one transaction.
    async fn transfer(
        &self,
        from: ColdChainPointId,
        to: ColdChainPointId,
        req: &MovementRequest,
        actor: &str,
        now_ms: i64,
    ) -> StorageResult<(MovementRecord, MovementRecord)>;
    /// The lots in stock at a point, earliest expiry first.
    async fn stock(&self, point: ColdChainPointId) -> StorageResult<Vec<StockLine>>;
    /// The store point of a facility, if it has one.
    async fn point_of_center(&self, center: CenterId) -> StorageResult<Option<ColdChainPoint>>;
    /// The lot of a vaccine and batch, if stored.
    async fn find_lot_by_batch(
        &self,
        vaccine: &tika_domain::vaccine::VaccineCode,
        batch: &str,
    ) -> StorageResult<Option<LotRecord>>;
    /// Records a session's stock use in one transaction: a `session_use` movement per line
    /// (vials opened, checked by the ledger rule: `Conflict(Stock(..))` when the point holds
    /// fewer) and its reconciliation row.  `Conflict(SessionStockClosed)` if the session's use
    /// was recorded before; nothing is written on any error.
    async fn record_session_use(
        &self,
        session: tika_domain::ids::SessionId,
        point: ColdChainPointId,
        date: NaiveDate,
        lines: &[SessionUseLine],
        actor: &str,
        now_ms: i64,
    ) -> StorageResult<Vec<SessionUseRecord>>;
    /// A session's recorded use (empty if not closed yet).
    async fn session_use(
        &self,
        session: tika_domain::ids::SessionId,
    ) -> StorageResult<Vec<SessionUseRecord>>;
    /// Recorded session uses at these points from `since` on, newest first; with
    /// `anomalies_only`, only those with an anomaly.
    async fn session_uses(
        &self,
        points: &[ColdChainPointId],
        since: NaiveDate,
        anomalies_only: bool,
        limit: u32,
    ) -> StorageResult<Vec<SessionUseRecord>>;
    /// A point's ledger, newest first.
    async fn movements(
        &self,
        point: ColdChainPointId,
        limit: u32,
    ) -> StorageResult<Vec<MovementRecord>>;
}
