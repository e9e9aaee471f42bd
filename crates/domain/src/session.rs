//! Sessions and their slots, fees and age limits.

use serde::{Deserialize, Serialize};

/// Free or paid, as CoWIN's `fee_type` says it.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
pub enum FeeType {
    /// No fee (government centres).
    Free,
    /// A fee per vaccine (private centres).
    Paid,
}

impl FeeType {
    /// CoWIN's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            FeeType::Free => "Free",
            FeeType::Paid => "Paid",
        }
    }

    /// Parses CoWIN's spelling, case-insensitively.
    pub fn parse(s: &str) -> Option<Self> {
        match s.trim().to_ascii_lowercase().as_str() {
            "free" => Some(FeeType::Free),
            "paid" => Some(FeeType::Paid),
            _ => None,
        }
    }
}

/// The ages a session accepts, in completed years at the session's date (CoWIN used the birth year).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Serialize, Deserialize)]
pub struct AgeLimits {
    /// Youngest.
    pub min: u8,
    /// Oldest, when there is an upper bound (e.g. 44 for the 18-44 group).
    pub max: Option<u8>,
}

impl AgeLimits {
    /// Whether an age is inside the limits.
    pub fn admits(self, age: i32) -> bool {
        age >= i32::from(self.min) && self.max.is_none_or(|max| age <= i32::from(max))
    }
}

/// A time slot of a session, e.g. `09:00AM-11:00AM`.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Slot(String);

impl Slot {
    /// Builds the slot label from start and end minutes after midnight.
    pub fn from_minutes(start: u32, end: u32) -> Self {
        Self(format!("{}-{}", hhmm_ampm(start), hhmm_ampm(end)))
    }

    /// Wraps a label read back from storage.
    pub fn from_label(s: &str) -> Self {
        Self(s.to_owned())
    }

    /// The label.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The start of the slot in minutes after local midnight (`09:00AM-11:00AM` → 540);
    /// `None` if the label is not in that form.
    pub fn start_minutes(&self) -> Option<u32> {
        let start = self.0.split('-').next()?.trim();
        let (hm, ampm) = start.split_at(start.len().checked_sub(2)?);
        let (h, m) = hm.split_once(':')?;
        let (h, m): (u32, u32) = (h.parse().ok()?, m.parse().ok()?);
        if !(1..=12).contains(&h) || m > 59 {
            return None;
        }
        let h24 = match ampm {
            "AM" => h % 12,
            "PM" => h % 12 + 12,
            _ => return None,
        };
        Some(h24 * 60 + m)
    }

    /// Splits a session's opening hours into `n` equal slots, CoWIN-style.
    pub fn split(open_min: u32, close_min: u32, n: u32) -> Vec<Slot> {
        if n == 0 || close_min <= open_min {
            return Vec::new();
        }
        let len = (close_min - open_min) / n;
        (0..n).map(|i| Slot::from_minutes(open_min + i * len, open_min + (i + 1) * len)).collect()
    }
}

/// `09:00AM`, `01:00PM`.
fn hhmm_ampm(min: u32) -> String {
    let (h, m) = (min / 60 % 24, min % 60);
    let (h12, ampm) = match h {
        0 => (12, "AM"),
        1..=11 => (h, "AM"),
        12 => (12, "PM"),
        _ => (h - 12, "PM"),
    };
    format!("{h12:02}:{m:02}{ampm}")
}

/// The 4-digit security code of an appointment, checked by the vaccinator.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct SecurityCode(String);

impl SecurityCode {
    /// A code from a random number.
    pub fn from_random(n: u32) -> Self {
        Self(format!("{:04}", n % 10_000))
    }

    /// Parses exactly four digits.
    pub fn parse(s: &str) -> Option<Self> {
        let s = s.trim();
        (s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit())).then(|| Self(s.to_owned()))
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for SecurityCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("SecurityCode(****)")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slots_split_opening_hours_the_cowin_way() {
        let slots = Slot::split(9 * 60, 17 * 60, 4);
        let labels: Vec<&str> = slots.iter().map(Slot::as_str).collect();
        assert_eq!(
            labels,
            ["09:00AM-11:00AM", "11:00AM-01:00PM", "01:00PM-03:00PM", "03:00PM-05:00PM"]
        );
        assert!(Slot::split(10, 5, 2).is_empty());
        let starts: Vec<Option<u32>> = slots.iter().map(Slot::start_minutes).collect();
        assert_eq!(starts, [Some(540), Some(660), Some(780), Some(900)]);
        assert_eq!(Slot::from_minutes(0, 60).start_minutes(), Some(0));
        assert_eq!(Slot::from_minutes(12 * 60 + 30, 13 * 60).start_minutes(), Some(750));
        assert_eq!(Slot::from_label("morning").start_minutes(), None);
        assert_eq!(Slot::from_label("13:00PM-14:00PM").start_minutes(), None);
    }

    #[test]
    fn age_limits_admit_inside_only() {
        let l = AgeLimits { min: 18, max: Some(44) };
        assert!(l.admits(18) && l.admits(44));
        assert!(!l.admits(17) && !l.admits(45));
        assert!(AgeLimits { min: 45, max: None }.admits(99));
    }

    #[test]
    fn security_codes_are_four_digits() {
        assert_eq!(SecurityCode::from_random(7).as_str(), "0007");
        assert!(SecurityCode::parse("1234").is_some());
        assert!(SecurityCode::parse("123").is_none());
        assert_eq!(format!("{:?}", SecurityCode::from_random(1234)), "SecurityCode(****)");
    }
}
