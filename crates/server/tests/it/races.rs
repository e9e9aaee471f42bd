//! Concurrent requests that must not both win: OTP reuse, beneficiary limits, double bookings,
//! double cancels.  Each fires its requests in parallel tasks through the router.

use axum::http::StatusCode;
use serde_json::{Value, json};
use tika_server::keys::sha256_hex;
use tika_storage::Backend;
use tika_test_support::on_both_backends;

use crate::harness::{Call, Resp, SLOTS, SessionSpec, TestApp, aadhaar, mobile, send_to};

/// Sends all calls at once, each in its own task, and returns the responses in order.
async fn all_at_once(app: &TestApp, calls: Vec<Call<'_>>) -> Vec<Resp> {
    let tasks: Vec<_> = calls
        .into_iter()
        .map(|c| {
            let (req, check) = c.request();
            tokio::spawn(send_to(tika_server::app::router(app.state.clone()), req, check))
        })
        .collect();
    let mut out = Vec::new();
    for t in tasks {
        out.push(t.await.unwrap());
    }
    out
}

fn count(res: &[Resp], status: StatusCode) -> usize {
    res.iter().filter(|r| r.status == status).count()
}

fn codes(res: &[Resp]) -> Vec<Value> {
    res.iter()
        .filter(|r| r.status != StatusCode::OK && r.status != StatusCode::NO_CONTENT)
        .map(|r| r.json()["errorCode"].clone())
        .collect()
}

async fn an_otp_is_confirmed_once_under_concurrency(backend: Backend) {
    let app = TestApp::new(backend).await;
    let m = mobile(1);
    let txn = app.txn("/api/v2/auth/generateMobileOTP", &m).await;
    let otp = app.otp_sent_to(&m);
    let calls = (0..8)
        .map(|_| {
            app.post("/api/v2/auth/validateMobileOtp")
                .json(&json!({"otp": sha256_hex(&otp), "txnId": txn}))
        })
        .collect();
    let res = all_at_once(&app, calls).await;
    assert_eq!(count(&res, StatusCode::OK), 1, "{:?}", codes(&res));
    assert!(codes(&res).iter().all(|c| c == "USRAUT0017"), "{:?}", codes(&res));
}

async fn the_beneficiary_limit_holds_under_concurrency(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = app.login(&mobile(2)).await;
    let calls = (0..8)
        .map(|n| {
            app.post("/api/v2/registration/beneficiary/new").bearer(&token).json(&json!({
                "name": format!("Person {}", crate::harness::letters(n)), "birth_year": "1985",
                "gender_id": 1, "photo_id_type": 1, "photo_id_number": aadhaar(200 + n)}))
        })
        .collect();
    let res = all_at_once(&app, calls).await;
    assert_eq!(count(&res, StatusCode::OK), 4, "{:?}", codes(&res));
    assert!(codes(&res).iter().all(|c| c == "BENREG0002"), "{:?}", codes(&res));
    assert_eq!(app.beneficiaries(&token).await.len(), 4);
}

async fn one_photo_id_registers_once_under_concurrency(backend: Backend) {
    let app = TestApp::new(backend).await;
    let mut tokens = Vec::new();
    for n in 0..6 {
        tokens.push(app.login(&mobile(10 + n)).await);
    }
    let calls = tokens
        .iter()
        .map(|t| {
            app.post("/api/v2/registration/beneficiary/new").bearer(t).json(&json!({
                "name": "Asha Rao", "birth_year": "1985", "gender_id": 2, "photo_id_type": 1,
                "photo_id_number": aadhaar(300)}))
        })
        .collect();
    let res = all_at_once(&app, calls).await;
    assert_eq!(count(&res, StatusCode::OK), 1, "{:?}", codes(&res));
    assert!(codes(&res).iter().all(|c| c == "BENREG0001"), "{:?}", codes(&res));
    let mut listed = 0;
    for t in &tokens {
        listed += app.beneficiaries(t).await.len();
    }
    assert_eq!(listed, 1);
}

async fn one_person_books_one_dose_once_under_concurrency(backend: Backend) {
    let app = TestApp::new(backend).await;
    let (token, reference) = app.citizen(20).await;
    let mut sessions = Vec::new();
    for day in 1..=6 {
        sessions.push(app.insert_session(&SessionSpec::at(day, 5, 5)).await);
    }
    app.rebuild().await;
    let calls = sessions
        .iter()
        .map(|s| {
            app.post("/api/v2/appointment/schedule").bearer(&token).json(&json!({
                "dose": 1, "session_id": s.to_string(), "slot": SLOTS[0], "beneficiaries": [reference]}))
        })
        .collect();
    let res = all_at_once(&app, calls).await;
    assert_eq!(count(&res, StatusCode::OK), 1, "{:?}", codes(&res));
    assert!(codes(&res).iter().all(|c| c == "APPOIN0042"), "{:?}", codes(&res));
    let mut taken = 0;
    for s in &sessions {
        let (d1, d2) = app.booked(*s).await;
        taken += d1 + d2;
    }
    assert_eq!(taken, 1, "refused bookings must not keep a seat");
    let list = app.beneficiaries(&token).await;
    assert_eq!(list[0]["appointments"].as_array().unwrap().len(), 1);
}

async fn a_booking_is_cancelled_once_under_concurrency(backend: Backend) {
    let app = TestApp::new(backend).await;
    let (token, reference) = app.citizen(30).await;
    let id = app.book(&token, app.s.today, 1, &[&reference]).await;
    let (other_token, other) = app.citizen(31).await;
    app.book(&other_token, app.s.today, 1, &[&other]).await;
    assert_eq!(app.booked(app.s.today).await, (2, 0));
    let calls = (0..6)
        .map(|_| {
            app.post("/api/v2/appointment/cancel")
                .bearer(&token)
                .json(&json!({"appointment_id": id, "beneficiariesToCancel": null}))
        })
        .collect();
    let res = all_at_once(&app, calls).await;
    assert_eq!(count(&res, StatusCode::NO_CONTENT), 1, "{:?}", codes(&res));
    assert!(codes(&res).iter().all(|c| c == "APPOIN0060"), "{:?}", codes(&res));
    assert_eq!(app.booked(app.s.today).await, (1, 0), "the seat is returned exactly once");
}

on_both_backends!(
    an_otp_is_confirmed_once_under_concurrency,
    the_beneficiary_limit_holds_under_concurrency,
    one_photo_id_registers_once_under_concurrency,
    one_person_books_one_dose_once_under_concurrency,
    a_booking_is_cancelled_once_under_concurrency,
);
