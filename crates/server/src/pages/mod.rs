//! The citizen's web pages (server-rendered, English and Hindi).

use axum::Router;

use crate::state::AppState;

/// The page routes.
pub fn router() -> Router<AppState> {
    Router::new()
}
