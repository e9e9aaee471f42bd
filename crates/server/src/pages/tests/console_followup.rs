//! The console's follow-up pages through the whole router: the issue queue, a facility's day
//! lists (links and downloads, outside the area "not found"), and the lucky draw from its
//! commitment to its result, in English and Hindi.

use axum::http::{StatusCode, header};

use super::{Browser, Page};

use super::console::{PASSWORD, district_of};

/// Stores an official of the district of `pincode`.
async fn official(b: &Browser, username: &str, pincode: u32) {
    super::console::official(b, username, district_of(b, pincode)).await;
}

async fn log_in(b: &mut Browser, username: &str) {
    let form = b.get("/console/login").await;
    let done = b
        .post(
            "/console/login",
            &[("csrf", &form.csrf()), ("username", username), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(done.status, StatusCode::SEE_OTHER, "{}", done.body);
}

fn header_of(p: &Page, name: header::HeaderName) -> &str {
    p.headers.get(name).and_then(|v| v.to_str().ok()).unwrap_or_default()
}

#[tokio::test]
async fn the_facility_page_links_its_day_lists_and_they_download() {
    let mut b = Browser::new().await;
    b.accept_language = Some("en");
    official(&b, "delhi.admin", 110_001).await;
    official(&b, "mumbai.admin", 400_001).await;
    log_in(&mut b, "delhi.admin").await;

    let page = b.get("/console/facilities/100").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(
        page.body.contains("href=\"/console/facilities/100/lists/2026-06-02.pdf\""),
        "{}",
        page.body
    );
    assert!(page.body.contains("href=\"/console/facilities/100/lists/2026-06-02.csv\""));

    let csv = b.get("/console/facilities/100/lists/2026-06-02.csv").await;
    assert_eq!(csv.status, StatusCode::OK, "{}", csv.body);
    assert!(header_of(&csv, header::CONTENT_TYPE).starts_with("text/csv"));
    assert!(
        header_of(&csv, header::CONTENT_DISPOSITION).contains("session-list-100-2026-06-02.csv")
    );
    assert!(csv.body.starts_with("date,session_id,vaccine,slot,reference_id,name,"));
    let pdf = b.get("/console/facilities/100/lists/2026-06-02.pdf").await;
    assert_eq!(pdf.status, StatusCode::OK);
    assert_eq!(header_of(&pdf, header::CONTENT_TYPE), "application/pdf");
    assert_eq!(
        b.get("/console/facilities/100/lists/2026-06-02.exe").await.status,
        StatusCode::BAD_REQUEST
    );

    b.cookies.clear();
    log_in(&mut b, "mumbai.admin").await;
    assert_eq!(
        b.get("/console/facilities/100/lists/2026-06-02.csv").await.status,
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_issue_queue_shows_its_filters_in_english_and_hindi() {
    let mut b = Browser::new().await;
    b.accept_language = Some("en");
    official(&b, "delhi.admin", 110_001).await;
    log_in(&mut b, "delhi.admin").await;
    let page = b.get("/console/issues").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("id=\"no-issues\""));
    assert!(page.body.contains("aria-current=\"page\">Issues raised"));
    assert_eq!(b.get("/console/issues?kind=nonsense").await.status, StatusCode::BAD_REQUEST);
    assert_eq!(
        b.get(&format!("/console/issues/correction/{}", uuid::Uuid::new_v4())).await.status,
        StatusCode::NOT_FOUND
    );
    b.accept_language = Some("hi");
    let hindi = b.get("/console/issues?kind=review&status=all").await;
    assert!(hindi.body.contains("सिंक विवाद"), "{}", hindi.body);
}

#[tokio::test]
async fn a_draw_is_committed_then_seeded_once_from_the_pages() {
    let mut b = Browser::new().await;
    b.accept_language = Some("en");
    official(&b, "delhi.admin", 110_001).await;
    log_in(&mut b, "delhi.admin").await;
    let list = b.get("/console/draws").await;
    assert_eq!(list.status, StatusCode::OK, "{}", list.body);
    assert!(list.body.contains("id=\"no-draws\""));
    // A district official does not choose the district.
    assert!(!list.body.contains("name=\"district\""));

    let bad = b
        .post(
            "/console/draws",
            &[
                ("csrf", &list.csrf()),
                ("from", "2026-06-01"),
                ("to", "2026-05-01"),
                ("winners", "0"),
            ],
        )
        .await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.body.contains("must not be before from"), "{}", bad.body);

    let made = b
        .post(
            "/console/draws",
            &[
                ("csrf", &list.csrf()),
                ("from", "2026-05-01"),
                ("to", "2026-06-01"),
                ("winners", "2"),
            ],
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let href = made.location().to_owned();
    let draw = b.get(&href).await;
    assert_eq!(draw.status, StatusCode::OK);
    // Nobody vaccinated yet: the hash of the empty list.
    assert!(draw.body.contains("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
    assert!(draw.body.contains("data-status=\"committed\""));

    let seeded = b
        .post(
            &format!("{href}/seed"),
            &[
                ("csrf", &draw.csrf()),
                ("seed", "drand 99: ab12"),
                ("seed_source", "https://drand.love"),
            ],
        )
        .await;
    assert_eq!(seeded.status, StatusCode::SEE_OTHER, "{}", seeded.body);
    let done = b.get(&href).await;
    assert!(done.body.contains("data-status=\"drawn\""));
    assert!(done.body.contains("id=\"no-winners\""));
    assert!(
        done.body
            .contains("tika draw verify --entries entries.txt --seed &#39;drand 99: ab12&#39;")
            || done.body.contains(
                "tika draw verify --entries entries.txt --seed &#x27;drand 99: ab12&#x27;"
            ),
        "{}",
        done.body
    );
    let again = b
        .post(
            &format!("{href}/seed"),
            &[("csrf", &draw.csrf()), ("seed", "other"), ("seed_source", "elsewhere")],
        )
        .await;
    assert_eq!(again.status, StatusCode::CONFLICT, "{}", again.body);
}
