//! The storage contract: every behaviour, run on SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, reason = "a test fails loudly on the first unexpected error")]

use std::sync::Arc;

use chrono::NaiveDate;
use tika_domain::ids::{AccountId, AppointmentId, CenterId, OtpTxnId, SessionId, VaccinationId};
use tika_domain::mobile::Mobile;
use tika_domain::session::{AgeLimits, FeeType, SecurityCode, Slot};
use tika_domain::vaccine::{DoseNumber, VaccineCode};
use tika_storage::*;
use tika_test_support::{NOW, TestDb, center, on_both_backends, person_record};

fn date(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, d).unwrap()
}

fn session(center_id: i64, day: u32, cap1: u32, cap2: u32) -> NewSession {
    NewSession {
        id: SessionId::new(),
        center_id: CenterId(center_id),
        date: date(day),
        vaccine: VaccineCode::parse("COVAXIN").unwrap(),
        ages: AgeLimits { min: 18, max: None },
        fee: "0".into(),
        capacity_dose1: cap1,
        capacity_dose2: cap2,
        slots: Slot::split(9 * 60, 17 * 60, 4),
        updated_at_ms: NOW,
    }
}

struct World {
    db: TestDb,
    account: AccountId,
}

impl World {
    async fn new(backend: Backend) -> Self {
        let db = TestDb::new(backend).await;
        db.store.insert_centers(&[center(1), center(2)]).await.unwrap();
        let (account, created) =
            db.store.upsert_account(&Mobile::parse("9876543210").unwrap(), NOW).await.unwrap();
        assert!(created);
        Self { db, account: account.id }
    }

    fn store(&self) -> &Arc<SqlStore> {
        &self.db.store
    }

    async fn session(&self, cap1: u32, cap2: u32) -> SessionId {
        let s = session(1, 10, cap1, cap2);
        self.store().insert_sessions(std::slice::from_ref(&s)).await.unwrap();
        s.id
    }

    async fn person(&self, account: AccountId, id_number: &str) -> Beneficiary {
        self.store().create_beneficiary(&person_record(account, id_number), 6).await.unwrap()
    }

    fn booking(&self, session: SessionId, dose: DoseNumber, people: &[&Beneficiary]) -> NewBooking {
        NewBooking {
            booking_id: AppointmentId::new(),
            account_id: self.account,
            session_id: session,
            dose,
            slot: Slot::from_label("09:00AM-11:00AM"),
            policy_version: "IN-2021-05-01".into(),
            members: people
                .iter()
                .map(|p| BookingMember {
                    beneficiary_id: p.id,
                    security_code: SecurityCode::from_random(1234),
                })
                .collect(),
            now_ms: NOW,
        }
    }
}

async fn booked(world: &World, id: SessionId) -> (u32, u32) {
    let s = world.store().find_session(id).await.unwrap();
    (s.booked_dose1, s.booked_dose2)
}

async fn centres_and_sessions_round_trip(backend: Backend) {
    let w = World::new(backend).await;
    assert_eq!(w.store().count_centers().await.unwrap(), 2);
    // Inserting the same ids again changes nothing.
    assert_eq!(w.store().insert_centers(&[center(1)]).await.unwrap(), 0);
    let c = w.store().find_center(CenterId(1)).await.unwrap();
    assert_eq!((c.name.as_str(), c.pincode, c.fee_type), ("PHC 1", 400051, FeeType::Free));
    assert_eq!(c.name_l, "प्राथमिक स्वास्थ्य केंद्र 1");
    assert!(matches!(w.store().find_center(CenterId(99)).await, Err(StorageError::NotFound)));

    let mut s = session(2, 12, 50, 25);
    s.ages = AgeLimits { min: 18, max: Some(44) };
    w.store().insert_sessions(&[s.clone(), session(1, 20, 5, 5)]).await.unwrap();
    let got = w.store().find_session(s.id).await.unwrap();
    assert_eq!(got.ages, AgeLimits { min: 18, max: Some(44) });
    assert_eq!(got.slots.len(), 4);
    assert_eq!((got.capacity_dose1, got.capacity_dose2, got.booked_dose1), (50, 25, 0));
    let listed = w.store().list_sessions(date(11), date(13)).await.unwrap();
    assert_eq!(listed.iter().map(|x| x.id).collect::<Vec<_>>(), vec![s.id]);
    assert_eq!(w.store().list_centers().await.unwrap().len(), 2);
}

async fn changed_sessions_are_found_by_timestamp(backend: Backend) {
    let w = World::new(backend).await;
    let sid = w.session(10, 10).await;
    let p = w.person(w.account, "111122223333").await;
    assert!(w.store().sessions_changed_since(NOW + 1, date(1), date(31)).await.unwrap().is_empty());
    let mut b = w.booking(sid, DoseNumber::FIRST, &[&p]);
    b.now_ms = NOW + 5_000;
    w.store().book(&b).await.unwrap();
    let changed = w.store().sessions_changed_since(NOW + 1, date(1), date(31)).await.unwrap();
    assert_eq!(changed.len(), 1);
    assert_eq!(
        (changed[0].id, changed[0].booked_dose1, changed[0].updated_at_ms),
        (sid, 1, NOW + 5_000)
    );
}

async fn accounts_are_found_or_created_once(backend: Backend) {
    let w = World::new(backend).await;
    let m = Mobile::parse("9876543210").unwrap();
    let (again, created) = w.store().upsert_account(&m, NOW).await.unwrap();
    assert!(!created);
    assert_eq!(again.id, w.account);
    assert_eq!(again.language, "en");
    w.store().set_account_language(w.account, "hi").await.unwrap();
    assert_eq!(w.store().find_account(w.account).await.unwrap().language, "hi");
    assert!(matches!(w.store().find_account(AccountId::new()).await, Err(StorageError::NotFound)));
}

async fn otp_transactions_count_failures_and_are_consumed_once(backend: Backend) {
    let w = World::new(backend).await;
    let m = Mobile::parse("9123456789").unwrap();
    let id = OtpTxnId::new();
    w.store()
        .create_otp(&NewOtp {
            id,
            mobile: m.clone(),
            otp_hash: "h".into(),
            scope: "public".into(),
            created_at_ms: NOW,
            message: None,
        })
        .await
        .unwrap();
    assert_eq!(w.store().count_otps_since(&m, NOW).await.unwrap(), 1);
    assert_eq!(w.store().count_otps_since(&m, NOW + 1).await.unwrap(), 0);
    w.store().record_otp_failure(id).await.unwrap();
    w.store().record_otp_failure(id).await.unwrap();
    let t = w.store().find_otp(id).await.unwrap();
    assert_eq!((t.attempts, t.consumed, t.scope.as_str(), t.mobile), (2, false, "public", m));
    w.store().consume_otp(id).await.unwrap();
    assert!(matches!(w.store().consume_otp(id).await, Err(StorageError::NotFound)));
    assert!(w.store().find_otp(id).await.unwrap().consumed);
}

async fn beneficiaries_respect_the_per_mobile_limit_and_unique_ids(backend: Backend) {
    let w = World::new(backend).await;
    let a =
        w.store().create_beneficiary(&person_record(w.account, "111122223333"), 2).await.unwrap();
    let dup = w.store().create_beneficiary(&person_record(w.account, "111122223333"), 2).await;
    assert!(matches!(dup, Err(StorageError::Conflict(ConflictKind::DuplicatePhotoId))), "{dup:?}");
    w.store().create_beneficiary(&person_record(w.account, "444455556666"), 2).await.unwrap();
    let third = w.store().create_beneficiary(&person_record(w.account, "777788889999"), 2).await;
    assert!(matches!(third, Err(StorageError::Conflict(ConflictKind::TooManyBeneficiaries))));
    let listed = w.store().list_beneficiaries(w.account).await.unwrap();
    assert_eq!(listed.len(), 2);
    assert_eq!(listed[0].id, a.id);
    let found = w.store().find_beneficiary_by_ref(&a.reference_id).await.unwrap();
    assert_eq!((found.name.as_str(), found.photo_id_last4.as_str()), ("Asha Rao", "3333"));

    // Deleting frees both the slot on the mobile and the photo id.
    w.store().delete_beneficiary(w.account, a.id, NOW).await.unwrap();
    assert!(matches!(
        w.store().find_beneficiary_by_ref(&a.reference_id).await,
        Err(StorageError::NotFound)
    ));
    w.store().create_beneficiary(&person_record(w.account, "111122223333"), 2).await.unwrap();
    // Another account cannot delete someone else's beneficiary.
    let (other, _) =
        w.store().upsert_account(&Mobile::parse("9000000001").unwrap(), NOW).await.unwrap();
    let listed = w.store().list_beneficiaries(w.account).await.unwrap();
    assert!(matches!(
        w.store().delete_beneficiary(other.id, listed[0].id, NOW).await,
        Err(StorageError::NotFound)
    ));
}

async fn a_population_loads_in_bulk_all_or_nothing(backend: Backend) {
    let w = World::new(backend).await;
    let account = |n: u64| Account {
        id: AccountId::new(),
        mobile: Mobile::parse(&format!("{}", 7_000_000_000 + n)).unwrap(),
        language: "hi".into(),
    };
    // 450 accounts of up to four people: more rows than one statement takes.
    let mut accounts = Vec::new();
    for n in 0..450u64 {
        let a = account(n);
        let people = (0..n % 5)
            .map(|k| person_record(a.id, &format!("{:012}", 100_000_000_000 + n * 10 + k)))
            .collect::<Vec<_>>();
        accounts.push((a, people));
    }
    let expected: u64 = accounts.iter().map(|(_, p)| p.len() as u64).sum();
    assert_eq!(w.store().insert_population(&accounts, NOW).await.unwrap(), expected);
    let (a, people) = &accounts[449];
    let listed = w.store().list_beneficiaries(a.id).await.unwrap();
    assert_eq!(
        listed.iter().map(|b| b.id).collect::<Vec<_>>(),
        people.iter().map(|b| b.id).collect::<Vec<_>>()
    );
    assert_eq!(w.store().find_account_by_mobile(&a.mobile).await.unwrap().language, "hi");
    let found = w.store().find_beneficiary_by_ref(&people[2].reference_id).await.unwrap();
    assert_eq!(found.photo_id_hash, people[2].photo_id_hash);
    // The loaded people count against the per-mobile limit like any others.
    let fifth = w.store().create_beneficiary(&person_record(a.id, "999900001111"), 4).await;
    assert!(matches!(fifth, Err(StorageError::Conflict(ConflictKind::TooManyBeneficiaries))));

    // A photo id already taken fails the whole call: the new account is not written either.
    let b = account(10_000);
    let c = account(10_001);
    let taken = format!("{:012}", 100_000_000_000_u64 + 449 * 10);
    let clash = vec![
        (b.clone(), vec![person_record(b.id, "555566667777")]),
        (c.clone(), vec![person_record(c.id, &taken)]),
    ];
    let res = w.store().insert_population(&clash, NOW).await;
    assert!(matches!(res, Err(StorageError::Conflict(ConflictKind::DuplicatePhotoId))), "{res:?}");
    assert!(matches!(
        w.store().find_account_by_mobile(&b.mobile).await,
        Err(StorageError::NotFound)
    ));
    assert!(w.store().list_beneficiaries(b.id).await.unwrap().is_empty());
}

async fn a_beneficiary_with_a_booking_or_a_dose_cannot_be_deleted(backend: Backend) {
    let w = World::new(backend).await;
    let sid = w.session(10, 10).await;
    let p = w.person(w.account, "111122223333").await;
    w.store().book(&w.booking(sid, DoseNumber::FIRST, &[&p])).await.unwrap();
    let res = w.store().delete_beneficiary(w.account, p.id, NOW).await;
    assert!(matches!(res, Err(StorageError::Conflict(ConflictKind::BeneficiaryInUse))));
    assert!(
        w.store().find_beneficiary_by_ref(&p.reference_id).await.is_ok(),
        "refused delete left no trace"
    );

    let q = w.person(w.account, "444455556666").await;
    w.store()
        .record_vaccination(&Vaccination {
            id: VaccinationId::new(),
            beneficiary_id: q.id,
            dose: DoseNumber::FIRST,
            vaccine: VaccineCode::parse("COVAXIN").unwrap(),
            date: date(1),
            center_id: Some(CenterId(1)),
        })
        .await
        .unwrap();
    let res = w.store().delete_beneficiary(w.account, q.id, NOW).await;
    assert!(matches!(res, Err(StorageError::Conflict(ConflictKind::BeneficiaryInUse))));
}

async fn booking_takes_capacity_and_refuses_when_full(backend: Backend) {
    let w = World::new(backend).await;
    let sid = w.session(2, 1).await;
    let (p1, p2, p3) = (
        w.person(w.account, "111100000001").await,
        w.person(w.account, "111100000002").await,
        w.person(w.account, "111100000003").await,
    );
    let b = w.booking(sid, DoseNumber::FIRST, &[&p1, &p2]);
    w.store().book(&b).await.unwrap();
    assert_eq!(booked(&w, sid).await, (2, 0));
    let rows = w.store().find_booking(b.booking_id).await.unwrap();
    assert_eq!(rows.len(), 2);
    assert!(
        rows.iter()
            .all(|r| r.status == AppointmentStatus::Booked && r.policy_version == "IN-2021-05-01")
    );

    let full = w.store().book(&w.booking(sid, DoseNumber::FIRST, &[&p3])).await;
    assert!(matches!(full, Err(StorageError::Conflict(ConflictKind::SessionFull))));
    // Dose 2 capacity is separate.
    w.store().book(&w.booking(sid, DoseNumber::SECOND, &[&p3])).await.unwrap();
    assert_eq!(booked(&w, sid).await, (2, 1));
    let missing = w.store().book(&w.booking(SessionId::new(), DoseNumber::FIRST, &[&p3])).await;
    assert!(matches!(missing, Err(StorageError::NotFound)));
}

async fn a_refused_booking_leaves_no_half_written_state(backend: Backend) {
    let w = World::new(backend).await;
    let sid = w.session(10, 10).await;
    let p = w.person(w.account, "111100000001").await;
    let q = w.person(w.account, "111100000002").await;
    w.store().book(&w.booking(sid, DoseNumber::FIRST, &[&p])).await.unwrap();
    // q is fine but p already holds a dose-1 booking: the whole booking must fail.
    let second = w.booking(sid, DoseNumber::FIRST, &[&q, &p]);
    let res = w.store().book(&second).await;
    assert!(matches!(res, Err(StorageError::Conflict(ConflictKind::AlreadyBooked))), "{res:?}");
    assert_eq!(booked(&w, sid).await, (1, 0), "seats taken by the refused booking were given back");
    assert!(matches!(w.store().find_booking(second.booking_id).await, Err(StorageError::NotFound)));
    assert!(w.store().list_appointments(&[q.id]).await.unwrap().is_empty());
}

async fn concurrent_bookings_never_overbook(backend: Backend) {
    let w = Arc::new(World::new(backend).await);
    let sid = w.session(15, 0).await;
    let mut people = Vec::new();
    for i in 0..120 {
        let (acc, _) = w
            .store()
            .upsert_account(&Mobile::parse(&format!("98{:08}", i)).unwrap(), NOW)
            .await
            .unwrap();
        people.push((acc.id, w.person(acc.id, &format!("5555{:08}", i)).await));
    }
    let tasks: Vec<_> = people
        .into_iter()
        .map(|(acc, p)| {
            let w = Arc::clone(&w);
            tokio::spawn(async move {
                let mut b = w.booking(sid, DoseNumber::FIRST, &[&p]);
                b.account_id = acc;
                w.store().book(&b).await
            })
        })
        .collect();
    let mut ok = 0;
    let mut full = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(()) => ok += 1,
            Err(StorageError::Conflict(ConflictKind::SessionFull)) => full += 1,
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!((ok, full), (15, 105));
    assert_eq!(booked(&w, sid).await, (15, 0));
}

async fn reschedule_moves_seats_atomically(backend: Backend) {
    let w = World::new(backend).await;
    let from = w.session(5, 5).await;
    let to = w.session(1, 5).await;
    let p = w.person(w.account, "111100000001").await;
    let q = w.person(w.account, "111100000002").await;
    let b = w.booking(from, DoseNumber::FIRST, &[&p, &q]);
    w.store().book(&b).await.unwrap();

    let change = Reschedule {
        booking_id: b.booking_id,
        session_id: to,
        slot: Slot::from_label("11:00AM-01:00PM"),
        now_ms: NOW,
    };
    let res = w.store().reschedule(&change).await;
    assert!(
        matches!(res, Err(StorageError::Conflict(ConflictKind::SessionFull))),
        "two people, one seat"
    );
    assert_eq!((booked(&w, from).await, booked(&w, to).await), ((2, 0), (0, 0)));

    w.store().cancel(b.booking_id, &[q.id], NOW).await.unwrap();
    w.store().reschedule(&change).await.unwrap();
    assert_eq!((booked(&w, from).await, booked(&w, to).await), ((0, 0), (1, 0)));
    let rows = w.store().find_booking(b.booking_id).await.unwrap();
    let active: Vec<_> = rows.iter().filter(|r| r.status == AppointmentStatus::Booked).collect();
    assert_eq!(active.len(), 1);
    assert_eq!((active[0].session_id, active[0].slot.as_str()), (to, "11:00AM-01:00PM"));
    let unknown = Reschedule { booking_id: AppointmentId::new(), ..change };
    assert!(matches!(w.store().reschedule(&unknown).await, Err(StorageError::NotFound)));
}

async fn cancel_returns_capacity_once(backend: Backend) {
    let w = World::new(backend).await;
    let sid = w.session(5, 5).await;
    let p = w.person(w.account, "111100000001").await;
    let q = w.person(w.account, "111100000002").await;
    let b = w.booking(sid, DoseNumber::FIRST, &[&p, &q]);
    w.store().book(&b).await.unwrap();
    assert_eq!(w.store().cancel(b.booking_id, &[p.id], NOW).await.unwrap(), 1);
    assert_eq!(booked(&w, sid).await, (1, 0));
    assert_eq!(w.store().cancel(b.booking_id, &[], NOW).await.unwrap(), 1);
    assert_eq!(booked(&w, sid).await, (0, 0));
    let again = w.store().cancel(b.booking_id, &[], NOW).await;
    assert!(matches!(again, Err(StorageError::Conflict(ConflictKind::AppointmentNotChangeable))));
    assert_eq!(booked(&w, sid).await, (0, 0));
    assert!(matches!(
        w.store().cancel(AppointmentId::new(), &[], NOW).await,
        Err(StorageError::NotFound)
    ));
    // The person can book the same dose again after cancelling.
    w.store().book(&w.booking(sid, DoseNumber::FIRST, &[&p])).await.unwrap();
}

async fn recording_a_dose_completes_the_appointment_once(backend: Backend) {
    let w = World::new(backend).await;
    let sid = w.session(5, 5).await;
    let p = w.person(w.account, "111100000001").await;
    let b = w.booking(sid, DoseNumber::FIRST, &[&p]);
    w.store().book(&b).await.unwrap();
    let v = Vaccination {
        id: VaccinationId::new(),
        beneficiary_id: p.id,
        dose: DoseNumber::FIRST,
        vaccine: VaccineCode::parse("COVAXIN").unwrap(),
        date: date(10),
        center_id: Some(CenterId(1)),
    };
    w.store().record_vaccination(&v).await.unwrap();
    let again =
        w.store().record_vaccination(&Vaccination { id: VaccinationId::new(), ..v.clone() }).await;
    assert!(matches!(again, Err(StorageError::Conflict(ConflictKind::DoseAlreadyRecorded))));
    let history = w.store().list_vaccinations(&[p.id]).await.unwrap();
    assert_eq!(history.len(), 1);
    assert_eq!((history[0].dose, history[0].date), (DoseNumber::FIRST, date(10)));
    let rows = w.store().list_appointments(&[p.id]).await.unwrap();
    assert_eq!(rows[0].status, AppointmentStatus::Completed);
}

async fn group_commit_isolates_failing_operations(backend: Backend) {
    let w = Arc::new(World::new(backend).await);
    // 100 concurrent registrations, every second one a duplicate id: exactly 50 land.
    let tasks: Vec<_> = (0..100)
        .map(|i| {
            let w = Arc::clone(&w);
            tokio::spawn(async move {
                let (acc, _) = w
                    .store()
                    .upsert_account(&Mobile::parse(&format!("97{:08}", i)).unwrap(), NOW)
                    .await
                    .unwrap();
                w.store()
                    .create_beneficiary(&person_record(acc.id, &format!("8888{:08}", i / 2)), 4)
                    .await
            })
        })
        .collect();
    let mut ok = 0;
    for t in tasks {
        match t.await.unwrap() {
            Ok(_) => ok += 1,
            Err(StorageError::Conflict(ConflictKind::DuplicatePhotoId)) => {}
            Err(e) => panic!("unexpected {e:?}"),
        }
    }
    assert_eq!(ok, 50);
}

async fn data_survives_reopening(backend: Backend) {
    let w = World::new(backend).await;
    let sid = w.session(5, 5).await;
    let url = w.db.url.clone();
    let reopened = tika_storage::connect(&url, 2).await.unwrap();
    assert_eq!(reopened.find_session(sid).await.unwrap().capacity_dose1, 5);
    reopened.ping().await.unwrap();
    assert_eq!(reopened.backend(), backend);
}

on_both_backends!(
    centres_and_sessions_round_trip,
    changed_sessions_are_found_by_timestamp,
    accounts_are_found_or_created_once,
    otp_transactions_count_failures_and_are_consumed_once,
    beneficiaries_respect_the_per_mobile_limit_and_unique_ids,
    a_population_loads_in_bulk_all_or_nothing,
    a_beneficiary_with_a_booking_or_a_dose_cannot_be_deleted,
    booking_takes_capacity_and_refuses_when_full,
    a_refused_booking_leaves_no_half_written_state,
    concurrent_bookings_never_overbook,
    reschedule_moves_seats_atomically,
    cancel_returns_capacity_once,
    recording_a_dose_completes_the_appointment_once,
    group_commit_isolates_failing_operations,
    data_survives_reopening,
);

#[test]
fn backend_is_chosen_by_url_scheme_only() {
    assert_eq!(Backend::from_url("sqlite:///tmp/x.db").unwrap(), Backend::Sqlite);
    assert_eq!(Backend::from_url("postgres://u@h/db").unwrap(), Backend::Postgres);
    assert_eq!(Backend::from_url("postgresql://u@h/db").unwrap(), Backend::Postgres);
    assert!(matches!(Backend::from_url("/tmp/x.db"), Err(StorageError::Config(_))));
    assert!(matches!(Backend::from_url("mysql://x"), Err(StorageError::Config(_))));
}

#[test]
fn migration_trees_have_the_same_files() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
    let names = |sub: &str| {
        let mut v: Vec<String> = std::fs::read_dir(dir.join(sub))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    };
    assert_eq!(names("sqlite"), names("postgres"));
    assert!(!names("sqlite").is_empty());
}

/// A PostgreSQL restart or a dropped connection must not leave the writer broken.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_writer_reconnects_after_its_connection_is_killed() {
    use sqlx::Connection;
    let w = World::new(Backend::Postgres).await;
    let sid = w.session(5, 5).await;
    let db_name = w.db.url.rsplit('/').next().unwrap().to_owned();
    let mut admin = sqlx::AnyConnection::connect(&tika_test_support::pg_admin_url()).await.unwrap();
    let killed: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
        "SELECT COUNT(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE datname = '{db_name}'"
    )))
    .fetch_one(&mut admin)
    .await
    .unwrap();
    assert!(killed >= 1, "the store's connections were terminated");
    let p = w.person(w.account, "111100000009").await;
    w.store().book(&w.booking(sid, DoseNumber::FIRST, &[&p])).await.unwrap();
    assert_eq!(booked(&w, sid).await, (1, 0));
}
