//! Quiet hours: the local time of day when bulk messages (reminders, dose-due notices) wait.
//!
//! A window is `[from, to)` in local minutes after midnight and may wrap midnight
//! (`21:00-08:00`); `from == to` is no window at all.  The time zone is a fixed offset from UTC
//! (India: +330 minutes), passed in like every time in this crate.

use std::fmt;
use std::str::FromStr;

/// Minutes in a day.
pub const MINUTES_PER_DAY: u16 = 24 * 60;

const MS_PER_MINUTE: i64 = 60_000;
const MS_PER_DAY: i64 = 86_400_000;

/// A daily quiet window `[from_min, to_min)` in local minutes after midnight (each below
/// [`MINUTES_PER_DAY`]).  It wraps midnight when `from_min > to_min`; `from_min == to_min` is
/// no quiet time.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct QuietHours {
    /// First quiet minute.
    pub from_min: u16,
    /// First minute after the window (when sending may resume).
    pub to_min: u16,
}

/// Why a quiet-hours text was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid quiet hours {0:?}: expected HH:MM-HH:MM, e.g. 21:00-08:00")]
pub struct QuietHoursError(pub String);

impl QuietHours {
    /// India's default: nothing bulk from 21:00 to 08:00.
    pub const DEFAULT: QuietHours = QuietHours { from_min: 21 * 60, to_min: 8 * 60 };

    /// No quiet time.
    pub const NONE: QuietHours = QuietHours { from_min: 0, to_min: 0 };

    /// A window from minutes after midnight; `None` if either is not below 24:00.
    pub fn new(from_min: u16, to_min: u16) -> Option<Self> {
        (from_min < MINUTES_PER_DAY && to_min < MINUTES_PER_DAY)
            .then_some(QuietHours { from_min, to_min })
    }

    /// Parses `HH:MM-HH:MM` (hours `0`–`23`, one or two digits; minutes two digits; spaces
    /// around the dash allowed).
    pub fn parse(s: &str) -> Result<Self, QuietHoursError> {
        let err = || QuietHoursError(s.to_owned());
        let (from, to) = s.split_once('-').ok_or_else(err)?;
        let from = parse_hhmm(from.trim()).ok_or_else(err)?;
        let to = parse_hhmm(to.trim()).ok_or_else(err)?;
        Ok(QuietHours { from_min: from, to_min: to })
    }

    /// Whether there is no quiet time at all.
    pub fn is_none(self) -> bool {
        self.from_min % MINUTES_PER_DAY == self.to_min % MINUTES_PER_DAY
    }

    /// Whether the local minute after midnight (taken modulo a day) is quiet.
    pub fn contains(self, local_minute: u16) -> bool {
        let m = local_minute % MINUTES_PER_DAY;
        let (from, to) = (self.from_min % MINUTES_PER_DAY, self.to_min % MINUTES_PER_DAY);
        match from.cmp(&to) {
            std::cmp::Ordering::Equal => false,
            std::cmp::Ordering::Less => from <= m && m < to,
            std::cmp::Ordering::Greater => m >= from || m < to,
        }
    }

    /// How long the window lasts, in minutes.
    pub fn duration_minutes(self) -> u16 {
        let (from, to) = (self.from_min % MINUTES_PER_DAY, self.to_min % MINUTES_PER_DAY);
        (to + MINUTES_PER_DAY - from) % MINUTES_PER_DAY
    }
}

impl Default for QuietHours {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl fmt::Display for QuietHours {
    /// `21:00-08:00`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (from, to) = (self.from_min % MINUTES_PER_DAY, self.to_min % MINUTES_PER_DAY);
        write!(f, "{:02}:{:02}-{:02}:{:02}", from / 60, from % 60, to / 60, to % 60)
    }
}

impl FromStr for QuietHours {
    type Err = QuietHoursError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

fn parse_hhmm(s: &str) -> Option<u16> {
    let (h, m) = s.split_once(':')?;
    let digits = |t: &str| !t.is_empty() && t.bytes().all(|b| b.is_ascii_digit());
    if !digits(h) || h.len() > 2 || !digits(m) || m.len() != 2 {
        return None;
    }
    let (h, m): (u16, u16) = (h.parse().ok()?, m.parse().ok()?);
    (h < 24 && m < 60).then_some(h * 60 + m)
}

/// When a message due at `utc_ms` may be sent: `utc_ms` itself unless that instant falls in
/// the quiet window of the zone `tz_offset_minutes` east of UTC, else the end of that window
/// (the first allowed instant, on a whole local minute).
pub fn next_allowed(utc_ms: i64, tz_offset_minutes: i32, quiet: Option<QuietHours>) -> i64 {
    let Some(quiet) = quiet else {
        return utc_ms;
    };
    let offset_ms = i64::from(tz_offset_minutes) * MS_PER_MINUTE;
    let local_ms = utc_ms + offset_ms;
    let minute_of_day = local_ms.rem_euclid(MS_PER_DAY) / MS_PER_MINUTE;
    if !quiet.contains(minute_of_day as u16) {
        return utc_ms;
    }
    let to = i64::from(quiet.to_min % MINUTES_PER_DAY);
    let day_start = local_ms - local_ms.rem_euclid(MS_PER_DAY);
    // In the window, before its end today; or (a window wrapping midnight) after its start,
    // so it ends tomorrow.
    let end_day = if minute_of_day < to { day_start } else { day_start + MS_PER_DAY };
    end_day + to * MS_PER_MINUTE - offset_ms
}

#[cfg(test)]
mod tests {
    use chrono::{NaiveDate, TimeZone, Utc};

    use super::*;

    const IST: i32 = 330;

    /// UTC ms of an India local time.
    fn ist(y: i32, mo: u32, d: u32, h: u32, mi: u32, s: u32) -> i64 {
        let local = NaiveDate::from_ymd_opt(y, mo, d).unwrap().and_hms_opt(h, mi, s).unwrap();
        Utc.from_utc_datetime(&local).timestamp_millis() - i64::from(IST) * 60_000
    }

    #[test]
    fn parses_and_displays() {
        let q = QuietHours::parse("21:00-09:00").unwrap();
        assert_eq!(q, QuietHours { from_min: 1260, to_min: 540 });
        assert_eq!(q.to_string(), "21:00-09:00");
        assert_eq!(QuietHours::parse(" 9:30 - 13:05 ").unwrap().to_string(), "09:30-13:05");
        assert_eq!("22:15-06:45".parse::<QuietHours>().unwrap().duration_minutes(), 510);
        assert_eq!(QuietHours::DEFAULT.to_string(), "21:00-08:00");
        assert_eq!(QuietHours::DEFAULT.duration_minutes(), 660);
        for bad in [
            "",
            "21:00",
            "24:00-08:00",
            "21:60-08:00",
            "21:0-08:00",
            "a:00-08:00",
            "21:00-08:00-09:00",
            "121:00-08:00",
            "+1:00-08:00",
        ] {
            assert!(QuietHours::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(QuietHours::new(1440, 0), None);
        assert_eq!(QuietHours::new(1439, 0).unwrap().to_string(), "23:59-00:00");
    }

    #[test]
    fn a_window_wrapping_midnight() {
        let q = QuietHours::DEFAULT;
        assert!(!q.contains(20 * 60 + 59));
        assert!(q.contains(21 * 60));
        assert!(q.contains(23 * 60 + 59));
        assert!(q.contains(0));
        assert!(q.contains(7 * 60 + 59));
        assert!(!q.contains(8 * 60));
        assert!(!q.contains(12 * 60));
    }

    #[test]
    fn a_window_within_the_day_and_an_empty_one() {
        let q = QuietHours::parse("13:00-15:30").unwrap();
        assert!(!q.contains(12 * 60 + 59));
        assert!(q.contains(13 * 60));
        assert!(q.contains(15 * 60 + 29));
        assert!(!q.contains(15 * 60 + 30));
        assert!(!q.contains(0));
        let none = QuietHours::parse("08:00-08:00").unwrap();
        assert!(none.is_none() && QuietHours::NONE.is_none() && !QuietHours::DEFAULT.is_none());
        assert!((0..MINUTES_PER_DAY).all(|m| !none.contains(m)));
        assert_eq!((0..MINUTES_PER_DAY).filter(|&m| QuietHours::DEFAULT.contains(m)).count(), 660);
    }

    #[test]
    fn next_allowed_outside_the_window_is_now() {
        let q = Some(QuietHours::DEFAULT);
        let t = ist(2021, 5, 1, 20, 59, 59);
        assert_eq!(next_allowed(t, IST, q), t);
        let t = ist(2021, 5, 1, 8, 0, 0);
        assert_eq!(next_allowed(t, IST, q), t);
        let t = ist(2021, 5, 1, 21, 30, 0);
        assert_eq!(next_allowed(t, IST, None), t);
        assert_eq!(next_allowed(t, IST, Some(QuietHours::NONE)), t);
    }

    #[test]
    fn next_allowed_in_the_evening_waits_for_tomorrow_morning() {
        let q = Some(QuietHours::DEFAULT);
        let morning = ist(2021, 5, 2, 8, 0, 0);
        assert_eq!(next_allowed(ist(2021, 5, 1, 21, 0, 0), IST, q), morning);
        assert_eq!(next_allowed(ist(2021, 5, 1, 23, 59, 59), IST, q), morning);
        // Past midnight: the same morning.
        assert_eq!(next_allowed(ist(2021, 5, 2, 0, 0, 0), IST, q), morning);
        assert_eq!(next_allowed(ist(2021, 5, 2, 7, 59, 59) + 999, IST, q), morning);
        // Across a month end and a year end.
        assert_eq!(next_allowed(ist(2021, 12, 31, 22, 0, 0), IST, q), ist(2022, 1, 1, 8, 0, 0));
    }

    #[test]
    fn next_allowed_uses_the_local_day_not_the_utc_day() {
        // 21:30 IST is 16:00 UTC; 02:00 IST is 20:30 UTC the day before.
        let q = Some(QuietHours::DEFAULT);
        let t = ist(2021, 5, 2, 2, 0, 0);
        assert_eq!(next_allowed(t, IST, q), ist(2021, 5, 2, 8, 0, 0));
        // A zone west of UTC and a window inside the day.
        let q = Some(QuietHours::parse("13:00-15:30").unwrap());
        let utc = |h, m| Utc.with_ymd_and_hms(2021, 5, 1, h, m, 0).unwrap().timestamp_millis();
        // 18:00 UTC is 13:00 at UTC-5.
        assert_eq!(next_allowed(utc(18, 0), -300, q), utc(20, 30));
        assert_eq!(next_allowed(utc(17, 59), -300, q), utc(17, 59));
        // Before the epoch works too.
        assert_eq!(next_allowed(-3_600_000, 0, Some(QuietHours::DEFAULT)), 8 * 3_600_000);
    }
}
