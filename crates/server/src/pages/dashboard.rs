//! The public dashboard (issue 8): no login, English and Hindi, cacheable.
//!
//! | route | what |
//! |---|---|
//! | `GET /dashboard?state=&lang=` | the page: totals, today's doses (refreshed live by `dashboard.js`), doses per day, a map, the table of areas |
//! | `GET /dashboard/dashboard.js` | the live refresh (polls the JSON API every 10 s) |
//! | `GET /dashboard/data/areas.csv?state=` | open data: the table of areas |
//! | `GET /dashboard/data/daily.csv?state=` | open data: doses per day |
//! | `GET /api/public/v1/dashboard?state=` | everything as JSON (registered in `api`) |
//!
//! These routes sit outside the pages' middleware: they set no cookie and read none but the
//! language one, so a shared cache can keep them.  Every body comes from
//! [`crate::services::dashboard::DashboardCache`] (computed at most once per two seconds per
//! scope, language and format), carries an entity tag, answers `If-None-Match` with 304 and
//! says `Cache-Control: public, max-age=5`.

use std::collections::HashMap;

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde::Deserialize;

use super::charts::{self, MapLevel};
use super::context::cookie;
use super::i18n::{self, Texts, fill};
use crate::error::{ApiError, ApiResult};
use crate::services::dashboard::{self, Dashboard, Kept, Scope};
use crate::services::search::Lang;
use crate::state::AppState;

const DASHBOARD_JS: &str = include_str!("../../static/dashboard.js");
const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
                   object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// The dashboard's routes (the JSON API is in `api`).
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/dashboard", get(page))
        .route("/dashboard/", get(page))
        .route(
            "/dashboard/dashboard.js",
            get(|| async {
                (
                    [
                        (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
                        (header::CACHE_CONTROL, "public, max-age=3600"),
                    ],
                    DASHBOARD_JS,
                )
            }),
        )
        .route("/dashboard/data/areas.csv", get(areas_csv))
        .route("/dashboard/data/daily.csv", get(daily_csv))
}

/// The dashboard's JSON route, nested under `/api` by `api::router` (on a read-only server too).
pub(crate) fn api_router() -> Router<AppState> {
    Router::new().route("/public/v1/dashboard", get(api))
}

/// The query of every dashboard route.
#[derive(Debug, Deserialize)]
pub(crate) struct DashQuery {
    state: Option<String>,
    lang: Option<String>,
}

fn scope_key(scope: Scope) -> String {
    match scope {
        Scope::Nation => "nation".to_owned(),
        Scope::State { state_id } => format!("state-{}", state_id.0),
    }
}

/// A kept body as a response: 304 when the client has it, else the body with its type.
fn respond(headers: &HeaderMap, kept: Kept, content_type: &'static str, vary: bool) -> Response {
    let fresh = headers
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == &*kept.etag || t.trim() == "*"));
    let mut res = if fresh {
        StatusCode::NOT_MODIFIED.into_response()
    } else {
        ([(header::CONTENT_TYPE, content_type)], kept.body.as_ref().clone()).into_response()
    };
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&kept.etag) {
        h.insert(header::ETAG, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=5"));
    h.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    if vary {
        h.insert(header::VARY, HeaderValue::from_static("Accept-Language, Cookie"));
    }
    res
}

async fn kept_dashboard(state: &AppState, scope: Scope, format: &str) -> ApiResult<Kept> {
    let key = format!("{}:{format}", scope_key(scope));
    let s = state.clone();
    let format = format.to_owned();
    state
        .dashboards
        .get_or_make(key, move || async move {
            let d = dashboard::compute(&s, scope).await?;
            Ok(match format.as_str() {
                "areas.csv" => dashboard::areas_csv(&d).into_bytes(),
                "daily.csv" => dashboard::daily_csv(&d).into_bytes(),
                _ => serde_json::to_vec(&d)
                    .map_err(|e| ApiError::Internal(anyhow::anyhow!("dashboard JSON: {e}")))?,
            })
        })
        .await
}

/// `GET /api/public/v1/dashboard?state=`: the dashboard as JSON.
pub(crate) async fn api(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<DashQuery>,
) -> ApiResult<Response> {
    let scope = Scope::parse(&state, q.state.as_deref())?;
    let kept = kept_dashboard(&state, scope, "json").await?;
    let mut res = respond(&headers, kept, "application/json", false);
    res.headers_mut().insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, HeaderValue::from_static("*"));
    Ok(res)
}

async fn areas_csv(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<DashQuery>,
) -> ApiResult<Response> {
    let scope = Scope::parse(&state, q.state.as_deref())?;
    let kept = kept_dashboard(&state, scope, "areas.csv").await?;
    let mut res = respond(&headers, kept, "text/csv; charset=utf-8", false);
    let name = format!("attachment; filename=\"tika-dashboard-{}-areas.csv\"", scope_key(scope));
    if let Ok(v) = HeaderValue::from_str(&name) {
        res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(res)
}

async fn daily_csv(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<DashQuery>,
) -> ApiResult<Response> {
    let scope = Scope::parse(&state, q.state.as_deref())?;
    let kept = kept_dashboard(&state, scope, "daily.csv").await?;
    let mut res = respond(&headers, kept, "text/csv; charset=utf-8", false);
    let name = format!("attachment; filename=\"tika-dashboard-{}-daily.csv\"", scope_key(scope));
    if let Ok(v) = HeaderValue::from_str(&name) {
        res.headers_mut().insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(res)
}

/// A figure as shown: Indian grouping, or "fewer than 10" when hidden.
#[derive(Debug, Clone)]
pub(crate) struct Cell {
    text: String,
    hidden: bool,
}

fn cell(t: &Texts, threshold: i64, v: Option<i64>) -> Cell {
    match v {
        Some(v) => Cell { text: charts::indian(v), hidden: false },
        None => Cell { text: fill(t.db_hidden, &[("n", &threshold.to_string())]), hidden: true },
    }
}

fn percent(v: Option<f64>) -> String {
    v.map(|p| format!("{p:.1}%")).unwrap_or_else(|| "–".to_owned())
}

/// A dose tile.
pub(crate) struct Tile {
    label: &'static str,
    value: Cell,
    coverage: Option<String>,
}

/// A row of the table of areas.
pub(crate) struct AreaLine {
    id: i64,
    name: String,
    href: Option<String>,
    today: Cell,
    total: Cell,
    dose1: Cell,
    dose2: Cell,
    precaution: Cell,
    cov1: String,
    cov2: String,
}

/// `<option>` of the state picker.
pub(crate) struct StateOpt {
    value: String,
    label: String,
    selected: bool,
}

#[derive(Template)]
#[template(path = "dashboard.html")]
struct DashboardPage {
    lang: &'static str,
    t: &'static Texts,
    toggle_href: String,
    title: String,
    intro: String,
    state_param: String,
    states: Vec<StateOpt>,
    today: Cell,
    total: Cell,
    tiles: Vec<Tile>,
    as_of: String,
    generated_at_ms: i64,
    series: String,
    map: String,
    areas_title: &'static str,
    lines: Vec<AreaLine>,
    csv_areas: String,
    csv_daily: String,
    json: String,
}

/// The page's language: `?lang=`, else the language cookie, else `Accept-Language`.
fn page_lang(headers: &HeaderMap, q: &DashQuery) -> Lang {
    q.lang
        .as_deref()
        .and_then(i18n::parse)
        .or_else(|| cookie(headers, super::context::LANG_COOKIE).and_then(|c| i18n::parse(&c)))
        .unwrap_or_else(|| {
            Lang::from_header(headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()))
        })
}

fn render(state: &AppState, d: &Dashboard, lang: Lang) -> ApiResult<Vec<u8>> {
    let t = i18n::texts(lang);
    let code = i18n::code(lang);
    let hi = lang == Lang::Hi;
    let threshold = d.suppression_threshold;
    let state_param = match d.scope {
        Scope::Nation => String::new(),
        Scope::State { state_id } => state_id.0.to_string(),
    };
    let q = if state_param.is_empty() { String::new() } else { format!("state={state_param}&") };
    let name = if hi { &d.name_hi } else { &d.name };
    let mut states: Vec<StateOpt> = state
        .pack
        .states
        .iter()
        .map(|st| StateOpt {
            value: st.id.0.to_string(),
            label: if hi && !st.name_l.is_empty() { st.name_l.clone() } else { st.name.clone() },
            selected: st.id.0.to_string() == state_param,
        })
        .collect();
    states.sort_by(|a, b| a.label.cmp(&b.label));
    let dose_label = |dose: &str| match dose {
        "first" => t.db_dose1,
        "second" => t.db_dose2,
        _ => t.db_precaution,
    };
    let tiles = d
        .by_dose
        .iter()
        .map(|f| Tile {
            label: dose_label(f.dose),
            value: cell(t, threshold, f.total),
            coverage: f.coverage_percent.map(|p| fill(t.db_coverage, &[("p", &format!("{p:.1}"))])),
        })
        .collect();
    let points: Vec<(chrono::NaiveDate, Option<i64>)> =
        d.daily.iter().map(|f| (f.date, f.doses)).collect();
    let series = charts::time_series(t.db_daily, &points, code);
    let coverage = d.areas.iter().any(|a| a.dose1_coverage_percent.is_some());
    let values: HashMap<i64, f64> = d
        .areas
        .iter()
        .filter_map(|a| {
            let v = if coverage { a.dose1_coverage_percent? } else { a.total? as f64 };
            Some((a.id, v))
        })
        .collect();
    let level = match d.scope {
        Scope::Nation => MapLevel::State,
        Scope::State { .. } => MapLevel::District,
    };
    let map_title =
        if coverage { format!("{} (%)", t.db_map_coverage) } else { t.db_map_doses.to_owned() };
    let map = charts::india_map(&state.pack, level, &values, &map_title, code);
    let lines = d
        .areas
        .iter()
        .map(|a| AreaLine {
            id: a.id,
            name: if hi { a.name_hi.clone() } else { a.name.clone() },
            href: matches!(d.scope, Scope::Nation)
                .then(|| format!("/dashboard?state={}&lang={code}", a.id)),
            today: cell(t, threshold, a.today),
            total: cell(t, threshold, a.total),
            dose1: cell(t, threshold, a.dose1),
            dose2: cell(t, threshold, a.dose2),
            precaution: cell(t, threshold, a.precaution),
            cov1: percent(a.dose1_coverage_percent),
            cov2: percent(a.dose2_coverage_percent),
        })
        .collect();
    let other = if hi { "en" } else { "hi" };
    let page = DashboardPage {
        lang: code,
        t,
        toggle_href: format!("/dashboard?{q}lang={other}"),
        title: format!("{} · {name}", t.db_title),
        intro: fill(t.db_intro, &[("n", &threshold.to_string())]),
        state_param: state_param.clone(),
        states,
        today: cell(t, threshold, d.today),
        total: cell(t, threshold, d.total),
        tiles,
        as_of: fill(
            t.db_as_of,
            &[("time", &crate::services::reports::local_time(state, d.generated_at_ms))],
        ),
        generated_at_ms: d.generated_at_ms,
        series,
        map,
        areas_title: match d.scope {
            Scope::Nation => t.db_states,
            Scope::State { .. } => t.db_districts,
        },
        lines,
        csv_areas: format!("/dashboard/data/areas.csv?{}", q.trim_end_matches('&')),
        csv_daily: format!("/dashboard/data/daily.csv?{}", q.trim_end_matches('&')),
        json: format!("/api/public/v1/dashboard?{}", q.trim_end_matches('&')),
    };
    page.render()
        .map(String::into_bytes)
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("dashboard page: {e}")))
}

async fn page(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(q): Query<DashQuery>,
) -> Response {
    let lang = page_lang(&headers, &q);
    let scope = match Scope::parse(&state, q.state.as_deref()) {
        Ok(s) => s,
        Err(e) => return e.into_response(),
    };
    let key = format!("{}:html-{}", scope_key(scope), i18n::code(lang));
    let s = state.clone();
    let kept = state
        .dashboards
        .get_or_make(key, move || async move {
            let d = dashboard::compute(&s, scope).await?;
            render(&s, &d, lang)
        })
        .await;
    match kept {
        Ok(kept) => {
            let mut res = respond(&headers, kept, "text/html; charset=utf-8", q.lang.is_none());
            let h = res.headers_mut();
            h.insert(header::CONTENT_SECURITY_POLICY, HeaderValue::from_static(CSP));
            h.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
            h.insert(header::REFERRER_POLICY, HeaderValue::from_static("same-origin"));
            res
        }
        Err(e) => e.into_response(),
    }
}
