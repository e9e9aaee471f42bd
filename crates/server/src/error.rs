//! The one place that turns failures into HTTP: statuses, CoWIN `errorCode`s, messages.
//!
//! Bodies follow CoWIN: `{"errorCode":"APPOIN0040","error":"…"}` for 400/409/429/5xx, and the
//! plain text `Unauthenticated access!` for 401 (clients match that literal).  Infrastructure
//! failures are logged once here, with their cause, and answered opaquely.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use tika_domain::admin::FieldError;
use tika_domain::beneficiary::BeneficiaryError;
use tika_domain::eligibility::EligibilityError;
use tika_domain::mobile::MobileError;
use tika_domain::otp::OtpError;
use tika_storage::{ConflictKind, StorageError};

/// The literal 401 body CoWIN clients compare against.
pub const UNAUTHENTICATED_BODY: &str = "Unauthenticated access!";

/// Every way a request can fail.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    /// Missing, invalid or expired token (401, plain text).
    #[error("unauthenticated")]
    Unauthenticated,
    /// Bad input (400).
    #[error("{code}: {message}")]
    BadRequest {
        /// CoWIN-style code.
        code: &'static str,
        /// Message for the user.
        message: String,
    },
    /// A business rule refused the request (409).
    #[error("{code}: {message}")]
    Conflict {
        /// CoWIN-style code.
        code: &'static str,
        /// Message for the user.
        message: String,
    },
    /// Too many requests (429 with `Retry-After`).
    #[error("rate limited")]
    TooManyRequests {
        /// Seconds to wait.
        retry_after_secs: u64,
        /// Message for the user.
        message: String,
    },
    /// Authenticated, but not allowed to touch this (403).
    #[error("{code}: {message}")]
    Forbidden {
        /// Code.
        code: &'static str,
        /// Message for the user.
        message: String,
    },
    /// No such page or resource (404); also what an official gets for anything outside their
    /// area, so the answer does not tell whether it exists.
    #[error("not found")]
    NotFound,
    /// A console form with problems, by field (400 `ADM0001`, the fields listed in the body).
    #[error("invalid fields: {}", join_fields(.0))]
    Invalid(Vec<FieldError>),
    /// The database is unreachable or overloaded (503).
    #[error("unavailable: {0}")]
    Unavailable(String),
    /// A read-only server was asked to write (503, says so).
    #[error("read-only server")]
    ReadOnly,
    /// A bug or unexpected failure (500, opaque to the client).
    #[error(transparent)]
    Internal(#[from] anyhow::Error),
}

impl ApiError {
    /// A 400 with a code and message.
    pub fn bad_request(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::BadRequest { code, message: message.into() }
    }

    /// A 409 with a code and message.
    pub fn conflict(code: &'static str, message: impl Into<String>) -> Self {
        ApiError::Conflict { code, message: message.into() }
    }

    /// One console form field with a problem (400 `ADM0001`).
    pub fn invalid(field: &'static str, message: impl Into<String>) -> Self {
        ApiError::Invalid(vec![FieldError { field, message: message.into() }])
    }

    /// CoWIN's generic "input parameter missing".
    pub fn missing(what: &str) -> Self {
        ApiError::bad_request("USRRES0001", format!("Input parameter missing: {what}"))
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        match self {
            ApiError::Unauthenticated => StatusCode::UNAUTHORIZED,
            ApiError::BadRequest { .. } | ApiError::Invalid(_) => StatusCode::BAD_REQUEST,
            ApiError::Conflict { .. } => StatusCode::CONFLICT,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::Forbidden { .. } => StatusCode::FORBIDDEN,
            ApiError::NotFound => StatusCode::NOT_FOUND,
            ApiError::Unavailable(_) | ApiError::ReadOnly => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    /// The CoWIN-style error code.
    pub fn code(&self) -> &'static str {
        match self {
            ApiError::Unauthenticated => "USRAUT0401",
            ApiError::BadRequest { code, .. }
            | ApiError::Conflict { code, .. }
            | ApiError::Forbidden { code, .. } => code,
            ApiError::TooManyRequests { .. } => "USRRES0429",
            ApiError::NotFound => "USRRES0404",
            ApiError::Invalid(_) => "ADM0001",
            ApiError::Unavailable(_) | ApiError::ReadOnly => "USRRES0503",
            ApiError::Internal(_) => "USRRES0500",
        }
    }

    /// The message shown to the user (never internal details).
    pub fn message(&self) -> String {
        match self {
            ApiError::Unauthenticated => UNAUTHENTICATED_BODY.to_owned(),
            ApiError::BadRequest { message, .. }
            | ApiError::Conflict { message, .. }
            | ApiError::Forbidden { message, .. }
            | ApiError::TooManyRequests { message, .. } => message.clone(),
            ApiError::NotFound => "Not found".to_owned(),
            ApiError::Invalid(fields) => join_fields(fields),
            ApiError::Unavailable(_) => {
                "Service temporarily unavailable, please try again shortly".to_owned()
            }
            ApiError::ReadOnly => "This server is read-only: only certificate download and \
                                   verification are available"
                .to_owned(),
            ApiError::Internal(_) => "Something went wrong; please try again".to_owned(),
        }
    }

    /// Logs infrastructure failures, once, with their cause.
    pub fn log(&self) {
        match self {
            ApiError::Internal(e) => tracing::error!(error = ?e, "request failed"),
            ApiError::Unavailable(e) => tracing::warn!(error = %e, "database unavailable"),
            _ => {}
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        self.log();
        let status = self.status();
        if let ApiError::Unauthenticated = self {
            return (status, [(header::CONTENT_TYPE, "text/plain")], UNAUTHENTICATED_BODY)
                .into_response();
        }
        let mut body = serde_json::json!({ "errorCode": self.code(), "error": self.message() });
        if let ApiError::Invalid(fields) = &self {
            body["fields"] = fields
                .iter()
                .map(|f| serde_json::json!({ "field": f.field, "message": f.message }))
                .collect();
        }
        let mut res = (status, axum::Json(body)).into_response();
        let retry = match &self {
            ApiError::TooManyRequests { retry_after_secs, .. } => Some(*retry_after_secs),
            ApiError::Unavailable(_) => Some(5),
            _ => None,
        };
        if let Some(secs) = retry
            && let Ok(v) = HeaderValue::from_str(&secs.to_string())
        {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        res
    }
}

fn join_fields(fields: &[FieldError]) -> String {
    fields.iter().map(ToString::to_string).collect::<Vec<_>>().join("; ")
}

/// CoWIN's message for a full session (`APPOIN0040`).
pub const SESSION_FULL_MESSAGE: &str = "This vaccination center is completely booked for the selected date. Please try another date or vaccination center.";

impl From<StorageError> for ApiError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::NotFound => ApiError::NotFound,
            StorageError::Conflict(kind) => conflict_for(kind),
            StorageError::Unavailable(m) => ApiError::Unavailable(m),
            StorageError::ReadOnly => ApiError::ReadOnly,
            StorageError::Config(m) => {
                ApiError::Internal(anyhow::anyhow!("storage configuration: {m}"))
            }
            StorageError::Other(e) => ApiError::Internal(e),
        }
    }
}

fn conflict_for(kind: ConflictKind) -> ApiError {
    match kind {
        ConflictKind::SessionFull => ApiError::conflict("APPOIN0040", SESSION_FULL_MESSAGE),
        ConflictKind::SessionClosed => {
            ApiError::conflict("APPOIN0041", "This session has been cancelled by the centre")
        }
        ConflictKind::AlreadyBooked => {
            ApiError::conflict("APPOIN0042", "Beneficiary already has an appointment for this dose")
        }
        ConflictKind::DuplicatePhotoId => ApiError::conflict(
            "BENREG0001",
            "A beneficiary with this photo ID is already registered",
        ),
        ConflictKind::TooManyBeneficiaries => ApiError::conflict(
            "BENREG0002",
            "The maximum number of beneficiaries is already registered with this mobile number",
        ),
        ConflictKind::BeneficiaryInUse => ApiError::conflict(
            "BENREG0003",
            "This beneficiary has an active appointment or a recorded dose and cannot be deleted",
        ),
        ConflictKind::AppointmentNotChangeable => {
            ApiError::conflict("APPOIN0060", "This appointment cannot be cancelled or rescheduled")
        }
        ConflictKind::DoseAlreadyRecorded => {
            ApiError::conflict("VACCIN0001", "This dose is already recorded")
        }
        ConflictKind::UsernameTaken => {
            ApiError::conflict("SITE0010", "This username is already taken")
        }
        ConflictKind::BatchExists => {
            ApiError::conflict("SITE0011", "This batch is already issued to the facility")
        }
        ConflictKind::ReviewClosed => ApiError::conflict(
            "SITE0012",
            "This review item is already resolved or cannot be accepted",
        ),
        ConflictKind::CapacityBelowBooked => ApiError::conflict(
            "ADM0011",
            "Seats cannot go below the bookings already taken; cancel bookings or the session instead",
        ),
        // Inventory codes (STK…) are reserved for the cold chain API (issue 7).
        ConflictKind::Stock(e) => ApiError::conflict("STK0001", e.to_string()),
        ConflictKind::LotMismatch => ApiError::conflict(
            "STK0002",
            "A lot with this vaccine and batch exists with another expiry or doses per vial",
        ),
        ConflictKind::PointInactive => ApiError::conflict(
            "STK0003",
            "This cold chain point is deactivated: no stock moves in or out",
        ),
        ConflictKind::LoggerTaken => ApiError::conflict(
            "CCH0001",
            "This temperature logger already reports for other equipment: unlink it there first",
        ),
        ConflictKind::AlarmClosed => ApiError::conflict("CCH0002", "This alarm is already closed"),
        ConflictKind::LotNotExposed => ApiError::conflict(
            "CCH0003",
            "That lot was not in stock at the point when this alarm was raised",
        ),
        ConflictKind::SessionStockClosed => {
            ApiError::conflict("STK0004", "This session's stock use is already recorded")
        }
        ConflictKind::FacilityInactive => ApiError::conflict(
            "ADM0012",
            "This facility is deactivated: activate it before planning sessions",
        ),
        ConflictKind::CertificateIdTaken | ConflictKind::CertificateFactsChanged => {
            ApiError::conflict("CERT0020", "The certificate changed meanwhile; please try again")
        }
        ConflictKind::DoseVoided => {
            ApiError::conflict("CERT0021", "This dose was voided: it has no certificate")
        }
        ConflictKind::CorrectionExists => ApiError::conflict(
            "CERT0022",
            "A correction of this field was already requested or made: each field can be corrected once",
        ),
        ConflictKind::CorrectionClosed => {
            ApiError::conflict("CERT0023", "This correction request is already decided")
        }
        ConflictKind::MergeRefused(why) => ApiError::conflict(
            "CERT0024",
            match why {
                tika_storage::MergeRefusal::SameRecord => "Both references name the same record",
                tika_storage::MergeRefusal::AlreadyMerged => {
                    "One of the records was already merged into another"
                }
                tika_storage::MergeRefusal::BirthYearsDiffer => {
                    "The birth years differ by more than one year: these look like two people"
                }
            },
        ),
    }
}

impl From<MobileError> for ApiError {
    fn from(e: MobileError) -> Self {
        match e {
            MobileError::Missing => ApiError::bad_request("USRAUT0010", "Mobile is Required"),
            MobileError::Invalid => ApiError::bad_request("USRAUT0011", "Invalid mobile number"),
        }
    }
}

impl From<OtpError> for ApiError {
    fn from(e: OtpError) -> Self {
        match e {
            OtpError::Wrong => ApiError::bad_request("USRAUT0014", "Invalid OTP"),
            OtpError::Expired => {
                ApiError::bad_request("USRAUT0016", "OTP expired, please request a new one")
            }
            OtpError::Used => {
                ApiError::bad_request("USRAUT0017", "OTP already used, please request a new one")
            }
            OtpError::TooManyAttempts => ApiError::bad_request(
                "USRAUT0018",
                "Too many wrong attempts, please request a new OTP",
            ),
        }
    }
}

impl From<BeneficiaryError> for ApiError {
    fn from(e: BeneficiaryError) -> Self {
        let code = match e {
            BeneficiaryError::NameMissing | BeneficiaryError::NameInvalid => "BENREG0010",
            BeneficiaryError::BirthYearInvalid | BeneficiaryError::BirthYearOutOfRange { .. } => {
                "BENREG0011"
            }
            BeneficiaryError::GenderInvalid => "BENREG0012",
            BeneficiaryError::IdTypeInvalid => "BENREG0013",
            BeneficiaryError::IdNumberInvalid { .. } => "BENREG0014",
            BeneficiaryError::ComorbidityInvalid => "BENREG0015",
        };
        ApiError::bad_request(code, e.to_string())
    }
}

impl From<EligibilityError> for ApiError {
    fn from(e: EligibilityError) -> Self {
        let code = match e {
            EligibilityError::AgeOutsideSession { .. } | EligibilityError::TooYoung { .. } => {
                "APPOIN0050"
            }
            EligibilityError::WrongDose { .. } | EligibilityError::SeriesComplete { .. } => {
                "APPOIN0051"
            }
            EligibilityError::VaccineMismatch { .. } => "APPOIN0052",
            EligibilityError::TooEarly { .. } | EligibilityError::TooLate { .. } => "APPOIN0053",
            EligibilityError::AlreadyBooked { .. } => "APPOIN0042",
            EligibilityError::UnknownVaccine(_) => "APPOIN0054",
        };
        ApiError::conflict(code, e.to_string())
    }
}

/// A storage failure of a console action: as [`From<StorageError>`], except that a taken
/// username and a cancelled session get the console's own codes.
pub fn console_storage(e: StorageError) -> ApiError {
    match e {
        StorageError::Conflict(ConflictKind::UsernameTaken) => {
            ApiError::conflict("ADM0010", "This username is already taken")
        }
        StorageError::Conflict(ConflictKind::SessionClosed) => {
            ApiError::conflict("ADM0013", "This session is already cancelled")
        }
        other => other.into(),
    }
}

/// Result alias for handlers and services.
pub type ApiResult<T> = Result<T, ApiError>;
