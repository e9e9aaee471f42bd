//! Notifications (`docs/NOTIFICATIONS.md`): every message queued with its event, rendered in
//! the person's language, sent through the gateway pool in priority lanes, tracked through
//! delivery reports; reminders, outages, incoming SMS, and the session call list.

use axum::http::{StatusCode, header};
use serde_json::{Value, json};
use tika_domain::ids::{AppointmentId, SessionId};
use tika_domain::message::{MessageKind, MessageStatus, Priority};
use tika_domain::mobile::Mobile;
use tika_domain::staff::StaffRole;
use tika_server::services::notifications::dispatch;
use tika_storage::{Backend, MessageRecord, NewMessage};
use tika_test_support::on_both_backends;

use crate::harness::{BKC, KURLA, MO_TOKEN, TestApp, mobile};
use crate::site::staff;

const SITE: &str = "/api/site/v1";

fn m(n: u32) -> Mobile {
    Mobile::parse(&mobile(n)).unwrap()
}

async fn messages(app: &TestApp, n: u32) -> Vec<MessageRecord> {
    app.store.messages_to(&m(n), 100).await.unwrap()
}

/// The last SMS of a kind the gateway took for the nth test mobile.
fn sent_of(app: &TestApp, n: u32, kind: MessageKind) -> tika_server::sms::OutgoingSms {
    app.sms
        .sent()
        .into_iter()
        .rev()
        .find(|s| s.to == m(n) && s.kind == kind)
        .unwrap_or_else(|| panic!("no {kind} SMS to mobile {n}"))
}

fn of_kind(list: &[MessageRecord], kind: MessageKind) -> Vec<MessageRecord> {
    list.iter().filter(|m| m.kind == kind).cloned().collect()
}

/// The delivery-report address the dispatcher gave the gateway, as Kannel would call it.
fn dlr_path(app: &TestApp, id: uuid::Uuid, status: &str) -> String {
    let sent = app.sms.sent().into_iter().find(|s| s.id == id).expect("the message was sent");
    let url = sent.dlr_url.expect("a delivery-report address");
    url.strip_prefix("http://tika.test").unwrap().replace("%d", status)
}

async fn a_booking_is_confirmed_by_sms_reminded_a_day_before_and_reported_delivered(
    backend: Backend,
) {
    {
        let app = TestApp::new(backend).await;
        let (token, reference) = app.citizen(1).await;
        let booking = app.book(&token, app.s.next_week, 1, &[&reference]).await;
        let round = app.deliver_messages().await;
        assert!(round.sent >= 2, "registration and booking confirmation: {round:?}");

        let list = messages(&app, 1).await;
        let confirmed = of_kind(&list, MessageKind::BookingConfirmed);
        assert_eq!(confirmed.len(), 1);
        let c = &confirmed[0];
        assert_eq!(c.status, MessageStatus::Sent);
        assert_eq!(c.booking_id, Some(booking.parse::<AppointmentId>().unwrap()));
        let row = &app.store.find_booking(c.booking_id.unwrap()).await.unwrap()[0];
        let sms = sent_of(&app, 1, MessageKind::BookingConfirmed);
        assert!(sms.text.contains(row.security_code.as_str()), "{}", sms.text);
        assert!(sms.text.contains("BKC Jumbo Facility"), "{}", sms.text);
        assert!(sms.text.contains(&app.date(7)), "{}", sms.text);
        assert!(!sms.unicode, "an English confirmation with a Latin name is GSM-7");
        assert_eq!(of_kind(&list, MessageKind::Registration).len(), 1);

        // Kannel reports: SMSC ack (8), then delivered (1).
        for status in ["8", "1"] {
            let res = app.get(dlr_path(&app, c.id, status)).send().await;
            assert_eq!(res.status, StatusCode::OK, "{}", res.text());
        }
        let after = app.store.find_message(c.id).await.unwrap();
        assert_eq!(after.status, MessageStatus::Delivered);
        assert!(after.delivered_at_ms.is_some());
        // A late failure report does not undo a delivery.
        let res = app.get(dlr_path(&app, c.id, "2")).send().await;
        assert_eq!(res.json()["status"], "delivered");

        // The call list shows what they were told: the confirmation, not the reminder planned
        // in the same transaction and still waiting for its day.
        let (staff_token, _) = staff(&app, BKC, StaffRole::Vaccinator).await;
        let call_list = |token: String| {
            let path = format!("{SITE}/sessions/{}/call-list", app.s.next_week);
            let app = &app;
            async move { app.get(path).bearer(&token).send().await.json()["people"][0].clone() }
        };
        let row_now = call_list(staff_token.clone()).await;
        assert_eq!(row_now["message"]["kind"], "booking_confirmed", "{row_now}");
        assert_eq!(row_now["message"]["status"], "delivered");
        assert_eq!(row_now["needs_call"], false);

        // The reminder waits for the day before the appointment.
        let reminder = of_kind(&list, MessageKind::Reminder);
        assert_eq!(reminder.len(), 1);
        assert_eq!(reminder[0].status, MessageStatus::Queued);
        let slot_start = app.now() + chrono::Duration::days(7) - chrono::Duration::hours(1);
        let due = slot_start - chrono::Duration::hours(24);
        assert_eq!(reminder[0].available_at_ms, due.timestamp_millis());
        assert_eq!(reminder[0].expires_at_ms, slot_start.timestamp_millis());
        assert_eq!(app.deliver_messages().await.sent, 0, "nothing is due yet");
        app.advance(due - app.now());
        assert_eq!(app.deliver_messages().await.sent, 1);
        let sms = app.sms.last_to(&m(1)).unwrap();
        assert_eq!(sms.kind, MessageKind::Reminder);
        assert!(sms.text.contains(row.security_code.as_str()));
        let (staff_token, _) = staff(&app, BKC, StaffRole::Vaccinator).await; // a new working day
        assert_eq!(call_list(staff_token).await["message"]["kind"], "reminder");
    }
}

async fn cancelling_tells_the_person_and_cancels_the_reminder(backend: Backend) {
    {
        let app = TestApp::new(backend).await;
        let (token, reference) = app.citizen(2).await;
        let booking = app.book(&token, app.s.next_week, 1, &[&reference]).await;
        app.deliver_messages().await;
        let res = app
            .post("/api/v2/appointment/cancel")
            .bearer(&token)
            .json(&json!({ "appointment_id": booking }))
            .send()
            .await;
        res.assert_no_content();
        app.deliver_messages().await;
        let list = messages(&app, 2).await;
        assert_eq!(of_kind(&list, MessageKind::BookingCancelled).len(), 1);
        let reminders = of_kind(&list, MessageKind::Reminder);
        assert_eq!(reminders.len(), 1);
        assert_eq!(reminders[0].status, MessageStatus::Cancelled);
        assert!(sent_of(&app, 2, MessageKind::BookingCancelled).text.contains("BKC"));
    }
}

async fn hindi_speakers_get_hindi_messages_in_ucs2(backend: Backend) {
    {
        let app = TestApp::new(backend).await;
        let (token, reference) = app.citizen(3).await;
        let account = app.store.find_account_by_mobile(&m(3)).await.unwrap();
        app.store.set_account_language(account.id, "hi").await.unwrap();
        app.book(&token, app.s.next_week, 1, &[&reference]).await;
        app.deliver_messages().await;
        let sms = sent_of(&app, 3, MessageKind::BookingConfirmed);
        assert!(sms.unicode);
        assert!(sms.text.chars().any(|c| ('\u{0900}'..='\u{097F}').contains(&c)), "{}", sms.text);
        let stored = of_kind(&messages(&app, 3).await, MessageKind::BookingConfirmed);
        assert_eq!(stored[0].language, "hi");
        assert!(stored[0].unicode && stored[0].parts >= 1);
    }
}

async fn the_site_cancelling_a_session_tells_everyone_booked(backend: Backend) {
    {
        let app = TestApp::new(backend).await;
        let mut tokens = Vec::new();
        for n in 10..13 {
            let (token, reference) = app.citizen(n).await;
            app.book(&token, app.s.next_week, 1, &[&reference]).await;
            tokens.push(token);
        }
        app.deliver_messages().await;
        let (vaccinator, _) = staff(&app, BKC, StaffRole::Vaccinator).await;
        let (admin, _) = staff(&app, BKC, StaffRole::FacilityAdmin).await;
        let (other, _) = staff(&app, KURLA, StaffRole::FacilityAdmin).await;
        let path = format!("{SITE}/sessions/{}/cancel", app.s.next_week);
        let body = json!({ "reason": "Vaccine not delivered" });
        app.post(&path)
            .bearer(&vaccinator)
            .json(&body)
            .send()
            .await
            .assert_error(StatusCode::FORBIDDEN, "SITE0004");
        app.post(&path)
            .bearer(&other)
            .json(&body)
            .send()
            .await
            .assert_error(StatusCode::FORBIDDEN, "SITE0003");
        app.post(&path)
            .bearer(&admin)
            .json(&json!({}))
            .send()
            .await
            .assert_error(StatusCode::BAD_REQUEST, "USRRES0001");
        let res = app.post(&path).bearer(&admin).json(&body).send().await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text());
        assert_eq!(res.json()["bookings_cancelled"], 3);
        app.post(&path)
            .bearer(&admin)
            .json(&body)
            .send()
            .await
            .assert_error(StatusCode::CONFLICT, "SITE0030");
        app.deliver_messages().await;
        for n in 10..13 {
            let list = messages(&app, n).await;
            assert_eq!(of_kind(&list, MessageKind::SessionCancelled).len(), 1, "mobile {n}");
            assert_eq!(of_kind(&list, MessageKind::Reminder)[0].status, MessageStatus::Cancelled);
            assert!(
                sent_of(&app, n, MessageKind::SessionCancelled).text.contains("http://tika.test/")
            );
        }
        assert_eq!(app.booked(app.s.next_week).await, (0, 0));
    }
}

async fn moving_a_session_tells_everyone_and_moves_their_reminders(backend: Backend) {
    {
        let app = TestApp::new(backend).await;
        let (token, reference) = app.citizen(20).await;
        app.book(&token, app.s.next_week, 1, &[&reference]).await;
        app.deliver_messages().await;
        let (admin, _) = staff(&app, BKC, StaffRole::FacilityAdmin).await;
        let path = format!("{SITE}/sessions/{}/move", app.s.next_week);
        let new_day = app.day(9);
        let res = app
            .post(&path)
            .bearer(&admin)
            .json(&json!({ "date": new_day.to_string(), "reason": "Holiday" }))
            .send()
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text());
        let bad = app
            .post(&path)
            .bearer(&admin)
            .json(&json!({ "date": "09-06-2026", "reason": "x" }))
            .send()
            .await;
        bad.assert_error(StatusCode::BAD_REQUEST, "SITE0034");
        app.deliver_messages().await;
        let list = messages(&app, 20).await;
        let changed = of_kind(&list, MessageKind::SessionChanged);
        assert_eq!(changed.len(), 1);
        assert!(changed[0].body.contains(&app.date(9)) && changed[0].body.contains(&app.date(7)));
        let reminders = of_kind(&list, MessageKind::Reminder);
        assert_eq!(reminders.len(), 2);
        let live: Vec<_> = reminders.iter().filter(|r| r.status == MessageStatus::Queued).collect();
        assert_eq!(live.len(), 1);
        let old = reminders.iter().find(|r| r.status == MessageStatus::Cancelled).unwrap();
        assert_eq!(live[0].available_at_ms - old.available_at_ms, 2 * 86_400_000);
    }
}

async fn a_gateway_outage_loses_nothing_and_a_stale_otp_is_never_sent(backend: Backend) {
    {
        let app = TestApp::new(backend).await;
        let (token, reference) = app.citizen(30).await;
        app.sms.set_down(true);
        app.book(&token, app.s.next_week, 1, &[&reference]).await;
        // The OTP request still succeeds: the OTP is queued with its SMS.
        app.txn("/api/v2/auth/generateMobileOTP", &mobile(31)).await;
        let round = app.deliver_messages().await;
        assert_eq!(round.sent, 0);
        let otp = of_kind(&messages(&app, 31).await, MessageKind::Otp);
        assert_eq!(otp.len(), 1);
        assert_eq!(otp[0].status, MessageStatus::Queued);
        let confirmation = of_kind(&messages(&app, 30).await, MessageKind::BookingConfirmed);
        assert_eq!(confirmation[0].status, MessageStatus::Queued);
        assert_eq!(confirmation[0].attempts, 0, "an outage does not use up attempts");

        // An hour later the gateway is back: the confirmation goes, the OTP has expired.
        app.advance(chrono::Duration::hours(1));
        app.sms.set_down(false);
        tokio::time::sleep(std::time::Duration::from_millis(80)).await; // the pool's cool-down
        let round = app.deliver_messages().await;
        assert_eq!(round.expired, 1, "{round:?}");
        let otp = app.store.find_message(otp[0].id).await.unwrap();
        assert_eq!(otp.status, MessageStatus::Expired);
        assert_eq!(otp.body, "", "an expired OTP's text is erased");
        let confirmation = app.store.find_message(confirmation[0].id).await.unwrap();
        assert_eq!(confirmation.status, MessageStatus::Sent);
        assert!(app.sms.sent().iter().all(|s| s.kind != MessageKind::Otp || s.to != m(31)));
    }
}

async fn an_otp_jumps_a_backlog_of_reminders(backend: Backend) {
    {
        let app = TestApp::new(backend).await;
        let now = app.now().timestamp_millis();
        let backlog: Vec<NewMessage> = (0..1_000)
            .map(|i| NewMessage {
                id: uuid::Uuid::now_v7(),
                kind: MessageKind::Reminder,
                mobile: m(5_000 + i),
                account_id: None,
                beneficiary_id: None,
                booking_id: None,
                session_id: None,
                language: "en".into(),
                template_id: "1".into(),
                body: "reminder".into(),
                parts: 1,
                unicode: false,
                supersede_key: None,
                quiet_hours: None,
                available_at_ms: now - 60_000,
                expires_at_ms: now + 3_600_000,
                created_at_ms: now - 60_000,
            })
            .collect();
        assert_eq!(app.store.enqueue_messages(&backlog).await.unwrap(), 1_000);
        // The OTP is handed over by the request itself, before any of the backlog.
        app.txn("/api/v2/auth/generateMobileOTP", &mobile(40)).await;
        assert_eq!(app.sms.sent().len(), 1);
        assert_eq!(app.sms.sent()[0].kind, MessageKind::Otp);
        // And when the fast path could not send it, the OTP lane still takes it first.
        app.sms.set_down(true);
        app.txn("/api/v2/auth/generateMobileOTP", &mobile(41)).await;
        app.sms.set_down(false);
        tokio::time::sleep(std::time::Duration::from_millis(80)).await;
        // It was put back for a few seconds while the gateway was down.
        app.advance(chrono::Duration::seconds(6));
        let all = [Priority::Otp, Priority::Transactional, Priority::Bulk];
        let r = dispatch::dispatch_round(&app.state, &all, 1).await.unwrap();
        assert_eq!(r.sent, 1);
        assert_eq!(app.sms.sent().last().unwrap().to, m(41));
        let r = dispatch::dispatch_round(&app.state, &all, 2_000).await.unwrap();
        assert_eq!(r.sent, 1_000);
    }
}

async fn reminders_wait_for_the_end_of_quiet_hours(backend: Backend) {
    {
        let app = TestApp::new(backend).await;
        let (token, reference) = app.citizen(50).await;
        let account = app.store.find_account_by_mobile(&m(50)).await.unwrap();
        // This mobile's quiet hours cover 09:00, when its reminder falls due.
        app.store.set_quiet_hours(account.id, Some((8 * 60, 10 * 60))).await.unwrap();
        app.book(&token, app.s.next_week, 1, &[&reference]).await;
        app.deliver_messages().await;
        let reminder = of_kind(&messages(&app, 50).await, MessageKind::Reminder).remove(0);
        let ten_am = app.now() + chrono::Duration::days(6); // START is 10:00 IST
        assert_eq!(reminder.available_at_ms, ten_am.timestamp_millis());
        assert_eq!(reminder.quiet_hours, Some((480, 600)));
    }
}

async fn mo(app: &TestApp, from: u32, text: &str) -> crate::harness::Resp {
    app.get(format!(
        "/api/sms/v1/mo?from=91{}&to=1075&text={}&token={MO_TOKEN}",
        mobile(from),
        urlencode(text)
    ))
    .send()
    .await
}

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' => (b as char).to_string(),
            b' ' => "+".to_owned(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn citizens_can_ask_for_details_and_cancel_by_sms(backend: Backend) {
    {
        let app = TestApp::new(backend).await;
        let (token, reference) = app.citizen(60).await;
        let booking = app.book(&token, app.s.next_week, 1, &[&reference]).await;
        app.deliver_messages().await;
        let row = app.store.find_booking(booking.parse().unwrap()).await.unwrap().remove(0);
        let code = row.security_code.as_str().to_owned();

        let res = mo(&app, 60, "status").await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text());
        assert_eq!(res.text(), "", "replies go through the queue, not the HTTP answer");
        app.deliver_messages().await;
        let reply = app.sms.last_to(&m(60)).unwrap();
        assert_eq!(reply.kind, MessageKind::Reply);
        assert!(
            reply.text.contains(&code) && reply.text.contains("BKC Jumbo Facility"),
            "{}",
            reply.text
        );

        mo(&app, 60, "CANCEL 0000").await;
        app.deliver_messages().await;
        assert!(app.sms.last_to(&m(60)).unwrap().text.contains("No upcoming appointment"));
        assert_eq!(app.booked(app.s.next_week).await, (1, 0));

        mo(&app, 60, &format!("CANCEL {code}")).await;
        app.deliver_messages().await;
        assert_eq!(app.booked(app.s.next_week).await, (0, 0));
        assert_eq!(app.sms.last_to(&m(60)).unwrap().kind, MessageKind::BookingCancelled);

        mo(&app, 60, "QUIET 22-07").await;
        let account = app.store.find_account_by_mobile(&m(60)).await.unwrap();
        assert_eq!(app.store.quiet_hours(account.id).await.unwrap(), Some((22 * 60, 7 * 60)));

        // The language of every later message, remembered on the account.
        mo(&app, 60, "हिंदी").await;
        app.deliver_messages().await;
        assert_eq!(app.store.find_account(account.id).await.unwrap().language, "hi");
        let reply = app.sms.last_to(&m(60)).unwrap();
        assert!(reply.unicode && reply.text.contains("हिंदी"), "{}", reply.text);

        let inbound = app.store.list_inbound(10).await.unwrap();
        let keywords: Vec<&str> = inbound.iter().map(|i| i.keyword.as_str()).collect();
        assert_eq!(keywords, ["language", "quiet", "cancel", "cancel", "status"]);
        assert!(inbound[2].outcome.starts_with("cancelled"));

        // Only Kannel (with the shared token) may call.
        let res = app.get("/api/sms/v1/mo?from=9876500060&text=STATUS&token=wrong").send().await;
        res.assert_error(StatusCode::FORBIDDEN, "SMS0011");
        let res =
            app.get(format!("/api/sms/v1/mo?from=12&text=STATUS&token={MO_TOKEN}")).send().await;
        res.assert_error(StatusCode::BAD_REQUEST, "SMS0013");
    }
}

async fn delivery_reports_are_authenticated_and_checked(backend: Backend) {
    {
        let app = TestApp::new(backend).await;
        app.citizen(70).await;
        app.deliver_messages().await;
        let msg = of_kind(&messages(&app, 70).await, MessageKind::Registration).remove(0);
        let good = dlr_path(&app, msg.id, "1");
        let forged = good.replace("tag=", "tag=0");
        app.get(&forged).send().await.assert_error(StatusCode::FORBIDDEN, "SMS0002");
        app.get(dlr_path(&app, msg.id, "77"))
            .send()
            .await
            .assert_error(StatusCode::BAD_REQUEST, "SMS0004");
        app.get("/api/sms/v1/dlr?id=nope&tag=x&status=1")
            .send()
            .await
            .assert_error(StatusCode::BAD_REQUEST, "SMS0001");
        // A generic provider posts JSON to the same address.
        let res = app
            .post(dlr_path(&app, msg.id, "%d").replace("%25d", "%d"))
            .json(&json!({ "status": "failed", "detail": "absent subscriber" }))
            .send()
            .await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text());
        let after = app.store.find_message(msg.id).await.unwrap();
        assert_eq!(after.status, MessageStatus::Failed);
        assert_eq!(after.last_error.as_deref(), Some("absent subscriber"));
        assert_eq!(app.store.find_message(msg.id).await.unwrap().status, MessageStatus::Failed);
    }
}

async fn the_call_list_shows_who_was_told_and_who_came(backend: Backend) {
    {
        let app = TestApp::new(backend).await;
        let session: SessionId = app.s.today;
        let (t1, r1) = app.citizen(80).await;
        let (t2, r2) = app.citizen(81).await;
        app.book(&t1, session, 1, &[&r1]).await;
        app.sms.set_permanent_fail_for(m(81));
        app.book(&t2, session, 1, &[&r2]).await;
        app.deliver_messages().await;
        let (vaccinator, _) = staff(&app, BKC, StaffRole::Vaccinator).await;
        let (other, _) = staff(&app, KURLA, StaffRole::Vaccinator).await;
        let path = format!("{SITE}/sessions/{session}/call-list");
        app.get(&path).bearer(&other).send().await.assert_error(StatusCode::FORBIDDEN, "SITE0003");
        app.get(&path).send().await.assert_unauthenticated();
        let res = app.get(&path).bearer(&vaccinator).send().await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text());
        let v: Value = res.json();
        assert_eq!(v["summary"]["booked"], 2);
        assert_eq!(v["summary"]["needs_call"], 1);
        let people = v["people"].as_array().unwrap();
        let by = |mob: u32| people.iter().find(|p| p["mobile"] == mobile(mob)).unwrap().clone();
        assert_eq!(by(80)["message"]["status"], "sent");
        assert_eq!(by(80)["message"]["kind"], "booking_confirmed");
        assert_eq!(by(80)["needs_call"], false);
        assert_eq!(by(81)["message"]["status"], "failed");
        assert_eq!(by(81)["needs_call"], true);
        assert_eq!(by(80)["vaccinated"], false);

        let csv = app.get(format!("{path}?format=csv")).bearer(&vaccinator).send().await;
        assert_eq!(csv.header(header::CONTENT_TYPE), Some("text/csv; charset=utf-8"));
        let text = csv.text();
        assert_eq!(text.lines().count(), 3);
        assert!(
            text.lines()
                .any(|l| l.contains(&mobile(81)) && l.contains("failed") && l.contains(",yes,"))
        );
        let pdf = app
            .get(format!("{SITE}/sessions/{session}/call-list.pdf"))
            .bearer(&vaccinator)
            .send()
            .await;
        assert_eq!(pdf.status, StatusCode::OK);
        assert_eq!(pdf.header(header::CONTENT_TYPE), Some("application/pdf"));
        assert!(pdf.body.starts_with(b"%PDF"));

        let stats = app.get(format!("{SITE}/messages/stats")).bearer(&vaccinator).send().await;
        assert_eq!(stats.status, StatusCode::OK, "{}", stats.text());
        let rows = stats.json()["rows"].as_array().unwrap().clone();
        let total: u64 = rows.iter().map(|r| r["total"].as_u64().unwrap()).sum();
        let failed: u64 = rows.iter().map(|r| r["failed"].as_u64().unwrap()).sum();
        assert_eq!((total, failed), (2, 1), "{rows:?}");
    }
}

async fn queue_depth_and_age_are_exported_as_metrics(backend: Backend) {
    {
        let app = TestApp::new(backend).await;
        let (token, reference) = app.citizen(90).await;
        app.book(&token, app.s.next_week, 1, &[&reference]).await;
        planner_only(&app).await;
        app.advance(chrono::Duration::seconds(30));
        let metrics = app.get("/metrics").send().await.text();
        let line = |name: &str| {
            metrics.lines().find(|l| l.starts_with(name)).map(str::to_owned).unwrap_or_default()
        };
        assert!(
            line("tika_message_queue_due{lane=\"transactional\"}").ends_with(" 2"),
            "{metrics}"
        );
        let age: i64 = line("tika_message_queue_oldest_ms{lane=\"transactional\"}")
            .rsplit(' ')
            .next()
            .unwrap()
            .parse()
            .unwrap();
        assert!(age >= 30_000, "{age}");
        assert!(line("tika_message_queue_scheduled").ends_with(" 1"), "the reminder");
    }
}

/// A dose's certificate is announced, and the next dose is announced when it falls due (the
/// vaccine's minimum interval, 09:00 local); a second dose given cancels that notice.
async fn certificates_and_the_next_dose_are_announced(backend: Backend) {
    let app = TestApp::new(backend).await;
    let (_, reference) = app.citizen(100).await;
    let who = app
        .store
        .find_beneficiary_by_ref(&tika_domain::ids::BeneficiaryRef::parse(&reference).unwrap())
        .await
        .unwrap()
        .id;
    let dose = |n: i64, date: chrono::NaiveDate| tika_storage::Vaccination {
        id: tika_domain::ids::VaccinationId::new(),
        beneficiary_id: who,
        dose: tika_domain::vaccine::DoseNumber::new(n).unwrap(),
        vaccine: tika_domain::vaccine::VaccineCode::parse("COVISHIELD").unwrap(),
        date,
        center_id: Some(tika_domain::ids::CenterId(BKC)),
    };
    app.store.record_vaccination(&dose(1, app.day(0))).await.unwrap();
    while tika_server::services::certificates::process_pending(&app.state, 100).await.unwrap() > 0 {
    }
    app.deliver_messages().await;
    let ready = sent_of(&app, 100, MessageKind::CertificateReady);
    assert!(ready.text.contains("http://tika.test/"), "{}", ready.text);
    let due = of_kind(&messages(&app, 100).await, MessageKind::DoseDue).remove(0);
    assert_eq!(due.status, MessageStatus::Queued);
    // Covishield: 84 days; 09:00 IST is 03:30 UTC.
    let at = (app.day(84).and_hms_opt(3, 30, 0).unwrap()).and_utc().timestamp_millis();
    assert_eq!(due.available_at_ms, at);
    assert!(due.body.contains(&app.date(84)) && due.body.contains("Covishield"), "{}", due.body);

    // The second dose is given early (at another programme's site): the notice is withdrawn.
    app.store.record_vaccination(&dose(2, app.day(1))).await.unwrap();
    while tika_server::services::certificates::process_pending(&app.state, 100).await.unwrap() > 0 {
    }
    app.deliver_messages().await;
    let list = messages(&app, 100).await;
    assert_eq!(app.store.find_message(due.id).await.unwrap().status, MessageStatus::Cancelled);
    assert_eq!(of_kind(&list, MessageKind::DoseDue).len(), 1, "no dose 3 for Covishield");
    assert_eq!(of_kind(&list, MessageKind::CertificateReady).len(), 2);
}

async fn an_approved_correction_is_announced(backend: Backend) {
    let app = TestApp::new(backend).await;
    let (_, reference) = app.citizen(110).await;
    let who = app
        .store
        .find_beneficiary_by_ref(&tika_domain::ids::BeneficiaryRef::parse(&reference).unwrap())
        .await
        .unwrap()
        .id;
    let now = app.now().timestamp_millis();
    let request = app
        .store
        .request_correction(&tika_storage::NewCorrection {
            id: uuid::Uuid::now_v7(),
            beneficiary_id: who,
            change: tika_storage::CorrectionChange::Name("Asha R Rao".into()),
            reason: "spelling".into(),
            requested_by: "citizen".into(),
            requested_at_ms: now,
        })
        .await
        .unwrap();
    app.store
        .decide_correction(request.id, tika_storage::CorrectionDecision::Approve, "admin", "", now)
        .await
        .unwrap();
    app.deliver_messages().await;
    let sms = sent_of(&app, 110, MessageKind::CorrectionApproved);
    assert!(sms.text.contains("Asha R Rao"), "the corrected name: {}", sms.text);
}

async fn a_cold_chain_alarm_tells_the_point_staff_and_district_officials(backend: Backend) {
    use tika_domain::admin::Area;
    use tika_domain::coldchain::{AlarmKind, DeviceCode, ExcursionRule};
    use tika_domain::ids::{CenterId, ColdChainPointId, DistrictId, EquipmentId, StateId};
    use tika_domain::inventory::{EquipmentKind, PointLevel};
    use tika_storage::{AlarmChange, ColdChainPoint, Equipment};

    use crate::harness::{MAHARASHTRA, MUMBAI_SUBURBAN, PUNE};

    let app = TestApp::new(backend).await;
    let now = app.now().timestamp_millis();
    // Told: BKC's staff with a mobile, the district's official, an official of BKC itself.
    crate::site::add_staff(&app, BKC, StaffRole::Vaccinator, Some(&mobile(201))).await;
    crate::site::add_staff(&app, BKC, StaffRole::FacilityAdmin, None).await;
    let (state, suburban) = (StateId(MAHARASHTRA), DistrictId(MUMBAI_SUBURBAN));
    let district = Area::District { state, district: suburban };
    crate::admin::add_admin_with_mobile(&app, "dio.suburban", district, Some(m(203))).await;
    // Not told: another facility's staff, another district's official, the state's official.
    crate::site::add_staff(&app, KURLA, StaffRole::Vaccinator, Some(&mobile(202))).await;
    let pune = Area::District { state, district: DistrictId(PUNE) };
    crate::admin::add_admin_with_mobile(&app, "dio.pune", pune, Some(m(204))).await;
    let whole_state = Area::State { state };
    crate::admin::add_admin_with_mobile(&app, "sio.mh", whole_state, Some(m(205))).await;

    let point = ColdChainPoint {
        id: ColdChainPointId::new(),
        name: "BKC store".into(),
        level: PointLevel::Facility,
        state,
        district: Some(suburban),
        center: Some(CenterId(BKC)),
        active: true,
        created_at_ms: now,
    };
    app.store.create_point(&point).await.unwrap();
    let fridge = Equipment {
        id: EquipmentId::new(),
        point: point.id,
        kind: EquipmentKind::Ilr,
        label: "ILR 1".into(),
        rule: ExcursionRule::FRIDGE,
        logger: Some(DeviceCode::parse("LOG-BKC-1").unwrap()),
        created_at_ms: now,
    };
    app.store.create_equipment(&fridge).await.unwrap();
    let warm = AlarmChange::Open {
        equipment: fridge.id,
        kind: AlarmKind::TooWarm,
        since_ms: now - 15 * 60_000,
        worst_tenths: Some(112),
    };
    let silent = AlarmChange::Open {
        equipment: fridge.id,
        kind: AlarmKind::Silent,
        since_ms: now - 2 * 3_600_000,
        worst_tenths: None,
    };
    assert_eq!(app.store.apply_alarm_changes(&[warm, silent], now).await.unwrap().len(), 2);
    planner_only(&app).await;

    for n in [201, 203] {
        let list = messages(&app, n).await;
        let warm = of_kind(&list, MessageKind::ColdChainExcursion);
        assert_eq!(warm.len(), 1, "mobile {n}: {list:?}");
        let body = &warm[0].body;
        for part in ["BKC store", "ILR 1", "11.2C", "2.0-8.0C", "/console/alarms"] {
            assert!(body.contains(part), "{part:?} in {body}");
        }
        assert_eq!(warm[0].priority, Priority::Transactional);
        assert_eq!(warm[0].quiet_hours, None, "alarms go out at night too");
        let silent = of_kind(&list, MessageKind::ColdChainSilent);
        assert_eq!(silent.len(), 1, "mobile {n}: {list:?}");
        assert!(silent[0].body.contains("no reading since"), "{}", silent[0].body);
    }
    for n in [202, 204, 205] {
        assert!(messages(&app, n).await.is_empty(), "mobile {n} is not told");
    }
    // The short link leads to the console's alarms page.
    let res = app.get("/console/alarms").send().await;
    assert_eq!(res.status, StatusCode::SEE_OTHER);
    assert_eq!(res.header(header::LOCATION), Some("/console/coldchain/alarms"));
    // Planning again (a second server, a retry) queues nothing twice.
    planner_only(&app).await;
    assert_eq!(messages(&app, 201).await.len(), 2);
}

async fn planner_only(app: &TestApp) {
    while tika_server::services::notifications::planner::plan_pending(&app.state, 500)
        .await
        .unwrap()
        > 0
    {}
}

on_both_backends!(
    a_cold_chain_alarm_tells_the_point_staff_and_district_officials,
    an_approved_correction_is_announced,
    certificates_and_the_next_dose_are_announced,
    a_booking_is_confirmed_by_sms_reminded_a_day_before_and_reported_delivered,
    cancelling_tells_the_person_and_cancels_the_reminder,
    hindi_speakers_get_hindi_messages_in_ucs2,
    the_site_cancelling_a_session_tells_everyone_booked,
    moving_a_session_tells_everyone_and_moves_their_reminders,
    a_gateway_outage_loses_nothing_and_a_stale_otp_is_never_sent,
    an_otp_jumps_a_backlog_of_reminders,
    reminders_wait_for_the_end_of_quiet_hours,
    citizens_can_ask_for_details_and_cancel_by_sms,
    delivery_reports_are_authenticated_and_checked,
    the_call_list_shows_who_was_told_and_who_came,
    queue_depth_and_age_are_exported_as_metrics,
);
