//! Tests of the policy's groups, eligibility, ranks and the new-version form.

use std::collections::HashMap;

use super::*;
use crate::country::Language;
use crate::vaccine::VaccineDef;

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).unwrap()
}

fn vaccine(code: &str, doses: u8, min: Option<u32>, max: Option<u32>) -> VaccineDef {
    VaccineDef {
        code: VaccineCode::parse(code).unwrap(),
        name: code.into(),
        manufacturer: String::new(),
        doses_in_series: doses,
        min_interval_days: min,
        max_interval_days: max,
        min_age_years: 12,
        doses_per_vial: Some(10),
    }
}

fn pack() -> CountryPack {
    CountryPack {
        code: "XX".into(),
        name: "Test".into(),
        default_language: "en".into(),
        languages: vec![Language { code: "en".into(), name: "English".into() }],
        mobile_country_prefix: "91".into(),
        max_beneficiaries_per_mobile: 4,
        timezone_offset_minutes: 330,
        states: vec![],
        districts: vec![],
        pincodes: HashMap::new(),
        id_types: vec![],
        genders: vec![],
        vaccines: vec![
            vaccine("COVISHIELD", 2, Some(84), Some(112)),
            vaccine("SPUTNIK LIGHT", 1, None, None),
        ],
        policies: vec![india_2021()],
    }
}

fn group(code: &str, rank: u32, opens: NaiveDate, rule: GroupRule) -> PriorityGroup {
    PriorityGroup {
        code: code.into(),
        name: format!("{code} group"),
        name_hi: format!("{code} समूह"),
        rank,
        opens,
        rule,
    }
}

fn age(min: u8) -> GroupRule {
    GroupRule { min_age: Some(min), age_on: Some(d(2022, 1, 1)), ..GroupRule::default() }
}

/// India's 2021 phases.
fn india_2021() -> Policy {
    let occ = |o| GroupRule { occupations: vec![o], ..GroupRule::default() };
    Policy {
        version: "IN-2021".into(),
        effective_from: d(2021, 1, 16),
        min_age_years: 18,
        interval_overrides: HashMap::new(),
        groups: vec![
            group("HCW", 1, d(2021, 1, 16), occ(Occupation::HealthWorker)),
            group("FLW", 2, d(2021, 2, 2), occ(Occupation::FrontlineWorker)),
            group("60+", 3, d(2021, 3, 1), age(60)),
            group("45+C", 4, d(2021, 3, 1), GroupRule { comorbidity: true, ..age(45) }),
            group("45+", 5, d(2021, 4, 1), age(45)),
            group("18+", 6, d(2021, 5, 1), age(18)),
        ],
    }
}

fn person(born: i32, comorbidity: bool, occupation: Option<Occupation>) -> PersonFacts {
    PersonFacts { birth_year: BirthYear::from_stored(born), comorbidity, occupation }
}

#[test]
fn groups_open_in_phases() {
    let p = india_2021();
    let nurse = person(1990, false, Some(Occupation::HealthWorker));
    let police = person(1985, false, Some(Occupation::FrontlineWorker));
    let elder = person(1950, false, None);
    let diabetic = person(1970, true, None);
    let middle = person(1970, false, None);
    let young = person(2000, false, Some(Occupation::Other));

    assert!(p.is_eligible(&nurse, d(2021, 1, 16)));
    assert!(!p.is_eligible(&police, d(2021, 1, 16)));
    assert!(p.is_eligible(&police, d(2021, 2, 2)));
    assert!(!p.is_eligible(&elder, d(2021, 2, 28)));
    assert!(p.is_eligible(&elder, d(2021, 3, 1)));
    assert!(p.is_eligible(&diabetic, d(2021, 3, 1)));
    assert!(!p.is_eligible(&middle, d(2021, 3, 31)));
    assert!(p.is_eligible(&middle, d(2021, 4, 1)));
    assert!(!p.is_eligible(&young, d(2021, 4, 30)));
    assert!(p.is_eligible(&young, d(2021, 5, 1)));

    assert_eq!(p.priority_rank(&nurse, d(2021, 6, 1)), Some(1));
    assert_eq!(p.priority_rank(&diabetic, d(2021, 6, 1)), Some(4));
    assert_eq!(p.priority_rank(&young, d(2021, 6, 1)), Some(6));
    assert_eq!(p.priority_rank(&young, d(2021, 4, 1)), None);
    let codes: Vec<&str> =
        p.groups_of(&diabetic, d(2021, 1, 20)).iter().map(|g| g.code.as_str()).collect();
    assert_eq!(codes, ["45+C", "45+", "18+"]);
}

#[test]
fn a_closed_group_is_refused_with_the_open_ones_named() {
    let p = india_2021();
    let young = person(2000, false, None);
    assert_eq!(
        p.check_groups(&young, d(2021, 3, 15)),
        Err(GroupError::NotOpen {
            date: "15-03-2021".into(),
            open: "HCW group, FLW group, 60+ group, 45+C group".into()
        })
    );
    assert_eq!(p.check_groups(&young, d(2021, 5, 1)), Ok(()));
    assert_eq!(
        p.check_groups(&young, d(2021, 1, 1)),
        Err(GroupError::NotOpen { date: "01-01-2021".into(), open: "no group yet".into() })
    );
}

#[test]
fn a_version_without_groups_is_open_from_its_minimum_age() {
    let p = Policy { groups: Vec::new(), ..india_2021() };
    assert!(p.is_eligible(&person(2000, false, None), d(2021, 1, 16)));
    assert_eq!(p.priority_rank(&person(2000, false, None), d(2021, 1, 16)), Some(0));
    assert!(!p.is_eligible(&person(2010, false, None), d(2021, 1, 16)));
    assert_eq!(p.check_groups(&person(2010, false, None), d(2021, 1, 16)), Ok(()));
}

#[test]
fn ages_count_on_the_reference_date_and_the_floor_still_applies() {
    let p = india_2021();
    // 59 in 2021 but 60 on 1 January 2022, the reference date of the 60+ group.
    let almost = person(1962, false, None);
    assert_eq!(p.groups_of(&almost, d(2021, 3, 1))[0].code, "60+");
    // The version's minimum age is a floor even for an open group.
    let child_nurse = person(2008, false, Some(Occupation::HealthWorker));
    assert!(!p.is_eligible(&child_nurse, d(2021, 6, 1)));
}

#[test]
fn versions_merge_by_date() {
    let a = india_2021();
    let b = Policy { version: "B".into(), effective_from: d(2026, 12, 5), ..india_2021() };
    let dup = Policy { version: "C".into(), ..india_2021() };
    let merged = merge_versions(&[a], vec![b, dup]);
    let names: Vec<&str> = merged.iter().map(|p| p.version.as_str()).collect();
    assert_eq!(names, ["IN-2021", "B"]);
}

fn good_form() -> PolicyForm {
    let mut form = PolicyForm::from_policy(&india_2021());
    form.version = "IN-2026-12-05".into();
    form.effective_from = Some(d(2026, 12, 5));
    form.intervals = vec![IntervalForm {
        vaccine: "covishield".into(),
        min_days: Some(90),
        max_days: Some(120),
    }];
    form
}

#[test]
fn a_good_form_makes_a_version() {
    let pack = pack();
    let p = good_form().check(&pack, &pack.policies, d(2026, 12, 4)).unwrap();
    assert_eq!(p.version, "IN-2026-12-05");
    assert_eq!(p.groups.len(), 6);
    assert_eq!(p.groups[2].rule, age(60));
    assert_eq!(
        p.interval_overrides.get(&VaccineCode::parse("COVISHIELD").unwrap()),
        Some(&(90, 120))
    );
    // Round trip through the form keeps the groups.
    let again = PolicyForm::from_policy(&p);
    assert_eq!(again.groups.len(), 6);
    assert_eq!(again.intervals[0].min_days, Some(90));
}

#[test]
fn the_form_reports_every_problem() {
    let pack = pack();
    let mut form = good_form();
    form.version = "IN 2021".into();
    form.effective_from = Some(d(2026, 12, 4));
    form.min_age_years = Some(200);
    form.groups[1].rank = Some(1);
    form.groups[2].min_age = Some(70);
    form.groups[2].max_age = Some(60);
    form.groups[3].occupations = vec!["astronaut".into()];
    form.groups[4].code = "hcw".into();
    form.groups[5].name_hi = String::new();
    form.intervals = vec![
        IntervalForm { vaccine: "COVISHIELD".into(), min_days: Some(30), max_days: Some(20) },
        IntervalForm { vaccine: "NOVAX".into(), min_days: Some(1), max_days: Some(2) },
        IntervalForm { vaccine: "SPUTNIK LIGHT".into(), min_days: Some(1), max_days: Some(2) },
    ];
    let errors = form.check(&pack, &pack.policies, d(2026, 12, 4)).unwrap_err();
    let fields: Vec<&str> = errors.iter().map(|e| e.field).collect();
    assert_eq!(
        fields,
        [
            "version",
            "effective_from",
            "min_age_years",
            "groups",
            "groups",
            "groups",
            "groups",
            "groups",
            "intervals",
            "intervals",
            "intervals",
            "intervals"
        ],
        "{errors:?}"
    );
    let text: Vec<&str> = errors.iter().map(|e| e.message.as_str()).collect();
    assert!(text[1].contains("tomorrow (2026-12-05)"), "{text:?}");
    assert_eq!(text[3], "row 2 (FLW): rank 1 is already used by row 1");
    assert_eq!(text[4], "row 3 (60+): the minimum age 70 exceeds the maximum age 60");
    assert_eq!(text[5], "row 4 (45+C): unknown occupation \"astronaut\"");
    assert_eq!(text[6], "row 5 (hcw): code hcw is used twice");
    assert_eq!(text[7], "row 6 (18+): the Hindi name must be 1 to 80 characters");
    assert_eq!(text[8], "row 1 (COVISHIELD): the minimum 30 exceeds the maximum 20");
    assert_eq!(text[9], "row 1 (COVISHIELD): the minimum must be at least the catalogue's 84 days");
    assert_eq!(text[10], "row 2 (NOVAX): unknown vaccine");
    assert_eq!(text[11], "row 3 (SPUTNIK LIGHT): a single-dose vaccine has no interval");
}

#[test]
fn versions_and_dates_are_never_reused() {
    let pack = pack();
    let mut form = good_form();
    form.version = "in-2021".into();
    form.effective_from = None;
    let errors = form.check(&pack, &pack.policies, d(2026, 12, 4)).unwrap_err();
    assert_eq!(errors[0].message, "version in-2021 already exists");
    assert_eq!(errors[1].message, "a date is needed");

    let mut existing = pack.policies.clone();
    existing.push(Policy { version: "X".into(), effective_from: d(2026, 12, 5), ..india_2021() });
    let errors = good_form().check(&pack, &existing, d(2026, 12, 4)).unwrap_err();
    assert_eq!(errors[0].message, "version X already takes effect on 2026-12-05");
}

#[test]
fn occupations_parse_their_text() {
    assert_eq!(Occupation::parse(" Health_Worker "), Some(Occupation::HealthWorker));
    assert_eq!(Occupation::parse("nurse"), None);
    for o in Occupation::ALL {
        assert_eq!(Occupation::parse(o.as_str()), Some(o));
    }
}
