//! Temperature monitoring: equipment and its loggers, readings, saved detectors, and alarms.
//!
//! Readings are keyed by a numeric logger id and the reading's instant, so a duplicate delivery
//! (MQTT "at least once") is the same row and is ignored (`ON CONFLICT DO NOTHING`); late and
//! out-of-order readings are simply rows with an older instant.  A logger that is not linked to
//! any equipment is still registered and its readings kept (it shows as unassigned in the
//! console), so nothing a logger sent is lost while someone links it.
//!
//! Alarms are written with their side effects in one transaction: opening an alarm stores it,
//! snapshots the lots in stock at the point for review (excursions only) and writes the
//! `coldchain.alarm_opened` outbox event that tells the point's staff and district officials;
//! opening is idempotent (one uncleared alarm per equipment and kind).

use async_trait::async_trait;
use tika_domain::coldchain::{
    AlarmAction, AlarmKind, AlarmStatus, DeviceCode, ExcursionRule, LotReview,
};
use tika_domain::ids::{AlarmId, ColdChainPointId, EquipmentId, LotId};
use tika_domain::inventory::EquipmentKind;

use crate::StorageResult;

/// A refrigerator or freezer at a cold chain point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Equipment {
    /// Id.
    pub id: EquipmentId,
    /// The point it stands at.
    pub point: ColdChainPointId,
    /// Kind.
    pub kind: EquipmentKind,
    /// Label on site ("ILR 1").
    pub label: String,
    /// The band and the alarm delays.
    pub rule: ExcursionRule,
    /// The logger reporting for it, if one is linked.
    pub logger: Option<DeviceCode>,
    /// Created (ms).
    pub created_at_ms: i64,
}

/// What the ingester needs to know about one device: its compact id and, when the device is
/// linked, the equipment (with point and rule).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggerLink {
    /// The device code.
    pub device: DeviceCode,
    /// The compact numeric id the readings are stored under.
    pub logger_id: i64,
    /// The equipment it reports for.
    pub equipment: Option<EquipmentLink>,
}

/// The equipment part of a [`LoggerLink`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EquipmentLink {
    /// Equipment.
    pub id: EquipmentId,
    /// Its point.
    pub point: ColdChainPointId,
    /// Its rule.
    pub rule: ExcursionRule,
}

/// A reading to store.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NewReading {
    /// The logger's compact id (from [`ColdChainStore::register_loggers`]).
    pub logger_id: i64,
    /// When it was taken (unix ms).
    pub at_ms: i64,
    /// Tenths of °C.
    pub tenths: i32,
    /// Battery percent.
    pub battery_pct: Option<u8>,
}

/// A logger as the console lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggerRecord {
    /// Device.
    pub device: DeviceCode,
    /// Compact id.
    pub logger_id: i64,
    /// Linked equipment.
    pub equipment: Option<EquipmentId>,
    /// First heard (ms, server clock).
    pub first_seen_ms: i64,
    /// Last heard (ms, server clock).
    pub last_seen_ms: i64,
    /// Battery at the last reading that had one.
    pub last_battery_pct: Option<u8>,
}

/// A change the detector decided, to record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AlarmChange {
    /// Open an alarm (no-op if one of this kind is already uncleared for the equipment; its
    /// worst temperature is raised instead).
    Open {
        /// Equipment.
        equipment: EquipmentId,
        /// Kind.
        kind: AlarmKind,
        /// When the condition began (first out-of-band reading, or last reading heard).
        since_ms: i64,
        /// The most extreme temperature so far (excursions).
        worst_tenths: Option<i32>,
    },
    /// The worst temperature of the uncleared alarm of this kind moved further out.
    Worsen {
        /// Equipment.
        equipment: EquipmentId,
        /// Kind.
        kind: AlarmKind,
        /// The new worst.
        worst_tenths: i32,
    },
    /// The condition ended (back in band / heard again); the alarm stays until closed.
    Clear {
        /// Equipment.
        equipment: EquipmentId,
        /// Kind.
        kind: AlarmKind,
        /// When it ended.
        at_ms: i64,
    },
}

/// An alarm as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlarmRecord {
    /// Id.
    pub id: AlarmId,
    /// Equipment.
    pub equipment: EquipmentId,
    /// Its point.
    pub point: ColdChainPointId,
    /// Kind.
    pub kind: AlarmKind,
    /// Status.
    pub status: AlarmStatus,
    /// When the condition began (ms).
    pub since_ms: i64,
    /// Most extreme temperature (excursions).
    pub worst_tenths: Option<i32>,
    /// When the condition ended, if it has (ms).
    pub cleared_ms: Option<i64>,
    /// When Tika raised it (ms, server clock): `opened_at_ms - threshold crossing` is the alarm
    /// latency.
    pub opened_at_ms: i64,
    /// Acknowledged (ms) and by whom.
    pub acknowledged: Option<(i64, String)>,
    /// Closed (ms) and by whom.
    pub closed: Option<(i64, String)>,
    /// What was done (closed alarms).
    pub action: Option<AlarmAction>,
    /// Note.
    pub note: String,
}

/// A lot flagged by an excursion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExposedLot {
    /// Lot.
    pub lot: LotId,
    /// Vials at the point when the alarm opened.
    pub vials: i64,
    /// Review.
    pub review: LotReview,
}

/// Which alarms to list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AlarmFilter {
    /// Only these points (`None`: all).
    pub points: Option<Vec<ColdChainPointId>>,
    /// Only this equipment.
    pub equipment: Option<EquipmentId>,
    /// Only alarms not closed.
    pub unclosed_only: bool,
    /// At most this many, newest first.
    pub limit: u32,
}

/// Closing an alarm.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlarmClosure {
    /// What was done.
    pub action: AlarmAction,
    /// Note (required for `Other`, checked by the caller).
    pub note: String,
    /// The review of each exposed lot (lots not named stay `pending`).
    pub reviews: Vec<(LotId, LotReview)>,
}

/// Persistence of temperature monitoring.
#[async_trait]
pub trait ColdChainStore: Send + Sync {
    /// Adds equipment to a point (and links its logger, if any): `NotFound` for an unknown
    /// point, `Conflict(LoggerTaken)` if the logger reports for other equipment.
    async fn create_equipment(&self, equipment: &Equipment) -> StorageResult<()>;
    /// One piece of equipment; `NotFound` if unknown.
    async fn find_equipment(&self, id: EquipmentId) -> StorageResult<Equipment>;
    /// The equipment of a point, by label.
    async fn list_equipment(&self, point: ColdChainPointId) -> StorageResult<Vec<Equipment>>;
    /// Links (or with `None` unlinks) a logger: `Conflict(LoggerTaken)` as above.
    async fn set_logger(
        &self,
        equipment: EquipmentId,
        device: Option<&DeviceCode>,
    ) -> StorageResult<()>;

    /// Every known device with its compact id and link (the ingester's directory), plus every
    /// linked device that has not published yet (registered here so it has an id).
    async fn logger_directory(&self, now_ms: i64) -> StorageResult<Vec<LoggerLink>>;
    /// Registers devices heard for the first time (idempotent) and returns their links.
    async fn register_loggers(
        &self,
        devices: &[DeviceCode],
        now_ms: i64,
    ) -> StorageResult<Vec<LoggerLink>>;
    /// Stores readings, ignoring any (logger, instant) already stored, and updates each
    /// logger's last-seen time and battery.  Returns how many rows were new.
    async fn insert_readings(&self, readings: &[NewReading], now_ms: i64) -> StorageResult<u64>;
    /// The readings of the equipment's logger in `[from_ms, to_ms)`, oldest first, at most
    /// `limit` (the newest `limit` when there are more).
    async fn readings(
        &self,
        equipment: EquipmentId,
        from_ms: i64,
        to_ms: i64,
        limit: u32,
    ) -> StorageResult<Vec<(i64, i32)>>;
    /// The loggers, linked or not, by device code.
    async fn list_loggers(&self) -> StorageResult<Vec<LoggerRecord>>;

    /// The saved detectors (equipment, JSON state).
    async fn load_detectors(&self) -> StorageResult<Vec<(EquipmentId, String)>>;
    /// Saves detectors (upsert).
    async fn save_detectors(
        &self,
        states: &[(EquipmentId, String)],
        now_ms: i64,
    ) -> StorageResult<()>;

    /// Records what the detector decided, in order, in one transaction (see the module doc).
    /// Returns the alarms opened by this call.
    async fn apply_alarm_changes(
        &self,
        changes: &[AlarmChange],
        now_ms: i64,
    ) -> StorageResult<Vec<AlarmRecord>>;
    /// Alarms, newest first.
    async fn list_alarms(&self, filter: &AlarmFilter) -> StorageResult<Vec<AlarmRecord>>;
    /// One alarm with its exposed lots; `NotFound` if unknown.
    async fn find_alarm(&self, id: AlarmId) -> StorageResult<(AlarmRecord, Vec<ExposedLot>)>;
    /// Acknowledges an open alarm (an acknowledged one stays as it was); `Conflict(AlarmClosed)`
    /// if closed.  Writes an audit row.
    async fn acknowledge_alarm(
        &self,
        id: AlarmId,
        actor: &str,
        now_ms: i64,
    ) -> StorageResult<AlarmRecord>;
    /// Closes an alarm with an action and the lots' reviews; `Conflict(AlarmClosed)` if already
    /// closed, `Conflict(LotNotExposed)` for a lot that was not exposed.  Writes an audit row.
    async fn close_alarm(
        &self,
        id: AlarmId,
        closure: &AlarmClosure,
        actor: &str,
        now_ms: i64,
    ) -> StorageResult<AlarmRecord>;
    /// Lots flagged by excursions and still pending review, at these points (`None`: all).
    async fn lots_under_review(
        &self,
        points: Option<&[ColdChainPointId]>,
    ) -> StorageResult<Vec<(AlarmId, ColdChainPointId, ExposedLot)>>;
}
