//! OTP login: the three flows, hashing, expiry, attempts, reuse, limits, storage.

use axum::http::{StatusCode, header};
use serde_json::json;
use tika_domain::ids::OtpTxnId;
use tika_domain::mobile::Mobile;
use tika_server::keys::sha256_hex;
use tika_storage::Backend;
use tika_test_support::on_both_backends;

use crate::harness::{API_KEY, TestApp, mobile};

const MOBILE_OTP: &str = "/api/v2/auth/generateMobileOTP";
const VALIDATE: &str = "/api/v2/auth/validateMobileOtp";

async fn public_and_protected_generate_otp(backend: Backend) {
    let app = TestApp::new(backend).await;
    let m = mobile(1);

    // Public: no key needed.
    let res = app.post("/api/v2/auth/public/generateOTP").json(&json!({"mobile": m})).send().await;
    assert_eq!(res.status, StatusCode::OK);
    let v = res.json();
    let txn = v["txnId"].as_str().unwrap();
    assert!(uuid::Uuid::parse_str(txn).is_ok());
    assert_eq!(v.as_object().unwrap().len(), 1);
    let sms = app.sms.last_to(&Mobile::parse(&m).unwrap()).unwrap();
    assert!(sms.text.to_lowercase().contains("valid for 3 minutes"), "{}", sms.text);

    // Protected: the key is required and must be right.
    let res = app.post("/api/v2/auth/generateOTP").json(&json!({"mobile": m})).send().await;
    res.assert_unauthenticated();
    let res = app
        .post("/api/v2/auth/generateOTP")
        .header("x-api-key", "wrong-key")
        .json(&json!({"mobile": m}))
        .send()
        .await;
    res.assert_unauthenticated();
    let sent_before = app.sms.sent().len();
    let res = app
        .post("/api/v2/auth/generateOTP")
        .header("x-api-key", API_KEY)
        .json(&json!({"mobile": m}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(uuid::Uuid::parse_str(res.json()["txnId"].as_str().unwrap()).is_ok());
    assert_eq!(app.sms.sent().len(), sent_before + 1, "refused requests sent no SMS");

    // Portal: `secret` is ignored, whatever it holds; +91 prefix accepted.
    for secret in [json!("U2FsdGVkX1+z"), json!(null), json!(12)] {
        let res = app
            .post(MOBILE_OTP)
            .json(&json!({"mobile": format!("+91{m}"), "secret": secret}))
            .send()
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    }
}

async fn confirm_with_sha256_works_once(backend: Backend) {
    let app = TestApp::new(backend).await;
    let m = mobile(2);
    let txn = app.txn(MOBILE_OTP, &m).await;
    let otp = app.otp_sent_to(&m);

    // The stored OTP is neither the OTP nor what the client sends.
    let stored = app.store.find_otp(txn.parse::<OtpTxnId>().unwrap()).await.unwrap();
    assert_ne!(stored.otp_hash, otp);
    assert_ne!(stored.otp_hash, sha256_hex(&otp));
    assert!(!stored.otp_hash.contains(&otp));
    assert!(!stored.consumed);

    let body = json!({"otp": sha256_hex(&otp), "txnId": txn});
    let res = app.post(VALIDATE).json(&body).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    let v = res.json();
    assert_eq!(v["token"].as_str().unwrap().split('.').count(), 3);
    assert_eq!(v["isNewAccount"], "Y");
    assert!(app.store.find_otp(txn.parse::<OtpTxnId>().unwrap()).await.unwrap().consumed);

    // Reuse is refused.
    app.post(VALIDATE).json(&body).send().await.assert_error(StatusCode::BAD_REQUEST, "USRAUT0017");

    // Uppercase hex is the same hash.
    let txn = app.txn(MOBILE_OTP, &m).await;
    let otp = app.otp_sent_to(&m);
    let res = app
        .post(VALIDATE)
        .json(&json!({"otp": sha256_hex(&otp).to_uppercase(), "txnId": txn}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    assert_eq!(res.json()["isNewAccount"], "N");
}

async fn raw_digits_are_refused(backend: Backend) {
    let app = TestApp::new(backend).await;
    let m = mobile(3);
    let txn = app.txn(MOBILE_OTP, &m).await;
    let otp = app.otp_sent_to(&m);
    let res = app.post(VALIDATE).json(&json!({"otp": otp, "txnId": txn})).send().await;
    res.assert_error(StatusCode::BAD_REQUEST, "USRAUT0014");
    assert_eq!(res.json()["error"], "Invalid OTP");
    let stored = app.store.find_otp(txn.parse::<OtpTxnId>().unwrap()).await.unwrap();
    assert_eq!(stored.attempts, 1);
}

async fn five_wrong_tries_lock_the_transaction(backend: Backend) {
    let app = TestApp::new(backend).await;
    let m = mobile(4);
    let txn = app.txn(MOBILE_OTP, &m).await;
    let otp = app.otp_sent_to(&m);
    let wrong = if otp == "000000" { "111111" } else { "000000" };
    for _ in 0..5 {
        app.post(VALIDATE)
            .json(&json!({"otp": sha256_hex(wrong), "txnId": txn}))
            .send()
            .await
            .assert_error(StatusCode::BAD_REQUEST, "USRAUT0014");
    }
    let res = app.post(VALIDATE).json(&json!({"otp": sha256_hex(&otp), "txnId": txn})).send().await;
    res.assert_error(StatusCode::BAD_REQUEST, "USRAUT0018");
    let stored = app.store.find_otp(txn.parse::<OtpTxnId>().unwrap()).await.unwrap();
    assert_eq!((stored.attempts, stored.consumed), (5, false));
}

async fn otps_expire_after_three_minutes(backend: Backend) {
    let app = TestApp::new(backend).await;
    let m = mobile(5);
    // Still fine just inside 3 minutes.
    let txn = app.txn(MOBILE_OTP, &m).await;
    let otp = app.otp_sent_to(&m);
    app.advance(chrono::Duration::seconds(179));
    let res = app.post(VALIDATE).json(&json!({"otp": sha256_hex(&otp), "txnId": txn})).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());

    let txn = app.txn(MOBILE_OTP, &m).await;
    let otp = app.otp_sent_to(&m);
    app.advance(chrono::Duration::seconds(181));
    let res = app.post(VALIDATE).json(&json!({"otp": sha256_hex(&otp), "txnId": txn})).send().await;
    res.assert_error(StatusCode::BAD_REQUEST, "USRAUT0016");
}

async fn bad_input_is_a_400_with_a_code(backend: Backend) {
    let app = TestApp::new(backend).await;
    for path in [MOBILE_OTP, "/api/v2/auth/public/generateOTP"] {
        let res = app.post(path).json(&json!({})).send().await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST);
        assert_eq!(res.json(), json!({"errorCode": "USRAUT0010", "error": "Mobile is Required"}));
        let res = app.post(path).json(&json!({"mobile": null})).send().await;
        assert_eq!(res.json(), json!({"errorCode": "USRAUT0010", "error": "Mobile is Required"}));
        // An empty body is `{}`.
        app.post(path).send().await.assert_error(StatusCode::BAD_REQUEST, "USRAUT0010");
        app.post(path)
            .json(&json!({"mobile": "12345"}))
            .send()
            .await
            .assert_error(StatusCode::BAD_REQUEST, "USRAUT0011");
        app.post(path)
            .header("content-type", "application/json")
            .body(b"mobile=9876543210")
            .send()
            .await
            .assert_error(StatusCode::BAD_REQUEST, "USRRES0001");
    }
    // A body without Content-Type is still read as JSON; a mobile sent as a number too.
    let res = app.post(MOBILE_OTP).body(br#"{"mobile": 9876543210}"#).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());

    let txn = app.txn(MOBILE_OTP, &mobile(6)).await;
    app.post(VALIDATE)
        .json(&json!({"txnId": txn}))
        .send()
        .await
        .assert_error(StatusCode::BAD_REQUEST, "USRAUT0012");
    app.post(VALIDATE)
        .json(&json!({"otp": sha256_hex("123456")}))
        .send()
        .await
        .assert_error(StatusCode::BAD_REQUEST, "USRRES0001");
    app.post(VALIDATE)
        .json(&json!({"otp": sha256_hex("123456"), "txnId": "not-a-uuid"}))
        .send()
        .await
        .assert_error(StatusCode::BAD_REQUEST, "USRAUT0013");
    app.post(VALIDATE)
        .json(&json!({"otp": sha256_hex("123456"), "txnId": uuid::Uuid::new_v4()}))
        .send()
        .await
        .assert_error(StatusCode::BAD_REQUEST, "USRAUT0013");
    app.post(VALIDATE)
        .body(b"{not json")
        .send()
        .await
        .assert_error(StatusCode::BAD_REQUEST, "USRRES0001");
}

async fn fifty_otps_a_day_per_mobile(backend: Backend) {
    let app = TestApp::new(backend).await;
    let m = mobile(7);
    for _ in 0..50 {
        app.txn(MOBILE_OTP, &m).await;
    }
    let res = app.post(MOBILE_OTP).json(&json!({"mobile": m})).send().await;
    res.assert_error(StatusCode::TOO_MANY_REQUESTS, "USRRES0429");
    let retry: u64 = res.header(header::RETRY_AFTER).unwrap().parse().unwrap();
    assert!(retry > 0);
    assert_eq!(app.sms.sent().len(), 50);
    // Another mobile is not affected.
    app.txn(MOBILE_OTP, &mobile(8)).await;
    // A day later the mobile may ask again.
    app.advance(chrono::Duration::hours(24) + chrono::Duration::seconds(1));
    app.txn(MOBILE_OTP, &m).await;
}

async fn protected_confirm_says_whether_the_account_is_new(backend: Backend) {
    let app = TestApp::new(backend).await;
    let m = mobile(9);
    for expected in ["Y", "N"] {
        let txn = app.txn("/api/v2/auth/generateOTP", &m).await;
        let otp = app.otp_sent_to(&m);
        let body = json!({"otp": sha256_hex(&otp), "txnId": txn});
        // The key is needed to confirm too.
        app.post("/api/v2/auth/confirmOTP").json(&body).send().await.assert_unauthenticated();
        let res = app
            .post("/api/v2/auth/confirmOTP")
            .header("x-api-key", API_KEY)
            .json(&body)
            .send()
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text());
        assert_eq!(res.json()["isNewAccount"], expected);
    }
    let account = app.store.upsert_account(&Mobile::parse(&m).unwrap(), 0).await.unwrap();
    assert!(!account.1, "the account exists");
}

async fn a_transaction_belongs_to_its_flow(backend: Backend) {
    let app = TestApp::new(backend).await;
    let m = mobile(10);
    let txn = app.txn("/api/v2/auth/public/generateOTP", &m).await;
    let otp = app.otp_sent_to(&m);
    let body = json!({"otp": sha256_hex(&otp), "txnId": txn});
    // A public transaction cannot be turned into a protected token.
    app.post(VALIDATE).json(&body).send().await.assert_error(StatusCode::BAD_REQUEST, "USRAUT0013");
    let res = app.post("/api/v2/auth/public/confirmOTP").json(&body).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    let v = res.json();
    assert_eq!(v.as_object().unwrap().len(), 1, "public confirm answers only the token: {v}");
}

async fn a_fixed_test_otp_when_configured(backend: Backend) {
    let app = TestApp::with_config(backend, |c| c.test_otp = Some("123456".to_owned())).await;
    let m = mobile(11);
    let txn = app.txn(MOBILE_OTP, &m).await;
    assert_eq!(app.otp_sent_to(&m), "123456");
    let res = app
        .post(VALIDATE)
        .json(&json!({
            "otp": "8d969eef6ecad3c29a3a629280e686cf0c3f5d5a86aff3ca12020c923adc6c92",
            "txnId": txn
        }))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    assert_eq!(res.json()["isNewAccount"], "Y");
}

on_both_backends!(
    public_and_protected_generate_otp,
    confirm_with_sha256_works_once,
    raw_digits_are_refused,
    five_wrong_tries_lock_the_transaction,
    otps_expire_after_three_minutes,
    bad_input_is_a_400_with_a_code,
    fifty_otps_a_day_per_mobile,
    protected_confirm_says_whether_the_account_is_new,
    a_transaction_belongs_to_its_flow,
    a_fixed_test_otp_when_configured,
);
