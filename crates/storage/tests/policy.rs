//! The storage contract of console policy versions and surveys, on SQLite and on PostgreSQL:
//! versions are refused on a taken label or date and written with their audit entry; surveys
//! are stored with theirs, keep `beneficiaries.comorbidity` in step, list by area; the people a
//! survey is for are found by reference id with the places they are known at.
#![allow(clippy::unwrap_used, reason = "a test fails loudly on the first unexpected error")]

use chrono::NaiveDate;
use sqlx::Connection;
use tika_domain::admin::{Area, Place};
use tika_domain::ids::{AppointmentId, CenterId, DistrictId, StateId, SurveyId};
use tika_domain::mobile::Mobile;
use tika_domain::policy::Occupation;
use tika_domain::session::{SecurityCode, Slot};
use tika_domain::vaccine::DoseNumber;
use tika_storage::*;
use tika_test_support::{NOW, TestDb, center, covishield_session, on_both_backends, person_record};

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn change(action: &str, subject: &str, place: Option<Place>) -> Change {
    Change {
        id: uuid::Uuid::now_v7(),
        at_ms: NOW,
        actor: "admin:test".into(),
        action: action.into(),
        subject: subject.into(),
        place,
        before: None,
        after: Some("{\"conditions\":1}".into()),
    }
}

fn version(label: &str, from: NaiveDate) -> PolicyVersionRecord {
    PolicyVersionRecord {
        version: label.into(),
        effective_from: from,
        body: "{\"min_age_years\":12,\"groups\":[],\"intervals\":[]}".into(),
        based_on: Some("IN-2022-03-16".into()),
        created_by: "admin:test".into(),
        created_at_ms: NOW,
        note: "next phase".into(),
    }
}

async fn count(db: &TestDb, sql: &str) -> i64 {
    let mut conn = sqlx::AnyConnection::connect(&db.url).await.unwrap();
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned())).fetch_one(&mut conn).await.unwrap()
}

async fn exec(db: &TestDb, sql: &str) {
    let mut conn = sqlx::AnyConnection::connect(&db.url).await.unwrap();
    sqlx::query(sqlx::AssertSqlSafe(sql.to_owned())).execute(&mut conn).await.unwrap();
}

async fn versions_are_unique_by_label_and_date_and_audited(backend: Backend) {
    let db = TestDb::new(backend).await;
    let s = &db.store;
    let v1 = version("IN-2026-12-05", day(2026, 12, 5));
    let audit = change("policy.create", "policy:IN-2026-12-05", None);
    assert_eq!(s.add_policy_version(&v1, &audit).await.unwrap(), AddVersionOutcome::Added);
    let again = change("policy.create", "policy:IN-2026-12-05", None);
    assert_eq!(
        s.add_policy_version(&version("IN-2026-12-05", day(2027, 1, 1)), &again).await.unwrap(),
        AddVersionOutcome::VersionTaken
    );
    assert_eq!(
        s.add_policy_version(&version("OTHER", day(2026, 12, 5)), &again).await.unwrap(),
        AddVersionOutcome::DateTaken
    );
    let v0 = version("IN-2026-12-01", day(2026, 12, 1));
    let audit0 = change("policy.create", "policy:IN-2026-12-01", None);
    assert_eq!(s.add_policy_version(&v0, &audit0).await.unwrap(), AddVersionOutcome::Added);

    let listed = s.list_policy_versions().await.unwrap();
    assert_eq!(listed, vec![v0, v1]);
    // One audit entry per stored version, none for the refused ones.
    assert_eq!(
        count(&db, "SELECT COUNT(*) FROM audit_log WHERE action = 'policy.create'").await,
        2
    );
}

struct People {
    db: TestDb,
    /// Listed in district 395 (Mumbai), state 21.
    listed: Beneficiary,
    /// Booked at centre 3 (state 22, district 500).
    booked: Beneficiary,
    /// Known nowhere.
    unknown: Beneficiary,
}

async fn people(backend: Backend) -> People {
    let db = TestDb::new(backend).await;
    let s = &db.store;
    let mut c3 = center(3);
    c3.state_id = StateId(22);
    c3.district_id = DistrictId(500);
    c3.block_name = "Block C".into();
    s.insert_centers(&[center(1), c3]).await.unwrap();
    let (account, _) = s.upsert_account(&Mobile::parse("9876543210").unwrap(), NOW).await.unwrap();
    let listed = s.create_beneficiary(&person_record(account.id, "1111"), 6).await.unwrap();
    let booked = s.create_beneficiary(&person_record(account.id, "2222"), 6).await.unwrap();
    let unknown = s.create_beneficiary(&person_record(account.id, "3333"), 6).await.unwrap();
    exec(
        &db,
        &format!(
            "INSERT INTO listed_people (beneficiary_id, list_key, occupation, state_id, \
             district_id, posting_center, created_at, updated_at) \
             VALUES ('{}', '1:hash-1111', 'health_worker', 21, 395, 1, {NOW}, {NOW})",
            listed.id
        ),
    )
    .await;
    let session = covishield_session(3, day(2026, 12, 10));
    s.insert_sessions(std::slice::from_ref(&session)).await.unwrap();
    s.book(&NewBooking {
        booking_id: AppointmentId::new(),
        account_id: account.id,
        session_id: session.id,
        dose: DoseNumber::FIRST,
        slot: Slot::from_label("09:00AM-11:00AM"),
        policy_version: "IN-2022-03-16".into(),
        members: vec![BookingMember {
            beneficiary_id: booked.id,
            security_code: SecurityCode::from_random(4821),
        }],
        now_ms: NOW,
    })
    .await
    .unwrap();
    People { db, listed, booked, unknown }
}

async fn targets_are_found_with_their_places_and_occupations(backend: Backend) {
    let p = people(backend).await;
    let s = &p.db.store;
    let refs = vec![
        p.listed.reference_id.to_string(),
        p.booked.reference_id.to_string(),
        p.unknown.reference_id.to_string(),
        "99999999999999".to_owned(),
    ];
    let mut found = s.survey_targets(&refs).await.unwrap();
    found.sort_by_key(|t| refs.iter().position(|r| *r == t.reference_id));
    assert_eq!(found.len(), 3);
    assert_eq!(found[0].beneficiary_id, p.listed.id);
    assert_eq!(
        found[0].places,
        vec![Place {
            state: StateId(21),
            district: DistrictId(395),
            block: String::new(),
            center: Some(CenterId(1)),
        }]
    );
    assert_eq!(found[1].places.len(), 1);
    assert_eq!(found[1].places[0].center, Some(CenterId(3)));
    assert_eq!(found[1].places[0].block, "Block C");
    assert!(found[2].places.is_empty());
    assert_eq!((found[2].birth_year, found[2].comorbidity), (1985, false));

    let mumbai = Area::District { state: StateId(21), district: DistrictId(395) };
    assert!(found[0].places.iter().any(|pl| mumbai.covers(pl)));
    assert!(!found[1].places.iter().any(|pl| mumbai.covers(pl)));

    let occ = s.occupations_of(&[p.listed.id, p.booked.id]).await.unwrap();
    assert_eq!(occ, vec![(p.listed.id, Occupation::HealthWorker)]);
}

fn survey(b: &Beneficiary, codes: &[&str], district: i64, at: i64) -> NewSurvey {
    NewSurvey {
        id: SurveyId::new(),
        beneficiary_id: b.id,
        comorbidities: codes.iter().map(|c| (*c).to_owned()).collect(),
        notes: "door to door".into(),
        surveyor: "Sunita".into(),
        created_by: "admin:test".into(),
        source: SurveySource::Csv,
        state: Some(StateId(21)),
        district: Some(DistrictId(district)),
        created_at_ms: at,
    }
}

async fn surveys_are_stored_audited_and_listed_by_area(backend: Backend) {
    let p = people(backend).await;
    let s = &p.db.store;
    let first = survey(&p.listed, &["diabetes", "cancer"], 395, NOW);
    let second = survey(&p.booked, &[], 400, NOW + 1);
    let mut form = survey(&p.booked, &["respiratory"], 400, NOW + 2);
    form.source = SurveySource::Form;
    form.created_by = "admin:other".into();
    s.record_surveys(&[
        (first.clone(), change("survey.record", &p.listed.id.to_string(), None)),
        (second.clone(), change("survey.record", &p.booked.id.to_string(), None)),
    ])
    .await
    .unwrap();
    s.record_surveys(&[(form.clone(), change("survey.record", &p.booked.id.to_string(), None))])
        .await
        .unwrap();
    let flags = |id: &str| format!("SELECT comorbidity FROM beneficiaries WHERE id = '{id}'");
    assert_eq!(count(&p.db, &flags(&p.listed.id.to_string())).await, 1);
    assert_eq!(count(&p.db, &flags(&p.booked.id.to_string())).await, 1);
    assert_eq!(count(&p.db, &flags(&p.unknown.id.to_string())).await, 0);
    assert_eq!(
        count(&p.db, "SELECT COUNT(*) FROM audit_log WHERE action = 'survey.record'").await,
        3
    );

    let all = s.list_surveys(&SurveyFilter { limit: 10, ..SurveyFilter::default() }).await.unwrap();
    assert_eq!(all.len(), 3);
    assert_eq!(all[0].survey, form);
    assert_eq!(all[2].survey, first);
    assert_eq!(all[2].reference_id, p.listed.reference_id.to_string());
    let mumbai = s
        .list_surveys(&SurveyFilter {
            state: Some(StateId(21)),
            district: Some(DistrictId(395)),
            limit: 10,
            ..SurveyFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(mumbai.len(), 1);
    let mine = s
        .list_surveys(&SurveyFilter {
            created_by: Some("admin:other".into()),
            district: Some(DistrictId(400)),
            limit: 10,
            ..SurveyFilter::default()
        })
        .await
        .unwrap();
    assert_eq!(mine.len(), 1);
    assert_eq!(mine[0].survey.comorbidities, ["respiratory"]);

    // A survey of a person who does not exist writes nothing, not even the others of the batch.
    let mut ghost = survey(&p.unknown, &["cancer"], 395, NOW + 3);
    ghost.beneficiary_id = tika_domain::ids::BeneficiaryId::new();
    let fine = survey(&p.unknown, &["cancer"], 395, NOW + 3);
    assert!(
        s.record_surveys(&[
            (fine, change("survey.record", "x", None)),
            (ghost, change("survey.record", "y", None)),
        ])
        .await
        .is_err()
    );
    assert_eq!(count(&p.db, "SELECT COUNT(*) FROM surveys").await, 3);
    assert_eq!(count(&p.db, &flags(&p.unknown.id.to_string())).await, 0);
}

on_both_backends!(
    versions_are_unique_by_label_and_date_and_audited,
    targets_are_found_with_their_places_and_occupations,
    surveys_are_stored_audited_and_listed_by_area,
);
