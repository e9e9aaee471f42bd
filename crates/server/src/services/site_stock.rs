//! A session's vaccine use: the doses it gave, per batch, taken out of the facility's stock.
//!
//! At the end of a session the site says how many vials of each batch it opened (by default,
//! the fewest that give the doses recorded).  Tika then writes one `session_use` movement per
//! batch into the facility's cold chain point ledger (the opened vials leave stock; the
//! open-vial rule discards what is left in them) and the session's reconciliation: doses given
//! against vials opened against doses wasted, with anomalies flagged — above all more doses
//! than the opened vials hold, the pattern behind certificates without vaccine.  Everything is
//! one transaction ([`InventoryStore::record_session_use`]), recorded once per session.
//!
//! Batches the facility received through the older `vaccine_batches` issue (no lot in the
//! inventory yet) get their lot created from that record, so the doses still reconcile; the
//! ledger refuses the use (`STK0001`) until the point's stock holds the vials, so stock never
//! goes negative: the site records the missing receipt, then closes again.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};
use tika_domain::ids::{LotId, SessionId};
use tika_domain::inventory::{Anomaly, BatchNumber, Lot, SessionUse, reconcile, vials_to_open};
use tika_domain::vaccine::VaccineCode;
use tika_storage::{Batch, LotRecord, SessionUseLine, SessionUseRecord};

use crate::error::{ApiError, ApiResult};
use crate::services::site::{log, own_session};
use crate::services::staff::StaffPrincipal;
use crate::state::AppState;

/// Most vials one batch of one session may report opened.
pub const MAX_VIALS_PER_SESSION: u32 = 1_000;

/// One batch of a session, as the site sees it before and after closing.
#[derive(Debug, Clone, Serialize)]
pub struct BatchUse {
    /// Batch number.
    pub batch: String,
    /// Doses recorded from it (voided doses excluded).
    pub doses_given: u32,
    /// Doses per vial (when the batch is known).
    pub doses_per_vial: Option<u16>,
    /// The fewest vials that give those doses.
    pub vials_needed: Option<u32>,
    /// Vials of it in the facility's stock now.
    pub vials_in_stock: i64,
    /// Vials recorded opened (closed sessions).
    pub vials_opened: Option<u32>,
    /// Doses discarded with the opened vials (closed sessions).
    pub doses_wasted: Option<u32>,
    /// What looks wrong (closed sessions).
    pub anomalies: Vec<Anomaly>,
}

/// A session's stock use.
#[derive(Debug, Clone, Serialize)]
pub struct SessionStock {
    /// Session.
    pub session_id: SessionId,
    /// Whether its use is recorded.
    pub closed: bool,
    /// Per batch.
    pub batches: Vec<BatchUse>,
    /// Doses recorded without a batch number (they cannot be reconciled).
    pub doses_without_batch: u32,
}

/// What the site sends to close a session's stock.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CloseStock {
    /// Vials opened per batch; a batch left out opened the fewest vials its doses need.
    #[serde(default)]
    pub vials_opened: BTreeMap<String, u32>,
}

/// The facility's issued batch of a vaccine with this number, if any.
fn issued<'a>(issued: &'a [Batch], vaccine: &VaccineCode, batch: &str) -> Option<&'a Batch> {
    issued.iter().find(|b| b.batch == batch && &b.vaccine == vaccine)
}

/// The doses per vial of a batch (stored lot, or the facility's issued batch) and its lot id
/// when one is stored; `None` if the facility never received it.
async fn batch_facts(
    state: &AppState,
    issued_batches: &[Batch],
    vaccine: &VaccineCode,
    batch: &str,
) -> ApiResult<Option<(Option<LotId>, u16)>> {
    if let Some(lot) = state.store.find_lot_by_batch(vaccine, batch).await? {
        return Ok(Some((Some(lot.id), lot.lot.doses_per_vial)));
    }
    Ok(issued(issued_batches, vaccine, batch).map(|b| (None, b.doses_per_vial)))
}

/// The lot of a batch, created from the facility's issued batch when the inventory has none.
async fn lot_for(
    state: &AppState,
    issued_batches: &[Batch],
    vaccine: &VaccineCode,
    batch: &str,
) -> ApiResult<Option<LotRecord>> {
    if let Some(lot) = state.store.find_lot_by_batch(vaccine, batch).await? {
        return Ok(Some(lot));
    }
    let Some(b) = issued(issued_batches, vaccine, batch) else {
        return Ok(None);
    };
    let manufacturer = state
        .pack
        .vaccines
        .iter()
        .find(|v| v.code == b.vaccine)
        .map(|v| v.manufacturer.clone())
        .unwrap_or_default();
    let lot = Lot {
        batch: BatchNumber::parse(&b.batch).map_err(|_| bad_batch(&b.batch))?,
        vaccine: b.vaccine.clone(),
        manufacturer,
        expiry: b.expiry,
        doses_per_vial: b.doses_per_vial,
    };
    Ok(Some(state.store.upsert_lot(LotId::new(), &lot, state.now_ms()).await?))
}

fn bad_batch(batch: &str) -> ApiError {
    ApiError::bad_request("STK0010", format!("Batch {batch:?} is not a valid batch number"))
}

/// Doses per batch (voided excluded), and doses without a batch.
async fn doses_by_batch(
    state: &AppState,
    session: SessionId,
) -> ApiResult<(BTreeMap<(String, VaccineCode), u32>, u32)> {
    let mut by_batch: BTreeMap<(String, VaccineCode), u32> = BTreeMap::new();
    let mut without = 0u32;
    for d in state.store.session_doses(session).await? {
        if d.voided {
            continue;
        }
        match d.batch.as_deref().map(str::trim).filter(|b| !b.is_empty()) {
            Some(b) => *by_batch.entry((b.to_owned(), d.vaccine.clone())).or_default() += 1,
            None => without += 1,
        }
    }
    Ok((by_batch, without))
}

fn closed_view(session: SessionId, recorded: &[SessionUseRecord], without: u32) -> SessionStock {
    SessionStock {
        session_id: session,
        closed: true,
        batches: recorded
            .iter()
            .map(|r| BatchUse {
                batch: r.batch.clone(),
                doses_given: r.line.doses_given,
                doses_per_vial: None,
                vials_needed: None,
                vials_in_stock: 0,
                vials_opened: Some(r.line.vials_opened),
                doses_wasted: Some(r.line.doses_wasted),
                anomalies: r.line.anomalies.clone(),
            })
            .collect(),
        doses_without_batch: without,
    }
}

/// The session's use so far (open) or as recorded (closed).
pub async fn session_stock(
    state: &AppState,
    who: &StaffPrincipal,
    id: SessionId,
) -> ApiResult<SessionStock> {
    let session = own_session(state, who, id).await?;
    let (by_batch, without) = doses_by_batch(state, id).await?;
    let recorded = state.store.session_use(id).await?;
    if !recorded.is_empty() {
        return Ok(closed_view(id, &recorded, without));
    }
    let point = state.store.point_of_center(session.center_id).await?;
    let stock = match &point {
        Some(p) => state.store.stock(p.id).await?,
        None => Vec::new(),
    };
    let issued_batches = state.store.list_batches(session.center_id).await?;
    let mut batches = Vec::new();
    for ((batch, vaccine), doses) in by_batch {
        let facts = batch_facts(state, &issued_batches, &vaccine, &batch).await?;
        let dpv = facts.map(|(_, d)| d);
        let in_stock = facts
            .and_then(|(lot, _)| lot)
            .and_then(|lot| stock.iter().find(|s| s.lot.id == lot))
            .map_or(0, |s| s.vials);
        batches.push(BatchUse {
            batch,
            doses_given: doses,
            doses_per_vial: dpv,
            vials_needed: dpv.map(|d| vials_to_open(doses, d)),
            vials_in_stock: in_stock,
            vials_opened: None,
            doses_wasted: None,
            anomalies: Vec::new(),
        });
    }
    Ok(SessionStock { session_id: id, closed: false, batches, doses_without_batch: without })
}

/// Records the session's use (see the module doc).
pub async fn close_session_stock(
    state: &AppState,
    who: &StaffPrincipal,
    id: SessionId,
    body: CloseStock,
) -> ApiResult<SessionStock> {
    let session = own_session(state, who, id).await?;
    let Some(point) = state.store.point_of_center(session.center_id).await? else {
        return Err(ApiError::conflict(
            "STK0005",
            "This facility has no cold chain point yet: ask the district to set up its store",
        ));
    };
    let (by_batch, without) = doses_by_batch(state, id).await?;
    let mut errors = Vec::new();
    for (batch, vials) in &body.vials_opened {
        if *vials > MAX_VIALS_PER_SESSION {
            errors.push(format!("batch {batch}: at most {MAX_VIALS_PER_SESSION} vials"));
        }
    }
    // Batches opened without any dose given are reconciled too (vials without doses).
    let mut wanted: BTreeMap<(String, VaccineCode), u32> = by_batch;
    for batch in body.vials_opened.keys() {
        if !wanted.keys().any(|(b, _)| b == batch) {
            wanted.insert((batch.clone(), session.vaccine.clone()), 0);
        }
    }
    let issued_batches = state.store.list_batches(session.center_id).await?;
    let mut lines = Vec::new();
    for ((batch, vaccine), doses) in wanted {
        let Some(lot) = lot_for(state, &issued_batches, &vaccine, &batch).await? else {
            errors.push(format!("batch {batch}: never received at this facility"));
            continue;
        };
        let dpv = lot.lot.doses_per_vial;
        let vials = body.vials_opened.get(&batch).copied().unwrap_or(vials_to_open(doses, dpv));
        let r =
            reconcile(SessionUse { doses_given: doses, vials_opened: vials, doses_per_vial: dpv });
        lines.push(SessionUseLine {
            lot: lot.id,
            doses_given: doses,
            vials_opened: vials,
            doses_wasted: r.doses_wasted,
            anomalies: r.anomalies,
        });
    }
    if !errors.is_empty() {
        return Err(ApiError::bad_request("STK0011", errors.join("; ")));
    }
    let actor = format!("staff:{}", who.staff);
    let recorded = state
        .store
        .record_session_use(id, point.id, session.date, &lines, &actor, state.now_ms())
        .await?;
    let anomalies = recorded.iter().filter(|r| !r.line.anomalies.is_empty()).count();
    if anomalies > 0 {
        tracing::warn!(session = %id, batches = anomalies, "session stock closed with anomalies");
    }
    log(state, who, id, "session.stock_close", format!("{} batches", recorded.len())).await?;
    Ok(closed_view(id, &recorded, without))
}
