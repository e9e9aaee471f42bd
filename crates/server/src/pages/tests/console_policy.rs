//! The console's policy and survey pages through the whole router: the versions with the one in
//! force marked, a new version from the pre-filled form (a retroactive date first: the error at
//! its field), a version's groups; a district official reads but cannot change; surveys found by
//! reference id inside the area only, recorded by the form and by CSV upload, in Hindi too.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use tika_domain::admin::Area;
use tika_domain::ids::{AppointmentId, BeneficiaryId, BeneficiaryRef};
use tika_domain::mobile::Mobile;
use tika_domain::session::{SecurityCode, Slot};
use tika_domain::vaccine::DoseNumber;
use tika_storage::{BookingMember, NewBeneficiaryRecord, NewBooking};

use super::Browser;

use super::console::{PASSWORD, district_of, official};

async fn log_in(b: &mut Browser, username: &str) {
    let form = b.get("/console/login").await;
    let done = b
        .post(
            "/console/login",
            &[("csrf", &form.csrf()), ("username", username), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
}

async fn log_out(b: &mut Browser) {
    b.cookies.clear();
}

/// A person booked at the browser's Delhi session: their reference id.
async fn booked_person(b: &Browser) -> String {
    let now = b.state.clock.now().timestamp_millis();
    let (account, _) =
        b.state.store.upsert_account(&Mobile::parse("9812345678").unwrap(), now).await.unwrap();
    let person = NewBeneficiaryRecord {
        id: BeneficiaryId::new(),
        reference_id: BeneficiaryRef::from_random(42_4242),
        account_id: account.id,
        name: "Kamla Devi".into(),
        birth_year: 1958,
        gender_id: 2,
        photo_id_type: 1,
        photo_id_hash: "hash-page-survey".into(),
        photo_id_last4: "1234".into(),
        comorbidity: false,
        created_at_ms: now,
    };
    let person = b.state.store.create_beneficiary(&person, 4).await.unwrap();
    b.state
        .store
        .book(&NewBooking {
            booking_id: AppointmentId::new(),
            account_id: account.id,
            session_id: b.session,
            dose: DoseNumber::FIRST,
            slot: Slot::from_label("09:00AM-11:00AM"),
            policy_version: "IN-2022-03-16".into(),
            members: vec![BookingMember {
                beneficiary_id: person.id,
                security_code: SecurityCode::from_random(1234),
            }],
            now_ms: now,
        })
        .await
        .unwrap();
    person.reference_id.to_string()
}

fn version_fields<'a>(csrf: &'a str, date: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("csrf", csrf),
        ("version", "IN-PAGE-1"),
        ("effective_from", date),
        ("min_age_years", "12"),
        ("groups_n", "3"),
        ("intervals_n", "1"),
        ("g0_code", "60+"),
        ("g0_name", "Aged 60 and above"),
        ("g0_name_hi", "60 वर्ष और उससे अधिक"),
        ("g0_rank", "1"),
        ("g0_opens", "2021-03-01"),
        ("g0_min_age", "60"),
        ("g1_code", "12+"),
        ("g1_name", "Aged 12 and above"),
        ("g1_name_hi", "12 वर्ष और उससे अधिक"),
        ("g1_rank", "2"),
        ("g1_opens", "2022-03-16"),
        ("g1_min_age", "12"),
        ("g1_occupations", "health_worker"),
        ("i0_vaccine", "COVISHIELD"),
        ("i0_min", "84"),
        ("i0_max", "120"),
        ("note", "page test"),
    ]
}

#[tokio::test]
async fn national_adds_a_version_and_districts_only_read() {
    let mut b = Browser::new().await;
    b.accept_language = Some("en");
    official(&b, "national", Area::National).await;
    let delhi = district_of(&b, 110_001);
    official(&b, "delhi.admin", delhi).await;

    log_in(&mut b, "national").await;
    let page = b.get("/console/policy").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("id=\"policy-form\""));
    assert!(page.body.contains("data-version=\"IN-2022-03-16\""));
    assert!(page.body.contains("In force today"));
    // Pre-filled from the version in force: its groups, tomorrow's date.
    assert!(page.body.contains("name=\"g0_code\" value=\"HCW\""), "{}", page.body);
    assert!(page.body.contains("value=\"2026-06-02\""));

    // A retroactive date: refused at the field, the values kept.
    let csrf = page.csrf();
    let bad = b.post("/console/policy", &version_fields(&csrf, "2026-06-01")).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);
    assert!(bad.body.contains("id=\"err-effective_from\""), "{}", bad.body);
    assert!(bad.body.contains("never changes retroactively"));
    assert!(bad.body.contains("value=\"IN-PAGE-1\""));

    let done = b.post("/console/policy", &version_fields(&csrf, "2026-06-02")).await;
    assert_eq!(done.status, StatusCode::CREATED, "{}", done.body);
    assert!(done.body.contains("id=\"policy-created\""));
    assert!(done.body.contains("data-version=\"IN-PAGE-1\""));
    let shown = b.get("/console/policy/IN-PAGE-1").await;
    assert_eq!(shown.status, StatusCode::OK);
    assert!(shown.body.contains("data-code=\"60+\""));
    assert!(shown.body.contains("Health care worker"));
    assert!(shown.body.contains("Based on IN-2022-03-16"));
    assert_eq!(b.get("/console/policy/NOPE").await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        b.state.policy_on(chrono::NaiveDate::from_ymd_opt(2026, 6, 2).unwrap()).version,
        "IN-PAGE-1"
    );

    // A district official sees the versions, not the form, and cannot post one.
    log_out(&mut b).await;
    log_in(&mut b, "delhi.admin").await;
    let page = b.get("/console/policy").await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(!page.body.contains("id=\"policy-form\""));
    assert!(page.body.contains("id=\"policy-read-only\""));
    let csrf = page.csrf();
    let refused = b.post("/console/policy", &version_fields(&csrf, "2026-06-03")).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);
}

#[tokio::test]
async fn surveys_find_record_and_upload_inside_the_area() {
    let mut b = Browser::new().await;
    b.accept_language = Some("en");
    let delhi = district_of(&b, 110_001);
    official(&b, "delhi.admin", delhi).await;
    official(&b, "mumbai.admin", district_of(&b, 400_001)).await;
    let reference = booked_person(&b).await;

    log_in(&mut b, "mumbai.admin").await;
    let other = b.get(&format!("/console/surveys?ref={reference}")).await;
    assert_eq!(other.status, StatusCode::NOT_FOUND);
    assert!(other.body.contains("id=\"survey-not-found\""));
    assert!(!other.body.contains("id=\"survey-form\""));
    log_out(&mut b).await;

    log_in(&mut b, "delhi.admin").await;
    let found = b.get(&format!("/console/surveys?ref={reference}")).await;
    assert_eq!(found.status, StatusCode::OK, "{}", found.body);
    assert!(found.body.contains("id=\"survey-form\""));
    assert!(found.body.contains("born 1958"));
    assert!(found.body.contains("60+"), "the person's groups today");
    let csrf = found.csrf();
    let done = b
        .post(
            "/console/surveys",
            &[
                ("csrf", &csrf),
                ("reference_id", &reference),
                ("comorbidity", "diabetes"),
                ("comorbidity", "respiratory"),
                ("notes", "visited at home"),
                ("surveyor", "Sunita"),
            ],
        )
        .await;
    assert_eq!(done.status, StatusCode::CREATED, "{}", done.body);
    assert!(done.body.contains("id=\"survey-done\""));
    assert!(done.body.contains("2 conditions"));
    let stored = b
        .state
        .store
        .find_beneficiary_by_ref(&BeneficiaryRef::parse(&reference).unwrap())
        .await
        .unwrap();
    assert!(stored.comorbidity);

    // A CSV with a bad row: the rows listed, nothing recorded; then a good one.
    let upload = |csv: String, csrf: String| {
        let boundary = "tika-boundary-42";
        let body = format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"surveyor\"\r\n\r\nTeam B\r\n\
             --{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"s.csv\"\r\n\
             Content-Type: text/csv\r\n\r\n{csv}\r\n--{boundary}--\r\n"
        );
        let req = Request::post("/console/surveys/upload")
            .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={boundary}"));
        (req, Body::from(body))
    };
    let (req, body) = upload(
        format!("reference_id,comorbidities,notes\n{reference},cancer,\n12345,flu,\n"),
        csrf.clone(),
    );
    let bad = b.send(req, body).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST, "{}", bad.body);
    assert!(bad.body.contains("id=\"upload-errors\""));
    assert!(bad.body.contains("row 3: reference_id: a reference id is 14 digits"), "{}", bad.body);
    assert!(bad.body.contains("row 3: comorbidities: unknown condition"));
    let (req, body) =
        upload(format!("reference_id,comorbidities,notes\n{reference},,recovered\n"), csrf.clone());
    let good = b.send(req, body).await;
    assert_eq!(good.status, StatusCode::OK, "{}", good.body);
    assert!(good.body.contains("1 surveys recorded (0 with a condition)"), "{}", good.body);
    let stored = b
        .state
        .store
        .find_beneficiary_by_ref(&BeneficiaryRef::parse(&reference).unwrap())
        .await
        .unwrap();
    assert!(!stored.comorbidity);

    // In Hindi.
    b.accept_language = Some("hi");
    b.cookies.remove("lang");
    let hi = b.get("/console/surveys?lang=hi").await;
    assert_eq!(hi.status, StatusCode::OK);
    assert!(hi.body.contains("सहरुग्णता सर्वेक्षण"), "{}", hi.body);
    let hi = b.get("/console/policy").await;
    assert!(hi.body.contains("अभियान नीति"));
}
