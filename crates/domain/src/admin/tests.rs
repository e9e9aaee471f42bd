//! Tests of the officials' rules: levels and capabilities, areas, facility and plan forms.

use std::collections::HashMap;

use chrono::NaiveDate;

use super::*;
use crate::country::{CountryPack, District, Language, PincodeInfo, Policy, State};
use crate::vaccine::VaccineDef;

fn vaccine(code: &str, min_age: u8) -> VaccineDef {
    VaccineDef {
        code: VaccineCode::parse(code).unwrap(),
        name: code.into(),
        manufacturer: "M".into(),
        doses_in_series: 2,
        min_interval_days: Some(28),
        max_interval_days: Some(42),
        min_age_years: min_age,
        doses_per_vial: Some(10),
    }
}

fn pack() -> CountryPack {
    let pin = |p: u32, d: i64| {
        (
            p,
            PincodeInfo {
                pincode: p,
                district_id: DistrictId(d),
                lat: Some(28.6),
                lon: Some(77.2),
            },
        )
    };
    CountryPack {
        code: "XX".into(),
        name: "Test".into(),
        default_language: "en".into(),
        languages: vec![Language { code: "en".into(), name: "English".into() }],
        mobile_country_prefix: "91".into(),
        max_beneficiaries_per_mobile: 4,
        timezone_offset_minutes: 330,
        states: vec![
            State { id: StateId(9), name: "Delhi".into(), name_l: String::new() },
            State { id: StateId(21), name: "Maharashtra".into(), name_l: String::new() },
        ],
        districts: vec![
            District { id: DistrictId(140), state_id: StateId(9), name: "New Delhi".into() },
            District { id: DistrictId(141), state_id: StateId(9), name: "Central".into() },
            District { id: DistrictId(395), state_id: StateId(21), name: "Mumbai".into() },
        ],
        pincodes: [pin(110001, 140), pin(110002, 141), pin(400001, 395)].into_iter().collect(),
        id_types: vec![],
        genders: vec![],
        vaccines: vec![vaccine("COVAXIN", 12), vaccine("COVISHIELD", 18)],
        policies: vec![Policy {
            version: "P1".into(),
            effective_from: d(2021, 1, 1),
            min_age_years: 18,
            interval_overrides: HashMap::new(),
            groups: Vec::new(),
        }],
    }
}

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn place(state: i64, district: i64, block: &str, center: Option<i64>) -> Place {
    Place {
        state: StateId(state),
        district: DistrictId(district),
        block: block.into(),
        center: center.map(CenterId),
    }
}

#[test]
fn areas_cover_only_their_places() {
    let p = place(9, 140, "Chanakyapuri", Some(1001));
    let other_district = place(9, 141, "Karol Bagh", Some(1002));
    let other_state = place(21, 395, "Colaba", Some(1003));
    let state = Area::State { state: StateId(9) };
    let district = Area::District { state: StateId(9), district: DistrictId(140) };
    let block =
        Area::Block { state: StateId(9), district: DistrictId(140), block: "chanakyapuri ".into() };
    let facility = Area::Facility {
        state: StateId(9),
        district: DistrictId(140),
        block: "Chanakyapuri".into(),
        center: CenterId(1001),
    };
    assert!(Area::National.covers(&other_state));
    assert!(state.covers(&p) && state.covers(&other_district) && !state.covers(&other_state));
    assert!(district.covers(&p) && !district.covers(&other_district));
    assert!(block.covers(&p), "block names compare case-insensitively");
    assert!(!block.covers(&place(9, 140, "Other", Some(1004))));
    assert!(facility.covers(&p) && !facility.covers(&place(9, 140, "Chanakyapuri", Some(7))));
}

#[test]
fn areas_contain_themselves_and_what_is_below_only() {
    let state = Area::State { state: StateId(9) };
    let d140 = Area::District { state: StateId(9), district: DistrictId(140) };
    let d141 = Area::District { state: StateId(9), district: DistrictId(141) };
    let block = Area::Block { state: StateId(9), district: DistrictId(140), block: "B".into() };
    let fac = Area::Facility {
        state: StateId(9),
        district: DistrictId(140),
        block: "B".into(),
        center: CenterId(5),
    };
    assert!(Area::National.contains(&state));
    assert!(state.contains(&d140) && state.contains(&fac) && !state.contains(&Area::National));
    assert!(d140.contains(&d140) && d140.contains(&block) && !d140.contains(&d141));
    assert!(!d140.contains(&state), "a district admin cannot create a state admin");
    assert!(block.contains(&fac) && !block.contains(&d140));
    assert!(fac.contains(&fac) && !fac.contains(&block));
}

#[test]
fn levels_decide_what_may_be_done_at_all() {
    assert!(AdminLevel::Block.can(Capability::CreateFacilities));
    assert!(!AdminLevel::Facility.can(Capability::CreateFacilities));
    assert!(AdminLevel::Facility.can(Capability::PlanSessions));
    assert!(AdminLevel::National.can(Capability::ChangePolicy));
    assert!(!AdminLevel::State.can(Capability::ChangePolicy));
    for l in AdminLevel::ALL {
        assert_eq!(AdminLevel::parse(l.as_str()), Some(l));
    }
}

#[test]
fn area_parse_checks_the_pack() {
    let pack = pack();
    assert_eq!(
        Area::parse("district", Some(StateId(9)), Some(DistrictId(140)), None, None, &pack),
        Ok(Area::District { state: StateId(9), district: DistrictId(140) })
    );
    assert_eq!(
        Area::parse("district", Some(StateId(21)), Some(DistrictId(140)), None, None, &pack),
        Err(AreaError::DistrictUnknown)
    );
    assert_eq!(
        Area::parse("state", Some(StateId(99)), None, None, None, &pack),
        Err(AreaError::StateUnknown)
    );
    assert_eq!(
        Area::parse("block", Some(StateId(9)), Some(DistrictId(140)), Some("  "), None, &pack),
        Err(AreaError::BlockMissing)
    );
    assert_eq!(
        Area::parse("facility", None, None, None, None, &pack),
        Err(AreaError::CenterMissing)
    );
    assert_eq!(Area::parse("ward", None, None, None, None, &pack), Err(AreaError::Level));
    let p = place(9, 140, "B", Some(77));
    assert_eq!(
        Area::parse("facility", None, None, None, Some(&p), &pack).unwrap().center(),
        Some(CenterId(77))
    );
}

fn form() -> FacilityForm {
    FacilityForm {
        name: "  PHC   Chanakyapuri ".into(),
        name_l: String::new(),
        kind: "private".into(),
        address: "1 Nyaya Marg".into(),
        block: "Chanakyapuri".into(),
        district: Some(140),
        pincode: "110001".into(),
        lat: None,
        lon: None,
        open: "09:00".into(),
        close: "17:00".into(),
        fees: vec![("COVISHIELD".into(), 780)],
        cold_chain_point: "DVS New Delhi".into(),
    }
}

#[test]
fn a_good_facility_is_accepted_with_the_pincode_centroid() {
    let f = form().check(&pack()).unwrap();
    assert_eq!(f.name, "PHC Chanakyapuri");
    assert_eq!((f.state, f.district, f.pincode), (StateId(9), DistrictId(140), 110001));
    assert_eq!((f.open_min, f.close_min), (540, 1020));
    assert_eq!((f.lat, f.lon), (Some(28.6), Some(77.2)));
    assert_eq!(f.fee_for(&VaccineCode::parse("COVISHIELD").unwrap()).as_deref(), Some("780"));
    assert_eq!(f.fee_for(&VaccineCode::parse("COVAXIN").unwrap()), None);
    assert_eq!(fees_from_text(&fees_to_text(&f.fees)), f.fees);
}

#[test]
fn every_problem_of_a_facility_is_reported_by_field() {
    let bad = FacilityForm {
        name: "X".into(),
        kind: "hospital".into(),
        pincode: "110002".into(),
        open: "18:00".into(),
        close: "09:00".into(),
        fees: vec![("SPUTNIK".into(), 10)],
        lat: Some(51.5),
        lon: None,
        ..form()
    };
    let errors = bad.check(&pack()).unwrap_err();
    let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
    for f in ["name", "kind", "pincode", "close", "fees", "location"] {
        assert!(fields.contains(&f), "{f} missing from {errors:?}");
    }
    let gov = FacilityForm { kind: "government".into(), ..form() };
    assert_eq!(gov.check(&pack()).unwrap_err()[0].field, "fees");
    let private_free = FacilityForm { fees: vec![], ..form() };
    assert_eq!(private_free.check(&pack()).unwrap_err()[0].field, "fees");
    let gov_free = FacilityForm { kind: "government".into(), fees: vec![], ..form() };
    assert_eq!(
        gov_free
            .check(&pack())
            .unwrap()
            .fee_for(&VaccineCode::parse("COVAXIN").unwrap())
            .as_deref(),
        Some("0")
    );
}

fn plan() -> PlanForm {
    PlanForm {
        vaccine: "COVISHIELD".into(),
        from: Some(d(2026, 12, 7)),
        until: Some(d(2027, 1, 3)),
        weekdays: vec![0, 1, 2, 3, 4],
        min_age: Some(18),
        max_age: None,
        capacity_dose1: Some(100),
        capacity_dose2: Some(50),
        slots: Some(4),
        walk_ins: true,
    }
}

#[test]
fn a_recurring_plan_gives_every_weekday_for_four_weeks() {
    let p = plan().check(&pack(), 540, 1020, d(2026, 12, 4)).unwrap();
    assert_eq!(p.dates.len(), 20);
    assert!(p.dates.iter().all(|x| x.weekday().num_days_from_monday() < 5));
    assert_eq!(p.dates.first(), Some(&d(2026, 12, 7)));
    assert_eq!(p.dates.last(), Some(&d(2027, 1, 1)));
    assert_eq!(p.slots.len(), 4);
    assert_eq!(p.slots[0].as_str(), "09:00AM-11:00AM");
    let single = PlanForm { until: None, weekdays: vec![], ..plan() };
    assert_eq!(
        single.check(&pack(), 540, 1020, d(2026, 12, 4)).unwrap().dates,
        vec![d(2026, 12, 7)]
    );
}

#[test]
fn bad_plans_are_refused_with_every_reason() {
    let bad = PlanForm {
        vaccine: "COVAXIN".into(),
        from: Some(d(2026, 12, 1)),
        until: Some(d(2027, 3, 1)),
        min_age: Some(5),
        capacity_dose1: Some(0),
        capacity_dose2: Some(0),
        slots: Some(40),
        ..plan()
    };
    let errors = bad.check(&pack(), 540, 1020, d(2026, 12, 4)).unwrap_err();
    let fields: Vec<_> = errors.iter().map(|e| e.field).collect();
    for f in ["from", "until", "min_age", "capacity", "slots"] {
        assert!(fields.contains(&f), "{f} missing from {errors:?}");
    }
    let no_day = PlanForm { until: Some(d(2026, 12, 8)), weekdays: vec![5, 6], ..plan() };
    assert_eq!(no_day.check(&pack(), 540, 1020, d(2026, 12, 4)).unwrap_err()[0].field, "weekdays");
    let unknown = PlanForm { vaccine: "SPUTNIK".into(), ..plan() };
    assert_eq!(unknown.check(&pack(), 540, 1020, d(2026, 12, 4)).unwrap_err()[0].field, "vaccine");
}

#[test]
fn hours_parse_strictly() {
    assert_eq!(parse_hhmm("09:30"), Some(570));
    assert_eq!(parse_hhmm("09:30:00"), Some(570));
    assert_eq!(parse_hhmm("24:00"), None);
    assert_eq!(parse_hhmm("9"), None);
    assert_eq!(hhmmss(570), "09:30:00");
    assert!(
        SessionEdit { capacity_dose1: MAX_CAPACITY + 1, capacity_dose2: 0, walk_ins: true }
            .check()
            .is_err()
    );
}
