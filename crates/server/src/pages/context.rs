//! What every page handler stands on: the language, cookies, login, CSRF, flash messages,
//! form decoding and HTML error pages.
//!
//! A middleware ([`middleware`]) reads the request once into a [`PageEnv`] (language, cookies,
//! the language-switch link) and, after the handler, renders errors as HTML, sets or clears
//! cookies and adds security headers.  Handlers take a [`Ctx`], which verifies the login cookie
//! and carries the [`Layout`] every template needs.

use std::sync::Arc;

use askama::Template;
use axum::extract::{FromRequest, FromRequestParts, Request};
use axum::http::request::Parts;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{Html, IntoResponse, Response};
use hmac::{Hmac, KeyInit, Mac};
use parking_lot::Mutex;
use rand::Rng;
use sha2::Sha256;

use super::i18n::{self, Message, Texts};
use crate::error::ApiError;
use crate::keys::ct_eq;
use crate::services::auth::{Principal, Scope, verify_token};
use crate::services::search::Lang;
use crate::state::AppState;

/// The login cookie (the JWT).
pub(crate) const TOKEN_COOKIE: &str = "tika_token";
/// The chosen language.
pub(crate) const LANG_COOKIE: &str = "tika_lang";
/// A random per-browser value that CSRF tokens are bound to (with the login token).
pub(crate) const CSRF_COOKIE: &str = "tika_csrf";
/// A one-shot message for the next page.
pub(crate) const FLASH_COOKIE: &str = "tika_flash";
/// The hidden form field carrying the CSRF token.
pub(crate) const CSRF_FIELD: &str = "csrf";

const CSP: &str = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; \
                   object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

// ---------------------------------------------------------------------------------------------
// Cookies and URL encoding

/// The value of a cookie in the request.
pub(crate) fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.trim().trim_matches('"').to_owned())
        .filter(|v| !v.is_empty())
}

/// Appends a `Set-Cookie` (`HttpOnly; SameSite=Lax; Path=/`, and `Secure` behind HTTPS).
pub(crate) fn set_cookie(
    headers: &mut HeaderMap,
    name: &str,
    value: &str,
    max_age: Option<u64>,
    secure: bool,
) {
    let mut c = format!("{name}={value}; Path=/; HttpOnly; SameSite=Lax");
    if let Some(age) = max_age {
        c.push_str(&format!("; Max-Age={age}"));
    }
    if secure {
        c.push_str("; Secure");
    }
    if let Ok(v) = HeaderValue::from_str(&c) {
        headers.append(header::SET_COOKIE, v);
    }
}

/// Percent-decodes one `application/x-www-form-urlencoded` component.
fn decode_component(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex_val(bytes[i + 1]), hex_val(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn hex_val(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'a'..=b'f' => Some(b - b'a' + 10),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Percent-encodes a query component.
pub(crate) fn encode(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// Decoded `name=value` pairs of a query string or a form body; names may repeat.
#[derive(Debug, Clone, Default)]
pub(crate) struct Fields(Vec<(String, String)>);

impl Fields {
    /// Parses `a=1&b=2`.
    pub(crate) fn parse(s: &str) -> Self {
        Self(
            s.split('&')
                .filter(|p| !p.is_empty())
                .map(|p| {
                    let (k, v) = p.split_once('=').unwrap_or((p, ""));
                    (decode_component(k), decode_component(v))
                })
                .collect(),
        )
    }

    /// A value, trimmed; `None` when absent or blank.
    pub(crate) fn get(&self, name: &str) -> Option<&str> {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.trim()).filter(|v| !v.is_empty())
    }

    /// A value or the empty string.
    pub(crate) fn text(&self, name: &str) -> String {
        self.get(name).unwrap_or_default().to_owned()
    }

    /// A value exactly as sent (passwords), or the empty string.
    pub(crate) fn raw(&self, name: &str) -> String {
        self.0.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone()).unwrap_or_default()
    }

    /// Every non-blank value of a repeated name.
    pub(crate) fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, v)| k == name && !v.trim().is_empty())
            .map(|(_, v)| v.trim().to_owned())
            .collect()
    }
}

/// The query string, decoded.
pub(crate) struct QueryFields(pub(crate) Fields);

impl<S: Send + Sync> FromRequestParts<S> for QueryFields {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(QueryFields(Fields::parse(parts.uri.query().unwrap_or_default())))
    }
}

/// A urlencoded form body, decoded.
pub(crate) struct FormFields(pub(crate) Fields);

impl<S: Send + Sync> FromRequest<S> for FormFields {
    type Rejection = PageError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = axum::body::Bytes::from_request(req, state)
            .await
            .map_err(|_| ApiError::bad_request("USRRES0001", "Request body could not be read"))?;
        let text = String::from_utf8_lossy(&bytes);
        Ok(FormFields(Fields::parse(&text)))
    }
}

/// A local path to go back to after logging in (never another site).
pub(crate) fn safe_next(next: Option<&str>) -> Option<String> {
    let n = next?.trim();
    let ok = n.starts_with('/')
        && !n.starts_with("//")
        && !n.starts_with("/\\")
        && n.len() <= 512
        && n.chars().all(|c| c.is_ascii_graphic() && c != '\\');
    ok.then(|| n.to_owned())
}

// ---------------------------------------------------------------------------------------------
// Per-request environment and layout

/// What the middleware read from the request.
#[derive(Clone)]
pub(crate) struct PageEnv {
    pub(crate) lang: Lang,
    lang_chosen: Option<Lang>,
    pub(crate) csrf_seed: String,
    pub(crate) csrf_is_new: bool,
    token: Option<String>,
    /// The officials' console login cookie.
    pub(crate) console_token: Option<String>,
    pub(crate) flash: Option<String>,
    pub(crate) toggle_href: String,
    pub(crate) secure: bool,
    layout_slot: Arc<Mutex<Option<Layout>>>,
    /// The console's layout, once a console page built it (for its error pages).
    pub(crate) console_slot: Arc<Mutex<Option<super::console::ConsoleLayout>>>,
    /// `Set-Cookie` values an extractor wants on the response (a refreshed console login).
    pub(crate) extra_cookies: Arc<Mutex<Vec<HeaderValue>>>,
    referer: Option<String>,
}

impl PageEnv {
    pub(crate) fn read(method: &Method, uri: &axum::http::Uri, headers: &HeaderMap) -> Self {
        let query = Fields::parse(uri.query().unwrap_or_default());
        let lang_chosen = query.get("lang").and_then(i18n::parse);
        let lang = lang_chosen
            .or_else(|| cookie(headers, LANG_COOKIE).and_then(|c| i18n::parse(&c)))
            .unwrap_or_else(|| {
                Lang::from_header(
                    headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()),
                )
            });
        let other = if lang == Lang::Hi { "en" } else { "hi" };
        let toggle_href = if method == Method::GET {
            let mut q: Vec<String> = query
                .0
                .iter()
                .filter(|(k, _)| k != "lang")
                .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
                .collect();
            q.push(format!("lang={other}"));
            format!("{}?{}", uri.path(), q.join("&"))
        } else {
            let path = match uri.path() {
                p if p.starts_with("/console") => super::console::toggle_path(p),
                p if p.starts_with("/login") => "/login".to_owned(),
                "/account/add" => "/account/add".to_owned(),
                "/logout" => "/".to_owned(),
                _ => "/account".to_owned(),
            };
            format!("{path}?lang={other}")
        };
        let (csrf_seed, csrf_is_new) = match cookie(headers, CSRF_COOKIE)
            .filter(|c| c.len() == 32 && c.bytes().all(|b| b.is_ascii_hexdigit()))
        {
            Some(c) => (c, false),
            None => (hex::encode(rand::rng().random::<[u8; 16]>()), true),
        };
        let secure = headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.eq_ignore_ascii_case("https"));
        let host = headers.get(header::HOST).and_then(|v| v.to_str().ok()).unwrap_or_default();
        let referer = headers
            .get(header::REFERER)
            .and_then(|v| v.to_str().ok())
            .and_then(|r| r.split_once("://").map(|(_, rest)| rest.to_owned()))
            .and_then(|rest| {
                let (h, path) = rest.split_at(rest.find('/').unwrap_or(rest.len()));
                (h == host).then(|| path.to_owned())
            })
            .and_then(|p| safe_next(Some(&p)));
        Self {
            lang,
            lang_chosen,
            csrf_seed,
            csrf_is_new,
            token: cookie(headers, TOKEN_COOKIE),
            console_token: cookie(headers, super::console::CONSOLE_COOKIE),
            flash: cookie(headers, FLASH_COOKIE),
            toggle_href,
            secure,
            layout_slot: Arc::new(Mutex::new(None)),
            console_slot: Arc::new(Mutex::new(None)),
            extra_cookies: Arc::new(Mutex::new(Vec::new())),
            referer,
        }
    }

    /// The page this request came from on this site (a local path), if any.
    pub(crate) fn referer(&self) -> Option<String> {
        self.referer.clone()
    }

    /// A layout for pages rendered without a [`Ctx`] (errors before one was built).
    fn bare_layout(&self) -> Layout {
        Layout {
            lang: i18n::code(self.lang),
            t: i18n::texts(self.lang),
            toggle_href: self.toggle_href.clone(),
            logged_in: self.token.is_some(),
            csrf: String::new(),
            flash: None,
        }
    }
}

/// What the shared page layout (`base.html`) shows.
#[derive(Clone, Debug)]
pub(crate) struct Layout {
    /// `<html lang>`.
    pub(crate) lang: &'static str,
    /// The phrases.
    pub(crate) t: &'static Texts,
    /// The link to the same page in the other language.
    pub(crate) toggle_href: String,
    /// Whether to show the account link and logout.
    pub(crate) logged_in: bool,
    /// The CSRF token for forms on this page (empty on bare error pages).
    pub(crate) csrf: String,
    /// A one-shot message.
    pub(crate) flash: Option<String>,
}

fn hmac_hex(key: &[u8], parts: &[&str]) -> String {
    let Ok(mut mac) = <Hmac<Sha256> as KeyInit>::new_from_slice(key) else {
        return String::new();
    };
    for p in parts {
        mac.update(p.as_bytes());
        mac.update(&[0]);
    }
    hex::encode(mac.finalize().into_bytes())
}

/// The CSRF token of a browser: bound to its random cookie and to its login token, if any.
pub(crate) fn csrf_token(state: &AppState, seed: &str, login_token: Option<&str>) -> String {
    hmac_hex(state.keys.token_key(), &["tika page csrf v1", seed, login_token.unwrap_or("")])
}

/// Everything a page handler needs from the request.
pub(crate) struct Ctx {
    /// The shared state.
    pub(crate) state: AppState,
    /// The language.
    pub(crate) lang: Lang,
    /// Its phrases.
    pub(crate) t: &'static Texts,
    /// The logged-in citizen, if any.
    pub(crate) principal: Option<Principal>,
    /// For the templates.
    pub(crate) layout: Layout,
    env: PageEnv,
}

impl FromRequestParts<AppState> for Ctx {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let env = match parts.extensions.get::<PageEnv>() {
            Some(env) => env.clone(),
            None => PageEnv::read(&parts.method, &parts.uri, &parts.headers),
        };
        let principal = env
            .token
            .as_deref()
            .and_then(|t| verify_token(state, t).ok())
            .filter(|p| p.scope == Scope::Protected);
        let t = i18n::texts(env.lang);
        let token = principal.and(env.token.as_deref());
        let layout = Layout {
            lang: i18n::code(env.lang),
            t,
            toggle_href: env.toggle_href.clone(),
            logged_in: principal.is_some(),
            csrf: csrf_token(state, &env.csrf_seed, token),
            flash: env.flash.as_deref().and_then(|f| flash_text(t, f)),
        };
        *env.layout_slot.lock() = Some(layout.clone());
        Ok(Ctx { state: state.clone(), lang: env.lang, t, principal, layout, env })
    }
}

impl Ctx {
    /// The logged-in citizen, or a redirect to the login page that comes back to `back`.
    pub(crate) fn citizen(&self, back: &str) -> Result<Principal, PageError> {
        self.principal.ok_or_else(|| PageError::Login { next: back.to_owned() })
    }

    /// Refuses a form whose CSRF token does not match this browser's.
    pub(crate) fn check_csrf(&self, form: &Fields) -> Result<(), PageError> {
        let sent = form.get(CSRF_FIELD).unwrap_or_default();
        if self.env.csrf_is_new || sent.is_empty() || !ct_eq(sent, &self.layout.csrf) {
            return Err(PageError::Csrf);
        }
        Ok(())
    }

    /// Renders a template as an HTML page.
    pub(crate) fn render(&self, page: &impl Template) -> Result<Response, PageError> {
        Ok(Html(page.render()?).into_response())
    }

    /// Renders a template with a non-200 status (a form shown again with its error).
    pub(crate) fn render_status(
        &self,
        status: StatusCode,
        page: &impl Template,
    ) -> Result<Response, PageError> {
        Ok((status, Html(page.render()?)).into_response())
    }

    /// An error's message in the page language.
    pub(crate) fn message(&self, e: &ApiError) -> Message {
        i18n::api_error_message(self.lang, e)
    }

    /// `Mon 07-06-2026`, localized.
    pub(crate) fn date_label(&self, d: chrono::NaiveDate) -> String {
        use chrono::Datelike;
        format!(
            "{} {}",
            i18n::weekday(self.t, d.weekday()),
            tika_domain::date::format_cowin_date(d)
        )
    }

    /// Whether `Set-Cookie` should carry `Secure`.
    pub(crate) fn secure(&self) -> bool {
        self.env.secure
    }
}

// ---------------------------------------------------------------------------------------------
// Flash messages

/// A one-shot message: `key` or `key:arg` (arg limited to digits, letters, `,` and `-`).
pub(crate) fn with_flash(
    mut res: Response,
    key: &str,
    arg: Option<&str>,
    secure: bool,
) -> Response {
    let arg: String = arg
        .unwrap_or_default()
        .chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == ',' || *c == '-')
        .take(80)
        .collect();
    let value = if arg.is_empty() { key.to_owned() } else { format!("{key}:{arg}") };
    set_cookie(res.headers_mut(), FLASH_COOKIE, &value, Some(60), secure);
    res
}

fn flash_text(t: &Texts, raw: &str) -> Option<String> {
    let (key, arg) = raw.split_once(':').unwrap_or((raw, ""));
    if !arg.chars().all(|c| c.is_ascii_alphanumeric() || c == ',' || c == '-') {
        return None;
    }
    let list = arg.split(',').collect::<Vec<_>>().join(", ");
    Some(match key {
        "booked" => i18n::fill(t.flash_booked, &[("code", &list)]),
        "rescheduled" => t.flash_rescheduled.to_owned(),
        "cancelled" => t.flash_cancelled.to_owned(),
        "member_added" => i18n::fill(t.flash_member_added, &[("ref", &list)]),
        "member_removed" => t.flash_member_removed.to_owned(),
        "correction_requested" => t.flash_correction_requested.to_owned(),
        "logged_in" => t.flash_logged_in.to_owned(),
        "logged_out" => t.flash_logged_out.to_owned(),
        _ => return None,
    })
}

/// A `303 See Other` to a local path.
pub(crate) fn redirect(to: &str) -> Response {
    let mut res = StatusCode::SEE_OTHER.into_response();
    if let Ok(v) = HeaderValue::from_str(to) {
        res.headers_mut().insert(header::LOCATION, v);
    }
    res
}

// ---------------------------------------------------------------------------------------------
// Errors

/// Why a page could not be shown.
#[derive(Debug)]
pub(crate) enum PageError {
    /// A service refused or failed.
    Api(ApiError),
    /// The form's CSRF token is missing or wrong.
    Csrf,
    /// Not logged in: go to the login page, then back to `next`.
    Login {
        /// Where to come back to.
        next: String,
    },
    /// Not logged in to the officials' console: its login page, then back to `next`.
    ConsoleLogin {
        /// Where to come back to.
        next: String,
    },
}

impl From<ApiError> for PageError {
    fn from(e: ApiError) -> Self {
        PageError::Api(e)
    }
}

impl From<askama::Error> for PageError {
    fn from(e: askama::Error) -> Self {
        PageError::Api(ApiError::Internal(anyhow::anyhow!("template rendering failed: {e}")))
    }
}

/// Result of a page handler.
pub(crate) type PageResult = Result<Response, PageError>;

/// Marks a response as an error for the middleware to render in the page language.
#[derive(Clone, Debug)]
pub(crate) struct ErrorInfo {
    pub(crate) status: StatusCode,
    pub(crate) code: &'static str,
    pub(crate) message: String,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let info = match self {
            PageError::Login { next } => {
                return redirect(&format!("/login?next={}", encode(&next)));
            }
            PageError::ConsoleLogin { next } => {
                return redirect(&format!("/console/login?next={}", encode(&next)));
            }
            PageError::Api(ApiError::Unauthenticated) => {
                return redirect("/login");
            }
            PageError::Api(e) => {
                e.log();
                let mut res = e.status().into_response();
                if let ApiError::TooManyRequests { retry_after_secs, .. } = &e
                    && let Ok(v) = HeaderValue::from_str(&retry_after_secs.to_string())
                {
                    res.headers_mut().insert(header::RETRY_AFTER, v);
                }
                res.extensions_mut().insert(ErrorInfo {
                    status: e.status(),
                    code: e.code(),
                    message: e.message(),
                });
                return res;
            }
            PageError::Csrf => ErrorInfo {
                status: StatusCode::FORBIDDEN,
                code: "PAGE0403",
                message: i18n::EN.csrf_failed.to_owned(),
            },
        };
        let mut res = info.status.into_response();
        res.extensions_mut().insert(info);
        res
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage {
    l: Layout,
    title: &'static str,
    message: Message,
    code: &'static str,
    back_href: String,
}

pub(crate) fn is_html(res: &Response) -> bool {
    res.headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"))
}

/// The pages' middleware: reads the request environment, renders errors as HTML in the page
/// language, keeps the language and CSRF cookies, clears a shown flash, adds security headers.
pub(crate) async fn middleware(mut req: Request, next: Next) -> Response {
    let env = PageEnv::read(req.method(), req.uri(), req.headers());
    let console = req.uri().path().starts_with("/console");
    req.extensions_mut().insert(env.clone());
    let mut res = next.run(req).await;

    if console {
        res = super::console::finish_response(&env, res);
    } else if let Some(info) = res.extensions_mut().remove::<ErrorInfo>() {
        let layout = env.layout_slot.lock().clone().unwrap_or_else(|| env.bare_layout());
        let page = ErrorPage {
            title: i18n::error_title(layout.t, info.status.as_u16()),
            message: i18n::error_message(env.lang, info.code, &info.message),
            code: info.code,
            back_href: env.referer.clone().unwrap_or_else(|| "/".to_owned()),
            l: layout,
        };
        let retry = res.headers().get(header::RETRY_AFTER).cloned();
        res = match page.render() {
            Ok(html) => (info.status, Html(html)).into_response(),
            Err(_) => (info.status, info.message).into_response(),
        };
        if let Some(v) = retry {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
    }

    let html = is_html(&res);
    let headers = res.headers_mut();
    if let Some(lang) = env.lang_chosen {
        set_cookie(headers, LANG_COOKIE, i18n::code(lang), Some(365 * 24 * 3600), env.secure);
    }
    if html && env.csrf_is_new {
        set_cookie(headers, CSRF_COOKIE, &env.csrf_seed, None, env.secure);
    }
    let sets_flash = headers
        .get_all(header::SET_COOKIE)
        .iter()
        .any(|v| v.as_bytes().starts_with(FLASH_COOKIE.as_bytes()));
    if env.flash.is_some() && html && !sets_flash {
        set_cookie(headers, FLASH_COOKIE, "", Some(0), env.secure);
    }
    for (name, value) in [
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "same-origin"),
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::CACHE_CONTROL, "no-store"),
    ] {
        if !headers.contains_key(&name) {
            headers.insert(name, HeaderValue::from_static(value));
        }
    }
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fields_decode_repeats_and_escapes() {
        let f = Fields::parse("a=1&b=x+y%21&b=%E0%A4%9F&c=&d");
        assert_eq!(f.get("a"), Some("1"));
        assert_eq!(f.all("b"), vec!["x y!".to_owned(), "ट".to_owned()]);
        assert_eq!(f.get("c"), None);
        assert_eq!(f.get("d"), None);
        assert_eq!(Fields::parse("x=%zz%4").get("x"), Some("%zz%4"));
        assert_eq!(encode("/book?session_id=a b"), "%2Fbook%3Fsession_id%3Da%20b");
    }

    #[test]
    fn next_must_stay_on_this_site() {
        assert_eq!(safe_next(Some("/book?session_id=1")).as_deref(), Some("/book?session_id=1"));
        assert_eq!(safe_next(Some("//evil.example/")), None);
        assert_eq!(safe_next(Some("https://evil.example/")), None);
        assert_eq!(safe_next(Some("/\\evil")), None);
        assert_eq!(safe_next(None), None);
        assert_eq!(safe_next(Some("/account\r\nSet-Cookie: x=1")), None);
        assert_eq!(safe_next(Some("/ट")), None);
    }

    #[test]
    fn cookies_are_read_by_name() {
        let mut h = HeaderMap::new();
        h.insert(header::COOKIE, HeaderValue::from_static("a=1; tika_lang=hi; b=2"));
        assert_eq!(cookie(&h, LANG_COOKIE).as_deref(), Some("hi"));
        assert_eq!(cookie(&h, "missing"), None);
    }

    #[test]
    fn flash_texts_are_known_keys_only() {
        assert_eq!(
            flash_text(&i18n::EN, "booked:1234,5678").as_deref(),
            Some("Appointment booked. Security code: 1234, 5678")
        );
        assert_eq!(flash_text(&i18n::EN, "nope"), None);
        assert_eq!(flash_text(&i18n::EN, "booked:<b>"), None);
    }
}
