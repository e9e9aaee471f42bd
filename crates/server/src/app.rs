//! Start-up: build the state, bind the socket, serve, refresh the cache, shut down cleanly.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Router;
use axum::extract::{MatchedPath, Request, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use tika_domain::country::CountryPack;
use tika_storage::DynStore;
use tokio::net::TcpListener;
use tower_http::cors::{Any, CorsLayer};

use crate::cache::SessionCache;
use crate::clock::Clock;
use crate::config::ServerConfig;
use crate::keys::Keys;
use crate::metrics::Metrics;
use crate::services::search::ResponseCache;
use crate::state::{AppState, Inner, Limits};

/// What the server is built from.
pub struct Parts {
    /// Settings.
    pub config: ServerConfig,
    /// Database.
    pub store: DynStore,
    /// Country pack.
    pub pack: Arc<CountryPack>,
    /// Keys.
    pub keys: Keys,
    /// The SMS gateways.
    pub sms: Arc<crate::sms::GatewayPool>,
    /// Message templates.
    pub templates: Arc<tika_domain::templates::TemplateSet>,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// The certificate issuer; `None` leaves certificates unconfigured.
    pub certificates: Option<Arc<crate::services::certificates::Authority>>,
}

/// Builds the shared state (loads the search cache).
pub async fn build_state(parts: Parts) -> anyhow::Result<AppState> {
    let Parts { config, store, pack, keys, sms, templates, clock, certificates } = parts;
    let today = crate::clock::local_today(clock.now(), pack.timezone_offset_minutes);
    let cache = SessionCache::load(
        Arc::clone(&store),
        Arc::clone(&pack),
        today,
        clock.now().timestamp_millis(),
    )
    .await?;
    let limits = Limits::new(&config);
    let read_only_otps = config.read_only.then(crate::otp_book::MemoryOtps::default);
    let policies = crate::services::admin::policy::PolicySet::load(
        &store,
        &pack,
        Arc::new(tika_packs::india_comorbidities()?),
    )
    .await?;
    Ok(AppState::new(Inner {
        store,
        pack,
        cache,
        responses: ResponseCache::default(),
        keys,
        config,
        sms,
        templates,
        dispatch_wake: tokio::sync::Notify::new(),
        clock,
        metrics: Metrics::new()?,
        limits,
        certificates,
        read_only_otps,
        policies: arc_swap::ArcSwap::from_pointee(policies),
        dashboards: crate::services::dashboard::DashboardCache::default(),
    }))
}

/// The whole router: API, pages, health, metrics, with CORS and request metrics.  A read-only
/// server ([`ServerConfig::read_only`]) answers certificate download and verification only.
pub fn router(state: AppState) -> Router {
    let cors = CorsLayer::new()
        .allow_origin(Any)
        .allow_methods(Any)
        .allow_headers(Any)
        .max_age(Duration::from_secs(3600));
    let read_only = state.config.read_only;
    // The API's own fallback sits inside the CORS layer, so browsers can read its 404s too.
    let api = if read_only {
        crate::api::read_only_router().fallback(|| async { read_only_refusal() })
    } else {
        crate::api::router()
            .route("/openapi.json", get(openapi))
            .fallback(|| async { crate::error::ApiError::NotFound })
    }
    .layer(cors);
    let pages = if read_only {
        crate::pages::verify_router().fallback(|| async { read_only_refusal() })
    } else {
        crate::pages::router()
    };
    Router::new()
        .nest("/api", api)
        .merge(pages)
        // The public dashboard: outside the pages' middleware (no cookies), on a read-only
        // server too (it reads counters only).
        .merge(crate::pages::dashboard::router())
        .route("/.well-known/tika/keys.json", get(crate::api::certificates::public_keys))
        .route("/.well-known/tika/revocations.jws", get(crate::api::certificates::revocations))
        .route("/healthz", get(|| async { "ok" }))
        .route("/readyz", get(readyz))
        .route("/metrics", get(metrics))
        .layer(middleware::from_fn_with_state(state.clone(), track))
        // 1 MiB for every body read by an extractor; the bulk-list upload routes set their own,
        // larger limit on their routes (an inner `DefaultBodyLimit` wins).
        .layer(axum::extract::DefaultBodyLimit::max(1024 * 1024))
        .with_state(state)
}

/// What a read-only server says to everything but certificates.
fn read_only_refusal() -> crate::error::ApiError {
    crate::error::ApiError::ReadOnly
}

/// The served OpenAPI document (kept in step with the routes by a test).
pub const OPENAPI_JSON: &str = include_str!("../openapi.json");

async fn openapi() -> Response {
    let mut res = OPENAPI_JSON.into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    res
}

async fn readyz(State(state): State<AppState>) -> Response {
    match state.store.ping().await {
        Ok(()) => (StatusCode::OK, "ready").into_response(),
        Err(e) => {
            tracing::warn!(error = %e, "not ready");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable").into_response()
        }
    }
}

async fn metrics(State(state): State<AppState>) -> String {
    crate::services::notifications::update_queue_metrics(&state).await;
    state
        .metrics
        .cache_sessions
        .set(i64::try_from(state.cache.index().sessions.len()).unwrap_or(0));
    state.metrics.cache_age_ms.set(state.cache.age_ms(state.now_ms()));
    state.metrics.render()
}

async fn track(State(state): State<AppState>, req: Request, next: Next) -> Response {
    let route = req
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let method = req.method().as_str().to_owned();
    let started = Instant::now();
    let res = next.run(req).await;
    let status = res.status().as_u16().to_string();
    state.metrics.http_requests.with_label_values(&[&route, &method, &status]).inc();
    state
        .metrics
        .http_latency
        .with_label_values(&[&route])
        .observe(started.elapsed().as_secs_f64());
    res
}

/// Refreshes the search cache every second, and the policy versions every 30 seconds, until
/// the process stops.
pub fn spawn_cache_refresher(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut tick = tokio::time::interval(Duration::from_secs(1));
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut ticks: u64 = 0;
        loop {
            tick.tick().await;
            if let Err(e) = state.cache.refresh(state.today(), state.now_ms()).await {
                tracing::warn!(error = %e, "search cache refresh failed; serving the last index");
            }
            // Policy versions other processes added.
            ticks += 1;
            if ticks.is_multiple_of(crate::services::admin::policy::REFRESH_SECS) {
                crate::services::admin::policy::refresh(&state).await;
            }
        }
    })
}

/// A built server: bound, not yet serving.
pub struct Application {
    listener: TcpListener,
    state: AppState,
}

impl Application {
    /// Builds the state and binds the socket (port 0 picks a free one).
    pub async fn build(parts: Parts) -> anyhow::Result<Self> {
        let listen = parts.config.listen;
        let state = build_state(parts).await?;
        let listener = TcpListener::bind(listen).await?;
        Ok(Self { listener, state })
    }

    /// The bound address.
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The shared state (for tests and the demo loader).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `shutdown` resolves, then drains in-flight requests.
    pub async fn run_until(
        self,
        shutdown: impl std::future::Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let refresher = spawn_cache_refresher(self.state.clone());
        // A read-only server writes nothing, so it issues nothing.
        let worker = (!self.state.config.read_only && self.state.certificates.is_some())
            .then(|| crate::services::certificates::spawn_worker(self.state.clone()));
        // Reports: doses counted into the roll-ups every second (a read-only server writes none).
        let folder = (!self.state.config.read_only)
            .then(|| crate::services::reports::spawn_fold_worker(self.state.clone()));
        // Messages: the planner and both dispatch lanes (a read-only server sends nothing).
        let mut messaging = Vec::new();
        if !self.state.config.read_only && self.state.config.sms.workers {
            messaging
                .push(crate::services::notifications::dispatch::spawn_planner(self.state.clone()));
            messaging.extend(crate::services::notifications::dispatch::spawn_dispatcher(
                self.state.clone(),
            ));
        }
        // Cold chain: the MQTT ingester, when a broker is configured.
        let ingest = (!self.state.config.read_only)
            .then(|| crate::services::coldchain::ingest::spawn_for_state(&self.state))
            .flatten();
        let app = router(self.state);
        let res =
            axum::serve(self.listener, app.into_make_service_with_connect_info::<SocketAddr>())
                .with_graceful_shutdown(shutdown)
                .await;
        refresher.abort();
        if let Some(w) = worker {
            w.abort();
        }
        if let Some(f) = folder {
            f.abort();
        }
        for w in messaging {
            w.abort();
        }
        if let Some(i) = ingest {
            i.shutdown().await;
        }
        res
    }
}
