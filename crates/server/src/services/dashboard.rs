//! The public dashboard (issue 8): national and state figures anyone may read without login,
//! with small counts hidden, computed from the report counters and kept for [`CACHE_FOR`] so a
//! crowd costs one computation per scope every two seconds.
//!
//! A dashboard covers a scope, the nation or one state, and publishes fixed tables only (no
//! free filters, so counts cannot be differenced across queries):
//! - today's doses and all doses to date, by dose (1, 2, precaution), with coverage where
//!   targets are uploaded;
//! - doses per day over the last [`SERIES_DAYS`] days;
//! - the areas one level down (states of the nation, districts of a state): today's doses, all
//!   doses, doses 1, 2 and precaution, and coverage of doses 1 and 2.
//!
//! Every table goes through [`Suppression::PUBLIC`] ([`Suppression::apply`] for the series and
//! the dose table, [`Suppression::grid`] for the areas, whose dose columns add up to the
//! total).  No personal data is read: the counters hold counts only.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use serde::Serialize;
use tika_domain::admin::Area;
use tika_domain::ids::StateId;
use tika_domain::reports::{
    DoseBucket, GroupBy, GroupValue, ReportFilter, ReportQuery, ReportRow, Suppression, TargetSet,
    apply_targets,
};

use crate::error::{ApiError, ApiResult};
use crate::state::AppState;

/// How long a computed dashboard is served before it is computed again.
pub const CACHE_FOR: Duration = Duration::from_secs(2);
/// Days in the doses-per-day series.
pub const SERIES_DAYS: i64 = 30;

/// What a dashboard covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "level", rename_all = "snake_case")]
pub enum Scope {
    /// The whole country; areas are states.
    Nation,
    /// One state; areas are its districts.
    State {
        /// The state.
        state_id: StateId,
    },
}

impl Scope {
    /// Reads `?state=` (absent or empty: the nation).  An unknown state is a 400 with the
    /// CoWIN-style field error.
    pub fn parse(state: &AppState, raw: Option<&str>) -> ApiResult<Scope> {
        let Some(raw) = raw.map(str::trim).filter(|s| !s.is_empty()) else {
            return Ok(Scope::Nation);
        };
        let id = raw
            .parse::<i64>()
            .ok()
            .map(StateId)
            .filter(|id| state.pack.state(*id).is_some())
            .ok_or_else(|| ApiError::BadRequest {
                code: "APPOIN0040",
                message: format!("Invalid state_id: {raw}"),
            })?;
        Ok(Scope::State { state_id: id })
    }

    fn area(self) -> Area {
        match self {
            Scope::Nation => Area::National,
            Scope::State { state_id } => Area::State { state: state_id },
        }
    }
}

/// A figure per dose, nationally or in the state.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DoseFigure {
    /// `first`, `second` or `precaution`.
    pub dose: &'static str,
    /// Doses given today (hidden: `null`).
    pub today: Option<i64>,
    /// Doses given to date.
    pub total: Option<i64>,
    /// Doses to date against the eligible population, when targets are uploaded.
    pub coverage_percent: Option<f64>,
}

/// One day of the series.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct DayFigure {
    /// The day.
    pub date: NaiveDate,
    /// Doses that day (hidden: `null`).
    pub doses: Option<i64>,
}

/// One area one level down.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AreaFigure {
    /// State or district id.
    pub id: i64,
    /// Its name in English.
    pub name: String,
    /// Its name in Hindi, where the pack has one.
    pub name_hi: String,
    /// Doses given today.
    pub today: Option<i64>,
    /// All doses to date.
    pub total: Option<i64>,
    /// First doses to date.
    pub dose1: Option<i64>,
    /// Second doses to date.
    pub dose2: Option<i64>,
    /// Precaution doses to date.
    pub precaution: Option<i64>,
    /// First doses against the eligible population.
    pub dose1_coverage_percent: Option<f64>,
    /// Second doses against the eligible population.
    pub dose2_coverage_percent: Option<f64>,
}

/// A dashboard: what `/dashboard` shows and `/api/public/v1/dashboard` returns.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Dashboard {
    /// Its scope.
    pub scope: Scope,
    /// The scope's name in English and Hindi (`India`, a state).
    pub name: String,
    /// The scope's name in Hindi.
    pub name_hi: String,
    /// Today in the country's time zone.
    pub as_of: NaiveDate,
    /// When it was computed (unix ms).
    pub generated_at_ms: i64,
    /// Counts under this are hidden (`null`).
    pub suppression_threshold: i64,
    /// Doses today, every dose.
    pub today: Option<i64>,
    /// Doses to date, every dose.
    pub total: Option<i64>,
    /// By dose.
    pub by_dose: Vec<DoseFigure>,
    /// Doses per day, oldest first, ending today.
    pub daily: Vec<DayFigure>,
    /// The areas one level down, by name.
    pub areas: Vec<AreaFigure>,
}

/// Kept dashboards and rendered bodies: one slot per key, computed by one request at a time.
#[derive(Default)]
pub struct DashboardCache {
    slots: parking_lot::Mutex<HashMap<String, Arc<tokio::sync::Mutex<Option<Kept>>>>>,
}

/// A kept body: when it was made, its bytes and its entity tag.
#[derive(Clone)]
pub struct Kept {
    made: Instant,
    /// The body.
    pub body: Arc<Vec<u8>>,
    /// Its entity tag (quoted).
    pub etag: Arc<str>,
}

impl DashboardCache {
    /// The body kept under `key` if fresh, else the one `make` builds now (one caller builds,
    /// the others wait for it).  Keys are few and fixed (scope × language × format), so the
    /// map stays small.
    pub async fn get_or_make<F, Fut>(&self, key: String, make: F) -> ApiResult<Kept>
    where
        F: FnOnce() -> Fut,
        Fut: std::future::Future<Output = ApiResult<Vec<u8>>>,
    {
        let slot = Arc::clone(self.slots.lock().entry(key).or_default());
        let mut kept = slot.lock().await;
        if let Some(k) = kept.as_ref().filter(|k| k.made.elapsed() < CACHE_FOR) {
            return Ok(k.clone());
        }
        let body = make().await?;
        let etag: Arc<str> = format!("\"{}\"", &blake_like(&body)).into();
        let k = Kept { made: Instant::now(), body: Arc::new(body), etag };
        *kept = Some(k.clone());
        Ok(k)
    }
}

/// A short content hash for the entity tag (SHA-256, first 16 hex digits).
fn blake_like(body: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(&Sha256::digest(body)[..8])
}

fn query(area: Area, from: NaiveDate, until: NaiveDate, group_by: GroupBy) -> ReportQuery {
    ReportQuery { filter: ReportFilter { area, ..ReportFilter::nation(from, until) }, group_by }
}

/// Computes a dashboard now (the page and the API go through the cache instead).
pub async fn compute(state: &AppState, scope: Scope) -> ApiResult<Dashboard> {
    let today = state.today();
    let area = scope.area();
    let targets = TargetSet::build(state.store.targets().await?).map_err(|e| {
        ApiError::Internal(anyhow::anyhow!("stored targets repeat an area: {} problems", e.len()))
    })?;
    let s = Suppression::PUBLIC;

    // Doses per day.
    let from = today - chrono::Duration::days(SERIES_DAYS - 1);
    let days = state.store.report(&query(area.clone(), from, today, GroupBy::Day)).await?;
    let by_day: HashMap<NaiveDate, &ReportRow> = days
        .iter()
        .filter_map(|r| match r.group {
            GroupValue::Day(d) => Some((d, r)),
            _ => None,
        })
        .collect();
    // Every day of the window, zero where nothing was given, so the series has no gaps.
    let full: Vec<ReportRow> = {
        let mut cumulative_before = days.first().map_or(0, |r| r.cumulative - r.doses);
        (0..SERIES_DAYS)
            .map(|i| {
                let d = from + chrono::Duration::days(i);
                let doses = by_day.get(&d).map_or(0, |r| r.doses);
                cumulative_before += doses;
                ReportRow {
                    group: GroupValue::Day(d),
                    doses,
                    cumulative: cumulative_before,
                    coverage_percent: None,
                }
            })
            .collect()
    };
    let series = s.apply(&full);
    let daily = series
        .rows
        .iter()
        .filter_map(|r| match r.group {
            GroupValue::Day(date) => Some(DayFigure { date, doses: r.doses }),
            _ => None,
        })
        .collect();

    // By dose: today, to date, coverage.
    let mut doses = state.store.report(&query(area.clone(), today, today, GroupBy::Dose)).await?;
    let dose_filter = ReportFilter { area: area.clone(), ..ReportFilter::nation(today, today) };
    apply_targets(&mut doses, &dose_filter, &targets);
    let dose_rows: Vec<ReportRow> = DoseBucket::ALL
        .iter()
        .map(|b| {
            doses.iter().find(|r| r.group == GroupValue::Dose(*b)).cloned().unwrap_or(ReportRow {
                group: GroupValue::Dose(*b),
                doses: 0,
                cumulative: 0,
                coverage_percent: None,
            })
        })
        .collect();
    let dose_table = s.apply(&dose_rows);
    let by_dose = dose_table
        .rows
        .iter()
        .filter_map(|r| match r.group {
            GroupValue::Dose(b) => Some(DoseFigure {
                dose: b.as_str(),
                today: r.doses,
                total: r.cumulative,
                coverage_percent: r.coverage_percent,
            }),
            _ => None,
        })
        .collect();

    // Areas one level down: every dose today and to date, and each dose to date.
    let all = state.store.report(&query(area.clone(), today, today, GroupBy::Area)).await?;
    let mut per_dose: Vec<Vec<ReportRow>> = Vec::new();
    for b in DoseBucket::ALL {
        let filter = ReportFilter {
            area: area.clone(),
            dose: Some(b),
            ..ReportFilter::nation(today, today)
        };
        let mut rows = state
            .store
            .report(&ReportQuery { filter: filter.clone(), group_by: GroupBy::Area })
            .await?;
        apply_targets(&mut rows, &filter, &targets);
        per_dose.push(rows);
    }
    let mut ids: Vec<i64> = match scope {
        Scope::Nation => state.pack.states.iter().map(|st| st.id.0).collect(),
        Scope::State { state_id } => state.pack.districts_of(state_id).map(|d| d.id.0).collect(),
    };
    ids.sort_unstable();
    let id_of = |g: &GroupValue| match g {
        GroupValue::State(s) => Some(s.0),
        GroupValue::District(d) => Some(d.0),
        _ => None,
    };
    let find =
        |rows: &[ReportRow], id: i64| rows.iter().find(|r| id_of(&r.group) == Some(id)).cloned();
    // Columns: total, dose 1, dose 2, precaution, today.
    let cells: Vec<Vec<i64>> = ids
        .iter()
        .map(|id| {
            let a = find(&all, *id);
            let d = |k: usize| find(&per_dose[k], *id).map_or(0, |r| r.cumulative);
            vec![a.as_ref().map_or(0, |r| r.cumulative), d(0), d(1), d(2), a.map_or(0, |r| r.doses)]
        })
        .collect();
    let hidden = s.grid(&cells, &[(vec![1, 2, 3], 0)]);
    let shown = |r: usize, c: usize| (!hidden.cells[r][c]).then_some(cells[r][c]);
    let mut areas: Vec<AreaFigure> = ids
        .iter()
        .enumerate()
        .map(|(i, id)| {
            let coverage = |k: usize, c: usize| {
                if hidden.cells[i][c] {
                    None
                } else {
                    find(&per_dose[k], *id).and_then(|r| r.coverage_percent)
                }
            };
            let (name, name_hi) = match scope {
                Scope::Nation => state
                    .pack
                    .state(StateId(*id))
                    .map(|st| (st.name.clone(), st.name_l.clone()))
                    .unwrap_or_default(),
                Scope::State { .. } => state
                    .pack
                    .district(tika_domain::ids::DistrictId(*id))
                    .map(|d| (d.name.clone(), d.name.clone()))
                    .unwrap_or_default(),
            };
            AreaFigure {
                id: *id,
                name_hi: if name_hi.trim().is_empty() { name.clone() } else { name_hi },
                name,
                today: shown(i, 4),
                total: shown(i, 0),
                dose1: shown(i, 1),
                dose2: shown(i, 2),
                precaution: shown(i, 3),
                dose1_coverage_percent: coverage(0, 1),
                dose2_coverage_percent: coverage(1, 2),
            }
        })
        .collect();
    areas.sort_by(|a, b| a.name.cmp(&b.name));

    let total_today: i64 = dose_rows.iter().map(|r| r.doses).sum();
    let total: i64 = dose_rows.iter().map(|r| r.cumulative).sum();
    let small = |n: i64| n != 0 && n < s.threshold;
    let (name, name_hi) = match scope {
        Scope::Nation => (state.pack.name.clone(), "भारत".to_owned()),
        Scope::State { state_id } => state
            .pack
            .state(state_id)
            .map(|st| (st.name.clone(), st.name_l.clone()))
            .unwrap_or_default(),
    };
    Ok(Dashboard {
        scope,
        name_hi: if name_hi.trim().is_empty() { name.clone() } else { name_hi },
        name,
        as_of: today,
        generated_at_ms: state.now_ms(),
        suppression_threshold: s.threshold,
        today: (!small(total_today)).then_some(total_today),
        total: (!small(total)).then_some(total),
        by_dose,
        daily,
        areas,
    })
}

/// The open-data table of areas as CSV (hidden cells empty), with a comment-free header.
pub fn areas_csv(d: &Dashboard) -> String {
    let mut w = csv::Writer::from_writer(Vec::new());
    let level = match d.scope {
        Scope::Nation => "state",
        Scope::State { .. } => "district",
    };
    let head = [
        format!("{level}_id"),
        format!("{level}_name"),
        "as_of".into(),
        "doses_today".into(),
        "doses_total".into(),
        "dose1_total".into(),
        "dose2_total".into(),
        "precaution_total".into(),
        "dose1_coverage_percent".into(),
        "dose2_coverage_percent".into(),
    ];
    let _ = w.write_record(&head);
    let n = |v: Option<i64>| v.map(|v| v.to_string()).unwrap_or_default();
    let p = |v: Option<f64>| v.map(|v| format!("{v:.2}")).unwrap_or_default();
    for a in &d.areas {
        let _ = w.write_record([
            a.id.to_string(),
            a.name.clone(),
            d.as_of.to_string(),
            n(a.today),
            n(a.total),
            n(a.dose1),
            n(a.dose2),
            n(a.precaution),
            p(a.dose1_coverage_percent),
            p(a.dose2_coverage_percent),
        ]);
    }
    String::from_utf8(w.into_inner().unwrap_or_default()).unwrap_or_default()
}

/// The open-data series of doses per day as CSV (hidden days empty).
pub fn daily_csv(d: &Dashboard) -> String {
    let mut out = String::from("date,doses\n");
    for day in &d.daily {
        out.push_str(&format!(
            "{},{}\n",
            day.date,
            day.doses.map(|v| v.to_string()).unwrap_or_default()
        ));
    }
    out
}
