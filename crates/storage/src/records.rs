//! Plain records that cross the storage boundary, already decoded into domain types.

use chrono::NaiveDate;
use tika_domain::ids::{
    AccountId, AppointmentId, BeneficiaryId, BeneficiaryRef, CenterId, DistrictId, OtpTxnId,
    SessionId, StateId, VaccinationId,
};
use tika_domain::mobile::Mobile;
use tika_domain::session::{AgeLimits, FeeType, SecurityCode, Slot};
use tika_domain::vaccine::{DoseNumber, VaccineCode};

/// A centre to insert.
#[derive(Debug, Clone)]
pub struct NewCenter {
    /// CoWIN-style integer id.
    pub id: CenterId,
    /// Name.
    pub name: String,
    /// Localised name.
    pub name_l: String,
    /// Street address.
    pub address: String,
    /// Block (sub-district) name.
    pub block_name: String,
    /// District.
    pub district_id: DistrictId,
    /// State.
    pub state_id: StateId,
    /// Pincode.
    pub pincode: u32,
    /// Latitude.
    pub lat: Option<f64>,
    /// Longitude.
    pub lon: Option<f64>,
    /// Opening time `HH:MM:SS`.
    pub open_time: String,
    /// Closing time `HH:MM:SS`.
    pub close_time: String,
    /// Free or paid.
    pub fee_type: FeeType,
    /// Creation time (ms).
    pub created_at_ms: i64,
}

/// A centre as stored.
pub type Center = NewCenter;

/// A session to insert.
#[derive(Debug, Clone)]
pub struct NewSession {
    /// Id.
    pub id: SessionId,
    /// Centre.
    pub center_id: CenterId,
    /// Date.
    pub date: NaiveDate,
    /// Vaccine.
    pub vaccine: VaccineCode,
    /// Age limits.
    pub ages: AgeLimits,
    /// Fee, as CoWIN's string (`"0"`, `"780"`).
    pub fee: String,
    /// Seats for first doses.
    pub capacity_dose1: u32,
    /// Seats for second doses.
    pub capacity_dose2: u32,
    /// Time slots.
    pub slots: Vec<Slot>,
    /// Creation time (ms).
    pub updated_at_ms: i64,
}

/// A session as stored, with its bookings so far.
#[derive(Debug, Clone)]
pub struct Session {
    /// Id.
    pub id: SessionId,
    /// Centre.
    pub center_id: CenterId,
    /// Date.
    pub date: NaiveDate,
    /// Vaccine.
    pub vaccine: VaccineCode,
    /// Age limits.
    pub ages: AgeLimits,
    /// Fee string.
    pub fee: String,
    /// Seats for first doses.
    pub capacity_dose1: u32,
    /// Seats for second doses.
    pub capacity_dose2: u32,
    /// First-dose seats taken.
    pub booked_dose1: u32,
    /// Second-dose seats taken.
    pub booked_dose2: u32,
    /// Time slots.
    pub slots: Vec<Slot>,
    /// Whether it is still on.
    pub active: bool,
    /// Last change (ms).
    pub updated_at_ms: i64,
}

impl Session {
    /// Seats left for a dose.
    pub fn available(&self, dose: DoseNumber) -> u32 {
        if dose == DoseNumber::FIRST {
            self.capacity_dose1.saturating_sub(self.booked_dose1)
        } else {
            self.capacity_dose2.saturating_sub(self.booked_dose2)
        }
    }
}

/// A citizen account.
#[derive(Debug, Clone)]
pub struct Account {
    /// Id.
    pub id: AccountId,
    /// Verified mobile.
    pub mobile: Mobile,
    /// Preferred language.
    pub language: String,
}

/// An OTP transaction to store.
#[derive(Debug, Clone)]
pub struct NewOtp {
    /// `txnId`.
    pub id: OtpTxnId,
    /// Mobile it was sent to.
    pub mobile: Mobile,
    /// Keyed hash of the OTP's SHA-256 hex.
    pub otp_hash: String,
    /// `public` or `protected`.
    pub scope: String,
    /// Creation time (ms).
    pub created_at_ms: i64,
}

/// An OTP transaction as stored.
#[derive(Debug, Clone)]
pub struct OtpTxn {
    /// `txnId`.
    pub id: OtpTxnId,
    /// Mobile.
    pub mobile: Mobile,
    /// Keyed hash of the OTP's SHA-256 hex.
    pub otp_hash: String,
    /// Scope.
    pub scope: String,
    /// Creation time (ms).
    pub created_at_ms: i64,
    /// Wrong tries.
    pub attempts: u32,
    /// Used.
    pub consumed: bool,
}

/// A beneficiary to store (the photo id already reduced to keyed hash + last 4).
#[derive(Debug, Clone)]
pub struct NewBeneficiaryRecord {
    /// Id.
    pub id: BeneficiaryId,
    /// Reference id.
    pub reference_id: BeneficiaryRef,
    /// Owner.
    pub account_id: AccountId,
    /// Name.
    pub name: String,
    /// Birth year.
    pub birth_year: i32,
    /// Gender id.
    pub gender_id: i64,
    /// Photo id type id.
    pub photo_id_type: i64,
    /// Keyed hash of the normalized photo id number.
    pub photo_id_hash: String,
    /// Last 4 characters.
    pub photo_id_last4: String,
    /// Comorbidity.
    pub comorbidity: bool,
    /// Creation time (ms).
    pub created_at_ms: i64,
}

/// A beneficiary as stored.
pub type Beneficiary = NewBeneficiaryRecord;

/// A dose given.
#[derive(Debug, Clone)]
pub struct Vaccination {
    /// Id.
    pub id: VaccinationId,
    /// Who.
    pub beneficiary_id: BeneficiaryId,
    /// Which dose.
    pub dose: DoseNumber,
    /// Which vaccine.
    pub vaccine: VaccineCode,
    /// When.
    pub date: NaiveDate,
    /// Where.
    pub center_id: Option<CenterId>,
}

/// A dose to record.
pub type NewVaccination = Vaccination;

/// Status of one appointment row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppointmentStatus {
    /// Booked, not yet vaccinated.
    Booked,
    /// Cancelled by the citizen or the site.
    Cancelled,
    /// The dose was given.
    Completed,
}

impl AppointmentStatus {
    /// Storage spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            AppointmentStatus::Booked => "booked",
            AppointmentStatus::Cancelled => "cancelled",
            AppointmentStatus::Completed => "completed",
        }
    }

    pub(crate) fn parse(s: &str) -> Option<Self> {
        match s {
            "booked" => Some(AppointmentStatus::Booked),
            "cancelled" => Some(AppointmentStatus::Cancelled),
            "completed" => Some(AppointmentStatus::Completed),
            _ => None,
        }
    }
}

/// One beneficiary's place in a booking.
#[derive(Debug, Clone)]
pub struct Appointment {
    /// Row id.
    pub id: uuid::Uuid,
    /// The booking (`appointment_id`).
    pub booking_id: AppointmentId,
    /// Who.
    pub beneficiary_id: BeneficiaryId,
    /// Owner account.
    pub account_id: AccountId,
    /// Where and when.
    pub session_id: SessionId,
    /// Dose.
    pub dose: DoseNumber,
    /// Slot.
    pub slot: Slot,
    /// 4-digit code for the vaccinator.
    pub security_code: SecurityCode,
    /// Policy version the booking was made under.
    pub policy_version: String,
    /// Status.
    pub status: AppointmentStatus,
    /// Creation time (ms).
    pub created_at_ms: i64,
}

/// One person in a new booking.
#[derive(Debug, Clone)]
pub struct BookingMember {
    /// Who.
    pub beneficiary_id: BeneficiaryId,
    /// Their security code.
    pub security_code: SecurityCode,
}

/// A booking to make.
#[derive(Debug, Clone)]
pub struct NewBooking {
    /// The booking id returned to the client.
    pub booking_id: AppointmentId,
    /// Owner account.
    pub account_id: AccountId,
    /// Session.
    pub session_id: SessionId,
    /// Dose.
    pub dose: DoseNumber,
    /// Slot.
    pub slot: Slot,
    /// Policy version in force.
    pub policy_version: String,
    /// People.
    pub members: Vec<BookingMember>,
    /// Now (ms).
    pub now_ms: i64,
}

/// A move of a booking to another session.
#[derive(Debug, Clone)]
pub struct Reschedule {
    /// Booking.
    pub booking_id: AppointmentId,
    /// New session.
    pub session_id: SessionId,
    /// New slot.
    pub slot: Slot,
    /// Now (ms).
    pub now_ms: i64,
}
