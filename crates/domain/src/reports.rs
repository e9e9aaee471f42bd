//! Reports and the public dashboard, as pure rules: the roll-up model, report queries as data,
//! the reference aggregation, coverage against targets, second doses due, small-cell
//! suppression, session reports and CSV.
//!
//! # Why roll-ups
//!
//! With 100 million doses a report cannot scan the doses: a national report must answer within
//! 200 ms and a district's within 50 ms while doses arrive at 1,000 a second and show in the
//! totals within 5 s.  So every dose is counted once, when it is recorded, into a roll-up: a
//! table of counters keyed by [`RollupKey`] (the dose's day, its facility and the facility's
//! block, district and state, vaccine, [`DoseBucket`], [`AgeGroup`], gender, priority group,
//! [`FacilityOwnership`] and [`Setting`]).  A report reads counters, never doses.
//!
//! The roll-up is incremental.  Recording a dose adds 1 to the counter of
//! [`RollupKey::for_dose`]; voiding it (the site's undo, an official's void) adds −1 to the
//! *same* key ([`DoseEvent::delta`]).  Addition commutes, so the counters equal a recount of
//! the live doses whatever order records, retries and voids arrive in (property-tested below),
//! and storage may fold a batch of events into one `UPDATE … SET doses = doses + n` per key in
//! the writer's transaction that records the doses.  Because a void must hit the key its dose
//! was counted under, storage keeps the key's facts with the dose (or the key itself): a
//! facility that later moves block or changes from private to government must not move its
//! past doses' counters, and recomputing the key from today's facility row would.
//!
//! The key's grain (day × facility × every dimension) can hold more rows than a coarser table
//! needs; storage may keep further roll-ups at coarser grains (state × day, district × day ×
//! dose, …), each a projection of this key, and answer a query from the smallest one that has
//! every dimension the [`ReportFilter`] and [`GroupBy`] use.  Whatever table answers, the
//! result must equal [`aggregate`] over the fine rows: that function is the specification, and
//! the "numbers agree" test of storage compares against it.
//!
//! # What the rest of the system builds on
//!
//! - [`ReportQuery::parse`] turns the query parameters of a page, a CSV or XLSX download and
//!   the JSON API into one [`ReportFilter`] and [`GroupBy`], with every field error at once, so
//!   the three ways of asking give the same numbers.
//! - [`apply_targets`] adds coverage percentages from uploaded [`Target`]s
//!   ([`Target::parse_row`], [`TargetSet::build`]).
//! - [`Suppression::apply`] hides small counts in what is published without login.
//! - [`PendingSecondKey`], [`SecondDoseStatus`] and [`DueCounts`] give the second doses due and
//!   overdue per area (who to call back), with the same incremental design.
//! - [`SessionReport::build`] summarises one session; [`render_csv`] writes any table.
//!
//! Time is passed in; nothing here reads a clock.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;

use chrono::{Datelike, Duration, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::admin::{Area, FacilityKind, FieldError, Place};
use crate::beneficiary::BirthYear;
use crate::country::{CountryPack, Policy};
use crate::date::parse_cowin_date;
use crate::ids::{CenterId, DistrictId, StateId};
use crate::inventory::{SessionUse, reconcile};
use crate::policy::PersonFacts;
use crate::vaccine::{DoseNumber, VaccineCode, VaccineDef};

/// The longest date range one report may cover, in days (three years): bounds a day series.
pub const MAX_RANGE_DAYS: i64 = 1_096;

/// The date range a report covers when the query gives no `from`: the 30 days ending `until`.
pub const DEFAULT_RANGE_DAYS: i64 = 30;

/// The longest priority group code (as `policy::check_group_rows` allows).
const MAX_GROUP_CODE: usize = 12;

fn field(name: &'static str, message: impl Into<String>) -> FieldError {
    FieldError { field: name, message: message.into() }
}

/// A block name in the one form keys, filters and targets use: trimmed, inner spaces collapsed,
/// upper case (the console compares block names case-insensitively, so `Haveli` and `HAVELI`
/// are one block).
pub fn normalize_block(name: &str) -> String {
    name.split_whitespace().collect::<Vec<_>>().join(" ").to_uppercase()
}

fn is_hindi(lang: &str) -> bool {
    lang.trim().to_ascii_lowercase().starts_with("hi")
}

// ---------------------------------------------------------------------------------------------
// Dimensions

/// Which dose of a person a dose is: the first, the second, or any later (precaution) dose.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DoseBucket {
    /// Dose 1.
    First,
    /// Dose 2.
    Second,
    /// Dose 3 or later (the precaution dose).
    Precaution,
}

impl DoseBucket {
    /// Every bucket, in dose order.
    pub const ALL: [DoseBucket; 3] =
        [DoseBucket::First, DoseBucket::Second, DoseBucket::Precaution];

    /// The bucket of a dose number: 1, 2, and 3 or more.
    pub fn of(dose: DoseNumber) -> Self {
        match dose.get() {
            0 | 1 => DoseBucket::First,
            2 => DoseBucket::Second,
            _ => DoseBucket::Precaution,
        }
    }

    /// Storage and API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            DoseBucket::First => "first",
            DoseBucket::Second => "second",
            DoseBucket::Precaution => "precaution",
        }
    }

    /// Parses the spelling, or `1`, `2`, `3` (case and surrounding spaces ignored).
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "first" | "1" => Some(DoseBucket::First),
            "second" | "2" => Some(DoseBucket::Second),
            "precaution" | "3" => Some(DoseBucket::Precaution),
            _ => None,
        }
    }

    /// The label shown in a report.
    pub fn label(self, lang: &str) -> &'static str {
        match (self, is_hindi(lang)) {
            (DoseBucket::First, false) => "Dose 1",
            (DoseBucket::Second, false) => "Dose 2",
            (DoseBucket::Precaution, false) => "Precaution dose",
            (DoseBucket::First, true) => "पहली खुराक",
            (DoseBucket::Second, true) => "दूसरी खुराक",
            (DoseBucket::Precaution, true) => "एहतियाती खुराक",
        }
    }
}

/// The age group a dose is counted in, by the age on the day of the dose (CoWIN's rule: the
/// year of the dose minus the birth year, [`BirthYear::age_in`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub enum AgeGroup {
    /// 0 to 11 (no campaign group yet; kept so every dose has a group).
    #[serde(rename = "0-11")]
    Under12,
    /// 12 to 14.
    #[serde(rename = "12-14")]
    From12To14,
    /// 15 to 17.
    #[serde(rename = "15-17")]
    From15To17,
    /// 18 to 44.
    #[serde(rename = "18-44")]
    From18To44,
    /// 45 to 59.
    #[serde(rename = "45-59")]
    From45To59,
    /// 60 and older.
    #[serde(rename = "60+")]
    From60,
}

impl AgeGroup {
    /// Every group, youngest first.
    pub const ALL: [AgeGroup; 6] = [
        AgeGroup::Under12,
        AgeGroup::From12To14,
        AgeGroup::From15To17,
        AgeGroup::From18To44,
        AgeGroup::From45To59,
        AgeGroup::From60,
    ];

    /// The group of an age in whole years (a negative age, a data error, counts as under 12).
    pub fn of(age_years: i32) -> Self {
        match age_years {
            ..=11 => AgeGroup::Under12,
            12..=14 => AgeGroup::From12To14,
            15..=17 => AgeGroup::From15To17,
            18..=44 => AgeGroup::From18To44,
            45..=59 => AgeGroup::From45To59,
            _ => AgeGroup::From60,
        }
    }

    /// The group of a person born in `birth_year`, on `date`.
    pub fn on(birth_year: BirthYear, date: NaiveDate) -> Self {
        Self::of(birth_year.age_in(date.year()))
    }

    /// Storage and API spelling (`12-14`, `60+`).
    pub fn as_str(self) -> &'static str {
        match self {
            AgeGroup::Under12 => "0-11",
            AgeGroup::From12To14 => "12-14",
            AgeGroup::From15To17 => "15-17",
            AgeGroup::From18To44 => "18-44",
            AgeGroup::From45To59 => "45-59",
            AgeGroup::From60 => "60+",
        }
    }

    /// Parses the spelling.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.as_str() == s.trim())
    }
}

/// Whether a facility is run by the government (free) or privately (paid), as a report
/// dimension.  The console's [`FacilityKind`] says the same of a facility (centres store it as
/// `kind`); this type adds the ordering report rows sort by.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FacilityOwnership {
    /// Government.
    Government,
    /// Private.
    Private,
}

impl FacilityOwnership {
    /// Both.
    pub const ALL: [FacilityOwnership; 2] =
        [FacilityOwnership::Government, FacilityOwnership::Private];

    /// Storage and API spelling (the console's).
    pub fn as_str(self) -> &'static str {
        FacilityKind::from(self).as_str()
    }

    /// Parses the spelling (`government`, `govt`, `private`; case ignored).
    pub fn parse(s: &str) -> Option<Self> {
        FacilityKind::parse(s).map(Self::from)
    }
}

impl From<FacilityKind> for FacilityOwnership {
    fn from(k: FacilityKind) -> Self {
        match k {
            FacilityKind::Government => FacilityOwnership::Government,
            FacilityKind::Private => FacilityOwnership::Private,
        }
    }
}

impl From<FacilityOwnership> for FacilityKind {
    fn from(o: FacilityOwnership) -> Self {
        match o {
            FacilityOwnership::Government => FacilityKind::Government,
            FacilityOwnership::Private => FacilityKind::Private,
        }
    }
}

/// Whether a facility serves an urban or a rural population.
///
/// Neither the country pack nor the facility record says so yet: a facility is `Unknown` until
/// the facility form gains a setting (filled from the Census 2011 / Local Government Directory
/// classification of the facility's village or town, which the pack generator can add per
/// pincode as a default).  Reports show `Unknown` as its own group rather than guess.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Setting {
    /// A town or city.
    Urban,
    /// A village.
    Rural,
    /// Not recorded.
    Unknown,
}

impl Setting {
    /// Every setting.
    pub const ALL: [Setting; 3] = [Setting::Urban, Setting::Rural, Setting::Unknown];

    /// Storage and API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Setting::Urban => "urban",
            Setting::Rural => "rural",
            Setting::Unknown => "unknown",
        }
    }

    /// Parses the spelling (case ignored).
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        Self::ALL.into_iter().find(|x| x.as_str().eq_ignore_ascii_case(s))
    }
}

/// The priority group a dose is counted in: the best-ranked group, open on the day of the dose,
/// of the policy version in force that day (`None` when the version has no groups or the person
/// is in none).  Call it when the dose is recorded and keep the answer with the dose.
pub fn priority_group_code(
    policy: &Policy,
    facts: &PersonFacts,
    date: NaiveDate,
) -> Option<String> {
    policy.groups_of(facts, date).into_iter().find(|g| g.is_open(date)).map(|g| g.code.clone())
}

fn valid_group_code(code: &str) -> bool {
    !code.is_empty()
        && code.chars().count() <= MAX_GROUP_CODE
        && !code.chars().any(char::is_whitespace)
}

// ---------------------------------------------------------------------------------------------
// The roll-up

/// What a dose's roll-up key is made of: the facts known when the dose is recorded.
#[derive(Debug, Clone, Copy)]
pub struct DoseFacts<'a> {
    /// The day the dose was given (the session's date, in the country's time zone).
    pub date: NaiveDate,
    /// The facility's state.
    pub state: StateId,
    /// The facility's district.
    pub district: DistrictId,
    /// The facility's block name (any spelling; normalised by [`normalize_block`]).
    pub block: &'a str,
    /// The facility.
    pub center: CenterId,
    /// Vaccine.
    pub vaccine: &'a VaccineCode,
    /// The dose number recorded.
    pub dose: DoseNumber,
    /// The person's birth year.
    pub birth_year: BirthYear,
    /// The person's gender id (the pack's ids: 1 male, 2 female, 3 others).
    pub gender_id: i64,
    /// The person's priority group code ([`priority_group_code`]).
    pub priority_group: Option<&'a str>,
    /// Government or private.
    pub ownership: FacilityOwnership,
    /// Urban or rural.
    pub setting: Setting,
}

/// The roll-up's key: one counter per distinct value.  Every dose maps to exactly one key.
///
/// Invariant (kept by [`RollupKey::for_dose`]): `block` is in [`normalize_block`] form and
/// `priority_group` is trimmed and never empty.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct RollupKey {
    /// The day of the dose.
    pub day: NaiveDate,
    /// State.
    pub state: StateId,
    /// District.
    pub district: DistrictId,
    /// Block name, normalised.
    pub block: String,
    /// Facility.  Sessions are below facilities: [`SessionReport`] covers them.
    pub center: CenterId,
    /// Vaccine.
    pub vaccine: VaccineCode,
    /// Dose 1, 2 or precaution.
    pub dose: DoseBucket,
    /// Age group on the day.
    pub age_group: AgeGroup,
    /// Gender id.
    pub gender_id: i64,
    /// Priority group code.
    pub priority_group: Option<String>,
    /// Government or private.
    pub ownership: FacilityOwnership,
    /// Urban or rural.
    pub setting: Setting,
}

impl RollupKey {
    /// The key a dose is counted under.
    pub fn for_dose(f: &DoseFacts<'_>) -> Self {
        RollupKey {
            day: f.date,
            state: f.state,
            district: f.district,
            block: normalize_block(f.block),
            center: f.center,
            vaccine: f.vaccine.clone(),
            dose: DoseBucket::of(f.dose),
            age_group: AgeGroup::on(f.birth_year, f.date),
            gender_id: f.gender_id,
            priority_group: f
                .priority_group
                .map(str::trim)
                .filter(|g| !g.is_empty())
                .map(str::to_owned),
            ownership: f.ownership,
            setting: f.setting,
        }
    }

    /// The facility's place, for area checks.
    pub fn place(&self) -> Place {
        Place {
            state: self.state,
            district: self.district,
            block: self.block.clone(),
            center: Some(self.center),
        }
    }
}

/// What happened to a dose, as the roll-up sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DoseEvent {
    /// The dose was recorded.
    Recorded,
    /// The dose was voided (undone at the site, or by an official).
    Voided,
}

impl DoseEvent {
    /// The change to the dose's counter: +1 or −1.
    pub fn delta(self) -> i64 {
        match self {
            DoseEvent::Recorded => 1,
            DoseEvent::Voided => -1,
        }
    }
}

/// The roll-up in memory: the reference model of the storage tables (and what tests recount
/// against).  A counter that returns to zero is removed, so two roll-ups with the same live
/// doses are equal.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Rollup {
    counters: BTreeMap<RollupKey, i64>,
}

impl Rollup {
    /// Adds `delta` doses under `key`.
    pub fn add(&mut self, key: &RollupKey, delta: i64) {
        let n = self.counters.entry(key.clone()).or_insert(0);
        *n += delta;
        if *n == 0 {
            self.counters.remove(key);
        }
    }

    /// Applies one dose event.
    pub fn apply(&mut self, key: &RollupKey, event: DoseEvent) {
        self.add(key, event.delta());
    }

    /// The counter of a key (0 when absent).
    pub fn get(&self, key: &RollupKey) -> i64 {
        self.counters.get(key).copied().unwrap_or(0)
    }

    /// Every non-zero counter, in key order: the input of [`aggregate`].
    pub fn rows(&self) -> Vec<(RollupKey, i64)> {
        self.counters.iter().map(|(k, n)| (k.clone(), *n)).collect()
    }
}

// ---------------------------------------------------------------------------------------------
// Queries

/// Which doses a report counts.  Dates are not part of [`ReportFilter::matches`]: a report
/// counts the doses of `from..=until`, and its cumulative figures every dose up to a day,
/// however early ([`aggregate`]).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportFilter {
    /// The area (a block's name is normalised).
    pub area: Area,
    /// First day, inclusive.
    pub from: NaiveDate,
    /// Last day, inclusive (`from <= until`, at most [`MAX_RANGE_DAYS`] days).
    pub until: NaiveDate,
    /// Only this dose bucket.
    pub dose: Option<DoseBucket>,
    /// Only this vaccine.
    pub vaccine: Option<VaccineCode>,
    /// Only this age group.
    pub age_group: Option<AgeGroup>,
    /// Only this gender id.
    pub gender_id: Option<i64>,
    /// Only this priority group (code compared case-insensitively).
    pub priority_group: Option<String>,
    /// Only government or only private facilities.
    pub ownership: Option<FacilityOwnership>,
    /// Only urban or only rural facilities.
    pub setting: Option<Setting>,
}

impl ReportFilter {
    /// A filter for the whole nation over `from..=until`, with no other restriction.
    pub fn nation(from: NaiveDate, until: NaiveDate) -> Self {
        ReportFilter {
            area: Area::National,
            from,
            until,
            dose: None,
            vaccine: None,
            age_group: None,
            gender_id: None,
            priority_group: None,
            ownership: None,
            setting: None,
        }
    }

    /// Whether a key is inside the area and every dimension restriction (dates aside).
    pub fn matches(&self, key: &RollupKey) -> bool {
        let in_area = match &self.area {
            Area::National => true,
            Area::State { state } => key.state == *state,
            Area::District { district, .. } => key.district == *district,
            Area::Block { district, block, .. } => {
                key.district == *district && key.block == normalize_block(block)
            }
            Area::Facility { center, .. } => key.center == *center,
        };
        in_area
            && self.dose.is_none_or(|d| d == key.dose)
            && self.vaccine.as_ref().is_none_or(|v| *v == key.vaccine)
            && self.age_group.is_none_or(|a| a == key.age_group)
            && self.gender_id.is_none_or(|g| g == key.gender_id)
            && self.priority_group.as_deref().is_none_or(|p| {
                key.priority_group.as_deref().is_some_and(|k| k.eq_ignore_ascii_case(p))
            })
            && self.ownership.is_none_or(|k| k == key.ownership)
            && self.setting.is_none_or(|s| s == key.setting)
    }
}

/// What a report's rows are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    /// One row: the total.
    Total,
    /// One row per day of the range, with zero days, and the cumulative total.
    Day,
    /// One row per area one level below the filter's: states of the nation, districts of a
    /// state, blocks of a district, facilities of a block (a facility gives itself).
    Area,
    /// Per dose bucket.
    Dose,
    /// Per vaccine.
    Vaccine,
    /// Per age group.
    AgeGroup,
    /// Per gender id.
    Gender,
    /// Per priority group (doses without one form their own row).
    PriorityGroup,
    /// Government and private.
    Ownership,
    /// Urban, rural, unknown.
    Setting,
}

impl GroupBy {
    /// Every grouping.
    pub const ALL: [GroupBy; 10] = [
        GroupBy::Total,
        GroupBy::Day,
        GroupBy::Area,
        GroupBy::Dose,
        GroupBy::Vaccine,
        GroupBy::AgeGroup,
        GroupBy::Gender,
        GroupBy::PriorityGroup,
        GroupBy::Ownership,
        GroupBy::Setting,
    ];

    /// Storage and API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            GroupBy::Total => "total",
            GroupBy::Day => "day",
            GroupBy::Area => "area",
            GroupBy::Dose => "dose",
            GroupBy::Vaccine => "vaccine",
            GroupBy::AgeGroup => "age_group",
            GroupBy::Gender => "gender",
            GroupBy::PriorityGroup => "priority_group",
            GroupBy::Ownership => "facility_type",
            GroupBy::Setting => "setting",
        }
    }

    /// Parses the spelling.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|g| g.as_str() == s.trim())
    }

    /// The group of a key under this grouping, inside `area` (the filter's).
    pub fn group_of(self, key: &RollupKey, area: &Area) -> GroupValue {
        match self {
            GroupBy::Total => GroupValue::Total,
            GroupBy::Day => GroupValue::Day(key.day),
            GroupBy::Area => match area {
                Area::National => GroupValue::State(key.state),
                Area::State { .. } => GroupValue::District(key.district),
                Area::District { .. } => {
                    GroupValue::Block { district: key.district, block: key.block.clone() }
                }
                Area::Block { .. } | Area::Facility { .. } => GroupValue::Facility(key.center),
            },
            GroupBy::Dose => GroupValue::Dose(key.dose),
            GroupBy::Vaccine => GroupValue::Vaccine(key.vaccine.clone()),
            GroupBy::AgeGroup => GroupValue::AgeGroup(key.age_group),
            GroupBy::Gender => GroupValue::Gender(key.gender_id),
            GroupBy::PriorityGroup => GroupValue::PriorityGroup(key.priority_group.clone()),
            GroupBy::Ownership => GroupValue::Ownership(key.ownership),
            GroupBy::Setting => GroupValue::Setting(key.setting),
        }
    }

    /// The title of the group column.
    pub fn title(self, lang: &str) -> &'static str {
        match (self, is_hindi(lang)) {
            (GroupBy::Total, false) => "Total",
            (GroupBy::Day, false) => "Date",
            (GroupBy::Area, false) => "Area",
            (GroupBy::Dose, false) => "Dose",
            (GroupBy::Vaccine, false) => "Vaccine",
            (GroupBy::AgeGroup, false) => "Age group",
            (GroupBy::Gender, false) => "Gender",
            (GroupBy::PriorityGroup, false) => "Priority group",
            (GroupBy::Ownership, false) => "Facility type",
            (GroupBy::Setting, false) => "Urban/rural",
            (GroupBy::Total, true) => "कुल",
            (GroupBy::Day, true) => "तारीख",
            (GroupBy::Area, true) => "क्षेत्र",
            (GroupBy::Dose, true) => "खुराक",
            (GroupBy::Vaccine, true) => "टीका",
            (GroupBy::AgeGroup, true) => "आयु वर्ग",
            (GroupBy::Gender, true) => "लिंग",
            (GroupBy::PriorityGroup, true) => "प्राथमिकता समूह",
            (GroupBy::Ownership, true) => "केंद्र का प्रकार",
            (GroupBy::Setting, true) => "शहरी/ग्रामीण",
        }
    }
}

/// The value a report row stands for.  Rows sort by it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(tag = "by", content = "value", rename_all = "snake_case")]
pub enum GroupValue {
    /// The total.
    Total,
    /// A day.
    Day(NaiveDate),
    /// A state.
    State(StateId),
    /// A district.
    District(DistrictId),
    /// A block of a district (block names are unique only within their district).
    Block {
        /// District.
        district: DistrictId,
        /// Block name, normalised.
        block: String,
    },
    /// A facility.
    Facility(CenterId),
    /// A dose bucket.
    Dose(DoseBucket),
    /// A vaccine.
    Vaccine(VaccineCode),
    /// An age group.
    AgeGroup(AgeGroup),
    /// A gender id.
    Gender(i64),
    /// A priority group code, or none.
    PriorityGroup(Option<String>),
    /// Government or private.
    Ownership(FacilityOwnership),
    /// Urban, rural or unknown.
    Setting(Setting),
}

impl GroupValue {
    /// The stable, machine-readable value of the group (ids, codes, `YYYY-MM-DD`), used in the
    /// CSV's first column and by charts as a key.
    pub fn code(&self) -> String {
        match self {
            GroupValue::Total => "total".to_owned(),
            GroupValue::Day(d) => d.format("%Y-%m-%d").to_string(),
            GroupValue::State(s) => s.to_string(),
            GroupValue::District(d) => d.to_string(),
            GroupValue::Block { district, block } => format!("{district}/{block}"),
            GroupValue::Facility(c) => c.to_string(),
            GroupValue::Dose(d) => d.as_str().to_owned(),
            GroupValue::Vaccine(v) => v.as_str().to_owned(),
            GroupValue::AgeGroup(a) => a.as_str().to_owned(),
            GroupValue::Gender(g) => g.to_string(),
            GroupValue::PriorityGroup(p) => p.clone().unwrap_or_default(),
            GroupValue::Ownership(k) => k.as_str().to_owned(),
            GroupValue::Setting(s) => s.as_str().to_owned(),
        }
    }

    /// The label the domain knows on its own (dose, kind, setting, names from the pack);
    /// `None` for what only storage can name (facilities).
    pub fn label(&self, pack: &CountryPack, lang: &str) -> Option<String> {
        let hi = is_hindi(lang);
        let pick =
            |en: &str, l: &str| if hi && !l.is_empty() { l.to_owned() } else { en.to_owned() };
        match self {
            GroupValue::Total => Some(GroupBy::Total.title(lang).to_owned()),
            GroupValue::Day(d) => Some(crate::date::format_cowin_date(*d)),
            GroupValue::State(s) => pack.state(*s).map(|s| pick(&s.name, &s.name_l)),
            GroupValue::District(d) => pack.district(*d).map(|d| d.name.clone()),
            GroupValue::Block { block, .. } => Some(block.clone()),
            GroupValue::Facility(_) => None,
            GroupValue::Dose(d) => Some(d.label(lang).to_owned()),
            GroupValue::Vaccine(v) => {
                Some(pack.vaccine(v).map_or_else(|| v.as_str().to_owned(), |d| d.name.clone()))
            }
            GroupValue::AgeGroup(a) => Some(a.as_str().to_owned()),
            GroupValue::Gender(g) => pack.gender(*g).map(|g| pick(&g.name, &g.name_l)),
            GroupValue::PriorityGroup(None) => Some(if hi { "कोई नहीं" } else { "None" }.to_owned()),
            GroupValue::PriorityGroup(Some(p)) => Some(p.clone()),
            GroupValue::Ownership(k) => Some(
                match (k, hi) {
                    (FacilityOwnership::Government, false) => "Government",
                    (FacilityOwnership::Private, false) => "Private",
                    (FacilityOwnership::Government, true) => "सरकारी",
                    (FacilityOwnership::Private, true) => "निजी",
                }
                .to_owned(),
            ),
            GroupValue::Setting(s) => Some(
                match (s, hi) {
                    (Setting::Urban, false) => "Urban",
                    (Setting::Rural, false) => "Rural",
                    (Setting::Unknown, false) => "Not recorded",
                    (Setting::Urban, true) => "शहरी",
                    (Setting::Rural, true) => "ग्रामीण",
                    (Setting::Unknown, true) => "दर्ज नहीं",
                }
                .to_owned(),
            ),
        }
    }
}

/// One row of a report.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportRow {
    /// What the row stands for.
    pub group: GroupValue,
    /// Doses of the group in `from..=until` (for a day: that day's doses).
    pub doses: i64,
    /// Doses of the group from the first dose ever up to `until` (for a day: up to that day),
    /// whatever `from` says: the figure coverage is computed from.
    pub cumulative: i64,
    /// `cumulative` as a share of the target population, when a target applies
    /// ([`apply_targets`]); [`aggregate`] leaves it `None`.
    pub coverage_percent: Option<f64>,
}

/// A report query: which doses, and what the rows are.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ReportQuery {
    /// Which doses.
    pub filter: ReportFilter,
    /// What the rows are.
    pub group_by: GroupBy,
}

/// The facility a query names in its `center` parameter, if any: the server looks its place up
/// and passes it to [`ReportQuery::parse`] (the pack does not know facilities).
pub fn requested_center<K: AsRef<str>, V: AsRef<str>>(params: &[(K, V)]) -> Option<CenterId> {
    params
        .iter()
        .rev()
        .find(|(k, _)| k.as_ref() == "center")
        .and_then(|(_, v)| v.as_ref().parse::<CenterId>().ok())
}

impl ReportQuery {
    /// The parameters a query understands; others (`lang`, `format`, …) are ignored.
    pub const PARAMS: [&'static str; 14] = [
        "state",
        "district",
        "block",
        "center",
        "from",
        "until",
        "dose",
        "vaccine",
        "age_group",
        "gender",
        "priority_group",
        "facility_type",
        "setting",
        "group_by",
    ];

    /// Parses query parameters, reporting every bad field at once.
    ///
    /// The area is the most specific place given: `center` (whose place the server looked up,
    /// `facility`), else `block` (needs `district`), else `district` (its state is the pack's;
    /// a `state` given too must agree), else `state`, else the nation.  Dates are `YYYY-MM-DD`
    /// (or CoWIN's `DD-MM-YYYY`); `until` defaults to `today` and `from` to the
    /// [`DEFAULT_RANGE_DAYS`] days ending `until`.  `group_by` defaults to `day`.  An empty
    /// value counts as absent (a form's "any"); a parameter given twice is an error.
    pub fn parse<K: AsRef<str>, V: AsRef<str>>(
        params: &[(K, V)],
        pack: &CountryPack,
        facility: Option<&Place>,
        today: NaiveDate,
    ) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let mut values: HashMap<&'static str, &str> = HashMap::new();
        for (k, v) in params {
            let (k, v) = (k.as_ref(), v.as_ref().trim());
            let Some(name) = Self::PARAMS.into_iter().find(|p| *p == k) else { continue };
            if v.is_empty() {
                continue;
            }
            if values.insert(name, v).is_some()
                && !errors.iter().any(|e: &FieldError| e.field == name)
            {
                errors.push(field(name, "given more than once"));
            }
        }
        let get = |name: &str| values.get(name).copied();

        let area = parse_area(&get, pack, facility, &mut errors);

        let date = |name: &'static str, errors: &mut Vec<FieldError>| {
            get(name).and_then(|s| match parse_cowin_date(s) {
                Ok(d) => Some(d),
                Err(_) => {
                    errors.push(field(name, "must be a date YYYY-MM-DD"));
                    None
                }
            })
        };
        let dates_before = errors.len();
        let until = date("until", &mut errors).unwrap_or(today);
        let from = date("from", &mut errors)
            .unwrap_or_else(|| until - Duration::days(DEFAULT_RANGE_DAYS - 1));
        if errors.len() > dates_before {
            // A range from a date that did not parse would only repeat the error.
        } else if from > until {
            errors.push(field("from", "must not be after the last date"));
        } else if (until - from).num_days() >= MAX_RANGE_DAYS {
            errors.push(field("from", format!("a report covers at most {MAX_RANGE_DAYS} days")));
        }

        let dose = get("dose").and_then(|s| {
            DoseBucket::parse(s).or_else(|| {
                errors.push(field("dose", "must be first, second or precaution"));
                None
            })
        });
        let vaccine = get("vaccine").and_then(|s| {
            match VaccineCode::parse(s).ok().filter(|c| pack.vaccine(c).is_some()) {
                Some(c) => Some(c),
                None => {
                    errors.push(field("vaccine", "unknown vaccine"));
                    None
                }
            }
        });
        let age_group = get("age_group").and_then(|s| {
            AgeGroup::parse(s).or_else(|| {
                errors.push(field("age_group", "must be 0-11, 12-14, 15-17, 18-44, 45-59 or 60+"));
                None
            })
        });
        let gender_id =
            get("gender").and_then(|s| match s.parse::<i64>().ok().and_then(|g| pack.gender(g)) {
                Some(g) => Some(g.id),
                None => {
                    errors.push(field("gender", "unknown gender"));
                    None
                }
            });
        let priority_group = get("priority_group").and_then(|s| {
            if valid_group_code(s) {
                Some(s.to_owned())
            } else {
                errors.push(field("priority_group", "must be a group code without spaces"));
                None
            }
        });
        let ownership = get("facility_type").and_then(|s| {
            FacilityOwnership::parse(s).or_else(|| {
                errors.push(field("facility_type", "must be government or private"));
                None
            })
        });
        let setting = get("setting").and_then(|s| {
            Setting::parse(s).or_else(|| {
                errors.push(field("setting", "must be urban, rural or unknown"));
                None
            })
        });
        let group_by = match get("group_by") {
            None => GroupBy::Day,
            Some(s) => GroupBy::parse(s).unwrap_or_else(|| {
                let all: Vec<&str> = GroupBy::ALL.iter().map(|g| g.as_str()).collect();
                errors.push(field("group_by", format!("must be one of {}", all.join(", "))));
                GroupBy::Day
            }),
        };
        match area {
            Some(area) if errors.is_empty() => Ok(ReportQuery {
                filter: ReportFilter {
                    area,
                    from,
                    until,
                    dose,
                    vaccine,
                    age_group,
                    gender_id,
                    priority_group,
                    ownership,
                    setting,
                },
                group_by,
            }),
            _ => Err(errors),
        }
    }
}

/// The area of a query; pushes its errors and gives `None` when there are any.
fn parse_area<'a>(
    get: &dyn Fn(&str) -> Option<&'a str>,
    pack: &CountryPack,
    facility: Option<&Place>,
    errors: &mut Vec<FieldError>,
) -> Option<Area> {
    let before = errors.len();
    let state = get("state").and_then(|s| {
        match s.parse::<StateId>().ok().filter(|id| pack.state(*id).is_some()) {
            Some(id) => Some(id),
            None => {
                errors.push(field("state", "unknown state"));
                None
            }
        }
    });
    let district = get("district").and_then(|s| {
        match s.parse::<DistrictId>().ok().and_then(|id| pack.district(id)) {
            Some(d) if state.is_some_and(|s| s != d.state_id) => {
                errors.push(field("district", "is not in the state"));
                None
            }
            Some(d) => Some((d.state_id, d.id)),
            None => {
                errors.push(field("district", "unknown district"));
                None
            }
        }
    });
    let block = get("block").map(normalize_block);
    if block.is_some() && get("district").is_none() {
        errors.push(field("block", "a block needs its district"));
    }
    let area = if let Some(raw) = get("center") {
        match (raw.parse::<CenterId>(), facility) {
            (Ok(c), Some(p)) if p.center == Some(c) => {
                let disagrees = state.is_some_and(|s| s != p.state)
                    || district.is_some_and(|(_, d)| d != p.district)
                    || block.as_ref().is_some_and(|b| *b != normalize_block(&p.block));
                if disagrees {
                    errors.push(field("center", "is not in the area given"));
                }
                Some(Area::Facility {
                    state: p.state,
                    district: p.district,
                    block: normalize_block(&p.block),
                    center: c,
                })
            }
            _ => {
                errors.push(field("center", "unknown facility"));
                None
            }
        }
    } else if let Some(block) = block {
        district.map(|(state, district)| Area::Block { state, district, block })
    } else if let Some((state, district)) = district {
        Some(Area::District { state, district })
    } else {
        state.map(|state| Area::State { state }).or(Some(Area::National))
    };
    if errors.len() > before { None } else { area }
}

/// The reference aggregation: the report of `filter` grouped by `group_by`, from roll-up rows.
///
/// Every row sums the counters of the keys that [`ReportFilter::matches`] and that fall in its
/// group: `doses` over the days `from..=until`, `cumulative` over every day up to `until` (for
/// a day series, up to the row's day).  A day series has one row per day of the range, zero
/// days included; other groupings list the groups with a non-zero `doses` or `cumulative`,
/// sorted by [`GroupValue`].  Storage's answers must equal this function's for the same rows.
pub fn aggregate(
    rows: &[(RollupKey, i64)],
    filter: &ReportFilter,
    group_by: GroupBy,
) -> Vec<ReportRow> {
    let row =
        |group, doses, cumulative| ReportRow { group, doses, cumulative, coverage_percent: None };
    if group_by == GroupBy::Day {
        let mut opening = 0i64;
        let mut per_day: BTreeMap<NaiveDate, i64> = BTreeMap::new();
        for (key, n) in rows.iter().filter(|(k, _)| k.day <= filter.until && filter.matches(k)) {
            if key.day < filter.from {
                opening += n;
            } else {
                *per_day.entry(key.day).or_insert(0) += n;
            }
        }
        let mut running = opening;
        return filter
            .from
            .iter_days()
            .take_while(|d| *d <= filter.until)
            .map(|d| {
                let doses = per_day.get(&d).copied().unwrap_or(0);
                running += doses;
                row(GroupValue::Day(d), doses, running)
            })
            .collect();
    }
    let mut sums: BTreeMap<GroupValue, (i64, i64)> = BTreeMap::new();
    for (key, n) in rows.iter().filter(|(k, _)| k.day <= filter.until && filter.matches(k)) {
        let sum = sums.entry(group_by.group_of(key, &filter.area)).or_insert((0, 0));
        sum.1 += n;
        if key.day >= filter.from {
            sum.0 += n;
        }
    }
    if group_by == GroupBy::Total {
        sums.entry(GroupValue::Total).or_insert((0, 0));
        return sums.into_iter().map(|(g, (d, c))| row(g, d, c)).collect();
    }
    sums.into_iter()
        .filter(|(_, (d, c))| *d != 0 || *c != 0)
        .map(|(g, (d, c))| row(g, d, c))
        .collect()
}

// ---------------------------------------------------------------------------------------------
// Coverage

/// `doses` as a percentage of `target`, rounded to one decimal; `None` without a target (or a
/// target of zero).  May exceed 100 (people vaccinated outside their area, a stale target).
pub fn coverage_percent(doses: i64, target: u64) -> Option<f64> {
    if target == 0 {
        return None;
    }
    Some((doses as f64 * 1000.0 / target as f64).round() / 10.0)
}

/// The eligible population of an area: the denominator of coverage.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Target {
    /// The area: nation, state, district or block (a facility has no population).
    pub area: Area,
    /// The age group the population is of; `None`: every eligible age.
    pub age_group: Option<AgeGroup>,
    /// The dose the population is eligible for, when it differs by dose (the precaution dose
    /// is for fewer people); `None`: every dose.
    pub dose: Option<DoseBucket>,
    /// Eligible people.
    pub population_eligible: u64,
}

/// The columns of a target upload, in order.
pub const TARGET_COLUMNS: [&str; 6] =
    ["state", "district", "block", "age_group", "dose", "population_eligible"];

/// The largest population a target row may give (more than any country's).
pub const MAX_POPULATION: u64 = 2_000_000_000;

impl Target {
    /// Checks an upload's header row: exactly [`TARGET_COLUMNS`] (case and spaces ignored).
    pub fn check_header<S: AsRef<str>>(cells: &[S]) -> Result<(), FieldError> {
        let got: Vec<String> =
            cells.iter().map(|c| c.as_ref().trim().to_ascii_lowercase()).collect();
        if got == TARGET_COLUMNS {
            Ok(())
        } else {
            Err(field("header", format!("the columns must be {}", TARGET_COLUMNS.join(","))))
        }
    }

    /// Parses one data row of a target upload, cells in [`TARGET_COLUMNS`] order, reporting
    /// every bad field at once.  An empty `state` means the nation, an empty `district` the
    /// state, an empty `block` the district; `age_group` and `dose` may be empty.  The
    /// population may be written with thousands separators (`1,23,456`).
    pub fn parse_row<S: AsRef<str>>(
        cells: &[S],
        pack: &CountryPack,
    ) -> Result<Target, Vec<FieldError>> {
        let mut errors = Vec::new();
        let cell = |i: usize| cells.get(i).map_or("", |c| c.as_ref().trim());
        if cells.len() > TARGET_COLUMNS.len()
            && cells[TARGET_COLUMNS.len()..].iter().any(|c| !c.as_ref().trim().is_empty())
        {
            errors.push(field("row", format!("at most {} columns", TARGET_COLUMNS.len())));
        }
        let number = |s: &str| s.strip_suffix(".0").unwrap_or(s).to_owned();
        let state = match cell(0) {
            "" => None,
            s => match number(s).parse::<StateId>().ok().filter(|id| pack.state(*id).is_some()) {
                Some(id) => Some(id),
                None => {
                    errors.push(field("state", "unknown state"));
                    None
                }
            },
        };
        let district = match cell(1) {
            "" => None,
            s => match number(s).parse::<DistrictId>().ok().and_then(|id| pack.district(id)) {
                Some(d) if state.is_some_and(|s| s != d.state_id) => {
                    errors.push(field("district", "is not in the state"));
                    None
                }
                Some(_) if cell(0).is_empty() => {
                    errors.push(field("state", "a district needs its state"));
                    None
                }
                Some(d) => Some(d.id),
                None => {
                    errors.push(field("district", "unknown district"));
                    None
                }
            },
        };
        let block = match cell(2) {
            "" => None,
            _ if cell(1).is_empty() => {
                errors.push(field("block", "a block needs its district"));
                None
            }
            b if b.chars().count() > 80 => {
                errors.push(field("block", "at most 80 characters"));
                None
            }
            b => Some(normalize_block(b)),
        };
        let age_group = match cell(3) {
            "" => None,
            s => AgeGroup::parse(s).or_else(|| {
                errors.push(field("age_group", "must be 0-11, 12-14, 15-17, 18-44, 45-59 or 60+"));
                None
            }),
        };
        let dose = match cell(4) {
            "" => None,
            s => DoseBucket::parse(s).or_else(|| {
                errors.push(field("dose", "must be first, second or precaution"));
                None
            }),
        };
        let digits: String = cell(5).chars().filter(|c| *c != ',' && *c != '_').collect();
        let population = match number(&digits).parse::<u64>() {
            Ok(n) if (1..=MAX_POPULATION).contains(&n) => Some(n),
            _ => {
                errors.push(field(
                    "population_eligible",
                    format!("must be a whole number from 1 to {MAX_POPULATION}"),
                ));
                None
            }
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        let area = match (state, district, block) {
            (None, _, _) => Area::National,
            (Some(state), None, _) => Area::State { state },
            (Some(state), Some(district), None) => Area::District { state, district },
            (Some(state), Some(district), Some(block)) => Area::Block { state, district, block },
        };
        match population {
            Some(population_eligible) => Ok(Target { area, age_group, dose, population_eligible }),
            None => Err(errors),
        }
    }
}

/// The targets in force, at most one per (area, age group, dose).
#[derive(Debug, Clone, Default, PartialEq)]
pub struct TargetSet {
    targets: HashMap<(Area, Option<AgeGroup>, Option<DoseBucket>), u64>,
}

impl TargetSet {
    /// Builds the set from an upload's rows (in file order), refusing repeats: each repeat is
    /// reported with both data rows (numbered from 1) and nothing is built.
    pub fn build(rows: Vec<Target>) -> Result<Self, Vec<FieldError>> {
        let mut seen: HashMap<(Area, Option<AgeGroup>, Option<DoseBucket>), usize> = HashMap::new();
        let mut targets = HashMap::new();
        let mut errors = Vec::new();
        for (i, t) in rows.into_iter().enumerate() {
            let mut area = t.area;
            if let Area::Block { block, .. } = &mut area {
                *block = normalize_block(block);
            }
            if matches!(area, Area::Facility { .. }) {
                errors.push(field("area", format!("row {}: a facility has no target", i + 1)));
                continue;
            }
            let key = (area, t.age_group, t.dose);
            if let Some(first) = seen.get(&key) {
                errors.push(field(
                    "area",
                    format!("row {} repeats the area, age group and dose of row {first}", i + 1),
                ));
                continue;
            }
            seen.insert(key.clone(), i + 1);
            targets.insert(key, t.population_eligible);
        }
        if errors.is_empty() { Ok(TargetSet { targets }) } else { Err(errors) }
    }

    /// The eligible population for a dose bucket and age group of an area: the target given
    /// for that dose, else the one given for every dose.
    pub fn find(&self, area: &Area, age_group: Option<AgeGroup>, dose: DoseBucket) -> Option<u64> {
        let mut area = area.clone();
        if let Area::Block { block, .. } = &mut area {
            *block = normalize_block(block);
        }
        let key = (area, age_group, Some(dose));
        self.targets
            .get(&key)
            .copied()
            .or_else(|| self.targets.get(&(key.0, age_group, None)).copied())
    }
}

/// Fills `coverage_percent` of report rows from targets.
///
/// Coverage needs a denominator that matches the numerator: the row's dose bucket must be
/// known (a `dose` filter, or rows by dose), and neither the filter nor the grouping may narrow
/// the doses by vaccine, gender, priority group, facility type or setting (no population is
/// known for those).  The row's area is its group when grouped by area (facilities have no
/// target), else the filter's; its age group is its group's, else the filter's.  A day series
/// gets coverage from each day's cumulative figure.
pub fn apply_targets(rows: &mut [ReportRow], filter: &ReportFilter, targets: &TargetSet) {
    let narrowed = filter.vaccine.is_some()
        || filter.gender_id.is_some()
        || filter.priority_group.is_some()
        || filter.ownership.is_some()
        || filter.setting.is_some();
    for row in rows.iter_mut() {
        row.coverage_percent = None;
        if narrowed {
            continue;
        }
        let (area, dose, age) = match &row.group {
            GroupValue::Total | GroupValue::Day(_) => {
                (Some(filter.area.clone()), filter.dose, filter.age_group)
            }
            GroupValue::State(state) => {
                (Some(Area::State { state: *state }), filter.dose, filter.age_group)
            }
            GroupValue::District(district) => (
                filter.area.state().map(|state| Area::District { state, district: *district }),
                filter.dose,
                filter.age_group,
            ),
            GroupValue::Block { district, block } => (
                filter.area.state().map(|state| Area::Block {
                    state,
                    district: *district,
                    block: block.clone(),
                }),
                filter.dose,
                filter.age_group,
            ),
            GroupValue::Dose(d) => (Some(filter.area.clone()), Some(*d), filter.age_group),
            GroupValue::AgeGroup(a) => (Some(filter.area.clone()), filter.dose, Some(*a)),
            _ => (None, None, None),
        };
        if let (Some(area), Some(dose)) = (area, dose)
            && !matches!(area, Area::Facility { .. })
        {
            row.coverage_percent =
                targets.find(&area, age, dose).and_then(|t| coverage_percent(row.cumulative, t));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Second doses due

/// Where a person stands for their second dose on a day.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SecondDoseStatus {
    /// Before the earliest day of the interval.
    NotDueYet,
    /// Inside the interval: may come now.
    Due,
    /// Past the latest day of the interval: call them back.
    Overdue,
}

impl SecondDoseStatus {
    /// The status on `today` of a person whose first dose was on `first_dose`, for an interval
    /// of `min_days..=max_days` (no minimum: due at once; no maximum: never overdue).
    pub fn of(
        first_dose: NaiveDate,
        min_days: Option<u32>,
        max_days: Option<u32>,
        today: NaiveDate,
    ) -> Self {
        let waited = (today - first_dose).num_days();
        if waited < i64::from(min_days.unwrap_or(0)) {
            SecondDoseStatus::NotDueYet
        } else if max_days.is_some_and(|max| waited > i64::from(max)) {
            SecondDoseStatus::Overdue
        } else {
            SecondDoseStatus::Due
        }
    }

    /// The status for a vaccine of the catalogue under a policy version (whose interval
    /// overrides win, `eligibility::interval_window`); `None` for a single-dose vaccine.
    pub fn for_vaccine(
        first_dose: NaiveDate,
        vaccine: &VaccineDef,
        policy: &Policy,
        today: NaiveDate,
    ) -> Option<Self> {
        if vaccine.doses_in_series < 2 {
            return None;
        }
        let (min, max) = crate::eligibility::interval_window(policy, vaccine);
        Some(Self::of(first_dose, min, max, today))
    }
}

/// The day thresholds of [`SecondDoseStatus::of`] as storage queries want them: a pending
/// first dose on or before `due_on_or_before` is due or overdue; one before `overdue_before` is
/// overdue.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DueCutoffs {
    /// Latest first-dose day that is due (or overdue) today.
    pub due_on_or_before: NaiveDate,
    /// First-dose days before this one are overdue; `None`: never overdue.
    pub overdue_before: Option<NaiveDate>,
}

impl DueCutoffs {
    /// The cutoffs on `today` for an interval of `min_days..=max_days`.
    pub fn on(today: NaiveDate, min_days: Option<u32>, max_days: Option<u32>) -> Self {
        DueCutoffs {
            due_on_or_before: today - Duration::days(i64::from(min_days.unwrap_or(0))),
            overdue_before: max_days.map(|max| today - Duration::days(i64::from(max))),
        }
    }
}

/// The key of the roll-up of people waiting for their second dose: the first dose's place,
/// vaccine and day.
///
/// It is kept incrementally like [`RollupKey`]: +1 when a first dose is recorded, −1 when that
/// first dose is voided, −1 when the person's second dose is recorded and +1 when that second
/// dose is voided, always under the key of the person's *first* dose (its facility is where
/// the call-back list belongs).  Counts by [`SecondDoseStatus`] then need no person rows:
/// [`DueCounts::by_area`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct PendingSecondKey {
    /// The day of the first dose.
    pub first_dose_day: NaiveDate,
    /// State of the first dose's facility.
    pub state: StateId,
    /// District.
    pub district: DistrictId,
    /// Block name, normalised.
    pub block: String,
    /// Facility.
    pub center: CenterId,
    /// Vaccine.
    pub vaccine: VaccineCode,
}

impl PendingSecondKey {
    /// The pending key of a first dose's roll-up key; `None` for any other dose.
    pub fn of_first_dose(key: &RollupKey) -> Option<Self> {
        (key.dose == DoseBucket::First).then(|| PendingSecondKey {
            first_dose_day: key.day,
            state: key.state,
            district: key.district,
            block: key.block.clone(),
            center: key.center,
            vaccine: key.vaccine.clone(),
        })
    }
}

/// People waiting for their second dose, by status.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DueCounts {
    /// Not due yet.
    pub not_due_yet: i64,
    /// Due now.
    pub due: i64,
    /// Overdue: to call back.
    pub overdue: i64,
}

impl DueCounts {
    /// Counts by area one level below `area` (as [`GroupBy::Area`]), sorted, from pending rows.
    /// `windows` gives each two-dose vaccine's interval (`eligibility::interval_window`);
    /// rows of other vaccines are skipped.  Groups whose counts are all zero are left out.
    pub fn by_area(
        rows: &[(PendingSecondKey, i64)],
        area: &Area,
        windows: &HashMap<VaccineCode, (Option<u32>, Option<u32>)>,
        today: NaiveDate,
    ) -> Vec<(GroupValue, DueCounts)> {
        let mut out: BTreeMap<GroupValue, DueCounts> = BTreeMap::new();
        let in_area = ReportFilter { area: area.clone(), ..ReportFilter::nation(today, today) };
        for (key, n) in rows {
            let Some((min, max)) = windows.get(&key.vaccine) else { continue };
            let as_rollup = RollupKey {
                day: key.first_dose_day,
                state: key.state,
                district: key.district,
                block: key.block.clone(),
                center: key.center,
                vaccine: key.vaccine.clone(),
                dose: DoseBucket::First,
                age_group: AgeGroup::Under12,
                gender_id: 0,
                priority_group: None,
                ownership: FacilityOwnership::Government,
                setting: Setting::Unknown,
            };
            if !in_area.matches(&as_rollup) {
                continue;
            }
            let counts = out.entry(GroupBy::Area.group_of(&as_rollup, area)).or_default();
            match SecondDoseStatus::of(key.first_dose_day, *min, *max, today) {
                SecondDoseStatus::NotDueYet => counts.not_due_yet += n,
                SecondDoseStatus::Due => counts.due += n,
                SecondDoseStatus::Overdue => counts.overdue += n,
            }
        }
        out.into_iter().filter(|(_, c)| *c != DueCounts::default()).collect()
    }
}

// ---------------------------------------------------------------------------------------------
// Small-cell suppression

/// Small-cell suppression for what is published without login: no count under `threshold`
/// (other than zero) is shown, so no one can be singled out.
///
/// The rules, for one table (the rows of one report and their total):
/// 1. Primary: a cell with `0 < count < threshold` is hidden (`None`).  Zero is shown: it says
///    no one, which singles no one out.
/// 2. The total is hidden when `0 < total < threshold`.
/// 3. Complementary: when exactly one cell of a column is hidden and its total is shown, the
///    total minus the shown cells would give the hidden one back; so the smallest non-zero
///    shown cell is hidden too (if there is none, the total is hidden instead).
/// 4. In a day series, a cumulative figure minus the one before is that day's count, so the
///    cumulative column is hidden from the first day on which a daily count or a cumulative
///    figure is hidden.
/// 5. Coverage is hidden with the cumulative figure it comes from.
///
/// Columns are suppressed independently.  What this cannot stop is differencing across
/// queries (two date ranges, a block and its district, the cumulative figure of a row minus its
/// doses): the public API therefore serves fixed tables only (national, state and district
/// levels, whole days, `from` the start of the campaign), and the internal console uses
/// [`Suppression::NONE`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suppression {
    /// Counts below this (and above zero) are hidden.
    pub threshold: i64,
}

/// A report row as published: hidden counts are `None`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublishedRow {
    /// What the row stands for.
    pub group: GroupValue,
    /// Doses, unless hidden.
    pub doses: Option<i64>,
    /// Cumulative doses, unless hidden.
    pub cumulative: Option<i64>,
    /// Coverage, unless hidden or unknown.
    pub coverage_percent: Option<f64>,
}

/// A published table: its rows and the totals of its columns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PublishedTable {
    /// The rows.
    pub rows: Vec<PublishedRow>,
    /// The sum of the doses column, unless hidden.
    pub total_doses: Option<i64>,
    /// The sum of the cumulative column, unless hidden; `None` for a day series, whose last
    /// cumulative figure is its total.
    pub total_cumulative: Option<i64>,
}

impl Suppression {
    /// No suppression (officials' reports).
    pub const NONE: Suppression = Suppression { threshold: 1 };
    /// The public dashboard's default: counts under 10 are hidden.
    pub const PUBLIC: Suppression = Suppression { threshold: 10 };

    fn small(self, n: i64) -> bool {
        n != 0 && n < self.threshold
    }

    /// Hides a column's small cells and their complements (rules 1 to 3): which cells are
    /// hidden, and whether the total is.
    fn column(self, values: &[i64]) -> (Vec<bool>, bool) {
        let mut hidden: Vec<bool> = values.iter().map(|v| self.small(*v)).collect();
        let total: i64 = values.iter().sum();
        let mut total_hidden = self.small(total);
        if hidden.iter().filter(|h| **h).count() == 1 && !total_hidden {
            let complement = values
                .iter()
                .enumerate()
                .filter(|(i, v)| !hidden[*i] && **v != 0)
                .min_by_key(|(i, v)| (**v, *i))
                .map(|(i, _)| i);
            match complement {
                Some(i) => hidden[i] = true,
                None => total_hidden = true,
            }
        }
        (hidden, total_hidden)
    }

    /// Publishes report rows (rules in the type's documentation).
    pub fn apply(&self, rows: &[ReportRow]) -> PublishedTable {
        let doses: Vec<i64> = rows.iter().map(|r| r.doses).collect();
        let (doses_hidden, total_doses_hidden) = self.column(&doses);
        let total_doses = (!total_doses_hidden).then(|| doses.iter().sum());
        let day_series =
            !rows.is_empty() && rows.iter().all(|r| matches!(r.group, GroupValue::Day(_)));
        let (cumulative_hidden, total_cumulative) = if day_series {
            let mut hiding = false;
            let hidden = rows
                .iter()
                .zip(&doses_hidden)
                .map(|(r, daily_hidden)| {
                    hiding = hiding || *daily_hidden || self.small(r.cumulative);
                    hiding
                })
                .collect();
            (hidden, None)
        } else {
            let cumulative: Vec<i64> = rows.iter().map(|r| r.cumulative).collect();
            let (hidden, total_hidden) = self.column(&cumulative);
            (hidden, (!total_hidden).then(|| cumulative.iter().sum()))
        };
        let rows = rows
            .iter()
            .enumerate()
            .map(|(i, r)| PublishedRow {
                group: r.group.clone(),
                doses: (!doses_hidden[i]).then_some(r.doses),
                cumulative: (!cumulative_hidden[i]).then_some(r.cumulative),
                coverage_percent: if cumulative_hidden[i] { None } else { r.coverage_percent },
            })
            .collect();
        PublishedTable { rows, total_doses, total_cumulative }
    }

    /// Hides the small cells of a table of several count columns (the public dashboard's table
    /// of areas), whose column totals are published and some of whose columns add up, row by
    /// row, to another (`sums`: the component columns and their total column; dose 1, dose 2
    /// and precaution add up to all doses).  Rules 1 and 3 above, applied to the columns and to each
    /// row's sums until nothing changes: no hidden cell is left alone in its column or in a sum
    /// where the others and the total would give it back.  Returns which cells are hidden
    /// (`[row][column]`) and which column totals are.
    pub fn grid(&self, cells: &[Vec<i64>], sums: &[(Vec<usize>, usize)]) -> GridHidden {
        let columns = cells.first().map_or(0, Vec::len);
        let mut hidden: Vec<Vec<bool>> =
            cells.iter().map(|r| r.iter().map(|v| self.small(*v)).collect()).collect();
        let mut total_hidden: Vec<bool> =
            (0..columns).map(|c| self.small(cells.iter().map(|r| r[c]).sum())).collect();
        // Hides the smallest shown non-zero cell among `among`, if any; whether one was.
        let hide_smallest = |hidden: &mut Vec<Vec<bool>>, among: &[(usize, usize)]| {
            let pick = among
                .iter()
                .filter(|(r, c)| !hidden[*r][*c] && cells[*r][*c] != 0)
                .min_by_key(|(r, c)| (cells[*r][*c], *r, *c))
                .copied();
            match pick {
                Some((r, c)) => {
                    hidden[r][c] = true;
                    true
                }
                None => false,
            }
        };
        loop {
            let mut changed = false;
            for c in 0..columns {
                let alone = (0..cells.len()).filter(|r| hidden[*r][c]).count() == 1;
                if alone && !total_hidden[c] {
                    let column: Vec<(usize, usize)> = (0..cells.len()).map(|r| (r, c)).collect();
                    if !hide_smallest(&mut hidden, &column) {
                        total_hidden[c] = true;
                    }
                    changed = true;
                }
            }
            for r in 0..cells.len() {
                for (parts, total) in sums {
                    let members: Vec<(usize, usize)> =
                        parts.iter().chain([total]).map(|c| (r, *c)).collect();
                    if members.iter().filter(|(r, c)| hidden[*r][*c]).count() == 1 {
                        // Nothing else to hide means every other member is zero or hidden:
                        // then the hidden one is zero too, or not alone.
                        changed |= hide_smallest(&mut hidden, &members);
                    }
                }
            }
            if !changed {
                return GridHidden { cells: hidden, totals: total_hidden };
            }
        }
    }
}

/// What [`Suppression::grid`] hides.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GridHidden {
    /// Per row, per column: hidden.
    pub cells: Vec<Vec<bool>>,
    /// Per column: its total hidden.
    pub totals: Vec<bool>,
}

// ---------------------------------------------------------------------------------------------
// Session reports

/// What storage counts for one session: the inputs of [`SessionReport::build`].
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct SessionCounts {
    /// Seats planned (both doses).
    pub planned: u32,
    /// Appointments not cancelled.
    pub booked: u32,
    /// Booked people who arrived.
    pub arrived_booked: u32,
    /// People registered or served on the spot, without a booking.
    pub walk_ins: u32,
    /// People vaccinated (booked or walk-in).
    pub vaccinated: u32,
    /// Live doses recorded (voided doses excluded).
    pub doses_given: u32,
    /// Vials opened, as the session's stock closing says.
    pub vials_opened: u32,
    /// Doses per vial of the session's lot (`None` when the stock is not closed yet).
    pub doses_per_vial: Option<u16>,
    /// Messages sent about the session (reminders, slips, cancellations).
    pub messages_sent: u32,
    /// Of those, delivered (by the gateways' delivery reports).
    pub messages_delivered: u32,
}

/// One session's report: planned against booked, arrived, vaccinated, walk-ins and no-shows;
/// doses against vials; messages sent against delivered.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct SessionReport {
    /// Seats planned.
    pub planned: u32,
    /// Appointments not cancelled.
    pub booked: u32,
    /// People who arrived: booked arrivals and walk-ins.
    pub arrived: u32,
    /// People vaccinated.
    pub vaccinated: u32,
    /// Walk-ins.
    pub walk_ins: u32,
    /// Booked people who did not arrive.
    pub no_shows: u32,
    /// Doses given.
    pub doses_given: u32,
    /// Vials opened.
    pub vials_used: u32,
    /// Doses the opened vials held and no one received (open-vial wastage); `None` before the
    /// stock is closed.
    pub doses_wasted: Option<u32>,
    /// Messages sent.
    pub messages_sent: u32,
    /// Messages delivered.
    pub messages_delivered: u32,
    /// Booked as a share of planned, one decimal; `None` with no seats.
    pub booked_percent: Option<f64>,
    /// No-shows as a share of booked, one decimal; `None` with no bookings.
    pub no_show_percent: Option<f64>,
}

fn percent(part: u32, whole: u32) -> Option<f64> {
    coverage_percent(i64::from(part), u64::from(whole))
}

impl SessionReport {
    /// Builds the report from the counts.  Wastage follows the open-vial rule of
    /// `inventory::reconcile` (its anomalies are the stock closing's business).
    pub fn build(c: &SessionCounts) -> Self {
        // A booked person vaccinated without an arrival record still came: the booked who came
        // are at least the vaccinated who were not walk-ins.
        let booked_came = c
            .arrived_booked
            .max(c.vaccinated.saturating_sub(c.walk_ins))
            .min(c.booked.max(c.arrived_booked));
        let no_shows = c.booked.saturating_sub(booked_came);
        let doses_wasted = c.doses_per_vial.map(|per| {
            reconcile(SessionUse {
                doses_given: c.doses_given,
                vials_opened: c.vials_opened,
                doses_per_vial: per,
            })
            .doses_wasted
        });
        SessionReport {
            planned: c.planned,
            booked: c.booked,
            arrived: booked_came.saturating_add(c.walk_ins),
            vaccinated: c.vaccinated,
            walk_ins: c.walk_ins,
            no_shows,
            doses_given: c.doses_given,
            vials_used: c.vials_opened,
            doses_wasted,
            messages_sent: c.messages_sent,
            messages_delivered: c.messages_delivered,
            booked_percent: percent(c.booked, c.planned),
            no_show_percent: percent(no_shows, c.booked),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// CSV

/// A cell of a CSV file: quoted when it holds a comma, quote or line break, and prefixed with
/// `'` when it starts like a spreadsheet formula (block names are typed by officials).
fn csv_cell(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) { format!("'{s}") } else { s.to_owned() };
    if s.contains([',', '"', '\n', '\r']) { format!("\"{}\"", s.replace('"', "\"\"")) } else { s }
}

/// The CSV of a published table: a header, then one line per row, columns always
/// `code, name, doses, cumulative, coverage_percent` (titles in English, or Hindi for `hi`),
/// lines ending CRLF.  A hidden count is written `*`; an unknown coverage is empty.  `label`
/// names a group (pack names, facility names from storage); `None` falls back to
/// [`GroupValue::label`], then to the code.
pub fn render_csv(
    table: &PublishedTable,
    group_by: GroupBy,
    pack: &CountryPack,
    lang: &str,
    label: &dyn Fn(&GroupValue) -> Option<String>,
) -> String {
    let hi = is_hindi(lang);
    let titles: [&str; 5] = if hi {
        [group_by.title(lang), "नाम", "खुराकें", "कुल खुराकें (संचयी)", "कवरेज %"]
    } else {
        [group_by.title(lang), "Name", "Doses", "Cumulative doses", "Coverage %"]
    };
    let count = |n: Option<i64>| n.map_or_else(|| "*".to_owned(), |n| n.to_string());
    let mut out = String::new();
    let line = |out: &mut String, cells: &[String]| {
        let cells: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
        let _ = write!(out, "{}\r\n", cells.join(","));
    };
    line(&mut out, &titles.map(str::to_owned));
    for r in &table.rows {
        let name =
            label(&r.group).or_else(|| r.group.label(pack, lang)).unwrap_or_else(|| r.group.code());
        line(
            &mut out,
            &[
                r.group.code(),
                name,
                count(r.doses),
                count(r.cumulative),
                r.coverage_percent.map(|p| format!("{p:.1}")).unwrap_or_default(),
            ],
        );
    }
    out
}

#[cfg(test)]
mod tests;
