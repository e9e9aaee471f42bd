//! `openapi.json`: it documents exactly the routes served, it is internally consistent, real
//! responses match it, and the server serves it.
//!
//! Every request any test in this binary sends to a documented operation is also checked against
//! the document by the harness (status documented, body valid); see `schema::check_response`.

use std::collections::BTreeSet;

use axum::http::{Method, StatusCode, header};
use serde_json::{Value, json};
use tika_server::keys::sha256_hex;
use tika_storage::Backend;
use tika_test_support::on_both_backends;

use crate::harness::{API_KEY, BKC, SLOTS, TestApp, aadhaar, mobile};
use crate::schema::{SERVER_BASE, doc, resolve, template_matches, validate};

/// Every route of `crates/server/src/api/mod.rs`, relative to `/api`.
const ROUTES: &[(&str, &str)] = &[
    ("POST", "/v2/auth/public/generateOTP"),
    ("POST", "/v2/auth/public/confirmOTP"),
    ("GET", "/v2/admin/location/states"),
    ("GET", "/v2/admin/location/districts/{state_id}"),
    ("GET", "/v2/appointment/sessions/public/findByPin"),
    ("GET", "/v2/appointment/sessions/public/findByDistrict"),
    ("GET", "/v2/appointment/sessions/public/calendarByPin"),
    ("GET", "/v2/appointment/sessions/public/calendarByDistrict"),
    ("GET", "/v2/appointment/sessions/public/calendarByCenter"),
    ("GET", "/v2/appointment/centers/public/findByLatLong"),
    ("GET", "/v2/registration/certificate/public/download"),
    ("POST", "/v2/auth/generateOTP"),
    ("POST", "/v2/auth/confirmOTP"),
    ("GET", "/v2/registration/beneficiary/idTypes"),
    ("GET", "/v2/registration/beneficiary/genders"),
    ("POST", "/v2/registration/beneficiary/new"),
    ("POST", "/v2/registration/beneficiary/delete"),
    ("GET", "/v2/appointment/centers/findByLatLong"),
    ("GET", "/v2/appointment/sessions/findByPin"),
    ("GET", "/v2/appointment/sessions/findByDistrict"),
    ("GET", "/v2/appointment/sessions/calendarByPin"),
    ("GET", "/v2/appointment/sessions/calendarByDistrict"),
    ("GET", "/v2/appointment/beneficiaries"),
    ("POST", "/v2/appointment/schedule"),
    ("POST", "/v2/appointment/reschedule"),
    ("POST", "/v2/appointment/cancel"),
    ("GET", "/v2/registration/certificate/download"),
    ("GET", "/v2/appointment/appointmentslip/download"),
    ("POST", "/v2/auth/generateMobileOTP"),
    ("POST", "/v2/auth/validateMobileOtp"),
];

/// Operations that cannot answer 2xx yet (no certificates are issued by this version).
const NO_SUCCESS_YET: &[&str] =
    &["/v2/registration/certificate/public/download", "/v2/registration/certificate/download"];

const HTTP_METHODS: &[&str] =
    &["get", "put", "post", "delete", "options", "head", "patch", "trace"];

fn documented_operations() -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    for (path, item) in doc()["paths"].as_object().unwrap() {
        for (method, _) in item.as_object().unwrap() {
            assert!(HTTP_METHODS.contains(&method.as_str()), "{path}: unexpected key {method}");
            out.insert((method.to_ascii_uppercase(), path.clone()));
        }
    }
    out
}

fn listed_routes() -> BTreeSet<(String, String)> {
    ROUTES.iter().map(|(m, p)| ((*m).to_owned(), (*p).to_owned())).collect()
}

/// The routes as written in `api/mod.rs`: each `.route("path", get(..).post(..))`.
/// The CoWIN routes served (`/v2/…`), read from the route table.
fn routes_in_source() -> BTreeSet<(String, String)> {
    let src =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/src/api/mod.rs")).unwrap();
    let mut out = BTreeSet::new();
    for chunk in src.split(".route(").skip(1) {
        let path = chunk.split('"').nth(1).unwrap();
        // The site, certificate and SMS-gateway APIs are Tika's own, documented in
        // docs/SITE-API.md, docs/CERTIFICATES.md and docs/NOTIFICATIONS.md, not part of CoWIN's.
        if path.starts_with("/site/")
            || path.starts_with("/certificates/")
            || path.starts_with("/sms/")
        {
            continue;
        }
        let mut found = false;
        for method in ["get", "post", "put", "delete", "patch"] {
            let needle = format!("{method}(");
            let hit = chunk.match_indices(&needle).any(|(i, _)| {
                i == 0
                    || !chunk.as_bytes()[i - 1].is_ascii_alphanumeric()
                        && chunk.as_bytes()[i - 1] != b'_'
            });
            if hit {
                out.insert((method.to_ascii_uppercase(), path.to_owned()));
                found = true;
            }
        }
        assert!(found, "no method found for route {path}");
    }
    out
}

#[test]
fn the_document_is_openapi_3_1_relative_to_api() {
    let d = doc();
    assert_eq!(d["openapi"], "3.1.0");
    assert_eq!(d["servers"], json!([{"url": SERVER_BASE, "description": "This server."}]));
    assert!(d["info"]["title"].is_string() && d["info"]["version"].is_string());
    for path in d["paths"].as_object().unwrap().keys() {
        assert!(path.starts_with("/v2/"), "{path} must be relative to /api");
    }
    let schemes = &d["components"]["securitySchemes"];
    assert_eq!(
        schemes["bearerAuth"],
        json!({"type": "http", "scheme": "bearer", "bearerFormat": "JWT",
        "description": schemes["bearerAuth"]["description"].clone()})
    );
    assert_eq!(schemes["apiKey"]["in"], "header");
    assert_eq!(schemes["apiKey"]["name"], "x-api-key");
    for name in [
        "State",
        "District",
        "Session",
        "CalendarCenter",
        "CalendarSession",
        "LatLongCenter",
        "Beneficiary",
        "Appointment",
        "Error",
    ] {
        let s = &d["components"]["schemas"][name];
        assert_eq!(s["type"], "object", "{name}");
        assert!(
            s["required"].as_array().is_some_and(|r| !r.is_empty()),
            "{name} lists what is required"
        );
    }
}

#[test]
fn the_document_lists_exactly_the_served_routes() {
    assert_eq!(listed_routes().len(), ROUTES.len(), "no duplicates in the list");
    assert_eq!(routes_in_source(), listed_routes(), "the list mirrors api/mod.rs");
    assert_eq!(
        documented_operations(),
        listed_routes(),
        "openapi.json documents every route, and only those"
    );
}

/// Walks every `$ref` and checks it resolves; checks operations are complete.
#[test]
fn the_document_is_internally_consistent() {
    fn walk(v: &Value, at: &str) {
        match v {
            Value::Object(map) => {
                if let Some(r) = map.get("$ref") {
                    let r = r.as_str().unwrap();
                    assert!(
                        doc().pointer(r.trim_start_matches('#')).is_some(),
                        "{at}: dangling $ref {r}"
                    );
                }
                for (k, x) in map {
                    walk(x, &format!("{at}/{k}"));
                }
            }
            Value::Array(items) => {
                items.iter().enumerate().for_each(|(i, x)| walk(x, &format!("{at}/{i}")))
            }
            _ => {}
        }
    }
    walk(doc(), "#");

    let d = doc();
    let schemes: BTreeSet<&str> = d["components"]["securitySchemes"]
        .as_object()
        .unwrap()
        .keys()
        .map(String::as_str)
        .collect();
    let mut ids = BTreeSet::new();
    for (path, item) in d["paths"].as_object().unwrap() {
        for (method, op) in item.as_object().unwrap() {
            let at = format!("{method} {path}");
            assert!(ids.insert(op["operationId"].as_str().unwrap()), "{at}: duplicate operationId");
            assert!(op["description"].as_str().is_some_and(|s| !s.is_empty()), "{at}: description");
            let responses = op["responses"].as_object().unwrap();
            assert!(responses.keys().any(|c| c.starts_with('2')), "{at}: no success response");
            for (code, r) in responses {
                assert!(code.len() == 3 && code.parse::<u16>().is_ok(), "{at}: status {code}");
                assert!(resolve(d, r)["description"].is_string(), "{at} {code}: description");
            }
            let security = op["security"].as_array().unwrap();
            for req in security {
                for name in req.as_object().unwrap().keys() {
                    assert!(schemes.contains(name.as_str()), "{at}: unknown scheme {name}");
                }
            }
            // Protected operations document their 401; open ones need no security.
            let needs_auth = !security.is_empty();
            assert_eq!(
                responses.contains_key("401"),
                needs_auth,
                "{at}: 401 documented iff secured"
            );
            // Path parameters are declared.
            let params: Vec<&Value> = op["parameters"]
                .as_array()
                .map(|p| p.iter().map(|x| resolve(d, x)).collect())
                .unwrap_or_default();
            for seg in path.split('/').filter(|s| s.starts_with('{')) {
                let name = seg.trim_matches(['{', '}']);
                assert!(
                    params
                        .iter()
                        .any(|p| p["name"] == name && p["in"] == "path" && p["required"] == true),
                    "{at}: path parameter {name} not declared"
                );
            }
            for p in &params {
                assert!(p["schema"].is_object(), "{at}: parameter {} has no schema", p["name"]);
            }
            if method == "post" {
                assert!(
                    op["requestBody"]["content"]["application/json"]["schema"].is_object(),
                    "{at}: body"
                );
            }
        }
    }
}

/// The validator is not vacuous: it rejects what the document forbids.
#[test]
fn the_validator_rejects_wrong_types_and_undocumented_fields() {
    let d = doc();
    let session = json!({"$ref": "#/components/schemas/Session"});
    let good = json!({
        "center_id": 1, "name": "A", "name_l": "", "address": "B", "address_l": "", "state_name": "S",
        "state_name_l": "", "district_name": "D", "district_name_l": "", "block_name": "X", "block_name_l": "",
        "pincode": 400051, "lat": 19.1, "long": 72.8, "from": "09:00:00", "to": "17:00:00", "fee_type": "Free",
        "session_id": "6f1c1a54-2d1e-4f5b-9a0e-3c9f5a7e2b11", "date": "01-06-2021", "available_capacity": 2,
        "available_capacity_dose1": 1, "available_capacity_dose2": 1, "fee": "0", "min_age_limit": 18,
        "allow_all_age": true, "vaccine": "COVISHIELD", "slots": ["09:00AM-11:00AM"]
    });
    validate(d, &session, &good, "$").unwrap();
    let mutations: Vec<(&str, Value)> = vec![
        ("pincode", json!("400051")),
        ("slots", json!([{"time": "09:00AM-11:00AM", "seats": 1}])),
        ("fee_type", json!("free")),
        ("session_id", json!("not-a-uuid")),
        ("available_capacity", json!(1.5)),
        ("allow_all_age", json!("true")),
        ("unexpected", json!(1)),
    ];
    for (field, value) in mutations {
        let mut bad = good.clone();
        bad[field] = value;
        assert!(validate(d, &session, &bad, "$").is_err(), "{field} should be rejected");
    }
    let mut missing = good.clone();
    missing.as_object_mut().unwrap().remove("available_capacity_dose2");
    assert!(validate(d, &session, &missing, "$").is_err());
    let by_center = json!({"$ref": "#/components/schemas/CalendarByCenterResponse"});
    validate(d, &by_center, &json!({"centers": {}}), "$").unwrap();
    assert!(validate(d, &by_center, &json!({"centers": []}), "$").is_err());
    assert!(validate(d, &by_center, &json!({"centers": {"center_id": 1}}), "$").is_err());
}

/// Every documented path answers (no 404/405) for its documented method.
async fn every_documented_operation_is_served(backend: Backend) {
    let app = TestApp::new(backend).await;
    for (method, path) in documented_operations() {
        let concrete = path.replace("{state_id}", "21");
        let method = Method::from_bytes(method.as_bytes()).unwrap();
        let res = app.call(method.clone(), format!("{SERVER_BASE}{concrete}")).send().await;
        assert!(
            res.status != StatusCode::NOT_FOUND && res.status != StatusCode::METHOD_NOT_ALLOWED,
            "{method} {path}: {}",
            res.status
        );
        // The other methods are not served on documented paths.
        let other = if method == Method::GET { Method::POST } else { Method::GET };
        let res =
            app.call(other.clone(), format!("{SERVER_BASE}{concrete}")).unchecked().send().await;
        assert_eq!(res.status, StatusCode::METHOD_NOT_ALLOWED, "{other} {path}");
    }
}

/// Drives every operation through its main outcomes, validating each body explicitly, and checks
/// that every documented operation was seen succeeding with a documented status.
async fn real_responses_match_the_document(backend: Backend) {
    let app = TestApp::new(backend).await;
    let seen = std::sync::Mutex::new(Vec::<(String, String, u16)>::new());
    let record = |method: &str, uri: &str, res: &crate::harness::Resp| {
        let path = uri.split('?').next().unwrap();
        let m = Method::from_bytes(method.as_bytes()).unwrap();
        let (template, op) =
            crate::schema::operation(&m, path).unwrap_or_else(|| panic!("{uri} undocumented"));
        let status = res.status.as_u16();
        assert!(op["responses"].get(status.to_string()).is_some(), "{method} {template}: {status}");
        if res.header(header::CONTENT_TYPE) == Some("application/json") {
            let schema = &resolve(doc(), &op["responses"][status.to_string()])["content"]["application/json"]
                ["schema"];
            let body = if res.header(header::CONTENT_ENCODING) == Some("gzip") {
                crate::schema::gunzip(&res.body)
            } else {
                res.body.to_vec()
            };
            let v: Value = serde_json::from_slice(&body).unwrap();
            validate(doc(), schema, &v, "$").unwrap_or_else(|e| panic!("{method} {template}: {e}"));
        }
        seen.lock().unwrap().push((method.to_owned(), template.to_owned(), status));
    };
    let get = |uri: String, token: Option<&str>| {
        let mut call = app.get(&uri);
        if let Some(t) = token {
            call = call.bearer(t);
        }
        let record = &record;
        async move {
            let res = call.send().await;
            record("GET", &uri, &res);
            res
        }
    };
    let post = |uri: &'static str, token: Option<&str>, body: Value, key: bool| {
        let mut call = app.post(uri).json(&body);
        if let Some(t) = token {
            call = call.bearer(t);
        }
        if key {
            call = call.header("x-api-key", API_KEY);
        }
        let record = &record;
        async move {
            let res = call.send().await;
            record("POST", uri, &res);
            res
        }
    };

    // Auth, all three flows.
    let m = mobile(1);
    let res = post("/api/v2/auth/generateOTP", None, json!({"mobile": m}), true).await;
    let txn = res.json()["txnId"].as_str().unwrap().to_owned();
    let otp = app.otp_sent_to(&m);
    let res =
        post("/api/v2/auth/confirmOTP", None, json!({"otp": sha256_hex(&otp), "txnId": txn}), true)
            .await;
    let token = res.json()["token"].as_str().unwrap().to_owned();
    post("/api/v2/auth/generateOTP", None, json!({"mobile": m}), false)
        .await
        .assert_unauthenticated();
    post("/api/v2/auth/confirmOTP", None, json!({"otp": sha256_hex(&otp), "txnId": txn}), true)
        .await
        .assert_error(StatusCode::BAD_REQUEST, "USRAUT0017");
    let res = post("/api/v2/auth/public/generateOTP", None, json!({"mobile": m}), false).await;
    let txn = res.json()["txnId"].as_str().unwrap().to_owned();
    let otp = app.otp_sent_to(&m);
    let res = post(
        "/api/v2/auth/public/confirmOTP",
        None,
        json!({"otp": sha256_hex(&otp), "txnId": txn}),
        false,
    )
    .await;
    let public = res.json()["token"].as_str().unwrap().to_owned();
    post("/api/v2/auth/public/confirmOTP", None, json!({"otp": "1", "txnId": txn}), false).await;
    let res =
        post("/api/v2/auth/generateMobileOTP", None, json!({"mobile": m, "secret": "x"}), false)
            .await;
    let txn = res.json()["txnId"].as_str().unwrap().to_owned();
    let otp = app.otp_sent_to(&m);
    post(
        "/api/v2/auth/validateMobileOtp",
        None,
        json!({"otp": sha256_hex(&otp), "txnId": txn}),
        false,
    )
    .await;
    post("/api/v2/auth/generateMobileOTP", None, json!({}), false).await;

    // Metadata.
    get("/api/v2/admin/location/states".into(), None).await;
    get("/api/v2/admin/location/districts/21".into(), None).await;
    get("/api/v2/admin/location/districts/0".into(), None).await;
    get("/api/v2/registration/beneficiary/idTypes".into(), Some(&token)).await;
    get("/api/v2/registration/beneficiary/genders".into(), Some(&token)).await;
    get("/api/v2/registration/beneficiary/genders".into(), None).await;

    // Beneficiaries.
    let res = post(
        "/api/v2/registration/beneficiary/new",
        Some(&token),
        json!({"name": "Asha Rao",
        "birth_year": "1985", "gender_id": 2, "photo_id_type": 1, "photo_id_number": aadhaar(1)}),
        false,
    )
    .await;
    let reference = res.json()["beneficiary_reference_id"].as_str().unwrap().to_owned();
    let res = post(
        "/api/v2/registration/beneficiary/new",
        Some(&token),
        json!({"name": "Ravi Rao",
        "birth_year": "1980", "gender_id": 1, "photo_id_type": 1, "photo_id_number": aadhaar(2)}),
        false,
    )
    .await;
    let spare = res.json()["beneficiary_reference_id"].as_str().unwrap().to_owned();
    post(
        "/api/v2/registration/beneficiary/new",
        Some(&token),
        json!({"name": "Dup",
        "birth_year": "1980", "gender_id": 1, "photo_id_type": 1, "photo_id_number": aadhaar(2)}),
        false,
    )
    .await
    .assert_error(StatusCode::CONFLICT, "BENREG0001");
    post("/api/v2/registration/beneficiary/new", Some(&token), json!({"name": "Bad"}), false).await;
    get("/api/v2/appointment/beneficiaries".into(), Some(&token)).await;
    get("/api/v2/appointment/beneficiaries".into(), Some(&public)).await.assert_unauthenticated();

    // Search, public and protected, with gzip too.
    let today = app.date(0);
    for (base, t) in [
        ("/api/v2/appointment/sessions/public", None),
        ("/api/v2/appointment/sessions", Some(token.as_str())),
    ] {
        for q in [
            format!("findByPin?pincode=400051&date={today}"),
            format!("findByDistrict?district_id=395&date={today}"),
            format!("calendarByPin?pincode=400051&date={today}"),
            format!("calendarByDistrict?district_id=403&date={today}"),
            "findByPin?pincode=400051&date=99-99-9999".to_owned(),
        ] {
            get(format!("{base}/{q}"), t).await;
        }
    }
    let res = app
        .get(format!(
            "/api/v2/appointment/sessions/public/calendarByDistrict?district_id=395&date={today}"
        ))
        .header("accept-encoding", "gzip")
        .send()
        .await;
    record("GET", "/api/v2/appointment/sessions/public/calendarByDistrict", &res);
    get(
        format!(
            "/api/v2/appointment/sessions/public/calendarByCenter?center_id={BKC}&date={today}"
        ),
        None,
    )
    .await;
    get(
        format!("/api/v2/appointment/sessions/public/calendarByCenter?center_id=1&date={today}"),
        None,
    )
    .await;
    get("/api/v2/appointment/centers/public/findByLatLong?lat=19.07&long=72.87".into(), None).await;
    get("/api/v2/appointment/centers/findByLatLong?lat=19.07&long=72.87".into(), Some(&token))
        .await;
    get("/api/v2/appointment/centers/findByLatLong?lat=x&long=72.87".into(), Some(&token)).await;

    // Appointments.
    let res = post(
        "/api/v2/appointment/schedule",
        Some(&token),
        json!({"dose": 1, "session_id":
        app.s.today.to_string(), "slot": SLOTS[0], "beneficiaries": [reference]}),
        false,
    )
    .await;
    let id = res.json()["appointment_id"].as_str().unwrap().to_owned();
    get("/api/v2/appointment/beneficiaries".into(), Some(&token)).await;
    post(
        "/api/v2/appointment/schedule",
        Some(&token),
        json!({"dose": 1, "session_id":
        app.s.today.to_string(), "slot": "x", "beneficiaries": [reference]}),
        false,
    )
    .await;
    post(
        "/api/v2/appointment/schedule",
        Some(&token),
        json!({"dose": 1, "session_id":
        app.s.today.to_string(), "slot": SLOTS[0], "beneficiaries": [reference]}),
        false,
    )
    .await;
    get(format!("/api/v2/appointment/appointmentslip/download?appointment_id={id}"), Some(&token))
        .await;
    post(
        "/api/v2/appointment/reschedule",
        Some(&token),
        json!({"appointment_id": id, "session_id":
        app.s.covaxin.to_string(), "slot": SLOTS[1]}),
        false,
    )
    .await
    .assert_no_content();
    post(
        "/api/v2/registration/beneficiary/delete",
        Some(&token),
        json!({"beneficiary_reference_id": reference}),
        false,
    )
    .await
    .assert_error(StatusCode::CONFLICT, "BENREG0003");
    post(
        "/api/v2/appointment/cancel",
        Some(&token),
        json!({"appointment_id": id, "beneficiariesToCancel": null}),
        false,
    )
    .await
    .assert_no_content();
    post("/api/v2/appointment/cancel", Some(&token), json!({"appointment_id": id}), false).await;
    post(
        "/api/v2/appointment/reschedule",
        Some(&token),
        json!({"appointment_id": id, "session_id":
        app.s.covaxin.to_string(), "slot": SLOTS[1]}),
        false,
    )
    .await;
    get(format!("/api/v2/appointment/appointmentslip/download?appointment_id={id}"), Some(&token))
        .await;
    post(
        "/api/v2/registration/beneficiary/delete",
        Some(&token),
        json!({"beneficiary_reference_id": spare}),
        false,
    )
    .await
    .assert_no_content();
    get(
        format!("/api/v2/registration/certificate/download?beneficiary_reference_id={reference}"),
        Some(&token),
    )
    .await;
    get(
        format!(
            "/api/v2/registration/certificate/public/download?beneficiary_reference_id={reference}"
        ),
        Some(&public),
    )
    .await;

    let seen = seen.into_inner().unwrap();
    for (method, path) in documented_operations() {
        let statuses: BTreeSet<u16> = seen
            .iter()
            .filter(|(m, p, _)| *m == method && *p == path)
            .map(|(_, _, s)| *s)
            .collect();
        assert!(!statuses.is_empty(), "{method} {path} was not exercised");
        if !NO_SUCCESS_YET.contains(&path.as_str()) {
            assert!(
                statuses.iter().any(|s| (200..300).contains(s)),
                "{method} {path} never succeeded: {statuses:?}"
            );
        }
        let documented: BTreeSet<u16> =
            doc()["paths"][&path][method.to_ascii_lowercase()]["responses"]
                .as_object()
                .unwrap()
                .keys()
                .map(|k| k.parse().unwrap())
                .collect();
        assert!(statuses.is_subset(&documented), "{method} {path}: {statuses:?} vs {documented:?}");
    }
    assert!(seen.iter().any(|(_, p, _)| template_matches(p, "/v2/admin/location/districts/0")));
}

async fn the_server_serves_the_document(backend: Backend) {
    let app = TestApp::new(backend).await;
    let res = app.get("/api/openapi.json").send().await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.header(header::CONTENT_TYPE), Some("application/json"));
    let file = std::fs::read(crate::schema::OPENAPI_FILE).unwrap();
    assert_eq!(res.body.to_vec(), file);
    assert_eq!(tika_server::app::OPENAPI_JSON.as_bytes(), file.as_slice());
    assert_eq!(&res.json(), doc());
}

on_both_backends!(
    every_documented_operation_is_served,
    real_responses_match_the_document,
    the_server_serves_the_document,
);
