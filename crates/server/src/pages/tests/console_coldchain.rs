//! The console's cold chain pages through the whole router: a district official adds a
//! facility's store and a fridge, receives a lot (an expired one refused at its field), records
//! wastage (a missing reason refused at its field), sees the stock with its warning badges and
//! the fridge's chart with the band drawn, in English and Hindi; another district's official
//! gets a 404.

use axum::http::StatusCode;
use tika_domain::admin::Area;
use tika_domain::ids::{DistrictId, StateId};

use super::Browser;
use super::console::{PASSWORD, district_of, official};

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

#[tokio::test]
async fn a_district_official_keeps_a_facility_store() {
    let mut b = Browser::new().await;
    b.accept_language = Some("en");
    official(&b, "delhi.admin", district_of(&b, 110_001)).await;
    official(&b, "mumbai.admin", Area::District { state: StateId(21), district: DistrictId(395) })
        .await;
    log_in(&mut b, "delhi.admin").await;

    let page = b.get("/console/coldchain").await;
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains("id=\"cc-no-points\""));
    let made = b
        .post(
            "/console/coldchain/points",
            &[
                ("csrf", &page.csrf()),
                ("name", "Centre 100 ILR"),
                ("level", "facility"),
                ("center", "100"),
            ],
        )
        .await;
    assert_eq!(made.status, StatusCode::SEE_OTHER, "{}", made.body);
    let href = made.location().to_owned();
    assert!(href.starts_with("/console/coldchain/points/"), "{href}");

    let page = b.get(&href).await;
    assert!(page.body.contains("Cold chain point added."), "{}", page.body);
    let csrf = page.csrf();
    let fridge = b
        .post(
            &format!("{href}/equipment"),
            &[("csrf", &csrf), ("kind", "ilr"), ("label", "ILR 1"), ("logger", "LOG-PAGE-1")],
        )
        .await;
    assert_eq!(fridge.status, StatusCode::SEE_OTHER, "{}", fridge.body);

    // An expired lot is refused at its field; the values are kept.
    let expired = b
        .post(
            &format!("{href}/receive"),
            &[
                ("csrf", &csrf),
                ("vaccine", "COVISHIELD"),
                ("batch", "PAGE-1"),
                ("expiry", "2026-05-01"),
                ("vials", "20"),
            ],
        )
        .await;
    assert_eq!(expired.status, StatusCode::BAD_REQUEST);
    assert!(expired.body.contains("id=\"err-expiry\""), "{}", expired.body);
    assert!(expired.body.contains("value=\"PAGE-1\""));
    let received = b
        .post(
            &format!("{href}/receive"),
            &[
                ("csrf", &csrf),
                ("vaccine", "COVISHIELD"),
                ("batch", "PAGE-1"),
                ("expiry", "2026-06-20"),
                ("vials", "20"),
            ],
        )
        .await;
    assert_eq!(received.status, StatusCode::SEE_OTHER, "{}", received.body);

    let page = b.get(&href).await;
    assert!(page.body.contains("data-batch=\"PAGE-1\""));
    assert!(page.body.contains("Expiring soon: COVISHIELD, 20 vials"), "{}", page.body);
    let lot = page
        .body
        .split("data-lot-id=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or_default()
        .to_owned();
    let csrf = page.csrf();
    let no_reason = b
        .post(
            &format!("{href}/movements"),
            &[("csrf", &csrf), ("kind", "wastage"), ("lot", &lot), ("vials", "2")],
        )
        .await;
    assert_eq!(no_reason.status, StatusCode::BAD_REQUEST);
    assert!(no_reason.body.contains("id=\"err-reason\""), "{}", no_reason.body);
    let wasted = b
        .post(
            &format!("{href}/movements"),
            &[
                ("csrf", &csrf),
                ("kind", "wastage"),
                ("lot", &lot),
                ("vials", "2"),
                ("reason", "broken"),
            ],
        )
        .await;
    assert_eq!(wasted.status, StatusCode::SEE_OTHER, "{}", wasted.body);
    let page = b.get(&href).await;
    assert!(page.body.contains("class=\"vials\">18</td>"), "{}", page.body);
    let eq = page
        .body
        .split("data-equipment-id=\"")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or_default()
        .to_owned();

    // The chart: the band drawn, no readings yet; in Hindi too.
    let chart = b.get(&format!("/console/coldchain/equipment/{eq}?span=week")).await;
    assert_eq!(chart.status, StatusCode::OK, "{}", chart.body);
    assert!(chart.body.contains("id=\"chart-band\"") && chart.body.contains("id=\"chart-empty\""));
    assert!(chart.body.contains("Temperature, last 7 days"));
    let hindi = b.get(&format!("/console/coldchain/equipment/{eq}?lang=hi")).await;
    assert!(hindi.body.contains("तापमान, पिछले 24 घंटे"), "{}", hindi.body);
    assert!(hindi.body.contains("इस अवधि में कोई रीडिंग नहीं"));

    // Another district's official: not found.
    b.cookies.clear();
    log_in(&mut b, "mumbai.admin").await;
    assert_eq!(b.get(&href).await.status, StatusCode::NOT_FOUND);
    assert_eq!(
        b.get(&format!("/console/coldchain/equipment/{eq}")).await.status,
        StatusCode::NOT_FOUND
    );
}
