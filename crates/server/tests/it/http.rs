//! HTTP surroundings: CORS, health, metrics, unknown paths, clients that send few headers.

use axum::http::{Method, StatusCode, header};
use tika_storage::Backend;
use tika_test_support::on_both_backends;

use crate::harness::TestApp;

async fn cors_preflight_and_headers(backend: Backend) {
    let app = TestApp::new(backend).await;
    for path in ["/api/v2/appointment/schedule", "/api/v2/appointment/sessions/public/findByPin"] {
        let res = app
            .call(Method::OPTIONS, path)
            .header("origin", "https://selfregistration.example")
            .header("access-control-request-method", "POST")
            .header("access-control-request-headers", "authorization, x-api-key, content-type")
            .send()
            .await;
        assert!(res.status.is_success(), "{path}: {}", res.status);
        assert_eq!(res.header(header::ACCESS_CONTROL_ALLOW_ORIGIN), Some("*"));
        let methods = res.header(header::ACCESS_CONTROL_ALLOW_METHODS).unwrap_or_default();
        assert!(methods == "*" || methods.contains("POST"), "{methods}");
        let headers = res
            .header(header::ACCESS_CONTROL_ALLOW_HEADERS)
            .unwrap_or_default()
            .to_ascii_lowercase();
        assert!(
            headers == "*"
                || ["authorization", "x-api-key", "content-type"]
                    .iter()
                    .all(|h| headers.contains(h)),
            "{headers}"
        );
    }
    // Ordinary answers, successful or not, carry the header.
    let res = app
        .get("/api/v2/admin/location/states")
        .header("origin", "https://selfregistration.example")
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.header(header::ACCESS_CONTROL_ALLOW_ORIGIN), Some("*"));
    let res = app
        .get("/api/v2/appointment/beneficiaries")
        .header("origin", "https://selfregistration.example")
        .send()
        .await;
    res.assert_unauthenticated();
    assert_eq!(res.header(header::ACCESS_CONTROL_ALLOW_ORIGIN), Some("*"));
    let res = app
        .get(format!(
            "/api/v2/appointment/sessions/public/findByPin?pincode=1&date={}",
            app.date(0)
        ))
        .header("origin", "null")
        .send()
        .await;
    res.assert_error(StatusCode::BAD_REQUEST, "APPOIN0018");
    assert_eq!(res.header(header::ACCESS_CONTROL_ALLOW_ORIGIN), Some("*"));
}

async fn health_and_metrics(backend: Backend) {
    let app = TestApp::new(backend).await;
    let res = app.get("/healthz").send().await;
    assert_eq!((res.status, res.text().as_str()), (StatusCode::OK, "ok"));
    let res = app.get("/readyz").send().await;
    assert_eq!((res.status, res.text().as_str()), (StatusCode::OK, "ready"));

    let (token, reference) = app.citizen(1).await;
    app.book(&token, app.s.today, 1, &[&reference]).await;
    let res = app.get("/metrics").send().await;
    assert_eq!(res.status, StatusCode::OK);
    let text = res.text();
    assert!(text.contains("tika_http_requests_total"), "{text}");
    assert!(text.contains(r#"tika_bookings_total{outcome="booked"} 1"#), "{text}");
    assert!(
        text.contains(r#"route="/api/v2/appointment/schedule""#),
        "requests are counted by route template: {text}"
    );
    assert!(!text.contains(&reference) && !text.contains(&token), "no personal data in metrics");
}

async fn unknown_paths_are_json_404s(backend: Backend) {
    let app = TestApp::new(backend).await;
    for path in [
        "/api/v2/nope",
        "/api/v3/vaccination/status",
        "/api/v2/appointment/sessions/public/findByPin/x",
        "/api/nope",
    ] {
        let res = app.get(path).header("origin", "https://example.org").send().await;
        res.assert_error(StatusCode::NOT_FOUND, "USRRES0404");
        assert!(res.header(header::CONTENT_TYPE).unwrap().starts_with("application/json"));
        // A browser client must be able to read the 404 too.
        assert_eq!(res.header(header::ACCESS_CONTROL_ALLOW_ORIGIN), Some("*"), "{path}");
    }
    // Outside the API, an unknown page is a 404 too (the citizen's HTML page).
    let res = app.get("/nope").send().await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
}

async fn clients_without_user_agent_or_accept_are_served(backend: Backend) {
    let app = TestApp::new(backend).await;
    // The harness sends no User-Agent and no Accept unless told; spell it out once anyway.
    let (req, _) = app
        .get(format!(
            "/api/v2/appointment/sessions/public/calendarByPin?pincode=400051&date={}",
            app.date(0)
        ))
        .request();
    assert!(
        req.headers().get(header::USER_AGENT).is_none()
            && req.headers().get(header::ACCEPT).is_none()
    );
    let res = crate::harness::send_to(tika_server::app::router(app.state.clone()), req, true).await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(res.json()["centers"].as_array().unwrap().len(), 1);
    // And a browser-like request with odd Accept works the same.
    let res = app
        .get(format!(
            "/api/v2/appointment/sessions/public/calendarByPin?pincode=400051&date={}",
            app.date(0)
        ))
        .header("user-agent", "Mozilla/5.0 (X11; Linux x86_64) Chrome/90.0")
        .header("accept", "text/html")
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK);
}

on_both_backends!(
    cors_preflight_and_headers,
    health_and_metrics,
    unknown_paths_are_json_404s,
    clients_without_user_agent_or_accept_are_served,
);
