//! Tokens: shape, contents, expiry, scope.

use axum::http::StatusCode;
use serde_json::Value;
use tika_storage::Backend;
use tika_test_support::on_both_backends;

use crate::harness::{TestApp, mobile};

/// Decodes unpadded base64url (what JWT parts are), as a client reading `exp` does.
fn base64url(s: &str) -> Vec<u8> {
    let value = |c: u8| -> u32 {
        match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'-' => 62,
            b'_' => 63,
            other => panic!("not base64url: {:?}", char::from(other)),
        }
    };
    let (mut out, mut acc, mut bits) = (Vec::new(), 0u32, 0u32);
    for c in s.bytes() {
        acc = (acc << 6) | value(c);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    out
}

/// The claims of a token, read without checking the signature (as `PyJWT` clients do).
fn claims(token: &str) -> Value {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "a JWS has three parts: {token}");
    let header: Value = serde_json::from_slice(&base64url(parts[0])).unwrap();
    assert_eq!(header["alg"], "HS256");
    serde_json::from_slice(&base64url(parts[1])).unwrap()
}

async fn tokens_are_jwts_with_exp_and_no_personal_data(backend: Backend) {
    let app = TestApp::new(backend).await;
    let m = mobile(1);
    let token = app.login(&m).await;
    let c = claims(&token);
    let iat = c["iat"].as_i64().unwrap();
    assert_eq!(iat, app.now().timestamp());
    assert_eq!(c["exp"].as_i64().unwrap(), iat + 900);
    let text = c.to_string();
    assert!(!text.contains(&m) && !text.contains(&m[6..]), "{text}");
    // A name registered afterwards cannot be in a token issued later either.
    app.register(&token, "Priyanka Dwivedi", "1990", &crate::harness::aadhaar(1)).await;
    let again = app.login(&m).await;
    let text = claims(&again).to_string();
    assert!(!text.contains("Priyanka") && !text.contains(&m), "{text}");
    assert_ne!(again, token);
}

async fn tokens_expire_after_fifteen_minutes(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = app.login(&mobile(2)).await;
    app.advance(chrono::Duration::minutes(14));
    let res = app.get("/api/v2/appointment/beneficiaries").bearer(&token).send().await;
    assert_eq!(res.status, StatusCode::OK);
    app.advance(chrono::Duration::minutes(2));
    app.get("/api/v2/appointment/beneficiaries")
        .bearer(&token)
        .send()
        .await
        .assert_unauthenticated();
    app.get(format!("/api/v2/appointment/sessions/findByPin?pincode=400051&date={}", app.date(0)))
        .bearer(&token)
        .send()
        .await
        .assert_unauthenticated();
}

async fn garbage_and_missing_tokens_are_401_text(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = app.login(&mobile(3)).await;
    let mut tampered: Vec<char> = token.chars().collect();
    let last = tampered.len() - 2;
    tampered[last] = if tampered[last] == 'A' { 'B' } else { 'A' };
    let tampered: String = tampered.into_iter().collect();
    for bad in ["garbage", "a.b.c", "", tampered.as_str()] {
        app.get("/api/v2/appointment/beneficiaries")
            .bearer(bad)
            .send()
            .await
            .assert_unauthenticated();
    }
    app.get("/api/v2/appointment/beneficiaries").send().await.assert_unauthenticated();
    // The same claims signed with another key are refused.
    let foreign = {
        let keys = tika_server::keys::Keys::derive(b"a different master secret, 32 bytes");
        let claims = claims(&token);
        let header = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
        jsonwebtoken::encode(
            &header,
            &claims,
            &jsonwebtoken::EncodingKey::from_secret(keys.token_key()),
        )
        .unwrap()
    };
    app.get("/api/v2/appointment/beneficiaries")
        .bearer(&foreign)
        .send()
        .await
        .assert_unauthenticated();
    // `bearer` in lower case and no scheme at all are accepted, as CoWIN clients vary.
    let res = app
        .get("/api/v2/appointment/beneficiaries")
        .header("authorization", &format!("bearer {token}"))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK);
}

async fn public_tokens_only_open_the_public_certificate(backend: Backend) {
    let app = TestApp::new(backend).await;
    let m = mobile(4);
    let protected = app.login(&m).await;
    let mine = app.person(&protected, 4).await;
    let (_, theirs) = app.citizen(5).await;

    let public = app.login_public(&m).await;
    assert_eq!(claims(&public)["exp"].as_i64().unwrap(), app.now().timestamp() + 900);
    for path in [
        "/api/v2/appointment/beneficiaries".to_owned(),
        format!("/api/v2/appointment/sessions/findByPin?pincode=400051&date={}", app.date(0)),
        format!("/api/v2/registration/certificate/download?beneficiary_reference_id={mine}"),
        "/api/v2/registration/beneficiary/idTypes".to_owned(),
    ] {
        app.get(&path).bearer(&public).send().await.assert_unauthenticated();
    }
    let res = app
        .post("/api/v2/appointment/schedule")
        .bearer(&public)
        .json(&serde_json::json!({"dose": 1, "session_id": app.s.today.to_string(),
            "slot": "09:00AM-11:00AM", "beneficiaries": [mine]}))
        .send()
        .await;
    res.assert_unauthenticated();
    assert_eq!(app.booked(app.s.today).await, (0, 0));

    let cert = "/api/v2/registration/certificate/public/download?beneficiary_reference_id=";
    app.get(format!("{cert}{mine}"))
        .bearer(&public)
        .send()
        .await
        .assert_error(StatusCode::BAD_REQUEST, "CERT0001");
    app.get(format!("{cert}{theirs}"))
        .bearer(&public)
        .send()
        .await
        .assert_error(StatusCode::BAD_REQUEST, "BENREG0020");
    app.get(format!("{cert}12345"))
        .bearer(&public)
        .send()
        .await
        .assert_error(StatusCode::BAD_REQUEST, "BENREG0020");
    app.get(cert.trim_end_matches("?beneficiary_reference_id="))
        .bearer(&public)
        .send()
        .await
        .assert_error(StatusCode::BAD_REQUEST, "USRRES0001");
    app.get(format!("{cert}{mine}")).send().await.assert_unauthenticated();
    // A protected token opens both certificate endpoints.
    app.get(format!("{cert}{mine}"))
        .bearer(&protected)
        .send()
        .await
        .assert_error(StatusCode::BAD_REQUEST, "CERT0001");
    app.get(format!("/api/v2/registration/certificate/download?beneficiary_reference_id={theirs}"))
        .bearer(&protected)
        .send()
        .await
        .assert_error(StatusCode::BAD_REQUEST, "BENREG0020");
}

on_both_backends!(
    tokens_are_jwts_with_exp_and_no_personal_data,
    tokens_expire_after_fifteen_minutes,
    garbage_and_missing_tokens_are_401_text,
    public_tokens_only_open_the_public_certificate,
);
