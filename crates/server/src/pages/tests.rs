//! Page handlers through the whole router, with a cookie jar: language, login, CSRF, forms.

use std::collections::HashMap;
use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use chrono::{NaiveDate, TimeZone, Utc};
use http_body_util::BodyExt;
use tika_domain::beneficiary::verhoeff_digit;
use tika_domain::ids::{CenterId, SessionId};
use tika_domain::session::{AgeLimits, FeeType, Slot};
use tika_domain::vaccine::VaccineCode;
use tika_storage::{Backend, DynStore, NewCenter, NewSession};
use tika_test_support::TestDb;
use tower::ServiceExt;

use crate::app::{Parts, build_state};
use crate::clock::ManualClock;
use crate::config::ServerConfig;
use crate::keys::Keys;
use crate::sms::{GatewayPool, MemoryGateway};

mod console;
mod console_bulk;
mod console_coldchain;
mod console_followup;
mod console_policy;

struct Browser {
    app: Router,
    state: crate::AppState,
    cookies: HashMap<String, String>,
    accept_language: Option<&'static str>,
    _db: TestDb,
    session: SessionId,
}

struct Page {
    status: StatusCode,
    headers: HeaderMap,
    body: String,
}

impl Page {
    fn location(&self) -> &str {
        self.headers.get(header::LOCATION).and_then(|v| v.to_str().ok()).unwrap_or_default()
    }

    fn set_cookies(&self) -> Vec<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok().map(str::to_owned))
            .collect()
    }

    fn csrf(&self) -> String {
        let marker = "name=\"csrf\" value=\"";
        let start = self.body.find(marker).expect("a form with a CSRF field") + marker.len();
        self.body[start..].split('"').next().unwrap_or_default().to_owned()
    }
}

fn form_body(fields: &[(&str, &str)]) -> String {
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", super::context::encode(k), super::context::encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

impl Browser {
    async fn new() -> Self {
        let db = TestDb::new(Backend::Sqlite).await;
        let store: DynStore = Arc::<tika_storage::SqlStore>::clone(&db.store);
        let pack = Arc::new(tika_packs::india().expect("india pack"));
        let now = Utc.with_ymd_and_hms(2026, 6, 1, 4, 30, 0).unwrap();
        let pin = pack.pincode(110_001).expect("pincode 110001");
        let district = pack.district(pin.district_id).expect("its district");
        store
            .insert_centers(&[NewCenter {
                id: CenterId(100),
                name: "PHC Connaught Place".into(),
                name_l: "प्राथमिक स्वास्थ्य केंद्र कनॉट प्लेस".into(),
                address: "Connaught Place, New Delhi 110001".into(),
                block_name: "Not Applicable".into(),
                district_id: district.id,
                state_id: district.state_id,
                pincode: 110_001,
                lat: Some(28.63),
                lon: Some(77.21),
                open_time: "09:00:00".into(),
                close_time: "17:00:00".into(),
                fee_type: FeeType::Free,
                created_at_ms: now.timestamp_millis(),
            }])
            .await
            .unwrap();
        let session = SessionId::new();
        store
            .insert_sessions(&[NewSession {
                id: session,
                center_id: CenterId(100),
                date: NaiveDate::from_ymd_opt(2026, 6, 2).unwrap(),
                vaccine: VaccineCode::parse("COVISHIELD").unwrap(),
                ages: AgeLimits { min: 18, max: None },
                fee: "0".into(),
                capacity_dose1: 10,
                capacity_dose2: 5,
                slots: Slot::split(9 * 60, 17 * 60, 4),
                updated_at_ms: now.timestamp_millis(),
            }])
            .await
            .unwrap();
        let config = ServerConfig {
            test_otp: Some("123456".into()),
            public_rate_limit: 0,
            otp_per_ip_per_hour: 0,
            ..ServerConfig::default()
        };
        let state = build_state(Parts {
            config,
            store,
            pack,
            keys: Keys::derive(b"pages test master secret, more than 32 bytes"),
            sms: Arc::new(GatewayPool::new(vec![Arc::new(MemoryGateway::new("memory"))])),
            templates: Arc::new(tika_packs::india_sms_templates().unwrap()),
            clock: Arc::new(ManualClock::new(now)),
            certificates: Some(Arc::new(
                crate::services::certificates::Authority::ephemeral(
                    "pages-test",
                    crate::services::certificates::CertificateSettings::default(),
                )
                .unwrap(),
            )),
        })
        .await
        .unwrap();
        Self {
            app: crate::app::router(state.clone()),
            state,
            cookies: HashMap::new(),
            accept_language: None,
            _db: db,
            session,
        }
    }

    async fn send(&mut self, req: axum::http::request::Builder, body: Body) -> Page {
        let mut req = req;
        if !self.cookies.is_empty() {
            let jar: Vec<String> = self.cookies.iter().map(|(k, v)| format!("{k}={v}")).collect();
            req = req.header(header::COOKIE, jar.join("; "));
        }
        if let Some(l) = self.accept_language {
            req = req.header(header::ACCEPT_LANGUAGE, l);
        }
        let res = self.app.clone().oneshot(req.body(body).unwrap()).await.unwrap();
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.unwrap().to_bytes();
        for c in headers.get_all(header::SET_COOKIE).iter().filter_map(|v| v.to_str().ok()) {
            let pair = c.split(';').next().unwrap_or_default();
            if let Some((k, v)) = pair.split_once('=') {
                if v.is_empty() || c.contains("Max-Age=0") {
                    self.cookies.remove(k);
                } else {
                    self.cookies.insert(k.to_owned(), v.to_owned());
                }
            }
        }
        Page { status, headers, body: String::from_utf8_lossy(&bytes).into_owned() }
    }

    async fn get(&mut self, path: &str) -> Page {
        self.send(Request::get(path), Body::empty()).await
    }

    async fn post(&mut self, path: &str, fields: &[(&str, &str)]) -> Page {
        let req =
            Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded");
        self.send(req, Body::from(form_body(fields))).await
    }

    /// Logs in with the test OTP and returns the account page.
    async fn log_in(&mut self) -> Page {
        let login = self.get("/login").await;
        assert_eq!(login.status, StatusCode::OK);
        let sent =
            self.post("/login/otp", &[("csrf", &login.csrf()), ("mobile", "9876543210")]).await;
        assert_eq!(sent.status, StatusCode::OK, "{}", sent.body);
        let txn_marker = "name=\"txn\" value=\"";
        let start = sent.body.find(txn_marker).unwrap() + txn_marker.len();
        let txn = sent.body[start..].split('"').next().unwrap().to_owned();
        let done = self
            .post(
                "/login/verify",
                &[("csrf", &sent.csrf()), ("txn", &txn), ("otp", "123456"), ("last4", "3210")],
            )
            .await;
        assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
        self.get(done.location()).await
    }
}

fn aadhaar(seed: &str) -> String {
    format!("{seed}{}", verhoeff_digit(seed).unwrap())
}

#[tokio::test]
async fn home_follows_accept_language_and_the_lang_switch() {
    let mut b = Browser::new().await;
    b.accept_language = Some("hi-IN,hi;q=0.9,en;q=0.8");
    let hi = b.get("/").await;
    assert_eq!(hi.status, StatusCode::OK);
    assert!(hi.body.contains("<html lang=\"hi\">"));
    assert!(hi.body.contains("टीकाकरण केंद्र खोजें"));
    assert!(hi.body.contains("पिनकोड") && hi.body.contains("ज़िला"));
    assert!(hi.body.contains("href=\"/?lang=en\""), "switch link to English");
    assert!(hi.headers.get(header::CONTENT_SECURITY_POLICY).is_some());

    let en = b.get("/?lang=en").await;
    assert!(en.body.contains("<html lang=\"en\">"));
    assert!(en.body.contains("Find a vaccination centre"));
    assert!(
        en.set_cookies().iter().any(|c| c.starts_with("tika_lang=en") && c.contains("HttpOnly"))
    );
    // The cookie now wins over Accept-Language.
    let again = b.get("/").await;
    assert!(again.body.contains("<html lang=\"en\">"));
}

#[tokio::test]
async fn search_by_pincode_shows_sessions_and_asks_to_log_in_to_book() {
    let mut b = Browser::new().await;
    let page = b.get("/?lang=hi&by=pin&pincode=110001&date=2026-06-01").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("प्राथमिक स्वास्थ्य केंद्र कनॉट प्लेस"));
    assert!(page.body.contains("COVISHIELD"));
    assert!(page.body.contains("09:00AM-11:00AM"));
    assert!(page.body.contains("बुक करने के लिए लॉग इन करें"));
    assert!(page.body.contains(&b.session.to_string()));

    let filtered = b.get("/?lang=en&pincode=110001&age=45").await;
    assert!(filtered.body.contains("No sessions found"));
    let bad = b.get("/?lang=en&pincode=12").await;
    assert!(bad.body.contains("Enter a valid 6-digit pincode."));
    let district = b.get("/?lang=en&by=district&state_id=9").await;
    assert!(district.body.contains("Select district"));
    assert!(district.body.contains("New Delhi"), "the no-JS round trip lists the districts");
}

#[tokio::test]
async fn pages_need_a_login_and_forms_need_a_csrf_token() {
    let mut b = Browser::new().await;
    let account = b.get("/account").await;
    assert_eq!(account.status, StatusCode::SEE_OTHER);
    assert_eq!(account.location(), "/login?next=%2Faccount");

    b.accept_language = Some("hi");
    let login = b.get("/login").await;
    assert!(login.body.contains("लॉग इन करें"));
    assert!(login.set_cookies().iter().any(|c| c.starts_with("tika_csrf=")));
    let forged = b.post("/login/otp", &[("mobile", "9876543210")]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(forged.body.contains("यह फ़ॉर्म पुराना हो गया है"));
    let wrong = b.post("/login/otp", &[("csrf", "0000"), ("mobile", "9876543210")]).await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);

    let bad_mobile = b.post("/login/otp", &[("csrf", &login.csrf()), ("mobile", "12345")]).await;
    assert_eq!(bad_mobile.status, StatusCode::BAD_REQUEST);
    assert!(bad_mobile.body.contains("मोबाइल नंबर सही नहीं है"));
    assert!(bad_mobile.body.contains("value=\"12345\""), "the typed number is kept");

    let sent = b.post("/login/otp", &[("csrf", &login.csrf()), ("mobile", "9876543210")]).await;
    assert!(sent.body.contains("OTP ******3210 पर भेजा गया"));
    let txn_marker = "name=\"txn\" value=\"";
    let start = sent.body.find(txn_marker).unwrap() + txn_marker.len();
    let txn = sent.body[start..].split('"').next().unwrap().to_owned();
    let wrong_otp = b
        .post(
            "/login/verify",
            &[("csrf", &sent.csrf()), ("txn", &txn), ("otp", "000000"), ("last4", "3210")],
        )
        .await;
    assert_eq!(wrong_otp.status, StatusCode::BAD_REQUEST);
    assert!(wrong_otp.body.contains("OTP गलत है।"));
    assert!(wrong_otp.body.contains("******3210"));

    let ok = b
        .post(
            "/login/verify",
            &[("csrf", &sent.csrf()), ("txn", &txn), ("otp", "123456"), ("last4", "3210")],
        )
        .await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER);
    assert_eq!(ok.location(), "/account");
    // Logging in in Hindi makes Hindi the language of this account's messages.
    let mobile = tika_domain::mobile::Mobile::parse("9876543210").unwrap();
    assert_eq!(b.state.store.find_account_by_mobile(&mobile).await.unwrap().language, "hi");
    let token_cookie =
        ok.set_cookies().into_iter().find(|c| c.starts_with("tika_token=")).expect("login cookie");
    for attr in ["HttpOnly", "SameSite=Lax", "Path=/", "Max-Age=900"] {
        assert!(token_cookie.contains(attr), "{attr} missing in {token_cookie}");
    }
    let account = b.get("/account").await;
    assert_eq!(account.status, StatusCode::OK);
    assert!(account.body.contains("मेरा खाता"));
    assert!(account.body.contains("आप लॉग इन हो गए हैं।"), "flash shown once");
    assert!(account.body.contains("पंजीकृत मोबाइल: ******3210"));
    let again = b.get("/account").await;
    assert!(!again.body.contains("आप लॉग इन हो गए हैं।"), "flash cleared");

    // A form rendered before login does not work after it (the token is bound to the login).
    let stale = b.post("/account/add", &[("csrf", &login.csrf()), ("name", "X")]).await;
    assert_eq!(stale.status, StatusCode::FORBIDDEN);

    let out = b.post("/logout", &[("csrf", &again.csrf())]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert!(
        out.set_cookies().iter().any(|c| c.starts_with("tika_token=;") && c.contains("Max-Age=0"))
    );
    assert_eq!(b.get("/account").await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn adding_members_validates_and_keeps_values_but_not_the_id_number() {
    let mut b = Browser::new().await;
    b.accept_language = Some("en");
    let account = b.log_in().await;
    assert!(account.body.contains("You can add 4 more members"));
    let form = b.get("/account/add?lang=hi").await;
    assert!(form.body.contains("आधार कार्ड"), "id types in Hindi");
    assert!(form.body.contains("महिला"), "genders in Hindi");
    let csrf = form.csrf();
    let valid = aadhaar("12341234123");
    let last = (valid.as_bytes()[11] - b'0' + 1) % 10;
    let invalid = format!("{}{last}", &valid[..11]);
    let bad = b
        .post(
            "/account/add",
            &[
                ("csrf", &csrf),
                ("name", "Asha Rao"),
                ("birth_year", "1990"),
                ("gender_id", "2"),
                ("photo_id_type", "1"),
                ("photo_id_number", &invalid),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("फ़ोटो पहचान पत्र संख्या सही नहीं है।"));
    assert!(bad.body.contains("value=\"Asha Rao\""));
    assert!(bad.body.contains("value=\"1990\""));
    assert!(!bad.body.contains(&invalid), "the ID number is not echoed back");

    let id = aadhaar("23456789012");
    let fields = [
        ("csrf", csrf.as_str()),
        ("name", "Asha Rao"),
        ("birth_year", "1990"),
        ("gender_id", "2"),
        ("photo_id_type", "1"),
        ("photo_id_number", id.as_str()),
    ];
    let ok = b.post("/account/add", &fields).await;
    assert_eq!(ok.status, StatusCode::SEE_OTHER, "{}", ok.body);
    let account = b.get("/account?lang=en").await;
    assert!(account.body.contains("Member added. Reference ID: "));
    assert!(account.body.contains("Asha Rao"));
    assert!(account.body.contains(&format!("Aadhaar Card ********{}", &id[8..])));
    assert!(account.body.contains("You can add 3 more members"));

    let dup = b.post("/account/add", &fields).await;
    assert_eq!(dup.status, StatusCode::CONFLICT);
    assert!(dup.body.contains("A beneficiary with this photo ID is already registered"));
}

#[tokio::test]
async fn booking_shows_the_security_code_and_the_slip_is_a_pdf() {
    let mut b = Browser::new().await;
    b.accept_language = Some("en");
    b.log_in().await;
    let form = b.get("/account/add").await;
    let id = aadhaar("34567890123");
    let added = b
        .post(
            "/account/add",
            &[
                ("csrf", &form.csrf()),
                ("name", "Ravi Kumar"),
                ("birth_year", "1980"),
                ("gender_id", "1"),
                ("photo_id_type", "1"),
                ("photo_id_number", &id),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER);
    let account = b.get("/account").await;
    let marker = "data-ref=\"";
    let start = account.body.find(marker).unwrap() + marker.len();
    let reference = account.body[start..].split('"').next().unwrap().to_owned();

    let session = b.session.to_string();
    let book = b.get(&format!("/book?session_id={session}")).await;
    assert_eq!(book.status, StatusCode::OK, "{}", book.body);
    assert!(book.body.contains("Ravi Kumar"));
    let done = b
        .post(
            "/book",
            &[
                ("csrf", &book.csrf()),
                ("session_id", &session),
                ("slot", "09:00AM-11:00AM"),
                ("dose", "1"),
                ("beneficiaries", &reference),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let account = b.get("/account").await;
    assert!(account.body.contains("Appointment booked. Security code: "));
    let marker = "class=\"security-code\">";
    let start = account.body.find(marker).unwrap() + marker.len();
    let code = &account.body[start..start + 4];
    assert!(code.bytes().all(|c| c.is_ascii_digit()), "{code}");
    let marker = "data-appointment-id=\"";
    let start = account.body.find(marker).unwrap() + marker.len();
    let appointment = account.body[start..].split('"').next().unwrap().to_owned();

    let slip = b.get(&format!("/slip?appointment_id={appointment}")).await;
    assert_eq!(slip.status, StatusCode::OK);
    assert_eq!(slip.headers.get(header::CONTENT_TYPE).unwrap(), "application/pdf");

    // Booking twice is refused on the form, in the page language.
    let again = b
        .post(
            "/book?lang=hi",
            &[
                ("csrf", &book.csrf()),
                ("session_id", &session),
                ("slot", "09:00AM-11:00AM"),
                ("dose", "1"),
                ("beneficiaries", &reference),
            ],
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT);
    assert!(again.body.contains("इस सदस्य का इस खुराक के लिए पहले से अपॉइंटमेंट है।"));

    // Without JavaScript, cancelling asks first on its own page.
    let account = b.get("/account?lang=en").await;
    let csrf = account.csrf();
    let ask = b
        .post("/cancel", &[("csrf", &csrf), ("appointment_id", &appointment), ("ref", &reference)])
        .await;
    assert_eq!(ask.status, StatusCode::OK, "{}", ask.body);
    assert!(ask.body.contains("Cancel this appointment?"));
    let cancelled = b
        .post(
            "/cancel",
            &[
                ("csrf", &csrf),
                ("appointment_id", &appointment),
                ("ref", &reference),
                ("confirmed", "1"),
            ],
        )
        .await;
    assert_eq!(cancelled.status, StatusCode::SEE_OTHER);
    let account = b.get("/account").await;
    assert!(account.body.contains("Appointment cancelled."));
    assert!(!account.body.contains("class=\"security-code\""));

    let missing = b.get("/slip?appointment_id=nope").await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert!(missing.body.contains("Appointment not found"));
    assert!(
        missing
            .headers
            .get(header::CONTENT_TYPE)
            .unwrap()
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
}

#[tokio::test]
async fn the_account_page_lists_certificates_and_takes_corrections() {
    let mut b = Browser::new().await;
    b.accept_language = Some("en");
    b.log_in().await;
    let form = b.get("/account/add").await;
    let added = b
        .post(
            "/account/add",
            &[
                ("csrf", &form.csrf()),
                ("name", "Ravi Kumar"),
                ("birth_year", "1980"),
                ("gender_id", "1"),
                ("photo_id_type", "1"),
                ("photo_id_number", &aadhaar("34567890124")),
            ],
        )
        .await;
    assert_eq!(added.status, StatusCode::SEE_OTHER);
    let account = b.get("/account").await;
    assert!(!account.body.contains("section class=\"certificates\""), "no dose, no certificates");
    let marker = "data-ref=\"";
    let start = account.body.find(marker).unwrap() + marker.len();
    let reference = account.body[start..].split('"').next().unwrap().to_owned();
    let person = b
        .state
        .store
        .find_beneficiary_by_ref(&tika_domain::ids::BeneficiaryRef::parse(&reference).unwrap())
        .await
        .unwrap();
    b.state
        .store
        .record_vaccination(&tika_storage::Vaccination {
            id: tika_domain::ids::VaccinationId::new(),
            beneficiary_id: person.id,
            dose: tika_domain::vaccine::DoseNumber::FIRST,
            vaccine: tika_domain::vaccine::VaccineCode::parse("COVISHIELD").unwrap(),
            date: b.state.today(),
            center_id: None,
        })
        .await
        .unwrap();
    // Before the job ran: the page says the certificate is coming.
    let account = b.get("/account").await;
    assert!(account.body.contains("certificate-pending"), "{}", account.body);
    crate::services::certificates::process_pending(&b.state, 10).await.unwrap();
    let account = b.get("/account").await;
    assert!(account.body.contains("Certificate, dose 1 (PDF)"), "{}", account.body);
    assert!(!account.body.contains("certificate-pending"));
    let pdf = b.get(&format!("/certificate?ref={reference}&dose=1")).await;
    assert_eq!(pdf.status, StatusCode::OK);
    assert_eq!(pdf.headers.get(header::CONTENT_TYPE).unwrap(), "application/pdf");
    // Someone else's reference is not found; no login, no certificate.
    let other = b.get("/certificate?ref=12345678901234&dose=1").await;
    assert_ne!(other.status, StatusCode::OK);

    // A correction request from the page.
    let done = b
        .post(
            "/account/correction",
            &[
                ("csrf", &account.csrf()),
                ("ref", &reference),
                ("field", "name"),
                ("value", "Ravi Kumar Sharma"),
                ("reason", "My passport has my full name"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let account = b.get("/account").await;
    assert!(account.body.contains("Correction requested."), "{}", account.body);
    assert!(account.body.contains("Ravi Kumar Sharma · <span class=\"status\">pending</span>"));
    let stored = b
        .state
        .store
        .list_corrections(&tika_storage::CorrectionFilter {
            status: Some(tika_storage::CorrectionStatus::Pending),
            beneficiary: Some(person.id),
        })
        .await
        .unwrap();
    assert_eq!(stored.len(), 1);
    // The same field again is refused, and nothing more is stored.
    let again = b
        .post(
            "/account/correction",
            &[
                ("csrf", &account.csrf()),
                ("ref", &reference),
                ("field", "name"),
                ("value", "Ravi K Sharma"),
                ("reason", "Another spelling"),
            ],
        )
        .await;
    assert_ne!(again.status, StatusCode::SEE_OTHER);
    assert!(again.body.contains("corrected once"), "{}", again.body);
    let hindi = b.get("/account?lang=hi").await;
    assert!(hindi.body.contains("प्रमाणपत्र, खुराक 1 (PDF)"));
    assert!(hindi.body.contains("लंबित"));
}

#[tokio::test]
async fn site_app_shell_follows_lang_and_its_worker_may_control_the_app() {
    let mut b = Browser::new().await;
    // A shared site phone starts in English whatever the browser prefers.
    b.accept_language = Some("hi-IN,hi;q=0.9");
    let en = b.get("/site/").await;
    assert_eq!(en.status, StatusCode::OK);
    assert!(en.body.contains("<html lang=\"en\">"), "{}", en.body);
    assert!(en.body.contains("<title>Tika site</title>"));
    assert!(en.body.contains("src=\"/site/app.js\""));

    let hi = b.get("/site/?lang=hi").await;
    assert!(hi.body.contains("<html lang=\"hi\">"));
    assert!(hi.body.contains("<title>टीका साइट</title>"));
    // The choice is remembered in the cookie.
    assert!(b.get("/site/").await.body.contains("<html lang=\"hi\">"));

    let sw = b.get("/site/sw.js").await;
    assert_eq!(sw.status, StatusCode::OK);
    assert_eq!(sw.headers.get("service-worker-allowed").unwrap(), "/site/");
    assert_eq!(sw.headers.get(header::CACHE_CONTROL).unwrap(), "no-cache");
    assert!(!sw.body.contains("{version}"), "the cache version is filled in");

    for (path, ty) in [
        ("/site/app.js", "text/javascript; charset=utf-8"),
        ("/site/i18n.js", "text/javascript; charset=utf-8"),
        ("/site/app.css", "text/css; charset=utf-8"),
        ("/site/manifest.webmanifest", "application/manifest+json"),
    ] {
        let asset = b.get(path).await;
        assert_eq!(asset.status, StatusCode::OK, "{path}");
        assert_eq!(asset.headers.get(header::CONTENT_TYPE).unwrap(), ty, "{path}");
    }
    assert_eq!(b.get("/site").await.location(), "/site/");
}
