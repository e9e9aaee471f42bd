//! How messages leave Tika.  Here only the interface and two simple gateways; the durable outbox
//! and the real SMS gateway (Kannel) build on this interface.

use std::io::Write;
use std::path::PathBuf;

use async_trait::async_trait;
use tika_domain::mobile::Mobile;

/// What a message is for (decides priority and logging).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MessageKind {
    /// A login OTP.
    Otp,
    /// Registration acknowledgement.
    Registration,
    /// Booking confirmation, reschedule or cancellation.
    Appointment,
}

/// One SMS to send.
#[derive(Clone)]
pub struct Sms {
    /// Recipient.
    pub to: Mobile,
    /// Text (may contain the OTP: never log it).
    pub text: String,
    /// Purpose.
    pub kind: MessageKind,
}

/// A way to send SMS.
#[async_trait]
pub trait Notifier: Send + Sync + 'static {
    /// Hands a message to the gateway; errors are reported, never retried here.
    async fn send(&self, sms: Sms) -> anyhow::Result<()>;
}

/// Writes messages to a file in the data directory: the demo's "phone".  The log line in the
/// server log names only the kind and the last 4 digits.
pub struct FileNotifier {
    path: PathBuf,
    lock: parking_lot::Mutex<()>,
}

impl FileNotifier {
    /// Appends to `path`.
    pub fn new(path: PathBuf) -> Self {
        Self { path, lock: parking_lot::Mutex::new(()) }
    }
}

#[async_trait]
impl Notifier for FileNotifier {
    async fn send(&self, sms: Sms) -> anyhow::Result<()> {
        let _guard = self.lock.lock();
        let mut f = std::fs::OpenOptions::new().create(true).append(true).open(&self.path)?;
        writeln!(
            f,
            "{}\t{:?}\t{}\t{}",
            chrono::Utc::now().to_rfc3339(),
            sms.kind,
            sms.to.as_str(),
            sms.text
        )?;
        tracing::info!(sms.kind = ?sms.kind, sms.to_last4 = sms.to.last4(), "sms handed to file gateway");
        Ok(())
    }
}

/// Keeps messages in memory so tests (and the browser tests' helper endpoint) can read them.
#[derive(Default)]
pub struct MemoryNotifier {
    sent: parking_lot::Mutex<Vec<Sms>>,
}

impl MemoryNotifier {
    /// Every message sent so far.
    pub fn sent(&self) -> Vec<Sms> {
        self.sent.lock().clone()
    }

    /// The last message sent to a mobile.
    pub fn last_to(&self, mobile: &Mobile) -> Option<Sms> {
        self.sent.lock().iter().rev().find(|m| &m.to == mobile).cloned()
    }
}

#[async_trait]
impl Notifier for MemoryNotifier {
    async fn send(&self, sms: Sms) -> anyhow::Result<()> {
        self.sent.lock().push(sms);
        Ok(())
    }
}
