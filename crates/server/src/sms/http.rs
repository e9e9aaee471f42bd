//! A generic JSON SMS provider.
//!
//! `POST <url>` with `Authorization: Bearer <token>` and the body
//! `{"id", "to": "+91XXXXXXXXXX", "sender", "text", "unicode", "template_id", "callback_url"}`.
//! Any 2xx is accepted (a JSON `{"id": …}` in the answer becomes the gateway reference);
//! 408, 429, 5xx and transport errors are transient; other 4xx are permanent.

use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::gateway::{
    Accepted, DEFAULT_TIMEOUT, GatewayError, OutgoingSms, SmsGateway, duration_secs,
    transport_error, truncate_chars,
};

/// How to reach one JSON SMS provider.
#[derive(Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct HttpGatewayConfig {
    /// Gateway name in logs and metrics.
    pub name: String,
    /// The send endpoint.
    pub url: String,
    /// Bearer token.
    pub token: String,
    /// Prefix that turns a national number into the international form (`91`; sent as `+91…`).
    pub country_prefix: String,
    /// Rate limit, messages per second.
    pub max_per_second: u32,
    /// Request timeout (seconds in config files).
    #[serde(with = "duration_secs")]
    pub timeout: Duration,
}

impl Default for HttpGatewayConfig {
    fn default() -> Self {
        Self {
            name: "http".to_owned(),
            url: String::new(),
            token: String::new(),
            country_prefix: "91".to_owned(),
            max_per_second: 100,
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

/// Hides the token.
impl std::fmt::Debug for HttpGatewayConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HttpGatewayConfig")
            .field("name", &self.name)
            .field("url", &self.url)
            .field("token", &"***")
            .field("country_prefix", &self.country_prefix)
            .field("max_per_second", &self.max_per_second)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// The request body.
#[derive(Serialize)]
struct Body<'a> {
    id: uuid::Uuid,
    to: String,
    sender: &'a str,
    text: &'a str,
    unicode: bool,
    template_id: &'a str,
    callback_url: Option<&'a str>,
}

/// Sends to a JSON HTTP provider with a pooled keep-alive client.
pub struct HttpGateway {
    config: HttpGatewayConfig,
    client: reqwest::Client,
}

impl HttpGateway {
    /// Builds the client; fails only if the TLS backend cannot start.
    pub fn new(config: HttpGatewayConfig) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            .pool_idle_timeout(Duration::from_secs(60))
            .build()?;
        Ok(Self { config, client })
    }

    /// The configuration.
    pub fn config(&self) -> &HttpGatewayConfig {
        &self.config
    }
}

/// The provider's id from a 2xx answer: `{"id": "…"}` (a number is taken too).
fn provider_id(body: &str) -> Option<String> {
    let v: serde_json::Value = serde_json::from_str(body).ok()?;
    match v.get("id")? {
        serde_json::Value::String(s) if !s.is_empty() => Some(s.clone()),
        serde_json::Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// Maps an answer.
pub(crate) fn classify(gateway: &str, status: u16, body: &str) -> Result<Accepted, GatewayError> {
    match status {
        200..=299 => Ok(Accepted { gateway_ref: provider_id(body) }),
        408 | 429 => Err(GatewayError::Transient(format!(
            "{gateway}: {status}: {}",
            truncate_chars(body.trim(), 200)
        ))),
        400..=499 => Err(GatewayError::Permanent(format!(
            "{gateway}: {status}: {}",
            truncate_chars(body.trim(), 200)
        ))),
        _ => Err(GatewayError::Transient(format!(
            "{gateway}: {status}: {}",
            truncate_chars(body.trim(), 200)
        ))),
    }
}

#[async_trait]
impl SmsGateway for HttpGateway {
    fn name(&self) -> &str {
        &self.config.name
    }

    async fn send(&self, sms: &OutgoingSms) -> Result<Accepted, GatewayError> {
        let name = self.config.name.as_str();
        let body = Body {
            id: sms.id,
            to: format!("+{}", sms.to.international(&self.config.country_prefix)),
            sender: &sms.sender,
            text: &sms.text,
            unicode: sms.unicode,
            template_id: &sms.template_id,
            callback_url: sms.dlr_url.as_deref(),
        };
        let response = self
            .client
            .post(&self.config.url)
            .bearer_auth(&self.config.token)
            .json(&body)
            .send()
            .await
            .map_err(|e| transport_error(name, &e))?;
        let status = response.status().as_u16();
        let text = response.text().await.map_err(|e| transport_error(name, &e))?;
        let result = classify(name, status, &text);
        match &result {
            Ok(a) => {
                tracing::debug!(gateway = name, sms.id = %sms.id, sms.kind = ?sms.kind, sms.to_last4 = sms.to.last4(), gateway_ref = ?a.gateway_ref, "sms accepted")
            }
            Err(e) => {
                tracing::warn!(gateway = name, sms.id = %sms.id, sms.kind = ?sms.kind, sms.to_last4 = sms.to.last4(), error = %e, "sms not accepted")
            }
        }
        result
    }

    fn max_per_second(&self) -> u32 {
        self.config.max_per_second
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use std::sync::Arc;

    use axum::extract::State;
    use axum::http::{HeaderMap, StatusCode};
    use axum::routing::post;
    use parking_lot::Mutex;

    use super::*;
    use crate::sms::gateway::test_util::sms_to;

    /// What the fake provider saw: (authorization header, JSON body).
    pub(crate) type Seen = Arc<Mutex<Vec<(String, serde_json::Value)>>>;

    /// A fake provider on 127.0.0.1:0 answering `status` with `body`; returns its URL.
    pub(crate) async fn fake_provider(status: u16, body: &'static str) -> (String, Seen) {
        let seen: Seen = Arc::default();
        let app = axum::Router::new()
            .route(
                "/send",
                post(
                    move |State(seen): State<Seen>,
                          headers: HeaderMap,
                          axum::Json(v): axum::Json<serde_json::Value>| async move {
                        let auth = headers
                            .get("authorization")
                            .and_then(|h| h.to_str().ok())
                            .unwrap_or_default()
                            .to_owned();
                        seen.lock().push((auth, v));
                        (StatusCode::from_u16(status).expect("status"), body)
                    },
                ),
            )
            .with_state(Arc::clone(&seen));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, app).await });
        (format!("http://{addr}/send"), seen)
    }

    /// A URL where nothing listens.
    pub(crate) fn refused_url() -> String {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        drop(listener);
        format!("http://{addr}/send")
    }

    pub(crate) fn gateway(name: &str, url: String) -> HttpGateway {
        HttpGateway::new(HttpGatewayConfig {
            name: name.to_owned(),
            url,
            token: "tok-123".to_owned(),
            max_per_second: 1000,
            timeout: Duration::from_secs(2),
            ..HttpGatewayConfig::default()
        })
        .expect("client")
    }

    #[tokio::test]
    async fn success_sends_exact_json_and_reads_the_id() {
        let (url, seen) = fake_provider(200, r#"{"id":"prov-42"}"#).await;
        let gw = gateway("p", url);
        let mut sms = sms_to("9876543210", "आपका ओटीपी 123456 है");
        sms.unicode = true;
        sms.dlr_url = Some("http://app/dlr?id=1".to_owned());
        let accepted = gw.send(&sms).await.expect("accepted");
        assert_eq!(accepted.gateway_ref.as_deref(), Some("prov-42"));
        let (auth, body) = seen.lock()[0].clone();
        assert_eq!(auth, "Bearer tok-123");
        assert_eq!(
            body,
            serde_json::json!({
                "id": sms.id.to_string(),
                "to": "+919876543210",
                "sender": "COWIN",
                "text": "आपका ओटीपी 123456 है",
                "unicode": true,
                "template_id": "1107161234567890123",
                "callback_url": "http://app/dlr?id=1",
            })
        );

        // No callback: null.  Any 2xx without an id is still accepted.
        let (url, seen) = fake_provider(202, "ok").await;
        let accepted = gateway("p", url).send(&sms_to("9876543210", "x")).await.expect("accepted");
        assert_eq!(accepted.gateway_ref, None);
        assert_eq!(seen.lock()[0].1["callback_url"], serde_json::Value::Null);
    }

    #[tokio::test]
    async fn bad_request_is_permanent_with_the_body() {
        let long: &'static str =
            Box::leak(format!("invalid number {}", "x".repeat(500)).into_boxed_str());
        let (url, _) = fake_provider(400, long).await;
        let err = gateway("p", url).send(&sms_to("9876543210", "x")).await.unwrap_err();
        let GatewayError::Permanent(msg) = err else { panic!("{err:?}") };
        assert!(msg.contains("400: invalid number"), "{msg}");
        assert!(msg.len() < 230, "{}", msg.len());
    }

    #[tokio::test]
    async fn unavailable_throttled_and_refused_are_transient() {
        for status in [503, 500, 429, 408] {
            let (url, _) = fake_provider(status, "busy").await;
            let err = gateway("p", url).send(&sms_to("9876543210", "x")).await.unwrap_err();
            assert!(err.is_transient(), "{status}: {err}");
        }
        let err = gateway("p", refused_url())
            .send(&sms_to("9876543210", "OTP 123456"))
            .await
            .unwrap_err();
        assert!(err.is_transient(), "{err}");
        assert!(err.message().contains("connection failed"), "{err}");
        assert!(!err.message().contains("123456"), "{err}");
    }
}
