//! The vaccinator's site app (`/site/`): an offline-first single page over the site API.
//!
//! The app is static: a shell page and dependency-free scripts in `crates/server/static/site/`,
//! embedded in the binary.  The server only picks the shell's language (`?lang=`, else the
//! `tika_lang` cookie, else English: a shared site phone should not follow one browser's
//! `Accept-Language`) and stamps the service worker with a hash of the app's files, so any change
//! to them makes browsers install a new worker and re-cache the shell.  Everything else happens
//! in the browser against `/api/site/v1` (see `docs/SITE-API.md`).
//!
//! | route | what |
//! |---|---|
//! | `GET /site/` | the shell (`/site` redirects here) |
//! | `GET /site/app.js`, `/site/i18n.js`, `/site/app.css` | the app |
//! | `GET /site/sw.js` | the service worker (`Service-Worker-Allowed: /site/`) |
//! | `GET /site/manifest.webmanifest` | the web app manifest |

use std::sync::LazyLock;

use axum::Router;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use sha2::{Digest, Sha256};

use super::context::{LANG_COOKIE, QueryFields, cookie, redirect};
use super::i18n;
use crate::services::search::Lang;
use crate::state::AppState;

const SHELL: &str = include_str!("../../static/site/index.html");
const APP_JS: &str = include_str!("../../static/site/app.js");
const I18N_JS: &str = include_str!("../../static/site/i18n.js");
const APP_CSS: &str = include_str!("../../static/site/app.css");
const SW_JS: &str = include_str!("../../static/site/sw.js");
const MANIFEST: &str = include_str!("../../static/site/manifest.webmanifest");

/// The service worker with its cache version: a hash of everything it caches.
static SERVICE_WORKER: LazyLock<String> = LazyLock::new(|| {
    let mut h = Sha256::new();
    for file in [SHELL, APP_JS, I18N_JS, APP_CSS, MANIFEST, SW_JS] {
        h.update(file.as_bytes());
        h.update([0]);
    }
    SW_JS.replace("{version}", &hex::encode(&h.finalize()[..8]))
});

/// The site app's routes.
pub(crate) fn router() -> Router<AppState> {
    Router::new()
        .route("/site", get(|| async { redirect("/site/") }))
        .route("/site/", get(shell))
        .route("/site/app.js", get(|| async { asset(APP_JS, "text/javascript; charset=utf-8") }))
        .route("/site/i18n.js", get(|| async { asset(I18N_JS, "text/javascript; charset=utf-8") }))
        .route("/site/app.css", get(|| async { asset(APP_CSS, "text/css; charset=utf-8") }))
        .route(
            "/site/manifest.webmanifest",
            get(|| async { asset(MANIFEST, "application/manifest+json") }),
        )
        .route("/site/sw.js", get(service_worker))
}

/// Assets are revalidated on every fetch: the service worker is their cache, and it must
/// never precache a stale copy from the HTTP cache.
pub(super) fn asset(body: &'static str, content_type: &'static str) -> Response {
    let mut res = body.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    res
}

async fn service_worker() -> Response {
    let mut res = asset(SERVICE_WORKER.as_str(), "text/javascript; charset=utf-8");
    res.headers_mut().insert("service-worker-allowed", HeaderValue::from_static("/site/"));
    res
}

async fn shell(QueryFields(query): QueryFields, headers: HeaderMap) -> Html<String> {
    let lang = query
        .get("lang")
        .and_then(i18n::parse)
        .or_else(|| cookie(&headers, LANG_COOKIE).and_then(|c| i18n::parse(&c)))
        .unwrap_or(Lang::En);
    Html(render_shell(lang))
}

/// The shell in a language; the app script translates the rest (also when loaded offline).
fn render_shell(lang: Lang) -> String {
    let (title, loading, noscript) = match lang {
        Lang::En => ("Tika site", "Loading…", "This app needs JavaScript."),
        Lang::Hi => ("टीका साइट", "लोड हो रहा है…", "इस ऐप के लिए JavaScript ज़रूरी है।"),
    };
    SHELL
        .replace("{lang}", i18n::code(lang))
        .replace("{title}", title)
        .replace("{loading}", loading)
        .replace("{noscript}", noscript)
}
