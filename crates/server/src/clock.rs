//! The one place that reads the time, so tests can set it.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

/// A source of the current time.
pub trait Clock: Send + Sync + 'static {
    /// Now, in UTC.
    fn now(&self) -> DateTime<Utc>;
}

/// The system clock.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now(&self) -> DateTime<Utc> {
        Utc::now()
    }
}

/// A clock that says what it is told (tests).
#[derive(Debug)]
pub struct ManualClock(parking_lot::Mutex<DateTime<Utc>>);

impl ManualClock {
    /// Starts at `t`.
    pub fn new(t: DateTime<Utc>) -> Self {
        Self(parking_lot::Mutex::new(t))
    }

    /// Moves the clock forward.
    pub fn advance(&self, d: chrono::Duration) {
        let mut t = self.0.lock();
        *t += d;
    }
}

impl Clock for ManualClock {
    fn now(&self) -> DateTime<Utc> {
        *self.0.lock()
    }
}

/// Today's date in the country's time zone (UTC if the offset is out of range).
pub fn local_today(now: DateTime<Utc>, offset_minutes: i32) -> NaiveDate {
    match FixedOffset::east_opt(offset_minutes * 60) {
        Some(offset) => now.with_timezone(&offset).date_naive(),
        None => now.date_naive(),
    }
}

/// The local date and time, formatted for documents (`22-11-2026 10:15 IST`-style, with the offset).
pub fn local_stamp(now: DateTime<Utc>, offset_minutes: i32) -> String {
    match FixedOffset::east_opt(offset_minutes * 60) {
        Some(offset) => now.with_timezone(&offset).format("%d-%m-%Y %H:%M (UTC%:z)").to_string(),
        None => now.format("%d-%m-%Y %H:%M UTC").to_string(),
    }
}
