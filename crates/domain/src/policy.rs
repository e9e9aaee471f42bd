//! The campaign policy as versioned data: priority groups (phases), who is eligible when, the
//! order people are served in, dose intervals per vaccine, and the check of a new version
//! submitted from the console.
//!
//! A [`Policy`] version may define [`PriorityGroup`]s.  A group has a rule over a person's facts
//! (occupation, age on a reference date, comorbidity) and the date it opens.  A person is
//! eligible on a date when the version's minimum age admits them and, if the version defines
//! groups, they belong to at least one group already open on that date.  A version without
//! groups is open to everyone from its minimum age, as before groups existed.
//!
//! Ages are counted in whole years from the birth year (CoWIN's rule): the age on a date is the
//! date's year minus the birth year.  A group's `age_on` reference date fixes the year to count
//! in ("60 or older as on 1 January 2022"); without it the date asked about is used.

use std::collections::{HashMap, HashSet};

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::admin::FieldError;
use crate::beneficiary::BirthYear;
use crate::country::{CountryPack, Policy};
use crate::vaccine::VaccineCode;

/// What a person does, as far as the policy cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Occupation {
    /// Health care worker.
    HealthWorker,
    /// Frontline worker (police, sanitation, armed forces, …).
    FrontlineWorker,
    /// Anyone else.
    Other,
}

impl Occupation {
    /// Every occupation, in display order.
    pub const ALL: [Occupation; 3] =
        [Occupation::HealthWorker, Occupation::FrontlineWorker, Occupation::Other];

    /// The stored and submitted text (`health_worker`, `frontline_worker`, `other`).
    pub fn as_str(self) -> &'static str {
        match self {
            Occupation::HealthWorker => "health_worker",
            Occupation::FrontlineWorker => "frontline_worker",
            Occupation::Other => "other",
        }
    }

    /// Parses the text form (surrounding spaces and case ignored).
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        Occupation::ALL.into_iter().find(|o| o.as_str().eq_ignore_ascii_case(s))
    }
}

/// The facts about a person the policy's groups look at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PersonFacts {
    /// Birth year.
    pub birth_year: BirthYear,
    /// Whether the person has a recorded comorbidity (registration or survey).
    pub comorbidity: bool,
    /// The occupation a list gave, if the person is listed.
    pub occupation: Option<Occupation>,
}

/// Who belongs to a group.  Every condition given must hold.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct GroupRule {
    /// The person's occupation must be one of these (empty: any occupation, or none).
    #[serde(default)]
    pub occupations: Vec<Occupation>,
    /// Youngest age.
    #[serde(default)]
    pub min_age: Option<u8>,
    /// Oldest age.
    #[serde(default)]
    pub max_age: Option<u8>,
    /// The date whose year ages are counted in; `None`: the date asked about.
    #[serde(default)]
    pub age_on: Option<NaiveDate>,
    /// A comorbidity is required.
    #[serde(default)]
    pub comorbidity: bool,
}

impl GroupRule {
    /// Whether a person belongs, asked on `date`.
    pub fn matches(&self, facts: &PersonFacts, date: NaiveDate) -> bool {
        if !self.occupations.is_empty()
            && !facts.occupation.is_some_and(|o| self.occupations.contains(&o))
        {
            return false;
        }
        let age = facts.birth_year.age_in(self.age_on.unwrap_or(date).year());
        if self.min_age.is_some_and(|min| age < i32::from(min)) {
            return false;
        }
        if self.max_age.is_some_and(|max| age > i32::from(max)) {
            return false;
        }
        !self.comorbidity || facts.comorbidity
    }
}

/// A priority group (a phase of the campaign).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PriorityGroup {
    /// Short code (`HCW`, `FLW`, `60+`, `45+C`, `45+`, `18+`, `12+`).
    pub code: String,
    /// English name.
    pub name: String,
    /// Hindi name.
    pub name_hi: String,
    /// Order of service: 1 first.  Unique within a version.
    pub rank: u32,
    /// The first day its members are eligible.
    pub opens: NaiveDate,
    /// Who belongs.
    pub rule: GroupRule,
}

impl PriorityGroup {
    /// Whether the group is open on a date.
    pub fn is_open(&self, date: NaiveDate) -> bool {
        self.opens <= date
    }
}

/// A comorbidity surveyors can record (the pack's list).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comorbidity {
    /// Stable code (`diabetes`).
    pub code: String,
    /// English name.
    pub name: String,
    /// Hindi name.
    pub name_hi: String,
}

/// Why a person may not book yet: their groups are not open on the date.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GroupError {
    /// The person belongs to no group open on the date.
    #[error("Vaccination on {date} is open only for: {open}")]
    NotOpen {
        /// The date, `DD-MM-YYYY`.
        date: String,
        /// The open groups' names, comma separated (or "no group yet").
        open: String,
    },
}

impl Policy {
    /// The version's groups the person belongs to on `date`, open or not, best rank first.
    pub fn groups_of(&self, facts: &PersonFacts, date: NaiveDate) -> Vec<&PriorityGroup> {
        let mut out: Vec<&PriorityGroup> =
            self.groups.iter().filter(|g| g.rule.matches(facts, date)).collect();
        out.sort_by_key(|g| g.rank);
        out
    }

    /// The groups open on `date`, best rank first.
    pub fn open_groups(&self, date: NaiveDate) -> Vec<&PriorityGroup> {
        let mut out: Vec<&PriorityGroup> = self.groups.iter().filter(|g| g.is_open(date)).collect();
        out.sort_by_key(|g| g.rank);
        out
    }

    /// Whether the person is old enough for the version at all.
    fn old_enough(&self, facts: &PersonFacts, date: NaiveDate) -> bool {
        facts.birth_year.age_in(date.year()) >= i32::from(self.min_age_years)
    }

    /// Whether the person may be vaccinated on `date` under this version: old enough, and (when
    /// the version defines groups) in a group open on that date.
    pub fn is_eligible(&self, facts: &PersonFacts, date: NaiveDate) -> bool {
        self.priority_rank(facts, date).is_some()
    }

    /// The person's place in the order of service on `date`: the best (lowest) rank of their
    /// groups open on that date; `None` when not eligible.  A version without groups gives
    /// every eligible person rank 0.
    pub fn priority_rank(&self, facts: &PersonFacts, date: NaiveDate) -> Option<u32> {
        if !self.old_enough(facts, date) {
            return None;
        }
        if self.groups.is_empty() {
            return Some(0);
        }
        self.groups_of(facts, date).into_iter().filter(|g| g.is_open(date)).map(|g| g.rank).min()
    }

    /// Checks the groups for a booking on `date`; the age floor is `check_booking`'s business.
    /// A version without groups admits everyone.
    pub fn check_groups(&self, facts: &PersonFacts, date: NaiveDate) -> Result<(), GroupError> {
        if self.groups.is_empty() || self.groups_of(facts, date).iter().any(|g| g.is_open(date)) {
            return Ok(());
        }
        let open: Vec<&str> = self.open_groups(date).iter().map(|g| g.name.as_str()).collect();
        Err(GroupError::NotOpen {
            date: crate::date::format_cowin_date(date),
            open: if open.is_empty() { "no group yet".to_owned() } else { open.join(", ") },
        })
    }
}

/// The versions in force: the pack's and the console's, ordered by effective date.
///
/// Two versions never share a date or a label (the console refuses both); if they did, the
/// pack's version is kept.
pub fn merge_versions(pack: &[Policy], console: Vec<Policy>) -> Vec<Policy> {
    let mut out: Vec<Policy> = pack.to_vec();
    for p in console {
        if out.iter().any(|q| q.version == p.version || q.effective_from == p.effective_from) {
            continue;
        }
        out.push(p);
    }
    out.sort_by_key(|p| p.effective_from);
    out
}

// ---------------------------------------------------------------------------------------------
// A new version from the console
// ---------------------------------------------------------------------------------------------

/// Longest version label.
pub const MAX_VERSION_LEN: usize = 40;
/// Most groups a version may define.
pub const MAX_GROUPS: usize = 40;
/// Oldest age a rule may name.
pub const MAX_AGE: u32 = 120;

/// One group row of the form.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct GroupForm {
    /// Code.
    pub code: String,
    /// English name.
    pub name: String,
    /// Hindi name.
    pub name_hi: String,
    /// Rank.
    pub rank: Option<u32>,
    /// Opening date.
    pub opens: Option<NaiveDate>,
    /// Occupations (`health_worker`, `frontline_worker`, `other`).
    pub occupations: Vec<String>,
    /// Youngest age.
    pub min_age: Option<u32>,
    /// Oldest age.
    pub max_age: Option<u32>,
    /// Reference date for ages.
    pub age_on: Option<NaiveDate>,
    /// Comorbidity required.
    pub comorbidity: bool,
}

/// One interval row of the form.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct IntervalForm {
    /// Vaccine code.
    pub vaccine: String,
    /// Minimum days between doses.
    pub min_days: Option<u32>,
    /// Maximum days between doses.
    pub max_days: Option<u32>,
}

/// A new policy version as submitted from the console.
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(default)]
pub struct PolicyForm {
    /// Version label (`IN-2026-12-05`).
    pub version: String,
    /// First day it applies.
    pub effective_from: Option<NaiveDate>,
    /// Youngest age eligible at all.
    pub min_age_years: Option<u32>,
    /// Priority groups (none: open to all from the minimum age).
    pub groups: Vec<GroupForm>,
    /// Interval overrides per vaccine.
    pub intervals: Vec<IntervalForm>,
    /// Why (shown in the list and the audit log).
    pub note: String,
}

fn field(field: &'static str, message: impl Into<String>) -> FieldError {
    FieldError { field, message: message.into() }
}

fn valid_label(s: &str) -> bool {
    !s.is_empty()
        && s.len() <= MAX_VERSION_LEN
        && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
}

impl PolicyForm {
    /// Checks every field against the pack's catalogue, the versions already in force and
    /// `today` (the country's local date), reporting all problems at once.  The effective date
    /// must be tomorrow or later: a policy never changes retroactively.
    pub fn check(
        &self,
        pack: &CountryPack,
        existing: &[Policy],
        today: NaiveDate,
    ) -> Result<Policy, Vec<FieldError>> {
        let mut errors = Vec::new();
        let version = self.version.trim();
        if !valid_label(version) {
            errors.push(field(
                "version",
                format!(
                    "must be 1 to {MAX_VERSION_LEN} letters, digits, '-', '_' or '.' (e.g. IN-2026-12-05)"
                ),
            ));
        } else if existing.iter().any(|p| p.version.eq_ignore_ascii_case(version)) {
            errors.push(field("version", format!("version {version} already exists")));
        }
        let effective_from = match self.effective_from {
            None => {
                errors.push(field("effective_from", "a date is needed"));
                None
            }
            Some(d) if d <= today => {
                errors.push(field(
                    "effective_from",
                    format!(
                        "must be tomorrow ({}) or later; a policy never changes retroactively",
                        today.succ_opt().unwrap_or(today)
                    ),
                ));
                None
            }
            Some(d) => {
                if let Some(p) = existing.iter().find(|p| p.effective_from == d) {
                    errors.push(field(
                        "effective_from",
                        format!("version {} already takes effect on {d}", p.version),
                    ));
                }
                Some(d)
            }
        };
        let min_age_years = match self.min_age_years {
            None => {
                errors.push(field("min_age_years", "a minimum age is needed"));
                0
            }
            Some(a) if a > MAX_AGE => {
                errors.push(field("min_age_years", format!("must be 0 to {MAX_AGE}")));
                0
            }
            Some(a) => u8::try_from(a).unwrap_or(0),
        };
        let groups = check_groups(&self.groups, &mut errors);
        let interval_overrides = check_intervals(pack, &self.intervals, &mut errors);
        if self.note.chars().count() > 500 {
            errors.push(field("note", "at most 500 characters"));
        }
        match effective_from {
            Some(effective_from) if errors.is_empty() => Ok(Policy {
                version: version.to_owned(),
                effective_from,
                min_age_years,
                interval_overrides,
                groups,
            }),
            _ => Err(errors),
        }
    }
}

/// Checks group rows alone (the pack's groups use it too): every problem, or the groups sorted
/// by rank.
pub fn check_group_rows(rows: &[GroupForm]) -> Result<Vec<PriorityGroup>, Vec<FieldError>> {
    let mut errors = Vec::new();
    let groups = check_groups(rows, &mut errors);
    if errors.is_empty() { Ok(groups) } else { Err(errors) }
}

fn check_groups(rows: &[GroupForm], errors: &mut Vec<FieldError>) -> Vec<PriorityGroup> {
    if rows.len() > MAX_GROUPS {
        errors.push(field("groups", format!("at most {MAX_GROUPS} groups")));
        return Vec::new();
    }
    let mut codes = HashSet::new();
    let mut ranks = HashMap::new();
    let mut out = Vec::with_capacity(rows.len());
    for (i, g) in rows.iter().enumerate() {
        let code = g.code.trim();
        let at = |msg: String| field("groups", format!("row {} ({code}): {msg}", i + 1));
        let mut ok = true;
        let mut bad = |msg: String, errors: &mut Vec<FieldError>| {
            errors.push(at(msg));
            ok = false;
        };
        if code.is_empty() || code.chars().count() > 12 || code.chars().any(char::is_whitespace) {
            bad("the code must be 1 to 12 characters without spaces".into(), errors);
        } else if !codes.insert(code.to_ascii_uppercase()) {
            bad(format!("code {code} is used twice"), errors);
        }
        let (name, name_hi) = (g.name.trim(), g.name_hi.trim());
        if name.is_empty() || name.chars().count() > 80 {
            bad("the English name must be 1 to 80 characters".into(), errors);
        }
        if name_hi.is_empty() || name_hi.chars().count() > 80 {
            bad("the Hindi name must be 1 to 80 characters".into(), errors);
        }
        match g.rank {
            None | Some(0) => bad("a rank of 1 or more is needed".into(), errors),
            Some(r) => {
                if let Some(other) = ranks.insert(r, i + 1) {
                    bad(format!("rank {r} is already used by row {other}"), errors);
                }
            }
        }
        if g.opens.is_none() {
            bad("an opening date is needed".into(), errors);
        }
        let mut occupations = Vec::new();
        for o in &g.occupations {
            match Occupation::parse(o) {
                Some(o) if !occupations.contains(&o) => occupations.push(o),
                Some(_) => {}
                None => bad(format!("unknown occupation {o:?}"), errors),
            }
        }
        for (what, age) in [("minimum", g.min_age), ("maximum", g.max_age)] {
            if age.is_some_and(|a| a > MAX_AGE) {
                bad(format!("the {what} age must be 0 to {MAX_AGE}"), errors);
            }
        }
        if let (Some(min), Some(max)) = (g.min_age, g.max_age)
            && min > max
        {
            bad(format!("the minimum age {min} exceeds the maximum age {max}"), errors);
        }
        if let (Some(rank), Some(opens), true) = (g.rank, g.opens, ok) {
            out.push(PriorityGroup {
                code: code.to_owned(),
                name: name.to_owned(),
                name_hi: name_hi.to_owned(),
                rank,
                opens,
                rule: GroupRule {
                    occupations,
                    min_age: g.min_age.and_then(|a| u8::try_from(a).ok()),
                    max_age: g.max_age.and_then(|a| u8::try_from(a).ok()),
                    age_on: g.age_on,
                    comorbidity: g.comorbidity,
                },
            });
        }
    }
    out.sort_by_key(|g| g.rank);
    out
}

fn check_intervals(
    pack: &CountryPack,
    rows: &[IntervalForm],
    errors: &mut Vec<FieldError>,
) -> HashMap<VaccineCode, (u32, u32)> {
    let mut out = HashMap::new();
    for (i, row) in rows.iter().enumerate() {
        let name = row.vaccine.trim();
        let at = |msg: String| field("intervals", format!("row {} ({name}): {msg}", i + 1));
        let Some(def) = VaccineCode::parse(name).ok().and_then(|c| pack.vaccine(&c)) else {
            errors.push(at("unknown vaccine".into()));
            continue;
        };
        if def.doses_in_series < 2 {
            errors.push(at("a single-dose vaccine has no interval".into()));
            continue;
        }
        let (Some(min), Some(max)) = (row.min_days, row.max_days) else {
            errors.push(at("both the minimum and the maximum days are needed".into()));
            continue;
        };
        let mut ok = true;
        if min > max {
            errors.push(at(format!("the minimum {min} exceeds the maximum {max}")));
            ok = false;
        }
        if let Some(floor) = def.min_interval_days
            && min < floor
        {
            errors.push(at(format!("the minimum must be at least the catalogue's {floor} days")));
            ok = false;
        }
        if max > 3650 {
            errors.push(at("the maximum must be at most 3650 days".into()));
            ok = false;
        }
        if out.contains_key(&def.code) {
            errors.push(at("the vaccine is listed twice".into()));
            ok = false;
        }
        if ok {
            out.insert(def.code.clone(), (min, max));
        }
    }
    out
}

impl PolicyForm {
    /// The form pre-filled from a version (the console's "next version" starts from the one in
    /// force), with an empty label and date.
    pub fn from_policy(p: &Policy) -> Self {
        let mut intervals: Vec<IntervalForm> = p
            .interval_overrides
            .iter()
            .map(|(code, (min, max))| IntervalForm {
                vaccine: code.to_string(),
                min_days: Some(*min),
                max_days: Some(*max),
            })
            .collect();
        intervals.sort_by(|a, b| a.vaccine.cmp(&b.vaccine));
        PolicyForm {
            version: String::new(),
            effective_from: None,
            min_age_years: Some(u32::from(p.min_age_years)),
            groups: p
                .groups
                .iter()
                .map(|g| GroupForm {
                    code: g.code.clone(),
                    name: g.name.clone(),
                    name_hi: g.name_hi.clone(),
                    rank: Some(g.rank),
                    opens: Some(g.opens),
                    occupations: g.rule.occupations.iter().map(|o| o.as_str().to_owned()).collect(),
                    min_age: g.rule.min_age.map(u32::from),
                    max_age: g.rule.max_age.map(u32::from),
                    age_on: g.rule.age_on,
                    comorbidity: g.rule.comorbidity,
                })
                .collect(),
            intervals,
            note: String::new(),
        }
    }
}

#[cfg(test)]
mod tests;
