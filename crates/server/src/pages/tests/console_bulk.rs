//! The people-list pages through the whole router: the upload form, a multipart upload with a
//! bad row, the job page and its status, the error report, the sample file, CSRF, Hindi.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use tika_domain::admin::Area;
use tika_domain::ids::AdminId;
use tika_domain::staff::Username;
use tika_storage::{Change, NewAdmin};

use super::{Browser, Page, aadhaar};

const PASSWORD: &str = "console pass 2026";
const BOUNDARY: &str = "----tika-test-boundary";

async fn delhi_official(b: &mut Browser) -> Page {
    let pin = b.state.pack.pincode(110_001).unwrap();
    let d = b.state.pack.district(pin.district_id).unwrap();
    let area = Area::District { state: d.state_id, district: d.id };
    let id = AdminId::new();
    let now = b.state.clock.now().timestamp_millis();
    let new = NewAdmin {
        id,
        username: Username::parse("delhi.people").unwrap(),
        name: "Officer Delhi".into(),
        mobile: None,
        area,
        password_hash: crate::services::staff::hash_password(PASSWORD).unwrap(),
        created_by: None,
        created_at_ms: now,
    };
    let audit = Change {
        id: uuid::Uuid::now_v7(),
        at_ms: now,
        actor: "cli".into(),
        action: "admin.create".into(),
        subject: format!("admin:{id}"),
        place: None,
        before: None,
        after: None,
    };
    b.state.store.create_admin(&new, &audit).await.unwrap();
    let form = b.get("/console/login").await;
    let done = b
        .post(
            "/console/login",
            &[("csrf", &form.csrf()), ("username", "delhi.people"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    b.get("/console/people").await
}

fn multipart(csrf: &str, file_name: &str, content: &str) -> String {
    format!(
        "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"csrf\"\r\n\r\n{csrf}\r\n\
         --{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{file_name}\"\r\n\
         Content-Type: text/csv\r\n\r\n{content}\r\n--{BOUNDARY}--\r\n"
    )
}

async fn upload(b: &mut Browser, body: String) -> Page {
    let req = Request::post("/console/people")
        .header(header::CONTENT_TYPE, format!("multipart/form-data; boundary={BOUNDARY}"));
    b.send(req, Body::from(body)).await
}

#[tokio::test]
async fn an_upload_runs_as_a_job_with_progress_counts_and_an_error_report() {
    let mut b = Browser::new().await;
    b.accept_language = Some("en");
    let page = delhi_official(&mut b).await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("id=\"upload-form\""));
    assert!(page.body.contains("id=\"no-uploads\""));
    assert!(page.body.contains("aria-current=\"page\""));

    let sample = b.get("/console/people/sample.csv").await;
    assert_eq!(sample.status, StatusCode::OK);
    assert!(sample.body.starts_with("name,birth_year,gender,mobile,id_type,id_number,occupation"));

    let csv = format!(
        "name,birth_year,gender,mobile,id_type,id_number,occupation,posting_pincode\n\
         Asha Rao,1988,F,9876500001,Aadhaar,{},HCW,110001\n\
         Bad Row,1988,F,123,Aadhaar,{},HCW,110001\n",
        aadhaar("23456789011"),
        aadhaar("23456789012")
    );
    // Without the CSRF token: refused, nothing started.
    let refused = upload(&mut b, multipart("forged", "hcw.csv", &csv)).await;
    assert_eq!(refused.status, StatusCode::FORBIDDEN, "{}", refused.body);

    let done = upload(&mut b, multipart(&page.csrf(), "hcw.csv", &csv)).await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
    let job_url = done.location().to_owned();
    assert!(job_url.starts_with("/console/people/imports/"), "{job_url}");

    let mut status = serde_json::Value::Null;
    for _ in 0..400 {
        let s = b.get(&format!("{job_url}/status")).await;
        assert_eq!(s.status, StatusCode::OK, "{}", s.body);
        status = serde_json::from_str(&s.body).unwrap();
        if status["status"] != "running" {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert_eq!(status["status"], "done", "{status}");
    assert_eq!((status["inserted"].as_u64(), status["failed"].as_u64()), (Some(1), Some(1)));

    let job = b.get(&job_url).await;
    assert_eq!(job.status, StatusCode::OK, "{}", job.body);
    assert!(job.body.contains("id=\"import-progress\" max=\"2\" value=\"2\""), "{}", job.body);
    assert!(job.body.contains("<td class=\"num\" id=\"count-inserted\">1</td>"));
    assert!(job.body.contains("/static/console-bulk.js"));
    let report = b.get(&format!("{job_url}/errors.csv")).await;
    assert_eq!(report.status, StatusCode::OK);
    assert!(report.body.contains("3,mobile,"), "{}", report.body);

    let list = b.get("/console/people").await;
    assert!(list.body.contains("hcw.csv"));
    assert!(list.body.contains("Listed people in your area: 1"), "{}", list.body);

    // A file that cannot be read is shown on the page, not imported.
    let page = b.get("/console/people").await;
    let bad = upload(&mut b, multipart(&page.csrf(), "list.pdf", "%PDF")).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("id=\"upload-error\""));

    b.accept_language = Some("hi");
    let hindi = b.get("/console/people").await;
    assert!(hindi.body.contains("लोगों की सूचियाँ"), "{}", hindi.body);
    let js = b.get("/static/console-bulk.js").await;
    assert_eq!(js.status, StatusCode::OK);
    assert!(js.body.contains("import-progress"));
}
