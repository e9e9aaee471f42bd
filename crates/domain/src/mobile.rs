//! Mobile numbers: the login identity of a citizen account.

use std::fmt;

/// A mobile number in national form (India: 10 digits, first digit 6-9).
///
/// Invariant: only ASCII digits, in the country's national form, without prefix.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Mobile(String);

/// Why a string is not a mobile number.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MobileError {
    /// Nothing was given.
    #[error("Mobile is Required")]
    Missing,
    /// Not a valid national mobile number.
    #[error("Invalid mobile number")]
    Invalid,
}

impl Mobile {
    /// Parses an Indian mobile number, accepting `+91`, `91` and `0` prefixes and spaces or dashes.
    pub fn parse(s: &str) -> Result<Self, MobileError> {
        let digits: String = s.chars().filter(|c| !matches!(c, ' ' | '-' | '+')).collect();
        if digits.is_empty() {
            return Err(MobileError::Missing);
        }
        if !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(MobileError::Invalid);
        }
        let national = match digits.len() {
            10 => digits.as_str(),
            11 if digits.starts_with('0') => &digits[1..],
            12 if digits.starts_with("91") => &digits[2..],
            _ => return Err(MobileError::Invalid),
        };
        if !matches!(national.as_bytes()[0], b'6'..=b'9') {
            return Err(MobileError::Invalid);
        }
        Ok(Self(national.to_owned()))
    }

    /// The national number.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The last four digits, which is all CoWIN ever showed back (`"mobile_number":"3210"`).
    pub fn last4(&self) -> &str {
        &self.0[self.0.len() - 4..]
    }

    /// The number in international form without `+` (what SMS gateways want).
    pub fn international(&self, country_prefix: &str) -> String {
        format!("{country_prefix}{}", self.0)
    }
}

/// Never prints the number: mobile numbers are personal data and must not reach logs.
impl fmt::Debug for Mobile {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Mobile(******{})", self.last4())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(input: &str, expected: Result<&str, MobileError>) {
        assert_eq!(
            Mobile::parse(input).map(|m| m.as_str().to_owned()),
            expected.map(str::to_owned),
            "{input}"
        );
    }

    #[test]
    fn parses_indian_mobile_numbers() {
        check("9876543210", Ok("9876543210"));
        check("+91 98765 43210", Ok("9876543210"));
        check("919876543210", Ok("9876543210"));
        check("09876543210", Ok("9876543210"));
        check("", Err(MobileError::Missing));
        check("5876543210", Err(MobileError::Invalid));
        check("98765432", Err(MobileError::Invalid));
        check("98765x3210", Err(MobileError::Invalid));
    }

    #[test]
    fn debug_hides_the_number() {
        let m = Mobile::parse("9876543210").unwrap();
        assert_eq!(format!("{m:?}"), "Mobile(******3210)");
        assert_eq!(m.international("91"), "919876543210");
    }
}
