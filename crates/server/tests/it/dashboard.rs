//! The public dashboard (`/dashboard`, `/api/public/v1/dashboard`, the open-data CSVs): the
//! figures the counters hold, nothing under the suppression threshold anywhere (nor a cell
//! that the shown ones give back), English and Hindi, entity tags and shared caching, no
//! cookies, a doses synced at a site showing in today's count once folded and the two-second
//! cache has passed, and the same answers from a read-only server.

use axum::http::{StatusCode, header};
use serde_json::{Value, json};
use tika_domain::ids::{CenterId, DistrictId, StateId};
use tika_domain::reports::{
    AgeGroup, DoseBucket, FacilityOwnership, RollupKey, Setting, normalize_block,
};
use tika_domain::vaccine::VaccineCode;
use tika_server::services::reports::fold_now;
use tika_storage::Backend;
use tika_test_support::on_both_backends;

use crate::harness::{MAHARASHTRA, MUMBAI_SUBURBAN, PUNE, TestApp};
use crate::site::{arrival, booked, dose, setup, synced};

const KARNATAKA: i64 = 16;
const BENGALURU_URBAN: i64 = 282;
const API: &str = "/api/public/v1/dashboard";

fn key(app: &TestApp, days_ago: i64, state: i64, district: i64, dose: DoseBucket) -> RollupKey {
    RollupKey {
        day: app.day(-days_ago),
        state: StateId(state),
        district: DistrictId(district),
        block: normalize_block("Block A"),
        center: CenterId(district * 1000),
        vaccine: VaccineCode::parse("COVISHIELD").unwrap(),
        dose,
        age_group: AgeGroup::of(40),
        gender_id: 1,
        priority_group: None,
        ownership: FacilityOwnership::Government,
        setting: Setting::Urban,
    }
}

/// Counters: Mumbai Suburban 120 first doses 3 days ago, 40 second doses today and 25 first
/// doses today; Pune 3 first doses today (small); Bengaluru Urban 500 first and 14 second doses
/// 10 days ago.
async fn counters(app: &TestApp) {
    let keys = vec![
        (key(app, 3, MAHARASHTRA, MUMBAI_SUBURBAN, DoseBucket::First), 120),
        (key(app, 0, MAHARASHTRA, MUMBAI_SUBURBAN, DoseBucket::Second), 40),
        (key(app, 0, MAHARASHTRA, MUMBAI_SUBURBAN, DoseBucket::First), 25),
        (key(app, 0, MAHARASHTRA, PUNE, DoseBucket::First), 3),
        (key(app, 10, KARNATAKA, BENGALURU_URBAN, DoseBucket::First), 500),
        (key(app, 10, KARNATAKA, BENGALURU_URBAN, DoseBucket::Second), 14),
    ];
    app.store.add_simulated_counts(&keys, &[]).await.unwrap();
}

fn area(d: &Value, id: i64) -> &Value {
    d["areas"].as_array().unwrap().iter().find(|a| a["id"] == id).unwrap()
}

/// Every count in the body is hidden (`null`), zero, or at least the threshold.
fn nothing_small(v: &Value) {
    let small = |n: &Value| n.as_i64().is_some_and(|n| n > 0 && n < 10);
    let counts = ["today", "total", "dose1", "dose2", "precaution", "doses"];
    let mut stack = vec![v];
    while let Some(x) = stack.pop() {
        match x {
            Value::Object(m) => {
                for (k, val) in m {
                    if counts.contains(&k.as_str()) {
                        assert!(!small(val), "{k} = {val} is published: {v}");
                    }
                    stack.push(val);
                }
            }
            Value::Array(a) => stack.extend(a.iter()),
            _ => {}
        }
    }
}

async fn the_dashboard_publishes_the_counters_without_small_cells(backend: Backend) {
    let app = TestApp::new(backend).await;
    counters(&app).await;

    let res = app.get(API).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    assert!(res.headers.get(header::SET_COOKIE).is_none());
    assert_eq!(res.header(header::CACHE_CONTROL), Some("public, max-age=5"));
    let d = res.json();
    nothing_small(&d);
    assert_eq!(d["scope"]["level"], "nation");
    assert_eq!(d["suppression_threshold"], 10);
    assert_eq!(d["total"], 702);
    assert_eq!(d["today"], 68);
    let by_dose: Vec<(String, Value, Value)> = d["by_dose"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| (f["dose"].as_str().unwrap().to_owned(), f["today"].clone(), f["total"].clone()))
        .collect();
    assert_eq!(
        by_dose,
        vec![
            ("first".to_owned(), json!(28), json!(648)),
            ("second".to_owned(), json!(40), json!(54)),
            ("precaution".to_owned(), json!(0), json!(0)),
        ]
    );
    // States: Maharashtra 188 (148 first, 40 second, 68 today), Karnataka 514 (500, 14, 0).
    let mh = area(&d, MAHARASHTRA);
    assert_eq!(
        (mh["total"].clone(), mh["dose1"].clone(), mh["dose2"].clone()),
        (json!(188), json!(148), json!(40))
    );
    assert_eq!(mh["today"], 68);
    assert_eq!(mh["name_hi"], "महाराष्ट्र");
    let ka = area(&d, KARNATAKA);
    assert_eq!(
        (ka["total"].clone(), ka["dose1"].clone(), ka["dose2"].clone()),
        (json!(514), json!(500), json!(14))
    );
    assert_eq!(d["areas"].as_array().unwrap().len(), 36, "every state and union territory");
    // The last 30 days, today last; nothing on days without doses.
    let daily = d["daily"].as_array().unwrap();
    assert_eq!(daily.len(), 30);
    assert_eq!(daily[29]["date"], app.day(0).to_string());
    assert_eq!(daily[29]["doses"], 68);
    assert_eq!(daily[26]["doses"], 120);
    assert_eq!(daily[19]["doses"], 514);
    assert_eq!(daily[0]["doses"], 0);

    // Maharashtra's districts: Pune's 3 doses are hidden, and so is the one other non-zero
    // cell of each column where Pune is alone (else the state's totals give it back).
    let res = app.get(format!("{API}?state={MAHARASHTRA}")).send().await;
    let s = res.json();
    nothing_small(&s);
    assert_eq!(s["total"], 188);
    let pune = area(&s, PUNE);
    assert_eq!(pune["today"], Value::Null);
    assert_eq!(pune["total"], Value::Null);
    assert_eq!(pune["dose1"], Value::Null);
    assert_eq!(pune["dose2"], 0);
    let mumbai = area(&s, MUMBAI_SUBURBAN);
    assert_eq!(mumbai["today"], Value::Null);
    assert_eq!(mumbai["total"], Value::Null);
    assert_eq!(mumbai["dose1"], Value::Null);
    assert_eq!(mumbai["dose2"], 40);

    // An unknown state: a precise 400.
    let res = app.get(format!("{API}?state=99")).send().await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.text());
    assert_eq!(res.json()["errorCode"], "APPOIN0040");
    let res = app.get("/dashboard/data/areas.csv?state=abc").send().await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST);

    // The open data: the same numbers, hidden cells empty.
    let res = app.get(format!("/dashboard/data/areas.csv?state={MAHARASHTRA}")).send().await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(res.header(header::CONTENT_TYPE).unwrap().starts_with("text/csv"));
    let mut csv = csv::Reader::from_reader(res.body.as_ref());
    let head: Vec<String> = csv.headers().unwrap().iter().map(str::to_owned).collect();
    assert_eq!(&head[..5], ["district_id", "district_name", "as_of", "doses_today", "doses_total"]);
    let rows: Vec<csv::StringRecord> = csv.records().map(Result::unwrap).collect();
    let pune_row = rows.iter().find(|r| &r[0] == PUNE.to_string().as_str()).unwrap();
    assert_eq!((&pune_row[1], &pune_row[3], &pune_row[4], &pune_row[6]), ("Pune", "", "", "0"));
    let res = app.get("/dashboard/data/daily.csv").send().await;
    let text = res.text();
    assert!(text.starts_with("date,doses\n"), "{text}");
    assert!(text.contains(&format!("{},68\n", app.day(0))), "{text}");
    assert_eq!(text.lines().count(), 31);

    // The page, in both languages, with the hidden cells said in words.
    let res = app.get("/dashboard?lang=en").send().await;
    assert_eq!(res.status, StatusCode::OK);
    assert!(res.headers.get(header::SET_COOKIE).is_none());
    assert!(res.header(header::CONTENT_SECURITY_POLICY).is_some());
    let html = res.text();
    assert!(html.contains("Vaccination dashboard · India"), "{html}");
    assert!(html.contains("<strong id=\"total\">702</strong>"), "{html}");
    assert!(html.contains("Maharashtra"));
    assert!(html.contains("<svg"), "charts are drawn");
    assert!(html.contains("class=\"map-dot\""), "the map is drawn");
    let res = app.get(format!("/dashboard?state={MAHARASHTRA}&lang=hi")).send().await;
    let html = res.text();
    assert!(html.contains("टीकाकरण डैशबोर्ड · महाराष्ट्र"), "{html}");
    assert!(html.contains("10 से कम"), "hidden cells are said: {html}");
    assert!(!html.contains(">3<"), "Pune's 3 doses are nowhere: {html}");
}

async fn a_client_revalidates_with_the_entity_tag(backend: Backend) {
    let app = TestApp::new(backend).await;
    counters(&app).await;
    let first = app.get(API).send().await;
    let etag = first.header(header::ETAG).unwrap().to_owned();
    assert!(etag.starts_with('"') && etag.ends_with('"'), "{etag}");
    let again = app.get(API).header("if-none-match", &etag).send().await;
    assert_eq!(again.status, StatusCode::NOT_MODIFIED);
    assert!(again.body.is_empty());
    assert_eq!(again.header(header::ETAG), Some(etag.as_str()));
    let other = app.get(API).header("if-none-match", "\"something-else\"").send().await;
    assert_eq!(other.status, StatusCode::OK);
    assert_eq!(other.body, first.body);
    let page = app.get("/dashboard?lang=en").send().await;
    let tag = page.header(header::ETAG).unwrap().to_owned();
    let page_again = app.get("/dashboard?lang=en").header("if-none-match", &tag).send().await;
    assert_eq!(page_again.status, StatusCode::NOT_MODIFIED);
}

async fn a_synced_dose_shows_in_todays_count(backend: Backend) {
    let (app, token, vaccinator) = setup(backend).await;
    counters(&app).await;
    let before = app.get(API).send().await.json();
    assert_eq!(before["today"], 68);

    let p = booked(&app, 1, app.s.today).await;
    let d = dose(&app, app.s.today, &json!(p.id), Some(&p.row), vaccinator);
    for r in synced(&app, &token, &[arrival(&app, app.s.today, p.id), d]).await {
        assert_eq!(r["outcome"], "applied", "{r}");
    }
    fold_now(&app.state).await.unwrap();
    // Within the cache time the kept answer stands; after it, the new dose is counted.
    assert_eq!(app.get(API).send().await.json()["today"], 68);
    tokio::time::sleep(std::time::Duration::from_millis(2_100)).await;
    let after = app.get(API).send().await.json();
    assert_eq!(after["today"], 69);
    assert_eq!(after["total"], 703);
    assert_eq!(area(&after, MAHARASHTRA)["today"], 69);

    // A read-only server answers the same from the same counters.
    let (twin, _) = app.read_only_twin().await;
    let req = axum::http::Request::get(API).body(axum::body::Body::empty()).unwrap();
    let res = crate::harness::send_to(twin, req, false).await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    assert_eq!(res.json()["total"], 703);
}

on_both_backends!(
    the_dashboard_publishes_the_counters_without_small_cells,
    a_client_revalidates_with_the_entity_tag,
    a_synced_dose_shows_in_todays_count,
);
