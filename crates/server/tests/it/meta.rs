//! Metadata: states, districts, id types, genders.

use axum::http::StatusCode;
use serde_json::json;
use tika_storage::Backend;
use tika_test_support::on_both_backends;

use crate::harness::{MAHARASHTRA, TestApp, mobile};

async fn states_are_all_there_with_hindi_on_request(backend: Backend) {
    let app = TestApp::new(backend).await;
    // No User-Agent, no Accept: still served.
    let res = app.get("/api/v2/admin/location/states").send().await;
    assert_eq!(res.status, StatusCode::OK);
    let v = res.json();
    assert_eq!(v["ttl"], 24);
    let states = v["states"].as_array().unwrap();
    assert_eq!(states.len(), 36);
    let mh = states.iter().find(|s| s["state_id"] == MAHARASHTRA).unwrap();
    assert_eq!(mh, &json!({"state_id": 21, "state_name": "Maharashtra", "state_name_l": ""}));
    assert!(states.iter().all(|s| s["state_name_l"] == ""));

    let res =
        app.get("/api/v2/admin/location/states").header("accept-language", "hi_IN").send().await;
    let v = res.json();
    let mh = v["states"].as_array().unwrap().iter().find(|s| s["state_id"] == 21).unwrap().clone();
    assert_eq!(mh["state_name"], "Maharashtra");
    assert_eq!(mh["state_name_l"], "महाराष्ट्र");

    let res =
        app.get("/api/v2/admin/location/states").header("accept-language", "en_US").send().await;
    assert!(res.json()["states"].as_array().unwrap().iter().all(|s| s["state_name_l"] == ""));
}

async fn districts_of_a_state_and_of_nothing(backend: Backend) {
    let app = TestApp::new(backend).await;
    let res = app.get("/api/v2/admin/location/districts/21").send().await;
    assert_eq!(res.status, StatusCode::OK);
    let v = res.json();
    assert_eq!(v["ttl"], 24);
    let districts = v["districts"].as_array().unwrap();
    assert_eq!(districts.len(), 36, "Maharashtra has 36 districts");
    assert!(districts.contains(&json!({
        "district_id": 395, "district_name": "Mumbai Suburban", "district_name_l": ""
    })));
    assert!(districts.iter().any(|d| d["district_id"] == 403 && d["district_name"] == "Pune"));

    for garbage in ["999", "0", "-4", "abc", "21.5", "%20"] {
        let res = app.get(format!("/api/v2/admin/location/districts/{garbage}")).send().await;
        assert_eq!(res.status, StatusCode::OK, "{garbage}");
        assert_eq!(res.json(), json!({"districts": [], "ttl": 24}), "{garbage}");
    }
}

async fn id_types_and_genders_need_a_protected_token(backend: Backend) {
    let app = TestApp::new(backend).await;
    for path in
        ["/api/v2/registration/beneficiary/idTypes", "/api/v2/registration/beneficiary/genders"]
    {
        app.get(path).send().await.assert_unauthenticated();
        app.get(path).bearer("not.a.token").send().await.assert_unauthenticated();
    }
    let public = app.login_public(&mobile(1)).await;
    app.get("/api/v2/registration/beneficiary/genders")
        .bearer(&public)
        .send()
        .await
        .assert_unauthenticated();

    let token = app.login(&mobile(1)).await;
    let res = app.get("/api/v2/registration/beneficiary/genders").bearer(&token).send().await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(
        res.json(),
        json!({"genders": [
            {"id": 1, "gender": "Male", "gender_l": ""},
            {"id": 2, "gender": "Female", "gender_l": ""},
            {"id": 3, "gender": "Others", "gender_l": ""},
        ], "ttl": 24})
    );
    let res = app
        .get("/api/v2/registration/beneficiary/genders")
        .bearer(&token)
        .header("accept-language", "hi_IN")
        .send()
        .await;
    assert_eq!(res.json()["genders"][1]["gender_l"], "महिला");

    let res = app.get("/api/v2/registration/beneficiary/idTypes").bearer(&token).send().await;
    assert_eq!(res.status, StatusCode::OK);
    let v = res.json();
    assert_eq!(v["ttl"], 24);
    let types = v["types"].as_array().unwrap();
    assert_eq!(types[0], json!({"id": 1, "type": "Aadhaar Card", "type_l": ""}));
    assert_eq!(types.len(), 9);
}

on_both_backends!(
    states_are_all_there_with_hindi_on_request,
    districts_of_a_state_and_of_nothing,
    id_types_and_genders_need_a_protected_token,
);
