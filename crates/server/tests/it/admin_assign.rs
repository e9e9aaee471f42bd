//! Assignment runs through the console API (`/api/admin/v1/assignments`): a run sends listed
//! people to the nearest facility with a free seat in priority order without going past
//! capacity, books them (appointments the citizens see), explains everyone left out, does not
//! book anyone twice when run again, stays inside the official's district, and is refused to a
//! facility-level official.

use axum::http::{Method, StatusCode};
use chrono::Duration;
use serde_json::{Value, json};
use tika_domain::admin::Area;
use tika_domain::ids::{
    AccountId, BeneficiaryId, BeneficiaryRef, CenterId, DistrictId, SessionId, StateId,
};
use tika_domain::mobile::Mobile;
use tika_domain::session::{AgeLimits, Slot};
use tika_domain::vaccine::VaccineCode;
use tika_storage::{Backend, ListedPersonRecord, NewBeneficiaryRecord, NewSession, Occupation};
use tika_test_support::on_both_backends;

use crate::harness::{
    BKC, BKC_PIN, KURLA, MAHARASHTRA, MUMBAI_SUBURBAN, PUNE, Resp, TestApp, mobile,
};

/// Creates an official and logs in: their console token.
async fn official(app: &TestApp, username: &str, area: Area) -> String {
    crate::admin::official(app, username, area).await.0
}

use crate::admin::call;

#[track_caller]
fn ok(res: &Resp, status: StatusCode) -> Value {
    assert_eq!(res.status, status, "{}", res.text());
    res.json()
}

fn mumbai() -> Area {
    Area::District { state: StateId(MAHARASHTRA), district: DistrictId(MUMBAI_SUBURBAN) }
}

/// A COVISHIELD session tomorrow with `seats` first-dose seats.
fn session(center: i64, app: &TestApp, seats: u32) -> NewSession {
    NewSession {
        id: SessionId::new(),
        center_id: CenterId(center),
        date: app.today + Duration::days(1),
        vaccine: VaccineCode::parse("COVISHIELD").unwrap(),
        ages: AgeLimits { min: 18, max: None },
        fee: "0".into(),
        capacity_dose1: seats,
        capacity_dose2: 0,
        slots: Slot::split(9 * 60, 17 * 60, 2),
        updated_at_ms: app.now().timestamp_millis(),
    }
}

/// Lists a person (born 1980) posted at BKC's pincode; returns (beneficiary, reference id).
async fn list(
    app: &TestApp,
    n: u32,
    occupation: Occupation,
    district: i64,
) -> (BeneficiaryId, String) {
    list_born(app, n, occupation, district, 1980).await
}

/// Lists a person born in `birth_year` posted at BKC's pincode.
async fn list_born(
    app: &TestApp,
    n: u32,
    occupation: Occupation,
    district: i64,
    birth_year: i32,
) -> (BeneficiaryId, String) {
    let beneficiary = NewBeneficiaryRecord {
        id: BeneficiaryId::new(),
        reference_id: BeneficiaryRef::from_random(u64::from(n) * 7_919 + 13),
        account_id: AccountId::new(),
        name: "Listed Person".into(),
        birth_year,
        gender_id: 1,
        photo_id_type: 1,
        photo_id_hash: format!("assign-test-{n}"),
        photo_id_last4: format!("{:04}", n),
        comorbidity: false,
        created_at_ms: app.now().timestamp_millis(),
    };
    let out = (beneficiary.id, beneficiary.reference_id.as_str().to_owned());
    let rec = ListedPersonRecord {
        list_key: format!("1:assign-test-{n}"),
        mobile: Mobile::parse(&mobile(700 + n)).unwrap(),
        beneficiary,
        occupation,
        employer: String::new(),
        employee_id: String::new(),
        posting_center: None,
        posting_pincode: Some(BKC_PIN),
        home_pincode: None,
        state: StateId(MAHARASHTRA),
        district: DistrictId(district),
    };
    let o = app
        .store
        .upsert_listed_people(None, vec![rec], app.now().timestamp_millis())
        .await
        .unwrap();
    assert_eq!(o.inserted, 1, "{o:?}");
    out
}

/// Starts a run for tomorrow's COVISHIELD sessions and waits for it to end.
async fn run_and_wait(app: &TestApp, token: &str) -> Value {
    let tomorrow = (app.today + Duration::days(1)).to_string();
    let body =
        json!({ "basis": "posting", "date_from": tomorrow, "vaccine": "COVISHIELD", "max_km": 30 });
    let started =
        ok(&call(app, Method::POST, token, "/assignments", Some(body)).await, StatusCode::ACCEPTED);
    let id = started["run_id"].as_str().unwrap().to_owned();
    for _ in 0..200 {
        let r = ok(
            &call(app, Method::GET, token, &format!("/assignments/{id}"), None).await,
            StatusCode::OK,
        );
        if r["status"] != "running" {
            return r;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the run did not finish");
}

async fn a_run_books_the_nearest_seats_by_priority_and_explains_the_rest(backend: Backend) {
    let app = TestApp::new(backend).await;
    // BKC has one seat, Kurla (a little farther from BKC's pincode) two.
    let bkc = session(BKC, &app, 1);
    let kurla = session(KURLA, &app, 2);
    let (bkc_id, kurla_id) = (bkc.id, kurla.id);
    app.store.insert_sessions(&[bkc, kurla]).await.unwrap();
    let other = list(&app, 1, Occupation::Other, MUMBAI_SUBURBAN).await;
    let frontline = list(&app, 2, Occupation::FrontlineWorker, MUMBAI_SUBURBAN).await;
    let health = list(&app, 3, Occupation::HealthWorker, MUMBAI_SUBURBAN).await;
    let late = list(&app, 4, Occupation::Other, MUMBAI_SUBURBAN).await;
    let pune_person = list(&app, 5, Occupation::HealthWorker, PUNE).await;
    let token = official(&app, "mumbai.assign", mumbai()).await;

    let run = run_and_wait(&app, &token).await;
    assert_eq!(run["status"], "done", "{run}");
    assert_eq!(
        (run["people"].as_u64(), run["assigned"].as_u64(), run["unassigned"].as_u64()),
        (Some(4), Some(3), Some(1))
    );
    let id = run["run_id"].as_str().unwrap().to_owned();
    let rows = ok(
        &call(&app, Method::GET, &token, &format!("/assignments/{id}/rows"), None).await,
        StatusCode::OK,
    );
    let rows = rows["rows"].as_array().unwrap().clone();
    assert_eq!(rows.len(), 4);
    let row = |r: &str| rows.iter().find(|x| x["reference_id"] == r).unwrap().clone();
    // The health worker goes first and gets the nearest seat (BKC); then the frontline worker,
    // then the others by age and id, at Kurla; the last one finds everything full.
    assert_eq!(row(&health.1)["center_id"], BKC);
    assert_eq!(row(&health.1)["seq"], 0);
    assert_eq!(row(&frontline.1)["center_id"], KURLA);
    assert_eq!(row(&frontline.1)["reason_params"]["nearer"], 1);
    let others = [row(&other.1), row(&late.1)];
    assert_eq!(others.iter().filter(|r| r["reason"] == "assigned").count(), 1);
    let left = others.iter().find(|r| r["reason"] != "assigned").unwrap();
    assert_eq!(left["reason"], "all_full");
    assert!(left["appointment_id"].is_null());
    // Capacity respected and the bookings are real.
    assert_eq!(app.store.find_session(bkc_id).await.unwrap().booked_dose1, 1);
    assert_eq!(app.store.find_session(kurla_id).await.unwrap().booked_dose1, 2);
    let appts = app
        .store
        .list_appointments(&[health.0, frontline.0, other.0, late.0, pune_person.0])
        .await
        .unwrap();
    assert_eq!(appts.len(), 3);
    assert!(appts.iter().all(|a| a.beneficiary_id != pune_person.0));
    assert_eq!(
        row(&health.1)["appointment_id"].as_str().unwrap(),
        appts.iter().find(|a| a.beneficiary_id == health.0).unwrap().booking_id.to_string()
    );
    // One person's lookup, the CSV and the reason filter.
    let mine = ok(
        &call(&app, Method::GET, &token, &format!("/assigned-people/{}", health.1), None).await,
        StatusCode::OK,
    );
    assert_eq!(mine["assignments"][0]["center_name"], "BKC Jumbo Facility");
    let csv = call(&app, Method::GET, &token, &format!("/assignments/{id}/export.csv"), None).await;
    assert_eq!(csv.status, StatusCode::OK);
    assert_eq!(csv.text().lines().count(), 5);
    let full = ok(
        &call(&app, Method::GET, &token, &format!("/assignments/{id}/rows?reason=all_full"), None)
            .await,
        StatusCode::OK,
    );
    assert_eq!(full["rows"].as_array().unwrap().len(), 1);

    // Run again: nobody is booked twice, the one left out is still left out.
    let again = run_and_wait(&app, &token).await;
    assert_eq!(
        (
            again["assigned"].as_u64(),
            again["already_booked"].as_u64(),
            again["unassigned"].as_u64()
        ),
        (Some(0), Some(3), Some(1))
    );
    assert_eq!(
        app.store.list_appointments(&[health.0, frontline.0, other.0, late.0]).await.unwrap().len(),
        3
    );
    let runs = ok(&call(&app, Method::GET, &token, "/assignments", None).await, StatusCode::OK);
    assert_eq!(runs["runs"].as_array().unwrap().len(), 2);

    // Another district's official sees none of it; a facility official may not run at all.
    let pune = official(
        &app,
        "pune.assign",
        Area::District { state: StateId(MAHARASHTRA), district: DistrictId(PUNE) },
    )
    .await;
    assert_eq!(
        call(&app, Method::GET, &pune, &format!("/assignments/{id}"), None).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        call(&app, Method::GET, &pune, &format!("/assignments/{id}/rows"), None).await.status,
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        call(&app, Method::GET, &pune, &format!("/assigned-people/{}", health.1), None)
            .await
            .status,
        StatusCode::NOT_FOUND
    );
    assert!(
        ok(&call(&app, Method::GET, &pune, "/assignments", None).await, StatusCode::OK)["runs"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let facility = Area::Facility {
        state: StateId(MAHARASHTRA),
        district: DistrictId(MUMBAI_SUBURBAN),
        block: "Ward H East".into(),
        center: CenterId(BKC),
    };
    let fac = official(&app, "bkc.assign", facility).await;
    let res = call(
        &app,
        Method::POST,
        &fac,
        "/assignments",
        Some(
            json!({ "basis": "posting", "date_from": (app.today + Duration::days(1)).to_string() }),
        ),
    )
    .await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.text());
}

async fn a_bad_run_form_is_refused_with_every_field(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = official(&app, "mumbai.assign", mumbai()).await;
    let res = call(&app, Method::POST, &token, "/assignments", Some(json!({ "basis": "office", "date_from": "2020-01-01", "vaccine": "NOPE", "max_km": "0" }))).await;
    let body = ok(&res, StatusCode::BAD_REQUEST);
    assert_eq!(body["errorCode"], "ADM0001");
    let fields: Vec<&str> =
        body["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!(fields, vec!["basis", "date_from", "vaccine", "max_km"]);
    assert!(
        ok(&call(&app, Method::GET, &token, "/assignments", None).await, StatusCode::OK)["runs"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        call(&app, Method::GET, &token, "/assignments/not-a-run", None).await.status,
        StatusCode::BAD_REQUEST
    );
}

/// A national official's policy version from tomorrow puts people aged 60+ before health
/// workers and opens "18+" only later: a run follows that order and says who is not eligible.
async fn a_run_follows_the_campaign_policy_in_force(backend: Backend) {
    let app = TestApp::new(backend).await;
    app.store.insert_sessions(&[session(BKC, &app, 1)]).await.unwrap();
    let health = list_born(&app, 1, Occupation::HealthWorker, MUMBAI_SUBURBAN, 1990).await;
    let elder = list_born(&app, 2, Occupation::Other, MUMBAI_SUBURBAN, 1950).await;
    let young = list_born(&app, 3, Occupation::Other, MUMBAI_SUBURBAN, 1995).await;
    let national = official(&app, "policy.national", Area::National).await;
    let day = |n: i64| (app.today + Duration::days(n)).to_string();
    let version = json!({
        "version": "IN-ELDERS-FIRST",
        "effective_from": day(1),
        "min_age_years": 18,
        "groups": [
            {"code": "60+", "name": "Aged 60 and above", "name_hi": "60 वर्ष और उससे अधिक",
             "rank": 1, "opens": day(1), "min_age": 60},
            {"code": "HCW", "name": "Health care workers", "name_hi": "स्वास्थ्य कर्मी",
             "rank": 2, "opens": day(1), "occupations": ["health_worker"]},
            {"code": "18+", "name": "Aged 18 and above", "name_hi": "18 वर्ष और उससे अधिक",
             "rank": 3, "opens": day(5), "min_age": 18},
        ],
        "note": "elders first",
    });
    ok(&call(&app, Method::POST, &national, "/policies", Some(version)).await, StatusCode::CREATED);

    let token = official(&app, "mumbai.assign", mumbai()).await;
    let run = run_and_wait(&app, &token).await;
    assert_eq!(run["status"], "done", "{run}");
    let id = run["run_id"].as_str().unwrap().to_owned();
    let rows = ok(
        &call(&app, Method::GET, &token, &format!("/assignments/{id}/rows"), None).await,
        StatusCode::OK,
    );
    let order: Vec<(String, String)> = rows["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["reference_id"].as_str().unwrap().to_owned(),
                r["reason"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    // The default order would seat the health worker; the policy in force seats the elder.
    assert_eq!(
        order,
        vec![
            (elder.1.clone(), "assigned".to_owned()),
            (health.1.clone(), "all_full".to_owned()),
            (young.1.clone(), "not_eligible".to_owned()),
        ]
    );
    let appts = app.store.list_appointments(&[health.0, elder.0, young.0]).await.unwrap();
    assert_eq!(appts.len(), 1);
    assert_eq!(appts[0].beneficiary_id, elder.0);
}

on_both_backends!(
    a_run_books_the_nearest_seats_by_priority_and_explains_the_rest,
    a_run_follows_the_campaign_policy_in_force,
    a_bad_run_form_is_refused_with_every_field,
);
