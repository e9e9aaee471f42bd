//! Console login, console tokens, logout and password changes.
//!
//! A console token is an HS256 JWT of scope `admin` carrying the official's id, the
//! `auth_epoch` it was issued under and the login time.  It expires after 30 minutes without a
//! request and 12 hours after the login in any case ([`ConsoleSessionPolicy`]); every
//! verification reads the official's row, so logout, a password change or deactivation (each
//! bumps the epoch) ends every token at once, and the area used is always the stored one.
//! Citizen and staff tokens have other scopes and are refused here; console tokens are refused
//! by the citizen and site APIs for the same reason.

use chrono::{DateTime, Utc};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tika_domain::admin::{Area, ConsoleSessionPolicy};
use tika_domain::ids::{AdminId, OtpTxnId};
use tika_domain::staff::{Username, check_password};
use tika_storage::{Admin, StorageError};

use super::change;
use crate::error::{ApiError, ApiResult, console_storage};
use crate::services::staff::{after_wrong_password, locked, password_matches};
use crate::state::AppState;

const ISSUER: &str = "tika";
const SCOPE: &str = "admin";

/// The verified holder of a console token.
#[derive(Debug, Clone)]
pub struct AdminPrincipal {
    /// The official.
    pub admin: AdminId,
    /// Their login name.
    pub username: String,
    /// Their display name.
    pub name: String,
    /// Where they work (as stored now, not as when the token was issued).
    pub area: Area,
    /// When this login ends unless used again (unix ms).
    pub expires_at_ms: i64,
    /// A fresh token for the caller to hand back, when more than half the idle window has
    /// passed since the token was issued.
    pub refreshed: Option<ConsoleToken>,
}

/// A console token and when it expires.
#[derive(Clone)]
pub struct ConsoleToken {
    /// Bearer token.
    pub token: String,
    /// Expiry (unix ms).
    pub expires_at_ms: i64,
}

impl std::fmt::Debug for ConsoleToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsoleToken").field("expires_at_ms", &self.expires_at_ms).finish()
    }
}

/// A successful console login.
#[derive(Debug, Clone)]
pub struct ConsoleLogin {
    /// The token.
    pub token: ConsoleToken,
    /// The official.
    pub admin: Admin,
}

#[derive(Debug, Serialize, Deserialize)]
struct AdminClaims {
    sub: String,
    scope: String,
    /// The official's `auth_epoch` when issued.
    epoch: i64,
    /// Login time (unix seconds); kept across refreshes, so the absolute limit holds.
    iat: i64,
    /// When this token was issued (unix seconds); the idle window runs from here.
    used: i64,
    exp: i64,
    iss: String,
}

fn wrong_login() -> ApiError {
    ApiError::bad_request("ADM0003", "Wrong username or password")
}

fn issue(
    state: &AppState,
    admin: &Admin,
    login_at: i64,
    now: DateTime<Utc>,
) -> ApiResult<ConsoleToken> {
    let policy = ConsoleSessionPolicy::default();
    let used = now.timestamp();
    let exp = (used + policy.idle.num_seconds()).min(login_at + policy.absolute.num_seconds());
    let claims = AdminClaims {
        sub: admin.id.to_string(),
        scope: SCOPE.to_owned(),
        epoch: admin.auth_epoch,
        iat: login_at,
        used,
        exp,
        iss: ISSUER.to_owned(),
    };
    let token = jsonwebtoken::encode(
        &Header::new(Algorithm::HS256),
        &claims,
        &EncodingKey::from_secret(state.keys.token_key()),
    )
    .map_err(|e| ApiError::Internal(anyhow::anyhow!("token signing failed: {e}")))?;
    Ok(ConsoleToken { token, expires_at_ms: exp * 1000 })
}

/// Logs an official in with a password: the same answer for an unknown username, a wrong
/// password and a deactivated account; five wrong passwords in a row lock the login for 15
/// minutes (429).
pub async fn login(state: &AppState, username: &str, password: &str) -> ApiResult<ConsoleLogin> {
    let username = Username::parse(username).map_err(|_| wrong_login())?;
    let admin = match state.store.find_admin_by_username(&username).await {
        Ok(a) if a.active => a,
        Ok(_) | Err(StorageError::NotFound) => return Err(wrong_login()),
        Err(e) => return Err(e.into()),
    };
    let now = state.clock.now();
    if admin.locked_until_ms > now.timestamp_millis() {
        return Err(locked());
    }
    if !password_matches(password, &admin.password_hash).await? {
        let (failures, until) =
            after_wrong_password(admin.failed_logins, admin.locked_until_ms, now);
        state.store.set_admin_login_state(admin.id, failures, until).await?;
        tracing::info!(admin = %admin.id, failures, "console login refused");
        return Err(if until > 0 { locked() } else { wrong_login() });
    }
    if admin.failed_logins > 0 || admin.locked_until_ms > 0 {
        state.store.set_admin_login_state(admin.id, 0, 0).await?;
    }
    let token = issue(state, &admin, now.timestamp(), now)?;
    tracing::info!(admin = %admin.id, level = %admin.area.level(), "official logged in");
    Ok(ConsoleLogin { token, admin })
}

/// Sends a login code to the official's mobile (the alternative to the password).  An unknown
/// username, a deactivated account and an account without a mobile get the same refusal
/// (`ADM0007`) and no SMS; a locked account stays locked (429).
pub async fn send_login_otp(state: &AppState, username: &str) -> ApiResult<OtpTxnId> {
    let refused = || {
        ApiError::bad_request(
            "ADM0007",
            "No login code can be sent for this username; log in with the password",
        )
    };
    let username = Username::parse(username).map_err(|_| refused())?;
    let admin = match state.store.find_admin_by_username(&username).await {
        Ok(a) if a.active => a,
        Ok(_) | Err(StorageError::NotFound) => return Err(refused()),
        Err(e) => return Err(e.into()),
    };
    if admin.locked_until_ms > state.clock.now().timestamp_millis() {
        return Err(locked());
    }
    let Some(mobile) = admin.mobile.clone() else { return Err(refused()) };
    let id = crate::services::staff::send_scoped_otp(state, &mobile, format!("admin:{}", admin.id))
        .await?;
    tracing::info!(admin = %admin.id, "console login code sent");
    Ok(id)
}

/// Logs an official in with the code sent by [`send_login_otp`] (one use, limited attempts,
/// expires like every OTP); a deactivated or locked account is refused even with a right code.
pub async fn confirm_login_otp(
    state: &AppState,
    txn_id: &str,
    otp: &str,
) -> ApiResult<ConsoleLogin> {
    let id: AdminId =
        crate::services::staff::confirm_scoped_otp(state, txn_id, otp, "admin:").await?;
    let admin = match state.store.find_admin(id).await {
        Ok(a) if a.active => a,
        Ok(_) | Err(StorageError::NotFound) => return Err(wrong_login()),
        Err(e) => return Err(e.into()),
    };
    let now = state.clock.now();
    if admin.locked_until_ms > now.timestamp_millis() {
        return Err(locked());
    }
    if admin.failed_logins > 0 {
        state.store.set_admin_login_state(admin.id, 0, 0).await?;
    }
    let token = issue(state, &admin, now.timestamp(), now)?;
    tracing::info!(admin = %admin.id, level = %admin.area.level(), "official logged in with a code");
    Ok(ConsoleLogin { token, admin })
}

/// Verifies a console token: signature, scope, expiry (idle and absolute) against the server
/// clock, and the official's row (still active, same epoch).  Carries a refreshed token when
/// more than half the idle window has passed since this one was issued.
pub async fn verify(state: &AppState, token: &str) -> ApiResult<AdminPrincipal> {
    // Expiry is checked below against our clock, so tests can move time.
    let c: AdminClaims = crate::services::staff::decode_claims(state, token)?;
    let now = state.clock.now();
    if c.scope != SCOPE || c.exp <= now.timestamp() {
        return Err(ApiError::Unauthenticated);
    }
    let id: AdminId = c.sub.parse().map_err(|_| ApiError::Unauthenticated)?;
    let admin = match state.store.find_admin(id).await {
        Ok(a) => a,
        Err(StorageError::NotFound) => return Err(ApiError::Unauthenticated),
        Err(e) => return Err(e.into()),
    };
    if !admin.active || admin.auth_epoch != c.epoch {
        return Err(ApiError::Unauthenticated);
    }
    let policy = ConsoleSessionPolicy::default();
    let refreshed = if now.timestamp() - c.used > policy.idle.num_seconds() / 2 {
        let fresh = issue(state, &admin, c.iat, now)?;
        // Near the absolute limit a new token would not last longer: keep the old one.
        (fresh.expires_at_ms > c.exp * 1000).then_some(fresh)
    } else {
        None
    };
    let expires_at_ms = refreshed.as_ref().map_or(c.exp * 1000, |t| t.expires_at_ms);
    Ok(AdminPrincipal {
        admin: admin.id,
        username: admin.username.as_str().to_owned(),
        name: admin.name,
        area: admin.area,
        expires_at_ms,
        refreshed,
    })
}

/// Ends every console login of the official (bumps the epoch).
pub async fn logout(state: &AppState, who: &AdminPrincipal) -> ApiResult<()> {
    state.store.bump_admin_epoch(who.admin).await?;
    tracing::info!(admin = %who.admin, "official logged out");
    Ok(())
}

/// Changes the official's own password (the current one is checked and counts towards the
/// lock); every login, this one included, ends.
pub async fn change_password(
    state: &AppState,
    who: &AdminPrincipal,
    current: &str,
    new: &str,
) -> ApiResult<()> {
    let admin = state.store.find_admin(who.admin).await?;
    let now = state.clock.now();
    if admin.locked_until_ms > now.timestamp_millis() {
        return Err(locked());
    }
    if !password_matches(current, &admin.password_hash).await? {
        let (failures, until) =
            after_wrong_password(admin.failed_logins, admin.locked_until_ms, now);
        state.store.set_admin_login_state(admin.id, failures, until).await?;
        tracing::info!(admin = %admin.id, failures, "password change refused: wrong current password");
        return Err(if until > 0 {
            locked()
        } else {
            ApiError::invalid("current_password", "is not your current password")
        });
    }
    check_password(&admin.username, new)
        .map_err(|e| ApiError::invalid("new_password", e.to_string()))?;
    if current == new {
        return Err(ApiError::invalid("new_password", "must differ from the current password"));
    }
    let hash = super::hash_blocking(new).await?;
    let audit = change(
        state,
        who,
        "admin.password",
        format!("admin:{}", admin.id),
        super::area_place(&admin.area),
        None,
        Some(json!({ "password": "changed" })),
    );
    state.store.set_admin_password(admin.id, &hash, &audit).await.map_err(console_storage)?;
    tracing::info!(admin = %admin.id, "official changed their password");
    Ok(())
}
