//! The sqlx implementation of [`PolicyStore`](crate::PolicyStore): console policy versions,
//! surveys with their audit entries, and finding the people a survey is for.

use std::collections::HashMap;

use async_trait::async_trait;
use sqlx::any::AnyRow;
use sqlx::{AssertSqlSafe, Row};
use tika_domain::admin::Place;
use tika_domain::ids::{BeneficiaryId, CenterId, DistrictId, StateId};
use tika_domain::policy::Occupation;

use super::console::write_change;
use super::{SqlStore, date_str, decode_err, is_unique_violation, parse_date, parse_uuid};
use crate::{
    AddVersionOutcome, Change, NewSurvey, PolicyStore, PolicyVersionRecord, StorageError,
    StorageResult, SurveyFilter, SurveyRecord, SurveySource, SurveyTarget,
};

fn db(e: sqlx::Error) -> StorageError {
    StorageError::from_sqlx(e)
}

/// How many values one `IN (…)` list binds.
const CHUNK: usize = 500;

/// `$1, $2, …, $n`.
fn params(n: usize) -> String {
    (1..=n).map(|i| format!("${i}")).collect::<Vec<_>>().join(", ")
}

/// Runs `<prefix> (<values>) <suffix>` for each chunk of `values`, on the read pool.
async fn select_in(
    store: &SqlStore,
    prefix: &str,
    values: &[String],
    suffix: &str,
) -> StorageResult<Vec<AnyRow>> {
    let mut out = Vec::new();
    for chunk in values.chunks(CHUNK) {
        let sql = format!("{prefix} ({}) {suffix}", params(chunk.len()));
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for v in chunk {
            q = q.bind(v.clone());
        }
        out.extend(q.fetch_all(&store.read).await.map_err(db)?);
    }
    Ok(out)
}

const VERSION_COLS: &str = "version, effective_from, body, based_on, created_by, created_at, note";

fn version_from_row(row: &AnyRow) -> StorageResult<PolicyVersionRecord> {
    let effective_from: String = row.try_get("effective_from").map_err(db)?;
    Ok(PolicyVersionRecord {
        version: row.try_get("version").map_err(db)?,
        effective_from: parse_date(&effective_from)?,
        body: row.try_get("body").map_err(db)?,
        based_on: row.try_get("based_on").map_err(db)?,
        created_by: row.try_get("created_by").map_err(db)?,
        created_at_ms: row.try_get("created_at").map_err(db)?,
        note: row.try_get("note").map_err(db)?,
    })
}

const SURVEY_COLS: &str = "s.id, s.beneficiary_id, s.comorbidities, s.notes, s.surveyor, \
                           s.created_by, s.source, s.state_id, s.district_id, s.created_at, \
                           b.reference_id";

fn survey_from_row(row: &AnyRow) -> StorageResult<SurveyRecord> {
    let id: String = row.try_get("id").map_err(db)?;
    let beneficiary: String = row.try_get("beneficiary_id").map_err(db)?;
    let codes: String = row.try_get("comorbidities").map_err(db)?;
    let source: String = row.try_get("source").map_err(db)?;
    let state: Option<i64> = row.try_get("state_id").map_err(db)?;
    let district: Option<i64> = row.try_get("district_id").map_err(db)?;
    Ok(SurveyRecord {
        survey: NewSurvey {
            id: parse_uuid(&id)?,
            beneficiary_id: parse_uuid(&beneficiary)?,
            comorbidities: codes.split(',').filter(|c| !c.is_empty()).map(str::to_owned).collect(),
            notes: row.try_get("notes").map_err(db)?,
            surveyor: row.try_get("surveyor").map_err(db)?,
            created_by: row.try_get("created_by").map_err(db)?,
            source: match source.as_str() {
                "form" => SurveySource::Form,
                "csv" => SurveySource::Csv,
                _ => return Err(decode_err("survey source")),
            },
            state: state.map(StateId),
            district: district.map(DistrictId),
            created_at_ms: row.try_get("created_at").map_err(db)?,
        },
        reference_id: row.try_get("reference_id").map_err(db)?,
    })
}

#[async_trait]
impl PolicyStore for SqlStore {
    async fn add_policy_version(
        &self,
        version: &PolicyVersionRecord,
        audit: &Change,
    ) -> StorageResult<AddVersionOutcome> {
        let (v, change) = (version.clone(), audit.clone());
        self.write(Box::new(move |conn| {
            Box::pin(async move {
                let taken = sqlx::query(
                    "SELECT version, effective_from FROM policy_versions \
                     WHERE version = $1 OR effective_from = $2",
                )
                .bind(v.version.clone())
                .bind(date_str(v.effective_from))
                .fetch_all(&mut *conn)
                .await
                .map_err(db)?;
                if let Some(row) = taken.first() {
                    let label: String = row.try_get("version").map_err(db)?;
                    return Ok(if label == v.version {
                        AddVersionOutcome::VersionTaken
                    } else {
                        AddVersionOutcome::DateTaken
                    });
                }
                let res = sqlx::query(AssertSqlSafe(format!(
                    "INSERT INTO policy_versions ({VERSION_COLS}) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7)"
                )))
                .bind(v.version.clone())
                .bind(date_str(v.effective_from))
                .bind(v.body.clone())
                .bind(v.based_on.clone())
                .bind(v.created_by.clone())
                .bind(v.created_at_ms)
                .bind(v.note.clone())
                .execute(&mut *conn)
                .await;
                match res {
                    Ok(_) => {}
                    // A concurrent writer on PostgreSQL took it between the check and here.
                    Err(e) if is_unique_violation(&e, "effective_from") => {
                        return Ok(AddVersionOutcome::DateTaken);
                    }
                    Err(e)
                        if is_unique_violation(&e, "pkey")
                            || is_unique_violation(&e, "version") =>
                    {
                        return Ok(AddVersionOutcome::VersionTaken);
                    }
                    Err(e) => return Err(db(e)),
                }
                write_change(conn, &change).await?;
                Ok(AddVersionOutcome::Added)
            })
        }))
        .await
    }

    async fn list_policy_versions(&self) -> StorageResult<Vec<PolicyVersionRecord>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "SELECT {VERSION_COLS} FROM policy_versions ORDER BY effective_from"
        )))
        .fetch_all(&self.read)
        .await
        .map_err(db)?;
        rows.iter().map(version_from_row).collect()
    }

    async fn record_surveys(&self, surveys: &[(NewSurvey, Change)]) -> StorageResult<()> {
        if surveys.is_empty() {
            return Ok(());
        }
        let surveys = surveys.to_vec();
        self.write(Box::new(move |conn| {
            Box::pin(async move {
                for (s, change) in &surveys {
                    sqlx::query(
                        "INSERT INTO surveys (id, beneficiary_id, comorbidities, notes, surveyor, \
                         created_by, source, state_id, district_id, created_at) \
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)",
                    )
                    .bind(s.id.to_string())
                    .bind(s.beneficiary_id.to_string())
                    .bind(s.comorbidities.join(","))
                    .bind(s.notes.clone())
                    .bind(s.surveyor.clone())
                    .bind(s.created_by.clone())
                    .bind(s.source.as_str())
                    .bind(s.state.map(|x| x.0))
                    .bind(s.district.map(|x| x.0))
                    .bind(s.created_at_ms)
                    .execute(&mut *conn)
                    .await
                    .map_err(db)?;
                    let n = sqlx::query("UPDATE beneficiaries SET comorbidity = $1 WHERE id = $2")
                        .bind(i64::from(!s.comorbidities.is_empty()))
                        .bind(s.beneficiary_id.to_string())
                        .execute(&mut *conn)
                        .await
                        .map_err(db)?
                        .rows_affected();
                    if n == 0 {
                        return Err(StorageError::NotFound);
                    }
                    write_change(conn, change).await?;
                }
                Ok(())
            })
        }))
        .await
    }

    async fn list_surveys(&self, filter: &SurveyFilter) -> StorageResult<Vec<SurveyRecord>> {
        let mut sql = format!(
            "SELECT {SURVEY_COLS} FROM surveys s JOIN beneficiaries b ON b.id = s.beneficiary_id \
             WHERE 1 = 1"
        );
        let mut ints: Vec<i64> = Vec::new();
        let mut n = 0;
        let mut next = |sql: &mut String, clause: &str| {
            n += 1;
            sql.push_str(&format!(" AND {clause} ${n}"));
        };
        if let Some(s) = filter.state {
            next(&mut sql, "s.state_id =");
            ints.push(s.0);
        }
        if let Some(d) = filter.district {
            next(&mut sql, "s.district_id =");
            ints.push(d.0);
        }
        let by = filter.created_by.clone();
        if by.is_some() {
            next(&mut sql, "s.created_by =");
        }
        sql.push_str(&format!(
            " ORDER BY s.created_at DESC, s.id DESC LIMIT {}",
            filter.limit.max(1)
        ));
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for i in ints {
            q = q.bind(i);
        }
        if let Some(by) = by {
            q = q.bind(by);
        }
        let rows = q.fetch_all(&self.read).await.map_err(db)?;
        rows.iter().map(survey_from_row).collect()
    }

    async fn survey_targets(&self, reference_ids: &[String]) -> StorageResult<Vec<SurveyTarget>> {
        let rows = select_in(
            self,
            "SELECT id, reference_id, birth_year, comorbidity FROM beneficiaries \
             WHERE deleted_at IS NULL AND reference_id IN",
            reference_ids,
            "",
        )
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        let mut index = HashMap::with_capacity(rows.len());
        for row in &rows {
            let id: String = row.try_get("id").map_err(db)?;
            let birth_year: i64 = row.try_get("birth_year").map_err(db)?;
            let comorbidity: i64 = row.try_get("comorbidity").map_err(db)?;
            index.insert(id.clone(), out.len());
            out.push(SurveyTarget {
                beneficiary_id: parse_uuid(&id)?,
                reference_id: row.try_get("reference_id").map_err(db)?,
                birth_year: i32::try_from(birth_year).map_err(|_| decode_err("birth year"))?,
                comorbidity: comorbidity != 0,
                places: Vec::new(),
            });
        }
        let ids: Vec<String> = index.keys().cloned().collect();
        let listed = select_in(
            self,
            "SELECT beneficiary_id, state_id, district_id, posting_center FROM listed_people \
             WHERE beneficiary_id IN",
            &ids,
            "",
        )
        .await?;
        let mut add = |id: String, place: Place| {
            if let Some(t) = index.get(&id).map(|i| &mut out[*i])
                && !t.places.contains(&place)
            {
                t.places.push(place);
            }
        };
        for row in &listed {
            let center: Option<i64> = row.try_get("posting_center").map_err(db)?;
            add(
                row.try_get("beneficiary_id").map_err(db)?,
                Place {
                    state: StateId(row.try_get("state_id").map_err(db)?),
                    district: DistrictId(row.try_get("district_id").map_err(db)?),
                    block: String::new(),
                    center: center.map(CenterId),
                },
            );
        }
        for prefix in [
            "SELECT DISTINCT a.beneficiary_id, c.id AS center_id, c.state_id, c.district_id, \
             c.block_name FROM appointments a JOIN sessions s ON s.id = a.session_id \
             JOIN centers c ON c.id = s.center_id WHERE a.beneficiary_id IN",
            "SELECT DISTINCT v.beneficiary_id, c.id AS center_id, c.state_id, c.district_id, \
             c.block_name FROM vaccinations v JOIN centers c ON c.id = v.center_id \
             WHERE v.beneficiary_id IN",
        ] {
            for row in &select_in(self, prefix, &ids, "").await? {
                add(
                    row.try_get("beneficiary_id").map_err(db)?,
                    Place {
                        state: StateId(row.try_get("state_id").map_err(db)?),
                        district: DistrictId(row.try_get("district_id").map_err(db)?),
                        block: row.try_get("block_name").map_err(db)?,
                        center: Some(CenterId(row.try_get("center_id").map_err(db)?)),
                    },
                );
            }
        }
        Ok(out)
    }

    async fn occupations_of(
        &self,
        ids: &[BeneficiaryId],
    ) -> StorageResult<Vec<(BeneficiaryId, Occupation)>> {
        let ids: Vec<String> = ids.iter().map(ToString::to_string).collect();
        let rows = select_in(
            self,
            "SELECT beneficiary_id, occupation FROM listed_people WHERE beneficiary_id IN",
            &ids,
            "",
        )
        .await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in &rows {
            let id: String = row.try_get("beneficiary_id").map_err(db)?;
            let text: String = row.try_get("occupation").map_err(db)?;
            let occupation = Occupation::parse(&text).ok_or_else(|| decode_err("occupation"))?;
            out.push((parse_uuid(&id)?, occupation));
        }
        Ok(out)
    }
}
