//! What Tika does, one function per use case; handlers and pages call these and nothing else.

pub mod admin;
pub mod auth;
pub mod booking;
pub mod certificates;
pub mod coldchain;
pub mod corrections;
pub mod dashboard;
pub mod notifications;
pub mod registration;
pub mod reports;
pub mod search;
pub mod site;
pub mod site_stock;
pub mod staff;
