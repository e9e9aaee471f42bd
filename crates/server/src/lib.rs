//! Tika's HTTP server: the CoWIN v2 API, the citizen's web pages, and what they stand on.
//!
//! Handlers are thin: they parse the request into domain types, call one function from
//! [`services`], and map the result.  [`error::ApiError`] is the one place that decides HTTP
//! status codes and CoWIN `errorCode`s.  Slot search is answered from [`cache::SessionCache`],
//! an in-memory index kept at most a couple of seconds stale; bookings go to the database.

pub mod api;
pub mod app;
pub mod cache;
pub mod clock;
pub mod config;
pub mod error;
pub mod keys;
pub mod lenient;
pub mod metrics;
pub mod otp_book;
pub mod pages;
pub mod services;
pub mod sms;
pub mod state;

pub use app::Application;
pub use config::ServerConfig;
pub use state::AppState;
