//! The storage contract of vaccination sites: staff, batches, session lists, uploads applied
//! exactly once under the sync rules, the review queue, the access log and the event outbox,
//! doses counted by the reports' fold and taken out by an undo, and a session's report counts,
//! run on SQLite and on PostgreSQL.
#![allow(clippy::unwrap_used, reason = "a test fails loudly on the first unexpected error")]

use std::sync::{Arc, OnceLock};

use chrono::NaiveDate;
use tika_domain::country::CountryPack;
use tika_domain::ids::{
    AccountId, AppointmentId, BeneficiaryId, BeneficiaryRef, CenterId, DeviceId, RecordId,
    ReviewId, SessionId, StaffId, UploadKey,
};
use tika_domain::mobile::Mobile;
use tika_domain::session::{SecurityCode, Slot};
use tika_domain::staff::{StaffRole, Username};
use tika_domain::sync::{
    AefiSeverity, DoseRecord, Outcome, RecordBody, RecordResult, SiteRecord, SyncCode,
    UploadAnswer, WalkInPerson,
};
use tika_domain::vaccine::{DoseNumber, VaccineCode};
use tika_storage::*;
use tika_test_support::{
    NOW, TestDb, center, covishield_session, new_staff, on_both_backends, person_record, upload,
    walk_in,
};

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

/// Facility 1 with a COVISHIELD session, batch B1, a vaccinator and a citizen account;
/// facility 2 with a session of its own.
struct Site {
    db: TestDb,
    session: SessionId,
    foreign_session: SessionId,
    staff: StaffId,
    device: DeviceId,
    account: AccountId,
    clock: std::sync::atomic::AtomicI64,
}

impl Site {
    async fn new(backend: Backend) -> Self {
        let db = TestDb::new(backend).await;
        db.store.insert_centers(&[center(1), center(2)]).await.unwrap();
        let s = covishield_session(1, session_date());
        let f = covishield_session(2, session_date());
        db.store.insert_sessions(&[s.clone(), f.clone()]).await.unwrap();
        db.store
            .issue_batch(&Batch {
                center_id: CenterId(1),
                batch: "B1".into(),
                vaccine: covishield(),
                expiry: NaiveDate::from_ymd_opt(2027, 6, 30).unwrap(),
                doses_per_vial: 10,
                issued_at_ms: NOW,
            })
            .await
            .unwrap();
        let staff = db.store.create_staff(&new_staff(1, "vax.one", StaffRole::Vaccinator)).await;
        let (account, _) =
            db.store.upsert_account(&Mobile::parse("9876543210").unwrap(), NOW).await.unwrap();
        Self {
            db,
            session: s.id,
            foreign_session: f.id,
            staff: staff.unwrap().id,
            device: DeviceId::new(),
            account: account.id,
            clock: std::sync::atomic::AtomicI64::new(NOW),
        }
    }

    fn store(&self) -> &Arc<SqlStore> {
        &self.db.store
    }

    fn tick(&self) -> i64 {
        self.clock.fetch_add(1_000, std::sync::atomic::Ordering::Relaxed) + 1_000
    }

    /// A registered person with a dose-1 booking in the session; returns them and the row id.
    async fn booked_person(&self, id_number: &str) -> (Beneficiary, uuid::Uuid) {
        let p = self.store().create_beneficiary(&person_record(self.account, id_number), 4).await;
        let p = p.unwrap();
        let booking = NewBooking {
            booking_id: AppointmentId::new(),
            account_id: self.account,
            session_id: self.session,
            dose: DoseNumber::FIRST,
            slot: Slot::from_label("09:00AM-11:00AM"),
            policy_version: "IN-2021-05-01".into(),
            members: vec![BookingMember {
                beneficiary_id: p.id,
                security_code: SecurityCode::from_random(4821),
            }],
            now_ms: NOW,
        };
        self.store().book(&booking).await.unwrap();
        let rows = self.store().find_booking(booking.booking_id).await.unwrap();
        (p, rows[0].id)
    }

    fn record(&self, body: RecordBody) -> SiteRecord {
        SiteRecord {
            client_id: RecordId::new(),
            session_id: self.session,
            at_ms: self.tick(),
            staff_id: self.staff,
            body,
        }
    }

    fn dose(&self, who: BeneficiaryId, appointment: Option<uuid::Uuid>) -> SiteRecord {
        self.record(RecordBody::Dose(DoseRecord {
            beneficiary_id: who,
            walk_in: None,
            appointment_id: appointment,
            vaccine: covishield(),
            batch: "B1".into(),
            dose: DoseNumber::FIRST,
            vaccinator_id: self.staff,
        }))
    }

    fn undo(&self, target: RecordId) -> SiteRecord {
        self.record(RecordBody::Undo {
            vaccination_client_id: target,
            reason: "recorded for the wrong person".into(),
        })
    }

    fn walk_in(&self, person: WalkInPerson) -> SiteRecord {
        self.record(RecordBody::WalkIn { beneficiary: person })
    }

    /// Applies `records` as one new upload; returns the raw and the parsed answer.
    async fn send_raw(&self, records: Vec<SiteRecord>) -> (SyncUpload, String, UploadAnswer) {
        let up =
            upload(UploadKey::new(), self.staff, CenterId(1), self.device, records, self.tick());
        match self.store().apply_upload(&up, pack()).await.unwrap() {
            UploadOutcome::Applied(answer) => {
                let parsed = serde_json::from_str(&answer).unwrap();
                (up, answer, parsed)
            }
            other => panic!("expected Applied, got {other:?}"),
        }
    }

    /// Applies `records` as one new upload; returns one result per record.
    async fn send(&self, records: Vec<SiteRecord>) -> Vec<RecordResult> {
        self.send_raw(records).await.2.results
    }

    async fn events(&self, kind: &str, subject: RecordId) -> usize {
        let all = self.store().pending_events(10_000).await.unwrap();
        all.iter().filter(|e| e.kind == kind && e.subject_id == subject.to_string()).count()
    }

    async fn roster_status(&self, row: uuid::Uuid) -> AppointmentStatus {
        let roster = self.store().session_roster(self.session).await.unwrap();
        roster.iter().find(|r| r.appointment.id == row).unwrap().appointment.status
    }

    async fn site_dose(&self, id: RecordId) -> Option<SiteDose> {
        let doses = self.store().session_doses(self.session).await.unwrap();
        doses.into_iter().find(|d| d.id == id)
    }
}

async fn staff_are_created_found_and_listed(backend: Backend) {
    let site = Site::new(backend).await;
    let s = site.store();
    let mut admin = new_staff(1, "Admin.Two", StaffRole::FacilityAdmin);
    admin.mobile = Some(Mobile::parse("9123456789").unwrap());
    admin.name = "A Admin".into();
    let created = s.create_staff(&admin).await.unwrap();
    assert_eq!((created.id, created.active, created.failed_logins), (admin.id, true, 0));
    let found = s.find_staff_by_username(&Username::parse("admin.two").unwrap()).await.unwrap();
    assert_eq!(
        (found.id, found.center_id, found.role),
        (admin.id, CenterId(1), StaffRole::FacilityAdmin)
    );
    assert_eq!(found.mobile.as_ref().map(Mobile::as_str), Some("9123456789"));
    assert_eq!(
        (found.name.as_str(), found.password_hash.as_str()),
        ("A Admin", "$argon2id$placeholder")
    );
    assert_eq!(s.find_staff(site.staff).await.unwrap().username.as_str(), "vax.one");

    let listed = s.list_staff(CenterId(1)).await.unwrap();
    assert_eq!(
        listed.iter().map(|x| x.username.as_str()).collect::<Vec<_>>(),
        ["admin.two", "vax.one"]
    );
    assert!(s.list_staff(CenterId(2)).await.unwrap().is_empty());

    let taken = s.create_staff(&new_staff(2, "VAX.ONE", StaffRole::Vaccinator)).await;
    assert!(matches!(taken, Err(StorageError::Conflict(ConflictKind::UsernameTaken))), "{taken:?}");

    s.set_login_state(admin.id, 5, NOW + 900_000).await.unwrap();
    let locked = s.find_staff(admin.id).await.unwrap();
    assert_eq!((locked.failed_logins, locked.locked_until_ms), (5, NOW + 900_000));
    s.set_login_state(admin.id, 0, 0).await.unwrap();
    let reset = s.find_staff(admin.id).await.unwrap();
    assert_eq!((reset.failed_logins, reset.locked_until_ms), (0, 0));

    assert!(matches!(s.find_staff(StaffId::new()).await, Err(StorageError::NotFound)));
    let nobody = s.find_staff_by_username(&Username::parse("nobody").unwrap()).await;
    assert!(matches!(nobody, Err(StorageError::NotFound)));
}

async fn batches_are_issued_once_per_facility(backend: Backend) {
    let site = Site::new(backend).await;
    let s = site.store();
    let batch = |center: i64, name: &str, expiry: NaiveDate| Batch {
        center_id: CenterId(center),
        batch: name.into(),
        vaccine: VaccineCode::parse("COVAXIN").unwrap(),
        expiry,
        doses_per_vial: 20,
        issued_at_ms: NOW + 1,
    };
    let early = NaiveDate::from_ymd_opt(2027, 1, 31).unwrap();
    s.issue_batch(&batch(1, "C7", early)).await.unwrap();
    let listed = s.list_batches(CenterId(1)).await.unwrap();
    let names: Vec<(&str, &str, u16)> =
        listed.iter().map(|b| (b.batch.as_str(), b.vaccine.as_str(), b.doses_per_vial)).collect();
    assert_eq!(names, [("C7", "COVAXIN", 20), ("B1", "COVISHIELD", 10)], "by expiry");
    assert_eq!(
        (listed[0].expiry, listed[0].issued_at_ms, listed[0].center_id),
        (early, NOW + 1, CenterId(1))
    );

    let again = s.issue_batch(&batch(1, "B1", early)).await;
    assert!(matches!(again, Err(StorageError::Conflict(ConflictKind::BatchExists))), "{again:?}");
    // The same lot number at another facility is another issue.
    s.issue_batch(&batch(2, "B1", early)).await.unwrap();
    assert_eq!(s.list_batches(CenterId(2)).await.unwrap().len(), 1);
    assert_eq!(s.list_batches(CenterId(1)).await.unwrap().len(), 2);
}

async fn center_sessions_and_the_roster_carry_what_a_site_needs(backend: Backend) {
    let site = Site::new(backend).await;
    let s = site.store();
    let later = covishield_session(1, NaiveDate::from_ymd_opt(2026, 12, 11).unwrap());
    s.insert_sessions(std::slice::from_ref(&later)).await.unwrap();
    let today = s.list_center_sessions(CenterId(1), session_date()).await.unwrap();
    assert_eq!(today.iter().map(|x| x.id).collect::<Vec<_>>(), [site.session]);
    assert_eq!(today[0].vaccine, covishield());
    assert_eq!(
        s.list_center_sessions(CenterId(2), session_date()).await.unwrap()[0].id,
        site.foreign_session
    );
    assert!(
        s.list_center_sessions(CenterId(1), session_date().pred_opt().unwrap())
            .await
            .unwrap()
            .is_empty()
    );

    let (p, row) = site.booked_person("123412341234").await;
    let roster = s.session_roster(site.session).await.unwrap();
    assert_eq!(roster.len(), 1);
    let e = &roster[0];
    assert_eq!((e.appointment.id, e.appointment.beneficiary_id), (row, p.id));
    assert_eq!(
        (e.appointment.dose, e.appointment.status),
        (DoseNumber::FIRST, AppointmentStatus::Booked)
    );
    assert_eq!(e.appointment.slot.as_str(), "09:00AM-11:00AM");
    assert_eq!(e.appointment.security_code.as_str(), SecurityCode::from_random(4821).as_str());
    assert_eq!(e.reference_id, p.reference_id.as_str());
    assert_eq!((e.name.as_str(), e.birth_year, e.gender_id), ("Asha Rao", 1985, 2));
    assert_eq!((e.photo_id_type, e.photo_id_last4.as_str()), (1, "1234"));
    assert!(s.session_roster(site.foreign_session).await.unwrap().is_empty());
}

async fn an_upload_is_applied_once_and_replayed_byte_for_byte(backend: Backend) {
    let site = Site::new(backend).await;
    let s = site.store();
    let (p, row) = site.booked_person("111122223333").await;
    let dose = site.dose(p.id, Some(row));
    let (up, answer, parsed) = site.send_raw(vec![dose.clone()]).await;
    assert_eq!((parsed.idempotency_key, parsed.applied_at), (up.key, up.now_ms));
    let r = &parsed.results[0];
    assert_eq!((r.client_id, r.outcome, r.code), (dose.client_id, Outcome::Applied, None));
    assert_eq!((r.beneficiary_id, r.dose), (Some(p.id), Some(1)));
    assert_eq!(r.reference_id.as_deref(), Some(p.reference_id.as_str()));

    // The same key and body: the saved answer, byte for byte, and nothing written again.
    let replay = s.apply_upload(&up, pack()).await.unwrap();
    assert_eq!(replay, UploadOutcome::Replayed(answer.clone()));
    assert_eq!(s.find_upload(up.key).await.unwrap(), Some((up.body_hash.clone(), answer.clone())));
    assert_eq!(s.find_upload(UploadKey::new()).await.unwrap(), None);
    // The same key with another body is refused.
    let other = SyncUpload { body_hash: "something else".into(), ..up.clone() };
    assert_eq!(s.apply_upload(&other, pack()).await.unwrap(), UploadOutcome::KeyReused);

    // The record again in another upload: a duplicate with the first result's fields.
    let arrival = site.record(RecordBody::Arrival { beneficiary_id: p.id });
    let again = site.send(vec![dose.clone(), arrival]).await;
    assert_eq!(again[0], RecordResult { outcome: Outcome::Duplicate, ..r.clone() });
    assert_eq!(again[1].outcome, Outcome::Applied);

    let doses = s.session_doses(site.session).await.unwrap();
    assert_eq!(doses.len(), 1);
    let d = &doses[0];
    assert_eq!(
        (d.id, d.beneficiary_id, d.dose, d.vaccine.as_str()),
        (dose.client_id, p.id, DoseNumber::FIRST, "COVISHIELD")
    );
    assert_eq!(
        (d.batch.as_deref(), d.at_ms, d.vaccinator_id),
        (Some("B1"), Some(dose.at_ms), Some(site.staff))
    );
    assert_eq!((d.walk_in, d.voided), (false, false));
    assert_eq!(site.roster_status(row).await, AppointmentStatus::Completed);
    assert_eq!(site.events("dose.recorded", dose.client_id).await, 1);
    let event = s.pending_events(100).await.unwrap();
    let event = event.iter().find(|e| e.kind == "dose.recorded").unwrap();
    let payload: serde_json::Value = serde_json::from_str(&event.payload).unwrap();
    assert_eq!(payload["beneficiary_id"], p.id.to_string());
    assert_eq!((payload["dose"].as_i64(), payload["batch"].as_str()), (Some(1), Some("B1")));
    let history = s.list_vaccinations(&[p.id]).await.unwrap();
    assert_eq!((history.len(), history[0].date), (1, session_date()));
}

async fn concurrent_retries_apply_each_record_once(backend: Backend) {
    let site = Arc::new(Site::new(backend).await);
    let (p, row) = site.booked_person("111122223333").await;
    let dose = site.dose(p.id, Some(row));
    // A retry racing its original (same key), and the same record under other keys.
    let same =
        upload(UploadKey::new(), site.staff, CenterId(1), site.device, vec![dose.clone()], NOW);
    let mut ups = vec![same.clone(), same.clone(), same];
    for _ in 0..3 {
        ups.push(upload(
            UploadKey::new(),
            site.staff,
            CenterId(1),
            site.device,
            vec![dose.clone()],
            NOW,
        ));
    }
    let tasks: Vec<_> = ups
        .into_iter()
        .map(|up| {
            let site = Arc::clone(&site);
            tokio::spawn(
                async move { (up.key, site.store().apply_upload(&up, pack()).await.unwrap()) },
            )
        })
        .collect();
    let mut by_key: std::collections::HashMap<UploadKey, Vec<UploadOutcome>> = Default::default();
    for t in tasks {
        let (key, outcome) = t.await.unwrap();
        by_key.entry(key).or_default().push(outcome);
    }
    let mut applied = 0;
    for outcomes in by_key.values() {
        let answers: Vec<&String> = outcomes
            .iter()
            .map(|o| match o {
                UploadOutcome::Applied(a) | UploadOutcome::Replayed(a) => a,
                UploadOutcome::KeyReused => panic!("same body"),
            })
            .collect();
        assert!(answers.iter().all(|a| *a == answers[0]), "one answer per key");
        let fresh = outcomes.iter().filter(|o| matches!(o, UploadOutcome::Applied(_))).count();
        assert_eq!(fresh, 1, "one upload applied per key");
        let parsed: UploadAnswer = serde_json::from_str(answers[0]).unwrap();
        if parsed.results[0].outcome == Outcome::Applied {
            applied += 1;
        } else {
            assert_eq!(parsed.results[0].outcome, Outcome::Duplicate);
        }
    }
    assert_eq!((by_key.len(), applied), (4, 1), "the record is applied by exactly one upload");
    assert_eq!(site.store().session_doses(site.session).await.unwrap().len(), 1);
    assert_eq!(site.events("dose.recorded", dose.client_id).await, 1);
}

async fn arrivals_and_aefi_reports_are_kept_once(backend: Backend) {
    let site = Site::new(backend).await;
    let s = site.store();
    let (p, row) = site.booked_person("111122223333").await;
    let first = site.record(RecordBody::Arrival { beneficiary_id: p.id });
    site.send(vec![first.clone()]).await;
    site.send(vec![site.record(RecordBody::Arrival { beneficiary_id: p.id })]).await;
    let arrivals = s.session_arrivals(site.session).await.unwrap();
    assert_eq!(arrivals, [Arrival { beneficiary_id: p.id, at_ms: first.at_ms }]);

    // A serious AEFI report before its dose: stored ahead, with its event.
    let dose = site.dose(p.id, Some(row));
    let aefi = site.record(RecordBody::Aefi {
        vaccination_client_id: dose.client_id,
        severity: AefiSeverity::Serious,
        symptoms: vec!["anaphylaxis".into()],
        notes: "Referred to the district hospital".into(),
    });
    let results = site.send(vec![aefi.clone()]).await;
    assert_eq!(
        (results[0].outcome, results[0].code),
        (Outcome::Applied, Some(SyncCode::StoredAhead))
    );
    let results = site.send(vec![dose.clone(), aefi]).await;
    assert_eq!((results[0].outcome, results[0].code), (Outcome::Applied, None));
    assert_eq!(results[1].outcome, Outcome::Duplicate);
    let serious = s.pending_events(100).await.unwrap();
    assert_eq!(serious.iter().filter(|e| e.kind == "aefi.serious").count(), 1);
}

async fn walk_ins_are_registered_under_the_facility_or_their_mobile(backend: Backend) {
    let site = Site::new(backend).await;
    let s = site.store();
    let a = site.walk_in(walk_in("999988887777", None));
    let b = site.walk_in(walk_in("999988886666", None));
    let c = site.walk_in(walk_in("999988885555", Some("9123456780")));
    let results = site.send(vec![a.clone(), b.clone(), c.clone()]).await;
    let find = |r: &RecordResult| {
        let reference = BeneficiaryRef::parse(r.reference_id.as_deref().unwrap()).unwrap();
        async move { s.find_beneficiary_by_ref(&reference).await.unwrap() }
    };
    let (pa, pb, pc) = (find(&results[0]).await, find(&results[1]).await, find(&results[2]).await);
    for (rec, person, r) in [(&a, &pa, &results[0]), (&b, &pb, &results[1]), (&c, &pc, &results[2])]
    {
        assert_eq!((r.outcome, r.code), (Outcome::Applied, None));
        assert_eq!(person.id.as_uuid(), rec.client_id.as_uuid(), "the walk-in id is the record id");
        assert_eq!(r.beneficiary_id, Some(person.id));
    }
    assert_eq!(
        (pa.name.as_str(), pa.birth_year, pa.photo_id_last4.as_str()),
        ("Ravi Kumar", 1980, "7777")
    );
    // Without a mobile: the facility's assisted account, shared, not a citizen's.
    assert_eq!(pa.account_id, pb.account_id);
    assert_ne!(pa.account_id, site.account);
    let assisted = s.list_beneficiaries(pa.account_id).await.unwrap();
    assert_eq!(assisted.iter().map(|x| x.id).collect::<Vec<_>>(), [pa.id, pb.id]);
    // With a mobile: that mobile's account.
    let (owner, created) =
        s.upsert_account(&Mobile::parse("9123456780").unwrap(), NOW).await.unwrap();
    assert!(!created);
    assert_eq!(pc.account_id, owner.id);

    // A walk-in whose photo id is registered already: merged, and their doses follow.
    let known =
        s.create_beneficiary(&person_record(site.account, "444455556666"), 4).await.unwrap();
    let merged = site.walk_in(walk_in("444455556666", None));
    let alias = BeneficiaryId::from_uuid(merged.client_id.as_uuid());
    let dose = site.dose(alias, None);
    let results = site.send(vec![merged]).await;
    assert_eq!(
        (results[0].code, results[0].beneficiary_id),
        (Some(SyncCode::MatchedExisting), Some(known.id))
    );
    assert_eq!(results[0].reference_id.as_deref(), Some(known.reference_id.as_str()));
    let results = site.send(vec![dose.clone()]).await;
    assert_eq!((results[0].outcome, results[0].beneficiary_id), (Outcome::Applied, Some(known.id)));
    assert_eq!(site.site_dose(dose.client_id).await.unwrap().beneficiary_id, known.id);
    assert!(site.site_dose(dose.client_id).await.unwrap().walk_in);
}

async fn an_undo_voids_the_dose_and_reopens_the_booking(backend: Backend) {
    let site = Site::new(backend).await;
    let s = site.store();
    let (p, row) = site.booked_person("111122223333").await;
    let dose = site.dose(p.id, Some(row));
    site.send(vec![dose.clone()]).await;
    assert_eq!(site.roster_status(row).await, AppointmentStatus::Completed);

    let undo = site.undo(dose.client_id);
    let results = site.send(vec![undo]).await;
    assert_eq!(
        (results[0].outcome, results[0].code, results[0].beneficiary_id),
        (Outcome::Applied, None, Some(p.id))
    );
    assert!(site.site_dose(dose.client_id).await.unwrap().voided);
    assert_eq!(site.roster_status(row).await, AppointmentStatus::Booked);
    assert!(s.list_vaccinations(&[p.id]).await.unwrap().is_empty(), "voided doses are no history");
    assert_eq!(site.events("dose.recorded", dose.client_id).await, 1);
    assert_eq!(site.events("dose.voided", dose.client_id).await, 1);
    // Undoing again changes nothing and announces nothing.
    site.send(vec![site.undo(dose.client_id)]).await;
    assert_eq!(site.events("dose.voided", dose.client_id).await, 1);

    // The dose given again is recorded and completes the booking again.
    let again = site.dose(p.id, Some(row));
    let results = site.send(vec![again.clone()]).await;
    assert_eq!((results[0].outcome, results[0].dose), (Outcome::Applied, Some(1)));
    assert_eq!(site.roster_status(row).await, AppointmentStatus::Completed);
    let history = s.list_vaccinations(&[p.id]).await.unwrap();
    assert_eq!(
        history.iter().map(|v| v.id.as_uuid()).collect::<Vec<_>>(),
        [again.client_id.as_uuid()]
    );
}

async fn undo_and_dose_again_in_one_upload_leave_the_booking_completed(backend: Backend) {
    let site = Site::new(backend).await;
    // All three in one upload.
    let (p, row) = site.booked_person("111122223333").await;
    let first = site.dose(p.id, Some(row));
    let undo = site.undo(first.client_id);
    let second = site.dose(p.id, Some(row));
    let results = site.send(vec![first.clone(), undo, second.clone()]).await;
    assert!(results.iter().all(|r| r.outcome == Outcome::Applied), "{results:?}");
    assert!(site.site_dose(first.client_id).await.unwrap().voided);
    assert!(!site.site_dose(second.client_id).await.unwrap().voided);
    assert_eq!(site.roster_status(row).await, AppointmentStatus::Completed);

    // The dose first, then the undo and the dose again (not naming the booking).
    let (q, row) = site.booked_person("444455556666").await;
    let first = site.dose(q.id, None);
    site.send(vec![first.clone()]).await;
    let results = site.send(vec![site.undo(first.client_id), site.dose(q.id, None)]).await;
    assert!(results.iter().all(|r| r.outcome == Outcome::Applied), "{results:?}");
    assert_eq!(site.roster_status(row).await, AppointmentStatus::Completed);
}

async fn accepting_after_an_undone_earlier_dose_never_reuses_a_held_number(backend: Backend) {
    let site = Site::new(backend).await;
    let s = site.store();
    let (p, _) = site.booked_person("111122223333").await;
    // Dose 1 from an earlier session at this facility, dose 2 today.
    let earlier = RecordId::new();
    s.record_vaccination(&Vaccination {
        id: tika_domain::ids::VaccinationId::from_uuid(earlier.as_uuid()),
        beneficiary_id: p.id,
        dose: DoseNumber::FIRST,
        vaccine: covishield(),
        date: session_date() - chrono::Duration::days(90),
        center_id: Some(CenterId(1)),
    })
    .await
    .unwrap();
    let mut second = site.dose(p.id, None);
    if let RecordBody::Dose(d) = &mut second.body {
        d.dose = DoseNumber::SECOND;
    }
    let again = site.dose(p.id, None); // dose 1 again: SYNC0201
    let results = site.send(vec![second, again.clone()]).await;
    assert_eq!(
        (results[0].outcome, results[1].code),
        (Outcome::Applied, Some(SyncCode::AlreadyVaccinated))
    );
    // The earlier dose 1 is undone: the history holds dose 2 only.
    site.send(vec![site.undo(earlier)]).await;
    let item = ReviewId::from_uuid(again.client_id.as_uuid());
    let accepted = s.resolve_review(item, ReviewAction::Accept, "ok", "cli", NOW, pack()).await;
    assert_eq!(accepted.unwrap().status, ReviewStatus::Accepted);
    let doses: Vec<u8> =
        s.list_vaccinations(&[p.id]).await.unwrap().iter().map(|v| v.dose.get()).collect();
    assert_eq!(doses, [2, 3]);
}

async fn a_dose_undone_before_it_arrives_is_stored_voided_without_an_event(backend: Backend) {
    let site = Site::new(backend).await;
    let s = site.store();
    let (p, row) = site.booked_person("111122223333").await;
    let dose = site.dose(p.id, Some(row));
    let results = site.send(vec![site.undo(dose.client_id)]).await;
    assert_eq!(
        (results[0].outcome, results[0].code),
        (Outcome::Applied, Some(SyncCode::StoredAhead))
    );
    let results = site.send(vec![dose.clone()]).await;
    assert_eq!(
        (results[0].outcome, results[0].code, results[0].review_id),
        (Outcome::Applied, Some(SyncCode::StoredAhead), None)
    );
    assert!(site.site_dose(dose.client_id).await.unwrap().voided);
    assert_eq!(site.events("dose.recorded", dose.client_id).await, 0);
    assert_eq!(site.events("dose.voided", dose.client_id).await, 0);
    assert!(s.list_reviews(&ReviewFilter::default()).await.unwrap().is_empty());
    assert!(s.list_vaccinations(&[p.id]).await.unwrap().is_empty());
    assert_eq!(site.roster_status(row).await, AppointmentStatus::Booked);
}

async fn review_items_are_listed_and_resolved_once(backend: Backend) {
    let site = Site::new(backend).await;
    let s = site.store();
    let (p, _) = site.booked_person("111122223333").await;
    let (q, _) = site.booked_person("444455556666").await;
    let given = site.dose(p.id, None);
    let twice = site.dose(p.id, None); // another device, same person: SYNC0201
    let mut bad_batch = site.dose(q.id, None);
    if let RecordBody::Dose(d) = &mut bad_batch.body {
        d.batch = "NOT-ISSUED".into();
    }
    let third = site.dose(p.id, None);
    let results = site.send(vec![given, twice.clone(), bad_batch.clone(), third.clone()]).await;
    let outcomes: Vec<_> = results.iter().map(|r| (r.outcome, r.code)).collect();
    assert_eq!(
        outcomes,
        [
            (Outcome::Applied, None),
            (Outcome::Review, Some(SyncCode::AlreadyVaccinated)),
            (Outcome::Review, Some(SyncCode::BatchNotIssued)),
            (Outcome::Review, Some(SyncCode::AlreadyVaccinated)),
        ]
    );
    let id_of = |r: &SiteRecord| ReviewId::from_uuid(r.client_id.as_uuid());
    assert_eq!(results[1].review_id, Some(id_of(&twice)));

    let open = ReviewFilter {
        center: Some(CenterId(1)),
        status: Some(ReviewStatus::Open),
        ..Default::default()
    };
    let listed = s.list_reviews(&open).await.unwrap();
    assert_eq!(
        listed.iter().map(|i| i.id).collect::<Vec<_>>(),
        [id_of(&twice), id_of(&bad_batch), id_of(&third)]
    );
    assert_eq!(
        (listed[1].record.clone(), listed[1].code, listed[1].center_id),
        (bad_batch.clone(), SyncCode::BatchNotIssued, CenterId(1))
    );
    assert_eq!(
        (
            listed[1].resolution_note.clone(),
            listed[1].resolved_by.clone(),
            listed[1].resolved_at_ms
        ),
        (None, None, None)
    );
    let by_session = ReviewFilter { session: Some(site.session), ..Default::default() };
    assert_eq!(s.list_reviews(&by_session).await.unwrap().len(), 3);
    let elsewhere = ReviewFilter { center: Some(CenterId(2)), ..Default::default() };
    assert!(s.list_reviews(&elsewhere).await.unwrap().is_empty());

    // Accept: the dose is recorded, and the record's remembered result becomes applied.
    let accepted = s
        .resolve_review(
            id_of(&bad_batch),
            ReviewAction::Accept,
            "batch checked by phone",
            "cli",
            NOW + 5,
            pack(),
        )
        .await
        .unwrap();
    assert_eq!(accepted.status, ReviewStatus::Accepted);
    assert_eq!(
        (
            accepted.resolution_note.as_deref(),
            accepted.resolved_by.as_deref(),
            accepted.resolved_at_ms
        ),
        (Some("batch checked by phone"), Some("cli"), Some(NOW + 5))
    );
    assert_eq!(s.find_review(id_of(&bad_batch)).await.unwrap().status, ReviewStatus::Accepted);
    let history = s.list_vaccinations(&[q.id]).await.unwrap();
    assert_eq!(
        history.iter().map(|v| v.id.as_uuid()).collect::<Vec<_>>(),
        [bad_batch.client_id.as_uuid()]
    );
    assert_eq!(site.events("dose.recorded", bad_batch.client_id).await, 1);
    let resent = site.send(vec![bad_batch.clone()]).await;
    assert_eq!(
        (resent[0].outcome, resent[0].code, resent[0].dose),
        (Outcome::Duplicate, None, Some(1))
    );

    // Accepting "already vaccinated" records the dose after the history: dose 2.
    s.resolve_review(
        id_of(&third),
        ReviewAction::Accept,
        "second dose",
        "staff:x",
        NOW + 6,
        pack(),
    )
    .await
    .unwrap();
    let doses: Vec<u8> =
        s.list_vaccinations(&[p.id]).await.unwrap().iter().map(|v| v.dose.get()).collect();
    assert_eq!(doses, [1, 2]);

    // Discard: nothing recorded, the item stays with its decision.
    let discarded = s
        .resolve_review(
            id_of(&twice),
            ReviewAction::Discard,
            "double entry",
            "cli",
            NOW + 7,
            pack(),
        )
        .await
        .unwrap();
    assert_eq!(discarded.status, ReviewStatus::Discarded);
    assert!(site.site_dose(twice.client_id).await.is_none());
    assert_eq!(s.list_reviews(&open).await.unwrap().len(), 0);
    let all = s
        .list_reviews(&ReviewFilter { center: Some(CenterId(1)), ..Default::default() })
        .await
        .unwrap();
    assert_eq!(all.len(), 3);

    for id in [id_of(&twice), id_of(&bad_batch)] {
        for action in [ReviewAction::Accept, ReviewAction::Discard] {
            let res = s.resolve_review(id, action, "again", "cli", NOW + 8, pack()).await;
            assert!(
                matches!(res, Err(StorageError::Conflict(ConflictKind::ReviewClosed))),
                "{res:?}"
            );
        }
    }
    let missing =
        s.resolve_review(ReviewId::new(), ReviewAction::Discard, "", "cli", NOW, pack()).await;
    assert!(matches!(missing, Err(StorageError::NotFound)), "{missing:?}");
    assert!(matches!(s.find_review(ReviewId::new()).await, Err(StorageError::NotFound)));
}

async fn an_undo_of_a_dose_in_review_discards_the_item(backend: Backend) {
    let site = Site::new(backend).await;
    let s = site.store();
    // A dose for a person the server never had: review SYNC0206.
    let dose = site.dose(BeneficiaryId::new(), None);
    let results = site.send(vec![dose.clone()]).await;
    assert_eq!(results[0].code, Some(SyncCode::UnknownBeneficiary));
    let results = site.send(vec![site.undo(dose.client_id)]).await;
    assert_eq!(
        (results[0].outcome, results[0].code),
        (Outcome::Applied, Some(SyncCode::StoredAhead))
    );
    let item = s.find_review(ReviewId::from_uuid(dose.client_id.as_uuid())).await.unwrap();
    assert_eq!((item.status, item.resolved_by.as_deref()), (ReviewStatus::Discarded, Some("site")));
    assert_eq!(
        item.resolution_note.as_deref(),
        Some("Undone at the site: recorded for the wrong person")
    );
}

async fn the_access_log_is_written_and_listed_newest_first(backend: Backend) {
    let site = Site::new(backend).await;
    let s = site.store();
    let entry = |action: &str, at_ms: i64| AccessEntry {
        staff_id: site.staff,
        center_id: CenterId(1),
        session_id: Some(site.session),
        action: action.into(),
        detail: "appointments=42".into(),
        at_ms,
    };
    s.log_access(&entry("bundle", NOW)).await.unwrap();
    s.log_access(&entry("list_pdf", NOW + 10)).await.unwrap();
    s.log_access(&AccessEntry { session_id: None, center_id: CenterId(2), ..entry("search", NOW) })
        .await
        .unwrap();
    let listed = s.list_access(CenterId(1), 10).await.unwrap();
    assert_eq!(
        listed.iter().map(|e| e.action.as_str()).collect::<Vec<_>>(),
        ["list_pdf", "bundle"]
    );
    let e = &listed[1];
    assert_eq!(
        (e.staff_id, e.center_id, e.session_id, e.detail.as_str(), e.at_ms),
        (site.staff, CenterId(1), Some(site.session), "appointments=42", NOW)
    );
    assert_eq!(s.list_access(CenterId(1), 1).await.unwrap().len(), 1);
    let other = s.list_access(CenterId(2), 10).await.unwrap();
    assert_eq!((other.len(), other[0].session_id), (1, None));
}

/// The reports' side of a site: recorded doses are counted by the fold, an undo takes its dose
/// out again, and the session's report counts booked, arrived, walk-ins, vaccinated and doses.
async fn site_doses_are_counted_in_reports_and_undone_out_of_them(backend: Backend) {
    use tika_domain::admin::Area;
    use tika_domain::reports::{GroupBy, ReportFilter, ReportQuery};
    let site = Site::new(backend).await;
    let s = site.store();
    let classify: PriorityClassifier = Arc::new(|_: &FoldFacts| None);
    let (p1, row1) = site.booked_person("111122223333").await;
    let (_p2, _row2) = site.booked_person("444455556666").await;
    let arrival = site.record(RecordBody::Arrival { beneficiary_id: p1.id });
    let dose = site.dose(p1.id, Some(row1));
    let w = site.walk_in(walk_in("999988887777", None));
    let walk_in_dose = site.record(RecordBody::Dose(DoseRecord {
        beneficiary_id: BeneficiaryId::from_uuid(w.client_id.as_uuid()),
        walk_in: None,
        appointment_id: None,
        vaccine: covishield(),
        batch: "B1".into(),
        dose: DoseNumber::FIRST,
        vaccinator_id: site.staff,
    }));
    let results = site.send(vec![arrival, dose.clone(), w, walk_in_dose]).await;
    assert!(results.iter().all(|r| r.outcome == Outcome::Applied), "{results:?}");
    assert_eq!(s.pending_doses().await.unwrap(), 2);
    let folded = s.fold_doses(100, Arc::clone(&classify)).await.unwrap();
    assert_eq!((folded.doses, folded.counted, folded.more), (2, 2, false));

    let total = ReportQuery {
        filter: ReportFilter::nation(session_date(), session_date()),
        group_by: GroupBy::Total,
    };
    let doses = |rows: Vec<tika_domain::reports::ReportRow>| rows[0].doses;
    assert_eq!(doses(s.report(&total).await.unwrap()), 2);
    let counted = s.counted_doses(&Area::National).await.unwrap();
    // The booked woman born 1985 (41 on the day) and the walk-in man born 1980 (46).
    let keys: Vec<(i64, &str, i64)> =
        counted.iter().map(|(k, n)| (k.gender_id, k.age_group.as_str(), *n)).collect();
    assert_eq!(keys, [(2, "18-44", 1), (1, "45-59", 1)]);
    assert!(counted.iter().all(|(k, _)| k.center == CenterId(1) && k.block == "BLOCK A"));

    let report = s.session_counts(site.session).await.unwrap();
    assert_eq!(report.session, site.session);
    let c = report.counts;
    assert_eq!(
        (c.planned, c.booked, c.arrived_booked, c.walk_ins, c.vaccinated, c.doses_given),
        (100, 2, 1, 1, 2, 2)
    );
    assert_eq!((c.vials_opened, c.doses_per_vial, c.messages_sent), (0, None, 0));
    let listed =
        s.facility_session_counts(CenterId(1), session_date(), session_date()).await.unwrap();
    assert_eq!(listed, vec![report]);

    // The undo reaches the counters at the next fold.
    site.send(vec![site.undo(dose.client_id)]).await;
    assert_eq!(s.pending_doses().await.unwrap(), 1);
    let folded = s.fold_doses(100, classify).await.unwrap();
    assert_eq!((folded.doses, folded.uncounted), (1, 1));
    assert_eq!(doses(s.report(&total).await.unwrap()), 1);
    assert_eq!(s.session_counts(site.session).await.unwrap().counts.doses_given, 1);
}

on_both_backends!(
    staff_are_created_found_and_listed,
    batches_are_issued_once_per_facility,
    center_sessions_and_the_roster_carry_what_a_site_needs,
    an_upload_is_applied_once_and_replayed_byte_for_byte,
    concurrent_retries_apply_each_record_once,
    arrivals_and_aefi_reports_are_kept_once,
    walk_ins_are_registered_under_the_facility_or_their_mobile,
    an_undo_voids_the_dose_and_reopens_the_booking,
    undo_and_dose_again_in_one_upload_leave_the_booking_completed,
    accepting_after_an_undone_earlier_dose_never_reuses_a_held_number,
    a_dose_undone_before_it_arrives_is_stored_voided_without_an_event,
    review_items_are_listed_and_resolved_once,
    an_undo_of_a_dose_in_review_discards_the_item,
    the_access_log_is_written_and_listed_newest_first,
    site_doses_are_counted_in_reports_and_undone_out_of_them,
);
