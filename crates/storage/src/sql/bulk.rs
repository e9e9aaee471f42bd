//! The sqlx implementation of [`BulkStore`](crate::BulkStore).
//!
//! A chunk of listed people is stored in ONE write operation (one transaction of the
//! group-commit writer) with a handful of set-wise statements: the existing people are looked
//! up by list key and by photo id with `IN` lists, accounts by mobile, and the new accounts,
//! beneficiaries and listed rows go in multi-row INSERTs; only changed people get an UPDATE.  A
//! re-run of the same rows therefore only reads.

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe, Row};
use tika_domain::admin::Area;
use tika_domain::ids::{AccountId, BeneficiaryRef, CenterId, DistrictId, ImportId, StateId};

use super::console::write_change;
use super::{SqlStore, decode_err, parse_uuid, values_clause};
use crate::{
    Backend, BulkStore, Change, ImportCounts, ImportJob, ImportStatus, ListedPerson,
    ListedPersonRecord, NewImportJob, Occupation, StorageError, StorageResult, UpsertOutcome,
};

type Conn = AnyConnection;

fn db(e: sqlx::Error) -> StorageError {
    StorageError::from_sqlx(e)
}

/// Values per `IN (…)` list and rows per multi-row INSERT (13 columns × 500 rows stays below
/// both backends' limits on bound parameters).
const PER_STATEMENT: usize = 500;

/// `$first, $first+1, …` (or `?` on SQLite) for an `IN` list of `n` values.
fn in_list(backend: Backend, n: usize) -> String {
    (0..n)
        .map(|i| match backend {
            Backend::Sqlite => "?".to_owned(),
            Backend::Postgres => format!("${}", i + 1),
        })
        .collect::<Vec<_>>()
        .join(",")
}

fn u64_of(v: i64) -> u64 {
    u64::try_from(v).unwrap_or(0)
}

fn pin(v: Option<u32>) -> Option<i64> {
    v.map(i64::from)
}

/// What is stored of a listed person, to tell an update from an unchanged row.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Stored {
    beneficiary_id: String,
    name: String,
    birth_year: i64,
    gender_id: i64,
    comorbidity: bool,
    occupation: String,
    employer: String,
    employee_id: String,
    posting_center: Option<i64>,
    posting_pincode: Option<i64>,
    home_pincode: Option<i64>,
    state_id: i64,
    district_id: i64,
}

fn stored_of(r: &ListedPersonRecord, beneficiary_id: String) -> Stored {
    Stored {
        beneficiary_id,
        name: r.beneficiary.name.clone(),
        birth_year: i64::from(r.beneficiary.birth_year),
        gender_id: r.beneficiary.gender_id,
        comorbidity: r.beneficiary.comorbidity,
        occupation: r.occupation.as_str().to_owned(),
        employer: r.employer.clone(),
        employee_id: r.employee_id.clone(),
        posting_center: r.posting_center.map(|c| c.0),
        posting_pincode: pin(r.posting_pincode),
        home_pincode: pin(r.home_pincode),
        state_id: r.state.0,
        district_id: r.district.0,
    }
}

async fn existing_listed(
    conn: &mut Conn,
    backend: Backend,
    keys: &[String],
) -> StorageResult<HashMap<String, Stored>> {
    let mut out = HashMap::with_capacity(keys.len());
    for chunk in keys.chunks(PER_STATEMENT) {
        let sql = format!(
            "SELECT lp.list_key, lp.beneficiary_id, lp.occupation, lp.employer, lp.employee_id, \
             lp.posting_center, lp.posting_pincode, lp.home_pincode, lp.state_id, lp.district_id, \
             b.name, b.birth_year, b.gender_id, b.comorbidity \
             FROM listed_people lp JOIN beneficiaries b ON b.id = lp.beneficiary_id \
             WHERE lp.list_key IN ({})",
            in_list(backend, chunk.len())
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for k in chunk {
            q = q.bind(k.clone());
        }
        for row in q.fetch_all(&mut *conn).await.map_err(db)? {
            let get_s = |c: &str| row.try_get::<String, _>(c).map_err(|_| decode_err(c));
            let get_i = |c: &str| row.try_get::<i64, _>(c).map_err(|_| decode_err(c));
            let get_o = |c: &str| row.try_get::<Option<i64>, _>(c).map_err(|_| decode_err(c));
            out.insert(
                get_s("list_key")?,
                Stored {
                    beneficiary_id: get_s("beneficiary_id")?,
                    name: get_s("name")?,
                    birth_year: get_i("birth_year")?,
                    gender_id: get_i("gender_id")?,
                    comorbidity: get_i("comorbidity")? != 0,
                    occupation: get_s("occupation")?,
                    employer: get_s("employer")?,
                    employee_id: get_s("employee_id")?,
                    posting_center: get_o("posting_center")?,
                    posting_pincode: get_o("posting_pincode")?,
                    home_pincode: get_o("home_pincode")?,
                    state_id: get_i("state_id")?,
                    district_id: get_i("district_id")?,
                },
            );
        }
    }
    Ok(out)
}

/// Beneficiaries (registered by citizens or at a site) with these photo ids: `(type, hash)` →
/// beneficiary id.  Asked per id type so the partial index `beneficiaries_photo_id`
/// (`photo_id_type, photo_id_hash WHERE deleted_at IS NULL`) answers.
async fn existing_by_photo(
    conn: &mut Conn,
    backend: Backend,
    ids: &[(i64, String)],
) -> StorageResult<HashMap<(i64, String), String>> {
    let mut by_type: HashMap<i64, Vec<String>> = HashMap::new();
    for (t, h) in ids {
        by_type.entry(*t).or_default().push(h.clone());
    }
    let mut out = HashMap::new();
    for (t, hashes) in by_type {
        for chunk in hashes.chunks(PER_STATEMENT) {
            let list = match backend {
                Backend::Sqlite => in_list(backend, chunk.len()),
                Backend::Postgres => {
                    (0..chunk.len()).map(|i| format!("${}", i + 2)).collect::<Vec<_>>().join(",")
                }
            };
            let sql = format!(
                "SELECT id, photo_id_hash FROM beneficiaries \
                 WHERE photo_id_type = $1 AND photo_id_hash IN ({list}) AND deleted_at IS NULL"
            );
            let sql = match backend {
                Backend::Sqlite => sql.replacen("$1", "?", 1),
                Backend::Postgres => sql,
            };
            let mut q = sqlx::query(AssertSqlSafe(sql)).bind(t);
            for h in chunk {
                q = q.bind(h.clone());
            }
            for row in q.fetch_all(&mut *conn).await.map_err(db)? {
                let id: String = row.try_get("id").map_err(|_| decode_err("id"))?;
                let h: String =
                    row.try_get("photo_id_hash").map_err(|_| decode_err("photo_id_hash"))?;
                out.insert((t, h), id);
            }
        }
    }
    Ok(out)
}

async fn accounts_by_mobile(
    conn: &mut Conn,
    backend: Backend,
    mobiles: &[String],
) -> StorageResult<HashMap<String, String>> {
    let mut out = HashMap::new();
    for chunk in mobiles.chunks(PER_STATEMENT) {
        let sql = format!(
            "SELECT id, mobile FROM accounts WHERE mobile IN ({})",
            in_list(backend, chunk.len())
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for m in chunk {
            q = q.bind(m.clone());
        }
        for row in q.fetch_all(&mut *conn).await.map_err(db)? {
            let id: String = row.try_get("id").map_err(|_| decode_err("id"))?;
            let m: String = row.try_get("mobile").map_err(|_| decode_err("mobile"))?;
            out.insert(m, id);
        }
    }
    Ok(out)
}

/// Live beneficiaries per account.
async fn beneficiaries_per_account(
    conn: &mut Conn,
    backend: Backend,
    accounts: &[String],
) -> StorageResult<HashMap<String, i64>> {
    let mut out = HashMap::new();
    for chunk in accounts.chunks(PER_STATEMENT) {
        let sql = format!(
            "SELECT account_id, \
             COALESCE(SUM(CASE WHEN deleted_at IS NULL AND merged_into IS NULL THEN 1 ELSE 0 END), 0) AS n \
             FROM beneficiaries WHERE account_id IN ({}) GROUP BY account_id",
            in_list(backend, chunk.len())
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for a in chunk {
            q = q.bind(a.clone());
        }
        for row in q.fetch_all(&mut *conn).await.map_err(db)? {
            let id: String = row.try_get("account_id").map_err(|_| decode_err("account_id"))?;
            let n: i64 = row.try_get("n").map_err(|_| decode_err("n"))?;
            out.insert(id, n);
        }
    }
    Ok(out)
}

async fn taken_references(
    conn: &mut Conn,
    backend: Backend,
    refs: &[String],
) -> StorageResult<HashSet<String>> {
    let mut out = HashSet::new();
    for chunk in refs.chunks(PER_STATEMENT) {
        let sql = format!(
            "SELECT reference_id FROM beneficiaries WHERE reference_id IN ({})",
            in_list(backend, chunk.len())
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for r in chunk {
            q = q.bind(r.clone());
        }
        for row in q.fetch_all(&mut *conn).await.map_err(db)? {
            out.insert(row.try_get("reference_id").map_err(|_| decode_err("reference_id"))?);
        }
    }
    Ok(out)
}

/// A new beneficiary row: (record, account id, reference id).
struct NewPerson<'a> {
    rec: &'a ListedPersonRecord,
    account_id: String,
    reference_id: String,
}

async fn upsert_chunk(
    conn: &mut Conn,
    backend: Backend,
    import: Option<ImportId>,
    rows: Vec<ListedPersonRecord>,
    max_per_mobile: u32,
    now_ms: i64,
) -> StorageResult<UpsertOutcome> {
    let mut out = UpsertOutcome::default();
    let import = import.map(|i| i.to_string());
    if backend == Backend::Postgres {
        // The lookups below are prepared once per connection; a generic plan chosen while the
        // tables were small (a sequential scan) would stay for the whole import.  Plan each
        // execution with its values (until the end of this transaction).
        sqlx::query("SET LOCAL plan_cache_mode = force_custom_plan")
            .execute(&mut *conn)
            .await
            .map_err(db)?;
        super::refresh_statistics(conn, &["accounts", "beneficiaries", "listed_people"]).await?;
    }

    // A key twice in one chunk: the later one is refused.
    let mut seen: HashSet<&str> = HashSet::with_capacity(rows.len());
    let mut live: Vec<usize> = Vec::with_capacity(rows.len());
    for (i, r) in rows.iter().enumerate() {
        if seen.insert(r.list_key.as_str()) {
            live.push(i);
        } else {
            out.refused.push((i, "The same ID appears earlier in this upload".to_owned()));
        }
    }

    let keys: Vec<String> = live.iter().map(|&i| rows[i].list_key.clone()).collect();
    let listed = existing_listed(conn, backend, &keys).await?;

    let unlisted: Vec<usize> =
        live.iter().copied().filter(|&i| !listed.contains_key(&rows[i].list_key)).collect();
    let photo_ids: Vec<(i64, String)> = {
        let mut h: Vec<(i64, String)> = unlisted
            .iter()
            .map(|&i| {
                (rows[i].beneficiary.photo_id_type, rows[i].beneficiary.photo_id_hash.clone())
            })
            .collect();
        h.sort();
        h.dedup();
        h
    };
    let by_photo = existing_by_photo(conn, backend, &photo_ids).await?;

    // Changed listed people, people who become listed, and new people.
    let mut updates: Vec<(usize, Stored)> = Vec::new();
    let mut become_listed: Vec<(usize, String)> = Vec::new();
    let mut fresh: Vec<usize> = Vec::new();
    for &i in &live {
        let r = &rows[i];
        if let Some(old) = listed.get(&r.list_key) {
            let new = stored_of(r, old.beneficiary_id.clone());
            if &new == old {
                out.unchanged += 1;
            } else {
                updates.push((i, new));
            }
        } else if let Some(id) =
            by_photo.get(&(r.beneficiary.photo_id_type, r.beneficiary.photo_id_hash.clone()))
        {
            become_listed.push((i, id.clone()));
        } else {
            fresh.push(i);
        }
    }

    // Accounts of the new people: found by mobile, or created; the per-mobile cap applies.
    let mut new_people: Vec<NewPerson<'_>> = Vec::with_capacity(fresh.len());
    if !fresh.is_empty() {
        let mut mobiles: Vec<String> =
            fresh.iter().map(|&i| rows[i].mobile.as_str().to_owned()).collect();
        mobiles.sort();
        mobiles.dedup();
        let mut accounts = accounts_by_mobile(conn, backend, &mobiles).await?;
        let known: Vec<String> = accounts.values().cloned().collect();
        let mut counts = beneficiaries_per_account(conn, backend, &known).await?;
        let mut new_accounts: Vec<(String, String)> = Vec::new();
        for &i in &fresh {
            let r = &rows[i];
            let mobile = r.mobile.as_str();
            let account = match accounts.get(mobile) {
                Some(a) => a.clone(),
                None => {
                    let id = AccountId::new().to_string();
                    accounts.insert(mobile.to_owned(), id.clone());
                    new_accounts.push((id.clone(), mobile.to_owned()));
                    id
                }
            };
            let n = counts.entry(account.clone()).or_insert(0);
            if *n >= i64::from(max_per_mobile) {
                out.refused.push((
                    i,
                    format!(
                        "This mobile already has {max_per_mobile} beneficiaries, the most allowed"
                    ),
                ));
                continue;
            }
            *n += 1;
            new_people.push(NewPerson {
                rec: r,
                account_id: account,
                reference_id: r.beneficiary.reference_id.as_str().to_owned(),
            });
        }
        // Only accounts that got a person are created (a cap of 0 refuses everyone).
        let used: HashSet<&str> = new_people.iter().map(|p| p.account_id.as_str()).collect();
        new_accounts.retain(|(id, _)| used.contains(id.as_str()));
        for chunk in new_accounts.chunks(PER_STATEMENT) {
            let sql = format!(
                "INSERT INTO accounts (id, mobile, language, created_at) VALUES {}",
                values_clause(backend, chunk.len(), 4)
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for (id, mobile) in chunk {
                q = q.bind(id.clone()).bind(mobile.clone()).bind("en").bind(now_ms);
            }
            q.execute(&mut *conn).await.map_err(db)?;
        }

        // Reference ids are random: redraw the rare one already taken (or taken twice here).
        let refs: Vec<String> = new_people.iter().map(|p| p.reference_id.clone()).collect();
        let mut taken = taken_references(conn, backend, &refs).await?;
        let mut used_refs: HashSet<String> = HashSet::with_capacity(refs.len());
        for p in &mut new_people {
            while taken.contains(&p.reference_id) || used_refs.contains(&p.reference_id) {
                let random = uuid::Uuid::new_v4().as_u128();
                p.reference_id = BeneficiaryRef::from_random(random as u64).as_str().to_owned();
                let again =
                    taken_references(conn, backend, std::slice::from_ref(&p.reference_id)).await?;
                taken.extend(again);
            }
            used_refs.insert(p.reference_id.clone());
        }

        for chunk in new_people.chunks(PER_STATEMENT) {
            let sql = format!(
                "INSERT INTO beneficiaries (id, reference_id, account_id, name, birth_year, \
                 gender_id, photo_id_type, photo_id_hash, photo_id_last4, comorbidity, created_at) \
                 VALUES {}",
                values_clause(backend, chunk.len(), 11)
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for p in chunk {
                let b = &p.rec.beneficiary;
                q = q
                    .bind(b.id.to_string())
                    .bind(p.reference_id.clone())
                    .bind(p.account_id.clone())
                    .bind(b.name.clone())
                    .bind(i64::from(b.birth_year))
                    .bind(b.gender_id)
                    .bind(b.photo_id_type)
                    .bind(b.photo_id_hash.clone())
                    .bind(b.photo_id_last4.clone())
                    .bind(i64::from(b.comorbidity))
                    .bind(now_ms);
            }
            q.execute(&mut *conn).await.map_err(db)?;
        }
        out.inserted = new_people.len() as u64;
    }

    // The listed rows of new people and of people who become listed.
    let inserts: Vec<(&ListedPersonRecord, String)> = new_people
        .iter()
        .map(|p| (p.rec, p.rec.beneficiary.id.to_string()))
        .chain(become_listed.iter().map(|(i, id)| (&rows[*i], id.clone())))
        .collect();
    for chunk in inserts.chunks(PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO listed_people (beneficiary_id, list_key, occupation, employer, employee_id, \
             posting_center, posting_pincode, home_pincode, state_id, district_id, import_id, \
             created_at, updated_at) VALUES {}",
            values_clause(backend, chunk.len(), 13)
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for (r, id) in chunk {
            q = q
                .bind(id.clone())
                .bind(r.list_key.clone())
                .bind(r.occupation.as_str())
                .bind(r.employer.clone())
                .bind(r.employee_id.clone())
                .bind(r.posting_center.map(|c| c.0))
                .bind(pin(r.posting_pincode))
                .bind(pin(r.home_pincode))
                .bind(r.state.0)
                .bind(r.district.0)
                .bind(import.clone())
                .bind(now_ms)
                .bind(now_ms);
        }
        q.execute(&mut *conn).await.map_err(db)?;
    }
    out.updated += become_listed.len() as u64;

    // Changed people, one pair of UPDATEs each (a re-run has none).
    for (_, s) in &updates {
        sqlx::query(
            "UPDATE beneficiaries SET name = $1, birth_year = $2, gender_id = $3, comorbidity = $4 \
             WHERE id = $5",
        )
        .bind(s.name.clone())
        .bind(s.birth_year)
        .bind(s.gender_id)
        .bind(i64::from(s.comorbidity))
        .bind(s.beneficiary_id.clone())
        .execute(&mut *conn)
        .await
        .map_err(db)?;
        sqlx::query(
            "UPDATE listed_people SET occupation = $1, employer = $2, employee_id = $3, \
             posting_center = $4, posting_pincode = $5, home_pincode = $6, state_id = $7, \
             district_id = $8, import_id = $9, updated_at = $10 WHERE beneficiary_id = $11",
        )
        .bind(s.occupation.clone())
        .bind(s.employer.clone())
        .bind(s.employee_id.clone())
        .bind(s.posting_center)
        .bind(s.posting_pincode)
        .bind(s.home_pincode)
        .bind(s.state_id)
        .bind(s.district_id)
        .bind(import.clone())
        .bind(now_ms)
        .bind(s.beneficiary_id.clone())
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    }
    out.updated += updates.len() as u64;
    out.refused.sort_by_key(|(i, _)| *i);
    Ok(out)
}

const JOB_COLS: &str = "id, kind, file_name, file_sha256, created_by, state_id, district_id, status, \
                        total_rows, processed_rows, inserted, updated, unchanged, failed, message, \
                        created_at, finished_at";

fn job_from_row(row: &AnyRow) -> StorageResult<ImportJob> {
    let get_s = |c: &str| row.try_get::<String, _>(c).map_err(|_| decode_err(c));
    let get_i = |c: &str| row.try_get::<i64, _>(c).map_err(|_| decode_err(c));
    let get_o = |c: &str| row.try_get::<Option<i64>, _>(c).map_err(|_| decode_err(c));
    Ok(ImportJob {
        id: parse_uuid(&get_s("id")?)?,
        kind: get_s("kind")?,
        file_name: get_s("file_name")?,
        file_sha256: get_s("file_sha256")?,
        created_by: get_s("created_by")?,
        state: get_o("state_id")?.map(StateId),
        district: get_o("district_id")?.map(DistrictId),
        status: ImportStatus::parse(&get_s("status")?).ok_or_else(|| decode_err("status"))?,
        total_rows: u64_of(get_i("total_rows")?),
        counts: ImportCounts {
            processed: u64_of(get_i("processed_rows")?),
            inserted: u64_of(get_i("inserted")?),
            updated: u64_of(get_i("updated")?),
            unchanged: u64_of(get_i("unchanged")?),
            failed: u64_of(get_i("failed")?),
        },
        message: get_s("message")?,
        created_at_ms: get_i("created_at")?,
        finished_at_ms: get_o("finished_at")?,
    })
}

fn count(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}

/// ` AND …` keeping rows of a table with `state_id`/`district_id` inside `area`, and its value.
fn area_clause(area: &Area, first: usize, center_col: Option<&str>) -> (String, Option<i64>) {
    match area {
        Area::National => (String::new(), None),
        Area::State { state } => (format!(" AND state_id = ${first}"), Some(state.0)),
        Area::District { district, .. } | Area::Block { district, .. } => {
            (format!(" AND district_id = ${first}"), Some(district.0))
        }
        Area::Facility { center, district, .. } => match center_col {
            Some(col) => (format!(" AND {col} = ${first}"), Some(center.0)),
            None => (format!(" AND district_id = ${first}"), Some(district.0)),
        },
    }
}

#[async_trait]
impl BulkStore for SqlStore {
    async fn upsert_listed_people_capped(
        &self,
        import: Option<ImportId>,
        rows: Vec<ListedPersonRecord>,
        max_per_mobile: u32,
        now_ms: i64,
    ) -> StorageResult<UpsertOutcome> {
        let backend = self.backend;
        self.write(Box::new(move |conn| {
            Box::pin(async move {
                upsert_chunk(conn, backend, import, rows, max_per_mobile, now_ms).await
            })
        }))
        .await
    }

    async fn create_import_job(&self, job: &NewImportJob) -> StorageResult<()> {
        let job = job.clone();
        self.write(Box::new(move |conn| {
            Box::pin(async move {
                sqlx::query(
                    "INSERT INTO import_jobs (id, kind, file_name, file_sha256, created_by, \
                     state_id, district_id, status, total_rows, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, 'running', $8, $9)",
                )
                .bind(job.id.to_string())
                .bind(job.kind)
                .bind(job.file_name)
                .bind(job.file_sha256)
                .bind(job.created_by)
                .bind(job.state.map(|s| s.0))
                .bind(job.district.map(|d| d.0))
                .bind(count(job.total_rows))
                .bind(job.created_at_ms)
                .execute(&mut *conn)
                .await
                .map_err(db)?;
                Ok(())
            })
        }))
        .await
    }

    async fn update_import_progress(
        &self,
        id: ImportId,
        counts: &ImportCounts,
    ) -> StorageResult<()> {
        let c = *counts;
        self.write(Box::new(move |conn| {
            Box::pin(async move {
                sqlx::query(
                    "UPDATE import_jobs SET processed_rows = $1, inserted = $2, updated = $3, \
                     unchanged = $4, failed = $5 WHERE id = $6",
                )
                .bind(count(c.processed))
                .bind(count(c.inserted))
                .bind(count(c.updated))
                .bind(count(c.unchanged))
                .bind(count(c.failed))
                .bind(id.to_string())
                .execute(&mut *conn)
                .await
                .map_err(db)?;
                Ok(())
            })
        }))
        .await
    }

    async fn finish_import_job(
        &self,
        id: ImportId,
        status: ImportStatus,
        counts: &ImportCounts,
        error_report: String,
        message: String,
        now_ms: i64,
        change: Option<Change>,
    ) -> StorageResult<()> {
        let c = *counts;
        self.write(Box::new(move |conn| {
            Box::pin(async move {
                let n = sqlx::query(
                    "UPDATE import_jobs SET status = $1, processed_rows = $2, inserted = $3, \
                     updated = $4, unchanged = $5, failed = $6, error_report = $7, message = $8, \
                     finished_at = $9 WHERE id = $10",
                )
                .bind(status.as_str())
                .bind(count(c.processed))
                .bind(count(c.inserted))
                .bind(count(c.updated))
                .bind(count(c.unchanged))
                .bind(count(c.failed))
                .bind(error_report)
                .bind(message)
                .bind(now_ms)
                .bind(id.to_string())
                .execute(&mut *conn)
                .await
                .map_err(db)?
                .rows_affected();
                if n == 0 {
                    return Err(StorageError::NotFound);
                }
                if let Some(change) = &change {
                    write_change(conn, change).await?;
                }
                Ok(())
            })
        }))
        .await
    }

    async fn find_import_job(&self, id: ImportId) -> StorageResult<ImportJob> {
        let row =
            sqlx::query(AssertSqlSafe(format!("SELECT {JOB_COLS} FROM import_jobs WHERE id = $1")))
                .bind(id.to_string())
                .fetch_optional(&self.read)
                .await
                .map_err(db)?
                .ok_or(StorageError::NotFound)?;
        job_from_row(&row)
    }

    async fn import_error_report(&self, id: ImportId) -> StorageResult<String> {
        sqlx::query_scalar("SELECT error_report FROM import_jobs WHERE id = $1")
            .bind(id.to_string())
            .fetch_optional(&self.read)
            .await
            .map_err(db)?
            .ok_or(StorageError::NotFound)
    }

    async fn list_import_jobs(&self, area: &Area, limit: u32) -> StorageResult<Vec<ImportJob>> {
        let (cond, arg) = area_clause(area, 1, None);
        let n = if arg.is_some() { 2 } else { 1 };
        let sql = format!(
            "SELECT {JOB_COLS} FROM import_jobs WHERE 1 = 1{cond} \
             ORDER BY created_at DESC, id DESC LIMIT ${n}"
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        if let Some(a) = arg {
            q = q.bind(a);
        }
        let rows = q.bind(i64::from(limit)).fetch_all(&self.read).await.map_err(db)?;
        rows.iter().map(job_from_row).collect()
    }

    async fn count_listed_people(&self, area: &Area) -> StorageResult<u64> {
        let (cond, arg) = area_clause(area, 1, Some("posting_center"));
        let sql = format!("SELECT COUNT(*) FROM listed_people WHERE 1 = 1{cond}");
        let mut q = sqlx::query_scalar::<_, i64>(AssertSqlSafe(sql));
        if let Some(a) = arg {
            q = q.bind(a);
        }
        Ok(u64_of(q.fetch_one(&self.read).await.map_err(db)?))
    }

    async fn list_listed_people(
        &self,
        area: &Area,
        limit: u32,
    ) -> StorageResult<Vec<ListedPerson>> {
        let (cond, arg) = area_clause(area, 1, Some("lp.posting_center"));
        let cond =
            cond.replace(" state_id", " lp.state_id").replace(" district_id", " lp.district_id");
        let n = if arg.is_some() { 2 } else { 1 };
        let sql = format!(
            "SELECT lp.beneficiary_id, b.reference_id, b.name, lp.occupation, lp.employer, \
             lp.posting_center, lp.posting_pincode, lp.home_pincode, lp.state_id, lp.district_id, \
             lp.updated_at FROM listed_people lp JOIN beneficiaries b ON b.id = lp.beneficiary_id \
             WHERE 1 = 1{cond} ORDER BY lp.updated_at DESC, lp.beneficiary_id LIMIT ${n}"
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        if let Some(a) = arg {
            q = q.bind(a);
        }
        let rows = q.bind(i64::from(limit)).fetch_all(&self.read).await.map_err(db)?;
        rows.iter()
            .map(|row| {
                let get_s = |c: &str| row.try_get::<String, _>(c).map_err(|_| decode_err(c));
                let get_i = |c: &str| row.try_get::<i64, _>(c).map_err(|_| decode_err(c));
                let get_o = |c: &str| row.try_get::<Option<i64>, _>(c).map_err(|_| decode_err(c));
                let pin = |c: &str| -> StorageResult<Option<u32>> {
                    Ok(get_o(c)?.and_then(|v| u32::try_from(v).ok()))
                };
                Ok(ListedPerson {
                    beneficiary_id: parse_uuid(&get_s("beneficiary_id")?)?,
                    reference_id: BeneficiaryRef::parse(&get_s("reference_id")?)
                        .map_err(|_| decode_err("reference_id"))?,
                    name: get_s("name")?,
                    occupation: Occupation::parse(&get_s("occupation")?)
                        .ok_or_else(|| decode_err("occupation"))?,
                    employer: get_s("employer")?,
                    posting_center: get_o("posting_center")?.map(CenterId),
                    posting_pincode: pin("posting_pincode")?,
                    home_pincode: pin("home_pincode")?,
                    state: StateId(get_i("state_id")?),
                    district: DistrictId(get_i("district_id")?),
                    updated_at_ms: get_i("updated_at")?,
                })
            })
            .collect()
    }
}
