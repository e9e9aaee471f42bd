//! Messages → gateways.  Two lanes claim due messages from the queue: the OTP lane (OTPs only,
//! woken at once, so a million queued reminders never delay an OTP) and the main lane
//! (transactional first, then bulk).  Each claimed message is checked (expired? inside the
//! recipient's quiet hours?), handed to the gateway pool (failover, per-gateway rate), and
//! the outcomes of a round are written in one transaction.
//!
//! An outage never loses a message: while no gateway is healthy, claimed messages are put
//! back without counting an attempt and the lane waits; when a gateway answers again the
//! backlog drains at its configured rate.  Only a message that fails while a gateway is up
//! uses up its attempts.  An OTP whose time-to-live passed is `expired`, never sent late.

use std::time::Duration;

use futures::StreamExt as _;
use tika_domain::message::{MAX_ATTEMPTS, MessageKind, Priority, retry_delay_ms};
use tika_domain::quiet::{QuietHours, next_allowed};
use tika_storage::{MessageRecord, SendOutcome};

use crate::sms::{GatewayError, OutgoingSms};
use crate::state::AppState;

/// How long a claim holds a message before another dispatcher may take it (a crash mid-send
/// sends the message again after this: at-least-once).
const LEASE_MS: i64 = 60_000;
/// Messages claimed per round on the main lane.
pub const MAIN_BATCH: u32 = 500;
/// Messages handed to gateways at once.
const SEND_CONCURRENCY: usize = 64;
/// Put back for this long while every gateway is down.
const OUTAGE_DEFER_MS: i64 = 5_000;

/// What a lane round did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Round {
    /// Messages claimed.
    pub claimed: usize,
    /// Handed to a gateway.
    pub sent: usize,
    /// Put back (quiet hours, outage).
    pub deferred: usize,
    /// To be retried (attempt counted).
    pub retried: usize,
    /// Failed for good.
    pub failed: usize,
    /// Expired.
    pub expired: usize,
    /// Every gateway was down during the round.
    pub outage: bool,
}

/// Claims and sends one round of due messages of the given lanes.
pub async fn dispatch_round(
    state: &AppState,
    lanes: &[Priority],
    limit: u32,
) -> anyhow::Result<Round> {
    let now = state.now_ms();
    let messages = state.store.claim_messages(lanes, limit, now, now + LEASE_MS).await?;
    send_claimed(state, messages).await
}

/// Sends one queued message at once (the OTP fast path: the request that created it hands it
/// over itself).  Does nothing if a dispatcher already has it.
pub async fn send_now(state: &AppState, id: uuid::Uuid) -> anyhow::Result<Round> {
    let now = state.now_ms();
    match state.store.claim_message(id, now, now + LEASE_MS).await? {
        Some(m) => send_claimed(state, vec![m]).await,
        None => Ok(Round::default()),
    }
}

async fn send_claimed(state: &AppState, messages: Vec<MessageRecord>) -> anyhow::Result<Round> {
    let mut round = Round { claimed: messages.len(), ..Round::default() };
    if messages.is_empty() {
        return Ok(round);
    }
    let outcomes: Vec<SendOutcome> = futures::stream::iter(messages)
        .map(|m| async move { send_one(state, &m).await })
        .buffer_unordered(SEND_CONCURRENCY)
        .collect()
        .await;
    for o in &outcomes {
        let status = match o {
            SendOutcome::Sent { .. } => {
                round.sent += 1;
                "sent"
            }
            SendOutcome::Defer { .. } => {
                round.deferred += 1;
                "deferred"
            }
            SendOutcome::Retry { .. } => {
                round.retried += 1;
                "retry"
            }
            SendOutcome::Failed { .. } => {
                round.failed += 1;
                "failed"
            }
            SendOutcome::Expired { .. } => {
                round.expired += 1;
                "expired"
            }
        };
        state.metrics.messages_sent.with_label_values(&[status]).inc();
    }
    round.outage = !any_healthy(state);
    state.store.record_send_outcomes(&outcomes).await?;
    Ok(round)
}

async fn send_one(state: &AppState, m: &MessageRecord) -> SendOutcome {
    let now = state.now_ms();
    if now > m.expires_at_ms {
        return SendOutcome::Expired { id: m.id, at_ms: now };
    }
    if m.kind.respects_quiet_hours()
        && let Some((from, to)) = m.quiet_hours
    {
        let quiet = QuietHours { from_min: from, to_min: to };
        let allowed = next_allowed(now, state.pack.timezone_offset_minutes, Some(quiet));
        if allowed > now {
            return SendOutcome::Defer { id: m.id, until_ms: allowed };
        }
    }
    if !any_healthy(state) {
        return SendOutcome::Defer { id: m.id, until_ms: now + OUTAGE_DEFER_MS };
    }
    let sms = OutgoingSms {
        id: m.id,
        to: m.mobile.clone(),
        text: m.body.clone(),
        unicode: m.unicode,
        kind: m.kind,
        template_id: m.template_id.clone(),
        sender: state.templates.sender().to_owned(),
        dlr_url: dlr_url(state, m.id),
    };
    match state.sms.send(&sms).await {
        Ok((gateway, accepted)) => SendOutcome::Sent {
            id: m.id,
            gateway,
            gateway_ref: accepted.gateway_ref,
            at_ms: state.now_ms(),
        },
        Err(GatewayError::Transient(e)) if !any_healthy(state) => {
            tracing::warn!(error = %e, "no SMS gateway is answering; messages wait");
            SendOutcome::Defer { id: m.id, until_ms: state.now_ms() + OUTAGE_DEFER_MS }
        }
        Err(GatewayError::Transient(e)) => {
            let attempts = m.attempts + 1;
            let retry_at = state.now_ms() + retry_delay_ms(attempts);
            if attempts >= MAX_ATTEMPTS || retry_at > m.expires_at_ms {
                SendOutcome::Failed { id: m.id, gateway: None, error: e, at_ms: state.now_ms() }
            } else {
                SendOutcome::Retry { id: m.id, gateway: None, error: e, retry_at_ms: retry_at }
            }
        }
        Err(GatewayError::Permanent(e)) => {
            SendOutcome::Failed { id: m.id, gateway: None, error: e, at_ms: state.now_ms() }
        }
    }
}

/// Whether some gateway may be tried now (one cooling down after an error is not).
fn any_healthy(state: &AppState) -> bool {
    state.sms.health().iter().any(|(_, up)| *up)
}

/// The delivery-report address for a message, when callbacks are configured.
pub fn dlr_url(state: &AppState, id: uuid::Uuid) -> Option<String> {
    let base = state.config.sms.callback_base_url.as_deref()?;
    let tag = state.keys.sms_callback_tag(&id);
    // `%d` is Kannel's report type; a generic provider posts JSON to the same address.
    Some(format!("{base}api/sms/v1/dlr?id={id}&tag={tag}&status=%d"))
}

/// Runs both lanes until the process stops.
pub fn spawn_dispatcher(state: AppState) -> Vec<tokio::task::JoinHandle<()>> {
    let otp = {
        let state = state.clone();
        tokio::spawn(async move { lane(state, &[Priority::Otp], 50).await })
    };
    let main = tokio::spawn(async move {
        lane(state, &[Priority::Transactional, Priority::Bulk], MAIN_BATCH).await;
    });
    vec![otp, main]
}

async fn lane(state: AppState, lanes: &[Priority], batch: u32) {
    loop {
        let wake = state.dispatch_wake.notified();
        let pause = match dispatch_round(&state, lanes, batch).await {
            Ok(r) if r.outage => Duration::from_secs(1),
            Ok(r) if r.claimed >= batch as usize => Duration::ZERO,
            Ok(_) => Duration::from_millis(250),
            Err(e) => {
                tracing::warn!(error = %e, "message dispatch round failed");
                Duration::from_secs(1)
            }
        };
        if !pause.is_zero() {
            let _ = tokio::time::timeout(pause, wake).await;
        }
    }
}

/// Runs the planner until the process stops (every 250 ms, at once while there is a backlog).
pub fn spawn_planner(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            let pause = match super::planner::plan_pending(&state, 500).await {
                Ok(n) if n >= 500 => Duration::ZERO,
                Ok(_) => Duration::from_millis(250),
                Err(e) => {
                    tracing::warn!(error = %e, "message planning failed");
                    Duration::from_secs(1)
                }
            };
            if !pause.is_zero() {
                tokio::time::sleep(pause).await;
            }
        }
    })
}

/// Whether a kind goes through the OTP lane.
pub fn is_otp(kind: MessageKind) -> bool {
    kind.priority() == Priority::Otp
}
