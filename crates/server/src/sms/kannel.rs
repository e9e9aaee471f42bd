//! Kannel (smsbox `sendsms` over HTTP).
//!
//! Request: `GET <url>/cgi-bin/sendsms?username&password&from&to=91XXXXXXXXXX&text&charset=UTF-8`
//! plus `coding=2` for UCS-2 and `dlr-mask=31&dlr-url=…` when a delivery report is wanted.
//! Kannel gives no message id: delivery reports are matched through our id inside the
//! `dlr-url` (see [`kannel_dlr_url`]).
//!
//! Answers (observed with Kannel 1.4.5):
//! - `202 0: Accepted for delivery` / `202 3: Queued for later delivery` → accepted;
//! - `403 Authorization failed for sendsms` → transient (a configuration error: logged as an
//!   error, nothing is lost);
//! - other 4xx (`400 Sender missing…`, rejected receiver) → permanent;
//! - 5xx, connection refused, timeout → transient.

use std::time::Duration;

use async_trait::async_trait;
use serde::{Deserialize, Serialize};

use super::gateway::{
    Accepted, DEFAULT_TIMEOUT, GatewayError, OutgoingSms, SmsGateway, duration_secs,
    transport_error, truncate_chars,
};

/// How to reach one Kannel smsbox.
#[derive(Clone, Serialize, Deserialize)]
#[serde(default)]
pub struct KannelConfig {
    /// Gateway name in logs and metrics.
    pub name: String,
    /// Base URL of smsbox's `sendsms-port`, e.g. `http://127.0.0.1:13013`.
    pub url: String,
    /// `sendsms-user` username.
    pub username: String,
    /// `sendsms-user` password.
    pub password: String,
    /// Default sender (`from=`) when a message has none.
    pub sender: String,
    /// Prefix that turns a national number into the international form (`91`).
    pub country_prefix: String,
    /// Rate limit, messages per second.
    pub max_per_second: u32,
    /// Request timeout (seconds in config files).
    #[serde(with = "duration_secs")]
    pub timeout: Duration,
}

impl Default for KannelConfig {
    fn default() -> Self {
        Self {
            name: "kannel".to_owned(),
            url: "http://127.0.0.1:13013".to_owned(),
            username: "tika".to_owned(),
            password: "tika-secret".to_owned(),
            sender: "COWIN".to_owned(),
            country_prefix: "91".to_owned(),
            max_per_second: 100,
            timeout: DEFAULT_TIMEOUT,
        }
    }
}

/// Hides the password.
impl std::fmt::Debug for KannelConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KannelConfig")
            .field("name", &self.name)
            .field("url", &self.url)
            .field("username", &self.username)
            .field("password", &"***")
            .field("sender", &self.sender)
            .field("country_prefix", &self.country_prefix)
            .field("max_per_second", &self.max_per_second)
            .field("timeout", &self.timeout)
            .finish()
    }
}

/// Sends through Kannel's smsbox with a pooled keep-alive HTTP client.
pub struct KannelGateway {
    config: KannelConfig,
    endpoint: String,
    client: reqwest::Client,
}

impl KannelGateway {
    /// Builds the client; fails only if the TLS backend cannot start.
    pub fn new(config: KannelConfig) -> anyhow::Result<Self> {
        let client = reqwest::Client::builder()
            .timeout(config.timeout)
            .connect_timeout(config.timeout)
            .pool_idle_timeout(Duration::from_secs(60))
            .build()?;
        let endpoint = format!("{}/cgi-bin/sendsms", config.url.trim_end_matches('/'));
        Ok(Self { config, endpoint, client })
    }

    /// The configuration.
    pub fn config(&self) -> &KannelConfig {
        &self.config
    }

    /// The query parameters of a `sendsms` request (without credentials in logs: never log it).
    fn query(&self, sms: &OutgoingSms) -> Vec<(&'static str, String)> {
        let from = if sms.sender.is_empty() { &self.config.sender } else { &sms.sender };
        let mut q = vec![
            ("username", self.config.username.clone()),
            ("password", self.config.password.clone()),
            ("from", from.clone()),
            ("to", sms.to.international(&self.config.country_prefix)),
            ("text", sms.text.clone()),
            ("charset", "UTF-8".to_owned()),
        ];
        if sms.unicode {
            q.push(("coding", "2".to_owned()));
        }
        if let Some(dlr) = &sms.dlr_url {
            q.push(("dlr-mask", "31".to_owned()));
            q.push(("dlr-url", dlr.clone()));
        }
        q
    }
}

/// Maps a Kannel `sendsms` answer.
pub(crate) fn classify(gateway: &str, status: u16, body: &str) -> Result<Accepted, GatewayError> {
    let body = body.trim();
    let short = truncate_chars(body, 200);
    match status {
        200..=299 if body.starts_with("0:") || body.starts_with("3:") => {
            Ok(Accepted { gateway_ref: None })
        }
        // Kannel never answers 2xx otherwise; play safe: we cannot tell it was taken.
        200..=299 => {
            Err(GatewayError::Transient(format!("{gateway}: unexpected answer {status}: {short}")))
        }
        403 => {
            tracing::error!(gateway, status, answer = %short, "kannel refused our credentials: check the sendsms-user configuration");
            Err(GatewayError::Transient(format!("{gateway}: authorization failed: {short}")))
        }
        408 | 429 => Err(GatewayError::Transient(format!("{gateway}: {status}: {short}"))),
        400..=499 => Err(GatewayError::Permanent(format!("{gateway}: {status}: {short}"))),
        _ => Err(GatewayError::Transient(format!("{gateway}: {status}: {short}"))),
    }
}

#[async_trait]
impl SmsGateway for KannelGateway {
    fn name(&self) -> &str {
        &self.config.name
    }

    async fn send(&self, sms: &OutgoingSms) -> Result<Accepted, GatewayError> {
        let name = self.config.name.as_str();
        let response = self
            .client
            .get(&self.endpoint)
            .query(&self.query(sms))
            .send()
            .await
            .map_err(|e| transport_error(name, &e))?;
        let status = response.status().as_u16();
        let body = response.text().await.map_err(|e| transport_error(name, &e))?;
        let result = classify(name, status, &body);
        match &result {
            Ok(_) => {
                tracing::debug!(gateway = name, sms.id = %sms.id, sms.kind = ?sms.kind, sms.to_last4 = sms.to.last4(), "sms accepted by kannel")
            }
            Err(e) => {
                tracing::warn!(gateway = name, sms.id = %sms.id, sms.kind = ?sms.kind, sms.to_last4 = sms.to.last4(), error = %e, "kannel did not accept sms")
            }
        }
        result
    }

    fn max_per_second(&self) -> u32 {
        self.config.max_per_second
    }
}

/// The `dlr-url` to give Kannel for message `id`: Kannel fills in `%d` (report type: 1
/// delivered, 2 failed, 4 buffered, 8 SMSC ack, 16 SMSC reject), `%A` (SMSC answer), `%T`
/// (unix time) and `%i` (smsc id).  `app_base` is how Kannel reaches us
/// (e.g. `http://127.0.0.1:8080`); `token` authenticates the callback.
pub fn kannel_dlr_url(app_base: &str, id: uuid::Uuid, token: &str) -> String {
    let token: String = token
        .bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
                (b as char).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect();
    format!(
        "{}/api/sms/v1/dlr?id={id}&status=%d&answer=%A&ts=%T&smsc=%i&token={token}",
        app_base.trim_end_matches('/')
    )
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Arc;

    use axum::extract::{Query, State};
    use axum::http::StatusCode;
    use axum::routing::get;
    use parking_lot::Mutex;

    use super::*;
    use crate::sms::gateway::test_util::sms_to;

    #[test]
    fn classifies_kannel_answers() {
        assert_eq!(
            classify("k", 202, "0: Accepted for delivery"),
            Ok(Accepted { gateway_ref: None })
        );
        assert_eq!(
            classify("k", 202, "3: Queued for later delivery"),
            Ok(Accepted { gateway_ref: None })
        );
        assert!(classify("k", 403, "Authorization failed for sendsms").unwrap_err().is_transient());
        assert!(
            !classify("k", 400, "Sender missing and no global set, rejected")
                .unwrap_err()
                .is_transient()
        );
        assert!(classify("k", 503, "Bearerbox not available").unwrap_err().is_transient());
        assert!(classify("k", 202, "something odd").unwrap_err().is_transient());
    }

    #[test]
    fn dlr_url_carries_our_id_and_kannel_escapes() {
        let id = uuid::Uuid::nil();
        assert_eq!(
            kannel_dlr_url("http://127.0.0.1:8080/", id, "a b"),
            "http://127.0.0.1:8080/api/sms/v1/dlr?id=00000000-0000-0000-0000-000000000000&status=%d&answer=%A&ts=%T&smsc=%i&token=a%20b"
        );
    }

    type Seen = Arc<Mutex<Vec<HashMap<String, String>>>>;

    /// A fake smsbox answering `status body` and recording each query.
    async fn fake_kannel(status: u16, body: &'static str) -> (String, Seen) {
        let seen: Seen = Arc::default();
        let app =
            axum::Router::new()
                .route(
                    "/cgi-bin/sendsms",
                    get(
                        move |State(seen): State<Seen>,
                              Query(q): Query<HashMap<String, String>>| async move {
                            seen.lock().push(q);
                            (StatusCode::from_u16(status).expect("status"), body)
                        },
                    ),
                )
                .with_state(Arc::clone(&seen));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("bind");
        let addr = listener.local_addr().expect("addr");
        tokio::spawn(async move { axum::serve(listener, app).await });
        (format!("http://{addr}"), seen)
    }

    fn gateway(url: String) -> KannelGateway {
        KannelGateway::new(KannelConfig { url, ..KannelConfig::default() }).expect("client")
    }

    #[tokio::test]
    async fn sends_the_documented_query() {
        let (url, seen) = fake_kannel(202, "0: Accepted for delivery").await;
        let gw = gateway(url);
        let mut sms = sms_to("9876543210", "आपका ओटीपी 123456 है & more");
        sms.unicode = true;
        sms.dlr_url = Some(kannel_dlr_url("http://app", sms.id, "t"));
        assert_eq!(gw.send(&sms).await, Ok(Accepted { gateway_ref: None }));
        let q = seen.lock()[0].clone();
        assert_eq!(q["username"], "tika");
        assert_eq!(q["password"], "tika-secret");
        assert_eq!(q["from"], "COWIN");
        assert_eq!(q["to"], "919876543210");
        assert_eq!(q["text"], sms.text);
        assert_eq!(q["charset"], "UTF-8");
        assert_eq!(q["coding"], "2");
        assert_eq!(q["dlr-mask"], "31");
        assert_eq!(q["dlr-url"], sms.dlr_url.clone().expect("dlr"));

        let plain = sms_to("9876543210", "Your OTP is 123456");
        gw.send(&plain).await.expect("accepted");
        let q = seen.lock()[1].clone();
        assert!(!q.contains_key("coding"));
        assert!(!q.contains_key("dlr-url"));
    }

    #[tokio::test]
    async fn maps_refusals() {
        let (url, _) = fake_kannel(503, "Bearerbox not available").await;
        assert!(gateway(url).send(&sms_to("9876543210", "x")).await.unwrap_err().is_transient());
        let (url, _) = fake_kannel(400, "Receiver number not acceptable").await;
        assert!(!gateway(url).send(&sms_to("9876543210", "x")).await.unwrap_err().is_transient());
        let (url, _) = fake_kannel(403, "Authorization failed for sendsms").await;
        assert!(gateway(url).send(&sms_to("9876543210", "x")).await.unwrap_err().is_transient());
    }

    #[tokio::test]
    async fn connection_refused_is_transient_and_hides_the_query() {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        let addr = listener.local_addr().expect("addr");
        drop(listener);
        let err = gateway(format!("http://{addr}"))
            .send(&sms_to("9876543210", "OTP 123456"))
            .await
            .unwrap_err();
        assert!(err.is_transient(), "{err}");
        let msg = err.to_string();
        assert!(
            !msg.contains("123456") && !msg.contains("tika-secret") && !msg.contains("98765"),
            "{msg}"
        );
    }
}
