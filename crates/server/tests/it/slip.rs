//! The appointment slip.

use axum::http::{StatusCode, header};
use serde_json::json;
use tika_storage::Backend;
use tika_test_support::on_both_backends;

use crate::harness::TestApp;

const SLIP: &str = "/api/v2/appointment/appointmentslip/download";

async fn the_slip_is_a_pdf_for_its_owner_only(backend: Backend) {
    let app = TestApp::new(backend).await;
    let (token, reference) = app.citizen(1).await;
    let (other, _) = app.citizen(2).await;
    let id = app.book(&token, app.s.today, 1, &[&reference]).await;

    let res = app.get(format!("{SLIP}?appointment_id={id}")).bearer(&token).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    assert_eq!(res.header(header::CONTENT_TYPE), Some("application/pdf"));
    assert!(res.body.starts_with(b"%PDF"));
    assert!(res.body.len() > 500);
    assert!(res.header(header::CONTENT_DISPOSITION).unwrap().starts_with("attachment"));

    app.get(format!("{SLIP}?appointment_id={id}"))
        .bearer(&other)
        .send()
        .await
        .assert_error(StatusCode::BAD_REQUEST, "APPOIN0013");
    app.get(format!("{SLIP}?appointment_id={}", uuid::Uuid::new_v4()))
        .bearer(&token)
        .send()
        .await
        .assert_error(StatusCode::BAD_REQUEST, "APPOIN0013");
    app.get(format!("{SLIP}?appointment_id=garbage"))
        .bearer(&token)
        .send()
        .await
        .assert_error(StatusCode::BAD_REQUEST, "APPOIN0013");
    app.get(SLIP).bearer(&token).send().await.assert_error(StatusCode::BAD_REQUEST, "USRRES0001");
    app.get(format!("{SLIP}?appointment_id={id}")).send().await.assert_unauthenticated();
    let public = app.login_public(&crate::harness::mobile(1)).await;
    app.get(format!("{SLIP}?appointment_id={id}"))
        .bearer(&public)
        .send()
        .await
        .assert_unauthenticated();

    // Once cancelled, there is no slip.
    app.post("/api/v2/appointment/cancel")
        .bearer(&token)
        .json(&json!({"appointment_id": id}))
        .send()
        .await
        .assert_no_content();
    app.get(format!("{SLIP}?appointment_id={id}"))
        .bearer(&token)
        .send()
        .await
        .assert_error(StatusCode::CONFLICT, "APPOIN0062");
}

on_both_backends!(the_slip_is_a_pdf_for_its_owner_only);
