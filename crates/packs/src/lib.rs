//! Country packs, embedded in the binary and parsed into `tika_domain::country::CountryPack`.
//!
//! A pack is a folder of data (`packs/in/` for India): `pack.toml` for identity, languages, photo
//! id types, genders and versioned policy; CSV files for states, districts, pincodes and vaccines;
//! and a gzipped list of real post offices used to seed demo facilities. The files are compiled
//! in with `include_str!`/`include_bytes!`, so the binary needs nothing at run time.

mod error;
mod pack;
mod sites;
mod table;

pub use error::PackLoadError;
pub use pack::{PackSources, parse_comorbidities, parse_pack};
pub use sites::{SiteKind, SiteSeed, parse_sites_gz};
use tika_domain::country::CountryPack;
use tika_domain::templates::{TemplateError, TemplateSet};

/// The India pack's files, as compiled into the binary.
pub const INDIA: PackSources<'static> = PackSources {
    pack_toml: include_str!("../../../packs/in/pack.toml"),
    states_csv: include_str!("../../../packs/in/states.csv"),
    districts_csv: include_str!("../../../packs/in/districts.csv"),
    pincodes_csv: include_str!("../../../packs/in/pincodes.csv"),
    vaccines_csv: include_str!("../../../packs/in/vaccines.csv"),
};

/// India's gzipped post-office list (`pincode,name,kind,lat,lon`), as compiled into the binary.
pub const INDIA_SITES_GZ: &[u8] = include_bytes!("../../../packs/in/sites.csv.gz");

/// Parses the embedded India pack.
pub fn india() -> Result<CountryPack, PackLoadError> {
    parse_pack(&INDIA)
}

/// Gunzips and parses the embedded list of India's post offices, the seeds for demo facilities.
pub fn india_sites() -> Result<Vec<SiteSeed>, PackLoadError> {
    parse_sites_gz(INDIA_SITES_GZ)
}

/// India's list of comorbidities surveyors record (`code,name,name_hi`), as compiled in.
pub const INDIA_COMORBIDITIES: &str = include_str!("../../../packs/in/comorbidities.csv");

/// Parses the embedded India comorbidity list.
pub fn india_comorbidities() -> Result<Vec<tika_domain::policy::Comorbidity>, PackLoadError> {
    parse_comorbidities(INDIA_COMORBIDITIES)
}

/// India's SMS templates (English and Hindi, every message kind), as compiled into the binary.
/// The sender id and DLT template ids in it are placeholders an operator replaces.
pub const INDIA_SMS_TEMPLATES: &str = include_str!("../../../packs/in/sms-templates.toml");

/// Parses and checks the embedded India SMS templates.
pub fn india_sms_templates() -> Result<TemplateSet, TemplateError> {
    TemplateSet::parse(INDIA_SMS_TEMPLATES)
}

#[cfg(test)]
mod tests {
    use std::sync::OnceLock;
    use std::time::Instant;

    use chrono::NaiveDate;
    use tika_domain::beneficiary::{PhotoIdNumber, verhoeff_digit};
    use tika_domain::country::PackError;
    use tika_domain::ids::{DistrictId, StateId};
    use tika_domain::vaccine::VaccineCode;

    use super::*;

    fn pack() -> &'static CountryPack {
        static PACK: OnceLock<CountryPack> = OnceLock::new();
        PACK.get_or_init(|| india().expect("the India pack loads"))
    }

    fn with_toml(pack_toml: &str) -> Result<CountryPack, PackLoadError> {
        parse_pack(&PackSources { pack_toml, ..INDIA })
    }

    #[test]
    fn india_pack_has_the_expected_contents() {
        let p = pack();
        assert_eq!(p.code, "IN");
        assert_eq!(p.name, "India");
        assert_eq!(p.states.len(), 36);
        assert_eq!(p.districts.len(), 745);
        assert_eq!(p.pincodes.len(), 19_486);
        assert_eq!(p.vaccines.len(), 7);
        assert_eq!(p.id_types.len(), 9);
        assert_eq!(p.genders.len(), 3);
        assert_eq!(p.timezone_offset_minutes, 330);
        assert_eq!(p.mobile_country_prefix, "91");
        assert_eq!(p.max_beneficiaries_per_mobile, 4);
        assert!(p.has_language("hi") && p.has_language("en"));
        assert!(p.states.windows(2).all(|w| w[0].id < w[1].id));
        assert!(p.districts.windows(2).all(|w| w[0].id < w[1].id));
        assert!(p.policies.windows(2).all(|w| w[0].effective_from < w[1].effective_from));
        let on = |y, m, d| p.policy_on(NaiveDate::from_ymd_opt(y, m, d).unwrap()).min_age_years;
        assert_eq!(on(2021, 6, 1), 18);
        assert_eq!(on(2022, 6, 1), 12);
        assert_eq!(p.gender(2).map(|g| g.name_l.as_str()), Some("महिला"));
    }

    #[test]
    fn vaccines_keep_empty_cells_as_none() {
        let p = pack();
        let covishield = p.vaccine(&VaccineCode::parse("covishield").unwrap()).unwrap();
        assert_eq!(covishield.manufacturer, "Serum Institute of India");
        assert_eq!((covishield.doses_in_series, covishield.min_age_years), (2, 18));
        assert_eq!(
            (covishield.min_interval_days, covishield.max_interval_days),
            (Some(84), Some(112))
        );
        assert_eq!(covishield.doses_per_vial, Some(10));
        let light = p.vaccine(&VaccineCode::parse("Sputnik Light").unwrap()).unwrap();
        assert_eq!(
            (light.doses_in_series, light.min_interval_days, light.max_interval_days),
            (1, None, None)
        );
        let zycov = p.vaccine(&VaccineCode::parse("ZYCOV-D").unwrap()).unwrap();
        assert_eq!((zycov.doses_in_series, zycov.doses_per_vial), (3, None));
    }

    #[test]
    fn maharashtra_is_state_21_with_its_hindi_name() {
        let mh = pack().state(StateId(21)).unwrap();
        assert_eq!(mh.name, "Maharashtra");
        assert_eq!(mh.name_l, "महाराष्ट्र");
        assert!(pack().districts_of(StateId(21)).count() > 30);
    }

    #[test]
    fn pincode_110001_is_in_delhi() {
        let p = pack();
        let pin = p.pincode(110_001).unwrap();
        let district = p.district(pin.district_id).unwrap();
        assert_eq!(district.state_id, StateId(9));
        assert_eq!(p.state(StateId(9)).unwrap().name, "Delhi");
        let (lat, lon) = (pin.lat.unwrap(), pin.lon.unwrap());
        assert!((28.0..29.0).contains(&lat) && (76.5..77.5).contains(&lon), "{lat},{lon}");
        // Some pincodes have no centroid in the source data.
        assert!(p.pincodes.values().any(|p| p.lat.is_none() && p.lon.is_none()));
    }

    #[test]
    fn aadhaar_checks_the_verhoeff_digit() {
        let aadhaar = pack().id_type(1).unwrap();
        assert_eq!(aadhaar.name, "Aadhaar Card");
        assert_eq!(aadhaar.name_l, "आधार कार्ड");
        assert!(aadhaar.verhoeff && aadhaar.numeric);

        let body = "23456789012";
        let check = verhoeff_digit(body).unwrap();
        let valid = format!("{body}{check}");
        let wrong = format!("{body}{}", (check + 1) % 10);
        assert_eq!(PhotoIdNumber::parse(aadhaar, &valid).unwrap().normalized(), valid);
        assert!(PhotoIdNumber::parse(aadhaar, &wrong).is_err());
        // Numeric ids are accepted with the usual grouping.
        let grouped = format!("{} {}-{}", &valid[..4], &valid[4..8], &valid[8..]);
        assert_eq!(PhotoIdNumber::parse(aadhaar, &grouped).unwrap().normalized(), valid);
        assert!(PhotoIdNumber::parse(aadhaar, &valid[..11]).is_err());

        let pan = pack().id_type(3).unwrap();
        assert!(!pan.numeric && !pan.verhoeff);
        assert!(PhotoIdNumber::parse(pan, "abcde1234f").is_ok());
        assert!(PhotoIdNumber::parse(pan, "ABCDE12345").is_err());
    }

    #[test]
    fn india_sites_are_real_indian_post_offices() {
        let sites = india_sites().unwrap();
        assert!(sites.len() > 100_000, "{}", sites.len());
        for s in &sites {
            assert!((6.0..38.0).contains(&s.lat) && (68.0..98.0).contains(&s.lon), "{s:?}");
            assert!((100_000..1_000_000).contains(&s.pincode), "{s:?}");
        }
        for kind in [SiteKind::HeadOffice, SiteKind::PostOffice, SiteKind::BranchOffice] {
            assert!(sites.iter().any(|s| s.kind == kind), "{kind:?}");
        }
        let baroda = sites.iter().find(|s| s.name == "Baroda House").unwrap();
        assert_eq!((baroda.pincode, baroda.kind), (110_001, SiteKind::PostOffice));
        // Nearly every site's pincode is one the pack knows.
        let known = sites.iter().filter(|s| pack().pincode(s.pincode).is_some()).count();
        assert!(known * 100 > sites.len() * 95, "{known} of {}", sites.len());
    }

    #[test]
    fn a_bad_number_names_file_row_and_field() {
        // Line 12 of districts.csv (the header is line 1) gets a malformed state_id.
        let districts: String = INDIA
            .districts_csv
            .lines()
            .enumerate()
            .map(|(i, line)| {
                if i == 11 {
                    let mut f = line.splitn(3, ',');
                    let (id, _state, name) =
                        (f.next().unwrap(), f.next().unwrap(), f.next().unwrap());
                    format!("{id},2x,{name}\n")
                } else {
                    format!("{line}\n")
                }
            })
            .collect();
        let err = parse_pack(&PackSources { districts_csv: &districts, ..INDIA }).unwrap_err();
        assert!(
            matches!(
                err,
                PackLoadError::Field { file: "districts.csv", row: 12, field: "state_id", .. }
            ),
            "{err:?}"
        );
        let msg = err.to_string();
        assert!(msg.starts_with("districts.csv row 12: state_id: invalid digit"), "{msg}");
        assert!(msg.contains("\"2x\""), "{msg}");
    }

    #[test]
    fn bad_cells_and_headers_are_reported_precisely() {
        let check = |src: PackSources<'_>, expected: &str| {
            let msg = parse_pack(&src).unwrap_err().to_string();
            assert_eq!(msg, expected);
        };
        check(
            PackSources { states_csv: "state_id,name\n1,A\n0,B\n", ..INDIA },
            "states.csv row 3: state_id: must be a positive integer (value 0)",
        );
        check(
            PackSources { districts_csv: "district_id,name\n1,A\n", ..INDIA },
            "districts.csv: missing column \"state_id\" in the header",
        );
        check(
            PackSources {
                pincodes_csv: "pincode,district_id,lat,lon\n110001,156,128.5,77.2\n",
                ..INDIA
            },
            "pincodes.csv row 2: lat: out of range -90..=90 (value 128.5)",
        );
        check(
            PackSources { states_csv: "state_id,name\n1,\n", ..INDIA },
            "states.csv row 2: name: missing value",
        );
        let vaccines = INDIA.vaccines_csv.replace(
            "COVAXIN,Covaxin,Bharat Biotech,inactivated whole virus,2,28,42",
            "COVAXIN,Covaxin,Bharat Biotech,inactivated whole virus,2,28,14",
        );
        check(
            PackSources { vaccines_csv: &vaccines, ..INDIA },
            "vaccines.csv row 3: max_interval_days: 14 is less than min_interval_days 28",
        );
        let vaccines = INDIA.vaccines_csv.replace("COVAXIN,", "COVAXIN;1,");
        check(
            PackSources { vaccines_csv: &vaccines, ..INDIA },
            "vaccines.csv row 3: code: Invalid vaccine (value \"COVAXIN;1\")",
        );
    }

    #[test]
    fn a_district_of_an_unknown_state_is_a_validation_error() {
        let districts = format!("{}9999,99,Nowhere\n", INDIA.districts_csv);
        let err = parse_pack(&PackSources { districts_csv: &districts, ..INDIA }).unwrap_err();
        let PackLoadError::Invalid(problems) = &err else { panic!("{err:?}") };
        assert_eq!(
            problems,
            &[PackError::Dangling {
                kind: "district",
                id: "9999".into(),
                target: "state",
                target_id: "99".into()
            }]
        );
        assert_eq!(
            err.to_string(),
            "the pack is inconsistent: district 9999 refers to unknown state 99"
        );
    }

    #[test]
    fn all_validation_problems_are_collected() {
        let districts = format!("{}9999,99,Nowhere\n9998,98,Elsewhere\n", INDIA.districts_csv);
        let pincodes = format!("{}110001,156,,\n999999,4242,,\n", INDIA.pincodes_csv);
        let toml =
            INDIA.pack_toml.replace("default_language = \"en\"", "default_language = \"ta\"");
        let err = parse_pack(&PackSources {
            pack_toml: &toml,
            districts_csv: &districts,
            pincodes_csv: &pincodes,
            ..INDIA
        })
        .unwrap_err();
        let PackLoadError::Invalid(problems) = &err else { panic!("{err:?}") };
        assert_eq!(problems.len(), 5, "{problems:?}");
        assert!(problems.contains(&PackError::Duplicate { kind: "pincode", id: "110001".into() }));
        assert!(problems.contains(&PackError::Dangling {
            kind: "pincode",
            id: "999999".into(),
            target: "district",
            target_id: "4242".into()
        }));
        assert!(problems.contains(&PackError::Dangling {
            kind: "pack",
            id: "IN".into(),
            target: "language",
            target_id: "ta".into()
        }));
        let msg = err.to_string();
        assert!(msg.contains("district 9998 refers to unknown state 98"), "{msg}");
    }

    #[test]
    fn a_bad_regex_is_an_error() {
        let toml = INDIA.pack_toml.replace(r#""^[A-Z]{5}[0-9]{4}[A-Z]$""#, r#""^[A-Z{5}$""#);
        let err = with_toml(&toml).unwrap_err();
        let msg = err.to_string();
        assert!(matches!(err, PackLoadError::Config { .. }), "{err:?}");
        assert!(msg.starts_with("pack.toml: id_types[2] (id 3).pattern: "), "{msg}");
        assert!(msg.contains("regex parse error"), "{msg}");

        let toml =
            INDIA.pack_toml.replace(r#""^[A-Z]{5}[0-9]{4}[A-Z]$""#, r#""[A-Z]{5}[0-9]{4}[A-Z]""#);
        let msg = with_toml(&toml).unwrap_err().to_string();
        assert!(msg.contains("must be anchored"), "{msg}");
    }

    #[test]
    fn id_type_options_are_checked() {
        let aadhaar = "pattern = \"^[0-9]{12}$\"\n";
        let toml = INDIA.pack_toml.replace("checksum = \"verhoeff\"", "checksum = \"luhn\"");
        let msg = with_toml(&toml).unwrap_err().to_string();
        assert!(
            msg.starts_with("pack.toml: id_types[0] (id 1).checksum: unknown checksum \"luhn\""),
            "{msg}"
        );

        let toml = INDIA.pack_toml.replace("checksum = \"verhoeff\"", "checksun = \"verhoeff\"");
        let msg = with_toml(&toml).unwrap_err().to_string();
        assert!(msg.contains("unknown field `checksun`"), "{msg}");

        let toml = INDIA.pack_toml.replace(aadhaar, &format!("{aadhaar}numeric = false\n"));
        let msg = with_toml(&toml).unwrap_err().to_string();
        assert!(msg.contains("the Verhoeff checksum needs a numeric id type"), "{msg}");

        // Without the checksum key the heuristic still marks Aadhaar numeric, but nothing checks the digit.
        let toml = INDIA.pack_toml.replace("checksum = \"verhoeff\"\n", "");
        let p = with_toml(&toml).unwrap();
        let t = p.id_type(1).unwrap();
        assert!(t.numeric && !t.verhoeff);

        // `numeric = true` overrides the heuristic for a pattern it cannot read.
        let dl = "pattern = \"^[A-Z0-9-]{8,20}$\"\n";
        let toml = INDIA.pack_toml.replace(dl, &format!("{dl}numeric = true\n"));
        assert!(with_toml(&toml).unwrap().id_type(2).unwrap().numeric);
        assert!(!pack().id_type(2).unwrap().numeric);
    }

    #[test]
    fn only_digit_patterns_are_numeric() {
        use crate::pack::digits_only;
        assert!(digits_only("^[0-9]{12}$"));
        assert!(digits_only(r"^\d{4}[0-9]{2,8}[0-9]+$"));
        assert!(!digits_only("^[0-9]{4}[A-Z]$"));
        assert!(!digits_only("^[0-9]{12}"));
        assert!(!digits_only("^[0-9]|[A-Z]$"));
        assert!(!digits_only("^$"));
        assert!(!digits_only(r"^[0-9]{3}\$"));
    }

    #[test]
    fn policies_parse_overrides_and_dates() {
        let overrides =
            "\n[policies.interval_overrides]\nCOVISHIELD = [84, 112]\n\"sputnik v\" = [21, 90]\n";
        let toml = format!("{}{overrides}", INDIA.pack_toml);
        let p = with_toml(&toml).unwrap();
        let latest = p.policy("IN-2022-03-16").unwrap();
        assert_eq!(
            latest.interval_overrides.get(&VaccineCode::parse("SPUTNIK V").unwrap()),
            Some(&(21, 90))
        );
        assert_eq!(latest.interval_overrides.len(), 2);
        assert!(p.policy("IN-2021-05-01").unwrap().interval_overrides.is_empty());

        let toml = format!("{}\n[policies.interval_overrides]\nNOVAX = [1, 2]\n", INDIA.pack_toml);
        let err = with_toml(&toml).unwrap_err();
        assert_eq!(
            err.to_string(),
            "the pack is inconsistent: policy IN-2022-03-16 refers to unknown vaccine NOVAX"
        );

        let toml =
            format!("{}\n[policies.interval_overrides]\nCOVAXIN = [42, 28]\n", INDIA.pack_toml);
        let msg = with_toml(&toml).unwrap_err().to_string();
        assert_eq!(
            msg,
            "pack.toml: policies[1] (IN-2022-03-16).interval_overrides.\"COVAXIN\": minimum 42 exceeds maximum 28"
        );

        let toml = INDIA
            .pack_toml
            .replace("effective_from = \"2022-03-16\"", "effective_from = \"16-03-2022\"");
        let msg = with_toml(&toml).unwrap_err().to_string();
        assert!(
            msg.starts_with("pack.toml: policies[1] (IN-2022-03-16).effective_from: "),
            "{msg}"
        );

        // Policies are sorted by date whatever the file order.
        let toml = INDIA
            .pack_toml
            .replace("effective_from = \"2021-05-01\"", "effective_from = \"2023-01-01\"");
        let p = with_toml(&toml).unwrap();
        assert_eq!(p.policies[0].version, "IN-2022-03-16");
    }

    #[test]
    fn malformed_toml_and_sites_are_errors() {
        let msg = with_toml("code = ").unwrap_err().to_string();
        assert!(msg.starts_with("pack.toml: "), "{msg}");
        let msg = with_toml("code = \"XX\"\n").unwrap_err().to_string();
        assert!(msg.contains("missing field"), "{msg}");

        let err = crate::sites::parse_sites(
            "sites.csv",
            "pincode,name,kind,lat,lon\n110001,X,Q,28.6,77.2\n".as_bytes(),
        )
        .unwrap_err();
        assert_eq!(err.to_string(), "sites.csv row 2: kind: expected H, P or B (value \"Q\")");
        let err = parse_sites_gz(b"not gzip").unwrap_err();
        assert!(err.to_string().starts_with("sites.csv.gz: "), "{err}");
    }

    #[test]
    fn load_times() {
        let start = Instant::now();
        let pack = india().unwrap();
        let pack_time = start.elapsed();
        let start = Instant::now();
        let sites = india_sites().unwrap();
        let sites_time = start.elapsed();
        println!(
            "india(): {pack_time:?} ({} pincodes); india_sites(): {sites_time:?} ({} sites)",
            pack.pincodes.len(),
            sites.len()
        );
        assert_eq!(pack.district(DistrictId(1)).map(|d| d.state_id), Some(StateId(1)));
    }

    #[test]
    fn policies_carry_india_phases_and_everyone_12_up_is_eligible_now() {
        use tika_domain::beneficiary::BirthYear;
        use tika_domain::policy::{Occupation, PersonFacts};
        let p = pack();
        let day = |y, m, d| NaiveDate::from_ymd_opt(y, m, d).unwrap();
        let first = p.policy("IN-2021-05-01").unwrap();
        let codes: Vec<&str> = first.groups.iter().map(|g| g.code.as_str()).collect();
        assert_eq!(codes, ["HCW", "FLW", "60+", "45+C", "45+", "18+"]);
        let facts = |born, comorbidity, occupation| PersonFacts {
            birth_year: BirthYear::from_stored(born),
            comorbidity,
            occupation,
        };
        let nurse = facts(1990, false, Some(Occupation::HealthWorker));
        let young = facts(1995, false, None);
        let policy_on = |d| p.policy_on(d);
        assert!(policy_on(day(2021, 1, 16)).is_eligible(&nurse, day(2021, 1, 16)));
        assert!(!policy_on(day(2021, 3, 1)).is_eligible(&young, day(2021, 3, 1)));
        assert!(policy_on(day(2021, 3, 1)).is_eligible(&facts(1970, true, None), day(2021, 3, 1)));
        assert!(policy_on(day(2021, 5, 1)).is_eligible(&young, day(2021, 5, 1)));
        // Today: everyone 12 or older.
        let now = day(2026, 12, 4);
        for born in [2014, 2008, 1990, 1940] {
            assert!(policy_on(now).is_eligible(&facts(born, false, None), now), "{born}");
        }
        assert!(!policy_on(now).is_eligible(&facts(2015, false, None), now));

        let bad = INDIA.pack_toml.replace("rank = 8", "rank = 7");
        let msg = with_toml(&bad).unwrap_err().to_string();
        assert_eq!(
            msg,
            "pack.toml: policies[1] (IN-2022-03-16).groups: row 8 (12+): rank 7 is already used by row 7"
        );
        let bad = INDIA.pack_toml.replace("opens = \"2022-03-16\"", "opens = \"16-03-2022\"");
        let msg = with_toml(&bad).unwrap_err().to_string();
        assert!(
            msg.starts_with("pack.toml: policies[1] (IN-2022-03-16).groups[7].opens: "),
            "{msg}"
        );
    }

    #[test]
    fn the_comorbidity_list_parses() {
        let list = india_comorbidities().unwrap();
        assert!(list.len() >= 10);
        assert!(list.iter().any(|c| c.code == "diabetes" && !c.name_hi.is_empty()));
        let err = parse_comorbidities("code,name,name_hi\nA b,x,y\n").unwrap_err();
        assert!(err.to_string().starts_with("comorbidities.csv row 2"), "{err}");
        let err = parse_comorbidities("code,name,name_hi\na,x,y\na,x,y\n").unwrap_err();
        assert!(err.to_string().contains("listed twice"), "{err}");
    }
}

#[cfg(test)]
mod sms_template_tests {
    use tika_domain::message::MessageKind;
    use tika_domain::sms::Encoding;
    use tika_domain::templates::variables;

    use super::*;

    /// Worst-case values: every variable at its maximum length, names and centres in Devanagari.
    fn worst_values(kind: MessageKind) -> Vec<(&'static str, String)> {
        variables(kind)
            .iter()
            .map(|v| {
                let filler = if v.free_text { "श" } else { "9" };
                (v.name, filler.repeat(v.max_len))
            })
            .collect()
    }

    fn typical_values(kind: MessageKind) -> Vec<(&'static str, &'static str)> {
        let all = [
            ("otp", "482913"),
            ("minutes", "3"),
            ("name", "Ramesh Kumar"),
            ("ref_id", "12345678901234"),
            ("dose", "2"),
            ("vaccine", "COVISHIELD"),
            ("date", "15-06-2021"),
            ("old_date", "15-06-2021"),
            ("new_date", "16-06-2021"),
            ("due_date", "07-09-2021"),
            ("slot", "09:00AM-11:00AM"),
            ("center", "UPHC Sector 12 Noida"),
            ("code", "4821"),
            ("link", "https://tika.gov.in/b/x7Qp"),
            ("text", "Your next dose is due on 07-09-2021."),
            ("point", "PHC Sarnath"),
            ("equipment", "ILR 1"),
            ("temp", "11.4"),
            ("band", "2.0-8.0"),
            ("since", "04-12-2026 14:05"),
        ];
        let names: Vec<&str> = variables(kind).iter().map(|v| v.name).collect();
        all.into_iter().filter(|(n, _)| names.contains(n)).collect()
    }

    #[test]
    fn the_india_templates_load_complete() {
        let set = india_sms_templates().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(set.sender(), "TIKAGV");
        assert_eq!(set.languages(), ["en", "hi"]);
        assert_eq!(set.templates().count(), 2 * MessageKind::ALL.len());
        for t in set.templates() {
            assert_eq!(t.template_id.len(), 19, "{}/{}", t.kind, t.language);
            assert!(t.worst_case.fits(usize::from(t.max_parts)));
        }
    }

    #[test]
    fn every_kind_renders_within_its_parts_in_both_languages() {
        let set = india_sms_templates().unwrap();
        for kind in MessageKind::ALL {
            for language in ["en", "hi"] {
                let max = usize::from(set.get(kind, language).unwrap().max_parts);
                let worst = worst_values(kind);
                let worst: Vec<(&str, &str)> =
                    worst.iter().map(|(n, v)| (*n, v.as_str())).collect();
                let r = set.render(kind, language, &worst).unwrap();
                assert_eq!(r.language, language);
                assert!(r.size.fits(max), "{kind}/{language} worst case: {} > {max}", r.size);
                let r = set.render(kind, language, &typical_values(kind)).unwrap();
                assert!(r.size.fits(max), "{kind}/{language}: {}", r.size);
                assert!(!r.text.contains('{') && !r.text.contains('}'), "{}", r.text);
                if language == "en" {
                    assert_eq!(r.size.encoding, Encoding::Gsm7, "{}", r.text);
                } else {
                    assert_eq!(r.size.encoding, Encoding::Ucs2, "{}", r.text);
                }
            }
        }
    }

    #[test]
    fn otps_fit_one_part_in_both_languages() {
        let set = india_sms_templates().unwrap();
        let vars = [("otp", "482913"), ("minutes", "3")];
        let en = set.render(MessageKind::Otp, "en", &vars).unwrap();
        assert_eq!(
            en.text,
            "Your Tika OTP is 482913. Valid for 3 minutes. Do not share it with anyone. - MoHFW"
        );
        assert_eq!(en.template_id, "1107161234500000001");
        assert_eq!(en.size.parts, 1);
        let hi = set.render(MessageKind::Otp, "hi", &vars).unwrap();
        assert!(hi.text.contains("482913"));
        assert_eq!((hi.size.encoding, hi.size.parts), (Encoding::Ucs2, 1));
        assert!(set.get(MessageKind::Otp, "hi").unwrap().worst_case.units <= 70);
        // A language without templates falls back to English.
        let ta = set.render(MessageKind::Otp, "ta", &vars).unwrap();
        assert_eq!((ta.language.as_str(), ta.text.as_str()), ("en", en.text.as_str()));
    }

    #[test]
    fn a_booking_in_english_and_hindi() {
        let set = india_sms_templates().unwrap();
        let vars = typical_values(MessageKind::BookingConfirmed);
        let en = set.render(MessageKind::BookingConfirmed, "en", &vars).unwrap();
        assert_eq!(
            en.text,
            "Ramesh Kumar, dose 2 (COVISHIELD) booked: 15-06-2021 09:00AM-11:00AM at UPHC Sector 12 Noida. Code 4821. - MoHFW"
        );
        assert_eq!(en.size.parts, 1);
        let hi = set.render(MessageKind::BookingConfirmed, "hi-IN", &vars).unwrap();
        assert_eq!(hi.language, "hi");
        assert!(hi.text.contains("कोड 4821"), "{}", hi.text);
        // A Devanagari name makes the English message UCS-2, still within its 3 parts.
        let mut vars = vars;
        vars[0].1 = "रमेश कुमार";
        let en = set.render(MessageKind::BookingConfirmed, "en", &vars).unwrap();
        assert_eq!(en.size.encoding, Encoding::Ucs2);
        assert!(en.size.parts <= 3);
    }
}
