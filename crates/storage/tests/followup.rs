//! The storage contract of the follow-up module: the area-filtered issue queue (correction
//! requests placed by the person's dose, sync review items by their facility), rejecting a
//! correction with its message event and audit entry, and the lucky draw (entry list from the
//! district's doses in the period, hash, seed once), run on SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, reason = "a test fails loudly on the first unexpected error")]

use std::sync::Arc;

use chrono::NaiveDate;
use tika_domain::admin::{Area, Place};
use tika_domain::draw;
use tika_domain::ids::{
    AccountId, BeneficiaryId, CenterId, DeviceId, DistrictId, DrawId, RecordId, StaffId, StateId,
    UploadKey, VaccinationId,
};
use tika_domain::mobile::Mobile;
use tika_domain::staff::StaffRole;
use tika_domain::sync::{DoseRecord, RecordBody, SiteRecord};
use tika_domain::vaccine::{DoseNumber, VaccineCode};
use tika_storage::*;
use tika_test_support::{
    NOW, TestDb, center, covishield_session, new_staff, on_both_backends, person_record, upload,
};

fn day(m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, m, d).unwrap()
}

fn covishield() -> VaccineCode {
    VaccineCode::parse("COVISHIELD").unwrap()
}

fn district(id: i64) -> Area {
    Area::District { state: StateId(21), district: DistrictId(id) }
}

fn change(action: &str, place: Option<Place>) -> Change {
    Change {
        id: uuid::Uuid::now_v7(),
        at_ms: NOW + 100,
        actor: "admin:test".into(),
        action: action.into(),
        subject: String::new(),
        place,
        before: None,
        after: None,
    }
}

fn place_395() -> Place {
    Place {
        state: StateId(21),
        district: DistrictId(395),
        block: "Block A".into(),
        center: Some(CenterId(1)),
    }
}

/// Centre 1 in district 395, centre 2 in district 400 (both state 21), a session at each,
/// a batch at centre 1 and one account.
struct World {
    db: TestDb,
    account: AccountId,
    staff: StaffId,
    session1: tika_domain::ids::SessionId,
}

impl World {
    async fn new(backend: Backend) -> Self {
        let db = TestDb::new(backend).await;
        let mut c2 = center(2);
        c2.district_id = DistrictId(400);
        c2.block_name = "Block B".into();
        db.store.insert_centers(&[center(1), c2]).await.unwrap();
        let s1 = covishield_session(1, day(12, 10));
        let s2 = covishield_session(2, day(12, 10));
        db.store.insert_sessions(&[s1.clone(), s2]).await.unwrap();
        db.store
            .issue_batch(&Batch {
                center_id: CenterId(1),
                batch: "B1".into(),
                vaccine: covishield(),
                expiry: day(12, 31),
                doses_per_vial: 10,
                issued_at_ms: NOW,
            })
            .await
            .unwrap();
        let staff =
            db.store.create_staff(&new_staff(1, "vax.one", StaffRole::Vaccinator)).await.unwrap();
        let (account, _) =
            db.store.upsert_account(&Mobile::parse("9876543210").unwrap(), NOW).await.unwrap();
        Self { db, account: account.id, staff: staff.id, session1: s1.id }
    }

    fn store(&self) -> &Arc<SqlStore> {
        &self.db.store
    }

    async fn person(&self, id_number: &str) -> Beneficiary {
        self.store().create_beneficiary(&person_record(self.account, id_number), 6).await.unwrap()
    }

    async fn dose(&self, who: BeneficiaryId, dose: u8, date: NaiveDate, center: i64) {
        self.store()
            .record_vaccination(&Vaccination {
                id: VaccinationId::new(),
                beneficiary_id: who,
                dose: DoseNumber::new(i64::from(dose)).unwrap(),
                vaccine: covishield(),
                date,
                center_id: Some(CenterId(center)),
            })
            .await
            .unwrap();
    }

    async fn correction(&self, who: BeneficiaryId, at_ms: i64) -> CorrectionRequest {
        self.store()
            .request_correction(&NewCorrection {
                id: uuid::Uuid::new_v4(),
                beneficiary_id: who,
                change: CorrectionChange::BirthYear(1990),
                reason: "typed wrong at registration".into(),
                requested_by: "citizen:test".into(),
                requested_at_ms: at_ms,
            })
            .await
            .unwrap()
    }

    /// A dose for a person the server never had, from centre 1's device: a review item.
    async fn review_item(&self, at_ms: i64) {
        let record = SiteRecord {
            client_id: RecordId::new(),
            session_id: self.session1,
            at_ms,
            staff_id: self.staff,
            body: RecordBody::Dose(DoseRecord {
                beneficiary_id: BeneficiaryId::new(),
                walk_in: None,
                appointment_id: None,
                vaccine: covishield(),
                batch: "B1".into(),
                dose: DoseNumber::new(1).unwrap(),
                vaccinator_id: self.staff,
            }),
        };
        let up =
            upload(UploadKey::new(), self.staff, CenterId(1), DeviceId::new(), vec![record], at_ms);
        let pack = Arc::new(tika_packs::india().unwrap());
        self.store().apply_upload(&up, pack).await.unwrap();
    }
}

fn issues(area: Area, kind: Option<IssueKind>, open: Option<bool>) -> IssueFilter {
    IssueFilter { area, kind, open, limit: 50, offset: 0 }
}

async fn issues_are_listed_by_the_area_of_their_facility(backend: Backend) {
    let w = World::new(backend).await;
    let s = w.store();
    let p1 = w.person("111122223333").await;
    let p2 = w.person("444455556666").await;
    let p3 = w.person("777788889999").await;
    w.dose(p1.id, 1, day(12, 10), 1).await;
    w.dose(p2.id, 1, day(11, 1), 1).await;
    w.dose(p2.id, 2, day(12, 10), 2).await; // the latest dose decides: district 400
    let c1 = w.correction(p1.id, NOW + 1).await;
    let c2 = w.correction(p2.id, NOW + 2).await;
    let c3 = w.correction(p3.id, NOW + 3).await; // no dose, no booking: unplaced
    w.review_item(NOW + 4).await;

    assert_eq!(s.correction_center(p1.id).await.unwrap(), Some(CenterId(1)));
    assert_eq!(s.correction_center(p2.id).await.unwrap(), Some(CenterId(2)));
    assert_eq!(s.correction_center(p3.id).await.unwrap(), None);

    let a = s.list_issues(&issues(district(395), None, None)).await.unwrap();
    assert_eq!(a.len(), 2, "{a:?}");
    assert_eq!((a[0].kind, a[0].id), (IssueKind::Correction, c1.id));
    assert_eq!(a[0].what, "birth_year");
    assert_eq!(a[0].status, "pending");
    assert_eq!(a[0].reference_id.as_deref(), Some(p1.reference_id.as_str()));
    assert_eq!(a[0].center_id, Some(CenterId(1)));
    assert_eq!(a[0].center_name.as_deref(), Some("PHC 1"));
    assert_eq!(a[1].kind, IssueKind::Review);
    assert_eq!(a[1].what, "SYNC0206");
    assert_eq!(a[1].status, "open");
    assert_eq!(a[1].reference_id, None);

    let b = s.list_issues(&issues(district(400), None, None)).await.unwrap();
    assert_eq!(b.iter().map(|i| i.id).collect::<Vec<_>>(), vec![c2.id]);

    let state = Area::State { state: StateId(21) };
    assert_eq!(s.list_issues(&issues(state, None, None)).await.unwrap().len(), 3);
    let all = s.list_issues(&issues(Area::National, None, None)).await.unwrap();
    assert_eq!(all.len(), 4);
    assert_eq!(all[2].id, c3.id);
    assert_eq!(all[2].center_id, None);

    let only_reviews =
        s.list_issues(&issues(Area::National, Some(IssueKind::Review), None)).await.unwrap();
    assert_eq!(only_reviews.len(), 1);
    let only_corrections =
        s.list_issues(&issues(Area::National, Some(IssueKind::Correction), None)).await.unwrap();
    assert_eq!(only_corrections.len(), 3);

    // Paging.
    let page = IssueFilter { limit: 2, offset: 2, ..issues(Area::National, None, None) };
    let page = s.list_issues(&page).await.unwrap();
    assert_eq!(page.iter().map(|i| i.id).collect::<Vec<_>>(), vec![c3.id, all[3].id]);

    // Open / decided.
    s.reject_correction(c1.id, "no proof", &change("correction.reject", Some(place_395())))
        .await
        .unwrap();
    let open = s.list_issues(&issues(district(395), None, Some(true))).await.unwrap();
    assert_eq!(open.len(), 1);
    assert_eq!(open[0].kind, IssueKind::Review);
    let closed = s.list_issues(&issues(district(395), None, Some(false))).await.unwrap();
    assert_eq!(
        closed.iter().map(|i| (i.id, i.status.as_str())).collect::<Vec<_>>(),
        vec![(c1.id, "rejected")]
    );
}

async fn a_rejection_tells_the_citizen_and_is_audited_once(backend: Backend) {
    let w = World::new(backend).await;
    let s = w.store();
    let p = w.person("111122223333").await;
    w.dose(p.id, 1, day(12, 10), 1).await;
    let c = w.correction(p.id, NOW + 1).await;

    let mut audit = change("correction.reject", Some(place_395()));
    audit.subject = p.id.to_string();
    let rejected = s.reject_correction(c.id, "the document does not match", &audit).await.unwrap();
    assert_eq!(rejected.status, CorrectionStatus::Rejected);
    assert_eq!(rejected.decided_by.as_deref(), Some("admin:test"));

    let stored = s.find_correction(c.id).await.unwrap();
    assert_eq!(stored.status, CorrectionStatus::Rejected);
    assert_eq!(stored.decision_note.as_deref(), Some("the document does not match"));
    assert_eq!(stored.decided_at_ms, Some(NOW + 100));
    // The person is unchanged.
    let person = s.find_beneficiaries(&[p.id]).await.unwrap();
    assert_eq!(person[0].birth_year, 1985);

    let events: Vec<_> = s
        .pending_events(100)
        .await
        .unwrap()
        .into_iter()
        .filter(|e| e.kind == "correction.rejected")
        .collect();
    assert_eq!(events.len(), 1);
    let payload: serde_json::Value = serde_json::from_str(&events[0].payload).unwrap();
    assert_eq!(payload["beneficiary_id"], p.id.to_string());
    assert_eq!(payload["correction_id"], c.id.to_string());

    let filter = ChangeFilter {
        area: district(395),
        subject: Some(p.id.to_string()),
        actor: None,
        action_prefix: Some("correction.".into()),
        before_ms: None,
        limit: 10,
    };
    let changes = s.list_changes(&filter).await.unwrap();
    assert_eq!(changes.len(), 1);
    assert_eq!(changes[0].action, "correction.reject");

    // Once only; unknown ids are NotFound; nothing more was written.
    let again = s.reject_correction(c.id, "again", &change("correction.reject", None)).await;
    assert!(matches!(again, Err(StorageError::Conflict(ConflictKind::CorrectionClosed))));
    let approve = s.decide_correction(c.id, CorrectionDecision::Approve, "cli", "", NOW).await;
    assert!(matches!(approve, Err(StorageError::Conflict(ConflictKind::CorrectionClosed))));
    let unknown =
        s.reject_correction(uuid::Uuid::new_v4(), "x", &change("correction.reject", None)).await;
    assert!(matches!(unknown, Err(StorageError::NotFound)));
    assert_eq!(s.list_changes(&filter).await.unwrap().len(), 1);
    // A rejected field may be asked for again.
    w.correction(p.id, NOW + 5).await;
}

async fn a_draw_commits_to_the_districts_doses_and_takes_its_seed_once(backend: Backend) {
    let w = World::new(backend).await;
    let s = w.store();
    let mut people = Vec::new();
    for n in 0..6 {
        people.push(w.person(&format!("11112222{n:04}")).await);
    }
    // In the district and the period: people 0..4 (person 0 twice: one entry).
    w.dose(people[0].id, 1, day(12, 1), 1).await;
    w.dose(people[0].id, 2, day(12, 31), 1).await;
    for p in &people[1..4] {
        w.dose(p.id, 1, day(12, 15), 1).await;
    }
    // Outside the period, and in another district.
    w.dose(people[4].id, 1, day(11, 30), 1).await;
    w.dose(people[5].id, 1, day(12, 15), 2).await;

    let id = DrawId::new();
    let new = NewDraw {
        id,
        state: StateId(21),
        district: DistrictId(395),
        from: day(12, 1),
        to: day(12, 31),
        winners: 2,
        actor: "admin:test".into(),
        now_ms: NOW + 50,
    };
    let created = s.create_draw(&new, &change("draw.create", None)).await.unwrap();
    assert_eq!(created.status, DrawStatus::Committed);
    assert_eq!(created.entries_count, 4);
    assert_eq!(created.winners_count, 2);
    assert_eq!(created.seed, None);
    assert!(created.winners.is_empty());

    let mut expected: Vec<String> =
        people[..4].iter().map(|p| p.reference_id.as_str().to_owned()).collect();
    expected.sort();
    let text = s.draw_entries(id).await.unwrap();
    assert_eq!(text, expected.iter().map(|r| format!("{r}\n")).collect::<String>());
    assert_eq!(created.entries_sha256, draw::sha256_hex(text.as_bytes()));
    assert_eq!(s.find_draw(id).await.unwrap(), created);

    let seeded = s
        .seed_draw(id, "drand round 42: 9f1c", "https://drand.love", &change("draw.seed", None))
        .await
        .unwrap();
    let SeedOutcome::Drawn(drawn) = seeded else { panic!("expected a new draw: {seeded:?}") };
    let (hash, winners) = draw::recompute(&text, "drand round 42: 9f1c", 2).unwrap();
    assert_eq!(hash, created.entries_sha256);
    assert_eq!(drawn.winners, winners);
    assert_eq!(drawn.status, DrawStatus::Drawn);
    assert_eq!(s.find_draw(id).await.unwrap(), drawn);

    // Once only: another seed changes nothing.
    let again = s.seed_draw(id, "another", "somewhere", &change("draw.seed", None)).await.unwrap();
    assert_eq!(again, SeedOutcome::AlreadyDrawn(drawn.clone()));
    assert_eq!(s.find_draw(id).await.unwrap().winners, winners);

    // Listing by area; audit entries name the draw.
    let listed = |area: Area| {
        let s = Arc::clone(s);
        async move { s.list_draws(&DrawFilter { area, limit: 10, offset: 0 }).await.unwrap().len() }
    };
    assert_eq!(listed(district(395)).await, 1);
    assert_eq!(listed(district(400)).await, 0);
    assert_eq!(listed(Area::National).await, 1);
    let changes = s
        .list_changes(&ChangeFilter {
            area: Area::National,
            subject: Some(format!("draw:{id}")),
            actor: None,
            action_prefix: None,
            before_ms: None,
            limit: 10,
        })
        .await
        .unwrap();
    let mut actions: Vec<_> = changes.iter().map(|c| c.action.as_str()).collect();
    actions.sort_unstable();
    assert_eq!(actions, vec!["draw.create", "draw.seed"]);
    assert!(matches!(s.find_draw(DrawId::new()).await, Err(StorageError::NotFound)));
    assert!(matches!(s.draw_entries(DrawId::new()).await, Err(StorageError::NotFound)));

    // A draw with no entries draws nobody.
    let empty = NewDraw { id: DrawId::new(), from: day(1, 1), to: day(1, 31), ..new };
    let e = s.create_draw(&empty, &change("draw.create", None)).await.unwrap();
    assert_eq!((e.entries_count, e.entries_sha256.as_str()), (0, draw::sha256_hex(b"").as_str()));
    let SeedOutcome::Drawn(e) =
        s.seed_draw(empty.id, "x", "nowhere", &change("draw.seed", None)).await.unwrap()
    else {
        panic!("expected a draw")
    };
    assert!(e.winners.is_empty());
}

on_both_backends!(
    issues_are_listed_by_the_area_of_their_facility,
    a_rejection_tells_the_citizen_and_is_audited_once,
    a_draw_commits_to_the_districts_doses_and_takes_its_seed_once,
);
