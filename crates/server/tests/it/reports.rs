//! Officials' reports (`/api/admin/v1/reports…`, `/console/reports…`): doses synced at sites
//! counted after a fold and taken out by an undo, every grouping and filter; JSON, CSV and
//! XLSX agreeing cell by cell (the XLSX opened with calamine); every bad parameter listed at
//! once; an area official seeing only their area; target uploads (all rows or none); session
//! reports; and the pages in English and Hindi.

use std::io::Cursor;

use axum::http::{Method, StatusCode, header};
use calamine::{Data, Reader};
use chrono::Duration;
use serde_json::{Value, json};
use tika_domain::admin::Area;
use tika_domain::ids::{CenterId, DistrictId, SessionId, StateId};
use tika_domain::message::MessageStatus;
use tika_domain::mobile::Mobile;
use tika_domain::staff::StaffRole;
use tika_server::services::reports::fold_now;
use tika_storage::Backend;
use tika_test_support::on_both_backends;

use crate::admin::{call, official};
use crate::harness::{
    BKC, KURLA, MAHARASHTRA, MUMBAI_SUBURBAN, PUNE, RUBY_HALL, Resp, SessionSpec, TestApp, mobile,
};
use crate::site::{
    BATCH, Booked, arrival, booked, cancel, dose, issue_batch, person, setup, staff, synced, undo,
    walk_in_dose,
};

const R: &str = "/reports";

fn mumbai() -> Area {
    Area::District { state: StateId(MAHARASHTRA), district: DistrictId(MUMBAI_SUBURBAN) }
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
    call(app, Method::GET, token, &format!("{R}{path}"), None).await
}

#[track_caller]
fn assert_ok(res: &Resp) -> Value {
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    res.json()
}

/// Asserts a 400 `ADM0001` naming exactly these fields, in this order.
#[track_caller]
fn assert_fields(res: &Resp, fields: &[&str]) {
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.text());
    let v = res.json();
    assert_eq!(v["errorCode"], "ADM0001", "{v}");
    let got: Vec<&str> =
        v["fields"].as_array().unwrap().iter().map(|f| f["field"].as_str().unwrap()).collect();
    assert_eq!(got, fields, "{v}");
    for f in v["fields"].as_array().unwrap() {
        assert!(f["message"].as_str().is_some_and(|m| !m.is_empty()), "{v}");
    }
}

#[track_caller]
fn assert_not_found(res: &Resp) {
    assert_eq!(res.status, StatusCode::NOT_FOUND, "{}", res.text());
    assert_eq!(res.json()["errorCode"], "USRRES0404");
}

async fn fold(app: &TestApp) {
    fold_now(&app.state).await.unwrap();
}

/// (code, doses, cumulative) of each row.
fn rows(v: &Value) -> Vec<(String, i64, i64)> {
    v["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["code"].as_str().unwrap().to_owned(),
                r["doses"].as_i64().unwrap(),
                r["cumulative"].as_i64().unwrap(),
            )
        })
        .collect()
}

/// (code, doses) of each row.
async fn doses_by(app: &TestApp, token: &str, query: &str) -> Vec<(String, i64)> {
    let v = assert_ok(&get(app, token, &format!("?{query}")).await);
    rows(&v).into_iter().map(|(c, d, _)| (c, d)).collect()
}

fn pairs(list: &[(&str, i64)]) -> Vec<(String, i64)> {
    list.iter().map(|(c, n)| ((*c).to_owned(), *n)).collect()
}

/// Doses recorded through the site sync: at BKC (Mumbai Suburban) two booked people born in
/// 1985 (gender 2) and a walk-in born in 1961 (gender 1); at Ruby Hall (Pune, private) a
/// walk-in born in 1961.
struct Scene {
    app: TestApp,
    bkc: String,
    p1: Booked,
    p2: Booked,
    p2_dose: Value,
    ruby_session: SessionId,
}

async fn scene(backend: Backend) -> Scene {
    let (app, bkc, vaccinator) = setup(backend).await;
    let p1 = booked(&app, 1, app.s.today).await;
    let p2 = booked(&app, 2, app.s.today).await;
    let d1 = dose(&app, app.s.today, &json!(p1.id), Some(&p1.row), vaccinator);
    let p2_dose = dose(&app, app.s.today, &json!(p2.id), Some(&p2.row), vaccinator);
    let (reg, walk) = walk_in_dose(&app, app.s.today, &person("Ramesh Kumar", 500), vaccinator);
    let records = [
        arrival(&app, app.s.today, p1.id),
        d1,
        arrival(&app, app.s.today, p2.id),
        p2_dose.clone(),
        reg,
        walk,
    ];
    for r in synced(&app, &bkc, &records).await {
        assert_eq!(r["outcome"], "applied", "{r}");
    }
    let ruby_session =
        app.add_session(&SessionSpec { center: RUBY_HALL, ..SessionSpec::at(0, 10, 10) }).await;
    issue_batch(&app, RUBY_HALL, BATCH, "COVISHIELD").await;
    let (ruby, ruby_vaccinator) = staff(&app, RUBY_HALL, StaffRole::Vaccinator).await;
    let (reg, walk) = walk_in_dose(&app, ruby_session, &person("Sita Rao", 600), ruby_vaccinator);
    for r in synced(&app, &ruby, &[reg, walk]).await {
        assert_eq!(r["outcome"], "applied", "{r}");
    }
    Scene { app, bkc, p1, p2, p2_dose, ruby_session }
}

// ---------------------------------------------------------------------------------------------

async fn synced_doses_show_after_a_fold_and_an_undo_takes_them_out(backend: Backend) {
    let s = scene(backend).await;
    let app = &s.app;
    let (india, _) = official(app, "india.reports", Area::National).await;

    // Nothing is counted before the fold.
    assert_eq!(doses_by(app, &india, "group_by=total").await, pairs(&[("total", 0)]));
    fold(app).await;
    let v = assert_ok(&get(app, &india, "?group_by=total").await);
    assert_eq!(rows(&v), [("total".to_owned(), 4, 4)]);
    assert_eq!(v["filter"]["level"], "national");
    assert_eq!(v["group_by"], "total");

    // A day series: 30 days ending today, zero days included, cumulative to each day.
    let v = assert_ok(&get(app, &india, "").await);
    assert_eq!(v["group_by"], "day");
    let days = rows(&v);
    assert_eq!(days.len(), 30);
    assert_eq!(days[29], (app.today.format("%Y-%m-%d").to_string(), 4, 4));
    assert!(days[..29].iter().all(|(_, d, c)| *d == 0 && *c == 0), "{days:?}");
    assert_eq!(
        v["filter"]["from"],
        (app.today - Duration::days(29)).format("%Y-%m-%d").to_string()
    );
    assert_eq!(v["total"], json!({ "doses": 4, "cumulative": 4, "coverage_percent": null }));

    // Nation → state → district → block → facility.
    let by_area = assert_ok(&get(app, &india, "?group_by=area").await);
    assert_eq!(rows(&by_area), [(MAHARASHTRA.to_string(), 4, 4)]);
    assert_eq!(by_area["rows"][0]["name"], "Maharashtra");
    let hindi = assert_ok(&get(app, &india, "?group_by=area&lang=hi").await);
    assert_eq!(hindi["rows"][0]["name"], "महाराष्ट्र");
    assert_eq!(
        doses_by(app, &india, &format!("group_by=area&state={MAHARASHTRA}")).await,
        pairs(&[(&MUMBAI_SUBURBAN.to_string(), 3), (&PUNE.to_string(), 1)])
    );
    assert_eq!(
        doses_by(app, &india, &format!("group_by=area&district={MUMBAI_SUBURBAN}")).await,
        pairs(&[(&format!("{MUMBAI_SUBURBAN}/WARD H EAST"), 3)])
    );
    let block = assert_ok(
        &get(
            app,
            &india,
            &format!("?group_by=area&district={MUMBAI_SUBURBAN}&block=ward%20h%20east"),
        )
        .await,
    );
    assert_eq!(rows(&block), [(BKC.to_string(), 3, 3)]);
    assert_eq!(block["rows"][0]["name"], "BKC Jumbo Facility");
    assert_eq!(block["filter"]["level"], "block");
    assert_eq!(
        doses_by(app, &india, &format!("group_by=total&center={BKC}")).await,
        pairs(&[("total", 3)])
    );

    // Every other dimension.
    assert_eq!(doses_by(app, &india, "group_by=dose").await, pairs(&[("first", 4)]));
    assert_eq!(doses_by(app, &india, "group_by=vaccine").await, pairs(&[("COVISHIELD", 4)]));
    assert_eq!(
        doses_by(app, &india, "group_by=age_group").await,
        pairs(&[("18-44", 2), ("60+", 2)])
    );
    assert_eq!(doses_by(app, &india, "group_by=gender").await, pairs(&[("1", 2), ("2", 2)]));
    assert_eq!(
        doses_by(app, &india, "group_by=priority_group").await,
        pairs(&[("18+", 2), ("60+", 2)])
    );
    assert_eq!(
        doses_by(app, &india, "group_by=facility_type").await,
        pairs(&[("government", 3), ("private", 1)])
    );
    assert_eq!(doses_by(app, &india, "group_by=setting").await, pairs(&[("unknown", 4)]));
    // Filters narrow the counts.
    assert_eq!(doses_by(app, &india, "group_by=total&gender=1").await, pairs(&[("total", 2)]));
    assert_eq!(doses_by(app, &india, "group_by=total&dose=second").await, pairs(&[("total", 0)]));
    assert_eq!(
        doses_by(app, &india, "group_by=total&facility_type=private&age_group=60%2B").await,
        pairs(&[("total", 1)])
    );
    assert_eq!(
        doses_by(app, &india, "group_by=total&priority_group=18%2B&vaccine=COVISHIELD").await,
        pairs(&[("total", 2)])
    );
    // A range before the doses counts none of them, but every dose up to its end.
    let past = (app.today - Duration::days(5)).format("%Y-%m-%d");
    assert_eq!(
        rows(&assert_ok(&get(app, &india, &format!("?group_by=total&until={past}")).await)),
        [("total".to_owned(), 0, 0)]
    );

    // People waiting for dose 2, by state: not due yet today.
    let due = assert_ok(&get(app, &india, "/second-doses").await);
    assert_eq!(due["rows"][0]["code"], MAHARASHTRA.to_string());
    assert_eq!(due["total"], json!({ "not_due_yet": 4, "due": 0, "overdue": 0 }));

    // p2's dose was a mistake: undone at the site, it leaves the counters at the next fold.
    let results = synced(
        app,
        &s.bkc,
        &[undo(app, app.s.today, &s.p2_dose, "Recorded against the wrong person")],
    )
    .await;
    assert_eq!(results[0]["outcome"], "applied", "{}", results[0]);
    assert_eq!(doses_by(app, &india, "group_by=total").await, pairs(&[("total", 4)]));
    fold(app).await;
    assert_eq!(doses_by(app, &india, "group_by=total").await, pairs(&[("total", 3)]));
    assert_eq!(
        doses_by(app, &india, &format!("group_by=area&state={MAHARASHTRA}")).await,
        pairs(&[(&MUMBAI_SUBURBAN.to_string(), 2), (&PUNE.to_string(), 1)])
    );
    assert_eq!(doses_by(app, &india, "group_by=gender").await, pairs(&[("1", 2), ("2", 1)]));
    let due = assert_ok(&get(app, &india, "/second-doses").await);
    assert_eq!(due["total"], json!({ "not_due_yet": 3, "due": 0, "overdue": 0 }));
    let _ = &s.p1;

    // 90 days on, COVISHIELD's second dose is due (84 to 112 days); after 112, overdue.
    app.advance(Duration::days(90));
    let (later, _) = official(app, "india.reports.later", Area::National).await;
    let due = assert_ok(&get(app, &later, "/second-doses").await);
    assert_eq!(due["total"], json!({ "not_due_yet": 0, "due": 3, "overdue": 0 }));
    app.advance(Duration::days(30));
    let (latest, _) = official(app, "india.reports.latest", Area::National).await;
    let due = assert_ok(&get(app, &latest, &format!("/second-doses?state={MAHARASHTRA}")).await);
    assert_eq!(due["total"], json!({ "not_due_yet": 0, "due": 0, "overdue": 3 }));
    let codes: Vec<&str> =
        due["rows"].as_array().unwrap().iter().map(|r| r["code"].as_str().unwrap()).collect();
    assert_eq!(codes, [MUMBAI_SUBURBAN.to_string(), PUNE.to_string()]);
}

// ---------------------------------------------------------------------------------------------

fn csv_rows(text: &str) -> Vec<Vec<String>> {
    let mut r = csv::ReaderBuilder::new().has_headers(false).from_reader(text.as_bytes());
    r.records().map(|x| x.unwrap().iter().map(str::to_owned).collect()).collect()
}

fn xlsx_sheet(bytes: &[u8], name: &str) -> Vec<Vec<Data>> {
    let mut book = calamine::Xlsx::new(Cursor::new(bytes.to_vec())).unwrap();
    let range = book.worksheet_range(name).unwrap();
    range.rows().map(<[Data]>::to_vec).collect()
}

fn cell_text(d: &Data) -> String {
    match d {
        Data::String(s) => s.clone(),
        Data::Empty => String::new(),
        other => panic!("expected text, got {other:?}"),
    }
}

fn cell_number(d: &Data) -> Option<f64> {
    match d {
        Data::Float(f) => Some(*f),
        Data::Int(i) => Some(*i as f64),
        Data::Empty => None,
        other => panic!("expected a number, got {other:?}"),
    }
}

async fn json_csv_and_xlsx_agree(backend: Backend) {
    let s = scene(backend).await;
    let app = &s.app;
    fold(app).await;
    let (india, _) = official(app, "india.exports", Area::National).await;
    let targets = format!(
        "state,district,block,age_group,dose,population_eligible\n{MAHARASHTRA},,,,first,1000\n{MAHARASHTRA},{MUMBAI_SUBURBAN},,,first,200\n"
    );
    let res = app
        .post(format!("/api/admin/v1{R}/targets?name=targets.csv"))
        .bearer(&india)
        .body(targets.as_bytes())
        .send()
        .await;
    assert_ok(&res);

    let queries = [
        String::new(),
        format!("group_by=area&state={MAHARASHTRA}&dose=first"),
        "group_by=age_group&facility_type=government".to_owned(),
        format!("group_by=gender&district={MUMBAI_SUBURBAN}"),
        "group_by=dose&state=21".to_owned(),
        "group_by=total&lang=hi".to_owned(),
    ];
    let mut saw_coverage = false;
    for q in &queries {
        let v = assert_ok(&get(app, &india, &format!("?{q}")).await);
        let json_rows = v["rows"].as_array().unwrap();

        let csv_res = get(app, &india, &format!(".csv?{q}")).await;
        assert_eq!(csv_res.status, StatusCode::OK, "{}", csv_res.text());
        assert_eq!(csv_res.header(header::CONTENT_TYPE), Some("text/csv; charset=utf-8"));
        let disposition = csv_res.header(header::CONTENT_DISPOSITION).unwrap().to_owned();
        assert!(disposition.starts_with("attachment; filename=\"tika-report-"), "{disposition}");
        assert!(disposition.ends_with(".csv\""), "{disposition}");
        let lines = csv_rows(&csv_res.text());
        assert_eq!(lines.len(), json_rows.len() + 1, "{q}: {lines:?}");
        if q.contains("lang=hi") {
            assert_eq!(lines[0][1], "नाम");
        } else {
            assert_eq!(&lines[0][1..], ["Name", "Doses", "Cumulative doses", "Coverage %"]);
        }

        let xlsx_res = get(app, &india, &format!(".xlsx?{q}")).await;
        assert_eq!(xlsx_res.status, StatusCode::OK, "{}", xlsx_res.text());
        assert_eq!(
            xlsx_res.header(header::CONTENT_TYPE),
            Some("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        );
        assert!(xlsx_res.header(header::CONTENT_DISPOSITION).unwrap().ends_with(".xlsx\""));
        let sheet = xlsx_sheet(&xlsx_res.body, "Report");
        assert_eq!(sheet.len(), json_rows.len() + 1, "{q}");
        let header_row: Vec<String> = sheet[0].iter().map(cell_text).collect();
        assert_eq!(header_row, lines[0], "{q}");

        for ((j, c), x) in json_rows.iter().zip(&lines[1..]).zip(&sheet[1..]) {
            assert_eq!(c[0], j["code"].as_str().unwrap(), "{q}");
            assert_eq!(c[1], j["name"].as_str().unwrap(), "{q}");
            assert_eq!(c[2], j["doses"].to_string(), "{q}");
            assert_eq!(c[3], j["cumulative"].to_string(), "{q}");
            assert_eq!(cell_text(&x[0]), c[0], "{q}");
            assert_eq!(cell_text(&x[1]), c[1], "{q}");
            assert_eq!(cell_number(&x[2]), j["doses"].as_f64(), "{q}");
            assert_eq!(cell_number(&x[3]), j["cumulative"].as_f64(), "{q}");
            let coverage = j["coverage_percent"].as_f64();
            assert_eq!(x.get(4).and_then(cell_number), coverage, "{q}");
            assert_eq!(c[4], coverage.map(|p| format!("{p:.1}")).unwrap_or_default(), "{q}");
            saw_coverage |= coverage.is_some();
        }

        let about = xlsx_sheet(&xlsx_res.body, "About");
        let about: Vec<(String, String)> =
            about.iter().map(|r| (cell_text(&r[0]), cell_text(&r[1]))).collect();
        let value = |k: &str| about.iter().find(|(key, _)| key == k).map(|(_, v)| v.clone());
        assert_eq!(value("from").as_deref(), v["filter"]["from"].as_str(), "{q}");
        assert_eq!(value("until").as_deref(), v["filter"]["until"].as_str(), "{q}");
        assert_eq!(value("level").as_deref(), v["filter"]["level"].as_str(), "{q}");
        assert!(value("generated_at").is_some_and(|t| t.len() == 16), "{about:?}");
    }
    assert!(saw_coverage, "some row had a coverage figure");

    // Coverage: Mumbai Suburban's 3 first doses of its 200 eligible; Pune has no target; the
    // state's 4 of 1000.
    let v = assert_ok(
        &get(app, &india, &format!("?group_by=area&state={MAHARASHTRA}&dose=first")).await,
    );
    assert_eq!(v["rows"][0]["coverage_percent"], 1.5);
    assert_eq!(v["rows"][1]["coverage_percent"], Value::Null);
    assert_eq!(v["total"]["coverage_percent"], 0.4);
    // A vaccine filter has no population to compare with.
    let v = assert_ok(
        &get(
            app,
            &india,
            &format!("?group_by=area&state={MAHARASHTRA}&dose=first&vaccine=COVISHIELD"),
        )
        .await,
    );
    assert!(v["rows"].as_array().unwrap().iter().all(|r| r["coverage_percent"].is_null()));
    let _ = (&s.p1, &s.p2, s.ruby_session);
}

// ---------------------------------------------------------------------------------------------

async fn bad_parameters_are_listed_together(backend: Backend) {
    let app = TestApp::new(backend).await;
    let (india, _) = official(&app, "india.bad", Area::National).await;
    let bad = "?state=999&from=2026-13-01&dose=fourth&vaccine=NOPE&age_group=10-20&gender=9&\
               priority_group=a%20b&facility_type=shop&setting=moon&group_by=week";
    let expected = [
        "state",
        "from",
        "dose",
        "vaccine",
        "age_group",
        "gender",
        "priority_group",
        "facility_type",
        "setting",
        "group_by",
    ];
    for path in ["", ".csv", ".xlsx"] {
        assert_fields(&get(&app, &india, &format!("{path}{bad}")).await, &expected);
    }
    // A district outside the state, a block without a district, a range backwards.
    assert_fields(
        &get(&app, &india, &format!("?state={MAHARASHTRA}&district={}", MUMBAI_SUBURBAN + 1_000))
            .await,
        &["district"],
    );
    assert_fields(&get(&app, &india, "?state=7&district=395").await, &["district"]);
    assert_fields(&get(&app, &india, "?block=x").await, &["block"]);
    assert_fields(&get(&app, &india, "?from=2026-06-02&until=2026-06-01").await, &["from"]);
    assert_fields(&get(&app, &india, "?from=2020-01-01&until=2026-06-01").await, &["from"]);
    // A parameter given twice is refused, not guessed.
    assert_fields(&get(&app, &india, "?dose=first&dose=second").await, &["dose"]);
    // An unknown facility.
    assert_fields(&get(&app, &india, "?center=424242").await, &["center"]);
    // Session reports: the facility is required, dates are checked.
    assert_fields(&get(&app, &india, "/sessions?from=yesterday").await, &["center", "from"]);
    assert_fields(
        &get(&app, &india, &format!("/sessions?center={BKC}&from=2026-01-01&until=2026-06-01"))
            .await,
        &["from"],
    );
    // Without a console token: 401.
    app.get(format!("/api/admin/v1{R}")).send().await.assert_unauthenticated();
}

// ---------------------------------------------------------------------------------------------

async fn an_area_official_sees_only_their_area(backend: Backend) {
    let s = scene(backend).await;
    let app = &s.app;
    fold(app).await;
    let (mumbai, _) = official(app, "mumbai.reports", mumbai()).await;

    // Their default report is their district's, and counts only its doses.
    let v = assert_ok(&get(app, &mumbai, "?group_by=total").await);
    assert_eq!(v["filter"]["level"], "district");
    assert_eq!(v["filter"]["district"], MUMBAI_SUBURBAN);
    assert_eq!(v["filter"]["state"], MAHARASHTRA);
    assert_eq!(rows(&v), [("total".to_owned(), 3, 3)]);
    assert_eq!(
        doses_by(app, &mumbai, "group_by=area").await,
        pairs(&[(&format!("{MUMBAI_SUBURBAN}/WARD H EAST"), 3)])
    );
    assert_eq!(
        doses_by(app, &mumbai, &format!("group_by=total&district={MUMBAI_SUBURBAN}")).await,
        pairs(&[("total", 3)])
    );
    let csv = get(app, &mumbai, ".csv?group_by=total").await;
    assert_eq!(csv_rows(&csv.text())[1][2], "3");
    let due = assert_ok(&get(app, &mumbai, "/second-doses").await);
    assert_eq!(due["area"]["level"], "district");
    assert_eq!(due["total"]["not_due_yet"], 3);

    // Another district, the whole state, the nation: not found, in every form.
    for q in [
        format!("?district={PUNE}"),
        format!("?state={MAHARASHTRA}"),
        format!("?state={MAHARASHTRA}&group_by=area"),
    ] {
        assert_not_found(&get(app, &mumbai, &q).await);
        assert_not_found(&get(app, &mumbai, &format!(".csv{q}")).await);
        assert_not_found(&get(app, &mumbai, &format!(".xlsx{q}")).await);
        assert_not_found(&get(app, &mumbai, &format!("/second-doses{q}")).await);
    }
    // A facility outside the area is as unknown as one that does not exist.
    assert_fields(&get(app, &mumbai, &format!("?center={RUBY_HALL}")).await, &["center"]);
    assert_eq!(
        doses_by(app, &mumbai, &format!("group_by=total&center={KURLA}")).await,
        pairs(&[("total", 0)])
    );
    // Session reports of another district's facility or session: not found.
    assert_not_found(&get(app, &mumbai, &format!("/sessions?center={RUBY_HALL}")).await);
    assert_not_found(&get(app, &mumbai, &format!("/sessions/{}", s.ruby_session)).await);
    assert_ok(&get(app, &mumbai, &format!("/sessions/{}", app.s.today)).await);

    // A facility official: their facility only.
    let (bkc, _) = official(app, "bkc.reports", at_bkc()).await;
    let v = assert_ok(&get(app, &bkc, "?group_by=area").await);
    assert_eq!(v["filter"]["level"], "facility");
    assert_eq!(rows(&v), [(BKC.to_string(), 3, 3)]);
    assert_not_found(&get(app, &bkc, &format!("?district={MUMBAI_SUBURBAN}")).await);
    assert_fields(&get(app, &bkc, &format!("?center={KURLA}")).await, &["center"]);
    let _ = (&s.p1, &s.p2, &s.p2_dose);
}

// ---------------------------------------------------------------------------------------------

async fn upload(app: &TestApp, token: &str, name: &str, body: &[u8]) -> Resp {
    app.post(format!("/api/admin/v1{R}/targets?name={name}")).bearer(token).body(body).send().await
}

async fn target_list(app: &TestApp, token: &str) -> Vec<(String, Value, Value, i64)> {
    let v = assert_ok(&get(app, token, "/targets").await);
    v["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            let place = match (t["state"].as_i64(), t["district"].as_i64(), t["block"].as_str()) {
                (None, _, _) => "nation".to_owned(),
                (Some(s), None, _) => format!("state {s}"),
                (Some(_), Some(d), None) => format!("district {d}"),
                (Some(_), Some(d), Some(b)) => format!("block {d}/{b}"),
            };
            (
                place,
                t["age_group"].clone(),
                t["dose"].clone(),
                t["population_eligible"].as_i64().unwrap(),
            )
        })
        .collect()
}

fn xlsx_file(rows: &[&[&str]]) -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (r, cells) in rows.iter().enumerate() {
        for (c, cell) in cells.iter().enumerate() {
            let (r, c) = (u32::try_from(r).unwrap(), u16::try_from(c).unwrap());
            match cell.parse::<f64>() {
                Ok(n) => sheet.write_number(r, c, n).unwrap(),
                Err(_) => sheet.write_string(r, c, *cell).unwrap(),
            };
        }
    }
    book.save_to_buffer().unwrap()
}

async fn targets_are_uploaded_whole_or_not_at_all(backend: Backend) {
    let app = TestApp::new(backend).await;
    let (india, _) = official(&app, "india.targets", Area::National).await;
    let (maha, _) =
        official(&app, "maha.targets", Area::State { state: StateId(MAHARASHTRA) }).await;
    let (mumbai, _) = official(&app, "mumbai.targets", mumbai()).await;
    let (bkc, _) = official(&app, "bkc.targets", at_bkc()).await;

    // A national upload sets every target.
    let good = format!(
        "state,district,block,age_group,dose,population_eligible\n\
         ,,,,,900000000\n\
         {MAHARASHTRA},,,18-44,,\"5,00,00,000\"\n\
         {MAHARASHTRA},{MUMBAI_SUBURBAN},,,first,9000000\n\
         {MAHARASHTRA},{PUNE},,,,8000000\n"
    );
    let v = assert_ok(&upload(&app, &india, "targets.csv", good.as_bytes()).await);
    assert_eq!(v, json!({ "rows": 4, "replaced": 0, "in_force": 4 }));
    let before = target_list(&app, &india).await;
    assert_eq!(
        before,
        [
            ("nation".to_owned(), Value::Null, Value::Null, 900_000_000),
            (format!("state {MAHARASHTRA}"), json!("18-44"), Value::Null, 50_000_000),
            (format!("district {MUMBAI_SUBURBAN}"), Value::Null, json!("first"), 9_000_000),
            (format!("district {PUNE}"), Value::Null, Value::Null, 8_000_000),
        ]
    );

    // One bad file: every problem with its row, and nothing written.
    let bad = format!(
        "state,district,block,age_group,dose,population_eligible\n\
         {MAHARASHTRA},{MUMBAI_SUBURBAN},,,first,100\n\
         99,,,,,100\n\
         {MAHARASHTRA},{MUMBAI_SUBURBAN},,,first,200\n\
         {MAHARASHTRA},,Haveli,teen,fifth,-5\n"
    );
    let res = upload(&app, &india, "targets.csv", bad.as_bytes()).await;
    assert_eq!(res.status, StatusCode::BAD_REQUEST, "{}", res.text());
    let v = res.json();
    assert_eq!(v["errorCode"], "ADM0001");
    let problems: Vec<(String, String)> = v["fields"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            (f["field"].as_str().unwrap().to_owned(), f["message"].as_str().unwrap().to_owned())
        })
        .collect();
    let fields: Vec<&str> = problems.iter().map(|(f, _)| f.as_str()).collect();
    assert_eq!(
        fields,
        ["state", "area", "block", "age_group", "dose", "population_eligible"],
        "{v}"
    );
    assert!(problems[0].1.starts_with("row 3: "), "{v}");
    assert!(problems[1].1.starts_with("row 4: ") && problems[1].1.contains("row 2"), "{v}");
    assert!(problems[2..].iter().all(|(_, m)| m.starts_with("row 5: ")), "{v}");
    assert_eq!(target_list(&app, &india).await, before);
    // The wrong header is refused as such.
    let res = upload(&app, &india, "t.csv", b"state,district,population\n21,,5\n").await;
    assert_fields(&res, &["header"]);
    assert_eq!(target_list(&app, &india).await, before);

    // A state official sets the targets of their state's districts and blocks (an XLSX file
    // here): the national and state rows, and other states, are refused by row.
    let refused = xlsx_file(&[
        &["state", "district", "block", "age_group", "dose", "population_eligible"],
        &[&MAHARASHTRA.to_string(), "", "", "", "", "1000"],
        &["7", "", "", "", "", "1000"],
        &[&MAHARASHTRA.to_string(), &MUMBAI_SUBURBAN.to_string(), "", "", "", "1000"],
    ]);
    let res = upload(&app, &maha, "targets.xlsx", &refused).await;
    assert_fields(&res, &["area", "area"]);
    assert_eq!(target_list(&app, &india).await, before);
    let mine = xlsx_file(&[
        &["state", "district", "block", "age_group", "dose", "population_eligible"],
        &[&MAHARASHTRA.to_string(), &MUMBAI_SUBURBAN.to_string(), "", "", "", "9500000"],
        &[
            &MAHARASHTRA.to_string(),
            &MUMBAI_SUBURBAN.to_string(),
            "Ward H East",
            "60+",
            "",
            "120000",
        ],
    ]);
    let v = assert_ok(&upload(&app, &maha, "targets.xlsx", &mine).await);
    assert_eq!(v, json!({ "rows": 2, "replaced": 2, "in_force": 4 }));
    assert_eq!(
        target_list(&app, &india).await,
        [
            ("nation".to_owned(), Value::Null, Value::Null, 900_000_000),
            (format!("state {MAHARASHTRA}"), json!("18-44"), Value::Null, 50_000_000),
            (format!("district {MUMBAI_SUBURBAN}"), Value::Null, Value::Null, 9_500_000),
            (format!("block {MUMBAI_SUBURBAN}/WARD H EAST"), json!("60+"), Value::Null, 120_000),
        ]
    );
    // The upload is audited with counts and the file's hash, never rows.
    let audit =
        assert_ok(&call(&app, Method::GET, &india, "/audit?action=report.targets", None).await);
    let entries: Vec<&Value> = audit["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "report.targets.replace")
        .collect();
    assert_eq!(entries.len(), 2, "{audit}");
    let e = entries[0];
    assert_eq!(e["actor"].as_str().map(|a| a.starts_with("admin:")), Some(true), "{e}");
    assert_eq!(e["before"], json!({ "targets": 2 }), "{e}");
    assert_eq!(e["after"]["targets"], 2, "{e}");
    assert_eq!(e["after"]["in_force"], 4, "{e}");
    assert_eq!(e["after"]["file_name"], "targets.xlsx", "{e}");
    assert!(e["after"]["file_sha256"].as_str().is_some_and(|h| h.len() == 64), "{e}");

    // A district official: only their blocks; a facility official uploads nothing.
    let res = upload(&app, &mumbai, "t.csv", format!("state,district,block,age_group,dose,population_eligible\n{MAHARASHTRA},{MUMBAI_SUBURBAN},,,,5\n").as_bytes()).await;
    assert_fields(&res, &["area"]);
    let res = upload(&app, &bkc, "t.csv", good.as_bytes()).await;
    assert_eq!(res.status, StatusCode::FORBIDDEN, "{}", res.text());
    // Mumbai's official sees the targets above and inside their district, not Pune's.
    let seen = target_list(&app, &mumbai).await;
    assert_eq!(seen.len(), 4);
    assert!(seen.iter().all(|(p, ..)| !p.contains(&PUNE.to_string())), "{seen:?}");
    // Empty and unreadable files.
    let res = upload(&app, &india, "t.csv", b"").await;
    assert_eq!(res.json()["errorCode"], "ADM0026");
    let res = upload(&app, &india, "t.pdf", b"%PDF-1.4").await;
    assert_eq!(res.json()["errorCode"], "ADM0020");
    let res =
        upload(&app, &india, "t.csv", b"state,district,block,age_group,dose,population_eligible\n")
            .await;
    assert_eq!(res.json()["errorCode"], "ADM0025");
}

// ---------------------------------------------------------------------------------------------

async fn a_session_report_counts_what_happened(backend: Backend) {
    let (app, token, vaccinator) = setup(backend).await;
    // Four booked (one cancels), two arrive and are vaccinated, one more is vaccinated
    // without an arrival record, a walk-in, one no-show.
    let mut people = Vec::new();
    for n in 1..=5 {
        people.push(booked(&app, n, app.s.today).await);
    }
    cancel(&app, &people[4]).await;
    let [p1, p2, p3, _p4, _] = &people[..] else { unreachable!() };
    let (reg, walk) = walk_in_dose(&app, app.s.today, &person("Ramesh Kumar", 500), vaccinator);
    let records = [
        arrival(&app, app.s.today, p1.id),
        dose(&app, app.s.today, &json!(p1.id), Some(&p1.row), vaccinator),
        arrival(&app, app.s.today, p2.id),
        dose(&app, app.s.today, &json!(p2.id), Some(&p2.row), vaccinator),
        dose(&app, app.s.today, &json!(p3.id), Some(&p3.row), vaccinator),
        reg,
        walk,
    ];
    // Messages: what the planner sent about the session (booking confirmations, the
    // cancellation), one reported delivered.
    app.deliver_messages().await;
    for r in synced(&app, &token, &records).await {
        assert_eq!(r["outcome"], "applied", "{r}");
    }
    let mut sent = 0;
    let mut delivered = 0;
    let mut first: Option<uuid::Uuid> = None;
    for n in [1, 2, 3, 4, 5, 500] {
        for m in app.store.messages_to(&Mobile::parse(&mobile(n)).unwrap(), 100).await.unwrap() {
            if m.session_id == Some(app.s.today)
                && matches!(m.status, MessageStatus::Sent | MessageStatus::Delivered)
            {
                sent += 1;
                first.get_or_insert(m.id);
            }
        }
    }
    assert!(sent >= 4, "the four confirmations at least: {sent}");
    if let Some(id) = first {
        let out = app.sms.sent().into_iter().find(|x| x.id == id).unwrap();
        let url = out.dlr_url.unwrap();
        let path = url.strip_prefix("http://tika.test").unwrap().replace("%d", "1");
        assert_eq!(app.get(path).send().await.status, StatusCode::OK);
        delivered = 1;
    }

    let (mumbai, _) = official(&app, "mumbai.sessions", mumbai()).await;
    let v = assert_ok(&get(&app, &mumbai, &format!("/sessions/{}", app.s.today)).await);
    assert_eq!(v["session_id"], app.s.today.to_string());
    assert_eq!(v["center"], BKC);
    assert_eq!(v["planned"], 100);
    assert_eq!(v["booked"], 4);
    // p1 and p2 arrived, p3 was vaccinated (so came), the walk-in came; p4 did not.
    assert_eq!(v["arrived"], 4, "{v}");
    assert_eq!(v["walk_ins"], 1, "{v}");
    assert_eq!(v["vaccinated"], 4, "{v}");
    assert_eq!(v["no_shows"], 1, "{v}");
    assert_eq!(v["doses_given"], 4);
    // The same counts as the site's own tally of the session.
    let tally = assert_ok(
        &app.get(format!("/api/site/v1/sessions/{}/tally", app.s.today))
            .bearer(&token)
            .send()
            .await,
    );
    for k in ["booked", "arrived", "vaccinated", "walk_ins", "no_shows"] {
        assert_eq!(v[k], tally[k], "{k}: report {v}, tally {tally}");
    }
    assert_eq!(v["vials_used"], 0);
    assert_eq!(v["doses_wasted"], Value::Null);
    assert_eq!(v["messages_sent"], sent);
    assert_eq!(v["messages_delivered"], delivered);
    assert_eq!(v["booked_percent"], 4.0);
    assert_eq!(v["no_show_percent"], 25.0);

    // The facility's list over a range has the same session, and the others of its days.
    let list = assert_ok(
        &get(
            &app,
            &mumbai,
            &format!("/sessions?center={BKC}&from={}&until={}", app.today, app.day(7)),
        )
        .await,
    );
    assert_eq!(list["center"], BKC);
    assert_eq!(list["name"], "BKC Jumbo Facility");
    let sessions = list["sessions"].as_array().unwrap();
    let ids: Vec<&str> = sessions.iter().map(|x| x["session_id"].as_str().unwrap()).collect();
    assert_eq!(
        ids,
        [app.s.today.to_string(), app.s.covaxin.to_string(), app.s.next_week.to_string()]
    );
    let mut same = sessions[0].clone();
    same["center"] = json!(BKC);
    assert_eq!(same, v);
    assert_eq!(sessions[1]["booked"], 0);
    assert_eq!(sessions[1]["no_show_percent"], Value::Null);
    // Unknown sessions are not found.
    assert_not_found(&get(&app, &mumbai, &format!("/sessions/{}", SessionId::new())).await);
    assert_not_found(&get(&app, &mumbai, "/sessions/not-a-session").await);
}

// ---------------------------------------------------------------------------------------------

fn console_get<'a>(app: &'a TestApp, token: &str, path: &str) -> crate::harness::Call<'a> {
    app.get(path).header("cookie", &format!("tika_console={token}"))
}

async fn page(app: &TestApp, token: &str, path: &str) -> (StatusCode, String) {
    let res = console_get(app, token, path).send().await;
    (res.status, res.text())
}

async fn pages_work_in_english_and_hindi(backend: Backend) {
    let s = scene(backend).await;
    let app = &s.app;
    fold(app).await;
    let (india, _) = official(app, "india.pages", Area::National).await;
    let (mumbai, _) = official(app, "mumbai.pages", mumbai()).await;

    let (status, html) = page(app, &india, "/console/reports?lang=en&group_by=area").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    for words in [
        "Vaccination reports",
        "Maharashtra",
        "Cumulative doses",
        "Second doses due",
        "id=\"report-table\"",
        "id=\"dl-xlsx\"",
        "/console/reports.csv?group_by=area&#38;lang=en",
        "id=\"nav-reports\"",
    ] {
        assert!(html.contains(words), "{words} missing");
    }
    assert!(html.contains("data-code=\"21\""), "a row for Maharashtra");
    let (status, html) = page(app, &india, "/console/reports?lang=hi&group_by=area").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    for words in ["टीकाकरण रिपोर्ट", "महाराष्ट्र", "कुल खुराकें (संचयी)", "देय दूसरी खुराकें", "lang=\"hi\""]
    {
        assert!(html.contains(words), "{words} missing");
    }
    // A day series and a district's blocks.
    let (status, html) = page(app, &mumbai, "/console/reports?lang=en").await;
    assert_eq!(status, StatusCode::OK, "{html}");
    assert!(html.contains("Mumbai Suburban"), "the district's name");
    assert!(html.contains(&format!("data-code=\"{}\"", app.today.format("%Y-%m-%d"))));
    // Bad filters: the form again, every problem listed, 400.
    let (status, html) = page(app, &india, "/console/reports?dose=fourth&gender=9&lang=en").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(html.contains("dose: ") && html.contains("gender: "), "{html}");
    // Outside the area: the not-found page.
    let (status, _) = page(app, &mumbai, &format!("/console/reports?district={PUNE}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // The page's downloads are the API's.
    let res = console_get(app, &mumbai, "/console/reports.csv?group_by=area").send().await;
    assert_eq!(res.status, StatusCode::OK);
    let api = get(app, &mumbai, ".csv?group_by=area").await;
    assert_eq!(res.text(), api.text());
    let res = console_get(app, &mumbai, "/console/reports.xlsx?group_by=area").send().await;
    assert_eq!(xlsx_sheet(&res.body, "Report").len(), 2);
    let res = console_get(app, &mumbai, "/console/reports.json?group_by=area").send().await;
    assert_eq!(res.json()["rows"], assert_ok(&get(app, &mumbai, "?group_by=area").await)["rows"]);

    // Session reports and targets, both languages.
    for (lang, words) in [
        ("en", ["Session reports", "BKC Jumbo Facility", "Walk-ins"]),
        ("hi", ["सत्र रिपोर्ट", "BKC Jumbo Facility (हिन्दी)", "बिना बुकिंग आए"]),
    ] {
        let (status, html) =
            page(app, &mumbai, &format!("/console/reports/sessions?center={BKC}&lang={lang}"))
                .await;
        assert_eq!(status, StatusCode::OK, "{html}");
        for w in words {
            assert!(html.contains(w), "{lang}: {w} missing");
        }
        assert!(html.contains(&format!("data-session-id=\"{}\"", app.s.today)));
    }
    let (status, _) =
        page(app, &mumbai, &format!("/console/reports/sessions?center={RUBY_HALL}")).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    for (lang, words) in [
        ("en", ["Targets: eligible population", "Upload targets"]),
        ("hi", ["लक्ष्य: पात्र जनसंख्या", "लक्ष्य अपलोड करें"]),
    ] {
        let (status, html) =
            page(app, &india, &format!("/console/reports/targets?lang={lang}")).await;
        assert_eq!(status, StatusCode::OK, "{html}");
        for w in words {
            assert!(html.contains(w), "{lang}: {w} missing");
        }
    }
    let _ = (&s.p1, &s.p2, &s.p2_dose, s.ruby_session);
}

on_both_backends!(
    synced_doses_show_after_a_fold_and_an_undo_takes_them_out,
    json_csv_and_xlsx_agree,
    bad_parameters_are_listed_together,
    an_area_official_sees_only_their_area,
    targets_are_uploaded_whole_or_not_at_all,
    a_session_report_counts_what_happened,
    pages_work_in_english_and_hindi
);
