//! Bulk lists of people through the console API (`/api/admin/v1/imports`): a CSV with bad
//! rows gives counts and an error report naming row and field; an XLSX file imports the same;
//! a re-upload leaves every row unchanged; rows outside a district official's area fail with
//! "outside your area"; a facility-level official is refused.

use axum::http::StatusCode;
use serde_json::Value;
use tika_domain::admin::Area;
use tika_domain::ids::{CenterId, DistrictId, StateId};
use tika_storage::Backend;
use tika_test_support::on_both_backends;

use crate::harness::{BKC, MAHARASHTRA, MUMBAI_SUBURBAN, Resp, TestApp, aadhaar, mobile};

const API: &str = "/api/admin/v1";
const HEADER: &str = "Name,Birth Year,Gender,Mobile,ID Type,ID Number,Occupation,Employer,\
                      Posting Facility ID,Posting Pincode,Home Pincode,Comorbidity";

/// Creates an official and logs in: their console token.
async fn official(app: &TestApp, username: &str, area: Area) -> String {
    crate::admin::official(app, username, area).await.0
}

fn mumbai() -> Area {
    Area::District { state: StateId(MAHARASHTRA), district: DistrictId(MUMBAI_SUBURBAN) }
}

/// Rows 2–5 good (Mumbai Suburban, one posted at BKC), row 6 with three bad fields, row 7 in
/// Pune (another district), row 8 a repeat of row 2's ID.
fn list_csv() -> String {
    let rows = [
        format!(
            "Asha Rao,1988,Female,{},Aadhaar,{},HCW,BKC Hospital,{BKC},400051,,no",
            mobile(1),
            aadhaar(1)
        ),
        format!("प्रिया शर्मा,1990,F,{},1,{},health_worker,KEM,,,400070,yes", mobile(2), aadhaar(2)),
        format!(
            "Ravi Kumar,1975,Male,{},Aadhaar Card,{},FLW,Police,,400051,400070,",
            mobile(3),
            aadhaar(3)
        ),
        format!("Meena Iyer,1982,2,{},PAN,ABCDE1234F,other,,,,400051,N", mobile(3)),
        format!("Bad Row,85,Z,{},Aadhaar,{},HCW,,,400051,,", "12345", aadhaar(5)),
        format!("Pune Person,1980,M,{},Aadhaar,{},HCW,,,411001,,", mobile(6), aadhaar(6)),
        format!("Asha Again,1988,Female,{},Aadhaar,{},HCW,,,400051,,", mobile(7), aadhaar(1)),
    ];
    format!("{HEADER}\n{}\n", rows.join("\n"))
}

async fn upload(app: &TestApp, token: &str, name: &str, bytes: &[u8]) -> Resp {
    app.post(format!("{API}/imports?name={name}")).bearer(token).body(bytes).send().await
}

/// Polls the job until it is no longer running.
async fn finished(app: &TestApp, token: &str, id: &str) -> Value {
    for _ in 0..600 {
        let res = app.get(format!("{API}/imports/{id}")).bearer(token).send().await;
        assert_eq!(res.status, StatusCode::OK, "{}", res.text());
        let job = res.json();
        if job["status"] != "running" {
            return job;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("the import did not finish");
}

fn counts(job: &Value) -> [u64; 5] {
    ["processed_rows", "inserted", "updated", "unchanged", "failed"]
        .map(|k| job[k].as_u64().unwrap())
}

async fn a_csv_with_bad_rows_gives_counts_and_an_error_report(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = official(&app, "mumbai.people", mumbai()).await;
    let res = upload(&app, &token, "hcw.csv", list_csv().as_bytes()).await;
    assert_eq!(res.status, StatusCode::ACCEPTED, "{}", res.text());
    let id = res.json()["id"].as_str().unwrap().to_owned();
    let job = finished(&app, &token, &id).await;
    assert_eq!(job["status"], "done", "{job}");
    assert_eq!(job["total_rows"], 7);
    assert_eq!(counts(&job), [7, 4, 0, 0, 3]);

    let report = app.get(format!("{API}/imports/{id}/errors.csv")).bearer(&token).send().await;
    assert_eq!(report.status, StatusCode::OK);
    assert!(report.header(axum::http::header::CONTENT_TYPE).unwrap().starts_with("text/csv"));
    let text = report.text();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "row,field,value_hint,message");
    let fields: Vec<(String, String)> = lines[1..]
        .iter()
        .map(|l| {
            let mut it = l.split(',');
            (it.next().unwrap().to_owned(), it.next().unwrap().to_owned())
        })
        .collect();
    let want = [
        ("6", "birth_year"),
        ("6", "gender"),
        ("6", "mobile"),
        ("7", "posting_pincode"),
        ("8", "id_number"),
    ];
    assert_eq!(
        fields,
        want.iter().map(|(r, f)| ((*r).to_owned(), (*f).to_owned())).collect::<Vec<_>>()
    );
    assert!(text.contains("outside your area"), "{text}");
    assert!(text.contains("The same ID is on row 2"), "{text}");
    // Mobiles and ID numbers are masked.
    assert!(text.contains("*2345"), "{text}");
    assert!(!text.contains(&aadhaar(1)), "{text}");

    // The people are listed in the area, with one account for the shared mobile.
    let people = app.get(format!("{API}/people")).bearer(&token).send().await.json();
    assert_eq!(people["count"], 4);
    assert_eq!(people["people"].as_array().unwrap().len(), 4);
    let list = app.get(format!("{API}/imports")).bearer(&token).send().await.json();
    assert_eq!(list["imports"][0]["id"], id.as_str());

    // The upload is audited with counts, never personal data.
    let audit =
        app.get(format!("{API}/audit?subject=import:{id}")).bearer(&token).send().await.json();
    let entry = &audit["entries"][0];
    assert_eq!(entry["action"], "people.import", "{audit}");
    let after = entry["after"].to_string();
    assert!(after.contains("hcw.csv") && after.contains("\"inserted\":4"), "{after}");
    assert!(!after.contains("Asha"), "{after}");

    // A re-upload of the same file: every good row unchanged, nothing duplicated.
    let res = upload(&app, &token, "hcw.csv", list_csv().as_bytes()).await;
    let again = finished(&app, &token, res.json()["id"].as_str().unwrap()).await;
    assert_eq!(counts(&again), [7, 0, 0, 4, 3]);
    let people = app.get(format!("{API}/people")).bearer(&token).send().await.json();
    assert_eq!(people["count"], 4);
}

async fn an_xlsx_file_imports_like_a_csv(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = official(&app, "mumbai.xlsx", mumbai()).await;
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for (c, h) in HEADER.split(',').enumerate() {
        sheet.write_string(0, c as u16, h).unwrap();
    }
    // Numbers typed as numbers (mobile, pincode, birth year) read back whole.
    sheet.write_string(1, 0, "Kavya Nair").unwrap();
    sheet.write_number(1, 1, 1991.0).unwrap();
    sheet.write_string(1, 2, "Female").unwrap();
    sheet.write_number(1, 3, mobile(11).parse::<f64>().unwrap()).unwrap();
    sheet.write_string(1, 4, "Aadhaar").unwrap();
    sheet.write_string(1, 5, aadhaar(11)).unwrap();
    sheet.write_string(1, 6, "health_worker").unwrap();
    sheet.write_number(1, 9, 400_051.0).unwrap();
    sheet.write_string(2, 0, "No Pincode").unwrap();
    sheet.write_number(2, 1, 1991.0).unwrap();
    sheet.write_string(2, 2, "M").unwrap();
    sheet.write_number(2, 3, mobile(12).parse::<f64>().unwrap()).unwrap();
    sheet.write_string(2, 4, "Aadhaar").unwrap();
    sheet.write_string(2, 5, aadhaar(12)).unwrap();
    sheet.write_string(2, 6, "HCW").unwrap();
    let bytes = book.save_to_buffer().unwrap();
    let res = upload(&app, &token, "list.xlsx", &bytes).await;
    assert_eq!(res.status, StatusCode::ACCEPTED, "{}", res.text());
    let id = res.json()["id"].as_str().unwrap().to_owned();
    let job = finished(&app, &token, &id).await;
    assert_eq!(counts(&job), [2, 1, 0, 0, 1], "{job}");
    let report = app.get(format!("{API}/imports/{id}/errors.csv")).bearer(&token).send().await;
    assert!(
        report.text().contains("3,home_pincode,,A posting pincode or a home pincode is required")
    );
}

async fn unreadable_files_are_refused_whole(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = official(&app, "mumbai.files", mumbai()).await;
    upload(&app, &token, "list.pdf", b"%PDF-1.4")
        .await
        .assert_error(StatusCode::BAD_REQUEST, "ADM0020");
    upload(&app, &token, "list.xls", b"\xD0\xCF\x11\xE0rest")
        .await
        .assert_error(StatusCode::BAD_REQUEST, "ADM0020");
    let res = upload(&app, &token, "list.csv", b"name,mobile\nAsha,9876543210\n").await;
    res.assert_error(StatusCode::BAD_REQUEST, "ADM0022");
    assert!(res.json()["error"].as_str().unwrap().contains("birth_year"), "{}", res.text());
    upload(&app, &token, "list.csv", format!("{HEADER}\n").as_bytes())
        .await
        .assert_error(StatusCode::BAD_REQUEST, "ADM0025");
    upload(&app, &token, "list.xlsx", b"PK\x03\x04broken")
        .await
        .assert_error(StatusCode::BAD_REQUEST, "ADM0021");
    upload(&app, &token, "list.csv", b"").await.assert_error(StatusCode::BAD_REQUEST, "ADM0026");
    let list = app.get(format!("{API}/imports")).bearer(&token).send().await.json();
    assert_eq!(list["imports"].as_array().unwrap().len(), 0);
}

async fn facility_officials_cannot_import_and_others_cannot_see(backend: Backend) {
    let app = TestApp::new(backend).await;
    let at_bkc = Area::Facility {
        state: StateId(MAHARASHTRA),
        district: DistrictId(MUMBAI_SUBURBAN),
        block: "Ward H East".into(),
        center: CenterId(BKC),
    };
    let facility = official(&app, "bkc.people", at_bkc).await;
    upload(&app, &facility, "hcw.csv", list_csv().as_bytes())
        .await
        .assert_error(StatusCode::FORBIDDEN, "ADM0004");
    let res = app.get(format!("{API}/imports")).bearer(&facility).send().await;
    res.assert_error(StatusCode::FORBIDDEN, "ADM0004");

    let mumbai = official(&app, "mumbai.owner", mumbai()).await;
    let res = upload(&app, &mumbai, "hcw.csv", list_csv().as_bytes()).await;
    let id = res.json()["id"].as_str().unwrap().to_owned();
    finished(&app, &mumbai, &id).await;
    let pune = official(
        &app,
        "pune.people",
        Area::District { state: StateId(MAHARASHTRA), district: DistrictId(403) },
    )
    .await;
    let res = app.get(format!("{API}/imports/{id}")).bearer(&pune).send().await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    let res = app.get(format!("{API}/imports/{id}/errors.csv")).bearer(&pune).send().await;
    assert_eq!(res.status, StatusCode::NOT_FOUND);
    let list = app.get(format!("{API}/imports")).bearer(&pune).send().await.json();
    assert_eq!(list["imports"].as_array().unwrap().len(), 0);
    // The state official sees it.
    let state = official(&app, "mh.people", Area::State { state: StateId(MAHARASHTRA) }).await;
    let res = app.get(format!("{API}/imports/{id}")).bearer(&state).send().await;
    assert_eq!(res.status, StatusCode::OK);
}

on_both_backends!(
    a_csv_with_bad_rows_gives_counts_and_an_error_report,
    an_xlsx_file_imports_like_a_csv,
    unreadable_files_are_refused_whole,
    facility_officials_cannot_import_and_others_cannot_see,
);
