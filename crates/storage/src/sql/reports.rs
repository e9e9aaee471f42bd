//! The sqlx implementation of [`ReportStore`](crate::ReportStore).
//!
//! Counter tables are named `rpt_{level}_{day|month}[_lite]` (migration `0013_reports`): the
//! level is the finest area a row keeps (facility, district, state), `month` rows hold whole
//! months so a cumulative figure reads a few rows per month instead of one per day, and `lite`
//! tables keep only vaccine and dose (the dimensions the public dashboard and most reports
//! use), which makes them a fraction of the full tables' size.  Facility-level tables exist
//! only in the lite form: a full one would hold about one row per dose.
//!
//! One fold round is one write operation: it reads the pending doses (`FOR UPDATE SKIP
//! LOCKED` on PostgreSQL, so two `tika serve` processes never fold the same dose), works out
//! every counter change in memory, and writes them as multi-row upserts
//! (`ON CONFLICT … DO UPDATE SET doses = doses + excluded.doses`), so a round of thousands of
//! doses costs a few hundred statements, most of them on the coarse tables that many doses
//! share.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use async_trait::async_trait;
use chrono::{Datelike, NaiveDate};
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, AssertSqlSafe, Row};
use tika_domain::admin::Area;
use tika_domain::beneficiary::BirthYear;
use tika_domain::ids::{CenterId, DistrictId, SessionId, StateId};
use tika_domain::policy::Occupation;
use tika_domain::reports::{
    AgeGroup, DoseBucket, DoseFacts, FacilityOwnership, GroupBy, PendingSecondKey, ReportFilter,
    ReportQuery, ReportRow, RollupKey, SessionCounts, Setting, Target, aggregate, normalize_block,
};
use tika_domain::vaccine::{DoseNumber, VaccineCode};

use super::console::write_change;
use super::{SqlStore, date_str, decode_err, parse_date};
use crate::{
    Backend, Change, FoldFacts, FoldOutcome, PriorityClassifier, ReportStore, SessionCountsRow,
    SimulatedDose, SimulatedPerson, StorageError, StorageResult,
};

type Conn = AnyConnection;

fn db(e: sqlx::Error) -> StorageError {
    StorageError::from_sqlx(e)
}

/// `$n`.
fn ph(n: usize) -> String {
    format!("${n}")
}

/// Whether the connection is SQLite's, whose multi-row statements take `?` placeholders: sqlx
/// finds a `$n` parameter on SQLite by searching the statement's parameter names, which made a
/// 4,800-parameter upsert spend three quarters of its time in that search (BENCHMARKS.md).
fn is_sqlite(conn: &Conn) -> bool {
    conn.backend_name().eq_ignore_ascii_case("sqlite")
}

/// Rows per multi-row statement (at most 12 columns: far below both backends' limits).
const ROWS_PER_STATEMENT: usize = 400;

// ---------------------------------------------------------------------------------------------
// Keys as stored on the dose

/// The stored form of a roll-up key: a compact JSON array (about 70 bytes).
type KeyTuple =
    (String, i64, i64, String, i64, String, String, String, i64, String, String, String);

fn key_text(k: &RollupKey) -> String {
    let t: KeyTuple = (
        date_str(k.day),
        k.state.0,
        k.district.0,
        k.block.clone(),
        k.center.0,
        k.vaccine.as_str().to_owned(),
        k.dose.as_str().to_owned(),
        k.age_group.as_str().to_owned(),
        k.gender_id,
        k.priority_group.clone().unwrap_or_default(),
        k.ownership.as_str().to_owned(),
        k.setting.as_str().to_owned(),
    );
    serde_json::to_string(&t).unwrap_or_default()
}

fn parse_key(s: &str) -> StorageResult<RollupKey> {
    let bad = || decode_err("rollup_key");
    let t: KeyTuple = serde_json::from_str(s).map_err(|_| bad())?;
    Ok(RollupKey {
        day: parse_date(&t.0)?,
        state: StateId(t.1),
        district: DistrictId(t.2),
        block: t.3,
        center: CenterId(t.4),
        vaccine: VaccineCode::parse(&t.5).map_err(|_| bad())?,
        dose: DoseBucket::parse(&t.6).ok_or_else(bad)?,
        age_group: AgeGroup::parse(&t.7).ok_or_else(bad)?,
        gender_id: t.8,
        priority_group: Some(t.9).filter(|p| !p.is_empty()),
        ownership: FacilityOwnership::parse(&t.10).ok_or_else(bad)?,
        setting: Setting::parse(&t.11).ok_or_else(bad)?,
    })
}

fn pending_text(k: &PendingSecondKey) -> String {
    let t = (
        date_str(k.first_dose_day),
        k.state.0,
        k.district.0,
        &k.block,
        k.center.0,
        k.vaccine.as_str(),
    );
    serde_json::to_string(&t).unwrap_or_default()
}

fn parse_pending(s: &str) -> StorageResult<PendingSecondKey> {
    let bad = || decode_err("pending_second_key");
    let t: (String, i64, i64, String, i64, String) = serde_json::from_str(s).map_err(|_| bad())?;
    Ok(PendingSecondKey {
        first_dose_day: parse_date(&t.0)?,
        state: StateId(t.1),
        district: DistrictId(t.2),
        block: t.3,
        center: CenterId(t.4),
        vaccine: VaccineCode::parse(&t.5).map_err(|_| bad())?,
    })
}

// ---------------------------------------------------------------------------------------------
// Grains

/// The finest area a counter table keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Level {
    Center,
    District,
    State,
}

/// One counter table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
struct Grain {
    level: Level,
    month: bool,
    lite: bool,
}

const GRAINS: [Grain; 10] = [
    Grain { level: Level::Center, month: false, lite: true },
    Grain { level: Level::Center, month: true, lite: true },
    Grain { level: Level::District, month: false, lite: false },
    Grain { level: Level::District, month: true, lite: false },
    Grain { level: Level::District, month: false, lite: true },
    Grain { level: Level::District, month: true, lite: true },
    Grain { level: Level::State, month: false, lite: false },
    Grain { level: Level::State, month: true, lite: false },
    Grain { level: Level::State, month: false, lite: true },
    Grain { level: Level::State, month: true, lite: true },
];

/// A value bound into a statement.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
enum Val {
    I(i64),
    T(String),
}

fn bind_val<'q>(
    q: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments>,
    v: &Val,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments> {
    match v {
        Val::I(i) => q.bind(*i),
        Val::T(s) => q.bind(s.clone()),
    }
}

fn month_str(d: NaiveDate) -> String {
    format!("{:04}-{:02}", d.year(), d.month())
}

impl Grain {
    fn table(self) -> String {
        let level = match self.level {
            Level::Center => "center",
            Level::District => "district",
            Level::State => "state",
        };
        let time = if self.month { "month" } else { "day" };
        let lite = if self.lite && self.level != Level::Center { "_lite" } else { "" };
        format!("rpt_{level}_{time}{lite}")
    }

    fn time_col(self) -> &'static str {
        if self.month { "month" } else { "day" }
    }

    /// Every key column, in the order of [`Grain::values`].
    fn columns(self) -> Vec<&'static str> {
        let mut cols: Vec<&'static str> = match self.level {
            Level::Center => vec!["center_id", "state_id", "district_id", "block"],
            Level::District => vec!["district_id", "state_id"],
            Level::State => vec!["state_id"],
        };
        cols.push(self.time_col());
        cols.extend(["vaccine", "dose"]);
        if !self.lite {
            cols.extend(["age_group", "gender_id", "priority_group", "ownership", "setting"]);
        }
        cols
    }

    fn values(self, k: &RollupKey) -> Vec<Val> {
        let mut v = match self.level {
            Level::Center => vec![
                Val::I(k.center.0),
                Val::I(k.state.0),
                Val::I(k.district.0),
                Val::T(k.block.clone()),
            ],
            Level::District => vec![Val::I(k.district.0), Val::I(k.state.0)],
            Level::State => vec![Val::I(k.state.0)],
        };
        v.push(Val::T(if self.month { month_str(k.day) } else { date_str(k.day) }));
        v.push(Val::T(k.vaccine.as_str().to_owned()));
        v.push(Val::T(k.dose.as_str().to_owned()));
        if !self.lite {
            v.push(Val::T(k.age_group.as_str().to_owned()));
            v.push(Val::I(k.gender_id));
            v.push(Val::T(k.priority_group.clone().unwrap_or_default()));
            v.push(Val::T(k.ownership.as_str().to_owned()));
            v.push(Val::T(k.setting.as_str().to_owned()));
        }
        v
    }
}

/// The pending-second-dose tables: (table, key columns).
fn pending_tables() -> [(&'static str, Vec<&'static str>); 3] {
    [
        (
            "rpt_pending_center",
            vec!["center_id", "first_day", "state_id", "district_id", "block", "vaccine"],
        ),
        ("rpt_pending_district", vec!["district_id", "first_day", "state_id", "vaccine"]),
        ("rpt_pending_state", vec!["state_id", "first_day", "vaccine"]),
    ]
}

fn pending_values(level: usize, k: &PendingSecondKey) -> Vec<Val> {
    let day = Val::T(date_str(k.first_dose_day));
    let vaccine = Val::T(k.vaccine.as_str().to_owned());
    match level {
        0 => vec![
            Val::I(k.center.0),
            day,
            Val::I(k.state.0),
            Val::I(k.district.0),
            Val::T(k.block.clone()),
            vaccine,
        ],
        1 => vec![Val::I(k.district.0), day, Val::I(k.state.0), vaccine],
        _ => vec![Val::I(k.state.0), day, vaccine],
    }
}

/// Adds `deltas` to a counter table: multi-row upserts.
async fn upsert(
    conn: &mut Conn,
    table: &str,
    cols: &[&str],
    counter: &str,
    deltas: &HashMap<Vec<Val>, i64>,
) -> StorageResult<()> {
    let rows: Vec<(&Vec<Val>, i64)> =
        deltas.iter().filter(|(_, d)| **d != 0).map(|(k, d)| (k, *d)).collect();
    let width = cols.len() + 1;
    let lite = is_sqlite(conn);
    for chunk in rows.chunks(ROWS_PER_STATEMENT) {
        let values = (0..chunk.len())
            .map(|r| {
                let cells: Vec<String> = (1..=width)
                    .map(|c| if lite { "?".to_owned() } else { ph(r * width + c) })
                    .collect();
                format!("({})", cells.join(", "))
            })
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "INSERT INTO {table} ({cols}, {counter}) VALUES {values} \
             ON CONFLICT ({cols}) DO UPDATE SET {counter} = {table}.{counter} + excluded.{counter}",
            cols = cols.join(", ")
        );
        let mut q = sqlx::query(AssertSqlSafe(sql));
        for (key, delta) in chunk {
            for v in key.iter() {
                q = bind_val(q, v);
            }
            q = q.bind(*delta);
        }
        q.execute(&mut *conn).await.map_err(db)?;
    }
    Ok(())
}

/// Writes dose and pending-second-dose deltas to every counter table.
async fn apply_deltas(
    conn: &mut Conn,
    doses: &HashMap<RollupKey, i64>,
    pending: &HashMap<PendingSecondKey, i64>,
) -> StorageResult<()> {
    for grain in GRAINS {
        let mut rows: HashMap<Vec<Val>, i64> = HashMap::new();
        for (key, d) in doses.iter().filter(|(_, d)| **d != 0) {
            *rows.entry(grain.values(key)).or_insert(0) += d;
        }
        upsert(conn, &grain.table(), &grain.columns(), "doses", &rows).await?;
    }
    for (level, (table, cols)) in pending_tables().into_iter().enumerate() {
        let mut rows: HashMap<Vec<Val>, i64> = HashMap::new();
        for (key, d) in pending.iter().filter(|(_, d)| **d != 0) {
            *rows.entry(pending_values(level, key)).or_insert(0) += d;
        }
        upsert(conn, table, &cols, "people", &rows).await?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------------------------
// Folding

/// A pending dose as the fold reads it.
struct PendingDose {
    id: String,
    beneficiary: String,
    counted: Option<String>,
    next: Option<RollupKey>,
}

fn opt_i(row: &AnyRow, c: &str) -> StorageResult<Option<i64>> {
    row.try_get::<Option<i64>, _>(c).map_err(db)
}

fn opt_s(row: &AnyRow, c: &str) -> StorageResult<Option<String>> {
    row.try_get::<Option<String>, _>(c).map_err(db)
}

/// The key a pending dose row counts under now (`None`: it does not count: voided, or given
/// at no known facility).
fn next_key(row: &AnyRow, classify: &PriorityClassifier) -> StorageResult<Option<RollupKey>> {
    if opt_i(row, "voided_at")?.is_some() {
        return Ok(None);
    }
    let (Some(state), Some(district), Some(center)) =
        (opt_i(row, "state_id")?, opt_i(row, "district_id")?, opt_i(row, "center_id")?)
    else {
        return Ok(None);
    };
    let date = parse_date(&row.try_get::<String, _>("date").map_err(db)?)?;
    let vaccine = VaccineCode::parse(&row.try_get::<String, _>("vaccine").map_err(db)?)
        .map_err(|_| decode_err("vaccine"))?;
    let dose = DoseNumber::new(row.try_get::<i64, _>("dose").map_err(db)?)
        .map_err(|_| decode_err("dose"))?;
    let birth_year = BirthYear::from_stored(
        i32::try_from(row.try_get::<i64, _>("birth_year").map_err(db)?)
            .map_err(|_| decode_err("birth_year"))?,
    );
    let facts = FoldFacts {
        date,
        birth_year,
        comorbidity: row.try_get::<i64, _>("comorbidity").map_err(db)? != 0,
        occupation: opt_s(row, "occupation")?.as_deref().and_then(Occupation::parse),
    };
    let group = classify(&facts);
    let block = opt_s(row, "block_name")?.unwrap_or_default();
    let ownership = opt_s(row, "kind")?
        .as_deref()
        .and_then(FacilityOwnership::parse)
        .unwrap_or(FacilityOwnership::Government);
    Ok(Some(RollupKey::for_dose(&DoseFacts {
        date,
        state: StateId(state),
        district: DistrictId(district),
        block: &block,
        center: CenterId(center),
        vaccine: &vaccine,
        dose,
        birth_year,
        gender_id: row.try_get::<i64, _>("gender_id").map_err(db)?,
        priority_group: group.as_deref(),
        ownership,
        setting: Setting::Unknown,
    })))
}

async fn fold(
    conn: &mut Conn,
    backend: Backend,
    limit: u32,
    classify: PriorityClassifier,
) -> StorageResult<FoldOutcome> {
    let lock = match backend {
        Backend::Postgres => " FOR UPDATE OF v SKIP LOCKED",
        Backend::Sqlite => "",
    };
    let sql = format!(
        "SELECT v.id, v.beneficiary_id, v.dose, v.vaccine, v.date, v.center_id, v.voided_at, \
                v.rollup_key, c.state_id, c.district_id, c.block_name, c.kind, b.birth_year, \
                b.gender_id, b.comorbidity, lp.occupation \
         FROM vaccinations v \
         JOIN beneficiaries b ON b.id = v.beneficiary_id \
         LEFT JOIN centers c ON c.id = v.center_id \
         LEFT JOIN listed_people lp ON lp.beneficiary_id = v.beneficiary_id \
         WHERE v.rollup_pending = 1 ORDER BY v.id LIMIT $1{lock}"
    );
    let rows = sqlx::query(AssertSqlSafe(sql))
        .bind(i64::from(limit) + 1)
        .fetch_all(&mut *conn)
        .await
        .map_err(db)?;
    let more = rows.len() > limit as usize;
    let mut out = FoldOutcome { more, ..FoldOutcome::default() };
    let mut pending = Vec::with_capacity(rows.len().min(limit as usize));
    for row in rows.iter().take(limit as usize) {
        pending.push(PendingDose {
            id: row.try_get("id").map_err(db)?,
            beneficiary: row.try_get("beneficiary_id").map_err(db)?,
            counted: opt_s(row, "rollup_key")?,
            next: next_key(row, &classify)?,
        });
    }

    let mut deltas: HashMap<RollupKey, i64> = HashMap::new();
    let mut touched: BTreeSet<String> = BTreeSet::new();
    for d in &pending {
        out.doses += 1;
        let before = d.counted.as_deref().map(parse_key).transpose()?;
        if before != d.next {
            if let Some(k) = before {
                *deltas.entry(k).or_insert(0) -= 1;
                out.uncounted += 1;
            }
            if let Some(k) = &d.next {
                *deltas.entry(k.clone()).or_insert(0) += 1;
                out.counted += 1;
            }
        }
        sqlx::query("UPDATE vaccinations SET rollup_key = $1, rollup_pending = 0 WHERE id = $2")
            .bind(d.next.as_ref().map(key_text))
            .bind(d.id.clone())
            .execute(&mut *conn)
            .await
            .map_err(db)?;
        touched.insert(d.beneficiary.clone());
    }

    // People whose doses moved away in a merge.
    let rechecks: Vec<String> = sqlx::query("SELECT beneficiary_id FROM rpt_recheck LIMIT 1000")
        .fetch_all(&mut *conn)
        .await
        .map_err(db)?
        .iter()
        .map(|r| r.try_get::<String, _>("beneficiary_id"))
        .collect::<Result<_, _>>()
        .map_err(db)?;
    for id in &rechecks {
        sqlx::query("DELETE FROM rpt_recheck WHERE beneficiary_id = $1")
            .bind(id.clone())
            .execute(&mut *conn)
            .await
            .map_err(db)?;
    }
    touched.extend(rechecks);

    let waiting = second_dose_changes(conn, &touched).await?;
    apply_deltas(conn, &deltas, &waiting).await?;
    Ok(out)
}

/// Recomputes whether each touched person waits for a second dose (a counted first dose and
/// no counted second dose), under their first dose's key; returns the counter changes and
/// stores each person's new state.
async fn second_dose_changes(
    conn: &mut Conn,
    touched: &BTreeSet<String>,
) -> StorageResult<HashMap<PendingSecondKey, i64>> {
    let mut changes: HashMap<PendingSecondKey, i64> = HashMap::new();
    let ids: Vec<&String> = touched.iter().collect();
    let lite = is_sqlite(conn);
    for chunk in ids.chunks(ROWS_PER_STATEMENT) {
        let list = (1..=chunk.len())
            .map(|n| if lite { "?".to_owned() } else { ph(n) })
            .collect::<Vec<_>>()
            .join(", ");
        let mut q = sqlx::query(AssertSqlSafe(format!(
            "SELECT id, pending_second_key FROM beneficiaries WHERE id IN ({list})"
        )));
        for id in chunk {
            q = q.bind((*id).clone());
        }
        let mut state: BTreeMap<String, (Option<String>, Option<RollupKey>, bool)> =
            BTreeMap::new();
        for row in q.fetch_all(&mut *conn).await.map_err(db)? {
            state.insert(
                row.try_get("id").map_err(db)?,
                (opt_s(&row, "pending_second_key")?, None, false),
            );
        }
        let mut q = sqlx::query(AssertSqlSafe(format!(
            "SELECT beneficiary_id, rollup_key FROM vaccinations \
             WHERE beneficiary_id IN ({list}) AND voided_at IS NULL AND rollup_key IS NOT NULL"
        )));
        for id in chunk {
            q = q.bind((*id).clone());
        }
        for row in q.fetch_all(&mut *conn).await.map_err(db)? {
            let who: String = row.try_get("beneficiary_id").map_err(db)?;
            let key = parse_key(&row.try_get::<String, _>("rollup_key").map_err(db)?)?;
            if let Some(s) = state.get_mut(&who) {
                match key.dose {
                    DoseBucket::First => s.1 = Some(key),
                    DoseBucket::Second => s.2 = true,
                    DoseBucket::Precaution => {}
                }
            }
        }
        for (who, (stored, first, second)) in state {
            let now = first.filter(|_| !second).as_ref().and_then(PendingSecondKey::of_first_dose);
            let now_text = now.as_ref().map(pending_text);
            if now_text == stored {
                continue;
            }
            if let Some(old) = stored.as_deref().map(parse_pending).transpose()? {
                *changes.entry(old).or_insert(0) -= 1;
            }
            if let Some(new) = now {
                *changes.entry(new).or_insert(0) += 1;
            }
            sqlx::query("UPDATE beneficiaries SET pending_second_key = $1 WHERE id = $2")
                .bind(now_text)
                .bind(who)
                .execute(&mut *conn)
                .await
                .map_err(db)?;
        }
    }
    Ok(changes)
}

// ---------------------------------------------------------------------------------------------
// Reading

/// Where a report's numbers come from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Source {
    Counters {
        level: Level,
        lite: bool,
    },
    /// The keys stored on the area's doses.
    DoseKeys,
}

fn plan(q: &ReportQuery) -> Source {
    let f = &q.filter;
    let full = f.age_group.is_some()
        || f.gender_id.is_some()
        || f.priority_group.is_some()
        || f.ownership.is_some()
        || f.setting.is_some()
        || matches!(
            q.group_by,
            GroupBy::AgeGroup
                | GroupBy::Gender
                | GroupBy::PriorityGroup
                | GroupBy::Ownership
                | GroupBy::Setting
        );
    let by_area = q.group_by == GroupBy::Area;
    let level = match &f.area {
        Area::National => Level::State,
        Area::State { .. } if by_area => Level::District,
        Area::State { .. } => Level::State,
        Area::District { .. } if by_area => Level::Center,
        Area::District { .. } => Level::District,
        Area::Block { .. } | Area::Facility { .. } => Level::Center,
    };
    if level == Level::Center && full {
        Source::DoseKeys
    } else {
        Source::Counters { level, lite: !full }
    }
}

/// The `WHERE` conditions of a filter (area and dimensions, not dates), with their values.
fn conditions(f: &ReportFilter, lite: bool, first: usize) -> (Vec<String>, Vec<Val>) {
    let mut conds = Vec::new();
    let mut vals = Vec::new();
    let mut add = |cond: &str, v: Val| {
        vals.push(v);
        conds.push(cond.replace('?', &ph(first + vals.len() - 1)));
    };
    match &f.area {
        Area::National => {}
        Area::State { state } => add("state_id = ?", Val::I(state.0)),
        Area::District { district, .. } => add("district_id = ?", Val::I(district.0)),
        Area::Block { district, block, .. } => {
            add("district_id = ?", Val::I(district.0));
            add("block = ?", Val::T(normalize_block(block)));
        }
        Area::Facility { center, .. } => add("center_id = ?", Val::I(center.0)),
    }
    if let Some(v) = &f.vaccine {
        add("vaccine = ?", Val::T(v.as_str().to_owned()));
    }
    if let Some(d) = f.dose {
        add("dose = ?", Val::T(d.as_str().to_owned()));
    }
    if !lite {
        if let Some(a) = f.age_group {
            add("age_group = ?", Val::T(a.as_str().to_owned()));
        }
        if let Some(g) = f.gender_id {
            add("gender_id = ?", Val::I(g));
        }
        if let Some(p) = &f.priority_group {
            add("LOWER(priority_group) = LOWER(?)", Val::T(p.clone()));
        }
        if let Some(o) = f.ownership {
            add("ownership = ?", Val::T(o.as_str().to_owned()));
        }
        if let Some(s) = f.setting {
            add("setting = ?", Val::T(s.as_str().to_owned()));
        }
    }
    (conds, vals)
}

/// The columns a grouping reads.
fn group_columns(q: &ReportQuery) -> Vec<&'static str> {
    match q.group_by {
        GroupBy::Total | GroupBy::Day => vec![],
        GroupBy::Area => match q.filter.area {
            Area::National => vec!["state_id"],
            Area::State { .. } => vec!["district_id"],
            Area::District { .. } => vec!["district_id", "block"],
            Area::Block { .. } | Area::Facility { .. } => vec!["center_id"],
        },
        GroupBy::Dose => vec!["dose"],
        GroupBy::Vaccine => vec!["vaccine"],
        GroupBy::AgeGroup => vec!["age_group"],
        GroupBy::Gender => vec!["gender_id"],
        GroupBy::PriorityGroup => vec!["priority_group"],
        GroupBy::Ownership => vec!["ownership"],
        GroupBy::Setting => vec!["setting"],
    }
}

/// A key standing for a group's sums: the area's place, the group's value, defaults elsewhere
/// (the reference aggregation then sees only area, day and group).
fn template_key(area: &Area) -> StorageResult<RollupKey> {
    Ok(RollupKey {
        day: NaiveDate::MIN,
        state: area.state().unwrap_or(StateId(0)),
        district: area.district().unwrap_or(DistrictId(0)),
        block: area.block().map(normalize_block).unwrap_or_default(),
        center: area.center().unwrap_or(CenterId(0)),
        vaccine: VaccineCode::parse("ANY").map_err(|_| decode_err("vaccine"))?,
        dose: DoseBucket::First,
        age_group: AgeGroup::Under12,
        gender_id: 0,
        priority_group: None,
        ownership: FacilityOwnership::Government,
        setting: Setting::Unknown,
    })
}

fn set_group(key: &mut RollupKey, row: &AnyRow, cols: &[&str]) -> StorageResult<()> {
    let bad = |c: &str| decode_err(c);
    for c in cols {
        match *c {
            "state_id" => key.state = StateId(row.try_get(*c).map_err(db)?),
            "district_id" => key.district = DistrictId(row.try_get(*c).map_err(db)?),
            "center_id" => key.center = CenterId(row.try_get(*c).map_err(db)?),
            "block" => key.block = row.try_get(*c).map_err(db)?,
            "dose" => {
                key.dose = DoseBucket::parse(&row.try_get::<String, _>(*c).map_err(db)?)
                    .ok_or_else(|| bad(c))?;
            }
            "vaccine" => {
                key.vaccine = VaccineCode::parse(&row.try_get::<String, _>(*c).map_err(db)?)
                    .map_err(|_| bad(c))?;
            }
            "age_group" => {
                key.age_group = AgeGroup::parse(&row.try_get::<String, _>(*c).map_err(db)?)
                    .ok_or_else(|| bad(c))?;
            }
            "gender_id" => key.gender_id = row.try_get(*c).map_err(db)?,
            "priority_group" => {
                key.priority_group =
                    Some(row.try_get::<String, _>(*c).map_err(db)?).filter(|p| !p.is_empty());
            }
            "ownership" => {
                key.ownership =
                    FacilityOwnership::parse(&row.try_get::<String, _>(*c).map_err(db)?)
                        .ok_or_else(|| bad(c))?;
            }
            "setting" => {
                key.setting = Setting::parse(&row.try_get::<String, _>(*c).map_err(db)?)
                    .ok_or_else(|| bad(c))?;
            }
            _ => return Err(bad(c)),
        }
    }
    Ok(())
}

fn first_of_month(d: NaiveDate) -> NaiveDate {
    d.with_day(1).unwrap_or(d)
}

/// One read of a counter report (see [`SqlStore::report_from_counters`]).
#[derive(Debug, Clone, Copy)]
enum Read {
    /// Month rows before the range's first month.
    Opening,
    /// Month rows of the months wholly inside the range.
    WholeMonths { first: NaiveDate, last: NaiveDate },
    /// Day rows from the range's first month's first day to `until`, less the whole months.
    Days { whole: Option<(NaiveDate, NaiveDate)> },
}

/// The months lying wholly inside `from..=until`: the first one's first day and the last
/// one's last day, or `None` if there is none.
fn whole_months(from: NaiveDate, until: NaiveDate) -> Option<(NaiveDate, NaiveDate)> {
    let first = if from.day() == 1 {
        from
    } else {
        first_of_month(from).checked_add_months(chrono::Months::new(1))?
    };
    let after_until = until.succ_opt()?;
    let last = if after_until.day() == 1 { until } else { first_of_month(until).pred_opt()? };
    (first <= last).then_some((first, last))
}

impl SqlStore {
    /// A report from counter tables: month rows before the first month of the range (the
    /// opening of cumulative figures), month rows for the months that lie wholly inside the
    /// range (unless the report is by day), and day rows for the rest: from the first month's
    /// first day up to the first whole month, and after the last whole month up to `until`.
    ///
    /// A national report over a year thus sums about 12 month rows per key instead of 365 day
    /// rows (BENCHMARKS.md, "Reports and dashboard").
    async fn report_from_counters(
        &self,
        q: &ReportQuery,
        level: Level,
        lite: bool,
    ) -> StorageResult<Vec<ReportRow>> {
        let f = &q.filter;
        let gcols = group_columns(q);
        let template = template_key(&f.area)?;
        let month_start = first_of_month(f.from);
        let whole = if q.group_by == GroupBy::Day { None } else { whole_months(f.from, f.until) };
        let mut reads = vec![Read::Opening];
        if let Some((first, last)) = whole {
            reads.push(Read::WholeMonths { first, last });
        }
        reads.push(Read::Days { whole });
        let mut keys: Vec<(RollupKey, i64)> = Vec::new();
        for read in reads {
            let month = !matches!(read, Read::Days { .. });
            let grain = Grain { level, month, lite: lite || level == Level::Center };
            let (mut conds, vals) = conditions(f, grain.lite, 1);
            let n = vals.len();
            let mut times: Vec<String> = Vec::new();
            match read {
                Read::Opening => {
                    conds.push(format!("month < {}", ph(n + 1)));
                    times.push(month_str(month_start));
                }
                Read::WholeMonths { first, last } => {
                    conds.push(format!("month >= {} AND month <= {}", ph(n + 1), ph(n + 2)));
                    times.extend([month_str(first), month_str(last)]);
                }
                Read::Days { whole: None } => {
                    conds.push(format!("day >= {} AND day <= {}", ph(n + 1), ph(n + 2)));
                    times.extend([date_str(month_start), date_str(f.until)]);
                }
                Read::Days { whole: Some((first, last)) } => {
                    conds.push(format!(
                        "((day >= {} AND day < {}) OR (day > {} AND day <= {}))",
                        ph(n + 1),
                        ph(n + 2),
                        ph(n + 3),
                        ph(n + 4)
                    ));
                    times.extend([
                        date_str(month_start),
                        date_str(first),
                        date_str(last),
                        date_str(f.until),
                    ]);
                }
            }
            let time_col = match read {
                Read::Opening => None,
                Read::WholeMonths { .. } => Some("month"),
                Read::Days { .. } => Some("day"),
            };
            let mut group: Vec<&str> = gcols.clone();
            group.extend(time_col);
            let time_sel = time_col.map(|c| format!(", {c}")).unwrap_or_default();
            let select: String = gcols.iter().map(|c| format!("{c}, ")).collect();
            let sql = format!(
                "SELECT {select}CAST(SUM(doses) AS BIGINT) AS n{time_sel} FROM {table} WHERE {where_}{group_by}",
                table = grain.table(),
                where_ = conds.join(" AND "),
                group_by = if group.is_empty() {
                    String::new()
                } else {
                    format!(" GROUP BY {}", group.join(", "))
                },
                select = select.trim_end_matches(' '),
            )
            .replace("SELECT ,", "SELECT ");
            let mut query = sqlx::query(AssertSqlSafe(sql));
            for v in &vals {
                query = bind_val(query, v);
            }
            for t in times {
                query = query.bind(t);
            }
            for row in query.fetch_all(&self.read).await.map_err(db)? {
                let Some(n) = opt_i(&row, "n")? else { continue };
                let mut key = template.clone();
                set_group(&mut key, &row, &gcols)?;
                key.day = match read {
                    // Any day before the range's first month: the sums only open the range.
                    Read::Opening => month_start.pred_opt().unwrap_or(NaiveDate::MIN),
                    // The month's first day, which lies inside the range.
                    Read::WholeMonths { .. } => {
                        let m: String = row.try_get("month").map_err(db)?;
                        parse_date(&format!("{m}-01"))?
                    }
                    Read::Days { .. } => parse_date(&row.try_get::<String, _>("day").map_err(db)?)?,
                };
                keys.push((key, n));
            }
        }
        let only_area =
            ReportFilter { area: f.area.clone(), ..ReportFilter::nation(f.from, f.until) };
        Ok(aggregate(&keys, &only_area, q.group_by))
    }

    /// The counted doses' keys under an area, recounted (summed per key).
    async fn dose_keys(&self, area: &Area) -> StorageResult<Vec<(RollupKey, i64)>> {
        let (cond, val) = match area {
            Area::National => (String::new(), None),
            Area::State { state } => (
                " AND center_id IN (SELECT id FROM centers WHERE state_id = $1)".to_owned(),
                Some(state.0),
            ),
            Area::District { district, .. } | Area::Block { district, .. } => (
                " AND center_id IN (SELECT id FROM centers WHERE district_id = $1)".to_owned(),
                Some(district.0),
            ),
            Area::Facility { center, .. } => (" AND center_id = $1".to_owned(), Some(center.0)),
        };
        // A dose's key keeps the facility's place when it was counted; the facility may have
        // moved since, so the area is checked on the key, below, not only on `centers`.
        let sql = format!("SELECT rollup_key FROM vaccinations WHERE rollup_key IS NOT NULL{cond}");
        let mut q = sqlx::query(AssertSqlSafe(sql));
        if let Some(v) = val {
            q = q.bind(v);
        }
        let in_area = ReportFilter {
            area: area.clone(),
            ..ReportFilter::nation(NaiveDate::MIN, NaiveDate::MAX)
        };
        let mut sums: HashMap<RollupKey, i64> = HashMap::new();
        for row in q.fetch_all(&self.read).await.map_err(db)? {
            let key = parse_key(&row.try_get::<String, _>("rollup_key").map_err(db)?)?;
            if in_area.matches(&key) {
                *sums.entry(key).or_insert(0) += 1;
            }
        }
        let mut rows: Vec<(RollupKey, i64)> = sums.into_iter().collect();
        rows.sort();
        Ok(rows)
    }
}

// ---------------------------------------------------------------------------------------------
// Sessions

const SESSION_COUNTS: &str = "SELECT s.id, s.date, s.vaccine, s.status, \
    s.capacity_dose1 + s.capacity_dose2 AS planned, \
    (SELECT COUNT(*) FROM appointments a WHERE a.session_id = s.id AND a.status <> 'cancelled') AS booked, \
    (SELECT COUNT(*) FROM arrivals r WHERE r.session_id = s.id AND EXISTS \
        (SELECT 1 FROM appointments a WHERE a.session_id = s.id \
           AND a.beneficiary_id = r.beneficiary_id AND a.status <> 'cancelled')) AS arrived_booked, \
    (SELECT COUNT(*) FROM (SELECT r.beneficiary_id FROM arrivals r WHERE r.session_id = s.id \
        AND NOT EXISTS (SELECT 1 FROM appointments a WHERE a.session_id = s.id \
           AND a.beneficiary_id = r.beneficiary_id AND a.status <> 'cancelled') \
        UNION SELECT v.beneficiary_id FROM vaccinations v WHERE v.session_id = s.id \
           AND v.walk_in = 1 AND v.voided_at IS NULL) w) AS walk_ins, \
    (SELECT COUNT(DISTINCT v.beneficiary_id) FROM vaccinations v \
        WHERE v.session_id = s.id AND v.voided_at IS NULL) AS vaccinated, \
    (SELECT COUNT(*) FROM vaccinations v WHERE v.session_id = s.id AND v.voided_at IS NULL) AS doses_given, \
    (SELECT CAST(COALESCE(SUM(r.vials_opened), 0) AS BIGINT) FROM session_reconciliations r \
        WHERE r.session_id = s.id) AS vials_opened, \
    (SELECT MAX(l.doses_per_vial) FROM session_reconciliations r JOIN vaccine_lots l ON l.id = r.lot_id \
        WHERE r.session_id = s.id) AS doses_per_vial, \
    (SELECT COUNT(*) FROM messages m WHERE m.session_id = s.id \
        AND m.status IN ('sent', 'delivered')) AS messages_sent, \
    (SELECT COUNT(*) FROM messages m WHERE m.session_id = s.id AND m.status = 'delivered') AS messages_delivered \
    FROM sessions s";

fn count(row: &AnyRow, c: &str) -> StorageResult<u32> {
    let n: i64 = row.try_get(c).map_err(db)?;
    u32::try_from(n.max(0)).map_err(|_| decode_err(c))
}

fn session_row(row: &AnyRow) -> StorageResult<SessionCountsRow> {
    let id: String = row.try_get("id").map_err(db)?;
    Ok(SessionCountsRow {
        session: id.parse().map_err(|_| decode_err("session id"))?,
        date: parse_date(&row.try_get::<String, _>("date").map_err(db)?)?,
        vaccine: row.try_get("vaccine").map_err(db)?,
        cancelled: row.try_get::<String, _>("status").map_err(db)? == "cancelled",
        counts: SessionCounts {
            planned: count(row, "planned")?,
            booked: count(row, "booked")?,
            arrived_booked: count(row, "arrived_booked")?,
            walk_ins: count(row, "walk_ins")?,
            vaccinated: count(row, "vaccinated")?,
            doses_given: count(row, "doses_given")?,
            vials_opened: count(row, "vials_opened")?,
            doses_per_vial: opt_i(row, "doses_per_vial")?
                .map(|n| u16::try_from(n).map_err(|_| decode_err("doses_per_vial")))
                .transpose()?,
            messages_sent: count(row, "messages_sent")?,
            messages_delivered: count(row, "messages_delivered")?,
        },
    })
}

// ---------------------------------------------------------------------------------------------
// Targets

fn target_values(t: &Target) -> (i64, i64, String) {
    match &t.area {
        Area::National => (0, 0, String::new()),
        Area::State { state } => (state.0, 0, String::new()),
        Area::District { state, district } => (state.0, district.0, String::new()),
        Area::Block { state, district, block } | Area::Facility { state, district, block, .. } => {
            (state.0, district.0, normalize_block(block))
        }
    }
}

#[async_trait]
impl ReportStore for SqlStore {
    async fn fold_doses(
        &self,
        limit: u32,
        classify: PriorityClassifier,
    ) -> StorageResult<FoldOutcome> {
        let backend = self.backend;
        let limit = limit.max(1);
        self.write(Box::new(move |conn| {
            Box::pin(async move { fold(conn, backend, limit, classify).await })
        }))
        .await
    }

    async fn pending_doses(&self) -> StorageResult<u64> {
        let n: i64 =
            sqlx::query_scalar("SELECT COUNT(*) FROM vaccinations WHERE rollup_pending = 1")
                .fetch_one(&self.read)
                .await
                .map_err(db)?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn report(&self, query: &ReportQuery) -> StorageResult<Vec<ReportRow>> {
        match plan(query) {
            Source::Counters { level, lite } => self.report_from_counters(query, level, lite).await,
            Source::DoseKeys => {
                let rows = self.dose_keys(&query.filter.area).await?;
                Ok(aggregate(&rows, &query.filter, query.group_by))
            }
        }
    }

    async fn counted_doses(&self, area: &Area) -> StorageResult<Vec<(RollupKey, i64)>> {
        self.dose_keys(area).await
    }

    async fn pending_second(&self, area: &Area) -> StorageResult<Vec<(PendingSecondKey, i64)>> {
        let (sql, vals): (&str, Vec<Val>) = match area {
            Area::National => (
                "SELECT state_id, 0 AS district_id, '' AS block, 0 AS center_id, first_day, vaccine, \
                 CAST(SUM(people) AS BIGINT) AS n FROM rpt_pending_state \
                 GROUP BY state_id, first_day, vaccine",
                vec![],
            ),
            Area::State { state } => (
                "SELECT state_id, district_id, '' AS block, 0 AS center_id, first_day, vaccine, \
                 CAST(SUM(people) AS BIGINT) AS n FROM rpt_pending_district WHERE state_id = $1 \
                 GROUP BY state_id, district_id, first_day, vaccine",
                vec![Val::I(state.0)],
            ),
            Area::District { district, .. } => (
                "SELECT state_id, district_id, block, center_id, first_day, vaccine, \
                 CAST(SUM(people) AS BIGINT) AS n FROM rpt_pending_center WHERE district_id = $1 \
                 GROUP BY state_id, district_id, block, center_id, first_day, vaccine",
                vec![Val::I(district.0)],
            ),
            Area::Block { district, block, .. } => (
                "SELECT state_id, district_id, block, center_id, first_day, vaccine, \
                 CAST(SUM(people) AS BIGINT) AS n FROM rpt_pending_center \
                 WHERE district_id = $1 AND block = $2 \
                 GROUP BY state_id, district_id, block, center_id, first_day, vaccine",
                vec![Val::I(district.0), Val::T(normalize_block(block))],
            ),
            Area::Facility { center, .. } => (
                "SELECT state_id, district_id, block, center_id, first_day, vaccine, \
                 CAST(SUM(people) AS BIGINT) AS n FROM rpt_pending_center WHERE center_id = $1 \
                 GROUP BY state_id, district_id, block, center_id, first_day, vaccine",
                vec![Val::I(center.0)],
            ),
        };
        let mut q = sqlx::query(sql);
        for v in &vals {
            q = bind_val(q, v);
        }
        let mut out = Vec::new();
        for row in q.fetch_all(&self.read).await.map_err(db)? {
            let n: i64 = row.try_get("n").map_err(db)?;
            if n == 0 {
                continue;
            }
            out.push((
                PendingSecondKey {
                    first_dose_day: parse_date(
                        &row.try_get::<String, _>("first_day").map_err(db)?,
                    )?,
                    state: StateId(row.try_get("state_id").map_err(db)?),
                    district: DistrictId(row.try_get("district_id").map_err(db)?),
                    block: row.try_get("block").map_err(db)?,
                    center: CenterId(row.try_get("center_id").map_err(db)?),
                    vaccine: VaccineCode::parse(&row.try_get::<String, _>("vaccine").map_err(db)?)
                        .map_err(|_| decode_err("vaccine"))?,
                },
                n,
            ));
        }
        out.sort();
        Ok(out)
    }

    async fn replace_targets(
        &self,
        targets: &[Target],
        audit: &Change,
        now_ms: i64,
    ) -> StorageResult<()> {
        let targets = targets.to_vec();
        let audit = audit.clone();
        self.write(Box::new(move |conn| {
            Box::pin(async move {
                sqlx::query("DELETE FROM report_targets").execute(&mut *conn).await.map_err(db)?;
                for chunk in targets.chunks(ROWS_PER_STATEMENT) {
                    let values = (0..chunk.len())
                        .map(|r| {
                            let cells: Vec<String> = (1..=8).map(|c| ph(r * 8 + c)).collect();
                            format!("({})", cells.join(", "))
                        })
                        .collect::<Vec<_>>()
                        .join(", ");
                    let mut q = sqlx::query(AssertSqlSafe(format!(
                        "INSERT INTO report_targets (state_id, district_id, block, age_group, dose, \
                         population, uploaded_at, uploaded_by) VALUES {values}"
                    )));
                    for t in chunk {
                        let (state, district, block) = target_values(t);
                        q = q
                            .bind(state)
                            .bind(district)
                            .bind(block)
                            .bind(t.age_group.map(|a| a.as_str().to_owned()).unwrap_or_default())
                            .bind(t.dose.map(|d| d.as_str().to_owned()).unwrap_or_default())
                            .bind(i64::try_from(t.population_eligible).map_err(|_| {
                                StorageError::Other(anyhow::anyhow!("population out of range"))
                            })?)
                            .bind(now_ms)
                            .bind(audit.actor.clone());
                    }
                    // `TargetSet::build` refused repeats before this.
                    q.execute(&mut *conn).await.map_err(db)?;
                }
                write_change(conn, &audit).await
            })
        }))
        .await
    }

    async fn targets(&self) -> StorageResult<Vec<Target>> {
        let rows = sqlx::query(
            "SELECT state_id, district_id, block, age_group, dose, population FROM report_targets \
             ORDER BY state_id, district_id, block, age_group, dose",
        )
        .fetch_all(&self.read)
        .await
        .map_err(db)?;
        rows.iter()
            .map(|row| {
                let state: i64 = row.try_get("state_id").map_err(db)?;
                let district: i64 = row.try_get("district_id").map_err(db)?;
                let block: String = row.try_get("block").map_err(db)?;
                let area = match (state, district, block.is_empty()) {
                    (0, _, _) => Area::National,
                    (s, 0, _) => Area::State { state: StateId(s) },
                    (s, d, true) => Area::District { state: StateId(s), district: DistrictId(d) },
                    (s, d, false) => {
                        Area::Block { state: StateId(s), district: DistrictId(d), block }
                    }
                };
                let age: String = row.try_get("age_group").map_err(db)?;
                let dose: String = row.try_get("dose").map_err(db)?;
                let population: i64 = row.try_get("population").map_err(db)?;
                Ok(Target {
                    area,
                    age_group: if age.is_empty() {
                        None
                    } else {
                        Some(AgeGroup::parse(&age).ok_or_else(|| decode_err("age_group"))?)
                    },
                    dose: if dose.is_empty() {
                        None
                    } else {
                        Some(DoseBucket::parse(&dose).ok_or_else(|| decode_err("dose"))?)
                    },
                    population_eligible: u64::try_from(population)
                        .map_err(|_| decode_err("population"))?,
                })
            })
            .collect()
    }

    async fn session_counts(&self, session: SessionId) -> StorageResult<SessionCountsRow> {
        let row = sqlx::query(AssertSqlSafe(format!("{SESSION_COUNTS} WHERE s.id = $1")))
            .bind(session.to_string())
            .fetch_optional(&self.read)
            .await
            .map_err(db)?
            .ok_or(StorageError::NotFound)?;
        session_row(&row)
    }

    async fn facility_session_counts(
        &self,
        center: CenterId,
        from: NaiveDate,
        until: NaiveDate,
    ) -> StorageResult<Vec<SessionCountsRow>> {
        let rows = sqlx::query(AssertSqlSafe(format!(
            "{SESSION_COUNTS} WHERE s.center_id = $1 AND s.date >= $2 AND s.date <= $3 \
             ORDER BY s.date, s.id"
        )))
        .bind(center.0)
        .bind(date_str(from))
        .bind(date_str(until))
        .fetch_all(&self.read)
        .await
        .map_err(db)?;
        rows.iter().map(session_row).collect()
    }

    async fn center_names(
        &self,
        ids: &[CenterId],
    ) -> StorageResult<Vec<(CenterId, String, String)>> {
        let mut out = Vec::with_capacity(ids.len());
        for chunk in ids.chunks(ROWS_PER_STATEMENT) {
            let list = (1..=chunk.len()).map(ph).collect::<Vec<_>>().join(", ");
            let mut q = sqlx::query(AssertSqlSafe(format!(
                "SELECT id, name, name_l FROM centers WHERE id IN ({list}) ORDER BY id"
            )));
            for id in chunk {
                q = q.bind(id.0);
            }
            for row in q.fetch_all(&self.read).await.map_err(db)? {
                out.push((
                    CenterId(row.try_get("id").map_err(db)?),
                    row.try_get("name").map_err(db)?,
                    row.try_get("name_l").map_err(db)?,
                ));
            }
        }
        Ok(out)
    }

    async fn add_simulated_counts(
        &self,
        doses: &[(RollupKey, i64)],
        pending: &[(PendingSecondKey, i64)],
    ) -> StorageResult<()> {
        let mut d: HashMap<RollupKey, i64> = HashMap::with_capacity(doses.len());
        for (k, n) in doses {
            *d.entry(k.clone()).or_insert(0) += n;
        }
        let mut p: HashMap<PendingSecondKey, i64> = HashMap::with_capacity(pending.len());
        for (k, n) in pending {
            *p.entry(k.clone()).or_insert(0) += n;
        }
        self.write(Box::new(move |conn| Box::pin(async move { apply_deltas(conn, &d, &p).await })))
            .await
    }

    async fn insert_simulated_doses(
        &self,
        people: &[SimulatedPerson],
        doses: &[SimulatedDose],
        now_ms: i64,
    ) -> StorageResult<()> {
        let people = people.to_vec();
        let doses = doses.to_vec();
        self.write(Box::new(move |conn| {
            Box::pin(async move {
                let account = uuid::Uuid::now_v7().to_string();
                if !people.is_empty() {
                    sqlx::query(
                        "INSERT INTO accounts (id, mobile, language, created_at) VALUES ($1, $2, 'en', $3)",
                    )
                    .bind(account.clone())
                    .bind(format!("sim-{account}"))
                    .bind(now_ms)
                    .execute(&mut *conn)
                    .await
                    .map_err(db)?;
                }
                for chunk in people.chunks(ROWS_PER_STATEMENT) {
                    let values = (0..chunk.len())
                        .map(|r| {
                            let c: Vec<String> = (1..=10).map(|c| ph(r * 10 + c)).collect();
                            format!("({})", c.join(", "))
                        })
                        .collect::<Vec<_>>()
                        .join(", ");
                    let mut q = sqlx::query(AssertSqlSafe(format!(
                        "INSERT INTO beneficiaries (id, reference_id, account_id, name, birth_year, \
                         gender_id, photo_id_type, photo_id_hash, photo_id_last4, created_at) VALUES {values}"
                    )));
                    for p in chunk {
                        let id = p.id.to_string();
                        q = q
                            .bind(id.clone())
                            .bind(format!("SIM{}", id.replace('-', "")))
                            .bind(account.clone())
                            .bind("Simulated person")
                            .bind(i64::from(p.birth_year.get()))
                            .bind(p.gender_id)
                            .bind(0_i64)
                            .bind(format!("sim:{id}"))
                            .bind("0000")
                            .bind(now_ms);
                    }
                    q.execute(&mut *conn).await.map_err(db)?;
                }
                for chunk in doses.chunks(ROWS_PER_STATEMENT) {
                    let values = (0..chunk.len())
                        .map(|r| {
                            let c: Vec<String> = (1..=7).map(|c| ph(r * 7 + c)).collect();
                            format!("({})", c.join(", "))
                        })
                        .collect::<Vec<_>>()
                        .join(", ");
                    let mut q = sqlx::query(AssertSqlSafe(format!(
                        "INSERT INTO vaccinations (id, beneficiary_id, dose, vaccine, date, center_id, \
                         created_at) VALUES {values}"
                    )));
                    for d in chunk {
                        q = q
                            .bind(d.id.to_string())
                            .bind(d.beneficiary.to_string())
                            .bind(i64::from(d.dose.get()))
                            .bind(d.vaccine.as_str().to_owned())
                            .bind(date_str(d.date))
                            .bind(d.center.0)
                            .bind(now_ms);
                    }
                    q.execute(&mut *conn).await.map_err(db)?;
                }
                Ok(())
            })
        }))
        .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        parse_date(s).unwrap_or(NaiveDate::MIN)
    }

    #[test]
    fn whole_months_inside_a_range() {
        let w = |a: &str, b: &str| whole_months(d(a), d(b));
        // A year from the first: twelve whole months.
        assert_eq!(w("2021-01-01", "2021-12-31"), Some((d("2021-01-01"), d("2021-12-31"))));
        // Ragged edges: only the months between them.
        assert_eq!(w("2021-01-16", "2021-04-10"), Some((d("2021-02-01"), d("2021-03-31"))));
        // February of a leap year ends on the 29th.
        assert_eq!(w("2024-02-01", "2024-02-29"), Some((d("2024-02-01"), d("2024-02-29"))));
        assert_eq!(w("2024-02-01", "2024-02-28"), None);
        // Inside one month, or across one boundary without a whole month: none.
        assert_eq!(w("2021-05-02", "2021-05-31"), None);
        assert_eq!(w("2021-05-20", "2021-06-10"), None);
        assert_eq!(w("2021-12-15", "2022-01-31"), Some((d("2022-01-01"), d("2022-01-31"))));
    }
}
