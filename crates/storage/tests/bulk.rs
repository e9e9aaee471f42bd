//! The storage contract of bulk lists of people, on SQLite and on PostgreSQL: listed people are
//! inserted, updated or left unchanged by their list key; a re-run writes nothing new; a person
//! a citizen registered with the same photo id becomes listed; the per-mobile cap refuses;
//! upload jobs keep their progress, counts, report and audit entry, and lists follow areas.
#![allow(clippy::unwrap_used, reason = "a test fails loudly on the first unexpected error")]

use tika_domain::admin::{Area, Place};
use tika_domain::ids::{AccountId, CenterId, DistrictId, ImportId, StateId};
use tika_domain::mobile::Mobile;
use tika_storage::*;
use tika_test_support::{NOW, TestDb, on_both_backends, person_record};

fn listed(id_number: &str, mobile: &str, district: i64) -> ListedPersonRecord {
    let beneficiary = person_record(AccountId::new(), id_number);
    ListedPersonRecord {
        list_key: format!("1:{}", beneficiary.photo_id_hash),
        mobile: Mobile::parse(mobile).unwrap(),
        beneficiary,
        occupation: Occupation::HealthWorker,
        employer: "AIIMS".into(),
        employee_id: format!("E-{id_number}"),
        posting_center: None,
        posting_pincode: Some(110_001),
        home_pincode: None,
        state: StateId(if district == 395 { 21 } else { 9 }),
        district: DistrictId(district),
    }
}

async fn count_rows(db: &TestDb, table: &str) -> i64 {
    let area = Area::National;
    match table {
        "listed_people" => db.store.count_listed_people(&area).await.unwrap() as i64,
        _ => unreachable!(),
    }
}

async fn listed_people_are_inserted_updated_and_unchanged_by_key(backend: Backend) {
    let db = TestDb::new(backend).await;
    let rows = vec![
        listed("100000000001", "9876500001", 140),
        listed("100000000002", "9876500002", 140),
        listed("100000000003", "9876500002", 395),
    ];
    let first = db.store.upsert_listed_people(None, rows.clone(), NOW).await.unwrap();
    assert_eq!((first.inserted, first.updated, first.unchanged), (3, 0, 0));
    assert!(first.refused.is_empty());

    // The same rows again (with other fresh ids, as a re-run makes them): nothing new.
    let again: Vec<_> = ["100000000001", "100000000002", "100000000003"]
        .iter()
        .zip(["9876500001", "9876500002", "9876500002"])
        .zip([140, 140, 395])
        .map(|((id, m), d)| listed(id, m, d))
        .collect();
    let second = db.store.upsert_listed_people(None, again.clone(), NOW + 1).await.unwrap();
    assert_eq!((second.inserted, second.updated, second.unchanged), (0, 0, 3));
    assert_eq!(count_rows(&db, "listed_people").await, 3);

    // One person's employer changes: updated, still one person.
    let mut changed = again.clone();
    changed[0].employer = "Safdarjung".into();
    changed[1].beneficiary.name = "Asha R".into();
    let third = db.store.upsert_listed_people(None, changed, NOW + 2).await.unwrap();
    assert_eq!((third.inserted, third.updated, third.unchanged), (0, 2, 1));
    let people = db.store.list_listed_people(&Area::National, 10).await.unwrap();
    assert_eq!(people.len(), 3);
    assert!(people.iter().any(|p| p.employer == "Safdarjung"));
    assert!(people.iter().any(|p| p.name == "Asha R"));

    // Two people on one mobile share one account.
    let account =
        db.store.find_account_by_mobile(&Mobile::parse("9876500002").unwrap()).await.unwrap();
    assert_eq!(db.store.list_beneficiaries(account.id).await.unwrap().len(), 2);
}

async fn a_citizen_with_the_same_photo_id_becomes_listed(backend: Backend) {
    let db = TestDb::new(backend).await;
    let (account, _) =
        db.store.upsert_account(&Mobile::parse("9876500009").unwrap(), NOW).await.unwrap();
    let own = person_record(account.id, "200000000001");
    db.store.create_beneficiary(&own, 4).await.unwrap();

    // Listed with another mobile: the citizen's record is listed, no second person.
    let row = listed("200000000001", "9876500010", 140);
    let out = db.store.upsert_listed_people(None, vec![row.clone()], NOW).await.unwrap();
    assert_eq!((out.inserted, out.updated, out.unchanged), (0, 1, 0));
    let people = db.store.list_listed_people(&Area::National, 10).await.unwrap();
    assert_eq!(people.len(), 1);
    assert_eq!(people[0].beneficiary_id, own.id);
    assert_eq!(db.store.list_beneficiaries(account.id).await.unwrap().len(), 1);
    assert!(db.store.find_account_by_mobile(&Mobile::parse("9876500010").unwrap()).await.is_err());
    let again = db.store.upsert_listed_people(None, vec![row], NOW).await.unwrap();
    assert_eq!(again.unchanged, 1);
}

async fn the_cap_per_mobile_and_repeated_keys_are_refused(backend: Backend) {
    let db = TestDb::new(backend).await;
    let rows: Vec<_> =
        (1..=4).map(|i| listed(&format!("30000000000{i}"), "9876500020", 140)).collect();
    let mut with_repeat = rows.clone();
    with_repeat.push(listed("300000000001", "9876500021", 140));
    let out = db.store.upsert_listed_people_capped(None, with_repeat, 3, NOW).await.unwrap();
    assert_eq!(out.inserted, 3);
    let reasons: Vec<(usize, &str)> = out.refused.iter().map(|(i, r)| (*i, r.as_str())).collect();
    assert_eq!(
        reasons,
        vec![
            (3, "This mobile already has 3 beneficiaries, the most allowed"),
            (4, "The same ID appears earlier in this upload"),
        ]
    );
    assert_eq!(count_rows(&db, "listed_people").await, 3);
    // A cap of 0 refuses everyone and creates no account.
    let out = db
        .store
        .upsert_listed_people_capped(None, vec![listed("300000000009", "9876500022", 140)], 0, NOW)
        .await
        .unwrap();
    assert_eq!(out.refused.len(), 1);
    assert!(db.store.find_account_by_mobile(&Mobile::parse("9876500022").unwrap()).await.is_err());
}

fn job(id: ImportId, state: Option<i64>, district: Option<i64>, at: i64) -> NewImportJob {
    NewImportJob {
        id,
        kind: "people".into(),
        file_name: "hcw.csv".into(),
        file_sha256: "ab".repeat(32),
        created_by: "admin:test".into(),
        state: state.map(StateId),
        district: district.map(DistrictId),
        total_rows: 10,
        created_at_ms: at,
    }
}

async fn import_jobs_keep_progress_counts_report_and_audit(backend: Backend) {
    let db = TestDb::new(backend).await;
    let delhi = ImportId::new();
    let mumbai = ImportId::new();
    let national = ImportId::new();
    db.store.create_import_job(&job(delhi, Some(9), Some(140), NOW)).await.unwrap();
    db.store.create_import_job(&job(mumbai, Some(21), Some(395), NOW + 1)).await.unwrap();
    db.store.create_import_job(&job(national, None, None, NOW + 2)).await.unwrap();

    let started = db.store.find_import_job(delhi).await.unwrap();
    assert_eq!(started.status, ImportStatus::Running);
    assert_eq!(started.total_rows, 10);
    assert_eq!(started.counts, ImportCounts::default());

    let progress = ImportCounts { processed: 5, inserted: 4, updated: 0, unchanged: 0, failed: 1 };
    db.store.update_import_progress(delhi, &progress).await.unwrap();
    assert_eq!(db.store.find_import_job(delhi).await.unwrap().counts, progress);

    let done = ImportCounts { processed: 10, inserted: 8, updated: 0, unchanged: 0, failed: 2 };
    let change = Change {
        id: uuid::Uuid::now_v7(),
        at_ms: NOW + 5,
        actor: "admin:test".into(),
        action: "people.import".into(),
        subject: format!("import:{delhi}"),
        place: Some(Place {
            state: StateId(9),
            district: DistrictId(140),
            block: String::new(),
            center: None,
        }),
        before: None,
        after: Some(r#"{"inserted":8}"#.into()),
    };
    let report = "row,field,value_hint,message\n3,mobile,****,Invalid\n".to_owned();
    db.store
        .finish_import_job(
            delhi,
            ImportStatus::Done,
            &done,
            report.clone(),
            "ok".into(),
            NOW + 5,
            Some(change),
        )
        .await
        .unwrap();
    let finished = db.store.find_import_job(delhi).await.unwrap();
    assert_eq!(finished.status, ImportStatus::Done);
    assert_eq!(finished.counts, done);
    assert_eq!(finished.finished_at_ms, Some(NOW + 5));
    assert_eq!(db.store.import_error_report(delhi).await.unwrap(), report);
    let audit = db
        .store
        .list_changes(&ChangeFilter {
            area: Area::National,
            subject: Some(format!("import:{delhi}")),
            actor: None,
            action_prefix: None,
            before_ms: None,
            limit: 10,
        })
        .await
        .unwrap();
    assert_eq!(audit.len(), 1);
    assert_eq!(audit[0].action, "people.import");

    db.store
        .finish_import_job(
            mumbai,
            ImportStatus::Failed,
            &done,
            String::new(),
            "disk".into(),
            NOW,
            None,
        )
        .await
        .unwrap();
    assert_eq!(db.store.find_import_job(mumbai).await.unwrap().status, ImportStatus::Failed);
    assert!(matches!(db.store.find_import_job(ImportId::new()).await, Err(StorageError::NotFound)));

    // Lists follow the area: national sees all, a state its own, a district its own.
    let ids = |jobs: Vec<ImportJob>| jobs.into_iter().map(|j| j.id).collect::<Vec<_>>();
    assert_eq!(
        ids(db.store.list_import_jobs(&Area::National, 10).await.unwrap()),
        vec![national, mumbai, delhi]
    );
    assert_eq!(
        ids(db.store.list_import_jobs(&Area::State { state: StateId(9) }, 10).await.unwrap()),
        vec![delhi]
    );
    let district = Area::District { state: StateId(21), district: DistrictId(395) };
    assert_eq!(ids(db.store.list_import_jobs(&district, 10).await.unwrap()), vec![mumbai]);
}

async fn listed_people_are_counted_and_listed_by_area(backend: Backend) {
    let db = TestDb::new(backend).await;
    let mut posted = listed("400000000003", "9876500033", 140);
    posted.posting_center = Some(CenterId(7));
    let rows = vec![
        listed("400000000001", "9876500031", 140),
        listed("400000000002", "9876500032", 395),
        posted,
    ];
    let import = ImportId::new();
    db.store.upsert_listed_people(Some(import), rows, NOW).await.unwrap();
    let delhi = Area::District { state: StateId(9), district: DistrictId(140) };
    assert_eq!(db.store.count_listed_people(&Area::National).await.unwrap(), 3);
    assert_eq!(db.store.count_listed_people(&delhi).await.unwrap(), 2);
    assert_eq!(db.store.count_listed_people(&Area::State { state: StateId(21) }).await.unwrap(), 1);
    let facility = Area::Facility {
        state: StateId(9),
        district: DistrictId(140),
        block: String::new(),
        center: CenterId(7),
    };
    let at_facility = db.store.list_listed_people(&facility, 10).await.unwrap();
    assert_eq!(at_facility.len(), 1);
    assert_eq!(at_facility[0].posting_center, Some(CenterId(7)));
    let in_delhi = db.store.list_listed_people(&delhi, 10).await.unwrap();
    assert!(in_delhi.iter().all(|p| p.district == DistrictId(140)));
    assert_eq!(in_delhi.len(), 2);
}

on_both_backends!(
    listed_people_are_inserted_updated_and_unchanged_by_key,
    a_citizen_with_the_same_photo_id_becomes_listed,
    the_cap_per_mobile_and_repeated_keys_are_refused,
    import_jobs_keep_progress_counts_report_and_audit,
    listed_people_are_counted_and_listed_by_area,
);
