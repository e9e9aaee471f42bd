//! The storage contract of the vaccine inventory, on SQLite and on PostgreSQL: points by area,
//! lots unique by vaccine and batch, movements checked by the ledger rule and written with the
//! stock on hand in one transaction (a refused movement leaves nothing), transfers writing both
//! sides, stock on hand always equal to the sum of the ledger, and concurrent draws never taking
//! a lot below zero.
#![allow(clippy::unwrap_used, reason = "a test fails loudly on the first unexpected error")]

use std::collections::HashMap;

use chrono::NaiveDate;
use tika_domain::ids::{ColdChainPointId, DistrictId, LotId, StateId};
use tika_domain::inventory::{
    BatchNumber, Lot, MovementError, MovementKind, MovementRequest, PointLevel, WastageReason,
};
use tika_domain::vaccine::VaccineCode;
use tika_storage::*;
use tika_test_support::{NOW, TestDb, on_both_backends};

const MAHARASHTRA: i64 = 21;
const PUNE: i64 = 363;

fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn point(name: &str, level: PointLevel, district: Option<i64>) -> ColdChainPoint {
    ColdChainPoint {
        id: ColdChainPointId::new(),
        name: name.into(),
        level,
        state: StateId(MAHARASHTRA),
        district: district.map(DistrictId),
        center: None,
        active: true,
        created_at_ms: NOW,
    }
}

fn lot(batch: &str, expiry: NaiveDate) -> Lot {
    Lot {
        vaccine: VaccineCode::parse("COVISHIELD").unwrap(),
        batch: BatchNumber::parse(batch).unwrap(),
        manufacturer: "Serum Institute of India".into(),
        expiry,
        doses_per_vial: 10,
    }
}

fn req(kind: MovementKind, lot: LotId, vials: u32) -> MovementRequest {
    MovementRequest {
        kind,
        lot,
        vials,
        adjust_up: false,
        wastage_reason: None,
        note: String::new(),
        date: day(2026, 12, 4),
    }
}

/// Stock on hand per lot equals the sum of the point's ledger.
async fn assert_stock_is_the_ledger(s: &SqlStore, p: ColdChainPointId) {
    let mut sums: HashMap<LotId, i64> = HashMap::new();
    for m in s.movements(p, 1000).await.unwrap() {
        *sums.entry(m.lot).or_default() += m.delta;
    }
    sums.retain(|_, v| *v != 0);
    let stock: HashMap<LotId, i64> =
        s.stock(p).await.unwrap().into_iter().map(|l| (l.lot.id, l.vials)).collect();
    assert_eq!(stock, sums);
}

async fn points_and_lots(backend: Backend) {
    let db = TestDb::new(backend).await;
    let s = &db.store;
    let state = point("State Vaccine Store, Pune", PointLevel::StateStore, None);
    let district = point("District Vaccine Store, Pune", PointLevel::DistrictStore, Some(PUNE));
    s.create_point(&district).await.unwrap();
    s.create_point(&state).await.unwrap();
    assert_eq!(s.find_point(state.id).await.unwrap(), state);
    let all = s.list_points(Some(StateId(MAHARASHTRA)), None).await.unwrap();
    assert_eq!(all.iter().map(|p| p.id).collect::<Vec<_>>(), [state.id, district.id]);
    let pune = s.list_points(Some(StateId(MAHARASHTRA)), Some(DistrictId(PUNE))).await.unwrap();
    assert_eq!(pune, std::slice::from_ref(&district));
    assert!(s.list_points(Some(StateId(9)), None).await.unwrap().is_empty());
    assert!(matches!(s.find_point(ColdChainPointId::new()).await, Err(StorageError::NotFound)));

    // A lot is unique by vaccine and batch; the same lot again is the stored one.
    let l = lot("4121Z025", day(2027, 6, 30));
    let first = s.upsert_lot(LotId::new(), &l, NOW).await.unwrap();
    let again = s.upsert_lot(LotId::new(), &l, NOW).await.unwrap();
    assert_eq!(first, again);
    assert_eq!(s.find_lot(first.id).await.unwrap().lot, l);
    let other = lot("4121Z025", day(2027, 7, 31));
    assert!(matches!(
        s.upsert_lot(LotId::new(), &other, NOW).await,
        Err(StorageError::Conflict(ConflictKind::LotMismatch))
    ));
}

async fn movements_follow_the_ledger_rule(backend: Backend) {
    let db = TestDb::new(backend).await;
    let s = &db.store;
    let state = point("State Vaccine Store", PointLevel::StateStore, None);
    let district = point("District Vaccine Store", PointLevel::DistrictStore, Some(PUNE));
    s.create_point(&state).await.unwrap();
    s.create_point(&district).await.unwrap();
    let l = s.upsert_lot(LotId::new(), &lot("4121Z025", day(2027, 6, 30)), NOW).await.unwrap();

    let got = s.record_movement(state.id, &req(MovementKind::Receipt, l.id, 100), "cli", NOW).await;
    assert_eq!(got.unwrap().delta, 100);
    // Down the chain: an issue at the state store, a transfer in at the district store.
    let (sent, received) = s
        .transfer(state.id, district.id, &req(MovementKind::Issue, l.id, 60), "admin:x", NOW + 1)
        .await
        .unwrap();
    assert_eq!(
        (sent.kind, sent.delta, sent.counterpart),
        (MovementKind::Issue, -60, Some(district.id))
    );
    assert_eq!((received.kind, received.delta), (MovementKind::TransferIn, 60));
    // More than is there: refused, nothing written.
    let refused = s
        .record_movement(district.id, &req(MovementKind::SessionUse, l.id, 61), "staff:v", NOW + 2)
        .await;
    assert!(
        matches!(
            refused,
            Err(StorageError::Conflict(ConflictKind::Stock(MovementError::Insufficient {
                on_hand: 60,
                asked: 61
            })))
        ),
        "{refused:?}"
    );
    let refused = s
        .transfer(district.id, state.id, &req(MovementKind::TransferOut, l.id, 61), "x", NOW + 2)
        .await;
    assert!(matches!(refused, Err(StorageError::Conflict(ConflictKind::Stock(_)))));
    assert_eq!(s.movements(district.id, 100).await.unwrap().len(), 1);
    // Wastage with its reason; an issue is only a transfer.
    let mut w = req(MovementKind::Wastage, l.id, 2);
    w.wastage_reason = Some(WastageReason::Frozen);
    let wasted = s.record_movement(district.id, &w, "staff:v", NOW + 3).await.unwrap();
    assert_eq!(wasted.wastage_reason, Some(WastageReason::Frozen));
    assert!(matches!(
        s.record_movement(district.id, &req(MovementKind::Issue, l.id, 1), "x", NOW).await,
        Err(StorageError::Config(_))
    ));
    // A deactivated point moves nothing.
    let mut closed = point("Closed store", PointLevel::DistrictStore, Some(PUNE));
    closed.active = false;
    s.create_point(&closed).await.unwrap();
    assert!(matches!(
        s.record_movement(closed.id, &req(MovementKind::Receipt, l.id, 5), "x", NOW).await,
        Err(StorageError::Conflict(ConflictKind::PointInactive))
    ));
    assert!(s.movements(closed.id, 10).await.unwrap().is_empty());
    // An expired lot is not received.
    let old = s.upsert_lot(LotId::new(), &lot("OLD-1", day(2026, 11, 30)), NOW).await.unwrap();
    assert!(matches!(
        s.record_movement(state.id, &req(MovementKind::Receipt, old.id, 5), "x", NOW).await,
        Err(StorageError::Conflict(ConflictKind::Stock(MovementError::Expired(_))))
    ));

    let stock = s.stock(district.id).await.unwrap();
    assert_eq!(stock.len(), 1);
    assert_eq!((stock[0].lot.id, stock[0].vials), (l.id, 58));
    assert_eq!(s.stock(state.id).await.unwrap()[0].vials, 40);
    let ledger = s.movements(district.id, 100).await.unwrap();
    assert_eq!(ledger[0].kind, MovementKind::Wastage, "newest first");
    assert_stock_is_the_ledger(s, state.id).await;
    assert_stock_is_the_ledger(s, district.id).await;
}

async fn concurrent_draws_never_go_below_zero(backend: Backend) {
    let db = TestDb::new(backend).await;
    let s = &db.store;
    let facility = point("PHC Hadapsar", PointLevel::Facility, Some(PUNE));
    s.create_point(&facility).await.unwrap();
    let l = s.upsert_lot(LotId::new(), &lot("4121Z026", day(2027, 6, 30)), NOW).await.unwrap();
    s.record_movement(facility.id, &req(MovementKind::Receipt, l.id, 60), "cli", NOW)
        .await
        .unwrap();
    let draws = (0..20).map(|i| {
        let r = req(MovementKind::SessionUse, l.id, 5);
        async move { s.record_movement(facility.id, &r, "staff:v", NOW + i).await }
    });
    let results = futures::future::join_all(draws).await;
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 12);
    assert!(results.iter().filter_map(|r| r.as_ref().err()).all(|e| matches!(
        e,
        StorageError::Conflict(ConflictKind::Stock(MovementError::Insufficient { .. }))
    )));
    assert!(s.stock(facility.id).await.unwrap().is_empty());
    assert_stock_is_the_ledger(s, facility.id).await;
}

/// An official's movement and its audit entry are written together, or neither is.
async fn an_officials_movement_is_audited_in_its_transaction(backend: Backend) {
    let db = TestDb::new(backend).await;
    let s = &db.store;
    let state = point("State Vaccine Store", PointLevel::StateStore, None);
    let district = point("District Vaccine Store", PointLevel::DistrictStore, Some(PUNE));
    s.create_point(&state).await.unwrap();
    s.create_point(&district).await.unwrap();
    let l = s.upsert_lot(LotId::new(), &lot("4121Z025", day(2027, 6, 30)), NOW).await.unwrap();
    let entry = |action: &str, subject: &ColdChainPoint| Change {
        id: uuid::Uuid::now_v7(),
        at_ms: NOW,
        actor: "admin:x".into(),
        action: action.into(),
        subject: format!("point:{}", subject.id),
        place: None,
        before: None,
        after: None,
    };
    let changes = |subject: &ColdChainPoint| {
        let filter = ChangeFilter {
            area: tika_domain::admin::Area::National,
            subject: Some(format!("point:{}", subject.id)),
            actor: None,
            action_prefix: None,
            before_ms: None,
            limit: 10,
        };
        async move { s.list_changes(&filter).await.unwrap() }
    };

    let receipt = req(MovementKind::Receipt, l.id, 10);
    let rec = s
        .record_movement_audited(
            state.id,
            &receipt,
            "admin:x",
            &entry("stock.receipt", &state),
            NOW,
        )
        .await
        .unwrap();
    let logged = changes(&state).await;
    assert_eq!(logged.len(), 1);
    let after: serde_json::Value =
        serde_json::from_str(logged[0].after.as_deref().unwrap()).unwrap();
    assert_eq!(after["id"], rec.id.to_string());
    assert_eq!(after["delta"], 10);

    // Refused by the ledger: no movement and no audit entry.
    let too_many = req(MovementKind::Wastage, l.id, 11);
    let refused = s
        .record_movement_audited(
            state.id,
            &too_many,
            "admin:x",
            &entry("stock.wastage", &state),
            NOW,
        )
        .await;
    assert!(matches!(refused, Err(StorageError::Conflict(ConflictKind::Stock(_)))), "{refused:?}");
    assert_eq!(changes(&state).await.len(), 1);

    let issue = req(MovementKind::Issue, l.id, 4);
    let (out, into) = s
        .transfer_audited(
            state.id,
            district.id,
            &issue,
            "admin:x",
            &entry("stock.issue", &state),
            NOW,
        )
        .await
        .unwrap();
    let logged = changes(&state).await;
    assert_eq!(logged.len(), 2);
    let after: serde_json::Value = serde_json::from_str(
        logged.iter().find(|c| c.action == "stock.issue").unwrap().after.as_deref().unwrap(),
    )
    .unwrap();
    assert_eq!(after["out"]["id"], out.id.to_string());
    assert_eq!(after["in"]["id"], into.id.to_string());
    let too_many = req(MovementKind::Issue, l.id, 7);
    assert!(
        s.transfer_audited(
            state.id,
            district.id,
            &too_many,
            "admin:x",
            &entry("stock.issue", &state),
            NOW
        )
        .await
        .is_err()
    );
    assert_eq!(changes(&state).await.len(), 2);
    assert_stock_is_the_ledger(s, state.id).await;
}

on_both_backends!(
    an_officials_movement_is_audited_in_its_transaction,
    points_and_lots,
    movements_follow_the_ledger_rule,
    concurrent_draws_never_go_below_zero,
);
