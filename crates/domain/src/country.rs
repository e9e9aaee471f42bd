//! The country pack model: places, identity documents, vaccines and versioned policy, as data.
//!
//! The `tika_packs` crate parses the files of a pack into this model; nothing here knows the
//! files or India in particular.

use std::collections::HashMap;

use chrono::NaiveDate;
use regex::Regex;

use crate::ids::{DistrictId, StateId};
use crate::vaccine::{VaccineCode, VaccineDef};

/// A language the pack supports (`en`, `hi`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Language {
    /// BCP-47 code.
    pub code: String,
    /// Name in the language itself.
    pub name: String,
}

/// A state or union territory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct State {
    /// Id.
    pub id: StateId,
    /// English name.
    pub name: String,
    /// Hindi (second language) name, empty when none.
    pub name_l: String,
}

/// A district.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct District {
    /// Id.
    pub id: DistrictId,
    /// The state it belongs to.
    pub state_id: StateId,
    /// English name.
    pub name: String,
}

/// A 6-digit postal code with its district and centroid.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PincodeInfo {
    /// The pincode as a number (CoWIN sends it as a number).
    pub pincode: u32,
    /// District.
    pub district_id: DistrictId,
    /// Centroid latitude, when known.
    pub lat: Option<f64>,
    /// Centroid longitude, when known.
    pub lon: Option<f64>,
}

/// A photo identity document type.
#[derive(Debug, Clone)]
pub struct IdTypeDef {
    /// CoWIN's numeric id (Aadhaar = 1).
    pub id: i64,
    /// English name.
    pub name: String,
    /// Hindi name.
    pub name_l: String,
    /// What a normalized number must match.
    pub pattern: Regex,
    /// Digits only, so dashes are stripped before checking.
    pub numeric: bool,
    /// Whether the last digit is a Verhoeff check digit (Aadhaar).
    pub verhoeff: bool,
}

/// A gender as the API lists it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GenderDef {
    /// CoWIN's id (1 Male, 2 Female, 3 Others).
    pub id: i64,
    /// English name.
    pub name: String,
    /// Hindi name.
    pub name_l: String,
}

/// A version of the vaccination policy, in force from a date.
#[derive(Debug, Clone, PartialEq)]
pub struct Policy {
    /// Version label, stored with every booking.
    pub version: String,
    /// First day it applies.
    pub effective_from: NaiveDate,
    /// Youngest age eligible at all.
    pub min_age_years: u8,
    /// Interval overrides per vaccine: (min days, max days).
    pub interval_overrides: HashMap<VaccineCode, (u32, u32)>,
    /// Priority groups (phases), best rank first; empty: open to everyone from `min_age_years`
    /// (see [`crate::policy`]).
    pub groups: Vec<crate::policy::PriorityGroup>,
}

/// Everything that makes Tika a given country's system.
#[derive(Debug, Clone)]
pub struct CountryPack {
    /// ISO code (`IN`).
    pub code: String,
    /// English name.
    pub name: String,
    /// Default language.
    pub default_language: String,
    /// Languages offered.
    pub languages: Vec<Language>,
    /// Prefix for international mobile numbers (`91`).
    pub mobile_country_prefix: String,
    /// How many beneficiaries one mobile may register.
    pub max_beneficiaries_per_mobile: u32,
    /// Minutes east of UTC for local dates (India: 330).
    pub timezone_offset_minutes: i32,
    /// States, sorted by id.
    pub states: Vec<State>,
    /// Districts, sorted by id.
    pub districts: Vec<District>,
    /// Pincodes.
    pub pincodes: HashMap<u32, PincodeInfo>,
    /// Photo id types.
    pub id_types: Vec<IdTypeDef>,
    /// Genders.
    pub genders: Vec<GenderDef>,
    /// Vaccine catalogue.
    pub vaccines: Vec<VaccineDef>,
    /// Policies, sorted by `effective_from`.
    pub policies: Vec<Policy>,
}

impl CountryPack {
    /// A state by id.
    pub fn state(&self, id: StateId) -> Option<&State> {
        self.states.binary_search_by_key(&id, |s| s.id).ok().map(|i| &self.states[i])
    }

    /// A district by id.
    pub fn district(&self, id: DistrictId) -> Option<&District> {
        self.districts.binary_search_by_key(&id, |d| d.id).ok().map(|i| &self.districts[i])
    }

    /// The districts of a state, in id order.
    pub fn districts_of(&self, state: StateId) -> impl Iterator<Item = &District> {
        self.districts.iter().filter(move |d| d.state_id == state)
    }

    /// A pincode.
    pub fn pincode(&self, pincode: u32) -> Option<&PincodeInfo> {
        self.pincodes.get(&pincode)
    }

    /// A photo id type by id.
    pub fn id_type(&self, id: i64) -> Option<&IdTypeDef> {
        self.id_types.iter().find(|t| t.id == id)
    }

    /// A gender by id.
    pub fn gender(&self, id: i64) -> Option<&GenderDef> {
        self.genders.iter().find(|g| g.id == id)
    }

    /// A vaccine by code.
    pub fn vaccine(&self, code: &VaccineCode) -> Option<&VaccineDef> {
        self.vaccines.iter().find(|v| &v.code == code)
    }

    /// The policy in force on a date (the earliest one if the date precedes them all).
    pub fn policy_on(&self, date: NaiveDate) -> &Policy {
        self.policies.iter().rev().find(|p| p.effective_from <= date).unwrap_or(&self.policies[0])
    }

    /// A policy by version label.
    pub fn policy(&self, version: &str) -> Option<&Policy> {
        self.policies.iter().find(|p| p.version == version)
    }

    /// Whether the pack knows a language.
    pub fn has_language(&self, code: &str) -> bool {
        self.languages.iter().any(|l| l.code == code)
    }
}

/// Why a pack's data is inconsistent.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PackError {
    /// A required list is empty.
    #[error("the pack has no {0}")]
    Empty(&'static str),
    /// Two entries share an id.
    #[error("duplicate {kind} id {id}")]
    Duplicate {
        /// What kind of entry.
        kind: &'static str,
        /// The id.
        id: String,
    },
    /// A reference points nowhere.
    #[error("{kind} {id} refers to unknown {target} {target_id}")]
    Dangling {
        /// What kind of entry.
        kind: &'static str,
        /// Its id.
        id: String,
        /// What it refers to.
        target: &'static str,
        /// The missing id.
        target_id: String,
    },
}

impl CountryPack {
    /// Checks the pack's internal consistency; returns every problem found.
    pub fn validate(&self) -> Result<(), Vec<PackError>> {
        let mut errors = Vec::new();
        for (what, empty) in [
            ("states", self.states.is_empty()),
            ("districts", self.districts.is_empty()),
            ("id types", self.id_types.is_empty()),
            ("genders", self.genders.is_empty()),
            ("vaccines", self.vaccines.is_empty()),
            ("policies", self.policies.is_empty()),
            ("languages", self.languages.is_empty()),
        ] {
            if empty {
                errors.push(PackError::Empty(what));
            }
        }
        for w in self.states.windows(2) {
            if w[0].id >= w[1].id {
                errors.push(PackError::Duplicate { kind: "state", id: w[1].id.to_string() });
            }
        }
        for w in self.districts.windows(2) {
            if w[0].id >= w[1].id {
                errors.push(PackError::Duplicate { kind: "district", id: w[1].id.to_string() });
            }
        }
        for d in &self.districts {
            if self.state(d.state_id).is_none() {
                errors.push(PackError::Dangling {
                    kind: "district",
                    id: d.id.to_string(),
                    target: "state",
                    target_id: d.state_id.to_string(),
                });
            }
        }
        for p in self.pincodes.values() {
            if self.district(p.district_id).is_none() {
                errors.push(PackError::Dangling {
                    kind: "pincode",
                    id: p.pincode.to_string(),
                    target: "district",
                    target_id: p.district_id.to_string(),
                });
            }
        }
        if errors.is_empty() { Ok(()) } else { Err(errors) }
    }
}
