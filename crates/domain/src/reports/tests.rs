//! Tests of the roll-up, report queries, coverage, second-dose status, suppression and CSV.

use std::collections::HashSet;

use proptest::prelude::*;

use super::*;
use crate::country::{District, GenderDef, Language, State};

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2022, 1, d).unwrap()
}

fn vaccine_def(code: &str) -> VaccineDef {
    VaccineDef {
        code: VaccineCode::parse(code).unwrap(),
        name: code.into(),
        manufacturer: "M".into(),
        doses_in_series: 2,
        min_interval_days: Some(28),
        max_interval_days: Some(42),
        min_age_years: 12,
        doses_per_vial: Some(10),
    }
}

fn policy() -> Policy {
    Policy {
        version: "P1".into(),
        effective_from: day(1),
        min_age_years: 12,
        interval_overrides: HashMap::new(),
        groups: Vec::new(),
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
        states: vec![
            State { id: StateId(9), name: "Delhi".into(), name_l: "दिल्ली".into() },
            State { id: StateId(21), name: "Maharashtra".into(), name_l: String::new() },
        ],
        districts: vec![
            District { id: DistrictId(140), state_id: StateId(9), name: "New Delhi".into() },
            District { id: DistrictId(141), state_id: StateId(9), name: "Central".into() },
            District { id: DistrictId(395), state_id: StateId(21), name: "Mumbai".into() },
        ],
        pincodes: HashMap::new(),
        id_types: vec![],
        genders: vec![
            GenderDef { id: 1, name: "Male".into(), name_l: "पुरुष".into() },
            GenderDef { id: 2, name: "Female".into(), name_l: "महिला".into() },
            GenderDef { id: 3, name: "Others".into(), name_l: String::new() },
        ],
        vaccines: vec![vaccine_def("COVISHIELD"), vaccine_def("COVAXIN")],
        policies: vec![policy()],
    }
}

/// The facilities of the test data: (center, state, district, block, kind, setting).
const CENTERS: [(i64, i64, i64, &str, FacilityOwnership, Setting); 5] = [
    (1, 9, 140, "Chanakyapuri", FacilityOwnership::Government, Setting::Urban),
    (2, 9, 140, "chanakyapuri ", FacilityOwnership::Private, Setting::Urban),
    (3, 9, 140, "Vasant Vihar", FacilityOwnership::Government, Setting::Unknown),
    (4, 9, 141, "Karol Bagh", FacilityOwnership::Private, Setting::Urban),
    (5, 21, 395, "Haveli", FacilityOwnership::Government, Setting::Rural),
];

fn key(
    center: usize,
    d: u32,
    dose: i64,
    birth_year: i32,
    gender: i64,
    group: Option<&str>,
    vaccine: &str,
) -> RollupKey {
    let (c, s, dist, block, kind, setting) = CENTERS[center];
    RollupKey::for_dose(&DoseFacts {
        date: day(d),
        state: StateId(s),
        district: DistrictId(dist),
        block,
        center: CenterId(c),
        vaccine: &VaccineCode::parse(vaccine).unwrap(),
        dose: DoseNumber::new(dose).unwrap(),
        birth_year: BirthYear::from_stored(birth_year),
        gender_id: gender,
        priority_group: group,
        ownership: kind,
        setting,
    })
}

fn query(params: &[(&str, &str)]) -> Result<ReportQuery, Vec<FieldError>> {
    ReportQuery::parse(params, &pack(), None, day(31))
}

fn fields(errors: &[FieldError]) -> Vec<&str> {
    errors.iter().map(|e| e.field).collect()
}

#[test]
fn a_dose_maps_to_one_key_with_its_buckets() {
    let k = key(1, 5, 3, 1960, 2, Some(" HCW "), "covishield");
    assert_eq!(k.block, "CHANAKYAPURI");
    assert_eq!(k.dose, DoseBucket::Precaution);
    assert_eq!(k.age_group, AgeGroup::From60);
    assert_eq!(k.priority_group.as_deref(), Some("HCW"));
    assert_eq!(k.vaccine.as_str(), "COVISHIELD");
    assert_eq!(k.ownership, FacilityOwnership::Private);
    // The two spellings of one block are one block.
    assert_eq!(key(0, 5, 1, 1990, 1, None, "COVAXIN").block, k.block);
    assert_eq!(key(0, 5, 1, 1990, 1, Some("  "), "COVAXIN").priority_group, None);
    assert_eq!(k.place().center, Some(CenterId(2)));
}

#[test]
fn buckets_and_groups_have_their_edges() {
    let n = |x| DoseNumber::new(x).unwrap();
    assert_eq!(DoseBucket::of(n(1)), DoseBucket::First);
    assert_eq!(DoseBucket::of(n(2)), DoseBucket::Second);
    assert_eq!(DoseBucket::of(n(3)), DoseBucket::Precaution);
    assert_eq!(DoseBucket::of(n(5)), DoseBucket::Precaution);
    assert_eq!(DoseBucket::parse(" 2 "), Some(DoseBucket::Second));
    assert_eq!(DoseBucket::parse("Precaution"), Some(DoseBucket::Precaution));
    for (age, group) in [
        (-1, AgeGroup::Under12),
        (11, AgeGroup::Under12),
        (12, AgeGroup::From12To14),
        (14, AgeGroup::From12To14),
        (15, AgeGroup::From15To17),
        (17, AgeGroup::From15To17),
        (18, AgeGroup::From18To44),
        (44, AgeGroup::From18To44),
        (45, AgeGroup::From45To59),
        (59, AgeGroup::From45To59),
        (60, AgeGroup::From60),
        (120, AgeGroup::From60),
    ] {
        assert_eq!(AgeGroup::of(age), group, "{age}");
        assert_eq!(AgeGroup::parse(group.as_str()), Some(group));
    }
    // CoWIN's rule: the year difference, whatever the birthday.
    assert_eq!(AgeGroup::on(BirthYear::from_stored(2004), day(1)), AgeGroup::From18To44);
    assert_eq!(Setting::parse("Rural"), Some(Setting::Rural));
    for g in GroupBy::ALL {
        assert_eq!(GroupBy::parse(g.as_str()), Some(g));
    }
}

#[test]
fn the_priority_group_is_the_best_ranked_open_one() {
    use crate::policy::{GroupRule, Occupation, PriorityGroup};
    let group = |code: &str, rank, opens, rule| PriorityGroup {
        code: code.into(),
        name: code.into(),
        name_hi: code.into(),
        rank,
        opens,
        rule,
    };
    let mut p = policy();
    p.groups = vec![
        group(
            "HCW",
            1,
            day(20),
            GroupRule { occupations: vec![Occupation::HealthWorker], ..GroupRule::default() },
        ),
        group("60+", 2, day(1), GroupRule { min_age: Some(60), ..GroupRule::default() }),
    ];
    let facts = PersonFacts {
        birth_year: BirthYear::from_stored(1950),
        comorbidity: false,
        occupation: Some(Occupation::HealthWorker),
    };
    assert_eq!(priority_group_code(&p, &facts, day(10)).as_deref(), Some("60+"));
    assert_eq!(priority_group_code(&p, &facts, day(20)).as_deref(), Some("HCW"));
    assert_eq!(priority_group_code(&policy(), &facts, day(20)), None);
}

#[test]
fn a_voided_dose_subtracts_from_the_same_key() {
    let k = key(0, 3, 1, 1990, 1, None, "COVISHIELD");
    let mut r = Rollup::default();
    r.apply(&k, DoseEvent::Recorded);
    r.apply(&k, DoseEvent::Recorded);
    assert_eq!(r.get(&k), 2);
    r.apply(&k, DoseEvent::Voided);
    assert_eq!(r.rows(), vec![(k.clone(), 1)]);
    r.apply(&k, DoseEvent::Voided);
    assert_eq!(r, Rollup::default());
}

#[test]
fn a_query_is_parsed_with_defaults() {
    let q = query(&[]).unwrap();
    assert_eq!(q.group_by, GroupBy::Day);
    assert_eq!(q.filter, ReportFilter::nation(day(2), day(31)));
    let q = query(&[
        ("district", "140"),
        ("block", " vasant   vihar"),
        ("from", "01-01-2022"),
        ("until", "2022-01-10"),
        ("dose", "2"),
        ("vaccine", "covaxin"),
        ("age_group", "18-44"),
        ("gender", "2"),
        ("priority_group", "HCW"),
        ("facility_type", "private"),
        ("setting", "urban"),
        ("group_by", "area"),
        ("lang", "hi"),
        ("state", ""),
    ])
    .unwrap();
    assert_eq!(
        q.filter.area,
        Area::Block { state: StateId(9), district: DistrictId(140), block: "VASANT VIHAR".into() }
    );
    assert_eq!((q.filter.from, q.filter.until), (day(1), day(10)));
    assert_eq!(q.filter.dose, Some(DoseBucket::Second));
    assert_eq!(q.filter.vaccine.as_ref().map(VaccineCode::as_str), Some("COVAXIN"));
    assert_eq!(q.filter.age_group, Some(AgeGroup::From18To44));
    assert_eq!(q.filter.gender_id, Some(2));
    assert_eq!(q.filter.priority_group.as_deref(), Some("HCW"));
    assert_eq!(q.filter.ownership, Some(FacilityOwnership::Private));
    assert_eq!(q.filter.setting, Some(Setting::Urban));
    assert_eq!(q.group_by, GroupBy::Area);
    assert_eq!(
        query(&[("district", "395")]).unwrap().filter.area,
        Area::District { state: StateId(21), district: DistrictId(395) }
    );
}

#[test]
fn a_bad_query_reports_every_field_at_once() {
    let e = query(&[
        ("state", "21"),
        ("district", "140"),
        ("from", "2022-02-01"),
        ("until", "yesterday"),
        ("dose", "4"),
        ("vaccine", "SPUTNIK"),
        ("age_group", "18+"),
        ("gender", "9"),
        ("priority_group", "a b"),
        ("facility_type", "trust"),
        ("setting", "suburban"),
        ("group_by", "pincode"),
    ])
    .unwrap_err();
    assert_eq!(
        fields(&e),
        [
            "district",
            "until",
            "dose",
            "vaccine",
            "age_group",
            "gender",
            "priority_group",
            "facility_type",
            "setting",
            "group_by"
        ]
    );
    let e = query(&[("from", "2022-01-20"), ("until", "2022-01-10"), ("block", "X")]).unwrap_err();
    assert_eq!(fields(&e), ["block", "from"]);
    let e =
        query(&[("from", "2019-01-01"), ("dose", "1"), ("dose", "2"), ("dose", "3")]).unwrap_err();
    assert_eq!(fields(&e), ["dose", "from"]);
    assert_eq!(fields(&query(&[("center", "7")]).unwrap_err()), ["center"]);
}

#[test]
fn a_facility_query_takes_the_facility_place_the_server_found() {
    let params = [("center", "3"), ("district", "140")];
    assert_eq!(requested_center(&params), Some(CenterId(3)));
    let p = Place {
        state: StateId(9),
        district: DistrictId(140),
        block: "Vasant Vihar".into(),
        center: Some(CenterId(3)),
    };
    let q = ReportQuery::parse(&params, &pack(), Some(&p), day(31)).unwrap();
    assert_eq!(q.filter.area.center(), Some(CenterId(3)));
    assert_eq!(q.filter.area.block(), Some("VASANT VIHAR"));
    let elsewhere = [("center", "3"), ("district", "141")];
    let e = ReportQuery::parse(&elsewhere, &pack(), Some(&p), day(31)).unwrap_err();
    assert_eq!(fields(&e), ["center"]);
}

fn sample() -> Vec<(RollupKey, i64)> {
    vec![
        (key(0, 1, 1, 1990, 1, Some("HCW"), "COVISHIELD"), 5),
        (key(1, 2, 1, 1950, 2, None, "COVISHIELD"), 7),
        (key(2, 2, 2, 1990, 2, None, "COVAXIN"), 3),
        (key(3, 3, 1, 2006, 1, None, "COVAXIN"), 11),
        (key(4, 3, 1, 1970, 3, None, "COVISHIELD"), 13),
        (key(4, 4, 2, 1970, 3, None, "COVISHIELD"), 0),
    ]
}

#[test]
fn aggregate_gives_days_with_cumulative_and_groups() {
    let rows = sample();
    let mut f = ReportFilter::nation(day(2), day(4));
    let days = aggregate(&rows, &f, GroupBy::Day);
    let got: Vec<(GroupValue, i64, i64)> =
        days.iter().map(|r| (r.group.clone(), r.doses, r.cumulative)).collect();
    assert_eq!(
        got,
        [
            (GroupValue::Day(day(2)), 10, 15),
            (GroupValue::Day(day(3)), 24, 39),
            (GroupValue::Day(day(4)), 0, 39)
        ]
    );
    let states = aggregate(&rows, &f, GroupBy::Area);
    let got: Vec<(GroupValue, i64, i64)> =
        states.iter().map(|r| (r.group.clone(), r.doses, r.cumulative)).collect();
    assert_eq!(
        got,
        [(GroupValue::State(StateId(9)), 21, 26), (GroupValue::State(StateId(21)), 13, 13)]
    );
    f.area = Area::District { state: StateId(9), district: DistrictId(140) };
    let blocks = aggregate(&rows, &f, GroupBy::Area);
    let got: Vec<(String, i64)> = blocks.iter().map(|r| (r.group.code(), r.cumulative)).collect();
    assert_eq!(got, [("140/CHANAKYAPURI".to_owned(), 12), ("140/VASANT VIHAR".to_owned(), 3)]);
    f.area =
        Area::Block { state: StateId(9), district: DistrictId(140), block: "chanakyapuri".into() };
    f.priority_group = Some("hcw".into());
    let total = aggregate(&rows, &f, GroupBy::Total);
    assert_eq!((total[0].doses, total[0].cumulative), (0, 5));
    f.gender_id = Some(3);
    assert_eq!(aggregate(&rows, &f, GroupBy::Total)[0].group, GroupValue::Total);
    assert!(aggregate(&rows, &f, GroupBy::Vaccine).is_empty());
}

#[test]
fn coverage_is_one_decimal_and_needs_a_target() {
    assert_eq!(coverage_percent(1, 3), Some(33.3));
    assert_eq!(coverage_percent(2, 3), Some(66.7));
    assert_eq!(coverage_percent(5, 0), None);
    assert_eq!(coverage_percent(150, 100), Some(150.0));
}

#[test]
fn targets_are_parsed_with_every_error_and_repeats_refused() {
    assert!(
        Target::check_header(&[
            "State",
            "district",
            "block",
            "age_group",
            "dose",
            "population_eligible"
        ])
        .is_ok()
    );
    assert!(Target::check_header(&["state", "population"]).is_err());
    let t =
        Target::parse_row(&["9", "140", " vasant vihar", "", "precaution", "1,23,456"], &pack())
            .unwrap();
    assert_eq!(
        t,
        Target {
            area: Area::Block {
                state: StateId(9),
                district: DistrictId(140),
                block: "VASANT VIHAR".into()
            },
            age_group: None,
            dose: Some(DoseBucket::Precaution),
            population_eligible: 123_456,
        }
    );
    assert_eq!(
        Target::parse_row(&["", "", "", "18-44", "", "900000000.0"], &pack()).unwrap().area,
        Area::National
    );
    let e = Target::parse_row(&["21", "140", "", "18+", "4", "0"], &pack()).unwrap_err();
    assert_eq!(fields(&e), ["district", "age_group", "dose", "population_eligible"]);
    let e = Target::parse_row(&["", "", "X", "", "", "-5", "extra"], &pack()).unwrap_err();
    assert_eq!(fields(&e), ["row", "block", "population_eligible"]);
    let row = |cells: &[&str]| Target::parse_row(cells, &pack()).unwrap();
    let set = TargetSet::build(vec![
        row(&["9", "", "", "", "", "1000"]),
        row(&["9", "", "", "", "precaution", "200"]),
        row(&["9", "140", "Vasant Vihar", "", "", "50"]),
    ])
    .unwrap();
    let delhi = Area::State { state: StateId(9) };
    assert_eq!(set.find(&delhi, None, DoseBucket::First), Some(1000));
    assert_eq!(set.find(&delhi, None, DoseBucket::Precaution), Some(200));
    assert_eq!(set.find(&delhi, Some(AgeGroup::From60), DoseBucket::First), None);
    let block =
        Area::Block { state: StateId(9), district: DistrictId(140), block: "vasant vihar".into() };
    assert_eq!(set.find(&block, None, DoseBucket::Second), Some(50));
    let e =
        TargetSet::build(vec![row(&["9", "", "", "", "", "1"]), row(&["9", "", "", "", "", "2"])])
            .unwrap_err();
    assert_eq!(e[0].message, "row 2 repeats the area, age group and dose of row 1");
}

#[test]
fn coverage_is_attached_only_where_the_denominator_fits() {
    let rows = sample();
    let set = TargetSet::build(vec![
        Target {
            area: Area::State { state: StateId(9) },
            age_group: None,
            dose: None,
            population_eligible: 100,
        },
        Target {
            area: Area::State { state: StateId(21) },
            age_group: None,
            dose: Some(DoseBucket::First),
            population_eligible: 26,
        },
    ])
    .unwrap();
    let mut f = ReportFilter::nation(day(1), day(31));
    f.dose = Some(DoseBucket::First);
    let mut by_state = aggregate(&rows, &f, GroupBy::Area);
    apply_targets(&mut by_state, &f, &set);
    let got: Vec<Option<f64>> = by_state.iter().map(|r| r.coverage_percent).collect();
    assert_eq!(got, [Some(23.0), Some(50.0)]);
    // No dose known: no coverage.  A vaccine filter: no coverage.
    f.dose = None;
    let mut total = aggregate(&rows, &f, GroupBy::Area);
    apply_targets(&mut total, &f, &set);
    assert!(total.iter().all(|r| r.coverage_percent.is_none()));
    f.area = Area::State { state: StateId(9) };
    let mut by_dose = aggregate(&rows, &f, GroupBy::Dose);
    apply_targets(&mut by_dose, &f, &set);
    assert_eq!(
        by_dose.iter().map(|r| r.coverage_percent).collect::<Vec<_>>(),
        [Some(23.0), Some(3.0)]
    );
    f.vaccine = Some(VaccineCode::parse("COVAXIN").unwrap());
    apply_targets(&mut by_dose, &f, &set);
    assert!(by_dose.iter().all(|r| r.coverage_percent.is_none()));
}

#[test]
fn second_doses_are_due_inside_the_interval() {
    let status = |today| SecondDoseStatus::of(day(1), Some(28), Some(42), today);
    assert_eq!(status(day(28)), SecondDoseStatus::NotDueYet);
    assert_eq!(status(day(29)), SecondDoseStatus::Due);
    assert_eq!(status(day(1) + Duration::days(42)), SecondDoseStatus::Due);
    assert_eq!(status(day(1) + Duration::days(43)), SecondDoseStatus::Overdue);
    assert_eq!(SecondDoseStatus::of(day(1), None, None, day(1)), SecondDoseStatus::Due);
    let mut single = vaccine_def("JANSSEN");
    single.doses_in_series = 1;
    assert_eq!(SecondDoseStatus::for_vaccine(day(1), &single, &policy(), day(31)), None);
    let mut p = policy();
    p.interval_overrides.insert(VaccineCode::parse("COVISHIELD").unwrap(), (84, 112));
    assert_eq!(
        SecondDoseStatus::for_vaccine(day(1), &vaccine_def("COVISHIELD"), &p, day(31)),
        Some(SecondDoseStatus::NotDueYet)
    );
    // The cutoffs agree with the status, day by day.
    let today = day(1) + Duration::days(60);
    let c = DueCutoffs::on(today, Some(28), Some(42));
    for back in 0..80 {
        let first = today - Duration::days(back);
        let want = SecondDoseStatus::of(first, Some(28), Some(42), today);
        let got = if c.overdue_before.is_some_and(|o| first < o) {
            SecondDoseStatus::Overdue
        } else if first <= c.due_on_or_before {
            SecondDoseStatus::Due
        } else {
            SecondDoseStatus::NotDueYet
        };
        assert_eq!(got, want, "{back}");
    }
}

#[test]
fn due_counts_are_by_child_area() {
    let first = |center, d| {
        PendingSecondKey::of_first_dose(&key(center, d, 1, 1990, 1, None, "COVISHIELD")).unwrap()
    };
    assert_eq!(PendingSecondKey::of_first_dose(&key(0, 1, 2, 1990, 1, None, "COVISHIELD")), None);
    let rows = vec![(first(0, 1), 4), (first(3, 20), 2), (first(4, 1), 1), (first(4, 2), -1)];
    let windows: HashMap<_, _> =
        [(VaccineCode::parse("COVISHIELD").unwrap(), (Some(10), Some(20)))].into();
    let today = day(25);
    let got = DueCounts::by_area(&rows, &Area::National, &windows, today);
    assert_eq!(
        got,
        [(GroupValue::State(StateId(9)), DueCounts { not_due_yet: 2, due: 0, overdue: 4 })]
    );
    let got = DueCounts::by_area(&rows, &Area::State { state: StateId(9) }, &windows, today);
    assert_eq!(got.len(), 2);
    assert!(DueCounts::by_area(&rows, &Area::National, &HashMap::new(), today).is_empty());
}

fn report_row(group: GroupValue, doses: i64, cumulative: i64) -> ReportRow {
    ReportRow { group, doses, cumulative, coverage_percent: Some(1.0) }
}

#[test]
fn suppression_hides_small_cells_and_one_complement() {
    let s = Suppression { threshold: 10 };
    let rows = [
        report_row(GroupValue::State(StateId(1)), 3, 100),
        report_row(GroupValue::State(StateId(2)), 50, 50),
        report_row(GroupValue::State(StateId(3)), 20, 20),
        report_row(GroupValue::State(StateId(4)), 0, 0),
    ];
    let t = s.apply(&rows);
    let doses: Vec<Option<i64>> = t.rows.iter().map(|r| r.doses).collect();
    assert_eq!(doses, [None, Some(50), None, Some(0)]);
    assert_eq!(t.total_doses, Some(73));
    assert_eq!(t.total_cumulative, Some(170));
    assert!(t.rows.iter().all(|r| r.cumulative.is_some()));
    // One small cell and nothing else to hide with it: the total goes.
    let lone = s.apply(&[report_row(GroupValue::Total, 4, 4)]);
    assert_eq!((lone.rows[0].doses, lone.total_doses), (None, None));
    assert_eq!(lone.rows[0].coverage_percent, None);
    // A day series hides the cumulative figure from the first hidden day on.
    let days = s.apply(&[
        report_row(GroupValue::Day(day(1)), 40, 140),
        report_row(GroupValue::Day(day(2)), 5, 145),
        report_row(GroupValue::Day(day(3)), 30, 175),
    ]);
    let daily: Vec<Option<i64>> = days.rows.iter().map(|r| r.doses).collect();
    assert_eq!(daily, [Some(40), None, None]);
    let cum: Vec<Option<i64>> = days.rows.iter().map(|r| r.cumulative).collect();
    assert_eq!(cum, [Some(140), None, None]);
    assert_eq!(days.total_cumulative, None);
    assert_eq!(Suppression::NONE.apply(&rows).rows[0].doses, Some(3));
}

#[test]
fn session_reports_count_no_shows_and_wastage() {
    let c = SessionCounts {
        planned: 100,
        booked: 80,
        arrived_booked: 70,
        walk_ins: 12,
        vaccinated: 81,
        doses_given: 81,
        vials_opened: 9,
        doses_per_vial: Some(10),
        messages_sent: 160,
        messages_delivered: 150,
    };
    let r = SessionReport::build(&c);
    assert_eq!((r.arrived, r.no_shows, r.doses_wasted, r.vials_used), (82, 10, Some(9), 9));
    assert_eq!((r.booked_percent, r.no_show_percent), (Some(80.0), Some(12.5)));
    let open = SessionReport::build(&SessionCounts { doses_per_vial: None, ..c });
    assert_eq!(open.doses_wasted, None);
    let empty = SessionReport::build(&SessionCounts::default());
    assert_eq!((empty.no_shows, empty.booked_percent, empty.no_show_percent), (0, None, None));
}

#[test]
fn csv_has_stable_columns_in_english_and_hindi() {
    let rows = [
        ReportRow {
            group: GroupValue::State(StateId(9)),
            doses: 12,
            cumulative: 40,
            coverage_percent: Some(4.0),
        },
        ReportRow {
            group: GroupValue::State(StateId(21)),
            doses: 3,
            cumulative: 3,
            coverage_percent: None,
        },
    ];
    let table = Suppression::PUBLIC.apply(&rows);
    let none = |_: &GroupValue| None;
    let en = render_csv(&table, GroupBy::Area, &pack(), "en", &none);
    assert_eq!(
        en,
        "Area,Name,Doses,Cumulative doses,Coverage %\r\n9,Delhi,*,*,\r\n21,Maharashtra,*,*,\r\n"
    );
    let plain = Suppression::NONE.apply(&rows);
    let hi = render_csv(&plain, GroupBy::Area, &pack(), "hi-IN", &none);
    assert_eq!(
        hi,
        "क्षेत्र,नाम,खुराकें,कुल खुराकें (संचयी),कवरेज %\r\n9,दिल्ली,12,40,4.0\r\n21,Maharashtra,3,3,\r\n"
    );
    let odd = PublishedTable {
        rows: vec![PublishedRow {
            group: GroupValue::Block { district: DistrictId(140), block: "=A, \"B\"".into() },
            doses: Some(1),
            cumulative: Some(1),
            coverage_percent: None,
        }],
        total_doses: None,
        total_cumulative: None,
    };
    let csv = render_csv(&odd, GroupBy::Area, &pack(), "en", &|_| Some("-x".into()));
    assert_eq!(csv.lines().nth(1), Some("\"140/=A, \"\"B\"\"\",'-x,1,1,"));
}

// -----------------------------------------------------------------------------------------
// Properties

fn arb_key() -> impl Strategy<Value = RollupKey> {
    (0usize..5, 1u32..12, 1i64..5, 1940i32..2012, 1i64..4, 0usize..3, any::<bool>()).prop_map(
        |(center, d, dose, by, gender, group, covaxin)| {
            let group = [None, Some("HCW"), Some("60+")][group];
            key(center, d, dose, by, gender, group, if covaxin { "COVAXIN" } else { "COVISHIELD" })
        },
    )
}

fn arb_filter() -> impl Strategy<Value = (ReportFilter, GroupBy)> {
    let area = prop::sample::select(vec![
        Area::National,
        Area::State { state: StateId(9) },
        Area::District { state: StateId(9), district: DistrictId(140) },
        Area::Block { state: StateId(9), district: DistrictId(140), block: "Chanakyapuri".into() },
        Area::Facility {
            state: StateId(21),
            district: DistrictId(395),
            block: "HAVELI".into(),
            center: CenterId(5),
        },
    ]);
    (
        area,
        1u32..12,
        0i64..6,
        prop::option::of(prop::sample::select(DoseBucket::ALL.to_vec())),
        prop::option::of(any::<bool>()),
        prop::option::of(prop::sample::select(AgeGroup::ALL.to_vec())),
        prop::option::of(1i64..4),
        prop::option::of(prop::sample::select(vec!["hcw", "60+", "FLW"])),
        prop::option::of(any::<bool>()),
        prop::option::of(prop::sample::select(Setting::ALL.to_vec())),
        prop::sample::select(GroupBy::ALL.to_vec()),
    )
        .prop_map(
            |(
                area,
                from,
                len,
                dose,
                covaxin,
                age_group,
                gender_id,
                group,
                private,
                setting,
                group_by,
            )| {
                let from = day(from);
                let filter = ReportFilter {
                    area,
                    from,
                    until: from + Duration::days(len),
                    dose,
                    vaccine: covaxin.map(|c| {
                        VaccineCode::parse(if c { "COVAXIN" } else { "COVISHIELD" }).unwrap()
                    }),
                    age_group,
                    gender_id,
                    priority_group: group.map(str::to_owned),
                    ownership: private.map(|p| {
                        if p { FacilityOwnership::Private } else { FacilityOwnership::Government }
                    }),
                    setting,
                };
                (filter, group_by)
            },
        )
}

/// Whether a key counts for the filter, written out field by field from the facility table.
fn naive_counts(k: &RollupKey, f: &ReportFilter) -> bool {
    let (_, state, district, block, ..) =
        CENTERS.iter().find(|c| c.0 == k.center.0).copied().unwrap();
    let area_ok = match &f.area {
        Area::National => true,
        Area::State { state: s } => s.0 == state,
        Area::District { district: d, .. } => d.0 == district,
        Area::Block { district: d, block: b, .. } => {
            d.0 == district && b.trim().to_lowercase() == block.trim().to_lowercase()
        }
        Area::Facility { center, .. } => *center == k.center,
    };
    let mut ok = area_ok;
    if let Some(d) = f.dose {
        ok &= d == k.dose;
    }
    if let Some(v) = &f.vaccine {
        ok &= v == &k.vaccine;
    }
    if let Some(a) = f.age_group {
        ok &= a == k.age_group;
    }
    if let Some(g) = f.gender_id {
        ok &= g == k.gender_id;
    }
    if let Some(p) = &f.priority_group {
        ok &= k.priority_group.as_ref().map(|x| x.to_uppercase()) == Some(p.to_uppercase());
    }
    if let Some(kind) = f.ownership {
        ok &= kind == k.ownership;
    }
    if let Some(s) = f.setting {
        ok &= s == k.setting;
    }
    ok
}

/// The group of a key, written out without `GroupBy::group_of`.
fn naive_group(k: &RollupKey, f: &ReportFilter, g: GroupBy) -> GroupValue {
    match (g, &f.area) {
        (GroupBy::Total, _) => GroupValue::Total,
        (GroupBy::Day, _) => GroupValue::Day(k.day),
        (GroupBy::Area, Area::National) => GroupValue::State(k.state),
        (GroupBy::Area, Area::State { .. }) => GroupValue::District(k.district),
        (GroupBy::Area, Area::District { .. }) => {
            GroupValue::Block { district: k.district, block: k.block.clone() }
        }
        (GroupBy::Area, _) => GroupValue::Facility(k.center),
        (GroupBy::Dose, _) => GroupValue::Dose(k.dose),
        (GroupBy::Vaccine, _) => GroupValue::Vaccine(k.vaccine.clone()),
        (GroupBy::AgeGroup, _) => GroupValue::AgeGroup(k.age_group),
        (GroupBy::Gender, _) => GroupValue::Gender(k.gender_id),
        (GroupBy::PriorityGroup, _) => GroupValue::PriorityGroup(k.priority_group.clone()),
        (GroupBy::Ownership, _) => GroupValue::Ownership(k.ownership),
        (GroupBy::Setting, _) => GroupValue::Setting(k.setting),
    }
}

/// The straightforward recount: for each candidate row, loop over every dose.
fn recount(doses: &[RollupKey], f: &ReportFilter, g: GroupBy) -> Vec<(GroupValue, i64, i64)> {
    let mut out = Vec::new();
    if g == GroupBy::Day {
        let mut d = f.from;
        while d <= f.until {
            let mut on_day = 0;
            let mut up_to = 0;
            for k in doses {
                if naive_counts(k, f) && k.day == d {
                    on_day += 1;
                }
                if naive_counts(k, f) && k.day <= d {
                    up_to += 1;
                }
            }
            out.push((GroupValue::Day(d), on_day, up_to));
            d = d.succ_opt().unwrap();
        }
        return out;
    }
    let mut groups: Vec<GroupValue> = doses.iter().map(|k| naive_group(k, f, g)).collect();
    if g == GroupBy::Total {
        groups.push(GroupValue::Total);
    }
    groups.sort();
    groups.dedup();
    for group in groups {
        let mut in_range = 0;
        let mut up_to = 0;
        for k in doses {
            if naive_counts(k, f) && naive_group(k, f, g) == group && k.day <= f.until {
                up_to += 1;
                if k.day >= f.from {
                    in_range += 1;
                }
            }
        }
        if g == GroupBy::Total || up_to != 0 {
            out.push((group, in_range, up_to));
        }
    }
    out
}

proptest! {
    /// Numbers agree: any set of doses, recorded and some voided, rolled up; every report
    /// equals a recount over the live doses.
    #[test]
    fn aggregate_equals_a_straightforward_recount(
        doses in prop::collection::vec((arb_key(), any::<bool>()), 0..120),
        (filter, group_by) in arb_filter(),
    ) {
        let mut rollup = Rollup::default();
        let mut live = Vec::new();
        for (k, voided) in &doses {
            rollup.apply(k, DoseEvent::Recorded);
            if *voided {
                rollup.apply(k, DoseEvent::Voided);
            } else {
                live.push(k.clone());
            }
        }
        let got: Vec<(GroupValue, i64, i64)> = aggregate(&rollup.rows(), &filter, group_by)
            .into_iter()
            .map(|r| (r.group, r.doses, r.cumulative))
            .collect();
        prop_assert_eq!(got, recount(&live, &filter, group_by));
    }

    /// Recording then voiding a dose, among any others in any order, returns the roll-up
    /// to where it was.
    #[test]
    fn recording_then_voiding_a_dose_restores_the_rollup(
        before in prop::collection::vec(arb_key(), 0..40),
        extra in arb_key(),
        after in prop::collection::vec(arb_key(), 0..40),
    ) {
        let mut expected = Rollup::default();
        for k in before.iter().chain(&after) {
            expected.apply(k, DoseEvent::Recorded);
        }
        let mut r = Rollup::default();
        for k in &before {
            r.apply(k, DoseEvent::Recorded);
        }
        r.apply(&extra, DoseEvent::Recorded);
        for k in &after {
            r.apply(k, DoseEvent::Recorded);
        }
        prop_assert_eq!(r.get(&extra), expected.get(&extra) + 1);
        r.apply(&extra, DoseEvent::Voided);
        prop_assert_eq!(r, expected);
    }

    /// No published count is small, no published total minus the shown cells gives back
    /// a single hidden cell, and no pair of shown cumulative figures brackets a hidden day.
    #[test]
    fn suppression_never_reveals_a_small_cell(
        cells in prop::collection::vec((0i64..30, 0i64..30), 0..12),
        threshold in 2i64..15,
        days in any::<bool>(),
    ) {
        let s = Suppression { threshold };
        let mut cumulative = 0;
        let rows: Vec<ReportRow> = cells
            .iter()
            .enumerate()
            .map(|(i, (doses, before))| {
                cumulative += doses;
                let group = if days {
                    GroupValue::Day(day(1) + Duration::days(i as i64))
                } else {
                    GroupValue::Facility(CenterId(i as i64 + 1))
                };
                let cum = if days { cumulative } else { doses + before };
                report_row(group, *doses, cum)
            })
            .collect();
        let t = s.apply(&rows);
        let small = |n: i64| n != 0 && n < threshold;
        for (published, row) in t.rows.iter().zip(&rows) {
            prop_assert!(published.doses.is_none_or(|n| !small(n) && n == row.doses));
            prop_assert!(published.cumulative.is_none_or(|n| !small(n) && n == row.cumulative));
            prop_assert!(published.cumulative.is_some() || published.coverage_percent.is_none());
        }
        let doses_hidden: Vec<usize> =
            (0..rows.len()).filter(|i| t.rows[*i].doses.is_none()).collect();
        if let Some(total) = t.total_doses {
            prop_assert!(!small(total));
            let shown: i64 = t.rows.iter().filter_map(|r| r.doses).sum();
            prop_assert!(doses_hidden.len() != 1, "total {} - shown {} reveals a cell", total, shown);
            // Zero is never hidden: a hidden pair is two real counts, not one and a known zero.
            prop_assert!(doses_hidden.iter().all(|i| rows[*i].doses != 0));
        }
        if let Some(total) = t.total_cumulative {
            prop_assert!(!small(total));
            prop_assert!(t.rows.iter().filter(|r| r.cumulative.is_none()).count() != 1);
        }
        if days {
            // A shown cumulative figure on day d means every daily count up to d is shown.
            for (i, r) in t.rows.iter().enumerate() {
                if r.cumulative.is_some() {
                    prop_assert!(t.rows[..=i].iter().all(|x| x.doses.is_some()));
                }
            }
        }
        let hidden_small: HashSet<usize> =
            (0..rows.len()).filter(|i| small(rows[*i].doses)).collect();
        prop_assert!(hidden_small.iter().all(|i| t.rows[*i].doses.is_none()));
    }

    /// The areas table of the public dashboard: no small cell is shown, and no hidden cell is
    /// alone in its column (with the total shown) or alone in a row's sum (dose 1 + dose 2 +
    /// precaution = all).
    #[test]
    fn grid_suppression_leaves_no_cell_to_work_out(
        rows in prop::collection::vec((0i64..25, 0i64..25, 0i64..25, 0i64..25), 0..10),
        threshold in 2i64..12,
    ) {
        let s = Suppression { threshold };
        let cells: Vec<Vec<i64>> =
            rows.iter().map(|(a, b, c, today)| vec![a + b + c, *a, *b, *c, *today]).collect();
        let sums = [(vec![1, 2, 3], 0)];
        let h = s.grid(&cells, &sums);
        let small = |n: i64| n != 0 && n < threshold;
        for (r, row) in cells.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                prop_assert!(!small(*v) || h.cells[r][c], "small cell {} shown", v);
            }
            let members = [0usize, 1, 2, 3];
            let alone: Vec<usize> = members.iter().copied().filter(|c| h.cells[r][*c]).collect();
            prop_assert!(alone.len() != 1 || cells[r][alone[0]] == 0);
        }
        prop_assert_eq!(h.totals.len(), if cells.is_empty() { 0 } else { 5 });
        for c in 0..h.totals.len() {
            let hidden = (0..cells.len()).filter(|r| h.cells[*r][c]).count();
            if !h.totals[c] {
                prop_assert!(hidden != 1, "column {} reveals its one hidden cell", c);
                let total: i64 = cells.iter().map(|r| r[c]).sum();
                prop_assert!(!small(total));
            }
        }
    }
}
