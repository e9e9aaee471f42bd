//! The storage contract of the officials' console: officials and their areas, login state and
//! epochs, facilities (ids, details, activity, lists), session plans and edits, facility staff,
//! and the audit log with its place and before/after records, run on SQLite and on PostgreSQL.
//! Every test checks what was persisted.
#![allow(clippy::unwrap_used, reason = "a test fails loudly on the first unexpected error")]

use std::sync::Arc;

use chrono::NaiveDate;
use sqlx::Connection;
use tika_domain::admin::{Area, FacilityDetails, FacilityKind, Place, SessionEdit, SessionPlan};
use tika_domain::ids::{
    AdminId, AppointmentId, CenterId, DistrictId, PlanId, SessionId, StaffId, StateId,
};
use tika_domain::mobile::Mobile;
use tika_domain::session::{AgeLimits, SecurityCode, Slot};
use tika_domain::staff::{StaffRole, Username};
use tika_domain::vaccine::{DoseNumber, VaccineCode};
use tika_storage::*;
use tika_test_support::{
    NOW, TestDb, center, covishield_session, new_staff, on_both_backends, person_record,
};

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, d).unwrap()
}

fn covishield() -> VaccineCode {
    VaccineCode::parse("COVISHIELD").unwrap()
}

/// Centre 1: state 21, district 395, "Block A" (Mumbai); centre 2: state 21, district 400,
/// "Block B"; centre 3: state 22, district 500, "Block C".
struct World {
    db: TestDb,
}

fn place(state: i64, district: i64, block: &str, center: Option<i64>) -> Place {
    Place {
        state: StateId(state),
        district: DistrictId(district),
        block: block.into(),
        center: center.map(CenterId),
    }
}

fn change(action: &str, subject: &str, place: Option<Place>, at_ms: i64) -> Change {
    Change {
        id: uuid::Uuid::now_v7(),
        at_ms,
        actor: "admin:test".into(),
        action: action.into(),
        subject: subject.into(),
        place,
        before: None,
        after: None,
    }
}

fn details(name: &str) -> FacilityDetails {
    FacilityDetails {
        name: name.into(),
        name_l: String::new(),
        kind: FacilityKind::Government,
        address: "Station Road, Bandra".into(),
        block: "Block A".into(),
        state: StateId(21),
        district: DistrictId(395),
        pincode: 400_050,
        lat: Some(19.06),
        lon: Some(72.83),
        open_min: 9 * 60,
        close_min: 17 * 60,
        fees: Vec::new(),
        cold_chain_point: "CCP Bandra".into(),
    }
}

fn plan(center: i64, dates: &[NaiveDate], walk_ins: bool) -> NewPlan {
    NewPlan {
        id: PlanId::new(),
        center_id: CenterId(center),
        plan: SessionPlan {
            vaccine: covishield(),
            dates: dates.to_vec(),
            from: dates[0],
            until: *dates.last().unwrap(),
            weekdays: (0..7).collect(),
            ages: AgeLimits { min: 18, max: Some(44) },
            capacity_dose1: 100,
            capacity_dose2: 40,
            slots: Slot::split(9 * 60, 17 * 60, 4),
            walk_ins,
        },
        fee: "0".into(),
        actor: "admin:planner".into(),
        now_ms: NOW + 5,
    }
}

fn new_admin(username: &str, area: Area) -> NewAdmin {
    NewAdmin {
        id: AdminId::new(),
        username: Username::parse(username).unwrap(),
        name: format!("Official {username}"),
        mobile: Some(Mobile::parse("9876543210").unwrap()),
        area,
        password_hash: "$argon2id$placeholder".into(),
        created_by: None,
        created_at_ms: NOW,
    }
}

fn all_changes(area: Area) -> ChangeFilter {
    ChangeFilter {
        area,
        subject: None,
        actor: None,
        action_prefix: None,
        before_ms: None,
        limit: 100,
    }
}

fn facilities(area: Area) -> FacilityFilter {
    FacilityFilter { area, active: None, query: None, limit: 100, offset: 0 }
}

fn district(d: i64) -> Area {
    Area::District { state: StateId(21), district: DistrictId(d) }
}

impl World {
    async fn new(backend: Backend) -> Self {
        let db = TestDb::new(backend).await;
        let mut c2 = center(2);
        c2.district_id = DistrictId(400);
        c2.block_name = "Block B".into();
        let mut c3 = center(3);
        c3.state_id = StateId(22);
        c3.district_id = DistrictId(500);
        c3.block_name = "Block C".into();
        db.store.insert_centers(&[center(1), c2, c3]).await.unwrap();
        Self { db }
    }

    fn store(&self) -> &Arc<SqlStore> {
        &self.db.store
    }

    /// One scalar from the database, read outside the store.
    async fn count(&self, sql: &str) -> i64 {
        let mut conn = sqlx::AnyConnection::connect(&self.db.url).await.unwrap();
        sqlx::query_scalar(sqlx::AssertSqlSafe(sql.to_owned())).fetch_one(&mut conn).await.unwrap()
    }

    /// Books one first dose for a new person in `session`.
    async fn book_one(&self, session: SessionId, photo: &str) -> AppointmentId {
        let (account, _) =
            self.store().upsert_account(&Mobile::parse("9876543210").unwrap(), NOW).await.unwrap();
        let person =
            self.store().create_beneficiary(&person_record(account.id, photo), 6).await.unwrap();
        let booking = NewBooking {
            booking_id: AppointmentId::new(),
            account_id: account.id,
            session_id: session,
            dose: DoseNumber::FIRST,
            slot: Slot::from_label("09:00AM-11:00AM"),
            policy_version: "IN-2021-05-01".into(),
            members: vec![BookingMember {
                beneficiary_id: person.id,
                security_code: SecurityCode::from_random(4821),
            }],
            now_ms: NOW,
        };
        self.store().book(&booking).await.unwrap();
        booking.booking_id
    }

    async fn session_at(&self, center_id: i64, date: NaiveDate) -> SessionId {
        let s = covishield_session(center_id, date);
        self.store().insert_sessions(std::slice::from_ref(&s)).await.unwrap();
        s.id
    }
}

fn usernames(admins: &[Admin]) -> Vec<&str> {
    admins.iter().map(|a| a.username.as_str()).collect()
}

async fn officials_are_created_found_and_listed_by_area(backend: Backend) {
    let w = World::new(backend).await;
    let s = w.store();
    let areas = [
        ("nat", Area::National),
        ("st.21", Area::State { state: StateId(21) }),
        ("st.22", Area::State { state: StateId(22) }),
        ("dist.395", district(395)),
        ("dist.400", district(400)),
        (
            "blk.a",
            Area::Block { state: StateId(21), district: DistrictId(395), block: "Block A".into() },
        ),
        (
            "fac.1",
            Area::Facility {
                state: StateId(21),
                district: DistrictId(395),
                block: "Block A".into(),
                center: CenterId(1),
            },
        ),
    ];
    let mut ids = Vec::new();
    for (name, area) in &areas {
        let new = new_admin(name, area.clone());
        let audit = change("admin.create", &format!("admin:{}", new.id), None, NOW);
        let created = s.create_admin(&new, &audit).await.unwrap();
        assert_eq!((created.id, created.active, created.auth_epoch), (new.id, true, 0));
        ids.push(new.id);
    }

    // Found by username and id with every field as stored.
    let fac = s.find_admin_by_username(&Username::parse("FAC.1").unwrap()).await.unwrap();
    assert_eq!(fac.id, ids[6]);
    assert_eq!(fac.area, areas[6].1);
    assert_eq!(fac.name, "Official fac.1");
    assert_eq!(fac.mobile.as_ref().map(Mobile::as_str), Some("9876543210"));
    assert_eq!(
        (fac.failed_logins, fac.locked_until_ms, fac.created_at_ms, fac.created_by),
        (0, 0, NOW, None)
    );
    let nat = s.find_admin(ids[0]).await.unwrap();
    assert_eq!(nat.area, Area::National);
    assert_eq!(s.find_admin(ids[5]).await.unwrap().area, areas[5].1);
    assert!(matches!(s.find_admin(AdminId::new()).await, Err(StorageError::NotFound)));
    assert!(matches!(
        s.find_admin_by_username(&Username::parse("nobody").unwrap()).await,
        Err(StorageError::NotFound)
    ));

    // A username is taken once; the refused creation writes no audit entry.
    let mut dup = new_admin("dist.395", district(400));
    dup.created_by = Some(ids[0]);
    let audit = change("admin.create", "admin:dup", None, NOW);
    assert!(matches!(
        s.create_admin(&dup, &audit).await,
        Err(StorageError::Conflict(ConflictKind::UsernameTaken))
    ));
    let mut by_subject = all_changes(Area::National);
    by_subject.subject = Some("admin:dup".into());
    assert!(s.list_changes(&by_subject).await.unwrap().is_empty());
    assert_eq!(s.list_changes(&all_changes(Area::National)).await.unwrap().len(), 7);

    // Lists: the area itself and everything inside it, by username.
    assert_eq!(
        usernames(&s.list_admins(&Area::National).await.unwrap()),
        ["blk.a", "dist.395", "dist.400", "fac.1", "nat", "st.21", "st.22"]
    );
    assert_eq!(
        usernames(&s.list_admins(&Area::State { state: StateId(21) }).await.unwrap()),
        ["blk.a", "dist.395", "dist.400", "fac.1", "st.21"]
    );
    assert_eq!(
        usernames(&s.list_admins(&district(395)).await.unwrap()),
        ["blk.a", "dist.395", "fac.1"]
    );
    let block =
        Area::Block { state: StateId(21), district: DistrictId(395), block: "  block a ".into() };
    assert_eq!(usernames(&s.list_admins(&block).await.unwrap()), ["blk.a", "fac.1"]);
    assert_eq!(usernames(&s.list_admins(&areas[6].1).await.unwrap()), ["fac.1"]);
    assert!(s.list_admins(&district(999)).await.unwrap().is_empty());
}

async fn login_state_and_epochs_are_stored(backend: Backend) {
    let w = World::new(backend).await;
    let s = w.store();
    let new = new_admin("dist.395", district(395));
    let subject = format!("admin:{}", new.id);
    s.create_admin(&new, &change("admin.create", &subject, None, NOW)).await.unwrap();

    s.set_admin_login_state(new.id, 5, NOW + 900_000).await.unwrap();
    let a = s.find_admin(new.id).await.unwrap();
    assert_eq!((a.failed_logins, a.locked_until_ms, a.auth_epoch), (5, NOW + 900_000, 0));

    // Logout ends every login.
    s.bump_admin_epoch(new.id).await.unwrap();
    assert_eq!(s.find_admin(new.id).await.unwrap().auth_epoch, 1);

    // A new password clears the lock and ends every login, audited.
    let pw = change("admin.password", &subject, None, NOW + 10);
    s.set_admin_password(new.id, "$argon2id$new", &pw).await.unwrap();
    let a = s.find_admin(new.id).await.unwrap();
    assert_eq!(
        (a.password_hash.as_str(), a.failed_logins, a.locked_until_ms, a.auth_epoch),
        ("$argon2id$new", 0, 0, 2)
    );

    // Deactivation too.
    let off = change("admin.deactivate", &subject, None, NOW + 20);
    s.set_admin_active(new.id, false, &off).await.unwrap();
    let a = s.find_admin(new.id).await.unwrap();
    assert_eq!((a.active, a.auth_epoch), (false, 3));
    let on = change("admin.activate", &subject, None, NOW + 30);
    s.set_admin_active(new.id, true, &on).await.unwrap();
    let a = s.find_admin(new.id).await.unwrap();
    assert_eq!((a.active, a.auth_epoch), (true, 4));

    let mut f = all_changes(Area::National);
    f.subject = Some(subject);
    let log = s.list_changes(&f).await.unwrap();
    assert_eq!(
        log.iter().map(|c| c.action.as_str()).collect::<Vec<_>>(),
        ["admin.activate", "admin.deactivate", "admin.password", "admin.create"]
    );
    assert_eq!(log[1], off);
    // The official's record in the creation entry has no password hash.
    let created = log[3].after.as_deref().unwrap();
    assert!(!created.contains("argon2"));
    assert_eq!(serde_json::from_str::<serde_json::Value>(created).unwrap()["username"], "dist.395");

    // Unknown officials.
    let ghost = AdminId::new();
    assert!(matches!(s.set_admin_login_state(ghost, 1, 0).await, Err(StorageError::NotFound)));
    assert!(matches!(s.bump_admin_epoch(ghost).await, Err(StorageError::NotFound)));
    let c = change("admin.deactivate", "admin:ghost", None, NOW + 40);
    assert!(matches!(s.set_admin_active(ghost, false, &c).await, Err(StorageError::NotFound)));
    assert!(matches!(s.set_admin_password(ghost, "x", &c).await, Err(StorageError::NotFound)));
    // Nothing was audited for them.
    let mut f = all_changes(Area::National);
    f.subject = Some("admin:ghost".into());
    assert!(s.list_changes(&f).await.unwrap().is_empty());
}

async fn facilities_get_increasing_ids_and_are_audited_with_them(backend: Backend) {
    let w = World::new(backend).await;
    let s = w.store();
    let mut d = details("Bandra Health Post");
    d.kind = FacilityKind::Private;
    d.fees = vec![(covishield(), 780)];
    d.name_l = "बांद्रा".into();
    let audit = change("facility.create", "center:new", Some(d.place(None)), NOW + 1);
    let f = s.create_facility(&d, NOW + 1, &audit).await.unwrap();
    assert_eq!(f.center.id, CenterId(4));
    assert_eq!(f.center.name, "Bandra Health Post");
    assert_eq!(f.center.name_l, "बांद्रा");
    assert_eq!(f.center.fee_type, tika_domain::session::FeeType::Paid);
    assert_eq!(
        (f.center.open_time.as_str(), f.center.close_time.as_str()),
        ("09:00:00", "17:00:00")
    );
    assert_eq!((f.center.pincode, f.center.block_name.as_str()), (400_050, "Block A"));
    assert_eq!((f.center.lat, f.center.lon), (Some(19.06), Some(72.83)));
    assert_eq!((f.kind, f.fees.clone()), (FacilityKind::Private, vec![(covishield(), 780)]));
    assert_eq!(
        (f.cold_chain_point.as_str(), f.active, f.updated_at_ms),
        ("CCP Bandra", true, NOW + 1)
    );
    assert_eq!(f.center.created_at_ms, NOW + 1);

    // The next one gets the next id; both are centres the search sees.
    let g = s
        .create_facility(
            &details("Khar PHC"),
            NOW + 2,
            &change("facility.create", "x", None, NOW + 2),
        )
        .await
        .unwrap();
    assert_eq!(g.center.id, CenterId(5));
    assert_eq!(g.kind, FacilityKind::Government);
    assert_eq!(g.center.fee_type, tika_domain::session::FeeType::Free);
    assert!(g.fees.is_empty());
    assert_eq!(s.find_center(CenterId(5)).await.unwrap().name, "Khar PHC");
    assert_eq!(s.list_centers().await.unwrap().len(), 5);
    let found = s.find_facility(CenterId(4)).await.unwrap();
    assert_eq!(
        (found.center.id, found.kind, found.fees.clone()),
        (CenterId(4), FacilityKind::Private, f.fees.clone())
    );

    // The audit entry names the allocated id, in place and subject, with the stored record.
    let mut by = all_changes(Area::National);
    by.subject = Some("center:4".into());
    let log = s.list_changes(&by).await.unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].id, audit.id);
    assert_eq!(log[0].place, Some(place(21, 395, "Block A", Some(4))));
    let after: serde_json::Value = serde_json::from_str(log[0].after.as_deref().unwrap()).unwrap();
    assert_eq!(after["id"], 4);
    assert_eq!(after["name"], "Bandra Health Post");
    assert_eq!(after["kind"], "private");
    assert_eq!(after["fees"], "COVISHIELD=780");
    assert_eq!(log[0].before, None);
    by.subject = Some("center:5".into());
    let log = s.list_changes(&by).await.unwrap();
    assert_eq!(log[0].place, Some(place(21, 395, "Block A", Some(5))));

    // All or nothing: an audit entry that cannot be written leaves no facility behind.
    let reused = change("facility.create", "x", None, NOW + 3);
    s.record_change(&reused).await.unwrap();
    assert!(s.create_facility(&details("Ghost"), NOW + 3, &reused).await.is_err());
    assert!(matches!(s.find_facility(CenterId(6)).await, Err(StorageError::NotFound)));
    assert_eq!(s.count_centers().await.unwrap(), 5);
    // And the id is not used up.
    let h = s
        .create_facility(
            &details("Santacruz UPHC"),
            NOW + 4,
            &change("facility.create", "x", None, NOW + 4),
        )
        .await
        .unwrap();
    assert_eq!(h.center.id, CenterId(6));
}

async fn facility_changes_mark_its_sessions_changed(backend: Backend) {
    let w = World::new(backend).await;
    let s = w.store();
    let s1 = w.session_at(1, day(10)).await;
    let s2 = w.session_at(1, day(11)).await;
    let other = w.session_at(2, day(10)).await;

    let mut d = details("PHC One, renamed");
    d.block = "Block Z".into();
    d.district = DistrictId(396);
    d.pincode = 400_060;
    d.open_min = 8 * 60 + 30;
    d.close_min = 14 * 60;
    d.lat = None;
    d.lon = None;
    d.kind = FacilityKind::Private;
    d.fees = vec![(covishield(), 780), (VaccineCode::parse("COVAXIN").unwrap(), 1410)];
    let audit = change("facility.update", "center:1", Some(d.place(Some(CenterId(1)))), NOW + 100);
    let f = s.update_facility(CenterId(1), &d, NOW + 100, &audit).await.unwrap();
    let read = s.find_facility(CenterId(1)).await.unwrap();
    for f in [&f, &read] {
        assert_eq!(f.center.name, "PHC One, renamed");
        assert_eq!(
            (f.center.block_name.as_str(), f.center.district_id),
            ("Block Z", DistrictId(396))
        );
        assert_eq!((f.center.pincode, f.center.lat, f.center.lon), (400_060, None, None));
        assert_eq!(
            (f.center.open_time.as_str(), f.center.close_time.as_str()),
            ("08:30:00", "14:00:00")
        );
        assert_eq!(f.center.fee_type, tika_domain::session::FeeType::Paid);
        assert_eq!(f.kind, FacilityKind::Private);
        assert_eq!(f.fees, d.fees);
        assert_eq!(f.updated_at_ms, NOW + 100);
        assert!(f.active);
    }
    for id in [s1, s2] {
        assert_eq!(s.find_session(id).await.unwrap().updated_at_ms, NOW + 100);
    }
    assert_eq!(s.find_session(other).await.unwrap().updated_at_ms, NOW);
    let changed = s.sessions_changed_since(NOW + 100, day(1), day(31)).await.unwrap();
    let mut ids: Vec<_> = changed.iter().map(|x| x.id).collect();
    ids.sort();
    let mut expected = vec![s1, s2];
    expected.sort();
    assert_eq!(ids, expected);

    // The audit entry holds the record before and after.
    let mut by = all_changes(Area::National);
    by.subject = Some("center:1".into());
    let log = s.list_changes(&by).await.unwrap();
    assert_eq!(log.len(), 1);
    let before: serde_json::Value =
        serde_json::from_str(log[0].before.as_deref().unwrap()).unwrap();
    let after: serde_json::Value = serde_json::from_str(log[0].after.as_deref().unwrap()).unwrap();
    assert_eq!(
        (before["name"].as_str(), after["name"].as_str()),
        (Some("PHC 1"), Some("PHC One, renamed"))
    );

    // Deactivation: flag, time, sessions marked; inactive facilities leave the search's list.
    let off = change("facility.deactivate", "center:1", None, NOW + 200);
    let f = s.set_facility_active(CenterId(1), false, NOW + 200, &off).await.unwrap();
    assert_eq!((f.active, f.updated_at_ms), (false, NOW + 200));
    assert!(!s.find_facility(CenterId(1)).await.unwrap().active);
    assert_eq!(s.find_session(s1).await.unwrap().updated_at_ms, NOW + 200);
    assert!(s.find_session(s1).await.unwrap().active, "sessions are left as they are");
    assert!(s.list_centers().await.unwrap().iter().all(|c| c.id != CenterId(1)));
    by.action_prefix = Some("facility.deactivate".into());
    let log = s.list_changes(&by).await.unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].place, Some(place(21, 396, "Block Z", Some(1))));
    let on = change("facility.activate", "center:1", None, NOW + 300);
    assert!(s.set_facility_active(CenterId(1), true, NOW + 300, &on).await.unwrap().active);
    assert_eq!(s.list_centers().await.unwrap().len(), 3);

    // Unknown facilities; nothing audited.
    let ghost = change("facility.update", "center:99", None, NOW + 400);
    assert!(matches!(
        s.update_facility(CenterId(99), &d, NOW + 400, &ghost).await,
        Err(StorageError::NotFound)
    ));
    assert!(matches!(
        s.set_facility_active(CenterId(99), false, NOW + 400, &ghost).await,
        Err(StorageError::NotFound)
    ));
    assert!(matches!(s.find_facility(CenterId(99)).await, Err(StorageError::NotFound)));
    by.action_prefix = None;
    by.subject = Some("center:99".into());
    assert!(s.list_changes(&by).await.unwrap().is_empty());
}

fn ids(list: &[Facility]) -> Vec<i64> {
    list.iter().map(|f| f.center.id.0).collect()
}

async fn facilities_are_listed_by_area_query_activity_and_page(backend: Backend) {
    let w = World::new(backend).await;
    let s = w.store();
    let mut a = details("Andheri 100% Care_Centre");
    a.block = "BLOCK A".into();
    let mut b = details("Borivali PHC");
    b.block = "Block Q".into();
    b.pincode = 400_092;
    for (n, d) in [a, b].iter().enumerate() {
        s.create_facility(d, NOW, &change("facility.create", "x", None, NOW + n as i64))
            .await
            .unwrap();
    }
    // 1 "PHC 1" (395, Block A), 2 "PHC 2" (400), 3 "PHC 3" (state 22), 4 Andheri (395, BLOCK A),
    // 5 Borivali (395, Block Q).
    assert_eq!(
        ids(&s.list_facilities(&facilities(Area::National)).await.unwrap()),
        [4, 5, 1, 2, 3]
    );
    assert_eq!(
        ids(&s.list_facilities(&facilities(Area::State { state: StateId(21) })).await.unwrap()),
        [4, 5, 1, 2]
    );
    assert_eq!(ids(&s.list_facilities(&facilities(district(395))).await.unwrap()), [4, 5, 1]);
    let block =
        Area::Block { state: StateId(21), district: DistrictId(395), block: " block a".into() };
    assert_eq!(ids(&s.list_facilities(&facilities(block)).await.unwrap()), [4, 1]);
    let one = Area::Facility {
        state: StateId(21),
        district: DistrictId(395),
        block: "Block A".into(),
        center: CenterId(5),
    };
    assert_eq!(ids(&s.list_facilities(&facilities(one)).await.unwrap()), [5]);

    // Query: name contains, case-insensitively, wildcards taken literally; 6 digits: pincode.
    let q = |area: Area, q: &str| FacilityFilter { query: Some(q.into()), ..facilities(area) };
    assert_eq!(ids(&s.list_facilities(&q(Area::National, "phc")).await.unwrap()), [5, 1, 2, 3]);
    assert_eq!(ids(&s.list_facilities(&q(district(395), " PHC ")).await.unwrap()), [5, 1]);
    assert_eq!(ids(&s.list_facilities(&q(Area::National, "100%")).await.unwrap()), [4]);
    assert!(s.list_facilities(&q(Area::National, "0%c")).await.unwrap().is_empty());
    assert_eq!(ids(&s.list_facilities(&q(Area::National, "e_c")).await.unwrap()), [4]);
    assert!(s.list_facilities(&q(Area::National, "e%c")).await.unwrap().is_empty());
    assert_eq!(ids(&s.list_facilities(&q(Area::National, "400092")).await.unwrap()), [5]);
    assert_eq!(ids(&s.list_facilities(&q(Area::National, "400051")).await.unwrap()), [1, 2, 3]);
    assert!(s.list_facilities(&q(Area::National, "400050")).await.unwrap().len() == 1);
    assert!(s.list_facilities(&q(district(400), "400092")).await.unwrap().is_empty());

    // Activity.
    s.set_facility_active(
        CenterId(1),
        false,
        NOW,
        &change("facility.deactivate", "center:1", None, NOW + 9),
    )
    .await
    .unwrap();
    let active = |area: Area, on: bool| FacilityFilter { active: Some(on), ..facilities(area) };
    assert_eq!(ids(&s.list_facilities(&active(district(395), true)).await.unwrap()), [4, 5]);
    assert_eq!(ids(&s.list_facilities(&active(Area::National, false)).await.unwrap()), [1]);

    // Pages.
    let page = |offset: u32| FacilityFilter { limit: 2, offset, ..facilities(Area::National) };
    assert_eq!(ids(&s.list_facilities(&page(0)).await.unwrap()), [4, 5]);
    assert_eq!(ids(&s.list_facilities(&page(2)).await.unwrap()), [1, 2]);
    assert_eq!(ids(&s.list_facilities(&page(4)).await.unwrap()), [3]);
    assert!(s.list_facilities(&page(6)).await.unwrap().is_empty());
}

async fn a_plan_creates_its_sessions_and_skips_taken_dates(backend: Backend) {
    let w = World::new(backend).await;
    let s = w.store();
    // Day 11 already has an active COVISHIELD session; day 12 a cancelled one; day 13 a
    // COVAXIN one; day 14 a COVISHIELD one at another facility.
    w.session_at(1, day(11)).await;
    let cancelled = w.session_at(1, day(12)).await;
    s.cancel_session(cancelled, "rain", "staff:x", NOW, None).await.unwrap();
    let mut covaxin = covishield_session(1, day(13));
    covaxin.vaccine = VaccineCode::parse("COVAXIN").unwrap();
    s.insert_sessions(&[covaxin, covishield_session(2, day(14))]).await.unwrap();

    let dates = [day(10), day(11), day(12), day(13), day(14)];
    let p = plan(1, &dates, false);
    let audit = change("session.plan", &format!("plan:{}", p.id), None, NOW + 5);
    let out = s.plan_sessions(&p, &audit).await.unwrap();
    assert_eq!(out.skipped, [day(11)]);
    assert_eq!(
        out.created.iter().map(|(d, _)| *d).collect::<Vec<_>>(),
        [day(10), day(12), day(13), day(14)]
    );

    for (date, id) in &out.created {
        let x = s.find_session(*id).await.unwrap();
        assert_eq!((x.center_id, x.date, x.vaccine.as_str()), (CenterId(1), *date, "COVISHIELD"));
        assert_eq!(x.ages, AgeLimits { min: 18, max: Some(44) });
        assert_eq!(
            (x.capacity_dose1, x.capacity_dose2, x.booked_dose1, x.booked_dose2),
            (100, 40, 0, 0)
        );
        assert_eq!(x.slots, Slot::split(9 * 60, 17 * 60, 4));
        assert_eq!((x.fee.as_str(), x.active, x.walk_ins), ("0", true, false));
        assert_eq!((x.plan_id, x.updated_at_ms), (Some(p.id), NOW + 5));
    }
    // Sessions inserted without a plan take walk-ins and name no plan.
    let listed = s.list_facility_sessions(CenterId(1), day(10), day(14)).await.unwrap();
    let mut got: Vec<_> = listed.iter().map(|x| (x.date, x.vaccine.as_str(), x.active)).collect();
    assert!(got.windows(2).all(|p| p[0].0 <= p[1].0), "by date");
    got.sort();
    assert_eq!(
        got,
        [
            (day(10), "COVISHIELD", true),
            (day(11), "COVISHIELD", true),
            (day(12), "COVISHIELD", false),
            (day(12), "COVISHIELD", true),
            (day(13), "COVAXIN", true),
            (day(13), "COVISHIELD", true),
            (day(14), "COVISHIELD", true),
        ]
    );
    let old = listed.iter().find(|x| x.date == day(11)).unwrap();
    assert_eq!((old.walk_ins, old.plan_id), (true, None));
    assert!(s.list_facility_sessions(CenterId(1), day(15), day(20)).await.unwrap().is_empty());
    assert_eq!(s.list_facility_sessions(CenterId(2), day(1), day(31)).await.unwrap().len(), 1);

    // The plan row and its audit entry, placed at the facility.
    assert_eq!(w.count("SELECT COUNT(*) FROM session_plans").await, 1);
    let mut by = all_changes(district(395));
    by.subject = Some(format!("plan:{}", p.id));
    let log = s.list_changes(&by).await.unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].place, Some(place(21, 395, "Block A", Some(1))));
    let after: serde_json::Value = serde_json::from_str(log[0].after.as_deref().unwrap()).unwrap();
    assert_eq!(after["skipped"], serde_json::json!(["2026-12-11"]));

    // Planning the same dates again creates nothing.
    let again = plan(1, &dates, true);
    let out = s
        .plan_sessions(&again, &change("session.plan", "plan:again", None, NOW + 6))
        .await
        .unwrap();
    assert!(out.created.is_empty());
    assert_eq!(out.skipped, dates);
}

async fn a_plan_for_an_inactive_or_unknown_facility_writes_nothing(backend: Backend) {
    let w = World::new(backend).await;
    let s = w.store();
    s.set_facility_active(
        CenterId(1),
        false,
        NOW,
        &change("facility.deactivate", "center:1", None, NOW),
    )
    .await
    .unwrap();
    let p = plan(1, &[day(10), day(11)], true);
    let audit = change("session.plan", "plan:refused", None, NOW + 1);
    assert!(matches!(
        s.plan_sessions(&p, &audit).await,
        Err(StorageError::Conflict(ConflictKind::FacilityInactive))
    ));
    let p = plan(99, &[day(10)], true);
    assert!(matches!(s.plan_sessions(&p, &audit).await, Err(StorageError::NotFound)));
    assert!(s.list_facility_sessions(CenterId(1), day(1), day(31)).await.unwrap().is_empty());
    assert_eq!(w.count("SELECT COUNT(*) FROM session_plans").await, 0);
    assert_eq!(w.count("SELECT COUNT(*) FROM sessions").await, 0);
    let mut by = all_changes(Area::National);
    by.subject = Some("plan:refused".into());
    assert!(s.list_changes(&by).await.unwrap().is_empty());

    // An audit entry that cannot be written undoes the whole plan.
    let reused = change("session.plan", "plan:dup", None, NOW + 2);
    s.record_change(&reused).await.unwrap();
    assert!(s.plan_sessions(&plan(2, &[day(10)], true), &reused).await.is_err());
    assert_eq!(w.count("SELECT COUNT(*) FROM session_plans").await, 0);
    assert_eq!(w.count("SELECT COUNT(*) FROM sessions").await, 0);
}

async fn session_edits_respect_bookings_and_status(backend: Backend) {
    let w = World::new(backend).await;
    let s = w.store();
    let sid = w.session_at(1, day(10)).await;
    w.book_one(sid, "111122223333").await;
    w.book_one(sid, "222233334444").await;
    let before = s.find_session(sid).await.unwrap();
    assert_eq!((before.booked_dose1, before.walk_ins), (2, true));

    let edit = SessionEdit { capacity_dose1: 2, capacity_dose2: 0, walk_ins: false };
    let audit = change("session.edit", &format!("session:{sid}"), None, NOW + 10);
    let after = s.edit_session(sid, edit, NOW + 10, &audit).await.unwrap();
    let read = s.find_session(sid).await.unwrap();
    for x in [&after, &read] {
        assert_eq!((x.capacity_dose1, x.capacity_dose2, x.booked_dose1), (2, 0, 2));
        assert_eq!((x.walk_ins, x.updated_at_ms), (false, NOW + 10));
    }
    let mut by = all_changes(district(395));
    by.subject = Some(format!("session:{sid}"));
    let log = s.list_changes(&by).await.unwrap();
    assert_eq!(log.len(), 1);
    assert_eq!(log[0].place, Some(place(21, 395, "Block A", Some(1))));
    let b: serde_json::Value = serde_json::from_str(log[0].before.as_deref().unwrap()).unwrap();
    let a: serde_json::Value = serde_json::from_str(log[0].after.as_deref().unwrap()).unwrap();
    assert_eq!((b["capacity_dose1"].as_u64(), a["capacity_dose1"].as_u64()), (Some(50), Some(2)));
    assert_eq!((b["walk_ins"].as_bool(), a["walk_ins"].as_bool()), (Some(true), Some(false)));

    // Below the bookings: refused, nothing changed, nothing audited.
    let below = SessionEdit { capacity_dose1: 1, capacity_dose2: 10, walk_ins: true };
    let refused = change("session.edit", &format!("session:{sid}"), None, NOW + 20);
    assert!(matches!(
        s.edit_session(sid, below, NOW + 20, &refused).await,
        Err(StorageError::Conflict(ConflictKind::CapacityBelowBooked))
    ));
    let x = s.find_session(sid).await.unwrap();
    assert_eq!(
        (x.capacity_dose1, x.capacity_dose2, x.walk_ins, x.updated_at_ms),
        (2, 0, false, NOW + 10)
    );
    assert_eq!(s.list_changes(&by).await.unwrap().len(), 1);

    // Walk-ins round-trip back on.
    let on = SessionEdit { capacity_dose1: 5, capacity_dose2: 5, walk_ins: true };
    let x = s
        .edit_session(sid, on, NOW + 30, &change("session.edit", "s", None, NOW + 30))
        .await
        .unwrap();
    assert!(x.walk_ins);
    assert!(s.find_session(sid).await.unwrap().walk_ins);

    // A cancelled session is closed; an unknown one is not found.
    let other = w.session_at(1, day(11)).await;
    s.cancel_session(other, "rain", "staff:x", NOW, None).await.unwrap();
    assert!(matches!(
        s.edit_session(other, on, NOW + 40, &change("session.edit", "s", None, NOW + 40)).await,
        Err(StorageError::Conflict(ConflictKind::SessionClosed))
    ));
    assert_eq!(s.find_session(other).await.unwrap().capacity_dose1, 50);
    assert!(matches!(
        s.edit_session(
            SessionId::new(),
            on,
            NOW + 40,
            &change("session.edit", "s", None, NOW + 40)
        )
        .await,
        Err(StorageError::NotFound)
    ));
}

async fn the_audit_log_is_filtered_and_paged(backend: Backend) {
    let w = World::new(backend).await;
    let s = w.store();
    let entries = [
        change("facility.update", "center:1", Some(place(21, 395, "Block A", Some(1))), NOW + 1),
        change("facility.update", "center:2", Some(place(21, 400, "Block B", Some(2))), NOW + 2),
        change("session.edit", "session:x", Some(place(21, 395, "block a ", Some(1))), NOW + 3),
        change("admin.create", "admin:y", Some(place(21, 395, "Block Q", None)), NOW + 4),
        change("staff.create", "staff:z", Some(place(22, 500, "Block C", Some(3))), NOW + 5),
        Change { actor: "admin:other".into(), ..change("facility_x", "center:1", None, NOW + 6) },
    ];
    for e in &entries {
        s.record_change(e).await.unwrap();
    }
    // An old-style entry (no place, no before/after).
    let sid = w.session_at(1, day(10)).await;
    s.cancel_session(sid, "rain", "staff:x", NOW + 7, None).await.unwrap();

    let actions = |v: Vec<Change>| v.into_iter().map(|c| c.subject).collect::<Vec<_>>();
    let sid_s = sid.to_string();
    // National: every entry, newest first, placeless ones included.
    let all = s.list_changes(&all_changes(Area::National)).await.unwrap();
    assert_eq!(
        actions(all.clone()),
        [&sid_s, "center:1", "staff:z", "admin:y", "session:x", "center:2", "center:1"]
    );
    assert_eq!(
        (all[0].place.as_ref(), all[0].before.as_ref(), all[0].after.as_ref()),
        (None, None, None)
    );
    assert_eq!(all[0].action, "session.cancel");
    assert_eq!(all[6], entries[0]);
    // Below national: only entries placed inside; placeless ones never.
    assert_eq!(
        actions(s.list_changes(&all_changes(Area::State { state: StateId(21) })).await.unwrap()),
        ["admin:y", "session:x", "center:2", "center:1"]
    );
    assert_eq!(
        actions(s.list_changes(&all_changes(district(395))).await.unwrap()),
        ["admin:y", "session:x", "center:1"]
    );
    let block =
        Area::Block { state: StateId(21), district: DistrictId(395), block: "BLOCK A".into() };
    assert_eq!(
        actions(s.list_changes(&all_changes(block)).await.unwrap()),
        ["session:x", "center:1"]
    );
    let fac = Area::Facility {
        state: StateId(21),
        district: DistrictId(395),
        block: "Block A".into(),
        center: CenterId(1),
    };
    assert_eq!(
        actions(s.list_changes(&all_changes(fac)).await.unwrap()),
        ["session:x", "center:1"]
    );

    // Subject, actor, action prefix (LIKE wildcards taken literally).
    let f = |g: &dyn Fn(&mut ChangeFilter)| {
        let mut f = all_changes(Area::National);
        g(&mut f);
        f
    };
    let by_subject = f(&|f| f.subject = Some("center:1".into()));
    assert_eq!(s.list_changes(&by_subject).await.unwrap().len(), 2);
    let by_actor = f(&|f| f.actor = Some("admin:other".into()));
    assert_eq!(actions(s.list_changes(&by_actor).await.unwrap()), ["center:1"]);
    let prefix = f(&|f| f.action_prefix = Some("facility.".into()));
    assert_eq!(actions(s.list_changes(&prefix).await.unwrap()), ["center:2", "center:1"]);
    let prefix = f(&|f| f.action_prefix = Some("facility_".into()));
    assert_eq!(s.list_changes(&prefix).await.unwrap().len(), 1);
    let prefix = f(&|f| f.action_prefix = Some("s".into()));
    assert_eq!(actions(s.list_changes(&prefix).await.unwrap()), [&sid_s, "staff:z", "session:x"]);
    let combined = f(&|f| {
        f.area = district(395);
        f.action_prefix = Some("facility.".into());
    });
    assert_eq!(actions(s.list_changes(&combined).await.unwrap()), ["center:1"]);

    // Pages by time.
    let page = |before: Option<i64>| {
        let mut f = all_changes(Area::National);
        f.limit = 3;
        f.before_ms = before;
        f
    };
    let p1 = s.list_changes(&page(None)).await.unwrap();
    assert_eq!(actions(p1.clone()), [&sid_s, "center:1", "staff:z"]);
    let p2 = s.list_changes(&page(Some(p1[2].at_ms))).await.unwrap();
    assert_eq!(actions(p2.clone()), ["admin:y", "session:x", "center:2"]);
    let p3 = s.list_changes(&page(Some(p2[2].at_ms))).await.unwrap();
    assert_eq!(actions(p3.clone()), ["center:1"]);
    assert!(s.list_changes(&page(Some(p3[0].at_ms))).await.unwrap().is_empty());
}

async fn cancelling_and_moving_with_a_change_write_that_change(backend: Backend) {
    let w = World::new(backend).await;
    let s = w.store();
    let a = w.session_at(1, day(10)).await;
    let b = w.session_at(1, day(11)).await;
    let booking = w.book_one(b, "111122223333").await;

    let mut cancel = change(
        "session.cancel",
        &format!("session:{a}"),
        Some(place(21, 395, "Block A", Some(1))),
        NOW + 10,
    );
    cancel.before = Some(r#"{"status":"active"}"#.into());
    cancel.after = Some(r#"{"status":"cancelled"}"#.into());
    assert!(
        s.cancel_session(a, "rain", "admin:test", NOW + 10, Some(&cancel))
            .await
            .unwrap()
            .is_empty()
    );
    assert!(!s.find_session(a).await.unwrap().active);

    let mv = change(
        "session.move",
        &format!("session:{b}"),
        Some(place(21, 395, "Block A", Some(1))),
        NOW + 20,
    );
    assert_eq!(
        s.move_session(b, day(15), "holiday", "admin:test", NOW + 20, Some(&mv)).await.unwrap(),
        [booking]
    );
    assert_eq!(s.find_session(b).await.unwrap().date, day(15));

    let log = s.list_changes(&all_changes(district(395))).await.unwrap();
    assert_eq!(log, [mv, cancel]);
    // Instead of, not besides, the old entries.
    assert!(s.list_audit(&a.to_string(), 10).await.unwrap().is_empty());
    assert!(s.list_audit(&b.to_string(), 10).await.unwrap().is_empty());
    // A refused cancel writes nothing.
    let again = change("session.cancel", "again", None, NOW + 30);
    assert!(matches!(
        s.cancel_session(a, "rain", "admin:test", NOW + 30, Some(&again)).await,
        Err(StorageError::Conflict(ConflictKind::SessionClosed))
    ));
    assert_eq!(s.list_changes(&all_changes(Area::National)).await.unwrap().len(), 2);
}

async fn staff_are_created_and_deactivated_with_their_audit(backend: Backend) {
    let w = World::new(backend).await;
    let s = w.store();
    let new = new_staff(1, "vax.one", StaffRole::Vaccinator);
    let audit = change(
        "staff.create",
        &format!("staff:{}", new.id),
        Some(place(21, 395, "Block A", Some(1))),
        NOW + 1,
    );
    let staff = s.create_staff_audited(&new, &audit).await.unwrap();
    assert_eq!((staff.id, staff.active), (new.id, true));
    assert!(s.find_staff(new.id).await.unwrap().active);

    let mut dup = new_staff(2, "vax.one", StaffRole::FacilityAdmin);
    dup.id = StaffId::new();
    let dup_audit = change("staff.create", "staff:dup", None, NOW + 2);
    assert!(matches!(
        s.create_staff_audited(&dup, &dup_audit).await,
        Err(StorageError::Conflict(ConflictKind::UsernameTaken))
    ));

    let off = change("staff.deactivate", &format!("staff:{}", new.id), None, NOW + 3);
    s.set_staff_active(new.id, false, &off).await.unwrap();
    assert!(!s.find_staff(new.id).await.unwrap().active);
    let on = change("staff.activate", &format!("staff:{}", new.id), None, NOW + 4);
    s.set_staff_active(new.id, true, &on).await.unwrap();
    assert!(s.find_staff(new.id).await.unwrap().active);
    assert!(matches!(
        s.set_staff_active(StaffId::new(), false, &change("staff.deactivate", "ghost", None, NOW))
            .await,
        Err(StorageError::NotFound)
    ));

    let log = s.list_changes(&all_changes(Area::National)).await.unwrap();
    assert_eq!(log, [on, off, audit]);
}

on_both_backends!(
    officials_are_created_found_and_listed_by_area,
    login_state_and_epochs_are_stored,
    facilities_get_increasing_ids_and_are_audited_with_them,
    facility_changes_mark_its_sessions_changed,
    facilities_are_listed_by_area_query_activity_and_page,
    a_plan_creates_its_sessions_and_skips_taken_dates,
    a_plan_for_an_inactive_or_unknown_facility_writes_nothing,
    session_edits_respect_bookings_and_status,
    the_audit_log_is_filtered_and_paged,
    cancelling_and_moving_with_a_change_write_that_change,
    staff_are_created_and_deactivated_with_their_audit,
);
