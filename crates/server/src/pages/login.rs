//! `/login`: mobile number, then the OTP sent by SMS; `/logout`.

use askama::Template;
use axum::http::StatusCode;
use axum::response::Response;
use tika_domain::mobile::Mobile;

use super::context::{
    Ctx, FormFields, Layout, PageError, PageResult, QueryFields, TOKEN_COOKIE, redirect, safe_next,
    set_cookie, with_flash,
};
use super::i18n::{self, Message};
use crate::api::extract::ClientIp;
use crate::error::ApiError;
use crate::keys::sha256_hex;
use crate::services::auth::{self, Scope};

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage {
    l: Layout,
    /// `mobile` or `otp`.
    step: &'static str,
    mobile: String,
    sent_to: String,
    txn: String,
    last4: String,
    next: String,
    error: Option<Message>,
}

impl LoginPage {
    fn new(ctx: &Ctx, next: Option<String>) -> Self {
        Self {
            l: ctx.layout.clone(),
            step: "mobile",
            mobile: String::new(),
            sent_to: String::new(),
            txn: String::new(),
            last4: String::new(),
            next: next.unwrap_or_default(),
            error: None,
        }
    }
}

fn status_of(e: &ApiError) -> StatusCode {
    e.status()
}

/// `GET /login`.
pub(crate) async fn show(ctx: Ctx, QueryFields(q): QueryFields) -> PageResult {
    let next = safe_next(q.get("next"));
    if ctx.principal.is_some() {
        return Ok(redirect(next.as_deref().unwrap_or("/account")));
    }
    ctx.render(&LoginPage::new(&ctx, next))
}

/// `POST /login/otp`: sends the OTP.
pub(crate) async fn send_otp(
    ctx: Ctx,
    ClientIp(ip): ClientIp,
    FormFields(form): FormFields,
) -> PageResult {
    ctx.check_csrf(&form)?;
    let mut page = LoginPage::new(&ctx, safe_next(form.get("next")));
    let mobile = form.text("mobile");
    match auth::generate_otp(&ctx.state, Some(&mobile), Scope::Protected, ip).await {
        Ok(txn) => {
            let last4 = Mobile::parse(&mobile).map(|m| m.last4().to_owned()).unwrap_or_default();
            page.step = "otp";
            page.sent_to = i18n::fill(ctx.t.otp_sent, &[("mobile", &format!("******{last4}"))]);
            page.txn = txn.to_string();
            page.last4 = last4;
            ctx.render(&page)
        }
        Err(ApiError::Internal(e)) => Err(PageError::Api(ApiError::Internal(e))),
        Err(e) => {
            page.mobile = mobile;
            page.error = Some(ctx.message(&e));
            ctx.render_status(status_of(&e), &page)
        }
    }
}

/// `POST /login/verify`: checks the OTP and sets the login cookie.
pub(crate) async fn verify_otp(ctx: Ctx, FormFields(form): FormFields) -> PageResult {
    ctx.check_csrf(&form)?;
    let next = safe_next(form.get("next"));
    let otp = form.get("otp").map(sha256_hex);
    let txn = form.text("txn");
    match auth::confirm_otp(&ctx.state, Some(&txn), otp.as_deref(), Scope::Protected).await {
        Ok((token, _new)) => {
            // The language the citizen uses the pages in is the one their messages are
            // written in (remembered on the account; a failure here does not fail the login).
            if let Ok(p) = auth::verify_token(&ctx.state, &token)
                && let Err(e) =
                    ctx.state.store.set_account_language(p.account, i18n::code(ctx.lang)).await
            {
                tracing::warn!(error = %e, "could not remember the account's language");
            }
            let mut res: Response = redirect(next.as_deref().unwrap_or("/account"));
            let max_age = ctx.state.config.token_ttl.as_secs();
            set_cookie(res.headers_mut(), TOKEN_COOKIE, &token, Some(max_age), ctx.secure());
            Ok(with_flash(res, "logged_in", None, ctx.secure()))
        }
        Err(ApiError::Internal(e)) => Err(PageError::Api(ApiError::Internal(e))),
        Err(e) => {
            let last4: String =
                form.text("last4").chars().filter(char::is_ascii_digit).take(4).collect();
            let mut page = LoginPage::new(&ctx, next);
            page.step = "otp";
            page.sent_to = i18n::fill(ctx.t.otp_sent, &[("mobile", &format!("******{last4}"))]);
            page.txn = txn;
            page.last4 = last4;
            page.error = Some(ctx.message(&e));
            ctx.render_status(status_of(&e), &page)
        }
    }
}

/// `POST /logout`: clears the login cookie.
pub(crate) async fn logout(ctx: Ctx, FormFields(form): FormFields) -> PageResult {
    // An expired session needs no CSRF check: there is nothing left to protect.
    if ctx.principal.is_some() {
        ctx.check_csrf(&form)?;
    }
    let mut res = redirect("/");
    set_cookie(res.headers_mut(), TOKEN_COOKIE, "", Some(0), ctx.secure());
    Ok(with_flash(res, "logged_out", None, ctx.secure()))
}
