//! Vaccines and their schedules, as the country pack describes them.

use std::fmt;

use serde::{Deserialize, Serialize};

/// A vaccine's catalogue code, e.g. `COVISHIELD` (upper case, as CoWIN sends it).
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct VaccineCode(String);

/// Why a string is not a vaccine code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Invalid vaccine")]
pub struct VaccineCodeError;

impl VaccineCode {
    /// Parses a code: letters, digits, spaces and dashes, at most 32 characters; case-insensitive.
    pub fn parse(s: &str) -> Result<Self, VaccineCodeError> {
        let s = s.trim();
        let ok = !s.is_empty()
            && s.len() <= 32
            && s.chars().all(|c| c.is_ascii_alphanumeric() || c == ' ' || c == '-');
        if ok { Ok(Self(s.to_ascii_uppercase())) } else { Err(VaccineCodeError) }
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for VaccineCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for VaccineCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VaccineCode({})", self.0)
    }
}

/// A vaccine in the catalogue: what the rules need to know about it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct VaccineDef {
    /// Catalogue code.
    pub code: VaccineCode,
    /// Display name.
    pub name: String,
    /// Manufacturer.
    pub manufacturer: String,
    /// Doses in the primary series.
    pub doses_in_series: u8,
    /// Earliest next dose, in days after the previous one.
    pub min_interval_days: Option<u32>,
    /// Latest next dose, in days after the previous one.
    pub max_interval_days: Option<u32>,
    /// Youngest age allowed, in years.
    pub min_age_years: u8,
    /// Doses in one vial.
    pub doses_per_vial: Option<u16>,
}

/// A dose number within a series: 1, 2, 3 (and precaution doses later).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize, Deserialize)]
#[serde(transparent)]
pub struct DoseNumber(u8);

/// Why a value is not a dose number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("Invalid dose, must be 1 or 2")]
pub struct DoseNumberError;

impl DoseNumber {
    /// First dose.
    pub const FIRST: Self = Self(1);
    /// Second dose.
    pub const SECOND: Self = Self(2);

    /// A dose number bookable through the CoWIN API: 1 or 2.
    pub fn bookable(n: i64) -> Result<Self, DoseNumberError> {
        match n {
            1 | 2 => Ok(Self(n as u8)),
            _ => Err(DoseNumberError),
        }
    }

    /// Any dose number from 1 to 9 (for history and three-dose vaccines).
    pub fn new(n: i64) -> Result<Self, DoseNumberError> {
        match n {
            1..=9 => Ok(Self(n as u8)),
            _ => Err(DoseNumberError),
        }
    }

    /// The number.
    pub fn get(self) -> u8 {
        self.0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_upper_cased_and_checked() {
        assert_eq!(VaccineCode::parse("covishield").unwrap().as_str(), "COVISHIELD");
        assert_eq!(VaccineCode::parse("Sputnik V").unwrap().as_str(), "SPUTNIK V");
        assert!(VaccineCode::parse("").is_err());
        assert!(VaccineCode::parse("DROP TABLE;").is_err());
    }

    #[test]
    fn bookable_doses_are_one_or_two() {
        assert_eq!(DoseNumber::bookable(1), Ok(DoseNumber::FIRST));
        assert_eq!(DoseNumber::bookable(2), Ok(DoseNumber::SECOND));
        assert!(DoseNumber::bookable(0).is_err());
        assert!(DoseNumber::bookable(3).is_err());
        assert_eq!(DoseNumber::new(3).map(DoseNumber::get), Ok(3));
    }
}
