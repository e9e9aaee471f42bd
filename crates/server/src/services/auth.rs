//! OTP login and tokens.
//!
//! Tokens are HS256 JWTs with a numeric `exp` (clients decode it without the key to read `exp`)
//! and carry only opaque ids: the account id and the scope, never a mobile number or a name.

use std::net::IpAddr;

use jsonwebtoken::{Algorithm, DecodingKey, EncodingKey, Header, Validation};
use rand::Rng;
use serde::{Deserialize, Serialize};
use tika_domain::ids::{AccountId, OtpTxnId};
use tika_domain::mobile::Mobile;
use tika_domain::otp::{OtpPolicy, OtpTxnState, is_sha256_hex, otp_from_random};
use tika_storage::{NewOtp, StorageError};

use crate::error::{ApiError, ApiResult};
use crate::keys::{ct_eq, sha256_hex};
use crate::otp_book;
use crate::state::AppState;

/// What a token lets its holder do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// From the public OTP flow: certificate download only.
    Public,
    /// From the protected or web-portal flow: everything a citizen does.
    Protected,
}

impl Scope {
    fn as_str(self) -> &'static str {
        match self {
            Scope::Public => "public",
            Scope::Protected => "protected",
        }
    }
}

/// The verified holder of a token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Principal {
    /// The account.
    pub account: AccountId,
    /// Its scope.
    pub scope: Scope,
}

#[derive(Debug, Serialize, Deserialize)]
struct Claims {
    sub: String,
    scope: String,
    iat: i64,
    exp: i64,
    jti: String,
    iss: String,
}

const ISSUER: &str = "tika";

fn policy(state: &AppState) -> OtpPolicy {
    OtpPolicy {
        max_per_mobile_per_day: state.config.otp_per_mobile_per_day,
        ..OtpPolicy::default()
    }
}

/// Sends an OTP to a mobile and returns the transaction id.
pub async fn generate_otp(
    state: &AppState,
    mobile: Option<&str>,
    scope: Scope,
    ip: Option<IpAddr>,
) -> ApiResult<OtpTxnId> {
    let mobile = Mobile::parse(mobile.unwrap_or_default())?;
    if let (Some(limiter), Some(ip)) = (&state.limits.otp_per_ip, ip)
        && limiter.check_key(&ip).is_err()
    {
        state.metrics.otps.with_label_values(&["generate", "ip_limited"]).inc();
        return Err(ApiError::TooManyRequests {
            retry_after_secs: 60,
            message: "Too many OTP requests from this network; please try again later".into(),
        });
    }
    let now = state.clock.now();
    let day_ago = (now - chrono::Duration::hours(24)).timestamp_millis();
    let sent = otp_book::count_since(state, &mobile, day_ago).await?;
    if sent >= u64::from(policy(state).max_per_mobile_per_day) {
        state.metrics.otps.with_label_values(&["generate", "mobile_limited"]).inc();
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
    let message = crate::services::notifications::otp_message(state, &mobile, &otp, now_ms).await?;
    let message_id = message.id;
    let read_only_sms = state.read_only_otps.is_some().then(|| message.clone());
    let new = NewOtp {
        id,
        mobile: mobile.clone(),
        otp_hash: state.keys.hash_otp(&sha256_hex(&otp)),
        scope: scope.as_str().to_owned(),
        created_at_ms: now_ms,
        message: Some(message),
    };
    otp_book::create(state, &new).await?;
    // The SMS was queued with the OTP; the request hands it over itself (a gateway failure
    // does not fail the request: the OTP lane retries until the OTP expires).
    match read_only_sms {
        Some(m) => crate::services::notifications::send_unqueued(state, &m).await,
        None => crate::services::notifications::deliver_otp(state, message_id).await,
    }
    state.metrics.otps.with_label_values(&["generate", "sent"]).inc();
    Ok(id)
}

/// Confirms an OTP (sent as its SHA-256 hex) and returns a token and whether the account is new.
pub async fn confirm_otp(
    state: &AppState,
    txn_id: Option<&str>,
    otp_sha256: Option<&str>,
    scope: Scope,
) -> ApiResult<(String, bool)> {
    let otp = otp_sha256
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::bad_request("USRAUT0012", "OTP is Required"))?;
    let txn_id = txn_id
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .ok_or_else(|| ApiError::missing("txnId"))?;
    let invalid_txn =
        || ApiError::bad_request("USRAUT0013", "Invalid transaction id; please request a new OTP");
    let id: OtpTxnId = txn_id.parse().map_err(|_| invalid_txn())?;
    let txn = match otp_book::find(state, id).await {
        Ok(t) => t,
        Err(StorageError::NotFound) => return Err(invalid_txn()),
        Err(e) => return Err(e.into()),
    };
    if txn.scope != scope.as_str() {
        return Err(invalid_txn());
    }
    let matches = is_sha256_hex(otp) && ct_eq(&state.keys.hash_otp(otp), &txn.otp_hash);
    let now = state.clock.now();
    let rules = OtpTxnState {
        created_at: chrono::DateTime::from_timestamp_millis(txn.created_at_ms).unwrap_or(now),
        attempts: txn.attempts,
        consumed: txn.consumed,
    };
    if let Err(e) = policy(state).check(&rules, now, matches) {
        if e == tika_domain::otp::OtpError::Wrong {
            otp_book::record_failure(state, id).await?;
        }
        state.metrics.otps.with_label_values(&["confirm", "refused"]).inc();
        return Err(e.into());
    }
    match otp_book::consume(state, id).await {
        Ok(()) => {}
        Err(StorageError::NotFound) => return Err(tika_domain::otp::OtpError::Used.into()),
        Err(e) => return Err(e.into()),
    }
    let (account, created) =
        match otp_book::account_for(state, &txn.mobile, now.timestamp_millis()).await {
            Ok(found) => found,
            // Read-only mode: a mobile with no account has nothing to download.
            Err(StorageError::NotFound) => {
                return Err(ApiError::bad_request(
                    "CERT0002",
                    "No beneficiary is registered with this mobile number",
                ));
            }
            Err(e) => return Err(e.into()),
        };
    state.metrics.otps.with_label_values(&["confirm", "ok"]).inc();
    Ok((issue_token(state, account, scope)?, created))
}

/// Signs a token for an account.
pub fn issue_token(state: &AppState, account: AccountId, scope: Scope) -> ApiResult<String> {
    let now = state.clock.now().timestamp();
    let ttl = i64::try_from(state.config.token_ttl.as_secs()).unwrap_or(900);
    let claims = Claims {
        sub: account.to_string(),
        scope: scope.as_str().to_owned(),
        iat: now,
        exp: now + ttl,
        jti: uuid::Uuid::new_v4().simple().to_string(),
        iss: ISSUER.to_owned(),
    };
    jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(state.keys.token_key()),
    )
    .map_err(|e| ApiError::Internal(anyhow::anyhow!("token signing failed: {e}")))
}

/// Verifies a token (signature, issuer, expiry against the server clock).
pub fn verify_token(state: &AppState, token: &str) -> ApiResult<Principal> {
    let mut validation = Validation::new(Algorithm::HS256);
    validation.set_issuer(&[ISSUER]);
    // Expiry is checked below against our clock, so tests can move time.
    validation.validate_exp = false;
    validation.set_required_spec_claims(&["exp", "sub", "iss"]);
    let data = jsonwebtoken::decode::<Claims>(
        token,
        &DecodingKey::from_secret(state.keys.token_key()),
        &validation,
    )
    .map_err(|_| ApiError::Unauthenticated)?;
    if data.claims.exp <= state.clock.now().timestamp() {
        return Err(ApiError::Unauthenticated);
    }
    let account = data.claims.sub.parse().map_err(|_| ApiError::Unauthenticated)?;
    let scope = match data.claims.scope.as_str() {
        "public" => Scope::Public,
        "protected" => Scope::Protected,
        _ => return Err(ApiError::Unauthenticated),
    };
    Ok(Principal { account, scope })
}

/// Checks a partner API key (`x-api-key`).
pub fn check_api_key(state: &AppState, key: Option<&str>) -> ApiResult<()> {
    match key {
        Some(k) if state.config.api_keys.iter().any(|known| ct_eq(known, k)) => Ok(()),
        _ => Err(ApiError::Unauthenticated),
    }
}
