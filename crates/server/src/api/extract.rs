//! Extractors: lenient JSON bodies, bearer tokens, the client IP, the language.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};

use axum::body::Bytes;
use axum::extract::{ConnectInfo, FromRequest, FromRequestParts, Query, Request};
use axum::http::header;
use axum::http::request::Parts;
use serde::de::DeserializeOwned;

use crate::error::ApiError;
use crate::services::auth::{Principal, verify_token};
use crate::services::search::Lang;
use crate::state::AppState;

/// A JSON body read whatever the `Content-Type` (some clients send none); an empty body is `{}`,
/// unknown fields are ignored, and malformed JSON is a 400 with CoWIN's generic code.
pub struct CowinJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for CowinJson<T> {
    type Rejection = ApiError;

    async fn from_request(req: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(req, state)
            .await
            .map_err(|_| ApiError::bad_request("USRRES0001", "Request body could not be read"))?;
        let trimmed = bytes.iter().position(|b| !b.is_ascii_whitespace());
        let value = match trimmed {
            None => serde_json::Value::Object(serde_json::Map::new()),
            Some(_) => serde_json::from_slice::<serde_json::Value>(&bytes).map_err(|_| {
                ApiError::bad_request("USRRES0001", "Request body is not valid JSON")
            })?,
        };
        let value =
            if value.is_null() { serde_json::Value::Object(serde_json::Map::new()) } else { value };
        serde_json::from_value(value)
            .map(CowinJson)
            .map_err(|e| ApiError::bad_request("USRRES0001", format!("Invalid input: {e}")))
    }
}

/// The bearer of a valid token (protected or public scope).
pub struct Auth(pub Principal);

/// The token in `Authorization: Bearer …`, or the page cookie.
pub fn bearer_token(parts: &Parts) -> Option<String> {
    if let Some(v) = parts.headers.get(header::AUTHORIZATION).and_then(|v| v.to_str().ok()) {
        let v = v.trim();
        let token = v.strip_prefix("Bearer ").or_else(|| v.strip_prefix("bearer ")).unwrap_or(v);
        return Some(token.trim().to_owned());
    }
    None
}

impl FromRequestParts<AppState> for Auth {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let token = bearer_token(parts).ok_or(ApiError::Unauthenticated)?;
        verify_token(state, &token).map(Auth)
    }
}

/// The client's IP: the socket peer (tests without a socket have none).
pub struct ClientIp(pub Option<IpAddr>);

impl<S: Send + Sync> FromRequestParts<S> for ClientIp {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(ClientIp(parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|c| c.0.ip())))
    }
}

/// The `_l` language from `Accept-Language`.
pub struct AcceptLang(pub Lang);

impl<S: Send + Sync> FromRequestParts<S> for AcceptLang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        Ok(AcceptLang(Lang::from_header(
            parts.headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()),
        )))
    }
}

/// Query parameters as a map, so one bad parameter gets its own precise error.
pub struct Params(pub HashMap<String, String>);

impl<S: Send + Sync> FromRequestParts<S> for Params {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &S) -> Result<Self, Self::Rejection> {
        let Query(map) =
            Query::<HashMap<String, String>>::from_request_parts(parts, state)
                .await
                .map_err(|_| ApiError::bad_request("USRRES0001", "Invalid query string"))?;
        Ok(Params(map))
    }
}

impl Params {
    /// A parameter, trimmed; `None` when absent or empty.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(|s| s.trim()).filter(|s| !s.is_empty())
    }

    /// A required parameter.
    pub fn required(&self, name: &str) -> Result<&str, ApiError> {
        self.get(name).ok_or_else(|| ApiError::missing(name))
    }
}

/// Whether the client accepts gzip (`gzip;q=0` means it does not).
pub fn accepts_gzip(headers: &axum::http::HeaderMap) -> bool {
    headers.get_all(header::ACCEPT_ENCODING).iter().filter_map(|v| v.to_str().ok()).any(|v| {
        v.split(',').any(|e| {
            let mut parts = e.split(';');
            let is_gzip = parts.next().is_some_and(|n| n.trim().eq_ignore_ascii_case("gzip"));
            let refused = parts.any(|p| {
                let p = p.trim();
                p.get(..2).is_some_and(|k| k.eq_ignore_ascii_case("q="))
                    && p[2..].trim().parse::<f32>().is_ok_and(|q| q <= 0.0)
            });
            is_gzip && !refused
        })
    })
}
