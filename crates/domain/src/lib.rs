//! Tika's vocabulary: the types every other crate speaks, and the rules that need no IO.
//!
//! Every value that arrives from outside (a mobile number, a name, a birth year, a date in
//! CoWIN's `DD-MM-YYYY`) becomes one of these types through `parse`, so code past the boundary
//! never re-checks it.  Time is always passed in; nothing here reads a clock.

pub mod admin;
pub mod assign;
pub mod beneficiary;
pub mod coldchain;
pub mod country;
pub mod date;
pub mod draw;
pub mod eligibility;
pub mod ids;
pub mod inventory;
pub mod message;
pub mod mobile;
pub mod otp;
pub mod people;
pub mod policy;
pub mod quiet;
pub mod reports;
pub mod session;
pub mod sms;
pub mod staff;
pub mod sync;
pub mod templates;
pub mod vaccine;
