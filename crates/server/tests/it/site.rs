//! The site API (`docs/SITE-API.md`): staff login and tokens, facility scoping, the offline
//! bundle, exactly-once uploads, the review queue, the tally and the paper list.

use std::collections::HashSet;
use std::sync::OnceLock;

use axum::http::{StatusCode, header};
use chrono::{DateTime, Duration, FixedOffset, NaiveTime};
use serde_json::{Value, json};
use tika_domain::ids::{
    BeneficiaryId, BeneficiaryRef, CenterId, DeviceId, RecordId, SessionId, StaffId, UploadKey,
    VaccinationId,
};
use tika_domain::mobile::Mobile;
use tika_domain::staff::{StaffRole, Username};
use tika_domain::vaccine::{DoseNumber, VaccineCode};
use tika_server::services::staff::hash_password;
use tika_storage::{AppointmentStatus, Backend, Batch, NewStaff, Vaccination};
use tika_test_support::on_both_backends;

use crate::harness::{BKC, KURLA, Resp, SLOTS, TestApp, aadhaar, mobile};

const SITE: &str = "/api/site/v1";
const PASSWORD: &str = "Vaccinate2026";
pub(crate) const BATCH: &str = "4121Z025";
const CANCEL: &str = "/api/v2/appointment/cancel";

// --- staff, batches, people -------------------------------------------------------------------

/// One Argon2 hash of [`PASSWORD`] for every staff member of every test.
fn password_hash() -> String {
    static HASH: OnceLock<String> = OnceLock::new();
    HASH.get_or_init(|| hash_password(PASSWORD).unwrap()).clone()
}

/// Creates a staff member in the store: (id, username).
pub(crate) async fn add_staff(
    app: &TestApp,
    center: i64,
    role: StaffRole,
    staff_mobile: Option<&str>,
) -> (StaffId, String) {
    let id = StaffId::new();
    let username = format!("staff.{}", &id.as_uuid().simple().to_string()[20..]);
    app.store
        .create_staff(&NewStaff {
            id,
            center_id: CenterId(center),
            username: Username::parse(&username).unwrap(),
            name: format!("Nurse {username}"),
            mobile: staff_mobile.map(|m| Mobile::parse(m).unwrap()),
            role,
            password_hash: password_hash(),
            created_at_ms: app.now().timestamp_millis(),
        })
        .await
        .unwrap();
    (id, username)
}

async fn password_login(app: &TestApp, username: &str, password: &str) -> Resp {
    app.post(format!("{SITE}/login"))
        .json(&json!({ "username": username, "password": password }))
        .send()
        .await
}

/// A staff member of a facility, logged in with the password: (token, id).
pub(crate) async fn staff(app: &TestApp, center: i64, role: StaffRole) -> (String, StaffId) {
    let (id, username) = add_staff(app, center, role, None).await;
    let res = password_login(app, &username, PASSWORD).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    (res.json()["token"].as_str().unwrap().to_owned(), id)
}

pub(crate) async fn issue_batch(app: &TestApp, center: i64, batch: &str, vaccine: &str) {
    app.store
        .issue_batch(&Batch {
            center_id: CenterId(center),
            batch: batch.to_owned(),
            vaccine: VaccineCode::parse(vaccine).unwrap(),
            expiry: app.day(300),
            doses_per_vial: 10,
            issued_at_ms: app.now().timestamp_millis(),
        })
        .await
        .unwrap();
}

/// An app with BKC's batch issued and a BKC vaccinator logged in: (app, token, vaccinator id).
pub(crate) async fn setup(backend: Backend) -> (TestApp, String, StaffId) {
    let app = TestApp::new(backend).await;
    issue_batch(&app, BKC, BATCH, "COVISHIELD").await;
    let (token, id) = staff(&app, BKC, StaffRole::Vaccinator).await;
    (app, token, id)
}

async fn beneficiary(app: &TestApp, reference: &str) -> BeneficiaryId {
    app.store.find_beneficiary_by_ref(&BeneficiaryRef::parse(reference).unwrap()).await.unwrap().id
}

/// A citizen with one person booked for dose 1 of a session.
pub(crate) struct Booked {
    pub(crate) token: String,
    pub(crate) reference: String,
    pub(crate) id: BeneficiaryId,
    /// The booking (CoWIN `appointment_id`).
    pub(crate) booking: String,
    /// The appointment row (the site's `appointment_id`).
    pub(crate) row: String,
}

pub(crate) async fn booked(app: &TestApp, n: u32, session: SessionId) -> Booked {
    let (token, reference) = app.citizen(n).await;
    let booking = app.book(&token, session, 1, &[&reference]).await;
    let id = beneficiary(app, &reference).await;
    let row = appointment_row(app, &booking, id).await.id.to_string();
    Booked { token, reference, id, booking, row }
}

async fn appointment_row(
    app: &TestApp,
    booking: &str,
    who: BeneficiaryId,
) -> tika_storage::Appointment {
    app.store
        .find_booking(booking.parse().unwrap())
        .await
        .unwrap()
        .into_iter()
        .find(|a| a.beneficiary_id == who)
        .unwrap()
}

pub(crate) async fn cancel(app: &TestApp, b: &Booked) {
    app.post(CANCEL)
        .bearer(&b.token)
        .json(&json!({ "appointment_id": b.booking, "beneficiariesToCancel": null }))
        .send()
        .await
        .assert_no_content();
}

async fn doses_of(app: &TestApp, who: BeneficiaryId) -> Vec<Vaccination> {
    app.store.list_vaccinations(&[who]).await.unwrap()
}

/// The pending outbox events of a kind: their subjects.
async fn events(app: &TestApp, kind: &str) -> Vec<String> {
    app.store
        .pending_events(1000)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == kind)
        .map(|e| e.subject_id)
        .collect()
}

// --- records and uploads ----------------------------------------------------------------------

fn record(app: &TestApp, kind: &str, session: SessionId) -> Value {
    json!({
        "client_id": RecordId::new(),
        "kind": kind,
        "session_id": session,
        "at": app.now().timestamp_millis(),
    })
}

pub(crate) fn arrival(app: &TestApp, session: SessionId, who: BeneficiaryId) -> Value {
    let mut r = record(app, "arrival", session);
    r["beneficiary_id"] = json!(who);
    r
}

/// Dose 1 of COVISHIELD from BKC's batch.
pub(crate) fn dose(
    app: &TestApp,
    session: SessionId,
    who: &Value,
    appointment: Option<&str>,
    vaccinator: StaffId,
) -> Value {
    let mut r = record(app, "dose", session);
    r["beneficiary_id"] = who.clone();
    r["appointment_id"] = json!(appointment);
    r["vaccine"] = json!("COVISHIELD");
    r["batch"] = json!(BATCH);
    r["dose"] = json!(1);
    r["vaccinator_id"] = json!(vaccinator);
    r
}

/// A person registered at the site, with the nth Aadhaar and mobile numbers.
pub(crate) fn person(name: &str, n: u32) -> Value {
    json!({
        "name": name,
        "birth_year": 1961,
        "gender_id": 1,
        "photo_id_type": 1,
        "photo_id_number": aadhaar(u64::from(n)),
        "mobile": mobile(n),
    })
}

fn walk_in(app: &TestApp, session: SessionId, who: &Value) -> Value {
    let mut r = record(app, "walk_in", session);
    r["beneficiary"] = who.clone();
    r
}

/// A walk-in registration and its dose (self-contained, as the app sends it).
pub(crate) fn walk_in_dose(
    app: &TestApp,
    session: SessionId,
    who: &Value,
    vaccinator: StaffId,
) -> (Value, Value) {
    let reg = walk_in(app, session, who);
    let mut d = dose(app, session, &reg["client_id"], None, vaccinator);
    d["walk_in"] = who.clone();
    (reg, d)
}

fn aefi(app: &TestApp, session: SessionId, of: &Value, severity: &str) -> Value {
    let mut r = record(app, "aefi", session);
    r["vaccination_client_id"] = of["client_id"].clone();
    r["severity"] = json!(severity);
    r["symptoms"] = json!(["fever", "breathing"]);
    r["notes"] = json!("Observed for 30 minutes; referred to the district hospital");
    r
}

pub(crate) fn undo(app: &TestApp, session: SessionId, of: &Value, reason: &str) -> Value {
    let mut r = record(app, "undo", session);
    r["vaccination_client_id"] = of["client_id"].clone();
    r["reason"] = json!(reason);
    r
}

fn upload(records: &[Value]) -> Value {
    json!({ "idempotency_key": UploadKey::new(), "device_id": DeviceId::new(), "records": records })
}

async fn sync(app: &TestApp, token: &str, body: &Value) -> Resp {
    app.post(format!("{SITE}/sync")).bearer(token).json(body).send().await
}

/// Uploads records (asserting 200) and returns the results, checked to be in order.
pub(crate) async fn synced(app: &TestApp, token: &str, records: &[Value]) -> Vec<Value> {
    let res = sync(app, token, &upload(records)).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    let results = res.json()["results"].as_array().unwrap().clone();
    assert_eq!(results.len(), records.len());
    for (r, rec) in results.iter().zip(records) {
        assert_eq!(r["client_id"], rec["client_id"], "{r}");
    }
    results
}

#[track_caller]
fn assert_outcome(result: &Value, outcome: &str, code: Option<&str>) {
    assert_eq!(result["outcome"], outcome, "{result}");
    match code {
        Some(c) => {
            assert_eq!(result["code"], c, "{result}");
            assert!(result["message"].as_str().is_some_and(|m| !m.is_empty()), "{result}");
        }
        None => assert!(result.get("code").is_none(), "{result}"),
    }
}

async fn get_ok(app: &TestApp, token: &str, path: impl AsRef<str>) -> Value {
    let res = app.get(path).bearer(token).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    res.json()
}

async fn tally(app: &TestApp, token: &str, session: SessionId) -> Value {
    get_ok(app, token, format!("{SITE}/sessions/{session}/tally")).await
}

async fn bundle(app: &TestApp, token: &str, session: SessionId) -> Value {
    get_ok(app, token, format!("{SITE}/sessions/{session}/bundle")).await
}

fn counts(
    booked: u32,
    arrived: u32,
    vaccinated: u32,
    walk_ins: u32,
    no_shows: u32,
    undone: u32,
    in_review: u32,
) -> Value {
    json!({
        "booked": booked, "arrived": arrived, "vaccinated": vaccinated, "walk_ins": walk_ins,
        "no_shows": no_shows, "undone": undone, "in_review": in_review,
    })
}

fn keys(v: &Value) -> HashSet<&str> {
    v.as_object().unwrap().keys().map(String::as_str).collect()
}

/// Every object key anywhere in a JSON value.
fn all_keys(v: &Value, out: &mut HashSet<String>) {
    match v {
        Value::Object(map) => {
            for (k, x) in map {
                out.insert(k.clone());
                all_keys(x, out);
            }
        }
        Value::Array(items) => items.iter().for_each(|x| all_keys(x, out)),
        _ => {}
    }
}

/// Every string value anywhere in a JSON value.
fn all_strings<'a>(v: &'a Value, out: &mut Vec<&'a str>) {
    match v {
        Value::Object(map) => map.values().for_each(|x| all_strings(x, out)),
        Value::Array(items) => items.iter().for_each(|x| all_strings(x, out)),
        Value::String(s) => out.push(s),
        _ => {}
    }
}

fn ymd(app: &TestApp, days: i64) -> String {
    app.day(days).format("%Y-%m-%d").to_string()
}

// --- login ------------------------------------------------------------------------------------

async fn password_login_lasts_until_local_midnight(backend: Backend) {
    let app = TestApp::new(backend).await;
    let (id, username) = add_staff(&app, BKC, StaffRole::Vaccinator, None).await;
    // Usernames are not case-sensitive.
    let res = password_login(&app, &username.to_uppercase(), PASSWORD).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    let v = res.json();
    assert_eq!(keys(&v), HashSet::from(["token", "expires_at", "staff"]));
    assert_eq!(
        v["staff"],
        json!({
            "id": id, "name": format!("Nurse {username}"), "username": username,
            "role": "vaccinator", "center_id": BKC, "center_name": "BKC Jumbo Facility",
        })
    );
    let exp = v["expires_at"].as_i64().unwrap();
    assert!(exp > app.now().timestamp_millis());
    let ist = FixedOffset::east_opt(330 * 60).unwrap();
    let local = DateTime::from_timestamp_millis(exp).unwrap().with_timezone(&ist);
    assert_eq!(local.date_naive(), app.today);
    assert_eq!(local.time(), NaiveTime::from_hms_opt(23, 59, 59).unwrap());

    // The token reads the facility's sessions: today's by default, or a date's.
    let token = v["token"].as_str().unwrap();
    let s = get_ok(&app, token, format!("{SITE}/sessions")).await;
    assert_eq!(
        s["sessions"],
        json!([{
            "session_id": app.s.today, "date": ymd(&app, 0), "vaccine": "COVISHIELD",
            "min_age_limit": 18, "max_age_limit": null, "capacity": 100, "booked": 0,
            "slots": SLOTS, "status": "active",
        }])
    );
    let s = get_ok(&app, token, format!("{SITE}/sessions?date={}", ymd(&app, 1))).await;
    let ids: Vec<&Value> =
        s["sessions"].as_array().unwrap().iter().map(|x| &x["session_id"]).collect();
    assert_eq!(ids, [&json!(app.s.covaxin)]);
    let res = app.get(format!("{SITE}/sessions?date=01-06-2026")).bearer(token).send().await;
    res.assert_error(StatusCode::BAD_REQUEST, "SITE0006");

    // A wrong password and an unknown user read the same.
    let wrong = password_login(&app, &username, "Wrong2026pass").await;
    wrong.assert_error(StatusCode::BAD_REQUEST, "SITE0001");
    let unknown = password_login(&app, "nobody.here", PASSWORD).await;
    unknown.assert_error(StatusCode::BAD_REQUEST, "SITE0001");
    assert_eq!(wrong.json(), unknown.json());
    let stored = app.store.find_staff(id).await.unwrap();
    assert_eq!((stored.failed_logins, stored.locked_until_ms), (1, 0));
    password_login(&app, &username, "").await.assert_error(StatusCode::BAD_REQUEST, "USRRES0001");
}

async fn five_wrong_passwords_lock_the_login_for_15_minutes(backend: Backend) {
    let app = TestApp::new(backend).await;
    let (id, username) = add_staff(&app, BKC, StaffRole::Vaccinator, None).await;
    for _ in 0..4 {
        password_login(&app, &username, "Guess2026pw")
            .await
            .assert_error(StatusCode::BAD_REQUEST, "SITE0001");
    }
    let res = password_login(&app, &username, "Guess2026pw").await;
    res.assert_error(StatusCode::TOO_MANY_REQUESTS, "USRRES0429");
    assert_eq!(res.header(header::RETRY_AFTER), Some("900"));
    let stored = app.store.find_staff(id).await.unwrap();
    assert_eq!(stored.failed_logins, 5);
    assert_eq!(stored.locked_until_ms, (app.now() + Duration::minutes(15)).timestamp_millis());

    // Even the right password is refused while locked.
    password_login(&app, &username, PASSWORD)
        .await
        .assert_error(StatusCode::TOO_MANY_REQUESTS, "USRRES0429");
    app.advance(Duration::minutes(14));
    password_login(&app, &username, PASSWORD)
        .await
        .assert_error(StatusCode::TOO_MANY_REQUESTS, "USRRES0429");

    // After 15 minutes the count starts again: one mistyped password is just wrong.
    app.advance(Duration::minutes(1) + Duration::seconds(1));
    password_login(&app, &username, "Guess2026pw")
        .await
        .assert_error(StatusCode::BAD_REQUEST, "SITE0001");
    let stored = app.store.find_staff(id).await.unwrap();
    assert_eq!((stored.failed_logins, stored.locked_until_ms), (1, 0));
    let res = password_login(&app, &username, PASSWORD).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    assert_eq!(res.json()["staff"]["id"], json!(id));
    let stored = app.store.find_staff(id).await.unwrap();
    assert_eq!((stored.failed_logins, stored.locked_until_ms), (0, 0));
}

async fn otp_login_goes_to_the_staff_mobile(backend: Backend) {
    let app = TestApp::new(backend).await;
    let staff_mobile = mobile(900);
    let (id, username) = add_staff(&app, BKC, StaffRole::FacilityAdmin, Some(&staff_mobile)).await;
    let res =
        app.post(format!("{SITE}/login/otp")).json(&json!({ "username": username })).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    let v = res.json();
    assert_eq!(keys(&v), HashSet::from(["txnId"]));
    let txn = v["txnId"].as_str().unwrap();
    let otp = app.otp_sent_to(&staff_mobile);

    let confirm = |otp: String| {
        app.post(format!("{SITE}/login/otp/confirm")).json(&json!({ "txnId": txn, "otp": otp }))
    };
    let wrong = if otp == "000000" { "111111" } else { "000000" };
    confirm(wrong.to_owned()).send().await.assert_error(StatusCode::BAD_REQUEST, "USRAUT0014");
    let res = confirm(otp.clone()).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    let v = res.json();
    assert_eq!(v["staff"]["id"], json!(id));
    assert_eq!(v["staff"]["role"], "facility_admin");
    assert_eq!(v["staff"]["center_id"], BKC);
    assert!(v["expires_at"].as_i64().unwrap() > app.now().timestamp_millis());
    get_ok(&app, v["token"].as_str().unwrap(), format!("{SITE}/sessions")).await;
    // An OTP logs in once.
    confirm(otp).send().await.assert_error(StatusCode::BAD_REQUEST, "USRAUT0017");

    // No mobile, or no such user: refused, and no SMS leaves.
    let sent = app.sms.sent().len();
    let (_, without) = add_staff(&app, BKC, StaffRole::Vaccinator, None).await;
    for name in [without.as_str(), "nobody.here"] {
        app.post(format!("{SITE}/login/otp"))
            .json(&json!({ "username": name }))
            .send()
            .await
            .assert_error(StatusCode::BAD_REQUEST, "SITE0001");
    }
    assert_eq!(app.sms.sent().len(), sent);
}

// --- tokens and facilities --------------------------------------------------------------------

async fn tokens_are_scoped_and_end_at_local_midnight(backend: Backend) {
    let app = TestApp::new(backend).await;
    let (token, _) = staff(&app, BKC, StaffRole::FacilityAdmin).await;
    let sessions = format!("{SITE}/sessions");
    let citizen = app.login(&mobile(1)).await;
    let public = app.login_public(&mobile(2)).await;
    for other in [citizen.as_str(), public.as_str(), "not.a.token"] {
        app.get(&sessions).bearer(other).send().await.assert_unauthenticated();
    }
    app.get(&sessions).send().await.assert_unauthenticated();
    // A staff token is not a citizen token either.
    app.get("/api/v2/appointment/beneficiaries")
        .bearer(&token)
        .send()
        .await
        .assert_unauthenticated();

    // Valid until 23:59:59 IST of the day of login (10:00 IST now), then refused.
    app.advance(Duration::hours(13) + Duration::minutes(59));
    get_ok(&app, &token, &sessions).await;
    app.advance(Duration::minutes(1));
    app.get(&sessions).bearer(&token).send().await.assert_unauthenticated();
    app.get(format!("{SITE}/sessions/{}/tally", app.s.today))
        .bearer(&token)
        .send()
        .await
        .assert_unauthenticated();
}

async fn another_facilitys_session_is_forbidden(backend: Backend) {
    let (app, token, vaccinator) = setup(backend).await;
    issue_batch(&app, KURLA, "KUR0001", "COVISHIELD").await;
    let (kurla, _) = staff(&app, KURLA, StaffRole::Vaccinator).await;
    // A senior booked at Kurla (45 and above), a person booked at BKC.
    let ctoken = app.login(&mobile(1)).await;
    let senior = app.register(&ctoken, "Kamala Devi", "1958", &aadhaar(1)).await;
    app.book(&ctoken, app.s.senior, 1, &[&senior]).await;
    let senior = beneficiary(&app, &senior).await;
    let here = booked(&app, 2, app.s.today).await;
    let there = app.s.senior;
    let before = tally(&app, &kurla, there).await;
    assert_eq!(before, counts(1, 0, 0, 0, 1, 0, 0));

    for path in [
        format!("{SITE}/sessions/{there}/bundle"),
        format!("{SITE}/sessions/{there}/tally"),
        format!("{SITE}/sessions/{there}/list.pdf"),
        format!("{SITE}/sync/status?session_id={there}"),
    ] {
        app.get(&path).bearer(&token).send().await.assert_error(StatusCode::FORBIDDEN, "SITE0003");
    }
    // One record for Kurla's session refuses the whole upload.
    let records = [
        arrival(&app, app.s.today, here.id),
        arrival(&app, there, senior),
        dose(&app, there, &json!(senior), None, vaccinator),
    ];
    let body = upload(&records);
    sync(&app, &token, &body).await.assert_error(StatusCode::FORBIDDEN, "SITE0003");

    // Nothing was written or read: tallies as they were, no doses, no arrivals, no log rows.
    assert_eq!(tally(&app, &kurla, there).await, before);
    assert_eq!(tally(&app, &token, app.s.today).await, counts(1, 0, 0, 0, 1, 0, 0));
    assert!(app.store.list_vaccinations(&[senior, here.id]).await.unwrap().is_empty());
    assert!(app.store.session_arrivals(app.s.today).await.unwrap().is_empty());
    assert!(app.store.session_arrivals(there).await.unwrap().is_empty());
    assert!(app.store.list_access(CenterId(BKC), 10).await.unwrap().is_empty());
    assert!(app.store.list_access(CenterId(KURLA), 10).await.unwrap().is_empty());
    // The records were not used up: the BKC part alone applies.
    let results = synced(&app, &token, &records[..1]).await;
    assert_outcome(&results[0], "applied", None);

    // An unknown session is a 404, a malformed id a 400.
    app.get(format!("{SITE}/sessions/{}/tally", SessionId::new()))
        .bearer(&token)
        .send()
        .await
        .assert_error(StatusCode::NOT_FOUND, "USRRES0404");
    app.get(format!("{SITE}/sessions/nope/tally"))
        .bearer(&token)
        .send()
        .await
        .assert_error(StatusCode::BAD_REQUEST, "SITE0005");
}

// --- the bundle -------------------------------------------------------------------------------

async fn the_bundle_has_what_a_device_needs_and_no_more(backend: Backend) {
    let (app, token, vaccinator) = setup(backend).await;
    issue_batch(&app, KURLA, "KUR0001", "COVISHIELD").await;
    let (_, admin) = staff(&app, BKC, StaffRole::FacilityAdmin).await;
    staff(&app, KURLA, StaffRole::Vaccinator).await;
    let first = booked(&app, 1, app.s.today).await;
    // A second-dose person: dose 1 of COVISHIELD 90 days ago elsewhere, dose 2 booked today.
    let (token2, reference2) = app.citizen(2).await;
    let second = beneficiary(&app, &reference2).await;
    app.store
        .record_vaccination(&Vaccination {
            id: VaccinationId::new(),
            beneficiary_id: second,
            dose: DoseNumber::new(1).unwrap(),
            vaccine: VaccineCode::parse("COVISHIELD").unwrap(),
            date: app.day(-90),
            center_id: Some(CenterId(KURLA)),
        })
        .await
        .unwrap();
    let booking2 = app.book(&token2, app.s.today, 2, &[&reference2]).await;
    // From a device: the first person arrived; a walk-in (with a mobile number) was vaccinated.
    let (reg, given) = walk_in_dose(&app, app.s.today, &person("Ramesh Kumar", 500), vaccinator);
    let arrived = arrival(&app, app.s.today, first.id);
    let results = synced(&app, &token, &[arrived.clone(), reg.clone(), given.clone()]).await;
    for r in &results {
        assert_outcome(r, "applied", None);
    }
    let walker = reg["client_id"].clone();

    app.advance(Duration::seconds(30));
    let v = bundle(&app, &token, app.s.today).await;
    assert_eq!(v["bundle_version"], 1);
    assert_eq!(v["generated_at"], app.now().timestamp_millis());
    let s = &v["session"];
    assert_eq!(s["session_id"], json!(app.s.today));
    assert_eq!(s["date"], ymd(&app, 0));
    assert_eq!(s["vaccine"], "COVISHIELD");
    assert_eq!((&s["min_age_limit"], &s["max_age_limit"]), (&json!(18), &Value::Null));
    assert_eq!(s["slots"], json!(SLOTS));
    assert_eq!(s["status"], "active");
    assert_eq!(
        v["center"],
        json!({"center_id": BKC, "name": "BKC Jumbo Facility", "address": "BKC Jumbo Facility Road",
               "pincode": 400_051})
    );
    let staff_ids: HashSet<&Value> =
        v["staff"].as_array().unwrap().iter().map(|s| &s["id"]).collect();
    assert_eq!(staff_ids, HashSet::from([&json!(vaccinator), &json!(admin)]));
    for s in v["staff"].as_array().unwrap() {
        assert_eq!(keys(s), HashSet::from(["id", "name", "role"]));
    }
    assert_eq!(v["policy"]["today"], ymd(&app, 0));
    let covishield = v["vaccines"].as_array().unwrap().iter().find(|x| x["code"] == "COVISHIELD");
    assert_eq!(covishield.unwrap()["doses_in_series"], 2);
    assert_eq!(covishield.unwrap()["min_interval_days"], 84);
    let aadhaar_type = v["id_types"].as_array().unwrap().iter().find(|t| t["id"] == 1).unwrap();
    assert_eq!((&aadhaar_type["numeric"], &aadhaar_type["verhoeff"]), (&json!(true), &json!(true)));
    assert!(v["genders"].as_array().unwrap().iter().any(|g| g["id"] == 2));
    assert!(v["aefi_symptoms"].as_array().unwrap().iter().any(|a| a["code"] == "fever"));
    assert_eq!(
        v["batches"],
        json!([{"batch": BATCH, "vaccine": "COVISHIELD", "expiry": ymd(&app, 300), "doses_per_vial": 10}])
    );

    let appointments = v["appointments"].as_array().unwrap();
    assert_eq!(appointments.len(), 2);
    let find =
        |reference: &str| appointments.iter().find(|a| a["reference_id"] == reference).unwrap();
    let a1 = find(&first.reference);
    assert_eq!(
        keys(a1),
        HashSet::from([
            "appointment_id",
            "booking_id",
            "beneficiary_id",
            "reference_id",
            "name",
            "birth_year",
            "gender_id",
            "photo_id_type",
            "photo_id_last4",
            "dose",
            "slot",
            "security_code",
            "status",
            "history",
        ])
    );
    let code = appointment_row(&app, &first.booking, first.id).await.security_code;
    assert_eq!(
        *a1,
        json!({
            "appointment_id": first.row, "booking_id": first.booking, "beneficiary_id": first.id,
            "reference_id": first.reference, "name": "Asha Rao b", "birth_year": 1985,
            "gender_id": 2, "photo_id_type": 1, "photo_id_last4": &aadhaar(1)[8..], "dose": 1,
            "slot": SLOTS[0], "security_code": code.as_str(), "status": "booked", "history": [],
        })
    );
    let a2 = find(&reference2);
    assert_eq!(a2["booking_id"], booking2.as_str());
    assert_eq!(a2["beneficiary_id"], json!(second));
    assert_eq!(a2["dose"], 2);
    assert_eq!(a2["photo_id_last4"], &aadhaar(2)[8..]);
    assert_eq!(
        a2["history"],
        json!([{"dose": 1, "vaccine": "COVISHIELD", "date": ymd(&app, -90)}])
    );

    let walk_ins = v["walk_ins"].as_array().unwrap();
    assert_eq!(walk_ins.len(), 1);
    assert_eq!(
        walk_ins[0],
        json!({
            "beneficiary_id": walker, "reference_id": results[1]["reference_id"],
            "name": "Ramesh Kumar", "birth_year": 1961, "gender_id": 1, "photo_id_type": 1,
            "photo_id_last4": &aadhaar(500)[8..],
            "history": [{"dose": 1, "vaccine": "COVISHIELD", "date": ymd(&app, 0)}],
        })
    );
    assert_eq!(v["arrivals"], json!([{"beneficiary_id": first.id, "at": arrived["at"]}]));
    assert_eq!(
        v["vaccinations"],
        json!([{
            "client_id": given["client_id"], "beneficiary_id": walker, "dose": 1,
            "vaccine": "COVISHIELD", "batch": BATCH, "at": given["at"],
            "vaccinator_id": vaccinator, "walk_in": true, "voided": false,
        }])
    );

    // Nothing else about a person: no mobile number, no full photo id number.
    let mut names = HashSet::new();
    all_keys(&v, &mut names);
    assert!(!names.contains("mobile"), "{names:?}");
    assert!(!names.iter().any(|k| k.contains("photo_id_number") || k.contains("hash")));
    let mut strings = Vec::new();
    all_strings(&v, &mut strings);
    assert!(
        !strings.iter().any(|s| s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit())),
        "{strings:?}"
    );
    let text = v.to_string();
    for n in [1, 2, 500] {
        assert!(!text.contains(&aadhaar(u64::from(n))), "aadhaar {n} in the bundle");
        assert!(!text.contains(&mobile(n)), "mobile {n} in the bundle");
    }

    // Each download is in the access log.
    let log = app.store.list_access(CenterId(BKC), 10).await.unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].staff_id, vaccinator);
    assert_eq!(log[0].session_id, Some(app.s.today));
    assert_eq!(log[0].action, "bundle");
    assert_eq!(log[0].detail, "3 people");
    assert_eq!(log[0].at_ms, app.now().timestamp_millis());
    bundle(&app, &token, app.s.today).await;
    let log = app.store.list_access(CenterId(BKC), 10).await.unwrap();
    assert_eq!(log.len(), 2);
    assert!(log.iter().all(|e| e.action == "bundle" && e.session_id == Some(app.s.today)));
}

// --- uploads ----------------------------------------------------------------------------------

async fn an_upload_applies_arrivals_doses_reports_and_walk_ins(backend: Backend) {
    let (app, token, vaccinator) = setup(backend).await;
    let p = booked(&app, 1, app.s.today).await;
    let arrived = arrival(&app, app.s.today, p.id);
    let given = dose(&app, app.s.today, &json!(p.id), Some(&p.row), vaccinator);
    let report = aefi(&app, app.s.today, &given, "serious");
    let (reg, walk) = walk_in_dose(&app, app.s.today, &person("Ramesh Kumar", 500), vaccinator);
    let records = [arrived, given.clone(), report.clone(), reg.clone(), walk.clone()];
    let body = upload(&records);
    let res = sync(&app, &token, &body).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    assert_eq!(res.header(header::CONTENT_TYPE), Some("application/json"));
    let v = res.json();
    assert_eq!(v["idempotency_key"], body["idempotency_key"]);
    assert_eq!(v["applied_at"], app.now().timestamp_millis());
    let results = v["results"].as_array().unwrap();
    assert_eq!(results.len(), 5);
    for (r, rec) in results.iter().zip(&records) {
        assert_eq!(r["client_id"], rec["client_id"]);
        assert_outcome(r, "applied", None);
    }
    assert_eq!(results[0]["beneficiary_id"], json!(p.id));
    assert_eq!(results[1]["beneficiary_id"], json!(p.id));
    assert_eq!(results[1]["reference_id"], p.reference.as_str());
    assert_eq!(results[1]["dose"], 1);
    let walker = &reg["client_id"];
    assert_eq!(results[3]["beneficiary_id"], *walker);
    let reference = results[3]["reference_id"].as_str().unwrap();
    assert!(reference.len() == 14 && reference.bytes().all(|b| b.is_ascii_digit()), "{reference}");
    assert_eq!(results[4]["beneficiary_id"], *walker);
    assert_eq!(results[4]["reference_id"], reference);
    assert_eq!(results[4]["dose"], 1);

    // The walk-in exists, under the reference id the site was told.
    let walker_id: BeneficiaryId = walker.as_str().unwrap().parse().unwrap();
    let w = app.store.find_beneficiary_by_ref(&BeneficiaryRef::parse(reference).unwrap()).await;
    let w = w.unwrap();
    assert_eq!(w.id, walker_id);
    assert_eq!((w.name.as_str(), w.birth_year, w.gender_id), ("Ramesh Kumar", 1961, 1));
    assert_eq!(w.photo_id_last4, &aadhaar(500)[8..]);
    // Doses, arrival and appointment as recorded.
    let doses = app.store.session_doses(app.s.today).await.unwrap();
    assert_eq!(doses.len(), 2);
    let booked_dose = doses.iter().find(|d| d.beneficiary_id == p.id).unwrap();
    assert_eq!(json!(booked_dose.id), given["client_id"]);
    assert_eq!(booked_dose.batch.as_deref(), Some(BATCH));
    assert_eq!(booked_dose.vaccinator_id, Some(vaccinator));
    assert_eq!(booked_dose.at_ms, given["at"].as_i64());
    assert!(!booked_dose.walk_in && !booked_dose.voided);
    let walk_dose = doses.iter().find(|d| d.beneficiary_id == walker_id).unwrap();
    assert!(walk_dose.walk_in && !walk_dose.voided);
    let arrivals = app.store.session_arrivals(app.s.today).await.unwrap();
    assert_eq!(arrivals.iter().map(|a| a.beneficiary_id).collect::<Vec<_>>(), [p.id]);
    assert_eq!(appointment_row(&app, &p.booking, p.id).await.status, AppointmentStatus::Completed);
    let citizen_view = app.beneficiaries(&p.token).await;
    assert_eq!(citizen_view[0]["vaccination_status"], "Partially Vaccinated");
    assert_eq!(citizen_view[0]["dose1_date"], app.date(0));
    // One `dose.recorded` per dose, and the serious AEFI report raised its event.
    let recorded: HashSet<String> = events(&app, "dose.recorded").await.into_iter().collect();
    assert_eq!(recorded.len(), 2);
    let expected: HashSet<String> =
        [&given, &walk].iter().map(|d| d["client_id"].as_str().unwrap().to_owned()).collect();
    assert_eq!(recorded, expected);
    assert_eq!(events(&app, "aefi.serious").await, [report["client_id"].as_str().unwrap()]);
    assert_eq!(tally(&app, &token, app.s.today).await, counts(1, 2, 2, 1, 0, 0, 0));
}

async fn replays_answer_the_same_bytes_and_records_apply_once(backend: Backend) {
    let (app, token, vaccinator) = setup(backend).await;
    let p = booked(&app, 1, app.s.today).await;
    let q = booked(&app, 2, app.s.today).await;
    let records = [
        arrival(&app, app.s.today, p.id),
        dose(&app, app.s.today, &json!(p.id), Some(&p.row), vaccinator),
        walk_in(&app, app.s.today, &person("Ramesh Kumar", 500)),
    ];
    let body = upload(&records);
    let first = sync(&app, &token, &body).await;
    assert_eq!(first.status, StatusCode::OK, "{}", first.text());

    // A retry (the answer was lost) gets the saved answer, byte for byte.
    app.advance(Duration::minutes(5));
    let again = sync(&app, &token, &body).await;
    assert_eq!(again.status, StatusCode::OK, "{}", again.text());
    assert_eq!(again.body, first.body);

    // The same key with another body is refused, and writes nothing.
    let mut other = body.clone();
    other["records"] = json!([arrival(&app, app.s.today, q.id)]);
    sync(&app, &token, &other).await.assert_error(StatusCode::CONFLICT, "SYNC0002");
    let arrivals = app.store.session_arrivals(app.s.today).await.unwrap();
    assert_eq!(arrivals.iter().map(|a| a.beneficiary_id).collect::<Vec<_>>(), [p.id]);

    // The same records under a new key: every one a duplicate with the first result's fields.
    let mut renewed = body.clone();
    renewed["idempotency_key"] = json!(UploadKey::new());
    let res = sync(&app, &token, &renewed).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    let firsts = first.json()["results"].as_array().unwrap().clone();
    let dups = res.json()["results"].as_array().unwrap().clone();
    assert_eq!(dups.len(), 3);
    for (dup, was) in dups.iter().zip(&firsts) {
        let mut expected = was.clone();
        expected["outcome"] = json!("duplicate");
        assert_eq!(*dup, expected);
    }
    // A record repeated next to a new one: the repeat is a duplicate, the new one applies.
    let results =
        synced(&app, &token, &[records[1].clone(), arrival(&app, app.s.today, q.id)]).await;
    assert_outcome(&results[0], "duplicate", None);
    assert_eq!(results[0]["dose"], 1);
    assert_outcome(&results[1], "applied", None);

    // Written once.
    assert_eq!(app.store.session_doses(app.s.today).await.unwrap().len(), 1);
    assert_eq!(doses_of(&app, p.id).await.len(), 1);
    let walker: BeneficiaryId = records[2]["client_id"].as_str().unwrap().parse().unwrap();
    assert_eq!(app.store.find_beneficiaries(&[walker]).await.unwrap().len(), 1);
    assert_eq!(events(&app, "dose.recorded").await, [records[1]["client_id"].as_str().unwrap()]);
    assert_eq!(tally(&app, &token, app.s.today).await, counts(2, 2, 1, 0, 0, 0, 0));
}

async fn a_malformed_upload_writes_nothing(backend: Backend) {
    let (app, token, vaccinator) = setup(backend).await;
    let (_, kurla_vaccinator) = staff(&app, KURLA, StaffRole::Vaccinator).await;
    let p = booked(&app, 1, app.s.today).await;
    let before = tally(&app, &token, app.s.today).await;
    let ok = arrival(&app, app.s.today, p.id);
    let good_dose = dose(&app, app.s.today, &json!(p.id), Some(&p.row), vaccinator);

    let mut v4 = arrival(&app, app.s.today, p.id);
    v4["client_id"] = json!(uuid::Uuid::new_v4());
    let mut kind = good_dose.clone();
    kind["kind"] = json!("vaccination");
    let mut no_batch = good_dose.clone();
    no_batch.as_object_mut().unwrap().remove("batch");
    let mut bad_id = person("Ramesh Kumar", 500);
    let number = aadhaar(500);
    let check = (number.as_bytes()[11] - b'0' + 1) % 10;
    bad_id["photo_id_number"] = json!(format!("{}{check}", &number[..11]));
    let bad_id = walk_in(&app, app.s.today, &bad_id);
    let mut stranger = good_dose.clone();
    stranger["vaccinator_id"] = json!(kurla_vaccinator);
    let mut bad_aefi = aefi(&app, app.s.today, &good_dose, "minor");
    bad_aefi["symptoms"] = json!(["hiccups"]);
    for (bad, field) in [
        (v4, "records[1].client_id"),
        (kind, "records[1].kind"),
        (no_batch, "records[1].batch"),
        (bad_id, "records[1].beneficiary.photo_id_number"),
        (stranger, "records[1].vaccinator_id"),
        (bad_aefi, "records[1].symptoms"),
    ] {
        let res = sync(&app, &token, &upload(&[ok.clone(), bad])).await;
        res.assert_error(StatusCode::BAD_REQUEST, "SYNC0001");
        let message = res.json()["error"].as_str().unwrap().to_owned();
        assert!(message.starts_with(&format!("{field}: ")), "{field}: {message}");
    }
    // 0 or 501 records, or no JSON at all.
    for records in [Vec::new(), (0..501).map(|_| arrival(&app, app.s.today, p.id)).collect()] {
        let res = sync(&app, &token, &upload(&records)).await;
        res.assert_error(StatusCode::BAD_REQUEST, "SYNC0001");
        assert!(res.json()["error"].as_str().unwrap().starts_with("upload.records: "));
    }
    app.post(format!("{SITE}/sync"))
        .bearer(&token)
        .header("content-type", "application/json")
        .body(b"{\"records\": [")
        .send()
        .await
        .assert_error(StatusCode::BAD_REQUEST, "SYNC0001");

    // Nothing was written, and the good record was not used up.
    assert_eq!(tally(&app, &token, app.s.today).await, before);
    assert!(app.store.session_arrivals(app.s.today).await.unwrap().is_empty());
    assert!(app.store.session_doses(app.s.today).await.unwrap().is_empty());
    // (Registrations and bookings of the setup have their own events; no site event was written.)
    let events = app.store.pending_events(100).await.unwrap();
    assert!(
        events
            .iter()
            .all(|e| e.kind.starts_with("beneficiary.") || e.kind.starts_with("appointment.")),
        "{events:?}"
    );
    let status = get_ok(&app, &token, format!("{SITE}/sync/status?session_id={}", app.s.today));
    assert_eq!(status.await, json!({ "items": [] }));
    let results = synced(&app, &token, &[ok, good_dose]).await;
    assert_outcome(&results[0], "applied", None);
    assert_outcome(&results[1], "applied", None);
    assert_eq!(tally(&app, &token, app.s.today).await, counts(1, 1, 1, 0, 0, 0, 0));
}

async fn conflicts_are_noted_or_sent_to_review(backend: Backend) {
    let (app, token, vaccinator) = setup(backend).await;
    let (token2, vaccinator2) = staff(&app, BKC, StaffRole::Vaccinator).await;

    // A dose against a cancelled appointment is recorded, as a walk-in, with a note.
    let c = booked(&app, 1, app.s.today).await;
    cancel(&app, &c).await;
    let results =
        synced(&app, &token, &[dose(&app, app.s.today, &json!(c.id), Some(&c.row), vaccinator)])
            .await;
    assert_outcome(&results[0], "applied", Some("SYNC0101"));
    assert_eq!(results[0]["dose"], 1);
    let doses = app.store.session_doses(app.s.today).await.unwrap();
    assert_eq!(doses.len(), 1);
    assert!(doses[0].walk_in && doses[0].beneficiary_id == c.id);
    assert_eq!(appointment_row(&app, &c.booking, c.id).await.status, AppointmentStatus::Cancelled);

    // The same person dosed on two devices: the first applies, the second goes to review.
    let p = booked(&app, 2, app.s.today).await;
    let once = dose(&app, app.s.today, &json!(p.id), Some(&p.row), vaccinator);
    assert_outcome(&synced(&app, &token, &[once]).await[0], "applied", None);
    let other = dose(&app, app.s.today, &json!(p.id), Some(&p.row), vaccinator2);
    let two = synced(&app, &token2, std::slice::from_ref(&other)).await;
    assert_outcome(&two[0], "review", Some("SYNC0201"));
    assert_eq!(two[0]["beneficiary_id"], json!(p.id));
    let dup_review = two[0]["review_id"].clone();
    assert!(dup_review.is_string());
    assert_eq!(doses_of(&app, p.id).await.len(), 1);
    assert_eq!(tally(&app, &token, app.s.today).await, counts(1, 2, 2, 1, 0, 0, 1));

    // A batch the facility was never issued: review.
    let q = booked(&app, 3, app.s.today).await;
    let mut unissued = dose(&app, app.s.today, &json!(q.id), Some(&q.row), vaccinator);
    unissued["batch"] = json!("9999X999");
    let three = synced(&app, &token, &[unissued.clone()]).await;
    assert_outcome(&three[0], "review", Some("SYNC0203"));
    assert!(doses_of(&app, q.id).await.is_empty());
    assert_eq!(appointment_row(&app, &q.booking, q.id).await.status, AppointmentStatus::Booked);
    assert_eq!(tally(&app, &token, app.s.today).await, counts(2, 2, 2, 1, 1, 0, 2));
    assert_eq!(events(&app, "dose.recorded").await.len(), 2);

    // The site is told what became of its records.
    let status = get_ok(&app, &token2, format!("{SITE}/sync/status?session_id={}", app.s.today));
    let items = status.await["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 2);
    for (record, code) in [(&other, "SYNC0201"), (&unissued, "SYNC0203")] {
        let item = items.iter().find(|i| i["client_id"] == record["client_id"]).unwrap();
        assert_eq!(item["code"], code);
        assert_eq!(item["status"], "open");
        assert_eq!(item["resolution_note"], Value::Null);
        assert!(item["message"].as_str().is_some_and(|m| !m.is_empty()));
    }
}

// --- review queue -----------------------------------------------------------------------------

async fn resolve(app: &TestApp, token: &str, review: &Value, action: &str, note: &str) -> Resp {
    let id = review.as_str().unwrap();
    app.post(format!("{SITE}/reviews/{id}/resolve"))
        .bearer(token)
        .json(&json!({ "action": action, "note": note }))
        .send()
        .await
}

async fn the_review_queue_belongs_to_the_facility_admin(backend: Backend) {
    let (app, token, vaccinator) = setup(backend).await;
    let (admin_token, admin) = staff(&app, BKC, StaffRole::FacilityAdmin).await;
    let (kurla_admin, _) = staff(&app, KURLA, StaffRole::FacilityAdmin).await;
    let x = booked(&app, 1, app.s.today).await;
    let y = booked(&app, 2, app.s.today).await;
    let once = dose(&app, app.s.today, &json!(y.id), Some(&y.row), vaccinator);
    assert_outcome(&synced(&app, &token, &[once]).await[0], "applied", None);
    let dup = dose(&app, app.s.today, &json!(y.id), Some(&y.row), vaccinator);
    let mut unissued = dose(&app, app.s.today, &json!(x.id), Some(&x.row), vaccinator);
    unissued["batch"] = json!("4121Z026");
    let results = synced(&app, &token, &[dup, unissued.clone()]).await;
    assert_outcome(&results[0], "review", Some("SYNC0201"));
    assert_outcome(&results[1], "review", Some("SYNC0203"));
    let (dup_review, batch_review) =
        (results[0]["review_id"].clone(), results[1]["review_id"].clone());

    // A vaccinator can neither see nor resolve the queue.
    app.get(format!("{SITE}/reviews"))
        .bearer(&token)
        .send()
        .await
        .assert_error(StatusCode::FORBIDDEN, "SITE0004");
    resolve(&app, &token, &batch_review, "accept", "looks fine")
        .await
        .assert_error(StatusCode::FORBIDDEN, "SITE0004");

    // The admin sees the facility's open items, without photo-id hashes.
    let open = get_ok(&app, &admin_token, format!("{SITE}/reviews?status=open")).await;
    let items = open["items"].as_array().unwrap();
    let ids: HashSet<&Value> = items.iter().map(|i| &i["review_id"]).collect();
    assert_eq!(ids, HashSet::from([&dup_review, &batch_review]));
    for i in items {
        assert_eq!(i["status"], "open");
        assert_eq!(i["session_id"], json!(app.s.today));
        assert_eq!(i["kind"], "dose");
        assert_eq!(i["record"]["session_id"], json!(app.s.today));
    }
    let mut names = HashSet::new();
    all_keys(&open, &mut names);
    assert!(!names.contains("photo_id_hash"));
    // Another facility's admin sees none of it and cannot resolve it.
    assert_eq!(get_ok(&app, &kurla_admin, format!("{SITE}/reviews")).await, json!({"items": []}));
    resolve(&app, &kurla_admin, &batch_review, "accept", "not mine")
        .await
        .assert_error(StatusCode::NOT_FOUND, "USRRES0404");
    // A bad action or no note is refused.
    resolve(&app, &admin_token, &batch_review, "approve", "ok")
        .await
        .assert_error(StatusCode::BAD_REQUEST, "SITE0009");
    resolve(&app, &admin_token, &batch_review, "accept", "  ")
        .await
        .assert_error(StatusCode::BAD_REQUEST, "SITE0009");
    assert_eq!(tally(&app, &token, app.s.today).await, counts(2, 1, 1, 0, 1, 0, 2));

    // Accept: the dose is recorded (the number following the history) and the booking done.
    let note = "Batch 4121Z026 arrived with the last delivery; checked the vial";
    let res = resolve(&app, &admin_token, &batch_review, "accept", note).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    let v = res.json();
    assert_eq!(v["status"], "accepted");
    assert_eq!(v["resolution_note"], note);
    assert_eq!(v["resolved_by"], format!("staff:{admin}"));
    let x_doses = doses_of(&app, x.id).await;
    assert_eq!(x_doses.len(), 1);
    assert_eq!(x_doses[0].dose.get(), 1);
    assert_eq!(appointment_row(&app, &x.booking, x.id).await.status, AppointmentStatus::Completed);
    assert_eq!(tally(&app, &token, app.s.today).await, counts(2, 2, 2, 0, 0, 0, 1));
    let recorded = events(&app, "dose.recorded").await;
    assert_eq!(recorded.len(), 2);
    assert!(recorded.iter().any(|s| json!(s) == unissued["client_id"]));

    // Discard: nothing is recorded.
    let res =
        resolve(&app, &admin_token, &dup_review, "discard", "Entered twice on two tablets").await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    assert_eq!(res.json()["status"], "discarded");
    assert_eq!(doses_of(&app, y.id).await.len(), 1);
    assert_eq!(tally(&app, &token, app.s.today).await, counts(2, 2, 2, 0, 0, 0, 0));
    assert_eq!(events(&app, "dose.recorded").await.len(), 2);

    // Resolved is final.
    for (review, action) in [(&batch_review, "discard"), (&dup_review, "accept")] {
        resolve(&app, &admin_token, review, action, "again")
            .await
            .assert_error(StatusCode::CONFLICT, "SITE0012");
    }
    assert_eq!(doses_of(&app, y.id).await.len(), 1);

    // The site sees the decisions and their notes.
    let status = get_ok(&app, &token, format!("{SITE}/sync/status?session_id={}", app.s.today));
    let items = status.await["items"].as_array().unwrap().clone();
    let item = |id: &Value| items.iter().find(|i| i["review_id"] == *id).unwrap().clone();
    assert_eq!(item(&batch_review)["status"], "accepted");
    assert_eq!(item(&batch_review)["resolution_note"], note);
    assert_eq!(item(&dup_review)["status"], "discarded");
    assert_eq!(item(&dup_review)["resolution_note"], "Entered twice on two tablets");
    let open = get_ok(&app, &admin_token, format!("{SITE}/reviews?status=open")).await;
    assert_eq!(open, json!({"items": []}));
    let accepted = get_ok(&app, &admin_token, format!("{SITE}/reviews?status=accepted")).await;
    assert_eq!(accepted["items"].as_array().unwrap().len(), 1);
    // The accepted record now answers as applied when sent again.
    let again = synced(&app, &token, &[unissued]).await;
    assert_outcome(&again[0], "duplicate", None);
    assert_eq!(again[0]["dose"], 1);
    assert!(again[0].get("review_id").is_none());
}

// --- tally, events, paper list ----------------------------------------------------------------

async fn the_tally_counts_what_the_server_holds(backend: Backend) {
    let (app, token, vaccinator) = setup(backend).await;
    let mut people = Vec::new();
    for n in 1..=5 {
        people.push(booked(&app, n, app.s.today).await);
    }
    cancel(&app, &people[4]).await;
    assert_eq!(tally(&app, &token, app.s.today).await, counts(4, 0, 0, 0, 4, 0, 0));
    let [p1, p2, p3, p4, _] = &people[..] else { unreachable!() };

    let d2 = dose(&app, app.s.today, &json!(p2.id), Some(&p2.row), vaccinator);
    let d3 = dose(&app, app.s.today, &json!(p3.id), Some(&p3.row), vaccinator);
    let (reg, dw) = walk_in_dose(&app, app.s.today, &person("Ramesh Kumar", 500), vaccinator);
    let records = [
        arrival(&app, app.s.today, p1.id),
        arrival(&app, app.s.today, p2.id),
        d2.clone(),
        d3.clone(),
        reg,
        dw.clone(),
    ];
    for r in synced(&app, &token, &records).await {
        assert_outcome(&r, "applied", None);
    }
    // p1 arrived; p2 arrived and vaccinated; p3 vaccinated; a walk-in; p4 did not come.
    assert_eq!(tally(&app, &token, app.s.today).await, counts(4, 4, 3, 1, 1, 0, 0));

    // p3's dose was a mistake: undone, the appointment is open again.
    let results =
        synced(&app, &token, &[undo(&app, app.s.today, &d3, "Recorded against the wrong person")])
            .await;
    assert_outcome(&results[0], "applied", None);
    assert_eq!(results[0]["beneficiary_id"], json!(p3.id));
    assert_eq!(tally(&app, &token, app.s.today).await, counts(4, 3, 2, 1, 2, 1, 0));
    assert_eq!(appointment_row(&app, &p3.booking, p3.id).await.status, AppointmentStatus::Booked);
    assert!(doses_of(&app, p3.id).await.is_empty());
    let b = bundle(&app, &token, app.s.today).await;
    let a3 =
        b["appointments"].as_array().unwrap().iter().find(|a| a["beneficiary_id"] == json!(p3.id));
    assert_eq!(a3.unwrap()["status"], "booked");
    let v3 =
        b["vaccinations"].as_array().unwrap().iter().find(|v| v["client_id"] == d3["client_id"]);
    assert_eq!(v3.unwrap()["voided"], true);

    // An undo that arrives before its dose: the dose is then stored undone.
    let d4 = dose(&app, app.s.today, &json!(p4.id), Some(&p4.row), vaccinator);
    let early = synced(&app, &token, &[undo(&app, app.s.today, &d4, "Wrong arm entered")]).await;
    assert_outcome(&early[0], "applied", Some("SYNC0103"));
    let late = synced(&app, &token, std::slice::from_ref(&d4)).await;
    assert_outcome(&late[0], "applied", Some("SYNC0103"));
    assert_eq!(tally(&app, &token, app.s.today).await, counts(4, 3, 2, 1, 2, 2, 0));
    assert_eq!(appointment_row(&app, &p4.booking, p4.id).await.status, AppointmentStatus::Booked);

    // Exactly one `dose.recorded` per applied dose (none for the one stored undone), even
    // after everything is sent again.
    let resent = synced(&app, &token, &records).await;
    assert!(resent.iter().all(|r| r["outcome"] == "duplicate"));
    let mut recorded = events(&app, "dose.recorded").await;
    recorded.sort();
    let mut expected: Vec<String> =
        [&d2, &d3, &dw].iter().map(|d| d["client_id"].as_str().unwrap().to_owned()).collect();
    expected.sort();
    assert_eq!(recorded, expected);
    assert_eq!(events(&app, "dose.voided").await, [d3["client_id"].as_str().unwrap()]);
    assert_eq!(tally(&app, &token, app.s.today).await, counts(4, 3, 2, 1, 2, 2, 0));
}

async fn the_paper_list_is_a_logged_pdf(backend: Backend) {
    let (app, token, vaccinator) = setup(backend).await;
    booked(&app, 1, app.s.today).await;
    booked(&app, 2, app.s.today).await;
    let res =
        app.get(format!("{SITE}/sessions/{}/list.pdf", app.s.today)).bearer(&token).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    assert_eq!(res.header(header::CONTENT_TYPE), Some("application/pdf"));
    assert!(res.header(header::CONTENT_DISPOSITION).unwrap().starts_with("attachment"));
    assert!(res.body.starts_with(b"%PDF"));
    let log = app.store.list_access(CenterId(BKC), 10).await.unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].action, "list_pdf");
    assert_eq!(log[0].staff_id, vaccinator);
    assert_eq!(log[0].session_id, Some(app.s.today));
    assert_eq!(log[0].detail, "2 people");
}

// --- the session's stock use ------------------------------------------------------------------

/// BKC's store point, and the lot of BKC's batch with `vials` received there.
async fn bkc_store_with(app: &TestApp, vials: u32) -> tika_domain::ids::ColdChainPointId {
    use tika_domain::inventory::{MovementKind, MovementRequest, PointLevel};
    use tika_storage::ColdChainPoint;
    let now = app.now().timestamp_millis();
    let center = app.store.find_center(CenterId(BKC)).await.unwrap();
    let point = ColdChainPoint {
        id: tika_domain::ids::ColdChainPointId::new(),
        name: "BKC ILR".into(),
        level: PointLevel::Facility,
        state: center.state_id,
        district: Some(center.district_id),
        center: Some(CenterId(BKC)),
        active: true,
        created_at_ms: now,
    };
    app.store.create_point(&point).await.unwrap();
    if vials > 0 {
        let lot = app
            .store
            .find_lot_by_batch(&VaccineCode::parse("COVISHIELD").unwrap(), BATCH)
            .await
            .unwrap()
            .expect("the lot exists");
        let receipt = MovementRequest {
            kind: MovementKind::Receipt,
            lot: lot.id,
            vials,
            adjust_up: false,
            wastage_reason: None,
            note: String::new(),
            date: app.today,
        };
        app.store.record_movement(point.id, &receipt, "test", now).await.unwrap();
    }
    point.id
}

async fn three_walk_in_doses(app: &TestApp, token: &str, vaccinator: StaffId) {
    let mut records = Vec::new();
    for n in 0..3 {
        let (reg, d) = walk_in_dose(app, app.s.today, &person("Asha Devi", 700 + n), vaccinator);
        records.extend([reg, d]);
    }
    synced(app, token, &records).await;
}

async fn closing_a_session_takes_its_vials_out_of_the_facility_stock(backend: Backend) {
    let (app, token, vaccinator) = setup(backend).await;
    three_walk_in_doses(&app, &token, vaccinator).await;
    let path = format!("{SITE}/sessions/{}/stock", app.s.today);
    let close = format!("{path}/close");

    // Before closing: 3 doses of the batch, 1 vial of 10 needed, nothing in stock.
    let open = get_ok(&app, &token, &path).await;
    assert_eq!(open["closed"], false);
    assert_eq!(open["doses_without_batch"], 0);
    let b = &open["batches"][0];
    assert_eq!((b["batch"].as_str(), b["doses_given"].as_u64()), (Some(BATCH), Some(3)));
    assert_eq!((b["doses_per_vial"].as_u64(), b["vials_needed"].as_u64()), (Some(10), Some(1)));
    assert_eq!(b["vials_in_stock"], 0);

    // No cold chain point at the facility yet.
    let res = app.post(&close).bearer(&token).json(&json!({})).send().await;
    assert_eq!(res.status, StatusCode::CONFLICT, "{}", res.text());
    assert_eq!(res.json()["errorCode"], "STK0005");

    // A point, but the batch's vials were never received there: the ledger refuses, and
    // nothing is recorded.
    let point = bkc_store_with(&app, 0).await;
    let res = app.post(&close).bearer(&token).json(&json!({})).send().await;
    assert_eq!(res.status, StatusCode::CONFLICT, "{}", res.text());
    assert_eq!(res.json()["errorCode"], "STK0001");
    assert!(app.store.session_use(app.s.today).await.unwrap().is_empty());
    assert!(app.store.movements(point, 10).await.unwrap().is_empty());

    // A batch the facility never received is refused by name.
    let res = app
        .post(&close)
        .bearer(&token)
        .json(&json!({ "vials_opened": { "NOPE-1": 1 } }))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.text());
    assert!(res.json()["error"].as_str().unwrap().contains("NOPE-1"), "{}", res.text());

    // With 4 vials received, closing takes the 1 vial needed.
    let lot = app
        .store
        .find_lot_by_batch(&VaccineCode::parse("COVISHIELD").unwrap(), BATCH)
        .await
        .unwrap()
        .unwrap();
    let receipt = tika_domain::inventory::MovementRequest {
        kind: tika_domain::inventory::MovementKind::Receipt,
        lot: lot.id,
        vials: 4,
        adjust_up: false,
        wastage_reason: None,
        note: String::new(),
        date: app.today,
    };
    let now = app.now().timestamp_millis();
    app.store.record_movement(point, &receipt, "test", now).await.unwrap();
    let res = app.post(&close).bearer(&token).json(&json!({})).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    let v = res.json();
    assert_eq!(v["closed"], true);
    let b = &v["batches"][0];
    assert_eq!((b["vials_opened"].as_u64(), b["doses_wasted"].as_u64()), (Some(1), Some(7)));
    assert_eq!(b["anomalies"], json!([]));
    let stock = app.store.stock(point).await.unwrap();
    assert_eq!(stock.iter().map(|s| s.vials).collect::<Vec<_>>(), [3]);
    let ledger = app.store.movements(point, 10).await.unwrap();
    assert_eq!(ledger[0].kind, tika_domain::inventory::MovementKind::SessionUse);
    assert_eq!(ledger[0].delta, -1);
    assert_eq!(ledger[0].actor, format!("staff:{vaccinator}"));
    // The recorded use is what the site sees from now on; closing again is refused.
    assert_eq!(get_ok(&app, &token, &path).await, v);
    let res = app.post(&close).bearer(&token).json(&json!({})).send().await;
    assert_eq!(res.status, StatusCode::CONFLICT, "{}", res.text());
    assert_eq!(res.json()["errorCode"], "STK0004");
    assert_eq!(app.store.stock(point).await.unwrap()[0].vials, 3);
    // Another facility's staff cannot see or close it.
    let (kurla, _) = staff(&app, KURLA, StaffRole::Vaccinator).await;
    let res = app.get(&path).bearer(&kurla).send().await;
    assert_eq!(res.status, StatusCode::FORBIDDEN);
}

async fn doses_the_opened_vials_could_not_give_are_flagged(backend: Backend) {
    use tika_domain::inventory::Anomaly;
    let (app, token, vaccinator) = setup(backend).await;
    three_walk_in_doses(&app, &token, vaccinator).await;
    // Lot created by looking at the session (from BKC's issued batch), then stocked.
    let path = format!("{SITE}/sessions/{}/stock", app.s.today);
    let res = app.post(format!("{path}/close")).bearer(&token).json(&json!({})).send().await;
    assert_eq!(res.status, StatusCode::CONFLICT, "{}", res.text());
    bkc_store_with(&app, 0).await;
    let res = app
        .post(format!("{path}/close"))
        .bearer(&token)
        .json(&json!({ "vials_opened": { BATCH: 0 }, "extra": 1 }))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "unknown fields are refused: {}", res.text());
    let res = app
        .post(format!("{path}/close"))
        .bearer(&token)
        .json(&json!({ "vials_opened": { BATCH: 0 } }))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    let recorded = app.store.session_use(app.s.today).await.unwrap();
    assert_eq!(recorded.len(), 1);
    assert_eq!(recorded[0].line.vials_opened, 0);
    assert_eq!(
        recorded[0].line.anomalies,
        [Anomaly::MoreDosesThanVials { doses_given: 3, capacity: 0 }]
    );
    // The district sees it among the anomalies of its points.
    let flagged = app.store.session_uses(&[recorded[0].point], app.today, true, 10).await.unwrap();
    assert_eq!(flagged.len(), 1);
    assert_eq!(flagged[0].session, app.s.today);
    assert_eq!(flagged[0].batch, BATCH);
}

on_both_backends!(
    closing_a_session_takes_its_vials_out_of_the_facility_stock,
    doses_the_opened_vials_could_not_give_are_flagged,
    password_login_lasts_until_local_midnight,
    five_wrong_passwords_lock_the_login_for_15_minutes,
    otp_login_goes_to_the_staff_mobile,
    tokens_are_scoped_and_end_at_local_midnight,
    another_facilitys_session_is_forbidden,
    the_bundle_has_what_a_device_needs_and_no_more,
    an_upload_applies_arrivals_doses_reports_and_walk_ins,
    replays_answer_the_same_bytes_and_records_apply_once,
    a_malformed_upload_writes_nothing,
    conflicts_are_noted_or_sent_to_review,
    the_review_queue_belongs_to_the_facility_admin,
    the_tally_counts_what_the_server_holds,
    the_paper_list_is_a_logged_pdf,
);
