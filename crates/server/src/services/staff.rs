//! Staff login (password or OTP) and staff tokens.
//!
//! Passwords are Argon2id PHC strings (the `argon2` crate's defaults: 19 MiB, 2 passes), checked
//! on the blocking pool.  Five wrong passwords in a row lock the account for 15 minutes.  A
//! staff token is an HS256 JWT of scope `staff` carrying the staff id, facility and role, valid
//! until the end of the local day, so a device logged in in the morning works offline all day.
//! Citizen tokens are refused here, and staff tokens are refused by the citizen API.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::Rng;
use serde::{Deserialize, Serialize};
use tika_domain::ids::{CenterId, OtpTxnId, StaffId};
use tika_domain::otp::{OtpPolicy, OtpTxnState, otp_from_random};
use tika_domain::staff::{LockoutPolicy, StaffRole, Username, end_of_local_day};
use tika_storage::{NewOtp, Staff, StorageError};

use crate::error::{ApiError, ApiResult};
use crate::keys::{ct_eq, sha256_hex};
use crate::state::AppState;

/// The verified holder of a staff token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StaffPrincipal {
    /// Staff member.
    pub staff: StaffId,
    /// Their facility.
    pub center: CenterId,
    /// Their role.
    pub role: StaffRole,
}

#[derive(Debug, Serialize, Deserialize)]
struct StaffClaims {
    sub: String,
    scope: String,
    cid: i64,
    role: String,
    iat: i64,
    exp: i64,
    iss: String,
}

const ISSUER: &str = "tika";
const SCOPE: &str = "staff";

/// A successful login: the token, when it expires (unix ms) and who it is.
#[derive(Debug, Clone)]
pub struct StaffLogin {
    /// Bearer token.
    pub token: String,
    /// Expiry (unix ms).
    pub expires_at_ms: i64,
    /// The staff member.
    pub staff: Staff,
}

fn wrong_login() -> ApiError {
    ApiError::bad_request("SITE0001", "Wrong username or password")
}

/// The answer while a login is locked (429, 15 minutes); the console uses it too.
pub(crate) fn locked() -> ApiError {
    ApiError::TooManyRequests {
        retry_after_secs: 900,
        message: "Too many wrong passwords; this login is locked for 15 minutes".into(),
    }
}

/// Hashes a password for storage (Argon2id, random salt).
pub fn hash_password(password: &str) -> anyhow::Result<String> {
    let mut salt = [0u8; 16];
    rand::rng().fill(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| anyhow::anyhow!("salt: {e}"))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| anyhow::anyhow!("password hashing failed: {e}"))
}

fn verify_password(password: &str, phc: &str) -> bool {
    PasswordHash::new(phc)
        .is_ok_and(|h| Argon2::default().verify_password(password.as_bytes(), &h).is_ok())
}

/// Whether a password matches a stored Argon2 PHC string, checked on the blocking pool (a
/// check costs tens of milliseconds of CPU).  Shared by staff and console logins.
pub(crate) async fn password_matches(password: &str, phc: &str) -> ApiResult<bool> {
    let (pw, phc) = (password.to_owned(), phc.to_owned());
    tokio::task::spawn_blocking(move || verify_password(&pw, &phc))
        .await
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("password check panicked: {e}")))
}

/// The login counters after a wrong password: failures in a row, and the lock's end (ms, 0 when
/// not locked).  A lock that has run out starts the count again (five more wrong passwords lock
/// again), rather than one slip after the 15 minutes locking the login at once.
pub(crate) fn after_wrong_password(
    failed_logins: u32,
    locked_until_ms: i64,
    now: chrono::DateTime<chrono::Utc>,
) -> (u32, i64) {
    let before = if locked_until_ms > 0 { 0 } else { failed_logins };
    let failures = before.saturating_add(1);
    let until = LockoutPolicy::default().after_failure(failures, now);
    (failures, until.map_or(0, |t| t.timestamp_millis()))
}

async fn find_active(state: &AppState, username: &str) -> ApiResult<Staff> {
    let username = Username::parse(username).map_err(|_| wrong_login())?;
    match state.store.find_staff_by_username(&username).await {
        Ok(s) if s.active => Ok(s),
        Ok(_) | Err(StorageError::NotFound) => Err(wrong_login()),
        Err(e) => Err(e.into()),
    }
}

/// Logs in with a password.
pub async fn login_password(
    state: &AppState,
    username: &str,
    password: &str,
) -> ApiResult<StaffLogin> {
    let staff = find_active(state, username).await?;
    let now = state.clock.now();
    if staff.locked_until_ms > now.timestamp_millis() {
        return Err(locked());
    }
    if !password_matches(password, &staff.password_hash).await? {
        let (failures, until) =
            after_wrong_password(staff.failed_logins, staff.locked_until_ms, now);
        state.store.set_login_state(staff.id, failures, until).await?;
        tracing::info!(staff = %staff.id, failures, "staff login refused");
        return Err(if until > 0 { locked() } else { wrong_login() });
    }
    if staff.failed_logins > 0 {
        state.store.set_login_state(staff.id, 0, 0).await?;
    }
    issue(state, staff)
}

/// Sends a login OTP to the staff member's mobile.
pub async fn send_login_otp(state: &AppState, username: &str) -> ApiResult<OtpTxnId> {
    let staff = find_active(state, username).await?;
    let Some(mobile) = staff.mobile.clone() else {
        return Err(ApiError::bad_request("SITE0001", "This login has no mobile number for OTP"));
    };
    send_scoped_otp(state, &mobile, format!("staff:{}", staff.id)).await
}

/// Sends a login OTP to a mobile for the login named by `scope` (`staff:<id>`,
/// `admin:<id>`): the per-mobile daily limit applies, the SMS row is written with the OTP and
/// handed to the gateway at once.
pub(crate) async fn send_scoped_otp(
    state: &AppState,
    mobile: &tika_domain::mobile::Mobile,
    scope: String,
) -> ApiResult<OtpTxnId> {
    let now = state.clock.now();
    let day_ago = (now - chrono::Duration::hours(24)).timestamp_millis();
    if state.store.count_otps_since(mobile, day_ago).await?
        >= u64::from(state.config.otp_per_mobile_per_day)
    {
        return Err(ApiError::TooManyRequests {
            retry_after_secs: 3600,
            message: "OTP limit reached for this mobile number; please try again after 24 hours"
                .into(),
        });
    }
    let otp = match &state.config.test_otp {
        Some(fixed) => fixed.clone(),
        None => otp_from_random(rand::rng().random()),
    };
    let id = OtpTxnId::new();
    let now_ms = now.timestamp_millis();
    let message = crate::services::notifications::otp_message(state, mobile, &otp, now_ms).await?;
    let message_id = message.id;
    state
        .store
        .create_otp(&NewOtp {
            id,
            mobile: mobile.clone(),
            otp_hash: state.keys.hash_otp(&sha256_hex(&otp)),
            scope,
            created_at_ms: now_ms,
            message: Some(message),
        })
        .await?;
    crate::services::notifications::deliver_otp(state, message_id).await;
    Ok(id)
}

/// Confirms a login OTP (sent in clear, 6 digits).
pub async fn confirm_login_otp(state: &AppState, txn_id: &str, otp: &str) -> ApiResult<StaffLogin> {
    let staff_id: StaffId = confirm_scoped_otp(state, txn_id, otp, "staff:").await?;
    let staff = state.store.find_staff(staff_id).await?;
    if !staff.active {
        return Err(wrong_login());
    }
    issue(state, staff)
}

/// Checks and consumes a login OTP whose scope starts with `prefix`; answers the id after it.
/// Wrong codes count towards the transaction's attempts; a code logs in once.
pub(crate) async fn confirm_scoped_otp<T: std::str::FromStr>(
    state: &AppState,
    txn_id: &str,
    otp: &str,
    prefix: &str,
) -> ApiResult<T> {
    let invalid =
        || ApiError::bad_request("USRAUT0013", "Invalid transaction id; please request a new OTP");
    let id: OtpTxnId = txn_id.trim().parse().map_err(|_| invalid())?;
    let txn = match state.store.find_otp(id).await {
        Ok(t) => t,
        Err(StorageError::NotFound) => return Err(invalid()),
        Err(e) => return Err(e.into()),
    };
    let subject: T =
        txn.scope.strip_prefix(prefix).and_then(|s| s.parse().ok()).ok_or_else(invalid)?;
    let now = state.clock.now();
    let matches = ct_eq(&state.keys.hash_otp(&sha256_hex(otp.trim())), &txn.otp_hash);
    let rules = OtpTxnState {
        created_at: chrono::DateTime::from_timestamp_millis(txn.created_at_ms).unwrap_or(now),
        attempts: txn.attempts,
        consumed: txn.consumed,
    };
    if let Err(e) = OtpPolicy::default().check(&rules, now, matches) {
        if e == tika_domain::otp::OtpError::Wrong {
            state.store.record_otp_failure(id).await?;
        }
        return Err(e.into());
    }
    match state.store.consume_otp(id).await {
        Ok(()) => {}
        Err(StorageError::NotFound) => return Err(tika_domain::otp::OtpError::Used.into()),
        Err(e) => return Err(e.into()),
    }
    Ok(subject)
}

fn issue(state: &AppState, staff: Staff) -> ApiResult<StaffLogin> {
    let now = state.clock.now();
    let exp = end_of_local_day(now, state.pack.timezone_offset_minutes);
    let claims = StaffClaims {
        sub: staff.id.to_string(),
        scope: SCOPE.to_owned(),
        cid: staff.center_id.0,
        role: staff.role.as_str().to_owned(),
        iat: now.timestamp(),
        exp: exp.timestamp(),
        iss: ISSUER.to_owned(),
    };
    let token = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(state.keys.token_key()),
    )
    .map_err(|e| ApiError::Internal(anyhow::anyhow!("token signing failed: {e}")))?;
    tracing::info!(staff = %staff.id, center = staff.center_id.0, "staff logged in");
    Ok(StaffLogin { token, expires_at_ms: exp.timestamp_millis(), staff })
}

/// Decodes an HS256 token of Tika's issuer signed with the token key, with `exp`, `sub` and
/// `iss` present.  Expiry is left to the caller, which checks it against the server clock (so
/// tests can move time), as it checks the scope.
pub(crate) fn decode_claims<C: serde::de::DeserializeOwned>(
    state: &AppState,
    token: &str,
) -> ApiResult<C> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_issuer(&[ISSUER]);
    validation.validate_exp = false;
    validation.set_required_spec_claims(&["exp", "sub", "iss"]);
    jsonwebtoken::decode::<C>(token, &DecodingKey::from_secret(state.keys.token_key()), &validation)
        .map(|data| data.claims)
        .map_err(|_| ApiError::Unauthenticated)
}

/// Verifies a staff token (signature, issuer, scope, expiry against the server clock).
pub fn verify_staff_token(state: &AppState, token: &str) -> ApiResult<StaffPrincipal> {
    let c: StaffClaims = decode_claims(state, token)?;
    if c.scope != SCOPE || c.exp <= state.clock.now().timestamp() {
        return Err(ApiError::Unauthenticated);
    }
    Ok(StaffPrincipal {
        staff: c.sub.parse().map_err(|_| ApiError::Unauthenticated)?,
        center: CenterId(c.cid),
        role: StaffRole::parse(&c.role).ok_or(ApiError::Unauthenticated)?,
    })
}
