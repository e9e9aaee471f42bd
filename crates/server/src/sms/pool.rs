//! Several gateways in priority order, with failover and a rate limiter each.
//!
//! Rules of [`GatewayPool::send`]:
//! - Gateways are tried in the order given.  One that answered `Transient` is *cooling down*
//!   for [`GatewayPool::with_cooldown`] (default [`DEFAULT_COOLDOWN`], 30 s) and skipped.
//!   When the cool-down is over, the next send *probes* it (only one caller at a time: the
//!   others keep skipping it while the probe is in flight); success makes it healthy again,
//!   another transient error starts a new cool-down.  So traffic returns to the preferred
//!   gateway by itself once it is back.
//! - `Permanent` from a gateway does not cool it down (the message is at fault, not the
//!   gateway) and the next gateway is tried: another operator may take the number.
//! - Outcome: the first acceptance wins and names the gateway.  `Permanent` is returned only
//!   when **every** gateway of the pool was tried and each said permanent; in every other case
//!   (a transient error, a gateway skipped while cooling down, an empty pool) the answer is
//!   `Transient` carrying the last error, and the outbox should retry later.
//! - Before calling a gateway, `send` waits for a permit of that gateway's limiter (GCRA,
//!   `max_per_second`, burst `max(1, rate / 10)`).

use std::sync::Arc;
use std::time::{Duration, Instant};

use governor::{DefaultDirectRateLimiter, Quota, RateLimiter};
use parking_lot::Mutex;

use super::gateway::{Accepted, GatewayError, OutgoingSms, SmsGateway, at_least_one};

/// How long a gateway is skipped after a transient error.
pub const DEFAULT_COOLDOWN: Duration = Duration::from_secs(30);

#[derive(Default)]
struct Health {
    /// `Some(t)`: skipped until `t` (then probed); `None`: healthy.
    down_until: Option<Instant>,
    last_error: Option<String>,
}

struct Member {
    gateway: Arc<dyn SmsGateway>,
    limiter: DefaultDirectRateLimiter,
    health: Mutex<Health>,
}

impl Member {
    /// May this send use the gateway?  Claims the probe when a cool-down is over.
    fn try_claim(&self, now: Instant, cooldown: Duration) -> bool {
        let mut h = self.health.lock();
        match h.down_until {
            None => true,
            Some(until) if now < until => false,
            Some(_) => {
                // Probe: keep others away until it answers (or for another cool-down).
                h.down_until = Some(now + cooldown);
                true
            }
        }
    }

    fn healthy(&self, now: Instant) -> bool {
        self.health.lock().down_until.is_none_or(|until| now >= until)
    }
}

/// Gateways in priority order with failover.
pub struct GatewayPool {
    members: Vec<Member>,
    cooldown: Duration,
}

impl GatewayPool {
    /// A pool trying `gateways` in this order.
    pub fn new(gateways: Vec<Arc<dyn SmsGateway>>) -> Self {
        let members = gateways
            .into_iter()
            .map(|gateway| {
                let rate = gateway.max_per_second().max(1);
                let quota =
                    Quota::per_second(at_least_one(rate)).allow_burst(at_least_one(rate / 10));
                Member { gateway, limiter: RateLimiter::direct(quota), health: Mutex::default() }
            })
            .collect();
        Self { members, cooldown: DEFAULT_COOLDOWN }
    }

    /// How long a gateway is skipped after a transient error.
    pub fn with_cooldown(mut self, cooldown: Duration) -> Self {
        self.cooldown = cooldown;
        self
    }

    /// The gateways' names, in priority order.
    pub fn names(&self) -> Vec<String> {
        self.members.iter().map(|m| m.gateway.name().to_owned()).collect()
    }

    /// Each gateway's name and whether it is healthy (not cooling down), in priority order.
    pub fn health(&self) -> Vec<(String, bool)> {
        let now = Instant::now();
        self.members.iter().map(|m| (m.gateway.name().to_owned(), m.healthy(now))).collect()
    }

    /// The last transient error of each gateway that is cooling down.
    pub fn last_errors(&self) -> Vec<(String, String)> {
        let now = Instant::now();
        self.members
            .iter()
            .filter(|m| !m.healthy(now))
            .filter_map(|m| {
                Some((m.gateway.name().to_owned(), m.health.lock().last_error.clone()?))
            })
            .collect()
    }

    /// Number of gateways.
    pub fn len(&self) -> usize {
        self.members.len()
    }

    /// True when no gateway is configured.
    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// Sends through the first gateway that takes the message; see the module doc for the rules.
    pub async fn send(&self, sms: &OutgoingSms) -> Result<(String, Accepted), GatewayError> {
        let mut last_transient: Option<String> = None;
        let mut last_permanent: Option<String> = None;
        let mut skipped = 0usize;
        for m in &self.members {
            let name = m.gateway.name();
            if !m.try_claim(Instant::now(), self.cooldown) {
                skipped += 1;
                continue;
            }
            m.limiter.until_ready().await;
            match m.gateway.send(sms).await {
                Ok(accepted) => {
                    let mut h = m.health.lock();
                    if h.down_until.take().is_some() {
                        tracing::info!(gateway = name, "sms gateway healthy again");
                    }
                    h.last_error = None;
                    return Ok((name.to_owned(), accepted));
                }
                Err(GatewayError::Transient(e)) => {
                    tracing::warn!(gateway = name, sms.id = %sms.id, sms.kind = ?sms.kind, sms.to_last4 = sms.to.last4(), error = %e, cooldown_s = self.cooldown.as_secs_f64(), "sms gateway failed; cooling it down");
                    let mut h = m.health.lock();
                    h.down_until = Some(Instant::now() + self.cooldown);
                    h.last_error = Some(e.clone());
                    last_transient = Some(e);
                }
                Err(GatewayError::Permanent(e)) => {
                    tracing::info!(gateway = name, sms.id = %sms.id, sms.kind = ?sms.kind, sms.to_last4 = sms.to.last4(), error = %e, "sms gateway rejected the message");
                    // A rejection proves the gateway answers: a probe is over.
                    m.health.lock().down_until = None;
                    last_permanent = Some(e);
                }
            }
        }
        match (last_transient, last_permanent) {
            (None, Some(p)) if skipped == 0 => Err(GatewayError::Permanent(p)),
            (Some(t), _) => Err(GatewayError::Transient(t)),
            (None, Some(p)) => Err(GatewayError::Transient(format!(
                "{p} (and {skipped} gateway(s) cooling down may still take it)"
            ))),
            (None, None) if self.members.is_empty() => {
                Err(GatewayError::Transient("no sms gateway configured".to_owned()))
            }
            (None, None) => {
                let errors: Vec<String> =
                    self.last_errors().into_iter().map(|(n, e)| format!("{n}: {e}")).collect();
                Err(GatewayError::Transient(format!(
                    "all sms gateways cooling down after errors ({})",
                    errors.join("; ")
                )))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sms::gateway::test_util::sms_to;
    use crate::sms::http::tests::{fake_provider, gateway as http_gateway, refused_url};
    use crate::sms::memory::MemoryGateway;

    fn pool_of(gateways: &[&Arc<MemoryGateway>]) -> GatewayPool {
        GatewayPool::new(gateways.iter().map(|g| Arc::clone(g) as Arc<dyn SmsGateway>).collect())
    }

    #[tokio::test]
    async fn fails_over_when_the_first_is_down_and_skips_it_afterwards() {
        let a = Arc::new(MemoryGateway::new("a"));
        let b = Arc::new(MemoryGateway::new("b"));
        let pool = pool_of(&[&a, &b]);
        assert_eq!(pool.names(), ["a", "b"]);
        assert_eq!(pool.send(&sms_to("9876543210", "1")).await.expect("sent").0, "a");

        a.set_down(true);
        assert_eq!(pool.send(&sms_to("9876543210", "2")).await.expect("sent").0, "b");
        assert_eq!(pool.health(), [("a".to_owned(), false), ("b".to_owned(), true)]);
        assert_eq!(pool.last_errors(), [("a".to_owned(), "gateway down".to_owned())]);
        assert_eq!(pool.send(&sms_to("9876543210", "3")).await.expect("sent").0, "b");
        assert_eq!(a.attempts(), 2, "a is skipped while cooling down");
        assert_eq!(b.sent().len(), 2);
    }

    #[tokio::test]
    async fn returns_to_the_first_after_its_cooldown() {
        let a = Arc::new(MemoryGateway::new("a"));
        let b = Arc::new(MemoryGateway::new("b"));
        let pool = pool_of(&[&a, &b]).with_cooldown(Duration::from_millis(200));
        a.set_down(true);
        assert_eq!(pool.send(&sms_to("9876543210", "1")).await.expect("sent").0, "b");
        a.set_down(false);
        assert_eq!(pool.send(&sms_to("9876543210", "2")).await.expect("sent").0, "b");
        tokio::time::sleep(Duration::from_millis(250)).await;
        assert!(pool.health()[0].1, "cool-down over");
        assert_eq!(pool.send(&sms_to("9876543210", "3")).await.expect("sent").0, "a");
        assert_eq!(pool.send(&sms_to("9876543210", "4")).await.expect("sent").0, "a");

        // A probe that fails starts another cool-down.
        a.set_down(true);
        assert_eq!(pool.send(&sms_to("9876543210", "5")).await.expect("sent").0, "b");
        tokio::time::sleep(Duration::from_millis(250)).await;
        assert_eq!(pool.send(&sms_to("9876543210", "6")).await.expect("sent").0, "b");
        assert_eq!(pool.send(&sms_to("9876543210", "7")).await.expect("sent").0, "b");
        assert_eq!(a.attempts(), 5, "one probe per cool-down");
    }

    #[tokio::test]
    async fn all_down_is_transient() {
        let a = Arc::new(MemoryGateway::new("a"));
        let b = Arc::new(MemoryGateway::new("b"));
        a.set_down(true);
        b.set_down(true);
        let pool = pool_of(&[&a, &b]);
        let err = pool.send(&sms_to("9876543210", "1")).await.unwrap_err();
        assert_eq!(err, GatewayError::Transient("gateway down".to_owned()));
        // Both cooling down: answered at once, without calling them.
        let err = pool.send(&sms_to("9876543210", "2")).await.unwrap_err();
        assert!(err.is_transient() && err.message().contains("cooling down"), "{err}");
        assert_eq!((a.attempts(), b.attempts()), (1, 1));

        let empty = GatewayPool::new(Vec::new());
        assert!(empty.send(&sms_to("9876543210", "3")).await.unwrap_err().is_transient());
    }

    #[tokio::test]
    async fn permanent_tries_the_next_and_is_final_only_when_all_said_so() {
        let a = Arc::new(MemoryGateway::new("a"));
        let b = Arc::new(MemoryGateway::new("b"));
        let pool = pool_of(&[&a, &b]);
        let sms = sms_to("9876543210", "x");
        a.set_permanent_fail_for(sms.to.clone());
        assert_eq!(pool.send(&sms).await.expect("sent").0, "b");
        assert!(
            pool.health().iter().all(|(_, ok)| *ok),
            "a permanent rejection does not cool down"
        );

        b.set_permanent_fail_for(sms.to.clone());
        assert!(!pool.send(&sms).await.unwrap_err().is_transient());

        // a rejects, b is down: b may take it later.
        let c = Arc::new(MemoryGateway::new("c"));
        let d = Arc::new(MemoryGateway::new("d"));
        c.set_permanent_fail_for(sms.to.clone());
        d.set_down(true);
        let pool = pool_of(&[&c, &d]);
        assert!(pool.send(&sms).await.unwrap_err().is_transient());
        // d now cooling down and skipped: still transient.
        assert!(pool.send(&sms).await.unwrap_err().is_transient());
    }

    #[tokio::test]
    async fn rate_limit_spaces_sends() {
        let rate = 20u32; // burst = max(1, 20 / 10) = 2
        let a = Arc::new(MemoryGateway::new("a").with_max_per_second(rate));
        let pool = pool_of(&[&a]);
        let n = 12u32;
        let start = Instant::now();
        for i in 0..n {
            pool.send(&sms_to("9876543210", &i.to_string())).await.expect("sent");
        }
        let elapsed = start.elapsed();
        let minimum = Duration::from_secs_f64(f64::from(n - 2) / f64::from(rate));
        assert!(elapsed >= minimum.mul_f64(0.9), "{elapsed:?} < {minimum:?}");
        assert!(elapsed < Duration::from_secs(5), "{elapsed:?}");
        assert_eq!(a.sent().len(), n as usize);
    }

    #[tokio::test]
    async fn http_gateways_fail_over_for_real() {
        let (url, seen) = fake_provider(200, r#"{"id":"p-1"}"#).await;
        let pool = GatewayPool::new(vec![
            Arc::new(http_gateway("dead", refused_url())),
            Arc::new(http_gateway("alive", url)),
        ]);
        let (name, accepted) = pool.send(&sms_to("9876543210", "x")).await.expect("sent");
        assert_eq!((name.as_str(), accepted.gateway_ref.as_deref()), ("alive", Some("p-1")));
        assert_eq!(seen.lock().len(), 1);
        assert_eq!(pool.health(), [("dead".to_owned(), false), ("alive".to_owned(), true)]);
    }
}
