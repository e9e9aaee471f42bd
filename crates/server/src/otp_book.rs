//! Where OTP transactions live: in the database normally, in memory in read-only mode.
//!
//! A read-only server (`tika serve --read-only`, on a replica or a copy of the SQLite file)
//! still lets a holder log in with an OTP to download a certificate.  It cannot write the OTP
//! to the database, so it keeps it in this process for its three minutes of life.  The rules
//! (attempts, expiry, single use, daily limit per mobile) are the same `OtpPolicy`; only the
//! book differs.  Behind a load balancer, read-only replicas need sticky sessions for the two
//! OTP calls; that is documented in the README.

use std::collections::HashMap;
use std::sync::Mutex;

use tika_domain::ids::{AccountId, OtpTxnId};
use tika_domain::mobile::Mobile;
use tika_storage::{NewOtp, OtpTxn, StorageError, StorageResult};

use crate::state::AppState;

/// OTP transactions kept in memory (read-only mode).
#[derive(Debug, Default)]
pub struct MemoryOtps {
    txns: Mutex<HashMap<OtpTxnId, OtpTxn>>,
}

/// How long a transaction is remembered (the per-day limit needs a day of history).
const KEEP_MS: i64 = 24 * 3600 * 1000;

impl MemoryOtps {
    fn with<R>(&self, f: impl FnOnce(&mut HashMap<OtpTxnId, OtpTxn>) -> R) -> R {
        // A poisoned lock only means another request panicked mid-update; the map is
        // still a valid map.
        let mut guard = match self.txns.lock() {
            Ok(g) => g,
            Err(poisoned) => poisoned.into_inner(),
        };
        f(&mut guard)
    }

    /// Stores a new transaction (and forgets those older than a day).
    pub fn create(&self, otp: &NewOtp) {
        self.with(|m| {
            m.retain(|_, t| otp.created_at_ms - t.created_at_ms < KEEP_MS);
            m.insert(
                otp.id,
                OtpTxn {
                    id: otp.id,
                    mobile: otp.mobile.clone(),
                    otp_hash: otp.otp_hash.clone(),
                    scope: otp.scope.clone(),
                    created_at_ms: otp.created_at_ms,
                    attempts: 0,
                    consumed: false,
                },
            );
        });
    }

    /// OTPs sent to a mobile since a time.
    pub fn count_since(&self, mobile: &Mobile, since_ms: i64) -> u64 {
        self.with(|m| {
            m.values().filter(|t| &t.mobile == mobile && t.created_at_ms >= since_ms).count() as u64
        })
    }

    /// One transaction.
    pub fn find(&self, id: OtpTxnId) -> Option<OtpTxn> {
        self.with(|m| m.get(&id).cloned())
    }

    /// Counts a wrong try.
    pub fn record_failure(&self, id: OtpTxnId) {
        self.with(|m| {
            if let Some(t) = m.get_mut(&id) {
                t.attempts += 1;
            }
        });
    }

    /// Marks a transaction used; false if it was already used or is unknown.
    pub fn consume(&self, id: OtpTxnId) -> bool {
        self.with(|m| match m.get_mut(&id) {
            Some(t) if !t.consumed => {
                t.consumed = true;
                true
            }
            _ => false,
        })
    }
}

/// Stores a new OTP transaction.
pub(crate) async fn create(state: &AppState, otp: &NewOtp) -> StorageResult<()> {
    match &state.read_only_otps {
        Some(mem) => {
            mem.create(otp);
            Ok(())
        }
        None => state.store.create_otp(otp).await,
    }
}

/// OTPs sent to a mobile since a time.
pub(crate) async fn count_since(
    state: &AppState,
    mobile: &Mobile,
    since_ms: i64,
) -> StorageResult<u64> {
    match &state.read_only_otps {
        Some(mem) => Ok(mem.count_since(mobile, since_ms)),
        None => state.store.count_otps_since(mobile, since_ms).await,
    }
}

/// One transaction.
pub(crate) async fn find(state: &AppState, id: OtpTxnId) -> StorageResult<OtpTxn> {
    match &state.read_only_otps {
        Some(mem) => mem.find(id).ok_or(StorageError::NotFound),
        None => state.store.find_otp(id).await,
    }
}

/// Counts a wrong try.
pub(crate) async fn record_failure(state: &AppState, id: OtpTxnId) -> StorageResult<()> {
    match &state.read_only_otps {
        Some(mem) => {
            mem.record_failure(id);
            Ok(())
        }
        None => state.store.record_otp_failure(id).await,
    }
}

/// Marks a transaction used (`NotFound` if it already was).
pub(crate) async fn consume(state: &AppState, id: OtpTxnId) -> StorageResult<()> {
    match &state.read_only_otps {
        Some(mem) => {
            if mem.consume(id) {
                Ok(())
            } else {
                Err(StorageError::NotFound)
            }
        }
        None => state.store.consume_otp(id).await,
    }
}

/// The account of a mobile: created on first login normally; in read-only mode only an
/// existing account can log in (`NotFound` otherwise), since nothing can be created.
pub(crate) async fn account_for(
    state: &AppState,
    mobile: &Mobile,
    now_ms: i64,
) -> StorageResult<(AccountId, bool)> {
    if state.read_only_otps.is_some() {
        let account = state.store.find_account_by_mobile(mobile).await?;
        return Ok((account.id, false));
    }
    let (account, created) = state.store.upsert_account(mobile, now_ms).await?;
    Ok((account.id, created))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn otp(mobile: &Mobile, at: i64) -> NewOtp {
        NewOtp {
            id: OtpTxnId::new(),
            mobile: mobile.clone(),
            otp_hash: "h".into(),
            scope: "public".into(),
            created_at_ms: at,
            message: None,
        }
    }

    #[test]
    fn memory_book_counts_consumes_once_and_forgets_after_a_day() {
        let book = MemoryOtps::default();
        let a = Mobile::parse("9876543210").unwrap();
        let b = Mobile::parse("9876543211").unwrap();
        let first = otp(&a, 1_000);
        book.create(&first);
        book.create(&otp(&a, 2_000));
        book.create(&otp(&b, 2_000));
        assert_eq!(book.count_since(&a, 0), 2);
        assert_eq!(book.count_since(&a, 1_500), 1);
        book.record_failure(first.id);
        assert_eq!(book.find(first.id).unwrap().attempts, 1);
        assert!(book.consume(first.id));
        assert!(!book.consume(first.id), "an OTP is used once");
        assert!(!book.consume(OtpTxnId::new()));
        // A day later the old transactions are forgotten when a new one arrives.
        book.create(&otp(&a, 2_000 + KEEP_MS));
        assert!(book.find(first.id).is_none());
        assert_eq!(book.count_since(&a, 0), 1);
    }
}
