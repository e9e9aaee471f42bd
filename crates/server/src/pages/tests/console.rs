//! The officials' console through the whole router: login, a page per area, CSRF, areas
//! (another district's facility is "not found"), Hindi.

use axum::http::{StatusCode, header};
use tika_domain::admin::Area;
use tika_domain::ids::AdminId;
use tika_domain::staff::Username;
use tika_storage::{Change, NewAdmin};

use super::{Browser, Page};

pub(super) const PASSWORD: &str = "console pass 2026";

/// Stores an official directly (as the CLI and the demo do).
pub(super) async fn official(b: &Browser, username: &str, area: Area) {
    official_with_mobile(b, username, area, None).await;
}

async fn official_with_mobile(
    b: &Browser,
    username: &str,
    area: Area,
    mobile: Option<tika_domain::mobile::Mobile>,
) {
    let id = AdminId::new();
    let now = b.state.clock.now().timestamp_millis();
    let new = NewAdmin {
        id,
        username: Username::parse(username).unwrap(),
        name: format!("Officer {username}"),
        mobile,
        area,
        password_hash: crate::services::staff::hash_password(PASSWORD).unwrap(),
        created_by: None,
        created_at_ms: now,
    };
    let audit = Change {
        id: uuid::Uuid::now_v7(),
        at_ms: now,
        actor: "cli".into(),
        action: "admin.create".into(),
        subject: format!("admin:{id}"),
        place: None,
        before: None,
        after: None,
    };
    b.state.store.create_admin(&new, &audit).await.unwrap();
}

pub(super) fn district_of(b: &Browser, pincode: u32) -> Area {
    let pin = b.state.pack.pincode(pincode).expect("pincode in the pack");
    let d = b.state.pack.district(pin.district_id).expect("its district");
    Area::District { state: d.state_id, district: d.id }
}

/// A browser with the national, Delhi and Mumbai officials stored.
async fn console_browser() -> Browser {
    let mut b = Browser::new().await;
    b.accept_language = Some("en");
    official(&b, "national", Area::National).await;
    let delhi = district_of(&b, 110_001);
    official(&b, "delhi.admin", delhi).await;
    let mumbai = district_of(&b, 400_001);
    official(&b, "mumbai.admin", mumbai).await;
    b
}

async fn log_in(b: &mut Browser, username: &str) -> Page {
    let form = b.get("/console/login").await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    let done = b
        .post(
            "/console/login",
            &[("csrf", &form.csrf()), ("username", username), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(done.location(), "/console");
    b.get("/console").await
}

fn between<'a>(body: &'a str, start: &str, end: &str) -> &'a str {
    let from = body.find(start).map(|i| i + start.len()).unwrap_or(body.len());
    let rest = &body[from..];
    &rest[..rest.find(end).unwrap_or(rest.len())]
}

/// Creates a facility in New Delhi through the form; returns its page's path.
async fn create_facility(b: &mut Browser, name: &str) -> String {
    let form = b.get("/console/facilities/new").await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    let district = b.state.pack.pincode(110_001).unwrap().district_id.0.to_string();
    let done = b
        .post(
            "/console/facilities/new",
            &[
                ("csrf", &form.csrf()),
                ("name", name),
                ("kind", "government"),
                ("address", "Janpath, Connaught Place"),
                ("block", "New Delhi"),
                ("district", &district),
                ("pincode", "110001"),
                ("open", "09:00"),
                ("close", "17:00"),
                ("cold_chain_point", "CCP New Delhi"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert!(done.location().starts_with("/console/facilities/"), "{}", done.location());
    done.location().to_owned()
}

#[tokio::test]
async fn console_login_sets_its_own_strict_cookie_and_refuses_wrong_passwords() {
    let mut b = console_browser().await;
    let home = b.get("/console").await;
    assert_eq!(home.status, StatusCode::SEE_OTHER);
    assert_eq!(home.location(), "/console/login?next=%2Fconsole");

    let form = b.get("/console/login").await;
    assert!(
        form.body.contains("Log in to the officials&#x27; console")
            || form.body.contains("Log in to the officials")
    );
    assert_eq!(form.headers.get(header::CACHE_CONTROL).unwrap(), "no-store");
    assert!(form.headers.get(header::CONTENT_SECURITY_POLICY).is_some());
    let wrong = b
        .post(
            "/console/login",
            &[("csrf", &form.csrf()), ("username", "delhi.admin"), ("password", "not it 12345")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST, "{}", wrong.body);
    assert!(wrong.body.contains("Wrong username or password."));
    assert!(wrong.body.contains("value=\"delhi.admin\""), "the username is kept");

    let done = b
        .post(
            "/console/login",
            &[("csrf", &form.csrf()), ("username", "delhi.admin"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let cookie = done
        .set_cookies()
        .into_iter()
        .find(|c| c.starts_with("tika_console="))
        .expect("console login cookie");
    for attr in ["HttpOnly", "SameSite=Strict", "Path=/console", "Max-Age="] {
        assert!(cookie.contains(attr), "{attr} missing in {cookie}");
    }
    assert!(!b.cookies.contains_key("tika_token"), "not the citizen login");
    // The citizen pages do not see the console login.
    assert_eq!(b.get("/account").await.status, StatusCode::SEE_OTHER);

    let home = b.get("/console").await;
    assert_eq!(home.status, StatusCode::OK, "{}", home.body);
    assert!(home.body.contains("Officer delhi.admin"));
    let district = b.state.pack.pincode(110_001).unwrap().district_id;
    let name = b.state.pack.district(district).unwrap().name.clone();
    assert!(between(&home.body, "id=\"my-area\">", "<").contains(&name), "{}", home.body);
    assert!(home.body.contains("Welcome. You are logged in to the console."));

    let out = b.post("/console/logout", &[("csrf", &home.csrf())]).await;
    assert_eq!(out.status, StatusCode::SEE_OTHER);
    assert_eq!(out.location(), "/console/login");
    assert!(
        out.set_cookies()
            .iter()
            .any(|c| c.starts_with("tika_console=;") && c.contains("Max-Age=0"))
    );
    assert_eq!(b.get("/console").await.status, StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn console_forms_need_a_csrf_token() {
    let mut b = console_browser().await;
    let home = log_in(&mut b, "delhi.admin").await;
    let forged = b.post("/console/facilities/new", &[("name", "Forged PHC")]).await;
    assert_eq!(forged.status, StatusCode::FORBIDDEN);
    assert!(forged.body.contains("This form has expired"));
    let wrong =
        b.post("/console/facilities/new", &[("csrf", "00ff"), ("name", "Forged PHC")]).await;
    assert_eq!(wrong.status, StatusCode::FORBIDDEN);
    // A token of another browser's console login does not work either.
    let mut other = console_browser().await;
    let theirs = log_in(&mut other, "national").await;
    let stolen = b.post("/console/password", &[("csrf", &theirs.csrf())]).await;
    assert_eq!(stolen.status, StatusCode::FORBIDDEN);
    assert!(home.body.contains("name=\"csrf\""));
}

#[tokio::test]
async fn a_district_official_manages_facilities_sessions_and_sees_the_audit_log() {
    let mut b = console_browser().await;
    log_in(&mut b, "delhi.admin").await;

    // Every page of the area answers.
    for path in [
        "/console",
        "/console/facilities",
        "/console/facilities/new",
        "/console/admins",
        "/console/audit",
        "/console/password",
    ] {
        let page = b.get(path).await;
        assert_eq!(page.status, StatusCode::OK, "{path}: {}", page.body);
        assert!(page.body.contains("id=\"logout\""), "{path} shows the logout");
    }

    // A bad field is shown next to it, with the other values kept.
    let form = b.get("/console/facilities/new").await;
    let district = b.state.pack.pincode(110_001).unwrap().district_id.0.to_string();
    let bad = b
        .post(
            "/console/facilities/new",
            &[
                ("csrf", &form.csrf()),
                ("name", "UPHC Gole Market"),
                ("kind", "government"),
                ("address", "Gole Market, New Delhi"),
                ("block", "New Delhi"),
                ("district", &district),
                ("pincode", "999999"),
                ("open", "09:00"),
                ("close", "17:00"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);
    assert!(bad.body.contains("id=\"err-pincode\""), "{}", bad.body);
    assert!(bad.body.contains("value=\"UPHC Gole Market\""));
    assert!(bad.body.contains("value=\"999999\""));

    let href = create_facility(&mut b, "UPHC Gole Market").await;
    let page = b.get(&href).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("Facility created."));
    assert!(page.body.contains("UPHC Gole Market"));
    assert!(page.body.contains("No sessions in the next 4 weeks."));
    let list = b.get("/console/facilities?q=gole").await;
    assert!(list.body.contains("UPHC Gole Market"), "{}", list.body);

    // A recurring plan: weekdays for two weeks from tomorrow.
    let plan_form = b.get(&format!("{href}/plan")).await;
    assert_eq!(plan_form.status, StatusCode::OK, "{}", plan_form.body);
    let from = b.state.today() + chrono::Duration::days(1);
    let until = from + chrono::Duration::days(13);
    let (from_s, until_s) = (from.to_string(), until.to_string());
    let mut fields = vec![
        ("csrf", plan_form.csrf()),
        ("vaccine", "COVISHIELD".to_owned()),
        ("from", from_s),
        ("until", until_s),
        ("min_age", "18".to_owned()),
        ("capacity_dose1", "40".to_owned()),
        ("capacity_dose2", "20".to_owned()),
        ("slots", "4".to_owned()),
        ("walk_ins", "1".to_owned()),
    ];
    for d in 0..5 {
        fields.push(("weekday", d.to_string()));
    }
    let refs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let planned = b.post(&format!("{href}/plan"), &refs).await;
    assert_eq!(planned.status, StatusCode::OK, "{}", planned.body);
    assert!(planned.body.contains("Sessions created: 10"), "{}", planned.body);
    let again = b.post(&format!("{href}/plan"), &refs).await;
    assert!(again.body.contains("Sessions created: 0"), "{}", again.body);
    assert!(again.body.contains("(a session of this vaccine already exists): 10"));

    let page = b.get(&href).await;
    let ids: Vec<String> = page
        .body
        .split("data-session-id=\"")
        .skip(1)
        .map(|s| s.split('"').next().unwrap().to_owned())
        .collect();
    assert_eq!(ids.len(), 10, "{}", page.body);
    assert!(page.body.contains("0 of 40 booked"));

    // Seats, then a cancellation.
    let edited = b
        .post(
            &format!("{href}/sessions/{}/edit", ids[0]),
            &[("csrf", &page.csrf()), ("capacity_dose1", "60"), ("capacity_dose2", "20")],
        )
        .await;
    assert_eq!(edited.status, StatusCode::SEE_OTHER, "{}", edited.body);
    let bad_edit = b
        .post(
            &format!("{href}/sessions/{}/edit", ids[0]),
            &[("csrf", &page.csrf()), ("capacity_dose1", "lots"), ("capacity_dose2", "20")],
        )
        .await;
    assert_eq!(bad_edit.status, StatusCode::BAD_REQUEST);
    assert!(bad_edit.body.contains("id=\"session-error\""));
    let cancelled = b
        .post(
            &format!("{href}/sessions/{}/cancel", ids[1]),
            &[("csrf", &page.csrf()), ("reason", "Vaccine stock delayed")],
        )
        .await;
    assert_eq!(cancelled.status, StatusCode::SEE_OTHER, "{}", cancelled.body);
    let page = b.get(cancelled.location()).await;
    assert!(page.body.contains("Session cancelled; 0 people booked will be told by SMS."));
    assert!(page.body.contains("0 of 60 booked"));
    assert!(page.body.contains("Cancelled"));

    // The audit log shows who did what.
    let audit = b.get("/console/audit").await;
    assert_eq!(audit.status, StatusCode::OK, "{}", audit.body);
    for action in ["facility.create", "session.plan", "session.edit", "session.cancel"] {
        assert!(audit.body.contains(action), "{action} missing in the audit log");
    }
    assert!(audit.body.contains("delhi.admin"), "actors are shown by username");
    let filtered = b.get("/console/audit?action=session.cancel").await;
    assert!(filtered.body.contains("session.cancel"));
    assert!(!filtered.body.contains("facility.create"));

    // Hindi.
    let hi = b.get(&format!("{href}?lang=hi")).await;
    assert!(hi.body.contains("<html lang=\"hi\">"));
    assert!(hi.body.contains("अगले 4 सप्ताह के सत्र"));
    assert!(hi.body.contains("कर्मचारी जोड़ें"));
    let hi_list = b.get("/console/facilities").await;
    assert!(hi_list.body.contains("<h1>केंद्र</h1>"), "the language choice is remembered");
}

#[tokio::test]
async fn another_districts_facility_is_not_found_and_not_listed() {
    let mut b = console_browser().await;
    log_in(&mut b, "delhi.admin").await;
    let href = create_facility(&mut b, "Dispensary Bengali Market").await;
    let home = b.get("/console").await;
    b.post("/console/logout", &[("csrf", &home.csrf())]).await;

    let home = log_in(&mut b, "mumbai.admin").await;
    assert!(!home.body.contains("id=\"home-new-facility\"") || home.body.contains("New facility"));
    let page = b.get(&href).await;
    assert_eq!(page.status, StatusCode::NOT_FOUND, "{}", page.body);
    assert!(page.body.contains("Page not found"));
    assert!(page.body.contains("id=\"logout\""), "the console's own error page");
    let list = b.get("/console/facilities").await;
    assert!(!list.body.contains("Dispensary Bengali Market"));
    let hi = b.get(&format!("{href}?lang=hi")).await;
    assert_eq!(hi.status, StatusCode::NOT_FOUND);
    assert!(hi.body.contains("पेज नहीं मिला"));
    // Nor can it be changed.
    let refused =
        b.post(&format!("{href}/active"), &[("csrf", &list.csrf()), ("active", "0")]).await;
    assert_eq!(refused.status, StatusCode::NOT_FOUND, "{}", refused.body);

    // The national official sees it.
    let home = b.get("/console").await;
    b.post("/console/logout", &[("csrf", &home.csrf())]).await;
    log_in(&mut b, "national").await;
    assert_eq!(b.get(&href).await.status, StatusCode::OK);
}

#[tokio::test]
async fn officials_are_created_inside_the_area_only() {
    let mut b = console_browser().await;
    log_in(&mut b, "delhi.admin").await;
    let page = b.get("/console/admins").await;
    assert!(page.body.contains("delhi.admin"));
    assert!(!page.body.contains("mumbai.admin"), "officials of other districts are not listed");
    assert!(!page.body.contains("value=\"national\""), "no level above one's own is offered");
    let district = b.state.pack.pincode(110_001).unwrap().district_id.0.to_string();
    let state = b
        .state
        .pack
        .district(tika_domain::ids::DistrictId(district.parse().unwrap()))
        .unwrap()
        .state_id
        .0
        .to_string();
    let created = b
        .post(
            "/console/admins",
            &[
                ("csrf", &page.csrf()),
                ("username", "nd.block"),
                ("name", "Block Officer"),
                ("password", "block officer 77"),
                ("level", "block"),
                ("state", &state),
                ("district", &district),
                ("block", "Chanakyapuri"),
            ],
        )
        .await;
    assert_eq!(created.status, StatusCode::SEE_OTHER, "{}", created.body);
    let page = b.get("/console/admins").await;
    assert!(page.body.contains("Official created."));
    assert!(page.body.contains("nd.block"));
}

#[tokio::test]
async fn changing_the_password_ends_the_login() {
    let mut b = console_browser().await;
    log_in(&mut b, "delhi.admin").await;
    let form = b.get("/console/password").await;
    let wrong = b
        .post(
            "/console/password",
            &[
                ("csrf", &form.csrf()),
                ("current_password", "not my password 1"),
                ("new_password", "a new password 42"),
                ("repeat_password", "a new password 42"),
            ],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST, "{}", wrong.body);
    assert!(wrong.body.contains("id=\"err-current_password\""), "{}", wrong.body);
    let differ = b
        .post(
            "/console/password",
            &[
                ("csrf", &form.csrf()),
                ("current_password", PASSWORD),
                ("new_password", "a new password 42"),
                ("repeat_password", "another one 42"),
            ],
        )
        .await;
    assert!(differ.body.contains("The new passwords do not match."));
    let done = b
        .post(
            "/console/password",
            &[
                ("csrf", &form.csrf()),
                ("current_password", PASSWORD),
                ("new_password", "a new password 42"),
                ("repeat_password", "a new password 42"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    assert_eq!(done.location(), "/console/login");
    let login = b.get("/console/login").await;
    assert!(login.body.contains("Password changed."));
    let again = b
        .post(
            "/console/login",
            &[
                ("csrf", &login.csrf()),
                ("username", "delhi.admin"),
                ("password", "a new password 42"),
            ],
        )
        .await;
    assert_eq!(again.status, StatusCode::SEE_OTHER, "{}", again.body);
}

#[tokio::test]
async fn an_official_logs_in_with_a_code_sent_by_sms() {
    let mut b = console_browser().await;
    let area = district_of(&b, 110_001);
    let mobile = tika_domain::mobile::Mobile::parse("9876543210").unwrap();
    official_with_mobile(&b, "code.user", area, Some(mobile)).await;
    let form = b.get("/console/login").await;
    assert!(form.body.contains("id=\"otp-form\""), "{}", form.body);

    // No code for a login without a mobile: the password form again, with the reason.
    let refused =
        b.post("/console/login/otp", &[("csrf", &form.csrf()), ("username", "delhi.admin")]).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST, "{}", refused.body);
    assert!(refused.body.contains("No login code can be sent"), "{}", refused.body);

    let ask =
        b.post("/console/login/otp", &[("csrf", &form.csrf()), ("username", "code.user")]).await;
    assert_eq!(ask.status, StatusCode::OK, "{}", ask.body);
    assert!(ask.body.contains("id=\"otp-confirm-form\""), "{}", ask.body);
    let txn = between(&ask.body, "name=\"txn\" value=\"", "\"").to_owned();
    assert!(!txn.is_empty());
    let wrong = b
        .post(
            "/console/login/otp/confirm",
            &[("csrf", &ask.csrf()), ("txn", &txn), ("username", "code.user"), ("otp", "000000")],
        )
        .await;
    assert_eq!(wrong.status, StatusCode::BAD_REQUEST, "{}", wrong.body);
    assert!(wrong.body.contains("The code was not accepted"), "{}", wrong.body);
    let done = b
        .post(
            "/console/login/otp/confirm",
            &[("csrf", &ask.csrf()), ("txn", &txn), ("username", "code.user"), ("otp", "123456")],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let home = b.get("/console").await;
    assert_eq!(home.status, StatusCode::OK);
    assert!(home.body.contains("Officer code.user"), "{}", home.body);
}

#[tokio::test]
async fn the_sms_delivery_page_shows_the_area_in_both_languages() {
    let mut b = console_browser().await;
    let page = log_in(&mut b, "delhi.admin").await;
    assert!(page.body.contains("id=\"nav-messages\""), "{}", page.body);
    let list = b.get("/console/messages?days=30").await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert!(list.body.contains("SMS delivery"), "{}", list.body);
    assert!(list.body.contains("No messages in this period."), "{}", list.body);
    let hindi = b.get("/console/messages?lang=hi").await;
    assert_eq!(hindi.status, StatusCode::OK);
    assert!(hindi.body.contains("SMS डिलीवरी"), "{}", hindi.body);
}

#[tokio::test]
async fn a_district_official_runs_an_assignment_and_reads_why() {
    let mut b = console_browser().await;
    let home = log_in(&mut b, "delhi.admin").await;
    assert!(home.body.contains("id=\"nav-assign\""), "{}", home.body);
    let form = b.get("/console/assign").await;
    assert_eq!(form.status, StatusCode::OK, "{}", form.body);
    assert!(form.body.contains("id=\"no-runs\""), "{}", form.body);
    let from = between(&form.body, "name=\"date_from\" type=\"date\" value=\"", "\"").to_owned();
    assert_eq!(from.len(), 10, "{}", form.body);

    // A bad distance is shown at its field, and nothing starts.
    let bad = b
        .post(
            "/console/assign",
            &[
                ("csrf", &form.csrf()),
                ("basis", "posting"),
                ("date_from", &from),
                ("date_until", &from),
                ("vaccine", ""),
                ("max_km", "9999"),
                ("dry_run", "1"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);
    assert!(bad.body.contains("id=\"err-max_km\""), "{}", bad.body);
    assert!(bad.body.contains("id=\"no-runs\""), "{}", bad.body);

    let started = b
        .post(
            "/console/assign",
            &[
                ("csrf", &form.csrf()),
                ("basis", "home"),
                ("date_from", &from),
                ("date_until", &from),
                ("vaccine", ""),
                ("max_km", "25"),
                ("dry_run", "1"),
            ],
        )
        .await;
    assert_eq!(started.status, StatusCode::SEE_OTHER, "{}", started.body);
    let href = started.location().to_owned();
    assert!(href.starts_with("/console/assign/"), "{href}");
    let mut page = b.get(&href).await;
    for _ in 0..50 {
        if page.body.contains("data-status=\"finished\"") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        page = b.get(&href).await;
    }
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("data-status=\"finished\""), "{}", page.body);
    assert!(page.body.contains("Finished"), "{}", page.body);
    assert!(page.body.contains("within 25 km"), "{}", page.body);
    let csv = b.get(&format!("{href}/export.csv")).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert!(csv.body.starts_with("seq,reference_id,reason,"), "{}", csv.body);
    let list = b.get("/console/assign").await;
    assert!(list.body.contains(&format!("href=\"{href}\"")), "{}", list.body);
    let hindi = b.get(&format!("{href}?lang=hi")).await;
    assert!(hindi.body.contains("आवंटन रन"), "{}", hindi.body);

    // Another district does not see the run.
    b.cookies.clear();
    log_in(&mut b, "mumbai.admin").await;
    assert_eq!(b.get(&href).await.status, StatusCode::NOT_FOUND);
    assert!(!b.get("/console/assign").await.body.contains(&href));
}
