//! One-time passwords: the rules of a login transaction, without the hashing (done by the caller).

use chrono::{DateTime, Duration, Utc};

/// The OTP rules (CoWIN: 6 digits, valid 3 minutes, 50 a day per mobile).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OtpPolicy {
    /// How long an OTP can be confirmed.
    pub validity: Duration,
    /// Wrong tries allowed per transaction.
    pub max_attempts: u32,
    /// OTPs a mobile may request per day.
    pub max_per_mobile_per_day: u32,
    /// Minimum gap between two OTPs to the same mobile.
    pub resend_after: Duration,
}

impl Default for OtpPolicy {
    fn default() -> Self {
        Self {
            validity: Duration::minutes(3),
            max_attempts: 5,
            max_per_mobile_per_day: 50,
            resend_after: Duration::seconds(0),
        }
    }
}

/// A stored OTP transaction, as much of it as the rules need.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OtpTxnState {
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// Wrong tries so far.
    pub attempts: u32,
    /// Already used for a successful login.
    pub consumed: bool,
}

/// Why an OTP confirmation is refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum OtpError {
    /// Wrong code (one try used up).
    #[error("Invalid OTP")]
    Wrong,
    /// The transaction is older than the validity.
    #[error("OTP expired")]
    Expired,
    /// The transaction was used already.
    #[error("OTP already used")]
    Used,
    /// Too many wrong tries.
    #[error("Too many wrong attempts")]
    TooManyAttempts,
}

impl OtpPolicy {
    /// Decides a confirmation: `matches` says whether the presented hash equals the stored one.
    pub fn check(
        &self,
        txn: &OtpTxnState,
        now: DateTime<Utc>,
        matches: bool,
    ) -> Result<(), OtpError> {
        if txn.consumed {
            return Err(OtpError::Used);
        }
        if txn.attempts >= self.max_attempts {
            return Err(OtpError::TooManyAttempts);
        }
        if now - txn.created_at > self.validity {
            return Err(OtpError::Expired);
        }
        if matches { Ok(()) } else { Err(OtpError::Wrong) }
    }
}

/// Whether a string is a lowercase or uppercase hex SHA-256 (64 hex digits), the form clients send.
pub fn is_sha256_hex(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| b.is_ascii_hexdigit())
}

/// A fresh 6-digit OTP from a random number.
pub fn otp_from_random(n: u32) -> String {
    format!("{:06}", n % 1_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn txn(attempts: u32, consumed: bool) -> OtpTxnState {
        OtpTxnState {
            created_at: DateTime::from_timestamp(1_000_000, 0).unwrap(),
            attempts,
            consumed,
        }
    }

    #[test]
    fn otp_rules() {
        let p = OtpPolicy::default();
        let t0 = DateTime::from_timestamp(1_000_000, 0).unwrap();
        assert_eq!(p.check(&txn(0, false), t0 + Duration::seconds(179), true), Ok(()));
        assert_eq!(
            p.check(&txn(0, false), t0 + Duration::seconds(181), true),
            Err(OtpError::Expired)
        );
        assert_eq!(p.check(&txn(0, false), t0, false), Err(OtpError::Wrong));
        assert_eq!(p.check(&txn(5, false), t0, true), Err(OtpError::TooManyAttempts));
        assert_eq!(p.check(&txn(0, true), t0, true), Err(OtpError::Used));
    }

    #[test]
    fn otp_format() {
        assert_eq!(otp_from_random(42), "000042");
        assert!(is_sha256_hex("8d969eef6ecad3c29a3a629280e686cf0c3f5d5a86aff3ca12020c923adc6c92"));
        assert!(!is_sha256_hex("123456"));
    }
}
