//! Session search, public (rate-limited per IP) and protected (token required).

use axum::extract::State;
use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use chrono::NaiveDate;
use tika_domain::date::parse_cowin_date;
use tika_domain::ids::{CenterId, DistrictId};
use tika_domain::vaccine::VaccineCode;

use super::extract::{AcceptLang, Auth, ClientIp, Params, accepts_gzip};
use crate::error::{ApiError, ApiResult};
use crate::services::registration::require_protected;
use crate::services::search::{self, Lang, Query};
use crate::state::AppState;

fn pincode(p: &Params) -> ApiResult<u32> {
    let raw = p.required("pincode")?;
    raw.parse::<u32>()
        .ok()
        .filter(|n| (100_000..=999_999).contains(n))
        .ok_or_else(|| ApiError::bad_request("APPOIN0018", "Invalid pincode"))
}

fn date(p: &Params) -> ApiResult<NaiveDate> {
    parse_cowin_date(p.required("date")?)
        .map_err(|_| ApiError::bad_request("APPOIN0019", "Invalid date, expected DD-MM-YYYY"))
}

fn district(p: &Params) -> ApiResult<DistrictId> {
    p.required("district_id")?
        .parse()
        .map_err(|_| ApiError::bad_request("APPOIN0017", "Invalid district id"))
}

fn center(p: &Params) -> ApiResult<CenterId> {
    p.required("center_id")?
        .parse()
        .map_err(|_| ApiError::bad_request("APPOIN0020", "Invalid center id"))
}

fn vaccine(p: &Params) -> ApiResult<Option<VaccineCode>> {
    p.get("vaccine")
        .map(|v| {
            VaccineCode::parse(v)
                .map_err(|_| ApiError::bad_request("APPOIN0021", "Invalid vaccine"))
        })
        .transpose()
}

fn rate_limit(state: &AppState, ip: Option<std::net::IpAddr>) -> ApiResult<()> {
    if let (Some(limiter), Some(ip)) = (&state.limits.public_search, ip)
        && limiter.check_key(&ip).is_err()
    {
        return Err(ApiError::TooManyRequests {
            retry_after_secs: 60,
            message: "Too many requests from this IP; public search allows a limited number of calls per 5 minutes"
                .into(),
        });
    }
    Ok(())
}

fn respond(
    state: &AppState,
    headers: &HeaderMap,
    q: Query,
    date: NaiveDate,
    vaccine: Option<VaccineCode>,
    lang: Lang,
) -> ApiResult<Response> {
    let body = search::search(state, q, date, vaccine, lang)?;
    let gzip = accepts_gzip(headers);
    let bytes = if gzip { body.gzip.clone() } else { body.plain.clone() };
    let mut res = bytes.into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    h.insert(header::VARY, HeaderValue::from_static("Accept-Encoding"));
    if gzip {
        h.insert(header::CONTENT_ENCODING, HeaderValue::from_static("gzip"));
    }
    Ok(res)
}

macro_rules! search_handlers {
    ($public:ident, $protected:ident, $query:expr, $key:ident) => {
        pub(super) async fn $public(
            State(state): State<AppState>,
            ClientIp(ip): ClientIp,
            AcceptLang(lang): AcceptLang,
            headers: HeaderMap,
            params: Params,
        ) -> ApiResult<Response> {
            rate_limit(&state, ip)?;
            let (key, date, vaccine) = ($key(&params)?, date(&params)?, vaccine(&params)?);
            respond(&state, &headers, $query(key), date, vaccine, lang)
        }

        pub(super) async fn $protected(
            State(state): State<AppState>,
            Auth(principal): Auth,
            AcceptLang(lang): AcceptLang,
            headers: HeaderMap,
            params: Params,
        ) -> ApiResult<Response> {
            require_protected(&principal)?;
            let (key, date, vaccine) = ($key(&params)?, date(&params)?, vaccine(&params)?);
            respond(&state, &headers, $query(key), date, vaccine, lang)
        }
    };
}

search_handlers!(public_find_by_pin, find_by_pin, Query::FindByPin, pincode);
search_handlers!(public_find_by_district, find_by_district, Query::FindByDistrict, district);
search_handlers!(public_calendar_by_pin, calendar_by_pin, Query::CalendarByPin, pincode);
search_handlers!(
    public_calendar_by_district,
    calendar_by_district,
    Query::CalendarByDistrict,
    district
);

pub(super) async fn public_calendar_by_center(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    AcceptLang(lang): AcceptLang,
    headers: HeaderMap,
    params: Params,
) -> ApiResult<Response> {
    rate_limit(&state, ip)?;
    let (key, date, vaccine) = (center(&params)?, date(&params)?, vaccine(&params)?);
    respond(&state, &headers, Query::CalendarByCenter(key), date, vaccine, lang)
}

fn lat_long(p: &Params) -> ApiResult<(f64, f64)> {
    let num = |name: &str| -> ApiResult<f64> {
        p.required(name)?
            .parse::<f64>()
            .ok()
            .filter(|f| f.is_finite())
            .ok_or_else(|| ApiError::bad_request("APPOIN0070", "Invalid latitude or longitude"))
    };
    Ok((num("lat")?, num("long")?))
}

fn json_bytes(bytes: Vec<u8>) -> Response {
    let mut res = bytes.into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    res
}

pub(super) async fn public_find_by_lat_long(
    State(state): State<AppState>,
    ClientIp(ip): ClientIp,
    AcceptLang(lang): AcceptLang,
    params: Params,
) -> ApiResult<Response> {
    rate_limit(&state, ip)?;
    let (lat, lon) = lat_long(&params)?;
    Ok(json_bytes(search::find_by_lat_long(&state, lat, lon, lang)?))
}

pub(super) async fn find_by_lat_long(
    State(state): State<AppState>,
    Auth(principal): Auth,
    AcceptLang(lang): AcceptLang,
    params: Params,
) -> ApiResult<Response> {
    require_protected(&principal)?;
    let (lat, lon) = lat_long(&params)?;
    Ok(json_bytes(search::find_by_lat_long(&state, lat, lon, lang)?))
}
