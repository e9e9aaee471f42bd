//! Temperature loggers and excursion alarms: the pure part of the cold chain monitor.
//!
//! Vaccine sits in ice-lined refrigerators at 2–8 °C or in freezers at about −18 °C.  Loggers
//! publish readings over MQTT on `tika/loggers/{device}/readings`; the ingester subscribes,
//! turns each payload ([`RawReading`]) into a [`Reading`] with [`Reading::parse`] (never
//! panicking: every defect is a [`ReadingError`] it can log and count), stores it, and feeds it
//! to the [`Detector`] of the equipment.  Temperatures are whole tenths of a degree Celsius
//! (`i32`), so comparisons are exact; times are unix milliseconds passed in by the caller.
//!
//! # Excursion detection
//!
//! One [`Detector`] per piece of equipment applies an [`ExcursionRule`]: a run of readings
//! outside the range, all on the same side, that has lasted *longer than* `min_duration_ms`
//! opens a `TooWarm` or `TooCold` alarm whose `since_ms` is the first reading of the run; the
//! first newer reading that is not on that side clears it.  No reading for longer than
//! `silence_ms` (checked by [`Detector::tick`]) opens a `Silent` alarm, cleared by the next
//! newer reading.  At most one alarm per kind is open, and `TooWarm`/`TooCold` never together
//! (a warm-to-cold jump clears the warm alarm before the cold run can open one).
//!
//! Readings arrive duplicated, late and out of order (MQTT "at least once" redelivery, loggers flushing
//! a buffer after a network gap).  The detector therefore keeps a bounded time-ordered window
//! (`BTreeMap<at_ms, tenths>`, the last `min_duration_ms` + [`LATE_TOLERANCE_MS`], at most
//! [`MAX_WINDOW_READINGS`] readings) and, rather than folding readings one by one, re-derives
//! the *pending* run (the trailing out-of-range run ending at the newest reading) from the
//! window after every reading.  So a late reading counts exactly where it belongs in time:
//! it can start the pending run earlier (and thereby open the alarm, with the earlier
//! `since_ms`), split it (an in-range reading in the middle), or raise the worst temperature
//! of the open excursion.  What was already *decided* stays decided: only a reading newer than
//! every reading seen can clear an alarm, and readings older than the last clear are never
//! part of a new run, so a late reading can neither close an open alarm nor reopen a closed
//! one.  A reading at an instant already in the window is a duplicate and ignored (the first
//! one wins); one older than the window is ignored too (it is still stored by the server).
//!
//! The detector derives `Serialize`/`Deserialize` so the ingester can persist and restore it.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::ids::EquipmentId;

/// Lowest temperature a logger may report, in tenths of °C (−90 °C).
pub const MIN_LOGGABLE_TENTHS: i32 = -900;
/// Highest temperature a logger may report, in tenths of °C (60 °C).
pub const MAX_LOGGABLE_TENTHS: i32 = 600;
/// How far in the future of the server clock a reading may be (clock skew): 5 minutes.
pub const MAX_FUTURE_MS: i64 = 5 * 60_000;
/// How old a reading may be when it arrives: 30 days.
pub const MAX_AGE_MS: i64 = 30 * 86_400_000;
/// The MQTT topic prefix of logger readings; the topic is `tika/loggers/{device}/readings`.
pub const TOPIC_PREFIX: &str = "tika/loggers/";
/// The MQTT topic suffix of logger readings.
pub const TOPIC_SUFFIX: &str = "/readings";
/// The MQTT subscription filter matching every logger's readings topic.
pub const TOPIC_FILTER: &str = "tika/loggers/+/readings";
/// How much older than the newest reading a late reading may be and still count, beyond the
/// rule's `min_duration_ms`: 3 hours.
pub const LATE_TOLERANCE_MS: i64 = 3 * 3_600_000;
/// The most readings a detector keeps in its window (the oldest go first).
pub const MAX_WINDOW_READINGS: usize = 4096;

const DEVICE_MIN_LEN: usize = 3;
const DEVICE_MAX_LEN: usize = 40;

/// Why a temperature range or an excursion rule was refused.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ColdChainError {
    /// A limit is NaN or infinite.
    #[error("temperature limit is not a finite number")]
    NotFinite,
    /// A limit is outside what a logger can report.
    #[error("temperature limit {0} °C is outside -90 to 60 °C")]
    OutOfRange(f64),
    /// The minimum is above the maximum.
    #[error("minimum {min} °C is above maximum {max} °C")]
    MinAboveMax {
        /// The minimum given, °C.
        min: f64,
        /// The maximum given, °C.
        max: f64,
    },
    /// A duration is negative.
    #[error("{name} must not be negative (got {value} ms)")]
    NegativeDuration {
        /// Which duration.
        name: &'static str,
        /// The value given, ms.
        value: i64,
    },
}

/// Converts °C to tenths, refusing non-finite values and values outside −90..=60 °C.
fn celsius_to_tenths(c: f64) -> Option<i32> {
    if !c.is_finite() {
        return None;
    }
    let tenths = (c * 10.0).round();
    (f64::from(MIN_LOGGABLE_TENTHS)..=f64::from(MAX_LOGGABLE_TENTHS))
        .contains(&tenths)
        .then_some(tenths as i32)
}

/// Formats tenths of °C as `-18.5`.
pub fn format_tenths(tenths: i32) -> String {
    let sign = if tenths < 0 { "-" } else { "" };
    let abs = tenths.unsigned_abs();
    format!("{sign}{}.{}", abs / 10, abs % 10)
}

/// An acceptable temperature range, inclusive at both ends, in tenths of °C.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct TempRange {
    /// Lowest acceptable temperature, tenths of °C.
    pub min_tenths: i32,
    /// Highest acceptable temperature, tenths of °C.
    pub max_tenths: i32,
}

impl TempRange {
    /// A vaccine refrigerator (ILR): 2–8 °C.
    pub const FRIDGE: TempRange = TempRange { min_tenths: 20, max_tenths: 80 };
    /// A vaccine freezer: −25 to −15 °C.
    pub const FREEZER: TempRange = TempRange { min_tenths: -250, max_tenths: -150 };

    /// A range from limits in °C (rounded to tenths), refusing NaN, infinities, limits outside
    /// −90..=60 °C and a minimum above the maximum.
    pub fn parse(min_c: f64, max_c: f64) -> Result<Self, ColdChainError> {
        let convert = |c: f64| {
            if !c.is_finite() {
                Err(ColdChainError::NotFinite)
            } else {
                celsius_to_tenths(c).ok_or(ColdChainError::OutOfRange(c))
            }
        };
        let (min_tenths, max_tenths) = (convert(min_c)?, convert(max_c)?);
        if min_tenths > max_tenths {
            return Err(ColdChainError::MinAboveMax { min: min_c, max: max_c });
        }
        Ok(TempRange { min_tenths, max_tenths })
    }

    /// Whether the temperature (tenths of °C) is within the range.
    pub fn contains(self, tenths: i32) -> bool {
        (self.min_tenths..=self.max_tenths).contains(&tenths)
    }

    /// Which excursion the temperature is: `TooWarm` above, `TooCold` below, `None` within.
    pub fn classify(self, tenths: i32) -> Option<AlarmKind> {
        if tenths > self.max_tenths {
            Some(AlarmKind::TooWarm)
        } else if tenths < self.min_tenths {
            Some(AlarmKind::TooCold)
        } else {
            None
        }
    }
}

impl fmt::Display for TempRange {
    /// `2.0 to 8.0 °C`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} to {} °C", format_tenths(self.min_tenths), format_tenths(self.max_tenths))
    }
}

/// Why a logger payload was refused; the message says exactly what is wrong.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ReadingError {
    /// The device code is not 3–40 characters of `A-Z a-z 0-9 - _ .`.
    #[error("device code {0:?} is not 3 to 40 characters of A-Z, a-z, 0-9, '-', '_' or '.'")]
    BadDevice(String),
    /// The equipment is not a UUID.
    #[error("equipment {0:?} is not a UUID")]
    BadEquipment(String),
    /// The temperature is NaN or infinite.
    #[error("temperature is not a finite number")]
    TemperatureNotFinite,
    /// The temperature is outside what a logger can report.
    #[error("temperature {0} °C is outside the loggable range -90 to 60 °C")]
    TemperatureOutOfRange(f64),
    /// The battery level is not a percentage.
    #[error("battery level {0} is outside 0 to 100 %")]
    BatteryOutOfRange(i64),
    /// The time is neither unix milliseconds nor RFC 3339.
    #[error("time {0:?} is neither unix milliseconds nor an RFC 3339 timestamp")]
    BadTime(String),
    /// The time is more than [`MAX_FUTURE_MS`] ahead of the server clock.
    #[error(
        "reading time {at_ms} is {} ms ahead of the server clock {now_ms} (at most 5 minutes allowed)",
        .at_ms.saturating_sub(*.now_ms)
    )]
    InFuture {
        /// The reading's time, unix ms.
        at_ms: i64,
        /// The server clock, unix ms.
        now_ms: i64,
    },
    /// The time is more than [`MAX_AGE_MS`] before the server clock.
    #[error("reading time {at_ms} is more than 30 days before the server clock {now_ms}")]
    TooOld {
        /// The reading's time, unix ms.
        at_ms: i64,
        /// The server clock, unix ms.
        now_ms: i64,
    },
}

/// A logger's device code (its serial number): 3–40 characters of `A-Z a-z 0-9 - _ .`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DeviceCode(String);

impl DeviceCode {
    /// Parses a device code exactly as given (no trimming).
    pub fn parse(s: &str) -> Result<Self, ReadingError> {
        let ok = (DEVICE_MIN_LEN..=DEVICE_MAX_LEN).contains(&s.len())
            && s.bytes().all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'));
        if ok { Ok(DeviceCode(s.to_owned())) } else { Err(ReadingError::BadDevice(s.to_owned())) }
    }

    /// The code.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The MQTT topic this logger publishes its readings on.
    pub fn readings_topic(&self) -> String {
        format!("{TOPIC_PREFIX}{}{TOPIC_SUFFIX}", self.0)
    }
}

impl fmt::Display for DeviceCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl FromStr for DeviceCode {
    type Err = ReadingError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for DeviceCode {
    type Error = ReadingError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<DeviceCode> for String {
    fn from(code: DeviceCode) -> Self {
        code.0
    }
}

/// The device of a readings topic `tika/loggers/{device}/readings`; `None` for any other topic
/// or an invalid device code.
pub fn device_from_topic(topic: &str) -> Option<DeviceCode> {
    let device = topic.strip_prefix(TOPIC_PREFIX)?.strip_suffix(TOPIC_SUFFIX)?;
    DeviceCode::parse(device).ok()
}

/// A reading's time as published: unix milliseconds or an RFC 3339 string.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum RawTime {
    /// Unix milliseconds.
    UnixMs(i64),
    /// RFC 3339, e.g. `2026-12-04T10:15:00Z` or `2026-12-04T15:45:00+05:30`.
    Rfc3339(String),
}

impl RawTime {
    /// Unix milliseconds, or [`ReadingError::BadTime`].
    pub fn to_unix_ms(&self) -> Result<i64, ReadingError> {
        match self {
            RawTime::UnixMs(ms) => Ok(*ms),
            RawTime::Rfc3339(s) => chrono::DateTime::parse_from_rfc3339(s.trim())
                .map(|t| t.timestamp_millis())
                .map_err(|_| ReadingError::BadTime(s.clone())),
        }
    }
}

/// The MQTT payload of one reading, as published, before validation:
/// `{"device": "LOG-000123", "equipment": "<uuid>", "t": 4.6, "at": "2026-12-04T10:15:00Z",
/// "battery": 87}` (`equipment` and `battery` optional; `at` may be unix ms; unknown fields
/// are ignored).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RawReading {
    /// The logger's device code.
    pub device: String,
    /// The equipment the logger sits in, when the logger knows it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub equipment: Option<String>,
    /// Temperature, °C.
    pub t: f64,
    /// When the reading was taken.
    pub at: RawTime,
    /// Battery level, percent.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub battery: Option<i64>,
}

/// A validated reading.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Reading {
    /// The logger.
    pub device: DeviceCode,
    /// The equipment named in the payload, if any (the server otherwise maps device to
    /// equipment itself).
    pub equipment: Option<EquipmentId>,
    /// When the reading was taken, unix ms.
    pub at_ms: i64,
    /// Temperature, tenths of °C.
    pub tenths: i32,
    /// Battery level, percent.
    pub battery_pct: Option<u8>,
}

impl Reading {
    /// Validates a payload received when the server clock read `now_ms`: the device code, the
    /// equipment UUID (if any), a finite temperature within −90..=60 °C (rounded to tenths), a
    /// battery level within 0..=100, and a time that parses, is at most [`MAX_FUTURE_MS`]
    /// ahead of `now_ms` and at most [`MAX_AGE_MS`] behind it.
    pub fn parse(raw: &RawReading, now_ms: i64) -> Result<Reading, ReadingError> {
        let device = DeviceCode::parse(&raw.device)?;
        let equipment = raw
            .equipment
            .as_deref()
            .map(|e| e.parse::<EquipmentId>().map_err(|_| ReadingError::BadEquipment(e.to_owned())))
            .transpose()?;
        if !raw.t.is_finite() {
            return Err(ReadingError::TemperatureNotFinite);
        }
        let tenths = celsius_to_tenths(raw.t).ok_or(ReadingError::TemperatureOutOfRange(raw.t))?;
        let battery_pct = raw
            .battery
            .map(|b| {
                u8::try_from(b).ok().filter(|b| *b <= 100).ok_or(ReadingError::BatteryOutOfRange(b))
            })
            .transpose()?;
        let at_ms = raw.at.to_unix_ms()?;
        if at_ms > now_ms.saturating_add(MAX_FUTURE_MS) {
            return Err(ReadingError::InFuture { at_ms, now_ms });
        }
        if at_ms < now_ms.saturating_sub(MAX_AGE_MS) {
            return Err(ReadingError::TooOld { at_ms, now_ms });
        }
        Ok(Reading { device, equipment, at_ms, tenths, battery_pct })
    }
}

/// What an alarm is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlarmKind {
    /// Above the range.
    TooWarm,
    /// Below the range.
    TooCold,
    /// No reading for too long.
    Silent,
}

impl AlarmKind {
    /// `too_warm`, `too_cold` or `silent`.
    pub fn as_str(self) -> &'static str {
        match self {
            AlarmKind::TooWarm => "too_warm",
            AlarmKind::TooCold => "too_cold",
            AlarmKind::Silent => "silent",
        }
    }

    /// Every kind.
    pub const ALL: [AlarmKind; 3] = [AlarmKind::TooWarm, AlarmKind::TooCold, AlarmKind::Silent];

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// Whether this is a temperature excursion (not silence).
    pub fn is_excursion(self) -> bool {
        matches!(self, AlarmKind::TooWarm | AlarmKind::TooCold)
    }
}

impl fmt::Display for AlarmKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// What the detector decided, for the server to record and notify.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "snake_case")]
pub enum AlarmEvent {
    /// An alarm opened.
    Opened {
        /// What it is about.
        kind: AlarmKind,
        /// When the condition started (first out-of-range reading; last reading for silence).
        since_ms: i64,
        /// The most extreme temperature so far (tenths of °C); `None` for silence.
        worst_tenths: Option<i32>,
    },
    /// An alarm cleared: back in range (or past the other side), or a reading received again.
    Cleared {
        /// What it was about.
        kind: AlarmKind,
        /// The time of the reading that cleared it.
        at_ms: i64,
    },
}

impl AlarmEvent {
    /// The alarm kind of the event.
    pub fn kind(&self) -> AlarmKind {
        match self {
            AlarmEvent::Opened { kind, .. } | AlarmEvent::Cleared { kind, .. } => *kind,
        }
    }
}

/// A currently open alarm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpenAlarm {
    /// What it is about.
    pub kind: AlarmKind,
    /// When the condition started.
    pub since_ms: i64,
    /// The most extreme temperature so far (tenths of °C); `None` for silence.
    pub worst_tenths: Option<i32>,
}

/// One temperature excursion that opened an alarm, open or cleared.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Excursion {
    /// `TooWarm` or `TooCold`.
    pub kind: AlarmKind,
    /// The first out-of-range reading of the run.
    pub since_ms: i64,
    /// The most extreme temperature seen during it, tenths of °C.
    pub worst_tenths: i32,
    /// The reading that cleared it; `None` while open.
    pub cleared_ms: Option<i64>,
}

impl Excursion {
    /// Whether it is still open.
    pub fn is_open(&self) -> bool {
        self.cleared_ms.is_none()
    }
}

/// When excursion and silence alarms open for one piece of equipment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct ExcursionRule {
    /// The acceptable range.
    pub range: TempRange,
    /// Out of range (on one side) for longer than this opens an alarm, ms.
    pub min_duration_ms: i64,
    /// No reading for longer than this opens a `Silent` alarm, ms.
    pub silence_ms: i64,
}

impl ExcursionRule {
    /// A vaccine refrigerator: 2–8 °C, alarm after 10 minutes out, silence after 60 minutes.
    pub const FRIDGE: ExcursionRule =
        ExcursionRule { range: TempRange::FRIDGE, min_duration_ms: 600_000, silence_ms: 3_600_000 };
    /// A vaccine freezer: −25 to −15 °C, alarm after 10 minutes out, silence after 60 minutes.
    pub const FREEZER: ExcursionRule = ExcursionRule {
        range: TempRange::FREEZER,
        min_duration_ms: 600_000,
        silence_ms: 3_600_000,
    };

    /// A rule, refusing negative durations.
    pub fn new(
        range: TempRange,
        min_duration_ms: i64,
        silence_ms: i64,
    ) -> Result<Self, ColdChainError> {
        if min_duration_ms < 0 {
            return Err(ColdChainError::NegativeDuration {
                name: "min_duration_ms",
                value: min_duration_ms,
            });
        }
        if silence_ms < 0 {
            return Err(ColdChainError::NegativeDuration { name: "silence_ms", value: silence_ms });
        }
        Ok(ExcursionRule { range, min_duration_ms, silence_ms })
    }
}

/// The more extreme of two temperatures for an excursion kind.
fn more_extreme(kind: AlarmKind, a: i32, b: i32) -> i32 {
    match kind {
        AlarmKind::TooWarm => a.max(b),
        AlarmKind::TooCold => a.min(b),
        AlarmKind::Silent => a,
    }
}

/// Excursion and silence detection for one piece of equipment (see the module documentation
/// for how duplicated, late and out-of-order readings are handled).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Detector {
    rule: ExcursionRule,
    /// Recent readings, `at_ms -> tenths`, bounded (see [`Detector::retention_ms`]).
    window: BTreeMap<i64, i32>,
    /// The newest reading time seen.
    latest_ms: Option<i64>,
    /// Before any reading: silence is counted from here.
    watch_since_ms: Option<i64>,
    /// Readings before this (the last excursion clear) never join a new run.
    floor_ms: Option<i64>,
    /// The open excursion, or the last cleared one.
    excursion: Option<Excursion>,
    /// When the open `Silent` alarm's silence started.
    silent_since_ms: Option<i64>,
}

impl Detector {
    /// A detector with no history; silence is only counted once a first reading arrived.
    pub fn new(rule: ExcursionRule) -> Self {
        Detector {
            rule,
            window: BTreeMap::new(),
            latest_ms: None,
            watch_since_ms: None,
            floor_ms: None,
            excursion: None,
            silent_since_ms: None,
        }
    }

    /// A detector that counts silence from `since_ms` (e.g. when the logger was installed)
    /// until the first reading arrives.
    pub fn watching_since(rule: ExcursionRule, since_ms: i64) -> Self {
        Detector { watch_since_ms: Some(since_ms), ..Detector::new(rule) }
    }

    /// The rule applied.
    pub fn rule(&self) -> ExcursionRule {
        self.rule
    }

    /// The newest reading time seen.
    pub fn latest_reading_ms(&self) -> Option<i64> {
        self.latest_ms
    }

    /// The readings in the window, oldest first, as `(at_ms, tenths)`.
    pub fn readings(&self) -> impl Iterator<Item = (i64, i32)> + '_ {
        self.window.iter().map(|(at, t)| (*at, *t))
    }

    /// How far behind the newest reading the window reaches: `min_duration_ms` +
    /// [`LATE_TOLERANCE_MS`].  Readings older than that are ignored.
    pub fn retention_ms(&self) -> i64 {
        self.rule.min_duration_ms.max(0).saturating_add(LATE_TOLERANCE_MS)
    }

    /// Takes in one reading (at `reading_at_ms`, `tenths` of °C) and returns the alarms it
    /// opens or clears.  Duplicates (same instant) and readings older than the window are
    /// ignored; late readings count toward the pending or open excursion but never clear or
    /// reopen an alarm.
    pub fn observe(&mut self, reading_at_ms: i64, tenths: i32) -> Vec<AlarmEvent> {
        let mut events = Vec::new();
        let at_ms = reading_at_ms;
        if self.window.contains_key(&at_ms) {
            return events;
        }
        if let Some(latest) = self.latest_ms
            && at_ms < latest.saturating_sub(self.retention_ms())
        {
            return events;
        }
        self.window.insert(at_ms, tenths);
        let is_new = self.latest_ms.is_none_or(|latest| at_ms > latest);
        if is_new {
            self.latest_ms = Some(at_ms);
            if let Some(since) = self.silent_since_ms.take() {
                events
                    .push(AlarmEvent::Cleared { kind: AlarmKind::Silent, at_ms: at_ms.max(since) });
            }
        }
        let side = self.rule.range.classify(tenths);
        if let Some(exc) = self.excursion.as_mut().filter(|e| e.is_open()) {
            if side == Some(exc.kind) {
                if at_ms >= exc.since_ms {
                    exc.worst_tenths = more_extreme(exc.kind, exc.worst_tenths, tenths);
                }
            } else if is_new {
                exc.cleared_ms = Some(at_ms);
                self.floor_ms = Some(at_ms);
                events.push(AlarmEvent::Cleared { kind: exc.kind, at_ms });
            }
        }
        if let Some(latest) = self.latest_ms {
            events.extend(self.try_open(latest));
        }
        self.prune();
        events
    }

    /// Checks the clock: opens `Silent` when no reading arrived for longer than `silence_ms`
    /// before `now_ms`, and opens an excursion whose run is still out of range (the newest
    /// reading is) and has by `now_ms` lasted longer than `min_duration_ms`.
    pub fn tick(&mut self, now_ms: i64) -> Vec<AlarmEvent> {
        let mut events = Vec::new();
        events.extend(self.try_open(now_ms));
        if self.silent_since_ms.is_none()
            && let Some(since) = self.latest_ms.or(self.watch_since_ms)
            && now_ms.saturating_sub(since) > self.rule.silence_ms
        {
            self.silent_since_ms = Some(since);
            events.push(AlarmEvent::Opened {
                kind: AlarmKind::Silent,
                since_ms: since,
                worst_tenths: None,
            });
        }
        events
    }

    /// The alarms open now (at most one excursion, at most one silence).
    pub fn open_alarms(&self) -> Vec<OpenAlarm> {
        let excursion = self.open_excursion().map(|e| OpenAlarm {
            kind: e.kind,
            since_ms: e.since_ms,
            worst_tenths: Some(e.worst_tenths),
        });
        let silent = self.silent_since_ms.map(|since| OpenAlarm {
            kind: AlarmKind::Silent,
            since_ms: since,
            worst_tenths: None,
        });
        excursion.into_iter().chain(silent).collect()
    }

    /// The open excursion, or else the last cleared one.
    pub fn last_excursion(&self) -> Option<Excursion> {
        self.excursion
    }

    /// The exposure window of the open or last excursion: `(since_ms, cleared_ms)`, with
    /// `None` for an excursion still open.  Lots in the equipment over that span were exposed.
    pub fn excursion_window(&self) -> Option<(i64, Option<i64>)> {
        self.excursion.map(|e| (e.since_ms, e.cleared_ms))
    }

    fn open_excursion(&self) -> Option<&Excursion> {
        self.excursion.as_ref().filter(|e| e.is_open())
    }

    /// The trailing run: the newest reading's side and the earliest reading (not before the
    /// floor) from which every reading up to the newest is on that side, with its extreme.
    fn trailing_run(&self) -> Option<(AlarmKind, i64, i32)> {
        let floor = self.floor_ms.unwrap_or(i64::MIN);
        let mut readings = self.window.range(floor..).rev();
        let (&last_at, &last_tenths) = readings.next()?;
        let kind = self.rule.range.classify(last_tenths)?;
        let (mut since, mut worst) = (last_at, last_tenths);
        for (&at, &tenths) in readings {
            if self.rule.range.classify(tenths) != Some(kind) {
                break;
            }
            since = at;
            worst = more_extreme(kind, worst, tenths);
        }
        Some((kind, since, worst))
    }

    /// Opens an excursion if none is open and the trailing run has lasted longer than the
    /// rule's duration by `ref_ms`.
    fn try_open(&mut self, ref_ms: i64) -> Option<AlarmEvent> {
        if self.open_excursion().is_some() {
            return None;
        }
        let (kind, since_ms, worst_tenths) = self.trailing_run()?;
        if ref_ms.saturating_sub(since_ms) <= self.rule.min_duration_ms {
            return None;
        }
        self.excursion = Some(Excursion { kind, since_ms, worst_tenths, cleared_ms: None });
        Some(AlarmEvent::Opened { kind, since_ms, worst_tenths: Some(worst_tenths) })
    }

    /// Drops readings older than the retention, then the oldest beyond the count bound.
    fn prune(&mut self) {
        if let Some(latest) = self.latest_ms {
            let horizon = latest.saturating_sub(self.retention_ms());
            self.window = self.window.split_off(&horizon);
        }
        while self.window.len() > MAX_WINDOW_READINGS {
            self.window.pop_first();
        }
    }
}

/// Where a person has taken an alarm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlarmStatus {
    /// Raised, nobody has answered yet.
    Open,
    /// Someone at the point has seen it and is acting.
    Acknowledged,
    /// Closed with an action.
    Closed,
}

impl AlarmStatus {
    /// Every status.
    pub const ALL: [AlarmStatus; 3] =
        [AlarmStatus::Open, AlarmStatus::Acknowledged, AlarmStatus::Closed];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            AlarmStatus::Open => "open",
            AlarmStatus::Acknowledged => "acknowledged",
            AlarmStatus::Closed => "closed",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// What was done about an alarm, recorded when it is closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AlarmAction {
    /// The exposed vials were set aside until their vial monitors are checked.
    VialsQuarantined,
    /// The vaccine was moved to other equipment.
    VaccineMoved,
    /// Power came back / the equipment was repaired.
    EquipmentRepaired,
    /// The logger (or its battery) was replaced.
    LoggerReplaced,
    /// Checked on site: the vaccine was never at risk (door left open briefly, sensor fault).
    NoRisk,
    /// Anything else (the note says what).
    Other,
}

impl AlarmAction {
    /// Every action.
    pub const ALL: [AlarmAction; 6] = [
        AlarmAction::VialsQuarantined,
        AlarmAction::VaccineMoved,
        AlarmAction::EquipmentRepaired,
        AlarmAction::LoggerReplaced,
        AlarmAction::NoRisk,
        AlarmAction::Other,
    ];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            AlarmAction::VialsQuarantined => "vials_quarantined",
            AlarmAction::VaccineMoved => "vaccine_moved",
            AlarmAction::EquipmentRepaired => "equipment_repaired",
            AlarmAction::LoggerReplaced => "logger_replaced",
            AlarmAction::NoRisk => "no_risk",
            AlarmAction::Other => "other",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// The review of a lot that was in the equipment's point during an excursion.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LotReview {
    /// Not reviewed yet (the lot is flagged).
    Pending,
    /// Vial monitors fine: the lot stays in use.
    Usable,
    /// Set aside pending a decision.
    Quarantined,
    /// Discarded (its vials are written off as wastage separately, in the ledger).
    Discarded,
}

impl LotReview {
    /// Every review.
    pub const ALL: [LotReview; 4] =
        [LotReview::Pending, LotReview::Usable, LotReview::Quarantined, LotReview::Discarded];

    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            LotReview::Pending => "pending",
            LotReview::Usable => "usable",
            LotReview::Quarantined => "quarantined",
            LotReview::Discarded => "discarded",
        }
    }

    /// Parses a stored name.
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const MIN: i64 = 60_000;
    const NOW: i64 = 1_796_379_300_000; // 2026-12-04T10:15:00Z

    fn fridge() -> Detector {
        Detector::new(ExcursionRule::FRIDGE)
    }

    fn feed(d: &mut Detector, readings: &[(i64, i32)]) -> Vec<AlarmEvent> {
        readings.iter().flat_map(|&(m, t)| d.observe(m * MIN, t)).collect()
    }

    fn opened(kind: AlarmKind, since_min: i64, worst: i32) -> AlarmEvent {
        AlarmEvent::Opened { kind, since_ms: since_min * MIN, worst_tenths: Some(worst) }
    }

    fn cleared(kind: AlarmKind, at_min: i64) -> AlarmEvent {
        AlarmEvent::Cleared { kind, at_ms: at_min * MIN }
    }

    fn raw(t: f64) -> RawReading {
        RawReading {
            device: "LOG-000123".to_owned(),
            equipment: None,
            t,
            at: RawTime::UnixMs(NOW),
            battery: Some(87),
        }
    }

    #[test]
    fn temp_range_parse_and_contains() {
        let r = TempRange::parse(2.0, 8.0).unwrap();
        assert_eq!(r, TempRange::FRIDGE);
        assert!(r.contains(20) && r.contains(80) && r.contains(46));
        assert!(!r.contains(19) && !r.contains(81));
        assert_eq!(r.classify(81), Some(AlarmKind::TooWarm));
        assert_eq!(r.classify(19), Some(AlarmKind::TooCold));
        assert_eq!(r.classify(50), None);
        assert_eq!(TempRange::parse(-25.0, -15.0).unwrap(), TempRange::FREEZER);
        assert_eq!(TempRange::FREEZER.to_string(), "-25.0 to -15.0 °C");
        assert_eq!(format_tenths(-5), "-0.5");
        assert_eq!(
            TempRange::parse(8.0, 2.0),
            Err(ColdChainError::MinAboveMax { min: 8.0, max: 2.0 })
        );
        assert_eq!(TempRange::parse(f64::NAN, 2.0), Err(ColdChainError::NotFinite));
        assert_eq!(TempRange::parse(2.0, f64::INFINITY), Err(ColdChainError::NotFinite));
        assert_eq!(TempRange::parse(-91.0, 2.0), Err(ColdChainError::OutOfRange(-91.0)));
        assert_eq!(TempRange::parse(2.0, 60.5), Err(ColdChainError::OutOfRange(60.5)));
        assert!(TempRange::parse(-90.0, 60.0).is_ok());
        assert!(ExcursionRule::new(TempRange::FRIDGE, -1, 10).is_err());
        assert!(ExcursionRule::new(TempRange::FRIDGE, 1, -10).is_err());
        assert!(ExcursionRule::new(TempRange::FRIDGE, 0, 0).is_ok());
    }

    #[test]
    fn parses_a_good_reading() {
        let mut r = raw(4.6);
        let eq = EquipmentId::new();
        r.equipment = Some(eq.to_string());
        let reading = Reading::parse(&r, NOW).unwrap();
        assert_eq!(reading.device.as_str(), "LOG-000123");
        assert_eq!(reading.equipment, Some(eq));
        assert_eq!(reading.tenths, 46);
        assert_eq!(reading.at_ms, NOW);
        assert_eq!(reading.battery_pct, Some(87));

        r.at = RawTime::Rfc3339("2026-12-04T10:15:00Z".to_owned());
        assert_eq!(Reading::parse(&r, NOW).unwrap().at_ms, NOW);
        r.at = RawTime::Rfc3339("2026-12-04T15:45:00+05:30".to_owned());
        assert_eq!(Reading::parse(&r, NOW).unwrap().at_ms, NOW);
        r.battery = None;
        assert_eq!(Reading::parse(&r, NOW).unwrap().battery_pct, None);
        assert_eq!(Reading::parse(&raw(-18.44), NOW).unwrap().tenths, -184);
    }

    #[test]
    fn deserializes_the_documented_payload() {
        // No serde_json in this crate; TOML exercises the same serde derive.
        let r: RawReading = toml::from_str(
            "device = \"LOG-000123\"\nt = 4.6\nat = \"2026-12-04T10:15:00Z\"\nbattery = 87\nextra = 1",
        )
        .unwrap();
        assert_eq!(r.at, RawTime::Rfc3339("2026-12-04T10:15:00Z".to_owned()));
        assert_eq!(Reading::parse(&r, NOW).unwrap().at_ms, NOW);
        let r: RawReading =
            toml::from_str(&format!("device = \"LOG-1.a_b\"\nt = -18\nat = {NOW}")).unwrap();
        assert_eq!(r.at, RawTime::UnixMs(NOW));
        assert_eq!(r.t, -18.0);
        assert_eq!(r.equipment, None);
    }

    #[test]
    fn refuses_each_bad_field() {
        let with = |f: &dyn Fn(&mut RawReading)| {
            let mut r = raw(4.6);
            f(&mut r);
            Reading::parse(&r, NOW).unwrap_err()
        };
        for bad in ["", "AB", "LOG 1", "LOG/1", "LÖG-1", &"x".repeat(41)] {
            let bad = bad.to_owned();
            assert_eq!(with(&|r| r.device = bad.clone()), ReadingError::BadDevice(bad.clone()));
        }
        assert!(DeviceCode::parse(&"x".repeat(40)).is_ok());
        assert_eq!(
            with(&|r| r.equipment = Some("nope".to_owned())),
            ReadingError::BadEquipment("nope".to_owned())
        );
        assert_eq!(with(&|r| r.t = f64::NAN), ReadingError::TemperatureNotFinite);
        assert_eq!(with(&|r| r.t = f64::NEG_INFINITY), ReadingError::TemperatureNotFinite);
        assert_eq!(with(&|r| r.t = 60.1), ReadingError::TemperatureOutOfRange(60.1));
        assert_eq!(with(&|r| r.t = -90.5), ReadingError::TemperatureOutOfRange(-90.5));
        assert_eq!(with(&|r| r.battery = Some(101)), ReadingError::BatteryOutOfRange(101));
        assert_eq!(with(&|r| r.battery = Some(-1)), ReadingError::BatteryOutOfRange(-1));
        assert_eq!(
            with(&|r| r.at = RawTime::Rfc3339("yesterday".to_owned())),
            ReadingError::BadTime("yesterday".to_owned())
        );
        let ahead = NOW + MAX_FUTURE_MS + 1;
        let err = with(&|r| r.at = RawTime::UnixMs(ahead));
        assert_eq!(err, ReadingError::InFuture { at_ms: ahead, now_ms: NOW });
        assert!(err.to_string().contains("300001 ms ahead"), "{err}");
        let old = NOW - MAX_AGE_MS - 1;
        assert_eq!(
            with(&|r| r.at = RawTime::UnixMs(old)),
            ReadingError::TooOld { at_ms: old, now_ms: NOW }
        );
        // The edges are accepted.
        let mut r = raw(60.0);
        r.at = RawTime::UnixMs(NOW + MAX_FUTURE_MS);
        r.battery = Some(100);
        assert!(Reading::parse(&r, NOW).is_ok());
        r.at = RawTime::UnixMs(NOW - MAX_AGE_MS);
        assert!(Reading::parse(&r, NOW).is_ok());
    }

    #[test]
    fn topics() {
        let d = device_from_topic("tika/loggers/LOG-000123/readings").unwrap();
        assert_eq!(d.as_str(), "LOG-000123");
        assert_eq!(d.readings_topic(), "tika/loggers/LOG-000123/readings");
        for bad in [
            "tika/loggers/LOG-000123",
            "tika/loggers/LOG-000123/status",
            "tika/loggers//readings",
            "tika/loggers/a/b/readings",
            "tika/loggers/+/readings",
            "other/LOG-000123/readings",
            "tika/loggers/L1/readings",
        ] {
            assert_eq!(device_from_topic(bad), None, "{bad}");
        }
        assert!(TOPIC_FILTER.starts_with(TOPIC_PREFIX) && TOPIC_FILTER.ends_with(TOPIC_SUFFIX));
    }

    #[test]
    fn in_range_stays_quiet() {
        let mut d = fridge();
        let events = feed(&mut d, &[(0, 20), (5, 46), (10, 80), (15, 50), (20, 21)]);
        assert!(events.is_empty());
        assert!(d.tick(25 * MIN).is_empty());
        assert!(d.open_alarms().is_empty());
        assert_eq!(d.excursion_window(), None);
    }

    #[test]
    fn short_excursion_never_opens() {
        let mut d = fridge();
        // 10 minutes out is not longer than 10 minutes.
        let events = feed(&mut d, &[(0, 50), (5, 95), (10, 99), (15, 90), (20, 50)]);
        assert!(events.is_empty());
        assert!(d.tick(60 * MIN).is_empty());
        assert_eq!(d.excursion_window(), None);
    }

    #[test]
    fn long_excursion_opens_once_and_clears() {
        let mut d = fridge();
        let events =
            feed(&mut d, &[(0, 50), (5, 95), (10, 120), (16, 100), (20, 130), (25, 90), (30, 60)]);
        assert_eq!(
            events,
            vec![opened(AlarmKind::TooWarm, 5, 120), cleared(AlarmKind::TooWarm, 30)]
        );
        assert_eq!(d.excursion_window(), Some((5 * MIN, Some(30 * MIN))));
        assert_eq!(d.last_excursion().map(|e| e.worst_tenths), Some(130));
        assert!(d.open_alarms().is_empty());
    }

    #[test]
    fn open_alarm_tracks_worst() {
        let mut d = fridge();
        feed(&mut d, &[(0, 15), (6, 10), (12, 12)]);
        assert_eq!(
            d.open_alarms(),
            vec![OpenAlarm { kind: AlarmKind::TooCold, since_ms: 0, worst_tenths: Some(10) }]
        );
        assert!(feed(&mut d, &[(18, -5)]).is_empty());
        assert_eq!(d.open_alarms()[0].worst_tenths, Some(-5));
        assert_eq!(d.excursion_window(), Some((0, None)));
    }

    #[test]
    fn duplicates_are_ignored() {
        let mut d = fridge();
        let events = feed(&mut d, &[(0, 90), (0, 90), (5, 90), (5, 50), (11, 95), (11, 95)]);
        assert_eq!(events, vec![opened(AlarmKind::TooWarm, 0, 95)]);
        // A duplicate of an in-range instant does not clear either.
        assert!(feed(&mut d, &[(5, 50), (11, 50)]).is_empty());
        assert_eq!(d.open_alarms().len(), 1);
        assert_eq!(d.readings().count(), 3);
    }

    #[test]
    fn out_of_order_matches_sorted() {
        let sorted = [(0, 50), (2, 90), (4, 95), (8, 85), (14, 91), (20, 50)];
        let shuffled = [(0, 50), (4, 95), (2, 90), (8, 85), (14, 91), (20, 50)];
        let (mut a, mut b) = (fridge(), fridge());
        let expected = vec![opened(AlarmKind::TooWarm, 2, 95), cleared(AlarmKind::TooWarm, 20)];
        assert_eq!(feed(&mut a, &sorted), expected);
        assert_eq!(feed(&mut b, &shuffled), expected);
        assert_eq!(a.excursion_window(), b.excursion_window());

        // The late reading is the one that makes the run long enough.
        let mut c = fridge();
        assert!(feed(&mut c, &[(0, 50), (4, 95), (13, 90)]).is_empty());
        assert_eq!(feed(&mut c, &[(2, 99)]), vec![opened(AlarmKind::TooWarm, 2, 99)]);
    }

    #[test]
    fn late_in_range_reading_splits_the_pending_run() {
        let mut d = fridge();
        assert!(feed(&mut d, &[(0, 90), (8, 90)]).is_empty());
        // A late in-range reading at 6: the run now starts at 8.
        assert!(feed(&mut d, &[(6, 50), (12, 90)]).is_empty());
        assert_eq!(feed(&mut d, &[(19, 90)]), vec![opened(AlarmKind::TooWarm, 8, 90)]);
    }

    #[test]
    fn late_readings_neither_close_nor_reopen() {
        let mut d = fridge();
        assert_eq!(feed(&mut d, &[(0, 90), (11, 90)]), vec![opened(AlarmKind::TooWarm, 0, 90)]);
        // Late in range: stays open.  Late warmer: raises worst.
        assert!(feed(&mut d, &[(5, 50), (7, 140)]).is_empty());
        assert_eq!(d.open_alarms()[0].worst_tenths, Some(140));
        assert_eq!(feed(&mut d, &[(20, 50)]), vec![cleared(AlarmKind::TooWarm, 20)]);
        // Late out of range after the clear: no reopening.
        assert!(feed(&mut d, &[(15, 150), (18, 150)]).is_empty());
        assert!(d.tick(60 * MIN).iter().all(|e| e.kind() == AlarmKind::Silent));
        assert_eq!(d.excursion_window(), Some((0, Some(20 * MIN))));
    }

    #[test]
    fn too_old_for_the_window_is_ignored() {
        let mut d = fridge();
        feed(&mut d, &[(0, 50), (300, 50)]);
        assert!(feed(&mut d, &[(10, 150)]).is_empty());
        assert!(d.readings().all(|(at, _)| at >= 300 * MIN - d.retention_ms()));
    }

    #[test]
    fn silence_opens_on_tick_and_clears_on_reading() {
        let mut d = fridge();
        assert!(d.tick(1_000 * MIN).is_empty(), "no reading yet: nothing to be silent about");
        feed(&mut d, &[(0, 50)]);
        assert!(d.tick(60 * MIN).is_empty());
        let expected =
            vec![AlarmEvent::Opened { kind: AlarmKind::Silent, since_ms: 0, worst_tenths: None }];
        assert_eq!(d.tick(61 * MIN), expected);
        assert!(d.tick(90 * MIN).is_empty(), "opens once");
        assert_eq!(
            d.open_alarms(),
            vec![OpenAlarm { kind: AlarmKind::Silent, since_ms: 0, worst_tenths: None }]
        );
        assert_eq!(feed(&mut d, &[(95, 50)]), vec![cleared(AlarmKind::Silent, 95)]);
        assert!(d.open_alarms().is_empty());

        let mut w = Detector::watching_since(ExcursionRule::FRIDGE, 0);
        assert_eq!(
            w.tick(61 * MIN),
            vec![AlarmEvent::Opened { kind: AlarmKind::Silent, since_ms: 0, worst_tenths: None }]
        );
    }

    #[test]
    fn tick_opens_a_continuing_excursion() {
        let mut d = fridge();
        assert!(feed(&mut d, &[(0, 50), (3, 95)]).is_empty());
        assert!(d.tick(13 * MIN).is_empty());
        assert_eq!(d.tick(14 * MIN), vec![opened(AlarmKind::TooWarm, 3, 95)]);
        assert!(d.tick(15 * MIN).is_empty());
        assert_eq!(feed(&mut d, &[(16, 70)]), vec![cleared(AlarmKind::TooWarm, 16)]);
    }

    #[test]
    fn warm_then_cold() {
        let mut d = fridge();
        let events = feed(&mut d, &[(0, 90), (11, 95), (15, 10), (20, 5), (26, 8), (30, 50)]);
        assert_eq!(
            events,
            vec![
                opened(AlarmKind::TooWarm, 0, 95),
                cleared(AlarmKind::TooWarm, 15),
                opened(AlarmKind::TooCold, 15, 5),
                cleared(AlarmKind::TooCold, 30),
            ]
        );
        // A late warm reading inside the cold run does not bring warm back.
        let mut d = fridge();
        feed(&mut d, &[(0, 90), (11, 95), (15, 10)]);
        assert!(feed(&mut d, &[(13, 99), (20, 10)]).is_empty());
        assert_eq!(feed(&mut d, &[(26, 10)]), vec![opened(AlarmKind::TooCold, 15, 10)]);
    }

    #[test]
    fn state_round_trips_through_serde() {
        let mut d = fridge();
        feed(&mut d, &[(0, 90), (11, 95)]);
        #[derive(Serialize, Deserialize)]
        struct Wrap {
            d: Detector,
        }
        let text = toml::to_string(&Wrap { d: d.clone() }).unwrap();
        let back: Wrap = toml::from_str(&text).unwrap();
        assert_eq!(back.d, d);
    }

    proptest! {
        #[test]
        fn alarms_stay_consistent(
            steps in prop::collection::vec((1i64..20 * MIN, -100i32..200, prop::bool::ANY), 0..80),
        ) {
            let rule = ExcursionRule::new(TempRange::FRIDGE, 10 * MIN, 60 * MIN).unwrap();
            let mut d = Detector::new(rule);
            let mut at = 0i64;
            let mut open: Vec<AlarmKind> = Vec::new();
            for (gap, tenths, tick) in steps {
                at += gap;
                let events = if tick { d.tick(at) } else { d.observe(at, tenths) };
                for e in events {
                    match e {
                        AlarmEvent::Opened { kind, .. } => {
                            prop_assert!(!open.contains(&kind), "{kind} opened twice");
                            open.push(kind);
                        }
                        AlarmEvent::Cleared { kind, .. } => {
                            prop_assert!(open.contains(&kind), "{kind} cleared while not open");
                            open.retain(|k| *k != kind);
                        }
                    }
                    prop_assert!(
                        !(open.contains(&AlarmKind::TooWarm) && open.contains(&AlarmKind::TooCold))
                    );
                }
                let mut now: Vec<AlarmKind> = d.open_alarms().iter().map(|a| a.kind).collect();
                let mut expected = open.clone();
                now.sort();
                expected.sort();
                prop_assert_eq!(now, expected);
            }
        }

        #[test]
        fn alarms_stay_consistent_in_any_arrival_order(
            steps in prop::collection::vec((0i64..600, -100i32..200, prop::bool::ANY), 0..80),
        ) {
            let mut d = fridge();
            let mut open: Vec<AlarmKind> = Vec::new();
            for (minute, tenths, tick) in steps {
                let events =
                    if tick { d.tick(minute * MIN) } else { d.observe(minute * MIN, tenths) };
                for e in events {
                    match e {
                        AlarmEvent::Opened { kind, .. } => {
                            prop_assert!(!open.contains(&kind));
                            open.push(kind);
                        }
                        AlarmEvent::Cleared { kind, .. } => {
                            prop_assert!(open.contains(&kind));
                            open.retain(|k| *k != kind);
                        }
                    }
                    prop_assert!(
                        !(open.contains(&AlarmKind::TooWarm) && open.contains(&AlarmKind::TooCold))
                    );
                }
                prop_assert_eq!(d.open_alarms().len(), open.len());
            }
        }
    }
}
