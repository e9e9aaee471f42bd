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

/// One lot's stock at a point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockLine {
    /// The lot.
    pub lot: LotRecord,
    /// Vials on hand (> 0).
    pub vials: i64,
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
    /// A point's ledger, newest first.
    async fn movements(
        &self,
        point: ColdChainPointId,
        limit: u32,
    ) -> StorageResult<Vec<MovementRecord>>;
}
