//! The officials' console API (`/api/admin/v1`, codes in `docs/API-DESIGN.md`): login, lockout,
//! token expiry and refresh, facilities, session plans, seats, cancellations, the audit log,
//! and the permission matrix: an official sees and changes only their own area.

use std::sync::OnceLock;

use axum::http::{Method, StatusCode};
use chrono::Duration;
use serde_json::{Value, json};
use tika_domain::admin::Area;
use tika_domain::ids::{AdminId, CenterId, DistrictId, SessionId, StaffId, StateId};
use tika_domain::message::MessageKind;
use tika_domain::mobile::Mobile;
use tika_domain::staff::{StaffRole, Username};
use tika_server::services::staff::hash_password;
use tika_storage::{Backend, Change, NewAdmin};
use tika_test_support::on_both_backends;

use crate::harness::{
    BKC, KURLA, MAHARASHTRA, MUMBAI_SUBURBAN, PUNE, RUBY_HALL, Resp, TestApp, mobile,
};
use crate::site::staff;

const API: &str = "/api/admin/v1";
const PASSWORD: &str = "Console-2026-pass";

/// One Argon2 hash of [`PASSWORD`] for every official of every test.
fn password_hash() -> String {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| hash_password(PASSWORD).unwrap()).clone()
}

fn mumbai() -> Area {
    Area::District { state: StateId(MAHARASHTRA), district: DistrictId(MUMBAI_SUBURBAN) }
}

fn pune() -> Area {
    Area::District { state: StateId(MAHARASHTRA), district: DistrictId(PUNE) }
}

fn at_bkc() -> Area {
    Area::Facility {
        state: StateId(MAHARASHTRA),
        district: DistrictId(MUMBAI_SUBURBAN),
        block: "Ward H East".into(),
        center: CenterId(BKC),
    }
}

/// Creates an official in the store, as `tika admin create` does.
async fn add_admin(app: &TestApp, username: &str, area: Area) -> AdminId {
    add_admin_with_mobile(app, username, area, None).await
}

/// Creates an official with (or without) a mobile for login codes.
pub(crate) async fn add_admin_with_mobile(
    app: &TestApp,
    username: &str,
    area: Area,
    mobile: Option<Mobile>,
) -> AdminId {
    let id = AdminId::new();
    let audit = Change {
        id: uuid::Uuid::now_v7(),
        at_ms: app.now().timestamp_millis(),
        actor: "cli".into(),
        action: "admin.create".into(),
        subject: format!("admin:{id}"),
        place: None,
        before: None,
        after: None,
    };
    app.store
        .create_admin(
            &NewAdmin {
                id,
                username: Username::parse(username).unwrap(),
                name: format!("Official {username}"),
                mobile,
                area,
                password_hash: password_hash(),
                created_by: None,
                created_at_ms: app.now().timestamp_millis(),
            },
            &audit,
        )
        .await
        .unwrap();
    id
}

async fn login_as(app: &TestApp, username: &str, password: &str) -> Resp {
    app.post(format!("{API}/login"))
        .json(&json!({ "username": username, "password": password }))
        .send()
        .await
}

/// Creates an official and logs in: (token, id).
pub(crate) async fn official(app: &TestApp, username: &str, area: Area) -> (String, AdminId) {
    let id = add_admin(app, username, area).await;
    let res = login_as(app, username, PASSWORD).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    (res.json()["token"].as_str().unwrap().to_owned(), id)
}

pub(crate) async fn call(
    app: &TestApp,
    method: Method,
    token: &str,
    path: &str,
    body: Option<Value>,
) -> Resp {
    let mut c = app.call(method, format!("{API}{path}")).bearer(token);
    if let Some(b) = body {
        c = c.json(&b);
    }
    c.send().await
}

async fn get(app: &TestApp, token: &str, path: &str) -> Resp {
    call(app, Method::GET, token, path, None).await
}

async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> Resp {
    call(app, Method::POST, token, path, Some(body)).await
}

#[track_caller]
fn assert_ok(res: &Resp, status: StatusCode) -> Value {
    assert_eq!(res.status, status, "{}", res.text());
    if res.body.is_empty() { Value::Null } else { res.json() }
}

/// Asserts a 400 `ADM0001` naming at least these fields.
#[track_caller]
fn assert_fields(res: &Resp, fields: &[&str]) {
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.text());
    let v = res.json();
    assert_eq!(v["errorCode"], "ADM0001", "{v}");
    let named: Vec<&str> =
        v["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    for f in fields {
        assert!(named.contains(f), "field {f} not reported: {v}");
    }
    for f in v["fields"].as_array().unwrap() {
        assert!(f["message"].as_str().is_some_and(|m| !m.is_empty()), "{v}");
        assert!(v["error"].as_str().unwrap().contains(f["field"].as_str().unwrap()), "{v}");
    }
}

/// Asserts the not-found answer (also what anything outside the official's area gets).
#[track_caller]
fn assert_not_found(res: &Resp) {
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.text());
    assert_eq!(res.json(), json!({ "errorCode": "USRRES0404", "error": "Not found" }));
}

fn facility_body(name: &str) -> Value {
    json!({
        "name": name,
        "name_l": "",
        "kind": "government",
        "address": "12 Station Road, Kurla West",
        "block": "Ward L",
        "district": MUMBAI_SUBURBAN,
        "pincode": "400070",
        "open": "09:00",
        "close": "17:00",
        "cold_chain_point": "Mumbai Suburban DVS",
    })
}

fn weekdays_for_four_weeks(app: &TestApp) -> Value {
    // 2026-06-01 (the test's today) is a Monday: four weeks of weekdays are 20 dates.
    json!({
        "vaccine": "COVISHIELD",
        "from": app.day(0).to_string(),
        "until": app.day(27).to_string(),
        "weekdays": [0, 1, 2, 3, 4],
        "min_age": 18,
        "capacity_dose1": 40,
        "capacity_dose2": 10,
        "slots": 4,
        "walk_ins": true,
    })
}

// --- login, lockout, expiry -------------------------------------------------------------------

async fn officials_can_log_in_with_a_code_sent_to_their_mobile(backend: Backend) {
    let app = TestApp::new(backend).await;
    let phone = mobile(700);
    let id = add_admin_with_mobile(
        &app,
        "code.official",
        mumbai(),
        Some(Mobile::parse(&phone).unwrap()),
    )
    .await;
    let res = app
        .post(format!("{API}/login/otp"))
        .json(&json!({ "username": "code.official" }))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    let txn = res.json()["txnId"].as_str().unwrap().to_owned();
    let otp = app.otp_sent_to(&phone);
    let confirm = |otp: String| {
        app.post(format!("{API}/login/otp/confirm")).json(&json!({ "txnId": txn, "otp": otp }))
    };
    let wrong = if otp == "000000" { "111111" } else { "000000" };
    confirm(wrong.to_owned()).send().await.assert_error(StatusCode::BAD_REQUEST, "USRAUT0014");
    let res = confirm(otp.clone()).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    let v = res.json();
    assert_eq!(v["admin"]["id"], json!(id.to_string()));
    let token = v["token"].as_str().unwrap().to_owned();
    let me = get(&app, &token, "/me").await;
    assert_eq!(me.status, StatusCode::OK, "{}", me.text());
    // A code logs in once.
    confirm(otp).send().await.assert_error(StatusCode::BAD_REQUEST, "USRAUT0017");

    // Unknown username, no mobile, deactivated: one refusal, and no SMS leaves.
    let sent = app.sms.sent().len();
    add_admin(&app, "no.mobile", mumbai()).await;
    let gone = add_admin_with_mobile(
        &app,
        "gone.official",
        mumbai(),
        Some(Mobile::parse(&mobile(701)).unwrap()),
    )
    .await;
    let audit = Change {
        id: uuid::Uuid::now_v7(),
        at_ms: app.now().timestamp_millis(),
        actor: "cli".into(),
        action: "admin.deactivate".into(),
        subject: format!("admin:{gone}"),
        place: None,
        before: None,
        after: None,
    };
    app.store.set_admin_active(gone, false, &audit).await.unwrap();
    for name in ["no.mobile", "gone.official", "nobody.here"] {
        app.post(format!("{API}/login/otp"))
            .json(&json!({ "username": name }))
            .send()
            .await
            .assert_error(StatusCode::BAD_REQUEST, "ADM0007");
    }
    assert_eq!(app.sms.sent().len(), sent);
}

async fn sms_delivery_is_counted_by_district_inside_the_area(backend: Backend) {
    let app = TestApp::new(backend).await;
    let (token, reference) = app.citizen(80).await;
    app.book(&token, app.s.next_week, 1, &[&reference]).await;
    while tika_server::services::notifications::planner::plan_pending(&app.state, 500)
        .await
        .unwrap()
        > 0
    {}
    let (mumbai_official, _) = official(&app, "mumbai.msgs", mumbai()).await;
    let (pune_official, _) = official(&app, "pune.msgs", pune()).await;
    let (national, _) = official(&app, "nation.msgs", Area::National).await;
    let rows = |res: Resp| {
        assert_eq!(res.status, StatusCode::OK, "{}", res.text());
        res.json()["rows"].as_array().unwrap().clone()
    };
    // The booking's confirmation and its reminder are about a Mumbai Suburban session.
    let mumbai_rows = rows(get(&app, &mumbai_official, "/messages/stats?days=7").await);
    assert!(
        mumbai_rows.iter().all(|r| r["district_id"] == json!(MUMBAI_SUBURBAN)),
        "{mumbai_rows:?}"
    );
    let total: u64 = mumbai_rows.iter().map(|r| r["total"].as_u64().unwrap()).sum();
    assert_eq!(total, 2, "{mumbai_rows:?}");
    // Another district sees none of them.
    assert!(rows(get(&app, &pune_official, "/messages/stats").await).is_empty());
    // The national official sees the district and the login OTPs (about no session).
    let all = rows(get(&app, &national, "/messages/stats?days=30").await);
    assert!(all.iter().any(|r| r["district_id"] == json!(MUMBAI_SUBURBAN)), "{all:?}");
    assert!(all.iter().any(|r| r["district_id"].is_null()), "{all:?}");
    let zero = get(&app, &national, "/messages/stats?days=0").await;
    assert_eq!(zero.status, StatusCode::BAD_REQUEST, "{}", zero.text());
    assert_eq!(zero.json()["errorCode"], "ADM0001");
    assert_eq!(zero.json()["fields"][0]["field"], "days");
    get(&app, &national, "/messages/stats?days=x")
        .await
        .assert_error(StatusCode::BAD_REQUEST, "ADM0002");
}

async fn login_answers_one_message_for_unknown_wrong_and_deactivated(backend: Backend) {
    let app = TestApp::new(backend).await;
    let (national, _) = official(&app, "nation", Area::National).await;
    let district = add_admin(&app, "mumbai.admin", mumbai()).await;

    let res = login_as(&app, "mumbai.admin", PASSWORD).await;
    let v = assert_ok(&res, StatusCode::OK);
    let expected = app.now().timestamp_millis() + 30 * 60 * 1000;
    assert_eq!(v["expires_at"], expected);
    assert_eq!(v["admin"]["level"], "district");
    assert_eq!(v["admin"]["district_id"], MUMBAI_SUBURBAN);
    assert!(v["admin"].get("password_hash").is_none());
    let me = get(&app, v["token"].as_str().unwrap(), "/me").await;
    assert_eq!(assert_ok(&me, StatusCode::OK)["username"], "mumbai.admin");

    let wrong = login_as(&app, "mumbai.admin", "Not-the-password-1").await;
    wrong.assert_error(StatusCode::BAD_REQUEST, "ADM0003");
    let unknown = login_as(&app, "nobody.here", PASSWORD).await;
    assert_eq!(unknown.json(), wrong.json(), "one answer for an unknown user and a wrong password");
    let malformed = login_as(&app, "x", PASSWORD).await;
    assert_eq!(malformed.json(), wrong.json());
    assert_fields(
        &app.post(format!("{API}/login")).json(&json!({})).send().await,
        &["username", "password"],
    );

    let res =
        post(&app, &national, &format!("/admins/{district}/active"), json!({ "active": false }))
            .await;
    assert_ok(&res, StatusCode::NO_CONTENT);
    assert!(!app.store.find_admin(district).await.unwrap().active);
    let inactive = login_as(&app, "mumbai.admin", PASSWORD).await;
    assert_eq!(inactive.json(), wrong.json(), "a deactivated login looks like a wrong one");
    // The national official cannot deactivate themselves.
    let me = assert_ok(&get(&app, &national, "/me").await, StatusCode::OK);
    let own = format!("/admins/{}/active", me["id"].as_str().unwrap());
    post(&app, &national, &own, json!({ "active": false }))
        .await
        .assert_error(StatusCode::CONFLICT, "ADM0006");
}

async fn five_wrong_passwords_lock_the_login_for_fifteen_minutes(backend: Backend) {
    let app = TestApp::new(backend).await;
    let id = add_admin(&app, "mumbai.admin", mumbai()).await;
    for _ in 0..4 {
        login_as(&app, "mumbai.admin", "Wrong-password-9")
            .await
            .assert_error(StatusCode::BAD_REQUEST, "ADM0003");
    }
    let fifth = login_as(&app, "mumbai.admin", "Wrong-password-9").await;
    fifth.assert_error(StatusCode::TOO_MANY_REQUESTS, "USRRES0429");
    assert_eq!(fifth.header(axum::http::header::RETRY_AFTER), Some("900"));
    // Even the right password waits out the lock.
    login_as(&app, "mumbai.admin", PASSWORD)
        .await
        .assert_error(StatusCode::TOO_MANY_REQUESTS, "USRRES0429");
    let stored = app.store.find_admin(id).await.unwrap();
    assert_eq!(stored.failed_logins, 5);
    assert!(stored.locked_until_ms > app.now().timestamp_millis());

    app.advance(Duration::minutes(15) + Duration::seconds(1));
    assert_ok(&login_as(&app, "mumbai.admin", PASSWORD).await, StatusCode::OK);
    let stored = app.store.find_admin(id).await.unwrap();
    assert_eq!((stored.failed_logins, stored.locked_until_ms), (0, 0));
}

async fn console_logins_expire_when_idle_and_after_twelve_hours(backend: Backend) {
    let app = TestApp::new(backend).await;
    let (first, _) = official(&app, "mumbai.admin", mumbai()).await;

    // Within the first half of the idle window: no new token.
    app.advance(Duration::minutes(10));
    let res = get(&app, &first, "/me").await;
    assert_ok(&res, StatusCode::OK);
    assert!(res.header(axum::http::HeaderName::from_static("x-tika-token")).is_none());
    // Past half of it: a refreshed token in the header, lasting 30 minutes from now.
    app.advance(Duration::minutes(19));
    let res = get(&app, &first, "/me").await;
    let me = assert_ok(&res, StatusCode::OK);
    let fresh = res.header(axum::http::HeaderName::from_static("x-tika-token")).unwrap().to_owned();
    let expires: i64 = res
        .header(axum::http::HeaderName::from_static("x-tika-token-expires"))
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(expires, app.now().timestamp_millis() + 30 * 60 * 1000);
    assert_eq!(me["expires_at"], expires);
    // Idle expiry: the old token ends 30 minutes after it was issued, the fresh one lives on.
    app.advance(Duration::minutes(2));
    get(&app, &first, "/me").await.assert_unauthenticated();
    assert_ok(&get(&app, &fresh, "/me").await, StatusCode::OK);

    // Absolute expiry: used every 20 minutes, a login still ends 12 hours after it began.
    let mut token = fresh;
    let mut minutes = 31;
    while minutes + 20 < 12 * 60 {
        app.advance(Duration::minutes(20));
        minutes += 20;
        let res = get(&app, &token, "/me").await;
        assert_ok(&res, StatusCode::OK);
        if let Some(t) = res.header(axum::http::HeaderName::from_static("x-tika-token")) {
            token = t.to_owned();
        }
    }
    app.advance(Duration::minutes(i64::from(12 * 60 - minutes) + 1));
    get(&app, &token, "/me").await.assert_unauthenticated();
}

async fn logout_and_a_password_change_end_the_login(backend: Backend) {
    let app = TestApp::new(backend).await;
    let (token, id) = official(&app, "mumbai.admin", mumbai()).await;
    assert_ok(&post(&app, &token, "/logout", json!({})).await, StatusCode::NO_CONTENT);
    get(&app, &token, "/me").await.assert_unauthenticated();

    let token =
        login_as(&app, "mumbai.admin", PASSWORD).await.json()["token"].as_str().unwrap().to_owned();
    let weak = post(
        &app,
        &token,
        "/password",
        json!({ "current_password": PASSWORD, "new_password": "short" }),
    )
    .await;
    assert_fields(&weak, &["new_password"]);
    let wrong = post(
        &app,
        &token,
        "/password",
        json!({ "current_password": "Not-it-1234", "new_password": "Another-pass-2027" }),
    )
    .await;
    assert_fields(&wrong, &["current_password"]);
    let res = post(
        &app,
        &token,
        "/password",
        json!({ "current_password": PASSWORD, "new_password": "Another-pass-2027" }),
    )
    .await;
    assert_ok(&res, StatusCode::NO_CONTENT);
    get(&app, &token, "/me").await.assert_unauthenticated();
    login_as(&app, "mumbai.admin", PASSWORD).await.assert_error(StatusCode::BAD_REQUEST, "ADM0003");
    assert_ok(&login_as(&app, "mumbai.admin", "Another-pass-2027").await, StatusCode::OK);
    let audit = app
        .store
        .list_changes(&tika_storage::ChangeFilter {
            area: Area::National,
            subject: Some(format!("admin:{id}")),
            actor: None,
            action_prefix: Some("admin.password".into()),
            before_ms: None,
            limit: 10,
        })
        .await
        .unwrap();
    assert_eq!(audit.len(), 1);
    assert!(!audit[0].after.as_deref().unwrap().contains("argon2"), "no hash in the audit log");
}

async fn other_tokens_are_refused_and_console_tokens_only_work_on_the_console(backend: Backend) {
    let app = TestApp::new(backend).await;
    let (console, _) = official(&app, "mumbai.admin", mumbai()).await;
    let citizen = app.login(&mobile(1)).await;
    let (site, _) = staff(&app, BKC, StaffRole::FacilityAdmin).await;
    for token in [&citizen, &site, &"not-a-token".to_owned()] {
        get(&app, token, "/me").await.assert_unauthenticated();
        get(&app, token, "/facilities").await.assert_unauthenticated();
        post(&app, token, "/facilities", facility_body("Sneaky Clinic"))
            .await
            .assert_unauthenticated();
    }
    app.get(format!("{API}/me")).send().await.assert_unauthenticated();
    app.get("/api/v2/appointment/beneficiaries")
        .bearer(&console)
        .send()
        .await
        .assert_unauthenticated();
    app.get("/api/site/v1/sessions").bearer(&console).send().await.assert_unauthenticated();
}

// --- facilities -------------------------------------------------------------------------------

async fn facilities_are_checked_by_field_created_edited_and_deactivated(backend: Backend) {
    let app = TestApp::new(backend).await;
    let (token, _) = official(&app, "mumbai.admin", mumbai()).await;

    let bad = post(
        &app,
        &token,
        "/facilities",
        json!({
            "name": "A", "kind": "charity", "address": "x", "block": "Ward L",
            "district": MUMBAI_SUBURBAN, "pincode": "12345", "open": "25:00", "close": "17:00",
        }),
    )
    .await;
    assert_fields(&bad, &["name", "kind", "address", "pincode", "open"]);
    let types = post(&app, &token, "/facilities", json!({ "district": "abc", "lat": true })).await;
    assert_fields(&types, &["district", "lat"]);
    let not_json =
        app.post(format!("{API}/facilities")).bearer(&token).body(b"{\"name\": ").send().await;
    not_json.assert_error(StatusCode::BAD_REQUEST, "ADM0002");
    // Another district's place is refused by field, and nothing is created.
    let mut elsewhere = facility_body("Pune Clinic");
    elsewhere["district"] = json!(PUNE);
    elsewhere["pincode"] = json!("411001");
    assert_fields(&post(&app, &token, "/facilities", elsewhere).await, &["district"]);
    let mut private_free = facility_body("Kurla Clinic");
    private_free["kind"] = json!("private");
    assert_fields(&post(&app, &token, "/facilities", private_free).await, &["fees"]);
    let count =
        get(&app, &token, "/facilities").await.json()["facilities"].as_array().unwrap().len();
    assert_eq!(count, 2, "BKC and Kurla only");

    let created = post(&app, &token, "/facilities", facility_body("Kurla West UPHC")).await;
    let f = assert_ok(&created, StatusCode::CREATED);
    let id = f["id"].as_i64().unwrap();
    assert_eq!((f["kind"].as_str(), f["active"].as_bool()), (Some("government"), Some(true)));
    assert_eq!(f["open"], "09:00:00");
    let stored = app.store.find_facility(CenterId(id)).await.unwrap();
    assert_eq!(stored.center.name, "Kurla West UPHC");
    assert_eq!(stored.center.district_id, DistrictId(MUMBAI_SUBURBAN));
    assert_eq!(stored.cold_chain_point, "Mumbai Suburban DVS");

    let mut edit = facility_body("Kurla West UPHC (Annexe)");
    edit["kind"] = json!("private");
    edit["fees"] = json!({ "COVISHIELD": 780, "COVAXIN": "1410" });
    let res = call(&app, Method::PUT, &token, &format!("/facilities/{id}"), Some(edit)).await;
    let f = assert_ok(&res, StatusCode::OK);
    assert_eq!(f["fees"], json!({ "COVISHIELD": 780, "COVAXIN": 1410 }));
    let stored = app.store.find_facility(CenterId(id)).await.unwrap();
    assert_eq!(stored.center.name, "Kurla West UPHC (Annexe)");
    assert_eq!(stored.fees.len(), 2);
    assert_eq!(
        assert_ok(&get(&app, &token, &format!("/facilities/{id}")).await, StatusCode::OK)["name"],
        "Kurla West UPHC (Annexe)"
    );
    let found = get(&app, &token, "/facilities?q=annexe").await;
    assert_eq!(assert_ok(&found, StatusCode::OK)["facilities"][0]["id"], id);

    let res =
        post(&app, &token, &format!("/facilities/{id}/active"), json!({ "active": false })).await;
    assert_eq!(assert_ok(&res, StatusCode::OK)["active"], false);
    assert!(!app.store.find_facility(CenterId(id)).await.unwrap().active);
    let inactive = get(&app, &token, "/facilities?active=false").await;
    assert_eq!(inactive.json()["facilities"].as_array().unwrap().len(), 1);
    let plan =
        post(&app, &token, &format!("/facilities/{id}/plans"), weekdays_for_four_weeks(&app)).await;
    plan.assert_error(StatusCode::CONFLICT, "ADM0012");
    assert!(
        app.store
            .list_facility_sessions(CenterId(id), app.day(0), app.day(30))
            .await
            .unwrap()
            .is_empty()
    );

    // A facility official edits their facility but cannot create one.
    let (local, _) = official(&app, "bkc.admin", at_bkc()).await;
    post(&app, &local, "/facilities", facility_body("Another"))
        .await
        .assert_error(StatusCode::FORBIDDEN, "ADM0004");
    let listed = get(&app, &local, "/facilities").await.json();
    assert_eq!(listed["facilities"].as_array().unwrap().len(), 1);
    assert_eq!(listed["facilities"][0]["id"], BKC);
}

// --- sessions ---------------------------------------------------------------------------------

async fn a_weekday_plan_for_four_weeks_makes_twenty_sessions_that_search_finds(backend: Backend) {
    let app = TestApp::new(backend).await;
    let (token, _) = official(&app, "mumbai.admin", mumbai()).await;
    let f = assert_ok(
        &post(&app, &token, "/facilities", facility_body("Kurla West UPHC")).await,
        StatusCode::CREATED,
    );
    let id = f["id"].as_i64().unwrap();

    let bad = post(
        &app,
        &token,
        &format!("/facilities/{id}/plans"),
        json!({
            "vaccine": "SPUTNIK-X", "from": app.day(-1).to_string(), "capacity_dose1": "many",
        }),
    )
    .await;
    assert_fields(&bad, &["capacity_dose1"]);
    let bad = post(
        &app,
        &token,
        &format!("/facilities/{id}/plans"),
        json!({
            "vaccine": "SPUTNIK-X", "from": app.day(-1).to_string(), "capacity_dose1": 10,
        }),
    )
    .await;
    assert_fields(&bad, &["vaccine", "from"]);

    let res =
        post(&app, &token, &format!("/facilities/{id}/plans"), weekdays_for_four_weeks(&app)).await;
    let v = assert_ok(&res, StatusCode::CREATED);
    let created = v["created"].as_array().unwrap();
    assert_eq!(created.len(), 20);
    assert!(v["skipped"].as_array().unwrap().is_empty());
    let stored =
        app.store.list_facility_sessions(CenterId(id), app.day(0), app.day(27)).await.unwrap();
    assert_eq!(stored.len(), 20);
    assert!(stored.iter().all(|s| s.capacity_dose1 == 40
        && s.capacity_dose2 == 10
        && s.fee == "0"
        && s.walk_ins
        && s.plan_id.is_some()
        && s.slots.len() == 4));
    let listed = get(
        &app,
        &token,
        &format!("/facilities/{id}/sessions?from={}&to={}", app.day(0), app.day(6)),
    )
    .await;
    assert_eq!(assert_ok(&listed, StatusCode::OK)["sessions"].as_array().unwrap().len(), 5);

    // Search shows them at once (the service rebuilt the index).
    let today = created[0]["session_id"].as_str().unwrap();
    let res = app
        .get(format!(
            "/api/v2/appointment/sessions/public/findByPin?pincode=400070&date={}",
            app.date(0)
        ))
        .send()
        .await;
    let sessions = assert_ok(&res, StatusCode::OK)["sessions"].as_array().unwrap().clone();
    let row = sessions.iter().find(|s| s["session_id"] == today).expect("the new session is found");
    assert_eq!(row["center_id"], id);
    assert_eq!(row["available_capacity_dose1"], 40);
    let res = app
        .get(format!(
            "/api/v2/appointment/sessions/public/calendarByDistrict?district_id={MUMBAI_SUBURBAN}&date={}",
            app.date(0)
        ))
        .send()
        .await;
    let centers = assert_ok(&res, StatusCode::OK)["centers"].as_array().unwrap().clone();
    let center = centers.iter().find(|c| c["center_id"] == id).expect("the facility is listed");
    assert_eq!(center["sessions"].as_array().unwrap().len(), 5, "Monday to Friday of this week");

    // The same plan again creates nothing: every date already has its session.
    let again =
        post(&app, &token, &format!("/facilities/{id}/plans"), weekdays_for_four_weeks(&app)).await;
    let v = assert_ok(&again, StatusCode::CREATED);
    assert_eq!(
        (v["created"].as_array().unwrap().len(), v["skipped"].as_array().unwrap().len()),
        (0, 20)
    );

    // A private facility needs a fee for the vaccine.
    let mut private = facility_body("Kurla Private Clinic");
    private["kind"] = json!("private");
    private["fees"] = json!({ "COVAXIN": 1410 });
    let p = assert_ok(&post(&app, &token, "/facilities", private).await, StatusCode::CREATED);
    let res = post(
        &app,
        &token,
        &format!("/facilities/{}/plans", p["id"]),
        weekdays_for_four_weeks(&app),
    )
    .await;
    assert_fields(&res, &["vaccine"]);
    let mut covaxin = weekdays_for_four_weeks(&app);
    covaxin["vaccine"] = json!("COVAXIN");
    covaxin["until"] = json!(app.day(0).to_string());
    let v = assert_ok(
        &post(&app, &token, &format!("/facilities/{}/plans", p["id"]), covaxin).await,
        StatusCode::CREATED,
    );
    let sid: SessionId = v["created"][0]["session_id"].as_str().unwrap().parse().unwrap();
    assert_eq!(app.store.find_session(sid).await.unwrap().fee, "1410");
}

async fn seats_never_go_below_the_bookings(backend: Backend) {
    let app = TestApp::new(backend).await;
    let (token, _) = official(&app, "mumbai.admin", mumbai()).await;
    let (citizen, reference) = app.citizen(1).await;
    app.book(&citizen, app.s.next_week, 1, &[&reference]).await;
    let path = format!("/sessions/{}", app.s.next_week);

    let res = call(&app, Method::PATCH, &token, &path, Some(json!({ "capacity_dose1": 0 }))).await;
    res.assert_error(StatusCode::CONFLICT, "ADM0011");
    let s = app.store.find_session(app.s.next_week).await.unwrap();
    assert_eq!((s.capacity_dose1, s.capacity_dose2, s.booked_dose1), (5, 5, 1));

    let res = call(&app, Method::PATCH, &token, &path, Some(json!({ "capacity_dose1": -3 }))).await;
    assert_fields(&res, &["capacity_dose1"]);
    let res = call(
        &app,
        Method::PATCH,
        &token,
        &path,
        Some(json!({ "capacity_dose1": 60, "walk_ins": false })),
    )
    .await;
    let v = assert_ok(&res, StatusCode::OK);
    assert_eq!((v["capacity_dose1"].as_u64(), v["capacity_dose2"].as_u64()), (Some(60), Some(5)));
    let s = app.store.find_session(app.s.next_week).await.unwrap();
    assert_eq!((s.capacity_dose1, s.walk_ins), (60, false));
    let res = app
        .get(format!(
            "/api/v2/appointment/sessions/public/findByPin?pincode=400051&date={}",
            app.date(7)
        ))
        .send()
        .await;
    let rows = res.json()["sessions"].as_array().unwrap().clone();
    let row = rows.iter().find(|r| r["session_id"] == app.s.next_week.to_string()).unwrap();
    assert_eq!(row["available_capacity_dose1"], 59, "search shows the new seats at once");
}

async fn cancelling_a_session_cancels_its_bookings_and_tells_the_people_booked(backend: Backend) {
    let app = TestApp::new(backend).await;
    let (token, admin) = official(&app, "mumbai.admin", mumbai()).await;
    for n in 1..3 {
        let (citizen, reference) = app.citizen(n).await;
        app.book(&citizen, app.s.next_week, 1, &[&reference]).await;
    }
    app.deliver_messages().await;
    let path = format!("/sessions/{}/cancel", app.s.next_week);
    assert_fields(&post(&app, &token, &path, json!({})).await, &["reason"]);
    let res = post(&app, &token, &path, json!({ "reason": "Vaccine not delivered" })).await;
    let v = assert_ok(&res, StatusCode::OK);
    assert_eq!(v["bookings_cancelled"], 2);
    assert_eq!(app.booked(app.s.next_week).await, (0, 0));
    assert!(!app.store.find_session(app.s.next_week).await.unwrap().active);
    post(&app, &token, &path, json!({ "reason": "Again" }))
        .await
        .assert_error(StatusCode::CONFLICT, "ADM0013");

    app.deliver_messages().await;
    for n in 1..3 {
        let list = app.store.messages_to(&Mobile::parse(&mobile(n)).unwrap(), 100).await.unwrap();
        let told: Vec<_> =
            list.iter().filter(|m| m.kind == MessageKind::SessionCancelled).collect();
        assert_eq!(told.len(), 1, "mobile {n}");
        assert!(told[0].body.contains("book again"), "{}", told[0].body);
    }

    // The audit log has it, with the session before and after.
    let res = get(&app, &token, &format!("/audit?subject=session:{}", app.s.next_week)).await;
    let entries = assert_ok(&res, StatusCode::OK)["entries"].as_array().unwrap().clone();
    assert_eq!(entries.len(), 1);
    assert_eq!(entries[0]["action"], "session.cancel");
    assert_eq!(entries[0]["actor"], format!("admin:{admin}"));
    assert_eq!(entries[0]["before"]["status"], "active");
    assert_eq!(entries[0]["before"]["booked_dose1"], 2);
    assert_eq!(entries[0]["after"]["status"], "cancelled");
    assert_eq!(entries[0]["place"]["center_id"], BKC);

    // Moving a session tells people too, and search follows the new date.
    let (citizen, reference) = app.citizen(5).await;
    app.book(&citizen, app.s.covaxin, 1, &[&reference]).await;
    let res = post(
        &app,
        &token,
        &format!("/sessions/{}/move", app.s.covaxin),
        json!({ "date": app.day(3).to_string(), "reason": "Holiday" }),
    )
    .await;
    assert_eq!(assert_ok(&res, StatusCode::OK)["bookings_told"], 1);
    assert_eq!(app.store.find_session(app.s.covaxin).await.unwrap().date, app.day(3));
    app.deliver_messages().await;
    let list = app.store.messages_to(&Mobile::parse(&mobile(5)).unwrap(), 100).await.unwrap();
    assert_eq!(list.iter().filter(|m| m.kind == MessageKind::SessionChanged).count(), 1);
    let res = app
        .get(format!(
            "/api/v2/appointment/sessions/public/findByPin?pincode=400051&date={}",
            app.date(3)
        ))
        .send()
        .await;
    let ids: Vec<String> = res.json()["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["session_id"].as_str().unwrap().to_owned())
        .collect();
    assert!(ids.contains(&app.s.covaxin.to_string()), "{ids:?}");
}

// --- audit and permissions --------------------------------------------------------------------

async fn the_audit_log_shows_before_and_after_inside_the_area_only(backend: Backend) {
    let app = TestApp::new(backend).await;
    let (mumbai_token, mumbai_id) = official(&app, "mumbai.admin", mumbai()).await;
    let (pune_token, _) = official(&app, "pune.admin", pune()).await;
    let (national, _) = official(&app, "nation", Area::National).await;
    let f = assert_ok(
        &post(&app, &mumbai_token, "/facilities", facility_body("Kurla West UPHC")).await,
        StatusCode::CREATED,
    );
    let id = f["id"].as_i64().unwrap();
    let mut edit = facility_body("Kurla West UPHC Renamed");
    edit["open"] = json!("08:30");
    assert_ok(
        &call(&app, Method::PUT, &mumbai_token, &format!("/facilities/{id}"), Some(edit)).await,
        StatusCode::OK,
    );

    let res = get(&app, &mumbai_token, &format!("/audit?subject=center:{id}")).await;
    let entries = assert_ok(&res, StatusCode::OK)["entries"].as_array().unwrap().clone();
    let actions: Vec<&str> = entries.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["facility.update", "facility.create"], "newest first");
    let update = &entries[0];
    assert_eq!(update["actor"], format!("admin:{mumbai_id}"));
    assert_eq!(update["before"]["name"], "Kurla West UPHC");
    assert_eq!(update["after"]["name"], "Kurla West UPHC Renamed");
    assert_eq!(update["before"]["open"], "09:00:00");
    assert_eq!(update["after"]["open"], "08:30:00");
    assert_eq!(update["place"]["district_id"], MUMBAI_SUBURBAN);
    assert!(entries[1]["before"].is_null() && entries[1]["after"]["name"] == "Kurla West UPHC");
    let filtered = get(&app, &mumbai_token, "/audit?action=facility.create").await;
    assert_eq!(filtered.json()["entries"].as_array().unwrap().len(), 1);
    let paged = get(&app, &mumbai_token, "/audit?limit=1").await.json();
    assert_eq!(paged["entries"].as_array().unwrap().len(), 1);
    assert!(paged["next_before"].is_i64());
    assert_fields(&get(&app, &mumbai_token, "/audit?limit=0").await, &["limit"]);

    let theirs = get(&app, &pune_token, &format!("/audit?subject=center:{id}")).await;
    assert_eq!(assert_ok(&theirs, StatusCode::OK)["entries"], json!([]));
    let all_theirs = get(&app, &pune_token, "/audit").await.json();
    assert!(
        all_theirs["entries"].as_array().unwrap().iter().all(|e| e["place"]["district_id"] == PUNE),
        "{all_theirs}"
    );
    let nation = get(&app, &national, &format!("/audit?subject=center:{id}")).await;
    assert_eq!(nation.json()["entries"].as_array().unwrap().len(), 2);
}

async fn a_district_official_cannot_read_or_change_another_district(backend: Backend) {
    let app = TestApp::new(backend).await;
    let (mumbai_token, _) = official(&app, "mumbai.admin", mumbai()).await;
    let (pune, _) = official(&app, "pune.admin", pune()).await;
    let (_, bkc_staff) = staff(&app, BKC, StaffRole::Vaccinator).await;
    let mumbai_admin = add_admin(
        &app,
        "kurla.block",
        Area::Block {
            state: StateId(MAHARASHTRA),
            district: DistrictId(MUMBAI_SUBURBAN),
            block: "Ward L".into(),
        },
    )
    .await;
    // Something of Mumbai's in the audit log.
    let res = call(
        &app,
        Method::PATCH,
        &mumbai_token,
        &format!("/sessions/{}", app.s.today),
        Some(json!({ "capacity_dose1": 51 })),
    )
    .await;
    assert_ok(&res, StatusCode::OK);

    let missing = get(&app, &pune, "/facilities/999999").await;
    assert_not_found(&missing);
    let session = app.s.next_week;
    let reads = [
        format!("/facilities/{BKC}"),
        format!("/facilities/{BKC}/staff"),
        format!("/facilities/{BKC}/sessions"),
        format!("/facilities/{KURLA}"),
    ];
    for path in &reads {
        assert_not_found(&get(&app, &pune, path).await);
    }
    let writes: Vec<(Method, String, Value)> = vec![
        (Method::PUT, format!("/facilities/{BKC}"), facility_body("Taken Over")),
        (Method::POST, format!("/facilities/{BKC}/active"), json!({ "active": false })),
        (
            Method::POST,
            format!("/facilities/{BKC}/staff"),
            json!({ "username": "pune.spy", "name": "Spy", "role": "vaccinator", "password": "Spying-2026-x" }),
        ),
        (Method::POST, format!("/staff/{bkc_staff}/active"), json!({ "active": false })),
        (Method::POST, format!("/facilities/{BKC}/plans"), weekdays_for_four_weeks(&app)),
        (Method::PATCH, format!("/sessions/{session}"), json!({ "capacity_dose1": 1 })),
        (Method::POST, format!("/sessions/{session}/cancel"), json!({ "reason": "Not mine" })),
        (
            Method::POST,
            format!("/sessions/{session}/move"),
            json!({ "date": app.day(9).to_string(), "reason": "Not mine" }),
        ),
        (Method::POST, format!("/admins/{mumbai_admin}/active"), json!({ "active": false })),
    ];
    for (method, path, body) in writes {
        let res = call(&app, method.clone(), &pune, &path, Some(body)).await;
        assert_eq!(res.status, StatusCode::NOT_FOUND, "{method} {path}: {}", res.text());
        assert_eq!(res.json(), missing.json(), "{method} {path}: the same answer as a missing one");
    }
    // Nothing changed.
    let bkc = app.store.find_facility(CenterId(BKC)).await.unwrap();
    assert_eq!((bkc.center.name.as_str(), bkc.active), ("BKC Jumbo Facility", true));
    assert!(app.store.find_staff(bkc_staff).await.unwrap().active);
    assert!(app.store.find_admin(mumbai_admin).await.unwrap().active);
    let s = app.store.find_session(session).await.unwrap();
    assert_eq!((s.capacity_dose1, s.active, s.date), (5, true, app.day(7)));
    assert!(app.store.find_staff_by_username(&Username::parse("pune.spy").unwrap()).await.is_err());
    assert_eq!(
        app.store
            .list_facility_sessions(CenterId(BKC), app.day(0), app.day(30))
            .await
            .unwrap()
            .len(),
        3
    );

    // Lists show only their own area.
    let facilities = get(&app, &pune, "/facilities").await.json();
    let ids: Vec<i64> = facilities["facilities"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| f["id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, [RUBY_HALL]);
    let admins = get(&app, &pune, "/admins").await.json();
    let names: Vec<&str> = admins["admins"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["username"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["pune.admin"]);
    let audit = get(&app, &pune, &format!("/audit?subject=session:{}", app.s.today)).await;
    assert_eq!(audit.json()["entries"], json!([]));
    let searched = get(&app, &pune, "/facilities?q=400051").await;
    assert_eq!(searched.json()["facilities"], json!([]));

    // No officials above or outside the area; no facility official for another's facility.
    let new_admin = |level: &str, extra: Value| {
        let mut body = json!({ "username": "new.official", "name": "New Official", "password": "Welcome-2026-x", "level": level });
        body.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
        body
    };
    for body in [
        new_admin("district", json!({ "state": MAHARASHTRA, "district": MUMBAI_SUBURBAN })),
        new_admin("state", json!({ "state": MAHARASHTRA })),
        new_admin("national", json!({})),
        new_admin("block", json!({ "district": MUMBAI_SUBURBAN, "block": "Ward L" })),
    ] {
        post(&app, &pune, "/admins", body).await.assert_error(StatusCode::FORBIDDEN, "ADM0005");
    }
    let res = post(&app, &pune, "/admins", new_admin("facility", json!({ "center": BKC }))).await;
    assert_fields(&res, &["center"]);
    let missing_center =
        post(&app, &pune, "/admins", new_admin("facility", json!({ "center": 999_999 }))).await;
    assert_eq!(res.json(), missing_center.json(), "no hint whether the facility exists");
    assert!(
        app.store.find_admin_by_username(&Username::parse("new.official").unwrap()).await.is_err()
    );
    // Inside the area it works, and the new official is theirs to list.
    let res =
        post(&app, &pune, "/admins", new_admin("facility", json!({ "center": RUBY_HALL }))).await;
    let v = assert_ok(&res, StatusCode::CREATED);
    assert_eq!((v["level"].as_str(), v["center_id"].as_i64()), (Some("facility"), Some(RUBY_HALL)));
    let res = post(&app, &pune, "/admins", json!({ "username": "new.official", "name": "Again", "password": "Welcome-2026-x", "level": "district" })).await;
    res.assert_error(StatusCode::CONFLICT, "ADM0010");
}

async fn a_facility_official_works_only_at_their_facility(backend: Backend) {
    let app = TestApp::new(backend).await;
    let (token, _) = official(&app, "bkc.admin", at_bkc()).await;
    assert_not_found(
        &post(&app, &token, &format!("/facilities/{KURLA}/plans"), weekdays_for_four_weeks(&app))
            .await,
    );
    assert_not_found(&get(&app, &token, &format!("/facilities/{KURLA}/staff")).await);
    let mut plan = weekdays_for_four_weeks(&app);
    plan["vaccine"] = json!("COVAXIN");
    plan["from"] = json!(app.day(2).to_string());
    plan["until"] = json!(app.day(4).to_string());
    let v = assert_ok(
        &post(&app, &token, &format!("/facilities/{BKC}/plans"), plan).await,
        StatusCode::CREATED,
    );
    assert_eq!(v["created"].as_array().unwrap().len(), 3);
    let res = post(
        &app,
        &token,
        &format!("/facilities/{BKC}/staff"),
        json!({ "username": "bkc.nurse", "name": "Nurse Asha", "role": "vaccinator", "password": "Needle-2026-x", "mobile": "9876500999" }),
    )
    .await;
    let v = assert_ok(&res, StatusCode::CREATED);
    assert_eq!(v["role"], "vaccinator");
    let staff_id: StaffId = v["id"].as_str().unwrap().parse().unwrap();
    // The new nurse can log in to the site app, until deactivated.
    let site = app
        .post("/api/site/v1/login")
        .json(&json!({ "username": "bkc.nurse", "password": "Needle-2026-x" }))
        .send()
        .await;
    assert_eq!(site.status, StatusCode::OK, "{}", site.text());
    assert_ok(
        &post(&app, &token, &format!("/staff/{staff_id}/active"), json!({ "active": false })).await,
        StatusCode::NO_CONTENT,
    );
    assert!(!app.store.find_staff(staff_id).await.unwrap().active);
    let listed = get(&app, &token, &format!("/facilities/{BKC}/staff")).await.json();
    assert_eq!(listed["staff"][0]["active"], false);
    let bad = post(
        &app,
        &token,
        &format!("/facilities/{BKC}/staff"),
        json!({ "username": "x", "role": "boss", "password": "short" }),
    )
    .await;
    assert_fields(&bad, &["username", "name", "role"]);
    // Creating officials: only for their own facility.
    post(
        &app,
        &token,
        "/admins",
        json!({ "username": "kurla.head", "name": "Kurla Head", "password": "Welcome-2026-x", "level": "district", "state": MAHARASHTRA, "district": MUMBAI_SUBURBAN }),
    )
    .await
    .assert_error(StatusCode::FORBIDDEN, "ADM0005");
    post(&app, &token, &format!("/facilities/{BKC}/active"), json!({ "active": false }))
        .await
        .assert_error(StatusCode::FORBIDDEN, "ADM0004");
}

on_both_backends!(
    officials_can_log_in_with_a_code_sent_to_their_mobile,
    sms_delivery_is_counted_by_district_inside_the_area,
    login_answers_one_message_for_unknown_wrong_and_deactivated,
    five_wrong_passwords_lock_the_login_for_fifteen_minutes,
    console_logins_expire_when_idle_and_after_twelve_hours,
    logout_and_a_password_change_end_the_login,
    other_tokens_are_refused_and_console_tokens_only_work_on_the_console,
    facilities_are_checked_by_field_created_edited_and_deactivated,
    a_weekday_plan_for_four_weeks_makes_twenty_sessions_that_search_finds,
    seats_never_go_below_the_bookings,
    cancelling_a_session_cancels_its_bookings_and_tells_the_people_booked,
    the_audit_log_shows_before_and_after_inside_the_area_only,
    a_district_official_cannot_read_or_change_another_district,
    a_facility_official_works_only_at_their_facility,
);
