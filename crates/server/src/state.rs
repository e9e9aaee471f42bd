//! Everything a request handler can reach, built once at start-up.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use tika_domain::country::CountryPack;
use tika_storage::DynStore;

use crate::cache::SessionCache;
use crate::clock::{Clock, local_today};
use crate::config::ServerConfig;
use crate::keys::Keys;
use crate::metrics::Metrics;
use crate::services::search::ResponseCache;

/// Shared state; cheap to clone.
#[derive(Clone)]
pub struct AppState(Arc<Inner>);

/// The parts of [`AppState`].
pub struct Inner {
    /// Database.
    pub store: DynStore,
    /// Country pack.
    pub pack: Arc<CountryPack>,
    /// Slot-search cache.
    pub cache: SessionCache,
    /// Cached search responses.
    pub responses: ResponseCache,
    /// Secret keys.
    pub keys: Keys,
    /// Settings.
    pub config: ServerConfig,
    /// The SMS gateways (failover, per-gateway rate).
    pub sms: Arc<crate::sms::GatewayPool>,
    /// Message templates (per kind and language, operator template ids).
    pub templates: Arc<tika_domain::templates::TemplateSet>,
    /// Wakes the message dispatcher when something urgent was queued.
    pub dispatch_wake: tokio::sync::Notify,
    /// Time.
    pub clock: Arc<dyn Clock>,
    /// Metrics.
    pub metrics: Metrics,
    /// Rate limiters.
    pub limits: Limits,
    /// The certificate issuer (keys, trust, settings); `None` when not configured.
    pub certificates: Option<Arc<crate::services::certificates::Authority>>,
    /// OTP transactions held in memory, in read-only mode only.
    pub read_only_otps: Option<crate::otp_book::MemoryOtps>,
    /// The policy versions in force: the pack's and the console's, merged by date (reloaded
    /// after a change and every 30 s; see `services::admin::policy`).
    pub policies: arc_swap::ArcSwap<crate::services::admin::policy::PolicySet>,
    /// The public dashboard's kept bodies (two seconds each).
    pub dashboards: crate::services::dashboard::DashboardCache,
}

impl std::ops::Deref for AppState {
    type Target = Inner;
    fn deref(&self) -> &Inner {
        &self.0
    }
}

impl AppState {
    /// Assembles the state.
    pub fn new(inner: Inner) -> Self {
        Self(Arc::new(inner))
    }

    /// Now in unix milliseconds.
    pub fn now_ms(&self) -> i64 {
        self.clock.now().timestamp_millis()
    }

    /// Today in the country's time zone.
    pub fn today(&self) -> chrono::NaiveDate {
        local_today(self.clock.now(), self.pack.timezone_offset_minutes)
    }

    /// The country pack with the policy versions in force (the pack's and the console's):
    /// what eligibility reads (`policy_on(date)`, `policy(version)`).
    pub fn policy_pack(&self) -> Arc<CountryPack> {
        Arc::clone(&self.policies.load().pack)
    }

    /// The policy version in force on a date.
    pub fn policy_on(&self, date: chrono::NaiveDate) -> tika_domain::country::Policy {
        self.policies.load().pack.policy_on(date).clone()
    }

    /// The beneficiary limit per mobile in force.
    pub fn max_beneficiaries(&self) -> u32 {
        self.config.max_beneficiaries_per_mobile.unwrap_or(self.pack.max_beneficiaries_per_mobile)
    }
}

/// Per-IP limiters (GCRA via `governor`); `None` when turned off.
pub struct Limits {
    /// Public slot search, per IP.
    pub public_search: Option<DefaultKeyedRateLimiter<IpAddr>>,
    /// OTP requests, per IP.
    pub otp_per_ip: Option<DefaultKeyedRateLimiter<IpAddr>>,
}

impl Limits {
    /// Builds the limiters from the configuration (a count per period, bursting up to the count).
    pub fn new(config: &ServerConfig) -> Self {
        let keyed = |count: u32, period: Duration| {
            let n = NonZeroU32::new(count)?;
            let quota = Quota::with_period(period / count)?.allow_burst(n);
            Some(RateLimiter::keyed(quota))
        };
        Self {
            public_search: keyed(config.public_rate_limit, Duration::from_secs(300)),
            otp_per_ip: keyed(config.otp_per_ip_per_hour, Duration::from_secs(3600)),
        }
    }
}
