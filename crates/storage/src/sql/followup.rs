//! The sqlx implementation of [`FollowUpStore`](crate::FollowUpStore): the area-filtered issue
//! queue, rejecting a correction with its message event, and the lucky draw.

use async_trait::async_trait;
use chrono::NaiveDate;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe, Row};
use tika_domain::admin::Area;
use tika_domain::draw;
use tika_domain::ids::{BeneficiaryId, CenterId, DistrictId, DrawId, ReviewId, StateId};

use super::certificates::{CORRECTION_COLS, correction_from_row, enqueue};
use super::console::{Arg, Sql, area_filter, write_change};
use super::{SqlStore, date_str, decode_err, parse_date, parse_uuid};
use crate::{
    Backend, Change, ConflictKind, CorrectionRequest, CorrectionStatus, Draw, DrawFilter,
    DrawStatus, FollowUpStore, IssueFilter, IssueKind, IssueRow, NewDraw, ReviewAction, ReviewItem,
    SeedOutcome, StorageError, StorageResult,
};

type Conn = AnyConnection;

fn db(e: sqlx::Error) -> StorageError {
    StorageError::from_sqlx(e)
}

// ---------------------------------------------------------------------------------------------
// The issue queue
// ---------------------------------------------------------------------------------------------

/// The facility a correction of person `{who}` belongs to (an SQL expression).
fn correction_center_expr(who: &str) -> String {
    format!(
        "COALESCE(\
         (SELECT v.center_id FROM vaccinations v WHERE v.beneficiary_id = {who} \
          AND v.voided_at IS NULL AND v.center_id IS NOT NULL \
          ORDER BY v.date DESC, v.dose DESC LIMIT 1), \
         (SELECT s.center_id FROM appointments a JOIN sessions s ON s.id = a.session_id \
          WHERE a.beneficiary_id = {who} ORDER BY a.created_at DESC LIMIT 1))"
    )
}

fn issue_from_row(row: &AnyRow) -> StorageResult<IssueRow> {
    let get_s = |c: &str| row.try_get::<String, _>(c).map_err(|_| decode_err(c));
    let opt_s = |c: &str| row.try_get::<Option<String>, _>(c).map_err(|_| decode_err(c));
    Ok(IssueRow {
        kind: IssueKind::parse(&get_s("kind")?).ok_or_else(|| decode_err("kind"))?,
        id: parse_uuid(&get_s("id")?)?,
        created_at_ms: row.try_get("created_at").map_err(|_| decode_err("created_at"))?,
        status: get_s("status")?,
        what: get_s("what")?,
        center_id: row
            .try_get::<Option<i64>, _>("center_id")
            .map_err(|_| decode_err("center_id"))?
            .map(CenterId),
        center_name: opt_s("center_name")?,
        reference_id: opt_s("reference_id")?,
    })
}

async fn list_issues(store: &SqlStore, filter: &IssueFilter) -> StorageResult<Vec<IssueRow>> {
    let mut parts = Vec::new();
    if filter.kind != Some(IssueKind::Review) {
        parts.push(format!(
            "SELECT 'correction' AS kind, r.id AS id, r.requested_at AS created_at, \
             r.status AS status, r.field AS what, b.reference_id AS reference_id, \
             {} AS center_id FROM correction_requests r \
             JOIN beneficiaries b ON b.id = r.beneficiary_id",
            correction_center_expr("r.beneficiary_id")
        ));
    }
    if filter.kind != Some(IssueKind::Correction) {
        parts.push(
            "SELECT 'review' AS kind, q.id AS id, q.created_at AS created_at, \
             q.status AS status, q.code AS what, CAST(NULL AS TEXT) AS reference_id, \
             q.center_id AS center_id FROM sync_reviews q"
                .to_owned(),
        );
    }
    let mut sql = Sql::new(format!(
        "SELECT i.kind, i.id, i.created_at, i.status, i.what, i.reference_id, i.center_id, \
         c.name AS center_name FROM ({}) i LEFT JOIN centers c ON c.id = i.center_id WHERE 1 = 1",
        parts.join(" UNION ALL ")
    ));
    area_filter(&mut sql, store.backend, &filter.area, "c.", "i.center_id");
    match filter.open {
        Some(true) => sql.push(" AND i.status IN ('pending', 'open')"),
        Some(false) => sql.push(" AND i.status NOT IN ('pending', 'open')"),
        None => {}
    }
    sql.push(" ORDER BY i.created_at, i.id");
    sql.push_arg(" LIMIT ", Arg::I(i64::from(filter.limit)), "");
    sql.push_arg(" OFFSET ", Arg::I(i64::from(filter.offset)), "");
    let rows = sql.fetch_all(&store.read).await?;
    rows.iter().map(issue_from_row).collect()
}

async fn correction_center(
    store: &SqlStore,
    person: BeneficiaryId,
) -> StorageResult<Option<CenterId>> {
    let row =
        sqlx::query(AssertSqlSafe(format!("SELECT {} AS center_id", correction_center_expr("$1"))))
            .bind(person.to_string())
            .fetch_one(&store.read)
            .await
            .map_err(db)?;
    Ok(row
        .try_get::<Option<i64>, _>("center_id")
        .map_err(|_| decode_err("center_id"))?
        .map(CenterId))
}

async fn reject_correction(
    store: &SqlStore,
    id: uuid::Uuid,
    note: &str,
    audit: &Change,
) -> StorageResult<CorrectionRequest> {
    let (note, change) = (note.to_owned(), audit.clone());
    store
        .write(Box::new(move |conn| {
            Box::pin(async move {
                let row = sqlx::query(AssertSqlSafe(format!(
                    "SELECT {CORRECTION_COLS} FROM correction_requests WHERE id = $1"
                )))
                .bind(id.to_string())
                .fetch_optional(&mut *conn)
                .await
                .map_err(db)?
                .ok_or(StorageError::NotFound)?;
                let request = correction_from_row(&row)?;
                let done = sqlx::query(
                    "UPDATE correction_requests SET status = 'rejected', decided_by = $1, \
                     decided_at = $2, decision_note = $3 WHERE id = $4 AND status = 'pending'",
                )
                .bind(change.actor.clone())
                .bind(change.at_ms)
                .bind(note.clone())
                .bind(id.to_string())
                .execute(&mut *conn)
                .await
                .map_err(db)?
                .rows_affected();
                if done == 0 {
                    return Err(StorageError::Conflict(ConflictKind::CorrectionClosed));
                }
                enqueue(
                    conn,
                    "correction.rejected",
                    &id.to_string(),
                    &serde_json::json!({
                        "correction_id": id, "beneficiary_id": request.beneficiary_id,
                    }),
                    change.at_ms,
                )
                .await?;
                write_change(conn, &change).await?;
                Ok(CorrectionRequest {
                    status: CorrectionStatus::Rejected,
                    decided_by: Some(change.actor.clone()),
                    decided_at_ms: Some(change.at_ms),
                    decision_note: Some(note),
                    ..request
                })
            })
        }))
        .await
}

// ---------------------------------------------------------------------------------------------
// The lucky draw
// ---------------------------------------------------------------------------------------------

const DRAW_COLS: &str = "id, state_id, district_id, period_from, period_to, winners_count, \
                         entries_count, entries_sha256, seed, seed_source, winners, status, \
                         created_by, created_at, drawn_by, drawn_at";

fn draw_from_row(row: &AnyRow) -> StorageResult<Draw> {
    let get_s = |c: &str| row.try_get::<String, _>(c).map_err(|_| decode_err(c));
    let get_i = |c: &str| row.try_get::<i64, _>(c).map_err(|_| decode_err(c));
    let opt_s = |c: &str| row.try_get::<Option<String>, _>(c).map_err(|_| decode_err(c));
    let count = |c: &str| u32::try_from(get_i(c)?).map_err(|_| decode_err(c));
    Ok(Draw {
        id: parse_uuid(&get_s("id")?)?,
        state_id: StateId(get_i("state_id")?),
        district_id: DistrictId(get_i("district_id")?),
        from: parse_date(&get_s("period_from")?)?,
        to: parse_date(&get_s("period_to")?)?,
        winners_count: count("winners_count")?,
        entries_count: count("entries_count")?,
        entries_sha256: get_s("entries_sha256")?,
        seed: opt_s("seed")?,
        seed_source: opt_s("seed_source")?,
        winners: opt_s("winners")?
            .map(|w| w.lines().map(str::to_owned).collect())
            .unwrap_or_default(),
        status: DrawStatus::parse(&get_s("status")?).ok_or_else(|| decode_err("status"))?,
        created_by: get_s("created_by")?,
        created_at_ms: get_i("created_at")?,
        drawn_by: opt_s("drawn_by")?,
        drawn_at_ms: row
            .try_get::<Option<i64>, _>("drawn_at")
            .map_err(|_| decode_err("drawn_at"))?,
    })
}

/// The reference ids of people with a non-voided dose at a facility of `district` dated in
/// `[from, to]` (people merged away or deleted have no doses left to count).
async fn entry_ids(
    conn: &mut Conn,
    district: DistrictId,
    from: NaiveDate,
    to: NaiveDate,
) -> StorageResult<Vec<String>> {
    let rows = sqlx::query(
        "SELECT DISTINCT b.reference_id FROM vaccinations v \
         JOIN centers c ON c.id = v.center_id \
         JOIN beneficiaries b ON b.id = v.beneficiary_id \
         WHERE c.district_id = $1 AND v.voided_at IS NULL AND v.date >= $2 AND v.date <= $3 \
         AND b.deleted_at IS NULL AND b.merged_into IS NULL",
    )
    .bind(district.0)
    .bind(date_str(from))
    .bind(date_str(to))
    .fetch_all(&mut *conn)
    .await
    .map_err(db)?;
    rows.iter()
        .map(|r| r.try_get::<String, _>("reference_id").map_err(|_| decode_err("reference_id")))
        .collect()
}

async fn read_draw(conn: &mut Conn, backend: Backend, id: DrawId) -> StorageResult<Option<AnyRow>> {
    let lock = if backend == Backend::Postgres { " FOR UPDATE" } else { "" };
    sqlx::query(AssertSqlSafe(format!(
        "SELECT {DRAW_COLS}, entry_list FROM draws WHERE id = $1{lock}"
    )))
    .bind(id.to_string())
    .fetch_optional(&mut *conn)
    .await
    .map_err(db)
}

async fn create_draw(store: &SqlStore, new: &NewDraw, audit: &Change) -> StorageResult<Draw> {
    let (new, change) = (new.clone(), audit.clone());
    let backend = store.backend;
    store
        .write(Box::new(move |conn| {
            Box::pin(async move {
                let ids = entry_ids(conn, new.district, new.from, new.to).await?;
                let text = draw::entries_text(&ids);
                let hash = draw::sha256_hex(text.as_bytes());
                let count = text.lines().count();
                sqlx::query(
                    "INSERT INTO draws (id, state_id, district_id, period_from, period_to, \
                     winners_count, entries_count, entry_list, entries_sha256, status, \
                     created_by, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'committed', $10, $11)",
                )
                .bind(new.id.to_string())
                .bind(new.state.0)
                .bind(new.district.0)
                .bind(date_str(new.from))
                .bind(date_str(new.to))
                .bind(i64::from(new.winners))
                .bind(i64::try_from(count).unwrap_or(i64::MAX))
                .bind(text)
                .bind(hash.clone())
                .bind(new.actor.clone())
                .bind(new.now_ms)
                .execute(&mut *conn)
                .await
                .map_err(db)?;
                let mut change = change;
                change.subject = format!("draw:{}", new.id);
                change.after = Some(
                    serde_json::json!({
                        "district_id": new.district.0, "from": date_str(new.from),
                        "to": date_str(new.to), "winners": new.winners,
                        "entries": count, "entries_sha256": hash,
                    })
                    .to_string(),
                );
                write_change(conn, &change).await?;
                let row = read_draw(conn, backend, new.id).await?.ok_or(StorageError::NotFound)?;
                draw_from_row(&row)
            })
        }))
        .await
}

async fn find_draw(store: &SqlStore, id: DrawId) -> StorageResult<Draw> {
    let row = sqlx::query(AssertSqlSafe(format!("SELECT {DRAW_COLS} FROM draws WHERE id = $1")))
        .bind(id.to_string())
        .fetch_optional(&store.read)
        .await
        .map_err(db)?
        .ok_or(StorageError::NotFound)?;
    draw_from_row(&row)
}

async fn draw_entries(store: &SqlStore, id: DrawId) -> StorageResult<String> {
    let row = sqlx::query("SELECT entry_list FROM draws WHERE id = $1")
        .bind(id.to_string())
        .fetch_optional(&store.read)
        .await
        .map_err(db)?
        .ok_or(StorageError::NotFound)?;
    row.try_get::<String, _>("entry_list").map_err(|_| decode_err("entry_list"))
}

async fn list_draws(store: &SqlStore, filter: &DrawFilter) -> StorageResult<Vec<Draw>> {
    let mut sql = Sql::new(format!("SELECT {DRAW_COLS} FROM draws WHERE 1 = 1"));
    // Draws have no block or facility: those levels see their district's draws.
    let area = match &filter.area {
        Area::Block { state, district, .. } | Area::Facility { state, district, .. } => {
            Area::District { state: *state, district: *district }
        }
        other => other.clone(),
    };
    area_filter(&mut sql, store.backend, &area, "", "0");
    sql.push(" ORDER BY created_at DESC, id DESC");
    sql.push_arg(" LIMIT ", Arg::I(i64::from(filter.limit)), "");
    sql.push_arg(" OFFSET ", Arg::I(i64::from(filter.offset)), "");
    let rows = sql.fetch_all(&store.read).await?;
    rows.iter().map(draw_from_row).collect()
}

async fn seed_draw(
    store: &SqlStore,
    id: DrawId,
    seed: &str,
    source: &str,
    audit: &Change,
) -> StorageResult<SeedOutcome> {
    let (seed, source, change) = (seed.to_owned(), source.to_owned(), audit.clone());
    let backend = store.backend;
    store
        .write(Box::new(move |conn| {
            Box::pin(async move {
                let row = read_draw(conn, backend, id).await?.ok_or(StorageError::NotFound)?;
                let before = draw_from_row(&row)?;
                if before.status == DrawStatus::Drawn {
                    return Ok(SeedOutcome::AlreadyDrawn(before));
                }
                let text: String =
                    row.try_get("entry_list").map_err(|_| decode_err("entry_list"))?;
                let entries: Vec<&str> = text.lines().collect();
                let k = usize::try_from(before.winners_count).unwrap_or(usize::MAX);
                let won = draw::winners(&entries, &before.entries_sha256, &seed, k);
                let winners_text: String = won.iter().map(|w| format!("{w}\n")).collect();
                sqlx::query(
                    "UPDATE draws SET seed = $1, seed_source = $2, winners = $3, \
                     status = 'drawn', drawn_by = $4, drawn_at = $5 \
                     WHERE id = $6 AND status = 'committed'",
                )
                .bind(seed.clone())
                .bind(source.clone())
                .bind(winners_text)
                .bind(change.actor.clone())
                .bind(change.at_ms)
                .bind(id.to_string())
                .execute(&mut *conn)
                .await
                .map_err(db)?;
                let mut change = change;
                change.subject = format!("draw:{id}");
                change.after = Some(
                    serde_json::json!({
                        "entries_sha256": before.entries_sha256, "seed": seed,
                        "seed_source": source, "winners": won,
                    })
                    .to_string(),
                );
                write_change(conn, &change).await?;
                Ok(SeedOutcome::Drawn(Draw {
                    seed: Some(seed),
                    seed_source: Some(source),
                    winners: won,
                    status: DrawStatus::Drawn,
                    drawn_by: Some(change.actor.clone()),
                    drawn_at_ms: Some(change.at_ms),
                    ..before
                }))
            })
        }))
        .await
}

#[async_trait]
impl FollowUpStore for SqlStore {
    async fn list_issues(&self, filter: &IssueFilter) -> StorageResult<Vec<IssueRow>> {
        list_issues(self, filter).await
    }

    async fn correction_center(&self, person: BeneficiaryId) -> StorageResult<Option<CenterId>> {
        correction_center(self, person).await
    }

    async fn reject_correction(
        &self,
        id: uuid::Uuid,
        note: &str,
        audit: &Change,
    ) -> StorageResult<CorrectionRequest> {
        reject_correction(self, id, note, audit).await
    }

    async fn resolve_review_audited(
        &self,
        id: ReviewId,
        action: ReviewAction,
        note: &str,
        resolved_by: &str,
        now_ms: i64,
        pack: std::sync::Arc<tika_domain::country::CountryPack>,
        audit: &Change,
    ) -> StorageResult<ReviewItem> {
        super::sync::resolve_review(
            self,
            id,
            action,
            note.to_owned(),
            resolved_by.to_owned(),
            now_ms,
            pack,
            Some(audit.clone()),
        )
        .await
    }

    async fn create_draw(&self, new: &NewDraw, audit: &Change) -> StorageResult<Draw> {
        create_draw(self, new, audit).await
    }

    async fn find_draw(&self, id: DrawId) -> StorageResult<Draw> {
        find_draw(self, id).await
    }

    async fn draw_entries(&self, id: DrawId) -> StorageResult<String> {
        draw_entries(self, id).await
    }

    async fn list_draws(&self, filter: &DrawFilter) -> StorageResult<Vec<Draw>> {
        list_draws(self, filter).await
    }

    async fn seed_draw(
        &self,
        id: DrawId,
        seed: &str,
        source: &str,
        audit: &Change,
    ) -> StorageResult<SeedOutcome> {
        seed_draw(self, id, seed, source, audit).await
    }
}
