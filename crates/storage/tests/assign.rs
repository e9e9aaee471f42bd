//! The storage contract of assignment runs, on SQLite and on PostgreSQL: the inputs are read
//! by area (people with whether they are booked already; sessions of active facilities in the
//! dates), a chunk's seats are taken without overbooking (people who no longer fit are "filled
//! meanwhile"), appointments and `appointment.booked` events are written as a booking writes
//! them, people booked meanwhile are skipped, dry runs take nothing, and runs keep their
//! counts, area and audit entry.
#![allow(clippy::unwrap_used, reason = "a test fails loudly on the first unexpected error")]

use chrono::NaiveDate;
use sqlx::Connection;
use tika_domain::admin::{Area, Place};
use tika_domain::assign::{Basis, Reason};
use tika_domain::ids::{
    AccountId, AppointmentId, AssignmentRunId, BeneficiaryId, CenterId, DistrictId, StateId,
};
use tika_domain::mobile::Mobile;
use tika_domain::session::{SecurityCode, Slot};
use tika_domain::vaccine::{DoseNumber, VaccineCode};
use tika_storage::*;
use tika_test_support::{NOW, TestDb, center, covishield_session, on_both_backends, person_record};

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, d).unwrap()
}

fn listed(n: u32, district: i64) -> ListedPersonRecord {
    let beneficiary = person_record(AccountId::new(), &format!("2000000{n:05}"));
    ListedPersonRecord {
        list_key: format!("1:{}", beneficiary.photo_id_hash),
        mobile: Mobile::parse(&format!("98765{n:05}")).unwrap(),
        beneficiary,
        occupation: Occupation::HealthWorker,
        employer: String::new(),
        employee_id: String::new(),
        posting_center: None,
        posting_pincode: Some(400_051),
        home_pincode: None,
        state: StateId(21),
        district: DistrictId(district),
    }
}

async fn count(db: &TestDb, sql: &str) -> i64 {
    let mut conn = sqlx::AnyConnection::connect(&db.url).await.unwrap();
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned())).fetch_one(&mut conn).await.unwrap()
}

fn new_run(district: Option<i64>, dry_run: bool, at: i64) -> NewAssignmentRun {
    NewAssignmentRun {
        id: AssignmentRunId::new(),
        created_by: "admin:test".into(),
        state: Some(StateId(21)),
        district: district.map(DistrictId),
        basis: Basis::Posting,
        date_from: day(10),
        date_until: day(12),
        vaccine: None,
        max_km: 50,
        dry_run,
        now_ms: at,
    }
}

/// Three listed people in district 395, one in 400; centre 1 (395) with a 2-seat session on
/// day 10 and one on day 20 (outside the dates); centre 2 (district 400) with a session.
struct World {
    db: TestDb,
    people: Vec<AssignCandidate>,
    session: tika_domain::ids::SessionId,
}

impl World {
    async fn new(backend: Backend) -> Self {
        let db = TestDb::new(backend).await;
        let s = &db.store;
        let mut c2 = center(2);
        c2.district_id = DistrictId(400);
        s.insert_centers(&[center(1), c2]).await.unwrap();
        let mut small = covishield_session(1, day(10));
        small.capacity_dose1 = 2;
        let session = small.id;
        s.insert_sessions(&[small, covishield_session(1, day(20)), covishield_session(2, day(10))])
            .await
            .unwrap();
        let rows = vec![listed(1, 395), listed(2, 395), listed(3, 395), listed(4, 400)];
        s.upsert_listed_people(None, rows, NOW).await.unwrap();
        let mut people = s.assignment_candidates(None, Some(DistrictId(395))).await.unwrap();
        people.sort_by_key(|p| p.beneficiary_id);
        Self { db, people, session }
    }

    fn seat(&self, p: &AssignCandidate, seq: i64) -> AssignmentWrite {
        AssignmentWrite {
            seq,
            beneficiary_id: p.beneficiary_id,
            account_id: p.account_id,
            reason: Reason::Assigned,
            seat: Some(AssignedSeat {
                session_id: self.session,
                center_id: CenterId(1),
                slot: Slot::from_label("09:00AM-11:00AM"),
                booking_id: AppointmentId::new(),
                security_code: SecurityCode::from_random(1234),
            }),
            distance_m: Some(1200),
            nearer_full: 0,
            params: r#"{"km":1.2,"nearer":0}"#.into(),
        }
    }
}

async fn inputs_are_read_by_area_with_booked_people_marked(backend: Backend) {
    let w = World::new(backend).await;
    let s = &w.db.store;
    assert_eq!(w.people.len(), 3);
    assert!(w.people.iter().all(|p| !p.already_booked && p.posting_pincode == Some(400_051)));
    assert_eq!(s.assignment_candidates(None, None).await.unwrap().len(), 4);
    assert_eq!(s.assignment_candidates(Some(StateId(22)), None).await.unwrap().len(), 0);
    // Sessions of the district's facilities in the dates only.
    let sessions =
        s.assignment_sessions(None, Some(DistrictId(395)), day(10), day(12), None).await.unwrap();
    assert_eq!(sessions.len(), 1);
    assert_eq!(sessions[0].session_id, w.session);
    assert_eq!((sessions[0].capacity, sessions[0].booked, sessions[0].slots.len()), (2, 0, 4));
    let other = VaccineCode::parse("COVAXIN").unwrap();
    assert!(
        s.assignment_sessions(None, None, day(10), day(12), Some(&other)).await.unwrap().is_empty()
    );
    assert_eq!(s.assignment_sessions(None, None, day(1), day(31), None).await.unwrap().len(), 3);
    // A person booked by a citizen is marked.
    let p = &w.people[0];
    s.book(&NewBooking {
        booking_id: AppointmentId::new(),
        account_id: p.account_id,
        session_id: w.session,
        dose: DoseNumber::FIRST,
        slot: Slot::from_label("09:00AM-11:00AM"),
        policy_version: "v1".into(),
        members: vec![BookingMember {
            beneficiary_id: p.beneficiary_id,
            security_code: SecurityCode::from_random(1),
        }],
        now_ms: NOW,
    })
    .await
    .unwrap();
    let again = s.assignment_candidates(None, Some(DistrictId(395))).await.unwrap();
    let marked: Vec<BeneficiaryId> =
        again.iter().filter(|c| c.already_booked).map(|c| c.beneficiary_id).collect();
    assert_eq!(marked, vec![p.beneficiary_id]);
}

async fn a_chunk_books_within_capacity_writes_events_and_counts(backend: Backend) {
    let w = World::new(backend).await;
    let s = &w.db.store;
    let run = new_run(Some(395), false, NOW);
    s.create_assignment_run(&run).await.unwrap();
    s.set_assignment_run_people(run.id, 3, 5, 6).await.unwrap();
    // Three people for two seats: the last in priority order finds the session filled.
    let rows: Vec<AssignmentWrite> =
        w.people.iter().enumerate().map(|(i, p)| w.seat(p, i as i64)).collect();
    let out = s.write_assignments(run.id, rows, "v1", false, NOW + 1).await.unwrap();
    assert_eq!(
        (out.assigned, out.unassigned, out.filled_meanwhile, out.already_booked),
        (2, 1, 1, 0)
    );
    assert_eq!(out.sessions, vec![w.session]);
    let session = s.find_session(w.session).await.unwrap();
    assert_eq!(session.booked_dose1, 2);
    let ids: Vec<BeneficiaryId> = w.people.iter().map(|p| p.beneficiary_id).collect();
    let appts = s.list_appointments(&ids).await.unwrap();
    assert_eq!(appts.len(), 2);
    assert!(appts.iter().all(|a| a.status == AppointmentStatus::Booked
        && a.dose == DoseNumber::FIRST
        && a.policy_version == "v1"
        && a.session_id == w.session));
    assert_eq!(
        count(&w.db, "SELECT COUNT(*) FROM outbox_events WHERE kind = 'appointment.booked'").await,
        2
    );
    let rows = s.list_assignments(run.id, None, None, 10).await.unwrap();
    assert_eq!(
        rows.iter().map(|r| r.reason).collect::<Vec<_>>(),
        vec![Reason::Assigned, Reason::Assigned, Reason::FilledMeanwhile]
    );
    assert_eq!(rows[0].center_name.as_deref(), Some("PHC 1"));
    assert_eq!(rows[0].date, Some(day(10)));
    assert_eq!(rows[0].distance_m, Some(1200));
    assert!(
        rows[0].booking_id.is_some()
            && rows[2].booking_id.is_none()
            && rows[2].session_id.is_none()
    );
    assert_eq!(
        rows[0].booking_id,
        Some(appts.iter().find(|a| a.beneficiary_id == rows[0].beneficiary_id).unwrap().booking_id)
    );
    let page = s.list_assignments(run.id, Some(Reason::FilledMeanwhile), None, 10).await.unwrap();
    assert_eq!(page.len(), 1);
    assert_eq!(s.list_assignments(run.id, None, Some(0), 1).await.unwrap()[0].seq, 1);
    // The run's counts, and its end with the audit entry.
    let audit = Change {
        id: uuid::Uuid::now_v7(),
        at_ms: NOW + 2,
        actor: "admin:test".into(),
        action: "assign.run".into(),
        subject: format!("assignment_run:{}", run.id),
        place: Some(Place {
            state: StateId(21),
            district: DistrictId(395),
            block: String::new(),
            center: None,
        }),
        before: None,
        after: Some(r#"{"assigned":2}"#.into()),
    };
    s.finish_assignment_run(run.id, RunStatus::Done, "", 7, &audit, NOW + 2).await.unwrap();
    let r = s.assignment_run(run.id).await.unwrap();
    assert_eq!(
        (r.status, r.people, r.processed, r.assigned, r.unassigned, r.already_booked),
        (RunStatus::Done, 3, 3, 2, 1, 0)
    );
    assert_eq!((r.read_ms, r.plan_ms, r.write_ms, r.finished_at_ms), (5, 6, 7, Some(NOW + 2)));
    let changes = s
        .list_changes(&ChangeFilter {
            area: Area::District { state: StateId(21), district: DistrictId(395) },
            subject: None,
            actor: None,
            action_prefix: Some("assign.".into()),
            before_ms: None,
            limit: 10,
        })
        .await
        .unwrap();
    assert_eq!(changes.len(), 1);
    // A second run skips the people booked by the first: nobody is booked twice.
    let run2 = new_run(Some(395), false, NOW + 3);
    s.create_assignment_run(&run2).await.unwrap();
    let rows: Vec<AssignmentWrite> =
        w.people.iter().enumerate().map(|(i, p)| w.seat(p, i as i64)).collect();
    let out = s.write_assignments(run2.id, rows, "v1", false, NOW + 4).await.unwrap();
    assert_eq!((out.assigned, out.already_booked, out.filled_meanwhile), (0, 2, 1));
    assert_eq!(s.find_session(w.session).await.unwrap().booked_dose1, 2);
    assert_eq!(s.list_appointments(&ids).await.unwrap().len(), 2);
    // Person lookup: newest run first.
    let mine = s.person_assignments(w.people[0].beneficiary_id).await.unwrap();
    assert_eq!(mine.len(), 2);
    assert_eq!(mine[0].run_id, run2.id);
}

async fn a_dry_run_takes_no_seat_and_runs_follow_their_area(backend: Backend) {
    let w = World::new(backend).await;
    let s = &w.db.store;
    let run = new_run(Some(395), true, NOW);
    s.create_assignment_run(&run).await.unwrap();
    let rows: Vec<AssignmentWrite> =
        w.people.iter().enumerate().map(|(i, p)| w.seat(p, i as i64)).collect();
    let out = s.write_assignments(run.id, rows, "v1", true, NOW + 1).await.unwrap();
    assert_eq!(out.assigned, 3);
    assert_eq!(s.find_session(w.session).await.unwrap().booked_dose1, 0);
    assert_eq!(count(&w.db, "SELECT COUNT(*) FROM appointments").await, 0);
    assert_eq!(count(&w.db, "SELECT COUNT(*) FROM outbox_events").await, 0);
    let rows = s.list_assignments(run.id, None, None, 10).await.unwrap();
    assert!(rows.iter().all(|r| r.booking_id.is_none() && r.session_id == Some(w.session)));
    let other = new_run(Some(400), false, NOW + 5);
    s.create_assignment_run(&other).await.unwrap();
    let state_run = new_run(None, false, NOW + 6);
    s.create_assignment_run(&state_run).await.unwrap();
    let ids = |v: Vec<AssignmentRun>| v.into_iter().map(|r| r.id).collect::<Vec<_>>();
    assert_eq!(
        ids(s.list_assignment_runs(None, Some(DistrictId(395)), 10).await.unwrap()),
        vec![run.id]
    );
    assert_eq!(
        ids(s.list_assignment_runs(Some(StateId(21)), None, 10).await.unwrap()),
        vec![state_run.id, other.id, run.id]
    );
    assert_eq!(s.assignment_run(run.id).await.unwrap().status, RunStatus::Running);
    assert!(matches!(s.assignment_run(AssignmentRunId::new()).await, Err(StorageError::NotFound)));
}

on_both_backends!(
    inputs_are_read_by_area_with_booked_people_marked,
    a_chunk_books_within_capacity_writes_events_and_counts,
    a_dry_run_takes_no_seat_and_runs_follow_their_area,
);
