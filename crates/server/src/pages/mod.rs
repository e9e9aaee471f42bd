//! The citizen's web pages (server-rendered, English and Hindi).
//!
//! Plain HTML forms that work without JavaScript on a small phone; `app.js` only adds the
//! district list on state change and confirmation dialogs.  Handlers call [`crate::services`]
//! and render askama templates from `crates/server/templates/`; errors become HTML pages in the
//! citizen's language (see [`context`]).  Login is the OTP flow of the web portal: the JWT is
//! kept in an `HttpOnly` cookie, and every form carries a CSRF token bound to it.
//!
//! | route | what |
//! |---|---|
//! | `GET /` | search by pincode or district, with filters |
//! | `GET /login`, `POST /login/otp`, `POST /login/verify`, `POST /logout` | OTP login |
//! | `GET /account` | members and appointments |
//! | `GET/POST /account/add`, `POST /account/remove` | add or remove a member |
//! | `GET/POST /book` | book a session |
//! | `GET/POST /reschedule` | move an appointment |
//! | `POST /cancel` | cancel an appointment |
//! | `GET /slip` | the appointment slip (PDF) |
//! | `GET /static/…` | CSS and JavaScript |
//! | `/console/…` | the officials' console ([`console`]) |

mod account;
mod booking;
pub(crate) mod charts;
pub(crate) mod console;
pub(crate) mod context;
pub(crate) mod dashboard;
mod home;
pub(crate) mod i18n;
mod login;
mod site;
mod verify;

#[cfg(test)]
mod tests;

use axum::Router;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};

use crate::state::AppState;

const APP_CSS: &str = include_str!("../../static/app.css");
const APP_JS: &str = include_str!("../../static/app.js");
const FAVICON: &[u8] = include_bytes!("../../static/favicon.svg");

fn asset(body: &'static [u8], content_type: &'static str) -> Response {
    let mut res = body.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"));
    res
}

/// The verification page alone (what a read-only server serves).
pub fn verify_router() -> Router<AppState> {
    verify::router().layer(axum::middleware::from_fn(context::middleware))
}

/// The page routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/", get(home::home))
        .route("/login", get(login::show))
        .route("/login/otp", post(login::send_otp))
        .route("/login/verify", post(login::verify_otp))
        .route("/logout", post(login::logout))
        .route("/account", get(account::show))
        .route("/account/add", get(account::add_form).post(account::add))
        .route("/account/remove", post(account::remove))
        .route("/cancel", post(account::cancel))
        .route("/slip", get(account::slip))
        .route("/certificate", get(account::certificate))
        .route("/account/correction", post(account::request_correction))
        .route("/book", get(booking::show_book).post(booking::book))
        .route("/reschedule", get(booking::show_reschedule).post(booking::reschedule))
        .route(
            "/static/app.css",
            get(|| async { asset(APP_CSS.as_bytes(), "text/css; charset=utf-8") }),
        )
        .route(
            "/static/app.js",
            get(|| async { asset(APP_JS.as_bytes(), "text/javascript; charset=utf-8") }),
        )
        .route("/favicon.ico", get(|| async { asset(FAVICON, "image/svg+xml") }))
        .merge(console::router())
        .merge(site::router())
        .merge(verify::router())
        .fallback(|| async { context::PageError::from(crate::error::ApiError::NotFound) })
        .layer(axum::middleware::from_fn(context::middleware))
}
