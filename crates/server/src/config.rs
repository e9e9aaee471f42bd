//! The server's settings, already validated (loading and layering happen in the `tika` binary).

use std::net::SocketAddr;
use std::time::Duration;

/// What the server needs to know at start.
#[derive(Clone)]
pub struct ServerConfig {
    /// Address to listen on (`127.0.0.1:0` picks a free port).
    pub listen: SocketAddr,
    /// Public slot-search requests allowed per IP per 5 minutes; 0 turns the limit off.
    pub public_rate_limit: u32,
    /// OTP requests allowed per IP per hour; 0 turns the limit off.
    pub otp_per_ip_per_hour: u32,
    /// OTPs a mobile may request per day (CoWIN: 50).
    pub otp_per_mobile_per_day: u32,
    /// A fixed OTP for tests; `None` in production.
    pub test_otp: Option<String>,
    /// Partner API keys accepted in `x-api-key`.
    pub api_keys: Vec<String>,
    /// Beneficiaries per mobile (CoWIN: 4, later 6); overrides the country pack when set.
    pub max_beneficiaries_per_mobile: Option<u32>,
    /// How stale the slot-search cache may get.
    pub search_max_staleness: Duration,
    /// Token lifetime (CoWIN: 15 minutes).
    pub token_ttl: Duration,
    /// Read connections to the database.
    pub read_connections: u32,
    /// Read-only mode: certificate download and verification only, nothing written.
    pub read_only: bool,
    /// Notifications.
    pub sms: SmsSettings,
    /// The MQTT broker the cold chain ingester subscribes to; `None`: no ingester.
    pub mqtt: Option<MqttSettings>,
}

/// Where the cold chain ingester reads logger readings (see `docs/coldchain-mqtt.md`).
#[derive(Clone, PartialEq, Eq)]
pub struct MqttSettings {
    /// Broker host name or address.
    pub host: String,
    /// Broker port (1883 by default).
    pub port: u16,
    /// User name, if the broker asks for one.
    pub username: Option<String>,
    /// Password (never printed).
    pub password: Option<String>,
    /// The MQTT client id; with a persistent session (`clean_session = false`) the broker keeps
    /// `QoS 1` readings for it while the ingester is away, so each ingester needs its own.
    pub client_id: String,
    /// The subscription filter (default `tika/loggers/+/readings`).
    pub topic_filter: String,
}

impl MqttSettings {
    /// The client id used unless one is configured.
    pub const DEFAULT_CLIENT_ID: &'static str = "tika-ingest";

    /// Parses `mqtt://[user[:password]@]host[:port]` (also `tcp://`), with the default client
    /// id and topic filter.
    pub fn parse_url(url: &str) -> Result<Self, String> {
        let rest = url.strip_prefix("mqtt://").or_else(|| url.strip_prefix("tcp://")).ok_or_else(
            || "must start with mqtt:// (TLS: terminate it in the broker)".to_owned(),
        )?;
        let rest = rest.trim_end_matches('/');
        let (creds, hostport) = match rest.rfind('@') {
            Some(at) => (Some(&rest[..at]), &rest[at + 1..]),
            None => (None, rest),
        };
        let (username, password) = match creds {
            Some(c) => match c.split_once(':') {
                Some((u, p)) => (Some(u.to_owned()), Some(p.to_owned())),
                None => (Some(c.to_owned()), None),
            },
            None => (None, None),
        };
        let (host, port) = match hostport.rsplit_once(':') {
            Some((h, p)) => {
                (h, p.parse::<u16>().map_err(|_| format!("port {p:?} is not a number"))?)
            }
            None => (hostport, 1883),
        };
        if host.is_empty() || host.contains(['/', '?', '#', ' ']) {
            return Err("needs a host name, as in mqtt://user:password@127.0.0.1:1883".to_owned());
        }
        Ok(Self {
            host: host.to_owned(),
            port,
            username: username.filter(|u| !u.is_empty()),
            password,
            client_id: Self::DEFAULT_CLIENT_ID.to_owned(),
            topic_filter: tika_domain::coldchain::TOPIC_FILTER.to_owned(),
        })
    }

    /// `mqtt://user:[redacted]@host:port`, for logs and `check-config`.
    pub fn redacted_url(&self) -> String {
        let user = match (&self.username, &self.password) {
            (Some(u), Some(_)) => format!("{u}:[redacted]@"),
            (Some(u), None) => format!("{u}@"),
            _ => String::new(),
        };
        format!("mqtt://{user}{}:{}", self.host, self.port)
    }
}

impl std::fmt::Debug for MqttSettings {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MqttSettings")
            .field("url", &self.redacted_url())
            .field("client_id", &self.client_id)
            .field("topic_filter", &self.topic_filter)
            .finish()
    }
}

/// How messages are sent and reported back.
#[derive(Clone, Debug)]
pub struct SmsSettings {
    /// The address gateways call back with delivery reports, ending in `/`
    /// (`<base>api/sms/v1/dlr?...`); `None`: no reports asked for.
    pub callback_base_url: Option<String>,
    /// The shared secret a gateway puts in incoming-SMS calls (`token=`); `None` refuses them.
    pub mo_token: Option<String>,
    /// The address citizens open from a message (`<public_url>login`), ending in `/`.
    pub public_url: String,
    /// Quiet hours for reminders when the mobile has set none; `None`: none.
    pub default_quiet_hours: Option<tika_domain::quiet::QuietHours>,
    /// Run the planner and dispatcher in this process (tests drive them by hand).
    pub workers: bool,
}

impl Default for SmsSettings {
    fn default() -> Self {
        Self {
            callback_base_url: None,
            mo_token: None,
            public_url: "http://127.0.0.1:8080/".into(),
            default_quiet_hours: Some(tika_domain::quiet::QuietHours::DEFAULT),
            workers: true,
        }
    }
}

impl std::fmt::Debug for ServerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ServerConfig")
            .field("listen", &self.listen)
            .field("public_rate_limit", &self.public_rate_limit)
            .field("otp_per_ip_per_hour", &self.otp_per_ip_per_hour)
            .field("otp_per_mobile_per_day", &self.otp_per_mobile_per_day)
            .field("test_otp", &self.test_otp.as_ref().map(|_| "[set]"))
            .field("api_keys", &format!("[{} keys]", self.api_keys.len()))
            .field("max_beneficiaries_per_mobile", &self.max_beneficiaries_per_mobile)
            .field("search_max_staleness", &self.search_max_staleness)
            .field("token_ttl", &self.token_ttl)
            .field("read_only", &self.read_only)
            .field("sms.callback_base_url", &self.sms.callback_base_url)
            .field("mqtt", &self.mqtt)
            .finish_non_exhaustive()
    }
}

impl Default for ServerConfig {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            public_rate_limit: 100,
            otp_per_ip_per_hour: 60,
            otp_per_mobile_per_day: 50,
            test_otp: None,
            api_keys: Vec::new(),
            max_beneficiaries_per_mobile: None,
            search_max_staleness: Duration::from_millis(1500),
            token_ttl: Duration::from_secs(15 * 60),
            read_connections: 4,
            read_only: false,
            sms: SmsSettings::default(),
            mqtt: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::MqttSettings;

    #[test]
    fn mqtt_urls_parse_and_never_print_the_password() {
        let m = MqttSettings::parse_url("mqtt://ingest:s3cret@127.0.0.1:18830")
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((m.host.as_str(), m.port), ("127.0.0.1", 18830));
        assert_eq!(m.username.as_deref(), Some("ingest"));
        assert_eq!(m.password.as_deref(), Some("s3cret"));
        assert_eq!(m.topic_filter, "tika/loggers/+/readings");
        assert!(!format!("{m:?}").contains("s3cret"));
        assert_eq!(m.redacted_url(), "mqtt://ingest:[redacted]@127.0.0.1:18830");
        let m = MqttSettings::parse_url("mqtt://broker.local").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!((m.host.as_str(), m.port, m.username), ("broker.local", 1883, None));
        for bad in ["http://x", "mqtt://", "mqtt://h:port", "mqtts://h"] {
            assert!(MqttSettings::parse_url(bad).is_err(), "{bad}");
        }
    }
}
