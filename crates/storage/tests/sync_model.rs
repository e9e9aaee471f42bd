//! A model-based property test of site sync, on SQLite and on PostgreSQL.
//!
//! One to three devices at one facility each record a random offline day at one session:
//! doses for booked people and walk-ins (some with a batch never issued, some for a walk-in
//! whose registration travels separately), undos of their own doses, AEFI reports, arrivals.
//! Each device's outbox is cut into uploads at random; the server then sees the uploads
//! interleaved across devices, some out of order, some replayed (same key, same body) and some
//! re-sent under a new key.  After everything is delivered:
//!
//! * every dose ends either applied (exactly one vaccination row with its id, voided iff the
//!   site undid it) or in review (exactly one review item, discarded iff the site undid it),
//!   never both and never neither;
//! * no person has two doses of one number that are not voided;
//! * a replay answers the first answer byte for byte, and a re-sent record answers `duplicate`
//!   with its first result;
//! * one `dose.recorded` event per dose row that was not stored already undone, one
//!   `dose.voided` per dose undone after it was recorded;
//! * a booked appointment is completed iff its person holds that dose (not voided);
//! * every record naming one walk-in (from any device) lands on one beneficiary.
#![allow(clippy::unwrap_used, reason = "a test fails loudly on the first unexpected error")]

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, OnceLock};

use chrono::NaiveDate;
use proptest::prelude::*;
use proptest::sample::Index;
use proptest::test_runner::{Config, TestRunner};
use tika_domain::country::CountryPack;
use tika_domain::ids::{
    AccountId, AppointmentId, BeneficiaryId, CenterId, DeviceId, RecordId, SessionId, StaffId,
    UploadKey, VaccinationId,
};
use tika_domain::mobile::Mobile;
use tika_domain::session::{SecurityCode, Slot};
use tika_domain::staff::StaffRole;
use tika_domain::sync::{
    AefiSeverity, DoseRecord, Outcome, RecordBody, RecordResult, SiteRecord, UploadAnswer,
};
use tika_domain::vaccine::{DoseNumber, VaccineCode};
use tika_storage::*;
use tika_test_support::{
    NOW, TestDb, center, covishield_session, new_staff, person_record, upload, walk_in,
};

/// Cases per backend (each on a fresh database); `PROPTEST_CASES` overrides.
const CASES: u32 = 48;
/// Booked people: 0–2 booked for dose 1, 3 for dose 2 (dose 1 given 90 days before), 4 held
/// a dose-1 booking that was cancelled.
const BOOKED: usize = 5;
/// Walk-ins (the last one gives a mobile number).
const WALK_INS: usize = 3;

fn pack() -> Arc<CountryPack> {
    static PACK: OnceLock<Arc<CountryPack>> = OnceLock::new();
    Arc::clone(PACK.get_or_init(|| Arc::new(tika_packs::india().unwrap())))
}

fn session_date() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, 10).unwrap()
}

fn covishield() -> VaccineCode {
    VaccineCode::parse("COVISHIELD").unwrap()
}

// --- the generated scenario ----------------------------------------------------------------

#[derive(Debug, Clone)]
enum Op {
    Arrival(usize),
    /// A dose for a booked person, from an issued batch or not, naming the appointment or not.
    DoseBooked {
        person: usize,
        batch_ok: bool,
        name_row: bool,
    },
    /// A dose for a walk-in (registered by this device first), with the registration inline
    /// in the dose or not.
    DoseWalkIn {
        person: usize,
        inline: bool,
        batch_ok: bool,
    },
    /// Undo one of the device's own doses.
    Undo(Index),
    /// Report on one of the device's own doses.
    Aefi(Index),
}

#[derive(Debug, Clone)]
struct DevicePlan {
    ops: Vec<Op>,
    /// Upload sizes, used in turn.
    chunks: Vec<usize>,
}

#[derive(Debug, Clone)]
enum Step {
    /// Deliver the device's next upload.
    Next(Index),
    /// Deliver any pending upload (out of order).
    Any(Index),
    /// Replay a delivered upload (same key, same body).
    Replay(Index),
    /// Re-send an upload's records under a new key.
    Resend(Index),
}

#[derive(Debug, Clone)]
struct Scenario {
    devices: Vec<DevicePlan>,
    steps: Vec<Step>,
    /// After delivery, the facility admin accepts (`true`) or discards the open review items
    /// in turn.
    accept: Vec<bool>,
}

fn op() -> impl Strategy<Value = Op> {
    prop_oneof![
        1 => (0..BOOKED).prop_map(Op::Arrival),
        5 => (0..BOOKED, prop::bool::weighted(0.85), any::<bool>())
            .prop_map(|(person, batch_ok, name_row)| Op::DoseBooked { person, batch_ok, name_row }),
        3 => (0..WALK_INS, prop::bool::weighted(0.7), prop::bool::weighted(0.9))
            .prop_map(|(person, inline, batch_ok)| Op::DoseWalkIn { person, inline, batch_ok }),
        2 => any::<Index>().prop_map(Op::Undo),
        1 => any::<Index>().prop_map(Op::Aefi),
    ]
}

fn step() -> impl Strategy<Value = Step> {
    prop_oneof![
        3 => any::<Index>().prop_map(Step::Next),
        2 => any::<Index>().prop_map(Step::Any),
        1 => any::<Index>().prop_map(Step::Replay),
        1 => any::<Index>().prop_map(Step::Resend),
    ]
}

fn scenario() -> impl Strategy<Value = Scenario> {
    let device = (prop::collection::vec(op(), 1..=8), prop::collection::vec(1usize..=4, 1..=4))
        .prop_map(|(ops, chunks)| DevicePlan { ops, chunks });
    (
        prop::collection::vec(device, 1..=3),
        prop::collection::vec(step(), 0..=16),
        prop::collection::vec(any::<bool>(), 1..=4),
    )
        .prop_map(|(devices, steps, accept)| Scenario { devices, steps, accept })
}

// --- the world the scenario runs in --------------------------------------------------------

struct Booked {
    id: BeneficiaryId,
    row: uuid::Uuid,
    dose: DoseNumber,
    cancelled: bool,
}

struct World {
    db: TestDb,
    session: SessionId,
    booked: Vec<Booked>,
    /// Doses recorded before the session (outside the site app); each has its own
    /// `dose.recorded` event.
    prior_doses: usize,
}

async fn world(backend: Backend) -> World {
    let db = TestDb::new(backend).await;
    let s = &db.store;
    s.insert_centers(&[center(1)]).await.unwrap();
    let session = covishield_session(1, session_date());
    s.insert_sessions(std::slice::from_ref(&session)).await.unwrap();
    s.issue_batch(&Batch {
        center_id: CenterId(1),
        batch: "B1".into(),
        vaccine: covishield(),
        expiry: NaiveDate::from_ymd_opt(2027, 6, 30).unwrap(),
        doses_per_vial: 10,
        issued_at_ms: NOW,
    })
    .await
    .unwrap();
    let (account, _) = s.upsert_account(&Mobile::parse("9876543210").unwrap(), NOW).await.unwrap();
    let mut booked = Vec::new();
    let mut prior_doses = 0;
    for i in 0..BOOKED {
        let record = person_record(account.id, &format!("10000000000{i}"));
        let p = s.create_beneficiary(&record, 9).await.unwrap();
        let dose = if i == 3 { DoseNumber::SECOND } else { DoseNumber::FIRST };
        if i == 3 {
            s.record_vaccination(&Vaccination {
                id: VaccinationId::new(),
                beneficiary_id: p.id,
                dose: DoseNumber::FIRST,
                vaccine: covishield(),
                date: session_date() - chrono::Duration::days(90),
                center_id: Some(CenterId(1)),
            })
            .await
            .unwrap();
            prior_doses += 1;
        }
        let row = book(s, account.id, session.id, p.id, dose).await;
        if i == 4 {
            let booking = s.list_appointments(&[p.id]).await.unwrap()[0].booking_id;
            assert_eq!(s.cancel(booking, &[], NOW).await.unwrap(), 1);
        }
        booked.push(Booked { id: p.id, row, dose, cancelled: i == 4 });
    }
    World { db, session: session.id, booked, prior_doses }
}

async fn book(
    s: &Arc<SqlStore>,
    account: AccountId,
    session: SessionId,
    who: BeneficiaryId,
    dose: DoseNumber,
) -> uuid::Uuid {
    let booking = NewBooking {
        booking_id: AppointmentId::new(),
        account_id: account,
        session_id: session,
        dose,
        slot: Slot::from_label("09:00AM-11:00AM"),
        policy_version: "IN-2021-05-01".into(),
        members: vec![BookingMember {
            beneficiary_id: who,
            security_code: SecurityCode::from_random(7),
        }],
        now_ms: NOW,
    };
    s.book(&booking).await.unwrap();
    s.find_booking(booking.booking_id).await.unwrap()[0].id
}

/// One device's offline day: its records in the order it made them.
struct Device {
    staff: StaffId,
    id: DeviceId,
    records: Vec<SiteRecord>,
}

/// Turns the plan into records (fresh UUIDv7 ids); also returns which walk-in each walk-in
/// and walk-in dose record names.
fn make_records(
    w: &World,
    plans: &[DevicePlan],
    staff: &[StaffId],
) -> (Vec<Device>, HashMap<RecordId, usize>) {
    let mut clock = NOW;
    let mut names_walk_in = HashMap::new();
    let mut devices = Vec::new();
    for (plan, staff) in plans.iter().zip(staff) {
        let mut records = Vec::new();
        let mut doses: Vec<RecordId> = Vec::new();
        let mut registered: HashMap<usize, BeneficiaryId> = HashMap::new();
        let mut rec = |body: RecordBody, records: &mut Vec<SiteRecord>| {
            clock += 1_000;
            let r = SiteRecord {
                client_id: RecordId::new(),
                session_id: w.session,
                at_ms: clock,
                staff_id: *staff,
                body,
            };
            let id = r.client_id;
            records.push(r);
            id
        };
        let dose = |who: BeneficiaryId, dose: DoseNumber, batch_ok: bool| DoseRecord {
            beneficiary_id: who,
            walk_in: None,
            appointment_id: None,
            vaccine: covishield(),
            batch: if batch_ok { "B1" } else { "B9" }.into(),
            dose,
            vaccinator_id: *staff,
        };
        for op in &plan.ops {
            match op {
                Op::Arrival(i) => {
                    rec(RecordBody::Arrival { beneficiary_id: w.booked[*i].id }, &mut records);
                }
                Op::DoseBooked { person, batch_ok, name_row } => {
                    let b = &w.booked[*person];
                    let mut d = dose(b.id, b.dose, *batch_ok);
                    d.appointment_id = name_row.then_some(b.row);
                    doses.push(rec(RecordBody::Dose(d), &mut records));
                }
                Op::DoseWalkIn { person, inline, batch_ok } => {
                    let mobile = (*person == WALK_INS - 1).then_some("9000000002");
                    let who_is = walk_in(&format!("20000000000{person}"), mobile);
                    let who = match registered.get(person) {
                        Some(id) => *id,
                        None => {
                            let body = RecordBody::WalkIn { beneficiary: who_is.clone() };
                            let id = rec(body, &mut records);
                            names_walk_in.insert(id, *person);
                            let id = BeneficiaryId::from_uuid(id.as_uuid());
                            registered.insert(*person, id);
                            id
                        }
                    };
                    let mut d = dose(who, DoseNumber::FIRST, *batch_ok);
                    d.walk_in = inline.then_some(who_is);
                    let id = rec(RecordBody::Dose(d), &mut records);
                    names_walk_in.insert(id, *person);
                    doses.push(id);
                }
                Op::Undo(ix) if !doses.is_empty() => {
                    let target = doses[ix.index(doses.len())];
                    let body = RecordBody::Undo {
                        vaccination_client_id: target,
                        reason: "mistake".into(),
                    };
                    rec(body, &mut records);
                }
                Op::Aefi(ix) if !doses.is_empty() => {
                    let target = doses[ix.index(doses.len())];
                    let severity = [AefiSeverity::None, AefiSeverity::Minor, AefiSeverity::Serious]
                        [ix.index(3)];
                    let body = RecordBody::Aefi {
                        vaccination_client_id: target,
                        severity,
                        symptoms: vec!["fever".into()],
                        notes: String::new(),
                    };
                    rec(body, &mut records);
                }
                Op::Undo(_) | Op::Aefi(_) => {}
            }
        }
        devices.push(Device { staff: *staff, id: DeviceId::new(), records });
    }
    (devices, names_walk_in)
}

// --- running it --------------------------------------------------------------------------

struct Sent {
    up: SyncUpload,
    answer: Option<String>,
}

struct Server<'a> {
    store: &'a Arc<SqlStore>,
    clock: i64,
    /// Each record's first (not duplicate) result.
    first: HashMap<RecordId, RecordResult>,
}

impl Server<'_> {
    /// Applies an upload not seen before; checks its answer against what is known.
    async fn deliver(&mut self, up: &SyncUpload) -> String {
        self.clock += 10;
        let answer = match self.store.apply_upload(up, pack()).await.unwrap() {
            UploadOutcome::Applied(a) => a,
            other => panic!("a new key must be applied, got {other:?}"),
        };
        let parsed: UploadAnswer = serde_json::from_str(&answer).unwrap();
        assert_eq!(parsed.idempotency_key, up.key);
        assert_eq!(parsed.results.len(), up.records.len());
        for (rec, result) in up.records.iter().zip(&parsed.results) {
            assert_eq!(result.client_id, rec.client_id);
            match self.first.get(&rec.client_id) {
                Some(first) => {
                    assert_eq!(*result, first.as_duplicate(), "a repeat answers its first result")
                }
                None => {
                    assert_ne!(result.outcome, Outcome::Duplicate, "first sight of {rec:?}");
                    self.first.insert(rec.client_id, result.clone());
                }
            }
        }
        answer
    }

    /// Delivers a queued upload for the first time, stamped with the server's clock.
    async fn deliver_queued(&mut self, sent: &mut Sent) {
        sent.up.now_ms = self.clock + 10;
        let up = sent.up.clone();
        sent.answer = Some(self.deliver(&up).await);
    }

    async fn replay(&self, sent: &Sent) {
        let Some(answer) = &sent.answer else { return };
        let again = self.store.apply_upload(&sent.up, pack()).await.unwrap();
        assert_eq!(again, UploadOutcome::Replayed(answer.clone()), "a replay is byte for byte");
    }
}

async fn run_case(backend: Backend, scenario: Scenario) {
    let w = world(backend).await;
    let store = &w.db.store;
    let mut staff = Vec::new();
    for i in 0..scenario.devices.len() {
        let new = new_staff(1, &format!("vax.d{i}"), StaffRole::Vaccinator);
        staff.push(store.create_staff(&new).await.unwrap().id);
    }
    let (devices, names_walk_in) = make_records(&w, &scenario.devices, &staff);

    // Cut each outbox into uploads.
    let mut sent: Vec<Sent> = Vec::new();
    let mut queues: Vec<Vec<usize>> = Vec::new();
    for (d, plan) in devices.iter().zip(&scenario.devices) {
        let mut queue = Vec::new();
        let mut rest = &d.records[..];
        let mut sizes = plan.chunks.iter().cycle();
        while !rest.is_empty() {
            let n = (*sizes.next().unwrap()).min(rest.len());
            let (chunk, tail) = rest.split_at(n);
            rest = tail;
            queue.push(sent.len());
            sent.push(Sent {
                up: upload(UploadKey::new(), d.staff, CenterId(1), d.id, chunk.to_vec(), 0),
                answer: None,
            });
        }
        queue.reverse(); // pop() gives the oldest
        queues.push(queue);
    }

    let mut server = Server { store, clock: NOW + 3_600_000, first: HashMap::new() };
    for step in &scenario.steps {
        match step {
            Step::Next(ix) => {
                let q = &mut queues[ix.index(devices.len())];
                if let Some(i) = q.pop() {
                    server.deliver_queued(&mut sent[i]).await;
                }
            }
            Step::Any(ix) => {
                let pending: Vec<(usize, usize)> = queues
                    .iter()
                    .enumerate()
                    .flat_map(|(d, q)| (0..q.len()).map(move |k| (d, k)))
                    .collect();
                if !pending.is_empty() {
                    let (d, k) = pending[ix.index(pending.len())];
                    let i = queues[d].remove(k);
                    server.deliver_queued(&mut sent[i]).await;
                }
            }
            Step::Replay(ix) => {
                let done: Vec<&Sent> = sent.iter().filter(|s| s.answer.is_some()).collect();
                if !done.is_empty() {
                    server.replay(done[ix.index(done.len())]).await;
                }
            }
            Step::Resend(_) if sent.is_empty() => {}
            Step::Resend(ix) => {
                let original = &sent[ix.index(sent.len())].up;
                let mut again = upload(
                    UploadKey::new(),
                    original.staff_id,
                    original.center_id,
                    original.device_id,
                    original.records.clone(),
                    0,
                );
                server.clock += 10;
                again.now_ms = server.clock;
                let answer = server.deliver(&again).await;
                sent.push(Sent { up: again, answer: Some(answer) });
            }
        }
    }
    // Everything left, device by device in turn.
    while queues.iter().any(|q| !q.is_empty()) {
        for queue in &mut queues {
            if let Some(i) = queue.pop() {
                server.deliver_queued(&mut sent[i]).await;
            }
        }
    }
    for s in &sent {
        server.replay(s).await;
    }

    check_final_state(&w, &devices, &names_walk_in, &server.first).await;

    // The admin works through the queue; then every record is sent once more.
    let open = ReviewFilter {
        session: Some(w.session),
        status: Some(ReviewStatus::Open),
        ..Default::default()
    };
    let items = store.list_reviews(&open).await.unwrap();
    let mut decisions = HashMap::new();
    for (item, accept) in items.iter().zip(scenario.accept.iter().cycle()) {
        let action = if *accept { ReviewAction::Accept } else { ReviewAction::Discard };
        let resolved = store.resolve_review(item.id, action, "checked", "cli", NOW, pack()).await;
        assert_eq!(resolved.unwrap().status, status_after(action));
        decisions.insert(item.record.client_id, action);
    }
    let all: Vec<SiteRecord> = devices.iter().flat_map(|d| d.records.clone()).collect();
    if !all.is_empty() {
        let again = upload(UploadKey::new(), staff[0], CenterId(1), DeviceId::new(), all, NOW);
        let answer = match store.apply_upload(&again, pack()).await.unwrap() {
            UploadOutcome::Applied(a) => serde_json::from_str::<UploadAnswer>(&a).unwrap(),
            other => panic!("{other:?}"),
        };
        for result in &answer.results {
            assert_eq!(result.outcome, Outcome::Duplicate);
            let first = &server.first[&result.client_id];
            match decisions.get(&result.client_id) {
                // The accepted result replaced the review one.
                Some(ReviewAction::Accept) => {
                    let note = result.code.is_none_or(|c| c.as_str().starts_with("SYNC01"));
                    assert!(
                        result.review_id.is_none() && note && result.dose.is_some(),
                        "{result:?}"
                    );
                }
                // A discarded item keeps its review answer; so does everything else.
                Some(ReviewAction::Discard) | None => assert_eq!(*result, first.as_duplicate()),
            }
        }
    }
    check_after_review(&w, &decisions).await;
}

fn status_after(action: ReviewAction) -> ReviewStatus {
    match action {
        ReviewAction::Accept => ReviewStatus::Accepted,
        ReviewAction::Discard => ReviewStatus::Discarded,
    }
}

/// After the queue is worked through: accepted doses are recorded once (with their event),
/// discarded ones never, and no person holds a dose number twice.
async fn check_after_review(w: &World, decisions: &HashMap<RecordId, ReviewAction>) {
    let store = &w.db.store;
    let rows = store.session_doses(w.session).await.unwrap();
    let events = store.pending_events(100_000).await.unwrap();
    for (id, action) in decisions {
        let row: Vec<&SiteDose> = rows.iter().filter(|d| d.id == *id).collect();
        match action {
            ReviewAction::Accept => {
                assert_eq!(row.len(), 1, "accepted {id:?}");
                assert!(!row[0].voided);
                let recorded = events
                    .iter()
                    .filter(|e| e.kind == "dose.recorded" && e.subject_id == id.to_string())
                    .count();
                assert_eq!(recorded, 1);
            }
            ReviewAction::Discard => assert!(row.is_empty(), "discarded {id:?}"),
        }
    }
    let mut held = HashSet::new();
    for d in rows.iter().filter(|d| !d.voided) {
        assert!(held.insert((d.beneficiary_id, d.dose)), "two live rows for {d:?}");
    }
    assert!(
        store
            .list_reviews(&ReviewFilter { session: Some(w.session), ..Default::default() })
            .await
            .unwrap()
            .iter()
            .all(|i| i.status != ReviewStatus::Open)
    );
}

async fn check_final_state(
    w: &World,
    devices: &[Device],
    names_walk_in: &HashMap<RecordId, usize>,
    first: &HashMap<RecordId, RecordResult>,
) {
    let store = &w.db.store;
    let all: Vec<&SiteRecord> = devices.iter().flat_map(|d| &d.records).collect();
    assert!(all.iter().all(|r| first.contains_key(&r.client_id)), "every record was answered");
    let undone: HashSet<RecordId> = all
        .iter()
        .filter_map(|r| match &r.body {
            RecordBody::Undo { vaccination_client_id, .. } => Some(*vaccination_client_id),
            _ => None,
        })
        .collect();
    let rows = store.session_doses(w.session).await.unwrap();
    let reviews = store
        .list_reviews(&ReviewFilter { session: Some(w.session), ..Default::default() })
        .await
        .unwrap();
    let events = store.pending_events(100_000).await.unwrap();
    let count = |kind: &str, id: RecordId| {
        events.iter().filter(|e| e.kind == kind && e.subject_id == id.to_string()).count()
    };

    // Every dose ends applied or in review, never both, never neither.
    let mut dose_ids = HashSet::new();
    for r in &all {
        let RecordBody::Dose(_) = &r.body else { continue };
        dose_ids.insert(r.client_id);
        let result = &first[&r.client_id];
        let row: Vec<&SiteDose> = rows.iter().filter(|d| d.id == r.client_id).collect();
        let items: Vec<&ReviewItem> =
            reviews.iter().filter(|i| i.record.client_id == r.client_id).collect();
        let is_undone = undone.contains(&r.client_id);
        match result.outcome {
            Outcome::Applied => {
                assert_eq!((row.len(), items.len()), (1, 0), "applied {result:?}");
                assert_eq!(row[0].voided, is_undone, "voided iff undone: {result:?}");
                assert_eq!(Some(row[0].beneficiary_id), result.beneficiary_id);
                assert_eq!(Some(row[0].dose.get()), result.dose);
            }
            Outcome::Review => {
                assert_eq!((row.len(), items.len()), (0, 1), "in review {result:?}");
                let expected = if is_undone { ReviewStatus::Discarded } else { ReviewStatus::Open };
                assert_eq!(items[0].status, expected, "{result:?}");
                assert_eq!(Some(items[0].id), result.review_id);
                assert_eq!(Some(items[0].code), result.code);
            }
            Outcome::Duplicate => panic!("a first result is never a duplicate"),
        }
    }
    assert!(rows.iter().all(|d| dose_ids.contains(&d.id)), "no row without its record");
    assert!(
        reviews.iter().all(|i| dose_ids.contains(&i.record.client_id)),
        "only doses go to review here"
    );

    // No person holds one dose number twice.
    let mut held = HashSet::new();
    for d in rows.iter().filter(|d| !d.voided) {
        assert!(held.insert((d.beneficiary_id, d.dose)), "two live rows for {d:?}");
    }

    // One `dose.recorded` per row not stored undone; one `dose.voided` per row undone later.
    let mut recorded_total = 0;
    for d in &rows {
        let (recorded, voided) = (count("dose.recorded", d.id), count("dose.voided", d.id));
        let stored_undone = d.voided && voided == 0;
        assert_eq!(recorded, usize::from(!stored_undone), "{d:?}");
        assert!(voided <= 1 && (voided == 0 || d.voided), "{d:?}");
        recorded_total += usize::from(!stored_undone);
    }
    assert_eq!(
        events.iter().filter(|e| e.kind == "dose.recorded").count(),
        recorded_total + w.prior_doses
    );

    // A booked appointment is completed iff its person holds that dose.
    let roster = store.session_roster(w.session).await.unwrap();
    for b in &w.booked {
        let status = roster.iter().find(|r| r.appointment.id == b.row).unwrap().appointment.status;
        if b.cancelled {
            assert_eq!(status, AppointmentStatus::Cancelled);
            continue;
        }
        let holds = held.contains(&(b.id, b.dose));
        let expected = if holds { AppointmentStatus::Completed } else { AppointmentStatus::Booked };
        assert_eq!(status, expected, "appointment of {:?}", b.id);
    }

    // All records naming one walk-in land on one beneficiary.
    let mut landed: HashMap<usize, HashSet<BeneficiaryId>> = HashMap::new();
    for (id, person) in names_walk_in {
        if let Some(b) = first[id].beneficiary_id {
            landed.entry(*person).or_default().insert(b);
        }
    }
    for (person, ids) in landed {
        assert_eq!(ids.len(), 1, "walk-in {person} landed on {ids:?}");
    }
}

fn run_model(backend: Backend) {
    let rt =
        tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build().unwrap();
    // `PROPTEST_CASES=500` runs a longer search.
    let cases = std::env::var("PROPTEST_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(CASES);
    let config = Config { cases, failure_persistence: None, ..Config::default() };
    let mut runner = TestRunner::new(config);
    let started = std::time::Instant::now();
    runner
        .run(&scenario(), |s| {
            rt.block_on(run_case(backend, s));
            Ok(())
        })
        .unwrap();
    eprintln!("{backend:?}: {cases} cases in {:?}", started.elapsed());
}

#[test]
fn sync_converges_under_any_delivery_on_sqlite() {
    run_model(Backend::Sqlite);
}

#[test]
fn sync_converges_under_any_delivery_on_postgres() {
    run_model(Backend::Postgres);
}
