//! One identifier type per entity, so the compiler catches a session id passed as a beneficiary id.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// Declares a UUID-backed identifier type (UUIDv7 when generated here, so ids sort by creation).
macro_rules! uuid_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(Uuid);

        impl $name {
            /// A new, time-ordered identifier.
            pub fn new() -> Self {
                Self(Uuid::now_v7())
            }
            /// Wraps an existing UUID.
            pub fn from_uuid(id: Uuid) -> Self {
                Self(id)
            }
            /// The underlying UUID.
            pub fn as_uuid(&self) -> Uuid {
                self.0
            }
        }

        impl Default for $name {
            fn default() -> Self {
                Self::new()
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.hyphenated().fmt(f)
            }
        }

        impl fmt::Debug for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                write!(f, "{}({})", stringify!($name), self.0)
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                Uuid::parse_str(s.trim()).map(Self).map_err(|_| IdError::NotAUuid)
            }
        }
    };
}

/// Declares an integer identifier type (CoWIN's public ids for places are integers).
macro_rules! int_id {
    ($(#[$doc:meta])* $name:ident) => {
        $(#[$doc])*
        #[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Debug, Serialize, Deserialize)]
        #[serde(transparent)]
        pub struct $name(pub i64);

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                self.0.fmt(f)
            }
        }

        impl FromStr for $name {
            type Err = IdError;
            fn from_str(s: &str) -> Result<Self, Self::Err> {
                s.trim().parse::<i64>().ok().filter(|n| *n > 0).map(Self).ok_or(IdError::NotAPositiveInteger)
            }
        }
    };
}

/// Why a string is not an identifier.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// Not a UUID.
    #[error("not a valid id")]
    NotAUuid,
    /// Not a positive integer.
    #[error("not a valid numeric id")]
    NotAPositiveInteger,
    /// Not a beneficiary reference id (14 digits).
    #[error("not a valid beneficiary reference id")]
    NotAReference,
}

uuid_id!(
    /// A citizen account: the verified mobile number that logs in and owns beneficiaries.
    AccountId
);
uuid_id!(
    /// A person to be vaccinated.
    BeneficiaryId
);
uuid_id!(
    /// A vaccination session: one facility, one date, one vaccine.
    SessionId
);
uuid_id!(
    /// A booking; CoWIN calls it `appointment_id` and `appointment_confirmation_no`.
    AppointmentId
);
uuid_id!(
    /// One OTP transaction (`txnId`).
    OtpTxnId
);
uuid_id!(
    /// A dose given to a beneficiary.
    VaccinationId
);
uuid_id!(
    /// A staff member of a facility (vaccinator, verifier, facility admin).
    StaffId
);
uuid_id!(
    /// An official's console account (national, state, district, block or facility level).
    AdminId
);
uuid_id!(
    /// A recurring session plan (the sessions it created name it).
    PlanId
);
uuid_id!(
    /// A record made on a site device (UUIDv7 generated on the device); a dose's record id is
    /// also its vaccination id, which is what makes a dose exactly-once.
    RecordId
);
uuid_id!(
    /// An item in the sync review queue.
    ReviewId
);
uuid_id!(
    /// A site device (one browser profile), generated once on the device.
    DeviceId
);
uuid_id!(
    /// The idempotency key of one sync upload.
    UploadKey
);
uuid_id!(
    /// One upload of a bulk list (people or surveys).
    ImportId
);
uuid_id!(
    /// One run of the assignment of listed people to sessions.
    AssignmentRunId
);
uuid_id!(
    /// One lucky draw.
    DrawId
);
uuid_id!(
    /// One survey record (a person's comorbidities as a surveyor recorded them).
    SurveyId
);
uuid_id!(
    /// A cold chain point: a state, regional or district vaccine store, or a facility's store.
    ColdChainPointId
);
uuid_id!(
    /// One piece of cold chain equipment (an ice-lined refrigerator, a deep freezer, …).
    EquipmentId
);
uuid_id!(
    /// A vaccine lot (one batch of one manufacturer) as received into the cold chain.
    LotId
);
uuid_id!(
    /// One stock movement in a point's ledger.
    MovementId
);
uuid_id!(
    /// One temperature alarm of a piece of equipment.
    AlarmId
);
int_id!(
    /// A state or union territory (CoWIN's numbering: Maharashtra = 21).
    StateId
);
int_id!(
    /// A district.
    DistrictId
);
int_id!(
    /// A vaccination centre (facility).
    CenterId
);

/// The beneficiary reference id printed on slips and certificates: 14 digits.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct BeneficiaryRef(String);

impl BeneficiaryRef {
    /// The length of a reference id.
    pub const LEN: usize = 14;

    /// Parses a reference id: exactly 14 ASCII digits, the first not zero.
    pub fn parse(s: &str) -> Result<Self, IdError> {
        let s = s.trim();
        if s.len() == Self::LEN && s.bytes().all(|b| b.is_ascii_digit()) && !s.starts_with('0') {
            Ok(Self(s.to_owned()))
        } else {
            Err(IdError::NotAReference)
        }
    }

    /// Builds a reference id from a random number (taken modulo the id space).
    pub fn from_random(n: u64) -> Self {
        let space = 9 * 10u64.pow(13);
        Self(format!("{}", 10u64.pow(13) + n % space))
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for BeneficiaryRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for BeneficiaryRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BeneficiaryRef({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn uuid_ids_round_trip_through_strings() {
        let id = SessionId::new();
        assert_eq!(id.to_string().parse::<SessionId>(), Ok(id));
        assert_eq!("nope".parse::<SessionId>(), Err(IdError::NotAUuid));
    }

    #[test]
    fn int_ids_reject_zero_and_negatives() {
        assert_eq!("21".parse::<StateId>(), Ok(StateId(21)));
        assert!("0".parse::<StateId>().is_err());
        assert!("-3".parse::<DistrictId>().is_err());
        assert!("x".parse::<CenterId>().is_err());
    }

    proptest! {
        #[test]
        fn random_references_always_parse(n in any::<u64>()) {
            let r = BeneficiaryRef::from_random(n);
            prop_assert_eq!(BeneficiaryRef::parse(r.as_str()), Ok(r));
        }
    }

    #[test]
    fn references_need_fourteen_digits() {
        assert!(BeneficiaryRef::parse("41371803146720").is_ok());
        assert!(BeneficiaryRef::parse("4137180314672").is_err());
        assert!(BeneficiaryRef::parse("01371803146720").is_err());
        assert!(BeneficiaryRef::parse("4137180314672a").is_err());
    }
}
