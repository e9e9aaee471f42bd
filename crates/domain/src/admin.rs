//! Officials and what they may touch: admin levels, areas, capabilities, and the rules for the
//! facilities and session plans they manage from the console.
//!
//! An official's [`Area`] is where they work: the nation, a state, a district, a block of a
//! district, or one facility.  They see and change only places inside it ([`Area::covers`]) and
//! create officials only for areas inside it ([`Area::contains`]).  What a level may do at all
//! is [`AdminLevel::can`].  Every check is made by the server's service layer with these
//! functions, never by a page.

use std::fmt;

use chrono::{Datelike, Duration, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::country::CountryPack;
use crate::ids::{CenterId, DistrictId, StateId};
use crate::session::{AgeLimits, Slot};
use crate::vaccine::VaccineCode;

/// How high an official sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AdminLevel {
    /// The whole country.
    National,
    /// One state or union territory.
    State,
    /// One district.
    District,
    /// One block (sub-district) of a district.
    Block,
    /// One facility.
    Facility,
}

impl AdminLevel {
    /// Every level, highest first.
    pub const ALL: [AdminLevel; 5] = [
        AdminLevel::National,
        AdminLevel::State,
        AdminLevel::District,
        AdminLevel::Block,
        AdminLevel::Facility,
    ];

    /// Storage and API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            AdminLevel::National => "national",
            AdminLevel::State => "state",
            AdminLevel::District => "district",
            AdminLevel::Block => "block",
            AdminLevel::Facility => "facility",
        }
    }

    /// Parses the storage and API spelling.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|l| l.as_str() == s.trim())
    }

    /// Whether this level may do something at all (the area decides where).
    pub fn can(self, c: Capability) -> bool {
        match c {
            Capability::CreateFacilities | Capability::ActivateFacilities => {
                self <= AdminLevel::Block
            }
            Capability::ChangePolicy => self == AdminLevel::National,
            // Lists of people, their assignment to sessions and the lucky draw are run for a
            // state or a district; blocks and facilities follow what the district decided.
            Capability::ImportPeople | Capability::AssignPeople | Capability::RunDraw => {
                self <= AdminLevel::District
            }
            Capability::EditFacilities
            | Capability::PlanSessions
            | Capability::ManageStaff
            | Capability::ManageAdmins
            | Capability::ReadAudit
            | Capability::RecordSurvey
            | Capability::ReviewIssues
            | Capability::SessionLists => true,
        }
    }
}

impl fmt::Display for AdminLevel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Something an official may be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Capability {
    /// Add facilities.
    CreateFacilities,
    /// Deactivate and re-activate facilities.
    ActivateFacilities,
    /// Change a facility's details, hours and fees.
    EditFacilities,
    /// Plan, change, move and cancel sessions.
    PlanSessions,
    /// Create and deactivate facility staff.
    ManageStaff,
    /// Create and deactivate officials (inside the area only).
    ManageAdmins,
    /// Read the audit log (of the area).
    ReadAudit,
    /// Change the campaign policy (priority groups, eligibility, intervals).
    ChangePolicy,
    /// Upload lists of people (health workers, …) and record surveys in bulk.
    ImportPeople,
    /// Assign listed people to sessions near their posting or home.
    AssignPeople,
    /// Run the district's lucky draw.
    RunDraw,
    /// Record a survey (comorbidities) for a person of the area.
    RecordSurvey,
    /// Decide citizens' correction requests and sync conflicts ("raise an issue").
    ReviewIssues,
    /// Print or download session lists.
    SessionLists,
}

/// Where a facility (or a person's posting) is: what an [`Area`] is checked against.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Place {
    /// State.
    pub state: StateId,
    /// District.
    pub district: DistrictId,
    /// Block name (as the facility records it).
    pub block: String,
    /// The facility, when the place is one.
    pub center: Option<CenterId>,
}

/// The area an official works in.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "level", rename_all = "snake_case")]
pub enum Area {
    /// The whole country.
    National,
    /// A state.
    State {
        /// State.
        state: StateId,
    },
    /// A district.
    District {
        /// State.
        state: StateId,
        /// District.
        district: DistrictId,
    },
    /// A block of a district.
    Block {
        /// State.
        state: StateId,
        /// District.
        district: DistrictId,
        /// Block name (compared case-insensitively, trimmed).
        block: String,
    },
    /// One facility.
    Facility {
        /// State.
        state: StateId,
        /// District.
        district: DistrictId,
        /// Block name.
        block: String,
        /// Facility.
        center: CenterId,
    },
}

/// Why an area is not valid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AreaError {
    /// Unknown level.
    #[error("Level must be national, state, district, block or facility")]
    Level,
    /// The level needs a state.
    #[error("This level needs a state")]
    StateMissing,
    /// No such state.
    #[error("Unknown state")]
    StateUnknown,
    /// The level needs a district.
    #[error("This level needs a district")]
    DistrictMissing,
    /// No such district, or not in the state.
    #[error("Unknown district, or not in the state")]
    DistrictUnknown,
    /// The level needs a block name.
    #[error("This level needs a block name")]
    BlockMissing,
    /// The level needs a facility.
    #[error("This level needs a facility")]
    CenterMissing,
}

fn same_block(a: &str, b: &str) -> bool {
    a.trim().eq_ignore_ascii_case(b.trim())
}

impl Area {
    /// Builds an area from its stored or submitted parts, checked against the country pack.
    /// The facility's own place is passed for the facility level (`facility`), since the
    /// pack does not know facilities; its state, district and block are taken from it.
    pub fn parse(
        level: &str,
        state: Option<StateId>,
        district: Option<DistrictId>,
        block: Option<&str>,
        facility: Option<&Place>,
        pack: &CountryPack,
    ) -> Result<Self, AreaError> {
        let level = AdminLevel::parse(level).ok_or(AreaError::Level)?;
        let state_of = |s: Option<StateId>| -> Result<StateId, AreaError> {
            let s = s.ok_or(AreaError::StateMissing)?;
            pack.state(s).map(|_| s).ok_or(AreaError::StateUnknown)
        };
        let district_of = |s: StateId, d: Option<DistrictId>| -> Result<DistrictId, AreaError> {
            let d = d.ok_or(AreaError::DistrictMissing)?;
            match pack.district(d) {
                Some(x) if x.state_id == s => Ok(d),
                _ => Err(AreaError::DistrictUnknown),
            }
        };
        Ok(match level {
            AdminLevel::National => Area::National,
            AdminLevel::State => Area::State { state: state_of(state)? },
            AdminLevel::District => {
                let state = state_of(state)?;
                Area::District { state, district: district_of(state, district)? }
            }
            AdminLevel::Block => {
                let state = state_of(state)?;
                let district = district_of(state, district)?;
                let block = block.map(str::trim).filter(|b| !b.is_empty());
                let block = block.ok_or(AreaError::BlockMissing)?.to_owned();
                Area::Block { state, district, block }
            }
            AdminLevel::Facility => {
                let p = facility.ok_or(AreaError::CenterMissing)?;
                let center = p.center.ok_or(AreaError::CenterMissing)?;
                Area::Facility {
                    state: p.state,
                    district: p.district,
                    block: p.block.clone(),
                    center,
                }
            }
        })
    }

    /// The area's level.
    pub fn level(&self) -> AdminLevel {
        match self {
            Area::National => AdminLevel::National,
            Area::State { .. } => AdminLevel::State,
            Area::District { .. } => AdminLevel::District,
            Area::Block { .. } => AdminLevel::Block,
            Area::Facility { .. } => AdminLevel::Facility,
        }
    }

    /// The state, below national level.
    pub fn state(&self) -> Option<StateId> {
        match self {
            Area::National => None,
            Area::State { state }
            | Area::District { state, .. }
            | Area::Block { state, .. }
            | Area::Facility { state, .. } => Some(*state),
        }
    }

    /// The district, at district level and below.
    pub fn district(&self) -> Option<DistrictId> {
        match self {
            Area::National | Area::State { .. } => None,
            Area::District { district, .. }
            | Area::Block { district, .. }
            | Area::Facility { district, .. } => Some(*district),
        }
    }

    /// The block, at block level and below.
    pub fn block(&self) -> Option<&str> {
        match self {
            Area::Block { block, .. } | Area::Facility { block, .. } => Some(block),
            _ => None,
        }
    }

    /// The facility, at facility level.
    pub fn center(&self) -> Option<CenterId> {
        match self {
            Area::Facility { center, .. } => Some(*center),
            _ => None,
        }
    }

    /// Whether a place lies inside the area.
    pub fn covers(&self, p: &Place) -> bool {
        match self {
            Area::National => true,
            Area::State { state } => p.state == *state,
            Area::District { district, .. } => p.district == *district,
            Area::Block { district, block, .. } => {
                p.district == *district && same_block(&p.block, block)
            }
            Area::Facility { center, .. } => p.center == Some(*center),
        }
    }

    /// Whether another area lies inside this one (an area contains itself).
    pub fn contains(&self, other: &Area) -> bool {
        match (self, other) {
            (Area::National, _) => true,
            (Area::State { state }, o) => o.state() == Some(*state),
            (Area::District { district, .. }, o) => o.district() == Some(*district),
            (Area::Block { district, block, .. }, o) => {
                o.district() == Some(*district) && o.block().is_some_and(|b| same_block(b, block))
            }
            (Area::Facility { center, .. }, o) => o.center() == Some(*center),
        }
    }
}

/// How long a console login lasts: it ends after `idle` without a request, and after
/// `absolute` in any case (officials log in again each working day).
#[derive(Debug, Clone, Copy)]
pub struct ConsoleSessionPolicy {
    /// Expiry after the last request.
    pub idle: Duration,
    /// Expiry after the login.
    pub absolute: Duration,
}

impl Default for ConsoleSessionPolicy {
    fn default() -> Self {
        Self { idle: Duration::minutes(30), absolute: Duration::hours(12) }
    }
}

// ---------------------------------------------------------------------------------------------
// Facilities

/// Government or private.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FacilityKind {
    /// Government: free.
    Government,
    /// Private: a fee per vaccine.
    Private,
}

impl FacilityKind {
    /// Storage and API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            FacilityKind::Government => "government",
            FacilityKind::Private => "private",
        }
    }

    /// Parses the storage and API spelling.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "government" | "govt" => Some(FacilityKind::Government),
            "private" => Some(FacilityKind::Private),
            _ => None,
        }
    }
}

/// The highest fee a private facility may charge for a dose, in rupees.
pub const MAX_FEE: u32 = 5_000;

/// A facility's details as submitted, before checks.
#[derive(Debug, Clone, Default)]
pub struct FacilityForm {
    /// Name.
    pub name: String,
    /// Name in the second language (optional).
    pub name_l: String,
    /// `government` or `private`.
    pub kind: String,
    /// Street address.
    pub address: String,
    /// Block name.
    pub block: String,
    /// District id.
    pub district: Option<i64>,
    /// Pincode (6 digits).
    pub pincode: String,
    /// Latitude (optional; the pincode's centroid when empty).
    pub lat: Option<f64>,
    /// Longitude (optional).
    pub lon: Option<f64>,
    /// Opening time `HH:MM`.
    pub open: String,
    /// Closing time `HH:MM`.
    pub close: String,
    /// Fee per vaccine (private facilities), rupees.
    pub fees: Vec<(String, u32)>,
    /// The cold chain point that supplies it (free text until the inventory module names
    /// points).
    pub cold_chain_point: String,
}

/// A facility's checked details.
#[derive(Debug, Clone, PartialEq)]
pub struct FacilityDetails {
    /// Name (2 to 120 characters).
    pub name: String,
    /// Second-language name (may be empty).
    pub name_l: String,
    /// Government or private.
    pub kind: FacilityKind,
    /// Street address (5 to 300 characters).
    pub address: String,
    /// Block name (2 to 80 characters).
    pub block: String,
    /// State (the district's).
    pub state: StateId,
    /// District.
    pub district: DistrictId,
    /// Pincode, known to the pack and in the district.
    pub pincode: u32,
    /// Latitude.
    pub lat: Option<f64>,
    /// Longitude.
    pub lon: Option<f64>,
    /// Opening time, minutes after midnight.
    pub open_min: u32,
    /// Closing time, minutes after midnight (after opening).
    pub close_min: u32,
    /// Fee per vaccine: empty for government facilities, every entry 1..=[`MAX_FEE`] for
    /// private ones (at least one).
    pub fees: Vec<(VaccineCode, u32)>,
    /// Cold chain point (may be empty).
    pub cold_chain_point: String,
}

/// One problem with a submitted facility, by field.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{field}: {message}")]
pub struct FieldError {
    /// The form field.
    pub field: &'static str,
    /// What is wrong.
    pub message: String,
}

fn field(field: &'static str, message: impl Into<String>) -> FieldError {
    FieldError { field, message: message.into() }
}

/// Parses `HH:MM` (or `HH:MM:SS`) into minutes after midnight.
pub fn parse_hhmm(s: &str) -> Option<u32> {
    let mut it = s.trim().split(':');
    let h: u32 = it.next()?.parse().ok()?;
    let m: u32 = it.next()?.parse().ok()?;
    if let Some(sec) = it.next() {
        let _: u32 = sec.parse().ok()?;
    }
    if it.next().is_some() || h > 23 || m > 59 {
        return None;
    }
    Some(h * 60 + m)
}

/// Minutes after midnight as `HH:MM:SS` (CoWIN's `from`/`to`).
pub fn hhmmss(min: u32) -> String {
    format!("{:02}:{:02}:00", min / 60, min % 60)
}

fn text(
    errors: &mut Vec<FieldError>,
    name: &'static str,
    v: &str,
    min: usize,
    max: usize,
) -> String {
    let v = v.split_whitespace().collect::<Vec<_>>().join(" ");
    let n = v.chars().count();
    if n < min || n > max {
        errors.push(field(name, format!("must be {min} to {max} characters")));
    } else if v.chars().any(|c| c.is_control() || "<>".contains(c)) {
        errors.push(field(name, "must not contain control characters, '<' or '>'"));
    }
    v
}

impl FacilityForm {
    /// Checks every field, reporting all problems at once.
    pub fn check(&self, pack: &CountryPack) -> Result<FacilityDetails, Vec<FieldError>> {
        let mut errors = Vec::new();
        let name = text(&mut errors, "name", &self.name, 2, 120);
        let name_l = text(&mut errors, "name_l", &self.name_l, 0, 120);
        let address = text(&mut errors, "address", &self.address, 5, 300);
        let block = text(&mut errors, "block", &self.block, 2, 80);
        let cold_chain_point =
            text(&mut errors, "cold_chain_point", &self.cold_chain_point, 0, 120);
        let kind = FacilityKind::parse(&self.kind);
        if kind.is_none() {
            errors.push(field("kind", "must be government or private"));
        }
        let district = self.district.and_then(|d| pack.district(DistrictId(d)));
        if district.is_none() {
            errors.push(field("district", "unknown district"));
        }
        let pin = self.pincode.trim();
        let pincode = match pin.parse::<u32>().ok().filter(|_| pin.len() == 6) {
            None => {
                errors.push(field("pincode", "must be 6 digits"));
                None
            }
            Some(p) => match (pack.pincode(p), district) {
                (None, _) => {
                    errors.push(field("pincode", "unknown pincode"));
                    None
                }
                (Some(info), Some(d)) if info.district_id != d.id => {
                    errors.push(field("pincode", "is not in the district"));
                    None
                }
                (Some(info), _) => Some(*info),
            },
        };
        let valid_lat = self.lat.is_none_or(|v| (6.0..=38.0).contains(&v));
        let valid_lon = self.lon.is_none_or(|v| (68.0..=98.0).contains(&v));
        if !valid_lat || !valid_lon || self.lat.is_some() != self.lon.is_some() {
            errors.push(field("location", "latitude and longitude must both be given, in India"));
        }
        let open = parse_hhmm(&self.open);
        let close = parse_hhmm(&self.close);
        match (open, close) {
            (None, _) => errors.push(field("open", "must be a time HH:MM")),
            (_, None) => errors.push(field("close", "must be a time HH:MM")),
            (Some(o), Some(c)) if c <= o => errors.push(field("close", "must be after opening")),
            _ => {}
        }
        let mut fees = Vec::new();
        for (code, fee) in &self.fees {
            match VaccineCode::parse(code).ok().filter(|c| pack.vaccine(c).is_some()) {
                None => errors.push(field("fees", format!("unknown vaccine {code}"))),
                Some(c) if fees.iter().any(|(x, _)| *x == c) => {
                    errors.push(field("fees", format!("{code} given twice")))
                }
                Some(c) => fees.push((c, *fee)),
            }
        }
        match kind {
            Some(FacilityKind::Government) if fees.iter().any(|(_, f)| *f > 0) => {
                errors.push(field("fees", "government facilities are free"));
            }
            Some(FacilityKind::Private) if fees.is_empty() => {
                errors.push(field("fees", "a private facility needs a fee for each vaccine"));
            }
            Some(FacilityKind::Private) if fees.iter().any(|(_, f)| !(1..=MAX_FEE).contains(f)) => {
                errors.push(field("fees", format!("each fee must be 1 to {MAX_FEE} rupees")));
            }
            _ => {}
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let (Some(kind), Some(d), Some(pin), Some(open_min), Some(close_min)) =
            (kind, district, pincode, open, close)
        else {
            return Err(vec![field("form", "incomplete")]);
        };
        if kind == FacilityKind::Government {
            fees.clear();
        }
        let (lat, lon) = match (self.lat, self.lon) {
            (Some(a), Some(o)) => (Some(a), Some(o)),
            _ => (pin.lat, pin.lon),
        };
        Ok(FacilityDetails {
            name,
            name_l,
            kind,
            address,
            block,
            state: d.state_id,
            district: d.id,
            pincode: pin.pincode,
            lat,
            lon,
            open_min,
            close_min,
            fees,
            cold_chain_point,
        })
    }
}

impl FacilityDetails {
    /// The fee of a vaccine here, as CoWIN's string (`"0"` when free).
    pub fn fee_for(&self, v: &VaccineCode) -> Option<String> {
        match self.kind {
            FacilityKind::Government => Some("0".into()),
            FacilityKind::Private => {
                self.fees.iter().find(|(c, _)| c == v).map(|(_, f)| f.to_string())
            }
        }
    }

    /// The facility's place, for area checks.
    pub fn place(&self, center: Option<CenterId>) -> Place {
        Place { state: self.state, district: self.district, block: self.block.clone(), center }
    }
}

/// Fees as stored: `COVISHIELD=780;COVAXIN=1410` (empty when free).
pub fn fees_to_text(fees: &[(VaccineCode, u32)]) -> String {
    fees.iter().map(|(c, f)| format!("{}={f}", c.as_str())).collect::<Vec<_>>().join(";")
}

/// Reads stored fees back; malformed entries are skipped.
pub fn fees_from_text(s: &str) -> Vec<(VaccineCode, u32)> {
    s.split(';')
        .filter_map(|kv| kv.split_once('='))
        .filter_map(|(c, f)| Some((VaccineCode::parse(c).ok()?, f.trim().parse().ok()?)))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Session plans

/// The longest a recurring plan may run.
pub const MAX_PLAN_DAYS: i64 = 56;
/// The most seats per dose in one session.
pub const MAX_CAPACITY: u32 = 5_000;
/// The most time slots per session.
pub const MAX_SLOTS: u32 = 12;

/// A session plan as submitted: one session on each chosen weekday from `from` to `until`.
#[derive(Debug, Clone, Default)]
pub struct PlanForm {
    /// Vaccine code.
    pub vaccine: String,
    /// First date.
    pub from: Option<NaiveDate>,
    /// Last date (the same as `from` for a single session).
    pub until: Option<NaiveDate>,
    /// Weekdays, Monday = 0 … Sunday = 6 (empty means every day).
    pub weekdays: Vec<u8>,
    /// Youngest age.
    pub min_age: Option<u32>,
    /// Oldest age (optional).
    pub max_age: Option<u32>,
    /// Seats for first doses.
    pub capacity_dose1: Option<u32>,
    /// Seats for second doses.
    pub capacity_dose2: Option<u32>,
    /// Number of equal time slots the facility's hours are split into.
    pub slots: Option<u32>,
    /// Whether walk-ins are taken.
    pub walk_ins: bool,
}

/// A checked plan: what every session it creates has in common, and its dates.
#[derive(Debug, Clone, PartialEq)]
pub struct SessionPlan {
    /// Vaccine.
    pub vaccine: VaccineCode,
    /// The dates, ascending.
    pub dates: Vec<NaiveDate>,
    /// First date.
    pub from: NaiveDate,
    /// Last date.
    pub until: NaiveDate,
    /// Weekdays (Monday = 0), ascending, all seven when every day.
    pub weekdays: Vec<u8>,
    /// Age limits.
    pub ages: AgeLimits,
    /// Seats for first doses.
    pub capacity_dose1: u32,
    /// Seats for second doses.
    pub capacity_dose2: u32,
    /// The time slots.
    pub slots: Vec<Slot>,
    /// Whether walk-ins are taken.
    pub walk_ins: bool,
}

impl PlanForm {
    /// Checks a plan for a facility open `open_min..close_min`, on `today` (no session in the
    /// past), reporting all problems at once.
    pub fn check(
        &self,
        pack: &CountryPack,
        open_min: u32,
        close_min: u32,
        today: NaiveDate,
    ) -> Result<SessionPlan, Vec<FieldError>> {
        let mut errors = Vec::new();
        let vaccine = VaccineCode::parse(&self.vaccine).ok();
        let def = vaccine.as_ref().and_then(|v| pack.vaccine(v));
        if def.is_none() {
            errors.push(field("vaccine", "unknown vaccine"));
        }
        let (from, until) = match (self.from, self.until.or(self.from)) {
            (Some(f), Some(u)) => (f, u),
            _ => {
                errors.push(field("from", "a first date is needed"));
                (today, today)
            }
        };
        if from < today {
            errors.push(field("from", "must not be in the past"));
        }
        if until < from {
            errors.push(field("until", "must not be before the first date"));
        } else if (until - from).num_days() >= MAX_PLAN_DAYS {
            errors.push(field("until", format!("a plan covers at most {MAX_PLAN_DAYS} days")));
        }
        let mut weekdays: Vec<u8> = self.weekdays.clone();
        weekdays.sort_unstable();
        weekdays.dedup();
        if weekdays.iter().any(|d| *d > 6) {
            errors.push(field("weekdays", "weekdays are 0 (Monday) to 6 (Sunday)"));
        }
        if weekdays.is_empty() {
            weekdays = (0..7).collect();
        }
        let min_age = self.min_age.unwrap_or(18);
        let youngest = def.map_or(0, |d| u32::from(d.min_age_years));
        if min_age > 120 {
            errors.push(field("min_age", "must be 0 to 120"));
        } else if min_age < youngest {
            errors.push(field("min_age", format!("this vaccine is for ages {youngest} and above")));
        }
        if let Some(max) = self.max_age
            && (max < min_age || max > 120)
        {
            errors.push(field("max_age", "must be at least the youngest age, and at most 120"));
        }
        let c1 = self.capacity_dose1.unwrap_or(0);
        let c2 = self.capacity_dose2.unwrap_or(0);
        if c1 > MAX_CAPACITY || c2 > MAX_CAPACITY {
            errors.push(field("capacity", format!("at most {MAX_CAPACITY} seats per dose")));
        } else if c1 + c2 == 0 {
            errors.push(field("capacity", "a session needs seats"));
        }
        let n = self.slots.unwrap_or(4);
        if !(1..=MAX_SLOTS).contains(&n) {
            errors.push(field("slots", format!("1 to {MAX_SLOTS} slots")));
        } else if close_min <= open_min || (close_min - open_min) / n < 15 {
            errors.push(field("slots", "each slot must be at least 15 minutes of opening hours"));
        }
        let dates: Vec<NaiveDate> = if until >= from && (until - from).num_days() < MAX_PLAN_DAYS {
            from.iter_days()
                .take_while(|d| *d <= until)
                .filter(|d| weekdays.contains(&(d.weekday().num_days_from_monday() as u8)))
                .collect()
        } else {
            Vec::new()
        };
        if dates.is_empty() && errors.is_empty() {
            errors.push(field("weekdays", "no date between the first and last date is chosen"));
        }
        if !errors.is_empty() {
            return Err(errors);
        }
        let Some(vaccine) = vaccine else {
            return Err(vec![field("vaccine", "unknown vaccine")]);
        };
        Ok(SessionPlan {
            vaccine,
            dates,
            from,
            until,
            weekdays,
            ages: AgeLimits {
                min: u8::try_from(min_age).unwrap_or(u8::MAX),
                max: self.max_age.map(|m| u8::try_from(m).unwrap_or(u8::MAX)),
            },
            capacity_dose1: c1,
            capacity_dose2: c2,
            slots: Slot::split(open_min, close_min, n),
            walk_ins: self.walk_ins,
        })
    }
}

/// A change to one session's seats or walk-in rule.  Seats may not go below the bookings
/// already taken (storage enforces it atomically).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionEdit {
    /// Seats for first doses.
    pub capacity_dose1: u32,
    /// Seats for second doses.
    pub capacity_dose2: u32,
    /// Whether walk-ins are taken.
    pub walk_ins: bool,
}

impl SessionEdit {
    /// Checks the bounds.
    pub fn check(self) -> Result<Self, FieldError> {
        if self.capacity_dose1 > MAX_CAPACITY || self.capacity_dose2 > MAX_CAPACITY {
            return Err(field("capacity", format!("at most {MAX_CAPACITY} seats per dose")));
        }
        Ok(self)
    }
}

#[cfg(test)]
mod tests;
