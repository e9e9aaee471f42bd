//! The cold chain console API (`/api/admin/v1/coldchain`): points inside the official's area
//! only, lots, the ledger's refusals at the boundary and by the ledger rule (`STK0001`),
//! transfers down the chain, stock views with days of stock and warnings, the readings of a
//! fridge, and excursion alarms acknowledged and closed with lot reviews.

use axum::http::{Method, StatusCode};
use chrono::Duration;
use serde_json::{Value, json};
use tika_domain::admin::Area;
use tika_domain::coldchain::{AlarmKind, DeviceCode};
use tika_domain::ids::{CenterId, DistrictId, EquipmentId, StateId};
use tika_storage::{AlarmChange, Backend, NewReading};
use tika_test_support::on_both_backends;

use crate::admin::{call, official};
use crate::harness::{BKC, KURLA, MAHARASHTRA, MUMBAI_SUBURBAN, PUNE, Resp, TestApp};

const CC: &str = "/coldchain";

fn mumbai() -> Area {
    Area::District { state: StateId(MAHARASHTRA), district: DistrictId(MUMBAI_SUBURBAN) }
}

fn pune() -> Area {
    Area::District { state: StateId(MAHARASHTRA), district: DistrictId(PUNE) }
}

fn at_bkc() -> Area {
    Area::Facility {
        state: StateId(MAHARASHTRA),
        district: DistrictId(MUMBAI_SUBURBAN),
        block: "Ward H East".into(),
        center: CenterId(BKC),
    }
}

async fn get(app: &TestApp, token: &str, path: &str) -> Resp {
    call(app, Method::GET, token, &format!("{CC}{path}"), None).await
}

async fn post(app: &TestApp, token: &str, path: &str, body: Value) -> Resp {
    call(app, Method::POST, token, &format!("{CC}{path}"), Some(body)).await
}

#[track_caller]
fn assert_ok(res: &Resp, status: StatusCode) -> Value {
    assert_eq!(res.status, status, "{}", res.text());
    res.json()
}

/// Asserts a 400 `ADM0001` naming exactly these fields.
#[track_caller]
fn assert_fields(res: &Resp, fields: &[&str]) {
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.text());
    let v = res.json();
    assert_eq!(v["errorCode"], "ADM0001", "{v}");
    let got: Vec<&str> =
        v["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!(got, fields, "{v}");
}

#[track_caller]
fn assert_code(res: &Resp, status: StatusCode, code: &str) {
    assert_eq!(res.status, status, "{}", res.text());
    assert_eq!(res.json()["errorCode"], code, "{}", res.text());
}

async fn new_point(app: &TestApp, token: &str, body: Value) -> String {
    let v = assert_ok(&post(app, token, "/points", body).await, StatusCode::CREATED);
    v["id"].as_str().unwrap().to_owned()
}

async fn new_lot(app: &TestApp, token: &str, batch: &str, expiry_days: i64) -> String {
    let res = post(
        app,
        token,
        "/lots",
        json!({ "vaccine": "COVISHIELD", "batch": batch, "expiry": app.day(expiry_days).to_string() }),
    )
    .await;
    assert_ok(&res, StatusCode::CREATED)["id"].as_str().unwrap().to_owned()
}

async fn receipt(app: &TestApp, token: &str, point: &str, lot: &str, vials: u32) {
    let res = post(
        app,
        token,
        &format!("/points/{point}/movements"),
        json!({ "kind": "receipt", "lot": lot, "vials": vials }),
    )
    .await;
    assert_ok(&res, StatusCode::CREATED);
}

async fn stock_of(app: &TestApp, token: &str, point: &str) -> Value {
    assert_ok(&get(app, token, &format!("/points/{point}/stock")).await, StatusCode::OK)
}

async fn points_stock_and_permissions(backend: Backend) {
    let app = TestApp::new(backend).await;
    let (mumbai, _) = official(&app, "mumbai.dio", mumbai()).await;
    let (pune, _) = official(&app, "pune.dio", pune()).await;
    let (bkc, _) = official(&app, "bkc.admin", at_bkc()).await;

    // Points: the district store of the official's district, facility points of its facilities.
    let store = new_point(
        &app,
        &mumbai,
        json!({ "name": "District Vaccine Store, Mumbai Suburban", "level": "district_store" }),
    )
    .await;
    let at_bkc =
        new_point(&app, &mumbai, json!({ "name": "BKC ILR", "level": "facility", "center": BKC }))
            .await;
    let at_kurla = new_point(
        &app,
        &mumbai,
        json!({ "name": "Kurla ILR", "level": "facility", "center": KURLA }),
    )
    .await;
    // One point per facility; a state store needs a state official; names are checked.
    let again = post(
        &app,
        &mumbai,
        "/points",
        json!({ "name": "BKC 2", "level": "facility", "center": BKC }),
    )
    .await;
    assert_fields(&again, &["center"]);
    let state_store =
        post(&app, &mumbai, "/points", json!({ "name": "State store", "level": "state_store" }))
            .await;
    assert_fields(&state_store, &["level"]);
    assert_fields(
        &post(&app, &mumbai, "/points", json!({ "name": "x", "level": "nope" })).await,
        &["name", "level"],
    );
    // Another district's official cannot put a point at BKC, see these points, or move stock.
    let foreign =
        post(&app, &pune, "/points", json!({ "name": "BKC?", "level": "facility", "center": BKC }))
            .await;
    assert_fields(&foreign, &["center"]);
    let seen = assert_ok(&get(&app, &pune, "/points").await, StatusCode::OK);
    assert_eq!(seen["points"].as_array().unwrap().len(), 0, "{seen}");
    get(&app, &pune, &format!("/points/{store}"))
        .await
        .assert_error(StatusCode::NOT_FOUND, "USRRES0404");
    get(&app, &pune, &format!("/points/{store}/stock"))
        .await
        .assert_error(StatusCode::NOT_FOUND, "USRRES0404");
    // A facility official sees only their facility's point and cannot add points.
    post(&app, &bkc, "/points", json!({ "name": "Another", "level": "facility", "center": BKC }))
        .await
        .assert_error(StatusCode::FORBIDDEN, "ADM0004");
    let mine = assert_ok(&get(&app, &bkc, "/points").await, StatusCode::OK);
    let ids: Vec<&str> =
        mine["points"].as_array().unwrap().iter().map(|p| p["id"].as_str().unwrap()).collect();
    assert_eq!(ids, [at_bkc.as_str()]);
    let all = assert_ok(&get(&app, &mumbai, "/points").await, StatusCode::OK);
    assert_eq!(all["points"].as_array().unwrap().len(), 3);
    assert_eq!(all["points"][0]["level"], "district_store", "the store first");

    // Lots: checked field by field, an expired lot refused, the same batch answered again.
    let lot = new_lot(&app, &mumbai, "4121z025", 180).await;
    let same = post(
        &app,
        &mumbai,
        "/lots",
        json!({ "vaccine": "COVISHIELD", "batch": "4121Z025", "expiry": app.day(180).to_string() }),
    )
    .await;
    assert_eq!(assert_ok(&same, StatusCode::OK)["id"], lot.as_str());
    let bad = post(
        &app,
        &mumbai,
        "/lots",
        json!({ "vaccine": "NOPE", "batch": "x", "expiry": app.day(-1).to_string(), "doses_per_vial": 0 }),
    )
    .await;
    assert_fields(&bad, &["vaccine", "batch", "expiry", "doses_per_vial"]);
    let differs = post(
        &app,
        &mumbai,
        "/lots",
        json!({ "vaccine": "COVISHIELD", "batch": "4121Z025", "expiry": app.day(200).to_string() }),
    )
    .await;
    assert_code(&differs, StatusCode::CONFLICT, "STK0002");

    // Movements: receipt, then refusals at the boundary and by the ledger rule.
    receipt(&app, &mumbai, &store, &lot, 100).await;
    let mv = format!("/points/{store}/movements");
    assert_fields(
        &post(&app, &mumbai, &mv, json!({ "kind": "wastage", "lot": lot, "vials": 5 })).await,
        &["reason"],
    );
    assert_fields(
        &post(
            &app,
            &mumbai,
            &mv,
            json!({ "kind": "wastage", "lot": lot, "vials": 5, "reason": "other" }),
        )
        .await,
        &["note"],
    );
    assert_fields(
        &post(
            &app,
            &mumbai,
            &mv,
            json!({ "kind": "adjustment", "lot": lot, "vials": 1, "direction": "up" }),
        )
        .await,
        &["note"],
    );
    assert_fields(
        &post(
            &app,
            &mumbai,
            &mv,
            json!({ "kind": "issue", "lot": "nope", "vials": 0, "date": app.day(1).to_string() }),
        )
        .await,
        &["kind", "lot", "vials", "date"],
    );
    assert_code(
        &post(&app, &mumbai, &mv, json!({ "kind": "expiry", "lot": lot, "vials": 1 })).await,
        StatusCode::CONFLICT,
        "STK0001",
    );
    let wasted = post(
        &app,
        &mumbai,
        &mv,
        json!({ "kind": "wastage", "lot": lot, "vials": 5, "reason": "broken", "note": "dropped" }),
    )
    .await;
    assert_eq!(assert_ok(&wasted, StatusCode::CREATED)["delta"], -5);
    post(&app, &pune, &mv, json!({ "kind": "receipt", "lot": lot, "vials": 5 }))
        .await
        .assert_error(StatusCode::NOT_FOUND, "USRRES0404");

    // Transfers: more than on hand is refused (never below zero); 40 go down to BKC.
    let tr = format!("/points/{store}/transfers");
    assert_code(
        &post(&app, &mumbai, &tr, json!({ "to": at_bkc, "lot": lot, "vials": 96 })).await,
        StatusCode::CONFLICT,
        "STK0001",
    );
    assert_fields(
        &post(&app, &mumbai, &tr, json!({ "to": store, "lot": lot, "vials": 1 })).await,
        &["to"],
    );
    let sent = post(&app, &mumbai, &tr, json!({ "to": at_bkc, "lot": lot, "vials": 40 })).await;
    let sent = assert_ok(&sent, StatusCode::CREATED);
    assert_eq!(
        (sent["out"]["kind"].as_str(), sent["out"]["delta"].as_i64()),
        (Some("issue"), Some(-40))
    );
    assert_eq!(
        (sent["in"]["kind"].as_str(), sent["in"]["delta"].as_i64()),
        (Some("transfer_in"), Some(40))
    );
    // The facility official cannot send from the district store.
    post(&app, &bkc, &tr, json!({ "to": at_bkc, "lot": lot, "vials": 1 }))
        .await
        .assert_error(StatusCode::NOT_FOUND, "USRRES0404");

    // Stock views: 100 − 5 − 40 = 55 vials of 10 doses; 400 doses went out in 30 days, so
    // 550 / (400 / 30) = 41.25 → 41.2 days.
    let s = stock_of(&app, &mumbai, &store).await;
    assert_eq!(s["lots"][0]["vials"], 55, "{s}");
    let v = &s["vaccines"][0];
    assert_eq!(
        (v["vaccine"].as_str(), v["doses"].as_i64()),
        (Some("COVISHIELD"), Some(550)),
        "{s}"
    );
    assert_eq!(v["used_doses_30d"], 400);
    assert_eq!(v["days_of_stock"], 41.2);
    assert_eq!(v["warnings"], json!([]));
    // BKC: no use yet (no rate), a second lot expiring in 10 days warns.
    let soon = new_lot(&app, &mumbai, "SOON-1", 10).await;
    receipt(&app, &mumbai, &at_bkc, &soon, 3).await;
    let s = stock_of(&app, &bkc, &at_bkc).await;
    let v = &s["vaccines"][0];
    assert_eq!((v["vials"].as_i64(), v["days_of_stock"].clone()), (Some(43), Value::Null), "{s}");
    assert_eq!(v["warnings"][0]["code"], "expiring_soon", "{s}");
    assert_eq!(v["warnings"][0]["lot"], soon.as_str());
    assert_eq!(s["lots"][0]["expiring_soon"], true, "earliest expiry first");
    // Kurla: received and all wasted: a stock-out.
    receipt(&app, &mumbai, &at_kurla, &soon, 2).await;
    let out = post(
        &app,
        &mumbai,
        &format!("/points/{at_kurla}/movements"),
        json!({ "kind": "wastage", "lot": soon, "vials": 2, "reason": "frozen" }),
    )
    .await;
    assert_ok(&out, StatusCode::CREATED);
    let s = stock_of(&app, &mumbai, &at_kurla).await;
    assert_eq!(s["vaccines"][0]["warnings"], json!([{ "code": "stock_out" }]), "{s}");
    assert_eq!(s["lots"], json!([]));

    // The area summary: every point, the totals per vaccine.
    let area = assert_ok(&get(&app, &mumbai, "/stock").await, StatusCode::OK);
    assert_eq!(area["points"].as_array().unwrap().len(), 3);
    assert_eq!(area["totals"][0]["vials"], 55 + 43, "{area}");
    let none = assert_ok(&get(&app, &pune, "/stock").await, StatusCode::OK);
    assert_eq!(none["totals"], json!([]));

    // The ledger, newest first, and the audit log.
    let ledger =
        assert_ok(&get(&app, &mumbai, &format!("/points/{store}/movements")).await, StatusCode::OK);
    let kinds: Vec<&str> = ledger["movements"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["issue", "wastage", "receipt"]);
    let audit = call(&app, Method::GET, &mumbai, "/audit?action=stock.", None).await;
    let audit = assert_ok(&audit, StatusCode::OK);
    assert!(audit["entries"].as_array().unwrap().len() >= 4, "{audit}");

    // A lot past its expiry cannot be received (the ledger rule), only written off.
    let short = new_lot(&app, &mumbai, "SHORT-1", 1).await;
    receipt(&app, &mumbai, &store, &short, 4).await;
    app.advance(Duration::days(2));
    // The login has lapsed meanwhile.
    let (mumbai, _) = official(&app, "mumbai.dio2", self::mumbai()).await;
    let late = post(
        &app,
        &mumbai,
        &format!("/points/{store}/movements"),
        json!({ "kind": "receipt", "lot": short, "vials": 1 }),
    )
    .await;
    assert_code(&late, StatusCode::CONFLICT, "STK0001");
    let gone = post(
        &app,
        &mumbai,
        &format!("/points/{store}/movements"),
        json!({ "kind": "expiry", "lot": short, "vials": 4 }),
    )
    .await;
    assert_ok(&gone, StatusCode::CREATED);
}

async fn equipment_readings_and_alarms(backend: Backend) {
    let app = TestApp::new(backend).await;
    let (mumbai, _) = official(&app, "mumbai.dio", mumbai()).await;
    let (pune, _) = official(&app, "pune.dio", pune()).await;
    let point =
        new_point(&app, &mumbai, json!({ "name": "BKC ILR", "level": "facility", "center": BKC }))
            .await;
    let eq_path = format!("/points/{point}/equipment");

    // Equipment: the kind's band by default; bad bands and logger codes refused at the field.
    let created = post(
        &app,
        &mumbai,
        &eq_path,
        json!({ "kind": "ilr", "label": "ILR 1", "logger": "LOG-BKC-1", "excursion_minutes": 15 }),
    )
    .await;
    let e = assert_ok(&created, StatusCode::CREATED);
    assert_eq!((e["min_c"].as_str(), e["max_c"].as_str()), (Some("2.0"), Some("8.0")), "{e}");
    assert_eq!(
        (e["excursion_minutes"].as_i64(), e["silence_minutes"].as_i64()),
        (Some(15), Some(60))
    );
    let eq = e["id"].as_str().unwrap().to_owned();
    assert_fields(
        &post(
            &app,
            &mumbai,
            &eq_path,
            json!({ "kind": "ilr", "label": "ILR 2", "min_c": 9, "max_c": 3 }),
        )
        .await,
        &["max_c"],
    );
    assert_fields(
        &post(
            &app,
            &mumbai,
            &eq_path,
            json!({ "kind": "oven", "label": "", "logger": "a b", "silence_minutes": -1 }),
        )
        .await,
        &["kind", "label", "silence_minutes", "logger"],
    );
    let freezer =
        post(&app, &mumbai, &eq_path, json!({ "kind": "deep_freezer", "label": "DF 1" })).await;
    assert_eq!(assert_ok(&freezer, StatusCode::CREATED)["max_c"], "-15.0");
    // The same logger cannot report for two fridges.
    let taken = post(
        &app,
        &mumbai,
        &eq_path,
        json!({ "kind": "ilr", "label": "ILR 3", "logger": "LOG-BKC-1" }),
    )
    .await;
    assert_code(&taken, StatusCode::CONFLICT, "CCH0001");
    post(&app, &pune, &eq_path, json!({ "kind": "ilr", "label": "X" }))
        .await
        .assert_error(StatusCode::NOT_FOUND, "USRRES0404");

    // Readings, as the ingester stores them: every 10 minutes for 3 hours, 40 minutes warm.
    let now = app.now().timestamp_millis();
    let device = DeviceCode::parse("LOG-BKC-1").unwrap();
    let links = app.store.register_loggers(std::slice::from_ref(&device), now).await.unwrap();
    let logger_id = links[0].logger_id;
    let readings: Vec<NewReading> = (0..18)
        .map(|i| NewReading {
            logger_id,
            at_ms: now - 3 * 3_600_000 + i * 600_000,
            tenths: if (6..10).contains(&i) { 95 } else { 45 },
            battery_pct: Some(90),
        })
        .collect();
    assert_eq!(app.store.insert_readings(&readings, now).await.unwrap(), 18);
    let r = get(&app, &mumbai, &format!("/equipment/{eq}/readings")).await;
    let r = assert_ok(&r, StatusCode::OK);
    assert_eq!(r["readings"].as_array().unwrap().len(), 18, "{r}");
    assert_eq!((r["min_tenths"].as_i64(), r["max_tenths"].as_i64()), (Some(20), Some(80)));
    let window = format!("/equipment/{eq}/readings?from={}&to={}", now - 3_600_000, now);
    let r = assert_ok(&get(&app, &mumbai, &window).await, StatusCode::OK);
    assert_eq!(r["readings"].as_array().unwrap().len(), 6, "{r}");
    assert!(r["readings"][0]["at"].as_i64().unwrap() >= now - 3_600_000);
    let bad =
        get(&app, &mumbai, &format!("/equipment/{eq}/readings?from={now}&to={}", now - 1)).await;
    bad.assert_error(StatusCode::BAD_REQUEST, "ADM0002");
    let wide = format!("/equipment/{eq}/readings?from={}&to={now}", now - 9 * 86_400_000);
    get(&app, &mumbai, &wide).await.assert_error(StatusCode::BAD_REQUEST, "ADM0002");
    get(&app, &pune, &format!("/equipment/{eq}/readings"))
        .await
        .assert_error(StatusCode::NOT_FOUND, "USRRES0404");
    let list = assert_ok(&get(&app, &mumbai, &eq_path).await, StatusCode::OK);
    let first = &list["equipment"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["id"] == eq.as_str())
        .unwrap()
        .clone();
    assert_eq!(first["last_reading"]["tenths"], 45, "{list}");

    // An excursion alarm: the lot in stock is exposed and marked for review.
    let lot = new_lot(&app, &mumbai, "EXPO-1", 120).await;
    receipt(&app, &mumbai, &point, &lot, 10).await;
    let eq_id: EquipmentId = eq.parse().unwrap();
    let opened = app
        .store
        .apply_alarm_changes(
            &[AlarmChange::Open {
                equipment: eq_id,
                kind: AlarmKind::TooWarm,
                since_ms: now - 2 * 3_600_000,
                worst_tenths: Some(95),
            }],
            now,
        )
        .await
        .unwrap();
    let alarm = opened[0].id.to_string();
    let alarms = assert_ok(&get(&app, &mumbai, "/alarms").await, StatusCode::OK);
    assert_eq!(alarms["alarms"][0]["id"], alarm.as_str(), "{alarms}");
    assert_eq!(alarms["alarms"][0]["status"], "open");
    assert_eq!(alarms["alarms"][0]["equipment_label"], "ILR 1");
    let none = assert_ok(&get(&app, &pune, "/alarms").await, StatusCode::OK);
    assert_eq!(none["alarms"], json!([]));
    let review = assert_ok(&get(&app, &mumbai, "/lots/review").await, StatusCode::OK);
    assert_eq!(review["lots"][0]["id"], lot.as_str(), "{review}");
    assert_eq!(stock_of(&app, &mumbai, &point).await["lots"][0]["under_review"], true);
    let one = assert_ok(&get(&app, &mumbai, &format!("/alarms/{alarm}")).await, StatusCode::OK);
    assert_eq!(one["exposed_lots"][0]["vials"], 10, "{one}");

    // Acknowledge, then close with an action and the lot's review.
    post(&app, &pune, &format!("/alarms/{alarm}/acknowledge"), json!({}))
        .await
        .assert_error(StatusCode::NOT_FOUND, "USRRES0404");
    let ack = post(&app, &mumbai, &format!("/alarms/{alarm}/acknowledge"), json!({})).await;
    assert_eq!(assert_ok(&ack, StatusCode::OK)["status"], "acknowledged");
    let close = format!("/alarms/{alarm}/close");
    assert_fields(&post(&app, &mumbai, &close, json!({ "action": "other" })).await, &["note"]);
    assert_fields(
        &post(
            &app,
            &mumbai,
            &close,
            json!({ "action": "nope", "reviews": [{ "lot": "x", "review": "usable" }] }),
        )
        .await,
        &["action", "reviews"],
    );
    let closed = post(
        &app,
        &mumbai,
        &close,
        json!({ "action": "vials_quarantined", "note": "VVMs checked", "reviews": [{ "lot": lot, "review": "quarantined" }] }),
    )
    .await;
    let closed = assert_ok(&closed, StatusCode::OK);
    assert_eq!(
        (closed["status"].as_str(), closed["action"].as_str()),
        (Some("closed"), Some("vials_quarantined"))
    );
    assert_code(
        &post(&app, &mumbai, &close, json!({ "action": "no_risk" })).await,
        StatusCode::CONFLICT,
        "CCH0002",
    );
    let review = assert_ok(&get(&app, &mumbai, "/lots/review").await, StatusCode::OK);
    assert_eq!(review["lots"], json!([]));
    let open = assert_ok(&get(&app, &mumbai, "/alarms?status=open").await, StatusCode::OK);
    assert_eq!(open["alarms"], json!([]));
    let list = assert_ok(&get(&app, &mumbai, &eq_path).await, StatusCode::OK);
    assert!(list["equipment"].as_array().unwrap().iter().all(|x| x["open_alarms"] == json!([])));
    get(&app, &mumbai, "/alarms?status=maybe")
        .await
        .assert_error(StatusCode::BAD_REQUEST, "ADM0002");

    // Unlinking the logger is audited.
    let unlinked =
        post(&app, &mumbai, &format!("/equipment/{eq}/logger"), json!({ "logger": null })).await;
    assert_eq!(assert_ok(&unlinked, StatusCode::OK)["logger"], Value::Null);
    let audit = call(&app, Method::GET, &mumbai, "/audit?action=coldchain.", None).await;
    let actions: Vec<String> = assert_ok(&audit, StatusCode::OK)["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect();
    assert!(actions.iter().any(|a| a == "coldchain.logger.unlink"), "{actions:?}");
    assert!(actions.iter().any(|a| a == "coldchain.equipment.create"), "{actions:?}");
}

on_both_backends!(points_stock_and_permissions, equipment_readings_and_alarms);
