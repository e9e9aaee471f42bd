//! Beneficiaries: the people a citizen account registers for vaccination.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::country::{CountryPack, IdTypeDef};

/// A person's name as registered: 1 to 100 characters of letters (any script), spaces and `.'-`.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PersonName(String);

/// Why a beneficiary field is invalid; the message is what the citizen reads.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BeneficiaryError {
    /// Name empty.
    #[error("Name is required")]
    NameMissing,
    /// Name too long or with characters a name cannot have.
    #[error("Name may have at most 100 letters, spaces, dots, apostrophes or dashes")]
    NameInvalid,
    /// Birth year missing or not a number.
    #[error("Birth year must be a 4-digit year")]
    BirthYearInvalid,
    /// Birth year out of range.
    #[error("Birth year must be between {min} and {max}")]
    BirthYearOutOfRange {
        /// Earliest allowed.
        min: i32,
        /// Latest allowed.
        max: i32,
    },
    /// Unknown gender id.
    #[error("Invalid gender")]
    GenderInvalid,
    /// Unknown photo id type.
    #[error("Invalid photo ID type")]
    IdTypeInvalid,
    /// Photo id number does not match its type.
    #[error("Invalid {id_type} number")]
    IdNumberInvalid {
        /// The type's name.
        id_type: String,
    },
    /// Comorbidity indicator not Y or N.
    #[error("comorbidity_ind must be Y or N")]
    ComorbidityInvalid,
}

impl PersonName {
    /// Parses a name, collapsing runs of spaces.
    pub fn parse(s: &str) -> Result<Self, BeneficiaryError> {
        let collapsed = s.split_whitespace().collect::<Vec<_>>().join(" ");
        if collapsed.is_empty() {
            return Err(BeneficiaryError::NameMissing);
        }
        let ok = collapsed.chars().count() <= 100
            && collapsed.chars().any(char::is_alphabetic)
            && collapsed.chars().all(|c| {
                c.is_alphabetic()
                    || c == ' '
                    || c == '.'
                    || c == '\''
                    || c == '-'
                    // Devanagari and other Indic scripts use combining marks (matras, virama).
                    || matches!(c as u32, 0x0900..=0x0DFF | 0x200C | 0x200D)
            });
        if ok { Ok(Self(collapsed)) } else { Err(BeneficiaryError::NameInvalid) }
    }

    /// The name.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for PersonName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PersonName(..)")
    }
}

/// A birth year, checked against the current year (passed in: the domain reads no clock).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
#[serde(transparent)]
pub struct BirthYear(i32);

impl BirthYear {
    /// Parses a year between `current_year - 120` and `current_year`.
    pub fn parse(s: &str, current_year: i32) -> Result<Self, BeneficiaryError> {
        let s = s.trim();
        if s.len() != 4 || !s.bytes().all(|b| b.is_ascii_digit()) {
            return Err(BeneficiaryError::BirthYearInvalid);
        }
        let y: i32 = s.parse().map_err(|_| BeneficiaryError::BirthYearInvalid)?;
        let (min, max) = (current_year - 120, current_year);
        if (min..=max).contains(&y) {
            Ok(Self(y))
        } else {
            Err(BeneficiaryError::BirthYearOutOfRange { min, max })
        }
    }

    /// Wraps a year read back from storage.
    pub fn from_stored(y: i32) -> Self {
        Self(y)
    }

    /// The year.
    pub fn get(self) -> i32 {
        self.0
    }

    /// Age in a given year, the way CoWIN computed it (year difference).
    pub fn age_in(self, year: i32) -> i32 {
        year - self.0
    }
}

/// A photo id as stored: its type, a keyed hash of the whole number, and the last 4 characters.
/// The whole number is never kept (Aadhaar rules).
#[derive(Clone, PartialEq, Eq, Debug)]
pub struct PhotoIdNumber {
    normalized: String,
}

impl PhotoIdNumber {
    /// Normalizes (upper case, no spaces or dashes for numeric ids) and checks against the type.
    pub fn parse(id_type: &IdTypeDef, s: &str) -> Result<Self, BeneficiaryError> {
        let normalized: String =
            s.chars().filter(|c| !c.is_whitespace()).collect::<String>().to_uppercase();
        let normalized = if id_type.numeric { normalized.replace('-', "") } else { normalized };
        let invalid = || BeneficiaryError::IdNumberInvalid { id_type: id_type.name.clone() };
        if !id_type.pattern.is_match(&normalized) {
            return Err(invalid());
        }
        if id_type.verhoeff && !verhoeff_valid(&normalized) {
            return Err(invalid());
        }
        Ok(Self { normalized })
    }

    /// The normalized number, to be hashed with a key by the caller and then dropped.
    pub fn normalized(&self) -> &str {
        &self.normalized
    }

    /// The last four characters, the only part ever stored or shown.
    pub fn last4(&self) -> String {
        let chars: Vec<char> = self.normalized.chars().collect();
        chars[chars.len().saturating_sub(4)..].iter().collect()
    }
}

/// The Verhoeff check digit algorithm, used by Aadhaar numbers.
pub fn verhoeff_valid(digits: &str) -> bool {
    verhoeff_check(digits) == Some(0)
}

/// Computes the Verhoeff check digit to append to `digits` (used by tests and demo data).
pub fn verhoeff_digit(digits: &str) -> Option<u8> {
    let mut with_zero = digits.to_owned();
    with_zero.push('0');
    let c = verhoeff_check(&with_zero)?;
    Some(VERHOEFF_INV[usize::from(c)])
}

const VERHOEFF_D: [[u8; 10]; 10] = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 2, 3, 4, 0, 6, 7, 8, 9, 5],
    [2, 3, 4, 0, 1, 7, 8, 9, 5, 6],
    [3, 4, 0, 1, 2, 8, 9, 5, 6, 7],
    [4, 0, 1, 2, 3, 9, 5, 6, 7, 8],
    [5, 9, 8, 7, 6, 0, 4, 3, 2, 1],
    [6, 5, 9, 8, 7, 1, 0, 4, 3, 2],
    [7, 6, 5, 9, 8, 2, 1, 0, 4, 3],
    [8, 7, 6, 5, 9, 3, 2, 1, 0, 4],
    [9, 8, 7, 6, 5, 4, 3, 2, 1, 0],
];
const VERHOEFF_P: [[u8; 10]; 8] = [
    [0, 1, 2, 3, 4, 5, 6, 7, 8, 9],
    [1, 5, 7, 6, 2, 8, 3, 0, 9, 4],
    [5, 8, 0, 3, 7, 9, 6, 1, 4, 2],
    [8, 9, 1, 6, 0, 4, 3, 5, 2, 7],
    [9, 4, 5, 3, 1, 2, 6, 8, 7, 0],
    [4, 2, 8, 6, 5, 7, 3, 9, 0, 1],
    [2, 7, 9, 3, 8, 0, 6, 4, 1, 5],
    [7, 0, 4, 6, 9, 1, 3, 2, 5, 8],
];
const VERHOEFF_INV: [u8; 10] = [0, 4, 3, 2, 1, 5, 6, 7, 8, 9];

fn verhoeff_check(digits: &str) -> Option<u8> {
    let mut c = 0u8;
    for (i, b) in digits.bytes().rev().enumerate() {
        if !b.is_ascii_digit() {
            return None;
        }
        c = VERHOEFF_D[usize::from(c)][usize::from(VERHOEFF_P[i % 8][usize::from(b - b'0')])];
    }
    Some(c)
}

/// Comorbidity indicator, `Y`/`N` (absent, empty or `null` mean `N`).
pub fn parse_comorbidity(s: Option<&str>) -> Result<bool, BeneficiaryError> {
    match s.map(str::trim) {
        None | Some("") => Ok(false),
        Some(v) if v.eq_ignore_ascii_case("y") => Ok(true),
        Some(v) if v.eq_ignore_ascii_case("n") => Ok(false),
        Some(_) => Err(BeneficiaryError::ComorbidityInvalid),
    }
}

/// A validated registration, ready to store (the caller adds the keyed id hash).
#[derive(Debug, Clone)]
pub struct NewBeneficiary {
    /// Name.
    pub name: PersonName,
    /// Birth year.
    pub birth_year: BirthYear,
    /// Gender id from the country pack.
    pub gender_id: i64,
    /// Photo id type id from the country pack.
    pub photo_id_type: i64,
    /// The photo id number (hash it, keep last 4, drop it).
    pub photo_id: PhotoIdNumber,
    /// Comorbidity.
    pub comorbidity: bool,
}

/// Raw registration fields as they arrive (already coerced from lenient JSON).
#[derive(Debug, Clone, Default)]
pub struct RegistrationInput<'a> {
    /// `name`.
    pub name: &'a str,
    /// `birth_year`.
    pub birth_year: &'a str,
    /// `gender_id`.
    pub gender_id: i64,
    /// `photo_id_type`.
    pub photo_id_type: i64,
    /// `photo_id_number`.
    pub photo_id_number: &'a str,
    /// `comorbidity_ind`.
    pub comorbidity_ind: Option<&'a str>,
}

impl NewBeneficiary {
    /// Parses every field, reporting the first problem in field order.
    pub fn parse(
        pack: &CountryPack,
        input: &RegistrationInput<'_>,
        current_year: i32,
    ) -> Result<Self, BeneficiaryError> {
        let name = PersonName::parse(input.name)?;
        let birth_year = BirthYear::parse(input.birth_year, current_year)?;
        if pack.gender(input.gender_id).is_none() {
            return Err(BeneficiaryError::GenderInvalid);
        }
        let id_type = pack.id_type(input.photo_id_type).ok_or(BeneficiaryError::IdTypeInvalid)?;
        let photo_id = PhotoIdNumber::parse(id_type, input.photo_id_number)?;
        let comorbidity = parse_comorbidity(input.comorbidity_ind)?;
        Ok(Self {
            name,
            birth_year,
            gender_id: input.gender_id,
            photo_id_type: input.photo_id_type,
            photo_id,
            comorbidity,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn names_accept_indic_scripts_and_reject_junk() {
        assert_eq!(PersonName::parse("  Asha   Rao ").unwrap().as_str(), "Asha Rao");
        assert!(PersonName::parse("प्रियंका द्विवेदी").is_ok());
        assert!(PersonName::parse("D'Souza-Menon Jr.").is_ok());
        assert_eq!(PersonName::parse("   "), Err(BeneficiaryError::NameMissing));
        assert_eq!(PersonName::parse("<script>"), Err(BeneficiaryError::NameInvalid));
        assert_eq!(PersonName::parse(&"a".repeat(101)), Err(BeneficiaryError::NameInvalid));
        assert_eq!(PersonName::parse("..."), Err(BeneficiaryError::NameInvalid));
    }

    #[test]
    fn birth_years_are_bounded_by_the_current_year() {
        assert_eq!(BirthYear::parse("1985", 2026).map(BirthYear::get), Ok(1985));
        assert_eq!(
            BirthYear::parse("2027", 2026),
            Err(BeneficiaryError::BirthYearOutOfRange { min: 1906, max: 2026 })
        );
        assert_eq!(BirthYear::parse("85", 2026), Err(BeneficiaryError::BirthYearInvalid));
        assert_eq!(BirthYear::parse("198x", 2026), Err(BeneficiaryError::BirthYearInvalid));
    }

    #[test]
    fn verhoeff_matches_known_values() {
        // Known Verhoeff example: 236 has check digit 3.
        assert_eq!(verhoeff_digit("236"), Some(3));
        assert!(verhoeff_valid("2363"));
        assert!(!verhoeff_valid("2364"));
    }

    proptest! {
        #[test]
        fn verhoeff_digit_always_validates(n in 10_000_000_000u64..99_999_999_999) {
            let s = n.to_string();
            let d = verhoeff_digit(&s).unwrap();
            let full = format!("{s}{d}");
            prop_assert!(verhoeff_valid(&full));
        }
    }

    #[test]
    fn comorbidity_is_y_or_n_or_absent() {
        assert_eq!(parse_comorbidity(None), Ok(false));
        assert_eq!(parse_comorbidity(Some("")), Ok(false));
        assert_eq!(parse_comorbidity(Some("Y")), Ok(true));
        assert_eq!(parse_comorbidity(Some("n")), Ok(false));
        assert!(parse_comorbidity(Some("maybe")).is_err());
    }
}
