//! The sqlx implementation of [`AssignStore`](crate::AssignStore).

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use chrono::NaiveDate;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe, Row};
use tika_domain::assign::{Basis, Reason};
use tika_domain::ids::{AssignmentRunId, BeneficiaryId, CenterId, DistrictId, SessionId, StateId};
use tika_domain::session::Slot;
use tika_domain::vaccine::VaccineCode;

use super::console::write_change;
use super::{SqlStore, date_str, decode_err, parse_date, parse_uuid, values_clause};
use crate::{
    AssignCandidate, AssignSession, AssignStore, AssignmentRun, AssignmentView, AssignmentWrite,
    Backend, Change, ChunkOutcome, NewAssignmentRun, Occupation, RunStatus, StorageError,
    StorageResult,
};

/// Rows per multi-row `INSERT` (well under both backends' parameter limits).
const INSERT_ROWS: usize = 500;

fn db(e: sqlx::Error) -> StorageError {
    StorageError::from_sqlx(e)
}

/// `$n` placeholders continuing from `start` (1-based) as one comma list.
fn params(backend: Backend, start: usize, n: usize) -> String {
    (0..n)
        .map(|i| match backend {
            Backend::Sqlite => "?".to_owned(),
            Backend::Postgres => format!("${}", start + i),
        })
        .collect::<Vec<_>>()
        .join(",")
}

/// ` AND <col_state> = …` / ` AND <col_district> = …` with the next placeholders.
fn area_where(
    prefix: &str,
    state: Option<StateId>,
    district: Option<DistrictId>,
    first: usize,
) -> (String, Vec<i64>) {
    let mut sql = String::new();
    let mut args = Vec::new();
    if let Some(s) = state {
        args.push(s.0);
        sql.push_str(&format!(" AND {prefix}state_id = ${}", first + args.len() - 1));
    }
    if let Some(d) = district {
        args.push(d.0);
        sql.push_str(&format!(" AND {prefix}district_id = ${}", first + args.len() - 1));
    }
    (sql, args)
}

const RUN_COLS: &str = "id, created_by, state_id, district_id, basis, date_from, date_until, vaccine, max_km, \
                        dry_run, status, people, processed, assigned, unassigned, already_booked, read_ms, \
                        plan_ms, write_ms, message, created_at, finished_at";

fn run_from_row(row: &AnyRow) -> StorageResult<AssignmentRun> {
    let get_s = |c: &str| row.try_get::<String, _>(c).map_err(|_| decode_err(c));
    let get_i = |c: &str| row.try_get::<i64, _>(c).map_err(|_| decode_err(c));
    let opt_i = |c: &str| row.try_get::<Option<i64>, _>(c).map_err(|_| decode_err(c));
    let count = |c: &str| get_i(c).map(|v| u64::try_from(v).unwrap_or(0));
    let vaccine = get_s("vaccine")?;
    Ok(AssignmentRun {
        id: parse_uuid(&get_s("id")?)?,
        created_by: get_s("created_by")?,
        state: opt_i("state_id")?.map(StateId),
        district: opt_i("district_id")?.map(DistrictId),
        basis: Basis::parse(&get_s("basis")?).ok_or_else(|| decode_err("basis"))?,
        date_from: parse_date(&get_s("date_from")?)?,
        date_until: parse_date(&get_s("date_until")?)?,
        vaccine: Some(vaccine).filter(|v| !v.is_empty()),
        max_km: u32::try_from(get_i("max_km")?).unwrap_or(0),
        dry_run: get_i("dry_run")? != 0,
        status: RunStatus::parse(&get_s("status")?).ok_or_else(|| decode_err("status"))?,
        people: count("people")?,
        processed: count("processed")?,
        assigned: count("assigned")?,
        unassigned: count("unassigned")?,
        already_booked: count("already_booked")?,
        read_ms: get_i("read_ms")?,
        plan_ms: get_i("plan_ms")?,
        write_ms: get_i("write_ms")?,
        message: get_s("message")?,
        created_at_ms: get_i("created_at")?,
        finished_at_ms: opt_i("finished_at")?,
    })
}

const VIEW_COLS: &str = "x.run_id, x.seq, x.beneficiary_id, b.reference_id, b.birth_year, x.session_id, x.center_id, \
                         c.name AS center_name, s.date AS session_date, x.slot, x.distance_m, x.nearer_full, x.reason, \
                         x.reason_params, x.appointment_id";
const VIEW_FROM: &str = "assignments x JOIN beneficiaries b ON b.id = x.beneficiary_id \
                         LEFT JOIN sessions s ON s.id = x.session_id LEFT JOIN centers c ON c.id = x.center_id";

fn view_from_row(row: &AnyRow) -> StorageResult<AssignmentView> {
    let get_s = |c: &str| row.try_get::<String, _>(c).map_err(|_| decode_err(c));
    let get_i = |c: &str| row.try_get::<i64, _>(c).map_err(|_| decode_err(c));
    let opt_i = |c: &str| row.try_get::<Option<i64>, _>(c).map_err(|_| decode_err(c));
    let opt_s = |c: &str| row.try_get::<Option<String>, _>(c).map_err(|_| decode_err(c));
    Ok(AssignmentView {
        run_id: parse_uuid(&get_s("run_id")?)?,
        seq: get_i("seq")?,
        beneficiary_id: parse_uuid(&get_s("beneficiary_id")?)?,
        reference_id: get_s("reference_id")?,
        birth_year: i32::try_from(get_i("birth_year")?).unwrap_or(0),
        session_id: opt_s("session_id")?.map(|s| parse_uuid(&s)).transpose()?,
        center_id: opt_i("center_id")?.map(CenterId),
        center_name: opt_s("center_name")?,
        date: opt_s("session_date")?.map(|d| parse_date(&d)).transpose()?,
        slot: opt_s("slot")?,
        distance_m: opt_i("distance_m")?,
        nearer_full: u32::try_from(get_i("nearer_full")?).unwrap_or(0),
        reason: Reason::parse(&get_s("reason")?).ok_or_else(|| decode_err("reason"))?,
        params: get_s("reason_params")?,
        booking_id: opt_s("appointment_id")?.map(|s| parse_uuid(&s)).transpose()?,
    })
}

/// The people of `ids` who have an active first-dose booking or a first dose.
async fn booked_or_vaccinated(
    conn: &mut AnyConnection,
    backend: Backend,
    ids: &[String],
) -> StorageResult<HashSet<String>> {
    let mut found = HashSet::new();
    for chunk in ids.chunks(INSERT_ROWS) {
        let p = params(backend, 1, chunk.len());
        let sql = format!(
            "SELECT beneficiary_id FROM appointments WHERE dose = 1 AND status IN ('booked', 'completed') \
             AND beneficiary_id IN ({p}) \
             UNION SELECT beneficiary_id FROM vaccinations WHERE dose = 1 AND voided_at IS NULL \
             AND beneficiary_id IN ({})",
            params(backend, chunk.len() + 1, chunk.len())
        );
        let mut q = sqlx::query_scalar::<_, String>(AssertSqlSafe(sql));
        for id in chunk.iter().chain(chunk.iter()) {
            q = q.bind(id.clone());
        }
        found.extend(q.fetch_all(&mut *conn).await.map_err(db)?);
    }
    Ok(found)
}

/// Takes up to the wanted number of first-dose seats of each session; returns how many were
/// taken per session.  The free seats are read with the rows locked (PostgreSQL; SQLite has
/// one writer), then every session is updated by one statement per 500 sessions whose
/// `WHERE` still refuses to go past capacity, so nothing is ever overbooked.
async fn take_seats(
    conn: &mut AnyConnection,
    backend: Backend,
    wanted: &[(SessionId, i64)],
    now_ms: i64,
) -> StorageResult<HashMap<SessionId, i64>> {
    let mut taken = HashMap::new();
    for chunk in wanted.chunks(INSERT_ROWS) {
        let lock = match backend {
            Backend::Postgres => " ORDER BY id FOR UPDATE",
            Backend::Sqlite => "",
        };
        let sql = format!(
            "SELECT id, capacity_dose1 - booked_dose1 AS free FROM sessions \
             WHERE status = 'active' AND id IN ({}){lock}",
            params(backend, 1, chunk.len())
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for (id, _) in chunk {
            q = q.bind(id.to_string());
        }
        let mut free: HashMap<String, i64> = HashMap::new();
        for row in q.fetch_all(&mut *conn).await.map_err(db)? {
            let id: String = row.try_get("id").map_err(|_| decode_err("id"))?;
            let f: i64 = row.try_get("free").map_err(|_| decode_err("free"))?;
            free.insert(id, f);
        }
        let grants: Vec<(String, i64)> = chunk
            .iter()
            .filter_map(|(id, n)| {
                let key = id.to_string();
                let k = free.get(&key).copied().unwrap_or(0).clamp(0, *n);
                (k > 0).then_some((key, k))
            })
            .collect();
        if grants.is_empty() {
            continue;
        }
        // booked_dose1 + CASE id WHEN … THEN k … END, for the sessions granted seats.
        let mut case = String::from("CASE id");
        let mut n = 0;
        let mut next = |backend: Backend| {
            n += 1;
            match backend {
                Backend::Sqlite => "?".to_owned(),
                Backend::Postgres => format!("${n}"),
            }
        };
        for _ in &grants {
            case.push_str(&format!(" WHEN {} THEN {}", next(backend), next(backend)));
        }
        case.push_str(" ELSE 0 END");
        let now_p = next(backend);
        let ids: Vec<String> = grants.iter().map(|_| next(backend)).collect();
        let mut case2 = String::from("CASE id");
        for _ in &grants {
            case2.push_str(&format!(" WHEN {} THEN {}", next(backend), next(backend)));
        }
        case2.push_str(" ELSE 0 END");
        let sql = format!(
            "UPDATE sessions SET booked_dose1 = booked_dose1 + ({case}), updated_at = {now_p} \
             WHERE status = 'active' AND id IN ({}) AND booked_dose1 + ({case2}) <= capacity_dose1",
            ids.join(",")
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for (id, k) in &grants {
            q = q.bind(id.clone()).bind(*k);
        }
        q = q.bind(now_ms);
        for (id, _) in &grants {
            q = q.bind(id.clone());
        }
        for (id, k) in &grants {
            q = q.bind(id.clone()).bind(*k);
        }
        let updated = q.execute(&mut *conn).await.map_err(db)?.rows_affected();
        if updated != grants.len() as u64 {
            // Cannot happen with the rows read under lock in this transaction; refuse the
            // chunk rather than guess (the whole write operation rolls back).
            return Err(StorageError::Other(anyhow::anyhow!(
                "seats changed while an assignment chunk was written ({updated} of {} sessions)",
                grants.len()
            )));
        }
        for (id, k) in grants {
            taken.insert(parse_uuid(&id)?, k);
        }
    }
    Ok(taken)
}

async fn write_chunk(
    conn: &mut AnyConnection,
    backend: Backend,
    run: AssignmentRunId,
    mut rows: Vec<AssignmentWrite>,
    policy_version: &str,
    dry_run: bool,
    now_ms: i64,
) -> StorageResult<ChunkOutcome> {
    let mut out = ChunkOutcome::default();
    rows.sort_by_key(|r| r.seq);
    if backend == Backend::Postgres {
        // A national run adds lakhs of rows faster than autovacuum analyzes them.
        super::refresh_statistics(
            conn,
            &["appointments", "outbox_events", "assignments", "vaccinations"],
        )
        .await?;
    }
    if !dry_run {
        // Skip people booked or vaccinated since the run read them.
        let ids: Vec<String> = rows
            .iter()
            .filter(|r| r.seat.is_some())
            .map(|r| r.beneficiary_id.to_string())
            .collect();
        let done = booked_or_vaccinated(conn, backend, &ids).await?;
        for r in rows.iter_mut() {
            if r.seat.is_some() && done.contains(&r.beneficiary_id.to_string()) {
                r.seat = None;
                r.distance_m = None;
                r.reason = Reason::AlreadyBooked;
                r.params = "{}".to_owned();
            }
        }
        // Take the seats, session by session, in priority order.
        let mut wanted: HashMap<SessionId, Vec<usize>> = HashMap::new();
        let mut order: Vec<SessionId> = Vec::new();
        for (i, r) in rows.iter().enumerate() {
            if let Some(seat) = &r.seat {
                let v = wanted.entry(seat.session_id).or_default();
                if v.is_empty() {
                    order.push(seat.session_id);
                }
                v.push(i);
            }
        }
        let want: Vec<(SessionId, i64)> = order
            .iter()
            .map(|s| (*s, wanted.get(s).map_or(0, |v| i64::try_from(v.len()).unwrap_or(i64::MAX))))
            .collect();
        let taken = take_seats(conn, backend, &want, now_ms).await?;
        for session in order {
            let idx = wanted.remove(&session).unwrap_or_default();
            let got = usize::try_from(taken.get(&session).copied().unwrap_or(0)).unwrap_or(0);
            if got > 0 {
                out.sessions.push(session);
            }
            for &i in idx.iter().skip(got) {
                let r = &mut rows[i];
                r.seat = None;
                r.distance_m = None;
                r.reason = Reason::FilledMeanwhile;
            }
        }
        // Appointments and their events, as a booking writes them.
        let booked: Vec<&AssignmentWrite> = rows.iter().filter(|r| r.seat.is_some()).collect();
        for chunk in booked.chunks(INSERT_ROWS) {
            let sql = format!(
                "INSERT INTO appointments (id, booking_id, beneficiary_id, account_id, session_id, dose, slot, \
                 security_code, policy_version, status, created_at, updated_at) VALUES {}",
                values_clause(backend, chunk.len(), 12)
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for r in chunk {
                let Some(seat) = &r.seat else { continue };
                q = q
                    .bind(uuid::Uuid::now_v7().to_string())
                    .bind(seat.booking_id.to_string())
                    .bind(r.beneficiary_id.to_string())
                    .bind(r.account_id.to_string())
                    .bind(seat.session_id.to_string())
                    .bind(1_i64)
                    .bind(seat.slot.as_str().to_owned())
                    .bind(seat.security_code.as_str().to_owned())
                    .bind(policy_version.to_owned())
                    .bind("booked")
                    .bind(now_ms)
                    .bind(now_ms);
            }
            q.execute(&mut *conn).await.map_err(db)?;
            let sql = format!(
                "INSERT INTO outbox_events (id, kind, subject_id, payload, created_at) VALUES {}",
                values_clause(backend, chunk.len(), 5)
            );
            let mut q = sqlx::query(AssertSqlSafe(sql));
            for r in chunk {
                let Some(seat) = &r.seat else { continue };
                let payload = serde_json::json!({
                    "booking_id": seat.booking_id, "session_id": seat.session_id,
                    "account_id": r.account_id,
                });
                q = q
                    .bind(uuid::Uuid::now_v7().to_string())
                    .bind("appointment.booked")
                    .bind(seat.booking_id.to_string())
                    .bind(payload.to_string())
                    .bind(now_ms);
            }
            q.execute(&mut *conn).await.map_err(db)?;
        }
    }
    for r in &rows {
        match r.reason {
            Reason::Assigned => out.assigned += 1,
            Reason::AlreadyBooked => out.already_booked += 1,
            Reason::FilledMeanwhile => {
                out.filled_meanwhile += 1;
                out.unassigned += 1;
            }
            _ => out.unassigned += 1,
        }
    }
    for chunk in rows.chunks(INSERT_ROWS) {
        let sql = format!(
            "INSERT INTO assignments (run_id, beneficiary_id, seq, session_id, center_id, slot, distance_m, \
             nearer_full, reason, reason_params, appointment_id) VALUES {}",
            values_clause(backend, chunk.len(), 11)
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for r in chunk {
            let seat = r.seat.as_ref();
            q = q
                .bind(run.to_string())
                .bind(r.beneficiary_id.to_string())
                .bind(r.seq)
                .bind(seat.map(|s| s.session_id.to_string()))
                .bind(seat.map(|s| s.center_id.0))
                .bind(seat.map(|s| s.slot.as_str().to_owned()))
                .bind(r.distance_m)
                .bind(i64::from(r.nearer_full))
                .bind(r.reason.as_str())
                .bind(r.params.clone())
                .bind(if dry_run { None } else { seat.map(|s| s.booking_id.to_string()) });
        }
        q.execute(&mut *conn).await.map_err(db)?;
    }
    let as_i = |n: u64| i64::try_from(n).unwrap_or(i64::MAX);
    sqlx::query(
        "UPDATE assignment_runs SET processed = processed + $1, assigned = assigned + $2, \
         unassigned = unassigned + $3, already_booked = already_booked + $4 WHERE id = $5",
    )
    .bind(i64::try_from(rows.len()).unwrap_or(i64::MAX))
    .bind(as_i(out.assigned))
    .bind(as_i(out.unassigned))
    .bind(as_i(out.already_booked))
    .bind(run.to_string())
    .execute(&mut *conn)
    .await
    .map_err(db)?;
    Ok(out)
}

fn u8_age(v: i64) -> u8 {
    u8::try_from(v.clamp(0, 255)).unwrap_or(u8::MAX)
}

#[async_trait]
impl AssignStore for SqlStore {
    async fn create_assignment_run(&self, run: &NewAssignmentRun) -> StorageResult<()> {
        let r = run.clone();
        self.write(Box::new(move |conn| {
            Box::pin(async move {
                sqlx::query(
                    "INSERT INTO assignment_runs (id, created_by, state_id, district_id, basis, date_from, \
                     date_until, vaccine, max_km, dry_run, status, created_at) \
                     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'running', $11)",
                )
                .bind(r.id.to_string())
                .bind(r.created_by.clone())
                .bind(r.state.map(|s| s.0))
                .bind(r.district.map(|d| d.0))
                .bind(r.basis.as_str())
                .bind(date_str(r.date_from))
                .bind(date_str(r.date_until))
                .bind(r.vaccine.as_ref().map(|v| v.as_str().to_owned()).unwrap_or_default())
                .bind(i64::from(r.max_km))
                .bind(i64::from(r.dry_run))
                .bind(r.now_ms)
                .execute(&mut *conn)
                .await
                .map_err(db)?;
                Ok(())
            })
        }))
        .await
    }

    async fn assignment_candidates(
        &self,
        state: Option<StateId>,
        district: Option<DistrictId>,
    ) -> StorageResult<Vec<AssignCandidate>> {
        let (area, args) = area_where("lp.", state, district, 1);
        let sql = format!(
            "SELECT lp.beneficiary_id, b.account_id, b.birth_year, b.comorbidity, lp.occupation, \
             lp.posting_pincode, lp.home_pincode, \
             CAST(CASE WHEN EXISTS (SELECT 1 FROM appointments a WHERE a.beneficiary_id = lp.beneficiary_id \
                  AND a.dose = 1 AND a.status IN ('booked', 'completed')) \
               OR EXISTS (SELECT 1 FROM vaccinations v WHERE v.beneficiary_id = lp.beneficiary_id \
                  AND v.dose = 1 AND v.voided_at IS NULL) THEN 1 ELSE 0 END AS BIGINT) AS done \
             FROM listed_people lp JOIN beneficiaries b ON b.id = lp.beneficiary_id \
             WHERE b.deleted_at IS NULL{area}"
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for a in args {
            q = q.bind(a);
        }
        let rows = q.fetch_all(&self.read).await.map_err(db)?;
        rows.iter()
            .map(|row| {
                let get_s = |c: &str| row.try_get::<String, _>(c).map_err(|_| decode_err(c));
                let get_i = |c: &str| row.try_get::<i64, _>(c).map_err(|_| decode_err(c));
                let opt_i = |c: &str| row.try_get::<Option<i64>, _>(c).map_err(|_| decode_err(c));
                let pin = |v: Option<i64>| v.and_then(|p| u32::try_from(p).ok());
                Ok(AssignCandidate {
                    beneficiary_id: parse_uuid(&get_s("beneficiary_id")?)?,
                    account_id: parse_uuid(&get_s("account_id")?)?,
                    birth_year: i32::try_from(get_i("birth_year")?).unwrap_or(0),
                    comorbidity: get_i("comorbidity")? != 0,
                    occupation: Occupation::parse(&get_s("occupation")?)
                        .ok_or_else(|| decode_err("occupation"))?,
                    posting_pincode: pin(opt_i("posting_pincode")?),
                    home_pincode: pin(opt_i("home_pincode")?),
                    already_booked: get_i("done")? != 0,
                })
            })
            .collect()
    }

    async fn assignment_sessions(
        &self,
        state: Option<StateId>,
        district: Option<DistrictId>,
        from: NaiveDate,
        until: NaiveDate,
        vaccine: Option<&VaccineCode>,
    ) -> StorageResult<Vec<AssignSession>> {
        let (area, args) = area_where("c.", state, district, 3);
        let mut sql = format!(
            "SELECT s.id, s.center_id, c.lat, c.lon, c.pincode, s.date, s.vaccine, s.min_age, s.max_age, \
             s.capacity_dose1, s.booked_dose1, s.slots \
             FROM sessions s JOIN centers c ON c.id = s.center_id \
             WHERE c.active = 1 AND s.status = 'active' AND s.capacity_dose1 > 0 \
             AND s.date >= $1 AND s.date <= $2{area}"
        );
        if vaccine.is_some() {
            sql.push_str(&format!(" AND s.vaccine = ${}", 3 + args.len()));
        }
        sql.push_str(" ORDER BY s.center_id, s.date, s.id");
        let mut q = sqlx::query(AssertSqlSafe(sql)).bind(date_str(from)).bind(date_str(until));
        for a in args {
            q = q.bind(a);
        }
        if let Some(v) = vaccine {
            q = q.bind(v.as_str().to_owned());
        }
        let rows = q.fetch_all(&self.read).await.map_err(db)?;
        rows.iter()
            .map(|row| {
                let get_s = |c: &str| row.try_get::<String, _>(c).map_err(|_| decode_err(c));
                let get_i = |c: &str| row.try_get::<i64, _>(c).map_err(|_| decode_err(c));
                let opt_i = |c: &str| row.try_get::<Option<i64>, _>(c).map_err(|_| decode_err(c));
                let opt_f = |c: &str| row.try_get::<Option<f64>, _>(c).map_err(|_| decode_err(c));
                let slots: Vec<String> =
                    serde_json::from_str(&get_s("slots")?).map_err(|_| decode_err("slots"))?;
                Ok(AssignSession {
                    session_id: parse_uuid(&get_s("id")?)?,
                    center_id: CenterId(get_i("center_id")?),
                    lat: opt_f("lat")?,
                    lon: opt_f("lon")?,
                    pincode: u32::try_from(get_i("pincode")?).unwrap_or(0),
                    date: parse_date(&get_s("date")?)?,
                    vaccine: VaccineCode::parse(&get_s("vaccine")?)
                        .map_err(|_| decode_err("vaccine"))?,
                    min_age: u8_age(get_i("min_age")?),
                    max_age: opt_i("max_age")?.map(u8_age),
                    capacity: u32::try_from(get_i("capacity_dose1")?).unwrap_or(0),
                    booked: u32::try_from(get_i("booked_dose1")?).unwrap_or(0),
                    slots: slots.iter().map(|s| Slot::from_label(s)).collect(),
                })
            })
            .collect()
    }

    async fn set_assignment_run_people(
        &self,
        run: AssignmentRunId,
        people: u64,
        read_ms: i64,
        plan_ms: i64,
    ) -> StorageResult<()> {
        self.write(Box::new(move |conn| {
            Box::pin(async move {
                sqlx::query(
                    "UPDATE assignment_runs SET people = $1, read_ms = $2, plan_ms = $3 WHERE id = $4",
                )
                .bind(i64::try_from(people).unwrap_or(i64::MAX))
                .bind(read_ms)
                .bind(plan_ms)
                .bind(run.to_string())
                .execute(&mut *conn)
                .await
                .map_err(db)?;
                Ok(())
            })
        }))
        .await
    }

    async fn write_assignments(
        &self,
        run: AssignmentRunId,
        rows: Vec<AssignmentWrite>,
        policy_version: &str,
        dry_run: bool,
        now_ms: i64,
    ) -> StorageResult<ChunkOutcome> {
        let backend = self.backend;
        let policy = policy_version.to_owned();
        self.write(Box::new(move |conn| {
            Box::pin(async move {
                write_chunk(conn, backend, run, rows, &policy, dry_run, now_ms).await
            })
        }))
        .await
    }

    async fn finish_assignment_run(
        &self,
        run: AssignmentRunId,
        status: RunStatus,
        message: &str,
        write_ms: i64,
        audit: &Change,
        now_ms: i64,
    ) -> StorageResult<()> {
        let message = message.to_owned();
        let audit = audit.clone();
        self.write(Box::new(move |conn| {
            Box::pin(async move {
                sqlx::query(
                    "UPDATE assignment_runs SET status = $1, message = $2, write_ms = $3, finished_at = $4 \
                     WHERE id = $5",
                )
                .bind(status.as_str())
                .bind(message)
                .bind(write_ms)
                .bind(now_ms)
                .bind(run.to_string())
                .execute(&mut *conn)
                .await
                .map_err(db)?;
                write_change(conn, &audit).await
            })
        }))
        .await
    }

    async fn assignment_run(&self, run: AssignmentRunId) -> StorageResult<AssignmentRun> {
        let row = sqlx::query(AssertSqlSafe(format!(
            "SELECT {RUN_COLS} FROM assignment_runs WHERE id = $1"
        )))
        .bind(run.to_string())
        .fetch_optional(&self.read)
        .await
        .map_err(db)?
        .ok_or(StorageError::NotFound)?;
        run_from_row(&row)
    }

    async fn list_assignment_runs(
        &self,
        state: Option<StateId>,
        district: Option<DistrictId>,
        limit: u32,
    ) -> StorageResult<Vec<AssignmentRun>> {
        let (area, args) = area_where("", state, district, 1);
        let sql = format!(
            "SELECT {RUN_COLS} FROM assignment_runs WHERE 1 = 1{area} ORDER BY created_at DESC, id DESC LIMIT {}",
            limit.clamp(1, 500)
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for a in args {
            q = q.bind(a);
        }
        q.fetch_all(&self.read).await.map_err(db)?.iter().map(run_from_row).collect()
    }

    async fn list_assignments(
        &self,
        run: AssignmentRunId,
        reason: Option<Reason>,
        after_seq: Option<i64>,
        limit: u32,
    ) -> StorageResult<Vec<AssignmentView>> {
        let mut sql =
            format!("SELECT {VIEW_COLS} FROM {VIEW_FROM} WHERE x.run_id = $1 AND x.seq > $2");
        if reason.is_some() {
            sql.push_str(" AND x.reason = $3");
        }
        sql.push_str(&format!(" ORDER BY x.seq LIMIT {}", limit.clamp(1, 1000)));
        let mut q =
            sqlx::query(AssertSqlSafe(sql)).bind(run.to_string()).bind(after_seq.unwrap_or(-1));
        if let Some(r) = reason {
            q = q.bind(r.as_str());
        }
        q.fetch_all(&self.read).await.map_err(db)?.iter().map(view_from_row).collect()
    }

    async fn person_assignments(
        &self,
        beneficiary: BeneficiaryId,
    ) -> StorageResult<Vec<AssignmentView>> {
        let sql = format!(
            "SELECT {VIEW_COLS} FROM {VIEW_FROM} JOIN assignment_runs r ON r.id = x.run_id \
             WHERE x.beneficiary_id = $1 ORDER BY r.created_at DESC, r.id DESC LIMIT 50"
        );
        sqlx::query(AssertSqlSafe(sql))
            .bind(beneficiary.to_string())
            .fetch_all(&self.read)
            .await
            .map_err(db)?
            .iter()
            .map(view_from_row)
            .collect()
    }
}
