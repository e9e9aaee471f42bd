//! Console pages for: assignment of listed people to sessions near their posting or home pincode, in one batch, with the reason for each choice.

use axum::Router;

use crate::state::AppState;

/// The routes (under `/console`).
pub(super) fn router() -> Router<AppState> {
    Router::new()
}
