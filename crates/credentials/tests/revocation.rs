//! Signed, versioned revocation list.
#![allow(clippy::unwrap_used)] // helpers outside #[test] fns
mod common;

use chrono::{TimeZone as _, Utc};
use tika_credentials::revocation::{
    RevocationError, RevocationList, RevocationListType, RevokedEntry, sign_revocation_list,
    verify_revocation_list, verify_revocation_list_update,
};

fn list(version: u64) -> RevocationList {
    RevocationList {
        kind: RevocationListType,
        issuer: "https://tika.example.in/".into(),
        version,
        issued: Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).unwrap(),
        revoked: vec![RevokedEntry {
            certificate_id: "12345678901".into(),
            revoked_at: Utc.with_ymd_and_hms(2026, 2, 28, 12, 0, 0).unwrap(),
            reason: "superseded".into(),
        }],
    }
}

#[test]
fn sign_verify_and_refuse_stale() {
    let s = common::signer("k1");
    let t = common::trust(&s);
    let jws = sign_revocation_list(&list(7), &s).unwrap();
    let got = verify_revocation_list(&jws, &t).unwrap();
    assert_eq!(got, list(7));
    assert!(got.is_revoked("12345678901").is_some());
    assert!(got.is_revoked("10000000000").is_none());
    assert!(verify_revocation_list_update(&jws, &t, Some(6)).is_ok());
    assert_eq!(
        verify_revocation_list_update(&jws, &t, Some(7)).unwrap_err(),
        RevocationError::Stale { got: 7, have: 7 }
    );

    // The payload JSON has the documented shape.
    use base64::Engine as _;
    let payload = jws.split('.').nth(1).unwrap();
    let v: serde_json::Value = serde_json::from_slice(
        &base64::engine::general_purpose::URL_SAFE_NO_PAD.decode(payload).unwrap(),
    )
    .unwrap();
    assert_eq!(v["type"], "TikaRevocationList");
    assert_eq!(v["revoked"][0]["certificateId"], "12345678901");
    assert_eq!(v["issued"], "2026-03-01T00:00:00Z");

    // Tampered payload.
    let other = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .encode(serde_json::to_vec(&list(8)).unwrap());
    let parts: Vec<&str> = jws.split('.').collect();
    let forged = format!("{}.{}.{}", parts[0], other, parts[2]);
    assert_eq!(verify_revocation_list(&forged, &t).unwrap_err(), RevocationError::BadSignature);

    // Unknown key.
    let s2 = common::signer("k9");
    let jws2 = sign_revocation_list(&list(9), &s2).unwrap();
    assert!(matches!(
        verify_revocation_list(&jws2, &t).unwrap_err(),
        RevocationError::UnknownKey(_)
    ));
    assert_eq!(verify_revocation_list("a.b", &t).unwrap_err(), RevocationError::Malformed);
}
