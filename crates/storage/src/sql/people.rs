//! Beneficiaries and their vaccination history.

use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};
use tika_domain::ids::{AccountId, BeneficiaryId, BeneficiaryRef, CenterId};
use tika_domain::vaccine::{DoseNumber, VaccineCode};

use super::certificates::enqueue;
use super::{SqlStore, date_str, decode_err, is_unique_violation, parse_date, parse_uuid};
use crate::{
    Account, Backend, Beneficiary, ConflictKind, NewBeneficiaryRecord, NewVaccination,
    StorageError, StorageResult, Vaccination,
};

const BENEFICIARY_COLS: &str = "id, reference_id, account_id, name, birth_year, gender_id, photo_id_type, \
                                photo_id_hash, photo_id_last4, comorbidity, created_at";

fn beneficiary_from_row(row: &AnyRow) -> StorageResult<Beneficiary> {
    let get_s = |c: &str| row.try_get::<String, _>(c).map_err(|_| decode_err(c));
    let get_i = |c: &str| row.try_get::<i64, _>(c).map_err(|_| decode_err(c));
    Ok(NewBeneficiaryRecord {
        id: parse_uuid(&get_s("id")?)?,
        reference_id: BeneficiaryRef::parse(&get_s("reference_id")?)
            .map_err(|_| decode_err("reference_id"))?,
        account_id: parse_uuid(&get_s("account_id")?)?,
        name: get_s("name")?,
        birth_year: i32::try_from(get_i("birth_year")?).map_err(|_| decode_err("birth_year"))?,
        gender_id: get_i("gender_id")?,
        photo_id_type: get_i("photo_id_type")?,
        photo_id_hash: get_s("photo_id_hash")?,
        photo_id_last4: get_s("photo_id_last4")?,
        comorbidity: get_i("comorbidity")? != 0,
        created_at_ms: get_i("created_at")?,
    })
}

/// `$1, $2, …` (or `?` on SQLite) for an IN list starting at parameter `first`.
fn in_list(backend: Backend, n: usize, first: usize) -> String {
    (0..n)
        .map(|i| match backend {
            Backend::Sqlite => "?".to_owned(),
            Backend::Postgres => format!("${}", first + i),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) async fn create_beneficiary(
    store: &SqlStore,
    new: &NewBeneficiaryRecord,
    max_per_account: u32,
) -> StorageResult<Beneficiary> {
    let mut new = new.clone();
    let backend = store.backend;
    store
        .write(Box::new(move |conn| {
            Box::pin(async move {
                if backend == Backend::Postgres {
                    // Serialise registrations of one account across processes.
                    sqlx::query("SELECT id FROM accounts WHERE id = $1 FOR UPDATE")
                        .bind(new.account_id.to_string())
                        .execute(&mut *conn)
                        .await
                        .map_err(StorageError::from_sqlx)?;
                }
                // Counted over the account's rows (a handful, by `beneficiaries_account`).  The
                // plain `AND deleted_at IS NULL` let PostgreSQL, before its first ANALYZE, AND that
                // index with the partial `beneficiaries_photo_id` index, which it then read whole:
                // a scan of every beneficiary on every registration.
                // A record merged into another no longer takes a place.
                let n: i64 = sqlx::query_scalar(
                    "SELECT COALESCE(SUM(CASE WHEN deleted_at IS NULL AND merged_into IS NULL THEN 1 ELSE 0 END), 0) \
                     FROM beneficiaries WHERE account_id = $1",
                )
                .bind(new.account_id.to_string())
                .fetch_one(&mut *conn)
                .await
                .map_err(StorageError::from_sqlx)?;
                if n >= i64::from(max_per_account) {
                    return Err(StorageError::Conflict(ConflictKind::TooManyBeneficiaries));
                }
                for attempt in 0..4 {
                    let res = sqlx::query(AssertSqlSafe(format!(
                        "INSERT INTO beneficiaries ({BENEFICIARY_COLS}, deleted_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, NULL)"
                    )))
                    .bind(new.id.to_string())
                    .bind(new.reference_id.as_str().to_owned())
                    .bind(new.account_id.to_string())
                    .bind(new.name.clone())
                    .bind(i64::from(new.birth_year))
                    .bind(new.gender_id)
                    .bind(new.photo_id_type)
                    .bind(new.photo_id_hash.clone())
                    .bind(new.photo_id_last4.clone())
                    .bind(i64::from(new.comorbidity))
                    .bind(new.created_at_ms)
                    .execute(&mut *conn)
                    .await;
                    match res {
                        Ok(_) => {
                            enqueue(
                                conn,
                                "beneficiary.registered",
                                &new.id.to_string(),
                                &serde_json::json!({
                                    "beneficiary_id": new.id, "account_id": new.account_id,
                                }),
                                new.created_at_ms,
                            )
                            .await?;
                            return Ok(new);
                        }
                        Err(e) if is_unique_violation(&e, "photo_id") => {
                            return Err(StorageError::Conflict(ConflictKind::DuplicatePhotoId));
                        }
                        Err(e) if is_unique_violation(&e, "reference_id") && attempt < 3 => {
                            // A 1-in-10^13 collision: draw another reference id.
                            let random = uuid::Uuid::new_v4().as_u128();
                            new.reference_id = BeneficiaryRef::from_random(random as u64);
                        }
                        Err(e) => return Err(StorageError::from_sqlx(e)),
                    }
                }
                Err(StorageError::Other(anyhow::anyhow!("could not allocate a reference id")))
            })
        }))
        .await
}

pub(super) async fn list_beneficiaries(
    store: &SqlStore,
    account: AccountId,
) -> StorageResult<Vec<Beneficiary>> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {BENEFICIARY_COLS} FROM beneficiaries \
         WHERE account_id = $1 AND deleted_at IS NULL AND merged_into IS NULL ORDER BY created_at, id"
    )))
    .bind(account.to_string())
    .fetch_all(&store.read)
    .await
    .map_err(StorageError::from_sqlx)?;
    rows.iter().map(beneficiary_from_row).collect()
}

pub(super) async fn find_beneficiary_by_ref(
    store: &SqlStore,
    reference: &BeneficiaryRef,
) -> StorageResult<Beneficiary> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {BENEFICIARY_COLS} FROM beneficiaries \
         WHERE reference_id = $1 AND deleted_at IS NULL AND merged_into IS NULL"
    )))
    .bind(reference.as_str().to_owned())
    .fetch_optional(&store.read)
    .await
    .map_err(StorageError::from_sqlx)?
    .ok_or(StorageError::NotFound)?;
    beneficiary_from_row(&row)
}

pub(super) async fn find_beneficiaries(
    store: &SqlStore,
    ids: &[BeneficiaryId],
) -> StorageResult<Vec<Beneficiary>> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {BENEFICIARY_COLS} FROM beneficiaries \
         WHERE id IN ({}) AND deleted_at IS NULL AND merged_into IS NULL",
        in_list(store.backend, ids.len(), 1)
    );
    let mut q = sqlx::query(AssertSqlSafe(sql));
    for id in ids {
        q = q.bind(id.to_string());
    }
    let rows = q.fetch_all(&store.read).await.map_err(StorageError::from_sqlx)?;
    rows.iter().map(beneficiary_from_row).collect()
}

pub(super) async fn delete_beneficiary(
    store: &SqlStore,
    account: AccountId,
    id: BeneficiaryId,
    now_ms: i64,
) -> StorageResult<()> {
    store
        .write(Box::new(move |conn| {
            Box::pin(async move {
                let in_use: i64 = sqlx::query_scalar(
                    "SELECT (SELECT COUNT(*) FROM appointments WHERE beneficiary_id = $1 AND status = 'booked') \
                          + (SELECT COUNT(*) FROM vaccinations WHERE beneficiary_id = $1)",
                )
                .bind(id.to_string())
                .fetch_one(&mut *conn)
                .await
                .map_err(StorageError::from_sqlx)?;
                let n = sqlx::query(
                    "UPDATE beneficiaries SET deleted_at = $1 \
                     WHERE id = $2 AND account_id = $3 AND deleted_at IS NULL AND merged_into IS NULL",
                )
                .bind(now_ms)
                .bind(id.to_string())
                .bind(account.to_string())
                .execute(&mut *conn)
                .await
                .map_err(StorageError::from_sqlx)?
                .rows_affected();
                if n == 0 {
                    return Err(StorageError::NotFound);
                }
                if in_use > 0 {
                    // The savepoint rolls the update back.
                    return Err(StorageError::Conflict(ConflictKind::BeneficiaryInUse));
                }
                Ok(())
            })
        }))
        .await
}

pub(super) async fn list_vaccinations(
    store: &SqlStore,
    beneficiaries: &[BeneficiaryId],
) -> StorageResult<Vec<Vaccination>> {
    if beneficiaries.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT id, beneficiary_id, dose, vaccine, date, center_id FROM vaccinations \
         WHERE beneficiary_id IN ({}) AND voided_at IS NULL ORDER BY date, dose",
        in_list(store.backend, beneficiaries.len(), 1)
    );
    let mut q = sqlx::query(AssertSqlSafe(sql));
    for b in beneficiaries {
        q = q.bind(b.to_string());
    }
    let rows = q.fetch_all(&store.read).await.map_err(StorageError::from_sqlx)?;
    rows.iter()
        .map(|row| {
            let get_s = |c: &str| row.try_get::<String, _>(c).map_err(|_| decode_err(c));
            let dose = row.try_get::<i64, _>("dose").map_err(|_| decode_err("dose"))?;
            Ok(Vaccination {
                id: parse_uuid(&get_s("id")?)?,
                beneficiary_id: parse_uuid(&get_s("beneficiary_id")?)?,
                dose: DoseNumber::new(dose).map_err(|_| decode_err("dose"))?,
                vaccine: VaccineCode::parse(&get_s("vaccine")?)
                    .map_err(|_| decode_err("vaccine"))?,
                date: parse_date(&get_s("date")?)?,
                center_id: row
                    .try_get::<Option<i64>, _>("center_id")
                    .map_err(|_| decode_err("center_id"))?
                    .map(CenterId),
            })
        })
        .collect()
}

/// Records a dose given outside the site app (the CoWIN-era path), with its `dose.recorded`
/// event (the payload shape of site doses; what this path does not know is `null`), so that
/// every recorded dose gets a certificate.
pub(super) async fn record_vaccination(store: &SqlStore, v: &NewVaccination) -> StorageResult<()> {
    let v = v.clone();
    store
        .write(Box::new(move |conn| {
            Box::pin(async move {
                let now_ms = chrono::Utc::now().timestamp_millis();
                let res = sqlx::query(
                    "INSERT INTO vaccinations (id, beneficiary_id, dose, vaccine, date, center_id, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(v.id.to_string())
                .bind(v.beneficiary_id.to_string())
                .bind(i64::from(v.dose.get()))
                .bind(v.vaccine.as_str().to_owned())
                .bind(date_str(v.date))
                .bind(v.center_id.map(|c| c.0))
                .bind(now_ms)
                .execute(&mut *conn)
                .await;
                match res {
                    Ok(_) => {}
                    Err(e) if is_unique_violation(&e, "beneficiary_") => {
                        return Err(StorageError::Conflict(ConflictKind::DoseAlreadyRecorded));
                    }
                    Err(e) => return Err(StorageError::from_sqlx(e)),
                }
                sqlx::query(
                    "UPDATE appointments SET status = 'completed' \
                     WHERE beneficiary_id = $1 AND dose = $2 AND status = 'booked'",
                )
                .bind(v.beneficiary_id.to_string())
                .bind(i64::from(v.dose.get()))
                .execute(&mut *conn)
                .await
                .map_err(StorageError::from_sqlx)?;
                let payload = serde_json::json!({
                    "vaccination_id": v.id, "beneficiary_id": v.beneficiary_id,
                    "dose": v.dose.get(), "vaccine": v.vaccine.as_str(), "batch": null,
                    "center_id": v.center_id.map(|c| c.0), "session_id": null,
                    "date": date_str(v.date), "given_at": null, "vaccinator_id": null,
                });
                super::certificates::enqueue(
                    conn,
                    "dose.recorded",
                    &v.id.to_string(),
                    &payload,
                    now_ms,
                )
                .await?;
                Ok(())
            })
        }))
        .await
}

/// Rows per statement of [`insert_population`]: 11 parameters a row, so SQLite's `?` list stays
/// short (long `$n` lists make sqlx's SQLite argument lookup slow).
const POPULATION_ROWS_PER_STATEMENT: usize = 200;

/// A multi-row `VALUES` list of `rows` rows of `cols` parameters.
fn values_list(backend: Backend, rows: usize, cols: usize) -> String {
    (0..rows)
        .map(|r| format!("({})", in_list(backend, cols, r * cols + 1)))
        .collect::<Vec<_>>()
        .join(", ")
}

pub(super) async fn insert_population(
    store: &SqlStore,
    accounts: &[(Account, Vec<NewBeneficiaryRecord>)],
    now_ms: i64,
) -> StorageResult<u64> {
    let accounts = accounts.to_vec();
    let backend = store.backend;
    store
        .write(Box::new(move |conn| {
            Box::pin(async move {
                let mut people = 0u64;
                for chunk in accounts.chunks(POPULATION_ROWS_PER_STATEMENT) {
                    let mut q = sqlx::query(AssertSqlSafe(format!(
                        "INSERT INTO accounts (id, mobile, language, created_at) VALUES {}",
                        values_list(backend, chunk.len(), 4)
                    )));
                    for (a, _) in chunk {
                        q = q
                            .bind(a.id.to_string())
                            .bind(a.mobile.as_str().to_owned())
                            .bind(a.language.clone())
                            .bind(now_ms);
                    }
                    q.execute(&mut *conn).await.map_err(StorageError::from_sqlx)?;
                }
                let all: Vec<&NewBeneficiaryRecord> =
                    accounts.iter().flat_map(|(_, b)| b.iter()).collect();
                for chunk in all.chunks(POPULATION_ROWS_PER_STATEMENT) {
                    let mut q = sqlx::query(AssertSqlSafe(format!(
                        "INSERT INTO beneficiaries ({BENEFICIARY_COLS}) VALUES {}",
                        values_list(backend, chunk.len(), 11)
                    )));
                    for b in chunk {
                        q = q
                            .bind(b.id.to_string())
                            .bind(b.reference_id.as_str().to_owned())
                            .bind(b.account_id.to_string())
                            .bind(b.name.clone())
                            .bind(i64::from(b.birth_year))
                            .bind(b.gender_id)
                            .bind(b.photo_id_type)
                            .bind(b.photo_id_hash.clone())
                            .bind(b.photo_id_last4.clone())
                            .bind(i64::from(b.comorbidity))
                            .bind(b.created_at_ms);
                    }
                    q.execute(&mut *conn).await.map_err(|e| {
                        if is_unique_violation(&e, "photo_id") {
                            StorageError::Conflict(ConflictKind::DuplicatePhotoId)
                        } else {
                            StorageError::from_sqlx(e)
                        }
                    })?;
                    people += chunk.len() as u64;
                }
                Ok(people)
            })
        }))
        .await
}
