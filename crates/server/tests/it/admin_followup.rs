//! The console's follow-up API: the issue queue (corrections and sync conflicts) by area,
//! approving and rejecting corrections with the citizen told in their language, accepting and
//! discarding sync conflicts, a facility's day lists (JSON, CSV, PDF), and the lucky draw from
//! its commitment to its recomputable result, on both backends.

use std::sync::Arc;

use axum::http::{Method, StatusCode, header};
use serde_json::{Value, json};
use tika_domain::admin::Area;
use tika_domain::ids::{
    BeneficiaryId, BeneficiaryRef, CenterId, DeviceId, DistrictId, RecordId, StaffId, StateId,
    UploadKey, VaccinationId,
};
use tika_domain::message::MessageKind;
use tika_domain::mobile::Mobile;
use tika_domain::staff::StaffRole;
use tika_domain::sync::{DoseRecord, RecordBody, SiteRecord};
use tika_domain::vaccine::{DoseNumber, VaccineCode};
use tika_storage::{Backend, NewCorrection, SyncUpload, Vaccination};
use tika_test_support::on_both_backends;

use crate::harness::{BKC, MAHARASHTRA, MUMBAI_SUBURBAN, PUNE, Resp, TestApp, mobile};
use crate::site::staff;

const API: &str = "/api/admin/v1";

fn district(id: i64) -> Area {
    Area::District { state: StateId(MAHARASHTRA), district: DistrictId(id) }
}

/// Creates an official and logs in: their console token.
async fn official(app: &TestApp, username: &str, area: Area) -> String {
    crate::admin::official(app, username, area).await.0
}

async fn get(app: &TestApp, token: &str, path: &str) -> Resp {
    app.call(Method::GET, format!("{API}{path}")).bearer(token).send().await
}

async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> Resp {
    app.call(Method::POST, format!("{API}{path}")).bearer(token).json(&body).send().await
}

#[track_caller]
fn ok(res: &Resp, status: StatusCode) -> Value {
    assert_eq!(res.status, status, "{}", res.text());
    res.json()
}

#[track_caller]
fn assert_not_found(res: &Resp) {
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.text());
    assert_eq!(res.json(), json!({ "errorCode": "USRRES0404", "error": "Not found" }));
}

fn covishield() -> VaccineCode {
    VaccineCode::parse("COVISHIELD").unwrap()
}

async fn person_id(app: &TestApp, reference: &str) -> BeneficiaryId {
    app.store.find_beneficiary_by_ref(&BeneficiaryRef::parse(reference).unwrap()).await.unwrap().id
}

/// Records dose 1 of a person at BKC today (the certificate-era path).
async fn dose_at_bkc(app: &TestApp, who: BeneficiaryId) {
    app.store
        .record_vaccination(&Vaccination {
            id: VaccinationId::new(),
            beneficiary_id: who,
            dose: DoseNumber::new(1).unwrap(),
            vaccine: covishield(),
            date: app.day(0),
            center_id: Some(CenterId(BKC)),
        })
        .await
        .unwrap();
}

/// A citizen (nth mobile) vaccinated at BKC who asks to correct their birth year: (reference,
/// request id).
async fn correction_at_bkc(app: &TestApp, n: u32) -> (String, String) {
    let (_, reference) = app.citizen(n).await;
    let who = person_id(app, &reference).await;
    dose_at_bkc(app, who).await;
    let req = app
        .store
        .request_correction(&NewCorrection {
            id: uuid::Uuid::now_v7(),
            beneficiary_id: who,
            change: tika_storage::CorrectionChange::BirthYear(1986),
            reason: "typed wrong at registration".into(),
            requested_by: "citizen:test".into(),
            requested_at_ms: app.now().timestamp_millis(),
        })
        .await
        .unwrap();
    (reference, req.id.to_string())
}

/// Uploads one dose record from a BKC device, as the site app would: the review item's id.
async fn conflict_at_bkc(
    app: &TestApp,
    vaccinator: StaffId,
    who: BeneficiaryId,
    batch: &str,
) -> String {
    let record = SiteRecord {
        client_id: RecordId::new(),
        session_id: app.s.today,
        at_ms: app.now().timestamp_millis(),
        staff_id: vaccinator,
        body: RecordBody::Dose(DoseRecord {
            beneficiary_id: who,
            walk_in: None,
            appointment_id: None,
            vaccine: covishield(),
            batch: batch.into(),
            dose: DoseNumber::new(1).unwrap(),
            vaccinator_id: vaccinator,
        }),
    };
    let id = record.client_id.to_string();
    let upload = SyncUpload {
        key: UploadKey::new(),
        staff_id: vaccinator,
        center_id: CenterId(BKC),
        device_id: DeviceId::new(),
        body_hash: format!("{}", uuid::Uuid::new_v4()),
        records: vec![record],
        now_ms: app.now().timestamp_millis(),
    };
    app.store.apply_upload(&upload, Arc::clone(&app.state.pack)).await.unwrap();
    id
}

async fn issues_are_seen_and_decided_only_in_their_area(backend: Backend) {
    let app = TestApp::new(backend).await;
    let mumbai = official(&app, "mumbai.issues", district(MUMBAI_SUBURBAN)).await;
    let pune = official(&app, "pune.issues", district(PUNE)).await;
    let national = official(&app, "national.issues", Area::National).await;
    let (_, request) = correction_at_bkc(&app, 110).await;

    let list = ok(&get(&app, &mumbai, "/issues").await, StatusCode::OK);
    let issues = list["issues"].as_array().unwrap();
    assert_eq!(issues.len(), 1, "{list}");
    assert_eq!(issues[0]["kind"], "correction");
    assert_eq!(issues[0]["id"], request);
    assert_eq!(issues[0]["what"], "birth_year");
    assert_eq!(issues[0]["center_id"], BKC);
    assert_eq!(
        ok(&get(&app, &national, "/issues").await, StatusCode::OK)["issues"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // Another district sees nothing, and cannot open or decide it.
    assert!(
        ok(&get(&app, &pune, "/issues").await, StatusCode::OK)["issues"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_not_found(&get(&app, &pune, &format!("/issues/correction/{request}")).await);
    let note = json!({ "note": "checked the Aadhaar copy" });
    assert_not_found(
        &post(&app, &pune, &format!("/issues/correction/{request}/approve"), note.clone()).await,
    );

    // The item shows what deciding needs, no more.
    let item =
        ok(&get(&app, &mumbai, &format!("/issues/correction/{request}")).await, StatusCode::OK);
    assert_eq!(item["status"], "pending");
    assert_eq!(item["old_value"], "1985");
    assert_eq!(item["new_value"], "1986");
    assert_eq!(item["person"]["birth_year"], 1985);
    assert_eq!(item["person"]["id_type"], "Aadhaar Card");
    assert_eq!(item["person"]["id_last4"].as_str().unwrap().len(), 4);
    assert!(!item.to_string().contains("photo_id_hash"));

    // A note is required; bad filters are refused.
    let res =
        post(&app, &mumbai, &format!("/issues/correction/{request}/approve"), json!({})).await;
    res.assert_error_fields(&["note"]);
    get(&app, &mumbai, "/issues?status=maybe")
        .await
        .assert_error(StatusCode::BAD_REQUEST, "ADM0050");

    let approved = ok(
        &post(&app, &mumbai, &format!("/issues/correction/{request}/approve"), note.clone()).await,
        StatusCode::OK,
    );
    assert_eq!(approved["status"], "approved");
    assert_eq!(approved["person"]["birth_year"], 1986);
    assert_eq!(approved["decision_note"], "checked the Aadhaar copy");
    post(&app, &mumbai, &format!("/issues/correction/{request}/reject"), note.clone())
        .await
        .assert_error(StatusCode::CONFLICT, "ADM0052");
    // Open by default: the decided one left the queue; `closed` shows it.
    assert!(
        ok(&get(&app, &mumbai, "/issues").await, StatusCode::OK)["issues"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let closed = ok(&get(&app, &mumbai, "/issues?status=closed").await, StatusCode::OK);
    assert_eq!(closed["issues"][0]["status"], "approved");

    // The citizen is told; the decision is in the area's audit log.
    app.deliver_messages().await;
    let sent: Vec<_> =
        app.sms.sent().into_iter().filter(|s| s.to.as_str() == mobile(110)).collect();
    assert!(sent.iter().any(|s| s.kind == MessageKind::CorrectionApproved), "{sent:?}");
    let audit = ok(&get(&app, &mumbai, "/audit?action=issue.").await, StatusCode::OK);
    assert_eq!(audit["entries"][0]["action"], "issue.approve", "{audit}");
}

async fn a_rejection_is_sent_in_the_citizens_language(backend: Backend) {
    let app = TestApp::new(backend).await;
    let mumbai = official(&app, "mumbai.issues", district(MUMBAI_SUBURBAN)).await;
    let (reference, request) = correction_at_bkc(&app, 120).await;
    let account =
        app.store.find_account_by_mobile(&Mobile::parse(&mobile(120)).unwrap()).await.unwrap();
    app.store.set_account_language(account.id, "hi").await.unwrap();

    let rejected = ok(
        &post(
            &app,
            &mumbai,
            &format!("/issues/correction/{request}/reject"),
            json!({ "note": "the document shows 1985" }),
        )
        .await,
        StatusCode::OK,
    );
    assert_eq!(rejected["status"], "rejected");
    let who = person_id(&app, &reference).await;
    assert_eq!(app.store.find_beneficiaries(&[who]).await.unwrap()[0].birth_year, 1985);

    app.deliver_messages().await;
    let messages = app.store.messages_to(&Mobile::parse(&mobile(120)).unwrap(), 50).await.unwrap();
    let told: Vec<_> =
        messages.iter().filter(|m| m.kind == MessageKind::CorrectionRejected).collect();
    assert_eq!(told.len(), 1);
    assert_eq!(told[0].language, "hi");
    assert!(told[0].body.contains("सुधार अनुरोध स्वीकार नहीं हुआ"), "{}", told[0].body);
    assert_eq!(told[0].template_id, "1107161234500000113");
}

async fn sync_conflicts_are_accepted_or_discarded(backend: Backend) {
    let app = TestApp::new(backend).await;
    let mumbai = official(&app, "mumbai.issues", district(MUMBAI_SUBURBAN)).await;
    let pune = official(&app, "pune.issues", district(PUNE)).await;
    let (_, vaccinator) = staff(&app, BKC, StaffRole::Vaccinator).await;
    let (token, reference) = app.citizen(130).await;
    app.book(&token, app.s.today, 1, &[&reference]).await;
    let who = person_id(&app, &reference).await;
    // A batch never issued to BKC: review; a person the server never had: review.
    let known = conflict_at_bkc(&app, vaccinator, who, "NOT-ISSUED").await;
    let unknown = conflict_at_bkc(&app, vaccinator, BeneficiaryId::new(), "NOT-ISSUED").await;

    let list = ok(&get(&app, &mumbai, "/issues?kind=review").await, StatusCode::OK);
    assert_eq!(list["issues"].as_array().unwrap().len(), 2, "{list}");
    assert!(
        ok(&get(&app, &pune, "/issues?kind=review").await, StatusCode::OK)["issues"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    assert_not_found(&get(&app, &pune, &format!("/issues/review/{known}")).await);

    let item = ok(&get(&app, &mumbai, &format!("/issues/review/{known}")).await, StatusCode::OK);
    assert_eq!(item["status"], "open");
    assert_eq!(item["person"]["reference_id"], reference);
    assert_eq!(item["batch"], "NOT-ISSUED");

    let accepted = ok(
        &post(
            &app,
            &mumbai,
            &format!("/issues/review/{known}/accept"),
            json!({ "note": "batch was moved from Kurla" }),
        )
        .await,
        StatusCode::OK,
    );
    assert_eq!(accepted["status"], "accepted");
    assert_eq!(app.store.list_vaccinations(&[who]).await.unwrap().len(), 1, "the dose is recorded");
    let discarded = ok(
        &post(
            &app,
            &mumbai,
            &format!("/issues/review/{unknown}/discard"),
            json!({ "note": "test record" }),
        )
        .await,
        StatusCode::OK,
    );
    assert_eq!(discarded["status"], "discarded");
    post(&app, &mumbai, &format!("/issues/review/{unknown}/accept"), json!({ "note": "again" }))
        .await
        .assert_error(StatusCode::CONFLICT, "ADM0052");
    // Each decision is audited with its outcome (written in the decision's transaction); the
    // refused second decision left no entry.
    let audit = ok(&get(&app, &mumbai, "/audit?action=issue.").await, StatusCode::OK);
    let entries = audit["entries"].as_array().unwrap();
    let actions: Vec<&str> = entries.iter().map(|e| e["action"].as_str().unwrap()).collect();
    assert_eq!(actions, ["issue.discard", "issue.accept"], "{audit}");
    assert_eq!(entries[0]["after"]["status"], "discarded", "{audit}");
    assert_eq!(entries[1]["after"]["status"], "accepted", "{audit}");
    // Wrong action for the kind.
    assert_not_found(
        &post(&app, &mumbai, &format!("/issues/review/{known}/approve"), json!({ "note": "xyz" }))
            .await,
    );
}

async fn a_facility_day_list_is_json_csv_and_pdf(backend: Backend) {
    let app = TestApp::new(backend).await;
    let mumbai = official(&app, "mumbai.lists", district(MUMBAI_SUBURBAN)).await;
    let pune = official(&app, "pune.lists", district(PUNE)).await;
    let (token, reference) = app.citizen(140).await;
    let second = app.register(&token, "आशा देवी", "1990", &crate::harness::aadhaar(141)).await;
    app.book(&token, app.s.today, 1, &[&reference, &second]).await;
    let day = app.day(0);

    let json =
        ok(&get(&app, &mumbai, &format!("/facilities/{BKC}/lists/{day}")).await, StatusCode::OK);
    let people = json["sessions"][0]["people"].as_array().unwrap();
    assert_eq!(people.len(), 2, "{json}");
    assert!(people.iter().all(|p| p["status"] == "booked"));
    assert!(people.iter().any(|p| p["name"] == "आशा देवी" && p["birth_year"] == 1990));

    let csv = get(&app, &mumbai, &format!("/facilities/{BKC}/lists/{day}.csv")).await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.text());
    assert!(csv.header(header::CONTENT_TYPE).unwrap().starts_with("text/csv"));
    let text = csv.text();
    let mut lines = text.lines();
    assert_eq!(lines.next().unwrap(), tika_server::services::admin::followup::CSV_HEADER);
    let rows: Vec<&str> = lines.collect();
    assert_eq!(rows.len(), 2);
    assert!(rows.iter().any(|r| r.contains(&reference) && r.contains(",booked,")), "{text}");
    assert!(rows.iter().any(|r| r.contains("आशा देवी")), "{text}");

    let pdf = get(&app, &mumbai, &format!("/facilities/{BKC}/lists/{day}.pdf")).await;
    assert_eq!(pdf.status, StatusCode::OK);
    assert_eq!(pdf.header(header::CONTENT_TYPE), Some("application/pdf"));
    assert!(pdf.body.starts_with(b"%PDF"));
    if let Some(text) = pdftotext(&pdf.body) {
        assert!(text.contains(&reference), "{text}");
        assert!(text.contains("Session list"), "{text}");
        assert!(text.contains("आशा"), "{text}");
    }

    // Outside the area: not found; a bad date: 400; every download is audited.
    assert_not_found(&get(&app, &pune, &format!("/facilities/{BKC}/lists/{day}.csv")).await);
    get(&app, &mumbai, &format!("/facilities/{BKC}/lists/tomorrow.csv"))
        .await
        .assert_error(StatusCode::BAD_REQUEST, "ADM0055");
    let audit = ok(&get(&app, &mumbai, "/audit?action=list.downloaded").await, StatusCode::OK);
    let entries = audit["entries"].as_array().unwrap();
    assert_eq!(entries.len(), 3, "{audit}");
    assert!(!audit.to_string().contains(&reference), "no personal data in the audit log");
}

/// The text of a PDF, when poppler's `pdftotext` is installed (it is on CI).
fn pdftotext(pdf: &[u8]) -> Option<String> {
    let path = std::env::temp_dir().join(format!("tika-list-{}.pdf", uuid::Uuid::new_v4()));
    std::fs::write(&path, pdf).ok()?;
    let out = std::process::Command::new("pdftotext").arg(&path).arg("-").output();
    let _ = std::fs::remove_file(&path);
    let out = out.ok()?;
    out.status.success().then(|| String::from_utf8_lossy(&out.stdout).into_owned())
}

async fn a_draw_commits_then_draws_once_and_anyone_can_recompute_it(backend: Backend) {
    let app = TestApp::new(backend).await;
    let mumbai = official(&app, "mumbai.draws", district(MUMBAI_SUBURBAN)).await;
    let pune = official(&app, "pune.draws", district(PUNE)).await;
    let mut refs = Vec::new();
    for n in 150..156 {
        let (_, reference) = app.citizen(n).await;
        dose_at_bkc(&app, person_id(&app, &reference).await).await;
        refs.push(reference);
    }
    let day = app.day(0).to_string();

    // A district official draws in their own district only.
    let body = json!({ "from": day, "to": day, "winners": 3 });
    let created = ok(&post(&app, &mumbai, "/draws", body.clone()).await, StatusCode::CREATED);
    assert_eq!(created["district_id"], MUMBAI_SUBURBAN);
    assert_eq!(created["entries_count"], 6);
    assert_eq!(created["status"], "committed");
    assert_eq!(created["seed"], Value::Null);
    let id = created["id"].as_str().unwrap().to_owned();
    let outside = json!({ "district_id": MUMBAI_SUBURBAN, "from": day, "to": day, "winners": 3 });
    let res = post(&app, &pune, "/draws", outside).await;
    res.assert_error_fields(&["district"]);
    let res =
        post(&app, &mumbai, "/draws", json!({ "from": day, "to": "2020-01-01", "winners": 0 }))
            .await;
    res.assert_error_fields(&["to", "winners"]);
    assert_not_found(&get(&app, &pune, &format!("/draws/{id}")).await);

    // Published at once, to anyone.
    let public = app.get(format!("/api/public/v1/draws/{id}")).send().await;
    assert_eq!(public.status, StatusCode::OK, "{}", public.text());
    assert_eq!(public.json()["entries_sha256"], created["entries_sha256"]);
    let entries = app.get(format!("/api/public/v1/draws/{id}/entries.txt")).send().await;
    assert_eq!(entries.status, StatusCode::OK);
    let text = entries.text();
    let mut sorted = refs.clone();
    sorted.sort();
    assert_eq!(text, sorted.iter().map(|r| format!("{r}\n")).collect::<String>());
    assert_eq!(tika_domain::draw::sha256_hex(text.as_bytes()), created["entries_sha256"]);
    assert_not_found(
        &app.get(format!("/api/public/v1/draws/{}", uuid::Uuid::new_v4())).send().await,
    );

    // The seed, once.
    let seed = "drand round 4242: 7e3a9c";
    let drawn = ok(
        &post(
            &app,
            &mumbai,
            &format!("/draws/{id}/seed"),
            json!({ "seed": seed, "seed_source": "https://api.drand.sh/public/4242" }),
        )
        .await,
        StatusCode::OK,
    );
    assert_eq!(drawn["status"], "drawn");
    let winners: Vec<String> = drawn["winners"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_str().unwrap().to_owned())
        .collect();
    let (hash, expected) = tika_domain::draw::recompute(&text, seed, 3).unwrap();
    assert_eq!(hash, created["entries_sha256"]);
    assert_eq!(winners, expected);
    assert!(drawn["verify"].as_str().unwrap().contains(&hash));
    post(
        &app,
        &mumbai,
        &format!("/draws/{id}/seed"),
        json!({ "seed": "another", "seed_source": "elsewhere" }),
    )
    .await
    .assert_error(StatusCode::CONFLICT, "ADM0054");
    let public = app.get(format!("/api/public/v1/draws/{id}")).send().await.json();
    assert_eq!(public["winners"], json!(winners));
    assert_eq!(public["seed"], seed);
    let listed = ok(&get(&app, &mumbai, "/draws").await, StatusCode::OK);
    assert_eq!(listed["draws"].as_array().unwrap().len(), 1);
    assert!(
        ok(&get(&app, &pune, "/draws").await, StatusCode::OK)["draws"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let audit = ok(&get(&app, &mumbai, "/audit?action=draw.").await, StatusCode::OK);
    assert_eq!(audit["entries"].as_array().unwrap().len(), 2, "{audit}");
}

trait FieldErrors {
    fn assert_error_fields(&self, fields: &[&str]);
}

impl FieldErrors for Resp {
    /// A 400 `ADM0001` naming at least these fields.
    #[track_caller]
    fn assert_error_fields(&self, fields: &[&str]) {
        assert_eq!(self.status, StatusCode::BAD_REQUEST, "{}", self.text());
        let v = self.json();
        assert_eq!(v["errorCode"], "ADM0001", "{v}");
        let named: Vec<&str> =
            v["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
        for f in fields {
            assert!(named.contains(f), "field {f} not reported: {v}");
        }
    }
}

on_both_backends!(
    issues_are_seen_and_decided_only_in_their_area,
    a_rejection_is_sent_in_the_citizens_language,
    sync_conflicts_are_accepted_or_discarded,
    a_facility_day_list_is_json_csv_and_pdf,
    a_draw_commits_then_draws_once_and_anyone_can_recompute_it,
);
