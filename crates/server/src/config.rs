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
            search_max_staleness: Duration::from_secs(2),
            token_ttl: Duration::from_secs(15 * 60),
            read_connections: 4,
            read_only: false,
            sms: SmsSettings::default(),
        }
    }
}
