//! The console API of the campaign policy and surveys: a national official adds a version
//! effective tomorrow which then governs bookings from its date (groups opening later refuse
//! people outside them); no retroactive versions; only national officials change policy;
//! surveys by form and by CSV, confined to the official's area, audited without health data.

use axum::http::{Method, StatusCode};
use serde_json::{Value, json};
use tika_domain::admin::Area;
use tika_domain::ids::{AppointmentId, BeneficiaryId, BeneficiaryRef, DistrictId, StateId};
use tika_domain::mobile::Mobile;
use tika_storage::{Backend, ChangeFilter, ListedPersonRecord, NewBeneficiaryRecord, Occupation};
use tika_test_support::on_both_backends;

use crate::harness::{MAHARASHTRA, MUMBAI_SUBURBAN, PUNE, RUBY_HALL, Resp, SessionSpec, TestApp};

const API: &str = "/api/admin/v1";

/// Creates an official and logs in: their console token.
async fn official(app: &TestApp, username: &str, area: Area) -> String {
    crate::admin::official(app, username, area).await.0
}

use crate::admin::call;

fn district(d: i64) -> Area {
    Area::District { state: StateId(MAHARASHTRA), district: DistrictId(d) }
}

/// Asserts a 400 `ADM0001` and returns the fields named.
#[track_caller]
fn fields(res: &Resp) -> Vec<String> {
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.text());
    assert_eq!(res.json()["errorCode"], "ADM0001", "{}", res.text());
    res.json()["fields"]
        .as_array()
        .map(|a| a.iter().map(|f| f["field"].as_str().unwrap_or_default().to_owned()).collect())
        .unwrap_or_default()
}

fn new_version(app: &TestApp, label: &str, from_day: i64) -> Value {
    json!({
        "version": label,
        "effective_from": app.day(from_day).to_string(),
        "min_age_years": 18,
        "groups": [
            {"code": "HCW", "name": "Health care workers", "name_hi": "स्वास्थ्य कर्मी",
             "rank": 1, "opens": app.day(1).to_string(), "occupations": ["health_worker"]},
            {"code": "40+", "name": "Aged 40 and above", "name_hi": "40 वर्ष और उससे अधिक",
             "rank": 2, "opens": app.day(1).to_string(), "min_age": 40},
            {"code": "18+", "name": "Aged 18 and above", "name_hi": "18 वर्ष और उससे अधिक",
             "rank": 3, "opens": app.day(5).to_string(), "min_age": 18},
        ],
        "intervals": [{"vaccine": "COVISHIELD", "min_days": 90, "max_days": 120}],
        "note": "the next phase",
    })
}

/// A person listed as a health worker (born 2007) on the account of `mobile`: the reference id.
async fn listed_health_worker(app: &TestApp, mobile: &str) -> String {
    let mobile = Mobile::parse(mobile).unwrap();
    let (account, _) =
        app.store.upsert_account(&mobile, app.now().timestamp_millis()).await.unwrap();
    let reference = BeneficiaryRef::from_random(77_001);
    let person = NewBeneficiaryRecord {
        id: BeneficiaryId::new(),
        reference_id: reference.clone(),
        account_id: account.id,
        name: "Nisha Nurse".into(),
        birth_year: 2007,
        gender_id: 2,
        photo_id_type: 1,
        photo_id_hash: "hash-listed-nurse".into(),
        photo_id_last4: "4321".into(),
        comorbidity: false,
        created_at_ms: app.now().timestamp_millis(),
    };
    let row = ListedPersonRecord {
        list_key: "1:hash-listed-nurse".into(),
        mobile,
        beneficiary: person,
        occupation: Occupation::HealthWorker,
        employer: "KEM Hospital".into(),
        employee_id: "N-1".into(),
        posting_center: None,
        posting_pincode: None,
        home_pincode: None,
        state: StateId(MAHARASHTRA),
        district: DistrictId(MUMBAI_SUBURBAN),
    };
    let done = app
        .store
        .upsert_listed_people(None, vec![row], app.now().timestamp_millis())
        .await
        .unwrap();
    assert_eq!(done.inserted, 1, "{done:?}");
    reference.to_string()
}

async fn a_new_version_governs_bookings_from_its_date(backend: Backend) {
    let app = TestApp::new(backend).await;
    let national = official(&app, "national.one", Area::National).await;
    let state_official =
        official(&app, "mh.state", Area::State { state: StateId(MAHARASHTRA) }).await;

    let res = call(&app, Method::GET, &national, "/policies", None).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    assert_eq!(res.json()["in_force"], "IN-2022-03-16");
    assert_eq!(res.json()["versions"][0]["groups"][0]["code"], "HCW");

    // Only a national official may change policy.
    let body = new_version(&app, "IN-NEXT", 1);
    call(&app, Method::POST, &state_official, "/policies", Some(body.clone()))
        .await
        .assert_error(StatusCode::FORBIDDEN, "ADM0004");
    // Never retroactively: today is refused, with the field named (and the rest checked too).
    let mut today = body.clone();
    today["effective_from"] = json!(app.day(0).to_string());
    today["groups"][2]["rank"] = json!(1);
    let res = call(&app, Method::POST, &national, "/policies", Some(today)).await;
    assert_eq!(fields(&res), ["effective_from", "groups"], "{}", res.text());

    let res = call(&app, Method::POST, &national, "/policies", Some(body.clone())).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text());
    assert_eq!(res.json()["source"], "console");
    assert_eq!(res.json()["upcoming"], true);
    assert_eq!(res.json()["based_on"], "IN-2022-03-16");
    // The label and the date are taken now.
    let mut again = body.clone();
    again["effective_from"] = json!(app.day(3).to_string());
    let res = call(&app, Method::POST, &national, "/policies", Some(again)).await;
    assert_eq!(fields(&res), ["version"], "{}", res.text());
    let res = call(&app, Method::GET, &state_official, "/policies/IN-NEXT", None).await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.json()["intervals"][0]["min_days"], 90);
    call(&app, Method::GET, &national, "/policies/NOPE", None)
        .await
        .assert_error(StatusCode::NOT_FOUND, "USRRES0404");
    let audit = app
        .store
        .list_changes(&ChangeFilter {
            area: Area::National,
            subject: Some("policy:IN-NEXT".into()),
            actor: None,
            action_prefix: None,
            before_ms: None,
            limit: 10,
        })
        .await
        .unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].action, "policy.create");

    // Bookings: a 41-year-old and a 19-year-old.
    let token = app.login(&crate::harness::mobile(9101)).await;
    let older = app.person(&token, 9101).await; // born 1985
    let young = app.register(&token, "Ravi Kumar", "2007", &crate::harness::aadhaar(9102)).await;
    let today_session = app.add_session(&SessionSpec::at(0, 10, 10)).await;
    let tomorrow = app.add_session(&SessionSpec::at(1, 10, 10)).await;
    let later = app.add_session(&SessionSpec::at(5, 10, 10)).await;

    // Under the version in force on the session's date: tomorrow only 40+ is open.
    let res = app.schedule(&token, tomorrow, 1, &[&young]).await;
    res.assert_error(StatusCode::CONFLICT, "APPOIN0050");
    assert!(res.json()["error"].as_str().unwrap().contains("Aged 40 and above"), "{}", res.text());
    assert!(res.json()["error"].as_str().unwrap().contains("Health care workers"));
    // A listed health worker of the same age is in an open group.
    let nurse = listed_health_worker(&app, &crate::harness::mobile(9101)).await;
    app.book(&token, tomorrow, 1, &[&nurse]).await;
    let booked = app.book(&token, tomorrow, 1, &[&older]).await;
    let rows = app.store.find_booking(booked.parse::<AppointmentId>().unwrap()).await.unwrap();
    assert_eq!(rows[0].policy_version, "IN-NEXT");
    // From the 18+ opening, the young person may book; today the old version still applies.
    app.book(&token, later, 1, &[&young]).await;
    app.schedule(&token, today_session, 1, &[&young])
        .await
        .assert_error(StatusCode::CONFLICT, "APPOIN0042");
    assert_eq!(app.booked(today_session).await, (0, 0));
    let other = app.register(&token, "Meena Kumari", "2006", &crate::harness::aadhaar(9103)).await;
    let booked = app.book(&token, today_session, 1, &[&other]).await;
    let rows = app.store.find_booking(booked.parse::<AppointmentId>().unwrap()).await.unwrap();
    assert_eq!(rows[0].policy_version, "IN-2022-03-16");
}

async fn surveys_are_recorded_by_form_and_csv_inside_the_area(backend: Backend) {
    let app = TestApp::new(backend).await;
    let mumbai = official(&app, "mumbai.admin", district(MUMBAI_SUBURBAN)).await;
    let pune = official(&app, "pune.admin", district(PUNE)).await;

    // One person booked in Mumbai (BKC), one in Pune (Ruby Hall).
    let token = app.login(&crate::harness::mobile(9201)).await;
    let in_mumbai = app.person(&token, 9201).await;
    let in_pune = app.person(&token, 9202).await;
    let bkc = app.add_session(&SessionSpec::at(1, 10, 10)).await;
    let ruby =
        app.add_session(&SessionSpec { center: RUBY_HALL, ..SessionSpec::at(1, 10, 10) }).await;
    app.book(&token, bkc, 1, &[&in_mumbai]).await;
    app.book(&token, ruby, 1, &[&in_pune]).await;

    let res = call(&app, Method::GET, &mumbai, &format!("/surveys/person/{in_mumbai}"), None).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    assert_eq!(res.json()["birth_year"], 1985);
    call(&app, Method::GET, &mumbai, &format!("/surveys/person/{in_pune}"), None)
        .await
        .assert_error(StatusCode::NOT_FOUND, "USRRES0404");

    // By form.
    let form = json!({ "reference_id": in_mumbai, "comorbidities": ["diabetes", "cancer"],
                       "notes": "door to door", "surveyor": "Sunita Patil" });
    let res = call(&app, Method::POST, &mumbai, "/surveys", Some(form)).await;
    assert_eq!(res.status, StatusCode::CREATED, "{}", res.text());
    assert_eq!(res.json()["comorbidities"], json!(["cancer", "diabetes"]));
    assert_eq!(res.json()["district_id"], MUMBAI_SUBURBAN);
    let stored = app
        .store
        .find_beneficiary_by_ref(&tika_domain::ids::BeneficiaryRef::parse(&in_mumbai).unwrap())
        .await
        .unwrap();
    assert!(stored.comorbidity);
    // Outside the area: not found; an unknown condition: the field.
    let res = call(
        &app,
        Method::POST,
        &mumbai,
        "/surveys",
        Some(json!({ "reference_id": in_pune, "comorbidities": ["diabetes"] })),
    )
    .await;
    res.assert_error(StatusCode::NOT_FOUND, "USRRES0404");
    let res = call(
        &app,
        Method::POST,
        &mumbai,
        "/surveys",
        Some(json!({ "reference_id": in_mumbai, "comorbidities": ["flu"] })),
    )
    .await;
    assert_eq!(fields(&res), ["comorbidities"]);

    // By CSV: one row outside the area and one unknown condition: nothing recorded.
    let csv = format!(
        "reference_id,comorbidities,notes\n{in_mumbai},,recovered\n{in_pune},diabetes,\n{in_mumbai}x,flu,\n"
    );
    let res = app
        .call(Method::POST, format!("{API}/surveys/upload?surveyor=Team%20A"))
        .bearer(&mumbai)
        .header("content-type", "text/csv")
        .body(csv.as_bytes())
        .send()
        .await;
    assert!(fields(&res).iter().all(|f| f == "file"));
    let text = res.text();
    assert!(text.contains("row 3: reference_id: no person"), "{text}");
    assert!(text.contains("row 4: reference_id: a reference id is 14 digits"), "{text}");
    assert!(text.contains("row 4: comorbidities: unknown condition"), "{text}");
    assert!(text.contains("nothing was recorded"), "{text}");
    let listed = call(&app, Method::GET, &mumbai, "/surveys", None).await;
    assert_eq!(listed.json()["surveys"].as_array().unwrap().len(), 1);

    // The good rows alone are recorded; the latest survey sets the flag.
    let csv = format!("reference_id,comorbidities,notes\n{in_mumbai},,recovered\n");
    let res = app
        .call(Method::POST, format!("{API}/surveys/upload"))
        .bearer(&mumbai)
        .body(csv.as_bytes())
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    assert_eq!(res.json()["recorded"], 1);
    let stored = app
        .store
        .find_beneficiary_by_ref(&tika_domain::ids::BeneficiaryRef::parse(&in_mumbai).unwrap())
        .await
        .unwrap();
    assert!(!stored.comorbidity);
    let listed = call(&app, Method::GET, &mumbai, "/surveys", None).await;
    let surveys = listed.json()["surveys"].as_array().unwrap().clone();
    assert_eq!(surveys.len(), 2);
    assert_eq!(surveys[0]["source"], "csv");
    assert_eq!(surveys[0]["surveyor"], "Official mumbai.admin");
    let res = call(&app, Method::GET, &pune, "/surveys", None).await;
    assert_eq!(res.json()["surveys"].as_array().unwrap().len(), 0);

    // A district's survey file is larger than the API's usual 1 MiB: 45,000 rows (2.6 MB) are
    // read and checked (here: the same person again from row 3 on), 9 MiB are refused.
    let mut big = String::from("reference_id,comorbidities,notes\n");
    for _ in 0..45_000 {
        big.push_str(&format!("{in_mumbai},diabetes,checked at the door by team A\n"));
    }
    assert!(big.len() > 2 * 1024 * 1024);
    let res = app
        .call(Method::POST, format!("{API}/surveys/upload"))
        .bearer(&mumbai)
        .body(big.as_bytes())
        .send()
        .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    let f = fields(&res);
    assert!(!f.is_empty() && f.iter().all(|f| f == "file"));
    let text = res.text();
    assert!(text.contains("row 3: reference_id: the same person as row 2"));
    assert!(text.contains("44999 problems: nothing was recorded"));
    let huge = vec![b'x'; 9 * 1024 * 1024];
    let res = app
        .call(Method::POST, format!("{API}/surveys/upload"))
        .bearer(&mumbai)
        .body(&huge)
        .send()
        .await;
    assert_eq!(res.status, StatusCode::PAYLOAD_TOO_LARGE);
    let listed = call(&app, Method::GET, &mumbai, "/surveys", None).await;
    assert_eq!(listed.json()["surveys"].as_array().unwrap().len(), 2);

    // The audit log has ids and counts, never the conditions.
    let audit = app
        .store
        .list_changes(&ChangeFilter {
            area: Area::National,
            subject: None,
            actor: None,
            action_prefix: Some("survey.".into()),
            before_ms: None,
            limit: 10,
        })
        .await
        .unwrap();
    assert_eq!(audit.len(), 2);
    for c in &audit {
        let after = c.after.clone().unwrap_or_default();
        assert!(!after.contains("diabetes") && !after.contains("cancer"), "{after}");
    }
    assert!(
        audit.iter().any(|c| c.after.as_deref().unwrap_or_default().contains("\"conditions\":2"))
    );
}

on_both_backends!(
    a_new_version_governs_bookings_from_its_date,
    surveys_are_recorded_by_form_and_csv_inside_the_area,
);
