//! Certificates: a recorded dose becomes one signed certificate through the durable job; the
//! holder downloads it as a PDF with OTP only; anyone verifies it (keys, revocation list,
//! online check); corrections and merges re-issue; a read-only server still serves them.

use axum::body::Body;
use axum::http::{Method, Request, StatusCode, header};
use serde_json::{Value, json};
use tika_credentials::divoc::Binding;
use tika_credentials::revocation::verify_revocation_list;
use tika_credentials::suite;
use tika_domain::ids::{BeneficiaryId, BeneficiaryRef, CenterId, VaccinationId};
use tika_domain::staff::StaffRole;
use tika_domain::vaccine::{DoseNumber, VaccineCode};
use tika_server::keys::sha256_hex;
use tika_server::services::certificates::process_pending;
use tika_storage::{Backend, CertificateRecord, Vaccination};
use tika_test_support::on_both_backends;

use crate::harness::{BKC, TestApp, aadhaar, mobile, otp_in, send_to};

const PUBLIC_DOWNLOAD: &str = "/api/v2/registration/certificate/public/download";
const DOWNLOAD: &str = "/api/v2/registration/certificate/download";

async fn id_of(app: &TestApp, reference: &str) -> BeneficiaryId {
    app.store.find_beneficiary_by_ref(&BeneficiaryRef::parse(reference).unwrap()).await.unwrap().id
}

/// Records a dose the CoWIN way (no site app) and returns its id.
async fn give_dose(app: &TestApp, who: BeneficiaryId, dose: u8, days_ago: i64) -> VaccinationId {
    let id = VaccinationId::new();
    app.store
        .record_vaccination(&Vaccination {
            id,
            beneficiary_id: who,
            dose: DoseNumber::new(i64::from(dose)).unwrap(),
            vaccine: VaccineCode::parse("COVISHIELD").unwrap(),
            date: app.day(-days_ago),
            center_id: Some(CenterId(BKC)),
        })
        .await
        .unwrap();
    id
}

/// Runs the certificate job until nothing is due.
async fn run_job(app: &TestApp) -> usize {
    let mut total = 0;
    loop {
        let n = process_pending(&app.state, 100).await.unwrap();
        total += n;
        if n == 0 {
            return total;
        }
    }
}

async fn certs(app: &TestApp, who: BeneficiaryId) -> Vec<CertificateRecord> {
    app.store.list_certificates(who).await.unwrap()
}

fn live(certs: &[CertificateRecord]) -> Vec<&CertificateRecord> {
    certs.iter().filter(|c| c.revoked_at_ms.is_none()).collect()
}

fn trust(app: &TestApp) -> &suite::TrustStore {
    app.state.certificates.as_deref().unwrap().trust()
}

fn verified(app: &TestApp, json: &str) -> suite::Verified {
    suite::verify(json.as_bytes(), trust(app)).unwrap()
}

async fn a_dose_becomes_one_signed_certificate_downloadable_by_its_holder(backend: Backend) {
    let app = TestApp::new(backend).await;
    let (token, reference) = app.citizen(1).await;
    let who = id_of(&app, &reference).await;

    // No dose yet: no certificate.
    app.get(format!("{PUBLIC_DOWNLOAD}?beneficiary_reference_id={reference}"))
        .bearer(&token)
        .send()
        .await
        .assert_error(StatusCode::BAD_REQUEST, "CERT0001");

    let dose = give_dose(&app, who, 1, 0).await;
    assert_eq!(run_job(&app).await, 1, "one dose.recorded event");
    // The job is idempotent: running it again issues nothing more.
    assert_eq!(run_job(&app).await, 0);
    let issued = certs(&app, who).await;
    assert_eq!(issued.len(), 1);
    let cert = &issued[0];
    assert_eq!(cert.vaccination_id, dose);
    assert_eq!(cert.dose, 1);
    assert_eq!(cert.certificate_id.len(), 11);

    // Stored signed and complete; verifies with the published key, binding intact.
    let v = verified(&app, &cert.credential);
    assert_eq!(v.certificate_id.as_deref(), Some(cert.certificate_id.as_str()));
    assert_eq!(v.binding, Binding::Intact);
    assert_eq!(v.key_id, "test-key");
    let doc: Value = serde_json::from_str(&cert.credential).unwrap();
    assert_eq!(doc["credentialSubject"]["refId"], reference.as_str());
    assert!(doc["credentialSubject"]["name"].as_str().unwrap().starts_with("Asha Rao"));
    assert_eq!(
        doc["credentialSubject"]["id"],
        format!("did:aadhaarcard:XXXXXXXX{}", &aadhaar(1)[8..])
    );
    assert_eq!(doc["evidence"][0]["vaccine"], "COVISHIELD");
    assert_eq!(doc["evidence"][0]["dose"], 1);
    assert_eq!(doc["evidence"][0]["totalDoses"], 2);
    assert_eq!(doc["evidence"][0]["facility"]["name"], "BKC Jumbo Facility");
    assert_eq!(doc["evidence"][0]["facility"]["address"]["district"], "Mumbai Suburban");
    assert_eq!(doc["@context"][1], "https://cowin.gov.in/credentials/vaccination/v1");

    // The holder downloads it: exactly `application/pdf`, through both CoWIN paths.
    for (path, tok) in [(PUBLIC_DOWNLOAD, token.clone()), (DOWNLOAD, token.clone())] {
        let res = app
            .get(format!("{path}?beneficiary_reference_id={reference}"))
            .bearer(&tok)
            .send()
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text());
        assert_eq!(res.header(header::CONTENT_TYPE), Some("application/pdf"));
        assert!(res.body.starts_with(b"%PDF"));
        assert!(
            res.header(header::CONTENT_DISPOSITION)
                .unwrap()
                .contains(&format!("certificate-{}.pdf", cert.certificate_id))
        );
    }
    // The public OTP flow's token works for the public path (CoWIN's P11).
    let public = app.login_public(&mobile(1)).await;
    let res = app
        .get(format!("{PUBLIC_DOWNLOAD}?beneficiary_reference_id={reference}"))
        .bearer(&public)
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    // … but not for the protected twin.
    app.get(format!("{DOWNLOAD}?beneficiary_reference_id={reference}"))
        .bearer(&public)
        .send()
        .await
        .assert_unauthenticated();
    // Never by reference id alone, never someone else's.
    app.get(format!("{PUBLIC_DOWNLOAD}?beneficiary_reference_id={reference}"))
        .send()
        .await
        .assert_unauthenticated();
    let (other, _) = app.citizen(2).await;
    app.get(format!("{PUBLIC_DOWNLOAD}?beneficiary_reference_id={reference}"))
        .bearer(&other)
        .send()
        .await
        .assert_error(StatusCode::BAD_REQUEST, "BENREG0020");
    // A dose that has no certificate.
    app.get(format!("{PUBLIC_DOWNLOAD}?beneficiary_reference_id={reference}&dose=2"))
        .bearer(&token)
        .send()
        .await
        .assert_error(StatusCode::BAD_REQUEST, "CERT0001");
    app.get(format!("{PUBLIC_DOWNLOAD}?beneficiary_reference_id={reference}&dose=x"))
        .bearer(&token)
        .send()
        .await
        .assert_error(StatusCode::BAD_REQUEST, "CERT0003");

    // Second dose: a second certificate; "latest" is the final one; dose=1 still there.
    give_dose(&app, who, 2, 0).await;
    run_job(&app).await;
    let all = certs(&app, who).await;
    assert_eq!(live(&all).len(), 2);
    let second = all.iter().find(|c| c.dose == 2).unwrap();
    let res = app
        .get(format!("{PUBLIC_DOWNLOAD}?beneficiary_reference_id={reference}"))
        .bearer(&token)
        .send()
        .await;
    assert!(res.header(header::CONTENT_DISPOSITION).unwrap().contains(&second.certificate_id));
    let res = app
        .get(format!("{PUBLIC_DOWNLOAD}?beneficiary_reference_id={reference}&dose=1"))
        .bearer(&token)
        .send()
        .await;
    assert!(res.header(header::CONTENT_DISPOSITION).unwrap().contains(&cert.certificate_id));
}

async fn anyone_verifies_keys_revocations_and_online_checks(backend: Backend) {
    let app = TestApp::new(backend).await;
    let (_, reference) = app.citizen(1).await;
    let who = id_of(&app, &reference).await;
    give_dose(&app, who, 1, 0).await;
    run_job(&app).await;
    let cert = certs(&app, who).await.remove(0);

    // The public keys.
    let res = app.get("/.well-known/tika/keys.json").send().await;
    assert_eq!(res.status, StatusCode::OK);
    let keys = res.json();
    assert_eq!(keys["keys"][0]["id"], "did:india#test-key");
    assert_eq!(keys["keys"][0]["status"], "active");

    // The revocation list: signed, version 0, empty.
    let res = app.get("/.well-known/tika/revocations.jws").send().await;
    assert_eq!(res.status, StatusCode::OK);
    let list = verify_revocation_list(&res.text(), trust(&app)).unwrap();
    assert_eq!(list.version, 0);
    assert!(list.revoked.is_empty());

    // Online verification of the QR payload (the ZIP), and of the bare JSON.
    let zip = tika_credentials::qr::zip_credential(&cert.credential).unwrap();
    let res = app.post("/api/certificates/v1/verify").body(&zip).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    assert_eq!(res.json()["status"], "valid");
    assert_eq!(res.json()["certificateId"], cert.certificate_id.as_str());
    let res = app.post("/api/certificates/v1/verify").body(cert.credential.as_bytes()).send().await;
    assert_eq!(res.json()["status"], "valid");
    // A forged name fails the signature; swapped dose/totalDoses fail the binding.
    let mut doc: Value = serde_json::from_str(&cert.credential).unwrap();
    doc["credentialSubject"]["name"] = json!("Someone Else");
    let res = app.post("/api/certificates/v1/verify").body(doc.to_string().as_bytes()).send().await;
    assert_eq!(res.json()["status"], "invalid");
    let mut doc: Value = serde_json::from_str(&cert.credential).unwrap();
    doc["evidence"][0]["dose"] = json!(2);
    doc["evidence"][0]["totalDoses"] = json!(1);
    let res = app.post("/api/certificates/v1/verify").body(doc.to_string().as_bytes()).send().await;
    assert_eq!(res.json()["status"], "invalid");
    assert!(res.json()["reason"].as_str().unwrap().contains("swapped"), "{}", res.text());
    app.post("/api/certificates/v1/verify")
        .body(b"")
        .send()
        .await
        .assert_error(StatusCode::BAD_REQUEST, "CERT0004");

    // Not revoked: 404 from the online check.
    let res = app
        .post("/api/certificates/v1/revoked")
        .json(&json!({"certificateId": cert.certificate_id}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    assert_eq!(res.json()["revoked"], false);
    app.post("/api/certificates/v1/revoked")
        .json(&json!({"certificateId": "123"}))
        .send()
        .await
        .assert_error(StatusCode::BAD_REQUEST, "CERT0006");

    // Revoke: the list moves to version 1 and names it; checks say revoked.
    app.store
        .revoke_certificate(
            &cert.certificate_id,
            "issued in error",
            "test",
            app.now().timestamp_millis(),
        )
        .await
        .unwrap();
    let res = app.get("/.well-known/tika/revocations.jws").send().await;
    let list = verify_revocation_list(&res.text(), trust(&app)).unwrap();
    assert_eq!(list.version, 1);
    assert_eq!(list.revoked[0].certificate_id, cert.certificate_id);
    assert_eq!(list.revoked[0].reason, "issued in error");
    let res =
        app.post("/api/certificates/v1/revoked").body(cert.credential.as_bytes()).send().await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.json()["revoked"], true);
    let res = app.post("/api/certificates/v1/verify").body(&zip).send().await;
    assert_eq!(res.json()["status"], "revoked");

    // The verification page carries the keys and the current list.
    let res = app.get("/verify/").send().await;
    assert_eq!(res.status, StatusCode::OK);
    let page = res.text();
    assert!(page.contains("did:india#test-key"));
    assert!(!page.contains("__TIKA_TRUST__") && !page.contains("__TIKA_REVOCATIONS__"));
    let jws_in_page = page
        .split("id=\"tika-revocations\">")
        .nth(1)
        .and_then(|rest| rest.split("</script>").next())
        .unwrap();
    let jws: String = serde_json::from_str(jws_in_page).unwrap();
    assert_eq!(verify_revocation_list(&jws, trust(&app)).unwrap().version, 1);
}

async fn revoking_a_voided_dose_leaves_it_no_live_certificate(backend: Backend) {
    let app = TestApp::new(backend).await;
    let (_, reference) = app.citizen(1).await;
    let who = id_of(&app, &reference).await;
    let dose = give_dose(&app, who, 1, 0).await;
    run_job(&app).await;
    let ids = app
        .store
        .revoke_for_vaccination(dose, "dose voided", "test", app.now().timestamp_millis())
        .await
        .unwrap();
    assert_eq!(ids.len(), 1);
    assert!(live(&certs(&app, who).await).is_empty());
}

async fn a_correction_reissues_with_a_new_id_and_revokes_the_old(backend: Backend) {
    let app = TestApp::new(backend).await;
    let (token, reference) = app.citizen(1).await;
    let who = id_of(&app, &reference).await;
    give_dose(&app, who, 1, 30).await;
    run_job(&app).await;
    let old = certs(&app, who).await.remove(0);

    let ask = |field: &str, value: &str| {
        app.post("/api/certificates/v1/corrections").bearer(&token).json(&json!({
            "beneficiary_reference_id": reference,
            "field": field,
            "value": value,
            "reason": "Spelling differs from my passport",
        }))
    };
    // Validation at the boundary.
    ask("colour", "blue").send().await.assert_error(StatusCode::BAD_REQUEST, "CERT0011");
    ask("birth_year", "1700").send().await.assert_error(StatusCode::BAD_REQUEST, "BENREG0011");
    let same = app.beneficiaries(&token).await[0]["name"].as_str().unwrap().to_owned();
    ask("name", &same).send().await.assert_error(StatusCode::BAD_REQUEST, "CERT0014");
    let res = ask("name", "Asha Raoo Kulkarni").send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    let request_id = res.json()["id"].as_str().unwrap().to_owned();
    assert_eq!(res.json()["status"], "pending");
    // Once per field.
    ask("name", "Asha Kulkarni").send().await.assert_error(StatusCode::CONFLICT, "CERT0022");
    let res = app
        .get(format!("/api/certificates/v1/corrections?beneficiary_reference_id={reference}"))
        .bearer(&token)
        .send()
        .await;
    assert_eq!(res.json()["corrections"].as_array().unwrap().len(), 1);

    // A vaccinator may not decide; a facility admin may.
    let (vaccinator, _) = crate::site::staff(&app, BKC, StaffRole::Vaccinator).await;
    let (admin, admin_id) = crate::site::staff(&app, BKC, StaffRole::FacilityAdmin).await;
    let decide = format!("/api/site/v1/corrections/{request_id}/decide");
    app.post(&decide)
        .bearer(&vaccinator)
        .json(&json!({"approve": true}))
        .send()
        .await
        .assert_error(StatusCode::FORBIDDEN, "SITE0003");
    let res = app.get("/api/site/v1/corrections?status=pending").bearer(&admin).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    assert_eq!(res.json()["corrections"][0]["beneficiary_reference_id"], reference.as_str());
    let res = app
        .post(&decide)
        .bearer(&admin)
        .json(&json!({"approve": true, "note": "passport seen"}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    assert_eq!(res.json()["status"], "approved");
    app.post(&decide)
        .bearer(&admin)
        .json(&json!({"approve": false}))
        .send()
        .await
        .assert_error(StatusCode::CONFLICT, "CERT0023");

    // The job re-issues: a new ID with the new name; the old one revoked and replaced.
    run_job(&app).await;
    let all = certs(&app, who).await;
    assert_eq!(all.len(), 2);
    let new = live(&all)[0].clone();
    assert_ne!(new.certificate_id, old.certificate_id);
    let doc: Value = serde_json::from_str(&new.credential).unwrap();
    assert_eq!(doc["credentialSubject"]["name"], "Asha Raoo Kulkarni");
    assert_eq!(verified(&app, &new.credential).binding, Binding::Intact);
    let old_now = all.iter().find(|c| c.certificate_id == old.certificate_id).unwrap();
    assert!(old_now.revoked_at_ms.is_some());
    assert_eq!(old_now.replaced_by.as_deref(), Some(new.certificate_id.as_str()));
    // Every step is audited.
    let audit = app.store.list_audit(&who.to_string(), 50).await.unwrap();
    let actions: Vec<&str> = audit.iter().map(|a| a.action.as_str()).collect();
    assert!(actions.iter().any(|a| a.contains("correction")), "{actions:?}");
    assert!(audit.iter().any(|a| a.actor == format!("staff:{admin_id}")), "{audit:?}");
}

async fn merging_two_first_doses_gives_doses_one_and_two(backend: Backend) {
    let app = TestApp::new(backend).await;
    // One person registered twice (two mobiles, two ID documents), a first dose under each.
    let (token_a, keep) = app.citizen(1).await;
    let (_, drop) = app.citizen(2).await;
    let (keep_id, drop_id) = (id_of(&app, &keep).await, id_of(&app, &drop).await);
    give_dose(&app, keep_id, 1, 100).await;
    give_dose(&app, drop_id, 1, 10).await;
    run_job(&app).await;
    let before: Vec<String> = [certs(&app, keep_id).await, certs(&app, drop_id).await]
        .concat()
        .into_iter()
        .map(|c| c.certificate_id)
        .collect();
    assert_eq!(before.len(), 2);

    let (admin, _) = crate::site::staff(&app, BKC, StaffRole::FacilityAdmin).await;
    let res = app
        .post("/api/site/v1/beneficiaries/merge")
        .bearer(&admin)
        .json(&json!({"keep": keep, "drop": drop}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    assert_eq!(res.json()["moved_doses"], 1);
    assert_eq!(res.json()["revoked"].as_array().unwrap().len(), 2);
    app.post("/api/site/v1/beneficiaries/merge")
        .bearer(&admin)
        .json(&json!({"keep": keep, "drop": keep}))
        .send()
        .await
        .assert_error(StatusCode::CONFLICT, "CERT0024");

    run_job(&app).await;
    let kept = certs(&app, keep_id).await;
    let mut doses: Vec<u8> = live(&kept).iter().map(|c| c.dose).collect();
    doses.sort_unstable();
    assert_eq!(doses, vec![1, 2], "the later dose became dose 2");
    for c in live(&kept) {
        assert!(!before.contains(&c.certificate_id), "re-issued with new ids");
        let doc: Value = serde_json::from_str(&c.credential).unwrap();
        assert_eq!(doc["credentialSubject"]["refId"], keep.as_str());
        assert_eq!(doc["evidence"][0]["dose"], json!(c.dose));
    }
    // The holder of the kept record downloads the final certificate.
    let res = app
        .get(format!("{PUBLIC_DOWNLOAD}?beneficiary_reference_id={keep}"))
        .bearer(&token_a)
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
}

async fn travel_details_add_the_international_certificate(backend: Backend) {
    let app = TestApp::new(backend).await;
    let (token, reference) = app.citizen(1).await;
    let who = id_of(&app, &reference).await;
    give_dose(&app, who, 1, 0).await;
    run_job(&app).await;
    let travel = |dob: &str, passport: &str| {
        app.post("/api/certificates/v1/travel").bearer(&token).json(&json!({
            "beneficiary_reference_id": reference, "dob": dob, "passport": passport,
        }))
    };
    travel("1985-13-01", "Z1234567").send().await.assert_error(StatusCode::BAD_REQUEST, "CERT0007");
    // The registered year of birth is 1985.
    travel("1990-02-03", "Z1234567").send().await.assert_error(StatusCode::BAD_REQUEST, "CERT0007");
    travel("1985-02-03", "Z12").send().await.assert_error(StatusCode::BAD_REQUEST, "CERT0008");
    let res = travel("1985-02-03", "z1234567").send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    assert_eq!(res.json()["international_certificates_issued"], 1);

    let all = certs(&app, who).await;
    let intl = all.iter().find(|c| c.kind == tika_storage::CertificateKind::International).unwrap();
    let doc: Value = serde_json::from_str(&intl.credential).unwrap();
    assert_eq!(doc["@context"][1], "https://cowin.gov.in/credentials/vaccination/v2");
    assert_eq!(doc["credentialSubject"]["dob"], "1985-02-03");
    assert_eq!(doc["credentialSubject"]["id"], "did:Passport:Z1234567");
    assert_eq!(doc["evidence"][0]["icd11Code"], "XM9QW8");
    assert_eq!(verified(&app, &intl.credential).binding, Binding::Intact);
    let res = app
        .get(format!("{PUBLIC_DOWNLOAD}?beneficiary_reference_id={reference}&type=international"))
        .bearer(&token)
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    assert!(res.header(header::CONTENT_DISPOSITION).unwrap().contains(&intl.certificate_id));
    // A later dose gets both certificates from the job.
    give_dose(&app, who, 2, 0).await;
    run_job(&app).await;
    assert_eq!(live(&certs(&app, who).await).len(), 4);
}

async fn a_read_only_server_serves_download_and_verification_only(backend: Backend) {
    let app = TestApp::new(backend).await;
    let (_, reference) = app.citizen(1).await;
    let who = id_of(&app, &reference).await;
    give_dose(&app, who, 1, 0).await;
    run_job(&app).await;
    let cert = certs(&app, who).await.remove(0);

    let (ro, sms) = app.read_only_twin().await;
    let call = |method: Method, uri: &str, body: Option<Value>| {
        let mut req = Request::builder().method(method).uri(uri);
        if body.is_some() {
            req = req.header(header::CONTENT_TYPE, "application/json");
        }
        req.body(body.map_or_else(Body::empty, |b| Body::from(b.to_string()))).unwrap()
    };
    // The holder logs in with an OTP (kept in memory) and downloads.
    let res = send_to(
        ro.clone(),
        call(Method::POST, "/api/v2/auth/public/generateOTP", Some(json!({"mobile": mobile(1)}))),
        false,
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    let txn = res.json()["txnId"].as_str().unwrap().to_owned();
    let otp = otp_in(&sms.sent().last().unwrap().text);
    let res = send_to(
        ro.clone(),
        call(
            Method::POST,
            "/api/v2/auth/public/confirmOTP",
            Some(json!({"otp": sha256_hex(&otp), "txnId": txn})),
        ),
        false,
    )
    .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    let token = res.json()["token"].as_str().unwrap().to_owned();
    // The same OTP cannot be used twice.
    let res = send_to(
        ro.clone(),
        call(
            Method::POST,
            "/api/v2/auth/public/confirmOTP",
            Some(json!({"otp": sha256_hex(&otp), "txnId": txn})),
        ),
        false,
    )
    .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.text());
    let req = Request::builder()
        .uri(format!("{PUBLIC_DOWNLOAD}?beneficiary_reference_id={reference}"))
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(Body::empty())
        .unwrap();
    let res = send_to(ro.clone(), req, false).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    assert_eq!(res.header(header::CONTENT_TYPE), Some("application/pdf"));
    // Verification, keys, the revocation list and the page.
    let req = Request::builder()
        .method(Method::POST)
        .uri("/api/certificates/v1/verify")
        .body(Body::from(cert.credential.clone()))
        .unwrap();
    let res = send_to(ro.clone(), req, false).await;
    assert_eq!(res.json()["status"], "valid", "{}", res.text());
    for path in ["/.well-known/tika/keys.json", "/.well-known/tika/revocations.jws", "/verify/"] {
        let res = send_to(ro.clone(), call(Method::GET, path, None), false).await;
        assert_eq!(res.status, StatusCode::OK, "{path}");
    }
    // Everything else is refused with a clear 503, and nothing is written.
    let res = send_to(
        ro.clone(),
        call(
            Method::GET,
            "/api/v2/appointment/sessions/public/findByPin?pincode=400051&date=01-06-2026",
            None,
        ),
        false,
    )
    .await;
    assert_eq!(res.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(res.json()["errorCode"], "USRRES0503");
    assert!(res.json()["error"].as_str().unwrap().contains("read-only"));
    let res = send_to(ro.clone(), call(Method::GET, "/account", None), false).await;
    assert_eq!(res.status, StatusCode::SERVICE_UNAVAILABLE);
    // A mobile with no account cannot log in on a read-only server (nothing can be created).
    let res = send_to(
        ro.clone(),
        call(Method::POST, "/api/v2/auth/public/generateOTP", Some(json!({"mobile": mobile(9)}))),
        false,
    )
    .await;
    let txn = res.json()["txnId"].as_str().unwrap().to_owned();
    let otp = otp_in(&sms.sent().last().unwrap().text);
    let res = send_to(
        ro,
        call(
            Method::POST,
            "/api/v2/auth/public/confirmOTP",
            Some(json!({"otp": sha256_hex(&otp), "txnId": txn})),
        ),
        false,
    )
    .await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);
    assert_eq!(res.json()["errorCode"], "CERT0002");
    assert!(
        app.store
            .find_account_by_mobile(&tika_domain::mobile::Mobile::parse(&mobile(9)).unwrap())
            .await
            .is_err()
    );
}

on_both_backends!(
    a_dose_becomes_one_signed_certificate_downloadable_by_its_holder,
    anyone_verifies_keys_revocations_and_online_checks,
    revoking_a_voided_dose_leaves_it_no_live_certificate,
    a_correction_reissues_with_a_new_id_and_revokes_the_old,
    merging_two_first_doses_gives_doses_one_and_two,
    travel_details_add_the_international_certificate,
    a_read_only_server_serves_download_and_verification_only,
);
