//! Applying site uploads: gather the facts the records touch, let the domain's sync rules
//! decide, write the effects, all in one write operation (one savepoint of a group commit).
//!
//! The cost per upload is a fixed number of statements for the facts (IN lists over the
//! records' ids), then a fixed number for the effects: arrivals, doses (with the appointments
//! they complete and their events) and the remembered records go in multi-row statements
//! (`Pending`); only walk-in registrations, undos, AEFI reports and reviews cost statements of
//! their own.  An upload of 100 arrivals and 100 doses is about 25 statements, not 600: on
//! PostgreSQL every statement is a round trip.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use sqlx::{AnyConnection, AssertSqlSafe, Row};
use tika_domain::country::CountryPack;
use tika_domain::ids::{BeneficiaryId, BeneficiaryRef, CenterId, RecordId, ReviewId, SessionId};
use tika_domain::session::AgeLimits;
use tika_domain::sync::{
    AppointmentFacts, AppointmentState, BatchInfo, Effect, KnownDose, Outcome, PersonFacts,
    RecordBody, RecordResult, SessionInfo, SiteRecord, SyncContext, SyncFacts, UploadAnswer,
    WalkInPerson, decide,
};
use tika_domain::vaccine::{DoseNumber, VaccineCode};

use super::site::{REVIEW_COLS, params, review_from_row};
use super::{SqlStore, date_str, decode_err, parse_date, parse_uuid};
use crate::{
    ConflictKind, ReviewAction, ReviewItem, ReviewStatus, StorageError, StorageResult, SyncUpload,
    UploadOutcome,
};

type Conn = AnyConnection;

fn db(e: sqlx::Error) -> StorageError {
    StorageError::from_sqlx(e)
}

pub(super) async fn apply_upload(
    store: &SqlStore,
    upload: &SyncUpload,
    pack: Arc<CountryPack>,
) -> StorageResult<UploadOutcome> {
    // Replays are answered from the read pool without queueing behind the writer.
    if let Some((hash, answer)) = super::site::find_upload(store, upload.key).await? {
        return Ok(if hash == upload.body_hash {
            UploadOutcome::Replayed(answer)
        } else {
            UploadOutcome::KeyReused
        });
    }
    let upload = upload.clone();
    store
        .write(Box::new(move |conn| {
            Box::pin(async move { apply_in_tx(conn, &upload, &pack).await })
        }))
        .await
}

async fn apply_in_tx(
    conn: &mut Conn,
    up: &SyncUpload,
    pack: &CountryPack,
) -> StorageResult<UploadOutcome> {
    // Checked again inside the transaction: two retries of one upload may race.
    let saved =
        sqlx::query("SELECT body_hash, answer FROM sync_uploads WHERE idempotency_key = $1")
            .bind(up.key.to_string())
            .fetch_optional(&mut *conn)
            .await
            .map_err(db)?;
    if let Some(row) = saved {
        let hash: String = row.try_get("body_hash").map_err(db)?;
        let answer: String = row.try_get("answer").map_err(db)?;
        return Ok(if hash == up.body_hash {
            UploadOutcome::Replayed(answer)
        } else {
            UploadOutcome::KeyReused
        });
    }

    // Records applied by an earlier upload answer `duplicate` with their first result.
    let ids: Vec<String> = up.records.iter().map(|r| r.client_id.to_string()).collect();
    let mut prior: HashMap<RecordId, RecordResult> = HashMap::new();
    for row in
        select_in(conn, "SELECT record_id, result FROM sync_records WHERE record_id IN", &ids)
            .await?
    {
        let id: String = row.try_get("record_id").map_err(db)?;
        let result: String = row.try_get("result").map_err(db)?;
        prior.insert(
            parse_uuid(&id)?,
            serde_json::from_str(&result).map_err(|_| decode_err("sync result"))?,
        );
    }
    let fresh: Vec<SiteRecord> =
        up.records.iter().filter(|r| !prior.contains_key(&r.client_id)).cloned().collect();

    let mut facts = gather(conn, up.center_id, &fresh).await?;
    let ctx = SyncContext { pack, center: up.center_id, force: false };
    let decided = decide(ctx, &mut facts, &fresh);
    let mut fresh_results = Vec::with_capacity(decided.len());
    let mut pending = Pending::default();
    for (result, effects) in decided {
        let mut result = result;
        write_effects(
            conn,
            &mut pending,
            &effects,
            up.staff_id.to_string(),
            up.now_ms,
            pack.max_beneficiaries_per_mobile,
            &mut result,
        )
        .await?;
        fresh_results.push(result);
    }
    pending.flush(conn, up.now_ms).await?;

    // Stitch the answer back together in upload order, and remember each new record.
    let mut fresh_iter = fresh_results.into_iter();
    let mut results = Vec::with_capacity(up.records.len());
    let mut remembered: HashSet<RecordId> = HashSet::new();
    let mut record_rows: Vec<(String, &'static str, String, String)> = Vec::new();
    for rec in &up.records {
        if let Some(first) = prior.get(&rec.client_id) {
            results.push(first.as_duplicate());
            continue;
        }
        let Some(result) = fresh_iter.next() else {
            return Err(StorageError::Other(anyhow::anyhow!("sync rules lost a record")));
        };
        if result.outcome != Outcome::Duplicate && remembered.insert(rec.client_id) {
            record_rows.push((
                rec.client_id.to_string(),
                rec.body.kind(),
                rec.session_id.to_string(),
                serde_json::to_string(&result).map_err(|e| StorageError::Other(e.into()))?,
            ));
        }
        results.push(result);
    }
    for chunk in record_rows.chunks(ROWS_PER_STATEMENT) {
        let sql = format!(
            "INSERT INTO sync_records (record_id, kind, session_id, center_id, upload_key, result, created_at) \
             VALUES {}",
            rows_clause(chunk.len(), 7)
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for (id, kind, session, result) in chunk {
            q = q
                .bind(id.clone())
                .bind(*kind)
                .bind(session.clone())
                .bind(up.center_id.0)
                .bind(up.key.to_string())
                .bind(result.clone())
                .bind(up.now_ms);
        }
        q.execute(&mut *conn).await.map_err(db)?;
    }
    let answer = UploadAnswer { idempotency_key: up.key, applied_at: up.now_ms, results };
    let answer = serde_json::to_string(&answer).map_err(|e| StorageError::Other(e.into()))?;
    sqlx::query(
        "INSERT INTO sync_uploads (idempotency_key, staff_id, device_id, body_hash, answer, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(up.key.to_string())
    .bind(up.staff_id.to_string())
    .bind(up.device_id.to_string())
    .bind(up.body_hash.clone())
    .bind(answer.clone())
    .bind(up.now_ms)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    Ok(UploadOutcome::Applied(answer))
}

/// Runs `"<prefix> (…)"` with one placeholder per value; no query when `values` is empty.
async fn select_in(
    conn: &mut Conn,
    prefix: &str,
    values: &[String],
) -> StorageResult<Vec<sqlx::any::AnyRow>> {
    select_in_then(conn, prefix, values, "").await
}

async fn select_in_then(
    conn: &mut Conn,
    prefix: &str,
    values: &[String],
    suffix: &str,
) -> StorageResult<Vec<sqlx::any::AnyRow>> {
    if values.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!("{prefix} ({}) {suffix}", params(1, values.len()));
    let mut q = sqlx::query(AssertSqlSafe(sql));
    for v in values {
        q = q.bind(v.clone());
    }
    q.fetch_all(&mut *conn).await.map_err(db)
}

fn walk_ins(rec: &SiteRecord) -> Option<&WalkInPerson> {
    match &rec.body {
        RecordBody::WalkIn { beneficiary } => Some(beneficiary),
        RecordBody::Dose(d) => d.walk_in.as_ref(),
        _ => None,
    }
}

/// Reads everything the records can touch.
async fn gather(
    conn: &mut Conn,
    center: CenterId,
    records: &[SiteRecord],
) -> StorageResult<SyncFacts> {
    let mut facts = SyncFacts::default();
    if records.is_empty() {
        return Ok(facts);
    }

    let session_ids: Vec<String> = records
        .iter()
        .map(|r| r.session_id.to_string())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    for row in select_in(
        conn,
        "SELECT id, center_id, date, vaccine, min_age, max_age FROM sessions WHERE id IN",
        &session_ids,
    )
    .await?
    {
        let get_s = |c: &str| row.try_get::<String, _>(c).map_err(|_| decode_err(c));
        let get_i = |c: &str| row.try_get::<i64, _>(c).map_err(|_| decode_err(c));
        let max = row.try_get::<Option<i64>, _>("max_age").map_err(|_| decode_err("max_age"))?;
        facts.sessions.insert(
            parse_uuid::<SessionId>(&get_s("id")?)?,
            SessionInfo {
                center: CenterId(get_i("center_id")?),
                date: parse_date(&get_s("date")?)?,
                vaccine: VaccineCode::parse(&get_s("vaccine")?)
                    .map_err(|_| decode_err("vaccine"))?,
                ages: AgeLimits {
                    min: u8::try_from(get_i("min_age")?).map_err(|_| decode_err("min_age"))?,
                    max: max.map(u8::try_from).transpose().map_err(|_| decode_err("max_age"))?,
                },
            },
        );
    }

    for row in
        sqlx::query("SELECT batch, vaccine, expiry FROM vaccine_batches WHERE center_id = $1")
            .bind(center.0)
            .fetch_all(&mut *conn)
            .await
            .map_err(db)?
    {
        let get_s = |c: &str| row.try_get::<String, _>(c).map_err(|_| decode_err(c));
        facts.batches.insert(
            get_s("batch")?,
            BatchInfo {
                vaccine: VaccineCode::parse(&get_s("vaccine")?)
                    .map_err(|_| decode_err("vaccine"))?,
                expiry: parse_date(&get_s("expiry")?)?,
            },
        );
    }

    // People: named directly, walk-in ids (possibly merged earlier), and photo-id matches.
    let mut named: HashSet<String> = HashSet::new();
    let mut targets: HashSet<String> = HashSet::new();
    let mut appointment_ids: HashSet<String> = HashSet::new();
    for r in records {
        match &r.body {
            RecordBody::Arrival { beneficiary_id } => {
                named.insert(beneficiary_id.to_string());
            }
            RecordBody::WalkIn { .. } => {
                named.insert(r.client_id.to_string());
            }
            RecordBody::Dose(d) => {
                named.insert(d.beneficiary_id.to_string());
                targets.insert(r.client_id.to_string());
                if let Some(a) = d.appointment_id {
                    appointment_ids.insert(a.to_string());
                }
            }
            RecordBody::Aefi { vaccination_client_id, .. }
            | RecordBody::Undo { vaccination_client_id, .. } => {
                targets.insert(vaccination_client_id.to_string());
            }
        }
    }
    let named: Vec<String> = named.into_iter().collect();
    for row in select_in(
        conn,
        "SELECT alias_id, beneficiary_id FROM beneficiary_aliases WHERE alias_id IN",
        &named,
    )
    .await?
    {
        let alias: String = row.try_get("alias_id").map_err(db)?;
        let real: String = row.try_get("beneficiary_id").map_err(db)?;
        facts.aliases.insert(parse_uuid(&alias)?, parse_uuid(&real)?);
    }
    let hashes: Vec<String> = records
        .iter()
        .filter_map(walk_ins)
        .map(|p| p.photo_id_hash.clone())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let mut people_ids: HashSet<String> = named
        .iter()
        .map(|id| match id.parse::<BeneficiaryId>() {
            Ok(b) => facts.resolve(b).to_string(),
            Err(_) => id.clone(),
        })
        .collect();
    // The index is (photo_id_type, photo_id_hash): without the type, this is a scan of every
    // registered person.  The types are integers from the country pack, written inline.
    let types: Vec<String> = records
        .iter()
        .filter_map(walk_ins)
        .map(|p| p.photo_id_type)
        .collect::<std::collections::BTreeSet<i64>>()
        .iter()
        .map(i64::to_string)
        .collect();
    for row in select_in_then(
        conn,
        &format!(
            "SELECT id, photo_id_type, photo_id_hash FROM beneficiaries \
             WHERE photo_id_type IN ({}) AND photo_id_hash IN",
            types.join(", ")
        ),
        &hashes,
        "AND deleted_at IS NULL",
    )
    .await?
    {
        let id: String = row.try_get("id").map_err(db)?;
        let kind: i64 = row.try_get("photo_id_type").map_err(db)?;
        let hash: String = row.try_get("photo_id_hash").map_err(db)?;
        facts.photo_ids.insert((kind, hash), parse_uuid(&id)?);
        people_ids.insert(id);
    }
    let people_ids: Vec<String> = people_ids.into_iter().collect();
    for row in select_in_then(
        conn,
        "SELECT id, reference_id, birth_year FROM beneficiaries WHERE id IN",
        &people_ids,
        "AND deleted_at IS NULL",
    )
    .await?
    {
        let id: String = row.try_get("id").map_err(db)?;
        let birth_year: i64 = row.try_get("birth_year").map_err(db)?;
        facts.people.insert(
            parse_uuid(&id)?,
            PersonFacts {
                reference: row.try_get("reference_id").map_err(db)?,
                birth_year: tika_domain::beneficiary::BirthYear::from_stored(
                    i32::try_from(birth_year).map_err(|_| decode_err("birth_year"))?,
                ),
                doses: Vec::new(),
            },
        );
    }

    // Doses of those people, and the doses undo/AEFI records point at.
    let loaded: Vec<String> = facts.people.keys().map(ToString::to_string).collect();
    let dose_cols =
        "SELECT id, beneficiary_id, dose, vaccine, date, center_id, voided_at FROM vaccinations";
    // A person's undone doses count for nothing but themselves, and those named by id (undo,
    // AEFI and dose records) are read by id just below; `voided_at IS NULL` also lets this use
    // the partial index `vaccinations_beneficiary_dose` instead of scanning every dose.
    let mut dose_rows = select_in(
        conn,
        &format!("{dose_cols} WHERE voided_at IS NULL AND beneficiary_id IN"),
        &loaded,
    )
    .await?;
    let target_list: Vec<String> = targets.iter().cloned().collect();
    dose_rows.extend(select_in(conn, &format!("{dose_cols} WHERE id IN"), &target_list).await?);
    let mut seen_doses = HashSet::new();
    for row in dose_rows {
        let id: RecordId = parse_uuid(&row.try_get::<String, _>("id").map_err(db)?)?;
        if !seen_doses.insert(id) {
            continue;
        }
        let who: BeneficiaryId =
            parse_uuid(&row.try_get::<String, _>("beneficiary_id").map_err(db)?)?;
        let center = row.try_get::<Option<i64>, _>("center_id").map_err(db)?.map(CenterId);
        let voided = row.try_get::<Option<i64>, _>("voided_at").map_err(db)?.is_some();
        facts.doses.insert(id, (who, center, voided));
        if let Some(p) = facts.people.get_mut(&who) {
            p.doses.push(KnownDose {
                id,
                dose: DoseNumber::new(row.try_get::<i64, _>("dose").map_err(db)?)
                    .map_err(|_| decode_err("dose"))?,
                vaccine: VaccineCode::parse(&row.try_get::<String, _>("vaccine").map_err(db)?)
                    .map_err(|_| decode_err("vaccine"))?,
                date: parse_date(&row.try_get::<String, _>("date").map_err(db)?)?,
                center,
                voided,
            });
        }
    }

    for row in select_in(
        conn,
        "SELECT vaccination_id, reason FROM dose_undos WHERE vaccination_id IN",
        &target_list,
    )
    .await?
    {
        let id: String = row.try_get("vaccination_id").map_err(db)?;
        let id: RecordId = parse_uuid(&id)?;
        if !facts.doses.contains_key(&id) {
            facts.tombstones.insert(id, row.try_get("reason").map_err(db)?);
        }
    }
    for row in select_in_then(
        conn,
        "SELECT id, record_id FROM sync_reviews WHERE record_id IN",
        &target_list,
        "AND status = 'open'",
    )
    .await?
    {
        let id: String = row.try_get("id").map_err(db)?;
        let record: String = row.try_get("record_id").map_err(db)?;
        facts.open_reviews.insert(parse_uuid(&record)?, parse_uuid::<ReviewId>(&id)?);
    }

    // Appointment rows named by doses, and the booked and completed rows of the people (an
    // undo re-opens a completed row, and a dose later in the same upload completes it again).
    let mut appt_rows = select_in(
        conn,
        "SELECT id, beneficiary_id, dose, status FROM appointments WHERE id IN",
        &appointment_ids.into_iter().collect::<Vec<_>>(),
    )
    .await?;
    appt_rows.extend(
        select_in_then(
            conn,
            "SELECT id, beneficiary_id, dose, status FROM appointments WHERE beneficiary_id IN",
            &loaded,
            "AND status IN ('booked', 'completed')",
        )
        .await?,
    );
    for row in appt_rows {
        let id: String = row.try_get("id").map_err(db)?;
        let state = match row.try_get::<String, _>("status").map_err(db)?.as_str() {
            "booked" => AppointmentState::Booked,
            "cancelled" => AppointmentState::Cancelled,
            _ => AppointmentState::Completed,
        };
        facts.appointments.insert(
            parse_uuid(&id)?,
            AppointmentFacts {
                beneficiary: parse_uuid(&row.try_get::<String, _>("beneficiary_id").map_err(db)?)?,
                dose: DoseNumber::new(row.try_get::<i64, _>("dose").map_err(db)?)
                    .map_err(|_| decode_err("dose"))?,
                state,
            },
        );
    }

    // Arrivals already recorded for these people in these sessions.
    if !loaded.is_empty() {
        let sql = format!(
            "SELECT session_id, beneficiary_id FROM arrivals WHERE session_id IN ({}) AND beneficiary_id IN ({})",
            params(1, session_ids.len()),
            params(1 + session_ids.len(), named.len())
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for v in session_ids.iter().chain(named.iter()) {
            q = q.bind(v.clone());
        }
        for row in q.fetch_all(&mut *conn).await.map_err(db)? {
            let s: String = row.try_get("session_id").map_err(db)?;
            let b: String = row.try_get("beneficiary_id").map_err(db)?;
            facts.arrivals.insert((parse_uuid(&s)?, parse_uuid(&b)?));
        }
    }
    Ok(facts)
}

/// The account a walk-in belongs to: their own mobile's (if it has room), else the facility's
/// assisted-registration account, which can never log in (its `mobile` is not a number).
async fn walk_in_account(
    conn: &mut Conn,
    person: &WalkInPerson,
    center: CenterId,
    now_ms: i64,
    max_per_mobile: u32,
) -> StorageResult<String> {
    if let Some(mobile) = &person.mobile {
        sqlx::query(
            "INSERT INTO accounts (id, mobile, language, created_at) VALUES ($1, $2, 'en', $3) \
             ON CONFLICT (mobile) DO NOTHING",
        )
        .bind(uuid::Uuid::now_v7().to_string())
        .bind(mobile.clone())
        .bind(now_ms)
        .execute(&mut *conn)
        .await
        .map_err(db)?;
        let row = sqlx::query(
            "SELECT a.id, (SELECT COUNT(*) FROM beneficiaries b WHERE b.account_id = a.id AND b.deleted_at IS NULL) AS n \
             FROM accounts a WHERE a.mobile = $1",
        )
        .bind(mobile.clone())
        .fetch_one(&mut *conn)
        .await
        .map_err(db)?;
        let n: i64 = row.try_get("n").map_err(db)?;
        if n < i64::from(max_per_mobile) {
            return row.try_get("id").map_err(db);
        }
    }
    let assisted = format!("assisted:{}", center.0);
    let id = uuid::Uuid::new_v5(&ASSISTED_NAMESPACE, assisted.as_bytes()).to_string();
    sqlx::query(
        "INSERT INTO accounts (id, mobile, language, created_at) VALUES ($1, $2, 'en', $3) \
         ON CONFLICT (mobile) DO NOTHING",
    )
    .bind(id.clone())
    .bind(assisted)
    .bind(now_ms)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    Ok(id)
}

const ASSISTED_NAMESPACE: uuid::Uuid =
    uuid::Uuid::from_u128(0x7a1c_a551_57ed_4000_8000_0000_0000_0001);

async fn event(
    conn: &mut Conn,
    kind: &str,
    subject: &str,
    payload: serde_json::Value,
    now_ms: i64,
) -> StorageResult<()> {
    sqlx::query(
        "INSERT INTO outbox_events (id, kind, subject_id, payload, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(kind.to_owned())
    .bind(subject.to_owned())
    .bind(payload.to_string())
    .bind(now_ms)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    Ok(())
}

/// Rows in one multi-row statement at most (14 columns × 100 stays far below both backends'
/// limits on bound parameters).
const ROWS_PER_STATEMENT: usize = 100;

/// `($1, $2), ($3, $4)` for `rows` rows of `cols` columns.
fn rows_clause(rows: usize, cols: usize) -> String {
    (0..rows).map(|r| format!("({})", params(1 + r * cols, cols))).collect::<Vec<_>>().join(", ")
}

/// A dose row waiting to be inserted.
struct DoseRow {
    id: String,
    beneficiary: String,
    dose: i64,
    vaccine: String,
    date: String,
    center: i64,
    session: String,
    batch: String,
    vaccinator: String,
    given_at: i64,
    walk_in: i64,
    void_reason: Option<String>,
}

/// The plain inserts of consecutive records (arrivals, doses with the appointments they
/// complete and their events), written a few multi-row statements at a time instead of two to
/// four statements per record.  Flushed before any other effect (a registration a dose refers
/// to, an undo of a dose just recorded, …) and at the end, so every statement still runs after
/// everything that came before it in the upload.
#[derive(Default)]
struct Pending {
    arrivals: Vec<(String, String, i64)>,
    doses: Vec<DoseRow>,
    complete: Vec<String>,
    /// (id, kind, subject, payload)
    events: Vec<(String, &'static str, String, String)>,
}

impl Pending {
    async fn flush(&mut self, conn: &mut Conn, now_ms: i64) -> StorageResult<()> {
        for chunk in self.arrivals.chunks(ROWS_PER_STATEMENT) {
            let sql = format!(
                "INSERT INTO arrivals (session_id, beneficiary_id, arrived_at) VALUES {} \
                 ON CONFLICT (session_id, beneficiary_id) DO NOTHING",
                rows_clause(chunk.len(), 3)
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for (session, beneficiary, at_ms) in chunk {
                q = q.bind(session.clone()).bind(beneficiary.clone()).bind(*at_ms);
            }
            q.execute(&mut *conn).await.map_err(db)?;
        }
        for chunk in self.doses.chunks(ROWS_PER_STATEMENT) {
            let sql = format!(
                "INSERT INTO vaccinations (id, beneficiary_id, dose, vaccine, date, center_id, created_at, \
                 session_id, batch, vaccinator_id, given_at, walk_in, voided_at, void_reason) VALUES {}",
                rows_clause(chunk.len(), 14)
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for d in chunk {
                q = q
                    .bind(d.id.clone())
                    .bind(d.beneficiary.clone())
                    .bind(d.dose)
                    .bind(d.vaccine.clone())
                    .bind(d.date.clone())
                    .bind(d.center)
                    .bind(now_ms)
                    .bind(d.session.clone())
                    .bind(d.batch.clone())
                    .bind(d.vaccinator.clone())
                    .bind(d.given_at)
                    .bind(d.walk_in)
                    .bind(d.void_reason.as_ref().map(|_| now_ms))
                    .bind(d.void_reason.clone());
            }
            q.execute(&mut *conn).await.map_err(db)?;
        }
        for chunk in self.complete.chunks(ROWS_PER_STATEMENT) {
            let sql = format!(
                "UPDATE appointments SET status = 'completed', updated_at = $1 \
                 WHERE status = 'booked' AND id IN ({})",
                params(2, chunk.len())
            );
            let mut q = sqlx::query(AssertSqlSafe(sql)).bind(now_ms);
            for id in chunk {
                q = q.bind(id.clone());
            }
            q.execute(&mut *conn).await.map_err(db)?;
        }
        for chunk in self.events.chunks(ROWS_PER_STATEMENT) {
            let sql = format!(
                "INSERT INTO outbox_events (id, kind, subject_id, payload, created_at) VALUES {}",
                rows_clause(chunk.len(), 5)
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for (id, kind, subject, payload) in chunk {
                q = q
                    .bind(id.clone())
                    .bind(*kind)
                    .bind(subject.clone())
                    .bind(payload.clone())
                    .bind(now_ms);
            }
            q.execute(&mut *conn).await.map_err(db)?;
        }
        *self = Self::default();
        Ok(())
    }
}

/// Writes one record's effects; patches the result when storage had to change a value (a
/// reference id drawn again after a collision).  Arrivals and doses wait in `pending`; every
/// other effect first writes what waits there.
async fn write_effects(
    conn: &mut Conn,
    pending: &mut Pending,
    effects: &[Effect],
    uploader: String,
    now_ms: i64,
    max_per_mobile: u32,
    result: &mut RecordResult,
) -> StorageResult<()> {
    for effect in effects {
        if !matches!(effect, Effect::Arrival { .. } | Effect::Dose { .. }) {
            pending.flush(conn, now_ms).await?;
        }
        match effect {
            Effect::Arrival { session, beneficiary, at_ms } => {
                pending.arrivals.push((session.to_string(), beneficiary.to_string(), *at_ms));
            }
            Effect::Register { id, reference, person, center } => {
                let account =
                    walk_in_account(conn, person, *center, now_ms, max_per_mobile).await?;
                let mut reference = reference.clone();
                for attempt in 0..4 {
                    let n = sqlx::query(
                        "INSERT INTO beneficiaries (id, reference_id, account_id, name, birth_year, gender_id, \
                         photo_id_type, photo_id_hash, photo_id_last4, comorbidity, created_at, registered_at_center) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 0, $10, $11) ON CONFLICT DO NOTHING",
                    )
                    .bind(id.to_string())
                    .bind(reference.clone())
                    .bind(account.clone())
                    .bind(person.name.as_str().to_owned())
                    .bind(i64::from(person.birth_year.get()))
                    .bind(person.gender_id)
                    .bind(person.photo_id_type)
                    .bind(person.photo_id_hash.clone())
                    .bind(person.photo_id_last4.clone())
                    .bind(now_ms)
                    .bind(center.0)
                    .execute(&mut *conn)
                    .await
                    .map_err(db)?
                    .rows_affected();
                    if n == 1 {
                        break;
                    }
                    let taken: Option<String> =
                        sqlx::query_scalar("SELECT id FROM beneficiaries WHERE reference_id = $1")
                            .bind(reference.clone())
                            .fetch_optional(&mut *conn)
                            .await
                            .map_err(db)?;
                    if taken.is_none() || attempt == 3 {
                        // The photo id was registered by another process since the facts were
                        // read: fail the upload; its retry merges the walk-in instead.
                        return Err(StorageError::Conflict(ConflictKind::DuplicatePhotoId));
                    }
                    reference = BeneficiaryRef::from_random(uuid::Uuid::new_v4().as_u128() as u64)
                        .as_str()
                        .to_owned();
                }
                if result.beneficiary_id == Some(*id) {
                    result.reference_id = Some(reference);
                }
            }
            Effect::Alias { alias, beneficiary } => {
                sqlx::query(
                    "INSERT INTO beneficiary_aliases (alias_id, beneficiary_id) VALUES ($1, $2) \
                     ON CONFLICT (alias_id) DO NOTHING",
                )
                .bind(alias.to_string())
                .bind(beneficiary.to_string())
                .execute(&mut *conn)
                .await
                .map_err(db)?;
            }
            Effect::Dose {
                id,
                beneficiary,
                session,
                center,
                dose,
                vaccine,
                batch,
                vaccinator,
                date,
                at_ms,
                walk_in,
                complete,
                voided,
            } => {
                pending.doses.push(DoseRow {
                    id: id.to_string(),
                    beneficiary: beneficiary.to_string(),
                    dose: i64::from(dose.get()),
                    vaccine: vaccine.as_str().to_owned(),
                    date: date_str(*date),
                    center: center.0,
                    session: session.to_string(),
                    batch: batch.clone(),
                    vaccinator: vaccinator.to_string(),
                    given_at: *at_ms,
                    walk_in: i64::from(*walk_in),
                    void_reason: voided.clone(),
                });
                pending.complete.extend(complete.iter().map(ToString::to_string));
                if voided.is_none() {
                    let payload = serde_json::json!({
                        "vaccination_id": id, "beneficiary_id": beneficiary, "dose": dose.get(),
                        "vaccine": vaccine.as_str(), "batch": batch, "center_id": center.0,
                        "session_id": session, "date": date_str(*date), "given_at": at_ms,
                        "vaccinator_id": vaccinator,
                    });
                    pending.events.push((
                        uuid::Uuid::now_v7().to_string(),
                        "dose.recorded",
                        id.to_string(),
                        payload.to_string(),
                    ));
                }
            }
            Effect::Undo { target, reason, by, at_ms, void_now } => {
                sqlx::query(
                    "INSERT INTO dose_undos (vaccination_id, reason, staff_id, undone_at) VALUES ($1, $2, $3, $4) \
                     ON CONFLICT (vaccination_id) DO NOTHING",
                )
                .bind(target.to_string())
                .bind(reason.clone())
                .bind(by.to_string())
                .bind(*at_ms)
                .execute(&mut *conn)
                .await
                .map_err(db)?;
                if *void_now {
                    let n = sqlx::query(
                        "UPDATE vaccinations SET voided_at = $1, void_reason = $2, rollup_pending = 1 \
                         WHERE id = $3 AND voided_at IS NULL",
                    )
                    .bind(now_ms)
                    .bind(reason.clone())
                    .bind(target.to_string())
                    .execute(&mut *conn)
                    .await
                    .map_err(db)?
                    .rows_affected();
                    if n == 1 {
                        // The person's appointment for that dose in that session is open again,
                        // unless they hold another active booking for the dose.
                        sqlx::query(
                            "UPDATE appointments SET status = 'booked', updated_at = $1 \
                             WHERE status = 'completed' \
                               AND (beneficiary_id, dose, session_id) IN \
                                   (SELECT beneficiary_id, dose, session_id FROM vaccinations WHERE id = $2) \
                               AND NOT EXISTS (SELECT 1 FROM appointments o WHERE o.beneficiary_id = appointments.beneficiary_id \
                                               AND o.dose = appointments.dose AND o.status = 'booked')",
                        )
                        .bind(now_ms)
                        .bind(target.to_string())
                        .execute(&mut *conn)
                        .await
                        .map_err(db)?;
                        let payload =
                            serde_json::json!({ "vaccination_id": target, "reason": reason });
                        event(conn, "dose.voided", &target.to_string(), payload, now_ms).await?;
                    }
                }
            }
            Effect::Aefi { id, target, center, severity, symptoms, notes, by, at_ms } => {
                let n = sqlx::query(
                    "INSERT INTO aefi_reports (id, vaccination_id, center_id, severity, symptoms, notes, staff_id, observed_at, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (id) DO NOTHING",
                )
                .bind(id.to_string())
                .bind(target.to_string())
                .bind(center.0)
                .bind(severity.as_str())
                .bind(serde_json::to_string(symptoms).map_err(|e| StorageError::Other(e.into()))?)
                .bind(notes.clone())
                .bind(by.to_string())
                .bind(*at_ms)
                .bind(now_ms)
                .execute(&mut *conn)
                .await
                .map_err(db)?
                .rows_affected();
                if n == 1 && *severity == tika_domain::sync::AefiSeverity::Serious {
                    let payload = serde_json::json!({ "report_id": id, "vaccination_id": target, "center_id": center.0 });
                    event(conn, "aefi.serious", &id.to_string(), payload, now_ms).await?;
                }
            }
            Effect::Review { id, record, code, center } => {
                sqlx::query(
                    "INSERT INTO sync_reviews (id, record_id, center_id, session_id, code, record, staff_id, status, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, 'open', $8)",
                )
                .bind(id.to_string())
                .bind(record.client_id.to_string())
                .bind(center.0)
                .bind(record.session_id.to_string())
                .bind(code.as_str())
                .bind(serde_json::to_string(record).map_err(|e| StorageError::Other(e.into()))?)
                .bind(uploader.clone())
                .bind(now_ms)
                .execute(&mut *conn)
                .await
                .map_err(db)?;
            }
            Effect::DiscardReview { id, note } => {
                sqlx::query(
                    "UPDATE sync_reviews SET status = 'discarded', resolution_note = $1, resolved_by = 'site', \
                     resolved_at = $2 WHERE id = $3 AND status = 'open'",
                )
                .bind(note.clone())
                .bind(now_ms)
                .bind(id.to_string())
                .execute(&mut *conn)
                .await
                .map_err(db)?;
            }
        }
    }
    Ok(())
}

// The trait's arguments plus the optional audit entry, passed straight through.
#[allow(clippy::too_many_arguments)]
pub(super) async fn resolve_review(
    store: &SqlStore,
    id: ReviewId,
    action: ReviewAction,
    note: String,
    resolved_by: String,
    now_ms: i64,
    pack: Arc<CountryPack>,
    audit: Option<crate::Change>,
) -> StorageResult<ReviewItem> {
    store
        .write(Box::new(move |conn| {
            Box::pin(async move {
                let row = sqlx::query(AssertSqlSafe(format!(
                    "SELECT {REVIEW_COLS} FROM sync_reviews WHERE id = $1"
                )))
                .bind(id.to_string())
                .fetch_optional(&mut *conn)
                .await
                .map_err(db)?
                .ok_or(StorageError::NotFound)?;
                let item = review_from_row(&row)?;
                if item.status != ReviewStatus::Open {
                    return Err(StorageError::Conflict(ConflictKind::ReviewClosed));
                }
                let status = match action {
                    ReviewAction::Discard => ReviewStatus::Discarded,
                    ReviewAction::Accept => {
                        let records = [item.record.clone()];
                        let mut facts = gather(conn, item.center_id, &records).await?;
                        let ctx = SyncContext { pack: &pack, center: item.center_id, force: true };
                        let mut decided = decide(ctx, &mut facts, &records);
                        let Some((mut result, effects)) = decided.pop() else {
                            return Err(StorageError::Conflict(ConflictKind::ReviewClosed));
                        };
                        // Only doses can be accepted, and only for a person the server knows.
                        let is_dose = matches!(item.record.body, RecordBody::Dose(_));
                        if result.outcome != Outcome::Applied || !is_dose {
                            return Err(StorageError::Conflict(ConflictKind::ReviewClosed));
                        }
                        let mut pending = Pending::default();
                        write_effects(
                            conn,
                            &mut pending,
                            &effects,
                            resolved_by.clone(),
                            now_ms,
                            pack.max_beneficiaries_per_mobile,
                            &mut result,
                        )
                        .await?;
                        pending.flush(conn, now_ms).await?;
                        // The record's remembered result becomes the accepted one, so the site's
                        // next status poll (and any replay of the record) sees it applied.
                        sqlx::query("UPDATE sync_records SET result = $1 WHERE record_id = $2")
                            .bind(
                                serde_json::to_string(&result)
                                    .map_err(|e| StorageError::Other(e.into()))?,
                            )
                            .bind(item.record.client_id.to_string())
                            .execute(&mut *conn)
                            .await
                            .map_err(db)?;
                        ReviewStatus::Accepted
                    }
                };
                sqlx::query(
                    "UPDATE sync_reviews SET status = $1, resolution_note = $2, resolved_by = $3, resolved_at = $4 \
                     WHERE id = $5",
                )
                .bind(status.as_str())
                .bind(note.clone())
                .bind(resolved_by.clone())
                .bind(now_ms)
                .bind(id.to_string())
                .execute(&mut *conn)
                .await
                .map_err(db)?;
                if let Some(audit) = &audit {
                    super::console::write_change(conn, audit).await?;
                }
                Ok(ReviewItem {
                    status,
                    resolution_note: Some(note),
                    resolved_by: Some(resolved_by),
                    resolved_at_ms: Some(now_ms),
                    ..item
                })
            })
        }))
        .await
}
