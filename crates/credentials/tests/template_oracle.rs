//! Property test: the template canonicalization equals the JSON-LD
//! processor's for random certificates, and the strict typed parse rejects
//! any unknown key.
#![allow(clippy::unwrap_used)] // helpers outside #[test] fns
mod common;

use chrono::{Duration, NaiveDate, TimeZone as _, Utc};
use proptest::prelude::*;
use serde_json::Value;
use tika_credentials::canon;
use tika_credentials::divoc::{self, ContextVersion, Credential};
use tika_credentials::sample::sample_input;

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(String::new()),
        Just("सीता देवी".to_owned()),
        Just("Ravi \"Kumar\" \\ O'Neil".to_owned()),
        "[a-zA-Z0-9 ,.'-]{0,20}",
        "\\PC{0,12}",
    ]
}

fn input() -> impl Strategy<Value = divoc::CertificateInput> {
    (
        any::<bool>(),
        0u64..1_000_000,
        (text(), text(), text(), text(), text()),
        (0u32..20, 0u32..20, proptest::option::of(0u32..1_000_000)),
        (0i64..5_000_000, 0u32..120),
        prop_oneof![Just("Aadhaar Card"), Just("Passport"), Just(""), Just("PAN Card")],
        prop_oneof![
            Just("XXXXXXXX1234".to_owned()),
            Just("NA".to_owned()),
            Just(String::new()),
            "[A-Z0-9]{2,9}"
        ],
    )
        .prop_map(
            |(
                v2,
                n,
                (name, batch, vaccine, street, uhid),
                (dose, total, pin),
                (mins, age),
                id_type,
                id_value,
            )| {
                let version =
                    if v2 { ContextVersion::International } else { ContextVersion::Domestic };
                let mut i = sample_input(version, n);
                i.subject.name = name;
                i.subject.uhid = uhid;
                i.subject.age = age;
                i.subject.id_type = id_type.to_owned();
                i.subject.id_value = id_value;
                i.subject.address.street_address = street.clone();
                i.subject.address.pincode = pin;
                i.vaccination.facility_address.street_address = street;
                i.vaccination.batch = batch;
                i.vaccination.vaccine = vaccine;
                i.vaccination.dose = dose;
                i.vaccination.total_doses = total;
                let t =
                    Utc.with_ymd_and_hms(2021, 1, 1, 0, 0, 0).unwrap() + Duration::minutes(mins);
                i.vaccination.date = t;
                i.issuance_date = t + Duration::milliseconds(mins % 1000);
                i.subject.dob = NaiveDate::from_ymd_opt(1950 + (n % 60) as i32, 1, 1);
                i
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn template_equals_jsonld(input in input()) {
        let Ok(c) = divoc::build(&input) else {
            // Only control characters are refused among these inputs.
            return Ok(());
        };
        let doc = serde_json::to_value(&c).unwrap();
        let general = canon::jsonld_nquads(&doc).unwrap();
        prop_assert_eq!(canon::template_nquads(&c).unwrap(), general);
        // The compact JSON parses back to the same typed value.
        let back: Credential = serde_json::from_str(&c.to_json().unwrap()).unwrap();
        prop_assert_eq!(back, c);
    }

    #[test]
    fn strict_parse_rejects_unknown_keys(input in input(), key in "[a-zA-Z@][a-zA-Z0-9]{0,10}", at in 0usize..6) {
        let c = divoc::build(&input).unwrap();
        let mut doc = serde_json::to_value(&c).unwrap();
        let target = match at {
            0 => &mut doc,
            1 => &mut doc["credentialSubject"],
            2 => &mut doc["credentialSubject"]["address"],
            3 => &mut doc["evidence"][0],
            4 => &mut doc["evidence"][0]["facility"],
            _ => &mut doc["evidence"][0]["verifier"],
        };
        let obj = target.as_object_mut().unwrap();
        prop_assume!(!obj.contains_key(&key));
        obj.insert(key, Value::String("x".into()));
        prop_assert!(serde_json::from_value::<Credential>(doc).is_err());
    }
}

#[test]
fn precaution_dose_and_empty_values() {
    let mut i = sample_input(ContextVersion::International, 7);
    i.vaccination.dose = 3;
    i.vaccination.total_doses = 2;
    i.subject.name = String::new();
    i.subject.address.pincode = None;
    let c = divoc::build(&i).unwrap();
    let doc = serde_json::to_value(&c).unwrap();
    assert_eq!(canon::template_nquads(&c).unwrap(), canon::jsonld_nquads(&doc).unwrap());
}
