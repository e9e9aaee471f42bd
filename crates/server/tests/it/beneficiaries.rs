//! Beneficiaries: registration (lenient input, Aadhaar checks, limits), listing, deletion.

use axum::http::StatusCode;
use serde_json::json;
use tika_domain::ids::BeneficiaryRef;
use tika_storage::{Backend, StorageError};
use tika_test_support::on_both_backends;

use crate::harness::{TestApp, aadhaar, mobile};

const NEW: &str = "/api/v2/registration/beneficiary/new";
const DELETE: &str = "/api/v2/registration/beneficiary/delete";

async fn lenient_registration_stores_only_a_hash_of_the_id(backend: Backend) {
    let app = TestApp::new(backend).await;
    let m = mobile(1);
    let token = app.login(&m).await;
    let number = aadhaar(1);
    let res = app
        .post(NEW)
        .bearer(&token)
        .json(&json!({
            "name": "Asha Rao",
            "birth_year": "1985",
            "gender_id": 1.0,
            "photo_id_type": "1",
            "photo_id_number": number,
            "comorbidity_ind": null,
            "consent_version": "1",
            "mobile_number": "ignored",
            "some_future_field": {"x": 1},
        }))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    let v = res.json();
    assert_eq!(v.as_object().unwrap().len(), 1, "{v}");
    let reference = v["beneficiary_reference_id"].as_str().unwrap();
    assert_eq!(reference.len(), 14);
    assert!(reference.bytes().all(|b| b.is_ascii_digit()));

    let stored = app
        .store
        .find_beneficiary_by_ref(&BeneficiaryRef::parse(reference).unwrap())
        .await
        .unwrap();
    assert_eq!(stored.name, "Asha Rao");
    assert_eq!((stored.birth_year, stored.gender_id, stored.photo_id_type), (1985, 1, 1));
    assert!(!stored.comorbidity);
    assert_eq!(stored.photo_id_last4, number[8..]);
    assert_ne!(stored.photo_id_hash, number);
    assert!(!stored.photo_id_hash.contains(&number));
    let account = app.store.find_account(stored.account_id).await.unwrap();
    assert_eq!(account.mobile.as_str(), m);

    // Integers as JSON numbers, comorbidity "Y", spaces in the Aadhaar number.
    let spaced = aadhaar(2);
    let spaced = format!("{} {} {}", &spaced[..4], &spaced[4..8], &spaced[8..]);
    let res = app
        .post(NEW)
        .bearer(&token)
        .json(&json!({"name": "Ravi Rao", "birth_year": 1950, "gender_id": 1, "photo_id_type": 1,
            "photo_id_number": spaced, "comorbidity_ind": "Y"}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    let r2 = res.json()["beneficiary_reference_id"].as_str().unwrap().to_owned();
    let stored =
        app.store.find_beneficiary_by_ref(&BeneficiaryRef::parse(&r2).unwrap()).await.unwrap();
    assert!(stored.comorbidity);
    assert_eq!(stored.birth_year, 1950);
}

async fn aadhaar_numbers_must_pass_verhoeff(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = app.login(&mobile(2)).await;
    let good = aadhaar(7);
    let last = good.as_bytes()[11] - b'0';
    let bad = format!("{}{}", &good[..11], (last + 1) % 10);
    for number in [bad.as_str(), "12345678901", "1234567890123", "ABCDEFGHIJKL"] {
        let res = app
            .post(NEW)
            .bearer(&token)
            .json(&json!({"name": "Asha Rao", "birth_year": "1985", "gender_id": 2,
                "photo_id_type": 1, "photo_id_number": number}))
            .send()
            .await;
        res.assert_error(StatusCode::BAD_REQUEST, "BENREG0014");
    }
    assert!(app.beneficiaries(&token).await.is_empty());

    // Other fields are checked too.
    let base = json!({"name": "Asha Rao", "birth_year": "1985", "gender_id": 2,
        "photo_id_type": 1, "photo_id_number": good});
    let cases = [
        ("name", json!("   "), "BENREG0010"),
        ("birth_year", json!("19x5"), "BENREG0011"),
        ("birth_year", json!("2099"), "BENREG0011"),
        ("gender_id", json!(9), "BENREG0012"),
        ("photo_id_type", json!(99), "BENREG0013"),
        ("comorbidity_ind", json!("maybe"), "BENREG0015"),
        ("gender_id", json!(null), "USRRES0001"),
    ];
    for (field, value, code) in cases {
        let mut body = base.clone();
        body[field] = value;
        app.post(NEW)
            .bearer(&token)
            .json(&body)
            .send()
            .await
            .assert_error(StatusCode::BAD_REQUEST, code);
    }
    app.post(NEW).json(&base).send().await.assert_unauthenticated();
    assert!(app.beneficiaries(&token).await.is_empty());
}

async fn the_list_masks_what_it_shows(backend: Backend) {
    let app = TestApp::new(backend).await;
    let m = mobile(3);
    let token = app.login(&m).await;
    let number = aadhaar(3);
    let reference = app.register(&token, "Asha Rao", "1985", &number).await;
    let list = app.beneficiaries(&token).await;
    assert_eq!(
        list,
        vec![json!({
            "beneficiary_reference_id": reference,
            "name": "Asha Rao",
            "birth_year": "1985",
            "gender": "Female",
            "mobile_number": &m[6..],
            "photo_id_type": "Aadhaar Card",
            "photo_id_number": format!("********{}", &number[8..]),
            "comorbidity_ind": "N",
            "vaccination_status": "Not Vaccinated",
            "vaccine": "",
            "dose1_date": "",
            "dose2_date": "",
            "appointments": [],
        })]
    );
    // Another mobile sees nothing of it.
    let other = app.login(&mobile(4)).await;
    assert!(app.beneficiaries(&other).await.is_empty());
}

async fn limits_per_mobile_and_per_photo_id(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = app.login(&mobile(5)).await;
    for n in 0..4 {
        app.person(&token, 50 + n).await;
    }
    let res = app
        .post(NEW)
        .bearer(&token)
        .json(&json!({"name": "Fifth Person", "birth_year": "1985", "gender_id": 1,
            "photo_id_type": 1, "photo_id_number": aadhaar(60)}))
        .send()
        .await;
    res.assert_error(StatusCode::CONFLICT, "BENREG0002");
    assert_eq!(app.beneficiaries(&token).await.len(), 4);

    // The same Aadhaar on another mobile (or again on this one) is refused.
    let other = app.login(&mobile(6)).await;
    let body = json!({"name": "Someone Else", "birth_year": "1990", "gender_id": 1,
        "photo_id_type": 1, "photo_id_number": aadhaar(50)});
    app.post(NEW)
        .bearer(&other)
        .json(&body)
        .send()
        .await
        .assert_error(StatusCode::CONFLICT, "BENREG0001");
    assert!(app.beneficiaries(&other).await.is_empty());
    // A different id type with other characters is a different id.
    let res = app
        .post(NEW)
        .bearer(&other)
        .json(&json!({"name": "Someone Else", "birth_year": "1990", "gender_id": 1,
            "photo_id_type": 3, "photo_id_number": "abcde1234f"}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    assert_eq!(app.beneficiaries(&other).await[0]["photo_id_number"], "********234F");
    assert_eq!(app.beneficiaries(&other).await[0]["photo_id_type"], "PAN Card");
}

async fn delete_rules(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = app.login(&mobile(7)).await;
    let a = app.person(&token, 70).await;
    let b = app.person(&token, 71).await;
    let (_, theirs) = app.citizen(8).await;

    let res =
        app.post(DELETE).bearer(&token).json(&json!({"beneficiary_reference_id": a})).send().await;
    res.assert_no_content();
    let refs: Vec<String> = app
        .beneficiaries(&token)
        .await
        .iter()
        .map(|p| p["beneficiary_reference_id"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(refs, vec![b.clone()]);
    assert!(matches!(
        app.store.find_beneficiary_by_ref(&BeneficiaryRef::parse(&a).unwrap()).await,
        Err(StorageError::NotFound)
    ));
    // Deleted twice: it is gone.
    app.post(DELETE)
        .bearer(&token)
        .json(&json!({"beneficiary_reference_id": a}))
        .send()
        .await
        .assert_error(StatusCode::BAD_REQUEST, "BENREG0020");
    // The photo id is free again.
    app.register(&token, "Asha Rao Again", "1985", &aadhaar(70)).await;

    // Someone else's beneficiary cannot be deleted and stays.
    app.post(DELETE)
        .bearer(&token)
        .json(&json!({"beneficiary_reference_id": theirs}))
        .send()
        .await
        .assert_error(StatusCode::BAD_REQUEST, "BENREG0020");
    assert!(
        app.store.find_beneficiary_by_ref(&BeneficiaryRef::parse(&theirs).unwrap()).await.is_ok()
    );
    app.post(DELETE)
        .bearer(&token)
        .json(&json!({}))
        .send()
        .await
        .assert_error(StatusCode::BAD_REQUEST, "USRRES0001");

    // With an active appointment: refused, still listed.
    app.book(&token, app.s.today, 1, &[&b]).await;
    app.post(DELETE)
        .bearer(&token)
        .json(&json!({"beneficiary_reference_id": b}))
        .send()
        .await
        .assert_error(StatusCode::CONFLICT, "BENREG0003");
    assert!(app.beneficiaries(&token).await.iter().any(|p| p["beneficiary_reference_id"] == b));
    app.post(DELETE)
        .json(&json!({"beneficiary_reference_id": b}))
        .send()
        .await
        .assert_unauthenticated();
}

on_both_backends!(
    lenient_registration_stores_only_a_hash_of_the_id,
    aadhaar_numbers_must_pass_verhoeff,
    the_list_masks_what_it_shows,
    limits_per_mobile_and_per_photo_id,
    delete_rules,
);
