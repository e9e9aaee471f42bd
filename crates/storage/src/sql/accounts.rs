//! Citizen accounts and OTP transactions.

use sqlx::Row;
use sqlx::any::AnyRow;
use tika_domain::ids::{AccountId, OtpTxnId};
use tika_domain::mobile::Mobile;

use super::{SqlStore, decode_err, parse_uuid};
use crate::{Account, NewOtp, OtpTxn, StorageError, StorageResult};

fn account_from_row(row: &AnyRow) -> StorageResult<Account> {
    let get_s = |c: &str| row.try_get::<String, _>(c).map_err(|_| decode_err(c));
    Ok(Account {
        id: parse_uuid(&get_s("id")?)?,
        mobile: Mobile::parse(&get_s("mobile")?).map_err(|_| decode_err("mobile"))?,
        language: get_s("language")?,
    })
}

pub(super) async fn upsert_account(
    store: &SqlStore,
    mobile: &Mobile,
    now_ms: i64,
) -> StorageResult<(Account, bool)> {
    // Fast path on the read pool: most logins are by existing accounts.
    if let Some(row) = sqlx::query("SELECT id, mobile, language FROM accounts WHERE mobile = $1")
        .bind(mobile.as_str().to_owned())
        .fetch_optional(&store.read)
        .await
        .map_err(StorageError::from_sqlx)?
    {
        return Ok((account_from_row(&row)?, false));
    }
    let mobile = mobile.clone();
    store
        .write(Box::new(move |conn| {
            Box::pin(async move {
                let id = AccountId::new();
                let inserted = sqlx::query(
                    "INSERT INTO accounts (id, mobile, language, created_at) VALUES ($1, $2, 'en', $3) \
                     ON CONFLICT (mobile) DO NOTHING",
                )
                .bind(id.to_string())
                .bind(mobile.as_str().to_owned())
                .bind(now_ms)
                .execute(&mut *conn)
                .await
                .map_err(StorageError::from_sqlx)?
                .rows_affected();
                let row = sqlx::query("SELECT id, mobile, language FROM accounts WHERE mobile = $1")
                    .bind(mobile.as_str().to_owned())
                    .fetch_one(&mut *conn)
                    .await
                    .map_err(StorageError::from_sqlx)?;
                Ok((account_from_row(&row)?, inserted == 1))
            })
        }))
        .await
}

pub(super) async fn find_account(store: &SqlStore, id: AccountId) -> StorageResult<Account> {
    let row = sqlx::query("SELECT id, mobile, language FROM accounts WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(&store.read)
        .await
        .map_err(StorageError::from_sqlx)?
        .ok_or(StorageError::NotFound)?;
    account_from_row(&row)
}

/// The account of a mobile, if it exists (a read-only server logs citizens in without creating
/// accounts).
pub(super) async fn find_account_by_mobile(
    store: &SqlStore,
    mobile: &Mobile,
) -> StorageResult<Account> {
    let row = sqlx::query("SELECT id, mobile, language FROM accounts WHERE mobile = $1")
        .bind(mobile.as_str().to_owned())
        .fetch_optional(&store.read)
        .await
        .map_err(StorageError::from_sqlx)?
        .ok_or(StorageError::NotFound)?;
    account_from_row(&row)
}

pub(super) async fn set_account_language(
    store: &SqlStore,
    id: AccountId,
    language: &str,
) -> StorageResult<()> {
    let language = language.to_owned();
    store
        .write(Box::new(move |conn| {
            Box::pin(async move {
                let n = sqlx::query("UPDATE accounts SET language = $1 WHERE id = $2")
                    .bind(language)
                    .bind(id.to_string())
                    .execute(&mut *conn)
                    .await
                    .map_err(StorageError::from_sqlx)?
                    .rows_affected();
                if n == 0 { Err(StorageError::NotFound) } else { Ok(()) }
            })
        }))
        .await
}

pub(super) async fn create_otp(store: &SqlStore, otp: &NewOtp) -> StorageResult<()> {
    let otp = otp.clone();
    let backend = store.backend;
    store
        .write(Box::new(move |conn| {
            Box::pin(async move {
                sqlx::query(
                    "INSERT INTO otp_txns (id, mobile, otp_hash, scope, created_at, attempts, consumed) \
                     VALUES ($1, $2, $3, $4, $5, 0, 0)",
                )
                .bind(otp.id.to_string())
                .bind(otp.mobile.as_str().to_owned())
                .bind(otp.otp_hash)
                .bind(otp.scope)
                .bind(otp.created_at_ms)
                .execute(&mut *conn)
                .await
                .map_err(StorageError::from_sqlx)?;
                if let Some(message) = &otp.message {
                    // The SMS is queued with the OTP: both or neither.
                    super::messages::insert_messages(conn, backend, std::slice::from_ref(message))
                        .await?;
                }
                Ok(())
            })
        }))
        .await
}

pub(super) async fn count_otps_since(
    store: &SqlStore,
    mobile: &Mobile,
    since_ms: i64,
) -> StorageResult<u64> {
    let n: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM otp_txns WHERE mobile = $1 AND created_at >= $2")
            .bind(mobile.as_str().to_owned())
            .bind(since_ms)
            .fetch_one(&store.read)
            .await
            .map_err(StorageError::from_sqlx)?;
    Ok(u64::try_from(n).unwrap_or(0))
}

pub(super) async fn find_otp(store: &SqlStore, id: OtpTxnId) -> StorageResult<OtpTxn> {
    let row = sqlx::query(
        "SELECT id, mobile, otp_hash, scope, created_at, attempts, consumed FROM otp_txns WHERE id = $1",
    )
    .bind(id.to_string())
    .fetch_optional(&store.read)
    .await
    .map_err(StorageError::from_sqlx)?
    .ok_or(StorageError::NotFound)?;
    let get_s = |c: &str| row.try_get::<String, _>(c).map_err(|_| decode_err(c));
    let get_i = |c: &str| row.try_get::<i64, _>(c).map_err(|_| decode_err(c));
    Ok(OtpTxn {
        id: parse_uuid(&get_s("id")?)?,
        mobile: Mobile::parse(&get_s("mobile")?).map_err(|_| decode_err("mobile"))?,
        otp_hash: get_s("otp_hash")?,
        scope: get_s("scope")?,
        created_at_ms: get_i("created_at")?,
        attempts: u32::try_from(get_i("attempts")?).unwrap_or(u32::MAX),
        consumed: get_i("consumed")? != 0,
    })
}

pub(super) async fn record_otp_failure(store: &SqlStore, id: OtpTxnId) -> StorageResult<()> {
    store
        .write(Box::new(move |conn| {
            Box::pin(async move {
                sqlx::query("UPDATE otp_txns SET attempts = attempts + 1 WHERE id = $1")
                    .bind(id.to_string())
                    .execute(&mut *conn)
                    .await
                    .map_err(StorageError::from_sqlx)?;
                Ok(())
            })
        }))
        .await
}

pub(super) async fn consume_otp(store: &SqlStore, id: OtpTxnId) -> StorageResult<()> {
    store
        .write(Box::new(move |conn| {
            Box::pin(async move {
                let n =
                    sqlx::query("UPDATE otp_txns SET consumed = 1 WHERE id = $1 AND consumed = 0")
                        .bind(id.to_string())
                        .execute(&mut *conn)
                        .await
                        .map_err(StorageError::from_sqlx)?
                        .rows_affected();
                if n == 1 { Ok(()) } else { Err(StorageError::NotFound) }
            })
        }))
        .await
}
