//! Events → messages.  The business transactions write events (`appointment.booked`, …) in
//! the outbox; this job reads them, works out who must be told what, renders the texts from
//! the templates in each person's language, and stores the messages and marks the events
//! processed in one transaction ([`tika_storage::Store::plan_messages`]).
//!
//! Planning is idempotent: a message's id is derived from the event, the recipient and the
//! kind, so an event planned twice (two servers, a crash between steps) stores each message
//! once.  Reminders and dose-due notices are messages queued for later, with a supersede key
//! that a later event (a cancellation, the next dose) uses to cancel them.

use std::collections::HashMap;

use chrono::{NaiveDate, TimeZone as _};
use futures::StreamExt as _;
use serde::Deserialize;
use tika_domain::ids::{AccountId, AppointmentId, BeneficiaryId, SessionId};
use tika_domain::message::MessageKind;
use tika_domain::mobile::Mobile;
use tika_domain::quiet::{QuietHours, next_allowed};
use tika_storage::{
    Appointment, AppointmentStatus, Beneficiary, Center, MessagePlan, NewMessage, OutboxEvent,
    Session, StorageError,
};

use crate::state::AppState;

/// The events that tell someone something.
pub const EVENT_KINDS: [&str; 10] = [
    "beneficiary.registered",
    "appointment.booked",
    "appointment.rescheduled",
    "appointment.cancelled",
    "session.changed",
    "session.cancelled",
    "certificate.issued",
    "correction.approved",
    "correction.rejected",
    "coldchain.alarm_opened",
];

/// Events planned concurrently (their reads overlap; the plans are written together).
const CONCURRENCY: usize = 32;

/// Plans up to `limit` due events.  Returns how many events were consumed (planned, skipped
/// or failed for a later retry).
pub async fn plan_pending(state: &AppState, limit: u32) -> anyhow::Result<usize> {
    let now = state.now_ms();
    let events = state.store.claim_events(&EVENT_KINDS, limit, now).await?;
    let count = events.len();
    if count == 0 {
        return Ok(0);
    }
    let results: Vec<(OutboxEvent, Result<MessagePlan, PlanError>)> = futures::stream::iter(events)
        .map(|event| async move {
            let plan = plan_event(state, &event).await;
            (event, plan)
        })
        .buffer_unordered(CONCURRENCY)
        .collect()
        .await;
    let mut plans = Vec::with_capacity(results.len());
    for (event, result) in results {
        match result {
            Ok(plan) => plans.push(plan),
            Err(PlanError::Gone(why)) => {
                tracing::info!(event = %event.id, kind = %event.kind, reason = %why, "event gives no message");
                state.metrics.messages_planned.with_label_values(&[&event.kind, "skipped"]).inc();
                state.store.skip_event(event.id, &why).await?;
            }
            Err(PlanError::Retry(e)) => {
                state.metrics.messages_planned.with_label_values(&[&event.kind, "failed"]).inc();
                tracing::warn!(event = %event.id, kind = %event.kind, attempts = event.attempts, error = %e, "could not plan messages; will retry");
                let retry_at = now + tika_domain::message::retry_delay_ms(event.attempts + 1);
                state.store.fail_event(event.id, &e.to_string(), retry_at).await?;
            }
        }
    }
    let messages: usize = plans.iter().map(|p| p.messages.len()).sum();
    state.store.plan_messages(&plans, state.now_ms()).await?;
    for plan in &plans {
        for m in &plan.messages {
            state.metrics.messages_planned.with_label_values(&[m.kind.as_str(), "queued"]).inc();
        }
    }
    if messages > 0 {
        state.dispatch_wake.notify_waiters();
    }
    Ok(count)
}

/// Why an event gave no plan.
enum PlanError {
    /// What it is about no longer exists (a deleted person): skipped for good.
    Gone(String),
    /// A transient failure: retried with backoff.
    Retry(anyhow::Error),
}

impl From<StorageError> for PlanError {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::NotFound => PlanError::Gone("not found".into()),
            other => PlanError::Retry(other.into()),
        }
    }
}

impl From<serde_json::Error> for PlanError {
    fn from(e: serde_json::Error) -> Self {
        PlanError::Gone(format!("bad payload: {e}"))
    }
}

#[derive(Deserialize)]
struct Registered {
    beneficiary_id: BeneficiaryId,
}

#[derive(Deserialize)]
struct BookingEvent {
    booking_id: AppointmentId,
}

#[derive(Deserialize)]
struct Cancelled {
    booking_id: AppointmentId,
    beneficiary_ids: Vec<BeneficiaryId>,
}

#[derive(Deserialize)]
struct SessionEvent {
    session_id: SessionId,
    booking_ids: Vec<AppointmentId>,
    #[serde(default)]
    old_date: Option<NaiveDate>,
}

#[derive(Deserialize)]
struct CertificateIssued {
    beneficiary_id: BeneficiaryId,
    vaccination_id: tika_domain::ids::VaccinationId,
    dose: u8,
    kind: String,
}

/// `correction.approved` and `correction.rejected`.
#[derive(Deserialize)]
struct CorrectionApproved {
    beneficiary_id: BeneficiaryId,
}

/// `coldchain.alarm_opened` (written with the alarm by `ColdChainStore::apply_alarm_changes`).
#[derive(Deserialize)]
struct AlarmOpened {
    equipment: tika_domain::ids::EquipmentId,
    point: tika_domain::ids::ColdChainPointId,
    kind: String,
    since_ms: i64,
    #[serde(default)]
    worst_tenths: Option<i32>,
}

async fn plan_event(state: &AppState, event: &OutboxEvent) -> Result<MessagePlan, PlanError> {
    let mut plan = Planner::new(state, event);
    match event.kind.as_str() {
        "beneficiary.registered" => {
            let p: Registered = serde_json::from_str(&event.payload)?;
            let person = plan.person(p.beneficiary_id).await?;
            let ref_id = person.reference_id.to_string();
            plan.tell(&person, MessageKind::Registration, &[("ref_id", &ref_id)], None).await?;
        }
        "appointment.booked" => {
            let p: BookingEvent = serde_json::from_str(&event.payload)?;
            for row in active_rows(state, p.booking_id).await? {
                plan.booking_message(&row, MessageKind::BookingConfirmed, None).await?;
                plan.reminder(&row).await?;
            }
        }
        "appointment.rescheduled" => {
            let p: BookingEvent = serde_json::from_str(&event.payload)?;
            for row in active_rows(state, p.booking_id).await? {
                plan.cancel_reminder(&row);
                plan.booking_message(&row, MessageKind::BookingRescheduled, None).await?;
                plan.reminder(&row).await?;
            }
        }
        "appointment.cancelled" => {
            let p: Cancelled = serde_json::from_str(&event.payload)?;
            let rows = state.store.find_booking(p.booking_id).await?;
            for row in rows.iter().filter(|r| p.beneficiary_ids.contains(&r.beneficiary_id)) {
                plan.cancel_reminder(row);
                plan.booking_message(row, MessageKind::BookingCancelled, None).await?;
            }
        }
        "session.cancelled" => {
            let p: SessionEvent = serde_json::from_str(&event.payload)?;
            for booking in p.booking_ids {
                let rows = state.store.find_booking(booking).await?;
                for row in rows.iter().filter(|r| r.session_id == p.session_id) {
                    plan.cancel_reminder(row);
                    plan.booking_message(row, MessageKind::SessionCancelled, None).await?;
                }
            }
        }
        "session.changed" => {
            let p: SessionEvent = serde_json::from_str(&event.payload)?;
            for booking in p.booking_ids {
                for row in active_rows(state, booking).await? {
                    if row.session_id != p.session_id {
                        continue;
                    }
                    plan.cancel_reminder(&row);
                    plan.booking_message(&row, MessageKind::SessionChanged, p.old_date).await?;
                    plan.reminder(&row).await?;
                }
            }
        }
        "certificate.issued" => {
            let p: CertificateIssued = serde_json::from_str(&event.payload)?;
            // The international certificate is the same dose: one message is enough.
            if p.kind == "domestic" {
                plan.certificate(&p).await?;
            }
        }
        "correction.approved" => {
            let p: CorrectionApproved = serde_json::from_str(&event.payload)?;
            let person = plan.person(p.beneficiary_id).await?;
            let link = plan.link("account");
            plan.tell(&person, MessageKind::CorrectionApproved, &[("link", &link)], None).await?;
        }
        "correction.rejected" => {
            let p: CorrectionApproved = serde_json::from_str(&event.payload)?;
            let person = plan.person(p.beneficiary_id).await?;
            let link = plan.link("account");
            plan.tell(&person, MessageKind::CorrectionRejected, &[("link", &link)], None).await?;
        }
        "coldchain.alarm_opened" => {
            let p: AlarmOpened = serde_json::from_str(&event.payload)?;
            plan.cold_chain_alarm(&p).await?;
        }
        other => return Err(PlanError::Gone(format!("not a notification event: {other}"))),
    }
    Ok(plan.finish())
}

async fn active_rows(
    state: &AppState,
    booking: AppointmentId,
) -> Result<Vec<Appointment>, PlanError> {
    Ok(state
        .store
        .find_booking(booking)
        .await?
        .into_iter()
        .filter(|r| r.status == AppointmentStatus::Booked)
        .collect())
}

/// One event's plan being built, with the facts it read (people, sessions, centres, accounts
/// are each read once per event).
struct Planner<'a> {
    state: &'a AppState,
    event: &'a OutboxEvent,
    plan: MessagePlan,
    accounts: HashMap<AccountId, (Mobile, String, Option<QuietHours>)>,
    sessions: HashMap<SessionId, (Session, Center)>,
}

impl<'a> Planner<'a> {
    fn new(state: &'a AppState, event: &'a OutboxEvent) -> Self {
        Self {
            state,
            event,
            plan: MessagePlan { event_ids: vec![event.id], ..MessagePlan::default() },
            accounts: HashMap::new(),
            sessions: HashMap::new(),
        }
    }

    fn finish(self) -> MessagePlan {
        self.plan
    }

    fn link(&self, path: &str) -> String {
        format!("{}{path}", self.state.config.sms.public_url)
    }

    async fn person(&self, id: BeneficiaryId) -> Result<Beneficiary, PlanError> {
        self.state
            .store
            .find_beneficiaries(&[id])
            .await?
            .into_iter()
            .next()
            .ok_or_else(|| PlanError::Gone(format!("beneficiary {id} is gone")))
    }

    async fn account(
        &mut self,
        id: AccountId,
    ) -> Result<(Mobile, String, Option<QuietHours>), PlanError> {
        if let Some(a) = self.accounts.get(&id) {
            return Ok(a.clone());
        }
        let account = self.state.store.find_account(id).await?;
        let quiet = match self.state.store.quiet_hours(id).await? {
            Some((from, to)) => Some(QuietHours { from_min: from, to_min: to }),
            None => self.state.config.sms.default_quiet_hours,
        };
        let entry = (account.mobile, account.language, quiet);
        self.accounts.insert(id, entry.clone());
        Ok(entry)
    }

    async fn session(&mut self, id: SessionId) -> Result<(Session, Center), PlanError> {
        if let Some(s) = self.sessions.get(&id) {
            return Ok(s.clone());
        }
        let session = self.state.store.find_session(id).await?;
        let center = self.state.store.find_center(session.center_id).await?;
        self.sessions.insert(id, (session.clone(), center.clone()));
        Ok((session, center))
    }

    /// The appointment's start as unix ms (the slot's start on the session's day, local time).
    fn starts_at_ms(&self, session: &Session, row: &Appointment) -> i64 {
        let minutes = row.slot.start_minutes().unwrap_or(9 * 60);
        local_ms(self.state, session.date, minutes)
    }

    async fn booking_message(
        &mut self,
        row: &Appointment,
        kind: MessageKind,
        old_date: Option<NaiveDate>,
    ) -> Result<(), PlanError> {
        let person = self.person(row.beneficiary_id).await?;
        let (session, center) = self.session(row.session_id).await?;
        let date = cowin_date(session.date);
        let old = old_date.map(cowin_date).unwrap_or_default();
        let dose = row.dose.get().to_string();
        let link = self.link("login");
        let vaccine = vaccine_name(self.state, &session);
        let vars: Vec<(&str, &str)> = vec![
            ("date", &date),
            ("new_date", &date),
            ("old_date", &old),
            ("slot", row.slot.as_str()),
            ("center", &center.name),
            ("address", &center.address),
            ("code", row.security_code.as_str()),
            ("dose", &dose),
            ("vaccine", &vaccine),
            ("link", &link),
        ];
        self.tell_about(&person, kind, &vars, Some(row), None).await
    }

    async fn reminder(&mut self, row: &Appointment) -> Result<(), PlanError> {
        let (session, _) = self.session(row.session_id).await?;
        let starts = self.starts_at_ms(&session, row);
        let at = starts - 24 * 3_600_000;
        // Booked less than a day ahead: the confirmation was the reminder.
        if at <= self.event.created_at_ms {
            return Ok(());
        }
        let person = self.person(row.beneficiary_id).await?;
        let (session, center) = self.session(row.session_id).await?;
        let date = cowin_date(session.date);
        let vars: Vec<(&str, &str)> = vec![
            ("date", &date),
            ("slot", row.slot.as_str()),
            ("center", &center.name),
            ("code", row.security_code.as_str()),
        ];
        let timing = Timing { at_ms: at, expires_at_ms: Some(starts), key: reminder_key(row) };
        self.tell_about(&person, MessageKind::Reminder, &vars, Some(row), Some(timing)).await
    }

    fn cancel_reminder(&mut self, row: &Appointment) {
        self.plan.cancel_keys.push(reminder_key(row));
    }

    async fn certificate(&mut self, p: &CertificateIssued) -> Result<(), PlanError> {
        let person = self.person(p.beneficiary_id).await?;
        let dose = p.dose.to_string();
        let link = self.link("account");
        self.tell(
            &person,
            MessageKind::CertificateReady,
            &[("dose", &dose), ("link", &link)],
            None,
        )
        .await?;
        // The next dose: due after the vaccine's interval, unless already given.
        let given = self.state.store.list_vaccinations(&[p.beneficiary_id]).await?;
        let Some(this) = given.iter().find(|v| v.id == p.vaccination_id) else {
            return Ok(());
        };
        let due_key = format!("due:{}", p.beneficiary_id);
        self.plan.cancel_keys.push(due_key.clone());
        let Some(def) = self.state.pack.vaccines.iter().find(|v| v.code == this.vaccine) else {
            return Ok(());
        };
        let next = this.dose.get() + 1;
        if next > def.doses_in_series || given.iter().any(|v| v.dose.get() >= next) {
            return Ok(());
        }
        let Some(interval) = def.min_interval_days else { return Ok(()) };
        let due = this.date + chrono::Days::new(u64::from(interval));
        let due_date = cowin_date(due);
        let next_s = next.to_string();
        let link = self.link("");
        let at = local_ms(self.state, due, 9 * 60);
        let timing = Timing { at_ms: at, expires_at_ms: None, key: due_key };
        let vars: Vec<(&str, &str)> = vec![
            ("dose", &next_s),
            ("vaccine", &def.name),
            ("due_date", &due_date),
            ("link", &link),
        ];
        self.tell_about(&person, MessageKind::DoseDue, &vars, None, Some(timing)).await
    }

    async fn tell(
        &mut self,
        person: &Beneficiary,
        kind: MessageKind,
        vars: &[(&str, &str)],
        timing: Option<Timing>,
    ) -> Result<(), PlanError> {
        self.tell_about(person, kind, vars, None, timing).await
    }

    /// Renders one message to the person's account mobile, in the account's language.
    async fn tell_about(
        &mut self,
        person: &Beneficiary,
        kind: MessageKind,
        vars: &[(&str, &str)],
        row: Option<&Appointment>,
        timing: Option<Timing>,
    ) -> Result<(), PlanError> {
        let (mobile, language, quiet) = self.account(person.account_id).await?;
        let mut all: Vec<(&str, &str)> = vec![("name", &person.name)];
        all.extend_from_slice(vars);
        let wanted = tika_domain::templates::variables(kind);
        all.retain(|(k, _)| wanted.iter().any(|v| v.name == *k));
        let rendered = self
            .state
            .templates
            .render(kind, &language, &all)
            .map_err(|e| PlanError::Gone(format!("template {kind}: {e}")))?;
        let created = self.event.created_at_ms;
        let (at, expires, key) = match timing {
            Some(t) => (t.at_ms, t.expires_at_ms, Some(t.key)),
            None => (created, None, None),
        };
        let quiet = if kind.respects_quiet_hours() { quiet } else { None };
        let at = next_allowed(at, self.state.pack.timezone_offset_minutes, quiet);
        let expires_at = expires.unwrap_or(at + kind.ttl_ms());
        let id = message_id(self.event.id, kind, person.id);
        self.plan.messages.push(NewMessage {
            id,
            kind,
            mobile,
            account_id: Some(person.account_id),
            beneficiary_id: Some(person.id),
            booking_id: row.map(|r| r.booking_id),
            session_id: row.map(|r| r.session_id),
            language: rendered.language.clone(),
            template_id: rendered.template_id.clone(),
            unicode: rendered.size.encoding == tika_domain::sms::Encoding::Ucs2,
            parts: u32::try_from(rendered.size.parts).unwrap_or(u32::MAX),
            body: rendered.text,
            supersede_key: key,
            quiet_hours: quiet.map(|q| (q.from_min, q.to_min)),
            available_at_ms: at,
            expires_at_ms: expires_at,
            created_at_ms: created,
        });
        Ok(())
    }
}

impl Planner<'_> {
    /// Tells the people who must act on a cold chain alarm: the active staff of the point's
    /// facility, officials of that facility, and the district's officials (a state or regional
    /// store has no district: the state's officials), each mobile once.  Officials and staff
    /// have no language preference on record, so the message is in the default language.
    async fn cold_chain_alarm(&mut self, p: &AlarmOpened) -> Result<(), PlanError> {
        use tika_domain::admin::{AdminLevel, Area};
        use tika_domain::coldchain::{AlarmKind, format_tenths};

        let kind = AlarmKind::parse(&p.kind)
            .ok_or_else(|| PlanError::Gone(format!("unknown alarm kind {}", p.kind)))?;
        let equipment = self.state.store.find_equipment(p.equipment).await?;
        let point = self.state.store.find_point(p.point).await?;
        let mut mobiles: Vec<Mobile> = Vec::new();
        if let Some(center) = point.center {
            for s in self.state.store.list_staff(center).await? {
                if s.active
                    && let Some(m) = s.mobile
                {
                    mobiles.push(m);
                }
            }
        }
        let (area, level) = match point.district {
            Some(district) => {
                (Area::District { state: point.state, district }, AdminLevel::District)
            }
            None => (Area::State { state: point.state }, AdminLevel::State),
        };
        for a in self.state.store.list_admins(&area).await? {
            let at_point =
                matches!(&a.area, Area::Facility { center, .. } if Some(*center) == point.center);
            if a.active
                && (a.area.level() == level || at_point)
                && let Some(m) = a.mobile
            {
                mobiles.push(m);
            }
        }
        mobiles.sort_by(|a, b| a.as_str().cmp(b.as_str()));
        mobiles.dedup();
        if mobiles.is_empty() {
            return Err(PlanError::Gone("nobody with a mobile to tell".into()));
        }
        let since = local_time_text(self.state, p.since_ms);
        let temp = p.worst_tenths.map(format_tenths).unwrap_or_default();
        let band = format!(
            "{}-{}",
            format_tenths(equipment.rule.range.min_tenths),
            format_tenths(equipment.rule.range.max_tenths)
        );
        let link = self.link("console/alarms");
        let message_kind = if kind.is_excursion() {
            MessageKind::ColdChainExcursion
        } else {
            MessageKind::ColdChainSilent
        };
        let vars: Vec<(&str, &str)> = vec![
            ("point", &point.name),
            ("equipment", &equipment.label),
            ("temp", &temp),
            ("band", &band),
            ("since", &since),
            ("link", &link),
        ];
        let wanted = tika_domain::templates::variables(message_kind);
        let vars: Vec<(&str, &str)> =
            vars.into_iter().filter(|(k, _)| wanted.iter().any(|v| v.name == *k)).collect();
        let language = tika_domain::templates::DEFAULT_LANGUAGE;
        let rendered = self
            .state
            .templates
            .render(message_kind, language, &vars)
            .map_err(|e| PlanError::Gone(format!("template {message_kind}: {e}")))?;
        let created = self.event.created_at_ms;
        for mobile in mobiles {
            let id = uuid::Uuid::new_v5(
                &self.event.id,
                format!("{}:{}", message_kind.as_str(), mobile.as_str()).as_bytes(),
            );
            self.plan.messages.push(NewMessage {
                id,
                kind: message_kind,
                mobile,
                account_id: None,
                beneficiary_id: None,
                booking_id: None,
                session_id: None,
                language: rendered.language.clone(),
                template_id: rendered.template_id.clone(),
                unicode: rendered.size.encoding == tika_domain::sms::Encoding::Ucs2,
                parts: u32::try_from(rendered.size.parts).unwrap_or(u32::MAX),
                body: rendered.text.clone(),
                supersede_key: None,
                quiet_hours: None,
                available_at_ms: created,
                expires_at_ms: created + message_kind.ttl_ms(),
                created_at_ms: created,
            });
        }
        Ok(())
    }
}

/// `DD-MM-YYYY HH:MM` in the pack's time zone.
fn local_time_text(state: &AppState, ms: i64) -> String {
    let offset = chrono::Duration::minutes(i64::from(state.pack.timezone_offset_minutes));
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| (t.naive_utc() + offset).format("%d-%m-%Y %H:%M").to_string())
        .unwrap_or_default()
}

/// When a later message goes out, and what may cancel it.
struct Timing {
    at_ms: i64,
    expires_at_ms: Option<i64>,
    key: String,
}

fn reminder_key(row: &Appointment) -> String {
    format!("reminder:{}:{}", row.booking_id, row.beneficiary_id)
}

/// The deterministic id of the message of `kind` about `person` planned from `event`.
pub fn message_id(event: uuid::Uuid, kind: MessageKind, person: BeneficiaryId) -> uuid::Uuid {
    uuid::Uuid::new_v5(&event, format!("{}:{person}", kind.as_str()).as_bytes())
}

fn cowin_date(d: NaiveDate) -> String {
    tika_domain::date::format_cowin_date(d)
}

fn vaccine_name(state: &AppState, session: &Session) -> String {
    state
        .pack
        .vaccines
        .iter()
        .find(|v| v.code == session.vaccine)
        .map_or_else(|| session.vaccine.as_str().to_owned(), |v| v.name.clone())
}

/// `date` at `minutes` after local midnight, as unix ms.
fn local_ms(state: &AppState, date: NaiveDate, minutes: u32) -> i64 {
    let offset = state.pack.timezone_offset_minutes;
    let naive = date.and_hms_opt(0, 0, 0).unwrap_or_default()
        + chrono::Duration::minutes(i64::from(minutes));
    chrono::FixedOffset::east_opt(offset * 60)
        .and_then(|tz| tz.from_local_datetime(&naive).single())
        .map_or_else(|| naive.and_utc().timestamp_millis(), |t| t.timestamp_millis())
}
