//! The storage contract of messages: the SMS queue (planning, superseding, claiming lane by
//! lane, leases, send outcomes, delivery reports), the call list, delivery rates, queue depth,
//! quiet hours, incoming SMS, cancelling and moving sessions, and the events business
//! transactions write for the planner, run on SQLite and on PostgreSQL.  Every test checks what
//! was persisted.
#![allow(clippy::unwrap_used, reason = "a test fails loudly on the first unexpected error")]

use std::collections::HashSet;
use std::sync::{Arc, OnceLock};

use chrono::NaiveDate;
use tika_domain::country::CountryPack;
use tika_domain::ids::{
    AccountId, AppointmentId, BeneficiaryId, CenterId, DeviceId, OtpTxnId, RecordId, SessionId,
    StaffId, UploadKey,
};
use tika_domain::message::{MessageKind, MessageStatus, Priority};
use tika_domain::mobile::Mobile;
use tika_domain::session::{SecurityCode, Slot};
use tika_domain::staff::StaffRole;
use tika_domain::sync::{DoseRecord, RecordBody, SiteRecord};
use tika_domain::vaccine::{DoseNumber, VaccineCode};
use tika_storage::*;
use tika_test_support::{
    NOW, TestDb, center, covishield_session, new_staff, on_both_backends, person_record, upload,
};

const MOBILE: &str = "9876543210";
const LEASE: i64 = 30_000;

fn pack() -> Arc<CountryPack> {
    static PACK: OnceLock<Arc<CountryPack>> = OnceLock::new();
    Arc::clone(PACK.get_or_init(|| Arc::new(tika_packs::india().unwrap())))
}

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, d).unwrap()
}

fn mobile() -> Mobile {
    Mobile::parse(MOBILE).unwrap()
}

/// A queued message of `kind` to [`MOBILE`], due at `available_at`.
fn message(kind: MessageKind, available_at: i64) -> NewMessage {
    NewMessage {
        id: uuid::Uuid::now_v7(),
        kind,
        mobile: mobile(),
        account_id: None,
        beneficiary_id: None,
        booking_id: None,
        session_id: None,
        language: "en".into(),
        template_id: format!("tpl-{}", kind.as_str()),
        body: format!("text of {}", kind.as_str()),
        parts: 1,
        unicode: false,
        supersede_key: None,
        quiet_hours: None,
        available_at_ms: available_at,
        expires_at_ms: available_at + kind.ttl_ms(),
        created_at_ms: available_at.min(NOW),
    }
}

/// Centre 1 (district 395) with a session, a vaccinator, an account.
struct World {
    db: TestDb,
    account: AccountId,
    session: SessionId,
    staff: StaffId,
}

impl World {
    async fn new(backend: Backend) -> Self {
        let db = TestDb::new(backend).await;
        let mut far = center(2);
        far.district_id = tika_domain::ids::DistrictId(400);
        db.store.insert_centers(&[center(1), far]).await.unwrap();
        let s = covishield_session(1, day(10));
        db.store.insert_sessions(std::slice::from_ref(&s)).await.unwrap();
        db.store
            .issue_batch(&Batch {
                center_id: CenterId(1),
                batch: "B1".into(),
                vaccine: VaccineCode::parse("COVISHIELD").unwrap(),
                expiry: NaiveDate::from_ymd_opt(2027, 6, 30).unwrap(),
                doses_per_vial: 10,
                issued_at_ms: NOW,
            })
            .await
            .unwrap();
        let staff =
            db.store.create_staff(&new_staff(1, "vax.one", StaffRole::Vaccinator)).await.unwrap();
        let (account, _) = db.store.upsert_account(&mobile(), NOW).await.unwrap();
        Self { db, account: account.id, session: s.id, staff: staff.id }
    }

    fn store(&self) -> &Arc<SqlStore> {
        &self.db.store
    }

    async fn person(&self, id_number: &str, name: &str) -> Beneficiary {
        let mut r = person_record(self.account, id_number);
        r.name = name.into();
        self.store().create_beneficiary(&r, 6).await.unwrap()
    }

    async fn book(&self, session: SessionId, who: &[BeneficiaryId], slot: &str) -> AppointmentId {
        let booking = NewBooking {
            booking_id: AppointmentId::new(),
            account_id: self.account,
            session_id: session,
            dose: DoseNumber::FIRST,
            slot: Slot::from_label(slot),
            policy_version: "IN-2021-05-01".into(),
            members: who
                .iter()
                .map(|b| BookingMember {
                    beneficiary_id: *b,
                    security_code: SecurityCode::from_random(4821),
                })
                .collect(),
            now_ms: NOW,
        };
        self.store().book(&booking).await.unwrap();
        booking.booking_id
    }

    async fn events(&self, kind: &str) -> Vec<(OutboxEvent, serde_json::Value)> {
        let all = self.store().pending_events(10_000).await.unwrap();
        all.into_iter()
            .filter(|e| e.kind == kind)
            .map(|e| {
                let v = serde_json::from_str(&e.payload).unwrap();
                (e, v)
            })
            .collect()
    }

    async fn status(&self, id: uuid::Uuid) -> MessageStatus {
        self.store().find_message(id).await.unwrap().status
    }

    async fn enqueue(&self, messages: &[NewMessage]) {
        let n = self.store().enqueue_messages(messages).await.unwrap();
        assert_eq!(n, messages.len() as u64);
    }

    /// Claims one queued message (by id) so an outcome can be recorded for it.
    async fn claimed(&self, m: &NewMessage) -> MessageRecord {
        self.enqueue(std::slice::from_ref(m)).await;
        self.store().claim_message(m.id, NOW, NOW + LEASE).await.unwrap().unwrap()
    }

    /// Sends a site upload of `records` for the session.
    async fn upload(&self, records: Vec<SiteRecord>) {
        let up = upload(UploadKey::new(), self.staff, CenterId(1), DeviceId::new(), records, NOW);
        assert!(matches!(
            self.store().apply_upload(&up, pack()).await.unwrap(),
            UploadOutcome::Applied(_)
        ));
    }

    fn record(&self, body: RecordBody) -> SiteRecord {
        SiteRecord {
            client_id: RecordId::new(),
            session_id: self.session,
            at_ms: NOW + 1_000,
            staff_id: self.staff,
            body,
        }
    }
}

async fn an_otp_and_its_message_are_stored_together(backend: Backend) {
    let w = World::new(backend).await;
    let mut sms = message(MessageKind::Otp, NOW);
    sms.body = "Your OTP is 123456".into();
    let otp = NewOtp {
        id: OtpTxnId::new(),
        mobile: mobile(),
        otp_hash: "h".into(),
        scope: "public".into(),
        created_at_ms: NOW,
        message: Some(sms.clone()),
    };
    w.store().create_otp(&otp).await.unwrap();
    assert_eq!(w.store().find_otp(otp.id).await.unwrap().otp_hash, "h");
    let m = w.store().find_message(sms.id).await.unwrap();
    assert_eq!(
        (m.kind, m.priority, m.status),
        (MessageKind::Otp, Priority::Otp, MessageStatus::Queued)
    );
    assert_eq!(
        (m.body.as_str(), m.attempts, m.parts, m.unicode),
        ("Your OTP is 123456", 0, 1, false)
    );
    assert_eq!((m.available_at_ms, m.expires_at_ms), (NOW, NOW + 180_000));
    assert_eq!(m.mobile, mobile());
    // A failing OTP insert (same txn id) stores no message either.
    let mut again = otp.clone();
    let second = message(MessageKind::Otp, NOW);
    again.message = Some(second.clone());
    assert!(w.store().create_otp(&again).await.is_err());
    assert!(matches!(w.store().find_message(second.id).await, Err(StorageError::NotFound)));
    assert_eq!(w.store().messages_to(&mobile(), 10).await.unwrap().len(), 1);
}

async fn planning_is_idempotent_and_consumes_events(backend: Backend) {
    let w = World::new(backend).await;
    let p = w.person("111122223333", "Asha Rao").await;
    let booking = w.book(w.session, &[p.id], "09:00AM-11:00AM").await;
    let events = w.events("appointment.booked").await;
    assert_eq!(events.len(), 1);
    let event = events[0].0.id;
    let mut confirm = message(MessageKind::BookingConfirmed, NOW);
    confirm.booking_id = Some(booking);
    confirm.session_id = Some(w.session);
    confirm.beneficiary_id = Some(p.id);
    confirm.account_id = Some(w.account);
    let mut reminder = message(MessageKind::Reminder, NOW + 86_400_000);
    reminder.booking_id = Some(booking);
    reminder.supersede_key = Some(format!("reminder:{booking}"));
    reminder.quiet_hours = Some((21 * 60, 8 * 60));
    let plan = MessagePlan {
        event_ids: vec![event],
        cancel_keys: vec![],
        messages: vec![confirm.clone(), reminder.clone()],
    };
    w.store().plan_messages(std::slice::from_ref(&plan), NOW + 5).await.unwrap();
    w.store().plan_messages(std::slice::from_ref(&plan), NOW + 6).await.unwrap();
    let about = w.store().messages_about_booking(booking).await.unwrap();
    assert_eq!(about.len(), 2);
    let stored = w.store().find_message(reminder.id).await.unwrap();
    assert_eq!(stored.quiet_hours, Some((1260, 480)));
    assert_eq!(stored.priority, Priority::Bulk);
    assert_eq!(stored.supersede_key, reminder.supersede_key);
    let c = w.store().find_message(confirm.id).await.unwrap();
    assert_eq!(
        (c.booking_id, c.session_id, c.beneficiary_id, c.account_id),
        (Some(booking), Some(w.session), Some(p.id), Some(w.account))
    );
    assert!(w.events("appointment.booked").await.is_empty(), "the event was consumed");
    // Nothing to do is fine.
    w.store().plan_messages(&[], NOW).await.unwrap();
    w.store().plan_messages(&[MessagePlan::default()], NOW).await.unwrap();
}

async fn a_large_plan_is_stored_in_one_go(backend: Backend) {
    let w = World::new(backend).await;
    let plans: Vec<MessagePlan> = (0..4)
        .map(|_| MessagePlan {
            event_ids: vec![uuid::Uuid::now_v7()],
            cancel_keys: vec![],
            messages: (0..800).map(|_| message(MessageKind::Reminder, NOW)).collect(),
        })
        .collect();
    let started = std::time::Instant::now();
    w.store().plan_messages(&plans, NOW).await.unwrap();
    let took = started.elapsed();
    let depth = w.store().queue_depth(NOW).await.unwrap();
    assert_eq!(depth.due, vec![(Priority::Bulk, 3200, NOW)]);
    eprintln!("{}: 3200 messages planned in {took:?}", backend.name());
}

async fn cancel_keys_supersede_only_queued_messages(backend: Backend) {
    let w = World::new(backend).await;
    let key = "reminder:b1".to_owned();
    let mut queued = message(MessageKind::Reminder, NOW + 1_000_000);
    queued.supersede_key = Some(key.clone());
    let mut sending = message(MessageKind::Reminder, NOW);
    sending.supersede_key = Some(key.clone());
    let mut other = message(MessageKind::Reminder, NOW + 1_000_000);
    other.supersede_key = Some("reminder:b2".into());
    w.enqueue(&[queued.clone(), other.clone()]).await;
    w.claimed(&sending).await;
    let mut replacement = message(MessageKind::Reminder, NOW + 2_000_000);
    replacement.supersede_key = Some(key.clone());
    w.store()
        .plan_messages(
            &[MessagePlan {
                event_ids: vec![],
                cancel_keys: vec![key.clone()],
                messages: vec![replacement.clone()],
            }],
            NOW,
        )
        .await
        .unwrap();
    assert_eq!(w.status(queued.id).await, MessageStatus::Cancelled);
    assert_eq!(w.status(sending.id).await, MessageStatus::Sending);
    assert_eq!(w.status(other.id).await, MessageStatus::Queued);
    assert_eq!(
        w.status(replacement.id).await,
        MessageStatus::Queued,
        "a new message may carry the key"
    );
}

async fn claims_take_the_most_urgent_due_messages_first(backend: Backend) {
    let w = World::new(backend).await;
    let old_bulk = message(MessageKind::Reminder, NOW - 60_000);
    let tx = message(MessageKind::BookingConfirmed, NOW - 30_000);
    let otp = message(MessageKind::Otp, NOW - 1_000);
    let later = message(MessageKind::Otp, NOW + 60_000);
    w.enqueue(&[old_bulk.clone(), tx.clone(), otp.clone(), later.clone()]).await;

    let lanes = [Priority::Otp, Priority::Transactional, Priority::Bulk];
    let first = w.store().claim_messages(&lanes, 2, NOW, NOW + LEASE).await.unwrap();
    assert_eq!(first.iter().map(|m| m.id).collect::<Vec<_>>(), [otp.id, tx.id]);
    assert!(first.iter().all(|m| m.status == MessageStatus::Sending));
    assert_eq!(w.status(otp.id).await, MessageStatus::Sending);
    // Only the bulk lane asked for: the OTP not yet due is never taken.
    let bulk_only =
        w.store().claim_messages(&[Priority::Bulk], 10, NOW, NOW + LEASE).await.unwrap();
    assert_eq!(bulk_only.iter().map(|m| m.id).collect::<Vec<_>>(), [old_bulk.id]);
    assert!(w.store().claim_messages(&lanes, 10, NOW, NOW + LEASE).await.unwrap().is_empty());
    assert_eq!(w.status(later.id).await, MessageStatus::Queued);
    // The OTP fast path ignores available_at, and claims once.
    let fast = w.store().claim_message(later.id, NOW, NOW + LEASE).await.unwrap().unwrap();
    assert_eq!(fast.status, MessageStatus::Sending);
    assert!(w.store().claim_message(later.id, NOW, NOW + LEASE).await.unwrap().is_none());
    assert!(
        w.store().claim_message(uuid::Uuid::now_v7(), NOW, NOW + LEASE).await.unwrap().is_none()
    );
    assert!(w.store().claim_messages(&[], 10, NOW, NOW + LEASE).await.unwrap().is_empty());
}

async fn concurrent_claims_never_share_a_message(backend: Backend) {
    let w = World::new(backend).await;
    let all: Vec<NewMessage> = (0..300).map(|i| message(MessageKind::Reminder, NOW - i)).collect();
    w.enqueue(&all).await;
    let other = w.db.second_store().await;
    let lanes = [Priority::Otp, Priority::Transactional, Priority::Bulk];
    let mut tasks = Vec::new();
    for i in 0..6 {
        let store: Arc<SqlStore> =
            if i % 2 == 0 { Arc::clone(w.store()) } else { Arc::clone(&other) };
        tasks.push(tokio::spawn(async move {
            let mut got = Vec::new();
            loop {
                let batch = store.claim_messages(&lanes, 17, NOW, NOW + LEASE).await.unwrap();
                if batch.is_empty() {
                    break got;
                }
                got.extend(batch.into_iter().map(|m| m.id));
            }
        }));
    }
    let mut seen = HashSet::new();
    for t in tasks {
        for id in t.await.unwrap() {
            assert!(seen.insert(id), "claimed twice: {id}");
        }
    }
    assert_eq!(seen.len(), 300);
    assert_eq!(w.store().queue_depth(NOW).await.unwrap().sending, 300);
}

async fn an_expired_lease_is_claimed_again(backend: Backend) {
    let w = World::new(backend).await;
    let m = message(MessageKind::Registration, NOW);
    w.enqueue(std::slice::from_ref(&m)).await;
    let lanes = [Priority::Transactional];
    assert_eq!(w.store().claim_messages(&lanes, 5, NOW, NOW + LEASE).await.unwrap().len(), 1);
    // Still leased: nothing.
    assert!(
        w.store()
            .claim_messages(&lanes, 5, NOW + LEASE - 1, NOW + 2 * LEASE)
            .await
            .unwrap()
            .is_empty()
    );
    let again =
        w.store().claim_messages(&lanes, 5, NOW + LEASE + 1, NOW + 3 * LEASE).await.unwrap();
    assert_eq!(again.iter().map(|r| r.id).collect::<Vec<_>>(), [m.id]);
    assert_eq!((again[0].status, again[0].attempts), (MessageStatus::Sending, 0));
    // The first dispatcher's late outcome is still taken (the row is sending), once.
    w.store()
        .record_send_outcomes(&[SendOutcome::Sent {
            id: m.id,
            gateway: "kannel".into(),
            gateway_ref: None,
            at_ms: NOW + LEASE + 2,
        }])
        .await
        .unwrap();
    assert_eq!(w.status(m.id).await, MessageStatus::Sent);
}

async fn send_outcomes_are_recorded(backend: Backend) {
    let w = World::new(backend).await;
    let mut otp = message(MessageKind::Otp, NOW);
    otp.body = "Your OTP is 654321".into();
    let confirm = message(MessageKind::BookingConfirmed, NOW);
    let retry = message(MessageKind::Registration, NOW);
    let defer = message(MessageKind::Reminder, NOW);
    let failed = message(MessageKind::Registration, NOW);
    let mut expired_otp = message(MessageKind::Otp, NOW);
    expired_otp.body = "Your OTP is 111111".into();
    let expired = message(MessageKind::Reminder, NOW);
    let never_claimed = message(MessageKind::Registration, NOW);
    for m in [&otp, &confirm, &retry, &defer, &failed, &expired_otp, &expired] {
        w.claimed(m).await;
    }
    w.enqueue(std::slice::from_ref(&never_claimed)).await;
    let long_error = "x".repeat(2_000);
    let outcomes = vec![
        SendOutcome::Sent {
            id: otp.id,
            gateway: "kannel".into(),
            gateway_ref: Some("r1".into()),
            at_ms: NOW + 10,
        },
        SendOutcome::Sent {
            id: confirm.id,
            gateway: "http".into(),
            gateway_ref: None,
            at_ms: NOW + 11,
        },
        SendOutcome::Retry {
            id: retry.id,
            gateway: Some("kannel".into()),
            error: long_error.clone(),
            retry_at_ms: NOW + 5_000,
        },
        SendOutcome::Defer { id: defer.id, until_ms: NOW + 3_600_000 },
        SendOutcome::Failed {
            id: failed.id,
            gateway: Some("http".into()),
            error: "invalid number".into(),
            at_ms: NOW + 12,
        },
        SendOutcome::Expired { id: expired_otp.id, at_ms: NOW + 13 },
        SendOutcome::Expired { id: expired.id, at_ms: NOW + 14 },
        SendOutcome::Sent {
            id: never_claimed.id,
            gateway: "kannel".into(),
            gateway_ref: None,
            at_ms: NOW + 15,
        },
    ];
    w.store().record_send_outcomes(&outcomes).await.unwrap();

    let s = w.store().find_message(otp.id).await.unwrap();
    assert_eq!(s.status, MessageStatus::Sent);
    assert_eq!(
        (s.gateway.as_deref(), s.gateway_ref.as_deref(), s.sent_at_ms),
        (Some("kannel"), Some("r1"), Some(NOW + 10))
    );
    assert_eq!(s.body, "", "an OTP's text is erased once sent");
    let s = w.store().find_message(confirm.id).await.unwrap();
    assert_eq!(
        (s.status, s.gateway.as_deref(), s.gateway_ref, s.sent_at_ms),
        (MessageStatus::Sent, Some("http"), None, Some(NOW + 11))
    );
    assert_eq!(s.body, confirm.body, "other texts are kept");
    let s = w.store().find_message(retry.id).await.unwrap();
    assert_eq!((s.status, s.attempts, s.available_at_ms), (MessageStatus::Queued, 1, NOW + 5_000));
    assert_eq!(s.gateway.as_deref(), Some("kannel"));
    assert_eq!(s.last_error.as_ref().map(|e| e.chars().count()), Some(500));
    let s = w.store().find_message(defer.id).await.unwrap();
    assert_eq!(
        (s.status, s.attempts, s.available_at_ms),
        (MessageStatus::Queued, 0, NOW + 3_600_000)
    );
    let s = w.store().find_message(failed.id).await.unwrap();
    assert_eq!(
        (s.status, s.gateway.as_deref(), s.last_error.as_deref()),
        (MessageStatus::Failed, Some("http"), Some("invalid number"))
    );
    assert_eq!((s.sent_at_ms, s.delivered_at_ms), (None, None));
    let s = w.store().find_message(expired_otp.id).await.unwrap();
    assert_eq!((s.status, s.body.as_str()), (MessageStatus::Expired, ""));
    let s = w.store().find_message(expired.id).await.unwrap();
    assert_eq!((s.status, s.body), (MessageStatus::Expired, expired.body.clone()));
    let s = w.store().find_message(never_claimed.id).await.unwrap();
    assert_eq!((s.status, s.gateway), (MessageStatus::Queued, None), "only sending rows change");

    // A late duplicate outcome for a final message is ignored.
    w.store()
        .record_send_outcomes(&[SendOutcome::Retry {
            id: otp.id,
            gateway: None,
            error: "late".into(),
            retry_at_ms: NOW,
        }])
        .await
        .unwrap();
    assert_eq!(w.status(otp.id).await, MessageStatus::Sent);
    // The retried message comes back when due, with its attempt counted.
    let again = w
        .store()
        .claim_messages(&[Priority::Transactional], 10, NOW + 5_000, NOW + LEASE)
        .await
        .unwrap();
    let mut got: Vec<(uuid::Uuid, u32)> = again.iter().map(|m| (m.id, m.attempts)).collect();
    got.sort();
    let mut want = vec![(retry.id, 1), (never_claimed.id, 0)];
    want.sort();
    assert_eq!(got, want);
}

async fn many_sent_outcomes_are_recorded_in_one_call(backend: Backend) {
    let w = World::new(backend).await;
    let all: Vec<NewMessage> = (0..1_200).map(|_| message(MessageKind::Reminder, NOW)).collect();
    w.enqueue(&all).await;
    let claimed =
        w.store().claim_messages(&[Priority::Bulk], 2_000, NOW, NOW + LEASE).await.unwrap();
    assert_eq!(claimed.len(), 1_200);
    let outcomes: Vec<SendOutcome> = claimed
        .iter()
        .enumerate()
        .map(|(i, m)| SendOutcome::Sent {
            id: m.id,
            gateway: if i % 2 == 0 { "a".into() } else { "b".into() },
            gateway_ref: Some(format!("ref-{i}")),
            at_ms: NOW + 1,
        })
        .collect();
    w.store().record_send_outcomes(&outcomes).await.unwrap();
    let stats = w.store().delivery_stats(0, None).await.unwrap();
    assert_eq!(
        stats.iter().map(|s| (s.gateway.clone(), s.sent)).collect::<Vec<_>>(),
        [(Some("a".into()), 600), (Some("b".into()), 600)]
    );
    let one = w.store().find_message(claimed[7].id).await.unwrap();
    assert_eq!((one.gateway.as_deref(), one.gateway_ref.as_deref()), (Some("b"), Some("ref-7")));
}

async fn delivery_reports_only_move_forward(backend: Backend) {
    let w = World::new(backend).await;
    let m = message(MessageKind::BookingConfirmed, NOW);
    w.claimed(&m).await;
    // An SMSC acknowledgement before the send outcome changes nothing.
    assert_eq!(
        w.store().record_delivery(m.id, DeliveryState::Accepted, "", NOW).await.unwrap(),
        MessageStatus::Sending
    );
    w.store()
        .record_send_outcomes(&[SendOutcome::Sent {
            id: m.id,
            gateway: "kannel".into(),
            gateway_ref: Some("g".into()),
            at_ms: NOW + 1,
        }])
        .await
        .unwrap();
    assert_eq!(
        w.store().record_delivery(m.id, DeliveryState::Accepted, "", NOW + 2).await.unwrap(),
        MessageStatus::Sent
    );
    assert_eq!(
        w.store()
            .record_delivery(m.id, DeliveryState::Delivered, "DELIVRD", NOW + 3)
            .await
            .unwrap(),
        MessageStatus::Delivered
    );
    // Final: a later failure report is ignored.
    assert_eq!(
        w.store().record_delivery(m.id, DeliveryState::Failed, "UNDELIV", NOW + 4).await.unwrap(),
        MessageStatus::Delivered
    );
    let s = w.store().find_message(m.id).await.unwrap();
    assert_eq!(
        (s.status, s.delivered_at_ms, s.last_error),
        (MessageStatus::Delivered, Some(NOW + 3), None)
    );

    let f = message(MessageKind::BookingConfirmed, NOW);
    w.claimed(&f).await;
    w.store()
        .record_send_outcomes(&[SendOutcome::Sent {
            id: f.id,
            gateway: "kannel".into(),
            gateway_ref: None,
            at_ms: NOW + 1,
        }])
        .await
        .unwrap();
    assert_eq!(
        w.store()
            .record_delivery(f.id, DeliveryState::Failed, "absent subscriber", NOW + 5)
            .await
            .unwrap(),
        MessageStatus::Failed
    );
    assert_eq!(
        w.store().record_delivery(f.id, DeliveryState::Delivered, "", NOW + 6).await.unwrap(),
        MessageStatus::Failed
    );
    let s = w.store().find_message(f.id).await.unwrap();
    assert_eq!(
        (s.last_error.as_deref(), s.delivered_at_ms),
        (Some("absent subscriber"), Some(NOW + 5))
    );
    assert!(matches!(
        w.store().record_delivery(uuid::Uuid::now_v7(), DeliveryState::Delivered, "", NOW).await,
        Err(StorageError::NotFound)
    ));
}

async fn the_call_list_shows_who_was_told_and_who_came(backend: Backend) {
    let w = World::new(backend).await;
    let zara = w.person("111122223333", "Zara Khan").await;
    let amit = w.person("222233334444", "Amit Shah").await;
    let late = w.person("333344445555", "Bela Roy").await;
    let gone = w.person("444455556666", "Chetan Das").await;
    let family = w.book(w.session, &[zara.id, amit.id], "09:00AM-11:00AM").await;
    let afternoon = w.book(w.session, &[late.id], "01:00PM-03:00PM").await;
    let cancelled = w.book(w.session, &[gone.id], "09:00AM-11:00AM").await;
    w.store().cancel(cancelled, &[], NOW).await.unwrap();

    let about = |who: Option<BeneficiaryId>, booking: AppointmentId, kind, at: i64| {
        let mut m = message(kind, at);
        m.booking_id = Some(booking);
        m.session_id = Some(w.session);
        m.beneficiary_id = who;
        m.created_at_ms = at;
        m
    };
    let confirm = about(None, family, MessageKind::BookingConfirmed, NOW);
    let reminder_amit = about(Some(amit.id), family, MessageKind::Reminder, NOW + 100);
    let reminder_zara = about(Some(zara.id), family, MessageKind::Reminder, NOW + 200);
    w.enqueue(&[confirm.clone(), reminder_amit.clone(), reminder_zara.clone()]).await;

    let roster = w.store().session_roster(w.session).await.unwrap();
    let zara_row =
        roster.iter().find(|r| r.appointment.beneficiary_id == zara.id).unwrap().appointment.id;
    w.upload(vec![
        w.record(RecordBody::Arrival { beneficiary_id: zara.id }),
        w.record(RecordBody::Dose(DoseRecord {
            beneficiary_id: zara.id,
            walk_in: None,
            appointment_id: Some(zara_row),
            vaccine: VaccineCode::parse("COVISHIELD").unwrap(),
            batch: "B1".into(),
            dose: DoseNumber::FIRST,
            vaccinator_id: w.staff,
        })),
    ])
    .await;

    let list = w.store().session_call_list(w.session).await.unwrap();
    let names: Vec<&str> = list.iter().map(|r| r.name.as_str()).collect();
    assert_eq!(
        names,
        ["Amit Shah", "Zara Khan", "Bela Roy"],
        "by slot, then name; cancelled left out"
    );
    let (a, z, b) = (&list[0], &list[1], &list[2]);
    assert_eq!(a.mobile, mobile());
    assert_eq!(a.reference_id, amit.reference_id.as_str());
    assert_eq!((a.messages, a.last_message.as_ref().map(|m| m.id)), (2, Some(reminder_amit.id)));
    assert_eq!((a.arrived_at_ms, a.vaccinated), (None, false));
    assert_eq!(a.appointment.status, AppointmentStatus::Booked);
    assert_eq!((z.messages, z.last_message.as_ref().map(|m| m.id)), (2, Some(reminder_zara.id)));
    assert_eq!((z.arrived_at_ms, z.vaccinated), (Some(NOW + 1_000), true));
    assert_eq!(z.appointment.status, AppointmentStatus::Completed);
    assert_eq!(
        (b.messages, b.last_message.is_none(), b.appointment.booking_id),
        (0, true, afternoon)
    );
    assert!(matches!(
        w.store().session_call_list(SessionId::new()).await,
        Err(StorageError::NotFound)
    ));
}

async fn delivery_stats_group_by_district_and_gateway(backend: Backend) {
    let w = World::new(backend).await;
    let mut far = covishield_session(2, day(11));
    far.id = SessionId::new();
    w.store().insert_sessions(std::slice::from_ref(&far)).await.unwrap();
    let in_session = |s: SessionId| {
        let mut m = message(MessageKind::SessionChanged, NOW);
        m.session_id = Some(s);
        m
    };
    let (a, b, c, d) =
        (in_session(w.session), in_session(w.session), in_session(w.session), in_session(far.id));
    let (otp, pending, cancelled) =
        (message(MessageKind::Otp, NOW), in_session(w.session), in_session(w.session));
    let mut old = in_session(w.session);
    old.created_at_ms = NOW - 10_000_000;
    for m in [&a, &b, &c, &d, &otp] {
        w.claimed(m).await;
    }
    w.enqueue(&[pending.clone(), old.clone()]).await;
    let mut cancelled_key = cancelled.clone();
    cancelled_key.supersede_key = Some("k".into());
    w.enqueue(std::slice::from_ref(&cancelled_key)).await;
    w.store()
        .plan_messages(&[MessagePlan { cancel_keys: vec!["k".into()], ..Default::default() }], NOW)
        .await
        .unwrap();
    let sent =
        |id, gw: &str| SendOutcome::Sent { id, gateway: gw.into(), gateway_ref: None, at_ms: NOW };
    w.store()
        .record_send_outcomes(&[
            sent(a.id, "kannel"),
            sent(b.id, "kannel"),
            SendOutcome::Failed {
                id: c.id,
                gateway: Some("http".into()),
                error: "bad".into(),
                at_ms: NOW,
            },
            sent(d.id, "kannel"),
            SendOutcome::Expired { id: otp.id, at_ms: NOW },
        ])
        .await
        .unwrap();
    w.store().record_delivery(a.id, DeliveryState::Delivered, "", NOW + 1).await.unwrap();

    let stats = w.store().delivery_stats(NOW - 1_000, None).await.unwrap();
    let stat = |district: Option<i64>,
                gateway: Option<&str>,
                total,
                pending,
                sent,
                delivered,
                failed,
                expired| DeliveryStat {
        district_id: district,
        gateway: gateway.map(str::to_owned),
        total,
        pending,
        sent,
        delivered,
        failed,
        expired,
    };
    assert_eq!(
        stats,
        [
            stat(None, None, 1, 0, 0, 0, 0, 1),
            stat(Some(395), None, 1, 1, 0, 0, 0, 0),
            stat(Some(395), Some("http"), 1, 0, 0, 0, 1, 0),
            stat(Some(395), Some("kannel"), 2, 0, 1, 1, 0, 0),
            stat(Some(400), Some("kannel"), 1, 0, 1, 0, 0, 0),
        ]
    );
    let one = w.store().delivery_stats(NOW - 1_000, Some(400)).await.unwrap();
    assert_eq!(one, [stat(Some(400), Some("kannel"), 1, 0, 1, 0, 0, 0)]);
    let all_time = w.store().delivery_stats(0, Some(395)).await.unwrap();
    assert_eq!(all_time.iter().find(|s| s.gateway.is_none()).unwrap().pending, 2);
}

async fn queue_depth_counts_each_lane(backend: Backend) {
    let w = World::new(backend).await;
    assert_eq!(w.store().queue_depth(NOW).await.unwrap(), QueueDepth::default());
    w.enqueue(&[
        message(MessageKind::Otp, NOW - 5),
        message(MessageKind::Otp, NOW - 2),
        message(MessageKind::Reminder, NOW - 100),
        message(MessageKind::Reminder, NOW + 100),
        message(MessageKind::DoseDue, NOW + 200),
    ])
    .await;
    w.claimed(&message(MessageKind::Registration, NOW)).await;
    let depth = w.store().queue_depth(NOW).await.unwrap();
    assert_eq!(
        depth,
        QueueDepth {
            due: vec![(Priority::Otp, 2, NOW - 5), (Priority::Bulk, 1, NOW - 100)],
            scheduled: 2,
            sending: 1
        }
    );
}

async fn quiet_hours_are_kept_per_account(backend: Backend) {
    let w = World::new(backend).await;
    assert_eq!(w.store().quiet_hours(w.account).await.unwrap(), None);
    w.store().set_quiet_hours(w.account, Some((22 * 60, 7 * 60))).await.unwrap();
    assert_eq!(w.store().quiet_hours(w.account).await.unwrap(), Some((1320, 420)));
    w.store().set_quiet_hours(w.account, None).await.unwrap();
    assert_eq!(w.store().quiet_hours(w.account).await.unwrap(), None);
    assert!(matches!(
        w.store().set_quiet_hours(AccountId::new(), Some((0, 1))).await,
        Err(StorageError::NotFound)
    ));
    assert!(matches!(w.store().quiet_hours(AccountId::new()).await, Err(StorageError::NotFound)));
    // The account's other fields are untouched.
    assert_eq!(w.store().find_account(w.account).await.unwrap().mobile, mobile());
}

async fn incoming_sms_are_listed_newest_first(backend: Backend) {
    let w = World::new(backend).await;
    let sms = |text: &str, keyword: &str, at: i64| InboundSms {
        id: uuid::Uuid::now_v7(),
        mobile: mobile(),
        to: "56161".into(),
        text: text.into(),
        keyword: keyword.into(),
        outcome: "replied".into(),
        received_at_ms: at,
    };
    let (a, b, c) = (
        sms("HELP", "help", NOW),
        sms("STATUS", "status", NOW + 2),
        sms("STOP 22", "quiet", NOW + 1),
    );
    for s in [&a, &b, &c] {
        w.store().record_inbound(s).await.unwrap();
    }
    w.store().record_inbound(&a).await.unwrap();
    let list = w.store().list_inbound(10).await.unwrap();
    assert_eq!(list.iter().map(|s| s.id).collect::<Vec<_>>(), [b.id, c.id, a.id]);
    let first = &list[0];
    assert_eq!(
        (
            first.mobile.clone(),
            first.to.as_str(),
            first.text.as_str(),
            first.keyword.as_str(),
            first.outcome.as_str(),
            first.received_at_ms
        ),
        (mobile(), "56161", "STATUS", "status", "replied", NOW + 2)
    );
    assert_eq!(w.store().list_inbound(1).await.unwrap().len(), 1);
}

async fn cancelling_a_session_cancels_its_bookings_once(backend: Backend) {
    let w = World::new(backend).await;
    let p1 = w.person("111122223333", "Asha Rao").await;
    let p2 = w.person("222233334444", "Ravi Rao").await;
    let p3 = w.person("333344445555", "Mira Rao").await;
    let family = w.book(w.session, &[p1.id, p2.id], "09:00AM-11:00AM").await;
    let single = w.book(w.session, &[p3.id], "11:00AM-01:00PM").await;
    let before = w.store().find_session(w.session).await.unwrap();
    assert_eq!(before.booked_dose1, 3);

    let mut cancelled = w
        .store()
        .cancel_session(w.session, "vaccine not delivered", "staff:x", NOW + 50, None)
        .await
        .unwrap();
    cancelled.sort();
    let mut expected = vec![family, single];
    expected.sort();
    assert_eq!(cancelled, expected);
    let after = w.store().find_session(w.session).await.unwrap();
    assert_eq!((after.active, after.booked_dose1, after.updated_at_ms), (false, 0, NOW + 50));
    for b in [family, single] {
        assert!(
            w.store()
                .find_booking(b)
                .await
                .unwrap()
                .iter()
                .all(|a| a.status == AppointmentStatus::Cancelled)
        );
    }
    let events = w.events("session.cancelled").await;
    assert_eq!(events.len(), 1);
    let (e, payload) = &events[0];
    assert_eq!(e.subject_id, w.session.to_string());
    assert_eq!(payload["session_id"], w.session.to_string());
    assert_eq!(payload["reason"], "vaccine not delivered");
    let mut ids: Vec<String> = payload["booking_ids"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_str().unwrap().to_owned())
        .collect();
    ids.sort();
    assert_eq!(ids, expected.iter().map(ToString::to_string).collect::<Vec<_>>());
    let audit = w.store().list_audit(&w.session.to_string(), 10).await.unwrap();
    assert_eq!(
        audit.iter().map(|a| (a.actor.as_str(), a.action.as_str())).collect::<Vec<_>>(),
        [("staff:x", "session.cancel")]
    );
    // No appointment.cancelled events: the session event speaks for them.
    assert!(w.events("appointment.cancelled").await.is_empty());

    assert!(matches!(
        w.store().cancel_session(w.session, "again", "staff:x", NOW + 60, None).await,
        Err(StorageError::Conflict(ConflictKind::SessionClosed))
    ));
    assert!(matches!(
        w.store().move_session(w.session, day(12), "x", "staff:x", NOW + 60, None).await,
        Err(StorageError::Conflict(ConflictKind::SessionClosed))
    ));
    assert!(matches!(
        w.store().cancel_session(SessionId::new(), "x", "staff:x", NOW, None).await,
        Err(StorageError::NotFound)
    ));
    assert_eq!(w.events("session.cancelled").await.len(), 1);
    // A session without bookings is cancelled with an empty list.
    let mut empty = covishield_session(1, day(20));
    empty.id = SessionId::new();
    w.store().insert_sessions(std::slice::from_ref(&empty)).await.unwrap();
    assert!(
        w.store().cancel_session(empty.id, "rain", "staff:x", NOW, None).await.unwrap().is_empty()
    );
}

async fn moving_a_session_keeps_its_bookings(backend: Backend) {
    let w = World::new(backend).await;
    let p1 = w.person("111122223333", "Asha Rao").await;
    let p2 = w.person("222233334444", "Ravi Rao").await;
    let booking = w.book(w.session, &[p1.id, p2.id], "09:00AM-11:00AM").await;
    let moved = w
        .store()
        .move_session(w.session, day(15), "staff shortage", "staff:y", NOW + 70, None)
        .await
        .unwrap();
    assert_eq!(moved, [booking]);
    let s = w.store().find_session(w.session).await.unwrap();
    assert_eq!((s.date, s.active, s.booked_dose1, s.updated_at_ms), (day(15), true, 2, NOW + 70));
    assert!(
        w.store()
            .find_booking(booking)
            .await
            .unwrap()
            .iter()
            .all(|a| a.status == AppointmentStatus::Booked)
    );
    let events = w.events("session.changed").await;
    assert_eq!(events.len(), 1);
    let payload = &events[0].1;
    assert_eq!(
        payload,
        &serde_json::json!({
            "session_id": w.session.to_string(), "old_date": "2026-12-10", "new_date": "2026-12-15",
            "reason": "staff shortage", "booking_ids": [booking.to_string()],
        })
    );
    let audit = w.store().list_audit(&w.session.to_string(), 10).await.unwrap();
    assert_eq!(audit.iter().map(|a| a.action.as_str()).collect::<Vec<_>>(), ["session.move"]);
    assert!(matches!(
        w.store().move_session(SessionId::new(), day(15), "x", "staff:y", NOW, None).await,
        Err(StorageError::NotFound)
    ));
}

async fn business_transactions_announce_what_citizens_are_told(backend: Backend) {
    let w = World::new(backend).await;
    let p1 = w.person("111122223333", "Asha Rao").await;
    let p2 = w.person("222233334444", "Ravi Rao").await;
    let registered = w.events("beneficiary.registered").await;
    assert_eq!(registered.len(), 2);
    let (e, payload) = registered.iter().find(|(e, _)| e.subject_id == p1.id.to_string()).unwrap();
    assert_eq!(e.created_at_ms, NOW);
    assert_eq!(
        payload,
        &serde_json::json!({"beneficiary_id": p1.id.to_string(), "account_id": w.account.to_string()})
    );

    let booking = w.book(w.session, &[p1.id, p2.id], "09:00AM-11:00AM").await;
    let booked = w.events("appointment.booked").await;
    assert_eq!(booked.len(), 1);
    assert_eq!(booked[0].0.subject_id, booking.to_string());
    assert_eq!(
        booked[0].1,
        serde_json::json!({"booking_id": booking.to_string(), "session_id": w.session.to_string(), "account_id": w.account.to_string()})
    );

    let mut other = covishield_session(1, day(11));
    other.id = SessionId::new();
    w.store().insert_sessions(std::slice::from_ref(&other)).await.unwrap();
    w.store()
        .reschedule(&Reschedule {
            booking_id: booking,
            session_id: other.id,
            slot: Slot::from_label("11:00AM-01:00PM"),
            now_ms: NOW + 1,
        })
        .await
        .unwrap();
    let moved = w.events("appointment.rescheduled").await;
    assert_eq!(moved.len(), 1);
    assert_eq!(
        moved[0].1,
        serde_json::json!({"booking_id": booking.to_string(), "old_session_id": w.session.to_string(), "session_id": other.id.to_string()})
    );

    assert_eq!(w.store().cancel(booking, &[p2.id], NOW + 2).await.unwrap(), 1);
    // A refused cancel (nothing left to cancel for p2) announces nothing.
    assert!(w.store().cancel(booking, &[p2.id], NOW + 3).await.is_err());
    let cancelled = w.events("appointment.cancelled").await;
    assert_eq!(cancelled.len(), 1);
    assert_eq!(cancelled[0].0.subject_id, booking.to_string());
    assert_eq!(
        cancelled[0].1,
        serde_json::json!({"booking_id": booking.to_string(), "session_id": other.id.to_string(), "beneficiary_ids": [p2.id.to_string()]})
    );

    let approve = NewCorrection {
        id: uuid::Uuid::now_v7(),
        beneficiary_id: p1.id,
        change: CorrectionChange::Name("Asha R. Rao".into()),
        reason: "typo".into(),
        requested_by: "citizen:test".into(),
        requested_at_ms: NOW,
    };
    let reject =
        NewCorrection { id: uuid::Uuid::now_v7(), beneficiary_id: p2.id, ..approve.clone() };
    w.store().request_correction(&approve).await.unwrap();
    w.store().request_correction(&reject).await.unwrap();
    w.store()
        .decide_correction(approve.id, CorrectionDecision::Approve, "staff:a", "ok", NOW + 4)
        .await
        .unwrap();
    w.store()
        .decide_correction(reject.id, CorrectionDecision::Reject, "staff:a", "no", NOW + 4)
        .await
        .unwrap();
    let approved = w.events("correction.approved").await;
    assert_eq!(approved.len(), 1);
    assert_eq!(approved[0].0.subject_id, approve.id.to_string());
    assert_eq!(
        approved[0].1,
        serde_json::json!({"correction_id": approve.id.to_string(), "beneficiary_id": p1.id.to_string()})
    );
}

/// Kannel reports delivery within milliseconds, often before the dispatcher has written its
/// own record of the hand-off: the report wins, the hand-off only fills in the gateway.
async fn a_delivery_report_can_overtake_the_send_outcome(backend: Backend) {
    let w = World::new(backend).await;
    let m = message(MessageKind::Otp, NOW);
    w.claimed(&m).await;
    assert_eq!(
        w.store()
            .record_delivery(m.id, DeliveryState::Delivered, "DELIVRD", NOW + 1)
            .await
            .unwrap(),
        MessageStatus::Delivered
    );
    w.store()
        .record_send_outcomes(&[SendOutcome::Sent {
            id: m.id,
            gateway: "kannel".into(),
            gateway_ref: None,
            at_ms: NOW + 2,
        }])
        .await
        .unwrap();
    let after = w.store().find_message(m.id).await.unwrap();
    assert_eq!(after.status, MessageStatus::Delivered);
    assert_eq!(after.gateway.as_deref(), Some("kannel"));
    assert_eq!((after.sent_at_ms, after.delivered_at_ms), (Some(NOW + 1), Some(NOW + 1)));
    assert_eq!(after.body, "", "the OTP text is erased once handed over");
}

on_both_backends!(
    a_delivery_report_can_overtake_the_send_outcome,
    an_otp_and_its_message_are_stored_together,
    planning_is_idempotent_and_consumes_events,
    a_large_plan_is_stored_in_one_go,
    cancel_keys_supersede_only_queued_messages,
    claims_take_the_most_urgent_due_messages_first,
    concurrent_claims_never_share_a_message,
    an_expired_lease_is_claimed_again,
    send_outcomes_are_recorded,
    many_sent_outcomes_are_recorded_in_one_call,
    delivery_reports_only_move_forward,
    the_call_list_shows_who_was_told_and_who_came,
    delivery_stats_group_by_district_and_gateway,
    queue_depth_counts_each_lane,
    quiet_hours_are_kept_per_account,
    incoming_sms_are_listed_newest_first,
    cancelling_a_session_cancels_its_bookings_once,
    moving_a_session_keeps_its_bookings,
    business_transactions_announce_what_citizens_are_told,
);
