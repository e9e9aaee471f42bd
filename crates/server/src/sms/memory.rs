//! Keeps messages in memory, for tests; can simulate an outage or a rejected number.

use std::collections::HashSet;

use async_trait::async_trait;
use parking_lot::Mutex;
use tika_domain::mobile::Mobile;

use super::gateway::{Accepted, GatewayError, OutgoingSms, SmsGateway};

#[derive(Default)]
struct Inner {
    sent: Vec<OutgoingSms>,
    attempts: usize,
    down: bool,
    permanent_fail: HashSet<Mobile>,
}

/// An in-memory gateway.
pub struct MemoryGateway {
    name: String,
    max_per_second: u32,
    inner: Mutex<Inner>,
}

impl Default for MemoryGateway {
    fn default() -> Self {
        Self::new("memory")
    }
}

impl MemoryGateway {
    /// A gateway called `name`, at most 10 000 messages a second.
    pub fn new(name: impl Into<String>) -> Self {
        Self { name: name.into(), max_per_second: 10_000, inner: Mutex::default() }
    }

    /// Another rate limit.
    pub fn with_max_per_second(mut self, rate: u32) -> Self {
        self.max_per_second = rate;
        self
    }

    /// Every message accepted so far, in order.
    pub fn sent(&self) -> Vec<OutgoingSms> {
        self.inner.lock().sent.clone()
    }

    /// The last message accepted for a mobile.
    pub fn last_to(&self, mobile: &Mobile) -> Option<OutgoingSms> {
        self.inner.lock().sent.iter().rev().find(|m| &m.to == mobile).cloned()
    }

    /// How many times `send` was called (accepted or not).
    pub fn attempts(&self) -> usize {
        self.inner.lock().attempts
    }

    /// While down, `send` answers `Transient("gateway down")`.
    pub fn set_down(&self, down: bool) {
        self.inner.lock().down = down;
    }

    /// Makes `send` answer `Permanent` for this mobile.
    pub fn set_permanent_fail_for(&self, mobile: Mobile) {
        self.inner.lock().permanent_fail.insert(mobile);
    }

    /// Forgets every message (keeps the switches).
    pub fn clear(&self) {
        self.inner.lock().sent.clear();
    }
}

#[async_trait]
impl SmsGateway for MemoryGateway {
    fn name(&self) -> &str {
        &self.name
    }

    async fn send(&self, sms: &OutgoingSms) -> Result<Accepted, GatewayError> {
        let mut inner = self.inner.lock();
        inner.attempts += 1;
        if inner.down {
            return Err(GatewayError::Transient("gateway down".to_owned()));
        }
        if inner.permanent_fail.contains(&sms.to) {
            return Err(GatewayError::Permanent(format!(
                "number ending {} rejected",
                sms.to.last4()
            )));
        }
        inner.sent.push(sms.clone());
        Ok(Accepted { gateway_ref: Some(format!("{}-{}", self.name, inner.sent.len())) })
    }

    fn max_per_second(&self) -> u32 {
        self.max_per_second
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sms::gateway::test_util::sms_to;

    #[tokio::test]
    async fn records_and_simulates_failures() {
        let gw = MemoryGateway::default();
        let a = sms_to("9876543210", "one");
        gw.send(&a).await.expect("sent");
        gw.send(&sms_to("9123456789", "two")).await.expect("sent");
        assert_eq!(gw.sent().len(), 2);
        assert_eq!(gw.last_to(&a.to).map(|m| m.text), Some("one".to_owned()));

        gw.set_down(true);
        assert_eq!(gw.send(&a).await, Err(GatewayError::Transient("gateway down".to_owned())));
        gw.set_down(false);
        gw.set_permanent_fail_for(a.to.clone());
        assert!(!gw.send(&a).await.unwrap_err().is_transient());
        assert_eq!(gw.sent().len(), 2);
        assert_eq!(gw.attempts(), 4);
    }
}
