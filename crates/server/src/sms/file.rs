//! The demo's "phone": every message is appended to a file.

use std::io::Write;
use std::path::{Path, PathBuf};

use async_trait::async_trait;

use super::gateway::{Accepted, GatewayError, OutgoingSms, SmsGateway};

/// Appends `time\tkind\tmobile\ttext` lines (the format of the old `FileNotifier`: RFC 3339
/// time, the kind's Debug name such as `Otp`, the national number, the text).  Always accepts.
/// The server log names only the kind and the last 4 digits.
pub struct FileGateway {
    name: String,
    path: PathBuf,
    max_per_second: u32,
    lock: tokio::sync::Mutex<()>,
}

impl FileGateway {
    /// Appends to `path` (created when missing), named `file`, at most 1000 messages a second.
    pub fn new(path: PathBuf) -> Self {
        Self {
            name: "file".to_owned(),
            path,
            max_per_second: 1000,
            lock: tokio::sync::Mutex::new(()),
        }
    }

    /// Another name.
    pub fn with_name(mut self, name: impl Into<String>) -> Self {
        self.name = name.into();
        self
    }

    /// Another rate limit.
    pub fn with_max_per_second(mut self, rate: u32) -> Self {
        self.max_per_second = rate;
        self
    }

    /// The file written to.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

#[async_trait]
impl SmsGateway for FileGateway {
    fn name(&self) -> &str {
        &self.name
    }

    async fn send(&self, sms: &OutgoingSms) -> Result<Accepted, GatewayError> {
        let line = format!(
            "{}\t{:?}\t{}\t{}\n",
            chrono::Utc::now().to_rfc3339(),
            sms.kind,
            sms.to.as_str(),
            sms.text
        );
        let _guard = self.lock.lock().await;
        let path = self.path.clone();
        tokio::task::spawn_blocking(move || -> std::io::Result<()> {
            let mut f = std::fs::OpenOptions::new().create(true).append(true).open(&path)?;
            f.write_all(line.as_bytes())
        })
        .await
        .map_err(|e| GatewayError::Transient(format!("{}: {e}", self.name)))?
        .map_err(|e| {
            GatewayError::Transient(format!("{}: {}: {e}", self.name, self.path.display()))
        })?;
        tracing::info!(gateway = %self.name, sms.id = %sms.id, sms.kind = ?sms.kind, sms.to_last4 = sms.to.last4(), "sms handed to file gateway");
        Ok(Accepted { gateway_ref: None })
    }

    fn max_per_second(&self) -> u32 {
        self.max_per_second
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sms::gateway::test_util::sms_to;

    #[tokio::test]
    async fn appends_tab_separated_lines() {
        let path = std::env::temp_dir().join(format!("tika-sms-{}.txt", uuid::Uuid::new_v4()));
        let gw = FileGateway::new(path.clone());
        gw.send(&sms_to("9876543210", "Your OTP is 123456")).await.expect("sent");
        gw.send(&sms_to("+91 91234 56789", "second")).await.expect("sent");
        let text = std::fs::read_to_string(&path).expect("file");
        std::fs::remove_file(&path).ok();
        let lines: Vec<Vec<&str>> = text.lines().map(|l| l.split('\t').collect()).collect();
        assert_eq!(lines.len(), 2);
        assert!(chrono::DateTime::parse_from_rfc3339(lines[0][0]).is_ok(), "{}", lines[0][0]);
        assert_eq!(&lines[0][1..], ["Otp", "9876543210", "Your OTP is 123456"]);
        assert_eq!(&lines[1][2..], ["9123456789", "second"]);
    }

    #[tokio::test]
    async fn unwritable_file_is_transient() {
        let gw = FileGateway::new(PathBuf::from("/nonexistent-dir/x/sms.txt"));
        assert!(gw.send(&sms_to("9876543210", "x")).await.unwrap_err().is_transient());
    }
}
