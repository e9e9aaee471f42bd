//! Notifications: every message durable, tracked and visible (who was told, who came).
//!
//! - [`planner`]: outbox events → rendered messages in the queue (one transaction).
//! - [`dispatch`]: queue → gateway pool, in priority lanes, with retries, expiry and quiet
//!   hours; delivery reports come back through the API.
//! - [`inbound`]: incoming SMS keywords.
//! - this module: the OTP message, the session call list (JSON, CSV, PDF), delivery rates,
//!   and the site's session cancel/move.

pub mod dispatch;
pub mod inbound;
pub mod planner;

use serde_json::{Value, json};
use tika_domain::ids::SessionId;
use tika_domain::message::{MessageKind, MessageStatus};
use tika_domain::mobile::Mobile;
use tika_storage::{CallListRow, ConflictKind, NewMessage, StorageError};

use crate::error::{ApiError, ApiResult};
use crate::services::staff::StaffPrincipal;
use crate::state::AppState;

/// The OTP's SMS, rendered in the account's language (English for a new mobile), ready to be
/// stored with the OTP in one transaction.
pub async fn otp_message(
    state: &AppState,
    mobile: &Mobile,
    otp: &str,
    now_ms: i64,
) -> ApiResult<NewMessage> {
    let account = match state.store.find_account_by_mobile(mobile).await {
        Ok(a) => Some(a),
        Err(StorageError::NotFound) => None,
        Err(e) => return Err(e.into()),
    };
    let language = account.as_ref().map_or("en", |a| a.language.as_str());
    let minutes = (MessageKind::Otp.ttl_ms() / 60_000).to_string();
    let rendered = state
        .templates
        .render(MessageKind::Otp, language, &[("otp", otp), ("minutes", &minutes)])
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("otp template: {e}")))?;
    Ok(NewMessage {
        id: uuid::Uuid::now_v7(),
        kind: MessageKind::Otp,
        mobile: mobile.clone(),
        account_id: account.map(|a| a.id),
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
        available_at_ms: now_ms,
        expires_at_ms: now_ms + MessageKind::Otp.ttl_ms(),
        created_at_ms: now_ms,
    })
}

/// Hands a just-stored OTP message to the gateway from the request itself; if that fails the
/// OTP lane retries it until it expires.
pub async fn deliver_otp(state: &AppState, id: uuid::Uuid) {
    if let Err(e) = dispatch::send_now(state, id).await {
        tracing::warn!(error = %e, "otp could not be handed over now; the OTP lane retries");
        state.dispatch_wake.notify_waiters();
    }
}

/// Sends a message without the queue: only a read-only server does this (it writes nothing,
/// so its OTPs cannot be queued); a failure is logged and the citizen asks again.
pub async fn send_unqueued(state: &AppState, m: &NewMessage) {
    let sms = crate::sms::OutgoingSms {
        id: m.id,
        to: m.mobile.clone(),
        text: m.body.clone(),
        unicode: m.unicode,
        kind: m.kind,
        template_id: m.template_id.clone(),
        sender: state.templates.sender().to_owned(),
        dlr_url: None,
    };
    if let Err(e) = state.sms.send(&sms).await {
        tracing::warn!(error = ?e, "read-only server: the OTP could not be handed to a gateway");
    }
}

/// One line of the call list, as the API and the CSV give it.
fn message_label(row: &CallListRow) -> (String, String, bool) {
    match &row.last_message {
        None => ("none".to_owned(), "not sent".to_owned(), true),
        Some(m) => {
            let when = m.delivered_at_ms.or(m.sent_at_ms).map(hhmm).unwrap_or_default();
            let needs_call = !matches!(m.status, MessageStatus::Delivered | MessageStatus::Sent);
            (
                m.kind.as_str().to_owned(),
                format!("{} {}", m.status.as_str(), when).trim().to_owned(),
                needs_call,
            )
        }
    }
}

fn hhmm(ms: i64) -> String {
    let offset = chrono::FixedOffset::east_opt(330 * 60);
    match (chrono::DateTime::from_timestamp_millis(ms), offset) {
        (Some(t), Some(o)) => t.with_timezone(&o).format("%d-%m %H:%M").to_string(),
        _ => String::new(),
    }
}

/// The session's call list: everyone booked, what they were told, whether they came.  Staff
/// of the session's facility only; the read is written to the access log.
pub async fn call_list(
    state: &AppState,
    who: &StaffPrincipal,
    id: SessionId,
) -> ApiResult<(tika_storage::Session, Vec<CallListRow>)> {
    let session = crate::services::site::own_session(state, who, id).await?;
    let rows = state.store.session_call_list(id).await?;
    crate::services::site::log(state, who, id, "call_list", format!("{} people", rows.len()))
        .await?;
    Ok((session, rows))
}

/// The call list as JSON.
pub fn call_list_json(rows: &[CallListRow]) -> Value {
    let items: Vec<Value> = rows
        .iter()
        .map(|r| {
            let (kind, status, needs_call) = message_label(r);
            let m = r.last_message.as_ref();
            json!({
                "booking_id": r.appointment.booking_id,
                "beneficiary_reference_id": r.reference_id,
                "name": r.name,
                "mobile": r.mobile.as_str(),
                "slot": r.appointment.slot.as_str(),
                "dose": r.appointment.dose.get(),
                "appointment_status": r.appointment.status.as_str(),
                "message": m.map(|m| json!({
                    "id": m.id, "kind": kind, "status": m.status.as_str(),
                    "gateway": m.gateway, "attempts": m.attempts,
                    "sent_at": m.sent_at_ms, "delivered_at": m.delivered_at_ms,
                    "error": m.last_error,
                })),
                "messages": r.messages,
                "message_summary": status,
                "needs_call": needs_call,
                "arrived_at": r.arrived_at_ms,
                "vaccinated": r.vaccinated,
            })
        })
        .collect();
    let told = rows
        .iter()
        .filter(|r| r.last_message.as_ref().is_some_and(|m| m.status == MessageStatus::Delivered))
        .count();
    json!({
        "summary": {
            "booked": rows.len(),
            "delivered": told,
            "needs_call": rows.iter().filter(|r| message_label(r).2).count(),
            "arrived": rows.iter().filter(|r| r.arrived_at_ms.is_some()).count(),
            "vaccinated": rows.iter().filter(|r| r.vaccinated).count(),
        },
        "people": items,
    })
}

/// The call list as CSV (UTF-8 with a BOM so spreadsheets read Hindi names).
pub fn call_list_csv(rows: &[CallListRow]) -> ApiResult<Vec<u8>> {
    let mut w = csv::Writer::from_writer(vec![0xEF, 0xBB, 0xBF]);
    let write = |w: &mut csv::Writer<Vec<u8>>, rec: &[String]| {
        w.write_record(rec).map_err(|e| ApiError::Internal(anyhow::anyhow!("csv: {e}")))
    };
    write(
        &mut w,
        &[
            "slot",
            "name",
            "reference_id",
            "mobile",
            "dose",
            "message",
            "message_status",
            "sent_at",
            "delivered_at",
            "needs_call",
            "arrived_at",
            "vaccinated",
        ]
        .map(str::to_owned),
    )?;
    for r in rows {
        let (kind, _, needs_call) = message_label(r);
        let m = r.last_message.as_ref();
        let t = |v: Option<i64>| v.map(hhmm).unwrap_or_default();
        write(
            &mut w,
            &[
                r.appointment.slot.as_str().to_owned(),
                r.name.clone(),
                r.reference_id.clone(),
                r.mobile.as_str().to_owned(),
                r.appointment.dose.get().to_string(),
                kind,
                m.map(|m| m.status.as_str().to_owned()).unwrap_or_default(),
                t(m.and_then(|m| m.sent_at_ms)),
                t(m.and_then(|m| m.delivered_at_ms)),
                if needs_call { "yes" } else { "no" }.to_owned(),
                t(r.arrived_at_ms),
                if r.vaccinated { "yes" } else { "no" }.to_owned(),
            ],
        )?;
    }
    w.into_inner().map_err(|e| ApiError::Internal(anyhow::anyhow!("csv: {e}")))
}

/// The call list as a printable PDF.
pub async fn call_list_pdf(
    state: &AppState,
    session: &tika_storage::Session,
    rows: &[CallListRow],
) -> ApiResult<Vec<u8>> {
    let center = state.store.find_center(session.center_id).await?;
    let lines = rows
        .iter()
        .map(|r| {
            let (kind, status, needs_call) = message_label(r);
            tika_pdf::call_list::CallListLine {
                slot: r.appointment.slot.as_str().to_owned(),
                name: r.name.clone(),
                reference_id: r.reference_id.clone(),
                mobile: r.mobile.as_str().to_owned(),
                dose: r.appointment.dose.get(),
                message: if r.last_message.is_some() {
                    format!("{} — {status}", kind.replace('_', " "))
                } else {
                    status
                },
                needs_call,
                arrived: r.arrived_at_ms.map(hhmm),
                vaccinated: r.vaccinated,
            }
        })
        .collect();
    let doc = tika_pdf::call_list::CallListDoc {
        facility: center.name.clone(),
        address: center.address.clone(),
        date: tika_domain::date::format_cowin_date(session.date),
        vaccine: session.vaccine.as_str().to_owned(),
        generated_at: crate::clock::local_stamp(
            state.clock.now(),
            state.pack.timezone_offset_minutes,
        ),
        rows: lines,
    };
    tokio::task::spawn_blocking(move || tika_pdf::call_list::render_call_list(&doc))
        .await
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("pdf task failed: {e}")))?
        .map_err(|e| ApiError::Internal(anyhow::anyhow!("call list pdf: {e}")))
}

/// Delivery rates of the staff member's district since `since_ms`, by gateway.
pub async fn delivery_stats(
    state: &AppState,
    who: &StaffPrincipal,
    since_ms: i64,
) -> ApiResult<Value> {
    let center = state.store.find_center(who.center).await?;
    let stats = state.store.delivery_stats(since_ms, Some(center.district_id.0)).await?;
    Ok(stats_json(&stats))
}

/// Delivery counts as JSON, with the delivered share of what was handed over.
pub fn stats_json(stats: &[tika_storage::DeliveryStat]) -> Value {
    let rows: Vec<Value> = stats
        .iter()
        .map(|s| {
            let handed = s.sent + s.delivered + s.failed;
            let rate = if handed == 0 { None } else { Some(s.delivered as f64 / handed as f64) };
            json!({
                "district_id": s.district_id, "gateway": s.gateway, "total": s.total,
                "pending": s.pending, "sent": s.sent, "delivered": s.delivered,
                "failed": s.failed, "expired": s.expired, "delivery_rate": rate,
            })
        })
        .collect();
    json!({ "rows": rows })
}

fn require_admin(who: &StaffPrincipal) -> ApiResult<()> {
    if who.role.can_review() {
        Ok(())
    } else {
        Err(ApiError::Forbidden {
            code: "SITE0004",
            message: "Only a facility admin can change or cancel a session".into(),
        })
    }
}

fn session_conflict(e: StorageError) -> ApiError {
    match e {
        StorageError::Conflict(ConflictKind::SessionClosed) => {
            ApiError::conflict("SITE0030", "This session is already cancelled")
        }
        other => other.into(),
    }
}

/// The site cancels a session: everyone booked is told and asked to book again.
pub async fn cancel_session(
    state: &AppState,
    who: &StaffPrincipal,
    id: SessionId,
    reason: &str,
) -> ApiResult<Value> {
    require_admin(who)?;
    crate::services::site::own_session(state, who, id).await?;
    let bookings = state
        .store
        .cancel_session(id, reason, &format!("staff:{}", who.staff), state.now_ms(), None)
        .await
        .map_err(session_conflict)?;
    crate::services::booking::write_through(state, id).await;
    tracing::info!(session = %id, bookings = bookings.len(), "session cancelled by the site");
    Ok(json!({ "session_id": id, "status": "cancelled", "bookings_cancelled": bookings.len() }))
}

/// The site moves a session to another day: bookings kept, everyone told.
pub async fn move_session(
    state: &AppState,
    who: &StaffPrincipal,
    id: SessionId,
    date: chrono::NaiveDate,
    reason: &str,
) -> ApiResult<Value> {
    require_admin(who)?;
    crate::services::site::own_session(state, who, id).await?;
    if date < state.today() {
        return Err(ApiError::bad_request("SITE0031", "The new date is in the past"));
    }
    let bookings = state
        .store
        .move_session(id, date, reason, &format!("staff:{}", who.staff), state.now_ms(), None)
        .await
        .map_err(session_conflict)?;
    crate::services::booking::write_through(state, id).await;
    Ok(json!({
        "session_id": id, "date": date.format("%Y-%m-%d").to_string(),
        "bookings_told": bookings.len(),
    }))
}

/// Refreshes the queue and gateway gauges (called when `/metrics` is scraped).
pub async fn update_queue_metrics(state: &AppState) {
    let now = state.now_ms();
    match state.store.queue_depth(now).await {
        Ok(depth) => {
            for lane in ["otp", "transactional", "bulk"] {
                state.metrics.queue_due.with_label_values(&[lane]).set(0);
                state.metrics.queue_oldest_ms.with_label_values(&[lane]).set(0);
            }
            for (priority, count, oldest) in depth.due {
                let lane = lane_name(priority);
                state
                    .metrics
                    .queue_due
                    .with_label_values(&[lane])
                    .set(i64::try_from(count).unwrap_or(i64::MAX));
                state.metrics.queue_oldest_ms.with_label_values(&[lane]).set((now - oldest).max(0));
            }
            state.metrics.queue_scheduled.set(i64::try_from(depth.scheduled).unwrap_or(i64::MAX));
        }
        Err(e) => tracing::warn!(error = %e, "queue depth unavailable"),
    }
    for (name, up) in state.sms.health() {
        state.metrics.gateway_up.with_label_values(&[&name]).set(i64::from(up));
    }
}

/// The lane's metric label.
pub fn lane_name(p: tika_domain::message::Priority) -> &'static str {
    match p {
        tika_domain::message::Priority::Otp => "otp",
        tika_domain::message::Priority::Transactional => "transactional",
        tika_domain::message::Priority::Bulk => "bulk",
    }
}
