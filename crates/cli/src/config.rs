//! Configuration: typed, layered (defaults < TOML file < `TIKA_*` environment < flags),
//! validated once with every problem reported, secrets never printed.
//!
//! This is the only module that reads environment variables.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;
use std::time::Duration;

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};
use tika_server::ServerConfig;

/// Every setting, with its environment variable (`TIKA_` + upper-case name) and default.
#[derive(Clone, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub(crate) struct Config {
    /// `TIKA_BIND`: address to listen on. Default `127.0.0.1`.
    #[serde(deserialize_with = "text")]
    pub(crate) bind: String,
    /// `TIKA_PORT`: port to listen on. Default 8080.
    pub(crate) port: u16,
    /// `TIKA_DATA_DIR`: where the SQLite database, the secret key and the demo SMS log live. Default `./tika-data`.
    pub(crate) data_dir: PathBuf,
    /// `TIKA_DATABASE_URL`: `sqlite://…` or `postgres://…`. Default: `tika.db` in the data directory.
    #[serde(deserialize_with = "opt_text")]
    pub(crate) database_url: Option<String>,
    /// `TIKA_SECRET_KEY`: master secret (≥ 32 characters). Default: generated into `secret.key` in the data directory.
    #[serde(deserialize_with = "opt_text")]
    pub(crate) secret_key: Option<String>,
    /// `TIKA_TEST_OTP`: a fixed 6-digit OTP for tests. Never set in production. Default unset.
    #[serde(deserialize_with = "opt_text")]
    pub(crate) test_otp: Option<String>,
    /// `TIKA_PUBLIC_RATE_LIMIT`: public search calls per IP per 5 minutes; 0 = off. Default 100 (CoWIN's).
    pub(crate) public_rate_limit: u32,
    /// `TIKA_OTP_PER_IP_PER_HOUR`: OTP requests per IP per hour; 0 = off. Default 60.
    pub(crate) otp_per_ip_per_hour: u32,
    /// `TIKA_OTP_PER_MOBILE_PER_DAY`: OTPs per mobile per day. Default 50 (CoWIN's).
    pub(crate) otp_per_mobile_per_day: u32,
    /// `TIKA_API_KEYS`: comma-separated partner keys for `x-api-key`. Default none.
    #[serde(deserialize_with = "text")]
    pub(crate) api_keys: String,
    /// `TIKA_MAX_BENEFICIARIES_PER_MOBILE`: overrides the country pack (India: 4). Default unset.
    pub(crate) max_beneficiaries_per_mobile: Option<u32>,
    /// `TIKA_SEARCH_MAX_STALENESS_MS`: how long a cached search answer may be reused after what it shows changed. Default 1500, so that with the once-a-second change feed an answer is at most 2 s behind a booking on any server.
    pub(crate) search_max_staleness_ms: u64,
    /// `TIKA_READ_CONNECTIONS`: database read connections. Default 4.
    pub(crate) read_connections: u32,
    /// `TIKA_LOG_FORMAT`: `pretty` or `json`. Default `pretty`.
    pub(crate) log_format: String,
    /// `TIKA_KEYS_DIR`: the certificate signing keys (never in the database). Default `keys` in the data directory.
    #[serde(deserialize_with = "opt_text")]
    pub(crate) keys_dir: Option<String>,
    /// `TIKA_PUBLIC_URL`: the address citizens and officers use, ending in `/`. Default `http://<bind>:<port>/`.
    #[serde(deserialize_with = "opt_text")]
    pub(crate) public_url: Option<String>,
    /// `TIKA_CERTIFICATE_ISSUER`: the issuer URL written into certificates and the keys' controller, ending in `/`; an identity: set it once and keep it. Default `https://tika.local/`.
    #[serde(deserialize_with = "opt_text")]
    pub(crate) certificate_issuer: Option<String>,
    /// `TIKA_CERTIFICATE_DID`: the issuing country's DID; keys are `<did>#<kid>`. Default `did:india`.
    #[serde(deserialize_with = "text")]
    pub(crate) certificate_did: String,
    /// `TIKA_CERTIFICATE_AUTHORITY`: the authority line printed on certificates.
    #[serde(deserialize_with = "text")]
    pub(crate) certificate_authority: String,
    /// `TIKA_SMS_GATEWAYS`: SMS gateways in failover order, comma-separated: `file` (the demo's, writes `sms-outbox.log` in the data directory), `kannel`, `http`. Default `file`.
    #[serde(deserialize_with = "text")]
    pub(crate) sms_gateways: String,
    /// `TIKA_KANNEL_URL`: Kannel smsbox's sendsms address. Default `http://127.0.0.1:13013`.
    #[serde(deserialize_with = "text")]
    pub(crate) kannel_url: String,
    /// `TIKA_KANNEL_USERNAME`: Kannel `sendsms-user`. Default `tika`.
    #[serde(deserialize_with = "text")]
    pub(crate) kannel_username: String,
    /// `TIKA_KANNEL_PASSWORD`: its password. Default unset.
    #[serde(deserialize_with = "opt_text")]
    pub(crate) kannel_password: Option<String>,
    /// `TIKA_KANNEL_RATE`: messages per second Kannel may be given. Default 100.
    pub(crate) kannel_rate: u32,
    /// `TIKA_SMS_HTTP_URL`: a JSON SMS provider's send address. Default unset.
    #[serde(deserialize_with = "opt_text")]
    pub(crate) sms_http_url: Option<String>,
    /// `TIKA_SMS_HTTP_TOKEN`: its bearer token. Default unset.
    #[serde(deserialize_with = "opt_text")]
    pub(crate) sms_http_token: Option<String>,
    /// `TIKA_SMS_HTTP_RATE`: messages per second it may be given. Default 100.
    pub(crate) sms_http_rate: u32,
    /// `TIKA_SMS_SENDER`: the registered sender id (header). Default: the templates' (`TIKAGV`).
    #[serde(deserialize_with = "opt_text")]
    pub(crate) sms_sender: Option<String>,
    /// `TIKA_SMS_CALLBACK_URL`: the address gateways call with delivery reports, ending in `/`. Default: the public URL.
    #[serde(deserialize_with = "opt_text")]
    pub(crate) sms_callback_url: Option<String>,
    /// `TIKA_SMS_MO_TOKEN`: the shared secret in Kannel's incoming-SMS `get-url` (`token=`). Default unset (incoming SMS refused).
    #[serde(deserialize_with = "opt_text")]
    pub(crate) sms_mo_token: Option<String>,
    /// `TIKA_SMS_TEMPLATES`: a TOML file of message templates (your operator-registered ids) replacing the built-in set. Default unset.
    #[serde(deserialize_with = "opt_text")]
    pub(crate) sms_templates: Option<String>,
    /// `TIKA_SMS_QUIET_HOURS`: local hours when reminders wait (`21:00-08:00`), or `off`. Default `21:00-08:00`.
    #[serde(deserialize_with = "text")]
    pub(crate) sms_quiet_hours: String,
    /// `TIKA_SMS_GATEWAY_COOLDOWN_SECS`: how long a gateway that failed is left alone before it is tried again. Default 30.
    pub(crate) sms_gateway_cooldown_secs: u64,
    /// `TIKA_MQTT_URL`: the MQTT broker the cold chain ingester subscribes to, `mqtt://[user:password@]host[:port]`. Default unset (no ingester).
    #[serde(deserialize_with = "opt_text")]
    pub(crate) mqtt_url: Option<String>,
    /// `TIKA_MQTT_USERNAME`: the broker user, if not in the URL. Default unset.
    #[serde(deserialize_with = "opt_text")]
    pub(crate) mqtt_username: Option<String>,
    /// `TIKA_MQTT_PASSWORD`: its password, if not in the URL. Default unset.
    #[serde(deserialize_with = "opt_text")]
    pub(crate) mqtt_password: Option<String>,
    /// `TIKA_MQTT_CLIENT_ID`: the ingester's MQTT client id (one per running server). Default `tika-ingest`.
    #[serde(deserialize_with = "text")]
    pub(crate) mqtt_client_id: String,
    /// `TIKA_MQTT_TOPIC`: the subscription filter of logger readings. Default `tika/loggers/+/readings`.
    #[serde(deserialize_with = "text")]
    pub(crate) mqtt_topic: String,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            bind: "127.0.0.1".into(),
            port: 8080,
            data_dir: PathBuf::from("tika-data"),
            database_url: None,
            secret_key: None,
            test_otp: None,
            public_rate_limit: 100,
            otp_per_ip_per_hour: 60,
            otp_per_mobile_per_day: 50,
            api_keys: String::new(),
            max_beneficiaries_per_mobile: None,
            search_max_staleness_ms: 1500,
            read_connections: 4,
            log_format: "pretty".into(),
            keys_dir: None,
            public_url: None,
            certificate_issuer: None,
            certificate_did: "did:india".into(),
            certificate_authority: "Ministry of Health & Family Welfare, Government of India"
                .into(),
            sms_gateways: "file".into(),
            kannel_url: "http://127.0.0.1:13013".into(),
            kannel_username: "tika".into(),
            kannel_password: None,
            kannel_rate: 100,
            sms_http_url: None,
            sms_http_token: None,
            sms_http_rate: 100,
            sms_sender: None,
            sms_callback_url: None,
            sms_mo_token: None,
            sms_templates: None,
            sms_quiet_hours: "21:00-08:00".into(),
            sms_gateway_cooldown_secs: 30,
            mqtt_url: None,
            mqtt_username: None,
            mqtt_password: None,
            mqtt_client_id: tika_server::config::MqttSettings::DEFAULT_CLIENT_ID.into(),
            mqtt_topic: tika_domain::coldchain::TOPIC_FILTER.into(),
        }
    }
}

/// Redacts secrets and URL passwords.
impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Config")
            .field("bind", &self.bind)
            .field("port", &self.port)
            .field("data_dir", &self.data_dir)
            .field("database_url", &self.database_url.as_deref().map(redact_url))
            .field("secret_key", &self.secret_key.as_ref().map(|_| "[redacted]"))
            .field("test_otp", &self.test_otp.as_ref().map(|_| "[set]"))
            .field("public_rate_limit", &self.public_rate_limit)
            .field("otp_per_ip_per_hour", &self.otp_per_ip_per_hour)
            .field("otp_per_mobile_per_day", &self.otp_per_mobile_per_day)
            .field("api_keys", &format!("[{} keys]", self.api_key_list().len()))
            .field("max_beneficiaries_per_mobile", &self.max_beneficiaries_per_mobile)
            .field("search_max_staleness_ms", &self.search_max_staleness_ms)
            .field("read_connections", &self.read_connections)
            .field("log_format", &self.log_format)
            .field("keys_dir", &self.keys_dir)
            .field("public_url", &self.public_url)
            .field("certificate_issuer", &self.certificate_issuer)
            .field("certificate_did", &self.certificate_did)
            .field("certificate_authority", &self.certificate_authority)
            .field("sms_gateways", &self.sms_gateways)
            .field("kannel_url", &self.kannel_url)
            .field("kannel_username", &self.kannel_username)
            .field("kannel_password", &self.kannel_password.as_ref().map(|_| "[redacted]"))
            .field("kannel_rate", &self.kannel_rate)
            .field("sms_http_url", &self.sms_http_url)
            .field("sms_http_token", &self.sms_http_token.as_ref().map(|_| "[redacted]"))
            .field("sms_http_rate", &self.sms_http_rate)
            .field("sms_sender", &self.sms_sender)
            .field("sms_callback_url", &self.sms_callback_url)
            .field("sms_mo_token", &self.sms_mo_token.as_ref().map(|_| "[redacted]"))
            .field("sms_templates", &self.sms_templates)
            .field("sms_quiet_hours", &self.sms_quiet_hours)
            .field("sms_gateway_cooldown_secs", &self.sms_gateway_cooldown_secs)
            .field("mqtt_url", &self.mqtt_url.as_deref().map(redact_url))
            .field("mqtt_username", &self.mqtt_username)
            .field("mqtt_password", &self.mqtt_password.as_ref().map(|_| "[redacted]"))
            .field("mqtt_client_id", &self.mqtt_client_id)
            .field("mqtt_topic", &self.mqtt_topic)
            .finish()
    }
}

/// Environment values are typed by their look (`123456` is a number); text settings take either.
#[derive(Deserialize)]
#[serde(untagged)]
enum Text {
    S(String),
    U(u64),
    I(i64),
    F(f64),
}

impl Text {
    fn into_string(self) -> String {
        match self {
            Text::S(s) => s,
            Text::U(n) => n.to_string(),
            Text::I(n) => n.to_string(),
            Text::F(n) => n.to_string(),
        }
    }
}

fn text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    Text::deserialize(d).map(Text::into_string)
}

fn opt_text<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    Option::<Text>::deserialize(d).map(|t| t.map(Text::into_string))
}

/// Hides the password of a database URL.
pub(crate) fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let creds = &url[scheme_end + 3..at];
            match creds.split_once(':') {
                Some((user, _)) => {
                    format!("{}{user}:[redacted]{}", &url[..scheme_end + 3], &url[at..])
                }
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// Flags that override everything else.
#[derive(Debug, Default, Clone)]
pub(crate) struct Overrides {
    /// `--port`.
    pub(crate) port: Option<u16>,
    /// `--data-dir`.
    pub(crate) data_dir: Option<PathBuf>,
    /// `--database-url`.
    pub(crate) database_url: Option<String>,
    /// `--bind`.
    pub(crate) bind: Option<String>,
}

impl Config {
    /// Loads the layers: defaults, the TOML file (if given), `TIKA_*` variables, flags.
    pub(crate) fn load(
        file: Option<&std::path::Path>,
        overrides: &Overrides,
    ) -> Result<Self, Vec<String>> {
        let mut fig = Figment::from(Serialized::defaults(Config::default()));
        if let Some(path) = file {
            if !path.exists() {
                return Err(vec![format!("config file {} does not exist", path.display())]);
            }
            fig = fig.merge(Toml::file(path));
        }
        // Only known keys are read from the environment, so unrelated TIKA_* variables used by
        // tests or scripts (TIKA_TEST_PG_URL, …) are not mistaken for settings.
        let known = [
            "bind",
            "port",
            "data_dir",
            "database_url",
            "secret_key",
            "test_otp",
            "public_rate_limit",
            "otp_per_ip_per_hour",
            "otp_per_mobile_per_day",
            "api_keys",
            "max_beneficiaries_per_mobile",
            "search_max_staleness_ms",
            "read_connections",
            "log_format",
            "keys_dir",
            "public_url",
            "certificate_issuer",
            "certificate_did",
            "certificate_authority",
            "sms_gateways",
            "kannel_url",
            "kannel_username",
            "kannel_password",
            "kannel_rate",
            "sms_http_url",
            "sms_http_token",
            "sms_http_rate",
            "sms_sender",
            "sms_callback_url",
            "sms_mo_token",
            "sms_templates",
            "sms_quiet_hours",
            "sms_gateway_cooldown_secs",
            "mqtt_url",
            "mqtt_username",
            "mqtt_password",
            "mqtt_client_id",
            "mqtt_topic",
        ];
        fig = fig.merge(
            Env::prefixed("TIKA_")
                .filter(move |k| known.contains(&k.as_str().to_ascii_lowercase().as_str())),
        );
        let mut config: Config =
            fig.extract().map_err(|e| e.into_iter().map(|e| e.to_string()).collect::<Vec<_>>())?;
        if let Some(p) = overrides.port {
            config.port = p;
        }
        if let Some(d) = &overrides.data_dir {
            config.data_dir = d.clone();
        }
        if let Some(u) = &overrides.database_url {
            config.database_url = Some(u.clone());
        }
        if let Some(b) = &overrides.bind {
            config.bind = b.clone();
        }
        config.validate()?;
        Ok(config)
    }

    /// Checks every setting and reports all problems at once.
    pub(crate) fn validate(&self) -> Result<(), Vec<String>> {
        let mut problems = Vec::new();
        if self.bind.parse::<IpAddr>().is_err() {
            problems.push(format!("bind: {:?} is not an IP address", self.bind));
        }
        if let Some(url) = &self.database_url
            && tika_storage::Backend::from_url(url).is_err()
        {
            problems.push("database_url: must start with sqlite: or postgres:".to_owned());
        }
        if let Some(key) = &self.secret_key
            && key.len() < 32
        {
            problems.push("secret_key: must be at least 32 characters".to_owned());
        }
        if let Some(otp) = &self.test_otp
            && (otp.len() != 6 || !otp.bytes().all(|b| b.is_ascii_digit()))
        {
            problems.push("test_otp: must be exactly 6 digits".to_owned());
        }
        if self.otp_per_mobile_per_day == 0 {
            problems.push("otp_per_mobile_per_day: must be at least 1".to_owned());
        }
        if let Some(0) = self.max_beneficiaries_per_mobile {
            problems.push("max_beneficiaries_per_mobile: must be at least 1".to_owned());
        }
        if self.read_connections == 0 || self.read_connections > 256 {
            problems.push("read_connections: must be between 1 and 256".to_owned());
        }
        if !matches!(self.log_format.as_str(), "pretty" | "json") {
            problems.push("log_format: must be pretty or json".to_owned());
        }
        if self.api_keys.split(',').any(|k| !k.trim().is_empty() && k.trim().len() < 8) {
            problems.push("api_keys: every key must be at least 8 characters".to_owned());
        }
        for (name, url) in
            [("public_url", &self.public_url), ("certificate_issuer", &self.certificate_issuer)]
        {
            if let Some(url) = url
                && (!(url.starts_with("https://") || url.starts_with("http://"))
                    || !url.ends_with('/')
                    || url.contains(['?', '#', ' ']))
            {
                problems.push(format!("{name}: must be an http(s) URL ending in / (got {url:?})"));
            }
        }
        if !self.certificate_did.starts_with("did:")
            || self.certificate_did.contains(['#', '?', ' '])
        {
            problems.push("certificate_did: must be a DID such as did:india".to_owned());
        }
        self.validate_sms(&mut problems);
        if let Err(e) = self.mqtt() {
            problems.push(e);
        }
        if problems.is_empty() { Ok(()) } else { Err(problems) }
    }

    fn validate_sms(&self, problems: &mut Vec<String>) {
        let gateways: Vec<&str> = self.gateway_names();
        if gateways.is_empty() {
            problems.push("sms_gateways: name at least one of file, kannel, http".to_owned());
        }
        for g in &gateways {
            match *g {
                "file" => {}
                "kannel" => {
                    if self.kannel_password.as_deref().is_none_or(str::is_empty) {
                        problems.push(
                            "kannel_password: required when sms_gateways names kannel".to_owned(),
                        );
                    }
                    if !self.kannel_url.starts_with("http://")
                        && !self.kannel_url.starts_with("https://")
                    {
                        problems.push(format!(
                            "kannel_url: must be an http(s) URL (got {:?})",
                            self.kannel_url
                        ));
                    }
                }
                "http" => {
                    if !self
                        .sms_http_url
                        .as_deref()
                        .is_some_and(|u| u.starts_with("http://") || u.starts_with("https://"))
                    {
                        problems.push(
                            "sms_http_url: an http(s) URL is required when sms_gateways names http"
                                .to_owned(),
                        );
                    }
                    if self.sms_http_token.as_deref().is_none_or(str::is_empty) {
                        problems.push(
                            "sms_http_token: required when sms_gateways names http".to_owned(),
                        );
                    }
                }
                other => problems
                    .push(format!("sms_gateways: unknown gateway {other:?} (file, kannel, http)")),
            }
        }
        let mut seen = gateways.clone();
        seen.sort_unstable();
        seen.dedup();
        if seen.len() != gateways.len() {
            problems.push("sms_gateways: a gateway is named twice".to_owned());
        }
        if self.kannel_rate == 0 || self.sms_http_rate == 0 {
            problems.push("kannel_rate, sms_http_rate: must be at least 1".to_owned());
        }
        if let Some(url) = &self.sms_callback_url
            && (!(url.starts_with("https://") || url.starts_with("http://")) || !url.ends_with('/'))
        {
            problems.push(format!(
                "sms_callback_url: must be an http(s) URL ending in / (got {url:?})"
            ));
        }
        if let Some(t) = &self.sms_mo_token
            && t.len() < 8
        {
            problems.push("sms_mo_token: must be at least 8 characters".to_owned());
        }
        if self.quiet_hours().is_err() {
            problems.push(format!(
                "sms_quiet_hours: must be HH:MM-HH:MM or off (got {:?})",
                self.sms_quiet_hours
            ));
        }
        if let Some(path) = &self.sms_templates {
            match std::fs::read_to_string(path) {
                Ok(text) => {
                    if let Err(e) = tika_domain::templates::TemplateSet::parse(&text) {
                        problems.push(format!("sms_templates: {path}: {e}"));
                    }
                }
                Err(e) => problems.push(format!("sms_templates: cannot read {path}: {e}")),
            }
        }
    }

    /// The configured gateway names, in failover order.
    /// The ingester's broker settings (`None` when no broker is configured).
    pub(crate) fn mqtt(&self) -> Result<Option<tika_server::config::MqttSettings>, String> {
        let Some(url) = self.mqtt_url.as_deref().filter(|u| !u.trim().is_empty()) else {
            return Ok(None);
        };
        let mut m = tika_server::config::MqttSettings::parse_url(url.trim())
            .map_err(|e| format!("mqtt_url: {e}"))?;
        if let Some(u) = &self.mqtt_username {
            m.username = Some(u.clone());
        }
        if let Some(p) = &self.mqtt_password {
            m.password = Some(p.clone());
        }
        let id = self.mqtt_client_id.trim();
        if id.is_empty() || id.len() > 64 {
            return Err("mqtt_client_id: must be 1 to 64 characters".to_owned());
        }
        m.client_id = id.to_owned();
        let topic = self.mqtt_topic.trim();
        if !topic.starts_with(tika_domain::coldchain::TOPIC_PREFIX)
            || !topic.ends_with(tika_domain::coldchain::TOPIC_SUFFIX)
        {
            return Err(format!(
                "mqtt_topic: must match tika/loggers/{{device}}/readings, e.g. {} (got {topic:?})",
                tika_domain::coldchain::TOPIC_FILTER
            ));
        }
        m.topic_filter = topic.to_owned();
        Ok(Some(m))
    }

    pub(crate) fn gateway_names(&self) -> Vec<&str> {
        self.sms_gateways.split(',').map(str::trim).filter(|s| !s.is_empty()).collect()
    }

    /// The default quiet hours (`None` for `off`).
    pub(crate) fn quiet_hours(&self) -> Result<Option<tika_domain::quiet::QuietHours>, String> {
        let v = self.sms_quiet_hours.trim();
        if v.eq_ignore_ascii_case("off") {
            return Ok(None);
        }
        tika_domain::quiet::QuietHours::parse(v).map(Some).map_err(|e| e.to_string())
    }

    /// Where the certificate signing keys live.
    pub(crate) fn keys_dir(&self) -> PathBuf {
        self.keys_dir.as_ref().map_or_else(|| self.data_dir.join("keys"), PathBuf::from)
    }

    /// The public URL, ending in `/`.
    pub(crate) fn public_url(&self) -> String {
        self.public_url.clone().unwrap_or_else(|| {
            let host = if self.bind == "0.0.0.0" { "127.0.0.1" } else { self.bind.as_str() };
            format!("http://{host}:{}/", self.port)
        })
    }

    /// How certificates name their issuer.
    pub(crate) fn certificate_settings(
        &self,
    ) -> tika_server::services::certificates::CertificateSettings {
        let public = self.public_url();
        tika_server::services::certificates::CertificateSettings {
            issuer: self
                .certificate_issuer
                .clone()
                .unwrap_or_else(|| "https://tika.local/".to_owned()),
            did: self.certificate_did.clone(),
            info_base_url: public.clone(),
            authority: self.certificate_authority.clone(),
            verify_url: format!("{public}verify/"),
        }
    }

    /// The database URL in force.
    pub(crate) fn database_url(&self) -> String {
        self.database_url
            .clone()
            .unwrap_or_else(|| format!("sqlite://{}", self.data_dir.join("tika.db").display()))
    }

    /// Partner keys.
    pub(crate) fn api_key_list(&self) -> Vec<String> {
        self.api_keys
            .split(',')
            .map(str::trim)
            .filter(|k| !k.is_empty())
            .map(str::to_owned)
            .collect()
    }

    /// The server's view of the settings.
    pub(crate) fn server_config(&self) -> ServerConfig {
        let ip: IpAddr = self.bind.parse().unwrap_or(IpAddr::from([127, 0, 0, 1]));
        ServerConfig {
            listen: SocketAddr::new(ip, self.port),
            public_rate_limit: self.public_rate_limit,
            otp_per_ip_per_hour: self.otp_per_ip_per_hour,
            otp_per_mobile_per_day: self.otp_per_mobile_per_day,
            test_otp: self.test_otp.clone(),
            api_keys: self.api_key_list(),
            max_beneficiaries_per_mobile: self.max_beneficiaries_per_mobile,
            search_max_staleness: Duration::from_millis(self.search_max_staleness_ms),
            token_ttl: Duration::from_secs(15 * 60),
            read_connections: self.read_connections,
            sms: tika_server::config::SmsSettings {
                callback_base_url: Some(
                    self.sms_callback_url.clone().unwrap_or_else(|| self.public_url()),
                ),
                mo_token: self.sms_mo_token.clone(),
                public_url: self.public_url(),
                default_quiet_hours: self.quiet_hours().ok().flatten(),
                workers: true,
            },
            mqtt: self.mqtt().ok().flatten(),
            ..ServerConfig::default()
        }
    }

    /// The message templates: the configured file, or the built-in India set.
    pub(crate) fn templates(&self) -> anyhow::Result<tika_domain::templates::TemplateSet> {
        let mut set = match &self.sms_templates {
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| anyhow::anyhow!("cannot read {path}: {e}"))?;
                tika_domain::templates::TemplateSet::parse(&text)
                    .map_err(|e| anyhow::anyhow!("{path}: {e}"))?
            }
            None => tika_packs::india_sms_templates()
                .map_err(|e| anyhow::anyhow!("built-in templates: {e}"))?,
        };
        if let Some(sender) = &self.sms_sender {
            set.set_sender(sender);
        }
        Ok(set)
    }

    /// The SMS gateways in failover order.
    pub(crate) fn gateway_pool(&self) -> anyhow::Result<tika_server::sms::GatewayPool> {
        use std::sync::Arc;
        use tika_server::sms::{
            FileGateway, HttpGateway, HttpGatewayConfig, KannelConfig, KannelGateway, SmsGateway,
        };
        let mut gateways: Vec<Arc<dyn SmsGateway>> = Vec::new();
        for name in self.gateway_names() {
            match name {
                "file" => {
                    gateways.push(Arc::new(FileGateway::new(self.data_dir.join("sms-outbox.log"))))
                }
                "kannel" => gateways.push(Arc::new(KannelGateway::new(KannelConfig {
                    url: self.kannel_url.trim_end_matches('/').to_owned(),
                    username: self.kannel_username.clone(),
                    password: self.kannel_password.clone().unwrap_or_default(),
                    max_per_second: self.kannel_rate,
                    ..KannelConfig::default()
                })?)),
                "http" => gateways.push(Arc::new(HttpGateway::new(HttpGatewayConfig {
                    url: self.sms_http_url.clone().unwrap_or_default(),
                    token: self.sms_http_token.clone().unwrap_or_default(),
                    max_per_second: self.sms_http_rate,
                    ..HttpGatewayConfig::default()
                })?)),
                other => anyhow::bail!("unknown SMS gateway {other}"),
            }
        }
        Ok(tika_server::sms::GatewayPool::new(gateways)
            .with_cooldown(Duration::from_secs(self.sms_gateway_cooldown_secs.max(1))))
    }

    /// A documented example configuration file.
    pub(crate) fn example_toml() -> String {
        let mut s = String::from(
            "# Tika configuration. Every key can also be set as TIKA_<KEY> in the environment,\n# and flags override both.\n",
        );
        if let Ok(t) = toml_of(&Config::default()) {
            s.push_str(&t);
        }
        s
    }
}

// `figment::Error` is figment's own (large) type; it is built once, at start-up.
#[allow(clippy::result_large_err)]
fn toml_of(c: &Config) -> Result<String, figment::Error> {
    let value = figment::value::Value::serialize(c)?;
    let mut out = String::new();
    if let Some(dict) = value.into_dict() {
        for (k, v) in dict {
            match v {
                figment::value::Value::String(_, s) => out.push_str(&format!("{k} = {s:?}\n")),
                figment::value::Value::Num(_, n) => {
                    out.push_str(&format!("{k} = {}\n", n.to_u128().unwrap_or(0)))
                }
                _ => out.push_str(&format!("# {k} = (unset)\n")),
            }
        }
    }
    Ok(out)
}

#[cfg(test)]
// `figment::Jail` closures return figment's own (large) error type.
#[allow(clippy::result_large_err)]
mod tests {
    use super::*;

    #[test]
    fn layers_apply_in_order_and_flags_win() {
        figment::Jail::expect_with(|jail| {
            jail.create_file(
                "tika.toml",
                "port = 9000\npublic_rate_limit = 5\nlog_format = \"json\"",
            )?;
            jail.set_env("TIKA_PORT", "9100");
            jail.set_env("TIKA_TEST_OTP", "123456");
            jail.set_env("TIKA_TEST_PG_URL", "postgres://ignored");
            let c = Config::load(Some(std::path::Path::new("tika.toml")), &Overrides::default())
                .map_err(|e| e.join(";"))?;
            assert_eq!((c.port, c.public_rate_limit, c.log_format.as_str()), (9100, 5, "json"));
            assert_eq!(c.test_otp.as_deref(), Some("123456"));
            let flags = Overrides { port: Some(9200), ..Overrides::default() };
            let c = Config::load(Some(std::path::Path::new("tika.toml")), &flags)
                .map_err(|e| e.join(";"))?;
            assert_eq!(c.port, 9200);
            Ok(())
        });
    }

    #[test]
    fn every_problem_is_reported() {
        figment::Jail::expect_with(|jail| {
            jail.set_env("TIKA_TEST_OTP", "12ab");
            jail.set_env("TIKA_DATABASE_URL", "mysql://x");
            jail.set_env("TIKA_SECRET_KEY", "short");
            let errors = Config::load(None, &Overrides::default()).err().unwrap_or_default();
            assert_eq!(errors.len(), 3, "{errors:?}");
            assert!(errors.iter().any(|e| e.starts_with("test_otp")));
            assert!(errors.iter().any(|e| e.starts_with("database_url")));
            assert!(errors.iter().any(|e| e.starts_with("secret_key")));
            Ok(())
        });
    }

    #[test]
    fn secrets_never_print() {
        let c = Config {
            secret_key: Some("s3cret-s3cret-s3cret-s3cret-s3cret".into()),
            database_url: Some("postgres://tika:hunter2@db/tika".into()),
            test_otp: Some("123456".into()),
            api_keys: "partner-key-1".into(),
            ..Config::default()
        };
        let shown = format!("{c:?}");
        assert!(
            !shown.contains("s3cret") && !shown.contains("hunter2") && !shown.contains("123456")
        );
        assert!(!shown.contains("partner-key-1"));
        assert!(shown.contains("postgres://tika:[redacted]@db/tika"));
    }

    #[test]
    fn the_mqtt_broker_is_optional_and_its_password_never_prints() {
        figment::Jail::expect_with(|jail| {
            let c = Config::load(None, &Overrides::default()).map_err(|e| e.join(";"))?;
            assert!(c.server_config().mqtt.is_none());
            jail.set_env("TIKA_MQTT_URL", "mqtt://ingest:pw-hunter2@127.0.0.1:18830");
            jail.set_env("TIKA_MQTT_CLIENT_ID", "tika-ingest-2");
            let c = Config::load(None, &Overrides::default()).map_err(|e| e.join(";"))?;
            let m = c.server_config().mqtt.unwrap();
            assert_eq!(
                (m.host.as_str(), m.port, m.client_id.as_str()),
                ("127.0.0.1", 18830, "tika-ingest-2")
            );
            assert_eq!(m.password.as_deref(), Some("pw-hunter2"));
            assert!(!format!("{c:?}").contains("hunter2"));
            assert!(!format!("{:?}", c.server_config()).contains("hunter2"));
            jail.set_env("TIKA_MQTT_URL", "http://broker");
            let errors = Config::load(None, &Overrides::default()).err().unwrap_or_default();
            assert!(errors.iter().any(|e| e.starts_with("mqtt_url")), "{errors:?}");
            Ok(())
        });
    }

    #[test]
    fn unknown_keys_in_the_file_are_refused() {
        figment::Jail::expect_with(|jail| {
            jail.create_file("tika.toml", "prot = 9000")?;
            let errors =
                Config::load(Some(std::path::Path::new("tika.toml")), &Overrides::default())
                    .err()
                    .unwrap_or_default();
            assert!(errors.iter().any(|e| e.contains("prot")), "{errors:?}");
            Ok(())
        });
    }
}
