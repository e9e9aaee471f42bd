//! Messages to beneficiaries: what each is for, how urgent it is, how long it may wait, and its
//! lifecycle.  The SMS encoding rules are in [`crate::sms`], the templates in
//! [`crate::templates`]; delivery (gateways, retries) lives in the server.

use std::fmt;

/// What a message is for.  The kind decides its priority, its time-to-live, whether it waits
/// for the end of the recipient's quiet hours, and which template renders it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum MessageKind {
    /// A login OTP.
    Otp,
    /// A beneficiary was registered.
    Registration,
    /// A booking was made (date, time, place, 4-digit code).
    BookingConfirmed,
    /// A booking was moved to another session.
    BookingRescheduled,
    /// A booking was cancelled by the citizen.
    BookingCancelled,
    /// 24 hours before the appointment.
    Reminder,
    /// The site moved a session to another day: everyone booked is told.
    SessionChanged,
    /// The site cancelled a session: everyone booked is told to book again.
    SessionCancelled,
    /// The next dose is due (per the vaccine's interval), with a link to book.
    DoseDue,
    /// A certificate can be downloaded.
    CertificateReady,
    /// A correction request was approved.
    CorrectionApproved,
    /// A correction request was rejected (with a link to see why and ask again).
    CorrectionRejected,
    /// The answer to an incoming SMS (keyword reply).
    Reply,
    /// To a cold chain point's staff and district officials: a fridge or freezer is out of its
    /// band.
    ColdChainExcursion,
    /// To the same people: a temperature logger has gone silent.
    ColdChainSilent,
}

impl MessageKind {
    /// Every kind, in a stable order.
    pub const ALL: [MessageKind; 15] = [
        MessageKind::Otp,
        MessageKind::Registration,
        MessageKind::BookingConfirmed,
        MessageKind::BookingRescheduled,
        MessageKind::BookingCancelled,
        MessageKind::Reminder,
        MessageKind::SessionChanged,
        MessageKind::SessionCancelled,
        MessageKind::DoseDue,
        MessageKind::CertificateReady,
        MessageKind::CorrectionApproved,
        MessageKind::CorrectionRejected,
        MessageKind::Reply,
        MessageKind::ColdChainExcursion,
        MessageKind::ColdChainSilent,
    ];

    /// The stored and template name (`booking_confirmed`).
    pub fn as_str(self) -> &'static str {
        match self {
            MessageKind::Otp => "otp",
            MessageKind::Registration => "registration",
            MessageKind::BookingConfirmed => "booking_confirmed",
            MessageKind::BookingRescheduled => "booking_rescheduled",
            MessageKind::BookingCancelled => "booking_cancelled",
            MessageKind::Reminder => "reminder",
            MessageKind::SessionChanged => "session_changed",
            MessageKind::SessionCancelled => "session_cancelled",
            MessageKind::DoseDue => "dose_due",
            MessageKind::CertificateReady => "certificate_ready",
            MessageKind::CorrectionApproved => "correction_approved",
            MessageKind::CorrectionRejected => "correction_rejected",
            MessageKind::Reply => "reply",
            MessageKind::ColdChainExcursion => "coldchain_excursion",
            MessageKind::ColdChainSilent => "coldchain_silent",
        }
    }

    /// Parses [`MessageKind::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// How urgent the kind is.
    pub fn priority(self) -> Priority {
        match self {
            MessageKind::Otp => Priority::Otp,
            MessageKind::Reminder | MessageKind::DoseDue => Priority::Bulk,
            _ => Priority::Transactional,
        }
    }

    /// How long after it is due a message may still be sent (ms).  An OTP that can no longer be
    /// used is not sent late: its time-to-live is the OTP's validity.
    pub fn ttl_ms(self) -> i64 {
        const MIN: i64 = 60_000;
        const HOUR: i64 = 60 * MIN;
        match self {
            MessageKind::Otp => 3 * MIN,
            MessageKind::Reply => 30 * MIN,
            // A reminder a day before is pointless once the appointment has started.
            MessageKind::Reminder => 20 * HOUR,
            MessageKind::SessionChanged | MessageKind::SessionCancelled => 24 * HOUR,
            MessageKind::DoseDue => 7 * 24 * HOUR,
            // An alarm hours old is in the console; the SMS is for acting now.
            MessageKind::ColdChainExcursion | MessageKind::ColdChainSilent => 6 * HOUR,
            _ => 48 * HOUR,
        }
    }

    /// Whether the message waits for the end of the recipient's quiet hours (bulk messages do;
    /// OTPs and answers to what the citizen just did never wait).
    pub fn respects_quiet_hours(self) -> bool {
        self.priority() == Priority::Bulk
    }
}

impl fmt::Display for MessageKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Queue lanes, most urgent first.  OTPs jump the queue; bulk never delays an OTP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Priority {
    /// OTPs: sent at once.
    Otp = 0,
    /// Answers to something the citizen or the site just did.
    Transactional = 1,
    /// Reminders and dose-due notices.
    Bulk = 2,
}

impl Priority {
    /// The stored number (0 most urgent).
    pub fn as_i64(self) -> i64 {
        self as i64
    }

    /// Parses [`Priority::as_i64`].
    pub fn from_i64(n: i64) -> Option<Self> {
        match n {
            0 => Some(Priority::Otp),
            1 => Some(Priority::Transactional),
            2 => Some(Priority::Bulk),
            _ => None,
        }
    }
}

/// Where a message is in its life.
///
/// `queued → sending → sent → delivered`, with `failed` (permanent error, attempts exhausted or
/// a failure report), `expired` (its time-to-live passed before a gateway took it) and
/// `cancelled` (superseded: a reminder for a booking that was cancelled) as the other ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum MessageStatus {
    /// Waiting to be sent (maybe not before `available_at`).
    Queued,
    /// Claimed by a dispatcher, being handed to a gateway.
    Sending,
    /// A gateway accepted it.
    Sent,
    /// The phone network reported delivery.
    Delivered,
    /// It will not be delivered.
    Failed,
    /// Its time-to-live passed before a gateway took it.
    Expired,
    /// Superseded before it was sent.
    Cancelled,
}

impl MessageStatus {
    /// Stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            MessageStatus::Queued => "queued",
            MessageStatus::Sending => "sending",
            MessageStatus::Sent => "sent",
            MessageStatus::Delivered => "delivered",
            MessageStatus::Failed => "failed",
            MessageStatus::Expired => "expired",
            MessageStatus::Cancelled => "cancelled",
        }
    }

    /// Parses [`MessageStatus::as_str`].
    pub fn parse(s: &str) -> Option<Self> {
        [
            MessageStatus::Queued,
            MessageStatus::Sending,
            MessageStatus::Sent,
            MessageStatus::Delivered,
            MessageStatus::Failed,
            MessageStatus::Expired,
            MessageStatus::Cancelled,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }

    /// No further change is possible (except `sent → delivered/failed` by a delivery report).
    pub fn is_final(self) -> bool {
        matches!(
            self,
            MessageStatus::Delivered
                | MessageStatus::Failed
                | MessageStatus::Expired
                | MessageStatus::Cancelled
        )
    }
}

impl fmt::Display for MessageStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The wait before attempt `attempts + 1` after `attempts` failed ones: 5 s doubling, at most
/// 10 minutes (a message's time-to-live bounds the total).
pub fn retry_delay_ms(attempts: u32) -> i64 {
    let doublings = attempts.saturating_sub(1).min(7);
    (5_000_i64 << doublings).min(600_000)
}

/// How many failed attempts a message gets before it is `failed` (its time-to-live may end it
/// sooner).
pub const MAX_ATTEMPTS: u32 = 12;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kinds_round_trip_and_have_distinct_names() {
        for k in MessageKind::ALL {
            assert_eq!(MessageKind::parse(k.as_str()), Some(k));
        }
        let mut names: Vec<_> = MessageKind::ALL.iter().map(|k| k.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), MessageKind::ALL.len());
        assert_eq!(MessageKind::parse("nope"), None);
    }

    #[test]
    fn otps_jump_the_queue_and_never_wait_for_quiet_hours() {
        assert_eq!(MessageKind::Otp.priority(), Priority::Otp);
        assert!(!MessageKind::Otp.respects_quiet_hours());
        assert_eq!(MessageKind::Reminder.priority(), Priority::Bulk);
        assert!(MessageKind::Reminder.respects_quiet_hours());
        assert!(MessageKind::DoseDue.respects_quiet_hours());
        assert!(!MessageKind::SessionCancelled.respects_quiet_hours());
        assert!(
            Priority::Otp < Priority::Transactional && Priority::Transactional < Priority::Bulk
        );
        assert_eq!(MessageKind::Otp.ttl_ms(), 180_000);
    }

    #[test]
    fn statuses_round_trip() {
        for s in ["queued", "sending", "sent", "delivered", "failed", "expired", "cancelled"] {
            assert_eq!(MessageStatus::parse(s).map(MessageStatus::as_str), Some(s));
        }
        assert!(MessageStatus::Delivered.is_final() && !MessageStatus::Sent.is_final());
    }

    #[test]
    fn retries_back_off_and_are_capped() {
        assert_eq!(retry_delay_ms(1), 5_000);
        assert_eq!(retry_delay_ms(2), 10_000);
        assert_eq!(retry_delay_ms(3), 20_000);
        assert_eq!(retry_delay_ms(30), 600_000);
        assert_eq!(Priority::from_i64(2), Some(Priority::Bulk));
        assert_eq!(Priority::from_i64(3), None);
    }
}
