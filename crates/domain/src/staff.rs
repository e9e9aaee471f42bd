//! Facility staff: roles, usernames, password rules, login lockout and the offline working day.

use std::fmt;

use chrono::{DateTime, Duration, FixedOffset, NaiveTime, TimeZone, Utc};
use serde::{Deserialize, Serialize};

/// What a staff member may do at their facility.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StaffRole {
    /// Verifies people, registers walk-ins, records doses.
    Vaccinator,
    /// A vaccinator who also resolves the facility's sync review queue.
    FacilityAdmin,
}

impl StaffRole {
    /// Storage and API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            StaffRole::Vaccinator => "vaccinator",
            StaffRole::FacilityAdmin => "facility_admin",
        }
    }

    /// Parses the storage and API spelling.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "vaccinator" => Some(StaffRole::Vaccinator),
            "facility_admin" => Some(StaffRole::FacilityAdmin),
            _ => None,
        }
    }

    /// Whether the role may resolve review items.
    pub fn can_review(self) -> bool {
        self == StaffRole::FacilityAdmin
    }
}

/// A login name: 3 to 40 of `a-z 0-9 . _ -`, starting with a letter, stored in lower case.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Username(String);

/// Why a staff field is invalid.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StaffError {
    /// Username malformed.
    #[error(
        "Username must be 3 to 40 characters of a-z, 0-9, '.', '_' or '-', starting with a letter"
    )]
    UsernameInvalid,
    /// Password too weak.
    #[error(
        "Password must have at least 10 characters with a letter and a digit, and must not contain the username"
    )]
    PasswordWeak,
    /// Unknown role.
    #[error("Role must be vaccinator or facility_admin")]
    RoleInvalid,
}

impl Username {
    /// Parses and lower-cases a username.
    pub fn parse(s: &str) -> Result<Self, StaffError> {
        let s = s.trim().to_ascii_lowercase();
        let ok = (3..=40).contains(&s.len())
            && s.starts_with(|c: char| c.is_ascii_lowercase())
            && s.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || ".-_".contains(c));
        if ok { Ok(Self(s)) } else { Err(StaffError::UsernameInvalid) }
    }

    /// The username.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Username({})", self.0)
    }
}

impl fmt::Display for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Checks a new password: at least 10 characters, a letter and a digit, not containing the
/// username.  (Length matters most; the rest stops the commonest guesses.)
pub fn check_password(username: &Username, password: &str) -> Result<(), StaffError> {
    let ok = password.chars().count() >= 10
        && password.chars().any(char::is_alphabetic)
        && password.chars().any(|c| c.is_ascii_digit())
        && !password.to_lowercase().contains(username.as_str());
    if ok { Ok(()) } else { Err(StaffError::PasswordWeak) }
}

/// Repeated wrong passwords lock the account for a while.
#[derive(Debug, Clone, Copy)]
pub struct LockoutPolicy {
    /// Wrong passwords in a row before the lock.
    pub max_failures: u32,
    /// How long the lock lasts.
    pub lock_for: Duration,
}

impl Default for LockoutPolicy {
    fn default() -> Self {
        Self { max_failures: 5, lock_for: Duration::minutes(15) }
    }
}

impl LockoutPolicy {
    /// After a wrong password (the `failures`-th in a row): the time the account is locked
    /// until, if this failure locks it.
    pub fn after_failure(&self, failures: u32, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        (failures >= self.max_failures).then(|| now + self.lock_for)
    }
}

/// The end of the local day containing `now` (23:59:59 local): a staff token lasts until then,
/// so a device logged in in the morning keeps working offline all day.
pub fn end_of_local_day(now: DateTime<Utc>, offset_minutes: i32) -> DateTime<Utc> {
    let Some(offset) = FixedOffset::east_opt(offset_minutes * 60) else {
        return now + Duration::hours(12);
    };
    let local = now.with_timezone(&offset);
    let end = local.date_naive().and_time(NaiveTime::from_hms_opt(23, 59, 59).unwrap_or_default());
    offset
        .from_local_datetime(&end)
        .single()
        .map_or(now + Duration::hours(12), |t| t.with_timezone(&Utc))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames_are_lower_cased_and_checked() {
        assert_eq!(Username::parse(" Asha.K ").unwrap().as_str(), "asha.k");
        for bad in ["ab", "1abc", "asha k", "asha@x", &"a".repeat(41)] {
            assert_eq!(Username::parse(bad), Err(StaffError::UsernameInvalid), "{bad}");
        }
    }

    #[test]
    fn weak_passwords_are_refused() {
        let u = Username::parse("asha").unwrap();
        assert!(check_password(&u, "monsoon-2026").is_ok());
        for weak in ["short1", "onlyletters", "1234567890", "xxasha12345"] {
            assert_eq!(check_password(&u, weak), Err(StaffError::PasswordWeak), "{weak}");
        }
    }

    #[test]
    fn fifth_failure_locks_for_fifteen_minutes() {
        let now = Utc::now();
        let p = LockoutPolicy::default();
        assert_eq!(p.after_failure(4, now), None);
        assert_eq!(p.after_failure(5, now), Some(now + Duration::minutes(15)));
    }

    #[test]
    fn working_day_ends_at_local_midnight() {
        // 2026-11-22 20:00 UTC is 2026-11-23 01:30 in India: the token lasts to 23:59:59 IST
        // on the 23rd, i.e. 18:29:59 UTC.
        let now = "2026-11-22T20:00:00Z".parse::<DateTime<Utc>>().unwrap();
        let end = end_of_local_day(now, 330);
        assert_eq!(end.to_rfc3339(), "2026-11-23T18:29:59+00:00");
        assert!(end > now);
    }
}
