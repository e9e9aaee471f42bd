//! The certificate verification page (`/verify/`): works offline once loaded.
//!
//! Static files in `crates/server/static/verify/`, embedded in the binary.  The server fills
//! two placeholders in the page: the public keys document (`__TIKA_TRUST__`) and the current
//! signed revocation list (`__TIKA_REVOCATIONS__`), so an officer who opened the page once
//! carries both; the service worker keeps the page and everything it needs.  The page checks
//! the signature in the browser (jsonld.js for URDNA2015 in safe mode, `WebCrypto` for Ed25519 and
//! RSA-PSS); nothing is sent to the server.
//!
//! | route | what |
//! |---|---|
//! | `GET /verify/` | the page (`/verify` redirects here) |
//! | `GET /verify/{verify.js,i18n.js,verify.css,sw.js}` | the app |
//! | `GET /verify/vendor/{jsQR.js,jsonld.min.js}` | vendored libraries (licences in `vendor/LICENSES.md`) |
//! | `GET /verify/contexts/*.json` | the JSON-LD contexts |

use std::sync::LazyLock;

use axum::Router;
use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use sha2::{Digest, Sha256};

use super::context::redirect;
use super::site::asset;
use crate::state::AppState;

const PAGE: &str = include_str!("../../static/verify/index.html");
const VERIFY_JS: &str = include_str!("../../static/verify/verify.js");
const I18N_JS: &str = include_str!("../../static/verify/i18n.js");
const CSS: &str = include_str!("../../static/verify/verify.css");
const SW_JS: &str = include_str!("../../static/verify/sw.js");
const JSQR: &str = include_str!("../../static/verify/vendor/jsQR.js");
const JSONLD: &str = include_str!("../../static/verify/vendor/jsonld.min.js");
const CONTEXTS: [(&str, &str); 5] = [
    ("credentials-v1.json", include_str!("../../static/verify/contexts/credentials-v1.json")),
    ("security-v1.json", include_str!("../../static/verify/contexts/security-v1.json")),
    ("security-v2.json", include_str!("../../static/verify/contexts/security-v2.json")),
    ("vaccination-v1.json", include_str!("../../static/verify/contexts/vaccination-v1.json")),
    ("vaccination-v2.json", include_str!("../../static/verify/contexts/vaccination-v2.json")),
];

static SERVICE_WORKER: LazyLock<String> = LazyLock::new(|| {
    let mut h = Sha256::new();
    for file in [PAGE, VERIFY_JS, I18N_JS, CSS, SW_JS, JSQR, JSONLD] {
        h.update(file.as_bytes());
        h.update([0]);
    }
    for (_, c) in CONTEXTS {
        h.update(c.as_bytes());
    }
    SW_JS.replace("{version}", &hex::encode(&h.finalize()[..8]))
});

/// The verification page's routes.
pub(crate) fn router() -> Router<AppState> {
    let js = "text/javascript; charset=utf-8";
    let mut r = Router::new()
        .route("/verify", get(|| async { redirect("/verify/") }))
        .route("/verify/", get(page))
        .route("/verify/verify.js", get(move || async move { asset(VERIFY_JS, js) }))
        .route("/verify/i18n.js", get(move || async move { asset(I18N_JS, js) }))
        .route("/verify/verify.css", get(|| async { asset(CSS, "text/css; charset=utf-8") }))
        .route("/verify/vendor/jsQR.js", get(move || async move { asset(JSQR, js) }))
        .route("/verify/vendor/jsonld.min.js", get(move || async move { asset(JSONLD, js) }))
        .route("/verify/sw.js", get(service_worker));
    for (name, body) in CONTEXTS {
        r = r.route(
            &format!("/verify/contexts/{name}"),
            get(move || async move { asset(body, "application/json") }),
        );
    }
    r
}

async fn service_worker() -> Response {
    let mut res = asset(SERVICE_WORKER.as_str(), "text/javascript; charset=utf-8");
    res.headers_mut().insert("service-worker-allowed", HeaderValue::from_static("/verify/"));
    res
}

/// JSON for a `<script type="application/json">` element: `<` escaped so no `</script>`.
fn script_json(json: &str) -> String {
    json.replace('<', "\\u003c")
}

async fn page(State(state): State<AppState>) -> Response {
    let (trust, revocations) = match state.certificates.as_deref() {
        Some(auth) => {
            let jws = match crate::services::certificates::revocation_jws(&state).await {
                Ok(j) => serde_json::Value::String(j.to_string()).to_string(),
                Err(e) => {
                    tracing::warn!(error = %e, "revocation list unavailable for the verify page");
                    "null".to_owned()
                }
            };
            (auth.keys_json().to_owned(), jws)
        }
        None => ("{\"issuer\":\"\",\"did\":\"\",\"keys\":[]}".to_owned(), "null".to_owned()),
    };
    let body = PAGE
        .replace("__TIKA_TRUST__", &script_json(&trust))
        .replace("__TIKA_REVOCATIONS__", &script_json(&revocations));
    let mut res = Html(body).into_response();
    res.headers_mut().insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_json_cannot_close_the_script_element() {
        let s = script_json(r#"{"a":"</script><script>alert(1)</script>"}"#);
        assert!(!s.contains("</script"));
        let back: serde_json::Value = serde_json::from_str(&s).unwrap();
        assert_eq!(back["a"], "</script><script>alert(1)</script>");
    }

    #[test]
    fn service_worker_is_stamped_with_a_version() {
        assert!(!SERVICE_WORKER.contains("{version}"));
        assert!(PAGE.contains("__TIKA_TRUST__") && PAGE.contains("__TIKA_REVOCATIONS__"));
    }
}
