//! Incoming SMS (MO): a beneficiary replies by keyword.
//!
//! | keyword (English / Hindi) | what happens |
//! |---|---|
//! | `STATUS`, `DETAILS`, `INFO` / `स्थिति`, `जानकारी` | a reply with each upcoming appointment: who, date, slot, centre, code |
//! | `CANCEL <code>` / `रद्द <code>` | cancels the upcoming appointment with that 4-digit code (without a code: the only upcoming one); the cancellation SMS follows as for a cancellation on the web |
//! | `QUIET 22-07`, `QUIET OFF` | sets (or clears) the mobile's quiet hours for reminders |
//! | `HINDI` / `हिंदी`, `ENGLISH` / `अंग्रेज़ी` | the language of every later message |
//! | anything else | a help reply listing the keywords |
//!
//! Replies are ordinary queued messages (tracked, retried); the HTTP answer to the gateway is
//! empty so it sends nothing untracked.  Every incoming SMS is stored with what was done.

use tika_domain::message::MessageKind;
use tika_domain::mobile::Mobile;
use tika_domain::quiet::QuietHours;
use tika_storage::{AppointmentStatus, InboundSms, NewMessage, StorageError};

use crate::state::AppState;

/// A recognised keyword.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Command {
    /// Appointment details.
    Status,
    /// Cancel (with the appointment's code, if given).
    Cancel(Option<String>),
    /// Quiet hours (`None` clears them).
    Quiet(Option<QuietHours>),
    /// The language of later messages (`en`, `hi`).
    Language(&'static str),
    /// Anything else.
    Help,
}

impl Command {
    /// Reads the first word (case-insensitive) and its argument.
    pub fn parse(text: &str) -> Self {
        let mut words = text.split_whitespace();
        let keyword = words.next().unwrap_or_default().to_uppercase();
        let arg = words.next().map(str::to_owned);
        match keyword.as_str() {
            "STATUS" | "DETAILS" | "INFO" | "स्थिति" | "जानकारी" => {
                Command::Status
            }
            "CANCEL" | "रद्द" => Command::Cancel(arg),
            "HINDI" | "हिंदी" | "हिन्दी" => Command::Language("hi"),
            "ENGLISH" | "अंग्रेज़ी" | "अंग्रेजी" => {
                Command::Language("en")
            }
            "QUIET" => match arg.as_deref().map(str::to_uppercase).as_deref() {
                Some("OFF") => Command::Quiet(None),
                Some(a) => parse_quiet(a).map_or(Command::Help, |q| Command::Quiet(Some(q))),
                None => Command::Help,
            },
            _ => Command::Help,
        }
    }

    fn name(&self) -> &'static str {
        match self {
            Command::Status => "status",
            Command::Cancel(_) => "cancel",
            Command::Quiet(_) => "quiet",
            Command::Language(_) => "language",
            Command::Help => "help",
        }
    }
}

/// `22-07` or `22:00-07:30`.
fn parse_quiet(s: &str) -> Option<QuietHours> {
    let (a, b) = s.split_once('-')?;
    let norm = |t: &str| if t.contains(':') { t.to_owned() } else { format!("{t}:00") };
    QuietHours::parse(&format!("{}-{}", norm(a), norm(b))).ok()
}

/// Handles one incoming SMS: acts, queues the reply, records it.  Returns what was done.
pub async fn handle(state: &AppState, from: &str, to: &str, text: &str) -> anyhow::Result<String> {
    let now = state.now_ms();
    let Ok(mobile) = Mobile::parse(from) else {
        anyhow::bail!("the sender is not a mobile number");
    };
    let command = Command::parse(text);
    let account = match state.store.find_account_by_mobile(&mobile).await {
        Ok(a) => Some(a),
        Err(StorageError::NotFound) => None,
        Err(e) => return Err(e.into()),
    };
    let mut language = account.as_ref().map_or("en", |a| a.language.as_str()).to_owned();
    if let (Command::Language(l), Some(a)) = (&command, &account) {
        state.store.set_account_language(a.id, l).await?;
        (*l).clone_into(&mut language);
    }
    let hindi = language == "hi";
    let (outcome, reply) = match (&command, &account) {
        (_, None) => (
            "unknown mobile".to_owned(),
            if hindi {
                "यह मोबाइल नंबर पंजीकृत नहीं है।".to_owned()
            } else {
                "This mobile number is not registered with Tika.".to_owned()
            },
        ),
        (Command::Help, Some(_)) => ("help".to_owned(), help(hindi)),
        (Command::Language(l), Some(_)) => (
            format!("language {l}"),
            if hindi {
                "अब से संदेश हिंदी में भेजे जाएँगे।".to_owned()
            } else {
                "Messages will be sent in English from now on.".to_owned()
            },
        ),
        (Command::Quiet(q), Some(a)) => {
            state.store.set_quiet_hours(a.id, q.map(|q| (q.from_min, q.to_min))).await?;
            match q {
                Some(q) => (
                    format!("quiet hours {q}"),
                    if hindi {
                        format!("अनुस्मारक {q} के बीच नहीं भेजे जाएँगे।")
                    } else {
                        format!("Reminders will not be sent between {q}.")
                    },
                ),
                None => (
                    "quiet hours cleared".to_owned(),
                    if hindi {
                        "शांत समय हटा दिया गया।".to_owned()
                    } else {
                        "Quiet hours cleared.".to_owned()
                    },
                ),
            }
        }
        (Command::Status, Some(a)) => {
            let upcoming = upcoming(state, a.id).await?;
            let text = if upcoming.is_empty() {
                if hindi {
                    "कोई आगामी अपॉइंटमेंट नहीं है।".to_owned()
                } else {
                    "You have no upcoming appointment.".to_owned()
                }
            } else {
                upcoming
                    .iter()
                    .map(|u| {
                        format!(
                            "{} D{} {} {} {} code {}",
                            u.name,
                            u.dose,
                            tika_domain::date::format_cowin_date(u.date),
                            u.slot,
                            u.center,
                            u.code
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("; ")
            };
            (format!("status: {} upcoming", upcoming.len()), text)
        }
        (Command::Cancel(code), Some(a)) => {
            let upcoming = upcoming(state, a.id).await?;
            let chosen: Vec<&Upcoming> = match code {
                Some(c) => upcoming.iter().filter(|u| &u.code == c).collect(),
                None => upcoming.iter().collect(),
            };
            match chosen.as_slice() {
                [one] => {
                    state.store.cancel(one.booking, &[one.beneficiary], now).await?;
                    crate::services::booking::write_through(state, one.session).await;
                    // The cancellation message follows from the cancellation event.
                    (format!("cancelled {}", one.booking), String::new())
                }
                [] => (
                    "cancel: no match".to_owned(),
                    if hindi {
                        "इस कोड का कोई आगामी अपॉइंटमेंट नहीं मिला।".to_owned()
                    } else {
                        "No upcoming appointment has this code. Send CANCEL <4-digit code>."
                            .to_owned()
                    },
                ),
                _ => (
                    "cancel: several".to_owned(),
                    if hindi {
                        "कई अपॉइंटमेंट हैं: रद्द <4 अंकों का कोड> भेजें।".to_owned()
                    } else {
                        "You have several appointments: send CANCEL <4-digit code>.".to_owned()
                    },
                ),
            }
        }
    };
    if !reply.is_empty() {
        let rendered =
            state.templates.render(MessageKind::Reply, &language, &[("text", &reply)])?;
        let id = uuid::Uuid::now_v7();
        state
            .store
            .enqueue_messages(&[NewMessage {
                id,
                kind: MessageKind::Reply,
                mobile: mobile.clone(),
                account_id: account.as_ref().map(|a| a.id),
                beneficiary_id: None,
                booking_id: None,
                session_id: None,
                language: rendered.language.clone(),
                template_id: rendered.template_id.clone(),
                unicode: rendered.size.encoding == tika_domain::sms::Encoding::Ucs2,
                parts: u32::try_from(rendered.size.parts).unwrap_or(u32::MAX),
                body: rendered.text,
                supersede_key: None,
                quiet_hours: None,
                available_at_ms: now,
                expires_at_ms: now + MessageKind::Reply.ttl_ms(),
                created_at_ms: now,
            }])
            .await?;
        state.dispatch_wake.notify_waiters();
    }
    state
        .store
        .record_inbound(&InboundSms {
            id: uuid::Uuid::now_v7(),
            mobile,
            to: to.chars().take(32).collect(),
            text: text.chars().take(480).collect(),
            keyword: command.name().to_owned(),
            outcome: outcome.clone(),
            received_at_ms: now,
        })
        .await?;
    state.metrics.inbound_sms.with_label_values(&[command.name()]).inc();
    Ok(outcome)
}

fn help(hindi: bool) -> String {
    if hindi {
        "स्थिति: अपॉइंटमेंट की जानकारी. रद्द <कोड>: अपॉइंटमेंट रद्द करें. QUIET 22-07: अनुस्मारक का शांत समय. ENGLISH: अंग्रेज़ी में संदेश."
            .to_owned()
    } else {
        "Reply STATUS for your appointments, CANCEL <code> to cancel one, QUIET 22-07 to set quiet hours, HINDI for messages in Hindi."
            .to_owned()
    }
}

struct Upcoming {
    booking: tika_domain::ids::AppointmentId,
    beneficiary: tika_domain::ids::BeneficiaryId,
    session: tika_domain::ids::SessionId,
    name: String,
    dose: u8,
    date: chrono::NaiveDate,
    slot: String,
    center: String,
    code: String,
}

/// The account's booked appointments from today on, soonest first.
async fn upcoming(
    state: &AppState,
    account: tika_domain::ids::AccountId,
) -> anyhow::Result<Vec<Upcoming>> {
    let people = state.store.list_beneficiaries(account).await?;
    let ids: Vec<_> = people.iter().map(|p| p.id).collect();
    let today = state.today();
    let mut out = Vec::new();
    for a in state.store.list_appointments(&ids).await? {
        if a.status != AppointmentStatus::Booked {
            continue;
        }
        let session = state.store.find_session(a.session_id).await?;
        if session.date < today {
            continue;
        }
        let center = state.store.find_center(session.center_id).await?;
        let name = people
            .iter()
            .find(|p| p.id == a.beneficiary_id)
            .map(|p| p.name.clone())
            .unwrap_or_default();
        out.push(Upcoming {
            booking: a.booking_id,
            beneficiary: a.beneficiary_id,
            session: a.session_id,
            name,
            dose: a.dose.get(),
            date: session.date,
            slot: a.slot.as_str().to_owned(),
            center: center.name,
            code: a.security_code.as_str().to_owned(),
        });
    }
    out.sort_by(|a, b| (a.date, &a.slot).cmp(&(b.date, &b.slot)));
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keywords_are_recognised_in_english_and_hindi() {
        assert_eq!(Command::parse("status"), Command::Status);
        assert_eq!(Command::parse("  Details please"), Command::Status);
        assert_eq!(Command::parse("स्थिति"), Command::Status);
        assert_eq!(Command::parse("CANCEL 1234"), Command::Cancel(Some("1234".into())));
        assert_eq!(Command::parse("रद्द 0042"), Command::Cancel(Some("0042".into())));
        assert_eq!(Command::parse("cancel"), Command::Cancel(None));
        assert_eq!(
            Command::parse("QUIET 22-07"),
            Command::Quiet(Some(QuietHours { from_min: 22 * 60, to_min: 7 * 60 }))
        );
        assert_eq!(Command::parse("quiet off"), Command::Quiet(None));
        assert_eq!(Command::parse("hindi"), Command::Language("hi"));
        assert_eq!(Command::parse("हिंदी"), Command::Language("hi"));
        assert_eq!(Command::parse("English please"), Command::Language("en"));
        assert_eq!(Command::parse("QUIET 25-99"), Command::Help);
        assert_eq!(Command::parse(""), Command::Help);
        assert_eq!(Command::parse("hello"), Command::Help);
    }
}
