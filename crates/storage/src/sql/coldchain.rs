//! The sqlx implementation of [`ColdChainStore`](crate::ColdChainStore).  (Being written.)

use async_trait::async_trait;
use tika_domain::coldchain::DeviceCode;
use tika_domain::ids::{AlarmId, ColdChainPointId, EquipmentId};

use super::SqlStore;
use crate::{
    AlarmChange, AlarmClosure, AlarmFilter, AlarmRecord, ColdChainStore, Equipment, ExposedLot,
    LoggerLink, LoggerRecord, NewReading, StorageError, StorageResult,
};

fn todo() -> StorageError {
    StorageError::Other(anyhow::anyhow!("cold chain storage not written yet"))
}

#[async_trait]
impl ColdChainStore for SqlStore {
    async fn create_equipment(&self, _equipment: &Equipment) -> StorageResult<()> {
        Err(todo())
    }
    async fn find_equipment(&self, _id: EquipmentId) -> StorageResult<Equipment> {
        Err(todo())
    }
    async fn list_equipment(&self, _point: ColdChainPointId) -> StorageResult<Vec<Equipment>> {
        Err(todo())
    }
    async fn set_logger(
        &self,
        _equipment: EquipmentId,
        _device: Option<&DeviceCode>,
    ) -> StorageResult<()> {
        Err(todo())
    }
    async fn logger_directory(&self, _now_ms: i64) -> StorageResult<Vec<LoggerLink>> {
        Err(todo())
    }
    async fn register_loggers(
        &self,
        _devices: &[DeviceCode],
        _now_ms: i64,
    ) -> StorageResult<Vec<LoggerLink>> {
        Err(todo())
    }
    async fn insert_readings(&self, _readings: &[NewReading], _now_ms: i64) -> StorageResult<u64> {
        Err(todo())
    }
    async fn readings(
        &self,
        _equipment: EquipmentId,
        _from_ms: i64,
        _to_ms: i64,
        _limit: u32,
    ) -> StorageResult<Vec<(i64, i32)>> {
        Err(todo())
    }
    async fn list_loggers(&self) -> StorageResult<Vec<LoggerRecord>> {
        Err(todo())
    }
    async fn load_detectors(&self) -> StorageResult<Vec<(EquipmentId, String)>> {
        Err(todo())
    }
    async fn save_detectors(
        &self,
        _states: &[(EquipmentId, String)],
        _now_ms: i64,
    ) -> StorageResult<()> {
        Err(todo())
    }
    async fn apply_alarm_changes(
        &self,
        _changes: &[AlarmChange],
        _now_ms: i64,
    ) -> StorageResult<Vec<AlarmRecord>> {
        Err(todo())
    }
    async fn list_alarms(&self, _filter: &AlarmFilter) -> StorageResult<Vec<AlarmRecord>> {
        Err(todo())
    }
    async fn find_alarm(&self, _id: AlarmId) -> StorageResult<(AlarmRecord, Vec<ExposedLot>)> {
        Err(todo())
    }
    async fn acknowledge_alarm(
        &self,
        _id: AlarmId,
        _actor: &str,
        _now_ms: i64,
    ) -> StorageResult<AlarmRecord> {
        Err(todo())
    }
    async fn close_alarm(
        &self,
        _id: AlarmId,
        _closure: &AlarmClosure,
        _actor: &str,
        _now_ms: i64,
    ) -> StorageResult<AlarmRecord> {
        Err(todo())
    }
    async fn lots_under_review(
        &self,
        _points: Option<&[ColdChainPointId]>,
    ) -> StorageResult<Vec<(AlarmId, ColdChainPointId, ExposedLot)>> {
        Err(todo())
    }
}
