//! Vaccine inventory: cold chain points, lots, the stock ledger and the open-vial rule.
//!
//! Stock is never a stored number that code overwrites: every change is a [`Movement`] in a
//! point's append-only ledger (receipt, issue, transfers, wastage with a reason, expiry,
//! adjustment with a reason, vials opened by a session), and the stock on hand of a lot at a
//! point is the sum of its movements.  [`Ledger::apply`] is the one place that decides whether
//! a movement may be written: it refuses any movement that would take a lot below zero, so
//! "stock = sum of movements ≥ 0" holds by construction (property-tested below).  Quantities are
//! whole vials; doses are derived through the lot's doses per vial.
//!
//! A session draws from its facility's stock by opening vials: [`vials_to_open`] gives the
//! vials a number of doses needs, and [`reconcile`] compares doses given with the doses the
//! opened vials could give.  More doses than the vials could give is flagged: it is the pattern
//! behind certificates issued without a vaccination.  Time is passed in; nothing here reads a
//! clock.

use std::collections::HashMap;

use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use crate::coldchain::TempRange;
use crate::ids::LotId;
use crate::vaccine::VaccineCode;

/// The most vials one movement may move (a national receipt of a million vials fits).
pub const MAX_VIALS_PER_MOVEMENT: u32 = 1_000_000;

/// Where a cold chain point sits in the supply chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PointLevel {
    /// A state vaccine store.
    StateStore,
    /// A regional (divisional) vaccine store.
    RegionalStore,
    /// A district vaccine store.
    DistrictStore,
    /// A facility's own store (its ice-lined refrigerator), from which sessions draw.
    Facility,
}

impl PointLevel {
    /// Every level, from the top of the chain down.
    pub const ALL: [PointLevel; 4] = [
        PointLevel::StateStore,
        PointLevel::RegionalStore,
        PointLevel::DistrictStore,
        PointLevel::Facility,
    ];

    /// Storage and API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            PointLevel::StateStore => "state_store",
            PointLevel::RegionalStore => "regional_store",
            PointLevel::DistrictStore => "district_store",
            PointLevel::Facility => "facility",
        }
    }

    /// Parses the spelling.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.as_str() == s.trim())
    }

    /// Depth in the chain: 0 for a state store, 3 for a facility (the variants are declared
    /// from the top of the chain down).
    pub fn depth(self) -> usize {
        self as usize
    }

    /// Whether stock may be issued from a point of this level to one of `to`: down the chain
    /// or sideways (a transfer between two district stores), never up except as a return to
    /// the level directly above.
    pub fn may_send_to(self, to: PointLevel) -> bool {
        to.depth() + 1 >= self.depth()
    }
}

/// A kind of cold chain equipment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum EquipmentKind {
    /// Ice-lined refrigerator (2–8 °C).
    Ilr,
    /// Deep freezer (about −18 °C; some vaccines, and ice packs).
    DeepFreezer,
    /// Walk-in cooler (2–8 °C) of a large store.
    WalkInCooler,
    /// Walk-in freezer of a large store.
    WalkInFreezer,
    /// Domestic or pharmaceutical refrigerator.
    Refrigerator,
}

impl EquipmentKind {
    /// Every kind.
    pub const ALL: [EquipmentKind; 5] = [
        EquipmentKind::Ilr,
        EquipmentKind::DeepFreezer,
        EquipmentKind::WalkInCooler,
        EquipmentKind::WalkInFreezer,
        EquipmentKind::Refrigerator,
    ];

    /// Storage and API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            EquipmentKind::Ilr => "ilr",
            EquipmentKind::DeepFreezer => "deep_freezer",
            EquipmentKind::WalkInCooler => "walk_in_cooler",
            EquipmentKind::WalkInFreezer => "walk_in_freezer",
            EquipmentKind::Refrigerator => "refrigerator",
        }
    }

    /// Parses the spelling.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s.trim())
    }

    /// The usual allowed band, offered when equipment is added.
    pub fn default_band(self) -> TempRange {
        match self {
            EquipmentKind::DeepFreezer | EquipmentKind::WalkInFreezer => TempRange::FREEZER,
            _ => TempRange::FRIDGE,
        }
    }
}

/// A manufacturer's batch number, as printed on the vial: 2–30 characters of A–Z, 0–9, `-`
/// and `/`, stored upper-case.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct BatchNumber(String);

impl BatchNumber {
    /// Parses a batch number (surrounding spaces ignored, lower case accepted).
    pub fn parse(s: &str) -> Result<Self, String> {
        let v = s.trim().to_ascii_uppercase();
        if !(2..=30).contains(&v.len()) {
            return Err("A batch number has 2 to 30 characters".into());
        }
        if !v.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '/') {
            return Err("A batch number has only letters, digits, - and /".into());
        }
        Ok(Self(v))
    }

    /// The batch number.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A vaccine lot as received: one batch of one vaccine.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Lot {
    /// The vaccine.
    pub vaccine: VaccineCode,
    /// The manufacturer's batch number.
    pub batch: BatchNumber,
    /// The manufacturer.
    pub manufacturer: String,
    /// Last day the lot may be used.
    pub expiry: NaiveDate,
    /// Doses in one vial.
    pub doses_per_vial: u16,
}

impl Lot {
    /// Whether the lot may still be used on `date`.
    pub fn usable_on(&self, date: NaiveDate) -> bool {
        date <= self.expiry
    }

    /// Doses in `vials` vials.
    pub fn doses(&self, vials: i64) -> i64 {
        vials.saturating_mul(i64::from(self.doses_per_vial))
    }
}

/// A new lot as a form or API sends it: every field text, checked together.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct LotForm {
    /// Vaccine code of the catalogue.
    pub vaccine: String,
    /// Batch number.
    pub batch: String,
    /// Manufacturer (defaults to the catalogue's).
    #[serde(default)]
    pub manufacturer: String,
    /// Expiry, `YYYY-MM-DD`.
    pub expiry: String,
    /// Doses per vial (defaults to the catalogue's).
    #[serde(default)]
    pub doses_per_vial: String,
}

/// What the lot form needs from the vaccine catalogue.
#[derive(Debug, Clone)]
pub struct CatalogueVaccine {
    /// Code.
    pub code: VaccineCode,
    /// Manufacturer.
    pub manufacturer: String,
    /// Doses per vial, when the catalogue knows it.
    pub doses_per_vial: Option<u16>,
}

impl LotForm {
    /// Checks every field at once: `Err` lists `(field, message)` for each bad field.  A lot
    /// already expired on `today` is refused (it cannot enter the cold chain).
    pub fn parse(
        &self,
        catalogue: &[CatalogueVaccine],
        today: NaiveDate,
    ) -> Result<Lot, Vec<(&'static str, String)>> {
        let mut errors = Vec::new();
        let vaccine = VaccineCode::parse(self.vaccine.trim())
            .ok()
            .and_then(|code| catalogue.iter().find(|v| v.code == code));
        if vaccine.is_none() {
            errors.push(("vaccine", "Not a vaccine of the catalogue".to_owned()));
        }
        let batch = BatchNumber::parse(&self.batch).map_err(|m| errors.push(("batch", m))).ok();
        let manufacturer = match (self.manufacturer.trim(), vaccine) {
            ("", Some(v)) => Some(v.manufacturer.clone()),
            ("", None) => None,
            (m, _) if m.chars().count() > 100 => {
                errors.push(("manufacturer", "At most 100 characters".to_owned()));
                None
            }
            (m, _) => Some(m.to_owned()),
        };
        let expiry = match NaiveDate::parse_from_str(self.expiry.trim(), "%Y-%m-%d") {
            Ok(d) if d < today => {
                errors.push(("expiry", format!("The lot expired on {d}")));
                None
            }
            Ok(d) => Some(d),
            Err(_) => {
                errors.push(("expiry", "A date as YYYY-MM-DD".to_owned()));
                None
            }
        };
        let doses_per_vial = match (self.doses_per_vial.trim(), vaccine) {
            ("", Some(v)) => match v.doses_per_vial {
                Some(n) => Some(n),
                None => {
                    errors.push(("doses_per_vial", "The catalogue does not say: give it".into()));
                    None
                }
            },
            ("", None) => None,
            (n, _) => match n.parse::<u16>() {
                Ok(n) if (1..=50).contains(&n) => Some(n),
                _ => {
                    errors.push(("doses_per_vial", "A whole number from 1 to 50".to_owned()));
                    None
                }
            },
        };
        match (vaccine, batch, manufacturer, expiry, doses_per_vial) {
            (Some(v), Some(batch), Some(manufacturer), Some(expiry), Some(doses_per_vial))
                if errors.is_empty() =>
            {
                Ok(Lot { vaccine: v.code.clone(), batch, manufacturer, expiry, doses_per_vial })
            }
            _ => Err(errors),
        }
    }
}

/// Why vials were wasted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WastageReason {
    /// An opened vial's remaining doses, discarded at the end of the session.
    OpenedVialDiscarded,
    /// Broken vial.
    Broken,
    /// Frozen (a 2–8 °C vaccine that froze).
    Frozen,
    /// Heat exposure (the vial monitor changed colour, or an excursion).
    HeatExposed,
    /// Contaminated or label missing.
    Contaminated,
    /// Anything else (the note says what).
    Other,
}

impl WastageReason {
    /// Every reason.
    pub const ALL: [WastageReason; 6] = [
        WastageReason::OpenedVialDiscarded,
        WastageReason::Broken,
        WastageReason::Frozen,
        WastageReason::HeatExposed,
        WastageReason::Contaminated,
        WastageReason::Other,
    ];

    /// Storage and API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            WastageReason::OpenedVialDiscarded => "opened_vial_discarded",
            WastageReason::Broken => "broken",
            WastageReason::Frozen => "frozen",
            WastageReason::HeatExposed => "heat_exposed",
            WastageReason::Contaminated => "contaminated",
            WastageReason::Other => "other",
        }
    }

    /// Parses the spelling.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s.trim())
    }
}

/// A kind of stock movement.  Its sign is fixed except for adjustments.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MovementKind {
    /// Received from the manufacturer or the national store (+).
    Receipt,
    /// Issued down the chain to another point (−); the other point records a transfer in.
    Issue,
    /// Received from another point (+).
    TransferIn,
    /// Sent sideways or back up to another point (−).
    TransferOut,
    /// Wasted, with a reason (−).
    Wastage,
    /// Removed because the lot expired (−).
    Expiry,
    /// A physical count differed from the ledger (±), with a reason.
    Adjustment,
    /// Vials opened by a session (−).
    SessionUse,
}

impl MovementKind {
    /// Every kind.
    pub const ALL: [MovementKind; 8] = [
        MovementKind::Receipt,
        MovementKind::Issue,
        MovementKind::TransferIn,
        MovementKind::TransferOut,
        MovementKind::Wastage,
        MovementKind::Expiry,
        MovementKind::Adjustment,
        MovementKind::SessionUse,
    ];

    /// Storage and API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            MovementKind::Receipt => "receipt",
            MovementKind::Issue => "issue",
            MovementKind::TransferIn => "transfer_in",
            MovementKind::TransferOut => "transfer_out",
            MovementKind::Wastage => "wastage",
            MovementKind::Expiry => "expiry",
            MovementKind::Adjustment => "adjustment",
            MovementKind::SessionUse => "session_use",
        }
    }

    /// Parses the spelling.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s.trim())
    }

    /// Whether the movement adds stock (`None`: adjustments go either way).
    pub fn adds(self) -> Option<bool> {
        match self {
            MovementKind::Receipt | MovementKind::TransferIn => Some(true),
            MovementKind::Adjustment => None,
            _ => Some(false),
        }
    }
}

/// A movement asked for, before the ledger accepts it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MovementRequest {
    /// The kind.
    pub kind: MovementKind,
    /// The lot.
    pub lot: LotId,
    /// Vials moved (always positive; the kind gives the sign, except adjustments).
    pub vials: u32,
    /// For adjustments: whether the count was higher than the ledger (stock added).
    pub adjust_up: bool,
    /// Why vials were wasted (required for wastage).
    pub wastage_reason: Option<WastageReason>,
    /// The note (required for adjustments and for wastage of reason `other`).
    pub note: String,
    /// The day of the movement.
    pub date: NaiveDate,
}

/// Why a movement is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum MovementError {
    /// Zero or too many vials.
    #[error("Vials must be between 1 and {max}", max = MAX_VIALS_PER_MOVEMENT)]
    BadQuantity,
    /// The movement would take the lot below zero at this point.
    #[error("Only {on_hand} vials of this lot are in stock here; {asked} were asked for")]
    Insufficient {
        /// Vials on hand.
        on_hand: i64,
        /// Vials asked for.
        asked: u32,
    },
    /// Wastage needs a reason; adjustments and "other" wastage need a note.
    #[error("{0}")]
    MissingReason(&'static str),
    /// The lot expired before the day of the movement (only an expiry movement or wastage
    /// may then take it out).
    #[error("The lot expired on {0}; it can only be written off")]
    Expired(NaiveDate),
    /// An expiry movement for a lot not yet expired.
    #[error("The lot expires on {0}; it is not expired yet")]
    NotExpired(NaiveDate),
}

/// The signed change a movement makes to a lot's stock: checks the request against the lot
/// and its stock on hand.  The one rule for every write to a ledger.
pub fn check_movement(
    req: &MovementRequest,
    lot: &Lot,
    on_hand: i64,
) -> Result<i64, MovementError> {
    if req.vials == 0 || req.vials > MAX_VIALS_PER_MOVEMENT {
        return Err(MovementError::BadQuantity);
    }
    match req.kind {
        MovementKind::Wastage => match req.wastage_reason {
            None => return Err(MovementError::MissingReason("Wastage needs a reason")),
            Some(WastageReason::Other) if req.note.trim().is_empty() => {
                return Err(MovementError::MissingReason("Say in the note why vials were wasted"));
            }
            Some(_) => {}
        },
        MovementKind::Adjustment if req.note.trim().is_empty() => {
            return Err(MovementError::MissingReason("An adjustment needs a note saying why"));
        }
        _ => {}
    }
    let expired = !lot.usable_on(req.date);
    match req.kind {
        MovementKind::Expiry if !expired => return Err(MovementError::NotExpired(lot.expiry)),
        MovementKind::Receipt
        | MovementKind::Issue
        | MovementKind::TransferIn
        | MovementKind::TransferOut
        | MovementKind::SessionUse
            if expired =>
        {
            return Err(MovementError::Expired(lot.expiry));
        }
        _ => {}
    }
    let adds = req.kind.adds().unwrap_or(req.adjust_up);
    let delta = i64::from(req.vials);
    if adds {
        return Ok(delta);
    }
    if on_hand < delta {
        return Err(MovementError::Insufficient { on_hand, asked: req.vials });
    }
    Ok(-delta)
}

/// Stock on hand per lot at one point, kept by applying movements.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Ledger {
    on_hand: HashMap<LotId, i64>,
}

impl Ledger {
    /// Vials of `lot` on hand (0 if never moved here).
    pub fn on_hand(&self, lot: LotId) -> i64 {
        self.on_hand.get(&lot).copied().unwrap_or(0)
    }

    /// Applies a checked movement: returns the signed change, or refuses it and changes
    /// nothing.
    pub fn apply(&mut self, req: &MovementRequest, lot: &Lot) -> Result<i64, MovementError> {
        let delta = check_movement(req, lot, self.on_hand(req.lot))?;
        *self.on_hand.entry(req.lot).or_insert(0) += delta;
        Ok(delta)
    }

    /// Every lot with stock, and its vials.
    pub fn lots(&self) -> impl Iterator<Item = (LotId, i64)> + '_ {
        self.on_hand.iter().filter(|(_, v)| **v != 0).map(|(k, v)| (*k, *v))
    }
}

/// Vials a session must open to give `doses` doses from vials of `doses_per_vial`.
pub fn vials_to_open(doses: u32, doses_per_vial: u16) -> u32 {
    let per = u32::from(doses_per_vial.max(1));
    doses.div_ceil(per)
}

/// A session's use of one lot, for reconciliation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionUse {
    /// Doses recorded as given from the lot.
    pub doses_given: u32,
    /// Vials recorded as opened.
    pub vials_opened: u32,
    /// Doses per vial of the lot.
    pub doses_per_vial: u16,
}

/// Something wrong with a session's numbers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum Anomaly {
    /// More doses recorded than the opened vials hold: doses (and certificates) without
    /// vaccine.
    MoreDosesThanVials {
        /// Doses recorded.
        doses_given: u32,
        /// Doses the opened vials hold.
        capacity: u32,
    },
    /// Vials opened and no dose given.
    VialsWithoutDoses {
        /// Vials opened.
        vials_opened: u32,
    },
    /// More vials opened than the doses needed: whole vials wasted.
    MoreVialsThanNeeded {
        /// Vials opened.
        vials_opened: u32,
        /// Vials the doses needed.
        needed: u32,
    },
}

/// A session's reconciliation for one lot.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Reconciliation {
    /// Doses the opened vials hold.
    pub capacity: u32,
    /// Doses given.
    pub doses_given: u32,
    /// Doses discarded at the end of the session (opened-vial wastage).
    pub doses_wasted: u32,
    /// Wastage as a share of the opened doses, percent (0 when nothing was opened).
    pub wastage_percent: f64,
    /// What looks wrong.
    pub anomalies: Vec<Anomaly>,
}

/// Reconciles doses given against vials opened (the open-vial rule: an opened vial's
/// remaining doses are discarded at the end of the session).
pub fn reconcile(u: SessionUse) -> Reconciliation {
    let capacity = u.vials_opened.saturating_mul(u32::from(u.doses_per_vial));
    let mut anomalies = Vec::new();
    if u.doses_given > capacity {
        anomalies.push(Anomaly::MoreDosesThanVials { doses_given: u.doses_given, capacity });
    }
    if u.vials_opened > 0 && u.doses_given == 0 {
        anomalies.push(Anomaly::VialsWithoutDoses { vials_opened: u.vials_opened });
    } else {
        let needed = vials_to_open(u.doses_given, u.doses_per_vial);
        if u.vials_opened > needed {
            anomalies.push(Anomaly::MoreVialsThanNeeded { vials_opened: u.vials_opened, needed });
        }
    }
    let doses_wasted = capacity.saturating_sub(u.doses_given);
    let wastage_percent = if capacity == 0 {
        0.0
    } else {
        (f64::from(doses_wasted) * 1000.0 / f64::from(capacity)).round() / 10.0
    };
    Reconciliation {
        capacity,
        doses_given: u.doses_given,
        doses_wasted,
        wastage_percent,
        anomalies,
    }
}

/// Days the stock lasts at the recent rate: `on_hand_doses` over the doses used in the last
/// `window_days` days.  `None` when nothing was used (no rate to go by).
pub fn days_of_stock(on_hand_doses: u64, used_doses: u64, window_days: u32) -> Option<f64> {
    if used_doses == 0 || window_days == 0 {
        return None;
    }
    let per_day = used_doses as f64 / f64::from(window_days);
    Some((on_hand_doses as f64 / per_day * 10.0).floor() / 10.0)
}

/// A warning on a point's stock.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "code", rename_all = "snake_case")]
pub enum StockWarning {
    /// Nothing of the vaccine is left.
    StockOut,
    /// Fewer days of stock than the threshold.
    Low {
        /// Days of stock left.
        days: f64,
    },
    /// A lot with stock expires within the threshold.
    ExpiringSoon {
        /// The lot.
        lot: LotId,
        /// Its expiry.
        expiry: NaiveDate,
        /// Vials on hand.
        vials: i64,
    },
}

/// Thresholds for [`warnings`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WarningThresholds {
    /// Fewer days of stock than this warns.
    pub low_days: u32,
    /// A lot expiring within this many days warns.
    pub expiring_days: u32,
}

impl Default for WarningThresholds {
    fn default() -> Self {
        Self { low_days: 7, expiring_days: 30 }
    }
}

/// The warnings for one vaccine at one point: stock-out, low stock at the recent rate, lots
/// expiring soon.  `lots`: (lot id, expiry, vials on hand).
pub fn warnings(
    lots: &[(LotId, NaiveDate, i64)],
    on_hand_doses: u64,
    used_doses: u64,
    window_days: u32,
    today: NaiveDate,
    t: WarningThresholds,
) -> Vec<StockWarning> {
    let mut out = Vec::new();
    if on_hand_doses == 0 {
        out.push(StockWarning::StockOut);
    } else if let Some(days) = days_of_stock(on_hand_doses, used_doses, window_days)
        && days < f64::from(t.low_days)
    {
        out.push(StockWarning::Low { days });
    }
    let mut soon: Vec<&(LotId, NaiveDate, i64)> = lots
        .iter()
        .filter(|(_, expiry, vials)| {
            *vials > 0
                && *expiry >= today
                && (*expiry - today).num_days() <= i64::from(t.expiring_days)
        })
        .collect();
    soon.sort_by_key(|(id, expiry, _)| (*expiry, *id));
    out.extend(soon.into_iter().map(|(lot, expiry, vials)| StockWarning::ExpiringSoon {
        lot: *lot,
        expiry: *expiry,
        vials: *vials,
    }));
    out
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, d).unwrap_or_default()
    }

    fn lot(expiry: NaiveDate) -> Lot {
        Lot {
            vaccine: VaccineCode::parse("COVISHIELD").unwrap(),
            batch: BatchNumber::parse("4121Z025").unwrap(),
            manufacturer: "Serum Institute of India".into(),
            expiry,
            doses_per_vial: 10,
        }
    }

    fn req(kind: MovementKind, id: LotId, vials: u32) -> MovementRequest {
        MovementRequest {
            kind,
            lot: id,
            vials,
            adjust_up: false,
            wastage_reason: None,
            note: String::new(),
            date: day(4),
        }
    }

    fn catalogue() -> Vec<CatalogueVaccine> {
        vec![CatalogueVaccine {
            code: VaccineCode::parse("COVISHIELD").unwrap(),
            manufacturer: "Serum Institute of India".into(),
            doses_per_vial: Some(10),
        }]
    }

    #[test]
    fn a_lot_form_is_checked_field_by_field_and_fills_catalogue_defaults() {
        let form = LotForm {
            vaccine: "COVISHIELD".into(),
            batch: " 4121z025 ".into(),
            expiry: "2027-06-30".into(),
            ..LotForm::default()
        };
        let lot = form.parse(&catalogue(), day(4)).unwrap();
        assert_eq!(lot.batch.as_str(), "4121Z025");
        assert_eq!(lot.doses_per_vial, 10);
        assert_eq!(lot.manufacturer, "Serum Institute of India");

        let bad = LotForm {
            vaccine: "NOPE".into(),
            batch: "x".into(),
            expiry: "2026-12-01".into(),
            doses_per_vial: "0".into(),
            ..LotForm::default()
        };
        let fields: Vec<&str> =
            bad.parse(&catalogue(), day(4)).unwrap_err().iter().map(|(f, _)| *f).collect();
        assert_eq!(fields, ["vaccine", "batch", "expiry", "doses_per_vial"]);
    }

    #[test]
    fn movements_keep_stock_and_refuse_going_below_zero() {
        let id = LotId::new();
        let l = lot(day(30));
        let mut ledger = Ledger::default();
        assert_eq!(ledger.apply(&req(MovementKind::Receipt, id, 100), &l), Ok(100));
        assert_eq!(ledger.apply(&req(MovementKind::Issue, id, 60), &l), Ok(-60));
        assert_eq!(
            ledger.apply(&req(MovementKind::SessionUse, id, 41), &l),
            Err(MovementError::Insufficient { on_hand: 40, asked: 41 })
        );
        assert_eq!(ledger.on_hand(id), 40);
        assert_eq!(
            ledger.apply(&req(MovementKind::Issue, id, 0), &l),
            Err(MovementError::BadQuantity)
        );
        // Wastage needs a reason; "other" and adjustments need a note.
        let mut w = req(MovementKind::Wastage, id, 2);
        assert!(matches!(ledger.apply(&w, &l), Err(MovementError::MissingReason(_))));
        w.wastage_reason = Some(WastageReason::Other);
        assert!(matches!(ledger.apply(&w, &l), Err(MovementError::MissingReason(_))));
        w.wastage_reason = Some(WastageReason::Broken);
        assert_eq!(ledger.apply(&w, &l), Ok(-2));
        let mut a = req(MovementKind::Adjustment, id, 3);
        a.adjust_up = true;
        assert!(matches!(ledger.apply(&a, &l), Err(MovementError::MissingReason(_))));
        a.note = "physical count 41".into();
        assert_eq!(ledger.apply(&a, &l), Ok(3));
        assert_eq!(ledger.on_hand(id), 41);
    }

    #[test]
    fn an_expired_lot_can_only_be_written_off() {
        let id = LotId::new();
        let l = lot(day(3));
        let mut ledger = Ledger::default();
        let mut r = req(MovementKind::Receipt, id, 10);
        r.date = day(2);
        assert_eq!(ledger.apply(&r, &l), Ok(10));
        assert_eq!(
            ledger.apply(&req(MovementKind::SessionUse, id, 1), &l),
            Err(MovementError::Expired(day(3)))
        );
        let mut early = req(MovementKind::Expiry, id, 10);
        early.date = day(3);
        assert_eq!(ledger.apply(&early, &l), Err(MovementError::NotExpired(day(3))));
        assert_eq!(ledger.apply(&req(MovementKind::Expiry, id, 10), &l), Ok(-10));
        assert_eq!(ledger.on_hand(id), 0);
    }

    #[test]
    fn the_open_vial_rule_and_reconciliation() {
        assert_eq!(vials_to_open(0, 10), 0);
        assert_eq!(vials_to_open(1, 10), 1);
        assert_eq!(vials_to_open(20, 10), 2);
        assert_eq!(vials_to_open(21, 10), 3);
        assert_eq!(vials_to_open(21, 20), 2);
        let ok = reconcile(SessionUse { doses_given: 95, vials_opened: 10, doses_per_vial: 10 });
        assert_eq!((ok.capacity, ok.doses_wasted, ok.wastage_percent), (100, 5, 5.0));
        assert!(ok.anomalies.is_empty());
        // More doses than the vials hold: the fake-certificate pattern.
        let fake = reconcile(SessionUse { doses_given: 130, vials_opened: 10, doses_per_vial: 10 });
        assert_eq!(
            fake.anomalies,
            [Anomaly::MoreDosesThanVials { doses_given: 130, capacity: 100 }]
        );
        assert_eq!(fake.doses_wasted, 0);
        let idle = reconcile(SessionUse { doses_given: 0, vials_opened: 2, doses_per_vial: 10 });
        assert_eq!(idle.anomalies, [Anomaly::VialsWithoutDoses { vials_opened: 2 }]);
        let lavish = reconcile(SessionUse { doses_given: 11, vials_opened: 4, doses_per_vial: 10 });
        assert_eq!(lavish.anomalies, [Anomaly::MoreVialsThanNeeded { vials_opened: 4, needed: 2 }]);
    }

    #[test]
    fn days_of_stock_and_warnings() {
        assert_eq!(days_of_stock(100, 0, 7), None);
        assert_eq!(days_of_stock(700, 70, 7), Some(70.0));
        assert_eq!(days_of_stock(25, 70, 7), Some(2.5));
        let (a, b) = (LotId::new(), LotId::new());
        let lots = [
            (a, day(20), 5),
            (b, NaiveDate::from_ymd_opt(2027, 6, 1).unwrap(), 50),
            (LotId::new(), day(10), 0),
        ];
        let w = warnings(&lots, 40, 70, 7, day(4), WarningThresholds::default());
        assert_eq!(
            w,
            [
                StockWarning::Low { days: 4.0 },
                StockWarning::ExpiringSoon { lot: a, expiry: day(20), vials: 5 }
            ]
        );
        assert_eq!(
            warnings(&[], 0, 0, 7, day(4), WarningThresholds::default()),
            [StockWarning::StockOut]
        );
    }

    #[test]
    fn levels_send_down_or_sideways_or_back_one_level_up() {
        use PointLevel::*;
        assert!(StateStore.may_send_to(DistrictStore));
        assert!(DistrictStore.may_send_to(DistrictStore));
        assert!(Facility.may_send_to(DistrictStore));
        assert!(!Facility.may_send_to(StateStore));
        assert_eq!(PointLevel::parse("district_store"), Some(DistrictStore));
        assert_eq!(
            EquipmentKind::parse("ilr").map(EquipmentKind::default_band),
            Some(TempRange::FRIDGE)
        );
        assert_eq!(EquipmentKind::DeepFreezer.default_band(), TempRange::FREEZER);
    }

    fn arb_kind() -> impl Strategy<Value = MovementKind> {
        prop::sample::select(MovementKind::ALL.to_vec())
    }

    proptest! {
        /// Any sequence of movements: stock on hand equals the sum of the accepted changes and
        /// never goes below zero; a refused movement changes nothing.
        #[test]
        fn stock_is_the_sum_of_accepted_movements_and_never_negative(
            moves in prop::collection::vec((0usize..3, arb_kind(), 0u32..60, any::<bool>(), 1u32..12), 0..200)
        ) {
            let ids = [LotId::new(), LotId::new(), LotId::new()];
            let l = lot(day(8));
            let mut ledger = Ledger::default();
            let mut sums = [0i64; 3];
            for (which, kind, vials, up, d) in moves {
                let r = MovementRequest {
                    kind,
                    lot: ids[which],
                    vials,
                    adjust_up: up,
                    wastage_reason: Some(WastageReason::Broken),
                    note: "count".into(),
                    date: day(d),
                };
                let before = ledger.clone();
                match ledger.apply(&r, &l) {
                    Ok(delta) => sums[which] += delta,
                    Err(_) => prop_assert_eq!(&ledger, &before),
                }
                for (i, id) in ids.iter().enumerate() {
                    prop_assert_eq!(ledger.on_hand(*id), sums[i]);
                    prop_assert!(ledger.on_hand(*id) >= 0);
                }
            }
        }
    }
}
