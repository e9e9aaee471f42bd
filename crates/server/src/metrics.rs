//! Prometheus metrics, served at `/metrics`.

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, Opts, Registry, TextEncoder,
};

/// The server's metrics.
#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    /// HTTP requests by route and status.
    pub http_requests: IntCounterVec,
    /// HTTP latency by route.
    pub http_latency: HistogramVec,
    /// Booking attempts by outcome.
    pub bookings: IntCounterVec,
    /// OTPs by outcome.
    pub otps: IntCounterVec,
    /// Registrations by outcome.
    pub registrations: IntCounterVec,
    /// Site records received, by whether the upload was applied or replayed.
    pub sync_records: IntCounterVec,
    /// Certificate jobs by event kind and outcome.
    pub certificates: IntCounterVec,
    /// Sessions held by the search cache.
    pub cache_sessions: IntGauge,
    /// Age of the search cache's last refresh, in milliseconds.
    pub cache_age_ms: IntGauge,
}

impl Metrics {
    /// Registers every metric.
    pub fn new() -> anyhow::Result<Self> {
        let registry = Registry::new_custom(Some("tika".into()), None)?;
        let http_requests = IntCounterVec::new(
            Opts::new("http_requests_total", "HTTP requests"),
            &["route", "method", "status"],
        )?;
        let http_latency = HistogramVec::new(
            HistogramOpts::new("http_request_duration_seconds", "HTTP latency").buckets(vec![
                0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
            ]),
            &["route"],
        )?;
        let bookings =
            IntCounterVec::new(Opts::new("bookings_total", "Booking attempts"), &["outcome"])?;
        let otps = IntCounterVec::new(
            Opts::new("otp_total", "OTP requests and confirmations"),
            &["step", "outcome"],
        )?;
        let registrations =
            IntCounterVec::new(Opts::new("registrations_total", "Registrations"), &["outcome"])?;
        let sync_records = IntCounterVec::new(
            Opts::new("sync_records_total", "Site records received"),
            &["upload"],
        )?;
        let certificates = IntCounterVec::new(
            Opts::new("certificate_jobs_total", "Certificate jobs by event kind and outcome"),
            &["kind", "outcome"],
        )?;
        let cache_sessions =
            IntGauge::new("search_cache_sessions", "Sessions in the search cache")?;
        let cache_age_ms =
            IntGauge::new("search_cache_age_ms", "Milliseconds since the last cache refresh")?;
        for c in [&http_requests, &bookings, &otps, &registrations, &sync_records, &certificates] {
            registry.register(Box::new(c.clone()))?;
        }
        registry.register(Box::new(http_latency.clone()))?;
        registry.register(Box::new(cache_sessions.clone()))?;
        registry.register(Box::new(cache_age_ms.clone()))?;
        Ok(Self {
            registry,
            http_requests,
            http_latency,
            bookings,
            otps,
            registrations,
            sync_records,
            certificates,
            cache_sessions,
            cache_age_ms,
        })
    }

    /// The text exposition format.
    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        if TextEncoder::new().encode(&self.registry.gather(), &mut buf).is_err() {
            return String::new();
        }
        String::from_utf8(buf).unwrap_or_default()
    }
}
