//! The gateway interface shared by every way of sending an SMS.

use std::fmt;
use std::num::NonZeroU32;
use std::time::Duration;

use async_trait::async_trait;
use tika_domain::message::MessageKind;
use tika_domain::mobile::Mobile;

/// One SMS ready to leave: rendered, encoded, with our own id for delivery reports.
#[derive(Clone, PartialEq, Eq)]
pub struct OutgoingSms {
    /// Our id (the outbox row); gateways that support callbacks carry it back.
    pub id: uuid::Uuid,
    /// Recipient (national form; each gateway adds the country prefix it needs).
    pub to: Mobile,
    /// Text.  May contain an OTP: never log it.
    pub text: String,
    /// True when the text needs UCS-2 (anything outside the GSM 03.38 alphabet).
    pub unicode: bool,
    /// What the message is for.
    pub kind: MessageKind,
    /// The operator-registered (DLT) template id.
    pub template_id: String,
    /// Sender id / header (e.g. `COWIN`).
    pub sender: String,
    /// Where the gateway should report delivery (already holds our id), if anywhere.
    pub dlr_url: Option<String>,
}

/// Hides the text and all but the last 4 digits of the mobile.
impl fmt::Debug for OutgoingSms {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OutgoingSms")
            .field("id", &self.id)
            .field("to", &self.to)
            .field("text", &format_args!("<{} chars>", self.text.chars().count()))
            .field("unicode", &self.unicode)
            .field("kind", &self.kind)
            .field("template_id", &self.template_id)
            .field("sender", &self.sender)
            .field("dlr_url", &self.dlr_url.is_some())
            .finish()
    }
}

/// The gateway took the message (it may still fail later: that is what delivery reports are for).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Accepted {
    /// The gateway's own id for the message, when it gives one (Kannel does not: its delivery
    /// reports are matched through our id in the `dlr-url`).
    pub gateway_ref: Option<String>,
}

/// Why a gateway did not take a message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum GatewayError {
    /// Try again later, maybe through another gateway (down, overloaded, timeout, auth
    /// misconfiguration).  Nothing about the message itself is wrong.
    #[error("transient gateway error: {0}")]
    Transient(String),
    /// This gateway will never send this message (e.g. it rejects the number or the template).
    #[error("permanent gateway error: {0}")]
    Permanent(String),
}

impl GatewayError {
    /// True for [`GatewayError::Transient`].
    pub fn is_transient(&self) -> bool {
        matches!(self, GatewayError::Transient(_))
    }

    /// The message, whatever the kind.
    pub fn message(&self) -> &str {
        match self {
            GatewayError::Transient(m) | GatewayError::Permanent(m) => m,
        }
    }
}

/// A way to send SMS.
#[async_trait]
pub trait SmsGateway: Send + Sync + 'static {
    /// A short stable name (`kannel-1`, `file`), used in logs, metrics and the outbox row.
    fn name(&self) -> &str;

    /// Hands one message to the gateway.  Must not retry by itself: the pool and the outbox
    /// decide about retries.
    async fn send(&self, sms: &OutgoingSms) -> Result<Accepted, GatewayError>;

    /// The configured maximum rate, messages per second (the pool enforces it).
    fn max_per_second(&self) -> u32;
}

/// The first `max` characters of a (response) body, for error messages.
pub(crate) fn truncate_chars(s: &str, max: usize) -> String {
    match s.char_indices().nth(max) {
        Some((i, _)) => s[..i].to_owned(),
        None => s.to_owned(),
    }
}

/// Serde helper: a [`Duration`] written as (fractional) seconds, e.g. `timeout = 5` or `0.5`.
pub(crate) mod duration_secs {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub(crate) fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_f64(d.as_secs_f64())
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        let secs = f64::deserialize(d)?;
        Duration::try_from_secs_f64(secs).map_err(serde::de::Error::custom)
    }
}

/// Default request timeout for network gateways.
pub(crate) const DEFAULT_TIMEOUT: Duration = Duration::from_secs(5);

/// `max(1, n)` as a `NonZeroU32`.
pub(crate) fn at_least_one(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN)
}

/// Maps a `reqwest` transport error (no HTTP answer) to a transient error without leaking
/// the URL (it may hold credentials or the number).
pub(crate) fn transport_error(gateway: &str, e: &reqwest::Error) -> GatewayError {
    let what = if e.is_timeout() {
        // Observed with Kannel: a hung bearerbox still delivered the message after our
        // timeout.  A retry may therefore send it twice.
        "timeout (the gateway may still send it)"
    } else if e.is_connect() {
        "connection failed"
    } else if e.is_body() || e.is_decode() {
        "bad response body"
    } else {
        "request failed"
    };
    // Only the causes: the top-level message names the URL, whose query may hold the
    // password, the number and the text.
    let mut detail = String::new();
    let mut cause = std::error::Error::source(e);
    while let Some(c) = cause {
        detail.push_str(": ");
        detail.push_str(&c.to_string());
        cause = c.source();
    }
    GatewayError::Transient(format!("{gateway}: {what}{detail}"))
}

#[cfg(test)]
pub(crate) mod test_util {
    use super::*;

    /// A message to `mobile` for tests.
    pub(crate) fn sms_to(mobile: &str, text: &str) -> OutgoingSms {
        OutgoingSms {
            id: uuid::Uuid::new_v4(),
            to: Mobile::parse(mobile).expect("test mobile"),
            text: text.to_owned(),
            unicode: false,
            kind: MessageKind::Otp,
            template_id: "1107161234567890123".to_owned(),
            sender: "COWIN".to_owned(),
            dlr_url: None,
        }
    }

    #[test]
    fn debug_hides_text_and_number() {
        let sms = sms_to("9876543210", "Your OTP is 482913");
        let d = format!("{sms:?}");
        assert!(!d.contains("482913"), "{d}");
        assert!(!d.contains("98765"), "{d}");
        assert!(d.contains("3210"), "{d}");
    }

    #[test]
    fn truncates_on_char_boundaries() {
        assert_eq!(truncate_chars("आपका", 2), "आप");
        assert_eq!(truncate_chars("abc", 10), "abc");
    }
}
