//! Slot search: shapes and JSON types, dates, filters, gzip, the calendar window, rate limits.

use axum::http::{StatusCode, header};
use chrono::Datelike;
use serde_json::{Value, json};
use tika_storage::Backend;
use tika_test_support::on_both_backends;

use crate::harness::{BKC, BKC_AT, KURLA, RUBY_HALL, SLOTS, SessionSpec, TestApp, mobile};
use crate::schema::gunzip;

const PUBLIC: &str = "/api/v2/appointment/sessions/public";
const PROTECTED: &str = "/api/v2/appointment/sessions";

fn session_ids(sessions: &Value) -> Vec<String> {
    sessions
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["session_id"].as_str().unwrap().to_owned())
        .collect()
}

async fn find_by_pin_rows_have_the_cowin_shape(backend: Backend) {
    let app = TestApp::new(backend).await;
    let res =
        app.get(format!("{PUBLIC}/findByPin?pincode=400051&date={}", app.date(0))).send().await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    assert_eq!(res.header(header::CONTENT_TYPE), Some("application/json"));
    let v = res.json();
    assert_eq!(
        v,
        json!({"sessions": [{
            "center_id": BKC,
            "name": "BKC Jumbo Facility",
            "name_l": "",
            "address": "BKC Jumbo Facility Road",
            "address_l": "",
            "state_name": "Maharashtra",
            "state_name_l": "",
            "district_name": "Mumbai Suburban",
            "district_name_l": "",
            "block_name": "Ward H East",
            "block_name_l": "",
            "pincode": 400051,
            "lat": BKC_AT.0,
            "long": BKC_AT.1,
            "from": "09:00:00",
            "to": "17:00:00",
            "fee_type": "Free",
            "session_id": app.s.today.to_string(),
            "date": app.date(0),
            "available_capacity": 100,
            "available_capacity_dose1": 50,
            "available_capacity_dose2": 50,
            "fee": "0",
            "min_age_limit": 18,
            "allow_all_age": true,
            "vaccine": "COVISHIELD",
            "slots": SLOTS,
        }]})
    );
    // Hindi on request.
    let res = app
        .get(format!("{PUBLIC}/findByPin?pincode=400051&date={}", app.date(0)))
        .header("accept-language", "hi_IN")
        .send()
        .await;
    let row = &res.json()["sessions"][0];
    assert_eq!(row["name"], "BKC Jumbo Facility");
    assert_eq!(row["name_l"], "BKC Jumbo Facility (हिन्दी)");
    assert_eq!(row["state_name_l"], "महाराष्ट्र");

    // A bounded age group has max_age_limit and allow_all_age false.
    let res =
        app.get(format!("{PUBLIC}/findByPin?pincode=400051&date={}", app.date(1))).send().await;
    let v = res.json();
    assert_eq!(session_ids(&v["sessions"]), vec![app.s.covaxin.to_string()]);
    let row = &v["sessions"][0];
    assert_eq!(
        (&row["min_age_limit"], &row["max_age_limit"], &row["allow_all_age"]),
        (&json!(18), &json!(44), &json!(false))
    );
    assert_eq!(
        (
            &row["available_capacity_dose1"],
            &row["available_capacity_dose2"],
            &row["available_capacity"]
        ),
        (&json!(30), &json!(20), &json!(50))
    );
    assert_eq!(row["vaccine"], "COVAXIN");
}

async fn find_by_district_and_empty_answers(backend: Backend) {
    let app = TestApp::new(backend).await;
    let res = app
        .get(format!("{PUBLIC}/findByDistrict?district_id=395&date={}", app.date(0)))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK);
    let v = res.json();
    let mut ids = session_ids(&v["sessions"]);
    ids.sort();
    let mut want = vec![app.s.today.to_string(), app.s.senior.to_string()];
    want.sort();
    assert_eq!(ids, want);
    let senior =
        v["sessions"].as_array().unwrap().iter().find(|s| s["center_id"] == KURLA).unwrap();
    assert_eq!((&senior["min_age_limit"], &senior["allow_all_age"]), (&json!(45), &json!(true)));
    assert!(senior.get("max_age_limit").is_none());
    assert_eq!(senior["pincode"], 400070);

    let res = app
        .get(format!("{PUBLIC}/findByDistrict?district_id=403&date={}", app.date(2)))
        .send()
        .await;
    let v = res.json();
    assert_eq!(session_ids(&v["sessions"]), vec![app.s.paid.to_string()]);
    assert_eq!(
        (&v["sessions"][0]["fee"], &v["sessions"][0]["fee_type"]),
        (&json!("780"), &json!("Paid"))
    );

    for uri in [
        format!("{PUBLIC}/findByPin?pincode=110001&date={}", app.date(0)),
        format!("{PUBLIC}/findByDistrict?district_id=1&date={}", app.date(0)),
        format!("{PUBLIC}/findByPin?pincode=400051&date={}", app.date(3)),
        format!("{PUBLIC}/findByPin?pincode=400051&date={}", app.date(-5)),
        format!("{PUBLIC}/findByPin?pincode=400051&date={}", app.date(400)),
    ] {
        let res = app.get(&uri).send().await;
        assert_eq!(res.status, StatusCode::OK, "{uri}");
        assert_eq!(res.json(), json!({"sessions": []}), "{uri}");
    }
    for uri in [
        format!("{PUBLIC}/calendarByPin?pincode=110001&date={}", app.date(0)),
        format!("{PUBLIC}/calendarByDistrict?district_id=1&date={}", app.date(0)),
    ] {
        assert_eq!(app.get(&uri).send().await.json(), json!({"centers": []}), "{uri}");
    }
}

async fn calendars_cover_seven_days(backend: Backend) {
    let app = TestApp::new(backend).await;
    let res =
        app.get(format!("{PUBLIC}/calendarByPin?pincode=400051&date={}", app.date(0))).send().await;
    assert_eq!(res.status, StatusCode::OK);
    let v = res.json();
    let centers = v["centers"].as_array().unwrap();
    assert_eq!(centers.len(), 1);
    let c = &centers[0];
    assert_eq!(
        (&c["center_id"], &c["pincode"], &c["fee_type"]),
        (&json!(BKC), &json!(400051), &json!("Free"))
    );
    assert!(c.get("vaccine_fees").is_none(), "free centres have no vaccine_fees");
    // Today and tomorrow; the session 7 days on is outside [today, today + 6].
    assert_eq!(
        session_ids(&c["sessions"]),
        vec![app.s.today.to_string(), app.s.covaxin.to_string()]
    );
    let first = &c["sessions"][0];
    assert!(first.get("fee").is_none(), "calendar sessions carry no fee");
    assert_eq!(first["date"], app.date(0));
    assert_eq!(first["slots"], json!(SLOTS));
    assert_eq!(first["available_capacity_dose1"], 50);
    assert_eq!(c["sessions"][1]["max_age_limit"], 44);

    // From tomorrow: tomorrow and the 7th day are in.
    let res =
        app.get(format!("{PUBLIC}/calendarByPin?pincode=400051&date={}", app.date(1))).send().await;
    let v = res.json();
    assert_eq!(
        session_ids(&v["centers"][0]["sessions"]),
        vec![app.s.covaxin.to_string(), app.s.next_week.to_string()]
    );

    // A paid centre lists its vaccine fees.
    let res = app
        .get(format!("{PUBLIC}/calendarByDistrict?district_id=403&date={}", app.date(0)))
        .send()
        .await;
    let v = res.json();
    let c = &v["centers"][0];
    assert_eq!(c["center_id"], RUBY_HALL);
    assert_eq!(c["vaccine_fees"], json!([{"vaccine": "COVAXIN", "fee": "780"}]));
    assert!(c["sessions"][0].get("fee").is_none());

    // By district: both Mumbai centres, each with its own sessions.
    let res = app
        .get(format!("{PUBLIC}/calendarByDistrict?district_id=395&date={}", app.date(0)))
        .send()
        .await;
    let v = res.json();
    let mut centers: Vec<i64> =
        v["centers"].as_array().unwrap().iter().map(|c| c["center_id"].as_i64().unwrap()).collect();
    centers.sort_unstable();
    assert_eq!(centers, vec![BKC, KURLA]);
}

async fn calendar_by_center_is_one_object(backend: Backend) {
    let app = TestApp::new(backend).await;
    let res = app
        .get(format!("{PUBLIC}/calendarByCenter?center_id={BKC}&date={}", app.date(0)))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK);
    let v = res.json();
    assert!(v["centers"].is_object(), "{v}");
    assert_eq!(v["centers"]["center_id"], BKC);
    assert_eq!(
        session_ids(&v["centers"]["sessions"]),
        vec![app.s.today.to_string(), app.s.covaxin.to_string()]
    );
    // The same centre object as in calendarByPin.
    let by_pin =
        app.get(format!("{PUBLIC}/calendarByPin?pincode=400051&date={}", app.date(0))).send().await;
    assert_eq!(by_pin.json()["centers"][0], v["centers"]);

    for uri in [
        format!("{PUBLIC}/calendarByCenter?center_id={RUBY_HALL}&date={}", app.date(3)),
        format!("{PUBLIC}/calendarByCenter?center_id=424242&date={}", app.date(0)),
    ] {
        let res = app.get(&uri).send().await;
        assert_eq!(res.status, StatusCode::OK, "{uri}");
        assert_eq!(res.json(), json!({"centers": {}}), "{uri}");
    }
    app.get(format!("{PUBLIC}/calendarByCenter?center_id=abc&date={}", app.date(0)))
        .send()
        .await
        .assert_error(StatusCode::BAD_REQUEST, "APPOIN0020");
}

async fn find_by_lat_long_public_and_protected(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = app.login(&mobile(1)).await;
    let public = app
        .get("/api/v2/appointment/centers/public/findByLatLong?lat=19.07&long=72.87")
        .send()
        .await;
    assert_eq!(public.status, StatusCode::OK, "{}", public.text());
    let protected = app
        .get("/api/v2/appointment/centers/findByLatLong?lat=19.07&long=72.87")
        .bearer(&token)
        .send()
        .await;
    assert_eq!(protected.status, StatusCode::OK);
    assert_eq!(public.json(), protected.json());
    let v = public.json();
    assert_eq!(v["ttl"], 24);
    let centers = v["centers"].as_array().unwrap();
    let ids: Vec<i64> = centers.iter().map(|c| c["center_id"].as_i64().unwrap()).collect();
    assert_eq!(ids, vec![BKC, KURLA], "nearest first; Pune is too far");
    let bkc = &centers[0];
    assert_eq!(bkc["pincode"], "400051", "a string here");
    assert_eq!((&bkc["lat"], &bkc["long"]), (&json!(BKC_AT.0), &json!(BKC_AT.1)));
    assert_eq!(bkc["location"], "BKC Jumbo Facility Road");
    assert_eq!(bkc["name"], "BKC Jumbo Facility");
    assert_eq!(bkc["district_name"], "Mumbai Suburban");

    let res = app
        .get("/api/v2/appointment/centers/public/findByLatLong?lat=18.53&long=73.88")
        .send()
        .await;
    let ids: Vec<i64> = res.json()["centers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["center_id"].as_i64().unwrap())
        .collect();
    assert_eq!(ids, vec![RUBY_HALL]);
    let res =
        app.get("/api/v2/appointment/centers/public/findByLatLong?lat=28.6&long=77.2").send().await;
    assert_eq!(res.json(), json!({"centers": [], "ttl": 24}));

    for q in ["lat=abc&long=72.87", "lat=95&long=72.87", "lat=19.07&long=200", "lat=NaN&long=1"] {
        app.get(format!("/api/v2/appointment/centers/public/findByLatLong?{q}"))
            .send()
            .await
            .assert_error(StatusCode::BAD_REQUEST, "APPOIN0070");
    }
    app.get("/api/v2/appointment/centers/public/findByLatLong?lat=19.07")
        .send()
        .await
        .assert_error(StatusCode::BAD_REQUEST, "USRRES0001");
    app.get("/api/v2/appointment/centers/findByLatLong?lat=19.07&long=72.87")
        .send()
        .await
        .assert_unauthenticated();
}

async fn dates_are_lenient_and_bad_input_is_a_400(backend: Backend) {
    let app = TestApp::new(backend).await;
    let d = app.today;
    let canonical =
        app.get(format!("{PUBLIC}/findByPin?pincode=400051&date={}", app.date(0))).send().await;
    assert_eq!(session_ids(&canonical.json()["sessions"]).len(), 1);
    let short_year = d.year() % 100;
    for date in [
        format!("{}-{}-{short_year}", d.day(), d.month()),
        format!("{}-{}-{}", d.day(), d.month(), d.year()),
        format!("{:02}/{:02}/{}", d.day(), d.month(), d.year()),
        d.format("%Y-%m-%d").to_string(),
    ] {
        let res = app.get(format!("{PUBLIC}/findByPin?pincode=400051&date={date}")).send().await;
        assert_eq!(res.status, StatusCode::OK, "{date}");
        assert_eq!(res.json(), canonical.json(), "{date}");
        let res =
            app.get(format!("{PUBLIC}/calendarByPin?pincode=400051&date={date}")).send().await;
        assert_eq!(res.json()["centers"][0]["sessions"][0]["date"], app.date(0), "{date}");
    }
    // The pincode may also come with spaces around it.
    let res = app
        .get(format!("{PUBLIC}/findByPin?pincode=%20400051%20&date={}", app.date(0)))
        .send()
        .await;
    assert_eq!(res.json(), canonical.json());

    for date in ["31-02-2026", "tomorrow", "1-2", "01-13-2026", "2026"] {
        app.get(format!("{PUBLIC}/findByPin?pincode=400051&date={date}"))
            .send()
            .await
            .assert_error(StatusCode::BAD_REQUEST, "APPOIN0019");
    }
    for pin in ["40005", "4000511", "abcdef", "-400051"] {
        app.get(format!("{PUBLIC}/findByPin?pincode={pin}&date={}", app.date(0)))
            .send()
            .await
            .assert_error(StatusCode::BAD_REQUEST, "APPOIN0018");
    }
    app.get(format!("{PUBLIC}/calendarByDistrict?district_id=mumbai&date={}", app.date(0)))
        .send()
        .await
        .assert_error(StatusCode::BAD_REQUEST, "APPOIN0017");
    let missing = [
        format!("{PUBLIC}/findByPin?date={}", app.date(0)),
        format!("{PUBLIC}/findByPin?pincode=400051"),
        format!("{PUBLIC}/findByPin?pincode=400051&date="),
        format!("{PUBLIC}/findByDistrict?date={}", app.date(0)),
        format!("{PUBLIC}/calendarByCenter?date={}", app.date(0)),
    ];
    for uri in missing {
        app.get(&uri).send().await.assert_error(StatusCode::BAD_REQUEST, "USRRES0001");
    }
}

async fn protected_search_filters_by_vaccine(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = app.login(&mobile(2)).await;
    let tomorrow = app.date(1);
    let get = |uri: String| {
        let call = app.get(uri).bearer(&token);
        async move { call.send().await }
    };
    let res = get(format!("{PROTECTED}/findByDistrict?district_id=395&date={tomorrow}")).await;
    assert_eq!(session_ids(&res.json()["sessions"]), vec![app.s.covaxin.to_string()]);
    let res = get(format!(
        "{PROTECTED}/findByDistrict?district_id=395&date={tomorrow}&vaccine=COVISHIELD"
    ))
    .await;
    assert_eq!(res.json(), json!({"sessions": []}));
    let res =
        get(format!("{PROTECTED}/findByPin?pincode=400051&date={tomorrow}&vaccine=covaxin")).await;
    assert_eq!(session_ids(&res.json()["sessions"]), vec![app.s.covaxin.to_string()]);

    let res = get(format!(
        "{PROTECTED}/calendarByPin?pincode=400051&date={}&vaccine=COVISHIELD",
        app.date(0)
    ))
    .await;
    assert_eq!(session_ids(&res.json()["centers"][0]["sessions"]), vec![app.s.today.to_string()]);
    let res = get(format!(
        "{PROTECTED}/calendarByDistrict?district_id=395&date={}&vaccine=COVAXIN",
        app.date(0)
    ))
    .await;
    let v = res.json();
    assert_eq!(v["centers"].as_array().unwrap().len(), 1, "Kurla has no COVAXIN: {v}");
    assert_eq!(session_ids(&v["centers"][0]["sessions"]), vec![app.s.covaxin.to_string()]);
    // Without the filter the protected answer equals the public one.
    let public = app
        .get(format!("{PUBLIC}/calendarByDistrict?district_id=395&date={}", app.date(0)))
        .send()
        .await;
    let protected =
        get(format!("{PROTECTED}/calendarByDistrict?district_id=395&date={}", app.date(0))).await;
    assert_eq!(public.json(), protected.json());

    get(format!("{PROTECTED}/findByPin?pincode=400051&date={tomorrow}&vaccine=%21%21"))
        .await
        .assert_error(StatusCode::BAD_REQUEST, "APPOIN0021");
    for kind in [
        "findByPin?pincode=400051",
        "findByDistrict?district_id=395",
        "calendarByPin?pincode=400051",
        "calendarByDistrict?district_id=395",
    ] {
        app.get(format!("{PROTECTED}/{kind}&date={tomorrow}"))
            .send()
            .await
            .assert_unauthenticated();
    }
}

async fn gzip_on_request(backend: Backend) {
    let app = TestApp::new(backend).await;
    for uri in [
        format!("{PUBLIC}/findByDistrict?district_id=395&date={}", app.date(0)),
        format!("{PUBLIC}/calendarByDistrict?district_id=395&date={}", app.date(0)),
    ] {
        let plain = app.get(&uri).send().await;
        assert!(plain.header(header::CONTENT_ENCODING).is_none());
        let zipped = app.get(&uri).header("accept-encoding", "gzip, deflate, br").send().await;
        assert_eq!(zipped.status, StatusCode::OK);
        assert_eq!(zipped.header(header::CONTENT_ENCODING), Some("gzip"));
        assert_eq!(zipped.header(header::CONTENT_TYPE), Some("application/json"));
        assert!(
            zipped.header(header::VARY).unwrap().to_ascii_lowercase().contains("accept-encoding")
        );
        assert_ne!(zipped.body, plain.body);
        let unzipped = gunzip(&zipped.body);
        assert_eq!(unzipped, plain.body.to_vec());
        let v: Value = serde_json::from_slice(&unzipped).unwrap();
        assert!(!v.as_object().unwrap().is_empty());
        let upper = app.get(&uri).header("accept-encoding", "GZIP").send().await;
        assert_eq!(upper.header(header::CONTENT_ENCODING), Some("gzip"));
        // `q=0` refuses an encoding; identity only means plain.
        for refused in ["gzip;q=0", "gzip; q=0.0, identity", "identity", "br"] {
            let res = app.get(&uri).header("accept-encoding", refused).send().await;
            assert!(res.header(header::CONTENT_ENCODING).is_none(), "{refused}");
            assert_eq!(res.body, plain.body, "{refused}");
        }
    }
}

async fn public_search_is_rate_limited_per_ip(backend: Backend) {
    let app = TestApp::with_config(backend, |c| c.public_rate_limit = 3).await;
    let uri = format!("{PUBLIC}/findByPin?pincode=400051&date={}", app.date(0));
    for _ in 0..3 {
        let res = app.get(&uri).peer_ip([10, 0, 0, 1]).send().await;
        assert_eq!(res.status, StatusCode::OK);
    }
    let res = app.get(&uri).peer_ip([10, 0, 0, 1]).send().await;
    res.assert_error(StatusCode::TOO_MANY_REQUESTS, "USRRES0429");
    assert!(res.header(header::RETRY_AFTER).unwrap().parse::<u64>().unwrap() > 0);
    // Every public search shares the budget.
    app.get(format!("{PUBLIC}/calendarByCenter?center_id={BKC}&date={}", app.date(0)))
        .peer_ip([10, 0, 0, 1])
        .send()
        .await
        .assert_error(StatusCode::TOO_MANY_REQUESTS, "USRRES0429");
    app.get("/api/v2/appointment/centers/public/findByLatLong?lat=19&long=72")
        .peer_ip([10, 0, 0, 1])
        .send()
        .await
        .assert_error(StatusCode::TOO_MANY_REQUESTS, "USRRES0429");
    // Another IP is served.
    let res = app.get(&uri).peer_ip([10, 0, 0, 2]).send().await;
    assert_eq!(res.status, StatusCode::OK);
    assert_eq!(session_ids(&res.json()["sessions"]).len(), 1);
    // A logged-in client searching the protected endpoints is not limited by it.
    let token = app.login(&mobile(3)).await;
    let res = app
        .get(format!("{PROTECTED}/findByPin?pincode=400051&date={}", app.date(0)))
        .bearer(&token)
        .peer_ip([10, 0, 0, 1])
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK);

    // With the limit off (0), no request is refused.
    let open = TestApp::new(backend).await;
    for _ in 0..30 {
        let res = open.get(&uri).peer_ip([10, 0, 0, 1]).send().await;
        assert_eq!(res.status, StatusCode::OK);
    }
}

async fn new_sessions_appear_after_a_cache_rebuild(backend: Backend) {
    let app = TestApp::new(backend).await;
    let uri = format!("{PUBLIC}/findByPin?pincode=400051&date={}", app.date(3));
    assert_eq!(app.get(&uri).send().await.json(), json!({"sessions": []}));
    let added = app.add_session(&SessionSpec::at(3, 7, 3)).await;
    app.advance(chrono::Duration::seconds(5));
    let v = app.get(&uri).send().await.json();
    assert_eq!(
        session_ids(&v["sessions"]),
        vec![added.to_string()],
        "a kept body outlived the rebuild"
    );
    assert_eq!(v["sessions"][0]["available_capacity"], 10);
}

async fn search_bodies_are_at_most_the_configured_staleness_old(backend: Backend) {
    let app = TestApp::with_config(backend, |c| {
        c.search_max_staleness = std::time::Duration::from_secs(2)
    })
    .await;
    let uri = format!("{PUBLIC}/findByPin?pincode=400051&date={}", app.date(0));
    assert_eq!(app.get(&uri).send().await.json()["sessions"][0]["available_capacity_dose1"], 50);
    let (token, reference) = app.citizen(4).await;
    app.book(&token, app.s.today, 1, &[&reference]).await;
    app.advance(chrono::Duration::milliseconds(2_001));
    assert_eq!(app.get(&uri).send().await.json()["sessions"][0]["available_capacity_dose1"], 49);
}

on_both_backends!(
    find_by_pin_rows_have_the_cowin_shape,
    find_by_district_and_empty_answers,
    calendars_cover_seven_days,
    calendar_by_center_is_one_object,
    find_by_lat_long_public_and_protected,
    dates_are_lenient_and_bad_input_is_a_400,
    protected_search_filters_by_vaccine,
    gzip_on_request,
    public_search_is_rate_limited_per_ip,
    new_sessions_appear_after_a_cache_rebuild,
    search_bodies_are_at_most_the_configured_staleness_old,
);
