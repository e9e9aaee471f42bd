//! The test application: the real router and state on a fresh database, a few seeded centres and
//! sessions, a manual clock, and an SMS inbox to read OTPs from.

use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Method, Request, StatusCode, header};
use chrono::{DateTime, NaiveDate, Utc};
use http_body_util::BodyExt;
use serde_json::{Value, json};
use tika_domain::beneficiary::verhoeff_digit;
use tika_domain::date::format_cowin_date;
use tika_domain::ids::{CenterId, DistrictId, SessionId, StateId};
use tika_domain::mobile::Mobile;
use tika_domain::session::{AgeLimits, FeeType, Slot};
use tika_domain::vaccine::VaccineCode;
use tika_server::app::{Parts, build_state, router};
use tika_server::clock::{Clock, ManualClock};
use tika_server::keys::{Keys, sha256_hex};
use tika_server::services::notifications::dispatch::{self, Round};
use tika_server::services::notifications::planner;
use tika_server::sms::{GatewayPool, MemoryGateway};
use tika_server::{AppState, ServerConfig};
use tika_storage::{Backend, DynStore, NewCenter, NewSession};
use tika_test_support::TestDb;
use tower::ServiceExt;

pub(crate) const API_KEY: &str = "test-partner-key";
pub(crate) const MASTER_SECRET: &[u8] = b"test master secret of thirty-two bytes!!";
/// 2026-06-01 10:00 IST.
const START: &str = "2026-06-01T04:30:00Z";

pub(crate) const MAHARASHTRA: i64 = 21;
pub(crate) const MUMBAI_SUBURBAN: i64 = 395;
pub(crate) const PUNE: i64 = 403;
pub(crate) const BKC: i64 = 561_660;
pub(crate) const KURLA: i64 = 695_667;
pub(crate) const RUBY_HALL: i64 = 700_001;
pub(crate) const BKC_PIN: u32 = 400_051;
pub(crate) const KURLA_PIN: u32 = 400_070;
pub(crate) const RUBY_PIN: u32 = 411_001;
pub(crate) const BKC_AT: (f64, f64) = (19.065_2, 72.865_4);
pub(crate) const KURLA_AT: (f64, f64) = (19.073_2, 72.879_3);
pub(crate) const RUBY_AT: (f64, f64) = (18.530_8, 73.877_5);
pub(crate) const SLOTS: [&str; 4] =
    ["09:00AM-11:00AM", "11:00AM-01:00PM", "01:00PM-03:00PM", "03:00PM-05:00PM"];

/// The sessions every test starts with.
pub(crate) struct Seeded {
    /// BKC (400051, Mumbai Suburban), today, COVISHIELD, 18 and above, free, 50 + 50 seats.
    pub(crate) today: SessionId,
    /// BKC, tomorrow, COVAXIN, 18-44, free, 30 + 20 seats.
    pub(crate) covaxin: SessionId,
    /// Kurla (400070, Mumbai Suburban), today, COVISHIELD, 45 and above, free, 10 + 10 seats.
    pub(crate) senior: SessionId,
    /// Ruby Hall (411001, Pune), in 2 days, COVAXIN, 18 and above, paid "780", 20 + 0 seats.
    pub(crate) paid: SessionId,
    /// BKC, in 7 days: outside a calendar week that starts today.
    pub(crate) next_week: SessionId,
}

/// One running application on its own database.
pub(crate) struct TestApp {
    _db: TestDb,
    pub(crate) store: DynStore,
    pub(crate) state: AppState,
    pub(crate) clock: Arc<ManualClock>,
    pub(crate) sms: Arc<MemoryGateway>,
    pub(crate) today: NaiveDate,
    pub(crate) s: Seeded,
}

/// The configuration of the tests: no rate limits, no staleness, a partner key, no fixed OTP.
pub(crate) fn test_config() -> ServerConfig {
    ServerConfig {
        listen: SocketAddr::from(([127, 0, 0, 1], 0)),
        public_rate_limit: 0,
        otp_per_ip_per_hour: 0,
        otp_per_mobile_per_day: 50,
        test_otp: None,
        api_keys: vec![API_KEY.to_owned()],
        max_beneficiaries_per_mobile: None,
        search_max_staleness: Duration::ZERO,
        token_ttl: Duration::from_secs(15 * 60),
        read_connections: 4,
        read_only: false,
        sms: tika_server::config::SmsSettings {
            callback_base_url: Some("http://tika.test/".into()),
            mo_token: Some(MO_TOKEN.into()),
            public_url: "http://tika.test/".into(),
            default_quiet_hours: Some(tika_domain::quiet::QuietHours::DEFAULT),
            workers: false,
        },
        mqtt: None,
    }
}

/// The incoming-SMS token of the test configuration.
pub(crate) const MO_TOKEN: &str = "test-mo-token";

/// The nth test mobile number (10 digits, starting with 9).
pub(crate) fn mobile(n: u32) -> String {
    format!("9{:09}", 876_500_000 + n)
}

/// The nth Verhoeff-valid Aadhaar number.
pub(crate) fn aadhaar(n: u64) -> String {
    let base = format!("{}", 23_456_789_000u64 + n);
    let check = verhoeff_digit(&base).unwrap();
    format!("{base}{check}")
}

/// A centre in Maharashtra.
pub(crate) fn center(
    id: i64,
    name: &str,
    (district, pincode): (i64, u32),
    (lat, lon): (f64, f64),
    fee: FeeType,
) -> NewCenter {
    NewCenter {
        id: CenterId(id),
        name: name.to_owned(),
        name_l: format!("{name} (हिन्दी)"),
        address: format!("{name} Road"),
        block_name: "Ward H East".to_owned(),
        district_id: DistrictId(district),
        state_id: StateId(MAHARASHTRA),
        pincode,
        lat: Some(lat),
        lon: Some(lon),
        open_time: "09:00:00".to_owned(),
        close_time: "17:00:00".to_owned(),
        fee_type: fee,
        created_at_ms: 0,
    }
}

/// What a new session is made of.
#[derive(Clone)]
pub(crate) struct SessionSpec {
    pub(crate) center: i64,
    pub(crate) day: i64,
    pub(crate) vaccine: &'static str,
    pub(crate) min_age: u8,
    pub(crate) max_age: Option<u8>,
    pub(crate) fee: &'static str,
    pub(crate) dose1: u32,
    pub(crate) dose2: u32,
}

impl SessionSpec {
    /// A free COVISHIELD session at BKC, 18 and above, `day` days from today.
    pub(crate) fn at(day: i64, dose1: u32, dose2: u32) -> Self {
        Self {
            center: BKC,
            day,
            vaccine: "COVISHIELD",
            min_age: 18,
            max_age: None,
            fee: "0",
            dose1,
            dose2,
        }
    }
}

impl TestApp {
    /// The application with the test configuration.
    pub(crate) async fn new(backend: Backend) -> Self {
        Self::with_config(backend, |_| {}).await
    }

    /// The application with a changed test configuration.
    pub(crate) async fn with_config(
        backend: Backend,
        change: impl FnOnce(&mut ServerConfig),
    ) -> Self {
        let db = TestDb::new(backend).await;
        let store: DynStore = Arc::<tika_storage::SqlStore>::clone(&db.store);
        let mut config = test_config();
        change(&mut config);
        let start: DateTime<Utc> = START.parse().unwrap();
        let clock = Arc::new(ManualClock::new(start));
        let sms = Arc::new(MemoryGateway::new("memory"));
        let state = build_state(Parts {
            config,
            store: Arc::clone(&store),
            pack: Arc::new(tika_packs::india().unwrap()),
            keys: Keys::derive(MASTER_SECRET),
            sms: pool(&sms),
            templates: Arc::new(tika_packs::india_sms_templates().unwrap()),
            clock: Arc::<ManualClock>::clone(&clock),
            certificates: Some(Arc::new(
                tika_server::services::certificates::Authority::ephemeral(
                    "test-key",
                    tika_server::services::certificates::CertificateSettings::default(),
                )
                .unwrap(),
            )),
        })
        .await
        .unwrap();
        let today = state.today();
        assert_eq!(today, NaiveDate::from_ymd_opt(2026, 6, 1).unwrap());
        store
            .insert_centers(&[
                center(
                    BKC,
                    "BKC Jumbo Facility",
                    (MUMBAI_SUBURBAN, BKC_PIN),
                    BKC_AT,
                    FeeType::Free,
                ),
                center(KURLA, "UPHC Kurla", (MUMBAI_SUBURBAN, KURLA_PIN), KURLA_AT, FeeType::Free),
                center(RUBY_HALL, "Ruby Hall Clinic", (PUNE, RUBY_PIN), RUBY_AT, FeeType::Paid),
            ])
            .await
            .unwrap();
        let mut app = Self {
            _db: db,
            store,
            state,
            clock,
            sms,
            today,
            s: Seeded {
                today: SessionId::new(),
                covaxin: SessionId::new(),
                senior: SessionId::new(),
                paid: SessionId::new(),
                next_week: SessionId::new(),
            },
        };
        let covaxin = SessionSpec {
            day: 1,
            vaccine: "COVAXIN",
            max_age: Some(44),
            ..SessionSpec::at(1, 30, 20)
        };
        let senior = SessionSpec { center: KURLA, min_age: 45, ..SessionSpec::at(0, 10, 10) };
        let paid = SessionSpec {
            center: RUBY_HALL,
            vaccine: "COVAXIN",
            fee: "780",
            ..SessionSpec::at(2, 20, 0)
        };
        app.s = Seeded {
            today: app.insert_session(&SessionSpec::at(0, 50, 50)).await,
            covaxin: app.insert_session(&covaxin).await,
            senior: app.insert_session(&senior).await,
            paid: app.insert_session(&paid).await,
            next_week: app.insert_session(&SessionSpec::at(7, 5, 5)).await,
        };
        app.rebuild().await;
        app
    }

    /// A read-only server on the same database (`tika serve --read-only`): opened with
    /// `connect_read_only`, same keys and certificate issuer, its own in-memory OTPs and SMS inbox.
    pub(crate) async fn read_only_twin(&self) -> (axum::Router, Arc<MemoryGateway>) {
        let store: DynStore = tika_storage::connect_read_only(&self._db.url, 2).await.unwrap();
        let mut config = test_config();
        config.read_only = true;
        let sms = Arc::new(MemoryGateway::new("memory"));
        let state = build_state(Parts {
            config,
            store,
            pack: Arc::new(tika_packs::india().unwrap()),
            keys: Keys::derive(MASTER_SECRET),
            sms: pool(&sms),
            templates: Arc::new(tika_packs::india_sms_templates().unwrap()),
            clock: Arc::<ManualClock>::clone(&self.clock),
            certificates: self.state.certificates.clone(),
        })
        .await
        .unwrap();
        (router(state), sms)
    }

    /// Runs the message planner and both dispatch lanes until nothing is left to do now
    /// (what the background workers do in a running server).  Returns the rounds' total.
    pub(crate) async fn deliver_messages(&self) -> Round {
        use tika_domain::message::Priority;
        let mut total = Round::default();
        for _ in 0..100 {
            let planned = planner::plan_pending(&self.state, 500).await.unwrap();
            let r = dispatch::dispatch_round(
                &self.state,
                &[Priority::Otp, Priority::Transactional, Priority::Bulk],
                500,
            )
            .await
            .unwrap();
            total.claimed += r.claimed;
            total.sent += r.sent;
            total.deferred += r.deferred;
            total.retried += r.retried;
            total.failed += r.failed;
            total.expired += r.expired;
            if planned == 0 && r.claimed == 0 {
                return total;
            }
        }
        panic!("messages never settled");
    }

    /// Inserts a session without rebuilding the search cache.
    pub(crate) async fn insert_session(&self, spec: &SessionSpec) -> SessionId {
        let s = NewSession {
            id: SessionId::new(),
            center_id: CenterId(spec.center),
            date: self.day(spec.day),
            vaccine: VaccineCode::parse(spec.vaccine).unwrap(),
            ages: AgeLimits { min: spec.min_age, max: spec.max_age },
            fee: spec.fee.to_owned(),
            capacity_dose1: spec.dose1,
            capacity_dose2: spec.dose2,
            slots: Slot::split(9 * 60, 17 * 60, 4),
            updated_at_ms: self.state.now_ms(),
        };
        self.store.insert_sessions(std::slice::from_ref(&s)).await.unwrap();
        s.id
    }

    /// Inserts a session and rebuilds the search cache.
    pub(crate) async fn add_session(&self, spec: &SessionSpec) -> SessionId {
        let id = self.insert_session(spec).await;
        self.rebuild().await;
        id
    }

    /// Rebuilds the search cache from the database, as the refresher does after new sessions.
    pub(crate) async fn rebuild(&self) {
        self.state.cache.rebuild(self.state.today(), self.state.now_ms()).await.unwrap();
    }

    /// Today plus some days.
    pub(crate) fn day(&self, days: i64) -> NaiveDate {
        self.today + chrono::Duration::days(days)
    }

    /// Today plus some days, as `DD-MM-YYYY`.
    pub(crate) fn date(&self, days: i64) -> String {
        format_cowin_date(self.day(days))
    }

    /// Moves the clock.
    pub(crate) fn advance(&self, d: chrono::Duration) {
        self.clock.advance(d);
    }

    /// Now, from the application's clock.
    pub(crate) fn now(&self) -> DateTime<Utc> {
        self.clock.now()
    }

    pub(crate) fn get(&self, uri: impl AsRef<str>) -> Call<'_> {
        self.call(Method::GET, uri)
    }

    pub(crate) fn post(&self, uri: impl AsRef<str>) -> Call<'_> {
        self.call(Method::POST, uri)
    }

    pub(crate) fn call(&self, method: Method, uri: impl AsRef<str>) -> Call<'_> {
        Call {
            app: self,
            method,
            uri: uri.as_ref().to_owned(),
            headers: Vec::new(),
            body: Vec::new(),
            peer: None,
            check: true,
        }
    }

    /// The last OTP sent to a mobile, read from the SMS text.
    pub(crate) fn otp_sent_to(&self, mobile: &str) -> String {
        let sms = self.sms.last_to(&Mobile::parse(mobile).unwrap()).expect("an SMS was sent");
        otp_in(&sms.text)
    }

    /// Requests an OTP on one of the OTP endpoints and returns the `txnId`.
    pub(crate) async fn txn(&self, path: &str, mobile: &str) -> String {
        let mut call = self.post(path).json(&json!({ "mobile": mobile, "secret": "U2FsdGVkX1+z" }));
        if !path.contains("/public/") && !path.contains("MobileOTP") {
            call = call.header("x-api-key", API_KEY);
        }
        let res = call.send().await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text());
        res.json()["txnId"].as_str().unwrap().to_owned()
    }

    /// Logs in through the web-portal flow and returns a protected token.
    pub(crate) async fn login(&self, mobile: &str) -> String {
        let txn = self.txn("/api/v2/auth/generateMobileOTP", mobile).await;
        let otp = self.otp_sent_to(mobile);
        let res = self
            .post("/api/v2/auth/validateMobileOtp")
            .json(&json!({ "otp": sha256_hex(&otp), "txnId": txn }))
            .send()
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text());
        res.json()["token"].as_str().unwrap().to_owned()
    }

    /// Logs in through the public flow and returns a public-scope token.
    pub(crate) async fn login_public(&self, mobile: &str) -> String {
        let txn = self.txn("/api/v2/auth/public/generateOTP", mobile).await;
        let otp = self.otp_sent_to(mobile);
        let res = self
            .post("/api/v2/auth/public/confirmOTP")
            .json(&json!({ "otp": sha256_hex(&otp), "txnId": txn }))
            .send()
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text());
        res.json()["token"].as_str().unwrap().to_owned()
    }

    /// Registers a beneficiary and returns the reference id.
    pub(crate) async fn register(
        &self,
        token: &str,
        name: &str,
        birth_year: &str,
        aadhaar_number: &str,
    ) -> String {
        let res = self
            .post("/api/v2/registration/beneficiary/new")
            .bearer(token)
            .json(&json!({
                "name": name,
                "birth_year": birth_year,
                "gender_id": 2,
                "photo_id_type": 1,
                "photo_id_number": aadhaar_number,
                "comorbidity_ind": "N",
                "consent_version": "1",
            }))
            .send()
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text());
        res.json()["beneficiary_reference_id"].as_str().unwrap().to_owned()
    }

    /// Registers a beneficiary born in 1985 with the nth Aadhaar number.
    pub(crate) async fn person(&self, token: &str, n: u64) -> String {
        self.register(token, &format!("Asha Rao {}", letters(n)), "1985", &aadhaar(n)).await
    }

    /// Logs in a mobile and registers one person on it: (token, reference id).
    pub(crate) async fn citizen(&self, n: u32) -> (String, String) {
        let token = self.login(&mobile(n)).await;
        let reference = self.person(&token, u64::from(n)).await;
        (token, reference)
    }

    /// Sends a schedule request.
    pub(crate) async fn schedule(
        &self,
        token: &str,
        session: SessionId,
        dose: u8,
        refs: &[&str],
    ) -> Resp {
        self.post("/api/v2/appointment/schedule")
            .bearer(token)
            .json(&json!({
                "dose": dose,
                "session_id": session.to_string(),
                "slot": SLOTS[0],
                "beneficiaries": refs,
            }))
            .send()
            .await
    }

    /// Books and returns the appointment id (asserting success).
    pub(crate) async fn book(
        &self,
        token: &str,
        session: SessionId,
        dose: u8,
        refs: &[&str],
    ) -> String {
        let res = self.schedule(token, session, dose, refs).await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text());
        res.json()["appointment_id"].as_str().unwrap().to_owned()
    }

    /// The stored session's seats taken (dose 1, dose 2).
    pub(crate) async fn booked(&self, id: SessionId) -> (u32, u32) {
        let s = self.store.find_session(id).await.unwrap();
        (s.booked_dose1, s.booked_dose2)
    }

    /// The beneficiaries list of a token.
    pub(crate) async fn beneficiaries(&self, token: &str) -> Vec<Value> {
        let res = self.get("/api/v2/appointment/beneficiaries").bearer(token).send().await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text());
        res.json()["beneficiaries"].as_array().unwrap().clone()
    }
}

/// Letters for a number (names may not contain digits).
pub(crate) fn letters(mut n: u64) -> String {
    let mut s = String::new();
    loop {
        s.push(char::from(b'a' + (n % 26) as u8));
        n /= 26;
        if n == 0 {
            return s;
        }
    }
}

/// The 6-digit OTP inside an SMS text.
pub(crate) fn otp_in(text: &str) -> String {
    text.split(|c: char| !c.is_ascii_digit())
        .find(|w| w.len() == 6)
        .expect("a 6-digit OTP in the SMS")
        .to_owned()
}

/// A request being built.
pub(crate) struct Call<'a> {
    app: &'a TestApp,
    method: Method,
    uri: String,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
    peer: Option<SocketAddr>,
    check: bool,
}

impl Call<'_> {
    pub(crate) fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    pub(crate) fn bearer(self, token: &str) -> Self {
        self.header("authorization", &format!("Bearer {token}"))
    }

    pub(crate) fn json(mut self, v: &Value) -> Self {
        self.body = serde_json::to_vec(v).unwrap();
        self.header("content-type", "application/json")
    }

    pub(crate) fn body(mut self, bytes: &[u8]) -> Self {
        self.body = bytes.to_vec();
        self
    }

    /// As if from this IP (the extension `into_make_service_with_connect_info` adds).
    pub(crate) fn peer_ip(mut self, ip: [u8; 4]) -> Self {
        self.peer = Some(SocketAddr::from((ip, 40_000)));
        self
    }

    /// Skips the check against `openapi.json` (for deliberately undocumented requests).
    pub(crate) fn unchecked(mut self) -> Self {
        self.check = false;
        self
    }

    /// Builds the request without sending it.
    pub(crate) fn request(self) -> (Request<Body>, bool) {
        let mut req = Request::builder().method(self.method).uri(self.uri);
        for (k, v) in &self.headers {
            req = req.header(k.as_str(), v.as_str());
        }
        let mut req = req.body(Body::from(self.body)).unwrap();
        if let Some(peer) = self.peer {
            req.extensions_mut().insert(ConnectInfo(peer));
        }
        (req, self.check)
    }

    pub(crate) async fn send(self) -> Resp {
        let app = router(self.app.state.clone());
        let (req, check) = self.request();
        send_to(app, req, check).await
    }
}

/// Sends a request through a router and checks the answer against the OpenAPI document.
pub(crate) async fn send_to(app: axum::Router, req: Request<Body>, check: bool) -> Resp {
    let method = req.method().clone();
    let path = req.uri().path().to_owned();
    let res = app.oneshot(req).await.unwrap();
    let status = res.status();
    let headers = res.headers().clone();
    let body = res.into_body().collect().await.unwrap().to_bytes();
    let resp = Resp { status, headers, body };
    if check {
        crate::schema::check_response(&method, &path, &resp);
    }
    resp
}

/// A response, fully read.
#[derive(Debug)]
pub(crate) struct Resp {
    pub(crate) status: StatusCode,
    pub(crate) headers: HeaderMap,
    pub(crate) body: Bytes,
}

impl Resp {
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    pub(crate) fn json(&self) -> Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }

    pub(crate) fn header(&self, name: header::HeaderName) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// Asserts a CoWIN error body with this status and code.
    #[track_caller]
    pub(crate) fn assert_error(&self, status: StatusCode, code: &str) {
        assert_eq!(self.status, status, "{}", self.text());
        let v = self.json();
        assert_eq!(v["errorCode"], code, "{v}");
        assert!(v["error"].as_str().is_some_and(|e| !e.is_empty()), "{v}");
        assert_eq!(v.as_object().unwrap().len(), 2, "{v}");
    }

    /// Asserts CoWIN's 401: the plain text `Unauthenticated access!`.
    #[track_caller]
    pub(crate) fn assert_unauthenticated(&self) {
        assert_eq!(self.status, StatusCode::UNAUTHORIZED, "{}", self.text());
        assert_eq!(self.text(), "Unauthenticated access!");
        assert!(self.header(header::CONTENT_TYPE).unwrap().starts_with("text/plain"));
    }

    /// Asserts a 204 with an empty body.
    #[track_caller]
    pub(crate) fn assert_no_content(&self) {
        assert_eq!(self.status, StatusCode::NO_CONTENT, "{}", self.text());
        assert!(self.body.is_empty());
    }
}

/// A pool of one in-memory gateway, with a short cool-down so outage tests recover quickly.
pub(crate) fn pool(sms: &Arc<MemoryGateway>) -> Arc<GatewayPool> {
    let gw: Arc<dyn tika_server::sms::SmsGateway> = Arc::<MemoryGateway>::clone(sms);
    Arc::new(GatewayPool::new(vec![gw]).with_cooldown(std::time::Duration::from_millis(50)))
}
