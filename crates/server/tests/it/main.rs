//! API integration tests: every test runs on SQLite and on PostgreSQL, through the real router.
//!
//! Every response to a documented `/api/v2` operation is also checked against `openapi.json`
//! (status documented, body valid against the documented schema) by the harness.
#![allow(clippy::unwrap_used, reason = "a test fails loudly on the first unexpected error")]

mod harness;
mod schema;

mod admin;
mod admin_assign;
mod admin_bulk;
mod admin_coldchain;
mod admin_followup;
mod admin_policy;
mod beneficiaries;
mod booking;
mod certificates;
mod coldchain_ingest;
mod dashboard;
mod http;
mod meta;
mod notifications;
mod openapi;
mod otp;
mod races;
mod reports;
mod search;
mod site;
mod slip;
mod tokens;
