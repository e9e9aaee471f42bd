//! The storage contract of certificates: events turned into one live certificate per dose and
//! kind, reissues, revocations and the revocation list, corrections, merges, retries and the
//! read-only store, run on SQLite and on PostgreSQL.  Every test checks what was persisted.
#![allow(clippy::unwrap_used, reason = "a test fails loudly on the first unexpected error")]

use std::sync::{Arc, OnceLock};

use chrono::NaiveDate;
use tika_domain::country::CountryPack;
use tika_domain::ids::{
    AccountId, AppointmentId, BeneficiaryId, CenterId, DeviceId, OtpTxnId, RecordId, SessionId,
    StaffId, UploadKey, VaccinationId,
};
use tika_domain::mobile::Mobile;
use tika_domain::session::{SecurityCode, Slot};
use tika_domain::staff::StaffRole;
use tika_domain::sync::{DoseRecord, RecordBody, SiteRecord};
use tika_domain::vaccine::{DoseNumber, VaccineCode};
use tika_storage::*;
use tika_test_support::{
    NOW, TestDb, center, covishield_session, fake_certificate, new_staff, on_both_backends,
    person_record, upload,
};

const DOSE_KINDS: [&str; 3] = ["dose.recorded", "certificate.reissue", "dose.voided"];

fn pack() -> Arc<CountryPack> {
    static PACK: OnceLock<Arc<CountryPack>> = OnceLock::new();
    Arc::clone(PACK.get_or_init(|| Arc::new(tika_packs::india().unwrap())))
}

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, d).unwrap()
}

fn covishield() -> VaccineCode {
    VaccineCode::parse("COVISHIELD").unwrap()
}

struct World {
    db: TestDb,
    account: AccountId,
    session: SessionId,
    staff: StaffId,
}

impl World {
    async fn new(backend: Backend) -> Self {
        let db = TestDb::new(backend).await;
        db.store.insert_centers(&[center(1), center(2)]).await.unwrap();
        let s = covishield_session(1, day(10));
        db.store.insert_sessions(std::slice::from_ref(&s)).await.unwrap();
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
        let staff =
            db.store.create_staff(&new_staff(1, "vax.one", StaffRole::Vaccinator)).await.unwrap();
        let (account, _) =
            db.store.upsert_account(&Mobile::parse("9876543210").unwrap(), NOW).await.unwrap();
        Self { db, account: account.id, session: s.id, staff: staff.id }
    }

    fn store(&self) -> &Arc<SqlStore> {
        &self.db.store
    }

    async fn person(&self, id_number: &str) -> Beneficiary {
        self.store().create_beneficiary(&person_record(self.account, id_number), 6).await.unwrap()
    }

    async fn person_born(&self, id_number: &str, year: i32) -> Beneficiary {
        let mut r = person_record(self.account, id_number);
        r.birth_year = year;
        self.store().create_beneficiary(&r, 6).await.unwrap()
    }

    /// Records a dose through the CoWIN-era path.
    async fn dose(&self, who: BeneficiaryId, dose: u8, date: NaiveDate) -> VaccinationId {
        let id = VaccinationId::new();
        self.store()
            .record_vaccination(&Vaccination {
                id,
                beneficiary_id: who,
                dose: DoseNumber::new(i64::from(dose)).unwrap(),
                vaccine: covishield(),
                date,
                center_id: Some(CenterId(1)),
            })
            .await
            .unwrap();
        id
    }

    /// Claims due events of the certificate kinds at `now`.
    async fn claim(&self, now: i64) -> Vec<OutboxEvent> {
        self.store().claim_events(&DOSE_KINDS, 100, now).await.unwrap()
    }

    /// Issues the domestic certificate of a dose from its facts, under `event`.
    async fn issue(
        &self,
        event: Option<uuid::Uuid>,
        vaccination: VaccinationId,
        id: &str,
    ) -> IssueOutcome {
        let facts = self.store().certificate_facts(vaccination).await.unwrap();
        let cert = fake_certificate(id, &facts, CertificateKind::Domestic, NOW + 10);
        self.store().issue_certificate(event, &cert, "system").await.unwrap()
    }

    /// Issues certificates for every due event, like the server's job; returns the ids issued.
    async fn process_all(&self, next_id: &mut u64) -> Vec<String> {
        let mut issued = Vec::new();
        for event in self.claim(NOW + 60_000).await {
            let payload: serde_json::Value = serde_json::from_str(&event.payload).unwrap();
            let vaccination: VaccinationId =
                payload["vaccination_id"].as_str().unwrap().parse().unwrap();
            *next_id += 1;
            let id = format!("{:011}", *next_id);
            if let IssueOutcome::Issued(c) = self.issue(Some(event.id), vaccination, &id).await {
                issued.push(c.certificate_id);
            }
        }
        issued
    }

    async fn pending(&self, kind: &str) -> Vec<OutboxEvent> {
        let all = self.store().pending_events(10_000).await.unwrap();
        all.into_iter().filter(|e| e.kind == kind).collect()
    }

    async fn audit_actions(&self, subject: BeneficiaryId) -> Vec<String> {
        let entries = self.store().list_audit(&subject.to_string(), 100).await.unwrap();
        entries.into_iter().map(|e| e.action).collect()
    }

    async fn beneficiary(&self, id: BeneficiaryId) -> Beneficiary {
        let mut found = self.store().find_beneficiaries(&[id]).await.unwrap();
        assert_eq!(found.len(), 1, "beneficiary {id} not found");
        found.remove(0)
    }

    /// Books `who` into the session for `dose`; returns the booking id.
    async fn book(&self, who: BeneficiaryId, dose: DoseNumber) -> AppointmentId {
        let booking = NewBooking {
            booking_id: AppointmentId::new(),
            account_id: self.account,
            session_id: self.session,
            dose,
            slot: Slot::from_label("09:00AM-11:00AM"),
            policy_version: "IN-2021-05-01".into(),
            members: vec![BookingMember {
                beneficiary_id: who,
                security_code: SecurityCode::from_random(4821),
            }],
            now_ms: NOW,
        };
        self.store().book(&booking).await.unwrap();
        booking.booking_id
    }

    fn site_record(&self, body: RecordBody, at_ms: i64) -> SiteRecord {
        SiteRecord {
            client_id: RecordId::new(),
            session_id: self.session,
            at_ms,
            staff_id: self.staff,
            body,
        }
    }

    async fn send(&self, records: Vec<SiteRecord>) {
        let up = upload(UploadKey::new(), self.staff, CenterId(1), DeviceId::new(), records, NOW);
        let outcome = self.store().apply_upload(&up, pack()).await.unwrap();
        assert!(matches!(outcome, UploadOutcome::Applied(_)), "{outcome:?}");
    }
}

fn correction(who: BeneficiaryId, change: CorrectionChange) -> NewCorrection {
    NewCorrection {
        id: uuid::Uuid::now_v7(),
        beneficiary_id: who,
        change,
        reason: "typo at registration".into(),
        requested_by: "citizen:test".into(),
        requested_at_ms: NOW,
    }
}

async fn a_recorded_dose_becomes_one_certificate(backend: Backend) {
    let w = World::new(backend).await;
    let p = w.person("111122223333").await;
    let v = w.dose(p.id, 1, day(10)).await;

    // record_vaccination wrote exactly one dose.recorded event, with the site payload's shape.
    let events = w.claim(NOW).await;
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(
        (e.kind.as_str(), e.subject_id.clone(), e.attempts),
        ("dose.recorded", v.to_string(), 0)
    );
    let payload: serde_json::Value = serde_json::from_str(&e.payload).unwrap();
    let mut keys: Vec<&str> = payload.as_object().unwrap().keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(
        keys,
        [
            "batch",
            "beneficiary_id",
            "center_id",
            "date",
            "dose",
            "given_at",
            "session_id",
            "vaccination_id",
            "vaccinator_id",
            "vaccine"
        ]
    );
    assert_eq!(payload["vaccination_id"], v.to_string());
    assert_eq!(payload["dose"], 1);

    let facts = w.store().certificate_facts(v).await.unwrap();
    assert_eq!((facts.beneficiary_id, facts.dose, facts.date), (p.id, 1, day(10)));
    assert_eq!(
        (facts.name.as_str(), facts.birth_year, facts.photo_id_last4.as_str()),
        ("Asha Rao", 1985, "3333")
    );
    assert_eq!((facts.center_name.as_deref(), facts.pincode), (Some("PHC 1"), Some(400051)));
    assert_eq!(
        (facts.vaccinator_name.clone(), facts.batch.clone(), facts.voided_at_ms),
        (None, None, None)
    );
    assert!(matches!(
        w.store().certificate_facts(VaccinationId::new()).await,
        Err(StorageError::NotFound)
    ));

    let outcome = w.issue(Some(e.id), v, "10000000001").await;
    let IssueOutcome::Issued(cert) = outcome else { panic!("expected Issued, got {outcome:?}") };
    assert!(w.claim(NOW).await.is_empty(), "the event is processed");

    let stored = w.store().find_certificate("10000000001").await.unwrap();
    assert_eq!(stored, cert);
    assert_eq!(
        (stored.vaccination_id, stored.dose, stored.kind),
        (v, 1, CertificateKind::Domestic)
    );
    assert!(stored.credential.contains("10000000001"));
    assert_eq!(w.store().list_certificates(p.id).await.unwrap(), vec![cert.clone()]);
    assert_eq!(w.store().live_certificates_for_beneficiaries(&[p.id]).await.unwrap(), vec![cert]);
    assert!(matches!(w.store().find_certificate("99999999999").await, Err(StorageError::NotFound)));
    assert_eq!(w.audit_actions(p.id).await, ["certificate.issue"]);

    // The notification module's event.
    let issued = w.pending("certificate.issued").await;
    assert_eq!(issued.len(), 1);
    let payload: serde_json::Value = serde_json::from_str(&issued[0].payload).unwrap();
    assert_eq!(payload["certificate_id"], "10000000001");
    assert_eq!(payload["beneficiary_id"], p.id.to_string());
    assert_eq!(payload["dose"], 1);
    // Claiming by kind leaves other consumers' events alone.
    assert!(w.claim(NOW).await.is_empty());
}

async fn site_doses_carry_their_facts(backend: Backend) {
    let w = World::new(backend).await;
    let p = w.person("111122223333").await;
    let rec = w.site_record(
        RecordBody::Dose(DoseRecord {
            beneficiary_id: p.id,
            walk_in: None,
            appointment_id: None,
            vaccine: covishield(),
            batch: "B1".into(),
            dose: DoseNumber::FIRST,
            vaccinator_id: w.staff,
        }),
        NOW + 5,
    );
    let v: VaccinationId = rec.client_id.to_string().parse().unwrap();
    w.send(vec![rec]).await;
    let events = w.claim(NOW).await;
    assert_eq!(events.len(), 1);
    let mut facts = w.store().certificate_facts(v).await.unwrap();
    assert_eq!(facts.vaccinator_name.as_deref(), Some("Staff vax.one"));
    assert_eq!(
        (facts.batch.as_deref(), facts.session_id, facts.given_at_ms),
        (Some("B1"), Some(w.session), Some(NOW + 5))
    );
    assert_eq!(facts.district_id.map(|d| d.0), Some(395));
    assert_eq!(facts.district_name, None);
    facts.name_places(&pack());
    assert!(facts.district_name.is_some() && facts.state_name.is_some());
    assert!(!format!("{facts:?}").contains("Asha"), "Debug never prints the name");
    let IssueOutcome::Issued(_) = w.issue(Some(events[0].id), v, "10000000002").await else {
        panic!("expected Issued")
    };
}

async fn issuing_twice_keeps_one_live_certificate(backend: Backend) {
    let w = World::new(backend).await;
    let p = w.person("111122223333").await;
    let v = w.dose(p.id, 1, day(10)).await;
    let event = w.claim(NOW).await[0].id;

    // Sequential: the second issue (a retried job) finds the first.
    let first = w.issue(Some(event), v, "10000000001").await;
    let again = w.issue(Some(event), v, "10000000002").await;
    assert_eq!(again, IssueOutcome::AlreadyIssued(first.certificate().clone()));
    let again = w.issue(None, v, "10000000003").await;
    assert!(matches!(again, IssueOutcome::AlreadyIssued(_)));
    assert!(matches!(w.store().find_certificate("10000000002").await, Err(StorageError::NotFound)));

    // Concurrent, from two processes (two writers on one database), for another dose.
    let p2 = w.person("444455556666").await;
    let v2 = w.dose(p2.id, 1, day(10)).await;
    let other = w.db.second_store().await;
    let facts = w.store().certificate_facts(v2).await.unwrap();
    let a = fake_certificate("20000000001", &facts, CertificateKind::Domestic, NOW);
    let b = fake_certificate("20000000002", &facts, CertificateKind::Domestic, NOW);
    let (ra, rb) = tokio::join!(
        w.store().issue_certificate(None, &a, "system"),
        other.issue_certificate(None, &b, "system"),
    );
    let outcomes = [ra.unwrap(), rb.unwrap()];
    let issued = outcomes.iter().filter(|o| matches!(o, IssueOutcome::Issued(_))).count();
    assert_eq!(issued, 1, "{outcomes:?}");
    assert_eq!(outcomes[0].certificate(), outcomes[1].certificate());
    let live = w.store().live_certificates_for_beneficiaries(&[p2.id]).await.unwrap();
    assert_eq!(live.len(), 1);
    assert_eq!(w.store().list_certificates(p2.id).await.unwrap().len(), 1);

    // Concurrent on one store, for a third dose.
    let p3 = w.person("777788889999").await;
    let v3 = w.dose(p3.id, 1, day(10)).await;
    let facts = w.store().certificate_facts(v3).await.unwrap();
    let certs: Vec<NewCertificate> = (0..4)
        .map(|i| {
            fake_certificate(&format!("3000000000{i}"), &facts, CertificateKind::Domestic, NOW)
        })
        .collect();
    let results = futures::future::join_all(
        certs.iter().map(|c| w.store().issue_certificate(None, c, "system")),
    )
    .await;
    let issued = results.iter().filter(|r| matches!(r, Ok(IssueOutcome::Issued(_)))).count();
    assert_eq!(issued, 1);
    assert_eq!(w.store().list_certificates(p3.id).await.unwrap().len(), 1);

    // A certificate id already used is a conflict, and nothing is written.
    let p4 = w.person("121212121212").await;
    let v4 = w.dose(p4.id, 1, day(10)).await;
    let facts = w.store().certificate_facts(v4).await.unwrap();
    let dup = fake_certificate("10000000001", &facts, CertificateKind::Domestic, NOW);
    assert!(matches!(
        w.store().issue_certificate(None, &dup, "system").await,
        Err(StorageError::Conflict(ConflictKind::CertificateIdTaken))
    ));
    assert!(w.store().list_certificates(p4.id).await.unwrap().is_empty());
    assert_eq!(w.audit_actions(p4.id).await.len(), 0);
    // Stale facts (another beneficiary or dose number) are refused.
    let mut stale = fake_certificate("40000000001", &facts, CertificateKind::Domestic, NOW);
    stale.dose = 2;
    assert!(matches!(
        w.store().issue_certificate(None, &stale, "system").await,
        Err(StorageError::Conflict(ConflictKind::CertificateFactsChanged))
    ));
}

async fn a_reissue_supersedes_the_live_certificate(backend: Backend) {
    let w = World::new(backend).await;
    let p = w.person("111122223333").await;
    let v = w.dose(p.id, 1, day(10)).await;
    let mut next = 10_000_000_000;
    assert_eq!(w.process_all(&mut next).await.len(), 1);
    let old = w.store().list_certificates(p.id).await.unwrap().remove(0);
    assert_eq!(w.store().revocation_version().await.unwrap(), 0);

    let req = w
        .store()
        .request_correction(&correction(p.id, CorrectionChange::Name("Asha R. Rao".into())))
        .await
        .unwrap();
    w.store()
        .decide_correction(req.id, CorrectionDecision::Approve, "staff:x", "ok", NOW + 1)
        .await
        .unwrap();
    let reissues = w.claim(NOW + 1).await;
    assert_eq!(reissues.len(), 1);
    assert_eq!(reissues[0].kind, "certificate.reissue");
    let payload: serde_json::Value = serde_json::from_str(&reissues[0].payload).unwrap();
    assert_eq!(
        (payload["vaccination_id"].as_str(), payload["kind"].as_str()),
        (Some(v.to_string().as_str()), Some("domestic"))
    );

    let new = w.issue(Some(reissues[0].id), v, "10000000099").await;
    let IssueOutcome::Issued(new) = new else { panic!("expected Issued, got {new:?}") };
    assert_eq!(w.store().certificate_facts(v).await.unwrap().name, "Asha R. Rao");
    let old_now = w.store().find_certificate(&old.certificate_id).await.unwrap();
    assert_eq!(old_now.revoke_reason.as_deref(), Some("superseded"));
    assert_eq!(old_now.replaced_by.as_deref(), Some("10000000099"));
    assert_eq!(old_now.revoked_at_ms, Some(NOW + 10));
    let revs = w.store().list_revocations(0).await.unwrap();
    assert_eq!(revs.len(), 1);
    assert_eq!(
        (revs[0].certificate_id.as_str(), revs[0].reason.as_str()),
        (old.certificate_id.as_str(), "superseded")
    );
    assert_eq!(w.store().revocation_version().await.unwrap(), revs[0].seq);
    let listed = w.store().list_certificates(p.id).await.unwrap();
    assert_eq!(listed.iter().filter(|c| c.is_live()).count(), 1);
    assert_eq!(listed.iter().find(|c| c.is_live()).unwrap().certificate_id, new.certificate_id);

    // The same reissue event handled again (a doubled job) supersedes nothing more.
    let again = w.issue(Some(reissues[0].id), v, "10000000100").await;
    assert_eq!(again, IssueOutcome::AlreadyIssued(new));
    assert_eq!(w.store().list_certificates(p.id).await.unwrap().len(), 2);
    assert_eq!(w.store().list_revocations(0).await.unwrap().len(), 1);
}

async fn revoking_is_idempotent_and_versions_the_list(backend: Backend) {
    let w = World::new(backend).await;
    let p = w.person("111122223333").await;
    let v1 = w.dose(p.id, 1, day(1)).await;
    let v2 = w.dose(p.id, 2, day(10)).await;
    let mut next = 10_000_000_000;
    assert_eq!(w.process_all(&mut next).await.len(), 2);
    let c1 = w
        .store()
        .list_certificates(p.id)
        .await
        .unwrap()
        .into_iter()
        .find(|c| c.vaccination_id == v1)
        .unwrap();

    let r = w
        .store()
        .revoke_certificate(&c1.certificate_id, "issued in error", "cli", NOW + 100)
        .await
        .unwrap();
    assert_eq!(
        (r.revoked_at_ms, r.revoke_reason.as_deref()),
        (Some(NOW + 100), Some("issued in error"))
    );
    let v_after_one = w.store().revocation_version().await.unwrap();
    assert!(v_after_one > 0);
    let again = w
        .store()
        .revoke_certificate(&c1.certificate_id, "other reason", "cli", NOW + 200)
        .await
        .unwrap();
    assert_eq!(again, r, "revoking twice changes nothing");
    assert_eq!(w.store().revocation_version().await.unwrap(), v_after_one);
    assert!(matches!(
        w.store().revoke_certificate("00000000000", "x", "cli", NOW).await,
        Err(StorageError::NotFound)
    ));

    let ids =
        w.store().revoke_for_vaccination(v2, "dose voided", "system", NOW + 300).await.unwrap();
    assert_eq!(ids.len(), 1);
    assert!(
        w.store()
            .revoke_for_vaccination(v2, "dose voided", "system", NOW + 400)
            .await
            .unwrap()
            .is_empty()
    );
    let version = w.store().revocation_version().await.unwrap();
    assert!(version > v_after_one);
    let newer = w.store().list_revocations(v_after_one).await.unwrap();
    assert_eq!(newer.iter().map(|r| r.certificate_id.clone()).collect::<Vec<_>>(), ids);
    assert_eq!(w.store().list_revocations(0).await.unwrap().len(), 2);
    assert!(w.store().live_certificates_for_beneficiaries(&[p.id]).await.unwrap().is_empty());
    let actions = w.audit_actions(p.id).await;
    assert_eq!(actions.iter().filter(|a| *a == "certificate.revoke").count(), 2);
}

async fn a_voided_dose_gets_no_certificate(backend: Backend) {
    let w = World::new(backend).await;
    let p = w.person("111122223333").await;
    let dose = w.site_record(
        RecordBody::Dose(DoseRecord {
            beneficiary_id: p.id,
            walk_in: None,
            appointment_id: None,
            vaccine: covishield(),
            batch: "B1".into(),
            dose: DoseNumber::FIRST,
            vaccinator_id: w.staff,
        }),
        NOW + 5,
    );
    let v: VaccinationId = dose.client_id.to_string().parse().unwrap();
    w.send(vec![dose.clone()]).await;
    let recorded = w.claim(NOW).await;
    let IssueOutcome::Issued(cert) = w.issue(Some(recorded[0].id), v, "10000000001").await else {
        panic!("expected Issued")
    };
    let undo = w.site_record(
        RecordBody::Undo { vaccination_client_id: dose.client_id, reason: "wrong person".into() },
        NOW + 6,
    );
    w.send(vec![undo]).await;
    let voided = w.claim(NOW).await;
    assert_eq!(voided.len(), 1);
    assert_eq!(voided[0].kind, "dose.voided");
    assert_eq!(
        w.store().revoke_for_vaccination(v, "dose voided", "system", NOW + 7).await.unwrap(),
        vec![cert.certificate_id.clone()]
    );
    w.store().skip_event(voided[0].id, "revoked").await.unwrap();
    assert!(w.claim(NOW).await.is_empty());
    assert!(w.store().certificate_facts(v).await.unwrap().voided_at_ms.is_some());
    // Issuing for the voided dose is refused and writes nothing.
    let facts = w.store().certificate_facts(v).await.unwrap();
    let c = fake_certificate("10000000002", &facts, CertificateKind::Domestic, NOW);
    assert!(matches!(
        w.store().issue_certificate(None, &c, "system").await,
        Err(StorageError::Conflict(ConflictKind::DoseVoided))
    ));
    assert!(w.store().live_certificates_for_beneficiaries(&[p.id]).await.unwrap().is_empty());
    assert!(matches!(
        w.store().skip_event(uuid::Uuid::now_v7(), "x").await,
        Err(StorageError::NotFound)
    ));
}

async fn failed_events_wait_for_their_retry_time(backend: Backend) {
    let w = World::new(backend).await;
    let p = w.person("111122223333").await;
    w.dose(p.id, 1, day(10)).await;
    let e = w.claim(NOW).await.remove(0);
    w.store().fail_event(e.id, "signing key unavailable", NOW + 5_000).await.unwrap();
    assert!(w.claim(NOW + 4_999).await.is_empty(), "not due before its retry time");
    let due = w.claim(NOW + 5_000).await;
    assert_eq!((due.len(), due[0].attempts), (1, 1));
    w.store().fail_event(e.id, &"x".repeat(10_000), NOW + 15_000).await.unwrap();
    assert!(w.claim(NOW + 14_999).await.is_empty());
    assert_eq!(w.claim(NOW + 15_000).await[0].attempts, 2);
    // Processing it ends the retries; failing a processed event changes nothing.
    let v: VaccinationId = e.subject_id.parse().unwrap();
    w.issue(Some(e.id), v, "10000000001").await;
    w.store().fail_event(e.id, "late failure", NOW + 20_000).await.unwrap();
    assert!(w.claim(i64::MAX).await.is_empty());
    assert!(matches!(
        w.store().fail_event(uuid::Uuid::now_v7(), "x", NOW).await,
        Err(StorageError::NotFound)
    ));
    // An empty kind list or zero limit claims nothing.
    assert!(w.store().claim_events(&[], 10, i64::MAX).await.unwrap().is_empty());
}

async fn a_field_is_corrected_once(backend: Backend) {
    let w = World::new(backend).await;
    let p = w.person("111122223333").await;
    let req = w
        .store()
        .request_correction(&correction(p.id, CorrectionChange::BirthYear(1986)))
        .await
        .unwrap();
    assert_eq!(
        (req.old_value.as_str(), req.new_value.as_str(), req.status),
        ("1985", "1986", CorrectionStatus::Pending)
    );
    assert_eq!(w.store().find_correction(req.id).await.unwrap(), req);
    // A second request for the field while one is pending.
    assert!(matches!(
        w.store().request_correction(&correction(p.id, CorrectionChange::BirthYear(1987))).await,
        Err(StorageError::Conflict(ConflictKind::CorrectionExists))
    ));
    // Another field is fine.
    let g =
        w.store().request_correction(&correction(p.id, CorrectionChange::Gender(1))).await.unwrap();

    // Rejected: the person is untouched and the field may be asked for again.
    let rejected = w
        .store()
        .decide_correction(req.id, CorrectionDecision::Reject, "staff:a", "no proof", NOW + 1)
        .await
        .unwrap();
    assert_eq!(
        (rejected.status, rejected.decided_by.as_deref(), rejected.decision_note.as_deref()),
        (CorrectionStatus::Rejected, Some("staff:a"), Some("no proof"))
    );
    assert_eq!(w.store().find_correction(req.id).await.unwrap(), rejected);
    assert_eq!(w.beneficiary(p.id).await.birth_year, 1985);
    assert!(matches!(
        w.store()
            .decide_correction(req.id, CorrectionDecision::Approve, "staff:a", "", NOW + 2)
            .await,
        Err(StorageError::Conflict(ConflictKind::CorrectionClosed))
    ));
    let second = w
        .store()
        .request_correction(&correction(p.id, CorrectionChange::BirthYear(1986)))
        .await
        .unwrap();
    let approved = w
        .store()
        .decide_correction(second.id, CorrectionDecision::Approve, "staff:a", "ok", NOW + 3)
        .await
        .unwrap();
    assert_eq!(approved.status, CorrectionStatus::Approved);
    assert_eq!(w.beneficiary(p.id).await.birth_year, 1986);
    // Approved: the field's one chance is used.
    assert!(matches!(
        w.store().request_correction(&correction(p.id, CorrectionChange::BirthYear(1984))).await,
        Err(StorageError::Conflict(ConflictKind::CorrectionExists))
    ));

    let pending = w
        .store()
        .list_corrections(&CorrectionFilter {
            status: Some(CorrectionStatus::Pending),
            beneficiary: None,
        })
        .await
        .unwrap();
    assert_eq!(pending.iter().map(|r| r.id).collect::<Vec<_>>(), vec![g.id]);
    let mine = w
        .store()
        .list_corrections(&CorrectionFilter { status: None, beneficiary: Some(p.id) })
        .await
        .unwrap();
    assert_eq!(mine.len(), 3);
    assert!(matches!(
        w.store()
            .request_correction(&correction(BeneficiaryId::new(), CorrectionChange::Gender(1)))
            .await,
        Err(StorageError::NotFound)
    ));
    let actions = w.audit_actions(p.id).await;
    for action in ["correction.request", "correction.reject", "correction.approve"] {
        assert!(actions.iter().any(|a| a == action), "{action} missing from {actions:?}");
    }
}

async fn approving_a_correction_applies_it_and_reissues(backend: Backend) {
    let w = World::new(backend).await;
    let p = w.person("111122223333").await;
    w.dose(p.id, 1, day(1)).await;
    w.dose(p.id, 2, day(10)).await;
    let mut next = 10_000_000_000;
    assert_eq!(w.process_all(&mut next).await.len(), 2);

    let req = w
        .store()
        .request_correction(&correction(
            p.id,
            CorrectionChange::PhotoId { hash: "hash-999988887777".into(), last4: "7777".into() },
        ))
        .await
        .unwrap();
    assert_eq!((req.old_value.as_str(), req.new_value.as_str()), ("3333", "7777"));
    w.store()
        .decide_correction(req.id, CorrectionDecision::Approve, "staff:a", "seen", NOW + 1)
        .await
        .unwrap();
    let b = w.beneficiary(p.id).await;
    assert_eq!(
        (b.photo_id_hash.as_str(), b.photo_id_last4.as_str()),
        ("hash-999988887777", "7777")
    );
    let reissues = w.claim(NOW + 1).await;
    assert_eq!(reissues.len(), 2);
    assert!(reissues.iter().all(|e| e.kind == "certificate.reissue"));
    // The job reissues both: two new live, two superseded.
    assert_eq!(w.process_all(&mut next).await.len(), 2);
    let certs = w.store().list_certificates(p.id).await.unwrap();
    assert_eq!(certs.len(), 4);
    assert_eq!(certs.iter().filter(|c| c.is_live()).count(), 2);
    assert!(
        certs
            .iter()
            .filter(|c| !c.is_live())
            .all(|c| c.revoke_reason.as_deref() == Some("superseded") && c.replaced_by.is_some())
    );
    // The old photo id is free again.
    w.person("111122223333").await;
}

async fn a_photo_id_clash_rolls_back_everything(backend: Backend) {
    let w = World::new(backend).await;
    let p = w.person("111122223333").await;
    w.dose(p.id, 1, day(1)).await;
    let change =
        CorrectionChange::PhotoId { hash: "hash-555566667777".into(), last4: "7777".into() };
    let req = w.store().request_correction(&correction(p.id, change.clone())).await.unwrap();
    // Someone registers with that number before the decision.
    w.person("555566667777").await;
    let events_before = w.store().pending_events(1000).await.unwrap().len();
    assert!(matches!(
        w.store()
            .decide_correction(req.id, CorrectionDecision::Approve, "staff:a", "ok", NOW + 1)
            .await,
        Err(StorageError::Conflict(ConflictKind::DuplicatePhotoId))
    ));
    assert_eq!(w.beneficiary(p.id).await.photo_id_last4, "3333");
    assert_eq!(w.store().find_correction(req.id).await.unwrap().status, CorrectionStatus::Pending);
    assert_eq!(w.store().pending_events(1000).await.unwrap().len(), events_before);
    assert!(!w.audit_actions(p.id).await.iter().any(|a| a == "correction.approve"));
    // Asking for a number someone holds is refused at once.
    let q = w.person("222233334444").await;
    assert!(matches!(
        w.store().request_correction(&correction(q.id, change)).await,
        Err(StorageError::Conflict(ConflictKind::DuplicatePhotoId))
    ));
    assert!(
        w.store()
            .list_corrections(&CorrectionFilter { status: None, beneficiary: Some(q.id) })
            .await
            .unwrap()
            .is_empty()
    );
}

async fn merging_two_first_doses_renumbers_by_date(backend: Backend) {
    let w = World::new(backend).await;
    let keep = w.person_born("111122223333", 1985).await;
    let drop = w.person_born("444455556666", 1986).await;
    let v_keep = w.dose(keep.id, 1, day(12)).await;
    let v_drop = w.dose(drop.id, 1, day(2)).await;
    let mut next = 10_000_000_000;
    assert_eq!(w.process_all(&mut next).await.len(), 2);
    let booking = w.book(drop.id, DoseNumber::SECOND).await;
    let booked_before = w.store().find_session(w.session).await.unwrap().booked_dose2;
    assert_eq!(booked_before, 1);

    let out =
        w.store().merge_beneficiaries(keep.id, drop.id, "staff:admin", NOW + 1).await.unwrap();
    assert_eq!(
        (out.moved_doses, out.renumbered, out.reissue_events, out.cancelled_appointments),
        (1, 2, 2, 1)
    );
    assert_eq!(out.revoked.len(), 2);

    // The earlier dose is dose 1, the later dose 2, both the kept person's.
    let doses = w.store().list_vaccinations(&[keep.id, drop.id]).await.unwrap();
    let got: Vec<(VaccinationId, BeneficiaryId, u8)> =
        doses.iter().map(|d| (d.id, d.beneficiary_id, d.dose.get())).collect();
    assert_eq!(got, vec![(v_drop, keep.id, 1), (v_keep, keep.id, 2)]);
    // The dropped record is hidden everywhere.
    assert_eq!(
        w.store()
            .list_beneficiaries(w.account)
            .await
            .unwrap()
            .iter()
            .map(|b| b.id)
            .collect::<Vec<_>>(),
        vec![keep.id]
    );
    assert!(matches!(
        w.store().find_beneficiary_by_ref(&drop.reference_id).await,
        Err(StorageError::NotFound)
    ));
    assert!(w.store().find_beneficiaries(&[drop.id]).await.unwrap().is_empty());
    assert_eq!(w.store().certificate_facts(v_drop).await.unwrap().beneficiary_id, keep.id);
    // Its booking is cancelled and the seat returned.
    let rows = w.store().find_booking(booking).await.unwrap();
    assert_eq!(rows[0].status, AppointmentStatus::Cancelled);
    assert_eq!(w.store().find_session(w.session).await.unwrap().booked_dose2, 0);
    // Both certificates revoked, reissue events for both doses.
    for who in [keep.id, drop.id] {
        let certs = w.store().list_certificates(who).await.unwrap();
        assert_eq!(certs.len(), 1);
        assert_eq!(certs[0].revoke_reason.as_deref(), Some("merged"));
        assert!(w.audit_actions(who).await.iter().any(|a| a == "beneficiary.merge"));
    }
    let reissues = w.claim(NOW + 1).await;
    let mut subjects: Vec<String> = reissues
        .iter()
        .filter(|e| e.kind == "certificate.reissue")
        .map(|e| e.subject_id.clone())
        .collect();
    subjects.sort();
    let mut expected = vec![v_keep.to_string(), v_drop.to_string()];
    expected.sort();
    assert_eq!(subjects, expected);
    // The job issues the new ones with the new numbers, and the old ones point to them.
    assert_eq!(w.process_all(&mut next).await.len(), 2);
    let live = w.store().live_certificates_for_beneficiaries(&[keep.id]).await.unwrap();
    assert_eq!(
        live.iter().map(|c| (c.vaccination_id, c.dose)).collect::<Vec<_>>(),
        vec![(v_drop, 1), (v_keep, 2)]
    );
    let old = w.store().list_certificates(drop.id).await.unwrap().remove(0);
    assert_eq!(old.replaced_by.as_deref(), Some(live[0].certificate_id.as_str()));
    // The dropped record's place on the account is free again (6 allowed, 1 visible).
    for i in 0..5 {
        w.person(&format!("90000000000{i}")).await;
    }
}

async fn merges_are_refused_when_unsafe(backend: Backend) {
    let w = World::new(backend).await;
    let a = w.person_born("111122223333", 1985).await;
    let b = w.person_born("444455556666", 1990).await;
    let c = w.person_born("777788889999", 1984).await;
    let refused = |r: StorageResult<MergeOutcome>| match r {
        Err(StorageError::Conflict(ConflictKind::MergeRefused(why))) => why,
        other => panic!("expected a refusal, got {other:?}"),
    };
    assert_eq!(
        refused(w.store().merge_beneficiaries(a.id, a.id, "cli", NOW).await),
        MergeRefusal::SameRecord
    );
    assert_eq!(
        refused(w.store().merge_beneficiaries(a.id, b.id, "cli", NOW).await),
        MergeRefusal::BirthYearsDiffer
    );
    assert!(matches!(
        w.store().merge_beneficiaries(a.id, BeneficiaryId::new(), "cli", NOW).await,
        Err(StorageError::NotFound)
    ));
    w.store().merge_beneficiaries(a.id, c.id, "cli", NOW).await.unwrap();
    assert_eq!(
        refused(w.store().merge_beneficiaries(a.id, c.id, "cli", NOW).await),
        MergeRefusal::AlreadyMerged
    );
    assert_eq!(
        refused(w.store().merge_beneficiaries(c.id, a.id, "cli", NOW).await),
        MergeRefusal::AlreadyMerged
    );
    // Nothing was written by the refusals: b untouched, no audit rows for it.
    assert!(w.audit_actions(b.id).await.is_empty());
    assert_eq!(w.beneficiary(b.id).await.birth_year, 1990);
    // A merged-away record takes no corrections or travel details.
    assert!(matches!(
        w.store().request_correction(&correction(c.id, CorrectionChange::Gender(1))).await,
        Err(StorageError::NotFound)
    ));
    assert!(matches!(
        w.store().set_travel_details(c.id, None, Some("P1234567"), "cli", NOW).await,
        Err(StorageError::NotFound)
    ));
}

async fn travel_details_reach_the_facts(backend: Backend) {
    let w = World::new(backend).await;
    let p = w.person("111122223333").await;
    let v = w.dose(p.id, 1, day(10)).await;
    let dob = NaiveDate::from_ymd_opt(1985, 4, 2).unwrap();
    w.store()
        .set_travel_details(p.id, Some(dob), Some("K1234567"), "citizen:x", NOW)
        .await
        .unwrap();
    let facts = w.store().certificate_facts(v).await.unwrap();
    assert_eq!(
        (facts.beneficiary_dob.as_deref(), facts.beneficiary_passport.as_deref()),
        (Some("1985-04-02"), Some("K1234567"))
    );
    let audit = w.store().list_audit(&p.id.to_string(), 10).await.unwrap();
    assert_eq!(audit[0].action, "beneficiary.travel_details");
    assert_eq!(audit[0].actor, "citizen:x");
    assert!(!audit[0].detail.contains("K1234567"), "the audit log never holds the passport");
    // An international certificate lives beside the domestic one.
    let domestic = fake_certificate("10000000001", &facts, CertificateKind::Domestic, NOW);
    let international =
        fake_certificate("10000000002", &facts, CertificateKind::International, NOW);
    assert!(matches!(
        w.store().issue_certificate(None, &domestic, "system").await.unwrap(),
        IssueOutcome::Issued(_)
    ));
    assert!(matches!(
        w.store().issue_certificate(None, &international, "system").await.unwrap(),
        IssueOutcome::Issued(_)
    ));
    assert_eq!(w.store().live_certificates_for_beneficiaries(&[p.id]).await.unwrap().len(), 2);
    // A correction then reissues both kinds.
    let req =
        w.store().request_correction(&correction(p.id, CorrectionChange::Gender(1))).await.unwrap();
    w.store()
        .decide_correction(req.id, CorrectionDecision::Approve, "staff:a", "", NOW + 1)
        .await
        .unwrap();
    let mut kinds: Vec<String> = w
        .claim(NOW + 1)
        .await
        .iter()
        .filter(|e| e.kind == "certificate.reissue")
        .map(|e| {
            serde_json::from_str::<serde_json::Value>(&e.payload).unwrap()["kind"]
                .as_str()
                .unwrap()
                .to_owned()
        })
        .collect();
    kinds.sort();
    assert_eq!(kinds, ["domestic", "international"]);
    w.store().set_travel_details(p.id, None, None, "citizen:x", NOW + 2).await.unwrap();
    let facts = w.store().certificate_facts(v).await.unwrap();
    assert_eq!((facts.beneficiary_dob, facts.beneficiary_passport), (None, None));
    assert!(matches!(
        w.store().set_travel_details(BeneficiaryId::new(), None, None, "cli", NOW).await,
        Err(StorageError::NotFound)
    ));
}

async fn a_read_only_store_reads_and_refuses_writes(backend: Backend) {
    let w = World::new(backend).await;
    let p = w.person("111122223333").await;
    w.dose(p.id, 1, day(10)).await;
    let mut next = 10_000_000_000;
    let issued = w.process_all(&mut next).await;
    w.store().revoke_certificate(&issued[0], "test", "cli", NOW + 1).await.unwrap();

    let ro = w.db.read_only_store().await;
    assert!(ro.is_read_only());
    ro.ping().await.unwrap();
    assert_eq!(
        ro.find_certificate(&issued[0]).await.unwrap().revoke_reason.as_deref(),
        Some("test")
    );
    assert_eq!(ro.list_certificates(p.id).await.unwrap().len(), 1);
    assert_eq!(
        ro.revocation_version().await.unwrap(),
        w.store().revocation_version().await.unwrap()
    );
    assert_eq!(ro.list_revocations(0).await.unwrap().len(), 1);
    let otp = NewOtp {
        id: OtpTxnId::new(),
        mobile: Mobile::parse("9876543210").unwrap(),
        otp_hash: "h".into(),
        scope: "public".into(),
        created_at_ms: NOW,
        message: None,
    };
    assert!(matches!(ro.create_otp(&otp).await, Err(StorageError::ReadOnly)));
    assert!(matches!(
        ro.revoke_certificate(&issued[0], "x", "cli", NOW).await,
        Err(StorageError::ReadOnly)
    ));
    assert!(matches!(ro.skip_event(uuid::Uuid::now_v7(), "x").await, Err(StorageError::ReadOnly)));
    assert!(matches!(ro.find_otp(otp.id).await, Err(StorageError::NotFound)));
    // A citizen can log in on a read-only store only with an existing account.
    let account = ro.find_account_by_mobile(&Mobile::parse("9876543210").unwrap()).await.unwrap();
    assert_eq!(account.id, w.account);
    assert!(matches!(
        ro.find_account_by_mobile(&Mobile::parse("9123456789").unwrap()).await,
        Err(StorageError::NotFound)
    ));

    if backend == Backend::Sqlite {
        // A copy of the file, after the writer closed it.
        let path = w.db.url.trim_start_matches("sqlite://").to_owned();
        let dir = tempfile::tempdir().unwrap();
        let copy = dir.path().join("copy.db");
        std::fs::copy(&path, &copy).unwrap();
        // The log holds what the writer has not checkpointed yet; it travels with the file.
        let wal = format!("{path}-wal");
        if std::path::Path::new(&wal).exists() {
            std::fs::copy(&wal, format!("{}-wal", copy.display())).unwrap();
        }
        let ro = connect_read_only(&format!("sqlite://{}", copy.display()), 2).await.unwrap();
        assert_eq!(ro.list_certificates(p.id).await.unwrap().len(), 1);
        assert!(matches!(ro.create_otp(&otp).await, Err(StorageError::ReadOnly)));
    }
}

async fn a_read_only_store_needs_the_current_schema(backend: Backend) {
    let (url, _dir) = tika_test_support::fresh_database_url(backend).await;
    if backend == Backend::Sqlite {
        // An SQLite file that is not a Tika database.
        use sqlx::Connection;
        sqlx::any::install_default_drivers();
        let mut conn = sqlx::AnyConnection::connect(&format!("{url}?mode=rwc")).await.unwrap();
        sqlx::query("CREATE TABLE other (x INTEGER)").execute(&mut conn).await.unwrap();
        conn.close().await.unwrap();
    }
    match connect_read_only(&url, 1).await {
        Err(StorageError::Config(msg)) => assert!(msg.contains("schema"), "{msg}"),
        Err(e) => panic!("expected a configuration error, got {e:?}"),
        Ok(_) => panic!("expected a configuration error, got a store"),
    }
    // Once migrated, it opens.
    let store = connect(&url, 1).await.unwrap();
    store.close().await;
    connect_read_only(&url, 1).await.unwrap();
}

async fn a_live_certificate_stored_concurrently_wins(backend: Backend) {
    use sqlx::Connection;
    let w = World::new(backend).await;
    let p = w.person("111122223333").await;
    let v = w.dose(p.id, 1, day(10)).await;
    let facts = w.store().certificate_facts(v).await.unwrap();
    // Another process stores a live certificate and holds its transaction open while ours runs.
    let mut other = sqlx::AnyConnection::connect(&w.db.url).await.unwrap();
    let begin = if backend == Backend::Sqlite { "BEGIN IMMEDIATE" } else { "BEGIN" };
    sqlx::query(begin).execute(&mut other).await.unwrap();
    sqlx::query(
        "INSERT INTO certificates (certificate_id, vaccination_id, beneficiary_id, dose, kind, \
         credential, key_id, issued_at) VALUES ('50000000001', $1, $2, 1, 'domestic', '{}', 'k', $3)",
    )
    .bind(v.to_string())
    .bind(p.id.to_string())
    .bind(NOW)
    .execute(&mut other)
    .await
    .unwrap();
    let store = Arc::clone(w.store());
    let ours = fake_certificate("50000000002", &facts, CertificateKind::Domestic, NOW);
    let task = tokio::spawn(async move { store.issue_certificate(None, &ours, "system").await });
    tokio::time::sleep(std::time::Duration::from_millis(300)).await;
    sqlx::query("COMMIT").execute(&mut other).await.unwrap();
    let outcome = task.await.unwrap().unwrap();
    match outcome {
        IssueOutcome::AlreadyIssued(c) => assert_eq!(c.certificate_id, "50000000001"),
        other => panic!("expected AlreadyIssued, got {other:?}"),
    }
    let certs = w.store().list_certificates(p.id).await.unwrap();
    assert_eq!(
        certs.iter().map(|c| c.certificate_id.as_str()).collect::<Vec<_>>(),
        ["50000000001"]
    );
    assert!(w.pending("certificate.issued").await.is_empty(), "nothing of ours was written");
    // The writer goes on working after the refused insert.
    let p2 = w.person("444455556666").await;
    let v2 = w.dose(p2.id, 1, day(10)).await;
    assert!(matches!(w.issue(None, v2, "50000000003").await, IssueOutcome::Issued(_)));
}

on_both_backends!(
    a_recorded_dose_becomes_one_certificate,
    site_doses_carry_their_facts,
    issuing_twice_keeps_one_live_certificate,
    a_live_certificate_stored_concurrently_wins,
    a_reissue_supersedes_the_live_certificate,
    revoking_is_idempotent_and_versions_the_list,
    a_voided_dose_gets_no_certificate,
    failed_events_wait_for_their_retry_time,
    a_field_is_corrected_once,
    approving_a_correction_applies_it_and_reissues,
    a_photo_id_clash_rolls_back_everything,
    merging_two_first_doses_renumbers_by_date,
    merges_are_refused_when_unsafe,
    travel_details_reach_the_facts,
    a_read_only_store_reads_and_refuses_writes,
    a_read_only_store_needs_the_current_schema,
);
