//! `tika messages …`: the message queue from the command line (for operators, until the
//! admin console shows it): depth and age per lane, delivery rates by district and gateway, and
//! the messages sent to one mobile.

use std::path::Path;

use clap::Subcommand;
use tika_domain::mobile::Mobile;

use crate::run::{StoreArgs, open_configured_store};

/// `tika messages`.
#[derive(Debug, Subcommand)]
pub(crate) enum MessagesCommand {
    /// Queued messages per lane (due now, oldest), scheduled for later, being sent.
    Queue {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Delivery counts and rates by district (of the session) and gateway.
    Stats {
        #[command(flatten)]
        store: StoreArgs,
        /// Messages created in the last N days.
        #[arg(long, default_value_t = 7)]
        days: u32,
        /// One district only.
        #[arg(long)]
        district: Option<i64>,
    },
    /// The messages sent to one mobile, newest first (status, not text: the text may hold an
    /// OTP).
    List {
        #[command(flatten)]
        store: StoreArgs,
        /// The mobile number.
        #[arg(long)]
        mobile: String,
        /// How many.
        #[arg(long, default_value_t = 20)]
        limit: u32,
    },
}

fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}

fn stamp(ms: Option<i64>) -> String {
    ms.and_then(chrono::DateTime::from_timestamp_millis)
        .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
        .unwrap_or_else(|| "-".to_owned())
}

/// Runs a `tika messages` subcommand.
pub(crate) async fn messages(file: Option<&Path>, command: MessagesCommand) -> anyhow::Result<()> {
    match command {
        MessagesCommand::Queue { store } => {
            let (store, _) = open_configured_store(file, &store).await?;
            let now = now_ms();
            let depth = store.queue_depth(now).await?;
            println!("lane\tdue now\toldest due (s)");
            for (priority, count, oldest) in depth.due {
                println!(
                    "{}\t{count}\t{:.1}",
                    tika_server::services::notifications::lane_name(priority),
                    (now - oldest) as f64 / 1000.0
                );
            }
            println!("scheduled for later\t{}", depth.scheduled);
            println!("being sent\t{}", depth.sending);
        }
        MessagesCommand::Stats { store, days, district } => {
            let (store, pack) = open_configured_store(file, &store).await?;
            let since = now_ms() - i64::from(days) * 86_400_000;
            let stats = store.delivery_stats(since, district).await?;
            println!(
                "district\tgateway\ttotal\tpending\tsent\tdelivered\tfailed\texpired\tdelivery rate"
            );
            for s in stats {
                let name = s
                    .district_id
                    .and_then(|d| pack.districts.iter().find(|x| x.id.0 == d))
                    .map_or_else(|| "(no session)".to_owned(), |d| d.name.clone());
                let handed = s.sent + s.delivered + s.failed;
                let rate = if handed == 0 {
                    "-".to_owned()
                } else {
                    format!("{:.1}%", 100.0 * s.delivered as f64 / handed as f64)
                };
                println!(
                    "{name}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{rate}",
                    s.gateway.as_deref().unwrap_or("-"),
                    s.total,
                    s.pending,
                    s.sent,
                    s.delivered,
                    s.failed,
                    s.expired
                );
            }
        }
        MessagesCommand::List { store, mobile, limit } => {
            let mobile = Mobile::parse(&mobile).map_err(|e| anyhow::anyhow!("--mobile: {e}"))?;
            let (store, _) = open_configured_store(file, &store).await?;
            println!("created\tkind\tstatus\tattempts\tgateway\tsent\tdelivered\terror");
            for m in store.messages_to(&mobile, limit).await? {
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    stamp(Some(m.created_at_ms)),
                    m.kind,
                    m.status,
                    m.attempts,
                    m.gateway.as_deref().unwrap_or("-"),
                    stamp(m.sent_at_ms),
                    stamp(m.delivered_at_ms),
                    m.last_error.as_deref().unwrap_or("")
                );
            }
        }
    }
    Ok(())
}
