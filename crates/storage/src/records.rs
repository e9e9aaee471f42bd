//! Plain records that cross the storage boundary, already decoded into domain types.

use chrono::NaiveDate;
use tika_domain::ids::{
    AccountId, AppointmentId, BeneficiaryId, BeneficiaryRef, CenterId, DeviceId, DistrictId,
    OtpTxnId, RecordId, ReviewId, SessionId, StaffId, StateId, UploadKey, VaccinationId,
};
use tika_domain::mobile::Mobile;
use tika_domain::session::{AgeLimits, FeeType, SecurityCode, Slot};
use tika_domain::staff::{StaffRole, Username};
use tika_domain::sync::{SiteRecord, SyncCode};
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
    /// Whether the site takes walk-ins (people without a booking).
    pub walk_ins: bool,
    /// The recurring plan that created it, if any.
    pub plan_id: Option<tika_domain::ids::PlanId>,
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
    /// The SMS carrying the OTP, queued in the same transaction (`None`: nothing to send, e.g.
    /// tests that read OTPs another way).
    pub message: Option<NewMessage>,
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

/// A staff member to create.
#[derive(Debug, Clone)]
pub struct NewStaff {
    /// Id.
    pub id: StaffId,
    /// Facility.
    pub center_id: CenterId,
    /// Login name.
    pub username: Username,
    /// Display name.
    pub name: String,
    /// Mobile for OTP login.
    pub mobile: Option<Mobile>,
    /// Role.
    pub role: StaffRole,
    /// Argon2id PHC string.
    pub password_hash: String,
    /// Creation time (ms).
    pub created_at_ms: i64,
}

/// A staff member as stored.
#[derive(Debug, Clone)]
pub struct Staff {
    /// Id.
    pub id: StaffId,
    /// Facility.
    pub center_id: CenterId,
    /// Login name.
    pub username: Username,
    /// Display name.
    pub name: String,
    /// Mobile for OTP login.
    pub mobile: Option<Mobile>,
    /// Role.
    pub role: StaffRole,
    /// Argon2id PHC string.
    pub password_hash: String,
    /// Can log in.
    pub active: bool,
    /// Wrong passwords in a row.
    pub failed_logins: u32,
    /// Locked until (ms; 0 when not locked).
    pub locked_until_ms: i64,
}

/// A vaccine batch issued to a facility.
#[derive(Debug, Clone)]
pub struct Batch {
    /// Facility.
    pub center_id: CenterId,
    /// Batch (lot) number.
    pub batch: String,
    /// Vaccine.
    pub vaccine: VaccineCode,
    /// Expiry date.
    pub expiry: NaiveDate,
    /// Doses per vial.
    pub doses_per_vial: u16,
    /// When it was issued (ms).
    pub issued_at_ms: i64,
}

/// One person on a session's list: the appointment row and just enough to verify them.
#[derive(Debug, Clone)]
pub struct RosterEntry {
    /// The appointment row.
    pub appointment: Appointment,
    /// Reference id.
    pub reference_id: String,
    /// Name.
    pub name: String,
    /// Birth year.
    pub birth_year: i32,
    /// Gender id.
    pub gender_id: i64,
    /// Photo id type.
    pub photo_id_type: i64,
    /// Last 4 characters of the photo id.
    pub photo_id_last4: String,
}

/// A dose recorded in a session (from any device).
#[derive(Debug, Clone)]
pub struct SiteDose {
    /// Vaccination id (= the device's record id).
    pub id: RecordId,
    /// Who.
    pub beneficiary_id: BeneficiaryId,
    /// Dose.
    pub dose: DoseNumber,
    /// Vaccine.
    pub vaccine: VaccineCode,
    /// Batch.
    pub batch: Option<String>,
    /// Device time given (ms).
    pub at_ms: Option<i64>,
    /// Vaccinator.
    pub vaccinator_id: Option<StaffId>,
    /// Not against a booking.
    pub walk_in: bool,
    /// Undone.
    pub voided: bool,
}

/// An arrival at a session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Arrival {
    /// Who.
    pub beneficiary_id: BeneficiaryId,
    /// When (ms).
    pub at_ms: i64,
}

/// One upload from a site device, parsed.
#[derive(Debug, Clone)]
pub struct SyncUpload {
    /// Idempotency key.
    pub key: UploadKey,
    /// Uploading staff member.
    pub staff_id: StaffId,
    /// Their facility.
    pub center_id: CenterId,
    /// Device.
    pub device_id: DeviceId,
    /// SHA-256 of the request body, to tell a replay from a reused key.
    pub body_hash: String,
    /// Records, in order.
    pub records: Vec<SiteRecord>,
    /// Now (ms).
    pub now_ms: i64,
}

/// What became of an upload.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UploadOutcome {
    /// Applied now; the saved answer (JSON).
    Applied(String),
    /// Applied before; the saved answer, byte for byte.
    Replayed(String),
    /// The key was used before for a different body.
    KeyReused,
}

/// State of a review item.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewStatus {
    /// Waiting for an admin.
    Open,
    /// Accepted: the dose was recorded.
    Accepted,
    /// Discarded: nothing recorded.
    Discarded,
}

impl ReviewStatus {
    /// Storage and API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            ReviewStatus::Open => "open",
            ReviewStatus::Accepted => "accepted",
            ReviewStatus::Discarded => "discarded",
        }
    }

    /// Parses the spelling.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "open" => Some(ReviewStatus::Open),
            "accepted" => Some(ReviewStatus::Accepted),
            "discarded" => Some(ReviewStatus::Discarded),
            _ => None,
        }
    }
}

/// What an admin decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReviewAction {
    /// Record the dose (with the next dose number by history).
    Accept,
    /// Record nothing.
    Discard,
}

/// An item of the review queue.
#[derive(Debug, Clone)]
pub struct ReviewItem {
    /// Id.
    pub id: ReviewId,
    /// The record.
    pub record: SiteRecord,
    /// Facility.
    pub center_id: CenterId,
    /// Why.
    pub code: SyncCode,
    /// State.
    pub status: ReviewStatus,
    /// Why it was resolved so.
    pub resolution_note: Option<String>,
    /// Who resolved it (`staff:<id>` or `cli`).
    pub resolved_by: Option<String>,
    /// Created (ms).
    pub created_at_ms: i64,
    /// Resolved (ms).
    pub resolved_at_ms: Option<i64>,
}

/// Which review items to list.
#[derive(Debug, Clone, Default)]
pub struct ReviewFilter {
    /// Only this facility.
    pub center: Option<CenterId>,
    /// Only this session.
    pub session: Option<SessionId>,
    /// Only this state.
    pub status: Option<ReviewStatus>,
}

/// A staff read of personal data.
#[derive(Debug, Clone)]
pub struct AccessEntry {
    /// Who.
    pub staff_id: StaffId,
    /// Their facility.
    pub center_id: CenterId,
    /// Which session.
    pub session_id: Option<SessionId>,
    /// What (`bundle`, `list_pdf`, `search`).
    pub action: String,
    /// Details without personal data (counts, query kind).
    pub detail: String,
    /// When (ms).
    pub at_ms: i64,
}

/// A durable event waiting for its consumer.
#[derive(Debug, Clone)]
pub struct OutboxEvent {
    /// Id.
    pub id: uuid::Uuid,
    /// `dose.recorded`, `dose.voided`, `aefi.serious`.
    pub kind: String,
    /// The vaccination (or report) it is about.
    pub subject_id: String,
    /// JSON payload.
    pub payload: String,
    /// Created (ms).
    pub created_at_ms: i64,
    /// Failed processing attempts so far (the consumer's backoff grows with it).
    pub attempts: u32,
}

// --- certificates -------------------------------------------------------------------------

/// Which certificate a dose gets: the domestic one, or the international one (passport).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CertificateKind {
    /// The domestic certificate (photo id).
    Domestic,
    /// The international certificate (passport, date of birth).
    International,
}

impl CertificateKind {
    /// Storage and event spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            CertificateKind::Domestic => "domestic",
            CertificateKind::International => "international",
        }
    }

    /// Parses the spelling.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "domestic" => Some(CertificateKind::Domestic),
            "international" => Some(CertificateKind::International),
            _ => None,
        }
    }
}

/// A signed certificate to store (the server built and signed it).
#[derive(Debug, Clone)]
pub struct NewCertificate {
    /// The 11-digit certificate id.
    pub certificate_id: String,
    /// The dose it certifies.
    pub vaccination_id: VaccinationId,
    /// Whose dose (as read in the facts the credential was built from).
    pub beneficiary_id: BeneficiaryId,
    /// Dose number (as read in the facts).
    pub dose: u8,
    /// Domestic or international.
    pub kind: CertificateKind,
    /// The signed credential, JSON text, stored and served byte for byte.
    pub credential: String,
    /// The signing key (verification method) id.
    pub key_id: String,
    /// Issue time (ms); also "now" for everything the issue writes.
    pub issued_at_ms: i64,
}

/// A certificate as stored, live or revoked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateRecord {
    /// The 11-digit certificate id.
    pub certificate_id: String,
    /// The dose it certifies.
    pub vaccination_id: VaccinationId,
    /// Whose dose when it was issued.
    pub beneficiary_id: BeneficiaryId,
    /// Dose number when it was issued.
    pub dose: u8,
    /// Domestic or international.
    pub kind: CertificateKind,
    /// The signed credential (JSON text).
    pub credential: String,
    /// The signing key id.
    pub key_id: String,
    /// Issued (ms).
    pub issued_at_ms: i64,
    /// Revoked (ms); `None` while live.
    pub revoked_at_ms: Option<i64>,
    /// Why it was revoked (`superseded`, `merged`, `dose voided`, …).
    pub revoke_reason: Option<String>,
    /// The certificate that replaced it, if any.
    pub replaced_by: Option<String>,
}

impl CertificateRecord {
    /// Not revoked.
    pub fn is_live(&self) -> bool {
        self.revoked_at_ms.is_none()
    }
}

/// What [`Store::issue_certificate`](crate::Store::issue_certificate) did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum IssueOutcome {
    /// The new certificate is stored and live.
    Issued(CertificateRecord),
    /// A live certificate for the dose and kind already existed (a retried or doubled job);
    /// nothing new was stored.  Carries the live one.
    AlreadyIssued(CertificateRecord),
}

impl IssueOutcome {
    /// The live certificate, whichever way.
    pub fn certificate(&self) -> &CertificateRecord {
        match self {
            IssueOutcome::Issued(c) | IssueOutcome::AlreadyIssued(c) => c,
        }
    }
}

/// Everything needed to build the certificate of one dose, read in one query.
///
/// Place names (district, state) are not in the database: storage returns the ids and
/// [`CertificateFacts::name_places`] fills the names from the country pack.
#[derive(Clone)]
pub struct CertificateFacts {
    /// The dose.
    pub vaccination_id: VaccinationId,
    /// Dose number.
    pub dose: u8,
    /// Vaccine.
    pub vaccine: VaccineCode,
    /// Date given.
    pub date: NaiveDate,
    /// Device time given (ms), for site doses.
    pub given_at_ms: Option<i64>,
    /// Batch, for site doses.
    pub batch: Option<String>,
    /// Session, for site doses.
    pub session_id: Option<SessionId>,
    /// The vaccinator's display name, when known.
    pub vaccinator_name: Option<String>,
    /// When the dose was undone; a voided dose gets no certificate.
    pub voided_at_ms: Option<i64>,
    /// Whose dose (now).
    pub beneficiary_id: BeneficiaryId,
    /// Their reference id.
    pub reference_id: String,
    /// Their name.
    pub name: String,
    /// Birth year.
    pub birth_year: i32,
    /// Gender id (country pack).
    pub gender_id: i64,
    /// Photo id type (country pack).
    pub photo_id_type: i64,
    /// Last 4 characters of the photo id.
    pub photo_id_last4: String,
    /// Date of birth `YYYY-MM-DD`, if given for travel.
    pub beneficiary_dob: Option<String>,
    /// Passport number, if given for travel.
    pub beneficiary_passport: Option<String>,
    /// Set when the person was merged into another record (the facts are then stale).
    pub merged_into: Option<BeneficiaryId>,
    /// Where the dose was given (old CoWIN-era rows may not say).
    pub center_id: Option<CenterId>,
    /// Centre name.
    pub center_name: Option<String>,
    /// Centre street address.
    pub center_address: Option<String>,
    /// Centre block (sub-district).
    pub block_name: Option<String>,
    /// Centre district.
    pub district_id: Option<DistrictId>,
    /// District name (from the pack, see [`CertificateFacts::name_places`]).
    pub district_name: Option<String>,
    /// Centre state.
    pub state_id: Option<StateId>,
    /// State name (from the pack, see [`CertificateFacts::name_places`]).
    pub state_name: Option<String>,
    /// Centre pincode.
    pub pincode: Option<u32>,
}

impl CertificateFacts {
    /// Fills the district and state names from the country pack.
    pub fn name_places(&mut self, pack: &tika_domain::country::CountryPack) {
        if let Some(d) = self.district_id.and_then(|id| pack.district(id)) {
            self.district_name = Some(d.name.clone());
        }
        if let Some(s) = self.state_id.and_then(|id| pack.state(id)) {
            self.state_name = Some(s.name.clone());
        }
    }
}

impl std::fmt::Debug for CertificateFacts {
    /// Ids only: never the name, date of birth or passport.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CertificateFacts")
            .field("vaccination_id", &self.vaccination_id)
            .field("dose", &self.dose)
            .field("beneficiary_id", &self.beneficiary_id)
            .field("center_id", &self.center_id)
            .field("voided", &self.voided_at_ms.is_some())
            .finish_non_exhaustive()
    }
}

/// One entry of the published revocation list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Revocation {
    /// Position in the list; the list's version is the highest.
    pub seq: i64,
    /// The revoked certificate.
    pub certificate_id: String,
    /// Why.
    pub reason: String,
    /// When (ms).
    pub revoked_at_ms: i64,
}

// --- corrections, merges, audit -----------------------------------------------------------

/// The field a correction request changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CorrectionField {
    /// Name.
    Name,
    /// Birth year.
    BirthYear,
    /// Gender.
    Gender,
    /// Photo id number (same id type).
    PhotoId,
}

impl CorrectionField {
    /// Storage and API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            CorrectionField::Name => "name",
            CorrectionField::BirthYear => "birth_year",
            CorrectionField::Gender => "gender",
            CorrectionField::PhotoId => "photo_id",
        }
    }

    /// Parses the spelling.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "name" => Some(CorrectionField::Name),
            "birth_year" => Some(CorrectionField::BirthYear),
            "gender" => Some(CorrectionField::Gender),
            "photo_id" => Some(CorrectionField::PhotoId),
            _ => None,
        }
    }
}

/// The new value a correction asks for, already validated by the caller.
#[derive(Clone, PartialEq, Eq)]
pub enum CorrectionChange {
    /// A new name.
    Name(String),
    /// A new birth year.
    BirthYear(i32),
    /// A new gender id (country pack).
    Gender(i64),
    /// A new photo id number of the same type, reduced to its keyed hash and last 4.
    PhotoId {
        /// Keyed hash of the normalized number.
        hash: String,
        /// Last 4 characters.
        last4: String,
    },
}

impl CorrectionChange {
    /// The field it changes.
    pub fn field(&self) -> CorrectionField {
        match self {
            CorrectionChange::Name(_) => CorrectionField::Name,
            CorrectionChange::BirthYear(_) => CorrectionField::BirthYear,
            CorrectionChange::Gender(_) => CorrectionField::Gender,
            CorrectionChange::PhotoId { .. } => CorrectionField::PhotoId,
        }
    }
}

impl std::fmt::Debug for CorrectionChange {
    /// The field only, never the value.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CorrectionChange({})", self.field().as_str())
    }
}

/// A correction request to file.
#[derive(Debug, Clone)]
pub struct NewCorrection {
    /// Id.
    pub id: uuid::Uuid,
    /// Whose record.
    pub beneficiary_id: BeneficiaryId,
    /// What changes.
    pub change: CorrectionChange,
    /// The citizen's reason.
    pub reason: String,
    /// Who asks (`citizen:<account>`, `staff:<id>`, `cli`).
    pub requested_by: String,
    /// Now (ms).
    pub requested_at_ms: i64,
}

/// State of a correction request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CorrectionStatus {
    /// Waiting for a decision.
    Pending,
    /// Approved and applied.
    Approved,
    /// Rejected; the field may be requested again.
    Rejected,
}

impl CorrectionStatus {
    /// Storage and API spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            CorrectionStatus::Pending => "pending",
            CorrectionStatus::Approved => "approved",
            CorrectionStatus::Rejected => "rejected",
        }
    }

    /// Parses the spelling.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "pending" => Some(CorrectionStatus::Pending),
            "approved" => Some(CorrectionStatus::Approved),
            "rejected" => Some(CorrectionStatus::Rejected),
            _ => None,
        }
    }
}

/// A decision on a pending correction request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CorrectionDecision {
    /// Apply the change (and reissue the person's certificates).
    Approve,
    /// Change nothing; the field stays correctable.
    Reject,
}

/// A correction request as stored.  For a photo id, the values are last-4 strings only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CorrectionRequest {
    /// Id.
    pub id: uuid::Uuid,
    /// Whose record.
    pub beneficiary_id: BeneficiaryId,
    /// Which field.
    pub field: CorrectionField,
    /// The value when it was requested (display text: name, year, gender id, last 4).
    pub old_value: String,
    /// The value asked for (display text).
    pub new_value: String,
    /// The citizen's reason.
    pub reason: String,
    /// State.
    pub status: CorrectionStatus,
    /// Who asked.
    pub requested_by: String,
    /// When (ms).
    pub requested_at_ms: i64,
    /// Who decided.
    pub decided_by: Option<String>,
    /// When (ms).
    pub decided_at_ms: Option<i64>,
    /// Why.
    pub decision_note: Option<String>,
}

/// Which correction requests to list.
#[derive(Debug, Clone, Default)]
pub struct CorrectionFilter {
    /// Only this state.
    pub status: Option<CorrectionStatus>,
    /// Only this person.
    pub beneficiary: Option<BeneficiaryId>,
}

/// What a merge did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MergeOutcome {
    /// Doses moved from the dropped record to the kept one.
    pub moved_doses: u32,
    /// Doses whose number changed (moved ones included).
    pub renumbered: u32,
    /// Live certificates revoked (both records).
    pub revoked: Vec<String>,
    /// `certificate.reissue` events enqueued.
    pub reissue_events: u32,
    /// Booked appointments cancelled (the dropped record's, and the kept record's for dose
    /// numbers it now holds).
    pub cancelled_appointments: u32,
}

/// An entry of the audit log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    /// Id (UUIDv7).
    pub id: uuid::Uuid,
    /// When (ms).
    pub at_ms: i64,
    /// `citizen:<account>`, `staff:<id>`, `system` or `cli`.
    pub actor: String,
    /// `certificate.issue`, `certificate.revoke`, `correction.request`, `correction.approve`,
    /// `correction.reject`, `beneficiary.merge`, `beneficiary.travel_details`.
    pub action: String,
    /// The beneficiary the action concerns.
    pub subject: String,
    /// JSON details (ids, fields, reasons; never names or id numbers).
    pub detail: String,
}

// --- messages (notifications) ---------------------------------------------------------------

/// A message to store in the queue (the SMS outbox).  Rendered before it is stored: the text,
/// the operator template id and the size are fixed when the triggering event is planned.
#[derive(Debug, Clone)]
pub struct NewMessage {
    /// Id.  Planned messages use a deterministic id (v5 of the event id and the recipient), so
    /// planning an event twice stores each message once (`ON CONFLICT DO NOTHING`).
    pub id: uuid::Uuid,
    /// What it is for (decides the priority lane).
    pub kind: tika_domain::message::MessageKind,
    /// Recipient.
    pub mobile: Mobile,
    /// The recipient's account, when known.
    pub account_id: Option<AccountId>,
    /// The person it is about, when there is one.
    pub beneficiary_id: Option<BeneficiaryId>,
    /// The booking it is about (for the session call list).
    pub booking_id: Option<AppointmentId>,
    /// The session it is about (for the call list and per-district rates).
    pub session_id: Option<SessionId>,
    /// Language it was rendered in (`en`, `hi`).
    pub language: String,
    /// The operator-registered template id (India's DLT).
    pub template_id: String,
    /// The text.  For OTPs it is erased once the message is sent or expired.
    pub body: String,
    /// SMS parts the text takes.
    pub parts: u32,
    /// UCS-2 (Devanagari) rather than GSM-7.
    pub unicode: bool,
    /// Queued messages with this key are cancelled by a later event naming it
    /// (`reminder:<booking>`, `due:<beneficiary>`).
    pub supersede_key: Option<String>,
    /// The recipient's quiet hours in local minutes after midnight `(from, to)`, for kinds that
    /// respect them; `None` for none.
    pub quiet_hours: Option<(u16, u16)>,
    /// Not sent before (ms).
    pub available_at_ms: i64,
    /// Not sent after (ms): `expired` instead.
    pub expires_at_ms: i64,
    /// Now (ms).
    pub created_at_ms: i64,
}

/// A message as stored.
#[derive(Debug, Clone)]
pub struct MessageRecord {
    /// Id.
    pub id: uuid::Uuid,
    /// Kind.
    pub kind: tika_domain::message::MessageKind,
    /// Priority lane.
    pub priority: tika_domain::message::Priority,
    /// Recipient.
    pub mobile: Mobile,
    /// Account.
    pub account_id: Option<AccountId>,
    /// Person.
    pub beneficiary_id: Option<BeneficiaryId>,
    /// Booking.
    pub booking_id: Option<AppointmentId>,
    /// Session.
    pub session_id: Option<SessionId>,
    /// Language.
    pub language: String,
    /// Operator template id.
    pub template_id: String,
    /// Text ("" once an OTP was sent or expired).
    pub body: String,
    /// SMS parts.
    pub parts: u32,
    /// UCS-2.
    pub unicode: bool,
    /// Status.
    pub status: tika_domain::message::MessageStatus,
    /// Supersede key.
    pub supersede_key: Option<String>,
    /// Quiet hours `(from, to)` in local minutes.
    pub quiet_hours: Option<(u16, u16)>,
    /// Not before (ms).
    pub available_at_ms: i64,
    /// Not after (ms).
    pub expires_at_ms: i64,
    /// Failed attempts so far.
    pub attempts: u32,
    /// The gateway that took it (or last tried).
    pub gateway: Option<String>,
    /// The gateway's own id for it.
    pub gateway_ref: Option<String>,
    /// Last error or failure report.
    pub last_error: Option<String>,
    /// Created (ms).
    pub created_at_ms: i64,
    /// Handed to a gateway (ms).
    pub sent_at_ms: Option<i64>,
    /// Delivered, or failed by report (ms).
    pub delivered_at_ms: Option<i64>,
}

/// The events one planning round turned into messages: stored, and the events marked
/// processed, in one transaction.
#[derive(Debug, Clone, Default)]
pub struct MessagePlan {
    /// The outbox events this plan consumes (marked processed).
    pub event_ids: Vec<uuid::Uuid>,
    /// Queued messages with one of these supersede keys become `cancelled` (before the new
    /// messages are inserted, so a new message may carry the same key).
    pub cancel_keys: Vec<String>,
    /// New messages (a message whose id exists already is left as it is).
    pub messages: Vec<NewMessage>,
}

/// What happened when a dispatcher tried to hand a claimed message to a gateway.
#[derive(Debug, Clone)]
pub enum SendOutcome {
    /// A gateway accepted it: `sent`.  OTP bodies are erased.
    Sent {
        /// Message.
        id: uuid::Uuid,
        /// Gateway name.
        gateway: String,
        /// Gateway's id for it.
        gateway_ref: Option<String>,
        /// When (ms).
        at_ms: i64,
    },
    /// A transient error: back to `queued`, `attempts + 1`, not before `retry_at_ms`.
    Retry {
        /// Message.
        id: uuid::Uuid,
        /// Gateway tried last (if any).
        gateway: Option<String>,
        /// Error text (stored truncated).
        error: String,
        /// Next attempt (ms).
        retry_at_ms: i64,
    },
    /// Waits without an attempt counted (quiet hours, gateway rate): back to `queued`.
    Defer {
        /// Message.
        id: uuid::Uuid,
        /// Not before (ms).
        until_ms: i64,
    },
    /// Will never be sent: `failed`.
    Failed {
        /// Message.
        id: uuid::Uuid,
        /// Gateway (if any).
        gateway: Option<String>,
        /// Why.
        error: String,
        /// When (ms).
        at_ms: i64,
    },
    /// Its time-to-live passed: `expired` (OTP bodies erased).
    Expired {
        /// Message.
        id: uuid::Uuid,
        /// When (ms).
        at_ms: i64,
    },
}

/// A delivery report from the phone network (through a gateway).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DeliveryState {
    /// The SMSC took it (`sent`, no change if already further).
    Accepted,
    /// Delivered to the phone.
    Delivered,
    /// Will not be delivered.
    Failed,
}

/// One row of a session's call list: everyone booked, with what they were told and whether
/// they came.
#[derive(Debug, Clone)]
pub struct CallListRow {
    /// The appointment.
    pub appointment: Appointment,
    /// Reference id.
    pub reference_id: String,
    /// Name.
    pub name: String,
    /// The account's mobile (whom to call).
    pub mobile: Mobile,
    /// The latest message about this booking (any kind), if any.
    pub last_message: Option<MessageRecord>,
    /// Messages about this booking, all kinds.
    pub messages: u32,
    /// Arrived at the site (ms).
    pub arrived_at_ms: Option<i64>,
    /// A dose was recorded for this person in this session.
    pub vaccinated: bool,
}

/// Delivery counts for one district and gateway.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeliveryStat {
    /// District of the session the message was about (`None`: not about a session, e.g. OTPs).
    pub district_id: Option<i64>,
    /// Gateway that took it (`None`: never handed over).
    pub gateway: Option<String>,
    /// Messages in the group.
    pub total: u64,
    /// Queued or sending.
    pub pending: u64,
    /// Sent, no report yet.
    pub sent: u64,
    /// Delivered.
    pub delivered: u64,
    /// Failed.
    pub failed: u64,
    /// Expired.
    pub expired: u64,
}

/// The queue, per priority lane.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct QueueDepth {
    /// `(priority, queued and due now, oldest due time ms)`; lanes with nothing due are left out.
    pub due: Vec<(tika_domain::message::Priority, u64, i64)>,
    /// Queued for later (reminders, deferred).
    pub scheduled: u64,
    /// Claimed by a dispatcher, not yet reported back.
    pub sending: u64,
}

/// An incoming SMS (MO), as stored.
#[derive(Debug, Clone)]
pub struct InboundSms {
    /// Id.
    pub id: uuid::Uuid,
    /// Sender.
    pub mobile: Mobile,
    /// Number it was sent to (short code).
    pub to: String,
    /// Text as received.
    pub text: String,
    /// Keyword recognised (`cancel`, `status`, `quiet`, `help`).
    pub keyword: String,
    /// What Tika did (`cancelled <booking>`, `replied`, …).
    pub outcome: String,
    /// Received (ms).
    pub received_at_ms: i64,
}

// --- the officials' console -----------------------------------------------------------------

/// An official's console account to create.
#[derive(Debug, Clone)]
pub struct NewAdmin {
    /// Id.
    pub id: tika_domain::ids::AdminId,
    /// Login name (unique among officials).
    pub username: Username,
    /// Display name.
    pub name: String,
    /// Mobile (optional; for messages).
    pub mobile: Option<Mobile>,
    /// Where they work.
    pub area: tika_domain::admin::Area,
    /// Argon2id PHC string.
    pub password_hash: String,
    /// Who created the account (`None` for the CLI and the demo).
    pub created_by: Option<tika_domain::ids::AdminId>,
    /// Creation time (ms).
    pub created_at_ms: i64,
}

/// An official as stored.
#[derive(Debug, Clone)]
pub struct Admin {
    /// Id.
    pub id: tika_domain::ids::AdminId,
    /// Login name.
    pub username: Username,
    /// Display name.
    pub name: String,
    /// Mobile.
    pub mobile: Option<Mobile>,
    /// Where they work.
    pub area: tika_domain::admin::Area,
    /// Argon2id PHC string.
    pub password_hash: String,
    /// Can log in.
    pub active: bool,
    /// Wrong passwords in a row.
    pub failed_logins: u32,
    /// Locked until (ms; 0 when not locked).
    pub locked_until_ms: i64,
    /// Bumped by logout, password change and deactivation: a console token carries the epoch
    /// it was issued under and is refused once it differs.
    pub auth_epoch: i64,
    /// Who created the account.
    pub created_by: Option<tika_domain::ids::AdminId>,
    /// Creation time (ms).
    pub created_at_ms: i64,
}

/// A facility with the details the console manages.
#[derive(Debug, Clone)]
pub struct Facility {
    /// The centre as CoWIN shows it (fee type follows `kind`, hours `HH:MM:SS`).
    pub center: Center,
    /// Government or private.
    pub kind: tika_domain::admin::FacilityKind,
    /// Fee per vaccine (empty when free).
    pub fees: Vec<(VaccineCode, u32)>,
    /// The cold chain point that supplies it.
    pub cold_chain_point: String,
    /// Whether it is open for sessions.
    pub active: bool,
    /// Last change (ms).
    pub updated_at_ms: i64,
}

impl Facility {
    /// Where it is, for area checks.
    pub fn place(&self) -> tika_domain::admin::Place {
        tika_domain::admin::Place {
            state: self.center.state_id,
            district: self.center.district_id,
            block: self.center.block_name.clone(),
            center: Some(self.center.id),
        }
    }
}

/// Which facilities to list.
#[derive(Debug, Clone)]
pub struct FacilityFilter {
    /// Only facilities inside this area.
    pub area: tika_domain::admin::Area,
    /// Only active (`Some(true)`) or inactive (`Some(false)`) ones.
    pub active: Option<bool>,
    /// Name contains (case-insensitive), or the pincode equals.
    pub query: Option<String>,
    /// Page size.
    pub limit: u32,
    /// Rows to skip.
    pub offset: u32,
}

/// A recurring session plan to store with the sessions it creates.
#[derive(Debug, Clone)]
pub struct NewPlan {
    /// Id.
    pub id: tika_domain::ids::PlanId,
    /// Facility.
    pub center_id: CenterId,
    /// The plan as checked (dates, seats, slots, vaccine).
    pub plan: tika_domain::admin::SessionPlan,
    /// Fee string every session of the plan carries (`"0"` when free).
    pub fee: String,
    /// Who planned it (`admin:<id>`).
    pub actor: String,
    /// Now (ms).
    pub now_ms: i64,
}

/// What storing a plan did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlanOutcome {
    /// Sessions created, by date.
    pub created: Vec<(NaiveDate, SessionId)>,
    /// Dates skipped because the facility already has an active session of the vaccine then.
    pub skipped: Vec<NaiveDate>,
}

/// One entry of the audit log as the console writes and reads it: who changed what, where,
/// and the record before and after (JSON, never personal data beyond officials' names).
#[derive(Debug, Clone, PartialEq)]
pub struct Change {
    /// Id (UUIDv7).
    pub id: uuid::Uuid,
    /// When (ms).
    pub at_ms: i64,
    /// `admin:<id>`, `staff:<id>`, `cli`, `system`, …
    pub actor: String,
    /// `facility.create`, `facility.update`, `facility.deactivate`, `session.plan`,
    /// `session.edit`, `session.cancel`, `session.move`, `admin.create`, `admin.deactivate`,
    /// `admin.password`, `staff.create`, `staff.deactivate`, … (older entries: the
    /// certificate and correction actions of [`AuditEntry`]).
    pub action: String,
    /// What changed: `center:<id>`, `session:<id>`, `plan:<id>`, `admin:<id>`,
    /// `staff:<id>`, or a beneficiary id.
    pub subject: String,
    /// Where, for area filtering (`None`: only national officials see it).
    pub place: Option<tika_domain::admin::Place>,
    /// The record before (JSON), when it existed.
    pub before: Option<String>,
    /// The record after (JSON), when it still exists.
    pub after: Option<String>,
}

/// Which audit entries to read.
#[derive(Debug, Clone)]
pub struct ChangeFilter {
    /// Only entries whose place is inside this area (national: every entry, placed or not).
    pub area: tika_domain::admin::Area,
    /// Only this subject.
    pub subject: Option<String>,
    /// Only this actor.
    pub actor: Option<String>,
    /// Only actions starting with this (`facility.`).
    pub action_prefix: Option<String>,
    /// Only entries strictly older than this (ms): the next page.
    pub before_ms: Option<i64>,
    /// Page size.
    pub limit: u32,
}
