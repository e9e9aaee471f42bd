//! Prometheus metrics, served at `/metrics`.

use prometheus::{
    Encoder, HistogramOpts, HistogramVec, IntCounterVec, IntGauge, IntGaugeVec, Opts, Registry,
    TextEncoder,
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
    /// Messages planned from events, by message kind (or event kind) and outcome.
    pub messages_planned: IntCounterVec,
    /// Dispatch outcomes (`sent`, `retry`, `deferred`, `failed`, `expired`).
    pub messages_sent: IntCounterVec,
    /// Delivery reports by state.
    pub delivery_reports: IntCounterVec,
    /// Incoming SMS by keyword.
    pub inbound_sms: IntCounterVec,
    /// Messages queued and due now, per lane (`otp`, `transactional`, `bulk`).
    pub queue_due: IntGaugeVec,
    /// Age in ms of the oldest due message, per lane (0 when none is due).
    pub queue_oldest_ms: IntGaugeVec,
    /// Messages queued for later (reminders, deferred).
    pub queue_scheduled: IntGauge,
    /// Gateways answering (1) or in cool-down (0).
    pub gateway_up: IntGaugeVec,
    /// Sessions held by the search cache.
    pub cache_sessions: IntGauge,
    /// Age of the search cache's last refresh, in milliseconds.
    pub cache_age_ms: IntGauge,
    /// The cold chain ingester's counters (`messages`, `readings_stored`, `duplicates`,
    /// `malformed_json`, …), by counter name.
    pub coldchain_ingest: IntCounterVec,
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
        let messages_planned = IntCounterVec::new(
            Opts::new("messages_planned_total", "Messages planned from events"),
            &["kind", "outcome"],
        )?;
        let messages_sent = IntCounterVec::new(
            Opts::new("messages_dispatched_total", "Message dispatch outcomes"),
            &["outcome"],
        )?;
        let delivery_reports = IntCounterVec::new(
            Opts::new("sms_delivery_reports_total", "Delivery reports received"),
            &["state"],
        )?;
        let inbound_sms =
            IntCounterVec::new(Opts::new("sms_inbound_total", "Incoming SMS"), &["keyword"])?;
        let queue_due = IntGaugeVec::new(
            Opts::new("message_queue_due", "Messages queued and due now"),
            &["lane"],
        )?;
        let queue_oldest_ms = IntGaugeVec::new(
            Opts::new("message_queue_oldest_ms", "Age of the oldest due message"),
            &["lane"],
        )?;
        let queue_scheduled =
            IntGauge::new("message_queue_scheduled", "Messages queued for later")?;
        let gateway_up =
            IntGaugeVec::new(Opts::new("sms_gateway_up", "Gateway answering"), &["gateway"])?;
        let cache_sessions =
            IntGauge::new("search_cache_sessions", "Sessions in the search cache")?;
        let cache_age_ms =
            IntGauge::new("search_cache_age_ms", "Milliseconds since the last cache refresh")?;
        let coldchain_ingest = IntCounterVec::new(
            Opts::new("coldchain_ingest_total", "Cold chain ingester counters"),
            &["counter"],
        )?;
        for c in [
            &coldchain_ingest,
            &http_requests,
            &bookings,
            &otps,
            &registrations,
            &sync_records,
            &certificates,
            &messages_planned,
            &messages_sent,
            &delivery_reports,
            &inbound_sms,
        ] {
            registry.register(Box::new(c.clone()))?;
        }
        for g in [&queue_due, &queue_oldest_ms, &gateway_up] {
            registry.register(Box::new(g.clone()))?;
        }
        registry.register(Box::new(queue_scheduled.clone()))?;
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
            messages_planned,
            messages_sent,
            delivery_reports,
            inbound_sms,
            queue_due,
            queue_oldest_ms,
            queue_scheduled,
            gateway_up,
            cache_sessions,
            cache_age_ms,
            coldchain_ingest,
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
