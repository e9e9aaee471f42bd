//! Certificates and what keeps them true: event consumption (claim, fail, skip), issuing with
//! at most one live certificate per dose and kind, revocation and the revocation list,
//! correction requests, merging two records of one person, travel details and the audit log.
//!
//! Storage knows nothing of signatures: a certificate is its signed JSON text, stored and
//! served as given.  Every change here writes its audit row (and the events it causes) in the
//! same write operation, so a committed change is always explained and always followed up.

use std::collections::HashSet;

use chrono::NaiveDate;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe, Row};
use tika_domain::ids::{BeneficiaryId, CenterId, DistrictId, StateId, VaccinationId};
use tika_domain::vaccine::VaccineCode;

use super::site::{outbox_event_from_row, params};
use super::{SqlStore, date_str, decode_err, is_unique_violation, parse_date, parse_uuid};
use crate::{
    AuditEntry, Backend, CertificateFacts, CertificateKind, CertificateRecord, ConflictKind,
    CorrectionChange, CorrectionDecision, CorrectionField, CorrectionFilter, CorrectionRequest,
    CorrectionStatus, IssueOutcome, MergeOutcome, MergeRefusal, NewCertificate, NewCorrection,
    OutboxEvent, Revocation, StorageError, StorageResult,
};

type Conn = AnyConnection;

fn db(e: sqlx::Error) -> StorageError {
    StorageError::from_sqlx(e)
}

/// The event kind that makes an issue supersede the live certificate.
const REISSUE: &str = "certificate.reissue";

/// At most this much of a consumer's error text is kept.
const MAX_ERROR_CHARS: usize = 2000;

// ---------------------------------------------------------------------------------------------
// Shared writes: events, audit rows, revocations
// ---------------------------------------------------------------------------------------------

/// Writes a durable event in the caller's transaction (due at once).
pub(crate) async fn enqueue(
    conn: &mut Conn,
    kind: &str,
    subject: &str,
    payload: &serde_json::Value,
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

/// Writes an audit row in the caller's transaction.
pub(crate) async fn audit(
    conn: &mut Conn,
    actor: &str,
    action: &str,
    subject: &str,
    detail: &serde_json::Value,
    now_ms: i64,
) -> StorageResult<()> {
    sqlx::query(
        "INSERT INTO audit_log (id, at, actor, action, subject, detail) VALUES ($1, $2, $3, $4, $5, $6)",
    )
    .bind(uuid::Uuid::now_v7().to_string())
    .bind(now_ms)
    .bind(actor.to_owned())
    .bind(action.to_owned())
    .bind(subject.to_owned())
    .bind(detail.to_string())
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    Ok(())
}

/// Revokes a live certificate and adds it to the revocation list; `false` when it was not live
/// (revoked before, or concurrently by another process).
async fn revoke_in_tx(
    conn: &mut Conn,
    certificate_id: &str,
    reason: &str,
    replaced_by: Option<&str>,
    now_ms: i64,
) -> StorageResult<bool> {
    let n = sqlx::query(
        "UPDATE certificates SET revoked_at = $1, revoke_reason = $2, replaced_by = $3 \
         WHERE certificate_id = $4 AND revoked_at IS NULL",
    )
    .bind(now_ms)
    .bind(reason.to_owned())
    .bind(replaced_by.map(str::to_owned))
    .bind(certificate_id.to_owned())
    .execute(&mut *conn)
    .await
    .map_err(db)?
    .rows_affected();
    if n == 0 {
        return Ok(false);
    }
    sqlx::query(
        "INSERT INTO revocations (certificate_id, reason, revoked_at) VALUES ($1, $2, $3) \
         ON CONFLICT (certificate_id) DO NOTHING",
    )
    .bind(certificate_id.to_owned())
    .bind(reason.to_owned())
    .bind(now_ms)
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    Ok(true)
}

async fn mark_processed(
    conn: &mut Conn,
    event: Option<uuid::Uuid>,
    now_ms: i64,
) -> StorageResult<()> {
    if let Some(id) = event {
        sqlx::query(
            "UPDATE outbox_events SET processed_at = $1 WHERE id = $2 AND processed_at IS NULL",
        )
        .bind(now_ms)
        .bind(id.to_string())
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Events
// ---------------------------------------------------------------------------------------------

pub(super) async fn claim_events(
    store: &SqlStore,
    kinds: &[&str],
    limit: u32,
    now_ms: i64,
) -> StorageResult<Vec<OutboxEvent>> {
    if kinds.is_empty() || limit == 0 {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT id, kind, subject_id, payload, created_at, attempts FROM outbox_events \
         WHERE processed_at IS NULL AND available_at <= $1 AND kind IN ({}) \
         ORDER BY created_at, id LIMIT ${}",
        params(2, kinds.len()),
        kinds.len() + 2
    );
    let mut q = sqlx::query(AssertSqlSafe(sql)).bind(now_ms);
    for k in kinds {
        q = q.bind((*k).to_owned());
    }
    let rows = q.bind(i64::from(limit)).fetch_all(&store.read).await.map_err(db)?;
    rows.iter().map(outbox_event_from_row).collect()
}

async fn event_exists(conn: &mut Conn, id: uuid::Uuid) -> StorageResult<bool> {
    let n: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM outbox_events WHERE id = $1")
        .bind(id.to_string())
        .fetch_one(&mut *conn)
        .await
        .map_err(db)?;
    Ok(n > 0)
}

fn truncated(text: &str) -> String {
    text.chars().take(MAX_ERROR_CHARS).collect()
}

pub(super) async fn fail_event(
    store: &SqlStore,
    id: uuid::Uuid,
    error: &str,
    retry_at_ms: i64,
) -> StorageResult<()> {
    let error = truncated(error);
    store
        .write(Box::new(move |conn| {
            Box::pin(async move {
                let n = sqlx::query(
                    "UPDATE outbox_events SET attempts = attempts + 1, last_error = $1, available_at = $2 \
                     WHERE id = $3 AND processed_at IS NULL",
                )
                .bind(error)
                .bind(retry_at_ms)
                .bind(id.to_string())
                .execute(&mut *conn)
                .await
                .map_err(db)?
                .rows_affected();
                if n == 0 && !event_exists(conn, id).await? {
                    return Err(StorageError::NotFound);
                }
                Ok(())
            })
        }))
        .await
}

pub(super) async fn skip_event(
    store: &SqlStore,
    id: uuid::Uuid,
    reason: &str,
) -> StorageResult<()> {
    let reason = truncated(reason);
    store
        .write(Box::new(move |conn| {
            Box::pin(async move {
                let n = sqlx::query(
                    "UPDATE outbox_events SET processed_at = $1, last_error = $2 \
                     WHERE id = $3 AND processed_at IS NULL",
                )
                .bind(chrono::Utc::now().timestamp_millis())
                .bind(reason)
                .bind(id.to_string())
                .execute(&mut *conn)
                .await
                .map_err(db)?
                .rows_affected();
                if n == 0 && !event_exists(conn, id).await? {
                    return Err(StorageError::NotFound);
                }
                Ok(())
            })
        }))
        .await
}

// ---------------------------------------------------------------------------------------------
// Certificates
// ---------------------------------------------------------------------------------------------

const CERT_COLS: &str = "certificate_id, vaccination_id, beneficiary_id, dose, kind, credential, \
                         key_id, issued_at, revoked_at, revoke_reason, replaced_by";

fn certificate_from_row(row: &AnyRow) -> StorageResult<CertificateRecord> {
    let get_s = |c: &str| row.try_get::<String, _>(c).map_err(|_| decode_err(c));
    let get_i = |c: &str| row.try_get::<i64, _>(c).map_err(|_| decode_err(c));
    let opt_s = |c: &str| row.try_get::<Option<String>, _>(c).map_err(|_| decode_err(c));
    Ok(CertificateRecord {
        certificate_id: get_s("certificate_id")?,
        vaccination_id: parse_uuid(&get_s("vaccination_id")?)?,
        beneficiary_id: parse_uuid(&get_s("beneficiary_id")?)?,
        dose: u8::try_from(get_i("dose")?).map_err(|_| decode_err("dose"))?,
        kind: CertificateKind::parse(&get_s("kind")?).ok_or_else(|| decode_err("kind"))?,
        credential: get_s("credential")?,
        key_id: get_s("key_id")?,
        issued_at_ms: get_i("issued_at")?,
        revoked_at_ms: row
            .try_get::<Option<i64>, _>("revoked_at")
            .map_err(|_| decode_err("revoked_at"))?,
        revoke_reason: opt_s("revoke_reason")?,
        replaced_by: opt_s("replaced_by")?,
    })
}

async fn certificate_in_tx(
    conn: &mut Conn,
    certificate_id: &str,
) -> StorageResult<CertificateRecord> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {CERT_COLS} FROM certificates WHERE certificate_id = $1"
    )))
    .bind(certificate_id.to_owned())
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?
    .ok_or(StorageError::NotFound)?;
    certificate_from_row(&row)
}

async fn live_certificate(
    conn: &mut Conn,
    vaccination: &str,
    kind: CertificateKind,
) -> StorageResult<Option<CertificateRecord>> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {CERT_COLS} FROM certificates \
         WHERE vaccination_id = $1 AND kind = $2 AND revoked_at IS NULL"
    )))
    .bind(vaccination.to_owned())
    .bind(kind.as_str())
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)?;
    row.as_ref().map(certificate_from_row).transpose()
}

pub(super) async fn certificate_facts(
    store: &SqlStore,
    vaccination: VaccinationId,
) -> StorageResult<CertificateFacts> {
    let row = sqlx::query(
        "SELECT v.id, v.beneficiary_id, v.dose, v.vaccine, v.date, v.given_at, v.batch, \
                v.session_id, v.center_id, v.voided_at, st.name AS vaccinator_name, \
                b.reference_id, b.name AS person_name, b.birth_year, b.gender_id, b.photo_id_type, \
                b.photo_id_last4, b.dob, b.passport, b.merged_into, \
                c.name AS center_name, c.address AS center_address, c.block_name, \
                c.district_id, c.state_id, c.pincode \
         FROM vaccinations v \
         JOIN beneficiaries b ON b.id = v.beneficiary_id \
         LEFT JOIN staff st ON st.id = v.vaccinator_id \
         LEFT JOIN centers c ON c.id = v.center_id \
         WHERE v.id = $1",
    )
    .bind(vaccination.to_string())
    .fetch_optional(&store.read)
    .await
    .map_err(db)?
    .ok_or(StorageError::NotFound)?;
    let get_s = |c: &str| row.try_get::<String, _>(c).map_err(|_| decode_err(c));
    let get_i = |c: &str| row.try_get::<i64, _>(c).map_err(|_| decode_err(c));
    let opt_s = |c: &str| row.try_get::<Option<String>, _>(c).map_err(|_| decode_err(c));
    let opt_i = |c: &str| row.try_get::<Option<i64>, _>(c).map_err(|_| decode_err(c));
    Ok(CertificateFacts {
        vaccination_id: parse_uuid(&get_s("id")?)?,
        dose: u8::try_from(get_i("dose")?).map_err(|_| decode_err("dose"))?,
        vaccine: VaccineCode::parse(&get_s("vaccine")?).map_err(|_| decode_err("vaccine"))?,
        date: parse_date(&get_s("date")?)?,
        given_at_ms: opt_i("given_at")?,
        batch: opt_s("batch")?,
        session_id: opt_s("session_id")?.map(|s| parse_uuid(&s)).transpose()?,
        vaccinator_name: opt_s("vaccinator_name")?,
        voided_at_ms: opt_i("voided_at")?,
        beneficiary_id: parse_uuid(&get_s("beneficiary_id")?)?,
        reference_id: get_s("reference_id")?,
        name: get_s("person_name")?,
        birth_year: i32::try_from(get_i("birth_year")?).map_err(|_| decode_err("birth_year"))?,
        gender_id: get_i("gender_id")?,
        photo_id_type: get_i("photo_id_type")?,
        photo_id_last4: get_s("photo_id_last4")?,
        beneficiary_dob: opt_s("dob")?,
        beneficiary_passport: opt_s("passport")?,
        merged_into: opt_s("merged_into")?.map(|s| parse_uuid(&s)).transpose()?,
        center_id: opt_i("center_id")?.map(CenterId),
        center_name: opt_s("center_name")?,
        center_address: opt_s("center_address")?,
        block_name: opt_s("block_name")?,
        district_id: opt_i("district_id")?.map(DistrictId),
        district_name: None,
        state_id: opt_i("state_id")?.map(StateId),
        state_name: None,
        pincode: opt_i("pincode")?
            .map(u32::try_from)
            .transpose()
            .map_err(|_| decode_err("pincode"))?,
    })
}

pub(super) async fn issue_certificate(
    store: &SqlStore,
    event: Option<uuid::Uuid>,
    cert: &NewCertificate,
    actor: &str,
) -> StorageResult<IssueOutcome> {
    let cert = cert.clone();
    let actor = actor.to_owned();
    let backend = store.backend;
    store
        .write(Box::new(move |conn| {
            Box::pin(async move { issue_in_tx(conn, backend, event, &cert, &actor).await })
        }))
        .await
}

async fn issue_in_tx(
    conn: &mut Conn,
    backend: Backend,
    event: Option<uuid::Uuid>,
    cert: &NewCertificate,
    actor: &str,
) -> StorageResult<IssueOutcome> {
    let now_ms = cert.issued_at_ms;
    let vaccination = cert.vaccination_id.to_string();

    // The event: locked on PostgreSQL, so two processes handling the same event serialise here
    // and the second sees it processed.
    let (mut supersede, mut event_done) = (false, false);
    if let Some(id) = event {
        let sql = match backend {
            Backend::Sqlite => "SELECT kind, processed_at FROM outbox_events WHERE id = $1",
            Backend::Postgres => {
                "SELECT kind, processed_at FROM outbox_events WHERE id = $1 FOR UPDATE"
            }
        };
        let row = sqlx::query(sql)
            .bind(id.to_string())
            .fetch_optional(&mut *conn)
            .await
            .map_err(db)?
            .ok_or(StorageError::NotFound)?;
        supersede = row.try_get::<String, _>("kind").map_err(db)? == REISSUE;
        event_done = row.try_get::<Option<i64>, _>("processed_at").map_err(db)?.is_some();
    }

    // The dose as it is now: the certificate must describe it.
    let row = sqlx::query("SELECT beneficiary_id, dose, voided_at FROM vaccinations WHERE id = $1")
        .bind(vaccination.clone())
        .fetch_optional(&mut *conn)
        .await
        .map_err(db)?
        .ok_or(StorageError::NotFound)?;
    if row.try_get::<Option<i64>, _>("voided_at").map_err(db)?.is_some() {
        return Err(StorageError::Conflict(ConflictKind::DoseVoided));
    }
    let holder: String = row.try_get("beneficiary_id").map_err(db)?;
    let dose: i64 = row.try_get("dose").map_err(db)?;
    if holder != cert.beneficiary_id.to_string() || dose != i64::from(cert.dose) {
        return Err(StorageError::Conflict(ConflictKind::CertificateFactsChanged));
    }

    let mut replaces = None;
    if let Some(live) = live_certificate(conn, &vaccination, cert.kind).await? {
        if !supersede || event_done {
            mark_processed(conn, event, now_ms).await?;
            return Ok(IssueOutcome::AlreadyIssued(live));
        }
        if revoke_in_tx(
            conn,
            &live.certificate_id,
            "superseded",
            Some(&cert.certificate_id),
            now_ms,
        )
        .await?
        {
            replaces = Some(live.certificate_id);
        } else if let Some(current) = live_certificate(conn, &vaccination, cert.kind).await? {
            // Superseded concurrently by another process.
            mark_processed(conn, event, now_ms).await?;
            return Ok(IssueOutcome::AlreadyIssued(current));
        }
    }

    // The insert gets its own savepoint: when another process stored a live certificate for the
    // dose since we looked, the unique index refuses, and that is `AlreadyIssued`, not a failure
    // (PostgreSQL would otherwise abort the whole operation).
    sqlx::query("SAVEPOINT certificate_insert").execute(&mut *conn).await.map_err(db)?;
    let inserted = sqlx::query(AssertSqlSafe(format!(
        "INSERT INTO certificates ({CERT_COLS}) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, NULL, NULL)"
    )))
    .bind(cert.certificate_id.clone())
    .bind(vaccination.clone())
    .bind(cert.beneficiary_id.to_string())
    .bind(i64::from(cert.dose))
    .bind(cert.kind.as_str())
    .bind(cert.credential.clone())
    .bind(cert.key_id.clone())
    .bind(now_ms)
    .execute(&mut *conn)
    .await;
    if let Err(e) = inserted {
        sqlx::query("ROLLBACK TO SAVEPOINT certificate_insert")
            .execute(&mut *conn)
            .await
            .map_err(db)?;
        sqlx::query("RELEASE SAVEPOINT certificate_insert")
            .execute(&mut *conn)
            .await
            .map_err(db)?;
        if is_unique_violation(&e, "one_live") || is_unique_violation(&e, "vaccination_id") {
            let current =
                live_certificate(conn, &vaccination, cert.kind).await?.ok_or_else(|| {
                    StorageError::Other(anyhow::anyhow!(
                        "live certificate vanished after a conflict"
                    ))
                })?;
            mark_processed(conn, event, now_ms).await?;
            return Ok(IssueOutcome::AlreadyIssued(current));
        }
        if e.as_database_error().is_some_and(|d| d.is_unique_violation()) {
            return Err(StorageError::Conflict(ConflictKind::CertificateIdTaken));
        }
        return Err(db(e));
    }
    sqlx::query("RELEASE SAVEPOINT certificate_insert").execute(&mut *conn).await.map_err(db)?;

    // Earlier certificates of the dose revoked without a successor (a merge, a correction)
    // now have one.
    sqlx::query(
        "UPDATE certificates SET replaced_by = $1 \
         WHERE vaccination_id = $2 AND kind = $3 AND revoked_at IS NOT NULL AND replaced_by IS NULL",
    )
    .bind(cert.certificate_id.clone())
    .bind(vaccination.clone())
    .bind(cert.kind.as_str())
    .execute(&mut *conn)
    .await
    .map_err(db)?;

    let beneficiary = cert.beneficiary_id.to_string();
    audit(
        conn,
        actor,
        "certificate.issue",
        &beneficiary,
        &serde_json::json!({
            "certificate_id": cert.certificate_id, "vaccination_id": vaccination,
            "dose": cert.dose, "kind": cert.kind.as_str(), "key_id": cert.key_id,
            "replaces": replaces, "event_id": event,
        }),
        now_ms,
    )
    .await?;
    enqueue(
        conn,
        "certificate.issued",
        &cert.certificate_id,
        &serde_json::json!({
            "certificate_id": cert.certificate_id, "beneficiary_id": beneficiary,
            "vaccination_id": vaccination, "dose": cert.dose, "kind": cert.kind.as_str(),
        }),
        now_ms,
    )
    .await?;
    mark_processed(conn, event, now_ms).await?;
    Ok(IssueOutcome::Issued(CertificateRecord {
        certificate_id: cert.certificate_id.clone(),
        vaccination_id: cert.vaccination_id,
        beneficiary_id: cert.beneficiary_id,
        dose: cert.dose,
        kind: cert.kind,
        credential: cert.credential.clone(),
        key_id: cert.key_id.clone(),
        issued_at_ms: now_ms,
        revoked_at_ms: None,
        revoke_reason: None,
        replaced_by: None,
    }))
}

pub(super) async fn revoke_certificate(
    store: &SqlStore,
    certificate_id: &str,
    reason: &str,
    actor: &str,
    now_ms: i64,
) -> StorageResult<CertificateRecord> {
    let (id, reason, actor) = (certificate_id.to_owned(), reason.to_owned(), actor.to_owned());
    store
        .write(Box::new(move |conn| {
            Box::pin(async move {
                let cert = certificate_in_tx(conn, &id).await?;
                if !cert.is_live() || !revoke_in_tx(conn, &id, &reason, None, now_ms).await? {
                    return Ok(cert);
                }
                audit_revocation(conn, &cert, &reason, &actor, now_ms).await?;
                certificate_in_tx(conn, &id).await
            })
        }))
        .await
}

async fn audit_revocation(
    conn: &mut Conn,
    cert: &CertificateRecord,
    reason: &str,
    actor: &str,
    now_ms: i64,
) -> StorageResult<()> {
    audit(
        conn,
        actor,
        "certificate.revoke",
        &cert.beneficiary_id.to_string(),
        &serde_json::json!({
            "certificate_id": cert.certificate_id, "vaccination_id": cert.vaccination_id,
            "dose": cert.dose, "kind": cert.kind.as_str(), "reason": reason,
        }),
        now_ms,
    )
    .await
}

pub(super) async fn revoke_for_vaccination(
    store: &SqlStore,
    vaccination: VaccinationId,
    reason: &str,
    actor: &str,
    now_ms: i64,
) -> StorageResult<Vec<String>> {
    let (reason, actor) = (reason.to_owned(), actor.to_owned());
    store
        .write(Box::new(move |conn| {
            Box::pin(async move {
                let rows = sqlx::query(AssertSqlSafe(format!(
                    "SELECT {CERT_COLS} FROM certificates \
                     WHERE vaccination_id = $1 AND revoked_at IS NULL ORDER BY certificate_id"
                )))
                .bind(vaccination.to_string())
                .fetch_all(&mut *conn)
                .await
                .map_err(db)?;
                let live: Vec<CertificateRecord> =
                    rows.iter().map(certificate_from_row).collect::<StorageResult<_>>()?;
                let mut revoked = Vec::with_capacity(live.len());
                for cert in live {
                    if revoke_in_tx(conn, &cert.certificate_id, &reason, None, now_ms).await? {
                        audit_revocation(conn, &cert, &reason, &actor, now_ms).await?;
                        revoked.push(cert.certificate_id);
                    }
                }
                Ok(revoked)
            })
        }))
        .await
}

pub(super) async fn recent_certificates(
    store: &SqlStore,
    limit: u32,
) -> StorageResult<Vec<CertificateRecord>> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {CERT_COLS} FROM certificates ORDER BY issued_at DESC, certificate_id DESC LIMIT $1"
    )))
    .bind(i64::from(limit.min(10_000)))
    .fetch_all(&store.read)
    .await
    .map_err(db)?;
    rows.iter().map(certificate_from_row).collect()
}

pub(super) async fn list_certificates(
    store: &SqlStore,
    beneficiary: BeneficiaryId,
) -> StorageResult<Vec<CertificateRecord>> {
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT {CERT_COLS} FROM certificates WHERE beneficiary_id = $1 \
         ORDER BY issued_at DESC, certificate_id DESC"
    )))
    .bind(beneficiary.to_string())
    .fetch_all(&store.read)
    .await
    .map_err(db)?;
    rows.iter().map(certificate_from_row).collect()
}

pub(super) async fn live_certificates_for_beneficiaries(
    store: &SqlStore,
    beneficiaries: &[BeneficiaryId],
) -> StorageResult<Vec<CertificateRecord>> {
    if beneficiaries.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!(
        "SELECT {CERT_COLS} FROM certificates WHERE beneficiary_id IN ({}) AND revoked_at IS NULL \
         ORDER BY beneficiary_id, dose, kind",
        params(1, beneficiaries.len())
    );
    let mut q = sqlx::query(AssertSqlSafe(sql));
    for b in beneficiaries {
        q = q.bind(b.to_string());
    }
    let rows = q.fetch_all(&store.read).await.map_err(db)?;
    rows.iter().map(certificate_from_row).collect()
}

pub(super) async fn find_certificate(
    store: &SqlStore,
    certificate_id: &str,
) -> StorageResult<CertificateRecord> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {CERT_COLS} FROM certificates WHERE certificate_id = $1"
    )))
    .bind(certificate_id.to_owned())
    .fetch_optional(&store.read)
    .await
    .map_err(db)?
    .ok_or(StorageError::NotFound)?;
    certificate_from_row(&row)
}

pub(super) async fn list_revocations(
    store: &SqlStore,
    after_seq: i64,
) -> StorageResult<Vec<Revocation>> {
    let rows = sqlx::query(
        "SELECT seq, certificate_id, reason, revoked_at FROM revocations WHERE seq > $1 ORDER BY seq",
    )
    .bind(after_seq)
    .fetch_all(&store.read)
    .await
    .map_err(db)?;
    rows.iter()
        .map(|row| {
            Ok(Revocation {
                seq: row.try_get("seq").map_err(|_| decode_err("seq"))?,
                certificate_id: row
                    .try_get("certificate_id")
                    .map_err(|_| decode_err("certificate_id"))?,
                reason: row.try_get("reason").map_err(|_| decode_err("reason"))?,
                revoked_at_ms: row.try_get("revoked_at").map_err(|_| decode_err("revoked_at"))?,
            })
        })
        .collect()
}

pub(super) async fn revocation_version(store: &SqlStore) -> StorageResult<i64> {
    sqlx::query_scalar("SELECT COALESCE(MAX(seq), 0) FROM revocations")
        .fetch_one(&store.read)
        .await
        .map_err(db)
}

// ---------------------------------------------------------------------------------------------
// Reissues (after corrections and merges)
// ---------------------------------------------------------------------------------------------

/// Enqueues a `certificate.reissue` for every non-voided dose of a person (domestic), and for
/// every dose with a live international certificate (or in `also_international`).  Every dose,
/// not only those with a certificate already: a dose whose first certificate is still being
/// built from the old facts gets a second, correct one.
async fn enqueue_reissues(
    conn: &mut Conn,
    beneficiary: &str,
    also_international: &HashSet<String>,
    now_ms: i64,
) -> StorageResult<u32> {
    let doses: Vec<String> = sqlx::query_scalar(
        "SELECT id FROM vaccinations WHERE beneficiary_id = $1 AND voided_at IS NULL ORDER BY dose",
    )
    .bind(beneficiary.to_owned())
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    let mut international: HashSet<String> = sqlx::query_scalar(
        "SELECT c.vaccination_id FROM certificates c JOIN vaccinations v ON v.id = c.vaccination_id \
         WHERE v.beneficiary_id = $1 AND v.voided_at IS NULL AND c.kind = 'international' \
           AND c.revoked_at IS NULL",
    )
    .bind(beneficiary.to_owned())
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?
    .into_iter()
    .collect();
    international.extend(also_international.iter().cloned());
    let mut n = 0;
    for vaccination in &doses {
        let mut kinds = vec![CertificateKind::Domestic];
        if international.contains(vaccination) {
            kinds.push(CertificateKind::International);
        }
        for kind in kinds {
            let payload =
                serde_json::json!({ "vaccination_id": vaccination, "kind": kind.as_str() });
            enqueue(conn, REISSUE, vaccination, &payload, now_ms).await?;
            n += 1;
        }
    }
    Ok(n)
}

// ---------------------------------------------------------------------------------------------
// Corrections
// ---------------------------------------------------------------------------------------------

pub(super) const CORRECTION_COLS: &str = "id, beneficiary_id, field, old_value, new_value, reason, status, \
                               requested_by, requested_at, decided_by, decided_at, decision_note";

pub(super) fn correction_from_row(row: &AnyRow) -> StorageResult<CorrectionRequest> {
    let get_s = |c: &str| row.try_get::<String, _>(c).map_err(|_| decode_err(c));
    let opt_s = |c: &str| row.try_get::<Option<String>, _>(c).map_err(|_| decode_err(c));
    Ok(CorrectionRequest {
        id: parse_uuid(&get_s("id")?)?,
        beneficiary_id: parse_uuid(&get_s("beneficiary_id")?)?,
        field: CorrectionField::parse(&get_s("field")?).ok_or_else(|| decode_err("field"))?,
        old_value: get_s("old_value")?,
        new_value: get_s("new_value")?,
        reason: get_s("reason")?,
        status: CorrectionStatus::parse(&get_s("status")?).ok_or_else(|| decode_err("status"))?,
        requested_by: get_s("requested_by")?,
        requested_at_ms: row.try_get("requested_at").map_err(|_| decode_err("requested_at"))?,
        decided_by: opt_s("decided_by")?,
        decided_at_ms: row
            .try_get::<Option<i64>, _>("decided_at")
            .map_err(|_| decode_err("decided_at"))?,
        decision_note: opt_s("decision_note")?,
    })
}

/// A live (not deleted, not merged) person's correctable fields.
async fn person_for_correction(conn: &mut Conn, id: &str) -> StorageResult<Option<AnyRow>> {
    sqlx::query(
        "SELECT name, birth_year, gender_id, photo_id_type, photo_id_last4 FROM beneficiaries \
         WHERE id = $1 AND deleted_at IS NULL AND merged_into IS NULL",
    )
    .bind(id.to_owned())
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)
}

pub(super) async fn request_correction(
    store: &SqlStore,
    new: &NewCorrection,
) -> StorageResult<CorrectionRequest> {
    let new = new.clone();
    store
        .write(Box::new(move |conn| {
            Box::pin(async move {
                let person = new.beneficiary_id.to_string();
                let row = person_for_correction(conn, &person).await?.ok_or(StorageError::NotFound)?;
                let field = new.change.field();
                let old_value = match field {
                    CorrectionField::Name => row.try_get::<String, _>("name").map_err(db)?,
                    CorrectionField::BirthYear => {
                        row.try_get::<i64, _>("birth_year").map_err(db)?.to_string()
                    }
                    CorrectionField::Gender => {
                        row.try_get::<i64, _>("gender_id").map_err(db)?.to_string()
                    }
                    CorrectionField::PhotoId => {
                        row.try_get::<String, _>("photo_id_last4").map_err(db)?
                    }
                };
                let (new_value, new_secret) = match &new.change {
                    CorrectionChange::Name(name) => (name.clone(), None),
                    CorrectionChange::BirthYear(y) => (y.to_string(), None),
                    CorrectionChange::Gender(g) => (g.to_string(), None),
                    CorrectionChange::PhotoId { hash, last4 } => {
                        let id_type: i64 = row.try_get("photo_id_type").map_err(db)?;
                        let taken: i64 = sqlx::query_scalar(
                            "SELECT COUNT(*) FROM beneficiaries WHERE photo_id_type = $1 \
                             AND photo_id_hash = $2 AND deleted_at IS NULL AND id <> $3",
                        )
                        .bind(id_type)
                        .bind(hash.clone())
                        .bind(person.clone())
                        .fetch_one(&mut *conn)
                        .await
                        .map_err(db)?;
                        if taken > 0 {
                            return Err(StorageError::Conflict(ConflictKind::DuplicatePhotoId));
                        }
                        (last4.clone(), Some(hash.clone()))
                    }
                };
                let res = sqlx::query(
                    "INSERT INTO correction_requests (id, beneficiary_id, field, old_value, new_value, \
                     new_secret, reason, status, requested_by, requested_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $9)",
                )
                .bind(new.id.to_string())
                .bind(person.clone())
                .bind(field.as_str())
                .bind(old_value.clone())
                .bind(new_value.clone())
                .bind(new_secret)
                .bind(new.reason.clone())
                .bind(new.requested_by.clone())
                .bind(new.requested_at_ms)
                .execute(&mut *conn)
                .await;
                match res {
                    Ok(_) => {}
                    Err(e) if is_unique_violation(&e, "field") => {
                        return Err(StorageError::Conflict(ConflictKind::CorrectionExists));
                    }
                    Err(e) => return Err(db(e)),
                }
                audit(
                    conn,
                    &new.requested_by,
                    "correction.request",
                    &person,
                    &serde_json::json!({ "request_id": new.id, "field": field.as_str() }),
                    new.requested_at_ms,
                )
                .await?;
                Ok(CorrectionRequest {
                    id: new.id,
                    beneficiary_id: new.beneficiary_id,
                    field,
                    old_value,
                    new_value,
                    reason: new.reason,
                    status: CorrectionStatus::Pending,
                    requested_by: new.requested_by,
                    requested_at_ms: new.requested_at_ms,
                    decided_by: None,
                    decided_at_ms: None,
                    decision_note: None,
                })
            })
        }))
        .await
}

pub(super) async fn list_corrections(
    store: &SqlStore,
    filter: &CorrectionFilter,
) -> StorageResult<Vec<CorrectionRequest>> {
    let mut clauses = Vec::new();
    if filter.status.is_some() {
        clauses.push(format!("status = ${}", clauses.len() + 1));
    }
    if filter.beneficiary.is_some() {
        clauses.push(format!("beneficiary_id = ${}", clauses.len() + 1));
    }
    let filter_sql =
        if clauses.is_empty() { String::new() } else { format!("WHERE {}", clauses.join(" AND ")) };
    let sql = format!(
        "SELECT {CORRECTION_COLS} FROM correction_requests {filter_sql} \
         ORDER BY requested_at, id LIMIT 1000"
    );
    let mut q = sqlx::query(AssertSqlSafe(sql));
    if let Some(s) = filter.status {
        q = q.bind(s.as_str());
    }
    if let Some(b) = filter.beneficiary {
        q = q.bind(b.to_string());
    }
    let rows = q.fetch_all(&store.read).await.map_err(db)?;
    rows.iter().map(correction_from_row).collect()
}

pub(super) async fn find_correction(
    store: &SqlStore,
    id: uuid::Uuid,
) -> StorageResult<CorrectionRequest> {
    let row = sqlx::query(AssertSqlSafe(format!(
        "SELECT {CORRECTION_COLS} FROM correction_requests WHERE id = $1"
    )))
    .bind(id.to_string())
    .fetch_optional(&store.read)
    .await
    .map_err(db)?
    .ok_or(StorageError::NotFound)?;
    correction_from_row(&row)
}

pub(super) async fn decide_correction(
    store: &SqlStore,
    id: uuid::Uuid,
    decision: CorrectionDecision,
    actor: &str,
    note: &str,
    now_ms: i64,
) -> StorageResult<CorrectionRequest> {
    let (actor, note) = (actor.to_owned(), note.to_owned());
    store
        .write(Box::new(move |conn| {
            Box::pin(async move {
                let row = sqlx::query(AssertSqlSafe(format!(
                    "SELECT {CORRECTION_COLS}, new_secret FROM correction_requests WHERE id = $1"
                )))
                .bind(id.to_string())
                .fetch_optional(&mut *conn)
                .await
                .map_err(db)?
                .ok_or(StorageError::NotFound)?;
                let request = correction_from_row(&row)?;
                let new_secret: Option<String> = row.try_get("new_secret").map_err(db)?;
                if request.status != CorrectionStatus::Pending {
                    return Err(StorageError::Conflict(ConflictKind::CorrectionClosed));
                }
                let person = request.beneficiary_id.to_string();
                let (status, action, reissues) = match decision {
                    CorrectionDecision::Reject => {
                        (CorrectionStatus::Rejected, "correction.reject", 0)
                    }
                    CorrectionDecision::Approve => {
                        if person_for_correction(conn, &person).await?.is_none() {
                            return Err(StorageError::Conflict(ConflictKind::CorrectionClosed));
                        }
                        apply_correction(conn, &request, new_secret).await?;
                        let n = enqueue_reissues(conn, &person, &HashSet::new(), now_ms).await?;
                        enqueue(
                            conn,
                            "correction.approved",
                            &id.to_string(),
                            &serde_json::json!({
                                "correction_id": id, "beneficiary_id": request.beneficiary_id,
                            }),
                            now_ms,
                        )
                        .await?;
                        (CorrectionStatus::Approved, "correction.approve", n)
                    }
                };
                sqlx::query(
                    "UPDATE correction_requests SET status = $1, decided_by = $2, decided_at = $3, \
                     decision_note = $4 WHERE id = $5 AND status = 'pending'",
                )
                .bind(status.as_str())
                .bind(actor.clone())
                .bind(now_ms)
                .bind(note.clone())
                .bind(id.to_string())
                .execute(&mut *conn)
                .await
                .map_err(db)?;
                audit(
                    conn,
                    &actor,
                    action,
                    &person,
                    &serde_json::json!({
                        "request_id": id, "field": request.field.as_str(),
                        "reissue_events": reissues,
                    }),
                    now_ms,
                )
                .await?;
                Ok(CorrectionRequest {
                    status,
                    decided_by: Some(actor),
                    decided_at_ms: Some(now_ms),
                    decision_note: Some(note),
                    ..request
                })
            })
        }))
        .await
}

/// Writes an approved change to the person (`Conflict(DuplicatePhotoId)` if the new photo id
/// became someone else's since the request).
async fn apply_correction(
    conn: &mut Conn,
    request: &CorrectionRequest,
    new_secret: Option<String>,
) -> StorageResult<()> {
    let person = request.beneficiary_id.to_string();
    let parse_int = |what: &str| request.new_value.parse::<i64>().map_err(|_| decode_err(what));
    let q = match request.field {
        CorrectionField::Name => sqlx::query("UPDATE beneficiaries SET name = $1 WHERE id = $2")
            .bind(request.new_value.clone())
            .bind(person),
        CorrectionField::BirthYear => {
            sqlx::query("UPDATE beneficiaries SET birth_year = $1 WHERE id = $2")
                .bind(parse_int("birth_year")?)
                .bind(person)
        }
        CorrectionField::Gender => {
            sqlx::query("UPDATE beneficiaries SET gender_id = $1 WHERE id = $2")
                .bind(parse_int("gender_id")?)
                .bind(person)
        }
        CorrectionField::PhotoId => sqlx::query(
            "UPDATE beneficiaries SET photo_id_hash = $1, photo_id_last4 = $2 WHERE id = $3",
        )
        .bind(new_secret.ok_or_else(|| decode_err("new_secret"))?)
        .bind(request.new_value.clone())
        .bind(person),
    };
    match q.execute(&mut *conn).await {
        Ok(_) => Ok(()),
        Err(e) if is_unique_violation(&e, "photo_id") => {
            Err(StorageError::Conflict(ConflictKind::DuplicatePhotoId))
        }
        Err(e) => Err(db(e)),
    }
}

// ---------------------------------------------------------------------------------------------
// Merges
// ---------------------------------------------------------------------------------------------

/// A dose of either record, as the merge orders it.
struct MergeDose {
    id: String,
    from_drop: bool,
    dose: i64,
    date: String,
    given_at: Option<i64>,
    created_at: i64,
}

pub(super) async fn merge_beneficiaries(
    store: &SqlStore,
    keep: BeneficiaryId,
    drop: BeneficiaryId,
    actor: &str,
    now_ms: i64,
) -> StorageResult<MergeOutcome> {
    if keep == drop {
        return Err(StorageError::Conflict(ConflictKind::MergeRefused(MergeRefusal::SameRecord)));
    }
    let actor = actor.to_owned();
    let backend = store.backend;
    store
        .write(Box::new(move |conn| {
            Box::pin(async move { merge_in_tx(conn, backend, keep, drop, &actor, now_ms).await })
        }))
        .await
}

async fn merge_in_tx(
    conn: &mut Conn,
    backend: Backend,
    keep: BeneficiaryId,
    drop: BeneficiaryId,
    actor: &str,
    now_ms: i64,
) -> StorageResult<MergeOutcome> {
    let (keep_s, drop_s) = (keep.to_string(), drop.to_string());
    let lock = match backend {
        Backend::Sqlite => "",
        Backend::Postgres => " FOR UPDATE",
    };
    let rows = sqlx::query(AssertSqlSafe(format!(
        "SELECT id, birth_year, merged_into FROM beneficiaries \
         WHERE id IN ($1, $2) AND deleted_at IS NULL ORDER BY id{lock}"
    )))
    .bind(keep_s.clone())
    .bind(drop_s.clone())
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    if rows.len() != 2 {
        return Err(StorageError::NotFound);
    }
    let mut years = Vec::with_capacity(2);
    for row in &rows {
        if row.try_get::<Option<String>, _>("merged_into").map_err(db)?.is_some() {
            return Err(StorageError::Conflict(ConflictKind::MergeRefused(
                MergeRefusal::AlreadyMerged,
            )));
        }
        years.push(row.try_get::<i64, _>("birth_year").map_err(db)?);
    }
    if (years[0] - years[1]).abs() > 1 {
        return Err(StorageError::Conflict(ConflictKind::MergeRefused(
            MergeRefusal::BirthYearsDiffer,
        )));
    }

    // The doses of both, in the order they were given.
    let mut doses = Vec::new();
    for row in sqlx::query(
        "SELECT id, beneficiary_id, dose, date, given_at, created_at FROM vaccinations \
         WHERE beneficiary_id IN ($1, $2) AND voided_at IS NULL",
    )
    .bind(keep_s.clone())
    .bind(drop_s.clone())
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?
    {
        doses.push(MergeDose {
            id: row.try_get("id").map_err(db)?,
            from_drop: row.try_get::<String, _>("beneficiary_id").map_err(db)? == drop_s,
            dose: row.try_get("dose").map_err(db)?,
            date: row.try_get("date").map_err(db)?,
            given_at: row.try_get("given_at").map_err(db)?,
            created_at: row.try_get("created_at").map_err(db)?,
        });
    }
    doses.sort_by(|a, b| {
        (&a.date, a.given_at.unwrap_or(i64::MAX), a.created_at, a.dose, &a.id).cmp(&(
            &b.date,
            b.given_at.unwrap_or(i64::MAX),
            b.created_at,
            b.dose,
            &b.id,
        ))
    });

    // Renumber through numbers no dose uses, so the unique (person, dose) index never sees two
    // live doses with one number, then to 1..n.
    const PARKED: i64 = 1_000_000;
    for (i, d) in doses.iter().enumerate() {
        // `rollup_pending`: the reports re-count the dose under its new person and number.
        sqlx::query(
            "UPDATE vaccinations SET beneficiary_id = $1, dose = $2, rollup_pending = 1 WHERE id = $3",
        )
            .bind(keep_s.clone())
            .bind(PARKED + i64::try_from(i).unwrap_or(0))
            .bind(d.id.clone())
            .execute(&mut *conn)
            .await
            .map_err(db)?;
    }
    // The dropped person no longer has doses: their second-dose-pending count is recomputed.
    sqlx::query(
        "INSERT INTO rpt_recheck (beneficiary_id) VALUES ($1) ON CONFLICT (beneficiary_id) DO NOTHING",
    )
    .bind(drop_s.clone())
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    let (mut moved, mut renumbered) = (0u32, 0u32);
    for (i, d) in doses.iter().enumerate() {
        let number = i64::try_from(i).unwrap_or(0) + 1;
        sqlx::query("UPDATE vaccinations SET dose = $1 WHERE id = $2")
            .bind(number)
            .bind(d.id.clone())
            .execute(&mut *conn)
            .await
            .map_err(db)?;
        moved += u32::from(d.from_drop);
        renumbered += u32::from(d.from_drop || d.dose != number);
    }
    let held = i64::try_from(doses.len()).unwrap_or(i64::MAX);

    // Hidden from now on; site records naming the dropped id land on the kept one.
    sqlx::query("UPDATE beneficiaries SET merged_into = $1 WHERE id = $2")
        .bind(keep_s.clone())
        .bind(drop_s.clone())
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    sqlx::query("UPDATE beneficiary_aliases SET beneficiary_id = $1 WHERE beneficiary_id = $2")
        .bind(keep_s.clone())
        .bind(drop_s.clone())
        .execute(&mut *conn)
        .await
        .map_err(db)?;
    sqlx::query(
        "INSERT INTO beneficiary_aliases (alias_id, beneficiary_id) VALUES ($1, $2) \
         ON CONFLICT (alias_id) DO NOTHING",
    )
    .bind(drop_s.clone())
    .bind(keep_s.clone())
    .execute(&mut *conn)
    .await
    .map_err(db)?;

    // Bookings that no longer make sense: the dropped record's, and the kept record's for a
    // dose number it now holds.  Their seats go back to the sessions.
    let cancelled = cancel_stale_bookings(conn, &keep_s, &drop_s, held, now_ms).await?;

    // Every live certificate of both is revoked; each of the kept record's doses is reissued.
    let live: Vec<CertificateRecord> = sqlx::query(AssertSqlSafe(format!(
        "SELECT {CERT_COLS} FROM certificates \
         WHERE beneficiary_id IN ($1, $2) AND revoked_at IS NULL ORDER BY certificate_id"
    )))
    .bind(keep_s.clone())
    .bind(drop_s.clone())
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?
    .iter()
    .map(certificate_from_row)
    .collect::<StorageResult<_>>()?;
    let mut revoked = Vec::with_capacity(live.len());
    let mut international = HashSet::new();
    for cert in live {
        if revoke_in_tx(conn, &cert.certificate_id, "merged", None, now_ms).await? {
            audit_revocation(conn, &cert, "merged", actor, now_ms).await?;
            if cert.kind == CertificateKind::International {
                international.insert(cert.vaccination_id.to_string());
            }
            revoked.push(cert.certificate_id);
        }
    }
    let reissue_events = enqueue_reissues(conn, &keep_s, &international, now_ms).await?;

    let detail = serde_json::json!({
        "keep": keep_s, "drop": drop_s, "moved_doses": moved, "renumbered": renumbered,
        "revoked": revoked, "reissue_events": reissue_events, "cancelled_appointments": cancelled,
    });
    audit(conn, actor, "beneficiary.merge", &keep_s, &detail, now_ms).await?;
    audit(conn, actor, "beneficiary.merge", &drop_s, &detail, now_ms).await?;
    Ok(MergeOutcome {
        moved_doses: moved,
        renumbered,
        revoked,
        reissue_events,
        cancelled_appointments: cancelled,
    })
}

async fn cancel_stale_bookings(
    conn: &mut Conn,
    keep: &str,
    drop: &str,
    held: i64,
    now_ms: i64,
) -> StorageResult<u32> {
    let rows = sqlx::query(
        "SELECT id, session_id, dose FROM appointments WHERE status = 'booked' \
         AND (beneficiary_id = $1 OR (beneficiary_id = $2 AND dose <= $3)) ORDER BY id",
    )
    .bind(drop.to_owned())
    .bind(keep.to_owned())
    .bind(held)
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    let mut n = 0;
    for row in rows {
        let id: String = row.try_get("id").map_err(db)?;
        let session: String = row.try_get("session_id").map_err(db)?;
        let dose: i64 = row.try_get("dose").map_err(db)?;
        sqlx::query("UPDATE appointments SET status = 'cancelled', updated_at = $1 WHERE id = $2")
            .bind(now_ms)
            .bind(id)
            .execute(&mut *conn)
            .await
            .map_err(db)?;
        let seats = if dose == 1 {
            "UPDATE sessions SET booked_dose1 = CASE WHEN booked_dose1 >= 1 THEN booked_dose1 - 1 ELSE 0 END, \
             updated_at = $1 WHERE id = $2"
        } else {
            "UPDATE sessions SET booked_dose2 = CASE WHEN booked_dose2 >= 1 THEN booked_dose2 - 1 ELSE 0 END, \
             updated_at = $1 WHERE id = $2"
        };
        sqlx::query(seats).bind(now_ms).bind(session).execute(&mut *conn).await.map_err(db)?;
        n += 1;
    }
    Ok(n)
}

// ---------------------------------------------------------------------------------------------
// Travel details and the audit log
// ---------------------------------------------------------------------------------------------

pub(super) async fn set_travel_details(
    store: &SqlStore,
    beneficiary: BeneficiaryId,
    dob: Option<NaiveDate>,
    passport: Option<&str>,
    actor: &str,
    now_ms: i64,
) -> StorageResult<()> {
    let (passport, actor) = (passport.map(str::to_owned), actor.to_owned());
    store
        .write(Box::new(move |conn| {
            Box::pin(async move {
                let n = sqlx::query(
                    "UPDATE beneficiaries SET dob = $1, passport = $2 \
                     WHERE id = $3 AND deleted_at IS NULL AND merged_into IS NULL",
                )
                .bind(dob.map(date_str))
                .bind(passport.clone())
                .bind(beneficiary.to_string())
                .execute(&mut *conn)
                .await
                .map_err(db)?
                .rows_affected();
                if n == 0 {
                    return Err(StorageError::NotFound);
                }
                audit(
                    conn,
                    &actor,
                    "beneficiary.travel_details",
                    &beneficiary.to_string(),
                    &serde_json::json!({ "dob_set": dob.is_some(), "passport_set": passport.is_some() }),
                    now_ms,
                )
                .await
            })
        }))
        .await
}

pub(super) async fn list_audit(
    store: &SqlStore,
    subject: &str,
    limit: u32,
) -> StorageResult<Vec<AuditEntry>> {
    let rows = sqlx::query(
        "SELECT id, at, actor, action, subject, detail FROM audit_log WHERE subject = $1 \
         ORDER BY at DESC, id DESC LIMIT $2",
    )
    .bind(subject.to_owned())
    .bind(i64::from(limit))
    .fetch_all(&store.read)
    .await
    .map_err(db)?;
    rows.iter()
        .map(|row| {
            let get_s = |c: &str| row.try_get::<String, _>(c).map_err(|_| decode_err(c));
            Ok(AuditEntry {
                id: parse_uuid(&get_s("id")?)?,
                at_ms: row.try_get("at").map_err(|_| decode_err("at"))?,
                actor: get_s("actor")?,
                action: get_s("action")?,
                subject: get_s("subject")?,
                detail: get_s("detail")?,
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::truncated;

    #[test]
    fn error_text_is_truncated_on_a_char_boundary() {
        let long = "ए".repeat(5000);
        let t = truncated(&long);
        assert_eq!(t.chars().count(), super::MAX_ERROR_CHARS);
    }
}
