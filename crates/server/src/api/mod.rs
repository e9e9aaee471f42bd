//! The CoWIN v2 API under `/api/v2`: routes, extractors and thin handlers.

pub mod admin;
mod admin_assign;
mod admin_bulk;
mod admin_coldchain;
mod admin_followup;
mod admin_policy;
pub(crate) mod admin_reports;
pub mod appointments;
mod auth;
mod beneficiaries;
pub(crate) mod certificates;
pub mod extract;
mod meta;
mod search;
pub mod site;
pub(crate) mod sms;

use axum::Router;
use axum::routing::{get, post};

use crate::state::AppState;

/// Every CoWIN route, relative to `/api`.
pub fn router() -> Router<AppState> {
    Router::new()
        // 3.1 public
        .route("/v2/auth/public/generateOTP", post(auth::generate_public_otp))
        .route("/v2/auth/public/confirmOTP", post(auth::confirm_public_otp))
        .route("/v2/admin/location/states", get(meta::list_states))
        .route("/v2/admin/location/districts/{state_id}", get(meta::list_districts))
        .route("/v2/appointment/sessions/public/findByPin", get(search::public_find_by_pin))
        .route(
            "/v2/appointment/sessions/public/findByDistrict",
            get(search::public_find_by_district),
        )
        .route("/v2/appointment/sessions/public/calendarByPin", get(search::public_calendar_by_pin))
        .route(
            "/v2/appointment/sessions/public/calendarByDistrict",
            get(search::public_calendar_by_district),
        )
        .route(
            "/v2/appointment/sessions/public/calendarByCenter",
            get(search::public_calendar_by_center),
        )
        .route("/v2/appointment/centers/public/findByLatLong", get(search::public_find_by_lat_long))
        .route(
            "/v2/registration/certificate/public/download",
            get(beneficiaries::download_certificate_public),
        )
        // 3.2 protected
        .route("/v2/auth/generateOTP", post(auth::generate_protected_otp))
        .route("/v2/auth/confirmOTP", post(auth::confirm_protected_otp))
        .route("/v2/registration/beneficiary/idTypes", get(meta::list_id_types))
        .route("/v2/registration/beneficiary/genders", get(meta::list_genders))
        .route("/v2/registration/beneficiary/new", post(beneficiaries::create_beneficiary))
        .route("/v2/registration/beneficiary/delete", post(beneficiaries::delete_beneficiary))
        .route("/v2/appointment/centers/findByLatLong", get(search::find_by_lat_long))
        .route("/v2/appointment/sessions/findByPin", get(search::find_by_pin))
        .route("/v2/appointment/sessions/findByDistrict", get(search::find_by_district))
        .route("/v2/appointment/sessions/calendarByPin", get(search::calendar_by_pin))
        .route("/v2/appointment/sessions/calendarByDistrict", get(search::calendar_by_district))
        .route("/v2/appointment/beneficiaries", get(beneficiaries::list_beneficiaries))
        .route("/v2/appointment/schedule", post(appointments::schedule_appointment))
        .route("/v2/appointment/reschedule", post(appointments::reschedule_appointment))
        .route("/v2/appointment/cancel", post(appointments::cancel_appointment))
        .route("/v2/registration/certificate/download", get(beneficiaries::download_certificate))
        .route("/v2/appointment/appointmentslip/download", get(appointments::download_slip))
        // 3.3 web portal
        .route("/v2/auth/generateMobileOTP", post(auth::generate_mobile_otp))
        .route("/v2/auth/validateMobileOtp", post(auth::validate_mobile_otp))
        // Vaccination sites (docs/SITE-API.md)
        .route("/site/v1/login", post(site::login))
        .route("/site/v1/login/otp", post(site::login_otp))
        .route("/site/v1/login/otp/confirm", post(site::login_otp_confirm))
        .route("/site/v1/sessions", get(site::sessions))
        .route("/site/v1/sessions/{session_id}/bundle", get(site::bundle))
        .route("/site/v1/sessions/{session_id}/tally", get(site::tally))
        .route("/site/v1/sessions/{session_id}/list.pdf", get(site::list_pdf))
        .route("/site/v1/sessions/{session_id}/stock", get(site::session_stock))
        .route("/site/v1/sessions/{session_id}/stock/close", post(site::close_session_stock))
        .route("/site/v1/sessions/{session_id}/call-list", get(sms::call_list))
        .route("/site/v1/sessions/{session_id}/call-list.pdf", get(sms::call_list_pdf))
        .route("/site/v1/sessions/{session_id}/cancel", post(sms::cancel_session))
        .route("/site/v1/sessions/{session_id}/move", post(sms::move_session))
        .route("/site/v1/messages/stats", get(sms::stats))
        .route("/sms/v1/dlr", get(sms::dlr).post(sms::dlr))
        .route("/sms/v1/mo", get(sms::mo))
        .route("/site/v1/sync", post(site::sync))
        .route("/site/v1/sync/status", get(site::sync_status))
        .route("/site/v1/reviews", get(site::reviews))
        .route("/site/v1/reviews/{review_id}/resolve", post(site::resolve))
        .route("/site/v1/corrections", get(certificates::list_corrections))
        .route("/site/v1/corrections/{id}/decide", post(certificates::decide_correction))
        .route("/site/v1/beneficiaries/merge", post(certificates::merge))
        .route("/certificates/v1/travel", post(certificates::travel))
        .route(
            "/certificates/v1/corrections",
            get(certificates::own_corrections).post(certificates::request_correction),
        )
        .merge(certificate_routes())
        // The officials' console API (its own router; docs/API-DESIGN.md lists its codes).
        .merge(admin::router())
        .merge(admin_bulk::router())
        .merge(admin_assign::router())
        .merge(admin_policy::router())
        .merge(admin_followup::router())
        .merge(admin_coldchain::router())
        .merge(admin_reports::router())
        .merge(crate::pages::dashboard::api_router())
}

/// What a read-only server answers under `/api`: the OTP login for holders, certificate
/// download and verification (`tika serve --read-only`).
pub fn read_only_router() -> Router<AppState> {
    Router::new()
        .route("/v2/auth/public/generateOTP", post(auth::generate_public_otp))
        .route("/v2/auth/public/confirmOTP", post(auth::confirm_public_otp))
        .route("/v2/auth/generateOTP", post(auth::generate_protected_otp))
        .route("/v2/auth/confirmOTP", post(auth::confirm_protected_otp))
        .route(
            "/v2/registration/certificate/public/download",
            get(beneficiaries::download_certificate_public),
        )
        .route("/v2/registration/certificate/download", get(beneficiaries::download_certificate))
        .merge(crate::pages::dashboard::api_router())
        .merge(certificate_routes())
}

/// Certificate verification for anyone (docs/CERTIFICATES.md).
fn certificate_routes() -> Router<AppState> {
    Router::new()
        .route("/certificates/v1/verify", post(certificates::verify))
        .route("/certificates/v1/revoked", post(certificates::revoked))
}
