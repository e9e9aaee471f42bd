//! Tests of list parsing: headers with aliases, every field error of a row at once, masking.

use regex::Regex;

use super::*;
use crate::beneficiary::verhoeff_digit;
use crate::country::{District, GenderDef, IdTypeDef, Language, PincodeInfo, State};

fn pack() -> CountryPack {
    let pin = |p: u32, d: i64| {
        (p, PincodeInfo { pincode: p, district_id: DistrictId(d), lat: None, lon: None })
    };
    CountryPack {
        code: "XX".into(),
        name: "Test".into(),
        default_language: "en".into(),
        languages: vec![Language { code: "en".into(), name: "English".into() }],
        mobile_country_prefix: "91".into(),
        max_beneficiaries_per_mobile: 4,
        timezone_offset_minutes: 330,
        states: vec![State { id: StateId(9), name: "Delhi".into(), name_l: String::new() }],
        districts: vec![
            District { id: DistrictId(140), state_id: StateId(9), name: "New Delhi".into() },
            District { id: DistrictId(141), state_id: StateId(9), name: "Central".into() },
        ],
        pincodes: [pin(110001, 140), pin(110002, 141)].into_iter().collect(),
        id_types: vec![
            IdTypeDef {
                id: 1,
                name: "Aadhaar Card".into(),
                name_l: "आधार कार्ड".into(),
                pattern: Regex::new("^[0-9]{12}$").unwrap(),
                numeric: true,
                verhoeff: true,
            },
            IdTypeDef {
                id: 3,
                name: "PAN Card".into(),
                name_l: String::new(),
                pattern: Regex::new("^[A-Z]{5}[0-9]{4}[A-Z]$").unwrap(),
                numeric: false,
                verhoeff: false,
            },
        ],
        genders: vec![
            GenderDef { id: 1, name: "Male".into(), name_l: "पुरुष".into() },
            GenderDef { id: 2, name: "Female".into(), name_l: "महिला".into() },
            GenderDef { id: 3, name: "Others".into(), name_l: String::new() },
        ],
        vaccines: vec![],
        policies: vec![],
    }
}

fn aadhaar() -> String {
    let base = "23456789012";
    format!("{base}{}", verhoeff_digit(base).unwrap())
}

const HEADER: [&str; 9] = [
    "Name",
    "Year of Birth",
    "Sex",
    "Mobile Number",
    "Photo ID Type",
    "Photo ID Number",
    "Category",
    "Employer",
    "Posting Pincode",
];

#[test]
fn headers_match_names_and_aliases_case_insensitively() {
    let h = Header::parse(&[
        "\u{feff}NAME",
        "birth_year",
        "gender",
        "mobile",
        "ID type",
        "id-number",
        "occupation",
        "Pincode",
        "Shoe size",
    ])
    .unwrap();
    assert_eq!(h.unknown, vec!["Shoe size".to_owned()]);
    let row = ["Asha", "1990", "F", "9876543210", "1", "x", "HCW", "110001", "9"];
    assert_eq!(h.cell(&row, Column::HomePincode), "110001");
    assert_eq!(h.cell(&row, Column::Employer), "");
}

#[test]
fn a_missing_required_column_fails_the_file_with_one_message() {
    let e = Header::parse(&["name", "birth_year", "gender", "mobile", "id_type", "occupation"])
        .unwrap_err();
    assert_eq!(e.to_string(), "The file has no column id_number, posting_pincode or home_pincode");
    assert_eq!(
        Header::parse(&["name", "full name"]).unwrap_err(),
        HeaderError::Duplicate("name".into())
    );
    assert_eq!(Header::parse(&["", " "]).unwrap_err(), HeaderError::Empty);
}

#[test]
fn a_good_row_parses_with_its_place_from_the_pincode() {
    let h = Header::parse(&HEADER).unwrap();
    let id = aadhaar();
    let row =
        ["Asha Rao", "1990", "Female", "+91 98765 43210", "Aadhaar", &id, "HCW", "AIIMS", "110002"];
    let r = parse_row(&pack(), &h, &row, 2026).unwrap();
    assert_eq!(r.gender_id, 2);
    assert_eq!(r.photo_id_type, 1);
    assert_eq!(r.mobile.as_str(), "9876543210");
    assert_eq!(r.occupation, Occupation::HealthWorker);
    assert_eq!((r.state, r.district), (StateId(9), DistrictId(141)));
    assert_eq!(r.posting_pincode, Some(110002));
    assert_eq!(r.home_pincode, None);
    assert!(!r.comorbidity);
}

#[test]
fn a_bad_row_reports_every_field_at_once() {
    let h = Header::parse(&HEADER).unwrap();
    let row = ["", "85", "Z", "12345", "Aadhaar", "234567890123", "nurse", "", "999999"];
    let fields: Vec<&str> =
        parse_row(&pack(), &h, &row, 2026).unwrap_err().iter().map(|e| e.field).collect();
    assert_eq!(
        fields,
        vec![
            "name",
            "birth_year",
            "gender",
            "mobile",
            "id_number",
            "occupation",
            "posting_pincode"
        ]
    );
}

#[test]
fn an_unknown_id_type_does_not_also_blame_the_number() {
    let h = Header::parse(&HEADER).unwrap();
    let row = ["Asha", "1990", "2", "9876543210", "Ration", "ABC", "flw", "", ""];
    let errors = parse_row(&pack(), &h, &row, 2026).unwrap_err();
    let fields: Vec<&str> = errors.iter().map(|e| e.field).collect();
    assert_eq!(fields, vec!["id_type", "home_pincode"]);
    assert_eq!(errors[1].message, "A posting pincode or a home pincode is required");
}

#[test]
fn occupations_accept_short_forms() {
    assert_eq!(Occupation::parse("HCW"), Some(Occupation::HealthWorker));
    assert_eq!(Occupation::parse("Frontline Worker"), Some(Occupation::FrontlineWorker));
    assert_eq!(Occupation::parse("other"), Some(Occupation::Other));
    assert_eq!(Occupation::parse("doctor"), None);
}

#[test]
fn hints_mask_mobiles_and_id_numbers() {
    assert_eq!(value_hint("mobile", "9876543210"), "******3210");
    assert_eq!(value_hint("id_number", "1234"), "****");
    assert_eq!(value_hint("gender", "Z"), "Z");
    assert_eq!(mask(""), "");
}
