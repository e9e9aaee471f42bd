//! Booking, rescheduling and cancelling: rules, capacity, concurrency, what the lists show.

use axum::http::StatusCode;
use serde_json::{Value, json};
use tika_domain::date::format_cowin_date;
use tika_domain::ids::{AppointmentId, BeneficiaryRef, CenterId, SessionId, VaccinationId};
use tika_domain::vaccine::{DoseNumber, VaccineCode};
use tika_server::error::SESSION_FULL_MESSAGE;
use tika_storage::{AppointmentStatus, Backend, Vaccination};
use tika_test_support::on_both_backends;

use crate::harness::{BKC, SLOTS, SessionSpec, TestApp, mobile, send_to};

const SCHEDULE: &str = "/api/v2/appointment/schedule";
const RESCHEDULE: &str = "/api/v2/appointment/reschedule";
const CANCEL: &str = "/api/v2/appointment/cancel";

/// Records a dose given `days_ago` days before today.
async fn give_dose(app: &TestApp, reference: &str, dose: i64, vaccine: &str, days_ago: i64) {
    let b = app
        .store
        .find_beneficiary_by_ref(&BeneficiaryRef::parse(reference).unwrap())
        .await
        .unwrap();
    app.store
        .record_vaccination(&Vaccination {
            id: VaccinationId::new(),
            beneficiary_id: b.id,
            dose: DoseNumber::new(dose).unwrap(),
            vaccine: VaccineCode::parse(vaccine).unwrap(),
            date: app.day(-days_ago),
            center_id: Some(CenterId(BKC)),
        })
        .await
        .unwrap();
}

/// Seats left for dose 1 in a session, as public search shows them.
async fn seats_shown(app: &TestApp, session: SessionId) -> i64 {
    let res = app
        .get(format!(
            "/api/v2/appointment/sessions/public/calendarByCenter?center_id={BKC}&date={}",
            app.date(0)
        ))
        .send()
        .await;
    let v = res.json();
    v["centers"]["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["session_id"] == session.to_string())
        .map(|s| s["available_capacity_dose1"].as_i64().unwrap())
        .unwrap()
}

async fn booking_rows(app: &TestApp, id: &str) -> Vec<tika_storage::Appointment> {
    app.store.find_booking(id.parse::<AppointmentId>().unwrap()).await.unwrap()
}

async fn schedule_is_lenient_and_shows_at_once(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = app.login(&mobile(1)).await;
    let a = app.person(&token, 1).await;
    let b = app.person(&token, 2).await;
    assert_eq!(seats_shown(&app, app.s.today).await, 50);

    let res = app
        .post(SCHEDULE)
        .bearer(&token)
        .json(&json!({"dose": 1.0, "session_id": app.s.today.to_string(), "slot": SLOTS[1],
            "beneficiaries": [a], "center_id": BKC, "captcha": "x7k2q"}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    let v = res.json();
    assert_eq!(v.as_object().unwrap().len(), 2, "{v}");
    let id = v["appointment_id"].as_str().unwrap().to_owned();
    assert_eq!(v["appointment_confirmation_no"], id.as_str());
    assert!(uuid::Uuid::parse_str(&id).is_ok());
    assert_eq!(app.booked(app.s.today).await, (1, 0));
    let rows = booking_rows(&app, &id).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(
        (rows[0].status, rows[0].dose, rows[0].slot.as_str()),
        (AppointmentStatus::Booked, DoseNumber::FIRST, SLOTS[1])
    );
    assert_eq!(rows[0].session_id, app.s.today);
    // The search answer already shows it (same process).
    assert_eq!(seats_shown(&app, app.s.today).await, 49);

    // "dose": "1", a slot in another case, beneficiaries as a list with a duplicate.
    let res = app
        .post(SCHEDULE)
        .bearer(&token)
        .json(&json!({"dose": "1", "session_id": app.s.today.to_string(),
            "slot": SLOTS[2].to_lowercase(), "beneficiaries": [b, b]}))
        .send()
        .await;
    assert_eq!(res.status, StatusCode::OK, "{}", res.text());
    let id2 = res.json()["appointment_id"].as_str().unwrap().to_owned();
    assert_ne!(id2, id);
    assert_eq!(booking_rows(&app, &id2).await[0].slot.as_str(), SLOTS[2]);
    assert_eq!(app.booked(app.s.today).await, (2, 0));
    assert_eq!(seats_shown(&app, app.s.today).await, 48);
}

async fn schedule_rejects_bad_input(backend: Backend) {
    let app = TestApp::new(backend).await;
    let (token, a) = app.citizen(2).await;
    let (_, theirs) = app.citizen(3).await;
    let today = app.s.today.to_string();
    let cases = [
        (
            json!({"dose": 1, "session_id": today, "slot": "FORENOON", "beneficiaries": [a]}),
            "APPOIN0015",
        ),
        (
            json!({"dose": 1, "session_id": uuid::Uuid::new_v4(), "slot": SLOTS[0], "beneficiaries": [a]}),
            "APPOIN0012",
        ),
        (
            json!({"dose": 1, "session_id": "not-a-uuid", "slot": SLOTS[0], "beneficiaries": [a]}),
            "APPOIN0012",
        ),
        (json!({"session_id": today, "slot": SLOTS[0], "beneficiaries": [a]}), "USRRES0001"),
        (
            json!({"dose": 3, "session_id": today, "slot": SLOTS[0], "beneficiaries": [a]}),
            "APPOIN0016",
        ),
        (
            json!({"dose": 1.5, "session_id": today, "slot": SLOTS[0], "beneficiaries": [a]}),
            "USRRES0001",
        ),
        (
            json!({"dose": 1, "session_id": today, "slot": SLOTS[0], "beneficiaries": []}),
            "USRRES0001",
        ),
        (
            json!({"dose": 1, "session_id": today, "slot": SLOTS[0], "beneficiaries": null}),
            "USRRES0001",
        ),
        (json!({"dose": 1, "session_id": today, "beneficiaries": [a]}), "USRRES0001"),
        (
            json!({"dose": 1, "session_id": today, "slot": SLOTS[0], "beneficiaries": [theirs]}),
            "BENREG0020",
        ),
        (
            json!({"dose": 1, "session_id": today, "slot": SLOTS[0], "beneficiaries": [a, theirs]}),
            "BENREG0020",
        ),
        (
            json!({"dose": 1, "session_id": today, "slot": SLOTS[0], "beneficiaries": ["12345"]}),
            "BENREG0020",
        ),
    ];
    for (body, code) in cases {
        let res = app.post(SCHEDULE).bearer(&token).json(&body).send().await;
        assert_eq!(res.status, StatusCode::BAD_REQUEST, "{body}: {}", res.text());
        assert_eq!(res.json()["errorCode"], code, "{body}");
    }
    app.post(SCHEDULE)
        .bearer(&token)
        .body(b"{")
        .send()
        .await
        .assert_error(StatusCode::BAD_REQUEST, "USRRES0001");
    app.post(SCHEDULE)
        .json(&json!({"dose": 1, "session_id": today, "slot": SLOTS[0], "beneficiaries": [a]}))
        .send()
        .await
        .assert_unauthenticated();
    assert_eq!(app.booked(app.s.today).await, (0, 0));
    assert!(app.beneficiaries(&token).await[0]["appointments"].as_array().unwrap().is_empty());
}

async fn a_full_session_says_so_in_cowin_words(backend: Backend) {
    let app = TestApp::new(backend).await;
    let one_seat = app.add_session(&SessionSpec::at(1, 1, 0)).await;
    let (t1, r1) = app.citizen(4).await;
    let (t2, r2) = app.citizen(5).await;
    app.book(&t1, one_seat, 1, &[&r1]).await;
    let res = app.schedule(&t2, one_seat, 1, &[&r2]).await;
    res.assert_error(StatusCode::CONFLICT, "APPOIN0040");
    assert_eq!(res.json()["error"], SESSION_FULL_MESSAGE);
    assert_eq!(
        SESSION_FULL_MESSAGE,
        "This vaccination center is completely booked for the selected date. Please try another date or vaccination center."
    );
    // No dose-2 seats at all: full for dose 2.
    give_dose(&app, &r2, 1, "COVISHIELD", 90).await;
    app.schedule(&t2, one_seat, 2, &[&r2]).await.assert_error(StatusCode::CONFLICT, "APPOIN0040");
    assert_eq!(app.booked(one_seat).await, (1, 0));

    // Two people for one remaining seat: neither is booked.
    let two = app.add_session(&SessionSpec::at(2, 1, 0)).await;
    let token = app.login(&mobile(6)).await;
    let a = app.person(&token, 60).await;
    let b = app.person(&token, 61).await;
    app.schedule(&token, two, 1, &[&a, &b]).await.assert_error(StatusCode::CONFLICT, "APPOIN0040");
    assert_eq!(app.booked(two).await, (0, 0));
}

async fn eligibility_rules_are_409s(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = app.login(&mobile(7)).await;
    let young = app.person(&token, 70).await; // born 1985: 41
    let old = app.register(&token, "Kamla Devi", "1950", &crate::harness::aadhaar(71)).await;

    // Age outside the session's group.
    app.schedule(&token, app.s.senior, 1, &[&young])
        .await
        .assert_error(StatusCode::CONFLICT, "APPOIN0050");
    app.schedule(&token, app.s.covaxin, 1, &[&old])
        .await
        .assert_error(StatusCode::CONFLICT, "APPOIN0050");
    // Dose 2 without dose 1.
    app.schedule(&token, app.s.today, 2, &[&young])
        .await
        .assert_error(StatusCode::CONFLICT, "APPOIN0051");
    assert_eq!(app.booked(app.s.senior).await, (0, 0));
    assert_eq!(app.booked(app.s.today).await, (0, 0));
    // The older person may book the senior session; once.
    app.book(&token, app.s.senior, 1, &[&old]).await;
    app.schedule(&token, app.s.today, 1, &[&old])
        .await
        .assert_error(StatusCode::CONFLICT, "APPOIN0042");
    assert_eq!(app.booked(app.s.senior).await, (1, 0));
    assert_eq!(app.booked(app.s.today).await, (0, 0));
}

async fn second_doses_follow_the_first(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = app.login(&mobile(8)).await;
    let covaxin_30 = app.person(&token, 80).await;
    let covishield_30 = app.person(&token, 81).await;
    give_dose(&app, &covaxin_30, 1, "COVAXIN", 30).await;
    give_dose(&app, &covishield_30, 1, "COVISHIELD", 30).await;

    // Dose 2 of another vaccine.
    app.schedule(&token, app.s.today, 2, &[&covaxin_30])
        .await
        .assert_error(StatusCode::CONFLICT, "APPOIN0052");
    // Dose 2 too early (COVISHIELD needs 84 days).
    let res = app.schedule(&token, app.s.today, 2, &[&covishield_30]).await;
    res.assert_error(StatusCode::CONFLICT, "APPOIN0053");
    assert!(res.json()["error"].as_str().unwrap().contains(&format_cowin_date(app.day(54))));
    // Dose 1 again.
    app.schedule(&token, app.s.covaxin, 1, &[&covaxin_30])
        .await
        .assert_error(StatusCode::CONFLICT, "APPOIN0051");
    assert_eq!(app.booked(app.s.today).await, (0, 0));

    // Dose 2 of the same vaccine inside the window is fine.
    let id = app.book(&token, app.s.covaxin, 2, &[&covaxin_30]).await;
    assert_eq!(app.booked(app.s.covaxin).await, (0, 1));
    let list = app.beneficiaries(&token).await;
    let p = list.iter().find(|p| p["beneficiary_reference_id"] == covaxin_30).unwrap();
    assert_eq!(p["vaccination_status"], "Partially Vaccinated");
    assert_eq!(p["vaccine"], "COVAXIN");
    assert_eq!(p["dose1_date"], app.date(-30));
    assert_eq!(p["dose2_date"], "");
    assert_eq!(p["appointments"][0]["appointment_id"], id.as_str());
    assert_eq!(p["appointments"][0]["dose"], 2);

    // Fully vaccinated: no more doses.
    give_dose(&app, &covishield_30, 2, "COVISHIELD", 0).await;
    let list = app.beneficiaries(&token).await;
    let p = list.iter().find(|p| p["beneficiary_reference_id"] == covishield_30).unwrap();
    assert_eq!(p["vaccination_status"], "Vaccinated");
    assert_eq!(p["dose2_date"], app.date(0));
    app.schedule(&token, app.s.today, 2, &[&covishield_30])
        .await
        .assert_error(StatusCode::CONFLICT, "APPOIN0051");
    // A vaccinated person cannot be deleted.
    app.post("/api/v2/registration/beneficiary/delete")
        .bearer(&token)
        .json(&json!({"beneficiary_reference_id": covishield_30}))
        .send()
        .await
        .assert_error(StatusCode::CONFLICT, "BENREG0003");
}

async fn one_booking_for_two_people_on_one_mobile(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = app.login(&mobile(9)).await;
    let a = app.person(&token, 90).await;
    let b = app.person(&token, 91).await;
    let id = app.book(&token, app.s.today, 1, &[&a, &b]).await;
    assert_eq!(app.booked(app.s.today).await, (2, 0));
    let rows = booking_rows(&app, &id).await;
    assert_eq!(rows.len(), 2);
    assert!(
        rows.iter().all(|r| r.status == AppointmentStatus::Booked && r.session_id == app.s.today)
    );

    let list = app.beneficiaries(&token).await;
    assert_eq!(list.len(), 2);
    for p in &list {
        let appts = p["appointments"].as_array().unwrap();
        assert_eq!(appts.len(), 1, "{p}");
        let ap = &appts[0];
        assert_eq!(
            ap,
            &json!({
                "appointment_id": id,
                "session_id": app.s.today.to_string(),
                "center_id": BKC,
                "name": "BKC Jumbo Facility",
                "address": "BKC Jumbo Facility Road",
                "state_name": "Maharashtra",
                "district_name": "Mumbai Suburban",
                "block_name": "Ward H East",
                "pincode": 400051,
                "from": "09:00",
                "to": "17:00",
                "dose": 1,
                "date": app.date(0),
                "slot": SLOTS[0],
                "vaccine": "COVISHIELD",
                "security_code": ap["security_code"].clone(),
            })
        );
        let code = ap["security_code"].as_str().unwrap();
        assert!(code.len() == 4 && code.bytes().all(|c| c.is_ascii_digit()));
    }
}

async fn sixty_clients_race_for_ten_seats(backend: Backend) {
    let app = TestApp::new(backend).await;
    let ten = app.add_session(&SessionSpec::at(1, 10, 0)).await;
    let citizens = futures::future::join_all((0..60).map(|n| app.citizen(100 + n))).await;
    let mut tasks = Vec::new();
    for (token, reference) in &citizens {
        let (req, check) = app
            .post(SCHEDULE)
            .bearer(token)
            .json(&json!({"dose": 1, "session_id": ten.to_string(), "slot": SLOTS[3],
                "beneficiaries": [reference]}))
            .request();
        let router = tika_server::app::router(app.state.clone());
        tasks.push(tokio::spawn(send_to(router, req, check)));
    }
    let (mut ok, mut full) = (Vec::new(), 0);
    for t in tasks {
        let res = t.await.unwrap();
        match res.status {
            StatusCode::OK => ok.push(res.json()["appointment_id"].as_str().unwrap().to_owned()),
            StatusCode::CONFLICT => {
                assert_eq!(
                    res.json(),
                    json!({"errorCode": "APPOIN0040", "error": SESSION_FULL_MESSAGE})
                );
                full += 1;
            }
            other => panic!("unexpected {other}: {}", res.text()),
        }
    }
    assert_eq!((ok.len(), full), (10, 50));
    assert_eq!(app.booked(ten).await, (10, 0));
    for id in &ok {
        assert_eq!(booking_rows(&app, id).await.len(), 1);
    }
    let res = app
        .get(format!(
            "/api/v2/appointment/sessions/public/findByPin?pincode=400051&date={}",
            app.date(1)
        ))
        .send()
        .await;
    let v = res.json();
    let row = v["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["session_id"] == ten.to_string())
        .unwrap();
    assert_eq!(row["available_capacity_dose1"], 0);
}

async fn reschedule_moves_the_seat(backend: Backend) {
    let app = TestApp::new(backend).await;
    let (token, a) = app.citizen(10).await;
    let (other_token, b) = app.citizen(11).await;
    let later = app.add_session(&SessionSpec::at(2, 5, 0)).await;
    let full = app.add_session(&SessionSpec::at(3, 1, 0)).await;
    app.book(&other_token, full, 1, &[&b]).await;
    let id = app.book(&token, app.s.today, 1, &[&a]).await;

    let res = app
        .post(RESCHEDULE)
        .bearer(&token)
        .json(&json!({"appointment_id": id, "session_id": later.to_string(), "slot": SLOTS[2]}))
        .send()
        .await;
    res.assert_no_content();
    assert_eq!(app.booked(app.s.today).await, (0, 0));
    assert_eq!(app.booked(later).await, (1, 0));
    let rows = booking_rows(&app, &id).await;
    assert_eq!((rows[0].session_id, rows[0].slot.as_str()), (later, SLOTS[2]));
    let list = app.beneficiaries(&token).await;
    assert_eq!(list[0]["appointments"][0]["session_id"], later.to_string());
    assert_eq!(list[0]["appointments"][0]["date"], app.date(2));
    assert_eq!(list[0]["appointments"][0]["appointment_id"], id.as_str());

    // Same session, another slot.
    app.post(RESCHEDULE)
        .bearer(&token)
        .json(&json!({"appointment_id": id, "session_id": later.to_string(), "slot": SLOTS[0]}))
        .send()
        .await
        .assert_no_content();
    assert_eq!(app.booked(later).await, (1, 0));

    let cases = [
        (
            json!({"appointment_id": id, "session_id": later.to_string(), "slot": "EVENING"}),
            StatusCode::BAD_REQUEST,
            "APPOIN0015",
        ),
        (
            json!({"appointment_id": id, "session_id": uuid::Uuid::new_v4(), "slot": SLOTS[0]}),
            StatusCode::BAD_REQUEST,
            "APPOIN0012",
        ),
        (
            json!({"appointment_id": uuid::Uuid::new_v4(), "session_id": later.to_string(), "slot": SLOTS[0]}),
            StatusCode::BAD_REQUEST,
            "APPOIN0013",
        ),
        (
            json!({"session_id": later.to_string(), "slot": SLOTS[0]}),
            StatusCode::BAD_REQUEST,
            "USRRES0001",
        ),
        (
            json!({"appointment_id": id, "session_id": full.to_string(), "slot": SLOTS[0]}),
            StatusCode::CONFLICT,
            "APPOIN0040",
        ),
        (
            json!({"appointment_id": id, "session_id": app.s.senior.to_string(), "slot": SLOTS[0]}),
            StatusCode::CONFLICT,
            "APPOIN0050",
        ),
    ];
    for (body, status, code) in cases {
        app.post(RESCHEDULE).bearer(&token).json(&body).send().await.assert_error(status, code);
    }
    // Someone else's appointment.
    app.post(RESCHEDULE)
        .bearer(&other_token)
        .json(
            &json!({"appointment_id": id, "session_id": app.s.today.to_string(), "slot": SLOTS[0]}),
        )
        .send()
        .await
        .assert_error(StatusCode::BAD_REQUEST, "APPOIN0013");
    assert_eq!(app.booked(later).await, (1, 0));
    assert_eq!(app.booked(full).await, (1, 0));
    assert_eq!(app.booked(app.s.today).await, (0, 0));

    // A cancelled appointment cannot be moved.
    app.post(CANCEL)
        .bearer(&token)
        .json(&json!({"appointment_id": id}))
        .send()
        .await
        .assert_no_content();
    app.post(RESCHEDULE)
        .bearer(&token)
        .json(
            &json!({"appointment_id": id, "session_id": app.s.today.to_string(), "slot": SLOTS[0]}),
        )
        .send()
        .await
        .assert_error(StatusCode::CONFLICT, "APPOIN0060");
}

async fn cancel_returns_the_seats(backend: Backend) {
    let app = TestApp::new(backend).await;
    let token = app.login(&mobile(12)).await;
    let a = app.person(&token, 120).await;
    let b = app.person(&token, 121).await;
    let (other_token, theirs) = app.citizen(13).await;
    let id = app.book(&token, app.s.today, 1, &[&a, &b]).await;
    assert_eq!(app.booked(app.s.today).await, (2, 0));
    assert_eq!(seats_shown(&app, app.s.today).await, 48);

    // Someone else cannot cancel it; a stranger in the list is refused.
    app.post(CANCEL)
        .bearer(&other_token)
        .json(&json!({"appointment_id": id, "beneficiariesToCancel": null}))
        .send()
        .await
        .assert_error(StatusCode::BAD_REQUEST, "APPOIN0013");
    app.post(CANCEL)
        .bearer(&token)
        .json(&json!({"appointment_id": id, "beneficiariesToCancel": [theirs]}))
        .send()
        .await
        .assert_error(StatusCode::BAD_REQUEST, "BENREG0020");
    let c = app.person(&token, 122).await;
    app.post(CANCEL)
        .bearer(&token)
        .json(&json!({"appointment_id": id, "beneficiariesToCancel": [c]}))
        .send()
        .await
        .assert_error(StatusCode::BAD_REQUEST, "APPOIN0014");
    app.post(CANCEL)
        .bearer(&token)
        .json(&json!({"appointment_id": "nope"}))
        .send()
        .await
        .assert_error(StatusCode::BAD_REQUEST, "APPOIN0013");
    assert_eq!(app.booked(app.s.today).await, (2, 0));

    // null cancels everyone.
    let res = app
        .post(CANCEL)
        .bearer(&token)
        .json(&json!({"appointment_id": id, "beneficiariesToCancel": null}))
        .send()
        .await;
    res.assert_no_content();
    assert_eq!(app.booked(app.s.today).await, (0, 0));
    assert!(booking_rows(&app, &id).await.iter().all(|r| r.status == AppointmentStatus::Cancelled));
    assert_eq!(seats_shown(&app, app.s.today).await, 50);
    for p in app.beneficiaries(&token).await {
        assert_eq!(p["appointments"], json!([]), "{p}");
    }
    // Again: nothing left to cancel.
    let res = app
        .post(CANCEL)
        .bearer(&token)
        .json(&json!({"appointment_id": id, "beneficiariesToCancel": null}))
        .send()
        .await;
    res.assert_error(StatusCode::CONFLICT, "APPOIN0060");
    assert_eq!(app.booked(app.s.today).await, (0, 0));

    // A partial cancel keeps the other person's seat; a rebooking after cancel works.
    let id = app.book(&token, app.s.today, 1, &[&a, &b]).await;
    app.post(CANCEL)
        .bearer(&token)
        .json(&json!({"appointment_id": id, "beneficiariesToCancel": [a]}))
        .send()
        .await
        .assert_no_content();
    assert_eq!(app.booked(app.s.today).await, (1, 0));
    let list = app.beneficiaries(&token).await;
    let shown = |r: &str| -> Value {
        list.iter().find(|p| p["beneficiary_reference_id"] == r).unwrap()["appointments"].clone()
    };
    assert_eq!(shown(a.as_str()), json!([]));
    assert_eq!(shown(b.as_str())[0]["appointment_id"], id.as_str());
    // An empty list (or no field) cancels the rest.
    app.post(CANCEL)
        .bearer(&token)
        .json(&json!({"appointment_id": id, "beneficiariesToCancel": []}))
        .send()
        .await
        .assert_no_content();
    assert_eq!(app.booked(app.s.today).await, (0, 0));
}

async fn past_sessions_are_closed(backend: Backend) {
    let app = TestApp::new(backend).await;
    let (token, a) = app.citizen(14).await;
    let id = app.book(&token, app.s.today, 1, &[&a]).await;
    let mobile_b = mobile(15);
    let token_b = app.login(&mobile_b).await;
    let b = app.person(&token_b, 15).await;

    // The next day, today's session is in the past.
    app.advance(chrono::Duration::days(1));
    let token = app.login(&mobile(14)).await;
    let token_b = app.login(&mobile_b).await;
    app.schedule(&token_b, app.s.today, 1, &[&b])
        .await
        .assert_error(StatusCode::CONFLICT, "APPOIN0043");
    app.post(RESCHEDULE)
        .bearer(&token)
        .json(
            &json!({"appointment_id": id, "session_id": app.s.paid.to_string(), "slot": SLOTS[0]}),
        )
        .send()
        .await
        .assert_error(StatusCode::CONFLICT, "APPOIN0061");
    app.post(CANCEL)
        .bearer(&token)
        .json(&json!({"appointment_id": id}))
        .send()
        .await
        .assert_error(StatusCode::CONFLICT, "APPOIN0060");
    assert_eq!(app.booked(app.s.today).await, (1, 0));
    assert_eq!(app.booked(app.s.paid).await, (0, 0));
    // Future sessions are still open.
    app.book(&token_b, app.s.covaxin, 1, &[&b]).await;
}

on_both_backends!(
    past_sessions_are_closed,
    schedule_is_lenient_and_shows_at_once,
    schedule_rejects_bad_input,
    a_full_session_says_so_in_cowin_words,
    eligibility_rules_are_409s,
    second_doses_follow_the_first,
    one_booking_for_two_people_on_one_mobile,
    sixty_clients_race_for_ten_seats,
    reschedule_moves_the_seat,
    cancel_returns_the_seats,
);
